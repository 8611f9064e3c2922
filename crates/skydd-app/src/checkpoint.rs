//! Signed checkpoints of the audit trail, each with its witness copy next to the instance.

use std::path::{Path, PathBuf};

use skydd_crypto::Keyring;
use skydd_storage::{AuditCheckpointRow, ChainReport, Storage, StorageError, audit_chain};
use skydd_vault::audit_trail;

use crate::services::App;

/// Why a checkpoint could not be written.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    /// Signing or storing it failed.
    #[error("cannot sign an audit checkpoint")]
    Store(#[source] StorageError),
    /// It was stored, but its witness copy could not be written.
    #[error("cannot write {}", path.display())]
    Witness {
        /// The witness file that could not be written (the checkpoint itself is stored).
        path: PathBuf,
        /// What went wrong.
        #[source]
        source: std::io::Error,
    },
}

impl App {
    /// Sign a checkpoint of the audit trail's head at `at` with the keyring's checkpoint key,
    /// store it and keep its copy in the witness file ([`App::with_witness_file`]). `None` when
    /// the trail is empty.
    pub async fn checkpoint(
        &self,
        at: jiff::Timestamp,
    ) -> Result<Option<AuditCheckpointRow>, CheckpointError> {
        write(&*self.storage, &self.keyring(), self.witness_file(), at).await
    }
}

/// Sign a checkpoint of `storage`'s audit trail at `at` with `keyring`'s checkpoint key, store
/// it and keep its copy in `witness` (for `skydd audit checkpoint`, which needs no register, on
/// an opened [`Instance`](crate::instance::Instance)). `None` when the trail is empty.
pub async fn write(
    storage: &dyn Storage,
    keyring: &Keyring,
    witness: Option<&Path>,
    at: jiff::Timestamp,
) -> Result<Option<AuditCheckpointRow>, CheckpointError> {
    let written = audit_trail::write_checkpoint(storage, keyring.checkpoint_signer(), at)
        .await
        .map_err(CheckpointError::Store)?;
    if let (Some(row), Some(path)) = (&written, witness) {
        audit_trail::save_witness(path, row).map_err(|source| CheckpointError::Witness {
            path: path.to_owned(),
            source,
        })?;
    }
    Ok(written)
}

/// Why the audit trail could not be verified (not a breach: a breach is in the report).
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// The trail or its checkpoints could not be read.
    #[error("cannot read the audit trail")]
    Read(#[source] StorageError),
    /// The witness file in the data directory exists but cannot be read: restore it from a
    /// backup, or move it away to verify against the database's checkpoints only.
    #[error("cannot read the audit checkpoint witness {}: {reason}", path.display())]
    Witness {
        /// The witness file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
}

/// A stored checkpoint and whether it holds up: its Ed25519 signature under this
/// installation's checkpoint key, over the seq, hash and time it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedCheckpoint {
    /// The checkpoint as stored.
    pub row: AuditCheckpointRow,
    /// Whether the signature is this installation's over what the row says. `false`: forged
    /// or changed (verifying the trail names the breach).
    pub signature_valid: bool,
}

impl App {
    /// Verify the whole audit trail (every entry's hash and link, every checkpoint) against
    /// this installation's checkpoint key and the witness copy in the data directory, as
    /// `skydd audit verify` does. The report says where the first breach is, if any.
    pub async fn verify_audit_trail(&self) -> Result<ChainReport, VerifyError> {
        let mut witnesses = Vec::new();
        if let Some(path) = self.witness_file() {
            let loaded =
                audit_trail::load_witness(path).map_err(|reason| VerifyError::Witness {
                    path: path.to_owned(),
                    reason,
                })?;
            witnesses.extend(loaded);
        }
        let keyring = self.keyring();
        audit_trail::verify(self.storage.clone(), keyring.checkpoint_signer(), witnesses)
            .await
            .map_err(VerifyError::Read)
    }

    /// Every stored checkpoint, oldest first, each with whether its signature verifies under
    /// this installation's checkpoint key. Reads only the checkpoints, not the trail.
    pub async fn checked_checkpoints(&self) -> Result<Vec<CheckedCheckpoint>, StorageError> {
        let public_key = self.keyring().checkpoint_signer().public_key();
        Ok(self
            .storage
            .audit_checkpoints()
            .await?
            .into_iter()
            .map(|row| {
                let message = audit_chain::checkpoint_bytes(row.seq, &row.hash, row.at);
                let signature_valid =
                    skydd_crypto::verify_checkpoint(&public_key, &message, &row.signature);
                CheckedCheckpoint {
                    row,
                    signature_valid,
                }
            })
            .collect())
    }
}
