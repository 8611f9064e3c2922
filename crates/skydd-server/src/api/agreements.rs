//! `/v1/tenants/{tenant}/agreements`: the data processing agreements signed with customers
//! (P001-25), which a processor activity with `requires_agreement` waits for.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use skydd_vault::AgreementView;
use utoipa::ToSchema;

use crate::auth::{Authorized, need};
use crate::extract::{ApiJson, ApiPath, ApiTime};
use crate::problem::{ApiError, Problem};
use crate::state::AppState;

/// An agreement to record.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgreementRequest {
    /// The agreement's version or your reference for it (at most 200 characters).
    #[schema(max_length = 200, example = "DPA 2024-03")]
    pub version: String,
    /// When it was signed (not in the future).
    #[schema(value_type = String, format = DateTime, example = "2026-02-01T10:00:00Z")]
    pub signed_at: ApiTime,
}

/// A recorded agreement.
#[derive(Debug, Serialize, ToSchema)]
pub struct AgreementResponse {
    /// The tenant it was signed with.
    pub tenant: String,
    /// Its version or reference.
    pub version: String,
    /// When it was signed.
    #[schema(value_type = String, format = DateTime)]
    pub signed_at: jiff::Timestamp,
    /// The staff account or token that recorded it.
    pub recorded_by: String,
    /// When it was recorded.
    #[schema(value_type = String, format = DateTime)]
    pub recorded_at: jiff::Timestamp,
}

impl From<AgreementView> for AgreementResponse {
    fn from(view: AgreementView) -> Self {
        AgreementResponse {
            tenant: view.tenant,
            version: view.version,
            signed_at: view.signed_at,
            recorded_by: view.recorded_by,
            recorded_at: view.recorded_at,
        }
    }
}

/// A tenant's agreements.
#[derive(Debug, Serialize, ToSchema)]
pub struct AgreementsResponse {
    /// Whether one is recorded: the tenant's subjects are processed by the activities that
    /// require it.
    pub signed: bool,
    /// In the order recorded.
    pub agreements: Vec<AgreementResponse>,
}

/// Record a data processing agreement signed with a tenant.
#[utoipa::path(
    post,
    path = "/v1/tenants/{tenant}/agreements",
    tag = "tenants",
    security(("bearer" = [])),
    params(("tenant" = String, Path, description = "The tenant: lower case letters, digits, - and _.")),
    request_body = AgreementRequest,
    responses(
        (status = 201, description = "Recorded and audited.", body = AgreementResponse),
        (status = 422, description = "An invalid tenant, an empty or over-long version, a signing time in the future.",
            body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid API token.", body = Problem,
            content_type = "application/problem+json"),
        (status = 403, description = "The caller does not hold `agreements`.", body = Problem,
            content_type = "application/problem+json"),
    )
)]
pub async fn record_agreement(
    State(state): State<AppState>,
    Authorized(caller, _): Authorized<need::Agreements>,
    ApiPath(tenant): ApiPath<String>,
    ApiJson(body): ApiJson<AgreementRequest>,
) -> Result<Response, ApiError> {
    let now = state.clock.now();
    let view = state
        .vault()
        .record_agreement(&caller.actor, &tenant, &body.version, body.signed_at.0, now)
        .await?;
    Ok((StatusCode::CREATED, Json(AgreementResponse::from(view))).into_response())
}

/// A tenant's data processing agreements.
#[utoipa::path(
    get,
    path = "/v1/tenants/{tenant}/agreements",
    tag = "tenants",
    security(("bearer" = [])),
    params(("tenant" = String, Path, description = "The tenant: lower case letters, digits, - and _.")),
    responses(
        (status = 200, description = "The agreements, oldest first.", body = AgreementsResponse),
        (status = 422, description = "An invalid tenant id.", body = Problem,
            content_type = "application/problem+json"),
        (status = 401, description = "No valid API token.", body = Problem,
            content_type = "application/problem+json"),
        (status = 403, description = "The caller does not hold `agreements`.", body = Problem,
            content_type = "application/problem+json"),
    )
)]
pub async fn list_agreements(
    State(state): State<AppState>,
    Authorized(caller, _): Authorized<need::Agreements>,
    ApiPath(tenant): ApiPath<String>,
) -> Result<Json<AgreementsResponse>, ApiError> {
    let agreements = state.vault().agreements(&caller.actor, &tenant).await?;
    Ok(Json(AgreementsResponse {
        signed: !agreements.is_empty(),
        agreements: agreements.into_iter().map(Into::into).collect(),
    }))
}
