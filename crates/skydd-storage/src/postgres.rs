//! The PostgreSQL backend, shared by any number of Skydd servers.
//!
//! Steps that must not interleave between servers (applying migrations, creating the schema,
//! storing the first token) run in a transaction that first takes a transaction-scoped advisory
//! lock (`pg_advisory_xact_lock`), released by the commit. The lock keys are fixed numbers, so
//! Skydd installations in different schemas of one database share them: they wait for each other
//! briefly at those steps and are otherwise independent.
//!
//! The statements both backends share are in `src/queries/` (compiled here against
//! [`crate::dialect::postgres`]); this module keeps connecting, schemas, migrations, advisory
//! locks and the statements written for PostgreSQL's strengths (arrays, `INSERT` in `WITH`).

use std::str::FromStr;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{Connection, PgConnection};

/// The shared statements and row mappings, compiled here against PostgreSQL's types.
#[path = "queries/mod.rs"]
#[allow(
    clippy::duplicate_mod,
    reason = "src/queries is compiled once per backend, against each backend's dialect"
)]
mod queries;

use crate::ChainedAuditEvent;
use crate::dialect::postgres as dialect;
use crate::migration;
use crate::{
    AnonymisedRecordRow, AuditEventRow, Backend, ChainLinks, RecordRow, RecordSummary,
    StorageError, SweepLock, error, rows,
};
use dialect::at;
use queries::get;

/// Advisory lock held while creating the schema and applying migrations ("skydd_mg" in ASCII).
const MIGRATION_LOCK: i64 = 0x736b_7964_645f_6d67;

/// Advisory lock held while storing the first token ("skydd_ft" in ASCII).
const FIRST_TOKEN_LOCK: i64 = 0x736b_7964_645f_6674;

/// Skydd's storage in a PostgreSQL database.
pub(crate) struct PostgresStorage {
    /// Connected lazily: `open` has checked the server with a connection of its own.
    pool: PgPool,
    /// The schema Skydd's tables are in: the payload of its change log's notifications.
    schema: String,
    /// What this process's ledger appends share; held through an append, so they take turns.
    ledger: tokio::sync::Mutex<LedgerAppends>,
}

/// The state [`append_ledger`] keeps between appends.
#[derive(Default)]
struct LedgerAppends {
    /// The audit chain's head (seq, hash) as this process's last append left it, which the next
    /// one chains after; `None`: lock and read it first.
    head: Option<(i64, [u8; 32])>,
    /// A connection of the appends' own (made with the pool's options, so in the same schema):
    /// their one statement then costs one round trip, where a connection from the pool costs
    /// two (the pool pings it before handing it out). `None` before the first append and after
    /// a failure on it, so a lost connection is replaced by the next append.
    connection: Option<PgConnection>,
}

/// The storage type `src/queries/` implements the traits for.
type Store = PostgresStorage;

/// What [`crate::Storage::backend`] says.
const BACKEND: Backend = Backend::Postgres;

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
            migrate(&mut conn).await?;
            sqlx::query_scalar::<_, String>("SELECT current_schema()")
                .fetch_one(&mut conn)
                .await
                .map_err(error::query("read the current schema"))
        }
        .await;
        // Closing only says goodbye to the server; a failure there changes nothing.
        let _ = conn.close().await;
        let schema = prepared?;
        let pool = crate::pool::discarding_broken_transactions(PgPoolOptions::new())
            .connect_lazy_with(options);
        Ok(PostgresStorage {
            pool,
            schema,
            ledger: tokio::sync::Mutex::new(LedgerAppends::default()),
        })
    }
}

/// The channel migration 13's trigger notifies, with the schema's name as payload.
const FACT_CHANGES_CHANNEL: &str = "skydd_fact_changes";

/// `LISTEN` to the change log's channel on a connection of its own (made from the pool's
/// options, so in the same schema) and wake the returned listener for every notification of
/// this schema, and after every reconnect (notifications may have been lost meanwhile).
async fn listen_fact_changes(
    storage: &PostgresStorage,
) -> Result<Option<crate::FactChangeListener>, StorageError> {
    let mut listener = sqlx::postgres::PgListener::connect_with(&storage.pool)
        .await
        .map_err(error::query("listen to the change log"))?;
    listener
        .listen(FACT_CHANGES_CHANNEL)
        .await
        .map_err(error::query("listen to the change log"))?;
    let wakeups = std::sync::Arc::new(tokio::sync::Notify::new());
    let woken = wakeups.clone();
    let schema = storage.schema.clone();
    let task = tokio::spawn(async move {
        loop {
            match listener.try_recv().await {
                Ok(Some(notification)) if notification.payload() == schema => woken.notify_one(),
                Ok(Some(_)) => {}
                // The connection was lost; the next call reconnects. Read the log meanwhile.
                Ok(None) => woken.notify_one(),
                // The storage was closed: nothing left to listen to.
                Err(sqlx::Error::PoolClosed) => return,
                Err(error) => {
                    tracing::warn!(%error, "listening to the change log failed; retrying in 1 s");
                    woken.notify_one();
                    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                }
            }
        }
    });
    Ok(Some(crate::FactChangeListener::new(wakeups, task)))
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
        if !queries::migrate_one(tx, migration::POSTGRES, "PostgreSQL").await? {
            return Ok(());
        }
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

/// [`crate::Storage::blocking_ledger`] on PostgreSQL: none, appends go through the async pool.
fn blocking_ledger(_storage: &PostgresStorage) -> Option<crate::BlockingLedger> {
    None
}

/// [`crate::Storage::get_subject`] on PostgreSQL: one statement through the pool.
async fn get_subject(
    storage: &PostgresStorage,
    id: &str,
) -> Result<Option<crate::SubjectRow>, StorageError> {
    let row = sqlx::query(queries::SUBJECT_SELECT)
        .bind(id)
        .fetch_optional(&storage.pool)
        .await
        .map_err(error::query("read a subject"))?;
    row.as_ref().map(queries::subject_from_row).transpose()
}

/// [`crate::Storage::subject_with_key`] on PostgreSQL: one statement through the pool.
async fn subject_with_key(
    storage: &PostgresStorage,
    id: &str,
) -> Result<Option<(crate::SubjectRow, Option<crate::SubjectKeyRow>)>, StorageError> {
    let row = sqlx::query(queries::SUBJECT_WITH_KEY_SELECT)
        .bind(id)
        .fetch_optional(&storage.pool)
        .await
        .map_err(error::query("read a subject and its key"))?;
    let Some(row) = row else { return Ok(None) };
    let subject = queries::subject_from_row(&row)?;
    let has_key = get::<Option<String>>(&row, "subject_id", "subject_keys")?.is_some();
    let key = has_key
        .then(|| queries::subject_key_from_row(&row))
        .transpose()?;
    Ok(Some((subject, key)))
}

/// [`crate::Storage::append_ledger`] on PostgreSQL: ledger units in one statement on the
/// appends' own connection, so a group commit costs one round trip (issue 19). The events are
/// chained after the head this process's last append left, and the statement moves the head
/// only if it is still there, storing the rows only then. When another process (or another path
/// of this one) appended meanwhile, the statement stores nothing, and the units are written
/// again in a transaction through the pool that locks the head first, which cannot miss. A
/// process's ledger appends take turns (they chain after one head).
///
/// When the connection fails instead of answering (the server restarted, the connection was
/// cut), whether the statement was committed is unknown. The locked transaction then looks for
/// the batch's last audit event with the very hash this append gave it (the hash covers every
/// event of the batch and the head before it): found, the batch is stored, and nothing is
/// written twice. A batch without audit events cannot be told apart so; its caller gets the
/// error, as before this connection existed.
async fn append_ledger(
    storage: &PostgresStorage,
    units: Vec<crate::LedgerUnit>,
) -> Result<(), StorageError> {
    const OPERATION: &str = "append to the ledgers";
    let mut rows = LedgerRows::from_units(units);
    let mut ledger = storage.ledger.lock().await;
    let mut maybe_stored = None;
    // Forgotten unless this append moves it.
    if let Some(expected) = ledger.head.take() {
        let moved_to = rows.chain_after(expected);
        match append_on_own_connection(storage, &mut ledger.connection, &rows, expected, moved_to)
            .await
        {
            Ok(true) => {
                ledger.head = Some(moved_to);
                return Ok(());
            }
            Ok(false) => {}
            Err(error) if is_lost_connection(&error) && moved_to != expected => {
                tracing::info!(
                    "the ledger appends' connection was lost; appending through the pool"
                );
                maybe_stored = Some(moved_to);
            }
            Err(error) => return Err(error::query(OPERATION)(error)),
        }
    }
    let mut tx = dialect::begin_write(&storage.pool)
        .await
        .map_err(error::query("begin appending to the ledgers"))?;
    let head = queries::read_chain_head(&mut tx, true).await?;
    let expected = (head.seq, head.hash);
    if let Some((seq, hash)) = maybe_stored {
        let stored: bool = sqlx::query_scalar(AUDIT_EVENT_WITH_HASH)
            .bind(seq)
            .bind(&hash[..])
            .fetch_one(&mut *tx)
            .await
            .map_err(error::query("look for an append whose connection was lost"))?;
        if stored {
            ledger.head = Some(expected);
            return Ok(());
        }
    }
    let moved_to = rows.chain_after(expected);
    let stored: bool = rows
        .bind(sqlx::query_scalar(LEDGER_APPEND), expected, moved_to)
        .fetch_one(&mut *tx)
        .await
        .map_err(error::query(OPERATION))?;
    if !stored {
        return Err(StorageError::Database(format!(
            "{OPERATION}: the audit chain's head moved while locked"
        )));
    }
    tx.commit().await.map_err(error::query(OPERATION))?;
    ledger.head = Some(moved_to);
    Ok(())
}

/// Whether the audit event `$1` is there with the hash `$2`.
const AUDIT_EVENT_WITH_HASH: &str =
    "SELECT EXISTS (SELECT 1 FROM audit_events WHERE seq = $1 AND hash = $2)";

/// Run [`LEDGER_APPEND`] for `rows` on `connection` (connected first when there is none;
/// dropped after any failure, so the next append connects again). Answers whether it stored.
async fn append_on_own_connection(
    storage: &PostgresStorage,
    connection: &mut Option<PgConnection>,
    rows: &LedgerRows,
    expected: (i64, [u8; 32]),
    moved_to: (i64, [u8; 32]),
) -> Result<bool, sqlx::Error> {
    let conn = match connection {
        Some(conn) => conn,
        // A closed storage opens no connection again.
        None if storage.pool.is_closed() => return Err(sqlx::Error::PoolClosed),
        None => {
            connection.insert(PgConnection::connect_with(&storage.pool.connect_options()).await?)
        }
    };
    let stored = rows
        .bind(sqlx::query_scalar(LEDGER_APPEND), expected, moved_to)
        .fetch_one(&mut *conn)
        .await;
    if stored.is_err() {
        *connection = None;
    }
    stored
}

/// Whether `error` is the connection failing rather than the server refusing the statement: a
/// statement it refused was not committed; one whose connection failed may have been.
fn is_lost_connection(error: &sqlx::Error) -> bool {
    matches!(
        error,
        sqlx::Error::Io(_) | sqlx::Error::Protocol(_) | sqlx::Error::Tls(_)
    )
}

/// The statement of [`append_ledger`]: `$1`/`$2` the head expected (seq, hash), `$3`/`$4` where
/// it moves; the audit events (`$5`..`$14`) and their categories (`$15`..`$17`), the consents
/// (`$18`..`$26`), objections (`$27`..`$31`) and preferences (`$32`..`$36`) as parallel arrays.
/// Every insert is conditioned on the head having moved, so a stale head stores nothing.
/// Answers whether it stored.
const LEDGER_APPEND: &str = concat!(
    "WITH head AS (
        UPDATE audit_chain_head SET seq = $3, hash = $4
        WHERE id = 1 AND seq = $1 AND hash = $2
        RETURNING 1
     ), event AS (",
    queries::audit_events_insert!(),
    "SELECT e.* FROM unnest($5::bigint[], $6::timestamptz[], $7::text[], $8::text[], $9::text[],
                            $10::text[], $11::text[], $12::text[], $13::text[], $14::bytea[])
                     AS e, head
        RETURNING seq
     ), category AS (
        INSERT INTO audit_event_categories (event_seq, position, category)
        SELECT c.seq, c.position, c.category
        FROM unnest($15::bigint[], $16::integer[], $17::text[]) AS c (seq, position, category)
        JOIN event ON event.seq = c.seq
     ), consent AS (
        INSERT INTO consent_events (scope_kind, scope_id, purpose, granted, method,
            notice_version, at, text_hash, context_ciphertext)
        SELECT c.scope_kind, c.scope_id, c.purpose, c.granted, c.method, c.notice_version,
               c.at, c.text_hash, c.context_ciphertext
        FROM unnest($18::text[], $19::text[], $20::text[], $21::boolean[], $22::text[],
                    $23::text[], $24::timestamptz[], $25::text[], $26::bytea[])
             WITH ORDINALITY AS c (scope_kind, scope_id, purpose, granted, method,
                                   notice_version, at, text_hash, context_ciphertext, n),
             head
        ORDER BY c.n
     ), objection AS (
        INSERT INTO objection_events (subject_id, purpose, objected, source, at)
        SELECT o.subject_id, o.purpose, o.objected, o.source, o.at
        FROM unnest($27::text[], $28::text[], $29::boolean[], $30::text[], $31::timestamptz[])
             WITH ORDINALITY AS o (subject_id, purpose, objected, source, at, n),
             head
        ORDER BY o.n
     ), preference AS (
        INSERT INTO preference_events (subject_id, kind, name, opted_in, at)
        SELECT p.subject_id, p.kind, p.name, p.opted_in, p.at
        FROM unnest($32::text[], $33::text[], $34::text[], $35::boolean[], $36::timestamptz[])
             WITH ORDINALITY AS p (subject_id, kind, name, opted_in, at, n),
             head
        ORDER BY p.n
     )
     SELECT EXISTS (SELECT 1 FROM head)"
);

/// A batch of ledger units as the parallel arrays [`LEDGER_APPEND`] takes; the audit events
/// are chained again for each attempt.
struct LedgerRows {
    consents: Vec<crate::ConsentEventRow>,
    objections: Vec<crate::ObjectionEventRow>,
    preferences: Vec<crate::PreferenceEventRow>,
    /// The audit events as given, in the units' order.
    audit: Vec<AuditEventRow>,
    /// The audit events chained after the head of the current attempt (the first attempt's
    /// head may be stale, so a second one chains them again).
    chained: Vec<(AuditEventRow, [u8; 32])>,
}

/// The arguments type of a PostgreSQL query.
type PgArguments = <sqlx::Postgres as sqlx::Database>::Arguments;

impl LedgerRows {
    fn from_units(units: Vec<crate::LedgerUnit>) -> LedgerRows {
        let mut rows = LedgerRows {
            consents: Vec::new(),
            objections: Vec::new(),
            preferences: Vec::new(),
            audit: Vec::new(),
            chained: Vec::new(),
        };
        for unit in units {
            rows.consents.extend(unit.consents);
            rows.objections.extend(unit.objections);
            rows.preferences.extend(unit.preferences);
            rows.audit.extend(unit.audit);
        }
        rows
    }

    /// Chain the audit events after `head` (seq, hash); returns where the head moves to
    /// (`head` itself when there are none).
    fn chain_after(&mut self, head: (i64, [u8; 32])) -> (i64, [u8; 32]) {
        self.chained = queries::chain_after(head.0, head.1, self.audit.clone());
        self.chained
            .last()
            .map_or(head, |(event, hash)| (event.seq, *hash))
    }

    /// `query` ([`LEDGER_APPEND`]) with every argument bound: the head `expected` and where it
    /// moves (`moved_to`), then the rows.
    fn bind<'q, O>(
        &'q self,
        query: sqlx::query::QueryScalar<'q, sqlx::Postgres, O, PgArguments>,
        expected: (i64, [u8; 32]),
        moved_to: (i64, [u8; 32]),
    ) -> sqlx::query::QueryScalar<'q, sqlx::Postgres, O, PgArguments> {
        let query = query
            .bind(expected.0)
            .bind(expected.1.to_vec())
            .bind(moved_to.0)
            .bind(moved_to.1.to_vec());
        let (consents, objections, preferences) =
            (&self.consents, &self.objections, &self.preferences);
        bind_chained(query, &self.chained)
            .bind(column(consents, |c| c.scope_kind.as_str()))
            .bind(column(consents, |c| c.scope_id.as_str()))
            .bind(column(consents, |c| c.purpose.as_str()))
            .bind(column(consents, |c| c.granted))
            .bind(column(consents, |c| c.method.as_str()))
            .bind(column(consents, |c| c.notice_version.as_str()))
            .bind(column(consents, |c| at(c.at)))
            .bind(column(consents, |c| c.text_hash.as_deref()))
            .bind(column(consents, |c| c.context_ciphertext.as_deref()))
            .bind(column(objections, |o| o.subject_id.as_str()))
            .bind(column(objections, |o| o.purpose.as_deref()))
            .bind(column(objections, |o| o.objected))
            .bind(column(objections, |o| o.source.as_str()))
            .bind(column(objections, |o| at(o.at)))
            .bind(column(preferences, |p| p.subject_id.as_str()))
            .bind(column(preferences, |p| p.kind.as_str()))
            .bind(column(preferences, |p| p.name.as_str()))
            .bind(column(preferences, |p| p.opted_in))
            .bind(column(preferences, |p| at(p.at)))
    }
}

/// One column of `rows` as an array, for `unnest`.
fn column<'r, R, T>(rows: &'r [R], field: impl Fn(&'r R) -> T) -> Vec<T> {
    rows.iter().map(field).collect()
}

/// A PostgreSQL statement that values are bound to in order: `sqlx`'s `Query` and
/// `QueryScalar` alike, so [`bind_chained`] serves both appends.
trait Binds<'q>: Sized {
    fn bind_value<T>(self, value: T) -> Self
    where
        T: 'q + sqlx::Encode<'q, sqlx::Postgres> + sqlx::Type<sqlx::Postgres>;
}

impl<'q> Binds<'q> for sqlx::query::Query<'q, sqlx::Postgres, PgArguments> {
    fn bind_value<T>(self, value: T) -> Self
    where
        T: 'q + sqlx::Encode<'q, sqlx::Postgres> + sqlx::Type<sqlx::Postgres>,
    {
        self.bind(value)
    }
}

impl<'q, O> Binds<'q> for sqlx::query::QueryScalar<'q, sqlx::Postgres, O, PgArguments> {
    fn bind_value<T>(self, value: T) -> Self
    where
        T: 'q + sqlx::Encode<'q, sqlx::Postgres> + sqlx::Type<sqlx::Postgres>,
    {
        self.bind(value)
    }
}

/// Bind chained audit events as thirteen arrays, in the order both appends' statements take
/// them: seq, at, actor, ip, action, purpose, subject, outcome, detail and hash of each event
/// (`bigint[]`, `timestamptz[]`, `text[]` … `bytea[]`), then the event seq, position and name
/// of each of their categories.
fn bind_chained<'q, Q: Binds<'q>>(query: Q, events: &'q [(AuditEventRow, [u8; 32])]) -> Q {
    let mut category_seqs = Vec::new();
    let mut positions = Vec::new();
    let mut categories = Vec::new();
    for (event, _) in events {
        for (position, category) in (0_i32..).zip(&event.categories) {
            category_seqs.push(event.seq);
            positions.push(position);
            categories.push(category.as_str());
        }
    }
    query
        .bind_value(column(events, |(event, _)| event.seq))
        .bind_value(column(events, |(event, _)| at(event.at)))
        .bind_value(column(events, |(event, _)| event.actor.as_str()))
        .bind_value(column(events, |(event, _)| event.ip.as_deref()))
        .bind_value(column(events, |(event, _)| event.action.as_str()))
        .bind_value(column(events, |(event, _)| event.purpose.as_deref()))
        .bind_value(column(events, |(event, _)| event.subject_id.as_deref()))
        .bind_value(column(events, |(event, _)| event.outcome.as_str()))
        .bind_value(column(events, |(event, _)| event.detail.as_deref()))
        .bind_value(column(events, |(_, hash)| &hash[..]))
        .bind_value(category_seqs)
        .bind_value(positions)
        .bind_value(categories)
}

/// [`crate::Storage::index_audit_subjects`] on PostgreSQL: the index on `audit_events` is kept
/// in the commit (migration 15), so a round only moves the mark, read `FOR UPDATE` so that the
/// rounds of servers sharing the database take turns, to at most `limit` events on and never
/// past the chain head as committed (appends move it in the transaction that inserts their
/// events, so every event up to it is there).
async fn index_audit_subjects(
    storage: &PostgresStorage,
    limit: usize,
) -> Result<u64, StorageError> {
    const OPERATION: &str = "move the audit subject index's mark";
    let mut tx = dialect::begin_write(&storage.pool)
        .await
        .map_err(error::query(OPERATION))?;
    let mark: i64 = sqlx::query_scalar(concat!(queries::subject_mark_select!(), " FOR UPDATE"))
        .fetch_one(&mut *tx)
        .await
        .map_err(error::query(OPERATION))?;
    let head = queries::read_chain_head(&mut tx, false).await?;
    let Some(end) = queries::subject_round_end(mark, head.seq, limit) else {
        return Ok(0);
    };
    sqlx::query(queries::SUBJECT_MARK_MOVE)
        .bind(end)
        .execute(&mut *tx)
        .await
        .map_err(error::query(OPERATION))?;
    tx.commit().await.map_err(error::query(OPERATION))?;
    Ok(u64::try_from(end - mark).unwrap_or(0))
}

/// [`crate::Storage::prune_fact_changes`] on PostgreSQL: transactions through the pool
/// (`queries::prune_fact_changes_through_pool`).
async fn prune_fact_changes(
    storage: &PostgresStorage,
    up_to_seq: i64,
) -> Result<u64, StorageError> {
    queries::prune_fact_changes_through_pool(storage, up_to_seq).await
}

/// Nothing to add to the write probe: PostgreSQL's own commit says it all.
fn files_take_writes(_storage: &PostgresStorage) -> Result<(), StorageError> {
    Ok(())
}

/// Close the ledger appends' own connection (the pool is closed by the caller), once the
/// append on it, if any, is done.
async fn close_own_connections(storage: &PostgresStorage) {
    let connection = storage.ledger.lock().await.connection.take();
    if let Some(connection) = connection {
        // Closing only says goodbye to the server; a failure there changes nothing.
        let _ = connection.close().await;
    }
}

/// Store chained audit events (each with its seq and hash) with their categories, for the
/// shared append: one statement per batch, the events and their categories each from parallel
/// arrays (`unnest`), so a batch costs one round trip.
async fn insert_chained_events(
    conn: &mut PgConnection,
    events: &[(AuditEventRow, [u8; 32])],
) -> Result<(), sqlx::Error> {
    const SQL: &str = concat!(
        "WITH event AS (",
        queries::audit_events_insert!(),
        "SELECT * FROM unnest($1::bigint[], $2::timestamptz[], $3::text[], $4::text[],
                              $5::text[], $6::text[], $7::text[], $8::text[], $9::text[],
                              $10::bytea[])
         RETURNING seq)
         INSERT INTO audit_event_categories (event_seq, position, category)
         SELECT c.seq, c.position, c.category
         FROM unnest($11::bigint[], $12::integer[], $13::text[]) AS c (seq, position, category)
         JOIN event ON event.seq = c.seq"
    );
    bind_chained(sqlx::query(SQL), events).execute(conn).await?;
    Ok(())
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

/// Make "no token yet" and the insert of the first token one step for every server: under the
/// advisory lock, the statement's snapshot (taken after the lock was granted, in READ
/// COMMITTED) sees any token committed by the previous holder.
async fn begin_first_token(
    pool: &PgPool,
) -> Result<sqlx::Transaction<'static, dialect::Db>, StorageError> {
    let mut tx = dialect::begin_write(pool)
        .await
        .map_err(error::query("begin the first token"))?;
    lock(&mut tx, FIRST_TOKEN_LOCK).await?;
    Ok(tx)
}

/// [`crate::Storage::insert_record`] on PostgreSQL: one statement (so atomic without a
/// transaction, and one round trip), the record and its anchors from two parallel arrays.
async fn insert_record(storage: &Store, record: &RecordRow) -> Result<(), sqlx::Error> {
    const SQL: &str = concat!(
        "WITH record AS (",
        queries::record_insert!(),
        " RETURNING id)
         INSERT INTO record_anchors (record_id, event, at)
         SELECT record.id, anchor.event, anchor.at
         FROM record, unnest($9::text[], $10::timestamptz[]) AS anchor (event, at)"
    );
    let (events, ats): (Vec<&str>, Vec<jiff_sqlx::Timestamp>) = record
        .anchors
        .iter()
        .map(|(event, when)| (event.as_str(), at(*when)))
        .unzip();
    if record.mentions.is_empty() {
        queries::bind_record(SQL, record)
            .bind(events)
            .bind(ats)
            .execute(&storage.pool)
            .await?;
        return Ok(());
    }
    // A record whose free text mentions someone: the record and its mentions in one transaction.
    let mut tx = storage.pool.begin().await?;
    queries::bind_record(SQL, record)
        .bind(events)
        .bind(ats)
        .execute(&mut *tx)
        .await?;
    queries::insert_mentions(&mut tx, &record.id, &record.mentions).await?;
    tx.commit().await
}

/// [`crate::Storage::audit_chain_links`] on PostgreSQL: one statement (one snapshot, one round
/// trip), one row per entry with its categories aggregated into an array.
async fn audit_chain_links(
    storage: &Store,
    after_seq: i64,
    up_to_seq: i64,
) -> Result<ChainLinks, StorageError> {
    let rows = sqlx::query(
        "SELECT e.seq, e.at, e.actor, e.ip, e.action, e.purpose, e.subject_id, e.outcome,
                e.detail, e.hash,
                COALESCE((SELECT array_agg(c.category ORDER BY c.position)
                          FROM audit_event_categories c WHERE c.event_seq = e.seq),
                         '{}') AS categories
         FROM audit_events e WHERE e.seq > $1 AND e.seq <= $2 ORDER BY e.seq",
    )
    .bind(after_seq)
    .bind(up_to_seq)
    .fetch_all(&storage.pool)
    .await
    .map_err(error::query("read a stretch of the audit chain"))?;
    let mut links = ChainLinks::with_capacity(rows.len());
    for row in &rows {
        let entry = {
            const T: &str = "audit_events";
            let categories = queries::get(row, "categories", "audit_event_categories")?;
            let event = queries::audit_event_columns(row, categories)?;
            let hash = queries::get(row, "hash", T)?;
            ChainedAuditEvent { event, hash }
        };
        links.push_event(&entry);
    }
    Ok(links)
}

/// [`crate::Storage::records_page`] on PostgreSQL: a page of records joined with their anchors.
/// (SQLite has its own, faster there: see `bulk_reads`.)
async fn records_page(
    storage: &Store,
    after_id: Option<&str>,
    limit: usize,
) -> Result<Vec<RecordSummary>, StorageError> {
    let rows = sqlx::query(
        "WITH page AS (
            SELECT id, subject_id, category, purpose, source, collected_at FROM records
            WHERE id > $1 ORDER BY id LIMIT $2
         )
         SELECT r.id, r.subject_id, r.category, r.purpose, r.source, r.collected_at,
                a.event, a.at
         FROM page r LEFT JOIN record_anchors a ON a.record_id = r.id
         ORDER BY r.id, a.event",
    )
    .bind(after_id.unwrap_or(""))
    .bind(rows::limit_to_db(limit))
    .fetch_all(&storage.pool)
    .await
    .map_err(error::query("read a page of records"))?;
    let mut records: Vec<RecordSummary> = Vec::new();
    for row in &rows {
        let id: String = get(row, "id", "records")?;
        if records.last().is_none_or(|last| last.id != id) {
            records.push(queries::record_summary_from_row(row)?);
        }
        if let (Some(anchor), Some(last)) = (queries::anchor_from_row(row)?, records.last_mut()) {
            last.anchors.push(anchor);
        }
    }
    Ok(records)
}

/// Delete the records `delete` and `anonymise` in `conn`'s transaction, for
/// [`crate::Storage::delete_records`]: `DELETE ... RETURNING` tells which were still there and
/// whose they were, in the statement that deletes them.
async fn delete_listed_records(
    conn: &mut PgConnection,
    delete: &[String],
    anonymise: &[AnonymisedRecordRow],
) -> Result<queries::DeletedRecords, StorageError> {
    let mut ids: Vec<&str> = delete.iter().map(String::as_str).collect();
    ids.extend(anonymise.iter().map(|a| a.record_id.as_str()));
    let deleted = sqlx::query("DELETE FROM records WHERE id = ANY($1) RETURNING id, subject_id")
        .bind(&ids[..])
        .fetch_all(&mut *conn)
        .await
        .map_err(error::query("delete records"))?;
    let mut gone = std::collections::HashSet::new();
    let mut subjects = std::collections::BTreeSet::new();
    for row in &deleted {
        gone.insert(get::<String>(row, "id", "records")?);
        subjects.insert(get::<String>(row, "subject_id", "records")?);
    }
    Ok(queries::DeletedRecords {
        records: u64::try_from(deleted.len()).unwrap_or(u64::MAX),
        anonymisable: gone,
        subjects: subjects.into_iter().collect(),
    })
}

/// [`crate::Storage::backup_into`] on PostgreSQL: not done here; `pg_dump` takes a
/// consistent copy of a live database, with the database's own tools for restoring it.
async fn backup_into(_storage: &Store, _target: &std::path::Path) -> Result<(), StorageError> {
    Err(StorageError::Invalid(
        "a PostgreSQL database is backed up with pg_dump (pg_dump --format=custom), not by Skydd"
            .into(),
    ))
}

/// [`crate::Storage::try_sweep_lock`] on PostgreSQL: a session advisory lock per schema.
async fn try_sweep_lock(storage: &Store) -> Result<Option<SweepLock>, StorageError> {
    const OPERATION: &str = "take the sweep lock";
    let mut conn = storage
        .pool
        .acquire()
        .await
        .map_err(error::query(OPERATION))?
        .detach();
    // A session lock, keyed by the schema so installations in different schemas sweep
    // independently. It is held by this connection, taken out of the pool: dropping the
    // lock closes the connection, and the server releases the lock (also when the
    // process dies).
    let locked: bool = sqlx::query_scalar(
        "SELECT pg_try_advisory_lock(hashtext('skydd retention sweep'),
                                     hashtext(current_schema()))",
    )
    .fetch_one(&mut conn)
    .await
    .map_err(error::query(OPERATION))?;
    Ok(locked.then(|| SweepLock::holding(Box::new(conn))))
}

/// [`crate::Storage::release_sweep_lock`] on PostgreSQL: unlock, then close the connection
/// that held the lock.
async fn release_sweep_lock(lock: SweepLock) -> Result<(), StorageError> {
    if let Ok(conn) = lock.held.downcast::<PgConnection>() {
        let mut conn = *conn;
        sqlx::query(
            "SELECT pg_advisory_unlock(hashtext('skydd retention sweep'),
                                       hashtext(current_schema()))",
        )
        .execute(&mut conn)
        .await
        .map_err(error::query("release the sweep lock"))?;
        let _ = conn.close().await;
    }
    Ok(())
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
