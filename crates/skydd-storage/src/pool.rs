//! How both backends' connection pools refuse a connection that a failed transaction left behind.
//!
//! After a disk-full or I/O error SQLite rolls the transaction back by itself; the `ROLLBACK`
//! that `sqlx` sends when the [`sqlx::Transaction`] is dropped then fails ("no transaction is
//! active"), and `sqlx` keeps counting the connection as inside a transaction. Reused, such a
//! connection refuses every later `BEGIN IMMEDIATE` ("attempted to call begin_with at non-zero
//! transaction depth") and turns the next `begin` into a savepoint of a transaction that does
//! not exist, so writes kept failing after the fault was gone, until a restart. The same holds
//! for any connection whose `COMMIT` or `ROLLBACK` failed on PostgreSQL.
//!
//! The check runs when a connection is taken from the pool, not when it is given back: by then
//! the pool's own test (a ping, which also flushes a rollback queued by a dropped transaction)
//! has run, so a connection still counted as inside a transaction is one whose rollback failed.
//! It is closed and a fresh one opened; the check itself is one counter read, no round trip.
//!
//! A SQLite connection can also stay broken outside a transaction: after an I/O error on its
//! WAL, or when the files were immutable or on a read-only file system, SQLite reopens the
//! files read-only and keeps them so, failing every later write ("attempt to write a readonly
//! database") after the fault is gone. So every file fault ([`note_file_fault`], called by the
//! one mapping of query errors) is remembered, and a connection opened before the latest one is
//! closed when next taken from the pool, again at the cost of one counter read. A new connection
//! that SQLite could open only read-only is refused when it is opened (`sqlite.rs`), so none
//! made during the fault outlives it. The memory is the process's: a fault on one SQLite file
//! renews the connections to every SQLite file of the process, which only costs reconnecting.

use std::sync::LazyLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use sqlx::pool::PoolOptions;
use sqlx::{Connection, Database};

/// The instant the fault times below count from.
static START: LazyLock<Instant> = LazyLock::new(Instant::now);

/// When the latest SQLite file fault was seen, in nanoseconds after [`START`] (0: none yet).
static LAST_FILE_FAULT: AtomicU64 = AtomicU64::new(0);

/// Nanoseconds from [`START`] to `at` (0 for an instant before it; saturating far ahead).
fn since_start(at: Instant) -> u64 {
    u64::try_from(at.saturating_duration_since(*START).as_nanos()).unwrap_or(u64::MAX)
}

/// Remember that a SQLite operation failed on the files themselves (`SQLITE_READONLY`,
/// `SQLITE_IOERR`, `SQLITE_FULL`, `SQLITE_CANTOPEN`, with any extended code): every connection
/// opened before now is closed when next taken from the pool. Other errors are ignored.
pub(crate) fn note_file_fault(error: &sqlx::Error) {
    const SQLITE_READONLY: i32 = 8;
    const SQLITE_IOERR: i32 = 10;
    const SQLITE_FULL: i32 = 13;
    const SQLITE_CANTOPEN: i32 = 14;
    let sqlx::Error::Database(db) = error else {
        return;
    };
    // PostgreSQL's codes are SQLSTATEs, which never parse as numbers.
    let Some(code) = db.code().and_then(|code| code.parse::<i32>().ok()) else {
        return;
    };
    if matches!(
        code & 0xff,
        SQLITE_READONLY | SQLITE_IOERR | SQLITE_FULL | SQLITE_CANTOPEN
    ) {
        note_sqlite_file_fault();
    }
}

/// Remember that a SQLite file fault was just seen (by `note_file_fault`, or by the SQLite
/// ledger writer, which classifies `rusqlite`'s errors itself).
pub(crate) fn note_sqlite_file_fault() {
    // At least 1, so that a fault in the first nanosecond still counts.
    LAST_FILE_FAULT.fetch_max(since_start(Instant::now()).max(1), Ordering::Relaxed);
}

/// Whether a connection `age` old was opened before the latest file fault.
fn opened_before_last_fault(age: Duration) -> bool {
    let fault = LAST_FILE_FAULT.load(Ordering::Relaxed);
    let opened = Instant::now().checked_sub(age).map_or(0, since_start);
    fault != 0 && opened <= fault
}

/// `options` with the checks of this module: a connection still counted as inside a
/// transaction, or opened before the latest file fault, is closed when it is taken from the
/// pool, never handed out.
pub(crate) fn discarding_broken_transactions<DB: Database>(
    options: PoolOptions<DB>,
) -> PoolOptions<DB> {
    options
        // Ping idle connections before handing them out (the default, said here because the
        // check below relies on it to flush a queued rollback first).
        .test_before_acquire(true)
        .before_acquire(|conn, meta| {
            let in_transaction = conn.is_in_transaction();
            let before_fault = opened_before_last_fault(meta.age);
            Box::pin(async move {
                if in_transaction {
                    tracing::warn!(
                        "a database connection whose transaction could not be ended was \
                         closed instead of reused"
                    );
                } else if before_fault {
                    tracing::info!(
                        "a database connection opened before a fault of the database files \
                         was closed instead of reused"
                    );
                }
                Ok(!in_transaction && !before_fault)
            })
        })
}
