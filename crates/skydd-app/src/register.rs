//! The register an instance runs with: the checked model, its digest, where it came from, and
//! recording it as a version.

use jiff::Timestamp;
use skydd_register::Register;
use skydd_storage::{RegisterVersionRecord, Storage, StorageError};

use crate::history::{self, VersionChange};

/// A register that passed `check`, ready to be served.
#[derive(Debug, Clone)]
pub struct LoadedRegister {
    /// The validated register.
    pub register: Register,
    /// SHA-256 (hex) of its canonical content: the register's version.
    pub digest: String,
    /// Where it was read from (a path, or `bundled example`), for messages.
    pub source_name: String,
    /// The body of `GET /v1/register`, serialised once: the register does not change while it
    /// is loaded.
    response_body: bytes::Bytes,
}

impl LoadedRegister {
    /// Wrap a checked register, computing its digest once.
    pub fn new(register: Register, source_name: impl Into<String>) -> Self {
        let digest = register.digest();
        let response_body = serde_json::json!({
            "digest": digest,
            "published": register.published.to_string(),
            "register": register.to_json(),
        })
        .to_string()
        .into();
        Self {
            register,
            digest,
            source_name: source_name.into(),
            response_body,
        }
    }

    /// The JSON body of `GET /v1/register`: digest, `published` and the register's canonical
    /// JSON, serialised once.
    pub fn response_body(&self) -> bytes::Bytes {
        self.response_body.clone()
    }

    /// Record this version in storage so that notices and consents can name it later. Returns
    /// whether the version is new to the database.
    pub async fn record(
        &self,
        storage: &dyn Storage,
        now: Timestamp,
    ) -> Result<bool, StorageError> {
        storage
            .record_register_version(RegisterVersionRecord {
                digest: self.digest.clone(),
                published: self.register.published.to_string(),
                first_loaded_at: now,
                content: self.register.to_json().to_string(),
            })
            .await
    }

    /// Record this version (as [`LoadedRegister::record`]) and say what it changed compared
    /// with the latest version recorded before it: the previous version is rebuilt from its
    /// stored content and compared with [`skydd_notice::diff()`]. A damaged previous version is
    /// reported as [`VersionChange::PreviousUnreadable`], not as an error: the server can still
    /// start. The result is what notice-of-change messages are queued from (P000-69, P001-05).
    pub async fn record_version(
        &self,
        storage: &dyn Storage,
        now: Timestamp,
    ) -> Result<VersionChange, StorageError> {
        let newly_recorded = self.record(storage, now).await?;
        let versions = storage.list_register_versions().await?;
        Ok(history::compare_with_previous(
            &self.register,
            &self.digest,
            newly_recorded,
            versions,
        ))
    }
}
