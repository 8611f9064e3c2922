//! What an operator monitors, as counts and times without personal data or identifiers
//! ([`App::operations`], served as `/metrics`): requests open and overdue, incidents and their
//! 72-hour clocks, the outbox, retention sweeps, the audit chain and the connection pool.
//!
//! Everything is read when asked, with cheap reads: four `COUNT`s, the chain head, the newest
//! checkpoint (its signature checked, the chain itself not verified: `skydd audit verify` does
//! that), the incidents (few, and their clocks need the domain model) and what this process
//! remembers of its own sweeps.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

use jiff::Timestamp;
use skydd_incident::NotificationStatus;
use skydd_storage::{OperationsCounts, PoolStatus, audit_chain};
use skydd_vault::VaultError;

use crate::services::App;

/// The state of an instance at one moment, for monitoring.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operations {
    /// Requests open and overdue, outbox messages queued and failed.
    pub counts: OperationsCounts,
    /// Incidents open, and those whose notification to the authority is still due.
    pub incidents: IncidentClocks,
    /// The retention sweeps this process ran.
    pub sweeps: SweepTally,
    /// The audit chain's head and its newest checkpoint.
    pub audit: AuditStatus,
    /// The database connection pool.
    pub pool: PoolStatus,
    /// Where the register's security review cycle stands (P003-42); `None` when the register
    /// sets no cycle.
    pub security_review: Option<skydd_register::model::ReviewStatus>,
}

/// Incidents by where their Art. 33 clock stands.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IncidentClocks {
    /// Incidents not closed.
    pub open: u64,
    /// Open incidents neither notified to the authority nor documented as not requiring it:
    /// their 72-hour clock is running.
    pub notification_due: u64,
    /// Of those, the ones whose 72 hours have passed.
    pub notification_overdue: u64,
}

/// The retention sweeps run by this process since it started (a sweep run by `skydd retention
/// run` in another process is not counted here; its proof is in the audit trail).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SweepTally {
    /// Sweeps that finished, their checkpoint included.
    pub done: u64,
    /// Sweeps skipped because another sweeper held the lock.
    pub skipped: u64,
    /// Sweeps that failed (what their earlier batches did is committed).
    pub failed: u64,
    /// The last sweep that finished or failed: when it started, and whether it finished.
    pub last: Option<(Timestamp, bool)>,
}

/// The audit chain as monitoring sees it, without verifying it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuditStatus {
    /// The seq of the newest entry (`first_seq - 1` when there is none).
    pub head_seq: i64,
    /// The seq up to which the index by subject is complete
    /// ([`skydd_storage::Storage::audit_subject_index_mark`]); a search by subject scans the
    /// entries above it, so a mark far behind the head means its rounds are not running.
    pub subject_index_seq: i64,
    /// The newest signed checkpoint, when there is one.
    pub checkpoint: Option<CheckpointStatus>,
}

/// The newest audit checkpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckpointStatus {
    /// The seq of the entry it signs.
    pub seq: i64,
    /// When it was made.
    pub at: Timestamp,
    /// Whether its signature is valid for this installation's checkpoint key and it names an
    /// entry at or before the head: `false` means the checkpoints or the trail were tampered
    /// with (run `skydd audit verify`).
    pub valid: bool,
}

/// The sweeps of this process, counted as they end ([`SweepLog::record`]).
#[derive(Debug, Default)]
pub(crate) struct SweepLog {
    done: AtomicU64,
    skipped: AtomicU64,
    failed: AtomicU64,
    last: Mutex<Option<(Timestamp, bool)>>,
}

/// How a sweep ended, for [`SweepLog::record`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SweepEnd {
    Done,
    Skipped,
    Failed,
}

impl SweepLog {
    /// Count a sweep started at `at` that ended as `end`.
    pub(crate) fn record(&self, at: Timestamp, end: SweepEnd) {
        let counter = match end {
            SweepEnd::Done => &self.done,
            SweepEnd::Skipped => &self.skipped,
            SweepEnd::Failed => &self.failed,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        if end != SweepEnd::Skipped {
            // A poisoned lock still holds a whole `Option`: a panic cannot leave half of one.
            *self.last.lock().unwrap_or_else(PoisonError::into_inner) =
                Some((at, end == SweepEnd::Done));
        }
    }

    fn tally(&self) -> SweepTally {
        SweepTally {
            done: self.done.load(Ordering::Relaxed),
            skipped: self.skipped.load(Ordering::Relaxed),
            failed: self.failed.load(Ordering::Relaxed),
            last: *self.last.lock().unwrap_or_else(PoisonError::into_inner),
        }
    }
}

impl App {
    /// The state of the instance at `now`, for monitoring: cheap reads only (see the module
    /// comment), no personal data, no identifiers.
    pub async fn operations(&self, now: Timestamp) -> Result<Operations, VaultError> {
        let storage = &*self.storage;
        let counts = storage.operations_counts(now).await?;
        let head = storage.audit_chain_head().await?;
        let subject_index_seq = storage.audit_subject_index_mark().await?;
        let checkpoint = storage.latest_audit_checkpoint().await?.map(|row| {
            let public_key = self.keyring().checkpoint_signer().public_key();
            let message = audit_chain::checkpoint_bytes(row.seq, &row.hash, row.at);
            CheckpointStatus {
                seq: row.seq,
                at: row.at,
                valid: row.seq <= head.seq
                    && skydd_crypto::verify_checkpoint(&public_key, &message, &row.signature),
            }
        });
        // Incidents are few (a company has a handful a year); their clocks need the model.
        let mut incidents = IncidentClocks::default();
        for incident in self.vault().incidents().await? {
            if !incident.is_open() {
                continue;
            }
            incidents.open += 1;
            if let NotificationStatus::Due { due_at } = incident.notification() {
                incidents.notification_due += 1;
                if due_at < now {
                    incidents.notification_overdue += 1;
                }
            }
        }
        // A handful of rows a year.
        let security_review = self.vault().security_reviews(now).await?.status;
        Ok(Operations {
            counts,
            incidents,
            security_review,
            sweeps: self.sweep_log.tally(),
            audit: AuditStatus {
                head_seq: head.seq,
                subject_index_seq,
                checkpoint,
            },
            pool: storage.pool_status(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sweeps_are_counted_and_the_last_remembered() {
        let log = SweepLog::default();
        assert_eq!(log.tally(), SweepTally::default());
        let first = Timestamp::from_second(1_000).unwrap();
        let second = Timestamp::from_second(2_000).unwrap();
        log.record(first, SweepEnd::Done);
        log.record(second, SweepEnd::Failed);
        log.record(Timestamp::from_second(3_000).unwrap(), SweepEnd::Skipped);
        assert_eq!(
            log.tally(),
            SweepTally {
                done: 1,
                skipped: 1,
                failed: 1,
                last: Some((second, false)),
            }
        );
    }
}
