//! The server from the outside: a real server on 127.0.0.1:0 per test, talking HTTP, on a fresh
//! SQLite database and, when `SKYDD_TEST_DATABASE_URL` is set, on a fresh PostgreSQL schema too.

// Helpers outside `#[test]` functions are test code too: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::hash::{BuildHasher, RandomState};
use std::io::Write;
use std::sync::{Arc, Mutex, Once};

use reqwest::header::{ALLOW, CONTENT_TYPE, LOCATION, WWW_AUTHENTICATE};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use skydd_app::{App, FixedClock, LoadedRegister, tokens};
use skydd_crypto::{ApiToken, Keyring};
use skydd_server::AppState;
use skydd_staff::permission::{Scope, StaffRole};
use skydd_storage::{Location, Storage};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

#[path = "server/incidents.rs"]
mod incidents;
/// Data-subject requests (issue 4).
#[path = "server/requests.rs"]
mod requests;

#[path = "server/history.rs"]
mod history;

/// Contention is an answer, not a crash: a busy database is a 503 (issue 14).
#[path = "server/contention.rs"]
mod contention;

/// What was written is what is read: one timestamp precision (issue 14).
#[path = "server/precision.rs"]
mod precision;

/// A full disk under a running server (issue 14).
#[path = "server/faults.rs"]
mod faults;

/// The OpenAPI document against the server: no dangling reference, no undocumented status
/// (issue 15).
#[path = "server/openapi.rs"]
mod openapi;

/// Connected databases: datasets, packages and outcomes (issue 16).
#[path = "server/connected.rs"]
mod connected;
#[path = "server/erasure.rs"]
mod erasure;

/// `/metrics` and request ids (issue 15).
#[path = "server/metrics.rs"]
mod metrics;

/// The authorisation matrix: every route × every role and scope (issue 17).
#[path = "server/authorization.rs"]
mod authorization;

/// Bulk imports (issue 19).
#[path = "server/imports.rs"]
mod imports;

/// The console's frame: sessions, sign-in, CSRF, headers, accounts pages (issue 17).
#[path = "server/console.rs"]
mod console;

/// The console's register, audit and outbox pages (issue 17).
#[path = "server/console_records.rs"]
mod console_records;

/// The console's incident and subject pages (issue 17).
#[path = "server/console_cases.rs"]
mod console_cases;

/// The public surface facing the internet (issue 18): abuse limits, trusted proxies, CORS,
/// timeouts and body sizes.
#[path = "server/public_surface.rs"]
mod public_surface;

/// Single sign-on through the console against a fake OpenID provider (issue 17).
#[path = "server/oidc.rs"]
mod oidc;
/// The fake OpenID provider, shared with the app's suite.
#[path = "../../skydd-app/tests/app/oidc_provider.rs"]
mod oidc_provider;

/// The consent banner's configuration and log (issue 18).
#[path = "server/banner.rs"]
mod banner;

/// The console's request queue, request page, intake and dashboard (issue 17).
#[path = "server/console_requests.rs"]
mod console_requests;

/// The consent banner's script and style sheet (issue 18).
#[path = "server/banner_assets.rs"]
mod banner_assets;
/// The privacy centre from a person's browser (issue 18).
#[path = "server/centre.rs"]
mod centre;
/// Many decisions in one call (issue 19).
#[path = "server/decisions.rs"]
mod decisions;
/// Register features of issue 20 over HTTP: facts of a person that a legal basis waits for,
/// and a notice per audience.
#[path = "server/register_features.rs"]
mod register_features;
/// Dated reviews of the security measures against the register's cycle (P003-42).
#[path = "server/security.rs"]
mod security;

/// A small register that passes `check`, with one purpose per kind of rule the API must show: a
/// contract purpose (`delivery`), a consent purpose (`newsletter`), a legitimate-interest direct
/// marketing purpose with channels (`marketing`) and a purpose behind an opt-in feature
/// (`ai_processing`).
const TEST_REGISTER: &str = r#"
skydd: 1
published: 2026-01-05
controller:
  name: Exempel AB
  organisation_number: 556647-9241
  address: {street: Box 1, postal_code: 311 22, city: Falkenberg, country: SE}
  contact: {email: privacy@example.se}
authority:
  name: {en: Swedish Authority for Privacy Protection (IMY)}
  country: SE
  address: Box 8114, 104 20 Stockholm, Sweden
  email: imy@imy.se
  url: https://www.imy.se
subjects:
  - {id: customer, name: Customers}
sources:
  - {id: data_subject, kind: data_subject, name: You}
data:
  - id: contact
    name: Contact details
    provided_by_subject: true
    fields: [name, {id: email, format: email}, {id: phone, format: phone}]
  - id: work_items
    name: Work items
    provided_by_subject: true
    fields: [title, body]
purposes:
  - id: delivery
    name: Deliver the service
    role: controller
    subjects: [customer]
    sources: [data_subject]
    legal_basis: {contact: contract, work_items: contract}
  - id: newsletter
    name: Newsletter
    role: controller
    subjects: [customer]
    sources: [data_subject]
    legal_basis: {contact: consent}
    consent: {wording: I want the newsletter.}
  - id: marketing
    name: Marketing of our products
    role: controller
    subjects: [customer]
    sources: [data_subject]
    legal_basis: {contact: legitimate_interest}
    legitimate_interest: {balancing: Customers expect offers; objection is absolute.}
    direct_marketing: true
    channels: [email]
  - id: ai_processing
    name: AI features
    role: controller
    subjects: [customer]
    sources: [data_subject]
    legal_basis: {work_items: contract}
    requires_feature: ai_features
  - id: disclosure_to_authorities
    name: Disclosure to authorities on a court decision or similar decision
    role: controller
    subjects: [customer]
    sources: [data_subject]
    legal_basis: {contact: legal_obligation}
    law: Rättegångsbalken 27 kap.
    recipients: [police]
recipients:
  - id: police
    name: The Swedish Police Authority
    kind: authority
    country: SE
    purposes: [disclosure_to_authorities]
  - id: mailer
    name: Mail delivery service
    kind: processor
    country: SE
    purposes: [delivery]
    agreement: DPA 2025-01
retention:
  - {id: contact, category: contact, after: contract_end, keep: 24 months}
  - {id: work_items, category: work_items, after: contract_end, keep: 3 months}
security:
  - {id: encryption_at_rest, kind: technical, description: Personal data is encrypted at rest.}
rights:
  contact: {email: privacy@example.se}
  response_time: 1 month
  extension: 2 months
  copies: {free: 1, per: 12 months, further: fee}
  identity_verification: [email_code]
features:
  - {id: ai_features, name: AI features, scopes: [organisation, project]}
"#;

/// The database a scenario runs on.
enum Backend {
    Sqlite,
    Postgres(String),
}

impl Backend {
    fn name(&self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
    }
}

/// SQLite always; PostgreSQL when `SKYDD_TEST_DATABASE_URL` is set. CI must set it.
fn backends() -> Vec<Backend> {
    let mut backends = vec![Backend::Sqlite];
    match std::env::var("SKYDD_TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => backends.push(Backend::Postgres(url)),
        _ if std::env::var_os("CI").is_some() => {
            panic!("CI must run the server tests on PostgreSQL too: set SKYDD_TEST_DATABASE_URL")
        }
        _ => {
            static NOTE: Once = Once::new();
            NOTE.call_once(|| {
                // libtest captures print!, not writes to the stderr handle: this note is seen.
                let _ = std::io::stderr().write_all(
                    b"note: SKYDD_TEST_DATABASE_URL is not set; skydd-server tests run on SQLite only\n",
                );
            });
        }
    }
    backends
}

/// Everything every server in this test binary logged (all levels of Skydd's crates, debug for
/// the rest), for the test that looks for personal data in it.
static LOG: Mutex<Vec<u8>> = Mutex::new(Vec::new());

/// Appends to [`LOG`].
struct LogWriter;

impl Write for LogWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        LOG.lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Send every log line of this process to [`LOG`] (once; the subscriber is global).
fn capture_logs() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(
                "debug,skydd_server=trace,skydd_vault=trace,skydd_storage=trace",
            ))
            .with_writer(|| LogWriter)
            .with_ansi(false)
            .try_init();
    });
}

/// What has been logged so far.
fn captured_log() -> String {
    String::from_utf8_lossy(&LOG.lock().unwrap_or_else(|e| e.into_inner())).into_owned()
}

/// A running server and what a test needs to talk to it.
struct TestApp {
    backend: &'static str,
    /// The services the server runs on (for what a test sets up without HTTP: staff accounts).
    app: App,
    address: String,
    client: reqwest::Client,
    /// An admin token, valid until a test revokes it.
    admin_token: String,
    storage: Arc<dyn Storage>,
    register: LoadedRegister,
    now: jiff::Timestamp,
    shutdown: oneshot::Sender<()>,
    server: JoinHandle<std::io::Result<()>>,
    /// The master key file the server reloads after a rotation.
    key_file: std::path::PathBuf,
    /// The PostgreSQL URL and schema, dropped by `stop`.
    postgres_schema: Option<(String, String)>,
    _data: tempfile::TempDir,
}

impl TestApp {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    async fn get(&self, path: &str, token: Option<&str>) -> reqwest::Response {
        let mut request = self.client.get(self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.unwrap()
    }

    /// Send `method path` with the admin token and an optional JSON body.
    async fn send(&self, method: Method, path: &str, body: Option<&Value>) -> reqwest::Response {
        self.send_as(&self.admin_token, method, path, body).await
    }

    /// Send `method path` with `token` and an optional JSON body.
    async fn send_as(
        &self,
        token: &str,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> reqwest::Response {
        let mut request = self
            .client
            .request(method, self.url(path))
            .bearer_auth(token);
        if let Some(body) = body {
            request = request.json(body);
        }
        request.send().await.unwrap()
    }

    /// POST `body` with the admin token; return the JSON answer after checking the status.
    async fn post_ok(&self, path: &str, body: Value, status: StatusCode) -> Value {
        let response = self.send(Method::POST, path, Some(&body)).await;
        json_body(response, status, self.backend).await
    }

    /// GET with the admin token; return the JSON answer after checking the status is 200.
    async fn get_ok(&self, path: &str) -> Value {
        let response = self.get(path, Some(&self.admin_token)).await;
        json_body(response, StatusCode::OK, self.backend).await
    }

    /// The one-time code the outbox holds for `request` (its `verification_code` letter).
    async fn verification_code(&self, request: &str) -> String {
        let outbox = self
            .app
            .vault()
            .outbox(&skydd_vault::Actor::new("test"), None, self.now)
            .await
            .unwrap();
        let letter = outbox
            .iter()
            .find(|m| m.request_id.as_deref() == Some(request) && m.kind == "verification_code")
            .unwrap_or_else(|| panic!("{}: no code was sent for {request}", self.backend));
        letter
            .text
            .split(|c: char| !c.is_ascii_digit())
            .find(|word| word.len() == 8)
            .unwrap()
            .to_owned()
    }

    /// Create a subject with these identities and return its id.
    async fn create_subject(&self, identities: Value) -> String {
        let body = self
            .post_ok(
                "/v1/subjects",
                json!({"identities": identities}),
                StatusCode::CREATED,
            )
            .await;
        body["id"].as_str().unwrap().to_owned()
    }

    /// Store a record and return its id.
    async fn create_record(&self, subject: &str, record: Value) -> String {
        let body = self
            .post_ok(
                &format!("/v1/subjects/{subject}/records"),
                record,
                StatusCode::CREATED,
            )
            .await;
        body["id"].as_str().unwrap().to_owned()
    }

    /// Ask for a decision; the answer is always a 200.
    async fn decide(&self, query: &str) -> Value {
        self.get_ok(&format!("/v1/decisions?{query}")).await
    }

    async fn issue(&self, scope: Scope) -> ApiToken {
        self.issue_with(&[scope]).await
    }

    /// A token with `scopes` and no expiry.
    async fn issue_with(&self, scopes: &[Scope]) -> ApiToken {
        let new = tokens::NewToken {
            scopes: scopes.to_vec(),
            expires_at: None,
            label: "test".into(),
        };
        tokens::issue(&*self.storage, &new, self.now).await.unwrap()
    }

    /// Shut the server down gracefully and check that it stopped cleanly.
    async fn stop(self) {
        self.shutdown.send(()).unwrap();
        self.server.await.unwrap().unwrap();
        self.storage.close().await.unwrap();
        if let Some((url, schema)) = &self.postgres_schema {
            skydd_storage::drop_postgres_schema(url, schema)
                .await
                .unwrap();
        }
    }
}

fn random_schema() -> String {
    format!(
        "skydd_server_test_{:016x}",
        RandomState::new().hash_one(std::process::id())
    )
}

/// Start a real server on a free port with a fresh database, the test register and one admin
/// token.
async fn spawn_app(backend: &Backend) -> TestApp {
    spawn_app_at(backend, "2026-03-01T09:00:00Z".parse().unwrap()).await
}

/// [`spawn_app`] with its clock stopped at `now`.
async fn spawn_app_at(backend: &Backend, now: jiff::Timestamp) -> TestApp {
    spawn_app_with(
        backend,
        now,
        &skydd_storage::OpenOptions::default(),
        tempfile::tempdir().unwrap(),
    )
    .await
}

/// [`spawn_app`] with its data directory (the SQLite file, the key file) in `data`.
async fn spawn_app_in(backend: &Backend, data: tempfile::TempDir) -> TestApp {
    let now = "2026-03-01T09:00:00Z".parse().unwrap();
    spawn_app_with(backend, now, &skydd_storage::OpenOptions::default(), data).await
}

/// A server with its clock stopped at `now`, its SQLite database opened with `options`, and its
/// data directory in `data`.
async fn spawn_app_with(
    backend: &Backend,
    now: jiff::Timestamp,
    options: &skydd_storage::OpenOptions,
    data: tempfile::TempDir,
) -> TestApp {
    spawn_app_serving(
        backend,
        now,
        options,
        data,
        TEST_REGISTER,
        skydd_app::datasets::Datasets::default(),
    )
    .await
}

/// A server on `backend` serving the register `register_source` (an example register, say),
/// on 1 March 2026, with no connected database.
async fn spawn_app_on_register(backend: &Backend, register_source: &str) -> TestApp {
    spawn_app_serving(
        backend,
        "2026-03-01T09:00:00Z".parse().unwrap(),
        &skydd_storage::OpenOptions::default(),
        tempfile::tempdir().unwrap(),
        register_source,
        skydd_app::datasets::Datasets::default(),
    )
    .await
}

/// [`spawn_app_with`] serving the register `register_source` and reaching `datasets`.
async fn spawn_app_serving(
    backend: &Backend,
    now: jiff::Timestamp,
    options: &skydd_storage::OpenOptions,
    data: tempfile::TempDir,
    register_source: &str,
    datasets: skydd_app::datasets::Datasets,
) -> TestApp {
    spawn_app_configured(
        backend,
        now,
        options,
        data,
        register_source,
        datasets,
        |app, _| app,
    )
    .await
}

/// [`spawn_app_serving`] with its `App` changed by `configure`, given the server's address
/// (`http://127.0.0.1:PORT`) (single sign-on needs it for its callback).
async fn spawn_app_configured(
    backend: &Backend,
    now: jiff::Timestamp,
    options: &skydd_storage::OpenOptions,
    data: tempfile::TempDir,
    register_source: &str,
    datasets: skydd_app::datasets::Datasets,
    configure: impl FnOnce(App, &str) -> App,
) -> TestApp {
    spawn_app_served(
        backend,
        now,
        options,
        data,
        register_source,
        datasets,
        configure,
        |state| state,
    )
    .await
}

/// [`spawn_app`] with its `App` changed by `configure` and the server's `AppState` (limits,
/// trusted proxies, timeouts) by `serve_with`.
async fn spawn_app_edge(
    backend: &Backend,
    configure: impl FnOnce(App, &str) -> App,
    serve_with: impl FnOnce(AppState) -> AppState,
) -> TestApp {
    spawn_app_served(
        backend,
        "2026-03-01T09:00:00Z".parse().unwrap(),
        &skydd_storage::OpenOptions::default(),
        tempfile::tempdir().unwrap(),
        TEST_REGISTER,
        skydd_app::datasets::Datasets::default(),
        configure,
        serve_with,
    )
    .await
}

/// The server every `spawn_app*` starts: [`spawn_app_configured`], with the `AppState`
/// changed by `serve_with`.
#[allow(clippy::too_many_arguments)]
async fn spawn_app_served(
    backend: &Backend,
    now: jiff::Timestamp,
    options: &skydd_storage::OpenOptions,
    data: tempfile::TempDir,
    register_source: &str,
    datasets: skydd_app::datasets::Datasets,
    configure: impl FnOnce(App, &str) -> App,
    serve_with: impl FnOnce(AppState) -> AppState,
) -> TestApp {
    capture_logs();
    let postgres_schema = match backend {
        Backend::Sqlite => None,
        Backend::Postgres(url) => Some((url.clone(), random_schema())),
    };
    let storage = match &postgres_schema {
        None => skydd_storage::open_with(&Location::Sqlite(data.path().join("skydd.db")), options)
            .await
            .unwrap(),
        Some((url, schema)) => skydd_storage::open_postgres_in_schema(url, schema)
            .await
            .unwrap(),
    };

    let checked = skydd_register::check(register_source);
    let register = checked
        .register
        .unwrap_or_else(|| panic!("test register is invalid: {:#?}", checked.diagnostics));
    let register = LoadedRegister::new(register, "test register");
    register.record(&*storage, now).await.unwrap();
    let admin = tokens::issue(&*storage, &skydd_token(Scope::Admin, "test admin"), now)
        .await
        .unwrap();

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    let key_file = data.path().join("master.key");
    let (keyring, _) = Keyring::load_or_create(&key_file).unwrap();
    let app = configure(
        App::new(
            storage.clone(),
            Arc::new(keyring),
            register.clone(),
            Arc::new(FixedClock(now)),
        )
        .with_key_file(&key_file)
        .with_datasets(datasets),
        &address,
    );
    let state = serve_with(AppState::new(app.clone()));
    let (shutdown, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(skydd_server::serve(listener, state, async {
        let _ = stopped.await;
    }));

    TestApp {
        backend: backend.name(),
        app,
        address,
        client: reqwest::Client::new(),
        admin_token: admin.secret().to_owned(),
        storage,
        register,
        now,
        shutdown,
        server,
        key_file,
        postgres_schema,
        _data: data,
    }
}

/// A token with one `scope`, no expiry and `label`, to issue.
fn skydd_token(scope: Scope, label: &str) -> tokens::NewToken {
    tokens::NewToken {
        scopes: vec![scope],
        expires_at: None,
        label: label.into(),
    }
}

/// Run `scenario` against a fresh server on every backend.
async fn on_each_backend(scenario: impl AsyncFn(&TestApp)) {
    for backend in backends() {
        let app = spawn_app(&backend).await;
        scenario(&app).await;
        app.stop().await;
    }
}

/// The body of a problem response, after checking its status and media type.
async fn problem(response: reqwest::Response, status: StatusCode, backend: &str) -> Value {
    assert_eq!(response.status(), status, "{backend}");
    assert_eq!(
        response.headers()[CONTENT_TYPE],
        "application/problem+json",
        "{backend}"
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], status.as_u16(), "{backend}: {body}");
    for field in ["type", "title", "detail"] {
        assert!(body[field].is_string(), "{backend}: {field} in {body}");
    }
    body
}

/// The JSON body of a successful response, after checking its status.
async fn json_body(response: reqwest::Response, status: StatusCode, backend: &str) -> Value {
    let actual = response.status();
    let text = response.text().await.unwrap();
    assert_eq!(actual, status, "{backend}: {text}");
    serde_json::from_str(&text).unwrap_or_else(|_| panic!("{backend}: not JSON: {text}"))
}

#[tokio::test]
async fn healthz_answers_ok_without_a_token() {
    on_each_backend(async |app| {
        let response = app.get("/healthz", None).await;
        assert_eq!(response.status(), StatusCode::OK, "{}", app.backend);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body, serde_json::json!({"status": "ok"}));
    })
    .await;
}

#[tokio::test]
async fn readyz_answers_ready_without_a_token() {
    on_each_backend(async |app| {
        let body = json_body(app.get("/readyz", None).await, StatusCode::OK, app.backend).await;
        assert_eq!(body, serde_json::json!({"status": "ready"}));
    })
    .await;
}

/// `/healthz` says only that the process serves; `/readyz` says that the database is gone, with
/// a reason word and no database message (issue 14).
#[tokio::test]
async fn healthz_stays_ok_and_readyz_is_unavailable_when_the_database_is_gone() {
    on_each_backend(async |app| {
        app.storage.close().await.unwrap();
        let response = app.get("/healthz", None).await;
        assert_eq!(response.status(), StatusCode::OK, "{}", app.backend);
        let body = json_body(
            app.get("/readyz", None).await,
            StatusCode::SERVICE_UNAVAILABLE,
            app.backend,
        )
        .await;
        assert_eq!(
            body,
            serde_json::json!({"status": "not_ready", "reason": "database_unreachable"})
        );
    })
    .await;
}

#[tokio::test]
async fn openapi_document_describes_the_api() {
    on_each_backend(async |app| {
        let response = app.get("/openapi.json", None).await;
        assert_eq!(response.status(), StatusCode::OK);
        let document: Value = response.json().await.unwrap();
        assert!(
            document["openapi"].as_str().unwrap().starts_with("3."),
            "{document}"
        );
        let register = &document["paths"]["/v1/register"]["get"];
        assert!(register.is_object(), "{document}");
        assert_eq!(register["security"], serde_json::json!([{"bearer": []}]));
        assert!(document["paths"]["/healthz"]["get"].is_object());
        assert!(document["paths"]["/readyz"]["get"].is_object());
        let metrics = &document["paths"]["/metrics"]["get"];
        assert!(
            metrics["responses"]["200"]["content"]["text/plain; version=0.0.4; charset=utf-8"]
                .is_object(),
            "{metrics}"
        );
        let bearer = &document["components"]["securitySchemes"]["bearer"];
        assert_eq!(bearer["type"], "http");
        assert_eq!(bearer["scheme"], "bearer");
        let problem = &document["components"]["schemas"]["Problem"];
        assert_eq!(
            problem["required"],
            serde_json::json!(["type", "title", "status", "detail"])
        );
        assert!(register["responses"]["401"]["content"]["application/problem+json"].is_object());
    })
    .await;
}

#[tokio::test]
async fn v1_without_a_token_is_unauthorized() {
    on_each_backend(async |app| {
        let response = app.get("/v1/register", None).await;
        assert!(
            response.headers()[WWW_AUTHENTICATE]
                .to_str()
                .unwrap()
                .starts_with("Bearer")
        );
        let body = problem(response, StatusCode::UNAUTHORIZED, app.backend).await;
        insta::assert_json_snapshot!("missing_token", body);
    })
    .await;
}

#[tokio::test]
async fn v1_with_an_unknown_or_malformed_token_is_unauthorized() {
    on_each_backend(async |app| {
        for token in ["skydd_0000000000000000_0000", "not-a-token"] {
            let response = app.get("/v1/register", Some(token)).await;
            assert!(
                response.headers()[WWW_AUTHENTICATE]
                    .to_str()
                    .unwrap()
                    .starts_with("Bearer")
            );
            let body = problem(response, StatusCode::UNAUTHORIZED, app.backend).await;
            insta::assert_json_snapshot!("invalid_token", body);
        }
        let response = app
            .client
            .get(app.url("/v1/register"))
            .header("authorization", "Basic dTpw")
            .send()
            .await;
        problem(response.unwrap(), StatusCode::UNAUTHORIZED, app.backend).await;
    })
    .await;
}

#[tokio::test]
async fn v1_with_a_revoked_token_is_unauthorized() {
    on_each_backend(async |app| {
        let token = app.issue(Scope::Role(StaffRole::Auditor)).await;
        let response = app.get("/v1/register", Some(token.secret())).await;
        assert_eq!(response.status(), StatusCode::OK, "{}", app.backend);

        assert!(app.storage.revoke_token(&token.id, app.now).await.unwrap());
        // Revoked behind the server's back: forgotten as the follower of the change log forgets
        // it when it reads the revocation (issue 19; no jobs run in these tests).
        app.app.token_cache().forget(&token.id.0);
        let response = app.get("/v1/register", Some(token.secret())).await;
        assert!(
            response.headers()[WWW_AUTHENTICATE]
                .to_str()
                .unwrap()
                .starts_with("Bearer")
        );
        let body = problem(response, StatusCode::UNAUTHORIZED, app.backend).await;
        insta::assert_json_snapshot!("invalid_token", body);
    })
    .await;
}

#[tokio::test]
async fn v1_register_returns_the_loaded_register() {
    on_each_backend(async |app| {
        let response = app.get("/v1/register", Some(&app.admin_token)).await;
        assert_eq!(response.status(), StatusCode::OK, "{}", app.backend);
        assert_eq!(response.headers()[CONTENT_TYPE], "application/json");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["digest"], app.register.digest, "{body}");
        assert_eq!(
            body["digest"].as_str().unwrap().len(),
            64,
            "sha256 hex: {body}"
        );
        assert_eq!(body["published"], "2026-01-05");
        assert_eq!(body["register"], app.register.register.to_json());
        assert!(body["register"].is_object(), "{body}");
    })
    .await;
}

#[tokio::test]
async fn auditors_may_read_the_register() {
    on_each_backend(async |app| {
        let auditor = app.issue(Scope::Role(StaffRole::Auditor)).await;
        let response = app.get("/v1/register", Some(auditor.secret())).await;
        assert_eq!(response.status(), StatusCode::OK, "{}", app.backend);
    })
    .await;
}

#[tokio::test]
async fn unknown_routes_are_a_not_found_problem() {
    on_each_backend(async |app| {
        let body = problem(
            app.get("/no/such/page?email=a@b.se", None).await,
            StatusCode::NOT_FOUND,
            app.backend,
        )
        .await;
        insta::assert_json_snapshot!("not_found", body);
    })
    .await;
}

#[tokio::test]
async fn wrong_methods_are_a_method_not_allowed_problem() {
    on_each_backend(async |app| {
        let response = app.client.post(app.url("/healthz")).send().await.unwrap();
        assert!(
            response.headers()[ALLOW].to_str().unwrap().contains("GET"),
            "{:?}",
            response.headers()
        );
        let body = problem(response, StatusCode::METHOD_NOT_ALLOWED, app.backend).await;
        insta::assert_json_snapshot!("method_not_allowed", body);

        let response = app
            .client
            .delete(app.url("/v1/register"))
            .bearer_auth(&app.admin_token)
            .send()
            .await
            .unwrap();
        problem(response, StatusCode::METHOD_NOT_ALLOWED, app.backend).await;
    })
    .await;
}

// --- Subjects --------------------------------------------------------------------------------

#[tokio::test]
async fn subjects_are_created_and_found_by_a_normalised_identity() {
    on_each_backend(async |app| {
        let response = app
            .send(
                Method::POST,
                "/v1/subjects",
                Some(&json!({
                    "identities": {"email": "a@example.se", "phone": "+46701234567"},
                    "tenant": null
                })),
            )
            .await;
        let location = response.headers()[LOCATION].to_str().unwrap().to_owned();
        let created = json_body(response, StatusCode::CREATED, app.backend).await;
        let id = created["id"].as_str().unwrap();
        assert_eq!(id.len(), 32, "{created}");
        assert!(id.bytes().all(|b| b.is_ascii_hexdigit()), "{created}");
        assert_eq!(location, format!("/v1/subjects/{id}"));
        insta::assert_json_snapshot!("subject_created", created, {".id" => "[id]"});

        let found = app.get_ok("/v1/subjects?email=A@Example.SE").await;
        assert_eq!(found["id"], id, "{}: {found}", app.backend);
        let mut kinds: Vec<&str> = found["identity_kinds"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k.as_str().unwrap())
            .collect();
        kinds.sort_unstable();
        assert_eq!(kinds, ["email", "phone"]);
        assert_eq!(found["tenant"], Value::Null);
        assert_eq!(found["restricted"], false);
        assert_eq!(found["created_at"], "2026-03-01T09:00:00Z");

        // A national number in Sweden is the same E.164 number.
        let by_phone = app.get_ok("/v1/subjects?phone=070-123%2045%2067").await;
        assert_eq!(by_phone["id"], id, "{}", app.backend);
        let by_id = app.get_ok(&format!("/v1/subjects/{id}")).await;
        assert_eq!(by_id, found);
        insta::assert_json_snapshot!("subject", by_id, {".id" => "[id]", ".identity_kinds" => insta::sorted_redaction()});
    })
    .await;
}

#[tokio::test]
async fn a_taken_identity_is_a_conflict_naming_the_kind_only() {
    on_each_backend(async |app| {
        app.create_subject(json!({"email": "taken@example.se"}))
            .await;
        let response = app
            .send(
                Method::POST,
                "/v1/subjects",
                Some(
                    &json!({"identities": {"email": "Taken@Example.se", "customer_number": "C-1"}}),
                ),
            )
            .await;
        let body = problem(response, StatusCode::CONFLICT, app.backend).await;
        assert!(
            body["detail"].as_str().unwrap().contains("`email`"),
            "{body}"
        );
        assert!(
            !body.to_string().to_lowercase().contains("taken@"),
            "{body}"
        );
        insta::assert_json_snapshot!("identity_taken", body);
        // Nothing of the refused subject was stored.
        let response = app
            .get("/v1/subjects?customer_number=C-1", Some(&app.admin_token))
            .await;
        problem(response, StatusCode::NOT_FOUND, app.backend).await;
    })
    .await;
}

#[tokio::test]
async fn unknown_subjects_are_not_found() {
    on_each_backend(async |app| {
        let nobody = "0123456789abcdef0123456789abcdef";
        for path in [
            format!("/v1/subjects/{nobody}"),
            "/v1/subjects/not-an-id".to_owned(),
            "/v1/subjects?email=nobody@example.se".to_owned(),
            format!("/v1/subjects/{nobody}/records?purpose=delivery"),
            format!("/v1/subjects/{nobody}/consents"),
            format!("/v1/decisions?subject={nobody}&purpose=delivery&category=contact"),
        ] {
            let response = app.get(&path, Some(&app.admin_token)).await;
            let body = problem(response, StatusCode::NOT_FOUND, app.backend).await;
            insta::assert_json_snapshot!("unknown_subject", body);
        }
        let record = json!({"category": "contact", "fields": {"name": "X"}, "source": "data_subject", "purpose": "delivery"});
        for (path, body) in [
            (format!("/v1/subjects/{nobody}/records"), record),
            (format!("/v1/subjects/{nobody}/objections"), json!({"objected": true})),
            (
                "/v1/consents".to_owned(),
                json!({"subject": nobody, "purpose": "newsletter", "granted": true, "method": "api"}),
            ),
        ] {
            let response = app.send(Method::POST, &path, Some(&body)).await;
            problem(response, StatusCode::NOT_FOUND, app.backend).await;
        }
    })
    .await;
}

#[tokio::test]
async fn finding_a_subject_takes_exactly_one_valid_identity() {
    on_each_backend(async |app| {
        for query in [
            "",
            "?tenant=acme",
            "?email=a@example.se&phone=%2B46701234567",
        ] {
            let response = app
                .get(&format!("/v1/subjects{query}"), Some(&app.admin_token))
                .await;
            let body = problem(response, StatusCode::UNPROCESSABLE_ENTITY, app.backend).await;
            assert!(
                body["detail"].as_str().unwrap().contains("exactly one"),
                "{query}: {body}"
            );
        }
        let response = app
            .get("/v1/subjects?mail=a@example.se", Some(&app.admin_token))
            .await;
        let body = problem(response, StatusCode::BAD_REQUEST, app.backend).await;
        assert!(!body.to_string().contains("example.se"), "{body}");

        let response = app
            .get("/v1/subjects?email=not-an-address", Some(&app.admin_token))
            .await;
        let body = problem(response, StatusCode::UNPROCESSABLE_ENTITY, app.backend).await;
        assert!(body["help"].is_string(), "{body}");
        assert!(!body.to_string().contains("not-an-address"), "{body}");
        insta::assert_json_snapshot!("invalid_identity", body);

        let response = app
            .send(
                Method::POST,
                "/v1/subjects",
                Some(&json!({"identities": {}})),
            )
            .await;
        problem(response, StatusCode::UNPROCESSABLE_ENTITY, app.backend).await;
        let response = app
            .send(
                Method::POST,
                "/v1/subjects",
                Some(&json!({"identities": {"passport": "X"}})),
            )
            .await;
        let body = problem(response, StatusCode::BAD_REQUEST, app.backend).await;
        assert!(
            body["detail"].as_str().unwrap().contains("`email`"),
            "{body}"
        );
    })
    .await;
}

// --- Records ---------------------------------------------------------------------------------

fn contact_record(purpose: &str) -> Value {
    json!({
        "category": "contact",
        "fields": {"name": "Anna Andersson", "email": "a@example.se"},
        "source": "data_subject",
        "purpose": purpose,
    })
}

#[tokio::test]
async fn records_are_read_per_purpose_and_withheld_with_a_code() {
    on_each_backend(async |app| {
        let subject = app.create_subject(json!({"email": "r@example.se"})).await;
        let contact = app
            .create_record(&subject, contact_record("delivery"))
            .await;
        let work = app
            .create_record(
                &subject,
                json!({
                    "category": "work_items",
                    "fields": {"title": "Migrate", "body": "Move the VMs"},
                    "source": "data_subject",
                    "purpose": "delivery",
                    "collected_at": "2026-02-01T10:00:00Z",
                    "anchors": {"contract_end": "2026-02-15T00:00:00Z"},
                }),
            )
            .await;

        // Under delivery, both are allowed.
        let read = app
            .get_ok(&format!("/v1/subjects/{subject}/records?purpose=delivery"))
            .await;
        assert_eq!(read["purpose"], "delivery");
        assert_eq!(read["withheld"], json!([]), "{}: {read}", app.backend);
        let records = read["records"].as_array().unwrap();
        assert_eq!(records.len(), 2, "{read}");
        let contact_view = records
            .iter()
            .find(|r| r["id"] == contact.as_str())
            .unwrap();
        assert_eq!(contact_view["fields"]["name"], "Anna Andersson");
        assert_eq!(contact_view["collected_at"], "2026-03-01T09:00:00Z");
        let work_view = records.iter().find(|r| r["id"] == work.as_str()).unwrap();
        assert_eq!(work_view["anchors"]["contract_end"], "2026-02-15T00:00:00Z");

        // Under newsletter: no consent for the contact, and work items are not its data.
        let read = app
            .get_ok(&format!(
                "/v1/subjects/{subject}/records?purpose=newsletter"
            ))
            .await;
        assert_eq!(read["records"], json!([]), "{}: {read}", app.backend);
        let mut codes: Vec<(String, String)> = read["withheld"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| {
                (
                    w["category"].as_str().unwrap().to_owned(),
                    w["code"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        codes.sort();
        assert_eq!(
            codes,
            [
                ("contact".to_owned(), "consent_missing".to_owned()),
                (
                    "work_items".to_owned(),
                    "category_not_processed_for_purpose".to_owned()
                ),
            ],
            "{read}"
        );

        // The contract ended long ago: retention of contact details (24 months) ran out.
        let response = app
            .send(
                Method::PUT,
                &format!("/v1/subjects/{subject}/records/{contact}/anchors/contract_end"),
                Some(&json!({"at": "2023-01-31T00:00:00Z"})),
            )
            .await;
        assert_eq!(response.status(), StatusCode::NO_CONTENT, "{}", app.backend);
        let read = app
            .get_ok(&format!("/v1/subjects/{subject}/records?purpose=delivery"))
            .await;
        let withheld = read["withheld"].as_array().unwrap();
        assert_eq!(withheld.len(), 1, "{read}");
        assert_eq!(withheld[0]["id"], contact.as_str());
        assert_eq!(withheld[0]["code"], "retention_expired");
        insta::assert_json_snapshot!("records_read", read, {
            ".records[].id" => "[id]",
            ".withheld[].id" => "[id]",
        });
    })
    .await;
}

/// P002-25: "We do not store information about specific pages visited or their content."
/// PartnerSec's cloud traffic log declares no page or content field, so a log entry carrying
/// the page visited is refused whole, and nothing of it is stored.
#[tokio::test]
async fn a_traffic_log_entry_with_the_page_visited_is_refused() {
    let partnersec = include_str!("../../../examples/registers/partnersec.yaml");
    for backend in backends() {
        let app = spawn_app_on_register(&backend, partnersec).await;
        let subject = app
            .create_subject(json!({"email": "trafik@example.se"}))
            .await;
        let entry = |fields: Value| {
            json!({
                "category": "cloud_traffic_log",
                "purpose": "service_provision",
                "source": "service_use",
                "fields": fields,
            })
        };
        let with_page = app
            .send(
                Method::POST,
                &format!("/v1/subjects/{subject}/records"),
                Some(&entry(json!({
                    "ip_address": "192.0.2.7",
                    "received_at": "2026-03-01",
                    "service": "cloud",
                    "page": "/private/diary",
                }))),
            )
            .await;
        let body = problem(with_page, StatusCode::UNPROCESSABLE_ENTITY, app.backend).await;
        assert!(body["detail"].as_str().unwrap().contains("page"), "{body}");
        assert!(
            !body.to_string().contains("/private/diary"),
            "the value is not echoed"
        );
        app.create_record(
            &subject,
            entry(
                json!({"ip_address": "192.0.2.7", "received_at": "2026-03-01", "service": "cloud"}),
            ),
        )
        .await;
        app.stop().await;
    }
}

#[tokio::test]
async fn records_that_do_not_fit_the_register_are_refused() {
    on_each_backend(async |app| {
        let subject = app.create_subject(json!({"email": "bad@example.se"})).await;
        let path = format!("/v1/subjects/{subject}/records");

        let response = app.get(&path, Some(&app.admin_token)).await;
        let body = problem(response, StatusCode::BAD_REQUEST, app.backend).await;
        assert!(
            body["detail"]
                .as_str()
                .unwrap()
                .contains("`purpose` is missing"),
            "{body}"
        );

        let response = app
            .get(
                &format!("{path}?purpose=telemarketing"),
                Some(&app.admin_token),
            )
            .await;
        let body = problem(response, StatusCode::UNPROCESSABLE_ENTITY, app.backend).await;
        assert!(
            body["detail"].as_str().unwrap().contains("`telemarketing`"),
            "{body}"
        );
        insta::assert_json_snapshot!("unknown_purpose", body);

        let mut record = contact_record("delivery");
        record["category"] = json!("health");
        let body = problem(
            app.send(Method::POST, &path, Some(&record)).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            app.backend,
        )
        .await;
        assert!(
            body["detail"].as_str().unwrap().contains("`health`"),
            "{body}"
        );

        let mut record = contact_record("delivery");
        record["fields"]["shoe_size"] = json!(42);
        let body = problem(
            app.send(Method::POST, &path, Some(&record)).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            app.backend,
        )
        .await;
        assert!(
            body["detail"].as_str().unwrap().contains("`shoe_size`"),
            "{body}"
        );

        let mut record = contact_record("delivery");
        record["collected_at"] = json!("yesterday");
        let body = problem(
            app.send(Method::POST, &path, Some(&record)).await,
            StatusCode::BAD_REQUEST,
            app.backend,
        )
        .await;
        assert!(
            body["detail"].as_str().unwrap().contains("collected_at"),
            "{body}"
        );

        // Malformed JSON says where.
        let response = app
            .client
            .post(app.url(&path))
            .bearer_auth(&app.admin_token)
            .header(CONTENT_TYPE, "application/json")
            .body("{\"category\": \"contact\",\n  \"fields\": {")
            .send()
            .await
            .unwrap();
        let body = problem(response, StatusCode::BAD_REQUEST, app.backend).await;
        assert!(
            body["detail"].as_str().unwrap().contains("line 2"),
            "{body}"
        );
        insta::assert_json_snapshot!("malformed_json", body);

        // Collecting for a consent purpose without consent is denied, with the code.
        let body = problem(
            app.send(Method::POST, &path, Some(&contact_record("newsletter")))
                .await,
            StatusCode::FORBIDDEN,
            app.backend,
        )
        .await;
        assert_eq!(body["code"], "consent_missing", "{body}");
        insta::assert_json_snapshot!("denied", body);

        let response = app
            .send(
                Method::PUT,
                &format!("{path}/0123456789abcdef0123456789abcdef/anchors/contract_end"),
                Some(&json!({"at": "2026-01-01T00:00:00Z"})),
            )
            .await;
        problem(response, StatusCode::UNPROCESSABLE_ENTITY, app.backend).await;
    })
    .await;
}

// --- Consents, objections, decisions ---------------------------------------------------------

#[tokio::test]
async fn consent_is_given_and_withdrawn_in_one_call_each_and_the_history_keeps_both() {
    on_each_backend(async |app| {
        let subject = app.create_subject(json!({"email": "c@example.se"})).await;
        let query = format!("subject={subject}&purpose=newsletter&category=contact");
        let decision = app.decide(&query).await;
        assert_eq!(decision["code"], "consent_missing", "{decision}");

        let consent = |granted: bool| {
            json!({"subject": subject, "purpose": "newsletter", "granted": granted,
                   "method": "web_form", "notice_version": "2026-01"})
        };
        let response = app
            .send(Method::POST, "/v1/consents", Some(&consent(true)))
            .await;
        assert_eq!(
            response.headers()[LOCATION],
            format!("/v1/subjects/{subject}/consents").as_str()
        );
        let recorded = json_body(response, StatusCode::CREATED, app.backend).await;
        insta::assert_json_snapshot!("consent_recorded", recorded, {".subject" => "[id]"});
        let decision = app.decide(&query).await;
        assert_eq!(
            decision,
            json!({"allowed": true, "code": "allowed", "legal_basis": "consent"}),
            "{}",
            app.backend
        );

        app.post_ok("/v1/consents", consent(false), StatusCode::CREATED)
            .await;
        let decision = app.decide(&query).await;
        assert_eq!(decision["allowed"], false);
        assert_eq!(decision["code"], "consent_withdrawn", "{decision}");

        let consents = app
            .get_ok(&format!("/v1/subjects/{subject}/consents"))
            .await;
        assert_eq!(
            consents["current"].as_array().unwrap().len(),
            1,
            "{consents}"
        );
        assert_eq!(consents["current"][0]["granted"], false);
        let history: Vec<&Value> = consents["history"]
            .as_array()
            .unwrap()
            .iter()
            .map(|event| &event["granted"])
            .collect();
        assert_eq!(history, [&json!(true), &json!(false)], "{consents}");
        insta::assert_json_snapshot!("consents", consents, {".subject" => "[id]"});

        // A purpose that does not rest on consent takes none.
        let mut wrong = consent(true);
        wrong["purpose"] = json!("delivery");
        let response = app.send(Method::POST, "/v1/consents", Some(&wrong)).await;
        problem(response, StatusCode::UNPROCESSABLE_ENTITY, app.backend).await;
        let mut wrong = consent(true);
        wrong["method"] = json!("telepathy");
        let response = app.send(Method::POST, "/v1/consents", Some(&wrong)).await;
        problem(response, StatusCode::UNPROCESSABLE_ENTITY, app.backend).await;
    })
    .await;
}

#[tokio::test]
async fn global_privacy_control_denies_direct_marketing() {
    on_each_backend(async |app| {
        let subject = app.create_subject(json!({"email": "gpc@example.se"})).await;
        let marketing = format!("subject={subject}&purpose=marketing&category=contact&channel=email");
        let decision = app.decide(&marketing).await;
        assert_eq!(
            decision,
            json!({"allowed": true, "code": "allowed", "legal_basis": "legitimate_interest"}),
            "{}",
            app.backend
        );

        let response = app
            .client
            .post(app.url("/v1/consents"))
            .bearer_auth(&app.admin_token)
            .header("sec-gpc", "1")
            .header("user-agent", "Mozilla/5.0 (canary)")
            .json(&json!({"subject": subject, "purpose": "newsletter", "granted": true, "method": "banner"}))
            .send()
            .await
            .unwrap();
        let recorded = json_body(response, StatusCode::CREATED, app.backend).await;
        assert_eq!(recorded["signals"], json!(["gpc"]));

        let decision = app.decide(&marketing).await;
        assert_eq!(decision["allowed"], false, "{decision}");
        assert_eq!(decision["code"], "objection", "{decision}");
        assert!(decision["explanation"].is_string(), "{decision}");
        // The consent itself was recorded, and newsletter is not direct marketing here.
        let newsletter = app
            .decide(&format!("subject={subject}&purpose=newsletter&category=contact"))
            .await;
        assert_eq!(newsletter["allowed"], true, "{newsletter}");
        let consents = app
            .get_ok(&format!("/v1/subjects/{subject}/consents"))
            .await;
        assert_eq!(
            consents["objections"],
            json!([{"purpose": null, "source": "gpc"}]),
            "{consents}"
        );
    })
    .await;
}

#[tokio::test]
async fn browser_signals_are_recorded_on_their_own_once_and_stop_marketing() {
    // Issue 20: DNT and GPC on their own, not only alongside a consent call (Art. 21(5)).
    on_each_backend(async |app| {
        let subject = app
            .create_subject(json!({"email": "signal@example.se"}))
            .await;
        let marketing =
            format!("subject={subject}&purpose=marketing&category=contact&channel=email");
        assert_eq!(app.decide(&marketing).await["allowed"], true);

        let recorded = app
            .post_ok(
                "/v1/signals",
                json!({"subject": subject, "signals": ["gpc"]}),
                StatusCode::OK,
            )
            .await;
        insta::assert_json_snapshot!("signals_recorded", recorded, {".subject" => "[subject]"});
        let decision = app.decide(&marketing).await;
        assert_eq!(decision["code"], "objection", "{decision}");

        // Sent again (every page view may), it writes nothing; the DNT header counts as a signal.
        let response = app
            .client
            .post(app.url("/v1/signals"))
            .bearer_auth(&app.admin_token)
            .header("dnt", "1")
            .json(&json!({"subject": subject, "signals": ["gpc", "gpc"]}))
            .send()
            .await
            .unwrap();
        let again = json_body(response, StatusCode::OK, app.backend).await;
        let outcomes: Vec<(&str, &str)> = again["signals"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                (
                    s["signal"].as_str().unwrap(),
                    s["outcome"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(outcomes, [("gpc", "in_force"), ("dnt", "recorded")]);
        let consents = app
            .get_ok(&format!("/v1/subjects/{subject}/consents"))
            .await;
        assert_eq!(
            consents["objections"],
            json!([{"purpose": null, "source": "gpc"}, {"purpose": null, "source": "dnt"}]),
            "{consents}"
        );
        let audited = app
            .storage
            .audit_events_for_subject(&subject)
            .await
            .unwrap();
        assert_eq!(
            audited
                .iter()
                .filter(|e| e.action == "objection.record")
                .count(),
            2
        );

        // The person turned GPC off and said so: lifting it leaves DNT in force, and marketing
        // stays stopped until both are gone.
        let lifted = app
            .post_ok(
                "/v1/signals",
                json!({"subject": subject, "signals": ["gpc"], "lift": true}),
                StatusCode::OK,
            )
            .await;
        assert_eq!(lifted["signals"][0]["outcome"], "lifted", "{lifted}");
        assert_eq!(app.decide(&marketing).await["code"], "objection");
        let lifted = app
            .post_ok(
                "/v1/signals",
                json!({"subject": subject, "signals": ["dnt", "gpc"], "lift": true}),
                StatusCode::OK,
            )
            .await;
        let outcomes: Vec<&str> = lifted["signals"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["outcome"].as_str().unwrap())
            .collect();
        assert_eq!(outcomes, ["lifted", "not_in_force"]);
        assert_eq!(app.decide(&marketing).await["allowed"], true);

        // No signal at all, a word that is not a signal, an unknown subject.
        let none = app
            .send(
                Method::POST,
                "/v1/signals",
                Some(&json!({"subject": subject})),
            )
            .await;
        problem(none, StatusCode::UNPROCESSABLE_ENTITY, app.backend).await;
        let unknown = app
            .send(
                Method::POST,
                "/v1/signals",
                Some(&json!({"subject": subject, "signals": ["gpc-secret@example.se"]})),
            )
            .await;
        let body = problem(unknown, StatusCode::BAD_REQUEST, app.backend).await;
        assert!(
            !body.to_string().contains("secret@example.se"),
            "quotes nothing sent: {body}"
        );
        let stranger = app
            .send(
                Method::POST,
                "/v1/signals",
                Some(&json!({"subject": "0".repeat(32), "signals": ["dnt"]})),
            )
            .await;
        problem(stranger, StatusCode::NOT_FOUND, app.backend).await;
    })
    .await;
}

#[tokio::test]
async fn objections_stop_marketing_until_lifted() {
    on_each_backend(async |app| {
        let subject = app.create_subject(json!({"email": "o@example.se"})).await;
        let marketing = format!("subject={subject}&purpose=marketing&category=contact");
        let path = format!("/v1/subjects/{subject}/objections");
        let recorded = app
            .post_ok(
                &path,
                json!({"purpose": "marketing", "objected": true}),
                StatusCode::CREATED,
            )
            .await;
        insta::assert_json_snapshot!("objection_recorded", recorded, {".subject" => "[id]"});
        assert_eq!(app.decide(&marketing).await["code"], "objection");
        // Delivery rests on the contract: the objection does not touch it.
        let delivery = app
            .decide(&format!(
                "subject={subject}&purpose=delivery&category=contact"
            ))
            .await;
        assert_eq!(delivery["code"], "allowed");

        app.post_ok(
            &path,
            json!({"purpose": "marketing", "objected": false}),
            StatusCode::CREATED,
        )
        .await;
        assert_eq!(app.decide(&marketing).await["code"], "allowed");

        let response = app
            .send(
                Method::POST,
                &path,
                Some(&json!({"purpose": "spam", "objected": true})),
            )
            .await;
        problem(response, StatusCode::UNPROCESSABLE_ENTITY, app.backend).await;
    })
    .await;
}

/// An objection said at an event or on the telephone is recorded with that source (issue 20:
/// "objection channels include in person and by phone, recorded as the method"); a source the
/// API does not take is a 400 (`invalid_body`, as any body of the wrong shape) that quotes
/// nothing sent.
#[tokio::test]
async fn objections_made_in_person_or_by_phone_are_recorded_as_such() {
    on_each_backend(async |app| {
        let subject = app.create_subject(json!({"email": "p@example.se"})).await;
        let path = format!("/v1/subjects/{subject}/objections");
        for (purpose, source) in [("marketing", "in_person"), ("newsletter", "phone")] {
            let recorded = app
                .post_ok(
                    &path,
                    json!({"purpose": purpose, "objected": true, "source": source}),
                    StatusCode::CREATED,
                )
                .await;
            assert_eq!(recorded["source"], source, "{recorded}");
        }
        let marketing = format!("subject={subject}&purpose=marketing&category=contact");
        assert_eq!(app.decide(&marketing).await["code"], "objection");
        let consents = app
            .get_ok(&format!("/v1/subjects/{subject}/consents"))
            .await;
        let mut sources: Vec<&str> = consents["objections"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["source"].as_str().unwrap())
            .collect();
        sources.sort_unstable();
        assert_eq!(sources, ["in_person", "phone"], "{consents}");

        let response = app
            .send(
                Method::POST,
                &path,
                Some(&json!({"objected": true, "source": "carrier-pigeon-7731"})),
            )
            .await;
        let body = problem(response, StatusCode::BAD_REQUEST, app.backend).await;
        assert!(!body.to_string().contains("pigeon-7731"), "{body}");
    })
    .await;
}

#[tokio::test]
async fn decisions_answer_with_stable_codes() {
    on_each_backend(async |app| {
        let subject = app.create_subject(json!({"email": "d@example.se"})).await;
        let decide = async |rest: &str| app.decide(&format!("subject={subject}&{rest}")).await;

        let allowed = decide("purpose=delivery&category=contact").await;
        assert_eq!(
            allowed,
            json!({"allowed": true, "code": "allowed", "legal_basis": "contract"})
        );
        let not_processed = decide("purpose=newsletter&category=work_items").await;
        assert_eq!(not_processed["allowed"], false);
        assert_eq!(not_processed["code"], "category_not_processed_for_purpose");
        assert_eq!(not_processed["legal_basis"], Value::Null);
        insta::assert_json_snapshot!("decision_denied", not_processed);
        let channel = decide("purpose=marketing&category=contact&channel=sms").await;
        assert_eq!(channel["code"], "channel_not_declared", "{channel}");
        let feature = decide("purpose=ai_processing&category=work_items").await;
        assert_eq!(feature["code"], "feature_disabled", "{feature}");

        for (query, names, status) in [
            (
                "purpose=telemarketing&category=contact",
                "`telemarketing`",
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
            (
                "purpose=delivery&category=shoe_size",
                "`shoe_size`",
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
            (
                "purpose=delivery",
                "`category` is missing",
                StatusCode::BAD_REQUEST,
            ),
            (
                "purpose=delivery&category=contact&channel=pigeon",
                "`pigeon`",
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
            (
                "purpose=delivery&category=contact&project=p1",
                "`organisation`",
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
        ] {
            let response = app
                .get(
                    &format!("/v1/decisions?subject={subject}&{query}"),
                    Some(&app.admin_token),
                )
                .await;
            let body = problem(response, status, app.backend).await;
            assert!(
                body["detail"].as_str().unwrap().contains(names),
                "{query}: {body}"
            );
        }
        // A value in the place of an id is not repeated.
        let response = app
            .get(
                &format!("/v1/decisions?subject={subject}&purpose=a@example.se&category=contact"),
                Some(&app.admin_token),
            )
            .await;
        let body = problem(response, StatusCode::BAD_REQUEST, app.backend).await;
        assert!(!body.to_string().contains("example.se"), "{body}");
    })
    .await;
}

// --- Features --------------------------------------------------------------------------------

#[tokio::test]
async fn features_are_off_by_default_and_a_project_overrides_its_organisation() {
    on_each_backend(async |app| {
        let subject = app.create_subject(json!({"email": "f@example.se"})).await;
        let org = "/v1/organisations/acme/features/ai_features";
        let project = "/v1/organisations/acme/projects/p1/features/ai_features";
        let ai = |scope: &str| {
            format!("subject={subject}&purpose=ai_processing&category=work_items&{scope}")
        };

        assert_eq!(app.get_ok(org).await, json!({"enabled": false}));
        assert_eq!(app.get_ok(project).await["enabled"], false);
        assert_eq!(
            app.decide(&ai("organisation=acme")).await["code"],
            "feature_disabled"
        );

        let switched = json_body(
            app.send(Method::PUT, org, Some(&json!({"enabled": true})))
                .await,
            StatusCode::OK,
            app.backend,
        )
        .await;
        assert_eq!(switched["enabled"], true, "{switched}");
        assert_eq!(app.get_ok(org).await["enabled"], true);
        assert_eq!(app.get_ok(project).await["enabled"], true, "inherited");
        let allowed = app.decide(&ai("organisation=acme")).await;
        assert_eq!(allowed["code"], "allowed", "{}: {allowed}", app.backend);
        assert_eq!(
            app.decide(&ai("organisation=acme&project=p1")).await["code"],
            "allowed"
        );
        // Another organisation has not opted in.
        assert_eq!(
            app.decide(&ai("organisation=other")).await["code"],
            "feature_disabled"
        );

        let switched = json_body(
            app.send(Method::PUT, project, Some(&json!({"enabled": false})))
                .await,
            StatusCode::OK,
            app.backend,
        )
        .await;
        assert_eq!(switched, json!({"enabled": false}));
        assert_eq!(app.get_ok(project).await["enabled"], false);
        assert_eq!(app.get_ok(org).await["enabled"], true);
        assert_eq!(
            app.decide(&ai("organisation=acme&project=p1")).await["code"],
            "feature_disabled"
        );
        assert_eq!(
            app.decide(&ai("organisation=acme&project=p2")).await["code"],
            "allowed"
        );

        for method in [Method::GET, Method::PUT] {
            let response = app
                .send(
                    method,
                    "/v1/organisations/acme/features/teleport",
                    Some(&json!({"enabled": true})),
                )
                .await;
            let body = problem(response, StatusCode::UNPROCESSABLE_ENTITY, app.backend).await;
            assert!(
                body["detail"].as_str().unwrap().contains("teleport"),
                "{body}"
            );
        }
    })
    .await;
}

// --- Preferences and the unsubscribe link ---------------------------------------------------

/// PUT a preference with the admin token; the JSON answer after checking the status.
async fn set_preference(app: &TestApp, subject: &str, rest: &str, opted_in: bool) -> Value {
    let response = app
        .send(
            Method::PUT,
            &format!("/v1/subjects/{subject}/preferences/{rest}"),
            Some(&json!({"opted_in": opted_in})),
        )
        .await;
    json_body(response, StatusCode::OK, app.backend).await
}

#[tokio::test]
async fn opting_out_of_a_channel_stops_marketing_on_it_until_opted_in_again() {
    on_each_backend(async |app| {
        let subject = app.create_subject(json!({"email": "p@example.se"})).await;
        let marketing =
            format!("subject={subject}&purpose=marketing&category=contact&channel=email");
        assert_eq!(app.decide(&marketing).await["code"], "allowed");

        let recorded = set_preference(app, &subject, "channel/email", false).await;
        assert_eq!(
            recorded,
            json!({"kind": "channel", "name": "email", "opted_in": false}),
            "{}",
            app.backend
        );
        let denied = app.decide(&marketing).await;
        assert_eq!(denied["allowed"], false, "{denied}");
        assert_eq!(denied["code"], "channel_opted_out", "{denied}");
        // Administrative messages rest on the contract, not on marketing preferences.
        let delivery = app
            .decide(&format!(
                "subject={subject}&purpose=delivery&category=contact"
            ))
            .await;
        assert_eq!(delivery["code"], "allowed", "{delivery}");

        set_preference(app, &subject, "channel/email", true).await;
        assert_eq!(app.decide(&marketing).await["code"], "allowed");

        let interest = set_preference(app, &subject, "interest/product_news", false).await;
        assert_eq!(
            interest,
            json!({"kind": "interest", "name": "product_news", "opted_in": false})
        );

        for (path, names) in [
            ("channel/pigeon", Some("`pigeon`")),
            ("hobby/email", None),
            ("interest/Product-News", None),
            ("channel/a@example.se", None),
        ] {
            let response = app
                .send(
                    Method::PUT,
                    &format!("/v1/subjects/{subject}/preferences/{path}"),
                    Some(&json!({"opted_in": false})),
                )
                .await;
            let body = problem(response, StatusCode::UNPROCESSABLE_ENTITY, app.backend).await;
            if let Some(names) = names {
                assert!(
                    body["detail"].as_str().unwrap().contains(names),
                    "{path}: {body}"
                );
            }
            assert!(!body.to_string().contains("example.se"), "{body}");
            assert!(!body.to_string().contains("Product-News"), "{body}");
        }
        let response = app
            .send(
                Method::PUT,
                &format!("/v1/subjects/{subject}/preferences/channel/email"),
                Some(&json!({"opted_in": "no"})),
            )
            .await;
        problem(response, StatusCode::BAD_REQUEST, app.backend).await;
        let nobody = "0123456789abcdef0123456789abcdef";
        let response = app
            .send(
                Method::PUT,
                &format!("/v1/subjects/{nobody}/preferences/channel/email"),
                Some(&json!({"opted_in": false})),
            )
            .await;
        problem(response, StatusCode::NOT_FOUND, app.backend).await;
    })
    .await;
}

/// The body of an HTML page, after checking its status and headers.
async fn html_page(response: reqwest::Response, status: StatusCode, backend: &str) -> String {
    assert_eq!(response.status(), status, "{backend}");
    let headers = response.headers().clone();
    assert_eq!(
        headers[CONTENT_TYPE], "text/html; charset=utf-8",
        "{backend}"
    );
    assert_eq!(headers["cache-control"], "no-store", "{backend}");
    assert_eq!(headers["referrer-policy"], "no-referrer", "{backend}");
    assert!(
        headers["content-security-policy"]
            .to_str()
            .unwrap()
            .starts_with("default-src 'none'"),
        "{backend}"
    );
    let page = response.text().await.unwrap();
    let language = headers["content-language"].to_str().unwrap();
    assert!(
        page.starts_with(&format!("<!DOCTYPE html>\n<html lang=\"{language}\">\n")),
        "{backend}: {page}"
    );
    assert!(!page.contains("<script"), "{backend}: {page}");
    page
}

/// The signed link for `subject` on e-mail, from the API.
async fn unsubscribe_link(app: &TestApp, subject: &str) -> (String, String) {
    let link = app
        .get_ok(&format!(
            "/v1/subjects/{subject}/unsubscribe-link?channel=email"
        ))
        .await;
    let token = link["token"].as_str().unwrap().to_owned();
    let path = link["path"].as_str().unwrap().to_owned();
    (token, path)
}

/// POST `body` as an HTML form, without any token, with `Accept-Language: language`.
async fn post_form(app: &TestApp, path: &str, body: String, language: &str) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header("accept-language", language)
        .body(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_unsubscribe_link_needs_no_login_and_only_its_button_changes_anything() {
    on_each_backend(async |app| {
        const EMAIL: &str = "unsubscriber@example.se";
        let subject = app.create_subject(json!({"email": EMAIL})).await;
        let marketing =
            format!("subject={subject}&purpose=marketing&category=contact&channel=email");
        let (token, path) = unsubscribe_link(app, &subject).await;
        assert_eq!(path, format!("/unsubscribe?token={token}"));
        assert!(token.starts_with(&format!("{subject}.email.")), "{token}");
        assert!(!token.contains("example"), "{token}");
        // The same link every time: it is a signature, not a stored secret.
        assert_eq!(unsubscribe_link(app, &subject).await.0, token);

        // Opening the link (mail scanners do) shows a button and changes nothing.
        let response = app.get(&path, None).await;
        let page = html_page(response, StatusCode::OK, app.backend).await;
        assert!(
            page.contains("<form method=\"post\" action=\"unsubscribe\">"),
            "{page}"
        );
        assert!(
            page.contains(&format!(
                "<input type=\"hidden\" name=\"token\" value=\"{token}\">"
            )),
            "{page}"
        );
        assert_eq!(page.matches("<button").count(), 1, "{page}");
        assert!(!page.to_lowercase().contains(EMAIL), "{page}");
        insta::assert_snapshot!("unsubscribe_page", page.replace(&token, "[token]"));
        let response = app
            .client
            .get(app.url(&path))
            .header("accept-language", "sv-SE,sv;q=0.9,en;q=0.8")
            .send()
            .await
            .unwrap();
        let page = html_page(response, StatusCode::OK, app.backend).await;
        assert!(page.contains("<html lang=\"sv\">"), "{page}");
        insta::assert_snapshot!("unsubscribe_page_sv", page.replace(&token, "[token]"));
        assert_eq!(app.decide(&marketing).await["code"], "allowed");

        // Pressing the button unsubscribes.
        let response = post_form(app, "/unsubscribe", format!("token={token}"), "en").await;
        let page = html_page(response, StatusCode::OK, app.backend).await;
        assert!(
            page.contains(
                "You will no longer receive marketing by e-mail. Messages about your account \
                 and orders still reach you."
            ),
            "{page}"
        );
        assert!(!page.to_lowercase().contains(EMAIL), "{page}");
        assert!(!page.contains(&token), "{page}");
        insta::assert_snapshot!("unsubscribed_page", page);
        let denied = app.decide(&marketing).await;
        assert_eq!(denied["code"], "channel_opted_out", "{denied}");
        let delivery = app
            .decide(&format!(
                "subject={subject}&purpose=delivery&category=contact"
            ))
            .await;
        assert_eq!(
            delivery["code"], "allowed",
            "administrative messages stay allowed"
        );

        // RFC 8058 one-click: the token in the URL's query, `List-Unsubscribe=One-Click` as the
        // body.
        set_preference(app, &subject, "channel/email", true).await;
        let response = post_form(app, &path, "List-Unsubscribe=One-Click".to_owned(), "sv").await;
        let page = html_page(response, StatusCode::OK, app.backend).await;
        insta::assert_snapshot!("unsubscribed_page_sv", page);
        assert_eq!(app.decide(&marketing).await["code"], "channel_opted_out");
        // Some mail clients send the one-click body as multipart/form-data.
        set_preference(app, &subject, "channel/email", true).await;
        assert_eq!(app.decide(&marketing).await["code"], "allowed");
        let response = app
            .client
            .post(app.url(&path))
            .header(CONTENT_TYPE, "multipart/form-data; boundary=b")
            .body(
                "--b\r\nContent-Disposition: form-data; name=\"List-Unsubscribe\"\r\n\r\n\
                 One-Click\r\n--b--\r\n",
            )
            .send()
            .await
            .unwrap();
        html_page(response, StatusCode::OK, app.backend).await;
        assert_eq!(app.decide(&marketing).await["code"], "channel_opted_out");
        // Doing it again is harmless.
        let response = post_form(app, &path, "List-Unsubscribe=One-Click".to_owned(), "en").await;
        html_page(response, StatusCode::OK, app.backend).await;
        assert_eq!(app.decide(&marketing).await["code"], "channel_opted_out");
    })
    .await;
}

#[tokio::test]
async fn a_forged_or_damaged_unsubscribe_link_is_not_valid_and_says_no_more() {
    on_each_backend(async |app| {
        let subject = app
            .create_subject(json!({"email": "forged@example.se"}))
            .await;
        let other = app
            .create_subject(json!({"email": "victim@example.se"}))
            .await;
        let marketing = |subject: &str| {
            format!("subject={subject}&purpose=marketing&category=contact&channel=email")
        };
        let (token, _) = unsubscribe_link(app, &subject).await;
        let tag = token.rsplit('.').next().unwrap();
        let mut flipped = token.clone();
        let last = flipped.pop().unwrap();
        flipped.push(if last == '0' { '1' } else { '0' });
        let forged = [
            // Another subject's id with this subject's signature.
            format!("{other}.email.{tag}"),
            // Another channel.
            token.replace(".email.", ".sms."),
            flipped,
            format!("{subject}.email"),
            "not-a-token".to_owned(),
            String::new(),
            "x".repeat(300),
        ];
        for token in &forged {
            let response = post_form(app, "/unsubscribe", format!("token={token}"), "en").await;
            let page = html_page(response, StatusCode::UNPROCESSABLE_ENTITY, app.backend).await;
            assert!(page.contains("This link is not valid"), "{page}");
            assert!(
                !page.contains("forged@") && !page.contains("victim@"),
                "{page}"
            );
            if !token.is_empty() {
                assert!(!page.contains(token.as_str()), "{page}");
            }
            insta::assert_snapshot!("unsubscribe_invalid", page);
        }
        // A POST without any token, and a one-click request with a forged one.
        let response = post_form(app, "/unsubscribe", String::new(), "en").await;
        html_page(response, StatusCode::UNPROCESSABLE_ENTITY, app.backend).await;
        let response = post_form(
            app,
            &format!("/unsubscribe?token={other}.email.{tag}"),
            "List-Unsubscribe=One-Click".to_owned(),
            "sv",
        )
        .await;
        let page = html_page(response, StatusCode::UNPROCESSABLE_ENTITY, app.backend).await;
        insta::assert_snapshot!("unsubscribe_invalid_sv", page);
        // Opening a link that is not even shaped like one shows the same page, not a form, and
        // does not repeat what was sent.
        for query in ["", "?token=a@example.se", "?token=0a.pigeon.1b", "?other=1"] {
            let response = app.get(&format!("/unsubscribe{query}"), None).await;
            let page = html_page(response, StatusCode::UNPROCESSABLE_ENTITY, app.backend).await;
            assert!(!page.contains("<form"), "{page}");
            assert!(!page.contains("example.se"), "{page}");
        }
        for subject in [&subject, &other] {
            assert_eq!(app.decide(&marketing(subject)).await["code"], "allowed");
        }

        // Only admins make links, and only for channels that exist.
        let auditor = app.issue(Scope::Role(StaffRole::Auditor)).await;
        let path = format!("/v1/subjects/{subject}/unsubscribe-link?channel=email");
        let response = app.get(&path, Some(auditor.secret())).await;
        problem(response, StatusCode::FORBIDDEN, app.backend).await;
        for (query, status) in [
            ("", StatusCode::BAD_REQUEST),
            ("?channel=pigeon", StatusCode::UNPROCESSABLE_ENTITY),
            ("?channel=a@example.se", StatusCode::BAD_REQUEST),
        ] {
            let response = app
                .get(
                    &format!("/v1/subjects/{subject}/unsubscribe-link{query}"),
                    Some(&app.admin_token),
                )
                .await;
            let body = problem(response, status, app.backend).await;
            assert!(!body.to_string().contains("example.se"), "{body}");
        }
        let response = app
            .get(
                "/v1/subjects/0123456789abcdef0123456789abcdef/unsubscribe-link?channel=email",
                Some(&app.admin_token),
            )
            .await;
        problem(response, StatusCode::NOT_FOUND, app.backend).await;
    })
    .await;
}

// --- Master key rotation ---------------------------------------------------------------------

#[tokio::test]
async fn a_key_rotation_while_serving_is_picked_up_without_a_restart() {
    on_each_backend(async |app| {
        let subject = app
            .create_subject(json!({"email": "rotate@example.se"}))
            .await;
        app.create_record(&subject, contact_record("delivery"))
            .await;
        let records = format!("/v1/subjects/{subject}/records?purpose=delivery");
        let before = app.get_ok(&records).await;
        assert_eq!(before["records"][0]["fields"]["name"], "Anna Andersson");

        // What `skydd key rotate` does, from outside the server: a new version in the key
        // file, and every subject key re-wrapped with it.
        let rotated = Arc::new(Keyring::rotate(&app.key_file).unwrap());
        assert_eq!(rotated.versions(), [1, 2]);
        let other = App::new(
            app.storage.clone(),
            rotated,
            app.register.clone(),
            Arc::new(FixedClock(app.now)),
        );
        let total = other.rewrap_all(1, |_| {}).await.unwrap();
        assert_eq!(total, 1, "{}", app.backend);
        assert_eq!(
            app.storage
                .subject_key(&subject)
                .await
                .unwrap()
                .unwrap()
                .key_version,
            2
        );

        // The server has version 1 only; it reloads the key file and answers.
        let after = app.get_ok(&records).await;
        assert_eq!(after, before, "{}", app.backend);
        // From now on it wraps new subjects' keys with version 2.
        let new = app
            .create_subject(json!({"email": "after@example.se"}))
            .await;
        assert_eq!(
            app.storage
                .subject_key(&new)
                .await
                .unwrap()
                .unwrap()
                .key_version,
            2
        );
        assert_eq!(other.rewrap_all(10, |_| {}).await.unwrap(), 0);

        // Again, and this time the first request to meet version 3 is a write: it is run
        // once more after the reload, and stores one record, not two.
        let rotated = Arc::new(Keyring::rotate(&app.key_file).unwrap());
        let other = App::new(
            app.storage.clone(),
            rotated,
            app.register.clone(),
            Arc::new(FixedClock(app.now)),
        );
        let total = other.rewrap_all(1, |_| {}).await.unwrap();
        assert_eq!(total, 2, "{}", app.backend);
        app.create_record(&subject, contact_record("delivery"))
            .await;
        let after = app.get_ok(&records).await;
        assert_eq!(after["records"].as_array().unwrap().len(), 2, "{after}");
    })
    .await;
}

// --- Authentication and roles ----------------------------------------------------------------

/// Every `/v1` operation on subjects, records, consents, preferences, decisions and features,
/// with a body for the writes.
fn v1_operations(subject: &str, record: &str) -> Vec<(Method, String, Option<Value>)> {
    vec![
        (Method::GET, "/v1/register/record".into(), None),
        (
            Method::POST,
            "/v1/subjects".into(),
            Some(json!({"identities": {"email": "x@example.se"}})),
        ),
        (
            Method::GET,
            "/v1/subjects?email=auth@example.se".into(),
            None,
        ),
        (Method::GET, format!("/v1/subjects/{subject}"), None),
        (
            Method::POST,
            format!("/v1/subjects/{subject}/records"),
            Some(contact_record("delivery")),
        ),
        (
            Method::GET,
            format!("/v1/subjects/{subject}/records?purpose=delivery"),
            None,
        ),
        (
            Method::PUT,
            format!("/v1/subjects/{subject}/records/{record}/anchors/contract_end"),
            Some(json!({"at": "2026-01-01T00:00:00Z"})),
        ),
        (
            Method::POST,
            "/v1/consents".into(),
            Some(
                json!({"subject": subject, "purpose": "newsletter", "granted": true, "method": "api"}),
            ),
        ),
        (
            Method::GET,
            format!("/v1/subjects/{subject}/consents"),
            None,
        ),
        (
            Method::POST,
            format!("/v1/subjects/{subject}/objections"),
            Some(json!({"objected": true})),
        ),
        (
            Method::PUT,
            format!("/v1/subjects/{subject}/preferences/channel/email"),
            Some(json!({"opted_in": true})),
        ),
        (
            Method::GET,
            format!("/v1/subjects/{subject}/unsubscribe-link?channel=email"),
            None,
        ),
        (
            Method::GET,
            format!("/v1/decisions?subject={subject}&purpose=delivery&category=contact"),
            None,
        ),
        (
            Method::POST,
            "/v1/decisions".into(),
            Some(json!({"questions": [
                {"subject": subject, "purpose": "delivery", "category": "contact"}
            ]})),
        ),
        (
            Method::PUT,
            "/v1/organisations/acme/features/ai_features".into(),
            Some(json!({"enabled": true})),
        ),
        (
            Method::GET,
            "/v1/organisations/acme/features/ai_features".into(),
            None,
        ),
        (
            Method::PUT,
            "/v1/organisations/acme/projects/p1/features/ai_features".into(),
            Some(json!({"enabled": true})),
        ),
        (
            Method::GET,
            "/v1/organisations/acme/projects/p1/features/ai_features".into(),
            None,
        ),
        (
            Method::GET,
            format!("/v1/audit?subject={subject}&limit=5"),
            None,
        ),
    ]
}

#[tokio::test]
async fn the_openapi_document_lists_every_operation() {
    on_each_backend(async |app| {
        let document = app.get_ok("/openapi.json").await;
        for (method, path, _) in v1_operations("{id}", "{record}") {
            let template = path
                .split('?')
                .next()
                .unwrap()
                .replace("/acme/", "/{org}/")
                .replace("/p1/", "/{project}/")
                .replace("/ai_features", "/{feature}")
                .replace("/contract_end", "/{event}")
                .replace("/preferences/channel/email", "/preferences/{kind}/{name}");
            let operation = &document["paths"][&template][method.as_str().to_lowercase()];
            assert!(
                operation.is_object(),
                "{method} {template} is not documented"
            );
            assert_eq!(operation["security"], json!([{"bearer": []}]), "{template}");
            assert!(
                operation["responses"]["401"]["content"]["application/problem+json"].is_object(),
                "{method} {template}"
            );
            if method != Method::GET {
                assert!(
                    operation["requestBody"]["content"]["application/json"]["schema"].is_object(),
                    "{method} {template}"
                );
            }
        }
        let decisions = &document["paths"]["/v1/decisions"]["get"];
        let parameters: Vec<&str> = decisions["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        assert_eq!(
            parameters,
            [
                "subject",
                "purpose",
                "category",
                "channel",
                "organisation",
                "project",
                "role",
                "recipient"
            ]
        );
        // The public notice pages: no token, HTML; the history also as JSON. Their `lang` is
        // one of the register's language words, spelled out where the parameter is.
        for path in ["/privacy", "/privacy/versions", "/privacy/versions/{version}"] {
            let operation = &document["paths"][path]["get"];
            let lang = operation["parameters"]
                .as_array()
                .unwrap()
                .iter()
                .find(|p| p["name"] == "lang")
                .unwrap_or_else(|| panic!("GET {path} takes lang: {operation}"));
            assert_eq!(lang["in"], "query", "{lang}");
            assert_eq!(lang["schema"]["enum"], json!(["en", "sv"]), "{lang}");
            assert!(operation.is_object(), "GET {path}");
            assert!(operation.get("security").is_none(), "{operation}");
            assert!(
                operation["responses"]["200"]["content"]["text/html"].is_object(),
                "{path}: {operation}"
            );
        }
        assert_eq!(
            document["paths"]["/privacy/versions"]["get"]["responses"]["200"]["content"]
                ["application/json"]["schema"]["$ref"],
            "#/components/schemas/VersionsResponse"
        );
        assert!(
            document["paths"]["/privacy/versions/{version}"]["get"]["responses"]["404"].is_object()
        );
        // The public unsubscribe pages: no token, HTML, the POST takes a form.
        for method in ["get", "post"] {
            let operation = &document["paths"]["/unsubscribe"][method];
            assert!(operation.is_object(), "{method} /unsubscribe");
            assert!(operation.get("security").is_none(), "{operation}");
            for status in ["200", "422"] {
                assert!(
                    operation["responses"][status]["content"]["text/html"].is_object(),
                    "{method} {status}: {operation}"
                );
            }
        }
        assert!(
            document["paths"]["/unsubscribe"]["post"]["requestBody"]["content"]
                ["application/x-www-form-urlencoded"]["schema"]
                .is_object()
        );
        for schema in [
            "PreferenceResponse",
            "UnsubscribeLinkResponse",
            "DecisionResponse",
            "RecordsResponse",
            "ConsentsResponse",
            "SubjectResponse",
        ] {
            assert!(
                document["components"]["schemas"][schema].is_object(),
                "{schema}"
            );
        }
    })
    .await;
}

// --- Personal data stays out of logs and error bodies -----------------------------------------

#[tokio::test]
async fn personal_data_appears_only_in_the_records_read() {
    // Values that occur nowhere else in this test binary.
    const EMAIL: &str = "pii.canary.7q@example.se";
    const PHONE: &str = "+46709876543";
    const PHONE_NATIONAL: &str = "070-987 65 43";
    const FIELD: &str = "Canary Fieldvalue Xq7";
    const BAD_EMAIL: &str = "pii.canary.bad@@example";
    const USER_AGENT: &str = "CanaryAgent/7.7";
    let secrets = [
        EMAIL,
        PHONE,
        FIELD,
        BAD_EMAIL,
        USER_AGENT,
        "709876543",
        "Xq7",
    ];

    on_each_backend(async |app| {
        let mut bodies: Vec<(String, String)> = Vec::new();
        let mut record = async |label: &str, response: reqwest::Response| -> Value {
            let text = response.text().await.unwrap();
            bodies.push((label.to_owned(), text.clone()));
            serde_json::from_str(&text).unwrap_or(Value::Null)
        };

        let created = record(
            "create subject",
            app.send(
                Method::POST,
                "/v1/subjects",
                Some(&json!({"identities": {"email": EMAIL, "phone": PHONE}})),
            )
            .await,
        )
        .await;
        let subject = created["id"].as_str().unwrap().to_owned();
        let subject = subject.as_str();

        let calls: Vec<(&str, Method, String, Option<Value>)> = vec![
            (
                "duplicate subject",
                Method::POST,
                "/v1/subjects".into(),
                Some(json!({"identities": {"email": EMAIL.to_uppercase(), "phone": PHONE}})),
            ),
            (
                "invalid e-mail",
                Method::POST,
                "/v1/subjects".into(),
                Some(json!({"identities": {"email": BAD_EMAIL}})),
            ),
            (
                "e-mail as a phone",
                Method::POST,
                "/v1/subjects".into(),
                Some(json!({"identities": {"phone": EMAIL}})),
            ),
            (
                "e-mail as a tenant",
                Method::POST,
                "/v1/subjects".into(),
                Some(json!({"identities": {"email": "other@example.se"}, "tenant": EMAIL})),
            ),
            (
                "e-mail as an identity kind",
                Method::POST,
                "/v1/subjects".into(),
                Some(json!({"identities": {EMAIL: PHONE}})),
            ),
            ("find by e-mail", Method::GET, format!("/v1/subjects?email={EMAIL}"), None),
            ("find by phone", Method::GET, format!("/v1/subjects?phone={PHONE_NATIONAL}"), None),
            ("find invalid", Method::GET, format!("/v1/subjects?email={BAD_EMAIL}"), None),
            ("find two", Method::GET, format!("/v1/subjects?email={EMAIL}&phone={PHONE}"), None),
            ("find unknown parameter", Method::GET, format!("/v1/subjects?{EMAIL}=1"), None),
            ("get subject", Method::GET, format!("/v1/subjects/{subject}"), None),
            ("get e-mail as a subject", Method::GET, format!("/v1/subjects/{EMAIL}"), None),
            ("privacy notice", Method::GET, format!("/privacy?lang={EMAIL}"), None),
            ("privacy notice", Method::GET, "/privacy?format=md".into(), None),
            ("version history", Method::GET, format!("/privacy/versions?lang={EMAIL}"), None),
            ("version history", Method::GET, "/privacy/versions?format=json".into(), None),
            ("version history", Method::GET, "/privacy/versions?lang=sv".into(), None),
            ("archived notice", Method::GET, format!("/privacy/versions/{EMAIL}"), None),
            ("archived notice", Method::GET, format!("/privacy/versions/{}?format=md", &app.register.digest[..12]), None),
            ("archived notice", Method::GET, format!("/privacy/versions/{}?format={EMAIL}", &app.register.digest[..12]), None),
            ("art30 record", Method::GET, format!("/v1/register/record?format={EMAIL}"), None),
            ("art30 record", Method::GET, "/v1/register/record?format=csv".into(), None),
            (
                "add record",
                Method::POST,
                format!("/v1/subjects/{subject}/records"),
                Some(json!({"category": "contact", "fields": {"name": FIELD, "email": EMAIL, "phone": PHONE},
                            "source": "data_subject", "purpose": "delivery"})),
            ),
            (
                "add record with a value in the wrong place",
                Method::POST,
                format!("/v1/subjects/{subject}/records"),
                Some(json!({"category": EMAIL, "fields": {"name": FIELD}, "source": PHONE, "purpose": "delivery"})),
            ),
            (
                "add record with a value as a date",
                Method::POST,
                format!("/v1/subjects/{subject}/records"),
                Some(json!({"category": "contact", "fields": {"name": FIELD}, "source": "data_subject",
                            "purpose": "delivery", "collected_at": EMAIL})),
            ),
            (
                "add record with a list value",
                Method::POST,
                format!("/v1/subjects/{subject}/records"),
                Some(json!({"category": "contact", "fields": {"name": [FIELD]}, "source": "data_subject",
                            "purpose": "delivery"})),
            ),
            (
                "add record denied",
                Method::POST,
                format!("/v1/subjects/{subject}/records"),
                Some(json!({"category": "contact", "fields": {"email": EMAIL}, "source": "data_subject",
                            "purpose": "newsletter"})),
            ),
            (
                "read records with a value as the purpose",
                Method::GET,
                format!("/v1/subjects/{subject}/records?purpose={EMAIL}"),
                None,
            ),
            (
                "anchor with a value as the time",
                Method::PUT,
                format!("/v1/subjects/{subject}/records/{subject}/anchors/contract_end"),
                Some(json!({"at": PHONE})),
            ),
            (
                "consent",
                Method::POST,
                "/v1/consents".into(),
                Some(json!({"subject": subject, "purpose": "newsletter", "granted": true, "method": "banner"})),
            ),
            (
                "consent with a value as the method",
                Method::POST,
                "/v1/consents".into(),
                Some(json!({"subject": subject, "purpose": "newsletter", "granted": true, "method": EMAIL})),
            ),
            (
                "consent with a value as the subject",
                Method::POST,
                "/v1/consents".into(),
                Some(json!({"subject": EMAIL, "purpose": "newsletter", "granted": true, "method": "api"})),
            ),
            ("consents", Method::GET, format!("/v1/subjects/{subject}/consents"), None),
            (
                "objection with a value as the purpose",
                Method::POST,
                format!("/v1/subjects/{subject}/objections"),
                Some(json!({"purpose": EMAIL, "objected": true})),
            ),
            (
                "decision with values",
                Method::GET,
                format!("/v1/decisions?subject={subject}&purpose=marketing&category=contact&channel={PHONE}"),
                None,
            ),
            (
                "decision with a value as the subject",
                Method::GET,
                format!("/v1/decisions?subject={EMAIL}&purpose=marketing&category=contact"),
                None,
            ),
            (
                "feature with a value as the organisation",
                Method::PUT,
                format!("/v1/organisations/{EMAIL}/features/ai_features"),
                Some(json!({"enabled": true})),
            ),
            (
                "feature with a value as the feature",
                Method::GET,
                format!("/v1/organisations/acme/features/{EMAIL}"),
                None,
            ),
            (
                "preference",
                Method::PUT,
                format!("/v1/subjects/{subject}/preferences/channel/email"),
                Some(json!({"opted_in": true})),
            ),
            (
                "preference with a value as the name",
                Method::PUT,
                format!("/v1/subjects/{subject}/preferences/interest/{EMAIL}"),
                Some(json!({"opted_in": false})),
            ),
            (
                "preference with a value as the kind",
                Method::PUT,
                format!("/v1/subjects/{subject}/preferences/{PHONE}/email"),
                Some(json!({"opted_in": false})),
            ),
            (
                "unsubscribe link with a value as the channel",
                Method::GET,
                format!("/v1/subjects/{subject}/unsubscribe-link?channel={EMAIL}"),
                None,
            ),
            (
                "unsubscribe page with a value as the token",
                Method::GET,
                format!("/unsubscribe?token={EMAIL}"),
                None,
            ),
            (
                "broken JSON",
                Method::POST,
                "/v1/subjects".into(),
                None,
            ),
        ];
        for (label, method, path, body) in calls {
            let response = if label == "broken JSON" {
                app.client
                    .post(app.url(&path))
                    .bearer_auth(&app.admin_token)
                    .header(CONTENT_TYPE, "application/json")
                    .header("user-agent", USER_AGENT)
                    .body(format!("{{\"identities\": {{\"email\": \"{EMAIL}\" {FIELD}"))
                    .send()
                    .await
                    .unwrap()
            } else {
                let mut request = app
                    .client
                    .request(method, app.url(&path))
                    .bearer_auth(&app.admin_token)
                    .header("user-agent", USER_AGENT);
                if let Some(body) = &body {
                    request = request.json(body);
                }
                request.send().await.unwrap()
            };
            record(label, response).await;
        }
        // The unsubscribe link and its public pages, without a token.
        let link = record(
            "unsubscribe link",
            app.get(
                &format!("/v1/subjects/{subject}/unsubscribe-link?channel=email"),
                Some(&app.admin_token),
            )
            .await,
        )
        .await;
        let path = link["path"].as_str().unwrap().to_owned();
        let token = link["token"].as_str().unwrap().to_owned();
        let page = app.client.get(app.url(&path)).header("user-agent", USER_AGENT).send();
        record("unsubscribe page", page.await.unwrap()).await;
        for (label, body) in [
            ("unsubscribe", format!("token={token}")),
            ("unsubscribe with a value as the token", format!("token={EMAIL}")),
        ] {
            let response = app
                .client
                .post(app.url("/unsubscribe"))
                .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header("user-agent", USER_AGENT)
                .body(body)
                .send()
                .await
                .unwrap();
            record(label, response).await;
        }
        let read = record(
            "read records",
            app.get(
                &format!("/v1/subjects/{subject}/records?purpose=delivery"),
                Some(&app.admin_token),
            )
            .await,
        )
        .await;
        // The one place the values come back: the records read under an allowed purpose.
        let fields = &read["records"][0]["fields"];
        assert_eq!(fields["name"], FIELD, "{}: {read}", app.backend);
        assert_eq!(fields["email"], EMAIL);

        for (label, body) in &bodies {
            if label == "read records" {
                continue;
            }
            for secret in secrets {
                assert!(
                    !body.to_lowercase().contains(&secret.to_lowercase()),
                    "{}: {label} repeats {secret}: {body}",
                    app.backend
                );
            }
        }
    })
    .await;

    let log = captured_log();
    assert!(
        log.contains("skydd_server::access"),
        "the log was not captured"
    );
    for secret in secrets {
        assert!(
            !log.to_lowercase().contains(&secret.to_lowercase()),
            "the log contains {secret}"
        );
    }
}

/// Every byte the database holds: the SQLite files, or every row of every table of the
/// PostgreSQL schema as JSON (a dump in all but format).
async fn database_contents(app: &TestApp) -> Vec<u8> {
    match &app.postgres_schema {
        None => ["", "-wal"]
            .iter()
            .filter_map(|suffix| {
                std::fs::read(app._data.path().join(format!("skydd.db{suffix}"))).ok()
            })
            .flatten()
            .collect(),
        Some((url, schema)) => {
            use sqlx::{Connection as _, Row as _};
            let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
            let tables: Vec<String> = sqlx::query_scalar(
                "SELECT table_name::text FROM information_schema.tables WHERE table_schema = $1",
            )
            .bind(schema)
            .fetch_all(&mut conn)
            .await
            .unwrap();
            let mut bytes = Vec::new();
            for table in tables {
                let sql =
                    format!("SELECT row_to_json(t)::text AS row FROM \"{schema}\".\"{table}\" t");
                for row in sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                    .fetch_all(&mut conn)
                    .await
                    .unwrap()
                {
                    bytes.extend(row.get::<String, _>("row").into_bytes());
                }
            }
            conn.close().await.unwrap();
            bytes
        }
    }
}

#[tokio::test]
async fn values_written_through_the_api_are_never_stored_in_plaintext() {
    // Issue 3: "a test writes known values through the API and searches the database file and a
    // dump for them".
    on_each_backend(async |app| {
        let email = "karin.lindqvist-berg@example.se";
        let name = "Karin Lindqvist-Berg";
        let user_agent = "KarinsWebbläsare/3.14";
        let created = app
            .post_ok("/v1/subjects", json!({"identities": {"email": email, "phone": "070-987 65 43"}}), StatusCode::CREATED)
            .await;
        let subject = created["id"].as_str().unwrap().to_string();
        app.post_ok(
            &format!("/v1/subjects/{subject}/records"),
            json!({"category": "contact", "purpose": "delivery", "source": "data_subject",
                   "fields": {"name": name, "email": email, "phone": "+46709876543"}}),
            StatusCode::CREATED,
        )
        .await;
        let consent = app
            .client
            .post(app.url("/v1/consents"))
            .bearer_auth(&app.admin_token)
            .header("User-Agent", user_agent)
            .json(&json!({"subject": subject, "purpose": "newsletter", "granted": true, "method": "web_form"}))
            .send()
            .await
            .unwrap();
        assert_eq!(consent.status(), StatusCode::CREATED, "{}", app.backend);
        let read = app.get_ok(&format!("/v1/subjects/{subject}/records?purpose=delivery")).await;
        assert_eq!(read["records"][0]["fields"]["name"], name, "the values are there, encrypted");

        let contents = String::from_utf8_lossy(&database_contents(app).await).to_lowercase();
        assert!(contents.contains(&subject), "{}: the scan reads the stored rows", app.backend);
        for value in [email, name, user_agent, "709876543", "lindqvist", "karin"] {
            assert!(!contents.contains(&value.to_lowercase()), "{}: `{value}` is stored in plaintext", app.backend);
        }
    })
    .await;
}

// --- The privacy notice and the Art. 30 record ---------------------------------------------------

#[tokio::test]
async fn the_privacy_notice_is_public_and_written_from_the_loaded_register() {
    use skydd_register::model::Language;
    on_each_backend(async |app| {
        let register = &app.register.register;
        let response = app.get("/privacy", None).await;
        assert_eq!(response.status(), StatusCode::OK, "{}", app.backend);
        let headers = response.headers().clone();
        assert_eq!(headers[CONTENT_TYPE], "text/html; charset=utf-8");
        assert_eq!(headers["content-language"], "en");
        assert_eq!(headers["vary"], "Accept-Language");
        // P000-03: the public notice names the version `GET /v1/register` serves.
        assert_eq!(
            headers["skydd-register-digest"],
            app.register.digest.as_str()
        );
        let body = response.text().await.unwrap();
        // The notice, with links to its version history (P001-04).
        let paths = skydd_notice::NoticePaths::under("/privacy");
        let mut notice = skydd_notice::notice(register, Language::En);
        skydd_notice::link_history(&mut notice, &paths);
        skydd_notice::link_privacy_centre(&mut notice, "/privacy-centre");
        assert_eq!(body, notice.to_html());
        assert_ne!(body, skydd_notice::render_html(register, Language::En));
        let etag = headers["etag"].to_str().unwrap().to_owned();
        assert!(etag.contains(&app.register.digest), "{etag}");
        let response = app
            .client
            .get(app.url("/privacy"))
            .header("If-None-Match", &etag)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::NOT_MODIFIED);
        assert!(response.text().await.unwrap().is_empty());
        assert!(body.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"));
        assert!(!body.contains("<script"));

        // The test register publishes in English only: Accept-Language alone keeps English ...
        let response = app
            .client
            .get(app.url("/privacy"))
            .header("Accept-Language", "sv-SE, sv;q=0.9, en;q=0.5")
            .send()
            .await
            .unwrap();
        assert_eq!(response.headers()["content-language"], "en");
        // ... while `?lang=sv` asks for Swedish, with English where the register has no Swedish.
        let response = app.get("/privacy?lang=sv&format=md", None).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            response.headers()[CONTENT_TYPE],
            "text/markdown; charset=utf-8"
        );
        assert_eq!(response.headers()["content-language"], "sv");
        let body = response.text().await.unwrap();
        let mut notice = skydd_notice::notice(register, Language::Sv);
        skydd_notice::link_history(&mut notice, &paths);
        skydd_notice::link_privacy_centre(&mut notice, "/privacy-centre");
        assert_eq!(body, notice.to_markdown());
        assert!(
            body.contains("[Versionshistorik](</privacy/versions?lang=sv>)"),
            "{body}"
        );
        assert!(body.contains("## Dina rättigheter"));
        assert!(body.contains("Contact details"), "English fallback");

        for bad in ["/privacy?lang=de", "/privacy?format=pdf"] {
            let body = problem(
                app.get(bad, None).await,
                StatusCode::BAD_REQUEST,
                app.backend,
            )
            .await;
            assert_eq!(
                body["type"], "https://skydd.dev/problems/invalid-query",
                "{bad}: {body}"
            );
        }
    })
    .await;
}

#[tokio::test]
async fn the_art30_record_is_served_as_json_csv_and_html() {
    use skydd_register::model::Language;
    on_each_backend(async |app| {
        let register = &app.register.register;
        let expected = skydd_notice::record(register, Language::En);
        let json = app.get_ok("/v1/register/record").await;
        assert_eq!(json, expected.to_json());
        assert_eq!(json["digest"], app.register.digest.as_str());
        assert_eq!(
            json["activities"].as_array().unwrap().len(),
            register.purposes.len()
        );
        assert_eq!(json["activities"][0]["id"], "delivery");

        let response = app
            .get("/v1/register/record?format=csv", Some(&app.admin_token))
            .await;
        assert_eq!(response.status(), StatusCode::OK, "{}", app.backend);
        assert_eq!(
            response.headers()[CONTENT_TYPE],
            "text/csv; charset=utf-8; header=present"
        );
        assert_eq!(
            response.text().await.unwrap(),
            expected.to_csv(Language::En)
        );

        let response = app
            .client
            .get(app.url("/v1/register/record?lang=sv"))
            .bearer_auth(&app.admin_token)
            .header("Accept", "text/html")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()[CONTENT_TYPE], "text/html; charset=utf-8");
        let sv = skydd_notice::record(register, Language::Sv);
        assert_eq!(
            response.text().await.unwrap(),
            sv.to_html(register, Language::Sv)
        );

        let body = problem(
            app.get("/v1/register/record?format=xml", Some(&app.admin_token))
                .await,
            StatusCode::BAD_REQUEST,
            app.backend,
        )
        .await;
        assert_eq!(body["type"], "https://skydd.dev/problems/invalid-query");
    })
    .await;
}

#[tokio::test]
async fn the_audit_trail_is_served_to_admins_and_auditors_page_by_page() {
    on_each_backend(async |app| {
        let anna = app
            .create_subject(json!({"email": "audit.anna@example.se"}))
            .await;
        let bo = app
            .create_subject(json!({"email": "audit.bo@example.se"}))
            .await;
        app.create_record(&anna, contact_record("delivery")).await;
        app.get_ok(&format!("/v1/subjects/{anna}/records?purpose=delivery"))
            .await;
        let auditor = app.issue(Scope::Role(StaffRole::Auditor)).await;

        // Anna's entries, two per page, by an auditor.
        let mut seen = Vec::new();
        let mut path = format!("/v1/audit?subject={anna}&limit=2");
        loop {
            let response = app.get(&path, Some(auditor.secret())).await;
            let page = json_body(response, StatusCode::OK, app.backend).await;
            for entry in page["entries"].as_array().unwrap() {
                assert_eq!(
                    entry["subject_id"],
                    anna.as_str(),
                    "{}: {page}",
                    app.backend
                );
                assert_eq!(entry["hash"].as_str().unwrap().len(), 64);
                seen.push(entry["action"].as_str().unwrap().to_owned());
            }
            match page["next"].as_str() {
                Some(cursor) => path = format!("/v1/audit?subject={anna}&limit=2&cursor={cursor}"),
                None => break,
            }
        }
        // The first page's read is about Anna too, and shows on the second page.
        assert_eq!(
            seen,
            [
                "subject.create",
                "record.create",
                "records.read",
                "audit.read"
            ],
            "{}",
            app.backend
        );

        // Everything, with the reads of the trail itself recorded.
        let all = app.get_ok("/v1/audit?limit=1000").await;
        let entries = all["entries"].as_array().unwrap();
        assert!(entries.iter().any(|e| e["subject_id"] == bo.as_str()));
        let reads: Vec<&Value> = entries
            .iter()
            .filter(|e| e["action"] == "audit.read")
            .collect();
        assert_eq!(
            reads.len(),
            2,
            "{}: the auditor's pages were recorded",
            app.backend
        );
        assert_eq!(reads[0]["actor"], auditor.id.to_string());
        let body = all.to_string().to_lowercase();
        for value in ["audit.anna@example.se", "anna andersson", "a@example.se"] {
            assert!(
                !body.contains(value),
                "{}: `{value}` in the audit trail",
                app.backend
            );
        }

        let empty = app.get_ok("/v1/audit?from=2999-01-01T00:00:00Z").await;
        assert_eq!(empty, json!({"entries": [], "next": null}));
        for bad in [
            "limit=0",
            "limit=1001",
            "cursor=abc",
            "cursor=-1",
            "from=yesterday",
        ] {
            let response = app
                .get(&format!("/v1/audit?{bad}"), Some(&app.admin_token))
                .await;
            let problem = problem(response, StatusCode::BAD_REQUEST, app.backend).await;
            assert!(!problem.to_string().contains("yesterday"), "{problem}");
        }
    })
    .await;
}
