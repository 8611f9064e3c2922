//! Whole texts: what is found, with which span and normal form, and how overlaps resolve.

use skydd_pii::{Confidence, Context, Kind, MASK, Style, redact, scan};

use crate::{TODAY, found};

#[test]
fn a_support_ticket_in_swedish() {
    let text = "Hej!\nJag heter Anna Svensson (pnr 19811218-9876) och bor på Storgatan 12, \
                123 45 Stockholm. Ring 070-123 45 67 eller +49 30 1234567, mejla \
                Anna.Svensson@Example.se. Kort: 4111 1111 1111 1111, konto SE45 5000 0000 \
                0583 9825 7466. Vårt org.nr 556677-8899. Inloggad från 192.168.10.20 och \
                2001:db8::7.";
    let context = Context::new(TODAY).with_name("Anna Svensson");
    let findings = scan(text, &context);
    let shown: Vec<_> = findings
        .iter()
        .map(|f| (f.kind, &text[f.span.clone()], f.normal.as_str()))
        .collect();
    assert_eq!(
        shown,
        [
            (Kind::Name, "Anna Svensson", "anna svensson"),
            (Kind::Personnummer, "19811218-9876", "198112189876"),
            (
                Kind::Address,
                "Storgatan 12, 123 45 Stockholm",
                "storgatan 12 12345 stockholm"
            ),
            (Kind::Phone, "070-123 45 67", "+46701234567"),
            (Kind::Phone, "+49 30 1234567", "+49301234567"),
            (
                Kind::Email,
                "Anna.Svensson@Example.se",
                "anna.svensson@example.se"
            ),
            (Kind::Card, "4111 1111 1111 1111", "4111111111111111"),
            (
                Kind::Iban,
                "SE45 5000 0000 0583 9825 7466",
                "SE4550000000058398257466"
            ),
            (Kind::Organisationsnummer, "556677-8899", "5566778899"),
            (Kind::IpAddress, "192.168.10.20", "192.168.10.20"),
            (Kind::IpAddress, "2001:db8::7", "2001:db8::7"),
        ]
    );
    let redacted = redact(text, &findings, Style::Label);
    assert!(
        redacted.starts_with("Hej!\nJag heter [name] (pnr [personnummer]) och bor på [address].")
    );
    assert!(redacted.ends_with("från [ip_address] och [ip_address]."));
    assert_eq!(
        redact(text, &findings, Style::Mask).matches(MASK).count(),
        findings.len()
    );
}

#[test]
fn a_personnummer_is_not_also_a_phone_number() {
    // 0701234569 is a mobile number and, born 23 January 2007, a valid personnummer: both
    // recognizers claim it; the word before it decides, and without one the personnummer wins.
    let both = "0701234569";
    let phone = scan("tel 0701234569", &Context::new(TODAY));
    assert_eq!(phone.len(), 1);
    assert_eq!(phone[0].kind, Kind::Phone);
    assert_eq!(phone[0].confidence, Confidence::High);
    let pnr = scan("pnr 0701234569", &Context::new(TODAY));
    assert_eq!(pnr.len(), 1);
    assert_eq!(pnr[0].kind, Kind::Personnummer);
    assert_eq!(found(both), [(Kind::Personnummer, both)]);
}

#[test]
fn findings_are_sorted_and_never_overlap() {
    let text = "19811218-9876 0701234567 4111111111111111 anna@example.se 08-123 456 78";
    let findings = scan(text, &Context::new(TODAY));
    assert_eq!(findings.len(), 5);
    for pair in findings.windows(2) {
        assert!(pair[0].span.end <= pair[1].span.start);
    }
}

#[test]
fn debug_and_json_never_show_the_value() {
    let text = "anna@example.se 19811218-9876";
    let findings = scan(text, &Context::new(TODAY));
    let debug = format!("{findings:?} {:#?}", findings[0]);
    assert!(
        !debug.contains("anna") && !debug.contains("9876"),
        "{debug}"
    );
    assert!(debug.contains("NormalForm(<redacted>)"));
    let json = serde_json::to_string(&findings).unwrap();
    assert_eq!(
        json,
        r#"[{"kind":"email","span":{"start":0,"end":15},"confidence":"high"},{"kind":"personnummer","span":{"start":16,"end":29},"confidence":"high"}]"#
    );
}
