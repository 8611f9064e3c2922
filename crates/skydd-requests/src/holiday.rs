//! Public holidays and working days: Sweden built in, other countries from dates a register
//! lists.
//!
//! Sweden's calendar follows Lag (1989:253) om allmänna helgdagar (Sundays, fixed feasts and the
//! moveable ones from Easter, midsommardagen and alla helgons dag) and Lag (1930:173) om
//! beräkning av lagstadgad tid, which treats Saturdays, midsommarafton, julafton and nyårsafton
//! like public holidays when a period ends.

use std::collections::BTreeMap;

use jiff::civil::{Date, Weekday};
use skydd_register::Register;
use skydd_register::country::Country;

/// A named non-working day (Saturdays and Sundays are not listed one by one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holiday {
    /// The date it falls on (a civil date, no time zone).
    pub date: Date,
    /// Its name ("Långfredagen"), or "public holiday" for listed dates without a name.
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Rules {
    /// Computed for any year.
    Sweden,
    /// Only the listed dates (plus Saturdays and Sundays).
    Listed(BTreeMap<Date, String>),
}

/// Which days are working days in the controller's country.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HolidayCalendar {
    /// ISO 3166-1 alpha-2 code of the country.
    country: String,
    rules: Rules,
}

impl HolidayCalendar {
    /// Sweden, for every year: Saturdays, Sundays, the public holidays of Lag (1989:253) and the
    /// days Lag (1930:173) treats like them.
    pub fn sweden() -> HolidayCalendar {
        HolidayCalendar {
            country: SWEDEN.to_owned(),
            rules: Rules::Sweden,
        }
    }

    /// A country whose public holidays the register lists. Saturdays and Sundays are never
    /// working days; `dates` are the other days off. Years the list does not cover have only
    /// weekends, so list every year requests may fall in.
    pub fn from_dates(country: Country, dates: Vec<Date>) -> HolidayCalendar {
        let listed = dates.into_iter().map(|d| (d, UNNAMED.to_owned())).collect();
        HolidayCalendar {
            country: country.code().to_owned(),
            rules: Rules::Listed(listed),
        }
    }

    /// The calendar built in for `country`, if there is one (Sweden).
    pub fn built_in(country: Country) -> Option<HolidayCalendar> {
        (country.has_built_in_holiday_calendar() && country.code() == SWEDEN)
            .then(HolidayCalendar::sweden)
    }

    /// The calendar of the register's controller (`controller.address.country`), the one its
    /// request deadlines are counted in.
    ///
    /// - A country with a built-in calendar (Sweden) gets it, and `rights.public_holidays` is
    ///   not used: the law's holidays are computed for every year, and a listed day that is not
    ///   a public holiday in law must not make a deadline later (the register check warns,
    ///   `holidays-built-in`).
    /// - Any other country gets the dates `rights.public_holidays` lists, with their names
    ///   ("public holiday" when none is written), plus Saturdays and Sundays. With no dates
    ///   listed only weekends are days off (the register check warns, `holidays-missing`).
    pub fn for_register(register: &Register) -> HolidayCalendar {
        let country = register.controller.address.country;
        if let Some(built_in) = HolidayCalendar::built_in(country) {
            return built_in;
        }
        let listed = register
            .rights
            .public_holidays
            .iter()
            .map(|h| {
                let name = h.name.clone().unwrap_or_else(|| UNNAMED.to_owned());
                (h.date, name)
            })
            .collect();
        HolidayCalendar {
            country: country.code().to_owned(),
            rules: Rules::Listed(listed),
        }
    }

    /// The ISO 3166-1 alpha-2 code of the country ("SE").
    pub fn country(&self) -> &str {
        &self.country
    }

    /// Whether `day` is a working day: not a Saturday, not a Sunday, not a holiday.
    pub fn is_working_day(&self, day: Date) -> bool {
        if matches!(day.weekday(), Weekday::Saturday | Weekday::Sunday) {
            return false;
        }
        match &self.rules {
            Rules::Sweden => swedish_holiday(day).is_none(),
            Rules::Listed(dates) => !dates.contains_key(&day),
        }
    }

    /// `day` itself when it is a working day, otherwise the first working day after it.
    pub fn next_working_day_on_or_after(&self, day: Date) -> Date {
        let mut current = day;
        while !self.is_working_day(current) {
            match current.tomorrow() {
                Ok(next) => current = next,
                // The last representable date: nothing comes after it.
                Err(_) => break,
            }
        }
        current
    }

    /// The named days off of `year`, in date order, one entry per date (feasts that fall on
    /// the same day share it: "Första maj, Kristi himmelfärdsdag" in 2008). Saturdays and
    /// Sundays without a name are not listed.
    pub fn holidays_in(&self, year: i16) -> Vec<Holiday> {
        match &self.rules {
            Rules::Sweden => swedish_holidays(year),
            Rules::Listed(dates) => dates
                .iter()
                .filter(|(d, _)| d.year() == year)
                .map(|(d, name)| Holiday {
                    date: *d,
                    name: name.clone(),
                })
                .collect(),
        }
    }
}

const SWEDEN: &str = "SE";

/// The name of a listed holiday the register gives no name.
const UNNAMED: &str = "public holiday";

/// Easter Sunday in the Gregorian calendar (the anonymous algorithm of Meeus, Jones and
/// Butcher); `None` only outside the range of dates.
pub(crate) fn easter_sunday(year: i16) -> Option<Date> {
    let y = i32::from(year);
    let a = y.rem_euclid(19);
    let b = y.div_euclid(100);
    let c = y.rem_euclid(100);
    let d = b.div_euclid(4);
    let e = b.rem_euclid(4);
    let f = (b + 8).div_euclid(25);
    let g = (b - f + 1).div_euclid(3);
    let h = (19 * a + b - d - g + 15).rem_euclid(30);
    let i = c.div_euclid(4);
    let k = c.rem_euclid(4);
    let l = (32 + 2 * e + 2 * i - h - k).rem_euclid(7);
    let m = (a + 11 * h + 22 * l).div_euclid(451);
    let month = (h + l - 7 * m + 114).div_euclid(31);
    let day = (h + l - 7 * m + 114).rem_euclid(31) + 1;
    Date::new(year, i8::try_from(month).ok()?, i8::try_from(day).ok()?).ok()
}

fn swedish_holidays(year: i16) -> Vec<Holiday> {
    let easter = easter_sunday(year);
    let after_easter = |days: i64| easter?.checked_add(jiff::Span::new().days(days)).ok();
    let on = |month: i8, day: i8| Date::new(year, month, day).ok();
    let mut days: Vec<(Option<Date>, &str)> = vec![
        (on(1, 1), "Nyårsdagen"),
        (on(1, 6), "Trettondedag jul"),
        (after_easter(-2), "Långfredagen"),
        (easter, "Påskdagen"),
        (after_easter(1), "Annandag påsk"),
        (on(5, 1), "Första maj"),
        (after_easter(39), "Kristi himmelfärdsdag"),
        (after_easter(49), "Pingstdagen"),
        (
            on(6, 19).and_then(|d| first_weekday_from(d, Weekday::Friday)),
            "Midsommarafton",
        ),
        (
            on(6, 20).and_then(|d| first_weekday_from(d, Weekday::Saturday)),
            "Midsommardagen",
        ),
        (
            on(10, 31).and_then(|d| first_weekday_from(d, Weekday::Saturday)),
            "Alla helgons dag",
        ),
        (on(12, 24), "Julafton"),
        (on(12, 25), "Juldagen"),
        (on(12, 26), "Annandag jul"),
        (on(12, 31), "Nyårsafton"),
    ];
    if year >= 2005 {
        // SFS 2004:1003: Sveriges nationaldag replaced annandag pingst from 2005.
        days.push((on(6, 6), "Sveriges nationaldag"));
    } else {
        days.push((after_easter(50), "Annandag pingst"));
    }
    let mut named: BTreeMap<Date, String> = BTreeMap::new();
    for (day, name) in days {
        let Some(day) = day else { continue };
        // Two feasts can fall on one day (Kristi himmelfärdsdag on första maj in 2008).
        named
            .entry(day)
            .and_modify(|names| {
                names.push_str(", ");
                names.push_str(name);
            })
            .or_insert_with(|| name.to_owned());
    }
    named
        .into_iter()
        .map(|(date, name)| Holiday { date, name })
        .collect()
}

fn first_weekday_from(start: Date, weekday: Weekday) -> Option<Date> {
    let offset = start.weekday().until(weekday);
    start
        .checked_add(jiff::Span::new().days(i64::from(offset)))
        .ok()
}

fn swedish_holiday(day: Date) -> Option<String> {
    swedish_holidays(day.year())
        .into_iter()
        .find(|h| h.date == day)
        .map(|h| h.name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn easter_matches_known_years() {
        use jiff::civil::date;
        assert_eq!(easter_sunday(2024), Some(date(2024, 3, 31)));
        assert_eq!(easter_sunday(2025), Some(date(2025, 4, 20)));
        assert_eq!(easter_sunday(2026), Some(date(2026, 4, 5)));
        assert_eq!(easter_sunday(2027), Some(date(2027, 3, 28)));
        assert_eq!(easter_sunday(2038), Some(date(2038, 4, 25)));
        assert_eq!(easter_sunday(2285), Some(date(2285, 3, 22)));
    }
}
