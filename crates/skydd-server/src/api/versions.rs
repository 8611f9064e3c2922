//! `GET /privacy/versions`: the public version history of the notice, and
//! `GET /privacy/versions/{version}`: an archived version, as it was (P000-68, P001-04).
//!
//! Both are public, like `/privacy`, in English or Swedish, HTML without script (the history
//! also as JSON). Every version a server ever loaded is listed, newest first, with its
//! `published` date, when it took effect (first loaded) and until when, and its significant
//! changes compared with the version before. An archived notice is written from the stored
//! register of that version, with a line at the top saying that it is archived.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use skydd_notice::{InEffect, VersionChanges, VersionEntry};
use skydd_register::model::{Choice as _, Language};
use utoipa::{IntoParams, ToSchema};

use crate::api::notice::{DIGEST_HEADER, NoticeFormat, NoticeQuery, notice_language, notice_paths};
use crate::extract::{ApiPath, ApiQuery};
use crate::limit::{Limited, route};
use crate::page::{Caching, page_headers};
use crate::problem::{ApiError, Problem};
use crate::state::AppState;
use skydd_app::history::{self, HistoryVersion, StoredVersion};

/// The format of the version history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum HistoryFormat {
    /// A complete HTML page (the default).
    Html,
    /// JSON ([`VersionsResponse`]).
    Json,
}

/// The query string of `GET /privacy/versions`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VersionsQuery {
    /// `en` or `sv`; without it, `Accept-Language` decides.
    #[param(schema_with = crate::page::language_schema)]
    pub lang: Option<Language>,
    /// `html` (default) or `json`.
    pub format: Option<HistoryFormat>,
}

/// A significant change, as listed in the history.
#[derive(Debug, Serialize, ToSchema)]
pub struct SignificantChange {
    /// The register section (`purposes`, `recipients` ...).
    pub section: String,
    /// The entry's id, for sections that are lists.
    pub id: Option<String>,
    /// `added`, `removed` or `changed`.
    pub kind: String,
    /// The changed key inside the entry.
    pub field: Option<String>,
    /// Why it is significant (`new_purpose`, `new_recipient`, `changed_legal_basis` ...).
    pub reason: String,
    /// The change in words, in the language asked for ("New recipient: Stripe").
    pub description: String,
}

/// What a version changed compared with the version before it.
#[derive(Debug, Serialize, ToSchema)]
pub struct VersionChangesResponse {
    /// How many changes there are in all.
    pub total: usize,
    /// The significant ones: people are told about them.
    pub significant: Vec<SignificantChange>,
    /// Purposes whose consent wording changed: consents given before need renewal.
    pub consents_to_renew: Vec<String>,
    /// The content changed but the `published` date did not.
    pub published_unchanged: bool,
}

/// One version of the notice.
#[derive(Debug, Serialize, ToSchema)]
pub struct VersionResponse {
    /// The notice version: the first 12 hex digits of the digest.
    #[schema(example = "3f1c9a0b7d22")]
    pub version: String,
    /// SHA-256 (hex) of the register's canonical content.
    pub digest: String,
    /// The register's `published` date ("last updated").
    #[schema(example = "2026-01-05")]
    pub published: Option<String>,
    /// When a server first loaded this version (RFC 3339, UTC).
    pub took_effect: String,
    /// When the next version took effect; absent for the latest.
    pub replaced_at: Option<String>,
    /// Whether this server serves this version now.
    pub current: bool,
    /// Whether the archived notice can be shown (its stored copy is intact).
    pub readable: bool,
    /// Where the archived notice is.
    pub url: String,
    /// The changes from the version before; absent for the first version, or when either
    /// version cannot be read.
    pub changes: Option<VersionChangesResponse>,
}

/// The version history as JSON.
#[derive(Debug, Serialize, ToSchema)]
pub struct VersionsResponse {
    /// The digest of the register this server serves now.
    pub current: String,
    /// `en` or `sv`: the language of the descriptions.
    pub language: String,
    /// Every recorded version, newest first.
    pub versions: Vec<VersionResponse>,
}

/// What one history version changed (`versions` newest first).
fn changes_of(versions: &[HistoryVersion], index: usize) -> VersionChanges<'_> {
    let entry = &versions[index];
    if entry.first {
        return VersionChanges::First;
    }
    // Newest first: the version before is the next one in the list.
    let old = versions
        .get(index + 1)
        .and_then(|b| b.version.register.as_ref().ok());
    match (
        old,
        entry.version.register.as_ref().ok(),
        entry.diff.as_ref(),
    ) {
        (Some(old), Some(new), Some(diff)) => VersionChanges::Diff { old, new, diff },
        _ => VersionChanges::Unavailable,
    }
}

fn entry<'a>(versions: &'a [HistoryVersion], index: usize, current: &str) -> VersionEntry<'a> {
    let version = &versions[index];
    VersionEntry {
        version: version.version.notice_version(),
        published: version.version.published,
        in_effect: InEffect {
            from: version.version.first_loaded_at,
            until: version.replaced_at,
            current: version.version.digest == current,
        },
        readable: version.version.register.is_ok(),
        changes: changes_of(versions, index),
    }
}

/// The snake_case word a unit enum serialises as.
fn word(value: impl Serialize) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(word)) => word,
        _ => String::new(),
    }
}

fn version_json(
    versions: &[HistoryVersion],
    index: usize,
    current: &str,
    language: Language,
) -> VersionResponse {
    let version = &versions[index];
    let changes = match changes_of(versions, index) {
        VersionChanges::Diff { old, new, diff } => Some(VersionChangesResponse {
            total: diff.changes.len(),
            significant: diff
                .significant()
                .filter_map(|c| {
                    let reason = c.significance?;
                    Some(SignificantChange {
                        section: c.section.to_owned(),
                        id: c.id.clone(),
                        kind: word(c.kind),
                        field: c.field.clone(),
                        reason: word(reason),
                        description: format!(
                            "{}: {}",
                            skydd_notice::history::significance(language, reason),
                            skydd_notice::history::subject_of(c, old, new, language)
                        ),
                    })
                })
                .collect(),
            consents_to_renew: diff
                .consent_renewal_needed()
                .map(|p| p.as_str().to_owned())
                .collect(),
            published_unchanged: diff.published_unchanged(),
        }),
        _ => None,
    };
    VersionResponse {
        version: version.version.notice_version().to_owned(),
        digest: version.version.digest.clone(),
        published: version.version.published.map(|d| d.to_string()),
        took_effect: version.version.first_loaded_at.to_string(),
        replaced_at: version.replaced_at.map(|t| t.to_string()),
        current: version.version.digest == current,
        readable: version.version.register.is_ok(),
        url: notice_paths().version_in(version.version.notice_version(), language),
        changes,
    }
}

/// The version history of the privacy notice: every version, newest first, with its date,
/// when it took effect and its significant changes (P000-68, P001-04).
#[utoipa::path(
    get,
    path = "/privacy/versions",
    tag = "notice",
    params(
        VersionsQuery,
        ("Accept-Language" = Option<String>, Header, description = "Without `lang`, the page \
            is in Swedish when this prefers `sv` and the register publishes in Swedish, \
            otherwise in English."),
    ),
    responses(
        (status = 200, description = "The history, newest first.",
            content((String = "text/html"), (VersionsResponse = "application/json"))),
        (status = 400, description = "An unknown language or format.", body = Problem,
            content_type = "application/problem+json"),
        (status = 429, description = "This address has asked for notices too often (60 at \
            once, then one a second); `Retry-After` says when to try again.", body = Problem,
            content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds until the next request is taken."))),
    )
)]
pub async fn versions(
    State(state): State<AppState>,
    _: Limited<route::Notice>,
    headers: HeaderMap,
    ApiQuery(query): ApiQuery<VersionsQuery>,
) -> Result<Response, ApiError> {
    let loaded = &state.register;
    let language = notice_language(&loaded.register, &headers, query.lang);
    let versions = history::load(&*state.storage).await?;
    let current = loaded.digest.as_str();
    let response = match query.format.unwrap_or(HistoryFormat::Html) {
        HistoryFormat::Html => {
            let entries: Vec<VersionEntry<'_>> = (0..versions.len())
                .map(|i| entry(&versions, i, current))
                .collect();
            let document =
                skydd_notice::history(&loaded.register, &entries, language, &notice_paths());
            let mut response = document.to_html().into_response();
            page_headers(
                response.headers_mut(),
                "text/html; charset=utf-8",
                language,
                Caching::Revalidate,
            );
            response
        }
        HistoryFormat::Json => {
            let body = VersionsResponse {
                current: current.to_owned(),
                language: language.word().to_owned(),
                versions: (0..versions.len())
                    .map(|i| version_json(&versions, i, current, language))
                    .collect(),
            };
            let mut response = axum::Json(body).into_response();
            page_headers(
                response.headers_mut(),
                "application/json",
                language,
                Caching::Revalidate,
            );
            response
        }
    };
    Ok(response)
}

/// Whether `version` has the syntax of a notice version (12 lower-case hex digits) or of a
/// full digest (64).
fn is_version_syntax(version: &str) -> bool {
    matches!(version.len(), 12 | 64)
        && version
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// One archived version of the privacy notice, written from the register of that version, as
/// it was; a line at the top says whether it is archived or current, and links to both.
#[utoipa::path(
    get,
    path = "/privacy/versions/{version}",
    tag = "notice",
    params(
        ("version" = String, Path, description = "The notice version (12 hex digits, as \
            listed in the history) or the full digest."),
        NoticeQuery,
    ),
    responses(
        (status = 200, description = "The archived notice.",
            content((String = "text/html"), (String = "text/markdown"))),
        (status = 400, description = "An unknown language or format.", body = Problem,
            content_type = "application/problem+json"),
        (status = 404, description = "No recorded version has this id.", body = Problem,
            content_type = "application/problem+json"),
        (status = 429, description = "This address has asked for notices too often (60 at \
            once, then one a second); `Retry-After` says when to try again.", body = Problem,
            content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds until the next request is taken."))),
    )
)]
pub async fn version(
    State(state): State<AppState>,
    _: Limited<route::Notice>,
    headers: HeaderMap,
    ApiPath(version): ApiPath<String>,
    ApiQuery(query): ApiQuery<NoticeQuery>,
) -> Result<Response, ApiError> {
    if !is_version_syntax(&version) {
        return Err(ApiError::UnknownNoticeVersion);
    }
    // Only the version asked for is rebuilt; the list gives when it applied.
    let records = state.storage.list_register_versions().await?;
    let index = records
        .iter()
        .position(|r| r.digest.starts_with(&version))
        .ok_or(ApiError::UnknownNoticeVersion)?;
    let applied = InEffect {
        from: records[index].first_loaded_at,
        until: records.get(index + 1).map(|next| next.first_loaded_at),
        current: records[index].digest == state.register.digest,
    };
    let found = StoredVersion::rebuild(records[index].clone());
    let register = found.register?;
    let language = notice_language(&register, &headers, query.lang);
    let document = skydd_notice::archived_notice(&register, language, applied, &notice_paths());
    let (body, content_type) = match query.format.unwrap_or(NoticeFormat::Html) {
        NoticeFormat::Html => (document.to_html(), "text/html; charset=utf-8"),
        NoticeFormat::Md => (document.to_markdown(), "text/markdown; charset=utf-8"),
    };
    let mut response = (StatusCode::OK, body).into_response();
    page_headers(
        response.headers_mut(),
        content_type,
        language,
        Caching::Revalidate,
    );
    // A digest is lower-case hex: always a valid header value.
    if let Ok(value) = HeaderValue::from_str(&found.digest) {
        response.headers_mut().insert(DIGEST_HEADER, value);
    }
    Ok(response)
}
