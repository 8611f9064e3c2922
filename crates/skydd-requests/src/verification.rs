//! One-time codes that prove a requester controls a known identity (an e-mail address or a
//! phone number the controller already has).
//!
//! Only a labelled SHA-256 hash of a code is stored. A code is short-lived and allows a few
//! attempts; comparison is constant-time. The caller draws the random bytes, stores the hash,
//! the time of issue and the attempts, and sends the code through the outbox.
//!
//! What the hash does not protect: 10^8 codes can be tried offline in seconds, so someone who
//! reads the database while a code is live could find it. That is why codes live thirty minutes
//! and are useless once the request is verified; the hash keeps codes out of backups and logs,
//! it is not a password hash.

use jiff::{SignedDuration, Timestamp};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Makes and hashes the eight-digit one-time codes that verify a requester's identity.
pub struct VerificationCode;

/// Digits in a code.
pub const CODE_DIGITS: usize = 8;

/// Domain separation for the hash, so a code's hash is not a plain SHA-256 of eight digits.
const HASH_LABEL: &[u8] = b"skydd verification code v1\0";

impl VerificationCode {
    /// A new code from eight random bytes: `CODE_DIGITS` decimal digits and the hash to store.
    ///
    /// The bias of reducing 64 random bits modulo 10^8 is below 10^-11.
    pub fn generate(random: &[u8; 8]) -> (String, [u8; 32]) {
        let value = u64::from_le_bytes(*random) % 100_000_000;
        let code = format!("{value:08}");
        let hash = Self::hash(&code);
        (code, hash)
    }

    /// The hash stored for `code` (digits only, as generated).
    pub fn hash(code: &str) -> [u8; 32] {
        let mut hasher = Sha256::new();
        hasher.update(HASH_LABEL);
        hasher.update(code.as_bytes());
        hasher.finalize().into()
    }
}

/// How many attempts a code allows and how long it lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VerificationPolicy {
    /// Wrong codes allowed before the code is locked; a new code must then be issued.
    pub max_attempts: u32,
    /// How long a code is valid after it was issued.
    pub ttl: SignedDuration,
}

impl Default for VerificationPolicy {
    /// Five attempts within thirty minutes.
    fn default() -> Self {
        VerificationPolicy {
            max_attempts: 5,
            ttl: SignedDuration::from_mins(30),
        }
    }
}

/// Why a presented code was not accepted. The messages never repeat the code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// Not the code that was sent; counts as an attempt.
    #[error("the code is wrong; {attempts_left} attempts left")]
    Wrong {
        /// Attempts left after this one.
        attempts_left: u32,
    },
    /// Issued too long ago; ask for a new code.
    #[error("the code has expired; ask for a new code")]
    Expired,
    /// All attempts were used; ask for a new code.
    #[error("too many wrong codes; ask for a new code")]
    TooManyAttempts,
    /// Not a code at all (not eight digits); does not count as an attempt.
    #[error("a code is {CODE_DIGITS} digits (spaces and hyphens are ignored)")]
    Malformed,
}

impl VerifyError {
    /// Whether this answer used up one attempt (the caller increments its counter).
    pub fn counts_as_attempt(self) -> bool {
        matches!(self, VerifyError::Wrong { .. })
    }
}

/// Check `presented` against the stored hash of a code issued at `issued_at`, after
/// `attempts_so_far` wrong attempts, at `now`.
///
/// Checked in this order: attempts used up, expired, malformed, wrong. A code is valid until
/// (not including) `issued_at + ttl`. Spaces and hyphens in `presented` are ignored.
pub fn check(
    presented: &str,
    stored_hash: &[u8; 32],
    attempts_so_far: u32,
    issued_at: Timestamp,
    now: Timestamp,
    policy: VerificationPolicy,
) -> Result<(), VerifyError> {
    if attempts_so_far >= policy.max_attempts {
        return Err(VerifyError::TooManyAttempts);
    }
    let expires_at = issued_at.checked_add(policy.ttl).unwrap_or(Timestamp::MAX);
    if now >= expires_at || now < issued_at {
        return Err(VerifyError::Expired);
    }
    let digits: String = presented
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '\u{a0}'))
        .collect();
    if digits.len() != CODE_DIGITS || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(VerifyError::Malformed);
    }
    let hash = VerificationCode::hash(&digits);
    if bool::from(hash.ct_eq(stored_hash)) {
        Ok(())
    } else {
        Err(VerifyError::Wrong {
            attempts_left: policy.max_attempts - attempts_so_far - 1,
        })
    }
}

impl VerificationCode {
    /// [`check`] as an associated function.
    pub fn check(
        presented: &str,
        stored_hash: &[u8; 32],
        attempts_so_far: u32,
        issued_at: Timestamp,
        now: Timestamp,
        policy: VerificationPolicy,
    ) -> Result<(), VerifyError> {
        check(
            presented,
            stored_hash,
            attempts_so_far,
            issued_at,
            now,
            policy,
        )
    }
}

/// Whether a requester whose control of an e-mail address or phone number was proved (the
/// intake code, or the privacy centre's sign-in) must still send an identity document: the
/// register's `rights.identity_verification` asks for one (`id_document`) and accepts no code
/// (`email_code`, `sms_code`) instead. Intake itself never asks; the privacy centre shows the
/// upload for an open request while this holds and no document is there.
pub fn document_needed(methods: &[skydd_register::model::VerificationMethod]) -> bool {
    use skydd_register::model::VerificationMethod as M;
    methods.contains(&M::IdDocument)
        && !methods
            .iter()
            .any(|m| matches!(m, M::EmailCode | M::SmsCode))
}

/// Whether the register's `rights.identity_verification` lets a one-time code prove the
/// requester's identity: it names a code (`email_code`, `sms_code`), a sign-in to an account
/// (`account_login`: the privacy centre signs in by code) or a document (`id_document`, asked
/// for on top of the code, see [`document_needed`]); a register that names no method keeps
/// the code too. A register that names only methods staff confirm (`signed_request`,
/// `customer_confirmation`; P003-35: "your request must be submitted in writing ... including
/// your signature") gets no code at intake and refuses one; staff confirm the identity instead
/// (`Vault::confirm_identity`).
pub fn code_accepted(methods: &[skydd_register::model::VerificationMethod]) -> bool {
    use skydd_register::model::VerificationMethod as M;
    methods.is_empty()
        || methods.iter().any(|m| {
            matches!(
                m,
                M::EmailCode | M::SmsCode | M::AccountLogin | M::IdDocument
            )
        })
}

/// The methods of `methods` (the register's `rights.identity_verification`) that staff confirm
/// with `Vault::confirm_identity`, in the register's order: every one but the one-time codes.
/// While a request waits in `verifying`, these are its verification task (P002-42: the
/// customer's administrator asked to confirm who the person is).
pub fn confirmed_by_staff(
    methods: &[skydd_register::model::VerificationMethod],
) -> impl Iterator<Item = skydd_register::model::VerificationMethod> + '_ {
    use skydd_register::model::VerificationMethod as M;
    methods
        .iter()
        .copied()
        .filter(|m| !matches!(m, M::EmailCode | M::SmsCode))
}

#[cfg(test)]
mod document_tests {
    use super::{code_accepted, document_needed};
    use skydd_register::model::VerificationMethod as M;

    #[test]
    fn a_document_is_needed_only_when_no_code_is_accepted() {
        assert!(document_needed(&[M::IdDocument, M::AccountLogin]));
        assert!(!document_needed(&[M::IdDocument, M::EmailCode]));
        assert!(!document_needed(&[M::SmsCode, M::IdDocument]));
        assert!(!document_needed(&[M::AccountLogin, M::EmailCode]));
        assert!(!document_needed(&[]));
    }

    #[test]
    fn a_code_is_accepted_unless_the_register_names_only_other_methods() {
        assert!(code_accepted(&[M::EmailCode]));
        assert!(code_accepted(&[M::SignedRequest, M::SmsCode]));
        assert!(code_accepted(&[]));
        assert!(code_accepted(&[M::IdDocument, M::AccountLogin]));
        assert!(!code_accepted(&[M::SignedRequest]));
        assert!(!code_accepted(&[M::CustomerConfirmation]));
        assert!(!code_accepted(&[M::SignedRequest, M::CustomerConfirmation]));
    }
}
