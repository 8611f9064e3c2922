//! Phone numbers, normalised to E.164: `+`, the country code, the national number; 8 to 15
//! digits in all.
//!
//! Accepted spellings: `+46 70-123 45 67`, `+46 (0)70 123 45 67`, `0046701234567`, and national
//! numbers in the default country (`070-123 45 67` in Sweden: the leading 0, the trunk prefix,
//! is dropped and `+46` put in front). Spaces, `-`, `.`, `/` and parentheses are ignored.
//!
//! For countries whose national numbers start with a trunk prefix 0 (Sweden, Finland, ...), a 0
//! written after the country code (`+46 070 ...`, a common mistake) is dropped too; a second one
//! is refused, so that the normal form never has one and normalising stays idempotent.

use crate::identity::IdentityProblem;

/// Fewest digits of a number, country code included.
const MIN_DIGITS: usize = 8;
/// Most digits of a number, country code included (ITU-T E.164).
const MAX_DIGITS: usize = 15;

/// A country whose national numbers Skydd understands.
struct Country {
    /// ISO 3166-1 alpha-2 code.
    code: &'static str,
    /// Country calling code, without `+` or `00` (`46` for Sweden).
    calling: &'static str,
    /// Whether national numbers start with the trunk prefix 0.
    trunk_zero: bool,
}

/// The countries national numbers are understood for. Calling codes are prefix-free, so a
/// number's country is the one whose code it starts with.
const COUNTRIES: &[Country] = &[
    Country {
        code: "SE",
        calling: "46",
        trunk_zero: true,
    },
    Country {
        code: "NO",
        calling: "47",
        trunk_zero: false,
    },
    Country {
        code: "DK",
        calling: "45",
        trunk_zero: false,
    },
    Country {
        code: "FI",
        calling: "358",
        trunk_zero: true,
    },
    Country {
        code: "IS",
        calling: "354",
        trunk_zero: false,
    },
    Country {
        code: "DE",
        calling: "49",
        trunk_zero: true,
    },
    Country {
        code: "NL",
        calling: "31",
        trunk_zero: true,
    },
    Country {
        code: "FR",
        calling: "33",
        trunk_zero: true,
    },
    Country {
        code: "GB",
        calling: "44",
        trunk_zero: true,
    },
];

/// The countries of [`COUNTRIES`], for messages.
pub(crate) fn known_countries() -> String {
    COUNTRIES
        .iter()
        .map(|c| c.code)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The E.164 form of a trimmed, non-empty number without control characters.
pub(crate) fn normalise(trimmed: &str, default_country: &str) -> Result<String, IdentityProblem> {
    let (plus, rest) = match trimmed.strip_prefix('+') {
        Some(rest) => (true, rest),
        None => (false, trimmed),
    };
    // "+46 (0)70 ...": the bracketed trunk prefix is a reading aid, not part of the number.
    let rest = if plus {
        rest.replacen("(0)", "", 1)
    } else {
        rest.to_owned()
    };
    let mut digits = String::with_capacity(rest.len());
    for c in rest.chars() {
        match c {
            '0'..='9' => digits.push(c),
            '+' => return Err(IdentityProblem::PhonePlusNotFirst),
            '-' | '.' | '/' | '(' | ')' => {}
            c if c.is_whitespace() => {}
            _ => return Err(IdentityProblem::PhoneCharacter),
        }
    }

    let international = if plus {
        digits
    } else if let Some(international) = digits.strip_prefix("00") {
        international.to_owned()
    } else {
        let country = COUNTRIES
            .iter()
            .find(|c| c.code.eq_ignore_ascii_case(default_country))
            .ok_or(IdentityProblem::PhoneUnknownCountry)?;
        let national = if country.trunk_zero {
            digits
                .strip_prefix('0')
                .ok_or(IdentityProblem::PhoneNoTrunkPrefix)?
        } else {
            &digits
        };
        format!("{}{national}", country.calling)
    };

    if international.starts_with('0') {
        return Err(IdentityProblem::PhoneLeadingZero);
    }
    let international = drop_trunk_zero(international)?;
    let count = international.len();
    if !(MIN_DIGITS..=MAX_DIGITS).contains(&count) {
        return Err(IdentityProblem::PhoneDigitCount { digits: count });
    }
    Ok(format!("+{international}"))
}

/// Drop one 0 written after the calling code of a trunk-zero country; refuse a second.
fn drop_trunk_zero(international: String) -> Result<String, IdentityProblem> {
    let Some(country) = COUNTRIES
        .iter()
        .find(|c| c.trunk_zero && international.starts_with(c.calling))
    else {
        return Ok(international);
    };
    let national = &international[country.calling.len()..];
    match national.strip_prefix('0') {
        None => Ok(international),
        Some(rest) if rest.starts_with('0') => Err(IdentityProblem::PhoneLeadingZero),
        Some(rest) => Ok(format!("{}{rest}", country.calling)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_usual_swedish_spellings() {
        for raw in [
            "+46 70-123 45 67",
            "+46701234567",
            "0046701234567",
            "00 46 70 123 45 67",
            "070-123 45 67",
            "070 123 45 67",
            "(070) 123 45 67",
            "070/1234567",
            "070.123.45.67",
            "+46 (0)70 123 45 67",
            "+46 070 123 45 67",
            "+46\u{a0}70\u{a0}123\u{a0}45\u{a0}67",
        ] {
            assert_eq!(normalise(raw, "SE").unwrap(), "+46701234567", "{raw:?}");
        }
        assert_eq!(normalise("08-123 456 78", "SE").unwrap(), "+46812345678");
    }

    #[test]
    fn national_numbers_follow_the_default_country() {
        assert_eq!(normalise("412 34 567", "NO").unwrap(), "+4741234567");
        assert_eq!(normalise("040 1234567", "fi").unwrap(), "+358401234567");
        assert_eq!(normalise("+358 40 1234567", "SE").unwrap(), "+358401234567");
        assert_eq!(
            normalise("070-123 45 67", "US"),
            Err(IdentityProblem::PhoneUnknownCountry)
        );
        assert_eq!(
            normalise("+1 202 555 0143", "US").unwrap(),
            "+12025550143",
            "international numbers need no known country"
        );
    }

    #[test]
    fn refuses_what_is_not_a_number() {
        for (raw, problem) in [
            ("070-123 45 6x", IdentityProblem::PhoneCharacter),
            ("070–123", IdentityProblem::PhoneCharacter),
            ("tel:+46701234567", IdentityProblem::PhoneCharacter),
            ("46+701234567", IdentityProblem::PhonePlusNotFirst),
            ("++46701234567", IdentityProblem::PhonePlusNotFirst),
            ("70-123 45 67", IdentityProblem::PhoneNoTrunkPrefix),
            ("46701234567", IdentityProblem::PhoneNoTrunkPrefix),
            ("+046701234567", IdentityProblem::PhoneLeadingZero),
            ("000046701234567", IdentityProblem::PhoneLeadingZero),
            ("+46 00 701234567", IdentityProblem::PhoneLeadingZero),
            ("+46 70", IdentityProblem::PhoneDigitCount { digits: 4 }),
            ("+", IdentityProblem::PhoneDigitCount { digits: 0 }),
            ("()", IdentityProblem::PhoneNoTrunkPrefix),
            (
                "+46 70 123 45 67 89 01 23",
                IdentityProblem::PhoneDigitCount { digits: 17 },
            ),
        ] {
            assert_eq!(normalise(raw, "SE"), Err(problem), "{raw:?}");
        }
    }

    #[test]
    fn digit_limits_are_8_and_15() {
        assert_eq!(
            normalise("+1234567", "SE"),
            Err(IdentityProblem::PhoneDigitCount { digits: 7 })
        );
        assert_eq!(normalise("+12345678", "SE").unwrap(), "+12345678");
        assert_eq!(
            normalise("+123456789012345", "SE").unwrap(),
            "+123456789012345"
        );
        assert_eq!(
            normalise("+1234567890123456", "SE"),
            Err(IdentityProblem::PhoneDigitCount { digits: 16 })
        );
    }
}
