//! International bank account numbers, normal form upper case without spaces.
//!
//! A country code of the EU/EEA, Switzerland or the United Kingdom, two check digits and the
//! national account number, bare or in groups of four separated by single spaces
//! (`SE45 5000 0000 0583 9825 7466`); exactly the country's length (see [`LENGTHS`]) and the
//! ISO 7064 mod 97-10 check. Always [`Confidence::High`]: a random string passes the check
//! once in 97 and must have the exact length too. Only upper-case letters are read.

use crate::boundary::{ends_clear, starts_clear};
use crate::checksum::iban_mod97;
use crate::finding::{Confidence, Finding, Kind};

/// IBAN lengths of the EU and EEA countries, Switzerland and the United Kingdom (SWIFT IBAN
/// registry).
pub const LENGTHS: &[(&str, usize)] = &[
    ("AT", 20),
    ("BE", 16),
    ("BG", 22),
    ("CH", 21),
    ("CY", 28),
    ("CZ", 24),
    ("DE", 22),
    ("DK", 18),
    ("EE", 20),
    ("ES", 24),
    ("FI", 18),
    ("FR", 27),
    ("GB", 22),
    ("GR", 27),
    ("HR", 21),
    ("HU", 28),
    ("IE", 22),
    ("IS", 26),
    ("IT", 27),
    ("LI", 21),
    ("LT", 20),
    ("LU", 20),
    ("LV", 21),
    ("MT", 31),
    ("NL", 18),
    ("NO", 15),
    ("PL", 28),
    ("PT", 25),
    ("RO", 24),
    ("SE", 24),
    ("SI", 19),
    ("SK", 24),
];

/// The IBAN length of a country, if it is one of [`LENGTHS`].
pub fn length(country: &[u8]) -> Option<usize> {
    LENGTHS
        .iter()
        .find(|(code, _)| code.as_bytes() == country)
        .map(|&(_, n)| n)
}

fn is_part(b: u8) -> bool {
    b.is_ascii_digit() || b.is_ascii_uppercase()
}

/// The IBAN starting at `start` (an upper-case ASCII letter), if any.
pub(crate) fn at(text: &[u8], start: usize) -> Option<Finding> {
    let head = text.get(start..start + 4)?;
    if !head[2].is_ascii_digit() || !head[3].is_ascii_digit() || !starts_clear(text, start) {
        return None;
    }
    let expected = length(&head[..2])?;
    let mut iban = [0u8; 34];
    let mut count = 0;
    let mut pos = start;
    let mut end = start;
    while count < expected {
        let run = text
            .get(pos..)
            .map_or(0, |rest| rest.iter().take_while(|&&b| is_part(b)).count());
        if run == 0 || count + run > expected {
            return None;
        }
        // Grouped: every group but the last has four characters.
        let grouped = pos > start || text.get(pos + run) == Some(&b' ');
        if grouped && run != 4 && count + run != expected {
            return None;
        }
        iban[count..count + run].copy_from_slice(&text[pos..pos + run]);
        count += run;
        end = pos + run;
        if count < expected {
            if text.get(end) != Some(&b' ') {
                return None;
            }
            pos = end + 1;
        }
    }
    let iban = &iban[..count];
    if !ends_clear(text, end) || !iban_mod97(iban) {
        return None;
    }
    let normal = iban.iter().map(|&b| char::from(b)).collect();
    Some(Finding::new(
        Kind::Iban,
        start..end,
        Confidence::High,
        normal,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn normal(text: &str) -> Option<String> {
        let start = text.find(|c: char| c.is_ascii_uppercase())?;
        at(text.as_bytes(), start).map(|f| f.normal.as_str().to_owned())
    }

    #[test]
    fn grouped_and_bare_ibans_are_found() {
        for raw in [
            "SE45 5000 0000 0583 9825 7466",
            "SE4550000000058398257466",
            "(SE45 5000 0000 0583 9825 7466).",
        ] {
            assert_eq!(
                normal(raw).as_deref(),
                Some("SE4550000000058398257466"),
                "{raw}"
            );
        }
        assert_eq!(
            normal("DE89 3704 0044 0532 0130 00").as_deref(),
            Some("DE89370400440532013000")
        );
        assert_eq!(
            normal("GB82 WEST 1234 5698 7654 32").as_deref(),
            Some("GB82WEST12345698765432")
        );
        assert_eq!(
            normal("NO93 8601 1117 947").as_deref(),
            Some("NO9386011117947")
        );
    }

    #[test]
    fn wrong_checks_lengths_and_groupings_are_refused() {
        for raw in [
            "SE45 5000 0000 0583 9825 7467",
            "SE45 5000 0000 0583 9825 74661",
            "SE45 5000 0000 0583 9825 746",
            "SE455 000 0000 0583 9825 7466",
            "SE45500000000583982574661",
            "XSE4550000000058398257466",
            "US45 5000 0000 0583 9825 7466",
        ] {
            assert_eq!(normal(raw), None, "{raw}");
        }
    }
}
