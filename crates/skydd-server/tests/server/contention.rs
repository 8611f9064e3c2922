//! Contention is an answer, not a crash (issue 14): a SQLite write lock held by another process
//! longer than the busy timeout is a 503 problem with `Retry-After`, and the next write after it
//! is released succeeds. Two servers on one SQLite data directory both write and read.

use std::sync::Arc;
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::RETRY_AFTER;
use serde_json::json;
use skydd_app::{App, FixedClock};
use skydd_crypto::Keyring;
use skydd_server::AppState;
use skydd_storage::{Location, OpenOptions};
use sqlx::Connection;
use tokio::sync::oneshot;

use super::{Backend, json_body, problem, spawn_app_with};

/// A short busy timeout, so that the test waits little.
const BUSY: OpenOptions = OpenOptions {
    durability: skydd_storage::Durability::PowerLoss,
    busy_timeout: Duration::from_millis(200),
};

/// A connection of "another process" to the server's SQLite file.
async fn other_process(app: &super::TestApp) -> sqlx::SqliteConnection {
    let path = app._data.path().join("skydd.db");
    sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap()
}

#[tokio::test]
async fn a_write_lock_held_beyond_the_busy_timeout_is_a_503_with_retry_after() {
    let app = spawn_app_with(
        &Backend::Sqlite,
        "2026-03-01T09:00:00Z".parse().unwrap(),
        &BUSY,
        tempfile::tempdir().unwrap(),
    )
    .await;
    let mut other = other_process(&app).await;
    sqlx::raw_sql("BEGIN IMMEDIATE")
        .execute(&mut other)
        .await
        .unwrap();

    let subject = json!({"identities": {"email": "busy@example.se"}});
    let response = app
        .send(reqwest::Method::POST, "/v1/subjects", Some(&subject))
        .await;
    let retry_after = response.headers().get(RETRY_AFTER).cloned();
    let body = problem(response, StatusCode::SERVICE_UNAVAILABLE, "sqlite").await;
    assert_eq!(retry_after.unwrap(), "1");
    assert_eq!(body["type"], "https://skydd.dev/problems/busy", "{body}");
    assert!(body["detail"].as_str().unwrap().contains("busy"), "{body}");
    let text = body.to_string();
    for internal in ["locked", "code", "SQLITE", "insert", "subjects"] {
        assert!(!text.contains(internal), "{internal} in {body}");
    }

    sqlx::raw_sql("ROLLBACK").execute(&mut other).await.unwrap();
    app.post_ok("/v1/subjects", subject, StatusCode::CREATED)
        .await;
    other.close().await.unwrap();
    app.stop().await;
}

#[tokio::test]
async fn two_servers_on_one_sqlite_data_directory_both_write_and_read() {
    let first = spawn_app_with(
        &Backend::Sqlite,
        "2026-03-01T09:00:00Z".parse().unwrap(),
        &BUSY,
        tempfile::tempdir().unwrap(),
    )
    .await;
    // A second server: its own storage (its own connections, as another process has), the
    // same database file and master key.
    let storage = skydd_storage::open_with(
        &Location::Sqlite(first._data.path().join("skydd.db")),
        &OpenOptions::default(),
    )
    .await
    .unwrap();
    let (keyring, created) = Keyring::load_or_create(&first.key_file).unwrap();
    assert!(!created);
    let state = AppState::new(
        App::new(
            storage.clone(),
            Arc::new(keyring),
            first.register.clone(),
            Arc::new(FixedClock(first.now)),
        )
        .with_key_file(&first.key_file),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let second = format!("http://{}", listener.local_addr().unwrap());
    let (shutdown, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(skydd_server::serve(listener, state, async {
        let _ = stopped.await;
    }));

    let post = |base: String, email: &'static str| {
        let client = first.client.clone();
        let token = first.admin_token.clone();
        async move {
            let response = client
                .post(format!("{base}/v1/subjects"))
                .bearer_auth(token)
                .json(&json!({"identities": {"email": email}}))
                .send()
                .await
                .unwrap();
            json_body(response, StatusCode::CREATED, "sqlite").await["id"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    let get = |base: String, id: String| {
        let client = first.client.clone();
        let token = first.admin_token.clone();
        async move {
            let response = client
                .get(format!("{base}/v1/subjects/{id}"))
                .bearer_auth(token)
                .send()
                .await
                .unwrap();
            json_body(response, StatusCode::OK, "sqlite").await
        }
    };
    // Concurrent writes on both servers, then each reads what the other wrote.
    let (a, b) = tokio::join!(
        post(first.address.clone(), "a@example.se"),
        post(second.clone(), "b@example.se"),
    );
    assert_eq!(get(second.clone(), a.clone()).await["id"], a.as_str());
    assert_eq!(
        get(first.address.clone(), b.clone()).await["id"],
        b.as_str()
    );

    shutdown.send(()).unwrap();
    server.await.unwrap().unwrap();
    storage.close().await.unwrap();
    first.stop().await;
}
