//! `GET /healthz` (is the process serving) and `GET /readyz` (can it do its work now).
//!
//! Both are public and carry no personal data: a status word and, when not ready, one reason
//! word. `/healthz` touches nothing, so a liveness probe never restarts a server for a fault
//! that a restart would not cure (a full disk); `/readyz` reads and writes the database once
//! ([`skydd_app::App::readiness`]), so a load balancer stops sending work to an instance that
//! cannot store it, and sends it again once the fault is gone, without a restart.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;

use crate::state::AppState;

/// The body of `/healthz`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// Always `ok`: the process answers HTTP.
    #[schema(example = "ok")]
    pub status: &'static str,
}

/// The body of `/readyz`, ready or not.
#[derive(Debug, Serialize, ToSchema)]
pub struct Readiness {
    /// `ready` (with 200) or `not_ready` (with 503).
    #[schema(example = "ready")]
    pub status: &'static str,
    /// Why the instance is not ready, as one word: `database_unreachable` (a read failed),
    /// `schema_not_migrated`, `master_key_not_bound` (the database is bound to another master
    /// key) or `database_not_writable` (a write failed: a full disk, read-only or immutable
    /// files, an I/O error). Absent when ready. The details are in the server's log.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "database_not_writable")]
    pub reason: Option<&'static str>,
}

/// Report that the process serves HTTP: always 200, without touching the database (see
/// `/readyz` for that).
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "health",
    responses(
        (status = 200, description = "The process is alive and serving.", body = Health),
    )
)]
pub async fn healthz() -> Json<Health> {
    Json(Health { status: "ok" })
}

/// Report whether the instance can do its work now: the database answers a read, is migrated,
/// is bound to the loaded master key and takes a write. 200 when it can, 503 with the reason
/// when it cannot; a change is logged once by the server, not on every probe.
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "health",
    responses(
        (status = 200, description = "Ready: reads and writes succeed now.", body = Readiness),
        (status = 503, description = "Not ready; `reason` says why.", body = Readiness),
    )
)]
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Readiness>) {
    match state.app().readiness().await {
        Ok(()) => (
            StatusCode::OK,
            Json(Readiness {
                status: "ready",
                reason: None,
            }),
        ),
        Err(reason) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(Readiness {
                status: "not_ready",
                reason: Some(reason),
            }),
        ),
    }
}
