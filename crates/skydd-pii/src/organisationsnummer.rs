//! Swedish organisationsnummer, normal form 10 digits.
//!
//! Spellings: `NNNNNN-NNNN`, `NNNNNNNNNN`, and the 12-digit forms with the prefix `16`. Checks:
//! the group digit (the first: 1 estate, 2 state, 3 foreign company, 5 limited company, 6
//! partnership, 7 economic association, 8 non-profit association, 9 trading partnership), the
//! third digit at least 2 (so it is never a personnummer's month) and the Luhn check digit.
//!
//! A sole trader's number is their personnummer, which the personnummer recognizer reports.
//! A context word (`org.nr`, `organisationsnummer`, `corporate identity number` ...) makes a
//! number [`Confidence::High`]; without one a number with `-` is [`Confidence::Medium`] and a
//! bare number is not reported: one random 10-digit number in sixteen passes the checks.

use crate::boundary::{ends_clear, starts_clear};
use crate::checksum::luhn;
use crate::context::{mentions, names_another_number};
use crate::finding::{Confidence, Finding, Kind};
use crate::personnummer::digit_run;

/// Words that say a number is an organisationsnummer.
const CONTEXT_WORDS: &[&str] = &[
    "org.nr",
    "orgnr",
    "org nr",
    "org. nr",
    "org no",
    "org. no",
    "org.no",
    "organisationsnummer",
    "organisationsnr",
    "corporate identity",
    "company registration",
    "registration number",
    "company number",
];

/// The organisationsnummer starting at `start` (an ASCII digit), if any.
pub(crate) fn at(text: &[u8], start: usize) -> Option<Finding> {
    if !starts_clear(text, start) {
        return None;
    }
    let first = digit_run(text, start);
    let (from, dashed, end) = match (first, text.get(start + first)) {
        (6, Some(b'-')) if digit_run(text, start + 7) == 4 => (start, true, start + 11),
        (8, Some(b'-')) if text[start..start + 2] == *b"16" && digit_run(text, start + 9) == 4 => {
            (start + 2, true, start + 13)
        }
        (10, _) => (start, false, start + 10),
        (12, _) if text[start..start + 2] == *b"16" => (start + 2, false, start + 12),
        _ => return None,
    };
    if !ends_clear(text, end) {
        return None;
    }
    let mut ten = [0u8; 10];
    let digits = text[from..end].iter().filter(|b| b.is_ascii_digit());
    for (value, digit) in ten.iter_mut().zip(digits) {
        *value = digit - b'0';
    }
    if !matches!(ten[0], 1 | 2 | 3 | 5..=9) || ten[2] < 2 || !luhn(&ten) {
        return None;
    }
    let confidence = if mentions(text, start, CONTEXT_WORDS) {
        Confidence::High
    } else if names_another_number(text, start) {
        if !dashed {
            return None;
        }
        Confidence::Low
    } else if dashed {
        Confidence::Medium
    } else {
        // A bare 10-digit number passes these checks one time in sixteen: without a word
        // that says so, it is more likely a customer or order number.
        return None;
    };
    let normal = ten.iter().map(|&d| char::from(b'0' + d)).collect();
    Some(Finding::new(
        Kind::Organisationsnummer,
        start..end,
        confidence,
        normal,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn find(text: &str) -> Option<(String, Confidence)> {
        let start = text.find(|c: char| c.is_ascii_digit())?;
        at(text.as_bytes(), start).map(|f| (f.normal.as_str().to_owned(), f.confidence))
    }

    #[test]
    fn every_spelling_has_one_normal_form() {
        for raw in [
            "556677-8899",
            "orgnr 5566778899",
            "16556677-8899",
            "org.nr 165566778899",
        ] {
            assert_eq!(find(raw).unwrap().0, "5566778899", "{raw}");
        }
        assert_eq!(find("org.nr 556677-8899").unwrap().1, Confidence::High);
        assert_eq!(find("556677-8899").unwrap().1, Confidence::Medium);
        assert_eq!(find("orgnr 5566778899").unwrap().1, Confidence::High);
        assert_eq!(find("5566778899"), None);
        assert_eq!(find("Faktura 5566778899"), None);
    }

    #[test]
    fn personnummer_group_digits_and_check_digits_are_refused() {
        for raw in [
            "811218-9876",
            "456677-8892",
            "556677-8898",
            "15566778899",
            "5566778899-1",
        ] {
            assert_eq!(find(raw), None, "{raw}");
        }
    }
}
