//! Bulk import batches (issue 19), on both backends: a batch writes its subjects, ledger events
//! and audit events with the import's progress in one transaction; a batch from a run that is
//! behind (another run moved the import on) or one whose subject's identity is taken writes
//! nothing at all.

use std::sync::Arc;

use skydd_storage::{ConsentEventRow, ImportBatch, NewSubjectRows, StorageError, SubjectRow};

use super::{Harness, at, audit, blind, identity, key, run, subject};

scenarios!(
    an_import_batch_is_written_with_its_progress_in_one_transaction,
    an_import_batch_behind_its_import_or_with_a_taken_identity_writes_nothing,
);

const A: &str = "0000000000000000000000000000000a";
const B: &str = "0000000000000000000000000000000b";

fn new_subject(id: &str, index: u8) -> NewSubjectRows {
    NewSubjectRows {
        subject: SubjectRow {
            created_at: at("2026-12-01T12:00:00Z"),
            ..subject(id, None)
        },
        key: key(id, 1),
        identities: vec![identity(id, "email", blind(index))],
    }
}

fn consent(subject: &str) -> ConsentEventRow {
    ConsentEventRow {
        seq: 0,
        scope_kind: "subject".into(),
        scope_id: subject.into(),
        purpose: "newsletter".into(),
        granted: true,
        method: "import".into(),
        notice_version: "v1".into(),
        at: at("2021-03-04T10:15:00Z"),
        text_hash: None,
        context_ciphertext: None,
    }
}

fn batch(before: u64, after: u64, subject: &str, index: u8) -> ImportBatch {
    ImportBatch {
        import_id: "crm-1".into(),
        lines_before: before,
        lines_after: after,
        skipped: 1,
        at: at("2026-12-01T12:00:00Z"),
        subjects: vec![new_subject(subject, index)],
        consents: vec![consent(subject)],
        objections: Vec::new(),
        preferences: Vec::new(),
        records: Vec::new(),
        audit: vec![audit(Some(subject), &[], "2026-12-01T12:00:00Z")],
    }
}

async fn an_import_batch_is_written_with_its_progress_in_one_transaction(h: Arc<Harness>) {
    let storage = h.open().await;
    assert_eq!(storage.import_progress("crm-1").await.unwrap(), None);
    let first = storage.write_import_batch(batch(0, 3, A, 1)).await.unwrap();
    assert_eq!((first.lines_done, first.imported, first.skipped), (3, 1, 1));
    let second = storage.write_import_batch(batch(3, 5, B, 2)).await.unwrap();
    assert_eq!(
        (second.lines_done, second.imported, second.skipped),
        (5, 2, 2)
    );
    assert_eq!(second.started_at, first.started_at);
    assert_eq!(
        storage.import_progress("crm-1").await.unwrap(),
        Some(second)
    );
    assert!(storage.get_subject(A).await.unwrap().is_some());
    assert_eq!(
        storage.consent_events_for_subject(B).await.unwrap().len(),
        1
    );
    assert_eq!(storage.audit_events_for_subject(B).await.unwrap().len(), 1);
}

async fn an_import_batch_behind_its_import_or_with_a_taken_identity_writes_nothing(
    h: Arc<Harness>,
) {
    let storage = h.open().await;
    storage.write_import_batch(batch(0, 3, A, 1)).await.unwrap();
    // A second run that read the progress before the first one's batch.
    let behind = storage.write_import_batch(batch(0, 2, B, 2)).await;
    assert!(
        matches!(behind, Err(StorageError::Conflict(_))),
        "{behind:?}"
    );
    // The identity of A again, for a new subject.
    let taken = storage.write_import_batch(batch(3, 4, B, 1)).await;
    assert!(matches!(taken, Err(StorageError::Conflict(_))), "{taken:?}");
    assert!(storage.get_subject(B).await.unwrap().is_none());
    assert!(
        storage
            .consent_events_for_subject(B)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        storage
            .audit_events_for_subject(B)
            .await
            .unwrap()
            .is_empty()
    );
    let progress = storage.import_progress("crm-1").await.unwrap().unwrap();
    assert_eq!((progress.lines_done, progress.imported), (3, 1));
}
