//! `/v1/incidents`: personal data breaches (Art. 33, 34), documented whether notified or not,
//! with the 72-hour clock, phased notification to the authority and the communication to the
//! subjects.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use skydd_incident::{CommunicationExemption, Entry, Incident, Phase, Report, Risk};
use utoipa::{IntoParams, ToSchema};

use crate::api::openapi::words_schema;
use crate::auth::{Authorized, Caller, need};
use crate::extract::{ApiJson, ApiPath, ApiQuery, ApiTime};
use crate::problem::{ApiError, Problem};
use crate::state::AppState;

fn word<T: std::str::FromStr<Err = skydd_incident::IncidentError>>(
    value: &str,
    field: &str,
) -> Result<T, ApiError> {
    value.parse().map_err(|e: skydd_incident::IncidentError| {
        ApiError::invalid(format!("`{field}`: {e}"), "use one of the words listed")
    })
}

/// The largest approximate count an incident takes: 2^53 - 1, the largest integer every JSON
/// reader keeps exactly, and far beyond any real number of people or records.
const MAX_APPROXIMATE_COUNT: u64 = 9_007_199_254_740_991;

/// Refuse an approximate count beyond [`MAX_APPROXIMATE_COUNT`], naming the field.
fn approximate_count(field: &str, count: Option<u64>) -> Result<(), ApiError> {
    match count {
        Some(count) if count > MAX_APPROXIMATE_COUNT => Err(ApiError::invalid(
            format!("`{field}` is larger than any real count ({MAX_APPROXIMATE_COUNT} at most)"),
            "give an approximate number, or leave it out when it cannot be given",
        )),
        _ => Ok(()),
    }
}

/// The schema of a `risk`: `none`, `risk` or `high`.
fn risk_schema() -> utoipa::openapi::schema::Object {
    words_schema(Risk::ALL.iter().map(|(_, word)| *word))
}

/// The schema of a notification's `phase`: `initial`, `supplementary` or `final`.
fn phase_schema() -> utoipa::openapi::schema::Object {
    words_schema(Phase::ALL.iter().map(|(_, word)| *word))
}

/// The schema of an Art. 34(3) `ground`.
fn ground_schema() -> utoipa::openapi::schema::Object {
    words_schema(CommunicationExemption::ALL.iter().map(|(_, word)| *word))
}

/// The body of a new incident: what Art. 33(3) asks for.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportIncidentRequest {
    /// When the controller became aware of the breach: the 72 hours count from here.
    #[schema(value_type = String, format = DateTime)]
    pub became_aware_at: ApiTime,
    /// When the breach happened, if known.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub occurred_at: Option<ApiTime>,
    /// What happened.
    pub nature: String,
    /// The register's data category ids concerned.
    pub data_categories: Vec<String>,
    /// The register's subject category ids concerned.
    pub subject_categories: Vec<String>,
    /// Approximate number of subjects concerned.
    #[schema(value_type = Option<i64>, minimum = 0, maximum = 9_007_199_254_740_991_i64)]
    #[serde(default, deserialize_with = "crate::extract::optional_whole_number")]
    pub approx_subjects: Option<u64>,
    /// Approximate number of records concerned.
    #[schema(value_type = Option<i64>, minimum = 0, maximum = 9_007_199_254_740_991_i64)]
    #[serde(default, deserialize_with = "crate::extract::optional_whole_number")]
    pub approx_records: Option<u64>,
    /// Likely consequences.
    pub consequences: String,
    /// Measures taken or proposed.
    pub measures: String,
    /// `none`, `risk` or `high`.
    #[schema(schema_with = risk_schema)]
    pub risk: String,
}

/// A notification (one phase) made to the authority.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NotificationRequest {
    /// `initial`, `supplementary` or `final`.
    #[schema(schema_with = phase_schema)]
    pub phase: String,
    /// When it was made; now when left out.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub notified_at: Option<ApiTime>,
    /// The authority's case reference.
    pub authority_reference: Option<String>,
    /// Reasons for a first notification after 72 hours.
    pub late_reason: Option<String>,
    /// What this phase told the authority.
    pub summary: Option<String>,
}

/// Why the authority is not notified (Art. 33(5)).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoNotificationRequest {
    /// Why the breach is unlikely to result in a risk.
    pub reason: String,
}

/// A new assessment of the risk.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssessmentRequest {
    /// `none`, `risk` or `high`.
    #[schema(schema_with = risk_schema)]
    pub risk: String,
    /// What changed.
    pub reason: String,
    /// New consequences text, if changed.
    pub consequences: Option<String>,
    /// New measures text, if changed.
    pub measures: Option<String>,
}

/// Why the subjects of a high-risk breach are not told (Art. 34(3)).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommunicationExemptionRequest {
    /// `unintelligible` (34(3)(a)), `risk_contained` (b) or `public_communication` (c).
    #[schema(schema_with = ground_schema)]
    pub ground: String,
    /// How the ground applies.
    pub explanation: String,
}

/// A plain-language communication of a breach to the subjects it concerns (Art. 34).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommunicationRequest {
    /// What happened, in clear and plain language. The letter adds the likely consequences,
    /// the measures taken and whom to contact, from the incident and the register.
    pub message: String,
    /// The ids of the subjects the breach concerns.
    pub subjects: Vec<String>,
}

/// The incident after the communication, and whom it reached.
#[derive(Debug, Serialize, ToSchema)]
pub struct CommunicationResponse {
    /// The incident as it stands with the communication recorded.
    pub incident: IncidentResponse,
    /// Messages newly queued in the outbox.
    pub queued: u64,
    /// Subjects already sent this communication.
    pub already_queued: u64,
    /// Subjects with no e-mail address (to be told another way).
    pub without_address: u64,
}

/// Closing an incident.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseRequest {
    /// What was done and learnt.
    pub summary: String,
}

/// Which incidents to list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct IncidentFilter {
    /// Only open (`true`) or closed (`false`) incidents.
    pub open: Option<bool>,
}

/// One recorded entry.
#[derive(Debug, Serialize, ToSchema)]
pub struct EntryResponse {
    /// When it was recorded.
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    /// Who recorded it: a token id or `cli:<user>`.
    pub actor: String,
    /// What it is (`reported`, `authority_notified`, ...).
    pub kind: String,
    /// The entry's fields as JSON; which fields depends on `kind`.
    #[schema(value_type = Object)]
    pub entry: serde_json::Value,
}

/// An incident and where it stands.
#[derive(Debug, Serialize, ToSchema)]
pub struct IncidentResponse {
    /// The incident's id: 32 lowercase hex digits.
    pub id: String,
    /// `open` or `closed`.
    pub state: &'static str,
    /// When the controller became aware.
    #[schema(value_type = String, format = DateTime)]
    pub became_aware_at: Timestamp,
    /// The end of the 72 hours for notifying the authority.
    #[schema(value_type = String, format = DateTime)]
    pub due_at: Timestamp,
    /// Seconds left to notify the authority (negative when late), while it is still due.
    pub time_left_seconds: Option<i64>,
    /// Whether the notification is due and the 72 hours have passed.
    pub overdue: bool,
    /// The current risk assessment.
    pub risk: &'static str,
    /// The report as it stands after re-assessments.
    #[schema(value_type = Object)]
    pub report: serde_json::Value,
    /// The notification to the authority.
    #[schema(value_type = Object)]
    pub notification: serde_json::Value,
    /// The communication to the subjects.
    #[schema(value_type = Object)]
    pub communication: serde_json::Value,
    /// What must still be done before the incident can close.
    pub outstanding: Vec<String>,
    /// Every entry, oldest first.
    pub entries: Vec<EntryResponse>,
}

/// A list of incidents.
#[derive(Debug, Serialize, ToSchema)]
pub struct IncidentsResponse {
    /// The incidents, oldest report first.
    pub incidents: Vec<IncidentResponse>,
}

fn to_value<T: Serialize>(value: &T) -> serde_json::Value {
    // Plain data (strings, numbers, timestamps) always serialises.
    serde_json::to_value(value).unwrap_or(serde_json::Value::Null)
}

/// The response for `incident` at `now`.
pub(crate) fn describe(incident: &Incident, now: Timestamp) -> IncidentResponse {
    let time_left = incident.time_left(now);
    IncidentResponse {
        id: incident.id().to_string(),
        state: if incident.is_open() { "open" } else { "closed" },
        became_aware_at: incident.current().became_aware_at,
        due_at: incident.due_at(),
        time_left_seconds: time_left.map(|d| d.as_secs()),
        overdue: time_left.is_some_and(|d| d.is_negative()),
        risk: incident.current().risk.as_str(),
        report: to_value(incident.current()),
        notification: to_value(&incident.notification()),
        communication: to_value(&incident.communication()),
        outstanding: incident.outstanding(),
        entries: incident
            .entries()
            .iter()
            .map(|r| EntryResponse {
                at: r.at,
                actor: r.actor.clone(),
                kind: r.entry.kind().to_string(),
                entry: to_value(&r.entry),
            })
            .collect(),
    }
}

/// Document a personal data breach.
#[utoipa::path(
    post,
    path = "/v1/incidents",
    tag = "incidents",
    security(("bearer" = [])),
    request_body = ReportIncidentRequest,
    responses(
        (status = 201, description = "The incident is documented; the 72-hour clock runs.", body = IncidentResponse),
        (status = 422, description = "A missing Art. 33(3) element, an unknown category, a time in \
            the future.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid API token.", body = Problem,
            content_type = "application/problem+json"),
        (status = 403, description = "The token's role may not write.", body = Problem,
            content_type = "application/problem+json"),
    )
)]
pub async fn report_incident(
    State(state): State<AppState>,
    Authorized(caller, _): Authorized<need::IncidentsWrite>,
    ApiJson(body): ApiJson<ReportIncidentRequest>,
) -> Result<Response, ApiError> {
    let now = state.clock.now();
    approximate_count("approx_subjects", body.approx_subjects)?;
    approximate_count("approx_records", body.approx_records)?;
    let report = Report {
        became_aware_at: body.became_aware_at.0,
        occurred_at: body.occurred_at.map(|ApiTime(at)| at),
        nature: body.nature,
        data_categories: body.data_categories,
        subject_categories: body.subject_categories,
        approx_subjects: body.approx_subjects,
        approx_records: body.approx_records,
        consequences: body.consequences,
        measures: body.measures,
        risk: word::<Risk>(&body.risk, "risk")?,
    };
    let incident = state
        .vault()
        .report_incident(&caller.actor, report, now)
        .await?;
    Ok((StatusCode::CREATED, Json(describe(&incident, now))).into_response())
}

/// List incidents with the time left to notify.
#[utoipa::path(
    get,
    path = "/v1/incidents",
    tag = "incidents",
    security(("bearer" = [])),
    params(IncidentFilter),
    responses(
        (status = 200, description = "The incidents.", body = IncidentsResponse),
        (status = 401, description = "No valid API token.", body = Problem,
            content_type = "application/problem+json"),
    )
)]
pub async fn list_incidents(
    State(state): State<AppState>,
    _: Authorized<need::IncidentsRead>,
    ApiQuery(filter): ApiQuery<IncidentFilter>,
) -> Result<Json<IncidentsResponse>, ApiError> {
    let now = state.clock.now();
    let incidents = state.vault().incidents().await?;
    Ok(Json(IncidentsResponse {
        incidents: incidents
            .iter()
            .filter(|i| filter.open.is_none_or(|open| i.is_open() == open))
            .map(|i| describe(i, now))
            .collect(),
    }))
}

/// One incident.
#[utoipa::path(
    get,
    path = "/v1/incidents/{id}",
    tag = "incidents",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The incident's id.")),
    responses(
        (status = 200, description = "The incident.", body = IncidentResponse),
        (status = 401, description = "No valid API token.", body = Problem,
            content_type = "application/problem+json"),
        (status = 404, description = "No such incident.", body = Problem,
            content_type = "application/problem+json"),
    )
)]
pub async fn get_incident(
    State(state): State<AppState>,
    _: Authorized<need::IncidentsRead>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<IncidentResponse>, ApiError> {
    let now = state.clock.now();
    let incident = state
        .vault()
        .incident(&id)
        .await?
        .ok_or(skydd_vault::VaultError::UnknownIncident)?;
    Ok(Json(describe(&incident, now)))
}

async fn record(
    state: AppState,
    caller: Caller,
    id: String,
    entry: Entry,
) -> Result<Json<IncidentResponse>, ApiError> {
    let now = state.clock.now();
    let incident = state
        .vault()
        .record_incident_entry(&caller.actor, &id, entry, now)
        .await?;
    Ok(Json(describe(&incident, now)))
}

/// Record a notification to the authority (one phase, Art. 33(4)).
#[utoipa::path(
    post,
    path = "/v1/incidents/{id}/notifications",
    tag = "incidents",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The incident's id.")),
    request_body = NotificationRequest,
    responses(
        (status = 200, description = "The notification is recorded.", body = IncidentResponse),
        (status = 422, description = "A late first notification without reasons, a later phase \
            without the authority's reference or before the first, or a closed incident.",
            body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such incident.", body = Problem,
            content_type = "application/problem+json"),
    )
)]
pub async fn notify_authority(
    State(state): State<AppState>,
    Authorized(caller, _): Authorized<need::IncidentsWrite>,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<NotificationRequest>,
) -> Result<Json<IncidentResponse>, ApiError> {
    let entry = Entry::AuthorityNotified {
        phase: word::<Phase>(&body.phase, "phase")?,
        notified_at: body
            .notified_at
            .map_or_else(|| state.clock.now(), |ApiTime(at)| at),
        authority_reference: body.authority_reference,
        late_reason: body.late_reason,
        summary: body.summary,
    };
    record(state, caller, id, entry).await
}

/// Record why the authority is not notified (Art. 33(5)).
#[utoipa::path(
    post,
    path = "/v1/incidents/{id}/no-notification",
    tag = "incidents",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The incident's id.")),
    request_body = NoNotificationRequest,
    responses(
        (status = 200, description = "The reason is recorded.", body = IncidentResponse),
        (status = 422, description = "The incident is assessed as a risk, was already notified, \
            or the reason is blank.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such incident.", body = Problem,
            content_type = "application/problem+json"),
    )
)]
pub async fn no_notification(
    State(state): State<AppState>,
    Authorized(caller, _): Authorized<need::IncidentsWrite>,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<NoNotificationRequest>,
) -> Result<Json<IncidentResponse>, ApiError> {
    let entry = Entry::NotificationNotRequired {
        reason: body.reason,
    };
    record(state, caller, id, entry).await
}

/// Assess the risk anew.
#[utoipa::path(
    post,
    path = "/v1/incidents/{id}/assessments",
    tag = "incidents",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The incident's id.")),
    request_body = AssessmentRequest,
    responses(
        (status = 200, description = "The assessment is recorded.", body = IncidentResponse),
        (status = 422, description = "A blank reason, an unknown risk, or a closed incident.",
            body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such incident.", body = Problem,
            content_type = "application/problem+json"),
    )
)]
pub async fn reassess(
    State(state): State<AppState>,
    Authorized(caller, _): Authorized<need::IncidentsWrite>,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<AssessmentRequest>,
) -> Result<Json<IncidentResponse>, ApiError> {
    let entry = Entry::Reassessed {
        risk: word::<Risk>(&body.risk, "risk")?,
        reason: body.reason,
        consequences: body.consequences,
        measures: body.measures,
    };
    record(state, caller, id, entry).await
}

/// Tell the subjects of a breach, in plain language, through the outbox (Art. 34).
#[utoipa::path(
    post,
    path = "/v1/incidents/{id}/communications",
    tag = "incidents",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The incident's id.")),
    request_body = CommunicationRequest,
    responses(
        (status = 200, description = "The messages are queued and the communication recorded.",
            body = CommunicationResponse),
        (status = 422, description = "A blank message, no subjects, none with an e-mail address, \
            or a closed incident.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such incident, or an unknown subject.", body = Problem,
            content_type = "application/problem+json"),
    )
)]
pub async fn inform_subjects(
    State(state): State<AppState>,
    Authorized(caller, _): Authorized<need::IncidentsWrite>,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<CommunicationRequest>,
) -> Result<Json<CommunicationResponse>, ApiError> {
    let now = state.clock.now();
    let (incident, reach) = state
        .vault()
        .inform_subjects_of_incident(&caller.actor, &id, body.message, body.subjects, now)
        .await?;
    Ok(Json(CommunicationResponse {
        incident: describe(&incident, now),
        queued: reach.queued,
        already_queued: reach.already_queued,
        without_address: reach.without_address,
    }))
}

/// Record why the subjects of a high-risk breach are not told (Art. 34(3)).
#[utoipa::path(
    post,
    path = "/v1/incidents/{id}/communication-exemption",
    tag = "incidents",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The incident's id.")),
    request_body = CommunicationExemptionRequest,
    responses(
        (status = 200, description = "The exemption is recorded.", body = IncidentResponse),
        (status = 422, description = "The risk is not high, the subjects were already told, or \
            the explanation is blank.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such incident.", body = Problem,
            content_type = "application/problem+json"),
    )
)]
pub async fn communication_exemption(
    State(state): State<AppState>,
    Authorized(caller, _): Authorized<need::IncidentsWrite>,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<CommunicationExemptionRequest>,
) -> Result<Json<IncidentResponse>, ApiError> {
    let entry = Entry::CommunicationNotRequired {
        ground: word::<CommunicationExemption>(&body.ground, "ground")?,
        explanation: body.explanation,
    };
    record(state, caller, id, entry).await
}

/// Close an incident once nothing is outstanding.
#[utoipa::path(
    post,
    path = "/v1/incidents/{id}/close",
    tag = "incidents",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The incident's id.")),
    request_body = CloseRequest,
    responses(
        (status = 200, description = "The incident is closed.", body = IncidentResponse),
        (status = 422, description = "Something is outstanding (listed), or the summary is blank.",
            body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such incident.", body = Problem,
            content_type = "application/problem+json"),
    )
)]
pub async fn close_incident(
    State(state): State<AppState>,
    Authorized(caller, _): Authorized<need::IncidentsWrite>,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<CloseRequest>,
) -> Result<Json<IncidentResponse>, ApiError> {
    let entry = Entry::Closed {
        summary: body.summary,
    };
    record(state, caller, id, entry).await
}
