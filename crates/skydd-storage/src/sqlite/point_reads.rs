//! Reads of one row by primary key on SQLite, run on the calling thread through `rusqlite`
//! connections kept for them (issue 19).
//!
//! A consent write reads its subject and the subject's wrapped key before the group commit.
//! Through sqlx that read is handed to the connection's worker thread and back: two thread
//! switches that cost more than SQLite's own work (a B-tree descent on pages already in memory,
//! a few microseconds), and at 8 connections capped consent writes near 6,000/s. Here the
//! statement runs where the caller is, so the call blocks for those microseconds instead. Only
//! reads of one row by primary key come here: nothing that can scan, and nothing that can wait
//! for a lock (a WAL reader never waits for the writer).
//!
//! Connections are read-only (`query_only`), taken from a small stack of idle ones (one is
//! opened when none is idle) and put back after the read, unless the read failed: a connection
//! that saw an error is dropped, and a fault of the files is noted for the pool as the ledger
//! writer notes it. Each read is one statement in autocommit, so it sees every transaction
//! committed before it starts, as a read through the pool does.

use std::path::PathBuf;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension};

use super::queries;
use crate::dialect::sqlite as dialect;
use crate::{StorageError, SubjectKeyRow, SubjectRow, rows};

/// How many idle connections are kept; more are opened under a burst and dropped after it.
const IDLE: usize = 4;

/// The connections point reads run on.
pub(super) struct PointReads {
    /// The database file.
    path: PathBuf,
    /// How long a read waits on a lock (only a recovering WAL makes a reader wait).
    busy_timeout: Duration,
    /// Connections not in use now.
    idle: Mutex<Vec<Connection>>,
}

/// A failed step: what was being done, and SQLite's error.
type Failure = (&'static str, rusqlite::Error);

impl PointReads {
    /// Point reads of the database at `path`; connections are opened on first use.
    pub(super) fn new(path: PathBuf, busy_timeout: Duration) -> PointReads {
        PointReads {
            path,
            busy_timeout,
            idle: Mutex::new(Vec::new()),
        }
    }

    /// The subject `id` (`None`: no such subject), by [`queries::SUBJECT_SELECT`].
    pub(super) fn subject(&self, id: &str) -> Result<Option<SubjectRow>, StorageError> {
        const OPERATION: &str = "read a subject";
        let found = self.run(|connection| {
            connection
                .prepare_cached(queries::SUBJECT_SELECT)
                .and_then(|mut select| {
                    select
                        .query_row([id], |row| {
                            Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
                        })
                        .optional()
                })
                .map_err(|e| (OPERATION, e))
        })?;
        found
            .map(|(id, tenant, created_at, restricted_at)| {
                subject_row(id, tenant, created_at, restricted_at)
            })
            .transpose()
    }

    /// The subject `id` and its wrapped data key, if it has one (`None`: no such subject), by
    /// [`queries::SUBJECT_WITH_KEY_SELECT`].
    pub(super) fn subject_with_key(
        &self,
        id: &str,
    ) -> Result<Option<(SubjectRow, Option<SubjectKeyRow>)>, StorageError> {
        const OPERATION: &str = "read a subject and its key";
        let found = self.run(|connection| {
            connection
                .prepare_cached(queries::SUBJECT_WITH_KEY_SELECT)
                .and_then(|mut select| {
                    select
                        .query_row([id], |row| {
                            Ok((
                                row.get::<_, String>(0)?,
                                row.get::<_, Option<String>>(1)?,
                                row.get::<_, String>(2)?,
                                row.get::<_, Option<String>>(3)?,
                                row.get::<_, Option<String>>(4)?,
                                row.get::<_, Option<i64>>(5)?,
                                row.get::<_, Option<Vec<u8>>>(6)?,
                            ))
                        })
                        .optional()
                })
                .map_err(|e| (OPERATION, e))
        })?;
        let Some((id, tenant, created_at, restricted_at, key_subject, version, wrapped)) = found
        else {
            return Ok(None);
        };
        let subject = subject_row(id, tenant, created_at, restricted_at)?;
        let key = match (key_subject, version, wrapped) {
            (Some(subject_id), Some(version), Some(wrapped_key)) => Some(SubjectKeyRow {
                subject_id,
                key_version: rows::version_from_db(version)?,
                wrapped_key,
            }),
            // The join found no key (all three NULL: the columns are NOT NULL in the table).
            _ => None,
        };
        Ok(Some((subject, key)))
    }

    /// Run `read` on an idle connection (or a new one) on this thread, and keep the connection
    /// for the next read unless the read failed.
    fn run<T>(
        &self,
        read: impl FnOnce(&Connection) -> Result<T, Failure>,
    ) -> Result<T, StorageError> {
        let idle = self
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        let connection = match idle {
            Some(connection) => connection,
            None => self.open().map_err(failed)?,
        };
        match read(&connection) {
            Ok(value) => {
                let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
                if idle.len() < IDLE {
                    idle.push(connection);
                }
                Ok(value)
            }
            Err((operation, error)) => {
                if super::ledger_writer::file_fault(&error) {
                    crate::pool::note_sqlite_file_fault();
                }
                Err(failed((operation, error)))
            }
        }
    }

    /// Open a read-only connection to the existing file.
    fn open(&self) -> Result<Connection, Failure> {
        const OPERATION: &str = "open a connection for point reads";
        super::open_own_connection(
            &self.path,
            self.busy_timeout,
            "PRAGMA query_only = ON; PRAGMA foreign_keys = ON;",
        )
        .map_err(|e| (OPERATION, e))
    }

    /// Drop every idle connection (the next read opens a fresh one).
    pub(super) fn close(&self) {
        self.idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }
}

/// A subject's row from its columns as SQLite stores them.
fn subject_row(
    id: String,
    tenant: Option<String>,
    created_at: String,
    restricted_at: Option<String>,
) -> Result<SubjectRow, StorageError> {
    Ok(SubjectRow {
        id,
        tenant,
        created_at: dialect::at_from_db(created_at, "subjects", "created_at")?,
        restricted_at: restricted_at
            .map(|at| dialect::at_from_db(at, "subjects", "restricted_at"))
            .transpose()?,
    })
}

/// A failed read as a storage error (SQLite's messages name no bound value).
fn failed((operation, error): Failure) -> StorageError {
    let busy = matches!(
        error.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    );
    let message = format!("{operation}: {error}");
    if busy {
        StorageError::Busy(message)
    } else {
        StorageError::Database(message)
    }
}
