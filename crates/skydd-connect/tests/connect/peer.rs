//! The peer test (issue 16, section 5): ethyca/fides' own datasets of its example database,
//! imported with `import-fides` and the example map, checked against the GleSYS register and the
//! live schema, and used on PostgreSQL, MariaDB and SQLite: access returns customer 1's rows,
//! named one by one, and nothing of another customer; erasure runs in one transaction, touches
//! nothing of another customer or shared, and the re-read finds nothing left.

use std::collections::BTreeSet;

use skydd_connect::access::AccessFindings;
use skydd_connect::erase::{execute, plan, verify};
use skydd_connect::live::check_live;
use skydd_dataset::fides::{Input, PrimaryKeys, import_with_keys};
use skydd_dataset::{Dataset, Erasure};

use crate::access::{email, keys, set};
use crate::erase::{TODAY, dump, hasher, writable};
use crate::{GLESYS, Target, checked};

/// Fides' three dataset files of its example database (copied unchanged beside the importer's
/// tests; see crates/skydd-dataset/tests/fixtures/fides/README.md).
const FIDES_DATASETS: [(&str, &str); 3] = [
    (
        "data_dataset_postgres_example_test_dataset.yml",
        include_str!(
            "../../../skydd-dataset/tests/fixtures/fides/data_dataset_postgres_example_test_dataset.yml"
        ),
    ),
    (
        "data_dataset_postgres_example_test_extended_dataset.yml",
        include_str!(
            "../../../skydd-dataset/tests/fixtures/fides/data_dataset_postgres_example_test_extended_dataset.yml"
        ),
    ),
    (
        "data_dataset_postgres_example_custom_request_field_dataset.yml",
        include_str!(
            "../../../skydd-dataset/tests/fixtures/fides/data_dataset_postgres_example_custom_request_field_dataset.yml"
        ),
    ),
];
/// The fideslang → GleSYS category map.
const FIDES_MAP: &str = include_str!("../../../../examples/datasets/fides-map.yaml");

/// Fides' datasets imported for `target`, with the primary keys of its live schema; returns the
/// draft (asserted free of errors, and checked against the register).
pub(crate) async fn imported(target: &Target) -> (String, Dataset) {
    let schema = target.schema().await;
    let keys: PrimaryKeys = schema
        .tables
        .iter()
        .filter(|t| t.schema == schema.default_schema)
        .map(|t| (t.name.clone(), t.primary_key.clone()))
        .collect();
    let inputs: Vec<Input<'_>> = FIDES_DATASETS
        .iter()
        .map(|(name, text)| Input { name, text })
        .collect();
    let map = Input {
        name: "fides-map.yaml",
        text: FIDES_MAP,
    };
    let out = import_with_keys(&inputs, map, Some(&GLESYS), target.kind(), &keys);
    let errors: Vec<_> = out
        .findings
        .iter()
        .filter(|f| f.diagnostic.is_error())
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let draft = out.draft.expect("a draft");
    let dataset = checked(&draft);
    (draft, dataset)
}

/// What `address` reaches (the access suite's reader, which returns the error as well).
async fn access(target: &Target, dataset: &Dataset, address: &str) -> AccessFindings {
    crate::access::access(target, dataset, address)
        .await
        .unwrap()
}

#[tokio::test]
async fn fides_own_datasets_imported_reach_exactly_customer_1s_rows() {
    for target in Target::all().await {
        let kind = format!("{:?}", target.kind());
        target.load_fides().await;
        let (draft, dataset) = imported(&target).await;

        // The database's keys replaced the importer's guesses: `order_item` is found by
        // (order_id, item_no), a column Fides' dataset does not declare.
        let order_item = dataset.collection("order_item").unwrap();
        assert_eq!(order_item.primary_key, ["order_id", "item_no"], "{kind}");
        assert!(
            !draft.contains("guess: Fides declares no primary key"),
            "{kind}"
        );
        // What the bookkeeping hold keeps is kept, and was reported.
        let erase = |c: &str, f: &str| {
            dataset
                .collection(c)
                .unwrap()
                .field(f)
                .unwrap()
                .erase
                .clone()
        };
        assert_eq!(erase("customer", "email"), Erasure::Keep, "{kind}");
        assert_eq!(erase("address", "street"), Erasure::Keep, "{kind}");
        assert_eq!(erase("payment_card", "ccn"), Erasure::Null, "{kind}");

        // The draft fits the live schema: no error.
        let live = check_live(&draft, &dataset, &target.schema().await);
        let errors: Vec<_> = live.iter().filter(|d| d.is_error()).collect();
        assert!(errors.is_empty(), "{kind}: {errors:#?}\n{draft}");

        let found = access(&target, &dataset, "customer-1@example.com").await;
        let names: Vec<&str> = found
            .collections
            .iter()
            .map(|c| c.collection.as_str())
            .collect();
        assert_eq!(
            names,
            [
                "address",
                "customer",
                "login",
                "orders",
                "order_item",
                "payment_card",
                "product",
                "service_request",
                "visit"
            ],
            "{kind}"
        );
        // By e-mail: customer 1, their visit and their ticket.
        assert_eq!(keys(&found, "customer"), set(&["1"]), "{kind}");
        assert_eq!(
            keys(&found, "visit"),
            set(&["customer-1@example.com/2021-01-06 01:00:00"]),
            "{kind}"
        );
        assert_eq!(
            keys(&found, "service_request"),
            set(&["ser_aaa-aaa"]),
            "{kind}"
        );
        // By customer.id = 1 (`from` references): orders, logins, their own card. Fides'
        // dataset does not declare `orders.payment_card_id`, so customer 2's card that paid
        // ord_ddd-ddd (which the hand-written dataset reaches) is not reached here.
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
        assert_eq!(
            keys(&found, "payment_card"),
            set(&["pay_aaa-aaa"]),
            "{kind}"
        );
        // The items of those orders, by the database's key, and the products they name (shared
        // rows: no personal data, so only their keys).
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
        assert_eq!(keys(&found, "product"), set(&["1", "2"]), "{kind}");
        let product = found.collection("product").unwrap();
        assert!(product.rows.iter().all(|r| r.fields.is_empty()), "{kind}");
        // Address 1 (customer's, ord_ccc/ord_ddd shipping, card billing), 2 (ord_aaa shipping).
        assert_eq!(keys(&found, "address"), set(&["1", "2"]), "{kind}");
        // Employees, reports, loyalty members and the e-mail config are not reached.
        for none in [
            "employee",
            "report",
            "loyalty",
            "dynamic_email_address_config",
        ] {
            assert!(found.collection(none).is_none(), "{kind}: {none}");
        }
        // Customer 1's values are there, labelled; nothing of another customer is.
        let customer = &found.collection("customer").unwrap().rows[0];
        let fields: Vec<(&str, &str, Option<&str>)> = customer
            .fields
            .iter()
            .map(|f| (f.name.as_str(), f.category.as_str(), f.value.expose()))
            .collect();
        assert_eq!(
            fields,
            [
                ("email", "customer_identity", Some("customer-1@example.com")),
                ("id", "customer_identity", Some("1")),
                ("name", "customer_identity", Some("John Customer")),
            ],
            "{kind}"
        );
        for c in &found.collections {
            for row in &c.rows {
                for field in row
                    .fields
                    .iter()
                    .map(|f| &f.value)
                    .chain(row.key.iter().map(|(_, v)| v))
                {
                    let value = field.expose().unwrap_or_default();
                    assert!(
                        !value.contains("customer-2")
                            && !value.contains("jane@")
                            && !matches!(
                                value,
                                "Jill Customer" | "Jane Customer" | "pay_bbb-bbb" | "ord_bbb-bbb"
                            ),
                        "{kind}: {} holds another customer's data",
                        c.collection,
                    );
                }
            }
        }
        target.finish().await;
    }
}

#[tokio::test]
async fn fides_own_datasets_imported_erase_customer_1_in_one_transaction_and_nothing_else() {
    for target in Target::all().await {
        let kind = format!("{:?}", target.kind());
        target.load_fides().await;
        let (_, dataset) = imported(&target).await;
        let who = [email("customer-1@example.com")];
        let before = dump(&target).await;
        let mut db = writable(&target).await;

        // The plan keeps what the bookkeeping hold keeps (every `customer_identity` field: the
        // import gave them `erase: keep`) and names the shared rows.
        let planned = plan(&mut db, &dataset, &who, Some(&GLESYS), TODAY)
            .await
            .unwrap();
        let customer = planned.collection("customer").unwrap();
        assert!(
            customer.fields.iter().all(|f| f.strategy == Erasure::Keep),
            "{kind}: {customer:?}"
        );
        assert!(
            customer.held.iter().any(|h| h.field == "email"),
            "{kind}: {customer:?}"
        );

        // One write transaction: it completes (a NOT NULL column masked with NULL would be an
        // error and roll everything back).
        let receipt = execute(&mut db, &dataset, &who, &hasher(), None, TODAY)
            .await
            .unwrap();
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
                "login deleted=0 updated=6 [time:null:6]",
                "payment_card deleted=0 updated=1 [ccn:null:1 code:null:1 name:null:1]",
            ],
            "{kind}"
        );

        // Only customer 1's logins and card changed; every other row of every table, the other
        // customers' and the shared ones (addresses, products), is what it was.
        let after = dump(&target).await;
        assert_eq!(
            after.keys().collect::<Vec<_>>(),
            before.keys().collect::<Vec<_>>(),
            "{kind}"
        );
        for (table, rows) in &before {
            let changed: BTreeSet<String> = rows
                .iter()
                .filter(|row| !after[table].contains(row))
                .map(|row| row[0].clone().unwrap_or_default())
                .collect();
            let expected = match table.as_str() {
                "login" => set(&["1", "2", "3", "4", "5", "6"]),
                "payment_card" => set(&["pay_aaa-aaa"]),
                _ => BTreeSet::new(),
            };
            assert_eq!(changed, expected, "{kind}: {table}");
            assert_eq!(after[table].len(), rows.len(), "{kind}: {table}");
        }
        let card = after["payment_card"]
            .iter()
            .find(|row| row[0].as_deref() == Some("pay_aaa-aaa"))
            .unwrap();
        assert_eq!(
            (&card[1], &card[2], &card[3]),
            (&None, &None, &None),
            "{kind}"
        );

        // The re-read finds nothing erasure should have written; a rerun writes nothing.
        let remaining = verify(&mut db, &dataset, &who, &receipt, None, TODAY)
            .await
            .unwrap();
        assert!(remaining.is_empty(), "{kind}: {remaining:?}");
        let again = execute(&mut db, &dataset, &who, &hasher(), None, TODAY)
            .await
            .unwrap();
        assert!(again.is_empty(), "{kind}: {again:?}");
        db.close().await;
        assert_eq!(dump(&target).await, after, "{kind}");
        target.finish().await;
    }
}
