//! Bulk reads of millions of rows on SQLite, where sqlx's cost per value would dominate:
//! stretches of the audit chain (`skydd audit verify`) and pages of record summaries
//! (retention sweeps).
//!
//! sqlx hands every value of every row over from SQLite's thread one at a time, which costs
//! several times what SQLite spends finding the row. Record summaries are therefore aggregated by
//! SQLite into one JSON array per page. The audit chain, which verification must read at the
//! speed of hashing it, is read on a blocking thread through its own short-lived `rusqlite`
//! connection (the same SQLite library), with values borrowed straight from SQLite's rows and
//! encoded into [`ChainLinks`] without an intermediate copy.

use std::path::Path;

use rusqlite::types::ValueRef;
use sqlx::SqlitePool;

use crate::audit_chain::{ChainLinks, EntryFields, StoredHash};
use crate::{RecordSummary, StorageError, error, timestamp};

fn unreadable(what: &str) -> StorageError {
    StorageError::Database(format!("{what} did not read back as Skydd writes them"))
}

/// A `rusqlite` error as a storage error naming `operation` (SQLite's message names no value).
fn failed(operation: &'static str) -> impl Fn(rusqlite::Error) -> StorageError {
    move |error| StorageError::Database(format!("{operation}: {error}"))
}

/// Text in `column` of a chain row, or `None` for NULL.
fn text<'a>(value: ValueRef<'a>, column: &str) -> Result<Option<&'a str>, StorageError> {
    match value {
        ValueRef::Null => Ok(None),
        // Skydd writes only UTF-8, so other bytes were put there behind its back. They stand in
        // as U+FFFD, which changes the entry's encoding: the verifier names the entry rather
        // than the whole verification failing.
        ValueRef::Text(bytes) => Ok(Some(std::str::from_utf8(bytes).unwrap_or("\u{FFFD}"))),
        _ => Err(StorageError::Database(format!(
            "audit_events.{column} is not text"
        ))),
    }
}

fn required<'a>(value: ValueRef<'a>, column: &str) -> Result<&'a str, StorageError> {
    text(value, column)?
        .ok_or_else(|| StorageError::Database(format!("audit_events.{column} is null")))
}

/// The entries with `after < seq <= up_to`, read in one read transaction of a connection opened
/// for this read (blocking: run it on a blocking thread).
pub(super) fn chain_links(
    path: &Path,
    busy_timeout: std::time::Duration,
    after: i64,
    up_to: i64,
) -> Result<ChainLinks, StorageError> {
    const OPERATION: &str = "read a stretch of the audit chain";
    // Reads only; one transaction, so that entries and categories are one snapshot.
    let conn = super::open_own_connection(path, busy_timeout, "PRAGMA query_only = ON; BEGIN")
        .map_err(failed(OPERATION))?;
    let mut events = conn
        .prepare(
            "SELECT seq, at, actor, ip, action, purpose, subject_id, outcome, detail, hash
             FROM audit_events WHERE seq > ?1 AND seq <= ?2 ORDER BY seq",
        )
        .map_err(failed(OPERATION))?;
    let mut categories = conn
        .prepare(
            "SELECT event_seq, category FROM audit_event_categories
             WHERE event_seq > ?1 AND event_seq <= ?2 ORDER BY event_seq, position",
        )
        .map_err(failed(OPERATION))?;
    let mut events = events.query((after, up_to)).map_err(failed(OPERATION))?;
    let mut categories = categories
        .query((after, up_to))
        .map_err(failed(OPERATION))?;
    let capacity = usize::try_from(up_to.saturating_sub(after)).unwrap_or(0);
    let mut links = ChainLinks::with_capacity(capacity.min(1 << 20));
    // The categories of the entry at hand, copied out of their rows (a row's text lives until
    // the next step) into one buffer, with the end of each; and a category row read ahead that
    // belongs to a later entry.
    let mut names = String::new();
    let mut ends: Vec<usize> = Vec::new();
    let mut ahead_seq: Option<i64> = None;
    let mut ahead_name = String::new();
    while let Some(row) = events.next().map_err(failed(OPERATION))? {
        let seq: i64 = row.get(0).map_err(failed(OPERATION))?;
        names.clear();
        ends.clear();
        loop {
            let event_seq = match ahead_seq.take() {
                Some(event_seq) => event_seq,
                None => match categories.next().map_err(failed(OPERATION))? {
                    Some(category) => {
                        ahead_name.clear();
                        ahead_name.push_str(required(
                            category.get_ref(1).map_err(failed(OPERATION))?,
                            "category",
                        )?);
                        category.get(0).map_err(failed(OPERATION))?
                    }
                    None => break,
                },
            };
            if event_seq > seq {
                ahead_seq = Some(event_seq);
                break;
            }
            // A category of an entry that is not there is the verifier's business: the
            // entry's absence is what it reports.
            if event_seq == seq {
                names.push_str(&ahead_name);
                ends.push(names.len());
            }
        }
        let mut of_entry: Vec<&str> = Vec::with_capacity(ends.len());
        let mut start = 0;
        for &end in &ends {
            of_entry.push(names.get(start..end).unwrap_or_default());
            start = end;
        }
        let value = |index: usize| row.get_ref(index).map_err(failed(OPERATION));
        let stored = match value(9)? {
            ValueRef::Null => StoredHash::Missing,
            ValueRef::Blob(bytes) => StoredHash::from_column(Some(bytes)),
            _ => StoredHash::Malformed,
        };
        let fields = EntryFields {
            seq,
            at: timestamp::from_sqlite(required(value(1)?, "at")?, "audit_events.at")?,
            actor: required(value(2)?, "actor")?,
            ip: text(value(3)?, "ip")?,
            action: required(value(4)?, "action")?,
            purpose: text(value(5)?, "purpose")?,
            subject_id: text(value(6)?, "subject_id")?,
            categories: &of_entry,
            outcome: required(value(7)?, "outcome")?,
            detail: text(value(8)?, "detail")?,
        };
        links.push(&fields, stored);
    }
    Ok(links)
}

/// Up to `limit` records with an id above `after`, by id, with their anchors: two values per
/// page (the records, then the anchors of the id range they span, as JSON arrays).
pub(super) async fn record_summaries(
    pool: &SqlitePool,
    after: &str,
    limit: usize,
) -> Result<Vec<RecordSummary>, StorageError> {
    const OPERATION: &str = "read a page of records";
    let mut tx = pool.begin().await.map_err(error::query(OPERATION))?;
    let (records, last): (String, Option<String>) = sqlx::query_as(
        "SELECT json_group_array(json_array(id, subject_id, category, purpose, source,
                                            collected_at)),
                max(id)
         FROM (SELECT id, subject_id, category, purpose, source, collected_at FROM records
               WHERE id > ?1 ORDER BY id LIMIT ?2)",
    )
    .bind(after)
    .bind(crate::rows::limit_to_db(limit))
    .fetch_one(&mut *tx)
    .await
    .map_err(error::query(OPERATION))?;
    let Some(last) = last else {
        tx.rollback().await.map_err(error::query(OPERATION))?;
        return Ok(Vec::new());
    };
    let anchors: String = sqlx::query_scalar(
        "SELECT json_group_array(json_array(record_id, event, at)) FROM record_anchors
         WHERE record_id > ?1 AND record_id <= ?2",
    )
    .bind(after)
    .bind(&last)
    .fetch_one(&mut *tx)
    .await
    .map_err(error::query(OPERATION))?;
    tx.rollback().await.map_err(error::query(OPERATION))?;
    type Summary = (String, String, String, String, String, String);
    let records: Vec<Summary> =
        serde_json::from_str(&records).map_err(|_| unreadable("records"))?;
    let mut anchors: Vec<(String, String, String)> =
        serde_json::from_str(&anchors).map_err(|_| unreadable("record anchors"))?;
    // Checked, not assumed: records by id, anchors by record and event.
    let mut summaries = records
        .into_iter()
        .map(
            |(id, subject_id, category, purpose, source, collected_at)| {
                Ok(RecordSummary {
                    id,
                    subject_id,
                    category,
                    purpose,
                    source,
                    collected_at: timestamp::from_sqlite(&collected_at, "records.collected_at")?,
                    anchors: Vec::new(),
                })
            },
        )
        .collect::<Result<Vec<_>, StorageError>>()?;
    if !summaries.is_sorted_by(|a, b| a.id < b.id) {
        summaries.sort_by(|a, b| a.id.cmp(&b.id));
    }
    if !anchors.is_sorted_by(|a, b| (&a.0, &a.1) < (&b.0, &b.1)) {
        anchors.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    }
    let mut anchors = anchors.into_iter().peekable();
    for summary in &mut summaries {
        while let Some((record_id, _, _)) = anchors.peek() {
            if *record_id > summary.id {
                break;
            }
            if let Some((record_id, event, at)) = anchors.next()
                && record_id == summary.id
            {
                let at = timestamp::from_sqlite(&at, "record_anchors.at")?;
                summary.anchors.push((event, at));
            }
        }
    }
    Ok(summaries)
}
