//! `GET /metrics`: what the server counted and the instance's state, in the Prometheus text
//! format ([`crate::metrics`]), for a monitoring system.
//!
//! Read with a token that holds the permission `metrics_read` (scope `metrics`, made for a
//! scraper: it may read nothing else; `admin`, `staff-admin`, `auditor`); or without a token when the server was started with `--metrics-public` (for a
//! scraper on a private network). The body holds counts, times and fixed words only: no
//! personal data and no identifiers, so an open `/metrics` tells nobody who is in the database.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use skydd_staff::permission::Permission;

use crate::auth::authenticate;
use crate::problem::{ApiError, Problem};
use crate::state::AppState;

/// The content type of the Prometheus text exposition format.
const TEXT_FORMAT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Serve the metrics: 401 without a valid token and 403 for one without `metrics_read`
/// (unless public). When the database cannot be read, the counters are still served, with
/// `skydd_storage_up 0` and without the gauges read from it (the failure is logged, at most
/// once a minute).
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "health",
    security(("bearer" = []), ()),
    responses(
        (status = 200, description = "The metrics in the Prometheus text format (0.0.4): counts, \
            times and fixed words, no personal data or identifiers. No token is needed when the \
            server runs with `--metrics-public`.",
            body = String, content_type = "text/plain; version=0.0.4; charset=utf-8"),
        (status = 401, description = "No valid API token (and the metrics are not public).",
            body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token does not hold `metrics_read` (scopes `metrics`, \
            `admin`, `staff-admin`, `auditor`).",
            body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn metrics(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if !state.metrics_public() {
        authenticate(&state, &headers)
            .await?
            .require(Permission::MetricsRead)?;
    }
    let operations = state.scrape_operations().await;
    let mut body = state.metrics().render(operations.as_ref());
    crate::metrics::render_fact_cache(&mut body, &state.fact_cache().stats());
    Ok((
        [(CONTENT_TYPE, TEXT_FORMAT), (CACHE_CONTROL, "no-store")],
        body,
    )
        .into_response())
}
