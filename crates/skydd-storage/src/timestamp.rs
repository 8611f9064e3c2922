//! How timestamps are stored: microsecond precision on both backends.
//!
//! PostgreSQL's `timestamptz` keeps microseconds, so every timestamp is truncated to whole
//! microseconds before it is stored, on SQLite too, and reads back identically from both.
//! PostgreSQL values go through [`jiff_sqlx::Timestamp`]. SQLite has no timestamp type; there a
//! timestamp is TEXT in one fixed-width form, `2025-01-31T09:30:00.000000Z` (UTC, always six
//! fractional digits), so that text order is time order and `ORDER BY` works on the column.

use jiff::Timestamp;
use jiff::fmt::temporal::DateTimePrinter;

use crate::StorageError;

static SQLITE_PRINTER: DateTimePrinter = DateTimePrinter::new().precision(Some(6));

/// `at` without its nanoseconds beyond the last whole microsecond: the precision both backends
/// keep, so a value passed through this reads back from storage exactly as it is.
pub fn truncate(at: Timestamp) -> Timestamp {
    // Truncating towards zero keeps the value within Timestamp's range, so this cannot fail;
    // were it ever to, keeping `at` as it is would be the closest answer.
    Timestamp::from_microsecond(at.as_microsecond()).unwrap_or(at)
}

/// The SQLite TEXT form of `at`, truncated to microseconds.
pub(crate) fn to_sqlite(at: Timestamp) -> String {
    SQLITE_PRINTER.timestamp_to_string(&truncate(at))
}

/// The PostgreSQL `timestamptz` value of `at`, truncated to microseconds.
pub(crate) fn to_postgres(at: Timestamp) -> jiff_sqlx::Timestamp {
    jiff_sqlx::Timestamp::from(truncate(at))
}

/// Read back a timestamp stored by [`to_sqlite`]; `column` names it in the error.
pub(crate) fn from_sqlite(text: &str, column: &str) -> Result<Timestamp, StorageError> {
    text.parse()
        .map_err(|_| StorageError::Database(format!("{column} is not a timestamp Skydd wrote")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_text_is_fixed_width_and_sorts_like_time() {
        let times: Vec<Timestamp> = [
            "1969-12-31T23:59:59.999999Z",
            "1970-01-01T00:00:00Z",
            "2025-01-31T09:30:00Z",
            "2025-01-31T09:30:00.5Z",
            "2025-01-31T09:30:00.500001Z",
            "2025-01-31T09:30:01Z",
            "9999-12-30T21:59:59.999999Z",
        ]
        .iter()
        .map(|s| s.parse().unwrap())
        .collect();
        let texts: Vec<String> = times.iter().map(|t| to_sqlite(*t)).collect();
        assert_eq!(texts[2], "2025-01-31T09:30:00.000000Z");
        assert!(texts.iter().all(|t| t.len() == texts[0].len()), "{texts:?}");
        assert!(texts.windows(2).all(|w| w[0] < w[1]), "{texts:?}");
        for (time, text) in times.iter().zip(&texts) {
            assert_eq!(from_sqlite(text, "t").unwrap(), *time);
        }
    }

    #[test]
    fn truncates_to_microseconds() {
        let at: Timestamp = "2025-01-31T09:30:00.123456789Z".parse().unwrap();
        assert_eq!(
            truncate(at),
            "2025-01-31T09:30:00.123456Z".parse::<Timestamp>().unwrap()
        );
        assert_eq!(to_sqlite(at), "2025-01-31T09:30:00.123456Z");
        let before_epoch: Timestamp = "1969-12-31T23:59:59.999999999Z".parse().unwrap();
        assert_eq!(truncate(before_epoch).subsec_nanosecond() % 1000, 0);
    }

    #[test]
    fn foreign_text_is_an_error_without_the_value() {
        let error = from_sqlite("yesterday", "api_tokens.created_at").unwrap_err();
        assert_eq!(
            error.to_string(),
            "database error: api_tokens.created_at is not a timestamp Skydd wrote"
        );
    }
}
