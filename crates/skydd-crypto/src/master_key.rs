//! The master key file: every version of the 256-bit master key, readable only by its owner.
//!
//! The file has one line per key version, oldest first:
//!
//! ```text
//! skydd-master-key-v1:<base64 of 32 bytes>
//! skydd-master-key-v2:<base64 of 32 bytes>
//! ```
//!
//! The number after `v` is the key's version. A new data directory gets a file with the single
//! line `skydd-master-key-v1:...`, exactly the format of the files written before key
//! rotation existed, so those load unchanged as version 1. Versions are whole numbers without
//! leading zeros, strictly ascending; version 1 must always be present because the blind
//! indexes and the database binding are derived from it (see [`Keyring`](crate::Keyring)).
//! The highest version is the current one.
//!
//! The file has mode 0600 and is refused when others may read or write it.
//!
//! - **Creation** is crash-safe: the key is written and synced to a temporary file in the same
//!   directory, which is then hard-linked to the final name. A hard link never replaces an
//!   existing file, so when two processes start at once exactly one key wins and both use it;
//!   and a crash leaves either no key file or a complete one, never a truncated key.
//! - **Rotation and retirement** replace the file: under an exclusive lock on the directory
//!   (so two rotations cannot lose each other's version), the new content is written and synced
//!   to a temporary file, renamed over the old file, and the directory is synced. Readers see
//!   the old file or the new one, never a mix.
//! - **The temporary file** holds key material, so a crash must not strand it: it has one fixed
//!   name beside the key file (`.master.key.tmp` for `master.key`), mode 0600, and is only
//!   written under the directory lock, so a crash leaves at most one. Loading, creating,
//!   rotating and retiring first remove, under the same lock, a leftover of that name or of
//!   the `.master.key.<pid>.<random>.tmp` names that earlier releases used
//!   (`remove_leftovers`).
//! - **The rotation journal** (`.master.key.rotating`, no key material) is written and synced
//!   before a rotation does anything else and removed when its re-wrapping is done
//!   (`begin_rotation`, `end_rotation`). A journal still there names the version the
//!   rotation started from, so a later run can tell "the new version was written, finish the
//!   re-wrap" from "the rotation was stopped before it wrote a version" even when older
//!   versions exist (`unfinished_rotation`).

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use crate::random::{self, RandomError};

/// What every line of the key file starts with, followed by the version, `:` and the key.
const LINE_PREFIX: &str = "skydd-master-key-v";

/// Key files are small; reading stops after this many bytes so a wrong path cannot eat memory.
/// Enough for some 250 key versions.
const MAX_FILE_LEN: u64 = 16 * 1024;

/// The former name of [`Keyring`](crate::Keyring), kept so that code written before key
/// rotation compiles unchanged: `MasterKey::load_or_create` and `check_value` behave as they
/// did. New code should name `Keyring`.
pub type MasterKey = crate::Keyring;

/// Errors loading, creating or changing the master key file. None of them contains key
/// material.
#[derive(Debug, thiserror::Error)]
pub enum MasterKeyError {
    /// The key file could not be read or written.
    #[error("master key file {path}: {source}")]
    Io {
        /// The key file.
        path: String,
        /// What went wrong.
        source: std::io::Error,
    },
    /// The key file can be read or changed by users other than its owner.
    #[error("master key file {path} is {} by others (mode {mode:04o}); run `chmod 600 {path}`", access_words(*.mode))]
    TooOpen {
        /// The key file.
        path: String,
        /// Its permission bits.
        mode: u32,
    },
    /// The key file exists but is not a regular file (a directory, a socket, …).
    #[error("master key file {path} is not a regular file; move it away and start again")]
    NotAFile {
        /// The configured key file path, where something else (a directory ...) is found.
        path: String,
    },
    /// The key file is empty (for example truncated by a failed copy).
    #[error(
        "master key file {path} is empty; restore it from your backup (a new key cannot read data encrypted with the old one)"
    )]
    Empty {
        /// The key file.
        path: String,
    },
    /// The key file does not hold a Skydd master key.
    #[error(
        "master key file {path} is not a Skydd master key ({reason}); restore it from your backup"
    )]
    Malformed {
        /// The key file.
        path: String,
        /// What is wrong with it, never its content.
        reason: &'static str,
    },
    /// No random bytes for a new key.
    #[error("cannot create master key file {path}: {source}")]
    Random {
        /// The key file that was to be created.
        path: String,
        /// The failure.
        source: RandomError,
    },
    /// A key version that may not be retired, or does not exist.
    #[error("cannot retire master key version {version} in {path}: {reason}")]
    CannotRetire {
        /// The key file.
        path: String,
        /// The version asked for.
        version: u32,
        /// Why not, and what to do instead.
        reason: &'static str,
    },
}

/// "readable", "writable" or "readable and writable", for [`MasterKeyError::TooOpen`].
fn access_words(mode: u32) -> &'static str {
    match (mode & 0o044 != 0, mode & 0o022 != 0) {
        (true, true) => "readable and writable",
        (true, false) => "readable",
        (false, true) => "writable",
        (false, false) => "accessible",
    }
}

/// One version of the master key as read from or written to the file.
pub(crate) struct KeyEntry {
    /// The version, 1 for the first key.
    pub(crate) version: u32,
    /// The 32 secret bytes: they wrap data keys, and version 1's also derive the blind-index and
    /// checkpoint keys. Zeroed when dropped.
    pub(crate) bytes: Zeroizing<[u8; 32]>,
}

/// Load the key file at `path`, or create it with a version-1 key if it does not exist.
/// Returns the versions, oldest first, and whether the file was created by this call.
/// Leftover temporary key files are removed first.
pub(crate) fn load_or_create(path: &Path) -> Result<(Vec<KeyEntry>, bool), MasterKeyError> {
    let _lock = lock_directory(path)?;
    remove_leftovers_locked(path)?;
    match load(path) {
        Err(MasterKeyError::Io { source, .. }) if source.kind() == io::ErrorKind::NotFound => {
            create(path)
        }
        loaded => loaded.map(|keys| (keys, false)),
    }
}

/// Add a new version, one above the current one, to the existing key file at `path`.
pub(crate) fn rotate(path: &Path) -> Result<Vec<KeyEntry>, MasterKeyError> {
    let _lock = lock_directory(path)?;
    remove_leftovers_locked(path)?;
    let mut keys = load(path)?;
    let next = keys
        .last()
        .and_then(|last| last.version.checked_add(1))
        .ok_or_else(|| MasterKeyError::Malformed {
            path: path.display().to_string(),
            reason: "no key version is left above the current one",
        })?;
    keys.push(KeyEntry {
        version: next,
        bytes: new_key(path)?,
    });
    replace(path, &keys)?;
    Ok(keys)
}

/// Remove `version` from the key file at `path`. Version 1 and the current version are kept.
pub(crate) fn retire(path: &Path, version: u32) -> Result<Vec<KeyEntry>, MasterKeyError> {
    let _lock = lock_directory(path)?;
    remove_leftovers_locked(path)?;
    let mut keys = load(path)?;
    let refuse = |reason| MasterKeyError::CannotRetire {
        path: path.display().to_string(),
        version,
        reason,
    };
    if version == 1 {
        return Err(refuse(
            "version 1 derives the blind indexes and the database binding and is kept for good",
        ));
    }
    if keys.last().is_some_and(|last| last.version == version) {
        return Err(refuse(
            "it is the current version; rotate first, re-wrap the data keys, then retire it",
        ));
    }
    let position = keys
        .iter()
        .position(|key| key.version == version)
        .ok_or_else(|| refuse("the key file has no such version"))?;
    keys.remove(position);
    replace(path, &keys)?;
    Ok(keys)
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> MasterKeyError + '_ {
    move |source| MasterKeyError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// Read and check an existing key file.
pub(crate) fn load(path: &Path) -> Result<Vec<KeyEntry>, MasterKeyError> {
    let shown = || path.display().to_string();
    let file = File::open(path).map_err(io_error(path))?;
    let metadata = file.metadata().map_err(io_error(path))?;
    if !metadata.is_file() {
        return Err(MasterKeyError::NotAFile { path: shown() });
    }
    let mode = metadata.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(MasterKeyError::TooOpen {
            path: shown(),
            mode,
        });
    }
    let mut content = Zeroizing::new(Vec::new());
    file.take(MAX_FILE_LEN + 1)
        .read_to_end(&mut content)
        .map_err(io_error(path))?;
    if content.is_empty() {
        return Err(MasterKeyError::Empty { path: shown() });
    }
    parse(&content).map_err(|reason| MasterKeyError::Malformed {
        path: shown(),
        reason,
    })
}

/// 32 random bytes for a new key version.
fn new_key(path: &Path) -> Result<Zeroizing<[u8; 32]>, MasterKeyError> {
    let mut bytes = Zeroizing::new([0u8; 32]);
    random::fill(&mut bytes[..]).map_err(|source| MasterKeyError::Random {
        path: path.display().to_string(),
        source,
    })?;
    Ok(bytes)
}

/// What the rotation journal's one line starts with, followed by the version rotated from.
const JOURNAL_PREFIX: &str = "skydd-key-rotation-from-v";

/// The rotation journal beside the key file at `path`: `.<name>.rotating`. It holds no key
/// material, only the version a rotation started from.
fn journal_path(path: &Path) -> Result<PathBuf, MasterKeyError> {
    let name = path.file_name().ok_or_else(|| MasterKeyError::NotAFile {
        path: path.display().to_string(),
    })?;
    Ok(path.with_file_name(format!(".{}.rotating", name.to_string_lossy())))
}

/// Record, durably and before anything else of the rotation happens, that a rotation of the
/// existing key file at `path` starts from its current version. Returns that version.
pub(crate) fn begin_rotation(path: &Path) -> Result<u32, MasterKeyError> {
    let _lock = lock_directory(path)?;
    let from = load(path)?.last().map_or(1, |key| key.version);
    let journal = journal_path(path)?;
    let mut file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&journal)
        .map_err(io_error(&journal))?;
    file.write_all(format!("{JOURNAL_PREFIX}{from}\n").as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(io_error(&journal))?;
    sync_directory(path)?;
    Ok(from)
}

/// A rotation that its journal says was started and not finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnfinishedRotation {
    /// It started when this version was the current one.
    From(u32),
    /// A crash cut the journal short: a rotation started, from a version no longer known.
    Unknown,
}

/// The rotation the journal beside `path` says is unfinished, `None` when there is no journal.
pub(crate) fn unfinished_rotation(
    path: &Path,
) -> Result<Option<UnfinishedRotation>, MasterKeyError> {
    let journal = journal_path(path)?;
    let content = match fs::read(&journal) {
        Ok(content) => content,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(io_error(&journal)(error)),
    };
    let from = content
        .strip_prefix(JOURNAL_PREFIX.as_bytes())
        .and_then(|rest| rest.strip_suffix(b"\n"))
        .and_then(parse_version);
    Ok(Some(from.map_or(
        UnfinishedRotation::Unknown,
        UnfinishedRotation::From,
    )))
}

/// Remove the rotation journal beside `path` (nothing to do when there is none).
pub(crate) fn end_rotation(path: &Path) -> Result<(), MasterKeyError> {
    let _lock = lock_directory(path)?;
    let journal = journal_path(path)?;
    match fs::remove_file(&journal) {
        Ok(()) => sync_directory(path),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(error) => Err(io_error(&journal)(error)),
    }
}

/// The directory `path` is in (`.` for a bare file name).
fn directory_of(path: &Path) -> &Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

/// Hold an exclusive lock on the key file's directory until the returned file is dropped.
///
/// The directory, not the key file, is locked because replacing the key file makes a new
/// inode: a lock on the old one would not stop a second process that opened the new one.
fn lock_directory(path: &Path) -> Result<File, MasterKeyError> {
    let dir = directory_of(path);
    let handle = File::open(dir).map_err(io_error(dir))?;
    handle.lock().map_err(io_error(dir))?;
    Ok(handle)
}

/// Remove the temporary key files that a crash left beside the key file at `path` (under the
/// directory lock, so never one that a running rotation is writing). Returns their paths;
/// their content is never read.
pub(crate) fn remove_leftovers(path: &Path) -> Result<Vec<PathBuf>, MasterKeyError> {
    let _lock = lock_directory(path)?;
    remove_leftovers_locked(path)
}

/// [`remove_leftovers`] for a caller that holds the directory lock.
fn remove_leftovers_locked(path: &Path) -> Result<Vec<PathBuf>, MasterKeyError> {
    let dir = directory_of(path);
    let name = path.file_name().ok_or_else(|| MasterKeyError::NotAFile {
        path: path.display().to_string(),
    })?;
    let name = name.to_string_lossy();
    let mut removed = Vec::new();
    for entry in fs::read_dir(dir).map_err(io_error(dir))? {
        let entry = entry.map_err(io_error(dir))?;
        let file_name = entry.file_name();
        if !is_temp_name(&name, &file_name.to_string_lossy()) {
            continue;
        }
        let temp = entry.path();
        match fs::remove_file(&temp) {
            Ok(()) => removed.push(temp),
            // Gone meanwhile (an older release's process cleaning up after itself).
            Err(error) if error.kind() == io::ErrorKind::NotFound => {}
            Err(error) => return Err(io_error(&temp)(error)),
        }
    }
    if !removed.is_empty() {
        sync_directory(path)?;
    }
    Ok(removed)
}

/// Whether `candidate` is a temporary file for the key file named `name`: `.<name>.tmp` (this
/// release) or `.<name>.<pid>.<hex>.tmp` (earlier releases).
fn is_temp_name(name: &str, candidate: &str) -> bool {
    let Some(middle) = candidate
        .strip_prefix('.')
        .and_then(|rest| rest.strip_prefix(name))
        .and_then(|rest| rest.strip_suffix(".tmp"))
    else {
        return false;
    };
    if middle.is_empty() {
        return true;
    }
    let Some((pid, nonce)) = middle.strip_prefix('.').and_then(|m| m.split_once('.')) else {
        return false;
    };
    !pid.is_empty()
        && pid.bytes().all(|b| b.is_ascii_digit())
        && !nonce.is_empty()
        && nonce.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Create a new key at `path`, or load the one another process created a moment earlier (the
/// caller holds the directory lock).
fn create(path: &Path) -> Result<(Vec<KeyEntry>, bool), MasterKeyError> {
    let keys = vec![KeyEntry {
        version: 1,
        bytes: new_key(path)?,
    }];
    let temp = temp_path(path)?;
    let written = write_synced(&temp, &encode(&keys));
    if let Err(error) = written {
        let _ = fs::remove_file(&temp);
        return Err(error);
    }

    // The hard link is the commit point: it fails rather than replace a file that appeared
    // meanwhile, and a crash before it leaves only the temporary file behind.
    let linked = fs::hard_link(&temp, path);
    let removed = fs::remove_file(&temp);
    match linked {
        Ok(()) => {}
        Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {
            removed.map_err(io_error(&temp))?;
            return load(path).map(|keys| (keys, false));
        }
        Err(error) => return Err(io_error(path)(error)),
    }
    removed.map_err(io_error(&temp))?;
    sync_directory(path)?;
    Ok((keys, true))
}

/// Replace the key file at `path` with `keys` (the caller holds the directory lock).
fn replace(path: &Path, keys: &[KeyEntry]) -> Result<(), MasterKeyError> {
    let temp = temp_path(path)?;
    let written = write_synced(&temp, &encode(keys))
        .and_then(|()| fs::rename(&temp, path).map_err(io_error(path)));
    if let Err(error) = written {
        let _ = fs::remove_file(&temp);
        return Err(error);
    }
    sync_directory(path)
}

/// Make a new directory entry for `path` durable, so the key survives a power loss once used.
fn sync_directory(path: &Path) -> Result<(), MasterKeyError> {
    let dir = directory_of(path);
    File::open(dir)
        .and_then(|dir| dir.sync_all())
        .map_err(io_error(dir))
}

/// The one temporary name beside `path`, `.<name>.tmp`: only written under the directory lock,
/// so no two processes use it at once, and a crash leaves at most one such file.
fn temp_path(path: &Path) -> Result<PathBuf, MasterKeyError> {
    let name = path.file_name().ok_or_else(|| MasterKeyError::NotAFile {
        path: path.display().to_string(),
    })?;
    Ok(path.with_file_name(format!(".{}.tmp", name.to_string_lossy())))
}

/// Write `content` to a new file (mode 0600, never an existing one) and sync it to disk.
fn write_synced(path: &Path, content: &str) -> Result<(), MasterKeyError> {
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(io_error(path))?;
    file.write_all(content.as_bytes()).map_err(io_error(path))?;
    file.sync_all().map_err(io_error(path))
}

/// The key file's content for `keys`.
fn encode(keys: &[KeyEntry]) -> Zeroizing<String> {
    let mut text = Zeroizing::new(String::with_capacity(keys.len() * 80));
    for key in keys {
        text.push_str(LINE_PREFIX);
        text.push_str(&key.version.to_string());
        text.push(':');
        text.push_str(&Zeroizing::new(
            data_encoding::BASE64.encode(&key.bytes[..]),
        ));
        text.push('\n');
    }
    text
}

/// The keys in a key file's content, or why there are none. The reason never quotes the
/// content.
fn parse(content: &[u8]) -> Result<Vec<KeyEntry>, &'static str> {
    if content.len() as u64 > MAX_FILE_LEN {
        return Err("the file is far too long");
    }
    let body = content.strip_suffix(b"\n").unwrap_or(content);
    let mut keys: Vec<KeyEntry> = Vec::new();
    for line in body.split(|&byte| byte == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let (version, bytes) = parse_line(line)?;
        match keys.last() {
            None if version != 1 => {
                return Err("version 1 is missing; it is needed for good");
            }
            Some(last) if version <= last.version => {
                return Err("the key versions are not in ascending order");
            }
            _ => keys.push(KeyEntry { version, bytes }),
        }
    }
    Ok(keys)
}

/// One line: `skydd-master-key-v<version>:<base64>`.
fn parse_line(line: &[u8]) -> Result<(u32, Zeroizing<[u8; 32]>), &'static str> {
    const NO_PREFIX: &str = "a line does not start with `skydd-master-key-v<version>:`";
    let rest = line.strip_prefix(LINE_PREFIX.as_bytes()).ok_or(NO_PREFIX)?;
    let colon = rest
        .iter()
        .position(|&byte| byte == b':')
        .ok_or(NO_PREFIX)?;
    let (digits, encoded) = (&rest[..colon], &rest[colon + 1..]);
    let version = parse_version(digits).ok_or("a key version is not a whole number from 1 up")?;
    let decoded = Zeroizing::new(
        data_encoding::BASE64
            .decode(encoded)
            .map_err(|_| "a key is not valid base64")?,
    );
    if decoded.len() != 32 {
        return Err("a key is not 32 bytes long");
    }
    let mut bytes = Zeroizing::new([0u8; 32]);
    bytes.copy_from_slice(&decoded);
    Ok((version, bytes))
}

/// A version number: decimal digits without a leading zero, from 1 to `u32::MAX`.
fn parse_version(digits: &[u8]) -> Option<u32> {
    if digits.first() == Some(&b'0') || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(digits).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::sync::{Arc, Barrier};

    fn key_path(dir: &tempfile::TempDir) -> PathBuf {
        dir.path().join("master.key")
    }

    fn mode_of(path: &Path) -> u32 {
        fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    fn write_with_mode(path: &Path, content: &[u8], mode: u32) {
        fs::write(path, content).unwrap();
        fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
    }

    fn names_in(dir: &tempfile::TempDir) -> Vec<std::ffi::OsString> {
        fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect()
    }

    fn summary(keys: &[KeyEntry]) -> Vec<(u32, [u8; 32])> {
        keys.iter().map(|k| (k.version, *k.bytes)).collect()
    }

    #[test]
    fn creates_a_private_key_file_then_loads_the_same_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = key_path(&dir);

        let (created, was_created) = load_or_create(&path).unwrap();
        assert!(was_created);
        assert_eq!(mode_of(&path), 0o600);
        let text = fs::read_to_string(&path).unwrap();
        assert!(
            text.starts_with("skydd-master-key-v1:") && text.ends_with('\n'),
            "{text}"
        );
        assert_eq!(text.lines().count(), 1);

        let (loaded, was_created) = load_or_create(&path).unwrap();
        assert!(!was_created);
        assert_eq!(summary(&loaded), summary(&created));
        assert_eq!(
            names_in(&dir),
            ["master.key"],
            "the temporary file is removed"
        );
    }

    /// What a `kill -9` during a rotation left: a temporary file beside the key file holding
    /// the full key file content, once with the fixed name of this release and once with the
    /// per-process name of earlier ones.
    fn strand_temp_files(dir: &tempfile::TempDir) -> Vec<std::ffi::OsString> {
        let content = fs::read(key_path(dir)).unwrap();
        let names = [".master.key.tmp", ".master.key.4242.0123456789abcdef.tmp"];
        for name in names {
            write_with_mode(&dir.path().join(name), &content, 0o600);
        }
        names.iter().map(Into::into).collect()
    }

    fn sorted_names_in(dir: &tempfile::TempDir) -> Vec<std::ffi::OsString> {
        let mut names = names_in(dir);
        names.sort();
        names
    }

    #[test]
    fn loading_removes_temporary_files_a_crash_left_behind() {
        let dir = tempfile::tempdir().unwrap();
        let path = key_path(&dir);
        let (created, _) = load_or_create(&path).unwrap();
        strand_temp_files(&dir);
        // Look-alikes that are not ours stay.
        for other in [
            ".master.key.bak",
            "master.key.tmp",
            ".master.key.x.tmp",
            ".other.tmp",
        ] {
            write_with_mode(&dir.path().join(other), b"not a key", 0o600);
        }

        let (loaded, created_now) = load_or_create(&path).unwrap();
        assert!(!created_now);
        assert_eq!(summary(&loaded), summary(&created));
        assert_eq!(
            sorted_names_in(&dir),
            [
                ".master.key.bak",
                ".master.key.x.tmp",
                ".other.tmp",
                "master.key",
                "master.key.tmp"
            ]
        );
    }

    #[test]
    fn rotating_and_retiring_remove_temporary_files_a_crash_left_behind() {
        let dir = tempfile::tempdir().unwrap();
        let path = key_path(&dir);
        load_or_create(&path).unwrap();
        strand_temp_files(&dir);
        rotate(&path).unwrap();
        assert_eq!(names_in(&dir), ["master.key"]);

        rotate(&path).unwrap();
        strand_temp_files(&dir);
        retire(&path, 2).unwrap();
        assert_eq!(names_in(&dir), ["master.key"]);
    }

    #[test]
    fn remove_leftovers_names_what_it_removed() {
        let dir = tempfile::tempdir().unwrap();
        let path = key_path(&dir);
        load_or_create(&path).unwrap();
        assert!(remove_leftovers(&path).unwrap().is_empty());
        let mut stranded = strand_temp_files(&dir);
        stranded.sort();
        let mut removed: Vec<_> = remove_leftovers(&path)
            .unwrap()
            .iter()
            .map(|p| p.file_name().unwrap().to_owned())
            .collect();
        removed.sort();
        assert_eq!(removed, stranded);
        assert_eq!(names_in(&dir), ["master.key"]);
    }

    #[test]
    fn the_rotation_journal_names_the_version_a_rotation_started_from() {
        let dir = tempfile::tempdir().unwrap();
        let path = key_path(&dir);
        load_or_create(&path).unwrap();
        rotate(&path).unwrap();
        assert_eq!(unfinished_rotation(&path).unwrap(), None);

        assert_eq!(begin_rotation(&path).unwrap(), 2);
        assert_eq!(
            unfinished_rotation(&path).unwrap(),
            Some(UnfinishedRotation::From(2))
        );
        // It is no temporary key file: opening and rotating leave it where it is.
        assert!(remove_leftovers(&path).unwrap().is_empty());
        rotate(&path).unwrap();
        assert_eq!(
            unfinished_rotation(&path).unwrap(),
            Some(UnfinishedRotation::From(2))
        );
        let journal = fs::read_to_string(dir.path().join(".master.key.rotating")).unwrap();
        assert_eq!(journal, "skydd-key-rotation-from-v2\n", "no key material");

        end_rotation(&path).unwrap();
        assert_eq!(unfinished_rotation(&path).unwrap(), None);
        end_rotation(&path).unwrap();
        assert_eq!(names_in(&dir), ["master.key"]);
    }

    #[test]
    fn a_journal_cut_short_is_an_unfinished_rotation_from_an_unknown_version() {
        let dir = tempfile::tempdir().unwrap();
        let path = key_path(&dir);
        load_or_create(&path).unwrap();
        for cut in [
            "",
            "skydd-key-rot",
            "skydd-key-rotation-from-v",
            "skydd-key-rotation-from-v1",
        ] {
            fs::write(dir.path().join(".master.key.rotating"), cut).unwrap();
            assert_eq!(
                unfinished_rotation(&path).unwrap(),
                Some(UnfinishedRotation::Unknown),
                "{cut:?}"
            );
        }
    }

    #[test]
    fn the_temporary_file_has_one_fixed_name() {
        let path = Path::new("/srv/skydd/master.key");
        assert_eq!(
            temp_path(path).unwrap(),
            Path::new("/srv/skydd/.master.key.tmp")
        );
        assert!(is_temp_name("master.key", ".master.key.tmp"));
        assert!(is_temp_name("master.key", ".master.key.17.00ff.tmp"));
        assert!(!is_temp_name("master.key", ".master.key..tmp"));
        assert!(!is_temp_name("master.key", ".master.key.17.tmp"));
        assert!(!is_temp_name("master.key", ".master.key.17.zz.tmp"));
        assert!(!is_temp_name("master.key", "master.key"));
    }

    #[test]
    fn a_key_file_written_before_rotation_loads_as_version_1() {
        // The exact format of the first release: one line, no version beyond the prefix.
        let dir = tempfile::tempdir().unwrap();
        let path = key_path(&dir);
        let key: [u8; 32] = std::array::from_fn(|i| i as u8);
        let line = format!(
            "skydd-master-key-v1:{}\n",
            data_encoding::BASE64.encode(&key)
        );
        assert_eq!(
            line,
            "skydd-master-key-v1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n"
        );
        write_with_mode(&path, line.as_bytes(), 0o600);
        let (keys, created) = load_or_create(&path).unwrap();
        assert!(!created);
        assert_eq!(summary(&keys), [(1, key)]);
        assert_eq!(
            fs::read_to_string(&path).unwrap(),
            line,
            "loading never rewrites"
        );
    }

    #[test]
    fn rotation_appends_a_version_and_keeps_the_old_ones() {
        let dir = tempfile::tempdir().unwrap();
        let path = key_path(&dir);
        let (first, _) = load_or_create(&path).unwrap();
        let original = fs::read_to_string(&path).unwrap();

        let rotated = rotate(&path).unwrap();
        assert_eq!(rotated.len(), 2);
        assert_eq!(summary(&rotated[..1]), summary(&first));
        assert_eq!(rotated[1].version, 2);
        assert_ne!(*rotated[1].bytes, *first[0].bytes);
        assert_eq!(mode_of(&path), 0o600);
        let text = fs::read_to_string(&path).unwrap();
        assert!(
            text.starts_with(&original),
            "version 1's line is kept as it was"
        );
        assert!(
            text.lines()
                .nth(1)
                .unwrap()
                .starts_with("skydd-master-key-v2:")
        );

        let again = rotate(&path).unwrap();
        assert_eq!(
            again.iter().map(|k| k.version).collect::<Vec<_>>(),
            [1, 2, 3]
        );
        assert_eq!(summary(&load(&path).unwrap()), summary(&again));
        assert_eq!(
            names_in(&dir),
            ["master.key"],
            "no temporary file is left behind"
        );
    }

    #[test]
    fn rotation_needs_an_existing_private_key_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = key_path(&dir);
        let error = rotate(&path).err().unwrap();
        assert!(matches!(error, MasterKeyError::Io { .. }), "{error:?}");
        assert!(!path.exists(), "rotation never creates a first key");

        load_or_create(&path).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        let error = rotate(&path).err().unwrap();
        assert!(matches!(error, MasterKeyError::TooOpen { .. }), "{error:?}");
        assert_eq!(fs::read_to_string(&path).unwrap().lines().count(), 1);
    }

    #[test]
    fn concurrent_rotations_lose_no_version() {
        let dir = tempfile::tempdir().unwrap();
        let path = Arc::new(key_path(&dir));
        load_or_create(&path).unwrap();
        let threads = 6;
        let barrier = Arc::new(Barrier::new(threads));
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let (path, barrier) = (Arc::clone(&path), Arc::clone(&barrier));
                std::thread::spawn(move || {
                    barrier.wait();
                    rotate(&path).unwrap().last().unwrap().version
                })
            })
            .collect();
        let mut current: Vec<u32> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        current.sort_unstable();
        assert_eq!(
            current,
            [2, 3, 4, 5, 6, 7],
            "each rotation made its own version"
        );
        assert_eq!(load(&path).unwrap().len(), 7);
    }

    #[test]
    fn retiring_removes_an_old_version_but_never_1_or_the_current_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = key_path(&dir);
        load_or_create(&path).unwrap();
        rotate(&path).unwrap();
        let three = rotate(&path).unwrap();

        for (version, reason) in [
            (1, "blind indexes"),
            (3, "current version"),
            (9, "no such version"),
        ] {
            let error = retire(&path, version).err().unwrap();
            assert!(
                matches!(error, MasterKeyError::CannotRetire { .. }),
                "{error:?}"
            );
            assert!(error.to_string().contains(reason), "{error}");
        }
        assert_eq!(load(&path).unwrap().len(), 3, "refusals change nothing");

        let left = retire(&path, 2).unwrap();
        assert_eq!(
            summary(&left),
            [summary(&three)[0], summary(&three)[2]],
            "versions keep their numbers"
        );
        assert_eq!(summary(&load(&path).unwrap()), summary(&left));
        let next = rotate(&path).unwrap();
        assert_eq!(
            next.last().unwrap().version,
            4,
            "a retired number is not reused"
        );
    }

    #[test]
    fn refuses_a_key_file_others_can_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = key_path(&dir);
        load_or_create(&path).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();

        let error = load_or_create(&path).err().unwrap();
        let shown = path.display();
        assert_eq!(
            error.to_string(),
            format!(
                "master key file {shown} is readable by others (mode 0644); run `chmod 600 {shown}`"
            )
        );
        assert_eq!(mode_of(&path), 0o644, "the file is left alone");

        fs::set_permissions(&path, fs::Permissions::from_mode(0o620)).unwrap();
        let error = load_or_create(&path).err().unwrap();
        assert!(
            error
                .to_string()
                .contains("is writable by others (mode 0620)"),
            "{error}"
        );

        fs::set_permissions(&path, fs::Permissions::from_mode(0o400)).unwrap();
        load_or_create(&path).unwrap();
    }

    #[test]
    fn refuses_an_empty_key_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = key_path(&dir);
        write_with_mode(&path, b"", 0o600);
        let error = load_or_create(&path).err().unwrap();
        assert!(matches!(error, MasterKeyError::Empty { .. }), "{error:?}");
        assert!(
            error
                .to_string()
                .contains("is empty; restore it from your backup"),
            "{error}"
        );
        assert_eq!(
            fs::read(&path).unwrap(),
            b"",
            "an empty file is never replaced"
        );
    }

    #[test]
    fn refuses_malformed_key_files_without_quoting_them() {
        let dir = tempfile::tempdir().unwrap();
        let path = key_path(&dir);
        let good = "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0MTI=";
        let cases: Vec<(String, &str)> = vec![
            (format!("{good}\n"), "does not start with"),
            (
                format!("skydd-master-key-v2:{good}\n"),
                "version 1 is missing",
            ),
            (
                format!("skydd-master-key-v0:{good}\n"),
                "not a whole number",
            ),
            (
                format!("skydd-master-key-v01:{good}\n"),
                "not a whole number",
            ),
            (
                format!("skydd-master-key-v1x:{good}\n"),
                "not a whole number",
            ),
            (format!("skydd-master-key-v:{good}\n"), "not a whole number"),
            (
                format!("skydd-master-key-v99999999999:{good}\n"),
                "not a whole number",
            ),
            (
                format!("skydd-master-key-v1{good}\n"),
                "does not start with",
            ),
            ("skydd-master-key-v1:c2VjcmV0\n".to_owned(), "not 32 bytes"),
            (
                "skydd-master-key-v1:c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0\n".to_owned(),
                "not 32 bytes",
            ),
            (
                "skydd-master-key-v1:c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0M!I=\n".to_owned(),
                "not valid base64",
            ),
            (
                format!("skydd-master-key-v1:{good}\nmore\n"),
                "does not start with",
            ),
            (
                format!("skydd-master-key-v1:{good}\n\nskydd-master-key-v2:{good}\n"),
                "does not start with",
            ),
            (
                format!(
                    "skydd-master-key-v1:{good}\nskydd-master-key-v3:{good}\nskydd-master-key-v2:{good}\n"
                ),
                "not in ascending order",
            ),
            (
                format!("skydd-master-key-v1:{good}\nskydd-master-key-v1:{good}\n"),
                "not in ascending order",
            ),
        ];
        for (content, reason) in &cases {
            write_with_mode(&path, content.as_bytes(), 0o600);
            let error = load_or_create(&path).err().unwrap();
            let message = error.to_string();
            assert!(
                matches!(error, MasterKeyError::Malformed { .. }),
                "{error:?}"
            );
            assert!(message.contains(reason), "{content:?}: {message}");
            assert!(
                !message.contains("c2Vj"),
                "the content is never shown: {message}"
            );
            assert_eq!(
                fs::read(&path).unwrap(),
                content.as_bytes(),
                "a malformed file is never replaced"
            );
        }

        write_with_mode(&path, &[b'x'; 20_000], 0o600);
        let error = load_or_create(&path).err().unwrap();
        assert!(error.to_string().contains("far too long"), "{error}");
    }

    #[test]
    fn refuses_a_directory() {
        let dir = tempfile::tempdir().unwrap();
        let path = key_path(&dir);
        fs::create_dir(&path).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o700)).unwrap();
        let error = load_or_create(&path).err().unwrap();
        assert!(
            matches!(error, MasterKeyError::NotAFile { .. }),
            "{error:?}"
        );
    }

    #[test]
    fn a_missing_directory_is_an_io_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing").join("master.key");
        let error = load_or_create(&path).err().unwrap();
        assert!(matches!(error, MasterKeyError::Io { .. }), "{error:?}");
        assert!(error.to_string().contains("missing"), "{error}");
    }

    #[test]
    fn concurrent_creation_yields_one_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = Arc::new(key_path(&dir));
        let threads = 8;
        let barrier = Arc::new(Barrier::new(threads));
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let (path, barrier) = (Arc::clone(&path), Arc::clone(&barrier));
                std::thread::spawn(move || {
                    barrier.wait();
                    let (keys, created) = load_or_create(&path).unwrap();
                    (summary(&keys), created)
                })
            })
            .collect();
        let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();

        assert_eq!(results.iter().filter(|(_, created)| *created).count(), 1);
        let (first, _) = &results[0];
        assert!(results.iter().all(|(keys, _)| keys == first));
        let (on_disk, _) = load_or_create(&path).unwrap();
        assert_eq!(&summary(&on_disk), first);
        assert_eq!(
            names_in(&dir),
            ["master.key"],
            "no temporary file is left behind"
        );
    }

    #[test]
    fn creation_that_loses_the_race_loads_the_winners_key() {
        // What a process sees when another one linked its key in between our "not found" and
        // our hard link: the existing key is loaded, not replaced.
        let dir = tempfile::tempdir().unwrap();
        let path = key_path(&dir);
        let (winner, _) = load_or_create(&path).unwrap();
        let (loser, created) = create(&path).unwrap();
        assert!(!created);
        assert_eq!(summary(&loser), summary(&winner));
        assert_eq!(
            names_in(&dir),
            ["master.key"],
            "the loser's temporary file is removed"
        );
    }

    fn entries(versions: &[u32], seed: u8) -> Vec<KeyEntry> {
        versions
            .iter()
            .map(|&version| KeyEntry {
                version,
                bytes: Zeroizing::new([seed.wrapping_add(version as u8); 32]),
            })
            .collect()
    }

    proptest! {
        #[test]
        fn key_file_content_round_trips(
            bytes in proptest::collection::vec(any::<[u8; 32]>(), 1..6),
            gaps in proptest::collection::vec(1u32..1000, 6),
        ) {
            let mut version = 1;
            let keys: Vec<KeyEntry> = bytes
                .iter()
                .zip(&gaps)
                .map(|(bytes, gap)| {
                    let key = KeyEntry { version, bytes: Zeroizing::new(*bytes) };
                    version += gap;
                    key
                })
                .collect();
            let content = encode(&keys);
            prop_assert_eq!(summary(&parse(content.as_bytes()).unwrap()), summary(&keys));
            let crlf = content.replace('\n', "\r\n");
            prop_assert_eq!(summary(&parse(crlf.as_bytes()).unwrap()), summary(&keys));
            let no_newline = content.trim_end();
            prop_assert_eq!(summary(&parse(no_newline.as_bytes()).unwrap()), summary(&keys));
        }

        #[test]
        fn a_single_version_1_is_the_original_format(bytes in any::<[u8; 32]>()) {
            let keys = [KeyEntry { version: 1, bytes: Zeroizing::new(bytes) }];
            let original = format!("skydd-master-key-v1:{}\n", data_encoding::BASE64.encode(&bytes));
            let encoded = encode(&keys);
            prop_assert_eq!(encoded.as_str(), original.as_str());
        }

        #[test]
        fn parse_never_panics(content in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = parse(&content);
        }

        #[test]
        fn parse_never_panics_on_near_misses(
            versions in proptest::collection::vec(0u32..5, 0..5),
            cut in 0usize..400,
        ) {
            let content = encode(&entries(&versions, 7));
            let _ = parse(&content.as_bytes()[..cut.min(content.len())]);
        }
    }
}
