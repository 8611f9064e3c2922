//! Erasure through the graph on ethyca/fides' example database, on PostgreSQL, MariaDB and
//! SQLite: the primitive ([`skydd_connect::apply`]) first, then plan, execute, verify and
//! replay for `customer-1@example.com`.

use std::collections::{BTreeMap, BTreeSet};

use skydd_connect::apply::{KeyedHasher, apply};
use skydd_connect::erase::{
    ErasurePlan, ErasureReceipt, execute, execute_recorded, plan, replay, replay_all, verify,
};
use skydd_connect::{Database, DatabaseUrl};
use skydd_dataset::DatabaseKind;
use skydd_register::model::Choice as _;
use skydd_subject::{Identity, IdentityKind, ParseContext};

use crate::{GLESYS, Target, checked};

/// The reference day of the erasures' scans of free text.
pub(crate) const TODAY: jiff::civil::Date = jiff::civil::date(2026, 12, 6);

/// The erasure key of the tests.
pub(crate) fn hasher() -> KeyedHasher {
    KeyedHasher::new([42u8; 32])
}

/// Every row of every table of the example, as text, ordered: compared before and after.
pub(crate) type Dump = BTreeMap<String, Vec<Vec<Option<String>>>>;

/// Read every table of the target as text.
pub(crate) async fn dump(target: &Target) -> Dump {
    let schema = target.schema().await;
    let url = DatabaseUrl::new(target.url());
    let mut db = Database::connect(target.kind(), &url, None).await.unwrap();
    let mut out = Dump::new();
    for table in schema.tables.iter().filter(|t| !t.view) {
        let (text, q) = match target.kind() {
            skydd_dataset::DatabaseKind::Mysql => ("CHAR", '`'),
            _ => ("TEXT", '"'),
        };
        let columns: Vec<String> = table
            .columns
            .iter()
            .map(|c| format!("CAST({q}{}{q} AS {text})", c.name))
            .collect();
        let order: Vec<String> = (1..=columns.len()).map(|n| n.to_string()).collect();
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {} FROM {q}{}{q} ORDER BY {}",
            columns.join(", "),
            table.name,
            order.join(", ")
        ));
        let rows: Vec<Vec<Option<String>>> = match &mut db {
            Database::Postgres(conn) => rows(sqlx::query(sql).fetch_all(conn).await.unwrap()),
            Database::Mysql(conn) => rows(sqlx::query(sql).fetch_all(conn).await.unwrap()),
            Database::Sqlite(conn) => rows(sqlx::query(sql).fetch_all(conn).await.unwrap()),
        };
        out.insert(table.name.clone(), rows);
    }
    db.close().await;
    out
}

fn rows<R>(rows: Vec<R>) -> Vec<Vec<Option<String>>>
where
    R: sqlx::Row,
    for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    usize: sqlx::ColumnIndex<R>,
{
    rows.iter()
        .map(|row| (0..row.len()).map(|i| row.try_get(i).unwrap()).collect())
        .collect()
}

/// Open the target for writing, as erasure does.
pub(crate) async fn writable(target: &Target) -> Database {
    let url = DatabaseUrl::new(target.url());
    Database::connect_writable(target.kind(), &url, None)
        .await
        .unwrap()
}

fn key(parts: &[&str]) -> Vec<String> {
    parts.iter().map(|p| (*p).to_owned()).collect()
}

#[tokio::test]
async fn apply_masks_and_deletes_by_primary_key_and_a_rerun_writes_nothing() {
    for target in Target::all().await {
        let kind = format!("{:?}", target.kind());
        target.load_fides().await;
        let dataset = checked(&target.fides_dataset());
        let before = dump(&target).await;
        let mut db = writable(&target).await;
        let schema = db.schema().await.unwrap();
        let h = hasher();
        let card = dataset.collection("payment_card").unwrap();
        let visit = dataset.collection("visit").unwrap();
        let customer = dataset.collection("customer").unwrap();
        for round in 0..2 {
            db.begin_write().await.unwrap();
            let cards = apply(
                &mut db,
                card,
                &schema,
                &[
                    key(&["pay_aaa-aaa"]),
                    key(&["pay_zzz"]),
                    key(&["pay_aaa-aaa"]),
                ],
                &h,
            )
            .await
            .unwrap();
            let visits = apply(
                &mut db,
                visit,
                &schema,
                &[key(&["customer-1@example.com", "2021-01-06 01:00:00"])],
                &h,
            )
            .await
            .unwrap();
            let customers = apply(&mut db, customer, &schema, &[key(&["1"])], &h)
                .await
                .unwrap();
            db.commit().await.unwrap();
            assert_eq!(cards.missing, 1, "{kind}");
            if round == 0 {
                assert_eq!((cards.updated, cards.unchanged), (1, 0), "{kind}");
                let written: Vec<(&str, &str, u64)> = cards
                    .fields
                    .iter()
                    .map(|f| (f.field.as_str(), f.strategy, f.rows))
                    .collect();
                assert_eq!(
                    written,
                    [
                        ("name", "replace", 1),
                        ("ccn", "null", 1),
                        ("code", "null", 1)
                    ],
                    "{kind}"
                );
                assert_eq!((visits.deleted, visits.missing), (1, 0), "{kind}");
                assert_eq!(customers.updated, 1, "{kind}");
            } else {
                assert_eq!((cards.updated, cards.unchanged), (0, 1), "{kind}");
                assert_eq!((visits.deleted, visits.missing), (0, 1), "{kind}");
                assert_eq!((customers.updated, customers.unchanged), (0, 1), "{kind}");
            }
        }
        db.close().await;
        let after = dump(&target).await;
        let card_row = after["payment_card"]
            .iter()
            .find(|r| r[0].as_deref() == Some("pay_aaa-aaa"))
            .unwrap();
        assert_eq!(card_row[1].as_deref(), Some("erased card"), "{kind}");
        assert_eq!(
            (card_row[2].as_deref(), card_row[3].as_deref()),
            (None, None),
            "{kind}"
        );
        let customer_row = after["customer"]
            .iter()
            .find(|r| r[0].as_deref() == Some("1"))
            .unwrap();
        assert_eq!(
            customer_row[1].as_deref(),
            Some(h.hash("customer-1@example.com").as_str()),
            "{kind}"
        );
        assert_eq!(after["visit"].len(), before["visit"].len() - 1, "{kind}");
        for table in [
            "orders",
            "address",
            "login",
            "order_item",
            "service_request",
        ] {
            assert_eq!(after[table], before[table], "{kind}: {table}");
        }
        target.finish().await;
    }
}

fn email(address: &str) -> Identity {
    let today = jiff::civil::date(2026, 12, 6);
    Identity::parse(IdentityKind::Email, address, ParseContext::sweden(today)).unwrap()
}

/// One line per collection of the plan: rows, shared rows and why, fields, held fields.
fn summary(plan: &ErasurePlan) -> Vec<String> {
    plan.collections
        .iter()
        .map(|c| {
            let fields: Vec<String> = c
                .fields
                .iter()
                .map(|f| format!("{}:{}", f.field, f.strategy.word()))
                .collect();
            let held: Vec<String> = c
                .held
                .iter()
                .map(|h| format!("{}:{}", h.field, h.hold.as_str()))
                .collect();
            let through: Vec<&str> = c.shared_through.iter().map(String::as_str).collect();
            format!(
                "{} rows={} fields=[{}] shared={} [{}] held=[{}]",
                c.collection,
                c.rows,
                fields.join(" "),
                c.shared,
                through.join("; "),
                held.join(" ")
            )
        })
        .collect()
}

#[tokio::test]
async fn the_plan_for_customer_1_names_their_rows_the_shared_ones_and_what_the_hold_keeps() {
    for target in Target::all().await {
        let kind = format!("{:?}", target.kind());
        target.load_fides().await;
        let dataset = checked(&target.fides_dataset());
        let before = dump(&target).await;
        let mut db = writable(&target).await;
        let plan = plan(
            &mut db,
            &dataset,
            &[email("customer-1@example.com")],
            Some(&GLESYS),
            TODAY,
        )
        .await
        .unwrap();
        db.close().await;
        assert_eq!(
            summary(&plan),
            [
                "customer rows=1 fields=[email:keyed_hash] shared=0 [] held=[id:bookkeeping name:bookkeeping]",
                // Address 1 is also ord_bbb-bbb's shipping address (customer 2's order),
                // address 2 is customer 2's own address.
                "address rows=0 fields=[] shared=2 [address.id → customer.address_id; address.id → orders.shipping_address_id] held=[house:bookkeeping street:bookkeeping city:bookkeeping state:bookkeeping zip:bookkeeping]",
                "orders rows=0 fields=[] shared=0 [] held=[id:bookkeeping]",
                "order_item rows=0 fields=[] shared=0 [] held=[quantity:bookkeeping]",
                // pay_bbb-bbb is customer 2's card (and paid their order ord_bbb-bbb), reached
                // through customer 1's order ord_ddd-ddd.
                "payment_card rows=1 fields=[name:replace ccn:null code:null] shared=1 [payment_card.customer_id → customer.id; payment_card.id → orders.payment_card_id] held=[]",
                "login rows=6 fields=[time:delete_row] shared=0 [] held=[]",
                "visit rows=1 fields=[email:delete_row last_visit:delete_row] shared=0 [] held=[]",
                "service_request rows=1 fields=[email:null alt_email:null] shared=0 [] held=[]",
            ],
            "{kind}"
        );
        // The plan is a dry run, and names no value.
        assert_eq!(dump(&target).await, before, "{kind}");
        let json = serde_json::to_string(&plan).unwrap();
        for value in ["customer-1", "pay_", "ord_", "Example", "John"] {
            assert!(!json.contains(value), "{kind}: {value} in {json}");
        }
        target.finish().await;
    }
}

/// The primary key columns' positions in the dump of each table.
fn key_positions(schema: &skydd_connect::Schema) -> BTreeMap<String, Vec<usize>> {
    schema
        .tables
        .iter()
        .map(|t| {
            let at = t
                .primary_key
                .iter()
                .map(|k| t.columns.iter().position(|c| &c.name == k).unwrap())
                .collect();
            (t.name.clone(), at)
        })
        .collect()
}

/// The rows of `before` missing or changed in `after`, by primary key, per table.
fn touched(
    before: &Dump,
    after: &Dump,
    keys: &BTreeMap<String, Vec<usize>>,
) -> BTreeMap<String, BTreeSet<Vec<String>>> {
    let mut out = BTreeMap::new();
    for (table, rows) in before {
        for row in rows {
            if !after[table].contains(row) {
                let key = keys[table]
                    .iter()
                    .map(|&i| row[i].clone().unwrap_or_default())
                    .collect();
                out.entry(table.clone())
                    .or_insert_with(BTreeSet::new)
                    .insert(key);
            }
        }
    }
    out
}

fn receipt_keys(receipt: &ErasureReceipt) -> BTreeMap<String, BTreeSet<Vec<String>>> {
    receipt
        .collections
        .iter()
        .map(|c| (c.collection.clone(), c.keys.0.iter().cloned().collect()))
        .collect()
}

fn keys_of(items: &[&[&str]]) -> BTreeSet<Vec<String>> {
    items.iter().map(|k| key(k)).collect()
}

#[tokio::test]
async fn erasing_customer_1_touches_exactly_their_rows_verifies_and_a_rerun_changes_nothing() {
    for target in Target::all().await {
        let kind = format!("{:?}", target.kind());
        target.load_fides().await;
        let dataset = checked(&target.fides_dataset());
        let schema = target.schema().await;
        let before = dump(&target).await;
        let who = [email("customer-1@example.com")];
        let mut db = writable(&target).await;
        let receipt = execute(&mut db, &dataset, &who, &hasher(), None, TODAY)
            .await
            .unwrap();
        let after = dump(&target).await;

        let written: Vec<String> = receipt
            .collections
            .iter()
            .map(|c| {
                let fields: Vec<String> = c
                    .fields
                    .iter()
                    .map(|f| format!("{}:{}:{}", f.field, f.strategy, f.rows))
                    .collect();
                format!(
                    "{} deleted={} updated={} [{}]",
                    c.collection,
                    c.deleted,
                    c.updated,
                    fields.join(" ")
                )
            })
            .collect();
        assert_eq!(
            written,
            [
                "customer deleted=0 updated=1 [email:keyed_hash:1]",
                "payment_card deleted=0 updated=1 [name:replace:1 ccn:null:1 code:null:1]",
                "login deleted=6 updated=0 [time:delete_row:6]",
                "visit deleted=1 updated=0 [email:delete_row:1 last_visit:delete_row:1]",
                "service_request deleted=0 updated=1 [email:null:1 alt_email:null:1]",
            ],
            "{kind}"
        );
        let expected = BTreeMap::from([
            ("customer".to_owned(), keys_of(&[&["1"]])),
            ("payment_card".to_owned(), keys_of(&[&["pay_aaa-aaa"]])),
            (
                "login".to_owned(),
                keys_of(&[&["1"], &["2"], &["3"], &["4"], &["5"], &["6"]]),
            ),
            (
                "visit".to_owned(),
                keys_of(&[&["customer-1@example.com", "2021-01-06 01:00:00"]]),
            ),
            ("service_request".to_owned(), keys_of(&[&["ser_aaa-aaa"]])),
        ]);
        assert_eq!(receipt_keys(&receipt), expected, "{kind}");
        // Every other row, the other customers' and the shared ones (card pay_bbb-bbb,
        // addresses 1 and 2), is byte-for-byte what it was.
        assert_eq!(
            touched(&before, &after, &key_positions(&schema)),
            expected,
            "{kind}"
        );
        assert_eq!(after.len(), before.len(), "{kind}");

        let remaining = verify(&mut db, &dataset, &who, &receipt, None, TODAY)
            .await
            .unwrap();
        assert!(remaining.is_empty(), "{kind}: {remaining:?}");
        let again = execute(&mut db, &dataset, &who, &hasher(), None, TODAY)
            .await
            .unwrap();
        assert!(again.is_empty(), "{kind}: {again:?}");
        assert_eq!(dump(&target).await, after, "{kind}");
        db.close().await;
        // The receipt's Debug shows no key.
        let shown = format!("{receipt:?}");
        assert!(
            !shown.contains("pay_aaa") && !shown.contains("customer-1"),
            "{shown}"
        );
        target.finish().await;
    }
}

#[tokio::test]
async fn verify_names_what_an_erasure_left() {
    for target in Target::all().await {
        let kind = format!("{:?}", target.kind());
        target.load_fides().await;
        let dataset = checked(&target.fides_dataset());
        let who = [email("customer-1@example.com")];
        let mut db = writable(&target).await;
        let receipt = execute(&mut db, &dataset, &who, &hasher(), None, TODAY)
            .await
            .unwrap();
        // Someone writes the card's number back, and a new ticket arrives under the address.
        target
            .execute(
                "UPDATE payment_card SET ccn = 123456789 WHERE id = 'pay_aaa-aaa';
                 INSERT INTO service_request (id, email) VALUES ('ser_new', 'customer-1@example.com');",
            )
            .await;
        let remaining = verify(&mut db, &dataset, &who, &receipt, None, TODAY)
            .await
            .unwrap();
        db.close().await;
        let found: Vec<(String, u64, u64, Vec<String>)> = remaining
            .collections
            .iter()
            .map(|c| {
                (
                    c.collection.clone(),
                    c.reachable,
                    c.unerased,
                    c.fields.iter().cloned().collect(),
                )
            })
            .collect();
        assert_eq!(
            found,
            [
                ("payment_card".to_owned(), 0, 1, vec!["ccn".to_owned()]),
                ("service_request".to_owned(), 1, 0, vec!["email".to_owned()]),
            ],
            "{kind}"
        );
        let json = serde_json::to_string(&remaining).unwrap();
        assert!(
            !json.contains("customer-1") && !json.contains("123456789"),
            "{json}"
        );
        target.finish().await;
    }
}

#[tokio::test]
async fn a_failure_mid_erasure_leaves_every_table_unchanged_and_names_no_value() {
    for target in Target::all().await {
        let kind = format!("{:?}", target.kind());
        target.load_fides().await;
        // service_request is written last: everything before it must be rolled back.
        match target.kind() {
            // PostgreSQL's message quotes the failing row; it must not come through.
            DatabaseKind::Postgres | DatabaseKind::Mysql => {
                target
                    .execute(
                        "ALTER TABLE service_request ADD CONSTRAINT keep_email CHECK (email IS NOT NULL)",
                    )
                    .await
            }
            DatabaseKind::Sqlite => {
                target
                    .execute(
                        "CREATE TRIGGER keep_email BEFORE UPDATE ON service_request
                         BEGIN SELECT RAISE(ABORT, 'customer-1@example.com'); END;",
                    )
                    .await
            }
        }
        let dataset = checked(&target.fides_dataset());
        let before = dump(&target).await;
        let who = [email("customer-1@example.com")];
        let mut db = writable(&target).await;
        let error = execute(&mut db, &dataset, &who, &hasher(), None, TODAY)
            .await
            .unwrap_err()
            .to_string();
        assert!(error.contains("`service_request`"), "{kind}: {error}");
        assert!(error.contains("refused"), "{kind}: {error}");
        for value in ["customer-1", "ser_aaa", "example.com", "2021-01"] {
            assert!(!error.contains(value), "{kind}: {value} in {error}");
        }
        assert_eq!(dump(&target).await, before, "{kind}");
        // The connection is usable again after the rollback.
        let plan = plan(&mut db, &dataset, &who, None, TODAY).await.unwrap();
        assert_eq!(plan.collection("login").unwrap().rows, 6, "{kind}");
        db.close().await;
        target.finish().await;
    }
}

#[tokio::test]
async fn replaying_a_receipt_on_a_restored_backup_gives_the_erased_state_and_is_idempotent() {
    for target in Target::all().await {
        let kind = format!("{:?}", target.kind());
        target.load_fides().await;
        let dataset = checked(&target.fides_dataset());
        let who = [email("customer-1@example.com")];
        let mut db = writable(&target).await;
        let receipt = execute(&mut db, &dataset, &who, &hasher(), None, TODAY)
            .await
            .unwrap();
        db.close().await;
        let erased = dump(&target).await;
        // The receipt as the ledger stores it.
        let stored = serde_json::to_string(&receipt).unwrap();
        let receipt: ErasureReceipt = serde_json::from_str(&stored).unwrap();

        let restored = target.fresh().await;
        restored.load_fides().await;
        let mut db = writable(&restored).await;
        let replayed = replay(&mut db, &dataset, &receipt, &hasher())
            .await
            .unwrap();
        assert_eq!(dump(&restored).await, erased, "{kind}");
        let counts: Vec<(&str, u64, u64, u64)> = replayed
            .collections
            .iter()
            .map(|a| (a.collection.as_str(), a.deleted, a.updated, a.missing))
            .collect();
        assert_eq!(
            counts,
            [
                ("customer", 0, 1, 0),
                ("payment_card", 0, 1, 0),
                ("login", 6, 0, 0),
                ("visit", 1, 0, 0),
                ("service_request", 0, 1, 0),
            ],
            "{kind}"
        );
        // Again: nothing changes; deleted rows are counted missing.
        let again = replay(&mut db, &dataset, &receipt, &hasher())
            .await
            .unwrap();
        let counts: Vec<(&str, u64, u64, u64, u64)> = again
            .collections
            .iter()
            .map(|a| {
                (
                    a.collection.as_str(),
                    a.deleted,
                    a.updated,
                    a.unchanged,
                    a.missing,
                )
            })
            .collect();
        assert_eq!(
            counts,
            [
                ("customer", 0, 0, 1, 0),
                ("payment_card", 0, 0, 1, 0),
                ("login", 0, 0, 0, 6),
                ("visit", 0, 0, 0, 1),
                ("service_request", 0, 0, 1, 0),
            ],
            "{kind}"
        );
        assert_eq!(dump(&restored).await, erased, "{kind}");
        db.close().await;
        restored.finish().await;
        target.finish().await;
    }
}

#[tokio::test]
async fn replaying_many_receipts_in_one_transaction_gives_the_erased_state_and_a_dry_run_writes_nothing()
 {
    for target in Target::all().await {
        let kind = format!("{:?}", target.kind());
        target.load_fides().await;
        let dataset = checked(&target.fides_dataset());
        let mut db = writable(&target).await;
        let mut receipts = Vec::new();
        for who in ["customer-1@example.com", "customer-2@example.com"] {
            receipts.push(
                execute(&mut db, &dataset, &[email(who)], &hasher(), None, TODAY)
                    .await
                    .unwrap(),
            );
        }
        db.close().await;
        let erased = dump(&target).await;

        let restored = target.fresh().await;
        restored.load_fides().await;
        let pristine = dump(&restored).await;
        let mut db = writable(&restored).await;
        // The receipts in the opposite order: the writes still go children first.
        receipts.reverse();
        let dry = replay_all(&mut db, &dataset, &receipts, &hasher(), true)
            .await
            .unwrap();
        assert_eq!(
            dump(&restored).await,
            pristine,
            "{kind}: a dry run writes nothing"
        );
        let replayed = replay_all(&mut db, &dataset, &receipts, &hasher(), false)
            .await
            .unwrap();
        assert_eq!(dry, replayed, "{kind}");
        assert_eq!(dump(&restored).await, erased, "{kind}");
        let again = replay_all(&mut db, &dataset, &receipts, &hasher(), false)
            .await
            .unwrap();
        assert!(
            again.collections.iter().all(|a| a.deleted + a.updated == 0),
            "{kind}: {again:?}"
        );
        db.close().await;
        restored.finish().await;
        target.finish().await;
    }
}

#[tokio::test]
async fn the_receipt_is_handed_over_before_the_commit_and_a_refusal_rolls_everything_back() {
    for target in Target::all().await {
        let kind = format!("{:?}", target.kind());
        target.load_fides().await;
        let dataset = checked(&target.fides_dataset());
        let who = [email("customer-1@example.com")];
        let before = dump(&target).await;
        let mut db = writable(&target).await;
        let refused =
            execute_recorded(&mut db, &dataset, &who, &hasher(), None, TODAY, |_| async {
                Err("the ledger is unavailable".to_owned())
            })
            .await;
        let error = refused.unwrap_err().to_string();
        assert!(error.contains("recording the receipt"), "{kind}: {error}");
        assert!(!error.contains("customer-1"), "{kind}: {error}");
        assert_eq!(dump(&target).await, before, "{kind}: rolled back");

        let handed = std::sync::Mutex::new(None);
        let receipt = execute_recorded(&mut db, &dataset, &who, &hasher(), None, TODAY, |r| {
            *handed.lock().unwrap() = Some(r);
            async { Ok(()) }
        })
        .await
        .unwrap();
        assert_eq!(handed.lock().unwrap().as_ref(), Some(&receipt), "{kind}");
        assert!(receipt.collection("customer").is_some(), "{kind}");
        assert_ne!(dump(&target).await, before, "{kind}: committed");
        db.close().await;
        target.finish().await;
    }
}

/// Two tables joined by a foreign key the database enforces, the parent first in the file.
const ACCOUNTS: &str = "CREATE TABLE account (id INT PRIMARY KEY, email VARCHAR(100) NOT NULL);
CREATE TABLE session (
    id INT PRIMARY KEY,
    account_id INT NOT NULL,
    started VARCHAR(30) NOT NULL,
    FOREIGN KEY (account_id) REFERENCES account (id)
);
INSERT INTO account VALUES (1, 'a@example.com'), (2, 'b@example.com');
INSERT INTO session VALUES (1, 1, 'monday'), (2, 1, 'tuesday'), (3, 2, 'monday');";

fn accounts_dataset(kind: DatabaseKind) -> String {
    format!(
        "skydd_dataset: 1
name: accounts
kind: {}
connection: {{env: ACCOUNTS_URL}}
collections:
  - name: account
    primary_key: id
    fields:
      - {{name: id, category: customer_identity, erase: delete_row, outside_hold: a login is no accounting record}}
      - {{name: email, category: customer_identity, identity: email, erase: delete_row, outside_hold: a login is no accounting record}}
  - name: session
    primary_key: id
    fields:
      - {{name: id}}
      - name: account_id
        references:
          - {{field: account.id, direction: from}}
      - {{name: started, category: product_usage, erase: delete_row}}
",
        kind.word()
    )
}

#[tokio::test]
async fn rows_are_deleted_children_first_where_the_database_enforces_foreign_keys() {
    for target in Target::all().await {
        let kind = format!("{:?}", target.kind());
        target.execute(ACCOUNTS).await;
        let dataset = checked(&accounts_dataset(target.kind()));
        let who = [email("a@example.com")];
        let mut db = writable(&target).await;
        let receipt = execute(&mut db, &dataset, &who, &hasher(), None, TODAY)
            .await
            .unwrap();
        let order: Vec<(&str, u64)> = receipt
            .collections
            .iter()
            .map(|c| (c.collection.as_str(), c.deleted))
            .collect();
        assert_eq!(order, [("session", 2), ("account", 1)], "{kind}");
        assert!(
            verify(&mut db, &dataset, &who, &receipt, None, TODAY)
                .await
                .unwrap()
                .is_empty(),
            "{kind}"
        );
        db.close().await;
        let after = dump(&target).await;
        let ids = |table: &str| -> Vec<Option<String>> {
            after[table].iter().map(|r| r[0].clone()).collect()
        };
        assert_eq!(ids("account"), [Some("2".to_owned())], "{kind}");
        assert_eq!(ids("session"), [Some("3".to_owned())], "{kind}");
        target.finish().await;
    }
}

/// Support notes in free text beside the example: filed under customer 2 but mentioning
/// customer 1 by e-mail (1) and by a 10-digit personnummer (4), about nobody (2), customer 1's
/// own (3), and an invoice comment under the bookkeeping hold that mentions customer 1 (1).
const NOTES: &str =
    "CREATE TABLE support_note (id INTEGER PRIMARY KEY, author_id INTEGER, body TEXT);
INSERT INTO support_note VALUES
  (1, 2, 'Jane asks us to copy customer-1@example.com and jane@example.org.'),
  (2, 2, 'Nothing about anyone else here.'),
  (3, 1, 'My own note, from customer-1@example.com'),
  (4, 2, 'Caller gave pnr 121212-1212 and asked for a refund.');
CREATE TABLE invoice_comment (id INTEGER PRIMARY KEY, body TEXT);
INSERT INTO invoice_comment VALUES (1, 'Credit note for customer-1@example.com');";

/// The `support_note` collection: notes filed under a customer (`author_id`), their `body`
/// free text, erased with `null` in the customer's own notes.
pub(crate) const SUPPORT_NOTE: &str = "
  - name: support_note
    schema: public
    primary_key: id
    fields:
      - name: id
      - name: author_id
        references:
          - {field: customer.id, direction: from}
      - {name: body, category: support_ticket, free_text: true, erase: null}
";

/// The example dataset with the collections `extra` declared too, for `target`'s database.
pub(crate) fn fides_with(target: &Target, extra: &str) -> skydd_dataset::Dataset {
    let source = target.fides_dataset() + extra;
    let source = if target.kind() == DatabaseKind::Postgres {
        source
    } else {
        source.replace("    schema: public\n", "")
    };
    checked(&source)
}

/// The example dataset with [`NOTES`] declared: [`SUPPORT_NOTE`], and `invoice_comment.body`
/// free text under the bookkeeping hold.
fn with_notes(target: &Target) -> skydd_dataset::Dataset {
    let invoice_comment = "
  - name: invoice_comment
    schema: public
    primary_key: id
    fields:
      - name: id
      - {name: body, category: invoice_data, free_text: true, erase: keep}
";
    fides_with(target, &format!("{SUPPORT_NOTE}{invoice_comment}"))
}

#[tokio::test]
async fn a_ticket_filed_under_someone_else_that_mentions_the_person_is_redacted_checked_and_replayed()
 {
    // Issue 21: "a ticket that mentions someone by personnummer, phone or e-mail is ... redacted
    // by their erasure". The plan says what would be redacted and what a hold keeps; the
    // execution replaces each mention by its kind in the same transaction as the strategies,
    // leaving everyone else's data; the re-read finds nothing left and notices a new mention;
    // a replay onto a restored backup redacts the same passages from the receipt alone.
    for target in Target::all().await {
        let kind = format!("{:?}", target.kind());
        target.load_fides().await;
        target.execute(NOTES).await;
        let dataset = with_notes(&target);
        let pnr = Identity::parse(
            IdentityKind::Personnummer,
            "19121212-1212",
            ParseContext::sweden(TODAY),
        )
        .unwrap();
        let who = [email("customer-1@example.com"), pnr];
        let mut db = writable(&target).await;

        let planned = plan(&mut db, &dataset, &who, Some(&GLESYS), TODAY)
            .await
            .unwrap();
        let notes = planned
            .redactions
            .iter()
            .find(|r| r.collection == "support_note")
            .unwrap_or_else(|| panic!("{kind}: {planned:?}"));
        // Note 3 is the customer's own: its body is nulled by the strategy, not redacted.
        assert_eq!((notes.rows, notes.passages), (2, 2), "{kind}");
        assert_eq!(notes.fields, BTreeSet::from(["body".to_owned()]), "{kind}");
        let invoice = planned
            .redactions
            .iter()
            .find(|r| r.collection == "invoice_comment")
            .unwrap_or_else(|| panic!("{kind}: {planned:?}"));
        assert_eq!(invoice.rows, 0, "{kind}");
        assert_eq!(invoice.held[0].hold.as_str(), "bookkeeping", "{kind}");

        let receipt = execute(&mut db, &dataset, &who, &hasher(), Some(&GLESYS), TODAY)
            .await
            .unwrap();
        let redacted = &receipt.redacted;
        assert_eq!(redacted.len(), 1, "{kind}: {redacted:?}");
        assert_eq!(
            (
                redacted[0].collection.as_str(),
                redacted[0].rows,
                redacted[0].passages
            ),
            ("support_note", 2, 2),
            "{kind}"
        );
        let kept = receipt
            .mentions
            .as_ref()
            .expect("the receipt keeps the keys");
        assert_eq!(kept.keys.len(), 2, "{kind}");
        let stored = serde_json::to_string(&receipt).unwrap();
        let hashes = serde_json::to_string(kept).unwrap();
        assert!(
            !hashes.contains("customer-1") && !hashes.contains("121212"),
            "{kind}: the receipt keeps hashes, not identities: {hashes}"
        );
        let erased = dump(&target).await;
        let bodies: Vec<Option<&str>> = erased["support_note"]
            .iter()
            .map(|row| row[2].as_deref())
            .collect();
        assert_eq!(
            bodies,
            [
                Some("Jane asks us to copy [email] and jane@example.org."),
                Some("Nothing about anyone else here."),
                None,
                Some("Caller gave pnr [personnummer] and asked for a refund."),
            ],
            "{kind}"
        );
        assert_eq!(
            erased["invoice_comment"][0][1].as_deref(),
            Some("Credit note for customer-1@example.com"),
            "{kind}: the hold keeps the text"
        );
        let remaining = verify(&mut db, &dataset, &who, &receipt, Some(&GLESYS), TODAY)
            .await
            .unwrap();
        assert!(remaining.is_empty(), "{kind}: {remaining:?}");
        let again = execute(&mut db, &dataset, &who, &hasher(), Some(&GLESYS), TODAY)
            .await
            .unwrap();
        assert!(again.is_empty(), "{kind}: {again:?}");
        db.close().await;

        // A mention written after the erasure is what the re-read reports, by count.
        target
            .execute(
                "INSERT INTO support_note VALUES (5, 2, 'Forwarded from customer-1@example.com')",
            )
            .await;
        let mut db = writable(&target).await;
        let remaining = verify(&mut db, &dataset, &who, &receipt, Some(&GLESYS), TODAY)
            .await
            .unwrap();
        db.close().await;
        let left = &remaining.collections[0];
        assert_eq!(
            (left.collection.as_str(), left.mentioned, left.reachable),
            ("support_note", 1, 0),
            "{kind}: {remaining:?}"
        );
        let reason = format!("{remaining:?}");
        assert!(!reason.contains("customer-1"), "{kind}: {reason}");

        // The backup restored: the receipt alone redacts the same passages again.
        let stored: ErasureReceipt = serde_json::from_str(&stored).unwrap();
        let restored = target.fresh().await;
        restored.load_fides().await;
        restored.execute(NOTES).await;
        let mut db = writable(&restored).await;
        let replayed = replay(&mut db, &dataset, &stored, &hasher()).await.unwrap();
        assert_eq!(
            replayed
                .redacted
                .iter()
                .map(|r| (r.collection.as_str(), r.rows, r.passages, r.missing))
                .collect::<Vec<_>>(),
            [("support_note", 2, 2, 0)],
            "{kind}"
        );
        assert_eq!(dump(&restored).await, erased, "{kind}");
        let again = replay(&mut db, &dataset, &stored, &hasher()).await.unwrap();
        assert_eq!(
            again.redacted[0].rows, 0,
            "{kind}: a second replay writes nothing"
        );
        db.close().await;
        restored.finish().await;
        target.finish().await;
    }
}
