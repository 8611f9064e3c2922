//! Recovery codes: ten single-use codes shown once when a staff member enrols TOTP, for the day
//! the phone is lost.
//!
//! A code is 80 random bits as 16 base32 characters in four groups (`ABCD-EFGH-IJKL-MNOP`).
//! Only a labelled SHA-256 of its normal form is stored; with 80 random bits there is nothing to
//! guess, so no slow hash is needed. Presented codes are normalised (case, dashes and spaces
//! ignored) and compared with the stored hashes in constant time.

use std::fmt;

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::random::{self, RandomError};

/// How many codes an enrolment issues.
pub const COUNT: usize = 10;

/// The label hashed before a code.
const LABEL: &[u8] = b"skydd recovery code v1\x00";

/// One recovery code in plaintext, to show once; zeroed on drop, hidden from `Debug`.
pub struct RecoveryCode(Zeroizing<String>);

impl RecoveryCode {
    /// The code as shown: four groups of four base32 characters joined by dashes.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The hash to store.
    pub fn hash(&self) -> [u8; 32] {
        hash_normalised(&normalise(&self.0))
    }
}

impl fmt::Debug for RecoveryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RecoveryCode(<redacted>)")
    }
}

/// [`COUNT`] new codes.
pub fn generate() -> Result<Vec<RecoveryCode>, RandomError> {
    (0..COUNT)
        .map(|_| {
            let bytes: Zeroizing<[u8; 10]> = Zeroizing::new(random::random_bytes()?);
            let plain = Zeroizing::new(data_encoding::BASE32_NOPAD.encode(&bytes[..]));
            let mut shown = Zeroizing::new(String::with_capacity(19));
            for (i, chunk) in plain.as_bytes().chunks(4).enumerate() {
                if i > 0 {
                    shown.push('-');
                }
                shown.extend(chunk.iter().copied().map(char::from));
            }
            Ok(RecoveryCode(shown))
        })
        .collect()
}

/// Whether `presented` is a well-formed code (16 base32 characters once case, dashes and spaces
/// are ignored): a second-factor input that is not a TOTP code is tried as one of these.
pub fn looks_like_code(presented: &str) -> bool {
    let normal = normalise(presented);
    normal.len() == 16
        && normal
            .bytes()
            .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b))
}

/// The index in `stored` of the hash of `presented`, if any. Every stored hash is compared, in
/// constant time, so timing does not tell which one matched.
pub fn find(presented: &str, stored: &[Vec<u8>]) -> Option<usize> {
    let hash = hash_normalised(&normalise(presented));
    let mut found = None;
    for (index, candidate) in stored.iter().enumerate() {
        let equal: bool = candidate.as_slice().ct_eq(&hash[..]).into();
        if equal && found.is_none() {
            found = Some(index);
        }
    }
    found
}

fn normalise(code: &str) -> Zeroizing<String> {
    Zeroizing::new(
        code.chars()
            .filter(|c| *c != '-' && !c.is_whitespace())
            .map(|c| c.to_ascii_uppercase())
            .collect(),
    )
}

fn hash_normalised(normal: &str) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(LABEL);
    hasher.update(normal.as_bytes());
    hasher.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn ten_distinct_codes_of_the_documented_shape() {
        let codes = generate().unwrap();
        assert_eq!(codes.len(), COUNT);
        let mut hashes: Vec<_> = codes.iter().map(RecoveryCode::hash).collect();
        hashes.sort();
        hashes.dedup();
        assert_eq!(hashes.len(), COUNT);
        for code in &codes {
            let groups: Vec<_> = code.as_str().split('-').collect();
            assert_eq!(groups.len(), 4, "{}", code.as_str());
            assert!(groups.iter().all(|g| g.len() == 4));
            assert!(looks_like_code(code.as_str()));
            assert_eq!(format!("{code:?}"), "RecoveryCode(<redacted>)");
        }
    }

    #[test]
    fn presented_codes_are_found_in_any_spelling() {
        let codes = generate().unwrap();
        let stored: Vec<Vec<u8>> = codes.iter().map(|c| c.hash().to_vec()).collect();
        let third = codes[2].as_str();
        assert_eq!(find(third, &stored), Some(2));
        let sloppy = format!(" {} ", third.to_lowercase().replace('-', " "));
        assert_eq!(find(&sloppy, &stored), Some(2));
        assert_eq!(find("AAAA-AAAA-AAAA-AAAA", &stored), None);
        assert!(!looks_like_code("123456"));
    }

    proptest! {
        #[test]
        fn the_hash_is_labelled_sha256_of_the_normal_form(code in "[A-Z2-7]{16}") {
            let mut plain = Sha256::new();
            plain.update(code.as_bytes());
            let plain: [u8; 32] = plain.finalize().into();
            let ours = hash_normalised(&normalise(&code));
            prop_assert_ne!(ours, plain);
            prop_assert_eq!(find(&code.to_lowercase(), &[ours.to_vec()]), Some(0));
        }
    }
}
