//! Turning `sqlx` errors into [`StorageError`]s that say what failed without leaking secrets.
//!
//! Messages name the operation and carry the database's own diagnostic. They never contain a
//! connection URL (the caller describes the target without its password), and never a bound
//! value: PostgreSQL's `DETAIL` (which quotes the offending row) is not used, and for its "data
//! exception" class (SQLSTATE `22…`, whose messages quote the rejected input) only the code is
//! kept.

use crate::StorageError;

/// Map an error from opening or migrating the database at `target` (a description such as
/// "SQLite database /srv/skydd/skydd.db", never a URL).
pub(crate) fn connect(target: &str) -> impl FnOnce(sqlx::Error) -> StorageError + '_ {
    move |error| StorageError::Connect(format!("{target}: {}", describe(&error)))
}

/// Map an error from running `operation` ("insert API token") on an open database. A unique
/// violation becomes [`StorageError::Conflict`]; a lock that could not be had in time, or no
/// connection within the pool's acquire timeout, [`StorageError::Busy`]. A fault of SQLite's
/// files is remembered, so the pool renews its connections ([`crate::pool::note_file_fault`]).
pub(crate) fn query(operation: &str) -> impl FnOnce(sqlx::Error) -> StorageError + '_ {
    move |error| {
        crate::pool::note_file_fault(&error);
        if is_busy(&error) || matches!(error, sqlx::Error::PoolTimedOut) {
            StorageError::Busy(format!("{operation}: {}", describe(&error)))
        } else if is_unique_violation(&error) {
            StorageError::Conflict(format!("{operation}: {}", describe(&error)))
        } else {
            StorageError::Database(format!("{operation}: {}", describe(&error)))
        }
    }
}

/// Map an error from an insert by `operation` ("insert a record"): a unique violation becomes
/// [`StorageError::Conflict`] saying `conflict`, a foreign key violation (when `missing_parent`
/// is given) [`StorageError::Invalid`] saying `missing_parent`; anything else as [`query`].
/// Both messages are the caller's words, so they hold only what the caller put in them.
pub(crate) fn insert<'a>(
    operation: &'a str,
    conflict: String,
    missing_parent: Option<&'a str>,
) -> impl FnOnce(sqlx::Error) -> StorageError + 'a {
    move |error| {
        if is_unique_violation(&error) {
            return StorageError::Conflict(format!("{operation}: {conflict}"));
        }
        if let Some(missing) = missing_parent
            && is_foreign_key_violation(&error)
        {
            return StorageError::Invalid(format!("{operation}: {missing}"));
        }
        query(operation)(error)
    }
}

/// Whether `error` says another connection held a lock longer than this one would wait: SQLite's
/// `SQLITE_BUSY` and `SQLITE_LOCKED` (with their extended codes), PostgreSQL's
/// `lock_not_available` (55P03, from `lock_timeout`) and `query_canceled` (57014, from
/// `statement_timeout`).
pub(crate) fn is_busy(error: &sqlx::Error) -> bool {
    const SQLITE_BUSY: i32 = 5;
    const SQLITE_LOCKED: i32 = 6;
    let sqlx::Error::Database(db) = error else {
        return false;
    };
    let Some(code) = db.code() else {
        return false;
    };
    match code.parse::<i32>() {
        // SQLite's codes are numbers; the primary code is the low byte of an extended one.
        Ok(number) => matches!(number & 0xff, SQLITE_BUSY | SQLITE_LOCKED),
        Err(_) => matches!(&*code, "55P03" | "57014"),
    }
}

/// Whether `error` is the violation of a foreign key constraint.
fn is_foreign_key_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(db) if db.is_foreign_key_violation())
}

/// Whether `error` is the violation of a unique or primary key constraint.
pub(crate) fn is_unique_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(db) if db.is_unique_violation())
}

/// A one-line description of `error` that is safe to show.
fn describe(error: &sqlx::Error) -> String {
    match error {
        sqlx::Error::Database(db) => {
            let code = db.code();
            let code = code.as_deref().unwrap_or("unknown");
            // SQLSTATEs have five characters; SQLite's numeric codes have at most four digits.
            if code.len() == 5 && code.starts_with("22") {
                // PostgreSQL's data exceptions quote the rejected value in their message.
                return format!("the database refused a value (SQLSTATE {code})");
            }
            format!("{} (code {code})", db.message())
        }
        // sqlx wraps some configuration errors twice ("error with configuration: error with
        // configuration: …"); show the innermost one.
        sqlx::Error::Configuration(source) => match source.downcast_ref::<sqlx::Error>() {
            Some(inner) => describe(inner),
            None => error.to_string(),
        },
        other => other.to_string(),
    }
}
