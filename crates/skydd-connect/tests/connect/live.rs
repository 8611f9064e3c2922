//! The live check on ethyca/fides' example database: the example dataset fits it; broken
//! schemas are reported at the dataset's lines.

use skydd_connect::live::check_live;
use skydd_register::Diagnostic;

use crate::{Target, checked, line_of};

fn codes(found: &[Diagnostic]) -> Vec<(&str, usize)> {
    found.iter().map(|d| (d.code, d.line)).collect()
}

#[tokio::test]
async fn the_example_dataset_fits_the_example_database_until_the_schema_breaks() {
    for target in Target::all().await {
        let kind = format!("{:?}", target.kind());
        target.load_fides().await;
        let source = target.fides_dataset();
        let dataset = checked(&source);

        // As loaded: no error. The sample has no index besides the primary keys, so the
        // identity and reference columns are warned about, each with its CREATE INDEX.
        let found = check_live(&source, &dataset, &target.schema().await);
        assert!(found.iter().all(|d| !d.is_error()), "{kind}: {found:#?}");
        let email = line_of(&source, "- name: customer", "- name: email");
        let warning = found
            .iter()
            .find(|d| d.code == "missing-index" && d.line == email)
            .unwrap_or_else(|| panic!("{kind}: {:?}", codes(&found)));
        assert!(
            warning
                .help
                .as_deref()
                .unwrap()
                .contains("CREATE INDEX customer_email_idx ON"),
            "{kind}: {warning:?}"
        );
        // A reference followed from `customer.id` looks up `orders.customer_id`.
        let orders = line_of(&source, "- name: orders", "{field: customer.id");
        assert!(
            found
                .iter()
                .any(|d| d.code == "missing-index" && d.line == orders),
            "{kind}: {:?}",
            codes(&found)
        );
        // `address.id` is the primary key: looked up by it, no warning.
        assert!(
            !found.iter().any(|d| d
                .help
                .as_deref()
                .is_some_and(|h| h.contains("address_id_idx"))),
            "{kind}"
        );

        // With the index, the warning goes; dropped again, it is back.
        let table = if matches!(target, Target::Postgres { .. }) {
            "public.customer"
        } else {
            "customer"
        };
        target
            .execute(&format!(
                "CREATE INDEX customer_email_idx ON {table} (email)"
            ))
            .await;
        let found = check_live(&source, &dataset, &target.schema().await);
        assert!(
            !found
                .iter()
                .any(|d| d.code == "missing-index" && d.line == email),
            "{kind}: {:?}",
            codes(&found)
        );
        let drop = match target {
            Target::Mysql { .. } => "DROP INDEX customer_email_idx ON customer",
            Target::Postgres { .. } => "DROP INDEX public.customer_email_idx",
            Target::Sqlite { .. } => "DROP INDEX customer_email_idx",
        };
        target.execute(drop).await;
        let found = check_live(&source, &dataset, &target.schema().await);
        assert!(
            found
                .iter()
                .any(|d| d.code == "missing-index" && d.line == email),
            "{kind}: {:?}",
            codes(&found)
        );

        // `service_request.email` is erased with `null`: made NOT NULL, that would fail.
        let not_null = match target {
            Target::Postgres { .. } => {
                "ALTER TABLE public.service_request ALTER COLUMN email SET NOT NULL"
            }
            Target::Mysql { .. } => {
                "ALTER TABLE service_request MODIFY email VARCHAR(100) NOT NULL"
            }
            Target::Sqlite { .. } => {
                "DROP TABLE service_request; CREATE TABLE service_request (id VARCHAR(100) PRIMARY KEY, email VARCHAR(100) NOT NULL, alt_email VARCHAR(100), opened DATE, closed DATE, employee_id INT)"
            }
        };
        target.execute(not_null).await;
        // And a column the dataset declares disappears.
        let drop_column = match target {
            Target::Postgres { .. } => "ALTER TABLE public.report DROP COLUMN month",
            _ => "ALTER TABLE report DROP COLUMN month",
        };
        target.execute(drop_column).await;
        let found = check_live(&source, &dataset, &target.schema().await);
        let errors: Vec<(&str, usize)> = found
            .iter()
            .filter(|d| d.is_error())
            .map(|d| (d.code, d.line))
            .collect();
        let erase = line_of(&source, "- name: service_request", "{name: email");
        let month = line_of(&source, "- name: report", "- name: month");
        assert_eq!(
            errors,
            vec![("not-null", erase), ("unknown-column", month)],
            "{kind}"
        );
        let not_null = found.iter().find(|d| d.code == "not-null").unwrap();
        assert!(
            not_null.message.contains("service_request.email"),
            "{kind}: {not_null:?}"
        );
        // The position is the `erase` value, not the start of the line.
        assert_eq!(
            not_null.column,
            source
                .lines()
                .nth(erase - 1)
                .unwrap()
                .find("null}")
                .unwrap()
                + 1,
            "{kind}"
        );
        target.finish().await;
    }
}

#[tokio::test]
async fn a_missing_table_and_masked_keys_are_errors_with_suggestions() {
    let target = Target::sqlite();
    target.load_fides().await;
    target
        .execute(
            "CREATE TABLE note (id INTEGER PRIMARY KEY, customer_id INT REFERENCES customer (id), body TEXT);
             DROP TABLE service_request;
             CREATE TABLE service_request (id VARCHAR(100) PRIMARY KEY, email VARCHAR(100),
                 alt_email VARCHAR(100), opened DATE, closed DATE,
                 employee_id INT REFERENCES employee (id));",
        )
        .await;
    let source = target
        .fides_dataset()
        // A typo in a table name.
        .replace("- name: loyalty\n", "- name: loyalti\n")
        // A column the dataset does not declare as a reference, but the database has a
        // foreign key on, erased with `null`.
        .replace(
            "      - name: employee_id\n",
            "      - {name: employee_id, category: support_ticket, erase: null}\n",
        );
    let dataset = checked(&source);
    let found = check_live(&source, &dataset, &target.schema().await);
    let loyalty = line_of(&source, "collections:", "- name: loyalti");
    let missing = found
        .iter()
        .find(|d| d.code == "unknown-table")
        .expect("unknown table");
    assert_eq!(missing.line, loyalty);
    assert_eq!(missing.help.as_deref(), Some("did you mean `loyalty`?"));
    // `note` refers to `customer` but is not declared: a warning at `collections`.
    let left_out = found
        .iter()
        .find(|d| d.code == "unreachable")
        .expect("left-out table");
    assert!(left_out.message.contains("main.note"), "{left_out:?}");
    assert_eq!(left_out.line, line_of(&source, "", "collections:"));
    let masked = found
        .iter()
        .find(|d| d.code == "masked-key")
        .expect("masked key");
    assert_eq!(
        masked.line,
        line_of(&source, "- name: service_request", "{name: employee_id")
    );
    assert!(
        masked.message.contains("part of a foreign key"),
        "{masked:?}"
    );
    target.finish().await;
}
