//! The audit interface: every call that reads or changes personal data is recorded here, with
//! actor, IP, purpose, subject id and category names, never the values.
//!
//! [`Audit`] is the one interface every writer uses; the audit-trail issue makes its storage
//! tamper-evident (hash chain, signed checkpoints) without changing the callers.

use std::future::Future;
use std::pin::Pin;

use jiff::Timestamp;
use skydd_storage::{AuditEventRow, Storage, StorageError};
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
    fn into_row(self) -> AuditEventRow {
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
        Box::pin(async move {
            self.storage
                .append_audit_event(event.into_row())
                .await
                .map(|_| ())
        })
    }
}

type Reply = oneshot::Sender<Result<(), StorageError>>;

/// Audit events appended to the database with group commit: events recorded at the same time
/// share one transaction. Each caller still waits until its own event is committed, so the rule
/// "processing that cannot be recorded does not happen" holds; only the cost is shared.
#[derive(Clone)]
pub struct GroupCommitAudit {
    sender: mpsc::Sender<(AuditEventRow, Reply)>,
}

impl GroupCommitAudit {
    /// Start the writer task on the current Tokio runtime; it commits up to `max_batch` events
    /// per transaction and stops when every handle is dropped.
    pub fn spawn(storage: std::sync::Arc<dyn Storage>, max_batch: usize) -> GroupCommitAudit {
        let max_batch = max_batch.max(1);
        let (sender, mut receiver) = mpsc::channel::<(AuditEventRow, Reply)>(max_batch * 4);
        tokio::spawn(async move {
            let mut rows = Vec::with_capacity(max_batch);
            let mut replies = Vec::with_capacity(max_batch);
            while let Some((row, reply)) = receiver.recv().await {
                rows.push(row);
                replies.push(reply);
                while rows.len() < max_batch {
                    match receiver.try_recv() {
                        Ok((row, reply)) => {
                            rows.push(row);
                            replies.push(reply);
                        }
                        Err(_) => break,
                    }
                }
                let result = storage.append_audit_events(std::mem::take(&mut rows)).await;
                // Each caller gets the error as storage gave it, so a busy database stays
                // `Busy` (an answer to retry) rather than becoming a generic failure.
                let outcome = result.map(|_| ());
                for reply in replies.drain(..) {
                    // A caller that went away no longer waits for the answer.
                    let _ = reply.send(outcome.clone());
                }
            }
        });
        GroupCommitAudit { sender }
    }
}

impl Audit for GroupCommitAudit {
    fn record(&self, event: AuditEvent) -> AuditFuture<'_> {
        Box::pin(async move {
            let stopped = || StorageError::Database("the audit writer has stopped".into());
            let (reply, answer) = oneshot::channel();
            self.sender
                .send((event.into_row(), reply))
                .await
                .map_err(|_| stopped())?;
            answer.await.map_err(|_| stopped())?
        })
    }
}
