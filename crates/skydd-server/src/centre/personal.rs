//! The personal page (`/privacy-centre/me`) and its one-click actions: the data held with the
//! Art. 15 information per category (purposes and bases, recipients, retention in plain words,
//! sources), downloads, consents with a withdraw button each, objections, marketing choices,
//! and the person's requests with their statutory due dates.
//!
//! Names and sentences come from the register in the page's language ([`explain`]); the
//! service's package supplies the person's data and which register entries apply to it.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::HeaderValue;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_SECURITY_POLICY, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use serde::Deserialize;
use skydd_app::centre::{CentreConsent, CentreRequest, DownloadFormat, Objectable, Overview};
use skydd_notice::{retention, wording};
use skydd_register::Register;
use skydd_register::model::Language;
use skydd_requests::{RequestState, RequestType};
use skydd_vault::AccessPackage;

use super::frame::CentreFrame;
use super::visit::{Signed, SignedForm};
use super::{PERSONAL_PATH, Refusal};
use crate::console::frame::Flash;
use crate::console::render::{ConsoleError, encode_component, redirect_with, render};
use crate::state::AppState;

/// One field of a record as the page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FieldView {
    /// The register field id (what a correction names).
    pub(crate) id: String,
    /// The field's label in the page's language (its id when the register no longer has it).
    pub(crate) field: String,
    /// The value as text (`—` for none).
    pub(crate) value: String,
    /// Where the correction form for this field is.
    pub(crate) correct: String,
}

/// One record of a category.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RecordView {
    /// When it was collected.
    pub(crate) collected_at: Timestamp,
    /// The purpose it was collected for, named.
    pub(crate) purpose: String,
    /// Where it came from, named.
    pub(crate) source: String,
    /// Its fields.
    pub(crate) fields: Vec<FieldView>,
}

/// A purpose that uses a category, with its legal bases in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PurposeView {
    /// The purpose's name.
    pub(crate) name: String,
    /// Its bases for this category, in words with their articles.
    pub(crate) bases: String,
}

/// One category of the person's data with the Art. 15 information about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CategoryView {
    /// The register id (anchors).
    pub(crate) id: String,
    /// Its name in the page's language.
    pub(crate) name: String,
    /// The records held in the vault.
    pub(crate) records: Vec<RecordView>,
    /// Values read from the company's own systems.
    pub(crate) connected: Vec<ConnectedView>,
    /// What it is used for, and on which basis.
    pub(crate) purposes: Vec<PurposeView>,
    /// Who receives it ("The Swedish Police Authority (public authority, Sweden)").
    pub(crate) recipients: Vec<String>,
    /// How long it is kept, one sentence per rule.
    pub(crate) retention: Vec<String>,
    /// Laws that can keep it longer.
    pub(crate) legal_holds: Vec<String>,
}

/// A value read from a connected system.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ConnectedView {
    /// The system's name.
    pub(crate) system: String,
    /// The field.
    pub(crate) field: String,
    /// The value (`—` for none).
    pub(crate) value: String,
    /// Where the correction form for this field is.
    pub(crate) correct: String,
}

/// A disclosure of the person's data that was made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DisclosedView {
    /// When.
    pub(crate) at: Timestamp,
    /// To whom, in words ("Creditsafe (independent controller, Sweden)").
    pub(crate) recipient: String,
    /// The categories disclosed, by name.
    pub(crate) categories: String,
    /// The catalog key saying what ordered it, when a decision did.
    pub(crate) decision: Option<&'static str>,
}

/// A value a correction replaced (Art. 16), from the person's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CorrectedView {
    /// When it was corrected.
    pub(crate) at: Timestamp,
    /// The field, by its label in the page's language.
    pub(crate) field: String,
    /// The field's category, by name.
    pub(crate) category: String,
    /// The value before the correction.
    pub(crate) before: String,
}

/// A passage of a record filed under someone else that mentions the person (issue 21), with
/// everyone else's data masked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MentionedView {
    /// When the record was collected (`None`: a row of a connected database, which has no
    /// collection time).
    pub(crate) at: Option<Timestamp>,
    /// The record's category, by name.
    pub(crate) category: String,
    /// The passage.
    pub(crate) text: String,
}

/// The package explained in the page's language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Explained {
    /// Any data about the person at all.
    pub(crate) data_found: bool,
    /// The identities the person is known by: (kind label, value).
    pub(crate) identities: Vec<(String, String)>,
    /// The categories with data, in the register's order.
    pub(crate) categories: Vec<CategoryView>,
    /// Connected systems that could not be read (the page says the answer is incomplete).
    pub(crate) unread_systems: Vec<String>,
    /// Sources other than the person ("LinkedIn (social network)").
    pub(crate) sources: Vec<String>,
    /// The disclosures made, oldest first.
    pub(crate) disclosures: Vec<DisclosedView>,
    /// The values corrections replaced, oldest first.
    pub(crate) corrections: Vec<CorrectedView>,
    /// Where records filed under someone else mention the person.
    pub(crate) mentions: Vec<MentionedView>,
    /// Processing is restricted (Art. 18).
    pub(crate) restricted: bool,
    /// How to reach the controller about rights.
    pub(crate) contact: Vec<String>,
    /// The supervisory authority a complaint goes to, named in the page's language.
    pub(crate) authority: String,
}

/// A value of the package as text.
fn shown(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::Null => "—".to_owned(),
        serde_json::Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// The correction form of `field` of `category`.
fn correct_link(category: &str, field: &str) -> String {
    format!(
        "/privacy-centre/me/ask/rectification?category={}&field={}",
        encode_component(category),
        encode_component(field)
    )
}

/// The package in `language`: names, bases, recipients, retention and holds from the
/// register, the person's values from the package.
pub(crate) fn explain(
    package: &AccessPackage,
    register: &Register,
    language: Language,
) -> Explained {
    let purpose_name = |id: &str| {
        register
            .purposes
            .iter()
            .find(|p| p.id.as_str() == id)
            .map_or_else(|| id.to_owned(), |p| p.name.get(language).to_owned())
    };
    let source_name = |id: &str| {
        register
            .sources
            .iter()
            .find(|s| s.id.as_str() == id)
            .map_or_else(|| id.to_owned(), |s| s.name.get(language).to_owned())
    };
    let mut categories = Vec::new();
    for category in &package.categories {
        let id = category.id.as_str();
        let registered = register.data.iter().find(|c| c.id.as_str() == id);
        let records: Vec<RecordView> = package
            .records
            .iter()
            .filter(|r| r.category == id)
            .map(|r| RecordView {
                collected_at: r.collected_at,
                purpose: purpose_name(&r.purpose),
                source: source_name(&r.source),
                fields: r
                    .fields
                    .iter()
                    .map(|(field, value)| FieldView {
                        id: field.clone(),
                        field: registered
                            .and_then(|c| c.fields.iter().find(|f| f.id.0 == *field))
                            .map_or_else(|| field.clone(), |f| f.label(language)),
                        value: shown(value),
                        correct: correct_link(id, field),
                    })
                    .collect(),
            })
            .collect();
        let connected: Vec<ConnectedView> = package
            .systems
            .iter()
            .flat_map(|s| s.values.iter().map(move |v| (s, v)))
            .filter(|(_, v)| v.category == id && !v.mentioned)
            .map(|(s, v)| ConnectedView {
                system: s.system.clone(),
                field: v.field.clone(),
                value: v.value.clone().unwrap_or_else(|| "—".to_owned()),
                correct: correct_link(id, &v.field),
            })
            .collect();
        if records.is_empty() && connected.is_empty() {
            continue;
        }
        let purposes = package
            .purposes
            .iter()
            .filter(|p| p.categories.iter().any(|c| c == id))
            .map(|p| {
                let registered = register.purposes.iter().find(|r| r.id.as_str() == p.id);
                let bases = registered
                    .and_then(|r| {
                        r.legal_basis
                            .iter()
                            .find(|b| b.category.as_str() == id)
                            .map(|b| wording::legal_bases(language, &b.bases))
                    })
                    .unwrap_or_else(|| p.legal_bases.join(", "));
                PurposeView {
                    name: purpose_name(&p.id),
                    bases,
                }
            })
            .collect();
        let recipients = package
            .recipients
            .iter()
            .filter(|r| r.categories.iter().any(|c| c == id))
            .map(|r| recipient_words(register, language, &r.id).unwrap_or_else(|| r.name.clone()))
            .collect();
        let retention = register
            .retention
            .iter()
            .filter(|rule| rule.category.as_str() == id)
            .map(|rule| retention::rule(register, language, rule))
            .collect::<Vec<_>>();
        let retention = if retention.is_empty() {
            category.retention.clone()
        } else {
            retention
        };
        let legal_holds = register
            .legal_holds
            .iter()
            .filter(|h| h.categories.iter().any(|c| c.as_str() == id))
            .map(|h| format!("{}: {}", h.name.get(language), h.law.get(language)))
            .collect();
        categories.push(CategoryView {
            id: id.to_owned(),
            name: registered.map_or_else(
                || category.name.clone(),
                |c| c.name.get(language).to_owned(),
            ),
            records,
            connected,
            purposes,
            recipients,
            retention,
            legal_holds,
        });
    }
    Explained {
        data_found: package.data_found,
        identities: package
            .identities
            .iter()
            .map(|(kind, value)| (identity_label(kind, language), value.clone()))
            .collect(),
        categories,
        unread_systems: package
            .systems
            .iter()
            .filter(|s| s.failed.is_some())
            .map(|s| s.system.clone())
            .collect(),
        sources: package.sources.iter().map(|s| source_name(&s.id)).collect(),
        disclosures: package
            .disclosures
            .iter()
            .map(|d| DisclosedView {
                at: d.disclosed_at,
                recipient: recipient_words(register, language, &d.recipient)
                    .unwrap_or_else(|| d.name.clone()),
                categories: d
                    .categories
                    .iter()
                    .map(|id| {
                        register
                            .data
                            .iter()
                            .find(|c| c.id.as_str() == id)
                            .map_or_else(|| id.clone(), |c| c.name.get(language).to_owned())
                    })
                    .collect::<Vec<_>>()
                    .join(", "),
                decision: match d.decision.as_deref() {
                    Some("court_decision") => Some("centre.me.on_court_decision"),
                    Some(_) => Some("centre.me.on_order"),
                    None => None,
                },
            })
            .collect(),
        corrections: package
            .rectifications
            .iter()
            .flat_map(|r| {
                let category = register.data.iter().find(|c| c.id.as_str() == r.category);
                r.previous.iter().map(move |(field, before)| CorrectedView {
                    at: r.rectified_at,
                    field: category
                        .and_then(|c| c.fields.iter().find(|f| f.id.as_str() == field))
                        .map_or_else(|| field.clone(), |f| f.label(language)),
                    category: category
                        .map_or_else(|| r.category.clone(), |c| c.name.get(language).to_owned()),
                    before: shown(before),
                })
            })
            .collect(),
        mentions: package
            .mentions
            .iter()
            .map(|m| MentionedView {
                at: Some(m.collected_at),
                category: category_name(register, language, &m.category),
                text: m.text.clone(),
            })
            .chain(
                package
                    .systems
                    .iter()
                    .flat_map(|s| &s.values)
                    .filter(|v| v.mentioned)
                    .filter_map(|v| {
                        Some(MentionedView {
                            at: None,
                            category: category_name(register, language, &v.category),
                            text: v.value.clone()?,
                        })
                    }),
            )
            .collect(),
        restricted: package.restricted,
        contact: package.controller_contact.clone(),
        authority: register.authority.name.get(language).to_owned(),
    }
}

/// The register's category `id` by name in `language` (the id itself if the register has no
/// such category any more).
fn category_name(register: &Register, language: Language, id: &str) -> String {
    register
        .data
        .iter()
        .find(|c| c.id.as_str() == id)
        .map_or_else(|| id.to_owned(), |c| c.name.get(language).to_owned())
}

/// The register's recipient `id` in words: its name with its kind, country and transfer
/// safeguard ("Mail delivery service (processor, Sweden)"); `None` when the register does not
/// name it.
fn recipient_words(register: &Register, language: Language, id: &str) -> Option<String> {
    let x = register.recipients.iter().find(|x| x.id.as_str() == id)?;
    let mut about = vec![wording::recipient_kind(language, x.kind).to_owned()];
    if let Some(country) = x.country {
        about.push(wording::country(language, country));
    }
    if let Some(transfer) = &x.transfer {
        about.push(wording::transfer_mechanism(language, transfer.mechanism).to_owned());
    }
    Some(format!("{} ({})", x.name.get(language), about.join(", ")))
}

/// An identity kind's name in `language`.
fn identity_label(kind: &str, language: Language) -> String {
    let key = match kind {
        "email" => "centre.identity.email",
        "phone" => "centre.identity.phone",
        "personnummer" => "centre.identity.personnummer",
        "customer_number" => "centre.identity.customer_number",
        _ => return kind.to_owned(),
    };
    crate::console::i18n::text(key, language).to_owned()
}

/// The catalog key of a request type's name.
pub(crate) fn type_key(request_type: RequestType) -> &'static str {
    match request_type {
        RequestType::Access => "centre.type.access",
        RequestType::Portability => "centre.type.portability",
        RequestType::Rectification => "centre.type.rectification",
        RequestType::Erasure => "centre.type.erasure",
        RequestType::Restriction => "centre.type.restriction",
        RequestType::Objection => "centre.type.objection",
        RequestType::WithdrawConsent => "centre.type.withdraw_consent",
        RequestType::MarketingOptOut => "centre.type.marketing_opt_out",
        RequestType::SafeguardCopy => "centre.type.safeguard_copy",
        RequestType::Complaint => "centre.type.complaint",
    }
}

/// The catalog key of a request state as the person reads it.
pub(crate) fn state_key(state: RequestState) -> &'static str {
    match state {
        RequestState::Received => "centre.state.received",
        RequestState::Verifying => "centre.state.verifying",
        RequestState::Verified => "centre.state.verified",
        RequestState::InProgress => "centre.state.in_progress",
        RequestState::Completed => "centre.state.completed",
        RequestState::Rejected => "centre.state.rejected",
    }
}

/// The catalog key of a letter's kind, or `None` for a kind the catalog does not name.
pub(crate) fn letter_key(kind: &str) -> Option<&'static str> {
    Some(match kind {
        "received" => "centre.letter.received",
        "verification_code" => "centre.letter.verification_code",
        "completed" => "centre.letter.completed",
        "extension" => "centre.letter.extension",
        "rejection" => "centre.letter.rejection",
        "recipient_notice" => "centre.letter.recipient_notice",
        "restriction_lifting" => "centre.letter.restriction_lifting",
        _ => return None,
    })
}

/// The catalog key of how a consent was given, or `None` for a method the catalog does not
/// name.
fn method_key(method: &str) -> Option<&'static str> {
    Some(match method {
        "web_form" => "centre.method.web_form",
        "banner" => "centre.method.banner",
        "email" => "centre.method.email",
        "api" => "centre.method.api",
        "import" => "centre.method.import",
        "admin" => "centre.method.admin",
        "unsubscribe_link" => "centre.method.unsubscribe_link",
        _ => return None,
    })
}

/// A consent as the page shows it.
#[derive(Debug, Clone)]
pub(crate) struct ConsentView {
    /// The consent.
    pub(crate) consent: CentreConsent,
    /// How it was given, in words.
    pub(crate) method: String,
}

/// A marketing choice as the form shows it.
#[derive(Debug, Clone)]
pub(crate) struct PreferenceView {
    /// `channel.email`: the checkbox's value.
    pub(crate) key: String,
    /// `channel.email.in|out|unset`: what the form was shown with.
    pub(crate) shown: String,
    /// The label.
    pub(crate) label: String,
    /// Opted in.
    pub(crate) checked: bool,
    /// When last changed.
    pub(crate) at: Option<Timestamp>,
}

/// A request in the list, with its words.
#[derive(Debug, Clone)]
pub(crate) struct RequestRow {
    /// The request.
    pub(crate) request: CentreRequest,
    /// Its type's catalog key.
    pub(crate) type_key: &'static str,
    /// Its state's catalog key.
    pub(crate) state_key: &'static str,
}

impl From<CentreRequest> for RequestRow {
    fn from(request: CentreRequest) -> RequestRow {
        RequestRow {
            type_key: type_key(request.request_type),
            state_key: state_key(request.state),
            request,
        }
    }
}

/// A request the person can start, with its explanation.
#[derive(Debug, Clone)]
pub(crate) struct Ask {
    /// Where its form is.
    pub(crate) href: String,
    /// The catalog key of its name.
    pub(crate) label: &'static str,
    /// The catalog key of what it does.
    pub(crate) about: &'static str,
}

/// Every request the person can start from the page.
pub(crate) fn asks() -> Vec<Ask> {
    RequestType::ALL
        .into_iter()
        .filter(|t| t.concerns_own_data())
        .map(|t| Ask {
            href: format!("/privacy-centre/me/ask/{}", t.as_str()),
            label: type_key(t),
            about: match t {
                RequestType::Access => "centre.about.access",
                RequestType::Portability => "centre.about.portability",
                RequestType::Rectification => "centre.about.rectification",
                RequestType::Erasure => "centre.about.erasure",
                RequestType::Restriction => "centre.about.restriction",
                RequestType::Objection => "centre.about.objection",
                RequestType::WithdrawConsent => "centre.about.withdraw_consent",
                RequestType::MarketingOptOut => "centre.about.marketing_opt_out",
                RequestType::SafeguardCopy => "centre.about.safeguard_copy",
                RequestType::Complaint => "centre.about.complaint",
            },
        })
        .collect()
}

/// The personal page's template.
#[derive(Template)]
#[template(path = "centre/personal.html")]
pub(crate) struct PersonalPage {
    pub(crate) frame: CentreFrame,
    pub(crate) data: Explained,
    pub(crate) portable: bool,
    pub(crate) consents: Vec<ConsentView>,
    pub(crate) channels: Vec<PreferenceView>,
    pub(crate) interests: Vec<PreferenceView>,
    pub(crate) objectable: Vec<Objectable>,
    pub(crate) requests: Vec<RequestRow>,
    pub(crate) asks: Vec<Ask>,
}

impl PersonalPage {
    /// The page of `overview` in `frame`'s language.
    pub(crate) fn of(frame: CentreFrame, overview: Overview, register: &Register) -> PersonalPage {
        let language = frame.language;
        let consents = overview
            .consents
            .into_iter()
            .map(|consent| ConsentView {
                method: method_key(&consent.method).map_or_else(
                    || consent.method.clone(),
                    |key| crate::console::i18n::text(key, language).to_owned(),
                ),
                consent,
            })
            .collect();
        let (mut channels, mut interests) = (Vec::new(), Vec::new());
        for p in overview.preferences {
            let key = format!("{}.{}", p.kind, p.name);
            let state = match p.opted_in {
                Some(true) => "in",
                Some(false) => "out",
                None => "unset",
            };
            let view = PreferenceView {
                shown: format!("{key}.{state}"),
                key,
                label: p.label,
                checked: p.opted_in == Some(true),
                at: p.at,
            };
            if p.kind == "channel" {
                channels.push(view);
            } else {
                interests.push(view);
            }
        }
        PersonalPage {
            data: explain(&overview.package, register, language),
            portable: overview.portable,
            consents,
            channels,
            interests,
            objectable: overview.objectable,
            requests: overview
                .requests
                .into_iter()
                .map(RequestRow::from)
                .collect(),
            asks: asks(),
            frame,
        }
    }
}

/// `GET /privacy-centre/me`: the personal page.
pub(crate) async fn page(
    State(state): State<AppState>,
    signed: Signed,
) -> Result<Response, Refusal> {
    let overview = state
        .centre()
        .overview(&signed.visit.client, &signed.person, signed.visit.now)
        .await?;
    let frame = signed.frame(&state, "centre.me.title");
    let page = PersonalPage::of(frame, overview, &state.register.register);
    Ok(render(signed.visit.language, &page)?)
}

/// `GET /privacy-centre/me/download/{format}` (`json`, `html`, `zip`): the person's data as a
/// file to keep.
pub(crate) async fn download(
    State(state): State<AppState>,
    signed: Signed,
    Path(format): Path<String>,
) -> Result<Response, Refusal> {
    let format = match format.as_str() {
        "json" => DownloadFormat::Json,
        "html" => DownloadFormat::Html,
        "zip" => DownloadFormat::PortableZip,
        _ => return Err(ConsoleError::NotFound.into()),
    };
    let file = state
        .centre()
        .download(
            &signed.visit.client,
            &signed.person,
            format,
            signed.visit.now,
        )
        .await?;
    let filename: String = file
        .filename
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .collect();
    let mut response = file.bytes.into_response();
    let h = response.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static(file.media_type));
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        h.insert(CONTENT_DISPOSITION, value);
    }
    // The HTML copy, if a browser ever shows it from here: its own style, nothing else.
    h.insert(
        CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; sandbox"),
    );
    Ok(response)
}

/// A form naming one purpose.
#[derive(Debug, Deserialize)]
pub(crate) struct PurposeForm {
    purpose: String,
}

/// `POST /privacy-centre/me/consents/withdraw`: withdraw one consent, at once.
pub(crate) async fn withdraw(
    State(state): State<AppState>,
    SignedForm(signed, form): SignedForm<PurposeForm>,
) -> Result<Response, Refusal> {
    state
        .centre()
        .withdraw_consent(
            &signed.visit.client,
            &signed.person,
            &form.purpose,
            signed.visit.now,
        )
        .await?;
    Ok(redirect_with(
        &format!("{PERSONAL_PATH}#consents"),
        Flash::done("centre.flash.withdrawn"),
    ))
}

/// `POST /privacy-centre/me/objections`: object to a purpose.
pub(crate) async fn object(
    State(state): State<AppState>,
    SignedForm(signed, form): SignedForm<PurposeForm>,
) -> Result<Response, Refusal> {
    state
        .centre()
        .object(
            &signed.visit.client,
            &signed.person,
            &form.purpose,
            signed.visit.now,
        )
        .await?;
    Ok(redirect_with(
        &format!("{PERSONAL_PATH}#objections"),
        Flash::done("centre.flash.objected"),
    ))
}

/// The changes a marketing form asks for: each choice `shown` (`kind.name.in|out|unset`)
/// whose box now says otherwise, as `(kind, name, opted_in)`. A choice never made and still
/// unticked stays unmade.
pub(crate) fn preference_changes(pairs: &[(String, String)]) -> Vec<(String, String, bool)> {
    let ticked: Vec<&str> = pairs
        .iter()
        .filter(|(name, _)| name == "on")
        .map(|(_, value)| value.as_str())
        .collect();
    pairs
        .iter()
        .filter(|(name, _)| name == "shown")
        .filter_map(|(_, value)| {
            let (key, before) = value.rsplit_once('.')?;
            let (kind, name) = key.split_once('.')?;
            let now = ticked.contains(&key);
            let changed = match before {
                "in" => !now,
                "out" => now,
                "unset" => now,
                _ => false,
            };
            changed.then(|| (kind.to_owned(), name.to_owned(), now))
        })
        .collect()
}

/// `POST /privacy-centre/me/preferences`: the marketing choices as ticked.
pub(crate) async fn preferences(
    State(state): State<AppState>,
    SignedForm(signed, pairs): SignedForm<Vec<(String, String)>>,
) -> Result<Response, Refusal> {
    for (kind, name, opted_in) in preference_changes(&pairs) {
        state
            .centre()
            .set_preference(
                &signed.visit.client,
                &signed.person,
                &kind,
                &name,
                opted_in,
                signed.visit.now,
            )
            .await?;
    }
    Ok(redirect_with(
        &format!("{PERSONAL_PATH}#marketing"),
        Flash::done("centre.flash.preferences"),
    ))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
            .collect()
    }

    #[test]
    fn only_changed_choices_are_sent() {
        let form = pairs(&[
            ("_csrf", "x"),
            ("shown", "channel.email.in"),
            ("shown", "channel.sms.out"),
            ("shown", "interest.product_news.unset"),
            ("shown", "interest.events.unset"),
            ("on", "channel.sms"),
            ("on", "interest.product_news"),
        ]);
        assert_eq!(
            preference_changes(&form),
            vec![
                ("channel".to_owned(), "email".to_owned(), false),
                ("channel".to_owned(), "sms".to_owned(), true),
                ("interest".to_owned(), "product_news".to_owned(), true),
            ]
        );
        assert!(preference_changes(&pairs(&[("shown", "nonsense")])).is_empty());
    }
}
