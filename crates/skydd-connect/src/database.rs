//! One open connection to a connected database, over the three backends without `sqlx::Any`:
//! an enum whose arms are the concrete `sqlx` connections, each with its own catalog queries.
//!
//! | point | PostgreSQL | MySQL / MariaDB | SQLite |
//! |---|---|---|---|
//! | read-only snapshot | `BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY` | `START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY` | `BEGIN` on a connection opened read-only |
//! | tables, columns | `information_schema` | `information_schema` | `sqlite_schema`, `pragma_table_info` |
//! | primary keys | `pg_catalog.pg_constraint` (the `information_schema` join took 25-30 ms) | `information_schema` | `pragma_table_info` |
//! | foreign keys | `pg_catalog.pg_constraint` (names are unique per table only) | `information_schema.key_column_usage` | `pragma_foreign_key_list` |
//! | indexes | `pg_catalog.pg_index` (not in `information_schema`) | `information_schema.statistics` | `pragma_index_list`, `pragma_index_info` |
//! | TLS | `sslmode`, `sslrootcert` | `ssl-mode`, `ssl-ca` | none (a file) |

use std::collections::BTreeMap;
use std::str::FromStr as _;

use skydd_dataset::{DatabaseKind, Tls, TlsMode};
use skydd_register::model::Choice as _;
use sqlx::mysql::{MySqlConnectOptions, MySqlConnection, MySqlSslMode};
use sqlx::postgres::{PgConnectOptions, PgConnection, PgSslMode};
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{ConnectOptions as _, Connection as _, Row as _};

use crate::schema::{Column, ForeignKey, Index, Schema, Table};
use crate::{ConnectError, DatabaseUrl};

/// An open connection to a connected database.
#[derive(Debug)]
pub enum Database {
    /// PostgreSQL.
    Postgres(PgConnection),
    /// MySQL or MariaDB.
    Mysql(MySqlConnection),
    /// SQLite, opened read-only by [`Database::connect`], read-write by
    /// [`Database::connect_writable`].
    Sqlite(SqliteConnection),
}

impl Database {
    /// Connect to the database `url` of `kind` with the dataset's `tls` (ignored for SQLite,
    /// which has none), for reading: a SQLite file is opened read-only. Errors never contain
    /// the URL or its password.
    pub async fn connect(
        kind: DatabaseKind,
        url: &DatabaseUrl,
        tls: Option<&Tls>,
    ) -> Result<Database, ConnectError> {
        Database::open(kind, url, tls, false).await
    }

    /// Connect as [`Database::connect`] does, for erasure, rectification and retention: a
    /// SQLite file is opened read-write (it must exist; it is never created). PostgreSQL and
    /// MySQL connections are the same either way: what the account may do is the server's
    /// grant, and reads still run in read-only transactions.
    pub async fn connect_writable(
        kind: DatabaseKind,
        url: &DatabaseUrl,
        tls: Option<&Tls>,
    ) -> Result<Database, ConnectError> {
        Database::open(kind, url, tls, true).await
    }

    async fn open(
        kind: DatabaseKind,
        url: &DatabaseUrl,
        tls: Option<&Tls>,
        writable: bool,
    ) -> Result<Database, ConnectError> {
        let fail = |error: sqlx::Error| ConnectError::Connect {
            kind: kind.word(),
            reason: url.scrub(&error.to_string()),
        };
        match kind {
            DatabaseKind::Postgres => {
                let mut options = PgConnectOptions::from_str(url.expose()).map_err(fail)?;
                if let Some(tls) = tls {
                    options = options.ssl_mode(match tls.mode {
                        TlsMode::Disable => PgSslMode::Disable,
                        TlsMode::Prefer => PgSslMode::Prefer,
                        TlsMode::Require => PgSslMode::Require,
                        TlsMode::VerifyCa => PgSslMode::VerifyCa,
                        TlsMode::VerifyFull => PgSslMode::VerifyFull,
                    });
                    if let Some(ca) = &tls.ca_file {
                        options = options.ssl_root_cert(ca);
                    }
                }
                Ok(Database::Postgres(options.connect().await.map_err(fail)?))
            }
            DatabaseKind::Mysql => {
                let mut options = MySqlConnectOptions::from_str(url.expose()).map_err(fail)?;
                if let Some(tls) = tls {
                    options = options.ssl_mode(match tls.mode {
                        TlsMode::Disable => MySqlSslMode::Disabled,
                        TlsMode::Prefer => MySqlSslMode::Preferred,
                        TlsMode::Require => MySqlSslMode::Required,
                        TlsMode::VerifyCa => MySqlSslMode::VerifyCa,
                        TlsMode::VerifyFull => MySqlSslMode::VerifyIdentity,
                    });
                    if let Some(ca) = &tls.ca_file {
                        options = options.ssl_ca(ca);
                    }
                }
                Ok(Database::Mysql(options.connect().await.map_err(fail)?))
            }
            DatabaseKind::Sqlite => {
                let options = SqliteConnectOptions::from_str(url.expose())
                    .map_err(fail)?
                    .read_only(!writable)
                    .create_if_missing(false)
                    // The foreign keys the schema declares are enforced on writes, as the
                    // other databases do (SQLite's default is off).
                    .foreign_keys(true);
                Ok(Database::Sqlite(options.connect().await.map_err(fail)?))
            }
        }
    }

    /// Which kind of database this is.
    pub fn kind(&self) -> DatabaseKind {
        match self {
            Database::Postgres(_) => DatabaseKind::Postgres,
            Database::Mysql(_) => DatabaseKind::Mysql,
            Database::Sqlite(_) => DatabaseKind::Sqlite,
        }
    }

    /// Read the schema: every table and view with columns, primary key, foreign keys and
    /// indexes, all in one read-only transaction (one snapshot of the catalog).
    pub async fn schema(&mut self) -> Result<Schema, ConnectError> {
        let kind = self.kind().word();
        let fail = |error: sqlx::Error| ConnectError::Read {
            kind,
            reason: error.to_string(),
        };
        match self {
            Database::Postgres(conn) => postgres_schema(conn).await.map_err(fail),
            Database::Mysql(conn) => mysql_schema(conn).await.map_err(fail),
            Database::Sqlite(conn) => sqlite_schema(conn).await.map_err(fail),
        }
    }
}

/// Tables keyed by (schema, name) while they are filled in.
type Tables = BTreeMap<(String, String), Table>;

fn table<'t>(tables: &'t mut Tables, schema: &str, name: &str) -> Option<&'t mut Table> {
    tables.get_mut(&(schema.to_owned(), name.to_owned()))
}

/// Put a column into `list` at its 1-based `position`, growing it as needed.
fn place(list: &mut Vec<String>, position: i64, column: String) {
    let index = usize::try_from(position.max(1) - 1).unwrap_or(0);
    if list.len() <= index {
        list.resize(index + 1, String::new());
    }
    list[index] = column;
}

/// Foreign keys collected column by column: (schema, table, constraint) -> key.
type Keys = BTreeMap<(String, String, String), ForeignKey>;

fn finish(default_schema: String, tables: Tables, keys: Keys) -> Schema {
    let mut tables = tables;
    for ((schema, name, _), key) in keys {
        if let Some(t) = table(&mut tables, &schema, &name) {
            t.foreign_keys.push(key);
        }
    }
    Schema {
        default_schema,
        tables: tables.into_values().collect(),
    }
}

/// The system schemas of PostgreSQL, left out of every catalog query.
macro_rules! outside {
    () => {
        "NOT IN ('pg_catalog', 'information_schema', 'pg_toast')"
    };
}

async fn postgres_schema(conn: &mut PgConnection) -> Result<Schema, sqlx::Error> {
    let mut tx = conn
        .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        .await?;
    let default_schema: String = sqlx::query_scalar("SELECT current_schema()::text")
        .fetch_one(&mut *tx)
        .await?;
    let mut tables = Tables::new();
    for row in sqlx::query(concat!(
        "SELECT table_schema::text, table_name::text, table_type::text
         FROM information_schema.tables WHERE table_schema ",
        outside!(),
        ""
    ))
    .fetch_all(&mut *tx)
    .await?
    {
        let (schema, name, kind): (String, String, String) =
            (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
        tables.insert(
            (schema.clone(), name.clone()),
            Table {
                schema,
                name,
                view: kind == "VIEW",
                ..Table::default()
            },
        );
    }
    for row in sqlx::query(concat!(
        "SELECT table_schema::text, table_name::text, column_name::text, data_type::text,
                is_nullable::text, character_maximum_length::int8
         FROM information_schema.columns WHERE table_schema ",
        outside!(),
        "
         ORDER BY table_schema, table_name, ordinal_position"
    ))
    .fetch_all(&mut *tx)
    .await?
    {
        let (schema, name): (String, String) = (row.try_get(0)?, row.try_get(1)?);
        let nullable: String = row.try_get(4)?;
        let max: Option<i64> = row.try_get(5)?;
        if let Some(t) = table(&mut tables, &schema, &name) {
            t.columns.push(Column {
                name: row.try_get(2)?,
                sql_type: row.try_get(3)?,
                nullable: nullable == "YES",
                max_length: max.and_then(|m| u64::try_from(m).ok()),
            });
        }
    }
    for row in sqlx::query(concat!(
        // From `pg_constraint`, not `information_schema.key_column_usage`: the same rows, but the
        // view took 25-30 ms of an erasure's 36 on the example database (issue 16 benchmarks),
        // this about 1 ms. Tables the role cannot see are dropped below, as the view would.
        "SELECT n.nspname::text, t.relname::text, a.attname::text, k.ord::int8
         FROM pg_catalog.pg_constraint c
         JOIN pg_catalog.pg_class t ON t.oid = c.conrelid
         JOIN pg_catalog.pg_namespace n ON n.oid = t.relnamespace
         CROSS JOIN LATERAL unnest(c.conkey) WITH ORDINALITY AS k(attnum, ord)
         JOIN pg_catalog.pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum
         WHERE c.contype = 'p' AND n.nspname ",
        outside!(),
        ""
    ))
    .fetch_all(&mut *tx)
    .await?
    {
        let (schema, name): (String, String) = (row.try_get(0)?, row.try_get(1)?);
        if let Some(t) = table(&mut tables, &schema, &name) {
            place(&mut t.primary_key, row.try_get(3)?, row.try_get(2)?);
        }
    }
    let mut keys = Keys::new();
    for row in sqlx::query(concat!(
        // From `pg_constraint`, not `information_schema`: PostgreSQL constraint names are unique
        // per table only, and `referential_constraints` joins by name, so two tables with a key
        // of the same name would mix their columns.
        "SELECT n.nspname::text, t.relname::text, c.conname::text,
                a.attname::text, k.ord::int8,
                rn.nspname::text, rt.relname::text, ra.attname::text
         FROM pg_catalog.pg_constraint c
         JOIN pg_catalog.pg_class t ON t.oid = c.conrelid
         JOIN pg_catalog.pg_namespace n ON n.oid = t.relnamespace
         JOIN pg_catalog.pg_class rt ON rt.oid = c.confrelid
         JOIN pg_catalog.pg_namespace rn ON rn.oid = rt.relnamespace
         CROSS JOIN LATERAL unnest(c.conkey, c.confkey) WITH ORDINALITY AS k(attnum, refnum, ord)
         JOIN pg_catalog.pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum
         JOIN pg_catalog.pg_attribute ra ON ra.attrelid = c.confrelid AND ra.attnum = k.refnum
         WHERE c.contype = 'f' AND n.nspname ",
        outside!(),
        ""
    ))
    .fetch_all(&mut *tx)
    .await?
    {
        collect_key(&mut keys, &row)?;
    }
    for row in sqlx::query(concat!("SELECT n.nspname::text, t.relname::text, i.relname::text, x.indisunique,
                a.attname::text, k.ord::int8
         FROM pg_catalog.pg_index x
         JOIN pg_catalog.pg_class t ON t.oid = x.indrelid
         JOIN pg_catalog.pg_class i ON i.oid = x.indexrelid
         JOIN pg_catalog.pg_namespace n ON n.oid = t.relnamespace
         CROSS JOIN LATERAL unnest(x.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
         LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum AND k.attnum > 0
         WHERE n.nspname ", outside!(), "
         ORDER BY n.nspname, t.relname, i.relname, k.ord"))
    .fetch_all(&mut *tx)
    .await?
    {
        let (schema, name, index): (String, String, String) =
            (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
        let unique: bool = row.try_get(3)?;
        let column: Option<String> = row.try_get(4)?;
        if let Some(t) = table(&mut tables, &schema, &name) {
            add_index_column(t, index, unique, column.unwrap_or_else(|| "(expression)".into()));
        }
    }
    tx.rollback().await?;
    Ok(finish(default_schema, tables, keys))
}

/// Add one column of a foreign key from a row of (schema, table, constraint, column, position,
/// referenced schema, referenced table, referenced column).
fn collect_key<R>(keys: &mut Keys, row: &R) -> Result<(), sqlx::Error>
where
    R: sqlx::Row,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    usize: sqlx::ColumnIndex<R>,
{
    let schema: String = row.try_get(0)?;
    let name: String = row.try_get(1)?;
    let constraint: String = row.try_get(2)?;
    let position: i64 = row.try_get(4)?;
    let key = keys
        .entry((schema, name, constraint.clone()))
        .or_insert_with(|| ForeignKey {
            name: constraint,
            columns: Vec::new(),
            referenced_schema: String::new(),
            referenced_table: String::new(),
            referenced_columns: Vec::new(),
        });
    key.referenced_schema = row.try_get(5)?;
    key.referenced_table = row.try_get(6)?;
    place(&mut key.columns, position, row.try_get(3)?);
    place(&mut key.referenced_columns, position, row.try_get(7)?);
    Ok(())
}

/// Append `column` to the index `name` of `table` (rows come in index order).
fn add_index_column(table: &mut Table, name: String, unique: bool, column: String) {
    match table.indexes.iter_mut().find(|i| i.name == name) {
        Some(index) => index.columns.push(column),
        None => table.indexes.push(Index {
            name,
            columns: vec![column],
            unique,
        }),
    }
}

async fn mysql_schema(conn: &mut MySqlConnection) -> Result<Schema, sqlx::Error> {
    let mut tx = conn
        .begin_with("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY")
        .await?;
    // The catalog's columns are of several text and integer types across MySQL and MariaDB
    // versions; every one is cast, so one decoding fits all.
    let default_schema: Option<String> = sqlx::query_scalar("SELECT CAST(DATABASE() AS CHAR)")
        .fetch_one(&mut *tx)
        .await?;
    let Some(default_schema) = default_schema else {
        tx.rollback().await?;
        return Err(sqlx::Error::Configuration(
            "the URL names no database (mysql://USER@HOST/DATABASE)".into(),
        ));
    };
    let mut tables = Tables::new();
    for row in sqlx::query(
        "SELECT CAST(table_schema AS CHAR), CAST(table_name AS CHAR), CAST(table_type AS CHAR)
         FROM information_schema.tables WHERE table_schema = DATABASE()",
    )
    .fetch_all(&mut *tx)
    .await?
    {
        let (schema, name, kind): (String, String, String) =
            (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
        tables.insert(
            (schema.clone(), name.clone()),
            Table {
                schema,
                name,
                view: kind == "VIEW",
                ..Table::default()
            },
        );
    }
    for row in sqlx::query(
        "SELECT CAST(table_schema AS CHAR), CAST(table_name AS CHAR), CAST(column_name AS CHAR),
                CAST(LOWER(data_type) AS CHAR), CAST(is_nullable AS CHAR),
                CAST(character_maximum_length AS SIGNED)
         FROM information_schema.columns WHERE table_schema = DATABASE()
         ORDER BY table_schema, table_name, ordinal_position",
    )
    .fetch_all(&mut *tx)
    .await?
    {
        let (schema, name): (String, String) = (row.try_get(0)?, row.try_get(1)?);
        let nullable: String = row.try_get(4)?;
        let max: Option<i64> = row.try_get(5)?;
        if let Some(t) = table(&mut tables, &schema, &name) {
            t.columns.push(Column {
                name: row.try_get(2)?,
                sql_type: row.try_get(3)?,
                nullable: nullable == "YES",
                max_length: max.and_then(|m| u64::try_from(m).ok()),
            });
        }
    }
    let mut keys = Keys::new();
    for row in sqlx::query(
        "SELECT CAST(table_schema AS CHAR), CAST(table_name AS CHAR), CAST(constraint_name AS CHAR),
                CAST(column_name AS CHAR), CAST(ordinal_position AS SIGNED),
                CAST(referenced_table_schema AS CHAR), CAST(referenced_table_name AS CHAR),
                CAST(referenced_column_name AS CHAR)
         FROM information_schema.key_column_usage
         WHERE table_schema = DATABASE()
           AND (constraint_name = 'PRIMARY' OR referenced_table_name IS NOT NULL)",
    )
    .fetch_all(&mut *tx)
    .await?
    {
        let constraint: String = row.try_get(2)?;
        if constraint == "PRIMARY" {
            let (schema, name): (String, String) = (row.try_get(0)?, row.try_get(1)?);
            if let Some(t) = table(&mut tables, &schema, &name) {
                place(&mut t.primary_key, row.try_get(4)?, row.try_get(3)?);
            }
        } else {
            collect_key(&mut keys, &row)?;
        }
    }
    for row in sqlx::query(
        "SELECT CAST(table_schema AS CHAR), CAST(table_name AS CHAR), CAST(index_name AS CHAR),
                CAST(non_unique AS SIGNED), CAST(column_name AS CHAR)
         FROM information_schema.statistics WHERE table_schema = DATABASE()
         ORDER BY table_schema, table_name, index_name, seq_in_index",
    )
    .fetch_all(&mut *tx)
    .await?
    {
        let (schema, name, index): (String, String, String) =
            (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
        let non_unique: i64 = row.try_get(3)?;
        let column: Option<String> = row.try_get(4)?;
        if let Some(t) = table(&mut tables, &schema, &name) {
            add_index_column(
                t,
                index,
                non_unique == 0,
                column.unwrap_or_else(|| "(expression)".into()),
            );
        }
    }
    tx.rollback().await?;
    Ok(finish(default_schema, tables, keys))
}

async fn sqlite_schema(conn: &mut SqliteConnection) -> Result<Schema, sqlx::Error> {
    let mut tx = conn.begin().await?;
    let schema = "main".to_owned();
    let mut tables = Tables::new();
    let listed: Vec<(String, String)> = sqlx::query_as(
        "SELECT name, type FROM sqlite_schema
         WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'
         ORDER BY name",
    )
    .fetch_all(&mut *tx)
    .await?;
    let mut keys = Keys::new();
    for (name, kind) in listed {
        let mut t = Table {
            schema: schema.clone(),
            name: name.clone(),
            view: kind == "view",
            ..Table::default()
        };
        let columns: Vec<(String, String, bool, i64)> = sqlx::query_as(
            "SELECT name, type, \"notnull\", pk FROM pragma_table_info($1) ORDER BY cid",
        )
        .bind(&name)
        .fetch_all(&mut *tx)
        .await?;
        for (column, sql_type, not_null, pk) in columns {
            if pk > 0 {
                place(&mut t.primary_key, pk, column.clone());
            }
            t.columns.push(Column {
                name: column,
                sql_type: sql_type.to_ascii_lowercase(),
                // A primary key that is not INTEGER may hold NULL in SQLite (a known quirk);
                // `notnull` says what was declared, which is what an UPDATE is checked against.
                nullable: !not_null,
                // SQLite accepts any length whatever the declared type says.
                max_length: None,
            });
        }
        let foreign: Vec<(i64, i64, String, String, Option<String>)> = sqlx::query_as(
            "SELECT id, seq, \"table\", \"from\", \"to\" FROM pragma_foreign_key_list($1) ORDER BY id, seq",
        )
        .bind(&name)
        .fetch_all(&mut *tx)
        .await?;
        for (id, seq, target, from, to) in foreign {
            let key = keys
                .entry((schema.clone(), name.clone(), id.to_string()))
                .or_insert_with(|| ForeignKey {
                    name: id.to_string(),
                    columns: Vec::new(),
                    referenced_schema: schema.clone(),
                    referenced_table: target.clone(),
                    referenced_columns: Vec::new(),
                });
            place(&mut key.columns, seq + 1, from);
            // `to` is NULL when the key names only the table: it then refers to its primary key,
            // filled in below once every table's key is known.
            place(&mut key.referenced_columns, seq + 1, to.unwrap_or_default());
        }
        let indexes: Vec<(String, bool)> =
            sqlx::query_as("SELECT name, \"unique\" FROM pragma_index_list($1) ORDER BY seq")
                .bind(&name)
                .fetch_all(&mut *tx)
                .await?;
        for (index, unique) in indexes {
            let columns: Vec<(Option<String>,)> =
                sqlx::query_as("SELECT name FROM pragma_index_info($1) ORDER BY seqno")
                    .bind(&index)
                    .fetch_all(&mut *tx)
                    .await?;
            t.indexes.push(Index {
                name: index,
                columns: columns
                    .into_iter()
                    .map(|(c,)| c.unwrap_or_else(|| "(expression)".into()))
                    .collect(),
                unique,
            });
        }
        tables.insert((schema.clone(), name), t);
    }
    for key in keys.values_mut() {
        if key.referenced_columns.iter().any(String::is_empty)
            && let Some(target) =
                tables.get(&(key.referenced_schema.clone(), key.referenced_table.clone()))
        {
            key.referenced_columns = target.primary_key.clone();
        }
    }
    tx.rollback().await?;
    Ok(finish(schema, tables, keys))
}

impl Database {
    /// Begin the write transaction erasure, rectification and replay run in:
    /// `REPEATABLE READ` on PostgreSQL (one snapshot for the re-selection and the writes),
    /// `START TRANSACTION` (InnoDB's repeatable read) on MySQL, `BEGIN IMMEDIATE` on SQLite
    /// (the write lock taken up front, so no other writer slips in between reading and
    /// writing). End it with [`Database::commit`] or [`Database::rollback`].
    pub async fn begin_write(&mut self) -> Result<(), ConnectError> {
        let begin = match self {
            Database::Postgres(_) => "BEGIN ISOLATION LEVEL REPEATABLE READ",
            Database::Mysql(_) => "START TRANSACTION",
            Database::Sqlite(_) => "BEGIN IMMEDIATE",
        };
        self.run(begin)
            .await
            .map_err(|e| crate::access::write_error(self, "beginning the write transaction", &e))
    }

    /// Commit the open transaction.
    pub async fn commit(&mut self) -> Result<(), ConnectError> {
        self.run("COMMIT")
            .await
            .map_err(|e| crate::access::write_error(self, "committing", &e))
    }

    /// Roll the open transaction back: nothing it wrote stays.
    pub async fn rollback(&mut self) -> Result<(), ConnectError> {
        self.run("ROLLBACK")
            .await
            .map_err(|e| crate::access::write_error(self, "rolling back", &e))
    }

    pub(crate) async fn run(&mut self, sql: &'static str) -> Result<(), sqlx::Error> {
        match self {
            Database::Postgres(conn) => sqlx::raw_sql(sql).execute(conn).await.map(|_| ()),
            Database::Mysql(conn) => sqlx::raw_sql(sql).execute(conn).await.map(|_| ()),
            Database::Sqlite(conn) => sqlx::raw_sql(sql).execute(conn).await.map(|_| ()),
        }
    }

    /// Close the connection politely (errors on closing change nothing and are dropped).
    pub async fn close(self) {
        let _ = match self {
            Database::Postgres(conn) => conn.close().await,
            Database::Mysql(conn) => conn.close().await,
            Database::Sqlite(conn) => conn.close().await,
        };
    }
}
