//! `/v1/subjects/{id}/attributes`: facts about a person that a legal basis depends on (the
//! register's `attributes`, issue 20), set with their dates by the company's own systems.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use skydd_vault::AttributeView;
use utoipa::ToSchema;

use crate::auth::{Authorized, need};
use crate::extract::{ApiJson, ApiPath, ApiTime, RegisterId};
use crate::problem::{ApiError, Problem};
use crate::state::AppState;

/// The body of `PUT /v1/subjects/{id}/attributes/{attribute}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetAttributeRequest {
    /// From when the attribute holds (it may lie ahead: a support agreement that starts next
    /// month).
    #[schema(value_type = String, format = DateTime, example = "2026-02-01T00:00:00Z")]
    pub since: ApiTime,
    /// When it ends (exclusive), after `since`; left out or `null` while it goes on.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = DateTime, example = json!(null))]
    pub until: Option<ApiTime>,
}

/// One attribute of a subject.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttributeResponse {
    /// The attribute's id, as the register declares it.
    #[schema(example = "support_agreement")]
    pub attribute: String,
    /// From when it holds.
    #[schema(value_type = String, format = DateTime, example = "2026-02-01T00:00:00Z")]
    pub since: jiff::Timestamp,
    /// When it ends (exclusive); `null` while it goes on.
    #[schema(value_type = Option<String>, format = DateTime, example = json!(null))]
    pub until: Option<jiff::Timestamp>,
    /// When it was last set.
    #[schema(value_type = String, format = DateTime, example = "2026-02-01T09:00:00Z")]
    pub recorded_at: jiff::Timestamp,
    /// Whether it holds now, so that bases waiting for it hold.
    pub holds: bool,
}

impl From<AttributeView> for AttributeResponse {
    fn from(view: AttributeView) -> Self {
        AttributeResponse {
            attribute: view.attribute,
            since: view.since,
            until: view.until,
            recorded_at: view.recorded_at,
            holds: view.holds,
        }
    }
}

/// A subject's attributes.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttributesResponse {
    /// By attribute id.
    pub attributes: Vec<AttributeResponse>,
}

/// Set a subject's attribute with its dates, replacing the dates set before; decisions on
/// every server see it within the documented bound, on this one at once.
#[utoipa::path(
    put,
    path = "/v1/subjects/{id}/attributes/{attribute}",
    tag = "subjects",
    security(("bearer" = [])),
    params(
        ("id" = String, Path, description = "The subject's id."),
        ("attribute" = String, Path, description = "An attribute the register declares under `attributes`."),
    ),
    request_body = SetAttributeRequest,
    responses(
        (status = 200, description = "The attribute as set.", body = AttributeResponse),
        (status = 422, description = "An attribute the register does not declare, or `until` not after `since`.",
            body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid API token.", body = Problem,
            content_type = "application/problem+json"),
        (status = 403, description = "The caller does not hold `records_write`.", body = Problem,
            content_type = "application/problem+json"),
        (status = 404, description = "No such subject.", body = Problem,
            content_type = "application/problem+json"),
    )
)]
pub async fn set_attribute(
    State(state): State<AppState>,
    Authorized(caller, _): Authorized<need::RecordsWrite>,
    ApiPath((subject, attribute)): ApiPath<(String, RegisterId)>,
    ApiJson(body): ApiJson<SetAttributeRequest>,
) -> Result<Json<AttributeResponse>, ApiError> {
    let now = state.clock.now();
    let view = state
        .vault()
        .set_attribute(
            &caller.actor,
            &subject,
            attribute.as_str(),
            body.since.0,
            body.until.map(|t| t.0),
            now,
        )
        .await?;
    Ok(Json(view.into()))
}

/// Remove an attribute set by mistake. An attribute that ended is set again with its `until`
/// instead, so that what held when stays known.
#[utoipa::path(
    delete,
    path = "/v1/subjects/{id}/attributes/{attribute}",
    tag = "subjects",
    security(("bearer" = [])),
    params(
        ("id" = String, Path, description = "The subject's id."),
        ("attribute" = String, Path, description = "An attribute the register declares under `attributes`."),
    ),
    responses(
        (status = 204, description = "Removed, or it was not set."),
        (status = 422, description = "An attribute the register does not declare.",
            body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid API token.", body = Problem,
            content_type = "application/problem+json"),
        (status = 403, description = "The caller does not hold `records_write`.", body = Problem,
            content_type = "application/problem+json"),
        (status = 404, description = "No such subject.", body = Problem,
            content_type = "application/problem+json"),
    )
)]
pub async fn remove_attribute(
    State(state): State<AppState>,
    Authorized(caller, _): Authorized<need::RecordsWrite>,
    ApiPath((subject, attribute)): ApiPath<(String, RegisterId)>,
) -> Result<StatusCode, ApiError> {
    let now = state.clock.now();
    state
        .vault()
        .remove_attribute(&caller.actor, &subject, attribute.as_str(), now)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A subject's attributes, each with whether it holds now.
#[utoipa::path(
    get,
    path = "/v1/subjects/{id}/attributes",
    tag = "subjects",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The subject's id.")),
    responses(
        (status = 200, description = "The attributes.", body = AttributesResponse),
        (status = 401, description = "No valid API token.", body = Problem,
            content_type = "application/problem+json"),
        (status = 403, description = "The caller does not hold `subjects_read`.", body = Problem,
            content_type = "application/problem+json"),
        (status = 404, description = "No such subject.", body = Problem,
            content_type = "application/problem+json"),
    )
)]
pub async fn get_attributes(
    State(state): State<AppState>,
    Authorized(caller, _): Authorized<need::SubjectsRead>,
    ApiPath(subject): ApiPath<String>,
) -> Result<Json<AttributesResponse>, ApiError> {
    let now = state.clock.now();
    let attributes = state
        .vault()
        .attributes(&caller.actor, &subject, now)
        .await?;
    Ok(Json(AttributesResponse {
        attributes: attributes.into_iter().map(Into::into).collect(),
    }))
}
