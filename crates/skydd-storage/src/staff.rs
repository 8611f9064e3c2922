//! Staff accounts of the console as stored (issue 17): the [`StaffStore`] operations and their
//! rows.
//!
//! The e-mail address arrives here only as a keyed blind index and a ciphertext, the TOTP
//! secret and a session's IP only as ciphertexts, passwords as argon2id PHC strings, recovery
//! codes and session secrets as hashes. Every step of a sign-in that must not happen twice (a
//! TOTP step, a recovery code, a pending session becoming full) is a compare-and-set inside one
//! transaction.

use jiff::Timestamp;

use crate::StorageFuture;

/// A staff account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffAccountRow {
    /// 32 lowercase hex digits, drawn by the app.
    pub id: String,
    /// Keyed blind index of the normalised e-mail address, 32 bytes; unique.
    pub email_blind_index: Vec<u8>,
    /// The e-mail address, sealed with the staff data key.
    pub email_ciphertext: Vec<u8>,
    /// `admin`, `dpo`, `support` or `auditor`.
    pub role: String,
    /// `active` or `disabled`.
    pub state: String,
    /// The argon2id PHC string; `None` for an account without a password.
    pub password_hash: Option<String>,
    /// The TOTP secret, sealed; `None` until enrolled (and after a reset).
    pub totp_ciphertext: Option<Vec<u8>>,
    /// The step of the last TOTP code accepted.
    pub totp_last_step: Option<u64>,
    /// Failed sign-ins since the last complete one.
    pub failed_attempts: u32,
    /// The last failed sign-in.
    pub last_failure_at: Option<Timestamp>,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it was last changed.
    pub updated_at: Timestamp,
    /// The last complete sign-in.
    pub last_sign_in_at: Option<Timestamp>,
    /// Recovery codes not used yet; read only (ignored when inserting).
    pub recovery_codes_left: u32,
}

/// A console session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffSessionRow {
    /// The public id the audit trail names (not secret).
    pub public_id: String,
    /// Hash of the session secret (the cookie), 32 bytes; unique.
    pub secret_hash: Vec<u8>,
    /// The account signed in.
    pub account_id: String,
    /// `second_factor`, `enrolment` or `full`.
    pub stage: String,
    /// When it began.
    pub created_at: Timestamp,
    /// Its last request (written at most once a minute).
    pub last_seen_at: Timestamp,
    /// The IP it began from, sealed.
    pub ip_ciphertext: Option<Vec<u8>>,
    /// A TOTP secret being enrolled, sealed.
    pub pending_totp_ciphertext: Option<Vec<u8>>,
    /// When it was ended (sign-out, timeout seen, account disabled).
    pub ended_at: Option<Timestamp>,
}

/// The second factor that completes a sign-in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StaffFactor {
    /// A TOTP code of `step`: accepted only if `step` is after the account's last step.
    Totp {
        /// The step the code matched.
        step: u64,
    },
    /// A recovery code with this hash: accepted only if it is unused; it is marked used.
    RecoveryCode {
        /// The code's hash.
        hash: Vec<u8>,
    },
    /// A TOTP secret enrolled (only if the account has none) with its first code's step, and
    /// the new recovery codes' hashes replacing any earlier ones.
    Enrolment {
        /// The secret, sealed.
        totp_ciphertext: Vec<u8>,
        /// The step of the code that confirmed it.
        step: u64,
        /// The hashes of the recovery codes issued.
        recovery_code_hashes: Vec<Vec<u8>>,
    },
}

/// A pending session completed by its second factor, in one transaction: all of it happens,
/// or (a replayed step, a used code, an ended or changed session, a disabled account) none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffSignIn {
    /// The account.
    pub account_id: String,
    /// The pending session.
    pub session_public_id: String,
    /// The stage the session must be in (`second_factor` or `enrolment`).
    pub from_stage: String,
    /// The hash of the session's new secret: the secret changes as the session becomes full.
    pub new_secret_hash: Vec<u8>,
    /// What completes it.
    pub factor: StaffFactor,
    /// The time of the sign-in: the account's last sign-in and the session's last request.
    pub now: Timestamp,
}

/// A privacy training a person completed (P000-63), as stored: appended, never changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffTrainingRow {
    /// The keyed blind index of the person's sign-in address (as an account's).
    pub email_blind_index: Vec<u8>,
    /// The day it was completed (ISO 8601 date).
    pub completed_on: String,
    /// The course, in words.
    pub course: String,
    /// Who recorded it (an actor id).
    pub recorded_by: String,
    /// When it was recorded.
    pub recorded_at: Timestamp,
}

/// Storage of staff accounts and console sessions; part of every [`crate::Storage`].
pub trait StaffStore: Send + Sync {
    /// Append a privacy training a person completed.
    fn insert_staff_training(&self, training: StaffTrainingRow) -> StorageFuture<'_, ()>;

    /// The trainings of the person whose address has this blind index, oldest first.
    fn staff_trainings<'a>(
        &'a self,
        email_blind_index: &'a [u8],
    ) -> StorageFuture<'a, Vec<StaffTrainingRow>>;

    /// Store a new account. An account with the same e-mail blind index is a
    /// [`crate::StorageError::Conflict`].
    fn insert_staff_account(&self, account: StaffAccountRow) -> StorageFuture<'_, ()>;

    /// The account with this id.
    fn staff_account<'a>(&'a self, id: &'a str) -> StorageFuture<'a, Option<StaffAccountRow>>;

    /// The account whose e-mail has this blind index.
    fn staff_account_by_email<'a>(
        &'a self,
        blind_index: &'a [u8],
    ) -> StorageFuture<'a, Option<StaffAccountRow>>;

    /// Every account, oldest first.
    fn staff_accounts(&self) -> StorageFuture<'_, Vec<StaffAccountRow>>;

    /// Set an account's state; disabling also ends its sessions. Returns false without such an
    /// account.
    fn set_staff_account_state<'a>(
        &'a self,
        id: &'a str,
        state: &'a str,
        now: Timestamp,
    ) -> StorageFuture<'a, bool>;

    /// Set an account's role (single sign-on sets it from the provider's claim at each
    /// sign-in). Returns false without such an account.
    fn set_staff_role<'a>(
        &'a self,
        id: &'a str,
        role: &'a str,
        now: Timestamp,
    ) -> StorageFuture<'a, bool>;

    /// Set an account's password hash and end its sessions but `keep_session` (the session that
    /// changed it, if any). Returns false without such an account.
    fn set_staff_password<'a>(
        &'a self,
        id: &'a str,
        password_hash: &'a str,
        keep_session: Option<&'a str>,
        now: Timestamp,
    ) -> StorageFuture<'a, bool>;

    /// Clear an account's TOTP secret and last step, delete its recovery codes and end its
    /// sessions, so the next sign-in enrols again. Returns false without such an account.
    fn reset_staff_totp<'a>(&'a self, id: &'a str, now: Timestamp) -> StorageFuture<'a, bool>;

    /// Count one failed sign-in at `now`; returns the failures now counted (0 without such an
    /// account).
    fn record_staff_failure<'a>(&'a self, id: &'a str, now: Timestamp) -> StorageFuture<'a, u32>;

    /// Store a new session.
    fn insert_staff_session(&self, session: StaffSessionRow) -> StorageFuture<'_, ()>;

    /// The session whose secret has this hash, ended or not.
    fn staff_session<'a>(
        &'a self,
        secret_hash: &'a [u8],
    ) -> StorageFuture<'a, Option<StaffSessionRow>>;

    /// Record `now` as the last request of a session that has not ended.
    fn touch_staff_session<'a>(
        &'a self,
        public_id: &'a str,
        now: Timestamp,
    ) -> StorageFuture<'a, ()>;

    /// End a session. Returns false when it had ended already or does not exist.
    fn end_staff_session<'a>(
        &'a self,
        public_id: &'a str,
        now: Timestamp,
    ) -> StorageFuture<'a, bool>;

    /// End every session of an account that has not ended; returns how many.
    fn end_staff_sessions<'a>(
        &'a self,
        account_id: &'a str,
        now: Timestamp,
    ) -> StorageFuture<'a, u64>;

    /// The sessions of an account that have not ended, newest first.
    fn staff_sessions_of<'a>(
        &'a self,
        account_id: &'a str,
    ) -> StorageFuture<'a, Vec<StaffSessionRow>>;

    /// Keep a TOTP secret being enrolled (sealed) in a session in stage `enrolment` that has
    /// not ended. Returns false when there is no such session.
    fn set_staff_pending_totp<'a>(
        &'a self,
        public_id: &'a str,
        ciphertext: Vec<u8>,
    ) -> StorageFuture<'a, bool>;

    /// The hashes of an account's recovery codes not used yet.
    fn staff_recovery_codes<'a>(&'a self, account_id: &'a str) -> StorageFuture<'a, Vec<Vec<u8>>>;

    /// Complete a sign-in ([`StaffSignIn`]): the factor's compare-and-set, the failures reset
    /// and the last sign-in set, the session made `full` with its new secret hash. Returns
    /// false, changing nothing, when any part does not hold.
    fn complete_staff_sign_in(&self, sign_in: StaffSignIn) -> StorageFuture<'_, bool>;
}
