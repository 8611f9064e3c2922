//! `/v1/subjects/{id}/records`: records of personal data, stored encrypted and read back only
//! under a purpose, each record decided on its own.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use skydd_vault::{NewRecord, RecordView, RecordsRead, Withheld};
use utoipa::openapi::schema::{KnownFormat, Object, SchemaFormat, SchemaType, Type};
use utoipa::{IntoParams, ToSchema};

use crate::api::openapi::register_keyed_object;
use crate::api::subjects::Created;
use crate::auth::{Authorized, need};
use crate::extract::{ApiJson, ApiPath, ApiQuery, ApiTime, RegisterId};
use crate::problem::{ApiError, Problem};
use crate::state::AppState;

/// The schema of a record's `fields`: field ids to strings, numbers, booleans or null.
fn field_values_schema() -> Object {
    let values = Object::with_type(SchemaType::from_iter([
        Type::String,
        Type::Number,
        Type::Boolean,
        Type::Null,
    ]));
    register_keyed_object(values)
}

/// The schema of a record's `anchors`: event ids to RFC 3339 instants.
fn anchors_schema() -> Object {
    let mut instant = Object::with_type(SchemaType::Type(Type::String));
    instant.format = Some(SchemaFormat::KnownFormat(KnownFormat::DateTime));
    register_keyed_object(instant)
}

/// The body of `POST /v1/subjects/{id}/records`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateRecordRequest {
    /// The data category (a register `data` id).
    #[schema(example = "contact")]
    pub category: RegisterId,
    /// Field values by field id; each must be a field of the category. Strings, numbers,
    /// booleans or null.
    #[schema(schema_with = field_values_schema, example = json!({"name": "Anna Andersson", "email": "a@example.se"}))]
    pub fields: BTreeMap<RegisterId, serde_json::Value>,
    /// Where the data comes from (a register `sources` id the purpose lists).
    #[schema(example = "data_subject")]
    pub source: RegisterId,
    /// The purpose it is collected for; the collection itself must be allowed.
    #[schema(example = "delivery")]
    pub purpose: RegisterId,
    /// When it was collected (default: now; never in the future).
    #[serde(default)]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub collected_at: Option<ApiTime>,
    /// Anchor events that already happened, by event id (`contract_end`, `invoice_paid` ...).
    #[serde(default)]
    #[schema(schema_with = anchors_schema, example = json!({"contract_end": "2026-02-01T00:00:00Z"}))]
    pub anchors: BTreeMap<RegisterId, ApiTime>,
    /// The other sources (register ids the purpose lists) this record was combined from
    /// besides `source` (P000-45): its lineage, shown in the access package. Only a purpose with
    /// `combines_sources` takes it (403 `sources_not_combined` otherwise).
    #[serde(default)]
    #[schema(example = json!(["linkedin"]))]
    pub combined_from: Vec<RegisterId>,
}

/// The body of `PUT /v1/subjects/{id}/records/{record}/anchors/{event}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetAnchorRequest {
    /// When the event happened; the record's retention clocks start from it.
    #[schema(value_type = String, format = DateTime, example = "2026-02-01T00:00:00Z")]
    pub at: ApiTime,
}

/// The query of `GET /v1/subjects/{id}/records`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReadRecordsQuery {
    /// The purpose the records are read for (required): only what it may use is returned.
    pub purpose: RegisterId,
}

/// A record a purpose may use, decrypted.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecordResponse {
    /// The record's id: 32 lowercase hex digits.
    pub id: String,
    /// The register data category id it holds.
    pub category: String,
    /// The purpose it was collected for.
    pub collected_for: String,
    /// Where the data came from: a register `sources` id.
    pub source: String,
    /// When it was collected.
    #[schema(value_type = String, format = DateTime)]
    pub collected_at: jiff::Timestamp,
    /// Anchor events that happened, by event id.
    #[schema(value_type = Object)]
    pub anchors: BTreeMap<String, jiff::Timestamp>,
    /// The field values by field id, decrypted.
    #[schema(value_type = Object)]
    pub fields: serde_json::Map<String, serde_json::Value>,
}

/// A record the purpose may not use, and why.
#[derive(Debug, Serialize, ToSchema)]
pub struct WithheldResponse {
    /// The record's id: 32 lowercase hex digits.
    pub id: String,
    /// The register data category id it holds.
    pub category: String,
    /// The stable deny code (see `GET /v1/decisions`).
    #[schema(example = "retention_expired")]
    pub code: String,
    /// Why, naming register ids only.
    pub explanation: String,
}

/// What a purpose read.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecordsResponse {
    /// The register purpose id the records were read for, as the query gave it.
    pub purpose: String,
    /// The records it may use.
    pub records: Vec<RecordResponse>,
    /// The records withheld from it, with the reason.
    pub withheld: Vec<WithheldResponse>,
}

impl From<RecordsRead> for RecordsResponse {
    fn from(read: RecordsRead) -> Self {
        let record = |view: RecordView| RecordResponse {
            id: view.id,
            category: view.category,
            collected_for: view.collected_for,
            source: view.source,
            collected_at: view.collected_at,
            anchors: view.anchors,
            fields: view.fields,
        };
        let withheld = |withheld: Withheld| WithheldResponse {
            id: withheld.id,
            category: withheld.category,
            code: withheld.code.to_owned(),
            explanation: withheld.explanation,
        };
        RecordsResponse {
            purpose: read.purpose,
            records: read.records.into_iter().map(record).collect(),
            withheld: read.withheld.into_iter().map(withheld).collect(),
        }
    }
}

/// Store a record for a subject, encrypted with the subject's data key. The collection is
/// decided first: the purpose must be allowed to use the category of this subject now.
#[utoipa::path(
    post,
    path = "/v1/subjects/{id}/records",
    tag = "records",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The subject's id.")),
    request_body = CreateRecordRequest,
    responses(
        (status = 201, description = "The record was stored.", body = Created),
        (status = 422, description = "An unknown category, purpose, source, field or event; \
            the problem names it.", body = Problem,
            content_type = "application/problem+json"),
        (status = 401, description = "No valid API token.", body = Problem,
            content_type = "application/problem+json"),
        (status = 403, description = "The token's role may not write, or the register does not \
            allow the purpose to collect this (the problem's `code` says why).", body = Problem,
            content_type = "application/problem+json"),
        (status = 404, description = "No such subject.", body = Problem,
            content_type = "application/problem+json"),
    )
)]
pub async fn create_record(
    State(state): State<AppState>,
    Authorized(caller, _): Authorized<need::RecordsWrite>,
    ApiPath(subject): ApiPath<String>,
    ApiJson(body): ApiJson<CreateRecordRequest>,
) -> Result<Response, ApiError> {
    let now = state.clock.now();
    let new = NewRecord {
        category: body.category.0,
        fields: body
            .fields
            .into_iter()
            .map(|(field, value)| (field.0, value))
            .collect(),
        source: body.source.0,
        purpose: body.purpose.0,
        collected_at: body.collected_at.map(|ApiTime(at)| at),
        anchors: body
            .anchors
            .into_iter()
            .map(|(event, ApiTime(at))| (event.0, at))
            .collect(),
        combined_from: body.combined_from.into_iter().map(|s| s.0).collect(),
    };
    let id = state
        .vault()
        .add_record(&caller.actor, &subject, new, now)
        .await?
        .to_string();
    Ok((StatusCode::CREATED, Json(Created { id })).into_response())
}

/// The records a purpose may use now, and those withheld from it with the reason code.
#[utoipa::path(
    get,
    path = "/v1/subjects/{id}/records",
    tag = "records",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The subject's id."), ReadRecordsQuery),
    responses(
        (status = 200, description = "What the purpose may use, and what was withheld.",
            body = RecordsResponse),
        (status = 422, description = "No purpose, or one the register does not have.",
            body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid API token.", body = Problem,
            content_type = "application/problem+json"),
        (status = 404, description = "No such subject.", body = Problem,
            content_type = "application/problem+json"),
    )
)]
pub async fn read_records(
    State(state): State<AppState>,
    Authorized(caller, _): Authorized<need::RecordsRead>,
    ApiPath(subject): ApiPath<String>,
    ApiQuery(query): ApiQuery<ReadRecordsQuery>,
) -> Result<Json<RecordsResponse>, ApiError> {
    let now = state.clock.now();
    let read = state
        .vault()
        .read_records(&caller.actor, &subject, query.purpose.as_str(), now)
        .await?;
    Ok(Json(read.into()))
}

/// Record that an anchor event of a record happened (a contract ended, an invoice was paid).
#[utoipa::path(
    put,
    path = "/v1/subjects/{id}/records/{record}/anchors/{event}",
    tag = "records",
    security(("bearer" = [])),
    params(
        ("id" = String, Path, description = "The subject's id."),
        ("record" = String, Path, description = "The record's id."),
        ("event" = String, Path, description = "A built-in anchor event or one the register declares."),
    ),
    request_body = SetAnchorRequest,
    responses(
        (status = 204, description = "The anchor was set."),
        (status = 422, description = "An unknown event, or a record the subject does not have.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid API token.", body = Problem,
            content_type = "application/problem+json"),
        (status = 403, description = "The token's role may not write.", body = Problem,
            content_type = "application/problem+json"),
        (status = 404, description = "No such subject.", body = Problem,
            content_type = "application/problem+json"),
    )
)]
pub async fn set_anchor(
    State(state): State<AppState>,
    Authorized(caller, _): Authorized<need::RecordsWrite>,
    ApiPath((subject, record, event)): ApiPath<(String, String, RegisterId)>,
    ApiJson(body): ApiJson<SetAnchorRequest>,
) -> Result<StatusCode, ApiError> {
    let now = state.clock.now();
    state
        .vault()
        .set_anchor(
            &caller.actor,
            &subject,
            &record,
            event.as_str(),
            body.at.0,
            now,
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
