//! The privacy centre's sign-ins and sessions (issue 18), on both backends: a sign-in and its
//! message are stored together, wrong codes count down to the end, a sign-in opens one session
//! and only before it expires, and stale rows are deleted.

use std::sync::Arc;

use skydd_storage::{CentreCutoffs, CentreSessionRow, CentreSignInRow, OutboxMessageRow};

use super::{Harness, at, run};

scenarios!(
    a_sign_in_is_stored_with_its_message_and_found_by_id_and_link,
    wrong_codes_count_down_and_the_last_ends_the_sign_in,
    a_sign_in_opens_one_session_before_it_expires,
    sessions_are_touched_ended_and_stale_rows_deleted,
);

fn sign_in(public_id: char, link: u8) -> CentreSignInRow {
    CentreSignInRow {
        public_id: public_id.to_string().repeat(32),
        code_hash: vec![0xc0; 32],
        link_hash: vec![link; 32],
        browser_hash: vec![0xb0; 32],
        subject_id: Some("5".repeat(32)),
        identities_ciphertext: vec![7; 48],
        intent: "overview".into(),
        expires_at: at("2026-12-01T09:15:00Z"),
        attempts_left: 5,
        ended_at: None,
        created_at: at("2026-12-01T09:00:00Z"),
    }
}

fn session(public_id: char, secret: u8) -> CentreSessionRow {
    CentreSessionRow {
        public_id: public_id.to_string().repeat(32),
        secret_hash: vec![secret; 32],
        subject_id: None,
        identities_ciphertext: vec![8; 48],
        intent: "request:erasure".into(),
        created_at: at("2026-12-01T09:05:00Z"),
        last_seen_at: at("2026-12-01T09:05:00Z"),
        ended_at: None,
    }
}

fn message(id: &str) -> OutboxMessageRow {
    OutboxMessageRow {
        id: id.into(),
        request_id: None,
        kind: "centre_sign_in".into(),
        key_version: 1,
        wrapped_key: vec![3; 40],
        address_ciphertext: vec![4; 20],
        body_ciphertext: vec![5; 60],
        state: "queued".into(),
        attempts: 0,
        next_attempt_at: at("2026-12-01T09:00:00Z"),
        created_at: at("2026-12-01T09:00:00Z"),
        sent_at: None,
        last_error: None,
    }
}

async fn a_sign_in_is_stored_with_its_message_and_found_by_id_and_link(h: Arc<Harness>) {
    let storage = h.open().await;
    let a = sign_in('a', 1);
    storage
        .insert_centre_sign_in(a.clone(), Some(message(&"m".repeat(32))))
        .await
        .unwrap();
    let mut unknown = sign_in('b', 2);
    unknown.subject_id = None;
    storage
        .insert_centre_sign_in(unknown.clone(), None)
        .await
        .unwrap();
    assert_eq!(
        storage.centre_sign_in(&a.public_id).await.unwrap(),
        Some(a.clone())
    );
    assert_eq!(
        storage.centre_sign_in_by_link(&[2; 32]).await.unwrap(),
        Some(unknown)
    );
    assert_eq!(
        storage.centre_sign_in_by_link(&[3; 32]).await.unwrap(),
        None
    );
    let queued = storage.outbox_messages(Some("queued")).await.unwrap();
    assert_eq!(queued.len(), 1, "one message, for the known sign-in");
    assert_eq!(queued[0].kind, "centre_sign_in");

    // The same link hash again is refused, and its message is not queued either.
    let refused = storage
        .insert_centre_sign_in(sign_in('c', 1), Some(message(&"n".repeat(32))))
        .await;
    assert!(refused.is_err(), "{refused:?}");
    assert_eq!(storage.outbox_messages(None).await.unwrap().len(), 1);
    let mut short = sign_in('d', 4);
    short.code_hash = vec![1; 8];
    assert!(storage.insert_centre_sign_in(short, None).await.is_err());
    storage.close().await.unwrap();
}

async fn wrong_codes_count_down_and_the_last_ends_the_sign_in(h: Arc<Harness>) {
    let storage = h.open().await;
    let mut a = sign_in('a', 1);
    a.attempts_left = 2;
    storage
        .insert_centre_sign_in(a.clone(), None)
        .await
        .unwrap();
    let now = at("2026-12-01T09:01:00Z");
    assert_eq!(
        storage
            .count_centre_code_attempt(&a.public_id, now)
            .await
            .unwrap(),
        Some(1)
    );
    assert!(
        storage
            .centre_sign_in(&a.public_id)
            .await
            .unwrap()
            .unwrap()
            .ended_at
            .is_none()
    );
    assert_eq!(
        storage
            .count_centre_code_attempt(&a.public_id, now)
            .await
            .unwrap(),
        Some(0)
    );
    let ended = storage.centre_sign_in(&a.public_id).await.unwrap().unwrap();
    assert_eq!(ended.ended_at, Some(now));
    assert_eq!(ended.attempts_left, 0);
    assert_eq!(
        storage
            .count_centre_code_attempt(&a.public_id, now)
            .await
            .unwrap(),
        None,
        "nothing more to count"
    );
    assert_eq!(
        storage
            .count_centre_code_attempt(&"f".repeat(32), now)
            .await
            .unwrap(),
        None
    );
    assert!(
        !storage
            .open_centre_session(&a.public_id, session('s', 1), now)
            .await
            .unwrap(),
        "an ended sign-in opens nothing"
    );
    storage.close().await.unwrap();
}

async fn a_sign_in_opens_one_session_before_it_expires(h: Arc<Harness>) {
    let storage = h.open().await;
    let a = sign_in('a', 1);
    let b = sign_in('b', 2);
    storage
        .insert_centre_sign_in(a.clone(), None)
        .await
        .unwrap();
    storage
        .insert_centre_sign_in(b.clone(), None)
        .await
        .unwrap();
    let now = at("2026-12-01T09:05:00Z");
    assert!(
        storage
            .open_centre_session(&a.public_id, session('s', 1), now)
            .await
            .unwrap()
    );
    assert_eq!(
        storage
            .centre_sign_in(&a.public_id)
            .await
            .unwrap()
            .unwrap()
            .ended_at,
        Some(now)
    );
    assert_eq!(
        storage.centre_session(&[1; 32]).await.unwrap(),
        Some(session('s', 1))
    );
    assert_eq!(
        storage.centre_session_by_id(&"s".repeat(32)).await.unwrap(),
        Some(session('s', 1))
    );
    assert_eq!(storage.centre_session_by_id("unknown").await.unwrap(), None);
    assert!(
        !storage
            .open_centre_session(&a.public_id, session('t', 2), now)
            .await
            .unwrap(),
        "used once"
    );
    assert_eq!(storage.centre_session(&[2; 32]).await.unwrap(), None);
    assert!(
        !storage
            .open_centre_session(&b.public_id, session('u', 3), b.expires_at)
            .await
            .unwrap(),
        "expired at exactly its expiry"
    );
    assert_eq!(storage.centre_session(&[3; 32]).await.unwrap(), None);
    assert!(
        storage
            .centre_sign_in(&b.public_id)
            .await
            .unwrap()
            .unwrap()
            .ended_at
            .is_none(),
        "a refused opening changes nothing"
    );
    storage.close().await.unwrap();
}

async fn sessions_are_touched_ended_and_stale_rows_deleted(h: Arc<Harness>) {
    let storage = h.open().await;
    for (id, link) in [('a', 1), ('b', 2), ('c', 3)] {
        storage
            .insert_centre_sign_in(sign_in(id, link), None)
            .await
            .unwrap();
    }
    let mut late = sign_in('d', 4);
    late.expires_at = at("2026-12-01T10:30:00Z");
    storage.insert_centre_sign_in(late, None).await.unwrap();
    let opened = [('s', 1, 'a'), ('t', 2, 'b'), ('u', 3, 'c')];
    for (id, secret, from) in opened {
        let from = from.to_string().repeat(32);
        let mut row = session(id, secret);
        if id == 'u' {
            row.created_at = at("2026-12-01T09:10:00Z");
            row.last_seen_at = row.created_at;
        }
        assert!(
            storage
                .open_centre_session(&from, row, at("2026-12-01T09:10:00Z"))
                .await
                .unwrap()
        );
    }
    let s = "s".repeat(32);
    storage
        .touch_centre_session(&s, at("2026-12-01T09:30:00Z"))
        .await
        .unwrap();
    storage
        .touch_centre_session(&s, at("2026-12-01T09:20:00Z"))
        .await
        .unwrap();
    let touched = storage.centre_session(&[1; 32]).await.unwrap().unwrap();
    assert_eq!(
        touched.last_seen_at,
        at("2026-12-01T09:30:00Z"),
        "never back"
    );
    let t = "t".repeat(32);
    assert!(
        storage
            .end_centre_session(&t, at("2026-12-01T09:31:00Z"))
            .await
            .unwrap()
    );
    assert!(
        !storage
            .end_centre_session(&t, at("2026-12-01T09:32:00Z"))
            .await
            .unwrap()
    );
    storage
        .touch_centre_session(&t, at("2026-12-01T09:40:00Z"))
        .await
        .unwrap();
    assert_eq!(
        storage
            .centre_session(&[2; 32])
            .await
            .unwrap()
            .unwrap()
            .last_seen_at,
        at("2026-12-01T09:05:00Z"),
        "an ended session is not touched"
    );

    // At 09:50: sign-ins a-c are ended (used), d lives until 10:30; session t is ended, s was
    // seen at 09:30 and u at 09:10 (idle since 09:20 is the cutoff).
    let deleted = storage
        .delete_stale_centre_rows(CentreCutoffs {
            sign_ins_expired_by: at("2026-12-01T09:50:00Z"),
            sessions_idle_since: at("2026-12-01T09:20:00Z"),
            sessions_begun_by: at("2026-12-01T08:50:00Z"),
        })
        .await
        .unwrap();
    assert_eq!(deleted, 3 + 2);
    assert!(storage.centre_session(&[1; 32]).await.unwrap().is_some());
    assert!(storage.centre_session(&[3; 32]).await.unwrap().is_none());
    assert!(
        storage
            .centre_sign_in(&"d".repeat(32))
            .await
            .unwrap()
            .is_some()
    );
    // Begun too long ago: deleted whatever its last request.
    let deleted = storage
        .delete_stale_centre_rows(CentreCutoffs {
            sign_ins_expired_by: at("2026-12-01T10:30:00Z"),
            sessions_idle_since: at("2026-12-01T09:00:00Z"),
            sessions_begun_by: at("2026-12-01T09:05:00Z"),
        })
        .await
        .unwrap();
    assert_eq!(deleted, 2);
    assert!(storage.centre_session(&[1; 32]).await.unwrap().is_none());
    storage.close().await.unwrap();
}
