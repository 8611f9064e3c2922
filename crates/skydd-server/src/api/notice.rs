//! `GET /privacy`: the public privacy notice, written from the loaded register; and
//! `GET /v1/register/record`: the Art. 30 record of processing activities.
//!
//! The notice needs no login. Its language is `?lang=` when given, otherwise Swedish when
//! `Accept-Language` prefers it and the register publishes in Swedish, otherwise English. Its
//! version is the register's digest, also sent as the `Skydd-Register-Digest` header, so that
//! the public notice can be matched with `GET /v1/register` (P000-03).

use axum::extract::State;
use axum::http::header::{
    ACCEPT, CONTENT_DISPOSITION, CONTENT_LANGUAGE, CONTENT_TYPE, ETAG, IF_NONE_MATCH, VARY,
};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use skydd_register::model::{Choice as _, Language};
use utoipa::{IntoParams, ToSchema};

use crate::auth::{Authorized, need};
use crate::extract::ApiQuery;
use crate::limit::{Limited, route};
use crate::page::{self, Caching, page_headers};
use crate::problem::{ApiError, Problem};
use crate::state::AppState;

/// Where the public notice is served.
pub const PRIVACY_PATH: &str = "/privacy";

/// The header carrying the digest of the register a document was written from.
pub(crate) const DIGEST_HEADER: HeaderName = HeaderName::from_static("skydd-register-digest");

/// How `GET /privacy` writes the notice: the query's `format`, `html` or `md`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum NoticeFormat {
    /// A complete HTML page.
    Html,
    /// Markdown, served as `text/markdown`.
    Md,
}

/// The query string of `GET /privacy`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NoticeQuery {
    /// `en` or `sv`; without it, `Accept-Language` decides.
    #[param(schema_with = crate::page::language_schema)]
    pub lang: Option<Language>,
    /// `html` (default) or `md`.
    pub format: Option<NoticeFormat>,
    /// One of the register's `audiences` (the notice for them); without it, the first.
    #[param(value_type = Option<String>, pattern = "^[a-z][a-z0-9_]{0,63}$", example = "europe")]
    pub audience: Option<crate::extract::RegisterId>,
}

/// The privacy notice (GDPR Art. 13, 14), written from the register this server enforces.
#[utoipa::path(
    get,
    path = "/privacy",
    tag = "notice",
    params(
        NoticeQuery,
        ("Accept-Language" = Option<String>, Header, description = "Without `lang`, the notice \
            is in Swedish when this prefers `sv` and the register publishes in Swedish, \
            otherwise in English."),
    ),
    responses(
        (status = 200, description = "The notice. The `Skydd-Register-Digest` header names the \
            register version it was written from.",
            content((String = "text/html"), (String = "text/markdown"))),
        (status = 304, description = "`If-None-Match` names the current version: unchanged."),
        (status = 400, description = "An unknown language or format.", body = Problem,
            content_type = "application/problem+json"),
        (status = 422, description = "An audience the register does not declare.", body = Problem,
            content_type = "application/problem+json"),
        (status = 429, description = "This address has asked for notices too often (60 at \
            once, then one a second); `Retry-After` says when to try again.", body = Problem,
            content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds until the next request is taken."))),
    )
)]
pub async fn privacy(
    State(state): State<AppState>,
    _: Limited<route::Notice>,
    headers: HeaderMap,
    ApiQuery(query): ApiQuery<NoticeQuery>,
) -> Result<Response, ApiError> {
    let loaded = &state.register;
    let register = &loaded.register;
    let language = notice_language(register, &headers, query.lang);
    let format = query.format.unwrap_or(NoticeFormat::Html);
    let audience = match (&query.audience, register.audiences.first()) {
        (Some(asked), _) => Some(asked.as_str()),
        (None, Some(first)) => Some(first.id.as_str()),
        (None, None) => None,
    };
    let paths = notice_paths();
    let mut document = match audience {
        Some(audience) => skydd_notice::notice_for(register, language, audience)
            .ok_or_else(|| unknown_audience(register))?,
        None => skydd_notice::notice(register, language),
    };
    if let Some(audience) = audience {
        skydd_notice::link_audiences(&mut document, register, audience, &paths);
    }
    skydd_notice::link_history(&mut document, &paths);
    // The notice sends people to the privacy centre to use their rights (issue 18).
    skydd_notice::link_privacy_centre(&mut document, crate::centre::CENTRE_PATH);
    let (body, content_type, suffix) = match format {
        NoticeFormat::Html => (document.to_html(), "text/html; charset=utf-8", "html"),
        NoticeFormat::Md => (document.to_markdown(), "text/markdown; charset=utf-8", "md"),
    };
    let tag = language.word();
    let etag = match audience {
        Some(audience) => format!("\"{}-{audience}-{tag}-{suffix}\"", loaded.digest),
        None => format!("\"{}-{tag}-{suffix}\"", loaded.digest),
    };
    let unchanged = headers
        .get(IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|candidate| candidate.trim() == etag));
    let mut response = if unchanged {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        body.into_response()
    };
    let h = response.headers_mut();
    page_headers(h, content_type, language, Caching::Revalidate);
    // A digest is lower-case hex: always a valid header value.
    if let Ok(value) = HeaderValue::from_str(&loaded.digest) {
        h.insert(DIGEST_HEADER, value);
    }
    if let Ok(value) = HeaderValue::from_str(&etag) {
        h.insert(ETAG, value);
    }
    Ok(response)
}

/// The refusal of an `audience` the register does not declare, naming the ones it does.
fn unknown_audience(register: &skydd_register::Register) -> ApiError {
    let declared: Vec<String> = register
        .audiences
        .iter()
        .map(|a| format!("`{}`", a.id))
        .collect();
    ApiError::invalid(
        "`audience` is not one the register declares",
        if declared.is_empty() {
            "this register has one notice for everyone; leave `audience` out".to_owned()
        } else {
            format!("use one of {}", declared.join(", "))
        },
    )
}

/// Where the notice pages link to: `/privacy`, `/privacy/versions`.
pub(crate) fn notice_paths() -> skydd_notice::NoticePaths {
    skydd_notice::NoticePaths::under(PRIVACY_PATH)
}

/// The language of a public notice page: `?lang=` when given, otherwise Swedish when
/// `Accept-Language` prefers it and the register publishes in Swedish, otherwise English.
pub(crate) fn notice_language(
    register: &skydd_register::Register,
    headers: &HeaderMap,
    lang: Option<Language>,
) -> Language {
    page::negotiate(lang, headers, &register.languages)
}

/// The format of the Art. 30 record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum RecordFormat {
    /// JSON (the default).
    Json,
    /// CSV (RFC 4180), one row per processing activity.
    Csv,
    /// An HTML page, one table per processing activity.
    Html,
}

/// The query string of `GET /v1/register/record`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RecordQuery {
    /// `json`, `csv` or `html`; without it, `Accept` decides (`text/csv`, `text/html`), and
    /// JSON otherwise.
    pub format: Option<RecordFormat>,
    /// Language of the texts: `en` (default) or `sv`.
    #[param(schema_with = crate::page::language_schema)]
    pub lang: Option<Language>,
}

/// The record of processing activities (GDPR Art. 30) in JSON.
#[derive(Debug, Serialize, ToSchema)]
pub struct Art30RecordResponse {
    /// SHA-256 (hex) of the register the record was written from.
    pub digest: String,
    /// The register's `published` date.
    #[schema(example = "2026-01-05")]
    pub published: String,
    /// `en` or `sv`.
    pub language: String,
    /// One entry per processing activity, controller activities (Art. 30(1)) first, then
    /// processor activities (Art. 30(2)). Each has `id`, `role`, `name`, `controller`,
    /// `on_behalf_of`, `joint_controllers`, `representative`, `dpo`, `purpose`, `legal_basis`,
    /// `subjects`, `data_categories`, `recipients`, `transfers`, `retention` and `security`.
    #[schema(value_type = Vec<Object>)]
    pub activities: Vec<serde_json::Value>,
}

/// The record of processing activities (GDPR Art. 30(1) and 30(2)), written from the register.
/// Admins and auditors may read it.
#[utoipa::path(
    get,
    path = "/v1/register/record",
    tag = "register",
    security(("bearer" = [])),
    params(RecordQuery),
    responses(
        (status = 200, description = "The record: JSON, CSV or HTML.",
            content((Art30RecordResponse = "application/json"), (String = "text/csv"),
                (String = "text/html"))),
        (status = 400, description = "An unknown format or language.", body = Problem,
            content_type = "application/problem+json"),
        (status = 401, description = "No valid API token.", body = Problem,
            content_type = "application/problem+json"),
        (status = 403, description = "The caller does not hold `register_read`.", body = Problem,
            content_type = "application/problem+json"),
    )
)]
pub async fn get_record(
    State(state): State<AppState>,
    _: Authorized<need::RegisterRead>,
    headers: HeaderMap,
    ApiQuery(query): ApiQuery<RecordQuery>,
) -> Result<Response, ApiError> {
    let format = query.format.unwrap_or_else(|| {
        let accept = headers
            .get(ACCEPT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_ascii_lowercase();
        if accept.contains("text/csv") {
            RecordFormat::Csv
        } else if accept.contains("text/html") {
            RecordFormat::Html
        } else {
            RecordFormat::Json
        }
    });
    let language = query.lang.unwrap_or(Language::En);
    Ok(record_response(&state, format, language, false))
}

/// The Art. 30 record of the loaded register in `format` and `language`, with its headers (the
/// register digest, the language): the body of `GET /v1/register/record`, and of the console's
/// download, which asks for every format as an `attachment` to save.
pub(crate) fn record_response(
    state: &AppState,
    format: RecordFormat,
    language: Language,
    attachment: bool,
) -> Response {
    let register = &state.register.register;
    let record = skydd_notice::record_with_systems(register, language, &state.datasets().systems());
    let mut response = match format {
        RecordFormat::Json => (
            [(CONTENT_TYPE, "application/json")],
            record.to_json().to_string(),
        )
            .into_response(),
        RecordFormat::Csv => (
            [(CONTENT_TYPE, "text/csv; charset=utf-8; header=present")],
            record.to_csv(language),
        )
            .into_response(),
        RecordFormat::Html => {
            let mut page = record.to_html(register, language).into_response();
            page_headers(
                page.headers_mut(),
                "text/html; charset=utf-8",
                language,
                Caching::NoStore,
            );
            page
        }
    };
    let h = response.headers_mut();
    let disposition = match format {
        RecordFormat::Csv => Some("attachment; filename=\"art30-record.csv\""),
        RecordFormat::Json if attachment => Some("attachment; filename=\"art30-record.json\""),
        RecordFormat::Html if attachment => Some("attachment; filename=\"art30-record.html\""),
        _ => None,
    };
    if let Some(disposition) = disposition {
        h.insert(CONTENT_DISPOSITION, HeaderValue::from_static(disposition));
    }
    h.insert(CONTENT_LANGUAGE, HeaderValue::from_static(language.word()));
    h.insert(VARY, HeaderValue::from_static("Accept"));
    if let Ok(value) = HeaderValue::from_str(&state.register.digest) {
        h.insert(DIGEST_HEADER, value);
    }
    response
}
