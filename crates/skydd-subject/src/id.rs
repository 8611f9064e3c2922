//! Random 128-bit identifiers of subjects and records, written as 32 lowercase hex digits.
//!
//! Ids are drawn by the caller (the vault uses the operating system's random source) and passed
//! in as bytes, so this crate stays free of I/O. They carry no meaning: nothing about a subject
//! can be read from its id, and ids cannot be guessed.

use std::fmt;
use std::str::FromStr;

/// A string that is not an id: not exactly 32 lowercase hexadecimal digits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a {what} is 32 lowercase hexadecimal digits (0-9, a-f)")]
pub struct IdError {
    /// Which id was expected: "subject id" or "record id".
    pub what: &'static str,
}

fn write_hex(bytes: &[u8; 16], f: &mut fmt::Formatter<'_>) -> fmt::Result {
    bytes.iter().try_for_each(|byte| write!(f, "{byte:02x}"))
}

fn parse_hex(text: &str) -> Option<[u8; 16]> {
    let digits = text.as_bytes();
    if digits.len() != 32 {
        return None;
    }
    let value = |digit: u8| match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        _ => None,
    };
    let mut bytes = [0u8; 16];
    for (byte, pair) in bytes.iter_mut().zip(digits.chunks_exact(2)) {
        *byte = (value(pair[0])? << 4) | value(pair[1])?;
    }
    Some(bytes)
}

macro_rules! random_id {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name([u8; 16]);

        impl $name {
            /// The id with these 128 bits (from a random source).
            pub const fn from_bytes(bytes: [u8; 16]) -> $name {
                $name(bytes)
            }

            /// The id written as 32 lowercase hex digits; anything else is refused.
            pub fn parse(text: &str) -> Result<$name, IdError> {
                parse_hex(text).map($name).ok_or(IdError { what: $what })
            }

            /// The id's 128 bits.
            pub const fn as_bytes(&self) -> &[u8; 16] {
                &self.0
            }
        }

        impl fmt::Display for $name {
            /// 32 lowercase hex digits.
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write_hex(&self.0, f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($name), "("))?;
                write_hex(&self.0, f)?;
                f.write_str(")")
            }
        }

        impl FromStr for $name {
            type Err = IdError;

            fn from_str(text: &str) -> Result<$name, IdError> {
                $name::parse(text)
            }
        }
    };
}

random_id!(
    /// The id of a data subject: random, 32 lowercase hex digits, revealing nothing about them.
    SubjectId,
    "subject id"
);

random_id!(
    /// The id of a record (one category of data about one subject).
    RecordId,
    "record id"
);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn ids_are_32_lowercase_hex_digits() {
        let id = SubjectId::from_bytes([0xab; 16]);
        assert_eq!(id.to_string(), "ab".repeat(16));
        assert_eq!(format!("{id:?}"), format!("SubjectId({})", "ab".repeat(16)));
        let bytes: [u8; 16] = std::array::from_fn(|i| i as u8 * 17);
        assert_eq!(
            RecordId::from_bytes(bytes).to_string(),
            "00112233445566778899aabbccddeeff"
        );
        assert_eq!(
            "00112233445566778899aabbccddeeff".parse::<RecordId>(),
            Ok(RecordId::from_bytes(bytes))
        );
    }

    #[test]
    fn other_strings_are_refused() {
        for text in [
            "",
            "00112233445566778899aabbccddeef",
            "00112233445566778899aabbccddeeff0",
            "00112233445566778899AABBCCDDEEFF",
            "00112233-4455-6677-8899-aabbccddeeff",
            "0011223344556677889 aabbccddeeff",
            "g0112233445566778899aabbccddeeff",
            "ä0112233445566778899aabbccddeef",
        ] {
            assert_eq!(
                SubjectId::parse(text),
                Err(IdError { what: "subject id" }),
                "{text:?}"
            );
        }
        assert_eq!(
            RecordId::parse("x").unwrap_err().to_string(),
            "a record id is 32 lowercase hexadecimal digits (0-9, a-f)"
        );
    }

    proptest! {
        #[test]
        fn ids_round_trip(bytes in any::<[u8; 16]>()) {
            let id = SubjectId::from_bytes(bytes);
            prop_assert_eq!(SubjectId::parse(&id.to_string()), Ok(id));
            prop_assert_eq!(id.as_bytes(), &bytes);
        }

        #[test]
        fn parse_never_panics(text in ".*") {
            let _ = RecordId::parse(&text);
        }
    }
}
