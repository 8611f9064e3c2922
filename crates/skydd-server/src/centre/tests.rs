//! Every centre page rendered from constructed views, in English and Swedish, held to insta
//! snapshots (`tests/snapshots/centre/`); and what the pages must never lose: the form token on
//! every form, labels for every field, no inline style or script.

use askama::Template;
use jiff::Timestamp;
use skydd_app::centre::{
    CentreConsent, CentreLetter, CentrePreference, CentreRequest, Objectable, Overview,
};
use skydd_register::Register;
use skydd_register::model::{Choice as _, Language};
use skydd_requests::{RequestState, RequestType};
use skydd_vault::{
    AccessPackage, PackageCategory, PackageConnectedValue, PackageDisclosure, PackagePurpose,
    PackageRecipient, PackageRecord, PackageRectification, PackageSystem,
};

use super::frame::{CentreFrame, FramePerson};
use super::personal::{PersonalPage, RequestRow};
use super::requests::{AskPage, RequestPage, Target};
use super::sign_in::{CodePage, LandingPage, intent_choices};

/// A register with what the pages show: Swedish names, a consent purpose, direct marketing
/// with channels, a recipient abroad and a legal hold.
const REGISTER: &str = r#"
skydd: 1
published: 2026-01-05
controller:
  name: Exempel AB
  organisation_number: 556647-9241
  address: {street: Box 1, postal_code: 311 22, city: Falkenberg, country: SE}
  contact: {email: privacy@example.se}
authority:
  name: {en: Swedish Authority for Privacy Protection (IMY)}
  country: SE
  address: Box 8114, 104 20 Stockholm, Sweden
  email: imy@imy.se
  url: https://www.imy.se
subjects:
  - {id: customer, name: Customers}
sources:
  - {id: data_subject, kind: data_subject, name: {en: You, sv: Du}}
data:
  - id: contact
    name: {en: Contact details, sv: Kontaktuppgifter}
    provided_by_subject: true
    fields: [name, {id: email, format: email}, {id: phone, format: phone}]
  - id: invoices
    name: {en: Invoices, sv: Fakturor}
    provided_by_subject: false
    fields: [number, amount]
purposes:
  - id: delivery
    name: {en: Deliver the service, sv: Leverera tjänsten}
    role: controller
    subjects: [customer]
    sources: [data_subject]
    legal_basis: {contact: contract, invoices: contract}
  - id: newsletter
    name: {en: Newsletter, sv: Nyhetsbrev}
    role: controller
    subjects: [customer]
    sources: [data_subject]
    legal_basis: {contact: consent}
    consent: {wording: {en: I want the newsletter., sv: Jag vill ha nyhetsbrevet.}}
  - id: marketing
    name: {en: Marketing of our products, sv: Marknadsföring av våra produkter}
    role: controller
    subjects: [customer]
    sources: [data_subject]
    legal_basis: {contact: legitimate_interest}
    legitimate_interest: {balancing: Customers expect offers; objection is absolute.}
    direct_marketing: true
    channels: [email]
  - id: bookkeeping
    name: {en: Bookkeeping, sv: Bokföring}
    role: controller
    subjects: [customer]
    sources: [data_subject]
    legal_basis: {invoices: legal_obligation}
    law: Bokföringslagen (1999:1078)
legal_holds:
  - id: accounts
    name: {en: Accounting records, sv: Räkenskapsinformation}
    law: {en: "Chapter 7, section 2 of the Swedish Bookkeeping Act (Bokföringslagen, 1999:1078)", sv: "7 kap. 2 § bokföringslagen (1999:1078)"}
    purpose: bookkeeping
    categories: [invoices]
    after: contract_end
    keep: 7 years
recipients:
  - id: mailer
    name: {en: Mail delivery service, sv: Utskickstjänst}
    kind: processor
    country: SE
    purposes: [delivery]
    agreement: DPA 2025-01
retention:
  - {id: contact, category: contact, after: contract_end, keep: 24 months}
  - {id: invoices, category: invoices, after: contract_end, keep: 3 months}
security:
  - {id: encryption_at_rest, kind: technical, description: Personal data is encrypted at rest.}
rights:
  contact: {email: privacy@example.se}
  response_time: 1 month
  extension: 2 months
  copies: {free: 1, per: 12 months, further: fee}
  identity_verification: [email_code, id_document]
"#;

fn register() -> Register {
    let checked = skydd_register::check(REGISTER);
    checked
        .register
        .unwrap_or_else(|| panic!("the test register is invalid: {:#?}", checked.diagnostics))
}

fn at(text: &str) -> Timestamp {
    text.parse().unwrap()
}

/// The frame of a page in `language`, signed in or not.
fn frame(language: Language, title_key: &str, signed_in: bool) -> CentreFrame {
    CentreFrame {
        language,
        title: crate::console::i18n::text(title_key, language).to_owned(),
        brand: "Exempel AB".into(),
        logo: Some("/privacy-centre/logo?v=0123456789abcdef".into()),
        stylesheet: "/privacy-centre/style.css?v=0123456789abcdef".into(),
        person: signed_in.then(|| FramePerson {
            masked: "k…@example.se".into(),
            ends_at: at("2026-03-01T10:00:00Z"),
        }),
        flash: None,
        csrf: "csrf-token".into(),
        query: String::new(),
    }
}

/// Render `template`, keep its snapshot, and hold it to the rules every centre page keeps.
fn snapshot(name: &str, template: &impl Template) -> String {
    let html = template.render().unwrap();
    insta::with_settings!({ snapshot_path => "../../tests/snapshots/centre" }, {
        insta::assert_snapshot!(name, html);
    });
    assert!(!html.contains("style="), "{name}: no inline style (CSP)");
    assert!(!html.contains("<script"), "{name}: no script");
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "{name}: nothing from elsewhere"
    );
    let forms = html.matches("<form").count();
    assert_eq!(
        html.matches("name=\"_csrf\" value=\"csrf-token\"").count(),
        forms,
        "{name}: every form carries the token"
    );
    for (index, _) in html.match_indices(" id=\"") {
        let id = &html[index + 5..];
        let id = &id[..id.find('"').unwrap()];
        let input = html[..index].rfind('<').map(|start| &html[start..index]);
        if input.is_some_and(|tag| {
            ["<input", "<select", "<textarea"]
                .iter()
                .any(|t| tag.starts_with(t))
                && !tag.contains("type=\"hidden\"")
        }) {
            assert!(
                html.contains(&format!("<label for=\"{id}\"")),
                "{name}: the field {id} has a label"
            );
        }
    }
    html
}

/// What the personal page shows about Karin.
fn overview() -> Overview {
    let fields = |pairs: &[(&str, &str)]| {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), serde_json::Value::from(*v)))
            .collect()
    };
    Overview {
        package: AccessPackage {
            request_id: String::new(),
            subject_id: Some("2".repeat(32)),
            generated_at: at("2026-03-01T09:00:00Z"),
            controller: "Exempel AB".into(),
            controller_contact: vec!["privacy@example.se".into()],
            data_found: true,
            identities: vec![("email".into(), "karin@example.se".into())],
            records: vec![
                PackageRecord {
                    id: "0".repeat(32),
                    category: "contact".into(),
                    purpose: "delivery".into(),
                    source: "data_subject".into(),
                    collected_at: at("2025-11-03T10:00:00Z"),
                    fields: fields(&[("name", "Karin <Karlsson>"), ("email", "karin@example.se")]),
                    combined_from: Vec::new(),
                },
                PackageRecord {
                    id: "1".repeat(32),
                    category: "invoices".into(),
                    purpose: "bookkeeping".into(),
                    source: "data_subject".into(),
                    collected_at: at("2026-01-31T23:30:00Z"),
                    fields: fields(&[("number", "F-1001"), ("amount", "1 250 kr")]),
                    combined_from: Vec::new(),
                },
            ],
            systems: vec![PackageSystem {
                system: "crm".into(),
                description: Some("Customer database".into()),
                failed: None,
                values: vec![PackageConnectedValue {
                    collection: "customers".into(),
                    row: "id=7".into(),
                    category: "contact".into(),
                    field: "phone".into(),
                    value: Some("+46701234567".into()),
                    mentioned: false,
                }],
            }],
            purposes: vec![
                PackagePurpose {
                    id: "delivery".into(),
                    name: "Deliver the service".into(),
                    legal_bases: vec!["contract".into()],
                    categories: vec!["contact".into(), "invoices".into()],
                    direct_marketing: false,
                    automated_decision: false,
                },
                PackagePurpose {
                    id: "bookkeeping".into(),
                    name: "Bookkeeping".into(),
                    legal_bases: vec!["legal_obligation".into()],
                    categories: vec!["invoices".into()],
                    direct_marketing: false,
                    automated_decision: false,
                },
            ],
            categories: vec![
                PackageCategory {
                    id: "contact".into(),
                    name: "Contact details".into(),
                    retention: vec!["24 months after the contract ends.".into()],
                    legal_holds: vec![],
                },
                PackageCategory {
                    id: "invoices".into(),
                    name: "Invoices".into(),
                    retention: vec!["3 months after the contract ends.".into()],
                    legal_holds: vec!["Accounting records".into()],
                },
            ],
            recipients: vec![PackageRecipient {
                id: "mailer".into(),
                name: "Mail delivery service".into(),
                kind: "processor".into(),
                country: Some("SE".into()),
                categories: vec!["contact".into()],
                transfer: None,
            }],
            disclosures: vec![
                PackageDisclosure {
                    disclosed_at: at("2026-02-10T09:00:00Z"),
                    recipient: "mailer".into(),
                    name: "Mail delivery service".into(),
                    kind: Some("processor".into()),
                    purpose: "delivery".into(),
                    categories: vec!["contact".into()],
                    decision: None,
                },
                PackageDisclosure {
                    disclosed_at: at("2026-02-27T15:00:00Z"),
                    recipient: "police".into(),
                    name: "police".into(),
                    kind: None,
                    purpose: "disclosure_to_authorities".into(),
                    categories: vec!["contact".into(), "invoices".into()],
                    decision: Some("court_decision".into()),
                },
            ],
            rectifications: vec![PackageRectification {
                record_id: "r-1".into(),
                category: "contact".into(),
                rectified_at: at("2026-02-20T08:30:00Z"),
                request_id: Some("req-1".into()),
                previous: serde_json::json!({"name": "Anna Andersson"})
                    .as_object()
                    .cloned()
                    .unwrap(),
            }],
            mentions: vec![skydd_vault::PackageMention {
                record_id: "r-9".into(),
                category: "contact".into(),
                collected_at: at("2026-02-21T10:00:00Z"),
                field: "note".into(),
                text: "Call Anna on 070-123 45 67, not [redacted].".into(),
                found: vec!["phone".into()],
            }],
            sources: vec![],
            restricted: false,
            attributes: Vec::new(),
            rights: vec![],
            authority: "You may complain to the Swedish Authority for Privacy Protection (IMY)."
                .into(),
        },
        consents: vec![CentreConsent {
            purpose: "newsletter".into(),
            name: "Newsletter".into(),
            wording: "I want the newsletter.".into(),
            granted: true,
            at: at("2026-02-01T12:00:00Z"),
            method: "web_form".into(),
            notice_version: "abababababab".into(),
        }],
        preferences: vec![
            CentrePreference {
                kind: "channel".into(),
                name: "email".into(),
                label: "E-mail".into(),
                opted_in: Some(true),
                at: Some(at("2026-02-01T12:00:00Z")),
            },
            CentrePreference {
                kind: "interest".into(),
                name: "product_news".into(),
                label: "Product news".into(),
                opted_in: None,
                at: None,
            },
        ],
        objectable: vec![Objectable {
            purpose: "marketing".into(),
            name: "Marketing of our products".into(),
            direct_marketing: true,
            objected: false,
        }],
        requests: vec![request()],
        portable: true,
    }
}

fn request() -> CentreRequest {
    CentreRequest {
        id: "fedcba9876543210fedcba9876543210".into(),
        request_type: RequestType::Erasure,
        state: RequestState::Verifying,
        received_at: at("2026-03-01T09:00:00Z"),
        due_at: at("2026-04-01T21:59:59Z"),
        extended: false,
        needs_document: true,
        letters: vec![CentreLetter {
            kind: "received".into(),
            at: at("2026-03-01T09:00:01Z"),
            state: "sent".into(),
        }],
    }
}

#[test]
fn the_start_page_in_both_languages() {
    for language in [Language::En, Language::Sv] {
        let page = LandingPage {
            frame: frame(language, "centre.landing.title", false),
            intents: intent_choices("overview"),
            problem: None,
            email: String::new(),
            phone: String::new(),
            signed_in: false,
        };
        let html = snapshot(&format!("landing_{}", language.word()), &page);
        assert!(html.contains("action=\"/privacy-centre/sign-in\""));
        // A problem marks both fields and says what to do.
        let page = LandingPage {
            problem: Some("Give your e-mail address or your phone number.".into()),
            email: "karin@\"example".into(),
            ..page
        };
        let html = page.render().unwrap();
        assert!(html.contains("role=\"alert\""));
        assert_eq!(html.matches("aria-invalid=\"true\"").count(), 2);
        assert!(
            html.contains("value=\"karin@&quot;example\""),
            "typed values are escaped"
        );
    }
}

#[test]
fn the_code_page_in_both_languages() {
    for language in [Language::En, Language::Sv] {
        let page = CodePage {
            frame: frame(language, "centre.code.title", false),
            challenge: "0123456789abcdef0123456789abcdef".into(),
            problem: Some(crate::console::i18n::fill(
                "centre.code.wrong",
                language,
                "4",
            )),
        };
        let html = snapshot(&format!("code_{}", language.word()), &page);
        assert!(html.contains("autocomplete=\"one-time-code\""));
    }
}

#[test]
fn the_personal_page_in_both_languages() {
    let register = register();
    for language in [Language::En, Language::Sv] {
        let page = PersonalPage::of(
            frame(language, "centre.me.title", true),
            overview(),
            &register,
        );
        let html = snapshot(&format!("personal_{}", language.word()), &page);
        assert!(
            html.contains("Karin &lt;Karlsson&gt;"),
            "values are escaped"
        );
        assert!(
            html.contains("/privacy-centre/me/download/zip"),
            "portable: the zip is offered"
        );
        assert!(
            html.contains("/privacy-centre/me/ask/rectification?category=contact&amp;field=email")
        );
        if language == Language::Sv {
            assert!(
                html.contains("Kontaktuppgifter"),
                "register names in Swedish"
            );
            assert!(html.contains("1 april 2026"), "the due date in Swedish");
            assert!(
                html.contains("Räkenskapsinformation"),
                "the legal hold in Swedish"
            );
        } else {
            assert!(
                html.contains("1 April 2026"),
                "the due date is the Stockholm date"
            );
        }
    }
}

#[test]
fn a_person_with_no_data_is_told_so() {
    let register = register();
    let mut empty = overview();
    empty.package.data_found = false;
    empty.package.records.clear();
    empty.package.systems.clear();
    empty.consents.clear();
    empty.preferences.clear();
    empty.objectable.clear();
    empty.requests.clear();
    empty.portable = false;
    let page = PersonalPage::of(
        frame(Language::En, "centre.me.title", true),
        empty,
        &register,
    );
    let html = page.render().unwrap();
    assert!(html.contains("We hold no personal data about you."));
    assert!(!html.contains("/download/zip"), "nothing portable: no zip");
}

#[test]
fn request_forms_in_both_languages() {
    let register = register();
    let overview = overview();
    for language in [Language::En, Language::Sv] {
        for (request_type, target) in [
            (RequestType::Erasure, Target::default()),
            (RequestType::Rectification, Target::of("contact", "email")),
            (RequestType::WithdrawConsent, Target::default()),
        ] {
            let page = AskPage::of(
                frame(language, super::personal::type_key(request_type), true),
                request_type,
                &overview,
                &register,
                &target,
            );
            let html = snapshot(
                &format!("ask_{}_{}", request_type.as_str(), language.word()),
                &page,
            );
            assert_eq!(
                html.contains("name=\"confirm\" value=\"yes\" required"),
                request_type == RequestType::Erasure,
                "a destructive request asks to confirm"
            );
            if request_type == RequestType::Rectification {
                assert!(
                    html.contains("<option value=\"contact.email\" selected>"),
                    "the value to correct is chosen"
                );
            }
        }
    }
}

#[test]
fn the_request_page_in_both_languages() {
    for language in [Language::En, Language::Sv] {
        let page = RequestPage::of(
            frame(language, "centre.request.title", true),
            RequestRow::from(request()),
        );
        let html = snapshot(&format!("request_{}", language.word()), &page);
        assert!(html.contains("enctype=\"multipart/form-data\""));
        assert!(html.contains("accept=\"application/pdf,image/jpeg,image/png\""));
    }
}
