//! The SQLite backend: one file, WAL mode, shared safely with other processes.
//!
//! Several processes may use the file at once (a running server and a `skydd token` command).
//! WAL lets readers run beside the one writer; a writer that finds the database locked waits up
//! to its busy timeout ([`crate::OpenOptions::busy_timeout`]), then fails with
//! [`StorageError::Busy`]. Every transaction that reads before it writes starts with
//! `BEGIN IMMEDIATE`, taking the write lock first: a deferred transaction could not upgrade its
//! read to a write if another process wrote meanwhile, and would fail instead of waiting.
//!
//! The statements both backends share are in `src/queries/` (compiled here against
//! [`crate::dialect::sqlite`]); this module keeps opening, WAL, migrations, the sweep lock file
//! and the statements that are written for SQLite's speed.

use std::path::Path;
use std::time::Duration;

use sqlx::SqliteConnection;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions};

mod bulk_reads;
mod checkpoint;
mod ledger_writer;
mod point_reads;
/// The shared statements and row mappings, compiled here against SQLite's types.
#[path = "queries/mod.rs"]
#[allow(
    clippy::duplicate_mod,
    reason = "src/queries is compiled once per backend, against each backend's dialect"
)]
mod queries;
mod subject_index;

use crate::dialect::sqlite as dialect;
use crate::migration;
use crate::{
    AnonymisedRecordRow, AuditEventRow, Backend, ChainLinks, RecordRow, RecordSummary,
    StorageError, SweepLock, error,
};
use dialect::at;

/// Skydd's storage in a SQLite file.
pub(crate) struct SqliteStorage {
    /// Connections through sqlx; [`bulk_reads`] opens its own for the audit chain.
    pool: SqlitePool,
    /// The database file, beside which the sweep lock file lives.
    path: std::path::PathBuf,
    /// How long a writer waits for another connection or process to finish writing.
    busy_timeout: Duration,
    /// The connection ledger units (group commits of consents and audit events) are written
    /// through, in one blocking call each.
    ledger_writer: std::sync::Arc<ledger_writer::LedgerWriter>,
    /// Reads of one row by key on the caller's thread (`sqlite/point_reads`).
    point_reads: point_reads::PointReads,
    /// The thread that checkpoints the WAL beside the writer; stopped when taken out and
    /// dropped (by [`crate::Storage::close`], or with the storage).
    checkpointer: std::sync::Mutex<Option<checkpoint::Checkpointer>>,
}

/// The storage type `src/queries/` implements the traits for.
type Store = SqliteStorage;

/// What [`crate::Storage::backend`] says.
const BACKEND: Backend = Backend::Sqlite;

/// SQLite has no notifications: a follower of the change log reads it on a timer.
async fn listen_fact_changes(
    _storage: &SqliteStorage,
) -> Result<Option<crate::FactChangeListener>, StorageError> {
    Ok(None)
}

impl SqliteStorage {
    /// Open (creating the file if missing) the database at `path` and migrate it; a writer
    /// waits up to `options.busy_timeout` for a lock, and a commit returns once it is as
    /// durable as `options.durability` says.
    pub(crate) async fn open(
        path: &Path,
        options: &crate::OpenOptions,
    ) -> Result<SqliteStorage, StorageError> {
        let pool = SqlitePoolOptions::new()
            .after_connect(|conn, _| Box::pin(async move { refuse_read_only(conn).await }));
        SqliteStorage::open_with(path, options, pool).await
    }

    /// [`SqliteStorage::open`] with the pool set up from `pool` (tests inject faults here; a
    /// test's `after_connect` calls [`refuse_read_only`] as `open`'s does).
    async fn open_with(
        path: &Path,
        options: &crate::OpenOptions,
        pool: SqlitePoolOptions,
    ) -> Result<SqliteStorage, StorageError> {
        let (busy_timeout, durability) = (options.busy_timeout, options.durability);
        let target = format!("SQLite database {}", path.display());
        if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty())
            && !dir.is_dir()
        {
            return Err(StorageError::Connect(format!(
                "{target}: the directory {} does not exist",
                dir.display()
            )));
        }
        create_private_file(path)
            .map_err(|e| StorageError::Connect(format!("{target}: cannot create the file: {e}")))?;
        // WAL mode is switched on by `use_wal` below, not by a pragma on every connection.
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .pragma("synchronous", synchronous(durability))
            .busy_timeout(busy_timeout)
            .foreign_keys(true)
            // Deleted content (an erased record, a destroyed identity document, a replaced
            // ciphertext) is overwritten with zeros, not left in free pages of the file.
            .pragma("secure_delete", "ON");
        // No connection within the busy timeout and a second is "busy" (503 and retry), as a
        // lock held too long is: while the files cannot be written, new connections are
        // refused (`refuse_read_only`), and a request should not hang for sqlx's default 30 s.
        let pool = crate::pool::discarding_broken_transactions(pool)
            .acquire_timeout(busy_timeout + Duration::from_secs(1))
            .connect_with(options)
            .await
            .map_err(error::connect(&target))?;
        let storage = SqliteStorage {
            pool,
            path: path.to_owned(),
            busy_timeout,
            ledger_writer: std::sync::Arc::new(ledger_writer::LedgerWriter::new(
                path.to_owned(),
                busy_timeout,
                durability,
            )),
            point_reads: point_reads::PointReads::new(path.to_owned(), busy_timeout),
            checkpointer: std::sync::Mutex::new(checkpoint::Checkpointer::start(path.to_owned())),
        };
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
    /// They retry here for about the busy timeout.
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
                Err(e) if is_busy(&e) && waited < self.busy_timeout => {
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
            let mut tx = dialect::begin_write(&self.pool)
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
            if !queries::migrate_one(tx, migration::SQLITE, "SQLite").await? {
                return Ok(());
            }
        }
    }
}

/// Create the database file, empty, readable and writable by its owner only, unless it exists.
///
/// SQLite would create it with mode 0644 (less the umask); personal data, even encrypted, is
/// not for other users of the machine. SQLite gives its `-wal` and `-shm` files the database
/// file's mode. An empty file is a valid empty database. An existing file is left as it is.
fn create_private_file(path: &Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        // Already there (possibly created a moment ago by another process opening it too).
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

/// Refuse a new connection that SQLite opened read-only.
///
/// When the database file or its WAL cannot be opened for writing (an immutable file, `chattr
/// +i`; a file system remounted read-only), SQLite quietly opens it read-only instead. Such a
/// connection would stay in the pool and fail every write with "attempt to write a readonly
/// database" long after the files are writable again, until a restart. Refused here, the pool
/// tries again, and the connection it opens once the fault is gone works.
///
/// The test is a write that is rolled back: `BEGIN IMMEDIATE`, setting `user_version` to the
/// value it has, `ROLLBACK`. Nothing reaches the disk. `BEGIN IMMEDIATE` alone is not enough:
/// while other connections of the process hold the files open, SQLite lets a read-only
/// connection take the write lock and refuses only its first change. The test waits for
/// another writer like any write does (up to the busy timeout); connections are opened rarely
/// (the pool keeps them), so that only matters under a lock held too long, which fails writes
/// anyway.
async fn refuse_read_only(conn: &mut SqliteConnection) -> Result<(), sqlx::Error> {
    const SQLITE_READONLY: i32 = 8;
    sqlx::raw_sql("BEGIN IMMEDIATE").execute(&mut *conn).await?;
    let written = async {
        let version: i64 = sqlx::query_scalar("PRAGMA user_version")
            .fetch_one(&mut *conn)
            .await?;
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "PRAGMA user_version = {version}"
        )))
        .execute(&mut *conn)
        .await
    }
    .await;
    sqlx::raw_sql("ROLLBACK").execute(&mut *conn).await?;
    match written {
        Ok(_) => Ok(()),
        Err(sqlx::Error::Database(db))
            if db
                .code()
                .and_then(|code| code.parse::<i32>().ok())
                .is_some_and(|code| code & 0xff == SQLITE_READONLY) =>
        {
            Err(sqlx::Error::Configuration(
                "SQLite could open the database for reading only (an immutable file or a \
                 read-only file system?); the connection was refused so that writes work again \
                 once the files are writable"
                    .into(),
            ))
        }
        Err(error) => Err(error),
    }
}

/// Whether `error` is SQLITE_BUSY ("database is locked"), with any extended code.
fn is_busy(error: &sqlx::Error) -> bool {
    const SQLITE_BUSY: i32 = 5;
    matches!(error, sqlx::Error::Database(db)
        if db.code().and_then(|code| code.parse::<i32>().ok()).is_some_and(|code| code & 0xff == SQLITE_BUSY))
}

/// SQLite's `synchronous` setting for `durability`, on the pool's connections and the ledger
/// writer's alike. In WAL mode `FULL` syncs the WAL at every commit; `NORMAL` only before and
/// after each checkpoint, so a crash of the process loses nothing committed, a power cut may lose
/// the last commits, and neither corrupts the file.
fn synchronous(durability: crate::Durability) -> &'static str {
    match durability {
        crate::Durability::PowerLoss => "FULL",
        crate::Durability::ProcessCrash => "NORMAL",
    }
}

/// A `rusqlite` connection of Skydd's own to the existing database file at `path`, for the
/// ledger writer, point reads, bulk reads and the checkpoint thread: read-write as the file
/// allows, without SQLite's mutex (each connection is used by one thread at a time), waiting
/// up to `busy_timeout` for a lock (zero: not at all), then `setup` run (its pragmas).
fn open_own_connection(
    path: &Path,
    busy_timeout: Duration,
    setup: &str,
) -> rusqlite::Result<rusqlite::Connection> {
    use rusqlite::OpenFlags;
    let connection = rusqlite::Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    connection.busy_timeout(busy_timeout)?;
    connection.execute_batch(setup)?;
    Ok(connection)
}

/// [`crate::Storage::get_subject`] on SQLite: a point read on this thread.
async fn get_subject(
    storage: &SqliteStorage,
    id: &str,
) -> Result<Option<crate::SubjectRow>, StorageError> {
    storage.point_reads.subject(id)
}

/// [`crate::Storage::subject_with_key`] on SQLite: a point read on this thread
/// (`sqlite/point_reads`), not a hand-over to sqlx's worker.
async fn subject_with_key(
    storage: &SqliteStorage,
    id: &str,
) -> Result<Option<(crate::SubjectRow, Option<crate::SubjectKeyRow>)>, StorageError> {
    storage.point_reads.subject_with_key(id)
}

/// Ledger units in one transaction of the ledger writer's connection, on a blocking thread.
async fn append_ledger(
    storage: &SqliteStorage,
    units: Vec<crate::LedgerUnit>,
) -> Result<(), StorageError> {
    let writer = std::sync::Arc::clone(&storage.ledger_writer);
    tokio::task::spawn_blocking(move || writer.append(&units))
        .await
        .map_err(|_| StorageError::Database("the ledger write stopped unexpectedly".into()))?
}

/// [`crate::Storage::blocking_ledger`] on SQLite: the ledger writer's own connection, called on
/// the caller's thread.
fn blocking_ledger(storage: &SqliteStorage) -> Option<crate::BlockingLedger> {
    let writer = std::sync::Arc::clone(&storage.ledger_writer);
    Some(std::sync::Arc::new(move |units: &[crate::LedgerUnit]| {
        if units.is_empty() {
            return Ok(());
        }
        writer.append(units)
    }))
}

/// [`crate::Storage::index_audit_subjects`] on SQLite: through the ledger writer's connection,
/// so a round and a group commit take turns on a lock of this process rather than through
/// SQLite's busy handler (which sleeps a millisecond or more).
async fn index_audit_subjects(storage: &SqliteStorage, limit: usize) -> Result<u64, StorageError> {
    let writer = std::sync::Arc::clone(&storage.ledger_writer);
    tokio::task::spawn_blocking(move || writer.index_subjects(limit))
        .await
        .map_err(|_| StorageError::Database("a round of the audit subject index stopped".into()))?
}

/// [`crate::Storage::prune_fact_changes`] on SQLite: through the ledger writer's connection,
/// a transaction of at most [`queries::FACT_CHANGES_PRUNED_AT_ONCE`] seqs at a time, so that
/// group commits go between them on this process's lock rather than meeting the prune in
/// SQLite's busy handler, which sleeps a millisecond or more each time it finds the file locked.
async fn prune_fact_changes(storage: &SqliteStorage, up_to_seq: i64) -> Result<u64, StorageError> {
    let writer = std::sync::Arc::clone(&storage.ledger_writer);
    tokio::task::spawn_blocking(move || writer.prune_fact_changes(up_to_seq))
        .await
        .map_err(|_| StorageError::Database("pruning the change log stopped".into()))?
}

/// The write probe's second half on SQLite: a probe that committed may still have fit into a
/// WAL that cannot be copied back (see `sqlite/checkpoint`); the last checkpoint failing on the
/// files says the database takes no more than that.
fn files_take_writes(storage: &SqliteStorage) -> Result<(), StorageError> {
    let checkpointer = storage
        .checkpointer
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if checkpointer
        .as_ref()
        .is_some_and(checkpoint::Checkpointer::fault)
    {
        return Err(StorageError::Database(
            "probe a write: committed pages cannot be copied back into the database file \
             (is the disk full or read-only?)"
                .into(),
        ));
    }
    Ok(())
}

/// Close the ledger writer's connection and stop the checkpoint thread (the pool is closed by
/// the caller).
async fn close_own_connections(storage: &SqliteStorage) {
    storage.ledger_writer.close();
    storage.point_reads.close();
    let stopped = storage
        .checkpointer
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .take();
    drop(stopped);
}

/// Store chained audit events (each with its seq and hash) with their categories, for the
/// shared append: two statements per batch, one for the events and one for the categories,
/// each reading its rows from one JSON array (`json_each`), as [`bulk_reads`] reads in bulk.
/// sqlx hands values over one at a time, so a statement per event and per category cost most
/// of an append; SQLite has no `INSERT` in a `WITH`, hence two statements. Hashes travel as
/// hex (`unhex`), the only text form of bytes JSON has.
async fn insert_chained_events(
    conn: &mut SqliteConnection,
    events: &[(AuditEventRow, [u8; 32])],
) -> Result<(), sqlx::Error> {
    const EVENTS: &str = concat!(
        queries::audit_events_insert!(),
        "SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5,
                value ->> 6, value ->> 7, value ->> 8, unhex(value ->> 9)
         FROM json_each($1)"
    );
    const CATEGORIES: &str = "INSERT INTO audit_event_categories (event_seq, position, category)
         SELECT value ->> 0, value ->> 1, value ->> 2 FROM json_each($1)";
    let encode = |error: serde_json::Error| sqlx::Error::Encode(Box::new(error));
    let rows: Vec<_> = events
        .iter()
        .map(|(event, hash)| {
            (
                event.seq,
                at(event.at),
                &event.actor,
                &event.ip,
                &event.action,
                &event.purpose,
                &event.subject_id,
                &event.outcome,
                &event.detail,
                hex(hash),
            )
        })
        .collect();
    sqlx::query(EVENTS)
        .bind(serde_json::to_string(&rows).map_err(encode)?)
        .execute(&mut *conn)
        .await?;
    let categories: Vec<(i64, usize, &String)> = events
        .iter()
        .flat_map(|(event, _)| {
            event
                .categories
                .iter()
                .enumerate()
                .map(|(position, category)| (event.seq, position, category))
        })
        .collect();
    if !categories.is_empty() {
        sqlx::query(CATEGORIES)
            .bind(serde_json::to_string(&categories).map_err(encode)?)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// `bytes` as lowercase hex, for SQLite's `unhex`.
fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        text.push(char::from(DIGITS[usize::from(byte >> 4)]));
        text.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    text
}

/// Make "no token yet" and the insert of the first token one step for every process: the
/// write lock is taken first.
async fn begin_first_token(
    pool: &SqlitePool,
) -> Result<sqlx::Transaction<'static, dialect::Db>, StorageError> {
    dialect::begin_write(pool)
        .await
        .map_err(error::query("lock the database for the first token"))
}

/// [`crate::Storage::insert_record`] on SQLite: the record, then each anchor, in one
/// transaction (SQLite cannot insert into two tables in one statement).
async fn insert_record(storage: &Store, record: &RecordRow) -> Result<(), sqlx::Error> {
    let mut tx = dialect::begin_write(&storage.pool).await?;
    queries::bind_record(queries::record_insert!(), record)
        .execute(&mut *tx)
        .await?;
    for (event, when) in &record.anchors {
        sqlx::query("INSERT INTO record_anchors (record_id, event, at) VALUES ($1, $2, $3)")
            .bind(&record.id)
            .bind(event)
            .bind(at(*when))
            .execute(&mut *tx)
            .await?;
    }
    queries::insert_mentions(&mut tx, &record.id, &record.mentions).await?;
    tx.commit().await
}

/// [`crate::Storage::audit_chain_links`] on SQLite: through `rusqlite` on a blocking thread
/// (see [`bulk_reads`]), at the speed of hashing the chain.
async fn audit_chain_links(
    storage: &Store,
    after_seq: i64,
    up_to_seq: i64,
) -> Result<ChainLinks, StorageError> {
    let path = storage.path.clone();
    let busy_timeout = storage.busy_timeout;
    tokio::task::spawn_blocking(move || {
        bulk_reads::chain_links(&path, busy_timeout, after_seq, up_to_seq)
    })
    .await
    .map_err(|_| StorageError::Database("a read of the audit chain failed".into()))?
}

/// [`crate::Storage::records_page`] on SQLite: one JSON array per page (see [`bulk_reads`]).
async fn records_page(
    storage: &Store,
    after_id: Option<&str>,
    limit: usize,
) -> Result<Vec<RecordSummary>, StorageError> {
    bulk_reads::record_summaries(&storage.pool, after_id.unwrap_or(""), limit).await
}

/// [`crate::Storage::release_sweep_lock`] on SQLite: closing the lock file releases it.
async fn release_sweep_lock(lock: SweepLock) -> Result<(), StorageError> {
    drop(lock);
    Ok(())
}

/// Delete the records `delete` and `anonymise` in `conn`'s transaction (which holds the write
/// lock), for [`crate::Storage::delete_records`].
///
/// Written for SQLite's speed (see BENCHMARKS.md): what is still there is counted, its subjects
/// listed and the records to anonymise among it found by one pre-selecting statement that
/// returns one row, not one per record; the ids go in as JSON arrays (`json_each`).
async fn delete_listed_records(
    conn: &mut SqliteConnection,
    delete: &[String],
    anonymise: &[AnonymisedRecordRow],
) -> Result<queries::DeletedRecords, StorageError> {
    const OPERATION: &str = "delete records";
    let unlistable = |_| StorageError::Invalid("record ids that cannot be listed".into());
    let ids: Vec<&String> = delete
        .iter()
        .chain(anonymise.iter().map(|a| &a.record_id))
        .collect();
    let ids = serde_json::to_string(&ids).map_err(unlistable)?;
    let anonymise_ids: Vec<&String> = anonymise.iter().map(|a| &a.record_id).collect();
    let anonymise_ids = serde_json::to_string(&anonymise_ids).map_err(unlistable)?;
    let (present, subjects, anonymisable): (i64, String, String) = sqlx::query_as(
        "SELECT count(*), json_group_array(DISTINCT subject_id),
                json_group_array(id) FILTER (WHERE id IN (SELECT value FROM json_each($2)))
         FROM records WHERE id IN (SELECT value FROM json_each($1))",
    )
    .bind(&ids)
    .bind(&anonymise_ids)
    .fetch_one(&mut *conn)
    .await
    .map_err(error::query(OPERATION))?;
    let deleted = sqlx::query("DELETE FROM records WHERE id IN (SELECT value FROM json_each($1))")
        .bind(&ids)
        .execute(&mut *conn)
        .await
        .map_err(error::query(OPERATION))?;
    let records = deleted.rows_affected();
    if i64::try_from(records).ok() != Some(present) {
        return Err(StorageError::Database(
            "records changed while the database was locked for deleting them".into(),
        ));
    }
    let unreadable = |_| StorageError::Database("record ids did not read back".into());
    Ok(queries::DeletedRecords {
        records,
        anonymisable: serde_json::from_str(&anonymisable).map_err(unreadable)?,
        subjects: serde_json::from_str(&subjects).map_err(unreadable)?,
    })
}

/// [`crate::Storage::backup_into`] on SQLite: `VACUUM INTO`.
///
/// Chosen over the online backup API (`sqlite3_backup_*`, which sqlx does not expose): it
/// is one statement in one read transaction, so the copy is of one moment and writers carry on
/// meanwhile (WAL); it needs no raw handle and no second SQLite binding; and it writes a fresh,
/// compacted file, so pages freed by deletions and crypto-shredding are not carried into the
/// backup at all. It refuses a target that exists.
async fn backup_into(storage: &Store, target: &Path) -> Result<(), StorageError> {
    let Some(target) = target.to_str() else {
        return Err(StorageError::Invalid(format!(
            "the backup path {} is not UTF-8",
            target.display()
        )));
    };
    sqlx::query("VACUUM INTO $1")
        .bind(target)
        .execute(&storage.pool)
        .await
        .map_err(error::query("copy the database"))?;
    Ok(())
}

/// [`crate::Storage::try_sweep_lock`] on SQLite: a lock on a file beside the database.
async fn try_sweep_lock(storage: &Store) -> Result<Option<SweepLock>, StorageError> {
    // An exclusive lock on `<database>.sweep-lock`, held while the file stays open: one
    // sweeper per database file across processes; the system releases it when the
    // process dies.
    let mut name = storage.path.clone().into_os_string();
    name.push(".sweep-lock");
    let cannot = |error: std::io::Error| {
        StorageError::Database(format!("cannot take the sweep lock: {error}"))
    };
    let file = {
        use std::os::unix::fs::OpenOptionsExt as _;
        std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .mode(0o600)
            .open(&name)
            .map_err(cannot)?
    };
    match file.try_lock() {
        Ok(()) => Ok(Some(SweepLock::holding(Box::new(file)))),
        Err(std::fs::TryLockError::WouldBlock) => Ok(None),
        Err(std::fs::TryLockError::Error(error)) => Err(cannot(error)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{KeyBinding, Storage};
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
                    tokio::spawn(async move {
                        SqliteStorage::open(
                            &dir.path().join("skydd.db"),
                            &crate::OpenOptions::default(),
                        )
                        .await
                    })
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

    /// A search of the audit trail by subject reads the index by subject (migration 15) and
    /// the tail above its mark by seq, never the whole trail. The index it replaced was never
    /// used: `($2 IS NULL OR subject_id = $2)` hid it from SQLite's planner, which scanned every
    /// event after the page's start.
    #[tokio::test]
    async fn a_search_by_subject_reads_the_subject_index_and_the_tail_only() {
        let dir = tempfile::tempdir().unwrap();
        let storage =
            SqliteStorage::open(&dir.path().join("skydd.db"), &crate::OpenOptions::default())
                .await
                .unwrap();
        // The query text is the crate's own constant.
        let explain = format!("EXPLAIN QUERY PLAN {}", queries::AUDIT_ENTRIES_OF_SUBJECT);
        let steps: Vec<String> = sqlx::query(sqlx::AssertSqlSafe(explain))
            .bind(0_i64)
            .bind("s-1")
            .bind(None::<String>)
            .bind(None::<String>)
            .bind(50_i64)
            .bind(None::<String>)
            .bind(None::<String>)
            .fetch_all(&storage.pool)
            .await
            .unwrap()
            .iter()
            .map(|row| sqlx::Row::get::<String, _>(row, "detail"))
            .collect();
        assert!(
            steps
                .iter()
                .any(|step| step.starts_with("SEARCH x USING PRIMARY KEY (subject_id=?")),
            "the index by subject is searched: {steps:#?}"
        );
        for table in ["e", "t", "x", "audit_events", "audit_subject_entries"] {
            assert!(
                !steps.contains(&format!("SCAN {table}")),
                "{table} is searched, not scanned: {steps:#?}"
            );
        }
        storage.pool.close().await;
    }

    /// Every connection that writes (the pool's and the ledger writer's) syncs each commit as
    /// the durability asks: by default a commit waits for the disk (`FULL`, 2), so that an
    /// acknowledged write survives a power cut; `ProcessCrash` leaves it to the checkpoints
    /// (`NORMAL`, 1).
    #[tokio::test]
    async fn commits_are_as_durable_as_opened() {
        for (durability, expected) in [
            (None, 2_i64),
            (Some(crate::Durability::PowerLoss), 2),
            (Some(crate::Durability::ProcessCrash), 1),
        ] {
            let dir = tempfile::tempdir().unwrap();
            let mut options = crate::OpenOptions::default();
            if let Some(durability) = durability {
                options.durability = durability;
            }
            let storage = SqliteStorage::open(&dir.path().join("skydd.db"), &options)
                .await
                .unwrap();
            let on_pool: i64 = sqlx::query_scalar("PRAGMA synchronous")
                .fetch_one(&storage.pool)
                .await
                .unwrap();
            let on_writer: i64 = storage
                .ledger_writer
                .run(|connection| {
                    connection
                        .query_row("PRAGMA synchronous", [], |row| row.get(0))
                        .map_err(|e| ("read the setting", e))
                })
                .unwrap();
            assert_eq!((on_pool, on_writer), (expected, expected), "{durability:?}");
            storage.pool.close().await;
        }
    }

    /// The database file, and the WAL files SQLite creates beside it, are private to their
    /// owner, whatever the umask allows.
    #[cfg(unix)]
    #[tokio::test]
    async fn the_database_file_is_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("skydd.db");
        let storage = SqliteStorage::open(&path, &crate::OpenOptions::default())
            .await
            .unwrap();
        // Write something, so that the -wal and -shm files exist.
        storage.bind_master_key(&"a".repeat(64)).await.unwrap();
        let mode = |path: &Path| {
            let mode = std::fs::metadata(path).unwrap().permissions().mode();
            format!("{:o}", mode & 0o777)
        };
        assert_eq!(mode(&path), "600", "skydd.db");
        for suffix in ["-wal", "-shm"] {
            let file = dir.path().join(format!("skydd.db{suffix}"));
            assert!(file.exists(), "{suffix}");
            assert_eq!(mode(&file), "600", "{suffix}");
        }
        storage.pool.close().await;

        // Opening it again changes nothing, and the data is still there.
        let storage = SqliteStorage::open(&path, &crate::OpenOptions::default())
            .await
            .unwrap();
        assert_eq!(mode(&path), "600");
        assert_eq!(
            storage.bind_master_key(&"a".repeat(64)).await.unwrap(),
            KeyBinding::Matches
        );
        storage.pool.close().await;
    }

    /// An audit event of the fault tests, told apart by its `detail`.
    fn audit_event(detail: String) -> crate::AuditEventRow {
        crate::AuditEventRow {
            seq: 0,
            at: "2026-01-01T00:00:00Z".parse().unwrap(),
            actor: "tok_test".into(),
            ip: None,
            action: "records.read".into(),
            purpose: None,
            subject_id: None,
            categories: vec!["contact".into()],
            outcome: "done".into(),
            detail: Some(detail),
        }
    }

    /// A full disk (here SQLite's page limit, set on every connection of a one-connection pool)
    /// fails writes cleanly; once space is free again, writes succeed without a restart. Before
    /// the fix, the connection whose rollback failed went back to the pool still counted as
    /// inside a transaction, and every later write failed ("begin_with at non-zero transaction
    /// depth") until the process restarted.
    #[tokio::test]
    async fn writes_recover_after_the_disk_was_full() {
        use std::sync::atomic::{AtomicI64, Ordering};
        /// SQLite's largest page limit: no limit.
        const UNLIMITED: i64 = 1_073_741_823;
        let limit = Arc::new(AtomicI64::new(UNLIMITED));
        let connect_limit = Arc::clone(&limit);
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .after_connect(move |conn, _| {
                let pages = connect_limit.load(Ordering::SeqCst);
                Box::pin(async move {
                    refuse_read_only(conn).await?;
                    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                        "PRAGMA max_page_count = {pages}"
                    )))
                    .execute(conn)
                    .await
                    .map(drop)
                })
            });
        let dir = tempfile::tempdir().unwrap();
        let storage = SqliteStorage::open_with(
            &dir.path().join("skydd.db"),
            &crate::OpenOptions::default(),
            pool,
        )
        .await
        .unwrap();
        let event = |n: usize| audit_event(format!("{n} {}", "x".repeat(2000)));
        let append = async |n: usize| storage.append_audit_events(vec![event(n), event(n)]).await;
        append(0).await.unwrap();
        let set_limit = async |pages: i64| {
            limit.store(pages, Ordering::SeqCst);
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                "PRAGMA max_page_count = {pages}"
            )))
            .execute(&storage.pool)
            .await
            .unwrap();
        };
        // The disk is full: no page may be added.
        let pages: i64 = sqlx::query_scalar("PRAGMA page_count")
            .fetch_one(&storage.pool)
            .await
            .unwrap();
        set_limit(pages).await;
        let mut failed: i64 = 0;
        for n in 1..=20 {
            if let Err(error) = append(n).await {
                assert!(matches!(error, StorageError::Database(_)), "{error}");
                failed += 1;
            }
        }
        assert!(failed > 0, "the page limit made no write fail");
        // Space is free again: every write succeeds, and what was written reads back.
        set_limit(UNLIMITED).await;
        for n in 100..110 {
            append(n).await.unwrap();
        }
        let head = storage.audit_chain_head().await.unwrap();
        assert_eq!(head.seq, 2 * (11 + (20 - failed)));
        storage.pool.close().await;
    }

    /// Makes files immutable (`chattr +i`) for a test and mutable again when dropped, so a
    /// failing test still leaves a temporary directory that can be removed.
    struct Immutable(Vec<std::path::PathBuf>);

    impl Immutable {
        /// `chattr +i` on `file`; `false` where the machine does not allow it (not root, or a
        /// file system without the flag).
        fn set(&mut self, file: &Path) -> bool {
            let done = std::process::Command::new("chattr")
                .arg("+i")
                .arg(file)
                .stderr(std::process::Stdio::null())
                .status()
                .is_ok_and(|status| status.success());
            if done {
                self.0.push(file.to_owned());
            }
            done
        }

        fn clear(&mut self) {
            for file in self.0.drain(..) {
                let _ = std::process::Command::new("chattr")
                    .arg("-i")
                    .arg(&file)
                    .status();
            }
        }
    }

    impl Drop for Immutable {
        fn drop(&mut self) {
            self.clear();
        }
    }

    /// An I/O error on commit (the WAL made immutable: every write to it fails with EPERM,
    /// which SQLite reports as a disk I/O error when the commit writes its pages) and then a
    /// database file that new connections can open only read-only (the main file immutable
    /// too) fail writes cleanly; once the files are writable again every write succeeds,
    /// without a restart. Before the fix, the connections SQLite quietly opened read-only
    /// during the fault stayed in the pool and failed writes ("attempt to write a readonly
    /// database") until the process restarted (issue 14).
    #[tokio::test]
    async fn writes_recover_after_an_io_error_on_commit_and_an_immutable_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("skydd.db");
        let storage = SqliteStorage::open(
            &path,
            &crate::OpenOptions {
                busy_timeout: Duration::from_millis(200),
                ..crate::OpenOptions::default()
            },
        )
        .await
        .unwrap();
        let event = |n: usize| audit_event(format!("{n}"));
        let append = async |n: usize| storage.append_audit_events(vec![event(n)]).await;
        // Through the ledger writer's own connection (`sqlite/ledger_writer.rs`), which must
        // heal as the pool does.
        let append_unit = async |n: usize| {
            storage
                .append_ledger(vec![crate::LedgerUnit::audit(vec![event(n)])])
                .await
        };
        append(0).await.unwrap();
        append_unit(1).await.unwrap();
        sqlx::raw_sql("CREATE TABLE fault_probe (n INTEGER)")
            .execute(&storage.pool)
            .await
            .unwrap();
        // A transaction that has written, on a connection held across the fault.
        let mut conn = storage.pool.acquire().await.unwrap();
        let mut transaction = sqlx::Connection::begin_with(&mut *conn, "BEGIN IMMEDIATE")
            .await
            .unwrap();
        sqlx::raw_sql("INSERT INTO fault_probe VALUES (1)")
            .execute(&mut *transaction)
            .await
            .unwrap();

        let mut immutable = Immutable(Vec::new());
        if !immutable.set(&dir.path().join("skydd.db-wal")) {
            assert!(
                std::env::var_os("CI").is_none(),
                "chattr +i failed: CI must run as root on a file system with the immutable flag"
            );
            eprintln!("skipped: chattr +i is not possible here (not root, or no such flag)");
            return;
        }
        let Err(sqlx::Error::Database(error)) = transaction.commit().await else {
            panic!("the commit was to fail");
        };
        assert_eq!(
            error
                .code()
                .as_deref()
                .map(|code| code.parse::<i32>().unwrap() & 0xff),
            Some(10),
            "SQLITE_IOERR: {error}"
        );
        // As every commit of the storage's own goes, through the one mapping of errors.
        let mapped = crate::error::query("commit")(sqlx::Error::Database(error));
        assert!(mapped.to_string().contains("disk I/O error"), "{mapped}");
        drop(conn);
        let refused = append_unit(6).await;
        assert!(
            refused.is_err(),
            "the ledger writer's commit was to fail: {refused:?}"
        );

        // New connections now open the database read-only: each write fails.
        assert!(immutable.set(&path));
        let during = tokio::join!(append(2), append(3), append(4), append(5));
        assert!(
            during.0.is_err() && during.1.is_err() && during.2.is_err() && during.3.is_err(),
            "{during:?}"
        );
        let refused = append_unit(7).await;
        assert!(refused.is_err(), "{refused:?}");

        // Reads meanwhile may need new connections: none may be a read-only one that outlives
        // the fault (reads never fail on it, so nothing would renew it).
        let head = async || storage.audit_chain_head().await.map(drop);
        let _ = tokio::join!(
            head(),
            head(),
            head(),
            head(),
            head(),
            head(),
            head(),
            head()
        );

        immutable.clear();
        for round in 0..5 {
            let after = tokio::join!(append(10), append(11), append(12), append(13));
            assert!(
                after.0.is_ok() && after.1.is_ok() && after.2.is_ok() && after.3.is_ok(),
                "round {round}: {after:?}"
            );
            append_unit(14).await.unwrap();
        }
        let head = storage.audit_chain_head().await.unwrap();
        assert_eq!(head.seq, 2 + 5 * 5, "nothing failed was half written");
        let probes: i64 = sqlx::query_scalar("SELECT count(*) FROM fault_probe")
            .fetch_one(&storage.pool)
            .await
            .unwrap();
        assert_eq!(probes, 0, "the failed commit wrote nothing");
        storage.pool.close().await;
    }

    /// Append `n` audit events of about 2 KB each through the ledger writer.
    async fn append_large(storage: &SqliteStorage, n: usize) {
        let events = (0..n)
            .map(|n| audit_event(format!("{n} {}", "x".repeat(2000))))
            .collect();
        storage
            .append_ledger(vec![crate::LedgerUnit::audit(events)])
            .await
            .unwrap();
    }

    /// Wait up to ten seconds for `done`.
    async fn eventually(done: impl Fn() -> bool) -> bool {
        let waited = std::time::Instant::now();
        while !done() && waited.elapsed() < Duration::from_secs(10) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        done()
    }

    /// Pages committed through the ledger writer are copied back into the database file by the
    /// checkpoint thread, not by a commit, once the WAL has reached SQLite's own threshold: the
    /// WAL holds fewer pages than the writer's own checkpoint needs
    /// (`checkpoint::WRITER_CHECKPOINT_FRAMES`), and no pool connection commits, yet the file
    /// grows (issue 19). Fails without the thread.
    #[tokio::test]
    async fn the_checkpoint_thread_copies_commits_back_into_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("skydd.db");
        let storage = SqliteStorage::open(&path, &crate::OpenOptions::default())
            .await
            .unwrap();
        let size = || std::fs::metadata(&path).unwrap().len();
        let before = size();
        // About 6 MB: past the 4 MiB from which the thread copies.
        append_large(&storage, 3_000).await;
        assert!(
            eventually(|| size() >= before + 4_000_000).await,
            "the database file did not grow: {before} -> {}",
            size()
        );
        storage.close().await.unwrap();
    }

    /// While committed pages cannot be copied back into the database file (here the file made
    /// immutable; in life a full disk), the write probe behind readiness fails even though its
    /// own small commit went into the WAL; once the file takes writes again, it succeeds.
    #[tokio::test]
    async fn the_write_probe_fails_while_the_wal_cannot_be_copied_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("skydd.db");
        let storage = SqliteStorage::open(&path, &crate::OpenOptions::default())
            .await
            .unwrap();
        let now: jiff::Timestamp = "2026-12-06T12:00:00Z".parse().unwrap();
        let size = || std::fs::metadata(&path).unwrap().len();
        let before = size();
        append_large(&storage, 3_000).await;
        assert!(eventually(|| size() >= before + 4_000_000).await);
        storage.probe_write(now).await.unwrap();

        let mut immutable = Immutable(Vec::new());
        if !immutable.set(&path) {
            assert!(
                std::env::var_os("CI").is_none(),
                "chattr +i failed: CI must run as root on a file system with the immutable flag"
            );
            eprintln!("skipped: chattr +i is not possible here (not root, or no such flag)");
            return;
        }
        append_large(&storage, 100).await;
        let fault = || {
            storage
                .checkpointer
                .lock()
                .unwrap()
                .as_ref()
                .is_some_and(checkpoint::Checkpointer::fault)
        };
        assert!(eventually(fault).await, "the checkpoint did not fail");
        let refused = storage.probe_write(now).await;
        assert!(
            matches!(&refused, Err(StorageError::Database(message)) if message.contains("disk full")),
            "{refused:?}"
        );

        immutable.clear();
        assert!(
            eventually(|| !fault()).await,
            "the checkpoint did not recover"
        );
        storage.probe_write(now).await.unwrap();
        storage.close().await.unwrap();
    }

    #[tokio::test]
    async fn a_missing_directory_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing").join("skydd.db");
        let error = SqliteStorage::open(&path, &crate::OpenOptions::default())
            .await
            .err()
            .unwrap();
        let message = error.to_string();
        assert!(
            message.starts_with("cannot open the database: SQLite database "),
            "{message}"
        );
        assert!(message.ends_with("missing does not exist"), "{message}");
    }
}
