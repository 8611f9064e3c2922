//! Phone numbers, normal form E.164 (`+46701234567`).
//!
//! - **Swedish national** numbers: a trunk 0, an area code (`08`, `031`, `0470`, the mobile
//!   `070`, `072`, `073`, `076`, `079`) and the subscriber number, written apart by `-` or a
//!   space and grouped by spaces (`070-123 45 67`, `08-123 456 78`, `031 12 34 56`) or bare
//!   (`0701234567`): 8 to 10 digits, a mobile number exactly 10, a subscriber number written
//!   apart 5 digits or more not starting with 0. Only one `-`, after the area code, so
//!   `08-05-2024` and `0800-1200` are not phone numbers.
//! - **International** numbers: `+` or `00`, a calling code of an EU/EEA country, Switzerland
//!   or the United Kingdom (see [`COUNTRIES`]), an optional `(0)`, and the national significant
//!   number in groups (spaces, `-`, `.` or `/`), its length within the country's range and at
//!   most 15 digits in all (E.164). A trunk 0 written after the calling code (`+46 070 ...`)
//!   is dropped, as `skydd-subject` does, except for Italy, whose numbers keep it.
//!
//! What stays ambiguous is said by the confidence: `+` numbers and grouped mobile numbers are
//! [`Confidence::High`]; other grouped national numbers and bare mobile numbers
//! [`Confidence::Medium`]; other bare national numbers [`Confidence::Low`]. A context word
//! (`tel`, `mobil`, `phone`, `ring` ...) raises any of them to high; a bare number right after
//! `order`, `faktura` ... is not reported. Other countries' national spellings (`030 1234567`
//! in Germany) are not recognized: without a calling code they cannot be told apart.

use crate::boundary::{ends_clear, starts_clear};
use crate::context::{mentions, names_another_number};
use crate::finding::{Confidence, Finding, Kind};
use crate::personnummer::digit_run;

/// A country whose international numbers are recognized.
pub struct Country {
    /// ISO 3166-1 alpha-2 code.
    pub iso: &'static str,
    /// Calling code, without `+` (`46`).
    pub calling: &'static str,
    /// Fewest digits of the national significant number (after the calling code).
    pub min: usize,
    /// Most digits of the national significant number.
    pub max: usize,
    /// Whether national numbers start with a trunk 0 that is dropped after the calling code.
    pub trunk_zero: bool,
}

const fn country(
    iso: &'static str,
    calling: &'static str,
    min: usize,
    max: usize,
    trunk_zero: bool,
) -> Country {
    Country {
        iso,
        calling,
        min,
        max,
        trunk_zero,
    }
}

/// The EU and EEA countries, Switzerland and the United Kingdom, with the lengths of their
/// national significant numbers (ITU-T national numbering plans, rounded out to cover mobile
/// and geographic numbers). Calling codes are prefix-free.
pub const COUNTRIES: &[Country] = &[
    country("SE", "46", 7, 9, true),
    country("NO", "47", 8, 8, false),
    country("DK", "45", 8, 8, false),
    country("FI", "358", 6, 10, true),
    country("IS", "354", 7, 9, false),
    country("DE", "49", 6, 11, true),
    country("NL", "31", 9, 9, true),
    country("BE", "32", 8, 9, true),
    country("LU", "352", 6, 11, false),
    country("FR", "33", 9, 9, true),
    country("ES", "34", 9, 9, false),
    country("PT", "351", 9, 9, false),
    country("IT", "39", 6, 11, false),
    country("MT", "356", 8, 8, false),
    country("GR", "30", 10, 10, false),
    country("CY", "357", 8, 8, false),
    country("AT", "43", 6, 13, true),
    country("CH", "41", 9, 9, true),
    country("LI", "423", 7, 9, false),
    country("IE", "353", 7, 9, true),
    country("GB", "44", 9, 10, true),
    country("PL", "48", 9, 9, false),
    country("CZ", "420", 9, 9, false),
    country("SK", "421", 9, 9, true),
    country("HU", "36", 8, 9, false),
    country("SI", "386", 8, 8, true),
    country("HR", "385", 8, 9, true),
    country("RO", "40", 9, 9, true),
    country("BG", "359", 8, 9, true),
    country("EE", "372", 7, 8, false),
    country("LV", "371", 8, 8, false),
    country("LT", "370", 8, 8, false),
];

/// E.164: at most 15 digits, calling code included.
const E164_MAX: usize = 15;

/// Words that say a number is a phone number.
const CONTEXT_WORDS: &[&str] = &[
    "tel", "phone", "mobil", "ring", "call", "sms", "tfn", "fax", "whatsapp", "nå mig", "reach me",
    "cell",
];

/// Separators between digit groups of an international number.
fn international_separator(b: u8) -> bool {
    matches!(b, b' ' | b'-' | b'.' | b'/')
}

/// The phone number starting at `start` (`+` or `0`), if any.
pub(crate) fn at(text: &[u8], start: usize) -> Option<Finding> {
    if !starts_clear(text, start) {
        return None;
    }
    match (text.get(start), text.get(start + 1)) {
        (Some(b'+'), Some(b'1'..=b'9')) => international(text, start, start + 1),
        (Some(b'0'), Some(b'0')) => international(text, start, start + 2),
        (Some(b'0'), Some(b'1'..=b'9')) => swedish(text, start),
        _ => None,
    }
}

/// `+CC ...` or `00CC ...`; `calling` is where the calling code starts.
fn international(text: &[u8], start: usize, calling: usize) -> Option<Finding> {
    let rest = text.get(calling..)?;
    let country = COUNTRIES
        .iter()
        .find(|c| rest.starts_with(c.calling.as_bytes()))?;
    let mut pos = calling + country.calling.len();
    let mut separated = false;
    if text
        .get(pos)
        .is_some_and(|&b| international_separator(b) && b != b'/')
        && text
            .get(pos + 1)
            .is_some_and(|&b| b.is_ascii_digit() || b == b'(')
    {
        pos += 1;
        separated = true;
    }
    if text.get(pos..).is_some_and(|r| r.starts_with(b"(0)")) {
        pos += 3;
        if text.get(pos).is_some_and(|&b| b == b' ' || b == b'-') {
            pos += 1;
        }
    }
    let mut digits = [0u8; E164_MAX];
    let mut count = 0;
    let mut end = pos;
    let mut first = true;
    loop {
        let run = digit_run(text, pos);
        if run == 0 {
            return None;
        }
        let mut group = &text[pos..pos + run];
        if first && country.trunk_zero && group[0] == b'0' {
            group = &group[1..];
        }
        first = false;
        if count + group.len() > country.max {
            // A space may separate the number from a following one; anything else joins them.
            if count >= country.min && text[pos - 1] == b' ' {
                break;
            }
            return None;
        }
        for &d in group {
            digits[count] = d - b'0';
            count += 1;
        }
        end = pos + run;
        match (text.get(end), text.get(end + 1)) {
            (Some(&sep), Some(next)) if international_separator(sep) && next.is_ascii_digit() => {
                separated = true;
                pos = end + 1;
            }
            _ => break,
        }
    }
    if count < country.min
        || country.calling.len() + count > E164_MAX
        || (!country.trunk_zero && country.iso != "IT" && digits[0] == 0)
        || !ends_clear(text, end)
    {
        return None;
    }
    let plus = text[start] == b'+';
    let confidence = if plus || separated || mentions(text, start, CONTEXT_WORDS) {
        Confidence::High
    } else if names_another_number(text, start) {
        return None;
    } else {
        Confidence::Medium
    };
    let mut normal = String::with_capacity(1 + country.calling.len() + count);
    normal.push('+');
    normal.push_str(country.calling);
    normal.extend(digits[..count].iter().map(|&d| char::from(b'0' + d)));
    Some(Finding::new(Kind::Phone, start..end, confidence, normal))
}

/// A Swedish national number starting with its trunk 0.
fn swedish(text: &[u8], start: usize) -> Option<Finding> {
    let first = digit_run(text, start);
    if first > 10 {
        return None;
    }
    let mut digits = [0u8; 10];
    let mut count = 0;
    let mut push = |group: &[u8], count: &mut usize| {
        for &d in group {
            digits[*count] = d - b'0';
            *count += 1;
        }
    };
    push(&text[start..start + first], &mut count);
    let mut end = start + first;
    let mut separated = false;
    let apart = matches!(text.get(end), Some(b'-' | b' '))
        && text.get(end + 1).is_some_and(u8::is_ascii_digit);
    if first <= 4 && apart {
        // A subscriber number has 5 to 8 digits and does not start with 0 (`0800-1200` is a
        // time, not a number).
        if text[end + 1] == b'0' {
            return None;
        }
        separated = true;
        let mut pos = end + 1;
        loop {
            let run = digit_run(text, pos);
            if count + run > 10 {
                if count >= 8 && text[pos - 1] == b' ' {
                    break;
                }
                return None;
            }
            push(&text[pos..pos + run], &mut count);
            end = pos + run;
            if text.get(end) == Some(&b' ') && text.get(end + 1).is_some_and(u8::is_ascii_digit) {
                pos = end + 1;
            } else {
                break;
            }
        }
    }
    if !(8..=10).contains(&count) || (separated && count - first < 5) || !ends_clear(text, end) {
        return None;
    }
    let mobile = digits[1] == 7 && matches!(digits[2], 0 | 2 | 3 | 6 | 9);
    if mobile && count != 10 {
        return None;
    }
    let confidence = if mentions(text, start, CONTEXT_WORDS) {
        Confidence::High
    } else if names_another_number(text, start) {
        if !separated {
            return None;
        }
        Confidence::Low
    } else {
        match (separated, mobile) {
            (true, true) => Confidence::High,
            (true, false) | (false, true) => Confidence::Medium,
            (false, false) => Confidence::Low,
        }
    };
    let mut normal = String::with_capacity(12);
    normal.push_str("+46");
    normal.extend(digits[1..count].iter().map(|&d| char::from(b'0' + d)));
    Some(Finding::new(Kind::Phone, start..end, confidence, normal))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn find(text: &str) -> Option<(String, Confidence, usize)> {
        let start = text.find(['+', '0'])?;
        at(text.as_bytes(), start).map(|f| (f.normal.as_str().to_owned(), f.confidence, f.span.end))
    }

    fn normal(text: &str) -> Option<String> {
        find(text).map(|(n, _, _)| n)
    }

    #[test]
    fn swedish_spellings_have_one_normal_form() {
        for raw in [
            "070-123 45 67",
            "070 123 45 67",
            "0701234567",
            "070-1234567",
            "+46 70 123 45 67",
            "+46701234567",
            "+46 (0)70-123 45 67",
            "+46 070 123 45 67",
            "0046 70 123 45 67",
            "0046701234567",
            "+46-70-123 45 67",
        ] {
            assert_eq!(normal(raw).as_deref(), Some("+46701234567"), "{raw}");
        }
        assert_eq!(normal("08-123 456 78").as_deref(), Some("+46812345678"));
        assert_eq!(normal("031-12 34 56").as_deref(), Some("+4631123456"));
        assert_eq!(normal("0470-123 45").as_deref(), Some("+4647012345"));
    }

    #[test]
    fn other_countries_by_calling_code_and_length() {
        assert_eq!(normal("+49 30 1234567").as_deref(), Some("+49301234567"));
        assert_eq!(normal("+47 912 34 567").as_deref(), Some("+4791234567"));
        assert_eq!(normal("+358 40 123 4567").as_deref(), Some("+358401234567"));
        assert_eq!(normal("+33 6 12 34 56 78").as_deref(), Some("+33612345678"));
        assert_eq!(normal("+39 06 1234 5678").as_deref(), Some("+390612345678"));
        assert_eq!(normal("+44 20 7946 0958").as_deref(), Some("+442079460958"));
        // Wrong length for the country, or no EU/EEA country.
        assert_eq!(normal("+47 912 34 5678"), None);
        assert_eq!(normal("+1 212 555 0100"), None);
        assert_eq!(normal("+33 6 12 34 56 7"), None);
    }

    #[test]
    fn dates_versions_and_long_numbers_are_not_phone_numbers() {
        for raw in [
            "08-05-2024",
            "0800-1200",
            "070-123 45 678 9",
            "07012345678",
            "070123456",
            "0.12.3456789",
            "x0701234567",
            "0701234567-1",
            "Ordernummer 0701234567",
        ] {
            assert_eq!(find(raw), None, "{raw}");
        }
    }

    #[test]
    fn a_following_number_after_a_space_is_left_out() {
        let (normal, _, end) = find("070-123 45 67 12").unwrap();
        assert_eq!((normal.as_str(), end), ("+46701234567", 13));
    }

    #[test]
    fn confidence_says_how_ambiguous_the_spelling_is() {
        assert_eq!(find("070-123 45 67").unwrap().1, Confidence::High);
        assert_eq!(find("08-123 456 78").unwrap().1, Confidence::Medium);
        assert_eq!(find("0701234567").unwrap().1, Confidence::Medium);
        assert_eq!(find("0812345678").unwrap().1, Confidence::Low);
        assert_eq!(find("tel 0812345678").unwrap().1, Confidence::High);
    }
}
