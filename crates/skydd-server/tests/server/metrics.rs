//! `/metrics` and request ids (issue 15): who may scrape, what a scrape says after some traffic,
//! and that it never names anybody.

use std::sync::Arc;

use reqwest::header::CONTENT_TYPE;
use reqwest::{Method, StatusCode};
use serde_json::json;
use skydd_app::{App, FixedClock, tokens};
use skydd_crypto::Keyring;
use skydd_server::AppState;
use skydd_staff::permission::{Scope, StaffRole};
use skydd_storage::Location;
use tokio::sync::oneshot;

use super::{
    TestApp, captured_log, contact_record, json_body, on_each_backend, problem, skydd_token,
    v1_operations,
};

/// The body of a successful scrape with `token`, after checking status and media type.
async fn scrape(app: &TestApp, token: &str) -> String {
    let response = app.get("/metrics", Some(token)).await;
    assert_eq!(response.status(), StatusCode::OK, "{}", app.backend);
    assert_eq!(
        response.headers()[CONTENT_TYPE],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    response.text().await.unwrap()
}

/// The value of the sample `series` (name and labels exactly as rendered).
fn value(body: &str, series: &str) -> Option<String> {
    body.lines().find_map(|line| {
        line.strip_prefix(series)
            .and_then(|rest| rest.strip_prefix(' '))
            .map(str::to_owned)
    })
}

/// The series of `body` without their values, `_bucket` lines left out: what a scrape offers.
fn series(body: &str) -> String {
    body.lines()
        .filter(|line| !line.starts_with("# HELP") && !line.contains("_bucket{"))
        .map(|line| match line.strip_prefix("# TYPE ") {
            Some(kind) => format!("# {kind}"),
            None => line
                .rsplit_once(' ')
                .map_or(line, |(series, _)| series)
                .to_owned(),
        })
        .map(|line| {
            let version = format!("version=\"{}\"", env!("CARGO_PKG_VERSION"));
            line.replace(&version, "version=\"[version]\"")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn metrics_need_a_token_and_a_metrics_token_reads_nothing_else() {
    on_each_backend(async |app| {
        problem(
            app.get("/metrics", None).await,
            StatusCode::UNAUTHORIZED,
            app.backend,
        )
        .await;
        let metrics = app.issue(Scope::Metrics).await;
        let auditor = app.issue(Scope::Role(StaffRole::Auditor)).await;
        for token in [metrics.secret(), auditor.secret(), &app.admin_token] {
            scrape(app, token).await;
        }

        let subject = app
            .create_subject(json!({"email": "scraper@example.se"}))
            .await;
        let record = app
            .create_record(&subject, contact_record("delivery"))
            .await;
        for (method, path, body) in v1_operations(&subject, &record) {
            let response = app
                .send_as(metrics.secret(), method.clone(), &path, body.as_ref())
                .await;
            problem(response, StatusCode::FORBIDDEN, app.backend).await;
        }
        let requests = app
            .send_as(metrics.secret(), Method::GET, "/v1/requests", None)
            .await;
        problem(requests, StatusCode::FORBIDDEN, app.backend).await;
    })
    .await;
}

#[tokio::test]
async fn a_scrape_counts_requests_by_route_and_decisions_by_code_and_names_nobody() {
    on_each_backend(async |app| {
        let email = "metrics.person@example.se";
        let subject = app.create_subject(json!({"email": email})).await;
        let record = app
            .create_record(&subject, contact_record("delivery"))
            .await;
        let allowed = app
            .decide(&format!(
                "subject={subject}&purpose=delivery&category=contact"
            ))
            .await;
        assert_eq!(allowed["allowed"], true, "{allowed}");
        let denied = app
            .decide(&format!(
                "subject={subject}&purpose=newsletter&category=contact"
            ))
            .await;
        assert_eq!(denied["code"], "consent_missing", "{denied}");
        // An unknown path carrying an identifier, and a data-subject request (public).
        let missing = app.get(&format!("/v1/nothing/{subject}"), None).await;
        assert_eq!(missing.status(), StatusCode::NOT_FOUND);
        let receipt = app
            .client
            .post(app.url("/v1/requests"))
            .json(&json!({"type": "access", "identity": {"email": email}}))
            .send()
            .await
            .unwrap();
        let receipt = json_body(receipt, StatusCode::ACCEPTED, app.backend).await;
        let request_id = receipt["id"].as_str().unwrap().to_owned();
        app.post_ok(
            "/v1/incidents",
            json!({
                "became_aware_at": "2026-02-25T08:00:00Z",
                "nature": "A laptop was stolen",
                "data_categories": ["contact"],
                "subject_categories": ["customer"],
                "approx_subjects": 3,
                "consequences": "None known",
                "measures": "The disk was encrypted",
                "risk": "risk",
            }),
            StatusCode::CREATED,
        )
        .await;

        // A signed checkpoint, as a sweep leaves one.
        let (keyring, _) = Keyring::load_or_create(&app.key_file).unwrap();
        skydd_vault::audit_trail::write_checkpoint(
            &*app.storage,
            keyring.checkpoint_signer(),
            app.now,
        )
        .await
        .unwrap()
        .unwrap();

        let metrics = app.issue(Scope::Metrics).await;
        let body = scrape(app, metrics.secret()).await;
        let backend = app.backend;
        for (series, expected) in [
            (
                r#"skydd_http_requests_total{method="POST",route="/v1/subjects",status="201"}"#,
                "1",
            ),
            (
                r#"skydd_http_requests_total{method="POST",route="/v1/subjects/{id}/records",status="201"}"#,
                "1",
            ),
            (
                r#"skydd_http_requests_total{method="GET",route="/v1/decisions",status="200"}"#,
                "2",
            ),
            (
                r#"skydd_http_requests_total{method="GET",route="unmatched",status="404"}"#,
                "1",
            ),
            (
                r#"skydd_http_request_duration_seconds_count{method="GET",route="/v1/decisions"}"#,
                "2",
            ),
            (r#"skydd_decisions_total{code="allowed"}"#, "1"),
            (r#"skydd_decisions_total{code="consent_missing"}"#, "1"),
            (r#"skydd_decisions_total{code="objection"}"#, "0"),
            ("skydd_storage_up", "1"),
            ("skydd_requests_open", "1"),
            ("skydd_requests_overdue", "0"),
            ("skydd_incidents_open", "1"),
            // Aware at 02-25 08:00, the clock at 03-01 09:00: past the 72 hours.
            ("skydd_incidents_notification_due", "1"),
            ("skydd_incidents_notification_overdue", "1"),
            (r#"skydd_outbox_messages{state="failed"}"#, "0"),
            (r#"skydd_retention_sweeps_total{result="done"}"#, "0"),
            ("skydd_audit_checkpoint_valid", "1"),
            (
                "skydd_audit_checkpoint_timestamp_seconds",
                &app.now.as_second().to_string(),
            ),
        ] {
            assert_eq!(
                value(&body, series).as_deref(),
                Some(expected),
                "{backend}: {series} in\n{body}"
            );
        }
        let head: i64 = value(&body, "skydd_audit_chain_head_seq")
            .unwrap()
            .parse()
            .unwrap();
        assert!(head > 0, "{backend}: the audit trail has entries: {body}");

        // No identifier and no personal value, in any form, anywhere in the body.
        let token_id = metrics.id.0.clone();
        for secret in [
            subject.as_str(),
            record.as_str(),
            request_id.as_str(),
            email,
            "metrics.person",
            metrics.secret(),
            token_id.as_str(),
            &app.admin_token,
        ] {
            assert!(
                !body.to_lowercase().contains(&secret.to_lowercase()),
                "{backend}: /metrics contains {secret}"
            );
        }
        insta::assert_snapshot!("metrics_series", series(&body));
    })
    .await;
}

#[tokio::test]
async fn every_response_carries_a_request_id_and_the_access_log_names_it() {
    on_each_backend(async |app| {
        let given = "0f8c2d1e-3b4a-4c5d-8e9f-a0b1c2d3e4f5";
        let response = app
            .client
            .get(app.url("/healthz"))
            .header("x-request-id", given)
            .send()
            .await
            .unwrap();
        assert_eq!(response.headers()["x-request-id"], given);

        // A header that could be personal data is not taken: the server draws an id.
        for odd in ["anna@example.se", "199001011234", "annasvensson"] {
            let response = app
                .client
                .get(app.url("/healthz"))
                .header("x-request-id", odd)
                .send()
                .await
                .unwrap();
            let id = response.headers()["x-request-id"].to_str().unwrap();
            assert_ne!(id, odd);
            assert_eq!(id.len(), 16, "{id}");
        }
        let drawn = app.get("/v1/register", None).await;
        let drawn = drawn.headers()["x-request-id"].to_str().unwrap().to_owned();

        let log = captured_log();
        for id in [given, drawn.as_str()] {
            assert!(
                log.lines()
                    .any(|line| line.contains(&format!("request_id={id}"))
                        && line.contains("skydd_server::access")),
                "{}: no access line names {id}",
                app.backend
            );
        }
        for odd in ["anna@example.se", "199001011234", "annasvensson"] {
            assert!(!log.contains(odd), "the log holds {odd}");
        }
    })
    .await;
}

/// With `--metrics-public`, a scrape needs no token; with the database gone it still answers,
/// with `skydd_storage_up 0` and without the gauges read from it.
#[tokio::test]
async fn public_metrics_need_no_token_and_survive_a_lost_database() {
    super::capture_logs();
    let data = tempfile::tempdir().unwrap();
    let storage = skydd_storage::open(&Location::Sqlite(data.path().join("skydd.db")))
        .await
        .unwrap();
    let now: jiff::Timestamp = "2026-03-01T09:00:00Z".parse().unwrap();
    let checked = skydd_register::check(super::TEST_REGISTER);
    let register = skydd_app::LoadedRegister::new(checked.register.unwrap(), "test register");
    register.record(&*storage, now).await.unwrap();
    let (keyring, _) = Keyring::load_or_create(&data.path().join("master.key")).unwrap();
    let app = App::new(
        storage.clone(),
        Arc::new(keyring),
        register,
        Arc::new(FixedClock(now)),
    );
    tokens::issue(&*storage, &skydd_token(Scope::Admin, "unused"), now)
        .await
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/metrics", listener.local_addr().unwrap());
    let (shutdown, stopped) = oneshot::channel::<()>();
    let state = AppState::new(app).with_public_metrics(true);
    let server = tokio::spawn(skydd_server::serve(listener, state, async {
        let _ = stopped.await;
    }));

    let body = reqwest::get(&url).await.unwrap();
    assert_eq!(body.status(), StatusCode::OK);
    let body = body.text().await.unwrap();
    assert_eq!(value(&body, "skydd_storage_up").as_deref(), Some("1"));
    assert_eq!(value(&body, "skydd_requests_open").as_deref(), Some("0"));

    storage.close().await.unwrap();
    let body = reqwest::get(&url).await.unwrap();
    assert_eq!(body.status(), StatusCode::OK);
    let body = body.text().await.unwrap();
    assert_eq!(value(&body, "skydd_storage_up").as_deref(), Some("0"));
    assert_eq!(value(&body, "skydd_requests_open"), None, "{body}");
    assert!(
        value(
            &body,
            r#"skydd_http_requests_total{method="GET",route="/metrics",status="200"}"#
        )
        .is_some(),
        "{body}"
    );

    shutdown.send(()).unwrap();
    server.await.unwrap().unwrap();
}
