//! The console's register, audit and outbox pages over HTTP (issue 17), signed in as the
//! roles that use them, on SQLite and PostgreSQL.

use reqwest::StatusCode;
use reqwest::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use serde_json::json;
use skydd_staff::permission::StaffRole;
use skydd_storage::AuditFilter;
use skydd_vault::AuditEvent;

use super::console::Browser;
use super::{TEST_REGISTER, TestApp, on_each_backend};

/// Append an audit event as some other part of Skydd would.
async fn event(app: &TestApp, at: &str, actor: &str, action: &'static str, subject: Option<&str>) {
    app.app
        .audit()
        .record(AuditEvent {
            at: at.parse().unwrap(),
            actor: actor.to_owned(),
            ip: None,
            action,
            purpose: None,
            subject_id: subject.map(str::to_owned),
            categories: Vec::new(),
            outcome: "done".into(),
            detail: None,
        })
        .await
        .unwrap();
}

/// The seqs of the entries an audit page lists, from its row headers.
fn listed(body: &str) -> Vec<String> {
    body.split("<th scope=\"row\">")
        .skip(1)
        .map(|cell| cell[..cell.find('<').unwrap()].to_owned())
        .collect()
}

/// The actions an audit page lists, in order.
fn actions(body: &str) -> Vec<String> {
    body.split("<td class=\"action\"><code>")
        .skip(1)
        .map(|cell| cell[..cell.find('<').unwrap()].to_owned())
        .collect()
}

#[tokio::test]
async fn the_audit_search_filters_by_actor_action_subject_and_stockholm_time() {
    on_each_backend(async |app| {
        let backend = app.backend;
        let subject = "0123456789abcdef0123456789abcdef";
        // 09:30 and 11:00 in Stockholm (winter: UTC+1).
        event(
            app,
            "2026-03-01T08:30:00Z",
            "account:aa11/session:s1",
            "records.read",
            Some(subject),
        )
        .await;
        event(
            app,
            "2026-03-01T10:00:00Z",
            "account:aa11/session:s2",
            "request.extend",
            None,
        )
        .await;
        event(
            app,
            "2026-03-01T10:00:00Z",
            "account:aa111/session:s3",
            "request.create",
            Some(subject),
        )
        .await;
        event(
            app,
            "2026-03-01T10:00:00Z",
            "0000000000000a1",
            "records.read",
            Some(subject),
        )
        .await;

        let mut browser = Browser::new(app);
        browser
            .signed_in_as("auditor@example.se", StaffRole::Auditor)
            .await;
        let search = async |browser: &mut Browser<'_>, query: &str| {
            let page = browser.get(&format!("/console/audit?{query}")).await;
            assert_eq!(
                page.status,
                StatusCode::OK,
                "{backend}: {query}: {}",
                page.body
            );
            // The searches before this one are on record as `audit.read` (checked below),
            // and from the test clock's now on they match a subject filter too: left out here.
            actions(&page.body)
                .into_iter()
                .filter(|action| action != "audit.read")
                .collect::<Vec<_>>()
        };
        assert_eq!(
            search(&mut browser, "actor=account%3Aaa11").await,
            ["records.read", "request.extend"],
            "{backend}: an account finds its sessions, not another account's"
        );
        assert_eq!(
            search(&mut browser, "action=request").await,
            ["request.extend", "request.create"],
            "{backend}"
        );
        assert_eq!(
            search(
                &mut browser,
                &format!("subject={subject}&action=records.read")
            )
            .await,
            ["records.read", "records.read"],
            "{backend}"
        );
        assert_eq!(
            search(
                &mut browser,
                &format!("subject={subject}&from=2026-03-01T10%3A00")
            )
            .await,
            ["request.create", "records.read"],
            "{backend}: 10:00 Swedish time is 09:00 UTC"
        );
        assert_eq!(
            search(
                &mut browser,
                &format!("subject={subject}&to=2026-03-01T10%3A00")
            )
            .await,
            ["records.read"],
            "{backend}"
        );
        assert_eq!(
            search(&mut browser, &format!("subject={subject}&from=2026-03-02")).await,
            Vec::<String>::new(),
            "{backend}"
        );
        let bad = browser.get("/console/audit?from=yesterday").await;
        assert_eq!(bad.status, StatusCode::OK, "{backend}");
        assert!(bad.body.contains("aria-invalid=\"true\""), "{backend}");

        // Every search that listed entries is on record as the auditor's read.
        let reads = app
            .storage
            .audit_entries(
                &AuditFilter {
                    action: Some("audit.read".into()),
                    ..AuditFilter::default()
                },
                0,
                100,
            )
            .await
            .unwrap();
        assert_eq!(reads.len(), 6, "{backend}: the bad form read nothing");
        assert!(
            reads
                .iter()
                .all(|e| e.event.actor.starts_with("account:")
                    && e.event.actor.contains("/session:")),
            "{backend}: {reads:?}"
        );
        assert_eq!(
            reads[2].event.subject_id.as_deref(),
            Some(subject),
            "{backend}"
        );
    })
    .await;
}

#[tokio::test]
async fn the_audit_search_pages_with_the_same_filters() {
    on_each_backend(async |app| {
        let backend = app.backend;
        for _ in 0..55 {
            event(app, "2026-03-01T08:00:00Z", "cli:root", "key.rotate", None).await;
        }
        let mut browser = Browser::new(app);
        browser.signed_in_as("dpo@example.se", StaffRole::Dpo).await;
        let first = browser.get("/console/audit?action=key.rotate").await;
        assert_eq!(actions(&first.body).len(), 50, "{backend}");
        let next = first.body.split("<p><a href=\"").last().unwrap();
        let next = next[..next.find('"').unwrap()].replace("&amp;", "&");
        assert!(
            next.starts_with("/console/audit?action=key.rotate&after="),
            "{backend}: {next}"
        );
        let second = browser.get(&next).await;
        assert_eq!(actions(&second.body).len(), 5, "{backend}");
        // (The language switch keeps the query, `after=` included: only the next link counts.)
        assert!(
            !second.body.contains("<p><a href=\"/console/audit?"),
            "{backend}: the last page has no next link"
        );
        assert_eq!(listed(&second.body).len(), 5, "{backend}");
    })
    .await;
}

/// Run SQL behind Skydd's back, as someone with write access to the database can.
async fn tamper(app: &TestApp, statements: &[&str]) {
    use sqlx::Connection as _;
    for sql in statements {
        let sql = sqlx::AssertSqlSafe((*sql).to_owned());
        match &app.postgres_schema {
            None => {
                let path = app._data.path().join("skydd.db");
                let options = sqlx::sqlite::SqliteConnectOptions::new().filename(path);
                let mut conn = sqlx::SqliteConnection::connect_with(&options)
                    .await
                    .unwrap();
                sqlx::raw_sql(sql).execute(&mut conn).await.unwrap();
                conn.close().await.unwrap();
            }
            Some((url, schema)) => {
                let options: sqlx::postgres::PgConnectOptions = url.parse().unwrap();
                let options = options.options([("search_path", schema.as_str())]);
                let mut conn = sqlx::PgConnection::connect_with(&options).await.unwrap();
                sqlx::raw_sql(sql).execute(&mut conn).await.unwrap();
                conn.close().await.unwrap();
            }
        }
    }
}

#[tokio::test]
async fn the_chain_is_verified_from_the_page_and_a_changed_entry_is_named() {
    on_each_backend(async |app| {
        let backend = app.backend;
        let mut admin = Browser::new(app);
        admin
            .signed_in_as("admin@example.se", StaffRole::Admin)
            .await;
        let csrf = admin.csrf().await;
        let written = admin
            .post("/console/audit/chain/checkpoint", &[("_csrf", &csrf)])
            .await;
        assert_eq!(
            written.status,
            StatusCode::SEE_OTHER,
            "{backend}: {}",
            written.body
        );
        let chain = admin.get("/console/audit/chain").await;
        assert!(
            chain.body.contains("The checkpoint was written."),
            "{backend}"
        );
        assert!(
            chain.body.contains("<span class=\"tag done\">valid</span>"),
            "{backend}"
        );

        let mut auditor = Browser::new(app);
        auditor
            .signed_in_as("auditor@example.se", StaffRole::Auditor)
            .await;
        let csrf = auditor.csrf().await;
        let refused = auditor
            .post("/console/audit/chain/checkpoint", &[("_csrf", &csrf)])
            .await;
        assert_eq!(
            refused.status,
            StatusCode::FORBIDDEN,
            "{backend}: the auditor only reads"
        );
        let chain = auditor.get("/console/audit/chain").await;
        assert!(
            !chain.body.contains("/console/audit/chain/checkpoint"),
            "{backend}"
        );
        let intact = auditor
            .post("/console/audit/chain/verify", &[("_csrf", &csrf)])
            .await;
        assert_eq!(intact.status, StatusCode::OK, "{backend}");
        assert!(
            intact.body.contains("The audit trail is intact."),
            "{backend}: {}",
            intact.body
        );
        assert!(intact.body.contains("role=\"status\""), "{backend}");

        // Someone with write access changes what an entry says.
        let trigger = match app.postgres_schema {
            None => "DROP TRIGGER audit_events_append_only",
            Some(_) => "DROP TRIGGER audit_events_append_only ON audit_events",
        };
        tamper(
            app,
            &[
                trigger,
                "UPDATE audit_events SET outcome = 'denied' WHERE seq = 2",
            ],
        )
        .await;
        let broken = auditor
            .post("/console/audit/chain/verify", &[("_csrf", &csrf)])
            .await;
        assert_eq!(broken.status, StatusCode::OK, "{backend}");
        assert!(
            broken.body.contains("The audit trail is broken."),
            "{backend}: {}",
            broken.body
        );
        assert!(
            broken.body.contains("entry 2:"),
            "{backend}: {}",
            broken.body
        );
        assert!(broken.body.contains("role=\"alert\""), "{backend}");

        // Verifying is on record, with what it found.
        let verifications = app
            .storage
            .audit_entries(
                &AuditFilter {
                    action: Some("audit.verify".into()),
                    ..AuditFilter::default()
                },
                0,
                10,
            )
            .await
            .unwrap();
        let outcomes: Vec<&str> = verifications
            .iter()
            .map(|e| e.event.outcome.as_str())
            .collect();
        assert_eq!(outcomes, ["intact", "breach"], "{backend}");
    })
    .await;
}

/// A request by a known subject: its verification code letter is queued in the outbox.
async fn queued_letter(app: &TestApp) -> String {
    app.create_subject(json!({"email": "anna@example.se"}))
        .await;
    let response = app
        .client
        .post(app.url("/v1/requests"))
        .json(&json!({"type": "access", "identity": {"email": "anna@example.se"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::ACCEPTED, "{}", app.backend);
    let entries = app
        .app
        .vault()
        .outbox_entries(&skydd_vault::OutboxQuery {
            kind: Some("verification_code".into()),
            ..skydd_vault::OutboxQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(entries.len(), 1, "{}", app.backend);
    entries[0].id.clone()
}

#[tokio::test]
async fn outbox_bodies_are_hidden_from_the_auditor_and_read_on_demand_by_the_dpo() {
    on_each_backend(async |app| {
        let backend = app.backend;
        let id = queued_letter(app).await;

        let mut auditor = Browser::new(app);
        auditor
            .signed_in_as("auditor@example.se", StaffRole::Auditor)
            .await;
        let list = auditor.get("/console/outbox").await;
        assert_eq!(list.status, StatusCode::OK, "{backend}");
        assert!(
            list.body.contains("<code>verification_code</code>"),
            "{backend}"
        );
        assert!(!list.body.contains("anna@example.se"), "{backend}");
        assert!(
            !list.body.contains(&format!("/console/outbox/{id}")),
            "{backend}"
        );
        let csrf = auditor.csrf().await;
        let refused = auditor
            .post(&format!("/console/outbox/{id}"), &[("_csrf", &csrf)])
            .await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{backend}");
        assert!(!refused.body.contains("anna@example.se"), "{backend}");
        let filtered = auditor.get("/console/outbox?state=sent").await;
        assert!(
            !filtered.body.contains("verification_code</code>"),
            "{backend}"
        );
        let filtered = auditor
            .get("/console/outbox?kind=verification_code&state=queued")
            .await;
        assert!(
            filtered.body.contains("verification_code</code>"),
            "{backend}"
        );

        let mut dpo = Browser::new(app);
        dpo.signed_in_as("dpo@example.se", StaffRole::Dpo).await;
        let list = dpo.get("/console/outbox").await;
        assert!(
            list.body
                .contains(&format!("action=\"/console/outbox/{id}\"")),
            "{backend}"
        );
        assert!(
            !list.body.contains("anna@example.se"),
            "{backend}: only on demand"
        );
        let csrf = dpo.csrf().await;
        let message = dpo
            .post(&format!("/console/outbox/{id}"), &[("_csrf", &csrf)])
            .await;
        assert_eq!(
            message.status,
            StatusCode::OK,
            "{backend}: {}",
            message.body
        );
        assert!(message.body.contains("anna@example.se"), "{backend}");
        let forged = dpo.post(&format!("/console/outbox/{id}"), &[]).await;
        assert_eq!(
            forged.status,
            StatusCode::FORBIDDEN,
            "{backend}: no CSRF token"
        );
        let missing = dpo
            .post(
                &format!("/console/outbox/{}", "f".repeat(32)),
                &[("_csrf", &csrf)],
            )
            .await;
        assert_eq!(missing.status, StatusCode::NOT_FOUND, "{backend}");

        let reads = app
            .storage
            .audit_entries(
                &AuditFilter {
                    action: Some("outbox.read".into()),
                    ..AuditFilter::default()
                },
                0,
                10,
            )
            .await
            .unwrap();
        assert_eq!(
            reads.len(),
            1,
            "{backend}: one message opened, one read recorded"
        );
        assert_eq!(
            reads[0].event.detail.as_deref(),
            Some(format!("message {id}").as_str())
        );
        assert!(reads[0].event.actor.starts_with("account:"), "{backend}");
    })
    .await;
}

#[tokio::test]
async fn the_register_page_compares_any_two_versions() {
    on_each_backend(async |app| {
        let backend = app.backend;
        let source = TEST_REGISTER
            .replace("published: 2026-01-05", "published: 2026-04-01")
            .replace(
                "I want the newsletter.",
                "I want the newsletter and partner offers.",
            );
        let newer = skydd_app::LoadedRegister::new(
            skydd_register::check(&source).register.unwrap(),
            "newer",
        );
        newer
            .record(&*app.storage, "2026-04-01T08:00:00Z".parse().unwrap())
            .await
            .unwrap();

        let mut browser = Browser::new(app);
        browser
            .signed_in_as("support@example.se", StaffRole::Support)
            .await;
        let page = browser.get("/console/register").await;
        assert_eq!(page.status, StatusCode::OK, "{backend}");
        assert!(page.body.contains(&app.register.digest), "{backend}");
        assert!(
            page.body.contains(&newer.digest),
            "{backend}: the history lists both"
        );
        assert!(page.body.contains("href=\"/privacy?lang=sv\""), "{backend}");

        let diff = browser
            .get(&format!(
                "/console/register/diff?old={}&new={}",
                app.register.digest, newer.digest
            ))
            .await;
        assert_eq!(diff.status, StatusCode::OK, "{backend}: {}", diff.body);
        assert!(
            diff.body.contains("Changed consent wording"),
            "{backend}: {}",
            diff.body
        );
        assert!(
            diff.body
                .contains("<strong class=\"tag problem\">Significant</strong>"),
            "{backend}"
        );
        assert!(
            diff.body.contains("<code>newsletter</code>"),
            "{backend}: consents to renew"
        );
        let same = browser
            .get(&format!(
                "/console/register/diff?old={0}&new={0}",
                newer.digest
            ))
            .await;
        assert!(
            same.body
                .contains("The two versions have the same content."),
            "{backend}"
        );
        let unknown = browser
            .get(&format!(
                "/console/register/diff?old={}&new={}",
                "0".repeat(64),
                newer.digest
            ))
            .await;
        assert_eq!(unknown.status, StatusCode::NOT_FOUND, "{backend}");
        let incomplete = browser.get("/console/register/diff?old=abc").await;
        assert_eq!(incomplete.status, StatusCode::BAD_REQUEST, "{backend}");
    })
    .await;
}

#[tokio::test]
async fn the_art30_record_downloads_with_its_content_types() {
    on_each_backend(async |app| {
        let backend = app.backend;
        let mut anonymous = Browser::new(app);
        let page = anonymous.get("/console/register/record?format=csv").await;
        assert_eq!(
            page.status,
            StatusCode::SEE_OTHER,
            "{backend}: a session is needed"
        );

        let mut browser = Browser::new(app);
        browser
            .signed_in_as("auditor@example.se", StaffRole::Auditor)
            .await;
        for (format, content_type, file) in [
            (
                "csv",
                "text/csv; charset=utf-8; header=present",
                "art30-record.csv",
            ),
            ("json", "application/json", "art30-record.json"),
            ("html", "text/html; charset=utf-8", "art30-record.html"),
        ] {
            for lang in ["en", "sv"] {
                let page = browser
                    .get(&format!(
                        "/console/register/record?format={format}&lang={lang}"
                    ))
                    .await;
                assert_eq!(page.status, StatusCode::OK, "{backend}: {format} {lang}");
                assert_eq!(
                    page.headers[CONTENT_TYPE], content_type,
                    "{backend}: {format}"
                );
                assert_eq!(
                    page.headers[CONTENT_DISPOSITION],
                    format!("attachment; filename=\"{file}\"").as_str(),
                    "{backend}: {format}"
                );
                assert_eq!(
                    page.headers["content-language"], lang,
                    "{backend}: {format}"
                );
                assert!(
                    page.body.contains("Exempel AB"),
                    "{backend}: {format} {lang}"
                );
            }
        }
        let bad = browser.get("/console/register/record?format=pdf").await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{backend}");
    })
    .await;
}
