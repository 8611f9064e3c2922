//! Decisions against the four example registers, named after the promises in
//! `shared/promises.md`, plus inline registers for what the examples do not contain.

// Tests may unwrap and panic: a failing unwrap is a failing test with a good message.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use jiff::Timestamp;
use proptest::prelude::*;
use skydd_consent::{
    ConsentEvent, ConsentMethod, ConsentScope, FeatureSwitch, Ledger, LedgerEvent, ObjectionEvent,
    ObjectionSource, OrganisationScope, Preference, PreferenceEvent,
};
use skydd_decide::{
    ConsentRef, Decision, DecisionRequest, DenyCode, Interner, Policy, RecordFacts, ScopeFacts,
    SubjectFacts,
};
use skydd_register::model::{Channel, Choice, ConsentGiver, FeatureId, LegalBasis, PurposeId};

// --- Helpers ------------------------------------------------------------------------------------

fn compile(source: &str) -> Policy {
    let checked = skydd_register::check(source);
    let register = checked.register.unwrap_or_else(|| {
        panic!("register is invalid: {:#?}", checked.diagnostics);
    });
    Policy::compile(&register)
}

fn syspeace() -> Policy {
    compile(include_str!("../../../examples/registers/syspeace.yaml"))
}

fn glesys() -> Policy {
    compile(include_str!("../../../examples/registers/glesys.yaml"))
}

fn partnersec() -> Policy {
    compile(include_str!("../../../examples/registers/partnersec.yaml"))
}

fn workitems() -> Policy {
    compile(include_str!("../../../examples/registers/workitems.yaml"))
}

/// Noon UTC on a date, or a full RFC 3339 timestamp.
fn t(text: &str) -> Timestamp {
    if text.len() == 10 {
        format!("{text}T12:00:00Z").parse().unwrap()
    } else {
        text.parse().unwrap()
    }
}

/// What a decision should be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    Allow(LegalBasis),
    /// Allowed as a processor activity (no basis of its own).
    Processor,
    Deny(DenyCode),
}

use Expect::{Allow, Deny, Processor};

fn outcome(decision: &Decision) -> Expect {
    match decision {
        Decision::Allow {
            legal_basis: Some(basis),
            ..
        } => Allow(*basis),
        Decision::Allow {
            legal_basis: None, ..
        } => Processor,
        Decision::Deny { code, .. } => Deny(*code),
    }
}

/// A subject's facts from ledger events.
fn facts_from(subject: &str, events: Vec<LedgerEvent>, interner: &mut Interner) -> SubjectFacts {
    let ledger = Ledger::from_events(events);
    SubjectFacts::from_ledger(
        subject,
        ledger.consents(),
        ledger.objections(),
        ledger.preferences(),
        interner,
    )
}

fn consent(scope: ConsentScope, purpose: &str, granted: bool, at: &str) -> LedgerEvent {
    ConsentEvent {
        scope,
        purpose: PurposeId(purpose.into()),
        granted,
        method: ConsentMethod::WebForm,
        notice_version: "n1".into(),
        at: t(at),
        text_hash: None,
    }
    .into()
}

fn subject_consent(purpose: &str, granted: bool, at: &str) -> LedgerEvent {
    consent(ConsentScope::Subject("s".into()), purpose, granted, at)
}

fn objection(purpose: Option<&str>, source: ObjectionSource, at: &str) -> LedgerEvent {
    ObjectionEvent::raise("s", purpose.map(|p| PurposeId(p.into())), source, t(at)).into()
}

fn ai_switch(scope: OrganisationScope, enabled: bool, at: &str) -> FeatureSwitch {
    FeatureSwitch {
        feature: FeatureId("ai_features".into()),
        scope,
        enabled,
        actor: "admin-1".into(),
        at: t(at),
    }
}

/// Run a table of decisions without records. One row per line, columns separated by spaces:
/// promise, purpose, category, subject name, expectation (`allow:<basis>`, `processor`, `anonymous` (both: allowed without a basis) or
/// `deny:<code>`), then optional `channel=<channel>`, `interest=<id>`, `org=<id>`,
/// `project=<id>` (with `org`), `store`. `#` starts a comment.
fn run(
    policy: &Policy,
    subjects: &[(&str, SubjectFacts)],
    scopes: &ScopeFacts,
    now: Timestamp,
    table: &str,
) {
    let mut failures = Vec::new();
    let mut rows = 0;
    for line in table.lines() {
        let line = line.split('#').next().unwrap_or_default().trim();
        if line.is_empty() {
            continue;
        }
        rows += 1;
        let columns: Vec<&str> = line.split_whitespace().collect();
        let [promise, purpose, category, subject, expect, options @ ..] = columns.as_slice() else {
            panic!("short row: {line}");
        };
        let expect = parse_expect(expect);
        let facts = &subjects
            .iter()
            .find(|(name, _)| name == subject)
            .unwrap_or_else(|| panic!("no subject {subject}"))
            .1;
        let mut request = DecisionRequest::new(purpose, category);
        let mut organisation = None;
        let mut project = None;
        for option in options {
            match option.split_once('=') {
                Some(("channel", c)) => request = request.with_channel(parse_choice(c)),
                Some(("interest", i)) => request = request.with_interest(i),
                Some(("org", o)) => organisation = Some(o),
                Some(("project", p)) => project = Some(p),
                Some(("role", r)) => request = request.for_role(r),
                None if *option == "store" => request = request.storing(),
                _ => panic!("unknown option {option}"),
            }
        }
        request = match (organisation, project) {
            (Some(o), Some(p)) => request.in_project(o, p),
            (Some(o), None) => request.in_organisation(o),
            _ => request,
        };
        let decision = policy.decide(&request, facts, scopes, None, now);
        if outcome(&decision) != expect {
            failures.push(format!(
                "{promise}: decide({purpose}, {category}) for {subject}: expected {expect:?}, got {decision:?}"
            ));
        }
    }
    assert!(rows > 0, "empty table");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Run a table of decisions about records, for a plain subject. Columns: promise, purpose,
/// category, record name, date (noon UTC) or RFC 3339 time, expectation, then optional `store`.
fn run_records(policy: &Policy, records: &[(&str, RecordFacts)], table: &str) {
    let subject = SubjectFacts::new();
    let scopes = ScopeFacts::new();
    let mut failures = Vec::new();
    let mut rows = 0;
    for line in table.lines() {
        let line = line.split('#').next().unwrap_or_default().trim();
        if line.is_empty() {
            continue;
        }
        rows += 1;
        let columns: Vec<&str> = line.split_whitespace().collect();
        let [
            promise,
            purpose,
            category,
            record,
            now,
            expect,
            options @ ..,
        ] = columns.as_slice()
        else {
            panic!("short row: {line}");
        };
        let record = &records
            .iter()
            .find(|(name, _)| name == record)
            .unwrap_or_else(|| panic!("no record {record}"))
            .1;
        let mut request = DecisionRequest::new(purpose, category);
        if options.contains(&"store") {
            request = request.storing();
        }
        let decision = policy.decide(&request, &subject, &scopes, Some(record), t(now));
        let expect = parse_expect(expect);
        if outcome(&decision) != expect {
            failures.push(format!(
                "{promise}: decide({purpose}, {category}) at {now}: expected {expect:?}, got {decision:?}"
            ));
        }
    }
    assert!(rows > 0, "empty table");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn parse_expect(word: &str) -> Expect {
    match word.split_once(':') {
        Some(("allow", basis)) => Allow(parse_choice(basis)),
        Some(("deny", code)) => Deny(code.parse().unwrap_or_else(|_| panic!("no code {code}"))),
        // Allowed with no basis of its own: a processor activity, or anonymous data.
        None if word == "processor" || word == "anonymous" => Processor,
        _ => panic!("bad expectation {word}"),
    }
}

fn parse_choice<T: Choice + PartialEq>(word: &str) -> T {
    T::ALL
        .iter()
        .find(|(w, _)| *w == word)
        .map(|(_, v)| *v)
        .unwrap_or_else(|| panic!("not a {}: {word}", T::WHAT))
}

// --- Syspeace (P000) ------------------------------------------------------------------------------

#[test]
fn syspeace_purposes_and_objections() {
    let policy = syspeace();
    let mut interner = Interner::new();
    let plain = SubjectFacts::new();
    let objected_to_development = facts_from(
        "s",
        vec![objection(
            Some("product_development"),
            ObjectionSource::Request,
            "2022-03-01",
        )],
        &mut interner,
    );
    let objected_to_profiles = facts_from(
        "s",
        vec![objection(
            Some("interest_profiles"),
            ObjectionSource::Request,
            "2022-03-01",
        )],
        &mut interner,
    );
    let no_marketing = facts_from(
        "s",
        vec![objection(
            None,
            ObjectionSource::UnsubscribeLink,
            "2022-03-01",
        )],
        &mut interner,
    );
    let gpc = facts_from(
        "s",
        vec![ObjectionEvent::gpc("s", t("2022-03-01")).into()],
        &mut interner,
    );
    let mut restricted = SubjectFacts::new();
    restricted.set_restricted(true);
    let subjects = [
        ("plain", plain),
        ("objected_to_development", objected_to_development),
        ("objected_to_profiles", objected_to_profiles),
        ("no_marketing", no_marketing),
        ("gpc", gpc),
        ("restricted", restricted),
    ];
    let table = "
        # P000-14: analytics output is anonymous; identifying data is not analytics data.
        P000-14 product_development contact_basic          plain                   deny:category_not_processed_for_purpose
        P000-14 product_development aggregated_visit_stats plain                   anonymous
        P000-14 product_development aggregated_visit_stats objected_to_development anonymous
        P000-14 product_development aggregated_visit_stats restricted              anonymous
        # P000-67: statistics use what anonymisation leaves (the sweep that strips identifiers
        # is the vault's retention_sweeps_delete_anonymise_shred_and_prove_it); identified visit
        # data is denied to statistics once the person objects, the anonymous output is not.
        P000-67 product_development visit_info             objected_to_development deny:objection
        P000-67 product_development aggregated_visit_stats objected_to_development anonymous
        P000-67 sales               aggregated_visit_stats plain                   deny:category_not_processed_for_purpose
        # P000-30..37: the legitimate-interest purposes a-h, without any consent.
        P000-30 sales                contact_basic  plain        allow:legitimate_interest
        P000-31 tenders              employment     plain        allow:legitimate_interest
        P000-32 deliveries           contact_basic  plain        allow:legitimate_interest
        P000-33 support              support_upload plain        allow:legitimate_interest
        P000-33 support              feedback       plain        allow:legitimate_interest
        P000-33 support              credentials    plain        allow:legitimate_interest
        P000-34 product_development  clickstream    plain        allow:legitimate_interest
        P000-34 product_development  clickstream    objected_to_development deny:objection
        P000-35 security             visit_info     plain        allow:legitimate_interest
        P000-35 security             visit_info     no_marketing allow:legitimate_interest
        P000-35 security             visit_info     gpc          allow:legitimate_interest
        P000-36 abuse_prevention     credentials    plain        allow:legitimate_interest
        P000-37 orders_and_invoicing financial      plain        allow:legitimate_interest
        P000-37 interest_profiles    financial      plain        deny:category_not_processed_for_purpose
        # P000-38: interest profiles are direct marketing: an objection is absolute, any category.
        P000-38 interest_profiles contact_basic  plain                allow:legitimate_interest
        P000-38 interest_profiles contact_basic  objected_to_profiles deny:objection
        P000-38 interest_profiles clickstream    objected_to_profiles deny:objection
        P000-38 interest_profiles social_profile no_marketing         deny:objection
        P000-38 interest_profiles email_activity gpc                  deny:objection
        # P000-53: after a marketing opt-out, administrative messages still go out.
        P000-53 administrative_communications contact_basic no_marketing allow:legitimate_interest
        P000-53 administrative_communications contact_basic gpc          allow:legitimate_interest
        P000-53 interest_profiles             contact_basic no_marketing deny:objection
        # P000-59: an objection to e stops e only; an objection to i stops i.
        P000-59 product_development feedback   objected_to_development deny:objection
        P000-59 support             feedback   objected_to_development allow:legitimate_interest
        P000-59 interest_profiles   visit_info objected_to_profiles    deny:objection
        # GPC objects to sharing: deliveries share contact data with certified partners
        # (independent controllers); credentials are not shared.
        GPC deliveries contact_basic  gpc          deny:objection
        GPC deliveries credentials    gpc          allow:legitimate_interest
        GPC sales      social_profile gpc          allow:legitimate_interest
        GPC deliveries contact_basic  no_marketing allow:legitimate_interest
        # P000-58: restriction leaves storage only.
        P000-58 sales       contact_basic restricted deny:restricted
        P000-58 bookkeeping financial     restricted deny:restricted
        P000-58 sales       contact_basic restricted allow:legitimate_interest store
        # P000-50: disclosure to authorities rests on the decision (a legal obligation).
        P000-50 authority_requests contact_basic no_marketing allow:legal_obligation
        # Ids that are not in the register.
        P003-28 model_training contact_basic plain deny:unknown_purpose
        -       sales          passport      plain deny:unknown_category
    ";
    run(
        &policy,
        &subjects,
        &ScopeFacts::new(),
        t("2022-06-01"),
        table,
    );
}

/// P000-39, P000-40, P000-48: consent purposes j and k and publishing: none, given, withdrawn.
#[test]
fn p000_39_40_48_consent_purposes() {
    let policy = syspeace();
    let mut interner = Interner::new();
    let scopes = ScopeFacts::new();
    let now = t("2022-06-01");
    for purpose in ["user_forum", "account_registration", "publish_comments"] {
        let request = DecisionRequest::new(purpose, "contact_basic");
        let none = SubjectFacts::new();
        let decision = policy.decide(&request, &none, &scopes, None, now);
        assert_eq!(
            outcome(&decision),
            Deny(DenyCode::ConsentMissing),
            "{purpose}"
        );

        let given = facts_from(
            "s",
            vec![subject_consent(purpose, true, "2022-02-01")],
            &mut interner,
        );
        let decision = policy.decide(&request, &given, &scopes, None, now);
        assert_eq!(outcome(&decision), Allow(LegalBasis::Consent), "{purpose}");
        // P000-40: the decision names the consent's notice version and time.
        let reference = decision.consent().unwrap();
        assert_eq!(&*reference.notice_version, "n1");
        assert_eq!(reference.at, t("2022-02-01"));
        assert_eq!(reference.giver, ConsentGiver::Subject);
        assert_eq!(reference.method, ConsentMethod::WebForm);

        let withdrawn = facts_from(
            "s",
            vec![
                subject_consent(purpose, true, "2022-02-01"),
                subject_consent(purpose, false, "2022-03-01"),
            ],
            &mut interner,
        );
        let decision = policy.decide(&request, &withdrawn, &scopes, None, now);
        assert_eq!(
            outcome(&decision),
            Deny(DenyCode::ConsentWithdrawn),
            "{purpose}"
        );
    }
    // P000-48 with the category the promise names.
    let request = DecisionRequest::new("publish_comments", "feedback");
    let decision = policy.decide(&request, &SubjectFacts::new(), &scopes, None, now);
    assert_eq!(outcome(&decision), Deny(DenyCode::ConsentMissing));
}

/// P000-12: interest areas; P000-52: an opt-out through each way stops marketing.
#[test]
fn p000_12_interests_and_p000_52_opt_out_ways() {
    let policy = syspeace();
    let mut interner = Interner::new();
    let scopes = ScopeFacts::new();
    let now = t("2022-06-01");
    let preference = |interest: &str, opted_in| -> LedgerEvent {
        PreferenceEvent {
            subject: "s".into(),
            preference: Preference::Interest(interest.into()),
            opted_in,
            method: ConsentMethod::WebForm,
            at: t("2022-03-01"),
        }
        .into()
    };
    let facts = facts_from(
        "s",
        vec![preference("topic_a", true), preference("topic_b", false)],
        &mut interner,
    );
    let marketing = DecisionRequest::new("interest_profiles", "contact_basic");
    let topic_a = marketing.with_interest("topic_a");
    let topic_b = marketing.with_interest("topic_b");
    assert!(
        policy
            .decide(&topic_a, &facts, &scopes, None, now)
            .is_allowed()
    );
    assert_eq!(
        policy
            .decide(&topic_b, &facts, &scopes, None, now)
            .deny_code(),
        Some(DenyCode::InterestOptedOut)
    );
    // Administrative messages are not marketing: interests do not apply.
    let admin = DecisionRequest::new("administrative_communications", "contact_basic")
        .with_interest("topic_b");
    assert!(
        policy
            .decide(&admin, &facts, &scopes, None, now)
            .is_allowed()
    );

    for source in [
        ObjectionSource::UnsubscribeLink,
        ObjectionSource::AccountSettings,
        ObjectionSource::Request,
    ] {
        let facts = facts_from(
            "s",
            vec![objection(None, source, "2022-03-01")],
            &mut interner,
        );
        let decision = policy.decide(
            &topic_a.with_channel(Channel::Email),
            &facts,
            &scopes,
            None,
            now,
        );
        let Decision::Deny { code, explanation } = decision else {
            panic!("allowed after an opt-out by {source}");
        };
        assert_eq!(code, DenyCode::Objection);
        assert!(explanation.contains(source.as_str()), "{explanation}");
    }
}

/// P000-07: a tenant's subjects are processed only for processor activities the tenant instructed.
#[test]
fn p000_07_processor_mode() {
    let policy = syspeace();
    let now = t("2022-06-01");
    let mut tenant_user = SubjectFacts::new();
    tenant_user.set_tenant(Some(Arc::from("tenant_t")));
    let own = SubjectFacts::new();
    let mut scopes = ScopeFacts::new();

    let processing = DecisionRequest::new("processing_for_customers", "customer_service_data");
    let marketing = DecisionRequest::new("interest_profiles", "contact_basic");
    let support = DecisionRequest::new("support", "contact_basic");
    let result = |r: &DecisionRequest<'_>, s: &SubjectFacts, scopes: &ScopeFacts| {
        outcome(&policy.decide(r, s, scopes, None, now))
    };
    assert_eq!(result(&processing, &tenant_user, &scopes), Processor);
    assert_eq!(
        result(&marketing, &tenant_user, &scopes),
        Deny(DenyCode::ProcessorMode)
    );
    assert_eq!(
        result(&support, &tenant_user, &scopes),
        Deny(DenyCode::ProcessorMode)
    );
    assert_eq!(
        result(&processing, &own, &scopes),
        Deny(DenyCode::ProcessorMode)
    );
    assert_eq!(
        result(&support, &own, &scopes),
        Allow(LegalBasis::LegitimateInterest)
    );

    // Instructions recorded for the tenant narrow the processor activities.
    scopes.set_instructions("tenant_t", vec![Arc::from("some_other_activity")]);
    assert_eq!(
        result(&processing, &tenant_user, &scopes),
        Deny(DenyCode::ProcessorMode)
    );
    scopes.set_instructions("tenant_t", vec![Arc::from("processing_for_customers")]);
    assert_eq!(result(&processing, &tenant_user, &scopes), Processor);
}

/// Retention of contact data 24 months after the last contact, across a leap day, and the
/// bookkeeping hold (7 years after the financial year, to the end of the year).
#[test]
fn syspeace_retention_leap_day_and_bookkeeping_hold() {
    let last_contact =
        |at| RecordFacts::new("contact_basic", t("2021-06-01")).with_anchor("last_contact", t(at));
    let records = [
        ("feb28", last_contact("2022-02-28")),
        ("leap_day", last_contact("2024-02-29")),
        (
            "no_contact",
            RecordFacts::new("contact_basic", t("2010-01-01")),
        ),
        (
            "accounting",
            last_contact("2022-02-28").with_anchor("financial_year_end", t("2022-12-31")),
        ),
        ("clicks", RecordFacts::new("clickstream", t("2022-01-01"))),
    ];
    let table = "
        # Last contact 2022-02-28: 24 months later is 2024-02-28; gone on the leap day. The
        # boundary is the UTC date: the last second of the last day is still in.
        retention sales contact_basic feb28 2024-02-28           allow:legitimate_interest
        retention sales contact_basic feb28 2024-02-28T23:59:59Z allow:legitimate_interest
        retention sales contact_basic feb28 2024-02-29T00:00:00Z deny:retention_expired
        retention sales contact_basic feb28 2024-02-29           deny:retention_expired
        # Last contact on the leap day: 24 months later is 2026-02-28 (no 29 February in 2026).
        retention sales contact_basic leap_day 2026-02-28 allow:legitimate_interest
        retention sales contact_basic leap_day 2026-03-01 deny:retention_expired
        # No last contact recorded: the clock has not started, the record is kept.
        retention sales contact_basic no_contact 2030-01-01 allow:legitimate_interest
        # An accounting record carries the financial year end: past its retention it is held for
        # bookkeeping only, through 2029-12-31 (7 years after 2022-12-31, end of year).
        P000-66 sales       contact_basic accounting 2024-03-01 deny:legal_hold_other_purpose
        P000-66 bookkeeping contact_basic accounting 2024-03-01 allow:legal_obligation
        P000-66 bookkeeping contact_basic accounting 2029-12-31 allow:legal_obligation
        P000-66 bookkeeping contact_basic accounting 2030-01-01 deny:retention_expired
        # Storage follows the same clocks.
        P000-66 sales       contact_basic accounting 2024-03-01 deny:legal_hold_other_purpose store
        P000-66 bookkeeping contact_basic accounting 2029-12-31 allow:legal_obligation store
        # A record of another category than the request names is refused.
        -       sales       contact_basic clicks     2022-02-01 deny:record_category_mismatch
    ";
    run_records(&syspeace(), &records, table);
}

// --- GleSYS (P001) ---------------------------------------------------------------------------------

#[test]
fn glesys_notices_marketing_and_account_ips() {
    let policy = glesys();
    let mut interner = Interner::new();
    let unsubscribed = facts_from(
        "s",
        vec![objection(
            Some("customer_marketing"),
            ObjectionSource::UnsubscribeLink,
            "2024-09-01",
        )],
        &mut interner,
    );
    let subjects = [
        ("plain", SubjectFacts::new()),
        ("unsubscribed", unsubscribed),
    ];
    let table = "
        # P001-13: service notices go out after a marketing opt-out.
        P001-13 service_notices    customer_identity unsubscribed allow:contract channel=email
        # P001-14: the unsubscribe link stops marketing e-mail.
        P001-14 customer_marketing customer_identity plain        allow:legitimate_interest channel=email
        P001-14 customer_marketing customer_identity unsubscribed deny:objection channel=email
        # Marketing by SMS is not declared.
        P002-16 customer_marketing customer_identity plain        deny:channel_not_declared channel=sms
        P001-10 invoicing          customer_identity plain        allow:contract
        # P001-16: the IP behind account changes is for protection and troubleshooting only.
        P001-16 account_protection account_change_ip plain        allow:legitimate_interest
        P001-16 customer_marketing account_change_ip plain        deny:category_not_processed_for_purpose
        P001-16 user_experience    account_change_ip plain        deny:category_not_processed_for_purpose
        # P001-17: invitee names give customers an overview of access, not marketing.
        P001-17 access_overview    invitee_name      plain        allow:legitimate_interest
        P001-17 customer_marketing invitee_name      plain        deny:category_not_processed_for_purpose
        P001-18 support            support_ticket    unsubscribed allow:legitimate_interest
    ";
    run(
        &policy,
        &subjects,
        &ScopeFacts::new(),
        t("2024-10-01"),
        table,
    );
}

/// Month ends: invoice data 3 months after payment on 30 November ends on 28 February; the
/// passport scan is gone the day after the request closes; the card token when the contract ends.
#[test]
fn glesys_retention_at_month_ends() {
    let invoice = RecordFacts::new("invoice_data", t("2024-11-01"))
        .with_anchor("invoice_paid", t("2024-11-30"))
        .with_anchor("financial_year_end", t("2024-12-31"));
    let passport = RecordFacts::new("id_document", t("2025-03-03"))
        .with_anchor("request_closed", t("2025-03-31"));
    let card = RecordFacts::new("payment_card", t("2020-01-01"));
    let records = [
        ("invoice", invoice),
        ("unpaid", RecordFacts::new("invoice_data", t("2024-11-01"))),
        ("passport", passport),
        ("card", card.clone()),
        (
            "card_ended",
            card.with_anchor("contract_end", t("2025-01-31")),
        ),
    ];
    let table = "
        # Paid 30 November: 3 months later is 28 February; then the bookkeeping hold keeps it
        # for bookkeeping only, 7 years after the financial year, to the end of that year.
        P001-10 invoicing   invoice_data invoice 2025-02-28 allow:contract
        P001-10 invoicing   invoice_data invoice 2025-03-01 deny:legal_hold_other_purpose
        P001-35 bookkeeping invoice_data invoice 2025-03-01 allow:legal_obligation
        P001-35 bookkeeping invoice_data invoice 2031-12-31 allow:legal_obligation
        P001-35 bookkeeping invoice_data invoice 2032-01-01 deny:retention_expired
        # Unpaid: the clock has not started.
        P001-10 invoicing   invoice_data unpaid  2027-01-01 allow:contract
        # P001-32: the passport scan is deleted when the request is done (0 days).
        P001-32 rights_requests id_document passport 2025-03-31 allow:legal_obligation
        P001-32 rights_requests id_document passport 2025-04-01 deny:retention_expired
        # The card token lives while the customer relationship does (then 0 days).
        P001-11 invoicing payment_card card       2030-01-01 allow:contract
        P001-11 invoicing payment_card card_ended 2025-01-31 allow:contract
        P001-11 invoicing payment_card card_ended 2025-02-01 deny:retention_expired
    ";
    run_records(&glesys(), &records, table);
}

// --- PartnerSec (P002) ------------------------------------------------------------------------------

#[test]
fn partnersec_customer_consent_channels_and_objection() {
    let policy = partnersec();
    let mut interner = Interner::new();
    let mut scopes = ScopeFacts::new();
    // The customer organisation "consenting" gave consent to use traffic data for development and
    // marketing; "refusing" withdrew it.
    for (organisation, granted) in [("consenting", true), ("refusing", false)] {
        for purpose in ["service_development", "marketing"] {
            let LedgerEvent::Consent(event) = consent(
                ConsentScope::Organisation(organisation.into()),
                purpose,
                granted,
                "2024-02-01",
            ) else {
                unreachable!()
            };
            scopes.set_consent_event(&event, &mut interner);
        }
    }
    let mut of_consenting = SubjectFacts::new();
    of_consenting.set_organisation(Some(interner.intern("consenting")), None);
    let mut of_refusing = SubjectFacts::new();
    of_refusing.set_organisation(Some(interner.intern("refusing")), None);
    let mut objected = facts_from(
        "s",
        vec![objection(
            Some("marketing"),
            ObjectionSource::Request,
            "2024-03-01",
        )],
        &mut interner,
    );
    objected.set_organisation(Some(interner.intern("consenting")), None);
    let newsletter_reader = facts_from(
        "s",
        vec![subject_consent("newsletter", true, "2024-02-01")],
        &mut interner,
    );
    let unsubscribed = facts_from(
        "s",
        vec![
            subject_consent("newsletter", true, "2024-02-01"),
            ConsentEvent {
                scope: ConsentScope::Subject("s".into()),
                purpose: PurposeId("newsletter".into()),
                granted: false,
                method: ConsentMethod::UnsubscribeLink,
                notice_version: "n1".into(),
                at: t("2024-04-01"),
                text_hash: None,
            }
            .into(),
        ],
        &mut interner,
    );
    let subjects = [
        ("no_organisation", SubjectFacts::new()),
        ("of_consenting", of_consenting),
        ("of_refusing", of_refusing),
        ("objected", objected),
        ("newsletter_reader", newsletter_reader),
        ("unsubscribed", unsubscribed),
    ];
    let table = "
        # P002-10, P002-17: contract and legal obligation need no consent.
        P002-10 service_provision   user_data    no_organisation allow:contract
        P002-17 security            traffic_data no_organisation allow:legal_obligation
        P002-17 security            user_data    objected        allow:contract
        # P002-14: traffic data for development needs the customer's consent.
        P002-14 service_development traffic_data no_organisation deny:consent_missing
        P002-14 service_development traffic_data of_refusing     deny:consent_withdrawn
        P002-14 service_development traffic_data of_consenting   allow:consent
        P002-14 service_development user_data    no_organisation allow:legitimate_interest
        # The request's organisation takes precedence over the subject's own.
        P002-14 service_development traffic_data of_consenting   deny:consent_withdrawn org=refusing
        # P002-15: marketing: traffic data on the customer's consent, user data until the user objects.
        P002-15 marketing traffic_data of_refusing   deny:consent_withdrawn
        P002-15 marketing traffic_data of_consenting allow:consent
        P002-15 marketing user_data    of_consenting allow:legitimate_interest
        P002-15 marketing user_data    objected      deny:objection
        # Direct marketing: the user's objection wins over the organisation's consent.
        P002-15 marketing traffic_data objected      deny:objection
        # P002-16: declared channels only.
        P002-16 marketing user_data of_consenting deny:channel_not_declared channel=push
        P002-16 marketing user_data of_consenting allow:legitimate_interest channel=post
        P002-16 marketing user_data of_consenting allow:legitimate_interest channel=sms
        # P002-06: newsletter on consent, by e-mail only; unsubscribing stops it.
        P002-06 newsletter newsletter_subscription newsletter_reader allow:consent channel=email
        P002-06 newsletter newsletter_subscription unsubscribed      deny:consent_withdrawn channel=email
        P002-06 newsletter newsletter_subscription newsletter_reader deny:channel_not_declared channel=sms
        # P002-12, P002-13, P002-44.
        P002-12 marketing                 call_recording of_consenting   deny:category_not_processed_for_purpose
        P002-13 customer_service_training chat_log       no_organisation allow:legitimate_interest
        P002-44 respond_to_requests       contact_form   no_organisation allow:legitimate_interest
        P002-44 newsletter                contact_form   no_organisation deny:category_not_processed_for_purpose
        # P002-35: disclosure to others needs its own consent from the customer.
        P002-35 consented_disclosure      user_data      of_consenting   deny:consent_missing
        # P002-38: access only for those who need it for their tasks: billing asking for chat
        # logs is denied, customer service allowed; a role the register does not know is denied.
        P002-38 customer_service_training chat_log  no_organisation deny:role_not_for_purpose role=billing
        P002-38 customer_service_training chat_log  no_organisation allow:legitimate_interest role=customer_service
        P002-38 service_provision         user_data no_organisation allow:contract role=billing
        P002-38 service_provision         user_data no_organisation deny:unknown_role role=intern
        # The role is checked before the subject's facts: a mapped role still meets them.
        P002-38 marketing                 user_data objected        deny:role_not_for_purpose role=billing
    ";
    run(&policy, &subjects, &scopes, t("2024-06-01"), table);
    // The organisation's consent is reported with its giver.
    let request = DecisionRequest::new("service_development", "traffic_data");
    let decision = policy.decide(&request, &subjects[1].1, &scopes, None, t("2024-06-01"));
    assert_eq!(
        decision.consent().map(|c| c.giver),
        Some(ConsentGiver::Organisation)
    );
}

/// P002-20 .. P002-28: the retention promises, at the dates the promises name.
#[test]
fn partnersec_retention_promises() {
    let user =
        RecordFacts::new("user_data", t("2020-05-01")).with_anchor("contract_end", t("2023-01-31"));
    let unpaid = RecordFacts::new("traffic_data", t("2023-01-15"));
    let records = [
        ("user", user.clone()),
        ("customer", RecordFacts::new("user_data", t("2020-05-01"))),
        (
            "accounting",
            user.with_anchor("financial_year_end", t("2023-12-31")),
        ),
        ("unpaid", unpaid.clone()),
        ("paid", unpaid.with_anchor("invoice_paid", t("2024-01-10"))),
        (
            "log",
            RecordFacts::new("cloud_traffic_log", t("2024-01-01")),
        ),
        ("call", RecordFacts::new("call_recording", t("2024-03-01"))),
        ("chat", RecordFacts::new("chat_log", t("2024-03-01"))),
        (
            "subscription",
            RecordFacts::new("newsletter_subscription", t("2024-01-01"))
                .with_anchor("newsletter_unsubscribed", t("2024-04-30")),
        ),
    ];
    let table = "
        # P002-20: contract ended 2023-01-31: kept on 2025-01-30 (and 2025-01-31), gone 2025-02-01.
        P002-20 service_provision user_data user     2025-01-30 allow:contract
        P002-20 service_provision user_data user     2025-01-31 allow:contract
        P002-20 service_provision user_data user     2025-02-01 deny:retention_expired
        # While the customer relationship lasts, user data is kept.
        P002-20 service_provision user_data customer 2035-01-01 allow:contract
        # P002-21: an accounting record survives the 24-month rule, for the accounting purpose
        # only, until the hold ends (7 years after the year ending 2023-12-31: 2030-12-31).
        P002-21 service_provision user_data accounting 2025-02-01 deny:legal_hold_other_purpose
        P002-21 legal_compliance  user_data accounting 2025-02-01 allow:legal_obligation
        P002-21 legal_compliance  user_data accounting 2030-12-31 allow:legal_obligation
        P002-21 legal_compliance  user_data accounting 2031-01-01 deny:retention_expired
        # P002-22: unpaid invoice at month 12: the traffic data is kept.
        P002-22 service_provision traffic_data unpaid 2024-01-15 allow:contract
        # P002-23: paid 2024-01-10: kept on 2024-07-09 (and 2024-07-10), gone on 2024-07-11.
        P002-23 service_provision traffic_data paid   2024-07-09 allow:contract
        P002-23 service_provision traffic_data paid   2024-07-10 allow:contract
        P002-23 service_provision traffic_data paid   2024-07-11 deny:retention_expired
        # P002-24: cloud traffic logs 180 days (2024 is a leap year): 179 days kept, 181 gone.
        P002-24 security cloud_traffic_log log 2024-06-28 allow:legal_obligation
        P002-24 security cloud_traffic_log log 2024-06-30 deny:retention_expired
        # P002-27: call recordings 28 days; P002-28: chats 60 days.
        P002-27 customer_service_training call_recording call 2024-03-29 allow:legitimate_interest
        P002-27 customer_service_training call_recording call 2024-03-30 deny:retention_expired
        P002-28 customer_service_training chat_log       chat 2024-04-29 allow:legitimate_interest
        P002-28 customer_service_training chat_log       chat 2024-05-01 deny:retention_expired
        # A newsletter subscription is kept while subscribed, and 0 days after unsubscribing.
        P002-06 newsletter newsletter_subscription subscription 2024-04-30 allow:consent store
        P002-06 newsletter newsletter_subscription subscription 2024-05-01 deny:retention_expired store
    ";
    run_records(&partnersec(), &records, table);
}

// --- Work items (P003) ------------------------------------------------------------------------------

#[test]
fn workitems_ai_features_follow_the_switches() {
    let policy = workitems();
    let subject = SubjectFacts::new();
    let now = t("2025-06-01");
    let ai = DecisionRequest::new("ai_processing", "work_item_content");
    let decide = |scopes: &ScopeFacts, request: DecisionRequest<'_>| {
        outcome(&policy.decide(&request, &subject, scopes, None, now))
    };
    let contract = Allow(LegalBasis::Contract);
    let off = Deny(DenyCode::FeatureDisabled);

    // P003-20: off by default, with or without an organisation.
    let mut scopes = ScopeFacts::new();
    assert_eq!(decide(&scopes, ai), off);
    assert_eq!(decide(&scopes, ai.in_organisation("acme")), off);
    assert_eq!(decide(&scopes, ai.in_project("acme", "a")), off);

    // P003-23: enabled for project A only.
    scopes.apply_switch(ai_switch(
        OrganisationScope::Project {
            organisation: "acme".into(),
            project: "a".into(),
        },
        true,
        "2025-03-01",
    ));
    assert_eq!(decide(&scopes, ai.in_project("acme", "a")), contract);
    assert_eq!(decide(&scopes, ai.in_project("acme", "b")), off);
    assert_eq!(decide(&scopes, ai.in_organisation("acme")), off);

    // P003-31: organisation on, project X off.
    let mut scopes = ScopeFacts::new();
    scopes.apply_switch(ai_switch(
        OrganisationScope::Organisation("acme".into()),
        true,
        "2025-03-01",
    ));
    scopes.apply_switch(ai_switch(
        OrganisationScope::Project {
            organisation: "acme".into(),
            project: "x".into(),
        },
        false,
        "2025-03-02",
    ));
    assert_eq!(decide(&scopes, ai.in_project("acme", "x")), off);
    assert_eq!(decide(&scopes, ai.in_project("acme", "y")), contract);
    assert_eq!(decide(&scopes, ai.in_organisation("acme")), contract);
    assert_eq!(decide(&scopes, ai.in_organisation("globex")), off);
    // P003-29: "only necessary context is sent to AI services": with the feature on, a
    // category outside the AI purpose (an emergency contact) is still denied, so a caller that
    // asks before adding each field to the payload leaves it out.
    assert_eq!(
        decide(
            &scopes,
            DecisionRequest::new("ai_processing", "emergency_contact").in_organisation("acme")
        ),
        Deny(DenyCode::CategoryNotProcessedForPurpose)
    );
    // Without a scope in the request, the subject's organisation and project are used.
    let mut member = SubjectFacts::new();
    member.set_organisation(Some(Arc::from("acme")), Some(Arc::from("x")));
    assert_eq!(
        outcome(&policy.decide(&ai, &member, &scopes, None, now)),
        off
    );
    member.set_organisation(Some(Arc::from("acme")), Some(Arc::from("y")));
    assert_eq!(
        outcome(&policy.decide(&ai, &member, &scopes, None, now)),
        contract
    );

    // P003-32: disabled at t: every later decision denies.
    scopes.apply_switch(ai_switch(
        OrganisationScope::Organisation("acme".into()),
        false,
        "2025-05-01",
    ));
    assert_eq!(decide(&scopes, ai.in_project("acme", "y")), off);
    assert_eq!(decide(&scopes, ai.in_organisation("acme")), off);
}

#[test]
fn workitems_other_purposes() {
    let policy = workitems();
    let mut interner = Interner::new();
    let declined = facts_from(
        "s",
        vec![objection(None, ObjectionSource::Request, "2025-02-01")],
        &mut interner,
    );
    let subjects = [("plain", SubjectFacts::new()), ("declined", declined)];
    let table = "
        P003-02 incident_response       emergency_contact plain    allow:legitimate_interest
        P003-02 marketing               emergency_contact plain    deny:category_not_processed_for_purpose
        P003-03 supplier_management     supplier_contact  plain    allow:contract
        P003-04 marketing               job_application   plain    deny:category_not_processed_for_purpose
        P003-05 enquiry_handling        enquiry           plain    allow:legitimate_interest
        P003-05 marketing               enquiry           plain    deny:category_not_processed_for_purpose
        P003-06 relationship_management business_contact  plain    allow:legitimate_interest
        P003-07 invoicing               business_contact  plain    allow:contract
        P003-28 model_training          work_item_content plain    deny:unknown_purpose
        # P003-38: declining marketing stops it; invoices still go out.
        P003-38 marketing               business_contact  plain    allow:legitimate_interest channel=email
        P003-38 marketing               business_contact  declined deny:objection
        P003-38 invoicing               business_contact  declined allow:contract
        # The acquirer of a business is not sharing in the GPC sense (see the crate docs).
        P003-19 business_transfer       business_contact  declined allow:legitimate_interest
        # P003-41: an employee role not mapped to a service purpose is denied; a mapped one is
        # allowed (and still meets the subject's objection).
        P003-41 incident_response       emergency_contact plain    deny:role_not_for_purpose role=finance
        P003-41 incident_response       emergency_contact plain    allow:legitimate_interest role=service_delivery
        P003-41 invoicing               business_contact  plain    allow:contract role=finance
        P003-41 marketing               business_contact  declined deny:objection role=sales
    ";
    run(
        &policy,
        &subjects,
        &ScopeFacts::new(),
        t("2025-06-01"),
        table,
    );
}

// --- Inline registers: what the examples do not contain --------------------------------------------

/// A small register built on the work-items example: the `purposes:` block is replaced.
fn workitems_with(purposes_and_more: &str, data_extra: &str, retention_extra: &str) -> Policy {
    let source = include_str!("../../../examples/registers/workitems.yaml");
    let source = source.replacen("\ndata:\n", &format!("\ndata:\n{data_extra}"), 1);
    let source = source.replacen(
        "\npurposes:\n",
        &format!("\npurposes:\n{purposes_and_more}"),
        1,
    );
    let source = source.replacen(
        "\nretention:\n",
        &format!("\nretention:\n{retention_extra}"),
        1,
    );
    compile(&source)
}

/// Consent withdrawn means stop (issue 20). EDPB Guidelines 05/2020 on consent, §122: "if a
/// controller chooses to rely on consent for any part of the processing, they must be prepared
/// to respect that choice and stop that part of the processing if an individual withdraws
/// consent"; §121-123: a controller may not swap to another lawful basis once consent is
/// withdrawn. A purpose that rests on [consent, legitimate interest] for one category and on
/// legitimate interest or contract for others stops, in every category, for a subject who
/// withdrew, with `consent_withdrawn`. A new consent lets it go on; a subject who never
/// consented is still served on the other bases, as the register says.
#[test]
fn a_withdrawn_consent_is_not_replaced_by_another_basis() {
    let purposes = r#"
  - id: product_research
    name: {en: Product research, sv: Produktforskning}
    role: controller
    subjects: [customer_user]
    sources: [data_subject]
    legal_basis:
      work_item_content: [consent, legitimate_interest]
      customer_contact: legitimate_interest
      emergency_contact: contract
    legitimate_interest:
      interest: {en: Better products, sv: Bättre produkter}
      balancing: {en: Minimal data, sv: Minimala uppgifter}
    consent:
      wording: {en: I agree to product research, sv: Jag samtycker till produktforskning}
      given_by: subject
"#;
    let policy = workitems_with(purposes, "", "");
    let mut interner = Interner::new();
    let scopes = ScopeFacts::new();
    let now = t("2025-06-01");
    let mut facts = |events: Vec<LedgerEvent>| facts_from("s", events, &mut interner);
    let never = facts(vec![]);
    let given = facts(vec![subject_consent(
        "product_research",
        true,
        "2025-05-01",
    )]);
    let withdrawn = facts(vec![
        subject_consent("product_research", true, "2025-05-01"),
        subject_consent("product_research", false, "2025-05-10"),
    ]);
    let given_again = facts(vec![
        subject_consent("product_research", true, "2025-05-01"),
        subject_consent("product_research", false, "2025-05-10"),
        subject_consent("product_research", true, "2025-05-20"),
    ]);
    let decide = |category: &str, subject: &SubjectFacts| {
        policy.decide(
            &DecisionRequest::new("product_research", category),
            subject,
            &scopes,
            None,
            now,
        )
    };
    for (subject, expected) in [
        (
            &never,
            [
                Allow(LegalBasis::LegitimateInterest),
                Allow(LegalBasis::LegitimateInterest),
                Allow(LegalBasis::Contract),
            ],
        ),
        (
            &given,
            [
                Allow(LegalBasis::Consent),
                Allow(LegalBasis::LegitimateInterest),
                Allow(LegalBasis::Contract),
            ],
        ),
        (
            &withdrawn,
            [
                Deny(DenyCode::ConsentWithdrawn),
                Deny(DenyCode::ConsentWithdrawn),
                Deny(DenyCode::ConsentWithdrawn),
            ],
        ),
        (
            &given_again,
            [
                Allow(LegalBasis::Consent),
                Allow(LegalBasis::LegitimateInterest),
                Allow(LegalBasis::Contract),
            ],
        ),
    ] {
        let got = ["work_item_content", "customer_contact", "emergency_contact"]
            .map(|category| outcome(&decide(category, subject)));
        assert_eq!(got, expected);
    }
    let Decision::Deny { explanation, .. } = decide("customer_contact", &withdrawn) else {
        panic!("a withdrawn consent denies");
    };
    assert!(
        explanation.contains("was withdrawn") && explanation.contains("EDPB Guidelines 05/2020"),
        "{explanation}"
    );
}

/// Several bases: the first that holds, in register order, is reported; consent given by a
/// project; public task stopped by an objection; a retention rule narrowed to one purpose; a
/// special category that needs explicit consent.
#[test]
fn inline_register_bases_projects_narrowed_rules_and_special_categories() {
    let purposes = r#"
  - id: research
    name: {en: Research, sv: Forskning}
    role: controller
    subjects: [customer_user]
    sources: [data_subject]
    legal_basis:
      work_item_content: [consent, legitimate_interest]
      health_notes: public_task
    law: {en: A law giving a public task, sv: En lag}
    legitimate_interest:
      interest: {en: Research, sv: Forskning}
      balancing: {en: Minimal data, sv: Minimala uppgifter}
    consent:
      wording: {en: I agree to research use, sv: Jag samtycker}
      given_by: subject
  - id: project_analytics
    name: {en: Project analytics, sv: Projektanalys}
    role: controller
    subjects: [customer_user]
    sources: [colleague]
    legal_basis:
      work_item_content: consent
    consent:
      wording: {en: We agree for this project, sv: Vi samtycker}
      given_by: project
  - id: wellbeing
    name: {en: Wellbeing support, sv: Välmående}
    role: controller
    subjects: [customer_user]
    sources: [data_subject]
    legal_basis:
      health_notes: contract
"#;
    let data = r#"  - id: health_notes
    name: {en: Health notes, sv: Hälsoanteckningar}
    provided_by_subject: true
    special_category: health
    art9_condition: explicit_consent
    fields: [note]
"#;
    let retention = r#"  - id: research_items
    category: work_item_content
    purposes: [research]
    after: collected_at
    keep: 30 days
  - id: health_notes
    category: health_notes
    after: collected_at
    keep: 1 year
"#;
    let policy = workitems_with(purposes, data, retention);
    let mut interner = Interner::new();
    let scopes_none = ScopeFacts::new();
    let now = t("2025-06-01");

    // [consent, legitimate_interest]: consent first when given, otherwise legitimate interest,
    // and an objection stops the latter.
    let research = DecisionRequest::new("research", "work_item_content");
    let given = facts_from(
        "s",
        vec![subject_consent("research", true, "2025-05-01")],
        &mut interner,
    );
    let objected = facts_from(
        "s",
        vec![objection(
            Some("research"),
            ObjectionSource::Request,
            "2025-05-01",
        )],
        &mut interner,
    );
    let withdrawn_and_objected = facts_from(
        "s",
        vec![
            subject_consent("research", false, "2025-05-01"),
            objection(Some("research"), ObjectionSource::Request, "2025-05-01"),
        ],
        &mut interner,
    );
    let decide = |r: &DecisionRequest<'_>, s: &SubjectFacts, scopes: &ScopeFacts| {
        outcome(&policy.decide(r, s, scopes, None, now))
    };
    assert_eq!(
        decide(&research, &given, &scopes_none),
        Allow(LegalBasis::Consent)
    );
    assert_eq!(
        decide(&research, &SubjectFacts::new(), &scopes_none),
        Allow(LegalBasis::LegitimateInterest)
    );
    assert_eq!(
        decide(&research, &objected, &scopes_none),
        Deny(DenyCode::Objection)
    );
    assert_eq!(
        decide(&research, &withdrawn_and_objected, &scopes_none),
        Deny(DenyCode::Objection)
    );
    // Consent still holds despite an objection (objection is not how consent ends).
    let given_and_objected = facts_from(
        "s",
        vec![
            subject_consent("research", true, "2025-05-01"),
            objection(Some("research"), ObjectionSource::Request, "2025-05-01"),
        ],
        &mut interner,
    );
    assert_eq!(
        decide(&research, &given_and_objected, &scopes_none),
        Allow(LegalBasis::Consent)
    );

    // Given by the project: only the project's own consent counts.
    let analytics = DecisionRequest::new("project_analytics", "work_item_content");
    let mut scopes = ScopeFacts::new();
    for event in [
        consent(
            ConsentScope::Organisation("acme".into()),
            "project_analytics",
            true,
            "2025-05-01",
        ),
        consent(
            ConsentScope::Project {
                organisation: "acme".into(),
                project: "a".into(),
            },
            "project_analytics",
            true,
            "2025-05-01",
        ),
    ] {
        let LedgerEvent::Consent(event) = event else {
            unreachable!()
        };
        scopes.set_consent_event(&event, &mut interner);
    }
    let plain = SubjectFacts::new();
    assert_eq!(
        decide(&analytics.in_project("acme", "a"), &plain, &scopes),
        Allow(LegalBasis::Consent)
    );
    assert_eq!(
        decide(&analytics.in_project("acme", "b"), &plain, &scopes),
        Deny(DenyCode::ConsentMissing)
    );
    assert_eq!(
        decide(&analytics.in_organisation("acme"), &plain, &scopes),
        Deny(DenyCode::ConsentMissing)
    );
    assert_eq!(
        decide(&analytics, &plain, &scopes),
        Deny(DenyCode::ConsentMissing)
    );

    // Public task stops on objection.
    let public = DecisionRequest::new("research", "health_notes");
    let objected_with_consent = facts_from(
        "s",
        vec![
            subject_consent("research", true, "2025-05-01"),
            objection(Some("research"), ObjectionSource::Request, "2025-05-01"),
        ],
        &mut interner,
    );
    assert_eq!(
        decide(&public, &objected_with_consent, &scopes_none),
        Deny(DenyCode::Objection)
    );

    // A special category with explicit consent as its Art. 9 condition needs the subject's consent
    // even on a contract basis; the decision then names that consent.
    let wellbeing = DecisionRequest::new("wellbeing", "health_notes");
    assert_eq!(
        decide(&wellbeing, &plain, &scopes_none),
        Deny(DenyCode::ConsentMissing)
    );
    assert_eq!(
        decide(&public, &given, &scopes_none),
        Allow(LegalBasis::PublicTask)
    );
    let decision = policy.decide(&public, &given, &scopes_none, None, now);
    assert_eq!(
        decision.consent().map(|c| c.giver),
        Some(ConsentGiver::Subject)
    );
    let withdrawn = facts_from(
        "s",
        vec![subject_consent("research", false, "2025-05-01")],
        &mut interner,
    );
    assert_eq!(
        decide(&public, &withdrawn, &scopes_none),
        Deny(DenyCode::ConsentWithdrawn)
    );

    // The rule narrowed to research governs research (30 days); service provision keeps the
    // general rule (while the customer relationship lasts, then 3 months).
    let record = RecordFacts::new("work_item_content", t("2025-04-01"));
    let service = DecisionRequest::new("service_provision", "work_item_content");
    let with_record = |r: &DecisionRequest<'_>| {
        outcome(&policy.decide(r, &SubjectFacts::new(), &scopes_none, Some(&record), now))
    };
    assert_eq!(with_record(&research), Deny(DenyCode::RetentionExpired));
    assert_eq!(with_record(&service), Allow(LegalBasis::Contract));
}

/// A direct marketing purpose that declares no channel may send on none; a purpose that is not
/// marketing and declares channels is limited to them; channel opt-outs apply to marketing only.
#[test]
fn inline_register_channels() {
    let purposes = r#"
  - id: silent_marketing
    name: {en: Marketing without channels, sv: Marknadsföring}
    role: controller
    subjects: [customer_contact]
    sources: [organisation]
    legal_basis:
      business_contact: legitimate_interest
    legitimate_interest:
      interest: {en: Sales, sv: Försäljning}
      balancing: {en: B2B, sv: B2B}
    direct_marketing: true
  - id: status_messages
    name: {en: Status messages, sv: Statusmeddelanden}
    role: controller
    subjects: [customer_contact]
    sources: [organisation]
    legal_basis:
      business_contact: contract
    channels: [sms]
"#;
    let policy = workitems_with(purposes, "", "");
    let scopes = ScopeFacts::new();
    let mut no_sms = SubjectFacts::new();
    no_sms.set_channel_opt_out(Channel::Sms, true);
    let now = t("2025-06-01");
    let decide = |r: DecisionRequest<'_>, s: &SubjectFacts| {
        outcome(&policy.decide(&r, s, &scopes, None, now))
    };
    let silent = DecisionRequest::new("silent_marketing", "business_contact");
    let status = DecisionRequest::new("status_messages", "business_contact");
    let marketing = DecisionRequest::new("marketing", "business_contact");
    assert_eq!(
        decide(silent.with_channel(Channel::Email), &no_sms),
        Deny(DenyCode::ChannelNotDeclared)
    );
    assert_eq!(
        decide(silent, &no_sms),
        Allow(LegalBasis::LegitimateInterest)
    );
    assert_eq!(
        decide(status.with_channel(Channel::Sms), &no_sms),
        Allow(LegalBasis::Contract)
    );
    assert_eq!(
        decide(status.with_channel(Channel::Email), &no_sms),
        Deny(DenyCode::ChannelNotDeclared)
    );
    assert_eq!(
        decide(marketing.with_channel(Channel::Email), &no_sms),
        Allow(LegalBasis::LegitimateInterest)
    );
    let mut no_email = SubjectFacts::new();
    no_email.set_channel_opt_out(Channel::Email, true);
    assert_eq!(
        decide(marketing.with_channel(Channel::Email), &no_email),
        Deny(DenyCode::ChannelOptedOut)
    );
    no_email.set_channel_opt_out(Channel::Email, false);
    assert_eq!(
        decide(marketing.with_channel(Channel::Email), &no_email),
        Allow(LegalBasis::LegitimateInterest)
    );
}

// --- Explanations and properties --------------------------------------------------------------------

#[test]
fn explanations_name_ids_and_never_echo_other_input() {
    let policy = syspeace();
    let scopes = ScopeFacts::new();
    let now = t("2022-06-01");
    let email_as_purpose = DecisionRequest::new("anna@example.se", "contact_basic");
    let Decision::Deny { code, explanation } =
        policy.decide(&email_as_purpose, &SubjectFacts::new(), &scopes, None, now)
    else {
        panic!("an e-mail address is not a purpose");
    };
    assert_eq!(code, DenyCode::UnknownPurpose);
    assert!(!explanation.contains("anna"), "{explanation}");
    assert_eq!(
        explanation,
        "purpose (not a valid id) is not in the register"
    );

    let Decision::Deny { explanation, .. } = policy.decide(
        &DecisionRequest::new("interest_profiles", "financial"),
        &SubjectFacts::new(),
        &scopes,
        None,
        now,
    ) else {
        panic!("financial data is not used for interest profiles");
    };
    assert_eq!(
        explanation,
        "purpose `interest_profiles` does not process data category `financial`"
    );
}

#[test]
fn an_allowed_consent_decision_shares_the_notice_version() {
    let policy = syspeace();
    let mut facts = SubjectFacts::new();
    let version: Arc<str> = Arc::from("2022-01-05");
    facts.set_consent(
        Arc::from("user_forum"),
        true,
        ConsentRef {
            giver: ConsentGiver::Subject,
            notice_version: Arc::clone(&version),
            at: t("2022-02-01"),
            method: ConsentMethod::Banner,
        },
    );
    let decision = policy.decide(
        &DecisionRequest::new("user_forum", "feedback"),
        &facts,
        &ScopeFacts::new(),
        None,
        t("2022-06-01"),
    );
    let consent = decision.consent().unwrap();
    assert!(
        Arc::ptr_eq(&consent.notice_version, &version),
        "no copy is made"
    );
}

const PURPOSES: &[&str] = &[
    "sales",
    "deliveries",
    "interest_profiles",
    "user_forum",
    "bookkeeping",
    "security",
    "processing_for_customers",
    "product_development",
    "nope",
    "",
    "Sales",
    "administrative_communications",
];
const CATEGORIES: &[&str] = &[
    "contact_basic",
    "employment",
    "financial",
    "clickstream",
    "customer_service_data",
    "aggregated_visit_stats",
    "feedback",
    "x",
    "",
];
const EVENTS: &[&str] = &[
    "collected_at",
    "last_contact",
    "contract_end",
    "financial_year_end",
    "other",
];

fn arbitrary_facts() -> impl Strategy<Value = (SubjectFacts, Option<RecordFacts>, ScopeFacts)> {
    (
        any::<bool>(),
        prop::option::of(0usize..2),
        prop::collection::vec((0usize..PURPOSES.len(), any::<bool>()), 0..4),
        prop::collection::vec((prop::option::of(0usize..PURPOSES.len()), 0usize..6), 0..3),
        prop::option::of((
            0usize..CATEGORIES.len(),
            -40_000i64..40_000,
            prop::collection::vec((0usize..EVENTS.len(), -40_000i64..40_000), 0..4),
        )),
        any::<bool>(),
    )
        .prop_map(
            |(restricted, tenant, consents, objections, record, feature_on)| {
                let mut interner = Interner::new();
                let mut facts = SubjectFacts::new();
                facts.set_restricted(restricted);
                facts.set_tenant(tenant.map(|i| interner.intern(["t1", "t2"][i])));
                facts.set_organisation(Some(interner.intern("acme")), None);
                for (purpose, granted) in consents {
                    facts.set_consent(
                        interner.intern(PURPOSES[purpose]),
                        granted,
                        ConsentRef {
                            giver: ConsentGiver::Subject,
                            notice_version: interner.intern("v"),
                            at: Timestamp::UNIX_EPOCH,
                            method: ConsentMethod::Api,
                        },
                    );
                }
                let sources = [
                    ObjectionSource::Request,
                    ObjectionSource::AccountSettings,
                    ObjectionSource::UnsubscribeLink,
                    ObjectionSource::Gpc,
                    ObjectionSource::Dnt,
                    ObjectionSource::Import,
                ];
                for (purpose, source) in objections {
                    facts.object(
                        purpose.map(|p| interner.intern(PURPOSES[p])),
                        sources[source],
                    );
                }
                let day = |d: i64| Timestamp::from_second(1_700_000_000 + d * 86_400).unwrap();
                let record = record.map(|(category, collected, anchors)| {
                    let mut record = RecordFacts::new(CATEGORIES[category], day(collected));
                    for (event, at) in anchors {
                        record = record.with_anchor(EVENTS[event], day(at));
                    }
                    record
                });
                let mut scopes = ScopeFacts::new();
                scopes.apply_switch(ai_switch(
                    OrganisationScope::Organisation("acme".into()),
                    feature_on,
                    "2025-01-01",
                ));
                (facts, record, scopes)
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// `decide` never panics and gives the same answer twice, for arbitrary ids and facts, against
    /// every example register.
    #[test]
    fn decide_is_total_and_deterministic(
        purpose in prop_oneof![
            (0usize..PURPOSES.len()).prop_map(|i| PURPOSES[i].to_owned()),
            "\\PC{0,20}",
        ],
        category in prop_oneof![
            (0usize..CATEGORIES.len()).prop_map(|i| CATEGORIES[i].to_owned()),
            "\\PC{0,20}",
        ],
        channel in prop::option::of(0usize..6),
        interest in prop::option::of("[a-z_]{0,8}"),
        store in any::<bool>(),
        (facts, record, scopes) in arbitrary_facts(),
        now in -100_000i64..100_000,
    ) {
        let channels = [Channel::Email, Channel::Sms, Channel::Phone, Channel::Post, Channel::Push, Channel::InApp];
        let mut request = DecisionRequest::new(&purpose, &category);
        request.channel = channel.map(|c| channels[c]);
        request.interest = interest.as_deref();
        if store {
            request = request.storing();
        }
        let now = Timestamp::from_second(1_700_000_000 + now * 86_400).unwrap();
        for policy in POLICIES.iter() {
            let first = policy.decide(&request, &facts, &scopes, record.as_ref(), now);
            let second = policy.decide(&request, &facts, &scopes, record.as_ref(), now);
            prop_assert_eq!(&first, &second);
            if let Decision::Deny { code, explanation } = &first {
                prop_assert!(!explanation.is_empty());
                // Keeping data is decided by the register, processor mode and the clocks only.
                if store {
                    prop_assert!(matches!(
                        code,
                        DenyCode::UnknownPurpose
                            | DenyCode::UnknownCategory
                            | DenyCode::CategoryNotProcessedForPurpose
                            | DenyCode::ChannelNotDeclared
                            | DenyCode::RecordCategoryMismatch
                            | DenyCode::ProcessorMode
                            | DenyCode::RetentionExpired
                            | DenyCode::LegalHoldOtherPurpose
                    ), "{code}");
                }
            }
        }
    }
}

static POLICIES: std::sync::LazyLock<Vec<Policy>> =
    std::sync::LazyLock::new(|| vec![syspeace(), glesys(), partnersec(), workitems()]);

/// P003-21, P003-34: the facts a vault builds from the ledger: switching AI on for an
/// organisation records the organisation's consent; switching it off withdraws it.
#[test]
fn scope_facts_from_the_ledger_follow_the_switches() {
    let source = include_str!("../../../examples/registers/workitems.yaml");
    let register = skydd_register::check(source).register.unwrap();
    let policy = Policy::compile(&register);
    let mut ledger = Ledger::new();
    let mut interner = Interner::new();
    let ai = DecisionRequest::new("ai_processing", "work_item_content").in_organisation("acme");
    let subject = SubjectFacts::new();
    for (enabled, at, expect) in [
        (true, "2025-03-01", Allow(LegalBasis::Contract)),
        (false, "2025-04-01", Deny(DenyCode::FeatureDisabled)),
    ] {
        let switch = ai_switch(OrganisationScope::Organisation("acme".into()), enabled, at);
        for consent in switch.consents(&register, "2025-01-01").unwrap() {
            ledger.append(consent);
        }
        ledger.append(switch);
        let scopes = ScopeFacts::from_ledger(ledger.consents(), ledger.features(), &mut interner);
        let decision = policy.decide(&ai, &subject, &scopes, None, t("2025-06-01"));
        assert_eq!(outcome(&decision), expect, "after the switch at {at}");
    }
    assert_eq!(
        ledger
            .consent_history(&ConsentScope::Organisation("acme".into()), "ai_processing")
            .len(),
        2
    );
}

/// Issue 6: a consent given to earlier wording of a purpose's consent text is not a consent to the
/// new wording. Changing the newsletter's wording in PartnerSec's register makes every consent
/// given under the old wording need renewal; a consent given again under the new wording counts.
#[test]
fn consent_to_changed_wording_needs_renewal() {
    let source = include_str!("../../../examples/registers/partnersec.yaml");
    let old = skydd_register::check(source).register.unwrap();
    let changed_source = source.replacen(
        "        en: I want to receive PartnerSec's newsletter by e-mail.",
        "        en: I want to receive PartnerSec's newsletter and partner offers by e-mail.",
        1,
    );
    assert_ne!(changed_source, source, "the wording to change was found");
    let new = skydd_register::check(&changed_source).register.unwrap();
    let wording = |register: &skydd_register::Register| {
        let purpose = register.purpose(&PurposeId("newsletter".into())).unwrap();
        purpose.consent.as_ref().unwrap().wording_hash()
    };
    assert_ne!(wording(&old), wording(&new));

    let mut interner = Interner::new();
    let given = |hash: Option<String>, interner: &mut Interner| {
        let event: LedgerEvent = ConsentEvent {
            scope: ConsentScope::Subject("s".into()),
            purpose: PurposeId("newsletter".into()),
            granted: true,
            method: ConsentMethod::WebForm,
            notice_version: "v".into(),
            at: t("2026-01-10"),
            text_hash: hash,
        }
        .into();
        facts_from("s", vec![event], interner)
    };
    let under_old = given(Some(wording(&old)), &mut interner);
    let under_new = given(Some(wording(&new)), &mut interner);
    let unknown_wording = given(None, &mut interner);
    let request = DecisionRequest::new("newsletter", "newsletter_subscription");
    let scopes = ScopeFacts::new();
    let now = t("2026-02-01");
    let decide = |policy: &Policy, facts: &SubjectFacts| {
        outcome(&policy.decide(&request, facts, &scopes, None, now))
    };
    let old_policy = Policy::compile(&old);
    let new_policy = Policy::compile(&new);
    assert_eq!(decide(&old_policy, &under_old), Allow(LegalBasis::Consent));
    assert_eq!(
        decide(&new_policy, &under_old),
        Deny(DenyCode::ConsentRenewalNeeded)
    );
    assert_eq!(decide(&new_policy, &under_new), Allow(LegalBasis::Consent));
    assert_eq!(
        decide(&new_policy, &unknown_wording),
        Allow(LegalBasis::Consent)
    );
    let Decision::Deny { explanation, .. } =
        new_policy.decide(&request, &under_old, &scopes, None, now)
    else {
        unreachable!()
    };
    assert!(explanation.contains("earlier wording"), "{explanation}");
}

/// What a browser signal objects to is set in the register (issue 20, Art. 21(5)). Without a
/// `signals` section Global Privacy Control and Do Not Track each object to direct marketing and
/// to sharing with recipients that use the data for their own purposes; `signals` can name
/// purposes instead, or nothing (`[]`). Each signal counts by its own rule.
#[test]
fn a_browser_signal_objects_to_what_the_register_says() {
    let source = include_str!("../../../examples/registers/syspeace.yaml");
    let default = compile(source);
    let custom = compile(&format!(
        "{source}\nsignals:\n  gpc: [product_development]\n  dnt: []\n"
    ));
    let mut interner = Interner::new();
    let scopes = ScopeFacts::new();
    let now = t("2025-06-01");
    let gpc = facts_from(
        "s",
        vec![objection(None, ObjectionSource::Gpc, "2025-05-01")],
        &mut interner,
    );
    let dnt = facts_from(
        "s",
        vec![objection(None, ObjectionSource::Dnt, "2025-05-01")],
        &mut interner,
    );
    assert!(gpc.signal_in_force(skydd_register::model::BrowserSignal::Gpc));
    assert!(!gpc.signal_in_force(skydd_register::model::BrowserSignal::Dnt));
    let cases = [
        // (policy, facts, purpose, category, expected)
        (
            &default,
            &gpc,
            "interest_profiles",
            "contact_basic",
            Deny(DenyCode::Objection),
        ),
        // Sales shares contact details with certified partners (independent controllers).
        (
            &default,
            &gpc,
            "sales",
            "contact_basic",
            Deny(DenyCode::Objection),
        ),
        (
            &default,
            &gpc,
            "sales",
            "social_profile",
            Allow(LegalBasis::LegitimateInterest),
        ),
        (
            &default,
            &gpc,
            "product_development",
            "feedback",
            Allow(LegalBasis::LegitimateInterest),
        ),
        (
            &default,
            &dnt,
            "interest_profiles",
            "contact_basic",
            Deny(DenyCode::Objection),
        ),
        (
            &custom,
            &gpc,
            "interest_profiles",
            "contact_basic",
            Allow(LegalBasis::LegitimateInterest),
        ),
        (
            &custom,
            &gpc,
            "sales",
            "contact_basic",
            Allow(LegalBasis::LegitimateInterest),
        ),
        (
            &custom,
            &gpc,
            "product_development",
            "feedback",
            Deny(DenyCode::Objection),
        ),
        (
            &custom,
            &dnt,
            "interest_profiles",
            "contact_basic",
            Allow(LegalBasis::LegitimateInterest),
        ),
        (
            &custom,
            &dnt,
            "product_development",
            "feedback",
            Allow(LegalBasis::LegitimateInterest),
        ),
    ];
    for (policy, facts, purpose, category, expected) in cases {
        let decision = policy.decide(
            &DecisionRequest::new(purpose, category),
            facts,
            &scopes,
            None,
            now,
        );
        assert_eq!(
            outcome(&decision),
            expected,
            "{purpose}/{category}: {decision:?}"
        );
    }
}

/// A basis that depends on a fact (issue 20): support rests on the contract for a customer with
/// a support agreement (the record's `support_agreement_signed` anchor has happened) and on
/// legitimate interest otherwise. An objection then stops only the second; a purpose whose only
/// basis waits for a fact that is not there answers `basis_condition_unmet`.
#[test]
fn a_basis_that_depends_on_a_fact_of_the_record() {
    let purposes = r#"
  - id: premium_support
    name: {en: Premium support, sv: Premiumsupport}
    role: controller
    subjects: [customer_user]
    sources: [data_subject]
    legal_basis:
      work_item_content:
        - {basis: contract, when: support_agreement_signed}
        - legitimate_interest
      customer_contact:
        - {basis: contract, when: support_agreement_signed}
    legitimate_interest:
      interest: {en: Helping users, sv: Att hjälpa användare}
      balancing: {en: Only what the ticket needs, sv: Bara det ärendet behöver}
"#;
    let source = include_str!("../../../examples/registers/workitems.yaml")
        .replacen(
            "\nevents:\n",
            "\nevents:\n  - id: support_agreement_signed\n    name: {en: you sign a support agreement, sv: du tecknar ett supportavtal}\n",
            1,
        )
        .replacen("\npurposes:\n", &format!("\npurposes:\n{purposes}"), 1);
    let policy = compile(&source);
    let mut interner = Interner::new();
    let scopes = ScopeFacts::new();
    let now = t("2025-06-01");
    let plain = facts_from("s", vec![], &mut interner);
    let objected = facts_from(
        "s",
        vec![objection(
            Some("premium_support"),
            ObjectionSource::Request,
            "2025-05-01",
        )],
        &mut interner,
    );
    let signed = |category: &str, on: &str| {
        RecordFacts::new(category, t("2025-01-01")).with_anchor("support_agreement_signed", t(on))
    };
    let unsigned = |category: &str| RecordFacts::new(category, t("2025-01-01"));
    let decide = |subject: &SubjectFacts, category: &str, record: Option<&RecordFacts>| {
        outcome(&policy.decide(
            &DecisionRequest::new("premium_support", category),
            subject,
            &scopes,
            record,
            now,
        ))
    };
    let content = "work_item_content";
    assert_eq!(
        decide(&plain, content, Some(&signed(content, "2025-03-01"))),
        Allow(LegalBasis::Contract)
    );
    assert_eq!(
        decide(&plain, content, Some(&unsigned(content))),
        Allow(LegalBasis::LegitimateInterest)
    );
    assert_eq!(
        decide(&plain, content, None),
        Allow(LegalBasis::LegitimateInterest)
    );
    // Signed later than now: not yet.
    assert_eq!(
        decide(&plain, content, Some(&signed(content, "2025-09-01"))),
        Allow(LegalBasis::LegitimateInterest)
    );
    // An objection stops legitimate interest, not the contract.
    assert_eq!(
        decide(&objected, content, Some(&signed(content, "2025-03-01"))),
        Allow(LegalBasis::Contract)
    );
    assert_eq!(
        decide(&objected, content, Some(&unsigned(content))),
        Deny(DenyCode::Objection)
    );
    // The only basis waits for the fact.
    let contact = "customer_contact";
    assert_eq!(
        decide(&plain, contact, Some(&signed(contact, "2025-03-01"))),
        Allow(LegalBasis::Contract)
    );
    assert_eq!(
        decide(&plain, contact, None),
        Deny(DenyCode::BasisConditionUnmet)
    );
    let Decision::Deny { explanation, .. } = policy.decide(
        &DecisionRequest::new("premium_support", contact),
        &plain,
        &scopes,
        None,
        now,
    ) else {
        panic!("denied");
    };
    assert!(
        explanation.contains("`support_agreement_signed`"),
        "{explanation}"
    );
}

/// A basis that depends on a fact of the person (issue 20): support rests on the contract while
/// the subject holds the `support_agreement` attribute (from its start, until its end), and on
/// legitimate interest otherwise, whatever record is asked about, and also without one. Tested
/// at chosen instants around the start and the end, including a leap day.
#[test]
fn a_basis_that_depends_on_an_attribute_of_the_subject() {
    let purposes = r#"
  - id: premium_support
    name: {en: Premium support, sv: Premiumsupport}
    role: controller
    subjects: [customer_user]
    sources: [data_subject]
    legal_basis:
      work_item_content:
        - {basis: contract, when: {attribute: support_agreement}}
        - legitimate_interest
      customer_contact:
        - {basis: contract, when: {attribute: support_agreement}}
    legitimate_interest:
      interest: {en: Helping users, sv: Att hjälpa användare}
      balancing: {en: Only what the ticket needs, sv: Bara det ärendet behöver}
"#;
    let source = include_str!("../../../examples/registers/workitems.yaml")
        .replacen("\npurposes:\n", &format!("\npurposes:\n{purposes}"), 1)
        .replacen(
            "\nevents:\n",
            "\nattributes:\n  - id: support_agreement\n    name: {en: you have a support agreement with us, sv: du har ett supportavtal med oss}\nevents:\n",
            1,
        );
    let policy = compile(&source);
    let mut interner = Interner::new();
    let scopes = ScopeFacts::new();
    let plain = facts_from("s", vec![], &mut interner);
    let mut holder = facts_from("s", vec![], &mut interner);
    holder.set_attribute(
        interner.intern("support_agreement"),
        "2024-02-29T00:00:00Z".parse().unwrap(),
        Some("2025-03-01T00:00:00Z".parse().unwrap()),
    );
    let mut objected = facts_from(
        "s",
        vec![objection(
            Some("premium_support"),
            ObjectionSource::Request,
            "2024-01-01",
        )],
        &mut interner,
    );
    objected.set_attribute(
        interner.intern("support_agreement"),
        "2024-02-29T00:00:00Z".parse().unwrap(),
        None,
    );
    let decide = |subject: &SubjectFacts, category: &str, with_record: bool, now: &str| {
        let record = RecordFacts::new(category, t("2024-01-01"));
        outcome(&policy.decide(
            &DecisionRequest::new("premium_support", category),
            subject,
            &scopes,
            with_record.then_some(&record),
            now.parse().unwrap(),
        ))
    };
    let content = "work_item_content";
    let contact = "customer_contact";
    // Before the leap-day start, at it, and on the last instant before the end.
    assert_eq!(
        decide(&holder, content, true, "2024-02-28T23:59:59Z"),
        Allow(LegalBasis::LegitimateInterest)
    );
    assert_eq!(
        decide(&holder, content, true, "2024-02-29T00:00:00Z"),
        Allow(LegalBasis::Contract)
    );
    assert_eq!(
        decide(&holder, content, false, "2025-02-28T23:59:59Z"),
        Allow(LegalBasis::Contract)
    );
    // The end is exclusive: from then on, legitimate interest again.
    assert_eq!(
        decide(&holder, content, true, "2025-03-01T00:00:00Z"),
        Allow(LegalBasis::LegitimateInterest)
    );
    assert_eq!(
        decide(&plain, content, true, "2024-06-01T00:00:00Z"),
        Allow(LegalBasis::LegitimateInterest)
    );
    // An objection stops legitimate interest, not the contract the attribute brings.
    assert_eq!(
        decide(&objected, content, true, "2024-06-01T00:00:00Z"),
        Allow(LegalBasis::Contract)
    );
    assert_eq!(
        decide(&objected, content, true, "2024-01-15T00:00:00Z"),
        Deny(DenyCode::Objection)
    );
    // The only basis waits for the attribute, with or without a record.
    assert_eq!(
        decide(&holder, contact, false, "2024-06-01T00:00:00Z"),
        Allow(LegalBasis::Contract)
    );
    assert_eq!(
        decide(&holder, contact, true, "2025-06-01T00:00:00Z"),
        Deny(DenyCode::BasisConditionUnmet)
    );
    let Decision::Deny { explanation, .. } = policy.decide(
        &DecisionRequest::new("premium_support", contact),
        &plain,
        &scopes,
        None,
        t("2024-06-01"),
    ) else {
        panic!("denied");
    };
    assert!(
        explanation.contains("attribute `support_agreement`"),
        "{explanation}"
    );
}

/// P002-30: sub-processors "are not allowed to use such data for any other purpose than
/// providing the agreed-upon products and services". A decision asked by the recipient
/// (`by_recipient`) is allowed for the purpose the register gives it and denied for any other,
/// and for a category it does not receive; an unknown recipient is denied too.
#[test]
fn p002_30_a_subcontractor_uses_data_only_for_the_agreed_services() {
    let policy = partnersec();
    let mut interner = Interner::new();
    let subject = facts_from("s", vec![], &mut interner);
    let scopes = ScopeFacts::new();
    let now = t("2025-06-01");
    let ask = |purpose: &str, category: &str, recipient: &str| {
        outcome(&policy.decide(
            &DecisionRequest::new(purpose, category).by_recipient(recipient),
            &subject,
            &scopes,
            None,
            now,
        ))
    };
    assert_eq!(
        ask("service_provision", "user_data", "subcontractors_eu"),
        Allow(LegalBasis::Contract)
    );
    assert_eq!(
        ask(
            "service_provision",
            "traffic_data",
            "subcontractors_third_country"
        ),
        Allow(LegalBasis::Contract)
    );
    // Its own marketing, or PartnerSec's: not a purpose the register gives it.
    assert_eq!(
        ask("marketing", "user_data", "subcontractors_eu"),
        Deny(DenyCode::RecipientNotForPurpose)
    );
    // The police receive data for disclosures, not for the service.
    assert_eq!(
        ask("service_provision", "user_data", "authorities"),
        Deny(DenyCode::RecipientNotForPurpose)
    );
    assert_eq!(
        ask("service_provision", "user_data", "a_stranger"),
        Deny(DenyCode::RecipientNotForPurpose)
    );
    // Without a recipient, the controller's own use of the same purpose is unchanged.
    assert_eq!(
        outcome(&policy.decide(
            &DecisionRequest::new("marketing", "user_data"),
            &subject,
            &scopes,
            None,
            now
        )),
        Allow(LegalBasis::LegitimateInterest)
    );
}

/// P001-25: "we have prepared a Data Processing Agreement ... if you think you may need to sign
/// one". GleSYS hosts its customers' data only under a signed agreement (`requires_agreement`):
/// a tenant's subject is denied with `processor_mode` until the tenant's agreement is recorded,
/// then allowed; the controller's own subjects are never processed by the processor activity.
#[test]
fn p001_25_a_customers_data_is_processed_only_under_a_signed_agreement() {
    let policy = glesys();
    let scopes = ScopeFacts::new();
    let now = t("2025-06-01");
    let mut end_user = SubjectFacts::new();
    end_user.set_tenant(Some(Arc::from("acme")));
    let request = DecisionRequest::new("hosting_for_customers", "hosted_customer_data");
    let Decision::Deny { code, explanation } =
        policy.decide(&request, &end_user, &scopes, None, now)
    else {
        panic!("allowed without an agreement");
    };
    assert_eq!(code, DenyCode::ProcessorMode);
    assert!(
        explanation.contains("data processing agreement"),
        "{explanation}"
    );
    end_user.set_tenant_agreement(true);
    assert!(
        policy
            .decide(&request, &end_user, &scopes, None, now)
            .is_allowed()
    );
    let mut own = SubjectFacts::new();
    own.set_tenant_agreement(true);
    assert_eq!(
        policy
            .decide(&request, &own, &scopes, None, now)
            .deny_code(),
        Some(DenyCode::ProcessorMode)
    );
}
