//! A Skydd instance's data: the data directory, its master key and the database bound to that key.
//!
//! `skydd serve` opens an instance with [`Create::IfMissing`] (a first start creates everything);
//! the token commands open it with [`Create::Never`], so that a mistyped `--data-dir` is an error
//! rather than a fresh, empty instance.

use std::fs::DirBuilder;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use skydd_crypto::{Keyring, MasterKeyError};
use skydd_storage::{KeyBinding, Location, Storage, StorageError};
use skydd_vault::{Audit, StorageAudit};

/// The name of the master key file in the data directory.
pub const MASTER_KEY_FILE: &str = "master.key";
/// The name of the SQLite database in the data directory (when no database URL is given).
pub const SQLITE_FILE: &str = "skydd.db";

/// Where an instance keeps its data.
#[derive(Clone)]
pub struct DataSettings {
    /// The data directory: the master key, and the SQLite database unless `database_url` is set.
    pub data_dir: PathBuf,
    /// A PostgreSQL URL to use instead of the SQLite file.
    pub database_url: Option<String>,
    /// How long a SQLite writer waits for a lock another process or connection holds before the
    /// operation fails as busy (a 503 with `Retry-After` from the server);
    /// [`skydd_storage::DEFAULT_BUSY_TIMEOUT`] unless configured.
    pub busy_timeout: std::time::Duration,
    /// What an acknowledged write to the SQLite file survives (a power cut by default);
    /// PostgreSQL's own `synchronous_commit` decides there.
    pub durability: skydd_storage::Durability,
}

impl std::fmt::Debug for DataSettings {
    // A database URL can carry a password; never print it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DataSettings")
            .field("data_dir", &self.data_dir)
            .field("database_url", &self.database_url.as_ref().map(|_| "<url>"))
            .field("busy_timeout", &self.busy_timeout)
            .field("durability", &self.durability)
            .finish()
    }
}

impl DataSettings {
    /// The master key file.
    pub fn master_key_path(&self) -> PathBuf {
        self.data_dir.join(MASTER_KEY_FILE)
    }

    /// The copy of the newest audit checkpoint, kept next to the master key so that a database
    /// restored from an older backup is noticed by `skydd audit verify`.
    pub fn witness_path(&self) -> PathBuf {
        self.data_dir.join(skydd_vault::audit_trail::WITNESS_FILE)
    }

    /// The database: the PostgreSQL URL when given, otherwise the SQLite file in the data directory.
    pub fn location(&self) -> Location {
        match &self.database_url {
            Some(url) => Location::Postgres(url.clone()),
            None => Location::Sqlite(self.data_dir.join(SQLITE_FILE)),
        }
    }
}

/// Whether opening an instance may create what is missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Create {
    /// Create the data directory (mode 0700), the master key (mode 0600) and the database.
    IfMissing,
    /// Everything must exist already (the commands that manage a running instance).
    Never,
}

/// An opened instance: its storage, bound to its master key.
pub struct Instance {
    /// The database, migrated and bound to `keyring`.
    pub storage: Arc<dyn Storage>,
    /// Every version of the master key (the current one wraps new data keys).
    pub keyring: Arc<Keyring>,
    /// Whether this open created the master key file.
    pub key_created: bool,
}

impl Instance {
    /// The audit sink of the commands that work on an instance without its register (token
    /// changes): one transaction per event, into this instance's database, as [`App::new`]
    /// audits.
    ///
    /// [`App::new`]: crate::App::new
    pub fn audit(&self) -> Arc<dyn Audit> {
        storage_audit(&self.storage)
    }
}

/// Audit events appended to `storage`, one transaction each.
pub(crate) fn storage_audit(storage: &Arc<dyn Storage>) -> Arc<dyn Audit> {
    Arc::new(StorageAudit::new(storage.clone()))
}

/// Why an instance could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum InstanceError {
    /// The data directory could not be created.
    #[error("cannot create the data directory {path}: {source}")]
    DataDir {
        /// The data directory.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// [`Create::Never`] and the data directory holds no instance.
    #[error(
        "no Skydd data in {path} ({missing} is missing); run `skydd serve` once, or pass the right --data-dir"
    )]
    NotFound {
        /// The data directory.
        path: PathBuf,
        /// The file that is missing.
        missing: &'static str,
    },
    /// The master key file could not be read or created.
    #[error(transparent)]
    MasterKey(#[from] MasterKeyError),
    /// The database could not be opened or migrated.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// No register could be chosen for the instance ([`crate::register::choose`]).
    #[error(transparent)]
    Register(#[from] crate::register::ChoiceError),
    /// The database was set up with a different master key.
    #[error("the master key in {} does not match the database; restore the right key file", key_path.display())]
    KeyMismatch {
        /// The master key file that was loaded.
        key_path: PathBuf,
    },
}

/// Open the instance described by `settings`: data directory, master key, database (migrated),
/// and check that the database belongs to this master key.
pub async fn open(settings: &DataSettings, create: Create) -> Result<Instance, InstanceError> {
    let key_path = settings.master_key_path();
    match create {
        Create::IfMissing => create_data_dir(&settings.data_dir)?,
        Create::Never => {
            require_file(settings, &key_path, MASTER_KEY_FILE)?;
            if let Location::Sqlite(path) = settings.location() {
                require_file(settings, &path, SQLITE_FILE)?;
            }
        }
    }

    remove_key_leftovers(&key_path)?;
    let (keyring, key_created) = Keyring::load_or_create(&key_path)?;
    let options = skydd_storage::OpenOptions {
        busy_timeout: settings.busy_timeout,
        durability: settings.durability,
    };
    let storage = skydd_storage::open_with(&settings.location(), &options).await?;
    match storage.bind_master_key(&keyring.check_value()).await {
        Ok(KeyBinding::NewlyBound | KeyBinding::Matches) => {}
        Ok(KeyBinding::Mismatch) => {
            storage.close().await?;
            return Err(InstanceError::KeyMismatch { key_path });
        }
        Err(error) => {
            storage.close().await?;
            return Err(error.into());
        }
    }
    Ok(Instance {
        storage,
        keyring: Arc::new(keyring),
        key_created,
    })
}

/// Remove the temporary key files an interrupted rotation (or first start) left beside the key
/// file at `key_path`, saying which: they may hold a live master key, and would otherwise end
/// up in backups. Their names are logged, never their content.
pub(crate) fn remove_key_leftovers(key_path: &Path) -> Result<(), MasterKeyError> {
    for leftover in Keyring::remove_leftovers(key_path)? {
        tracing::warn!(
            file = %leftover.display(),
            "removed a temporary master key file left by an interrupted key rotation or first start"
        );
    }
    Ok(())
}

fn create_data_dir(path: &Path) -> Result<(), InstanceError> {
    // Only the owner may enter: the directory holds the master key and the database.
    DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(path)
        .map_err(|source| InstanceError::DataDir {
            path: path.to_owned(),
            source,
        })
}

fn require_file(
    settings: &DataSettings,
    path: &Path,
    missing: &'static str,
) -> Result<(), InstanceError> {
    if path.exists() {
        Ok(())
    } else {
        Err(InstanceError::NotFound {
            path: settings.data_dir.clone(),
            missing,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn the_database_is_sqlite_in_the_data_dir_unless_a_url_is_given() {
        let mut settings = DataSettings {
            data_dir: "/srv/skydd".into(),
            database_url: None,
            busy_timeout: skydd_storage::DEFAULT_BUSY_TIMEOUT,
            durability: skydd_storage::Durability::default(),
        };
        assert_eq!(
            settings.location(),
            Location::Sqlite("/srv/skydd/skydd.db".into())
        );
        assert_eq!(
            settings.master_key_path(),
            PathBuf::from("/srv/skydd/master.key")
        );
        settings.database_url = Some("postgres://u:secret@db/skydd".into());
        assert_eq!(
            settings.location(),
            Location::Postgres("postgres://u:secret@db/skydd".into())
        );
        assert!(!format!("{settings:?}").contains("secret"));
    }

    #[test]
    fn the_data_dir_is_created_private() {
        let temp = tempfile::tempdir().unwrap();
        let dir = temp.path().join("a/data");
        create_data_dir(&dir).unwrap();
        let mode = std::fs::metadata(&dir).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
    }

    #[tokio::test]
    async fn opening_without_create_refuses_an_empty_dir() {
        let temp = tempfile::tempdir().unwrap();
        let settings = DataSettings {
            data_dir: temp.path().join("nothing"),
            database_url: None,
            busy_timeout: skydd_storage::DEFAULT_BUSY_TIMEOUT,
            durability: skydd_storage::Durability::default(),
        };
        let error = open(&settings, Create::Never).await.err().unwrap();
        assert!(
            matches!(
                error,
                InstanceError::NotFound {
                    missing: MASTER_KEY_FILE,
                    ..
                }
            ),
            "{error}"
        );
        assert!(!settings.data_dir.exists());
    }
}
