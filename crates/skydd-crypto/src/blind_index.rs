//! Blind indexes: find a subject by an identity without decrypting, or storing, the identity.
//!
//! Identities (e-mail addresses, phone numbers, personnummer, ...) are stored sealed, so the
//! database cannot search them. Beside each sealed identity Skydd stores its blind index,
//! `HMAC-SHA-256(index key, kind || 0x00 || normalised value)`, and looks a subject up by
//! computing the same value from the identity in the request.
//!
//! The index key is derived from master key version 1 with HKDF-Expand and the label
//! `skydd blind index v1`. It does not change when the master key is rotated, so the stored
//! indexes stay valid without recomputing them (which would need every identity decrypted).
//!
//! # What a blind index reveals
//!
//! - **Equality.** Two rows with the same index hold the same identity of the same kind. Someone
//!   with a copy of the database sees which subjects share an e-mail address or phone number, and
//!   how many identities each subject has, but not what they are. This is the price of lookups
//!   without decryption; it is why indexes are kept only for identities (which are unique per
//!   subject anyway) and never for record fields.
//! - **Guessing needs the key.** Personnummer and phone numbers come from small spaces that a
//!   plain hash would give away by enumeration in minutes. A keyed HMAC cannot be enumerated
//!   without the index key, which exists only in memory and is derived from the master key file:
//!   a database dump alone is not enough. Whoever holds both the dump and the key file can
//!   enumerate; they can also decrypt everything, so nothing is lost there.
//! - **Kinds are separated.** The kind name is part of the MAC input, so the same string as a
//!   customer number and as an external id gives unrelated indexes. Kind names never contain a
//!   NUL byte, which makes `kind || 0x00 || value` unambiguous.

use std::fmt;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::kdf;

/// The HKDF label the index key is derived with.
const LABEL: &[u8] = b"skydd blind index v1";

/// The key that computes blind indexes. Derived from master key version 1; zeroed on drop.
#[derive(Clone)]
pub struct BlindIndexKey {
    /// HMAC keyed with the index key, before any input (cloned for each index).
    mac: Hmac<Sha256>,
}

impl BlindIndexKey {
    /// The index key derived from a master key (version 1 of the keyring).
    pub(crate) fn derive(master: &[u8; 32]) -> BlindIndexKey {
        let key = kdf::expand(master, LABEL);
        BlindIndexKey {
            mac: kdf::hmac_sha256(&key),
        }
    }

    /// The blind index of an identity: HMAC-SHA-256 over `kind`, a zero byte, and
    /// `normalised_value`.
    ///
    /// `kind` is the identity kind's stable name (`email`, `phone`, ...) and must not contain
    /// a NUL byte; `normalised_value` must already be in its one normal form (lower-cased
    /// e-mail, E.164 phone, 12-digit personnummer): the index of two spellings of one identity
    /// is only equal if the spellings are.
    pub fn blind_index(&self, kind: &str, normalised_value: &str) -> [u8; 32] {
        let mut mac = self.mac.clone();
        mac.update(kind.as_bytes());
        mac.update(&[0x00]);
        mac.update(normalised_value.as_bytes());
        mac.finalize().into_bytes().into()
    }
}

impl fmt::Debug for BlindIndexKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BlindIndexKey(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hmac::KeyInit;
    use proptest::prelude::*;

    #[test]
    fn index_is_hmac_of_kind_nul_value_under_the_derived_key() {
        let master: [u8; 32] = std::array::from_fn(|i| i as u8);
        let derived = kdf::expand(&master, b"skydd blind index v1");
        let mut expected = Hmac::<Sha256>::new_from_slice(&derived[..]).unwrap();
        expected.update(b"email\x00a@example.se");
        let expected: [u8; 32] = expected.finalize().into_bytes().into();
        let key = BlindIndexKey::derive(&master);
        assert_eq!(key.blind_index("email", "a@example.se"), expected);
        assert_eq!(format!("{key:?}"), "BlindIndexKey(<redacted>)");
    }

    #[test]
    fn the_index_key_is_not_the_master_key() {
        let master = [9u8; 32];
        let direct = {
            let mut mac = kdf::hmac_sha256(&master);
            mac.update(b"email\x00a@example.se");
            <[u8; 32]>::from(mac.finalize().into_bytes())
        };
        assert_ne!(
            BlindIndexKey::derive(&master).blind_index("email", "a@example.se"),
            direct
        );
    }

    proptest! {
        #[test]
        fn index_is_deterministic(master in any::<[u8; 32]>(), kind in "[a-z_]{1,16}", value in ".*") {
            let a = BlindIndexKey::derive(&master);
            let b = BlindIndexKey::derive(&master);
            prop_assert_eq!(a.blind_index(&kind, &value), b.blind_index(&kind, &value));
            prop_assert_eq!(a.blind_index(&kind, &value), a.clone().blind_index(&kind, &value));
        }

        #[test]
        fn kinds_are_separated(master in any::<[u8; 32]>(), a in "[a-z_]{1,16}", b in "[a-z_]{1,16}", value in ".*") {
            prop_assume!(a != b);
            let key = BlindIndexKey::derive(&master);
            prop_assert_ne!(key.blind_index(&a, &value), key.blind_index(&b, &value));
        }

        #[test]
        fn the_separator_keeps_kind_and_value_apart(master in any::<[u8; 32]>(), kind in "[a-z]{2,16}", split in 1usize..16) {
            // "phone" + "x" and "phon" + "ex" must differ although the bytes concatenate alike.
            let split = split.min(kind.len() - 1);
            let key = BlindIndexKey::derive(&master);
            let (head, tail) = kind.split_at(split);
            prop_assert_ne!(key.blind_index(&kind, "v"), key.blind_index(head, &format!("{tail}v")));
        }

        #[test]
        fn values_and_keys_are_separated(master in any::<[u8; 32]>(), other in any::<[u8; 32]>(), a in ".*", b in ".*") {
            let key = BlindIndexKey::derive(&master);
            if a != b {
                prop_assert_ne!(key.blind_index("email", &a), key.blind_index("email", &b));
            }
            if master != other {
                prop_assert_ne!(
                    key.blind_index("email", &a),
                    BlindIndexKey::derive(&other).blind_index("email", &a)
                );
            }
        }
    }
}
