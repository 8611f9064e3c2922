#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The notice, the diff and the Art. 30 record, written from the example registers and from
//! small registers made for one point each.

mod notice {
    pub(crate) mod html;
}

use notice::html::check_well_formed;
use skydd_notice::diff::Significance;
use skydd_notice::{diff, record, render_html, render_markdown};
use skydd_register::Register;
use skydd_register::model::Language;

const EXAMPLES: [(&str, &str); 4] = [
    (
        "glesys",
        include_str!("../../../examples/registers/glesys.yaml"),
    ),
    (
        "partnersec",
        include_str!("../../../examples/registers/partnersec.yaml"),
    ),
    (
        "syspeace",
        include_str!("../../../examples/registers/syspeace.yaml"),
    ),
    (
        "workitems",
        include_str!("../../../examples/registers/workitems.yaml"),
    ),
];

const BASE: &str = include_str!("fixtures/base.yaml");

fn register(source: &str) -> Register {
    let checked = skydd_register::check(source);
    checked
        .register
        .unwrap_or_else(|| panic!("invalid register: {:#?}", checked.diagnostics))
}

/// `BASE` with one edit, which must apply.
fn base_with(from: &str, to: &str) -> Register {
    assert!(BASE.contains(from), "fixture has no `{from}`");
    register(&BASE.replacen(from, to, 1))
}

fn language_name(language: Language) -> &'static str {
    match language {
        Language::En => "en",
        Language::Sv => "sv",
    }
}

// ---- the notice ------------------------------------------------------------------------------

#[test]
fn notices_of_the_example_registers() {
    for (name, source) in EXAMPLES {
        let register = register(source);
        for language in [Language::En, Language::Sv] {
            let lang = language_name(language);
            let html = render_html(&register, language);
            if let Err(problem) = check_well_formed(&html) {
                panic!("{name} {lang}: the HTML is not well formed: {problem}");
            }
            insta::assert_snapshot!(format!("notice_{name}_{lang}_html"), html);
            insta::assert_snapshot!(
                format!("notice_{name}_{lang}_md"),
                render_markdown(&register, language)
            );
        }
    }
}

#[test]
fn every_section_a_notice_needs_is_there_in_both_languages() {
    let register = register(EXAMPLES[0].1);
    let en = render_markdown(&register, Language::En);
    for heading in [
        "## Who we are",
        "## What personal data we process",
        "## Why we process your data and on which legal basis",
        "## Where your data comes from",
        "## Who receives your data",
        "## Transfers outside the EU/EEA",
        "## How long we keep your data",
        "## Cookies and similar technologies",
        "## Your rights",
        "## Data protection officer",
        "## Complaints to the supervisory authority",
        "## Changes to this notice",
    ] {
        assert!(en.contains(heading), "missing {heading}");
    }
    let sv = render_markdown(&register, Language::Sv);
    for words in [
        "personuppgiftsansvarig",
        "personuppgiftsbiträde",
        "Rättslig grund",
        "Berättigat intresse",
        "lagringstid",
        "tredje land",
        "Integritetsskyddsmyndigheten (IMY)",
        "Dataskyddsombud",
    ] {
        assert!(sv.contains(words), "the Swedish notice lacks `{words}`");
    }
    // P001-01, P001-36, P001-38: org. number, DPO and the date come from the register.
    assert!(en.contains("GleSYS AB (Swedish corporate identity number 556647-9241)"));
    assert!(en.contains("Johan Boger"));
    assert!(en.contains("Last updated 7 May 2018"));
    assert!(sv.contains("Senast uppdaterad 7 maj 2018"));
    // P001-28: the address requests are sent to (the policy leaves it out; the register names
    // one), in the rights section of both languages.
    assert!(en.contains("privacy@glesys.example"));
    assert!(sv.contains("privacy@glesys.example"));
    // Processor activities stay out of the controller's notice (P000-06).
    assert!(!en.contains("Hosting our customers' data on their instructions"));
}

#[test]
fn version_and_date_follow_the_register_content() {
    let base = register(BASE);
    let html = render_html(&base, Language::En);
    let version = skydd_notice::NoticeVersion::of(&base);
    assert_eq!(version.version, base.digest()[..12]);
    assert!(html.contains(&format!("Version {}", version.version)));
    assert!(html.contains("Last updated 29 February 2024"));
    // P000-01: the date at the top and the bottom.
    assert_eq!(html.matches("Last updated 29 February 2024").count(), 2);

    let edited = base_with("keep: 90 days", "keep: 60 days");
    let edited_version = skydd_notice::NoticeVersion::of(&edited);
    assert_ne!(edited_version.version, version.version);
    let republished = base_with("published: 2024-02-29", "published: 2024-03-01");
    assert!(render_html(&republished, Language::En).contains("Last updated 1 March 2024"));
}

/// The rights section points at the privacy centre, in the notice's language, first under
/// "How to use your rights" (issue 18).
#[test]
fn the_rights_section_links_to_the_privacy_centre() {
    let register = register(BASE);
    for (language, how, link) in [
        (
            Language::En,
            "How to use your rights",
            "[privacy centre](</privacy-centre?lang=en>)",
        ),
        (
            Language::Sv,
            "Så utövar du dina rättigheter",
            "[integritetscenter](</privacy-centre?lang=sv>)",
        ),
    ] {
        let mut notice = skydd_notice::notice(&register, language);
        skydd_notice::link_privacy_centre(&mut notice, "/privacy-centre");
        let md = notice.to_markdown();
        let (how, link) = (md.find(how).unwrap(), md.find(link).unwrap());
        assert!(how < link, "{md}");
        assert_eq!(
            md[how..link].matches("\n\n").count(),
            1,
            "the first paragraph: {md}"
        );
        check_well_formed(&notice.to_html()).unwrap();
    }
}

/// Changes announced by letter (issue 20: a policy that promises notice "by post"): the
/// register lists `post`, the notice says it in both languages.
#[test]
fn changes_can_be_announced_by_post() {
    assert!(
        !BASE.contains("\nchanges:"),
        "the fixture announces nothing yet"
    );
    let register = register(&format!("{BASE}\nchanges:\n  announce: [post, email]\n"));
    for (language, expected) in [
        (
            Language::En,
            "a longer retention time, by post and by e-mail.",
        ),
        (
            Language::Sv,
            "en längre lagringstid, meddelar vi per brev och via e-post.",
        ),
    ] {
        let md = skydd_notice::notice(&register, language).to_markdown();
        assert!(md.contains(expected), "{md}");
    }
}

#[test]
fn register_texts_are_escaped_in_html_and_markdown() {
    let hostile = base_with(
        "name: {en: Contact details, sv: Kontaktuppgifter}",
        "name: {en: \"<script>alert('x')</script> & *bold* [link](https://evil.example)\", sv: \"<b>fet</b> | ## rubrik\"}",
    );
    let html = render_html(&hostile, Language::En);
    check_well_formed(&html).unwrap();
    assert!(!html.contains("<script>"));
    assert!(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; *bold*"));
    let md = render_markdown(&hostile, Language::En);
    assert!(md.contains(
        "\\<script\\>alert('x')\\</script\\> \\& \\*bold\\* \\[link\\](https://evil.example)"
    ));
    let sv = render_markdown(&hostile, Language::Sv);
    assert!(sv.contains("\\<b\\>fet\\</b\\> \\| \\#\\# rubrik"));
    check_well_formed(&render_html(&hostile, Language::Sv)).unwrap();
}

#[test]
fn a_missing_swedish_text_falls_back_to_english_with_a_warning() {
    let source = BASE.replacen(
        "name: {en: Server logs, sv: Serverloggar}",
        "name: Server logs",
        1,
    );
    let checked = skydd_register::check(&source);
    let warnings: Vec<_> = checked
        .diagnostics
        .iter()
        .filter(|d| d.code == "missing-translation")
        .collect();
    assert_eq!(warnings.len(), 1, "{:#?}", checked.diagnostics);
    assert!(!warnings[0].is_error());
    let register = checked
        .register
        .expect("a warning keeps the register valid");
    let sv = render_markdown(&register, Language::Sv);
    assert!(sv.contains("**Server logs**"));
    assert!(sv.contains("Kontaktuppgifter"));
    // Without `sv` among the languages, no warning.
    let english_only = source.replacen("languages: [en, sv]", "languages: [en]", 1);
    let checked = skydd_register::check(&english_only);
    assert!(
        !checked
            .diagnostics
            .iter()
            .any(|d| d.code == "missing-translation")
    );
}

// ---- retention in plain words ----------------------------------------------------------------

fn retention_of(register: &Register, language: Language, category: &str) -> String {
    let id = skydd_register::model::CategoryId(category.to_owned());
    skydd_notice::retention::for_category(register, language, &id).join(" ")
}

#[test]
fn retention_in_months_after_an_event() {
    let r = register(BASE);
    assert_eq!(
        retention_of(&r, Language::En, "contact"),
        "24 months after the contract ends. Then the data is deleted."
    );
    assert_eq!(
        retention_of(&r, Language::Sv, "contact"),
        "24 månader efter att avtalet har upphört. Sedan raderas uppgifterna."
    );
    let one = base_with("keep: 24 months", "keep: 1 month");
    assert!(
        retention_of(&one, Language::En, "contact").starts_with("1 month after the contract ends")
    );
    assert!(retention_of(&one, Language::Sv, "contact").starts_with("1 månad efter att avtalet"));
}

#[test]
fn retention_in_days_and_anonymisation() {
    let r = base_with("keep: 90 days}", "keep: 90 days, action: anonymise}");
    assert_eq!(
        retention_of(&r, Language::En, "logs"),
        "90 days after collection. Then the data is anonymised so that it no longer identifies you."
    );
    assert_eq!(
        retention_of(&r, Language::Sv, "logs"),
        "90 dagar efter insamlingen. Sedan anonymiseras uppgifterna så att de inte längre kan kopplas till dig."
    );
    // P002-19: 0 days after collection is "not stored", not "until we collected it".
    let zero = base_with("keep: 90 days", "keep: 0 days");
    assert_eq!(
        retention_of(&zero, Language::Sv, "logs"),
        "Vi sparar dem inte: de raderas så snart de har använts."
    );
    assert_eq!(
        retention_of(&zero, Language::En, "logs"),
        "We do not store it: it is deleted as soon as it has been used."
    );
}

#[test]
fn retention_while_a_state_holds() {
    let r = register(BASE);
    assert_eq!(
        retention_of(&r, Language::En, "newsletter"),
        "As long as you are our customer. Then the data is deleted."
    );
    assert_eq!(
        retention_of(&r, Language::Sv, "newsletter"),
        "Så länge du är kund hos oss. Sedan raderas uppgifterna."
    );
    let invoices_en = retention_of(&r, Language::En, "invoices");
    assert!(
        invoices_en.starts_with(
            "As long as you are our customer, and then 3 months after the contract ends. Then the data is deleted."
        ),
        "{invoices_en}"
    );
    let invoices_sv = retention_of(&r, Language::Sv, "invoices");
    assert!(
        invoices_sv.starts_with(
            "Så länge du är kund hos oss och därefter 3 månader efter att avtalet har upphört."
        ),
        "{invoices_sv}"
    );
}

#[test]
fn legal_holds_round_to_the_end_of_the_seventh_year() {
    let r = register(BASE);
    let en = retention_of(&r, Language::En, "invoices");
    assert!(
        en.contains("Accounting records: Bokföringslagen (1999:1078) 7 kap. 2 § requires us to keep them until the end of the seventh calendar year after the end of the financial year, even if you ask us to erase them. Until then they are used only for bookkeeping required by law."),
        "{en}"
    );
    let sv = retention_of(&r, Language::Sv, "invoices");
    assert!(
        sv.contains("Räkenskapsinformation: enligt Bokföringslagen (1999:1078) 7 kap. 2 § måste vi spara dem till utgången av det sjunde kalenderåret efter räkenskapsårets slut"),
        "{sv}"
    );
    // The words match the arithmetic: a financial year ending 2024-06-30 is kept to 2031-12-31.
    let hold = &r.legal_holds[0];
    assert_eq!(
        hold.clock.expires_on(jiff::civil::date(2024, 6, 30)),
        Some(jiff::civil::date(2031, 12, 31))
    );
    let months = base_with(
        "keep: 7 years\n    round_up_to: end_of_year",
        "keep: 18 months\n    round_up_to: end_of_month",
    );
    assert!(retention_of(&months, Language::En, "invoices").contains(
        "18 months after the end of the financial year, counted to the end of that month"
    ));
}

// ---- the diff --------------------------------------------------------------------------------

#[test]
fn an_unchanged_register_has_no_changes() {
    let d = diff(&register(BASE), &register(BASE));
    assert!(d.is_empty());
    assert!(!d.is_significant());
    assert!(d.render_text("old", "new").ends_with("no changes\n"));
}

fn significances(old: &Register, new: &Register) -> Vec<Significance> {
    diff(old, new)
        .significant()
        .filter_map(|c| c.significance)
        .collect()
}

#[test]
fn longer_retention_is_significant_and_shorter_is_not() {
    let base = register(BASE);
    let longer = base_with("keep: 24 months", "keep: 36 months");
    assert_eq!(
        significances(&base, &longer),
        vec![Significance::LongerRetention]
    );
    let shorter = base_with("keep: 24 months", "keep: 2 years");
    assert!(
        !diff(&base, &shorter).is_significant(),
        "{:#?}",
        diff(&base, &shorter)
    );
    let shorter = base_with("keep: 24 months", "keep: 700 days");
    let d = diff(&base, &shorter);
    assert!(!d.is_significant());
    assert_eq!(d.changes.len(), 1);
    let rounded = base_with(
        "keep: 24 months}",
        "keep: 24 months, round_up_to: end_of_month}",
    );
    assert_eq!(
        significances(&base, &rounded),
        vec![Significance::LongerRetention]
    );
}

#[test]
fn consent_wording_changes_are_reported_per_purpose() {
    let base = register(BASE);
    let reworded = base_with(
        "Send me the monthly newsletter.",
        "Send me the weekly newsletter.",
    );
    let d = diff(&base, &reworded);
    assert_eq!(
        significances(&base, &reworded),
        vec![Significance::ChangedConsentWording]
    );
    let renew: Vec<_> = d.consent_renewal_needed().map(|p| p.as_str()).collect();
    assert_eq!(renew, ["marketing"]);
    let purpose = d
        .purposes
        .iter()
        .find(|p| p.id.as_str() == "marketing")
        .unwrap();
    assert!(purpose.consent_wording_changed && purpose.significant);
    let text = d.render_text("old.yaml", "new.yaml");
    assert!(text.contains("! purposes `marketing`: changed consent.wording: Send me the monthly newsletter. -> Send me the weekly newsletter.  [significant: changed consent wording]"), "{text}");
    assert!(text.contains("consents to renew (wording changed): `marketing`"));
    assert!(d.published_unchanged());
    assert!(text.contains("note: the content changed but `published` is still 2024-02-29"));
    let republished = register(
        &BASE
            .replacen(
                "Send me the monthly newsletter.",
                "Send me the weekly newsletter.",
                1,
            )
            .replacen("published: 2024-02-29", "published: 2024-04-01", 1),
    );
    assert!(!diff(&base, &republished).published_unchanged());
    // Only the Swedish wording: still a changed wording.
    let swedish = base_with(
        "Skicka mig det månatliga nyhetsbrevet.",
        "Skicka mig veckans nyhetsbrev.",
    );
    assert_eq!(diff(&base, &swedish).consent_renewal_needed().count(), 1);
}

#[test]
fn new_purposes_recipients_categories_and_bases_are_significant() {
    let base = register(BASE);
    let basis = base_with(
        "invoices: contract}\n",
        "invoices: [contract, legal_obligation]}\n    law: {en: Bokföringslagen (1999:1078), sv: Bokföringslagen (1999:1078)}\n",
    );
    assert!(significances(&base, &basis).contains(&Significance::ChangedLegalBasis));

    let new_category = base_with(
        "legal_basis: {newsletter: consent}",
        "legal_basis: {newsletter: consent, contact: consent}",
    );
    assert!(significances(&base, &new_category).contains(&Significance::NewDataCategory));

    let new_field = base_with(
        "fields: [amount]",
        "fields: [amount, {id: personnummer, format: personnummer}]",
    );
    assert_eq!(
        significances(&base, &new_field),
        vec![Significance::NewDataCategory]
    );

    let new_purpose = register(&BASE.replacen(
        "retention:\n",
        "  - id: analytics\n    name: {en: Analytics, sv: Analys}\n    role: controller\n    subjects: [customer]\n    sources: [data_subject]\n    legal_basis: {logs: legitimate_interest}\n    legitimate_interest: {balancing: {en: Aggregated only, sv: Bara aggregerat}}\nretention:\n",
        1,
    ));
    let d = diff(&base, &new_purpose);
    assert!(significances(&base, &new_purpose).contains(&Significance::NewPurpose));
    let added = d
        .purposes
        .iter()
        .find(|p| p.id.as_str() == "analytics")
        .unwrap();
    assert_eq!(added.kind, skydd_notice::ChangeKind::Added);
    assert!(added.significant);

    let recipient = register(&BASE.replacen(
        "security:\n",
        "recipients:\n  - {id: mailer, name: Mailer Inc, kind: processor, country: US, purposes: [marketing], transfer: {mechanism: scc, documented_in: https://example.se/scc}}\nsecurity:\n",
        1,
    ));
    assert_eq!(
        significances(&base, &recipient),
        vec![Significance::NewTransfer]
    );
    let notice = render_markdown(&recipient, Language::En);
    assert!(notice.contains("**Mailer Inc** (the United States): protected by the European Commission's standard contractual clauses"), "{notice}");
    // A safeguard declared for an EU/EEA recipient is not a third-country transfer.
    let in_eea = register(&BASE.replacen(
        "security:\n",
        "recipients:\n  - {id: mailer, name: Mailer AB, kind: processor, country: SE, purposes: [marketing], transfer: {mechanism: scc, documented_in: https://example.se/scc}}\nsecurity:\n",
        1,
    ));
    assert!(
        render_markdown(&in_eea, Language::En)
            .contains("We do not transfer your personal data to countries outside the EU/EEA.")
    );
    assert!(
        record(&in_eea, Language::En)
            .activities
            .iter()
            .all(|a| a.transfers.is_empty())
    );
    // Removing it again is a change, not a significant one.
    let removed = diff(&recipient, &base);
    assert!(!removed.is_empty() && !removed.is_significant());
}

#[test]
fn the_diff_serialises_for_the_server_and_the_cli() {
    let base = register(BASE);
    let longer = base_with("keep: 24 months", "keep: 36 months");
    let json = diff(&base, &longer).to_json();
    assert_eq!(json["changes"][0]["section"], "retention");
    assert_eq!(json["changes"][0]["significance"], "longer_retention");
    assert_eq!(json["old_published"], "2024-02-29");
}

// ---- the Art. 30 record ----------------------------------------------------------------------

/// Parse RFC 4180 CSV (quoted fields, doubled quotes, CRLF) back into rows.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => {
                assert!(field.is_empty(), "a quote inside an unquoted field");
                quoted = true;
            }
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') => {
                assert_eq!(chars.next(), Some('\n'), "CR without LF");
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, '\n') => panic!("a bare LF ends a row"),
            (false, c) => field.push(c),
        }
    }
    assert!(
        !quoted && field.is_empty() && row.is_empty(),
        "the last row must end with CRLF"
    );
    rows
}

#[test]
fn records_of_the_example_registers() {
    for (name, source) in EXAMPLES {
        let register = register(source);
        let record = record(&register, Language::En);
        let csv = record.to_csv(Language::En);
        let rows = parse_csv(&csv);
        assert_eq!(
            rows.len(),
            register.purposes.len() + 1,
            "{name}: one row per purpose"
        );
        assert!(
            rows.iter().all(|r| r.len() == 17),
            "{name}: every row has every column"
        );
        insta::assert_snapshot!(format!("record_{name}_csv"), csv);
        let html = record.to_html(&register, Language::En);
        check_well_formed(&html).unwrap();
        insta::assert_snapshot!(format!("record_{name}_html"), html);
    }
    let register = register(EXAMPLES[0].1);
    let sv = record(&register, Language::Sv);
    check_well_formed(&sv.to_html(&register, Language::Sv)).unwrap();
    insta::assert_snapshot!("record_glesys_sv_csv", sv.to_csv(Language::Sv));
}

#[test]
fn the_record_names_the_connected_systems_that_hold_each_category() {
    use skydd_notice::record::{System, record_with_systems};
    let glesys = register(EXAMPLES[0].1);
    let systems = [
        System {
            name: "shop".into(),
            description: Some("The web shop".into()),
            categories: vec!["customer_identity".into(), "invoice_data".into()],
        },
        System {
            name: "support".into(),
            description: None,
            categories: vec!["support_ticket".into(), "customer_identity".into()],
        },
    ];
    let record = record_with_systems(&glesys, Language::En, &systems);
    let invoicing = record
        .activities
        .iter()
        .find(|a| a.id == "invoicing")
        .unwrap();
    insta::assert_debug_snapshot!("record_glesys_invoicing_systems", invoicing.systems);
    assert!(
        invoicing
            .systems
            .iter()
            .any(|s| s.ends_with(": shop (The web shop)")),
        "{:?}",
        invoicing.systems
    );
    // Every activity names only systems holding one of its categories.
    for activity in &record.activities {
        for line in &activity.systems {
            assert!(line.contains("shop") || line.contains("support"), "{line}");
        }
    }
    let csv = record.to_csv(Language::En);
    let rows = parse_csv(&csv);
    assert_eq!(
        rows[0][12],
        "Systems holding the categories (connected databases)"
    );
    let html = record.to_html(&glesys, Language::En);
    check_well_formed(&html).unwrap();
    assert!(html.contains("shop (The web shop)"), "{html}");
    assert!(record.to_json()["activities"][0]["systems"].is_array());
    // Without systems the column is there and empty.
    let plain = record_with_systems(&glesys, Language::En, &[]);
    assert!(plain.activities.iter().all(|a| a.systems.is_empty()));
}

#[test]
fn the_record_has_every_art30_field_and_the_processor_part() {
    let glesys = register(EXAMPLES[0].1);
    let record = record(&glesys, Language::En);
    let invoicing = record
        .activities
        .iter()
        .find(|a| a.id == "invoicing")
        .unwrap();
    assert_eq!(invoicing.role, "controller");
    assert!(invoicing.controller.starts_with("GleSYS AB (Swedish corporate identity number 556647-9241), Box 134, 311 22 Falkenberg, Sweden, privacy@glesys.example"));
    assert_eq!(
        invoicing.dpo.as_deref(),
        Some("Johan Boger, dpo@glesys.example")
    );
    assert_eq!(invoicing.subjects, ["Customers and their contact persons"]);
    assert!(
        invoicing
            .recipients
            .iter()
            .any(|r| r == "Our partner for secure card payments (processor, Sweden)")
    );
    assert!(
        invoicing
            .retention
            .iter()
            .any(|r| r.starts_with("Invoices and payments: 3 months after the invoice is paid."))
    );
    assert!(!invoicing.security.is_empty());
    // The bookkeeping hold is listed under the purpose it serves.
    let bookkeeping = record
        .activities
        .iter()
        .find(|a| a.id == "bookkeeping")
        .unwrap();
    assert!(
        bookkeeping
            .retention
            .iter()
            .any(|r| r.contains("until the end of the seventh calendar year"))
    );
    // Art. 30(2): the processor activity names the controllers it serves, and comes last.
    let hosting = record.activities.last().unwrap();
    assert_eq!(hosting.id, "hosting_for_customers");
    assert_eq!(hosting.role, "processor");
    assert_eq!(
        hosting.on_behalf_of.as_deref(),
        Some("Our customers, each for the data they store in our services")
    );

    let syspeace = register(EXAMPLES[2].1);
    let record = skydd_notice::record(&syspeace, Language::En);
    assert!(record.activities.iter().any(|a| {
        a.transfers
            .iter()
            .any(|t| t.contains("the United States") && t.contains("documented in https://"))
    }));
}

#[test]
fn csv_quotes_what_needs_quoting() {
    use skydd_notice::record::csv_field;
    assert_eq!(csv_field("plain"), "plain");
    assert_eq!(csv_field("a, b"), "\"a, b\"");
    assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
    assert_eq!(csv_field("two\nlines"), "\"two\nlines\"");
    let hostile = base_with(
        "name: {en: Delivering the service,",
        "name: {en: \"Deliver, \\\"fast\\\"\\r\\nnow\",",
    );
    let csv = record(&hostile, Language::En).to_csv(Language::En);
    let rows = parse_csv(&csv);
    assert_eq!(rows[1][2], "Deliver, \"fast\"\r\nnow");
}

// ---- escaping, for any text ------------------------------------------------------------------

/// Undo `escape_html`.
fn unescape_html(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

fn document_with(value: &str) -> skydd_notice::Document {
    use skydd_notice::document::{Block, Document, Inline, Section, link, text};
    Document {
        language: Language::Sv,
        title: value.to_owned(),
        preamble: vec![vec![text(value)]],
        contents_heading: Some(value.to_owned()),
        sections: vec![Section {
            id: "s".to_owned(),
            heading: value.to_owned(),
            blocks: vec![
                Block::Paragraph(vec![text(value), Inline::Strong(value.to_owned())]),
                Block::Subheading(value.to_owned()),
                Block::List(vec![vec![link(
                    value,
                    format!("https://example.se/{value}"),
                )]]),
                Block::Table {
                    head: vec![value.to_owned()],
                    rows: vec![vec![vec![text(value)]]],
                },
            ],
        }],
        footer: vec![vec![text(value)]],
    }
}

proptest::proptest! {
    #[test]
    fn any_text_stays_text_in_html(value in "\\PC{0,40}") {
        let html = document_with(&value).to_html();
        proptest::prop_assert_eq!(check_well_formed(&html), Ok(()));
        let escaped = skydd_notice::document::escape_html(&value);
        proptest::prop_assert!(!escaped.contains(['<', '>', '"', '\'']));
        proptest::prop_assert_eq!(unescape_html(&escaped), value);
    }

    #[test]
    fn any_text_stays_text_in_markdown(value in "\\PC{0,40}") {
        let escaped = skydd_notice::document::escape_markdown(&value);
        // Every markup character is preceded by a backslash that is itself not escaped.
        let mut chars = escaped.chars();
        while let Some(c) = chars.next() {
            if c == '\\' {
                proptest::prop_assert!(chars.next().is_some(), "a lone backslash at the end");
                continue;
            }
            proptest::prop_assert!(!"`*_[]<>#|!&~".contains(c), "unescaped {c:?} in {escaped:?}");
        }
        let markdown = document_with(&value).to_markdown();
        proptest::prop_assert!(markdown.lines().filter(|l| l.starts_with("# ")).count() == 1);
    }
}

// ---- the version history ---------------------------------------------------------------------

#[test]
fn the_history_names_changes_by_the_names_people_read_and_escapes_them() {
    use skydd_notice::{
        InEffect, NoticePaths, VersionChanges, VersionEntry, archived_notice, history,
    };
    let old = register(BASE);
    // Marketing renamed to hostile text and its consent wording changed; a purpose removed.
    let new = register(
        &BASE
            .replacen(
                "name: {en: Newsletter, sv: Nyhetsbrev}",
                "name: {en: \"<script>x</script> News\", sv: \"<b>Nyheter</b>\"}",
                1,
            )
            .replacen(
                "Send me the monthly newsletter.",
                "Send me the weekly newsletter.",
                1,
            )
            .replacen("published: 2024-02-29", "published: 2024-06-01", 1),
    );
    let changes = diff(&old, &new);
    let paths = NoticePaths::under("/privacy");
    let entries = [
        VersionEntry {
            version: "bbbbbbbbbbbb",
            published: Some(new.published),
            in_effect: InEffect {
                from: "2024-05-31T22:30:00Z".parse().unwrap(),
                until: None,
                current: true,
            },
            readable: true,
            changes: VersionChanges::Diff {
                old: &old,
                new: &new,
                diff: &changes,
            },
        },
        VersionEntry {
            version: "cccccccccccc",
            published: None,
            in_effect: InEffect {
                from: "2024-04-01T08:00:00Z".parse().unwrap(),
                until: Some("2024-05-31T22:30:00Z".parse().unwrap()),
                current: false,
            },
            readable: false,
            changes: VersionChanges::Unavailable,
        },
        VersionEntry {
            version: "aaaaaaaaaaaa",
            published: Some(old.published),
            in_effect: InEffect {
                from: "2024-02-29T10:00:00Z".parse().unwrap(),
                until: Some("2024-04-01T08:00:00Z".parse().unwrap()),
                current: false,
            },
            readable: true,
            changes: VersionChanges::First,
        },
    ];
    for language in [Language::En, Language::Sv] {
        let html = history(&new, &entries, language, &paths).to_html();
        check_well_formed(&html).unwrap();
        assert!(!html.contains("<script>"), "{html}");
        assert!(!html.contains("<b>"), "{html}");
        let archived = archived_notice(&old, language, entries[2].in_effect, &paths).to_html();
        check_well_formed(&archived).unwrap();
    }
    let html = history(&new, &entries, Language::En, &paths).to_html();
    assert!(
        html.contains("<strong>Changed consent wording (we will ask for your consent again)</strong>: &lt;script&gt;x&lt;/script&gt; News"),
        "{html}"
    );
    // 22:30 UTC on 31 May is 1 June in Stockholm (summer time).
    assert!(html.contains("In effect since 1 June 2024."), "{html}");
    assert!(
        html.contains("In effect from 1 April 2024 until 1 June 2024."),
        "{html}"
    );
    assert!(html.contains("This version cannot be shown"), "{html}");
    assert!(html.contains("The changes from the version before cannot be shown."));
    assert!(
        html.contains("<a href=\"/privacy/versions/aaaaaaaaaaaa?lang=en\">Read this version</a>")
    );
    assert!(
        !html.contains("/privacy/versions/cccccccccccc"),
        "unreadable: no link"
    );
    let sv = history(&new, &entries, Language::Sv, &paths).to_html();
    assert!(sv.contains("&lt;b&gt;Nyheter&lt;/b&gt;"), "{sv}");
    assert!(sv.contains("Gäller sedan 1 juni 2024."), "{sv}");

    // A removed purpose is named from the register that had it.
    let removed = register(&BASE.replacen(
        "  - id: bookkeeping\n    name: {en: Bookkeeping required by law, sv: Bokföring enligt lag}\n    role: controller\n    subjects: [customer]\n    sources: [data_subject]\n    legal_basis: {invoices: legal_obligation}\n    law: {en: Bokföringslagen (1999:1078), sv: Bokföringslagen (1999:1078)}\n",
        "",
        1,
    ).replacen("    purpose: bookkeeping\n", "    purpose: delivery\n", 1));
    let change = diff(&old, &removed);
    let gone = change
        .changes
        .iter()
        .find(|c| c.section == "purposes" && c.kind == skydd_notice::ChangeKind::Removed)
        .unwrap();
    assert_eq!(
        skydd_notice::history::subject_of(gone, &old, &removed, Language::Sv),
        "Bokföring enligt lag"
    );
}

// ---- the cookie section and the banner (issue 18) ---------------------------------------------

/// The notice's cookie section says what the banner does with each browser signal, as the
/// register's `cookies.gpc` and `cookies.dnt` say it.
#[test]
fn the_cookie_section_says_how_browser_signals_are_treated() {
    use skydd_register::model::SignalRule::{Honour, Ignore};
    let syspeace = register(EXAMPLES[2].1);
    assert_eq!(
        (syspeace.cookies.gpc, syspeace.cookies.dnt),
        (Honour, Ignore)
    );
    for (gpc, dnt, en, sv) in [
        (
            Honour,
            Honour,
            "If your browser sends Global Privacy Control or Do Not Track, we treat it as a refusal",
            "Om din webbläsare skickar Global Privacy Control eller Do Not Track behandlar vi det",
        ),
        (
            Honour,
            Ignore,
            "Do Not Track does not change what the banner shows",
            "Do Not Track ändrar inte vad kakbannern visar",
        ),
        (
            Ignore,
            Honour,
            "Global Privacy Control does not change what the banner shows",
            "Global Privacy Control ändrar inte vad kakbannern visar",
        ),
        (
            Ignore,
            Ignore,
            "Global Privacy Control and Do Not Track do not change what the banner shows",
            "Global Privacy Control och Do Not Track ändrar inte vad kakbannern visar",
        ),
    ] {
        let mut register = syspeace.clone();
        register.cookies.gpc = gpc;
        register.cookies.dnt = dnt;
        let english = render_markdown(&register, Language::En);
        let swedish = render_markdown(&register, Language::Sv);
        assert!(english.contains(en), "{gpc:?}/{dnt:?}: {en}");
        assert!(swedish.contains(sv), "{gpc:?}/{dnt:?}: {sv}");
    }
}

/// The rights section says what a browser signal objects to once received (Art. 21(5)), as
/// the register's `signals` says, naming only what the register has (issue 20).
#[test]
fn the_rights_say_what_each_browser_signal_objects_to() {
    use skydd_register::model::{PurposeId, SignalObjection};
    let syspeace = register(EXAMPLES[2].1);
    let nothing = SignalObjection {
        direct_marketing: false,
        sharing: false,
        purposes: Vec::new(),
    };
    let research = SignalObjection {
        purposes: vec![PurposeId("product_development".into())],
        ..nothing.clone()
    };
    for (gpc, dnt, en, sv) in [
        (
            SignalObjection::marketing_and_sharing(),
            SignalObjection::marketing_and_sharing(),
            Some(
                "when your browser sends Global Privacy Control or Do Not Track, we record it as your objection to direct marketing and to our disclosing your data to companies that use it for their own purposes.",
            ),
            Some(
                "när din webbläsare skickar Global Privacy Control eller Do Not Track registrerar vi det som din invändning mot direktmarknadsföring och mot att vi lämnar ut dina uppgifter till företag som använder dem för egna ändamål.",
            ),
        ),
        (
            research.clone(),
            nothing.clone(),
            Some(
                "when your browser sends Global Privacy Control, we record it as your objection to improving our products, services and websites.",
            ),
            Some(
                "när din webbläsare skickar Global Privacy Control registrerar vi det som din invändning mot förbättring av våra produkter, tjänster och webbplatser.",
            ),
        ),
        (
            SignalObjection::marketing_and_sharing(),
            research,
            Some(
                "Global Privacy Control, we record it as your objection to direct marketing and to our disclosing your data to companies that use it for their own purposes; when it sends Do Not Track, improving our products",
            ),
            Some(
                "Global Privacy Control registrerar vi det som din invändning mot direktmarknadsföring och mot att vi lämnar ut dina uppgifter till företag som använder dem för egna ändamål; när den skickar Do Not Track, förbättring av",
            ),
        ),
        (nothing.clone(), nothing, None, None),
    ] {
        let mut register = syspeace.clone();
        register.signals.gpc = gpc;
        register.signals.dnt = dnt;
        let english = render_markdown(&register, Language::En);
        let swedish = render_markdown(&register, Language::Sv);
        match (en, sv) {
            (Some(en), Some(sv)) => {
                assert!(english.contains(en), "{en}\n{english}");
                assert!(swedish.contains(sv), "{sv}\n{swedish}");
            }
            _ => {
                assert!(
                    !english.contains("Art. 21(5)"),
                    "nothing to object to: no line"
                );
                assert!(!swedish.contains("artikel 21.5"));
            }
        }
    }
    // A register without direct marketing or controllers among its recipients promises neither.
    let mut plain = syspeace;
    plain
        .purposes
        .iter_mut()
        .for_each(|p| p.direct_marketing = false);
    plain.recipients.retain(|r| {
        !matches!(
            r.kind,
            skydd_register::model::RecipientKind::Controller
                | skydd_register::model::RecipientKind::JointController
        )
    });
    assert!(!render_markdown(&plain, Language::En).contains("Art. 21(5)"));
}

/// Cookie lifetimes read the same in the notice and in the banner (both use
/// `wording::cookie_lifetime`).
#[test]
fn cookie_lifetimes_in_words() {
    use skydd_notice::wording::cookie_lifetime;
    use skydd_register::model::Lifetime;
    let glesys = register(EXAMPLES[0].1);
    let choice = glesys.cookies.service("consent_choice").unwrap();
    assert_eq!(
        cookie_lifetime(Language::En, choice.cookies[0].lifetime),
        "6 months"
    );
    assert_eq!(
        cookie_lifetime(Language::Sv, choice.cookies[0].lifetime),
        "6 månader"
    );
    assert_eq!(
        cookie_lifetime(Language::Sv, Lifetime::Session),
        "tills du stänger webbläsaren"
    );
    let notice = render_markdown(&glesys, Language::En);
    assert!(notice.contains("`skydd_consent` (6 months)"));
    assert!(notice.contains("`glesys_session` (until you close the browser)"));
}

/// Anonymous data is not personal data (issue 20): a purpose's anonymous categories have no row
/// in the notice's table of bases, and a recipient of anonymous data only is in neither the
/// notice nor the record (Syspeace's aggregated visit statistics, P000-13, P000-14).
#[test]
fn anonymous_data_and_its_recipients_are_not_listed_as_personal_data() {
    let source = EXAMPLES[2].1.replacen(
        "recipients:\n",
        "recipients:\n  - id: statistics_bureau\n    name: {en: The statistics bureau, sv: Statistikbyrån}\n    kind: controller\n    country: US\n    purposes: [product_development]\n    categories: [aggregated_visit_stats]\n",
        1,
    );
    let syspeace = register(&source);
    for language in [Language::En, Language::Sv] {
        let notice = render_markdown(&syspeace, language);
        for absent in [
            "Aggregated visit statistics",
            "Sammanställd besöksstatistik",
            "statistics bureau",
            "Statistikbyrån",
        ] {
            assert!(!notice.contains(absent), "{absent} in the notice");
        }
        let record = record(&syspeace, language).to_csv(language);
        assert!(!record.contains("Statisti"), "{record}");
        assert!(!record.contains("besöksstatistik") && !record.contains("visit statistics"));
    }
}

/// The controller as a group (issue 20): a UK company with a Swedish office and a Swedish
/// group company. The notice names its number by its registry (not "org. no." for a UK
/// company), writes each address in its country's order, says where the controller sits and
/// that the UK has an adequacy decision, and lists the offices and the group companies.
#[test]
fn a_group_outside_the_eu_is_named_with_its_registry_offices_and_companies() {
    use skydd_register::country::Country;
    use skydd_register::model::{Address, Entity, Establishment, Text};
    let mut group = register(EXAMPLES[0].1);
    let uk = Country::parse("GB").unwrap();
    let se = Country::parse("SE").unwrap();
    let c = &mut group.controller;
    c.name = "Example Events Ltd".into();
    c.organisation_number = Some("05921693".into());
    c.registry = Some("Companies House".into());
    c.address = Address {
        street: Some("1 Long Lane".into()),
        postal_code: Some("EC1A 9HF".into()),
        city: "London".into(),
        country: uk,
    };
    c.establishments = vec![Establishment {
        name: Text {
            en: "Our Stockholm office".into(),
            sv: Some("Vårt kontor i Stockholm".into()),
        },
        address: Address {
            street: Some("Drottninggatan 1".into()),
            postal_code: Some("111 51".into()),
            city: "Stockholm".into(),
            country: se,
        },
    }];
    c.entities = vec![Entity {
        name: "Example Events AB".into(),
        organisation_number: Some("556647-9241".into()),
        registry: None,
        address: Address {
            street: None,
            postal_code: Some("111 51".into()),
            city: "Stockholm".into(),
            country: se,
        },
    }];
    let en = render_markdown(&group, Language::En);
    for expected in [
        "Example Events Ltd (Companies House 05921693) is the controller",
        "Address: 1 Long Lane, London EC1A 9HF, the United Kingdom.",
        "We are established in the United Kingdom, outside the EU/EEA. The European Commission has decided that the United Kingdom ensures an adequate level of protection",
        "Our Stockholm office: Drottninggatan 1, 111 51 Stockholm, Sweden.",
        "Example Events AB (Swedish corporate identity number 556647-9241), 111 51 Stockholm, Sweden.",
    ] {
        assert!(en.contains(expected), "{expected}\n{en}");
    }
    assert!(!en.contains("org. no. 05921693"));
    let sv = render_markdown(&group, Language::Sv);
    for expected in [
        "Example Events Ltd (Companies House 05921693) är personuppgiftsansvarig",
        "Vi är etablerade i Storbritannien, utanför EU/EES.",
        "Vårt kontor i Stockholm: Drottninggatan 1, 111 51 Stockholm, Sverige.",
        "Example Events AB (org.nr 556647-9241), 111 51 Stockholm, Sverige.",
    ] {
        assert!(sv.contains(expected), "{expected}\n{sv}");
    }
    let record = record(&group, Language::En).to_csv(Language::En);
    assert!(
        record.contains(
            "Example Events Ltd (Companies House 05921693), 1 Long Lane, London EC1A 9HF"
        ),
        "{record}"
    );
}

/// Issue 20: a purpose named inside a sentence is in lower case ("För leverans av tjänsten"),
/// as a careful writer would put it, in both languages.
#[test]
fn a_rule_narrowed_to_a_purpose_names_it_in_lower_case() {
    let r = base_with(
        "{id: contact, category: contact, after: contract_end, keep: 24 months}",
        "{id: contact, category: contact, purposes: [delivery], after: contract_end, keep: 24 months}",
    );
    assert!(
        retention_of(&r, Language::En, "contact")
            .starts_with("For delivering the service: 24 months after the contract ends."),
        "{}",
        retention_of(&r, Language::En, "contact")
    );
    assert!(
        retention_of(&r, Language::Sv, "contact")
            .starts_with("För leverans av tjänsten: 24 månader"),
        "{}",
        retention_of(&r, Language::Sv, "contact")
    );
}

/// Issue 20: the person is "you" in running text, so the Swedish notice says "från dig", never
/// "från: Du" (the source's name as a list item).
#[test]
fn the_person_is_you_in_running_text() {
    let glesys = register(EXAMPLES[0].1);
    let sv = render_markdown(&glesys, Language::Sv);
    assert!(
        sv.contains("Uppgifterna kommer från dig och kundorganisationen."),
        "{sv}"
    );
    assert!(!sv.contains("från: Du"));
    let en = render_markdown(&glesys, Language::En);
    assert!(
        en.contains("The data comes from you and the customer organisation."),
        "{en}"
    );
}

/// P003-45: "We keep a register of our privacy activities" with "Name, Contact details,
/// Purpose, Categories and type of data, Storage time, Third country transfers". The Art. 30
/// record of WorkItems has all six for every controller activity (transfers where a recipient
/// is outside the EU/EEA), and an activity's category without a storage time does not pass the
/// check.
#[test]
fn the_record_of_processing_has_the_six_facts_of_every_activity() {
    let workitems = register(EXAMPLES[3].1);
    let record = record(&workitems, Language::En);
    let controllers: Vec<_> = record
        .activities
        .iter()
        .filter(|a| a.role == "controller")
        .collect();
    assert!(!controllers.is_empty());
    for activity in &controllers {
        let what = &activity.id;
        assert!(!activity.name.is_empty(), "{what}: name");
        assert!(activity.controller.contains('@'), "{what}: contact details");
        assert!(!activity.purpose.is_empty(), "{what}: purpose");
        assert!(!activity.data_categories.is_empty(), "{what}: categories");
        assert!(
            activity.retention.len() >= activity.data_categories.len(),
            "{what}: a storage time per category"
        );
    }
    let abroad = controllers
        .iter()
        .find(|a| a.id == "service_provision")
        .expect("service provision");
    assert!(
        abroad
            .transfers
            .iter()
            .any(|t| t.contains("the United States")),
        "{:?}",
        abroad.transfers
    );
    // No storage time for a category: the register does not pass.
    let rule = "  - id: customer_contact\n    category: customer_contact\n    while: customer_relationship\n    then: 12 months\n";
    assert!(EXAMPLES[3].1.contains(rule));
    let checked = skydd_register::check(&EXAMPLES[3].1.replacen(rule, "", 1));
    assert!(
        checked
            .diagnostics
            .iter()
            .any(|d| d.code == "missing-retention"),
        "{:#?}",
        checked.diagnostics
    );
    assert!(
        checked.has_errors(),
        "a category without a storage time is an error"
    );
}

/// Issue 20: a basis that depends on a fact is said with the fact, in both languages, in the
/// notice's table and in the record.
#[test]
fn a_conditioned_basis_is_said_with_its_fact() {
    let source = BASE.replacen(
        "legal_basis: {contact: contract, logs: legitimate_interest, invoices: contract}",
        "legal_basis: {contact: [{basis: contract, when: contract_end}, legitimate_interest], logs: legitimate_interest, invoices: contract}",
        1,
    );
    assert_ne!(source, BASE);
    let r = register(&source);
    let en = render_markdown(&r, Language::En);
    assert!(
        en.contains(
            "Performance of a contract (GDPR Art. 6(1)(b)) after the contract ends; otherwise legitimate interest"
        ),
        "{en}"
    );
    let sv = render_markdown(&r, Language::Sv);
    assert!(sv.contains("efter att avtalet har upphört; annars"), "{sv}");
    let record = record(&r, Language::En).to_csv(Language::En);
    assert!(
        record.contains("after the contract ends; otherwise"),
        "{record}"
    );
}

/// Issue 20: the supervisory authority's address in the notice's language (`address: {en, sv}`).
#[test]
fn the_authority_address_is_in_the_notices_language() {
    let glesys = register(EXAMPLES[0].1);
    let sv = render_markdown(&glesys, Language::Sv);
    assert!(sv.contains("Box 8114, 104 20 Stockholm, Sverige."), "{sv}");
    let en = render_markdown(&glesys, Language::En);
    assert!(en.contains("Box 8114, 104 20 Stockholm, Sweden."), "{en}");
}

/// A register that says nothing about cookies gets no cookie section (the notice makes no claim
/// the register does not make); `cookies: {}` says that none are used. Found in the review of
/// the work-items notice against its policy (docs/notice-reviews/workitems.md).
#[test]
fn the_notice_claims_no_cookies_only_when_the_register_says_so() {
    let silent = register(BASE);
    for l in [Language::En, Language::Sv] {
        let md = skydd_notice::render_markdown(&silent, l);
        assert!(!md.contains("(#cookies)"), "{md}");
        assert!(!md.contains("pixel"), "{md}");
    }
    let none = base_with("rights:\n", "cookies: {}\nrights:\n");
    assert!(
        skydd_notice::render_markdown(&none, Language::En)
            .contains("We do not use cookies, pixel tags or similar technologies.")
    );
    assert!(
        skydd_notice::render_markdown(&none, Language::Sv)
            .contains("Vi använder inte kakor, pixeltaggar eller liknande tekniker.")
    );
}

/// `rights.self_service` (P001-33: "log on to your GleSYS Cloud account to verify the
/// information ... change and/or delete"; P000-52: the ways to stop marketing) is said under how
/// to use the rights, in each language.
#[test]
fn what_people_can_do_themselves_is_said_under_their_rights() {
    let own = base_with(
        "  identity_verification: [email_code]\n",
        "  identity_verification: [email_code]\n  self_service: {en: You can also change your data in your account., sv: Du kan också ändra dina uppgifter i ditt konto.}\n",
    );
    let en = skydd_notice::render_markdown(&own, Language::En);
    let how = en.find("How to use your rights").unwrap();
    assert!(en[how..].contains("You can also change your data in your account."));
    assert!(
        skydd_notice::render_markdown(&own, Language::Sv)
            .contains("Du kan också ändra dina uppgifter i ditt konto.")
    );
    // One identity method: "in this way", not "in one of these ways".
    assert!(en.contains("in this way:"), "{en}");
}

/// Regional notices (issue 20): a notice per audience, the purposes for others left out (and the
/// data only they process), each saying whom it is for and linking the others; the version is
/// the whole register's. Without `audience`, the first audience's notice.
#[test]
fn each_audience_has_a_notice_of_its_own_linking_the_others() {
    let regional = register(
        &BASE
            .replacen(
                "purposes:\n",
                "audiences:\n  - id: europe\n    name: {en: people in the EU/EEA and the United Kingdom, sv: personer i EU/EES och Storbritannien}\n  - id: elsewhere\n    name: {en: people elsewhere, sv: personer i andra länder}\npurposes:\n",
                1,
            )
            .replacen(
                "    direct_marketing: true\n",
                "    direct_marketing: true\n    audiences: [elsewhere]\n",
                1,
            ),
    );
    let paths = skydd_notice::NoticePaths::under("/privacy");
    for l in [Language::En, Language::Sv] {
        let mut europe = skydd_notice::notice_for(&regional, l, "europe").unwrap();
        skydd_notice::link_audiences(&mut europe, &regional, "europe", &paths);
        let mut elsewhere = skydd_notice::notice_for(&regional, l, "elsewhere").unwrap();
        skydd_notice::link_audiences(&mut elsewhere, &regional, "elsewhere", &paths);
        let (europe, elsewhere) = (europe.to_markdown(), elsewhere.to_markdown());
        let newsletter = pick(
            l,
            "Send me the monthly newsletter.",
            "Skicka mig det månatliga",
        );
        assert!(!europe.contains(newsletter), "{europe}");
        assert!(elsewhere.contains(newsletter), "{elsewhere}");
        // The newsletter category is processed for the other audience only.
        assert!(
            !europe.contains(pick(l, "**Newsletter", "**Nyhetsbrev")),
            "{europe}"
        );
        assert!(europe.contains(pick(
            l,
            "This notice is for people in the EU/EEA and the United Kingdom.",
            "Denna integritetspolicy gäller för personer i EU/EES och Storbritannien."
        )));
        let tag = skydd_register::model::Choice::word(l);
        assert!(
            europe.contains(&format!("(</privacy?audience=elsewhere&lang={tag}>)")),
            "{europe}"
        );
        assert!(elsewhere.contains(&format!("(</privacy?audience=europe&lang={tag}>)")));
        // One version for both: the register's.
        let version = skydd_notice::NoticeVersion::of(&regional).version;
        assert!(europe.contains(&version) && elsewhere.contains(&version));
        // The default notice is the first audience's.
        assert_eq!(
            skydd_notice::notice(&regional, l).to_markdown(),
            skydd_notice::notice_for(&regional, l, "europe")
                .unwrap()
                .to_markdown()
        );
    }
    assert!(skydd_notice::notice_for(&regional, Language::En, "mars").is_none());
}

fn pick<'a>(l: Language, en: &'a str, sv: &'a str) -> &'a str {
    match l {
        Language::En => en,
        Language::Sv => sv,
    }
}
