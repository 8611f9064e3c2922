//! Signed checkpoints of the audit trail, each with its witness copy next to the instance.

use std::path::{Path, PathBuf};

use skydd_crypto::Keyring;
use skydd_storage::{AuditCheckpointRow, Storage, StorageError};
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
