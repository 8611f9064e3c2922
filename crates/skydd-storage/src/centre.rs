//! The privacy centre as stored (issue 18): the [`CentreStore`] operations and their rows.
//!
//! A sign-in arrives here with keyed hashes of its code, its magic link's token and its
//! browser's secret, and the identities it is for as one ciphertext; a session with the keyed
//! hash of its secret. What must happen once (a code counted, a sign-in ended as its session
//! opens) is a compare-and-set, the opening of a session one transaction.

use jiff::Timestamp;

use crate::{OutboxMessageRow, StorageFuture};

/// A privacy centre sign-in waiting for its code or magic link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CentreSignInRow {
    /// The public id the code form names: 32 lowercase hex digits, drawn by the app.
    pub public_id: String,
    /// Keyed hash of the code, 32 bytes.
    pub code_hash: Vec<u8>,
    /// Keyed hash of the magic link's token, 32 bytes; unique.
    pub link_hash: Vec<u8>,
    /// Keyed hash of the secret of the browser that asked, 32 bytes.
    pub browser_hash: Vec<u8>,
    /// The vault subject the identities reach, if any.
    pub subject_id: Option<String>,
    /// The identities the sign-in is for, sealed (an empty list for identities nobody knows).
    pub identities_ciphertext: Vec<u8>,
    /// What the person came to do (`overview` or `request:<type>`).
    pub intent: String,
    /// When the code and the link stop working.
    pub expires_at: Timestamp,
    /// Wrong codes it still takes.
    pub attempts_left: u32,
    /// When it was used, or ended by its last wrong code.
    pub ended_at: Option<Timestamp>,
    /// When it began.
    pub created_at: Timestamp,
}

/// A privacy centre session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CentreSessionRow {
    /// The public id the audit trail names (`centre:<public id>`): 32 lowercase hex digits.
    pub public_id: String,
    /// Keyed hash of the session secret (the cookie), 32 bytes; unique.
    pub secret_hash: Vec<u8>,
    /// The vault subject the identities reach, if any.
    pub subject_id: Option<String>,
    /// The identities verified, sealed.
    pub identities_ciphertext: Vec<u8>,
    /// What the person came to do.
    pub intent: String,
    /// When it began.
    pub created_at: Timestamp,
    /// Its last request (written at most once a minute).
    pub last_seen_at: Timestamp,
    /// When it was ended (sign-out, timeout seen).
    pub ended_at: Option<Timestamp>,
}

/// Which rows [`CentreStore::delete_stale_centre_rows`] deletes besides ended ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CentreCutoffs {
    /// Sign-ins that expire at or before this instant.
    pub sign_ins_expired_by: Timestamp,
    /// Sessions last seen at or before this instant (idle too long).
    pub sessions_idle_since: Timestamp,
    /// Sessions begun at or before this instant (too old).
    pub sessions_begun_by: Timestamp,
}

/// Storage of the privacy centre's sign-ins and sessions; part of every [`crate::Storage`].
pub trait CentreStore: Send + Sync {
    /// Store a new sign-in and, in the same transaction, the message that carries its code
    /// and link (none for identities nobody knows).
    fn insert_centre_sign_in(
        &self,
        sign_in: CentreSignInRow,
        message: Option<OutboxMessageRow>,
    ) -> StorageFuture<'_, ()>;

    /// The sign-in with this public id, ended or not.
    fn centre_sign_in<'a>(
        &'a self,
        public_id: &'a str,
    ) -> StorageFuture<'a, Option<CentreSignInRow>>;

    /// The sign-in whose magic link's token has this keyed hash, ended or not.
    fn centre_sign_in_by_link<'a>(
        &'a self,
        link_hash: &'a [u8],
    ) -> StorageFuture<'a, Option<CentreSignInRow>>;

    /// Count one wrong code of a sign-in that has not ended at `now`: the attempts left, the
    /// sign-in ended when none are. `None` when it had ended or has no attempts left.
    fn count_centre_code_attempt<'a>(
        &'a self,
        public_id: &'a str,
        now: Timestamp,
    ) -> StorageFuture<'a, Option<u32>>;

    /// In one transaction: end the sign-in `sign_in` (only if it has not ended, has not
    /// expired at `now` and has attempts left) and store `session`. Returns false, storing
    /// nothing, when the sign-in could not be ended (used or expired meanwhile).
    fn open_centre_session<'a>(
        &'a self,
        sign_in: &'a str,
        session: CentreSessionRow,
        now: Timestamp,
    ) -> StorageFuture<'a, bool>;

    /// The session whose secret has this keyed hash, ended or not.
    fn centre_session<'a>(
        &'a self,
        secret_hash: &'a [u8],
    ) -> StorageFuture<'a, Option<CentreSessionRow>>;

    /// The session with this public id, ended or not.
    fn centre_session_by_id<'a>(
        &'a self,
        public_id: &'a str,
    ) -> StorageFuture<'a, Option<CentreSessionRow>>;

    /// Record `now` as the last request of a session that has not ended.
    fn touch_centre_session<'a>(
        &'a self,
        public_id: &'a str,
        now: Timestamp,
    ) -> StorageFuture<'a, ()>;

    /// End a session. Returns false when it had ended already or does not exist.
    fn end_centre_session<'a>(
        &'a self,
        public_id: &'a str,
        now: Timestamp,
    ) -> StorageFuture<'a, bool>;

    /// Delete every ended sign-in and session and those past `cutoffs`; returns how many rows.
    fn delete_stale_centre_rows(&self, cutoffs: CentreCutoffs) -> StorageFuture<'_, u64>;
}
