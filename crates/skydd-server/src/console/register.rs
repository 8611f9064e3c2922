//! The register in the console (issue 17): the version loaded and its warnings, the notice in
//! English and Swedish, the version history with a diff between any two versions, and the
//! Art. 30 record downloaded through the staff session. Everything needs `RegisterRead`.
//!
//! The notice preview links to the public notice (`/privacy?lang=en|sv`) and each archived
//! version, rather than copying the notice into the console: it is a document of its own with
//! its own style, and the public page is exactly what people read.

use askama::Template;
use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;
use skydd_app::history::{self, HistoryVersion};
use skydd_notice::{ChangeKind, RegisterDiff};
use skydd_register::Register;
use skydd_register::model::{Choice as _, Language};
use skydd_staff::permission::Permission;

use super::frame::{Frame, Section};
use super::render::{ConsoleError, render};
use super::session::ConsoleUser;
use crate::api::notice::{RecordFormat, notice_paths, record_response};
use crate::problem::ApiError;
use crate::state::AppState;

/// The register's routes.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/register", get(page))
        .route("/console/register/diff", get(diff_page))
        .route("/console/register/record", get(record))
}

/// A warning of the register check, as the page lists it.
struct WarningRow {
    code: &'static str,
    at: String,
    message: String,
    help: Option<String>,
}

/// One version in the history table.
struct VersionRow {
    digest: String,
    version: String,
    published: String,
    took_effect: String,
    replaced_at: Option<String>,
    current: bool,
    readable: bool,
    archived_en: String,
    archived_sv: String,
    significant: Option<usize>,
}

#[derive(Template)]
#[template(path = "console/register.html")]
struct RegisterPage {
    frame: Frame,
    digest: String,
    version: String,
    published: String,
    loaded_at: Option<String>,
    source: String,
    warnings: Option<Vec<WarningRow>>,
    notice_en: String,
    notice_sv: String,
    history_url: String,
    versions: Vec<VersionRow>,
    /// The versions to choose from in the diff form: (digest, label), newest first.
    choices: Vec<(String, String)>,
    /// Preselected in the diff form: the version before the current one, and the current one.
    default_old: String,
    default_new: String,
}

async fn page(State(state): State<AppState>, user: ConsoleUser) -> Result<Response, ConsoleError> {
    user.require(Permission::RegisterRead)?;
    let language = user.language;
    let loaded = &state.register;
    let versions = history::load(&*state.storage).await?;
    let paths = notice_paths();
    let rows: Vec<VersionRow> = versions
        .iter()
        .map(|v| VersionRow {
            digest: v.version.digest.clone(),
            version: v.version.notice_version().to_owned(),
            published: v
                .version
                .published
                .map(|d| d.to_string())
                .unwrap_or_default(),
            took_effect: super::i18n::time(v.version.first_loaded_at),
            replaced_at: v.replaced_at.map(super::i18n::time),
            current: v.version.digest == loaded.digest,
            readable: v.version.register.is_ok(),
            archived_en: paths.version_in(v.version.notice_version(), Language::En),
            archived_sv: paths.version_in(v.version.notice_version(), Language::Sv),
            significant: v.diff.as_ref().map(|d| d.significant().count()),
        })
        .collect();
    let current = versions
        .iter()
        .position(|v| v.version.digest == loaded.digest);
    let default_new = loaded.digest.clone();
    let default_old = current
        .and_then(|i| versions.get(i + 1))
        .map_or_else(|| default_new.clone(), |v| v.version.digest.clone());
    let warnings = loaded.warnings.as_ref().map(|warnings| {
        warnings
            .iter()
            .map(|d| WarningRow {
                code: d.code,
                at: format!("{}:{}", d.line, d.column),
                message: d.message.clone(),
                help: d.help.clone(),
            })
            .collect()
    });
    let page = RegisterPage {
        frame: user.frame(Section::Register, "register.title"),
        digest: loaded.digest.clone(),
        version: loaded.digest.get(..12).unwrap_or(&loaded.digest).to_owned(),
        published: loaded.register.published.to_string(),
        loaded_at: current.map(|i| super::i18n::time(versions[i].version.first_loaded_at)),
        source: loaded.source_name.clone(),
        warnings,
        notice_en: paths.notice_in(Language::En),
        notice_sv: paths.notice_in(Language::Sv),
        history_url: paths.history_in(language),
        choices: choices(&versions),
        versions: rows,
        default_old,
        default_new,
    };
    render(language, &page)
}

/// The versions as the diff form offers them: digest and "version (published)".
fn choices(versions: &[HistoryVersion]) -> Vec<(String, String)> {
    versions
        .iter()
        .map(|v| {
            let published = v
                .version
                .published
                .map(|d| format!(" ({d})"))
                .unwrap_or_default();
            (
                v.version.digest.clone(),
                format!("{}{published}", v.version.notice_version()),
            )
        })
        .collect()
}

/// The query of the diff: the two versions' digests.
#[derive(Debug, Deserialize)]
struct DiffQuery {
    old: String,
    new: String,
}

/// One change in the diff table.
struct ChangeRow {
    section: &'static str,
    subject: String,
    kind: &'static str,
    field: String,
    old: String,
    new: String,
    significance: Option<&'static str>,
}

#[derive(Template)]
#[template(path = "console/register_diff.html")]
struct DiffPage {
    frame: Frame,
    old_label: String,
    new_label: String,
    changes: Vec<ChangeRow>,
    significant: usize,
    consents_to_renew: Vec<String>,
    published_unchanged: bool,
    choices: Vec<(String, String)>,
    old: String,
    new: String,
}

async fn diff_page(
    State(state): State<AppState>,
    user: ConsoleUser,
    query: Result<Query<DiffQuery>, QueryRejection>,
) -> Result<Response, ConsoleError> {
    user.require(Permission::RegisterRead)?;
    let Query(query) = query.map_err(|_| ConsoleError::BadForm)?;
    let versions = history::load(&*state.storage).await?;
    let find = |digest: &str| {
        versions
            .iter()
            .find(|v| v.version.digest == digest)
            .ok_or(ConsoleError::NotFound)
    };
    let (old, new) = (find(&query.old)?, find(&query.new)?);
    // A damaged stored version cannot be compared: the problem names it (the history marks it).
    let old_register = old
        .version
        .register
        .as_ref()
        .map_err(|e| ApiError::from(e.clone()))?;
    let new_register = new
        .version
        .register
        .as_ref()
        .map_err(|e| ApiError::from(e.clone()))?;
    let diff = skydd_notice::diff(old_register, new_register);
    let language = user.language;
    let page = DiffPage {
        frame: user.frame(Section::Register, "register.diff.title"),
        old_label: label(old),
        new_label: label(new),
        changes: change_rows(&diff, old_register, new_register, language),
        significant: diff.significant().count(),
        consents_to_renew: diff
            .consent_renewal_needed()
            .map(|p| p.as_str().to_owned())
            .collect(),
        published_unchanged: diff.published_unchanged(),
        choices: choices(&versions),
        old: query.old,
        new: query.new,
    };
    render(language, &page)
}

fn label(version: &HistoryVersion) -> String {
    match version.version.published {
        Some(published) => format!("{} ({published})", version.version.notice_version()),
        None => version.version.notice_version().to_owned(),
    }
}

fn change_rows(
    diff: &RegisterDiff,
    old: &Register,
    new: &Register,
    language: Language,
) -> Vec<ChangeRow> {
    diff.changes
        .iter()
        .map(|change| ChangeRow {
            section: change.section,
            subject: skydd_notice::history::subject_of(change, old, new, language),
            kind: match change.kind {
                ChangeKind::Added => "register.diff.added",
                ChangeKind::Removed => "register.diff.removed",
                ChangeKind::Changed => "register.diff.changed",
            },
            field: change.field.clone().unwrap_or_default(),
            old: change.old.clone().unwrap_or_default(),
            new: change.new.clone().unwrap_or_default(),
            significance: change
                .significance
                .map(|s| skydd_notice::history::significance(language, s)),
        })
        .collect()
}

/// The query of the record download.
#[derive(Debug, Deserialize)]
struct RecordQuery {
    format: Option<RecordFormat>,
    lang: Option<String>,
}

/// The Art. 30 record as a file to save, in the format and language asked for: the same
/// document as `GET /v1/register/record`, through the staff session.
async fn record(
    State(state): State<AppState>,
    user: ConsoleUser,
    query: Result<Query<RecordQuery>, QueryRejection>,
) -> Result<Response, ConsoleError> {
    user.require(Permission::RegisterRead)?;
    let Query(query) = query.map_err(|_| ConsoleError::BadForm)?;
    let language = match query.lang.as_deref() {
        None => user.language,
        Some(word) => Language::ALL
            .iter()
            .find(|(w, _)| *w == word)
            .map(|(_, l)| *l)
            .ok_or(ConsoleError::BadForm)?,
    };
    let format = query.format.unwrap_or(RecordFormat::Csv);
    Ok(record_response(&state, format, language, true))
}
