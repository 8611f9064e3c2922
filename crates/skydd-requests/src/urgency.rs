//! How pressing an open request is at a moment: overdue, due this week, or later. The queue and
//! the dashboard mark requests by it, so "overdue" and "this week" mean the same everywhere.
//!
//! "This week" is the calendar week of `now` in the controller's zone, Monday to Sunday as
//! Sweden counts weeks (ISO 8601): a request is due this week when its due day (the date of
//! `due_at` in that zone) is on or before that Sunday. A request is overdue when `now` is after
//! `due_at` (the last second of the due day), as [`Deadline::is_overdue`](crate::Deadline)
//! says. No clock is read: `now` is a parameter.

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::Serialize;

/// Where an open request stands against its deadline at a moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Urgency {
    /// The due day has ended: the deadline is missed.
    Overdue,
    /// Due on or before the Sunday of the current week (the due day has not ended yet).
    DueThisWeek,
    /// Due after this week.
    Later,
}

impl Urgency {
    /// How pressing a request due at `due_at` is at `now`, weeks counted in `zone`.
    pub fn at(due_at: Timestamp, now: Timestamp, zone: &TimeZone) -> Urgency {
        if now > due_at {
            return Urgency::Overdue;
        }
        let due_day = due_at.to_zoned(zone.clone()).date();
        if due_day <= week_end(now.to_zoned(zone.clone()).date()) {
            Urgency::DueThisWeek
        } else {
            Urgency::Later
        }
    }

    /// The stable word (`overdue`, `due_this_week`, `later`): CSS classes and test names.
    pub const fn as_str(self) -> &'static str {
        match self {
            Urgency::Overdue => "overdue",
            Urgency::DueThisWeek => "due_this_week",
            Urgency::Later => "later",
        }
    }
}

/// The Sunday ending the ISO week of `day`.
fn week_end(day: Date) -> Date {
    let days_to_sunday = 6 - i64::from(day.weekday().to_monday_zero_offset());
    // The last representable dates (year 9999) have no following Sunday: they end the week.
    day.checked_add(jiff::Span::new().days(days_to_sunday))
        .unwrap_or(Date::MAX)
        .max(day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use proptest::prelude::*;
    use skydd_register::zone::stockholm;

    fn at(y: i16, m: i8, d: i8, h: i8, min: i8) -> Timestamp {
        date(y, m, d)
            .at(h, min, 0, 0)
            .to_zoned(stockholm())
            .unwrap()
            .timestamp()
    }

    fn end_of(y: i16, m: i8, d: i8) -> Timestamp {
        date(y, m, d)
            .at(23, 59, 59, 0)
            .to_zoned(stockholm())
            .unwrap()
            .timestamp()
    }

    #[test]
    fn overdue_starts_the_second_after_the_due_day_ends() {
        let due = end_of(2026, 3, 31);
        assert_eq!(Urgency::at(due, due, &stockholm()), Urgency::DueThisWeek);
        let after = due.checked_add(jiff::SignedDuration::from_secs(1)).unwrap();
        assert_eq!(Urgency::at(due, after, &stockholm()), Urgency::Overdue);
    }

    #[test]
    fn this_week_ends_on_sunday_in_stockholm_across_a_month_end() {
        // Monday 27 April 2026; that week ends Sunday 3 May.
        let now = at(2026, 4, 27, 9, 0);
        let z = stockholm();
        assert_eq!(
            Urgency::at(end_of(2026, 4, 30), now, &z),
            Urgency::DueThisWeek
        );
        assert_eq!(
            Urgency::at(end_of(2026, 5, 3), now, &z),
            Urgency::DueThisWeek
        );
        assert_eq!(Urgency::at(end_of(2026, 5, 4), now, &z), Urgency::Later);
    }

    #[test]
    fn the_week_is_stockholms_on_a_daylight_saving_sunday() {
        // Sunday 29 March 2026, clocks go forward at 02:00; 23:30 local is 21:30 UTC, still
        // Sunday in Stockholm: a request due Monday 30 March is next week's.
        let now = at(2026, 3, 29, 23, 30);
        let z = stockholm();
        assert_eq!(Urgency::at(end_of(2026, 3, 30), now, &z), Urgency::Later);
        assert_eq!(
            Urgency::at(end_of(2026, 3, 29), now, &z),
            Urgency::DueThisWeek
        );
        // Sunday 25 October 2026, clocks go back at 03:00: 23:30 local is 22:30 UTC.
        let now = at(2026, 10, 25, 23, 30);
        assert_eq!(Urgency::at(end_of(2026, 10, 26), now, &z), Urgency::Later);
        // Monday 00:30 in Stockholm is still Sunday in UTC: the new week has begun.
        let now = at(2026, 10, 26, 0, 30);
        assert_eq!(
            Urgency::at(end_of(2026, 11, 1), now, &z),
            Urgency::DueThisWeek
        );
    }

    proptest! {
        #[test]
        fn urgency_never_decreases_as_time_passes(
            due in 1_600_000_000i64..1_900_000_000,
            a in 1_600_000_000i64..1_900_000_000,
            b in 1_600_000_000i64..1_900_000_000,
        ) {
            let z = stockholm();
            let due = Timestamp::from_second(due).unwrap();
            let (early, late) = (a.min(b), a.max(b));
            let early = Urgency::at(due, Timestamp::from_second(early).unwrap(), &z);
            let late = Urgency::at(due, Timestamp::from_second(late).unwrap(), &z);
            // Overdue < DueThisWeek < Later: later moments are at least as pressing.
            prop_assert!(late <= early);
        }
    }
}
