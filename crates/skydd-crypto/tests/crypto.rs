//! The crate's public API end to end: a key file from before rotation, envelope encryption,
//! rotation and re-wrapping, blind indexes, retirement.

// Tests may unwrap: a failing unwrap is a failing test with a good message.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use skydd_crypto::{CryptoError, DataKey, Keyring, MasterKey, MasterKeyError, WrappedKey};

/// The key file of the first release for the key 00 01 .. 1f.
const OLD_FORMAT: &str = "skydd-master-key-v1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n";
/// HMAC-SHA-256(00 01 .. 1f, "skydd master key check v1"), computed outside Skydd.
const OLD_CHECK_VALUE: &str = "14b4739e8254ef30da58e148fe1642072752616160a466482ec6ea5c1662fb38";
/// HMAC-SHA-256(HKDF-Expand(00 01 .. 1f, "skydd blind index v1"), "email\0a@example.se"),
/// computed outside Skydd.
const EMAIL_INDEX: &str = "eee20bd2a97d146468fc51e7be85e54f9a06b88618e34f0153146b4f64c52270";

fn write_key_file(path: &Path, content: &str) {
    fs::write(path, content).unwrap();
    fs::set_permissions(path, fs::Permissions::from_mode(0o600)).unwrap();
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn a_key_file_from_before_rotation_keeps_its_check_value_through_rotations() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("master.key");
    write_key_file(&path, OLD_FORMAT);

    // The loader skydd-app opens instances with still works and gives the same value as before.
    let (old, created) = MasterKey::load_or_create(&path).unwrap();
    assert!(!created);
    assert_eq!(old.check_value(), OLD_CHECK_VALUE);
    assert_eq!(old.versions(), [1]);
    assert_eq!(
        hex(&old.blind_index_key().blind_index("email", "a@example.se")),
        EMAIL_INDEX
    );

    let key = DataKey::generate().unwrap();
    let sealed = key.seal(b"a@example.se", b"subject/field").unwrap();
    let wrapped_v1 = old.wrap(&key).unwrap();
    assert_eq!(wrapped_v1.version, 1);

    let rotated = Keyring::rotate(&path).unwrap();
    assert_eq!(rotated.versions(), [1, 2]);
    assert_eq!(rotated.current_version(), 2);
    assert!(
        fs::read_to_string(&path).unwrap().starts_with(OLD_FORMAT),
        "version 1 stays as it was written"
    );

    // A fresh load (another process, a restart) sees both versions.
    let (loaded, created) = Keyring::load_or_create(&path).unwrap();
    assert!(!created);
    assert_eq!(loaded.versions(), [1, 2]);
    assert_eq!(loaded.check_value(), OLD_CHECK_VALUE);
    assert_eq!(
        hex(&loaded
            .blind_index_key()
            .blind_index("email", "a@example.se")),
        EMAIL_INDEX
    );
    let opened = loaded
        .unwrap(&wrapped_v1)
        .unwrap()
        .open(&sealed, b"subject/field")
        .unwrap();
    assert_eq!(&opened[..], b"a@example.se");

    // Re-wrapping changes only the wrapped key, never the sealed data.
    let wrapped_v2 = loaded.rewrap(&wrapped_v1).unwrap();
    assert_eq!(wrapped_v2.version, 2);
    let opened = loaded
        .unwrap(&wrapped_v2)
        .unwrap()
        .open(&sealed, b"subject/field")
        .unwrap();
    assert_eq!(&opened[..], b"a@example.se");

    // The keyring loaded before the rotation cannot unwrap the new version until reloaded.
    assert!(matches!(
        old.unwrap(&wrapped_v2),
        Err(CryptoError::UnknownKeyVersion { version: 2 })
    ));
    let reloaded = Keyring::load(&path).unwrap();
    assert!(reloaded.unwrap(&wrapped_v2).is_ok());
}

#[test]
fn rotate_then_retire_the_old_version_once_everything_is_rewrapped() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("master.key");
    let (v1, created) = Keyring::load_or_create(&path).unwrap();
    assert!(created);
    let keys: Vec<DataKey> = (0..3).map(|_| DataKey::generate().unwrap()).collect();
    let wrapped: Vec<WrappedKey> = keys.iter().map(|k| v1.wrap(k).unwrap()).collect();

    Keyring::rotate(&path).unwrap();
    let v3 = Keyring::rotate(&path).unwrap();
    assert_eq!(v3.versions(), [1, 2, 3]);
    let rewrapped: Vec<WrappedKey> = wrapped
        .iter()
        .filter(|w| w.version != v3.current_version())
        .map(|w| v3.rewrap(w).unwrap())
        .collect();
    assert!(rewrapped.iter().all(|w| w.version == 3));

    let retired = Keyring::retire(&path, 2).unwrap();
    assert_eq!(retired.versions(), [1, 3]);
    assert_eq!(retired.check_value(), v1.check_value());
    for (key, wrapped) in keys.iter().zip(&rewrapped) {
        let sealed = key.seal(b"value", b"").unwrap();
        let unwrapped = retired.unwrap(wrapped).unwrap();
        assert_eq!(&unwrapped.open(&sealed, b"").unwrap()[..], b"value");
    }
    let error = Keyring::retire(&path, 1).err().unwrap();
    assert!(
        matches!(error, MasterKeyError::CannotRetire { version: 1, .. }),
        "{error:?}"
    );
}

#[test]
fn an_older_skydd_refuses_a_rotated_file_rather_than_misreading_it() {
    // What the first release's parser required: the prefix, then base64 to the end of the
    // file. A rotated file has a second line, so the old parser's base64 decoding fails.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("master.key");
    Keyring::load_or_create(&path).unwrap();
    Keyring::rotate(&path).unwrap();
    let text = fs::read_to_string(&path).unwrap();
    let rest = text
        .trim_end()
        .strip_prefix("skydd-master-key-v1:")
        .unwrap();
    assert!(rest.contains('\n'), "not one base64 string: {}", rest.len());
}
