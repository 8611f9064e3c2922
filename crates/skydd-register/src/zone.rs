//! The one time zone Skydd shows dates in and counts days in: Europe/Stockholm.
//!
//! Storage keeps UTC instants; whenever a person sees a date (a notice's history, a letter, a
//! request's due day) or a period is counted in days (Art. 12(3) deadlines), the instant is
//! first placed in Swedish time by [`stockholm`]. Every crate of the workspace takes the zone
//! from here, so there is exactly one definition of Swedish time.
//!
//! The zone is built from the POSIX rule of Swedish time since 1996 (the EU's summer time: last
//! Sunday of March to the last Sunday of October, switching at 01:00 UTC), so no time zone
//! database is needed at run time and the answer cannot depend on the machine Skydd runs on.

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;

/// The POSIX TZ rule of Swedish time: CET (UTC+1) in winter, CEST (UTC+2) in summer.
const STOCKHOLM_POSIX_TZ: &str = "CET-1CEST,M3.5.0,M10.5.0/3";

/// Europe/Stockholm, exact for every instant since 1996.
pub fn stockholm() -> TimeZone {
    // The rule is a constant that parses (the unit test below proves it); UTC is never taken.
    TimeZone::posix(STOCKHOLM_POSIX_TZ).unwrap_or(TimeZone::UTC)
}

/// The calendar date in Stockholm at `at` (an instant just after midnight UTC on 1 January is
/// already 1 January in Stockholm; one at 23:30 UTC on 31 December is 1 January too).
pub fn stockholm_date(at: Timestamp) -> Date {
    at.to_zoned(stockholm()).date()
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn the_rule_parses_and_switches_on_the_last_sundays_at_one_utc() {
        assert!(TimeZone::posix(STOCKHOLM_POSIX_TZ).is_ok());
        let zone = stockholm();
        let offset = |at: &str| zone.to_offset(at.parse().unwrap()).seconds();
        assert_eq!(offset("2026-03-29T00:59:59Z"), 3600);
        assert_eq!(offset("2026-03-29T01:00:00Z"), 7200);
        assert_eq!(offset("2026-10-25T00:59:59Z"), 7200);
        assert_eq!(offset("2026-10-25T01:00:00Z"), 3600);
        // 2028 is a leap year; its last Sunday of March is the 26th.
        assert_eq!(offset("2028-03-26T00:59:59Z"), 3600);
        assert_eq!(offset("2028-03-26T01:00:00Z"), 7200);
    }

    #[test]
    fn dates_are_stockholm_dates() {
        let on = |at: &str| stockholm_date(at.parse().unwrap());
        assert_eq!(on("2025-12-31T23:30:00Z"), date(2026, 1, 1));
        assert_eq!(on("2026-06-30T22:00:00Z"), date(2026, 7, 1));
        assert_eq!(on("2026-06-30T21:59:59Z"), date(2026, 6, 30));
        assert_eq!(on("2028-02-28T23:00:00Z"), date(2028, 2, 29));
        assert_eq!(on("2026-11-30T22:59:59Z"), date(2026, 11, 30));
    }
}
