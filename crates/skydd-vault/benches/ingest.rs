//! Ingest benchmark: records inserted with per-subject encryption against the same inserts in
//! plaintext, and the full vault path (register checks, decision, encryption, audit event).
//! Prints a table; asserts nothing.
//!
//! Run: `cargo bench -p skydd-vault --bench ingest`. `SKYDD_BENCH_RECORDS` (default 1,000,000) sets
//! the number of records of the first two rows; the vault path runs a tenth of that. SQLite in a
//! temporary directory, one insert per transaction, as the API does.

// A benchmark may panic on setup failure: that is its error report.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use jiff::Timestamp;
use skydd_crypto::{DataKey, Keyring};
use skydd_storage::{Location, RecordRow, Storage};
use skydd_vault::{Actor, Enforced, NewRecord, NewSubject, StorageAudit, Vault};

const REGISTER: &str = include_str!("../tests/fixtures/vault.yaml");
const SUBJECTS: usize = 1_000;

fn fields(i: usize) -> serde_json::Map<String, serde_json::Value> {
    let mut fields = serde_json::Map::new();
    fields.insert("name".into(), format!("Person {i}").into());
    fields.insert("email".into(), format!("person{i}@example.se").into());
    fields.insert("phone".into(), format!("+4670{:07}", i % 10_000_000).into());
    fields
}

async fn setup(dir: &std::path::Path, name: &str) -> (Vault, Arc<dyn Storage>, Vec<String>) {
    let storage = skydd_storage::open(&Location::Sqlite(dir.join(format!("{name}.db"))))
        .await
        .unwrap();
    let (keyring, _) = Keyring::load_or_create(&dir.join(format!("{name}.key"))).unwrap();
    let register = skydd_register::check(REGISTER).register.unwrap();
    let vault = Vault::new(
        storage.clone(),
        Arc::new(keyring),
        Arc::new(Enforced::new(register)),
        Arc::new(StorageAudit::new(storage.clone())),
    );
    let now: Timestamp = "2026-11-23T12:00:00Z".parse().unwrap();
    let mut subjects = Vec::with_capacity(SUBJECTS);
    for i in 0..SUBJECTS {
        let new = NewSubject {
            identities: vec![("email".into(), format!("subject{i}@example.se"))],
            tenant: None,
        };
        subjects.push(
            vault
                .create_subject(&Actor::new("bench"), new, now)
                .await
                .unwrap()
                .to_string(),
        );
    }
    (vault, storage, subjects)
}

fn row(i: usize, subject: &str, ciphertext: Vec<u8>, now: Timestamp) -> RecordRow {
    RecordRow {
        id: format!("{i:032x}"),
        subject_id: subject.to_string(),
        category: "contact".into(),
        purpose: "delivery".into(),
        source: "data_subject".into(),
        collected_at: now,
        anchors: Vec::new(),
        ciphertext,
        mentions: Vec::new(),
        combined_from: Vec::new(),
    }
}

fn main() {
    let records: usize = std::env::var("SKYDD_BENCH_RECORDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let now: Timestamp = "2026-11-23T12:00:00Z".parse().unwrap();
    let mut rows: Vec<(String, usize, f64)> = Vec::new();

    runtime.block_on(async {
        // Plaintext: the same rows, the fields' JSON stored as it is.
        let (_, storage, subjects) = setup(dir.path(), "plain").await;
        let started = Instant::now();
        for i in 0..records {
            let plaintext = serde_json::to_vec(&fields(i)).unwrap();
            storage
                .insert_record(row(i, &subjects[i % SUBJECTS], plaintext, now))
                .await
                .unwrap();
        }
        rows.push((
            "insert, plaintext".into(),
            records,
            started.elapsed().as_secs_f64(),
        ));

        // Encrypted: AES-256-GCM with each subject's data key, bound to subject, record, category.
        let (_, storage, subjects) = setup(dir.path(), "encrypted").await;
        let keys: Vec<DataKey> = (0..SUBJECTS)
            .map(|_| DataKey::generate().unwrap())
            .collect();
        let started = Instant::now();
        for i in 0..records {
            let subject = &subjects[i % SUBJECTS];
            let id = format!("{i:032x}");
            let aad = format!("skydd/record/v1\0{subject}\0{id}\0contact");
            let plaintext = serde_json::to_vec(&fields(i)).unwrap();
            let ciphertext = keys[i % SUBJECTS].seal(&plaintext, aad.as_bytes()).unwrap();
            storage
                .insert_record(row(i, subject, ciphertext, now))
                .await
                .unwrap();
        }
        rows.push((
            "insert, encrypted".into(),
            records,
            started.elapsed().as_secs_f64(),
        ));

        // The whole vault path: checks, decision (ledgers read), key unwrap, encryption, audit.
        let (vault, _, subjects) = setup(dir.path(), "vault").await;
        let actor = Actor::new("bench");
        let count = (records / 10).max(1);
        let started = Instant::now();
        for i in 0..count {
            let new = NewRecord {
                category: "contact".into(),
                fields: fields(i),
                source: "data_subject".into(),
                purpose: "delivery".into(),
                collected_at: None,
                anchors: BTreeMap::new(),
                combined_from: Vec::new(),
            };
            vault
                .add_record(&actor, &subjects[i % SUBJECTS], new, now)
                .await
                .unwrap();
        }
        rows.push((
            "Vault::add_record (audited)".into(),
            count,
            started.elapsed().as_secs_f64(),
        ));
    });

    println!("| path | records | seconds | records/s | relative to plaintext |");
    println!("|---|---|---|---|---|");
    let plain_rate = rows[0].1 as f64 / rows[0].2;
    for (name, count, seconds) in &rows {
        let rate = *count as f64 / seconds;
        println!(
            "| {name} | {count} | {seconds:.1} | {rate:.0} | {:.2} |",
            rate / plain_rate
        );
    }
}
