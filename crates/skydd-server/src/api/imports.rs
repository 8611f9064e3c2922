//! `POST /v1/imports`: a bulk import of consents, objections, preferences and records from
//! another system (issue 19), the body read as it arrives (JSON lines or CSV), each row checked
//! against the register, written in batches, resumable by its key.

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::header::CONTENT_TYPE;
use http_body_util::BodyExt as _;
use serde::{Deserialize, Serialize};
use skydd_vault::{
    ChunkFuture, DEFAULT_IMPORT_BATCH, ImportError, ImportFormat, ImportInput, ImportJob,
    ImportSummary, LineError, is_import_key,
};
use utoipa::{IntoParams, ToSchema};

use crate::auth::{Authorized, need};
use crate::extract::{ApiQuery, BodyError};
use crate::problem::{ApiError, Problem};
use crate::state::AppState;

/// The most bytes one request's body may hold: 1 GiB. Split a larger file (each part with its
/// own key), or use `skydd import` on the server.
pub const MAX_IMPORT_BYTES: u64 = 1 << 30;

/// The header that may carry the import's key instead of `?key=`.
const KEY_HEADER: &str = "idempotency-key";

/// The query of `POST /v1/imports`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// The import's key: 1 to 128 ASCII letters, digits, `.`, `_`, `-` or `:` (for example
    /// the SHA-256 of the file). Sending the same key again continues the import after its
    /// last committed line. May be sent as the `Idempotency-Key` header instead.
    #[param(pattern = "^[A-Za-z0-9._:-]{1,128}$")]
    pub key: Option<String>,
}

/// A refused row.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportLineError {
    /// The row's (first) line, from 1.
    pub line: u64,
    /// The column or field concerned, when one is.
    pub field: Option<String>,
    /// What is wrong; never a value from the file.
    pub message: String,
    /// How to fix it.
    pub help: String,
}

/// What the import did in this request, and before it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"key": "crm-2026-12", "lines": 3, "already_done": 0, "imported": 2,
    "skipped": 1, "errors": [{"line": 3, "field": "at", "message":
    "`at` is before the GDPR applies (2018-05-25)", "help":
    "a consent or objection recorded under older law must be asked for again"}],
    "errors_left_out": 0, "imported_before": 0, "skipped_before": 0}))]
pub struct ImportResponse {
    /// The import's key.
    pub key: String,
    /// Lines in the body.
    pub lines: u64,
    /// Lines settled by earlier requests with this key, passed over.
    pub already_done: u64,
    /// Rows written by this request.
    pub imported: u64,
    /// Rows refused by this request.
    pub skipped: u64,
    /// The refused rows, in order (the first 1,000).
    pub errors: Vec<ImportLineError>,
    /// Refused rows not described in `errors`.
    pub errors_left_out: u64,
    /// Rows written by earlier requests with this key.
    pub imported_before: u64,
    /// Rows refused by earlier requests with this key.
    pub skipped_before: u64,
}

impl From<LineError> for ImportLineError {
    fn from(error: LineError) -> ImportLineError {
        ImportLineError {
            line: error.line,
            field: error.field,
            message: error.message,
            help: error.help,
        }
    }
}

impl From<ImportSummary> for ImportResponse {
    fn from(summary: ImportSummary) -> ImportResponse {
        ImportResponse {
            key: summary.id,
            lines: summary.lines,
            already_done: summary.already_done,
            imported: summary.imported,
            skipped: summary.skipped,
            errors: summary.errors.into_iter().map(Into::into).collect(),
            errors_left_out: summary.errors_left_out,
            imported_before: summary.imported_before,
            skipped_before: summary.skipped_before,
        }
    }
}

/// The request body as an [`ImportInput`]: chunks as they arrive, at most
/// [`MAX_IMPORT_BYTES`]; why reading stopped is kept for the answer.
struct BodyInput {
    body: Body,
    read: u64,
    failure: Option<BodyError>,
}

impl ImportInput for BodyInput {
    fn next_chunk(&mut self) -> ChunkFuture<'_> {
        Box::pin(async move {
            loop {
                let frame = match self.body.frame().await {
                    None => return Ok(None),
                    Some(Ok(frame)) => frame,
                    Some(Err(error)) => {
                        self.failure = Some(BodyError::of(&error));
                        return Err(std::io::Error::other("the request body could not be read"));
                    }
                };
                let Ok(data) = frame.into_data() else {
                    continue; // trailers
                };
                if data.is_empty() {
                    continue;
                }
                self.read += data.len() as u64;
                if self.read > MAX_IMPORT_BYTES {
                    self.failure = Some(BodyError::TooLarge);
                    return Err(std::io::Error::other("the request body is too large"));
                }
                return Ok(Some(data.to_vec()));
            }
        })
    }
}

/// Import consents, objections, preferences and records from another system: one item per
/// line (JSON lines) or per CSV row (see docs/import.md). Each row is checked against the
/// register; valid rows are written 500 to a transaction with their audit events; refused
/// rows are reported by line and skipped. Sending the same key again (after a 5xx, a timeout,
/// a lost connection) continues after the last committed line: no line is written twice.
#[utoipa::path(
    post,
    path = "/v1/imports",
    tag = "imports",
    security(("bearer" = [])),
    params(
        ImportQuery,
        ("Idempotency-Key" = Option<String>, Header, pattern = "^[A-Za-z0-9._:-]{1,128}$",
            description = "The import's key, when `?key=` is not given."),
    ),
    request_body(
        description = "JSON lines (`application/x-ndjson`) or CSV with a header line \
            (`text/csv`), at most 1 GiB.",
        content(
            (String = "application/x-ndjson"),
            (String = "text/csv"),
        ),
    ),
    responses(
        (status = 200, description = "The body was read to its end; `errors` lists the rows \
            refused.", body = ImportResponse),
        (status = 400, description = "A key that is not one (in the query or the header), or \
            a body that is neither JSON lines nor CSV.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid API token.", body = Problem,
            content_type = "application/problem+json"),
        (status = 403, description = "The token may not import (permission `import`).",
            body = Problem, content_type = "application/problem+json"),
        (status = 408, description = "The body did not arrive within the body-read timeout; \
            what was read before is committed: send it again with the same key.", body = Problem,
            content_type = "application/problem+json"),
        (status = 413, description = "The body is larger than 1 GiB; what was read before is \
            committed.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No key (neither `?key=` nor `Idempotency-Key`), two \
            different keys, or a CSV header that cannot be read.", body = Problem,
            content_type = "application/problem+json"),
    )
)]
pub async fn import(
    State(state): State<AppState>,
    Authorized(caller, _): Authorized<need::Import>,
    ApiQuery(query): ApiQuery<ImportQuery>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<ImportResponse>, ApiError> {
    let format = headers
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(ImportFormat::from_media_type)
        .ok_or_else(|| {
            ApiError::InvalidBody(
                "Send the body as JSON lines (`Content-Type: application/x-ndjson`) or CSV \
                 (`Content-Type: text/csv`)."
                    .to_owned(),
            )
        })?;
    // The key may come in the query or the header; one that is sent must have a key's form
    // (the document says so for both), and two must name the same import.
    let header = match headers.get(KEY_HEADER) {
        None => None,
        Some(value) => Some(
            value
                .to_str()
                .ok()
                .filter(|key| is_import_key(key))
                .map(str::to_owned)
                .ok_or_else(|| {
                    ApiError::InvalidHeader(
                        "`Idempotency-Key` is 1 to 128 ASCII letters, digits, `.`, `_`, `-` or \
                         `:`"
                        .to_owned(),
                    )
                })?,
        ),
    };
    let key = match (query.key, header) {
        (Some(query), Some(header)) if query != header => {
            return Err(ApiError::invalid(
                "`?key=` and the `Idempotency-Key` header name two different imports",
                "send the import's key one way, or the same key both ways",
            ));
        }
        (Some(key), _) | (None, Some(key)) => key,
        (None, None) => {
            // Both ways of sending the key are optional in the document, so a request without
            // either matches it: a rule of the route, answered 422, not a malformed query.
            return Err(ApiError::invalid(
                "the import has no key",
                "name the import with `?key=` or the `Idempotency-Key` header (e.g. the file's \
                 SHA-256), so that sending it again continues it",
            ));
        }
    };
    let mut input = BodyInput {
        body,
        read: 0,
        failure: None,
    };
    let job = ImportJob {
        id: key,
        format,
        input: &mut input,
        batch_rows: DEFAULT_IMPORT_BATCH,
    };
    let now = state.clock.now();
    match state
        .vault()
        .import(&caller.actor, job, &mut |_| {}, now)
        .await
    {
        Ok(summary) => Ok(Json(summary.into())),
        Err(ImportError::InvalidKey) => Err(ApiError::InvalidQuery(
            "`key` is 1 to 128 ASCII letters, digits, `.`, `_`, `-` or `:`".to_owned(),
        )),
        Err(ImportError::Header(error)) => Err(ApiError::invalid(
            format!("line {}: {}", error.line, error.message),
            error.help,
        )),
        Err(ImportError::Read(_)) => Err(input.failure.unwrap_or(BodyError::Unreadable).into()),
        Err(ImportError::Vault(error)) => Err(error.into()),
    }
}
