//! The keyring: every version of the master key, wrapping data keys with the current one.
//!
//! Envelope encryption in two levels. Personal data is sealed with per-subject
//! [`DataKey`]s; the data keys are stored only wrapped (sealed) by a master key version. A
//! [`WrappedKey`] names the version that wrapped it, so after [`Keyring::rotate`] adds a new
//! current version, keys wrapped with older versions still unwrap, and `skydd key rotate` can
//! re-wrap every subject key with the new version ([`Keyring::rewrap`]) without touching the
//! data sealed with them. Once no wrapped key names an old version any more, the operator may
//! [`retire`](Keyring::retire) it.
//!
//! Master keys are never used directly. Each version's wrapping key is derived with
//! HKDF-Expand and the label `skydd data key wrapping v1`; the blind index key and the check
//! value are derived from **version 1** only, so that neither changes on rotation:
//!
//! - the [check value](Keyring::check_value) binds the database to the key file; it stays the
//!   same after rotation, so a rotated key file still opens its database;
//! - [blind indexes](crate::BlindIndexKey) stay valid without re-computing them from the
//!   decrypted identities.
//!
//! The price is that version 1 can never be retired. What rotation does and does not do:
//!
//! - It bounds how much is wrapped under one wrapping key, and it recovers from a leaked *copy*
//!   of the key file as far as the data goes: once every data key is re-wrapped with the new
//!   version, a later database dump holds nothing the leaked versions unwrap.
//! - It does not renew the blind index key or the check value: whoever has a leaked key file
//!   can still enumerate blind indexes (which personnummer or phone numbers are present) in a
//!   later dump. Recovering from that needs a new index key and re-indexing every identity.
//! - Data keys are not changed, so an old database backup together with a leaked key file
//!   still opens the data of that backup, and of today's database for the same subjects.

use std::fmt;
use std::path::{Path, PathBuf};

use aes_gcm::Aes256Gcm;
use aes_gcm::aead::KeyInit;
use hmac::Mac;
use zeroize::Zeroizing;

use crate::blind_index::BlindIndexKey;
use crate::centre::CentreKey;
use crate::checkpoint::CheckpointSigner;
use crate::envelope::{self, CryptoError, DataKey};
use crate::kdf;
use crate::master_key::{self, KeyEntry, MasterKeyError, UnfinishedRotation};
use crate::random;

/// The domain-separation label of [`Keyring::check_value`] (unchanged since the first release).
const CHECK_LABEL: &[u8] = b"skydd master key check v1";

/// The HKDF label of each version's wrapping key.
const WRAP_LABEL: &[u8] = b"skydd data key wrapping v1";

/// The HKDF label of the key of keyed-hash erasure in connected databases.
const ERASURE_HASH_LABEL: &[u8] = b"skydd erasure hash v1";

/// The HKDF label of the key staff accounts' personal values are sealed with (issue 17).
const STAFF_DATA_LABEL: &[u8] = b"skydd staff data v1";

/// The start of the associated data of a wrapped key, followed by the version (big-endian).
const WRAP_AAD: &[u8] = b"skydd wrapped data key v1:";

/// A [`DataKey`] sealed by one master key version, as stored beside its subject.
///
/// `bytes` is the 32-byte key sealed in the format of [`envelope`](mod@crate::envelope); it
/// reveals nothing without the master key. The version is authenticated: relabelling a
/// wrapped key with another version makes it fail to unwrap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrappedKey {
    /// The master key version that wrapped the key.
    pub version: u32,
    /// The sealed key, 61 bytes.
    pub bytes: Vec<u8>,
}

/// One master key version, reduced to what is used: its wrapping key.
struct Version {
    number: u32,
    /// AES-256-GCM keyed with this version's wrapping key (zeroed on drop).
    wrap: Aes256Gcm,
}

/// Every version of the master key, loaded from the master key file.
///
/// It holds derived keys only (wrapping keys, the blind index key, the check value), never
/// shows them in `Debug`, and zeroes them on drop.
pub struct Keyring {
    /// The versions before the current one, ascending; the first is version 1 if there is one.
    older: Vec<Version>,
    /// The highest version: the one new keys are wrapped with.
    current: Version,
    blind_index: BlindIndexKey,
    check_value: String,
    checkpoint_signer: CheckpointSigner,
    /// The key of keyed-hash erasure in connected databases, derived from version 1.
    erasure_hash: Zeroizing<[u8; 32]>,
    /// The key of staff accounts' e-mail addresses, TOTP secrets and session IPs, from version 1.
    staff_data: DataKey,
    /// The privacy centre's keyed hashes and sealed identities, from version 1.
    centre: CentreKey,
}

impl Keyring {
    /// Load the key file at `path`, or create it with a new version-1 key (mode 0600) if it
    /// does not exist. Returns the keyring and whether the file was created by this call.
    ///
    /// The directory must exist. A key file that others may read, or that is empty or
    /// malformed, is refused with an error saying how to fix it; nothing is ever overwritten.
    /// Files written before rotation existed (one line, `skydd-master-key-v1:...`) load as
    /// version 1.
    pub fn load_or_create(path: &Path) -> Result<(Keyring, bool), MasterKeyError> {
        let (keys, created) = master_key::load_or_create(path)?;
        Ok((Keyring::from_entries(path, &keys)?, created))
    }

    /// Load the existing key file at `path`, for example to pick up a version that
    /// `skydd key rotate` added while a server was running.
    pub fn load(path: &Path) -> Result<Keyring, MasterKeyError> {
        let keys = master_key::load(path)?;
        Keyring::from_entries(path, &keys)
    }

    /// Add a new random master key version to the key file at `path` and make it the current
    /// one; older versions are kept. Returns the keyring as now on disk.
    ///
    /// The file is replaced atomically under a lock on its directory, so concurrent rotations
    /// each add their own version. Processes that loaded the file before keep wrapping with
    /// the old current version until they [`load`](Self::load) it again, and cannot unwrap keys
    /// wrapped with the new version until then.
    pub fn rotate(path: &Path) -> Result<Keyring, MasterKeyError> {
        let keys = master_key::rotate(path)?;
        Keyring::from_entries(path, &keys)
    }

    /// Remove the temporary key files that an interrupted creation or rotation left beside the
    /// key file at `path` (`.master.key.tmp`, or `.master.key.<pid>.<random>.tmp` from earlier
    /// releases), and return their paths so the caller can say so. They may hold live key
    /// material; their content is never read. Done under the lock rotations take, so a file
    /// that a running rotation is writing is never touched. [`load_or_create`](Self::load_or_create),
    /// [`rotate`](Self::rotate) and [`retire`](Self::retire) do the same first, silently.
    pub fn remove_leftovers(path: &Path) -> Result<Vec<PathBuf>, MasterKeyError> {
        master_key::remove_leftovers(path)
    }

    /// Record in a journal beside the key file at `path` (`.master.key.rotating`, synced, no
    /// key material) that a rotation starts from the current version, and return that version.
    /// Call it before anything else of a rotation, and [`end_rotation`](Self::end_rotation)
    /// once every subject key is re-wrapped: a journal left behind is how a later run knows a
    /// rotation was interrupted, and whether it got as far as a new version.
    pub fn begin_rotation(path: &Path) -> Result<u32, MasterKeyError> {
        master_key::begin_rotation(path)
    }

    /// The rotation that the journal beside the key file at `path` says was started and not
    /// finished, `None` without a journal.
    pub fn unfinished_rotation(path: &Path) -> Result<Option<UnfinishedRotation>, MasterKeyError> {
        master_key::unfinished_rotation(path)
    }

    /// Remove the rotation journal beside the key file at `path`: the rotation is complete.
    pub fn end_rotation(path: &Path) -> Result<(), MasterKeyError> {
        master_key::end_rotation(path)
    }

    /// Remove an old `version` from the key file at `path`, once no wrapped key names it any
    /// more (the caller checks that). Version 1 and the current version cannot be retired.
    pub fn retire(path: &Path, version: u32) -> Result<Keyring, MasterKeyError> {
        let keys = master_key::retire(path, version)?;
        Keyring::from_entries(path, &keys)
    }

    /// The keyring of `keys` (ascending, starting at version 1, as `master_key` guarantees).
    fn from_entries(path: &Path, keys: &[KeyEntry]) -> Result<Keyring, MasterKeyError> {
        let first = keys.first().filter(|key| key.version == 1).ok_or_else(|| {
            MasterKeyError::Malformed {
                path: path.display().to_string(),
                reason: "version 1 is missing; it is needed for good",
            }
        })?;
        let mut older: Vec<Version> = keys
            .iter()
            .map(|key| Version {
                number: key.version,
                wrap: wrapping_cipher(&key.bytes),
            })
            .collect();
        let current = older.pop().ok_or_else(|| MasterKeyError::Malformed {
            path: path.display().to_string(),
            reason: "version 1 is missing; it is needed for good",
        })?;
        Ok(Keyring {
            older,
            current,
            blind_index: BlindIndexKey::derive(&first.bytes),
            check_value: check_value_of(&first.bytes),
            checkpoint_signer: CheckpointSigner::derive(&first.bytes),
            erasure_hash: kdf::expand(&first.bytes, ERASURE_HASH_LABEL),
            staff_data: DataKey::from_bytes(kdf::expand(&first.bytes, STAFF_DATA_LABEL)),
            centre: CentreKey::derive(&first.bytes),
        })
    }

    /// The version new keys are wrapped with: the highest in the file.
    pub fn current_version(&self) -> u32 {
        self.current.number
    }

    /// Every version this keyring can unwrap, ascending.
    pub fn versions(&self) -> Vec<u32> {
        self.older
            .iter()
            .chain([&self.current])
            .map(|version| version.number)
            .collect()
    }

    /// Wrap `key` with the current version, to be stored beside its subject.
    pub fn wrap(&self, key: &DataKey) -> Result<WrappedKey, CryptoError> {
        let current = &self.current;
        let mut nonce = [0u8; 12];
        random::fill(&mut nonce)?;
        let bytes = envelope::seal_with_nonce(
            &current.wrap,
            &nonce,
            key.bytes(),
            &wrap_aad(current.number),
        )?;
        Ok(WrappedKey {
            version: current.number,
            bytes,
        })
    }

    /// The data key inside `wrapped`, whichever version of this keyring wrapped it.
    pub fn unwrap(&self, wrapped: &WrappedKey) -> Result<DataKey, CryptoError> {
        let version = [&self.current]
            .into_iter()
            .chain(&self.older)
            .find(|version| version.number == wrapped.version)
            .ok_or(CryptoError::UnknownKeyVersion {
                version: wrapped.version,
            })?;
        let plain = envelope::open_with(&version.wrap, &wrapped.bytes, &wrap_aad(version.number))?;
        let bytes: [u8; 32] = plain
            .as_slice()
            .try_into()
            .map_err(|_| CryptoError::Malformed {
                reason: "a wrapped key does not hold 32 bytes",
            })?;
        Ok(DataKey::from_bytes(Zeroizing::new(bytes)))
    }

    /// `wrapped` unwrapped and wrapped again with the current version, for `skydd key
    /// rotate`. The data key, and so all data sealed with it, stays the same. Callers skip
    /// keys whose version is already [`current_version`](Self::current_version).
    pub fn rewrap(&self, wrapped: &WrappedKey) -> Result<WrappedKey, CryptoError> {
        self.wrap(&self.unwrap(wrapped)?)
    }

    /// The key that computes blind indexes, derived from version 1 (the same after every
    /// rotation).
    pub fn blind_index_key(&self) -> &BlindIndexKey {
        &self.blind_index
    }

    /// The key that signs audit-trail checkpoints, derived from version 1 (the same after every
    /// rotation).
    pub fn checkpoint_signer(&self) -> &CheckpointSigner {
        &self.checkpoint_signer
    }

    /// The 32-byte key that `keyed_hash` erasure in connected databases (issue 16) computes
    /// HMAC-SHA-256 with, derived from version 1 with HKDF-Expand and the label
    /// `skydd erasure hash v1`. It is the same after every rotation: a value erased today and
    /// the same value erased next year must hash equal, or joins on a hashed column break.
    /// Unrelated to the blind index key, so a hashed column tells nothing about Skydd's indexes.
    pub fn erasure_hash_key(&self) -> Zeroizing<[u8; 32]> {
        self.erasure_hash.clone()
    }

    /// The key that seals staff accounts' personal values (e-mail address, TOTP secret, the IP
    /// of a session; issue 17), derived from version 1 with HKDF-Expand and the label
    /// `skydd staff data v1`. A handful of accounts need no key of their own each; like the
    /// blind index key it stays the same after a rotation, so nothing of the staff tables
    /// needs re-wrapping. The e-mail's blind index uses [`Self::blind_index_key`] with the kind
    /// `staff_email`, apart from every subject identity kind.
    pub fn staff_data_key(&self) -> &DataKey {
        &self.staff_data
    }

    /// The privacy centre's keys (issue 18): keyed hashes of its codes, link tokens and
    /// browser and session secrets, and the sealing of the identities a sign-in is for; derived
    /// from version 1 (labels `skydd privacy centre hash v1` and `... data v1`), so the same
    /// after every rotation. See [`crate::centre`].
    pub fn centre_key(&self) -> &CentreKey {
        &self.centre
    }

    /// A value that identifies the key file without revealing it, stored in the database to
    /// detect a wrong key file.
    ///
    /// It is HMAC-SHA-256 keyed with master key **version 1** over the fixed label
    /// `skydd master key check v1`, hex encoded: the value of a key file is the same before and
    /// after any number of rotations, so a database bound to it stays bound. It says nothing
    /// about the key.
    pub fn check_value(&self) -> String {
        self.check_value.clone()
    }
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keyring")
            .field("versions", &self.versions())
            .field("current", &self.current_version())
            .finish_non_exhaustive()
    }
}

/// AES-256-GCM with the wrapping key derived from one master key version.
fn wrapping_cipher(master: &[u8; 32]) -> Aes256Gcm {
    let key = kdf::expand(master, WRAP_LABEL);
    Aes256Gcm::new(<&aes_gcm::Key<Aes256Gcm>>::from(&*key))
}

/// The associated data of a key wrapped by `version`.
fn wrap_aad(version: u32) -> [u8; WRAP_AAD.len() + 4] {
    let mut aad = [0u8; WRAP_AAD.len() + 4];
    aad[..WRAP_AAD.len()].copy_from_slice(WRAP_AAD);
    aad[WRAP_AAD.len()..].copy_from_slice(&version.to_be_bytes());
    aad
}

/// The check value of master key version 1.
fn check_value_of(master: &[u8; 32]) -> String {
    let mut mac = kdf::hmac_sha256(master);
    mac.update(CHECK_LABEL);
    data_encoding::HEXLOWER.encode(&mac.finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use hmac::{Hmac, KeyInit};
    use proptest::prelude::*;
    use sha2::Sha256;

    /// A keyring with the given versions, each key filled with `seed + version`.
    fn ring(versions: &[u32], seed: u8) -> Keyring {
        let keys: Vec<KeyEntry> = versions
            .iter()
            .map(|&version| KeyEntry {
                version,
                bytes: Zeroizing::new([seed.wrapping_add(version as u8); 32]),
            })
            .collect();
        Keyring::from_entries(Path::new("test.key"), &keys).unwrap()
    }

    #[test]
    fn check_value_is_hmac_sha256_of_the_label_under_version_1() {
        // Computed independently: HMAC-SHA-256 with key 00 01 .. 1f over the label. This is
        // the value databases were bound with before rotation existed: it must never change.
        let master: [u8; 32] = std::array::from_fn(|i| i as u8);
        let expected = {
            let mut mac = Hmac::<Sha256>::new_from_slice(&master).unwrap();
            mac.update(b"skydd master key check v1");
            data_encoding::HEXLOWER.encode(&mac.finalize().into_bytes())
        };
        assert_eq!(check_value_of(&master), expected);
        assert_eq!(expected.len(), 64);
        let hex_key = data_encoding::HEXLOWER.encode(&master);
        assert!(!expected.contains(&hex_key[..16]));
    }

    #[test]
    fn check_value_and_blind_index_do_not_change_with_newer_versions() {
        let one = ring(&[1], 5);
        let three = ring(&[1, 2, 3], 5);
        assert_eq!(one.check_value(), three.check_value());
        assert_eq!(
            one.blind_index_key().blind_index("email", "a@example.se"),
            three.blind_index_key().blind_index("email", "a@example.se")
        );
        assert_ne!(one.check_value(), ring(&[1], 6).check_value());
        assert_eq!(*one.erasure_hash_key(), *three.erasure_hash_key());
        assert_ne!(*one.erasure_hash_key(), *ring(&[1], 6).erasure_hash_key());
        assert_ne!(
            one.erasure_hash_key()[..],
            one.blind_index_key().blind_index("", "")[..]
        );
    }

    #[test]
    fn a_keyring_must_start_at_version_1() {
        let keys = [KeyEntry {
            version: 2,
            bytes: Zeroizing::new([0; 32]),
        }];
        assert!(matches!(
            Keyring::from_entries(Path::new("k"), &keys),
            Err(MasterKeyError::Malformed { .. })
        ));
        assert!(Keyring::from_entries(Path::new("k"), &[]).is_err());
    }

    #[test]
    fn wraps_with_the_current_version_and_unwraps_any() {
        let old = ring(&[1], 0);
        let new = ring(&[1, 2], 0);
        assert_eq!(new.current_version(), 2);
        assert_eq!(new.versions(), [1, 2]);
        let key = DataKey::generate().unwrap();
        let sealed = key.seal(b"personal", b"r1").unwrap();

        let wrapped_old = old.wrap(&key).unwrap();
        assert_eq!(wrapped_old.version, 1);
        assert_eq!(wrapped_old.bytes.len(), 61);
        let wrapped_new = new.rewrap(&wrapped_old).unwrap();
        assert_eq!(wrapped_new.version, 2);

        for wrapped in [&wrapped_old, &wrapped_new] {
            let unwrapped = new.unwrap(wrapped).unwrap();
            assert_eq!(&unwrapped.open(&sealed, b"r1").unwrap()[..], b"personal");
        }
        let error = old.unwrap(&wrapped_new).err().unwrap();
        assert!(
            matches!(error, CryptoError::UnknownKeyVersion { version: 2 }),
            "{error:?}"
        );
        assert!(error.to_string().contains("version 2"), "{error}");
    }

    #[test]
    fn a_relabelled_or_altered_wrapped_key_does_not_unwrap() {
        let keys = ring(&[1, 2], 9);
        let wrapped = keys.wrap(&DataKey::generate().unwrap()).unwrap();
        let relabelled = WrappedKey {
            version: 1,
            ..wrapped.clone()
        };
        assert!(matches!(
            keys.unwrap(&relabelled),
            Err(CryptoError::NotAuthentic)
        ));
        let mut altered = wrapped.clone();
        altered.bytes[20] ^= 1;
        assert!(matches!(
            keys.unwrap(&altered),
            Err(CryptoError::NotAuthentic)
        ));
        assert!(
            ring(&[1, 2], 10).unwrap(&wrapped).is_err(),
            "another key file"
        );
    }

    #[test]
    fn a_sealed_value_of_another_length_is_not_a_key() {
        let keys = ring(&[1], 1);
        let version = &keys.current;
        let bytes =
            envelope::seal_with_nonce(&version.wrap, &[0; 12], &[7; 31], &wrap_aad(1)).unwrap();
        let error = keys
            .unwrap(&WrappedKey { version: 1, bytes })
            .err()
            .unwrap();
        assert!(matches!(error, CryptoError::Malformed { .. }), "{error:?}");
    }

    #[test]
    fn debug_shows_versions_only() {
        let keys = ring(&[1, 2], 0xab);
        let debug = format!("{keys:?}");
        assert_eq!(debug, "Keyring { versions: [1, 2], current: 2, .. }");
    }

    proptest! {
        #[test]
        fn wrap_unwrap_round_trips_across_a_rotation(
            seed in any::<u8>(),
            plaintext in proptest::collection::vec(any::<u8>(), 0..256),
            aad in proptest::collection::vec(any::<u8>(), 0..32),
        ) {
            let before = ring(&[1], seed);
            let after = ring(&[1, 2], seed);
            let key = DataKey::generate().unwrap();
            let sealed = key.seal(&plaintext, &aad).unwrap();
            let wrapped = before.wrap(&key).unwrap();
            prop_assert_eq!(&after.unwrap(&wrapped).unwrap().open(&sealed, &aad).unwrap()[..], &plaintext[..]);
            let rewrapped = after.rewrap(&wrapped).unwrap();
            prop_assert_eq!(rewrapped.version, 2);
            prop_assert_eq!(&after.unwrap(&rewrapped).unwrap().open(&sealed, &aad).unwrap()[..], &plaintext[..]);
        }

        #[test]
        fn unwrap_never_panics(version in 0u32..4, bytes in proptest::collection::vec(any::<u8>(), 0..80)) {
            let _ = ring(&[1, 2], 0).unwrap(&WrappedKey { version, bytes });
        }
    }
}
