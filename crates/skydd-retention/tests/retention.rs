//! Retention against the PartnerSec, GleSYS and WorkItems example registers, at chosen dates
//! (P001-07, P002-20 .. P002-28, P003-09, P003-10): when each kind of record is kept, held,
//! pending or expired.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use jiff::Timestamp;
use jiff::civil::date;
use skydd_decide::{Policy, RecordFacts};
use skydd_retention::{LineState, Plan, Status, anonymise, collected_month, status_of};

fn at(text: &str) -> Timestamp {
    format!("{text}T12:00:00Z").parse().unwrap()
}

fn record(category: &str, collected: &str, anchors: &[(&str, &str)]) -> RecordFacts {
    let mut record = RecordFacts::new(category, at(collected));
    for (event, when) in anchors {
        record.anchors.insert((*event).to_owned(), at(when));
    }
    record
}

fn partnersec() -> (skydd_register::Register, Policy) {
    let text = std::fs::read_to_string(format!(
        "{}/../../examples/registers/partnersec.yaml",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let register = skydd_register::check(&text).register.unwrap();
    let policy = Policy::compile(&register);
    (register, policy)
}

fn word(status: &Status<'_>) -> String {
    match status {
        Status::Kept { rule, until } => format!("kept {rule} until {until}"),
        Status::Pending { rule, anchor } => format!("pending {rule} on {anchor}"),
        Status::Held { rule, hold, until } => {
            format!(
                "held {rule} by {hold} until {}",
                until.map(|d| d.to_string()).unwrap_or_default()
            )
        }
        Status::Expired {
            rule,
            action,
            expired_after,
        } => {
            format!(
                "expired {rule} {} after {expired_after}",
                skydd_retention::state_of(*action).word()
            )
        }
        Status::DueForReview { rule, since } => format!("review {rule} since {since}"),
        Status::Ungoverned => "ungoverned".into(),
    }
}

/// Issue 20, retention by criteria: "no fixed period; kept while X, reviewed every N months".
/// The record is kept, then due for review (still usable, never swept), and a review starts the
/// next interval; leap day and month ends count as for every period.
#[test]
fn a_rule_kept_by_criteria_falls_due_for_review_and_is_never_swept() {
    let yaml = include_str!("../../skydd-vault/tests/fixtures/vault.yaml").replace(
        "{id: contact, category: contact, after: contract_end, keep: 24 months}",
        "{id: contact, category: contact, criteria: {en: as long as you are our customer, sv: så länge du är kund hos oss}, review: 12 months}",
    );
    let checked = skydd_register::check(&yaml);
    let register = checked.register.unwrap();
    let policy = Policy::compile(&register);
    let rule = &register.retention[0];
    assert_eq!(rule.action, skydd_register::model::RetentionAction::Review);
    // Collected on the leap day: due on 2025-02-28 (the month's last day), not before.
    let contact = record("contact", "2024-02-29", &[]);
    let on = |day: &str| word(&status_of(&policy, "delivery", &contact, at(day)));
    assert_eq!(on("2025-02-28"), "kept contact until 2025-02-28");
    assert_eq!(on("2025-03-01"), "review contact since 2025-02-28");
    // Reviewed on 2025-03-10: the next review is due a year after that.
    let reviewed = record("contact", "2024-02-29", &[("reviewed", "2025-03-10")]);
    assert_eq!(
        word(&status_of(&policy, "delivery", &reviewed, at("2025-06-01"))),
        "kept contact until 2026-03-10"
    );
    // Due for review, it may still be used, and a plan counts it without deleting.
    let decision = policy.decide(
        &skydd_decide::DecisionRequest::new("delivery", "contact"),
        &skydd_decide::SubjectFacts::new(),
        &skydd_decide::ScopeFacts::new(),
        Some(&contact),
        at("2025-06-01"),
    );
    assert!(decision.is_allowed(), "{decision:?}");
    let mut plan = Plan::default();
    plan.add(
        "contact",
        "delivery",
        &status_of(&policy, "delivery", &contact, at("2025-06-01")),
    );
    assert_eq!(plan.total(LineState::Review), 1);
    assert_eq!(plan.total(LineState::Delete), 0);
    // The notice says it as the policy does, without a number of its own.
    let en = skydd_notice::retention::rule(&register, skydd_register::model::Language::En, rule);
    assert_eq!(
        en,
        "We keep it as long as you are our customer, and review at least every 12 months whether we still need it. Data we no longer need is deleted."
    );
    let sv = skydd_notice::retention::rule(&register, skydd_register::model::Language::Sv, rule);
    assert_eq!(
        sv,
        "Vi sparar dem så länge du är kund hos oss och prövar minst var 12:e månad om vi fortfarande behöver dem. Uppgifter som vi inte längre behöver raderas."
    );
}

/// Half of a rule kept by criteria, or one mixed with a fixed period, is refused by name.
#[test]
fn criteria_without_a_review_or_mixed_with_a_period_is_refused() {
    let base = include_str!("../../skydd-vault/tests/fixtures/vault.yaml");
    let fixed = "{id: contact, category: contact, after: contract_end, keep: 24 months}";
    for (rule, expected) in [
        (
            "{id: contact, category: contact, criteria: {en: while you are a customer}}",
            "needs `review` too",
        ),
        (
            "{id: contact, category: contact, review: 12 months}",
            "needs `criteria` too",
        ),
        (
            "{id: contact, category: contact, criteria: {en: while you are a customer}, review: 12 months, keep: 24 months}",
            "has no `keep`",
        ),
        (
            "{id: contact, category: contact, after: contract_end, keep: 24 months, action: review}",
            "`action: review` is written as `criteria`",
        ),
    ] {
        let checked = skydd_register::check(&base.replace(fixed, rule));
        assert!(checked.register.is_none(), "{rule}");
        let messages: Vec<String> = checked
            .diagnostics
            .iter()
            .map(|d| d.message.clone())
            .collect();
        assert!(
            messages.iter().any(|m| m.contains(expected)),
            "{rule}: {messages:?}"
        );
    }
}

/// P002-20: "a maximum of 24 months after the contractual relationship has ended". Contract
/// ended 2023-01-31: kept on 2025-01-30 and on the last day, 2025-01-31; gone on 2025-02-01.
#[test]
fn user_data_goes_24_months_after_the_contract_ends() {
    let (_, policy) = partnersec();
    let running = record("user_data", "2022-01-01", &[]);
    assert_eq!(
        word(&status_of(
            &policy,
            "service_provision",
            &running,
            at("2030-01-01")
        )),
        "pending user_data on contract_end",
        "a running contract keeps the data, however long"
    );
    let ended = record("user_data", "2022-01-01", &[("contract_end", "2023-01-31")]);
    for (day, expected) in [
        ("2025-01-30", "kept user_data until 2025-01-31"),
        ("2025-01-31", "kept user_data until 2025-01-31"),
        ("2025-02-01", "expired user_data delete after 2025-01-31"),
    ] {
        assert_eq!(
            word(&status_of(&policy, "service_provision", &ended, at(day))),
            expected,
            "{day}"
        );
    }
}

/// P002-22/23: unpaid invoices keep traffic data; once paid 2024-01-10 it goes after 6 months.
/// P002-21: accounting material (anchored at `financial_year_end`) is held until the end of the
/// seventh year after the financial year ended (Bokföringslagen), then deleted.
#[test]
fn traffic_data_waits_for_payment_and_accounting_material_for_the_hold() {
    let (_, policy) = partnersec();
    let unpaid = record("traffic_data", "2024-01-01", &[]);
    assert_eq!(
        word(&status_of(
            &policy,
            "service_provision",
            &unpaid,
            at("2025-01-01")
        )),
        "pending traffic_data on invoice_paid"
    );
    let paid = record(
        "traffic_data",
        "2024-01-01",
        &[("invoice_paid", "2024-01-10")],
    );
    assert_eq!(
        word(&status_of(
            &policy,
            "service_provision",
            &paid,
            at("2024-07-09")
        )),
        "kept traffic_data until 2024-07-10"
    );
    assert_eq!(
        word(&status_of(
            &policy,
            "service_provision",
            &paid,
            at("2024-07-11")
        )),
        "expired traffic_data delete after 2024-07-10"
    );
    let booked = record(
        "traffic_data",
        "2024-01-01",
        &[
            ("invoice_paid", "2024-01-10"),
            ("financial_year_end", "2024-12-31"),
        ],
    );
    assert_eq!(
        word(&status_of(
            &policy,
            "service_provision",
            &booked,
            at("2024-07-11")
        )),
        "held traffic_data by bookkeeping until 2031-12-31"
    );
    assert_eq!(
        word(&status_of(
            &policy,
            "service_provision",
            &booked,
            at("2031-12-31")
        )),
        "held traffic_data by bookkeeping until 2031-12-31"
    );
    assert_eq!(
        word(&status_of(
            &policy,
            "service_provision",
            &booked,
            at("2032-01-01")
        )),
        "expired traffic_data delete after 2024-07-10"
    );
}

/// P002-24, 27, 28: 180 days for cloud traffic logs, 28 days for call recordings, 60 days for
/// chats, counted from collection; a leap day in between counts.
#[test]
fn logs_recordings_and_chats_go_after_their_days() {
    let (_, policy) = partnersec();
    let cases = [
        ("cloud_traffic_log", "service_provision", 180),
        ("call_recording", "customer_service_training", 28),
        ("chat_log", "customer_service_training", 60),
    ];
    for (category, purpose, days) in cases {
        let collected: Timestamp = at("2024-01-15");
        let r = record(category, "2024-01-15", &[]);
        let day = |n: i64| {
            collected
                .checked_add(jiff::SignedDuration::from_hours(24 * n))
                .unwrap()
        };
        let kept = word(&status_of(&policy, purpose, &r, day(days - 1)));
        assert!(
            kept.starts_with("kept"),
            "{category} day {}: {kept}",
            days - 1
        );
        let last = word(&status_of(&policy, purpose, &r, day(days)));
        assert!(last.starts_with("kept"), "{category} day {days}: {last}");
        let gone = word(&status_of(&policy, purpose, &r, day(days + 1)));
        assert!(
            gone.starts_with("expired"),
            "{category} day {}: {gone}",
            days + 1
        );
    }
}

/// Website visits are anonymised after 13 months: only the `statistical` page survives.
#[test]
fn website_visits_are_anonymised_keeping_statistical_fields_only() {
    let (register, policy) = partnersec();
    let visit = record("website_visit", "2024-01-31", &[]);
    assert_eq!(
        word(&status_of(
            &policy,
            "website_statistics",
            &visit,
            at("2025-03-01")
        )),
        "expired website_visit anonymise after 2025-02-28"
    );
    let kept = skydd_retention::statistical_fields(&register, "website_visit");
    assert_eq!(kept, ["page"]);
    let fields =
        serde_json::json!({"cookie_id": "c-123", "page": "/pricing", "visited_at": "2024-01-31"});
    let remains = anonymise(
        &register,
        "website_visit",
        fields.as_object().unwrap(),
        &kept,
        date(2025, 3, 1),
    );
    assert_eq!(
        serde_json::Value::Object(remains),
        serde_json::json!({"page": "/pricing"})
    );
    assert_eq!(collected_month(at("2024-01-31")), "2024-01");
}

/// A support ticket kept for statistics keeps its text with every personal datum replaced by
/// its kind (issue 21: "statistical copies have every finding replaced by its kind").
#[test]
fn a_free_text_field_kept_for_statistics_loses_every_personal_datum() {
    let yaml = include_str!("../../skydd-vault/tests/fixtures/vault.yaml").replace(
        "fields: [title, {id: body, format: free_text}]",
        "fields: [title, {id: body, format: free_text, statistical: true}]",
    );
    let register = skydd_register::check(&yaml).register.unwrap();
    let kept = skydd_retention::statistical_fields(&register, "work_items");
    assert_eq!(kept, ["body"]);
    let fields = serde_json::json!({
        "title": "Login fails",
        "body": "Anna (pnr 19121212-1212, tel 070-123 45 67, anna@example.se) cannot log in.",
    });
    let remains = anonymise(
        &register,
        "work_items",
        fields.as_object().unwrap(),
        &kept,
        date(2026, 12, 7),
    );
    assert_eq!(
        serde_json::Value::Object(remains),
        serde_json::json!({
            "body": "Anna (pnr [personnummer], tel [phone], [email]) cannot log in."
        })
    );
}

/// A record whose purpose the register no longer has is reported, not kept silently.
#[test]
fn records_no_rule_governs_are_reported_in_the_plan() {
    let (_, policy) = partnersec();
    let mut plan = Plan::default();
    let now = at("2025-02-01");
    let records = [
        (
            "service_provision",
            record("user_data", "2022-01-01", &[("contract_end", "2023-01-31")]),
        ),
        (
            "service_provision",
            record("user_data", "2022-01-01", &[("contract_end", "2023-01-31")]),
        ),
        ("service_provision", record("user_data", "2022-01-01", &[])),
        (
            "website_statistics",
            record("website_visit", "2023-01-01", &[]),
        ),
        (
            "a_purpose_removed_from_the_register",
            record("user_data", "2022-01-01", &[]),
        ),
    ];
    for (purpose, r) in &records {
        plan.add(
            r.category.as_str(),
            purpose,
            &status_of(&policy, purpose, r, now),
        );
    }
    assert_eq!(plan.total(LineState::Delete), 2);
    assert_eq!(plan.total(LineState::Anonymise), 1);
    assert_eq!(plan.total(LineState::Pending), 1);
    assert_eq!(plan.total(LineState::Ungoverned), 1);
    let table = plan.table();
    assert!(
        table.contains("ungoverned  a_purpose_removed_from_the_register"),
        "{table}"
    );
    assert!(
        table
            .lines()
            .nth(1)
            .unwrap()
            .starts_with("delete      user_data"),
        "{table}"
    );
}

fn workitems() -> (skydd_register::Register, Policy) {
    let text = std::fs::read_to_string(format!(
        "{}/../../examples/registers/workitems.yaml",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let register = skydd_register::check(&text).register.unwrap();
    let policy = Policy::compile(&register);
    (register, policy)
}

/// P003-09: "Your personal data will be deleted by us when the processing is no longer
/// necessary ... except if required by applicable laws." P003-10: "... or mandated by law for
/// such purpose, such as for bookkeeping purposes." A customer contact goes 12 months after the
/// customer relationship ends; a business contact in the accounts is held by Bokföringslagen
/// until the end of the seventh year after its financial year, then goes (its status names the
/// end of its own rule, which the hold outlasted); a hold without its length does not pass
/// `check`.
#[test]
fn workitems_deletes_when_purposes_end_and_keeps_what_bookkeeping_needs() {
    let (_, policy) = workitems();
    let contact = record(
        "customer_contact",
        "2023-05-01",
        &[("contract_end", "2025-03-31")],
    );
    assert_eq!(
        word(&status_of(
            &policy,
            "service_provision",
            &contact,
            at("2026-03-31")
        )),
        "kept customer_contact until 2026-03-31"
    );
    assert_eq!(
        word(&status_of(
            &policy,
            "service_provision",
            &contact,
            at("2026-04-01")
        )),
        "expired customer_contact delete after 2026-03-31"
    );
    let booked = record(
        "business_contact",
        "2023-05-01",
        &[
            ("contract_end", "2025-03-31"),
            ("financial_year_end", "2025-12-31"),
        ],
    );
    assert_eq!(
        word(&status_of(
            &policy,
            "bookkeeping",
            &booked,
            at("2026-04-01")
        )),
        "held business_contact by bookkeeping until 2032-12-31"
    );
    assert_eq!(
        word(&status_of(
            &policy,
            "bookkeeping",
            &booked,
            at("2033-01-01")
        )),
        "expired business_contact delete after 2026-03-31"
    );
    let source = std::fs::read_to_string(format!(
        "{}/../../examples/registers/workitems.yaml",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let endless = source.replacen(
        "    after: financial_year_end\n    keep: 7 years\n    round_up_to: end_of_year\n",
        "",
        1,
    );
    assert_ne!(endless, source);
    assert!(
        skydd_register::check(&endless).has_errors(),
        "a legal hold without its length is refused"
    );
}
