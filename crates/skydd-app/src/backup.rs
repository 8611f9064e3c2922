//! Backups of a SQLite instance and restoring them: a consistent copy of the database taken
//! while servers run, with a manifest naming the master key it needs (by its check value,
//! never the key), and a restore that refuses a key that does not match and leaves nothing
//! half done.
//!
//! A backup directory holds `skydd.db` (the copy), `manifest.json` (written last: a directory
//! without it is an unfinished backup) and, when the instance had one, the remembered register
//! ([`SERVED_REGISTER_FILE`]). It never holds the master key: the operator keeps that apart,
//! so that one stolen backup is encrypted data only. A PostgreSQL database is backed up with
//! `pg_dump` instead ([`BackupError::Postgres`]).

use std::fs::DirBuilder;
use std::io::{Read as _, Write as _};
use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _};
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use sha2::{Digest as _, Sha256};
use skydd_crypto::Keyring;
use skydd_storage::{Location, Storage, StorageError};

use crate::instance::{self, Create, DataSettings, InstanceError, MASTER_KEY_FILE, SQLITE_FILE};
use crate::register::SERVED_REGISTER_FILE;

/// The manifest of a backup directory.
pub const MANIFEST_FILE: &str = "manifest.json";
/// The word in a manifest's `format` this build writes and reads.
const FORMAT: &str = "skydd-backup-1";

/// What a backup is, as its manifest says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    /// When the copy was taken.
    pub created_at: Timestamp,
    /// The Skydd version that took it.
    pub skydd_version: String,
    /// The schema version of the copied database.
    pub schema_version: i64,
    /// SHA-256 (hex) of the database file, checked before a restore uses it.
    pub database_sha256: String,
    /// The master key's check value ([`Keyring::check_value`]): which key file the backup
    /// needs. It says nothing about the key.
    pub key_check: String,
    /// The master key version that wrapped new data keys when the copy was taken: the key file
    /// restored with it must hold this version.
    pub key_version: u32,
}

impl Manifest {
    fn to_json(&self) -> String {
        let json = serde_json::json!({
            "format": FORMAT,
            "created_at": self.created_at.to_string(),
            "skydd_version": self.skydd_version,
            "schema_version": self.schema_version,
            "database": { "file": SQLITE_FILE, "sha256": self.database_sha256 },
            "master_key": {
                "check": self.key_check,
                "version": self.key_version,
                "note": "the master key file is not in this backup: restore it from where it is kept apart",
            },
        });
        format!("{json:#}\n")
    }

    fn from_json(text: &str) -> Result<Manifest, String> {
        let json: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let text_at = |pointer: &str| {
            json.pointer(pointer)
                .and_then(serde_json::Value::as_str)
                .ok_or_else(|| format!("`{pointer}` is missing or not text"))
        };
        let number_at = |pointer: &str| {
            json.pointer(pointer)
                .and_then(serde_json::Value::as_i64)
                .ok_or_else(|| format!("`{pointer}` is missing or not a number"))
        };
        let format = text_at("/format")?;
        if format != FORMAT {
            return Err(format!(
                "format `{format}` is not `{FORMAT}`, the one this Skydd reads"
            ));
        }
        Ok(Manifest {
            created_at: text_at("/created_at")?
                .parse()
                .map_err(|_| "`/created_at` is not a time".to_owned())?,
            skydd_version: text_at("/skydd_version")?.to_owned(),
            schema_version: number_at("/schema_version")?,
            database_sha256: text_at("/database/sha256")?.to_owned(),
            key_check: text_at("/master_key/check")?.to_owned(),
            key_version: u32::try_from(number_at("/master_key/version")?)
                .map_err(|_| "`/master_key/version` is out of range".to_owned())?,
        })
    }
}

/// Why a backup could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// The instance keeps its data in PostgreSQL.
    #[error(
        "this instance keeps its data in PostgreSQL: back it up with \
         `pg_dump --format=custom --file=skydd.dump DATABASE_URL` (restore with pg_restore), \
         and keep the master key file ({MASTER_KEY_FILE}) apart from the dump"
    )]
    Postgres,
    /// The backup directory exists and is not empty.
    #[error("{} already exists and is not empty; a backup never overwrites: name a new directory", .0.display())]
    NotEmpty(PathBuf),
    /// The instance could not be opened.
    #[error(transparent)]
    Instance(#[from] InstanceError),
    /// The database could not be copied.
    #[error("cannot copy the database")]
    Storage(#[from] StorageError),
    /// A file of the backup could not be written.
    #[error("cannot write {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
}

/// Why a backup could not be restored. Nothing was restored when this is returned, except for
/// [`RestoreError::Opened`] (the database is in place but the instance does not open).
#[derive(Debug, thiserror::Error)]
pub enum RestoreError {
    /// The target is a PostgreSQL database.
    #[error(
        "the target keeps its data in PostgreSQL: restore a pg_dump with pg_restore; `skydd \
         restore` restores SQLite backups"
    )]
    Postgres,
    /// The backup directory has no readable manifest (an unfinished or foreign backup).
    #[error("{} is not a complete Skydd backup: {reason}", dir.display())]
    NotABackup {
        /// The backup directory.
        dir: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The backup's database is not the one its manifest describes.
    #[error("{} does not match its manifest (SHA-256 differs): the backup is damaged", .0.display())]
    Damaged(PathBuf),
    /// The target already holds an instance.
    #[error("{} already holds a database; restore never overwrites an instance: restore into a new data directory", .0.display())]
    TargetInUse(PathBuf),
    /// The target has no master key file.
    #[error(
        "{} has no master key: copy the master key file kept apart from the backup there \
         (mode 0600) first", .0.display()
    )]
    NoKey(PathBuf),
    /// The target's master key is not the one the backup was made with.
    #[error(
        "the master key in {} is not the one this backup was made with (its check value \
         differs); copy the right key file there", .0.display()
    )]
    WrongKey(PathBuf),
    /// The target's master key lacks the version the backup's data keys need.
    #[error(
        "the master key in {} lacks version {version}, which the backup's data keys are \
         wrapped with: copy the key file as it was after that rotation", path.display()
    )]
    KeyVersionMissing {
        /// The key file.
        path: PathBuf,
        /// The version the backup needs.
        version: u32,
    },
    /// The master key file could not be read.
    #[error(transparent)]
    MasterKey(#[from] skydd_crypto::MasterKeyError),
    /// A file could not be read or written.
    #[error("cannot restore {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// The restored instance does not open.
    #[error("the database was restored, but the instance does not open")]
    Opened(#[source] InstanceError),
}

/// Take a backup of the SQLite instance `data` names into the new directory `dir` (created
/// mode 0700, or an existing empty one), while servers may run on it: the database copied as of
/// one moment ([`Storage::backup_into`]) through a temporary name, then the remembered register,
/// then the manifest last.
pub async fn backup(
    data: &DataSettings,
    dir: &Path,
    now: Timestamp,
) -> Result<Manifest, BackupError> {
    if let Location::Postgres(_) = data.location() {
        return Err(BackupError::Postgres);
    }
    let opened = instance::open(data, Create::Never).await?;
    let taken = take(&data.data_dir, &*opened.storage, &opened.keyring, dir, now).await;
    opened.storage.close().await?;
    taken
}

async fn take(
    data_dir: &Path,
    storage: &dyn Storage,
    keyring: &Keyring,
    dir: &Path,
    now: Timestamp,
) -> Result<Manifest, BackupError> {
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| BackupError::Io { path, source }
    };
    prepare_empty_dir(dir)?;
    // A killed backup leaves a directory without a manifest, which restore refuses.
    let temporary = dir.join(format!(".{SQLITE_FILE}.tmp"));
    let database = dir.join(SQLITE_FILE);
    let schema_version = storage.schema_version().await?;
    storage.backup_into(&temporary).await?;
    restrict(&temporary).map_err(io(&temporary))?;
    let database_sha256 = sha256_of(&temporary).map_err(io(&temporary))?;
    std::fs::rename(&temporary, &database).map_err(io(&database))?;

    let remembered = data_dir.join(SERVED_REGISTER_FILE);
    if remembered.exists() {
        let copy = dir.join(SERVED_REGISTER_FILE);
        copy_private(&remembered, &copy).map_err(io(&copy))?;
    }
    let manifest = Manifest {
        created_at: now,
        skydd_version: env!("CARGO_PKG_VERSION").to_owned(),
        schema_version,
        database_sha256,
        key_check: keyring.check_value(),
        key_version: keyring.current_version(),
    };
    write_new(&dir.join(MANIFEST_FILE), manifest.to_json().as_bytes())
        .map_err(io(&dir.join(MANIFEST_FILE)))?;
    Ok(manifest)
}

/// Create `dir` (mode 0700), or accept it when it exists and is empty.
fn prepare_empty_dir(dir: &Path) -> Result<(), BackupError> {
    match std::fs::read_dir(dir) {
        Ok(mut entries) => {
            if entries.next().is_some() {
                return Err(BackupError::NotEmpty(dir.to_owned()));
            }
            Ok(())
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|source| BackupError::Io {
                path: dir.to_owned(),
                source,
            }),
        Err(source) => Err(BackupError::Io {
            path: dir.to_owned(),
            source,
        }),
    }
}

/// Restore the backup in `from` into the data directory `data` names, which must hold the
/// master key the backup was made with (copied there by the operator) and no database. The
/// key is checked against the manifest before anything is written; the database is checked
/// against its digest while it is copied to a temporary name, then renamed into place, so a
/// crash leaves no half-restored database; finally the instance is opened (the database's own
/// key binding checked again).
pub async fn restore(from: &Path, data: &DataSettings) -> Result<Manifest, RestoreError> {
    let Location::Sqlite(database) = data.location() else {
        return Err(RestoreError::Postgres);
    };
    let manifest_path = from.join(MANIFEST_FILE);
    let not_a_backup = |reason: String| RestoreError::NotABackup {
        dir: from.to_owned(),
        reason,
    };
    let manifest_text = std::fs::read_to_string(&manifest_path)
        .map_err(|e| not_a_backup(format!("cannot read {MANIFEST_FILE}: {e}")))?;
    let manifest = Manifest::from_json(&manifest_text)
        .map_err(|reason| not_a_backup(format!("{MANIFEST_FILE}: {reason}")))?;

    if database.exists() {
        return Err(RestoreError::TargetInUse(database));
    }
    let key_path = data.master_key_path();
    if !key_path.exists() {
        return Err(RestoreError::NoKey(data.data_dir.clone()));
    }
    instance::remove_key_leftovers(&key_path)?;
    let keyring = Keyring::load(&key_path)?;
    if keyring.check_value() != manifest.key_check {
        return Err(RestoreError::WrongKey(key_path));
    }
    if !keyring.versions().contains(&manifest.key_version) {
        return Err(RestoreError::KeyVersionMissing {
            path: key_path,
            version: manifest.key_version,
        });
    }

    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| RestoreError::Io { path, source }
    };
    let source = from.join(SQLITE_FILE);
    let temporary = data.data_dir.join(format!(".{SQLITE_FILE}.restore.tmp"));
    let digest = copy_private(&source, &temporary).map_err(io(&source))?;
    if digest != manifest.database_sha256 {
        remove_if_present(&temporary).map_err(io(&temporary))?;
        return Err(RestoreError::Damaged(source));
    }
    let remembered = from.join(SERVED_REGISTER_FILE);
    if remembered.exists() {
        let target = data.data_dir.join(SERVED_REGISTER_FILE);
        copy_private(&remembered, &target).map_err(io(&remembered))?;
    }
    // The database last: until this rename the target holds no instance.
    std::fs::rename(&temporary, &database).map_err(io(&database))?;

    let opened = instance::open(data, Create::Never)
        .await
        .map_err(RestoreError::Opened)?;
    opened
        .storage
        .close()
        .await
        .map_err(|e| RestoreError::Opened(e.into()))?;
    Ok(manifest)
}

/// Copy `from` to the new or truncated file `to` (mode 0600), synced; the SHA-256 (hex) of
/// what was copied.
fn copy_private(from: &Path, to: &Path) -> std::io::Result<String> {
    let mut output = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(to)?;
    let digest = read_hashing(from, |chunk| output.write_all(chunk))?;
    output.sync_all()?;
    Ok(digest)
}

/// The SHA-256 (hex) of the file at `path`.
fn sha256_of(path: &Path) -> std::io::Result<String> {
    read_hashing(path, |_| Ok(()))
}

/// Read the file at `path` in chunks, handing each to `each`; the SHA-256 (hex) of it all.
fn read_hashing(
    path: &Path,
    mut each: impl FnMut(&[u8]) -> std::io::Result<()>,
) -> std::io::Result<String> {
    let mut input = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0_u8; 1 << 16];
    loop {
        let read = input.read(&mut buffer)?;
        let Some(chunk) = buffer.get(..read).filter(|chunk| !chunk.is_empty()) else {
            break;
        };
        hasher.update(chunk);
        each(chunk)?;
    }
    Ok(hex(&hasher.finalize()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Make the file at `path` readable by its owner only, and sync it.
fn restrict(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    std::fs::File::open(path)?.sync_all()
}

/// Write `bytes` to the new file `path` (mode 0600, refused if it exists), synced.
fn write_new(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

fn remove_if_present(path: &Path) -> std::io::Result<()> {
    match std::fs::remove_file(path) {
        Err(error) if error.kind() != std::io::ErrorKind::NotFound => Err(error),
        _ => Ok(()),
    }
}
