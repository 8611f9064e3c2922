//! Retention sweeps: find the records whose retention has expired and delete or anonymise them,
//! in bounded batches, each batch one transaction together with its proof in the audit trail.
//!
//! A batch is resumable by construction: records are read by id, page after page; deleting a
//! page's expired records, anonymising, shredding subjects left without records, and appending
//! the audit events happen in one transaction ([`skydd_storage::Storage::delete_records`]). A
//! sweep killed at any moment leaves whole batches done and the rest untouched; the next sweep
//! finds what is left.
//!
//! **Crypto-shredding.** Records are sealed with their subject's data key, which is stored only
//! wrapped by the master key. When a subject's last record goes, its wrapped key and identities
//! go in the same transaction: every copy of its ciphertext, in backups too, becomes unreadable
//! once the backups that still hold the wrapped key have expired. What this does not do is
//! described in SECURITY.md.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use jiff::Timestamp;
use skydd_decide::RecordFacts;
use skydd_register::model::{PurposeId, RetentionAction};
use skydd_retention::{LineState, Plan, Proof, Status};
use skydd_storage::{AnonymisedRecordRow, AuditEventRow, RecordDeletion, RecordSummary};

use crate::crypto::record_aad;
use crate::{Actor, Vault, VaultError};

/// How far a sweep has got, for a progress display.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SweepProgress {
    /// Records looked at.
    pub scanned: u64,
    /// Records deleted or anonymised.
    pub removed: u64,
}

/// What a sweep found and did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SweepSummary {
    /// Every record looked at, by state, rule and category (expired ones as planned).
    pub plan: Plan,
    /// Records deleted.
    pub deleted: u64,
    /// Records anonymised.
    pub anonymised: u64,
    /// Subjects crypto-shredded because no record of theirs was left.
    pub shredded: u64,
    /// Batches (transactions) committed.
    pub batches: u64,
}

/// The default number of records per sweep batch.
pub const DEFAULT_SWEEP_BATCH: usize = 1000;

impl Vault {
    /// The retention plan at `now`: every record counted by state, rule and category. Changes
    /// nothing and writes no audit event.
    pub async fn retention_plan(&self, now: Timestamp) -> Result<Plan, VaultError> {
        let mut plan = Plan::default();
        let mut after: Option<String> = None;
        loop {
            let page = self
                .storage
                .records_page(after.as_deref(), DEFAULT_SWEEP_BATCH)
                .await?;
            for record in &page {
                let status = self.status_of(record, now);
                plan.add(&record.category, &record.purpose, &status);
            }
            match page.last() {
                Some(last) if page.len() == DEFAULT_SWEEP_BATCH => after = Some(last.id.clone()),
                _ => return Ok(plan),
            }
        }
    }

    /// Sweep at `now`: delete or anonymise every expired record, `batch` records read per
    /// transaction, calling `progress` after each batch. Returns `None` without doing anything
    /// when another sweeper holds the sweep lock.
    pub async fn retention_sweep(
        &self,
        actor: &Actor,
        now: Timestamp,
        batch: usize,
        progress: &mut (dyn FnMut(SweepProgress) + Send),
    ) -> Result<Option<SweepSummary>, VaultError> {
        let batch = batch.max(1);
        let Some(lock) = self.storage.try_sweep_lock().await? else {
            return Ok(None);
        };
        let swept = self.sweep_locked(actor, now, batch, progress).await;
        self.storage.release_sweep_lock(lock).await?;
        swept.map(Some)
    }

    /// [`Vault::retention_sweep`] by a caller that already holds the sweep lock `held`
    /// ([`skydd_storage::Storage::try_sweep_lock`]), so that one lock spans this sweep and
    /// what the caller sweeps after it (the connected databases, issue 16).
    pub async fn retention_sweep_holding(
        &self,
        // `&mut` only so that the future stays `Send`: a lock is `Send` but not `Sync`.
        held: &mut skydd_storage::SweepLock,
        actor: &Actor,
        now: Timestamp,
        batch: usize,
        progress: &mut (dyn FnMut(SweepProgress) + Send),
    ) -> Result<SweepSummary, VaultError> {
        let _ = held;
        self.sweep_locked(actor, now, batch.max(1), progress).await
    }

    /// The sweep, under the sweep lock.
    async fn sweep_locked(
        &self,
        actor: &Actor,
        now: Timestamp,
        batch: usize,
        progress: &mut (dyn FnMut(SweepProgress) + Send),
    ) -> Result<SweepSummary, VaultError> {
        let mut summary = SweepSummary::default();
        let mut seen = SweepProgress::default();
        let mut after: Option<String> = None;
        loop {
            let page = self.storage.records_page(after.as_deref(), batch).await?;
            let full = page.len() == batch;
            after = page.last().map(|r| r.id.clone());
            seen.scanned += page.len() as u64;
            let deletion = self
                .deletion_for(actor, now, page, &mut summary.plan)
                .await?;
            if !deletion.delete.is_empty() || !deletion.anonymise.is_empty() {
                let anonymise = deletion.anonymise.len() as u64;
                let outcome = self.storage.delete_records(deletion).await?;
                for subject in &outcome.shredded {
                    self.facts_changed(subject);
                }
                // Records gone meanwhile are not counted (another sweep or an erasure).
                let anonymised = anonymise.min(outcome.records);
                summary.anonymised += anonymised;
                summary.deleted += outcome.records - anonymised;
                summary.shredded += outcome.shredded.len() as u64;
                summary.batches += 1;
                seen.removed += outcome.records;
            }
            progress(seen);
            if !full {
                return Ok(summary);
            }
        }
    }

    /// The retention status of a stored record at `now`.
    fn status_of(&self, record: &RecordSummary, now: Timestamp) -> Status<'_> {
        let facts = record_facts(record);
        self.enforced
            .policy
            .retention_status(&record.purpose, &facts, now)
    }

    /// What to remove of one page of records, with its proof, counting every record in `plan`.
    async fn deletion_for(
        &self,
        actor: &Actor,
        now: Timestamp,
        page: Vec<RecordSummary>,
        plan: &mut Plan,
    ) -> Result<RecordDeletion, VaultError> {
        let mut deletion = RecordDeletion::default();
        // Per rule: action, categories, records, subjects.
        let mut proofs: BTreeMap<
            String,
            (RetentionAction, BTreeSet<String>, u64, BTreeSet<String>),
        > = BTreeMap::new();
        let mut to_anonymise = Vec::new();
        for record in page {
            let status = self.status_of(&record, now);
            plan.add(&record.category, &record.purpose, &status);
            let Status::Expired { rule, action, .. } = status else {
                continue;
            };
            let proof = proofs
                .entry(rule.to_owned())
                .or_insert_with(|| (action, BTreeSet::new(), 0, BTreeSet::new()));
            proof.1.insert(record.category.clone());
            proof.2 += 1;
            proof.3.insert(record.subject_id.clone());
            match action {
                RetentionAction::Delete => deletion.delete.push(record.id),
                RetentionAction::Anonymise => to_anonymise.push(record),
                // A rule kept by criteria is never `Expired` (it is `DueForReview`).
                RetentionAction::Review => {}
            }
        }
        deletion.anonymise = self.anonymised(to_anonymise, now).await?;
        for (rule, (action, categories, count, subjects)) in proofs {
            let state = skydd_retention::state_of(action);
            let proof = Proof {
                rule,
                action: state.word(),
                count,
                subjects: subjects.into_iter().collect(),
            };
            deletion.audit.push(AuditEventRow {
                seq: 0,
                at: now,
                actor: actor.id.clone(),
                ip: actor.ip.clone(),
                action: if state == LineState::Anonymise {
                    "retention.anonymise".into()
                } else {
                    "retention.delete".into()
                },
                purpose: None,
                subject_id: None,
                categories: categories.into_iter().collect(),
                outcome: "done".into(),
                detail: Some(proof.detail()),
            });
        }
        let (actor_id, ip) = (actor.id.clone(), actor.ip.clone());
        deletion.shred_audit = Some(Box::new(move |subjects: &[String]| AuditEventRow {
            seq: 0,
            at: now,
            actor: actor_id,
            ip,
            action: "retention.shred".into(),
            purpose: None,
            subject_id: None,
            categories: Vec::new(),
            outcome: "done".into(),
            detail: Some(
                serde_json::json!({"count": subjects.len(), "subjects": subjects}).to_string(),
            ),
        }));
        Ok(deletion)
    }

    /// The anonymised remains of `records`: their statistical fields only. Records whose
    /// category keeps no field are not decrypted; the others are read and decrypted here,
    /// one read for all of them. A record gone meanwhile leaves no remains.
    async fn anonymised(
        &self,
        records: Vec<RecordSummary>,
        now: Timestamp,
    ) -> Result<Vec<AnonymisedRecordRow>, VaultError> {
        let to_decrypt: Vec<String> = records
            .iter()
            .filter(|record| {
                !skydd_retention::statistical_fields(self.register(), &record.category).is_empty()
            })
            .map(|record| record.id.clone())
            .collect();
        let mut ciphertexts: HashMap<String, Vec<u8>> = if to_decrypt.is_empty() {
            HashMap::new()
        } else {
            self.storage
                .record_ciphertexts(&to_decrypt)
                .await?
                .into_iter()
                .collect()
        };
        let mut keys: HashMap<String, skydd_crypto::DataKey> = HashMap::new();
        let mut remains = Vec::with_capacity(records.len());
        for record in records {
            let statistical =
                skydd_retention::statistical_fields(self.register(), &record.category);
            let fields = if statistical.is_empty() {
                serde_json::Map::new()
            } else {
                let Some(ciphertext) = ciphertexts.remove(&record.id) else {
                    continue;
                };
                if !keys.contains_key(&record.subject_id) {
                    let key = self.data_key(&record.subject_id).await?;
                    keys.insert(record.subject_id.clone(), key);
                }
                let key = keys
                    .get(&record.subject_id)
                    .ok_or_else(|| VaultError::Corrupt("a subject's data key".into()))?;
                let plaintext = key.open(
                    &ciphertext,
                    &record_aad(&record.subject_id, &record.id, &record.category),
                )?;
                let fields: serde_json::Map<String, serde_json::Value> =
                    serde_json::from_slice(&plaintext)
                        .map_err(|_| VaultError::Corrupt("a record's fields".into()))?;
                let today = now.to_zoned(skydd_register::zone::stockholm()).date();
                skydd_retention::anonymise(
                    self.register(),
                    &record.category,
                    &fields,
                    &statistical,
                    today,
                )
            };
            remains.push(AnonymisedRecordRow {
                record_id: record.id,
                category: record.category,
                purpose: record.purpose,
                collected_month: skydd_retention::collected_month(record.collected_at),
                fields: serde_json::Value::Object(fields).to_string(),
                anonymised_at: now,
            });
        }
        Ok(remains)
    }
}

/// The decision facts of a stored record.
fn record_facts(record: &RecordSummary) -> RecordFacts {
    let mut facts = RecordFacts::new(&record.category, record.collected_at);
    facts.anchors = record.anchors.iter().cloned().collect();
    facts.purpose_of_collection = Some(PurposeId(record.purpose.clone()));
    facts
}
