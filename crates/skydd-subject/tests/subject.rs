//! Identities through the public API: normal forms, personnummer centuries at chosen dates,
//! and the promises about personal data (never in `Debug`, `Display` or error messages).

// Tests may unwrap: a failing unwrap is a failing test with a good message.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use jiff::Span;
use jiff::civil::{Date, date};
use proptest::prelude::*;
use skydd_register::country::luhn_valid;
use skydd_subject::{
    Identity, IdentityError, IdentityKind, IdentityProblem, ParseContext, RecordId, SubjectId,
    TenantId,
};

fn sweden(today: Date) -> ParseContext<'static> {
    ParseContext::sweden(today)
}

fn pnr(raw: &str, today: Date) -> Result<String, IdentityProblem> {
    Identity::parse(IdentityKind::Personnummer, raw, sweden(today))
        .map(|identity| identity.expose().to_owned())
        .map_err(|error| error.problem)
}

/// The ten digits `YYMMDDNNN` + check digit, as a string.
fn with_check_digit(nine: &str) -> String {
    let digits: Vec<u8> = nine.bytes().map(|b| b - b'0').collect();
    let check = (0..10u8)
        .find(|&c| luhn_valid(&[&digits[..], &[c]].concat()))
        .unwrap();
    format!("{nine}{check}")
}

/// A valid 10-digit number (no separator) for a date of birth and serial.
fn ten_digits(birth: Date, serial: u16, samordning: bool) -> String {
    let day = birth.day() + if samordning { 60 } else { 0 };
    with_check_digit(&format!(
        "{:02}{:02}{day:02}{serial:03}",
        birth.year().rem_euclid(100),
        birth.month()
    ))
}

#[test]
fn the_examples_of_the_issue_normalise() {
    let context = sweden(date(2025, 6, 1));
    let parse = |kind, raw| Identity::parse(kind, raw, context).unwrap();
    assert_eq!(
        parse(IdentityKind::Email, "  Anna.Svensson@Example.SE ").expose(),
        "anna.svensson@example.se"
    );
    for raw in ["+46 70-123 45 67", "0046701234567", "070-123 45 67"] {
        assert_eq!(parse(IdentityKind::Phone, raw).expose(), "+46701234567");
    }
    for raw in ["121212-1212", "1212121212", "20121212-1212", "201212121212"] {
        let identity = parse(IdentityKind::Personnummer, raw);
        assert_eq!(identity.expose(), "201212121212");
        assert!(!identity.is_samordningsnummer());
    }
    assert_eq!(
        parse(IdentityKind::CustomerNumber, " 4711 ").expose(),
        "4711"
    );
    assert_eq!(
        parse(IdentityKind::ExternalId, "crm:A-99").expose(),
        "crm:A-99"
    );
}

#[test]
fn a_leap_day_is_a_date_only_in_leap_years() {
    let leap = with_check_digit("000229123");
    let minus = format!("{}-{}", &leap[..6], &leap[6..]);
    let plus = format!("{}+{}", &leap[..6], &leap[6..]);
    let long = format!("20{leap}");

    // The day it happened and later: 2000 is a leap year (divisible by 400).
    assert_eq!(pnr(&minus, date(2000, 2, 29)), Ok(long.clone()));
    assert_eq!(pnr(&leap, date(2000, 3, 1)), Ok(long.clone()));
    assert_eq!(pnr(&long, date(2024, 1, 1)), Ok(long.clone()));
    // The day before, the number names a child not yet born ...
    assert_eq!(
        pnr(&minus, date(2000, 2, 28)),
        Err(IdentityProblem::PersonnummerFuture)
    );
    assert_eq!(
        pnr(&long, date(2000, 2, 28)),
        Err(IdentityProblem::PersonnummerFuture)
    );
    // ... or without a separator, someone born 1900-02-29, a day that never was (1900 is
    // divisible by 100 but not 400).
    assert_eq!(
        pnr(&leap, date(2000, 2, 28)),
        Err(IdentityProblem::PersonnummerDate)
    );
    assert_eq!(
        pnr(&plus, date(2025, 1, 1)),
        Err(IdentityProblem::PersonnummerDate)
    );
    // In 2100 the same digits with `-` would be 2100-02-29, which does not exist either; with
    // `+` they are the centenarian born in 2000.
    assert_eq!(
        pnr(&minus, date(2100, 3, 1)),
        Err(IdentityProblem::PersonnummerDate)
    );
    assert_eq!(pnr(&plus, date(2100, 3, 1)), Ok(long));
    assert_eq!(
        pnr("19000229-0000", date(2025, 1, 1)),
        Err(IdentityProblem::PersonnummerDate)
    );
}

#[test]
fn the_century_turns_at_new_year() {
    let new_year = date(2000, 1, 1);
    let born_today = with_check_digit("000101001");
    let born_yesterday = with_check_digit("991231001");
    let born_tomorrow = with_check_digit("000102001");
    assert_eq!(pnr(&born_today, new_year), Ok(format!("20{born_today}")));
    assert_eq!(
        pnr(&born_yesterday, new_year),
        Ok(format!("19{born_yesterday}"))
    );
    // Without a separator the latest date not after today: a hundred years ago.
    assert_eq!(
        pnr(&born_tomorrow, new_year),
        Ok(format!("19{born_tomorrow}"))
    );
    // With `-` a date later this year is in the future.
    let tomorrow_minus = format!("{}-{}", &born_tomorrow[..6], &born_tomorrow[6..]);
    assert_eq!(
        pnr(&tomorrow_minus, new_year),
        Err(IdentityProblem::PersonnummerFuture)
    );
    // `+` from the year the person turns 100: born 1925-12-31, written with + all of 2025.
    let old = with_check_digit("251231001");
    let old_plus = format!("{}+{}", &old[..6], &old[6..]);
    assert_eq!(pnr(&old_plus, date(2025, 1, 1)), Ok(format!("19{old}")));
    assert_eq!(pnr(&old_plus, date(2025, 12, 31)), Ok(format!("19{old}")));
    assert_eq!(pnr(&old_plus, date(2026, 6, 1)), Ok(format!("19{old}")));
    // In 2024 the same person still wrote `-`; `+` then means 1825, 199 years ago.
    let old_minus = format!("{}-{}", &old[..6], &old[6..]);
    assert_eq!(pnr(&old_minus, date(2024, 12, 31)), Ok(format!("19{old}")));
    assert_eq!(
        pnr(&old_plus, date(2024, 12, 31)),
        Err(IdentityProblem::PersonnummerTooOld)
    );
}

#[test]
fn samordningsnummer_are_recognised() {
    let today = date(2025, 6, 1);
    let ten = ten_digits(date(1985, 7, 9), 123, true);
    let identity = Identity::parse(IdentityKind::Personnummer, &ten, sweden(today)).unwrap();
    assert_eq!(identity.expose(), format!("19{ten}"));
    assert_eq!(&identity.expose()[6..8], "69");
    assert!(identity.is_samordningsnummer());
}

#[test]
fn errors_explain_without_the_value() {
    let context = sweden(date(2025, 6, 1));
    let message = |kind, raw: &str| Identity::parse(kind, raw, context).unwrap_err().to_string();
    assert_eq!(
        message(IdentityKind::Email, "anna@localhost"),
        "invalid e-mail address: the domain after the `@` has no dot; write it as name@example.com"
    );
    assert_eq!(
        message(IdentityKind::Phone, "+46 70"),
        "invalid phone number: it has 4 digits with the country code, but an international number has 8 to 15; check for missing or extra digits"
    );
    assert_eq!(
        message(IdentityKind::Personnummer, "121212-1213"),
        "invalid personnummer: its check digit (the last digit) does not match the others; check for a typo"
    );
    let context_us = ParseContext {
        today: date(2025, 6, 1),
        default_country: "US",
    };
    assert_eq!(
        Identity::parse(IdentityKind::Phone, "202 555 0143", context_us)
            .unwrap_err()
            .to_string(),
        "invalid phone number: national phone numbers are understood only for SE, NO, DK, FI, IS, DE, NL, FR, GB; write the number with its country code, such as +46 70 123 45 67"
    );
    let error = Identity::parse(IdentityKind::Email, "anna@", context).unwrap_err();
    assert_eq!(
        error,
        IdentityError {
            kind: IdentityKind::Email,
            problem: IdentityProblem::EmailNoDomain
        }
    );
}

#[test]
fn ids_and_tenants_parse_from_their_text() {
    let subject = SubjectId::from_bytes([7; 16]);
    assert_eq!(subject.to_string().parse::<SubjectId>(), Ok(subject));
    assert!("7".repeat(32).parse::<RecordId>().is_ok());
    assert!(TenantId::parse("acme-ab").is_ok());
    assert!(TenantId::parse("Acme").is_err());
}

/// Every message text an identity error can have, to tell an echoed value from a value that
/// happens to be a piece of the fixed wording.
fn wording() -> String {
    let problems = [
        IdentityProblem::Empty,
        IdentityProblem::TooLong {
            max: 254,
            unit: "bytes",
        },
        IdentityProblem::TooLong {
            max: 128,
            unit: "characters",
        },
        IdentityProblem::ControlCharacter,
        IdentityProblem::EmailSpace,
        IdentityProblem::EmailNoAt,
        IdentityProblem::EmailManyAt,
        IdentityProblem::EmailNoLocalPart,
        IdentityProblem::EmailNoDomain,
        IdentityProblem::EmailDomainNoDot,
        IdentityProblem::EmailDomainEmptyLabel,
        IdentityProblem::PhoneCharacter,
        IdentityProblem::PhonePlusNotFirst,
        IdentityProblem::PhoneDigitCount { digits: 0 },
        IdentityProblem::PhoneLeadingZero,
        IdentityProblem::PhoneNoTrunkPrefix,
        IdentityProblem::PhoneUnknownCountry,
        IdentityProblem::PersonnummerShape,
        IdentityProblem::PersonnummerDate,
        IdentityProblem::PersonnummerFuture,
        IdentityProblem::PersonnummerTooOld,
        IdentityProblem::PersonnummerChecksum,
    ];
    let mut all = String::new();
    for kind in IdentityKind::ALL {
        for problem in &problems {
            let error = IdentityError {
                kind,
                problem: problem.clone(),
            };
            all.push_str(&error.to_string());
            all.push('\n');
        }
    }
    all
}

fn any_kind() -> impl Strategy<Value = IdentityKind> {
    prop::sample::select(IdentityKind::ALL.to_vec())
}

fn any_today() -> impl Strategy<Value = Date> {
    (0i64..=100_000).prop_map(|days| {
        date(1900, 1, 1)
            .checked_add(Span::new().days(days))
            .unwrap()
    })
}

fn any_context() -> impl Strategy<Value = ParseContext<'static>> {
    (
        any_today(),
        prop::sample::select(vec!["SE", "NO", "FI", "se", "US", "", "XX"]),
    )
        .prop_map(|(today, default_country)| ParseContext {
            today,
            default_country,
        })
}

/// Strings that often come close to an identity of some kind.
fn near_identity() -> impl Strategy<Value = String> {
    prop_oneof![
        ".*",
        "[ \t]*[A-Za-z0-9._%+-]{0,12}@[A-Za-z0-9-]{0,8}(\\.[A-Za-z]{0,4}){0,3}[ ]*",
        "[ +(]{0,2}[0-9 ()./-]{0,20}",
        "(00|\\+)?(46|47|358|1)[ ]?\\(?0?\\)?[0-9 -]{5,14}",
        "(19|20)?[0-9]{6}[-+]?[0-9]{4}",
        "[0-9]{2}[01][0-9][0-9]{2}[-+]?[0-9]{4}",
        "[\\PC]{0,140}",
    ]
}

/// A valid personnummer (or samordningsnummer) born at most 130 years before `today`.
fn valid_personnummer() -> impl Strategy<Value = (Date, Date, u16, bool)> {
    (any_today(), 0i64..=130 * 366, 0u16..1000, any::<bool>()).prop_filter_map(
        "born before 1800",
        |(today, age_days, serial, samordning)| {
            let birth = today.checked_sub(Span::new().days(age_days)).ok()?;
            (birth.year() >= 1800).then_some((today, birth, serial, samordning))
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    #[test]
    fn parsing_never_panics(kind in any_kind(), raw in near_identity(), context in any_context()) {
        let _ = Identity::parse(kind, &raw, context);
    }

    #[test]
    fn normalising_is_idempotent(kind in any_kind(), raw in near_identity(), context in any_context()) {
        if let Ok(identity) = Identity::parse(kind, &raw, context) {
            let again = Identity::parse(kind, identity.expose(), context);
            prop_assert_eq!(again.as_ref(), Ok(&identity), "{:?}", raw);
            prop_assert_eq!(identity.kind(), kind);
        }
    }

    #[test]
    fn no_message_and_no_debug_contains_the_value(
        kind in any_kind(),
        raw in near_identity(),
        context in any_context(),
    ) {
        let trimmed = raw.trim();
        match Identity::parse(kind, &raw, context) {
            Ok(identity) => {
                // The kind and nothing else, whatever the value.
                let expected = match kind {
                    IdentityKind::Email => "Email(<redacted>)",
                    IdentityKind::Phone => "Phone(<redacted>)",
                    IdentityKind::Personnummer => "Personnummer(<redacted>)",
                    IdentityKind::CustomerNumber => "CustomerNumber(<redacted>)",
                    IdentityKind::ExternalId => "ExternalId(<redacted>)",
                };
                prop_assert_eq!(format!("{identity:?}"), expected);
                prop_assert_eq!(format!("{identity:#?}"), expected);
                prop_assert_eq!(identity.to_string(), expected);
            }
            Err(error) => {
                // A short or common input can be a piece of the fixed wording ("e", "phone");
                // anything else in a message would be an echo.
                prop_assume!(trimmed.chars().count() >= 3 && !wording().contains(trimmed));
                prop_assert!(!error.to_string().contains(trimmed), "{}", error);
                let debug = format!("{error:?}");
                prop_assert!(!debug.contains(trimmed), "{}", debug);
            }
        }
    }

    #[test]
    fn ten_and_twelve_digit_forms_agree(
        (today, birth, serial, samordning) in valid_personnummer(),
    ) {
        let ten = ten_digits(birth, serial, samordning);
        let twelve = format!("{:02}{ten}", birth.year() / 100);
        let context = sweden(today);
        let parse = |raw: &str| Identity::parse(IdentityKind::Personnummer, raw, context);

        let identity = parse(&twelve).unwrap();
        prop_assert_eq!(identity.expose(), &twelve);
        prop_assert_eq!(identity.is_samordningsnummer(), samordning);
        prop_assert_eq!(parse(&format!("{}-{}", &twelve[..8], &twelve[8..])).unwrap(), identity.clone());

        // Skatteverket's rule: `+` from the year the person turns 100.
        let separator = if birth.year() <= today.year() - 100 { '+' } else { '-' };
        let written = format!("{}{separator}{}", &ten[..6], &ten[6..]);
        prop_assert_eq!(parse(&written).unwrap(), identity.clone(), "{}", written);
        if birth.year() > today.year() - 100 {
            prop_assert_eq!(parse(&ten).unwrap(), identity.clone());
        }
        // Any other check digit is refused.
        let wrong = (ten.as_bytes()[9] - b'0' + 1) % 10;
        let wrong = format!("{}{wrong}", &twelve[..11]);
        prop_assert_eq!(parse(&wrong).map_err(|e| e.problem), Err(IdentityProblem::PersonnummerChecksum));
    }

    #[test]
    fn births_after_today_are_refused(today in any_today(), ahead in 1i64..=3650, serial in 0u16..1000) {
        let birth = today.checked_add(Span::new().days(ahead)).unwrap();
        let ten = ten_digits(birth, serial, false);
        let twelve = format!("{:02}{ten}", birth.year() / 100);
        prop_assert_eq!(pnr(&twelve, today), Err(IdentityProblem::PersonnummerFuture));
    }
}

#[test]
fn masked_identities_show_only_a_hint() {
    let today = date(2026, 3, 1);
    let parse = |kind, raw| Identity::parse(kind, raw, sweden(today)).unwrap();
    assert_eq!(
        parse(IdentityKind::Email, "Birgitta.Holm@Example.com").masked(),
        "b…@example.com"
    );
    assert_eq!(
        parse(IdentityKind::Phone, "070-123 45 67").masked(),
        "+46…67"
    );
    assert_eq!(
        parse(IdentityKind::CustomerNumber, "C-10042").masked(),
        "…42"
    );
    assert_eq!(parse(IdentityKind::CustomerNumber, "7").masked(), "…");
}

proptest! {
    #[test]
    fn masking_never_panics_and_never_shows_an_address_whole(local in "[a-z]{2,20}") {
        let address = format!("{local}@example.se");
        let identity =
            Identity::parse(IdentityKind::Email, &address, sweden(date(2026, 3, 1))).unwrap();
        let masked = identity.masked();
        // The local part is what is hidden; the domain is shown whole (and may contain the
        // local part's letters: `le` is in `example`).
        let (shown_local, domain) = masked.split_once('@').unwrap();
        prop_assert!(!shown_local.contains(&local));
        prop_assert_eq!(domain, "example.se");
    }
}
