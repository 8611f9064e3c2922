//! The Swedish holiday calendar and calendars listed by a register.

use jiff::civil::{Date, Weekday, date};
use proptest::prelude::*;
use skydd_register::country::Country;
use skydd_requests::HolidayCalendar;

fn names(year: i16) -> Vec<String> {
    HolidayCalendar::sweden()
        .holidays_in(year)
        .into_iter()
        .map(|h| {
            format!(
                "{} {:<9} {}",
                h.date,
                format!("{:?}", h.date.weekday()),
                h.name
            )
        })
        .collect()
}

#[test]
fn swedish_holidays_of_2026() {
    insta::assert_snapshot!(names(2026).join("\n"));
}

#[test]
fn before_2005_annandag_pingst_instead_of_nationaldagen() {
    let days = names(2004).join("\n");
    assert!(
        days.contains("2004-05-31 Monday    Annandag pingst"),
        "{days}"
    );
    assert!(!days.contains("Sveriges nationaldag"), "{days}");
    let days = names(2005).join("\n");
    assert!(
        days.contains("2005-06-06 Monday    Sveriges nationaldag"),
        "{days}"
    );
    assert!(!days.contains("Annandag pingst"), "{days}");
}

#[test]
fn feasts_on_the_same_day_share_an_entry() {
    // Easter 2008 was 23 March: Kristi himmelfärdsdag fell on första maj.
    let holidays = HolidayCalendar::sweden().holidays_in(2008);
    let may_day: Vec<_> = holidays
        .iter()
        .filter(|h| h.date == date(2008, 5, 1))
        .collect();
    assert_eq!(may_day.len(), 1);
    assert_eq!(may_day[0].name, "Första maj, Kristi himmelfärdsdag");
}

#[test]
fn moveable_feasts_follow_easter_and_the_weekdays() {
    let calendar = HolidayCalendar::sweden();
    let find = |year: i16, name: &str| {
        calendar
            .holidays_in(year)
            .into_iter()
            .find(|h| h.name == name)
            .map(|h| h.date)
            .unwrap()
    };
    // Easter 2025 is 20 April, 2027 is 28 March.
    assert_eq!(find(2025, "Långfredagen"), date(2025, 4, 18));
    assert_eq!(find(2025, "Annandag påsk"), date(2025, 4, 21));
    assert_eq!(find(2025, "Kristi himmelfärdsdag"), date(2025, 5, 29));
    assert_eq!(find(2025, "Pingstdagen"), date(2025, 6, 8));
    assert_eq!(find(2027, "Långfredagen"), date(2027, 3, 26));
    assert_eq!(find(2027, "Kristi himmelfärdsdag"), date(2027, 5, 6));
    // Midsommardagen is the Saturday between 20 and 26 June; alla helgons dag the Saturday
    // between 31 October and 6 November.
    assert_eq!(find(2025, "Midsommarafton"), date(2025, 6, 20));
    assert_eq!(find(2025, "Midsommardagen"), date(2025, 6, 21));
    assert_eq!(find(2026, "Midsommardagen"), date(2026, 6, 20));
    assert_eq!(find(2027, "Midsommardagen"), date(2027, 6, 26));
    assert_eq!(find(2026, "Alla helgons dag"), date(2026, 10, 31));
    assert_eq!(find(2025, "Alla helgons dag"), date(2025, 11, 1));
    assert_eq!(find(2027, "Alla helgons dag"), date(2027, 11, 6));
}

#[test]
fn working_days_in_sweden() {
    let calendar = HolidayCalendar::sweden();
    assert_eq!(calendar.country(), "SE");
    // Ordinary weekdays.
    assert!(calendar.is_working_day(date(2026, 4, 30))); // valborgsmässoafton
    assert!(calendar.is_working_day(date(2026, 4, 2))); // skärtorsdagen
    assert!(calendar.is_working_day(date(2026, 6, 5)));
    // Weekends, holidays and the days Lag (1930:173) treats like them.
    for day in [
        date(2026, 4, 4),   // Saturday
        date(2026, 4, 5),   // Sunday (påskdagen)
        date(2026, 4, 3),   // långfredagen
        date(2026, 4, 6),   // annandag påsk
        date(2026, 5, 1),   // första maj
        date(2026, 5, 14),  // Kristi himmelfärdsdag
        date(2026, 6, 19),  // midsommarafton (Friday)
        date(2026, 12, 24), // julafton (Thursday)
        date(2026, 12, 31), // nyårsafton (Thursday)
        date(2027, 1, 6),   // trettondedag jul (Wednesday)
    ] {
        assert!(!calendar.is_working_day(day), "{day} is not a working day");
    }
    assert!(calendar.is_working_day(date(2027, 5, 17))); // annandag pingst 2027: a working day
    assert_eq!(
        calendar.next_working_day_on_or_after(date(2026, 4, 3)),
        date(2026, 4, 7)
    );
    assert_eq!(
        calendar.next_working_day_on_or_after(date(2026, 4, 7)),
        date(2026, 4, 7)
    );
}

#[test]
fn a_calendar_listed_by_a_register() {
    let ireland = Country::parse("IE").unwrap();
    // St Patrick's Day 2026 is a Tuesday; Easter Monday 6 April.
    let calendar = HolidayCalendar::from_dates(ireland, vec![date(2026, 3, 17), date(2026, 4, 6)]);
    assert_eq!(calendar.country(), "IE");
    assert!(!calendar.is_working_day(date(2026, 3, 17)));
    assert!(!calendar.is_working_day(date(2026, 3, 21))); // Saturday
    assert!(calendar.is_working_day(date(2026, 4, 3))); // Good Friday is not listed
    assert_eq!(
        calendar.next_working_day_on_or_after(date(2026, 4, 4)),
        date(2026, 4, 7)
    );
    let listed: Vec<Date> = calendar
        .holidays_in(2026)
        .into_iter()
        .map(|h| h.date)
        .collect();
    assert_eq!(listed, vec![date(2026, 3, 17), date(2026, 4, 6)]);
    assert!(calendar.holidays_in(2027).is_empty());
    assert!(HolidayCalendar::built_in(ireland).is_none());
    assert_eq!(
        HolidayCalendar::built_in(Country::parse("SE").unwrap()),
        Some(HolidayCalendar::sweden())
    );
}

proptest! {
    #[test]
    fn easter_feasts_keep_their_weekdays(year in 1900i16..=2400) {
        let holidays = HolidayCalendar::sweden().holidays_in(year);
        let on = |name: &str| {
            holidays
                .iter()
                .find(|h| h.name.split(", ").any(|n| n == name))
                .map(|h| h.date)
                .unwrap()
        };
        let easter = on("Påskdagen");
        prop_assert_eq!(easter.weekday(), Weekday::Sunday);
        prop_assert!(easter >= date(year, 3, 22) && easter <= date(year, 4, 25));
        prop_assert_eq!(on("Långfredagen").weekday(), Weekday::Friday);
        prop_assert_eq!(on("Annandag påsk").weekday(), Weekday::Monday);
        prop_assert_eq!(on("Kristi himmelfärdsdag").weekday(), Weekday::Thursday);
        prop_assert_eq!(on("Pingstdagen").weekday(), Weekday::Sunday);
        prop_assert_eq!(on("Midsommarafton").weekday(), Weekday::Friday);
        prop_assert_eq!(on("Midsommardagen").weekday(), Weekday::Saturday);
        prop_assert_eq!(on("Alla helgons dag").weekday(), Weekday::Saturday);
        // In date order, within the year, no duplicates.
        prop_assert!(holidays.windows(2).all(|w| w[0].date < w[1].date));
        prop_assert!(holidays.iter().all(|h| h.date.year() == year));
    }

    #[test]
    fn the_next_working_day_is_the_first_one(
        y in 1990i16..=2200, m in 1i8..=12, d in 1i8..=28,
    ) {
        let calendar = HolidayCalendar::sweden();
        let start = date(y, m, d);
        let next = calendar.next_working_day_on_or_after(start);
        prop_assert!(next >= start);
        prop_assert!(calendar.is_working_day(next));
        prop_assert_eq!(calendar.next_working_day_on_or_after(next), next);
        let mut day = start;
        while day < next {
            prop_assert!(!calendar.is_working_day(day));
            day = day.tomorrow().unwrap();
        }
    }
}
