//! Swedish personnummer and samordningsnummer, normalised to 12 digits `YYYYMMDDNNNC`.
//!
//! A personnummer is the date of birth, a three-digit serial number and a Luhn check digit
//! computed over the last ten digits. A samordningsnummer (coordination number, for people not
//! registered in Sweden) has the same shape with 60 added to the day.
//!
//! The 10-digit form leaves the century out. Skatteverket writes it with `-` until the year the
//! person turns 100 and with `+` from then on, so with today's year `Y`:
//!
//! - `YYMMDD-NNNC`: born in one of the years `Y - 99 ..= Y` (a date after today is refused);
//! - `YYMMDD+NNNC`: born in year `Y - 100` or before, the latest such year;
//! - `YYMMDDNNNC` (no separator): the latest date of birth that is not after today.
//!
//! Dates of birth after today, or more than 150 years before it, are refused.

use jiff::civil::Date;
use skydd_register::country::luhn_valid;

use crate::identity::IdentityProblem;

/// Dates of birth more than this many years before today are refused as typos.
const MAX_AGE_YEARS: i32 = 150;

/// How a 10-digit number was separated.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Separator {
    Minus,
    Plus,
    None,
}

/// The 12-digit form of a trimmed, non-empty number without control characters.
pub(crate) fn normalise(trimmed: &str, today: Date) -> Result<String, IdentityProblem> {
    let (century, digits, separator) = split(trimmed.as_bytes())?;
    let mm = two_digits(&digits[2..4]);
    let written_day = two_digits(&digits[4..6]);
    let day = if written_day > 60 {
        written_day - 60
    } else {
        written_day
    };
    let year = match century {
        Some(century) => century * 100 + two_digits(&digits[0..2]),
        None => infer_year(two_digits(&digits[0..2]), mm, day, separator, today),
    };
    let birth = i8::try_from(mm)
        .ok()
        .zip(i8::try_from(day).ok())
        .and_then(|(m, d)| Date::new(year, m, d).ok())
        .ok_or(IdentityProblem::PersonnummerDate)?;
    if birth > today {
        return Err(IdentityProblem::PersonnummerFuture);
    }
    if i32::from(birth.year()) < i32::from(today.year()) - MAX_AGE_YEARS {
        return Err(IdentityProblem::PersonnummerTooOld);
    }
    if !luhn_valid(&digits) {
        return Err(IdentityProblem::PersonnummerChecksum);
    }
    let mut normal = format!("{year:04}");
    normal.extend(digits[2..].iter().map(|&d| char::from(b'0' + d)));
    Ok(normal)
}

/// Whether a normalised (12-digit) number is a samordningsnummer: its day is above 60.
pub(crate) fn is_samordningsnummer(normal: &str) -> bool {
    normal
        .get(6..8)
        .and_then(|day| day.parse::<u8>().ok())
        .is_some_and(|day| day > 60)
}

/// The century (for 12 digits), the last ten digits as values 0-9, and the separator.
fn split(text: &[u8]) -> Result<(Option<i16>, [u8; 10], Separator), IdentityProblem> {
    let shape = IdentityProblem::PersonnummerShape;
    let (century, short, separator): (Option<&[u8]>, Vec<u8>, Separator) = match text.len() {
        10 => (None, text.to_vec(), Separator::None),
        11 => {
            let separator = match text[6] {
                b'-' => Separator::Minus,
                b'+' => Separator::Plus,
                _ => return Err(shape),
            };
            (None, [&text[..6], &text[7..]].concat(), separator)
        }
        12 => (Some(&text[..2]), text[2..].to_vec(), Separator::None),
        13 if text[8] == b'-' => (
            Some(&text[..2]),
            [&text[2..8], &text[9..]].concat(),
            Separator::Minus,
        ),
        _ => return Err(shape),
    };
    let all_digits = |bytes: &[u8]| bytes.iter().all(u8::is_ascii_digit);
    if !all_digits(&short) || !century.is_none_or(all_digits) {
        return Err(shape);
    }
    let mut digits = [0u8; 10];
    for (digit, byte) in digits.iter_mut().zip(&short) {
        *digit = byte - b'0';
    }
    let century = century.map(|c| i16::from(c[0] - b'0') * 10 + i16::from(c[1] - b'0'));
    Ok((century, digits, separator))
}

/// Two digit values as a number.
fn two_digits(digits: &[u8]) -> i16 {
    digits.iter().fold(0, |n, &d| n * 10 + i16::from(d))
}

/// The year of birth of a 10-digit number (see the module documentation).
fn infer_year(yy: i16, month: i16, day: i16, separator: Separator, today: Date) -> i16 {
    let this_year = today.year();
    // The latest year ending in `yy` that is not after `ceiling`.
    let latest = |ceiling: i16| ceiling - (ceiling - yy).rem_euclid(100);
    match separator {
        Separator::Minus => latest(this_year),
        Separator::Plus => latest(this_year - 100),
        Separator::None => {
            let year = latest(this_year);
            let later_this_year = (month, day) > (i16::from(today.month()), i16::from(today.day()));
            if year == this_year && later_this_year {
                year - 100
            } else {
                year
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    const TODAY: Date = date(2025, 6, 1);

    #[test]
    fn accepts_every_documented_spelling() {
        // Skatteverket's well-known test number 19121212-1212 was 112 years old in 2025.
        for raw in ["121212+1212", "191212121212", "19121212-1212"] {
            assert_eq!(normalise(raw, TODAY).unwrap(), "191212121212", "{raw}");
        }
        for raw in ["121212-1212", "1212121212", "201212121212", "20121212-1212"] {
            assert_eq!(normalise(raw, TODAY).unwrap(), "201212121212", "{raw}");
        }
    }

    #[test]
    fn samordningsnummer_add_60_to_the_day() {
        // 1970-12-12 as a samordningsnummer: day 72.
        let digits = [7, 0, 1, 2, 7, 2, 1, 2, 3];
        let check = (0..10)
            .find(|&c| luhn_valid(&[&digits[..], &[c]].concat()))
            .unwrap();
        let raw = format!("701272-123{check}");
        let normal = normalise(&raw, TODAY).unwrap();
        assert_eq!(normal, format!("19701272123{check}"));
        assert!(is_samordningsnummer(&normal));
        assert!(!is_samordningsnummer("191212121212"));
        assert_eq!(
            normalise("701292-1234", TODAY),
            Err(IdentityProblem::PersonnummerDate)
        );
    }

    #[test]
    fn refuses_bad_shapes_dates_and_check_digits() {
        for (raw, problem) in [
            ("12121212", IdentityProblem::PersonnummerShape),
            ("121212 1212", IdentityProblem::PersonnummerShape),
            ("121212*1212", IdentityProblem::PersonnummerShape),
            ("1912121-21212", IdentityProblem::PersonnummerShape),
            ("19121212+1212", IdentityProblem::PersonnummerShape),
            ("12121a-1212", IdentityProblem::PersonnummerShape),
            ("١٢١٢١٢-١٢١٢", IdentityProblem::PersonnummerShape),
            ("121212-1213", IdentityProblem::PersonnummerChecksum),
            ("121312-1212", IdentityProblem::PersonnummerDate),
            ("120012-1212", IdentityProblem::PersonnummerDate),
            ("121200-1212", IdentityProblem::PersonnummerDate),
            ("121232-1212", IdentityProblem::PersonnummerDate),
            ("20301212-1212", IdentityProblem::PersonnummerFuture),
            ("00001212-1212", IdentityProblem::PersonnummerTooOld),
            ("18741212-1212", IdentityProblem::PersonnummerTooOld),
        ] {
            assert_eq!(normalise(raw, TODAY), Err(problem), "{raw}");
        }
    }
}
