//! Audit trail benchmark: append rate (group commit and one event per transaction) and
//! verification rate, beside `sha256sum` over the same canonical bytes. Prints a table; asserts
//! nothing.
//!
//! Run: `cargo bench -p skydd-vault --bench audit`. `SKYDD_BENCH_EVENTS` (default 1,000,000)
//! events appended in group commits of 256; as many again through `GroupCommitAudit` (batches of
//! up to 256) by `SKYDD_BENCH_CALLERS` (default 64) concurrent callers of one event each, as
//! `skydd serve` audits decisions; a hundredth of them (at least 1,000) one per transaction.
//! SQLite in a temporary directory; `sha256sum` must be on the `PATH`.

// A benchmark may panic on setup failure: that is its error report.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::io::Write as _;
use std::time::Instant;

use jiff::Timestamp;
use skydd_crypto::Keyring;
use skydd_storage::{AuditEventRow, Location, audit_chain};
use skydd_vault::{Audit, AuditEvent, GroupCommitAudit};

fn event(i: usize, now: Timestamp) -> AuditEventRow {
    AuditEventRow {
        seq: 0,
        at: now,
        actor: "0123456789abcdef".into(),
        ip: Some("198.51.100.7".into()),
        action: "records.read".into(),
        purpose: Some("customer_relationship".into()),
        subject_id: Some(format!("{:032x}", i % 100_000)),
        categories: vec!["contact".into(), "billing".into()],
        outcome: "allowed".into(),
        detail: None,
    }
}

fn main() {
    let events: usize = std::env::var("SKYDD_BENCH_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let single = (events / 100).max(1000);
    // Multi-threaded, as `skydd audit verify` runs.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let now: Timestamp = "2026-11-23T12:00:00Z".parse().unwrap();
    runtime.block_on(async {
        let storage = skydd_storage::open(&Location::Sqlite(dir.path().join("audit.db")))
            .await
            .unwrap();
        let started = Instant::now();
        let mut i = 0;
        while i < events {
            let batch: Vec<_> = (i..(i + 256).min(events)).map(|n| event(n, now)).collect();
            i += batch.len();
            storage.append_audit_events(batch).await.unwrap();
        }
        let grouped = started.elapsed().as_secs_f64();

        // Concurrent callers of one event each through the group-commit writer.
        let callers: usize = std::env::var("SKYDD_BENCH_CALLERS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(64);
        let writer_db = skydd_storage::open(&Location::Sqlite(dir.path().join("writer.db")))
            .await
            .unwrap();
        let writer = std::sync::Arc::new(GroupCommitAudit::spawn(writer_db.clone(), 256));
        let started = Instant::now();
        let tasks: Vec<_> = (0..callers)
            .map(|caller| {
                let writer = writer.clone();
                tokio::spawn(async move {
                    for n in (caller..events).step_by(callers) {
                        let row = event(n, now);
                        let one = AuditEvent {
                            at: row.at,
                            actor: row.actor,
                            ip: row.ip,
                            action: "records.read",
                            purpose: row.purpose,
                            subject_id: row.subject_id,
                            categories: row.categories,
                            outcome: row.outcome,
                            detail: row.detail,
                        };
                        writer.record(one).await.unwrap();
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        let through_writer = started.elapsed().as_secs_f64();
        drop(writer);
        writer_db.close().await.unwrap();

        let one_db = skydd_storage::open(&Location::Sqlite(dir.path().join("one.db")))
            .await
            .unwrap();
        let started = Instant::now();
        for n in 0..single {
            one_db.append_audit_event(event(n, now)).await.unwrap();
        }
        let each = started.elapsed().as_secs_f64();
        one_db.close().await.unwrap();

        let (keyring, _) = Keyring::load_or_create(&dir.path().join("master.key")).unwrap();
        let signer = keyring.checkpoint_signer();
        let head = storage.audit_chain_head().await.unwrap();
        let at = now;
        let checkpoint = skydd_storage::AuditCheckpointRow {
            seq: head.seq,
            hash: head.hash.to_vec(),
            at,
            public_key: signer.public_key().to_vec(),
            signature: signer
                .sign(&audit_chain::checkpoint_bytes(head.seq, &head.hash, at))
                .to_vec(),
        };
        storage.insert_audit_checkpoint(checkpoint).await.unwrap();

        let default = skydd_storage::VerifyPlan::default();
        let plan = skydd_storage::VerifyPlan {
            read: std::env::var("SKYDD_BENCH_READ")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(default.read),
            parallel: std::env::var("SKYDD_BENCH_PARALLEL")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(default.parallel),
        };
        let started = Instant::now();
        let report = skydd_storage::verify_audit_chain_by(
            storage.clone(),
            &signer.public_key(),
            Vec::new(),
            plan,
        )
        .await
        .unwrap();
        let verify = started.elapsed().as_secs_f64();
        assert_eq!(report.breach, None);
        assert_eq!(report.entries as usize, events);
        let one = skydd_storage::VerifyPlan {
            parallel: 1,
            ..plan
        };
        let started = Instant::now();
        let report = skydd_storage::verify_audit_chain_by(
            storage.clone(),
            &signer.public_key(),
            Vec::new(),
            one,
        )
        .await
        .unwrap();
        let verify_one = started.elapsed().as_secs_f64();
        assert_eq!(report.breach, None);

        // The same canonical bytes the verifier hashed, into a file for sha256sum.
        let bytes_path = dir.path().join("entries.bin");
        let mut file = std::io::BufWriter::new(std::fs::File::create(&bytes_path).unwrap());
        let mut total = 0usize;
        let mut prev = audit_chain::GENESIS_HASH;
        let mut after = 0;
        let mut read_seconds = 0.0;
        let mut stretches = Vec::new();
        while after < head.seq {
            let started = Instant::now();
            let up_to = (after + plan.read).min(head.seq);
            let links = storage.audit_chain_links(after, up_to).await.unwrap();
            read_seconds += started.elapsed().as_secs_f64();
            for (_, tail, _) in links.iter() {
                let mut bytes = audit_chain::ENTRY_TAG.to_vec();
                bytes.extend_from_slice(&prev);
                bytes.extend_from_slice(tail);
                total += bytes.len();
                file.write_all(&bytes).unwrap();
                prev = audit_chain::link_hash(&prev, tail);
            }
            stretches.push(links);
            after = up_to;
        }
        // The verifier alone, over entries already in memory: what the chain costs to check.
        let started = Instant::now();
        let mut verifier =
            audit_chain::ChainVerifier::new(1, std::collections::BTreeMap::new());
        for links in &stretches {
            for (seq, tail, stored) in links.iter() {
                verifier.feed_link(seq, tail, stored).unwrap();
            }
        }
        let in_memory = started.elapsed().as_secs_f64();
        file.flush().unwrap();
        drop(file);
        storage.close().await.unwrap();
        let started = Instant::now();
        let status = std::process::Command::new("sha256sum")
            .arg(&bytes_path)
            .stdout(std::process::Stdio::null())
            .status()
            .unwrap();
        assert!(status.success());
        let sha = started.elapsed().as_secs_f64();
        let mb = total as f64 / 1e6;

        println!("| measure | events | seconds | events/s | MB/s of canonical bytes |");
        println!("|---|---|---|---|---|");
        println!(
            "| append, group commit of 256 | {events} | {grouped:.2} | {:.0} | |",
            events as f64 / grouped
        );
        println!(
            "| append, {callers} concurrent callers of one event through `GroupCommitAudit` (batches up to 256) | {events} | {through_writer:.2} | {:.0} | |",
            events as f64 / through_writer
        );
        println!(
            "| append, one transaction each | {single} | {each:.2} | {:.0} | |",
            single as f64 / each
        );
        println!(
            "| verify, {} stretches at once (read from SQLite, re-hash, check checkpoint) | {events} | {verify:.2} | {:.0} | {:.1} |",
            plan.parallel,
            events as f64 / verify,
            mb / verify
        );
        println!(
            "| verify, one stretch | {events} | {verify_one:.2} | {:.0} | {:.1} |",
            events as f64 / verify_one,
            mb / verify_one
        );
        println!(
            "| sha256sum over the same {mb:.1} MB (file in page cache) | {events} | {sha:.2} | {:.0} | {:.1} |",
            events as f64 / sha,
            mb / sha
        );
        println!(
            "| of which: reading the entries from SQLite, one stretch | {events} | {read_seconds:.2} | {:.0} | {:.1} |",
            events as f64 / read_seconds,
            mb / read_seconds
        );
        println!(
            "| of which: re-hashing and checking, entries in memory | {events} | {in_memory:.2} | {:.0} | {:.1} |",
            events as f64 / in_memory,
            mb / in_memory
        );
        println!("verify / sha256sum throughput: {:.2}", sha / verify);
        println!("verify, one stretch / sha256sum throughput: {:.2}", sha / verify_one);
        println!("in-memory check / sha256sum throughput: {:.2}", sha / in_memory);
    });
}
