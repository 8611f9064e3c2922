//! Console session secrets: the cookie's value, its stored hash and the CSRF token derived from
//! it.
//!
//! A secret is 256 random bits in base64url (43 characters). The database keeps only
//! [`SessionSecret::hash`], a labelled SHA-256 (nothing to guess in 256 bits), so a copy of the
//! database signs no one in. The CSRF token of a session is an HMAC of its secret under a fixed
//! label: forms carry it, and it needs no storage of its own.

use std::fmt;

use hmac::Mac;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::kdf;
use crate::random::{self, RandomError};

/// The label hashed before a secret.
const HASH_LABEL: &[u8] = b"skydd staff session v1\x00";
/// The HKDF label of the CSRF key derived from a secret.
const CSRF_LABEL: &[u8] = b"skydd csrf v1";

/// A session secret; zeroed on drop, hidden from `Debug`.
#[derive(Clone)]
pub struct SessionSecret(Zeroizing<[u8; 32]>);

impl SessionSecret {
    /// A new random secret.
    pub fn generate() -> Result<SessionSecret, RandomError> {
        let mut bytes = Zeroizing::new([0u8; 32]);
        random::fill(&mut bytes[..])?;
        Ok(SessionSecret(bytes))
    }

    /// The secret a client presented (the cookie's value), if it has the shape of one.
    pub fn parse(presented: &str) -> Option<SessionSecret> {
        let decoded = Zeroizing::new(
            data_encoding::BASE64URL_NOPAD
                .decode(presented.trim().as_bytes())
                .ok()?,
        );
        let bytes: [u8; 32] = decoded.as_slice().try_into().ok()?;
        Some(SessionSecret(Zeroizing::new(bytes)))
    }

    /// The secret as the cookie carries it (base64url, no padding). Never log it.
    pub fn encoded(&self) -> Zeroizing<String> {
        Zeroizing::new(data_encoding::BASE64URL_NOPAD.encode(&self.0[..]))
    }

    /// The hash stored to find the session by.
    pub fn hash(&self) -> [u8; 32] {
        let mut hasher = Sha256::new();
        hasher.update(HASH_LABEL);
        hasher.update(&self.0[..]);
        hasher.finalize().into()
    }

    /// The session's CSRF token (64 lowercase hex digits): the same for the session's whole
    /// life, different for every session, unguessable without the secret.
    pub fn csrf_token(&self) -> String {
        let key = kdf::expand(&self.0, CSRF_LABEL);
        let mut mac = kdf::hmac_sha256(&key);
        mac.update(b"csrf");
        data_encoding::HEXLOWER.encode(&mac.finalize().into_bytes())
    }

    /// Whether `presented` (a form's hidden field) is this session's CSRF token, compared in
    /// constant time.
    pub fn csrf_matches(&self, presented: &str) -> bool {
        self.csrf_token()
            .as_bytes()
            .ct_eq(presented.as_bytes())
            .into()
    }
}

impl fmt::Debug for SessionSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionSecret(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn secrets_round_trip_and_hide() {
        let secret = SessionSecret::generate().unwrap();
        let encoded = secret.encoded();
        assert_eq!(encoded.len(), 43);
        let parsed = SessionSecret::parse(&encoded).unwrap();
        assert_eq!(parsed.hash(), secret.hash());
        assert_eq!(parsed.csrf_token(), secret.csrf_token());
        assert!(secret.csrf_matches(&secret.csrf_token()));
        assert!(!secret.csrf_matches(&SessionSecret::generate().unwrap().csrf_token()));
        assert!(!secret.csrf_matches(""));
        assert_eq!(format!("{secret:?}"), "SessionSecret(<redacted>)");
        assert_ne!(
            secret.csrf_token(),
            data_encoding::HEXLOWER.encode(&secret.hash())
        );
        for bad in ["", "x", "skydd_0123", &encoded[..42]] {
            assert!(SessionSecret::parse(bad).is_none(), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn parse_never_panics(s in "\\PC*") {
            let _ = SessionSecret::parse(&s);
        }

        #[test]
        fn distinct_secrets_distinct_hashes_and_tokens(a in any::<[u8; 32]>(), b in any::<[u8; 32]>()) {
            prop_assume!(a != b);
            let (a, b) = (SessionSecret(Zeroizing::new(a)), SessionSecret(Zeroizing::new(b)));
            prop_assert_ne!(a.hash(), b.hash());
            prop_assert_ne!(a.csrf_token(), b.csrf_token());
        }
    }
}
