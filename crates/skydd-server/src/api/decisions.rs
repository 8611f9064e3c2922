//! `GET /v1/decisions`: may purpose P use category C of subject S now? A denial is an answer
//! (200 with `allowed: false` and the reason code), not an error.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use skydd_decide::Decision;
use skydd_register::model::{Choice, PurposeId};
use utoipa::{IntoParams, ToSchema};

use crate::auth::{Authorized, need};
use crate::extract::{ApiQuery, RegisterId};
use crate::problem::{ApiError, Problem};
use crate::state::AppState;

/// The query of `GET /v1/decisions`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DecisionQuery {
    /// The subject's id: 32 lowercase hex digits.
    pub subject: String,
    /// The purpose that wants to use the data (a register purpose id).
    pub purpose: RegisterId,
    /// The data category (a register `data` id).
    pub category: RegisterId,
    /// The channel of a direct marketing use: `email`, `sms`, `phone`, `post`, `push`, `in_app`.
    pub channel: Option<RegisterId>,
    /// The organisation the use happens in (needed for purposes behind an opt-in feature).
    pub organisation: Option<String>,
    /// The project within `organisation`.
    pub project: Option<String>,
}

/// The answer to `GET /v1/decisions`: allowed or not, the code and why; every answer is
/// audited.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"allowed": false, "code": "consent_missing", "legal_basis": null,
    "explanation": "purpose `newsletter` rests on consent and the subject has not given it"}))]
pub struct DecisionResponse {
    /// Whether the use is allowed.
    pub allowed: bool,
    /// `allowed`, or the stable deny code: `unknown_purpose`, `unknown_category`,
    /// `category_not_processed_for_purpose`, `channel_not_declared`, `record_category_mismatch`,
    /// `processor_mode`, `retention_expired`, `legal_hold_other_purpose`, `restricted`,
    /// `feature_disabled`, `objection`, `channel_opted_out`, `interest_opted_out`,
    /// `consent_missing`, `consent_withdrawn`.
    #[schema(example = "allowed")]
    pub code: String,
    /// The legal basis the use rests on when allowed (`contract`, `consent`,
    /// `legitimate_interest` ...); `null` when denied or for a processor activity.
    #[schema(example = "contract")]
    pub legal_basis: Option<String>,
    /// Why it was denied, naming register ids only.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub explanation: Option<String>,
}

impl From<Decision> for DecisionResponse {
    fn from(decision: Decision) -> Self {
        match decision {
            Decision::Allow { legal_basis, .. } => DecisionResponse {
                allowed: true,
                code: "allowed".to_owned(),
                legal_basis: legal_basis.map(|basis| basis.word().to_owned()),
                explanation: None,
            },
            Decision::Deny { code, explanation } => DecisionResponse {
                allowed: false,
                code: code.as_str().to_owned(),
                legal_basis: None,
                explanation: Some(explanation),
            },
        }
    }
}

/// Decide whether a purpose may use a category of a subject's data now, from the register,
/// consents, objections, restriction, retention, legal holds and feature opt-ins. Every answer
/// is audited.
#[utoipa::path(
    get,
    path = "/v1/decisions",
    tag = "decisions",
    security(("bearer" = [])),
    params(DecisionQuery),
    responses(
        (status = 200, description = "The decision: allowed, or denied with a stable code.",
            body = DecisionResponse),
        (status = 422, description = "A missing parameter, a purpose, category or channel the \
            register does not have, or a project without its organisation.", body = Problem,
            content_type = "application/problem+json"),
        (status = 401, description = "No valid API token.", body = Problem,
            content_type = "application/problem+json"),
        (status = 404, description = "No such subject.", body = Problem,
            content_type = "application/problem+json"),
    )
)]
pub async fn decide(
    State(state): State<AppState>,
    Authorized(caller, _): Authorized<need::Decide>,
    ApiQuery(query): ApiQuery<DecisionQuery>,
) -> Result<Json<DecisionResponse>, ApiError> {
    let now = state.clock.now();
    let vault = state.vault();
    let register = vault.register();
    if register
        .purpose(&PurposeId(query.purpose.0.clone()))
        .is_none()
    {
        return Err(ApiError::invalid(
            format!("unknown purpose `{}`", query.purpose.as_str()),
            "use a purpose of the register",
        ));
    }
    if !register
        .data
        .iter()
        .any(|category| category.id.as_str() == query.category.as_str())
    {
        return Err(ApiError::invalid(
            format!("unknown data category `{}`", query.category.as_str()),
            "use a data category of the register",
        ));
    }
    let scope = match (query.organisation.as_deref(), query.project.as_deref()) {
        (Some(organisation), project) => Some((organisation, project)),
        (None, None) => None,
        (None, Some(_)) => {
            return Err(ApiError::invalid(
                "`project` needs `organisation`",
                "give the organisation the project belongs to",
            ));
        }
    };
    let decision = vault
        .decide(
            &caller.actor,
            &query.subject,
            query.purpose.as_str(),
            query.category.as_str(),
            query.channel.as_ref().map(RegisterId::as_str),
            scope,
            now,
        )
        .await?;
    state.metrics().observe_decision(&decision);
    Ok(Json(decision.into()))
}
