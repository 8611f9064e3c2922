//! `App::sweep` and `App::connected_plan` over a connected SQLite database: after the vault,
//! under the storage's sweep lock (a second sweeper does nothing there), progress per batch,
//! one `retention.connected` audit event with the receipt and no value, and a database that
//! cannot be reached reported while the others are swept.

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;

use skydd_app::datasets::load;
use skydd_app::retention::{SweepStep, SystemSweep};

use super::*;

/// Logins, all but two due at the app's clock (product usage is kept 13 months).
const SQL: &str = "CREATE TABLE login (id INT PRIMARY KEY, customer_id INT, time TIMESTAMP);
    INSERT INTO login VALUES (1, 1, '2020-01-01 10:00:00'), (2, 1, '2020-01-02 10:00:00'),
      (3, 2, '2020-01-03 10:00:00'), (4, 2, '2020-01-04 10:00:00'), (5, 3, '2020-01-05 10:00:00'),
      (6, 3, '2026-02-01 10:00:00'), (7, 3, NULL);";

fn dataset(name: &str, url_file: &Path) -> String {
    format!(
        "skydd_dataset: 1
name: {name}
kind: sqlite
connection: {{file: {}}}
collections:
  - name: login
    primary_key: id
    retention: {{anchor: time, rule: product_usage}}
    fields:
      - name: id
      - {{name: customer_id, identity: customer_number, category: product_usage, erase: delete_row}}
      - {{name: time, category: product_usage, erase: delete_row}}
",
        url_file.display()
    )
}

/// A connected SQLite database with [`SQL`] and its dataset file, named `name`; the URL file
/// names `database` (which need not exist).
fn connected(dir: &Path, name: &str, database: &Path) -> std::path::PathBuf {
    let url_file = dir.join(format!("{name}.url"));
    std::fs::write(&url_file, format!("sqlite://{}", database.display())).unwrap();
    std::fs::set_permissions(&url_file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let path = dir.join(format!("{name}.yaml"));
    std::fs::write(&path, dataset(name, &url_file)).unwrap();
    path
}

async fn logins(database: &Path) -> Vec<i64> {
    use sqlx::Connection as _;
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(database)
        .create_if_missing(true);
    let mut conn = sqlx::SqliteConnection::connect_with(&options)
        .await
        .unwrap();
    let ids = sqlx::query_scalar("SELECT id FROM login ORDER BY id")
        .fetch_all(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    ids
}

async fn create(database: &Path) {
    use sqlx::Connection as _;
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(database)
        .create_if_missing(true);
    let mut conn = sqlx::SqliteConnection::connect_with(&options)
        .await
        .unwrap();
    sqlx::raw_sql(SQL).execute(&mut conn).await.unwrap();
    conn.close().await.unwrap();
}

#[tokio::test]
async fn a_sweep_covers_connected_databases_under_the_sweep_lock_with_proof() {
    let data = tempfile::tempdir().unwrap();
    let shop_db = data.path().join("shop.db");
    create(&shop_db).await;
    let lost = connected(data.path(), "lost", &data.path().join("missing/lost.db"));
    let shop = connected(data.path(), "shop", &shop_db);
    let app = open(&data, Create::IfMissing).await;
    let (datasets, _) = load(&[lost, shop], &app.register.register).unwrap();
    let app = app.with_datasets(datasets);
    let now = app.clock.now();
    let actor = Actor::new("system:retention");

    // The plan: the lost database with its reason, the shop's five due rows.
    let plans = app.connected_plan(now).await;
    assert_eq!(plans.len(), 2);
    assert_eq!(plans[0].system, "lost");
    let reason = plans[0].plan.as_ref().unwrap_err();
    assert!(!reason.contains("missing/lost.db"), "{reason}");
    let plan = plans[1].plan.as_ref().unwrap();
    assert_eq!(plan.collections[0].due, 5);
    let json = serde_json::to_value(&plans).unwrap();
    assert!(json[0]["failed"].is_string(), "{json}");
    assert_eq!(json[1]["plan"]["collections"][0]["due"], 5, "{json}");

    // Another sweeper holds the lock: nothing is done, in the vault or the shop.
    let held = app.storage.try_sweep_lock().await.unwrap().unwrap();
    let skipped = app.sweep(&actor, now, 2, &mut |_| {}).await.unwrap();
    assert!(skipped.is_none());
    assert_eq!(logins(&shop_db).await, [1, 2, 3, 4, 5, 6, 7]);
    app.storage.release_sweep_lock(held).await.unwrap();

    let mut steps = Vec::new();
    let swept = app
        .sweep(&actor, now, 2, &mut |step| steps.push(step))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        logins(&shop_db).await,
        [6, 7],
        "due rows gone, the rest kept"
    );
    assert!(!swept.complete(), "the lost database failed");
    assert_eq!(swept.connected.len(), 2);
    assert!(matches!(
        &swept.connected[0].outcome,
        SystemSweep::Failed { .. }
    ));
    let SystemSweep::Done(receipt) = &swept.connected[1].outcome else {
        panic!("{:?}", swept.connected[1]);
    };
    assert!(receipt.complete());
    assert_eq!(
        (
            receipt.collections[0].deleted,
            receipt.collections[0].batches
        ),
        (5, 3)
    );
    // The vault's progress first, then the shop's per batch.
    assert!(matches!(steps[0], SweepStep::Vault(_)), "{steps:?}");
    let rows: Vec<u64> = steps
        .iter()
        .filter_map(|step| match step {
            SweepStep::Connected { system, progress } if system == "shop" => Some(progress.rows),
            _ => None,
        })
        .collect();
    assert_eq!(rows, [2, 4, 5]);

    // One event per database, then the checkpoint after them.
    let entries = app
        .storage
        .audit_entries(&AuditFilter::default(), 0, 100)
        .await
        .unwrap();
    let connected: Vec<_> = entries
        .iter()
        .filter(|e| e.event.action == skydd_app::retention::CONNECTED_SWEEP_ACTION)
        .collect();
    assert_eq!(connected.len(), 2);
    assert_eq!(connected[0].event.outcome, "failed");
    assert_eq!(connected[1].event.outcome, "done");
    let detail = connected[1].event.detail.as_deref().unwrap();
    assert!(detail.contains("\"deleted\":5"), "{detail}");
    assert!(!detail.contains("2020-01-0"), "no anchor value: {detail}");
    let head = app.storage.audit_chain_head().await.unwrap();
    let checkpoint = app
        .storage
        .latest_audit_checkpoint()
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        checkpoint.seq, head.seq,
        "the checkpoint covers the receipts"
    );
    let operations = app.operations(now).await.unwrap();
    assert_eq!(
        operations.sweeps.failed, 1,
        "a database failed: not a clean sweep"
    );
    app.close().await.unwrap();
}
