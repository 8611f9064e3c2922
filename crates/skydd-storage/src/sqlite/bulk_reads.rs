//! Bulk reads that SQLite aggregates into a handful of values instead of one per column of
//! every row: stretches of the audit chain (`skydd audit verify`) and pages of record summaries
//! (retention sweeps).
//!
//! sqlx hands every value of every row over from SQLite's thread one at a time, which costs
//! several times what SQLite spends finding the row, and these reads cover millions of rows. So
//! SQLite builds one JSON array per page (and, for the chain, concatenates the stored hashes, 32
//! bytes each). Chain entries' strings are borrowed from the JSON text where they need no
//! unescaping and encoded straight into [`ChainLinks`].

use std::borrow::Cow;

use serde::de::{Deserialize, Deserializer, Visitor};
use sqlx::SqlitePool;

use crate::audit_chain::{ChainLinks, EntryFields, StoredHash};
use crate::{RecordSummary, StorageError, error, timestamp};

/// A JSON string or null, borrowed from the JSON text when it has no escapes.
struct JsonText<'a>(Option<Cow<'a, str>>);

impl<'de> Deserialize<'de> for JsonText<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TextVisitor;
        impl<'de> Visitor<'de> for TextVisitor {
            type Value = JsonText<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string or null")
            }
            fn visit_borrowed_str<E>(self, text: &'de str) -> Result<Self::Value, E> {
                Ok(JsonText(Some(Cow::Borrowed(text))))
            }
            fn visit_str<E>(self, text: &str) -> Result<Self::Value, E> {
                Ok(JsonText(Some(Cow::Owned(text.to_owned()))))
            }
            fn visit_string<E>(self, text: String) -> Result<Self::Value, E> {
                Ok(JsonText(Some(Cow::Owned(text))))
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(JsonText(None))
            }
            fn visit_none<E>(self) -> Result<Self::Value, E> {
                Ok(JsonText(None))
            }
        }
        deserializer.deserialize_any(TextVisitor)
    }
}

impl JsonText<'_> {
    fn optional(&self) -> Option<&str> {
        self.0.as_deref()
    }

    fn required(&self, column: &str) -> Result<&str, StorageError> {
        self.0
            .as_deref()
            .ok_or_else(|| StorageError::Database(format!("audit_events.{column} is null")))
    }
}

/// One entry as the JSON array has it: seq, at, actor, ip, action, purpose, subject_id,
/// outcome, detail.
type Entry<'a> = (
    i64,
    JsonText<'a>,
    JsonText<'a>,
    JsonText<'a>,
    JsonText<'a>,
    JsonText<'a>,
    JsonText<'a>,
    JsonText<'a>,
    JsonText<'a>,
);

fn unreadable(what: &str) -> StorageError {
    StorageError::Database(format!("{what} did not read back as Skydd writes them"))
}

/// The entries with `after < seq <= up_to`, or `None` when the stretch is not as Skydd writes
/// it (a hash missing or not 32 bytes, entries out of order): the caller then reads it entry
/// by entry, for the verifier to name what is wrong.
pub(super) async fn chain_links(
    pool: &SqlitePool,
    after: i64,
    up_to: i64,
) -> Result<Option<ChainLinks>, StorageError> {
    const OPERATION: &str = "read a stretch of the audit chain";
    let mut tx = pool.begin().await.map_err(error::query(OPERATION))?;
    let (entries, hashes, odd_hashes): (String, Option<Vec<u8>>, i64) = sqlx::query_as(
        "SELECT json_group_array(json_array(seq, at, actor, ip, action, purpose, subject_id,
                                            outcome, detail)),
                CAST(group_concat(hash, '') AS BLOB),
                count(CASE WHEN hash IS NULL OR length(hash) != 32 THEN 1 END)
         FROM audit_events WHERE seq > ?1 AND seq <= ?2",
    )
    .bind(after)
    .bind(up_to)
    .fetch_one(&mut *tx)
    .await
    .map_err(error::query(OPERATION))?;
    let categories: String = sqlx::query_scalar(
        "SELECT json_group_array(json_array(event_seq, position, category))
         FROM audit_event_categories WHERE event_seq > ?1 AND event_seq <= ?2",
    )
    .bind(after)
    .bind(up_to)
    .fetch_one(&mut *tx)
    .await
    .map_err(error::query(OPERATION))?;
    tx.rollback().await.map_err(error::query(OPERATION))?;
    if odd_hashes != 0 {
        return Ok(None);
    }
    let hashes = hashes.unwrap_or_default();
    let entries: Vec<Entry<'_>> =
        serde_json::from_str(&entries).map_err(|_| unreadable("audit entries"))?;
    let mut categories: Vec<(i64, i64, JsonText<'_>)> =
        serde_json::from_str(&categories).map_err(|_| unreadable("audit entry categories"))?;
    // Both aggregates walk their table's key in order; checking makes that a fact rather than
    // an assumption about the query planner.
    if hashes.len() != entries.len() * 32 || !entries.is_sorted_by(|a, b| a.0 < b.0) {
        return Ok(None);
    }
    if !categories.is_sorted_by_key(|&(seq, position, _)| (seq, position)) {
        categories.sort_unstable_by_key(|&(seq, position, _)| (seq, position));
    }
    let mut links = ChainLinks::with_capacity(entries.len());
    let mut next_category = 0;
    let mut of_entry: Vec<&str> = Vec::new();
    for (entry, hash) in entries.iter().zip(hashes.chunks_exact(32)) {
        let (seq, at, actor, ip, action, purpose, subject_id, outcome, detail) = entry;
        of_entry.clear();
        while let Some((event_seq, _, category)) = categories.get(next_category) {
            if event_seq > seq {
                break;
            }
            if event_seq == seq {
                of_entry.push(category.required("category")?);
            }
            next_category += 1;
        }
        let fields = EntryFields {
            seq: *seq,
            at: timestamp::from_sqlite(at.required("at")?, "audit_events.at")?,
            actor: actor.required("actor")?,
            ip: ip.optional(),
            action: action.required("action")?,
            purpose: purpose.optional(),
            subject_id: subject_id.optional(),
            categories: &of_entry,
            outcome: outcome.required("outcome")?,
            detail: detail.optional(),
        };
        links.push(&fields, StoredHash::from_column(Some(hash)));
    }
    Ok(Some(links))
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
