//! Tenants: the customers on whose behalf Skydd processes personal data (processor mode).
//!
//! A tenant id is chosen by the operator (`acme`, `kund-4711`), so it is short, lowercase and
//! safe in URLs, file names and log lines: `[a-z0-9][a-z0-9_-]{0,63}`. It names an
//! organisation, not a person, and may be shown in messages.

use std::fmt;
use std::str::FromStr;

/// The longest tenant id.
const MAX_LEN: usize = 64;

/// The id of a tenant: 1 to 64 characters from `a-z`, `0-9`, `_` and `-`, starting with a
/// letter or digit.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TenantId(String);

/// A string that is not a tenant id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TenantIdError {
    /// Nothing was given.
    #[error("a tenant id is empty; give 1 to 64 characters from a-z, 0-9, `_` and `-`")]
    Empty,
    /// More than 64 characters.
    #[error("a tenant id is at most 64 characters long")]
    TooLong,
    /// It starts with `_` or `-`.
    #[error("a tenant id starts with a lowercase letter or a digit")]
    BadStart,
    /// A character other than `a-z`, `0-9`, `_`, `-` (for example an uppercase letter).
    #[error("a tenant id has only lowercase letters a-z, digits, `_` and `-`")]
    BadCharacter,
}

impl TenantId {
    /// The tenant id `text`, exactly as given (nothing is trimmed or lower-cased).
    pub fn parse(text: &str) -> Result<TenantId, TenantIdError> {
        let bytes = text.as_bytes();
        let first = *bytes.first().ok_or(TenantIdError::Empty)?;
        let allowed =
            |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-';
        if !bytes.iter().all(|&b| allowed(b)) {
            return Err(TenantIdError::BadCharacter);
        }
        if bytes.len() > MAX_LEN {
            return Err(TenantIdError::TooLong);
        }
        if first == b'_' || first == b'-' {
            return Err(TenantIdError::BadStart);
        }
        Ok(TenantId(text.to_owned()))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TenantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for TenantId {
    type Err = TenantIdError;

    fn from_str(text: &str) -> Result<TenantId, TenantIdError> {
        TenantId::parse(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_the_documented_shape() {
        for text in ["a", "0", "acme", "kund-4711", "a_b-c", &"x".repeat(64)] {
            assert_eq!(TenantId::parse(text).unwrap().as_str(), text);
        }
    }

    #[test]
    fn refuses_everything_else_saying_why() {
        for (text, error) in [
            ("", TenantIdError::Empty),
            (&"x".repeat(65) as &str, TenantIdError::TooLong),
            ("-acme", TenantIdError::BadStart),
            ("_acme", TenantIdError::BadStart),
            ("Acme", TenantIdError::BadCharacter),
            ("acme corp", TenantIdError::BadCharacter),
            (" acme", TenantIdError::BadCharacter),
            ("acme.se", TenantIdError::BadCharacter),
            ("åsa", TenantIdError::BadCharacter),
        ] {
            assert_eq!(TenantId::parse(text), Err(error), "{text:?}");
        }
    }

    proptest! {
        #[test]
        fn valid_ids_round_trip(text in "[a-z0-9][a-z0-9_-]{0,63}") {
            let id: TenantId = text.parse().unwrap();
            prop_assert_eq!(id.to_string(), text);
        }

        #[test]
        fn parse_never_panics(text in ".*") {
            if let Ok(id) = TenantId::parse(&text) {
                prop_assert_eq!(id.as_str(), text);
            }
        }
    }
}
