//! Where SQLite and PostgreSQL differ for the statements both backends share, and nothing else.
//!
//! The queries and row mappings are written once, in `src/queries/`, against the names a dialect
//! defines here: the `sqlx` types (`Db`, `DbRow`, `Conn`, `Pool`), how a timestamp is bound and
//! read back (`at`, `StoredAt`, `at_from_db`), how a write transaction begins (`begin_write`),
//! how a list of ids is bound (`id_list`, with the predicate `id_in!`), and SQL fragments
//! (`bytewise!` for text ordered byte by byte, `row_lock!` for locking a row read to decide a
//! write, `identity_override!` for giving a generated key its value). Each backend module
//! includes `src/queries/` as its own child module with `use crate::dialect::<backend> as
//! dialect` in scope, so the one written text compiles once per backend against that backend's
//! concrete types, with no generic bounds on `sqlx` executors and without `sqlx::Any`.
//!
//! Every shared statement uses numbered `$N` placeholders, which `sqlx-sqlite` accepts as well
//! as PostgreSQL (SQLite reads `$N` as the N-th bound value, so one value may be used twice). A
//! nullable filter is `($1 IS NULL OR col = $1)` without casts: `sqlx-postgres` sends each
//! value's type with the statement.
//!
//! | point | SQLite | PostgreSQL |
//! |---|---|---|
//! | timestamp | fixed-width TEXT ([`crate::timestamp`]) | `timestamptz` via `jiff_sqlx` |
//! | write transaction | `BEGIN IMMEDIATE` (takes the write lock first) | `BEGIN` |
//! | id list | JSON text, `IN (SELECT value FROM json_each($N))` | `text[]`, `= ANY($N)` |
//! | byte-wise text order | the default (`BINARY`) | `COLLATE "C"` |
//! | row lock while reading to write | none (`BEGIN IMMEDIATE` holds the database) | `FOR UPDATE` |
//! | giving an identity column its value | nothing to say | `OVERRIDING SYSTEM VALUE` |
//!
//! Statements that are faster written for one backend stay in that backend's module, with a
//! comment saying why (`records_page`, `delete_records` and `audit_chain_links` on SQLite; the
//! one-statement `insert_record` and audit appends on PostgreSQL), as do opening, migrations,
//! advisory and file locks.
//!
//! # A MySQL or MariaDB dialect
//!
//! A third dialect would be one more module here and one more backend module that includes
//! `src/queries/`; the shared text would change where MySQL cannot read it, each change
//! keeping the other two dialects working:
//! - placeholders are `?` only, by position, so a value used twice is bound twice: the shared
//!   statements would be written with `?` and each repeated use bound again (or a dialect
//!   function renumbers `$N` into `?` and repeats the bound values);
//! - `RETURNING` is missing from MySQL and from MariaDB before 10.5: appends would read
//!   `LAST_INSERT_ID()` in the same transaction instead, behind a dialect function;
//! - `ON CONFLICT ... DO NOTHING / DO UPDATE SET x = excluded.x` is `INSERT IGNORE` or
//!   `ON DUPLICATE KEY UPDATE x = VALUES(x)`: an upsert fragment like `row_lock!`;
//! - id lists would be `JSON_TABLE($N, '$[*]' COLUMNS (value ...))` (MySQL 8, MariaDB 10.6)
//!   behind `id_in!`, timestamps `DATETIME(6)` in UTC behind `at`/`at_from_db`, a write
//!   transaction `BEGIN` plus `SELECT ... FOR UPDATE` as on PostgreSQL, and byte-wise order a
//!   binary collation (`COLLATE utf8mb4_bin`) behind `bytewise!`.

/// SQLite: TEXT timestamps, `BEGIN IMMEDIATE`, id lists as JSON.
pub(crate) mod sqlite {
    use jiff::Timestamp;
    use sqlx::{SqliteConnection, SqlitePool, Transaction};

    use crate::{StorageError, timestamp};

    /// The `sqlx` database.
    pub(crate) type Db = sqlx::Sqlite;
    /// A row read from SQLite.
    pub(crate) type DbRow = sqlx::sqlite::SqliteRow;
    /// A connection (or, dereferenced, a transaction).
    pub(crate) type Conn = SqliteConnection;
    /// The connection pool a storage keeps.
    pub(crate) type Pool = SqlitePool;
    /// How a timestamp is stored: TEXT in the fixed-width form of [`crate::timestamp`].
    pub(crate) type StoredAt = String;

    /// `value` as bound to a statement, truncated to microseconds.
    pub(crate) fn at(value: Timestamp) -> StoredAt {
        timestamp::to_sqlite(value)
    }

    /// A stored timestamp read back from `table.column` (named in the error, never the text).
    pub(crate) fn at_from_db(
        stored: StoredAt,
        table: &str,
        column: &str,
    ) -> Result<Timestamp, StorageError> {
        timestamp::from_sqlite(&stored, &format!("{table}.{column}"))
    }

    /// Begin a transaction that will write, taking the write lock at once: a deferred
    /// transaction could not upgrade its read to a write if another process wrote meanwhile,
    /// and would fail instead of waiting for the busy timeout.
    pub(crate) async fn begin_write(pool: &Pool) -> Result<Transaction<'static, Db>, sqlx::Error> {
        pool.begin_with("BEGIN IMMEDIATE").await
    }

    /// `ids` as bound for [`id_in!`]: a JSON array, so one statement takes any number of them.
    pub(crate) fn id_list(ids: &[String]) -> Result<String, StorageError> {
        serde_json::to_string(ids)
            .map_err(|_| StorageError::Invalid("ids that cannot be listed".into()))
    }

    /// `IN` the list of ids bound at placeholder `$param` (made by [`id_list`]).
    macro_rules! sqlite_id_in {
        ($param:literal) => {
            concat!("IN (SELECT value FROM json_each(", $param, "))")
        };
    }
    pub(crate) use sqlite_id_in as id_in;

    /// Order text byte by byte: SQLite's default collation (`BINARY`) already does.
    macro_rules! sqlite_bytewise {
        () => {
            ""
        };
    }
    pub(crate) use sqlite_bytewise as bytewise;

    /// Lock the rows read until the transaction ends: nothing to add, since
    /// [`begin_write`] holds the whole database's write lock.
    macro_rules! sqlite_row_lock {
        () => {
            ""
        };
    }
    pub(crate) use sqlite_row_lock as row_lock;

    /// Let an `INSERT` give a generated key column its value: SQLite always does.
    macro_rules! sqlite_identity_override {
        () => {
            ""
        };
    }
    pub(crate) use sqlite_identity_override as identity_override;
}

/// PostgreSQL: `timestamptz`, plain `BEGIN`, id lists as arrays.
pub(crate) mod postgres {
    use jiff::Timestamp;
    use sqlx::{PgConnection, PgPool, Transaction};

    use crate::{StorageError, timestamp};

    /// The `sqlx` database.
    pub(crate) type Db = sqlx::Postgres;
    /// A row read from PostgreSQL.
    pub(crate) type DbRow = sqlx::postgres::PgRow;
    /// A connection (or, dereferenced, a transaction).
    pub(crate) type Conn = PgConnection;
    /// The connection pool a storage keeps.
    pub(crate) type Pool = PgPool;
    /// How a timestamp is stored: `timestamptz`.
    pub(crate) type StoredAt = jiff_sqlx::Timestamp;

    /// `value` as bound to a statement, truncated to microseconds.
    pub(crate) fn at(value: Timestamp) -> StoredAt {
        timestamp::to_postgres(value)
    }

    /// A stored timestamp read back (a `timestamptz` is always a valid one).
    pub(crate) fn at_from_db(
        stored: StoredAt,
        _table: &str,
        _column: &str,
    ) -> Result<Timestamp, StorageError> {
        Ok(stored.to_jiff())
    }

    /// Begin a transaction that will write. Rows it reads to decide are locked by the reads
    /// themselves ([`row_lock!`]) or by an advisory lock where no row exists yet.
    pub(crate) async fn begin_write(pool: &Pool) -> Result<Transaction<'static, Db>, sqlx::Error> {
        pool.begin().await
    }

    /// `ids` as bound for [`id_in!`]: a `text[]`.
    pub(crate) fn id_list(ids: &[String]) -> Result<&[String], StorageError> {
        Ok(ids)
    }

    /// `IN` the list of ids bound at placeholder `$param` (made by [`id_list`]).
    macro_rules! postgres_id_in {
        ($param:literal) => {
            concat!("= ANY(", $param, ")")
        };
    }
    pub(crate) use postgres_id_in as id_in;

    /// Order text byte by byte, whatever the database's default collation.
    macro_rules! postgres_bytewise {
        () => {
            " COLLATE \"C\""
        };
    }
    pub(crate) use postgres_bytewise as bytewise;

    /// Lock the rows read until the transaction ends, so one writer at a time decides on them
    /// across every server.
    macro_rules! postgres_row_lock {
        () => {
            " FOR UPDATE"
        };
    }
    pub(crate) use postgres_row_lock as row_lock;

    /// Let an `INSERT` give a `GENERATED ALWAYS AS IDENTITY` column its value.
    macro_rules! postgres_identity_override {
        () => {
            " OVERRIDING SYSTEM VALUE"
        };
    }
    pub(crate) use postgres_identity_override as identity_override;
}
