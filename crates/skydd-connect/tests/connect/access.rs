//! Access through the graph on ethyca/fides' example database: what `customer-1@example.com`
//! reaches, and nothing of another customer; cycles end; unknown identities find nothing; the
//! transaction cannot write.

use std::collections::BTreeSet;

use skydd_connect::access::{AccessFindings, collect};
use skydd_connect::{ConnectError, Database, DatabaseUrl};
use skydd_dataset::Dataset;
use skydd_subject::{Identity, IdentityKind, ParseContext};

use crate::{Target, checked};

pub(crate) fn email(address: &str) -> Identity {
    let today = jiff::civil::date(2026, 12, 6);
    Identity::parse(IdentityKind::Email, address, ParseContext::sweden(today)).unwrap()
}

pub(crate) async fn access(
    target: &Target,
    dataset: &Dataset,
    address: &str,
) -> Result<AccessFindings, ConnectError> {
    let url = DatabaseUrl::new(target.url());
    let mut db = Database::connect(target.kind(), &url, None).await.unwrap();
    let found = collect(&mut db, dataset, &[email(address)]).await;
    db.close().await;
    found
}

/// The primary keys of the rows `collection` returned, each key's values joined by `/`.
pub(crate) fn keys(found: &AccessFindings, collection: &str) -> BTreeSet<String> {
    found
        .collection(collection)
        .map(|c| {
            c.rows
                .iter()
                .map(|row| {
                    row.key
                        .iter()
                        .map(|(_, v)| v.expose().unwrap_or("NULL"))
                        .collect::<Vec<_>>()
                        .join("/")
                })
                .collect()
        })
        .unwrap_or_default()
}

pub(crate) fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

#[tokio::test]
async fn customer_1_reaches_exactly_their_rows_and_none_of_another_customer() {
    for target in Target::all().await {
        let kind = format!("{:?}", target.kind());
        target.load_fides().await;
        let dataset = checked(&target.fides_dataset());
        let found = access(&target, &dataset, "  Customer-1@Example.com ")
            .await
            .unwrap();

        // By e-mail: customer 1, their visit and their ticket.
        assert_eq!(keys(&found, "customer"), set(&["1"]), "{kind}");
        let visits = keys(&found, "visit");
        assert_eq!(visits.len(), 1, "{kind}: {visits:?}");
        assert!(
            visits
                .iter()
                .all(|k| k.starts_with("customer-1@example.com/2021-01-06 01:00:00")),
            "{kind}: {visits:?}"
        );
        assert_eq!(
            keys(&found, "service_request"),
            set(&["ser_aaa-aaa"]),
            "{kind}"
        );
        // By customer.id = 1: their orders, logins and cards (`from` references).
        assert_eq!(
            keys(&found, "orders"),
            set(&["ord_aaa-aaa", "ord_ccc-ccc", "ord_ddd-ddd"]),
            "{kind}"
        );
        assert_eq!(
            keys(&found, "login"),
            set(&["1", "2", "3", "4", "5", "6"]),
            "{kind}"
        );
        // pay_aaa-aaa is customer 1's card; pay_bbb-bbb belongs to customer 2 in the sample
        // but paid customer 1's order ord_ddd-ddd, which names it (`to` reference), so the
        // dataset reaches it (as Fides' own dataset does). Its `customer_id` (2) is not
        // followed back: that reference is `from` customer.
        assert_eq!(
            keys(&found, "payment_card"),
            set(&["pay_aaa-aaa", "pay_bbb-bbb"]),
            "{kind}"
        );
        // The order items of those orders.
        assert_eq!(
            keys(&found, "order_item"),
            set(&[
                "ord_aaa-aaa/1",
                "ord_ccc-ccc/1",
                "ord_ccc-ccc/2",
                "ord_ddd-ddd/1"
            ]),
            "{kind}"
        );
        // Address 1 (the customer's, ord_ccc's and ord_ddd's shipping, both cards' billing)
        // and address 2 (ord_aaa-aaa's shipping).
        assert_eq!(keys(&found, "address"), set(&["1", "2"]), "{kind}");
        // No report names customer 1; employees and loyalty members are unreachable.
        for none in ["report", "employee", "loyalty"] {
            assert!(found.collection(none).is_none(), "{kind}: {none}");
        }
        let names: Vec<&str> = found
            .collections
            .iter()
            .map(|c| c.collection.as_str())
            .collect();
        assert_eq!(
            names,
            [
                "customer",
                "address",
                "orders",
                "order_item",
                "payment_card",
                "login",
                "visit",
                "service_request"
            ],
            "{kind}"
        );

        // Labelled by system, table and category; only declared fields with a category.
        assert_eq!(found.system, "fides_example");
        let customer = &found.collection("customer").unwrap().rows[0];
        let fields: Vec<(&str, &str, Option<&str>)> = customer
            .fields
            .iter()
            .map(|f| (f.name.as_str(), f.category.as_str(), f.value.expose()))
            .collect();
        assert_eq!(
            fields,
            [
                ("id", "customer_identity", Some("1")),
                ("email", "customer_identity", Some("customer-1@example.com")),
                ("name", "customer_identity", Some("John Customer")),
            ],
            "{kind}"
        );
        // The alternative address on the ticket carried the search further (and found no
        // more): it is an identity found on the way.
        let tickets = found.collection("service_request").unwrap();
        assert!(
            tickets
                .reached_by
                .contains("identity email → service_request.email"),
            "{kind}: {:?}",
            tickets.reached_by
        );
        assert!(
            found
                .collection("orders")
                .unwrap()
                .reached_by
                .iter()
                .any(|step| step.ends_with("customer.id → orders.customer_id")),
            "{kind}: {:?}",
            found.collection("orders").unwrap().reached_by
        );

        // Nothing of customer 2 in any value (the shared card's own fields hold no e-mail).
        let debug = format!("{found:?}");
        for secret in [
            "customer-1@example.com",
            "John Customer",
            "123456789",
            "Example",
        ] {
            assert!(!debug.contains(secret), "{kind}: Debug shows {secret}");
        }
        assert!(debug.contains("<redacted>"), "{kind}");
        for c in &found.collections {
            for row in &c.rows {
                for field in &row.fields {
                    let value = field.value.expose().unwrap_or_default();
                    assert!(
                        !value.contains("customer-2") && value != "Jill Customer",
                        "{kind}: {}.{} holds customer 2's data",
                        c.collection,
                        field.name
                    );
                }
            }
        }
        target.finish().await;
    }
}

#[tokio::test]
async fn an_unknown_identity_finds_nothing() {
    for target in Target::all().await {
        let kind = format!("{:?}", target.kind());
        target.load_fides().await;
        let dataset = checked(&target.fides_dataset());
        let found = access(&target, &dataset, "nobody@example.com")
            .await
            .unwrap();
        assert!(found.collections.is_empty(), "{kind}: {found:?}");
        target.finish().await;
    }
}

#[tokio::test]
async fn a_cycle_in_the_references_ends() {
    for target in Target::all().await {
        let kind = format!("{:?}", target.kind());
        target.load_fides().await;
        // address.id now also leads back to customers living there: customer → address →
        // customer is a cycle, and through ord_aaa-aaa's shipping address 2 it reaches
        // customer 2, whose address is 2.
        let source = target.fides_dataset().replace(
            "  - name: address\n    schema: public\n    primary_key: id\n    fields:\n      - name: id\n",
            "  - name: address\n    schema: public\n    primary_key: id\n    fields:\n      - name: id\n        references:\n          - {field: customer.address_id, direction: to}\n",
        );
        let source = if source.contains("{field: customer.address_id, direction: to}") {
            source
        } else {
            target.fides_dataset().replace(
                "  - name: address\n    primary_key: id\n    fields:\n      - name: id\n",
                "  - name: address\n    primary_key: id\n    fields:\n      - name: id\n        references:\n          - {field: customer.address_id, direction: to}\n",
            )
        };
        assert!(source.contains("{field: customer.address_id, direction: to}"));
        let dataset = checked(&source);
        let found = access(&target, &dataset, "customer-1@example.com")
            .await
            .unwrap();
        assert_eq!(keys(&found, "customer"), set(&["1", "2"]), "{kind}");
        assert_eq!(keys(&found, "address"), set(&["1", "2"]), "{kind}");
        assert!(keys(&found, "login").contains("7"), "{kind}");
        target.finish().await;
    }
}

#[tokio::test]
async fn the_transaction_cannot_write() {
    // SQLite is opened read-only (tested with the connection); here the servers, where only
    // the transaction keeps a read from writing.
    let mut targets = Vec::new();
    targets.extend(Target::postgres().await);
    targets.extend(Target::mysql().await);
    for target in targets {
        let kind = format!("{:?}", target.kind());
        target.load_fides().await;
        // `report` becomes a view whose rows are computed by a function that writes.
        let sql = match target {
            Target::Postgres { .. } => {
                "CREATE TABLE written (x int);
                 CREATE FUNCTION write_one() RETURNS int LANGUAGE sql VOLATILE
                   AS $$ INSERT INTO written VALUES (1) RETURNING 0 $$;
                 ALTER TABLE public.report RENAME TO report_data;
                 CREATE VIEW public.report AS
                   SELECT id, email, name, year, month, total_visits + write_one() AS total_visits
                   FROM public.report_data;"
            }
            _ => {
                "CREATE TABLE written (x int);
                 CREATE FUNCTION write_one() RETURNS int MODIFIES SQL DATA
                   BEGIN INSERT INTO written VALUES (1); RETURN 0; END;
                 ALTER TABLE report RENAME TO report_data;
                 CREATE VIEW report AS
                   SELECT id, email, name, year, month, total_visits + write_one() AS total_visits
                   FROM report_data;"
            }
        };
        target.execute(sql).await;
        let dataset = checked(&target.fides_dataset());
        let error = access(&target, &dataset, "admin-account@example.com")
            .await
            .unwrap_err();
        let message = error.to_string();
        assert!(
            matches!(error, ConnectError::Access { .. }),
            "{kind}: {error:?}"
        );
        // 25006: read_only_sql_transaction (PostgreSQL), ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION
        // (MySQL and MariaDB).
        assert!(message.contains("reading `report`"), "{kind}: {message}");
        assert!(message.contains("SQLSTATE 25006"), "{kind}: {message}");
        assert!(!message.contains("admin-account"), "{kind}: {message}");
        target.finish().await;
    }
}

#[tokio::test]
async fn a_customer_number_matches_an_integer_key_only_in_canonical_form() {
    for target in Target::all().await {
        let kind = format!("{:?}", target.kind());
        target.load_fides().await;
        let dataset = checked(&target.fides_dataset());
        let url = DatabaseUrl::new(target.url());
        let mut db = Database::connect(target.kind(), &url, None).await.unwrap();
        let number = |raw: &str| {
            let today = jiff::civil::date(2026, 12, 6);
            Identity::parse(
                IdentityKind::CustomerNumber,
                raw,
                ParseContext::sweden(today),
            )
            .unwrap()
        };
        // MySQL compares '1abc' and '01' with an integer column as 1; PostgreSQL refuses to
        // cast them. Neither is customer 1's number.
        let odd = [number("1abc"), number("01"), number("+1"), number("1.0")];
        let found = collect(&mut db, &dataset, &odd).await.unwrap();
        assert!(found.collections.is_empty(), "{kind}: {found:?}");
        let found = collect(&mut db, &dataset, &[number(" 1 ")]).await.unwrap();
        assert_eq!(keys(&found, "customer"), set(&["1"]), "{kind}");
        assert_eq!(
            keys(&found, "orders"),
            set(&["ord_aaa-aaa", "ord_ccc-ccc", "ord_ddd-ddd"]),
            "{kind}"
        );
        // The customer's e-mail address, found on the way, reached the visit.
        assert_eq!(keys(&found, "visit").len(), 1, "{kind}");
        db.close().await;
        target.finish().await;
    }
}

#[tokio::test]
async fn a_reach_only_collection_leads_on_but_returns_nothing() {
    for target in Target::all().await {
        let kind = format!("{:?}", target.kind());
        target.load_fides().await;
        let source = target.fides_dataset().replace(
            "  - name: orders\n",
            "  - name: orders\n    reach_only: true\n",
        );
        // A reach-only collection holds no category: `orders.id` loses its own.
        let source = source.replacen(
            "      - name: id\n        category: invoice_data\n        erase: keep\n",
            "      - name: id\n",
            1,
        );
        let dataset = checked(&source);
        let found = access(&target, &dataset, "customer-1@example.com")
            .await
            .unwrap();
        assert!(found.collection("orders").is_none(), "{kind}");
        assert_eq!(keys(&found, "order_item").len(), 4, "{kind}");
        assert_eq!(
            keys(&found, "payment_card"),
            set(&["pay_aaa-aaa", "pay_bbb-bbb"]),
            "{kind}"
        );
        target.finish().await;
    }
}

#[tokio::test]
async fn a_note_filed_under_someone_else_that_mentions_the_person_is_found_with_others_masked() {
    // Issue 21: "a ticket that mentions the person's personnummer is found even if it is filed
    // under another customer". The free-text column is scanned; the row comes back with only
    // that column, everyone else's data in it masked, and nothing of notes that do not mention
    // the person. Plain `collect` (intake, rectification) does not read free text.
    for target in Target::all().await {
        let kind = format!("{:?}", target.kind());
        target.load_fides().await;
        target
            .execute(
                "CREATE TABLE support_note (id INTEGER PRIMARY KEY, author_id INTEGER, body TEXT);
                 INSERT INTO support_note VALUES
                   (1, 2, 'Jane asks us to copy customer-1@example.com and jane@example.org.'),
                   (2, 2, 'Nothing about anyone else here.'),
                   (3, 1, NULL);",
            )
            .await;
        let dataset = crate::erase::fides_with(&target, crate::erase::SUPPORT_NOTE);
        let url = DatabaseUrl::new(target.url());
        let mut db = Database::connect(target.kind(), &url, None).await.unwrap();
        let found = skydd_connect::access::collect_with_mentions(
            &mut db,
            &dataset,
            &[email("customer-1@example.com")],
            jiff::civil::date(2026, 12, 6),
        )
        .await
        .unwrap();
        let plain = collect(&mut db, &dataset, &[email("customer-1@example.com")])
            .await
            .unwrap();
        db.close().await;
        let notes = found.collection("support_note").unwrap_or_else(|| {
            panic!("{kind}: no note found: {found:?}");
        });
        // Note 3 is customer 1's own (author_id); note 1 only mentions them.
        assert_eq!(keys(&found, "support_note"), set(&["1", "3"]), "{kind}");
        assert!(
            notes.reached_by.contains("mentioned in support_note.body"),
            "{kind}: {:?}",
            notes.reached_by
        );
        let row = notes
            .rows
            .iter()
            .find(|r| r.key_value("id") == Some("1"))
            .unwrap();
        assert_eq!(row.fields.len(), 1, "{kind}: only the free text");
        assert_eq!(
            row.fields[0].value.expose(),
            Some("Jane asks us to copy customer-1@example.com and [redacted]."),
            "{kind}"
        );
        // The customer's own rows are still found as before.
        assert!(found.collection("customer").is_some(), "{kind}");
        assert_eq!(keys(&plain, "support_note"), set(&["3"]), "{kind}");
        target.finish().await;
    }
}
