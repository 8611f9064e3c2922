//! The register's recorded versions read back and compared, each with the one before it: what
//! a newly loaded register changed (P000-69, P001-05), and the public version history
//! (P000-68, P001-04).

use jiff::Timestamp;
use jiff::civil::Date;
use skydd_notice::RegisterDiff;
use skydd_register::{FromJsonError, Register};
use skydd_storage::{RegisterVersionRecord, Storage, StorageError};

/// Why a stored register version cannot be used: its row was damaged after it was recorded.
/// The messages name the version's digest and what is wrong, never register content.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoredVersionError {
    /// The stored JSON is not a register's canonical JSON.
    #[error("stored register version {digest} cannot be read: {source}")]
    Unreadable {
        /// The digest it was recorded under.
        digest: String,
        /// What is wrong with the JSON.
        source: FromJsonError,
    },
    /// The stored JSON reads as a register, but not the one recorded under this digest.
    #[error("stored register version {digest} has content whose digest is {actual}")]
    WrongDigest {
        /// The digest it was recorded under.
        digest: String,
        /// The digest of the content found.
        actual: String,
    },
}

/// A recorded version of the register, rebuilt from its stored content when that is intact.
#[derive(Debug, Clone)]
pub struct StoredVersion {
    /// SHA-256 (hex) of the register's canonical content.
    pub digest: String,
    /// The `published` date as stored, when it is a date.
    pub published: Option<Date>,
    /// When a server first loaded this version: when it took effect.
    pub first_loaded_at: Timestamp,
    /// The register, or why it cannot be rebuilt.
    pub register: Result<Register, StoredVersionError>,
}

impl StoredVersion {
    /// Rebuild a stored version. A damaged row gives a version whose `register` is the error:
    /// never a panic, and the other versions stay usable.
    pub fn rebuild(record: RegisterVersionRecord) -> StoredVersion {
        let register = Register::from_json(&record.content)
            .map_err(|source| StoredVersionError::Unreadable {
                digest: record.digest.clone(),
                source,
            })
            .and_then(|register| {
                let actual = register.digest();
                if actual == record.digest {
                    Ok(register)
                } else {
                    Err(StoredVersionError::WrongDigest {
                        digest: record.digest.clone(),
                        actual,
                    })
                }
            });
        StoredVersion {
            published: record.published.parse().ok(),
            digest: record.digest,
            first_loaded_at: record.first_loaded_at,
            register,
        }
    }

    /// The notice version: the first 12 hex digits of the digest (as
    /// [`skydd_notice::NoticeVersion`]).
    pub fn notice_version(&self) -> &str {
        self.digest.get(..12).unwrap_or(&self.digest)
    }
}

/// What loading a register changed, compared with the latest version recorded before it.
#[derive(Debug, Clone)]
pub enum VersionChange {
    /// No version was recorded before: nothing to compare with.
    First,
    /// The register is the latest recorded version: nothing changed since it was last loaded.
    Unchanged,
    /// The register differs from the latest version recorded before it.
    Changed {
        /// Whether this register was recorded now for the first time. `false` means an older
        /// version was loaded again (a rollback): the diff then goes from the latest recorded
        /// version back to it.
        newly_recorded: bool,
        /// The digest of the version compared with.
        previous_digest: String,
        /// `diff(previous, loaded)`.
        diff: Box<RegisterDiff>,
    },
    /// The register differs from the latest version recorded before it, but that version's
    /// stored content is damaged, so what changed is unknown.
    PreviousUnreadable {
        /// Whether this register was recorded now for the first time.
        newly_recorded: bool,
        /// Why the previous version cannot be rebuilt.
        error: StoredVersionError,
    },
}

impl VersionChange {
    /// The changes, when they are known.
    pub fn diff(&self) -> Option<&RegisterDiff> {
        match self {
            VersionChange::Changed { diff, .. } => Some(diff),
            _ => None,
        }
    }

    /// The significant changes as `section/id` (`purposes/marketing`): register ids only, for
    /// logs and messages.
    pub fn significant_ids(&self) -> Vec<String> {
        self.diff()
            .map(|diff| {
                diff.significant()
                    .map(|c| match &c.id {
                        Some(id) => format!("{}/{id}", c.section),
                        None => c.section.to_owned(),
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Log what changed, by ids and counts only (a register holds no personal data, and the
    /// log line does not even carry its texts).
    pub fn log(&self, digest: &str) {
        match self {
            VersionChange::First => {
                tracing::info!(digest, "recorded the first register version");
            }
            VersionChange::Unchanged => {}
            VersionChange::Changed {
                newly_recorded,
                previous_digest,
                diff,
            } => {
                let significant = self.significant_ids();
                let renew: Vec<&str> = diff.consent_renewal_needed().map(|p| p.as_str()).collect();
                if !newly_recorded {
                    tracing::warn!(
                        digest,
                        latest = %previous_digest,
                        "an older register version was loaded again; the version history lists \
                         versions by when they were first loaded"
                    );
                }
                tracing::info!(
                    digest,
                    previous = %previous_digest,
                    changes = diff.changes.len(),
                    significant = significant.len(),
                    significant_changes = ?significant,
                    consents_to_renew = ?renew,
                    "the register changed since the previous version"
                );
                if diff.published_unchanged() {
                    tracing::warn!(
                        digest,
                        published = %diff.new_published,
                        "the register's content changed but its `published` date did not"
                    );
                }
            }
            VersionChange::PreviousUnreadable { error, .. } => {
                tracing::warn!(
                    digest,
                    %error,
                    "the previous register version cannot be read back; what changed is unknown"
                );
            }
        }
    }

    /// Whether the loaded register was recorded as a new version.
    pub fn newly_recorded(&self) -> bool {
        match self {
            VersionChange::First => true,
            VersionChange::Unchanged => false,
            VersionChange::Changed { newly_recorded, .. }
            | VersionChange::PreviousUnreadable { newly_recorded, .. } => *newly_recorded,
        }
    }
}

/// Compare the register just recorded under `digest` with the latest version recorded before
/// it (for a register loaded again, with the latest version recorded at all), given every
/// recorded version oldest first.
pub(crate) fn compare_with_previous(
    register: &Register,
    digest: &str,
    newly_recorded: bool,
    versions: Vec<RegisterVersionRecord>,
) -> VersionChange {
    let own = versions.iter().position(|v| v.digest == digest);
    let previous = match (newly_recorded, own) {
        // Recorded now: the one listed just before it (by first load).
        (true, Some(at)) => at.checked_sub(1).map(|i| &versions[i]),
        // Known already: compare with the latest version, unless it is this one.
        _ => versions.last().filter(|latest| latest.digest != digest),
    };
    let Some(previous) = previous else {
        // Nothing before a new version; or a known version that is the latest.
        return if newly_recorded {
            VersionChange::First
        } else {
            VersionChange::Unchanged
        };
    };
    match StoredVersion::rebuild(previous.clone()).register {
        Ok(old) => VersionChange::Changed {
            newly_recorded,
            previous_digest: previous.digest.clone(),
            diff: Box::new(skydd_notice::diff(&old, register)),
        },
        Err(error) => VersionChange::PreviousUnreadable {
            newly_recorded,
            error,
        },
    }
}

/// One version in the public history, with what it changed.
#[derive(Debug, Clone)]
pub struct HistoryVersion {
    /// The version as stored: its digest, dates and the rebuilt register (or why not).
    pub version: StoredVersion,
    /// When the next version took effect; `None` for the latest.
    pub replaced_at: Option<Timestamp>,
    /// `diff(version before, this version)`: `None` for the first version, or when either
    /// register cannot be rebuilt.
    pub diff: Option<RegisterDiff>,
    /// Whether this is the first version recorded.
    pub first: bool,
}

/// Every recorded version, newest first, each compared with the version before it.
pub async fn load(storage: &dyn Storage) -> Result<Vec<HistoryVersion>, StorageError> {
    let versions: Vec<StoredVersion> = storage
        .list_register_versions()
        .await?
        .into_iter()
        .map(StoredVersion::rebuild)
        .collect();
    let diffs: Vec<Option<RegisterDiff>> = versions
        .iter()
        .enumerate()
        .map(|(i, version)| {
            let before = versions[..i].last()?;
            match (&before.register, &version.register) {
                (Ok(old), Ok(new)) => Some(skydd_notice::diff(old, new)),
                _ => None,
            }
        })
        .collect();
    let replaced: Vec<Option<Timestamp>> = versions
        .iter()
        .skip(1)
        .map(|next| Some(next.first_loaded_at))
        .chain([None])
        .collect();
    let mut history: Vec<HistoryVersion> = versions
        .into_iter()
        .zip(diffs)
        .zip(replaced)
        .enumerate()
        .map(|(i, ((version, diff), replaced_at))| HistoryVersion {
            version,
            replaced_at,
            diff,
            first: i == 0,
        })
        .collect();
    history.reverse();
    Ok(history)
}

/// The significant changes of `diff` as lines for people, naming entries by their names in
/// `register` (the new version) in `language`: "new purpose: Newsletter".
pub fn significant_lines(
    register: &Register,
    diff: &RegisterDiff,
    language: skydd_register::model::Language,
) -> Vec<String> {
    diff.significant()
        .map(|change| {
            let what = change
                .significance
                .map_or("change", |significance| significance.describe());
            let id = change.id.as_deref().unwrap_or_default();
            let name = match change.section {
                "purposes" => register
                    .purposes
                    .iter()
                    .find(|p| p.id.0 == id)
                    .map(|p| p.name.get(language).to_string()),
                "recipients" => register
                    .recipients
                    .iter()
                    .find(|r| r.id.0 == id)
                    .map(|r| r.name.get(language).to_string()),
                "data" => register
                    .data
                    .iter()
                    .find(|c| c.id.0 == id)
                    .map(|c| c.name.get(language).to_string()),
                _ => None,
            };
            match (name, id) {
                (Some(name), _) => format!("{what}: {name}"),
                (None, "") => format!("{what} ({})", change.section),
                (None, id) => format!("{what}: {id}"),
            }
        })
        .collect()
}
