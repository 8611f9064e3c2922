//! Ledger units committed on SQLite in one blocking call each, through a `rusqlite` connection
//! kept for that alone (issue 19).
//!
//! Every decision and every consent write waits for its group commit, so a commit's latency is
//! on the request path. Through sqlx a commit was six statements (begin, read the chain head,
//! the events, their categories, move the head, commit), each handed over to sqlx's SQLite
//! worker thread and back: 0.9 to 1.4 ms for 20 events, which capped decisions at a fifth of an
//! HTTP hello-world. Here the whole transaction runs on one blocking thread with cached prepared
//! statements, the statements' text shared with the sqlx path (`src/queries/`), the chain
//! numbered and hashed by the same [`super::queries::chain_after`].
//!
//! The chunks of the audit trail's index by subject (`super::subject_index`) and the
//! transactions that prune the change log are written on the same connection, between two
//! group commits, so they take turns on this process's lock rather than through SQLite's busy
//! handler.
//!
//! The connection heals as the pool does (`crate::pool`): a write that fails on the files
//! (read-only, I/O, full, cannot open) or leaves the connection inside a transaction drops it,
//! and the next write opens a fresh one; a file fault is also noted for the pool, whose
//! connections are then renewed.

use std::path::PathBuf;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, OptionalExtension, TransactionBehavior, params};

use super::queries;
use super::subject_index::{self, Chunk, SubjectSpan};
use crate::dialect::sqlite as dialect;
use crate::{LedgerUnit, StorageError};

/// The `INSERT` of one audit event with its seq and hash, `$1`..`$10` in the column order of
/// `audit_events_insert!`.
const AUDIT_EVENT_INSERT: &str = concat!(
    queries::audit_events_insert!(),
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
);

/// The `INSERT` of one category of an audit event: `$1` the event's seq, `$2` its position in
/// the event's list, `$3` the category (the bulk path's `json_each` columns, one row at a time).
const AUDIT_CATEGORY_INSERT: &str =
    "INSERT INTO audit_event_categories (event_seq, position, category) VALUES ($1, $2, $3)";

/// The most memory the writer's page cache takes, in KiB (SQLite's default is 2 MiB, which
/// appends spread over a large index outgrow, reading pages back from the file).
const CACHE_KIB: u32 = 65_536;

/// The one connection ledger units are written through, opened on first use and after a fault.
pub(super) struct LedgerWriter {
    /// The database file.
    path: PathBuf,
    /// How long a write waits for another connection or process to finish writing.
    busy_timeout: Duration,
    /// What a commit survives before [`LedgerWriter::append`] returns (as on the pool's
    /// connections).
    durability: crate::Durability,
    /// The connection, if one is open; writes take turns on it (SQLite has one writer anyway).
    connection: Mutex<Option<Connection>>,
    /// The span of the audit trail's index by subject being written, if one is planned.
    span: Mutex<Option<SubjectSpan>>,
}

/// A failed step: what was being done, and SQLite's error.
pub(super) type Failure = (&'static str, rusqlite::Error);

impl LedgerWriter {
    /// A writer for the database at `path`; it opens its connection on the first write.
    pub(super) fn new(
        path: PathBuf,
        busy_timeout: Duration,
        durability: crate::Durability,
    ) -> LedgerWriter {
        LedgerWriter {
            path,
            busy_timeout,
            durability,
            connection: Mutex::new(None),
            span: Mutex::new(None),
        }
    }

    /// Write `units` in one transaction: all of them or, on an error, none. Blocking: run it on
    /// a blocking thread.
    pub(super) fn append(&self, units: &[LedgerUnit]) -> Result<(), StorageError> {
        self.run(|connection| write(connection, units))
    }

    /// One round of the audit trail's index by subject (see
    /// [`crate::Storage::index_audit_subjects`]): the next chunk of the span being written, at
    /// least `limit` entries and whole subjects, planning a span first if none is. Returns how
    /// many events it indexed, 0 when the index was complete or another process had gone on
    /// (the next round plans again). Blocking; rounds take turns.
    pub(super) fn index_subjects(&self, limit: usize) -> Result<u64, StorageError> {
        let mut slot = self.span.lock().unwrap_or_else(PoisonError::into_inner);
        if slot.is_none() {
            *slot = subject_index::plan(&self.path, self.busy_timeout).map_err(storage_error)?;
        }
        let Some(span) = slot.as_mut() else {
            return Ok(0);
        };
        match self.run(|connection| subject_index::write_chunk(connection, span, limit)) {
            Ok(Chunk::Written { events, done }) => {
                if done {
                    *slot = None;
                }
                Ok(events)
            }
            Ok(Chunk::Stale) => {
                *slot = None;
                Ok(0)
            }
            Err(error) => {
                // Planned again from what is stored, which the failed chunk did not change.
                *slot = None;
                Err(error)
            }
        }
    }

    /// [`crate::Storage::prune_fact_changes`]: transactions of at most
    /// [`queries::FACT_CHANGES_PRUNED_AT_ONCE`] seqs, each a turn of its own on the connection,
    /// so group commits go between them. Returns how many rows were deleted. Blocking.
    pub(super) fn prune_fact_changes(&self, up_to_seq: i64) -> Result<u64, StorageError> {
        let mut deleted = 0;
        while let Some(rows) = self.run(|connection| prune_chunk(connection, up_to_seq))? {
            deleted += rows;
        }
        Ok(deleted)
    }

    /// Run `step` on the connection, opening one first if none is open, and drop the
    /// connection after a fault of the files or when `step` left it inside a transaction.
    pub(super) fn run<T>(
        &self,
        step: impl FnOnce(&mut Connection) -> Result<T, Failure>,
    ) -> Result<T, StorageError> {
        // A panic while the lock was held left no transaction open: the dropped `Transaction`
        // rolled it back, and a connection still inside one is dropped below.
        let mut slot = self
            .connection
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let connection = match slot.as_mut() {
            Some(connection) => connection,
            None => slot.insert(self.open().map_err(storage_error)?),
        };
        let outcome = step(connection);
        if let Err((_, error)) = &outcome {
            let fault = file_fault(error);
            if fault {
                crate::pool::note_sqlite_file_fault();
            }
            if fault || !connection.is_autocommit() {
                *slot = None;
            }
        }
        outcome.map_err(storage_error)
    }

    /// Close the connection, if one is open (the next write opens another).
    pub(super) fn close(&self) {
        let mut slot = self
            .connection
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        *slot = None;
    }

    /// Open a connection to the existing file with the settings of the pool's connections.
    fn open(&self) -> Result<Connection, Failure> {
        const OPERATION: &str = "open a connection for ledger writes";
        // As `SqliteStorage::open_with` sets them for the pool (WAL is the file's own); the
        // page cache large enough that the pages appends touch (the chain's tail, the index
        // by subject) stay in it; the checkpoint mostly left to `super::checkpoint`'s thread.
        let setup = format!(
            "PRAGMA foreign_keys = ON; PRAGMA secure_delete = ON; PRAGMA synchronous = {};
             PRAGMA cache_size = -{CACHE_KIB}; PRAGMA wal_autocheckpoint = {};",
            super::synchronous(self.durability),
            super::checkpoint::WRITER_CHECKPOINT_FRAMES
        );
        super::open_own_connection(&self.path, self.busy_timeout, &setup)
            .map_err(|e| (OPERATION, e))
    }
}

/// Write `units` in one `BEGIN IMMEDIATE` transaction: each unit's ledger rows, then every
/// unit's audit events chained after the head, in the units' order.
fn write(connection: &mut Connection, units: &[LedgerUnit]) -> Result<(), Failure> {
    let transaction = connection
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(|e| ("begin appending to the ledgers", e))?;
    for unit in units {
        for event in &unit.consents {
            insert_row(
                &transaction,
                queries::CONSENT_INSERT,
                params![
                    event.scope_kind,
                    event.scope_id,
                    event.purpose,
                    event.granted,
                    event.method,
                    event.notice_version,
                    dialect::at(event.at),
                    event.text_hash,
                    event.context_ciphertext,
                ],
            )
            .map_err(|e| ("append a consent event", e))?;
        }
        for event in &unit.objections {
            insert_row(
                &transaction,
                queries::OBJECTION_INSERT,
                params![
                    event.subject_id,
                    event.purpose,
                    event.objected,
                    event.source,
                    dialect::at(event.at),
                ],
            )
            .map_err(|e| ("append an objection", e))?;
        }
        for event in &unit.preferences {
            insert_row(
                &transaction,
                queries::PREFERENCE_INSERT,
                params![
                    event.subject_id,
                    event.kind,
                    event.name,
                    event.opted_in,
                    dialect::at(event.at),
                ],
            )
            .map_err(|e| ("append a preference", e))?;
        }
    }
    if units.iter().any(|unit| !unit.audit.is_empty()) {
        let audit = units.iter().flat_map(|unit| &unit.audit);
        append_chained(&transaction, audit).map_err(|e| ("append audit events", e))?;
    }
    transaction
        .commit()
        .map_err(|e| ("append to the ledgers", e))
}

/// Run the `INSERT … RETURNING` `sql` with `params` in `transaction` (the returned seq is not
/// needed here).
fn insert_row(
    transaction: &rusqlite::Transaction<'_>,
    sql: &str,
    params: impl rusqlite::Params,
) -> rusqlite::Result<()> {
    transaction
        .prepare_cached(sql)?
        .query_row(params, |_| Ok(()))
}

/// Chain `events` after the head inside `transaction` (which holds the write lock), store them
/// with their categories and move the head.
fn append_chained<'a>(
    transaction: &rusqlite::Transaction<'_>,
    events: impl Iterator<Item = &'a crate::AuditEventRow> + Clone,
) -> rusqlite::Result<()> {
    // A stored hash of another length is refused by the conversion to 32 bytes.
    let (seq, hash): (i64, [u8; 32]) = transaction
        .prepare_cached(queries::chain_head_select!())?
        .query_row([], |row| Ok((row.get(1)?, row.get(2)?)))?;
    let links = queries::chain_links(seq, hash, events.clone());
    let mut insert = transaction.prepare_cached(AUDIT_EVENT_INSERT)?;
    let mut category = transaction.prepare_cached(AUDIT_CATEGORY_INSERT)?;
    for (event, link) in events.zip(&links) {
        insert.execute(params![
            link.seq,
            dialect::at(link.at),
            event.actor,
            event.ip,
            event.action,
            event.purpose,
            event.subject_id,
            event.outcome,
            event.detail,
            &link.hash[..],
        ])?;
        for (position, name) in event.categories.iter().enumerate() {
            // A list longer than i64::MAX cannot exist in memory.
            let position = i64::try_from(position).unwrap_or(i64::MAX);
            category.execute(params![link.seq, position, name])?;
        }
    }
    if let Some(last) = links.last() {
        transaction
            .prepare_cached(queries::CHAIN_HEAD_MOVE)?
            .execute(params![last.seq, &last.hash[..]])?;
    }
    Ok(())
}

/// SQLite's primary result code of `error`, if it came from SQLite.
fn code(error: &rusqlite::Error) -> Option<ErrorCode> {
    match error {
        rusqlite::Error::SqliteFailure(failure, _) => Some(failure.code),
        _ => None,
    }
}

/// Whether `error` is a fault of the files rather than of the statement: the cases after which
/// SQLite may keep a connection read-only or broken (as `crate::pool::note_file_fault` lists).
pub(super) fn file_fault(error: &rusqlite::Error) -> bool {
    matches!(
        code(error),
        Some(
            ErrorCode::ReadOnly
                | ErrorCode::SystemIoFailure
                | ErrorCode::DiskFull
                | ErrorCode::CannotOpen
        )
    )
}

/// A failed step as a storage error, classified as `crate::error::query` classifies sqlx's:
/// a lock not had in time is [`StorageError::Busy`], a unique violation a conflict. SQLite's
/// messages name no bound value.
/// One transaction of [`LedgerWriter::prune_fact_changes`]: the rows it deleted, or `None` when
/// the log was already pruned through `up_to_seq`.
fn prune_chunk(connection: &mut Connection, up_to_seq: i64) -> Result<Option<u64>, Failure> {
    const OPERATION: &str = "prune the change log";
    let tx = connection
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(|error| (OPERATION, error))?;
    let stored: Option<String> = tx
        .prepare_cached(queries::META_SELECT)
        .and_then(|mut select| {
            select
                .query_row([queries::FACT_CHANGES_PRUNED], |row| row.get(0))
                .optional()
        })
        .map_err(|error| (OPERATION, error))?;
    let pruned = queries::fact_changes_pruned_from(stored.as_deref()).map_err(|_| {
        (
            "skydd_meta.fact_changes_pruned_through is not a number; delete the row to start over",
            rusqlite::Error::FromSqlConversionFailure(
                0,
                rusqlite::types::Type::Text,
                "not a number".into(),
            ),
        )
    })?;
    let Some(through) = queries::prune_chunk_end(pruned, up_to_seq) else {
        return Ok(None);
    };
    let deleted = tx
        .prepare_cached(queries::FACT_CHANGES_PRUNE)
        .and_then(|mut delete| delete.execute([through]))
        .map_err(|error| (OPERATION, error))?;
    tx.prepare_cached(queries::META_PUT)
        .and_then(|mut put| put.execute(params![queries::FACT_CHANGES_PRUNED, through.to_string()]))
        .map_err(|error| (OPERATION, error))?;
    tx.commit().map_err(|error| (OPERATION, error))?;
    Ok(Some(u64::try_from(deleted).unwrap_or(u64::MAX)))
}

fn storage_error((operation, error): Failure) -> StorageError {
    let extended = match &error {
        rusqlite::Error::SqliteFailure(failure, _) => failure.extended_code,
        _ => 0,
    };
    let message = format!("{operation}: {error} (code {extended})");
    match code(&error) {
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => StorageError::Busy(message),
        Some(ErrorCode::ConstraintViolation)
            if matches!(
                extended,
                rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                    | rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
            ) =>
        {
            StorageError::Conflict(message)
        }
        _ => StorageError::Database(message),
    }
}
