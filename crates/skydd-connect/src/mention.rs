//! Free text in a connected database that mentions a subject (issue 21): the rows whose
//! `free_text` fields give one of the subject's identities (a ticket filed under another
//! customer that quotes this one's personnummer), found by streaming those columns through
//! `skydd-pii` inside the caller's transaction, for the access package, the erasure's plan, its
//! redaction in place, the replay of that redaction onto a restored backup, and the re-read
//! after the commit.
//!
//! A finding is the subject's when its match key is one of the subject's: the e-mail address or
//! E.164 phone number as normalised, a personnummer or samordningsnummer without its century
//! (ten digits in a text give the century only through `-`/`+` and the reference day). A replay
//! has no identities: the receipt keeps the keyed hashes of the match keys ([`MentionKeys`]),
//! and each finding's match key is hashed under the same key to be compared.
//!
//! The rows are streamed, never collected: memory holds the rows that mention the subject, not
//! the table.

use std::collections::{BTreeSet, HashSet};
use std::fmt;

use futures_util::TryStreamExt as _;
use serde::{Deserialize, Serialize};
use skydd_dataset::{Collection, DatabaseKind, Dataset};
use skydd_pii::{Finding, Kind};
use skydd_register::Register;
use skydd_subject::{Identity, IdentityKind};

use crate::access::{
    BATCH, Value, quote, read_error, readable, table as relation, text_row, write_error,
};
use crate::apply::{self, Key, KeyedHasher, Keys, count};
use crate::schema::Table;
use crate::{ConnectError, Database};

/// What a finding is compared by: its family and normal form, a personnummer's without the
/// century. `None` for kinds that are never an identity (cards, IBANs, addresses ...).
fn match_key(kind: Kind, normal: &str) -> Option<String> {
    match kind {
        Kind::Email => Some(format!("email:{normal}")),
        Kind::Phone => Some(format!("phone:{normal}")),
        Kind::Personnummer | Kind::Samordningsnummer => {
            normal.get(2..).map(|n| format!("personnummer:{n}"))
        }
        _ => None,
    }
}

/// An identity's match key (see [`match_key`]); `None` for kinds free text is not searched
/// for (a customer number, an external id: any number could be one).
fn identity_key(identity: &Identity) -> Option<String> {
    let value = identity.expose();
    match identity.kind() {
        IdentityKind::Email => match_key(Kind::Email, value),
        IdentityKind::Phone => match_key(Kind::Phone, value),
        IdentityKind::Personnummer => match_key(Kind::Personnummer, value),
        IdentityKind::CustomerNumber | IdentityKind::ExternalId => None,
    }
}

/// Who a scan looks for: a subject's match keys, in the clear (access, erasure, the re-read)
/// or as keyed hashes (a replay, from the receipt). Personal data: no `Debug`.
pub(crate) enum Needles<'h> {
    /// The match keys themselves.
    Plain(HashSet<String>),
    /// The keyed hashes of the match keys, and the hasher to hash a finding's with.
    Hashed {
        hasher: &'h KeyedHasher,
        hashes: HashSet<String>,
    },
}

impl Needles<'_> {
    /// The match keys of `identities`.
    pub(crate) fn of(identities: &[Identity]) -> Needles<'static> {
        Needles::Plain(identities.iter().filter_map(identity_key).collect())
    }

    /// The needles a receipt kept, compared under `hasher`.
    pub(crate) fn hashed<'h>(hasher: &'h KeyedHasher, kept: &MentionKeys) -> Needles<'h> {
        Needles::Hashed {
            hasher,
            hashes: kept.keys.iter().cloned().collect(),
        }
    }

    /// Whether there is nothing to look for (no e-mail, phone or personnummer).
    pub(crate) fn is_empty(&self) -> bool {
        match self {
            Needles::Plain(keys) => keys.is_empty(),
            Needles::Hashed { hashes, .. } => hashes.is_empty(),
        }
    }

    /// Whether `finding` is one of the subject's.
    pub(crate) fn matches(&self, finding: &Finding) -> bool {
        let Some(key) = match_key(finding.kind, finding.normal.as_str()) else {
            return false;
        };
        match self {
            Needles::Plain(keys) => keys.contains(&key),
            Needles::Hashed { hasher, hashes } => hashes.contains(&hasher.hash(&key)),
        }
    }
}

/// What an erasure receipt keeps so that [`crate::erase::replay`] can redact the same mentions
/// again without the subject's identities: the keyed hashes of their match keys and the day the
/// texts were scanned on (it decides a 10-digit personnummer's century, so a replay finds what
/// the erasure found). Pseudonymous personal data: serialised as `keys`, which the audit and
/// request views leave out, and `Debug` shows only how many.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MentionKeys {
    /// The reference day of the scan.
    pub scanned_on: jiff::civil::Date,
    /// The keyed hashes (as [`KeyedHasher::hash`] gives them) of the subject's match keys.
    pub keys: Vec<String>,
}

impl MentionKeys {
    /// The keys of `identities` under `hasher`, scanned on `today`.
    pub(crate) fn of(
        identities: &[Identity],
        hasher: &KeyedHasher,
        today: jiff::civil::Date,
    ) -> MentionKeys {
        let keys: BTreeSet<String> = identities
            .iter()
            .filter_map(identity_key)
            .map(|key| hasher.hash(&key))
            .collect();
        MentionKeys {
            scanned_on: today,
            keys: keys.into_iter().collect(),
        }
    }
}

impl fmt::Debug for MentionKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "MentionKeys {{ scanned_on: {}, keys: <{}> }}",
            self.scanned_on,
            self.keys.len()
        )
    }
}

/// A row whose free text mentions the subject.
pub(crate) struct MentionRow {
    /// Its primary key, in key order.
    pub(crate) key: Vec<Value>,
    /// The fields that mention the subject.
    pub(crate) fields: Vec<MentionedField>,
}

/// One free-text field that mentions the subject: the text and its findings, the subject's
/// and everyone else's.
pub(crate) struct MentionedField {
    /// The field's index in the collection.
    pub(crate) field: usize,
    /// The text as read.
    pub(crate) text: String,
    /// The findings that are the subject's.
    pub(crate) theirs: Vec<Finding>,
    /// The other findings (other people's).
    pub(crate) others: Vec<Finding>,
}

/// The fields of `collection` mentions are looked for in: `free_text` with a data category.
pub(crate) fn free_fields(collection: &Collection) -> Vec<usize> {
    collection
        .fields
        .iter()
        .enumerate()
        .filter(|(_, f)| f.free_text && f.category.is_some())
        .map(|(f, _)| f)
        .collect()
}

/// The free-text fields of `collection` an erasure may redact: those whose category no legal
/// hold of `register` covers (a hold keeps the text as it is, mentions and all).
pub(crate) fn redactable_fields(
    collection: &Collection,
    register: Option<&Register>,
) -> Vec<usize> {
    free_fields(collection)
        .into_iter()
        .filter(|&f| held_by(collection, f, register).is_none())
        .collect()
}

/// The hold of `register` that covers the category of field `f`, if one does.
pub(crate) fn held_by<'r>(
    collection: &Collection,
    f: usize,
    register: Option<&'r Register>,
) -> Option<&'r skydd_register::model::LegalHold> {
    let category = collection.fields.get(f)?.category.as_ref()?;
    register?
        .legal_holds
        .iter()
        .find(|h| h.categories.contains(category))
}

/// Every row of `collection` whose fields `free` (indexes) mention the subject `needles`
/// describe, scanned with `context`, inside the caller's transaction. The rows stream from the
/// database (only those with a `free` field not NULL, in primary-key order); only the rows
/// that mention the subject are kept.
pub(crate) async fn scan(
    database: &mut Database,
    collection: &Collection,
    free: &[usize],
    needles: &Needles<'_>,
    context: &skydd_pii::Context,
) -> Result<Vec<MentionRow>, sqlx::Error> {
    if free.is_empty() || needles.is_empty() {
        return Ok(Vec::new());
    }
    let kind = database.kind();
    let text = text_type(kind);
    let keys: Vec<String> = collection
        .primary_key
        .iter()
        .map(|k| quote(kind, k))
        .collect();
    let selected: Vec<String> = keys
        .iter()
        .cloned()
        .chain(
            free.iter()
                .map(|&f| quote(kind, &collection.fields[f].name)),
        )
        .map(|column| format!("CAST({column} AS {text})"))
        .collect();
    let present: Vec<String> = free
        .iter()
        .map(|&f| format!("{} IS NOT NULL", quote(kind, &collection.fields[f].name)))
        .collect();
    let order = if keys.is_empty() {
        String::new()
    } else {
        format!(" ORDER BY {}", keys.join(", "))
    };
    let sql = format!(
        "SELECT {} FROM {} WHERE {}{order}",
        selected.join(", "),
        relation(kind, collection),
        present.join(" OR "),
    );
    let width = collection.primary_key.len();
    let mut out = Vec::new();
    each_row(database, sql, |mut values| {
        let texts = values.split_off(width.min(values.len()));
        let fields: Vec<MentionedField> = free
            .iter()
            .zip(texts)
            .filter_map(|(&field, value)| mentioned(field, value.0?, needles, context))
            .collect();
        if !fields.is_empty() {
            out.push(MentionRow {
                key: values,
                fields,
            });
        }
    })
    .await?;
    Ok(out)
}

/// [`scan`] over every readable collection that is not reach-only, with the fields
/// `fields_of` picks in each: the collections' indexes in the dataset with their rows that
/// mention the subject, in the dataset's order, those with none left out. An error names the
/// collection with what was being done (`doing`: `reading`, `re-reading`).
pub(crate) async fn scan_dataset(
    database: &mut Database,
    dataset: &Dataset,
    fields_of: impl Fn(&Collection) -> Vec<usize>,
    needles: &Needles<'_>,
    context: &skydd_pii::Context,
    doing: &str,
) -> Result<Vec<(usize, Vec<MentionRow>)>, ConnectError> {
    let mut out = Vec::new();
    for (c, collection) in readable(dataset) {
        if collection.reach_only {
            continue;
        }
        let free = fields_of(collection);
        let rows = scan(database, collection, &free, needles, context)
            .await
            .map_err(|e| read_error(database, &format!("{doing} `{}`", collection.name), &e))?;
        if !rows.is_empty() {
            out.push((c, rows));
        }
    }
    Ok(out)
}

/// The rows of every readable collection whose `free_text` fields mention one of
/// `identities` (see [`scan_dataset`]), scanned with `today` as the reference day: what an
/// access package and an erasure's plan read.
pub(crate) async fn mentioning(
    database: &mut Database,
    dataset: &Dataset,
    identities: &[Identity],
    today: jiff::civil::Date,
) -> Result<Vec<(usize, Vec<MentionRow>)>, ConnectError> {
    let context = skydd_pii::Context::new(today);
    let needles = Needles::of(identities);
    scan_dataset(
        database,
        dataset,
        free_fields,
        &needles,
        &context,
        "reading",
    )
    .await
}

/// Field `field`'s `text` with its findings, if one of them is the subject's.
fn mentioned(
    field: usize,
    text: String,
    needles: &Needles<'_>,
    context: &skydd_pii::Context,
) -> Option<MentionedField> {
    let (theirs, others): (Vec<Finding>, Vec<Finding>) = skydd_pii::scan(&text, context)
        .into_iter()
        .partition(|finding| needles.matches(finding));
    (!theirs.is_empty()).then_some(MentionedField {
        field,
        text,
        theirs,
        others,
    })
}

/// The cast target that reads any column as text.
fn text_type(kind: DatabaseKind) -> &'static str {
    match kind {
        DatabaseKind::Mysql => "CHAR",
        DatabaseKind::Postgres | DatabaseKind::Sqlite => "TEXT",
    }
}

/// Run `sql` and pass each row, every column as text, to `visit` as it arrives.
async fn each_row(
    database: &mut Database,
    sql: String,
    mut visit: impl FnMut(Vec<Value>),
) -> Result<(), sqlx::Error> {
    let sql = sqlx::AssertSqlSafe(sql);
    match database {
        Database::Postgres(conn) => {
            let mut rows = sqlx::query(sql).fetch(conn);
            while let Some(row) = rows.try_next().await? {
                visit(text_row(&row)?);
            }
        }
        Database::Mysql(conn) => {
            let mut rows = sqlx::query(sql).fetch(conn);
            while let Some(row) = rows.try_next().await? {
                visit(text_row(&row)?);
            }
        }
        Database::Sqlite(conn) => {
            let mut rows = sqlx::query(sql).fetch(conn);
            while let Some(row) = rows.try_next().await? {
                visit(text_row(&row)?);
            }
        }
    }
    Ok(())
}

/// What redacting mentions did in one collection: the rows and fields written and how many
/// passages were replaced, and the primary keys of the rows written (personal data: a receipt
/// keeps them sealed, for a replay). `Debug` shows no key.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RedactedCollection {
    /// The collection's name.
    pub collection: String,
    /// Rows written.
    pub rows: u64,
    /// Passages replaced by their kind (`[email]`).
    pub passages: u64,
    /// The fields written.
    pub fields: BTreeSet<String>,
    /// Keys given that matched no row (a replay onto a backup without them).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub missing: u64,
    /// The primary keys of the rows written, as text in key order.
    pub keys: Keys,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl RedactedCollection {
    /// Add what a later redaction of the same collection wrote: counts summed, fields and keys
    /// united.
    pub fn absorb(&mut self, later: RedactedCollection) {
        self.rows += later.rows;
        self.passages += later.passages;
        self.missing += later.missing;
        self.fields.extend(later.fields);
        for key in later.keys.0 {
            if !self.keys.0.contains(&key) {
                self.keys.0.push(key);
            }
        }
    }
}

/// Redact, in the rows `keys` of `collection` (read again by primary key and locked for the
/// update), every passage of the fields `free` that `needles` match, replaced by its kind
/// (`[personnummer]`): one UPDATE per row, inside the caller's write transaction. A row
/// without such a passage any more is left alone, so a rerun or a replay writes nothing.
pub(crate) async fn redact(
    database: &mut Database,
    collection: &Collection,
    table: &Table,
    free: &[usize],
    keys: &[Key],
    needles: &Needles<'_>,
    context: &skydd_pii::Context,
) -> Result<RedactedCollection, ConnectError> {
    let mut done = RedactedCollection {
        collection: collection.name.clone(),
        ..RedactedCollection::default()
    };
    let width = collection.primary_key.len().max(1);
    for batch in keys.chunks((BATCH / width).max(1)) {
        let batch: Vec<&Key> = batch.iter().collect();
        let found = apply::current(database, collection, table, free, &batch, true)
            .await
            .map_err(|e| write_error(database, &format!("reading `{}`", collection.name), &e))?;
        done.missing += count(batch.len().saturating_sub(found.len()));
        for (key, values) in found {
            let mut assignments = Vec::new();
            for (&field, value) in free.iter().zip(values) {
                let Some(found) = value.and_then(|text| mentioned(field, text, needles, context))
                else {
                    continue;
                };
                done.passages += count(found.theirs.len());
                done.fields.insert(collection.fields[field].name.clone());
                let text = skydd_pii::redact(&found.text, &found.theirs, skydd_pii::Style::Label);
                assignments.push((field, Some(text)));
            }
            if assignments.is_empty() {
                continue;
            }
            apply::update(
                database,
                collection,
                table,
                &assignments,
                std::slice::from_ref(&key),
            )
            .await
            .map_err(|e| write_error(database, &format!("redacting `{}`", collection.name), &e))?;
            done.rows += 1;
            done.keys.0.push(key);
        }
    }
    Ok(done)
}

impl MentionRow {
    /// The row's key as [`apply`] addresses rows; `None` when a key column is NULL (such a row
    /// cannot be addressed).
    pub(crate) fn address(&self) -> Option<Key> {
        self.key.iter().map(|v| v.0.clone()).collect()
    }
}

/// The keys of `rows` as [`apply`] addresses rows (see [`MentionRow::address`]).
pub(crate) fn keys_of(rows: &[MentionRow]) -> Vec<Key> {
    rows.iter().filter_map(MentionRow::address).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding_of(text: &str) -> Finding {
        let found = skydd_pii::scan(
            text,
            &skydd_pii::Context::new(jiff::civil::date(2026, 12, 7)),
        );
        found
            .into_iter()
            .next()
            .expect("the test text holds one finding")
    }

    fn identity(kind: IdentityKind, value: &str) -> Identity {
        let context = skydd_subject::ParseContext::sweden(jiff::civil::date(2026, 12, 7));
        Identity::parse(kind, value, context).expect("the test identity is valid")
    }

    #[test]
    fn a_personnummer_matches_without_its_century_and_a_hash_matches_like_the_plain_key() {
        let who = [
            identity(IdentityKind::Personnummer, "19121212-1212"),
            identity(IdentityKind::Email, "anna@example.se"),
        ];
        let plain = Needles::of(&who);
        let hasher = KeyedHasher::new([3u8; 32]);
        let kept = MentionKeys::of(&who, &hasher, jiff::civil::date(2026, 12, 7));
        let hashed = Needles::hashed(&hasher, &kept);
        for (text, expected) in [
            ("pnr 121212-1212", true),
            ("pnr 19121212-1212", true),
            ("Anna@Example.se", true),
            ("erik@example.se", false),
            ("070-123 45 67", false),
        ] {
            let finding = finding_of(text);
            assert_eq!(plain.matches(&finding), expected, "{text}");
            assert_eq!(hashed.matches(&finding), expected, "{text}");
        }
        assert!(!kept.keys.iter().any(|k| k.contains("anna")));
        let shown = format!("{kept:?}");
        assert!(
            shown.contains("<2>") && !shown.contains(&kept.keys[0]),
            "{shown}"
        );
    }

    #[test]
    fn customer_numbers_are_not_looked_for_in_text() {
        let who = [identity(IdentityKind::CustomerNumber, "1212121212")];
        assert!(Needles::of(&who).is_empty());
    }
}
