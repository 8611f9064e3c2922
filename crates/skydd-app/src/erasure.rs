//! Erasure in the connected databases (issue 16, part 3): the plan (a dry run) per system, the
//! step [`App::fulfil_request`] runs per system before the vault's own erasure, and the replay
//! of recorded erasures onto a database restored from a backup.
//!
//! A step connects writable, executes ([`skydd_connect::erase::execute`]: one transaction,
//! rows re-selected by identity) with the keyed hash under the keyring's erasure key, and
//! verifies by re-reading ([`skydd_connect::erase::verify`]); free text that mentions the
//! subject in rows the strategies leave is redacted in the same transaction (issue 21), with
//! today in Stockholm as the scan's reference day. Anything left makes the step
//! `failed` with names and counts. The stored receipt ([`ErasureRecord`], sealed with the
//! request's data key) holds the primary keys of the erased rows for [`App::replay_erasures`];
//! the audit chain gets the same receipt without them.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use skydd_connect::apply::KeyedHasher;
use skydd_connect::erase::{self, ErasedCollection, ErasurePlan, ErasureReceipt, Remaining};
use skydd_connect::{ConnectError, Database, read_url};
use skydd_dataset::Dataset;
use skydd_register::Register;
use skydd_register::model::HoldId;
use skydd_requests::{ErasedTable, KeptField, RequestType, SystemErasure};
use skydd_subject::Identity;
use skydd_vault::{Actor, SystemAction, SystemOutcome, SystemOutcomeView, SystemState, VaultError};

use crate::App;
use crate::connected::StepOutcome;

/// What an erasure step keeps per system: the receipt (with the primary keys of the rows it
/// wrote: personal data, stored sealed) and the fields a legal hold kept. `Debug` shows no key.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErasureRecord {
    /// What was written, per collection.
    #[serde(flatten)]
    pub receipt: ErasureReceipt,
    /// The fields a legal hold of the register kept in the collections the subject had rows
    /// in.
    #[serde(default)]
    pub kept: Vec<KeptIn>,
}

/// A field an erasure kept under a legal hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeptIn {
    /// The collection.
    pub collection: String,
    /// The field.
    pub field: String,
    /// Its register category.
    pub category: String,
    /// The hold (`legal_holds[].id`).
    pub hold: String,
}

impl ErasureRecord {
    /// The record as the completion letter reports it: tables, fields, rows, and what a hold
    /// kept.
    pub fn letter(&self) -> SystemErasure {
        SystemErasure {
            system: self.receipt.system.clone(),
            tables: self
                .receipt
                .collections
                .iter()
                .map(|c| ErasedTable {
                    table: c.collection.clone(),
                    fields: c.fields.iter().map(|f| f.field.clone()).collect(),
                    rows: c.deleted + c.updated,
                })
                .collect(),
            redacted: self
                .receipt
                .redacted
                .iter()
                .map(|c| ErasedTable {
                    table: c.collection.clone(),
                    fields: c.fields.iter().cloned().collect(),
                    rows: c.rows,
                })
                .collect(),
            kept: self
                .kept
                .iter()
                .map(|k| KeptField {
                    field: format!("{}.{}", k.collection, k.field),
                    hold: HoldId(k.hold.clone()),
                })
                .collect(),
        }
    }

    /// Add what a later run of the same step wrote (a retry after a failed verification):
    /// counts summed and keys united per collection, so a replay covers both runs.
    fn absorb(&mut self, later: ErasureRecord) {
        for collection in later.receipt.collections {
            match self
                .receipt
                .collections
                .iter_mut()
                .find(|c| c.collection == collection.collection)
            {
                Some(known) => merge(known, collection),
                None => self.receipt.collections.push(collection),
            }
        }
        for redacted in later.receipt.redacted {
            match self
                .receipt
                .redacted
                .iter_mut()
                .find(|c| c.collection == redacted.collection)
            {
                Some(known) => known.absorb(redacted),
                None => self.receipt.redacted.push(redacted),
            }
        }
        if self.receipt.mentions.is_none() {
            self.receipt.mentions = later.receipt.mentions;
        }
        for kept in later.kept {
            if !self.kept.contains(&kept) {
                self.kept.push(kept);
            }
        }
    }
}

fn merge(known: &mut ErasedCollection, later: ErasedCollection) {
    known.deleted += later.deleted;
    known.updated += later.updated;
    for field in later.fields {
        match known.fields.iter_mut().find(|f| f.field == field.field) {
            Some(f) => f.rows += field.rows,
            None => known.fields.push(field),
        }
    }
    for key in later.keys.0 {
        if !known.keys.0.contains(&key) {
            known.keys.0.push(key);
        }
    }
}

/// Why an erasure is not complete: per collection the rows and fields left, never a value.
pub fn remaining_reason(remaining: &Remaining) -> String {
    let parts: Vec<String> = remaining
        .collections
        .iter()
        .map(|c| {
            let fields: Vec<&str> = c.fields.iter().map(String::as_str).collect();
            let mentioned = if c.mentioned > 0 {
                format!(", {} rows still mention the subject", c.mentioned)
            } else {
                String::new()
            };
            format!(
                "{}: {} reachable and {} erased rows still hold {}{mentioned}",
                c.collection,
                c.reachable,
                c.unerased,
                fields.join(", ")
            )
        })
        .collect();
    format!(
        "the re-read after the erasure found data left: {}",
        parts.join("; ")
    )
}

/// Erase in the database `dataset` describes what `identities` reach: connect writable,
/// read which fields a hold keeps (a read-only plan), execute in one transaction, verify by
/// re-reading; free text is scanned with `today` as the reference day. `earlier` is what a
/// failed earlier run of the step wrote (kept in the new receipt). Never fails: a database
/// that cannot be reached or written, or data left after the re-read, is
/// [`StepOutcome::Failed`] with the reason (no value, no connection string).
pub async fn erase_system<F, Fut>(
    dataset: &Dataset,
    identities: &[Identity],
    hasher: &KeyedHasher,
    register: &Register,
    today: jiff::civil::Date,
    earlier: Option<ErasureRecord>,
    before_commit: F,
) -> StepOutcome
where
    F: FnOnce(ErasureRecord) -> Fut,
    Fut: std::future::Future<Output = Result<(), String>>,
{
    let base = earlier.clone().unwrap_or_default();
    let name = dataset.name.clone();
    let record_first = move |receipt: ErasureReceipt, kept: Vec<KeptIn>| {
        let mut record = base;
        record.receipt.system = name;
        record.absorb(ErasureRecord { receipt, kept });
        before_commit(record)
    };
    let outcome = erase_in(dataset, identities, hasher, register, today, record_first).await;
    let mut record = earlier.unwrap_or_default();
    record.receipt.system = dataset.name.clone();
    match outcome {
        Ok((written, remaining)) => {
            record.absorb(written);
            let receipt = serde_json::to_value(&record).unwrap_or(serde_json::Value::Null);
            if remaining.is_empty() {
                StepOutcome::Done(receipt)
            } else {
                StepOutcome::Failed {
                    reason: remaining_reason(&remaining),
                    receipt,
                }
            }
        }
        Err(error) => {
            tracing::warn!(dataset = %dataset.name, error = %error, "an erasure in a connected database failed");
            StepOutcome::Failed {
                reason: error.to_string(),
                receipt: serde_json::to_value(&record).unwrap_or(serde_json::Value::Null),
            }
        }
    }
}

async fn erase_in<F, Fut>(
    dataset: &Dataset,
    identities: &[Identity],
    hasher: &KeyedHasher,
    register: &Register,
    today: jiff::civil::Date,
    before_commit: F,
) -> Result<(ErasureRecord, Remaining), ConnectError>
where
    F: FnOnce(ErasureReceipt, Vec<KeptIn>) -> Fut,
    Fut: std::future::Future<Output = Result<(), String>>,
{
    let url = read_url(&dataset.connection)?;
    let mut database = Database::connect_writable(dataset.kind, &url, dataset.tls.as_ref()).await?;
    let outcome = async {
        let plan = erase::plan(&mut database, dataset, identities, Some(register), today).await?;
        let kept = kept_in(&plan);
        let held = kept.clone();
        let receipt = erase::execute_recorded(
            &mut database,
            dataset,
            identities,
            hasher,
            Some(register),
            today,
            |r| before_commit(r, held),
        )
        .await?;
        let remaining = erase::verify(
            &mut database,
            dataset,
            identities,
            &receipt,
            Some(register),
            today,
        )
        .await?;
        Ok((ErasureRecord { receipt, kept }, remaining))
    }
    .await;
    database.close().await;
    outcome
}

/// The fields a hold keeps, from the strategies' side and from the free text's, each once.
fn kept_in(plan: &ErasurePlan) -> Vec<KeptIn> {
    let strategies = plan
        .collections
        .iter()
        .flat_map(|c| c.held.iter().map(move |h| (&c.collection, h)));
    let mentions = plan
        .redactions
        .iter()
        .flat_map(|c| c.held.iter().map(move |h| (&c.collection, h)));
    let mut kept: Vec<KeptIn> = Vec::new();
    for (collection, h) in strategies.chain(mentions) {
        let field = KeptIn {
            collection: collection.clone(),
            field: h.field.clone(),
            category: h.category.as_str().to_owned(),
            hold: h.hold.as_str().to_owned(),
        };
        if !kept.contains(&field) {
            kept.push(field);
        }
    }
    kept
}

/// The erasure plan of one system: connect read-only, plan, close.
async fn plan_system(
    dataset: &Dataset,
    identities: &[Identity],
    register: &Register,
    today: jiff::civil::Date,
) -> Result<ErasurePlan, ConnectError> {
    let url = read_url(&dataset.connection)?;
    let mut database = Database::connect(dataset.kind, &url, dataset.tls.as_ref()).await?;
    let plan = erase::plan(&mut database, dataset, identities, Some(register), today).await;
    database.close().await;
    plan
}

/// One system's part of an erasure plan: the plan, or why it could not be made.
#[derive(Debug, Clone, Serialize)]
pub struct SystemPlan {
    /// The system (the dataset's name).
    pub system: String,
    /// The plan, when the database could be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plan: Option<ErasurePlan>,
    /// Why the database could not be read (no value, no connection string).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failed: Option<String>,
}

/// The stored erasure records of `outcomes` that are `done`, by system.
fn done_records(outcomes: &[SystemOutcomeView]) -> Vec<ErasureRecord> {
    outcomes
        .iter()
        .filter(|o| o.action == SystemAction::Erasure.as_str() && o.state == "done")
        .filter_map(|o| serde_json::from_value(o.receipt.clone()).ok())
        .collect()
}

impl App {
    /// The erasure plan (dry run) of the verified erasure request `id` in every connected
    /// database: which rows, fields and strategies, what is shared and what a legal hold
    /// keeps. Nothing is written or recorded. Refused when `id` is not a verified erasure
    /// request.
    pub async fn erasure_plan(
        &self,
        actor: &Actor,
        id: &str,
        now: Timestamp,
    ) -> Result<Vec<SystemPlan>, VaultError> {
        let vault = self.vault();
        let view = vault.request(actor, id, now).await?;
        if view.request_type != RequestType::Erasure
            || !view.state.identity_checked()
            || view.state.is_closed()
        {
            return Err(VaultError::RequestState {
                what: format!(
                    "request {id} is a {} request, {}",
                    view.request_type, view.state
                ),
                help: "an erasure plan exists for a verified, open erasure request".into(),
            });
        }
        let identities = vault.verified_identities(actor, id, now).await?;
        let today = skydd_register::zone::stockholm_date(now);
        let mut plans = Vec::new();
        for loaded in self.datasets().all() {
            let dataset = &loaded.dataset;
            let (plan, failed) =
                match plan_system(dataset, &identities, &self.register.register, today).await {
                    Ok(plan) => (Some(plan), None),
                    Err(error) => (None, Some(error.to_string())),
                };
            plans.push(SystemPlan {
                system: dataset.name.clone(),
                plan,
                failed,
            });
        }
        Ok(plans)
    }

    /// Run the erasure step of request `id` in every connected system not done yet (see
    /// [`App::run_connected_step`]) and return what the done ones erased, for the letter.
    pub(crate) async fn erase_connected(
        &self,
        actor: &Actor,
        id: &str,
        now: Timestamp,
    ) -> Result<Vec<SystemErasure>, VaultError> {
        let vault = self.vault();
        let identities = vault.verified_identities(actor, id, now).await?;
        let hasher = KeyedHasher::new(*self.keyring().erasure_hash_key());
        let recorded = vault.system_outcomes(actor, id).await?;
        let register = &self.register.register;
        let today = skydd_register::zone::stockholm_date(now);
        let (identities, hasher, recorded, vault) = (&identities, &hasher, &recorded, &vault);
        let outcomes = self
            .run_connected_step(actor, id, SystemAction::Erasure, now, |loaded| async move {
                // What an earlier run wrote: a failed verification's receipt, or the keys a
                // run killed after its commit recorded as `pending` just before it.
                let earlier = recorded
                    .iter()
                    .find(|o| {
                        o.system == loaded.dataset.name
                            && o.action == SystemAction::Erasure.as_str()
                    })
                    .and_then(|o| serde_json::from_value(o.receipt.clone()).ok());
                let system = loaded.dataset.name.clone();
                let record_pending = |record: ErasureRecord| async move {
                    let pending = SystemOutcome {
                        system,
                        action: SystemAction::Erasure,
                        state: SystemState::Pending,
                        receipt: serde_json::to_value(&record).map_err(|e| e.to_string())?,
                    };
                    vault
                        .record_system_outcome(actor, id, pending, now)
                        .await
                        .map_err(|_| "the receipt could not be stored in Skydd".to_owned())
                };
                erase_system(
                    &loaded.dataset,
                    identities,
                    hasher,
                    register,
                    today,
                    earlier,
                    record_pending,
                )
                .await
            })
            .await?;
        let records = done_records(&outcomes);
        Ok(self
            .datasets()
            .all()
            .iter()
            .filter_map(|d| records.iter().find(|r| r.receipt.system == d.dataset.name))
            .map(ErasureRecord::letter)
            .collect())
    }
}

/// What [`App::replay_erasures`] did (or, in a dry run, would do) to one database: per
/// collection the rows written, found already erased, and no longer there. Counts only.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ReplaySummary {
    /// The system (the dataset's name).
    pub system: String,
    /// The erasure requests whose receipts were replayed.
    pub requests: usize,
    /// Whether nothing was written (a dry run).
    pub dry_run: bool,
    /// Per collection, in the order written.
    pub collections: Vec<ReplayedCollection>,
    /// Per collection whose free text the receipts redacted: what was redacted again.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub redacted: Vec<ReplayedRedaction>,
}

/// Free text a replay redacted again in one collection. Counts only.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ReplayedRedaction {
    /// The collection's name.
    pub collection: String,
    /// Rows rewritten (0 when the restored rows no longer mention the subject).
    pub rows: u64,
    /// Passages replaced by their kind.
    pub passages: u64,
    /// Rows no longer in the database.
    pub missing: u64,
}

/// One collection in a [`ReplaySummary`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ReplayedCollection {
    /// The collection's name.
    pub collection: String,
    /// Rows deleted.
    pub deleted: u64,
    /// Rows in which a field was written.
    pub updated: u64,
    /// Rows already in their erased form.
    pub unchanged: u64,
    /// Rows no longer in the database.
    pub missing: u64,
}

/// Why [`App::replay_erasures`] did nothing.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// No dataset of that name is given.
    #[error("no dataset is named `{0}`; give its file with --dataset")]
    UnknownDatabase(String),
    /// The vault could not list the requests or open their receipts.
    #[error(transparent)]
    Vault(#[from] VaultError),
    /// The database could not be reached or written (nothing was written).
    #[error("{0}")]
    Database(#[from] ConnectError),
}

impl App {
    /// Re-apply to the database of the dataset `name`, restored from a backup, every erasure
    /// recorded as done there since `since` (the receipts' primary keys, with the same keyed
    /// hash): in ONE transaction, idempotent (rows already erased are left alone), counts
    /// returned, audited as `erasures.replay` (names and counts). With `dry_run` nothing is
    /// written and nothing audited.
    pub async fn replay_erasures(
        &self,
        actor: &Actor,
        name: &str,
        since: Timestamp,
        dry_run: bool,
        now: Timestamp,
    ) -> Result<ReplaySummary, ReplayError> {
        let loaded = self
            .datasets()
            .all()
            .iter()
            .find(|d| d.dataset.name == name)
            .ok_or_else(|| ReplayError::UnknownDatabase(name.to_owned()))?;
        let dataset = &loaded.dataset;
        let vault = self.vault();
        let requests = vault
            .list_requests(actor, skydd_vault::RequestQuery::default(), now)
            .await?;
        let mut receipts = Vec::new();
        for request in requests
            .iter()
            .filter(|r| r.request_type == RequestType::Erasure)
        {
            for outcome in vault.system_outcomes(actor, &request.id).await? {
                if outcome.system == name
                    && outcome.action == SystemAction::Erasure.as_str()
                    && outcome.state == "done"
                    && outcome.updated_at >= since
                    && let Ok(record) = serde_json::from_value::<ErasureRecord>(outcome.receipt)
                {
                    receipts.push(record.receipt);
                }
            }
        }
        let hasher = KeyedHasher::new(*self.keyring().erasure_hash_key());
        let url = read_url(&dataset.connection)?;
        let mut database =
            Database::connect_writable(dataset.kind, &url, dataset.tls.as_ref()).await?;
        let replayed = erase::replay_all(&mut database, dataset, &receipts, &hasher, dry_run).await;
        database.close().await;
        let replayed = replayed?;
        let summary = ReplaySummary {
            system: name.to_owned(),
            requests: receipts.len(),
            dry_run,
            collections: replayed
                .collections
                .into_iter()
                .map(|a| ReplayedCollection {
                    collection: a.collection,
                    deleted: a.deleted,
                    updated: a.updated,
                    unchanged: a.unchanged,
                    missing: a.missing,
                })
                .collect(),
            redacted: replayed
                .redacted
                .into_iter()
                .map(|r| ReplayedRedaction {
                    collection: r.collection,
                    rows: r.rows,
                    passages: r.passages,
                    missing: r.missing,
                })
                .collect(),
        };
        if !dry_run {
            let detail = serde_json::to_string(&summary).unwrap_or_default();
            self.audit()
                .record(skydd_vault::AuditEvent {
                    at: now,
                    actor: actor.id.clone(),
                    ip: actor.ip.clone(),
                    action: "erasures.replay",
                    purpose: None,
                    subject_id: None,
                    categories: Vec::new(),
                    outcome: "done".into(),
                    detail: Some(detail),
                })
                .await
                .map_err(VaultError::from)?;
        }
        Ok(summary)
    }
}
