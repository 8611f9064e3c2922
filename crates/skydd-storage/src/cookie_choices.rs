//! The consent ledger's cookie table as stored (issue 18): the [`CookieChoiceStore`] operations
//! and their row.
//!
//! A browser's id arrives here only as a keyed blind index, its IP address and user agent only
//! as one ciphertext; the lists hold register ids. Rows are appended and read, never changed
//! (`cookie_choices` refuses UPDATE on both backends); retention deletes the oldest, a batch
//! and its audit proof in one transaction.

use std::collections::BTreeMap;

use jiff::Timestamp;

use crate::{AuditEventRow, StorageFuture};

/// The audit event proving one batch of deleted cookie choices, made from the number deleted;
/// stored in the deletion's transaction.
pub type ChoicesDeletedAudit = Box<dyn FnOnce(u64) -> AuditEventRow + Send>;

/// One choice a browser made in the consent banner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CookieChoiceRow {
    /// Position in the ledger; ignored when appending.
    pub seq: i64,
    /// Keyed blind index of the browser's pseudonymous id, 32 bytes.
    pub browser_index: Vec<u8>,
    /// When the server received it.
    pub at: Timestamp,
    /// Always `banner`.
    pub method: String,
    /// `accept_all`, `reject_all`, `custom`, `withdraw` or `service`.
    pub action: String,
    /// Cookie category ids given.
    pub given: Vec<String>,
    /// Cookie category ids refused.
    pub refused: Vec<String>,
    /// Single services allowed (`true`) or refused (`false`), by cookie service id.
    pub services: BTreeMap<String, bool>,
    /// The browser sent Global Privacy Control.
    pub gpc: bool,
    /// The browser sent Do Not Track.
    pub dnt: bool,
    /// The banner revision it was made under.
    pub revision: String,
    /// The register version it was made under.
    pub notice_version: String,
    /// `en` or `sv`.
    pub language: String,
    /// The visitor's IP address and user agent, sealed.
    pub context_ciphertext: Option<Vec<u8>>,
}

/// Storage of the banner's choices; part of every [`crate::Storage`].
pub trait CookieChoiceStore: Send + Sync {
    /// Append a choice; returns its `seq`.
    fn append_cookie_choice(&self, choice: CookieChoiceRow) -> StorageFuture<'_, i64>;

    /// Every choice of the browser whose id has this blind index, newest first.
    fn cookie_choices_of<'a>(
        &'a self,
        browser_index: &'a [u8],
    ) -> StorageFuture<'a, Vec<CookieChoiceRow>>;

    /// Delete up to `limit` choices made before `before`, oldest first, and append the audit
    /// event `audit` makes of the number deleted, in one transaction (no event when none was
    /// deleted). Returns how many were deleted.
    fn delete_cookie_choices_before(
        &self,
        before: Timestamp,
        limit: usize,
        audit: ChoicesDeletedAudit,
    ) -> StorageFuture<'_, u64>;
}
