//! Many decisions at once (issue 19), on both backends: `decide_many` answers as `decide` does,
//! in order, an unanswerable question in its place, every answer audited; the group-commit
//! audit writer records every event of concurrent callers handing over many at once.

use std::sync::Arc;

use skydd_crypto::Keyring;
use skydd_decide::Decision;
use skydd_vault::{Audit, AuditEvent, Enforced, GroupCommitAudit, Question, Vault, VaultError};

use crate::{Harness, REGISTER, anna, at, dpo, on_each_backend};

/// The decisions audited about `subject`.
async fn audited_decisions(h: &Harness, subject: &str) -> Vec<String> {
    h.storage
        .audit_events_for_subject(subject)
        .await
        .unwrap()
        .into_iter()
        .filter(|event| event.action == "decision")
        .map(|event| format!("{} {}", event.purpose.unwrap_or_default(), event.outcome))
        .collect()
}

fn question<'a>(subject: &'a str, purpose: &'a str, channel: Option<&'a str>) -> Question<'a> {
    Question {
        subject,
        purpose,
        category: "contact",
        channel,
        scope: None,
        role: None,
        recipient: None,
    }
}

#[tokio::test]
async fn decide_many_answers_in_order_as_decide_does() {
    on_each_backend(async |h| {
        let now = at("2026-03-01T10:00:00Z");
        let subject = anna(h, now).await;
        let nobody = "0123456789abcdef0123456789abcdef";
        let questions = [
            question(&subject, "delivery", None),
            question(nobody, "delivery", None),
            question(&subject, "newsletter", None),
            question(&subject, "marketing", Some("fax")),
            question("not-an-id", "delivery", None),
            question(&subject, "marketing", Some("email")),
        ];
        let answers = h.vault.decide_many(&dpo(), &questions, now).await.unwrap();
        assert_eq!(answers.len(), questions.len(), "{}", h.name);
        assert!(
            matches!(answers[1], Err(VaultError::UnknownSubject)),
            "{answers:?}"
        );
        assert!(
            matches!(answers[3], Err(VaultError::Invalid { .. })),
            "{answers:?}"
        );
        assert!(
            matches!(answers[4], Err(VaultError::UnknownSubject)),
            "{answers:?}"
        );
        let batch = audited_decisions(h, &subject).await;
        assert_eq!(
            batch,
            [
                "delivery allowed",
                "newsletter denied:consent_missing",
                "marketing allowed"
            ],
            "{}: each answered question audited once, in order",
            h.name
        );
        for index in [0, 2, 5] {
            let Question {
                subject,
                purpose,
                category,
                channel,
                scope,
                ..
            } = questions[index];
            let alone: Decision = h
                .vault
                .decide(&dpo(), subject, purpose, category, channel, scope, now)
                .await
                .unwrap();
            assert_eq!(
                answers[index].as_ref().unwrap(),
                &alone,
                "{}: {index}",
                h.name
            );
        }
        assert!(
            h.vault
                .decide_many(&dpo(), &[], now)
                .await
                .unwrap()
                .is_empty()
        );
    })
    .await;
}

fn event(subject: &str, n: usize) -> AuditEvent {
    AuditEvent {
        at: at("2026-03-01T10:00:00Z"),
        actor: "token-dpo".into(),
        ip: None,
        action: "decision",
        purpose: Some("delivery".into()),
        subject_id: Some(subject.to_owned()),
        categories: vec!["contact".into()],
        outcome: format!("allowed {n}"),
        detail: None,
    }
}

#[tokio::test]
async fn group_commit_records_every_event_of_many_callers_handing_over_many() {
    on_each_backend(async |h| {
        let now = at("2026-03-01T10:00:00Z");
        let subject = anna(h, now).await;
        // Batches of at most 8 events, callers of 1 to 12 events each: a caller with more than a
        // batch holds goes alone, and none is split.
        let audit = Arc::new(GroupCommitAudit::spawn(h.storage.clone(), 8));
        let calls: Vec<_> = (0..64)
            .map(|caller| {
                let (audit, subject) = (audit.clone(), subject.clone());
                tokio::spawn(async move {
                    let events = (0..1 + caller % 12).map(|n| event(&subject, n)).collect();
                    audit.record_many(events).await
                })
            })
            .collect();
        let mut expected = 0;
        for (caller, call) in calls.into_iter().enumerate() {
            call.await.unwrap().unwrap();
            expected += 1 + caller % 12;
        }
        audit.record_many(Vec::new()).await.unwrap();
        audit.record(event(&subject, 0)).await.unwrap();
        let recorded = audited_decisions(h, &subject).await;
        assert_eq!(recorded.len(), expected + 1, "{}", h.name);
        // A caller's events are committed together, in its order: each event after a caller's
        // first (`allowed 0`) follows the one before it.
        for pair in recorded.windows(2) {
            let n: usize = pair[1].rsplit(' ').next().unwrap().parse().unwrap();
            if n > 0 {
                assert_eq!(pair[0], format!("delivery allowed {}", n - 1), "{}", h.name);
            }
        }

        // The vault's batch goes through the same writer: one answer per question, all audited.
        let register = skydd_register::check(REGISTER).register.unwrap();
        let (keyring, _) = Keyring::load_or_create(&h.dir.path().join("master.key")).unwrap();
        let vault = Vault::new(
            h.storage.clone(),
            Arc::new(keyring),
            Arc::new(Enforced::new(register)),
            audit,
        );
        let questions = vec![question(&subject, "delivery", None); 300];
        let answers = vault.decide_many(&dpo(), &questions, now).await.unwrap();
        assert!(
            answers
                .iter()
                .all(|answer| answer.as_ref().unwrap().is_allowed())
        );
        let recorded = audited_decisions(h, &subject).await;
        assert_eq!(recorded.len(), expected + 1 + 300, "{}", h.name);
    })
    .await;
}
