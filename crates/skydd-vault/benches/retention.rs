//! Retention sweep benchmark: a sweep of expired records (decide each, delete in batches,
//! crypto-shred emptied subjects, proof in the audit trail) set beside one plain SQL `DELETE` of
//! the same rows in a copy of the same database. Prints a table; asserts nothing.
//!
//! Run: `cargo bench -p skydd-vault --bench retention`. `SKYDD_BENCH_RECORDS` (default
//! 1,000,000) expired records, ten per subject; `SKYDD_BENCH_BATCH` (default 1000) records per
//! sweep transaction. SQLite in a temporary directory. The rows are written with raw SQL in one
//! transaction (the sweep never decrypts a deleted record, so ciphertexts are random bytes).

// A benchmark may panic on setup failure: that is its error report.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::sync::Arc;
use std::time::Instant;

use jiff::Timestamp;
use skydd_crypto::Keyring;
use skydd_storage::{Location, Storage};
use skydd_vault::{Actor, Enforced, StorageAudit, Vault};
use sqlx::Connection as _;

const REGISTER: &str = include_str!("../tests/fixtures/vault.yaml");
const PER_SUBJECT: usize = 10;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

async fn fill(path: &std::path::Path, records: usize) {
    let storage = skydd_storage::open(&Location::Sqlite(path.to_owned()))
        .await
        .unwrap();
    storage.close().await.unwrap();
    let options = sqlx::sqlite::SqliteConnectOptions::new().filename(path);
    let mut conn = sqlx::SqliteConnection::connect_with(&options)
        .await
        .unwrap();
    let mut tx = conn.begin().await.unwrap();
    let collected = "2020-01-01T00:00:00.000000Z";
    for i in 0..records {
        let subject = format!("{:032x}", i / PER_SUBJECT);
        if i % PER_SUBJECT == 0 {
            sqlx::query("INSERT INTO subjects (id, tenant, created_at) VALUES (?, NULL, ?)")
                .bind(&subject)
                .bind(collected)
                .execute(&mut *tx)
                .await
                .unwrap();
            sqlx::query(
                "INSERT INTO subject_keys (subject_id, key_version, wrapped_key) VALUES (?, 1, ?)",
            )
            .bind(&subject)
            .bind(vec![7u8; 61])
            .execute(&mut *tx)
            .await
            .unwrap();
            let mut index = [0u8; 32];
            index[..8].copy_from_slice(&(i as u64).to_be_bytes());
            sqlx::query("INSERT INTO identities (subject_id, tenant, kind, blind_index, ciphertext) VALUES (?, NULL, 'email', ?, ?)")
                .bind(&subject)
                .bind(&index[..])
                .bind(vec![9u8; 60])
                .execute(&mut *tx)
                .await
                .unwrap();
        }
        let id = format!("{i:032x}");
        sqlx::query("INSERT INTO records (id, subject_id, category, purpose, source, collected_at, ciphertext) VALUES (?, ?, 'contact', 'delivery', 'data_subject', ?, ?)")
            .bind(&id)
            .bind(&subject)
            .bind(collected)
            .bind(vec![5u8; 120])
            .execute(&mut *tx)
            .await
            .unwrap();
        sqlx::query(
            "INSERT INTO record_anchors (record_id, event, at) VALUES (?, 'contract_end', ?)",
        )
        .bind(&id)
        .bind(collected)
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    conn.close().await.unwrap();
}

fn main() {
    let records = env("SKYDD_BENCH_RECORDS", 1_000_000);
    let batch = env("SKYDD_BENCH_BATCH", 1000);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let sweep_db = dir.path().join("sweep.db");
    let plain_db = dir.path().join("plain.db");
    runtime.block_on(async {
        let started = Instant::now();
        fill(&sweep_db, records).await;
        std::fs::copy(&sweep_db, &plain_db).unwrap();
        eprintln!("setup: {records} records in {:.1} s", started.elapsed().as_secs_f64());

        // Plain SQL: one DELETE of the expired rows (anchors go by cascade).
        let options = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(&plain_db)
            .foreign_keys(true);
        let mut conn = sqlx::SqliteConnection::connect_with(&options).await.unwrap();
        let started = Instant::now();
        let deleted = sqlx::query("DELETE FROM records WHERE collected_at < '2024-01-01'")
            .execute(&mut conn)
            .await
            .unwrap()
            .rows_affected();
        let plain = started.elapsed().as_secs_f64();
        conn.close().await.unwrap();
        assert_eq!(deleted as usize, records);

        // The sweep.
        let storage: Arc<dyn Storage> = skydd_storage::open(&Location::Sqlite(sweep_db.clone()))
            .await
            .unwrap();
        let (keyring, _) = Keyring::load_or_create(&dir.path().join("master.key")).unwrap();
        let register = skydd_register::check(REGISTER).register.unwrap();
        let vault = Vault::new(
            storage.clone(),
            Arc::new(keyring),
            Arc::new(Enforced::new(register)),
            Arc::new(StorageAudit::new(storage.clone())),
        );
        let now: Timestamp = "2026-11-23T12:00:00Z".parse().unwrap();
        let started = Instant::now();
        let summary = vault
            .retention_sweep(&Actor::new("bench"), now, batch, &mut |_| {})
            .await
            .unwrap()
            .unwrap();
        let sweep = started.elapsed().as_secs_f64();
        assert_eq!(summary.deleted as usize, records);
        let head = storage.audit_chain_head().await.unwrap();
        storage.close().await.unwrap();

        println!("| path | records | seconds | records/s | relative to plain DELETE |");
        println!("|---|---|---|---|---|");
        let plain_rate = records as f64 / plain;
        println!("| plain SQL DELETE (one statement) | {records} | {plain:.2} | {plain_rate:.0} | 1.00 |");
        let rate = records as f64 / sweep;
        println!(
            "| retention sweep, batch {batch} ({} subjects shredded, {} audit entries) | {records} | {sweep:.2} | {rate:.0} | {:.2} |",
            summary.shredded,
            head.seq,
            rate / plain_rate
        );
    });
}
