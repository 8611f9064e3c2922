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

use sqlx::pool::PoolOptions;
use sqlx::{Connection, Database};

/// `options` with the check of this module: a connection still counted as inside a transaction
/// when it is taken from the pool is closed, never handed out.
pub(crate) fn discarding_broken_transactions<DB: Database>(
    options: PoolOptions<DB>,
) -> PoolOptions<DB> {
    options
        // Ping idle connections before handing them out (the default, said here because the
        // check below relies on it to flush a queued rollback first).
        .test_before_acquire(true)
        .before_acquire(|conn, _| {
            let in_transaction = conn.is_in_transaction();
            Box::pin(async move {
                if in_transaction {
                    tracing::warn!(
                        "a database connection whose transaction could not be ended was \
                         closed instead of reused"
                    );
                }
                Ok(!in_transaction)
            })
        })
}
