//! The audit trail's index by subject on SQLite, written a span at a time in chunks of whole
//! subjects (migrations 15 and 24, issue 19).
//!
//! A span is up to [`SPAN_EVENTS`] events past the mark. Its entries (subject, seq) are read
//! once, on a connection of their own and outside the ledger writer's lock, and sorted by
//! subject here; then each round writes the next chunk of whole subjects in a short transaction
//! on the writer's connection, between two group commits, and records in `audit_subject_span`
//! which subject comes next. A subject's entries of the whole span thus land on its pages of
//! the index once, where rounds of a few thousand events each wrote a page for nearly every
//! subject every round (measured on 131,072 decision events over 1,000 subjects: 20 MB of WAL
//! and 0.1 s of the lock against 130 MB and 0.4 s, the longest transaction 4 ms against 32 ms).
//!
//! A search by one subject reads the entries up to that subject's mark (`subject_mark_of!`):
//! the span's end for a subject ordered before `next_subject`, the mark otherwise. Subjects
//! compare by their bytes, here (`str`'s order) and in SQLite (`BINARY`) alike.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::ledger_writer::Failure;
use super::queries;

/// The most events one span covers. Larger spans write each subject's pages less often and
/// hold more entries in memory (about 70 bytes each) while they are written; a search by a
/// subject not yet written scans the events above the mark, at most a span and what came after.
pub(super) const SPAN_EVENTS: usize = 131_072;

/// What a round does.
const OPERATION: &str = "index the audit trail by subject";

/// The span's state as stored: where it ends and the first subject not yet written, or `None`
/// between spans.
type Stored = Option<(i64, String)>;

/// A span being written: its bounds, its entries sorted by subject, how far they are written
/// and what `audit_subject_span` holds, which a chunk checks before it writes (another process
/// writing the same file may have gone on, and then this span is planned again).
pub(super) struct SubjectSpan {
    /// The mark the span starts from: entries above it up to `end` are written by this span.
    mark: i64,
    /// The span's last seq.
    end: i64,
    /// The entries not yet written when the span was planned, sorted by subject then seq.
    entries: Vec<(String, i64)>,
    /// How many of `entries` are written.
    written: usize,
    /// The span's events that name no subject (counted when its last chunk is written).
    without_subject: u64,
    /// What `audit_subject_span` holds now, as this span left it.
    stored: Stored,
}

/// Plan the span that the next rounds write: the one in progress, if a round was interrupted
/// (after a restart, or written by another process), or the events past the mark up to
/// [`SPAN_EVENTS`], never past the chain's head. `None` when the index is complete. Reads in
/// one snapshot on a short-lived read-only connection, so that the writer's lock is not held.
pub(super) fn plan(path: &Path, busy_timeout: Duration) -> Result<Option<SubjectSpan>, Failure> {
    let connection =
        super::open_own_connection(path, busy_timeout, "PRAGMA query_only = ON; BEGIN")
            .map_err(|e| (OPERATION, e))?;
    let (mark, stored) = read_state(&connection)?;
    let (end, from) = match &stored {
        Some((end, next)) => (*end, Some(next.as_str())),
        None => {
            let head: i64 = connection
                .query_row(queries::chain_head_select!(), [], |row| row.get(1))
                .map_err(|e| (OPERATION, e))?;
            match queries::subject_round_end(mark, head, SPAN_EVENTS) {
                Some(end) => (end, None),
                None => return Ok(None),
            }
        }
    };
    let mut entries = connection
        .prepare(
            "SELECT subject_id, seq FROM audit_events
             WHERE seq > $1 AND seq <= $2 AND subject_id IS NOT NULL
               AND ($3 IS NULL OR subject_id >= $3)",
        )
        .and_then(|mut select| {
            select
                .query_map(params![mark, end, from], |row| {
                    Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()
        })
        .map_err(|e| (OPERATION, e))?;
    entries.sort_unstable();
    let without_subject: i64 = connection
        .query_row(
            "SELECT count(*) FROM audit_events
             WHERE seq > $1 AND seq <= $2 AND subject_id IS NULL",
            params![mark, end],
            |row| row.get(0),
        )
        .map_err(|e| (OPERATION, e))?;
    Ok(Some(SubjectSpan {
        mark,
        end,
        entries,
        written: 0,
        without_subject: u64::try_from(without_subject).unwrap_or(0),
        stored,
    }))
}

/// What [`write_chunk`] did.
pub(super) enum Chunk {
    /// It wrote entries (the count includes, for a span's last chunk, the span's events that
    /// name no subject); `done` when that was the span's last chunk and the mark moved.
    Written { events: u64, done: bool },
    /// The stored state is not the one this span left: another process went on. Nothing was
    /// written; plan again.
    Stale,
}

/// Write the span's next chunk, at least `limit` entries (or what is left) and then the rest of
/// the last subject's, so that a subject is never split, in one `BEGIN IMMEDIATE` transaction:
/// the entries, and either the next subject or, at the span's end, the mark moved and the span
/// cleared.
pub(super) fn write_chunk(
    connection: &mut Connection,
    span: &mut SubjectSpan,
    limit: usize,
) -> Result<Chunk, Failure> {
    let transaction = connection
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(|e| (OPERATION, e))?;
    let (mark, stored) = read_state(&transaction)?;
    if mark != span.mark || stored != span.stored {
        return Ok(Chunk::Stale);
    }
    let end = chunk_end(&span.entries, span.written, limit);
    let chunk = &span.entries[span.written..end];
    {
        let mut insert = transaction
            .prepare_cached(
                "INSERT INTO audit_subject_entries (subject_id, seq) VALUES ($1, $2)
                 ON CONFLICT DO NOTHING",
            )
            .map_err(|e| (OPERATION, e))?;
        for (subject, seq) in chunk {
            insert
                .execute(params![subject, seq])
                .map_err(|e| (OPERATION, e))?;
        }
    }
    // At most a span's entries: they fit in a u64.
    let mut events = u64::try_from(chunk.len()).unwrap_or(u64::MAX);
    let next = span.entries.get(end).map(|(subject, _)| subject.clone());
    match &next {
        Some(next) => transaction
            .prepare_cached(
                "UPDATE audit_subject_span SET end_seq = $1, next_subject = $2 WHERE id = 1",
            )
            .and_then(|mut update| update.execute(params![span.end, next])),
        None => transaction
            .prepare_cached(queries::SUBJECT_MARK_MOVE)
            .and_then(|mut update| update.execute(params![span.end]))
            .and_then(|_| {
                transaction.prepare_cached(
                    "UPDATE audit_subject_span SET end_seq = NULL, next_subject = NULL
                     WHERE id = 1",
                )
            })
            .and_then(|mut update| update.execute([])),
    }
    .map_err(|e| (OPERATION, e))?;
    transaction.commit().map_err(|e| (OPERATION, e))?;
    span.written = end;
    let done = next.is_none();
    if done {
        events = events.saturating_add(span.without_subject);
    }
    span.stored = next.map(|next| (span.end, next));
    Ok(Chunk::Written { events, done })
}

/// Where a chunk starting at `from` ends: `limit` entries on (at least one), then on to the
/// last entry of that subject, never past the end.
fn chunk_end(entries: &[(String, i64)], from: usize, limit: usize) -> usize {
    let mut end = from.saturating_add(limit.max(1)).min(entries.len());
    while end > from && end < entries.len() && entries[end].0 == entries[end - 1].0 {
        end += 1;
    }
    end
}

/// The mark and the span in progress, as stored.
fn read_state(connection: &Connection) -> Result<(i64, Stored), Failure> {
    let mark: i64 = connection
        .prepare_cached(queries::subject_mark_select!())
        .and_then(|mut select| select.query_row([], |row| row.get(0)))
        .map_err(|e| (OPERATION, e))?;
    let stored = connection
        .prepare_cached("SELECT end_seq, next_subject FROM audit_subject_span WHERE id = 1")
        .and_then(|mut select| {
            select
                .query_row([], |row| {
                    Ok(match (row.get::<_, Option<i64>>(0)?, row.get(1)?) {
                        (Some(end), Some(next)) => Some((end, next)),
                        _ => None,
                    })
                })
                .optional()
        })
        .map_err(|e| (OPERATION, e))?
        .flatten();
    Ok((mark, stored))
}

#[cfg(test)]
mod tests {
    use super::chunk_end;

    fn entries(subjects: &[&str]) -> Vec<(String, i64)> {
        subjects
            .iter()
            .zip(1..)
            .map(|(s, seq)| ((*s).to_string(), seq))
            .collect()
    }

    #[test]
    fn a_chunk_never_splits_a_subject() {
        let e = entries(&["a", "a", "b", "b", "b", "c"]);
        assert_eq!(chunk_end(&e, 0, 1), 2, "all of a");
        assert_eq!(chunk_end(&e, 0, 3), 5, "a, then all of b");
        assert_eq!(chunk_end(&e, 2, 1), 5);
        assert_eq!(chunk_end(&e, 5, 10), 6, "what is left");
        assert_eq!(
            chunk_end(&e, 0, 0),
            2,
            "at least one entry, with its subject's others"
        );
        assert_eq!(chunk_end(&e, 6, 4), 6, "nothing left");
        assert_eq!(chunk_end(&[], 0, 4), 0);
    }
}
