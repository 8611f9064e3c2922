//! `/v1/disclosures`: personal data disclosed to the register's recipients: to an authority only
//! on a decision (P000-50), to others only for a purpose and categories the register gives
//! them; each audited per subject with the decision behind it (P000-51) and listed for the DPO.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use skydd_register::Register;
use skydd_register::model::{Choice, RecipientKind};
use skydd_storage::DisclosureRow;
use skydd_vault::{DisclosureInput, DisclosureOrder};
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
    /// The decision's reference (case number). Required: no decision, no disclosure to an
    /// authority.
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
    /// The register's recipient id: an authority, a group company, a credit agency, a buyer of
    /// the business ... (`authority`, the field's name when only authorities could receive
    /// data, is still accepted).
    #[serde(alias = "authority")]
    pub recipient: String,
    /// The register's purpose (may be left out when the recipient has only one).
    pub purpose: Option<String>,
    /// What the disclosure rests on. Required for an authority: the law. For other
    /// recipients it may be left out: the legal bases the decisions found are recorded.
    pub legal_basis: Option<String>,
    /// The decision ordering the disclosure. Required for an authority.
    pub decision: Option<DecisionRequest>,
    /// The subjects whose data is disclosed.
    pub subjects: Vec<String>,
    /// The register's data categories disclosed.
    pub categories: Vec<String>,
    /// When the data was disclosed; now when left out.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub disclosed_at: Option<ApiTime>,
    /// Only these fields of the disclosed categories go out (P003-18: only necessary data);
    /// left out, every field of them.
    #[serde(default)]
    #[schema(example = json!(["name", "company"]))]
    pub fields: Vec<String>,
    /// `true` to get the data disclosed back in `export` (decrypted, only the disclosed
    /// categories and `fields`, only records a decision for the purpose allows), to send on.
    #[serde(default)]
    pub export: bool,
}

/// The data of one subject handed out by a disclosure.
#[derive(Debug, Serialize, ToSchema)]
pub struct DisclosedSubjectResponse {
    /// The subject's id.
    pub subject: String,
    /// The records that go out, each with only the fields disclosed.
    pub records: Vec<DisclosedRecordResponse>,
}

/// One record as disclosed.
#[derive(Debug, Serialize, ToSchema)]
pub struct DisclosedRecordResponse {
    /// The record's id.
    pub id: String,
    /// Its data category.
    pub category: String,
    /// The fields disclosed, by field id.
    #[schema(value_type = Object)]
    pub fields: serde_json::Map<String, serde_json::Value>,
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
    /// The register's recipient id the data went to.
    pub recipient: String,
    /// The recipient's kind in the register now (`authority`, `controller`, `group_company`
    /// ...); `null` when the register no longer names it.
    pub recipient_kind: Option<String>,
    /// The recipient id when it is an authority, else `null`. Deprecated: read `recipient`.
    #[schema(deprecated)]
    pub authority: Option<String>,
    /// The register's purpose id the disclosure serves.
    pub purpose: String,
    /// What the disclosure rests on: the law for an authority; otherwise what the caller
    /// gave, or the legal bases decided (`contract`, `legitimate_interest` ...).
    pub legal_basis: String,
    /// `court_decision` or `order`; `null` for a disclosure without a decision.
    pub decision_kind: Option<String>,
    /// The decision's reference (case number); `null` without a decision.
    pub decision_reference: Option<String>,
    /// The court or authority that decided; `null` without a decision.
    pub decided_by: Option<String>,
    /// The date of the decision (`YYYY-MM-DD`); `null` without a decision.
    pub decided_on: Option<String>,
    /// SHA-256 (hex) of the decision document; `null` when none was given.
    pub document_sha256: Option<String>,
    /// The ids of the subjects whose data was disclosed.
    pub subjects: Vec<String>,
    /// The register's data categories disclosed.
    pub categories: Vec<String>,
    /// The data handed out, per subject, when `export` was asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub export: Option<Vec<DisclosedSubjectResponse>>,
}

impl DisclosureResponse {
    /// The answer for `view`, with its recipient's kind from `register`.
    fn new(view: DisclosureRow, register: &Register) -> DisclosureResponse {
        let kind = register
            .recipients
            .iter()
            .find(|r| r.id.0 == view.recipient)
            .map(|r| r.kind);
        let decision = view.decision;
        DisclosureResponse {
            id: view.id,
            disclosed_at: view.at,
            recorded_by: view.actor,
            authority: (kind == Some(RecipientKind::Authority)).then(|| view.recipient.clone()),
            recipient_kind: kind.map(|k| k.word().to_string()),
            recipient: view.recipient,
            purpose: view.purpose,
            legal_basis: view.legal_basis,
            decision_kind: decision.as_ref().map(|d| d.kind.clone()),
            decision_reference: decision.as_ref().map(|d| d.reference.clone()),
            decided_by: decision.as_ref().map(|d| d.decided_by.clone()),
            decided_on: decision.as_ref().map(|d| d.decided_on.clone()),
            document_sha256: decision.and_then(|d| d.document_sha256),
            subjects: view.subjects,
            categories: view.categories,
            export: None,
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

/// The answer to `GET /v1/disclosures`: the disclosures recorded, only those that included the
/// subject when one is asked for.
#[derive(Debug, Serialize, ToSchema)]
pub struct DisclosuresResponse {
    /// Oldest first.
    pub disclosures: Vec<DisclosureResponse>,
}

/// Record a disclosure to a recipient of the register.
#[utoipa::path(
    post,
    path = "/v1/disclosures",
    tag = "disclosures",
    security(("bearer" = [])),
    request_body = DisclosureRequest,
    responses(
        (status = 201, description = "The disclosure is recorded and audited.", body = DisclosureResponse),
        (status = 422, description = "A disclosure to an authority without a decision, its reference or \
            the law; an id the register does not have; no subjects or categories.",
            body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid API token.", body = Problem,
            content_type = "application/problem+json"),
        (status = 403, description = "The caller does not hold `disclosures_write`, or the register does not \
            allow the disclosure: the recipient does not receive data for the purpose \
            (`recipient_not_for_purpose`) or of a category (`recipient_not_for_category`), or a \
            decision for a subject denies it (its deny code).", body = Problem,
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
    let decision = match body.decision {
        Some(decision) => Some(DisclosureOrder {
            kind: decision.kind,
            reference: decision.reference.unwrap_or_default(),
            decided_by: decision.decided_by,
            decided_on: decision.decided_on,
            document_sha256: decision.document_sha256,
        }),
        None => None,
    };
    let input = DisclosureInput {
        recipient: body.recipient,
        purpose: body.purpose,
        legal_basis: body.legal_basis,
        decision,
        subjects: body.subjects,
        categories: body.categories,
        disclosed_at: body.disclosed_at.map(|ApiTime(at)| at),
        fields: body.fields,
        export: body.export,
    };
    let vault = state.vault();
    let disclosed = vault.disclose(&caller.actor, input, now).await?;
    let mut answer = DisclosureResponse::new(disclosed.row, vault.register());
    answer.export = disclosed.export.map(|subjects| {
        subjects
            .into_iter()
            .map(|s| DisclosedSubjectResponse {
                subject: s.subject,
                records: s
                    .records
                    .into_iter()
                    .map(|r| DisclosedRecordResponse {
                        id: r.id,
                        category: r.category,
                        fields: r.fields,
                    })
                    .collect(),
            })
            .collect()
    });
    Ok((StatusCode::CREATED, Json(answer)).into_response())
}

/// List disclosures to the register's recipients.
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
    let register = vault.register();
    Ok(Json(DisclosuresResponse {
        disclosures: views
            .into_iter()
            .map(|view| DisclosureResponse::new(view, register))
            .collect(),
    }))
}
