//! The change log of decision facts (issue 19), on both backends: rows written by the triggers
//! are read back in seq order and in pages, pruning remembers how far it went, and on
//! PostgreSQL a listener wakes on a change committed by another connection.

use std::sync::Arc;
use std::time::Duration;

use skydd_crypto::TokenId;
use skydd_storage::{Backend, FeatureSwitchRow};

use super::{Harness, at, run, token};

scenarios!(
    the_change_log_is_read_in_pages_and_pruned,
    a_long_change_log_is_pruned_in_short_transactions,
    a_listener_wakes_on_a_change_from_another_connection,
);

fn switch(organisation: &str) -> FeatureSwitchRow {
    FeatureSwitchRow {
        seq: 0,
        feature: "analytics".into(),
        organisation: organisation.into(),
        project: None,
        enabled: true,
        actor: "test".into(),
        at: at("2026-12-01T08:00:00Z"),
    }
}

/// A minute of consent writes at line rate leaves about a million rows to prune; they go in
/// transactions of 10,000 seqs, each remembering how far it went, and all of them go.
async fn a_long_change_log_is_pruned_in_short_transactions(h: Arc<Harness>) {
    let storage = h.open().await;
    h.execute(
        "WITH RECURSIVE n (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 25000)
         INSERT INTO fact_changes (kind, key) SELECT 'subject', 's-' || i FROM n",
    )
    .await;
    let bounds = storage.fact_changes_bounds().await.unwrap();
    assert_eq!((bounds.pruned_through, bounds.newest), (0, 25_000));
    assert_eq!(storage.prune_fact_changes(24_990).await.unwrap(), 24_990);
    let bounds = storage.fact_changes_bounds().await.unwrap();
    assert_eq!((bounds.pruned_through, bounds.newest), (24_990, 25_000));
    let left = storage.fact_changes_after(0, 100).await.unwrap();
    assert_eq!(left.first().map(|c| c.seq), Some(24_991));
    assert_eq!(left.len(), 10);
    assert_eq!(storage.prune_fact_changes(24_990).await.unwrap(), 0);
    // Ledger appends go between the prune's transactions (on SQLite both take turns on the
    // ledger writer's connection), and none waits for the whole prune.
    let appends = (0..20).map(|n| {
        let storage = storage.clone();
        tokio::spawn(async move {
            storage
                .append_ledger(vec![skydd_storage::LedgerUnit::audit(vec![super::audit(
                    Some(&format!("s-{n}")),
                    &["contact"],
                    "2026-12-01T08:00:00Z",
                )])])
                .await
        })
    });
    let appends: Vec<_> = appends.collect();
    assert_eq!(storage.prune_fact_changes(25_000).await.unwrap(), 10);
    for append in appends {
        append.await.unwrap().unwrap();
    }
    // A mark that is not a number is named, with what to do about it.
    h.execute("UPDATE skydd_meta SET value = 'x' WHERE key = 'fact_changes_pruned_through'")
        .await;
    let error = storage
        .prune_fact_changes(25_001)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("fact_changes_pruned_through is not a number; delete the row"),
        "{error}"
    );
    storage.close().await.unwrap();
}

async fn the_change_log_is_read_in_pages_and_pruned(h: Arc<Harness>) {
    let storage = h.open().await;
    let bounds = storage.fact_changes_bounds().await.unwrap();
    assert_eq!((bounds.pruned_through, bounds.newest), (0, 0));
    storage
        .insert_token(token("00000000000000c1", "admin", "2026-12-01T00:00:00Z"))
        .await
        .unwrap();
    assert!(
        storage.fact_changes_after(0, 10).await.unwrap().is_empty(),
        "issuing a token changes no fact a server keeps"
    );
    let id = TokenId("00000000000000c1".into());
    assert!(
        storage
            .revoke_token(&id, at("2026-12-01T09:00:00Z"))
            .await
            .unwrap()
    );
    storage.append_feature_switch(switch("acme")).await.unwrap();

    let changes = storage.fact_changes_after(0, 10).await.unwrap();
    let named: Vec<(&str, &str)> = changes
        .iter()
        .map(|c| (c.kind.as_str(), c.key.as_str()))
        .collect();
    assert_eq!(
        named,
        [("token", "00000000000000c1"), ("organisation", "acme")]
    );
    assert!(changes[0].seq < changes[1].seq);
    let first_page = storage.fact_changes_after(0, 1).await.unwrap();
    assert_eq!(first_page, changes[..1]);
    let rest = storage
        .fact_changes_after(changes[0].seq, 10)
        .await
        .unwrap();
    assert_eq!(rest, changes[1..]);
    let bounds = storage.fact_changes_bounds().await.unwrap();
    assert_eq!((bounds.pruned_through, bounds.newest), (0, changes[1].seq));

    assert_eq!(storage.prune_fact_changes(changes[0].seq).await.unwrap(), 1);
    assert_eq!(
        storage.fact_changes_after(0, 10).await.unwrap(),
        changes[1..]
    );
    let bounds = storage.fact_changes_bounds().await.unwrap();
    assert_eq!(bounds.pruned_through, changes[0].seq);
    assert_eq!(
        storage
            .prune_fact_changes(changes[0].seq - 1)
            .await
            .unwrap(),
        0,
        "pruning never goes back"
    );
    assert_eq!(
        storage.fact_changes_bounds().await.unwrap().pruned_through,
        changes[0].seq
    );
    assert_eq!(storage.prune_fact_changes(changes[1].seq).await.unwrap(), 1);
    let bounds = storage.fact_changes_bounds().await.unwrap();
    assert_eq!(
        (bounds.pruned_through, bounds.newest),
        (changes[1].seq, changes[1].seq),
        "an emptied log still says how far it reached"
    );
    storage.append_feature_switch(switch("acme")).await.unwrap();
    let next = storage
        .fact_changes_after(changes[1].seq, 10)
        .await
        .unwrap();
    assert_eq!(next.len(), 1);
    assert!(
        next[0].seq > changes[1].seq,
        "seqs are never given out twice"
    );
    storage.close().await.unwrap();
}

async fn a_listener_wakes_on_a_change_from_another_connection(h: Arc<Harness>) {
    let storage = h.open().await;
    let listener = storage.listen_fact_changes().await.unwrap();
    let Some(listener) = listener else {
        assert_eq!(h.backend(), Backend::Sqlite, "only SQLite has no listener");
        storage.close().await.unwrap();
        return;
    };
    let writer = h.open().await;
    writer.append_feature_switch(switch("acme")).await.unwrap();
    tokio::time::timeout(Duration::from_secs(10), listener.changed())
        .await
        .expect("the listener wakes within 10 s of a committed change");
    drop(listener);
    writer.close().await.unwrap();
    storage.close().await.unwrap();
}
