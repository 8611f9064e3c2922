//! API tokens: generated once, shown once, stored only as a SHA-256 hash. What a token may do
//! (its scopes) is the application's business, not this crate's: here only the secret.
//!
//! A token string looks like `skydd_<id>_<secret>`: `skydd_`, the public id (16 lowercase hex
//! digits, 64 random bits), `_`, and 256 random bits as 64 lowercase hex digits. The fixed prefix
//! and shape let secret scanners recognise a leaked token. The database keeps only
//! [`TokenHash::of`] the whole string, so a copy of the database does not let anyone authenticate.

use std::fmt;

use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::random::{self, RandomError};

/// Every token string starts with this.
const PREFIX: &str = "skydd_";

/// The public identifier of a token (not secret).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TokenId(pub String);

impl fmt::Display for TokenId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// SHA-256 of a token string, hex encoded.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TokenHash(pub String);

impl TokenHash {
    /// The hash of a token string as presented by a client (for example in an
    /// `Authorization: Bearer` header), to look the token up by.
    ///
    /// Any string can be hashed; a string that is not a token simply matches nothing. A plain
    /// SHA-256 is enough here because the secret has 256 random bits: there is nothing to guess.
    pub fn of(presented: &str) -> TokenHash {
        TokenHash(data_encoding::HEXLOWER.encode(&Sha256::digest(presented.as_bytes())))
    }
}

/// A freshly generated token: the secret string is shown to the operator once.
pub struct ApiToken {
    /// The token's public id.
    pub id: TokenId,
    secret: zeroize::Zeroizing<String>,
}

impl ApiToken {
    /// Generate a new token from 64 + 256 random bits.
    pub fn generate() -> Result<ApiToken, RandomError> {
        let mut id = [0u8; 8];
        random::fill(&mut id)?;
        let mut secret = Zeroizing::new([0u8; 32]);
        random::fill(&mut secret[..])?;

        let id = TokenId(data_encoding::HEXLOWER.encode(&id));
        let encoded_secret = Zeroizing::new(data_encoding::HEXLOWER.encode(&secret[..]));
        let mut token = Zeroizing::new(String::with_capacity(PREFIX.len() + 16 + 1 + 64));
        token.push_str(PREFIX);
        token.push_str(&id.0);
        token.push('_');
        token.push_str(&encoded_secret);
        Ok(ApiToken { id, secret: token })
    }

    /// The whole token string (`skydd_<id>_<secret>`), which the client presents.
    ///
    /// Show it to the operator exactly once, when the token is created, and never store or log
    /// it: Skydd keeps only its [`hash`](ApiToken::hash) and cannot show it again.
    pub fn secret(&self) -> &str {
        &self.secret
    }

    /// The hash stored in the database, equal to [`TokenHash::of`] the [`secret`](Self::secret).
    pub fn hash(&self) -> TokenHash {
        TokenHash::of(&self.secret)
    }
}

impl fmt::Debug for ApiToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiToken")
            .field("id", &self.id)
            .field("secret", &"<redacted>")
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn is_lower_hex(s: &str, len: usize) -> bool {
        s.len() == len
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    }

    #[test]
    fn generated_token_has_the_documented_shape() {
        let token = ApiToken::generate().unwrap();
        assert!(is_lower_hex(&token.id.0, 16), "{:?}", token.id);
        let rest = token.secret().strip_prefix("skydd_").unwrap();
        let (id, secret) = rest.split_once('_').unwrap();
        assert_eq!(id, token.id.0);
        assert!(is_lower_hex(secret, 64));
    }

    #[test]
    fn generated_tokens_differ() {
        let a = ApiToken::generate().unwrap();
        let b = ApiToken::generate().unwrap();
        assert_ne!(a.id, b.id);
        assert_ne!(a.secret(), b.secret());
        assert_ne!(a.hash(), b.hash());
    }

    #[test]
    fn hash_is_sha256_hex_of_the_whole_string() {
        let token = ApiToken::generate().unwrap();
        assert_eq!(token.hash(), TokenHash::of(token.secret()));
        // SHA-256("abc") from FIPS 180-2.
        assert_eq!(
            TokenHash::of("abc").0,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn debug_redacts_the_secret() {
        let token = ApiToken::generate().unwrap();
        let debug = format!("{token:?}");
        assert!(!debug.contains(token.secret()), "{debug}");
        let secret_part = token.secret().rsplit('_').next().unwrap();
        assert!(!debug.contains(secret_part), "{debug}");
        assert!(debug.contains("<redacted>"), "{debug}");
        assert!(debug.contains(&token.id.0), "{debug}");
    }

    proptest! {
        #[test]
        fn token_hash_is_deterministic(s in ".*") {
            prop_assert_eq!(TokenHash::of(&s), TokenHash::of(&s));
            prop_assert!(is_lower_hex(&TokenHash::of(&s).0, 64));
        }

        #[test]
        fn token_hash_distinguishes_strings(a in ".*", b in ".*") {
            prop_assume!(a != b);
            prop_assert_ne!(TokenHash::of(&a), TokenHash::of(&b));
        }
    }
}
