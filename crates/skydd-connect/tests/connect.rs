//! skydd-connect against real databases: ethyca/fides' example database loaded into a fresh
//! PostgreSQL database, a fresh MariaDB database and a SQLite file, checked live against
//! `examples/datasets/fides-example.yaml`, broken, checked again, and drafted by introspection.
//!
//! PostgreSQL needs `SKYDD_TEST_DATABASE_URL`, MariaDB `SKYDD_TEST_MYSQL_URL`; on a laptop
//! without them those suites skip and say so on stderr, in CI (`CI` set) they fail.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write as _;
use std::str::FromStr as _;
use std::sync::{LazyLock, Once};

use skydd_connect::{Database, DatabaseUrl, Schema};
use skydd_dataset::{DatabaseKind, Dataset};
use skydd_register::{Diagnostic, Register};
use sqlx::{ConnectOptions as _, Connection as _};

#[path = "connect/access.rs"]
mod access;
#[path = "connect/draft.rs"]
mod draft;
#[path = "connect/erase.rs"]
mod erase;
#[path = "connect/live.rs"]
mod live;
#[path = "connect/rectify.rs"]
mod rectify;
#[path = "connect/secrets.rs"]
mod secrets;
#[path = "connect/sweep.rs"]
mod sweep;

/// ethyca/fides' example database as Fides ships it, for PostgreSQL (`postgres_sample.sql`,
/// Apache License 2.0, copied unchanged so the suite needs nothing outside the repository).
const FIDES_POSTGRES: &str = include_str!("connect/postgres.sql");
/// The same, translated for MariaDB.
const FIDES_MARIADB: &str = include_str!("connect/mariadb.sql");
/// The same, translated for SQLite.
const FIDES_SQLITE: &str = include_str!("connect/sqlite.sql");
/// Skydd's dataset for it (PostgreSQL, schema `public`).
const FIDES_DATASET: &str = include_str!("../../../examples/datasets/fides-example.yaml");

/// The register the example dataset is mapped to.
static GLESYS: LazyLock<Register> = LazyLock::new(|| {
    skydd_register::check(include_str!("../../../examples/registers/glesys.yaml"))
        .register
        .expect("the GleSYS register is valid")
});

/// A fresh database of one kind, loaded with nothing yet; dropped by [`Target::finish`].
enum Target {
    Postgres {
        admin: String,
        name: String,
    },
    Mysql {
        admin: String,
        name: String,
    },
    Sqlite {
        _dir: tempfile::TempDir,
        path: std::path::PathBuf,
    },
}

/// A name no other test run uses.
fn unique(prefix: &str) -> String {
    use std::hash::{BuildHasher as _, RandomState};
    static COUNT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = COUNT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let h = RandomState::new().hash_one((std::process::id(), n));
    format!("{prefix}_{h:016x}")
}

/// The server URL from `var`, or `None` (after a note) when it is unset outside CI.
fn server(var: &str, what: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var_os("CI").is_some() => {
            panic!("CI must run the skydd-connect {what} suite: set {var}")
        }
        _ => {
            static NOTE: Once = Once::new();
            NOTE.call_once(|| {
                // Written straight to stderr: libtest captures eprintln! of passing tests.
                let _ = std::io::stderr().write_all(
                    format!("note: skipped skydd-connect suites that need a server (set SKYDD_TEST_DATABASE_URL and SKYDD_TEST_MYSQL_URL); {var} is unset\n").as_bytes(),
                );
            });
            None
        }
    }
}

/// `url` with its database (the last path segment) replaced by `name`, its query kept.
fn with_database(url: &str, name: &str) -> String {
    let (address, query) = match url.split_once('?') {
        Some((address, query)) => (address, format!("?{query}")),
        None => (url, String::new()),
    };
    let (base, _) = address.rsplit_once('/').expect("the URL names a database");
    format!("{base}/{name}{query}")
}

impl Target {
    async fn postgres() -> Option<Target> {
        let admin = server("SKYDD_TEST_DATABASE_URL", "PostgreSQL")?;
        let name = unique("skydd_connect");
        let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await
            .unwrap();
        conn.close().await.unwrap();
        Some(Target::Postgres { admin, name })
    }

    async fn mysql() -> Option<Target> {
        let admin = server("SKYDD_TEST_MYSQL_URL", "MariaDB")?;
        let name = unique("skydd_connect");
        let mut conn = sqlx::MySqlConnection::connect(&admin).await.unwrap();
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await
            .unwrap();
        conn.close().await.unwrap();
        Some(Target::Mysql { admin, name })
    }

    fn sqlite() -> Target {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fides.db");
        std::fs::File::create(&path).unwrap();
        Target::Sqlite { _dir: dir, path }
    }

    /// Every target this machine can run, each fresh.
    async fn all() -> Vec<Target> {
        let mut all = Vec::new();
        all.extend(Target::postgres().await);
        all.extend(Target::mysql().await);
        all.push(Target::sqlite());
        all
    }

    /// Another fresh, empty database of the same kind (a restored backup, say).
    async fn fresh(&self) -> Target {
        match self {
            Target::Postgres { .. } => Target::postgres().await.unwrap(),
            Target::Mysql { .. } => Target::mysql().await.unwrap(),
            Target::Sqlite { .. } => Target::sqlite(),
        }
    }

    fn kind(&self) -> DatabaseKind {
        match self {
            Target::Postgres { .. } => DatabaseKind::Postgres,
            Target::Mysql { .. } => DatabaseKind::Mysql,
            Target::Sqlite { .. } => DatabaseKind::Sqlite,
        }
    }

    /// The URL of the test database (with credentials, as a dataset's connection would hold).
    fn url(&self) -> String {
        match self {
            Target::Postgres { admin, name } | Target::Mysql { admin, name } => {
                with_database(admin, name)
            }
            Target::Sqlite { path, .. } => format!("sqlite://{}", path.display()),
        }
    }

    /// Run SQL directly (one or more statements), failing the test on an error.
    async fn execute(&self, sql: &str) {
        if let Err(error) = self.try_execute(sql).await {
            panic!("{sql}: {error}");
        }
    }

    async fn try_execute(&self, sql: &str) -> Result<(), String> {
        let sql = sqlx::AssertSqlSafe(sql.to_owned());
        let url = self.url();
        let outcome = match self {
            Target::Postgres { .. } => {
                let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
                sqlx::raw_sql(sql).execute(&mut conn).await.map(|_| ())
            }
            Target::Mysql { .. } => {
                let mut conn = sqlx::MySqlConnection::connect(&url).await.unwrap();
                sqlx::raw_sql(sql).execute(&mut conn).await.map(|_| ())
            }
            Target::Sqlite { .. } => {
                let mut conn = sqlx::sqlite::SqliteConnectOptions::from_str(&url)
                    .unwrap()
                    .connect()
                    .await
                    .unwrap();
                sqlx::raw_sql(sql).execute(&mut conn).await.map(|_| ())
            }
        };
        outcome.map_err(|e| e.to_string())
    }

    /// Load ethyca/fides' example database.
    async fn load_fides(&self) {
        match self {
            Target::Postgres { .. } => self.execute(FIDES_POSTGRES).await,
            Target::Mysql { .. } => self.execute(FIDES_MARIADB).await,
            Target::Sqlite { .. } => self.execute(FIDES_SQLITE).await,
        }
    }

    /// Connect as Skydd does (read-only on SQLite) and read the schema.
    async fn schema(&self) -> Schema {
        let url = DatabaseUrl::new(self.url());
        let mut db = Database::connect(self.kind(), &url, None).await.unwrap();
        let schema = db.schema().await.unwrap();
        db.close().await;
        schema
    }

    /// The example dataset, written for this kind of database.
    fn fides_dataset(&self) -> String {
        match self {
            Target::Postgres { .. } => FIDES_DATASET.to_owned(),
            Target::Mysql { .. } => FIDES_DATASET
                .replace("kind: postgres", "kind: mysql")
                .replace("    schema: public\n", ""),
            Target::Sqlite { .. } => FIDES_DATASET
                .replace("kind: postgres", "kind: sqlite")
                .replace("    schema: public\n", "")
                .replace("tls:\n", "")
                .replace("  # The example database runs on the same host; a remote one would use `verify-full`.\n  mode: disable\n", ""),
        }
    }

    /// Drop the database now (the SQLite file goes with its directory); a test that panics
    /// before this drops it in [`Drop`].
    async fn finish(mut self) {
        self.drop_database().await;
    }

    async fn drop_database(&mut self) {
        match self {
            Target::Postgres { admin, name } if !name.is_empty() => {
                let mut conn = sqlx::PgConnection::connect(admin).await.unwrap();
                let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                    .execute(&mut conn)
                    .await
                    .unwrap();
                name.clear();
            }
            Target::Mysql { admin, name } if !name.is_empty() => {
                let mut conn = sqlx::MySqlConnection::connect(admin).await.unwrap();
                let sql = format!("DROP DATABASE IF EXISTS {name}");
                sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                    .execute(&mut conn)
                    .await
                    .unwrap();
                name.clear();
            }
            _ => {}
        }
    }
}

impl Drop for Target {
    fn drop(&mut self) {
        let pending = match self {
            Target::Postgres { name, .. } | Target::Mysql { name, .. } => !name.is_empty(),
            Target::Sqlite { .. } => false,
        };
        if pending {
            // After a panic: drop the database on a thread of its own (this may run inside the
            // test's runtime, which cannot be blocked on).
            std::thread::scope(|scope| {
                scope.spawn(|| {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .unwrap();
                    let _ = runtime.block_on(async {
                        tokio::time::timeout(
                            std::time::Duration::from_secs(10),
                            self.drop_database(),
                        )
                        .await
                    });
                });
            });
        }
    }
}

/// Check `source` as a file against the register, requiring it to be valid.
fn checked(source: &str) -> Dataset {
    let checked = skydd_dataset::check(source, Some(&GLESYS));
    let errors: Vec<&Diagnostic> = checked
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .collect();
    assert!(errors.is_empty(), "{errors:#?}\n{source}");
    checked.dataset.unwrap()
}

/// The 1-based line of the first line of `source` containing `needle` (after `after`, when
/// given: the line of a key inside a collection).
fn line_of(source: &str, after: &str, needle: &str) -> usize {
    let start = source.find(after).expect("the anchor is in the source");
    let offset = source[start..]
        .find(needle)
        .expect("the needle follows the anchor")
        + start;
    source[..offset].matches('\n').count() + 1
}
