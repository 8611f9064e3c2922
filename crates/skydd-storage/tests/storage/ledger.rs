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
