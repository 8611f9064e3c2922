//! `/v1/organisations/{org}/features/{feature}` (and per project): features that need an
//! organisation's opt-in. Off by default; while off, nothing of that scope is allowed for the
//! purposes that need the feature. Every switch is kept in a history.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use skydd_vault::FeatureInput;
use utoipa::ToSchema;

use crate::auth::{Authorized, Caller, need};
use crate::extract::{ApiJson, ApiPath, RegisterId};
use crate::problem::{ApiError, Problem};
use crate::state::AppState;

/// The body of a feature switch.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SwitchFeatureRequest {
    /// `true` switches the feature on, `false` off; the earlier switch is kept in the history.
    pub enabled: bool,
}

/// A feature's effective state at a scope.
#[derive(Debug, Serialize, ToSchema)]
pub struct FeatureResponse {
    /// Whether the feature is on: a project's own switch when it has one, else its
    /// organisation's; off when never switched on.
    pub enabled: bool,
}

/// Refuse a feature the register does not declare.
fn check_feature(state: &AppState, feature: &RegisterId) -> Result<(), ApiError> {
    if state
        .vault()
        .register()
        .features
        .iter()
        .any(|declared| declared.id.as_str() == feature.as_str())
    {
        Ok(())
    } else {
        Err(ApiError::invalid(
            format!("unknown feature `{}`", feature.as_str()),
            "use a feature declared under `features` in the register",
        ))
    }
}

/// The organisation's or project's feature switch: record it, answer the state after it.
async fn switch(
    state: AppState,
    caller: Caller,
    organisation: String,
    project: Option<String>,
    feature: RegisterId,
    enabled: bool,
) -> Result<Json<FeatureResponse>, ApiError> {
    let now = state.clock.now();
    check_feature(&state, &feature)?;
    let input = FeatureInput {
        feature: feature.0.clone(),
        organisation: organisation.clone(),
        project: project.clone(),
        enabled,
    };
    state
        .vault()
        .switch_feature(&caller.actor, input, now)
        .await?;
    effective_state(&state, &organisation, project.as_deref(), &feature).await
}

/// Whether `feature` is on for the organisation (and project).
async fn effective_state(
    state: &AppState,
    organisation: &str,
    project: Option<&str>,
    feature: &RegisterId,
) -> Result<Json<FeatureResponse>, ApiError> {
    let enabled = state
        .vault()
        .feature_enabled(organisation, project, feature.as_str())
        .await?;
    Ok(Json(FeatureResponse { enabled }))
}

async fn effective(
    state: AppState,
    organisation: String,
    project: Option<String>,
    feature: RegisterId,
) -> Result<Json<FeatureResponse>, ApiError> {
    check_feature(&state, &feature)?;
    effective_state(&state, &organisation, project.as_deref(), &feature).await
}

/// Switch a feature on or off for an organisation.
#[utoipa::path(
    put,
    path = "/v1/organisations/{org}/features/{feature}",
    tag = "features",
    security(("bearer" = [])),
    params(
        ("org" = String, Path, description = "The organisation."),
        ("feature" = String, Path, description = "A feature the register declares."),
    ),
    request_body = SwitchFeatureRequest,
    responses(
        (status = 200, description = "The feature's state after the switch.", body = FeatureResponse),
        (status = 422, description = "An unknown feature, one that cannot be switched at this \
            scope.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid API token.", body = Problem,
            content_type = "application/problem+json"),
        (status = 403, description = "The token's role may not switch features.", body = Problem,
            content_type = "application/problem+json"),
    )
)]
pub async fn switch_organisation_feature(
    State(state): State<AppState>,
    Authorized(caller, _): Authorized<need::FeaturesWrite>,
    ApiPath((organisation, feature)): ApiPath<(String, RegisterId)>,
    ApiJson(body): ApiJson<SwitchFeatureRequest>,
) -> Result<Json<FeatureResponse>, ApiError> {
    switch(state, caller, organisation, None, feature, body.enabled).await
}

/// Switch a feature on or off for one project; it overrides the organisation's switch.
#[utoipa::path(
    put,
    path = "/v1/organisations/{org}/projects/{project}/features/{feature}",
    tag = "features",
    security(("bearer" = [])),
    params(
        ("org" = String, Path, description = "The organisation."),
        ("project" = String, Path, description = "The project within the organisation."),
        ("feature" = String, Path, description = "A feature the register declares."),
    ),
    request_body = SwitchFeatureRequest,
    responses(
        (status = 200, description = "The feature's state in the project after the switch.",
            body = FeatureResponse),
        (status = 422, description = "An unknown feature, one that cannot be switched per project, \
           .", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid API token.", body = Problem,
            content_type = "application/problem+json"),
        (status = 403, description = "The token's role may not switch features.", body = Problem,
            content_type = "application/problem+json"),
    )
)]
pub async fn switch_project_feature(
    State(state): State<AppState>,
    Authorized(caller, _): Authorized<need::FeaturesWrite>,
    ApiPath((organisation, project, feature)): ApiPath<(String, String, RegisterId)>,
    ApiJson(body): ApiJson<SwitchFeatureRequest>,
) -> Result<Json<FeatureResponse>, ApiError> {
    switch(
        state,
        caller,
        organisation,
        Some(project),
        feature,
        body.enabled,
    )
    .await
}

/// Whether a feature is on for an organisation.
#[utoipa::path(
    get,
    path = "/v1/organisations/{org}/features/{feature}",
    tag = "features",
    security(("bearer" = [])),
    params(
        ("org" = String, Path, description = "The organisation."),
        ("feature" = String, Path, description = "A feature the register declares."),
    ),
    responses(
        (status = 200, description = "The feature's effective state.", body = FeatureResponse),
        (status = 422, description = "An unknown feature.", body = Problem,
            content_type = "application/problem+json"),
        (status = 401, description = "No valid API token.", body = Problem,
            content_type = "application/problem+json"),
    )
)]
pub async fn get_organisation_feature(
    State(state): State<AppState>,
    _: Authorized<need::FeaturesRead>,
    ApiPath((organisation, feature)): ApiPath<(String, RegisterId)>,
) -> Result<Json<FeatureResponse>, ApiError> {
    effective(state, organisation, None, feature).await
}

/// Whether a feature is on for a project: its own switch, else its organisation's.
#[utoipa::path(
    get,
    path = "/v1/organisations/{org}/projects/{project}/features/{feature}",
    tag = "features",
    security(("bearer" = [])),
    params(
        ("org" = String, Path, description = "The organisation."),
        ("project" = String, Path, description = "The project within the organisation."),
        ("feature" = String, Path, description = "A feature the register declares."),
    ),
    responses(
        (status = 200, description = "The feature's effective state in the project.",
            body = FeatureResponse),
        (status = 422, description = "An unknown feature.", body = Problem,
            content_type = "application/problem+json"),
        (status = 401, description = "No valid API token.", body = Problem,
            content_type = "application/problem+json"),
    )
)]
pub async fn get_project_feature(
    State(state): State<AppState>,
    _: Authorized<need::FeaturesRead>,
    ApiPath((organisation, project, feature)): ApiPath<(String, String, RegisterId)>,
) -> Result<Json<FeatureResponse>, ApiError> {
    effective(state, organisation, Some(project), feature).await
}
