//! Retention sweeps on ethyca/fides' example database and a few test-local tables: what is due
//! at a chosen `now` goes and nothing else, in Stockholm dates; legal holds keep; foreign keys
//! order the sweep and keep referred-to rows; an interrupted sweep finishes on a rerun with the
//! same end state; a second run changes nothing; errors and receipts carry no values.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::ControlFlow;

use jiff::Timestamp;
use skydd_connect::apply::KeyedHasher;
use skydd_connect::sweep::{self, Outcome, RowAction, SweepPlan, SweepReceipt};
use skydd_connect::{Database, DatabaseUrl};
use skydd_dataset::{DatabaseKind, Dataset};

use crate::{GLESYS, Target, checked};

/// 23:30 UTC on 3 February 2022 is already 4 February in Stockholm: expiry dates on or before
/// the 3rd are past.
fn now() -> Timestamp {
    "2022-02-03T23:30:00Z".parse().unwrap()
}

/// Test-local tables: invoices under the bookkeeping hold, sessions and their events (a foreign
/// key the sweep must order by), and pins, a table outside the dataset that refers to sessions.
fn extra_sql(kind: DatabaseKind) -> String {
    let time = match kind {
        DatabaseKind::Mysql => "DATETIME",
        DatabaseKind::Postgres | DatabaseKind::Sqlite => "TIMESTAMP",
    };
    format!(
        "CREATE TABLE invoice (id INT PRIMARY KEY, customer_id INT, buyer VARCHAR(100), paid_at DATE);
         CREATE INDEX invoice_paid_at ON invoice (paid_at);
         CREATE TABLE app_session (id INT PRIMARY KEY, customer_id INT, started {time});
         CREATE INDEX app_session_started ON app_session (started);
         CREATE TABLE app_event (id INT PRIMARY KEY, session_id INT, at {time},
             FOREIGN KEY (session_id) REFERENCES app_session (id));
         CREATE TABLE pin (id INT PRIMARY KEY, session_id INT,
             FOREIGN KEY (session_id) REFERENCES app_session (id));
         INSERT INTO invoice VALUES
           (1, 1, 'Secret Buyer AB', '2014-06-01'),
           (2, 1, 'Secret Buyer AB', '2021-06-01'),
           (3, 2, 'Other Buyer AB', '2021-12-01'),
           (4, 2, 'Other Buyer AB', NULL);
         INSERT INTO app_session VALUES
           (1, 1, '2020-01-01 10:00:00'),
           (2, 1, '2020-01-01 10:00:00'),
           (3, 2, '2020-01-01 10:00:00'),
           (4, 2, '2022-01-01 10:00:00'),
           (5, 3, '2021-01-03 23:30:00'),
           (6, 3, '2021-01-03 22:59:59');
         INSERT INTO app_event VALUES
           (1, 2, '2020-01-02 10:00:00'),
           (2, 4, '2020-01-02 10:00:00');
         INSERT INTO pin VALUES (1, 1);
         CREATE TABLE device_log (id INT PRIMARY KEY, customer_id INT, ip VARCHAR(100),
             agent VARCHAR(100), fingerprint VARCHAR(100), seen {time});
         INSERT INTO device_log VALUES
           (1, 1, '192.0.2.1', 'Secret Browser', 'device-of-customer-1', '2020-06-01 10:00:00'),
           (2, 1, NULL, 'gone', NULL, '2020-06-01 10:00:00'),
           (3, 2, '192.0.2.3', 'Other Browser', 'device-of-customer-2', '2022-01-20 10:00:00');
         CREATE TABLE clicks (id INT PRIMARY KEY, customer_id INT, token VARCHAR(100), at {time});
         INSERT INTO clicks VALUES
           (1, 1, 'secret-token-1', '2020-06-01 10:00:00'),
           (2, 2, 'secret-token-2', '2022-01-20 10:00:00'),
           (3, 2, 'secret-token-3', NULL);"
    )
}

/// The dataset's collections for the test-local tables (sessions before their events, so the
/// sweep's order comes from the live foreign key).
const EXTRA_DATASET: &str = "
  - name: invoice
    primary_key: id
    retention: {anchor: paid_at, rule: invoice_data}
    fields:
      - name: id
      - name: customer_id
        references:
          - {field: customer.id, direction: from}
      - {name: buyer, category: customer_identity, erase: keep}
      - {name: paid_at, category: invoice_data, erase: keep}

  - name: app_session
    primary_key: id
    retention: {anchor: started, rule: product_usage}
    fields:
      - name: id
      - name: customer_id
        references:
          - {field: customer.id, direction: from}
      - {name: started, category: product_usage, erase: delete_row}

  - name: app_event
    primary_key: id
    retention: {anchor: at, rule: product_usage}
    fields:
      - name: id
      - name: session_id
        references:
          - {field: app_session.id, direction: from}
      - {name: at, category: product_usage, erase: delete_row}

  - name: device_log
    primary_key: id
    retention: {anchor: seen, rule: product_usage}
    fields:
      - name: id
      - name: customer_id
        references:
          - {field: customer.id, direction: from}
      - {name: ip, category: product_usage, erase: null}
      - {name: agent, category: product_usage, erase: {replace: gone}}
      - {name: fingerprint, category: product_usage, erase: keyed_hash}
      - {name: seen, category: product_usage, erase: keep}

  - name: clicks
    primary_key: id
    retention: {anchor: at, rule: product_usage}
    fields:
      - name: id
      - name: customer_id
        references:
          - {field: customer.id, direction: from}
      - {name: token, category: product_usage, erase: random}
      - {name: at, category: product_usage, erase: keep}
";

/// The Fides example with the test-local tables, loaded, and its dataset.
async fn loaded(target: &Target) -> Dataset {
    target.load_fides().await;
    let mut sql = extra_sql(target.kind());
    let mut extra = EXTRA_DATASET.to_owned();
    if target.kind() == DatabaseKind::Postgres {
        sql = sql
            .replace("TABLE invoice", "TABLE public.invoice")
            .replace("TABLE app_", "TABLE public.app_")
            .replace("TABLE pin", "TABLE public.pin")
            .replace("TABLE device_log", "TABLE public.device_log")
            .replace("TABLE clicks", "TABLE public.clicks");
        for name in [
            "invoice",
            "app_session",
            "app_event",
            "device_log",
            "clicks",
        ] {
            extra = extra.replace(
                &format!("  - name: {name}\n"),
                &format!("  - name: {name}\n    schema: public\n"),
            );
        }
    }
    target.execute(&sql).await;
    checked(&format!("{}{extra}", target.fides_dataset()))
}

/// A connection that may write (SQLite read-write, foreign keys enforced).
async fn writable(target: &Target) -> Database {
    let url = DatabaseUrl::new(target.url());
    Database::connect_writable(target.kind(), &url, None)
        .await
        .unwrap()
}

async fn plan(target: &Target, dataset: &Dataset) -> SweepPlan {
    let url = DatabaseUrl::new(target.url());
    // Read-only, as every read: on SQLite the file is opened read-only.
    let mut db = Database::connect(target.kind(), &url, None).await.unwrap();
    let plan = sweep::plan(&mut db, dataset, &GLESYS, now()).await.unwrap();
    db.close().await;
    plan
}

/// Run a sweep at [`now`] with `batch`, stopping after `stop_after` batches when given.
async fn run(
    target: &Target,
    dataset: &Dataset,
    batch: usize,
    stop_after: Option<u64>,
) -> SweepReceipt {
    let mut db = writable(target).await;
    let mut batches = 0;
    let mut progress = sweep::progress_fn(|_: &sweep::SweepProgress| {
        batches += 1;
        match stop_after {
            Some(n) if batches >= n => ControlFlow::Break(()),
            _ => ControlFlow::Continue(()),
        }
    });
    let hasher = KeyedHasher::new([7; 32]);
    let receipt = sweep::run(
        &mut db,
        dataset,
        &GLESYS,
        now(),
        batch,
        &hasher,
        &mut progress,
    )
    .await
    .unwrap()
    .expect("no other sweeper holds the lock");
    db.close().await;
    receipt
}

/// Every row of the tables a sweep may touch, as text, ordered.
async fn state(target: &Target) -> BTreeMap<&'static str, BTreeSet<String>> {
    let text = match target.kind() {
        DatabaseKind::Mysql => "CHAR",
        DatabaseKind::Postgres | DatabaseKind::Sqlite => "TEXT",
    };
    let tables: [(&str, &[&str]); 10] = [
        ("login", &["id", "customer_id", "time"]),
        ("visit", &["email", "last_visit"]),
        ("service_request", &["id", "email", "alt_email", "closed"]),
        ("invoice", &["id", "buyer", "paid_at"]),
        ("app_session", &["id", "started"]),
        ("app_event", &["id", "session_id"]),
        ("pin", &["id", "session_id"]),
        ("customer", &["id", "email", "name"]),
        ("device_log", &["id", "ip", "agent", "fingerprint", "seen"]),
        ("clicks", &["id", "token", "at"]),
    ];
    let mut all = BTreeMap::new();
    for (table, columns) in tables {
        let select: Vec<String> = columns
            .iter()
            .map(|c| format!("COALESCE(CAST({c} AS {text}), 'NULL')"))
            .collect();
        let sql = format!("SELECT {} FROM {table}", select.join(", "));
        all.insert(table, rows(target, &sql).await);
    }
    all
}

/// The rows of `sql` (text columns), each joined by `|`.
async fn rows(target: &Target, sql: &str) -> BTreeSet<String> {
    use sqlx::Row as _;
    let sql = sqlx::AssertSqlSafe(sql.to_owned());
    let joined =
        |row: &dyn Fn(usize) -> String, n: usize| (0..n).map(row).collect::<Vec<_>>().join("|");
    match writable(target).await {
        Database::Postgres(mut conn) => sqlx::query(sql)
            .fetch_all(&mut conn)
            .await
            .unwrap()
            .iter()
            .map(|r| joined(&|i| r.get::<String, _>(i), r.len()))
            .collect(),
        Database::Mysql(mut conn) => sqlx::query(sql)
            .fetch_all(&mut conn)
            .await
            .unwrap()
            .iter()
            .map(|r| joined(&|i| r.get::<String, _>(i), r.len()))
            .collect(),
        Database::Sqlite(mut conn) => sqlx::query(sql)
            .fetch_all(&mut conn)
            .await
            .unwrap()
            .iter()
            .map(|r| joined(&|i| r.get::<String, _>(i), r.len()))
            .collect(),
    }
}

/// The first column of each row of `table`.
fn ids(state: &BTreeMap<&'static str, BTreeSet<String>>, table: &str) -> BTreeSet<String> {
    state[table]
        .iter()
        .map(|row| row.split('|').next().unwrap_or_default().to_owned())
        .collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

/// What a complete sweep at [`now`] leaves, against the state before it.
fn assert_swept(
    kind: &str,
    before: &BTreeMap<&'static str, BTreeSet<String>>,
    after: &BTreeMap<&'static str, BTreeSet<String>>,
) {
    // Logins of 1, 2 and 3 January 2021 expired (13 months) on 1, 2 and 3 February 2022; on
    // 4 February in Stockholm they go. (In UTC it is still the 3rd: login 3 would stay.)
    assert_eq!(
        ids(after, "login"),
        set(&["4", "5", "6", "7", "8"]),
        "{kind}"
    );
    // Tickets: closed 7 January 2020 expired (24 months) on 7 January 2022; closed 8 May 2020
    // not yet; a ticket never closed never expires.
    assert_eq!(
        ids(after, "service_request"),
        set(&["ser_aaa-aaa", "ser_bbb-bbb", "ser_ddd-ddd"]),
        "{kind}"
    );
    // Invoices: 3 months after payment, but Bokföringslagen keeps them to the end of the
    // seventh year: the one paid in 2014 goes, 2021's stays, the unpaid one stays.
    assert_eq!(ids(after, "invoice"), set(&["2", "3", "4"]), "{kind}");
    // Sessions: 1 is pinned (a table outside the dataset refers to it); 2 went after its event;
    // 4 is recent; 5 began at 00:30 on 4 January in Stockholm (23:30 UTC the 3rd), so it is due
    // only from 5 February; 6 began at 23:59:59 on the 3rd in Stockholm and went.
    assert_eq!(ids(after, "app_session"), set(&["1", "4", "5"]), "{kind}");
    assert_eq!(ids(after, "app_event"), set(&[]), "{kind}");
    // Device logs are anonymised (the rule's action; no field deletes the row): the due one
    // is masked, the one already in its erased form and the recent one are left as they were.
    let logs: Vec<Vec<String>> = after["device_log"]
        .iter()
        .map(|row| row.split('|').map(str::to_owned).collect())
        .collect();
    assert_eq!(logs.len(), 3, "{kind}");
    assert_eq!(&logs[0][..3], ["1", "NULL", "gone"], "{kind}");
    let hash = &logs[0][3];
    assert!(
        hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit()),
        "{kind}: {hash}"
    );
    assert!(
        logs[0][4].starts_with("2020-06-01"),
        "{kind}: the anchor stays"
    );
    let untouched: BTreeSet<&String> = before["device_log"]
        .iter()
        .filter(|row| !row.starts_with("1|"))
        .collect();
    assert!(
        untouched
            .iter()
            .all(|row| after["device_log"].contains(*row)),
        "{kind}"
    );
    // Clicks: `random` leaves no mark, so masking clears the anchor as well.
    let clicks: Vec<Vec<String>> = after["clicks"]
        .iter()
        .map(|row| row.split('|').map(str::to_owned).collect())
        .collect();
    assert_eq!(
        (&clicks[0][0], &clicks[0][2]),
        (&"1".to_owned(), &"NULL".to_owned()),
        "{kind}"
    );
    assert_ne!(clicks[0][1], "secret-token-1", "{kind}");
    assert!(
        before["clicks"]
            .iter()
            .filter(|row| !row.starts_with("1|"))
            .all(|row| after["clicks"].contains(row)),
        "{kind}"
    );
    // Nothing else changed.
    for table in ["visit", "pin", "customer"] {
        assert_eq!(after[table], before[table], "{kind}: {table}");
    }
    for table in ["login", "service_request", "invoice", "app_session"] {
        assert!(after[table].is_subset(&before[table]), "{kind}: {table}");
    }
}

#[tokio::test]
async fn the_plan_counts_what_is_due_and_what_holds_and_references_keep() {
    for target in Target::all().await {
        let kind = format!("{:?}", target.kind());
        let dataset = loaded(&target).await;
        let before = state(&target).await;
        let plan = plan(&target, &dataset).await;
        assert_eq!(
            state(&target).await,
            before,
            "{kind}: a plan changes nothing"
        );
        assert_eq!(plan.today.to_string(), "2022-02-04", "{kind}");
        let order: Vec<&str> = plan
            .collections
            .iter()
            .map(|c| c.collection.as_str())
            .collect();
        // Only collections with retention, events before the sessions they refer to.
        assert_eq!(
            order,
            [
                "login",
                "visit",
                "service_request",
                "invoice",
                "app_event",
                "app_session",
                "device_log",
                "clicks"
            ],
            "{kind}"
        );
        let of = |name: &str| {
            plan.collections
                .iter()
                .find(|c| c.collection == name)
                .unwrap()
        };

        let login = of("login");
        assert_eq!(login.rule.rule, "product_usage", "{kind}");
        // The rule anonymises, but `time` says `delete_row`: the rows are deleted.
        assert_eq!(login.rule.rows, RowAction::Delete, "{kind}");
        let cutoff = login.cutoff.unwrap();
        assert_eq!(cutoff.last_due.to_string(), "2021-01-03", "{kind}");
        assert_eq!(cutoff.before.to_string(), "2021-01-03T23:00:00Z", "{kind}");
        assert_eq!((login.due, login.skipped.as_deref()), (3, None), "{kind}");
        assert_eq!(of("visit").due, 0, "{kind}");
        assert_eq!(of("service_request").due, 1, "{kind}");

        let invoice = of("invoice");
        assert_eq!(invoice.due, 1, "{kind}");
        assert_eq!(invoice.held.len(), 1, "{kind}");
        let held = &invoice.held[0];
        assert_eq!(held.hold, "bookkeeping", "{kind}");
        assert!(held.law.contains("Bokföringslagen"), "{kind}: {}", held.law);
        assert_eq!(held.fields, ["buyer", "paid_at"], "{kind}");
        assert_eq!(held.rows, 1, "{kind}");
        assert_eq!(held.ended_for.unwrap().to_string(), "2014-12-31", "{kind}");

        // Sessions 1, 2, 3 and 6 are due; 1 and 2 are referred to (2 by an event the sweep
        // deletes first, which the plan, counting before anything goes, cannot know).
        let sessions = of("app_session");
        assert_eq!(sessions.due, 2, "{kind}");
        let by: Vec<(&str, u64)> = sessions
            .referenced
            .iter()
            .map(|r| (r.by.as_str(), r.rows))
            .collect();
        assert_eq!(
            by,
            [("app_event(session_id)", 1), ("pin(session_id)", 1)],
            "{kind}"
        );
        assert_eq!(of("app_event").due, 2, "{kind}");
        let logs = of("device_log");
        assert_eq!((logs.rule.rows, logs.due), (RowAction::Mask, 1), "{kind}");
        assert_eq!(
            (of("clicks").rule.rows, of("clicks").due),
            (RowAction::Mask, 1)
        );

        let json = serde_json::to_string(&plan).unwrap();
        for value in [
            "Secret Buyer",
            "example.com",
            "2021-01-03 01:00",
            "192.0.2",
            "secret-token",
        ] {
            assert!(!json.contains(value), "{kind}: {json}");
        }
        target.finish().await;
    }
}

#[tokio::test]
async fn a_sweep_removes_what_is_due_and_nothing_else_and_a_second_changes_nothing() {
    for target in Target::all().await {
        let kind = format!("{:?}", target.kind());
        let dataset = loaded(&target).await;
        let before = state(&target).await;
        let receipt = run(&target, &dataset, sweep::DEFAULT_BATCH, None).await;
        assert!(receipt.complete(), "{kind}: {receipt:#?}");
        let after = state(&target).await;
        assert_swept(&kind, &before, &after);

        let of = |r: &SweepReceipt, name: &str| {
            r.collections
                .iter()
                .find(|c| c.collection == name)
                .cloned()
                .unwrap()
        };
        let counted: Vec<(&str, u64, u64, u64)> = receipt
            .collections
            .iter()
            .map(|c| (c.collection.as_str(), c.deleted, c.masked, c.batches))
            .collect();
        assert_eq!(
            counted,
            [
                ("login", 3, 0, 1),
                ("visit", 0, 0, 0),
                ("service_request", 1, 0, 1),
                ("invoice", 1, 0, 1),
                ("app_event", 2, 0, 1),
                ("app_session", 3, 0, 1),
                ("device_log", 0, 1, 1),
                ("clicks", 0, 1, 1),
            ],
            "{kind}"
        );
        let invoice = of(&receipt, "invoice");
        assert_eq!(invoice.held[0].rows, 1, "{kind}");
        assert_eq!(invoice.outcome, Outcome::Done, "{kind}");
        let sessions = of(&receipt, "app_session");
        assert_eq!(sessions.referenced.len(), 1, "{kind}: {sessions:?}");
        assert_eq!(sessions.referenced[0].by, "pin(session_id)", "{kind}");

        let again = run(&target, &dataset, sweep::DEFAULT_BATCH, None).await;
        assert!(again.complete(), "{kind}");
        assert!(
            again
                .collections
                .iter()
                .all(|c| c.deleted == 0 && c.masked == 0 && c.batches == 0),
            "{kind}: {again:#?}"
        );
        assert_eq!(state(&target).await, after, "{kind}");
        target.finish().await;
    }
}

#[tokio::test]
async fn an_interrupted_sweep_finishes_on_a_rerun_with_the_same_end_state() {
    for target in Target::all().await {
        let kind = format!("{:?}", target.kind());
        let dataset = loaded(&target).await;
        let before = state(&target).await;
        // Batches of two logins: the callback stops the sweep after the first.
        let stopped = run(&target, &dataset, 2, Some(1)).await;
        assert!(stopped.stopped && !stopped.complete(), "{kind}");
        assert_eq!(stopped.collections.len(), 1, "{kind}");
        assert_eq!(stopped.collections[0].outcome, Outcome::Stopped, "{kind}");
        let halfway = state(&target).await;
        assert_eq!(
            ids(&halfway, "login"),
            set(&["3", "4", "5", "6", "7", "8"]),
            "{kind}: the oldest go first"
        );
        assert_eq!(halfway["service_request"], before["service_request"]);

        let rest = run(&target, &dataset, 2, None).await;
        assert!(rest.complete(), "{kind}");
        assert_eq!(rest.collections[0].deleted, 1, "{kind}");
        let once = state(&target).await;
        assert_swept(&kind, &before, &once);
        target.finish().await;
    }
}

#[tokio::test]
async fn a_sweep_stopped_after_every_batch_ends_as_one_run_does() {
    for target in Target::all().await {
        let kind = format!("{:?}", target.kind());
        let dataset = loaded(&target).await;
        let before = state(&target).await;
        // One row per batch, stopped after each: every collection, masking included, is
        // interrupted between its batches.
        let mut runs = 0;
        loop {
            runs += 1;
            assert!(runs < 40, "{kind}: the sweep does not finish");
            let receipt = run(&target, &dataset, 1, Some(1)).await;
            if !receipt.stopped {
                assert!(receipt.complete(), "{kind}: {receipt:#?}");
                break;
            }
        }
        // 3 logins, 1 ticket, 1 invoice, 2 events, 3 sessions, 1 device log, 1 click, each
        // its own run, and a last run that finds nothing.
        assert_eq!(runs, 13, "{kind}");
        assert_swept(&kind, &before, &state(&target).await);
        target.finish().await;
    }
}

#[tokio::test]
async fn one_sweeper_per_database() {
    for target in Target::all().await {
        let kind = format!("{:?}", target.kind());
        let dataset = loaded(&target).await;
        let (take, release) = match target.kind() {
            // The sweep's advisory lock key, "skydd_sweep" as one number.
            DatabaseKind::Postgres => (
                "SELECT pg_advisory_lock(8316874608957420407)",
                "SELECT pg_advisory_unlock(8316874608957420407)",
            ),
            DatabaseKind::Mysql => (
                "SELECT GET_LOCK(CONCAT('skydd_sweep.', DATABASE()), 0)",
                "SELECT RELEASE_LOCK(CONCAT('skydd_sweep.', DATABASE()))",
            ),
            DatabaseKind::Sqlite => {
                target.finish().await;
                continue;
            }
        };
        let mut other = writable(&target).await;
        let mut sweeper = writable(&target).await;
        let hasher = KeyedHasher::new([7; 32]);
        let mut go_on = sweep::progress_fn(|_: &sweep::SweepProgress| ControlFlow::Continue(()));
        let held = match &mut other {
            Database::Postgres(conn) => sqlx::raw_sql(take).execute(conn).await.map(|_| ()),
            Database::Mysql(conn) => sqlx::raw_sql(take).execute(conn).await.map(|_| ()),
            Database::Sqlite(_) => Ok(()),
        };
        held.unwrap();
        let before = state(&target).await;
        let none = sweep::run(
            &mut sweeper,
            &dataset,
            &GLESYS,
            now(),
            sweep::DEFAULT_BATCH,
            &hasher,
            &mut go_on,
        )
        .await
        .unwrap();
        assert!(none.is_none(), "{kind}: swept under another sweeper's lock");
        assert_eq!(state(&target).await, before, "{kind}");
        let released = match &mut other {
            Database::Postgres(conn) => sqlx::raw_sql(release).execute(conn).await.map(|_| ()),
            Database::Mysql(conn) => sqlx::raw_sql(release).execute(conn).await.map(|_| ()),
            Database::Sqlite(_) => Ok(()),
        };
        released.unwrap();
        let swept = sweep::run(
            &mut sweeper,
            &dataset,
            &GLESYS,
            now(),
            sweep::DEFAULT_BATCH,
            &hasher,
            &mut go_on,
        )
        .await
        .unwrap();
        assert!(swept.is_some_and(|r| r.complete()), "{kind}");
        assert_swept(&kind, &before, &state(&target).await);
        other.close().await;
        sweeper.close().await;
        target.finish().await;
    }
}

#[tokio::test]
async fn a_refused_deletion_fails_its_collection_only_and_names_no_value() {
    for target in Target::all().await {
        let kind = format!("{:?}", target.kind());
        let dataset = loaded(&target).await;
        // A trigger that refuses to delete an invoice, quoting the buyer's name.
        let trigger = match target.kind() {
            DatabaseKind::Postgres => {
                "CREATE FUNCTION refuse() RETURNS trigger AS $$
                 BEGIN RAISE EXCEPTION 'cannot delete %', OLD.buyer; END $$ LANGUAGE plpgsql;
                 CREATE TRIGGER refuse BEFORE DELETE ON public.invoice
                 FOR EACH ROW EXECUTE FUNCTION refuse();"
            }
            DatabaseKind::Mysql => {
                "CREATE TRIGGER refuse BEFORE DELETE ON invoice FOR EACH ROW
                 BEGIN
                   DECLARE message VARCHAR(128);
                   SET message = CONCAT('cannot delete ', OLD.buyer);
                   SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = message;
                 END"
            }
            DatabaseKind::Sqlite => {
                "CREATE TRIGGER refuse BEFORE DELETE ON invoice
                 BEGIN SELECT RAISE(ABORT, 'cannot delete Secret Buyer AB'); END;"
            }
        };
        target.execute(trigger).await;
        let receipt = run(&target, &dataset, sweep::DEFAULT_BATCH, None).await;
        assert!(!receipt.complete(), "{kind}");
        let invoice = receipt
            .collections
            .iter()
            .find(|c| c.collection == "invoice")
            .unwrap();
        let Outcome::Failed { reason } = &invoice.outcome else {
            panic!("{kind}: {invoice:?}")
        };
        assert!(
            reason.contains("`invoice`") && reason.contains("SQLSTATE"),
            "{kind}: {reason}"
        );
        for shown in [
            reason.clone(),
            format!("{receipt:?}"),
            serde_json::to_string(&receipt).unwrap(),
        ] {
            assert!(!shown.contains("Secret"), "{kind}: {shown}");
        }
        // The other collections were swept all the same.
        let after = state(&target).await;
        assert_eq!(ids(&after, "app_session"), set(&["1", "4", "5"]), "{kind}");
        assert_eq!(ids(&after, "invoice"), set(&["1", "2", "3", "4"]), "{kind}");
        target.finish().await;
    }
}

#[tokio::test]
async fn instants_compare_at_midnight_in_stockholm() {
    for target in Target::all().await {
        let kind = format!("{:?}", target.kind());
        target.load_fides().await;
        // The last due anchor is 3 January 2021 in Stockholm: every instant before 23:00 UTC.
        let sql = match target.kind() {
            DatabaseKind::Postgres => {
                "CREATE TABLE public.stamp (id INT PRIMARY KEY, customer_id INT, at TIMESTAMPTZ);
                 INSERT INTO public.stamp VALUES
                   (1, 1, '2021-01-03 23:59:59+01'), (2, 1, '2021-01-04 00:00:00+01'),
                   (3, 1, '2021-01-03 22:59:59+00'), (4, 1, '2021-01-03 23:00:00+00');"
            }
            DatabaseKind::Mysql => {
                "SET time_zone = '+00:00';
                 CREATE TABLE stamp (id INT PRIMARY KEY, customer_id INT, at TIMESTAMP NULL);
                 INSERT INTO stamp VALUES
                   (1, 1, '2021-01-03 22:59:59'), (2, 1, '2021-01-03 23:00:00'),
                   (3, 1, '2021-01-03 22:00:00'), (4, 1, '2021-01-04 10:00:00');"
            }
            DatabaseKind::Sqlite => {
                "CREATE TABLE stamp (id INT PRIMARY KEY, customer_id INT, at TEXT);
                 INSERT INTO stamp VALUES
                   (1, 1, '2021-01-03 22:59:59'), (2, 1, '2021-01-03 23:00:00'),
                   (3, 1, '2021-01-03'), (4, 1, '2021-01-04 10:00:00');"
            }
        };
        target.execute(sql).await;
        let schema = if target.kind() == DatabaseKind::Postgres {
            "    schema: public\n"
        } else {
            ""
        };
        let extra = format!(
            "
  - name: stamp
{schema}    primary_key: id
    retention: {{anchor: at, rule: product_usage}}
    fields:
      - name: id
      - name: customer_id
        references:
          - {{field: customer.id, direction: from}}
      - {{name: at, category: product_usage, erase: delete_row}}
"
        );
        let mut stamp = checked(&format!("{}{extra}", target.fides_dataset()));
        stamp.collections.retain(|c| c.name == "stamp");
        let receipt = run(&target, &stamp, sweep::DEFAULT_BATCH, None).await;
        assert_eq!(receipt.collections[0].deleted, 2, "{kind}: {receipt:#?}");
        let text = match target.kind() {
            DatabaseKind::Mysql => "CHAR",
            DatabaseKind::Postgres | DatabaseKind::Sqlite => "TEXT",
        };
        let left = rows(&target, &format!("SELECT CAST(id AS {text}) FROM stamp")).await;
        assert_eq!(left, set(&["2", "4"]), "{kind}");
        target.finish().await;
    }
}

#[tokio::test]
async fn a_sweep_dropped_midway_finishes_on_a_rerun() {
    for target in Target::all().await {
        let kind = format!("{:?}", target.kind());
        let dataset = loaded(&target).await;
        let before = state(&target).await;
        let mut db = writable(&target).await;
        let hasher = KeyedHasher::new([7; 32]);
        // After the first batch the progress callback lets the sweep go on, but the future is
        // dropped at its next wait on the database: a crash in the middle of the next batch.
        let (tell, dropped) = tokio::sync::oneshot::channel::<()>();
        let mut tell = Some(tell);
        let mut progress = sweep::progress_fn(|_: &sweep::SweepProgress| {
            if let Some(tell) = tell.take() {
                let _ = tell.send(());
            }
            ControlFlow::Continue(())
        });
        let sweeping = sweep::run(&mut db, &dataset, &GLESYS, now(), 1, &hasher, &mut progress);
        tokio::select! {
            biased;
            _ = dropped => {}
            finished = sweeping => panic!("{kind}: the sweep ended before it was dropped: {finished:?}"),
        }
        drop(db);
        assert_ne!(
            state(&target).await,
            before,
            "{kind}: the first batch was committed"
        );
        // The server lets the dropped session's sweep lock go once it notices the connection
        // is gone (after the statement in flight): until then a new sweep finds it held.
        let mut db = writable(&target).await;
        let mut go_on = sweep::progress_fn(|_: &sweep::SweepProgress| ControlFlow::Continue(()));
        let mut receipt = None;
        for _ in 0..100 {
            receipt = sweep::run(
                &mut db,
                &dataset,
                &GLESYS,
                now(),
                sweep::DEFAULT_BATCH,
                &hasher,
                &mut go_on,
            )
            .await
            .unwrap();
            if receipt.is_some() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        db.close().await;
        let receipt = receipt.expect("the dropped sweep's lock is let go");
        assert!(receipt.complete(), "{kind}");
        assert_swept(&kind, &before, &state(&target).await);
        target.finish().await;
    }
}
