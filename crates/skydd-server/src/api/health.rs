//! `GET /healthz`: is the server up and its database reachable.

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;

use crate::problem::ApiError;
use crate::state::AppState;

/// The body of a healthy answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// Always `ok`.
    #[schema(example = "ok")]
    pub status: &'static str,
}

/// Report whether the server can serve: 200 when the database answers, 503 when it does not.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "health",
    responses(
        (status = 200, description = "The server and its database are up.", body = Health),
        (status = 503, description = "The database cannot be reached.", body = crate::problem::Problem,
            content_type = "application/problem+json"),
    )
)]
pub async fn healthz(State(state): State<AppState>) -> Result<Json<Health>, ApiError> {
    state
        .storage
        .schema_version()
        .await
        .map_err(ApiError::Unavailable)?;
    Ok(Json(Health { status: "ok" }))
}
