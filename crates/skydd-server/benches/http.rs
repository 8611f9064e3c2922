//! Load benchmark of the HTTP API over loopback: a real server and a keep-alive client in one
//! process, each on its own runtime. Prints a table; asserts nothing (timing belongs in reports,
//! not in tests).
//!
//! Run: `cargo bench -p skydd-server --bench http`. Settings from the environment:
//! `SKYDD_BENCH_PATH` (default `/v1/register`), `SKYDD_BENCH_SECONDS` (10),
//! `SKYDD_BENCH_CONNECTIONS` (32), `SKYDD_BENCH_DATABASE_URL` (PostgreSQL instead of SQLite; the
//! bench runs in a schema of its own and drops it).
//!
//! `SKYDD_BENCH_PATH=decisions` creates one subject (with an e-mail address, in the vault) and
//! benches `GET /v1/decisions?subject=ID&purpose=customer_marketing&category=customer_identity&channel=email`
//! against the bundled GleSYS register: a direct-marketing decision (objections, channel opt-outs),
//! audited like every decision. `SKYDD_BENCH_AUDIT` chooses how: `group` (default, group commit as
//! `skydd serve` runs), `each` (one commit per event), or `off` (events dropped: a diagnostic of
//! what the audit write costs; a real server always audits).

// A benchmark may panic on setup failure: that is its error report.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use skydd_app::{App, Clock, LoadedRegister, SystemClock, tokens};
use skydd_crypto::Keyring;
use skydd_server::AppState;
use skydd_staff::permission::Scope;
use skydd_storage::{LedgerUnit, StorageError};
use skydd_vault::{Actor, Audit, AuditEvent, NewSubject, audit::AuditFuture};

/// An audit ledger that drops every event (diagnostic only).
struct NoAudit;

impl Audit for NoAudit {
    fn record(&self, _event: AuditEvent) -> AuditFuture<'_> {
        Box::pin(async { Ok(()) })
    }

    fn commit(&self, unit: LedgerUnit) -> AuditFuture<'_> {
        // Ledger rows are data, not audit: dropping them would measure writes that never were.
        let audit_only =
            unit.consents.is_empty() && unit.objections.is_empty() && unit.preferences.is_empty();
        Box::pin(async move {
            if audit_only {
                Ok(())
            } else {
                Err(StorageError::Invalid(
                    "the benchmark's NoAudit writes no ledger rows: measure writes with auditing on"
                        .into(),
                ))
            }
        })
    }
}

fn setting<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let path: String = setting("SKYDD_BENCH_PATH", "/v1/register".to_string());
    let database_url: Option<String> = std::env::var("SKYDD_BENCH_DATABASE_URL")
        .ok()
        .filter(|url| !url.is_empty());
    let schema = format!("skydd_bench_{}", std::process::id());
    let seconds: u64 = setting("SKYDD_BENCH_SECONDS", 10);
    let connections: usize = setting("SKYDD_BENCH_CONNECTIONS", 32);
    let data = tempfile::tempdir().unwrap();

    // The server: its own runtime on its own threads.
    let server_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (address, token, path) = server_rt.block_on(async {
        let storage = match &database_url {
            Some(url) => skydd_storage::open_postgres_in_schema(url, &schema)
                .await
                .unwrap(),
            None => skydd_storage::open(&skydd_storage::Location::Sqlite(
                data.path().join("skydd.db"),
            ))
            .await
            .unwrap(),
        };
        let (keyring, _) = Keyring::load_or_create(&data.path().join("master.key")).unwrap();
        let source = include_str!("../../../examples/registers/glesys.yaml");
        let register = LoadedRegister::new(
            skydd_register::check(source).register.unwrap(),
            "glesys.yaml",
        );
        let now: jiff::Timestamp = "2026-11-23T12:00:00Z".parse().unwrap();
        let new = tokens::NewToken {
            scopes: vec![Scope::Admin],
            expires_at: None,
            label: "bench".into(),
        };
        let token = tokens::issue(&*storage, &new, now).await.unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let keyring = Arc::new(keyring);
        // As `skydd serve` runs it: reloading the key file after a rotation.
        let mut app = App::new(
            storage.clone(),
            keyring.clone(),
            register.clone(),
            Arc::new(SystemClock),
        )
        .with_key_file(&data.path().join("master.key"));
        match setting("SKYDD_BENCH_AUDIT", "group".to_string()).as_str() {
            "off" => app = app.with_audit(Arc::new(NoAudit)),
            // One commit per event, as `StorageAudit` does.
            "each" => {}
            // As `skydd serve` runs it.
            _ => app = app.with_group_commit(256),
        }
        let path = if path == "decisions" {
            let subject = app
                .vault()
                .create_subject(
                    &Actor::new("bench"),
                    NewSubject {
                        identities: vec![("email".into(), "bench@example.se".into())],
                        tenant: None,
                    },
                    SystemClock.now(),
                )
                .await
                .unwrap();
            format!(
                "/v1/decisions?subject={subject}&purpose=customer_marketing\
                 &category=customer_identity&channel=email"
            )
        } else {
            path
        };
        tokio::spawn(skydd_server::serve(
            listener,
            AppState::new(app),
            std::future::pending(),
        ));
        (address, token.secret().to_owned(), path)
    });

    // The client: another runtime, `connections` tasks each with its own keep-alive connection.
    let client_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let url = format!("http://{address}{path}");
    let (latencies, errors, elapsed) = client_rt.block_on(async {
        let deadline = Instant::now() + Duration::from_secs(seconds);
        let started = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..connections {
            let client = reqwest::Client::builder()
                .pool_max_idle_per_host(1)
                .build()
                .unwrap();
            let (url, token) = (url.clone(), token.clone());
            tasks.push(tokio::spawn(async move {
                let mut latencies = Vec::with_capacity(100_000);
                let mut errors = 0u64;
                while Instant::now() < deadline {
                    let sent = Instant::now();
                    match client.get(&url).bearer_auth(&token).send().await {
                        Ok(response) if response.status().is_success() => {
                            let _ = response.bytes().await;
                            latencies.push(sent.elapsed().as_micros() as u32);
                        }
                        _ => errors += 1,
                    }
                }
                (latencies, errors)
            }));
        }
        let mut all = Vec::new();
        let mut errors = 0;
        for task in tasks {
            let (latencies, e) = task.await.unwrap();
            all.extend(latencies);
            errors += e;
        }
        (all, errors, started.elapsed())
    });

    let mut latencies = latencies;
    latencies.sort_unstable();
    let quantile = |q: f64| {
        latencies
            .get(((latencies.len() as f64 - 1.0) * q) as usize)
            .copied()
            .unwrap_or(0)
    };
    let rate = latencies.len() as f64 / elapsed.as_secs_f64();
    let backend = if database_url.is_some() {
        "postgres"
    } else {
        "sqlite"
    };
    println!(
        "| endpoint | database | connections | seconds | requests | errors | requests/s | p50 | p99 | max |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    println!(
        "| GET {} | {backend} | {connections} | {seconds} | {} | {errors} | {rate:.0} | {:.2} ms | {:.2} ms | {:.2} ms |",
        path.split('?').next().unwrap_or(&path),
        latencies.len(),
        f64::from(quantile(0.5)) / 1000.0,
        f64::from(quantile(0.99)) / 1000.0,
        f64::from(latencies.last().copied().unwrap_or(0)) / 1000.0,
    );
    drop(server_rt);
    if let Some(url) = &database_url {
        let cleanup = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        cleanup
            .block_on(skydd_storage::drop_postgres_schema(url, &schema))
            .unwrap();
    }
}
