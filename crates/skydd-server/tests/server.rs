//! The server from the outside: a real server on 127.0.0.1:0 per test, talking HTTP, on a fresh
//! SQLite database and, when `SKYDD_TEST_DATABASE_URL` is set, on a fresh PostgreSQL schema too.

// Helpers outside `#[test]` functions are test code too: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::hash::{BuildHasher, RandomState};
use std::io::Write;
use std::sync::{Arc, Once};

use reqwest::StatusCode;
use reqwest::header::{ALLOW, CONTENT_TYPE, WWW_AUTHENTICATE};
use serde_json::Value;
use skydd_crypto::{ApiToken, Role};
use skydd_server::{AppState, FixedClock, LoadedRegister, tokens};
use skydd_storage::{Location, Storage};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A small register that passes `check`: one of everything that is required.
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
  - id: customer
    name: Customers
sources:
  - id: data_subject
    kind: data_subject
    name: You
data:
  - id: contact_basic
    name: Basic contact information
    provided_by_subject: true
    fields: [name, {id: email, format: email}]
purposes:
  - id: customer_service
    name: Customer service
    role: controller
    subjects: [customer]
    sources: [data_subject]
    legal_basis:
      contact_basic: contract
retention:
  - id: contact_basic
    category: contact_basic
    after: contract_end
    keep: 24 months
security:
  - id: encryption_at_rest
    kind: technical
    description: Personal data is encrypted at rest.
rights:
  contact: {email: privacy@example.se}
  response_time: 1 month
  extension: 2 months
  copies: {free: 1, per: 12 months, further: fee}
  identity_verification: [email_code]
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

/// A running server and what a test needs to talk to it.
struct TestApp {
    backend: &'static str,
    address: String,
    client: reqwest::Client,
    /// An admin token, valid until a test revokes it.
    admin_token: String,
    storage: Arc<dyn Storage>,
    register: LoadedRegister,
    now: jiff::Timestamp,
    shutdown: oneshot::Sender<()>,
    server: JoinHandle<std::io::Result<()>>,
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

    async fn issue(&self, role: Role) -> ApiToken {
        tokens::issue(&*self.storage, role, "test", self.now)
            .await
            .unwrap()
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
    let data = tempfile::tempdir().unwrap();
    let postgres_schema = match backend {
        Backend::Sqlite => None,
        Backend::Postgres(url) => Some((url.clone(), random_schema())),
    };
    let storage = match &postgres_schema {
        None => skydd_storage::open(&Location::Sqlite(data.path().join("skydd.db")))
            .await
            .unwrap(),
        Some((url, schema)) => skydd_storage::open_postgres_in_schema(url, schema)
            .await
            .unwrap(),
    };

    let checked = skydd_register::check(TEST_REGISTER);
    let register = checked
        .register
        .unwrap_or_else(|| panic!("test register is invalid: {:#?}", checked.diagnostics));
    let register = LoadedRegister::new(register, "test register");
    let now: jiff::Timestamp = "2026-03-01T09:00:00Z".parse().unwrap();
    register.record(&*storage, now).await.unwrap();
    let admin = tokens::issue(&*storage, Role::Admin, "test admin", now)
        .await
        .unwrap();

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    let state = AppState::new(storage.clone(), register.clone(), Arc::new(FixedClock(now)));
    let (shutdown, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(skydd_server::serve(listener, state, async {
        let _ = stopped.await;
    }));

    TestApp {
        backend: backend.name(),
        address,
        client: reqwest::Client::new(),
        admin_token: admin.secret().to_owned(),
        storage,
        register,
        now,
        shutdown,
        server,
        postgres_schema,
        _data: data,
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
async fn healthz_is_unavailable_when_the_database_is_gone() {
    on_each_backend(async |app| {
        app.storage.close().await.unwrap();
        let body = problem(
            app.get("/healthz", None).await,
            StatusCode::SERVICE_UNAVAILABLE,
            app.backend,
        )
        .await;
        insta::assert_json_snapshot!("unavailable", body);
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
        let token = app.issue(Role::Auditor).await;
        let response = app.get("/v1/register", Some(token.secret())).await;
        assert_eq!(response.status(), StatusCode::OK, "{}", app.backend);

        assert!(app.storage.revoke_token(&token.id, app.now).await.unwrap());
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
        let auditor = app.issue(Role::Auditor).await;
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
