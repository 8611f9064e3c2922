//! Erasure through the graph (issue 16, part 3): the plan (a dry run), the execution in one
//! write transaction per database, the re-read that verifies it, and the replay of a recorded
//! erasure onto a database restored from a backup.
//!
//! Rows are found as access finds them ([`crate::access`]: the same traversal from the same
//! identities). A reached row is *shared* when a declared reference (declared on either side,
//! followed in either direction) links it to a row of a readable collection the traversal did
//! not reach: an address another customer points at, a card of another customer that paid
//! this one's order. Shared rows are reported and never touched. Reach-only collections are
//! never erased.
//!
//! Free text that mentions the subject (issue 21) in rows the strategies do not erase (another
//! customer's ticket that quotes this one's personnummer, or a `keep` field of the subject's own
//! row) is redacted in place in the same transaction: each passage replaced by its kind
//! (`[personnummer]`), fields under a legal hold left as they are ([`crate::mention`]).
//!
//! Nothing here returns a value read from the database except the primary keys of erased and
//! redacted rows in an [`ErasureReceipt`], which the caller stores encrypted for [`replay`].
//! The receipt also keeps the keyed hashes of the subject's identities ([`MentionKeys`]), so a
//! replay finds the same passages without the identities.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use serde::{Deserialize, Serialize};
use skydd_dataset::{Collection, Dataset, Erasure};
use skydd_register::Register;
use skydd_register::model::{CategoryId, HoldId, Text};
use skydd_subject::Identity;

use crate::access::{self, BATCH, Reached, Value, read_error, readable, write_error};
use crate::apply::{self, Applied, Change, Key, KeyedHasher, Keys, count};
use crate::mention::{self, MentionKeys, Needles, RedactedCollection};
use crate::schema::Schema;
use crate::{ConnectError, Database};

/// What erasure would do in one database: per collection, the rows, the fields and their
/// strategies, the rows shared with another subject and the fields a legal hold keeps. Names
/// and counts only, never a value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErasurePlan {
    /// The dataset's name: the system.
    pub system: String,
    /// The collections the subject's identities reach (reach-only ones left out), in the
    /// order erasure would write them.
    pub collections: Vec<CollectionPlan>,
    /// The collections whose free text mentions the subject in rows the strategies leave,
    /// redacted in place.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub redactions: Vec<PlannedRedaction>,
}

/// Free text an erasure would redact in one collection: names and counts, never a value.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PlannedRedaction {
    /// The collection's name.
    pub collection: String,
    /// Rows whose free text would be rewritten.
    pub rows: u64,
    /// Passages that would be replaced by their kind.
    pub passages: u64,
    /// The fields that would be rewritten.
    pub fields: BTreeSet<String>,
    /// Free-text fields that mention the subject but that a legal hold keeps as they are.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub held: Vec<HeldField>,
}

impl ErasurePlan {
    /// The plan of the collection called `name`, if the subject has rows in it.
    pub fn collection(&self, name: &str) -> Option<&CollectionPlan> {
        self.collections.iter().find(|c| c.collection == name)
    }
}

/// One collection in an [`ErasurePlan`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CollectionPlan {
    /// The collection's name.
    pub collection: String,
    /// Rows that erasure writes (reached, not shared); 0 when every field is kept.
    pub rows: u64,
    /// The fields erasure writes, with their strategies: every field with a category and
    /// `delete_row` when the row is deleted, else every field not `keep`.
    pub fields: Vec<PlannedField>,
    /// Rows reached but shared with another subject: reported, never written.
    pub shared: u64,
    /// The declared references that make rows shared (`payment_card.customer_id →
    /// customer.id`: the row's `customer_id` is another customer's id).
    #[serde(skip_serializing_if = "BTreeSet::is_empty")]
    pub shared_through: BTreeSet<String>,
    /// Fields a legal hold keeps (`keep`, in a category a hold of the register covers).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub held: Vec<HeldField>,
}

/// A field erasure writes and how.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlannedField {
    /// The column's name.
    pub field: String,
    /// Its register category, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<CategoryId>,
    /// What erasure does to it.
    pub strategy: Erasure,
}

/// A field kept because a legal hold covers its category.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HeldField {
    /// The column's name.
    pub field: String,
    /// Its register category.
    pub category: CategoryId,
    /// The hold (`legal_holds[].id`).
    pub hold: HoldId,
    /// The provision that requires keeping it, as the register cites it.
    pub law: Text,
}

/// What an erasure did in one database, for the audit chain, the completion letter and
/// [`replay`]: per collection the fields and strategies, the row counts and the primary keys of
/// the rows written (personal data: the caller stores the receipt encrypted). `Debug` shows no
/// key.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErasureReceipt {
    /// The dataset's name: the system.
    pub system: String,
    /// The collections written, in the order they were written; empty when nothing was.
    pub collections: Vec<ErasedCollection>,
    /// The collections whose free text had the subject's mentions redacted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub redacted: Vec<RedactedCollection>,
    /// What a replay needs to find the same mentions again; set when something was redacted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mentions: Option<MentionKeys>,
}

impl ErasureReceipt {
    /// Whether nothing was written.
    pub fn is_empty(&self) -> bool {
        self.collections.is_empty() && self.redacted.is_empty()
    }

    /// The receipt of the collection called `name`, if it was written.
    pub fn collection(&self, name: &str) -> Option<&ErasedCollection> {
        self.collections.iter().find(|c| c.collection == name)
    }
}

/// One collection in an [`ErasureReceipt`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErasedCollection {
    /// The collection's name.
    pub collection: String,
    /// Rows deleted.
    pub deleted: u64,
    /// Rows in which a field was written.
    pub updated: u64,
    /// Per field: strategy and rows written.
    pub fields: Vec<ErasedField>,
    /// The primary keys of the rows deleted or updated, as text in key order.
    pub keys: Keys,
}

/// One field in an [`ErasedCollection`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErasedField {
    /// The column's name.
    pub field: String,
    /// The strategy's word (`null`, `replace`, `keyed_hash`, `random`, `delete_row`).
    pub strategy: String,
    /// Rows written.
    pub rows: u64,
}

impl ErasedCollection {
    fn from_applied(applied: Applied) -> ErasedCollection {
        ErasedCollection {
            collection: applied.collection,
            deleted: applied.deleted,
            updated: applied.updated,
            fields: applied
                .fields
                .into_iter()
                .filter(|f| f.rows > 0)
                .map(|f| ErasedField {
                    field: f.field,
                    strategy: f.strategy.to_owned(),
                    rows: f.rows,
                })
                .collect(),
            keys: applied.keys,
        }
    }
}

/// What [`verify`] found still there: names and counts, never a value. Empty when the
/// erasure is complete.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Remaining {
    /// The dataset's name: the system.
    pub system: String,
    /// The collections with something left.
    pub collections: Vec<RemainingCollection>,
}

impl Remaining {
    /// Whether nothing identifying the subject remains in declared fields.
    pub fn is_empty(&self) -> bool {
        self.collections.is_empty()
    }
}

/// One collection in [`Remaining`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RemainingCollection {
    /// The collection's name.
    pub collection: String,
    /// Rows the identities still reach (not shared) that hold an unerased value in a field
    /// erasure writes, or that still exist when erasure deletes rows.
    pub reachable: u64,
    /// Rows of the receipt that are still there (deleted rows) or hold an unerased value.
    pub unerased: u64,
    /// Rows whose free text still mentions the subject outside a legal hold (rows whose
    /// field erasure writes are counted as `reachable` instead).
    #[serde(skip_serializing_if = "is_zero")]
    pub mentioned: u64,
    /// The fields holding unerased values (`delete_row` when rows that should be gone are not)
    /// or mentions.
    pub fields: BTreeSet<String>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// The rows of one collection an erasure selects.
#[derive(Debug, Default)]
pub(crate) struct Selected {
    /// Reached, not shared: erased.
    pub(crate) erase: BTreeMap<Key, Vec<Value>>,
    /// Reached but shared: left alone.
    shared: BTreeSet<Key>,
    /// The references that made rows shared.
    through: BTreeSet<String>,
}

/// Plan the erasure of what `identities` reach in `database`, in one read-only transaction:
/// which rows of which collections, which fields with which strategy, which rows are shared
/// with another subject (never erased), which fields a legal hold of `register` keeps, and
/// which free text that mentions the subject would be redacted (scanned with `today` as the
/// reference day). Nothing is written.
pub async fn plan(
    database: &mut Database,
    dataset: &Dataset,
    identities: &[Identity],
    register: Option<&Register>,
    today: jiff::civil::Date,
) -> Result<ErasurePlan, ConnectError> {
    let schema = database.schema().await?;
    access::begin_read(database).await?;
    let outcome = async {
        let selected = select(database, dataset, identities).await?;
        let redactions =
            planned_redactions(database, dataset, &selected, identities, register, today).await?;
        Ok((selected, redactions))
    }
    .await;
    let (selected, redactions) = access::end_read(database, outcome).await?;
    let mut collections = Vec::new();
    for c in order(dataset, &schema) {
        let collection = &dataset.collections[c];
        let rows = &selected[c];
        if collection.reach_only || (rows.erase.is_empty() && rows.shared.is_empty()) {
            continue;
        }
        let deletes = deletes_rows(collection);
        let fields: Vec<PlannedField> = collection
            .fields
            .iter()
            .filter(|f| {
                if deletes {
                    f.category.is_some() || f.erase == Erasure::DeleteRow
                } else {
                    f.erase != Erasure::Keep
                }
            })
            .map(|f| PlannedField {
                field: f.name.clone(),
                category: f.category.clone(),
                strategy: if deletes {
                    Erasure::DeleteRow
                } else {
                    f.erase.clone()
                },
            })
            .collect();
        let held = if deletes {
            Vec::new()
        } else {
            held(collection, register)
        };
        collections.push(CollectionPlan {
            collection: collection.name.clone(),
            rows: if fields.is_empty() {
                0
            } else {
                count(rows.erase.len())
            },
            fields,
            shared: count(rows.shared.len()),
            shared_through: rows.through.clone(),
            held,
        });
    }
    Ok(ErasurePlan {
        system: dataset.name.clone(),
        collections,
        redactions,
    })
}

/// The free text the erasure of `selected` would redact: per readable collection, the rows
/// that mention the subject in a field the strategies leave (a row not erased, or a `keep`
/// field of an erased row that is not deleted), and the fields a hold keeps instead.
async fn planned_redactions(
    database: &mut Database,
    dataset: &Dataset,
    selected: &[Selected],
    identities: &[Identity],
    register: Option<&Register>,
    today: jiff::civil::Date,
) -> Result<Vec<PlannedRedaction>, ConnectError> {
    let scanned = mention::mentioning(database, dataset, identities, today).await?;
    let mut out = Vec::new();
    for (c, rows) in scanned {
        let collection = &dataset.collections[c];
        let deletes = deletes_rows(collection);
        let mut planned = PlannedRedaction {
            collection: collection.name.clone(),
            ..PlannedRedaction::default()
        };
        for row in rows {
            let erased = row
                .address()
                .is_some_and(|key| selected[c].erase.contains_key(&key));
            let mut counted = false;
            for found in row.fields {
                let field = &collection.fields[found.field];
                if erased && (deletes || field.erase != Erasure::Keep) {
                    continue;
                }
                if let Some(hold) = mention::held_by(collection, found.field, register) {
                    if !planned.held.iter().any(|h| h.field == field.name)
                        && let Some(category) = &field.category
                    {
                        planned.held.push(HeldField {
                            field: field.name.clone(),
                            category: category.clone(),
                            hold: hold.id.clone(),
                            law: hold.law.clone(),
                        });
                    }
                    continue;
                }
                planned.passages += count(found.theirs.len());
                planned.fields.insert(field.name.clone());
                counted = true;
            }
            if counted {
                planned.rows += 1;
            }
        }
        if planned.rows > 0 || !planned.held.is_empty() {
            out.push(planned);
        }
    }
    Ok(out)
}

/// Erase what `identities` reach in `database`: open with [`Database::connect_writable`]. In
/// ONE write transaction the rows are selected again by identity (at execution time, not from
/// a plan), shared rows are left out, and every collection is written through
/// [`apply::apply`] in an order the foreign keys allow (the dataset's `erase_after` and the
/// live schema's foreign keys: children before parents); then it commits. Any error rolls
/// everything back and names the collection and the SQLSTATE.
///
/// After the strategies, free text that still mentions the subject (scanned with `today` as
/// the reference day) is redacted in place, outside the fields a legal hold of `register`
/// covers; the receipt then keeps [`MentionKeys`] for a replay.
///
/// Running it again after a success changes nothing and returns an empty receipt: the erased
/// identity fields no longer find the rows, rows still reached are already in their erased
/// form, which [`apply::apply`] leaves alone (a `random` field is the exception: it is
/// rewritten when its row is still reachable), and no mention is left to redact.
pub async fn execute(
    database: &mut Database,
    dataset: &Dataset,
    identities: &[Identity],
    hasher: &KeyedHasher,
    register: Option<&Register>,
    today: jiff::civil::Date,
) -> Result<ErasureReceipt, ConnectError> {
    let schema = database.schema().await?;
    database.begin_write().await?;
    let subject = Subject {
        identities,
        register,
        today,
    };
    let outcome = erase(database, dataset, &subject, &schema, hasher).await;
    finish(database, outcome).await
}

/// Who an erasure is for and what decides its redaction of free text.
struct Subject<'a> {
    identities: &'a [Identity],
    register: Option<&'a Register>,
    today: jiff::civil::Date,
}

/// [`execute`], with `before_commit` called with the receipt after every write and before the
/// commit: the caller records the primary keys durably first, so that a crash between the
/// commit and the caller's own record loses no key a later [`replay`] needs. An error from
/// `before_commit` (a reason without a value) rolls everything back.
pub async fn execute_recorded<F, Fut>(
    database: &mut Database,
    dataset: &Dataset,
    identities: &[Identity],
    hasher: &KeyedHasher,
    register: Option<&Register>,
    today: jiff::civil::Date,
    before_commit: F,
) -> Result<ErasureReceipt, ConnectError>
where
    F: FnOnce(ErasureReceipt) -> Fut,
    Fut: std::future::Future<Output = Result<(), String>>,
{
    let schema = database.schema().await?;
    database.begin_write().await?;
    let subject = Subject {
        identities,
        register,
        today,
    };
    let outcome = match erase(database, dataset, &subject, &schema, hasher).await {
        Ok(receipt) => match before_commit(receipt.clone()).await {
            Ok(()) => Ok(receipt),
            Err(reason) => {
                let e = sqlx::Error::Configuration(reason.into());
                Err(write_error(database, "recording the receipt", &e))
            }
        },
        Err(error) => Err(error),
    };
    finish(database, outcome).await
}

/// Commit on success, roll back on an error (whose reason is passed on).
pub(crate) async fn finish<T>(
    database: &mut Database,
    outcome: Result<T, ConnectError>,
) -> Result<T, ConnectError> {
    match outcome {
        Ok(value) => {
            database.commit().await?;
            Ok(value)
        }
        Err(error) => {
            // The first error is the one worth reporting; a failed rollback ends the
            // transaction anyway when the connection closes.
            let _ = database.rollback().await;
            Err(error)
        }
    }
}

async fn erase(
    database: &mut Database,
    dataset: &Dataset,
    subject: &Subject<'_>,
    schema: &Schema,
    hasher: &KeyedHasher,
) -> Result<ErasureReceipt, ConnectError> {
    let selected = select(database, dataset, subject.identities).await?;
    let mut receipt = ErasureReceipt {
        system: dataset.name.clone(),
        ..ErasureReceipt::default()
    };
    for c in order(dataset, schema) {
        let collection = &dataset.collections[c];
        if collection.reach_only || !erases(collection) || selected[c].erase.is_empty() {
            continue;
        }
        let keys: Vec<Key> = selected[c].erase.keys().cloned().collect();
        let applied = apply::apply(database, collection, schema, &keys, hasher).await?;
        if applied.deleted + applied.updated > 0 {
            receipt
                .collections
                .push(ErasedCollection::from_applied(applied));
        }
    }
    let context = skydd_pii::Context::new(subject.today);
    let needles = Needles::of(subject.identities);
    for c in order(dataset, schema) {
        let collection = &dataset.collections[c];
        let free = mention::redactable_fields(collection, subject.register);
        if collection.reach_only || collection.unreachable.is_some() || free.is_empty() {
            continue;
        }
        let Some(table) = schema.table(collection.schema.as_deref(), &collection.name) else {
            continue;
        };
        let rows = mention::scan(database, collection, &free, &needles, &context)
            .await
            .map_err(|e| write_error(database, &format!("reading `{}`", collection.name), &e))?;
        let keys = mention::keys_of(&rows);
        drop(rows);
        let redacted = mention::redact(
            database, collection, table, &free, &keys, &needles, &context,
        )
        .await?;
        if redacted.rows > 0 {
            receipt.redacted.push(redacted);
        }
    }
    if !receipt.redacted.is_empty() {
        receipt.mentions = Some(MentionKeys::of(subject.identities, hasher, subject.today));
    }
    Ok(receipt)
}

/// Check an erasure after its commit, in one read-only transaction: the traversal from the
/// same `identities` must reach no row that still holds an unerased value in a field erasure
/// writes (shared rows and kept fields are not counted), and every row of `receipt`, re-read
/// by primary key, must be gone (`delete_row`) or hold its fields in erased form (NULL, the
/// replacement, a keyed hash; a `random` value cannot be told apart and is taken as erased);
/// and no free text outside a legal hold of `register` may still mention the subject (scanned
/// with `today` as the reference day). Returns what remains, empty when the erasure is
/// complete.
pub async fn verify(
    database: &mut Database,
    dataset: &Dataset,
    identities: &[Identity],
    receipt: &ErasureReceipt,
    register: Option<&Register>,
    today: jiff::civil::Date,
) -> Result<Remaining, ConnectError> {
    let schema = database.schema().await?;
    access::begin_read(database).await?;
    let subject = Subject {
        identities,
        register,
        today,
    };
    let outcome = check(database, dataset, &subject, receipt, &schema).await;
    access::end_read(database, outcome).await
}

async fn check(
    database: &mut Database,
    dataset: &Dataset,
    subject: &Subject<'_>,
    receipt: &ErasureReceipt,
    schema: &Schema,
) -> Result<Remaining, ConnectError> {
    let selected = select(database, dataset, subject.identities).await?;
    let mut remaining: BTreeMap<usize, RemainingCollection> = BTreeMap::new();
    for (c, collection) in dataset.collections.iter().enumerate() {
        if collection.reach_only || !erases(collection) {
            continue;
        }
        let changes = changes(collection);
        for values in selected[c].erase.values() {
            let left: Vec<&str> = match &changes {
                None => vec![Erasure::DeleteRow.word()],
                Some(changes) => changes
                    .iter()
                    .filter(|(f, change)| !change.is_erased(values.get(*f).and_then(Value::expose)))
                    .map(|(f, _)| collection.fields[*f].name.as_str())
                    .collect(),
            };
            if !left.is_empty() {
                let e = entry(&mut remaining, dataset, c);
                e.reachable += 1;
                e.fields.extend(left.into_iter().map(str::to_owned));
            }
        }
    }
    for erased in &receipt.collections {
        let Some(c) = dataset
            .collections
            .iter()
            .position(|x| x.name == erased.collection)
        else {
            continue;
        };
        let collection = &dataset.collections[c];
        let Some(table) = schema.table(collection.schema.as_deref(), &collection.name) else {
            continue;
        };
        let changes = changes(collection);
        let written = changes.clone().unwrap_or_default();
        for batch in erased
            .keys
            .0
            .chunks((BATCH / collection.primary_key.len().max(1)).max(1))
        {
            let batch: Vec<&Key> = batch.iter().collect();
            let fields: Vec<usize> = written.iter().map(|(f, _)| *f).collect();
            let found = apply::current(database, collection, table, &fields, &batch, false)
                .await
                .map_err(|e| {
                    read_error(database, &format!("re-reading `{}`", collection.name), &e)
                })?;
            for (_, values) in found {
                let left: Vec<&str> = match &changes {
                    None => vec![Erasure::DeleteRow.word()],
                    Some(changes) => changes
                        .iter()
                        .zip(&values)
                        .filter(|((_, change), value)| !change.is_erased(value.as_deref()))
                        .map(|((f, _), _)| collection.fields[*f].name.as_str())
                        .collect(),
                };
                if !left.is_empty() {
                    let e = entry(&mut remaining, dataset, c);
                    e.unerased += 1;
                    e.fields.extend(left.into_iter().map(str::to_owned));
                }
            }
        }
    }
    let context = skydd_pii::Context::new(subject.today);
    let needles = Needles::of(subject.identities);
    let scanned = mention::scan_dataset(
        database,
        dataset,
        |collection| mention::redactable_fields(collection, subject.register),
        &needles,
        &context,
        "re-reading",
    )
    .await?;
    for (c, rows) in scanned {
        let collection = &dataset.collections[c];
        let changes = changes(collection);
        for row in rows {
            let erased = row
                .address()
                .is_some_and(|key| selected[c].erase.contains_key(&key));
            // A field erasure writes in a row it still reaches is counted above.
            let fields: Vec<&str> = row
                .fields
                .iter()
                .filter(|found| {
                    !(erased
                        && changes
                            .as_ref()
                            .is_none_or(|changes| changes.iter().any(|(f, _)| *f == found.field)))
                })
                .map(|found| collection.fields[found.field].name.as_str())
                .collect();
            if !fields.is_empty() {
                let e = entry(&mut remaining, dataset, c);
                e.mentioned += 1;
                e.fields.extend(fields.into_iter().map(str::to_owned));
            }
        }
    }
    Ok(Remaining {
        system: dataset.name.clone(),
        collections: remaining.into_values().collect(),
    })
}

fn entry<'r>(
    remaining: &'r mut BTreeMap<usize, RemainingCollection>,
    dataset: &Dataset,
    c: usize,
) -> &'r mut RemainingCollection {
    remaining.entry(c).or_insert_with(|| RemainingCollection {
        collection: dataset.collections[c].name.clone(),
        ..RemainingCollection::default()
    })
}

/// What [`replay`] did: per collection of the receipt, the counts ([`Applied::missing`]: rows
/// no longer in the database).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Replayed {
    /// The dataset's name: the system.
    pub system: String,
    /// Per collection of the receipt, in its order.
    pub collections: Vec<Applied>,
    /// Per collection whose free text the receipt redacted: what the replay redacted again.
    pub redacted: Vec<RedactedCollection>,
}

/// Re-apply a recorded erasure to `database` restored from a backup: the rows of `receipt`
/// by primary key, with the dataset's strategies and the same `hasher` (so keyed hashes come
/// out equal), in the receipt's order, then the mentions it redacted, found again in the same
/// rows through its [`MentionKeys`], in ONE write transaction (any error rolls it back).
/// Idempotent: rows already erased are left alone and rows no longer there are counted as
/// missing. Collections of the receipt the dataset no longer declares are refused.
pub async fn replay(
    database: &mut Database,
    dataset: &Dataset,
    receipt: &ErasureReceipt,
    hasher: &KeyedHasher,
) -> Result<Replayed, ConnectError> {
    let schema = database.schema().await?;
    database.begin_write().await?;
    let outcome = async {
        let mut replayed = Replayed {
            system: dataset.name.clone(),
            ..Replayed::default()
        };
        for erased in &receipt.collections {
            let Some(collection) = dataset.collection(&erased.collection) else {
                let e = sqlx::Error::Configuration(
                    "the dataset no longer declares this collection".into(),
                );
                return Err(write_error(
                    database,
                    &format!("replaying `{}`", erased.collection),
                    &e,
                ));
            };
            replayed
                .collections
                .push(apply::apply(database, collection, &schema, &erased.keys.0, hasher).await?);
        }
        replayed.redacted = redact_again(database, dataset, &schema, receipt, hasher).await?;
        Ok(replayed)
    }
    .await;
    finish(database, outcome).await
}

/// Redact again, by primary key, the mentions `receipt` redacted (found through its
/// [`MentionKeys`] and scanned on its day), inside the caller's write transaction.
async fn redact_again(
    database: &mut Database,
    dataset: &Dataset,
    schema: &Schema,
    receipt: &ErasureReceipt,
    hasher: &KeyedHasher,
) -> Result<Vec<RedactedCollection>, ConnectError> {
    let Some(kept) = &receipt.mentions else {
        return Ok(Vec::new());
    };
    let needles = Needles::hashed(hasher, kept);
    let context = skydd_pii::Context::new(kept.scanned_on);
    let mut out = Vec::new();
    for redacted in &receipt.redacted {
        let refuse = |database: &Database, why: &'static str| {
            let e = sqlx::Error::Configuration(why.into());
            write_error(
                database,
                &format!("replaying `{}`", redacted.collection),
                &e,
            )
        };
        let Some(collection) = dataset.collection(&redacted.collection) else {
            return Err(refuse(
                database,
                "the dataset no longer declares this collection",
            ));
        };
        let Some(table) = schema.table(collection.schema.as_deref(), &collection.name) else {
            return Err(refuse(
                database,
                "the table is not in the database: run `skydd dataset check --connect`",
            ));
        };
        let free: Vec<usize> = mention::free_fields(collection)
            .into_iter()
            .filter(|&f| redacted.fields.contains(&collection.fields[f].name))
            .collect();
        let done = mention::redact(
            database,
            collection,
            table,
            &free,
            &redacted.keys.0,
            &needles,
            &context,
        )
        .await?;
        match out
            .iter_mut()
            .find(|c: &&mut RedactedCollection| c.collection == done.collection)
        {
            Some(known) => known.absorb(done),
            None => out.push(done),
        }
    }
    Ok(out)
}

/// Re-apply several recorded erasures of one database at once (`skydd erasures replay`): the
/// receipts' keys united per collection, written through [`apply::apply`] in the order
/// erasure writes (children before parents), then each receipt's redactions of free text, all
/// in ONE write transaction. With `dry_run` the transaction is rolled back: the counts say what
/// a replay would write. Idempotent like [`replay`]; collections the dataset no longer declares
/// are refused.
pub async fn replay_all(
    database: &mut Database,
    dataset: &Dataset,
    receipts: &[ErasureReceipt],
    hasher: &KeyedHasher,
    dry_run: bool,
) -> Result<Replayed, ConnectError> {
    let mut keys: BTreeMap<usize, Vec<Key>> = BTreeMap::new();
    for erased in receipts.iter().flat_map(|r| &r.collections) {
        let Some(c) = dataset
            .collections
            .iter()
            .position(|x| x.name == erased.collection)
        else {
            let e =
                sqlx::Error::Configuration("the dataset no longer declares this collection".into());
            return Err(write_error(
                database,
                &format!("replaying `{}`", erased.collection),
                &e,
            ));
        };
        let known = keys.entry(c).or_default();
        for key in &erased.keys.0 {
            if !known.contains(key) {
                known.push(key.clone());
            }
        }
    }
    let schema = database.schema().await?;
    database.begin_write().await?;
    let outcome = async {
        let mut replayed = Replayed {
            system: dataset.name.clone(),
            ..Replayed::default()
        };
        for c in order(dataset, &schema) {
            let Some(keys) = keys.get(&c) else {
                continue;
            };
            let collection = &dataset.collections[c];
            replayed
                .collections
                .push(apply::apply(database, collection, &schema, keys, hasher).await?);
        }
        for receipt in receipts {
            for done in redact_again(database, dataset, &schema, receipt, hasher).await? {
                match replayed
                    .redacted
                    .iter_mut()
                    .find(|c| c.collection == done.collection)
                {
                    Some(known) => known.absorb(done),
                    None => replayed.redacted.push(done),
                }
            }
        }
        Ok(replayed)
    }
    .await;
    if dry_run {
        // Nothing stays: the counts are what a replay would do.
        let _ = database.rollback().await;
        return outcome;
    }
    finish(database, outcome).await
}

/// Whether erasure deletes the collection's rows.
fn deletes_rows(collection: &Collection) -> bool {
    collection
        .fields
        .iter()
        .any(|f| f.erase == Erasure::DeleteRow)
}

/// Whether erasure writes anything in the collection.
fn erases(collection: &Collection) -> bool {
    collection.fields.iter().any(|f| f.erase != Erasure::Keep)
}

/// The fields erasure writes and how (`None`: the rows are deleted).
fn changes(collection: &Collection) -> Option<Vec<(usize, Change)>> {
    (!deletes_rows(collection)).then(|| {
        collection
            .fields
            .iter()
            .enumerate()
            .filter_map(|(f, field)| Change::erasing(&field.erase).map(|c| (f, c)))
            .collect()
    })
}

/// The kept fields whose category a legal hold of `register` covers.
fn held(collection: &Collection, register: Option<&Register>) -> Vec<HeldField> {
    let Some(register) = register else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for field in collection
        .fields
        .iter()
        .filter(|f| f.erase == Erasure::Keep)
    {
        let Some(category) = &field.category else {
            continue;
        };
        if let Some(hold) = register
            .legal_holds
            .iter()
            .find(|h| h.categories.contains(category))
        {
            out.push(HeldField {
                field: field.name.clone(),
                category: category.clone(),
                hold: hold.id.clone(),
                law: hold.law.clone(),
            });
        }
    }
    out
}

/// The collections' indexes in the order erasure writes them: after those named in
/// `erase_after`, and a table whose rows a live foreign key points at after the table holding
/// the key (children before parents); otherwise in the dataset's order. A cycle (which the
/// dataset check reports) leaves its collections in the dataset's order.
pub(crate) fn order(dataset: &Dataset, schema: &Schema) -> Vec<usize> {
    let n = dataset.collections.len();
    let index: HashMap<(&str, &str), usize> = dataset
        .collections
        .iter()
        .enumerate()
        .map(|(c, collection)| {
            let schema_name = collection
                .schema
                .as_deref()
                .unwrap_or(&schema.default_schema);
            ((schema_name, collection.name.as_str()), c)
        })
        .collect();
    // before[c]: collections written before c.
    let mut before: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); n];
    for (c, collection) in dataset.collections.iter().enumerate() {
        for name in &collection.erase_after {
            if let Some(p) = dataset.collections.iter().position(|x| &x.name == name) {
                before[c].insert(p);
            }
        }
        let Some(table) = schema.table(collection.schema.as_deref(), &collection.name) else {
            continue;
        };
        for key in &table.foreign_keys {
            let parent = index.get(&(
                key.referenced_schema.as_str(),
                key.referenced_table.as_str(),
            ));
            if let Some(&p) = parent
                && p != c
            {
                // c holds the key: c is written before its parent p.
                before[p].insert(c);
            }
        }
    }
    let mut done: HashSet<usize> = HashSet::new();
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let next = (0..n)
            .find(|c| !done.contains(c) && before[*c].iter().all(|p| done.contains(p)))
            .or_else(|| (0..n).find(|c| !done.contains(c)));
        let Some(c) = next else { break };
        done.insert(c);
        out.push(c);
    }
    out
}

/// The rows to erase and the shared rows of every collection, by traversal from `identities`
/// inside the caller's transaction.
pub(crate) async fn select(
    database: &mut Database,
    dataset: &Dataset,
    identities: &[Identity],
) -> Result<Vec<Selected>, ConnectError> {
    let Reached { rows, .. } = access::reach(database, dataset, identities).await?;
    let mut selected: Vec<Selected> = (0..dataset.collections.len())
        .map(|_| Selected::default())
        .collect();
    let reached: Vec<BTreeMap<Key, Vec<Value>>> = rows
        .into_iter()
        .map(|rows| {
            rows.into_iter()
                .filter_map(|(key, values)| {
                    let key: Option<Key> = key.into_iter().map(|v| v.0).collect();
                    key.map(|key| (key, values))
                })
                .collect()
        })
        .collect();
    // Every declared reference, once per pair of columns, in both orientations.
    let mut links: BTreeSet<((usize, usize), (usize, usize))> = BTreeSet::new();
    for (a, collection) in readable(dataset) {
        for (fa, field) in collection.fields.iter().enumerate() {
            for reference in &field.references {
                let target = readable(dataset).find_map(|(b, other)| {
                    (other.name == reference.field.collection)
                        .then(|| {
                            other
                                .fields
                                .iter()
                                .position(|f| f.name == reference.field.field)
                        })
                        .flatten()
                        .map(|fb| (b, fb))
                });
                if let Some(b) = target {
                    links.insert(((a, fa), b));
                    links.insert((b, (a, fa)));
                }
            }
        }
    }
    let mut types = HashMap::new();
    let mut shared: Vec<BTreeSet<Key>> = vec![BTreeSet::new(); dataset.collections.len()];
    for ((x, fx), (y, fy)) in links {
        if dataset.collections[x].reach_only || reached[x].is_empty() {
            continue;
        }
        let values: BTreeSet<&str> = reached[x]
            .values()
            .filter_map(|v| v.get(fx).and_then(Value::expose))
            .collect();
        let values: Vec<String> = values.into_iter().map(str::to_owned).collect();
        let mut foreign: BTreeSet<String> = BTreeSet::new();
        let other = &dataset.collections[y];
        for batch in values.chunks(BATCH) {
            let rows = access::select(database, &mut types, dataset, (y, fy), batch)
                .await
                .map_err(|e| read_error(database, &format!("reading `{}`", other.name), &e))?;
            for row in rows {
                let key: Option<Key> = other
                    .primary_key
                    .iter()
                    .map(|k| {
                        other
                            .fields
                            .iter()
                            .position(|f| &f.name == k)
                            .and_then(|at| row.get(at))
                            .and_then(|v| v.0.clone())
                    })
                    .collect();
                let outside = key.is_none_or(|key| !reached[y].contains_key(&key));
                if outside && let Some(value) = row.get(fy).and_then(Value::expose) {
                    foreign.insert(value.to_owned());
                }
            }
        }
        if foreign.is_empty() {
            continue;
        }
        let through = format!(
            "{}.{} → {}.{}",
            dataset.collections[x].name,
            dataset.collections[x].fields[fx].name,
            other.name,
            other.fields[fy].name
        );
        for (key, values) in &reached[x] {
            if values
                .get(fx)
                .and_then(Value::expose)
                .is_some_and(|v| foreign.contains(v))
            {
                shared[x].insert(key.clone());
                selected[x].through.insert(through.clone());
            }
        }
    }
    for (c, rows) in reached.into_iter().enumerate() {
        for (key, values) in rows {
            if shared[c].contains(&key) {
                selected[c].shared.insert(key);
            } else {
                selected[c].erase.insert(key, values);
            }
        }
    }
    Ok(selected)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{ForeignKey, Table};

    const DATASET: &str = "skydd_dataset: 1
name: shop
kind: sqlite
connection: {env: SHOP_URL}
collections:
  - name: customer
    primary_key: id
    fields:
      - {name: id, category: customer_identity, erase: delete_row, outside_hold: test}
      - {name: email, category: customer_identity, identity: email, erase: delete_row, outside_hold: test}
  - name: note
    primary_key: id
    erase_after: [ticket]
    fields:
      - {name: id}
      - name: customer_id
        references:
          - {field: customer.id, direction: from}
      - {name: body, category: support_ticket, erase: null}
  - name: ticket
    primary_key: id
    fields:
      - {name: id}
      - name: customer_id
        references:
          - {field: customer.id, direction: from}
      - {name: body, category: support_ticket, erase: delete_row}
";

    fn table(name: &str, parent: Option<&str>) -> Table {
        Table {
            schema: "main".into(),
            name: name.into(),
            foreign_keys: parent
                .map(|p| ForeignKey {
                    name: "0".into(),
                    columns: vec!["customer_id".into()],
                    referenced_schema: "main".into(),
                    referenced_table: p.into(),
                    referenced_columns: vec!["id".into()],
                })
                .into_iter()
                .collect(),
            ..Table::default()
        }
    }

    fn names(dataset: &Dataset, order: &[usize]) -> Vec<String> {
        order
            .iter()
            .map(|c| dataset.collections[*c].name.clone())
            .collect()
    }

    #[test]
    fn children_are_written_before_the_parents_their_foreign_keys_point_at() {
        let checked = skydd_dataset::check(DATASET, None);
        let dataset = checked.dataset.expect("the test dataset is valid");
        let schema = Schema {
            default_schema: "main".into(),
            tables: vec![
                table("customer", None),
                table("note", Some("customer")),
                table("ticket", Some("customer")),
            ],
        };
        // ticket before note (`erase_after`), both before customer (their foreign keys).
        assert_eq!(
            names(&dataset, &order(&dataset, &schema)),
            ["ticket", "note", "customer"]
        );
        // Without foreign keys in the database only `erase_after` orders.
        let loose = Schema {
            default_schema: "main".into(),
            tables: vec![
                table("customer", None),
                table("note", None),
                table("ticket", None),
            ],
        };
        assert_eq!(
            names(&dataset, &order(&dataset, &loose)),
            ["customer", "ticket", "note"]
        );
    }

    #[test]
    fn a_receipt_shows_no_key_in_debug() {
        let receipt = ErasureReceipt {
            system: "shop".into(),
            collections: vec![ErasedCollection {
                collection: "customer".into(),
                deleted: 1,
                keys: Keys(vec![vec!["secret-key".into()]]),
                ..ErasedCollection::default()
            }],
            ..ErasureReceipt::default()
        };
        let shown = format!("{receipt:?}");
        assert!(
            !shown.contains("secret-key") && shown.contains("<1 keys>"),
            "{shown}"
        );
    }
}
