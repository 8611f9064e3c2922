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

#[cfg(test)]
pub(crate) mod tests {
    use skydd_staff::permission::StaffRole;

    use super::*;
    use crate::console::frame::{FrameUser, navigation};

    /// The frame of a DPO's page in `language`, for rendering pages in tests.
    pub(crate) fn frame(language: Language, section: Section, title_key: &str) -> Frame {
        Frame {
            language,
            title: crate::console::i18n::text(title_key, language).to_owned(),
            user: Some(FrameUser {
                name: "dpo@example.se".into(),
                role: StaffRole::Dpo,
            }),
            nav: navigation(&StaffRole::Dpo.grants(), section, language),
            flash: None,
            csrf: "csrf-token".into(),
            query: String::new(),
        }
    }

    /// Render `template` and keep its snapshot beside the server's other snapshots.
    pub(crate) fn snapshot(name: &str, template: &impl Template) -> String {
        let html = template.render().unwrap();
        insta::with_settings!({ snapshot_path => "../../tests/snapshots/console_records" }, {
            insta::assert_snapshot!(name, html);
        });
        html
    }

    fn checked(source: &str) -> Register {
        skydd_register::check(source).register.unwrap()
    }

    #[test]
    fn the_register_page_in_both_languages() {
        for language in [Language::En, Language::Sv] {
            let paths = notice_paths();
            let page = RegisterPage {
                frame: frame(language, Section::Register, "register.title"),
                digest: "ab".repeat(32),
                version: "abababababab".into(),
                published: "2026-01-05".into(),
                loaded_at: Some("2026-03-01 10:00".into()),
                source: "/etc/skydd/register.yaml".into(),
                warnings: Some(vec![WarningRow {
                    code: "unused-declaration",
                    at: "12:3".into(),
                    message: "category <script>alert(1)</script> is declared but not used".into(),
                    help: Some("remove it".into()),
                }]),
                notice_en: paths.notice_in(Language::En),
                notice_sv: paths.notice_in(Language::Sv),
                history_url: paths.history_in(language),
                versions: vec![
                    VersionRow {
                        digest: "ab".repeat(32),
                        version: "abababababab".into(),
                        published: "2026-01-05".into(),
                        took_effect: "2026-03-01 10:00".into(),
                        replaced_at: None,
                        current: true,
                        readable: true,
                        archived_en: paths.version_in("abababababab", Language::En),
                        archived_sv: paths.version_in("abababababab", Language::Sv),
                        significant: Some(2),
                    },
                    VersionRow {
                        digest: "cd".repeat(32),
                        version: "cdcdcdcdcdcd".into(),
                        published: "2025-06-01".into(),
                        took_effect: "2025-06-02 09:00".into(),
                        replaced_at: Some("2026-03-01 10:00".into()),
                        current: false,
                        readable: false,
                        archived_en: paths.version_in("cdcdcdcdcdcd", Language::En),
                        archived_sv: paths.version_in("cdcdcdcdcdcd", Language::Sv),
                        significant: None,
                    },
                ],
                choices: vec![
                    ("ab".repeat(32), "abababababab (2026-01-05)".into()),
                    ("cd".repeat(32), "cdcdcdcdcdcd (2025-06-01)".into()),
                ],
                default_old: "cd".repeat(32),
                default_new: "ab".repeat(32),
            };
            let html = snapshot(&format!("register_{}", language.word()), &page);
            assert!(!html.contains("<script>alert"), "register text is escaped");
            assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
            assert!(html.contains("/console/register/record?format=csv&amp;lang=sv"));
        }
    }

    /// The diff of the example registers (`examples/registers/diff`): every change listed, the
    /// significant ones marked in words, not by colour alone.
    #[test]
    fn the_diff_page_marks_significant_changes() {
        let old = checked(include_str!("../../../../examples/registers/diff/old.yaml"));
        let new = checked(include_str!("../../../../examples/registers/diff/new.yaml"));
        let diff = skydd_notice::diff(&old, &new);
        assert!(diff.is_significant(), "the example has significant changes");
        for language in [Language::En, Language::Sv] {
            let changes = change_rows(&diff, &old, &new, language);
            assert_eq!(changes.len(), diff.changes.len());
            let page = DiffPage {
                frame: frame(language, Section::Register, "register.diff.title"),
                old_label: "0123456789ab (2025-01-01)".into(),
                new_label: "ba9876543210 (2026-01-01)".into(),
                significant: diff.significant().count(),
                changes,
                consents_to_renew: diff
                    .consent_renewal_needed()
                    .map(|p| p.as_str().to_owned())
                    .collect(),
                published_unchanged: diff.published_unchanged(),
                choices: Vec::new(),
                old: String::new(),
                new: String::new(),
            };
            let html = snapshot(&format!("register_diff_{}", language.word()), &page);
            let marked = html
                .matches(crate::console::i18n::text(
                    "register.diff.significant",
                    language,
                ))
                .count();
            // The column header names the word once; each significant change carries it.
            assert!(marked > diff.significant().count(), "{marked}");
        }
    }
}
