//! The SQLite backend: one file, WAL mode, shared safely with other processes.
//!
//! Several processes may use the file at once (a running server and a `skydd token` command).
//! WAL lets readers run beside the one writer; a writer that finds the database locked waits up
//! to [`BUSY_TIMEOUT`]. Every transaction that reads before it writes starts with
//! `BEGIN IMMEDIATE`, taking the write lock first: a deferred transaction could not upgrade its
//! read to a write if another process wrote meanwhile, and would fail instead of waiting.

use std::path::Path;
use std::time::Duration;

use jiff::Timestamp;
use skydd_crypto::{Role, TokenHash, TokenId};
use sqlx::sqlite::{
    SqliteConnectOptions, SqlitePool, SqlitePoolOptions, SqliteRow, SqliteSynchronous,
};
use sqlx::{Row, SqliteConnection};

use crate::migration::{self, Applied};
use crate::{
    ApiTokenRecord, Backend, KeyBinding, RegisterVersionRecord, Storage, StorageError,
    StorageFuture, error, timestamp,
};

/// How long a writer waits for another connection or process to finish writing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The key of the master key check in `skydd_meta`.
const MASTER_KEY_CHECK: &str = "master_key_check";

/// Skydd's storage in a SQLite file.
pub(crate) struct SqliteStorage {
    pool: SqlitePool,
}

impl SqliteStorage {
    /// Open (creating the file if missing) the database at `path` and migrate it.
    pub(crate) async fn open(path: &Path) -> Result<SqliteStorage, StorageError> {
        let target = format!("SQLite database {}", path.display());
        if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty())
            && !dir.is_dir()
        {
            return Err(StorageError::Connect(format!(
                "{target}: the directory {} does not exist",
                dir.display()
            )));
        }
        // WAL mode is switched on by `use_wal` below, not by a pragma on every connection.
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            // In WAL mode NORMAL loses no committed transaction on a crash of the process,
            // only possibly the last ones on a power loss, and never corrupts the database.
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(BUSY_TIMEOUT)
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .connect_with(options)
            .await
            .map_err(error::connect(&target))?;
        let storage = SqliteStorage { pool };
        let prepared = async {
            storage.use_wal(&target).await?;
            storage.migrate().await
        };
        if let Err(e) = prepared.await {
            storage.pool.close().await;
            return Err(e);
        }
        Ok(storage)
    }

    /// Put the database in WAL mode (a lasting property of the file, so only the first start
    /// changes anything).
    ///
    /// Switching needs an exclusive lock that SQLite's busy timeout does not wait for: when
    /// several processes create the database at once, all but one may see "database is locked".
    /// They retry here for about [`BUSY_TIMEOUT`].
    async fn use_wal(&self, target: &str) -> Result<(), StorageError> {
        const PAUSE: Duration = Duration::from_millis(25);
        let mut waited = Duration::ZERO;
        loop {
            let switched = sqlx::query_scalar::<_, String>("PRAGMA journal_mode = WAL")
                .fetch_one(&self.pool)
                .await;
            match switched {
                Ok(mode) if mode.eq_ignore_ascii_case("wal") => return Ok(()),
                Ok(mode) => {
                    return Err(StorageError::Connect(format!(
                        "{target}: SQLite cannot use WAL mode for this file (it stays in {mode} \
                         mode); put the data directory on a local file system"
                    )));
                }
                Err(e) if is_busy(&e) && waited < BUSY_TIMEOUT => {
                    tokio::time::sleep(PAUSE).await;
                    waited += PAUSE;
                }
                Err(e) => return Err(error::connect(target)(e)),
            }
        }
    }

    /// Apply pending migrations, one transaction each, holding the write lock while deciding.
    async fn migrate(&self) -> Result<(), StorageError> {
        loop {
            let mut tx = self
                .pool
                .begin_with("BEGIN IMMEDIATE")
                .await
                .map_err(error::query("lock the database for migration"))?;
            sqlx::raw_sql(
                "CREATE TABLE IF NOT EXISTS skydd_migrations (
                    version    INTEGER PRIMARY KEY NOT NULL,
                    name       TEXT NOT NULL,
                    checksum   TEXT NOT NULL,
                    applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
                ) STRICT",
            )
            .execute(&mut *tx)
            .await
            .map_err(error::query("create skydd_migrations"))?;
            let applied = read_applied(&mut tx).await?;
            let Some(next) = migration::next_pending(migration::SQLITE, &applied)? else {
                tx.commit()
                    .await
                    .map_err(error::query("commit skydd_migrations"))?;
                return Ok(());
            };
            sqlx::raw_sql(next.sql)
                .execute(&mut *tx)
                .await
                .map_err(error::query(&format!(
                    "apply migration {} ({})",
                    next.version, next.name
                )))?;
            sqlx::query("INSERT INTO skydd_migrations (version, name, checksum) VALUES (?, ?, ?)")
                .bind(next.version)
                .bind(next.name)
                .bind(next.checksum())
                .execute(&mut *tx)
                .await
                .map_err(error::query("record a migration"))?;
            tx.commit()
                .await
                .map_err(error::query("commit a migration"))?;
            tracing::info!(
                version = next.version,
                name = next.name,
                "applied SQLite migration"
            );
        }
    }
}

/// Whether `error` is SQLITE_BUSY ("database is locked"), with any extended code.
fn is_busy(error: &sqlx::Error) -> bool {
    const SQLITE_BUSY: i32 = 5;
    matches!(error, sqlx::Error::Database(db)
        if db.code().and_then(|code| code.parse::<i32>().ok()).is_some_and(|code| code & 0xff == SQLITE_BUSY))
}

async fn read_applied(conn: &mut SqliteConnection) -> Result<Vec<Applied>, StorageError> {
    let rows = sqlx::query("SELECT version, checksum FROM skydd_migrations ORDER BY version")
        .fetch_all(conn)
        .await
        .map_err(error::query("read skydd_migrations"))?;
    rows.iter()
        .map(|row| {
            Ok(Applied {
                version: row
                    .try_get("version")
                    .map_err(error::query("read skydd_migrations"))?,
                checksum: row
                    .try_get("checksum")
                    .map_err(error::query("read skydd_migrations"))?,
            })
        })
        .collect()
}

/// The columns of `api_tokens` that [`token_from_row`] reads, for `concat!`.
macro_rules! token_columns {
    () => {
        "id, hash, role, label, created_at, revoked_at"
    };
}

fn token_from_row(row: &SqliteRow) -> Result<ApiTokenRecord, StorageError> {
    let text = |column: &str| -> Result<String, StorageError> {
        row.try_get(column).map_err(error::query("read api_tokens"))
    };
    let id = TokenId(text("id")?);
    let role = text("role")?;
    let role: Role = role.parse().map_err(|_| {
        StorageError::Database(format!("API token {id} has an unknown role {role:?}"))
    })?;
    let revoked_at: Option<String> = row
        .try_get("revoked_at")
        .map_err(error::query("read api_tokens"))?;
    Ok(ApiTokenRecord {
        hash: TokenHash(text("hash")?),
        role,
        label: text("label")?,
        created_at: timestamp::from_sqlite(&text("created_at")?, "api_tokens.created_at")?,
        revoked_at: revoked_at
            .map(|text| timestamp::from_sqlite(&text, "api_tokens.revoked_at"))
            .transpose()?,
        id,
    })
}

fn register_version_from_row(row: &SqliteRow) -> Result<RegisterVersionRecord, StorageError> {
    let get = |column: &str| -> Result<String, StorageError> {
        row.try_get(column)
            .map_err(error::query("read register_versions"))
    };
    Ok(RegisterVersionRecord {
        digest: get("digest")?,
        published: get("published")?,
        first_loaded_at: timestamp::from_sqlite(
            &get("first_loaded_at")?,
            "register_versions.first_loaded_at",
        )?,
        content: get("content")?,
    })
}

fn duplicate_token(token: &ApiTokenRecord) -> impl FnOnce(sqlx::Error) -> StorageError + '_ {
    move |e| {
        if error::is_unique_violation(&e) {
            StorageError::Conflict(format!(
                "an API token with id {} or the same hash",
                token.id
            ))
        } else {
            error::query("insert API token")(e)
        }
    }
}

impl Storage for SqliteStorage {
    fn backend(&self) -> Backend {
        Backend::Sqlite
    }

    fn schema_version(&self) -> StorageFuture<'_, i64> {
        Box::pin(async move {
            sqlx::query_scalar("SELECT COALESCE(MAX(version), 0) FROM skydd_migrations")
                .fetch_one(&self.pool)
                .await
                .map_err(error::query("read the schema version"))
        })
    }

    fn bind_master_key<'a>(&'a self, check: &'a str) -> StorageFuture<'a, KeyBinding> {
        Box::pin(async move {
            let inserted = sqlx::query(
                "INSERT INTO skydd_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING",
            )
            .bind(MASTER_KEY_CHECK)
            .bind(check)
            .execute(&self.pool)
            .await
            .map_err(error::query("store the master key check"))?;
            if inserted.rows_affected() == 1 {
                return Ok(KeyBinding::NewlyBound);
            }
            let stored: String = sqlx::query_scalar("SELECT value FROM skydd_meta WHERE key = ?")
                .bind(MASTER_KEY_CHECK)
                .fetch_one(&self.pool)
                .await
                .map_err(error::query("read the master key check"))?;
            Ok(if stored == check {
                KeyBinding::Matches
            } else {
                KeyBinding::Mismatch
            })
        })
    }

    fn insert_token(&self, token: ApiTokenRecord) -> StorageFuture<'_, ()> {
        Box::pin(async move {
            sqlx::query(
                "INSERT INTO api_tokens (id, hash, role, label, created_at, revoked_at)
                 VALUES (?, ?, ?, ?, ?, ?)",
            )
            .bind(&token.id.0)
            .bind(&token.hash.0)
            .bind(token.role.as_str())
            .bind(&token.label)
            .bind(timestamp::to_sqlite(token.created_at))
            .bind(token.revoked_at.map(timestamp::to_sqlite))
            .execute(&self.pool)
            .await
            .map_err(duplicate_token(&token))?;
            Ok(())
        })
    }

    fn insert_first_token(&self, token: ApiTokenRecord) -> StorageFuture<'_, bool> {
        Box::pin(async move {
            // The write lock makes "no token yet" and the insert one step for every process.
            let mut tx = self
                .pool
                .begin_with("BEGIN IMMEDIATE")
                .await
                .map_err(error::query("lock the database for the first token"))?;
            let inserted = sqlx::query(
                "INSERT INTO api_tokens (id, hash, role, label, created_at, revoked_at)
                 SELECT ?, ?, ?, ?, ?, ?
                 WHERE NOT EXISTS (SELECT 1 FROM api_tokens)",
            )
            .bind(&token.id.0)
            .bind(&token.hash.0)
            .bind(token.role.as_str())
            .bind(&token.label)
            .bind(timestamp::to_sqlite(token.created_at))
            .bind(token.revoked_at.map(timestamp::to_sqlite))
            .execute(&mut *tx)
            .await
            .map_err(duplicate_token(&token))?;
            tx.commit()
                .await
                .map_err(error::query("commit the first token"))?;
            Ok(inserted.rows_affected() == 1)
        })
    }

    fn find_active_token<'a>(
        &'a self,
        hash: &'a TokenHash,
    ) -> StorageFuture<'a, Option<ApiTokenRecord>> {
        Box::pin(async move {
            let row = sqlx::query(concat!(
                "SELECT ",
                token_columns!(),
                " FROM api_tokens WHERE hash = ? AND revoked_at IS NULL"
            ))
            .bind(&hash.0)
            .fetch_optional(&self.pool)
            .await
            .map_err(error::query("find an API token"))?;
            row.as_ref().map(token_from_row).transpose()
        })
    }

    fn list_tokens(&self) -> StorageFuture<'_, Vec<ApiTokenRecord>> {
        Box::pin(async move {
            let rows = sqlx::query(concat!(
                "SELECT ",
                token_columns!(),
                " FROM api_tokens ORDER BY created_at, id"
            ))
            .fetch_all(&self.pool)
            .await
            .map_err(error::query("list API tokens"))?;
            rows.iter().map(token_from_row).collect()
        })
    }

    fn revoke_token<'a>(&'a self, id: &'a TokenId, at: Timestamp) -> StorageFuture<'a, bool> {
        Box::pin(async move {
            let revoked = sqlx::query(
                "UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
            )
            .bind(timestamp::to_sqlite(at))
            .bind(&id.0)
            .execute(&self.pool)
            .await
            .map_err(error::query("revoke an API token"))?;
            Ok(revoked.rows_affected() == 1)
        })
    }

    fn record_register_version(&self, version: RegisterVersionRecord) -> StorageFuture<'_, bool> {
        Box::pin(async move {
            let inserted = sqlx::query(
                "INSERT INTO register_versions (digest, published, first_loaded_at, content)
                 VALUES (?, ?, ?, ?)
                 ON CONFLICT (digest) DO NOTHING",
            )
            .bind(&version.digest)
            .bind(&version.published)
            .bind(timestamp::to_sqlite(version.first_loaded_at))
            .bind(&version.content)
            .execute(&self.pool)
            .await
            .map_err(error::query("record a register version"))?;
            Ok(inserted.rows_affected() == 1)
        })
    }

    fn list_register_versions(&self) -> StorageFuture<'_, Vec<RegisterVersionRecord>> {
        Box::pin(async move {
            let rows = sqlx::query(
                "SELECT digest, published, first_loaded_at, content FROM register_versions
                 ORDER BY first_loaded_at, digest",
            )
            .fetch_all(&self.pool)
            .await
            .map_err(error::query("list register versions"))?;
            rows.iter().map(register_version_from_row).collect()
        })
    }

    fn close(&self) -> StorageFuture<'_, ()> {
        Box::pin(async move {
            self.pool.close().await;
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    /// Several processes creating the database at once all open it. Switching to WAL mode is
    /// where this used to fail ("database is locked") about once in a hundred opens, hence the
    /// many rounds.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_first_opens_all_succeed() {
        for _ in 0..40 {
            let dir = Arc::new(tempfile::tempdir().unwrap());
            let opening: Vec<_> = (0..6)
                .map(|_| {
                    let dir = Arc::clone(&dir);
                    tokio::spawn(
                        async move { SqliteStorage::open(&dir.path().join("skydd.db")).await },
                    )
                })
                .collect();
            for task in opening {
                let storage = task.await.unwrap().unwrap();
                let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
                    .fetch_one(&storage.pool)
                    .await
                    .unwrap();
                assert_eq!(mode, "wal");
                storage.pool.close().await;
            }
        }
    }

    #[tokio::test]
    async fn a_missing_directory_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing").join("skydd.db");
        let error = SqliteStorage::open(&path).await.err().unwrap();
        let message = error.to_string();
        assert!(
            message.starts_with("cannot open the database: SQLite database "),
            "{message}"
        );
        assert!(message.ends_with("missing does not exist"), "{message}");
    }
}
