//! Connected databases in the running server (issue 16): `/v1/datasets`, and the access package
//! read live from ethyca/fides' example shop in a SQLite file, served with the GleSYS register
//! the example dataset is written for.

use std::os::unix::fs::PermissionsExt as _;
use std::str::FromStr as _;

use reqwest::StatusCode;
use serde_json::Value;
use skydd_app::datasets::{Datasets, LoadedDataset};
use sqlx::ConnectOptions as _;

use super::{Backend, TestApp, backends, problem, spawn_app_serving};

const GLESYS: &str = include_str!("../../../../examples/registers/glesys.yaml");
const FIDES_DATASET: &str = include_str!("../../../../examples/datasets/fides-example.yaml");
const FIDES_SQLITE: &str = include_str!("../../../skydd-connect/tests/connect/sqlite.sql");
const FIDES_POSTGRES: &str = include_str!("../../../skydd-connect/tests/connect/postgres.sql");
const FIDES_MARIADB: &str = include_str!("../../../skydd-connect/tests/connect/mariadb.sql");

/// The example shop in a SQLite file, the file holding its URL (owner-only), and the dataset
/// adapted to them.
pub(crate) struct Shop {
    pub(crate) dir: tempfile::TempDir,
    pub(crate) dataset: skydd_dataset::Dataset,
}

impl Shop {
    /// A fresh copy of the shop, loaded from the fixture.
    pub(crate) async fn new() -> Shop {
        let dir = tempfile::tempdir().unwrap();
        let database = dir.path().join("shop.db");
        let url = format!("sqlite://{}", database.display());
        let mut conn = sqlx::sqlite::SqliteConnectOptions::from_str(&url)
            .unwrap()
            .create_if_missing(true)
            .connect()
            .await
            .unwrap();
        sqlx::raw_sql(FIDES_SQLITE)
            .execute(&mut conn)
            .await
            .unwrap();
        drop(conn);
        let url_file = dir.path().join("shop.url");
        std::fs::write(&url_file, &url).unwrap();
        std::fs::set_permissions(&url_file, std::fs::Permissions::from_mode(0o600)).unwrap();
        let source = dataset_source(&url_file);
        let checked = skydd_dataset::check(&source, Some(&glesys()));
        let dataset = checked
            .dataset
            .unwrap_or_else(|| panic!("{:#?}", checked.diagnostics));
        Shop { dir, dataset }
    }

    /// [`Shop::new`] with a `support_note` table of free text (issue 21): note 1 is filed under
    /// customer 2 and quotes customer 1's e-mail address beside someone else's; note 2 is
    /// customer 1's own.
    pub(crate) async fn with_notes() -> Shop {
        let mut shop = Shop::new().await;
        let url = format!("sqlite://{}", shop.dir.path().join("shop.db").display());
        let mut conn = sqlx::sqlite::SqliteConnectOptions::from_str(&url)
            .unwrap()
            .connect()
            .await
            .unwrap();
        sqlx::raw_sql(
            "CREATE TABLE support_note (id INTEGER PRIMARY KEY, author_id INTEGER, body TEXT);
             INSERT INTO support_note VALUES
               (1, 2, 'Please copy customer-1@example.com and jane@example.org on this.'),
               (2, 1, 'My own question.');",
        )
        .execute(&mut conn)
        .await
        .unwrap();
        drop(conn);
        let source = dataset_source(&shop.dir.path().join("shop.url"))
            + "
  - name: support_note
    primary_key: id
    fields:
      - name: id
      - name: author_id
        references:
          - {field: customer.id, direction: from}
      - {name: body, category: support_ticket, free_text: true, erase: null}
";
        let checked = skydd_dataset::check(&source, Some(&glesys()));
        shop.dataset = checked
            .dataset
            .unwrap_or_else(|| panic!("{:#?}", checked.diagnostics));
        shop
    }

    /// The datasets a server reaching the shop is given.
    pub(crate) fn datasets(&self) -> Datasets {
        Datasets::from_checked(vec![LoadedDataset {
            dataset: self.dataset.clone(),
            path: self.dir.path().join("fides-example.yaml"),
        }])
    }
}

/// The example shop in a database of its own on a PostgreSQL or MariaDB server (dropped by
/// [`ServerShop::finish`]).
pub(crate) struct ServerShop {
    kind: skydd_dataset::DatabaseKind,
    admin: String,
    name: String,
    /// The shop database's URL.
    pub(crate) url: String,
    pub(crate) shop: Shop,
}

impl ServerShop {
    /// A fresh database on the server `admin` names (`kind`: postgres or mysql), loaded with
    /// the shop, and the example dataset adapted to it.
    pub(crate) async fn new(kind: skydd_dataset::DatabaseKind, admin: &str) -> ServerShop {
        use skydd_dataset::DatabaseKind;
        let name = format!(
            "skydd_connected_{}",
            super::random_schema().rsplit('_').next().unwrap()
        );
        let force = if kind == DatabaseKind::Postgres {
            " WITH (FORCE)"
        } else {
            ""
        };
        run_sql(
            kind,
            admin,
            &format!("DROP DATABASE IF EXISTS {name}{force}"),
        )
        .await;
        run_sql(kind, admin, &format!("CREATE DATABASE {name}")).await;
        let (base, query) = admin.split_once('?').unwrap_or((admin, ""));
        let base = &base[..base.rfind('/').unwrap()];
        let url = if query.is_empty() {
            format!("{base}/{name}")
        } else {
            format!("{base}/{name}?{query}")
        };
        let (fixture, source) = match kind {
            DatabaseKind::Mysql => (
                FIDES_MARIADB,
                FIDES_DATASET
                    .replace("kind: postgres", "kind: mysql")
                    .replace("    schema: public\n", ""),
            ),
            _ => (FIDES_POSTGRES, FIDES_DATASET.to_owned()),
        };
        run_sql(kind, &url, fixture).await;
        let dir = tempfile::tempdir().unwrap();
        let url_file = dir.path().join("shop.url");
        std::fs::write(&url_file, &url).unwrap();
        std::fs::set_permissions(&url_file, std::fs::Permissions::from_mode(0o600)).unwrap();
        let source = source.replace(
            "  env: FIDES_EXAMPLE_DATABASE_URL",
            &format!("  file: {}", url_file.display()),
        );
        let checked = skydd_dataset::check(&source, Some(&glesys()));
        let dataset = checked
            .dataset
            .unwrap_or_else(|| panic!("{:#?}", checked.diagnostics));
        ServerShop {
            kind,
            admin: admin.to_owned(),
            name,
            url,
            shop: Shop { dir, dataset },
        }
    }

    /// Drop the database.
    pub(crate) async fn finish(self) {
        let force = if self.kind == skydd_dataset::DatabaseKind::Postgres {
            " WITH (FORCE)"
        } else {
            ""
        };
        let drop = format!("DROP DATABASE IF EXISTS {}{force}", self.name);
        run_sql(self.kind, &self.admin, &drop).await;
    }
}

/// Run `sql` (statements, no results) on the PostgreSQL or MariaDB database `url` names.
async fn run_sql(kind: skydd_dataset::DatabaseKind, url: &str, sql: &str) {
    use sqlx::Connection as _;
    let sql = sqlx::AssertSqlSafe(sql.to_owned());
    if kind == skydd_dataset::DatabaseKind::Mysql {
        let mut conn = sqlx::MySqlConnection::connect(url).await.unwrap();
        sqlx::raw_sql(sql).execute(&mut conn).await.unwrap();
        conn.close().await.unwrap();
    } else {
        let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
        sqlx::raw_sql(sql).execute(&mut conn).await.unwrap();
        conn.close().await.unwrap();
    }
}

/// The example dataset for SQLite, its connection read from `url_file`.
fn dataset_source(url_file: &std::path::Path) -> String {
    FIDES_DATASET
        .replace("kind: postgres", "kind: sqlite")
        .replace("    schema: public\n", "")
        .replace("tls:\n", "")
        .replace(
            "  # The example database runs on the same host; a remote one would use `verify-full`.\n  mode: disable\n",
            "",
        )
        .replace(
            "  env: FIDES_EXAMPLE_DATABASE_URL",
            &format!("  file: {}", url_file.display()),
        )
}

fn glesys() -> skydd_register::Register {
    skydd_register::check(GLESYS).register.unwrap()
}

/// A server on `backend` serving the GleSYS register and reaching `datasets`.
pub(crate) async fn spawn_connected(backend: &Backend, datasets: Datasets) -> TestApp {
    spawn_app_serving(
        backend,
        "2026-03-01T09:00:00Z".parse().unwrap(),
        &skydd_storage::OpenOptions::default(),
        tempfile::tempdir().unwrap(),
        GLESYS,
        datasets,
    )
    .await
}

#[tokio::test]
async fn datasets_are_listed_for_staff_without_where_the_secret_is() {
    let shop = Shop::new().await;
    for backend in backends() {
        let app = spawn_connected(&backend, shop.datasets()).await;
        let list = app.get_ok("/v1/datasets").await;
        let one = app.get_ok("/v1/datasets/fides_example").await;
        assert_eq!(list["datasets"][0], one);
        insta::assert_json_snapshot!("dataset_fides_example_sqlite", one);
        let text = list.to_string();
        assert!(!text.contains("shop.url"), "{text}");
        assert!(!text.contains("sqlite://"), "{text}");
        assert_eq!(one["connection"], "file");

        let missing = app
            .get("/v1/datasets/no_such_system", Some(&app.admin_token))
            .await;
        let body = problem(missing, StatusCode::NOT_FOUND, app.backend).await;
        assert!(!body.to_string().contains("no_such_system"), "{body}");

        let auditor = app
            .issue(skydd_staff::permission::Scope::Role(
                skydd_staff::permission::StaffRole::Auditor,
            ))
            .await;
        let answer = app.get("/v1/datasets", Some(auditor.secret())).await;
        assert_eq!(answer.status(), StatusCode::OK);
        let metrics = app.issue(skydd_staff::permission::Scope::Metrics).await;
        let answer = app.get("/v1/datasets", Some(metrics.secret())).await;
        assert_eq!(answer.status(), StatusCode::FORBIDDEN);
        let answer = app.get("/v1/datasets", None).await;
        assert_eq!(answer.status(), StatusCode::UNAUTHORIZED);
        app.stop().await;
    }
}

#[tokio::test]
async fn a_server_without_datasets_lists_none() {
    for backend in backends() {
        let app = super::spawn_app(&backend).await;
        let list: Value = app.get_ok("/v1/datasets").await;
        insta::assert_json_snapshot!("datasets_none", list);
        app.stop().await;
    }
}

#[tokio::test]
async fn the_art30_record_names_the_connected_systems() {
    let shop = Shop::new().await;
    let backend = Backend::Sqlite;
    let app = spawn_connected(&backend, shop.datasets()).await;
    let record = app.get_ok("/v1/register/record").await;
    let invoicing = record["activities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == "invoicing")
        .unwrap();
    insta::assert_json_snapshot!("record_invoicing_systems", invoicing["systems"]);
    let csv = app
        .client
        .get(app.url("/v1/register/record?format=csv"))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        csv.contains("fides_example (The example shop of ethyca/fides"),
        "{csv}"
    );
    app.stop().await;
}

/// A subject with `email`, an access-type request (`kind`) made with it, verified by the code
/// sent: the request's id.
pub(crate) async fn verified_request(app: &TestApp, kind: &str, email: &str) -> String {
    verified_request_with(app, kind, email, serde_json::json!({})).await
}

/// [`verified_request`] with `extra` members in the intake body (an objection's `purpose`).
pub(crate) async fn verified_request_with(
    app: &TestApp,
    kind: &str,
    email: &str,
    extra: Value,
) -> String {
    app.create_subject(serde_json::json!({"email": email}))
        .await;
    let mut body = serde_json::json!({"type": kind, "identity": {"email": email}});
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        body.extend(extra.clone());
    }
    let response = app
        .client
        .post(app.url("/v1/requests"))
        .json(&body)
        .send()
        .await
        .unwrap();
    let receipt = super::json_body(response, StatusCode::ACCEPTED, app.backend).await;
    let id = receipt["id"].as_str().unwrap().to_owned();
    verify_with_code(app, &id).await;
    id
}

/// Verify request `id` with the code the outbox holds for it (asserts that one was sent).
pub(crate) async fn verify_with_code(app: &TestApp, id: &str) {
    let (keyring, _) = skydd_crypto::Keyring::load_or_create(&app.key_file).unwrap();
    let services = skydd_app::App::new(
        app.storage.clone(),
        std::sync::Arc::new(keyring),
        app.register.clone(),
        std::sync::Arc::new(skydd_app::FixedClock(app.now)),
    );
    let outbox = services
        .vault()
        .outbox(&skydd_vault::Actor::new("test"), None, app.now)
        .await
        .unwrap();
    let message = outbox
        .into_iter()
        .find(|m| m.request_id.as_deref() == Some(id) && m.kind == "verification_code")
        .unwrap();
    let code = message
        .text
        .split(|c: char| !c.is_ascii_digit())
        .find(|word| word.len() == 8)
        .unwrap()
        .to_owned();
    let response = app
        .client
        .post(app.url(&format!("/v1/requests/{id}/verify")))
        .json(&serde_json::json!({"code": code}))
        .send()
        .await
        .unwrap();
    let verified = super::json_body(response, StatusCode::OK, app.backend).await;
    assert_eq!(verified["state"], "verified");
}

/// `(collection, field, value)` of every connected value in a JSON package.
fn connected_values(package: &Value) -> Vec<(String, String, String)> {
    package["systems"][0]["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["collection"].as_str().unwrap().to_owned(),
                v["field"].as_str().unwrap().to_owned(),
                v["value"].as_str().unwrap_or("NULL").to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn the_access_package_holds_what_the_connected_sqlite_database_holds() {
    for backend in backends() {
        let shop = Shop::new().await;
        let app = spawn_connected(&backend, shop.datasets()).await;
        let id = verified_request(&app, "access", "customer-1@example.com").await;
        let package = app.get_ok(&format!("/v1/requests/{id}/package")).await;
        assert_eq!(package["data_found"], true);
        let system = &package["systems"][0];
        assert_eq!(system["system"], "fides_example");
        assert_eq!(system["failed"], Value::Null);
        insta::assert_json_snapshot!("access_package_connected_values", system["values"]);
        let values = connected_values(&package);
        assert!(values.contains(&(
            "customer".into(),
            "email".into(),
            "customer-1@example.com".into()
        )));
        assert!(
            !values.iter().any(|(_, _, v)| v.contains("customer-2")),
            "{values:?}"
        );
        // The connected categories are explained like the vault's: retention and purposes.
        let categories: Vec<&str> = package["categories"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap())
            .collect();
        for category in ["customer_identity", "payment_card", "support_ticket"] {
            assert!(categories.contains(&category), "{categories:?}");
        }

        let html = app
            .client
            .get(app.url(&format!("/v1/requests/{id}/package?format=html")))
            .bearer_auth(&app.admin_token)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(html.contains("Your data in our other systems"), "{html}");
        assert!(html.contains("<h3>fides_example</h3>"), "{html}");
        assert!(html.contains("John Customer"), "{html}");
        app.stop().await;
    }
}

#[tokio::test]
async fn the_portability_zip_has_a_csv_per_connected_collection() {
    let shop = Shop::new().await;
    let app = spawn_connected(&Backend::Sqlite, shop.datasets()).await;
    let id = verified_request(&app, "portability", "customer-1@example.com").await;
    let zip = app
        .client
        .get(app.url(&format!("/v1/requests/{id}/package?format=zip")))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .unwrap();
    assert_eq!(zip.status(), StatusCode::OK);
    let bytes = zip.bytes().await.unwrap();
    // Stored (uncompressed): names and contents are readable in the bytes.
    let text = String::from_utf8_lossy(&bytes);
    assert!(
        text.contains("connected/fides_example/customer.csv"),
        "{text}"
    );
    assert!(
        text.contains("row,category,field,value\r\nid=1,customer_identity,id,1\r\n"),
        "{text}"
    );
    assert!(
        text.contains("id=1,customer_identity,email,customer-1@example.com\r\n"),
        "{text}"
    );
    // Invoices are not provided by the subject: not portable.
    assert!(!text.contains("invoice_data"), "{text}");
    app.stop().await;
}

#[tokio::test]
async fn a_database_that_cannot_be_read_is_named_in_the_package_without_url_or_value() {
    let shop = Shop::new().await;
    let app = spawn_connected(&Backend::Sqlite, shop.datasets()).await;
    let id = verified_request(&app, "access", "customer-1@example.com").await;
    // The URL file readable by others: refused before connecting.
    std::fs::set_permissions(
        shop.dir.path().join("shop.url"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    let package = app.get_ok(&format!("/v1/requests/{id}/package")).await;
    let system = &package["systems"][0];
    let reason = system["failed"].as_str().unwrap();
    assert!(system["values"].as_array().unwrap().is_empty());
    assert!(!reason.contains("sqlite://"), "{reason}");
    // The database gone: the reason names no path to it and no value.
    std::fs::set_permissions(
        shop.dir.path().join("shop.url"),
        std::fs::Permissions::from_mode(0o600),
    )
    .unwrap();
    std::fs::remove_file(shop.dir.path().join("shop.db")).unwrap();
    let package = app.get_ok(&format!("/v1/requests/{id}/package")).await;
    let reason = package["systems"][0]["failed"].as_str().unwrap();
    assert!(!reason.contains("shop.db"), "{reason}");
    assert!(!reason.contains("customer-1"), "{reason}");
    // Every line but those of the fixtures' own loading (`INSERT INTO` with literal values).
    let log = super::captured_log();
    for line in log.lines().filter(|l| !l.contains("INSERT INTO")) {
        assert!(!line.contains("customer-1@example.com"), "a value: {line}");
        assert!(!line.contains("sqlite://"), "a connection string: {line}");
    }
    app.stop().await;
}

#[tokio::test]
async fn the_access_package_holds_what_a_connected_postgres_database_holds() {
    let Ok(admin) = std::env::var("SKYDD_TEST_DATABASE_URL") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must run this on PostgreSQL: set SKYDD_TEST_DATABASE_URL"
        );
        eprintln!("note: SKYDD_TEST_DATABASE_URL is not set; the connected PostgreSQL test skips");
        return;
    };
    let postgres = ServerShop::new(skydd_dataset::DatabaseKind::Postgres, &admin).await;
    let sqlite = Shop::new().await;
    let app = spawn_connected(&Backend::Sqlite, postgres.shop.datasets()).await;
    let id = verified_request(&app, "access", "customer-1@example.com").await;
    let package = app.get_ok(&format!("/v1/requests/{id}/package")).await;
    assert_eq!(package["systems"][0]["failed"], Value::Null, "{package}");
    let from_postgres = connected_values(&package);
    app.stop().await;

    // The same rows as the SQLite copy of the shop returns (values as each database renders
    // them as text: compare the rows and fields reached).
    let app = spawn_connected(&Backend::Sqlite, sqlite.datasets()).await;
    let id = verified_request(&app, "access", "customer-1@example.com").await;
    let package = app.get_ok(&format!("/v1/requests/{id}/package")).await;
    let from_sqlite = connected_values(&package);
    app.stop().await;
    let fields = |values: &[(String, String, String)]| {
        values
            .iter()
            .map(|(c, f, _)| format!("{c}.{f}"))
            .collect::<Vec<_>>()
    };
    assert_eq!(fields(&from_postgres), fields(&from_sqlite));
    assert!(from_postgres.contains(&(
        "customer".into(),
        "email".into(),
        "customer-1@example.com".into()
    )));
    postgres.finish().await;
}

/// POST `/v1/requests/{id}/fulfil` with an empty body: the status and the body.
pub(crate) async fn fulfil(app: &TestApp, id: &str) -> (StatusCode, Value) {
    let response = app
        .client
        .post(app.url(&format!("/v1/requests/{id}/fulfil")))
        .bearer_auth(&app.admin_token)
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap())
}

#[tokio::test]
async fn each_system_s_outcome_is_kept_and_a_failed_one_blocks_completion_until_retried() {
    for backend in backends() {
        let shop = Shop::new().await;
        let app = spawn_connected(&backend, shop.datasets()).await;
        let id = verified_request(&app, "access", "customer-1@example.com").await;
        let url_file = shop.dir.path().join("shop.url");
        std::fs::set_permissions(&url_file, std::fs::Permissions::from_mode(0o644)).unwrap();
        let package = app.get_ok(&format!("/v1/requests/{id}/package")).await;
        assert!(package["systems"][0]["failed"].is_string());

        let request = app.get_ok(&format!("/v1/requests/{id}")).await;
        let outcome = &request["systems"][0]["outcomes"][0];
        assert_eq!(request["systems"][0]["system"], "fides_example");
        assert_eq!(outcome["action"], "access");
        assert_eq!(outcome["state"], "failed", "{}", app.backend);
        assert!(outcome["reason"].is_string());
        assert_eq!(request["systems"][0]["covers"], serde_json::json!([]));

        // Never complete with a failed system: refused, and nothing changes.
        let (status, body) = fulfil(&app, &id).await;
        assert_eq!(status, StatusCode::CONFLICT, "{body}");
        assert!(
            body.to_string().contains("fides_example (failed)"),
            "{body}"
        );
        let request = app.get_ok(&format!("/v1/requests/{id}")).await;
        assert_eq!(request["state"], "verified");

        // The system readable again: the next package reads it, the outcome is done.
        std::fs::set_permissions(&url_file, std::fs::Permissions::from_mode(0o600)).unwrap();
        app.get_ok(&format!("/v1/requests/{id}/package")).await;
        let request = app.get_ok(&format!("/v1/requests/{id}")).await;
        let outcome = &request["systems"][0]["outcomes"][0];
        assert_eq!(outcome["state"], "done");
        assert_eq!(outcome["reason"], Value::Null);
        insta::assert_json_snapshot!("access_outcome_receipt", outcome["receipt"]);
        let (status, body) = fulfil(&app, &id).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["state"], "completed");
        app.stop().await;
    }
}

#[tokio::test]
async fn a_restriction_shows_what_it_covers_in_each_connected_system() {
    let shop = Shop::new().await;
    let app = spawn_connected(&Backend::Sqlite, shop.datasets()).await;
    let id = verified_request(&app, "restriction", "customer-1@example.com").await;
    let request = app.get_ok(&format!("/v1/requests/{id}")).await;
    let covers = request["systems"][0]["covers"].as_array().unwrap();
    let named: Vec<String> = covers
        .iter()
        .map(|c| {
            format!(
                "{}.{}: {}",
                c["collection"].as_str().unwrap(),
                c["field"].as_str().unwrap(),
                c["category"].as_str().unwrap()
            )
        })
        .collect();
    assert!(
        named.contains(&"customer.email: customer_identity".to_owned()),
        "{named:?}"
    );
    assert!(
        named.contains(&"payment_card.ccn: payment_card".to_owned())
            || named.iter().any(|n| n.starts_with("payment_card.")),
        "{named:?}"
    );
    assert!(
        request["systems"][0]["outcomes"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    app.stop().await;
}

#[tokio::test]
async fn connected_steps_retry_only_failed_or_pending_systems_and_receipts_are_sealed() {
    use skydd_app::connected::StepOutcome;
    use skydd_vault::SystemAction;
    for backend in backends() {
        let shop = Shop::new().await;
        let mut billing = shop.datasets().all()[0].clone();
        billing.dataset.name = "billing".into();
        let mut both = shop.datasets().all().to_vec();
        both.push(billing);
        let app = spawn_connected(&backend, Datasets::from_checked(both.clone())).await;
        let id = verified_request(&app, "erasure", "customer-1@example.com").await;
        let (keyring, _) = skydd_crypto::Keyring::load_or_create(&app.key_file).unwrap();
        let services = skydd_app::App::new(
            app.storage.clone(),
            std::sync::Arc::new(keyring),
            app.register.clone(),
            std::sync::Arc::new(skydd_app::FixedClock(app.now)),
        )
        .with_datasets(Datasets::from_checked(both));
        let actor = skydd_vault::Actor::new("test");
        // What an erasure step finds the subject's rows with.
        let identities = services
            .vault()
            .verified_identities(&actor, &id, app.now)
            .await
            .unwrap();
        assert_eq!(identities.len(), 1);
        assert_eq!(identities[0].expose(), "customer-1@example.com");
        let response = app
            .client
            .post(app.url("/v1/requests"))
            .json(&serde_json::json!({"type": "erasure", "identity": {"email": "customer-1@example.com"}}))
            .send()
            .await
            .unwrap();
        let unverified = super::json_body(response, StatusCode::ACCEPTED, app.backend).await;
        let refused = services
            .vault()
            .verified_identities(&actor, unverified["id"].as_str().unwrap(), app.now)
            .await;
        assert!(
            matches!(refused, Err(skydd_vault::VaultError::RequestState { .. })),
            "{refused:?}"
        );
        let runs = std::sync::Mutex::new(Vec::new());
        let step = |fail: &'static str| {
            let runs = &runs;
            move |loaded: LoadedDataset| {
                let name = loaded.dataset.name.clone();
                runs.lock().unwrap().push(name.clone());
                async move {
                    if name == fail {
                        StepOutcome::Failed {
                            reason: "SQLSTATE 23502 while erasing customer".into(),
                            receipt: Value::Null,
                        }
                    } else {
                        StepOutcome::Done(serde_json::json!({
                            "collections": [{"collection": "customer", "deleted": 1, "keys": [["pk-sealed-4711"]]}]
                        }))
                    }
                }
            }
        };
        let first = services
            .run_connected_step(&actor, &id, SystemAction::Erasure, app.now, step("billing"))
            .await
            .unwrap();
        let states: Vec<(&str, &str)> = first
            .iter()
            .map(|o| (o.system.as_str(), o.state.as_str()))
            .collect();
        assert_eq!(states, [("billing", "failed"), ("fides_example", "done")]);
        // Not complete while billing failed (the vault alone: fulfilling through the app would
        // run the real erasure step in billing).
        let refused = services
            .vault()
            .fulfil_request(&actor, &id, skydd_vault::FulfilInput::default(), app.now)
            .await;
        assert!(
            matches!(refused, Err(skydd_vault::VaultError::RequestState { .. })),
            "{refused:?}"
        );
        // The rerun runs billing only.
        let second = services
            .run_connected_step(&actor, &id, SystemAction::Erasure, app.now, step("none"))
            .await
            .unwrap();
        assert!(second.iter().all(|o| o.state == "done"));
        assert_eq!(
            *runs.lock().unwrap(),
            ["fides_example", "billing", "billing"].map(String::from),
            "{}",
            app.backend
        );
        // The third run has nothing left to do.
        services
            .run_connected_step(&actor, &id, SystemAction::Erasure, app.now, step("none"))
            .await
            .unwrap();
        assert_eq!(runs.lock().unwrap().len(), 3);
        assert_eq!(
            second[0].receipt["collections"][0]["keys"][0][0],
            "pk-sealed-4711"
        );
        // The receipt's keys are sealed, and left out of the audit: not in the database's bytes.
        let bytes = super::database_contents(&app).await;
        assert!(
            !bytes.windows(14).any(|w| w == b"pk-sealed-4711"),
            "{}: a receipt is stored in plaintext",
            app.backend
        );
        app.stop().await;
    }
}

#[tokio::test]
async fn fulfilling_an_access_request_reads_the_systems_not_read_yet() {
    let shop = Shop::new().await;
    let app = spawn_connected(&Backend::Sqlite, shop.datasets()).await;
    // Unreadable: fulfilling reads it, records the failure and refuses to complete.
    let id = verified_request(&app, "access", "customer-1@example.com").await;
    let url_file = shop.dir.path().join("shop.url");
    std::fs::set_permissions(&url_file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let (status, body) = fulfil(&app, &id).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let request = app.get_ok(&format!("/v1/requests/{id}")).await;
    assert_eq!(request["systems"][0]["outcomes"][0]["state"], "failed");
    // Readable again: the retry reads it and completes.
    std::fs::set_permissions(&url_file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let (status, body) = fulfil(&app, &id).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["state"], "completed");
    let request = app.get_ok(&format!("/v1/requests/{id}")).await;
    assert_eq!(request["systems"][0]["outcomes"][0]["state"], "done");
    app.stop().await;
}

#[tokio::test]
async fn an_objection_covers_the_categories_of_its_purpose_only() {
    let shop = Shop::new().await;
    let app = spawn_connected(&Backend::Sqlite, shop.datasets()).await;
    let id = verified_request_with(
        &app,
        "objection",
        "customer-1@example.com",
        serde_json::json!({"purpose": "support"}),
    )
    .await;
    let request = app.get_ok(&format!("/v1/requests/{id}")).await;
    let covers = request["systems"][0]["covers"].as_array().unwrap();
    assert!(!covers.is_empty(), "{request}");
    assert!(
        covers.iter().all(|c| c["category"] == "support_ticket"),
        "{covers:?}"
    );
    app.stop().await;
}
