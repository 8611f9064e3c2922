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

use super::{Harness, at, contact_record, dpo, on_each_backend};

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
