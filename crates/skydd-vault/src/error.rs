//! What can go wrong in the vault, in words safe to show a client: ids and register names only,
//! never a personal value.

use skydd_decide::DenyCode;
use skydd_storage::StorageError;

/// Errors of vault operations.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    /// No subject with that id (or not in the caller's tenant).
    #[error("no such subject")]
    UnknownSubject,
    /// No request with that id (or not in the caller's tenant).
    #[error("no such request")]
    UnknownRequest,
    /// The request is not in a state that allows this (closed, not verified, routed to a
    /// tenant, changed meanwhile, needing a decision).
    #[error("{what}")]
    RequestState {
        /// What is wrong.
        what: String,
        /// What to do instead.
        help: String,
    },
    /// A one-time code was refused (wrong, expired, malformed, too many attempts).
    #[error("verification failed: {0}")]
    Verification(skydd_requests::VerifyError),
    /// The input does not fit the register or the format: `what` says which part and why,
    /// `help` how to fix it. Neither contains personal data.
    #[error("{what}")]
    Invalid {
        /// What is wrong.
        what: String,
        /// How to fix it.
        help: String,
    },
    /// No incident with that id.
    #[error("no such incident")]
    UnknownIncident,
    /// An identity of this kind is already used by another subject in the tenant.
    #[error("an identity of kind {kind} is already used by another subject")]
    IdentityTaken {
        /// The identity kind (never the value).
        kind: String,
    },
    /// The register does not allow it.
    #[error("{explanation}")]
    Denied {
        /// The stable reason.
        code: DenyCode,
        /// A sentence for people, naming register ids only.
        explanation: String,
    },
    /// Storage failed. [`StorageError::Busy`] is not a failure of the operation's own: another
    /// process held a lock too long, nothing was written, and the same call may be retried (the
    /// server answers it 503 with `Retry-After`).
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// A key or ciphertext could not be used: a wrong key file, or damaged data.
    #[error("cryptography: {0}")]
    Crypto(#[from] skydd_crypto::CryptoError),
    /// The operating system gave no random bytes.
    #[error("random: {0}")]
    Random(#[from] skydd_crypto::RandomError),
    /// Stored data does not parse (written by a newer version, or damaged).
    #[error("stored data is damaged: {0}")]
    Corrupt(String),
}

impl VaultError {
    /// Whether this is the database being busy ([`StorageError::Busy`]): retrying may succeed.
    pub fn is_busy(&self) -> bool {
        matches!(self, VaultError::Storage(StorageError::Busy(_)))
    }

    /// Refused input: `what` is wrong (naming the field, never quoting a value) and `help` says
    /// how to fix it. Shown to the client as a 422.
    pub fn invalid(what: impl Into<String>, help: impl Into<String>) -> VaultError {
        VaultError::Invalid {
            what: what.into(),
            help: help.into(),
        }
    }
}
