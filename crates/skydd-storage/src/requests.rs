//! Data-subject requests as stored: the [`RequestStore`] operations and their rows.
//!
//! A request's personal values (the identity it was made with, details such as corrections)
//! arrive here only as ciphertext under the request's own data key and as a keyed blind index;
//! verification codes only as hashes; identity documents and outbox messages as ciphertext
//! under a key of their own. Every operation that changes several rows does so in one
//! transaction, and every change of a request appends a [`RequestEventRow`] in the same
//! transaction.
//!
//! Of the primitives for the vault's own data that erasure and rectification use,
//! [`RequestStore::rectify_record`] is here; [`crate::Storage::delete_records`] and
//! [`crate::Storage::shred_subject`] are in [`crate::Storage`].

use jiff::Timestamp;

use crate::{MentionRow, RecordRow, SubjectRow};
use crate::{StorageError, StorageFuture};

/// A data-subject request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestRow {
    /// The request's id, drawn by the vault (32 lowercase hex digits); opaque to storage.
    pub id: String,
    /// The request type ("access", "erasure", ...).
    pub request_type: String,
    /// The state ("received", "verifying", ...).
    pub state: String,
    /// How it arrived ("web", "email", "letter", "phone", "api").
    pub channel: String,
    /// The tenant whose subject it concerns (processor mode), if any.
    pub tenant: Option<String>,
    /// The subject it concerns, once the identity matched one.
    pub subject_id: Option<String>,
    /// The kind of identity the request was made with.
    pub identity_kind: String,
    /// Keyed blind index of that identity, 32 bytes.
    pub identity_blind_index: Vec<u8>,
    /// The master key version that wrapped the request's data key.
    pub key_version: u32,
    /// The request's data key, wrapped.
    pub wrapped_key: Vec<u8>,
    /// The identity, encrypted with the request's data key.
    pub identity_ciphertext: Vec<u8>,
    /// Details given with the request (purpose objected to, corrections), encrypted.
    pub details_ciphertext: Option<Vec<u8>>,
    /// When the controller received it (the deadline counts from here).
    pub received_at: Timestamp,
    /// The end of the due day.
    pub due_at: Timestamp,
    /// The due date before rolling to a working day (ISO date).
    pub unrolled_due: String,
    /// Months the deadline was extended by (0, 1 or 2).
    pub extended_months: u32,
    /// A tenant's subject: the tenant decides, Skydd does not fulfil on its own authority.
    pub routed_to_controller: bool,
    /// Why an admin must decide (fee or refusal, Art. 12(5)), if so.
    pub needs_decision: Option<String>,
    /// Reasons given for an extension or a rejection (the controller's words).
    pub reasons: Option<String>,
    /// What fulfilment did (JSON without personal values), once done.
    pub outcome: Option<String>,
    /// When the row was last written (the `now` of the latest change).
    pub updated_at: Timestamp,
    /// When it was completed or rejected.
    pub closed_at: Option<Timestamp>,
    /// Who works the request (a staff account id or a token id), if anyone. Written only by
    /// [`RequestStore::assign_request`]; [`RequestStore::change_request`] leaves it alone.
    pub assignee: Option<String>,
}

/// One change of a request, append-only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestEventRow {
    /// Position, assigned by storage (ignored when appending).
    pub seq: i64,
    /// The id of the request that changed ([`RequestRow::id`]).
    pub request_id: String,
    /// When the change was made.
    pub at: Timestamp,
    /// Who (token id, `cli`, `subject`, `system`).
    pub actor: String,
    /// What ("received", "code_sent", "verified", "extended", "fulfilled", ...).
    pub action: String,
    /// The state before, `None` for the first event.
    pub from_state: Option<String>,
    /// The state after; the same as `from_state` for an event that changes no state (a letter
    /// sent on the way).
    pub to_state: String,
    /// More, never a personal value.
    pub detail: Option<String>,
}

/// The one-time code of a request, as its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerificationCodeRow {
    /// The id of the request the code verifies; one code per request.
    pub request_id: String,
    /// SHA-256 of the code.
    pub code_hash: Vec<u8>,
    /// Wrong codes presented so far.
    pub attempts: u32,
    /// When it was issued.
    pub issued_at: Timestamp,
}

/// An identity document, encrypted with its own key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestDocumentRow {
    /// The document's id, drawn by the vault (32 lowercase hex digits); opaque to storage.
    pub id: String,
    /// The id of the request the document was uploaded for.
    pub request_id: String,
    /// The media type given at upload ("image/jpeg", "application/pdf").
    pub media_type: String,
    /// The master key version that wrapped the document key.
    pub key_version: u32,
    /// The document key, wrapped.
    pub wrapped_key: Vec<u8>,
    /// The document, encrypted.
    pub ciphertext: Vec<u8>,
    /// When it was uploaded.
    pub uploaded_at: Timestamp,
}

/// A message to a data subject, encrypted with its own key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxMessageRow {
    /// The message's id, 32 lowercase hex digits: random for a request's letter, derived from
    /// what it announces for an announcement. Opaque to storage.
    pub id: String,
    /// The request it belongs to, if any.
    pub request_id: Option<String>,
    /// Which letter ("verification_code", "received", "extension", ...).
    pub kind: String,
    /// The master key version that wrapped the message key.
    pub key_version: u32,
    /// The message key, wrapped.
    pub wrapped_key: Vec<u8>,
    /// The address, encrypted.
    pub address_ciphertext: Vec<u8>,
    /// Subject line and text, encrypted.
    pub body_ciphertext: Vec<u8>,
    /// "queued", "sent" or "failed" (given up).
    pub state: String,
    /// Delivery attempts so far.
    pub attempts: u32,
    /// When to try next (queued messages).
    pub next_attempt_at: Timestamp,
    /// When it was queued.
    pub created_at: Timestamp,
    /// When it was sent.
    pub sent_at: Option<Timestamp>,
    /// The last delivery error (never an address or body).
    pub last_error: Option<String>,
}

/// What a request did in one connected database (issue 16): one row per request, system and
/// action, replaced as the step is retried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestSystemRow {
    /// The request.
    pub request_id: String,
    /// The system: a dataset's name.
    pub system: String,
    /// `access`, `erasure`, `rectification`, `restriction` or `objection`.
    pub action: String,
    /// `pending`, `done`, `failed` or `skipped`.
    pub state: String,
    /// Why it failed or was skipped (no personal value); `None` otherwise.
    pub reason: Option<String>,
    /// The receipt (JSON), sealed with the request's data key by the vault.
    pub receipt_ciphertext: Vec<u8>,
    /// When the outcome was last written.
    pub updated_at: Timestamp,
}

/// A notification owed to a recipient (Art. 19).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecipientNotificationRow {
    /// The notification's id, drawn by the vault (32 lowercase hex digits); opaque to storage.
    pub id: String,
    /// The request that caused it.
    pub request_id: String,
    /// The register's recipient id.
    pub recipient: String,
    /// "rectified", "erased" or "restricted".
    pub action: String,
    /// The categories concerned, comma separated.
    pub categories: String,
    /// A pseudonymous reference to the subject (never an identity).
    pub subject_reference: String,
    /// The letter's subject line.
    pub letter_subject: String,
    /// The letter's text.
    pub letter_text: String,
    /// "manual" (no address: the DPO sends it by hand), "queued" (in the outbox) or "sent" (the
    /// outbox delivered it).
    pub state: String,
    /// When it was owed: the `now` of the request change that caused it.
    pub created_at: Timestamp,
    /// The outbox message delivering it, queued in the same transaction (absent when manual).
    pub outbox_message_id: Option<String>,
}

/// A new request with what goes with it, stored in one transaction.
#[derive(Debug, Clone)]
pub struct NewRequestRows {
    /// The request as first stored.
    pub request: RequestRow,
    /// Its first event, with no `from_state`.
    pub event: RequestEventRow,
    /// Events appended after the first in the same transaction (a request the privacy centre
    /// creates already verified: `verified` right after `received`); usually none.
    pub later_events: Vec<RequestEventRow>,
    /// A verification code issued at once, if any.
    pub code: Option<VerificationCodeRow>,
    /// Messages to queue.
    pub outbox: Vec<OutboxMessageRow>,
}

/// A change of a request, applied in one transaction only if the request is still in
/// `expected_state` (compare and set).
#[derive(Debug, Clone)]
pub struct RequestChange {
    /// The request as it is to be stored (every mutable column is written).
    pub request: RequestRow,
    /// The state the stored request must be in.
    pub expected_state: String,
    /// The event describing the change.
    pub event: RequestEventRow,
    /// Messages to queue.
    pub outbox: Vec<OutboxMessageRow>,
    /// Recipient notifications to queue.
    pub notifications: Vec<RecipientNotificationRow>,
    /// Replace the verification code (`Some`), or keep it (`None`).
    pub new_code: Option<VerificationCodeRow>,
    /// Delete the verification code and every identity document (bytes and keys).
    pub destroy_evidence: bool,
}

/// Which requests to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestFilter {
    /// Only requests in this state (a state word such as "verifying"); `None` for any state.
    pub state: Option<String>,
    /// Only requests not completed or rejected.
    pub open_only: bool,
    /// Only requests due before this instant.
    pub due_before: Option<Timestamp>,
    /// Only this tenant's requests.
    pub tenant: Option<String>,
    /// Only requests assigned to this id.
    pub assignee: Option<String>,
    /// Only requests assigned to nobody.
    pub unassigned: bool,
}

/// Storage of data-subject requests; part of every [`crate::Storage`].
pub trait RequestStore: Send + Sync {
    /// Store a new request with its first event, code and messages, all or nothing.
    fn insert_request(&self, rows: NewRequestRows) -> StorageFuture<'_, ()>;

    /// The request with this id.
    fn get_request<'a>(&'a self, id: &'a str) -> StorageFuture<'a, Option<RequestRow>>;

    /// Requests matching `filter`, by due time then id.
    fn list_requests(&self, filter: RequestFilter) -> StorageFuture<'_, Vec<RequestRow>>;

    /// The requests about a subject, by receipt.
    fn requests_of_subject<'a>(&'a self, subject_id: &'a str)
    -> StorageFuture<'a, Vec<RequestRow>>;

    /// The requests made with the identity whose blind index is `blind_index` (any kind; the
    /// index separates kinds), by receipt: how the privacy centre finds the requests of a
    /// person the vault holds no subject for.
    fn requests_with_identity<'a>(
        &'a self,
        blind_index: &'a [u8],
    ) -> StorageFuture<'a, Vec<RequestRow>>;

    /// Apply `change` if the request is still in its expected state. Returns false (and
    /// changes nothing) when it is not, or there is no such request.
    fn change_request(&self, change: RequestChange) -> StorageFuture<'_, bool>;

    /// Assign the request `event.request_id` to `assignee` (`None`: to nobody) and append
    /// `event`, in one transaction, if the request is open and still in `event.to_state`.
    /// Returns false (and changes nothing) otherwise.
    fn assign_request(
        &self,
        assignee: Option<String>,
        event: RequestEventRow,
    ) -> StorageFuture<'_, bool>;

    /// The events of a request, in order.
    fn request_events<'a>(&'a self, id: &'a str) -> StorageFuture<'a, Vec<RequestEventRow>>;

    /// The verification code of a request.
    fn verification_code<'a>(
        &'a self,
        request_id: &'a str,
    ) -> StorageFuture<'a, Option<VerificationCodeRow>>;

    /// Count one wrong attempt at the code; returns the attempts now counted (0 without a code).
    fn count_code_attempt<'a>(&'a self, request_id: &'a str) -> StorageFuture<'a, u32>;

    /// Store an identity document of an open request.
    fn insert_request_document(&self, document: RequestDocumentRow) -> StorageFuture<'_, ()>;

    /// The identity documents of a request.
    fn request_documents<'a>(
        &'a self,
        request_id: &'a str,
    ) -> StorageFuture<'a, Vec<RequestDocumentRow>>;

    /// How many identity documents a request holds (none read).
    fn count_request_documents<'a>(&'a self, request_id: &'a str) -> StorageFuture<'a, u64>;

    /// Messages in `state` (all when `None`), oldest first.
    fn outbox_messages<'a>(
        &'a self,
        state: Option<&'a str>,
    ) -> StorageFuture<'a, Vec<OutboxMessageRow>>;

    /// The messages about one request, in any state, oldest first and those of one moment by
    /// kind (the request page's letters).
    fn request_messages<'a>(
        &'a self,
        request_id: &'a str,
    ) -> StorageFuture<'a, Vec<OutboxMessageRow>>;

    /// The message with this id, if any (for reading one message's body on demand).
    fn outbox_message<'a>(&'a self, id: &'a str) -> StorageFuture<'a, Option<OutboxMessageRow>>;

    /// Queue messages that belong to no request (the communication of a breach, a notice of
    /// change), all in one transaction. A message whose id is already queued is skipped, so
    /// queueing the same messages again (a rerun after a crash) sends nothing twice. Returns how
    /// many were newly queued.
    fn queue_messages(&self, messages: Vec<OutboxMessageRow>) -> StorageFuture<'_, u64>;

    /// Which of `ids` are already in the outbox, in any state: lets a rerun of a mass mailing
    /// skip the subjects it already wrote to without decrypting or sealing anything for them.
    fn queued_message_ids(&self, ids: Vec<String>) -> StorageFuture<'_, Vec<String>>;

    /// Up to `limit` subjects with an id above `after_id` (all when `None`), by id: one page of
    /// a walk over every subject (announcing a change of the notice).
    fn subjects_page<'a>(
        &'a self,
        after_id: Option<&'a str>,
        limit: usize,
    ) -> StorageFuture<'a, Vec<SubjectRow>>;

    /// Up to `limit` queued messages whose next attempt is due at `now`.
    fn outbox_due(&self, now: Timestamp, limit: usize) -> StorageFuture<'_, Vec<OutboxMessageRow>>;

    /// Record a delivery attempt: the message's new state, attempts, next attempt, sent time and
    /// error. Returns false when there is no such queued message. A recipient notification the
    /// message delivers becomes "sent" or "failed" with it, in the same transaction.
    fn record_outbox_attempt(&self, message: OutboxMessageRow) -> StorageFuture<'_, bool>;

    /// The recipient notifications of a request.
    fn recipient_notifications<'a>(
        &'a self,
        request_id: &'a str,
    ) -> StorageFuture<'a, Vec<RecipientNotificationRow>>;

    /// Write the outcome of a request in one connected system for one action, replacing the
    /// one written before for the same request, system and action (a retried step).
    fn put_request_system(&self, row: RequestSystemRow) -> StorageFuture<'_, ()>;

    /// The outcomes of a request in the connected systems, by system and action.
    fn request_systems<'a>(
        &'a self,
        request_id: &'a str,
    ) -> StorageFuture<'a, Vec<RequestSystemRow>>;

    /// Replace a record's values in one transaction (a rectification, or an erasure redacting
    /// a person from another's free text): the new ciphertext, the revision to keep in the
    /// subject's history if any, and the identities the new text mentions in place of the old.
    /// Returns false, and writes nothing, when there is no such record.
    fn rewrite_record(&self, rewrite: RecordRewrite) -> StorageFuture<'_, bool>;

    /// The records of any subject whose free text mentions one of `mentions` (kind and blind
    /// index), oldest first, each once; their `mentions` are left empty.
    fn records_mentioning<'a>(
        &'a self,
        mentions: &'a [MentionRow],
    ) -> StorageFuture<'a, Vec<RecordRow>>;

    /// The revisions of the records of `subject_id` (what rectifications replaced), oldest
    /// first. A record's revisions go with it when it is deleted.
    fn record_revisions<'a>(
        &'a self,
        subject_id: &'a str,
    ) -> StorageFuture<'a, Vec<RecordRevisionRow>>;
}

/// New values for a stored record, written by [`RequestStore::rewrite_record`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordRewrite {
    /// The record.
    pub record_id: String,
    /// Its new values, sealed as the record's values are.
    pub ciphertext: Vec<u8>,
    /// What the rewrite replaced, kept in the subject's history (a rectification); `None`
    /// when nothing may be kept (an erasure redacting someone else).
    pub revision: Option<RecordRevisionRow>,
    /// The identities the free text mentions, in the new values and in every revision the
    /// record keeps (a revision's old text is still held, so a person it names is still found).
    pub mentions: Vec<MentionRow>,
    /// Earlier revisions of the record rewritten too, by `seq` (an erasure redacting someone
    /// from the history as well); a `seq` of another record's revision is left alone.
    pub revisions: Vec<RevisionRewrite>,
}

/// New sealed values for one kept revision of a record (see [`RecordRewrite::revisions`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevisionRewrite {
    /// The revision ([`RecordRevisionRow::seq`]).
    pub seq: i64,
    /// Its previous values, sealed again.
    pub ciphertext: Vec<u8>,
}

/// The values one rectification replaced in one record (Art. 16), kept in the subject's
/// history: the previous values of the changed fields, sealed under the subject's data key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordRevisionRow {
    /// The revision's place in the record history, assigned by storage: set when read,
    /// ignored when written.
    pub seq: i64,
    /// The record corrected.
    pub record_id: String,
    /// The request that corrected it, if a request did.
    pub request_id: Option<String>,
    /// When the values were replaced.
    pub replaced_at: Timestamp,
    /// The names of the fields changed (register field ids, never values).
    pub fields: Vec<String>,
    /// The previous values of those fields, sealed (a JSON object by field id).
    pub ciphertext: Vec<u8>,
}

/// Check the rows of a new request.
pub(crate) fn check_new_request(rows: &NewRequestRows) -> Result<(), StorageError> {
    crate::rows::check_blind_index(&rows.request.identity_blind_index)?;
    if rows.event.request_id != rows.request.id
        || rows
            .later_events
            .iter()
            .any(|e| e.request_id != rows.request.id)
        || rows
            .code
            .as_ref()
            .is_some_and(|c| c.request_id != rows.request.id)
    {
        return Err(StorageError::Invalid(
            "insert a request: an event or code belongs to another request".into(),
        ));
    }
    Ok(())
}

/// Check the rows of a request change.
pub(crate) fn check_change(change: &RequestChange) -> Result<(), StorageError> {
    let id = &change.request.id;
    if &change.event.request_id != id
        || change.notifications.iter().any(|n| &n.request_id != id)
        || change
            .new_code
            .as_ref()
            .is_some_and(|c| &c.request_id != id)
    {
        return Err(StorageError::Invalid(
            "change a request: an event, code or notification belongs to another request".into(),
        ));
    }
    Ok(())
}
