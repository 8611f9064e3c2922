//! The deadline a register sets: the controller's calendar (`HolidayCalendar::for_register`)
//! and its promised response time, never later than the month of Art. 12(3).

use jiff::civil::{Date, date};
use jiff::tz::TimeZone;
use proptest::prelude::*;
use skydd_register::Register;
use skydd_register::period::{Period, PeriodUnit};
use skydd_register::zone;
use skydd_requests::{HolidayCalendar, deadline, promised_deadline, response_deadline};

use crate::stockholm;

const GLESYS: &str = include_str!("../../../../examples/registers/glesys.yaml");

/// The GleSYS register with `response_time` replaced.
fn glesys_promising(response_time: &str) -> Register {
    let source = GLESYS.replacen(
        "  response_time: 1 month\n",
        &format!("  response_time: {response_time}\n"),
        1,
    );
    let checked = skydd_register::check(&source);
    checked.register.unwrap_or_else(|| {
        panic!(
            "{}",
            skydd_register::diagnostic::render_text("glesys.yaml", &checked.diagnostics)
        )
    })
}

/// The GleSYS register moved to Ireland, with `holidays` (YAML under `rights:`) and
/// `response_time`.
fn irish(response_time: &str, holidays: &str) -> Register {
    let source = GLESYS
        .replacen(
            "city: Falkenberg, country: SE}",
            "city: Dublin, country: IE}",
            1,
        )
        .replacen(
            "  response_time: 1 month\n",
            &format!("  response_time: {response_time}\n{holidays}"),
            1,
        );
    let checked = skydd_register::check(&source);
    checked.register.unwrap_or_else(|| {
        panic!(
            "{}",
            skydd_register::diagnostic::render_text("irish.yaml", &checked.diagnostics)
        )
    })
}

const IRISH_2027: &str = "  public_holidays:
    - {date: 2027-01-01, name: New Year's Day}
    - {date: 2027-03-17, name: St Patrick's Day}
    - 2027-03-29
";

fn due_for(register: &Register, received: Date) -> (Date, Date) {
    let calendar = HolidayCalendar::for_register(register);
    let d = response_deadline(
        register,
        stockholm(received, 10, 0),
        &zone::stockholm(),
        &calendar,
    );
    (d.unrolled, d.due)
}

#[test]
fn a_swedish_controller_gets_the_built_in_calendar() {
    let register = glesys_promising("1 month");
    let calendar = HolidayCalendar::for_register(&register);
    assert_eq!(calendar, HolidayCalendar::sweden());
    assert_eq!(calendar.country(), "SE");
    // Kristi himmelfärdsdag 2026, computed from Easter.
    assert!(!calendar.is_working_day(date(2026, 5, 14)));
}

#[test]
fn a_swedish_controller_ignores_listed_dates() {
    // Listed dates would only add days off the law does not have (the check warns).
    let source = GLESYS.replacen(
        "  response_time: 1 month\n",
        "  response_time: 1 month\n  public_holidays: [2026-03-10]\n",
        1,
    );
    let checked = skydd_register::check(&source);
    assert!(
        checked
            .diagnostics
            .iter()
            .any(|d| d.code == "holidays-built-in")
    );
    let register = checked.register.unwrap();
    let calendar = HolidayCalendar::for_register(&register);
    assert!(calendar.is_working_day(date(2026, 3, 10)));
    assert_eq!(due_for(&register, date(2026, 2, 10)).1, date(2026, 3, 10));
}

#[test]
fn another_country_gets_the_listed_dates_with_their_names() {
    let register = irish("1 month", IRISH_2027);
    let calendar = HolidayCalendar::for_register(&register);
    assert_eq!(calendar.country(), "IE");
    let names: Vec<(String, String)> = calendar
        .holidays_in(2027)
        .into_iter()
        .map(|h| (h.date.to_string(), h.name))
        .collect();
    assert_eq!(
        names,
        [
            ("2027-01-01".into(), "New Year's Day".into()),
            ("2027-03-17".into(), "St Patrick's Day".into()),
            ("2027-03-29".into(), "public holiday".into()),
        ]
    );
    // Swedish holidays are working days in Ireland.
    assert!(calendar.is_working_day(date(2027, 1, 6)));
    // Received 17 February 2027: 17 March is St Patrick's Day, the deadline is the 18th.
    assert_eq!(
        due_for(&register, date(2027, 2, 17)),
        (date(2027, 3, 17), date(2027, 3, 18))
    );
    // Easter Monday 2027 (29 March), listed without a name.
    assert_eq!(
        due_for(&register, date(2027, 2, 28)),
        (date(2027, 3, 28), date(2027, 3, 30))
    );
}

#[test]
fn the_irish_example_of_the_register_format_holds() {
    // docs/register-format.md, `rights`: 30 days and St Patrick's Day.
    let register = irish("30 days", IRISH_2027);
    assert_eq!(
        due_for(&register, date(2027, 2, 17)),
        (date(2027, 3, 17), date(2027, 3, 18))
    );
    // From 1 March 2027 the promise ends first: 31 March (Wednesday), the month on 1 April.
    assert_eq!(
        due_for(&register, date(2027, 3, 1)),
        (date(2027, 3, 31), date(2027, 3, 31))
    );
}

#[test]
fn no_listed_holidays_means_only_weekends() {
    let register = irish("1 month", "");
    let calendar = HolidayCalendar::for_register(&register);
    assert!(calendar.holidays_in(2026).is_empty());
    // 25 December 2026 is a Friday: a working day without a list.
    assert_eq!(
        due_for(&register, date(2026, 11, 25)),
        (date(2026, 12, 25), date(2026, 12, 25))
    );
}

#[test]
fn a_promise_of_one_month_is_the_legal_deadline() {
    let register = glesys_promising("1 month");
    let cases = [
        (date(2026, 3, 31), date(2026, 4, 30), date(2026, 4, 30)),
        (date(2028, 1, 31), date(2028, 2, 29), date(2028, 2, 29)),
        (date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 2)),
        (date(2026, 4, 14), date(2026, 5, 14), date(2026, 5, 15)),
        (date(2026, 11, 25), date(2026, 12, 25), date(2026, 12, 28)),
    ];
    for (received, unrolled, due) in cases {
        assert_eq!(
            due_for(&register, received),
            (unrolled, due),
            "received {received}"
        );
    }
}

#[test]
fn a_controller_promising_30_days_is_held_to_them() {
    let register = glesys_promising("30 days");
    let cases = [
        // (received, unrolled, due)
        // 30 days from Sunday 1 March 2026 end on Tuesday 31 March; the month on 1 April.
        (date(2026, 3, 1), date(2026, 3, 31), date(2026, 3, 31)),
        // From 31 May: 30 June (Tuesday), as does the month.
        (date(2026, 5, 31), date(2026, 6, 30), date(2026, 6, 30)),
        // From 2 May: 1 June (Monday), a day before the month (2 June).
        (date(2026, 5, 2), date(2026, 6, 1), date(2026, 6, 1)),
        // February is shorter than 30 days: the month applies (1 March 2027, a Monday),
        // not 30 days (3 March).
        (date(2027, 2, 1), date(2027, 3, 1), date(2027, 3, 1)),
        // Leap year: 30 days from 1 February 2028 are 2 March; the month ends 1 March.
        (date(2028, 2, 1), date(2028, 3, 1), date(2028, 3, 1)),
        // 30 days from 30 January 2028 are 29 February, as is the month.
        (date(2028, 1, 30), date(2028, 2, 29), date(2028, 2, 29)),
        // From 25 November 2026: 25 December (juldagen) either way, due Monday 28.
        (date(2026, 11, 25), date(2026, 12, 25), date(2026, 12, 28)),
        // From 4 March 2026: 3 April is långfredagen, then påsk: Tuesday 7 April. The month
        // (4 April, a Saturday) rolls to the same day; the promise's date is shown.
        (date(2026, 3, 4), date(2026, 4, 3), date(2026, 4, 7)),
    ];
    for (received, unrolled, due) in cases {
        assert_eq!(
            due_for(&register, received),
            (unrolled, due),
            "received {received}"
        );
    }
}

#[test]
fn a_tie_shows_the_end_of_the_promised_period() {
    // 27 days from Monday 1 February 2027 end on Sunday 28 February: due Monday 1 March, the
    // day the month ends too.
    let register = glesys_promising("27 days");
    assert_eq!(
        due_for(&register, date(2027, 2, 1)),
        (date(2027, 2, 28), date(2027, 3, 1))
    );
    let month = glesys_promising("1 month");
    assert_eq!(
        due_for(&month, date(2027, 2, 1)),
        (date(2027, 3, 1), date(2027, 3, 1))
    );
}

#[test]
fn shorter_promises_roll_over_holidays_like_the_month() {
    let zone = zone::stockholm();
    let calendar = HolidayCalendar::sweden();
    let promised = |amount: u32, unit: PeriodUnit, received: Date| {
        let d = promised_deadline(
            Period::new(amount, unit),
            stockholm(received, 10, 0),
            &zone,
            &calendar,
        );
        (d.unrolled, d.due)
    };
    // 14 days from 20 March 2026: långfredagen (3 April), påsk, annandag påsk: Tuesday 7 April.
    assert_eq!(
        promised(14, PeriodUnit::Day, date(2026, 3, 20)),
        (date(2026, 4, 3), date(2026, 4, 7))
    );
    // 10 days from 14 December 2026: julafton, juldagen, weekend: Monday 28 December.
    assert_eq!(
        promised(10, PeriodUnit::Day, date(2026, 12, 14)),
        (date(2026, 12, 24), date(2026, 12, 28))
    );
    // 2 weeks from 22 May 2026: Friday 5 June; Sveriges nationaldag is the Saturday after.
    assert_eq!(
        promised(2, PeriodUnit::Week, date(2026, 5, 22)),
        (date(2026, 6, 5), date(2026, 6, 5))
    );
    // 1 day from Friday 5 June 2026: Saturday 6 June (nationaldagen), Monday 8 June.
    assert_eq!(
        promised(1, PeriodUnit::Day, date(2026, 6, 5)),
        (date(2026, 6, 6), date(2026, 6, 8))
    );
    // 72 hours are 3 days: Monday 23 November 2026 to Thursday 26.
    assert_eq!(
        promised(72, PeriodUnit::Hour, date(2026, 11, 23)),
        (date(2026, 11, 26), date(2026, 11, 26))
    );
    // Art. 3(5) of 1182/71: 2 days from 23 December 2026 end on juldagen, roll to Monday 28,
    // which is the only working day in the period: it ends on Tuesday 29 instead.
    assert_eq!(
        promised(2, PeriodUnit::Day, date(2026, 12, 23)),
        (date(2026, 12, 25), date(2026, 12, 29))
    );
    // 2 days from Thursday 19 November 2026 end on Saturday: Monday 23, with Friday that makes
    // two working days, so no further day.
    assert_eq!(
        promised(2, PeriodUnit::Day, date(2026, 11, 19)),
        (date(2026, 11, 21), date(2026, 11, 23))
    );
}

#[test]
fn the_day_of_receipt_is_the_controllers_local_date() {
    let register = glesys_promising("14 days");
    let calendar = HolidayCalendar::for_register(&register);
    // 23:30 UTC on 31 March 2026 is 01:30 on 1 April in Stockholm: 14 days from 1 April end on
    // 15 April.
    let received: jiff::Timestamp = "2026-03-31T23:30:00Z".parse().unwrap();
    let sweden = response_deadline(&register, received, &zone::stockholm(), &calendar);
    assert_eq!(sweden.unrolled, date(2026, 4, 15));
    let utc = response_deadline(&register, received, &TimeZone::UTC, &calendar);
    assert_eq!(utc.unrolled, date(2026, 4, 14));
    // The end of the due day in Stockholm (summer time: 21:59:59 UTC).
    assert_eq!(sweden.due_at.to_string(), "2026-04-15T21:59:59Z");
}

fn any_date() -> impl Strategy<Value = Date> {
    (1996i16..=2150, 1i8..=12, 1i8..=31).prop_map(|(y, m, d)| {
        let last = date(y, m, 1).last_of_month().day();
        date(y, m, d.min(last))
    })
}

fn any_promise() -> impl Strategy<Value = Period> {
    prop_oneof![
        (0u32..=31).prop_map(|n| Period::new(n, PeriodUnit::Day)),
        (0u32..=4).prop_map(|n| Period::new(n, PeriodUnit::Week)),
        (0u32..=744).prop_map(|n| Period::new(n, PeriodUnit::Hour)),
        Just(Period::new(1, PeriodUnit::Month)),
    ]
}

/// The GleSYS register with any `response_time`, built directly (the check refuses periods it
/// cannot prove fit the month; the cap must hold for any promise anyway).
fn promising(period: Period) -> Register {
    let mut register = glesys_promising("1 month");
    register.rights.response_time = period;
    register
}

proptest! {
    #[test]
    fn never_later_than_the_legal_deadline_and_always_a_working_day(
        received in any_date(),
        hour in 0i8..24,
        promise in any_promise(),
        irish_calendar in any::<bool>(),
    ) {
        let zone = zone::stockholm();
        let register = if irish_calendar {
            let mut r = irish("1 month", IRISH_2027);
            r.rights.response_time = promise;
            r
        } else {
            promising(promise)
        };
        let calendar = HolidayCalendar::for_register(&register);
        let at = stockholm(received, hour, 0);
        let legal = deadline(at, 1, &zone, &calendar);
        let d = response_deadline(&register, at, &zone, &calendar);
        prop_assert!(d.due <= legal.due, "{d:?} after {legal:?}");
        prop_assert!(d.due_at <= legal.due_at);
        prop_assert!(calendar.is_working_day(d.due));
        prop_assert!(d.due >= d.unrolled);
        prop_assert!(d.unrolled >= received);
        // Either the law's month or the promise, never something else.
        let kept = promised_deadline(promise, at, &zone, &calendar);
        prop_assert!(d == legal || d == kept);
        if kept.due < legal.due {
            prop_assert_eq!(d, kept);
        }
    }

    #[test]
    fn a_promise_in_days_is_kept_when_it_ends_first(
        received in any_date(),
        days in 0u32..=27,
    ) {
        // 27 days or fewer always end before the month does (February has 28).
        let zone = zone::stockholm();
        let register = promising(Period::new(days, PeriodUnit::Day));
        let calendar = HolidayCalendar::for_register(&register);
        let at = stockholm(received, 12, 0);
        let d = response_deadline(&register, at, &zone, &calendar);
        prop_assert_eq!(d.unrolled, received.checked_add(jiff::Span::new().days(i64::from(days))).unwrap());
        // Every day between the unrolled date and the due day is a day off, except that
        // Art. 3(5) may add working days to a period of two days or more.
        if days < 2 {
            let mut day = d.unrolled;
            while day < d.due {
                prop_assert!(!calendar.is_working_day(day));
                day = day.tomorrow().unwrap();
            }
        }
    }
}

#[test]
fn the_register_check_and_the_calendars_agree_on_what_is_built_in() {
    use skydd_register::country::Country;
    for code in ["SE", "IE", "NO", "DK", "FI", "DE", "GB", "US"] {
        let country = Country::parse(code).unwrap();
        assert_eq!(
            country.has_built_in_holiday_calendar(),
            HolidayCalendar::built_in(country).is_some(),
            "{code}"
        );
    }
}
