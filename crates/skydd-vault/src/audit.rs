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

    /// Record `events`, all or none as far as the caller knows: an error fails every operation
    /// they record. A sink that commits in groups hands them over at once, so that they share
    /// one commit (`POST /v1/decisions` audits up to 1,000 decisions this way); the default
    /// records them one after another.
    fn record_many(&self, events: Vec<AuditEvent>) -> AuditFuture<'_> {
        Box::pin(async move {
            for event in events {
                self.record(event).await?;
            }
            Ok(())
        })
    }
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

    fn record_many(&self, events: Vec<AuditEvent>) -> AuditFuture<'_> {
        Box::pin(async move {
            let rows = events.into_iter().map(AuditEvent::into_row).collect();
            self.storage.append_audit_events(rows).await.map(|_| ())
        })
    }
}

type Reply = oneshot::Sender<Result<(), StorageError>>;

/// One caller's events, committed together, and where its answer goes.
struct Pending {
    rows: Vec<AuditEventRow>,
    reply: Reply,
}

/// Audit events appended to the database with group commit: events recorded at the same time
/// share one transaction. Each caller still waits until its own events are committed, so the
/// rule "processing that cannot be recorded does not happen" holds; only the cost is shared.
///
/// The writer gathers the next batch while one commits (one commit at a time, in order, as the
/// chain needs): under load each commit takes every event that arrived during the previous one,
/// up to the batch size, so 64 concurrent callers cost one transaction per round, not 64.
#[derive(Clone)]
pub struct GroupCommitAudit {
    sender: mpsc::Sender<Pending>,
}

impl GroupCommitAudit {
    /// Start the writer task on the current Tokio runtime; it commits up to `max_batch` events
    /// per transaction (a caller's events are never split, so one call of more goes alone) and
    /// stops when every handle is dropped and the last batch is committed.
    pub fn spawn(storage: std::sync::Arc<dyn Storage>, max_batch: usize) -> GroupCommitAudit {
        let max_batch = max_batch.max(1);
        // Room for many more waiting callers than one batch holds, so that a caller waits for
        // its commit, not for a place in the queue.
        let (sender, receiver) = mpsc::channel::<Pending>(max_batch.saturating_mul(4).max(256));
        tokio::spawn(write(storage, receiver, max_batch));
        GroupCommitAudit { sender }
    }
}

/// The writer: gathers callers' events into a batch while the previous batch commits, and
/// starts the next commit as soon as that one is done.
async fn write(
    storage: std::sync::Arc<dyn Storage>,
    mut receiver: mpsc::Receiver<Pending>,
    max_batch: usize,
) {
    let mut batch: Vec<Pending> = Vec::new();
    let mut events = 0;
    let mut committing: Option<tokio::task::JoinHandle<()>> = None;
    let mut open = true;
    loop {
        tokio::select! {
            // The batch in flight is done: its callers have their answers.
            _ = async {
                if let Some(commit) = committing.as_mut() {
                    // A commit task that panicked dropped its replies: its callers see the
                    // writer as stopped, and the next batch goes on.
                    let _ = commit.await;
                }
            }, if committing.is_some() => committing = None,
            received = receiver.recv(), if open && events < max_batch => match received {
                Some(pending) => {
                    events += pending.rows.len();
                    batch.push(pending);
                    while events < max_batch {
                        let Ok(pending) = receiver.try_recv() else { break };
                        events += pending.rows.len();
                        batch.push(pending);
                    }
                }
                None => open = false,
            },
        }
        if committing.is_none() && !batch.is_empty() {
            events = 0;
            committing = Some(tokio::spawn(commit(
                storage.clone(),
                std::mem::take(&mut batch),
            )));
        }
        if !open && committing.is_none() && batch.is_empty() {
            return;
        }
    }
}

/// Commit `batch` in one transaction and answer each of its callers.
async fn commit(storage: std::sync::Arc<dyn Storage>, batch: Vec<Pending>) {
    let mut rows = Vec::with_capacity(batch.iter().map(|pending| pending.rows.len()).sum());
    let mut replies = Vec::with_capacity(batch.len());
    for pending in batch {
        rows.extend(pending.rows);
        replies.push(pending.reply);
    }
    // Each caller gets the error as storage gave it, so a busy database stays `Busy` (an
    // answer to retry) rather than becoming a generic failure.
    let outcome = storage.append_audit_events(rows).await.map(|_| ());
    for reply in replies {
        // A caller that went away no longer waits for the answer.
        let _ = reply.send(outcome.clone());
    }
}

impl GroupCommitAudit {
    /// Hand `rows` to the writer and wait until they are committed.
    async fn submit(&self, rows: Vec<AuditEventRow>) -> Result<(), StorageError> {
        if rows.is_empty() {
            return Ok(());
        }
        let stopped = || StorageError::Database("the audit writer has stopped".into());
        let (reply, answer) = oneshot::channel();
        self.sender
            .send(Pending { rows, reply })
            .await
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

impl Audit for GroupCommitAudit {
    fn record(&self, event: AuditEvent) -> AuditFuture<'_> {
        Box::pin(self.submit(vec![event.into_row()]))
    }

    fn record_many(&self, events: Vec<AuditEvent>) -> AuditFuture<'_> {
        Box::pin(self.submit(events.into_iter().map(AuditEvent::into_row).collect()))
    }
}
