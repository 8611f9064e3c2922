//! Rectification through the graph (issue 16, part 3, Art. 16): corrected values written to
//! every declared field they concern in the rows a subject's identities reach, in one write
//! transaction per database.
//!
//! Rows are selected as erasure selects them ([`crate::erase`]): at execution time, by
//! identity, shared rows left out (a correction of one customer's address must not rewrite
//! the address another customer points at). Primary keys, reference columns and the columns
//! references point at are never rewritten: they are reported as skipped.

use std::collections::HashSet;
use std::fmt;

use serde::Serialize;
use skydd_dataset::{Dataset, FieldPath};
use skydd_register::model::CategoryId;
use skydd_subject::Identity;

use crate::access::write_error;
use crate::apply::{self, Change, Key};
use crate::erase::{self, finish};
use crate::schema::Schema;
use crate::{ConnectError, Database};

/// Which fields a correction concerns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Concerns {
    /// Every declared field of this register category.
    Category(CategoryId),
    /// One declared field, `collection.field`.
    Field(FieldPath),
}

/// A corrected value and the fields it goes to. Personal data: `Debug` shows which fields,
/// never the value.
#[derive(Clone, PartialEq, Eq)]
pub struct Correction {
    /// The fields the value goes to.
    pub concerns: Concerns,
    /// The corrected value, as text (the database converts it to the column's type).
    pub value: String,
}

impl fmt::Debug for Correction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Correction")
            .field("concerns", &self.concerns)
            .field("value", &"<redacted>")
            .finish()
    }
}

/// What a rectification wrote in one database: collections, fields and row counts, never a
/// value.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RectificationReceipt {
    /// The dataset's name: the system.
    pub system: String,
    /// The collections in which the corrections concern reached rows.
    pub collections: Vec<RectifiedCollection>,
    /// Fields a correction concerns that are never rewritten (`collection.field`): primary
    /// keys, reference columns and columns references point at.
    pub skipped: Vec<String>,
}

impl RectificationReceipt {
    /// The receipt of the collection called `name`, if it had rows to correct.
    pub fn collection(&self, name: &str) -> Option<&RectifiedCollection> {
        self.collections.iter().find(|c| c.collection == name)
    }
}

/// One collection in a [`RectificationReceipt`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RectifiedCollection {
    /// The collection's name.
    pub collection: String,
    /// Rows in which a field was written.
    pub updated: u64,
    /// Rows that already held the corrected values.
    pub unchanged: u64,
    /// Per field written: its name and the rows it changed.
    pub fields: Vec<(String, u64)>,
}

/// Write `corrections` through the graph: in ONE write transaction (open the database with
/// [`Database::connect_writable`]), select the rows `identities` reach (shared rows left out),
/// and set every declared field each correction concerns to its value; commit, or roll
/// everything back on an error (which names the collection and the SQLSTATE, never a value).
/// A correction of an identity field (a new e-mail address) is the point: later requests find
/// the subject by the new value. A `collection.field` the dataset does not declare is refused
/// before anything is written.
pub async fn rectify(
    database: &mut Database,
    dataset: &Dataset,
    identities: &[Identity],
    corrections: &[Correction],
) -> Result<RectificationReceipt, ConnectError> {
    for correction in corrections {
        if let Concerns::Field(path) = &correction.concerns
            && dataset
                .collection(&path.collection)
                .and_then(|c| c.field(&path.field))
                .is_none()
        {
            let e = sqlx::Error::Configuration("the dataset declares no such field".into());
            return Err(write_error(database, &format!("correcting `{path}`"), &e));
        }
    }
    let schema = database.schema().await?;
    database.begin_write().await?;
    let outcome = write(database, dataset, identities, corrections, &schema).await;
    finish(database, outcome).await
}

async fn write(
    database: &mut Database,
    dataset: &Dataset,
    identities: &[Identity],
    corrections: &[Correction],
    schema: &Schema,
) -> Result<RectificationReceipt, ConnectError> {
    let selected = erase::select(database, dataset, identities).await?;
    let targets: HashSet<(&str, &str)> = dataset
        .collections
        .iter()
        .flat_map(|c| c.fields.iter())
        .flat_map(|f| f.references.iter())
        .map(|r| (r.field.collection.as_str(), r.field.field.as_str()))
        .collect();
    let mut receipt = RectificationReceipt {
        system: dataset.name.clone(),
        ..RectificationReceipt::default()
    };
    for (c, collection) in dataset.collections.iter().enumerate() {
        if collection.reach_only || collection.unreachable.is_some() {
            continue;
        }
        let mut changes: Vec<(usize, Change)> = Vec::new();
        for (f, field) in collection.fields.iter().enumerate() {
            // The last correction that concerns a field wins.
            let Some(correction) = corrections.iter().rev().find(|k| match &k.concerns {
                Concerns::Category(category) => field.category.as_ref() == Some(category),
                Concerns::Field(path) => {
                    path.collection == collection.name && path.field == field.name
                }
            }) else {
                continue;
            };
            let joined = collection.primary_key.contains(&field.name)
                || !field.references.is_empty()
                || targets.contains(&(collection.name.as_str(), field.name.as_str()));
            if joined {
                receipt
                    .skipped
                    .push(format!("{}.{}", collection.name, field.name));
                continue;
            }
            changes.push((f, Change::Replace(correction.value.clone())));
        }
        let rows = &selected[c].erase;
        if changes.is_empty() || rows.is_empty() {
            continue;
        }
        let keys: Vec<Key> = rows.keys().cloned().collect();
        let applied = apply::write(database, collection, schema, &keys, Some(&changes), None)
            .await
            .map_err(|e| match e {
                ConnectError::Write { kind, reason } => ConnectError::Write {
                    kind,
                    reason: reason.replace("erasing", "correcting"),
                },
                other => other,
            })?;
        receipt.collections.push(RectifiedCollection {
            collection: collection.name.clone(),
            updated: applied.updated,
            unchanged: applied.unchanged,
            fields: applied
                .fields
                .into_iter()
                .map(|f| (f.field, f.rows))
                .collect(),
        });
    }
    Ok(receipt)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_correction_never_shows_its_value_in_debug() {
        let correction = Correction {
            concerns: Concerns::Field(FieldPath {
                collection: "customer".into(),
                field: "email".into(),
            }),
            value: "new@example.com".into(),
        };
        let shown = format!("{correction:?}");
        assert!(
            !shown.contains("new@example.com") && shown.contains("customer"),
            "{shown}"
        );
    }
}
