//! Introspection and drafting on ethyca/fides' example database with two foreign keys added:
//! the schema is read as declared, and the draft passes the file check and the live check.

use skydd_connect::draft::{DraftOptions, draft};
use skydd_connect::live::check_live;

use crate::{GLESYS, Target, checked};

#[tokio::test]
async fn the_schema_is_read_and_the_draft_passes_both_checks() {
    for target in Target::all().await {
        let kind = format!("{:?}", target.kind());
        target.load_fides().await;
        let keys = match target {
            Target::Sqlite { .. } => {
                "DROP TABLE login; CREATE TABLE login (id INT PRIMARY KEY,
                     customer_id INT REFERENCES customer (id), time TIMESTAMP);
                 DROP TABLE orders; CREATE TABLE orders (id VARCHAR(100) PRIMARY KEY,
                     customer_id INT REFERENCES customer, shipping_address_id BIGINT,
                     payment_card_id VARCHAR(100))"
            }
            // PostgreSQL names constraints per table: two keys of one name must not be mixed.
            Target::Postgres { .. } => {
                "ALTER TABLE login ADD CONSTRAINT to_customer FOREIGN KEY (customer_id) REFERENCES customer (id);
                 ALTER TABLE orders ADD CONSTRAINT to_customer FOREIGN KEY (customer_id) REFERENCES customer (id);
                 ALTER TABLE payment_card ADD CONSTRAINT to_customer FOREIGN KEY (billing_address_id) REFERENCES address (id)"
            }
            Target::Mysql { .. } => {
                "ALTER TABLE login ADD CONSTRAINT login_customer FOREIGN KEY (customer_id) REFERENCES customer (id);
                 ALTER TABLE orders ADD CONSTRAINT orders_customer FOREIGN KEY (customer_id) REFERENCES customer (id)"
            }
        };
        target.execute(keys).await;
        let schema = target.schema().await;

        // What the catalog says, the same on every database.
        let customer = schema
            .table(None, "customer")
            .unwrap_or_else(|| panic!("{kind}: {schema:#?}"));
        assert_eq!(customer.primary_key, ["id"], "{kind}");
        let email = customer.column("email").unwrap();
        assert!(email.nullable && email.is_text(), "{kind}: {email:?}");
        let order_item = schema.table(None, "order_item").unwrap();
        assert_eq!(order_item.primary_key, ["order_id", "item_no"], "{kind}");
        let login = schema.table(None, "login").unwrap();
        assert_eq!(login.foreign_keys.len(), 1, "{kind}: {login:#?}");
        assert_eq!(login.foreign_keys[0].columns, ["customer_id"], "{kind}");
        assert_eq!(login.foreign_keys[0].referenced_table, "customer", "{kind}");
        // SQLite's `REFERENCES customer` names no column: the primary key is meant.
        let orders = schema.table(None, "orders").unwrap();
        assert_eq!(orders.foreign_keys.len(), 1, "{kind}: {orders:#?}");
        assert_eq!(orders.foreign_keys[0].columns, ["customer_id"], "{kind}");
        assert_eq!(orders.foreign_keys[0].referenced_columns, ["id"], "{kind}");
        if !matches!(target, Target::Sqlite { .. }) {
            assert_eq!(email.max_length, Some(100), "{kind}");
        }
        if let Target::Postgres { .. } = target {
            let card = schema.table(None, "payment_card").unwrap();
            assert_eq!(card.foreign_keys.len(), 1, "{card:#?}");
            assert_eq!(card.foreign_keys[0].columns, ["billing_address_id"]);
            assert_eq!(
                card.foreign_keys[0].referenced_table, "address",
                "{card:#?}"
            );
        }

        let yaml = draft(
            &schema,
            target.kind(),
            Some(&GLESYS),
            &DraftOptions {
                name: "fides_example".into(),
                connection_env: "FIDES_URL".into(),
            },
        );
        // Every guess is marked.
        for line in yaml.lines() {
            let guessed = ["category:", "identity:", "references:", "unreachable:"]
                .iter()
                .any(|k| line.trim_start().starts_with(k));
            if guessed && !line.contains("# guess:") {
                let previous = yaml.lines().take_while(|l| *l != line).last().unwrap_or("");
                assert!(
                    previous.contains("# guess:"),
                    "{kind}: unmarked guess `{line}`\n{yaml}"
                );
            }
        }
        assert!(
            yaml.contains("      - name: email\n        category: customer_identity # guess"),
            "{kind}\n{yaml}"
        );
        assert!(
            yaml.contains("        identity: email # guess"),
            "{kind}\n{yaml}"
        );
        // The foreign keys lead from the customer (who has the identity) to their logins.
        assert!(
            yaml.contains("{field: customer.id, direction: from}"),
            "{kind}\n{yaml}"
        );
        assert!(
            !yaml.contains("postgres://") && !yaml.contains("mysql://"),
            "{kind}"
        );

        let dataset = checked(&yaml);
        assert_eq!(dataset.collections.len(), 15, "{kind}");
        let login = dataset.collection("login").unwrap();
        assert!(
            login.unreachable.is_none(),
            "{kind}: reached through its foreign key"
        );
        assert!(
            dataset.collection("product").unwrap().unreachable.is_some(),
            "{kind}"
        );
        let found = check_live(&yaml, &dataset, &schema);
        assert!(
            found.iter().all(|d| !d.is_error()),
            "{kind}: {found:#?}\n{yaml}"
        );
        target.finish().await;
    }
}
