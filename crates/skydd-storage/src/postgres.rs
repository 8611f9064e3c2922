//! The PostgreSQL backend, shared by any number of Skydd servers.
//!
//! Steps that must not interleave between servers (applying migrations, creating the schema,
//! storing the first token) run in a transaction that first takes a transaction-scoped advisory
//! lock (`pg_advisory_xact_lock`), released by the commit. The lock keys are fixed numbers, so
//! Skydd installations in different schemas of one database share them: they wait for each other
//! briefly at those steps and are otherwise independent.

use std::str::FromStr;

use jiff::Timestamp;
use skydd_crypto::{Role, TokenHash, TokenId};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions, PgRow};
use sqlx::{Connection, PgConnection, Row};

use crate::migration::{self, Applied};
use crate::{
    ApiTokenRecord, Backend, KeyBinding, RegisterVersionRecord, Storage, StorageError,
    StorageFuture, error, timestamp,
};

/// Advisory lock held while creating the schema and applying migrations ("skydd_mg" in ASCII).
const MIGRATION_LOCK: i64 = 0x736b_7964_645f_6d67;

/// Advisory lock held while storing the first token ("skydd_ft" in ASCII).
const FIRST_TOKEN_LOCK: i64 = 0x736b_7964_645f_6674;

/// The key of the master key check in `skydd_meta`.
const MASTER_KEY_CHECK: &str = "master_key_check";

/// Skydd's storage in a PostgreSQL database.
pub(crate) struct PostgresStorage {
    pool: PgPool,
}

impl PostgresStorage {
    /// Connect to `url`, optionally keeping every table in `schema` (created if needed), and
    /// migrate the database.
    pub(crate) async fn open(
        url: &str,
        schema: Option<&str>,
    ) -> Result<PostgresStorage, StorageError> {
        let options =
            PgConnectOptions::from_str(url).map_err(error::connect("invalid PostgreSQL URL"))?;
        let target = format!(
            "PostgreSQL database {} at {}:{}",
            options.get_database().unwrap_or(options.get_username()),
            options.get_host(),
            options.get_port()
        );
        let options = match schema {
            Some(schema) => {
                check_schema_name(schema)?;
                options.options([("search_path", schema)])
            }
            None => options,
        };
        // One plain connection first: it fails at once with the real cause (the pool would retry
        // for its whole acquire timeout and then report only "timed out"), and runs migrations.
        let mut conn = PgConnection::connect_with(&options)
            .await
            .map_err(error::connect(&target))?;
        let prepared = async {
            if let Some(schema) = schema {
                create_schema(&mut conn, schema).await?;
            }
            migrate(&mut conn).await
        }
        .await;
        // Closing only says goodbye to the server; a failure there changes nothing.
        let _ = conn.close().await;
        prepared?;
        let pool = PgPoolOptions::new().connect_lazy_with(options);
        Ok(PostgresStorage { pool })
    }
}

/// Create `schema` unless it exists. Checking first avoids needing the CREATE privilege on the
/// database when the schema was made by an administrator.
async fn create_schema(conn: &mut PgConnection, schema: &str) -> Result<(), StorageError> {
    let mut tx = conn
        .begin()
        .await
        .map_err(error::query("create the schema"))?;
    lock(&mut tx, MIGRATION_LOCK).await?;
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)")
            .bind(schema)
            .fetch_one(&mut *tx)
            .await
            .map_err(error::query("look for the schema"))?;
    if !exists {
        // The name was checked to be a plain identifier, so quoting it is enough.
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE SCHEMA \"{schema}\"")))
            .execute(&mut *tx)
            .await
            .map_err(error::query("create the schema"))?;
        tracing::info!(schema, "created PostgreSQL schema");
    }
    tx.commit().await.map_err(error::query("create the schema"))
}

/// Apply pending migrations, one transaction each, under the migration lock.
async fn migrate(conn: &mut PgConnection) -> Result<(), StorageError> {
    loop {
        let mut tx = conn
            .begin()
            .await
            .map_err(error::query("begin a migration"))?;
        lock(&mut tx, MIGRATION_LOCK).await?;
        // Looking first (rather than CREATE TABLE IF NOT EXISTS) keeps PostgreSQL from
        // logging a notice on every start.
        let exists: bool = sqlx::query_scalar("SELECT to_regclass('skydd_migrations') IS NOT NULL")
            .fetch_one(&mut *tx)
            .await
            .map_err(error::query("look for skydd_migrations"))?;
        if !exists {
            sqlx::raw_sql(
                "CREATE TABLE skydd_migrations (
                    version    bigint PRIMARY KEY,
                    name       text NOT NULL,
                    checksum   text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now()
                )",
            )
            .execute(&mut *tx)
            .await
            .map_err(error::query("create skydd_migrations"))?;
        }
        let applied = read_applied(&mut tx).await?;
        let Some(next) = migration::next_pending(migration::POSTGRES, &applied)? else {
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
        sqlx::query("INSERT INTO skydd_migrations (version, name, checksum) VALUES ($1, $2, $3)")
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
            "applied PostgreSQL migration"
        );
    }
}

/// Drop `schema` and everything in it: a whole Skydd installation kept with
/// [`crate::open_postgres_in_schema`], or a test's schema.
pub(crate) async fn drop_schema(url: &str, schema: &str) -> Result<(), StorageError> {
    check_schema_name(schema)?;
    let options =
        PgConnectOptions::from_str(url).map_err(error::connect("invalid PostgreSQL URL"))?;
    let mut conn = PgConnection::connect_with(&options)
        .await
        .map_err(error::connect("PostgreSQL database"))?;
    // The name was checked to be a plain identifier, so quoting it is enough.
    let dropped = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"
    )))
    .execute(&mut conn)
    .await
    .map_err(error::query("drop the schema"));
    // Closing only says goodbye to the server; a failure there changes nothing.
    let _ = conn.close().await;
    dropped.map(|_| ())
}

/// Refuse a schema name that would need quoting: `[a-z_][a-z0-9_]*`, at most 63 bytes.
fn check_schema_name(schema: &str) -> Result<(), StorageError> {
    let mut bytes = schema.bytes();
    let first_ok = bytes
        .next()
        .is_some_and(|b| b.is_ascii_lowercase() || b == b'_');
    let rest_ok = bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if first_ok && rest_ok && schema.len() <= 63 {
        Ok(())
    } else {
        Err(StorageError::Connect(format!(
            "invalid PostgreSQL schema name {schema:?}: use lowercase letters, digits and _, \
             not starting with a digit, at most 63 characters"
        )))
    }
}

/// Take the transaction-scoped advisory lock `key`; the commit or rollback releases it.
async fn lock(conn: &mut PgConnection, key: i64) -> Result<(), StorageError> {
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(key)
        .execute(conn)
        .await
        .map_err(error::query("take an advisory lock"))?;
    Ok(())
}

async fn read_applied(conn: &mut PgConnection) -> Result<Vec<Applied>, StorageError> {
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

fn token_from_row(row: &PgRow) -> Result<ApiTokenRecord, StorageError> {
    let text = |column: &str| -> Result<String, StorageError> {
        row.try_get(column).map_err(error::query("read api_tokens"))
    };
    let id = TokenId(text("id")?);
    let role = text("role")?;
    let role: Role = role.parse().map_err(|_| {
        StorageError::Database(format!("API token {id} has an unknown role {role:?}"))
    })?;
    let created_at: jiff_sqlx::Timestamp = row
        .try_get("created_at")
        .map_err(error::query("read api_tokens"))?;
    let revoked_at: Option<jiff_sqlx::Timestamp> = row
        .try_get("revoked_at")
        .map_err(error::query("read api_tokens"))?;
    Ok(ApiTokenRecord {
        hash: TokenHash(text("hash")?),
        role,
        label: text("label")?,
        created_at: created_at.to_jiff(),
        revoked_at: revoked_at.map(|at| at.to_jiff()),
        id,
    })
}

fn register_version_from_row(row: &PgRow) -> Result<RegisterVersionRecord, StorageError> {
    let text = |column: &str| -> Result<String, StorageError> {
        row.try_get(column)
            .map_err(error::query("read register_versions"))
    };
    let first_loaded_at: jiff_sqlx::Timestamp = row
        .try_get("first_loaded_at")
        .map_err(error::query("read register_versions"))?;
    Ok(RegisterVersionRecord {
        digest: text("digest")?,
        published: text("published")?,
        first_loaded_at: first_loaded_at.to_jiff(),
        content: text("content")?,
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

impl Storage for PostgresStorage {
    fn backend(&self) -> Backend {
        Backend::Postgres
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
                "INSERT INTO skydd_meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
            )
            .bind(MASTER_KEY_CHECK)
            .bind(check)
            .execute(&self.pool)
            .await
            .map_err(error::query("store the master key check"))?;
            if inserted.rows_affected() == 1 {
                return Ok(KeyBinding::NewlyBound);
            }
            let stored: String = sqlx::query_scalar("SELECT value FROM skydd_meta WHERE key = $1")
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
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(&token.id.0)
            .bind(&token.hash.0)
            .bind(token.role.as_str())
            .bind(&token.label)
            .bind(timestamp::to_postgres(token.created_at))
            .bind(token.revoked_at.map(timestamp::to_postgres))
            .execute(&self.pool)
            .await
            .map_err(duplicate_token(&token))?;
            Ok(())
        })
    }

    fn insert_first_token(&self, token: ApiTokenRecord) -> StorageFuture<'_, bool> {
        Box::pin(async move {
            // Under the lock, the statement's snapshot (taken after the lock was granted, in
            // READ COMMITTED) sees any token committed by the previous holder.
            let mut tx = self
                .pool
                .begin()
                .await
                .map_err(error::query("begin the first token"))?;
            lock(&mut tx, FIRST_TOKEN_LOCK).await?;
            let inserted = sqlx::query(
                "INSERT INTO api_tokens (id, hash, role, label, created_at, revoked_at)
                 SELECT $1, $2, $3, $4, $5, $6
                 WHERE NOT EXISTS (SELECT 1 FROM api_tokens)",
            )
            .bind(&token.id.0)
            .bind(&token.hash.0)
            .bind(token.role.as_str())
            .bind(&token.label)
            .bind(timestamp::to_postgres(token.created_at))
            .bind(token.revoked_at.map(timestamp::to_postgres))
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
                " FROM api_tokens WHERE hash = $1 AND revoked_at IS NULL"
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
                "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
            )
            .bind(timestamp::to_postgres(at))
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
                 VALUES ($1, $2, $3, $4)
                 ON CONFLICT (digest) DO NOTHING",
            )
            .bind(&version.digest)
            .bind(&version.published)
            .bind(timestamp::to_postgres(version.first_loaded_at))
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

    /// Nothing listens on port 1 of the loopback address: the error comes at once, says where,
    /// and does not show the password.
    #[tokio::test]
    async fn connection_errors_name_the_server_but_not_the_password() {
        let url = "postgres://skydd:hunter2@127.0.0.1:1/prod";
        let error = PostgresStorage::open(url, None).await.err().unwrap();
        let message = error.to_string();
        assert!(matches!(error, StorageError::Connect(_)), "{error:?}");
        assert!(
            message
                .starts_with("cannot open the database: PostgreSQL database prod at 127.0.0.1:1: "),
            "{message}"
        );
        assert!(!message.contains("hunter2"), "{message}");

        let error = PostgresStorage::open("postgres://u:hunter2@h/db?sslmode=bogus", None).await;
        let message = error.err().unwrap().to_string();
        assert!(message.contains("invalid PostgreSQL URL"), "{message}");
        assert!(!message.contains("hunter2"), "{message}");
    }

    #[test]
    fn schema_names_must_be_plain_identifiers() {
        for good in ["skydd", "_x", "skydd_test_0123abcd", &"a".repeat(63)] {
            assert!(check_schema_name(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "1abc",
            "Skydd",
            "a-b",
            "a b",
            "a\"b",
            "å",
            &"a".repeat(64),
        ] {
            assert!(check_schema_name(bad).is_err(), "{bad}");
        }
    }
}
