//! The rows of the vault and the ledgers, as plain values: strings, bytes, timestamps, flags.
//!
//! Storage knows nothing of the domain. Personal values arrive here only as ciphertext
//! (encrypted by the vault with the subject's data key) and as keyed blind indexes of
//! [`BLIND_INDEX_LEN`] bytes; everything else in these rows (ids, kinds, purposes, categories,
//! event names) is vocabulary from the register or opaque identifiers, never personal data.
//!
//! The ledgers (consent, objection, preference, feature switch, audit) are append-only: storage
//! assigns each appended row its `seq`, never given out twice and increasing in the order rows
//! are appended, and nothing ever updates a row (the database refuses `UPDATE` on them). Reads
//! return rows in `seq` order. On PostgreSQL a seq is given out before its transaction commits,
//! so under concurrent appends a row can become visible just after one with a higher seq: code
//! that follows a ledger by "everything after seq N" must allow for that.
//!
//! This module also holds the checks and row folding that both backends share.

use jiff::Timestamp;

use crate::StorageError;

/// The length of a blind index (an HMAC-SHA-256 of a normalised identity), in bytes.
pub const BLIND_INDEX_LEN: usize = 32;

/// The consent scope kind of consents given by one subject
/// (see [`crate::Storage::consent_events_for_subject`]).
pub const SUBJECT_SCOPE: &str = "subject";

/// A data subject. Its identities, key and records are stored apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubjectRow {
    /// The subject's id, drawn by the vault (32 lowercase hex digits); opaque to storage.
    pub id: String,
    /// The tenant (customer) on whose behalf Skydd processes this subject's data, or `None`
    /// for the controller's own subjects. Subjects of different tenants never see each other.
    pub tenant: Option<String>,
    /// When the subject was created.
    pub created_at: Timestamp,
    /// When processing was restricted (Art. 18), if it is.
    pub restricted_at: Option<Timestamp>,
}

/// A subject's data key, wrapped by a version of the master key. One per subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubjectKeyRow {
    /// The subject the key belongs to.
    pub subject_id: String,
    /// The version of the master key that wrapped it.
    pub key_version: u32,
    /// The wrapped data key.
    pub wrapped_key: Vec<u8>,
}

/// One identity of a subject (an e-mail address, a phone number, ...), as a blind index to find
/// the subject by and a ciphertext to read it back. A blind index is unique per tenant and kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityRow {
    /// The subject it identifies.
    pub subject_id: String,
    /// What kind of identity it is ("email", "phone", ...).
    pub kind: String,
    /// The keyed blind index of the normalised value, [`BLIND_INDEX_LEN`] bytes.
    pub blind_index: Vec<u8>,
    /// The value, encrypted with the subject's data key.
    pub ciphertext: Vec<u8>,
}

/// A record of personal data: one category's field values, encrypted as one ciphertext.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordRow {
    /// The record's id, drawn by the vault (32 lowercase hex digits); opaque to storage.
    pub id: String,
    /// The subject the data is about.
    pub subject_id: String,
    /// The register's data category.
    pub category: String,
    /// The purpose it was collected for.
    pub purpose: String,
    /// Where it came from.
    pub source: String,
    /// When it was collected.
    pub collected_at: Timestamp,
    /// Anchor events that retention periods count from (`("contract_end", at)`), at most one per
    /// event name. Read back sorted by event name.
    pub anchors: Vec<(String, Timestamp)>,
    /// The field values, encrypted with the subject's data key.
    pub ciphertext: Vec<u8>,
    /// The identities its free text mentions (issue 21), by kind and blind index: written with
    /// the record in its transaction. Reads leave it empty; `RequestStore::records_mentioning`
    /// is the way to use them.
    pub mentions: Vec<MentionRow>,
    /// The other sources the record was combined from, besides `source` (P000-45: "collect
    /// personal information about you from a source with information obtained from another
    /// source"); register source ids, empty for a record from one source.
    pub combined_from: Vec<String>,
}

/// An identity a record's free text mentions: its kind (`email`, `phone`, `personnummer`) and
/// the blind index that kind has in `identities`, never the value.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct MentionRow {
    /// The identity kind.
    pub kind: String,
    /// Its blind index ([`BLIND_INDEX_LEN`] bytes).
    pub blind_index: Vec<u8>,
}

/// A stored record without its field values: what a retention sweep decides on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordSummary {
    /// The record's id ([`RecordRow::id`]).
    pub id: String,
    /// The subject the data is about.
    pub subject_id: String,
    /// The register's data category.
    pub category: String,
    /// The purpose it was collected for.
    pub purpose: String,
    /// Where it came from.
    pub source: String,
    /// When it was collected.
    pub collected_at: Timestamp,
    /// Anchor events, sorted by event name.
    pub anchors: Vec<(String, Timestamp)>,
}

impl From<RecordRow> for RecordSummary {
    fn from(record: RecordRow) -> RecordSummary {
        RecordSummary {
            id: record.id,
            subject_id: record.subject_id,
            category: record.category,
            purpose: record.purpose,
            source: record.source,
            collected_at: record.collected_at,
            anchors: record.anchors,
        }
    }
}

/// A consent given or withdrawn. Append-only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentEventRow {
    /// Position in the ledger, assigned by storage (ignored when appending).
    pub seq: i64,
    /// What the consent is about: "subject", "organisation" or "project".
    pub scope_kind: String,
    /// The id of the subject, organisation or project.
    pub scope_id: String,
    /// The purpose consented to.
    pub purpose: String,
    /// Given (`true`) or withdrawn (`false`).
    pub granted: bool,
    /// How it was given ("web_form", "banner", "email", "api", "import").
    pub method: String,
    /// The version of the notice shown.
    pub notice_version: String,
    /// When it was given or withdrawn.
    pub at: Timestamp,
    /// The hash of the text shown, if known.
    pub text_hash: Option<String>,
    /// The context (IP address, user agent), encrypted by the vault.
    pub context_ciphertext: Option<Vec<u8>>,
}

/// An objection (Art. 21) made or lifted. Append-only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectionEventRow {
    /// Position in the ledger, assigned by storage (ignored when appending).
    pub seq: i64,
    /// The subject objecting.
    pub subject_id: String,
    /// The purpose objected to, or `None` for an objection to all objectionable processing.
    pub purpose: Option<String>,
    /// Objected (`true`) or objection lifted (`false`).
    pub objected: bool,
    /// Where the objection came from ("api", "gpc", "dnt", ...).
    pub source: String,
    /// When it was made or lifted.
    pub at: Timestamp,
}

/// A marketing preference set. Append-only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreferenceEventRow {
    /// Position in the ledger, assigned by storage (ignored when appending).
    pub seq: i64,
    /// The id of the subject whose preference it is.
    pub subject_id: String,
    /// "channel" or "interest".
    pub kind: String,
    /// The channel or interest area ("email", "sms", ...).
    pub name: String,
    /// Opted in (`true`) or out (`false`).
    pub opted_in: bool,
    /// When it was set.
    pub at: Timestamp,
}

/// An opt-in feature switched on or off for an organisation or one of its projects.
/// Append-only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeatureSwitchRow {
    /// Position in the ledger, assigned by storage (ignored when appending).
    pub seq: i64,
    /// The register `features` id switched.
    pub feature: String,
    /// The organisation switched for, or the one the project belongs to.
    pub organisation: String,
    /// The project, or `None` for the whole organisation.
    pub project: Option<String>,
    /// Switched on (`true`) or off (`false`).
    pub enabled: bool,
    /// Who switched it (a token id).
    pub actor: String,
    /// When it was switched.
    pub at: Timestamp,
}

/// One write to the consent, objection and preference ledgers with the audit events recording
/// it: [`crate::Storage::append_ledger`] stores a unit whole or not at all (issue 19). A unit
/// without ledger rows is a plain audit append.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LedgerUnit {
    /// Consent events to append (their `seq` is ignored).
    pub consents: Vec<ConsentEventRow>,
    /// Objection events to append (their `seq` is ignored).
    pub objections: Vec<ObjectionEventRow>,
    /// Preference events to append (their `seq` is ignored).
    pub preferences: Vec<PreferenceEventRow>,
    /// Audit events, chained after every earlier event (their `seq` is ignored).
    pub audit: Vec<AuditEventRow>,
}

impl LedgerUnit {
    /// A unit of audit events only.
    pub fn audit(events: Vec<AuditEventRow>) -> LedgerUnit {
        LedgerUnit {
            audit: events,
            ..LedgerUnit::default()
        }
    }
}

/// Something done with personal data, for the audit trail. Append-only; never holds values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEventRow {
    /// Position in the trail, assigned by storage (ignored when appending).
    pub seq: i64,
    /// When the audited action happened.
    pub at: Timestamp,
    /// Who (a token id).
    pub actor: String,
    /// The caller's IP address, if known.
    pub ip: Option<String>,
    /// What was done ("subject.create", "records.read", ...).
    pub action: String,
    /// The purpose named, if any.
    pub purpose: Option<String>,
    /// The subject concerned, if any.
    pub subject_id: Option<String>,
    /// The data categories concerned, in the order given.
    pub categories: Vec<String>,
    /// The outcome word (`done`, `allowed`, `denied:<code>` ...).
    pub outcome: String,
    /// More about it, never a personal value.
    pub detail: Option<String>,
}

/// What retention's `anonymise` keeps of a record: no subject, no record id, no identifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnonymisedRecordRow {
    /// The record it replaces (used to delete it; not stored).
    pub record_id: String,
    /// The register data category id, kept from the record.
    pub category: String,
    /// The purpose it was collected for.
    pub purpose: String,
    /// The month it was collected (`2025-03`), coarse on purpose.
    pub collected_month: String,
    /// The fields the register marks `statistical`, as a JSON object.
    pub fields: String,
    /// When it was anonymised.
    pub anonymised_at: Timestamp,
}

/// Builds the audit event that records which subjects a deletion shredded.
pub type ShredAudit = Box<dyn FnOnce(&[String]) -> AuditEventRow + Send>;

/// One batch of deletion, done in one transaction by [`crate::Storage::delete_records`].
#[derive(Default)]
pub struct RecordDeletion {
    /// Ids of records to delete.
    pub delete: Vec<String>,
    /// Records to replace by their anonymised remains.
    pub anonymise: Vec<AnonymisedRecordRow>,
    /// Audit events that prove the deletion (rule, count, subject ids).
    pub audit: Vec<AuditEventRow>,
    /// Builds the audit event for the subjects shredded, if any were.
    pub shred_audit: Option<ShredAudit>,
}

impl std::fmt::Debug for RecordDeletion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecordDeletion")
            .field("delete", &self.delete.len())
            .field("anonymise", &self.anonymise.len())
            .field("audit", &self.audit.len())
            .finish_non_exhaustive()
    }
}

/// What [`crate::Storage::delete_records`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecordDeletionOutcome {
    /// Records deleted (anonymised ones included); records already gone are not counted.
    pub records: u64,
    /// Subjects shredded because they had no record left, by id.
    pub shredded: Vec<String>,
}

/// Refuse a blind index of the wrong length (a caller's mistake: it could never match).
pub(crate) fn check_blind_index(blind_index: &[u8]) -> Result<(), StorageError> {
    if blind_index.len() == BLIND_INDEX_LEN {
        Ok(())
    } else {
        Err(StorageError::Invalid(format!(
            "a blind index has {BLIND_INDEX_LEN} bytes, not {}",
            blind_index.len()
        )))
    }
}

/// Check that the key and identities of a new subject belong to it.
pub(crate) fn check_new_subject(
    subject: &SubjectRow,
    key: &SubjectKeyRow,
    identities: &[IdentityRow],
) -> Result<(), StorageError> {
    if key.subject_id != subject.id {
        return Err(StorageError::Invalid(
            "create a subject: the data key belongs to another subject".into(),
        ));
    }
    for identity in identities {
        if identity.subject_id != subject.id {
            return Err(StorageError::Invalid(format!(
                "create a subject: the {} identity belongs to another subject",
                identity.kind
            )));
        }
        check_blind_index(&identity.blind_index)?;
    }
    Ok(())
}

/// Check that a new record names each anchor event once.
pub(crate) fn check_new_record(record: &RecordRow) -> Result<(), StorageError> {
    for mention in &record.mentions {
        check_blind_index(&mention.blind_index)?;
    }
    for (i, (event, _)) in record.anchors.iter().enumerate() {
        if record.anchors[..i].iter().any(|(other, _)| other == event) {
            return Err(StorageError::Invalid(format!(
                "insert a record: the anchor event {event} is given twice"
            )));
        }
    }
    Ok(())
}

/// Check that a re-wrapped key replaces the key of `subject_id`.
pub(crate) fn check_key_update(subject_id: &str, key: &SubjectKeyRow) -> Result<(), StorageError> {
    if key.subject_id == subject_id {
        Ok(())
    } else {
        Err(StorageError::Invalid(
            "update a subject key: the new key belongs to another subject".into(),
        ))
    }
}

/// The key version as stored (both backends store it as a 64-bit integer).
pub(crate) fn version_to_db(version: u32) -> i64 {
    i64::from(version)
}

/// A stored key version read back.
pub(crate) fn version_from_db(version: i64) -> Result<u32, StorageError> {
    u32::try_from(version).map_err(|_| {
        StorageError::Database("subject_keys.key_version is not a key version Skydd wrote".into())
    })
}

/// A row limit as bound to a query.
pub(crate) fn limit_to_db(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}

/// Fold the rows of a records-with-anchors query (ordered by record, one row per anchor, or
/// one row without anchor) into records.
pub(crate) fn fold_records(
    rows: impl IntoIterator<Item = (RecordRow, Option<(String, Timestamp)>)>,
) -> Vec<RecordRow> {
    let mut records: Vec<RecordRow> = Vec::new();
    for (record, anchor) in rows {
        if records.last().is_none_or(|last| last.id != record.id) {
            records.push(record);
        }
        if let (Some(anchor), Some(last)) = (anchor, records.last_mut()) {
            last.anchors.push(anchor);
        }
    }
    records
}

/// Fold the rows of an audit-events-with-categories query (ordered by seq, then category
/// position) into events.
pub(crate) fn fold_audit_events(
    rows: impl IntoIterator<Item = (AuditEventRow, Option<String>)>,
) -> Vec<AuditEventRow> {
    let mut events: Vec<AuditEventRow> = Vec::new();
    for (event, category) in rows {
        if events.last().is_none_or(|last| last.seq != event.seq) {
            events.push(event);
        }
        if let (Some(category), Some(last)) = (category, events.last_mut()) {
            last.categories.push(category);
        }
    }
    events
}

/// Fold the rows of an audit query with hashes (ordered by seq, then category position).
pub(crate) fn fold_chained_events(
    rows: impl IntoIterator<Item = (crate::ChainedAuditEvent, Option<String>)>,
) -> Vec<crate::ChainedAuditEvent> {
    let mut events: Vec<crate::ChainedAuditEvent> = Vec::new();
    for (entry, category) in rows {
        if events
            .last()
            .is_none_or(|last| last.event.seq != entry.event.seq)
        {
            events.push(entry);
        }
        if let (Some(category), Some(last)) = (category, events.last_mut()) {
            last.event.categories.push(category);
        }
    }
    events
}

/// A stored 32-byte hash.
pub(crate) fn hash_from_db(bytes: &[u8]) -> Result<[u8; 32], StorageError> {
    <[u8; 32]>::try_from(bytes)
        .map_err(|_| StorageError::Database("a stored audit hash is not 32 bytes".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: &str) -> RecordRow {
        RecordRow {
            id: id.into(),
            subject_id: "s".into(),
            category: "c".into(),
            purpose: "p".into(),
            source: "x".into(),
            collected_at: Timestamp::UNIX_EPOCH,
            anchors: Vec::new(),
            ciphertext: vec![1],
            mentions: Vec::new(),
            combined_from: Vec::new(),
        }
    }

    #[test]
    fn records_fold_their_anchors() {
        let anchor = |event: &str| Some((event.to_owned(), Timestamp::UNIX_EPOCH));
        let folded = fold_records([
            (record("a"), anchor("contract_end")),
            (record("a"), anchor("last_contact")),
            (record("b"), None),
            (record("c"), anchor("invoice_paid")),
        ]);
        let shape: Vec<(&str, Vec<&str>)> = folded
            .iter()
            .map(|r| {
                let events = r.anchors.iter().map(|(e, _)| e.as_str()).collect();
                (r.id.as_str(), events)
            })
            .collect();
        assert_eq!(
            shape,
            [
                ("a", vec!["contract_end", "last_contact"]),
                ("b", vec![]),
                ("c", vec!["invoice_paid"]),
            ]
        );
    }

    #[test]
    fn duplicate_anchor_events_are_refused() {
        let mut r = record("a");
        r.anchors = vec![
            ("contract_end".into(), Timestamp::UNIX_EPOCH),
            ("contract_end".into(), Timestamp::UNIX_EPOCH),
        ];
        assert!(matches!(
            check_new_record(&r),
            Err(StorageError::Invalid(_))
        ));
    }

    #[test]
    fn key_versions_round_trip_and_foreign_ones_are_refused() {
        for version in [0, 1, u32::MAX] {
            assert_eq!(version_from_db(version_to_db(version)).unwrap(), version);
        }
        assert!(version_from_db(-1).is_err());
        assert!(version_from_db(i64::from(u32::MAX) + 1).is_err());
        assert_eq!(limit_to_db(usize::MAX), i64::MAX);
    }
}

/// One entry of an incident (a personal data breach): the report, a notification, a
/// communication, the closing. Append-only; `position` numbers the entries of one incident from 0.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentEntryRow {
    /// The incident's id (32 lowercase hex digits, drawn when it was reported); shared by all
    /// its entries.
    pub incident_id: String,
    /// The entry's place among the incident's entries, from 0 (the report).
    pub position: i64,
    /// When it was recorded.
    pub at: Timestamp,
    /// Who recorded it (a token id).
    pub actor: String,
    /// The entry's kind ("reported", "authority_notified", ...).
    pub kind: String,
    /// The entry, as JSON.
    pub body: String,
}

/// A disclosure of personal data to a recipient of the register. Append-only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisclosureRow {
    /// The disclosure's id, drawn by the vault (32 lowercase hex digits); opaque to storage.
    pub id: String,
    /// When the data was disclosed.
    pub at: Timestamp,
    /// Who recorded it (a token id).
    pub actor: String,
    /// The register's recipient (an authority, a group company, a credit agency ...).
    pub recipient: String,
    /// The register's purpose the disclosure serves.
    pub purpose: String,
    /// What the disclosure rests on: the law for an authority, the legal bases decided
    /// otherwise.
    pub legal_basis: String,
    /// The decision it rests on (migration 16: required for an authority, which the vault
    /// enforces; absent for a disclosure the register allows on its own).
    pub decision: Option<DisclosureDecision>,
    /// The subjects whose data was disclosed, in the order given.
    pub subjects: Vec<String>,
    /// The data categories disclosed, in the order given.
    pub categories: Vec<String>,
}

/// The court decision or order a disclosure rests on; stored whole or not at all (a database
/// constraint).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisclosureDecision {
    /// "court_decision" or "order".
    pub kind: String,
    /// The decision's reference (case number); never empty.
    pub reference: String,
    /// The court or authority that decided.
    pub decided_by: String,
    /// The date of the decision (ISO 8601).
    pub decided_on: String,
    /// SHA-256 (hex) of the decision document, if one was given.
    pub document_sha256: Option<String>,
}

/// A dated evaluation of the security measures (P003-42), as stored: appended, never changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecurityReviewRow {
    /// Its place in the list, assigned by storage: set when read, ignored when written.
    pub seq: i64,
    /// The day the review was held (ISO 8601 date).
    pub reviewed_on: String,
    /// When it was recorded.
    pub recorded_at: Timestamp,
    /// The staff account or token that recorded it.
    pub recorded_by: String,
    /// What the review found, in words.
    pub summary: String,
}

/// A fact about a subject that a legal basis can depend on (schema 21; the register's
/// `attributes`), as stored: one per subject and attribute, replaced when set again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubjectAttributeRow {
    /// The subject's id.
    pub subject_id: String,
    /// The attribute's id, as the register declares it.
    pub attribute: String,
    /// From when it holds.
    pub since: Timestamp,
    /// When it ends (exclusive); `None` while it goes on.
    pub until: Option<Timestamp>,
    /// When it was last set.
    pub recorded_at: Timestamp,
}

/// A data processing agreement signed with a tenant (schema 22; P001-25), as stored: appended,
/// never changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantAgreementRow {
    /// Its place in the list, assigned by storage: set when read, ignored when written.
    pub seq: i64,
    /// The tenant (the customer on whose instructions its users' data is processed).
    pub tenant: String,
    /// The agreement's version or reference, as the company names it.
    pub version: String,
    /// When it was signed.
    pub signed_at: Timestamp,
    /// The staff account or token that recorded it.
    pub recorded_by: String,
    /// When it was recorded.
    pub recorded_at: Timestamp,
}

/// Refuse a disclosure whose decision has no reference (also a database constraint).
pub(crate) fn check_new_disclosure(disclosure: &DisclosureRow) -> Result<(), StorageError> {
    if let Some(decision) = &disclosure.decision
        && decision.reference.trim().is_empty()
    {
        return Err(StorageError::Invalid(
            "insert a disclosure: the decision reference is empty".into(),
        ));
    }
    Ok(())
}

/// Attach subjects and categories, each `(disclosure id, value)` in position order, to their
/// disclosures.
pub(crate) fn fold_disclosures(
    mut disclosures: Vec<DisclosureRow>,
    subjects: Vec<(String, String)>,
    categories: Vec<(String, String)>,
) -> Vec<DisclosureRow> {
    let index: std::collections::HashMap<String, usize> = disclosures
        .iter()
        .enumerate()
        .map(|(i, d)| (d.id.clone(), i))
        .collect();
    for (id, subject) in subjects {
        if let Some(&i) = index.get(&id) {
            disclosures[i].subjects.push(subject);
        }
    }
    for (id, category) in categories {
        if let Some(&i) = index.get(&id) {
            disclosures[i].categories.push(category);
        }
    }
    disclosures
}

/// One row of the change log of decision facts (migration 13): a write changed the facts of
/// the subject, organisation or API token `key` names. Written by triggers in the writing
/// transaction, whoever wrote; read by servers to forget what they keep in memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FactChangeRow {
    /// Given at insert, increasing; on PostgreSQL a row can become visible after one with a
    /// higher seq (see the module documentation).
    pub seq: i64,
    /// `subject`, `organisation` or `token`.
    pub kind: String,
    /// The subject id, the organisation id or the token id; never a personal value.
    pub key: String,
}

/// How far the change log reaches ([`crate::Storage::fact_changes_bounds`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FactChangeBounds {
    /// Every row with a seq up to this one may have been pruned (0: none ever was). A reader
    /// whose cursor is below it may have missed changes.
    pub pruned_through: i64,
    /// The highest seq given out that is visible now (at least `pruned_through`).
    pub newest: i64,
}
