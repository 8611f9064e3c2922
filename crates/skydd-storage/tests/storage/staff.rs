//! Staff accounts, recovery codes and console sessions (issue 17), on both backends: the
//! compare-and-set steps of a sign-in happen once, and changes of an account end its sessions.

use std::sync::Arc;

use skydd_storage::{StaffAccountRow, StaffFactor, StaffSessionRow, StaffSignIn, StorageError};

use super::{Harness, at, blind, run};

scenarios!(
    staff_accounts_round_trip_and_emails_are_unique,
    a_totp_step_and_a_recovery_code_are_accepted_once,
    enrolment_sets_totp_once_and_replaces_recovery_codes,
    account_changes_end_sessions,
    failures_count_up_and_a_sign_in_resets_them,
);

fn account(id_digit: char, index: u8) -> StaffAccountRow {
    StaffAccountRow {
        id: id_digit.to_string().repeat(32),
        email_blind_index: blind(index),
        email_ciphertext: vec![index; 40],
        role: "dpo".into(),
        state: "active".into(),
        password_hash: Some("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into()),
        totp_ciphertext: None,
        totp_last_step: None,
        failed_attempts: 0,
        last_failure_at: None,
        created_at: at("2026-12-01T08:00:00Z"),
        updated_at: at("2026-12-01T08:00:00Z"),
        last_sign_in_at: None,
        recovery_codes_left: 0,
    }
}

fn session(public_id: &str, account_id: &str, stage: &str, secret: u8) -> StaffSessionRow {
    StaffSessionRow {
        public_id: public_id.into(),
        secret_hash: vec![secret; 32],
        account_id: account_id.into(),
        stage: stage.into(),
        created_at: at("2026-12-01T09:00:00Z"),
        last_seen_at: at("2026-12-01T09:00:00Z"),
        ip_ciphertext: Some(vec![9; 30]),
        pending_totp_ciphertext: None,
        ended_at: None,
    }
}

fn sign_in(account_id: &str, public_id: &str, from: &str, factor: StaffFactor) -> StaffSignIn {
    StaffSignIn {
        account_id: account_id.into(),
        session_public_id: public_id.into(),
        from_stage: from.into(),
        new_secret_hash: vec![0xee; 32],
        factor,
        now: at("2026-12-01T09:01:00Z"),
    }
}

async fn staff_accounts_round_trip_and_emails_are_unique(h: Arc<Harness>) {
    let storage = h.open().await;
    let a = account('a', 1);
    storage.insert_staff_account(a.clone()).await.unwrap();
    storage.insert_staff_account(account('b', 2)).await.unwrap();
    assert_eq!(storage.staff_account(&a.id).await.unwrap(), Some(a.clone()));
    assert_eq!(
        storage.staff_account_by_email(&blind(1)).await.unwrap(),
        Some(a.clone())
    );
    assert_eq!(
        storage.staff_account_by_email(&blind(3)).await.unwrap(),
        None
    );
    let duplicate = storage.insert_staff_account(account('c', 1)).await;
    assert!(
        matches!(duplicate, Err(StorageError::Conflict(_))),
        "{duplicate:?}"
    );
    let listed = storage.staff_accounts().await.unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0], a);
    let short_index = account('d', 4);
    let short_index = StaffAccountRow {
        email_blind_index: vec![1; 5],
        ..short_index
    };
    assert!(matches!(
        storage.insert_staff_account(short_index).await,
        Err(StorageError::Invalid(_))
    ));
}

async fn a_totp_step_and_a_recovery_code_are_accepted_once(h: Arc<Harness>) {
    let storage = h.open().await;
    let mut a = account('a', 1);
    a.totp_ciphertext = Some(vec![5; 40]);
    storage.insert_staff_account(a.clone()).await.unwrap();
    // Codes arrive with an enrolment; give the account one through a first sign-in.
    storage
        .insert_staff_session(session("s0", &a.id, "enrolment", 1))
        .await
        .unwrap();
    // An account with TOTP already is not enrolled again.
    let enrol = StaffFactor::Enrolment {
        totp_ciphertext: vec![6; 40],
        step: 10,
        recovery_code_hashes: vec![vec![0xc1; 32]],
    };
    assert!(
        !storage
            .complete_staff_sign_in(sign_in(&a.id, "s0", "enrolment", enrol))
            .await
            .unwrap()
    );

    storage
        .insert_staff_session(session("s1", &a.id, "second_factor", 2))
        .await
        .unwrap();
    let totp = |step| StaffFactor::Totp { step };
    assert!(
        storage
            .complete_staff_sign_in(sign_in(&a.id, "s1", "second_factor", totp(100)))
            .await
            .unwrap()
    );
    let full = storage.staff_session(&[0xee; 32]).await.unwrap().unwrap();
    assert_eq!(
        (full.public_id.as_str(), full.stage.as_str()),
        ("s1", "full")
    );
    assert!(
        storage.staff_session(&[2; 32]).await.unwrap().is_none(),
        "old secret gone"
    );
    let stored = storage.staff_account(&a.id).await.unwrap().unwrap();
    assert_eq!(stored.totp_last_step, Some(100));
    assert_eq!(stored.last_sign_in_at, Some(at("2026-12-01T09:01:00Z")));

    // The same step and an earlier one are refused, and nothing changes.
    for (public_id, secret, step) in [("s2", 3, 100), ("s3", 4, 99)] {
        storage
            .insert_staff_session(session(public_id, &a.id, "second_factor", secret))
            .await
            .unwrap();
        let mut attempt = sign_in(&a.id, public_id, "second_factor", totp(step));
        attempt.new_secret_hash = vec![secret + 100; 32];
        assert!(!storage.complete_staff_sign_in(attempt).await.unwrap());
        let still = storage.staff_session(&[secret; 32]).await.unwrap().unwrap();
        assert_eq!(still.stage, "second_factor");
    }
    // A full session is not completed again.
    let mut again = sign_in(&a.id, "s1", "second_factor", totp(200));
    again.new_secret_hash = vec![0xdd; 32];
    assert!(!storage.complete_staff_sign_in(again).await.unwrap());
    assert_eq!(
        storage
            .staff_account(&a.id)
            .await
            .unwrap()
            .unwrap()
            .totp_last_step,
        Some(100),
        "the refused sign-in rolled its step back"
    );
}

async fn enrolment_sets_totp_once_and_replaces_recovery_codes(h: Arc<Harness>) {
    let storage = h.open().await;
    let a = account('a', 1);
    storage.insert_staff_account(a.clone()).await.unwrap();
    storage
        .insert_staff_session(session("s1", &a.id, "enrolment", 1))
        .await
        .unwrap();
    assert!(
        storage
            .set_staff_pending_totp("s1", vec![7; 40])
            .await
            .unwrap()
    );
    let pending = storage.staff_session(&[1; 32]).await.unwrap().unwrap();
    assert_eq!(pending.pending_totp_ciphertext, Some(vec![7; 40]));
    let codes: Vec<Vec<u8>> = (0..10u8).map(|n| vec![n; 32]).collect();
    let enrol = StaffFactor::Enrolment {
        totp_ciphertext: vec![6; 40],
        step: 10,
        recovery_code_hashes: codes.clone(),
    };
    assert!(
        storage
            .complete_staff_sign_in(sign_in(&a.id, "s1", "enrolment", enrol))
            .await
            .unwrap()
    );
    let stored = storage.staff_account(&a.id).await.unwrap().unwrap();
    assert_eq!(stored.totp_ciphertext, Some(vec![6; 40]));
    assert_eq!(stored.totp_last_step, Some(10));
    assert_eq!(stored.recovery_codes_left, 10);
    let full = storage.staff_session(&[0xee; 32]).await.unwrap().unwrap();
    assert_eq!(
        full.pending_totp_ciphertext, None,
        "the pending secret is cleared"
    );
    assert_eq!(storage.staff_recovery_codes(&a.id).await.unwrap(), codes);
    // A pending TOTP is kept only in an enrolment session.
    assert!(
        !storage
            .set_staff_pending_totp("s1", vec![7; 40])
            .await
            .unwrap()
    );

    // A recovery code works once.
    storage
        .insert_staff_session(session("s2", &a.id, "second_factor", 2))
        .await
        .unwrap();
    let code = StaffFactor::RecoveryCode { hash: vec![3; 32] };
    let mut first = sign_in(&a.id, "s2", "second_factor", code.clone());
    first.new_secret_hash = vec![0xd2; 32];
    assert!(storage.complete_staff_sign_in(first).await.unwrap());
    storage
        .insert_staff_session(session("s3", &a.id, "second_factor", 3))
        .await
        .unwrap();
    let mut second = sign_in(&a.id, "s3", "second_factor", code);
    second.new_secret_hash = vec![0xd3; 32];
    assert!(!storage.complete_staff_sign_in(second).await.unwrap());
    assert_eq!(storage.staff_recovery_codes(&a.id).await.unwrap().len(), 9);
    assert_eq!(
        storage
            .staff_account(&a.id)
            .await
            .unwrap()
            .unwrap()
            .recovery_codes_left,
        9
    );

    // A reset clears TOTP and codes and ends the sessions.
    assert!(
        storage
            .reset_staff_totp(&a.id, at("2026-12-02T08:00:00Z"))
            .await
            .unwrap()
    );
    let reset = storage.staff_account(&a.id).await.unwrap().unwrap();
    assert_eq!((reset.totp_ciphertext, reset.totp_last_step), (None, None));
    assert!(
        storage
            .staff_recovery_codes(&a.id)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(storage.staff_sessions_of(&a.id).await.unwrap().is_empty());
    assert!(
        !storage
            .reset_staff_totp(&"f".repeat(32), at("2026-12-02T08:00:00Z"))
            .await
            .unwrap()
    );
}

async fn account_changes_end_sessions(h: Arc<Harness>) {
    let storage = h.open().await;
    let a = account('a', 1);
    storage.insert_staff_account(a.clone()).await.unwrap();
    for (public_id, secret) in [("s1", 1), ("s2", 2), ("s3", 3)] {
        storage
            .insert_staff_session(session(public_id, &a.id, "full", secret))
            .await
            .unwrap();
    }
    let later = at("2026-12-01T09:05:00Z");
    storage.touch_staff_session("s1", later).await.unwrap();
    let touched = storage.staff_session(&[1; 32]).await.unwrap().unwrap();
    assert_eq!(touched.last_seen_at, later);
    assert_eq!(storage.staff_sessions_of(&a.id).await.unwrap().len(), 3);

    // A new password ends every session but the one that set it.
    assert!(
        storage
            .set_staff_password(&a.id, "$argon2id$new", Some("s2"), later)
            .await
            .unwrap()
    );
    let open: Vec<String> = storage
        .staff_sessions_of(&a.id)
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.public_id)
        .collect();
    assert_eq!(open, ["s2"]);
    let ended = storage.staff_session(&[1; 32]).await.unwrap().unwrap();
    assert_eq!(ended.ended_at, Some(later));
    assert_eq!(
        storage
            .staff_account(&a.id)
            .await
            .unwrap()
            .unwrap()
            .password_hash
            .as_deref(),
        Some("$argon2id$new")
    );

    // Disabling ends the rest; enabling does not bring them back.
    assert!(
        storage
            .set_staff_account_state(&a.id, "disabled", later)
            .await
            .unwrap()
    );
    assert!(storage.staff_sessions_of(&a.id).await.unwrap().is_empty());
    assert!(
        storage
            .set_staff_account_state(&a.id, "active", later)
            .await
            .unwrap()
    );
    assert!(storage.staff_sessions_of(&a.id).await.unwrap().is_empty());
    assert!(
        !storage.end_staff_session("s2", later).await.unwrap(),
        "ended already"
    );
    assert!(
        !storage
            .set_staff_account_state(&"f".repeat(32), "disabled", later)
            .await
            .unwrap()
    );

    storage
        .insert_staff_session(session("s4", &a.id, "full", 4))
        .await
        .unwrap();
    storage
        .insert_staff_session(session("s5", &a.id, "full", 5))
        .await
        .unwrap();
    assert!(storage.end_staff_session("s4", later).await.unwrap());
    assert_eq!(storage.end_staff_sessions(&a.id, later).await.unwrap(), 1);
    assert!(matches!(
        storage
            .insert_staff_session(session("s6", &"f".repeat(32), "full", 6))
            .await,
        Err(StorageError::Invalid(_))
    ));
}

async fn failures_count_up_and_a_sign_in_resets_them(h: Arc<Harness>) {
    let storage = h.open().await;
    let mut a = account('a', 1);
    a.totp_ciphertext = Some(vec![5; 40]);
    storage.insert_staff_account(a.clone()).await.unwrap();
    for expected in 1..=3 {
        let now = at("2026-12-01T09:00:00Z");
        assert_eq!(
            storage.record_staff_failure(&a.id, now).await.unwrap(),
            expected
        );
    }
    let counted = storage.staff_account(&a.id).await.unwrap().unwrap();
    assert_eq!(counted.failed_attempts, 3);
    assert_eq!(counted.last_failure_at, Some(at("2026-12-01T09:00:00Z")));
    assert_eq!(
        storage
            .record_staff_failure(&"f".repeat(32), at("2026-12-01T09:00:00Z"))
            .await
            .unwrap(),
        0
    );
    storage
        .insert_staff_session(session("s1", &a.id, "second_factor", 1))
        .await
        .unwrap();
    assert!(
        storage
            .complete_staff_sign_in(sign_in(
                &a.id,
                "s1",
                "second_factor",
                StaffFactor::Totp { step: 5 }
            ))
            .await
            .unwrap()
    );
    let reset = storage.staff_account(&a.id).await.unwrap().unwrap();
    assert_eq!((reset.failed_attempts, reset.last_failure_at), (0, None));

    // A disabled account's pending session is not completed.
    storage
        .insert_staff_session(session("s2", &a.id, "second_factor", 2))
        .await
        .unwrap();
    storage
        .set_staff_account_state(&a.id, "disabled", at("2026-12-01T09:00:30Z"))
        .await
        .unwrap();
    let mut attempt = sign_in(&a.id, "s2", "second_factor", StaffFactor::Totp { step: 6 });
    attempt.new_secret_hash = vec![0xd2; 32];
    assert!(!storage.complete_staff_sign_in(attempt).await.unwrap());
    assert_eq!(
        storage
            .staff_account(&a.id)
            .await
            .unwrap()
            .unwrap()
            .totp_last_step,
        Some(5)
    );
}
