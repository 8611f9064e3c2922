//! Swedish personnummer and samordningsnummer, normal form 12 digits `YYYYMMDDNNNC`.
//!
//! Spellings: `YYMMDD-NNNC`, `YYMMDD+NNNC`, `YYMMDDNNNC`, `YYYYMMDD-NNNC`, `YYYYMMDDNNNC`. A
//! samordningsnummer is the same with 60 added to the day; its normal form keeps the day as
//! written. Checks:
//!
//! - the date exists in the resolved year (no 31 April; 29 February only in leap years, so
//!   `000229-` is valid in 2000 and `000229+` is not, 1900 being no leap year);
//! - the Luhn check digit over the ten digits;
//! - the century of a 10-digit number from the reference date `R` (year `Y`), as the
//!   Folkbokföringslag writes it: `-` until the year the person turns 100, `+` from that year.
//!   So `-` means born in one of the years `Y - 99 ..= Y`, `+` born in `Y - 100` or before (the
//!   latest such year), and no separator the latest date of birth not after `R`;
//! - a date of birth not after `R` and at most 150 years before it.
//!
//! These are the rules of `skydd-subject`, so a number found in text has the normal form the
//! vault's blind index holds for the same number.
//!
//! Never matched inside a longer number or word. A separator or a context word
//! (`personnummer`, `pnr`, `personal identity number`, `samordningsnummer`) makes a finding
//! [`Confidence::High`]; without either it is [`Confidence::Medium`], and a bare number right
//! after `order`, `faktura`, `invoice` ... is not reported.

use jiff::civil::Date;

use crate::boundary::{ends_clear, starts_clear};
use crate::checksum::luhn;
use crate::context::{mentions, names_another_number};
use crate::finding::{Confidence, Finding, Kind};

/// Words that say a number is a personnummer.
const CONTEXT_WORDS: &[&str] = &[
    "personnummer",
    "personnr",
    "pnr",
    "p-nr",
    "personal identity number",
    "personal number",
    "social security",
    "samordningsnummer",
    "coordination number",
    "födelsenummer",
    "ssn",
];

/// Dates of birth more than this many years before the reference date are refused.
const MAX_AGE_YEARS: i16 = 150;

/// How a 10-digit number was separated.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Separator {
    Minus,
    Plus,
    None,
}

/// The personnummer or samordningsnummer starting at `start` (an ASCII digit), if any.
pub(crate) fn at(text: &[u8], start: usize, reference: Date) -> Option<Finding> {
    if !starts_clear(text, start) {
        return None;
    }
    let first = digit_run(text, start);
    let (century, ten, separator, end) = match (first, text.get(start + first)) {
        (6, Some(&sep @ (b'-' | b'+'))) if digit_run(text, start + 7) == 4 => {
            let separator = if sep == b'-' {
                Separator::Minus
            } else {
                Separator::Plus
            };
            let mut ten = [0u8; 10];
            values(&text[start..start + 6], &mut ten[..6]);
            values(&text[start + 7..start + 11], &mut ten[6..]);
            (None, ten, separator, start + 11)
        }
        (8, Some(b'-')) if digit_run(text, start + 9) == 4 => {
            let mut ten = [0u8; 10];
            values(&text[start + 2..start + 8], &mut ten[..6]);
            values(&text[start + 9..start + 13], &mut ten[6..]);
            (
                Some(number(&text[start..start + 2])),
                ten,
                Separator::Minus,
                start + 13,
            )
        }
        (10, _) => {
            let mut ten = [0u8; 10];
            values(&text[start..start + 10], &mut ten);
            (None, ten, Separator::None, start + 10)
        }
        (12, _) => {
            let mut ten = [0u8; 10];
            values(&text[start + 2..start + 12], &mut ten);
            (
                Some(number(&text[start..start + 2])),
                ten,
                Separator::None,
                start + 12,
            )
        }
        _ => return None,
    };
    if !ends_clear(text, end) {
        return None;
    }
    let normal = normal_form(century, &ten, separator, reference)?;
    let written_separator = separator != Separator::None || end - start == 13;
    let confidence = if mentions(text, start, CONTEXT_WORDS) {
        Confidence::High
    } else if names_another_number(text, start) {
        if !written_separator {
            return None;
        }
        Confidence::Low
    } else if written_separator {
        Confidence::High
    } else {
        Confidence::Medium
    };
    let kind = if ten[4] >= 6 {
        Kind::Samordningsnummer
    } else {
        Kind::Personnummer
    };
    Some(Finding::new(kind, start..end, confidence, normal))
}

/// The 12-digit normal form, if the date, century and check digit hold.
fn normal_form(
    century: Option<i16>,
    ten: &[u8; 10],
    separator: Separator,
    reference: Date,
) -> Option<String> {
    let yy = i16::from(ten[0] * 10 + ten[1]);
    let month = ten[2] * 10 + ten[3];
    let written_day = ten[4] * 10 + ten[5];
    let day = if written_day > 60 {
        written_day - 60
    } else {
        written_day
    };
    let year = match century {
        Some(century) => century * 100 + yy,
        None => infer_year(yy, month, day, separator, reference),
    };
    let birth = Date::new(year, i8::try_from(month).ok()?, i8::try_from(day).ok()?).ok()?;
    if birth > reference || year < reference.year() - MAX_AGE_YEARS {
        return None;
    }
    if !luhn(ten) {
        return None;
    }
    let mut normal = String::with_capacity(12);
    normal.push_str(&format!("{year:04}"));
    normal.extend(ten[2..].iter().map(|&d| char::from(b'0' + d)));
    Some(normal)
}

/// The year of birth of a 10-digit number (see the module documentation).
fn infer_year(yy: i16, month: u8, day: u8, separator: Separator, reference: Date) -> i16 {
    let this_year = reference.year();
    // The latest year ending in `yy` that is not after `ceiling`.
    let latest = |ceiling: i16| ceiling - (ceiling - yy).rem_euclid(100);
    match separator {
        Separator::Minus => latest(this_year),
        Separator::Plus => latest(this_year - 100),
        Separator::None => {
            let year = latest(this_year);
            let later = (month as i8, day as i8) > (reference.month(), reference.day());
            if year == this_year && later {
                year - 100
            } else {
                year
            }
        }
    }
}

/// How many ASCII digits start at `from`.
pub(crate) fn digit_run(text: &[u8], from: usize) -> usize {
    text.get(from..).map_or(0, |rest| {
        rest.iter().take_while(|b| b.is_ascii_digit()).count()
    })
}

/// ASCII digits as values 0-9.
fn values(digits: &[u8], into: &mut [u8]) {
    for (value, digit) in into.iter_mut().zip(digits) {
        *value = digit - b'0';
    }
}

/// Two ASCII digits as a number.
fn number(digits: &[u8]) -> i16 {
    digits.iter().fold(0, |n, &d| n * 10 + i16::from(d - b'0'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    const TODAY: Date = date(2025, 6, 1);

    fn find(text: &str) -> Option<(Kind, String, Confidence)> {
        let start = text.find(|c: char| c.is_ascii_digit())?;
        at(text.as_bytes(), start, TODAY)
            .map(|f| (f.kind, f.normal.as_str().to_owned(), f.confidence))
    }

    fn normal(text: &str) -> Option<String> {
        find(text).map(|(_, normal, _)| normal)
    }

    #[test]
    fn every_spelling_has_one_normal_form() {
        for raw in ["121212+1212", "191212121212", "19121212-1212"] {
            assert_eq!(normal(raw).as_deref(), Some("191212121212"), "{raw}");
        }
        for raw in ["121212-1212", "1212121212", "201212121212", "20121212-1212"] {
            assert_eq!(normal(raw).as_deref(), Some("201212121212"), "{raw}");
        }
    }

    #[test]
    fn the_calendar_is_real() {
        // 2000 was a leap year, 1900 was not.
        let leap = format!("000229-{}", serial_for("000229", "123"));
        assert_eq!(
            normal(&leap).unwrap(),
            format!("20000229123{}", &leap[10..])
        );
        let plus = leap.replace('-', "+");
        assert_eq!(normal(&plus), None, "1900-02-29 does not exist");
        let april = format!("850431-{}", serial_for("850431", "123"));
        assert_eq!(normal(&april), None);
        let thirteenth = format!("851301-{}", serial_for("851301", "123"));
        assert_eq!(normal(&thirteenth), None);
    }

    #[test]
    fn minus_and_plus_decide_the_century_by_the_year_of_the_100th_birthday() {
        // In 2025, someone born in 1925 turns 100: `+` from 1 January, whatever the birthday.
        let number = format!("251212{}", serial_for("251212", "123"));
        let minus = format!("{}-{}", &number[..6], &number[6..]);
        let plus = format!("{}+{}", &number[..6], &number[6..]);
        assert_eq!(
            normal(&minus),
            None,
            "2025-12-12 is after the reference date"
        );
        assert_eq!(normal(&plus).unwrap(), format!("19{number}"));
        assert_eq!(normal(&number).unwrap(), format!("19{number}"));
        let born = format!("250101{}", serial_for("250101", "123"));
        assert_eq!(normal(&born).unwrap(), format!("20{born}"));
    }

    #[test]
    fn samordningsnummer_add_60_to_the_day() {
        let number = format!("701272-{}", serial_for("701272", "123"));
        let (kind, normal, confidence) = find(&number).unwrap();
        assert_eq!(kind, Kind::Samordningsnummer);
        assert_eq!(normal, format!("19701272123{}", &number[10..]));
        assert_eq!(confidence, Confidence::High);
        assert_eq!(
            find(&format!("701292-{}", serial_for("701292", "123"))),
            None
        );
    }

    #[test]
    fn checks_and_boundaries_refuse_near_misses() {
        for raw in [
            "121212-1213",
            "121212 1212",
            "12121212121",
            "x121212-1212",
            "121212-12125",
            "121212-1212-3",
            "1-121212-1212",
            "19121212+1212",
            "20301212-1212",
            "18741212-1212",
        ] {
            assert_eq!(find(raw), None, "{raw}");
        }
    }

    #[test]
    fn confidence_follows_separator_and_context() {
        assert_eq!(find("8112189876").unwrap().2, Confidence::Medium);
        assert_eq!(find("pnr 8112189876").unwrap().2, Confidence::High);
        assert_eq!(find("811218-9876").unwrap().2, Confidence::High);
        assert_eq!(find("Faktura 8112189876"), None);
        assert_eq!(find("Faktura 811218-9876").unwrap().2, Confidence::Low);
    }

    fn serial_for(date: &str, serial: &str) -> String {
        let digits: Vec<u8> = format!("{date}{serial}")
            .bytes()
            .map(|b| b - b'0')
            .collect();
        format!("{serial}{}", crate::checksum::luhn_digit(&digits))
    }
}
