//! The request workflow at the service level, on every backend: intake → code → verify →
//! fulfil for each request type, moves the state machine refuses (with nothing written), a
//! fulfilment rerun after a crash, a tenant's request fulfilled by the tenant only, and
//! deadlines counted from chosen dates (a month end, a leap day). The clock is never read: every
//! call gets its `now`.

use jiff::Timestamp;
use skydd_register::zone::stockholm;
use skydd_requests::{RequestState, RequestType};
use skydd_storage::{RequestChange, RequestEventRow};
use skydd_vault::{
    Actor, Correction, FulfilInput, NewRequest, NewSubject, OutboxState, RequestView, StateFilter,
    VaultError,
};

use super::{CORRECTED_NAME, Harness, NAME, at, contact_record, dpo, on_each_backend};

/// A subject with this e-mail address and one contact record under `delivery`; returns
/// (subject, record).
async fn customer(h: &Harness, email: &str, now: Timestamp) -> (String, String) {
    let new = NewSubject {
        identities: vec![("email".into(), email.into())],
        tenant: None,
    };
    let subject = h
        .vault
        .create_subject(&dpo(), new, now)
        .await
        .unwrap()
        .to_string();
    let record = h
        .vault
        .add_record(&dpo(), &subject, contact_record("delivery"), now)
        .await
        .unwrap()
        .to_string();
    (subject, record)
}

fn request(request_type: RequestType, email: &str, purpose: Option<&str>) -> NewRequest {
    NewRequest {
        request_type,
        identity_kind: "email".into(),
        identity_value: email.into(),
        channel: "web".into(),
        tenant: None,
        received_at: None,
        purpose: purpose.map(str::to_string),
        held_elsewhere: false,
        on_behalf: false,
    }
}

/// The one-time code the outbox holds for `id`.
async fn code_for(h: &Harness, id: &str, now: Timestamp) -> String {
    let message = h
        .vault
        .outbox(&dpo(), Some(OutboxState::Queued), now)
        .await
        .unwrap()
        .into_iter()
        .find(|m| m.request_id.as_deref() == Some(id) && m.kind == "verification_code")
        .unwrap_or_else(|| panic!("{}: no code was sent for {id}", h.name));
    message
        .text
        .split(|c: char| !c.is_ascii_digit())
        .find(|word| word.len() == 8)
        .unwrap()
        .to_string()
}

/// Submit a request and, when it waits for a code, verify it with the code sent.
async fn verified(h: &Harness, new: NewRequest, now: Timestamp) -> String {
    let receipt = h.vault.submit_request(&dpo(), new, now).await.unwrap();
    if receipt.state == RequestState::Verifying {
        let code = code_for(h, &receipt.id, now).await;
        let verified = h
            .vault
            .verify_request(&dpo(), &receipt.id, &code, now)
            .await
            .unwrap();
        assert_eq!(verified.state, RequestState::Verified, "{}", h.name);
    }
    receipt.id
}

fn actions(view: &RequestView) -> Vec<&str> {
    view.events.iter().map(|e| e.action.as_str()).collect()
}

/// What must not change when a move is refused: the request as shown and the outbox.
async fn snapshot(h: &Harness, id: &str, now: Timestamp) -> (RequestView, usize) {
    let view = h.vault.request(&dpo(), id, now).await.unwrap();
    let outbox = h.vault.outbox(&dpo(), None, now).await.unwrap().len();
    (view, outbox)
}

fn refused_state(result: Result<impl std::fmt::Debug, VaultError>, name: &str) {
    match result {
        Err(VaultError::RequestState { .. }) => {}
        other => panic!("{name}: expected a refused move, got {other:?}"),
    }
}

#[tokio::test]
async fn every_request_type_goes_from_intake_through_the_code_to_completion() {
    // P000-54 access, P000-55 portability, P000-56 rectification, P000-57 erasure,
    // P000-58 restriction, P000-59 objection, P000-39 withdrawal, P000-52 marketing opt-out.
    on_each_backend(async |h| {
        let now = at("2026-03-02T09:00:00Z");
        for (n, request_type) in RequestType::ALL.into_iter().enumerate() {
            let email = format!("person{n}@example.se");
            let (subject, record) = customer(h, &email, now).await;
            let purpose = match request_type {
                RequestType::Objection => Some("marketing"),
                RequestType::WithdrawConsent => Some("newsletter"),
                _ => None,
            };
            let id = verified(h, request(request_type, &email, purpose), now).await;
            let mut input = FulfilInput::default();
            if request_type == RequestType::Rectification {
                let mut fields = serde_json::Map::new();
                fields.insert("name".into(), "Corrected Name".into());
                input.corrections = vec![Correction {
                    record_id: record.clone(),
                    fields,
                }];
            }
            let view = h
                .vault
                .fulfil_request(&dpo(), &id, input, now)
                .await
                .unwrap();
            let name = format!("{} {request_type}", h.name);
            assert_eq!(view.request_type, request_type, "{name}");
            assert_eq!(view.state, RequestState::Completed, "{name}");
            assert_eq!(view.closed_at, Some(now), "{name}");
            let expected: &[&str] = if request_type.needs_verification() {
                &["received", "verified", "started", "completed"]
            } else {
                &["received", "started", "completed"]
            };
            assert_eq!(actions(&view), expected, "{name}");
            let last = view.events.last().unwrap();
            assert_eq!(last.from_state, Some(RequestState::InProgress), "{name}");
            assert_eq!(last.to_state, RequestState::Completed, "{name}");
            let outcome = view.outcome.unwrap();
            let key = match request_type {
                RequestType::Access | RequestType::Portability => "package",
                RequestType::Rectification => "rectified_records",
                RequestType::Erasure => "deleted_records",
                RequestType::Restriction => "restricted",
                RequestType::Objection | RequestType::MarketingOptOut => "objected_to",
                RequestType::WithdrawConsent => "consent_withdrawn",
                RequestType::SafeguardCopy => "safeguards_listed",
                RequestType::Complaint => "complaint_answered",
            };
            assert!(outcome.get(key).is_some(), "{name}: {outcome}");
            // The request page's letters: kinds and states, read without opening a message.
            let letters = h.vault.request_letters(&dpo(), &id).await.unwrap();
            let kinds: Vec<&str> = letters.iter().map(|l| l.kind.as_str()).collect();
            // All written at `now`: the order among them is the ids', so look for each.
            assert!(kinds.contains(&"completed"), "{name}: {kinds:?}");
            assert_eq!(
                kinds.contains(&"verification_code"),
                request_type.needs_verification(),
                "{name}: {kinds:?}"
            );
            assert!(
                letters.iter().all(|l| l.created_at == now),
                "{name}: {letters:?}"
            );
            match request_type {
                RequestType::Erasure => {
                    assert_eq!(outcome["deleted_records"], 1, "{name}");
                    assert!(
                        h.storage.get_subject(&subject).await.unwrap().is_none(),
                        "{name}: a subject with nothing kept is shredded"
                    );
                }
                RequestType::Restriction => {
                    let shown = h.vault.subject(&dpo(), &subject).await.unwrap();
                    assert!(shown.restricted, "{name}");
                }
                _ => {}
            }
        }
        let completed = h
            .vault
            .list_requests(
                &dpo(),
                skydd_vault::RequestQuery {
                    state: Some(StateFilter::Is(RequestState::Completed)),
                    ..Default::default()
                },
                now,
            )
            .await
            .unwrap();
        assert_eq!(completed.len(), RequestType::ALL.len(), "{}", h.name);
    })
    .await;
}

#[tokio::test]
async fn moves_the_state_machine_forbids_are_refused_and_write_nothing() {
    // P001-31: a request awaiting its identity check releases nothing.
    on_each_backend(async |h| {
        let now = at("2026-03-02T09:00:00Z");
        customer(h, "eva@example.se", now).await;
        let receipt = h
            .vault
            .submit_request(
                &dpo(),
                request(RequestType::Access, "eva@example.se", None),
                now,
            )
            .await
            .unwrap();
        let id = receipt.id;
        assert_eq!(receipt.state, RequestState::Verifying);

        // Fulfilling an unverified request.
        let before = snapshot(h, &id, now).await;
        let result = h
            .vault
            .fulfil_request(&dpo(), &id, FulfilInput::default(), now)
            .await;
        refused_state(result, h.name);
        assert_eq!(snapshot(h, &id, now).await, before, "{}", h.name);

        // Verifying twice: the second is refused before the code is looked at.
        let code = code_for(h, &id, now).await;
        h.vault
            .verify_request(&dpo(), &id, &code, now)
            .await
            .unwrap();
        let before = snapshot(h, &id, now).await;
        refused_state(
            h.vault.verify_request(&dpo(), &id, &code, now).await,
            h.name,
        );
        assert_eq!(snapshot(h, &id, now).await, before, "{}", h.name);

        // Rejecting a completed request.
        h.vault
            .fulfil_request(&dpo(), &id, FulfilInput::default(), now)
            .await
            .unwrap();
        let before = snapshot(h, &id, now).await;
        assert_eq!(before.0.state, RequestState::Completed);
        let result = h.vault.reject_request(&dpo(), &id, "too late", now).await;
        refused_state(result, h.name);
        // Fulfilling it again is refused too: a request completes once.
        let result = h
            .vault
            .fulfil_request(&dpo(), &id, FulfilInput::default(), now)
            .await;
        refused_state(result, h.name);
        assert_eq!(snapshot(h, &id, now).await, before, "{}", h.name);
    })
    .await;
}

#[tokio::test]
async fn an_extension_past_the_limit_is_refused_and_writes_nothing() {
    // P001-30: an extension gives its reason and is capped at two more months.
    on_each_backend(async |h| {
        let now = at("2026-03-02T09:00:00Z");
        customer(h, "olle@example.se", now).await;
        let id = verified(
            h,
            request(RequestType::Erasure, "olle@example.se", None),
            now,
        )
        .await;
        let extended = h
            .vault
            .extend_request(&dpo(), &id, 2, "many requests this month", now)
            .await
            .unwrap();
        assert_eq!(extended.extended_months, 2);
        let before = snapshot(h, &id, now).await;
        let result = h
            .vault
            .extend_request(&dpo(), &id, 1, "still more", now)
            .await;
        assert!(
            matches!(result, Err(VaultError::Invalid { .. })),
            "{}: {result:?}",
            h.name
        );
        assert_eq!(snapshot(h, &id, now).await, before, "{}", h.name);
    })
    .await;
}

#[tokio::test]
async fn a_fulfilment_interrupted_in_progress_completes_exactly_once_when_rerun() {
    // P000-57: the erasure is done once and confirmed once.
    on_each_backend(async |h| {
        let now = at("2026-03-02T09:00:00Z");
        let (subject, _) = customer(h, "stina@example.se", now).await;
        let id = verified(
            h,
            request(RequestType::Erasure, "stina@example.se", None),
            now,
        )
        .await;
        // A crash right after the request was marked started: in progress, nothing done yet.
        let row = h.storage.get_request(&id).await.unwrap().unwrap();
        let mut started = row.clone();
        started.state = "in_progress".into();
        let changed = h
            .storage
            .change_request(RequestChange {
                event: RequestEventRow {
                    seq: 0,
                    request_id: id.clone(),
                    at: now,
                    actor: "token-dpo".into(),
                    action: "started".into(),
                    from_state: Some(row.state.clone()),
                    to_state: "in_progress".into(),
                    detail: None,
                },
                request: started,
                expected_state: row.state,
                outbox: Vec::new(),
                notifications: Vec::new(),
                new_code: None,
                destroy_evidence: false,
            })
            .await
            .unwrap();
        assert!(changed);
        let later = at("2026-03-02T09:05:00Z");
        let view = h
            .vault
            .fulfil_request(&dpo(), &id, FulfilInput::default(), later)
            .await
            .unwrap();
        assert_eq!(view.state, RequestState::Completed, "{}", h.name);
        assert_eq!(
            actions(&view),
            ["received", "verified", "started", "completed"],
            "{}: started once, completed once",
            h.name
        );
        assert!(h.storage.get_subject(&subject).await.unwrap().is_none());
        let letters = h.vault.outbox(&dpo(), None, later).await.unwrap();
        let completions = letters
            .iter()
            .filter(|m| m.request_id.as_deref() == Some(id.as_str()) && m.kind == "completed")
            .count();
        assert_eq!(completions, 1, "{}: one completion letter", h.name);
        let before = snapshot(h, &id, later).await;
        let result = h
            .vault
            .fulfil_request(&dpo(), &id, FulfilInput::default(), later)
            .await;
        refused_state(result, h.name);
        assert_eq!(snapshot(h, &id, later).await, before, "{}", h.name);
    })
    .await;
}

#[tokio::test]
async fn deadlines_count_to_the_month_end_and_the_leap_day() {
    // P001-29: due a month after receipt; Art. 12(3) counted as Regulation 1182/71 counts.
    on_each_backend(async |h| {
        let zone = stockholm();
        let due_day = |view: &RequestView| view.due_at.to_zoned(zone.clone()).date().to_string();
        // (received, unrolled due, due), in the order time passes: a common year's 31 January
        // ends on 28 February, a Sunday, so the request is due on Monday 1 March; a leap
        // year's ends on 29 February; a leap day's on 29 March.
        let cases = [
            ("2027-01-31T10:00:00Z", "2027-02-28", "2027-03-01"),
            ("2028-01-31T10:00:00Z", "2028-02-29", "2028-02-29"),
            ("2028-02-29T10:00:00Z", "2028-03-29", "2028-03-29"),
        ];
        for (n, (received, unrolled, due)) in cases.into_iter().enumerate() {
            let now = at(received);
            let email = format!("deadline{n}@example.se");
            customer(h, &email, now).await;
            let receipt = h
                .vault
                .submit_request(&dpo(), request(RequestType::Access, &email, None), now)
                .await
                .unwrap();
            assert_eq!(receipt.unrolled_due, unrolled, "{} {received}", h.name);
            let view = h.vault.request(&dpo(), &receipt.id, now).await.unwrap();
            assert_eq!(due_day(&view), due, "{} {received}", h.name);
            if received.starts_with("2028-01-31") {
                // Extended by two months ten days later: 30 April is a Sunday and 1 May a
                // public holiday, so the request is due on Tuesday 2 May.
                let later = at("2028-02-10T09:00:00Z");
                let extended = h
                    .vault
                    .extend_request(&dpo(), &receipt.id, 2, "complex request", later)
                    .await
                    .unwrap();
                assert_eq!(extended.unrolled_due, "2028-04-30", "{}", h.name);
                assert_eq!(due_day(&extended), "2028-05-02", "{}", h.name);
            }
        }
    })
    .await;
}

#[tokio::test]
async fn a_tenants_request_waits_for_the_tenant_and_only_the_tenant_fulfils_it() {
    // P000-07: in processor mode the customer (the tenant) is responsible; Skydd never acts on
    // its own authority.
    on_each_backend(async |h| {
        let now = at("2026-03-02T09:00:00Z");
        let new = NewSubject {
            identities: vec![("email".into(), "user@customer.example".into())],
            tenant: Some("acme".into()),
        };
        h.vault.create_subject(&dpo(), new, now).await.unwrap();
        let mut new = request(RequestType::Erasure, "user@customer.example", None);
        new.tenant = Some("acme".into());
        let receipt = h.vault.submit_request(&dpo(), new, now).await.unwrap();
        assert_eq!(receipt.state, RequestState::Received, "{}", h.name);
        let id = receipt.id;

        let before = snapshot(h, &id, now).await;
        let result = h
            .vault
            .fulfil_request(&dpo(), &id, FulfilInput::default(), now)
            .await;
        refused_state(result, h.name);
        assert_eq!(snapshot(h, &id, now).await, before, "{}", h.name);

        let tenant = Actor {
            id: "token-acme".into(),
            sees_confidential: true,
            ip: None,
            tenant: Some("acme".into()),
        };
        let view = h
            .vault
            .fulfil_request(&tenant, &id, FulfilInput::default(), now)
            .await
            .unwrap();
        assert_eq!(view.state, RequestState::Completed, "{}", h.name);
        assert_eq!(
            actions(&view),
            ["routed_to_controller", "started", "completed"],
            "{}",
            h.name
        );
        assert_eq!(view.events[1].from_state, Some(RequestState::Received));
    })
    .await;
}

/// The console's outbox (issue 17): the metadata of every message is read without decrypting
/// anything or recording a read; one message's address and text are decrypted on demand, and
/// that read is recorded with the message id.
#[tokio::test]
async fn outbox_metadata_is_listed_and_a_message_opened_on_demand_is_audited() {
    on_each_backend(async |h| {
        let now = at("2026-03-02T09:00:00Z");
        customer(h, "anna@example.se", now).await;
        let receipt = h
            .vault
            .submit_request(
                &dpo(),
                request(RequestType::Access, "anna@example.se", None),
                now,
            )
            .await
            .unwrap();
        let reads = async || {
            h.storage
                .audit_entries(
                    &skydd_storage::AuditFilter {
                        action: Some("outbox.read".into()),
                        ..skydd_storage::AuditFilter::default()
                    },
                    0,
                    10,
                )
                .await
                .unwrap()
        };
        let query = skydd_vault::OutboxQuery {
            request_id: Some(receipt.id.clone()),
            ..skydd_vault::OutboxQuery::default()
        };
        let all = h.vault.outbox_entries(&query).await.unwrap();
        assert!(all.len() > 1, "{}: the code and the receipt", h.name);
        let entries: Vec<_> = all
            .iter()
            .filter(|e| e.kind == "verification_code")
            .cloned()
            .collect();
        assert_eq!(entries.len(), 1, "{}", h.name);
        assert_eq!(entries[0].state, OutboxState::Queued);
        assert!(
            all.iter()
                .all(|e| e.request_id.as_deref() == Some(receipt.id.as_str()))
        );
        assert!(
            !format!("{all:?}").contains("anna@example.se"),
            "{}: metadata only",
            h.name
        );
        assert!(
            reads().await.is_empty(),
            "{}: listing reads nothing personal",
            h.name
        );
        let other = skydd_vault::OutboxQuery {
            kind: Some("completed".into()),
            ..query.clone()
        };
        assert!(h.vault.outbox_entries(&other).await.unwrap().is_empty());

        let reader = Actor {
            id: "account:ab12/session:s1".into(),
            ip: Some("192.0.2.7".into()),
            tenant: None,
            sees_confidential: true,
        };
        let message = h
            .vault
            .outbox_message(&reader, &entries[0].id, now)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(message.to, "anna@example.se");
        let recorded = reads().await;
        assert_eq!(recorded.len(), 1, "{}", h.name);
        assert_eq!(recorded[0].event.actor, "account:ab12/session:s1");
        assert_eq!(
            recorded[0].event.detail.as_deref(),
            Some(format!("message {}", entries[0].id).as_str())
        );
        let missing = h.vault.outbox_message(&reader, &"0".repeat(32), now).await;
        assert!(missing.unwrap().is_none());
        assert_eq!(
            reads().await.len(),
            1,
            "{}: nothing read, nothing recorded",
            h.name
        );
    })
    .await;
}

/// The letter of kind `kind` the outbox holds for request `id`.
async fn letter_for(h: &Harness, id: &str, kind: &str, now: Timestamp) -> String {
    h.vault
        .outbox(&dpo(), None, now)
        .await
        .unwrap()
        .into_iter()
        .find(|m| m.request_id.as_deref() == Some(id) && m.kind == kind)
        .unwrap_or_else(|| panic!("{}: no {kind} letter for {id}", h.name))
        .text
}

#[tokio::test]
async fn a_right_that_does_not_reach_the_data_is_answered_not_applicable_with_its_reason() {
    // Issue 20 ("a 'right not applicable' outcome with its reason") and P003-37 (the
    // assessment outcome, full, partial or not applicable, recorded with the reason).
    on_each_backend(async |h| {
        let now = at("2026-03-02T09:00:00Z");

        // Portability: contact details under contract are portable; the same category under
        // legitimate interest (marketing) and visits (not provided by the subject) are not.
        let email = "portable@example.se";
        let (subject, _) = customer(h, email, now).await;
        h.vault
            .add_record(&dpo(), &subject, contact_record("marketing"), now)
            .await
            .unwrap();
        let mut visit = contact_record("delivery");
        visit.category = "visit".into();
        visit.fields.remove("name");
        visit.fields.remove("phone");
        h.vault
            .add_record(&dpo(), &subject, visit, now)
            .await
            .unwrap();
        let id = verified(h, request(RequestType::Portability, email, None), now).await;
        let view = h
            .vault
            .fulfil_request(&dpo(), &id, FulfilInput::default(), now)
            .await
            .unwrap();
        let outcome = view.outcome.unwrap();
        assert_eq!(outcome["assessment"], "partial", "{}: {outcome}", h.name);
        assert_eq!(
            outcome["not_applicable"],
            serde_json::json!([
                {"purpose": "delivery", "categories": ["visit"], "reason": "not_provided_by_subject"},
                {"purpose": "marketing", "categories": ["contact"],
                 "reason": "not_on_consent_or_contract", "basis": "legitimate_interest"},
            ]),
            "{}",
            h.name
        );
        let letter = letter_for(h, &id, "completed", now).await;
        for line in [
            "The right to data portability does not reach the following data:",
            "- Visits to our website (Deliver the service): you did not provide this data to us yourself",
            "- Contact details (Marketing of our products): we process this data on the basis of legitimate interest (GDPR Art. 6(1)(f)), and the right reaches only data processed on your consent or a contract with you (Article 20(1)(a) GDPR).",
            "You can still receive a copy of this data with a request for access (Article 15 GDPR).",
        ] {
            assert!(letter.contains(line), "{}: {line:?} not in\n{letter}", h.name);
        }
        // The file itself names what it leaves out, never in silence.
        let zip = h.vault.portability_zip(&dpo(), &id, now).await.unwrap();
        let zip = String::from_utf8_lossy(&zip);
        assert!(
            zip.contains("\"reason\": \"not_on_consent_or_contract\""),
            "{}",
            h.name
        );
        // Issue 21: a connected row found only because someone else's text mentions the
        // person is in the access package but not in the portability file: the person did not
        // provide it, whatever its category.
        let value = |field: &str, text: &str, mentioned: bool| skydd_vault::PackageConnectedValue {
            collection: "contacts".into(),
            row: "id=7".into(),
            category: "contact".into(),
            field: field.into(),
            value: Some(text.into()),
            mentioned,
        };
        let systems = vec![skydd_vault::PackageSystem {
            system: "crm".into(),
            description: None,
            failed: None,
            values: vec![
                value("phone", "+46701234567", false),
                value("note", "Anna asked to copy portable@example.se", true),
            ],
        }];
        let zip = h
            .vault
            .portability_zip_with(&dpo(), &id, now, systems)
            .await
            .unwrap();
        let zip = String::from_utf8_lossy(&zip);
        assert!(zip.contains("+46701234567"), "{}", h.name);
        assert!(!zip.contains("Anna asked"), "{}", h.name);

        // An objection to a purpose on contract: not applicable, nothing recorded, the purpose
        // still allowed; the letter says why.
        let email = "objector@example.se";
        let (subject, _) = customer(h, email, now).await;
        let id = verified(
            h,
            request(RequestType::Objection, email, Some("delivery")),
            now,
        )
        .await;
        let view = h
            .vault
            .fulfil_request(&dpo(), &id, FulfilInput::default(), now)
            .await
            .unwrap();
        assert_eq!(view.state, RequestState::Completed, "{}", h.name);
        let outcome = view.outcome.unwrap();
        assert_eq!(outcome["assessment"], "not_applicable", "{}", h.name);
        assert_eq!(outcome["not_applicable_to"], "delivery", "{}", h.name);
        assert!(outcome.get("objected_to").is_none(), "{}: {outcome}", h.name);
        let decision = h
            .vault
            .decide(&dpo(), &subject, "delivery", "contact", None, None, now)
            .await
            .unwrap();
        assert!(decision.is_allowed(), "{}: {decision:?}", h.name);
        let letter = letter_for(h, &id, "completed", now).await;
        assert!(
            letter.contains("We have assessed it: the right does not apply to the processing concerned, for the reasons below."),
            "{}: {letter}",
            h.name
        );
        assert!(
            letter.contains("- Deliver the service: we process this data on the basis of performance of a contract (GDPR Art. 6(1)(b)); the right to object reaches"),
            "{}: {letter}",
            h.name
        );

        // A withdrawal from a purpose that never rested on consent.
        let email = "withdrawer@example.se";
        customer(h, email, now).await;
        let id = verified(
            h,
            request(RequestType::WithdrawConsent, email, Some("marketing")),
            now,
        )
        .await;
        let view = h
            .vault
            .fulfil_request(&dpo(), &id, FulfilInput::default(), now)
            .await
            .unwrap();
        let outcome = view.outcome.unwrap();
        assert_eq!(outcome["assessment"], "not_applicable", "{}", h.name);
        assert_eq!(
            outcome["not_applicable"][0]["reason"], "not_on_consent",
            "{}",
            h.name
        );
        assert!(
            outcome.get("consent_withdrawn").is_none(),
            "{}: {outcome}",
            h.name
        );

        // A request the right reaches in full says so.
        let email = "full@example.se";
        customer(h, email, now).await;
        let id = verified(h, request(RequestType::Portability, email, None), now).await;
        let view = h
            .vault
            .fulfil_request(&dpo(), &id, FulfilInput::default(), now)
            .await
            .unwrap();
        let outcome = view.outcome.unwrap();
        assert_eq!(outcome["assessment"], "full", "{}", h.name);
        assert!(outcome.get("not_applicable").is_none(), "{}", h.name);
    })
    .await;
}

#[tokio::test]
async fn a_rectification_keeps_the_replaced_value_sealed_in_the_subjects_history() {
    // Issue 20: rectification keeps the previous value, encrypted, in the subject's history;
    // the subject sees it in the access package, and erasure takes it with the record.
    on_each_backend(async |h| {
        let now = at("2026-03-02T09:00:00Z");
        let email = "corrected@example.se";
        let (subject, record) = customer(h, email, now).await;
        let id = verified(h, request(RequestType::Rectification, email, None), now).await;
        let mut fields = serde_json::Map::new();
        fields.insert("name".into(), CORRECTED_NAME.into());
        fields.insert("email".into(), "anna.borg@example.se".into());
        let input = FulfilInput {
            corrections: vec![Correction {
                record_id: record.clone(),
                fields,
            }],
            ..FulfilInput::default()
        };
        h.vault
            .fulfil_request(&dpo(), &id, input.clone(), now)
            .await
            .unwrap();

        // Sealed: the stored row names the fields, and no value is readable without the key.
        let stored = h.storage.record_revisions(&subject).await.unwrap();
        assert_eq!(stored.len(), 1, "{}", h.name);
        assert_eq!(stored[0].fields, ["email", "name"], "{}", h.name);
        assert_eq!(stored[0].request_id.as_deref(), Some(id.as_str()));
        let bytes = String::from_utf8_lossy(&stored[0].ciphertext);
        assert!(
            !bytes.contains("Anna"),
            "{}: plaintext in the history",
            h.name
        );

        // The subject's access package shows the value before the correction.
        let later = at("2026-03-03T09:00:00Z");
        let access = verified(h, request(RequestType::Access, email, None), later).await;
        let package = h
            .vault
            .access_package(&dpo(), &access, later)
            .await
            .unwrap();
        assert_eq!(package.rectifications.len(), 1, "{}", h.name);
        let revision = &package.rectifications[0];
        assert_eq!(revision.record_id, record, "{}", h.name);
        assert_eq!(revision.category, "contact", "{}", h.name);
        assert_eq!(revision.rectified_at, now, "{}", h.name);
        assert_eq!(
            serde_json::Value::Object(revision.previous.clone()),
            serde_json::json!({"name": NAME, "email": super::EMAIL}),
            "{}",
            h.name
        );
        assert_eq!(
            package.records[0].fields["name"], CORRECTED_NAME,
            "{}",
            h.name
        );
        assert!(package.to_html().contains(NAME), "{}", h.name);

        // Erasure takes the history with the record.
        let erasure = verified(h, request(RequestType::Erasure, email, None), later).await;
        h.vault
            .fulfil_request(&dpo(), &erasure, FulfilInput::default(), later)
            .await
            .unwrap();
        assert!(
            h.storage
                .record_revisions(&subject)
                .await
                .unwrap()
                .is_empty(),
            "{}",
            h.name
        );
    })
    .await;
}

#[tokio::test]
async fn anyone_may_ask_for_the_transfer_safeguards_without_an_identity_check() {
    // Issue 20 (Art. 13(1)(f)): a request type of its own, with the usual deadline; it holds
    // nothing personal, so a person Skydd does not know gets the same answer, at once verified.
    on_each_backend(async |h| {
        let now = at("2026-03-02T09:00:00Z");
        let receipt = h
            .vault
            .submit_request(
                &dpo(),
                request(RequestType::SafeguardCopy, "stranger@example.org", None),
                now,
            )
            .await
            .unwrap();
        assert_eq!(receipt.state, RequestState::Verified, "{}", h.name);
        let view = h
            .vault
            .fulfil_request(&dpo(), &receipt.id, FulfilInput::default(), now)
            .await
            .unwrap();
        assert_eq!(view.state, RequestState::Completed, "{}", h.name);
        let outcome = view.outcome.unwrap();
        assert_eq!(outcome["safeguards_listed"], 0, "{}: {outcome}", h.name);
        assert!(outcome.get("data_found").is_none(), "{}: {outcome}", h.name);
        let letter = letter_for(h, &receipt.id, "completed", now).await;
        assert!(
            letter.contains("We do not transfer personal data outside the EU/EEA"),
            "{}: {letter}",
            h.name
        );
        assert!(!letter.contains("found none"), "{}: {letter}", h.name);
    })
    .await;
}

#[tokio::test]
async fn a_ticket_that_mentions_someone_is_found_by_their_access_and_redacted_by_their_erasure() {
    // Issue 21, "done when": a ticket filed under one customer that mentions another person by
    // personnummer, phone and e-mail is found by that person's access request (everyone
    // else's data masked) and redacted by their erasure; the text is never indexed in clear.
    on_each_backend(async |h| {
        let now = at("2026-03-02T09:00:00Z");
        let (anna, _) = customer(h, "anna.ticket@example.se", now).await;
        let bo = h
            .vault
            .create_subject(
                &dpo(),
                NewSubject {
                    identities: vec![
                        ("email".into(), "Bo.Ek@Example.se".into()),
                        ("phone".into(), "+46 70 765 43 21".into()),
                        ("personnummer".into(), "19121212-1212".into()),
                    ],
                    tenant: None,
                },
                now,
            )
            .await
            .unwrap()
            .to_string();
        let body = "Anna asks us to call her colleague Bo on 070-765 43 21 or bo.ek@example.se \
                    (pnr 19121212-1212); cc third.person@example.org.";
        let mut fields = serde_json::Map::new();
        fields.insert("title".into(), "Login help".into());
        fields.insert("body".into(), body.into());
        let ticket = |fields| skydd_vault::NewRecord {
            category: "work_items".into(),
            fields,
            source: "data_subject".into(),
            purpose: "delivery".into(),
            collected_at: None,
            anchors: Default::default(),
            combined_from: Vec::new(),
        };
        let first_ticket = h
            .vault
            .add_record(&dpo(), &anna, ticket(fields.clone()), now)
            .await
            .unwrap()
            .to_string();
        // A second ticket named Bo until Anna had it corrected: the old text is kept in her
        // history (Art. 16), so Bo's erasure must reach it there too.
        let mut second = fields.clone();
        second.insert("body".into(), "Bo (bo.ek@example.se) cannot log in.".into());
        let corrected_ticket = h
            .vault
            .add_record(&dpo(), &anna, ticket(second), now)
            .await
            .unwrap()
            .to_string();
        let rectify = verified(
            h,
            request(RequestType::Rectification, "anna.ticket@example.se", None),
            now,
        )
        .await;
        let mut correction = serde_json::Map::new();
        correction.insert("body".into(), "A colleague cannot log in.".into());
        h.vault
            .fulfil_request(
                &dpo(),
                &rectify,
                FulfilInput {
                    corrections: vec![Correction {
                        record_id: corrected_ticket.clone(),
                        fields: correction,
                    }],
                    ..FulfilInput::default()
                },
                now,
            )
            .await
            .unwrap();

        // Bo's access request finds the ticket filed under Anna.
        let access = verified(
            h,
            request(RequestType::Access, "bo.ek@example.se", None),
            now,
        )
        .await;
        let package = h.vault.access_package(&dpo(), &access, now).await.unwrap();
        assert_eq!(
            package.mentions.len(),
            1,
            "{}: {:?}",
            h.name,
            package.mentions
        );
        let mention = &package.mentions[0];
        assert_eq!(mention.field, "body");
        assert_eq!(
            mention.found,
            ["email", "personnummer", "phone"],
            "{}",
            h.name
        );
        assert_eq!(
            mention.text,
            "Anna asks us to call her colleague Bo on 070-765 43 21 or bo.ek@example.se \
             (pnr 19121212-1212); cc [redacted].",
            "{}: another person's address is masked",
            h.name
        );
        assert!(package.to_html().contains("mention you"), "{}", h.name);
        // Anna's own package does not list her own ticket as a mention.
        let anna_access = verified(
            h,
            request(RequestType::Access, "anna.ticket@example.se", None),
            now,
        )
        .await;
        let anna_package = h
            .vault
            .access_package(&dpo(), &anna_access, now)
            .await
            .unwrap();
        assert!(anna_package.mentions.is_empty(), "{}", h.name);

        // Bo's erasure redacts him from Anna's ticket, and only him.
        let later = at("2026-03-03T09:00:00Z");
        let erasure = verified(
            h,
            request(RequestType::Erasure, "bo.ek@example.se", None),
            later,
        )
        .await;
        let view = h
            .vault
            .fulfil_request(&dpo(), &erasure, FulfilInput::default(), later)
            .await
            .unwrap();
        let outcome = view.outcome.unwrap();
        // The first ticket (3 passages) and the corrected one's history (1 passage).
        assert_eq!(outcome["redacted_in_records"], 2, "{}: {outcome}", h.name);
        assert_eq!(outcome["redacted_passages"], 4, "{}: {outcome}", h.name);
        assert!(h.storage.get_subject(&bo).await.unwrap().is_none());
        let again = verified(
            h,
            request(RequestType::Access, "anna.ticket@example.se", None),
            later,
        )
        .await;
        let anna_package = h.vault.access_package(&dpo(), &again, later).await.unwrap();
        let ticket = anna_package
            .records
            .iter()
            .find(|r| r.id == first_ticket)
            .unwrap();
        assert_eq!(
            ticket.fields["body"],
            "Anna asks us to call her colleague Bo on [phone] or [email] \
             (pnr [personnummer]); cc third.person@example.org.",
            "{}",
            h.name
        );
        let history = anna_package
            .rectifications
            .iter()
            .find(|r| r.record_id == corrected_ticket)
            .unwrap_or_else(|| panic!("{}: {:?}", h.name, anna_package.rectifications));
        assert_eq!(
            history.previous["body"], "Bo ([email]) cannot log in.",
            "{}: the kept revision is redacted too",
            h.name
        );
    })
    .await;
}
