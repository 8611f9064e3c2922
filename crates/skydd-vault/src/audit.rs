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
use skydd_storage::{AuditEventRow, BlockingLedger, LedgerUnit, Storage, StorageError};
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

    fn record_many(&self, events: Vec<AuditEvent>) -> AuditFuture<'_> {
        self.commit(LedgerUnit::audit(
            events.into_iter().map(AuditEvent::into_row).collect(),
        ))
    }

    fn commit(&self, unit: LedgerUnit) -> AuditFuture<'_> {
        Box::pin(async move { self.storage.append_ledger(vec![unit]).await })
    }
}

type Reply = oneshot::Sender<Result<(), StorageError>>;

/// One caller's unit (ledger rows and audit events), committed together, and where its answer
/// goes.
struct Pending {
    unit: LedgerUnit,
    reply: Reply,
}

impl Pending {
    /// How much of a batch this unit takes: its rows and events, at least 1.
    fn weight(&self) -> usize {
        let unit = &self.unit;
        (unit.consents.len() + unit.objections.len() + unit.preferences.len() + unit.audit.len())
            .max(1)
    }
}

/// Ledger units and audit events written with group commit: units committed at the same time
/// share one transaction (one writer task per server, so one stream of write transactions; two
/// writers would only queue for SQLite's write lock). Each caller still waits until its own
/// unit is committed, so the rule "processing that cannot be recorded does not happen" holds and
/// a write is acknowledged only when durable; only the cost is shared. When a shared
/// transaction fails for another reason than a busy database, its units are written again one
/// by one, so a bad unit fails alone and each caller gets its own answer.
///
/// The writer gathers the next batch while one commits (one commit at a time, in order, as the
/// chain needs): under load each commit takes every event that arrived during the previous one,
/// up to the batch size, so 64 concurrent callers cost one transaction per round, not 64. Two
/// commits in flight, the second's statement waiting on PostgreSQL's lock of the chain head
/// while the first commits, were measured and are slower (BENCHMARKS.md): PostgreSQL flushes
/// its WAL once per commit, so halving the batches doubles the flushes the callers wait for.
///
/// Where storage writes its ledgers through a blocking call ([`Storage::blocking_ledger`],
/// SQLite), the writer is a thread of its own that commits on itself: a batch costs one wake of
/// that thread and one of each caller, not also a task spawned per batch and a hand-over to a
/// blocking thread and back (issue 19). Otherwise (PostgreSQL) it is a task on the runtime.
#[derive(Clone)]
pub struct GroupCommitAudit {
    sender: mpsc::Sender<Pending>,
}

impl GroupCommitAudit {
    /// Start the writer task on the current Tokio runtime; it commits up to `max_batch` rows and
    /// events per transaction (a caller's unit is never split, so one of more goes alone) and
    /// stops when every handle is dropped and the last batch is committed.
    pub fn spawn(storage: std::sync::Arc<dyn Storage>, max_batch: usize) -> GroupCommitAudit {
        let max_batch = max_batch.max(1);
        // Room for many more waiting callers than one batch holds, so that a caller waits for
        // its commit, not for a place in the queue.
        let queue = || mpsc::channel::<Pending>(max_batch.saturating_mul(4).max(256));
        if let Some(ledger) = storage.blocking_ledger() {
            let (sender, receiver) = queue();
            let started = std::thread::Builder::new()
                .name("skydd-ledger-writer".into())
                .spawn(move || write_on_thread(&ledger, receiver, max_batch));
            match started {
                Ok(_) => return GroupCommitAudit { sender },
                // The thread's queue went with it; the task below gets a new one.
                Err(error) => tracing::warn!(
                    %error,
                    "could not start the ledger writer's thread; committing from a task instead"
                ),
            }
        }
        let (sender, receiver) = queue();
        tokio::spawn(write(storage, receiver, max_batch));
        GroupCommitAudit { sender }
    }
}

/// The writer on a thread of its own: waits for a caller, takes every unit queued behind it up
/// to the batch size, commits them through `ledger` on this thread, answers, and goes on; the
/// units that arrive during a commit are the next batch. Returns when every handle is dropped
/// and the queue is empty.
fn write_on_thread(
    ledger: &BlockingLedger,
    mut receiver: mpsc::Receiver<Pending>,
    max_batch: usize,
) {
    while let Some(first) = receiver.blocking_recv() {
        let mut events = first.weight();
        let mut batch = vec![first];
        while events < max_batch {
            let Ok(pending) = receiver.try_recv() else {
                break;
            };
            events += pending.weight();
            batch.push(pending);
        }
        let (units, replies): (Vec<LedgerUnit>, Vec<Reply>) = batch
            .into_iter()
            .map(|pending| (pending.unit, pending.reply))
            .unzip();
        // The units are lent to the commit, so the one-by-one retry needs no copy of them.
        let outcome = commit_caught(ledger, &units);
        let retry = (units.len() > 1).then_some(units);
        for (unit, reply) in answer(outcome, retry, replies) {
            // A caller that went away no longer waits for the answer.
            let _ = reply.send(commit_caught(ledger, std::slice::from_ref(&unit)));
        }
    }
}

/// `ledger(units)`, a panic inside it turned into an error for those units' callers, so that
/// the writer thread (the only one a server has) goes on with the next batch, as the task's
/// writer does when a commit task panics.
fn commit_caught(ledger: &BlockingLedger, units: &[LedgerUnit]) -> Result<(), StorageError> {
    // The writer holds no state across batches that a panic could leave half-changed: the
    // storage's connection rolls back a transaction it dropped (`sqlite/ledger_writer`).
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| ledger(units))).unwrap_or_else(|_| {
        Err(StorageError::Database(
            "the ledger write stopped unexpectedly".into(),
        ))
    })
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
                    events += pending.weight();
                    batch.push(pending);
                    while events < max_batch {
                        let Ok(pending) = receiver.try_recv() else { break };
                        events += pending.weight();
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

/// Commit `batch` in one transaction and answer each of its callers; if that fails (not for a
/// busy database) and the batch has more than one unit, commit each unit alone and answer each
/// with its own result.
async fn commit(storage: std::sync::Arc<dyn Storage>, batch: Vec<Pending>) {
    let (units, replies, retry) = split(batch);
    let outcome = storage.append_ledger(units).await;
    for (unit, reply) in answer(outcome, retry, replies) {
        // A caller that went away no longer waits for the answer.
        let _ = reply.send(storage.append_ledger(vec![unit]).await);
    }
}

/// A batch's units to commit together, their callers' replies in the same order, and a copy of
/// the units to commit one by one should the shared commit fail (none for a single unit: there
/// is nothing to retry it apart from).
fn split(batch: Vec<Pending>) -> (Vec<LedgerUnit>, Vec<Reply>, Option<Vec<LedgerUnit>>) {
    let (units, replies): (Vec<LedgerUnit>, Vec<Reply>) = batch
        .into_iter()
        .map(|pending| (pending.unit, pending.reply))
        .unzip();
    let retry = (units.len() > 1).then(|| units.clone());
    (units, replies, retry)
}

/// Answer a batch's callers with the `outcome` of its shared commit, or, when that failed for
/// another reason than a busy database and there is a `retry` copy, leave them unanswered and
/// return each unit with its caller's reply, to be committed alone and answered with its own
/// result. Each caller gets the error as storage gave it, so a busy database stays `Busy` (an
/// answer to retry) rather than becoming a generic failure.
fn answer(
    outcome: Result<(), StorageError>,
    retry: Option<Vec<LedgerUnit>>,
    replies: Vec<Reply>,
) -> Vec<(LedgerUnit, Reply)> {
    match (outcome, retry) {
        (Err(error), Some(units)) if !matches!(error, StorageError::Busy(_)) => {
            units.into_iter().zip(replies).collect()
        }
        (outcome, _) => {
            for reply in replies {
                // A caller that went away no longer waits for the answer.
                let _ = reply.send(outcome.clone());
            }
            Vec::new()
        }
    }
}

impl GroupCommitAudit {
    /// Hand `unit` to the writer and wait until it is committed.
    async fn submit(&self, unit: LedgerUnit) -> Result<(), StorageError> {
        if unit == LedgerUnit::default() {
            return Ok(());
        }
        let stopped = || StorageError::Database("the audit writer has stopped".into());
        let (reply, answer) = oneshot::channel();
        self.sender
            .send(Pending { unit, reply })
            .await
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

impl Audit for GroupCommitAudit {
    fn record(&self, event: AuditEvent) -> AuditFuture<'_> {
        Box::pin(self.submit(LedgerUnit::audit(vec![event.into_row()])))
    }

    fn record_many(&self, events: Vec<AuditEvent>) -> AuditFuture<'_> {
        Box::pin(self.submit(LedgerUnit::audit(
            events.into_iter().map(AuditEvent::into_row).collect(),
        )))
    }

    fn commit(&self, unit: LedgerUnit) -> AuditFuture<'_> {
        Box::pin(self.submit(unit))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    /// A unit of one audit event, as a caller hands it over.
    fn unit() -> LedgerUnit {
        LedgerUnit::audit(vec![AuditEventRow {
            seq: 0,
            at: jiff::Timestamp::UNIX_EPOCH,
            actor: "test".into(),
            ip: None,
            action: "test".into(),
            purpose: None,
            subject_id: None,
            categories: Vec::new(),
            outcome: "done".into(),
            detail: None,
        }])
    }

    #[test]
    fn a_commit_that_panics_fails_its_callers_and_the_writer_thread_goes_on() {
        let calls = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&calls);
        let ledger: BlockingLedger = Arc::new(move |_units| {
            if counted.fetch_add(1, Ordering::SeqCst) == 0 {
                panic!("the first commit panics");
            }
            Ok(())
        });
        let (sender, receiver) = mpsc::channel::<Pending>(8);
        let writer = std::thread::spawn(move || write_on_thread(&ledger, receiver, 8));
        let ask = || {
            let (reply, answer) = oneshot::channel();
            sender
                .blocking_send(Pending {
                    unit: unit(),
                    reply,
                })
                .unwrap();
            answer.blocking_recv().unwrap()
        };
        assert!(matches!(ask(), Err(StorageError::Database(_))));
        assert!(ask().is_ok(), "the next batch is committed");
        drop(sender);
        writer.join().unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }
}
