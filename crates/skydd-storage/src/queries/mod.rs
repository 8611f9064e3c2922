//! The statements and row mappings both backends share, written once.
//!
//! This module is compiled twice: `src/sqlite.rs` and `src/postgres.rs` each include it (with
//! `#[path]`) as their child module `queries`, with `dialect` (one of [`crate::dialect`]'s
//! modules) and `Store` (the backend's storage type, which has a `pool`) in scope. Every name a
//! backend must supply comes from there, so each copy is checked and compiled against concrete
//! `sqlx` types. What a backend does its own way (opening, migrations' locks, the sweep lock, its
//! fast paths) it supplies as functions of its own module, which the code here calls through
//! `super::` (`super::super::` from the submodules); a missing one fails to compile.
//!
//! - `storage`: [`crate::Storage`] for `Store`, in the trait's order;
//! - `requests`: [`crate::RequestStore`] for `Store`;
//! - `staff`: [`crate::StaffStore`] for `Store` (issue 17);
//! - `centre`: [`crate::CentreStore`] for `Store` (issue 18);
//! - `cookie_choices`: [`crate::CookieChoiceStore`] for `Store` (issue 18);
//! - `imports`: [`crate::ImportStore`] for `Store` (issue 19);
//! - this file: what both of them and the backends use: reading columns into the vault's and
//!   ledgers' row types (one function per row type, errors naming `table.column`; the request
//!   rows' are in `requests`), the audit chain head, the `INSERT`s of a record and an audit
//!   event that a backend completes its own way, and one step of the migration loop.

mod centre;
mod cookie_choices;
mod imports;
mod requests;
mod staff;
mod storage;

pub(super) use storage::insert_mentions;
#[allow(
    unused_imports,
    reason = "compiled for both backends; only PostgreSQL prunes through the pool"
)]
pub(super) use storage::prune_fact_changes_through_pool;

use jiff::Timestamp;
use skydd_crypto::{TokenHash, TokenId};
use sqlx::Row as _;

use super::dialect::{self, Conn, Db, DbRow};
use crate::migration::{self, Applied, Migration};
use crate::{
    AnonymisedRecordRow, ConsentEventRow, DisclosureDecision, DisclosureRow, FeatureSwitchRow,
    IdentityRow, ObjectionEventRow, PreferenceEventRow, RecordSummary,
};
use crate::{
    ApiTokenRecord, AuditChainHead, AuditCheckpointRow, AuditEventRow, IncidentEntryRow, RecordRow,
    RegisterVersionRecord, StorageError, SubjectKeyRow, SubjectRow, error, rows,
};

// -- Reading columns -----------------------------------------------------------------------------

/// Read `column` of a row of `table`; an error names `table.column`, never the value.
pub(super) fn get<'r, T>(row: &'r DbRow, column: &str, table: &str) -> Result<T, StorageError>
where
    T: sqlx::Decode<'r, Db> + sqlx::Type<Db>,
{
    row.try_get(column)
        .map_err(|e| error::query(&format!("read {table}.{column}"))(e))
}

/// Read the timestamp in `column` of a row of `table`.
fn get_at(row: &DbRow, column: &str, table: &str) -> Result<Timestamp, StorageError> {
    dialect::at_from_db(get(row, column, table)?, table, column)
}

/// Read the timestamp, if any, in `column` of a row of `table`.
fn get_optional_at(
    row: &DbRow,
    column: &str,
    table: &str,
) -> Result<Option<Timestamp>, StorageError> {
    let stored: Option<dialect::StoredAt> = get(row, column, table)?;
    stored
        .map(|stored| dialect::at_from_db(stored, table, column))
        .transpose()
}

// -- Rows, one function per row type -------------------------------------------------------------

/// The columns of `api_tokens` that [`token_from_row`] reads, for `concat!`.
macro_rules! token_columns {
    () => {
        "id, hash, scopes, label, created_at, revoked_at, expires_at, last_used_at"
    };
}
use token_columns;

fn token_from_row(row: &DbRow) -> Result<ApiTokenRecord, StorageError> {
    const T: &str = "api_tokens";
    let id = TokenId(get(row, "id", T)?);
    let scopes: String = get(row, "scopes", T)?;
    Ok(ApiTokenRecord {
        hash: TokenHash(get(row, "hash", T)?),
        scopes: scopes.split_whitespace().map(str::to_owned).collect(),
        label: get(row, "label", T)?,
        created_at: get_at(row, "created_at", T)?,
        revoked_at: get_optional_at(row, "revoked_at", T)?,
        expires_at: get_optional_at(row, "expires_at", T)?,
        last_used_at: get_optional_at(row, "last_used_at", T)?,
        id,
    })
}

fn register_version_from_row(row: &DbRow) -> Result<RegisterVersionRecord, StorageError> {
    const T: &str = "register_versions";
    Ok(RegisterVersionRecord {
        digest: get(row, "digest", T)?,
        published: get(row, "published", T)?,
        first_loaded_at: get_at(row, "first_loaded_at", T)?,
        content: get(row, "content", T)?,
    })
}

/// A row of `subjects` (`id, tenant, created_at, restricted_at`).
pub(super) fn subject_from_row(row: &DbRow) -> Result<SubjectRow, StorageError> {
    const T: &str = "subjects";
    Ok(SubjectRow {
        id: get(row, "id", T)?,
        tenant: get(row, "tenant", T)?,
        created_at: get_at(row, "created_at", T)?,
        restricted_at: get_optional_at(row, "restricted_at", T)?,
    })
}

pub(super) fn subject_key_from_row(row: &DbRow) -> Result<SubjectKeyRow, StorageError> {
    const T: &str = "subject_keys";
    Ok(SubjectKeyRow {
        subject_id: get(row, "subject_id", T)?,
        key_version: rows::version_from_db(get(row, "key_version", T)?)?,
        wrapped_key: get(row, "wrapped_key", T)?,
    })
}

/// The columns of `records` but `ciphertext` in a row, without anchors.
pub(super) fn record_summary_from_row(row: &DbRow) -> Result<RecordSummary, StorageError> {
    const T: &str = "records";
    Ok(RecordSummary {
        id: get(row, "id", T)?,
        subject_id: get(row, "subject_id", T)?,
        category: get(row, "category", T)?,
        purpose: get(row, "purpose", T)?,
        source: get(row, "source", T)?,
        collected_at: get_at(row, "collected_at", T)?,
        anchors: Vec::new(),
    })
}

/// A row of the records-with-anchors query: the record without anchors, and one anchor if any.
fn record_from_row(row: &DbRow) -> Result<(RecordRow, Option<(String, Timestamp)>), StorageError> {
    let summary = record_summary_from_row(row)?;
    let record = RecordRow {
        id: summary.id,
        subject_id: summary.subject_id,
        category: summary.category,
        purpose: summary.purpose,
        source: summary.source,
        collected_at: summary.collected_at,
        anchors: summary.anchors,
        ciphertext: get(row, "ciphertext", "records")?,
        mentions: Vec::new(),
        combined_from: get::<String>(row, "combined_from", "records")?
            .split_whitespace()
            .map(str::to_owned)
            .collect(),
    };
    Ok((record, anchor_from_row(row)?))
}

/// The anchor (`event`, `at` of `record_anchors`) in a row of a records-with-anchors query, if
/// the row has one.
pub(super) fn anchor_from_row(row: &DbRow) -> Result<Option<(String, Timestamp)>, StorageError> {
    let event: Option<String> = get(row, "event", "record_anchors")?;
    let at = get_optional_at(row, "at", "record_anchors")?;
    Ok(event.zip(at))
}

/// The columns of `audit_events` in a row, with `categories` given (they are read apart).
pub(super) fn audit_event_columns(
    row: &DbRow,
    categories: Vec<String>,
) -> Result<AuditEventRow, StorageError> {
    const T: &str = "audit_events";
    Ok(AuditEventRow {
        seq: get(row, "seq", T)?,
        at: get_at(row, "at", T)?,
        actor: get(row, "actor", T)?,
        ip: get(row, "ip", T)?,
        action: get(row, "action", T)?,
        purpose: get(row, "purpose", T)?,
        subject_id: get(row, "subject_id", T)?,
        categories,
        outcome: get(row, "outcome", T)?,
        detail: get(row, "detail", T)?,
    })
}

/// A row of the audit-events-with-categories query: the event without categories, and one
/// category if any.
fn audit_event_from_row(row: &DbRow) -> Result<(AuditEventRow, Option<String>), StorageError> {
    let category = get(row, "category", "audit_event_categories")?;
    Ok((audit_event_columns(row, Vec::new())?, category))
}

/// The chain head in a row with its columns `first_seq`, `seq` and `hash`.
fn chain_head_from_row(row: &DbRow) -> Result<AuditChainHead, StorageError> {
    const T: &str = "audit_chain_head";
    let hash: Vec<u8> = get(row, "hash", T)?;
    Ok(AuditChainHead {
        first_seq: get(row, "first_seq", T)?,
        seq: get(row, "seq", T)?,
        hash: rows::hash_from_db(&hash)?,
    })
}

fn checkpoint_from_row(row: &DbRow) -> Result<AuditCheckpointRow, StorageError> {
    const T: &str = "audit_checkpoints";
    Ok(AuditCheckpointRow {
        seq: get(row, "seq", T)?,
        hash: get(row, "hash", T)?,
        at: get_at(row, "at", T)?,
        public_key: get(row, "public_key", T)?,
        signature: get(row, "signature", T)?,
    })
}

fn incident_entry_from_row(row: &DbRow) -> Result<IncidentEntryRow, StorageError> {
    const T: &str = "incident_entries";
    Ok(IncidentEntryRow {
        incident_id: get(row, "incident_id", T)?,
        position: get(row, "position", T)?,
        at: get_at(row, "at", T)?,
        actor: get(row, "actor", T)?,
        kind: get(row, "kind", T)?,
        body: get(row, "body", T)?,
    })
}

/// A row of `disclosures`, without its subjects and categories (read apart).
fn disclosure_from_row(row: &DbRow) -> Result<DisclosureRow, StorageError> {
    const T: &str = "disclosures";
    Ok(DisclosureRow {
        id: get(row, "id", T)?,
        at: get_at(row, "at", T)?,
        actor: get(row, "actor", T)?,
        recipient: get(row, "recipient", T)?,
        purpose: get(row, "purpose", T)?,
        legal_basis: get(row, "legal_basis", T)?,
        decision: match get::<Option<String>>(row, "decision_kind", T)? {
            None => None,
            Some(kind) => Some(DisclosureDecision {
                kind,
                reference: get(row, "decision_reference", T)?,
                decided_by: get(row, "decided_by", T)?,
                decided_on: get(row, "decided_on", T)?,
                document_sha256: get(row, "document_sha256", T)?,
            }),
        },
        subjects: Vec::new(),
        categories: Vec::new(),
    })
}

/// A row of `identities`.
fn identity_from_row(row: &DbRow) -> Result<IdentityRow, StorageError> {
    const T: &str = "identities";
    Ok(IdentityRow {
        subject_id: get(row, "subject_id", T)?,
        kind: get(row, "kind", T)?,
        blind_index: get(row, "blind_index", T)?,
        ciphertext: get(row, "ciphertext", T)?,
    })
}

/// A row of `consent_events`.
fn consent_event_from_row(row: &DbRow) -> Result<ConsentEventRow, StorageError> {
    const T: &str = "consent_events";
    Ok(ConsentEventRow {
        seq: get(row, "seq", T)?,
        scope_kind: get(row, "scope_kind", T)?,
        scope_id: get(row, "scope_id", T)?,
        purpose: get(row, "purpose", T)?,
        granted: get(row, "granted", T)?,
        method: get(row, "method", T)?,
        notice_version: get(row, "notice_version", T)?,
        at: get_at(row, "at", T)?,
        text_hash: get(row, "text_hash", T)?,
        context_ciphertext: get(row, "context_ciphertext", T)?,
    })
}

/// A row of `objection_events`.
fn objection_from_row(row: &DbRow) -> Result<ObjectionEventRow, StorageError> {
    const T: &str = "objection_events";
    Ok(ObjectionEventRow {
        seq: get(row, "seq", T)?,
        subject_id: get(row, "subject_id", T)?,
        purpose: get(row, "purpose", T)?,
        objected: get(row, "objected", T)?,
        source: get(row, "source", T)?,
        at: get_at(row, "at", T)?,
    })
}

/// A row of `preference_events`.
fn preference_from_row(row: &DbRow) -> Result<PreferenceEventRow, StorageError> {
    const T: &str = "preference_events";
    Ok(PreferenceEventRow {
        seq: get(row, "seq", T)?,
        subject_id: get(row, "subject_id", T)?,
        kind: get(row, "kind", T)?,
        name: get(row, "name", T)?,
        opted_in: get(row, "opted_in", T)?,
        at: get_at(row, "at", T)?,
    })
}

/// A row of `feature_switch_events`.
fn feature_switch_from_row(row: &DbRow) -> Result<FeatureSwitchRow, StorageError> {
    const T: &str = "feature_switch_events";
    Ok(FeatureSwitchRow {
        seq: get(row, "seq", T)?,
        feature: get(row, "feature", T)?,
        organisation: get(row, "organisation", T)?,
        project: get(row, "project", T)?,
        enabled: get(row, "enabled", T)?,
        actor: get(row, "actor", T)?,
        at: get_at(row, "at", T)?,
    })
}

/// A row of `anonymised_records` (it names no record: `record_id` is empty).
fn anonymised_record_from_row(row: &DbRow) -> Result<AnonymisedRecordRow, StorageError> {
    const T: &str = "anonymised_records";
    Ok(AnonymisedRecordRow {
        record_id: String::new(),
        category: get(row, "category", T)?,
        purpose: get(row, "purpose", T)?,
        collected_month: get(row, "collected_month", T)?,
        fields: get(row, "fields", T)?,
        anonymised_at: get_at(row, "anonymised_at", T)?,
    })
}

// -- Records: the INSERT both backends start from, what a deletion found -------------------------

/// The `INSERT` of a record's own row (its anchors are stored apart), for `concat!`;
/// [`bind_record`] binds its values.
macro_rules! record_insert {
    () => {
        "INSERT INTO records (id, subject_id, category, purpose, source, collected_at, ciphertext,
                              combined_from)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
    };
}
pub(super) use record_insert;

/// `sql` (which starts with `record_insert!`) with `record` bound to `$1`..`$8`; a backend may
/// bind more after them.
pub(super) fn bind_record<'q>(
    sql: &'static str,
    record: &RecordRow,
) -> sqlx::query::Query<'q, Db, <Db as sqlx::Database>::Arguments> {
    sqlx::query(sql)
        .bind(&record.id)
        .bind(&record.subject_id)
        .bind(&record.category)
        .bind(&record.purpose)
        .bind(&record.source)
        .bind(dialect::at(record.collected_at))
        .bind(&record.ciphertext)
        .bind(record.combined_from.join(" "))
}

/// What a backend's `delete_listed_records` found and deleted, for the rest of
/// [`crate::Storage::delete_records`].
pub(super) struct DeletedRecords {
    /// How many records were deleted (records already gone are not counted).
    pub(super) records: u64,
    /// Those of the records to anonymise that were still there (only their remains are kept).
    pub(super) anonymisable: std::collections::HashSet<String>,
    /// The subjects the deleted records belonged to, each once.
    pub(super) subjects: Vec<String>,
}

// -- Audit chain: the event INSERT both backends start from, the head ----------------------------

/// The start of the `INSERT` of a batch of audit events' own rows (their categories are stored
/// apart), for `concat!`: each backend follows it with a `SELECT` over the batch's values
/// passed in bulk (`insert_chained_events`). The seq is given, not generated: it is part of
/// the chain.
macro_rules! audit_events_insert {
    () => {
        concat!(
            "INSERT INTO audit_events
                (seq, at, actor, ip, action, purpose, subject_id, outcome, detail, hash)",
            dialect::identity_override!(),
            " "
        )
    };
}
pub(super) use audit_events_insert;

/// The `SELECT` of the audit chain's head row, for `concat!` (a backend may add a row lock).
macro_rules! chain_head_select {
    () => {
        "SELECT first_seq, seq, hash FROM audit_chain_head WHERE id = 1"
    };
}
#[allow(
    unused_imports,
    reason = "only the SQLite ledger writer uses it outside this file"
)]
pub(super) use chain_head_select;

/// Move the chain head to the newest appended entry: `$1` its seq, `$2` its hash.
pub(super) const CHAIN_HEAD_MOVE: &str =
    "UPDATE audit_chain_head SET seq = $1, hash = $2 WHERE id = 1";

// -- The change log: pruning (migration 13) ----------------------------------------------------

/// The key in `skydd_meta` of the seq the change log was pruned through.
pub(super) const FACT_CHANGES_PRUNED: &str = "fact_changes_pruned_through";

/// How many seqs of the change log one transaction of [`crate::Storage::prune_fact_changes`]
/// deletes: a minute of consent writes at line rate is about a million rows, and deleting them
/// at once held SQLite's write lock, which every group commit waits for, for 0.42 s (900,000
/// rows, idle machine; 10,000 take 2 ms).
pub(super) const FACT_CHANGES_PRUNED_AT_ONCE: i64 = 10_000;

/// The value `skydd_meta` holds under the key `$1`.
pub(super) const META_SELECT: &str = "SELECT value FROM skydd_meta WHERE key = $1";

/// Store the value `$2` under the key `$1` in `skydd_meta`, replacing any.
pub(super) const META_PUT: &str = "INSERT INTO skydd_meta (key, value) VALUES ($1, $2)
     ON CONFLICT (key) DO UPDATE SET value = excluded.value";

/// Delete the change log's rows through seq `$1`.
pub(super) const FACT_CHANGES_PRUNE: &str = "DELETE FROM fact_changes WHERE seq <= $1";

/// The seq the change log was pruned through, from the value `skydd_meta` stores (0: never).
pub(super) fn fact_changes_pruned_from(stored: Option<&str>) -> Result<i64, StorageError> {
    match stored {
        None => Ok(0),
        Some(text) => text.parse().map_err(|_| {
            StorageError::Database(format!(
                "skydd_meta.{FACT_CHANGES_PRUNED} is not a number; delete the row to start over"
            ))
        }),
    }
}

/// The seq the next transaction of a prune through `up_to_seq` deletes through, when the log
/// was pruned through `pruned`: at most [`FACT_CHANGES_PRUNED_AT_ONCE`] further; `None` when
/// nothing is left to delete.
pub(super) fn prune_chunk_end(pruned: i64, up_to_seq: i64) -> Option<i64> {
    (up_to_seq > pruned).then(|| up_to_seq.min(pruned.saturating_add(FACT_CHANGES_PRUNED_AT_ONCE)))
}

// -- Audit trail: the index by subject, complete up to a mark (migration 15) ----------------------

/// The subject index's mark, `seq`: every event up to it that names a subject has its entry in
/// `audit_subject_entries`, and none above it has. For `concat!` (a round adds a row lock).
macro_rules! subject_mark_select {
    () => {
        "SELECT seq FROM audit_subject_mark WHERE id = 1"
    };
}
pub(super) use subject_mark_select;

/// The CTE `mark` of a search by one subject, the parameter named: the seq up to which that
/// subject's events have their entries (migration 24). While SQLite writes a span of the index,
/// a subject ordered before `next_subject` has them up to the span's end, every other up to
/// `audit_subject_mark`; between spans (and always on PostgreSQL) the two agree.
macro_rules! subject_mark_of {
    ($subject:literal) => {
        concat!(
            "mark AS (
                SELECT CASE WHEN ",
            $subject,
            " < s.next_subject THEN s.end_seq ELSE m.seq END AS seq
                FROM audit_subject_mark m JOIN audit_subject_span s ON s.id = 1
                WHERE m.id = 1)"
        )
    };
}
pub(super) use subject_mark_of;

/// Move the subject index's mark to `$1`, in the transaction that filled the entries below it.
pub(super) const SUBJECT_MARK_MOVE: &str = "UPDATE audit_subject_mark SET seq = $1 WHERE id = 1";

/// Where a round of the subject index ends: after at most `limit` events past `mark`, never
/// past the chain's `head` (the newest committed event); `None` when there is nothing to index.
pub(super) fn subject_round_end(mark: i64, head: i64, limit: usize) -> Option<i64> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let end = head.min(mark.saturating_add(limit));
    (end > mark).then_some(end)
}

// -- Audit trail: pages of a search -----------------------------------------------------------

/// The search's filters on the event `e` other than the subject: from `$3`, to `$4`, the actor
/// `$6` and the action `$7` (each NULL when not given).
macro_rules! filters {
    () => {
        "AND ($3 IS NULL OR e.at >= $3)
         AND ($4 IS NULL OR e.at < $4)
         AND ($6 IS NULL OR e.actor = $6
              OR substr(e.actor, 1, length($6) + 1) = $6 || '/')
         AND ($7 IS NULL OR e.action = $7
              OR substr(e.action, 1, length($7) + 1) = $7 || '.')"
    };
}

/// The page, then the columns read with each event's categories.
macro_rules! entries {
    ($page:expr) => {
        concat!(
            $page,
            "SELECT p.seq, p.at, p.actor, p.ip, p.action, p.purpose, p.subject_id,
                    p.outcome, p.detail, p.hash, c.category
             FROM page p
             LEFT JOIN audit_event_categories c ON c.event_seq = p.seq
             ORDER BY p.seq, c.position"
        )
    };
}

/// A page of [`crate::Storage::audit_entries`] without a subject (`$2` NULL): the events
/// after `$1` in seq order, filtered, at most `$5`.
pub(super) const AUDIT_ENTRIES: &str = entries!(concat!(
    "WITH page AS (
        SELECT * FROM audit_events e
        WHERE e.seq > $1 AND $2 IS NULL ",
    filters!(),
    " ORDER BY e.seq LIMIT $5) "
));

/// A page of [`crate::Storage::audit_entries`] of subject `$2`: through the index by subject
/// up to the subject's mark, then the tail above it (migrations 15 and 24). The two never
/// overlap and the tail's seqs are the higher, so the page is the first `$5` of both in seq
/// order.
pub(super) const AUDIT_ENTRIES_OF_SUBJECT: &str = entries!(concat!(
    "WITH ",
    subject_mark_of!("$2"),
    ",
     page AS (
        SELECT * FROM (
            SELECT e.* FROM audit_subject_entries x
            JOIN audit_events e ON e.seq = x.seq
            WHERE x.subject_id = $2 AND x.seq > $1
              AND x.seq <= (SELECT seq FROM mark) ",
    filters!(),
    "       ORDER BY x.seq LIMIT $5
        ) from_index
        UNION ALL
        SELECT * FROM (
            SELECT e.* FROM audit_events e
            WHERE e.seq > $1 AND e.seq > (SELECT seq FROM mark)
              AND e.subject_id = $2 ",
    filters!(),
    "       ORDER BY e.seq LIMIT $5
        ) from_tail
        ORDER BY seq LIMIT $5) "
));

/// The `INSERT` of a consent event, returning its seq; `$1`..`$9` are, in order, `scope_kind`,
/// `scope_id`, `purpose`, `granted`, `method`, `notice_version`, `at`, `text_hash` and
/// `context_ciphertext` of [`crate::ConsentEventRow`].
pub(super) const CONSENT_INSERT: &str = "INSERT INTO consent_events (scope_kind, scope_id, purpose,
        granted, method, notice_version, at, text_hash, context_ciphertext)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING seq";

/// A subject's row by its id (`$1`): `id`, `tenant`, `created_at`, `restricted_at`.
pub(super) const SUBJECT_SELECT: &str =
    "SELECT id, tenant, created_at, restricted_at FROM subjects WHERE id = $1";

/// A subject's row and its wrapped data key, by the subject's id (`$1`): the columns of
/// `subjects` (`id`, `tenant`, `created_at`, `restricted_at`) then those of `subject_keys`
/// (`subject_id`, `key_version`, `wrapped_key`), NULL when the subject has no key.
pub(super) const SUBJECT_WITH_KEY_SELECT: &str =
    "SELECT s.id, s.tenant, s.created_at, s.restricted_at, k.subject_id, k.key_version, k.wrapped_key
     FROM subjects s LEFT JOIN subject_keys k ON k.subject_id = s.id
     WHERE s.id = $1";

/// The `INSERT` of an objection event, returning its seq; `$1`..`$5` are `subject_id`,
/// `purpose`, `objected`, `source` and `at` of [`crate::ObjectionEventRow`].
pub(super) const OBJECTION_INSERT: &str =
    "INSERT INTO objection_events (subject_id, purpose, objected, source, at)
     VALUES ($1, $2, $3, $4, $5) RETURNING seq";

/// The `INSERT` of a preference event, returning its seq; `$1`..`$5` are `subject_id`, `kind`,
/// `name`, `opted_in` and `at` of [`crate::PreferenceEventRow`].
pub(super) const PREFERENCE_INSERT: &str =
    "INSERT INTO preference_events (subject_id, kind, name, opted_in, at)
     VALUES ($1, $2, $3, $4, $5) RETURNING seq";

/// Where an audit event goes in the chain: its seq, its time truncated to what storage keeps,
/// and its hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct ChainLink {
    pub(super) seq: i64,
    pub(super) at: jiff::Timestamp,
    pub(super) hash: [u8; 32],
}

/// The links of `events` chained after the entry `seq` whose hash is `prev`: each gets the
/// next seq, its time truncated to what storage keeps, and its hash. The one way both
/// backends' appends number and hash entries; the events are only borrowed, so a group commit
/// keeps its units whole to write them again one by one should the shared commit fail.
pub(super) fn chain_links<'a>(
    mut seq: i64,
    mut prev: [u8; 32],
    events: impl IntoIterator<Item = &'a AuditEventRow>,
) -> Vec<ChainLink> {
    let mut encoding = Vec::with_capacity(256);
    events
        .into_iter()
        .map(|event| {
            seq += 1;
            let at = crate::timestamp::truncate(event.at);
            encoding.clear();
            crate::audit_chain::EntryFields {
                seq,
                at,
                ..event.chain_fields()
            }
            .encode(&mut encoding);
            prev = crate::audit_chain::link_hash(&prev, &encoding);
            ChainLink {
                seq,
                at,
                hash: prev,
            }
        })
        .collect()
}

/// `events` chained after the entry `seq` whose hash is `prev` ([`chain_links`]), each with
/// its seq and truncated time set and its hash beside it.
pub(super) fn chain_after(
    seq: i64,
    prev: [u8; 32],
    events: Vec<AuditEventRow>,
) -> Vec<(AuditEventRow, [u8; 32])> {
    let links = chain_links(seq, prev, &events);
    events
        .into_iter()
        .zip(links)
        .map(|(mut event, link)| {
            event.seq = link.seq;
            event.at = link.at;
            (event, link.hash)
        })
        .collect()
}

/// The audit chain's head row; with `for_update`, locked until the transaction ends (see
/// [`dialect::row_lock!`]), so that one writer at a time chains.
pub(super) async fn read_chain_head(
    conn: &mut Conn,
    for_update: bool,
) -> Result<AuditChainHead, StorageError> {
    const HEAD: &str = chain_head_select!();
    const LOCKED: &str = concat!(chain_head_select!(), dialect::row_lock!());
    let row = sqlx::query(if for_update { LOCKED } else { HEAD })
        .fetch_one(&mut *conn)
        .await
        .map_err(error::query("read the audit chain head"))?;
    chain_head_from_row(&row)
}

// -- Migrations ----------------------------------------------------------------------------------

/// One step of a backend's migration loop, in `tx` (which holds the backend's migration lock
/// and sees `skydd_migrations`): apply the first of `known` that the database has not applied,
/// record it and commit. Returns false, having applied nothing, when none is pending. A database
/// migrated by a newer Skydd, or whose applied migrations were changed, is refused
/// ([`crate::migration::next_pending`]). `backend` names the backend in the log.
pub(super) async fn migrate_one(
    mut tx: sqlx::Transaction<'_, Db>,
    known: &[Migration],
    backend: &str,
) -> Result<bool, StorageError> {
    let applied = sqlx::query("SELECT version, checksum FROM skydd_migrations ORDER BY version")
        .fetch_all(&mut *tx)
        .await
        .map_err(error::query("read skydd_migrations"))?;
    const T: &str = "skydd_migrations";
    let applied = applied
        .iter()
        .map(|row| {
            Ok(Applied {
                version: get(row, "version", T)?,
                checksum: get(row, "checksum", T)?,
            })
        })
        .collect::<Result<Vec<_>, StorageError>>()?;
    let Some(next) = migration::next_pending(known, &applied)? else {
        tx.commit()
            .await
            .map_err(error::query("commit skydd_migrations"))?;
        return Ok(false);
    };
    sqlx::raw_sql(next.sql)
        .execute(&mut *tx)
        .await
        .map_err(error::query(&format!(
            "apply migration {} ({})",
            next.version, next.name
        )))?;
    sqlx::query("INSERT INTO skydd_migrations (version, name, checksum) VALUES ($1, $2, $3)")
        .bind(next.version)
        .bind(next.name)
        .bind(next.checksum())
        .execute(&mut *tx)
        .await
        .map_err(error::query("record a migration"))?;
    tx.commit()
        .await
        .map_err(error::query("commit a migration"))?;
    tracing::info!(
        version = next.version,
        name = next.name,
        "applied {backend} migration"
    );
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A prune's steps at their edges: none when there is nothing to delete or the target lies
    /// behind, at most `FACT_CHANGES_PRUNED_AT_ONCE` seqs each, never past `i64::MAX`; and the
    /// mark as stored read back, a mark that is not a number named with what to do.
    #[test]
    fn a_prune_step_at_its_edges() {
        let step = FACT_CHANGES_PRUNED_AT_ONCE;
        assert_eq!(prune_chunk_end(0, 0), None);
        assert_eq!(prune_chunk_end(5, 5), None);
        assert_eq!(prune_chunk_end(5, 4), None, "pruning never goes back");
        assert_eq!(prune_chunk_end(0, 1), Some(1));
        assert_eq!(prune_chunk_end(0, step), Some(step));
        assert_eq!(prune_chunk_end(0, step + 1), Some(step));
        assert_eq!(prune_chunk_end(i64::MAX - 1, i64::MAX), Some(i64::MAX));
        assert_eq!(fact_changes_pruned_from(None).unwrap(), 0);
        assert_eq!(fact_changes_pruned_from(Some("42")).unwrap(), 42);
        let error = fact_changes_pruned_from(Some("4x"))
            .unwrap_err()
            .to_string();
        assert!(error.contains("delete the row to start over"), "{error}");
    }

    proptest::proptest! {
        /// From any point to any target ahead, the steps reach the target exactly, in as few
        /// steps as the bound allows.
        #[test]
        fn prune_steps_reach_any_target(start in 0_i64..1_000_000, ahead in 0_i64..1_000_000) {
            let target = start + ahead;
            let (mut pruned, mut steps) = (start, 0_i64);
            while let Some(through) = prune_chunk_end(pruned, target) {
                proptest::prop_assert!(through > pruned);
                proptest::prop_assert!(through - pruned <= FACT_CHANGES_PRUNED_AT_ONCE);
                pruned = through;
                steps += 1;
            }
            proptest::prop_assert_eq!(pruned, target);
            let fewest = (ahead + FACT_CHANGES_PRUNED_AT_ONCE - 1) / FACT_CHANGES_PRUNED_AT_ONCE;
            proptest::prop_assert_eq!(steps, fewest);
        }
    }

    fn event(n: u32, categories: &[&str]) -> AuditEventRow {
        AuditEventRow {
            seq: 0,
            // Nanoseconds that storage does not keep: the link truncates them before hashing.
            at: jiff::Timestamp::from_nanosecond(1_740_787_200_123_456_789 + i128::from(n))
                .unwrap(),
            actor: format!("token:{n}"),
            ip: n.is_multiple_of(2).then(|| "192.0.2.1".into()),
            action: "decision".into(),
            purpose: Some("marketing".into()),
            subject_id: Some(format!("{n:032x}")),
            categories: categories.iter().map(|c| (*c).to_string()).collect(),
            outcome: "allowed".into(),
            detail: None,
        }
    }

    /// `chain_links` hashes borrowed events exactly as the chain's defined encoding
    /// (`audit_chain::entry_hash` of the event with its seq and truncated time) does, so the
    /// group commit's path and the verifier agree.
    #[test]
    fn chain_links_hash_as_the_entry_encoding_defines() {
        let events = vec![event(1, &["contact"]), event(2, &[]), event(3, &["a", "b"])];
        let prev = [7_u8; 32];
        let links = chain_links(41, prev, &events);
        let mut expected_prev = prev;
        for (n, (event, link)) in events.iter().zip(&links).enumerate() {
            let mut numbered = event.clone();
            numbered.seq = 42 + i64::try_from(n).unwrap();
            numbered.at = crate::timestamp::truncate(event.at);
            expected_prev = crate::audit_chain::entry_hash(&expected_prev, &numbered);
            assert_eq!(
                (link.seq, link.at, link.hash),
                (numbered.seq, numbered.at, expected_prev)
            );
        }
        let owned = chain_after(41, prev, events);
        assert_eq!(
            owned
                .iter()
                .map(|(e, h)| (e.seq, e.at, *h))
                .collect::<Vec<_>>(),
            links
                .iter()
                .map(|l| (l.seq, l.at, l.hash))
                .collect::<Vec<_>>()
        );
    }
}
