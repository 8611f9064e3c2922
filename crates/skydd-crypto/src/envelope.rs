//! Envelope encryption: per-subject data keys that seal personal data with AES-256-GCM.
//!
//! Each data subject gets its own random 256-bit [`DataKey`]. Field values are sealed with it;
//! the key itself is stored only wrapped by a master key version (see
//! [`Keyring::wrap`](crate::Keyring::wrap)). Destroying a subject's wrapped key makes everything
//! sealed with it unreadable (crypto-shredding), even in backups taken before.
//!
//! A sealed value is `version || nonce || ciphertext || tag`:
//!
//! | bytes | content |
//! |---|---|
//! | 1 | format version, `0x01` |
//! | 12 | a random 96-bit nonce, new for every seal |
//! | n | the ciphertext, as long as the plaintext |
//! | 16 | the GCM authentication tag |
//!
//! The format version is checked exactly on open, so it needs no authentication of its own:
//! a changed version byte is refused before anything is decrypted. The associated data (`aad`)
//! is authenticated but not stored; callers pass what the value belongs to (for example the
//! subject, record and field) so that a sealed value moved to another place does not open.
//!
//! Random nonces are safe for up to 2^32 seals under one key (NIST SP 800-38D, 8.3), far more
//! than one subject's data will ever need.

use std::fmt;

use aes_gcm::aead::{AeadInOut, KeyInit};
use aes_gcm::{Aes256Gcm, Key, Nonce, Tag};
use zeroize::{Zeroize, Zeroizing};

use crate::random::{self, RandomError};

/// The format version of sealed values written by this code.
const FORMAT_V1: u8 = 0x01;
/// Bytes in a nonce.
const NONCE_LEN: usize = 12;
/// Bytes in a GCM tag.
const TAG_LEN: usize = 16;
/// Bytes a sealed value adds to its plaintext.
pub const SEAL_OVERHEAD: usize = 1 + NONCE_LEN + TAG_LEN;
/// The longest plaintext AES-GCM may encrypt under one nonce: 2^36 - 32 bytes.
const MAX_PLAINTEXT: u64 = aes_gcm::P_MAX;

/// Errors sealing, opening, wrapping or unwrapping. None of them contains key material,
/// plaintext or ciphertext.
#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    /// No random bytes for a nonce or a key.
    #[error("cannot encrypt: {0}")]
    Random(#[from] RandomError),
    /// The plaintext is longer than AES-GCM can encrypt under one nonce (64 GiB).
    #[error("the value is too long to encrypt (AES-GCM takes at most 64 GiB at once)")]
    TooLong,
    /// The bytes are not a sealed value in a format this version of Skydd knows.
    #[error("the sealed value is malformed ({reason}); it was cut short or not written by Skydd")]
    Malformed {
        /// What is wrong, never the bytes themselves.
        reason: &'static str,
    },
    /// Authentication failed: the key or the associated data is not the one the value was
    /// sealed with, or the value was altered.
    #[error(
        "the sealed value could not be opened: wrong key, wrong associated data, or the value was altered"
    )]
    NotAuthentic,
    /// A wrapped key names a master key version the keyring does not hold.
    #[error(
        "the data key is wrapped with master key version {version}, which the loaded key file does not hold; \
         load the key file that has it (a server started before `skydd key rotate` must reload its key file)"
    )]
    UnknownKeyVersion {
        /// The version the wrapped key names.
        version: u32,
    },
}

/// A 256-bit AES-GCM key for one data subject's personal data.
///
/// It is zeroed when dropped and never shown by `Debug`. It leaves this crate only wrapped, by
/// [`Keyring::wrap`](crate::Keyring::wrap).
pub struct DataKey {
    bytes: Zeroizing<[u8; 32]>,
    /// The expanded key, computed once (zeroed on drop by `aes-gcm`'s `zeroize` feature).
    cipher: Aes256Gcm,
}

impl DataKey {
    /// A new random key from the operating system's random source.
    pub fn generate() -> Result<DataKey, RandomError> {
        let mut bytes = Zeroizing::new([0u8; 32]);
        random::fill(&mut bytes[..])?;
        Ok(DataKey::from_bytes(bytes))
    }

    /// The key with these bytes (after unwrapping, or derived).
    pub(crate) fn from_bytes(bytes: Zeroizing<[u8; 32]>) -> DataKey {
        let cipher = Aes256Gcm::new(<&Key<Aes256Gcm>>::from(&*bytes));
        DataKey { bytes, cipher }
    }

    /// The raw key, to be wrapped.
    pub(crate) fn bytes(&self) -> &[u8; 32] {
        &self.bytes
    }

    /// Encrypt and authenticate `plaintext`, binding it to `aad` (authenticated, not stored).
    ///
    /// The result is `1 + 12 + plaintext.len() + 16` bytes (see the module documentation), and
    /// differs on every call because the nonce is random.
    pub fn seal(&self, plaintext: &[u8], aad: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let mut nonce = [0u8; NONCE_LEN];
        random::fill(&mut nonce)?;
        seal_with_nonce(&self.cipher, &nonce, plaintext, aad)
    }

    /// Check and decrypt a value [`seal`](Self::seal)ed with this key and the same `aad`.
    ///
    /// Any other key, other associated data, or a changed, cut or extended value gives an
    /// error; nothing of the plaintext is returned then.
    pub fn open(&self, sealed: &[u8], aad: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        open_with(&self.cipher, sealed, aad)
    }
}

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DataKey(<redacted>)")
    }
}

/// Seal `plaintext` under `cipher` with `nonce`, in the sealed format.
pub(crate) fn seal_with_nonce(
    cipher: &Aes256Gcm,
    nonce: &[u8; NONCE_LEN],
    plaintext: &[u8],
    aad: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    if plaintext.len() as u64 > MAX_PLAINTEXT {
        return Err(CryptoError::TooLong);
    }
    // Allocated once at its final size: a reallocation would leave a copy of the plaintext
    // behind in freed memory.
    let mut out = Vec::with_capacity(SEAL_OVERHEAD + plaintext.len());
    out.push(FORMAT_V1);
    out.extend_from_slice(nonce);
    out.extend_from_slice(plaintext);
    let body = &mut out[1 + NONCE_LEN..];
    match cipher.encrypt_inout_detached(&Nonce::from(*nonce), aad, body.into()) {
        Ok(tag) => {
            out.extend_from_slice(&tag);
            Ok(out)
        }
        Err(_) => {
            // Only reachable for over-long input, which was refused above; the buffer may
            // still hold plaintext, so clear it.
            out.zeroize();
            Err(CryptoError::TooLong)
        }
    }
}

/// Open a sealed value under `cipher`.
pub(crate) fn open_with(
    cipher: &Aes256Gcm,
    sealed: &[u8],
    aad: &[u8],
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    let (&version, rest) = sealed.split_first().ok_or(CryptoError::Malformed {
        reason: "it is empty",
    })?;
    if version != FORMAT_V1 {
        return Err(CryptoError::Malformed {
            reason: "unknown format version",
        });
    }
    if rest.len() < NONCE_LEN + TAG_LEN {
        return Err(CryptoError::Malformed {
            reason: "it is too short",
        });
    }
    let (nonce, rest) = rest.split_at(NONCE_LEN);
    let (body, tag) = rest.split_at(rest.len() - TAG_LEN);
    let nonce = <&Nonce<_>>::try_from(nonce).map_err(|_| CryptoError::Malformed {
        reason: "it is too short",
    })?;
    let tag = <&Tag>::try_from(tag).map_err(|_| CryptoError::Malformed {
        reason: "it is too short",
    })?;
    let mut plaintext = Zeroizing::new(body.to_vec());
    cipher
        .decrypt_inout_detached(nonce, aad, plaintext.as_mut_slice().into(), tag)
        .map_err(|_| CryptoError::NotAuthentic)?;
    Ok(plaintext)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn key(byte: u8) -> DataKey {
        DataKey::from_bytes(Zeroizing::new([byte; 32]))
    }

    #[test]
    fn sealed_layout_is_version_nonce_ciphertext_tag() {
        let key = key(7);
        let sealed = key.seal(b"hello", b"aad").unwrap();
        assert_eq!(sealed.len(), SEAL_OVERHEAD + 5);
        assert_eq!(sealed[0], 0x01);
        assert!(!sealed.windows(5).any(|w| w == b"hello"));
        assert_eq!(&key.open(&sealed, b"aad").unwrap()[..], b"hello");
    }

    #[test]
    fn matches_a_published_aes_256_gcm_vector() {
        // NIST GCM test vectors (gcmEncryptExtIV256.rsp), Count = 0 of
        // [Keylen = 256] [IVlen = 96] [PTlen = 128] [AADlen = 128] [Taglen = 128].
        let hex = |s: &str| data_encoding::HEXLOWER.decode(s.as_bytes()).unwrap();
        let key_bytes: [u8; 32] =
            hex("92e11dcdaa866f5ce790fd24501f92509aacf4cb8b1339d50c9c1240935dd08b")
                .try_into()
                .unwrap();
        let nonce: [u8; 12] = hex("ac93a1a6145299bde902f21a").try_into().unwrap();
        let plaintext = hex("2d71bcfa914e4ac045b2aa60955fad24");
        let aad = hex("1e0889016f67601c8ebea4943bc23ad6");
        let key = DataKey::from_bytes(Zeroizing::new(key_bytes));
        let sealed = seal_with_nonce(&key.cipher, &nonce, &plaintext, &aad).unwrap();
        let expected_ct = hex("8995ae2e6df3dbf96fac7b7137bae67f");
        let expected_tag = hex("eca5aa77d51d4a0a14d9c51e1da474ab");
        assert_eq!(&sealed[13..29], &expected_ct[..]);
        assert_eq!(&sealed[29..], &expected_tag[..]);
        assert_eq!(&key.open(&sealed, &aad).unwrap()[..], &plaintext[..]);
    }

    #[test]
    fn two_seals_of_the_same_value_differ() {
        let key = key(1);
        assert_ne!(
            key.seal(b"same", b"").unwrap(),
            key.seal(b"same", b"").unwrap()
        );
    }

    #[test]
    fn malformed_values_are_refused_without_panicking() {
        let key = key(2);
        let sealed = key.seal(b"x", b"").unwrap();
        for (bytes, reason) in [
            (&[][..], "empty"),
            (&[0x02; 40][..], "unknown format version"),
            (&sealed[..SEAL_OVERHEAD - 1], "too short"),
        ] {
            let error = key.open(bytes, b"").unwrap_err();
            assert!(
                matches!(&error, CryptoError::Malformed { reason: r } if r.contains(reason)),
                "{error:?}"
            );
        }
        let mut versioned = sealed.clone();
        versioned[0] = 0x02;
        assert!(matches!(
            key.open(&versioned, b""),
            Err(CryptoError::Malformed { .. })
        ));
    }

    #[test]
    fn an_empty_plaintext_is_sealed_and_authenticated() {
        let key = key(3);
        let sealed = key.seal(b"", b"ctx").unwrap();
        assert_eq!(sealed.len(), SEAL_OVERHEAD);
        assert!(key.open(&sealed, b"ctx").unwrap().is_empty());
        assert!(matches!(
            key.open(&sealed, b"other"),
            Err(CryptoError::NotAuthentic)
        ));
    }

    #[test]
    fn debug_is_redacted_and_errors_name_no_secret() {
        assert_eq!(format!("{:?}", key(0xab)), "DataKey(<redacted>)");
        let error = key(1).open(&key(2).seal(b"secret", b"").unwrap(), b"");
        let message = error.unwrap_err().to_string();
        assert!(!message.contains("secret"), "{message}");
    }

    proptest! {
        #[test]
        fn seal_then_open_round_trips(
            plaintext in proptest::collection::vec(any::<u8>(), 0..2048),
            aad in proptest::collection::vec(any::<u8>(), 0..64),
            key_bytes in any::<[u8; 32]>(),
        ) {
            let key = DataKey::from_bytes(Zeroizing::new(key_bytes));
            let sealed = key.seal(&plaintext, &aad).unwrap();
            prop_assert_eq!(sealed.len(), plaintext.len() + SEAL_OVERHEAD);
            prop_assert_eq!(&key.open(&sealed, &aad).unwrap()[..], &plaintext[..]);
        }

        #[test]
        fn open_fails_with_another_aad(
            plaintext in proptest::collection::vec(any::<u8>(), 0..256),
            aad in proptest::collection::vec(any::<u8>(), 0..64),
            other in proptest::collection::vec(any::<u8>(), 0..64),
        ) {
            prop_assume!(aad != other);
            let key = DataKey::generate().unwrap();
            let sealed = key.seal(&plaintext, &aad).unwrap();
            prop_assert!(matches!(key.open(&sealed, &other), Err(CryptoError::NotAuthentic)));
        }

        #[test]
        fn open_fails_with_another_key(
            plaintext in proptest::collection::vec(any::<u8>(), 0..256),
            aad in proptest::collection::vec(any::<u8>(), 0..64),
            a in any::<[u8; 32]>(),
            b in any::<[u8; 32]>(),
        ) {
            prop_assume!(a != b);
            let sealed = DataKey::from_bytes(Zeroizing::new(a)).seal(&plaintext, &aad).unwrap();
            let other = DataKey::from_bytes(Zeroizing::new(b));
            prop_assert!(matches!(other.open(&sealed, &aad), Err(CryptoError::NotAuthentic)));
        }

        #[test]
        fn open_fails_when_any_bit_is_flipped(
            plaintext in proptest::collection::vec(any::<u8>(), 0..256),
            aad in proptest::collection::vec(any::<u8>(), 0..64),
            position in any::<prop::sample::Index>(),
            bit in 0u8..8,
        ) {
            let key = DataKey::generate().unwrap();
            let mut sealed = key.seal(&plaintext, &aad).unwrap();
            let i = position.index(sealed.len());
            sealed[i] ^= 1 << bit;
            prop_assert!(key.open(&sealed, &aad).is_err());
        }

        #[test]
        fn open_fails_when_cut_or_extended(
            plaintext in proptest::collection::vec(any::<u8>(), 0..256),
            cut in 1usize..40,
            extra in proptest::collection::vec(any::<u8>(), 1..8),
        ) {
            let key = DataKey::generate().unwrap();
            let sealed = key.seal(&plaintext, b"").unwrap();
            let cut = cut.min(sealed.len());
            prop_assert!(key.open(&sealed[..sealed.len() - cut], b"").is_err());
            let mut longer = sealed.clone();
            longer.extend_from_slice(&extra);
            prop_assert!(key.open(&longer, b"").is_err());
        }

        #[test]
        fn open_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..128)) {
            let _ = DataKey::generate().unwrap().open(&bytes, b"");
        }
    }
}
