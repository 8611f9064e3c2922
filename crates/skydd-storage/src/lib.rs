//! Skydd's storage: one [`Storage`] trait, a SQLite and a PostgreSQL backend, embedded migrations.
//!
//! Only this crate knows SQL. Callers open a backend with [`open`] from a [`Location`] and use it
//! through `Arc<dyn Storage>`; both backends pass the same behaviour suite
//! (`tests/storage.rs`). Personal data never reaches this layer in plaintext: later issues store
//! only ciphertext and keyed blind indexes here.
//!
//! Opening a database applies the migrations embedded in this crate
//! (`migrations/{sqlite,postgres}/NNNN_name.sql`), each in its own transaction, and refuses a
//! database that was migrated by a newer Skydd or whose applied migrations were changed.
//!
//! Timestamps are stored with microsecond precision on both backends: anything finer is
//! truncated before it is stored, so a value reads back identically from SQLite and PostgreSQL.
//!
//! The vault's data (subjects, their wrapped data keys, identities and records) and the
//! append-only ledgers (consent, objections, preferences, feature switches, cookie choices,
//! audit) are plain rows
//! ([`SubjectRow`], [`ConsentEventRow`], ...): personal values in them are ciphertext and keyed
//! blind indexes only. Operations that write several rows do so in one transaction.
//!
//! Each statement and row mapping is written once, in `src/queries/`, and compiled for each
//! backend against its dialect (`src/dialect.rs`: the few points where SQLite and PostgreSQL
//! differ); `src/sqlite.rs` and `src/postgres.rs` keep only what is theirs: opening, migrations'
//! locks, sweep locks, and the statements written for one backend's speed.
//!
//! Error messages name the operation and the database's own diagnostic, never a connection URL
//! (which can carry a password) nor a value that was bound to a query.

pub mod audit_chain;
mod centre;
mod cookie_choices;
mod dialect;
mod error;
mod imports;
mod migration;
mod pool;
mod postgres;
mod requests;
mod rows;
mod sqlite;
mod staff;
mod timestamp;

pub use audit_chain::{
    AuditChainHead, AuditCheckpointRow, AuditFilter, Breach, ChainLinks, ChainReport,
    ChainedAuditEvent, EntryFields, StoredHash, VerifyPlan, verify_audit_chain,
    verify_audit_chain_by,
};
pub use centre::{CentreCutoffs, CentreSessionRow, CentreSignInRow, CentreStore};
pub use cookie_choices::{ChoicesDeletedAudit, CookieChoiceRow, CookieChoiceStore};
pub use imports::{ImportBatch, ImportProgressRow, ImportStore, NewSubjectRows};
pub use requests::{
    NewRequestRows, OutboxMessageRow, RecipientNotificationRow, RecordRevisionRow, RecordRewrite,
    RequestChange, RequestDocumentRow, RequestEventRow, RequestFilter, RequestRow, RequestStore,
    RequestSystemRow, RevisionRewrite, VerificationCodeRow,
};
/// Ledger rows and their audit events, written together (issue 19).
pub use rows::LedgerUnit;
pub use rows::{AnonymisedRecordRow, RecordDeletion, RecordDeletionOutcome, ShredAudit};
pub use rows::{
    AuditEventRow, BLIND_INDEX_LEN, ConsentEventRow, DisclosureDecision, DisclosureRow,
    FactChangeBounds, FactChangeRow, FeatureSwitchRow, IdentityRow, IncidentEntryRow, MentionRow,
    ObjectionEventRow, PreferenceEventRow, RecordRow, RecordSummary, SUBJECT_SCOPE,
    SecurityReviewRow, SubjectAttributeRow, SubjectKeyRow, SubjectRow, TenantAgreementRow,
};
pub use staff::{
    StaffAccountRow, StaffFactor, StaffSessionRow, StaffSignIn, StaffStore, StaffTrainingRow,
};
pub use timestamp::truncate as truncate_timestamp;

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;

use jiff::Timestamp;
use skydd_crypto::{TokenHash, TokenId};

/// The future every storage operation returns: boxed so that [`Storage`] can be used as a trait
/// object (`Arc<dyn Storage>`).
pub type StorageFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StorageError>> + Send + 'a>>;

/// [`Storage::append_ledger`] as a call that blocks the calling thread until the units are
/// durable (or none of them was written): what [`Storage::blocking_ledger`] offers.
pub type BlockingLedger = Arc<dyn Fn(&[LedgerUnit]) -> Result<(), StorageError> + Send + Sync>;

/// Where Skydd keeps its data.
#[derive(Clone, PartialEq, Eq)]
pub enum Location {
    /// A SQLite database file (created if missing), opened in WAL mode.
    Sqlite(PathBuf),
    /// A PostgreSQL connection URL (`postgres://user@host:port/db`).
    Postgres(String),
}

impl std::fmt::Debug for Location {
    // A database URL can carry a password; never print it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::Sqlite(path) => f.debug_tuple("Sqlite").field(path).finish(),
            Location::Postgres(_) => f.write_str("Postgres(<url>)"),
        }
    }
}

/// Which backend a [`Storage`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A SQLite database file ([`Location::Sqlite`]).
    Sqlite,
    /// A PostgreSQL database reached by URL ([`Location::Postgres`]).
    Postgres,
}

/// An API token as stored: never the token itself, only its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiTokenRecord {
    /// Public identifier of the token, shown in listings and the audit trail.
    pub id: TokenId,
    /// SHA-256 of the token string.
    pub hash: TokenHash,
    /// What the token may do: its scopes' words (`admin`, `records:write` ...), stored as one
    /// column with the words separated by single spaces. Storage keeps them as text; the
    /// application reads them into `skydd_staff::permission::Scope`s.
    pub scopes: Vec<String>,
    /// A label the operator gave the token ("ci", "dpo laptop").
    pub label: String,
    /// When the token was created.
    pub created_at: Timestamp,
    /// When the token was revoked, if it was.
    pub revoked_at: Option<Timestamp>,
    /// When the token stops being accepted; `None` for a token that never expires.
    pub expires_at: Option<Timestamp>,
    /// When the token was last accepted (written at most once a minute), if ever.
    pub last_used_at: Option<Timestamp>,
}

/// A version of the register that a server loaded, kept so that later notices and consents can
/// say which version of the register they were given under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisterVersionRecord {
    /// SHA-256 (hex) of the register's canonical content.
    pub digest: String,
    /// The `published` date the register declares (ISO 8601 date).
    pub published: String,
    /// When this digest was first loaded.
    pub first_loaded_at: Timestamp,
    /// The register's canonical JSON.
    pub content: String,
}

/// What [`Storage::bind_master_key`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyBinding {
    /// The database had no master key check yet; this key's check is now stored.
    NewlyBound,
    /// The database's stored check matches this key.
    Matches,
    /// The database was bound to a different master key.
    Mismatch,
}

/// Errors from storage. Cloneable (every variant is a message), so one failed commit can be
/// answered to every caller that shared it.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StorageError {
    /// The database could not be reached or opened.
    #[error("cannot open the database: {0}")]
    Connect(String),
    /// A migration failed or the schema is in a state this binary cannot use.
    #[error("database schema: {0}")]
    Schema(String),
    /// A unique constraint was violated (for example a duplicate token id).
    #[error("already exists: {0}")]
    Conflict(String),
    /// Any other database error.
    #[error("database error: {0}")]
    Database(String),
    /// The caller passed rows that cannot be stored as given (rows of one call that belong to
    /// different subjects, a blind index of the wrong length, a record for an unknown subject):
    /// a mistake in the calling code, not a state of the database.
    #[error("invalid request to storage: {0}")]
    Invalid(String),
    /// Another connection or process held a lock longer than this one waits (SQLite's busy
    /// timeout, [`OpenOptions::busy_timeout`]; PostgreSQL's `lock_timeout` or
    /// `statement_timeout`). Nothing was changed; the same operation may succeed when retried.
    #[error("the database is busy: {0}")]
    Busy(String),
}

/// Skydd's storage operations. Both backends implement all of them with the same behaviour;
/// data-subject requests are in the supertrait [`RequestStore`], staff accounts and console
/// sessions in [`StaffStore`], the privacy centre's sign-ins and sessions in [`CentreStore`],
/// the banner's cookie choices in [`CookieChoiceStore`], bulk imports in [`ImportStore`].
pub trait Storage:
    RequestStore + StaffStore + CentreStore + CookieChoiceStore + ImportStore + Send + Sync + 'static
{
    /// Which backend this is.
    fn backend(&self) -> Backend;

    /// The highest migration version applied to the database.
    fn schema_version(&self) -> StorageFuture<'_, i64>;

    /// Prove that the database takes a write now: one write transaction that stores `at` as the
    /// time of the last probe (a row of `skydd_meta`, no personal data). Fails while the disk is
    /// full, the files are read-only or the database cannot be reached; for readiness checks.
    fn probe_write(&self, at: Timestamp) -> StorageFuture<'_, ()>;

    /// Store the check value derived from the master key the first time, and compare it on every
    /// later start, so that a wrong key file is refused before anything is written with it.
    fn bind_master_key<'a>(&'a self, check: &'a str) -> StorageFuture<'a, KeyBinding>;

    /// Store a new API token.
    fn insert_token(&self, token: ApiTokenRecord) -> StorageFuture<'_, ()>;

    /// Store `token` only if no token exists yet (the admin token of a first start). Returns
    /// whether it was stored. Safe when several servers start at once on one database.
    fn insert_first_token(&self, token: ApiTokenRecord) -> StorageFuture<'_, bool>;

    /// Find a token that is not revoked by the hash of the presented token string.
    fn find_active_token<'a>(
        &'a self,
        hash: &'a TokenHash,
    ) -> StorageFuture<'a, Option<ApiTokenRecord>>;

    /// All tokens, revoked ones included, oldest first.
    fn list_tokens(&self) -> StorageFuture<'_, Vec<ApiTokenRecord>>;

    /// Record that the token `id` was used at `at`, unless its recorded last use is after
    /// `not_after` already (so a token is written at most once per interval, however many
    /// requests race). Returns whether the time was written.
    fn touch_token<'a>(
        &'a self,
        id: &'a TokenId,
        at: Timestamp,
        not_after: Timestamp,
    ) -> StorageFuture<'a, bool>;

    /// Revoke a token. Returns false when no active token has that id.
    fn revoke_token<'a>(&'a self, id: &'a TokenId, at: Timestamp) -> StorageFuture<'a, bool>;

    /// Record a loaded register version. Returns false when that digest was already recorded
    /// (the record is then left as it was).
    fn record_register_version(&self, version: RegisterVersionRecord) -> StorageFuture<'_, bool>;

    /// All recorded register versions, oldest first.
    fn list_register_versions(&self) -> StorageFuture<'_, Vec<RegisterVersionRecord>>;

    // -- Subjects, identities, keys (the vault) -----------------------------------------------

    /// Store a new subject with its wrapped data key and its identities, all or nothing.
    ///
    /// `key` and every identity must belong to `subject` ([`StorageError::Invalid`] otherwise).
    /// An identity whose blind index is already used for that kind in the subject's tenant
    /// (or by another identity in `identities`) is a [`StorageError::Conflict`] that names the
    /// identity's kind only, and nothing is stored; so is an id already taken.
    fn create_subject(
        &self,
        subject: SubjectRow,
        key: SubjectKeyRow,
        identities: Vec<IdentityRow>,
    ) -> StorageFuture<'_, ()>;

    /// The subject of `tenant` (`None`: the controller's own subjects) with an identity of
    /// `kind` whose blind index is `blind_index`. Never a subject of another tenant.
    fn find_subject_by_identity<'a>(
        &'a self,
        tenant: Option<&'a str>,
        kind: &'a str,
        blind_index: &'a [u8],
    ) -> StorageFuture<'a, Option<SubjectRow>>;

    /// The subject with this id, whatever its tenant (the caller checks the tenant).
    fn get_subject<'a>(&'a self, id: &'a str) -> StorageFuture<'a, Option<SubjectRow>>;

    /// The identities of a subject, in the order they were stored.
    fn identities_of_subject<'a>(
        &'a self,
        subject_id: &'a str,
    ) -> StorageFuture<'a, Vec<IdentityRow>>;

    /// The wrapped data key of a subject.
    fn subject_key<'a>(&'a self, subject_id: &'a str) -> StorageFuture<'a, Option<SubjectKeyRow>>;

    /// [`Storage::get_subject`] and [`Storage::subject_key`] in one statement, for a write that
    /// needs both (a consent with its context, a record): `None` when no subject has this id,
    /// the key `None` when the subject has none.
    fn subject_with_key<'a>(
        &'a self,
        id: &'a str,
    ) -> StorageFuture<'a, Option<(SubjectRow, Option<SubjectKeyRow>)>>;

    /// Restrict processing of a subject from `restricted_at` (Art. 18), or lift the restriction
    /// with `None`. Returns false when there is no such subject.
    fn set_restricted<'a>(
        &'a self,
        subject_id: &'a str,
        restricted_at: Option<Timestamp>,
    ) -> StorageFuture<'a, bool>;

    /// Up to `limit` subject keys wrapped by a master key version older than `version`, oldest
    /// version first, then by subject id: one batch of a key rotation. Re-wrap them, store each with
    /// [`Storage::update_subject_key`], and ask again until none is left; an interrupted rotation
    /// resumes where it stopped.
    fn subject_keys_older_than(
        &self,
        version: u32,
        limit: usize,
    ) -> StorageFuture<'_, Vec<SubjectKeyRow>>;

    /// Replace the data key of `subject_id` by `key` (the same data key, re-wrapped), only if
    /// the stored key is still wrapped by `expected_version` (compare and set). Returns false
    /// when it is not (another rotation got there first) or there is no such subject.
    fn update_subject_key<'a>(
        &'a self,
        subject_id: &'a str,
        expected_version: u32,
        key: SubjectKeyRow,
    ) -> StorageFuture<'a, bool>;

    // -- Records --------------------------------------------------------------------------------

    /// Store a record and its anchors, all or nothing. A record for a subject that does not
    /// exist is [`StorageError::Invalid`]; a record id already taken is a conflict.
    fn insert_record(&self, record: RecordRow) -> StorageFuture<'_, ()>;

    /// The records of a subject, oldest first (by `collected_at`, then id), each with its
    /// anchors sorted by event name.
    fn records_of_subject<'a>(&'a self, subject_id: &'a str) -> StorageFuture<'a, Vec<RecordRow>>;

    /// Set (or move) the anchor `event` of a record to `at`. Returns false when there is no
    /// such record.
    fn set_record_anchor<'a>(
        &'a self,
        record_id: &'a str,
        event: &'a str,
        at: Timestamp,
    ) -> StorageFuture<'a, bool>;

    // -- Consent ledger, objections, preferences, feature switches ------------------------------

    /// Append a consent event; returns the `seq` storage gave it (`event.seq` is ignored).
    fn append_consent_event(&self, event: ConsentEventRow) -> StorageFuture<'_, i64>;

    /// The consent events of one scope (`scope_kind` "subject", "organisation" or "project"),
    /// in `seq` order.
    fn consent_events_for_scope<'a>(
        &'a self,
        scope_kind: &'a str,
        scope_id: &'a str,
    ) -> StorageFuture<'a, Vec<ConsentEventRow>>;

    /// The consent events a subject gave or withdrew (scope [`SUBJECT_SCOPE`]), in `seq` order.
    fn consent_events_for_subject<'a>(
        &'a self,
        subject_id: &'a str,
    ) -> StorageFuture<'a, Vec<ConsentEventRow>> {
        self.consent_events_for_scope(SUBJECT_SCOPE, subject_id)
    }

    /// Append an objection event; returns its `seq`.
    fn append_objection(&self, event: ObjectionEventRow) -> StorageFuture<'_, i64>;

    /// The objection events of a subject, in `seq` order.
    fn objections_of_subject<'a>(
        &'a self,
        subject_id: &'a str,
    ) -> StorageFuture<'a, Vec<ObjectionEventRow>>;

    /// Append a preference event; returns its `seq`.
    fn append_preference(&self, event: PreferenceEventRow) -> StorageFuture<'_, i64>;

    /// The preference events of a subject, in `seq` order.
    fn preferences_of_subject<'a>(
        &'a self,
        subject_id: &'a str,
    ) -> StorageFuture<'a, Vec<PreferenceEventRow>>;

    /// Append a feature switch event; returns its `seq`.
    fn append_feature_switch(&self, event: FeatureSwitchRow) -> StorageFuture<'_, i64>;

    /// The feature switch events of an organisation and all its projects, in `seq` order.
    fn feature_switches<'a>(
        &'a self,
        organisation: &'a str,
    ) -> StorageFuture<'a, Vec<FeatureSwitchRow>>;

    // -- The change log of decision facts (schema 13) ----------------------------------------

    /// Up to `limit` rows of the change log with a seq above `after_seq`, in seq order.
    fn fact_changes_after(
        &self,
        after_seq: i64,
        limit: usize,
    ) -> StorageFuture<'_, Vec<FactChangeRow>>;

    /// How far the change log reaches: the seq pruning reached and the newest seq.
    fn fact_changes_bounds(&self) -> StorageFuture<'_, FactChangeBounds>;

    /// Delete the change log's rows with a seq up to `up_to_seq` and remember that it was
    /// pruned that far (never lowering what was remembered), in transactions of 10,000 seqs
    /// each, so that writers wait for a short one at a time; each remembers how far it went.
    /// Returns how many rows went.
    fn prune_fact_changes(&self, up_to_seq: i64) -> StorageFuture<'_, u64>;

    /// A listener woken when another connection commits a change to the log, or `None` where
    /// the backend has no notifications (SQLite: read the log on a timer). On PostgreSQL a
    /// connection of its own `LISTEN`s to `skydd_fact_changes` and keeps only notifications
    /// for this schema; it reconnects by itself and wakes the listener after a reconnect too
    /// (notifications may have been lost meanwhile).
    fn listen_fact_changes(&self) -> StorageFuture<'_, Option<FactChangeListener>>;

    // -- Audit ----------------------------------------------------------------------------------

    /// Append an audit event with its categories, in one transaction; returns its `seq`.
    fn append_audit_event(&self, event: AuditEventRow) -> StorageFuture<'_, i64>;

    /// Append several audit events in one transaction (all or none), in the order given; returns
    /// their `seq`s. Lets a writer commit many events at the cost of one (group commit).
    fn append_audit_events(&self, events: Vec<AuditEventRow>) -> StorageFuture<'_, Vec<i64>>;

    /// Append `units` in ONE transaction: every unit's consent, objection and preference rows,
    /// then all their audit events chained in order. All or nothing: an error writes no unit
    /// (the caller may retry the units one by one to find the bad one). Lets a writer commit the
    /// ledger writes of many callers at the cost of one (group commit, issue 19).
    fn append_ledger(&self, units: Vec<LedgerUnit>) -> StorageFuture<'_, ()>;

    /// [`Storage::append_ledger`] as a blocking call, when the backend writes its ledgers
    /// through a connection of its own (SQLite: `sqlite/ledger_writer`); `None` when appends are
    /// asynchronous (PostgreSQL). A group-commit writer on a thread of its own commits through
    /// it without handing each batch to another thread and back (issue 19).
    fn blocking_ledger(&self) -> Option<BlockingLedger>;

    /// The audit events concerning a subject, in `seq` order.
    fn audit_events_for_subject<'a>(
        &'a self,
        subject_id: &'a str,
    ) -> StorageFuture<'a, Vec<AuditEventRow>>;

    // -- Incidents and disclosures --------------------------------------------------------------

    /// Append an entry to an incident at `entry.position`, which must be the number of entries
    /// the incident has (0 for its report). When another writer took that position first, this is
    /// a [`StorageError::Conflict`] and nothing is stored: read the incident again and retry.
    fn append_incident_entry(&self, entry: IncidentEntryRow) -> StorageFuture<'_, ()>;

    /// The entries of one incident, by position (empty when there is no such incident).
    fn incident_entries<'a>(
        &'a self,
        incident_id: &'a str,
    ) -> StorageFuture<'a, Vec<IncidentEntryRow>>;

    /// The entries of every incident, by incident id then position.
    fn all_incident_entries(&self) -> StorageFuture<'_, Vec<IncidentEntryRow>>;

    /// Store a disclosure with its subjects and categories, all or nothing. An id already taken
    /// is a conflict; an empty decision reference is [`StorageError::Invalid`].
    fn insert_disclosure(&self, disclosure: DisclosureRow) -> StorageFuture<'_, ()>;

    /// Every disclosure, oldest first (by time, then id).
    fn list_disclosures(&self) -> StorageFuture<'_, Vec<DisclosureRow>>;

    /// The disclosures that included `subject_id`, oldest first.
    fn disclosures_of_subject<'a>(
        &'a self,
        subject_id: &'a str,
    ) -> StorageFuture<'a, Vec<DisclosureRow>>;

    // -- Security reviews (schema 19) -------------------------------------------------------

    /// Append a review of the security measures; returns its `seq`.
    fn insert_security_review(&self, review: SecurityReviewRow) -> StorageFuture<'_, i64>;

    /// Every review recorded, in the order recorded.
    fn security_reviews(&self) -> StorageFuture<'_, Vec<SecurityReviewRow>>;

    // -- Subject attributes (schema 21) -----------------------------------------------------

    /// Set a subject's attribute, replacing its dates if it was set before. `false` when there
    /// is no such subject (nothing is written).
    fn set_subject_attribute(&self, row: SubjectAttributeRow) -> StorageFuture<'_, bool>;

    /// Remove a subject's attribute (recorded by mistake); `false` when it was not set.
    fn remove_subject_attribute<'a>(
        &'a self,
        subject_id: &'a str,
        attribute: &'a str,
    ) -> StorageFuture<'a, bool>;

    /// A subject's attributes, by attribute id.
    fn subject_attributes<'a>(
        &'a self,
        subject_id: &'a str,
    ) -> StorageFuture<'a, Vec<SubjectAttributeRow>>;

    // -- Tenant agreements (schema 22) --------------------------------------------------------

    /// Append a data processing agreement signed with a tenant; returns its `seq`.
    fn insert_tenant_agreement(&self, row: TenantAgreementRow) -> StorageFuture<'_, i64>;

    /// The agreements recorded for `tenant`, in the order recorded.
    fn tenant_agreements<'a>(
        &'a self,
        tenant: &'a str,
    ) -> StorageFuture<'a, Vec<TenantAgreementRow>>;

    // -- Audit chain (schema 3) -------------------------------------------------------------

    /// The newest entry of the audit chain, as its head row records it.
    fn audit_chain_head(&self) -> StorageFuture<'_, AuditChainHead>;

    /// Up to `limit` audit events matching `filter` with a seq above `after_seq`, in seq order,
    /// each with its chain hash: one page of an export, an API listing or a verification.
    fn audit_entries<'a>(
        &'a self,
        filter: &'a AuditFilter,
        after_seq: i64,
        limit: usize,
    ) -> StorageFuture<'a, Vec<ChainedAuditEvent>>;

    /// The audit entries with `after_seq < seq <= up_to_seq`, in seq order, encoded for the
    /// chain with their stored hashes, read in one snapshot: one stretch of what
    /// [`verify_audit_chain`] walks. Backends read a stretch in as few round trips as they can.
    fn audit_chain_links(&self, after_seq: i64, up_to_seq: i64) -> StorageFuture<'_, ChainLinks>;

    /// The chain head and the highest seq in the audit trail (0 when it is empty), read
    /// together: an entry above the head that the head does not know was added behind Skydd's
    /// back.
    fn audit_chain_tip(&self) -> StorageFuture<'_, (AuditChainHead, i64)>;

    /// One round of the audit trail's index by subject (migrations 15 and 24) over the events
    /// appended since the last rounds, in one transaction. On SQLite the next chunk of a span
    /// (up to 131,072 events past the mark, its entries sorted by subject): at least `limit`
    /// entries and whole subjects, the mark moved when the span is done (a span half written
    /// goes on after a restart). On PostgreSQL, whose index is kept in the commit, the mark
    /// moved by at most `limit` events. Returns how many events the round indexed (with, at a
    /// span's end, those that name no subject), 0 when the index was complete or, on SQLite,
    /// another process had gone on (the next round plans again). Rounds of two servers take
    /// turns; a search by subject is exact whether or not rounds run, only slower the further
    /// behind they are (`skydd-app`'s jobs run them).
    fn index_audit_subjects(&self, limit: usize) -> StorageFuture<'_, u64>;

    /// The subject index's mark: the seq up to which every event naming a subject has its
    /// entry. A search by subject scans the events above it.
    fn audit_subject_index_mark(&self) -> StorageFuture<'_, i64>;

    /// Store a signed checkpoint. Returns false when a checkpoint of that seq exists already.
    fn insert_audit_checkpoint(&self, checkpoint: AuditCheckpointRow) -> StorageFuture<'_, bool>;

    /// Every stored checkpoint, oldest first.
    fn audit_checkpoints(&self) -> StorageFuture<'_, Vec<AuditCheckpointRow>>;

    // -- Deletion (retention, erasure) ----------------------------------------------------------

    /// Up to `limit` records with an id above `after_id` (all when `None`), by id, each with its
    /// anchors and without its field values: one page of a retention sweep or plan.
    fn records_page<'a>(
        &'a self,
        after_id: Option<&'a str>,
        limit: usize,
    ) -> StorageFuture<'a, Vec<RecordSummary>>;

    /// The encrypted field values of those of the records `ids` that exist, by id (what a
    /// sweep anonymises).
    fn record_ciphertexts<'a>(
        &'a self,
        ids: &'a [String],
    ) -> StorageFuture<'a, Vec<(String, Vec<u8>)>>;

    /// How many records are stored (to show a sweep's progress).
    fn count_records(&self) -> StorageFuture<'_, u64>;

    /// In one transaction: delete the records of `deletion.delete`, replace those of
    /// `deletion.anonymise` by their anonymised remains, then shred every subject one of these
    /// records belonged to that has no record left (its key, identities and row go, see
    /// [`Storage::shred_subject`]), and append `deletion.audit` plus the event
    /// `deletion.shred_audit` builds from the shredded subject ids. Records already gone are
    /// skipped, so running the same deletion twice is harmless.
    fn delete_records(&self, deletion: RecordDeletion) -> StorageFuture<'_, RecordDeletionOutcome>;

    /// Delete a subject with its wrapped data key, identities and records, in one transaction
    /// (crypto-shredding: without the key, every copy of its ciphertext, backups included, is
    /// unreadable). Returns false when there is no such subject.
    fn shred_subject<'a>(&'a self, subject_id: &'a str) -> StorageFuture<'a, bool>;

    /// Anonymised record remains kept by retention, oldest first.
    fn anonymised_records(&self) -> StorageFuture<'_, Vec<AnonymisedRecordRow>>;

    /// Take the sweep lock, or `None` when another sweeper holds it: one sweeper at a time per
    /// database. On PostgreSQL a session advisory lock (per schema), across every server on the
    /// database; on SQLite an exclusive lock on the file `<database>.sweep-lock`. Either is
    /// released when its holder dies.
    fn try_sweep_lock(&self) -> StorageFuture<'_, Option<SweepLock>>;

    /// Release a sweep lock at once (dropping it releases it too, but only once the database
    /// notices the closed connection).
    fn release_sweep_lock(&self, lock: SweepLock) -> StorageFuture<'_, ()>;

    // -- Monitoring ----------------------------------------------------------------------------

    /// What monitoring counts at `now` (`/metrics`): open and overdue requests, queued and
    /// failed outbox messages. Four `COUNT`s in one statement; no personal data, no ids.
    fn operations_counts(&self, now: Timestamp) -> StorageFuture<'_, OperationsCounts>;

    /// The newest audit checkpoint (the highest seq), if any: one row, for monitoring, where
    /// [`Storage::audit_checkpoints`] would read every checkpoint.
    fn latest_audit_checkpoint(&self) -> StorageFuture<'_, Option<AuditCheckpointRow>>;

    /// The connection pool now: its connections open and idle. Reads nothing from the database.
    fn pool_status(&self) -> PoolStatus;

    // -- Backups -------------------------------------------------------------------------------

    /// Write a consistent copy of the whole database, as of one moment, to the new file
    /// `target` while other connections and processes keep reading and writing (`skydd
    /// backup`). The file must not exist. SQLite only: a PostgreSQL database is backed up
    /// with `pg_dump`, and this answers [`StorageError::Invalid`] saying so.
    fn backup_into<'a>(&'a self, target: &'a std::path::Path) -> StorageFuture<'a, ()>;

    /// Close the connection pool, waiting for connections in use.
    fn close(&self) -> StorageFuture<'_, ()>;
}

/// What [`Storage::operations_counts`] counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OperationsCounts {
    /// Data-subject requests not closed (neither completed nor rejected).
    pub open_requests: u64,
    /// Open requests whose deadline has passed.
    pub overdue_requests: u64,
    /// Outbox messages waiting for delivery (retries included).
    pub outbox_queued: u64,
    /// Outbox messages given up after permanent errors or too many attempts.
    pub outbox_failed: u64,
}

/// The connection pool at one moment ([`Storage::pool_status`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PoolStatus {
    /// Connections open, in use or idle.
    pub size: u32,
    /// Open connections not in use.
    pub idle: u32,
    /// The most connections the pool opens.
    pub max: u32,
}

/// Wakes a follower of the change log ([`Storage::listen_fact_changes`]). Dropping it stops
/// listening.
pub struct FactChangeListener {
    wakeups: Arc<tokio::sync::Notify>,
    task: tokio::task::JoinHandle<()>,
}

impl FactChangeListener {
    /// A listener whose `task` calls `notify_one` on `wakeups` for every change.
    pub(crate) fn new(
        wakeups: Arc<tokio::sync::Notify>,
        task: tokio::task::JoinHandle<()>,
    ) -> FactChangeListener {
        FactChangeListener { wakeups, task }
    }

    /// Wait for the next change (at once if one came since the last call): a hint to read the
    /// log now, not a promise that a row is there.
    pub async fn changed(&self) {
        self.wakeups.notified().await;
    }
}

impl Drop for FactChangeListener {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl std::fmt::Debug for FactChangeListener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FactChangeListener")
    }
}

/// Held while a sweep runs (see [`Storage::try_sweep_lock`]); dropping it releases the lock.
pub struct SweepLock {
    pub(crate) held: Box<dyn std::any::Any + Send>,
}

impl SweepLock {
    /// A lock held as long as `held` lives.
    pub(crate) fn holding(held: Box<dyn std::any::Any + Send>) -> SweepLock {
        SweepLock { held }
    }
}

impl std::fmt::Debug for SweepLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SweepLock")
    }
}

/// The schema version this build of Skydd migrates databases to (its newest migration).
pub const SCHEMA_VERSION: i64 = migration::LATEST_VERSION;

/// How long a SQLite writer waits for another connection or process to finish writing, unless
/// [`OpenOptions::busy_timeout`] says otherwise.
pub const DEFAULT_BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// How [`open_with`] opens a database, beyond where it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenOptions {
    /// How long a SQLite writer waits for a lock another connection or process holds before the
    /// operation fails with [`StorageError::Busy`]. PostgreSQL ignores it: there the database's
    /// own `lock_timeout`/`statement_timeout` (for example in the URL's `options`) decide, and
    /// their errors are [`StorageError::Busy`] too.
    pub busy_timeout: std::time::Duration,
    /// What a SQLite commit survives before it returns. PostgreSQL ignores it: there the
    /// server's `synchronous_commit` decides (on by default: a commit is on disk).
    pub durability: Durability,
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions {
            busy_timeout: DEFAULT_BUSY_TIMEOUT,
            durability: Durability::default(),
        }
    }
}

/// What a committed SQLite transaction survives by the time the commit returns, and so what
/// every acknowledged write (a consent, a withdrawal, an erasure, an audit event) survives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// A power cut or a crash of the operating system: each commit waits until the WAL is on
    /// disk (`synchronous = FULL`). The default: an acknowledged withdrawal of consent is never
    /// taken back, and neither is an erasure. A group commit shares the wait among its writes.
    #[default]
    PowerLoss,
    /// A crash of Skydd's process only (`synchronous = NORMAL`): the WAL reaches the disk at
    /// checkpoints, so a power cut may lose the last commits (never corrupt the file). Faster
    /// where syncing is slow; for a machine whose disk cache survives power loss, or data that
    /// can be written again.
    ProcessCrash,
}

/// Open (creating if needed) the database at `location` and apply pending migrations, with the
/// default [`OpenOptions`].
///
/// A SQLite file is created if missing, but not its directory. Several processes may open the
/// same SQLite file at once (for example a running server and a `skydd token` command, or two
/// servers): it is opened in WAL mode and a writer waits up to [`DEFAULT_BUSY_TIMEOUT`] for
/// another one. Several servers may open one PostgreSQL database at once; migrations run under
/// an advisory lock.
pub async fn open(location: &Location) -> Result<Arc<dyn Storage>, StorageError> {
    open_with(location, &OpenOptions::default()).await
}

/// [`open`] with `options`: a SQLite writer waits up to `options.busy_timeout` for a lock.
pub async fn open_with(
    location: &Location,
    options: &OpenOptions,
) -> Result<Arc<dyn Storage>, StorageError> {
    match location {
        Location::Sqlite(path) => Ok(Arc::new(sqlite::SqliteStorage::open(path, options).await?)),
        Location::Postgres(url) => Ok(Arc::new(postgres::PostgresStorage::open(url, None).await?)),
    }
}

/// Open a PostgreSQL database like [`open`], but keep all of Skydd's tables in `schema`: the
/// schema is created if needed, and every pooled connection gets `search_path` set to it.
///
/// This keeps Skydd apart from other applications sharing a database, and gives each test its
/// own fresh schema. `schema` must be a plain lowercase identifier (`a`–`z`, `0`–`9`, `_`, not
/// starting with a digit, at most 63 characters).
pub async fn open_postgres_in_schema(
    url: &str,
    schema: &str,
) -> Result<Arc<dyn Storage>, StorageError> {
    Ok(Arc::new(
        postgres::PostgresStorage::open(url, Some(schema)).await?,
    ))
}

/// Drop a PostgreSQL `schema` made by [`open_postgres_in_schema`], with all of Skydd's data in it.
/// Irreversible: meant for tests and for removing an installation. Close every storage opened on
/// the schema first.
pub async fn drop_postgres_schema(url: &str, schema: &str) -> Result<(), StorageError> {
    postgres::drop_schema(url, schema).await
}
