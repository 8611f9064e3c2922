//! Errors as HTTP responses: the one place where anything that went wrong becomes an RFC 9457
//! `application/problem+json` document.
//!
//! A problem tells the client what it can act on. Internal errors are logged here, at error
//! level, and reach the client only as a generic 500: no database message, no personal data.
//! A database lock held longer than the busy timeout is no error of the server's: it is a 503
//! with `Retry-After` saying the database is busy.
//!
//! 400 means the request does not match the OpenAPI document (a body that is not the JSON the
//! operation takes, a query string it cannot read); 422 means it matches the document but not
//! the register or the rules (an unknown purpose, a time before the GDPR applies, a wrong
//! one-time code). CI's Schemathesis run holds the server to this: a request the document
//! allows is never answered 400.

use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use skydd_crypto::CryptoError;
use skydd_staff::permission::Permission;
use skydd_storage::StorageError;
use skydd_vault::VaultError;
use utoipa::ToSchema;

use crate::key_reload::UnknownKeyVersion;

/// The media type of problem documents (RFC 9457).
pub const PROBLEM_JSON: &str = "application/problem+json";

/// The base of Skydd's problem type URIs.
const TYPE_BASE: &str = "https://skydd.dev/problems/";

/// The seconds a client is asked to wait before retrying when the database is busy: a held
/// write lock is usually released within a transaction's time.
const BUSY_RETRY_AFTER_SECONDS: &str = "1";

/// An RFC 9457 problem document, the body of every error response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(example = json!({
    "type": "https://skydd.dev/problems/unauthorized",
    "title": "Unauthorized",
    "status": 401,
    "detail": "This endpoint needs an API token: send `Authorization: Bearer TOKEN`."
}))]
pub struct Problem {
    /// A URI identifying the kind of problem; `about:blank` when the status says it all.
    #[serde(rename = "type")]
    pub problem_type: String,
    /// A short summary of the kind of problem.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What happened in this case, and what to do about it.
    pub detail: String,
    /// How to correct the request (invalid input only).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false, example = "use a purpose of the register")]
    pub help: Option<String>,
    /// The stable reason a use was denied (`consent_missing`, `objection` ...; see
    /// `GET /v1/decisions`). Only on `denied` problems.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false, example = "consent_missing")]
    pub code: Option<String>,
}

/// Everything a request can fail with. Handlers return `Result<_, ApiError>`.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// No `Authorization: Bearer` header.
    #[error("no API token")]
    MissingToken,
    /// A token that is malformed, unknown or revoked.
    #[error("invalid API token")]
    InvalidToken,
    /// A token that was valid until its expiry, which has passed.
    #[error("expired API token")]
    ExpiredToken,
    /// The caller may not do this (a refusal that names no permission).
    #[error("the caller may not do this")]
    Forbidden,
    /// The caller does not hold the permission the route requires.
    #[error("the caller lacks the permission {0:?}")]
    NotPermitted(Permission),
    /// The caller reads request data only in requests assigned to it, and this one is not.
    #[error("the request is not assigned to the caller")]
    NotAssigned,
    /// No route has this path.
    #[error("no such resource")]
    NotFound,
    /// The path exists, but not with this method.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// The request body is not the JSON this endpoint takes. The detail says where, never what.
    #[error("invalid request body: {0}")]
    InvalidBody(String),
    /// The body was not sent as `application/json`.
    #[error("request body is not JSON")]
    UnsupportedMediaType,
    /// The request body is larger than this endpoint reads: 413, said as a problem like every
    /// other refusal, not as the framework's plain text.
    #[error("request body too large")]
    PayloadTooLarge,
    /// The body did not arrive within the body-read timeout (`--body-timeout`): 408, and the
    /// connection is closed.
    #[error("request body timed out")]
    BodyTimeout,
    /// A public route's abuse limit ([`crate::limit::PublicLimits`]) was reached: 429 with
    /// `Retry-After` in whole seconds.
    #[error("too many requests")]
    TooManyRequests(crate::limit::RetryAfter),
    /// The query string is not what this endpoint takes. The detail says where, never what.
    #[error("invalid query string: {0}")]
    InvalidQuery(String),
    /// A request header the document describes does not have its form (the import's
    /// `Idempotency-Key`). The detail names the header, never its value.
    #[error("invalid header: {0}")]
    InvalidHeader(String),
    /// The request is well-formed, and matches the OpenAPI document, but does not fit the
    /// register or the rules (an unknown purpose, category or feature; a time before the GDPR
    /// applies): 422, where 400 means the request does not match the document. `what` and
    /// `help` name register ids and fields only, never a personal value.
    #[error("{what}")]
    Invalid {
        /// What is wrong.
        what: String,
        /// How to fix it.
        help: String,
    },
    /// The database cannot be reached (health checks).
    #[error("storage unavailable")]
    Unavailable(#[source] StorageError),
    /// A storage operation failed while serving a request.
    #[error("storage failed")]
    Storage(#[from] StorageError),
    /// A vault operation failed.
    #[error(transparent)]
    Vault(#[from] VaultError),
    /// No recorded version of the notice has this id.
    #[error("no such notice version")]
    UnknownNoticeVersion,
    /// A recorded register version cannot be read back (its stored row is damaged).
    #[error(transparent)]
    StoredVersion(#[from] skydd_app::history::StoredVersionError),
}

impl ApiError {
    /// An [`ApiError::Invalid`].
    pub fn invalid(what: impl Into<String>, help: impl Into<String>) -> ApiError {
        ApiError::Invalid {
            what: what.into(),
            help: help.into(),
        }
    }

    /// Whether this error is the database being busy (a lock held by another connection or
    /// process longer than the busy timeout): answered with 503 and `Retry-After`.
    pub fn is_busy(&self) -> bool {
        match self {
            ApiError::Storage(error) => matches!(error, StorageError::Busy(_)),
            ApiError::Vault(error) => error.is_busy(),
            _ => false,
        }
    }

    /// The problem document this error is sent as.
    pub fn problem(&self) -> Problem {
        let typed = |slug: &str| format!("{TYPE_BASE}{slug}");
        let blank = || "about:blank".to_owned();
        let problem =
            |status: StatusCode, problem_type: String, title: &str, detail: String| Problem {
                problem_type,
                title: title.to_owned(),
                status: status.as_u16(),
                detail,
                help: None,
                code: None,
            };
        let internal = || {
            problem(
                StatusCode::INTERNAL_SERVER_ERROR,
                blank(),
                "Internal Server Error",
                "The server could not complete the request. The error has been logged.".to_owned(),
            )
        };
        let invalid = |what: &str, help: &str| Problem {
            help: Some(help.to_owned()),
            ..problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                typed("invalid-request"),
                "Invalid request",
                what.to_owned(),
            )
        };
        if self.is_busy() {
            return problem(
                StatusCode::SERVICE_UNAVAILABLE,
                typed("busy"),
                "Database busy",
                "The database is busy with other writes and nothing was changed. Retry the request \
                 after the time in the Retry-After header."
                    .to_owned(),
            );
        }
        match self {
            ApiError::MissingToken => problem(
                StatusCode::UNAUTHORIZED,
                typed("unauthorized"),
                "Unauthorized",
                "This endpoint needs an API token: send `Authorization: Bearer TOKEN`.".to_owned(),
            ),
            ApiError::InvalidToken => problem(
                StatusCode::UNAUTHORIZED,
                typed("unauthorized"),
                "Unauthorized",
                "The API token is not valid: it is malformed, unknown or revoked.".to_owned(),
            ),
            ApiError::ExpiredToken => problem(
                StatusCode::UNAUTHORIZED,
                typed("expired-token"),
                "Expired token",
                "The API token has expired. Ask an administrator for a new one \
                 (`skydd token create --expires ...`)."
                    .to_owned(),
            ),
            ApiError::Forbidden => problem(
                StatusCode::FORBIDDEN,
                typed("forbidden"),
                "Forbidden",
                "The API token's role does not allow this operation.".to_owned(),
            ),
            ApiError::NotPermitted(permission) => problem(
                StatusCode::FORBIDDEN,
                typed("forbidden"),
                "Forbidden",
                format!(
                    "This operation needs the permission `{}`, which the caller's scopes or role \
                     do not grant. `skydd token create --help` lists what each role and scope \
                     may do.",
                    permission.as_str()
                ),
            ),
            ApiError::NotAssigned => problem(
                StatusCode::FORBIDDEN,
                typed("not-assigned"),
                "Not assigned",
                "The caller reads a request's personal data only when the request is assigned \
                 to it. Ask a DPO to assign it (`POST /v1/requests/{id}/assign`)."
                    .to_owned(),
            ),
            ApiError::NotFound => problem(
                StatusCode::NOT_FOUND,
                blank(),
                "Not Found",
                "There is no resource at this path. The API is described at /openapi.json.".to_owned(),
            ),
            ApiError::MethodNotAllowed => problem(
                StatusCode::METHOD_NOT_ALLOWED,
                blank(),
                "Method Not Allowed",
                "This resource does not support this method; the Allow header lists the ones it does."
                    .to_owned(),
            ),
            ApiError::InvalidBody(detail) => problem(
                StatusCode::BAD_REQUEST,
                typed("invalid-body"),
                "Invalid request body",
                detail.clone(),
            ),
            ApiError::UnsupportedMediaType => problem(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                typed("unsupported-media-type"),
                "Unsupported Media Type",
                "Send the request body as JSON, with `Content-Type: application/json`.".to_owned(),
            ),
            ApiError::PayloadTooLarge => problem(
                StatusCode::PAYLOAD_TOO_LARGE,
                typed("payload-too-large"),
                "Payload Too Large",
                "The request body is larger than this endpoint reads: an identity document may \
                 be up to 10 MiB, a banner choice up to 8 KiB, another JSON body up to 2 MiB."
                    .to_owned(),
            ),
            ApiError::BodyTimeout => problem(
                StatusCode::REQUEST_TIMEOUT,
                typed("body-timeout"),
                "Request Timeout",
                "The request body did not arrive in time; the connection is closed. Send it \
                 again over a faster connection."
                    .to_owned(),
            ),
            ApiError::TooManyRequests(crate::limit::RetryAfter(seconds)) => problem(
                StatusCode::TOO_MANY_REQUESTS,
                typed("too-many-requests"),
                "Too Many Requests",
                format!(
                    "This address or identity has asked too often; try again in {seconds} s \
                     (the `Retry-After` header says the same)."
                ),
            ),
            ApiError::InvalidQuery(detail) => problem(
                StatusCode::BAD_REQUEST,
                typed("invalid-query"),
                "Invalid query string",
                detail.clone(),
            ),
            ApiError::InvalidHeader(detail) => problem(
                StatusCode::BAD_REQUEST,
                typed("invalid-header"),
                "Invalid header",
                detail.clone(),
            ),
            ApiError::Invalid { what, help } => invalid(what, help),
            ApiError::Unavailable(_) => problem(
                StatusCode::SERVICE_UNAVAILABLE,
                typed("unavailable"),
                "Service Unavailable",
                "The server cannot reach its database.".to_owned(),
            ),
            ApiError::Storage(_) | ApiError::StoredVersion(_) => internal(),
            ApiError::UnknownNoticeVersion => problem(
                StatusCode::NOT_FOUND,
                typed("unknown-notice-version"),
                "Unknown notice version",
                "There is no recorded version of the notice with this id; the versions are listed at /privacy/versions.".to_owned(),
            ),
            ApiError::Vault(error) => match error {
                VaultError::UnknownSubject => problem(
                    StatusCode::NOT_FOUND,
                    typed("unknown-subject"),
                    "Unknown subject",
                    "There is no such subject, or none this API token may reach.".to_owned(),
                ),
                VaultError::UnknownIncident => problem(
                    StatusCode::NOT_FOUND,
                    typed("unknown-incident"),
                    "Unknown incident",
                    "There is no incident with this id.".to_owned(),
                ),
                VaultError::Invalid { what, help } => invalid(what, help),
                VaultError::UnknownRequest => problem(
                    StatusCode::NOT_FOUND,
                    typed("unknown-request"),
                    "Unknown request",
                    "There is no such request, or none this API token may reach.".to_owned(),
                ),
                VaultError::RequestState { what, help } => Problem {
                    help: Some(help.clone()),
                    ..problem(
                        StatusCode::CONFLICT,
                        typed("request-state"),
                        "Not possible in the request's state",
                        what.clone(),
                    )
                },
                VaultError::Verification(error) => Problem {
                    help: Some(
                        "ask for a new request if the code expired or the attempts are used up"
                            .to_owned(),
                    ),
                    ..problem(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        typed("verification-failed"),
                        "Verification failed",
                        format!("The code was not accepted: {error}."),
                    )
                },
                VaultError::IdentityTaken { kind } => problem(
                    StatusCode::CONFLICT,
                    typed("identity-taken"),
                    "Identity already in use",
                    format!(
                        "Another subject already has an identity of kind `{kind}` with this value."
                    ),
                ),
                VaultError::Denied { code, explanation } => Problem {
                    code: Some(code.as_str().to_owned()),
                    ..problem(
                        StatusCode::FORBIDDEN,
                        typed("denied"),
                        "Not allowed by the register",
                        explanation.clone(),
                    )
                },
                VaultError::Storage(_)
                | VaultError::Crypto(_)
                | VaultError::Random(_)
                | VaultError::Corrupt(_) => internal(),
            },
        }
    }

    /// Log what the client is not told: internal errors, at error level, each kind at most
    /// once a minute ([`FAILURE_LOG`]): during a fault (a full disk) every request fails alike,
    /// and one line with a count says as much as thousands. The messages name operations and
    /// kinds of failure, never a personal value (storage and the vault only see ciphertext, ids
    /// and register names).
    pub(crate) fn log(&self) {
        if self.is_busy() {
            // Expected under contention, and answered with a retry: a warning, not an error.
            tracing::warn!("the database was busy beyond the busy timeout; answered 503");
            return;
        }
        if let ApiError::Vault(VaultError::Crypto(CryptoError::UnknownKeyVersion { version })) =
            self
        {
            // Expected once per server after `skydd key rotate`: `keys::reload_and_retry`
            // reloads the key file and logs an error itself if that does not help.
            tracing::warn!(
                version,
                "a data key is wrapped with a master key version this server has not loaded"
            );
            return;
        }
        let (kind, error): (&'static str, &dyn std::fmt::Display) = match self {
            ApiError::Storage(error) | ApiError::Vault(VaultError::Storage(error)) => {
                ("request failed in storage", error)
            }
            ApiError::Unavailable(error) => ("storage unavailable", error),
            ApiError::StoredVersion(error) => {
                ("request failed on a damaged register version", error)
            }
            ApiError::Vault(error @ VaultError::Crypto(_)) => {
                ("request failed in cryptography", error)
            }
            ApiError::Vault(error @ VaultError::Random(_)) => {
                ("request failed: no random bytes", error)
            }
            ApiError::Vault(error @ VaultError::Corrupt(_)) => {
                ("request failed on damaged stored data", error)
            }
            _ => return,
        };
        let now = Instant::now();
        let Some(repeats) = FAILURE_LOG
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .admit(kind, now)
        else {
            return;
        };
        if repeats == 0 {
            tracing::error!(error = %error, "{kind}");
        } else {
            tracing::error!(error = %error, similar_failures_not_logged = repeats, "{kind}");
        }
    }
}

/// How often one kind of internal failure is logged at most.
const FAILURE_LOG_WINDOW: Duration = Duration::from_secs(60);

/// The internal failures logged lately, shared by every request of the process.
static FAILURE_LOG: Mutex<FailureLog> = Mutex::new(FailureLog {
    window: FAILURE_LOG_WINDOW,
    kinds: Vec::new(),
});

/// Which kinds of failure were logged when, and how many like them were not logged since.
struct FailureLog {
    /// A kind is logged again only this long after it was last logged.
    window: Duration,
    /// Per kind (a handful: one per log message): when it was last logged, and how many
    /// failures of the kind came since without a line of their own.
    kinds: Vec<(&'static str, Instant, u64)>,
}

impl FailureLog {
    /// Whether a failure of `kind` at `now` gets a log line: `Some(n)` with the `n` failures of
    /// the kind that came since the last line without one, or `None` (counted, not logged).
    fn admit(&mut self, kind: &'static str, now: Instant) -> Option<u64> {
        match self.kinds.iter_mut().find(|(k, _, _)| *k == kind) {
            None => {
                self.kinds.push((kind, now, 0));
                Some(0)
            }
            Some((_, last, skipped)) if now.saturating_duration_since(*last) < self.window => {
                *skipped += 1;
                None
            }
            Some((_, last, skipped)) => {
                let repeats = std::mem::take(skipped);
                *last = now;
                Some(repeats)
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.log();
        let problem = self.problem();
        let status =
            StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (status, axum::Json(problem)).into_response();
        if let ApiError::Vault(VaultError::Crypto(CryptoError::UnknownKeyVersion { version })) =
            &self
        {
            // For `keys::reload_and_retry`: the key file may have a version added since start.
            response
                .extensions_mut()
                .insert(UnknownKeyVersion(*version));
        }
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        if let ApiError::TooManyRequests(crate::limit::RetryAfter(seconds)) = &self {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(*seconds));
        }
        if matches!(self, ApiError::BodyTimeout) {
            // The rest of the body may still trickle in: nothing more is read on this connection.
            headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        if self.is_busy() {
            headers.insert(
                header::RETRY_AFTER,
                HeaderValue::from_static(BUSY_RETRY_AFTER_SECONDS),
            );
        }
        if status == StatusCode::UNAUTHORIZED {
            let challenge = match self {
                ApiError::InvalidToken => r#"Bearer realm="skydd", error="invalid_token""#,
                _ => r#"Bearer realm="skydd""#,
            };
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(challenge),
            );
        }
        response
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn a_kind_of_failure_is_logged_once_a_window_with_the_count_of_the_rest() {
        use std::time::{Duration, Instant};
        let mut log = super::FailureLog {
            window: Duration::from_secs(60),
            kinds: Vec::new(),
        };
        let start = Instant::now();
        let at = |seconds| start + Duration::from_secs(seconds);
        assert_eq!(log.admit("storage", at(0)), Some(0));
        assert_eq!(log.admit("storage", at(1)), None);
        assert_eq!(log.admit("storage", at(59)), None);
        assert_eq!(
            log.admit("crypto", at(59)),
            Some(0),
            "another kind is its own"
        );
        assert_eq!(log.admit("storage", at(60)), Some(2), "two went unlogged");
        assert_eq!(log.admit("storage", at(61)), None);
        assert_eq!(log.admit("storage", at(200)), Some(1));
    }

    use super::*;

    #[test]
    fn a_busy_database_is_a_503_with_retry_after_and_no_internals() {
        for error in [
            ApiError::Storage(StorageError::Busy(
                "insert a record: database is locked".into(),
            )),
            ApiError::Vault(VaultError::Storage(StorageError::Busy(
                "begin a write: database is locked (code 5)".into(),
            ))),
        ] {
            let problem = error.problem();
            assert_eq!(problem.status, 503);
            assert_eq!(problem.problem_type, "https://skydd.dev/problems/busy");
            assert!(problem.detail.contains("busy"), "{problem:?}");
            assert!(!problem.detail.contains("locked"), "{problem:?}");
            assert!(!problem.detail.contains("code 5"), "{problem:?}");
            let response = error.into_response();
            assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
            assert_eq!(response.headers()[header::RETRY_AFTER], "1");
            assert_eq!(response.headers()[header::CONTENT_TYPE], PROBLEM_JSON);
        }
    }

    #[test]
    fn every_problem_has_the_status_of_its_response() {
        let errors = [
            ApiError::MissingToken,
            ApiError::InvalidToken,
            ApiError::Forbidden,
            ApiError::NotFound,
            ApiError::MethodNotAllowed,
            ApiError::InvalidBody("at `name`".into()),
            ApiError::UnsupportedMediaType,
            ApiError::PayloadTooLarge,
            ApiError::BodyTimeout,
            ApiError::TooManyRequests(crate::limit::RetryAfter(7)),
            ApiError::InvalidQuery("at `limit`".into()),
            ApiError::Unavailable(StorageError::Connect("down".into())),
            ApiError::Storage(StorageError::Database("boom".into())),
            ApiError::invalid("unknown purpose `x`", "use a purpose of the register"),
            ApiError::Vault(VaultError::UnknownSubject),
            ApiError::Vault(VaultError::Invalid {
                what: "unknown purpose `x`".into(),
                help: "use a purpose of the register".into(),
            }),
            ApiError::Vault(VaultError::IdentityTaken {
                kind: "email".into(),
            }),
            ApiError::Vault(VaultError::Denied {
                code: skydd_decide::DenyCode::ConsentMissing,
                explanation: "no consent".into(),
            }),
            ApiError::Vault(VaultError::Corrupt("a record's fields".into())),
            ApiError::UnknownNoticeVersion,
            ApiError::StoredVersion(skydd_app::history::StoredVersionError::WrongDigest {
                digest: "ab".into(),
                actual: "cd".into(),
            }),
        ];
        for error in errors {
            let problem = error.problem();
            let response = error.into_response();
            assert_eq!(response.status().as_u16(), problem.status);
            assert_eq!(response.headers()[header::CONTENT_TYPE], PROBLEM_JSON);
            assert!(
                problem.problem_type == "about:blank"
                    || problem.problem_type.starts_with(TYPE_BASE),
                "{problem:?}"
            );
        }
    }

    #[test]
    fn internal_errors_do_not_reach_the_client() {
        let error = ApiError::Storage(StorageError::Database(
            "relation \"tokens\" is locked".into(),
        ));
        let problem = error.problem();
        assert_eq!(problem.status, 500);
        assert!(!problem.detail.contains("tokens"), "{problem:?}");
        let error = ApiError::StoredVersion(skydd_app::history::StoredVersionError::WrongDigest {
            digest: "0123456789ab".into(),
            actual: "ba9876543210".into(),
        });
        let problem = error.problem();
        assert_eq!(problem.status, 500);
        assert!(!problem.detail.contains("0123456789ab"), "{problem:?}");
    }

    #[test]
    fn vault_errors_map_to_their_statuses_and_members() {
        let status = |error: VaultError| ApiError::Vault(error).problem();
        assert_eq!(status(VaultError::UnknownSubject).status, 404);

        let invalid = status(VaultError::Invalid {
            what: "unknown data category `shoes`".into(),
            help: "use a data category of the register".into(),
        });
        assert_eq!(invalid.status, 422);
        assert_eq!(invalid.detail, "unknown data category `shoes`");
        assert_eq!(
            invalid.help.as_deref(),
            Some("use a data category of the register")
        );
        assert_eq!(invalid.code, None);

        let taken = status(VaultError::IdentityTaken {
            kind: "phone".into(),
        });
        assert_eq!(taken.status, 409);
        assert!(taken.detail.contains("`phone`"), "{taken:?}");

        let denied = status(VaultError::Denied {
            code: skydd_decide::DenyCode::Objection,
            explanation: "the subject objected to purpose `marketing`".into(),
        });
        assert_eq!(denied.status, 403);
        assert_eq!(denied.code.as_deref(), Some("objection"));
        assert_eq!(denied.detail, "the subject objected to purpose `marketing`");
        let json = serde_json::to_value(&denied).unwrap();
        assert_eq!(json["code"], "objection");
        assert!(json.get("help").is_none(), "{json}");

        for internal in [
            VaultError::Storage(StorageError::Database("relation \"subjects\"".into())),
            VaultError::Corrupt("a stored consent method does not parse".into()),
        ] {
            let problem = status(internal);
            assert_eq!(problem.status, 500);
            assert!(!problem.detail.contains("subjects"), "{problem:?}");
            assert!(!problem.detail.contains("consent"), "{problem:?}");
            assert_eq!((problem.help, problem.code), (None, None));
        }
    }

    #[test]
    fn unauthorized_responses_carry_a_bearer_challenge() {
        for error in [ApiError::MissingToken, ApiError::InvalidToken] {
            let response = error.into_response();
            let challenge = response.headers()[header::WWW_AUTHENTICATE]
                .to_str()
                .unwrap();
            assert!(challenge.starts_with("Bearer "), "{challenge}");
        }
    }

    #[test]
    fn problem_serialises_type_as_type() {
        let json = serde_json::to_value(ApiError::NotFound.problem()).unwrap();
        assert_eq!(json["type"], "about:blank");
        assert_eq!(json["status"], 404);
    }
}
