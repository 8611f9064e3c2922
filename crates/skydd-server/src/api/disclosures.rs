//! `/v1/disclosures`: personal data disclosed to authorities, only on a decision (P000-50), each
//! audited per subject with the decision behind it (P000-51) and listed for the DPO.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use skydd_storage::DisclosureRow;
use skydd_vault::DisclosureInput;
use utoipa::{IntoParams, ToSchema};

use crate::auth::{Authorized, need};
use crate::extract::{ApiJson, ApiQuery, ApiTime};
use crate::problem::{ApiError, Problem};
use crate::state::AppState;

/// The decision a disclosure rests on.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionRequest {
    /// `court_decision` or `order`.
    pub kind: String,
    /// The decision's reference (case number). Required: no decision, no disclosure.
    pub reference: Option<String>,
    /// The court or authority that decided.
    pub decided_by: String,
    /// The date of the decision.
    #[schema(value_type = String, format = Date)]
    pub decided_on: Date,
    /// SHA-256 (hex) of the decision document.
    pub document_sha256: Option<String>,
}

/// A disclosure to record.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DisclosureRequest {
    /// The register's recipient id of the authority.
    pub authority: String,
    /// The register's purpose (may be left out when the authority has one).
    pub purpose: Option<String>,
    /// The law the disclosure rests on.
    pub legal_basis: String,
    /// The decision. Required.
    pub decision: Option<DecisionRequest>,
    /// The subjects whose data is disclosed.
    pub subjects: Vec<String>,
    /// The register's data categories disclosed.
    pub categories: Vec<String>,
    /// When the data was disclosed; now when left out.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub disclosed_at: Option<ApiTime>,
}

/// A recorded disclosure.
#[derive(Debug, Serialize, ToSchema)]
pub struct DisclosureResponse {
    /// The disclosure's id: 32 lowercase hex digits.
    pub id: String,
    /// When the data was disclosed.
    #[schema(value_type = String, format = DateTime)]
    pub disclosed_at: Timestamp,
    /// Who recorded it: a token id or `cli:<user>`.
    pub recorded_by: String,
    /// The register's recipient id of the authority the data went to.
    pub authority: String,
    /// The register's purpose id the disclosure serves.
    pub purpose: String,
    /// The law the disclosure rests on.
    pub legal_basis: String,
    /// `court_decision` or `order`.
    pub decision_kind: String,
    /// The decision's reference (case number).
    pub decision_reference: String,
    /// The court or authority that decided.
    pub decided_by: String,
    /// The date of the decision (`YYYY-MM-DD`).
    pub decided_on: String,
    /// SHA-256 (hex) of the decision document; `null` when none was given.
    pub document_sha256: Option<String>,
    /// The ids of the subjects whose data was disclosed.
    pub subjects: Vec<String>,
    /// The register's data categories disclosed.
    pub categories: Vec<String>,
}

impl From<DisclosureRow> for DisclosureResponse {
    fn from(view: DisclosureRow) -> DisclosureResponse {
        DisclosureResponse {
            id: view.id,
            disclosed_at: view.at,
            recorded_by: view.actor,
            authority: view.recipient,
            purpose: view.purpose,
            legal_basis: view.legal_basis,
            decision_kind: view.decision_kind,
            decision_reference: view.decision_reference,
            decided_by: view.decided_by,
            decided_on: view.decided_on,
            document_sha256: view.document_sha256,
            subjects: view.subjects,
            categories: view.categories,
        }
    }
}

/// Which disclosures to list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DisclosureFilter {
    /// Only those that included this subject.
    pub subject: Option<String>,
}

/// The answer to `GET /v1/disclosures`: the disclosures to authorities recorded, only those
/// that included the subject when one is asked for.
#[derive(Debug, Serialize, ToSchema)]
pub struct DisclosuresResponse {
    /// Oldest first.
    pub disclosures: Vec<DisclosureResponse>,
}

/// Record a disclosure to an authority.
#[utoipa::path(
    post,
    path = "/v1/disclosures",
    tag = "disclosures",
    security(("bearer" = [])),
    request_body = DisclosureRequest,
    responses(
        (status = 201, description = "The disclosure is recorded and audited.", body = DisclosureResponse),
        (status = 422, description = "No decision or decision reference, a recipient that is not an \
            authority of the register, a category it may not receive.",
            body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid API token.", body = Problem,
            content_type = "application/problem+json"),
        (status = 403, description = "The token's role may not write, or the register does not \
            allow the disclosure for a subject.", body = Problem,
            content_type = "application/problem+json"),
        (status = 404, description = "An unknown subject.", body = Problem,
            content_type = "application/problem+json"),
    )
)]
pub async fn disclose(
    State(state): State<AppState>,
    Authorized(caller, _): Authorized<need::DisclosuresWrite>,
    ApiJson(body): ApiJson<DisclosureRequest>,
) -> Result<Response, ApiError> {
    let now = state.clock.now();
    let missing = || {
        ApiError::invalid(
            "a disclosure to an authority needs the decision that orders it, with its reference",
            "give `decision` with `kind` (court_decision or order), `reference`, `decided_by` and \
             `decided_on`; without a court decision or similar decision nothing is disclosed",
        )
    };
    let decision = body.decision.ok_or_else(missing)?;
    let reference = decision
        .reference
        .filter(|r| !r.trim().is_empty())
        .ok_or_else(missing)?;
    let input = DisclosureInput {
        recipient: body.authority,
        purpose: body.purpose,
        legal_basis: body.legal_basis,
        decision_kind: decision.kind,
        decision_reference: reference,
        decided_by: decision.decided_by,
        decided_on: decision.decided_on,
        document_sha256: decision.document_sha256,
        subjects: body.subjects,
        categories: body.categories,
        disclosed_at: body.disclosed_at.map(|ApiTime(at)| at),
    };
    let view = state.vault().disclose(&caller.actor, input, now).await?;
    Ok((StatusCode::CREATED, Json(DisclosureResponse::from(view))).into_response())
}

/// List disclosures to authorities.
#[utoipa::path(
    get,
    path = "/v1/disclosures",
    tag = "disclosures",
    security(("bearer" = [])),
    params(DisclosureFilter),
    responses(
        (status = 200, description = "The disclosures, oldest first.", body = DisclosuresResponse),
        (status = 401, description = "No valid API token.", body = Problem,
            content_type = "application/problem+json"),
        (status = 404, description = "An unknown subject.", body = Problem,
            content_type = "application/problem+json"),
    )
)]
pub async fn list_disclosures(
    State(state): State<AppState>,
    Authorized(caller, _): Authorized<need::DisclosuresRead>,
    ApiQuery(filter): ApiQuery<DisclosureFilter>,
) -> Result<Json<DisclosuresResponse>, ApiError> {
    let vault = state.vault();
    let views = match &filter.subject {
        Some(subject) => vault.disclosures_of_subject(&caller.actor, subject).await?,
        None => vault.disclosures().await?,
    };
    Ok(Json(DisclosuresResponse {
        disclosures: views.into_iter().map(DisclosureResponse::from).collect(),
    }))
}
