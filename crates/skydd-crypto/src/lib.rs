//! Keys and secrets of Skydd: the master keyring, envelope encryption of personal data, blind
//! indexes, API tokens, and the staff's sign-in secrets (issue 17): argon2id [`password`]s,
//! [`totp`] second factors, [`recovery`] codes and console [`session`] secrets; the privacy
//! [`centre`]'s codes, link tokens and keyed hashes (issue 18).
//!
//! Only this crate handles key material. Secrets are zeroed on drop and never appear in `Debug`
//! or in error messages.
//!
//! ```
//! use skydd_crypto::{DataKey, Keyring};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let dir = tempfile::tempdir()?;
//! let path = dir.path().join("master.key");
//! let (keyring, created) = Keyring::load_or_create(&path)?;
//! assert!(created);
//!
//! // One data key per subject; only its wrapped form is stored.
//! let key = DataKey::generate()?;
//! let sealed = key.seal(b"+46701234567", b"subject 1 / phone")?;
//! let wrapped = keyring.wrap(&key)?;
//!
//! // `skydd key rotate`: a new master key version; old wrapped keys still unwrap.
//! let keyring = Keyring::rotate(&path)?;
//! let key = keyring.unwrap(&wrapped)?;
//! assert_eq!(&key.open(&sealed, b"subject 1 / phone")?[..], b"+46701234567");
//! let rewrapped = keyring.rewrap(&wrapped)?;
//! assert_eq!(rewrapped.version, keyring.current_version());
//!
//! // Lookups by identity without decrypting: the same index before and after rotation.
//! let index = keyring.blind_index_key().blind_index("phone", "+46701234567");
//! # let _ = index;
//! # Ok(())
//! # }
//! ```

pub mod blind_index;
pub mod centre;
pub mod checkpoint;
pub mod envelope;
mod kdf;
pub mod keyring;
pub mod master_key;
pub mod password;
mod random;
pub mod recovery;
pub mod session;
pub mod token;
pub mod totp;

pub use blind_index::BlindIndexKey;
pub use centre::CentreKey;
pub use checkpoint::{CheckpointSigner, verify_checkpoint};
pub use envelope::{CryptoError, DataKey};
pub use keyring::{Keyring, WrappedKey};
pub use master_key::{MasterKey, MasterKeyError, UnfinishedRotation};
pub use password::{PasswordError, PasswordHashString};
pub use random::{RandomError, random_bytes};
pub use recovery::RecoveryCode;
pub use session::SessionSecret;
pub use token::{ApiToken, TokenHash, TokenId};
pub use totp::TotpSecret;
