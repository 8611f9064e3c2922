//! Promises of the seed policies that the vault keeps on its own, each named by its ID
//! (issue 20, "every promise proven"), on both backends.

use std::collections::BTreeSet;

use skydd_crypto::Keyring;
use skydd_requests::{RequestState, RequestType};
use skydd_storage::AuditFilter;
use skydd_vault::{FulfilInput, NewRecord, NewRequest, OutboxState};

use crate::{EMAIL, Harness, anna, at, contact_record, dpo, on_each_backend};

/// A record of `category` under `purpose` with `fields`.
fn record(category: &str, purpose: &str, fields: serde_json::Value) -> NewRecord {
    NewRecord {
        category: category.into(),
        fields: fields.as_object().cloned().unwrap_or_default(),
        source: "data_subject".into(),
        purpose: purpose.into(),
        collected_at: None,
        anchors: Default::default(),
        combined_from: Vec::new(),
    }
}

/// Submit a request by Anna's e-mail address and verify it with the code sent.
async fn verified(h: &Harness, request_type: RequestType, now: jiff::Timestamp) -> String {
    let receipt = h
        .vault
        .submit_request(
            &dpo(),
            NewRequest {
                request_type,
                identity_kind: "email".into(),
                identity_value: EMAIL.into(),
                channel: "email".into(),
                tenant: None,
                received_at: None,
                purpose: None,
                held_elsewhere: false,
                on_behalf: false,
            },
            now,
        )
        .await
        .unwrap();
    let code = h
        .vault
        .outbox(&dpo(), Some(OutboxState::Queued), now)
        .await
        .unwrap()
        .into_iter()
        .find(|m| {
            m.request_id.as_deref() == Some(receipt.id.as_str()) && m.kind == "verification_code"
        })
        .unwrap_or_else(|| panic!("{}: no code for {receipt:?}", h.name))
        .text
        .split(|c: char| !c.is_ascii_digit())
        .find(|word| word.len() == 8)
        .unwrap()
        .to_string();
    h.vault
        .verify_request(&dpo(), &receipt.id, &code, now)
        .await
        .unwrap();
    receipt.id
}

/// Anna with one record in every category of the register.
async fn anna_everywhere(h: &Harness, now: jiff::Timestamp) -> String {
    let anna = anna(h, now).await;
    let records = [
        contact_record("delivery"),
        record(
            "payment",
            "delivery",
            serde_json::json!({"card_token": "tok_4242"}),
        ),
        record(
            "work_items",
            "delivery",
            serde_json::json!({"title": "Invoice question", "body": "Where is my invoice?"}),
        ),
        record(
            "visit",
            "delivery",
            serde_json::json!({"page": "/pricing", "visited_at": "2026-02-27"}),
        ),
    ];
    for new in records {
        h.vault.add_record(&dpo(), &anna, new, now).await.unwrap();
    }
    anna
}

#[tokio::test]
async fn p001_26_an_access_package_holds_every_category_linked_to_the_subject() {
    // P001-26: "you always have the right to review any and all information we have saved
    // pertaining to you": every category of the register holding Anna's data is in her
    // package, checked against the register, with its purposes and retention.
    on_each_backend(async |h| {
        let now = at("2026-03-02T09:00:00Z");
        anna_everywhere(h, now).await;
        let id = verified(h, RequestType::Access, now).await;
        let package = h.vault.access_package(&dpo(), &id, now).await.unwrap();
        let register: BTreeSet<String> = h
            .vault
            .register()
            .data
            .iter()
            .filter(|c| c.personal_data)
            .map(|c| c.id.as_str().to_owned())
            .collect();
        let in_records: BTreeSet<String> =
            package.records.iter().map(|r| r.category.clone()).collect();
        let explained: BTreeSet<String> = package.categories.iter().map(|c| c.id.clone()).collect();
        assert_eq!(in_records, register, "{}: none missing", h.name);
        assert_eq!(explained, register, "{}: each explained", h.name);
        assert!(
            package.categories.iter().all(|c| !c.retention.is_empty()),
            "{}: each with how long it is kept",
            h.name
        );
        assert_eq!(package.identities.len(), 2, "{}", h.name);
    })
    .await;
}

#[tokio::test]
async fn p001_34_an_erasure_deletes_every_record_and_the_confirmation_is_sent_and_recorded() {
    // P001-34: "You may request that we delete all the information we have saved pertaining
    // to you": every record of the subject without a legal hold is deleted (this register has
    // none), the subject's key shredded, and the confirmation queued and kept as an event.
    on_each_backend(async |h| {
        let now = at("2026-03-02T09:00:00Z");
        let anna = anna_everywhere(h, now).await;
        let id = verified(h, RequestType::Erasure, now).await;
        let view = h
            .vault
            .fulfil_request(&dpo(), &id, FulfilInput::default(), now)
            .await
            .unwrap();
        assert_eq!(view.state, RequestState::Completed, "{}", h.name);
        let outcome = view.outcome.unwrap();
        assert_eq!(outcome["deleted_records"], 4, "{}: {outcome}", h.name);
        assert_eq!(outcome["assessment"], "full", "{}: {outcome}", h.name);
        assert!(
            h.storage
                .records_of_subject(&anna)
                .await
                .unwrap()
                .is_empty()
        );
        assert!(h.storage.get_subject(&anna).await.unwrap().is_none());
        // The confirmation: a `completed` letter to the address the request came from,
        // recorded with the request.
        let letters = h.vault.request_letters(&dpo(), &id).await.unwrap();
        assert!(
            letters.iter().any(|l| l.kind == "completed"),
            "{}: {letters:?}",
            h.name
        );
        let actions: Vec<&str> = view.events.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(actions.last(), Some(&"completed"), "{}", h.name);
    })
    .await;
}

#[tokio::test]
async fn p002_39_every_decision_is_audited_the_chain_verifies_and_a_period_exports() {
    // P002-39: "Data processing is logged and systematically controlled": every allow and
    // deny is an audit entry with actor, purpose, category and result; the hash chain
    // verifies; a review period is exported as the entries between two times.
    on_each_backend(async |h| {
        let before = at("2026-03-01T23:00:00Z");
        let now = at("2026-03-02T09:00:00Z");
        let anna = anna(h, before).await;
        let allowed = h
            .vault
            .decide(&dpo(), &anna, "delivery", "contact", None, None, now)
            .await
            .unwrap();
        let denied = h
            .vault
            .decide(&dpo(), &anna, "newsletter", "contact", None, None, now)
            .await
            .unwrap();
        assert!(allowed.is_allowed() && !denied.is_allowed(), "{}", h.name);

        // The review period: the day of the decisions only.
        let period = AuditFilter {
            from: Some(at("2026-03-02T00:00:00Z")),
            to: Some(at("2026-03-03T00:00:00Z")),
            ..AuditFilter::default()
        };
        let entries = h.storage.audit_entries(&period, 0, 1000).await.unwrap();
        let decisions: Vec<_> = entries
            .iter()
            .map(|e| &e.event)
            .filter(|e| e.action == "decision")
            .collect();
        assert_eq!(decisions.len(), 2, "{}: {entries:?}", h.name);
        for (event, purpose) in decisions.iter().zip(["delivery", "newsletter"]) {
            assert_eq!(event.actor, dpo().id, "{}", h.name);
            assert_eq!(event.purpose.as_deref(), Some(purpose), "{}", h.name);
            assert_eq!(event.categories, ["contact"], "{}", h.name);
            assert_eq!(event.subject_id.as_deref(), Some(anna.as_str()));
        }
        assert_eq!(decisions[0].outcome, "allowed", "{}", h.name);
        assert_eq!(decisions[1].outcome, "denied:consent_missing", "{}", h.name);
        assert!(
            entries
                .iter()
                .all(|e| e.event.at >= at("2026-03-02T00:00:00Z")),
            "{}: the subject's creation the night before is outside the period",
            h.name
        );

        let signer = Keyring::load(&h.dir.path().join("master.key")).unwrap();
        let report = skydd_vault::audit_trail::verify(
            h.storage.clone(),
            signer.checkpoint_signer(),
            Vec::new(),
        )
        .await
        .unwrap();
        assert_eq!(report.breach, None, "{}: {report:?}", h.name);
    })
    .await;
}

#[tokio::test]
async fn p001_28_a_request_by_e_mail_is_a_case_with_its_received_time() {
    // P001-28: "Send your request to [address] for assessment and processing": a request
    // that arrived by e-mail is registered as a case with the time it was received (not the
    // time it was typed in), its deadline counted from then, and assessed before anything is
    // done (it waits for the identity check). The notice's intake address is checked with the
    // notice (skydd-notice, P001-28).
    on_each_backend(async |h| {
        let received = at("2026-02-27T16:45:00Z");
        let now = at("2026-03-02T09:00:00Z");
        anna(h, received).await;
        let receipt = h
            .vault
            .submit_request(
                &dpo(),
                NewRequest {
                    request_type: RequestType::Access,
                    identity_kind: "email".into(),
                    identity_value: EMAIL.into(),
                    channel: "email".into(),
                    tenant: None,
                    received_at: Some(received),
                    purpose: None,
                    held_elsewhere: false,
                    on_behalf: false,
                },
                now,
            )
            .await
            .unwrap();
        assert_eq!(receipt.state, RequestState::Verifying, "{}", h.name);
        let view = h.vault.request(&dpo(), &receipt.id, now).await.unwrap();
        assert_eq!(view.channel, "email", "{}", h.name);
        assert_eq!(view.received_at, received, "{}", h.name);
        assert_eq!(
            view.due_at
                .to_zoned(skydd_register::zone::stockholm())
                .date(),
            jiff::civil::date(2026, 3, 27),
            "{}: one month from receipt",
            h.name
        );
    })
    .await;
}

#[tokio::test]
async fn p001_15_a_change_of_a_customers_data_is_audited_with_actor_ip_time_and_field() {
    // P001-15: "We document the IP-address behind a change in a customer's account": a change
    // made through Skydd (here a rectification) writes a chained audit entry with who made it,
    // from which address, when, and which fields changed (names only, never values). Changes
    // GleSYS Cloud makes in its own database are that system's to log.
    on_each_backend(async |h| {
        let now = at("2026-03-02T09:00:00Z");
        let anna = anna(h, now).await;
        let record = h
            .vault
            .add_record(&dpo(), &anna, contact_record("delivery"), now)
            .await
            .unwrap()
            .to_string();
        let id = verified(h, RequestType::Rectification, now).await;
        let mut fields = serde_json::Map::new();
        fields.insert("phone".into(), "+46 70 000 00 00".into());
        let later = at("2026-03-02T09:05:00Z");
        h.vault
            .fulfil_request(
                &dpo(),
                &id,
                FulfilInput {
                    corrections: vec![skydd_vault::Correction {
                        record_id: record,
                        fields,
                    }],
                    ..FulfilInput::default()
                },
                later,
            )
            .await
            .unwrap();
        let changes = h
            .storage
            .audit_entries(
                &AuditFilter {
                    action: Some("record.rectify".into()),
                    ..AuditFilter::default()
                },
                0,
                10,
            )
            .await
            .unwrap();
        assert_eq!(changes.len(), 1, "{}", h.name);
        let change = &changes[0];
        assert_eq!(change.event.actor, dpo().id, "{}", h.name);
        assert_eq!(change.event.ip, dpo().ip, "{}", h.name);
        assert_eq!(change.event.at, later, "{}", h.name);
        assert_eq!(change.event.subject_id.as_deref(), Some(anna.as_str()));
        assert_eq!(change.event.outcome, "fields:phone", "{}", h.name);
        assert!(
            change.hash.is_some(),
            "{}: chained, so it cannot be edited quietly",
            h.name
        );
    })
    .await;
}

#[tokio::test]
async fn p002_19_a_category_kept_0_days_is_never_stored() {
    // P002-19: "Some data is deleted immediately": a category the register keeps 0 days after
    // collection is refused by name when someone tries to store it, and nothing is written;
    // the notice says it is not stored.
    on_each_backend(async |h| {
        let now = at("2026-03-02T09:00:00Z");
        let anna = anna(h, now).await;
        let yaml = crate::REGISTER.replace(
            "{id: visits, category: visit, after: collected_at, keep: 13 months, action: anonymise}",
            "{id: visits, category: visit, after: collected_at, keep: 0 days}",
        );
        let register = skydd_register::check(&yaml).register.unwrap();
        let rule = register.retention.iter().find(|r| r.id.as_str() == "visits").unwrap();
        assert_eq!(
            skydd_notice::retention::rule(&register, skydd_register::model::Language::En, rule),
            "We do not store it: it is deleted as soon as it has been used."
        );
        let keyring = Keyring::load(&h.dir.path().join("master.key")).unwrap();
        let vault = skydd_vault::Vault::new(
            h.storage.clone(),
            std::sync::Arc::new(keyring),
            std::sync::Arc::new(skydd_vault::Enforced::new(register)),
            std::sync::Arc::new(skydd_vault::StorageAudit::new(h.storage.clone())),
        );
        let visit = record(
            "visit",
            "delivery",
            serde_json::json!({"page": "/pricing", "visited_at": "2026-03-02"}),
        );
        match vault.add_record(&dpo(), &anna, visit, now).await {
            Err(skydd_vault::VaultError::Invalid { what, .. }) => {
                assert!(what.contains("`visit` is never stored"), "{}: {what}", h.name);
            }
            other => panic!("{}: expected a refusal, got {other:?}", h.name),
        }
        assert!(
            h.storage.records_of_subject(&anna).await.unwrap().is_empty(),
            "{}: nothing written",
            h.name
        );
    })
    .await;
}

#[tokio::test]
async fn p003_35_a_register_that_asks_for_a_signature_sends_no_code_and_staff_confirm_it() {
    // P003-35: "Your request must be submitted in writing ... including your signature." A
    // register whose `identity_verification` is `[signed_request]` sends no code at intake and
    // refuses one: the request waits in `verifying` (identity pending) until staff confirm the
    // signed written request; then it is verified, due one month after it was received.
    on_each_backend(async |h| {
        let now = at("2026-01-31T09:00:00Z");
        anna(h, now).await;
        let yaml = crate::REGISTER.replace(
            "identity_verification: [email_code]",
            "identity_verification: [signed_request]",
        );
        let register = skydd_register::check(&yaml).register.unwrap();
        let keyring = Keyring::load(&h.dir.path().join("master.key")).unwrap();
        let vault = skydd_vault::Vault::new(
            h.storage.clone(),
            std::sync::Arc::new(keyring),
            std::sync::Arc::new(skydd_vault::Enforced::new(register)),
            std::sync::Arc::new(skydd_vault::StorageAudit::new(h.storage.clone())),
        );
        let receipt = vault
            .submit_request(
                &dpo(),
                NewRequest {
                    request_type: RequestType::Access,
                    identity_kind: "email".into(),
                    identity_value: EMAIL.into(),
                    channel: "email".into(),
                    tenant: None,
                    received_at: None,
                    purpose: None,
                    held_elsewhere: false,
                    on_behalf: false,
                },
                now,
            )
            .await
            .unwrap();
        assert_eq!(receipt.state, RequestState::Verifying, "{}", h.name);
        let letters: Vec<String> = vault
            .outbox(&dpo(), None, now)
            .await
            .unwrap()
            .into_iter()
            .filter(|m| m.request_id.as_deref() == Some(receipt.id.as_str()))
            .map(|m| m.kind)
            .collect();
        assert_eq!(letters, ["received"], "{}: no code is sent", h.name);
        let view = vault.request(&dpo(), &receipt.id, now).await.unwrap();
        assert_eq!(
            view.events[0].detail.as_deref(),
            Some("no code: identity to be confirmed by signed_request"),
            "{}",
            h.name
        );

        // A code is refused, whatever it is; so are methods the register does not name.
        match vault
            .verify_request(&dpo(), &receipt.id, "12345678", now)
            .await
        {
            Err(skydd_vault::VaultError::RequestState { what, .. }) => {
                assert!(
                    what.contains("verified by signed_request, not by a code"),
                    "{what}"
                );
            }
            other => panic!("{}: expected a refusal, got {other:?}", h.name),
        }
        for method in ["id_document", "email_code", "fax"] {
            let refused = vault
                .confirm_identity(&dpo(), &receipt.id, method, now)
                .await;
            assert!(
                matches!(refused, Err(skydd_vault::VaultError::Invalid { .. })),
                "{}: {method} {refused:?}",
                h.name
            );
        }
        assert_eq!(
            vault.request(&dpo(), &receipt.id, now).await.unwrap().state,
            RequestState::Verifying,
            "{}: identity still pending",
            h.name
        );

        // The signed request arrives: staff confirm it. Due a month after receipt (31 January
        // → 28 February, the month's last day, a Saturday: the answer is due on Monday 2 March,
        // the end of that day in Stockholm).
        let later = at("2026-02-03T10:00:00Z");
        let verified = vault
            .confirm_identity(&dpo(), &receipt.id, "signed_request", later)
            .await
            .unwrap();
        assert_eq!(verified.state, RequestState::Verified, "{}", h.name);
        assert_eq!(
            verified.due_at.to_string(),
            receipt.due_at.to_string(),
            "{}",
            h.name
        );
        assert_eq!(receipt.unrolled_due, "2026-02-28", "{}", h.name);
        assert_eq!(receipt.due_at, at("2026-03-02T22:59:59Z"), "{}", h.name);
        let view = vault.request(&dpo(), &receipt.id, later).await.unwrap();
        let last = view.events.last().unwrap();
        assert_eq!(
            (last.action.as_str(), last.detail.as_deref()),
            ("verified", Some("method:signed_request")),
            "{}",
            h.name
        );
        let trail = h
            .storage
            .audit_entries(
                &AuditFilter {
                    action: Some("request.verify".into()),
                    ..AuditFilter::default()
                },
                0,
                100,
            )
            .await
            .unwrap();
        assert_eq!(trail.len(), 1, "{}", h.name);
        assert_eq!(trail[0].event.outcome, "verified");
        assert_eq!(
            trail[0].event.detail.as_deref(),
            Some("method:signed_request")
        );

        // Once verified, there is nothing left to confirm.
        let again = vault
            .confirm_identity(&dpo(), &receipt.id, "signed_request", later)
            .await;
        assert!(
            matches!(again, Err(skydd_vault::VaultError::RequestState { .. })),
            "{}: {again:?}",
            h.name
        );
    })
    .await;
}
