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

use std::collections::HashSet;

use jiff::Timestamp;
use sha2::{Digest, Sha256};
use skydd_crypto::{TokenHash, TokenId};
use skydd_storage::{
    AnonymisedRecordRow, AuditCheckpointRow, AuditFilter, Breach, ChainLinks, ChainReport,
    RecordDeletion, RecordDeletionOutcome, StoredHash, VerifyPlan, audit_chain, verify_audit_chain,
    verify_audit_chain_by,
};
use skydd_storage::{
    ApiTokenRecord, AuditEventRow, Backend, ConsentEventRow, DisclosureDecision, DisclosureRow,
    FeatureSwitchRow, IdentityRow, IncidentEntryRow, KeyBinding, Location, ObjectionEventRow,
    PreferenceEventRow, RecordRow, RegisterVersionRecord, SCHEMA_VERSION, Storage, StorageError,
    SubjectKeyRow, SubjectRow, open, open_postgres_in_schema,
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
    async fn execute(&self, sql: &str) {
        self.try_execute(sql).await.unwrap();
    }

    /// Run SQL directly, behind Skydd's back; the database's error message if it fails.
    async fn try_execute(&self, sql: &str) -> Result<(), String> {
        let sql = sqlx::AssertSqlSafe(sql.to_owned());
        match self {
            Harness::Sqlite { path, .. } => {
                let options = sqlx::sqlite::SqliteConnectOptions::new()
                    .filename(path)
                    .create_if_missing(true)
                    .busy_timeout(Duration::from_secs(5));
                let mut conn = sqlx::SqliteConnection::connect_with(&options)
                    .await
                    .unwrap();
                let outcome = sqlx::raw_sql(sql).execute(&mut conn).await;
                conn.close().await.unwrap();
                outcome.map(|_| ()).map_err(|e| e.to_string())
            }
            Harness::Postgres { url, schema } => {
                let options = sqlx::postgres::PgConnectOptions::from_str(url)
                    .unwrap()
                    .options([("search_path", schema.as_str())]);
                let mut conn = sqlx::PgConnection::connect_with(&options).await.unwrap();
                let outcome = sqlx::raw_sql(sql).execute(&mut conn).await;
                conn.close().await.unwrap();
                outcome.map(|_| ()).map_err(|e| e.to_string())
            }
        }
    }

    /// Make the database a Skydd database of schema version 1, as the first release left it.
    async fn create_schema_1(&self) {
        let (migrations_table, initial, create_schema) = match self {
            Harness::Sqlite { .. } => (
                "CREATE TABLE skydd_migrations (
                    version    INTEGER PRIMARY KEY NOT NULL,
                    name       TEXT NOT NULL,
                    checksum   TEXT NOT NULL,
                    applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
                ) STRICT;",
                include_str!("../migrations/sqlite/0001_initial.sql"),
                String::new(),
            ),
            Harness::Postgres { schema, .. } => (
                "CREATE TABLE skydd_migrations (
                    version    bigint PRIMARY KEY,
                    name       text NOT NULL,
                    checksum   text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now()
                );",
                include_str!("../migrations/postgres/0001_initial.sql"),
                format!("CREATE SCHEMA {schema};"),
            ),
        };
        let checksum: String = Sha256::digest(initial.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        if !create_schema.is_empty() {
            self.execute(&create_schema).await;
        }
        self.execute(&format!(
            "{migrations_table}
             {initial}
             INSERT INTO skydd_migrations (version, name, checksum) VALUES (1, 'initial', '{checksum}');"
        ))
        .await;
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
    token_scopes_expiry_and_last_use_are_kept,
    duplicate_tokens_conflict,
    first_token_is_stored_once_under_a_race,
    register_versions_are_recorded_once_and_listed_oldest_first,
    tampered_migration_is_refused,
    newer_schema_is_refused,
    timestamps_round_trip_at_microsecond_precision,
    schema_1_databases_are_upgraded,
    subjects_identities_and_keys_round_trip,
    identity_lookup_is_isolated_by_tenant,
    identity_conflict_leaves_nothing_behind,
    records_round_trip_with_anchors,
    ledgers_keep_every_event_in_order,
    ledgers_are_append_only,
    concurrent_appends_get_distinct_increasing_seqs,
    key_rotation_is_compare_and_set,
    errors_carry_no_bound_values,
    audit_events_are_appended_in_batches,
    a_large_audit_batch_reads_back_exactly_and_verifies,
    audit_chain_verifies_when_intact_and_under_concurrent_appends,
    audit_chain_detects_a_flipped_byte,
    audit_chain_names_an_entry_whose_text_is_not_utf8,
    audit_chain_detects_a_deleted_row,
    audit_chain_detects_two_rows_swapped,
    audit_chain_detects_a_dropped_tail,
    audit_chain_detects_a_forged_checkpoint,
    audit_chain_detects_an_entry_stored_after_the_head,
    audit_chain_detects_a_changed_stored_hash_at_a_stretch_boundary,
    audit_chain_detects_reordered_categories,
    audit_chain_detects_categories_added_or_removed,
    audit_chain_range_reads_back_what_was_appended,
    audit_entries_are_filtered_and_paged,
    audit_entries_are_found_by_actor_and_action,
    audit_events_are_found_by_subject_before_during_and_after_index_rounds,
    the_subject_index_stays_exact_through_random_appends_rounds_and_restarts,
    the_subject_index_is_built_from_the_trail_on_upgrade,
    disclosures_to_authorities_survive_the_upgrade_to_any_recipient,
    deleting_records_shreds_emptied_subjects_and_proves_it,
    incident_entries_take_each_position_once,
    disclosures_round_trip_and_are_found_by_subject,
    a_lock_held_beyond_the_timeout_is_busy_and_nothing_is_written,
    ledger_units_are_written_whole_or_not_at_all,
    ledger_appends_of_two_servers_chain_after_each_other,
    concurrent_appends_of_one_server_survive_refused_ones,
    a_backup_is_a_copy_of_one_moment_and_never_overwrites,
);

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

fn at(text: &str) -> Timestamp {
    text.parse().unwrap()
}

fn token(id: &str, scope: &str, created_at: &str) -> ApiTokenRecord {
    ApiTokenRecord {
        id: TokenId(id.to_owned()),
        hash: TokenHash::of(&format!("skydd_{id}_secret")),
        scopes: vec![scope.to_owned()],
        label: format!("label of {id}"),
        created_at: at(created_at),
        revoked_at: None,
        expires_at: None,
        last_used_at: None,
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
        .insert_token(token("00000000000000a1", "admin", "2025-01-01T00:00:00Z"))
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
    let first = token("00000000000000b1", "admin", "2025-01-01T00:00:00Z");
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
    let auditor = token("00000000000000c2", "auditor", "2025-03-01T12:00:00Z");
    let admin = token("00000000000000c1", "admin", "2025-02-01T12:00:00Z");
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

async fn token_scopes_expiry_and_last_use_are_kept(h: Arc<Harness>) {
    let storage = h.open().await;
    let mut system = token("00000000000000e1", "decide", "2025-02-01T12:00:00Z");
    system.scopes.push("records:write".into());
    system.expires_at = Some(at("2025-05-01T12:00:00Z"));
    storage.insert_token(system.clone()).await.unwrap();
    assert_eq!(
        storage.find_active_token(&system.hash).await.unwrap(),
        Some(system.clone()),
        "several scopes and the expiry read back as written"
    );

    // The last use is written when none is recorded or the recorded one is old enough.
    let first = at("2025-02-02T10:00:00Z");
    let minute = jiff::SignedDuration::from_secs(60);
    assert!(
        storage
            .touch_token(&system.id, first, first - minute)
            .await
            .unwrap()
    );
    let soon = at("2025-02-02T10:00:30Z");
    assert!(
        !storage
            .touch_token(&system.id, soon, soon - minute)
            .await
            .unwrap(),
        "not again within the interval"
    );
    let later = at("2025-02-02T10:01:00Z");
    assert!(
        storage
            .touch_token(&system.id, later, later - minute)
            .await
            .unwrap(),
        "again once the interval has passed"
    );
    let found = storage
        .find_active_token(&system.hash)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.last_used_at, Some(later));
    assert!(
        !storage
            .touch_token(&TokenId("ffffffffffffffff".into()), later, later)
            .await
            .unwrap()
    );
    storage.close().await.unwrap();
}

async fn duplicate_tokens_conflict(h: Arc<Harness>) {
    let storage = h.open().await;
    let original = token("00000000000000d1", "admin", "2025-01-01T00:00:00Z");
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
                let candidate = token(&id, "admin", "2025-01-01T00:00:00Z");
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

    let late = token("00000000000000ef", "admin", "2025-01-02T00:00:00Z");
    assert!(!servers[1].insert_first_token(late).await.unwrap());
    for server in servers {
        server.close().await.unwrap();
    }

    // A token added any other way also counts as "not the first start".
    let fresh = h.open().await;
    let other = token("00000000000000f1", "auditor", "2025-01-03T00:00:00Z");
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
        [older.clone(), newer.clone()],
        "the first record is kept"
    );
    // The archive of published notices cannot be rewritten or thinned out (P000-68).
    for sql in [
        "UPDATE register_versions SET content = '{}'",
        "UPDATE register_versions SET first_loaded_at = first_loaded_at",
        "DELETE FROM register_versions WHERE digest = 'aaaa'",
    ] {
        let error = h.try_execute(sql).await.unwrap_err();
        assert!(error.contains("append-only"), "{sql}: {error}");
    }
    assert_eq!(
        storage.list_register_versions().await.unwrap(),
        [older, newer]
    );
    storage.close().await.unwrap();
}

async fn a_backup_is_a_copy_of_one_moment_and_never_overwrites(h: Arc<Harness>) {
    let storage = h.open().await;
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("copy.db");
    storage
        .record_register_version(register_version("aaaa", "2025-02-01T00:00:00Z"))
        .await
        .unwrap();
    let copied = storage.backup_into(&target).await;
    if h.backend() == Backend::Postgres {
        let error = copied.unwrap_err().to_string();
        assert!(error.contains("pg_dump"), "{error}");
        assert!(!target.exists());
        storage.close().await.unwrap();
        return;
    }
    copied.unwrap();
    // Written after the copy: not in it.
    storage
        .record_register_version(register_version("bbbb", "2025-03-01T00:00:00Z"))
        .await
        .unwrap();
    let error = storage.backup_into(&target).await.unwrap_err();
    assert!(error.to_string().contains("copy the database"), "{error}");
    storage.close().await.unwrap();

    let copy = open(&Location::Sqlite(target)).await.unwrap();
    let digests: Vec<String> = copy
        .list_register_versions()
        .await
        .unwrap()
        .into_iter()
        .map(|v| v.digest)
        .collect();
    assert_eq!(digests, ["aaaa"]);
    copy.close().await.unwrap();
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
        let mut record = token(&format!("000000000000010{i}"), "auditor", stored);
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

async fn schema_1_databases_are_upgraded(h: Arc<Harness>) {
    // A database the first release created, with a token in it.
    h.create_schema_1().await;
    h.execute(
        "INSERT INTO api_tokens (id, hash, role, label, created_at, revoked_at)
         VALUES ('00000000000001a1', 'hash', 'admin', 'old', '2025-01-01T00:00:00.000000Z', NULL)",
    )
    .await;

    let storage = h.open().await;
    assert_eq!(storage.schema_version().await.unwrap(), SCHEMA_VERSION);
    let tokens = storage.list_tokens().await.unwrap();
    assert_eq!(tokens.len(), 1, "data of schema 1 survives the upgrade");
    assert_eq!(tokens[0].label, "old");
    // Migration 0009: the role became the same-named scope, which still grants everything;
    // no expiry, never used.
    assert_eq!(tokens[0].scopes, ["admin"]);
    let scopes: Vec<skydd_staff::permission::Scope> = tokens[0]
        .scopes
        .iter()
        .map(|w| w.parse().unwrap())
        .collect();
    assert_eq!(
        skydd_staff::permission::Grants::of_scopes(&scopes).permissions,
        skydd_staff::permission::PermissionSet::all()
    );
    assert_eq!(tokens[0].expires_at, None);
    assert_eq!(tokens[0].last_used_at, None);
    create(&storage, "s-upgraded", None, &[("email", blind(1))]).await;
    assert!(storage.get_subject("s-upgraded").await.unwrap().is_some());
    storage.close().await.unwrap();
}

async fn subjects_identities_and_keys_round_trip(h: Arc<Harness>) {
    let storage = h.open().await;
    let s1 = create(
        &storage,
        "s-1",
        None,
        &[("email", blind(1)), ("phone", blind(2))],
    )
    .await;
    assert_eq!(storage.get_subject("s-1").await.unwrap(), Some(s1.clone()));
    assert_eq!(
        storage.subject_key("s-1").await.unwrap(),
        Some(key("s-1", 1))
    );
    assert_eq!(
        storage.subject_with_key("s-1").await.unwrap(),
        Some((s1.clone(), Some(key("s-1", 1)))),
        "the subject and its key in one read"
    );
    assert_eq!(storage.subject_with_key("s-none").await.unwrap(), None);
    assert_eq!(
        storage.identities_of_subject("s-1").await.unwrap(),
        [
            identity("s-1", "email", blind(1)),
            identity("s-1", "phone", blind(2))
        ],
        "identities in the order stored"
    );
    assert_eq!(
        storage
            .find_subject_by_identity(None, "email", &blind(1))
            .await
            .unwrap(),
        Some(s1.clone())
    );
    assert_eq!(
        storage
            .find_subject_by_identity(None, "phone", &blind(1))
            .await
            .unwrap(),
        None,
        "the kind is part of the lookup"
    );
    assert_eq!(
        storage
            .find_subject_by_identity(None, "email", &blind(9))
            .await
            .unwrap(),
        None
    );

    // Restriction (Art. 18) set, and lifted.
    let restricted_at = at("2025-05-01T10:00:00.123456Z");
    assert!(
        storage
            .set_restricted("s-1", Some(restricted_at))
            .await
            .unwrap()
    );
    assert_eq!(
        storage
            .get_subject("s-1")
            .await
            .unwrap()
            .unwrap()
            .restricted_at,
        Some(restricted_at)
    );
    assert!(storage.set_restricted("s-1", None).await.unwrap());
    assert_eq!(storage.get_subject("s-1").await.unwrap(), Some(s1.clone()));

    // Reads of one subject see every commit made before them, by any connection or server
    // (on SQLite they run on the caller's thread through connections of their own, which
    // must not answer from a page cache older than the newest commit).
    let other = h.open().await;
    assert_eq!(other.get_subject("s-1").await.unwrap(), Some(s1.clone()));
    assert!(
        storage
            .set_restricted("s-1", Some(restricted_at))
            .await
            .unwrap()
    );
    let seen = other.subject_with_key("s-1").await.unwrap().unwrap();
    assert_eq!(
        seen.0.restricted_at,
        Some(restricted_at),
        "{:?}",
        h.backend()
    );
    assert_eq!(
        other
            .get_subject("s-1")
            .await
            .unwrap()
            .unwrap()
            .restricted_at,
        Some(restricted_at),
        "{:?}",
        h.backend()
    );
    assert!(storage.set_restricted("s-1", None).await.unwrap());
    assert_eq!(other.get_subject("s-1").await.unwrap(), Some(s1.clone()));
    other.close().await.unwrap();
    assert!(
        !storage
            .set_restricted("s-unknown", Some(restricted_at))
            .await
            .unwrap()
    );

    // Attributes (schema 21): set, replaced, listed, removed; each change in the change log;
    // none for a subject that does not exist.
    let attribute = |until: Option<&str>| skydd_storage::SubjectAttributeRow {
        subject_id: "s-1".into(),
        attribute: "support_agreement".into(),
        since: at("2024-02-29T00:00:00.5Z"),
        until: until.map(at),
        recorded_at: at("2025-05-01T10:00:00Z"),
    };
    let before = storage.fact_changes_bounds().await.unwrap().newest;
    assert!(
        storage
            .set_subject_attribute(attribute(None))
            .await
            .unwrap()
    );
    let ended = attribute(Some("2025-03-01T00:00:00Z"));
    assert!(storage.set_subject_attribute(ended.clone()).await.unwrap());
    assert_eq!(
        storage.subject_attributes("s-1").await.unwrap(),
        vec![ended]
    );
    assert!(
        !storage
            .set_subject_attribute(skydd_storage::SubjectAttributeRow {
                subject_id: "s-unknown".into(),
                ..attribute(None)
            })
            .await
            .unwrap()
    );
    assert!(
        storage
            .remove_subject_attribute("s-1", "support_agreement")
            .await
            .unwrap()
    );
    assert!(
        !storage
            .remove_subject_attribute("s-1", "support_agreement")
            .await
            .unwrap()
    );
    assert!(storage.subject_attributes("s-1").await.unwrap().is_empty());
    let changes = storage.fact_changes_after(before, 100).await.unwrap();
    assert_eq!(
        changes
            .iter()
            .filter(|c| c.kind == "subject" && c.key == "s-1")
            .count(),
        3,
        "{changes:?}"
    );

    // Unknown subjects, and mistakes of the caller.
    assert_eq!(storage.get_subject("s-unknown").await.unwrap(), None);
    assert_eq!(storage.subject_key("s-unknown").await.unwrap(), None);
    assert!(
        storage
            .identities_of_subject("s-unknown")
            .await
            .unwrap()
            .is_empty()
    );
    assert!(matches!(
        storage
            .find_subject_by_identity(None, "email", &[1; 31])
            .await,
        Err(StorageError::Invalid(_))
    ));
    let result = storage
        .create_subject(subject("s-2", None), key("s-other", 1), Vec::new())
        .await;
    assert!(
        matches!(result, Err(StorageError::Invalid(_))),
        "{result:?}"
    );
    let result = storage
        .create_subject(
            subject("s-2", None),
            key("s-2", 1),
            vec![identity("s-other", "email", blind(3))],
        )
        .await;
    assert!(
        matches!(result, Err(StorageError::Invalid(_))),
        "{result:?}"
    );
    let result = storage
        .create_subject(
            subject("s-2", None),
            key("s-2", 1),
            vec![identity("s-2", "email", vec![3; 16])],
        )
        .await;
    assert!(
        matches!(result, Err(StorageError::Invalid(_))),
        "{result:?}"
    );
    assert_eq!(storage.get_subject("s-2").await.unwrap(), None);

    // A subject needs no identities.
    let bare = create(&storage, "s-3", Some("tenant-a"), &[]).await;
    assert_eq!(storage.get_subject("s-3").await.unwrap(), Some(bare));

    // A tenant's processing agreement (schema 22) is appended, listed, and changes the
    // decision facts of every subject of the tenant (the change log names them).
    let before = storage.fact_changes_bounds().await.unwrap().newest;
    let agreement = skydd_storage::TenantAgreementRow {
        seq: 0,
        tenant: "tenant-a".into(),
        version: "DPA 2026-02".into(),
        signed_at: at("2026-02-15T10:00:00Z"),
        recorded_by: "test".into(),
        recorded_at: at("2026-03-01T10:00:00Z"),
    };
    let seq = storage
        .insert_tenant_agreement(agreement.clone())
        .await
        .unwrap();
    assert_eq!(
        storage.tenant_agreements("tenant-a").await.unwrap(),
        vec![skydd_storage::TenantAgreementRow { seq, ..agreement }]
    );
    assert!(
        storage
            .tenant_agreements("tenant-b")
            .await
            .unwrap()
            .is_empty()
    );
    let changes = storage.fact_changes_after(before, 100).await.unwrap();
    assert!(
        changes
            .iter()
            .any(|c| c.kind == "subject" && c.key == "s-3"),
        "{changes:?}"
    );
    storage.close().await.unwrap();
}

async fn identity_lookup_is_isolated_by_tenant(h: Arc<Harness>) {
    let storage = h.open().await;
    // The same e-mail address (same blind index) in three tenants: the controller's own
    // subjects, tenant a and tenant b. Each is its own subject.
    let own = create(&storage, "s-own", None, &[("email", blind(7))]).await;
    let in_a = create(&storage, "s-a", Some("tenant-a"), &[("email", blind(7))]).await;
    let in_b = create(&storage, "s-b", Some("tenant-b"), &[("email", blind(7))]).await;
    let find = |tenant: Option<&'static str>, kind: &'static str, index: Vec<u8>| {
        let storage = Arc::clone(&storage);
        async move {
            storage
                .find_subject_by_identity(tenant, kind, &index)
                .await
                .unwrap()
        }
    };
    assert_eq!(find(None, "email", blind(7)).await, Some(own));
    assert_eq!(find(Some("tenant-a"), "email", blind(7)).await, Some(in_a));
    assert_eq!(find(Some("tenant-b"), "email", blind(7)).await, Some(in_b));
    assert_eq!(find(Some("tenant-c"), "email", blind(7)).await, None);
    assert_eq!(
        find(Some(""), "email", blind(7)).await,
        None,
        "an empty tenant name is not the controller"
    );

    // A subject only tenant a has is invisible from anywhere else.
    let only_a = create(&storage, "s-a2", Some("tenant-a"), &[("phone", blind(8))]).await;
    assert_eq!(
        find(Some("tenant-a"), "phone", blind(8)).await,
        Some(only_a)
    );
    assert_eq!(find(None, "phone", blind(8)).await, None);
    assert_eq!(find(Some("tenant-b"), "phone", blind(8)).await, None);
    // And the controller's own subjects are invisible from a tenant.
    create(&storage, "s-own2", None, &[("phone", blind(9))]).await;
    assert_eq!(find(Some("tenant-a"), "phone", blind(9)).await, None);
    storage.close().await.unwrap();
}

async fn identity_conflict_leaves_nothing_behind(h: Arc<Harness>) {
    let storage = h.open().await;
    let s1 = create(&storage, "s-1", None, &[("email", blind(1))]).await;

    // A new subject whose e-mail address is already s-1's: refused, and nothing of it stays.
    let result = storage
        .create_subject(
            subject("s-2", None),
            key("s-2", 1),
            vec![
                identity("s-2", "phone", blind(2)),
                identity("s-2", "email", blind(1)),
            ],
        )
        .await;
    let message = conflict_message(result);
    assert!(message.contains("email"), "names the kind: {message}");
    assert!(!message.contains("phone"), "{message}");
    assert_nothing_of(&storage, "s-2", &[("phone", blind(2))]).await;
    assert_eq!(
        storage
            .find_subject_by_identity(None, "email", &blind(1))
            .await
            .unwrap(),
        Some(s1.clone()),
        "the first subject keeps its identity"
    );

    // The same identity twice in one new subject.
    let result = storage
        .create_subject(
            subject("s-3", None),
            key("s-3", 1),
            vec![
                identity("s-3", "email", blind(3)),
                identity("s-3", "email", blind(3)),
            ],
        )
        .await;
    assert!(conflict_message(result).contains("email"));
    assert_nothing_of(&storage, "s-3", &[("email", blind(3))]).await;

    // An id already taken: the existing subject is left as it was.
    let result = storage
        .create_subject(
            SubjectRow {
                tenant: Some("tenant-a".into()),
                ..subject("s-1", None)
            },
            key("s-1", 2),
            vec![identity("s-1", "phone", blind(4))],
        )
        .await;
    assert!(conflict_message(result).contains("s-1"));
    assert_eq!(storage.get_subject("s-1").await.unwrap(), Some(s1));
    assert_eq!(
        storage.subject_key("s-1").await.unwrap(),
        Some(key("s-1", 1))
    );
    assert_eq!(
        storage.identities_of_subject("s-1").await.unwrap(),
        [identity("s-1", "email", blind(1))]
    );

    // What was refused left nothing in the way: both can be stored now.
    create(&storage, "s-2", None, &[("phone", blind(2))]).await;
    create(&storage, "s-3", None, &[("email", blind(3))]).await;
    // Two servers creating subjects with the same identity at once: exactly one succeeds.
    let servers = [h.open().await, h.open().await];
    let racing: Vec<_> = (0..6)
        .map(|i| {
            let storage = Arc::clone(&servers[i % 2]);
            let id = format!("s-race-{i}");
            tokio::spawn(async move {
                storage
                    .create_subject(
                        subject(&id, Some("tenant-r")),
                        key(&id, 1),
                        vec![identity(&id, "email", blind(5))],
                    )
                    .await
            })
        })
        .collect();
    let mut created = 0;
    for task in racing {
        match task.await.unwrap() {
            Ok(()) => created += 1,
            Err(StorageError::Conflict(_)) => {}
            Err(other) => panic!("expected a conflict, got {other:?}"),
        }
    }
    assert_eq!(created, 1);
    for server in servers {
        server.close().await.unwrap();
    }
    storage.close().await.unwrap();
}

async fn records_round_trip_with_anchors(h: Arc<Harness>) {
    let storage = h.open().await;
    create(&storage, "s-1", None, &[]).await;
    create(&storage, "s-2", None, &[]).await;
    assert!(storage.records_of_subject("s-1").await.unwrap().is_empty());

    let late = record("r-late", "s-1", "2025-03-01T00:00:00Z", &[]);
    let early = record(
        "r-early",
        "s-1",
        "2025-01-01T00:00:00Z",
        // Given out of order: read back sorted by event name.
        &[
            ("last_contact", "2025-04-01T12:00:00.654321Z"),
            ("contract_end", "2026-01-31T00:00:00Z"),
        ],
    );
    let mid = record("r-mid", "s-1", "2025-02-01T00:00:00Z", &[]);
    let other = record(
        "r-other",
        "s-2",
        "2024-01-01T00:00:00Z",
        &[("invoice_paid", "2024-02-01T00:00:00Z")],
    );
    for r in [&late, &early, &mid, &other] {
        storage.insert_record(r.clone()).await.unwrap();
    }
    let early_sorted = RecordRow {
        anchors: vec![
            ("contract_end".into(), at("2026-01-31T00:00:00Z")),
            ("last_contact".into(), at("2025-04-01T12:00:00.654321Z")),
        ],
        ..early.clone()
    };
    assert_eq!(
        storage.records_of_subject("s-1").await.unwrap(),
        [early_sorted.clone(), mid.clone(), late.clone()],
        "oldest first"
    );
    assert_eq!(storage.records_of_subject("s-2").await.unwrap(), [other]);
    assert!(
        storage
            .records_of_subject("s-unknown")
            .await
            .unwrap()
            .is_empty()
    );

    // Anchors set later, and moved.
    assert!(
        storage
            .set_record_anchor("r-mid", "contract_end", at("2027-01-01T00:00:00Z"))
            .await
            .unwrap()
    );
    assert!(
        storage
            .set_record_anchor("r-mid", "contract_end", at("2027-06-30T00:00:00Z"))
            .await
            .unwrap()
    );
    assert!(
        storage
            .set_record_anchor("r-early", "last_contact", at("2025-09-01T00:00:00Z"))
            .await
            .unwrap()
    );
    assert!(
        !storage
            .set_record_anchor("r-unknown", "contract_end", at("2027-01-01T00:00:00Z"))
            .await
            .unwrap()
    );
    let records = storage.records_of_subject("s-1").await.unwrap();
    assert_eq!(
        records[0].anchors,
        [
            ("contract_end".to_owned(), at("2026-01-31T00:00:00Z")),
            ("last_contact".to_owned(), at("2025-09-01T00:00:00Z")),
        ]
    );
    assert_eq!(
        records[1].anchors,
        [("contract_end".to_owned(), at("2027-06-30T00:00:00Z"))]
    );
    assert_eq!(records[2], late);

    // Refused: a duplicate id (the original stays), an unknown subject, an anchor given twice.
    let duplicate = record("r-late", "s-1", "2030-01-01T00:00:00Z", &[]);
    assert!(conflict_message(storage.insert_record(duplicate).await).contains("r-late"));
    let orphan = record(
        "r-orphan",
        "s-unknown",
        "2025-01-01T00:00:00Z",
        &[("contract_end", "2026-01-01T00:00:00Z")],
    );
    let result = storage.insert_record(orphan).await;
    assert!(
        matches!(result, Err(StorageError::Invalid(_))),
        "{result:?}"
    );
    let twice = record(
        "r-twice",
        "s-1",
        "2025-01-01T00:00:00Z",
        &[
            ("contract_end", "2026-01-01T00:00:00Z"),
            ("contract_end", "2027-01-01T00:00:00Z"),
        ],
    );
    let result = storage.insert_record(twice).await;
    assert!(
        matches!(result, Err(StorageError::Invalid(_))),
        "{result:?}"
    );
    assert_eq!(storage.records_of_subject("s-1").await.unwrap().len(), 3);
    assert!(
        storage
            .records_of_subject("s-unknown")
            .await
            .unwrap()
            .is_empty()
    );
    storage.close().await.unwrap();
}

async fn ledgers_keep_every_event_in_order(h: Arc<Harness>) {
    let storage = h.open().await;

    // Consent: given and withdrawn by a subject, and for an organisation and a project.
    let given = ConsentEventRow {
        text_hash: Some("sha256:abc".into()),
        context_ciphertext: Some(b"sealed context".to_vec()),
        ..consent("subject", "s-1", true, "2025-01-01T00:00:00Z")
    };
    let organisation = consent("organisation", "org-1", true, "2025-01-02T00:00:00Z");
    let project = consent("project", "org-1/p-1", false, "2025-01-02T00:00:00Z");
    let other_subject = consent("subject", "s-2", true, "2025-01-03T00:00:00Z");
    // Withdrawn with an earlier timestamp than it was given: order is the ledger's, not time's.
    let withdrawn = consent("subject", "s-1", false, "2024-12-31T00:00:00Z");
    let mut seqs = Vec::new();
    for event in [&given, &organisation, &project, &other_subject, &withdrawn] {
        seqs.push(storage.append_consent_event(event.clone()).await.unwrap());
    }
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    assert_eq!(
        storage.consent_events_for_subject("s-1").await.unwrap(),
        [with_seq(given, seqs[0]), with_seq(withdrawn, seqs[4])]
    );
    assert_eq!(
        storage
            .consent_events_for_scope("organisation", "org-1")
            .await
            .unwrap(),
        [with_seq(organisation, seqs[1])]
    );
    assert_eq!(
        storage
            .consent_events_for_scope("project", "org-1/p-1")
            .await
            .unwrap(),
        [with_seq(project, seqs[2])]
    );
    assert_eq!(
        storage
            .consent_events_for_scope("subject", "s-2")
            .await
            .unwrap(),
        [with_seq(other_subject, seqs[3])]
    );
    assert!(
        storage
            .consent_events_for_scope("organisation", "s-1")
            .await
            .unwrap()
            .is_empty(),
        "the scope kind is part of the lookup"
    );

    // Objections.
    let objected = ObjectionEventRow {
        seq: -1,
        subject_id: "s-1".into(),
        purpose: Some("direct_marketing".into()),
        objected: true,
        source: "gpc".into(),
        at: at("2025-02-01T00:00:00Z"),
    };
    let to_everything = ObjectionEventRow {
        purpose: None,
        source: "api".into(),
        ..objected.clone()
    };
    let lifted = ObjectionEventRow {
        objected: false,
        ..objected.clone()
    };
    let elsewhere = ObjectionEventRow {
        subject_id: "s-2".into(),
        ..objected.clone()
    };
    let mut expected = Vec::new();
    for event in [objected, elsewhere, to_everything, lifted] {
        let seq = storage.append_objection(event.clone()).await.unwrap();
        if event.subject_id == "s-1" {
            expected.push(ObjectionEventRow { seq, ..event });
        }
    }
    assert_eq!(
        storage.objections_of_subject("s-1").await.unwrap(),
        expected
    );
    assert!(
        storage
            .objections_of_subject("s-3")
            .await
            .unwrap()
            .is_empty()
    );

    // Preferences.
    let opted_in = PreferenceEventRow {
        seq: 0,
        subject_id: "s-1".into(),
        kind: "channel".into(),
        name: "email".into(),
        opted_in: true,
        at: at("2025-03-01T00:00:00Z"),
    };
    let interest = PreferenceEventRow {
        kind: "interest".into(),
        name: "hosting".into(),
        ..opted_in.clone()
    };
    let opted_out = PreferenceEventRow {
        opted_in: false,
        ..opted_in.clone()
    };
    let mut expected = Vec::new();
    for event in [opted_in, interest, opted_out] {
        let seq = storage.append_preference(event.clone()).await.unwrap();
        expected.push(PreferenceEventRow { seq, ..event });
    }
    assert_eq!(
        storage.preferences_of_subject("s-1").await.unwrap(),
        expected
    );

    // Feature switches: an organisation's, its project's, another organisation's.
    let on = FeatureSwitchRow {
        seq: 0,
        feature: "ai_assistant".into(),
        organisation: "org-1".into(),
        project: None,
        enabled: true,
        actor: "00000000000000a1".into(),
        at: at("2025-04-01T00:00:00Z"),
    };
    let project_off = FeatureSwitchRow {
        project: Some("p-1".into()),
        enabled: false,
        ..on.clone()
    };
    let other_org = FeatureSwitchRow {
        organisation: "org-2".into(),
        ..on.clone()
    };
    let off = FeatureSwitchRow {
        enabled: false,
        ..on.clone()
    };
    let mut expected = Vec::new();
    for event in [on, project_off, other_org, off] {
        let seq = storage.append_feature_switch(event.clone()).await.unwrap();
        if event.organisation == "org-1" {
            expected.push(FeatureSwitchRow { seq, ..event });
        }
    }
    assert_eq!(storage.feature_switches("org-1").await.unwrap(), expected);
    assert_eq!(storage.feature_switches("org-2").await.unwrap().len(), 1);
    assert!(storage.feature_switches("org-3").await.unwrap().is_empty());

    // Audit events, with their categories in the order given.
    let read = audit(
        Some("s-1"),
        &["contact_details", "billing", "account"],
        "2025-05-01T00:00:00Z",
    );
    let no_categories = AuditEventRow {
        ip: None,
        purpose: None,
        detail: None,
        ..audit(Some("s-1"), &[], "2025-05-01T00:00:01Z")
    };
    let about_nobody = audit(None, &["contact_details"], "2025-05-01T00:00:02Z");
    let someone_else = audit(Some("s-2"), &["billing"], "2025-05-01T00:00:03Z");
    let created = AuditEventRow {
        action: "subject.create".into(),
        ..audit(Some("s-1"), &["identity"], "2025-05-01T00:00:04Z")
    };
    let mut expected = Vec::new();
    let mut seqs = Vec::new();
    for event in [read, no_categories, about_nobody, someone_else, created] {
        let seq = storage.append_audit_event(event.clone()).await.unwrap();
        seqs.push(seq);
        if event.subject_id.as_deref() == Some("s-1") {
            expected.push(AuditEventRow { seq, ..event });
        }
    }
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    assert_eq!(
        storage.audit_events_for_subject("s-1").await.unwrap(),
        expected
    );
    assert_eq!(
        storage.audit_events_for_subject("s-2").await.unwrap()[0].categories,
        ["billing"]
    );
    storage.close().await.unwrap();
}

async fn ledgers_are_append_only(h: Arc<Harness>) {
    let storage = h.open().await;
    let consent_event = consent("subject", "s-1", true, "2025-01-01T00:00:00Z");
    storage.append_consent_event(consent_event).await.unwrap();
    storage
        .append_objection(ObjectionEventRow {
            seq: 0,
            subject_id: "s-1".into(),
            purpose: None,
            objected: true,
            source: "api".into(),
            at: at("2025-01-01T00:00:00Z"),
        })
        .await
        .unwrap();
    storage
        .append_preference(PreferenceEventRow {
            seq: 0,
            subject_id: "s-1".into(),
            kind: "channel".into(),
            name: "sms".into(),
            opted_in: true,
            at: at("2025-01-01T00:00:00Z"),
        })
        .await
        .unwrap();
    storage
        .append_feature_switch(FeatureSwitchRow {
            seq: 0,
            feature: "ai_assistant".into(),
            organisation: "org-1".into(),
            project: None,
            enabled: true,
            actor: "admin".into(),
            at: at("2025-01-01T00:00:00Z"),
        })
        .await
        .unwrap();
    let audited = audit(Some("s-1"), &["billing"], "2025-01-01T00:00:00Z");
    storage.append_audit_event(audited).await.unwrap();
    let before = storage.audit_events_for_subject("s-1").await.unwrap();

    for (table, column) in [
        ("consent_events", "granted"),
        ("objection_events", "objected"),
        ("preference_events", "opted_in"),
        ("feature_switch_events", "enabled"),
    ] {
        // Written as `NOT column` so that it is valid for INTEGER (SQLite) and boolean columns.
        let error = h
            .try_execute(&format!("UPDATE {table} SET {column} = NOT {column}"))
            .await
            .unwrap_err();
        assert!(error.contains("append-only"), "{table}: {error}");
    }
    let error = h
        .try_execute("UPDATE audit_events SET outcome = 'rewritten'")
        .await
        .unwrap_err();
    assert!(error.contains("append-only"), "{error}");
    let error = h
        .try_execute("UPDATE audit_event_categories SET category = 'other'")
        .await
        .unwrap_err();
    assert!(error.contains("append-only"), "{error}");

    let consents = storage.consent_events_for_subject("s-1").await.unwrap();
    assert!(consents[0].granted, "unchanged");
    assert_eq!(
        storage.audit_events_for_subject("s-1").await.unwrap(),
        before
    );
    storage.close().await.unwrap();
}

async fn concurrent_appends_get_distinct_increasing_seqs(h: Arc<Harness>) {
    const TASKS: usize = 8;
    const APPENDS: usize = 15;
    // Two servers (two pools), several tasks each, all appending at once.
    let servers = [h.open().await, h.open().await];
    let barrier = Arc::new(tokio::sync::Barrier::new(TASKS));
    let tasks: Vec<_> = (0..TASKS)
        .map(|task| {
            let storage = Arc::clone(&servers[task % 2]);
            let barrier = Arc::clone(&barrier);
            tokio::spawn(async move {
                barrier.wait().await;
                let mut consent_seqs = Vec::new();
                let mut audit_seqs = Vec::new();
                for i in 0..APPENDS {
                    let mut event =
                        consent("subject", "s-busy", i % 2 == 0, "2025-01-01T00:00:00Z");
                    event.purpose = format!("task-{task}");
                    event.notice_version = format!("{i}");
                    consent_seqs.push(storage.append_consent_event(event).await.unwrap());
                    let mut event = audit(Some("s-busy"), &["a", "b"], "2025-01-01T00:00:00Z");
                    event.actor = format!("task-{task}");
                    event.detail = Some(format!("{i}"));
                    audit_seqs.push(storage.append_audit_event(event).await.unwrap());
                }
                (consent_seqs, audit_seqs)
            })
        })
        .collect();
    let mut all_consent = HashSet::new();
    let mut all_audit = HashSet::new();
    for task in tasks {
        let (consent_seqs, audit_seqs) = task.await.unwrap();
        for seqs in [&consent_seqs, &audit_seqs] {
            assert!(
                seqs.windows(2).all(|w| w[0] < w[1]),
                "one task's appends get increasing seqs: {seqs:?}"
            );
        }
        all_consent.extend(consent_seqs);
        all_audit.extend(audit_seqs);
    }
    assert_eq!(all_consent.len(), TASKS * APPENDS, "distinct consent seqs");
    assert_eq!(all_audit.len(), TASKS * APPENDS, "distinct audit seqs");

    // Read back: every event, in seq order, each task's in the order it appended them.
    let consents = servers[0]
        .consent_events_for_subject("s-busy")
        .await
        .unwrap();
    let seqs: Vec<i64> = consents.iter().map(|e| e.seq).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(seqs.iter().copied().collect::<HashSet<_>>(), all_consent);
    let audits = servers[1].audit_events_for_subject("s-busy").await.unwrap();
    let seqs: Vec<i64> = audits.iter().map(|e| e.seq).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(seqs.iter().copied().collect::<HashSet<_>>(), all_audit);
    assert!(audits.iter().all(|e| e.categories == ["a", "b"]));
    for task in 0..TASKS {
        let order: Vec<String> = consents
            .iter()
            .filter(|e| e.purpose == format!("task-{task}"))
            .map(|e| e.notice_version.clone())
            .collect();
        let expected: Vec<String> = (0..APPENDS).map(|i| i.to_string()).collect();
        assert_eq!(order, expected);
        let order: Vec<String> = audits
            .iter()
            .filter(|e| e.actor == format!("task-{task}"))
            .filter_map(|e| e.detail.clone())
            .collect();
        assert_eq!(order, expected);
    }
    for server in servers {
        server.close().await.unwrap();
    }
}

async fn incident_entries_take_each_position_once(h: Arc<Harness>) {
    let storage = h.open().await;
    let entry = |incident: &str, position: i64, kind: &str| IncidentEntryRow {
        incident_id: incident.into(),
        position,
        at: at("2026-03-27T16:30:00Z"),
        actor: "tok-1".into(),
        kind: kind.into(),
        body: format!(r#"{{"kind":"{kind}"}}"#),
    };
    storage
        .append_incident_entry(entry("inc-b", 0, "reported"))
        .await
        .unwrap();
    storage
        .append_incident_entry(entry("inc-a", 0, "reported"))
        .await
        .unwrap();
    storage
        .append_incident_entry(entry("inc-a", 1, "authority_notified"))
        .await
        .unwrap();
    // Two writers that read the same incident race for the same position: one of them loses.
    let lost = storage
        .append_incident_entry(entry("inc-a", 1, "closed"))
        .await;
    assert!(matches!(lost, Err(StorageError::Conflict(_))), "{lost:?}");
    let a = storage.incident_entries("inc-a").await.unwrap();
    assert_eq!(
        a,
        vec![
            entry("inc-a", 0, "reported"),
            entry("inc-a", 1, "authority_notified")
        ]
    );
    assert!(
        storage
            .incident_entries("inc-none")
            .await
            .unwrap()
            .is_empty()
    );
    let all = storage.all_incident_entries().await.unwrap();
    let order: Vec<(&str, i64)> = all
        .iter()
        .map(|e| (e.incident_id.as_str(), e.position))
        .collect();
    assert_eq!(order, [("inc-a", 0), ("inc-a", 1), ("inc-b", 0)]);
    let error = h
        .try_execute("UPDATE incident_entries SET body = '{}'")
        .await
        .unwrap_err();
    assert!(error.contains("append-only"), "{error}");
    storage.close().await.unwrap();
}

async fn disclosures_round_trip_and_are_found_by_subject(h: Arc<Harness>) {
    let storage = h.open().await;
    let disclosure = |id: &str, when: &str, subjects: &[&str]| DisclosureRow {
        id: id.into(),
        at: at(when),
        actor: "tok-1".into(),
        recipient: "authorities".into(),
        purpose: "disclosure_to_authorities".into(),
        legal_basis: "Lag (2022:482) om elektronisk kommunikation 9 kap. 31 §".into(),
        decision: Some(DisclosureDecision {
            kind: "court_decision".into(),
            reference: "B 1234-26".into(),
            decided_by: "Stockholms tingsrätt".into(),
            decided_on: "2026-05-04".into(),
            document_sha256: Some("ab".repeat(32)),
        }),
        subjects: subjects.iter().map(|s| s.to_string()).collect(),
        categories: vec!["traffic_data".into(), "contact_details".into()],
    };
    let second = disclosure("d-2", "2026-05-06T10:00:00Z", &["s-2"]);
    let first = disclosure("d-1", "2026-05-05T10:00:00Z", &["s-1", "s-2"]);
    storage.insert_disclosure(second.clone()).await.unwrap();
    storage.insert_disclosure(first.clone()).await.unwrap();
    assert_eq!(
        storage.list_disclosures().await.unwrap(),
        vec![first.clone(), second.clone()]
    );
    assert_eq!(
        storage.disclosures_of_subject("s-1").await.unwrap(),
        vec![first.clone()]
    );
    assert_eq!(
        storage.disclosures_of_subject("s-2").await.unwrap(),
        vec![first.clone(), second]
    );
    assert!(
        storage
            .disclosures_of_subject("s-3")
            .await
            .unwrap()
            .is_empty()
    );
    let again = storage.insert_disclosure(first.clone()).await;
    assert!(matches!(again, Err(StorageError::Conflict(_))), "{again:?}");
    let mut blank = disclosure("d-3", "2026-05-07T10:00:00Z", &["s-1"]);
    if let Some(decision) = blank.decision.as_mut() {
        decision.reference = "  ".into();
    }
    assert!(matches!(
        storage.insert_disclosure(blank).await,
        Err(StorageError::Invalid(_))
    ));
    assert_eq!(storage.list_disclosures().await.unwrap().len(), 2);
    // A disclosure the register allows on its own (a credit agency, a group company) has no
    // decision (migration 16).
    let to_agency = DisclosureRow {
        recipient: "credit_agency".into(),
        purpose: "credit_check".into(),
        legal_basis: "contract".into(),
        decision: None,
        ..disclosure("d-4", "2026-05-08T10:00:00Z", &["s-1"])
    };
    storage.insert_disclosure(to_agency.clone()).await.unwrap();
    assert_eq!(
        storage.disclosures_of_subject("s-1").await.unwrap(),
        vec![first.clone(), to_agency]
    );
    // A decision is stored whole or not at all.
    for (columns, values) in [
        (
            "decision_kind, decision_reference, decided_by",
            "'court_decision', 'B 1-26', 'Tingsrätten'",
        ),
        ("decision_reference", "'B 1-26'"),
        ("document_sha256", "'ab'"),
    ] {
        let error = h
            .try_execute(&format!(
                "INSERT INTO disclosures (id, at, actor, recipient, purpose, legal_basis, {columns})
                 VALUES ('d-9', '2026-05-09T10:00:00Z', 'tok-1', 'police', 'p', 'law', {values})"
            ))
            .await
            .unwrap_err();
        assert!(error.to_lowercase().contains("check"), "{columns}: {error}");
    }
    for table in [
        "disclosures",
        "disclosure_subjects",
        "disclosure_categories",
    ] {
        let column = if table == "disclosures" {
            "actor"
        } else {
            "disclosure_id"
        };
        let error = h
            .try_execute(&format!("UPDATE {table} SET {column} = {column}"))
            .await
            .unwrap_err();
        assert!(error.contains("append-only"), "{table}: {error}");
    }
    storage.close().await.unwrap();
}

async fn audit_events_are_appended_in_batches(h: Arc<Harness>) {
    let storage = h.open().await;
    assert_eq!(
        storage.append_audit_events(Vec::new()).await.unwrap(),
        Vec::<i64>::new()
    );
    let single = storage
        .append_audit_event(audit(Some("s-1"), &["a"], "2025-05-01T00:00:00Z"))
        .await
        .unwrap();
    let batch = vec![
        audit(Some("s-1"), &["contact", "billing"], "2025-05-01T00:00:01Z"),
        audit(Some("s-2"), &[], "2025-05-01T00:00:02Z"),
        audit(Some("s-1"), &["contact"], "2025-05-01T00:00:03Z"),
    ];
    let seqs = storage.append_audit_events(batch.clone()).await.unwrap();
    assert_eq!(seqs.len(), 3);
    assert!(
        single < seqs[0] && seqs[0] < seqs[1] && seqs[1] < seqs[2],
        "{single} {seqs:?}"
    );
    let of_s1 = storage.audit_events_for_subject("s-1").await.unwrap();
    let categories: Vec<Vec<String>> = of_s1.iter().map(|e| e.categories.clone()).collect();
    assert_eq!(
        categories,
        [
            vec!["a".to_string()],
            batch[0].categories.clone(),
            batch[2].categories.clone()
        ]
    );
    assert_eq!(of_s1[1].seq, seqs[0]);
    storage.close().await.unwrap();
}

/// One append of 1,000 events (the bulk insert of issue 19: one statement per batch), with text
/// JSON must escape (control characters, quotes, backslashes) and characters outside the BMP:
/// every event and category reads back as given, and the chain verifies.
async fn a_large_audit_batch_reads_back_exactly_and_verifies(h: Arc<Harness>) {
    let storage = h.open().await;
    let (_dir, keyring) = test_keyring();
    let batch: Vec<AuditEventRow> = (0..1000)
        .map(|n| {
            let mut event = audit(
                Some(&format!("s-{}", n % 7)),
                &["contact", "billing", "traffic"][..n % 4],
                "2025-05-01T00:00:00.123456Z",
            );
            if n % 5 == 0 {
                event.ip = None;
                event.purpose = None;
                event.detail = None;
            } else {
                event.detail = Some(format!("\u{1}\t\"q\" \\ 🙂 Åsa {n}"));
            }
            event
        })
        .collect();
    storage
        .append_audit_events(vec![audit(None, &["a"], "2025-05-01T00:00:00Z")])
        .await
        .unwrap();
    let seqs = storage.append_audit_events(batch.clone()).await.unwrap();
    assert_eq!(seqs, (2..=1001).collect::<Vec<i64>>());
    let entries = storage
        .audit_entries(&AuditFilter::default(), 0, 2000)
        .await
        .unwrap();
    assert_eq!(entries.len(), 1001);
    for (entry, event) in entries[1..].iter().zip(&batch) {
        let stored = AuditEventRow {
            seq: 0,
            ..entry.event.clone()
        };
        assert_eq!(&stored, event);
    }
    let report = verify(&storage, &keyring).await;
    assert_eq!((report.entries, report.breach), (1001, None));
    storage.close().await.unwrap();
}

// -- The audit chain ------------------------------------------------------------------------

/// A keyring in a temporary directory, for signing checkpoints.
fn test_keyring() -> (tempfile::TempDir, skydd_crypto::Keyring) {
    let dir = tempfile::tempdir().unwrap();
    let (keyring, _) =
        skydd_crypto::Keyring::load_or_create(&dir.path().join("master.key")).unwrap();
    (dir, keyring)
}

/// Sign and store a checkpoint of the chain's current head.
async fn checkpoint(
    storage: &Arc<dyn Storage>,
    keyring: &skydd_crypto::Keyring,
) -> AuditCheckpointRow {
    let head = storage.audit_chain_head().await.unwrap();
    let when = at("2025-06-01T00:00:00Z");
    let signer = keyring.checkpoint_signer();
    let row = AuditCheckpointRow {
        seq: head.seq,
        hash: head.hash.to_vec(),
        at: when,
        public_key: signer.public_key().to_vec(),
        signature: signer
            .sign(&audit_chain::checkpoint_bytes(head.seq, &head.hash, when))
            .to_vec(),
    };
    assert!(storage.insert_audit_checkpoint(row.clone()).await.unwrap());
    assert!(
        !storage.insert_audit_checkpoint(row.clone()).await.unwrap(),
        "once per seq"
    );
    row
}

/// Ten distinct events (seqs 1..=10) and a signed checkpoint of them.
async fn ten_checkpointed_events(storage: &Arc<dyn Storage>, keyring: &skydd_crypto::Keyring) {
    for n in 1..=10 {
        let subject = format!("s-{n}");
        storage
            .append_audit_event(audit(Some(&subject), &["contact"], "2025-05-01T00:00:00Z"))
            .await
            .unwrap();
    }
    checkpoint(storage, keyring).await;
}

async fn verify(storage: &Arc<dyn Storage>, keyring: &skydd_crypto::Keyring) -> ChainReport {
    verify_with(storage, keyring, Vec::new()).await
}

/// Verify with the default plan (one stretch for these short trails) and with reads of two
/// entries in up to four parallel stretches, so that every entry is near a boundary: both must
/// give the same report.
async fn verify_with(
    storage: &Arc<dyn Storage>,
    keyring: &skydd_crypto::Keyring,
    witnesses: Vec<skydd_storage::AuditCheckpointRow>,
) -> ChainReport {
    let key = keyring.checkpoint_signer().public_key();
    let whole = verify_audit_chain(storage.clone(), &key, witnesses.clone())
        .await
        .unwrap();
    for plan in [
        VerifyPlan {
            read: 2,
            parallel: 4,
        },
        VerifyPlan {
            read: 3,
            parallel: 2,
        },
    ] {
        let split = verify_audit_chain_by(storage.clone(), &key, witnesses.clone(), plan)
            .await
            .unwrap();
        assert_eq!(split, whole, "{plan:?} disagrees with one stretch");
    }
    whole
}

/// Remove the append-only guard, as someone with write access to the database can.
async fn drop_append_only_trigger(h: &Harness) {
    match h.backend() {
        Backend::Sqlite => h.execute("DROP TRIGGER audit_events_append_only").await,
        Backend::Postgres => {
            h.execute("DROP TRIGGER audit_events_append_only ON audit_events")
                .await;
        }
    }
}

fn breach(report: &ChainReport) -> &Breach {
    report
        .breach
        .as_ref()
        .unwrap_or_else(|| panic!("tampering went unnoticed: {report:?}"))
}

async fn audit_chain_verifies_when_intact_and_under_concurrent_appends(h: Arc<Harness>) {
    let storage = h.open().await;
    let (_dir, keyring) = test_keyring();
    let empty = verify(&storage, &keyring).await;
    assert_eq!(
        (empty.entries, empty.breach.clone()),
        (0, None),
        "{empty:?}"
    );

    let mut writers = Vec::new();
    for writer in 0..6 {
        let storage = Arc::clone(&storage);
        writers.push(tokio::spawn(async move {
            for n in 0..15 {
                let subject = format!("s-{writer}-{n}");
                let event = audit(Some(&subject), &["a", "b"], "2025-05-01T00:00:00Z");
                if n % 3 == 0 {
                    storage
                        .append_audit_events(vec![event.clone(), event])
                        .await
                        .unwrap();
                } else {
                    storage.append_audit_event(event).await.unwrap();
                }
            }
        }));
    }
    for writer in writers {
        writer.await.unwrap();
    }
    checkpoint(&storage, &keyring).await;
    let report = verify(&storage, &keyring).await;
    assert_eq!(report.breach, None, "{report:?}");
    assert_eq!(report.entries, 6 * (10 + 2 * 5));

    // Verifying while a server appends: what is appended meanwhile is left for the next run,
    // never taken for tampering.
    let appender = {
        let storage = Arc::clone(&storage);
        tokio::spawn(async move {
            for n in 0..60 {
                let subject = format!("live-{n}");
                storage
                    .append_audit_event(audit(Some(&subject), &["a"], "2025-05-02T00:00:00Z"))
                    .await
                    .unwrap();
            }
        })
    };
    let key = keyring.checkpoint_signer().public_key();
    loop {
        let plan = VerifyPlan {
            read: 7,
            parallel: 3,
        };
        let live = verify_audit_chain_by(storage.clone(), &key, Vec::new(), plan)
            .await
            .unwrap();
        assert_eq!(live.breach, None, "{live:?}");
        assert!(live.entries >= 120, "{live:?}");
        if appender.is_finished() {
            break;
        }
    }
    appender.await.unwrap();
    let report = verify(&storage, &keyring).await;
    assert_eq!(
        (report.entries, report.breach.clone()),
        (180, None),
        "{report:?}"
    );
    assert_eq!(report.head_seq, 180);
    assert_eq!(report.checkpoints, 1);
    storage.close().await.unwrap();
}

async fn audit_chain_detects_a_flipped_byte(h: Arc<Harness>) {
    let storage = h.open().await;
    let (_dir, keyring) = test_keyring();
    ten_checkpointed_events(&storage, &keyring).await;
    drop_append_only_trigger(&h).await;
    // "...a1" becomes "...a0": one byte of the actor.
    h.execute("UPDATE audit_events SET actor = '00000000000000a0' WHERE seq = 5")
        .await;
    let report = verify(&storage, &keyring).await;
    assert_eq!(breach(&report).seq, 5, "{report:?}");
    assert!(breach(&report).problem.contains("does not match its hash"));
    storage.close().await.unwrap();
}

async fn audit_chain_names_an_entry_whose_text_is_not_utf8(h: Arc<Harness>) {
    if h.backend() == Backend::Postgres {
        return; // PostgreSQL stores no invalid UTF-8 in text.
    }
    let storage = h.open().await;
    let (_dir, keyring) = test_keyring();
    ten_checkpointed_events(&storage, &keyring).await;
    drop_append_only_trigger(&h).await;
    h.execute("UPDATE audit_events SET actor = CAST(x'ff61' AS TEXT) WHERE seq = 6")
        .await;
    let report = verify(&storage, &keyring).await;
    assert_eq!(breach(&report).seq, 6, "{report:?}");
    assert!(breach(&report).problem.contains("does not match its hash"));
    storage.close().await.unwrap();
}

async fn audit_chain_detects_a_deleted_row(h: Arc<Harness>) {
    let storage = h.open().await;
    let (_dir, keyring) = test_keyring();
    ten_checkpointed_events(&storage, &keyring).await;
    h.execute("DELETE FROM audit_event_categories WHERE event_seq = 4; DELETE FROM audit_events WHERE seq = 4").await;
    let report = verify(&storage, &keyring).await;
    assert_eq!(breach(&report).seq, 4, "{report:?}");
    assert!(breach(&report).problem.contains("missing"), "{report:?}");
    storage.close().await.unwrap();
}

async fn audit_chain_detects_two_rows_swapped(h: Arc<Harness>) {
    let storage = h.open().await;
    let (_dir, keyring) = test_keyring();
    ten_checkpointed_events(&storage, &keyring).await;
    drop_append_only_trigger(&h).await;
    // Rows 3 and 6 trade places: content and hash move together, seqs stay.
    h.execute(
        "UPDATE audit_events SET
            subject_id = CASE seq WHEN 3 THEN 's-6' ELSE 's-3' END,
            hash = CASE seq
                WHEN 3 THEN (SELECT hash FROM audit_events WHERE seq = 6)
                ELSE (SELECT hash FROM audit_events WHERE seq = 3) END
         WHERE seq IN (3, 6)",
    )
    .await;
    let report = verify(&storage, &keyring).await;
    assert_eq!(breach(&report).seq, 3, "{report:?}");
    storage.close().await.unwrap();
}

async fn audit_chain_detects_a_dropped_tail(h: Arc<Harness>) {
    let storage = h.open().await;
    let (_dir, keyring) = test_keyring();
    ten_checkpointed_events(&storage, &keyring).await;
    // The last two entries go, and the head is moved back to match: only the signed
    // checkpoint still knows there were ten.
    h.execute(
        "DELETE FROM audit_event_categories WHERE event_seq > 8;
         DELETE FROM audit_events WHERE seq > 8;
         UPDATE audit_chain_head SET seq = 8, hash = (SELECT hash FROM audit_events WHERE seq = 8)",
    )
    .await;
    let report = verify(&storage, &keyring).await;
    assert_eq!(breach(&report).seq, 9, "{report:?}");
    assert!(
        breach(&report).problem.contains("tail was dropped"),
        "{report:?}"
    );

    // Dropping the checkpoint too is caught by the copy kept outside the database.
    let witness = storage.audit_checkpoints().await.unwrap().pop().unwrap();
    h.execute("DELETE FROM audit_checkpoints").await;
    assert_eq!(
        verify(&storage, &keyring).await.breach,
        None,
        "without a witness: undetectable"
    );
    let report = verify_with(&storage, &keyring, vec![witness]).await;
    assert_eq!(breach(&report).seq, 9, "{report:?}");
    storage.close().await.unwrap();
}

async fn audit_chain_detects_a_forged_checkpoint(h: Arc<Harness>) {
    let storage = h.open().await;
    let (_dir, keyring) = test_keyring();
    let (_other_dir, other) = test_keyring();
    ten_checkpointed_events(&storage, &keyring).await;
    storage
        .append_audit_event(audit(Some("s-11"), &[], "2025-05-02T00:00:00Z"))
        .await
        .unwrap();
    checkpoint(&storage, &other).await;
    let report = verify(&storage, &keyring).await;
    assert_eq!(breach(&report).seq, 11, "{report:?}");
    assert!(breach(&report).problem.contains("signature"));
    storage.close().await.unwrap();
}

async fn audit_chain_detects_an_entry_stored_after_the_head(h: Arc<Harness>) {
    let storage = h.open().await;
    let (_dir, keyring) = test_keyring();
    ten_checkpointed_events(&storage, &keyring).await;
    // A copy of entry 10 as entry 11, hash and all, without moving the head.
    let overriding = match h.backend() {
        Backend::Sqlite => "",
        Backend::Postgres => "OVERRIDING SYSTEM VALUE",
    };
    h.execute(&format!(
        "INSERT INTO audit_events (seq, at, actor, ip, action, purpose, subject_id, outcome,
                                   detail, hash) {overriding}
         SELECT 11, at, actor, ip, action, purpose, subject_id, outcome, detail, hash
         FROM audit_events WHERE seq = 10"
    ))
    .await;
    let report = verify(&storage, &keyring).await;
    assert_eq!(breach(&report).seq, 11, "{report:?}");
    assert!(
        breach(&report).problem.contains("after the chain head"),
        "{report:?}"
    );
    storage.close().await.unwrap();
}

async fn audit_chain_detects_a_changed_stored_hash_at_a_stretch_boundary(h: Arc<Harness>) {
    // With reads of two in four stretches, ten entries split as 1-3, 4-6, 7-9, 10: the hash
    // stored with entry 3 is what the second stretch starts from.
    let storage = h.open().await;
    let (_dir, keyring) = test_keyring();
    ten_checkpointed_events(&storage, &keyring).await;
    drop_append_only_trigger(&h).await;
    h.execute("CREATE TABLE saved_hashes AS SELECT seq, hash FROM audit_events")
        .await;
    for changed in [3, 6, 10] {
        h.execute(&format!(
            "UPDATE audit_events SET hash = (SELECT hash FROM audit_events WHERE seq = 1)
             WHERE seq = {changed}"
        ))
        .await;
        let report = verify(&storage, &keyring).await;
        assert_eq!(breach(&report).seq, changed, "{report:?}");
        assert!(breach(&report).problem.contains("does not match its hash"));
        h.execute(
            "UPDATE audit_events
             SET hash = (SELECT s.hash FROM saved_hashes s WHERE s.seq = audit_events.seq)",
        )
        .await;
        assert_eq!(verify(&storage, &keyring).await.breach, None);
    }
    storage.close().await.unwrap();
}

/// Four events, seqs 1 to 4, each of its own subject and of the categories `contact` and
/// `billing`, appended as ledger units (PostgreSQL's one-statement append), then a checkpoint.
async fn four_events_of_two_categories(
    storage: &Arc<dyn Storage>,
    keyring: &skydd_crypto::Keyring,
) {
    for n in 1..=4 {
        storage
            .append_ledger(vec![skydd_storage::LedgerUnit::audit(vec![audit(
                Some(&format!("s-{n}")),
                &["contact", "billing"],
                "2025-05-01T00:00:00Z",
            )])])
            .await
            .unwrap();
    }
    checkpoint(storage, keyring).await;
}

async fn audit_chain_detects_reordered_categories(h: Arc<Harness>) {
    let storage = h.open().await;
    let (_dir, keyring) = test_keyring();
    four_events_of_two_categories(&storage, &keyring).await;
    match h.backend() {
        Backend::Sqlite => {
            h.execute("DROP TRIGGER audit_event_categories_append_only")
                .await;
        }
        Backend::Postgres => {
            h.execute("DROP TRIGGER audit_event_categories_append_only ON audit_event_categories")
                .await;
        }
    }
    h.execute(
        "UPDATE audit_event_categories
         SET category = CASE category WHEN 'contact' THEN 'billing' ELSE 'contact' END
         WHERE event_seq = 3",
    )
    .await;
    let report = verify(&storage, &keyring).await;
    assert_eq!(breach(&report).seq, 3, "{report:?}");
    storage.close().await.unwrap();
}

/// A category row added to an event, or taken from one, breaks that event's hash. On
/// PostgreSQL no foreign key ties the rows to their events since schema 25, so the hash is
/// what finds them; a row for no event at all belongs to no entry and changes nothing read.
async fn audit_chain_detects_categories_added_or_removed(h: Arc<Harness>) {
    let storage = h.open().await;
    let (_dir, keyring) = test_keyring();
    four_events_of_two_categories(&storage, &keyring).await;
    h.execute(
        "INSERT INTO audit_event_categories (event_seq, position, category)
         VALUES (2, 2, 'traffic')",
    )
    .await;
    assert_eq!(breach(&verify(&storage, &keyring).await).seq, 2);
    h.execute(
        "DELETE FROM audit_event_categories WHERE event_seq = 2 AND position = 2;
         DELETE FROM audit_event_categories WHERE event_seq = 3 AND position = 1",
    )
    .await;
    assert_eq!(breach(&verify(&storage, &keyring).await).seq, 3);
    h.execute(
        "INSERT INTO audit_event_categories (event_seq, position, category)
         VALUES (3, 1, 'billing')",
    )
    .await;
    let intact = verify(&storage, &keyring).await;
    assert!(intact.breach.is_none(), "{intact:?}");
    if h.backend() == Backend::Postgres {
        h.execute(
            "INSERT INTO audit_event_categories (event_seq, position, category)
             VALUES (99, 0, 'contact')",
        )
        .await;
        let report = verify(&storage, &keyring).await;
        assert!(report.breach.is_none(), "{report:?}");
    }
    storage.close().await.unwrap();
}

async fn audit_chain_range_reads_back_what_was_appended(h: Arc<Harness>) {
    let storage = h.open().await;
    let mut appended = Vec::new();
    for n in 0..7 {
        let mut event = audit(
            (n % 3 != 0).then_some("s-1"),
            &["contact", "billing", "traffic"][..n % 4],
            "2025-05-01T00:00:00.123456Z",
        );
        if n % 2 == 0 {
            event.ip = None;
            event.purpose = None;
            event.detail = None;
        } else {
            // Text that JSON must escape, and text beyond ASCII.
            event.detail = Some("{\"quote\": \"\\\" \\n\",\t\"name\": \"Åsa Öberg ✓\"}\n".into());
        }
        appended.push(event);
    }
    storage.append_audit_events(appended.clone()).await.unwrap();
    let entries = storage
        .audit_entries(&AuditFilter::default(), 0, 100)
        .await
        .unwrap();
    let links = storage.audit_chain_links(0, 7).await.unwrap();
    let expected: ChainLinks = entries.iter().cloned().collect();
    assert_eq!(links, expected);
    assert_eq!(links.len(), 7);
    let mut prev = audit_chain::GENESIS_HASH;
    for ((seq, tail, stored), (entry, event)) in links.iter().zip(entries.iter().zip(&appended)) {
        assert_eq!(seq, entry.event.seq);
        assert_eq!(entry.event.categories, event.categories);
        assert_eq!(entry.event.detail, event.detail);
        let whole = audit_chain::entry_bytes(&prev, &entry.event);
        assert!(
            whole.ends_with(tail),
            "the encoding after the previous hash"
        );
        prev = audit_chain::entry_hash(&prev, &entry.event);
        assert_eq!(stored, StoredHash::Sha256(prev));
    }
    let middle: ChainLinks = entries[2..4].iter().cloned().collect();
    assert_eq!(storage.audit_chain_links(2, 4).await.unwrap(), middle);
    assert!(storage.audit_chain_links(7, 20).await.unwrap().is_empty());

    // A hash missing reads back as missing (one of another length the schema refuses).
    drop_append_only_trigger(&h).await;
    h.execute("UPDATE audit_events SET hash = NULL WHERE seq = 3")
        .await;
    let links = storage.audit_chain_links(0, 7).await.unwrap();
    let stored: Vec<StoredHash> = links.iter().map(|(_, _, stored)| stored).collect();
    assert_eq!(stored[2], StoredHash::Missing);
    assert!(matches!(stored[3], StoredHash::Sha256(_)));
    let expected: ChainLinks = storage
        .audit_entries(&AuditFilter::default(), 0, 100)
        .await
        .unwrap()
        .into_iter()
        .collect();
    assert_eq!(links, expected);
    let (head, last) = storage.audit_chain_tip().await.unwrap();
    assert_eq!((head.seq, last), (7, 7));
    storage.close().await.unwrap();
}

async fn audit_entries_are_filtered_and_paged(h: Arc<Harness>) {
    let storage = h.open().await;
    for (subject, when) in [
        ("s-1", "2025-05-01T00:00:00Z"),
        ("s-2", "2025-05-02T00:00:00Z"),
        ("s-1", "2025-05-03T00:00:00Z"),
        ("s-1", "2025-05-04T00:00:00Z"),
    ] {
        storage
            .append_audit_event(audit(Some(subject), &["a", "b"], when))
            .await
            .unwrap();
    }
    let filter = AuditFilter {
        subject_id: Some("s-1".into()),
        from: Some(at("2025-05-01T00:00:00Z")),
        to: Some(at("2025-05-04T00:00:00Z")),
        ..AuditFilter::default()
    };
    let page = storage.audit_entries(&filter, 0, 1).await.unwrap();
    assert_eq!(page.len(), 1);
    assert_eq!(page[0].event.seq, 1);
    assert_eq!(page[0].event.categories, ["a", "b"]);
    assert_eq!(page[0].hash.as_ref().map(Vec::len), Some(32));
    let rest = storage.audit_entries(&filter, 1, 10).await.unwrap();
    let seqs: Vec<i64> = rest.iter().map(|e| e.event.seq).collect();
    assert_eq!(seqs, [3], "s-2 and the event at `to` are left out");
    let all = storage
        .audit_entries(&AuditFilter::default(), 0, 10)
        .await
        .unwrap();
    assert_eq!(all.len(), 4);
    storage.close().await.unwrap();
}

/// The console's audit search (issue 17): an actor finds its own entries and those of the
/// actors it heads (an account its sessions), an action those it heads (`request` finds
/// `request.create`); a partial word finds nothing, and `%`/`_` are not wildcards.
async fn audit_entries_are_found_by_actor_and_action(h: Arc<Harness>) {
    let storage = h.open().await;
    for (actor, action) in [
        ("account:ab12/session:s1", "request.create"),
        ("account:ab12/session:s2", "request.extend"),
        ("account:ab123/session:s3", "request.create"),
        ("00000000000000a1", "requests.read"),
        ("account:ab12", "staff.sign_in"),
        ("cli:root", "request"),
    ] {
        let mut event = audit(None, &[], "2025-05-01T00:00:00Z");
        event.actor = actor.into();
        event.action = action.into();
        storage.append_audit_event(event).await.unwrap();
    }
    let seqs = |actor: Option<&str>, action: Option<&str>| {
        let filter = AuditFilter {
            actor: actor.map(str::to_owned),
            action: action.map(str::to_owned),
            ..AuditFilter::default()
        };
        let storage = Arc::clone(&storage);
        async move {
            let page = storage.audit_entries(&filter, 0, 100).await.unwrap();
            page.iter().map(|e| e.event.seq).collect::<Vec<i64>>()
        }
    };
    assert_eq!(seqs(Some("account:ab12"), None).await, [1, 2, 5]);
    assert_eq!(seqs(Some("account:ab12/session:s2"), None).await, [2]);
    assert_eq!(seqs(Some("account:ab1"), None).await, Vec::<i64>::new());
    assert_eq!(seqs(Some("account:ab1%"), None).await, Vec::<i64>::new());
    assert_eq!(seqs(Some("00000000000000a1"), None).await, [4]);
    assert_eq!(seqs(None, Some("request")).await, [1, 2, 3, 6]);
    assert_eq!(seqs(None, Some("request.create")).await, [1, 3]);
    assert_eq!(seqs(None, Some("request_")).await, Vec::<i64>::new());
    assert_eq!(seqs(None, Some("requests")).await, [4]);
    assert_eq!(
        seqs(Some("account:ab12"), Some("request")).await,
        [1, 2],
        "both filters apply"
    );
    storage.close().await.unwrap();
}

/// The seqs of `subject`'s audit events as both reads give them: all at once, and through the
/// search in pages of `page` (which also filters by `action` when given).
async fn subject_seqs(
    storage: &Arc<dyn Storage>,
    subject: &str,
    action: Option<&str>,
    page: usize,
) -> (Vec<i64>, Vec<i64>) {
    let all = storage
        .audit_events_for_subject(subject)
        .await
        .unwrap()
        .iter()
        .filter(|e| action.is_none_or(|action| e.action == action))
        .map(|e| e.seq)
        .collect();
    let filter = AuditFilter {
        subject_id: Some(subject.to_owned()),
        action: action.map(str::to_owned),
        ..AuditFilter::default()
    };
    let mut paged = Vec::new();
    loop {
        let after = paged.last().copied().unwrap_or(0);
        let entries = storage.audit_entries(&filter, after, page).await.unwrap();
        assert!(entries.len() <= page);
        assert!(
            entries
                .iter()
                .all(|e| e.hash.is_some() && e.event.categories == ["a"])
        );
        paged.extend(entries.iter().map(|e| e.event.seq));
        if entries.len() < page {
            return (all, paged);
        }
    }
}

/// The audit trail's index by subject (migrations 15 and 24) is filled in rounds behind the
/// commits (issue 19); a search by subject is exact before, during and after them, in pages
/// that cross the index's mark, with another filter or without. On SQLite a round writes the
/// next whole subjects of a span and the mark moves when the span is done; a span half written
/// goes on after a restart.
async fn audit_events_are_found_by_subject_before_during_and_after_index_rounds(h: Arc<Harness>) {
    let sqlite = h.backend() == Backend::Sqlite;
    let append = async |storage: &Arc<dyn Storage>, subjects: &[Option<&str>]| {
        for (n, subject) in subjects.iter().enumerate() {
            let mut event = audit(*subject, &["a"], "2025-05-01T00:00:00Z");
            if n == 2 {
                event.action = "consent.grant".into();
            }
            storage.append_audit_event(event).await.unwrap();
        }
    };
    // Seqs 3 and 10 have the action `consent.grant`, the others `records.read`.
    let check = async |storage: &Arc<dyn Storage>, s1: &[i64], s2: &[i64], s1_reads: &[i64]| {
        for page in [1, 2, 50] {
            let (all, paged) = subject_seqs(storage, "s-1", None, page).await;
            assert_eq!((all.as_slice(), paged.as_slice()), (s1, s1), "page {page}");
            let (all, paged) = subject_seqs(storage, "s-2", None, page).await;
            assert_eq!((all.as_slice(), paged.as_slice()), (s2, s2), "page {page}");
            let (all, paged) = subject_seqs(storage, "s-1", Some("records.read"), page).await;
            assert_eq!((all.as_slice(), paged.as_slice()), (s1_reads, s1_reads));
            assert_eq!(
                subject_seqs(storage, "s-3", None, page).await,
                (vec![], vec![])
            );
        }
    };
    let mark = async |storage: &Arc<dyn Storage>| storage.audit_subject_index_mark().await.unwrap();

    let storage = h.open().await;
    assert_eq!(mark(&storage).await, 0);
    assert_eq!(storage.index_audit_subjects(100).await.unwrap(), 0);
    let first = [
        Some("s-1"),
        Some("s-2"),
        Some("s-1"),
        None,
        Some("s-1"),
        Some("s-1"),
    ];
    append(&storage, &[&first[..], &[Some("s-2")]].concat()).await;
    check(&storage, &[1, 3, 5, 6], &[2, 7], &[1, 5, 6]).await;
    // PostgreSQL moves the mark by 4 events; SQLite writes s-1's four entries of the span up
    // to 7, and s-2's wait for the next round.
    assert_eq!(storage.index_audit_subjects(4).await.unwrap(), 4);
    assert_eq!(mark(&storage).await, if sqlite { 0 } else { 4 });
    check(&storage, &[1, 3, 5, 6], &[2, 7], &[1, 5, 6]).await;
    // A restart in the middle of a span: the next round goes on where it stopped.
    storage.close().await.unwrap();
    let storage = h.open().await;
    check(&storage, &[1, 3, 5, 6], &[2, 7], &[1, 5, 6]).await;
    // s-2's two entries and the event of no subject.
    assert_eq!(storage.index_audit_subjects(100).await.unwrap(), 3);
    assert_eq!(mark(&storage).await, 7);
    check(&storage, &[1, 3, 5, 6], &[2, 7], &[1, 5, 6]).await;
    assert_eq!(
        storage.index_audit_subjects(100).await.unwrap(),
        0,
        "complete"
    );
    append(&storage, &[Some("s-2"), Some("s-1"), Some("s-1")]).await;
    check(&storage, &[1, 3, 5, 6, 9, 10], &[2, 7, 8], &[1, 5, 6, 9]).await;
    assert_eq!(storage.index_audit_subjects(100).await.unwrap(), 3);
    assert_eq!(mark(&storage).await, 10);
    check(&storage, &[1, 3, 5, 6, 9, 10], &[2, 7, 8], &[1, 5, 6, 9]).await;

    // Two processes on one database: one stops after a round, the other writes the rest of
    // the index; the first's next round sees that, plans again and finds nothing left to do,
    // and the index is what one process alone would have written.
    append(&storage, &[Some("s-1"), Some("s-2"), Some("s-3"), None]).await;
    let other = h.open().await;
    assert_eq!(storage.index_audit_subjects(1).await.unwrap(), 1);
    let mut indexed = 0;
    loop {
        let round = other.index_audit_subjects(1).await.unwrap();
        if round == 0 {
            break;
        }
        indexed += round;
    }
    assert_eq!(indexed, 3);
    assert_eq!(mark(&other).await, 14);
    assert_eq!(storage.index_audit_subjects(100).await.unwrap(), 0);
    assert_eq!(storage.index_audit_subjects(100).await.unwrap(), 0);
    assert_eq!(mark(&storage).await, 14);
    for (subject, seqs) in [
        ("s-1", vec![1, 3, 5, 6, 9, 10, 11]),
        ("s-2", vec![2, 7, 8, 12]),
        ("s-3", vec![13]),
    ] {
        let (all, paged) = subject_seqs(&storage, subject, None, 2).await;
        assert_eq!((&all, &paged), (&seqs, &seqs), "{subject}");
    }
    other.close().await.unwrap();
    storage.close().await.unwrap();
}

/// The index by subject against a model, in a seeded random walk of bulk appends, rounds of
/// random sizes, runs to completion and restarts: after every step each subject's events are
/// found exactly, at once and in pages. The subjects sort around one another byte by byte
/// (`s-1` < `s-10` < `s-2`, upper case before lower, a non-ASCII one last), the order SQLite's
/// spans split them in.
async fn the_subject_index_stays_exact_through_random_appends_rounds_and_restarts(h: Arc<Harness>) {
    const SUBJECTS: [&str; 6] = ["s-1", "s-10", "s-2", "S", "t", "\u{fc}"];
    // xorshift64: a fixed seed, so a failure replays.
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move |bound: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % bound
    };
    let mut model: std::collections::BTreeMap<&str, Vec<i64>> = SUBJECTS
        .iter()
        .map(|subject| (*subject, Vec::new()))
        .collect();
    let mut seq = 0;
    let mut storage = h.open().await;
    for step in 0..60 {
        match next(10) {
            0..=4 => {
                let mut events = Vec::new();
                for _ in 0..=next(20) {
                    seq += 1;
                    // SUBJECTS.len() is 6: an index up to 6, the last one naming no subject.
                    let pick = usize::try_from(next(7)).unwrap();
                    let subject = SUBJECTS.get(pick).copied();
                    if let Some(subject) = subject {
                        model.get_mut(subject).unwrap().push(seq);
                    }
                    events.push(audit(subject, &["a"], "2025-05-01T00:00:00Z"));
                }
                storage.append_audit_events(events).await.unwrap();
            }
            5..=7 => {
                let limit = usize::try_from(next(16) + 1).unwrap();
                storage.index_audit_subjects(limit).await.unwrap();
            }
            8 => {
                storage.close().await.unwrap();
                storage = h.open().await;
            }
            _ => while storage.index_audit_subjects(8).await.unwrap() > 0 {},
        }
        for (subject, seqs) in &model {
            let (all, paged) = subject_seqs(&storage, subject, None, 3).await;
            assert_eq!(
                (&all, &paged),
                (seqs, seqs),
                "step {step}, subject {subject}"
            );
        }
    }
    while storage.index_audit_subjects(8).await.unwrap() > 0 {}
    assert_eq!(storage.audit_subject_index_mark().await.unwrap(), seq);
    storage.close().await.unwrap();
}

/// Upgrading a database to schema 15 builds the index by subject from the trail as it stands:
/// the mark at the newest event, every subject's events found; on SQLite the index on the
/// events is dropped, on PostgreSQL it is what the view reads.
async fn the_subject_index_is_built_from_the_trail_on_upgrade(h: Arc<Harness>) {
    let storage = h.open().await;
    for subject in [Some("s-1"), None, Some("s-1"), Some("s-2")] {
        storage
            .append_audit_event(audit(subject, &["a"], "2025-05-01T00:00:00Z"))
            .await
            .unwrap();
    }
    storage.close().await.unwrap();
    // Back to schema 14, as the previous release left its databases.
    h.execute(match h.backend() {
        skydd_storage::Backend::Sqlite => {
            "DROP TABLE audit_subject_span; DROP TABLE audit_subject_entries;
             DROP TABLE audit_subject_mark;
             CREATE INDEX audit_events_by_subject ON audit_events (subject_id, seq);
             ALTER TABLE records DROP COLUMN combined_from;
             DELETE FROM skydd_migrations WHERE version >= 15"
        }
        skydd_storage::Backend::Postgres => {
            "DROP TABLE audit_subject_span; DROP VIEW audit_subject_entries;
             DROP TABLE audit_subject_mark;
             ALTER TABLE disclosures DROP CONSTRAINT disclosures_decision_whole_or_absent;
             DELETE FROM skydd_migrations WHERE version >= 15"
        }
    })
    .await;
    let storage = h.open().await;
    assert_eq!(storage.schema_version().await.unwrap(), SCHEMA_VERSION);
    assert_eq!(storage.audit_subject_index_mark().await.unwrap(), 4);
    assert_eq!(storage.index_audit_subjects(100).await.unwrap(), 0);
    for (subject, seqs) in [("s-1", vec![1, 3]), ("s-2", vec![4])] {
        let (all, paged) = subject_seqs(&storage, subject, None, 1).await;
        assert_eq!((&all, &paged), (&seqs, &seqs));
    }
    storage.close().await.unwrap();
    // SQLite's index on the events is dropped (creating it again does not clash); PostgreSQL's
    // stays, under the view.
    let again = h
        .try_execute("CREATE INDEX audit_events_by_subject ON audit_events (subject_id, seq)")
        .await;
    assert_eq!(
        again.is_ok(),
        h.backend() == skydd_storage::Backend::Sqlite,
        "{again:?}"
    );
}

/// Upgrading a database to schema 16 keeps every disclosure to an authority with its
/// decision, subjects and categories, and the tables stay append-only and linked.
async fn disclosures_to_authorities_survive_the_upgrade_to_any_recipient(h: Arc<Harness>) {
    let storage = h.open().await;
    let before = DisclosureRow {
        id: "d-1".into(),
        at: at("2026-05-05T10:00:00Z"),
        actor: "tok-1".into(),
        recipient: "police".into(),
        purpose: "disclosure_to_authorities".into(),
        legal_basis: "Rättegångsbalken 27 kap.".into(),
        decision: Some(DisclosureDecision {
            kind: "order".into(),
            reference: "5000-K1234-26".into(),
            decided_by: "Åklagarmyndigheten".into(),
            decided_on: "2026-05-04".into(),
            document_sha256: None,
        }),
        subjects: vec!["s-2".into(), "s-1".into()],
        categories: vec!["contact".into()],
    };
    storage.insert_disclosure(before.clone()).await.unwrap();
    storage.close().await.unwrap();
    // Back to schema 15: every column of the decision required, as migration 3 made them.
    h.execute(match h.backend() {
        skydd_storage::Backend::Sqlite => {
            "CREATE TABLE disclosures_15 (
                 id TEXT PRIMARY KEY, at TEXT NOT NULL, actor TEXT NOT NULL,
                 recipient TEXT NOT NULL, purpose TEXT NOT NULL, legal_basis TEXT NOT NULL,
                 decision_kind TEXT NOT NULL,
                 decision_reference TEXT NOT NULL CHECK (length(trim(decision_reference)) > 0),
                 decided_by TEXT NOT NULL, decided_on TEXT NOT NULL, document_sha256 TEXT
             ) STRICT;
             INSERT INTO disclosures_15 SELECT * FROM disclosures;
             CREATE TABLE disclosure_subjects_15 (
                 disclosure_id TEXT NOT NULL REFERENCES disclosures_15 (id),
                 position INTEGER NOT NULL, subject_id TEXT NOT NULL,
                 PRIMARY KEY (disclosure_id, position)
             ) STRICT;
             INSERT INTO disclosure_subjects_15 SELECT * FROM disclosure_subjects;
             CREATE TABLE disclosure_categories_15 (
                 disclosure_id TEXT NOT NULL REFERENCES disclosures_15 (id),
                 position INTEGER NOT NULL, category TEXT NOT NULL,
                 PRIMARY KEY (disclosure_id, position)
             ) STRICT;
             INSERT INTO disclosure_categories_15 SELECT * FROM disclosure_categories;
             DROP TABLE disclosure_subjects;
             DROP TABLE disclosure_categories;
             DROP TABLE disclosures;
             ALTER TABLE disclosures_15 RENAME TO disclosures;
             ALTER TABLE disclosure_subjects_15 RENAME TO disclosure_subjects;
             ALTER TABLE disclosure_categories_15 RENAME TO disclosure_categories;
             CREATE INDEX disclosures_by_time ON disclosures (at, id);
             CREATE INDEX disclosure_subjects_by_subject ON disclosure_subjects (subject_id);
             ALTER TABLE records DROP COLUMN combined_from;
             DELETE FROM skydd_migrations WHERE version >= 16"
        }
        skydd_storage::Backend::Postgres => {
            "ALTER TABLE disclosures DROP CONSTRAINT disclosures_decision_whole_or_absent,
                 ALTER COLUMN decision_kind SET NOT NULL,
                 ALTER COLUMN decision_reference SET NOT NULL,
                 ALTER COLUMN decided_by SET NOT NULL,
                 ALTER COLUMN decided_on SET NOT NULL;
             DELETE FROM skydd_migrations WHERE version >= 16"
        }
    })
    .await;
    let storage = h.open().await;
    assert_eq!(storage.schema_version().await.unwrap(), SCHEMA_VERSION);
    assert_eq!(
        storage.list_disclosures().await.unwrap(),
        vec![before.clone()]
    );
    assert_eq!(
        storage.disclosures_of_subject("s-1").await.unwrap(),
        vec![before.clone()]
    );
    let to_group = DisclosureRow {
        id: "d-2".into(),
        recipient: "group_company".into(),
        decision: None,
        ..before.clone()
    };
    storage.insert_disclosure(to_group.clone()).await.unwrap();
    assert_eq!(
        storage.list_disclosures().await.unwrap(),
        vec![before, to_group]
    );
    storage.close().await.unwrap();
    for statement in [
        "UPDATE disclosures SET actor = actor",
        "UPDATE disclosure_subjects SET subject_id = subject_id",
        "UPDATE disclosure_categories SET category = category",
    ] {
        let error = h.try_execute(statement).await.unwrap_err();
        assert!(error.contains("append-only"), "{statement}: {error}");
    }
    let dangling = h
        .try_execute(
            "INSERT INTO disclosure_subjects (disclosure_id, position, subject_id)
             VALUES ('no-such-disclosure', 0, 's-1')",
        )
        .await
        .unwrap_err();
    assert!(
        dangling.to_lowercase().contains("foreign key"),
        "{dangling}"
    );
}

async fn deleting_records_shreds_emptied_subjects_and_proves_it(h: Arc<Harness>) {
    let storage = h.open().await;
    create(&storage, "s-1", None, &[("email", blind(1))]).await;
    create(&storage, "s-2", None, &[("email", blind(2))]).await;
    for r in [
        record(
            "r-1",
            "s-1",
            "2025-01-01T00:00:00Z",
            &[("contract_end", "2025-02-01T00:00:00Z")],
        ),
        record("r-2", "s-1", "2025-01-02T00:00:00Z", &[]),
        record("r-3", "s-2", "2025-01-03T00:00:00Z", &[]),
        record("r-4", "s-2", "2025-01-04T00:00:00Z", &[]),
    ] {
        storage.insert_record(r).await.unwrap();
    }
    assert_eq!(storage.count_records().await.unwrap(), 4);
    let page = storage.records_page(None, 3).await.unwrap();
    let ids: Vec<&str> = page.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["r-1", "r-2", "r-3"]);
    assert_eq!(page[0].anchors.len(), 1);
    let next = storage.records_page(Some("r-3"), 3).await.unwrap();
    assert_eq!(next.len(), 1);

    let deletion = || RecordDeletion {
        delete: vec!["r-1".into(), "r-3".into()],
        anonymise: vec![AnonymisedRecordRow {
            record_id: "r-2".into(),
            category: "contact_details".into(),
            purpose: "customer_relationship".into(),
            collected_month: "2025-01".into(),
            fields: r#"{"visits":3}"#.into(),
            anonymised_at: at("2026-01-01T00:00:00Z"),
        }],
        audit: vec![audit(None, &["contact_details"], "2026-01-01T00:00:00Z")],
        shred_audit: Some(Box::new(|ids: &[String]| {
            let mut event = audit(None, &[], "2026-01-01T00:00:00Z");
            event.action = "subject.shred".into();
            event.detail = Some(ids.join(","));
            event
        })),
    };
    let outcome = storage.delete_records(deletion()).await.unwrap();
    assert_eq!(outcome.records, 3);
    assert_eq!(outcome.shredded, ["s-1"], "s-2 still has r-4");
    assert_nothing_of(&storage, "s-1", &[("email", blind(1))]).await;
    assert!(storage.subject_key("s-2").await.unwrap().is_some());
    let remains = storage.anonymised_records().await.unwrap();
    assert_eq!(remains.len(), 1);
    assert_eq!(remains[0].fields, r#"{"visits":3}"#);
    let trail = storage
        .audit_entries(&AuditFilter::default(), 0, 10)
        .await
        .unwrap();
    let actions: Vec<&str> = trail.iter().map(|e| e.event.action.as_str()).collect();
    assert_eq!(actions, ["records.read", "subject.shred"]);
    assert_eq!(trail[1].event.detail.as_deref(), Some("s-1"));

    // Again: nothing left to do, no second copy of the remains; the proof is appended again
    // only as the caller asks (a resumed sweep asks only for what it found).
    let again = storage.delete_records(deletion()).await.unwrap();
    assert_eq!(again, RecordDeletionOutcome::default());
    assert_eq!(storage.anonymised_records().await.unwrap().len(), 1);

    assert!(storage.shred_subject("s-2").await.unwrap());
    assert!(!storage.shred_subject("s-2").await.unwrap());
    assert!(storage.records_page(None, 10).await.unwrap().is_empty());
    // One sweeper at a time across every server (or process) on the database.
    let lock = storage.try_sweep_lock().await.unwrap().unwrap();
    let other = h.open().await;
    assert!(other.try_sweep_lock().await.unwrap().is_none());
    storage.release_sweep_lock(lock).await.unwrap();
    let again = other.try_sweep_lock().await.unwrap().unwrap();
    other.release_sweep_lock(again).await.unwrap();
    other.close().await.unwrap();
    storage.close().await.unwrap();
}

async fn key_rotation_is_compare_and_set(h: Arc<Harness>) {
    let storage = h.open().await;
    for (id, version) in [("k-3", 1), ("k-1", 1), ("k-2", 1), ("k-4", 2), ("k-5", 3)] {
        storage
            .create_subject(subject(id, None), key(id, version), Vec::new())
            .await
            .unwrap();
    }

    // Rotate to version 3 in batches of two, oldest versions first.
    let batch = storage.subject_keys_older_than(3, 2).await.unwrap();
    assert_eq!(batch, [key("k-1", 1), key("k-2", 1)]);
    for old in &batch {
        let rewrapped = key(&old.subject_id, 3);
        assert!(
            storage
                .update_subject_key(&old.subject_id, old.key_version, rewrapped)
                .await
                .unwrap()
        );
    }
    // A second rotator with the stale batch in hand changes nothing.
    let stale = SubjectKeyRow {
        wrapped_key: b"stale".to_vec(),
        ..key("k-1", 3)
    };
    assert!(!storage.update_subject_key("k-1", 1, stale).await.unwrap());
    assert_eq!(
        storage.subject_key("k-1").await.unwrap(),
        Some(key("k-1", 3))
    );

    // Resuming finds what is left.
    let batch = storage.subject_keys_older_than(3, 2).await.unwrap();
    assert_eq!(batch, [key("k-3", 1), key("k-4", 2)]);
    // Two rotators racing for the same key: exactly one wins.
    let racing: Vec<_> = (0..4)
        .map(|i| {
            let storage = Arc::clone(&storage);
            tokio::spawn(async move {
                let rewrapped = SubjectKeyRow {
                    wrapped_key: format!("racer {i}").into_bytes(),
                    ..key("k-3", 3)
                };
                storage
                    .update_subject_key("k-3", 1, rewrapped)
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut won = 0;
    for task in racing {
        won += usize::from(task.await.unwrap());
    }
    assert_eq!(won, 1);
    assert!(
        storage
            .update_subject_key("k-4", 2, key("k-4", 3))
            .await
            .unwrap()
    );
    assert!(
        storage
            .subject_keys_older_than(3, 100)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        storage.subject_keys_older_than(4, 100).await.unwrap().len(),
        5
    );
    // The largest version fits.
    assert!(
        storage
            .update_subject_key("k-5", 3, key("k-5", u32::MAX))
            .await
            .unwrap()
    );
    assert_eq!(
        storage.subject_key("k-5").await.unwrap(),
        Some(key("k-5", u32::MAX))
    );

    assert!(
        !storage
            .update_subject_key("k-unknown", 1, key("k-unknown", 2))
            .await
            .unwrap()
    );
    let result = storage.update_subject_key("k-4", 3, key("k-1", 4)).await;
    assert!(
        matches!(result, Err(StorageError::Invalid(_))),
        "{result:?}"
    );
    storage.close().await.unwrap();
}

async fn errors_carry_no_bound_values(h: Arc<Harness>) {
    let storage = h.open().await;
    // Values that would be easy to spot, as text, hex or a byte list.
    let index = b"blind-index-of-a@example.se-0001".to_vec();
    assert_eq!(index.len(), 32);
    let sealed = b"CIPHERTEXT-OF-a@example.se".to_vec();
    let wrapped = b"WRAPPED-DATA-KEY".to_vec();
    let tenant = "tenant-with-a-name";
    let new_subject = |id: &str| {
        (
            subject(id, Some(tenant)),
            SubjectKeyRow {
                subject_id: id.into(),
                key_version: 1,
                wrapped_key: wrapped.clone(),
            },
            vec![IdentityRow {
                subject_id: id.into(),
                kind: "email".into(),
                blind_index: index.clone(),
                ciphertext: sealed.clone(),
            }],
        )
    };
    let (s, k, i) = new_subject("s-1");
    storage.create_subject(s, k, i).await.unwrap();
    let mut messages = Vec::new();

    let (s, k, i) = new_subject("s-2");
    messages.push(conflict_message(storage.create_subject(s, k, i).await));
    let secret_record = RecordRow {
        ciphertext: sealed.clone(),
        ..record("r-1", "s-1", "2025-01-01T00:00:00Z", &[])
    };
    storage.insert_record(secret_record.clone()).await.unwrap();
    messages.push(conflict_message(
        storage.insert_record(secret_record.clone()).await,
    ));
    let orphan = RecordRow {
        id: "r-2".into(),
        subject_id: "s-unknown".into(),
        ..secret_record
    };
    messages.push(storage.insert_record(orphan).await.unwrap_err().to_string());
    let mut short = index.clone();
    short.pop();
    messages.push(
        storage
            .find_subject_by_identity(Some(tenant), "email", &short)
            .await
            .unwrap_err()
            .to_string(),
    );

    let hex = |bytes: &[u8]| -> String { bytes.iter().map(|b| format!("{b:02x}")).collect() };
    for value in [&index, &sealed, &wrapped] {
        let forms = [
            String::from_utf8_lossy(value).into_owned(),
            hex(value),
            hex(value).to_uppercase(),
            format!("{value:?}"),
            format!("{:?}", &value[..4])
                .trim_end_matches(']')
                .to_owned(),
        ];
        for message in &messages {
            for form in &forms {
                assert!(
                    !message.contains(form.as_str()),
                    "{message:?} contains {form:?}"
                );
            }
            assert!(!message.contains("example.se"), "{message}");
        }
    }
    for message in &messages {
        assert!(!message.contains(tenant), "{message}");
    }
    storage.close().await.unwrap();
}

// ---------------------------------------------------------------------------------------------
// Helpers for the vault and the ledgers
// ---------------------------------------------------------------------------------------------

/// A blind index, different for each `n`.
fn blind(n: u8) -> Vec<u8> {
    let mut index = vec![0xb1; 32];
    index[0] = n;
    index
}

fn subject(id: &str, tenant: Option<&str>) -> SubjectRow {
    SubjectRow {
        id: id.into(),
        tenant: tenant.map(str::to_owned),
        created_at: at("2025-01-01T00:00:00.000001Z"),
        restricted_at: None,
    }
}

fn key(subject_id: &str, version: u32) -> SubjectKeyRow {
    SubjectKeyRow {
        subject_id: subject_id.into(),
        key_version: version,
        wrapped_key: format!("key of {subject_id} wrapped by {version}").into_bytes(),
    }
}

fn identity(subject_id: &str, kind: &str, blind_index: Vec<u8>) -> IdentityRow {
    IdentityRow {
        subject_id: subject_id.into(),
        kind: kind.into(),
        ciphertext: format!("sealed {kind} of {subject_id}").into_bytes(),
        blind_index,
    }
}

/// Create a subject with key version 1 and the given identities; its row.
async fn create(
    storage: &Arc<dyn Storage>,
    id: &str,
    tenant: Option<&str>,
    identities: &[(&str, Vec<u8>)],
) -> SubjectRow {
    let row = subject(id, tenant);
    let identities = identities
        .iter()
        .map(|(kind, index)| identity(id, kind, index.clone()))
        .collect();
    storage
        .create_subject(row.clone(), key(id, 1), identities)
        .await
        .unwrap();
    row
}

/// Assert that no trace of subject `id` and of `identities` is stored.
async fn assert_nothing_of(storage: &Arc<dyn Storage>, id: &str, identities: &[(&str, Vec<u8>)]) {
    assert_eq!(storage.get_subject(id).await.unwrap(), None, "no subject");
    assert_eq!(storage.subject_key(id).await.unwrap(), None, "no key");
    assert!(
        storage.identities_of_subject(id).await.unwrap().is_empty(),
        "no identities"
    );
    for (kind, index) in identities {
        assert_eq!(
            storage
                .find_subject_by_identity(None, kind, index)
                .await
                .unwrap(),
            None,
            "no {kind} identity"
        );
    }
}

fn conflict_message<T: std::fmt::Debug>(result: Result<T, StorageError>) -> String {
    match result {
        Err(error @ StorageError::Conflict(_)) => error.to_string(),
        other => panic!("expected a conflict, got {other:?}"),
    }
}

fn record(id: &str, subject_id: &str, collected_at: &str, anchors: &[(&str, &str)]) -> RecordRow {
    RecordRow {
        id: id.into(),
        subject_id: subject_id.into(),
        category: "contact_details".into(),
        purpose: "customer_relationship".into(),
        source: "signup_form".into(),
        collected_at: at(collected_at),
        anchors: anchors
            .iter()
            .map(|(event, when)| ((*event).to_owned(), at(when)))
            .collect(),
        ciphertext: format!("sealed fields of {id}").into_bytes(),
        mentions: Vec::new(),
        combined_from: Vec::new(),
    }
}

fn consent(scope_kind: &str, scope_id: &str, granted: bool, when: &str) -> ConsentEventRow {
    ConsentEventRow {
        seq: -1,
        scope_kind: scope_kind.into(),
        scope_id: scope_id.into(),
        purpose: "newsletter".into(),
        granted,
        method: "web_form".into(),
        notice_version: "2025-01".into(),
        at: at(when),
        text_hash: None,
        context_ciphertext: None,
    }
}

fn with_seq(event: ConsentEventRow, seq: i64) -> ConsentEventRow {
    ConsentEventRow { seq, ..event }
}

fn audit(subject_id: Option<&str>, categories: &[&str], when: &str) -> AuditEventRow {
    AuditEventRow {
        seq: 0,
        at: at(when),
        actor: "00000000000000a1".into(),
        ip: Some("192.0.2.1".into()),
        action: "records.read".into(),
        purpose: Some("customer_relationship".into()),
        subject_id: subject_id.map(str::to_owned),
        categories: categories.iter().map(|c| (*c).to_owned()).collect(),
        outcome: "ok".into(),
        detail: Some("2 records, 1 withheld".into()),
    }
}

/// Data-subject requests, their evidence, the outbox, and deletion (issue 4).
#[path = "storage/requests.rs"]
mod requests;

/// Staff accounts, recovery codes and console sessions (issue 17).
#[path = "storage/staff.rs"]
mod staff;

/// The privacy centre's sign-ins and sessions (issue 18).
#[path = "storage/centre.rs"]
mod centre;
/// The consent ledger's cookie table: the banner's choices (issue 18).
#[path = "storage/cookie_choices.rs"]
mod cookie_choices;

/// The change log of decision facts: read, pruned, listened to (issue 19).
#[path = "storage/fact_changes.rs"]
mod fact_changes;
/// Bulk import batches (issue 19).
#[path = "storage/imports.rs"]
mod imports;

/// A lock held by another process is `StorageError::Busy` (issue 14).
#[path = "storage/busy.rs"]
mod busy;
use busy::a_lock_held_beyond_the_timeout_is_busy_and_nothing_is_written;

/// Ledger rows and their audit events in one transaction (issue 19).
#[path = "storage/ledger.rs"]
mod ledger;
use ledger::{
    concurrent_appends_of_one_server_survive_refused_ones,
    ledger_appends_of_two_servers_chain_after_each_other,
    ledger_units_are_written_whole_or_not_at_all,
};

/// PostgreSQL: connections the server ended (`pg_terminate_backend`, as on a failover or a
/// restart of the database) are replaced, without a restart of Skydd: after at most one failed
/// operation every write and read succeeds again (issue 14).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_recovers_from_terminated_connections() {
    let Some(Harness::Postgres { url, .. }) = Harness::postgres() else {
        return;
    };
    // A database of its own, so that terminating its connections touches no other test.
    let (name, storage_url, mut admin) = fault_database(&url).await;
    let storage = open(&Location::Postgres(storage_url)).await.unwrap();
    let created = at("2026-01-01T00:00:00Z");
    let id = |n: usize| format!("tok_fault_{n:04}");
    // Several connections in the pool, some idle, one in a transaction when it is ended.
    let writes: Vec<_> = (0..8)
        .map(|n| storage.insert_token(token(&id(n), "admin", "2026-01-01T00:00:00Z")))
        .collect();
    for write in writes {
        write.await.unwrap();
    }
    // A ledger append, so that the appends' own connection is open when it is ended.
    let event = |action: &str| skydd_storage::AuditEventRow {
        seq: 0,
        at: created,
        actor: "tok_fault".into(),
        ip: None,
        action: action.into(),
        purpose: None,
        subject_id: None,
        categories: vec!["contact".into()],
        outcome: "done".into(),
        detail: None,
    };
    storage
        .append_ledger(vec![skydd_storage::LedgerUnit::audit(vec![event(
            "ledger.before",
        )])])
        .await
        .unwrap();
    let terminate = async |admin: &mut sqlx::PgConnection| {
        let ended: Vec<bool> = sqlx::query_scalar(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
             WHERE datname = $1 AND pid <> pg_backend_pid()",
        )
        .bind(&name)
        .fetch_all(admin)
        .await
        .unwrap();
        assert!(!ended.is_empty(), "no connection of the storage was found");
    };
    terminate(&mut admin).await;
    // The appends' own connection is found lost, and the append goes through the pool (whose
    // ping replaces its ended connections) at once, written once: no append fails.
    storage
        .append_ledger(vec![skydd_storage::LedgerUnit::audit(vec![event(
            "ledger.after",
        )])])
        .await
        .unwrap();
    storage
        .append_ledger(vec![skydd_storage::LedgerUnit::audit(vec![event(
            "ledger.again",
        )])])
        .await
        .unwrap();
    // At most one operation fails (a connection ended while it was idle is found by the pool's
    // ping); every later one succeeds.
    let mut failures = 0;
    for n in 100..120 {
        match storage
            .insert_token(token(&id(n), "admin", "2026-01-01T00:00:00Z"))
            .await
        {
            Ok(()) => {}
            Err(_) if failures == 0 && n == 100 => failures += 1,
            Err(error) => panic!("write {n} failed after the connections were ended: {error}"),
        }
    }
    let audited = storage.append_audit_event(event("records.read")).await;
    assert!(audited.is_ok(), "{audited:?}");
    // Ended again, in the middle of nothing: reads recover too.
    terminate(&mut admin).await;
    let mut listed = storage.list_tokens().await;
    if listed.is_err() {
        listed = storage.list_tokens().await;
    }
    assert_eq!(listed.unwrap().len(), 8 + 20 - failures);
    let report = skydd_storage::verify_audit_chain(storage.clone(), &[0_u8; 32], vec![])
        .await
        .unwrap();
    assert!(report.breach.is_none(), "{report:?}");
    let actions: Vec<String> = storage
        .audit_entries(&AuditFilter::default(), 0, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|entry| entry.event.action)
        .collect();
    assert_eq!(
        actions,
        [
            "ledger.before",
            "ledger.after",
            "ledger.again",
            "records.read"
        ]
    );
    storage.close().await.unwrap();
    drop_fault_database(&mut admin, &name).await;
}

/// A PostgreSQL database of its own for a fault test, so that what it injects touches no other
/// test: its name, its URL, and a connection to the test database to drop it with.
async fn fault_database(url: &str) -> (String, String, sqlx::PgConnection) {
    let mut nonce = [0u8; 8];
    getrandom::fill(&mut nonce).unwrap();
    let name: String = nonce.iter().map(|b| format!("{b:02x}")).collect();
    let name = format!("skydd_fault_{name}");
    let mut admin = sqlx::PgConnection::connect(url).await.unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut admin)
        .await
        .unwrap();
    let (base, _) = url.rsplit_once('/').unwrap();
    (name.clone(), format!("{base}/{name}"), admin)
}

/// Drop the database [`fault_database`] made.
async fn drop_fault_database(admin: &mut sqlx::PgConnection, name: &str) {
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE {name} WITH (FORCE)"
    )))
    .execute(admin)
    .await
    .unwrap();
}

/// PostgreSQL: a COMMIT that fails (here a deferred constraint trigger raises at commit time,
/// as a serialization failure or an error of the server at commit would) fails that write
/// cleanly and writes nothing, and no connection is left believing it is still inside a
/// transaction: once the fault is gone every write succeeds, without a restart (issue 14; the
/// SQLite counterpart, an I/O error on commit, is a unit test of `sqlite.rs`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_recovers_from_a_failed_commit() {
    let Some(Harness::Postgres { url, .. }) = Harness::postgres() else {
        return;
    };
    let (name, storage_url, mut admin) = fault_database(&url).await;
    let storage = open(&Location::Postgres(storage_url.clone()))
        .await
        .unwrap();
    let id = |n: usize| format!("tok_commit_{n:04}");
    let insert = async |n: usize| {
        storage
            .insert_token(token(&id(n), "admin", "2026-01-01T00:00:00Z"))
            .await
    };
    insert(0).await.unwrap();
    let mut fault = sqlx::PgConnection::connect(&storage_url).await.unwrap();
    sqlx::raw_sql(
        "CREATE TABLE fault (at_commit boolean NOT NULL);
         INSERT INTO fault VALUES (true);
         CREATE FUNCTION fail_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN
             IF (SELECT at_commit FROM fault) THEN
                 RAISE EXCEPTION 'injected failure at commit';
             END IF;
             RETURN NULL;
         END $$;
         CREATE CONSTRAINT TRIGGER fail_at_commit AFTER INSERT ON api_tokens
             DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION fail_at_commit();",
    )
    .execute(&mut fault)
    .await
    .unwrap();
    for n in 1..=4 {
        let (a, b) = tokio::join!(insert(n), insert(100 + n));
        assert!(
            a.is_err() && b.is_err(),
            "the commit was to fail: {a:?} {b:?}"
        );
    }
    sqlx::raw_sql("UPDATE fault SET at_commit = false")
        .execute(&mut fault)
        .await
        .unwrap();
    fault.close().await.unwrap();
    for n in 10..20 {
        let (a, b) = tokio::join!(insert(n), insert(100 + n));
        assert!(
            a.is_ok() && b.is_ok(),
            "write {n} after the fault: {a:?} {b:?}"
        );
    }
    let tokens = storage.list_tokens().await.unwrap();
    assert_eq!(
        tokens.len(),
        1 + 2 * 10,
        "no failed commit left a token behind"
    );
    storage.close().await.unwrap();
    drop_fault_database(&mut admin, &name).await;
}
