//! `POST /v1/signals`: a browser's Global Privacy Control or Do Not Track recorded for a subject
//! on its own, without a consent call, as an objection by automated means (Art. 21(5)) to what
//! the register's `signals` says each one objects to.

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use serde::{Deserialize, Serialize};
use skydd_register::model::{BrowserSignal, Choice, SignalObjection};
use utoipa::ToSchema;

use crate::auth::{Authorized, need};
use crate::extract::{ApiJson, privacy_signal};
use crate::problem::{ApiError, Problem};
use crate::state::AppState;

/// A browser privacy signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SignalName {
    /// Global Privacy Control (`Sec-GPC: 1`).
    Gpc,
    /// Do Not Track (`DNT: 1`).
    Dnt,
}

impl From<SignalName> for BrowserSignal {
    fn from(name: SignalName) -> BrowserSignal {
        match name {
            SignalName::Gpc => BrowserSignal::Gpc,
            SignalName::Dnt => BrowserSignal::Dnt,
        }
    }
}

/// Signals a subject's browser sent.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignalsRequest {
    /// The subject's id: 32 lowercase hex digits.
    pub subject: String,
    /// The signals the browser sent. `Sec-GPC: 1` and `DNT: 1` on this call count too, for a
    /// backend that forwards the browser's headers.
    #[serde(default)]
    pub signals: Vec<SignalName>,
    /// `true` lifts the objections these signals recorded: the person turned the signal off
    /// and told you so (not merely a request without the header). Default `false`.
    #[serde(default)]
    pub lift: bool,
}

/// What a signal objects to once recorded, from the register's `signals`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ObjectsTo {
    /// Every direct marketing purpose.
    pub direct_marketing: bool,
    /// Disclosure to recipients that use the data for their own purposes.
    pub sharing: bool,
    /// These purposes besides.
    pub purposes: Vec<String>,
}

impl From<&SignalObjection> for ObjectsTo {
    fn from(objection: &SignalObjection) -> ObjectsTo {
        ObjectsTo {
            direct_marketing: objection.direct_marketing,
            sharing: objection.sharing,
            purposes: objection.purposes.iter().map(|p| p.0.clone()).collect(),
        }
    }
}

/// What recording one signal did.
#[derive(Debug, Serialize, ToSchema)]
pub struct SignalRecorded {
    /// `gpc` or `dnt`.
    #[schema(example = "gpc")]
    pub signal: String,
    /// `recorded` (an objection now), `in_force` (one was already: nothing written),
    /// `ignored` (the register gives the signal nothing to object to: nothing written); with
    /// `lift`: `lifted` or `not_in_force` (nothing written).
    #[schema(example = "recorded")]
    pub outcome: String,
    /// What the signal objects to.
    pub objects_to: ObjectsTo,
}

/// The answer to `POST /v1/signals`.
#[derive(Debug, Serialize, ToSchema)]
pub struct SignalsRecorded {
    /// The subject's id.
    pub subject: String,
    /// One entry per signal, in the order given (body first, then headers), each once.
    pub signals: Vec<SignalRecorded>,
}

/// Record the privacy signals a subject's browser sent, each as an objection to what the
/// register says it objects to, or lift them. Idempotent: a signal already in force (or, when
/// lifting, not in force) writes nothing.
#[utoipa::path(
    post,
    path = "/v1/signals",
    tag = "consents",
    security(("bearer" = [])),
    request_body = SignalsRequest,
    params(
        ("Sec-GPC" = Option<String>, Header, description = "`1`: counts as `gpc` in `signals`."),
        ("DNT" = Option<String>, Header, description = "`1`: counts as `dnt` in `signals`."),
    ),
    responses(
        (status = 200, description = "What each signal did.", body = SignalsRecorded),
        (status = 422, description = "No signal in the body or the headers.", body = Problem,
            content_type = "application/problem+json"),
        (status = 400, description = "A signal that is not `gpc` or `dnt`, or a body that is not \
            JSON of this shape.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid API token.", body = Problem,
            content_type = "application/problem+json"),
        (status = 403, description = "The caller does not hold `consents_write`.", body = Problem,
            content_type = "application/problem+json"),
        (status = 404, description = "No such subject.", body = Problem,
            content_type = "application/problem+json"),
    )
)]
pub async fn record_signals(
    State(state): State<AppState>,
    Authorized(caller, _): Authorized<need::ConsentsWrite>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<SignalsRequest>,
) -> Result<Json<SignalsRecorded>, ApiError> {
    let now = state.clock.now();
    let mut signals: Vec<BrowserSignal> = body.signals.into_iter().map(Into::into).collect();
    for (header, signal) in [("sec-gpc", BrowserSignal::Gpc), ("dnt", BrowserSignal::Dnt)] {
        if privacy_signal(&headers, header) {
            signals.push(signal);
        }
    }
    if signals.is_empty() {
        return Err(ApiError::invalid(
            "no browser signal was given",
            "list the signals the browser sent in `signals` (`gpc`, `dnt`), or forward its \
             `Sec-GPC: 1` or `DNT: 1` header",
        ));
    }
    let vault = state.vault();
    let outcomes = vault
        .record_signals(&caller.actor, &body.subject, &signals, body.lift, now)
        .await?;
    let register = vault.register();
    Ok(Json(SignalsRecorded {
        subject: body.subject,
        signals: outcomes
            .into_iter()
            .map(|(signal, outcome)| SignalRecorded {
                signal: signal.word().to_owned(),
                outcome: outcome.as_str().to_owned(),
                objects_to: ObjectsTo::from(register.signals.get(signal)),
            })
            .collect(),
    }))
}
