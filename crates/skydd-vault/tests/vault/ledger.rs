//! Consent, objection and preference writes as ledger units (issue 19), on both backends and
//! with and without group commit: a ledger row and its audit event are stored together or not
//! at all, concurrent units share transactions while each caller gets its own answer, and a unit
//! the database refuses fails alone.

use std::sync::Arc;

use jiff::Timestamp;
use skydd_crypto::Keyring;
use skydd_storage::{AuditEventRow, ConsentEventRow, LedgerUnit};
use skydd_vault::{Audit, Enforced, GroupCommitAudit, NewSubject, StorageAudit, Vault};

use crate::{Harness, REGISTER, at, consent, dpo, on_each_backend};

/// Run SQL on the harness's database behind the vault's back: `sqlite` or `postgres`.
async fn execute(h: &Harness, sqlite: &str, postgres: &str) {
    use sqlx::Connection as _;
    match &h.postgres {
        None => {
            let options = sqlx::sqlite::SqliteConnectOptions::new()
                .filename(h.dir.path().join("skydd.db"))
                .busy_timeout(std::time::Duration::from_secs(5));
            let mut conn = sqlx::SqliteConnection::connect_with(&options)
                .await
                .unwrap();
            sqlx::raw_sql(sqlx::AssertSqlSafe(sqlite.to_owned()))
                .execute(&mut conn)
                .await
                .unwrap();
            conn.close().await.unwrap();
        }
        Some((url, schema)) => {
            use std::str::FromStr as _;
            let options = sqlx::postgres::PgConnectOptions::from_str(url)
                .unwrap()
                .options([("search_path", schema.as_str())]);
            let mut conn = sqlx::PgConnection::connect_with(&options).await.unwrap();
            sqlx::raw_sql(sqlx::AssertSqlSafe(postgres.to_owned()))
                .execute(&mut conn)
                .await
                .unwrap();
            conn.close().await.unwrap();
        }
    }
}

/// Make the database refuse every insert into `table` (a trigger named `refuse_<table>`).
async fn refuse(h: &Harness, table: &str) {
    let sqlite = format!(
        "CREATE TRIGGER refuse_{table} BEFORE INSERT ON {table}
         BEGIN SELECT RAISE(ABORT, 'the test refuses {table}'); END;"
    );
    let postgres = format!(
        "CREATE FUNCTION refuse_{table}() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN RAISE EXCEPTION 'the test refuses {table}'; END $$;
         CREATE TRIGGER refuse_{table} BEFORE INSERT ON {table}
         FOR EACH ROW EXECUTE FUNCTION refuse_{table}();"
    );
    execute(h, &sqlite, &postgres).await;
}

/// Undo [`refuse`].
async fn allow(h: &Harness, table: &str) {
    execute(
        h,
        &format!("DROP TRIGGER refuse_{table}"),
        &format!("DROP TRIGGER refuse_{table} ON {table}; DROP FUNCTION refuse_{table}();"),
    )
    .await;
}

/// A vault over the harness's database writing its ledgers and audit events through `audit`.
fn vault_with(h: &Harness, audit: Arc<dyn Audit>) -> Vault {
    let (keyring, _) = Keyring::load_or_create(&h.dir.path().join("master.key")).unwrap();
    let register = skydd_register::check(REGISTER).register.unwrap();
    Vault::new(
        h.storage.clone(),
        Arc::new(keyring),
        Arc::new(Enforced::new(register)),
        audit,
    )
}

/// A new subject with the e-mail address `ledger.<n>@example.se`.
async fn subject(h: &Harness, n: usize, now: Timestamp) -> String {
    let new = NewSubject {
        identities: vec![("email".into(), format!("ledger.{n}@example.se"))],
        tenant: None,
    };
    h.vault
        .create_subject(&dpo(), new, now)
        .await
        .unwrap()
        .to_string()
}

/// How many consent events, objections and ledger audit events (`consent.record`,
/// `objection.record`) the database holds for `subject`.
async fn stored(h: &Harness, subject: &str) -> [usize; 3] {
    let audited = h
        .storage
        .audit_events_for_subject(subject)
        .await
        .unwrap()
        .iter()
        .filter(|e| e.action == "consent.record" || e.action == "objection.record")
        .count();
    [
        h.storage
            .consent_events_for_subject(subject)
            .await
            .unwrap()
            .len(),
        h.storage
            .objections_of_subject(subject)
            .await
            .unwrap()
            .len(),
        audited,
    ]
}

#[tokio::test]
async fn a_consent_and_its_audit_events_are_stored_together_or_not_at_all() {
    on_each_backend(async |h| {
        let now = at("2026-03-01T10:00:00Z");
        let modes: [(&str, Arc<dyn Audit>); 2] = [
            (
                "one transaction per call",
                Arc::new(StorageAudit::new(h.storage.clone())),
            ),
            (
                "group commit",
                Arc::new(GroupCommitAudit::spawn(h.storage.clone(), 16)),
            ),
        ];
        for (n, (mode, audit)) in modes.into_iter().enumerate() {
            let vault = vault_with(h, audit);
            let subject = subject(h, n, now).await;
            // A consent with a GPC signal: the consent, the objection and both audit events.
            let mut input = consent(&subject, "newsletter", true);
            input.gpc = true;

            refuse(h, "audit_events").await;
            let refused = vault.record_consent(&dpo(), input.clone(), now).await;
            allow(h, "audit_events").await;
            assert!(refused.is_err(), "{} {mode}: {refused:?}", h.name);
            assert_eq!(
                stored(h, &subject).await,
                [0, 0, 0],
                "{} {mode}: no consent or objection without its audit event",
                h.name
            );

            refuse(h, "objection_events").await;
            let refused = vault.record_consent(&dpo(), input.clone(), now).await;
            allow(h, "objection_events").await;
            assert!(refused.is_err(), "{} {mode}: {refused:?}", h.name);
            assert_eq!(
                stored(h, &subject).await,
                [0, 0, 0],
                "{} {mode}: a refused objection takes its consent and the events with it",
                h.name
            );

            vault.record_consent(&dpo(), input, now).await.unwrap();
            assert_eq!(stored(h, &subject).await, [1, 1, 2], "{} {mode}", h.name);
        }
    })
    .await;
}

/// A unit of one consent of `subject` to `newsletter` and its audit event.
fn unit(subject: &str, now: Timestamp) -> LedgerUnit {
    LedgerUnit {
        consents: vec![ConsentEventRow {
            seq: 0,
            scope_kind: "subject".into(),
            scope_id: subject.into(),
            purpose: "newsletter".into(),
            granted: true,
            method: "api".into(),
            notice_version: "ledger-test".into(),
            at: now,
            text_hash: None,
            context_ciphertext: None,
        }],
        audit: vec![AuditEventRow {
            seq: 0,
            at: now,
            actor: "token-dpo".into(),
            ip: None,
            action: "consent.record".into(),
            purpose: Some("newsletter".into()),
            subject_id: Some(subject.into()),
            categories: Vec::new(),
            outcome: "granted".into(),
            detail: None,
        }],
        ..LedgerUnit::default()
    }
}

/// Note, for each consent event inserted, the audit chain's head as its transaction saw it: the
/// head moves when a transaction appends its audit events, so consents inserted in one
/// transaction note one head and the number of distinct heads is the number of transactions.
/// A consent of `poisoned` is refused by the database.
async fn probe_transactions(h: &Harness, poisoned: &str) {
    let sqlite = format!(
        "CREATE TABLE transaction_probe (head INTEGER NOT NULL);
         CREATE TRIGGER probe_transactions BEFORE INSERT ON consent_events
         BEGIN
             SELECT RAISE(ABORT, 'the test refuses this subject')
             WHERE NEW.scope_id = '{poisoned}';
             INSERT INTO transaction_probe (head) SELECT seq FROM audit_chain_head WHERE id = 1;
         END;"
    );
    let postgres = format!(
        "CREATE TABLE transaction_probe (head bigint NOT NULL);
         CREATE FUNCTION probe_transactions() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN
             IF NEW.scope_id = '{poisoned}' THEN
                 RAISE EXCEPTION 'the test refuses this subject';
             END IF;
             INSERT INTO transaction_probe (head) SELECT seq FROM audit_chain_head WHERE id = 1;
             RETURN NEW;
         END $$;
         CREATE TRIGGER probe_transactions BEFORE INSERT ON consent_events
         FOR EACH ROW EXECUTE FUNCTION probe_transactions();"
    );
    execute(h, &sqlite, &postgres).await;
}

/// The number of transactions that inserted consent events since [`probe_transactions`].
async fn transactions(h: &Harness) -> usize {
    use sqlx::Connection as _;
    let sql = "SELECT COUNT(DISTINCT head) FROM transaction_probe";
    let count: i64 = match &h.postgres {
        None => {
            let path = h.dir.path().join("skydd.db");
            let options = sqlx::sqlite::SqliteConnectOptions::new().filename(path);
            let mut conn = sqlx::SqliteConnection::connect_with(&options)
                .await
                .unwrap();
            sqlx::query_scalar(sql).fetch_one(&mut conn).await.unwrap()
        }
        Some((url, schema)) => {
            use std::str::FromStr as _;
            let options = sqlx::postgres::PgConnectOptions::from_str(url)
                .unwrap()
                .options([("search_path", schema.as_str())]);
            let mut conn = sqlx::PgConnection::connect_with(&options).await.unwrap();
            sqlx::query_scalar(sql).fetch_one(&mut conn).await.unwrap()
        }
    };
    usize::try_from(count).unwrap()
}

#[tokio::test]
async fn concurrent_units_share_transactions_and_each_caller_gets_its_own_answer() {
    on_each_backend(async |h| {
        let now = at("2026-03-01T10:00:00Z");
        let good = subject(h, 1, now).await;
        let poisoned = subject(h, 2, now).await;
        probe_transactions(h, &poisoned).await;
        let writer = GroupCommitAudit::spawn(h.storage.clone(), 16);

        // 40 units handed over together (this test runs on one thread: every call is queued
        // before the writer task runs); each unit, a consent row and its audit event, takes 2
        // of a batch's 16, so they go in 5 batches of 8. On SQLite the writer is a thread of
        // its own, which may wake at the first unit and commit it alone: one batch more.
        let calls: Vec<_> = (0..40)
            .map(|_| {
                let (writer, unit) = (writer.clone(), unit(&good, now));
                tokio::spawn(async move { writer.commit(unit).await })
            })
            .collect();
        for call in calls {
            call.await.unwrap().unwrap();
        }
        let shared = transactions(h).await;
        assert!(
            shared <= (40 * 2_usize).div_ceil(16) + 1,
            "{}: 40 units in {shared} transactions",
            h.name
        );
        assert_eq!(stored(h, &good).await, [40, 0, 40], "{}", h.name);

        // A batch with a unit the database refuses: that unit fails alone.
        let calls: Vec<_> = (0..10)
            .map(|i| {
                let subject = if i == 3 { &poisoned } else { &good };
                let (writer, unit) = (writer.clone(), unit(subject, now));
                tokio::spawn(async move { writer.commit(unit).await })
            })
            .collect();
        for (i, call) in calls.into_iter().enumerate() {
            let answer = call.await.unwrap();
            assert_eq!(answer.is_err(), i == 3, "{} unit {i}: {answer:?}", h.name);
        }
        assert_eq!(stored(h, &good).await, [49, 0, 49], "{}", h.name);
        assert_eq!(stored(h, &poisoned).await, [0, 0, 0], "{}", h.name);

        // The same through the vault, consents of both subjects at once.
        let vault = vault_with(h, Arc::new(writer));
        let calls: Vec<_> = (0..12)
            .map(|i| {
                let subject = if i % 4 == 0 { &poisoned } else { &good };
                let (vault, input) = (vault.clone(), consent(subject, "newsletter", i % 2 == 1));
                tokio::spawn(async move { vault.record_consent(&dpo(), input, now).await })
            })
            .collect();
        for (i, call) in calls.into_iter().enumerate() {
            let answer = call.await.unwrap();
            assert_eq!(
                answer.is_err(),
                i % 4 == 0,
                "{} call {i}: {answer:?}",
                h.name
            );
        }
        assert_eq!(stored(h, &good).await, [58, 0, 58], "{}", h.name);
        assert_eq!(stored(h, &poisoned).await, [0, 0, 0], "{}", h.name);
    })
    .await;
}
