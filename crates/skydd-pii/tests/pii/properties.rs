//! Properties of the recognizers, `scan` and `redact` over generated input.

use proptest::prelude::*;
use skydd_pii::corpus::{Generator, TEMPLATES};
use skydd_pii::{Context, Kind, Style, iban, redact, scan};

use crate::{TODAY, luhn_digit};

/// A date of birth at most 150 years before the reference date, a serial, and whether it is
/// written as a samordningsnummer.
fn birth() -> impl Strategy<Value = (jiff::civil::Date, u16, bool)> {
    (0i32..150 * 366, 0u16..1000, any::<bool>()).prop_filter_map(
        "within 150 years",
        |(days, serial, coordination)| {
            let date = TODAY.checked_sub(jiff::Span::new().days(days)).ok()?;
            (date.year() >= TODAY.year() - 150).then_some((date, serial, coordination))
        },
    )
}

fn kinds_in(text: &str) -> Vec<(Kind, String, std::ops::Range<usize>)> {
    scan(text, &Context::new(TODAY))
        .into_iter()
        .map(|f| (f.kind, f.normal.as_str().to_owned(), f.span))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn personnummer_round_trip_in_every_spelling(
        (date, serial, coordination) in birth(),
        form in 0usize..5,
    ) {
        let day = date.day() + if coordination { 60 } else { 0 };
        let yymmdd = format!("{:02}{:02}{day:02}", date.year() % 100, date.month());
        let nine = format!("{yymmdd}{serial:03}");
        let ten = format!("{nine}{}", luhn_digit(&nine));
        let year = date.year();
        // `+` from the year the person turns 100.
        let plus = year <= TODAY.year() - 100;
        let written = match form {
            0 => format!("{}{}{}", &ten[..6], if plus { '+' } else { '-' }, &ten[6..]),
            1 => format!("{year}{}", &ten[2..]),
            2 => format!("{year}{}-{}", &ten[2..6], &ten[6..]),
            // Bare 10 digits only say the century for people under 100.
            3 if !plus => ten.clone(),
            _ => format!("{year}{}", &ten[2..]),
        };
        let text = format!("Kund, pnr {written}, hörde av sig.");
        let found = kinds_in(&text);
        let kind = if coordination { Kind::Samordningsnummer } else { Kind::Personnummer };
        let start = text.find(&written).unwrap();
        prop_assert_eq!(
            found,
            vec![(kind, format!("{year}{}", &ten[2..]), start..start + written.len())]
        );
    }

    #[test]
    fn a_wrong_check_digit_is_never_found(
        (date, serial, coordination) in birth(),
        wrong in 1u32..10,
        card_body in proptest::collection::vec(0u8..10, 15),
    ) {
        let day = date.day() + if coordination { 60 } else { 0 };
        let nine = format!("{:02}{:02}{day:02}{serial:03}", date.year() % 100, date.month());
        let bad = (luhn_digit(&nine) + wrong) % 10;
        let pnr = format!("{}-{}{bad}", &nine[..6], &nine[6..]);
        let body: String = std::iter::once('4')
            .chain(card_body.iter().skip(1).map(|&d| char::from(b'0' + d)))
            .collect();
        let card = format!("{body}{}", (luhn_digit(&body) + wrong) % 10);
        let text = format!("personnummer {pnr}, kort {card}");
        let found = kinds_in(&text);
        prop_assert!(
            found.iter().all(|(kind, _, _)| !matches!(
                kind,
                Kind::Personnummer | Kind::Samordningsnummer | Kind::Card
            )),
            "{text}: {found:?}"
        );
    }

    #[test]
    fn valid_ibans_round_trip(
        country in 0usize..iban::LENGTHS.len(),
        digits in proptest::collection::vec(0u8..10, 30),
        grouped in any::<bool>(),
    ) {
        let (code, length) = iban::LENGTHS[country];
        let bban: String = digits[..length - 4].iter().map(|&d| char::from(b'0' + d)).collect();
        let rearranged = format!("{bban}{code}00");
        let remainder = rearranged.bytes().fold(0u32, |r, c| match c {
            b'0'..=b'9' => (r * 10 + u32::from(c - b'0')) % 97,
            _ => (r * 100 + u32::from(c - b'A') + 10) % 97,
        });
        let normal = format!("{code}{:02}{bban}", 98 - remainder);
        let written = if grouped {
            normal
                .as_bytes()
                .chunks(4)
                .map(|c| std::str::from_utf8(c).unwrap())
                .collect::<Vec<_>>()
                .join(" ")
        } else {
            normal.clone()
        };
        let text = format!("Konto: {written}.");
        prop_assert_eq!(kinds_in(&text), vec![(Kind::Iban, normal, 7..7 + written.len())]);
    }

    #[test]
    fn redaction_leaves_no_byte_of_a_finding(seed in any::<u64>(), template in 0usize..TEMPLATES.len()) {
        let document = Generator::new(seed, TODAY).document(&TEMPLATES[template]);
        let context = document
            .names
            .iter()
            .fold(Context::new(TODAY), |c, name| c.with_name(name));
        let findings = scan(&document.text, &context);
        for style in [Style::Label, Style::Mask] {
            let redacted = redact(&document.text, &findings, style);
            for finding in &findings {
                let value = &document.text[finding.span.clone()];
                prop_assert!(!redacted.contains(value), "{value:?} left in {redacted:?}");
            }
            let again: Vec<_> = scan(&redacted, &context)
                .into_iter()
                .filter(|f| findings.iter().any(|g| g.normal == f.normal))
                .collect();
            prop_assert!(again.is_empty(), "{redacted:?}: found again {again:?}");
        }
    }

    #[test]
    fn any_text_scans_without_panic_and_spans_are_on_char_boundaries(
        text in any::<String>(),
        dense in "[0-9 +\\-:./@a-fA-FåäöÅÄÖé€,\n]{0,120}",
    ) {
        let context = Context::new(TODAY).with_name("Åsa Öberg").with_name("a b");
        for text in [text.as_str(), dense.as_str()] {
            let findings = scan(text, &context);
            for finding in &findings {
                prop_assert!(finding.span.start < finding.span.end);
                prop_assert!(text.is_char_boundary(finding.span.start));
                prop_assert!(text.is_char_boundary(finding.span.end));
            }
            for pair in findings.windows(2) {
                prop_assert!(pair[0].span.end <= pair[1].span.start);
            }
            let _ = redact(text, &findings, Style::Label);
        }
    }
}
