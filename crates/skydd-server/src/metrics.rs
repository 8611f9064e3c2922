//! The metrics a server counts as it serves (requests by route and status, their latencies,
//! decisions by code) and their rendering, with the app's [`Operations`], as the Prometheus text
//! format served at `/metrics`.
//!
//! Written by hand rather than with a metrics crate: the exposition format is a few lines of
//! text, the server needs counters, one fixed-bucket histogram and gauges read at scrape, and
//! a registry of its own keeps the one rule that matters here in sight: **no label ever holds
//! personal data or an identifier.** Labels are the route *template* (`/v1/subjects/{id}`, from
//! axum's `MatchedPath`, never the request's path), the method (one of a fixed list), the status
//! code, the stable decision codes of `skydd-decide` and fixed words (`queued`, `done` ...), so
//! the set of series is bounded by the code, not by the traffic.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use axum::http::Method;
use skydd_app::operations::Operations;
use skydd_decide::{Decision, DenyCode};
use skydd_vault::FactCacheStats;

/// The upper bounds of the latency histogram's buckets, in seconds (`+Inf` is implied).
const LATENCY_BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

/// The route label of a request no route matched (a 404 for an unknown path): one label for
/// all of them, since their paths are whatever a client sent.
pub(crate) const UNMATCHED_ROUTE: &str = "unmatched";

/// What the server counts: shared by every request (an `Arc` in [`crate::AppState`]).
#[derive(Debug, Default)]
pub struct Metrics {
    /// Per method and route template: the requests by status and their latencies. One lock,
    /// held for a few additions per request: far below the cost of the request itself.
    routes: Mutex<HashMap<(&'static str, String), RouteStats>>,
    /// Decisions answered, by code: `allowed` first, then [`DenyCode::ALL`] in its order.
    decisions: [AtomicU64; 1 + DenyCode::ALL.len()],
}

/// The requests of one method and route.
#[derive(Debug, Default)]
struct RouteStats {
    /// Requests by status code.
    statuses: HashMap<u16, u64>,
    /// Requests per latency bucket (not cumulative; the last one is `+Inf`).
    buckets: [u64; LATENCY_BUCKETS.len() + 1],
    /// The sum of the latencies, in microseconds.
    sum_micros: u64,
    /// Requests counted.
    count: u64,
}

impl Metrics {
    /// Count a request of `method` to the route template `route` (`None`: no route matched)
    /// answered with `status` after `latency`.
    pub(crate) fn observe_request(
        &self,
        method: &Method,
        route: Option<&str>,
        status: u16,
        latency: Duration,
    ) {
        let key = (
            method_label(method),
            route.unwrap_or(UNMATCHED_ROUTE).to_owned(),
        );
        let seconds = latency.as_secs_f64();
        let bucket = LATENCY_BUCKETS
            .iter()
            .position(|bound| seconds <= *bound)
            .unwrap_or(LATENCY_BUCKETS.len());
        let micros = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
        let mut routes = self.routes.lock().unwrap_or_else(PoisonError::into_inner);
        let stats = routes.entry(key).or_default();
        *stats.statuses.entry(status).or_default() += 1;
        stats.buckets[bucket] += 1;
        stats.sum_micros = stats.sum_micros.saturating_add(micros);
        stats.count += 1;
    }

    /// Count a decision by its code (`allowed` or the deny code); nothing else about it.
    pub(crate) fn observe_decision(&self, decision: &Decision) {
        let slot = match decision {
            Decision::Allow { .. } => Some(0),
            Decision::Deny { code, .. } => DenyCode::ALL
                .iter()
                .position(|known| known == code)
                .map(|index| 1 + index),
        };
        // `DenyCode::ALL` lists every code (skydd-decide checks it against its table); one missing
        // there would go uncounted rather than be counted under another code.
        if let Some(counter) = slot.and_then(|slot| self.decisions.get(slot)) {
            counter.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// The Prometheus text exposition (format 0.0.4) of what this server counted and of
    /// `operations` (`None` when they could not be read: `skydd_storage_up` is then 0 and the
    /// gauges read from storage are left out).
    pub fn render(&self, operations: Option<&Operations>) -> String {
        let mut out = String::with_capacity(8 * 1024);
        family(
            &mut out,
            "skydd_build_info",
            "gauge",
            "The running Skydd's version.",
        );
        sample(
            &mut out,
            "skydd_build_info",
            &[("version", env!("CARGO_PKG_VERSION"))],
            1,
        );
        self.render_requests(&mut out);
        self.render_decisions(&mut out);
        family(
            &mut out,
            "skydd_storage_up",
            "gauge",
            "Whether the gauges read from the database could be read at this scrape (1) or not (0).",
        );
        sample(
            &mut out,
            "skydd_storage_up",
            &[],
            u64::from(operations.is_some()),
        );
        if let Some(operations) = operations {
            render_operations(&mut out, operations);
        }
        out
    }

    fn render_requests(&self, out: &mut String) {
        let routes = self.routes.lock().unwrap_or_else(PoisonError::into_inner);
        let mut keys: Vec<&(&'static str, String)> = routes.keys().collect();
        keys.sort();
        family(
            out,
            "skydd_http_requests_total",
            "counter",
            "HTTP requests answered, by method, route template and status code.",
        );
        for key in &keys {
            let (method, route) = key;
            let stats = &routes[*key];
            let mut statuses: Vec<_> = stats.statuses.iter().collect();
            statuses.sort();
            for (status, count) in statuses {
                let status = status.to_string();
                sample(
                    out,
                    "skydd_http_requests_total",
                    &[("method", method), ("route", route), ("status", &status)],
                    *count,
                );
            }
        }
        family(
            out,
            "skydd_http_request_duration_seconds",
            "histogram",
            "Time from receiving a request to its response being ready, by method and route template.",
        );
        for key in &keys {
            let (method, route) = key;
            let stats = &routes[*key];
            let mut cumulative = 0;
            for (index, count) in stats.buckets.iter().enumerate() {
                cumulative += count;
                let bound = LATENCY_BUCKETS
                    .get(index)
                    .map_or_else(|| "+Inf".to_owned(), f64::to_string);
                sample(
                    out,
                    "skydd_http_request_duration_seconds_bucket",
                    &[("method", method), ("route", route), ("le", &bound)],
                    cumulative,
                );
            }
            let labels = label_text(&[("method", method), ("route", route)]);
            let sum = stats.sum_micros as f64 / 1_000_000.0;
            let _ = writeln!(out, "skydd_http_request_duration_seconds_sum{labels} {sum}");
            let _ = writeln!(
                out,
                "skydd_http_request_duration_seconds_count{labels} {}",
                stats.count
            );
        }
    }

    fn render_decisions(&self, out: &mut String) {
        family(
            out,
            "skydd_decisions_total",
            "counter",
            "Decisions answered by GET and POST /v1/decisions (each of a batch), by code: allowed, \
             or the deny code.",
        );
        let codes = std::iter::once("allowed").chain(DenyCode::ALL.iter().map(|c| c.as_str()));
        for (code, counter) in codes.zip(&self.decisions) {
            sample(
                out,
                "skydd_decisions_total",
                &[("code", code)],
                counter.load(Ordering::Relaxed),
            );
        }
    }
}

/// The gauges and counters read from the app at scrape.
/// Append the counters of the decision facts kept in memory (issue 19): look-ups answered from
/// memory and from the database, entries dropped at the bound, and what is kept now. Totals
/// only; no id in any label.
pub(crate) fn render_fact_cache(out: &mut String, stats: &FactCacheStats) {
    for (name, help, value) in [
        (
            "skydd_facts_cache_hits_total",
            "Decision look-ups answered from memory.",
            stats.hits,
        ),
        (
            "skydd_facts_cache_misses_total",
            "Decision look-ups that read the database.",
            stats.misses,
        ),
        (
            "skydd_facts_cache_evictions_total",
            "Subjects or organisations dropped from memory to stay within the bound.",
            stats.evictions,
        ),
    ] {
        family(out, name, "counter", help);
        sample(out, name, &[], value);
    }
    family(
        out,
        "skydd_facts_cache_entries",
        "gauge",
        "Subjects and organisations whose decision facts are kept in memory now.",
    );
    sample(
        out,
        "skydd_facts_cache_entries",
        &[("kind", "subject")],
        stats.subjects,
    );
    sample(
        out,
        "skydd_facts_cache_entries",
        &[("kind", "organisation")],
        stats.organisations,
    );
}

fn render_operations(out: &mut String, operations: &Operations) {
    let counts = &operations.counts;
    gauge(
        out,
        "skydd_requests_open",
        "Data-subject requests not completed or rejected.",
        counts.open_requests,
    );
    gauge(
        out,
        "skydd_requests_overdue",
        "Open data-subject requests past their deadline.",
        counts.overdue_requests,
    );
    let incidents = &operations.incidents;
    gauge(
        out,
        "skydd_incidents_open",
        "Personal data breaches not closed.",
        incidents.open,
    );
    gauge(
        out,
        "skydd_incidents_notification_due",
        "Open breaches whose 72-hour clock to notify the authority is running (Art. 33).",
        incidents.notification_due,
    );
    gauge(
        out,
        "skydd_incidents_notification_overdue",
        "Open breaches not notified to the authority after their 72 hours.",
        incidents.notification_overdue,
    );
    if let Some(review) = &operations.security_review {
        gauge(
            out,
            "skydd_security_review_overdue",
            "1 when no review of the security measures falls within the register's cycle (security_review.every), else 0.",
            u64::from(review.overdue),
        );
    }
    family(
        out,
        "skydd_outbox_messages",
        "gauge",
        "Messages to data subjects in the outbox, by state: queued (waiting or retrying) or failed (given up).",
    );
    sample(
        out,
        "skydd_outbox_messages",
        &[("state", "queued")],
        counts.outbox_queued,
    );
    sample(
        out,
        "skydd_outbox_messages",
        &[("state", "failed")],
        counts.outbox_failed,
    );
    let sweeps = &operations.sweeps;
    family(
        out,
        "skydd_retention_sweeps_total",
        "counter",
        "Retention sweeps run by this server since it started, by result.",
    );
    for (result, count) in [
        ("done", sweeps.done),
        ("skipped", sweeps.skipped),
        ("failed", sweeps.failed),
    ] {
        sample(
            out,
            "skydd_retention_sweeps_total",
            &[("result", result)],
            count,
        );
    }
    if let Some((at, succeeded)) = sweeps.last {
        gauge(
            out,
            "skydd_retention_last_sweep_timestamp_seconds",
            "When the last retention sweep of this server started (Unix time).",
            at.as_second(),
        );
        gauge(
            out,
            "skydd_retention_last_sweep_success",
            "Whether the last retention sweep of this server finished, its checkpoint included (1) or failed (0).",
            u64::from(succeeded),
        );
    }
    let audit = &operations.audit;
    gauge(
        out,
        "skydd_audit_chain_head_seq",
        "The sequence number of the newest audit trail entry.",
        audit.head_seq,
    );
    gauge(
        out,
        "skydd_audit_subject_index_seq",
        "The sequence number up to which the audit trail's index by subject is complete; a search by subject scans the entries above it.",
        audit.subject_index_seq,
    );
    if let Some(checkpoint) = &audit.checkpoint {
        gauge(
            out,
            "skydd_audit_checkpoint_seq",
            "The sequence number of the entry the newest signed audit checkpoint covers.",
            checkpoint.seq,
        );
        gauge(
            out,
            "skydd_audit_checkpoint_timestamp_seconds",
            "When the newest signed audit checkpoint was made (Unix time).",
            checkpoint.at.as_second(),
        );
        gauge(
            out,
            "skydd_audit_checkpoint_valid",
            "Whether the newest audit checkpoint's signature is valid for this installation and it covers no entry past the head (1); 0 means tampering: run `skydd audit verify`.",
            u64::from(checkpoint.valid),
        );
    }
    let pool = &operations.pool;
    family(
        out,
        "skydd_db_pool_connections",
        "gauge",
        "Database connections open, by state: in_use or idle.",
    );
    sample(
        out,
        "skydd_db_pool_connections",
        &[("state", "in_use")],
        pool.size.saturating_sub(pool.idle),
    );
    sample(
        out,
        "skydd_db_pool_connections",
        &[("state", "idle")],
        pool.idle,
    );
    gauge(
        out,
        "skydd_db_pool_max_connections",
        "The most connections the database pool opens.",
        pool.max,
    );
}

/// A metric family's `# HELP` and `# TYPE` lines.
fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// A gauge family with its one sample.
fn gauge(out: &mut String, name: &str, help: &str, value: impl std::fmt::Display) {
    family(out, name, "gauge", help);
    sample(out, name, &[], value);
}

/// One sample line.
fn sample(out: &mut String, name: &str, labels: &[(&str, &str)], value: impl std::fmt::Display) {
    let _ = writeln!(out, "{name}{} {value}", label_text(labels));
}

/// `{name="value",...}` with the values escaped as the format requires; empty without labels.
fn label_text(labels: &[(&str, &str)]) -> String {
    if labels.is_empty() {
        return String::new();
    }
    let mut text = String::from("{");
    for (index, (name, value)) in labels.iter().enumerate() {
        if index > 0 {
            text.push(',');
        }
        let _ = write!(text, "{name}=\"");
        for c in value.chars() {
            match c {
                '\\' => text.push_str("\\\\"),
                '"' => text.push_str("\\\""),
                '\n' => text.push_str("\\n"),
                c => text.push(c),
            }
        }
        text.push('"');
    }
    text.push('}');
    text
}

/// The method as a label: one of the standard methods, else `other` (a client can send any
/// token as a method; it must not grow the set of series).
fn method_label(method: &Method) -> &'static str {
    const KNOWN: [(Method, &str); 9] = [
        (Method::GET, "GET"),
        (Method::HEAD, "HEAD"),
        (Method::POST, "POST"),
        (Method::PUT, "PUT"),
        (Method::DELETE, "DELETE"),
        (Method::PATCH, "PATCH"),
        (Method::OPTIONS, "OPTIONS"),
        (Method::TRACE, "TRACE"),
        (Method::CONNECT, "CONNECT"),
    ];
    KNOWN
        .iter()
        .find(|(known, _)| known == method)
        .map_or("other", |(_, label)| label)
}

#[cfg(test)]
mod tests {
    #[test]
    fn fact_cache_counters_are_totals_without_ids() {
        let mut out = String::new();
        let stats = skydd_vault::FactCacheStats {
            hits: 7,
            misses: 2,
            evictions: 1,
            subjects: 5,
            organisations: 1,
        };
        render_fact_cache(&mut out, &stats);
        assert!(out.contains("skydd_facts_cache_hits_total 7\n"), "{out}");
        assert!(out.contains("skydd_facts_cache_misses_total 2\n"), "{out}");
        assert!(
            out.contains("skydd_facts_cache_evictions_total 1\n"),
            "{out}"
        );
        assert!(
            out.contains("skydd_facts_cache_entries{kind=\"subject\"} 5\n"),
            "{out}"
        );
    }

    use super::*;

    #[test]
    fn latencies_fall_in_cumulative_buckets() {
        let metrics = Metrics::default();
        let route = Some("/v1/subjects/{id}");
        metrics.observe_request(&Method::GET, route, 200, Duration::from_micros(800));
        metrics.observe_request(&Method::GET, route, 404, Duration::from_millis(30));
        metrics.observe_request(&Method::GET, route, 200, Duration::from_secs(20));
        let text = metrics.render(None);
        for line in [
            r#"skydd_http_requests_total{method="GET",route="/v1/subjects/{id}",status="200"} 2"#,
            r#"skydd_http_requests_total{method="GET",route="/v1/subjects/{id}",status="404"} 1"#,
            r#"skydd_http_request_duration_seconds_bucket{method="GET",route="/v1/subjects/{id}",le="0.001"} 1"#,
            r#"skydd_http_request_duration_seconds_bucket{method="GET",route="/v1/subjects/{id}",le="0.025"} 1"#,
            r#"skydd_http_request_duration_seconds_bucket{method="GET",route="/v1/subjects/{id}",le="0.05"} 2"#,
            r#"skydd_http_request_duration_seconds_bucket{method="GET",route="/v1/subjects/{id}",le="10"} 2"#,
            r#"skydd_http_request_duration_seconds_bucket{method="GET",route="/v1/subjects/{id}",le="+Inf"} 3"#,
            r#"skydd_http_request_duration_seconds_count{method="GET",route="/v1/subjects/{id}"} 3"#,
            "skydd_storage_up 0",
        ] {
            assert!(text.lines().any(|l| l == line), "missing {line}:\n{text}");
        }
    }

    #[test]
    fn unknown_methods_and_unmatched_paths_share_one_label() {
        let metrics = Metrics::default();
        let odd = Method::from_bytes(b"BREW").unwrap();
        metrics.observe_request(&odd, None, 404, Duration::ZERO);
        let text = metrics.render(None);
        assert!(
            text.contains(r#"{method="other",route="unmatched",status="404"} 1"#),
            "{text}"
        );
    }

    #[test]
    fn decisions_are_counted_by_code_only() {
        let metrics = Metrics::default();
        metrics.observe_decision(&Decision::Deny {
            code: DenyCode::ConsentMissing,
            explanation: "subject 0123 has not consented".into(),
        });
        let text = metrics.render(None);
        assert!(text.contains("skydd_decisions_total{code=\"consent_missing\"} 1"));
        assert!(text.contains("skydd_decisions_total{code=\"allowed\"} 0"));
        assert!(!text.contains("0123"), "{text}");
    }

    #[test]
    fn the_state_read_at_scrape_is_rendered_as_gauges() {
        use skydd_app::operations::{
            AuditStatus, CheckpointStatus, IncidentClocks, Operations, SweepTally,
        };
        let at = jiff::Timestamp::from_second(1_772_355_600).unwrap();
        let operations = Operations {
            counts: skydd_storage::OperationsCounts {
                open_requests: 4,
                overdue_requests: 1,
                outbox_queued: 2,
                outbox_failed: 3,
            },
            incidents: IncidentClocks {
                open: 2,
                notification_due: 1,
                notification_overdue: 0,
            },
            sweeps: SweepTally {
                done: 5,
                skipped: 1,
                failed: 1,
                last: Some((at, false)),
            },
            audit: AuditStatus {
                head_seq: 120,
                subject_index_seq: 117,
                checkpoint: Some(CheckpointStatus {
                    seq: 118,
                    at,
                    valid: true,
                }),
            },
            pool: skydd_storage::PoolStatus {
                size: 3,
                idle: 2,
                max: 10,
            },
            security_review: Some(skydd_register::model::ReviewStatus {
                last: None,
                due: None,
                overdue: true,
            }),
        };
        let text = Metrics::default().render(Some(&operations));
        for line in [
            "skydd_storage_up 1",
            "skydd_requests_open 4",
            "skydd_requests_overdue 1",
            "skydd_incidents_open 2",
            "skydd_incidents_notification_due 1",
            "skydd_incidents_notification_overdue 0",
            "skydd_security_review_overdue 1",
            r#"skydd_outbox_messages{state="queued"} 2"#,
            r#"skydd_outbox_messages{state="failed"} 3"#,
            r#"skydd_retention_sweeps_total{result="done"} 5"#,
            r#"skydd_retention_sweeps_total{result="failed"} 1"#,
            "skydd_retention_last_sweep_timestamp_seconds 1772355600",
            "skydd_retention_last_sweep_success 0",
            "skydd_audit_chain_head_seq 120",
            "skydd_audit_subject_index_seq 117",
            "skydd_audit_checkpoint_seq 118",
            "skydd_audit_checkpoint_timestamp_seconds 1772355600",
            "skydd_audit_checkpoint_valid 1",
            r#"skydd_db_pool_connections{state="in_use"} 1"#,
            r#"skydd_db_pool_connections{state="idle"} 2"#,
            "skydd_db_pool_max_connections 10",
        ] {
            assert!(text.lines().any(|l| l == line), "missing {line}:\n{text}");
        }
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(
            label_text(&[("a", "x\"y\\z\n")]),
            r#"{a="x\"y\\z\n"}"#.to_owned()
        );
        assert_eq!(label_text(&[]), "");
    }
}
