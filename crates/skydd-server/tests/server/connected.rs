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

    /// The datasets a server reaching the shop is given.
    pub(crate) fn datasets(&self) -> Datasets {
        Datasets::from_checked(vec![LoadedDataset {
            dataset: self.dataset.clone(),
            path: self.dir.path().join("fides-example.yaml"),
        }])
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

        let auditor = app.issue(skydd_crypto::Role::Auditor).await;
        let answer = app.get("/v1/datasets", Some(auditor.secret())).await;
        assert_eq!(answer.status(), StatusCode::OK);
        let metrics = app.issue(skydd_crypto::Role::Metrics).await;
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
