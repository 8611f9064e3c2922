//! Periods of time as a register writes them ("24 months", "180 days", "P7Y") and calendar
//! arithmetic on them.

use std::fmt;
use std::str::FromStr;

use jiff::civil::Date;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The unit of a [`Period`]: the word after the number (`days`, `months`) or the ISO 8601
/// designator (`P180D`, `P24M`; `PT30M` is minutes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PeriodUnit {
    /// Minutes.
    Minute,
    /// Hours.
    Hour,
    /// Calendar days.
    Day,
    /// Weeks of seven days.
    Week,
    /// Calendar months: the same day of a later month, or that month's last day.
    Month,
    /// Calendar years.
    Year,
}

impl PeriodUnit {
    fn singular(self) -> &'static str {
        match self {
            PeriodUnit::Minute => "minute",
            PeriodUnit::Hour => "hour",
            PeriodUnit::Day => "day",
            PeriodUnit::Week => "week",
            PeriodUnit::Month => "month",
            PeriodUnit::Year => "year",
        }
    }
}

/// A length of time in one unit, kept as written so that "24 months" stays 24 months (not 730
/// days) and can be put in plain words in the notice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Period {
    /// How many units.
    pub amount: u32,
    /// Which unit.
    pub unit: PeriodUnit,
}

/// Largest amount accepted, whatever the unit (keeps date arithmetic in range).
const MAX_AMOUNT: u32 = 100_000;

/// Why a period did not parse. The message says how to write it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct PeriodError {
    /// What is wrong and how to write it instead.
    pub message: String,
}

impl Period {
    /// A period of `amount` units.
    pub const fn new(amount: u32, unit: PeriodUnit) -> Period {
        Period { amount, unit }
    }

    /// The date `self` after `date`, in calendar terms: 1 month after 31 January is the last day
    /// of February. Minutes and hours count as whole days only once they add up to one. `None`
    /// when the result is outside the supported range of dates.
    pub fn after(self, date: Date) -> Option<Date> {
        let n = i64::from(self.amount);
        let span = match self.unit {
            PeriodUnit::Minute => jiff::Span::new().try_days(n / (24 * 60)).ok()?,
            PeriodUnit::Hour => jiff::Span::new().try_days(n / 24).ok()?,
            PeriodUnit::Day => jiff::Span::new().try_days(n).ok()?,
            PeriodUnit::Week => jiff::Span::new().try_weeks(n).ok()?,
            PeriodUnit::Month => jiff::Span::new().try_months(n).ok()?,
            PeriodUnit::Year => jiff::Span::new().try_years(n).ok()?,
        };
        date.checked_add(span).ok()
    }

    /// The most days this period can span, from any start date.
    pub fn max_days(self) -> u64 {
        let n = u64::from(self.amount);
        match self.unit {
            PeriodUnit::Minute => n.div_ceil(24 * 60),
            PeriodUnit::Hour => n.div_ceil(24),
            PeriodUnit::Day => n,
            PeriodUnit::Week => n * 7,
            PeriodUnit::Month => n * 31,
            PeriodUnit::Year => n * 366,
        }
    }

    /// Whether the period can never be longer than `months` calendar months, from any start date.
    pub fn fits_within_months(self, months: u32) -> bool {
        match self.unit {
            PeriodUnit::Month => self.amount <= months,
            PeriodUnit::Year => self.amount.saturating_mul(12) <= months,
            // The shortest run of `months` months starts in February of a common year.
            _ => self.max_days() <= shortest_months_in_days(months),
        }
    }
}

fn shortest_months_in_days(months: u32) -> u64 {
    // Shortest run of consecutive month lengths starting in February of a common year.
    const LENGTHS: [u64; 12] = [28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31, 31];
    let full_years = u64::from(months / 12);
    let rest = (months % 12) as usize;
    full_years * 365 + LENGTHS[..rest].iter().sum::<u64>()
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let unit = self.unit.singular();
        if self.amount == 1 {
            write!(f, "1 {unit}")
        } else {
            write!(f, "{} {unit}s", self.amount)
        }
    }
}

impl Serialize for Period {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Period {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl FromStr for Period {
    type Err = PeriodError;

    fn from_str(input: &str) -> Result<Period, PeriodError> {
        let text = input.trim();
        if let Some(iso) = text.strip_prefix('P') {
            return parse_iso(iso, text);
        }
        let mut words = text.split_whitespace();
        let (Some(number), Some(unit), None) = (words.next(), words.next(), words.next()) else {
            return Err(not_a_period(text));
        };
        let amount = parse_amount(number, text)?;
        let unit = match unit.to_ascii_lowercase().as_str() {
            "minute" | "minutes" => PeriodUnit::Minute,
            "hour" | "hours" => PeriodUnit::Hour,
            "day" | "days" => PeriodUnit::Day,
            "week" | "weeks" => PeriodUnit::Week,
            "month" | "months" => PeriodUnit::Month,
            "year" | "years" => PeriodUnit::Year,
            other => {
                return Err(PeriodError {
                    message: format!(
                        "`{other}` is not a unit of time; use minutes, hours, days, weeks, months or years"
                    ),
                });
            }
        };
        Ok(Period { amount, unit })
    }
}

fn parse_amount(number: &str, whole: &str) -> Result<u32, PeriodError> {
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
        return Err(not_a_period(whole));
    }
    match number.parse::<u32>() {
        Ok(n) if n <= MAX_AMOUNT => Ok(n),
        _ => Err(PeriodError {
            message: format!("`{whole}` is longer than Skydd accepts ({MAX_AMOUNT} units)"),
        }),
    }
}

fn parse_iso(rest: &str, whole: &str) -> Result<Period, PeriodError> {
    let (time, body) = match rest.strip_prefix('T') {
        Some(body) => (true, body),
        None => (false, rest),
    };
    let Some(designator) = body.chars().last() else {
        return Err(not_a_period(whole));
    };
    let number = &body[..body.len() - designator.len_utf8()];
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
        return Err(PeriodError {
            message: format!(
                "`{whole}` is not a single-unit ISO 8601 duration; write one unit, e.g. `P18M` or `18 months`"
            ),
        });
    }
    let unit = match (time, designator) {
        (false, 'Y') => PeriodUnit::Year,
        (false, 'M') => PeriodUnit::Month,
        (false, 'W') => PeriodUnit::Week,
        (false, 'D') => PeriodUnit::Day,
        (true, 'H') => PeriodUnit::Hour,
        (true, 'M') => PeriodUnit::Minute,
        _ => return Err(not_a_period(whole)),
    };
    Ok(Period {
        amount: parse_amount(number, whole)?,
        unit,
    })
}

fn not_a_period(text: &str) -> PeriodError {
    PeriodError {
        message: format!(
            "`{text}` is not a period of time; write a number and a unit, e.g. `24 months`, `180 days` or `P7Y`"
        ),
    }
}

/// Rounding of an expiry date up to the end of a calendar period ("until the end of the seventh
/// year after the calendar year in which the financial year ended").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CalendarRounding {
    /// The last day of the month.
    EndOfMonth,
    /// 31 December.
    EndOfYear,
}

impl CalendarRounding {
    /// `date` rounded up to the end of its month or year.
    pub fn apply(self, date: Date) -> Date {
        match self {
            CalendarRounding::EndOfMonth => date.last_of_month(),
            CalendarRounding::EndOfYear => date.last_of_year(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use proptest::prelude::*;

    #[test]
    fn words_and_iso() {
        assert_eq!("24 months".parse(), Ok(Period::new(24, PeriodUnit::Month)));
        assert_eq!("1 year".parse(), Ok(Period::new(1, PeriodUnit::Year)));
        assert_eq!("0 days".parse(), Ok(Period::new(0, PeriodUnit::Day)));
        assert_eq!("P180D".parse(), Ok(Period::new(180, PeriodUnit::Day)));
        assert_eq!("PT24H".parse(), Ok(Period::new(24, PeriodUnit::Hour)));
        assert_eq!("PT30M".parse(), Ok(Period::new(30, PeriodUnit::Minute)));
        assert_eq!("P24M".parse(), Ok(Period::new(24, PeriodUnit::Month)));
    }

    #[test]
    fn vague_words_are_refused_with_a_way_out() {
        let error = "reasonable".parse::<Period>().unwrap_err();
        assert!(error.message.contains("e.g. `24 months`"), "{error}");
        assert!(
            "24 fortnights"
                .parse::<Period>()
                .unwrap_err()
                .message
                .contains("not a unit")
        );
        assert!(
            "P1Y6M"
                .parse::<Period>()
                .unwrap_err()
                .message
                .contains("single-unit")
        );
        assert!("-3 days".parse::<Period>().is_err());
        assert!("99999999999 days".parse::<Period>().is_err());
    }

    #[test]
    fn months_clamp_to_month_end() {
        let month = Period::new(1, PeriodUnit::Month);
        assert_eq!(month.after(date(2026, 1, 31)), Some(date(2026, 2, 28)));
        assert_eq!(month.after(date(2028, 1, 31)), Some(date(2028, 2, 29)));
        assert_eq!(month.after(date(2026, 3, 31)), Some(date(2026, 4, 30)));
        let year = Period::new(1, PeriodUnit::Year);
        assert_eq!(year.after(date(2028, 2, 29)), Some(date(2029, 2, 28)));
    }

    #[test]
    fn bookkeeping_rule_rounds_to_year_end() {
        // Bokföringslagen 7 kap. 2 §: financial year ending 2024-06-30 -> kept to 2031-12-31.
        let seven = Period::new(7, PeriodUnit::Year);
        let end = seven
            .after(date(2024, 6, 30))
            .map(|d| CalendarRounding::EndOfYear.apply(d));
        assert_eq!(end, Some(date(2031, 12, 31)));
    }

    #[test]
    fn deadline_bounds() {
        assert!(Period::new(1, PeriodUnit::Month).fits_within_months(1));
        assert!(Period::new(28, PeriodUnit::Day).fits_within_months(1));
        assert!(!Period::new(30, PeriodUnit::Day).fits_within_months(1));
        assert!(Period::new(59, PeriodUnit::Day).fits_within_months(2));
        assert!(!Period::new(3, PeriodUnit::Month).fits_within_months(2));
    }

    proptest! {
        #[test]
        fn display_parses_back(amount in 0u32..=MAX_AMOUNT, unit in 0usize..6) {
            let units = [PeriodUnit::Minute, PeriodUnit::Hour, PeriodUnit::Day,
                         PeriodUnit::Week, PeriodUnit::Month, PeriodUnit::Year];
            let period = Period::new(amount, units[unit]);
            prop_assert_eq!(period.to_string().parse::<Period>(), Ok(period));
        }

        #[test]
        fn parsing_never_panics(input in "\\PC{0,40}") {
            let _ = input.parse::<Period>();
        }

        #[test]
        fn adding_never_goes_backwards(days in 0i32..2_800_000, amount in 0u32..200, unit in 2usize..6) {
            let units = [PeriodUnit::Minute, PeriodUnit::Hour, PeriodUnit::Day,
                         PeriodUnit::Week, PeriodUnit::Month, PeriodUnit::Year];
            let start = date(1900, 1, 1).checked_add(jiff::Span::new().days(days)).unwrap();
            if let Some(end) = Period::new(amount, units[unit]).after(start) {
                prop_assert!(end >= start);
            }
        }
    }
}
