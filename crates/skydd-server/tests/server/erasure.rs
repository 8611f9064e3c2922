//! Erasure in connected databases through the running server (issue 16, part 3): fulfilling a
//! verified erasure request erases in ethyca/fides' example shop (SQLite file, and PostgreSQL
//! when configured) before the vault, keeps a sealed receipt per system, audits it without
//! primary keys, names it in the completion letter, and never reruns a done system.

use std::os::unix::fs::PermissionsExt as _;

use reqwest::StatusCode;
use serde_json::Value;
use sqlx::Connection as _;

use super::connected::{
    ServerShop, Shop, fulfil, spawn_connected, verified_request, verify_with_code,
};
use super::{Backend, TestApp, backends};

/// How many rows of the SQLite shop's `table` hold `value` in `column` (bound, so that the
/// value is in no log line).
async fn count(shop: &Shop, table: &str, column: &str, value: &str) -> i64 {
    let url = format!("sqlite://{}", shop.dir.path().join("shop.db").display());
    let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
    let sql = format!("SELECT COUNT(*) FROM {table} WHERE {column} = ?");
    let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .bind(value)
        .fetch_one(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    n
}

/// The body of the SQLite shop's support note `id`.
async fn note(shop: &Shop, id: i64) -> Option<String> {
    let url = format!("sqlite://{}", shop.dir.path().join("shop.db").display());
    let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
    let body: Option<String> = sqlx::query_scalar("SELECT body FROM support_note WHERE id = ?")
        .bind(id)
        .fetch_one(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    body
}

#[tokio::test]
async fn a_ticket_that_mentions_the_customer_is_in_their_package_and_redacted_by_their_erasure() {
    // Issue 21, done when: "a ticket that mentions someone by personnummer, phone or e-mail is
    // found by their access request, redacted by their erasure". Note 1 is filed under
    // customer 2 and quotes customer 1's address beside someone else's.
    for backend in backends() {
        let shop = Shop::with_notes().await;
        let app = spawn_connected(&backend, shop.datasets()).await;
        let one = "customer-1@example.com";
        let id = verified_request(&app, "access", one).await;
        let package = app.get_ok(&format!("/v1/requests/{id}/package")).await;
        let mentioned: Vec<&Value> = package["systems"][0]["values"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|v| v["collection"] == "support_note")
            .collect();
        assert_eq!(
            mentioned,
            [
                &serde_json::json!({"collection": "support_note", "row": "id=2",
                    "category": "support_ticket", "field": "body",
                    "value": "My own question."}),
                &serde_json::json!({"collection": "support_note", "row": "id=1",
                    "category": "support_ticket", "field": "body",
                    "value": "Please copy customer-1@example.com and [redacted] on this.",
                    "mentioned": true}),
            ],
            "{}",
            app.backend
        );

        // The same person, known already: a second request, verified the same way.
        let response = app
            .client
            .post(app.url("/v1/requests"))
            .json(&serde_json::json!({"type": "erasure", "identity": {"email": one}}))
            .send()
            .await
            .unwrap();
        let receipt = super::json_body(response, StatusCode::ACCEPTED, app.backend).await;
        let id = receipt["id"].as_str().unwrap().to_owned();
        verify_with_code(&app, &id).await;
        let plan = app.get_ok(&format!("/v1/requests/{id}/erasure-plan")).await;
        let redactions = &plan["systems"][0]["redactions"][0];
        assert_eq!(redactions["collection"], "support_note", "{plan}");
        assert_eq!(redactions["rows"], 1, "{plan}");
        let (status, body) = fulfil(&app, &id).await;
        assert_eq!(status, StatusCode::OK, "{}: {body}", app.backend);
        assert_eq!(body["state"], "completed", "{body}");
        assert_eq!(
            note(&shop, 1).await.as_deref(),
            Some("Please copy [email] and jane@example.org on this."),
            "{}",
            app.backend
        );
        assert_eq!(
            note(&shop, 2).await,
            None,
            "the customer's own note: `erase: null`"
        );

        // The view has the counts, not the rows' keys nor the identities' hashes.
        let request = app.get_ok(&format!("/v1/requests/{id}")).await;
        let receipt = &request["systems"][0]["outcomes"][0]["receipt"];
        assert_eq!(receipt["redacted"][0]["rows"], 1, "{receipt}");
        assert_eq!(receipt["redacted"][0]["keys"], Value::Null, "{receipt}");
        assert_eq!(receipt["mentions"]["keys"], Value::Null, "{receipt}");
        assert!(receipt["mentions"]["scanned_on"].is_string(), "{receipt}");

        let letter = completion_letter(&app, &id).await;
        assert!(
            letter.contains("  support_note (1 row): text that mentioned you, with each mention replaced by its kind (such as [email]), in body"),
            "{letter}"
        );
        app.stop().await;
    }
}

/// The request's `request.system` audit events' details, via its subject.
async fn system_events(app: &TestApp, request: &Value) -> Vec<(String, String)> {
    let subject = request["subject_id"].as_str().unwrap();
    app.storage
        .audit_events_for_subject(subject)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "request.system")
        .map(|e| (e.outcome, e.detail.unwrap_or_default()))
        .collect()
}

/// The services over the server's database and key file (no datasets).
fn services(app: &TestApp) -> skydd_app::App {
    let (keyring, _) = skydd_crypto::Keyring::load_or_create(&app.key_file).unwrap();
    skydd_app::App::new(
        app.storage.clone(),
        std::sync::Arc::new(keyring),
        app.register.clone(),
        std::sync::Arc::new(skydd_app::FixedClock(app.now)),
    )
}

/// The completion letter of request `id`.
async fn completion_letter(app: &TestApp, id: &str) -> String {
    services(app)
        .vault()
        .outbox(&skydd_vault::Actor::new("test"), None, app.now)
        .await
        .unwrap()
        .into_iter()
        .find(|m| m.request_id.as_deref() == Some(id) && m.kind == "completed")
        .unwrap()
        .text
}

#[tokio::test]
async fn an_erasure_reaches_the_connected_database_with_a_receipt_an_audit_and_the_letter() {
    for backend in backends() {
        let shop = Shop::new().await;
        let app = spawn_connected(&backend, shop.datasets()).await;
        let id = verified_request(&app, "erasure", "customer-1@example.com").await;
        let before = app.get_ok(&format!("/v1/requests/{id}")).await;
        let (status, body) = fulfil(&app, &id).await;
        assert_eq!(status, StatusCode::OK, "{}: {body}", app.backend);
        assert_eq!(body["state"], "completed");

        // The subject is gone from the shop; the other customers are not.
        let one = "customer-1@example.com";
        assert_eq!(count(&shop, "customer", "email", one).await, 0);
        assert_eq!(count(&shop, "visit", "email", one).await, 0);
        let two = "customer-2@example.com";
        assert_eq!(count(&shop, "customer", "email", two).await, 1);
        assert_eq!(count(&shop, "login", "customer_id", "1").await, 0);

        // The receipt (primary keys included) is kept, sealed, with the outcome.
        let request = app.get_ok(&format!("/v1/requests/{id}")).await;
        let outcome = &request["systems"][0]["outcomes"][0];
        assert_eq!(outcome["action"], "erasure");
        assert_eq!(outcome["state"], "done", "{request}");
        let receipt = &outcome["receipt"];
        assert_eq!(receipt["system"], "fides_example");
        let customer = receipt["collections"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["collection"] == "customer")
            .unwrap();
        // Views leave the primary keys out; the sealed ledger keeps them (for replay).
        assert_eq!(customer["keys"], Value::Null);
        let sealed = services(&app)
            .vault()
            .system_outcomes(&skydd_vault::Actor::new("test"), &id)
            .await
            .unwrap();
        let keys = sealed[0].receipt["collections"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["collection"] == "customer")
            .unwrap()["keys"]
            .clone();
        assert_eq!(keys, serde_json::json!([["1"]]));
        assert_eq!(customer["fields"][0]["field"], "email");
        assert_eq!(customer["fields"][0]["strategy"], "keyed_hash");
        assert!(
            receipt["kept"]
                .as_array()
                .unwrap()
                .iter()
                .any(|k| k["collection"] == "customer" && k["field"] == "name"),
            "{receipt}"
        );

        // The audit chain has the receipt without keys.
        let events = system_events(&app, &before).await;
        let done: Vec<&String> = events
            .iter()
            .filter(|(o, _)| o == "done")
            .map(|(_, d)| d)
            .collect();
        assert_eq!(done.len(), 1, "{events:?}");
        let detail: Value = serde_json::from_str(done[0]).unwrap();
        assert_eq!(detail["action"], "erasure");
        assert!(detail["receipt"]["collections"].is_array(), "{detail}");
        assert!(!done[0].contains("keys"), "{}", done[0]);
        assert!(!done[0].contains("customer-1"), "{}", done[0]);

        // The letter names the system, its tables, fields, rows and what the hold kept.
        let letter = completion_letter(&app, &id).await;
        assert!(letter.contains("- fides_example:"), "{letter}");
        assert!(letter.contains("  customer (1 row): email"), "{letter}");
        assert!(letter.contains("  login ("), "{letter}");
        assert!(letter.contains("customer.name kept: "), "{letter}");
        app.stop().await;
    }
}

#[tokio::test]
async fn a_failed_erasure_blocks_the_vault_until_retried_and_a_done_system_is_never_rerun() {
    let shop = Shop::new().await;
    let app = spawn_connected(&Backend::Sqlite, shop.datasets()).await;
    let id = verified_request(&app, "erasure", "customer-1@example.com").await;
    let url_file = shop.dir.path().join("shop.url");
    std::fs::set_permissions(&url_file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let (status, body) = fulfil(&app, &id).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(
        body.to_string().contains("fides_example (failed)"),
        "{body}"
    );
    assert!(!body.to_string().contains("sqlite://"), "{body}");
    // The vault erased nothing of its own: the request is still open and its subject there.
    let request = app.get_ok(&format!("/v1/requests/{id}")).await;
    assert_ne!(request["state"], "completed");
    assert_eq!(request["systems"][0]["outcomes"][0]["state"], "failed");
    let one = "customer-1@example.com";
    assert_eq!(count(&shop, "customer", "email", one).await, 1);

    std::fs::set_permissions(&url_file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let (status, body) = fulfil(&app, &id).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(count(&shop, "customer", "email", one).await, 0);
    let request = app.get_ok(&format!("/v1/requests/{id}")).await;
    let outcome = &request["systems"][0]["outcomes"][0];
    assert_eq!(outcome["state"], "done");
    let updated_at = outcome["updated_at"].clone();
    // A closed request is not fulfilled again, and its done system is not touched.
    let (status, _) = fulfil(&app, &id).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let request = app.get_ok(&format!("/v1/requests/{id}")).await;
    assert_eq!(
        request["systems"][0]["outcomes"][0]["updated_at"],
        updated_at
    );

    let log = super::captured_log();
    for line in log.lines().filter(|l| !l.contains("INSERT INTO")) {
        assert!(!line.contains("customer-1@example.com"), "a value: {line}");
    }
    app.stop().await;
}

#[tokio::test]
async fn an_erasure_reaches_a_connected_postgres_database() {
    let Ok(admin) = std::env::var("SKYDD_TEST_DATABASE_URL") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must run this on PostgreSQL: set SKYDD_TEST_DATABASE_URL"
        );
        eprintln!("note: SKYDD_TEST_DATABASE_URL is not set; the connected PostgreSQL test skips");
        return;
    };
    let postgres = ServerShop::new(skydd_dataset::DatabaseKind::Postgres, &admin).await;
    let app = spawn_connected(&Backend::Sqlite, postgres.shop.datasets()).await;
    let id = verified_request(&app, "erasure", "customer-1@example.com").await;
    let (status, body) = fulfil(&app, &id).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let request = app.get_ok(&format!("/v1/requests/{id}")).await;
    let outcome = &request["systems"][0]["outcomes"][0];
    assert_eq!(outcome["state"], "done", "{request}");
    assert!(
        outcome["receipt"]["collections"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["collection"] == "customer"),
        "{outcome}"
    );
    app.stop().await;
    postgres.finish().await;
}

#[tokio::test]
async fn the_erasure_plan_is_a_dry_run_for_verified_erasure_requests_only() {
    for backend in backends() {
        let shop = Shop::new().await;
        let app = spawn_connected(&backend, shop.datasets()).await;
        let id = verified_request(&app, "erasure", "customer-1@example.com").await;
        let plan = app.get_ok(&format!("/v1/requests/{id}/erasure-plan")).await;
        insta::assert_json_snapshot!("erasure_plan_fides_example", plan);
        assert!(!plan.to_string().contains("customer-1"), "{plan}");
        // Nothing written, nothing recorded.
        let one = "customer-1@example.com";
        assert_eq!(count(&shop, "customer", "email", one).await, 1);
        let request = app.get_ok(&format!("/v1/requests/{id}")).await;
        assert!(
            request["systems"][0]["outcomes"]
                .as_array()
                .unwrap()
                .is_empty()
        );
        // Staff who may not fulfil may not plan either.
        let auditor = app
            .issue(skydd_staff::permission::Scope::Role(
                skydd_staff::permission::StaffRole::Auditor,
            ))
            .await;
        let path = format!("/v1/requests/{id}/erasure-plan");
        let answer = app.get(&path, Some(auditor.secret())).await;
        assert_eq!(answer.status(), StatusCode::FORBIDDEN);
        // Not an erasure request, or not verified: a conflict.
        let access = verified_request(&app, "access", "customer-2@example.com").await;
        let answer = app
            .get(
                &format!("/v1/requests/{access}/erasure-plan"),
                Some(&app.admin_token),
            )
            .await;
        let body = super::problem(answer, StatusCode::CONFLICT, app.backend).await;
        assert!(!body.to_string().contains("customer-2"), "{body}");
        let fulfilled = fulfil(&app, &id).await;
        assert_eq!(fulfilled.0, StatusCode::OK);
        let answer = app.get(&path, Some(&app.admin_token)).await;
        assert_eq!(answer.status(), StatusCode::CONFLICT);
        app.stop().await;
    }
}

#[tokio::test]
async fn a_rectification_corrects_the_connected_database_and_audits_fields_not_values() {
    for backend in backends() {
        let shop = Shop::new().await;
        let app = spawn_connected(&backend, shop.datasets()).await;
        let id = verified_request(&app, "rectification", "customer-1@example.com").await;
        let before = app.get_ok(&format!("/v1/requests/{id}")).await;
        let response = app
            .client
            .post(app.url(&format!("/v1/requests/{id}/fulfil")))
            .bearer_auth(&app.admin_token)
            .json(&serde_json::json!({"connected_corrections": [
                {"concerns": "customer.name", "value": "Johnny Rectified"}
            ]}))
            .send()
            .await
            .unwrap();
        let body = super::json_body(response, StatusCode::OK, app.backend).await;
        assert_eq!(body["state"], "completed", "{body}");
        assert_eq!(
            count(&shop, "customer", "name", "Johnny Rectified").await,
            1
        );
        assert_eq!(count(&shop, "customer", "name", "John Customer").await, 0);

        let request = app.get_ok(&format!("/v1/requests/{id}")).await;
        let outcome = &request["systems"][0]["outcomes"][0];
        assert_eq!(outcome["action"], "rectification");
        assert_eq!(outcome["state"], "done");
        assert_eq!(
            outcome["receipt"]["collections"][0]["collection"],
            "customer"
        );
        assert_eq!(
            outcome["receipt"]["old_and_new"],
            Value::Null,
            "sealed only"
        );
        // The sealed receipt has the old and the new value (P000-56, P003-36).
        let sealed = services(&app)
            .vault()
            .system_outcomes(&skydd_vault::Actor::new("test"), &id)
            .await
            .unwrap();
        let change = &sealed[0].receipt["old_and_new"][0];
        assert_eq!(change["field"], "name");
        assert_eq!(change["old"], serde_json::json!(["John Customer"]));
        assert_eq!(change["new"], "Johnny Rectified");
        // The audit names the request, the system and the field changed, never a value.
        let events = system_events(&app, &before).await;
        let (_, detail) = events.iter().find(|(o, _)| o == "done").unwrap();
        assert!(detail.contains(&id), "{detail}");
        assert!(detail.contains("\"name\""), "{detail}");
        assert!(!detail.contains("John"), "{detail}");
        app.stop().await;
    }
}

#[tokio::test]
async fn connected_corrections_without_a_connected_database_are_refused() {
    let app = super::spawn_app(&Backend::Sqlite).await;
    let id = verified_request(&app, "rectification", "customer-1@example.com").await;
    let response = app
        .client
        .post(app.url(&format!("/v1/requests/{id}/fulfil")))
        .bearer_auth(&app.admin_token)
        .json(&serde_json::json!({"connected_corrections": [
            {"concerns": "customer_identity", "value": "Secret Value"}
        ]}))
        .send()
        .await
        .unwrap();
    let body = super::problem(response, StatusCode::UNPROCESSABLE_ENTITY, app.backend).await;
    assert!(!body.to_string().contains("Secret Value"), "{body}");
    app.stop().await;
}

#[tokio::test]
async fn an_erasure_reaches_a_connected_mariadb_database() {
    let Ok(admin) = std::env::var("SKYDD_TEST_MYSQL_URL") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must run this on MariaDB: set SKYDD_TEST_MYSQL_URL"
        );
        eprintln!("note: SKYDD_TEST_MYSQL_URL is not set; the connected MariaDB test skips");
        return;
    };
    let mariadb = ServerShop::new(skydd_dataset::DatabaseKind::Mysql, &admin).await;
    let datasets = mariadb.shop.datasets();
    let app = spawn_connected(&Backend::Sqlite, datasets).await;
    let id = verified_request(&app, "erasure", "customer-1@example.com").await;
    let (status, body) = fulfil(&app, &id).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let request = app.get_ok(&format!("/v1/requests/{id}")).await;
    assert_eq!(
        request["systems"][0]["outcomes"][0]["state"], "done",
        "{request}"
    );
    let mut conn = sqlx::MySqlConnection::connect(&mariadb.url).await.unwrap();
    let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM customer WHERE email = ?")
        .bind("customer-1@example.com")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(left, 0);
    let others: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM customer WHERE email = ?")
        .bind("customer-2@example.com")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(others, 1);
    conn.close().await.unwrap();
    app.stop().await;
    mariadb.finish().await;
}

#[tokio::test]
async fn keys_recorded_before_a_commit_survive_a_crash_between_the_commit_and_the_outcome() {
    use skydd_vault::{SystemAction, SystemOutcome, SystemState};
    for backend in backends() {
        let shop = Shop::new().await;
        let app = spawn_connected(&backend, shop.datasets()).await;
        let id = verified_request(&app, "erasure", "customer-1@example.com").await;
        // A run that committed in the shop, recorded its receipt as `pending` just before, and
        // died before recording `done`.
        let keyring = services(&app).keyring();
        let hasher = skydd_connect::apply::KeyedHasher::new(*keyring.erasure_hash_key());
        let url = skydd_connect::read_url(&shop.dataset.connection).unwrap();
        let mut db = skydd_connect::Database::connect_writable(shop.dataset.kind, &url, None)
            .await
            .unwrap();
        let actor = skydd_vault::Actor::new("test");
        let who = services(&app)
            .vault()
            .verified_identities(&actor, &id, app.now)
            .await
            .unwrap();
        let receipt = skydd_connect::erase::execute(
            &mut db,
            &shop.dataset,
            &who,
            &hasher,
            None,
            jiff::civil::date(2026, 12, 7),
        )
        .await
        .unwrap();
        db.close().await;
        services(&app)
            .vault()
            .record_system_outcome(
                &actor,
                &id,
                SystemOutcome {
                    system: "fides_example".into(),
                    action: SystemAction::Erasure,
                    state: SystemState::Pending,
                    receipt: serde_json::json!({"system": "fides_example",
                        "collections": serde_json::to_value(&receipt.collections).unwrap()}),
                },
                app.now,
            )
            .await
            .unwrap();

        // A rerun killed before it records anything of its own (its step never ends here)
        // keeps those keys in its `pending` record.
        let rerun = services(&app).with_datasets(shop.datasets());
        let killed = tokio::time::timeout(
            std::time::Duration::from_millis(200),
            rerun.run_connected_step(&actor, &id, SystemAction::Erasure, app.now, |_| {
                std::future::pending::<skydd_app::connected::StepOutcome>()
            }),
        )
        .await;
        assert!(killed.is_err(), "the step never ends");
        let kept = services(&app)
            .vault()
            .system_outcomes(&actor, &id)
            .await
            .unwrap();
        assert_eq!(kept[0].state, "pending");
        assert!(
            kept[0].receipt.to_string().contains("[\"1\"]"),
            "{}: {}",
            app.backend,
            kept[0].receipt
        );

        // The rerun finds nothing left to write, and keeps the keys of the run that died.
        let (status, body) = fulfil(&app, &id).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let sealed = services(&app)
            .vault()
            .system_outcomes(&actor, &id)
            .await
            .unwrap();
        assert_eq!(sealed[0].state, "done");
        let customer = sealed[0].receipt["collections"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["collection"] == "customer")
            .cloned()
            .unwrap();
        assert_eq!(
            customer["keys"],
            serde_json::json!([["1"]]),
            "{}",
            app.backend
        );
        app.stop().await;
    }
}

/// The messages of request `id` in the outbox: (kind, recipient).
async fn messages(app: &TestApp, id: &str) -> Vec<(String, String)> {
    services(app)
        .vault()
        .outbox(&skydd_vault::Actor::new("test"), None, app.now)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.request_id.as_deref() == Some(id))
        .map(|m| (m.kind, m.to))
        .collect()
}

#[tokio::test]
async fn a_customer_only_a_connected_database_holds_gets_a_code_and_is_answered() {
    for backend in backends() {
        let shop = Shop::new().await;
        let app = spawn_connected(&backend, shop.datasets()).await;
        // customer-1 is in the shop, not in the vault; nobody@ is in neither.
        let submit = |email: &'static str| {
            let app = &app;
            async move {
                let response = app
                    .client
                    .post(app.url("/v1/requests"))
                    .json(&serde_json::json!({"type": "erasure", "identity": {"email": email}}))
                    .send()
                    .await
                    .unwrap();
                super::json_body(response, StatusCode::ACCEPTED, app.backend).await
            }
        };
        let known = submit("customer-1@example.com").await;
        let unknown = submit("nobody@example.com").await;
        // The same answer either way: nothing tells the submitter who is a customer.
        assert_eq!(known["state"], unknown["state"]);
        assert_eq!(
            known.as_object().unwrap().len(),
            unknown.as_object().unwrap().len()
        );
        let id = known["id"].as_str().unwrap();
        let sent = messages(&app, id).await;
        assert!(
            sent.contains(&("verification_code".into(), "customer-1@example.com".into())),
            "{}: {sent:?}",
            app.backend
        );
        let nobody = messages(&app, unknown["id"].as_str().unwrap()).await;
        assert!(nobody.is_empty(), "{}: {nobody:?}", app.backend);

        // The code verifies it; fulfilling erases in the shop and writes to the address.
        verify_with_code(&app, id).await;
        let (status, body) = fulfil(&app, id).await;
        assert_eq!(status, StatusCode::OK, "{}: {body}", app.backend);
        assert_eq!(body["state"], "completed");
        let one = "customer-1@example.com";
        assert_eq!(count(&shop, "customer", "email", one).await, 0);
        let two = "customer-2@example.com";
        assert_eq!(count(&shop, "customer", "email", two).await, 1);
        let letter = completion_letter(&app, id).await;
        assert!(letter.contains("fides_example"), "{letter}");
        assert!(
            messages(&app, id)
                .await
                .contains(&("completed".into(), one.into())),
            "{}",
            app.backend
        );
        app.stop().await;
    }
}
