//! The vault's use of keys: each subject's data key, and what every ciphertext is bound to.
//!
//! Associated data binds each ciphertext to its place (subject, record, category), so that a
//! ciphertext copied to another row or subject fails to decrypt instead of leaking there.

use skydd_crypto::{DataKey, WrappedKey};

use crate::{Vault, VaultError};

/// Associated data of an identity ciphertext.
pub(crate) fn identity_aad(subject: &str, kind: &str) -> Vec<u8> {
    format!("skydd/identity/v1\0{subject}\0{kind}").into_bytes()
}

/// Associated data of a record ciphertext.
pub(crate) fn record_aad(subject: &str, record: &str, category: &str) -> Vec<u8> {
    format!("skydd/record/v1\0{subject}\0{record}\0{category}").into_bytes()
}

/// Associated data of the values a rectification replaced in a record: bound to the record
/// like its ciphertext, under another label, so neither can stand in for the other.
pub(crate) fn revision_aad(subject: &str, record: &str, category: &str) -> Vec<u8> {
    format!("skydd/record-revision/v1\0{subject}\0{record}\0{category}").into_bytes()
}

/// Associated data of the IP address and user agent stored with a consent event.
pub(crate) fn consent_context_aad(subject: &str) -> Vec<u8> {
    format!("skydd/consent-context/v1\0{subject}").into_bytes()
}

impl Vault {
    /// The data key of `subject`, unwrapped with the master keyring.
    pub(crate) async fn data_key(&self, subject: &str) -> Result<DataKey, VaultError> {
        self.unwrap_data_key(self.storage.subject_key(subject).await?)
    }

    /// A subject's data key from its stored row, unwrapped with the master keyring; no row is
    /// a corrupt database (every subject is created with its key).
    pub(crate) fn unwrap_data_key(
        &self,
        row: Option<skydd_storage::SubjectKeyRow>,
    ) -> Result<DataKey, VaultError> {
        let row = row.ok_or_else(|| VaultError::Corrupt("a subject has no data key".into()))?;
        let wrapped = WrappedKey {
            version: row.key_version,
            bytes: row.wrapped_key,
        };
        Ok(self.keyring.unwrap(&wrapped)?)
    }
}

impl Vault {
    /// Re-wrap up to `batch` subject keys that are wrapped with an older master key version than
    /// the keyring's current one. Returns how many were re-wrapped; call until it returns 0.
    ///
    /// Only keys change: no record is read or rewritten. Each key is updated with a
    /// compare-and-set on its old version, so several servers (or a crash and a rerun) can work
    /// through the same keys without losing one.
    pub async fn rewrap_subject_keys(&self, batch: usize) -> Result<usize, VaultError> {
        let current = self.keyring.current_version();
        let stale = self.storage.subject_keys_older_than(current, batch).await?;
        let mut rewrapped = 0;
        for row in stale {
            let old = WrappedKey {
                version: row.key_version,
                bytes: row.wrapped_key.clone(),
            };
            let new = self.keyring.rewrap(&old)?;
            let updated = self
                .storage
                .update_subject_key(
                    &row.subject_id,
                    row.key_version,
                    skydd_storage::SubjectKeyRow {
                        subject_id: row.subject_id.clone(),
                        key_version: new.version,
                        wrapped_key: new.bytes,
                    },
                )
                .await?;
            if updated {
                rewrapped += 1;
            }
        }
        Ok(rewrapped)
    }
}
