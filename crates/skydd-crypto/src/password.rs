//! Staff passwords: argon2id with OWASP's parameters, stored as a PHC string, checked in
//! constant time.
//!
//! Parameters: argon2id, version 0x13, m = 19456 KiB (19 MiB), t = 2 iterations, p = 1 lane, a
//! 16-byte random salt and a 32-byte output (OWASP Password Storage Cheat Sheet). One hash takes
//! tens of milliseconds and 19 MiB, which is what makes a stolen hash expensive to guess.
//! [`verify`] reads the parameters from the stored string, so hashes written with other
//! parameters still verify; [`verify_dummy`] costs the same as a real check, so a sign-in for
//! an e-mail address without an account takes as long as one with a wrong password.

use std::fmt;

use argon2::{Algorithm, Argon2, Params, PasswordHash, PasswordHasher, PasswordVerifier, Version};
use zeroize::Zeroizing;

use crate::random::{self, RandomError};

/// OWASP's argon2id memory cost, in KiB.
pub const MEMORY_KIB: u32 = 19 * 1024;
/// OWASP's argon2id iterations.
pub const ITERATIONS: u32 = 2;
/// OWASP's argon2id parallelism.
pub const LANES: u32 = 1;

/// A password's hash as stored: the PHC string `$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`.
/// `Debug` hides it (it is as good as the password to someone with time to guess).
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHashString(String);

impl PasswordHashString {
    /// A hash read back from storage. It is checked only when used: [`verify`] refuses a string
    /// that is not a PHC string of argon2.
    pub fn from_stored(phc: String) -> PasswordHashString {
        PasswordHashString(phc)
    }

    /// The PHC string, to store.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PasswordHashString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHashString(<redacted>)")
    }
}

/// Why a password could not be hashed.
#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    /// No salt could be drawn.
    #[error(transparent)]
    Random(#[from] RandomError),
    /// argon2 refused the input (a password longer than argon2 takes, 2^32 - 1 bytes); the
    /// password policy keeps passwords far below that.
    #[error("the password could not be hashed; passwords are limited to 1024 characters")]
    Hash,
}

/// argon2id with OWASP's parameters.
fn hasher() -> Result<Argon2<'static>, PasswordError> {
    let params =
        Params::new(MEMORY_KIB, ITERATIONS, LANES, Some(32)).map_err(|_| PasswordError::Hash)?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Hash `password` with a fresh random salt.
pub fn hash(password: &str) -> Result<PasswordHashString, PasswordError> {
    let salt: Zeroizing<[u8; 16]> = Zeroizing::new(random::random_bytes()?);
    let phc = hasher()?
        .hash_password_with_salt(password.as_bytes(), &salt[..])
        .map_err(|_| PasswordError::Hash)?;
    Ok(PasswordHashString(phc.to_string()))
}

/// Whether `password` is the one `stored` was made from. The comparison of the outputs is
/// constant-time; a `stored` string that is not an argon2 PHC string verifies nothing.
pub fn verify(password: &str, stored: &PasswordHashString) -> bool {
    let Ok(parsed) = PasswordHash::new(&stored.0) else {
        return false;
    };
    if parsed.algorithm != argon2::ARGON2ID_IDENT {
        return false;
    }
    hasher().is_ok_and(|argon| argon.verify_password(password.as_bytes(), &parsed).is_ok())
}

/// A new random password for an account created without one (`skydd user create` without
/// `--password-stdin`): 120 random bits as four groups of six base32 characters, lower-cased
/// (`abcdef-ghijkl-mnopqr-stuvwx`, 27 characters), to be shown once.
pub fn generate() -> Result<Zeroizing<String>, RandomError> {
    let bytes: Zeroizing<[u8; 15]> = Zeroizing::new(random::random_bytes()?);
    let plain = Zeroizing::new(data_encoding::BASE32_NOPAD.encode(&bytes[..]).to_lowercase());
    let mut password = Zeroizing::new(String::with_capacity(27));
    for (i, chunk) in plain.as_bytes().chunks(6).enumerate() {
        if i > 0 {
            password.push('-');
        }
        password.extend(chunk.iter().copied().map(char::from));
    }
    Ok(password)
}

/// A PHC string with OWASP's parameters of no known password: what [`verify_dummy`] checks
/// against, so that it costs exactly what [`verify`] costs.
const DUMMY: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2t5ZGQgZHVtbXkgc2FsdA$\
                     Lz1XJ6o3qC4k1yV0m7tB5nWq8eJ2hG9aR3sD6fK0uYc";

/// Spend the time of one [`verify`] and answer nothing: for a sign-in with an e-mail address
/// that has no account (or a disabled one), so the answer's timing does not tell which.
pub fn verify_dummy(password: &str) {
    let _ = verify(password, &PasswordHashString(DUMMY.to_owned()));
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_hash_is_argon2id_with_owasp_parameters() {
        let stored = hash("correct horse battery staple").unwrap();
        assert!(
            stored
                .as_str()
                .starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{}",
            stored.as_str()
        );
        assert!(verify("correct horse battery staple", &stored));
        assert!(!verify("correct horse battery stapl", &stored));
        assert_ne!(
            hash("correct horse battery staple").unwrap(),
            stored,
            "salted"
        );
        assert_eq!(format!("{stored:?}"), "PasswordHashString(<redacted>)");
    }

    #[test]
    fn the_dummy_is_a_well_formed_hash_of_the_same_cost() {
        let parsed = PasswordHash::new(DUMMY).unwrap();
        assert_eq!(parsed.algorithm, argon2::ARGON2ID_IDENT);
        let params = Params::try_from(&parsed).unwrap();
        assert_eq!(
            (params.m_cost(), params.t_cost(), params.p_cost()),
            (MEMORY_KIB, ITERATIONS, LANES)
        );
        assert_eq!(parsed.hash.unwrap().len(), 32);
        assert!(!verify("", &PasswordHashString(DUMMY.to_owned())));
        verify_dummy("anything");
    }

    #[test]
    fn generated_passwords_have_120_bits_in_four_groups() {
        let a = generate().unwrap();
        let b = generate().unwrap();
        assert_ne!(*a, *b);
        assert_eq!(a.len(), 27);
        assert_eq!(a.split('-').count(), 4);
        assert!(a.bytes().all(|c| c == b'-' || c.is_ascii_lowercase() || (b'2'..=b'7').contains(&c)));
    }

    #[test]
    fn garbage_and_other_algorithms_verify_nothing() {
        for stored in [
            "",
            "plain",
            "$argon2i$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaA",
        ] {
            assert!(!verify("", &PasswordHashString::from_stored(stored.into())));
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4))]
        #[test]
        fn hash_and_verify_round_trip(password in "\\PC{0,40}", other in "\\PC{0,40}") {
            let stored = hash(&password).unwrap();
            prop_assert!(verify(&password, &stored));
            prop_assert_eq!(verify(&other, &stored), other == password);
        }
    }
}
