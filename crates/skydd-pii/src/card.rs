//! Payment card numbers (PAN), normal form the digits.
//!
//! 13 to 19 digits, bare or in groups of 3 to 6 separated by one kind of separator (a space or
//! `-`: `4111 1111 1111 1111`, `3782-822463-10005`), a known issuer prefix with a length that
//! issuer uses (see [`issuer`]), and the Luhn check digit. Never part of a longer number
//! (`4111 1111 1111 1111 2` is not a card).
//!
//! A grouped number or one after a context word (`kort`, `card`, `visa` ...) is
//! [`Confidence::High`]; a bare number [`Confidence::Medium`], and not reported right after
//! `order`, `faktura`, `tracking` ... Expiry dates and CVCs are not recognized.

use crate::boundary::{ends_clear, starts_clear};
use crate::checksum::luhn;
use crate::context::{mentions, names_another_number};
use crate::finding::{Confidence, Finding, Kind};
use crate::personnummer::digit_run;

/// Words that say a number is a card number.
const CONTEXT_WORDS: &[&str] = &[
    "kort",
    "card",
    "visa",
    "mastercard",
    "amex",
    "american express",
    "maestro",
    "pan",
];

/// The card network whose prefix and length fit `digits` (values 0-9), if any.
///
/// Visa 4 (13, 16, 19 digits); Mastercard 51-55 and 2221-2720 (16); American Express 34, 37
/// (15); Discover 6011, 644-649, 65 (16-19); Diners Club 300-305, 36, 38, 39 (14-19); JCB
/// 3528-3589 (16-19); Maestro 5018, 5020, 5038, 5893, 6304, 6759, 6761-6763 (13-19);
/// UnionPay 62 (16-19); Dankort 5019 (16).
pub fn issuer(digits: &[u8]) -> Option<&'static str> {
    let n = digits.len();
    let prefix = |len: usize| {
        digits
            .iter()
            .take(len)
            .fold(0u32, |p, &d| p * 10 + u32::from(d))
    };
    let (p1, p2, p3, p4) = (prefix(1), prefix(2), prefix(3), prefix(4));
    let name = if p1 == 4 && matches!(n, 13 | 16 | 19) {
        "visa"
    } else if ((51..=55).contains(&p2) || (2221..=2720).contains(&p4)) && n == 16 {
        "mastercard"
    } else if matches!(p2, 34 | 37) && n == 15 {
        "amex"
    } else if (p4 == 6011 || (644..=649).contains(&p3) || p2 == 65) && (16..=19).contains(&n) {
        "discover"
    } else if ((300..=305).contains(&p3) || matches!(p2, 36 | 38 | 39)) && (14..=19).contains(&n) {
        "diners"
    } else if (3528..=3589).contains(&p4) && (16..=19).contains(&n) {
        "jcb"
    } else if p4 == 5019 && n == 16 {
        "dankort"
    } else if matches!(p4, 5018 | 5020 | 5038 | 5893 | 6304 | 6759 | 6761..=6763)
        && (13..=19).contains(&n)
    {
        "maestro"
    } else if p2 == 62 && (16..=19).contains(&n) {
        "unionpay"
    } else {
        return None;
    };
    Some(name)
}

/// The card number starting at `start` (an ASCII digit), if any.
pub(crate) fn at(text: &[u8], start: usize) -> Option<Finding> {
    if !matches!(text.get(start), Some(b'2'..=b'6')) || !starts_clear(text, start) {
        return None;
    }
    let mut digits = [0u8; 19];
    let mut count = 0;
    let mut pos = start;
    let mut separator = None;
    let end = loop {
        let run = digit_run(text, pos);
        if count + run > 19 || (separator.is_some() && !(3..=6).contains(&run)) {
            return None;
        }
        for &d in &text[pos..pos + run] {
            digits[count] = d - b'0';
            count += 1;
        }
        let end = pos + run;
        match (text.get(end), text.get(end + 1)) {
            (Some(&sep @ (b' ' | b'-')), Some(next))
                if next.is_ascii_digit() && separator.is_none_or(|s| s == sep) =>
            {
                if separator.is_none() && !(3..=6).contains(&run) {
                    return None;
                }
                separator = Some(sep);
                pos = end + 1;
            }
            _ => break end,
        }
    };
    let digits = &digits[..count];
    if count < 13 || !ends_clear(text, end) || issuer(digits).is_none() || !luhn(digits) {
        return None;
    }
    let confidence = if separator.is_some() || mentions(text, start, CONTEXT_WORDS) {
        Confidence::High
    } else if names_another_number(text, start) {
        return None;
    } else {
        Confidence::Medium
    };
    let normal = digits.iter().map(|&d| char::from(b'0' + d)).collect();
    Some(Finding::new(Kind::Card, start..end, confidence, normal))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn find(text: &str) -> Option<(String, Confidence)> {
        let start = text.find(|c: char| c.is_ascii_digit())?;
        at(text.as_bytes(), start).map(|f| (f.normal.as_str().to_owned(), f.confidence))
    }

    #[test]
    fn test_numbers_of_each_network_are_found() {
        for raw in [
            "4111111111111111",
            "4111 1111 1111 1111",
            "4111-1111-1111-1111",
            "5555 5555 5555 4444",
            "2223 0031 2200 3222",
            "3782 822463 10005",
            "6011 1111 1111 1117",
            "3530 1113 3330 0000",
            "3056 930902 5904",
            "6759 6498 2643 8453",
            "6200 0000 0000 0005",
            "4222222222222",
        ] {
            let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
            assert_eq!(find(raw).map(|f| f.0), Some(digits), "{raw}");
        }
        assert_eq!(find("4111111111111111").unwrap().1, Confidence::Medium);
        assert_eq!(find("kort 4111111111111111").unwrap().1, Confidence::High);
    }

    #[test]
    fn wrong_checks_prefixes_lengths_and_groupings_are_refused() {
        for raw in [
            "4111 1111 1111 1112",
            "1111 1111 1111 1117",
            "4111 1111 1111 1111 2",
            "4111 1111-1111 1111",
            "41 11 11 11 11 11 11 11",
            "411111111111111",
            "Ordernummer 4111111111111111",
            "x4111111111111111",
        ] {
            assert_eq!(find(raw), None, "{raw}");
        }
    }
}
