//! Erasure through the graph on ethyca/fides' example database, on PostgreSQL, MariaDB and
//! SQLite: the primitive ([`skydd_connect::apply`]) first, then plan, execute, verify and
//! replay for `customer-1@example.com`.

use std::collections::BTreeMap;

use skydd_connect::apply::{KeyedHasher, apply};
use skydd_connect::{Database, DatabaseUrl};

use crate::{Target, checked};

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
                &[key(&["pay_aaa-aaa"]), key(&["pay_zzz"])],
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
