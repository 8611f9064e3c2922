//! Retention in connected databases from the command line (issue 16, part 4): `skydd retention
//! plan|run --dataset` on ethyca/fides' example shop in SQLite, PostgreSQL and MariaDB, with Skydd's own
//! storage on SQLite and PostgreSQL; one audit event per database with the receipt, `audit
//! verify` after; a database that cannot be reached is reported and does not stop the others;
//! `serve` sweeps them on its interval; `skydd retention run` killed with SIGKILL in the middle
//! of a connected sweep finishes on a rerun with nothing half done. No personal value or
//! connection string in any output.

use std::hash::{BuildHasher, RandomState};

use super::*;

const GLESYS: &str = include_str!("../../../../examples/registers/glesys.yaml");
const FIDES_SQLITE: &str = include_str!("../../../skydd-connect/tests/connect/sqlite.sql");
const FIDES_POSTGRES: &str = include_str!("../../../skydd-connect/tests/connect/postgres.sql");
const FIDES_MARIADB: &str = include_str!("../../../skydd-connect/tests/connect/mariadb.sql");
const FIDES_DATASET: &str = include_str!("../../../../examples/datasets/fides-example.yaml");

/// The variable the dataset reads its connection string from.
const URL_VARIABLE: &str = "FIDES_EXAMPLE_DATABASE_URL";

/// Values of the example database that must never show in output or the audit trail.
const VALUES: [&str; 5] = [
    "customer-1@example.com",
    "customer-1-alt@example.com",
    "Secret Browser",
    "192.0.2.1",
    "device-of-customer-1",
];

/// A table the fixture lacks: rows the sweep masks (product usage is anonymised), one of them
/// not due yet.
const DEVICE_SQL: &str = "CREATE TABLE device_log (id INT PRIMARY KEY, customer_id INT,
        ip VARCHAR(100), agent VARCHAR(100), seen TIMESTAMP);
    INSERT INTO device_log VALUES
      (1, 1, '192.0.2.1', 'Secret Browser', '2020-06-01 10:00:00'),
      (2, 1, '192.0.2.2', 'device-of-customer-1', '2099-06-01 10:00:00');
    INSERT INTO login VALUES (100, 1, '2099-01-01 01:00:00'), (101, 2, NULL);";

/// Its collection in the dataset.
const DEVICE_DATASET: &str = "
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
      - {name: seen, category: product_usage, erase: keep}
";

/// A connected database of the example shop.
enum Connected {
    Sqlite(PathBuf),
    Postgres { admin: String, name: String },
    Mysql { admin: String, name: String },
}

/// Rows as text: each row's columns joined by `|` (NULL as `NULL`), sorted.
macro_rules! text_rows {
    ($rows:expr) => {{
        use sqlx::Row as _;
        let mut out: Vec<String> = $rows
            .iter()
            .map(|row| {
                (0..row.len())
                    .map(|i| {
                        row.try_get::<Option<String>, _>(i)
                            .unwrap()
                            .unwrap_or_else(|| "NULL".into())
                    })
                    .collect::<Vec<_>>()
                    .join("|")
            })
            .collect();
        out.sort();
        out
    }};
}

impl Connected {
    /// SQLite always (a file in `dir`); a fresh PostgreSQL database when
    /// `SKYDD_TEST_DATABASE_URL` is set and a fresh MariaDB database when `SKYDD_TEST_MYSQL_URL`
    /// is (with `CI` set, a missing one fails the test).
    fn all(dir: &Path) -> Vec<Connected> {
        let mut all = vec![Connected::Sqlite(dir.join("shop.db"))];
        let name = || {
            format!(
                "skydd_sweep_{:016x}",
                RandomState::new().hash_one((std::process::id(), dir))
            )
        };
        for variable in ["SKYDD_TEST_DATABASE_URL", "SKYDD_TEST_MYSQL_URL"] {
            match std::env::var(variable) {
                Ok(admin) if !admin.is_empty() => all.push(if variable.contains("MYSQL") {
                    Connected::Mysql {
                        admin,
                        name: name(),
                    }
                } else {
                    Connected::Postgres {
                        admin,
                        name: name(),
                    }
                }),
                _ if std::env::var_os("CI").is_some() => {
                    panic!("CI must sweep connected databases there too: set {variable}")
                }
                _ => {}
            }
        }
        all
    }

    fn name(&self) -> &'static str {
        match self {
            Connected::Sqlite(_) => "sqlite",
            Connected::Postgres { .. } => "postgres",
            Connected::Mysql { .. } => "mariadb",
        }
    }

    fn url(&self) -> String {
        match self {
            Connected::Sqlite(path) => format!("sqlite://{}", path.display()),
            Connected::Postgres { admin, name } | Connected::Mysql { admin, name } => {
                let (base, query) = admin.split_once('?').unwrap_or((admin, ""));
                let (server, _) = base.rsplit_once('/').unwrap();
                if query.is_empty() {
                    format!("{server}/{name}")
                } else {
                    format!("{server}/{name}?{query}")
                }
            }
        }
    }

    /// Create the database and load the example shop with `extra` SQL after it.
    fn load(&self, extra: &str) {
        match self {
            Connected::Sqlite(_) => {
                self.execute(&format!("{FIDES_SQLITE}\n{extra}"), true);
            }
            Connected::Postgres { admin, name } => {
                execute_admin(self, admin, &format!("CREATE DATABASE {name}"));
                let extra = extra.replace("TABLE device_log", "TABLE public.device_log");
                self.execute(&format!("{FIDES_POSTGRES}\n{extra}"), false);
            }
            Connected::Mysql { admin, name } => {
                execute_admin(self, admin, &format!("CREATE DATABASE {name}"));
                // A MySQL TIMESTAMP ends in 2038; DATETIME is the zone-less type.
                let extra = extra.replace("TIMESTAMP", "DATETIME");
                self.execute(&format!("{FIDES_MARIADB}\n{extra}"), false);
            }
        }
    }

    /// Run `sql` in the database.
    fn execute(&self, sql: &str, create: bool) {
        use sqlx::Connection as _;
        let sql = sqlx::AssertSqlSafe(sql.to_owned());
        block_on(async {
            match self {
                Connected::Sqlite(path) => {
                    let options = sqlx::sqlite::SqliteConnectOptions::new()
                        .filename(path)
                        .create_if_missing(create)
                        .busy_timeout(Duration::from_secs(5));
                    let mut conn = sqlx::SqliteConnection::connect_with(&options)
                        .await
                        .unwrap();
                    sqlx::raw_sql(sql).execute(&mut conn).await.unwrap();
                    conn.close().await.unwrap();
                }
                Connected::Postgres { .. } => {
                    let mut conn = sqlx::PgConnection::connect(&self.url()).await.unwrap();
                    sqlx::raw_sql(sql).execute(&mut conn).await.unwrap();
                    conn.close().await.unwrap();
                }
                Connected::Mysql { .. } => {
                    let mut conn = sqlx::MySqlConnection::connect(&self.url()).await.unwrap();
                    sqlx::raw_sql(sql).execute(&mut conn).await.unwrap();
                    conn.close().await.unwrap();
                }
            }
        });
    }

    /// The rows `sql` selects, each as its columns' text joined by `|`, sorted. `VARCHAR(10)`
    /// in a cast becomes `CHAR` on MariaDB.
    fn rows(&self, sql: &str) -> Vec<String> {
        use sqlx::Connection as _;
        let sql = match self {
            Connected::Mysql { .. } => sql.replace("AS VARCHAR(10)", "AS CHAR"),
            _ => sql.to_owned(),
        };
        let sql = sqlx::AssertSqlSafe(sql);
        block_on(async {
            match self {
                Connected::Sqlite(path) => {
                    let options = sqlx::sqlite::SqliteConnectOptions::new()
                        .filename(path)
                        .busy_timeout(Duration::from_secs(5));
                    let mut conn = sqlx::SqliteConnection::connect_with(&options)
                        .await
                        .unwrap();
                    let rows = sqlx::query(sql).fetch_all(&mut conn).await.unwrap();
                    conn.close().await.unwrap();
                    text_rows!(rows)
                }
                Connected::Postgres { .. } => {
                    let mut conn = sqlx::PgConnection::connect(&self.url()).await.unwrap();
                    let rows = sqlx::query(sql).fetch_all(&mut conn).await.unwrap();
                    conn.close().await.unwrap();
                    text_rows!(rows)
                }
                Connected::Mysql { .. } => {
                    let mut conn = sqlx::MySqlConnection::connect(&self.url()).await.unwrap();
                    let rows = sqlx::query(sql).fetch_all(&mut conn).await.unwrap();
                    conn.close().await.unwrap();
                    text_rows!(rows)
                }
            }
        })
    }

    /// The dataset of the example shop for this database, with the device log.
    fn dataset(&self, name: &str) -> String {
        let base = FIDES_DATASET.replace("name: fides_example", &format!("name: {name}"));
        match self {
            Connected::Sqlite(_) => format!(
                "{}{DEVICE_DATASET}",
                base.replace("kind: postgres", "kind: sqlite")
                    .replace("    schema: public\n", "")
                    .replace("tls:\n", "")
                    .replace(
                        "  # The example database runs on the same host; a remote one would use `verify-full`.\n  mode: disable\n",
                        "",
                    )
            ),
            Connected::Postgres { .. } => format!(
                "{base}{}",
                DEVICE_DATASET.replace(
                    "  - name: device_log\n",
                    "  - name: device_log\n    schema: public\n"
                )
            ),
            Connected::Mysql { .. } => format!(
                "{}{DEVICE_DATASET}",
                base.replace("kind: postgres", "kind: mysql")
                    .replace("    schema: public\n", "")
            ),
        }
    }
}

impl Drop for Connected {
    fn drop(&mut self) {
        match &*self {
            Connected::Sqlite(_) => {}
            Connected::Postgres { admin, name } => {
                let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                execute_admin(self, admin, &sql);
            }
            Connected::Mysql { admin, name } => {
                let sql = format!("DROP DATABASE IF EXISTS {name}");
                execute_admin(self, admin, &sql);
            }
        }
    }
}

/// Run `sql` on the server of `connected` through the administrator's URL `url`.
fn execute_admin(connected: &Connected, url: &str, sql: &str) {
    use sqlx::Connection as _;
    let sql = sqlx::AssertSqlSafe(sql.to_owned());
    block_on(async {
        if let Connected::Mysql { .. } = connected {
            let mut conn = sqlx::MySqlConnection::connect(url).await.unwrap();
            sqlx::raw_sql(sql).execute(&mut conn).await.unwrap();
            conn.close().await.unwrap();
        } else {
            let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
            sqlx::raw_sql(sql).execute(&mut conn).await.unwrap();
            conn.close().await.unwrap();
        }
    });
}

/// An instance serving the GleSYS register (whose rules the example dataset names).
fn instance(data: &Path, database: &[String]) {
    block_on(async {
        let app = open_in_process(data, database, GLESYS).await;
        app.close().await.unwrap();
    });
}

/// `skydd ARGS... --data-dir DATA DATABASE...` with the dataset's connection string set.
fn skydd_connected(data: &Path, database: &[String], url: &str, args: &[&str]) -> Output {
    run(skydd()
        .args(args)
        .arg("--data-dir")
        .arg(data)
        .args(database)
        .env(URL_VARIABLE, url))
}

/// The `retention.connected` events of the audit trail, oldest first, each with its detail.
fn connected_events(data: &Path, database: &[String]) -> Vec<(Value, Value)> {
    let export = skydd_on(data, database, &["audit", "export"]);
    assert!(export.status.success(), "{}", text(&export.stderr));
    text(&export.stdout)
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).unwrap())
        .filter(|line| line["action"] == "retention.connected")
        .map(|line| {
            let detail = serde_json::from_str(line["detail"].as_str().unwrap()).unwrap();
            (line, detail)
        })
        .collect()
}

/// The rows the `retention.connected.batch` events of the audit trail prove for `collection`.
fn batch_rows(data: &Path, database: &[String], collection: &str) -> usize {
    let export = skydd_on(data, database, &["audit", "export"]);
    assert!(export.status.success(), "{}", text(&export.stderr));
    text(&export.stdout)
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).unwrap())
        .filter(|line| line["action"] == "retention.connected.batch")
        .map(|line| serde_json::from_str::<Value>(line["detail"].as_str().unwrap()).unwrap())
        .filter(|detail| detail["collection"] == collection)
        .map(|detail| usize::try_from(detail["rows"].as_u64().unwrap()).unwrap())
        .sum()
}

fn assert_no_value(what: &str, shown: &str) {
    for value in VALUES {
        assert!(!shown.contains(value), "{what} shows `{value}`:\n{shown}");
    }
    assert!(
        !shown.contains("hunter2"),
        "{what} shows a password:\n{shown}"
    );
}

/// The receipt's collection `name` in a `retention.connected` event's detail.
fn collection<'a>(detail: &'a Value, name: &str) -> &'a Value {
    detail["sweep"]["collections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["collection"] == name)
        .unwrap_or_else(|| panic!("no {name} in {detail}"))
}

#[test]
fn retention_plan_and_run_sweep_connected_databases_with_proof_and_no_values() {
    for storage in 0..Database::all().len() {
        let dir = tempfile::tempdir().unwrap();
        for connected in Connected::all(dir.path()) {
            // A fresh storage (schema) per connected database.
            let database = Database::all().remove(storage);
            let backend = format!(
                "storage {}, connected {}",
                database.name(),
                connected.name()
            );
            let data = dir.path().join(format!("data-{}", connected.name()));
            let database_args = database.args();
            instance(&data, &database_args);
            connected.load(DEVICE_SQL);
            let url = connected.url();
            let shop = write(dir.path(), "shop.yaml", &connected.dataset("shop"));
            // Listed first: a database that cannot be reached does not stop the next one.
            let lost = write(
                dir.path(),
                "lost.yaml",
                &connected
                    .dataset("lost")
                    .replace(URL_VARIABLE, "LOST_DATABASE_URL"),
            );
            let lost_url = match &connected {
                Connected::Sqlite(_) => {
                    format!("sqlite://{}", dir.path().join("nowhere/x.db").display())
                }
                Connected::Postgres { .. } => {
                    "postgres://shop:hunter2@127.0.0.1:1/shop?sslmode=disable".to_owned()
                }
                Connected::Mysql { .. } => "mysql://shop:hunter2@127.0.0.1:1/shop".to_owned(),
            };
            let datasets = [
                "--dataset",
                lost.to_str().unwrap(),
                "--dataset",
                shop.to_str().unwrap(),
            ];
            let logins = "SELECT CAST(id AS VARCHAR(10)) FROM login";
            let before = connected.rows(logins);
            assert_eq!(before.len(), 10, "{backend}");

            let mut plan_args = vec!["retention", "plan"];
            plan_args.extend(datasets);
            let plan = run(skydd()
                .args(&plan_args)
                .arg("--data-dir")
                .arg(&data)
                .args(&database_args)
                .env(URL_VARIABLE, &url)
                .env("LOST_DATABASE_URL", &lost_url));
            let stdout = text(&plan.stdout);
            assert_eq!(
                plan.status.code(),
                Some(1),
                "{backend}: {stdout}{}",
                text(&plan.stderr)
            );
            assert!(
                stdout.contains("Connected database lost: cannot plan:"),
                "{backend}: {stdout}"
            );
            assert!(
                stdout.contains("Connected database shop (expiry compared with"),
                "{backend}: {stdout}"
            );
            assert!(
                stdout.contains("  login: rule product_usage by time, due when time <= "),
                "{backend}: {stdout}"
            );
            assert!(stdout.contains(": delete 8 row(s)"), "{backend}: {stdout}");
            assert!(
                stdout.contains("  device_log: rule product_usage by seen, due when seen <= "),
                "{backend}: {stdout}"
            );
            assert!(stdout.contains(": mask 1 row(s)"), "{backend}: {stdout}");
            assert_no_value("the plan", &format!("{stdout}{}", text(&plan.stderr)));
            assert_eq!(
                connected.rows(logins),
                before,
                "{backend}: the plan changed nothing"
            );

            let mut run_args = vec!["retention", "run", "--batch", "3"];
            run_args.extend(datasets);
            let swept = run(skydd()
                .args(&run_args)
                .arg("--data-dir")
                .arg(&data)
                .args(&database_args)
                .env(URL_VARIABLE, &url)
                .env("LOST_DATABASE_URL", &lost_url));
            let stdout = text(&swept.stdout);
            let stderr = text(&swept.stderr);
            assert_eq!(swept.status.code(), Some(1), "{backend}: {stdout}{stderr}");
            assert!(
                stdout.contains("Connected database lost: failed: "),
                "{backend}: {stdout}"
            );
            assert!(
                stdout.contains("Connected database shop: done"),
                "{backend}: {stdout}"
            );
            assert!(
                stdout.contains(
                    "  login: rule product_usage by time: deleted 8, masked 0, in 3 batch(es)"
                ),
                "{backend}: {stdout}"
            );
            assert!(
                stdout.contains(
                    "  device_log: rule product_usage by seen: deleted 0, masked 1, in 1 batch(es)"
                ),
                "{backend}: {stdout}"
            );
            assert!(
                stderr.contains("run it again to finish"),
                "{backend}: {stderr}"
            );
            assert_no_value("the sweep", &format!("{stdout}{stderr}"));
            assert!(!stdout.contains(&lost_url), "{backend}: {stdout}");

            // Due rows gone or masked; what is not due untouched.
            assert_eq!(connected.rows(logins), ["100", "101"], "{backend}");
            assert_eq!(
                connected.rows("SELECT CAST(id AS VARCHAR(10)), ip, agent FROM device_log"),
                ["1|NULL|gone", "2|192.0.2.2|device-of-customer-1"],
                "{backend}"
            );
            assert_eq!(
                connected.rows("SELECT id FROM service_request"),
                ["ser_bbb-bbb"],
                "{backend}: the open ticket (no closing date) stays"
            );

            // The proof: one event per database, the receipt without keys or values.
            let events = connected_events(&data, &database_args);
            assert_eq!(events.len(), 2, "{backend}: {events:?}");
            let (lost_event, lost_detail) = &events[0];
            assert_eq!(lost_event["outcome"], "failed", "{backend}");
            assert_eq!(lost_detail["system"], "lost");
            let (event, detail) = &events[1];
            assert_eq!(event["outcome"], "done", "{backend}: {detail}");
            assert_eq!(detail["system"], "shop");
            let login = collection(detail, "login");
            assert_eq!(login["deleted"], 8, "{backend}: {detail}");
            assert_eq!(login["batches"], 3, "{backend}: {detail}");
            assert_eq!(login["rule"]["rule"], "product_usage");
            assert_eq!(collection(detail, "device_log")["masked"], 1);
            let categories = event["categories"].as_array().unwrap();
            assert!(
                categories.contains(&Value::from("product_usage")),
                "{event}"
            );
            let shown = format!("{events:?}");
            assert_no_value("the audit trail", &shown);
            assert!(
                !shown.contains("ser_aaa"),
                "no primary key in the proof: {shown}"
            );
            assert!(!shown.contains(&lost_url), "{shown}");

            let verified = skydd_on(&data, &database_args, &["audit", "verify"]);
            assert_eq!(
                verified.status.code(),
                Some(0),
                "{backend}: {}",
                text(&verified.stdout)
            );

            // A second run with the reachable database alone changes nothing and proves it.
            let again = skydd_connected(
                &data,
                &database_args,
                &url,
                &["retention", "run", "--dataset", shop.to_str().unwrap()],
            );
            let stdout = text(&again.stdout);
            assert_eq!(
                again.status.code(),
                Some(0),
                "{backend}: {stdout}{}",
                text(&again.stderr)
            );
            assert!(
                stdout.contains("deleted 0, masked 0, in 0 batch(es)"),
                "{backend}: {stdout}"
            );
            assert_eq!(connected.rows(logins), ["100", "101"], "{backend}");
            assert_eq!(
                connected_events(&data, &database_args).len(),
                3,
                "{backend}"
            );
            database.drop_schema();
        }
    }
}

#[test]
fn serve_sweeps_connected_databases_on_its_interval() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    instance(&data, &[]);
    let connected = Connected::Sqlite(dir.path().join("shop.db"));
    connected.load(DEVICE_SQL);
    let shop = write(dir.path(), "shop.yaml", &connected.dataset("shop"));
    let url = connected.url();
    let server = Server::start(
        &[
            "--data-dir",
            data.to_str().unwrap(),
            "--dataset",
            shop.to_str().unwrap(),
        ],
        &[
            ("SKYDD_RETENTION_INTERVAL", OsStr::new("1s")),
            (URL_VARIABLE, OsStr::new(&url)),
        ],
    );
    let deadline = Instant::now() + PATIENCE;
    while !server.stderr().contains("connected database swept") {
        assert!(
            Instant::now() < deadline,
            "no sweep reached the connected database:\n{}",
            server.stderr()
        );
        thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(
        connected.rows("SELECT CAST(id AS VARCHAR(10)) FROM login"),
        ["100", "101"]
    );
    let stopped = server.terminate();
    assert!(stopped.status.success(), "{}", stopped.stderr);
    assert!(
        stopped.stderr.contains("dataset=shop"),
        "{}",
        stopped.stderr
    );
    assert_no_value("the log", &stopped.stderr);
    assert!(!stopped.stderr.contains(&url), "{}", stopped.stderr);
    let verified = skydd_on(&data, &[], &["audit", "verify"]);
    assert_eq!(
        verified.status.code(),
        Some(0),
        "{}",
        text(&verified.stdout)
    );
    assert!(!connected_events(&data, &[]).is_empty());
}

/// Many due logins (deleted) and device log rows (masked) after the fixture, and rows not due.
fn many_due_rows(logins: usize, devices: usize) -> String {
    let mut sql = String::from(DEVICE_SQL);
    for chunk in (0..logins).collect::<Vec<_>>().chunks(500) {
        sql.push_str("\nINSERT INTO login VALUES ");
        let values: Vec<String> = chunk
            .iter()
            .map(|n| {
                let id = 1000 + n;
                // Anchors spread over two days, many rows sharing one, so order is by key too.
                format!("({id}, 3, '2021-02-0{} 0{}:00:00')", 1 + n % 2, n % 7)
            })
            .collect();
        sql.push_str(&values.join(", "));
        sql.push(';');
    }
    for chunk in (0..devices).collect::<Vec<_>>().chunks(500) {
        sql.push_str("\nINSERT INTO device_log VALUES ");
        let values: Vec<String> = chunk
            .iter()
            .map(|n| {
                format!(
                    "({}, 3, '198.51.100.{}', 'Old Browser', '2021-03-01 10:00:00')",
                    1000 + n,
                    n % 250
                )
            })
            .collect();
        sql.push_str(&values.join(", "));
        sql.push(';');
    }
    sql
}

/// SIGKILL `skydd retention run --dataset` at random moments during a connected sweep of many
/// batches, again and again: after every kill each due login is either there or gone with no
/// gap in the sweep's order but the batch size, each device row either untouched or wholly
/// masked, nothing not due touched, and `audit verify` passes; a final run finishes the job.
#[test]
fn retention_run_killed_during_a_connected_sweep_finishes_with_nothing_half_done() {
    const LOGINS: usize = 20_000;
    const DEVICES: usize = 5000;
    const BATCH: usize = 25;
    for database in Database::all() {
        let backend = database.name();
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let database_args = database.args();
        instance(&data, &database_args);
        let connected = Connected::Sqlite(dir.path().join("shop.db"));
        connected.load(&many_due_rows(LOGINS, DEVICES));
        let shop = write(dir.path(), "shop.yaml", &connected.dataset("shop"));
        let url = connected.url();
        let not_due = || {
            (
                connected.rows(
                    "SELECT CAST(id AS VARCHAR(10)) FROM login WHERE time IS NULL OR time > '2030-01-01 00:00:00'",
                ),
                connected.rows(
                    "SELECT CAST(id AS VARCHAR(10)), ip, agent FROM device_log WHERE seen > '2030-01-01 00:00:00'",
                ),
            )
        };
        let kept = not_due();
        // The due logins in the order a sweep takes them: anchor, then key.
        let due_logins = || {
            let mut due: Vec<(String, i64)> = connected
                .rows("SELECT time, CAST(id AS VARCHAR(10)) FROM login WHERE time < '2030-01-01 00:00:00'")
                .iter()
                .map(|row| {
                    let (time, id) = row.split_once('|').unwrap();
                    (time.to_owned(), id.parse().unwrap())
                })
                .collect();
            due.sort();
            due
        };
        let order = due_logins();
        assert_eq!(order.len(), LOGINS + 8);
        let random = RandomState::new();
        let mut kills = 0;
        let mut midway = false;
        let mut finished = false;
        for round in 0..40_u64 {
            let mut child = skydd()
                .args([
                    "retention",
                    "run",
                    "--batch",
                    &BATCH.to_string(),
                    "--dataset",
                ])
                .arg(&shop)
                .arg("--data-dir")
                .arg(&data)
                .args(&database_args)
                .env(URL_VARIABLE, &url)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            let wait = Duration::from_millis(random.hash_one(round) % (150 + 40 * round));
            thread::sleep(wait);
            if let Some(status) = child.try_wait().unwrap() {
                assert!(status.success(), "{backend}: the sweep failed on its own");
                finished = true;
                break;
            }
            child.kill().unwrap(); // SIGKILL
            child.wait().unwrap();
            kills += 1;

            // Logins: due rows go oldest anchor first, then by key, whole batches only: what
            // is left is the end of that order, all but a multiple of the batch size gone.
            let left = due_logins();
            let gone = order.len() - left.len();
            midway |= gone > 0 && !left.is_empty();
            assert_eq!(
                left,
                order[gone..],
                "{backend} after kill {kills}: a gap in the order"
            );
            assert!(
                gone.is_multiple_of(BATCH) || left.is_empty(),
                "{backend} after kill {kills}: {gone} logins gone, not whole batches of {BATCH}"
            );
            // Devices: each row masked whole or untouched.
            for row in connected
                .rows("SELECT ip, agent FROM device_log WHERE seen < '2030-01-01 00:00:00'")
            {
                assert!(
                    row == "NULL|gone"
                        || (row.starts_with("198.51.100.") && row.ends_with("|Old Browser"))
                        || row == "192.0.2.1|Secret Browser",
                    "{backend} after kill {kills}: a half-masked row {row}"
                );
            }
            assert_eq!(not_due(), kept, "{backend}: a row not due was touched");
            let verified = skydd_on(&data, &database_args, &["audit", "verify"]);
            assert_eq!(
                verified.status.code(),
                Some(0),
                "{backend} after kill {kills}: {}",
                text(&verified.stdout)
            );
            // Every committed batch is proven, but at most the one in flight at each kill.
            let proven = batch_rows(&data, &database_args, "login");
            assert!(
                proven <= gone && gone <= proven + BATCH * kills,
                "{backend} after kill {kills}: {gone} logins gone, {proven} proven"
            );
        }
        assert!(
            midway,
            "{backend}: no kill landed in the middle of the logins; make the data bigger"
        );
        if !finished {
            let last = skydd_connected(
                &data,
                &database_args,
                &url,
                &["retention", "run", "--dataset", shop.to_str().unwrap()],
            );
            assert_eq!(
                last.status.code(),
                Some(0),
                "{backend}: {}",
                text(&last.stderr)
            );
        }
        assert!(
            connected
                .rows(
                    "SELECT CAST(id AS VARCHAR(10)) FROM login WHERE time < '2030-01-01 00:00:00'"
                )
                .is_empty(),
            "{backend}: every due login is gone"
        );
        assert_eq!(
            connected.rows("SELECT CAST(COUNT(*) AS VARCHAR(10)) FROM device_log WHERE seen < '2030-01-01 00:00:00' AND agent <> 'gone'"),
            ["0"],
            "{backend}: every due device row is masked"
        );
        assert_eq!(not_due(), kept, "{backend}: a row not due was touched");
        let verified = skydd_on(&data, &database_args, &["audit", "verify"]);
        assert_eq!(
            verified.status.code(),
            Some(0),
            "{backend}: {}",
            text(&verified.stdout)
        );
        let events = connected_events(&data, &database_args);
        let (event, _) = events.last().unwrap();
        assert_eq!(event["outcome"], "done", "{backend}: {event}");
        let proven = batch_rows(&data, &database_args, "login");
        assert!(
            proven <= order.len() && order.len() <= proven + BATCH * kills,
            "{backend}: {} logins swept, {proven} proven batch by batch",
            order.len()
        );
        database.drop_schema();
    }
}

/// While another process holds the instance's sweep lock (another server on the same storage,
/// SQLite or PostgreSQL), `skydd retention run --dataset` touches no connected row and says so;
/// once the lock is free it sweeps.
#[test]
fn a_held_sweep_lock_keeps_a_second_sweeper_out_of_connected_databases() {
    for database in Database::all() {
        let backend = database.name();
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let database_args = database.args();
        instance(&data, &database_args);
        let connected = Connected::Sqlite(dir.path().join("shop.db"));
        connected.load(DEVICE_SQL);
        let shop = write(dir.path(), "shop.yaml", &connected.dataset("shop"));
        let url = connected.url();
        let logins = "SELECT CAST(id AS VARCHAR(10)) FROM login";
        let before = connected.rows(logins);
        let sweep = || {
            skydd_connected(
                &data,
                &database_args,
                &url,
                &["retention", "run", "--dataset", shop.to_str().unwrap()],
            )
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let (app, lock) = runtime.block_on(async {
            let app = open_in_process(&data, &database_args, GLESYS).await;
            let lock = app.storage.try_sweep_lock().await.unwrap().unwrap();
            (app, lock)
        });
        let refused = sweep();
        assert_eq!(refused.status.code(), Some(1), "{backend}");
        assert!(
            text(&refused.stderr).contains("another sweep is running"),
            "{backend}: {}",
            text(&refused.stderr)
        );
        assert_eq!(connected.rows(logins), before, "{backend}: nothing swept");
        assert!(connected_events(&data, &database_args).is_empty());
        runtime.block_on(async {
            app.storage.release_sweep_lock(lock).await.unwrap();
            app.close().await.unwrap();
        });
        let swept = sweep();
        assert_eq!(
            swept.status.code(),
            Some(0),
            "{backend}: {}",
            text(&swept.stderr)
        );
        assert_eq!(connected.rows(logins), ["100", "101"], "{backend}");
        database.drop_schema();
    }
}
