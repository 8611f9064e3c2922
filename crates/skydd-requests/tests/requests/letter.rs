//! Letters to the subject and to recipients, in English and Swedish, snapshot-tested against the
//! GleSYS register.

use jiff::civil::date;
use skydd_register::model::LegalBasis;
use skydd_register::model::{CategoryId, HoldId, Language, PurposeId, RecipientId};
use skydd_register::zone;
use skydd_requests::{
    Completion, ErasedTable, HolidayCalendar, KeptField, KeptUnderHold, LeftOut, Letter, Letters,
    NotApplicable, RecipientAction, RequestType, SystemErasure, deadline, extend,
};

use crate::{glesys, stockholm};

const REFERENCE: &str = "R-7Q4K-2M9X";

fn both(build: impl Fn(&Letters<'_>) -> Letter) -> String {
    let register = glesys();
    let mut out = String::new();
    for language in [Language::En, Language::Sv] {
        let letter = build(&Letters::new(&register, language));
        assert!(
            !letter.text.contains('{'),
            "unfilled placeholder: {}",
            letter.text
        );
        assert!(letter.text.ends_with('\n'));
        out.push_str(&format!(
            "=== {language:?}\nSubject: {}\n\n{}",
            letter.subject, letter.text
        ));
    }
    out
}

#[test]
fn verification_code() {
    let expires = stockholm(date(2026, 4, 14), 10, 30);
    let text = both(|l| l.verification_code("04718293", RequestType::Access, expires));
    assert!(text.contains("10:30 on 14 April 2026"));
    assert!(text.contains("kl. 10.30 den 14 april 2026"));
    insta::assert_snapshot!(text);
}

#[test]
fn centre_sign_in() {
    let expires = stockholm(date(2026, 4, 14), 10, 45);
    let link = "https://privacy.example.com/privacy-centre/link/Zm9vYmFyYmF6";
    let text = both(|l| l.centre_sign_in("04718293", link, expires));
    assert!(text.contains("10:45 on 14 April 2026"));
    assert!(text.contains("kl. 10.45 den 14 april 2026"));
    assert_eq!(
        text.matches(link).count(),
        2,
        "the link on a line of its own, twice"
    );
    assert_eq!(text.matches("04718293").count(), 2);
    insta::assert_snapshot!(text);
}

#[test]
fn received() {
    let received = stockholm(date(2026, 4, 14), 9, 12);
    let d = deadline(received, 1, &zone::stockholm(), &HolidayCalendar::sweden());
    let text = both(|l| l.received(REFERENCE, RequestType::Erasure, received, &d));
    // Kristi himmelfärdsdag moves the answer to Friday 15 May.
    assert!(text.contains("by 15 May 2026"));
    assert!(text.contains("senast den 15 maj 2026"));
    insta::assert_snapshot!(text);
}

#[test]
fn extension() {
    let zone = zone::stockholm();
    let received = stockholm(date(2026, 1, 31), 9, 0);
    let now = stockholm(date(2026, 2, 20), 9, 0);
    let extended = extend(received, 0, 2, now, &zone, &HolidayCalendar::sweden()).unwrap();
    let text = both(|l| {
        l.extension(
            REFERENCE,
            RequestType::Access,
            received,
            &extended,
            "Your account has data in eleven services, and logs must be collected from each.",
        )
    });
    assert!(text.contains("by 30 April 2026"));
    assert!(text.contains("senast den 30 april 2026"));
    insta::assert_snapshot!(text);
}

#[test]
fn rejection_states_reasons_and_the_right_to_complain() {
    let text = both(|l| {
        l.rejection(
            REFERENCE,
            RequestType::Erasure,
            "We could not confirm that the request comes from the account holder.",
        )
    });
    // P003-39: the authority's contact details exactly, and the member state of residence.
    for expected in [
        "Swedish Authority for Privacy Protection (IMY)",
        "Integritetsskyddsmyndigheten (IMY)",
        "Box 8114, 104 20 Stockholm, Sweden",
        "+46 8 657 61 00",
        "imy@imy.se",
        "where you live or work",
        "där du bor eller arbetar",
        "judicial remedy",
        "rättsmedel i domstol",
        "We could not confirm that the request comes from the account holder.",
    ] {
        assert!(text.contains(expected), "missing {expected:?}:\n{text}");
    }
    insta::assert_snapshot!(text);
}

#[test]
fn completed_erasure_lists_what_the_law_keeps() {
    let completion = Completion {
        request_type: RequestType::Erasure,
        no_data_found: false,
        purposes: Vec::new(),
        recipients: Some(vec![
            RecipientId("payment_partner".into()),
            RecipientId("marketing_tool_providers".into()),
        ]),
        kept: vec![KeptUnderHold {
            hold: HoldId("bookkeeping".into()),
            categories: vec![
                CategoryId("customer_identity".into()),
                CategoryId("invoice_data".into()),
            ],
            until: Some(date(2033, 12, 31)),
        }],
        systems: Vec::new(),
        not_applicable: Vec::new(),
        transmitted_to: None,
    };
    let text = both(|l| l.completed(REFERENCE, &completion));
    assert!(text.contains(
        "Chapter 7, section 2 of the Swedish Bookkeeping Act (Bokföringslagen, 1999:1078)"
    ));
    assert!(text.contains("31 December 2033"));
    assert!(text.contains("31 december 2033"));
    assert!(text.contains("except the data listed below, which the law requires us to keep"));
    assert!(text.contains("- Our partner for secure card payments"));
    insta::assert_snapshot!(text);
}

#[test]
fn completed_erasure_names_what_each_connected_system_erased_and_kept() {
    let mut completion = Completion::new(RequestType::Erasure);
    completion.systems = vec![
        SystemErasure {
            system: "shop".into(),
            tables: vec![
                ErasedTable {
                    table: "orders".into(),
                    fields: vec!["shipping_address".into(), "email".into()],
                    rows: 2,
                },
                ErasedTable {
                    table: "login".into(),
                    fields: vec!["delete_row".into()],
                    rows: 1,
                },
            ],
            redacted: vec![ErasedTable {
                table: "ticket".into(),
                fields: vec!["body".into()],
                rows: 3,
            }],
            kept: vec![KeptField {
                field: "invoice.amount".into(),
                hold: HoldId("bookkeeping".into()),
            }],
        },
        SystemErasure {
            system: "support".into(),
            tables: Vec::new(),
            redacted: Vec::new(),
            kept: Vec::new(),
        },
    ];
    let text = both(|l| l.completed(REFERENCE, &completion));
    assert!(text.contains("- shop:"));
    assert!(text.contains("  orders (2 rows): shipping_address, email"));
    assert!(text.contains("  login (1 rad): hela rader raderade"));
    assert!(text.contains("  invoice.amount kept: "));
    // Issue 21: free text that mentioned the subject, redacted in place.
    assert!(text.contains("  ticket (3 rows): text that mentioned you, with each mention replaced by its kind (such as [email]), in body"));
    assert!(text.contains("  ticket (3 rader): text som nämnde dig"));
    insta::assert_snapshot!(text);
}

#[test]
fn completed_letters_of_every_type() {
    let mut out = String::new();
    for request_type in RequestType::ALL {
        let mut completion = Completion::new(request_type);
        if request_type == RequestType::Objection {
            completion.purposes = vec![PurposeId("customer_marketing".into())];
        }
        out.push_str(&format!("##### {request_type}\n"));
        out.push_str(&both(|l| l.completed(REFERENCE, &completion)));
    }
    insta::assert_snapshot!(out);
}

#[test]
fn completed_without_data_or_recipients_says_so() {
    let mut nothing = Completion::new(RequestType::Access);
    nothing.no_data_found = true;
    let text = both(|l| l.completed(REFERENCE, &nothing));
    assert!(text.contains("we do not process any personal data about you"));
    assert!(text.contains("vi behandlar inga personuppgifter om dig"));
    assert!(!text.contains("register excerpt is ready"));

    let mut alone = Completion::new(RequestType::Rectification);
    alone.recipients = Some(Vec::new());
    let text = both(|l| l.completed(REFERENCE, &alone));
    assert!(text.contains("so there was no one else to tell (Article 19 GDPR)"));
    assert!(text.contains("så det fanns ingen annan att underrätta"));
    insta::assert_snapshot!(text);
}

#[test]
fn restriction_lifting() {
    let lifted = stockholm(date(2026, 6, 1), 0, 0);
    let text = both(|l| {
        l.restriction_lifting(
            REFERENCE,
            lifted,
            "The accuracy of your address, which you contested, has been verified against your invoices.",
        )
    });
    assert!(text.contains("on 1 June 2026"));
    assert!(text.contains("den 1 juni 2026"));
    insta::assert_snapshot!(text);
}

#[test]
fn recipient_notices_name_the_subject_by_reference_only() {
    let mut out = String::new();
    for action in [
        RecipientAction::Rectified,
        RecipientAction::Erased,
        RecipientAction::Restricted,
    ] {
        out.push_str(&format!("##### {action:?}\n"));
        out.push_str(&both(|l| {
            l.recipient_notice(
                &RecipientId("payment_partner".into()),
                action,
                &[CategoryId("payment_card".into())],
                "subj-3f9a1c",
                REFERENCE,
            )
        }));
    }
    assert!(out.contains("Our partner for secure card payments"));
    assert!(out.contains("Vår partner för säkra kortbetalningar"));
    insta::assert_snapshot!(out);
}

#[test]
fn dates_follow_the_zone_given() {
    let register = glesys();
    let expires = stockholm(date(2026, 1, 1), 0, 30);
    let letter = Letters::new(&register, Language::En)
        .with_zone(jiff::tz::TimeZone::UTC)
        .verification_code("11112222", RequestType::Access, expires);
    // 00:30 in Stockholm (winter) is 23:30 UTC the day before.
    assert!(
        letter.text.contains("23:30 on 31 December 2025"),
        "{}",
        letter.text
    );
}

#[test]
fn a_letter_hides_its_body_in_debug() {
    let register = glesys();
    let letter = Letters::new(&register, Language::En).verification_code(
        "04718293",
        RequestType::Access,
        stockholm(date(2026, 4, 14), 10, 30),
    );
    let debug = format!("{letter:?}");
    assert!(!debug.contains("04718293"), "{debug}");
    assert!(debug.contains(&letter.subject));
}

#[test]
fn a_right_that_does_not_apply_is_explained_with_its_reason() {
    // Issue 20: portability that leaves data out says what and why, in both languages; an
    // objection to a purpose on contract says the right does not apply.
    let mut portability = Completion::new(RequestType::Portability);
    portability.not_applicable = vec![
        LeftOut {
            purpose: PurposeId("account_protection".into()),
            categories: vec![CategoryId("account_change_ip".into())],
            reason: NotApplicable::NotProvidedBySubject,
        },
        LeftOut {
            purpose: PurposeId("access_overview".into()),
            categories: vec![
                CategoryId("invitee_name".into()),
                CategoryId("secondary_contact".into()),
            ],
            reason: NotApplicable::NotOnConsentOrContract {
                basis: LegalBasis::LegitimateInterest,
            },
        },
    ];
    let mut objection = Completion::new(RequestType::Objection);
    objection.not_applicable = vec![LeftOut {
        purpose: PurposeId("invoicing".into()),
        categories: Vec::new(),
        reason: NotApplicable::NotObjectable {
            basis: LegalBasis::Contract,
        },
    }];
    let text = both(|l| l.completed(REFERENCE, &portability))
        + &both(|l| l.completed(REFERENCE, &objection));
    for expected in [
        "Article 20(1)(a) GDPR",
        "artikel 20.1 a i dataskyddsförordningen",
        "with a request for access (Article 15 GDPR)",
        "We have assessed it: the right does not apply",
        "- Invoicing and payment: we process this data on the basis of performance of a contract",
        "Vi har bedömt den: rättigheten gäller inte",
    ] {
        assert!(text.contains(expected), "missing {expected:?}:\n{text}");
    }
    insta::assert_snapshot!(text);
}

#[test]
fn a_copy_of_the_transfer_safeguards_lists_each_transfer_and_where_its_copy_is() {
    // Issue 20 (Art. 13(1)(f): "the means by which to obtain a copy of them or where they have
    // been made available"), as a request type with the usual deadline.
    let register = skydd_register::check(include_str!(
        "../../../../examples/registers/workitems.yaml"
    ))
    .register
    .expect("the WorkItems example register is valid");
    let completion = Completion::new(RequestType::SafeguardCopy);
    let mut text = String::new();
    for language in [Language::En, Language::Sv] {
        let letter = Letters::new(&register, language).completed(REFERENCE, &completion);
        text.push_str(&format!(
            "=== {language:?}\nSubject: {}\n\n{}",
            letter.subject, letter.text
        ));
    }
    for expected in [
        "Your request for a copy of the safeguards for transfers of personal data outside the EU/EEA is complete.",
        "the EU-US Data Privacy Framework",
        "a copy: https://www.dataprivacyframework.gov/list",
        "en kopia: https://www.dataprivacyframework.gov/list",
    ] {
        assert!(text.contains(expected), "missing {expected:?}:\n{text}");
    }
    insta::assert_snapshot!(text);
    // A register with no transfer says so instead of an empty list.
    let none = both(|l| l.completed(REFERENCE, &completion));
    assert!(none.contains("We do not transfer personal data outside the EU/EEA"));
    assert!(none.contains("Vi överför inga personuppgifter utanför EU/EES"));
}
