//! The deadline of a request (Art. 12(3) GDPR) and its extension, counted as Regulation (EEC,
//! Euratom) No 1182/71 counts a period expressed in months.
//!
//! A request received on day D of a month is due on day D of the month `months` later; when that
//! month has no day D, on its last day (Art. 3(2)(c)). When that day is a Saturday, Sunday or
//! public holiday of the controller's country, the period ends with the next working day
//! (Art. 3(4)). The day of receipt is the controller's local date (Europe/Stockholm for a
//! Swedish controller), and the period ends at the end of the due day in that zone.

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Span, Timestamp};
use serde::Serialize;
use skydd_register::Register;
use skydd_register::period::{Period, PeriodUnit};

use crate::holiday::HolidayCalendar;

/// The most months a deadline may be extended by, in total (Art. 12(3)).
pub const MAX_EXTENSION_MONTHS: u32 = 2;

/// When a request must be answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Deadline {
    /// The end of the period before rolling forward: the same date `months` later, or the last
    /// day of that month.
    pub unrolled: Date,
    /// The first working day on or after `unrolled`: the last day to answer.
    pub due: Date,
    /// The last second of `due` in the controller's zone (23:59:59 local time), in UTC. A request
    /// is overdue when `now` is after it.
    pub due_at: Timestamp,
}

impl Deadline {
    /// Whether the deadline has passed at `now`.
    pub fn is_overdue(&self, now: Timestamp) -> bool {
        now > self.due_at
    }
}

/// The deadline of a request received at `received_at`, `months` calendar months later (1 for
/// the normal period, up to 3 with extensions), in `zone`, rolled to a working day of
/// `calendar`.
///
/// Dates beyond the end of jiff's range (the year 9999) are clamped to that end.
pub fn deadline(
    received_at: Timestamp,
    months: u32,
    zone: &TimeZone,
    calendar: &HolidayCalendar,
) -> Deadline {
    let received = received_at.to_zoned(zone.clone()).date();
    let unrolled = add_months(received, months);
    let due = calendar.next_working_day_on_or_after(unrolled);
    Deadline {
        unrolled,
        due,
        due_at: end_of_day(due, zone),
    }
}

/// The deadline the controller's register sets: the one month of Art. 12(3), or the
/// controller's own `rights.response_time` when that ends on an earlier working day.
///
/// Which rule applies:
/// - The legal deadline is [`deadline`] with one month: the same date next month (or that
///   month's last day), rolled to the next working day of `calendar`.
/// - The promised deadline is [`promised_deadline`] of `register.rights.response_time`: a
///   controller that promises "30 days" is held to 30 days.
/// - The earlier of the two is the deadline, compared by their `due` days; on a tie the
///   promise, so that `unrolled` is the end of the period the controller told the subject. A
///   promise longer than some months ("30 days" from 1 February) therefore never makes a
///   deadline later than the law's month, and a promise of "1 month" is exactly the law's.
///
/// Use the calendar of [`HolidayCalendar::for_register`] and the controller's zone
/// ([`skydd_register::zone::stockholm`] for a Swedish controller). Extensions
/// ([`extend`]) still count in months from receipt, as Art. 12(3) does.
///
/// ```
/// use jiff::civil::date;
/// use skydd_register::period::{Period, PeriodUnit};
/// use skydd_register::zone::stockholm;
/// use skydd_requests::{HolidayCalendar, deadline, promised_deadline};
///
/// let zone = stockholm();
/// let calendar = HolidayCalendar::sweden();
/// let received = date(2026, 3, 1).at(9, 0, 0, 0).to_zoned(zone.clone()).unwrap().timestamp();
/// // 30 days end on Tuesday 31 March, before the month (Wednesday 1 April).
/// let thirty_days = promised_deadline(Period::new(30, PeriodUnit::Day), received, &zone, &calendar);
/// assert_eq!(thirty_days.due, date(2026, 3, 31));
/// assert_eq!(deadline(received, 1, &zone, &calendar).due, date(2026, 4, 1));
/// ```
pub fn response_deadline(
    register: &Register,
    received_at: Timestamp,
    zone: &TimeZone,
    calendar: &HolidayCalendar,
) -> Deadline {
    let legal = deadline(received_at, 1, zone, calendar);
    let promised = promised_deadline(register.rights.response_time, received_at, zone, calendar);
    if promised.due <= legal.due {
        promised
    } else {
        legal
    }
}

/// The end of `period` (a controller's promised response time) counted from `received_at`, as
/// Regulation (EEC, Euratom) No 1182/71 counts periods, without the one-month cap of
/// [`response_deadline`].
///
/// - The day of receipt (in `zone`) is not counted (Art. 3(1)): "30 days" from 1 March end at
///   the end of 31 March. Saturdays, Sundays and holidays inside the period count (Art. 3(3)).
/// - Months and years end on the same date (or the month's last day), like [`deadline`].
/// - Hours and minutes count as the whole days they make up (72 hours = 3 days, 12 hours = the
///   day of receipt): the deadline is a day, not a time.
/// - A period ending on a Saturday, Sunday or holiday of `calendar` ends on the next working
///   day (Art. 3(4)), and a period of two days or more includes at least two working days
///   (Art. 3(5)): "2 days" from 23 December 2026 end on 29 December, not 28.
///
/// Dates beyond the year 9999 are clamped to its end.
pub fn promised_deadline(
    period: Period,
    received_at: Timestamp,
    zone: &TimeZone,
    calendar: &HolidayCalendar,
) -> Deadline {
    let received = received_at.to_zoned(zone.clone()).date();
    let unrolled = period.after(received).unwrap_or(Date::MAX);
    let mut due = calendar.next_working_day_on_or_after(unrolled);
    let counts_in_days = !matches!(period.unit, PeriodUnit::Month | PeriodUnit::Year);
    if counts_in_days && unrolled.since(received).map_or(0, |s| s.get_days()) >= 2 {
        // Art. 3(5): at least two working days after the day of receipt.
        while working_days_between(received, due, calendar) < 2 {
            let Ok(next) = due.tomorrow() else { break };
            due = calendar.next_working_day_on_or_after(next);
        }
    }
    Deadline {
        unrolled,
        due,
        due_at: end_of_day(due, zone),
    }
}

/// Working days after `from`, up to and including `to`.
fn working_days_between(from: Date, to: Date, calendar: &HolidayCalendar) -> usize {
    let mut count = 0;
    let mut day = from;
    while day < to {
        let Ok(next) = day.tomorrow() else { break };
        day = next;
        if calendar.is_working_day(day) {
            count += 1;
        }
    }
    count
}

/// `months` calendar months after `date`: the same day, or the last day of a shorter month.
fn add_months(date: Date, months: u32) -> Date {
    // jiff clamps the day to the end of a shorter month, as Art. 3(2)(c) of 1182/71 does.
    Span::new()
        .try_months(i64::from(months))
        .ok()
        .and_then(|span| date.checked_add(span).ok())
        .unwrap_or(Date::MAX)
}

/// 23:59:59 local time on `day` in `zone`, as a timestamp.
fn end_of_day(day: Date, zone: &TimeZone) -> Timestamp {
    day.at(23, 59, 59, 0)
        .to_zoned(zone.clone())
        .map(|z| z.timestamp())
        .unwrap_or(Timestamp::MAX)
}

/// Why a deadline could not be extended. Messages name the rule and the dates; they hold no
/// personal data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExtensionError {
    /// Extensions are counted in whole months, one or two.
    #[error("an extension is 1 or 2 months, not {months}")]
    InvalidMonths {
        /// What was asked for.
        months: u32,
    },
    /// More than two months in total (Art. 12(3)).
    #[error(
        "the deadline can be extended by at most {MAX_EXTENSION_MONTHS} months in total (Art. 12(3) GDPR); it is already extended by {already} and {months} more would make {}",
        already + months
    )]
    TooLong {
        /// Months already added.
        already: u32,
        /// Months asked for now.
        months: u32,
    },
    /// The subject must be told within one month of receipt (Art. 12(3)).
    #[error(
        "too late to extend: the subject must be told within one month of receipt (Art. 12(3) GDPR), which ended on {first_due}; it is now {today}"
    )]
    TooLate {
        /// The last day of the first month.
        first_due: Date,
        /// Today in the controller's zone.
        today: Date,
    },
}

/// The new deadline after extending by `months` more, when a request received at
/// `received_at` has already been extended by `months_extended_so_far`.
///
/// Allowed only while `now` is not later than the end of the first month's due day (the
/// subject must be told of the extension and its reasons within that month) and while the
/// extensions add up to at most two months. The extended period counts from receipt: received
/// 31 January and extended by two months, it ends on 30 April (rolled to a working day).
pub fn extend(
    received_at: Timestamp,
    months_extended_so_far: u32,
    months: u32,
    now: Timestamp,
    zone: &TimeZone,
    calendar: &HolidayCalendar,
) -> Result<Deadline, ExtensionError> {
    if !(1..=MAX_EXTENSION_MONTHS).contains(&months) {
        return Err(ExtensionError::InvalidMonths { months });
    }
    if months_extended_so_far.saturating_add(months) > MAX_EXTENSION_MONTHS {
        return Err(ExtensionError::TooLong {
            already: months_extended_so_far,
            months,
        });
    }
    let first = deadline(received_at, 1, zone, calendar);
    if first.is_overdue(now) {
        return Err(ExtensionError::TooLate {
            first_due: first.due,
            today: now.to_zoned(zone.clone()).date(),
        });
    }
    Ok(deadline(
        received_at,
        1 + months_extended_so_far + months,
        zone,
        calendar,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn add_months_clamps_and_saturates() {
        use jiff::civil::date;
        assert_eq!(add_months(date(2026, 1, 31), 1), date(2026, 2, 28));
        assert_eq!(add_months(date(2028, 1, 31), 1), date(2028, 2, 29));
        assert_eq!(add_months(date(9999, 12, 1), 1), Date::MAX);
    }
}
