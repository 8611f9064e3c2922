//! Rectification through the graph on ethyca/fides' example database, on PostgreSQL, MariaDB
//! and SQLite: a new e-mail address and name for `customer-1@example.com`, written to their
//! rows only, after which the new address finds them.

use std::collections::{BTreeMap, BTreeSet};

use skydd_connect::ConnectError;
use skydd_connect::access::collect;
use skydd_connect::rectify::{Concerns, Correction, rectify};
use skydd_dataset::FieldPath;
use skydd_register::model::CategoryId;
use skydd_subject::{Identity, IdentityKind, ParseContext};

use crate::erase::{dump, writable};
use crate::{Target, checked};

fn email(address: &str) -> Identity {
    let today = jiff::civil::date(2026, 12, 6);
    Identity::parse(IdentityKind::Email, address, ParseContext::sweden(today)).unwrap()
}

fn field(path: &str, value: &str) -> Correction {
    let (collection, field) = path.split_once('.').unwrap();
    Correction {
        concerns: Concerns::Field(FieldPath {
            collection: collection.into(),
            field: field.into(),
        }),
        value: value.into(),
    }
}

/// The rows of `before` changed in `after`, as (table, first column).
fn changed(
    before: &crate::erase::Dump,
    after: &crate::erase::Dump,
) -> BTreeMap<String, BTreeSet<String>> {
    let mut out = BTreeMap::new();
    for (table, rows) in before {
        for row in rows.iter().filter(|r| !after[table].contains(r)) {
            out.entry(table.clone())
                .or_insert_with(BTreeSet::new)
                .insert(row[0].clone().unwrap_or_default());
        }
    }
    out
}

#[tokio::test]
async fn a_new_email_and_name_reach_customer_1s_rows_only_and_find_them_afterwards() {
    for target in Target::all().await {
        let kind = format!("{:?}", target.kind());
        target.load_fides().await;
        let dataset = checked(&target.fides_dataset());
        let before = dump(&target).await;
        let mut db = writable(&target).await;
        let corrections = [
            field("customer.email", "john@example.net"),
            field("customer.name", "John Corrected"),
            // A category: both e-mail columns of the support tickets.
            Correction {
                concerns: Concerns::Category(CategoryId("support_ticket".into())),
                value: "john@example.net".into(),
            },
        ];
        let receipt = rectify(
            &mut db,
            &dataset,
            &[email("customer-1@example.com")],
            &corrections,
        )
        .await
        .unwrap();
        assert!(receipt.skipped.is_empty(), "{kind}: {receipt:?}");
        let written: Vec<String> = receipt
            .collections
            .iter()
            .map(|c| format!("{} updated={} {:?}", c.collection, c.updated, c.fields))
            .collect();
        assert_eq!(
            written,
            [
                r#"customer updated=1 [("email", 1), ("name", 1)]"#,
                r#"service_request updated=1 [("email", 1), ("alt_email", 1)]"#,
            ],
            "{kind}"
        );
        let after = dump(&target).await;
        assert_eq!(
            changed(&before, &after),
            BTreeMap::from([
                ("customer".to_owned(), BTreeSet::from(["1".to_owned()])),
                (
                    "service_request".to_owned(),
                    BTreeSet::from(["ser_aaa-aaa".to_owned()])
                ),
            ]),
            "{kind}"
        );
        let customer = after["customer"]
            .iter()
            .find(|r| r[0].as_deref() == Some("1"))
            .unwrap();
        assert_eq!(
            (customer[1].as_deref(), customer[2].as_deref()),
            (Some("john@example.net"), Some("John Corrected")),
            "{kind}"
        );
        // The receipt names no value.
        let json = serde_json::to_string(&receipt).unwrap();
        assert!(
            !json.contains("john@") && !json.contains("Corrected"),
            "{json}"
        );
        // The new address finds the customer, their orders and their ticket; the old one
        // finds nothing.
        let found = collect(&mut db, &dataset, &[email("john@example.net")])
            .await
            .unwrap();
        for name in ["customer", "orders", "login", "service_request"] {
            assert!(found.collection(name).is_some(), "{kind}: {name}");
        }
        let old = collect(&mut db, &dataset, &[email("customer-1@example.com")])
            .await
            .unwrap();
        let names: Vec<&str> = old
            .collections
            .iter()
            .map(|c| c.collection.as_str())
            .collect();
        // Only the visit log still has the old address (it is no identity the customer row
        // holds any more, and visits are not corrected: their e-mail is part of the key).
        assert_eq!(names, ["visit"], "{kind}");
        // Again: nothing changes.
        let again = rectify(
            &mut db,
            &dataset,
            &[email("john@example.net")],
            &corrections,
        )
        .await
        .unwrap();
        assert!(
            again.collections.iter().all(|c| c.updated == 0),
            "{kind}: {again:?}"
        );
        assert_eq!(dump(&target).await, after, "{kind}");
        db.close().await;
        target.finish().await;
    }
}

#[tokio::test]
async fn an_undeclared_field_or_a_refused_value_changes_nothing_and_names_no_value() {
    for target in Target::all().await {
        let kind = format!("{:?}", target.kind());
        target.load_fides().await;
        let dataset = checked(&target.fides_dataset());
        let before = dump(&target).await;
        let mut db = writable(&target).await;
        let who = [email("customer-1@example.com")];
        let error = rectify(
            &mut db,
            &dataset,
            &who,
            &[field("customer.phone", "555-1234")],
        )
        .await
        .unwrap_err();
        assert!(matches!(error, ConnectError::Write { .. }), "{kind}");
        let shown = error.to_string();
        assert!(
            shown.contains("customer.phone") && !shown.contains("555"),
            "{shown}"
        );
        // A value the column refuses, after another correction was already written.
        if target.kind() != skydd_dataset::DatabaseKind::Sqlite {
            let too_long = "x".repeat(200);
            let error = rectify(
                &mut db,
                &dataset,
                &who,
                &[
                    field("customer.name", "John"),
                    field("service_request.email", &too_long),
                ],
            )
            .await
            .unwrap_err()
            .to_string();
            assert!(error.contains("`service_request`"), "{kind}: {error}");
            assert!(
                !error.contains("xxx") && !error.contains("John"),
                "{kind}: {error}"
            );
        }
        assert_eq!(dump(&target).await, before, "{kind}");
        db.close().await;
        target.finish().await;
    }
}
