//! The tamper-evident audit trail: signed checkpoints, the copy of the newest one kept outside
//! the database, verification and export.
//!
//! Storage chains every entry to the one before (`skydd_storage::audit_chain`). A checkpoint
//! signs the chain's head with the installation's Ed25519 checkpoint key; [`write_checkpoint`]
//! stores it in the database and the caller keeps a copy in the data directory
//! ([`save_witness`]), so that deleting the tail of the trail *and* the checkpoints in the
//! database is still detected by [`verify`]. Someone who holds the master key file can sign new
//! checkpoints: exporting checkpoints to a witness outside the data directory (another host,
//! the DPO's mailbox) is the remedy, see SECURITY.md.

use std::io::Write;
use std::path::Path;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use skydd_crypto::CheckpointSigner;
use skydd_storage::{
    AuditCheckpointRow, ChainReport, ChainedAuditEvent, Storage, StorageError, audit_chain,
};

/// The name of the file in the data directory that keeps the newest checkpoint.
pub const WITNESS_FILE: &str = "audit-checkpoint.json";

/// Sign and store a checkpoint of the chain's current head. Returns it, or `None` when the
/// chain is empty. Checkpointing a head that already has one returns that head's new signature
/// without storing a second row.
pub async fn write_checkpoint(
    storage: &dyn Storage,
    signer: &CheckpointSigner,
    now: Timestamp,
) -> Result<Option<AuditCheckpointRow>, StorageError> {
    let head = storage.audit_chain_head().await?;
    if head.seq < head.first_seq {
        return Ok(None);
    }
    // Stored timestamps have microsecond precision; sign what will read back.
    let at = Timestamp::from_microsecond(now.as_microsecond()).unwrap_or(now);
    let row = AuditCheckpointRow {
        seq: head.seq,
        hash: head.hash.to_vec(),
        at,
        public_key: signer.public_key().to_vec(),
        signature: signer
            .sign(&audit_chain::checkpoint_bytes(head.seq, &head.hash, at))
            .to_vec(),
    };
    storage.insert_audit_checkpoint(row.clone()).await?;
    Ok(Some(row))
}

/// Verify the trail against the installation's checkpoint key and the `witnesses`: copies of
/// checkpoints kept outside the database (the data directory's, a witness's).
pub async fn verify(
    storage: std::sync::Arc<dyn Storage>,
    signer: &CheckpointSigner,
    witnesses: Vec<AuditCheckpointRow>,
) -> Result<ChainReport, StorageError> {
    skydd_storage::verify_audit_chain(storage, &signer.public_key(), witnesses).await
}

/// A checkpoint as JSON (the witness file, and what to send to a witness).
#[derive(Debug, Serialize, Deserialize)]
struct CheckpointJson {
    seq: i64,
    hash: String,
    at: Timestamp,
    public_key: String,
    signature: String,
}

/// `row` as one line of JSON.
pub fn checkpoint_json(row: &AuditCheckpointRow) -> String {
    let json = CheckpointJson {
        seq: row.seq,
        hash: audit_chain::hex(&row.hash),
        at: row.at,
        public_key: audit_chain::hex(&row.public_key),
        signature: audit_chain::hex(&row.signature),
    };
    // Serialising a struct of strings and numbers cannot fail.
    serde_json::to_string(&json).unwrap_or_default()
}

/// Parse a checkpoint written by [`checkpoint_json`]; the error says what is wrong.
pub fn parse_checkpoint_json(text: &str) -> Result<AuditCheckpointRow, String> {
    let json: CheckpointJson = serde_json::from_str(text.trim())
        .map_err(|error| format!("not a Skydd audit checkpoint: {error}"))?;
    let bytes = |field: &str, hex: &str| {
        data_encoding::HEXLOWER
            .decode(hex.as_bytes())
            .map_err(|_| format!("`{field}` is not lowercase hex"))
    };
    Ok(AuditCheckpointRow {
        seq: json.seq,
        hash: bytes("hash", &json.hash)?,
        at: json.at,
        public_key: bytes("public_key", &json.public_key)?,
        signature: bytes("signature", &json.signature)?,
    })
}

/// Replace the witness file at `path` with `row` atomically (temporary file, sync, rename),
/// readable by its owner only.
pub fn save_witness(path: &Path, row: &AuditCheckpointRow) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let temp = path.with_extension(format!("json.{}.tmp", std::process::id()));
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&temp)
        .and_then(|mut file| {
            file.write_all(checkpoint_json(row).as_bytes())?;
            file.write_all(b"\n")?;
            file.sync_all()
        })
        .and_then(|()| std::fs::rename(&temp, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    written
}

/// Read the witness file at `path`: `Ok(None)` when there is none yet.
pub fn load_witness(path: &Path) -> Result<Option<AuditCheckpointRow>, String> {
    match std::fs::read_to_string(path) {
        Ok(text) => parse_checkpoint_json(&text)
            .map(Some)
            .map_err(|error| format!("{}: {error}", path.display())),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(format!("{}: {error}", path.display())),
    }
}

/// One audit entry as exported (`skydd audit export`, `GET /v1/audit`): ids and register names
/// only, never a personal value; `hash` links it into the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEntryView {
    /// Position in the trail.
    pub seq: i64,
    /// When the audited action happened (the `now` of its call).
    pub at: Timestamp,
    /// Who (token id, `cli:<user>`, `system`).
    pub actor: String,
    /// From which IP address.
    pub ip: Option<String>,
    /// What was done.
    pub action: String,
    /// Under which purpose.
    pub purpose: Option<String>,
    /// About which (pseudonymous) subject id.
    pub subject_id: Option<String>,
    /// Which data categories.
    pub categories: Vec<String>,
    /// What came of it, as a word: `done`, `allowed`, `denied:<code>`, `granted` ...
    pub outcome: String,
    /// More about it (never a personal value).
    pub detail: Option<String>,
    /// The entry's chain hash (hex); `None` for entries from before the chain existed.
    pub hash: Option<String>,
}

impl From<ChainedAuditEvent> for AuditEntryView {
    fn from(entry: ChainedAuditEvent) -> AuditEntryView {
        let event = entry.event;
        AuditEntryView {
            seq: event.seq,
            at: event.at,
            actor: event.actor,
            ip: event.ip,
            action: event.action,
            purpose: event.purpose,
            subject_id: event.subject_id,
            categories: event.categories,
            outcome: event.outcome,
            detail: event.detail,
            hash: entry.hash.as_deref().map(audit_chain::hex),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checkpoints_round_trip_through_json_and_the_witness_file() {
        let row = AuditCheckpointRow {
            seq: 42,
            hash: vec![7; 32],
            at: "2025-06-01T12:00:00.123456Z".parse().unwrap(),
            public_key: vec![1; 32],
            signature: vec![2; 64],
        };
        assert_eq!(parse_checkpoint_json(&checkpoint_json(&row)).unwrap(), row);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(WITNESS_FILE);
        assert_eq!(load_witness(&path).unwrap(), None);
        save_witness(&path, &row).unwrap();
        assert_eq!(load_witness(&path).unwrap(), Some(row));
        std::fs::write(&path, "{").unwrap();
        assert!(
            load_witness(&path)
                .unwrap_err()
                .contains("not a Skydd audit checkpoint")
        );
    }
}
