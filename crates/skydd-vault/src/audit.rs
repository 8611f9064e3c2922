//! The audit interface: every call that reads or changes personal data is recorded here, with
//! actor, IP, purpose, subject id and category names, never the values.
//!
//! [`Audit`] is the one interface every writer uses; the audit-trail issue makes its storage
//! tamper-evident (hash chain, signed checkpoints) without changing the callers. It is also the
//! one writer of the consent, objection and preference ledgers (issue 19): a ledger row and the
//! audit event recording it are one [`LedgerUnit`], written in one transaction, so neither is
//! ever stored without the other, and [`GroupCommitAudit`] lets concurrent units share it.

use std::future::Future;
use std::pin::Pin;

use jiff::Timestamp;
use skydd_storage::{AuditEventRow, LedgerUnit, Storage, StorageError};
use tokio::sync::{mpsc, oneshot};

/// One processing event. Holds ids and register names only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    /// When the audited action happened (the `now` of its call).
    pub at: Timestamp,
    /// Who (token or account id).
    pub actor: String,
    /// From which IP address.
    pub ip: Option<String>,
    /// What: `subject.create`, `records.read`, `consent.record`, `decision` ...
    pub action: &'static str,
    /// Under which purpose.
    pub purpose: Option<String>,
    /// About which subject.
    pub subject_id: Option<String>,
    /// Which data categories.
    pub categories: Vec<String>,
    /// `allowed`, `denied:<code>`, `done` ...
    pub outcome: String,
    /// More about it (a disclosure's decision, a rule), never a personal value.
    pub detail: Option<String>,
}

/// The future an audit write returns.
pub type AuditFuture<'a> = Pin<Box<dyn Future<Output = Result<(), StorageError>> + Send + 'a>>;

/// Where audit events go.
pub trait Audit: Send + Sync + 'static {
    /// Record `event`. An error must fail the operation: processing that cannot be recorded does
    /// not happen.
    fn record(&self, event: AuditEvent) -> AuditFuture<'_>;

    /// Write `unit`'s ledger rows and audit events in one transaction, all or nothing, and
    /// return once they are durable. An error means none of them was written.
    fn commit(&self, unit: LedgerUnit) -> AuditFuture<'_>;
}

/// Audit events appended to the database's `audit_events` ledger.
#[derive(Clone)]
pub struct StorageAudit {
    storage: std::sync::Arc<dyn Storage>,
}

impl StorageAudit {
    /// Audit into `storage`.
    pub fn new(storage: std::sync::Arc<dyn Storage>) -> StorageAudit {
        StorageAudit { storage }
    }
}

impl AuditEvent {
    /// The storage row of this event (its `seq` given by storage when it is appended).
    pub(crate) fn into_row(self) -> AuditEventRow {
        AuditEventRow {
            seq: 0,
            at: self.at,
            actor: self.actor,
            ip: self.ip,
            action: self.action.to_string(),
            purpose: self.purpose,
            subject_id: self.subject_id,
            categories: self.categories,
            outcome: self.outcome,
            detail: self.detail,
        }
    }
}

impl Audit for StorageAudit {
    fn record(&self, event: AuditEvent) -> AuditFuture<'_> {
        self.commit(LedgerUnit::audit(vec![event.into_row()]))
    }

    fn commit(&self, unit: LedgerUnit) -> AuditFuture<'_> {
        Box::pin(async move { self.storage.append_ledger(vec![unit]).await })
    }
}

type Reply = oneshot::Sender<Result<(), StorageError>>;

/// Ledger units and audit events written with group commit: units committed at the same time
/// share one transaction (one writer task per server, so one stream of write transactions; two
/// writers would only queue for SQLite's write lock). Each caller still waits until its own
/// unit is committed, so the rule "processing that cannot be recorded does not happen" holds and
/// a write is acknowledged only when durable; only the cost is shared. When a shared
/// transaction fails for another reason than a busy database, its units are written again one
/// by one, so a bad unit fails alone and each caller gets its own answer.
#[derive(Clone)]
pub struct GroupCommitAudit {
    sender: mpsc::Sender<(LedgerUnit, Reply)>,
}

impl GroupCommitAudit {
    /// Start the writer task on the current Tokio runtime; it commits up to `max_batch` units
    /// per transaction and stops when every handle is dropped.
    pub fn spawn(storage: std::sync::Arc<dyn Storage>, max_batch: usize) -> GroupCommitAudit {
        let max_batch = max_batch.max(1);
        let (sender, mut receiver) = mpsc::channel::<(LedgerUnit, Reply)>(max_batch * 4);
        tokio::spawn(async move {
            let mut batch = Vec::with_capacity(max_batch);
            while let Some(first) = receiver.recv().await {
                batch.push(first);
                while batch.len() < max_batch {
                    match receiver.try_recv() {
                        Ok(next) => batch.push(next),
                        Err(_) => break,
                    }
                }
                commit_batch(storage.as_ref(), std::mem::take(&mut batch)).await;
            }
        });
        GroupCommitAudit { sender }
    }
}

/// Commit `batch` in one transaction and answer each caller; if that fails (not for a busy
/// database) and the batch has more than one unit, commit each unit alone and answer each with
/// its own result.
async fn commit_batch(storage: &dyn Storage, batch: Vec<(LedgerUnit, Reply)>) {
    let (units, replies): (Vec<LedgerUnit>, Vec<Reply>) = batch.into_iter().unzip();
    // A single unit needs no copy: there is nothing to retry it apart from.
    let retry = (units.len() > 1).then(|| units.clone());
    match (storage.append_ledger(units).await, retry) {
        // Each caller gets the error as storage gave it, so a busy database stays `Busy` (an
        // answer to retry) rather than becoming a generic failure.
        (Err(error), Some(units)) if !matches!(error, StorageError::Busy(_)) => {
            for (unit, reply) in units.into_iter().zip(replies) {
                let outcome = storage.append_ledger(vec![unit]).await;
                // A caller that went away no longer waits for the answer.
                let _ = reply.send(outcome);
            }
        }
        (outcome, _) => {
            for reply in replies {
                let _ = reply.send(outcome.clone());
            }
        }
    }
}

impl GroupCommitAudit {
    /// Hand `unit` to the writer task and wait for its answer.
    async fn submit(&self, unit: LedgerUnit) -> Result<(), StorageError> {
        let stopped = || StorageError::Database("the audit writer has stopped".into());
        let (reply, answer) = oneshot::channel();
        self.sender
            .send((unit, reply))
            .await
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

impl Audit for GroupCommitAudit {
    fn record(&self, event: AuditEvent) -> AuditFuture<'_> {
        Box::pin(self.submit(LedgerUnit::audit(vec![event.into_row()])))
    }

    fn commit(&self, unit: LedgerUnit) -> AuditFuture<'_> {
        Box::pin(self.submit(unit))
    }
}
