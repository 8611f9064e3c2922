//! Deadlines (Art. 12(3) GDPR counted as Regulation 1182/71) and extensions.

use jiff::civil::{Date, Weekday, date};
use jiff::{SignedDuration, Span, Timestamp, ToSpan};
use proptest::prelude::*;
use skydd_register::zone;
use skydd_requests::{Deadline, ExtensionError, HolidayCalendar, deadline, extend};

use crate::stockholm;

fn due(received: Date) -> Deadline {
    deadline(
        stockholm(received, 10, 0),
        1,
        &zone::stockholm(),
        &HolidayCalendar::sweden(),
    )
}

#[test]
fn the_issue_examples_hold() {
    // (received, unrolled, due)
    let cases = [
        // The same date next month.
        (date(2026, 3, 31), date(2026, 4, 30), date(2026, 4, 30)),
        // No 31 February: the last day of February, in a leap year the 29th.
        (date(2028, 1, 31), date(2028, 2, 29), date(2028, 2, 29)),
        // 28 February 2026 is a Saturday, 1 March a Sunday.
        (date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 2)),
        // 14 May 2026 is Kristi himmelfärdsdag.
        (date(2026, 4, 14), date(2026, 5, 14), date(2026, 5, 15)),
        // 25 December 2026 is a Friday (juldagen), then a weekend (annandag jul on Saturday).
        (date(2026, 11, 25), date(2026, 12, 25), date(2026, 12, 28)),
        // P001-29: "We usually revert back within a month": received 15 January 2024.
        (date(2024, 1, 15), date(2024, 2, 15), date(2024, 2, 15)),
    ];
    for (received, unrolled, expected) in cases {
        let d = due(received);
        assert_eq!(d.unrolled, unrolled, "unrolled date for {received}");
        assert_eq!(d.due, expected, "due date for {received}");
    }
}

#[test]
fn more_swedish_holidays_roll_the_deadline() {
    let cases = [
        // Långfredagen 2026 (3 April), then påskafton, påskdagen, annandag påsk.
        (date(2026, 3, 3), date(2026, 4, 7)),
        // Midsommarafton 2026 is Friday 19 June (Lag 1930:173 counts it as a holiday).
        (date(2026, 5, 19), date(2026, 6, 22)),
        // Nationaldagen on a Monday (2022).
        (date(2022, 5, 6), date(2022, 6, 7)),
        // Julafton on a Thursday (2026): 24, 25, 26, 27 December, then Monday 28.
        (date(2026, 11, 24), date(2026, 12, 28)),
        // Nyårsafton 2026 (Thursday), nyårsdagen (Friday), weekend: Monday 4 January 2027.
        (date(2026, 11, 30), date(2026, 12, 30)),
        (date(2026, 12, 1), date(2027, 1, 4)),
        // Trettondedag jul 2027 is a Wednesday.
        (date(2026, 12, 6), date(2027, 1, 7)),
        // Första maj 2026 is a Friday.
        (date(2026, 4, 1), date(2026, 5, 4)),
        // Annandag pingst was a holiday until 2004 (31 May 2004).
        (date(2004, 4, 30), date(2004, 6, 1)),
    ];
    for (received, expected) in cases {
        assert_eq!(due(received).due, expected, "due date for {received}");
    }
    // 30 January 2027 is a Saturday.
    assert_eq!(due(date(2026, 12, 30)).due, date(2027, 2, 1));
    // Valborgsmässoafton (30 April) is an ordinary working day; trettondedag jul is not.
    assert_eq!(due(date(2026, 3, 30)).due, date(2026, 4, 30));
    assert_eq!(due(date(2025, 12, 6)).due, date(2026, 1, 7));
    // Julafton 2025 is a Wednesday: five days off in a row, due Monday 29 December.
    assert_eq!(due(date(2025, 11, 24)).due, date(2025, 12, 29));
}

#[test]
fn month_ends_and_leap_years() {
    // (received, unrolled, due)
    let cases = [
        // Every late January day ends on the last day of February.
        (date(2024, 1, 29), date(2024, 2, 29), date(2024, 2, 29)),
        (date(2024, 1, 30), date(2024, 2, 29), date(2024, 2, 29)),
        (date(2024, 1, 31), date(2024, 2, 29), date(2024, 2, 29)),
        // 2000 was a leap year (divisible by 400); 2100 is not (divisible by 100).
        (date(2000, 1, 31), date(2000, 2, 29), date(2000, 2, 29)),
        (date(2100, 1, 31), date(2100, 2, 28), date(2100, 3, 1)),
        // 28 February 2027 is a Sunday.
        (date(2027, 1, 28), date(2027, 2, 28), date(2027, 3, 1)),
        // The 29th of February is received; the 29th of March follows.
        (date(2028, 2, 29), date(2028, 3, 29), date(2028, 3, 29)),
        // 31 August to 30 September; 31 October to 30 November.
        (date(2026, 8, 31), date(2026, 9, 30), date(2026, 9, 30)),
        (date(2026, 10, 31), date(2026, 11, 30), date(2026, 11, 30)),
        // Over the year end.
        (date(2026, 12, 15), date(2027, 1, 15), date(2027, 1, 15)),
    ];
    for (received, unrolled, expected) in cases {
        let d = due(received);
        assert_eq!(
            (d.unrolled, d.due),
            (unrolled, expected),
            "received {received}"
        );
    }
}

#[test]
fn the_day_of_receipt_is_the_swedish_date() {
    let zone = zone::stockholm();
    let calendar = HolidayCalendar::sweden();
    // 22:30 UTC on 30 March is 00:30 on 31 March in Stockholm (summer time).
    let received: Timestamp = "2026-03-30T22:30:00Z".parse().unwrap();
    let d = deadline(received, 1, &zone, &calendar);
    assert_eq!(d.unrolled, date(2026, 4, 30));
    // 22:59 UTC on 31 December is 23:59 on 31 December in Stockholm (winter time).
    let received: Timestamp = "2026-12-31T22:59:00Z".parse().unwrap();
    assert_eq!(
        deadline(received, 1, &zone, &calendar).unrolled,
        date(2027, 1, 31)
    );
    let received: Timestamp = "2026-12-31T23:00:00Z".parse().unwrap();
    assert_eq!(
        deadline(received, 1, &zone, &calendar).unrolled,
        date(2027, 2, 1)
    );
}

#[test]
fn due_at_is_the_end_of_the_due_day_in_stockholm() {
    // Summer time: 23:59:59 CEST is 21:59:59 UTC.
    let d = due(date(2026, 3, 31));
    assert_eq!(
        d.due_at,
        "2026-04-30T21:59:59Z".parse::<Timestamp>().unwrap()
    );
    // Winter time: 23:59:59 CET is 22:59:59 UTC.
    let d = due(date(2026, 1, 31));
    assert_eq!(
        d.due_at,
        "2026-03-02T22:59:59Z".parse::<Timestamp>().unwrap()
    );
    assert!(!d.is_overdue(d.due_at));
    assert!(d.is_overdue(d.due_at + SignedDuration::from_secs(1)));
}

#[test]
fn months_beyond_one_count_from_receipt() {
    let zone = zone::stockholm();
    let calendar = HolidayCalendar::sweden();
    let received = stockholm(date(2026, 1, 31), 9, 0);
    assert_eq!(
        deadline(received, 2, &zone, &calendar).due,
        date(2026, 3, 31)
    );
    assert_eq!(
        deadline(received, 3, &zone, &calendar).due,
        date(2026, 4, 30)
    );
}

#[test]
fn a_deadline_may_be_extended_within_the_first_month() {
    let zone = zone::stockholm();
    let calendar = HolidayCalendar::sweden();
    let received = stockholm(date(2026, 1, 31), 9, 0);
    let first = deadline(received, 1, &zone, &calendar);
    // On the last moment of the (rolled) first month: 2 March 2026, 23:59:59.
    let extended = extend(received, 0, 2, first.due_at, &zone, &calendar).unwrap();
    assert_eq!(extended.unrolled, date(2026, 4, 30));
    assert_eq!(extended.due, date(2026, 4, 30));
    // One month now, one more later (still within the first month).
    let once = extend(
        received,
        0,
        1,
        stockholm(date(2026, 2, 10), 9, 0),
        &zone,
        &calendar,
    )
    .unwrap();
    assert_eq!(once.due, date(2026, 3, 31));
    let twice = extend(
        received,
        1,
        1,
        stockholm(date(2026, 2, 20), 9, 0),
        &zone,
        &calendar,
    )
    .unwrap();
    assert_eq!(twice.due, date(2026, 4, 30));
}

#[test]
fn an_extension_after_the_first_month_is_refused_with_the_dates() {
    let zone = zone::stockholm();
    let calendar = HolidayCalendar::sweden();
    let received = stockholm(date(2026, 1, 31), 9, 0);
    let first = deadline(received, 1, &zone, &calendar);
    let late = first.due_at + SignedDuration::from_secs(1);
    let error = extend(received, 0, 1, late, &zone, &calendar).unwrap_err();
    assert_eq!(
        error,
        ExtensionError::TooLate {
            first_due: date(2026, 3, 2),
            today: date(2026, 3, 3)
        }
    );
    assert_eq!(
        error.to_string(),
        "too late to extend: the subject must be told within one month of receipt (Art. 12(3) GDPR), which ended on 2026-03-02; it is now 2026-03-03"
    );
    // A second extension is just as late after the first month.
    assert!(matches!(
        extend(received, 1, 1, late, &zone, &calendar),
        Err(ExtensionError::TooLate { .. })
    ));
}

#[test]
fn at_most_two_months_in_total() {
    let zone = zone::stockholm();
    let calendar = HolidayCalendar::sweden();
    let received = stockholm(date(2026, 5, 4), 9, 0);
    let now = stockholm(date(2026, 5, 5), 9, 0);
    let error = extend(received, 1, 2, now, &zone, &calendar).unwrap_err();
    assert_eq!(
        error,
        ExtensionError::TooLong {
            already: 1,
            months: 2
        }
    );
    assert_eq!(
        error.to_string(),
        "the deadline can be extended by at most 2 months in total (Art. 12(3) GDPR); it is already extended by 1 and 2 more would make 3"
    );
    assert!(matches!(
        extend(received, 2, 1, now, &zone, &calendar),
        Err(ExtensionError::TooLong { .. })
    ));
    for months in [0, 3, 12] {
        let error = extend(received, 0, months, now, &zone, &calendar).unwrap_err();
        assert_eq!(error, ExtensionError::InvalidMonths { months });
        assert!(error.to_string().contains("1 or 2 months"));
    }
}

fn any_date() -> impl Strategy<Value = Date> {
    // 1996 onwards: the POSIX rule of Swedish time is exact from then.
    (1996i16..=2150, 1i8..=12, 1i8..=31).prop_map(|(y, m, d)| {
        let last = date(y, m, 1).last_of_month().day();
        date(y, m, d.min(last))
    })
}

proptest! {
    #[test]
    fn due_is_a_working_day_on_or_shortly_after_the_unrolled_date(
        received in any_date(),
        hour in 0i8..24,
        months in 1u32..=3,
    ) {
        let zone = zone::stockholm();
        let calendar = HolidayCalendar::sweden();
        let d = deadline(stockholm(received, hour, 0), months, &zone, &calendar);
        prop_assert!(d.due >= d.unrolled);
        prop_assert!(calendar.is_working_day(d.due));
        // The longest run of days off in Sweden is five: julafton on a Wednesday (2025) is
        // followed by juldagen, annandag jul and a weekend.
        prop_assert!(d.unrolled.until(d.due).unwrap().get_days() <= 5);
        // Every day skipped is not a working day.
        let mut day = d.unrolled;
        while day < d.due {
            prop_assert!(!calendar.is_working_day(day));
            day = day.tomorrow().unwrap();
        }
        prop_assert!(!matches!(d.due.weekday(), Weekday::Saturday | Weekday::Sunday));
        // due_at is 23:59:59 on the due date in Stockholm.
        let local = d.due_at.to_zoned(zone.clone());
        prop_assert_eq!(local.date(), d.due);
        prop_assert_eq!((local.hour(), local.minute(), local.second()), (23, 59, 59));
    }

    #[test]
    fn the_unrolled_date_is_the_same_day_or_the_last_of_a_shorter_month(
        received in any_date(),
        months in 1u32..=3,
    ) {
        let d = deadline(
            stockholm(received, 12, 0),
            months,
            &zone::stockholm(),
            &HolidayCalendar::sweden(),
        );
        let first_of_target = received.first_of_month().checked_add(i64::from(months).months()).unwrap();
        prop_assert_eq!(d.unrolled.year(), first_of_target.year());
        prop_assert_eq!(d.unrolled.month(), first_of_target.month());
        let last = first_of_target.last_of_month().day();
        prop_assert_eq!(d.unrolled.day(), received.day().min(last));
        // Never shorter than 28 days, never longer than the calendar months plus five days.
        let days = received.until(d.due).unwrap().get_days();
        prop_assert!(days >= 28 * i32::try_from(months).unwrap());
        prop_assert!(days <= 31 * i32::try_from(months).unwrap() + 5);
    }

    #[test]
    fn a_later_receipt_is_never_due_earlier(a in any_date(), gap in 0i64..400) {
        let b = a.checked_add(Span::new().days(gap)).unwrap();
        prop_assert!(due(a).due <= due(b).due);
    }

    #[test]
    fn an_extension_is_never_due_before_the_first_deadline(
        received in any_date(),
        days_later in 0i64..40,
        months in 1u32..=2,
    ) {
        let zone = zone::stockholm();
        let calendar = HolidayCalendar::sweden();
        let at = stockholm(received, 12, 0);
        let now = at + SignedDuration::from_hours(24 * days_later);
        let first = deadline(at, 1, &zone, &calendar);
        match extend(at, 0, months, now, &zone, &calendar) {
            Ok(extended) => {
                prop_assert!(!first.is_overdue(now));
                prop_assert!(extended.due > first.due);
                prop_assert_eq!(extended, deadline(at, 1 + months, &zone, &calendar));
            }
            Err(error) => {
                prop_assert!(first.is_overdue(now));
                let is_too_late = matches!(error, ExtensionError::TooLate { .. });
                prop_assert!(is_too_late);
            }
        }
    }
}
