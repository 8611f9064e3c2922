//! Consents and objections: `POST /v1/consents` (giving and withdrawing are one call each),
//! `GET /v1/subjects/{id}/consents` (current state and the full history, Art. 7(1) proof) and
//! `POST /v1/subjects/{id}/objections` (Art. 21).

use axum::Json;
use axum::extract::State;
use axum::http::header::{LOCATION, USER_AGENT};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use skydd_consent::ObjectionSource;
use skydd_vault::{ConsentInput, ConsentView, ConsentsView};
use utoipa::ToSchema;

use crate::auth::{Authorized, need};
use crate::extract::{ApiJson, ApiPath, RegisterId};
use crate::problem::{ApiError, Problem};
use crate::state::AppState;

/// The body of `POST /v1/consents`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentRequest {
    /// The subject's id: 32 lowercase hex digits.
    #[schema(example = "3f2a9c0e5b7d4e1f8a6b2c9d0e1f2a3b")]
    pub subject: String,
    /// The purpose (one that rests on consent).
    #[schema(example = "newsletter")]
    pub purpose: RegisterId,
    /// `true` gives consent, `false` withdraws it.
    pub granted: bool,
    /// How: `web_form`, `banner`, `email`, `api`, `import`, `admin` or `unsubscribe_link`.
    #[schema(example = "web_form")]
    pub method: RegisterId,
    /// The version of the notice the subject was shown (default: the enforced register's
    /// digest).
    #[serde(default)]
    pub notice_version: Option<String>,
}

/// A consent event was recorded.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConsentRecorded {
    /// The subject's id: 32 lowercase hex digits.
    pub subject: String,
    /// The register purpose id the consent was given or withdrawn for.
    pub purpose: String,
    /// `true` when given, `false` when withdrawn.
    pub granted: bool,
    /// When it was recorded.
    #[schema(value_type = String, format = DateTime)]
    pub at: jiff::Timestamp,
    /// Browser signals recorded as an objection to marketing and sharing (Art. 21(5)): `gpc`
    /// for `Sec-GPC: 1`, `dnt` for `DNT: 1`.
    #[schema(example = json!(["gpc"]))]
    pub signals: Vec<String>,
}

/// One consent event.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConsentEventResponse {
    /// The register purpose id the consent was given or withdrawn for.
    pub purpose: String,
    /// `true` when given, `false` when withdrawn.
    pub granted: bool,
    /// How: `web_form`, `banner`, `email`, `api`, `import`, `admin` or `unsubscribe_link`.
    pub method: String,
    /// The notice version shown.
    pub notice_version: String,
    /// When the event was recorded: an RFC 3339 instant in UTC.
    #[schema(value_type = String, format = DateTime)]
    pub at: jiff::Timestamp,
    /// SHA-256 (hex) of the consent wording shown.
    pub text_hash: Option<String>,
    /// Given to wording that has changed since: it no longer counts; ask the subject again.
    pub needs_renewal: bool,
}

impl From<ConsentView> for ConsentEventResponse {
    fn from(view: ConsentView) -> Self {
        ConsentEventResponse {
            purpose: view.purpose,
            granted: view.granted,
            method: view.method,
            notice_version: view.notice_version,
            at: view.at,
            text_hash: view.text_hash,
            needs_renewal: view.needs_renewal,
        }
    }
}

/// An objection (Art. 21) made and not lifted since.
#[derive(Debug, Serialize, ToSchema)]
pub struct ObjectionInForce {
    /// The purpose objected to; `null`: all direct marketing (and, from a browser signal,
    /// sharing).
    pub purpose: Option<String>,
    /// Where it came from: `request`, `account_settings`, `unsubscribe_link`, `gpc`, `dnt`,
    /// `import`, `in_person`, `phone`.
    pub source: String,
}

/// A subject's consents.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConsentsResponse {
    /// The subject's id: 32 lowercase hex digits.
    pub subject: String,
    /// The latest event per purpose.
    pub current: Vec<ConsentEventResponse>,
    /// Every event, oldest first: withdrawing never deletes a consent.
    pub history: Vec<ConsentEventResponse>,
    /// The objections in force.
    pub objections: Vec<ObjectionInForce>,
}

impl From<ConsentsView> for ConsentsResponse {
    fn from(view: ConsentsView) -> Self {
        ConsentsResponse {
            subject: view.subject,
            current: view.current.into_iter().map(Into::into).collect(),
            history: view.history.into_iter().map(Into::into).collect(),
            objections: view
                .objections
                .into_iter()
                .map(|(purpose, source)| ObjectionInForce {
                    purpose: (purpose != "*").then_some(purpose),
                    source,
                })
                .collect(),
        }
    }
}

/// The body of `POST /v1/subjects/{id}/objections`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ObjectionRequest {
    /// The purpose objected to; absent or `null`: all direct marketing.
    #[serde(default)]
    #[schema(example = "marketing")]
    pub purpose: Option<RegisterId>,
    /// `true` objects, `false` lifts the objection.
    pub objected: bool,
    /// How the subject made it: `request` (default: a letter, an e-mail, a form, a request),
    /// `in_person` (at an event or a meeting) or `phone`; recorded with it as its source.
    #[serde(default)]
    pub source: Option<ObjectionChannel>,
}

/// How a subject made an objection that staff or a system records through the API (the other
/// sources, browser signals, account settings, unsubscribe links and imports, have their own
/// ways in).
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ObjectionChannel {
    /// A letter, an e-mail, a form or a data-subject request.
    Request,
    /// In person, at an event or a meeting.
    InPerson,
    /// On the telephone.
    Phone,
}

impl From<ObjectionChannel> for ObjectionSource {
    fn from(channel: ObjectionChannel) -> ObjectionSource {
        match channel {
            ObjectionChannel::Request => ObjectionSource::Request,
            ObjectionChannel::InPerson => ObjectionSource::InPerson,
            ObjectionChannel::Phone => ObjectionSource::Phone,
        }
    }
}

/// An objection was recorded.
#[derive(Debug, Serialize, ToSchema)]
pub struct ObjectionRecorded {
    /// The subject's id: 32 lowercase hex digits.
    pub subject: String,
    /// The purpose; `null`: all direct marketing.
    pub purpose: Option<String>,
    /// Objected (`true`) or lifted (`false`).
    pub objected: bool,
    /// The source recorded: the request's `source`, `request` when it named none.
    #[schema(example = "request")]
    pub source: String,
    /// When it was recorded.
    #[schema(value_type = String, format = DateTime)]
    pub at: jiff::Timestamp,
}

/// Record that a subject gave or withdrew consent. The caller's IP address and `User-Agent`
/// are kept with the event, encrypted; `Sec-GPC: 1` or `DNT: 1` also records an objection to
/// marketing and sharing.
#[utoipa::path(
    post,
    path = "/v1/consents",
    tag = "consents",
    security(("bearer" = [])),
    request_body = ConsentRequest,
    params(
        ("Sec-GPC" = Option<String>, Header, description = "`1`: the browser sent Global Privacy \
            Control; recorded as an objection to marketing and sharing."),
        ("DNT" = Option<String>, Header, description = "`1`: Do Not Track; treated like `Sec-GPC`."),
    ),
    responses(
        (status = 201, description = "The consent event was recorded; `Location` is the subject's \
            consents.", body = ConsentRecorded),
        (status = 422, description = "An unknown purpose or method, a purpose that does not rest \
            on consent.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid API token.", body = Problem,
            content_type = "application/problem+json"),
        (status = 403, description = "The token's role may not write.", body = Problem,
            content_type = "application/problem+json"),
        (status = 404, description = "No such subject.", body = Problem,
            content_type = "application/problem+json"),
    )
)]
pub async fn record_consent(
    State(state): State<AppState>,
    Authorized(caller, _): Authorized<need::ConsentsWrite>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<ConsentRequest>,
) -> Result<Response, ApiError> {
    let now = state.clock.now();
    let gpc = crate::extract::privacy_signal(&headers, "sec-gpc");
    let dnt = crate::extract::privacy_signal(&headers, "dnt");
    let user_agent = headers
        .get(USER_AGENT)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let input = ConsentInput {
        subject: body.subject.clone(),
        purpose: body.purpose.0.clone(),
        granted: body.granted,
        method: body.method.0,
        notice_version: body.notice_version,
        ip: caller.ip().map(str::to_owned),
        user_agent,
        gpc,
        dnt,
    };
    state
        .vault()
        .record_consent(&caller.actor, input, now)
        .await?;
    let signals = [(gpc, "gpc"), (dnt, "dnt")]
        .into_iter()
        .filter(|(sent, _)| *sent)
        .map(|(_, name)| name.to_owned())
        .collect();
    let location = format!("/v1/subjects/{}/consents", body.subject);
    let recorded = ConsentRecorded {
        subject: body.subject,
        purpose: body.purpose.0,
        granted: body.granted,
        at: now,
        signals,
    };
    Ok((StatusCode::CREATED, [(LOCATION, location)], Json(recorded)).into_response())
}

/// A subject's consents: the current state per purpose, the full history and the objections in
/// force.
#[utoipa::path(
    get,
    path = "/v1/subjects/{id}/consents",
    tag = "consents",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The subject's id.")),
    responses(
        (status = 200, description = "Current state, history and objections.", body = ConsentsResponse),
        (status = 401, description = "No valid API token.", body = Problem,
            content_type = "application/problem+json"),
        (status = 404, description = "No such subject.", body = Problem,
            content_type = "application/problem+json"),
    )
)]
pub async fn get_consents(
    State(state): State<AppState>,
    Authorized(caller, _): Authorized<need::ConsentsRead>,
    ApiPath(subject): ApiPath<String>,
) -> Result<Json<ConsentsResponse>, ApiError> {
    let now = state.clock.now();
    let view = state.vault().consents(&caller.actor, &subject, now).await?;
    Ok(Json(view.into()))
}

/// Record a subject's objection (Art. 21), or lift one: to one purpose, or to all direct
/// marketing. An objection to direct marketing is absolute.
#[utoipa::path(
    post,
    path = "/v1/subjects/{id}/objections",
    tag = "consents",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The subject's id.")),
    request_body = ObjectionRequest,
    responses(
        (status = 201, description = "The objection was recorded.", body = ObjectionRecorded),
        (status = 422, description = "An unknown purpose.", body = Problem,
            content_type = "application/problem+json"),
        (status = 401, description = "No valid API token.", body = Problem,
            content_type = "application/problem+json"),
        (status = 403, description = "The token's role may not write.", body = Problem,
            content_type = "application/problem+json"),
        (status = 404, description = "No such subject.", body = Problem,
            content_type = "application/problem+json"),
    )
)]
pub async fn record_objection(
    State(state): State<AppState>,
    Authorized(caller, _): Authorized<need::ConsentsWrite>,
    ApiPath(subject): ApiPath<String>,
    ApiJson(body): ApiJson<ObjectionRequest>,
) -> Result<Response, ApiError> {
    let now = state.clock.now();
    let source = body
        .source
        .map_or(ObjectionSource::Request, ObjectionSource::from);
    state
        .vault()
        .object(
            &caller.actor,
            &subject,
            body.purpose.as_ref().map(RegisterId::as_str),
            source,
            body.objected,
            now,
        )
        .await?;
    let recorded = ObjectionRecorded {
        subject,
        purpose: body.purpose.map(|purpose| purpose.0),
        objected: body.objected,
        source: source.as_str().to_owned(),
        at: now,
    };
    Ok((StatusCode::CREATED, Json(recorded)).into_response())
}
