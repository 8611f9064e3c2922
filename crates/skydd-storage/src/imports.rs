//! Bulk imports as stored (issue 19): the [`ImportStore`] operations, a batch of rows to write
//! in one transaction, and an import's progress.
//!
//! A batch carries everything an import writes for up to a few hundred lines: new subjects with
//! their keys and identities, ledger events, records, their audit events, and how far the
//! import has got. All of it is committed together or not at all, so a run that stops is
//! continued after the last batch committed and no line is written twice.

use jiff::Timestamp;

use crate::{
    AuditEventRow, ConsentEventRow, IdentityRow, ObjectionEventRow, PreferenceEventRow, RecordRow,
    StorageFuture, SubjectKeyRow, SubjectRow,
};

/// How far an import has got: a row of `imports`, counts only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportProgressRow {
    /// The import's id: the SHA-256 of its file (64 hex digits) or its client's key, as
    /// `<tenant>/<key>` for a tenant's import (at most 200 characters).
    pub id: String,
    /// Lines of the file read and settled (written or skipped) by committed batches; the next
    /// run goes on after this line.
    pub lines_done: u64,
    /// Rows written by all runs.
    pub imported: u64,
    /// Rows refused by all runs (their lines are in `lines_done`; they are not retried).
    pub skipped: u64,
    /// When the first batch was committed.
    pub started_at: Timestamp,
    /// When the last batch was committed.
    pub updated_at: Timestamp,
}

/// A subject an import creates: the rows `Storage::create_subject` takes.
#[derive(Debug, Clone)]
pub struct NewSubjectRows {
    /// The subject.
    pub subject: SubjectRow,
    /// Its wrapped data key.
    pub key: SubjectKeyRow,
    /// Its identities, blind-indexed and encrypted.
    pub identities: Vec<IdentityRow>,
}

/// One batch of an import, written in one transaction by [`ImportStore::write_import_batch`].
#[derive(Debug, Clone)]
pub struct ImportBatch {
    /// The import's id (see [`ImportProgressRow::id`]).
    pub import_id: String,
    /// `lines_done` as the run read it before this batch: the batch is refused (nothing
    /// written) when another run has moved the import on since.
    pub lines_before: u64,
    /// `lines_done` once this batch is committed.
    pub lines_after: u64,
    /// Rows refused in the batch's lines (counted, not stored).
    pub skipped: u64,
    /// When the batch is written.
    pub at: Timestamp,
    /// Subjects to create, before anything that names them.
    pub subjects: Vec<NewSubjectRows>,
    /// Consent events, in file order.
    pub consents: Vec<ConsentEventRow>,
    /// Objection events, in file order.
    pub objections: Vec<ObjectionEventRow>,
    /// Preference events, in file order.
    pub preferences: Vec<PreferenceEventRow>,
    /// Records.
    pub records: Vec<RecordRow>,
    /// The audit events proving the batch, chained in its transaction.
    pub audit: Vec<AuditEventRow>,
}

impl ImportBatch {
    /// An empty batch of import `import_id` starting after its line `lines_done`, to be
    /// written `at`: the one way a batch begins, the first of a run and each after a commit.
    pub fn starting(import_id: String, lines_done: u64, at: Timestamp) -> ImportBatch {
        ImportBatch {
            import_id,
            lines_before: lines_done,
            lines_after: lines_done,
            skipped: 0,
            at,
            subjects: Vec::new(),
            consents: Vec::new(),
            objections: Vec::new(),
            preferences: Vec::new(),
            records: Vec::new(),
            audit: Vec::new(),
        }
    }

    /// How many rows the batch writes (subjects created along the way not counted).
    pub fn rows(&self) -> u64 {
        (self.consents.len() + self.objections.len() + self.preferences.len() + self.records.len())
            as u64
    }
}

/// Storage of bulk imports; part of every [`crate::Storage`].
pub trait ImportStore: Send + Sync {
    /// The progress of import `id`, if a batch of it was ever committed.
    fn import_progress<'a>(&'a self, id: &'a str) -> StorageFuture<'a, Option<ImportProgressRow>>;

    /// Write `batch` in one transaction: its subjects, ledger events, records and audit events,
    /// and the import's progress moved from `lines_before` to `lines_after`. Fails with
    /// [`crate::StorageError::Conflict`], writing nothing, when the import's `lines_done` is not
    /// `lines_before` (another run got there first), or when an identity of a new subject is
    /// already used in its tenant.
    fn write_import_batch(&self, batch: ImportBatch) -> StorageFuture<'_, ImportProgressRow>;
}
