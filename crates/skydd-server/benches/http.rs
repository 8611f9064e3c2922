//! Load benchmark of the HTTP API over loopback (issue 19 §3): in one process and one run, an
//! axum JSON hello-world (the reference: same axum, hyper and Tokio, same runtime shape of two
//! worker threads) and the Skydd endpoint, each measured by the same keep-alive client after a
//! warm-up, in alternating rounds (hello-world, Skydd, hello-world, Skydd ...), so that a drift
//! of the machine's speed during the run (these are shared machines: the same hello-world
//! measured 50,000 to 75,000 requests/s within an hour) weighs on both alike. Prints one table
//! with the totals over the rounds (requests/s, p50, p99, the ratio to the hello-world) and the
//! ratio of each round; asserts nothing (timing belongs in reports, not in tests).
//!
//! Run: `cargo bench -p skydd-server --bench http`. Settings from the environment:
//! - `SKYDD_BENCH_MODE`: `decisions` (default: `GET /v1/decisions`, 64 connections),
//!   `decisions-batch` (`POST /v1/decisions` with `SKYDD_BENCH_QUESTIONS` questions each,
//!   default 100, 8 connections; questions/s reported too), `consents` (`POST /v1/consents`,
//!   grants and withdrawals in turn for `SKYDD_BENCH_SUBJECTS` distinct subjects, 8
//!   connections), or `path` (`GET SKYDD_BENCH_PATH`, default `/v1/register`, 32 connections).
//! - `SKYDD_BENCH_SUBJECTS` (default 1,000): subjects created before measuring; decisions and
//!   consents go round them.
//! - `SKYDD_BENCH_CONNECTIONS`, `SKYDD_BENCH_ROUNDS` (3), `SKYDD_BENCH_SECONDS` (5 seconds per
//!   measure and round), `SKYDD_BENCH_WARMUP` (3 seconds, before the first round of each, not
//!   counted).
//! - `SKYDD_BENCH_DATABASE_URL`: PostgreSQL instead of SQLite (the bench runs in a schema of its
//!   own and drops it).
//! - `SKYDD_BENCH_AUDIT`: `group` (default, group commit as `skydd serve` runs), `each` (one
//!   commit per event) or `off` (events dropped: a diagnostic of what the audit write costs; a
//!   real server always audits).
//! - `SKYDD_BENCH_DURABILITY`: on SQLite, `power-loss` (default, as `skydd serve` runs: each
//!   commit waits until it is on disk) or `process-crash` (`--sqlite-durability process-crash`:
//!   the WAL reaches the disk at checkpoints). The table names the one measured.
//! - `SKYDD_BENCH_AUDIT_INDEX_MS`: how often the audit trail's index by subject is filled
//!   (default as `skydd serve`, 1,000 ms; 0 switches the rounds off: a diagnostic, searches by
//!   subject then scan a growing tail).
//! - `SKYDD_BENCH_HOLD`: a file path. Instead of measuring, start both servers, write to that
//!   file one `name=value` line each for `hello` (the hello-world's URL), `base` (Skydd's),
//!   `token` and `subjects` (the subject ids, comma-separated), and serve until standard input
//!   closes: an outside load generator then drives them (`benches/wrk.sh` runs `wrk`, as
//!   issue 19 measured).
//!
//! Decisions are asked against the bundled GleSYS register (`customer_marketing` of
//! `customer_identity` by e-mail: a direct-marketing decision, objections and channel opt-outs
//! looked at); consents against the PartnerSec register's `newsletter`, which rests on consent.

// A benchmark may panic on setup failure: that is its error report.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use skydd_app::{App, Clock, JobSettings, Jobs, LoadedRegister, SystemClock, tokens};
use skydd_crypto::Keyring;
use skydd_server::AppState;
use skydd_staff::permission::Scope;
use skydd_storage::{LedgerUnit, StorageError};
use skydd_vault::{Actor, Audit, AuditEvent, NewSubject, audit::AuditFuture};

/// The allocator `skydd serve` runs with (`crates/skydd-cli/src/main.rs`), so that Skydd is
/// measured as it serves; the hello-world in the same process gets it too.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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

/// The SQLite durability `SKYDD_BENCH_DURABILITY` asks for, and its name for the table.
fn durability() -> (skydd_storage::Durability, &'static str) {
    match std::env::var("SKYDD_BENCH_DURABILITY").as_deref() {
        Ok("process-crash") => (skydd_storage::Durability::ProcessCrash, "process-crash"),
        Ok("power-loss") | Err(_) => (skydd_storage::Durability::PowerLoss, "power-loss"),
        Ok(other) => panic!("SKYDD_BENCH_DURABILITY={other}: write power-loss or process-crash"),
    }
}

fn setting<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// What is measured.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Decisions,
    DecisionsBatch,
    Consents,
    Path,
}

impl Mode {
    fn from_env() -> Mode {
        match setting("SKYDD_BENCH_MODE", "decisions".to_string()).as_str() {
            "decisions" => Mode::Decisions,
            "decisions-batch" => Mode::DecisionsBatch,
            "consents" => Mode::Consents,
            "path" => Mode::Path,
            other => panic!(
                "unknown SKYDD_BENCH_MODE {other:?}: use decisions, decisions-batch, consents or path"
            ),
        }
    }

    fn connections(self) -> usize {
        match self {
            Mode::Decisions => 64,
            Mode::DecisionsBatch | Mode::Consents => 8,
            Mode::Path => 32,
        }
    }
}

/// How the client builds its `n`-th request on connection `connection`.
type MakeRequest =
    Arc<dyn Fn(&reqwest::Client, usize, usize) -> reqwest::RequestBuilder + Send + Sync>;

/// A runtime of the shape `skydd serve` runs on here: two worker threads, named `name` (so that
/// a profile tells the server's threads from the client's and the reference's).
fn server_runtime(name: &str) -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name(name)
        .enable_all()
        .build()
        .unwrap()
}

/// Start the reference: an axum JSON hello-world on `runtime`.
fn hello_world(runtime: &tokio::runtime::Runtime) -> SocketAddr {
    runtime.block_on(async {
        let router = axum::Router::new().route(
            "/hello",
            axum::routing::get(|| async {
                axum::Json(serde_json::json!({"message": "hello, world", "ok": true}))
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, router).await });
        address
    })
}

/// What one measure gave.
struct Measured {
    latencies: Vec<u32>,
    errors: u64,
    elapsed: Duration,
}

impl Measured {
    /// The measures of several rounds as one: their requests, errors and times added up.
    fn total(rounds: Vec<Measured>) -> Measured {
        let mut total = Measured {
            latencies: Vec::new(),
            errors: 0,
            elapsed: Duration::ZERO,
        };
        for round in rounds {
            total.latencies.extend(round.latencies);
            total.errors += round.errors;
            total.elapsed += round.elapsed;
        }
        total.latencies.sort_unstable();
        total
    }

    fn rate(&self) -> f64 {
        self.latencies.len() as f64 / self.elapsed.as_secs_f64()
    }

    fn quantile_ms(&self, q: f64) -> f64 {
        let index = ((self.latencies.len() as f64 - 1.0).max(0.0) * q) as usize;
        f64::from(self.latencies.get(index).copied().unwrap_or(0)) / 1000.0
    }
}

/// Load with `connections` keep-alive connections for `seconds`, each sending its next request
/// when the previous is answered; a non-2xx answer counts as an error.
fn load(
    client_rt: &tokio::runtime::Runtime,
    connections: usize,
    seconds: u64,
    make: MakeRequest,
) -> Measured {
    client_rt.block_on(async {
        let deadline = Instant::now() + Duration::from_secs(seconds);
        let started = Instant::now();
        let mut tasks = Vec::new();
        for connection in 0..connections {
            let client = reqwest::Client::builder()
                .pool_max_idle_per_host(1)
                .build()
                .unwrap();
            let make = make.clone();
            tasks.push(tokio::spawn(async move {
                let mut latencies = Vec::with_capacity(100_000);
                let mut errors = 0u64;
                let mut n = 0;
                while Instant::now() < deadline {
                    let sent = Instant::now();
                    match make(&client, connection, n).send().await {
                        Ok(response) if response.status().is_success() => {
                            let _ = response.bytes().await;
                            latencies.push(sent.elapsed().as_micros() as u32);
                        }
                        _ => errors += 1,
                    }
                    n += 1;
                }
                (latencies, errors)
            }));
        }
        let mut latencies = Vec::new();
        let mut errors = 0;
        for task in tasks {
            let (mine, e) = task.await.unwrap();
            latencies.extend(mine);
            errors += e;
        }
        latencies.sort_unstable();
        Measured {
            latencies,
            errors,
            elapsed: started.elapsed(),
        }
    })
}

/// A Skydd server with `subjects` subjects, its token, and the subjects' ids.
struct Skydd {
    /// The background jobs `skydd serve` runs beside the server (the audit trail's index by
    /// subject among them); dropping them stops them.
    _jobs: Jobs,
    address: SocketAddr,
    token: String,
    subjects: Vec<String>,
}

fn start_skydd(
    runtime: &tokio::runtime::Runtime,
    mode: Mode,
    subjects: usize,
    database_url: Option<&str>,
    schema: &str,
    data: &std::path::Path,
) -> Skydd {
    runtime.block_on(async {
        let storage = match database_url {
            Some(url) => skydd_storage::open_postgres_in_schema(url, schema)
                .await
                .unwrap(),
            None => skydd_storage::open_with(
                &skydd_storage::Location::Sqlite(data.join("skydd.db")),
                &skydd_storage::OpenOptions {
                    durability: durability().0,
                    ..skydd_storage::OpenOptions::default()
                },
            )
            .await
            .unwrap(),
        };
        let (keyring, _) = Keyring::load_or_create(&data.join("master.key")).unwrap();
        let (source, name) = match mode {
            Mode::Consents => (
                include_str!("../../../examples/registers/partnersec.yaml"),
                "partnersec.yaml",
            ),
            _ => (
                include_str!("../../../examples/registers/glesys.yaml"),
                "glesys.yaml",
            ),
        };
        let register = LoadedRegister::new(skydd_register::check(source).register.unwrap(), name);
        let new = tokens::NewToken {
            scopes: vec![Scope::Admin],
            expires_at: None,
            label: "bench".into(),
        };
        let token = tokens::issue(&*storage, &new, SystemClock.now())
            .await
            .unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        // As `skydd serve` runs it: reloading the key file after a rotation.
        let mut app = App::new(
            storage.clone(),
            Arc::new(keyring),
            register,
            Arc::new(SystemClock),
        )
        .with_key_file(&data.join("master.key"));
        match setting("SKYDD_BENCH_AUDIT", "group".to_string()).as_str() {
            "off" => app = app.with_audit(Arc::new(NoAudit)),
            // One commit per event, as `StorageAudit` does.
            "each" => {}
            // As `skydd serve` runs it.
            _ => app = app.with_group_commit(256),
        }
        let mut ids = Vec::with_capacity(subjects);
        for n in 0..subjects {
            let id = app
                .vault()
                .create_subject(
                    &Actor::new("bench"),
                    NewSubject {
                        identities: vec![("email".into(), format!("bench-{n}@example.se"))],
                        tenant: None,
                    },
                    SystemClock.now(),
                )
                .await
                .unwrap();
            ids.push(id.to_string());
        }
        let settings = JobSettings {
            audit_index_interval: Duration::from_millis(setting(
                "SKYDD_BENCH_AUDIT_INDEX_MS",
                JobSettings::default().audit_index_interval.as_millis() as u64,
            )),
            ..JobSettings::default()
        };
        let jobs = Jobs::spawn(&app, None, &settings);
        tokio::spawn(skydd_server::serve(
            listener,
            AppState::new(app),
            std::future::pending(),
        ));
        Skydd {
            _jobs: jobs,
            address,
            token: token.secret().to_owned(),
            subjects: ids,
        }
    })
}

/// The requests of `mode` against `skydd`, and what one request is called in the table.
fn skydd_requests(mode: Mode, skydd: &Skydd, connections: usize) -> (MakeRequest, String) {
    let base = format!("http://{}", skydd.address);
    let token = skydd.token.clone();
    let subjects = Arc::new(skydd.subjects.clone());
    // Connection c asks about subjects c, c + connections, c + 2 connections ...
    let subject = move |subjects: &[String], connection: usize, n: usize| {
        subjects[(connection + n * connections) % subjects.len()].clone()
    };
    match mode {
        Mode::Decisions => {
            let make: MakeRequest = Arc::new(move |client, connection, n| {
                let url = format!(
                    "{base}/v1/decisions?subject={}&purpose=customer_marketing\
                     &category=customer_identity&channel=email",
                    subject(&subjects, connection, n)
                );
                client.get(url).bearer_auth(&token)
            });
            (make, "GET /v1/decisions".into())
        }
        Mode::DecisionsBatch => {
            let questions: usize = setting("SKYDD_BENCH_QUESTIONS", 100);
            let make: MakeRequest = Arc::new(move |client, connection, n| {
                let asked: Vec<_> = (0..questions)
                    .map(|q| {
                        serde_json::json!({
                            "subject": subject(&subjects, connection, n * questions + q),
                            "purpose": "customer_marketing",
                            "category": "customer_identity",
                            "channel": "email",
                        })
                    })
                    .collect();
                client
                    .post(format!("{base}/v1/decisions"))
                    .bearer_auth(&token)
                    .json(&serde_json::json!({ "questions": asked }))
            });
            (make, format!("POST /v1/decisions, {questions} questions"))
        }
        Mode::Consents => {
            let make: MakeRequest = Arc::new(move |client, connection, n| {
                client
                    .post(format!("{base}/v1/consents"))
                    .bearer_auth(&token)
                    .json(&serde_json::json!({
                        "subject": subject(&subjects, connection, n),
                        "purpose": "newsletter",
                        // Each round over the subjects grants, the next withdraws.
                        "granted": ((connection + n * connections) / subjects.len()).is_multiple_of(2),
                        "method": "api",
                    }))
            });
            (make, "POST /v1/consents".into())
        }
        Mode::Path => {
            let path: String = setting("SKYDD_BENCH_PATH", "/v1/register".to_string());
            let url = format!("{base}{path}");
            let make: MakeRequest =
                Arc::new(move |client, _, _| client.get(&url).bearer_auth(&token));
            (
                make,
                format!("GET {}", path.split('?').next().unwrap_or(&path)),
            )
        }
    }
}

fn main() {
    let mode = Mode::from_env();
    let database_url: Option<String> = std::env::var("SKYDD_BENCH_DATABASE_URL")
        .ok()
        .filter(|url| !url.is_empty());
    let schema = format!("skydd_bench_{}", std::process::id());
    let rounds: usize = setting("SKYDD_BENCH_ROUNDS", 3).max(1);
    let seconds: u64 = setting("SKYDD_BENCH_SECONDS", 5);
    let warmup: u64 = setting("SKYDD_BENCH_WARMUP", 3);
    let connections: usize = setting("SKYDD_BENCH_CONNECTIONS", mode.connections());
    let subjects: usize = setting("SKYDD_BENCH_SUBJECTS", 1000).max(1);
    let data = tempfile::tempdir().unwrap();
    // The client: a runtime of its own, on the same two cores.
    let client_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("client")
        .enable_all()
        .build()
        .unwrap();

    // Both servers on runtimes of their own; the one not measured is idle.
    let hello_rt = server_runtime("hello-world");
    let hello = hello_world(&hello_rt);
    let url = format!("http://{hello}/hello");
    let hello_make: MakeRequest = Arc::new(move |client, _, _| client.get(&url));
    let server_rt = server_runtime("skydd");
    let skydd = start_skydd(
        &server_rt,
        mode,
        subjects,
        database_url.as_deref(),
        &schema,
        data.path(),
    );
    if let Ok(hold) = std::env::var("SKYDD_BENCH_HOLD") {
        let lines = format!(
            "hello=http://{hello}/hello\nbase=http://{}\ntoken={}\nsubjects={}\n",
            skydd.address,
            skydd.token,
            skydd.subjects.join(",")
        );
        std::fs::write(&hold, lines).unwrap();
        // Serve (on the servers' own runtimes) until whoever started this closes stdin.
        let _ = std::io::Read::read_to_end(&mut std::io::stdin(), &mut Vec::new());
        drop(server_rt);
        drop(hello_rt);
        drop_schema(database_url.as_deref(), &schema);
        return;
    }
    let (make, endpoint) = skydd_requests(mode, &skydd, connections);
    load(&client_rt, connections, warmup, hello_make.clone());
    load(&client_rt, connections, warmup, make.clone());
    let mut references = Vec::new();
    let mut measures = Vec::new();
    let mut ratios = Vec::new();
    for _ in 0..rounds {
        let reference = load(&client_rt, connections, seconds, hello_make.clone());
        let measured = load(&client_rt, connections, seconds, make.clone());
        ratios.push(format!("{:.3}", measured.rate() / reference.rate()));
        references.push(reference);
        measures.push(measured);
    }
    let reference = Measured::total(references);
    let measured = Measured::total(measures);
    let seconds = seconds * rounds as u64;

    let backend = if database_url.is_some() {
        "postgres".to_owned()
    } else {
        format!("sqlite ({})", durability().1)
    };
    let questions: usize = setting("SKYDD_BENCH_QUESTIONS", 100);
    println!(
        "| endpoint | database | connections | seconds | requests | errors | requests/s | p50 | p99 | ratio to hello-world |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for (name, database, run) in [
        ("axum JSON hello-world", "-", &reference),
        (endpoint.as_str(), backend.as_str(), &measured),
    ] {
        println!(
            "| {name} | {database} | {connections} | {seconds} | {} | {} | {:.0} | {:.2} ms | {:.2} ms | {:.3} |",
            run.latencies.len(),
            run.errors,
            run.rate(),
            run.quantile_ms(0.5),
            run.quantile_ms(0.99),
            run.rate() / reference.rate(),
        );
    }
    if mode == Mode::DecisionsBatch {
        println!(
            "questions/s: {:.0} ({questions} per request; each audited)",
            measured.rate() * questions as f64
        );
    }
    println!(
        "ratio per round: {}; {rounds} rounds of {} s each, alternating; subjects: {subjects}; warm-up {warmup} s before the first round",
        ratios.join(", "),
        seconds / rounds as u64
    );
    drop(server_rt);
    drop(hello_rt);
    drop_schema(database_url.as_deref(), &schema);
}

/// Drop the bench's PostgreSQL schema, if it ran on PostgreSQL.
fn drop_schema(database_url: Option<&str>, schema: &str) {
    if let Some(url) = database_url {
        let cleanup = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        cleanup
            .block_on(skydd_storage::drop_postgres_schema(url, schema))
            .unwrap();
    }
}
