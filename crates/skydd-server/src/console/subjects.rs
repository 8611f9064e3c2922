//! The console's subject pages: look a data subject up by any identity, then see their
//! identities, consents with their proof, preferences, objections and restriction, and read
//! their records under a purpose.
//!
//! The identity looked up travels only in a POST body: never in a URL, a redirect or a log
//! line (the access log records route templates). The vault finds the subject through the
//! blind index; the page it leads to is addressed by the subject's random id. Every read goes
//! through the same vault operation as the API's and is audited the same way: identities
//! (`subject.identities`), consents (`consent.read`, `consent.proof`), preferences
//! (`preference.read`), and records under the purpose chosen in a form (`records.read`, each
//! record decided, withheld ones listed with their deny code).

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;
use skydd_register::model::Language;
use skydd_staff::permission::Permission;
use skydd_vault::{RecordsRead, VaultError};

use super::csrf::CsrfForm;
use super::frame::{Frame, Section};
use super::i18n;
use super::render::{ConsoleError, redirect, render};
use super::session::ConsoleUser;
use crate::state::AppState;

// A consent's proof shows the IP address and user agent it was given from; the permission
// that shows it must be one that reads personal data.
const _: () = assert!(Permission::ConsentsRead.reads_personal_data());

/// The subject pages' routes.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/subjects", get(lookup_form).post(lookup))
        .route("/console/subjects/{id}", get(show))
        .route("/console/subjects/{id}/records", post(records))
}

/// A choice of a form: a value and its label.
struct Choice {
    value: String,
    label: String,
}

/// The identity kinds a subject can be looked up by (`skydd_subject::IdentityKind`'s words),
/// with the catalog key of each one's name.
const KINDS: [(&str, &str); 5] = [
    ("email", "subjects.kind.email"),
    ("phone", "subjects.kind.phone"),
    ("personnummer", "subjects.kind.personnummer"),
    ("customer_number", "subjects.kind.customer_number"),
    ("external_id", "subjects.kind.external_id"),
];

/// The name of identity kind `word` in `language` (the word itself for one not known here).
fn kind_label(word: &str, language: Language) -> String {
    KINDS.iter().find(|(kind, _)| *kind == word).map_or_else(
        || word.to_owned(),
        |(_, key)| i18n::text(key, language).to_owned(),
    )
}

// ---------------------------------------------------------------------------------------------
// Look-up

/// `templates/console/subjects.html`.
#[derive(Template)]
#[template(path = "console/subjects.html")]
struct LookupPage {
    frame: Frame,
    kinds: Vec<Choice>,
    chosen: String,
    /// What went wrong with the last look-up (a catalog text, or the vault's message, which
    /// never repeats the value).
    problem: Option<String>,
}

fn lookup_page(user: &ConsoleUser, chosen: &str, problem: Option<String>) -> LookupPage {
    LookupPage {
        frame: user.frame(Section::Subjects, "subjects.title"),
        kinds: KINDS
            .iter()
            .map(|(kind, _)| Choice {
                value: (*kind).to_owned(),
                label: kind_label(kind, user.language),
            })
            .collect(),
        chosen: chosen.to_owned(),
        problem,
    }
}

/// `GET /console/subjects`: the look-up form.
async fn lookup_form(user: ConsoleUser) -> Result<Response, ConsoleError> {
    user.require(Permission::SubjectsRead)?;
    render(user.language, &lookup_page(&user, "email", None))
}

/// The look-up form: an identity's kind and value, and the tenant for a processor's subjects.
#[derive(Deserialize)]
struct LookupForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    value: String,
    #[serde(default)]
    tenant: String,
}

/// `POST /console/subjects`: find the subject with the identity (blind index, audited as
/// `subject.lookup`) and go to its page; or the form again saying nobody has it. The value is
/// never written back into the page.
async fn lookup(
    _: super::csrf::Permits<crate::auth::need::SubjectsRead>,
    State(state): State<AppState>,
    CsrfForm(user, form): CsrfForm<LookupForm>,
) -> Result<Response, ConsoleError> {
    user.require(Permission::SubjectsRead)?;
    let tenant = Some(form.tenant.trim()).filter(|t| !t.is_empty());
    let found = state
        .vault()
        .find_subject(&user.actor(), tenant, &form.kind, &form.value, user.now)
        .await;
    let (status, problem) = match found {
        Ok(Some(subject)) => return Ok(redirect(&format!("/console/subjects/{}", subject.id))),
        Ok(None) => (
            StatusCode::NOT_FOUND,
            i18n::text("subjects.lookup.none", user.language).to_owned(),
        ),
        Err(VaultError::Invalid { what, help }) => {
            (StatusCode::UNPROCESSABLE_ENTITY, format!("{what}; {help}"))
        }
        Err(error) => return Err(error.into()),
    };
    let mut response = render(
        user.language,
        &lookup_page(&user, &form.kind, Some(problem)),
    )?;
    *response.status_mut() = status;
    Ok(response)
}

// ---------------------------------------------------------------------------------------------
// The subject

/// An identity as the page shows it.
struct IdentityRow {
    kind: String,
    value: String,
}

/// A consent as it stands for one purpose.
struct ConsentRow {
    purpose: String,
    granted: bool,
    method: String,
    notice_version: String,
    at: String,
    text_hash: String,
    needs_renewal: bool,
}

/// One consent event with its proof.
struct ProofRow {
    purpose: String,
    granted: bool,
    method: String,
    notice_version: String,
    at: String,
    text_hash: String,
    ip: String,
    user_agent: String,
}

/// A marketing preference as it stands.
struct PreferenceRow {
    kind: &'static str,
    name: String,
    opted_in: bool,
    at: String,
}

/// An objection in force.
struct ObjectionRow {
    purpose: String,
    source: String,
}

/// What the subject's consents, objections and preferences show (with `ConsentsRead`).
struct Ledger {
    current: Vec<ConsentRow>,
    history: Vec<ProofRow>,
    objections: Vec<ObjectionRow>,
    preferences: Vec<PreferenceRow>,
}

/// One decrypted record a purpose may use.
struct RecordRow {
    id: String,
    category: String,
    collected_for: String,
    source: String,
    collected_at: String,
    fields: Vec<(String, String)>,
}

/// A record withheld from the purpose, with its deny code.
struct WithheldRow {
    id: String,
    category: String,
    code: String,
    explanation: String,
}

/// What a purpose read.
struct Records {
    purpose: String,
    records: Vec<RecordRow>,
    withheld: Vec<WithheldRow>,
}

/// `templates/console/subject.html`.
#[derive(Template)]
#[template(path = "console/subject.html")]
struct SubjectPage {
    frame: Frame,
    id: String,
    tenant: String,
    created: String,
    restricted: bool,
    identities: Vec<IdentityRow>,
    ledger: Option<Ledger>,
    may_read_records: bool,
    purposes: Vec<Choice>,
    chosen_purpose: String,
    records: Option<Records>,
    problem: Option<String>,
}

fn purpose_name(state: &AppState, id: &str, language: Language) -> String {
    state
        .vault()
        .register()
        .purposes
        .iter()
        .find(|p| p.id.0 == id)
        .map_or_else(|| id.to_owned(), |p| p.name.get(language).to_owned())
}

fn category_name(state: &AppState, id: &str, language: Language) -> String {
    state
        .vault()
        .register()
        .data
        .iter()
        .find(|c| c.id.0 == id)
        .map_or_else(|| id.to_owned(), |c| c.name.get(language).to_owned())
}

/// The subject's consents, proof, objections and preferences, each read audited.
async fn ledger(
    state: &AppState,
    user: &ConsoleUser,
    subject: &str,
) -> Result<Ledger, ConsoleError> {
    let vault = state.vault();
    let actor = user.actor();
    let language = user.language;
    let consents = vault.consents(&actor, subject, user.now).await?;
    let proof = vault.consent_proof(&actor, subject, user.now).await?;
    let preferences = vault.preferences(&actor, subject, user.now).await?;
    let hash = |h: &Option<String>| h.clone().unwrap_or_default();
    Ok(Ledger {
        current: consents
            .current
            .iter()
            .map(|c| ConsentRow {
                purpose: purpose_name(state, &c.purpose, language),
                granted: c.granted,
                method: c.method.clone(),
                notice_version: c.notice_version.clone(),
                at: i18n::time(c.at),
                text_hash: hash(&c.text_hash),
                needs_renewal: c.needs_renewal,
            })
            .collect(),
        history: proof
            .into_iter()
            .map(|p| ProofRow {
                purpose: purpose_name(state, &p.event.purpose, language),
                granted: p.event.granted,
                method: p.event.method.clone(),
                notice_version: p.event.notice_version.clone(),
                at: i18n::time(p.event.at),
                text_hash: hash(&p.event.text_hash),
                ip: p.ip.unwrap_or_default(),
                user_agent: p.user_agent.unwrap_or_default(),
            })
            .collect(),
        objections: consents
            .objections
            .iter()
            .map(|(purpose, source)| ObjectionRow {
                purpose: if purpose == "*" {
                    i18n::text("subjects.objection.all_marketing", language).to_owned()
                } else {
                    purpose_name(state, purpose, language)
                },
                source: source.clone(),
            })
            .collect(),
        preferences: preferences
            .into_iter()
            .map(|p| PreferenceRow {
                kind: i18n::text(
                    if p.kind == "channel" {
                        "subjects.preference.channel"
                    } else {
                        "subjects.preference.interest"
                    },
                    language,
                ),
                name: p.name,
                opted_in: p.opted_in,
                at: i18n::time(p.at),
            })
            .collect(),
    })
}

/// A decrypted field value as text: strings as they are, anything else as JSON.
fn field_text(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(text) => text.clone(),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn records_view(state: &AppState, read: RecordsRead, language: Language) -> Records {
    Records {
        purpose: purpose_name(state, &read.purpose, language),
        records: read
            .records
            .into_iter()
            .map(|r| RecordRow {
                category: category_name(state, &r.category, language),
                collected_for: purpose_name(state, &r.collected_for, language),
                source: r.source,
                collected_at: i18n::time(r.collected_at),
                fields: r
                    .fields
                    .iter()
                    .map(|(name, value)| (name.clone(), field_text(value)))
                    .collect(),
                id: r.id,
            })
            .collect(),
        withheld: read
            .withheld
            .into_iter()
            .map(|w| WithheldRow {
                category: category_name(state, &w.category, language),
                code: w.code.to_owned(),
                explanation: w.explanation,
                id: w.id,
            })
            .collect(),
    }
}

/// The subject page of `id`: what `user` may see of it, and `records` when a purpose read
/// them.
async fn subject_page(
    state: &AppState,
    user: &ConsoleUser,
    id: &str,
    records: Option<Records>,
    chosen_purpose: &str,
    problem: Option<String>,
) -> Result<SubjectPage, ConsoleError> {
    let vault = state.vault();
    let actor = user.actor();
    let language = user.language;
    let subject = match vault.subject(&actor, id).await {
        Ok(subject) => subject,
        Err(VaultError::UnknownSubject) => return Err(ConsoleError::NotFound),
        Err(error) => return Err(error.into()),
    };
    let identities = vault
        .subject_identities(&actor, &subject.id, user.now)
        .await?
        .into_iter()
        .map(|identity| IdentityRow {
            kind: kind_label(identity.kind().as_str(), language),
            value: identity.expose().to_owned(),
        })
        .collect();
    let ledger = if user.may(Permission::ConsentsRead) {
        Some(ledger(state, user, &subject.id).await?)
    } else {
        None
    };
    let mut frame = user.frame(Section::Subjects, "subjects.subject.title");
    frame.title = i18n::fill("subjects.subject.title", language, &subject.id[..8]);
    Ok(SubjectPage {
        frame,
        tenant: subject.tenant.clone().unwrap_or_default(),
        created: i18n::time(subject.created_at),
        restricted: subject.restricted,
        identities,
        ledger,
        may_read_records: user.may(Permission::RecordsRead),
        purposes: vault
            .register()
            .purposes
            .iter()
            .map(|p| Choice {
                value: p.id.0.clone(),
                label: p.name.get(language).to_owned(),
            })
            .collect(),
        chosen_purpose: chosen_purpose.to_owned(),
        records,
        problem,
        id: subject.id,
    })
}

/// `GET /console/subjects/{id}`: identities (`SubjectsRead`), and with `ConsentsRead` the
/// consents with their proof, objections, preferences; the records form with `RecordsRead`.
async fn show(
    State(state): State<AppState>,
    Path(id): Path<String>,
    user: ConsoleUser,
) -> Result<Response, ConsoleError> {
    user.require(Permission::SubjectsRead)?;
    let page = subject_page(&state, &user, &id, None, "", None).await?;
    render(user.language, &page)
}

/// The records form: the purpose to read under.
#[derive(Deserialize)]
struct RecordsForm {
    #[serde(default)]
    purpose: String,
}

/// `POST /console/subjects/{id}/records`: read the subject's records under the purpose
/// chosen, decided and audited exactly as `GET /v1/subjects/{id}/records` (the same vault
/// call), and show them on the subject page. Not a redirect: decrypted values are never kept
/// for another request.
async fn records(
    _: super::csrf::Permits<crate::auth::need::RecordsRead>,
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(user, form): CsrfForm<RecordsForm>,
) -> Result<Response, ConsoleError> {
    user.require(Permission::SubjectsRead)?;
    user.require(Permission::RecordsRead)?;
    let read = state
        .vault()
        .read_records(&user.actor(), &id, form.purpose.trim(), user.now)
        .await;
    let (status, records, problem) = match read {
        Ok(read) => (
            StatusCode::OK,
            Some(records_view(&state, read, user.language)),
            None,
        ),
        Err(VaultError::Invalid { what, help }) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            Some(format!("{what}; {help}")),
        ),
        Err(VaultError::UnknownSubject) => return Err(ConsoleError::NotFound),
        Err(error) => return Err(error.into()),
    };
    let page = subject_page(&state, &user, &id, records, form.purpose.trim(), problem).await?;
    let mut response = render(user.language, &page)?;
    *response.status_mut() = status;
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_identity_kind_has_a_label_in_both_languages() {
        for (kind, key) in KINDS {
            assert_ne!(i18n::text(key, Language::Sv), key, "{kind}");
        }
        assert_eq!(kind_label("customer_number", Language::Sv), "Kundnummer");
        assert_eq!(kind_label("unknown", Language::En), "unknown");
    }

    #[test]
    fn field_values_show_as_text() {
        assert_eq!(field_text(&serde_json::json!("Anna")), "Anna");
        assert_eq!(field_text(&serde_json::json!(42)), "42");
        assert_eq!(field_text(&serde_json::json!(true)), "true");
        assert_eq!(field_text(&serde_json::Value::Null), "");
    }
}
