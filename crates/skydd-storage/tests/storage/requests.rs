//! Requests, their append-only history, codes, documents, the outbox and the deletion
//! primitives, on both backends.

use std::sync::Arc;

use skydd_storage::{
    NewRequestRows, OutboxMessageRow, RecipientNotificationRow, RecordRow, RequestChange,
    RequestDocumentRow, RequestEventRow, RequestFilter, RequestRow, RequestSystemRow,
    VerificationCodeRow,
};

use super::{Harness, at, blind, create, record, run};

scenarios!(
    requests_change_only_from_the_expected_state,
    request_events_are_append_only,
    closing_destroys_codes_and_documents,
    the_outbox_delivers_what_is_due,
    recipient_notices_follow_the_message_delivering_them,
    notices_from_before_delivery_become_manual_on_upgrade,
    records_are_replaced_deleted_and_subjects_shredded,
    records_are_found_by_the_identities_their_free_text_mentions,
    outcomes_in_connected_systems_are_kept_per_system_and_action,
    requests_are_assigned_with_an_event_and_listed_by_assignee,
    requests_are_found_by_identity_and_later_events_stored_with_the_first,
);

fn request(id: &str, state: &str, due: &str, tenant: Option<&str>) -> RequestRow {
    RequestRow {
        id: id.into(),
        request_type: "access".into(),
        state: state.into(),
        channel: "web".into(),
        tenant: tenant.map(str::to_string),
        subject_id: None,
        identity_kind: "email".into(),
        identity_blind_index: blind(7),
        key_version: 1,
        wrapped_key: vec![1; 40],
        identity_ciphertext: vec![2; 30],
        details_ciphertext: None,
        received_at: at("2026-04-14T08:00:00Z"),
        due_at: at(due),
        unrolled_due: "2026-05-14".into(),
        extended_months: 0,
        routed_to_controller: tenant.is_some(),
        needs_decision: None,
        reasons: None,
        outcome: None,
        updated_at: at("2026-04-14T08:00:00Z"),
        closed_at: None,
        assignee: None,
    }
}

fn event(id: &str, from: Option<&str>, to: &str) -> RequestEventRow {
    RequestEventRow {
        seq: 0,
        request_id: id.into(),
        at: at("2026-04-14T08:00:00Z"),
        actor: "subject".into(),
        action: to.into(),
        from_state: from.map(str::to_string),
        to_state: to.into(),
        detail: None,
    }
}

fn code(id: &str) -> VerificationCodeRow {
    VerificationCodeRow {
        request_id: id.into(),
        code_hash: vec![9; 32],
        attempts: 0,
        issued_at: at("2026-04-14T08:00:00Z"),
    }
}

fn message(id: &str, request: Option<&str>, next: &str) -> OutboxMessageRow {
    OutboxMessageRow {
        id: id.into(),
        request_id: request.map(str::to_string),
        kind: "received".into(),
        key_version: 1,
        wrapped_key: vec![3; 40],
        address_ciphertext: vec![4; 20],
        body_ciphertext: vec![5; 60],
        state: "queued".into(),
        attempts: 0,
        next_attempt_at: at(next),
        created_at: at("2026-04-14T08:00:00Z"),
        sent_at: None,
        last_error: None,
    }
}

async fn insert(storage: &Arc<dyn skydd_storage::Storage>, row: RequestRow) {
    let id = row.id.clone();
    storage
        .insert_request(NewRequestRows {
            event: event(&id, None, &row.state),
            later_events: Vec::new(),
            request: row,
            code: Some(code(&id)),
            outbox: vec![message(
                &format!("m-{id}"),
                Some(&id),
                "2026-04-14T08:00:00Z",
            )],
        })
        .await
        .unwrap();
}

fn change(row: &RequestRow, expected: &str) -> RequestChange {
    RequestChange {
        request: row.clone(),
        expected_state: expected.into(),
        event: event(&row.id, Some(expected), &row.state),
        outbox: Vec::new(),
        notifications: Vec::new(),
        new_code: None,
        destroy_evidence: false,
    }
}

async fn requests_change_only_from_the_expected_state(h: Arc<Harness>) {
    let storage = h.open().await;
    insert(
        &storage,
        request("r1", "verifying", "2026-05-15T21:59:59Z", None),
    )
    .await;
    insert(
        &storage,
        request("r2", "received", "2026-05-20T21:59:59Z", Some("acme")),
    )
    .await;
    let stored = storage.get_request("r1").await.unwrap().unwrap();
    assert_eq!(
        stored,
        request("r1", "verifying", "2026-05-15T21:59:59Z", None)
    );
    assert!(storage.get_request("nope").await.unwrap().is_none());

    let mut next = stored.clone();
    next.state = "verified".into();
    assert!(
        !storage
            .change_request(change(&next, "received"))
            .await
            .unwrap(),
        "wrong state"
    );
    assert_eq!(storage.get_request("r1").await.unwrap().unwrap(), stored);
    assert_eq!(storage.request_events("r1").await.unwrap().len(), 1);
    assert!(
        storage
            .change_request(change(&next, "verifying"))
            .await
            .unwrap()
    );
    let events = storage.request_events("r1").await.unwrap();
    assert_eq!(
        events
            .iter()
            .map(|e| (e.from_state.as_deref(), e.to_state.as_str()))
            .collect::<Vec<_>>(),
        [(None, "verifying"), (Some("verifying"), "verified")]
    );

    let ids = |rows: Vec<RequestRow>| rows.into_iter().map(|r| r.id).collect::<Vec<_>>();
    let all = storage
        .list_requests(RequestFilter::default())
        .await
        .unwrap();
    assert_eq!(ids(all), ["r1", "r2"], "by due time");
    let due = RequestFilter {
        due_before: Some(at("2026-05-16T00:00:00Z")),
        ..RequestFilter::default()
    };
    assert_eq!(ids(storage.list_requests(due).await.unwrap()), ["r1"]);
    let tenant = RequestFilter {
        tenant: Some("acme".into()),
        ..RequestFilter::default()
    };
    assert_eq!(ids(storage.list_requests(tenant).await.unwrap()), ["r2"]);
    let state = RequestFilter {
        state: Some("verified".into()),
        ..RequestFilter::default()
    };
    assert_eq!(ids(storage.list_requests(state).await.unwrap()), ["r1"]);

    let mut closed = next.clone();
    closed.state = "completed".into();
    closed.closed_at = Some(at("2026-04-20T08:00:00Z"));
    assert!(
        storage
            .change_request(change(&closed, "verified"))
            .await
            .unwrap()
    );
    let open = RequestFilter {
        open_only: true,
        ..RequestFilter::default()
    };
    assert_eq!(ids(storage.list_requests(open).await.unwrap()), ["r2"]);
    storage.close().await.unwrap();
}

async fn request_events_are_append_only(h: Arc<Harness>) {
    let storage = h.open().await;
    insert(
        &storage,
        request("r1", "verifying", "2026-05-15T21:59:59Z", None),
    )
    .await;
    let error = h
        .try_execute("UPDATE request_events SET actor = 'someone else'")
        .await
        .unwrap_err();
    assert!(error.contains("append-only"), "{error}");
    assert_eq!(
        storage.request_events("r1").await.unwrap()[0].actor,
        "subject"
    );
    storage.close().await.unwrap();
}

async fn closing_destroys_codes_and_documents(h: Arc<Harness>) {
    let storage = h.open().await;
    insert(
        &storage,
        request("r1", "verifying", "2026-05-15T21:59:59Z", None),
    )
    .await;
    assert_eq!(storage.count_code_attempt("r1").await.unwrap(), 1);
    assert_eq!(storage.count_code_attempt("r1").await.unwrap(), 2);
    assert_eq!(storage.count_code_attempt("none").await.unwrap(), 0);
    let document = RequestDocumentRow {
        id: "d1".into(),
        request_id: "r1".into(),
        media_type: "application/pdf".into(),
        key_version: 1,
        wrapped_key: vec![6; 40],
        ciphertext: vec![7; 100],
        uploaded_at: at("2026-04-14T09:00:00Z"),
    };
    storage
        .insert_request_document(document.clone())
        .await
        .unwrap();
    assert_eq!(storage.request_documents("r1").await.unwrap(), [document]);
    let orphan = RequestDocumentRow {
        id: "d2".into(),
        request_id: "missing".into(),
        ..storage.request_documents("r1").await.unwrap()[0].clone()
    };
    assert!(matches!(
        storage.insert_request_document(orphan).await,
        Err(skydd_storage::StorageError::Invalid(_))
    ));

    let mut closed = storage.get_request("r1").await.unwrap().unwrap();
    closed.state = "rejected".into();
    closed.closed_at = Some(at("2026-04-15T08:00:00Z"));
    let mut closing = change(&closed, "verifying");
    closing.destroy_evidence = true;
    closing.notifications = vec![RecipientNotificationRow {
        id: "n1".into(),
        request_id: "r1".into(),
        recipient: "mail_provider".into(),
        action: "erased".into(),
        categories: "contact".into(),
        subject_reference: "s-1".into(),
        letter_subject: "Erased".into(),
        letter_text: "Data was erased.".into(),
        state: "manual".into(),
        created_at: at("2026-04-15T08:00:00Z"),
        outbox_message_id: None,
    }];
    assert!(storage.change_request(closing).await.unwrap());
    assert!(storage.request_documents("r1").await.unwrap().is_empty());
    assert!(storage.verification_code("r1").await.unwrap().is_none());
    assert_eq!(
        storage.recipient_notifications("r1").await.unwrap()[0].recipient,
        "mail_provider"
    );
    storage.close().await.unwrap();
}

async fn the_outbox_delivers_what_is_due(h: Arc<Harness>) {
    let storage = h.open().await;
    storage
        .insert_request(NewRequestRows {
            request: request("r1", "verifying", "2026-05-15T21:59:59Z", None),
            event: event("r1", None, "verifying"),
            later_events: Vec::new(),
            code: None,
            outbox: vec![
                message("m1", Some("r1"), "2026-04-14T08:00:00Z"),
                message("m2", Some("r1"), "2026-04-14T10:00:00Z"),
            ],
        })
        .await
        .unwrap();
    let due = storage
        .outbox_due(at("2026-04-14T09:00:00Z"), 10)
        .await
        .unwrap();
    assert_eq!(
        due.iter().map(|m| m.id.as_str()).collect::<Vec<_>>(),
        ["m1"]
    );
    let mut sent = due[0].clone();
    sent.state = "sent".into();
    sent.attempts = 1;
    sent.sent_at = Some(at("2026-04-14T09:00:00Z"));
    assert!(storage.record_outbox_attempt(sent.clone()).await.unwrap());
    assert!(
        !storage.record_outbox_attempt(sent.clone()).await.unwrap(),
        "only queued ones"
    );
    assert_eq!(
        storage.outbox_messages(Some("sent")).await.unwrap(),
        [sent.clone()]
    );
    assert_eq!(
        storage.outbox_messages(Some("queued")).await.unwrap().len(),
        1
    );
    assert_eq!(storage.outbox_messages(None).await.unwrap().len(), 2);
    assert_eq!(storage.outbox_message("m1").await.unwrap(), Some(sent));
    assert_eq!(storage.outbox_message("m3").await.unwrap(), None);
    // A request's letters, in every state, oldest first; another request's are not among them.
    let ids =
        |messages: Vec<OutboxMessageRow>| messages.into_iter().map(|m| m.id).collect::<Vec<_>>();
    assert_eq!(
        ids(storage.request_messages("r1").await.unwrap()),
        ["m1", "m2"]
    );
    assert!(storage.request_messages("r2").await.unwrap().is_empty());
    storage.close().await.unwrap();
}

async fn records_are_replaced_deleted_and_subjects_shredded(h: Arc<Harness>) {
    let storage = h.open().await;
    create(&storage, "s-1", None, &[("email", blind(1))]).await;
    storage
        .insert_record(record(
            "rec-1",
            "s-1",
            "2025-01-01T00:00:00Z",
            &[("contract_end", "2025-06-01T00:00:00Z")],
        ))
        .await
        .unwrap();
    storage
        .insert_record(record("rec-2", "s-1", "2025-01-02T00:00:00Z", &[]))
        .await
        .unwrap();
    // A rectification keeps what it replaced, in the same transaction (issue 20, Art. 16).
    let rewrite = |record: &str, ciphertext: Vec<u8>, revision| skydd_storage::RecordRewrite {
        record_id: record.into(),
        ciphertext,
        revision: Some(revision),
        mentions: Vec::new(),
        revisions: Vec::new(),
    };
    let revision = |record: &str, fields: &[&str]| skydd_storage::RecordRevisionRow {
        seq: 0,
        record_id: record.into(),
        request_id: Some("r-1".into()),
        replaced_at: at("2025-02-01T10:00:00Z"),
        fields: fields.iter().map(|f| f.to_string()).collect(),
        ciphertext: vec![7; 24],
    };
    assert!(
        storage
            .rewrite_record(rewrite(
                "rec-2",
                vec![42; 16],
                revision("rec-2", &["name", "email"])
            ))
            .await
            .unwrap()
    );
    assert!(
        storage
            .rewrite_record(rewrite("rec-1", vec![43; 16], revision("rec-1", &["name"])))
            .await
            .unwrap()
    );
    assert!(
        !storage
            .rewrite_record(rewrite("nope", vec![1], revision("nope", &["name"])))
            .await
            .unwrap(),
        "no record, nothing written"
    );
    let records = storage.records_of_subject("s-1").await.unwrap();
    assert_eq!(records[1].ciphertext, vec![42; 16]);
    let revisions = storage.record_revisions("s-1").await.unwrap();
    assert!(revisions[0].seq < revisions[1].seq, "{revisions:?}");
    let unnumbered: Vec<_> = revisions
        .iter()
        .cloned()
        .map(|r| skydd_storage::RecordRevisionRow { seq: 0, ..r })
        .collect();
    assert_eq!(
        unnumbered,
        vec![
            revision("rec-2", &["name", "email"]),
            revision("rec-1", &["name"])
        ],
        "oldest first, the unknown record's left out"
    );
    // An erasure redacting the history rewrites a revision in place, by `seq`; a `seq` of
    // another record's revision is not touched (issue 21).
    assert!(
        storage
            .rewrite_record(skydd_storage::RecordRewrite {
                record_id: "rec-2".into(),
                ciphertext: vec![44; 16],
                revision: None,
                mentions: Vec::new(),
                revisions: vec![
                    skydd_storage::RevisionRewrite {
                        seq: revisions[0].seq,
                        ciphertext: vec![8; 24],
                    },
                    skydd_storage::RevisionRewrite {
                        seq: revisions[1].seq,
                        ciphertext: vec![9; 24],
                    },
                ],
            })
            .await
            .unwrap()
    );
    let rewritten = storage.record_revisions("s-1").await.unwrap();
    assert_eq!(rewritten[0].ciphertext, vec![8; 24]);
    assert_eq!(rewritten[1].ciphertext, vec![7; 24], "rec-1's revision");
    let outcome = storage
        .delete_records(skydd_storage::RecordDeletion {
            delete: vec!["rec-1".into(), "nope".into()],
            anonymise: Vec::new(),
            audit: Vec::new(),
            shred_audit: None,
        })
        .await
        .unwrap();
    assert_eq!(outcome.records, 1);
    assert!(outcome.shredded.is_empty(), "s-1 still has a record");
    assert_eq!(storage.records_of_subject("s-1").await.unwrap().len(), 1);
    // A deleted record's history goes with it.
    assert_eq!(
        storage.record_revisions("s-1").await.unwrap(),
        vec![skydd_storage::RecordRevisionRow {
            seq: revisions[0].seq,
            ciphertext: vec![8; 24],
            ..revision("rec-2", &["name", "email"])
        }]
    );
    assert!(storage.shred_subject("s-1").await.unwrap());
    assert!(storage.record_revisions("s-1").await.unwrap().is_empty());
    assert!(storage.get_subject("s-1").await.unwrap().is_none());
    assert!(storage.subject_key("s-1").await.unwrap().is_none());
    assert!(
        storage
            .identities_of_subject("s-1")
            .await
            .unwrap()
            .is_empty()
    );
    assert!(storage.records_of_subject("s-1").await.unwrap().is_empty());
    assert!(!storage.shred_subject("s-1").await.unwrap());
    storage.close().await.unwrap();
}

/// Issue 21: a record's mentions (blind indexes, never text) are written with it, found by
/// identity whoever's record it is, replaced when its values are, and deleted with it.
async fn records_are_found_by_the_identities_their_free_text_mentions(h: Arc<Harness>) {
    let storage = h.open().await;
    create(&storage, "s-1", None, &[("email", blind(1))]).await;
    create(&storage, "s-2", None, &[("email", blind(2))]).await;
    let mention = |kind: &str, n: u8| skydd_storage::MentionRow {
        kind: kind.into(),
        blind_index: blind(n),
    };
    let mut ticket = record("ticket", "s-1", "2025-01-01T00:00:00Z", &[]);
    ticket.mentions = vec![
        mention("email", 2),
        mention("phone", 9),
        mention("email", 2),
    ];
    storage.insert_record(ticket).await.unwrap();
    let mut other = record("other", "s-2", "2025-01-02T00:00:00Z", &[]);
    other.mentions = vec![mention("personnummer", 7)];
    storage.insert_record(other).await.unwrap();
    let ids = |records: Vec<RecordRow>| records.into_iter().map(|r| r.id).collect::<Vec<_>>();
    // s-2's e-mail address is in a record of s-1; the kind counts, not the bytes alone.
    assert_eq!(
        ids(storage
            .records_mentioning(&[mention("email", 2)])
            .await
            .unwrap()),
        ["ticket"]
    );
    assert!(
        storage
            .records_mentioning(&[mention("phone", 2)])
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        ids(storage
            .records_mentioning(&[mention("personnummer", 7), mention("phone", 9)])
            .await
            .unwrap()),
        ["ticket", "other"],
        "oldest first"
    );
    // A rewrite replaces the mentions with the new text's.
    assert!(
        storage
            .rewrite_record(skydd_storage::RecordRewrite {
                record_id: "ticket".into(),
                ciphertext: vec![5; 16],
                revision: None,
                mentions: vec![mention("phone", 9)],
                revisions: Vec::new(),
            })
            .await
            .unwrap()
    );
    assert!(
        storage
            .records_mentioning(&[mention("email", 2)])
            .await
            .unwrap()
            .is_empty()
    );
    assert!(storage.record_revisions("s-1").await.unwrap().is_empty());
    // Deleted with the record.
    storage.shred_subject("s-1").await.unwrap();
    assert!(
        storage
            .records_mentioning(&[mention("phone", 9)])
            .await
            .unwrap()
            .is_empty()
    );
    // A malformed blind index is refused before anything is written.
    let mut bad = record("bad", "s-2", "2025-01-03T00:00:00Z", &[]);
    bad.mentions = vec![skydd_storage::MentionRow {
        kind: "email".into(),
        blind_index: vec![1, 2, 3],
    }];
    assert!(storage.insert_record(bad).await.is_err());
    assert_eq!(storage.records_of_subject("s-2").await.unwrap().len(), 1);
    storage.close().await.unwrap();
}

fn notice(id: &str, recipient: &str, message: Option<&str>) -> RecipientNotificationRow {
    RecipientNotificationRow {
        id: id.into(),
        request_id: "r1".into(),
        recipient: recipient.into(),
        action: "erased".into(),
        categories: "contact".into(),
        subject_reference: "s-1".into(),
        letter_subject: "Erased".into(),
        letter_text: "Data was erased.".into(),
        state: if message.is_some() {
            "queued"
        } else {
            "manual"
        }
        .into(),
        created_at: at("2026-04-15T08:00:00Z"),
        outbox_message_id: message.map(str::to_string),
    }
}

/// Art. 19: a notice queued in the outbox becomes sent (or failed) with its message, in one
/// transaction; a manual one stays manual; a queued notice without a message is refused.
async fn recipient_notices_follow_the_message_delivering_them(h: Arc<Harness>) {
    let storage = h.open().await;
    insert(
        &storage,
        request("r1", "in_progress", "2026-05-15T21:59:59Z", None),
    )
    .await;
    let mut done = storage.get_request("r1").await.unwrap().unwrap();
    done.state = "completed".into();
    let mut broken = change(&done, "in_progress");
    let mut orphan = notice("n0", "mailer", None);
    orphan.state = "queued".into();
    broken.notifications = vec![orphan];
    assert!(
        storage.change_request(broken).await.is_err(),
        "a queued notice names its message"
    );
    assert_eq!(
        storage.get_request("r1").await.unwrap().unwrap().state,
        "in_progress",
        "nothing changed"
    );

    let mut completing = change(&done, "in_progress");
    completing.outbox = vec![
        message("m-mailer", Some("r1"), "2026-04-15T08:00:00Z"),
        message("m-partner", Some("r1"), "2026-04-15T08:00:00Z"),
    ];
    completing.notifications = vec![
        notice("n1", "mailer", Some("m-mailer")),
        notice("n2", "partner", Some("m-partner")),
        notice("n3", "printer", None),
    ];
    assert!(storage.change_request(completing).await.unwrap());
    let states = |notices: Vec<RecipientNotificationRow>| {
        notices
            .into_iter()
            .map(|n| (n.recipient, n.state))
            .collect::<Vec<_>>()
    };
    let pairs = |list: &[(&str, &str)]| {
        list.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        states(storage.recipient_notifications("r1").await.unwrap()),
        pairs(&[
            ("mailer", "queued"),
            ("partner", "queued"),
            ("printer", "manual")
        ])
    );
    let messages = storage.outbox_messages(Some("queued")).await.unwrap();
    let mut sent = messages
        .iter()
        .find(|m| m.id == "m-mailer")
        .unwrap()
        .clone();
    sent.state = "sent".into();
    sent.attempts = 1;
    sent.sent_at = Some(at("2026-04-15T08:01:00Z"));
    assert!(storage.record_outbox_attempt(sent).await.unwrap());
    let mut retried = messages
        .iter()
        .find(|m| m.id == "m-partner")
        .unwrap()
        .clone();
    retried.attempts = 1;
    retried.next_attempt_at = at("2026-04-15T09:00:00Z");
    retried.last_error = Some("connection refused".into());
    assert!(
        storage
            .record_outbox_attempt(retried.clone())
            .await
            .unwrap()
    );
    assert_eq!(
        states(storage.recipient_notifications("r1").await.unwrap()),
        pairs(&[
            ("mailer", "sent"),
            ("partner", "queued"),
            ("printer", "manual")
        ])
    );
    retried.state = "failed".into();
    retried.attempts = 8;
    assert!(storage.record_outbox_attempt(retried).await.unwrap());
    let notices = storage.recipient_notifications("r1").await.unwrap();
    assert_eq!(
        states(notices.clone()),
        pairs(&[
            ("mailer", "sent"),
            ("partner", "failed"),
            ("printer", "manual")
        ])
    );
    assert_eq!(notices[0].outbox_message_id.as_deref(), Some("m-mailer"));
    assert_eq!(notices[2].outbox_message_id, None);
    storage.close().await.unwrap();
}

/// Migration 0007 on a database that already holds notices: they were never delivered, so they
/// become `manual`, without a message.
async fn notices_from_before_delivery_become_manual_on_upgrade(h: Arc<Harness>) {
    let storage = h.open().await;
    insert(
        &storage,
        request("r1", "in_progress", "2026-05-15T21:59:59Z", None),
    )
    .await;
    let mut done = storage.get_request("r1").await.unwrap().unwrap();
    done.state = "completed".into();
    let mut completing = change(&done, "in_progress");
    completing.notifications = vec![notice("n1", "mailer", None)];
    assert!(storage.change_request(completing).await.unwrap());
    storage.close().await.unwrap();

    // Back to the table as migration 0004 made it, holding the notice as it was written then
    // (and without the later migrations' tables and columns: 0024's, 0023's, 0022's, 0021's, 0015's,
    // 0014's, 0013's, 0012's, 0011's, 0010's, then 0009's).
    h.execute(match h.backend() {
        skydd_storage::Backend::Sqlite => {
            "DROP TABLE audit_subject_span;
             DROP TABLE audit_subject_entries;
             DROP TABLE audit_subject_mark;
             CREATE INDEX audit_events_by_subject ON audit_events (subject_id, seq);
             DROP TABLE imports;
             DROP TABLE subject_attributes;
             DROP TABLE tenant_agreements;
             ALTER TABLE records DROP COLUMN combined_from;
             DROP TRIGGER fact_changes_on_consent;
             DROP TRIGGER fact_changes_on_objection;
             DROP TRIGGER fact_changes_on_preference;
             DROP TRIGGER fact_changes_on_feature_switch;
             DROP TRIGGER fact_changes_on_subject_update;
             DROP TRIGGER fact_changes_on_subject_delete;
             DROP TRIGGER fact_changes_on_token_update;
             DROP TRIGGER fact_changes_on_token_delete;
             DROP TABLE fact_changes;
             DROP TABLE cookie_choices;
             DROP TABLE centre_sessions;
             DROP TABLE centre_sign_ins;
             DROP INDEX requests_by_identity;
             DROP TABLE staff_sessions;
             DROP TABLE staff_recovery_codes;
             DROP TABLE staff_accounts;
             DROP INDEX requests_by_assignee;
             ALTER TABLE requests DROP COLUMN assignee;
             ALTER TABLE api_tokens DROP COLUMN last_used_at;
             ALTER TABLE api_tokens DROP COLUMN expires_at;
             ALTER TABLE api_tokens RENAME COLUMN scopes TO role;
             CREATE TABLE recipient_notifications_0004 (
                 id                TEXT PRIMARY KEY NOT NULL,
                 request_id        TEXT NOT NULL REFERENCES requests (id),
                 recipient         TEXT NOT NULL,
                 action            TEXT NOT NULL,
                 categories        TEXT NOT NULL,
                 subject_reference TEXT NOT NULL,
                 letter_subject    TEXT NOT NULL,
                 letter_text       TEXT NOT NULL,
                 state             TEXT NOT NULL CHECK (state IN ('queued', 'sent')),
                 created_at        TEXT NOT NULL
             ) STRICT;
             INSERT INTO recipient_notifications_0004 SELECT id, request_id, recipient, action,
                 categories, subject_reference, letter_subject, letter_text, 'queued', created_at
             FROM recipient_notifications;
             DROP TABLE recipient_notifications;
             ALTER TABLE recipient_notifications_0004 RENAME TO recipient_notifications;
             CREATE INDEX recipient_notifications_by_request
                 ON recipient_notifications (request_id, id);
             DROP TABLE request_systems;
             DELETE FROM skydd_migrations WHERE version >= 7;"
        }
        skydd_storage::Backend::Postgres => {
            "ALTER TABLE disclosures DROP CONSTRAINT disclosures_decision_whole_or_absent;
             DROP TABLE audit_subject_span;
             DROP VIEW audit_subject_entries;
             DROP TABLE audit_subject_mark;
             DROP TABLE imports;
             DROP TABLE subject_attributes;
             DROP FUNCTION skydd_note_attribute_change();
             DROP TABLE tenant_agreements;
             DROP FUNCTION skydd_note_tenant_agreement();
             ALTER TABLE records DROP COLUMN combined_from;
             DROP FUNCTION skydd_note_fact_change() CASCADE;
             DROP TABLE fact_changes;
             DROP TABLE cookie_choices;
             DROP TABLE centre_sessions;
             DROP TABLE centre_sign_ins;
             DROP INDEX requests_by_identity;
             DROP TABLE staff_sessions;
             DROP TABLE staff_recovery_codes;
             DROP TABLE staff_accounts;
             DROP INDEX requests_by_assignee;
             ALTER TABLE requests DROP COLUMN assignee;
             ALTER TABLE api_tokens DROP COLUMN last_used_at;
             ALTER TABLE api_tokens DROP COLUMN expires_at;
             ALTER TABLE api_tokens RENAME COLUMN scopes TO role;
             DROP INDEX recipient_notifications_by_message;
             ALTER TABLE recipient_notifications
                 DROP CONSTRAINT recipient_notifications_delivery_check,
                 DROP CONSTRAINT recipient_notifications_state_check,
                 DROP COLUMN outbox_message_id;
             UPDATE recipient_notifications SET state = 'queued';
             ALTER TABLE recipient_notifications ADD CONSTRAINT recipient_notifications_state_check
                 CHECK (state IN ('queued', 'sent'));
             DROP TABLE request_systems;
             DELETE FROM skydd_migrations WHERE version >= 7;"
        }
    })
    .await;

    let storage = h.open().await;
    assert_eq!(
        storage.schema_version().await.unwrap(),
        skydd_storage::SCHEMA_VERSION
    );
    let notices = storage.recipient_notifications("r1").await.unwrap();
    assert_eq!(notices.len(), 1);
    assert_eq!(notices[0].state, "manual");
    assert_eq!(notices[0].outbox_message_id, None);
    assert_eq!(notices[0].created_at, at("2026-04-15T08:00:00Z"));
    storage.close().await.unwrap();
}

fn outcome(request: &str, system: &str, action: &str, state: &str) -> RequestSystemRow {
    RequestSystemRow {
        request_id: request.into(),
        system: system.into(),
        action: action.into(),
        state: state.into(),
        reason: matches!(state, "failed" | "skipped").then(|| "connect failed".to_owned()),
        receipt_ciphertext: vec![8; 48],
        updated_at: at("2026-04-14T09:00:00Z"),
    }
}

async fn outcomes_in_connected_systems_are_kept_per_system_and_action(h: Arc<Harness>) {
    let storage = h.open().await;
    insert(
        &storage,
        request("r1", "in_progress", "2026-05-15T21:59:59Z", None),
    )
    .await;
    assert!(storage.request_systems("r1").await.unwrap().is_empty());
    storage
        .put_request_system(outcome("r1", "shop", "access", "failed"))
        .await
        .unwrap();
    storage
        .put_request_system(outcome("r1", "billing", "access", "done"))
        .await
        .unwrap();
    // A retry replaces the outcome of the same system and action.
    let mut retried = outcome("r1", "shop", "access", "done");
    retried.updated_at = at("2026-04-15T09:00:00Z");
    storage.put_request_system(retried.clone()).await.unwrap();
    let kept = storage.request_systems("r1").await.unwrap();
    assert_eq!(
        kept,
        vec![outcome("r1", "billing", "access", "done"), retried]
    );
    // The database refuses what the model does not allow: a failure without a reason, an
    // unknown state or action, a request that does not exist.
    let mut no_reason = outcome("r1", "shop", "erasure", "failed");
    no_reason.reason = None;
    assert!(storage.put_request_system(no_reason).await.is_err());
    assert!(
        storage
            .put_request_system(outcome("r1", "shop", "erasure", "complete"))
            .await
            .is_err()
    );
    assert!(
        storage
            .put_request_system(outcome("r1", "shop", "deletion", "done"))
            .await
            .is_err()
    );
    assert!(
        storage
            .put_request_system(outcome("nope", "shop", "access", "done"))
            .await
            .is_err()
    );
    assert_eq!(storage.request_systems("r1").await.unwrap().len(), 2);
}

async fn requests_are_assigned_with_an_event_and_listed_by_assignee(h: Arc<Harness>) {
    let storage = h.open().await;
    for (id, due) in [
        ("r1", "2026-05-14T21:59:59Z"),
        ("r2", "2026-05-20T21:59:59Z"),
    ] {
        storage
            .insert_request(NewRequestRows {
                request: request(id, "verified", due, None),
                event: event(id, None, "verified"),
                later_events: Vec::new(),
                code: None,
                outbox: Vec::new(),
            })
            .await
            .unwrap();
    }
    let assign = |id: &str, state: &str, action: &str| RequestEventRow {
        action: action.into(),
        ..event(id, Some(state), state)
    };
    assert!(
        storage
            .assign_request(
                Some("account-7".into()),
                assign("r1", "verified", "assigned")
            )
            .await
            .unwrap()
    );
    assert!(
        !storage
            .assign_request(
                Some("account-7".into()),
                assign("r2", "received", "assigned")
            )
            .await
            .unwrap(),
        "not from another state than the event says"
    );
    let row = storage.get_request("r1").await.unwrap().unwrap();
    assert_eq!(row.assignee.as_deref(), Some("account-7"));
    let events = storage.request_events("r1").await.unwrap();
    assert_eq!(events.last().unwrap().action, "assigned");
    assert_eq!(storage.request_events("r2").await.unwrap().len(), 1);

    let ids = |rows: Vec<RequestRow>| rows.into_iter().map(|r| r.id).collect::<Vec<_>>();
    let mine = RequestFilter {
        assignee: Some("account-7".into()),
        ..RequestFilter::default()
    };
    assert_eq!(ids(storage.list_requests(mine).await.unwrap()), ["r1"]);
    let nobody = RequestFilter {
        unassigned: true,
        ..RequestFilter::default()
    };
    assert_eq!(ids(storage.list_requests(nobody).await.unwrap()), ["r2"]);

    // A state change leaves the assignee alone; unassigning clears it.
    let mut next = row.clone();
    next.state = "in_progress".into();
    next.assignee = None;
    assert!(
        storage
            .change_request(change(&next, "verified"))
            .await
            .unwrap()
    );
    let row = storage.get_request("r1").await.unwrap().unwrap();
    assert_eq!(row.assignee.as_deref(), Some("account-7"));
    assert!(
        storage
            .assign_request(None, assign("r1", "in_progress", "unassigned"))
            .await
            .unwrap()
    );
    assert_eq!(
        storage.get_request("r1").await.unwrap().unwrap().assignee,
        None
    );
    storage.close().await.unwrap();
}

/// The privacy centre's needs (issue 18): requests found by the blind index they were made
/// with, a new request stored with more than its first event in one transaction, and
/// documents counted without reading them.
async fn requests_are_found_by_identity_and_later_events_stored_with_the_first(h: Arc<Harness>) {
    let storage = h.open().await;
    let mut first = request("r1", "verifying", "2026-05-15T21:59:59Z", None);
    first.received_at = at("2026-04-14T09:00:00Z");
    let mut verified = event("r1", Some("verifying"), "verified");
    verified.actor = "centre:0123".into();
    storage
        .insert_request(NewRequestRows {
            event: event("r1", None, "verifying"),
            later_events: vec![verified],
            request: RequestRow {
                state: "verified".into(),
                ..first
            },
            code: None,
            outbox: Vec::new(),
        })
        .await
        .unwrap();
    insert(
        &storage,
        request("r2", "verifying", "2026-05-15T21:59:59Z", None),
    )
    .await;
    let mut other = request("r3", "verifying", "2026-05-15T21:59:59Z", None);
    other.identity_blind_index = blind(8);
    insert(&storage, other).await;

    let found = storage.requests_with_identity(&blind(7)).await.unwrap();
    let ids: Vec<&str> = found.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["r2", "r1"], "by receipt, only that identity's");
    let events = storage.request_events("r1").await.unwrap();
    let actions: Vec<(&str, &str)> = events
        .iter()
        .map(|e| (e.action.as_str(), e.actor.as_str()))
        .collect();
    assert_eq!(
        actions,
        [("verifying", "subject"), ("verified", "centre:0123")]
    );
    assert!(events[0].seq < events[1].seq);

    // An event of another request refuses the whole insert.
    let refused = storage
        .insert_request(NewRequestRows {
            event: event("r4", None, "verifying"),
            later_events: vec![event("r1", Some("verifying"), "verified")],
            request: request("r4", "verified", "2026-05-15T21:59:59Z", None),
            code: None,
            outbox: Vec::new(),
        })
        .await;
    assert!(refused.is_err());
    assert!(storage.get_request("r4").await.unwrap().is_none());

    assert_eq!(storage.count_request_documents("r2").await.unwrap(), 0);
    for id in ["d1", "d2"] {
        storage
            .insert_request_document(RequestDocumentRow {
                id: id.into(),
                request_id: "r2".into(),
                media_type: "application/pdf".into(),
                key_version: 1,
                wrapped_key: vec![1; 40],
                ciphertext: vec![2; 64],
                uploaded_at: at("2026-04-14T10:00:00Z"),
            })
            .await
            .unwrap();
    }
    assert_eq!(storage.count_request_documents("r2").await.unwrap(), 2);
    assert_eq!(storage.count_request_documents("r1").await.unwrap(), 0);
    storage.close().await.unwrap();
}
