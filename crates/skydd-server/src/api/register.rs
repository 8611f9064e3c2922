//! `GET /v1/register`: the register this server enforces, with its version digest.

use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::{Authorized, need};
use crate::problem::{ApiError, Problem};
use crate::state::AppState;

/// The loaded register.
#[derive(Debug, Serialize, ToSchema)]
pub struct RegisterResponse {
    /// SHA-256 (hex) of the register's canonical content: its version.
    #[schema(example = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")]
    pub digest: String,
    /// The date this version of the register takes effect.
    #[schema(value_type = String, format = Date, example = "2026-01-05")]
    pub published: jiff::civil::Date,
    /// The register itself, in its canonical JSON form.
    #[schema(value_type = Object)]
    pub register: serde_json::Value,
}

/// The register of processing this server enforces. Admins and auditors may read it.
#[utoipa::path(
    get,
    path = "/v1/register",
    tag = "register",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The register and its digest.", body = RegisterResponse),
        (status = 401, description = "No valid API token.", body = Problem,
            content_type = "application/problem+json"),
        (status = 403, description = "The token's role may not read the register.", body = Problem,
            content_type = "application/problem+json"),
    )
)]
pub async fn get_register(
    State(state): State<AppState>,
    _: Authorized<need::RegisterRead>,
) -> Result<Response, ApiError> {
    // Serialised once when the register was loaded (same shape as `RegisterResponse`).
    let body = state.register.response_body();
    Ok(([(CONTENT_TYPE, "application/json")], body).into_response())
}
