//! Contention is an answer (issue 14): a write that waits for a lock another process holds
//! longer than the busy timeout (SQLite) or `lock_timeout` (PostgreSQL) fails with
//! `StorageError::Busy`, writes nothing, and succeeds once the lock is released.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use skydd_storage::{Location, OpenOptions, StorageError, open_postgres_in_schema, open_with};
use sqlx::Connection;

use super::{Harness, token};

pub(super) async fn a_lock_held_beyond_the_timeout_is_busy_and_nothing_is_written(h: Arc<Harness>) {
    // Migrated by the usual open first, so that the lock below is the only thing waited for.
    h.open().await.close().await.unwrap();
    let (storage, other) = match &*h {
        Harness::Sqlite { path, .. } => {
            let options = OpenOptions {
                busy_timeout: Duration::from_millis(200),
                ..OpenOptions::default()
            };
            let storage = open_with(&Location::Sqlite(path.clone()), &options)
                .await
                .unwrap();
            let mut conn = sqlx::SqliteConnection::connect_with(
                &sqlx::sqlite::SqliteConnectOptions::new().filename(path),
            )
            .await
            .unwrap();
            sqlx::raw_sql("BEGIN IMMEDIATE")
                .execute(&mut conn)
                .await
                .unwrap();
            (storage, LockHolder::Sqlite(conn))
        }
        Harness::Postgres { url, schema } => {
            let separator = if url.contains('?') { '&' } else { '?' };
            let with_timeout = format!("{url}{separator}options=-c%20lock_timeout%3D200ms");
            let storage = open_postgres_in_schema(&with_timeout, schema)
                .await
                .unwrap();
            let options = sqlx::postgres::PgConnectOptions::from_str(url)
                .unwrap()
                .options([("search_path", schema.as_str())]);
            let mut conn = sqlx::PgConnection::connect_with(&options).await.unwrap();
            sqlx::raw_sql("BEGIN; LOCK TABLE api_tokens IN ACCESS EXCLUSIVE MODE")
                .execute(&mut conn)
                .await
                .unwrap();
            (storage, LockHolder::Postgres(conn))
        }
    };

    let first = token("00000000000000b1", "admin", "2025-02-01T12:00:00Z");
    let error = storage.insert_token(first.clone()).await.unwrap_err();
    assert!(matches!(error, StorageError::Busy(_)), "{error:?}");
    assert!(
        error.to_string().starts_with("the database is busy"),
        "{error}"
    );

    other.release().await;
    storage.insert_token(first).await.unwrap();
    assert_eq!(storage.list_tokens().await.unwrap().len(), 1);
    storage.close().await.unwrap();
}

/// Another process's connection, holding a lock until released.
enum LockHolder {
    Sqlite(sqlx::SqliteConnection),
    Postgres(sqlx::PgConnection),
}

impl LockHolder {
    /// Roll back the transaction holding the lock and disconnect.
    async fn release(self) {
        match self {
            LockHolder::Sqlite(mut conn) => {
                sqlx::raw_sql("ROLLBACK").execute(&mut conn).await.unwrap();
                conn.close().await.unwrap();
            }
            LockHolder::Postgres(mut conn) => {
                sqlx::raw_sql("ROLLBACK").execute(&mut conn).await.unwrap();
                conn.close().await.unwrap();
            }
        }
    }
}
