//! The 256-bit master key: created once in the data directory, readable only by its owner.
//!
//! The key file is one line of text, `skydd-master-key-v1:<base64 of 32 bytes>`, with mode 0600.
//! It is created crash-safely: the key is written and synced to a temporary file in the same
//! directory, which is then hard-linked to the final name. A hard link never replaces an
//! existing file, so when two processes start at once exactly one key wins and both use it; and
//! a crash leaves either no key file or a complete one, never a truncated key.

use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use zeroize::{Zeroize, Zeroizing};

use crate::random::{self, RandomError};

/// What the key file starts with; the version lets a later format be told apart.
const FORMAT_PREFIX: &str = "skydd-master-key-v1:";

/// Key files are tiny; reading stops after this many bytes so a wrong path cannot eat memory.
const MAX_FILE_LEN: u64 = 1024;

/// The domain-separation label of [`MasterKey::check_value`].
const CHECK_LABEL: &[u8] = b"skydd master key check v1";

/// The master key. Wraps every subject data key (envelope encryption, later issues).
pub struct MasterKey {
    bytes: zeroize::Zeroizing<[u8; 32]>,
}

/// Errors loading or creating the master key file. None of them contains key material.
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
        /// The path.
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

impl MasterKey {
    /// Load the key at `path`, or create it (mode 0600) if the file does not exist. Returns the
    /// key and whether it was created by this call.
    ///
    /// The directory must exist. A key file that others may read, or that is empty or malformed,
    /// is refused with an error saying how to fix it; nothing is ever overwritten.
    pub fn load_or_create(path: &Path) -> Result<(MasterKey, bool), MasterKeyError> {
        match load(path) {
            Err(MasterKeyError::Io { source, .. }) if source.kind() == io::ErrorKind::NotFound => {
                create(path)
            }
            loaded => loaded.map(|key| (key, false)),
        }
    }

    /// A value derived from the key that identifies it without revealing it (stored in the
    /// database to detect a wrong key file).
    ///
    /// It is HMAC-SHA-256 keyed with the master key over the fixed label
    /// `skydd master key check v1`, hex encoded: the same key always gives the same value, and
    /// the value says nothing about the key.
    pub fn check_value(&self) -> String {
        // HMAC pads a key shorter than the hash's block (64 bytes for SHA-256) with zeros, so
        // passing the zero-padded block to the infallible constructor is HMAC with the 32-byte
        // key itself (RFC 2104, section 2).
        let mut block = hmac::digest::Key::<Hmac<Sha256>>::default();
        block[..self.bytes.len()].copy_from_slice(&self.bytes[..]);
        let mut mac = <Hmac<Sha256> as KeyInit>::new(&block);
        block[..].zeroize();
        mac.update(CHECK_LABEL);
        data_encoding::HEXLOWER.encode(&mac.finalize().into_bytes())
    }
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MasterKey(<redacted>)")
    }
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> MasterKeyError + '_ {
    move |source| MasterKeyError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// Read and check an existing key file.
fn load(path: &Path) -> Result<MasterKey, MasterKeyError> {
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
    let bytes = parse(&content).map_err(|reason| MasterKeyError::Malformed {
        path: shown(),
        reason,
    })?;
    Ok(MasterKey { bytes })
}

/// Create a new key at `path`, or load the one another process created a moment earlier.
fn create(path: &Path) -> Result<(MasterKey, bool), MasterKeyError> {
    let mut bytes = Zeroizing::new([0u8; 32]);
    random::fill(&mut bytes[..]).map_err(|source| MasterKeyError::Random {
        path: path.display().to_string(),
        source,
    })?;

    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let temp = temp_path(path)?;
    let written = write_synced(&temp, &encode(&bytes));
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
            return load(path).map(|key| (key, false));
        }
        Err(error) => return Err(io_error(path)(error)),
    }
    removed.map_err(io_error(&temp))?;
    // Make the new directory entry durable, so the key survives a power loss once we use it.
    File::open(dir)
        .and_then(|dir| dir.sync_all())
        .map_err(io_error(dir))?;
    Ok((MasterKey { bytes }, true))
}

/// A temporary name beside `path` that no other process picks: `.<name>.<pid>.<random>.tmp`.
fn temp_path(path: &Path) -> Result<PathBuf, MasterKeyError> {
    let mut nonce = [0u8; 8];
    random::fill(&mut nonce).map_err(|source| MasterKeyError::Random {
        path: path.display().to_string(),
        source,
    })?;
    let name = path.file_name().ok_or_else(|| MasterKeyError::NotAFile {
        path: path.display().to_string(),
    })?;
    let temp_name = format!(
        ".{}.{}.{}.tmp",
        name.to_string_lossy(),
        std::process::id(),
        data_encoding::HEXLOWER.encode(&nonce)
    );
    Ok(path.with_file_name(temp_name))
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

/// The key file's content for `bytes`.
fn encode(bytes: &[u8; 32]) -> Zeroizing<String> {
    let mut line = Zeroizing::new(String::with_capacity(FORMAT_PREFIX.len() + 45));
    line.push_str(FORMAT_PREFIX);
    line.push_str(&Zeroizing::new(data_encoding::BASE64.encode(bytes)));
    line.push('\n');
    line
}

/// The key in a key file's content, or why there is none. The reason never quotes the content.
fn parse(content: &[u8]) -> Result<Zeroizing<[u8; 32]>, &'static str> {
    if content.len() as u64 > MAX_FILE_LEN {
        return Err("the file is far too long");
    }
    let line = content.strip_suffix(b"\n").unwrap_or(content);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let encoded = line
        .strip_prefix(FORMAT_PREFIX.as_bytes())
        .ok_or("it does not start with `skydd-master-key-v1:`")?;
    let decoded = Zeroizing::new(
        data_encoding::BASE64
            .decode(encoded)
            .map_err(|_| "the key is not valid base64")?,
    );
    if decoded.len() != 32 {
        return Err("the key is not 32 bytes long");
    }
    let mut bytes = Zeroizing::new([0u8; 32]);
    bytes.copy_from_slice(&decoded);
    Ok(bytes)
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

    #[test]
    fn creates_a_private_key_file_then_loads_the_same_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = key_path(&dir);

        let (created, was_created) = MasterKey::load_or_create(&path).unwrap();
        assert!(was_created);
        assert_eq!(mode_of(&path), 0o600);
        let text = fs::read_to_string(&path).unwrap();
        assert!(
            text.starts_with("skydd-master-key-v1:") && text.ends_with('\n'),
            "{text}"
        );
        assert_eq!(text.lines().count(), 1);

        let (loaded, was_created) = MasterKey::load_or_create(&path).unwrap();
        assert!(!was_created);
        assert_eq!(loaded.bytes, created.bytes);
        assert_eq!(loaded.check_value(), created.check_value());

        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["master.key"], "the temporary file is removed");
    }

    #[test]
    fn different_keys_have_different_check_values() {
        let dir = tempfile::tempdir().unwrap();
        let (a, _) = MasterKey::load_or_create(&dir.path().join("a.key")).unwrap();
        let (b, _) = MasterKey::load_or_create(&dir.path().join("b.key")).unwrap();
        assert_ne!(a.bytes, b.bytes);
        assert_ne!(a.check_value(), b.check_value());
    }

    #[test]
    fn check_value_is_hmac_sha256_of_the_label() {
        // Computed independently: HMAC-SHA-256 with key 00 01 .. 1f over the label.
        let key = MasterKey {
            bytes: Zeroizing::new(std::array::from_fn(|i| i as u8)),
        };
        let expected = {
            let mut mac = Hmac::<Sha256>::new_from_slice(&key.bytes[..]).unwrap();
            mac.update(b"skydd master key check v1");
            data_encoding::HEXLOWER.encode(&mac.finalize().into_bytes())
        };
        assert_eq!(key.check_value(), expected);
        assert_eq!(key.check_value().len(), 64);
        let hex_key = data_encoding::HEXLOWER.encode(&key.bytes[..]);
        assert!(!key.check_value().contains(&hex_key[..16]));
    }

    #[test]
    fn refuses_a_key_file_others_can_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = key_path(&dir);
        MasterKey::load_or_create(&path).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();

        let error = MasterKey::load_or_create(&path).unwrap_err();
        let shown = path.display();
        assert_eq!(
            error.to_string(),
            format!(
                "master key file {shown} is readable by others (mode 0644); run `chmod 600 {shown}`"
            )
        );
        assert_eq!(mode_of(&path), 0o644, "the file is left alone");

        fs::set_permissions(&path, fs::Permissions::from_mode(0o620)).unwrap();
        let error = MasterKey::load_or_create(&path).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("is writable by others (mode 0620)"),
            "{error}"
        );

        fs::set_permissions(&path, fs::Permissions::from_mode(0o400)).unwrap();
        MasterKey::load_or_create(&path).unwrap();
    }

    #[test]
    fn refuses_an_empty_key_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = key_path(&dir);
        write_with_mode(&path, b"", 0o600);
        let error = MasterKey::load_or_create(&path).unwrap_err();
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
        let cases: &[(&[u8], &str)] = &[
            (
                b"c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0MTI=\n",
                "does not start with",
            ),
            (
                b"skydd-master-key-v2:c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0MTI=\n",
                "does not start with",
            ),
            (b"skydd-master-key-v1:c2VjcmV0\n", "not 32 bytes"),
            (
                b"skydd-master-key-v1:c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0\n",
                "not 32 bytes",
            ),
            (
                b"skydd-master-key-v1:c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0M!I=\n",
                "not valid base64",
            ),
            (
                b"skydd-master-key-v1:c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0MTI=\nmore\n",
                "not valid base64",
            ),
        ];
        for (content, reason) in cases {
            write_with_mode(&path, content, 0o600);
            let error = MasterKey::load_or_create(&path).unwrap_err();
            let message = error.to_string();
            assert!(
                matches!(error, MasterKeyError::Malformed { .. }),
                "{error:?}"
            );
            assert!(message.contains(reason), "{message}");
            assert!(
                !message.contains("c2Vj"),
                "the content is never shown: {message}"
            );
            assert_eq!(
                fs::read(&path).unwrap(),
                *content,
                "a malformed file is never replaced"
            );
        }

        write_with_mode(&path, &[b'x'; 5000], 0o600);
        let error = MasterKey::load_or_create(&path).unwrap_err();
        assert!(error.to_string().contains("far too long"), "{error}");
    }

    #[test]
    fn refuses_a_directory() {
        let dir = tempfile::tempdir().unwrap();
        let path = key_path(&dir);
        fs::create_dir(&path).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o700)).unwrap();
        let error = MasterKey::load_or_create(&path).unwrap_err();
        assert!(
            matches!(error, MasterKeyError::NotAFile { .. }),
            "{error:?}"
        );
    }

    #[test]
    fn a_missing_directory_is_an_io_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing").join("master.key");
        let error = MasterKey::load_or_create(&path).unwrap_err();
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
                    MasterKey::load_or_create(&path).unwrap()
                })
            })
            .collect();
        let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();

        assert_eq!(results.iter().filter(|(_, created)| *created).count(), 1);
        let (first, _) = &results[0];
        assert!(results.iter().all(|(key, _)| key.bytes == first.bytes));
        let (on_disk, _) = MasterKey::load_or_create(&path).unwrap();
        assert_eq!(on_disk.bytes, first.bytes);
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["master.key"], "no temporary file is left behind");
    }

    #[test]
    fn creation_that_loses_the_race_loads_the_winners_key() {
        // What a process sees when another one linked its key in between our "not found" and
        // our hard link: the existing key is loaded, not replaced.
        let dir = tempfile::tempdir().unwrap();
        let path = key_path(&dir);
        let (winner, _) = MasterKey::load_or_create(&path).unwrap();
        let (loser, created) = create(&path).unwrap();
        assert!(!created);
        assert_eq!(loser.bytes, winner.bytes);
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(
            names,
            ["master.key"],
            "the loser's temporary file is removed"
        );
    }

    #[test]
    fn debug_is_redacted() {
        let key = MasterKey {
            bytes: Zeroizing::new([0xab; 32]),
        };
        assert_eq!(format!("{key:?}"), "MasterKey(<redacted>)");
    }

    proptest! {
        #[test]
        fn key_file_content_round_trips(bytes in any::<[u8; 32]>()) {
            let content = encode(&bytes);
            prop_assert_eq!(*parse(content.as_bytes()).unwrap(), bytes);
            let crlf = content.replace('\n', "\r\n");
            prop_assert_eq!(*parse(crlf.as_bytes()).unwrap(), bytes);
            let no_newline = content.trim_end();
            prop_assert_eq!(*parse(no_newline.as_bytes()).unwrap(), bytes);
        }

        #[test]
        fn parse_never_panics(content in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = parse(&content);
        }
    }
}
