//! Ledger units (issue 19): consent, objection and preference rows and the audit events that
//! record them are written in one transaction by `append_ledger`, whole or not at all, many
//! units per transaction.

use std::sync::Arc;

use skydd_storage::{LedgerUnit, ObjectionEventRow, PreferenceEventRow, verify_audit_chain};

use super::{Harness, at, audit, consent};

/// A unit of subject `subject`: a consent, an objection, a preference and two audit events.
fn unit(subject: &str) -> LedgerUnit {
    LedgerUnit {
        consents: vec![consent("subject", subject, true, "2025-03-01T00:00:00Z")],
        objections: vec![ObjectionEventRow {
            seq: 0,
            subject_id: subject.into(),
            purpose: None,
            objected: true,
            source: "gpc".into(),
            at: at("2025-03-01T00:00:00Z"),
        }],
        preferences: vec![PreferenceEventRow {
            seq: 0,
            subject_id: subject.into(),
            kind: "channel".into(),
            name: "email".into(),
            opted_in: false,
            at: at("2025-03-01T00:00:00Z"),
        }],
        audit: vec![
            audit(Some(subject), &[], "2025-03-01T00:00:00Z"),
            audit(Some(subject), &["contact"], "2025-03-01T00:00:00Z"),
        ],
    }
}

/// The number of rows of each ledger `storage` holds for `subject`, and of its audit events.
async fn counts(storage: &dyn skydd_storage::Storage, subject: &str) -> [usize; 4] {
    [
        storage
            .consent_events_for_subject(subject)
            .await
            .unwrap()
            .len(),
        storage.objections_of_subject(subject).await.unwrap().len(),
        storage.preferences_of_subject(subject).await.unwrap().len(),
        storage
            .audit_events_for_subject(subject)
            .await
            .unwrap()
            .len(),
    ]
}

pub(super) async fn ledger_units_are_written_whole_or_not_at_all(h: Arc<Harness>) {
    let storage = h.open().await;
    storage
        .append_ledger(vec![unit("s-1"), unit("s-2"), LedgerUnit::audit(vec![])])
        .await
        .unwrap();
    assert_eq!(counts(&*storage, "s-1").await, [1, 1, 1, 2]);
    assert_eq!(counts(&*storage, "s-2").await, [1, 1, 1, 2]);
    let seqs: Vec<i64> = storage
        .audit_events_for_subject("s-2")
        .await
        .unwrap()
        .iter()
        .map(|e| e.seq)
        .collect();
    assert_eq!(seqs, [3, 4], "the units' audit events are chained in order");

    // The database refuses audit events: neither the ledger rows nor the events are stored.
    let (refuse, allow) = match &*h {
        Harness::Sqlite { .. } => (
            "CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_events
             BEGIN SELECT RAISE(ABORT, 'the test refuses audit events'); END;",
            "DROP TRIGGER refuse_audit",
        ),
        Harness::Postgres { .. } => (
            "CREATE FUNCTION refuse_audit() RETURNS trigger LANGUAGE plpgsql AS $$
             BEGIN RAISE EXCEPTION 'the test refuses audit events'; END $$;
             CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_events
             FOR EACH ROW EXECUTE FUNCTION refuse_audit();",
            "DROP TRIGGER refuse_audit ON audit_events",
        ),
    };
    h.execute(refuse).await;
    let refused = storage.append_ledger(vec![unit("s-3"), unit("s-4")]).await;
    assert!(refused.is_err(), "{refused:?}");
    assert_eq!(counts(&*storage, "s-3").await, [0, 0, 0, 0]);
    assert_eq!(counts(&*storage, "s-4").await, [0, 0, 0, 0]);

    // The database refuses the second unit's consent: the first unit is not stored either.
    h.execute(allow).await;
    let poison = match &*h {
        Harness::Sqlite { .. } => {
            "CREATE TRIGGER refuse_s4 BEFORE INSERT ON consent_events WHEN NEW.scope_id = 's-4'
             BEGIN SELECT RAISE(ABORT, 'the test refuses s-4'); END;"
        }
        Harness::Postgres { .. } => {
            "CREATE FUNCTION refuse_s4() RETURNS trigger LANGUAGE plpgsql AS $$
             BEGIN
                 IF NEW.scope_id = 's-4' THEN RAISE EXCEPTION 'the test refuses s-4'; END IF;
                 RETURN NEW;
             END $$;
             CREATE TRIGGER refuse_s4 BEFORE INSERT ON consent_events
             FOR EACH ROW EXECUTE FUNCTION refuse_s4();"
        }
    };
    h.execute(poison).await;
    let refused = storage.append_ledger(vec![unit("s-3"), unit("s-4")]).await;
    assert!(refused.is_err(), "{refused:?}");
    assert_eq!(counts(&*storage, "s-3").await, [0, 0, 0, 0]);
    storage.append_ledger(vec![unit("s-3")]).await.unwrap();
    assert_eq!(counts(&*storage, "s-3").await, [1, 1, 1, 2]);

    let report = verify_audit_chain(storage.clone(), &[0_u8; 32], vec![])
        .await
        .unwrap();
    assert!(report.breach.is_none(), "{report:?}");
    storage.close().await.unwrap();
}

/// Two servers on one database (two storages, each with its own writer: on SQLite its own
/// connection, on PostgreSQL its own remembered chain head) append ledger units in turn, with
/// plain audit appends between them, and then all at once. Each append chains after whatever
/// the other wrote (a stale head stores nothing and is retried), so nothing is lost, nothing is
/// stored twice, and the chain verifies (issue 19).
pub(super) async fn ledger_appends_of_two_servers_chain_after_each_other(h: Arc<Harness>) {
    let first = h.open().await;
    let second = h.open().await;
    for round in 0..3 {
        first
            .append_ledger(vec![unit(&format!("a-{round}"))])
            .await
            .unwrap();
        second
            .append_ledger(vec![unit(&format!("b-{round}"))])
            .await
            .unwrap();
        // The shared transaction path moves the head behind both writers' backs.
        second
            .append_audit_events(vec![audit(None, &[], "2025-03-01T00:00:00Z")])
            .await
            .unwrap();
    }
    let mut appends = tokio::task::JoinSet::new();
    for n in 0..40 {
        let storage = Arc::clone(if n % 2 == 0 { &first } else { &second });
        appends.spawn(async move {
            storage
                .append_ledger(vec![unit(&format!("c-{n}")), unit(&format!("d-{n}"))])
                .await
        });
    }
    while let Some(appended) = appends.join_next().await {
        appended.unwrap().unwrap();
    }
    for subject in ["a-0", "a-2", "b-1", "c-0", "c-39", "d-17"] {
        assert_eq!(counts(&*first, subject).await, [1, 1, 1, 2], "{subject}");
    }
    // 6 + 80 units of two events each, and three plain events.
    let head = first.audit_chain_head().await.unwrap();
    assert_eq!(head.seq, 2 * (6 + 80) + 3);
    let report = verify_audit_chain(first.clone(), &[0_u8; 32], vec![])
        .await
        .unwrap();
    assert!(report.breach.is_none(), "{report:?}");
    assert_eq!(report.entries, 2 * (6 + 80) + 3);
    first.close().await.unwrap();
    second.close().await.unwrap();
}

/// One server appends many units at once while the database refuses some of them: on
/// PostgreSQL an append chains after the head the one before it left, so after a refused one
/// the head is where it was, and the appends that raced it must find it there. Every other unit
/// is stored once, every refused one not at all, and the chain verifies (issue 19).
pub(super) async fn concurrent_appends_of_one_server_survive_refused_ones(h: Arc<Harness>) {
    let storage = h.open().await;
    let poison = match &*h {
        Harness::Sqlite { .. } => {
            "CREATE TRIGGER refuse_poison BEFORE INSERT ON consent_events
             WHEN NEW.scope_id LIKE 'poison-%'
             BEGIN SELECT RAISE(ABORT, 'the test refuses poison'); END;"
        }
        Harness::Postgres { .. } => {
            "CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$
             BEGIN
                 IF NEW.scope_id LIKE 'poison-%' THEN RAISE EXCEPTION 'the test refuses poison';
                 END IF;
                 RETURN NEW;
             END $$;
             CREATE TRIGGER refuse_poison BEFORE INSERT ON consent_events
             FOR EACH ROW EXECUTE FUNCTION refuse_poison();"
        }
    };
    h.execute(poison).await;
    let subject = |n: usize| {
        if n % 5 == 2 {
            format!("poison-{n}")
        } else {
            format!("p-{n}")
        }
    };
    let mut appends = tokio::task::JoinSet::new();
    for n in 0..60 {
        let storage = Arc::clone(&storage);
        let subject = subject(n);
        appends.spawn(async move { (n, storage.append_ledger(vec![unit(&subject)]).await) });
    }
    while let Some(appended) = appends.join_next().await {
        let (n, outcome) = appended.unwrap();
        assert_eq!(outcome.is_err(), n % 5 == 2, "append {n}: {outcome:?}");
    }
    for n in [0, 1, 2, 3, 7, 12, 58, 59] {
        let expected = if n % 5 == 2 {
            [0, 0, 0, 0]
        } else {
            [1, 1, 1, 2]
        };
        assert_eq!(counts(&*storage, &subject(n)).await, expected, "{n}");
    }
    // 48 stored units of two events each.
    let head = storage.audit_chain_head().await.unwrap();
    assert_eq!(head.seq, 2 * 48);
    let report = verify_audit_chain(storage.clone(), &[0_u8; 32], vec![])
        .await
        .unwrap();
    assert!(report.breach.is_none(), "{report:?}");
    assert_eq!(report.entries, 2 * 48);
    storage.close().await.unwrap();
}
