//! The storage behaviour suite: every scenario is written once and runs against SQLite (a file
//! in a temporary directory) and PostgreSQL (a fresh schema per test, dropped afterwards).
//!
//! PostgreSQL is found through `SKYDD_TEST_DATABASE_URL`, for example
//! `postgres://postgres@127.0.0.1:5432/test`. Without it the PostgreSQL half is skipped with a
//! note on stderr, except in CI (`CI` set), where it fails.

// The helpers below are test code too: a failing unwrap is a failing test with a good message
// (clippy's allow-unwrap-in-tests covers only `#[test]` functions).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::{Arc, Once};
use std::time::Duration;

use jiff::Timestamp;
use skydd_crypto::{Role, TokenHash, TokenId};
use skydd_storage::{
    ApiTokenRecord, Backend, KeyBinding, Location, RegisterVersionRecord, SCHEMA_VERSION, Storage,
    StorageError, open, open_postgres_in_schema,
};
use sqlx::Connection;

// ---------------------------------------------------------------------------------------------
// Harness
// ---------------------------------------------------------------------------------------------

/// One fresh, empty database: a SQLite file or a PostgreSQL schema.
enum Harness {
    Sqlite {
        _dir: tempfile::TempDir,
        path: PathBuf,
    },
    Postgres {
        url: String,
        schema: String,
    },
}

impl Harness {
    fn sqlite() -> Harness {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("skydd.db");
        Harness::Sqlite { _dir: dir, path }
    }

    /// A fresh schema name on the test server, or `None` when PostgreSQL tests are skipped.
    fn postgres() -> Option<Harness> {
        let url = match std::env::var("SKYDD_TEST_DATABASE_URL") {
            Ok(url) if !url.is_empty() => url,
            _ if std::env::var_os("CI").is_some() => panic!(
                "SKYDD_TEST_DATABASE_URL is required in CI: the storage suite must run against \
                 PostgreSQL too (for example postgres://postgres@127.0.0.1:5432/test)"
            ),
            _ => {
                static NOTE: Once = Once::new();
                NOTE.call_once(|| {
                    // Written straight to stderr: libtest captures eprintln! of passing tests.
                    let _ = std::io::stderr().write_all(
                        b"skipped: PostgreSQL storage suite (set SKYDD_TEST_DATABASE_URL to run it)\n",
                    );
                });
                return None;
            }
        };
        let mut nonce = [0u8; 8];
        getrandom::fill(&mut nonce).unwrap();
        let suffix: String = nonce.iter().map(|b| format!("{b:02x}")).collect();
        Some(Harness::Postgres {
            url,
            schema: format!("skydd_test_{suffix}"),
        })
    }

    fn backend(&self) -> Backend {
        match self {
            Harness::Sqlite { .. } => Backend::Sqlite,
            Harness::Postgres { .. } => Backend::Postgres,
        }
    }

    /// Open the database the way Skydd does, migrating it.
    async fn try_open(&self) -> Result<Arc<dyn Storage>, StorageError> {
        match self {
            Harness::Sqlite { path, .. } => open(&Location::Sqlite(path.clone())).await,
            Harness::Postgres { url, schema } => open_postgres_in_schema(url, schema).await,
        }
    }

    async fn open(&self) -> Arc<dyn Storage> {
        let storage = self.try_open().await.unwrap();
        assert_eq!(storage.backend(), self.backend());
        storage
    }

    /// Run SQL directly, behind Skydd's back (to tamper with the schema).
    async fn execute(&self, sql: &'static str) {
        match self {
            Harness::Sqlite { path, .. } => {
                let options = sqlx::sqlite::SqliteConnectOptions::new()
                    .filename(path)
                    .busy_timeout(Duration::from_secs(5));
                let mut conn = sqlx::SqliteConnection::connect_with(&options)
                    .await
                    .unwrap();
                sqlx::raw_sql(sql).execute(&mut conn).await.unwrap();
                conn.close().await.unwrap();
            }
            Harness::Postgres { url, schema } => {
                let options = sqlx::postgres::PgConnectOptions::from_str(url)
                    .unwrap()
                    .options([("search_path", schema.as_str())]);
                let mut conn = sqlx::PgConnection::connect_with(&options).await.unwrap();
                sqlx::raw_sql(sql).execute(&mut conn).await.unwrap();
                conn.close().await.unwrap();
            }
        }
    }

    /// Drop the PostgreSQL schema (the SQLite directory goes with the harness).
    async fn clean_up(&self) {
        if let Harness::Postgres { url, schema } = self {
            skydd_storage::drop_postgres_schema(url, schema)
                .await
                .unwrap();
        }
    }
}

/// Run `scenario` on a fresh `harness`, clean up even when it panics, then report the panic.
async fn run<F, Fut>(harness: Harness, scenario: F)
where
    F: FnOnce(Arc<Harness>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let harness = Arc::new(harness);
    let outcome = tokio::spawn(scenario(Arc::clone(&harness))).await;
    harness.clean_up().await;
    if let Err(error) = outcome {
        std::panic::resume_unwind(error.into_panic());
    }
}

/// Declare each scenario once, as a test for each backend: `sqlite::NAME` and `postgres::NAME`.
macro_rules! scenarios {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    super::run(super::Harness::sqlite(), super::$name).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    let Some(harness) = super::Harness::postgres() else { return };
                    super::run(harness, super::$name).await;
                }
            )*
        }
    };
}

scenarios!(
    migrations_are_idempotent,
    concurrent_opens_migrate_once,
    open_takes_a_location,
    master_key_binding,
    token_lifecycle,
    duplicate_tokens_conflict,
    first_token_is_stored_once_under_a_race,
    register_versions_are_recorded_once_and_listed_oldest_first,
    tampered_migration_is_refused,
    newer_schema_is_refused,
    timestamps_round_trip_at_microsecond_precision,
);

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

fn at(text: &str) -> Timestamp {
    text.parse().unwrap()
}

fn token(id: &str, role: Role, created_at: &str) -> ApiTokenRecord {
    ApiTokenRecord {
        id: TokenId(id.to_owned()),
        hash: TokenHash::of(&format!("skydd_{id}_secret")),
        role,
        label: format!("label of {id}"),
        created_at: at(created_at),
        revoked_at: None,
    }
}

fn register_version(digest: &str, first_loaded_at: &str) -> RegisterVersionRecord {
    RegisterVersionRecord {
        digest: digest.to_owned(),
        published: "2025-01-31".to_owned(),
        first_loaded_at: at(first_loaded_at),
        content: format!("{{\"digest\":\"{digest}\"}}"),
    }
}

fn schema_error(result: Result<Arc<dyn Storage>, StorageError>) -> String {
    match result {
        Err(StorageError::Schema(message)) => message,
        Err(other) => panic!("expected a schema error, got {other:?}"),
        Ok(_) => panic!("expected a schema error, the database opened"),
    }
}

// ---------------------------------------------------------------------------------------------
// Scenarios
// ---------------------------------------------------------------------------------------------

async fn migrations_are_idempotent(h: Arc<Harness>) {
    let storage = h.open().await;
    assert_eq!(storage.schema_version().await.unwrap(), SCHEMA_VERSION);
    storage
        .insert_token(token(
            "00000000000000a1",
            Role::Admin,
            "2025-01-01T00:00:00Z",
        ))
        .await
        .unwrap();
    storage.close().await.unwrap();

    for _ in 0..2 {
        let storage = h.open().await;
        assert_eq!(storage.schema_version().await.unwrap(), SCHEMA_VERSION);
        assert_eq!(
            storage.list_tokens().await.unwrap().len(),
            1,
            "data survives re-opening"
        );
        storage.close().await.unwrap();
    }
}

async fn concurrent_opens_migrate_once(h: Arc<Harness>) {
    // Several servers starting at once on a new database: all open it, one migrates.
    let opening: Vec<_> = (0..4)
        .map(|_| {
            let h = Arc::clone(&h);
            tokio::spawn(async move { h.try_open().await })
        })
        .collect();
    let mut storages = Vec::new();
    for task in opening {
        storages.push(task.await.unwrap().unwrap());
    }
    for storage in &storages {
        assert_eq!(storage.schema_version().await.unwrap(), SCHEMA_VERSION);
    }
    // Every pool sees the others' writes.
    let first = token("00000000000000b1", Role::Admin, "2025-01-01T00:00:00Z");
    storages[0].insert_token(first).await.unwrap();
    for storage in &storages {
        assert_eq!(storage.list_tokens().await.unwrap().len(), 1);
        storage.close().await.unwrap();
    }
}

async fn open_takes_a_location(h: Arc<Harness>) {
    let location = match &*h {
        Harness::Sqlite { path, .. } => Location::Sqlite(path.clone()),
        Harness::Postgres { url, schema } => {
            // `open` with a plain URL uses the connection's search_path; point it at the
            // test's schema through the URL, which must exist already.
            h.open().await.close().await.unwrap();
            let separator = if url.contains('?') { '&' } else { '?' };
            Location::Postgres(format!(
                "{url}{separator}options=-c%20search_path%3D{schema}"
            ))
        }
    };
    let storage = open(&location).await.unwrap();
    assert_eq!(storage.backend(), h.backend());
    assert_eq!(storage.schema_version().await.unwrap(), SCHEMA_VERSION);
    storage.close().await.unwrap();
}

async fn master_key_binding(h: Arc<Harness>) {
    let storage = h.open().await;
    let (check, other) = ("a".repeat(64), "b".repeat(64));
    assert_eq!(
        storage.bind_master_key(&check).await.unwrap(),
        KeyBinding::NewlyBound
    );
    assert_eq!(
        storage.bind_master_key(&check).await.unwrap(),
        KeyBinding::Matches
    );
    assert_eq!(
        storage.bind_master_key(&other).await.unwrap(),
        KeyBinding::Mismatch
    );
    storage.close().await.unwrap();

    let reopened = h.open().await;
    assert_eq!(
        reopened.bind_master_key(&other).await.unwrap(),
        KeyBinding::Mismatch
    );
    assert_eq!(
        reopened.bind_master_key(&check).await.unwrap(),
        KeyBinding::Matches
    );
    reopened.close().await.unwrap();
}

async fn token_lifecycle(h: Arc<Harness>) {
    let storage = h.open().await;
    assert!(storage.list_tokens().await.unwrap().is_empty());

    // Inserted newest first, to see that listing orders by creation time.
    let auditor = token("00000000000000c2", Role::Auditor, "2025-03-01T12:00:00Z");
    let admin = token("00000000000000c1", Role::Admin, "2025-02-01T12:00:00Z");
    storage.insert_token(auditor.clone()).await.unwrap();
    storage.insert_token(admin.clone()).await.unwrap();

    assert_eq!(
        storage.find_active_token(&admin.hash).await.unwrap(),
        Some(admin.clone())
    );
    assert_eq!(
        storage.find_active_token(&auditor.hash).await.unwrap(),
        Some(auditor.clone())
    );
    assert_eq!(
        storage
            .find_active_token(&TokenHash::of("skydd_nope"))
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        storage.list_tokens().await.unwrap(),
        [admin.clone(), auditor.clone()]
    );

    let revoked_at = at("2025-04-01T08:00:00Z");
    assert!(storage.revoke_token(&admin.id, revoked_at).await.unwrap());
    assert_eq!(
        storage.find_active_token(&admin.hash).await.unwrap(),
        None,
        "revoked tokens are not found"
    );
    assert!(
        !storage
            .revoke_token(&admin.id, at("2025-05-01T08:00:00Z"))
            .await
            .unwrap(),
        "revoking twice does nothing"
    );
    assert!(
        !storage
            .revoke_token(&TokenId("ffffffffffffffff".into()), revoked_at)
            .await
            .unwrap()
    );

    let listed = storage.list_tokens().await.unwrap();
    let revoked_admin = ApiTokenRecord {
        revoked_at: Some(revoked_at),
        ..admin
    };
    assert_eq!(
        listed,
        [revoked_admin, auditor.clone()],
        "revoked tokens are still listed"
    );
    assert_eq!(
        storage.find_active_token(&auditor.hash).await.unwrap(),
        Some(auditor)
    );
    storage.close().await.unwrap();
}

async fn duplicate_tokens_conflict(h: Arc<Harness>) {
    let storage = h.open().await;
    let original = token("00000000000000d1", Role::Admin, "2025-01-01T00:00:00Z");
    storage.insert_token(original.clone()).await.unwrap();

    let same_id = ApiTokenRecord {
        hash: TokenHash::of("another secret"),
        ..original.clone()
    };
    match storage.insert_token(same_id).await {
        Err(StorageError::Conflict(message)) => {
            assert!(message.contains("00000000000000d1"), "{message}");
            assert!(
                !message.contains(&original.hash.0),
                "no bound values: {message}"
            );
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
    let same_hash = ApiTokenRecord {
        id: TokenId("00000000000000d2".into()),
        ..original.clone()
    };
    assert!(matches!(
        storage.insert_token(same_hash).await,
        Err(StorageError::Conflict(_))
    ));
    assert_eq!(storage.list_tokens().await.unwrap(), [original]);
    storage.close().await.unwrap();
}

async fn first_token_is_stored_once_under_a_race(h: Arc<Harness>) {
    // Two servers (two pools) starting at once, each trying from several tasks at the same
    // moment; repeated, since a race may go either way on one try.
    const TASKS: usize = 8;
    let servers = [h.open().await, h.open().await];
    for round in 0..10 {
        let barrier = Arc::new(tokio::sync::Barrier::new(TASKS));
        let tasks: Vec<_> = (0..TASKS)
            .map(|i| {
                let storage = Arc::clone(&servers[i % 2]);
                let barrier = Arc::clone(&barrier);
                let id = format!("00000000000{round:03}e{i}");
                let candidate = token(&id, Role::Admin, "2025-01-01T00:00:00Z");
                tokio::spawn(async move {
                    // Open a connection per task first, so that the inserts themselves race.
                    storage.list_tokens().await.unwrap();
                    barrier.wait().await;
                    storage.insert_first_token(candidate).await.unwrap()
                })
            })
            .collect();
        let mut stored = 0;
        for task in tasks {
            stored += usize::from(task.await.unwrap());
        }
        assert_eq!(stored, 1, "exactly one first token (round {round})");
        assert_eq!(servers[0].list_tokens().await.unwrap().len(), 1);
        if round < 9 {
            h.execute("DELETE FROM api_tokens").await;
        }
    }

    let late = token("00000000000000ef", Role::Admin, "2025-01-02T00:00:00Z");
    assert!(!servers[1].insert_first_token(late).await.unwrap());
    for server in servers {
        server.close().await.unwrap();
    }

    // A token added any other way also counts as "not the first start".
    let fresh = h.open().await;
    let other = token("00000000000000f1", Role::Auditor, "2025-01-03T00:00:00Z");
    assert!(!fresh.insert_first_token(other).await.unwrap());
    fresh.close().await.unwrap();
}

async fn register_versions_are_recorded_once_and_listed_oldest_first(h: Arc<Harness>) {
    let storage = h.open().await;
    assert!(storage.list_register_versions().await.unwrap().is_empty());

    let newer = register_version("bbbb", "2025-02-01T00:00:00.5Z");
    let older = register_version("aaaa", "2025-02-01T00:00:00Z");
    assert!(
        storage
            .record_register_version(newer.clone())
            .await
            .unwrap()
    );
    assert!(
        storage
            .record_register_version(older.clone())
            .await
            .unwrap()
    );

    let again = RegisterVersionRecord {
        published: "2030-01-01".into(),
        first_loaded_at: at("2030-01-01T00:00:00Z"),
        content: "changed".into(),
        ..newer.clone()
    };
    assert!(
        !storage.record_register_version(again).await.unwrap(),
        "a known digest is not recorded again"
    );
    assert_eq!(
        storage.list_register_versions().await.unwrap(),
        [older, newer],
        "the first record is kept"
    );
    storage.close().await.unwrap();
}

async fn tampered_migration_is_refused(h: Arc<Harness>) {
    h.open().await.close().await.unwrap();
    h.execute("UPDATE skydd_migrations SET checksum = 'tampered' WHERE version = 1")
        .await;
    assert_eq!(
        schema_error(h.try_open().await),
        "migration 1 (initial) was changed after it was applied"
    );
}

async fn newer_schema_is_refused(h: Arc<Harness>) {
    h.open().await.close().await.unwrap();
    h.execute("INSERT INTO skydd_migrations (version, name, checksum) VALUES (999, 'future', 'x')")
        .await;
    assert_eq!(
        schema_error(h.try_open().await),
        format!(
            "database schema version 999 is newer than this skydd ({SCHEMA_VERSION}); upgrade skydd"
        )
    );
}

async fn timestamps_round_trip_at_microsecond_precision(h: Arc<Harness>) {
    let storage = h.open().await;
    let cases = [
        // (stored, read back)
        ("2025-06-30T23:59:59.123456Z", "2025-06-30T23:59:59.123456Z"),
        (
            "2025-06-30T23:59:59.123456789Z",
            "2025-06-30T23:59:59.123456Z",
        ),
        ("2000-01-01T00:00:00Z", "2000-01-01T00:00:00Z"),
        ("1970-01-01T00:00:00.000001Z", "1970-01-01T00:00:00.000001Z"),
        ("1969-07-20T20:17:40.5Z", "1969-07-20T20:17:40.5Z"),
        (
            "9999-12-30T21:59:59.999999999Z",
            "9999-12-30T21:59:59.999999Z",
        ),
    ];
    for (i, (stored, _)) in cases.iter().enumerate() {
        let mut record = token(&format!("000000000000010{i}"), Role::Auditor, stored);
        record.hash = TokenHash::of(&format!("timestamp case {i}"));
        storage.insert_token(record.clone()).await.unwrap();
        storage.revoke_token(&record.id, at(stored)).await.unwrap();
        let version = register_version(&format!("digest{i}"), stored);
        storage.record_register_version(version).await.unwrap();
    }

    let tokens = storage.list_tokens().await.unwrap();
    let versions = storage.list_register_versions().await.unwrap();
    let mut expected: Vec<Timestamp> = cases.iter().map(|(_, e)| at(e)).collect();
    expected.sort();
    let created: Vec<Timestamp> = tokens.iter().map(|t| t.created_at).collect();
    let revoked: Vec<Timestamp> = tokens.iter().map(|t| t.revoked_at.unwrap()).collect();
    let loaded: Vec<Timestamp> = versions.iter().map(|v| v.first_loaded_at).collect();
    assert_eq!(created, expected, "created_at, in time order");
    assert_eq!(revoked, expected, "revoked_at");
    assert_eq!(loaded, expected, "first_loaded_at, in time order");
    storage.close().await.unwrap();
}
