//! `/v1/requests`: data-subject requests (Art. 12-22).
//!
//! Intake (`POST /v1/requests`), the identity check (`POST /v1/requests/{id}/verify`) and the
//! identity document upload are public: a data subject has no API token. A token, when sent,
//! must be valid, and only a caller with `requests_intake` may register a request received
//! earlier by letter or e-mail (`received_at`). The answer to an intake has the same shape
//! whether or not the identity is known, so it never tells whether someone is a customer.
//! Everything else needs one permission: listing and reading a request's metadata
//! `requests_read`; assigning, extending, fulfilling and rejecting `requests_handle`; the
//! access package and the erasure plan `requests_data`, for a caller limited to assigned
//! requests (`support`) only in requests assigned to it.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use skydd_staff::permission::Permission;
use skydd_vault::{
    Actor, AssigneeFilter, Correction, FulfilInput, NewRequest, RequestQuery, RequestReceipt,
    RequestView, StateFilter, parse_request_type,
};
use utoipa::{IntoParams, ToSchema};

use crate::api::openapi::{words_or_null_schema, words_schema};
use crate::auth::{Authorized, PeerIp, Principal, need};
use crate::extract::{ApiBytes, ApiJson, ApiPath, ApiQuery, ApiTime};
use crate::limit::{Limited, route};
use crate::problem::{ApiError, Problem};
use crate::state::AppState;

/// The principal of a valid token, when one was sent (public endpoints).
pub struct MaybePrincipal(pub Option<Principal>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for MaybePrincipal {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(MaybePrincipal(parts.extensions.get::<Principal>().cloned()))
    }
}

/// Whoever calls a public endpoint: a token's principal, or the data subject.
struct PublicCaller {
    principal: Option<Principal>,
    actor: Actor,
}

impl PublicCaller {
    fn of(principal: Option<Principal>, PeerIp(ip): PeerIp) -> PublicCaller {
        let id = principal
            .as_ref()
            .map_or_else(|| "subject".to_string(), Principal::actor_id);
        PublicCaller {
            principal,
            actor: Actor {
                id,
                ip,
                tenant: None,
                // The person who filed it acts on their own request by its id and code.
                sees_confidential: true,
            },
        }
    }
}

/// The identity a request is made with: exactly one.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestIdentity {
    /// An e-mail address.
    #[schema(min_length = 1, example = "a@example.se")]
    pub email: Option<String>,
    /// A phone number.
    #[schema(min_length = 1)]
    pub phone: Option<String>,
    /// A Swedish personnummer.
    #[schema(min_length = 1)]
    pub personnummer: Option<String>,
    /// The controller's own customer number for the subject: any text up to 128 characters,
    /// trimmed.
    #[schema(min_length = 1)]
    pub customer_number: Option<String>,
}

/// The body of `POST /v1/requests`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmitRequest {
    /// `access`, `portability`, `rectification`, `erasure`, `restriction`, `objection`,
    /// `withdraw_consent`, `marketing_opt_out`, `safeguard_copy` (a copy of the transfer
    /// safeguards, Art. 13(1)(f): no identity check, the same answer for everyone) or
    /// `complaint` (seen by the privacy officer only, P000-72).
    #[serde(rename = "type")]
    #[schema(schema_with = request_type_schema, example = "access")]
    pub request_type: String,
    /// Who the request is about.
    pub identity: Option<RequestIdentity>,
    /// How it arrived: `web` (default), `email`, `letter`, `phone`, `api`.
    #[serde(default)]
    #[schema(schema_with = channel_schema, example = "web")]
    pub channel: Option<String>,
    /// The tenant (customer) whose user the subject is (processor mode).
    #[serde(default)]
    pub tenant: Option<String>,
    /// The purpose an objection or consent withdrawal concerns.
    #[serde(default)]
    pub purpose: Option<String>,
    /// When the request arrived, if earlier (needs `requests_intake`): the deadline counts from it.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub received_at: Option<ApiTime>,
    /// Filed by someone else for the person, such as their organisation's administrator
    /// (P002-41): the person must confirm it with the code sent to them, whatever methods the
    /// register names; staff cannot confirm it in their place.
    #[serde(default)]
    pub on_behalf: bool,
}

/// The answer to an intake or a verification: the same shape for every identity.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReceiptResponse {
    /// The request id: 32 lowercase hex digits.
    #[schema(example = "3f2a9c0e5b7d4e1f8a6b2c9d0e1f2a3b")]
    pub id: String,
    /// Where the request stands now (`received`, `verifying`, `verified` ...): the same for a
    /// known and an unknown identity.
    #[schema(example = "verifying")]
    pub state: String,
    /// The end of the due day (Art. 12(3)), UTC.
    #[schema(value_type = String, format = DateTime)]
    pub due_at: Timestamp,
    /// The due date before rolling to a working day.
    #[schema(example = "2026-05-14")]
    pub unrolled_due: String,
}

impl From<RequestReceipt> for ReceiptResponse {
    fn from(r: RequestReceipt) -> Self {
        ReceiptResponse {
            id: r.id,
            state: r.state.to_string(),
            due_at: r.due_at,
            unrolled_due: r.unrolled_due,
        }
    }
}

/// One event in a request's history.
#[derive(Debug, Serialize, ToSchema)]
pub struct RequestEventResponse {
    /// When the change was made: an RFC 3339 instant in UTC.
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    /// Who (token id, `subject`).
    pub actor: String,
    /// What happened: the move made, or the letter sent on the way.
    #[schema(schema_with = request_action_schema)]
    pub action: String,
    /// The state before; `null` for the event that registered the request.
    #[schema(schema_with = state_or_null_schema)]
    pub from_state: Option<String>,
    /// The state after; the same as before for a letter sent on the way.
    #[schema(schema_with = state_schema)]
    pub to_state: String,
    /// More (never a personal value).
    pub detail: Option<String>,
}

/// A request as the DPO sees it (never an identity value).
#[derive(Debug, Serialize, ToSchema)]
pub struct RequestResponse {
    /// The request id: 32 lowercase hex digits.
    pub id: String,
    /// What the subject asked for: `access`, `portability`, `rectification`, `erasure`,
    /// `restriction`, `objection`, `withdraw_consent`, `marketing_opt_out` or `safeguard_copy`.
    #[serde(rename = "type")]
    #[schema(schema_with = request_type_schema)]
    pub request_type: String,
    /// Where it stands: `received`, `verifying`, `verified`, `in_progress`, `completed` or
    /// `rejected`.
    #[schema(schema_with = state_schema)]
    pub state: String,
    /// How it arrived: `web`, `email`, `letter`, `phone` or `api`.
    #[schema(schema_with = answered_channel_schema)]
    pub channel: String,
    /// The tenant (processor mode).
    pub tenant: Option<String>,
    /// The subject's id once the identity matched one; `null` otherwise.
    pub subject_id: Option<String>,
    /// The kind of identity given.
    #[schema(schema_with = identity_kind_schema)]
    pub identity_kind: String,
    /// When the request arrived (RFC 3339, UTC); the deadline counts from here.
    #[schema(value_type = String, format = DateTime)]
    pub received_at: Timestamp,
    /// Due (end of the due day).
    #[schema(value_type = String, format = DateTime)]
    pub due_at: Timestamp,
    /// Due date before rolling to a working day.
    pub unrolled_due: String,
    /// Whether the deadline was extended.
    pub extended: bool,
    /// How many months the deadline was extended by (0, 1 or 2, Art. 12(3)).
    pub extended_months: u32,
    /// Queued for the tenant (the controller) to decide.
    pub routed_to_controller: bool,
    /// Why an admin must decide on a fee or a refusal (Art. 12(5)).
    pub needs_decision: Option<String>,
    /// Reasons given for an extension or a rejection.
    pub reasons: Option<String>,
    /// What fulfilment did (deleted records, exceptions under legal holds ...).
    #[schema(value_type = Option<Object>)]
    pub outcome: Option<serde_json::Value>,
    /// When it was completed or rejected; `null` while open.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub closed_at: Option<Timestamp>,
    /// Open and past due.
    pub overdue: bool,
    /// History, oldest first (on `GET /v1/requests/{id}`).
    pub events: Vec<RequestEventResponse>,
    /// Recipients told of a rectification, erasure or restriction (Art. 19; on
    /// `GET /v1/requests/{id}`).
    pub recipient_notifications: Vec<RecipientNoticeResponse>,
    /// Per connected database (issue 16; on `GET /v1/requests/{id}`): what the request did
    /// there and, for a restriction or an objection, the data it covers there.
    pub systems: Vec<SystemResponse>,
    /// Who works the request: a staff account id or a token id; `null` while nobody does
    /// (`POST /v1/requests/{id}/assign`).
    pub assignee: Option<String>,
    /// While the request is `verifying` (on `GET /v1/requests/{id}`): the methods staff may
    /// confirm the identity by (`POST /v1/requests/{id}/identity`), the register's own but the
    /// codes. `customer_confirmation` is the task of asking the customer's administrator to
    /// confirm who the person is and which right they use (P002-42); empty otherwise.
    #[schema(example = json!(["customer_confirmation"]))]
    pub confirm_identity_by: Vec<String>,
}

/// A request in one connected database.
#[derive(Debug, Serialize, ToSchema)]
pub struct SystemResponse {
    /// The system: a dataset's name (`GET /v1/datasets/{name}`).
    pub system: String,
    /// What was done there, per action; empty before anything ran.
    pub outcomes: Vec<SystemOutcomeResponse>,
    /// For a restriction or an objection: the fields it covers there (Skydd does not write to
    /// the system; the company acts on them). Empty for other requests.
    pub covers: Vec<CoveredField>,
}

/// One action's outcome in a connected database.
#[derive(Debug, Serialize, ToSchema)]
pub struct SystemOutcomeResponse {
    /// `access`, `erasure`, `rectification`, `restriction` or `objection`.
    pub action: String,
    /// `pending`, `done`, `failed` or `skipped`; a request is never completed while one of
    /// its systems is not `done`.
    pub state: String,
    /// Why it failed or was skipped.
    pub reason: Option<String>,
    /// The receipt: tables, row counts, fields and strategies (no personal value).
    #[schema(value_type = Object)]
    pub receipt: serde_json::Value,
    /// When it was last written.
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
}

/// A field a restriction or an objection covers in a connected database.
#[derive(Debug, Serialize, ToSchema)]
pub struct CoveredField {
    /// The collection (table).
    pub collection: String,
    /// The field (column).
    pub field: String,
    /// Its register data category.
    pub category: String,
}

/// A notification owed to a recipient of the data (Art. 19).
#[derive(Debug, Serialize, ToSchema)]
pub struct RecipientNoticeResponse {
    /// The register's recipient id.
    pub recipient: String,
    /// `rectified`, `erased` or `restricted`.
    #[schema(schema_with = recipient_action_schema)]
    pub action: String,
    /// The data categories concerned.
    pub categories: Vec<String>,
    /// `manual` (the register gives the recipient no `notify` address: send it by hand),
    /// `queued` (in the outbox), then `sent` or `failed` (the outbox gave up: send it by hand).
    pub state: String,
}

impl From<RequestView> for RequestResponse {
    fn from(v: RequestView) -> Self {
        RequestResponse {
            id: v.id,
            request_type: v.request_type.to_string(),
            state: v.state.to_string(),
            channel: v.channel,
            tenant: v.tenant,
            subject_id: v.subject_id,
            identity_kind: v.identity_kind,
            received_at: v.received_at,
            due_at: v.due_at,
            unrolled_due: v.unrolled_due,
            extended: v.extended,
            extended_months: v.extended_months,
            routed_to_controller: v.routed_to_controller,
            needs_decision: v.needs_decision,
            reasons: v.reasons,
            outcome: v.outcome,
            closed_at: v.closed_at,
            overdue: v.overdue,
            assignee: v.assignee,
            confirm_identity_by: Vec::new(),
            events: v
                .events
                .into_iter()
                .map(|e| RequestEventResponse {
                    at: e.at,
                    actor: e.actor,
                    action: e.action,
                    from_state: e.from_state.map(|s| s.to_string()),
                    to_state: e.to_state.to_string(),
                    detail: e.detail,
                })
                .collect(),
            recipient_notifications: v
                .recipient_notifications
                .into_iter()
                .map(|n| RecipientNoticeResponse {
                    recipient: n.recipient,
                    action: n.action.to_string(),
                    categories: n.categories,
                    state: n.state.to_string(),
                })
                .collect(),
            systems: Vec::new(),
        }
    }
}

/// The body of `POST /v1/requests/{id}/verify`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyRequest {
    /// The one-time code sent to the subject.
    #[schema(example = "12345678")]
    pub code: String,
}

/// The body of `POST /v1/requests/{id}/identity`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfirmIdentity {
    /// How the identity was verified: a method of the register's
    /// `rights.identity_verification` other than a code (`signed_request`, `id_document`,
    /// `customer_confirmation`, `account_login`).
    #[schema(example = "signed_request")]
    pub method: String,
}

/// The body of `POST /v1/requests/{id}/extend`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExtendRequest {
    /// 1 or 2 (at most 2 in total).
    #[schema(minimum = 1, maximum = 2)]
    #[serde(deserialize_with = "crate::extract::whole_number")]
    pub months: u32,
    /// Why (complexity, number of requests); told to the subject.
    pub reason: String,
}

/// The body of `POST /v1/requests/{id}/assign`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignRequest {
    /// Who works the request: a staff account id or a token id (letters, digits, `-`, `_`,
    /// `:`; at most 128); `null` to assign it to nobody.
    #[schema(pattern = r"^[A-Za-z0-9_:-]{1,128}$")]
    pub assignee: Option<String>,
}

/// The body of `POST /v1/requests/{id}/reject`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RejectRequest {
    /// The reasons, told to the subject with the right to complain (Art. 12(4)).
    pub reasons: String,
}

/// One correction for a rectification.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CorrectionBody {
    /// The id of the record to correct (32 lowercase hex digits); it must be one of the
    /// request's subject.
    pub record_id: String,
    /// The new field values.
    #[schema(value_type = Object)]
    pub fields: serde_json::Map<String, serde_json::Value>,
}

/// A correction of data in the connected databases (rectification).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConnectedCorrectionBody {
    /// What it corrects: a register category (every declared field of it) or one field,
    /// `collection.field`, in every connected system that declares it.
    pub concerns: String,
    /// The corrected value, as text.
    pub value: String,
}

/// The body of `POST /v1/requests/{id}/fulfil`: what the request type needs.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FulfilRequest {
    /// Rectification: the corrections.
    #[serde(default)]
    pub corrections: Vec<CorrectionBody>,
    /// Rectification: corrections of the connected databases (written there first, each
    /// system in one transaction; the audit names the fields changed, the old and new values
    /// stay sealed). With these, `corrections` may be empty.
    #[serde(default)]
    pub connected_corrections: Vec<ConnectedCorrectionBody>,
    /// Objection, consent withdrawal: the purpose (default: the one given at intake).
    #[serde(default)]
    pub purpose: Option<String>,
    /// Restriction: lift it, for these reasons (the subject is told first, Art. 18(3)).
    #[serde(default)]
    pub lift_restriction: Option<String>,
    /// Provide a copy outside the free allowance (Art. 12(5)).
    #[serde(default)]
    pub provide_copy: bool,
    /// Portability: send the file directly to another controller as well (Art. 20(2)). The
    /// request completes only once the endpoint accepted it (a 2xx answer).
    #[serde(default)]
    pub transmit_to: Option<TransmitToBody>,
}

/// Another controller's endpoint for a portability file (Art. 20(2)).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransmitToBody {
    /// The receiving controller's name, as the person gave it (named in the letter).
    #[schema(max_length = 200)]
    pub controller: String,
    /// Its endpoint, taking the zip in a POST: `https://`, or `http://` to a loopback address.
    pub url: String,
    /// A bearer token the endpoint needs, if any; sent, never stored.
    #[serde(default)]
    pub token: Option<String>,
}

impl std::fmt::Debug for TransmitToBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TransmitToBody")
            .field("controller", &self.controller)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .finish_non_exhaustive()
    }
}

/// The query of `GET /v1/requests`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// A state, or `open` for every request not completed or rejected.
    #[param(schema_with = state_filter_schema)]
    pub state: Option<String>,
    /// Only requests due before this date (`YYYY-MM-DD`, the start of that day in
    /// Europe/Stockholm) or instant.
    #[param(pattern = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9:.]+(Z|[+-][0-9]{2}:[0-9]{2}))?$")]
    pub due_before: Option<String>,
    /// Only open requests past due.
    #[serde(default)]
    pub overdue: bool,
    /// Only this tenant's requests.
    pub tenant: Option<String>,
    /// Only requests assigned to this id (a staff account id or a token id), or `none` for
    /// requests assigned to nobody.
    #[param(pattern = r"^[A-Za-z0-9_:-]{1,128}$")]
    pub assignee: Option<String>,
}

/// The schema of the `state` filter: a state's word, or `open`.
fn state_filter_schema() -> utoipa::openapi::schema::Object {
    words_schema(
        skydd_requests::RequestState::ALL
            .iter()
            .map(|state| state.as_str())
            .chain(["open"]),
    )
}

/// The schema of a request's state.
fn state_schema() -> utoipa::openapi::schema::Object {
    words_schema(skydd_requests::RequestState::ALL.iter().map(|s| s.as_str()))
}

/// [`state_schema`] or `null` (the state before the first event).
fn state_or_null_schema() -> utoipa::openapi::schema::Object {
    words_or_null_schema(skydd_requests::RequestState::ALL.iter().map(|s| s.as_str()))
}

/// The schema of a request's channel in an answer: always set.
fn answered_channel_schema() -> utoipa::openapi::schema::Object {
    words_schema(skydd_vault::CHANNELS)
}

/// The schema of what a recipient was told (Art. 19): `rectified`, `erased`, `restricted`.
/// The schema of a request event's `action`: one of [`skydd_requests::RequestAction`]'s words.
fn request_action_schema() -> utoipa::openapi::schema::Object {
    words_schema(
        skydd_requests::RequestAction::ALL
            .iter()
            .map(|a| a.as_str()),
    )
}

fn recipient_action_schema() -> utoipa::openapi::schema::Object {
    words_schema(
        skydd_requests::RecipientAction::ALL
            .iter()
            .map(|a| a.as_str()),
    )
}

/// The kinds of identity a request is made with: the members of [`RequestIdentity`].
const REQUEST_IDENTITY_KINDS: [&str; 4] = ["email", "phone", "personnummer", "customer_number"];

/// The schema of a request's `identity_kind`.
fn identity_kind_schema() -> utoipa::openapi::schema::Object {
    words_schema(REQUEST_IDENTITY_KINDS)
}

/// The schema of the package's `format`.
fn package_format_schema() -> utoipa::openapi::schema::Object {
    words_schema(["json", "html", "zip"])
}

/// The schema of a request type: `access` ... `safeguard_copy`.
fn request_type_schema() -> utoipa::openapi::schema::Object {
    words_schema(skydd_requests::RequestType::ALL.iter().map(|t| t.as_str()))
}

/// The schema of a request's channel: `web`, `email`, `letter`, `phone` or `api`.
fn channel_schema() -> utoipa::openapi::schema::Object {
    words_or_null_schema(skydd_vault::CHANNELS)
}

/// The query of `GET /v1/requests/{id}/package`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PackageQuery {
    /// `json` (default), `html` (the register excerpt) or `zip` (portability: JSON and CSV).
    #[param(schema_with = package_format_schema)]
    pub format: Option<String>,
}

/// The bytes of an identity document, sent as the body (for the OpenAPI document: the handler
/// reads the body as it comes).
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct DocumentBytes(pub Vec<u8>);

/// The id of an uploaded document.
#[derive(Debug, Serialize, ToSchema)]
pub struct DocumentStored {
    /// The document's id: 32 lowercase hex digits.
    pub id: String,
}

/// Register a data-subject request.
#[utoipa::path(
    post,
    path = "/v1/requests",
    tag = "requests",
    request_body = SubmitRequest,
    responses(
        (status = 202, description = "Registered. A one-time code goes to the subject if the \
            identity is known; the answer is the same either way.", body = ReceiptResponse),
        (status = 422, description = "Unknown type, no identity, or an invalid one.", body = Problem,
            content_type = "application/problem+json"),
        (status = 401, description = "A token was sent but is not valid.", body = Problem,
            content_type = "application/problem+json"),
        (status = 403, description = "`received_at` without the permission `requests_intake`.", body = Problem,
            content_type = "application/problem+json"),
        (status = 429, description = "Without a token: too many requests from this address, or \
            too many codes asked for this identity (from any address). Nothing was registered; \
            `Retry-After` says when to try again.", body = Problem,
            content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds until the next request is taken."))),
    )
)]
pub async fn submit_request(
    State(state): State<AppState>,
    _: Limited<route::Intake>,
    MaybePrincipal(principal): MaybePrincipal,
    ip: PeerIp,
    ApiJson(body): ApiJson<SubmitRequest>,
) -> Result<Response, ApiError> {
    let caller = PublicCaller::of(principal, ip);
    if body.received_at.is_some() {
        caller
            .principal
            .as_ref()
            .ok_or(ApiError::NotPermitted(Permission::RequestsIntake))?
            .require(Permission::RequestsIntake)?;
    }
    let identity = body.identity.unwrap_or_default();
    let [email, phone, personnummer, customer_number] = REQUEST_IDENTITY_KINDS;
    let mut identities: Vec<(&str, String)> = [
        (email, identity.email),
        (phone, identity.phone),
        (personnummer, identity.personnummer),
        (customer_number, identity.customer_number),
    ]
    .into_iter()
    .filter_map(|(kind, value)| value.map(|v| (kind, v)))
    .collect();
    let (kind, value) = match (identities.pop(), identities.is_empty()) {
        (Some(identity), true) => identity,
        _ => {
            return Err(ApiError::invalid(
                "`identity` must hold exactly one of `email`, `phone`, `personnummer`, `customer_number`",
                "send the identity the request is about, for example {\"identity\": {\"email\": \"…\"}}",
            ));
        }
    };
    let now = state.clock.now();
    // A code may go to this identity: its budget counts whoever asks, before anything is queued.
    if caller.principal.is_none() {
        state
            .public_limits()
            .check_identity_value(kind, &value, now)
            .map_err(ApiError::TooManyRequests)?;
    }
    let receipt = state
        .app()
        .submit_request(
            &caller.actor,
            NewRequest {
                request_type: parse_request_type(&body.request_type)?,
                identity_kind: kind.to_string(),
                identity_value: value,
                channel: body.channel.unwrap_or_else(|| "web".into()),
                tenant: body.tenant,
                received_at: body.received_at.map(|ApiTime(at)| at),
                purpose: body.purpose,
                held_elsewhere: false,
                on_behalf: body.on_behalf,
            },
            now,
        )
        .await?;
    Ok((StatusCode::ACCEPTED, Json(ReceiptResponse::from(receipt))).into_response())
}

/// Prove the identity with the one-time code.
#[utoipa::path(
    post,
    path = "/v1/requests/{id}/verify",
    tag = "requests",
    params(("id" = String, Path, description = "The request id.")),
    request_body = VerifyRequest,
    responses(
        (status = 200, description = "Verified.", body = ReceiptResponse),
        (status = 422, description = "Wrong, malformed or expired code, or no attempts left.",
            body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "A token was sent but is not valid.", body = Problem,
            content_type = "application/problem+json"),
        (status = 404, description = "No such request.", body = Problem,
            content_type = "application/problem+json"),
        (status = 409, description = "The request is not waiting for a code.", body = Problem,
            content_type = "application/problem+json"),
        (status = 429, description = "Without a token: too many requests from this address; \
            `Retry-After` says when to try again.", body = Problem,
            content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds until the next request is taken."))),
    )
)]
pub async fn verify_request(
    State(state): State<AppState>,
    _: Limited<route::Verify>,
    MaybePrincipal(principal): MaybePrincipal,
    ip: PeerIp,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<VerifyRequest>,
) -> Result<Json<ReceiptResponse>, ApiError> {
    let caller = PublicCaller::of(principal, ip);
    let now = state.clock.now();
    let receipt = state
        .vault()
        .verify_request(&caller.actor, &id, &body.code, now)
        .await?;
    Ok(Json(receipt.into()))
}

/// Confirm the requester's identity by a method the register names other than a code: a
/// signed written request received (P003-35), an identity document seen, the customer's
/// confirmation. Moves a request in `verifying` to `verified`; audited with the method.
#[utoipa::path(
    post,
    path = "/v1/requests/{id}/identity",
    tag = "requests",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The request id.")),
    request_body = ConfirmIdentity,
    responses(
        (status = 200, description = "Verified.", body = ReceiptResponse),
        (status = 422, description = "A method the register does not name, or a code method.",
            body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid API token.", body = Problem,
            content_type = "application/problem+json"),
        (status = 403, description = "The token may not handle requests.", body = Problem,
            content_type = "application/problem+json"),
        (status = 404, description = "No such request.", body = Problem,
            content_type = "application/problem+json"),
        (status = 409, description = "The request is not waiting for its identity.",
            body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn confirm_identity(
    State(state): State<AppState>,
    Authorized(caller, _): Authorized<need::RequestsHandle>,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<ConfirmIdentity>,
) -> Result<Json<ReceiptResponse>, ApiError> {
    let now = state.clock.now();
    let receipt = state
        .vault()
        .confirm_identity(&caller.actor, &id, &body.method, now)
        .await?;
    Ok(Json(receipt.into()))
}

/// Upload an identity document (a passport scan): the body is the file, `Content-Type` its
/// type. Stored encrypted; destroyed, bytes and key, when the request closes.
#[utoipa::path(
    post,
    path = "/v1/requests/{id}/documents",
    tag = "requests",
    params(("id" = String, Path, description = "The request id.")),
    request_body(
        content(
            (DocumentBytes = "application/pdf"),
            (DocumentBytes = "image/jpeg"),
            (DocumentBytes = "image/png"),
        ),
        description = "The document: application/pdf, image/jpeg or image/png, at most 10 MiB."),
    responses(
        (status = 201, description = "Stored.", body = DocumentStored),
        (status = 422, description = "Empty, too large, or an unsupported type.", body = Problem,
            content_type = "application/problem+json"),
        (status = 413, description = "Larger than 10 MiB and a little: not read at all.", body = Problem,
            content_type = "application/problem+json"),
        (status = 408, description = "The body did not arrive within the server's body-read \
            timeout; the connection is closed.", body = Problem,
            content_type = "application/problem+json"),
        (status = 401, description = "A token was sent but is not valid.", body = Problem,
            content_type = "application/problem+json"),
        (status = 404, description = "No such request.", body = Problem,
            content_type = "application/problem+json"),
        (status = 409, description = "The request is closed.", body = Problem,
            content_type = "application/problem+json"),
        (status = 429, description = "Without a token: too many uploads from this address, \
            refused before the body is read; `Retry-After` says when to try again.", body = Problem,
            content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds until the next request is taken."))),
    )
)]
pub async fn upload_document(
    State(state): State<AppState>,
    _: Limited<route::Documents>,
    MaybePrincipal(principal): MaybePrincipal,
    ip: PeerIp,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
    ApiBytes(body): ApiBytes,
) -> Result<Response, ApiError> {
    let caller = PublicCaller::of(principal, ip);
    let media_type = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let now = state.clock.now();
    let document = state
        .vault()
        .upload_document(&caller.actor, &id, &media_type, &body, now)
        .await?;
    Ok((StatusCode::CREATED, Json(DocumentStored { id: document })).into_response())
}

/// Extend the deadline (Art. 12(3)): before the first month ends, at most two months in total;
/// the subject is told the new date and the reason.
#[utoipa::path(
    post,
    path = "/v1/requests/{id}/extend",
    tag = "requests",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The request id.")),
    request_body = ExtendRequest,
    responses(
        (status = 200, description = "Extended.", body = RequestResponse),
        (status = 422, description = "Too late, too long, or no reason.", body = Problem,
            content_type = "application/problem+json"),
        (status = 401, description = "No valid API token.", body = Problem,
            content_type = "application/problem+json"),
        (status = 404, description = "No such request.", body = Problem,
            content_type = "application/problem+json"),
        (status = 409, description = "The request is closed.", body = Problem,
            content_type = "application/problem+json"),
    )
)]
pub async fn extend_request(
    State(state): State<AppState>,
    Authorized(caller, _): Authorized<need::RequestsHandle>,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<ExtendRequest>,
) -> Result<Json<RequestResponse>, ApiError> {
    let now = state.clock.now();
    let view = state
        .vault()
        .extend_request(&caller.actor, &id, body.months, &body.reason, now)
        .await?;
    Ok(Json(view.into()))
}

/// List requests, by due time.
#[utoipa::path(
    get,
    path = "/v1/requests",
    tag = "requests",
    security(("bearer" = [])),
    params(ListQuery),
    responses(
        (status = 200, description = "The requests.", body = Vec<RequestResponse>),
        (status = 422, description = "An unknown state or a bad date.", body = Problem,
            content_type = "application/problem+json"),
        (status = 401, description = "No valid API token.", body = Problem,
            content_type = "application/problem+json"),
    )
)]
pub async fn list_requests(
    State(state): State<AppState>,
    Authorized(caller, _): Authorized<need::RequestsRead>,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<Json<Vec<RequestResponse>>, ApiError> {
    let due_before = query
        .due_before
        .as_deref()
        .map(parse_due_before)
        .transpose()?;
    let now = state.clock.now();
    let views = state
        .vault()
        .list_requests(
            &caller.actor,
            RequestQuery {
                state: query.state.as_deref().map(StateFilter::parse).transpose()?,
                due_before,
                overdue: query.overdue,
                tenant: query.tenant,
                assignee: query.assignee.as_deref().map(assignee_filter).transpose()?,
            },
            now,
        )
        .await?;
    Ok(Json(views.into_iter().map(Into::into).collect()))
}

/// The `assignee` filter: `none`, or an id.
fn assignee_filter(word: &str) -> Result<AssigneeFilter, ApiError> {
    match word {
        "none" => Ok(AssigneeFilter::Nobody),
        id if skydd_vault::is_assignee_id(id) => Ok(AssigneeFilter::Is(id.to_string())),
        _ => Err(ApiError::InvalidQuery(
            "`assignee` is an account or token id (letters, digits, `-`, `_`, `:`), or `none`"
                .into(),
        )),
    }
}

/// A date (`YYYY-MM-DD`, its start in Europe/Stockholm) or an instant.
fn parse_due_before(text: &str) -> Result<Timestamp, ApiError> {
    if let Ok(at) = text.parse::<Timestamp>() {
        return Ok(at);
    }
    text.parse::<jiff::civil::Date>()
        .ok()
        .and_then(|date| {
            date.to_zoned(skydd_register::zone::stockholm())
                .ok()
                .map(|z| z.timestamp())
        })
        .ok_or_else(|| {
            ApiError::invalid(
                "`due_before` is not a date",
                "use a date (YYYY-MM-DD) or an RFC 3339 instant",
            )
        })
}

/// One request with its history.
#[utoipa::path(
    get,
    path = "/v1/requests/{id}",
    tag = "requests",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The request id.")),
    responses(
        (status = 200, description = "The request.", body = RequestResponse),
        (status = 401, description = "No valid API token.", body = Problem,
            content_type = "application/problem+json"),
        (status = 404, description = "No such request.", body = Problem,
            content_type = "application/problem+json"),
    )
)]
pub async fn get_request(
    State(state): State<AppState>,
    Authorized(caller, _): Authorized<need::RequestsRead>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<RequestResponse>, ApiError> {
    let now = state.clock.now();
    let vault = state.vault();
    let view = vault.request(&caller.actor, &id, now).await?;
    let covering = matches!(
        view.request_type,
        skydd_requests::RequestType::Restriction | skydd_requests::RequestType::Objection
    );
    // An objection to one purpose covers that purpose's categories; a restriction, all.
    let categories: Option<Vec<String>> = match (
        view.request_type,
        vault.request_purpose(&caller.actor, &id).await?,
    ) {
        (skydd_requests::RequestType::Objection, Some(purpose)) => state
            .register
            .register
            .purposes
            .iter()
            .find(|p| p.id.as_str() == purpose)
            .map(|p| p.data_categories().map(|c| c.as_str().to_owned()).collect()),
        _ => None,
    };
    let mut outcomes = vault.system_outcomes(&caller.actor, &id).await?;
    let verifying = view.state == skydd_requests::RequestState::Verifying;
    let mut response = RequestResponse::from(view);
    if verifying {
        response.confirm_identity_by = skydd_requests::confirmed_by_staff(
            &state.register.register.rights.identity_verification,
        )
        .map(|m| skydd_register::model::Choice::word(m).to_owned())
        .collect();
    }
    for (system, fields) in state.datasets().coverage_of(categories.as_deref()) {
        let (own, rest): (Vec<_>, Vec<_>) = outcomes.into_iter().partition(|o| o.system == system);
        outcomes = rest;
        response.systems.push(SystemResponse {
            system,
            outcomes: own.into_iter().map(outcome_response).collect(),
            covers: if covering {
                fields
                    .into_iter()
                    .map(|(collection, field, category)| CoveredField {
                        collection,
                        field,
                        category,
                    })
                    .collect()
            } else {
                Vec::new()
            },
        });
    }
    // Outcomes of systems no longer served stay visible.
    let mut gone: Vec<String> = outcomes.iter().map(|o| o.system.clone()).collect();
    gone.dedup();
    for system in gone {
        let (own, rest): (Vec<_>, Vec<_>) = outcomes.into_iter().partition(|o| o.system == system);
        outcomes = rest;
        response.systems.push(SystemResponse {
            system,
            outcomes: own.into_iter().map(outcome_response).collect(),
            covers: Vec::new(),
        });
    }
    Ok(Json(response))
}

fn outcome_response(outcome: skydd_vault::SystemOutcomeView) -> SystemOutcomeResponse {
    SystemOutcomeResponse {
        action: outcome.action,
        state: outcome.state,
        reason: outcome.reason,
        // An erasure's primary keys stay in the sealed ledger (for replay), out of views.
        receipt: skydd_vault::receipt_without_keys(&outcome.receipt),
        updated_at: outcome.updated_at,
    }
}

/// Fulfil a verified request (type-specific body).
#[utoipa::path(
    post,
    path = "/v1/requests/{id}/fulfil",
    tag = "requests",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The request id.")),
    request_body = FulfilRequest,
    responses(
        (status = 200, description = "Completed; `outcome` says what was done.", body = RequestResponse),
        (status = 422, description = "Missing or invalid corrections or purpose.", body = Problem,
            content_type = "application/problem+json"),
        (status = 401, description = "No valid API token.", body = Problem,
            content_type = "application/problem+json"),
        (status = 404, description = "No such request.", body = Problem,
            content_type = "application/problem+json"),
        (status = 409, description = "Closed, not verified, routed to a tenant, or needing a \
            decision on a copy.", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn fulfil_request(
    State(state): State<AppState>,
    Authorized(caller, _): Authorized<need::RequestsHandle>,
    ApiPath(id): ApiPath<String>,
    body: Bytes,
) -> Result<Json<RequestResponse>, ApiError> {
    // An empty body is allowed: access, erasure and the like need nothing more.
    let body: FulfilRequest = if body.iter().all(u8::is_ascii_whitespace) {
        FulfilRequest::default()
    } else {
        let mut deserializer = serde_json::Deserializer::from_slice(&body);
        serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
            ApiError::InvalidBody(format!(
                "The body does not fit `fulfil` at `{}`: send corrections, connected_corrections, purpose, lift_restriction, provide_copy or transmit_to.",
                e.path()
            ))
        })?
    };
    let now = state.clock.now();
    // Through the app: an access request's connected databases are read (and their outcomes
    // recorded) before the vault completes it.
    let view = state
        .fulfil_request(
            &caller.actor,
            &id,
            FulfilInput {
                corrections: body
                    .corrections
                    .into_iter()
                    .map(|c| Correction {
                        record_id: c.record_id,
                        fields: c.fields,
                    })
                    .collect(),
                purpose: body.purpose,
                lift_restriction: body.lift_restriction,
                provide_copy: body.provide_copy,
                transmit_to: body.transmit_to.map(|t| skydd_vault::Transmission {
                    controller: t.controller,
                    url: t.url,
                    token: t.token,
                }),
                connected_corrections: body
                    .connected_corrections
                    .into_iter()
                    .map(|c| skydd_vault::ConnectedCorrection {
                        concerns: c.concerns,
                        value: c.value,
                    })
                    .collect(),
                ..FulfilInput::default()
            },
            now,
        )
        .await?;
    Ok(Json(view.into()))
}

/// The erasure plan (a dry run) of a verified erasure request in the connected databases.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErasurePlanResponse {
    /// Per connected system, in the order the datasets are served.
    pub systems: Vec<SystemPlanResponse>,
}

/// What erasure would do in one connected database: names, strategies and counts, never a
/// value.
#[derive(Debug, Serialize, ToSchema)]
pub struct SystemPlanResponse {
    /// The system: a dataset's name.
    pub system: String,
    /// Why the database could not be read (then `collections` is empty); no value, no
    /// connection string.
    pub failed: Option<String>,
    /// Per collection the subject's identities reach, in the order erasure writes them:
    /// `collection`, `rows` it writes, `fields` with `strategy` (and `category`), `shared` rows
    /// it leaves alone (another subject's too) and the references that make them shared
    /// (`shared_through`), and the fields a legal hold keeps (`held`, with the hold and its
    /// law).
    #[schema(value_type = Vec<Object>)]
    pub collections: Vec<serde_json::Value>,
    /// Per collection whose free text mentions the subject in rows the strategies leave
    /// (issue 21): `collection`, `rows` and `passages` that would be redacted in place, the
    /// `fields`, and the free-text fields a legal hold keeps as they are (`held`). Left out
    /// when there is none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<Object>)]
    pub redactions: Vec<serde_json::Value>,
}

/// What erasing a verified request would do in each connected database (nothing is written).
#[utoipa::path(
    get,
    path = "/v1/requests/{id}/erasure-plan",
    tag = "requests",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The request id.")),
    responses(
        (status = 200, description = "The plan, per connected system.", body = ErasurePlanResponse),
        (status = 401, description = "No valid API token.", body = Problem,
            content_type = "application/problem+json"),
        (status = 403, description = "The caller may not read this request's data.", body = Problem,
            content_type = "application/problem+json"),
        (status = 404, description = "No such request.", body = Problem,
            content_type = "application/problem+json"),
        (status = 409, description = "Not a verified, open erasure request.", body = Problem,
            content_type = "application/problem+json"),
    )
)]
pub async fn erasure_plan(
    State(state): State<AppState>,
    Authorized(caller, _): Authorized<need::RequestsData>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<ErasurePlanResponse>, ApiError> {
    let now = state.clock.now();
    let view = state.vault().request(&caller.actor, &id, now).await?;
    caller.require_request_data(view.assignee.as_deref())?;
    let plans = state.erasure_plan(&caller.actor, &id, now).await?;
    let systems = plans
        .into_iter()
        .map(|p| {
            let (collections, redactions) = p
                .plan
                .map(|plan| (as_json(&plan.collections), as_json(&plan.redactions)))
                .unwrap_or_default();
            SystemPlanResponse {
                system: p.system,
                failed: p.failed,
                collections,
                redactions,
            }
        })
        .collect();
    Ok(Json(ErasurePlanResponse { systems }))
}

/// Each of `items` as JSON (plans hold names and counts, never a value).
fn as_json<T: Serialize>(items: &[T]) -> Vec<serde_json::Value> {
    items
        .iter()
        .filter_map(|c| serde_json::to_value(c).ok())
        .collect()
}

/// Assign an open request to a staff member or a token (or to nobody): a request event and an
/// audit entry. A support member reads a request's personal data only when it is assigned to
/// them.
#[utoipa::path(
    post,
    path = "/v1/requests/{id}/assign",
    tag = "requests",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The request id.")),
    request_body = AssignRequest,
    responses(
        (status = 200, description = "Assigned; `assignee` says to whom.", body = RequestResponse),
        (status = 422, description = "The assignee is not an account or token id.", body = Problem,
            content_type = "application/problem+json"),
        (status = 401, description = "No valid API token.", body = Problem,
            content_type = "application/problem+json"),
        (status = 404, description = "No such request.", body = Problem,
            content_type = "application/problem+json"),
        (status = 409, description = "The request is closed.", body = Problem,
            content_type = "application/problem+json"),
    )
)]
pub async fn assign_request(
    State(state): State<AppState>,
    Authorized(caller, _): Authorized<need::RequestsHandle>,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<AssignRequest>,
) -> Result<Json<RequestResponse>, ApiError> {
    let now = state.clock.now();
    let view = state
        .vault()
        .assign_request(&caller.actor, &id, body.assignee.as_deref(), now)
        .await?;
    Ok(Json(view.into()))
}

/// Reject a request, with reasons (Art. 12(4)).
#[utoipa::path(
    post,
    path = "/v1/requests/{id}/reject",
    tag = "requests",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The request id.")),
    request_body = RejectRequest,
    responses(
        (status = 200, description = "Rejected.", body = RequestResponse),
        (status = 422, description = "No reasons.", body = Problem,
            content_type = "application/problem+json"),
        (status = 401, description = "No valid API token.", body = Problem,
            content_type = "application/problem+json"),
        (status = 404, description = "No such request.", body = Problem,
            content_type = "application/problem+json"),
        (status = 409, description = "The request is closed.", body = Problem,
            content_type = "application/problem+json"),
    )
)]
pub async fn reject_request(
    State(state): State<AppState>,
    Authorized(caller, _): Authorized<need::RequestsHandle>,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<RejectRequest>,
) -> Result<Json<RequestResponse>, ApiError> {
    let now = state.clock.now();
    let view = state
        .vault()
        .reject_request(&caller.actor, &id, &body.reasons, now)
        .await?;
    Ok(Json(view.into()))
}

/// The access package (Art. 15): JSON, the HTML register excerpt, or for portability the zip
/// with JSON and CSV (Art. 20).
#[utoipa::path(
    get,
    path = "/v1/requests/{id}/package",
    tag = "requests",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The request id."), PackageQuery),
    responses(
        (status = 200, description = "The package.", body = Object),
        (status = 400, description = "An unknown format.", body = Problem,
            content_type = "application/problem+json"),
        (status = 401, description = "No valid API token.", body = Problem,
            content_type = "application/problem+json"),
        (status = 404, description = "No such request.", body = Problem,
            content_type = "application/problem+json"),
        (status = 409, description = "Not an access or portability request, or not verified.",
            body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_package(
    State(state): State<AppState>,
    Authorized(caller, _): Authorized<need::RequestsData>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(query): ApiQuery<PackageQuery>,
) -> Result<Response, ApiError> {
    let now = state.clock.now();
    let vault = state.vault();
    let view = vault.request(&caller.actor, &id, now).await?;
    caller.require_request_data(view.assignee.as_deref())?;
    match query.format.as_deref().unwrap_or("json") {
        // The app reads the connected databases live and adds them to the vault's data.
        "json" => Ok(Json(state.access_package(&caller.actor, &id, now).await?).into_response()),
        "html" => {
            let html = state
                .access_package(&caller.actor, &id, now)
                .await?
                .to_html();
            Ok(([(CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response())
        }
        "zip" => {
            if view.request_type.as_str() != "portability" {
                return Err(ApiError::invalid(
                    "`format=zip` is the portability export",
                    "use json or html for an access request",
                ));
            }
            let zip = state.portability_zip(&caller.actor, &id, now).await?;
            Ok((
                [
                    (CONTENT_TYPE, "application/zip".to_string()),
                    (
                        CONTENT_DISPOSITION,
                        format!("attachment; filename=\"skydd-{id}.zip\""),
                    ),
                ],
                zip,
            )
                .into_response())
        }
        _ => Err(ApiError::InvalidQuery(
            "`format` is json, html or zip".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::parse_due_before;

    #[test]
    fn a_due_date_starts_at_midnight_in_stockholm_summer_and_winter() {
        let at = |text: &str| parse_due_before(text).unwrap().to_string();
        assert_eq!(at("2026-07-01"), "2026-06-30T22:00:00Z");
        assert_eq!(at("2026-12-01"), "2026-11-30T23:00:00Z");
        assert_eq!(at("2028-02-29"), "2028-02-28T23:00:00Z");
        assert_eq!(at("2026-07-01T08:00:00Z"), "2026-07-01T08:00:00Z");
        assert!(parse_due_before("2026-02-30").is_err());
    }

    #[test]
    fn a_due_date_on_a_daylight_saving_day_starts_at_that_days_midnight_in_stockholm() {
        let at = |text: &str| parse_due_before(text).unwrap().to_string();
        // 29 March 2026: clocks go from 02:00 CET to 03:00 CEST; midnight is still CET.
        assert_eq!(at("2026-03-29"), "2026-03-28T23:00:00Z");
        assert_eq!(at("2026-03-30"), "2026-03-29T22:00:00Z");
        // 25 October 2026: clocks go from 03:00 CEST back to 02:00 CET; midnight is CEST.
        assert_eq!(at("2026-10-25"), "2026-10-24T22:00:00Z");
        assert_eq!(at("2026-10-26"), "2026-10-25T23:00:00Z");
    }
}
