//! The access log and request ids: every request gets an id, runs inside a tracing span that
//! carries it (so every line logged while serving it names it), ends with one access log line
//! (method, route template, status, latency), is counted in the server's [`Metrics`] and is
//! answered with its id in `X-Request-Id`.
//!
//! Only the matched route template is logged (`/v1/subjects/{id}`), never the request's own path,
//! query string, headers or body: those can carry tokens and personal data. A client's
//! `X-Request-Id` is taken only when it is a sane token ([`accepted_request_id`]); otherwise the
//! server draws one, so a header cannot smuggle personal data into the log.
//!
//! [`Metrics`]: crate::metrics::Metrics

use std::fmt::Write as _;
use std::hash::{BuildHasher as _, RandomState};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument as _;

use crate::state::AppState;

/// The header a request id is taken from and returned in.
pub(crate) const REQUEST_ID_HEADER: &str = "x-request-id";

/// Middleware: give the request its id and span, log one line when the response is ready, count
/// it in the metrics, and return the id.
pub(crate) async fn log_request(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let request_id = request
        .headers()
        .get(REQUEST_ID_HEADER)
        .and_then(|value| value.to_str().ok())
        .and_then(accepted_request_id)
        .map_or_else(new_request_id, str::to_owned);
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|path| path.as_str().to_owned());
    // At error level, so that no `SKYDD_LOG` filter that lets a line through drops the span
    // (and with it the id) from that line; a span's level is not shown.
    let span = tracing::error_span!("request", request_id = %request_id);
    let started = Instant::now();
    let mut response = next.run(request).instrument(span.clone()).await;
    let latency = started.elapsed();
    let status = response.status().as_u16();
    state
        .metrics()
        .observe_request(&method, route.as_deref(), status, latency);
    // Milliseconds to a tenth: a number in JSON logs, short in text ones.
    let latency_ms = (latency.as_secs_f64() * 10_000.0).round() / 10.0;
    span.in_scope(|| {
        tracing::info!(
            target: "skydd_server::access",
            method = %method,
            route = route.as_deref().unwrap_or("(no route)"),
            status,
            latency_ms,
            "request"
        );
    });
    // The id is ASCII letters, digits, `-`, `_` and `.` only, always a valid header value.
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    response
}

/// `id` when it is a sane request id: 8 to 64 ASCII letters, digits, `-`, `_` or `.`, with at
/// least one letter and one digit (a UUID, a proxy's hex id). A word (a name) or a number (a
/// personal identity number, a phone or card number) is refused, as is anything with `@` or a
/// space: such a header gets a new id instead of being logged.
pub(crate) fn accepted_request_id(id: &str) -> Option<&str> {
    let sane = (8..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        && id.bytes().any(|b| b.is_ascii_alphabetic())
        && id.bytes().any(|b| b.is_ascii_digit());
    sane.then_some(id)
}

/// A new request id: 16 lowercase hex digits, a process-wide sequence number hashed with a key
/// drawn once from the operating system's random source (SipHash through [`RandomState`]). As
/// unique as 64 random bits (enough to find a request in the logs), and it tells nothing, not
/// even how many requests came between two ids; but it costs no system call per request, where
/// drawing random bytes for each took 2-3 % of the server's time under load (issue 19).
fn new_request_id() -> String {
    static SEQUENCE: AtomicU64 = AtomicU64::new(0);
    static KEY: OnceLock<RandomState> = OnceLock::new();
    let n = SEQUENCE.fetch_add(1, Ordering::Relaxed);
    let mut id = String::with_capacity(16);
    let _ = write!(id, "{:016x}", KEY.get_or_init(RandomState::new).hash_one(n));
    id
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sane_ids_are_taken() {
        for id in [
            "3f2c9a1e-7b4d-4e8f-9a6b-1c2d3e4f5a6b",
            "0123456789abcdef",
            "req_1.ab",
            "a1b2c3d4",
        ] {
            assert_eq!(accepted_request_id(id), Some(id), "{id}");
        }
    }

    #[test]
    fn words_numbers_and_addresses_are_refused() {
        for id in [
            "",
            "a1",
            "annasvensson",
            "199001011234",
            "19900101-1234",
            "4111111111111111",
            "+46701234567",
            "anna1@example.se",
            "anna 1990",
            "ä1234567890",
            &"a1".repeat(33),
        ] {
            assert_eq!(accepted_request_id(id), None, "{id}");
        }
    }

    #[test]
    fn new_ids_are_sane_and_differ() {
        let ids: std::collections::HashSet<String> =
            (0..10_000).map(|_| new_request_id()).collect();
        assert_eq!(ids.len(), 10_000);
        for id in &ids {
            assert_eq!(id.len(), 16, "{id}");
            assert!(
                id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')),
                "{id}"
            );
        }
    }
}
