//! A search for one subject, and normal forms equal to the vault's (`skydd-subject`), so a
//! finding can be looked up in the same blind index as a stored identity.

use proptest::prelude::*;
use skydd_pii::{Context, Kind, SubjectSearch, recognise};
use skydd_subject::{Identity, IdentityKind, ParseContext};

use crate::{TODAY, luhn_digit};

fn vault_normal(kind: IdentityKind, raw: &str) -> String {
    Identity::parse(kind, raw, ParseContext::sweden(TODAY))
        .unwrap()
        .expose()
        .to_owned()
}

#[test]
fn a_search_keeps_only_the_subjects_findings() {
    let mut search = SubjectSearch::new(TODAY).with_name("Anna Maria Svensson");
    assert_eq!(search.add_identifier("070-123 45 67"), Some(Kind::Phone));
    assert_eq!(search.add_identifier("not an identifier"), None);
    search.add_normal(&vault_normal(IdentityKind::Email, "Anna@Example.se"));
    search.add_normal(&vault_normal(IdentityKind::Personnummer, "811218-9876"));
    let text = "Från anna svensson: ring +46 70 123 45 67, inte 070-765 43 21. \
                Mejl ANNA@example.se, pnr 19811218-9876; Eriks pnr 121212-1212.";
    let mine: Vec<_> = search
        .find(text)
        .into_iter()
        .map(|f| (f.kind, &text[f.span]))
        .collect();
    assert_eq!(
        mine,
        [
            (Kind::Name, "anna svensson"),
            (Kind::Phone, "+46 70 123 45 67"),
            (Kind::Email, "ANNA@example.se"),
            (Kind::Personnummer, "19811218-9876"),
        ]
    );
    assert_eq!(
        format!("{search:?}"),
        "SubjectSearch { context: Context { reference: 2025-06-01, names: 2 }, identities: 3 }"
    );
}

#[test]
fn spellings_normalise_as_the_vault_does() {
    let context = Context::new(TODAY);
    for (kind, raw) in [
        (IdentityKind::Phone, "070-123 45 67"),
        (IdentityKind::Phone, "+46 (0)70-123 45 67"),
        (IdentityKind::Phone, "0046 8 123 456 78"),
        (IdentityKind::Phone, "+358 40 123 4567"),
        (IdentityKind::Phone, "+49 030 1234567"),
        (IdentityKind::Email, "Anna.Svensson@Example.SE"),
        (IdentityKind::Personnummer, "121212+1212"),
        (IdentityKind::Personnummer, "121212-1212"),
        (IdentityKind::Personnummer, "1212121212"),
        (IdentityKind::Personnummer, "19121212-1212"),
    ] {
        let finding = recognise(raw, &context).unwrap_or_else(|| panic!("{raw}"));
        assert_eq!(finding.normal.as_str(), vault_normal(kind, raw), "{raw}");
    }
}

/// A valid 10-digit personnummer: date of birth (year, month, day) and serial, as digits.
fn personnummer() -> impl Strategy<Value = (i16, i8, i8, u16)> {
    (1876i16..=2025, 1i8..=12, 1i8..=31, 0u16..1000).prop_filter(
        "a real date not after the reference date",
        |&(y, m, d, _)| jiff::civil::Date::new(y, m, d).is_ok_and(|date| date <= TODAY),
    )
}

fn with_check(y: i16, m: i8, d: i8, serial: u16) -> String {
    let nine = format!("{:02}{m:02}{d:02}{serial:03}", y % 100);
    let check = luhn_digit(&nine);
    format!("{nine}{check}")
}

proptest! {
    #[test]
    fn personnummer_normal_forms_equal_the_vaults(
        (y, m, d, serial) in personnummer(),
        form in 0usize..4,
    ) {
        let ten = with_check(y, m, d, serial);
        let plus = y <= TODAY.year() - 100;
        let raw = match form {
            0 => format!("{}{}{}", &ten[..6], if plus { '+' } else { '-' }, &ten[6..]),
            1 => format!("{y:04}{}", &ten[2..]),
            2 => format!("{y:04}{}-{}", &ten[2..6], &ten[6..]),
            _ => ten.clone(),
        };
        let vault = Identity::parse(IdentityKind::Personnummer, &raw, ParseContext::sweden(TODAY));
        let found = recognise(&raw, &Context::new(TODAY));
        match (vault, found) {
            (Ok(identity), Some(finding)) => prop_assert_eq!(identity.expose(), finding.normal.as_str()),
            (Err(_), None) => {}
            (vault, found) => prop_assert!(false, "{raw}: vault {:?}, scan {:?}", vault.is_ok(), found.is_some()),
        }
    }
}
