//! The consent ledger's cookie table (issue 18), on both backends: choices come back as they
//! were written, per browser and newest first, no one changes them, and retention deletes the
//! old ones a batch at a time with the proof in the same transaction.

use std::collections::BTreeMap;
use std::sync::Arc;

use skydd_storage::{AuditFilter, CookieChoiceRow};

use super::{Harness, at, audit, blind, run};

scenarios!(
    cookie_choices_round_trip_per_browser_newest_first,
    cookie_choices_are_append_only,
    old_cookie_choices_are_deleted_in_batches_with_their_proof,
);

fn choice(browser: u8, action: &str, when: &str) -> CookieChoiceRow {
    CookieChoiceRow {
        seq: 0,
        browser_index: blind(browser),
        at: at(when),
        method: "banner".into(),
        action: action.into(),
        given: vec!["necessary".into(), "analytics".into()],
        refused: vec!["marketing".into()],
        services: BTreeMap::from([("youtube".to_owned(), true), ("maps".to_owned(), false)]),
        gpc: true,
        dnt: false,
        revision: "3f2a9c0d1e2b4a5f".into(),
        notice_version: "a".repeat(64),
        language: "sv".into(),
        context_ciphertext: Some(vec![7; 60]),
    }
}

async fn cookie_choices_round_trip_per_browser_newest_first(h: Arc<Harness>) {
    let storage = h.open().await;
    let first = choice(1, "custom", "2026-12-01T08:00:00.123456Z");
    let mut second = choice(1, "reject_all", "2026-12-01T09:00:00Z");
    second.given = vec!["necessary".into()];
    second.refused = vec!["analytics".into(), "marketing".into()];
    second.services = BTreeMap::new();
    second.gpc = false;
    second.context_ciphertext = None;
    let other = choice(2, "accept_all", "2026-12-01T08:30:00Z");
    let mut seqs = Vec::new();
    for row in [&first, &other, &second] {
        seqs.push(storage.append_cookie_choice(row.clone()).await.unwrap());
    }
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");

    let read = storage.cookie_choices_of(&blind(1)).await.unwrap();
    let expected = [
        CookieChoiceRow {
            seq: seqs[2],
            ..second
        },
        CookieChoiceRow {
            seq: seqs[0],
            ..first
        },
    ];
    assert_eq!(read, expected);
    assert_eq!(storage.cookie_choices_of(&blind(2)).await.unwrap().len(), 1);
    assert!(
        storage
            .cookie_choices_of(&blind(3))
            .await
            .unwrap()
            .is_empty()
    );
    storage.close().await.unwrap();
}

async fn cookie_choices_are_append_only(h: Arc<Harness>) {
    let storage = h.open().await;
    storage
        .append_cookie_choice(choice(1, "custom", "2026-12-01T08:00:00Z"))
        .await
        .unwrap();
    storage.close().await.unwrap();
    let error = h
        .try_execute("UPDATE cookie_choices SET action = 'accept_all'")
        .await
        .unwrap_err();
    assert!(error.contains("append-only"), "{error}");
    // The columns take only what Skydd writes.
    for sql in [
        "INSERT INTO cookie_choices (browser_index, at, method, action, given, refused, services,
             gpc, dnt, revision, notice_version, language)
         VALUES (x'00', '2026-12-01T08:00:00.000000Z', 'banner', 'custom', '[]', '[]', '{}',
             false, false, 'r', 'v', 'en')",
        "INSERT INTO cookie_choices (browser_index, at, method, action, given, refused, services,
             gpc, dnt, revision, notice_version, language)
         VALUES (x'0000000000000000000000000000000000000000000000000000000000000000',
             '2026-12-01T08:00:00.000000Z', 'web_form', 'custom', '[]', '[]', '{}', false,
             false, 'r', 'v', 'en')",
    ] {
        let sql = match h.backend() {
            skydd_storage::Backend::Sqlite => sql.replace("false", "0"),
            skydd_storage::Backend::Postgres => sql.replace("x'00'", "'\\x00'::bytea").replace(
                "x'0000000000000000000000000000000000000000000000000000000000000000'",
                "'\\x0000000000000000000000000000000000000000000000000000000000000000'::bytea",
            ),
        };
        assert!(h.try_execute(&sql).await.is_err(), "{sql}");
    }
}

async fn old_cookie_choices_are_deleted_in_batches_with_their_proof(h: Arc<Harness>) {
    let storage = h.open().await;
    for (browser, when) in [
        (1, "2023-01-01T08:00:00Z"),
        (2, "2023-02-01T08:00:00Z"),
        (1, "2023-02-28T23:59:59.999999Z"),
        (1, "2023-03-01T00:00:00Z"),
        (2, "2026-01-01T08:00:00Z"),
    ] {
        storage
            .append_cookie_choice(choice(browser, "custom", when))
            .await
            .unwrap();
    }
    let before = at("2023-03-01T00:00:00Z");
    let proof = |deleted: u64| -> skydd_storage::ChoicesDeletedAudit {
        Box::new(move |n| {
            assert_eq!(n, deleted);
            let mut event = audit(None, &[], "2026-03-01T09:00:00Z");
            event.action = "retention.cookie_choices".into();
            event.detail = Some(format!("{n} deleted"));
            event
        })
    };
    assert_eq!(
        storage
            .delete_cookie_choices_before(before, 2, proof(2))
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        storage
            .delete_cookie_choices_before(before, 2, proof(1))
            .await
            .unwrap(),
        1
    );
    let none: skydd_storage::ChoicesDeletedAudit =
        Box::new(|_| panic!("no proof of nothing deleted"));
    assert_eq!(
        storage
            .delete_cookie_choices_before(before, 2, none)
            .await
            .unwrap(),
        0
    );
    let first = storage.cookie_choices_of(&blind(1)).await.unwrap();
    assert_eq!(first.len(), 1);
    assert_eq!(
        first[0].at,
        at("2023-03-01T00:00:00Z"),
        "the boundary is kept"
    );
    assert_eq!(storage.cookie_choices_of(&blind(2)).await.unwrap().len(), 1);
    let filter = AuditFilter {
        action: Some("retention.cookie_choices".into()),
        ..AuditFilter::default()
    };
    let proofs = storage.audit_entries(&filter, 0, 10).await.unwrap();
    let details: Vec<_> = proofs
        .iter()
        .map(|p| p.event.detail.clone().unwrap())
        .collect();
    assert_eq!(details, ["2 deleted", "1 deleted"]);
    storage.close().await.unwrap();
}
