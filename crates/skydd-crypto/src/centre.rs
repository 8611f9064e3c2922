//! The privacy centre's key and secrets (issue 18): one-time codes, magic-link tokens, browser
//! secrets and their keyed hashes, and the sealing of the identities a sign-in is for.
//!
//! A code has eight digits: 10^8 values, which a plain hash would give away to anyone reading
//! the database in seconds. So every secret of the centre is stored only as
//! `HMAC-SHA-256(hash key, kind || 0x00 || secret)`, the hash key derived from master key
//! version 1 with HKDF-Expand and the label `skydd privacy centre hash v1`: without the key
//! file, a database copy tells nothing about a live code. The identities a sign-in or session
//! is for are sealed (AES-256-GCM) under a second key, label `skydd privacy centre data v1`.
//! Both stay the same after a rotation, like the blind index key: a sign-in lives fifteen
//! minutes and a session an hour, far less than a rotation's re-wrap, and nothing needs it.

use std::fmt;

use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::envelope::{CryptoError, DataKey};
use crate::kdf;
use crate::random::{self, RandomError};

/// The HKDF label of the key of the centre's keyed hashes.
const HASH_LABEL: &[u8] = b"skydd privacy centre hash v1";
/// The HKDF label of the key that seals the centre's identities.
const DATA_LABEL: &[u8] = b"skydd privacy centre data v1";

/// Digits in a sign-in code.
pub const CODE_DIGITS: usize = 8;

/// The privacy centre's keys, derived from master key version 1; zeroed on drop, hidden from
/// `Debug`.
pub struct CentreKey {
    /// HMAC keyed with the hash key, before any input (cloned for each hash).
    mac: Hmac<Sha256>,
    /// The key the identities of sign-ins and sessions are sealed with.
    data: DataKey,
}

impl CentreKey {
    /// The centre's keys derived from a master key (version 1 of the keyring).
    pub(crate) fn derive(master: &[u8; 32]) -> CentreKey {
        let hash_key = kdf::expand(master, HASH_LABEL);
        CentreKey {
            mac: kdf::hmac_sha256(&hash_key),
            data: DataKey::from_bytes(kdf::expand(master, DATA_LABEL)),
        }
    }

    /// The keyed hash of a secret of `kind` (`code`, `link`, `browser`, `session`): what is
    /// stored to find or check it by. `kind` separates uses, so a code's hash never equals a
    /// link's; it must not contain a NUL byte.
    pub fn hash(&self, kind: &str, secret: &str) -> [u8; 32] {
        let mut mac = self.mac.clone();
        mac.update(kind.as_bytes());
        mac.update(&[0x00]);
        mac.update(secret.as_bytes());
        mac.finalize().into_bytes().into()
    }

    /// Whether `presented` is the secret of `kind` whose keyed hash is `stored`, compared in
    /// constant time (a stored hash of another length never matches).
    pub fn matches(&self, kind: &str, presented: &str, stored: &[u8]) -> bool {
        self.hash(kind, presented).ct_eq(stored).into()
    }

    /// Seal `plain` (the identities of a sign-in or session) bound to `aad`.
    pub fn seal(&self, plain: &[u8], aad: &[u8]) -> Result<Vec<u8>, CryptoError> {
        self.data.seal(plain, aad)
    }

    /// Open what [`CentreKey::seal`] sealed with the same `aad`.
    pub fn open(&self, sealed: &[u8], aad: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        self.data.open(sealed, aad)
    }
}

impl fmt::Debug for CentreKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CentreKey(<redacted>)")
    }
}

/// A new sign-in code: [`CODE_DIGITS`] decimal digits, uniformly drawn (rejection sampling, no
/// modulo bias). Zeroed on drop; never log it.
pub fn code() -> Result<Zeroizing<String>, RandomError> {
    // 2^32 - (2^32 mod 10^8): values at or above it would favour the low codes.
    const LIMIT: u32 = u32::MAX - (u32::MAX % 100_000_000) - 1;
    loop {
        let value = u32::from_le_bytes(random::random_bytes::<4>()?);
        if value <= LIMIT {
            return Ok(Zeroizing::new(format!("{:08}", value % 100_000_000)));
        }
    }
}

/// A code as typed, reduced to its digits (spaces, hyphens and no-break spaces removed), if it
/// then has [`CODE_DIGITS`] digits; `None` for anything else.
pub fn normalise_code(presented: &str) -> Option<Zeroizing<String>> {
    let digits: Zeroizing<String> = Zeroizing::new(
        presented
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '\u{a0}'))
            .collect(),
    );
    (digits.len() == CODE_DIGITS && digits.bytes().all(|b| b.is_ascii_digit())).then_some(digits)
}

/// A new 256-bit secret in base64url without padding (43 characters): a magic link's token or
/// a browser's secret. Zeroed on drop; never log it.
pub fn token() -> Result<Zeroizing<String>, RandomError> {
    let bytes = Zeroizing::new(random::random_bytes::<32>()?);
    Ok(Zeroizing::new(
        data_encoding::BASE64URL_NOPAD.encode(&bytes[..]),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn key(seed: u8) -> CentreKey {
        CentreKey::derive(&[seed; 32])
    }

    #[test]
    fn hashes_are_keyed_and_separated_by_kind() {
        let (a, b) = (key(1), key(2));
        assert_eq!(a.hash("code", "12345678"), a.hash("code", "12345678"));
        assert_ne!(a.hash("code", "12345678"), b.hash("code", "12345678"));
        assert_ne!(a.hash("code", "12345678"), a.hash("link", "12345678"));
        let stored = a.hash("browser", "secret");
        assert!(a.matches("browser", "secret", &stored));
        assert!(!a.matches("browser", "secreT", &stored));
        assert!(!a.matches("browser", "secret", &stored[..31]));
        assert_eq!(format!("{a:?}"), "CentreKey(<redacted>)");
    }

    #[test]
    fn sealed_identities_open_only_with_their_aad() {
        let key = key(3);
        let sealed = key.seal(b"[\"email\"]", b"sign-in 1").unwrap();
        assert_eq!(
            &key.open(&sealed, b"sign-in 1").unwrap()[..],
            b"[\"email\"]"
        );
        assert!(key.open(&sealed, b"sign-in 2").is_err());
        assert!(
            CentreKey::derive(&[4; 32])
                .open(&sealed, b"sign-in 1")
                .is_err()
        );
    }

    #[test]
    fn codes_have_eight_digits_and_tokens_43_characters() {
        for _ in 0..200 {
            let code = code().unwrap();
            assert_eq!(code.len(), CODE_DIGITS);
            assert!(code.bytes().all(|b| b.is_ascii_digit()));
        }
        let (a, b) = (token().unwrap(), token().unwrap());
        assert_eq!(a.len(), 43);
        assert_ne!(a, b);
    }

    #[test]
    fn codes_are_read_as_typed() {
        assert_eq!(normalise_code("1234 5678").unwrap().as_str(), "12345678");
        assert_eq!(normalise_code("1234-5678").unwrap().as_str(), "12345678");
        for bad in ["", "1234567", "123456789", "1234567a", "１２３４５６７８"] {
            assert!(normalise_code(bad).is_none(), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn normalising_never_panics(s in "\\PC*") {
            let _ = normalise_code(&s);
        }
    }
}
