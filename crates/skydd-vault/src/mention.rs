//! People named in free text (issue 21): a support ticket filed under one customer may give
//! another person's e-mail address, phone number or personnummer. When a record is written its
//! `free_text` fields are scanned (`skydd-pii`), and each identity found is stored as the blind
//! index that identity has in `identities`, never as text. An access request then finds the
//! records that mention the person, whoever they are filed under, and shows the person those
//! passages with everyone else's data masked; an erasure redacts the person from them.

use std::collections::BTreeSet;

use jiff::Timestamp;
use skydd_crypto::DataKey;
use skydd_pii::{Context, Finding, Kind, Style};
use skydd_register::model::{CategoryId, FieldFormat};
use skydd_storage::{IdentityRow, MentionRow, RecordRewrite, RecordRow, RevisionRewrite};

use crate::crypto::{record_aad, revision_aad};
use crate::{Actor, Vault, VaultError};

/// A record's values (or a revision's previous values) by field id.
type Fields = serde_json::Map<String, serde_json::Value>;

/// The vault's identity kind for a finding of `kind`, when findings of that kind identify a
/// person the way an identity does (cards, IBANs and IP addresses are not identities here).
fn identity_kind(kind: Kind) -> Option<&'static str> {
    match kind {
        Kind::Email => Some("email"),
        Kind::Phone => Some("phone"),
        Kind::Personnummer | Kind::Samordningsnummer => Some("personnummer"),
        _ => None,
    }
}

/// A passage of someone else's record that mentions the subject of an access package: the
/// field's text with every other personal datum found in it masked (Art. 15(4): the copy must
/// not adversely affect the rights of others).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PackageMention {
    /// The record (not the subject's own: filed under someone else).
    pub record_id: String,
    /// Its category.
    pub category: String,
    /// When it was collected.
    pub collected_at: Timestamp,
    /// The free-text field.
    pub field: String,
    /// The field's text: the subject's own identities as written, everything else found masked.
    pub text: String,
    /// The kinds of the subject's identities found in it.
    pub found: Vec<String>,
}

/// What an erasure redacted from records filed under other subjects: counts only.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Redacted {
    /// Records rewritten.
    pub(crate) records: usize,
    /// Passages replaced.
    pub(crate) passages: usize,
}

impl Vault {
    /// The day a 10-digit personnummer's century is read against: `now` in the controller's
    /// zone.
    fn scan_context(now: Timestamp) -> Context {
        Context::new(skydd_register::zone::stockholm_date(now))
    }

    /// The ids of `category`'s free-text fields.
    fn free_text_fields(&self, category: &str) -> Vec<String> {
        self.register()
            .category(&CategoryId(category.to_owned()))
            .map(|c| {
                c.fields
                    .iter()
                    .filter(|f| f.format == FieldFormat::FreeText)
                    .map(|f| f.id.as_str().to_owned())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The identities the free-text fields of a record of `category` with `fields` mention, as
    /// blind indexes, each once: what is stored with the record.
    pub(crate) fn mentions_in(
        &self,
        category: &str,
        fields: &serde_json::Map<String, serde_json::Value>,
        now: Timestamp,
    ) -> Vec<MentionRow> {
        let context = Self::scan_context(now);
        let index = self.keyring.blind_index_key();
        let mut found = BTreeSet::new();
        for field in self.free_text_fields(category) {
            let Some(text) = fields.get(&field).and_then(|v| v.as_str()) else {
                continue;
            };
            for finding in skydd_pii::scan(text, &context) {
                if let Some(kind) = identity_kind(finding.kind) {
                    found.insert(MentionRow {
                        kind: kind.to_owned(),
                        blind_index: index.blind_index(kind, finding.normal.as_str()).to_vec(),
                    });
                }
            }
        }
        found.into_iter().collect()
    }

    /// Whether `finding` is one of `identities` (compared by blind index).
    fn is_theirs(&self, finding: &Finding, identities: &[IdentityRow]) -> bool {
        let Some(kind) = identity_kind(finding.kind) else {
            return false;
        };
        let blind = self
            .keyring
            .blind_index_key()
            .blind_index(kind, finding.normal.as_str());
        identities
            .iter()
            .any(|i| i.kind == kind && i.blind_index == blind)
    }

    /// The records filed under other subjects whose free text mentions `subject`'s identities,
    /// with `subject`'s identities (as stored).
    async fn records_mentioning_subject(
        &self,
        subject: &str,
    ) -> Result<(Vec<RecordRow>, Vec<IdentityRow>), VaultError> {
        let identities = self.storage.identities_of_subject(subject).await?;
        let mentions: Vec<MentionRow> = identities
            .iter()
            .map(|i| MentionRow {
                kind: i.kind.clone(),
                blind_index: i.blind_index.clone(),
            })
            .collect();
        let records = self
            .storage
            .records_mentioning(&mentions)
            .await?
            .into_iter()
            .filter(|r| r.subject_id != subject)
            .collect();
        Ok((records, identities))
    }

    /// A record's decrypted fields.
    async fn open_fields(
        &self,
        record: &RecordRow,
    ) -> Result<serde_json::Map<String, serde_json::Value>, VaultError> {
        let key = self.data_key(&record.subject_id).await?;
        let plain = key.open(
            &record.ciphertext,
            &record_aad(&record.subject_id, &record.id, &record.category),
        )?;
        serde_json::from_slice(&plain).map_err(|_| VaultError::Corrupt("a record's fields".into()))
    }

    /// The passages of other subjects' records that mention `subject`, for its access package:
    /// each free-text field where one of its identities is found, everything else found there
    /// masked.
    pub(crate) async fn package_mentions(
        &self,
        subject: &str,
        now: Timestamp,
    ) -> Result<Vec<PackageMention>, VaultError> {
        let (records, identities) = self.records_mentioning_subject(subject).await?;
        let context = Self::scan_context(now);
        let mut out = Vec::new();
        for record in records {
            let fields = self.open_fields(&record).await?;
            for field in self.free_text_fields(&record.category) {
                let Some(text) = fields.get(&field).and_then(|v| v.as_str()) else {
                    continue;
                };
                let findings = skydd_pii::scan(text, &context);
                let (theirs, others): (Vec<Finding>, Vec<Finding>) = findings
                    .into_iter()
                    .partition(|f| self.is_theirs(f, &identities));
                if theirs.is_empty() {
                    continue;
                }
                let mut found: Vec<String> =
                    theirs.iter().map(|f| f.kind.as_str().to_owned()).collect();
                found.sort();
                found.dedup();
                out.push(PackageMention {
                    record_id: record.id.clone(),
                    category: record.category.clone(),
                    collected_at: record.collected_at,
                    field,
                    text: skydd_pii::redact(text, &others, Style::Mask),
                    found,
                });
            }
        }
        Ok(out)
    }

    /// The revisions `record` keeps (what rectifications replaced), opened under `key`: each
    /// revision's `seq` and its previous values by field id, oldest first.
    async fn revisions_of(
        &self,
        record: &RecordRow,
        key: &DataKey,
    ) -> Result<Vec<(i64, Fields)>, VaultError> {
        let aad = revision_aad(&record.subject_id, &record.id, &record.category);
        let mut out = Vec::new();
        for revision in self.storage.record_revisions(&record.subject_id).await? {
            if revision.record_id != record.id {
                continue;
            }
            let plain = key.open(&revision.ciphertext, &aad)?;
            let values = serde_json::from_slice(&plain)
                .map_err(|_| VaultError::Corrupt("a record's revision".into()))?;
            out.push((revision.seq, values));
        }
        Ok(out)
    }

    /// The mention rows `record` must have: the identities the free text mentions in its
    /// values `fields`, in every revision it keeps, and in `pending` (a revision about to be
    /// kept), each once. The history still holds that text, so the person it names must still
    /// find it, and an erasure redact it.
    pub(crate) async fn mentions_with_history(
        &self,
        record: &RecordRow,
        key: &DataKey,
        fields: &Fields,
        pending: Option<&Fields>,
        now: Timestamp,
    ) -> Result<Vec<MentionRow>, VaultError> {
        let history: Vec<Fields> = self
            .revisions_of(record, key)
            .await?
            .into_iter()
            .map(|(_, values)| values)
            .collect();
        let texts = std::iter::once(fields).chain(history.iter()).chain(pending);
        Ok(self.mentions_in_all(&record.category, texts, now))
    }

    /// [`Vault::mentions_in`] over several sets of values of one record (its values and its
    /// revisions'), each identity once.
    fn mentions_in_all<'f>(
        &self,
        category: &str,
        texts: impl Iterator<Item = &'f Fields>,
        now: Timestamp,
    ) -> Vec<MentionRow> {
        let all: BTreeSet<MentionRow> = texts
            .flat_map(|values| self.mentions_in(category, values, now))
            .collect();
        all.into_iter().collect()
    }

    /// Replace, in the free-text fields of a record of `category` among `values`, each passage
    /// that is one of `identities` by its kind (`[email]`): the names of the fields changed and
    /// how many passages were replaced.
    fn redact_theirs(
        &self,
        category: &str,
        values: &mut Fields,
        identities: &[IdentityRow],
        context: &Context,
    ) -> (Vec<String>, usize) {
        let mut changed = Vec::new();
        let mut passages = 0;
        for field in self.free_text_fields(category) {
            let Some(text) = values.get(&field).and_then(|v| v.as_str()) else {
                continue;
            };
            let theirs: Vec<Finding> = skydd_pii::scan(text, context)
                .into_iter()
                .filter(|f| self.is_theirs(f, identities))
                .collect();
            if theirs.is_empty() {
                continue;
            }
            passages += theirs.len();
            let text = skydd_pii::redact(text, &theirs, Style::Label);
            values.insert(field.clone(), serde_json::Value::String(text));
            changed.push(field);
        }
        (changed, passages)
    }

    /// Erasure of `subject` in records filed under other subjects: each passage where one of its
    /// identities is found is replaced by its kind (`[email]`), in the record's values and in
    /// every revision it keeps (what a rectification replaced still held the old text), the
    /// record rewritten with its mentions recomputed and no new revision kept, and audited per
    /// record by field names.
    pub(crate) async fn redact_mentions(
        &self,
        actor: &Actor,
        subject: &str,
        now: Timestamp,
    ) -> Result<Redacted, VaultError> {
        let (records, identities) = self.records_mentioning_subject(subject).await?;
        let context = Self::scan_context(now);
        let mut redacted = Redacted::default();
        for record in records {
            let key = self.data_key(&record.subject_id).await?;
            let mut fields = self.open_fields(&record).await?;
            let (changed, mut passages) =
                self.redact_theirs(&record.category, &mut fields, &identities, &context);
            let aad = revision_aad(&record.subject_id, &record.id, &record.category);
            let mut history = Vec::new();
            let mut rewrites = Vec::new();
            for (seq, mut values) in self.revisions_of(&record, &key).await? {
                let (touched, n) =
                    self.redact_theirs(&record.category, &mut values, &identities, &context);
                if !touched.is_empty() {
                    passages += n;
                    let plain = serde_json::to_vec(&values)
                        .map_err(|e| VaultError::Corrupt(e.to_string()))?;
                    rewrites.push(RevisionRewrite {
                        seq,
                        ciphertext: key.seal(&plain, &aad)?,
                    });
                }
                history.push(values);
            }
            if changed.is_empty() && rewrites.is_empty() {
                continue;
            }
            let plain =
                serde_json::to_vec(&fields).map_err(|e| VaultError::Corrupt(e.to_string()))?;
            let mentions = self.mentions_in_all(
                &record.category,
                std::iter::once(&fields).chain(&history),
                now,
            );
            let detail = format!(
                "record:{} fields:{} revisions:{}",
                record.id,
                changed.join(","),
                rewrites.len()
            );
            let rewrite = RecordRewrite {
                record_id: record.id.clone(),
                ciphertext: key.seal(
                    &plain,
                    &record_aad(&record.subject_id, &record.id, &record.category),
                )?,
                revision: None,
                mentions,
                revisions: rewrites,
            };
            if self.storage.rewrite_record(rewrite).await? {
                redacted.records += 1;
                redacted.passages += passages;
                self.audit(
                    actor,
                    now,
                    "record.redact",
                    Some(&record.purpose),
                    Some(subject),
                    vec![record.category.clone()],
                    &detail,
                )
                .await?;
            }
        }
        Ok(redacted)
    }
}
