//! Retention sweeps: expired records deleted or anonymised in the vault, the consent banner's
//! old choices deleted (issue 18), then every connected database's due rows deleted or masked
//! (issue 16, part 4), each database's receipt in the audit chain, then a signed audit
//! checkpoint.
//!
//! One sweeper per instance storage: the storage's sweep lock is held from the vault's sweep to
//! the last connected database, so several servers on one storage never sweep a connected
//! database twice at once ([`skydd_connect::sweep::run`] also takes a lock in PostgreSQL and
//! MySQL databases, for sweepers of other instances). A connected database that cannot be
//! reached or fails is reported by name and a reason without values or connection strings, and
//! the others are swept all the same.

use std::ops::ControlFlow;

use jiff::Timestamp;
use serde::Serialize;
use skydd_connect::apply::KeyedHasher;
use skydd_connect::sweep::{self, SweepPlan, SweepReceipt};
use skydd_connect::{ConnectError, Database, read_url};
use skydd_dataset::Dataset;
use skydd_storage::StorageError;
use skydd_vault::{Actor, AuditEvent, SweepProgress, SweepSummary, VaultError};

use crate::checkpoint::CheckpointError;
use crate::operations::SweepEnd;
use crate::services::App;

/// The audit action of a connected database's sweep: one event per database per sweep.
pub const CONNECTED_SWEEP_ACTION: &str = "retention.connected";

/// The audit action that proves one committed batch of a connected database's sweep, written
/// as the sweep goes (so a killed sweep's committed batches stay proven).
pub const CONNECTED_BATCH_ACTION: &str = "retention.connected.batch";

/// Why a sweep stopped.
#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    /// The sweep itself failed; the batches done before are committed.
    #[error("the sweep stopped; what was done is committed, run it again to finish")]
    Sweep(#[source] VaultError),
    /// A connected database was swept but its receipt could not be written to the audit trail
    /// (what was swept stays swept; the next sweep writes its own receipt).
    #[error("a connected database's sweep receipt could not be written to the audit trail")]
    Audit(#[source] StorageError),
    /// The sweep finished but the checkpoint after it failed.
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
}

/// How far a sweep has got, for a progress display: the vault's progress, then each connected
/// database's per batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SweepStep {
    /// The vault's records, after each batch.
    Vault(SweepProgress),
    /// A connected database, after each batch committed in it.
    Connected {
        /// The dataset's name.
        system: String,
        /// The collection, batches and rows so far.
        progress: sweep::SweepProgress,
    },
}

/// What one sweep did: the vault's summary and every connected database's outcome, in the
/// order the datasets were given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Swept {
    /// The vault's records.
    pub vault: SweepSummary,
    /// The consent banner's choices deleted ([`skydd_vault::COOKIE_CHOICE_YEARS`] old).
    pub cookie_choices: u64,
    /// Each connected database with a `retention:` collection.
    pub connected: Vec<SystemSwept>,
}

impl Swept {
    /// Whether every connected database was swept to the end (none failed, none busy, no
    /// collection failed).
    pub fn complete(&self) -> bool {
        self.connected
            .iter()
            .all(|s| matches!(&s.outcome, SystemSweep::Done(receipt) if receipt.complete()))
    }
}

/// One connected database's sweep.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SystemSwept {
    /// The dataset's name.
    pub system: String,
    /// How it ended.
    pub outcome: SystemSweep,
}

/// How one connected database's sweep ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum SystemSweep {
    /// Swept; the receipt says per collection what went and what was kept (a collection may
    /// still have failed: [`SweepReceipt::complete`]).
    Done(SweepReceipt),
    /// Another sweeper (of another instance) holds the database's own sweep lock; nothing done.
    Busy,
    /// Not swept: the database could not be reached or its schema read. The reason names what
    /// was being done, never a value or the connection string.
    Failed {
        /// Why.
        reason: String,
    },
}

impl SystemSweep {
    /// `done`, `incomplete` (a collection failed), `busy` or `failed`: the audit outcome.
    pub fn word(&self) -> &'static str {
        match self {
            SystemSweep::Done(receipt) if receipt.complete() => "done",
            SystemSweep::Done(_) => "incomplete",
            SystemSweep::Busy => "busy",
            SystemSweep::Failed { .. } => "failed",
        }
    }
}

/// The plan of one connected database, or why it could not be made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SystemPlan {
    /// The dataset's name.
    pub system: String,
    /// The plan; `Err` is the reason (no value, no connection string).
    #[serde(flatten, with = "plan_or_reason")]
    pub plan: Result<SweepPlan, String>,
}

/// `SystemPlan::plan` as `{"plan": ...}` or `{"failed": REASON}`.
mod plan_or_reason {
    use serde::Serializer;
    use serde::ser::SerializeMap as _;
    use skydd_connect::sweep::SweepPlan;

    pub(super) fn serialize<S: Serializer>(
        plan: &Result<SweepPlan, String>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(1))?;
        match plan {
            Ok(plan) => map.serialize_entry("plan", plan)?,
            Err(reason) => map.serialize_entry("failed", reason)?,
        }
        map.end()
    }
}

/// Whether `dataset` has a collection a sweep covers.
fn sweeps(dataset: &Dataset) -> bool {
    dataset.collections.iter().any(|c| c.retention.is_some())
}

/// The register categories of the fields of `dataset`'s collections with `retention`, sorted,
/// each once: the audit event's categories.
fn swept_categories(dataset: &Dataset) -> Vec<String> {
    let mut categories: Vec<String> = dataset
        .collections
        .iter()
        .filter(|c| c.retention.is_some())
        .flat_map(|c| &c.fields)
        .filter_map(|f| f.category.as_ref().map(|c| c.as_str().to_owned()))
        .collect();
    categories.sort();
    categories.dedup();
    categories
}

impl App {
    /// Sweep as of `at`: the vault's records, `batch` per transaction, then every connected
    /// database with a `retention:` collection (`batch` rows per transaction, one audit event
    /// per database with its receipt), reporting to `progress`, then sign a checkpoint of the
    /// audit trail ([`App::checkpoint`]). `None` when another sweeper holds the sweep lock
    /// (several servers on one storage: one sweeps, the others skip). Counted for
    /// [`App::operations`].
    pub async fn sweep(
        &self,
        actor: &Actor,
        at: Timestamp,
        batch: usize,
        progress: &mut (dyn FnMut(SweepStep) + Send),
    ) -> Result<Option<Swept>, SweepError> {
        let swept = self.sweep_and_checkpoint(actor, at, batch, progress).await;
        let end = match &swept {
            Ok(Some(swept)) if swept.complete() => SweepEnd::Done,
            Ok(Some(_)) | Err(_) => SweepEnd::Failed,
            Ok(None) => SweepEnd::Skipped,
        };
        self.sweep_log.record(at, end);
        swept
    }

    async fn sweep_and_checkpoint(
        &self,
        actor: &Actor,
        at: Timestamp,
        batch: usize,
        progress: &mut (dyn FnMut(SweepStep) + Send),
    ) -> Result<Option<Swept>, SweepError> {
        let storage_error = |e| SweepError::Sweep(VaultError::Storage(e));
        let Some(mut lock) = self.storage.try_sweep_lock().await.map_err(storage_error)? else {
            return Ok(None);
        };
        let swept = self
            .sweep_holding(&mut lock, actor, at, batch, progress)
            .await;
        let released = self.storage.release_sweep_lock(lock).await;
        let swept = swept?;
        released.map_err(storage_error)?;
        self.checkpoint(at).await?;
        Ok(Some(swept))
    }

    /// The vault, then each connected database, under the storage's sweep lock `lock`.
    async fn sweep_holding(
        &self,
        lock: &mut skydd_storage::SweepLock,
        actor: &Actor,
        at: Timestamp,
        batch: usize,
        progress: &mut (dyn FnMut(SweepStep) + Send),
    ) -> Result<Swept, SweepError> {
        let vault = self
            .vault()
            .retention_sweep_holding(lock, actor, at, batch, &mut |seen| {
                progress(SweepStep::Vault(seen));
            })
            .await
            .map_err(SweepError::Sweep)?;
        let cookie_choices = self
            .vault()
            .sweep_cookie_choices(actor, at, batch)
            .await
            .map_err(SweepError::Sweep)?;
        let mut connected = Vec::new();
        let hasher = KeyedHasher::new(*self.keyring().erasure_hash_key());
        for loaded in self.datasets().all() {
            let dataset = &loaded.dataset;
            if !sweeps(dataset) {
                continue;
            }
            let (outcome, proven) = self
                .sweep_system(actor, dataset, at, batch, &hasher, progress)
                .await;
            proven.map_err(SweepError::Audit)?;
            self.audit_system_sweep(actor, at, dataset, &outcome)
                .await
                .map_err(SweepError::Audit)?;
            connected.push(SystemSwept {
                system: dataset.name.clone(),
                outcome,
            });
        }
        Ok(Swept {
            vault,
            cookie_choices,
            connected,
        })
    }

    /// Sweep the database `dataset` describes: connect writable (the connection string read
    /// now), [`sweep::run`], close. Each batch the database committed is proven by a
    /// [`CONNECTED_BATCH_ACTION`] audit event (system, collection, rows) before the next batch
    /// starts, so a sweep killed half way leaves every committed batch but the last one on
    /// record (the vault's own batches carry their proof in their transaction; a connected
    /// database cannot share Skydd's). The second value is the audit write that failed and
    /// stopped the sweep, if one did.
    async fn sweep_system(
        &self,
        actor: &Actor,
        dataset: &Dataset,
        at: Timestamp,
        batch: usize,
        hasher: &KeyedHasher,
        progress: &mut (dyn FnMut(SweepStep) + Send),
    ) -> (SystemSweep, Result<(), StorageError>) {
        // The proof of each batch is written before the next batch starts (`run` awaits it),
        // so a kill loses at most the proof of the batch whose commit it overtook. The first
        // failed write stops the sweep: processing that cannot be recorded does not go on.
        let proven = std::sync::Mutex::new(Ok(()));
        let rows_before = std::sync::Mutex::new(std::collections::HashMap::<String, u64>::new());
        let swept: Result<Option<SweepReceipt>, ConnectError> = async {
            let url = read_url(&dataset.connection)?;
            let mut database =
                Database::connect_writable(dataset.kind, &url, dataset.tls.as_ref()).await?;
            let (proven, rows_before) = (&proven, &rows_before);
            let mut report = |seen: sweep::SweepProgress| -> std::pin::Pin<
                Box<dyn std::future::Future<Output = ControlFlow<()>> + Send + '_>,
            > {
                progress(SweepStep::Connected {
                    system: dataset.name.clone(),
                    progress: seen.clone(),
                });
                let rows = {
                    let mut before = rows_before
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner);
                    let earlier = before.insert(seen.collection.clone(), seen.rows);
                    seen.rows.saturating_sub(earlier.unwrap_or(0))
                };
                Box::pin(async move {
                    let written = self.audit_batch(actor, at, dataset, &seen, rows).await;
                    let failed = written.is_err();
                    if failed {
                        *proven
                            .lock()
                            .unwrap_or_else(std::sync::PoisonError::into_inner) = written;
                        return ControlFlow::Break(());
                    }
                    ControlFlow::Continue(())
                })
            };
            let swept = sweep::run(
                &mut database,
                dataset,
                &self.register.register,
                at,
                batch,
                hasher,
                &mut report,
            )
            .await;
            database.close().await;
            swept
        }
        .await;
        let outcome = match swept {
            Ok(Some(receipt)) => SystemSweep::Done(receipt),
            Ok(None) => SystemSweep::Busy,
            Err(error) => SystemSweep::Failed {
                reason: error.to_string(),
            },
        };
        let proven = proven
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        (outcome, proven)
    }

    /// The proof of one committed batch of a connected sweep: which system and collection, the
    /// batch's number and its rows (no key, no value).
    async fn audit_batch(
        &self,
        actor: &Actor,
        at: Timestamp,
        dataset: &Dataset,
        seen: &sweep::SweepProgress,
        rows: u64,
    ) -> Result<(), StorageError> {
        let detail = serde_json::json!({
            "system": dataset.name,
            "collection": seen.collection,
            "batch": seen.batches,
            "rows": rows,
        });
        self.audit()
            .record(AuditEvent {
                at,
                actor: actor.id.clone(),
                ip: actor.ip.clone(),
                action: CONNECTED_BATCH_ACTION,
                purpose: None,
                subject_id: None,
                categories: swept_categories(dataset),
                outcome: "done".to_owned(),
                detail: Some(detail.to_string()),
            })
            .await
    }

    /// The proof of one connected database's sweep: one audit event with its receipt (rules,
    /// collections, cutoffs, rows deleted, masked, held and referenced, batches; no key, no
    /// value) or why it did not run.
    async fn audit_system_sweep(
        &self,
        actor: &Actor,
        at: Timestamp,
        dataset: &Dataset,
        outcome: &SystemSweep,
    ) -> Result<(), StorageError> {
        let detail = serde_json::json!({"system": dataset.name, "sweep": outcome});
        self.audit()
            .record(AuditEvent {
                at,
                actor: actor.id.clone(),
                ip: actor.ip.clone(),
                action: CONNECTED_SWEEP_ACTION,
                purpose: None,
                subject_id: None,
                categories: swept_categories(dataset),
                outcome: outcome.word().to_owned(),
                detail: Some(detail.to_string()),
            })
            .await
    }

    /// What a sweep at `at` would do in every connected database with a `retention:`
    /// collection, read in one read-only transaction each; changes nothing, audits nothing.
    /// A database that cannot be reached is a [`SystemPlan`] with the reason.
    pub async fn connected_plan(&self, at: Timestamp) -> Vec<SystemPlan> {
        let mut plans = Vec::new();
        for loaded in self.datasets().all() {
            let dataset = &loaded.dataset;
            if !sweeps(dataset) {
                continue;
            }
            let plan: Result<SweepPlan, ConnectError> = async {
                let url = read_url(&dataset.connection)?;
                let mut database =
                    Database::connect(dataset.kind, &url, dataset.tls.as_ref()).await?;
                let plan = sweep::plan(&mut database, dataset, &self.register.register, at).await;
                database.close().await;
                plan
            }
            .await;
            plans.push(SystemPlan {
                system: dataset.name.clone(),
                plan: plan.map_err(|e| e.to_string()),
            });
        }
        plans
    }
}
