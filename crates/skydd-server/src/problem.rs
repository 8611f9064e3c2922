//! Errors as HTTP responses: the one place where anything that went wrong becomes an RFC 9457
//! `application/problem+json` document.
//!
//! A problem tells the client what it can act on. Internal errors are logged here, at error
//! level, and reach the client only as a generic 500: no database message, no personal data.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use skydd_storage::StorageError;
use utoipa::ToSchema;

/// The media type of problem documents (RFC 9457).
pub const PROBLEM_JSON: &str = "application/problem+json";

/// The base of Skydd's problem type URIs.
const TYPE_BASE: &str = "https://skydd.dev/problems/";

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
    /// The token's role may not do this.
    #[error("the token's role may not do this")]
    Forbidden,
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
    /// The query string is not what this endpoint takes. The detail says where, never what.
    #[error("invalid query string: {0}")]
    InvalidQuery(String),
    /// The database cannot be reached (health checks).
    #[error("storage unavailable")]
    Unavailable(#[source] StorageError),
    /// A storage operation failed while serving a request.
    #[error("storage failed")]
    Storage(#[from] StorageError),
}

impl ApiError {
    /// The status, problem type URI, title and client-facing detail of this error.
    fn parts(&self) -> (StatusCode, String, &'static str, String) {
        let typed = |slug: &str| format!("{TYPE_BASE}{slug}");
        let blank = || "about:blank".to_owned();
        match self {
            ApiError::MissingToken => (
                StatusCode::UNAUTHORIZED,
                typed("unauthorized"),
                "Unauthorized",
                "This endpoint needs an API token: send `Authorization: Bearer TOKEN`.".to_owned(),
            ),
            ApiError::InvalidToken => (
                StatusCode::UNAUTHORIZED,
                typed("unauthorized"),
                "Unauthorized",
                "The API token is not valid: it is malformed, unknown or revoked.".to_owned(),
            ),
            ApiError::Forbidden => (
                StatusCode::FORBIDDEN,
                typed("forbidden"),
                "Forbidden",
                "The API token's role does not allow this operation.".to_owned(),
            ),
            ApiError::NotFound => (
                StatusCode::NOT_FOUND,
                blank(),
                "Not Found",
                "There is no resource at this path. The API is described at /openapi.json.".to_owned(),
            ),
            ApiError::MethodNotAllowed => (
                StatusCode::METHOD_NOT_ALLOWED,
                blank(),
                "Method Not Allowed",
                "This resource does not support this method; the Allow header lists the ones it does."
                    .to_owned(),
            ),
            ApiError::InvalidBody(detail) => {
                (StatusCode::BAD_REQUEST, typed("invalid-body"), "Invalid request body", detail.clone())
            }
            ApiError::UnsupportedMediaType => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                typed("unsupported-media-type"),
                "Unsupported Media Type",
                "Send the request body as JSON, with `Content-Type: application/json`.".to_owned(),
            ),
            ApiError::InvalidQuery(detail) => {
                (StatusCode::BAD_REQUEST, typed("invalid-query"), "Invalid query string", detail.clone())
            }
            ApiError::Unavailable(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                typed("unavailable"),
                "Service Unavailable",
                "The server cannot reach its database.".to_owned(),
            ),
            ApiError::Storage(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                blank(),
                "Internal Server Error",
                "The server could not complete the request. The error has been logged.".to_owned(),
            ),
        }
    }

    /// The problem document this error is sent as.
    pub fn problem(&self) -> Problem {
        let (status, problem_type, title, detail) = self.parts();
        Problem {
            problem_type,
            title: title.to_owned(),
            status: status.as_u16(),
            detail,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match &self {
            // Storage messages never contain personal data (storage only holds ciphertext), but
            // they are internals: they go to the log, not to the client.
            ApiError::Storage(error) => {
                tracing::error!(error = %error, "request failed in storage")
            }
            ApiError::Unavailable(error) => tracing::error!(error = %error, "storage unavailable"),
            _ => {}
        }
        let (status, problem_type, title, detail) = self.parts();
        let problem = Problem {
            problem_type,
            title: title.to_owned(),
            status: status.as_u16(),
            detail,
        };
        let mut response = (status, axum::Json(problem)).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
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
    use super::*;

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
            ApiError::InvalidQuery("at `limit`".into()),
            ApiError::Unavailable(StorageError::Connect("down".into())),
            ApiError::Storage(StorageError::Database("boom".into())),
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
