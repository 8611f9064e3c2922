//! Retention sweeps in connected databases (issue 16, part 4): the rows of a dataset's
//! collections that are past their register rule, by the collection's anchor column, deleted or
//! masked in bounded batches, legal holds and foreign keys respected, with a plan before and a
//! receipt after that hold names and counts, never a value.
//!
//! **When a row is due.** A collection with `retention: {anchor: COLUMN, rule: RULE}` follows the
//! register's rule RULE. A row's anchor date is the anchor's calendar date in Stockholm
//! ([`skydd_register::zone`]); the rule's [`RetentionClock::expires_on`] of that date is the last
//! day the row is kept (inclusive, as the vault's own sweep counts it), so the row is due from
//! the next day on. `expires_on` never decreases as the anchor date grows, so the due rows are
//! exactly those whose anchor is before one instant, the [`Cutoff`]: the database finds them by
//! an index on the anchor column. A NULL anchor is never due.
//!
//! **Anchor types.** A `timestamp with time zone` is an instant. A timestamp without a zone
//! (PostgreSQL `timestamp`, MySQL `DATETIME`, SQLite text `YYYY-MM-DD HH:MM:SS`) is read as UTC;
//! a MySQL `TIMESTAMP` is compared in the session's time zone. A `date` is a Stockholm date.
//! Other types (numbers, free text on PostgreSQL and MySQL) are not swept and the plan says why.
//!
//! **Legal holds.** A field whose category a legal hold of the register keeps (and that does not
//! say `outside_hold`) is held while the hold runs, its clock counted from the same anchor. A
//! row with a held field is not deleted before the hold ends; masking never touches a held field.
//! The plan and the receipt name each hold, its law, the fields and the rows it keeps.
//!
//! **Batches.** `run` selects due primary keys `ORDER BY` key `LIMIT` the batch size and deletes
//! or masks those rows, one transaction per batch: a deletion is one `DELETE` statement with the
//! selection inside it, masking is [`apply`] on the selected keys. Due rows are taken oldest
//! anchor first, then by key, so the anchor's index yields them in order. A crash loses at most
//! the batch in flight; a rerun selects what is left and finishes the job. Masked rows are never
//! selected again, without any state kept outside the rows themselves: when every masked field
//! is `null`, `replace` or `keyed_hash`, a row whose masked fields all hold their erased form
//! (as `apply` tells it) is done; a `random` field leaves no mark, so masking then also clears
//! the anchor (a NULL anchor is never due), which needs a nullable anchor outside every key.
//!
//! **Foreign keys.** Collections are swept in an order the dataset's `erase_after` and the live
//! schema's foreign keys allow (rows that refer to others go first). A due row another row still
//! refers to is not selected for deletion: the receipt counts it with the referring table and
//! columns instead of failing the sweep. (Every foreign key counts, `ON DELETE CASCADE` too: a
//! sweep never deletes rows in tables the dataset does not sweep.)

use std::collections::BTreeSet;
use std::ops::ControlFlow;

use jiff::civil::Date;
use jiff::{Span, Timestamp};
use serde::Serialize;
use skydd_dataset::{Collection, DatabaseKind, Dataset, Erasure, Retention};
use skydd_register::Register;
use skydd_register::model::{LegalHold, RetentionAction, RetentionClock, RetentionRule};
use skydd_register::zone::{stockholm, stockholm_date};

use crate::access::{begin_read, end_read, quote, read_error, table, write_error};
use crate::apply::{KeyedHasher, apply};
use crate::schema::{ForeignKey, Schema, Table};
use crate::{ConnectError, Database};

/// The number of rows a batch deletes or masks when the caller has no better idea: large enough
/// that a sweep of a million rows takes a few hundred statements, small enough that one batch
/// holds its locks for well under a second.
pub const DEFAULT_BATCH: usize = 5000;

/// What a sweep at `now` would do to one connected database. Names, rules, dates and counts
/// only: fit for the audit chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SweepPlan {
    /// The dataset's name: the system swept.
    pub system: String,
    /// The instant the plan was made for.
    pub now: Timestamp,
    /// `now`'s date in Stockholm, the day expiry dates are compared with.
    pub today: Date,
    /// Every collection with `retention`, in the order a sweep takes them.
    pub collections: Vec<CollectionPlan>,
}

/// What a sweep would do to one collection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CollectionPlan {
    /// The collection's (table's) name.
    pub collection: String,
    /// The register's retention rule, its action and the anchor column.
    pub rule: RuleApplied,
    /// The latest anchor that is due; `None` when no anchor date is due yet.
    pub cutoff: Option<Cutoff>,
    /// How many rows would be deleted or masked now.
    pub due: u64,
    /// Due rows a legal hold keeps, per hold.
    pub held: Vec<Held>,
    /// Due rows that cannot be deleted because other rows refer to them, per foreign key.
    pub referenced: Vec<Referenced>,
    /// Why the collection is not swept at all (its rule is missing, its anchor is not a time,
    /// masked rows could not be told from due ones).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
}

/// A retention rule as a collection applies it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleApplied {
    /// The register's rule id.
    pub rule: String,
    /// What the rule says happens (`delete` or `anonymise`).
    pub action: RetentionAction,
    /// What the sweep does to a due row: the rule's `delete` deletes it, and so does `anonymise`
    /// when a field of the collection says `erase: delete_row`; otherwise the fields' erase
    /// strategies mask it.
    pub rows: RowAction,
    /// The anchor column.
    pub anchor: String,
}

/// What happens to a due row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RowAction {
    /// The row is deleted.
    Delete,
    /// The row's fields are masked by their erase strategies; keys and `keep` fields stay.
    Mask,
}

/// Where due rows end: every row whose anchor's Stockholm date is on or before `last_due` (an
/// anchor instant before `before`) is past its rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Cutoff {
    /// The latest anchor date that is due.
    pub last_due: Date,
    /// Midnight in Stockholm after `last_due`: every anchor before it is due.
    pub before: Timestamp,
}

/// Rows a legal hold keeps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Held {
    /// The hold's id in the register.
    pub hold: String,
    /// The provision that requires keeping (the register's `law`, in English).
    pub law: String,
    /// The collection's fields the hold keeps.
    pub fields: Vec<String>,
    /// Due rows whose hold still runs: not deleted (or, when masked, with these fields kept).
    pub rows: u64,
    /// The latest anchor date whose hold has ended; `None` when none has.
    pub ended_for: Option<Date>,
}

/// Due rows that other rows still refer to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Referenced {
    /// The referring table and columns, `orders(customer_id)`.
    pub by: String,
    /// How many due rows it refers to.
    pub rows: u64,
}

/// What a sweep did to one connected database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SweepReceipt {
    /// The dataset's name: the system swept.
    pub system: String,
    /// The instant the sweep ran for.
    pub now: Timestamp,
    /// `now`'s date in Stockholm.
    pub today: Date,
    /// Every collection with `retention` that was reached, in sweep order.
    pub collections: Vec<CollectionReceipt>,
    /// Whether the progress callback stopped the sweep before the end (a rerun finishes it).
    pub stopped: bool,
}

impl SweepReceipt {
    /// Whether every collection was swept to the end: not stopped, none failed.
    pub fn complete(&self) -> bool {
        !self.stopped
            && self
                .collections
                .iter()
                .all(|c| !matches!(c.outcome, Outcome::Failed { .. }))
    }
}

/// What a sweep did to one collection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CollectionReceipt {
    /// The collection's (table's) name.
    pub collection: String,
    /// The rule applied.
    pub rule: RuleApplied,
    /// The cutoff used.
    pub cutoff: Option<Cutoff>,
    /// Rows deleted.
    pub deleted: u64,
    /// Rows masked.
    pub masked: u64,
    /// Batches (transactions) committed that changed rows.
    pub batches: u64,
    /// Due rows a legal hold keeps, after the sweep.
    pub held: Vec<Held>,
    /// Due rows left because other rows refer to them, after the sweep.
    pub referenced: Vec<Referenced>,
    /// How the collection's sweep ended.
    pub outcome: Outcome,
}

/// How one collection's sweep ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum Outcome {
    /// Every due row that may go has gone.
    Done,
    /// The progress callback stopped the sweep here; committed batches stay.
    Stopped,
    /// Not swept; the reason says why (as the plan's `skipped`).
    Skipped {
        /// Why.
        reason: String,
    },
    /// A statement failed; committed batches stay, the batch in flight was rolled back. The
    /// reason names what was being done and the SQLSTATE, never a value.
    Failed {
        /// Why.
        reason: String,
    },
}

/// How far a sweep has got: called after every batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SweepProgress {
    /// The collection being swept.
    pub collection: String,
    /// Batches committed in it so far.
    pub batches: u64,
    /// Rows deleted or masked in it so far.
    pub rows: u64,
}

/// The plan of a sweep at `now`: per collection with `retention`, the rule, the cutoff, the due
/// rows, what holds and references keep. Reads the live schema, then counts in one read-only
/// transaction; changes nothing.
pub async fn plan(
    database: &mut Database,
    dataset: &Dataset,
    register: &Register,
    now: Timestamp,
) -> Result<SweepPlan, ConnectError> {
    let schema = database.schema().await?;
    let today = stockholm_date(now);
    let targets = targets(database.kind(), dataset, register, &schema, today);
    begin_read(database).await?;
    let mut collections = Vec::new();
    let mut failed = None;
    for target in &targets {
        match target {
            Err(skipped) => collections.push(CollectionPlan {
                collection: skipped.collection.clone(),
                rule: skipped.rule.clone(),
                cutoff: None,
                due: 0,
                held: Vec::new(),
                referenced: Vec::new(),
                skipped: Some(skipped.reason.clone()),
            }),
            Ok(target) => match target.counts(database, true).await {
                Ok((due, held, referenced)) => collections.push(CollectionPlan {
                    collection: target.collection.name.clone(),
                    rule: target.rule.clone(),
                    cutoff: target.cutoff,
                    due,
                    held,
                    referenced,
                    skipped: None,
                }),
                Err(e) => {
                    let doing = format!("counting the due rows of `{}`", target.collection.name);
                    failed = Some(read_error(database, &doing, &e));
                    break;
                }
            },
        }
    }
    let outcome = match failed {
        Some(error) => Err(error),
        None => Ok(()),
    };
    end_read(database, outcome).await?;
    Ok(SweepPlan {
        system: dataset.name.clone(),
        now,
        today,
        collections,
    })
}

/// What [`run`] calls after each committed batch and awaits before the next one starts: the
/// future says whether to go on. A caller may do I/O in it: the application writes each
/// batch's proof to its audit trail there, so a sweep killed midway leaves every committed
/// batch but the one in flight proven.
pub type Progress<'a> = dyn FnMut(
        SweepProgress,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = ControlFlow<()>> + Send + 'a>>
    + Send
    + 'a;

/// A [`Progress`] from a callback that does no I/O: its answer, ready at once.
pub fn progress_fn<'a>(
    mut callback: impl FnMut(&SweepProgress) -> ControlFlow<()> + Send + 'a,
) -> impl FnMut(
    SweepProgress,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = ControlFlow<()>> + Send + 'a>>
+ Send
+ 'a {
    move |seen| {
        let flow = callback(&seen);
        Box::pin(std::future::ready(flow))
    }
}

/// Sweep at `now`: delete or mask every due row that may go, `batch` rows per transaction,
/// awaiting `progress` after each batch; `ControlFlow::Break` from it stops the sweep there
/// (committed batches stay, a rerun goes on). `database` must be writable
/// ([`Database::connect_writable`]); `hasher` is the key `keyed_hash` masking uses (the same
/// as erasure's, so hashed values still join).
///
/// One sweeper per database: on PostgreSQL and MySQL the sweep holds a session lock (an
/// advisory lock; `GET_LOCK` named after the database) and returns `Ok(None)`, doing nothing,
/// while another sweeper holds it. (SQLite takes its write lock per batch; two sweepers there
/// interleave whole batches, which changes no end state.) The lock goes with the connection
/// if the caller drops the sweep midway.
///
/// A statement that fails ends that collection's sweep with [`Outcome::Failed`] and the sweep
/// goes on with the next; check [`SweepReceipt::complete`]. Only reading the schema or taking
/// the lock fails the whole call.
pub async fn run(
    database: &mut Database,
    dataset: &Dataset,
    register: &Register,
    now: Timestamp,
    batch: usize,
    hasher: &KeyedHasher,
    progress: &mut Progress<'_>,
) -> Result<Option<SweepReceipt>, ConnectError> {
    let locking = "taking the sweep lock";
    if !lock(database, true)
        .await
        .map_err(|e| write_error(database, locking, &e))?
    {
        return Ok(None);
    }
    let swept = sweep_locked(database, dataset, register, now, batch, hasher, progress).await;
    let released = lock(database, false).await;
    let receipt = swept?;
    released.map_err(|e| write_error(database, "releasing the sweep lock", &e))?;
    Ok(Some(receipt))
}

/// Take (`take`) or release the sweep lock of the database; whether it was taken.
async fn lock(database: &mut Database, take: bool) -> Result<bool, sqlx::Error> {
    /// The advisory lock's key on PostgreSQL: "skydd_sweep" in ASCII, as one number.
    const KEY: i64 = 0x736b_7964_645f_7377;
    match database {
        Database::Postgres(conn) => {
            let sql = if take {
                "SELECT pg_try_advisory_lock($1)"
            } else {
                "SELECT pg_advisory_unlock($1)"
            };
            sqlx::query_scalar(sql).bind(KEY).fetch_one(conn).await
        }
        Database::Mysql(conn) => {
            let sql = if take {
                "SELECT GET_LOCK(CONCAT('skydd_sweep.', DATABASE()), 0)"
            } else {
                "SELECT RELEASE_LOCK(CONCAT('skydd_sweep.', DATABASE()))"
            };
            let got: Option<i64> = sqlx::query_scalar(sql).fetch_one(conn).await?;
            Ok(got == Some(1))
        }
        Database::Sqlite(_) => Ok(true),
    }
}

/// The sweep, under the sweep lock.
async fn sweep_locked(
    database: &mut Database,
    dataset: &Dataset,
    register: &Register,
    now: Timestamp,
    batch: usize,
    hasher: &KeyedHasher,
    progress: &mut Progress<'_>,
) -> Result<SweepReceipt, ConnectError> {
    let batch = batch.max(1);
    let schema = database.schema().await?;
    let today = stockholm_date(now);
    let targets = targets(database.kind(), dataset, register, &schema, today);
    let mut receipt = SweepReceipt {
        system: dataset.name.clone(),
        now,
        today,
        collections: Vec::new(),
        stopped: false,
    };
    for target in &targets {
        let target = match target {
            Err(skipped) => {
                receipt.collections.push(CollectionReceipt {
                    collection: skipped.collection.clone(),
                    rule: skipped.rule.clone(),
                    cutoff: None,
                    deleted: 0,
                    masked: 0,
                    batches: 0,
                    held: Vec::new(),
                    referenced: Vec::new(),
                    outcome: Outcome::Skipped {
                        reason: skipped.reason.clone(),
                    },
                });
                continue;
            }
            Ok(target) => target,
        };
        let mut done = CollectionReceipt {
            collection: target.collection.name.clone(),
            rule: target.rule.clone(),
            cutoff: target.cutoff,
            deleted: 0,
            masked: 0,
            batches: 0,
            held: Vec::new(),
            referenced: Vec::new(),
            outcome: Outcome::Done,
        };
        let swept = target
            .sweep(database, &schema, batch, hasher, &mut done, progress)
            .await;
        match swept {
            Ok(ControlFlow::Continue(())) => {}
            Ok(ControlFlow::Break(())) => {
                done.outcome = Outcome::Stopped;
                receipt.stopped = true;
            }
            Err(error) => {
                done.outcome = Outcome::Failed {
                    reason: scrubbed(error),
                };
            }
        }
        if done.outcome == Outcome::Done {
            match target.counts(database, false).await {
                Ok((_, held, referenced)) => {
                    done.held = held;
                    done.referenced = referenced;
                }
                Err(error) => {
                    let doing = format!("counting the rows kept in `{}`", target.collection.name);
                    done.outcome = Outcome::Failed {
                        reason: scrubbed(read_error(database, &doing, &error)),
                    };
                }
            }
        }
        receipt.collections.push(done);
        if receipt.stopped {
            break;
        }
    }
    Ok(receipt)
}

/// The reason of an error built by `access::read_error` or `write_error`: what was being done
/// and the SQLSTATE, never the driver's message, which may quote a value.
fn scrubbed(error: ConnectError) -> String {
    match error {
        ConnectError::Access { reason, .. } | ConnectError::Write { reason, .. } => reason,
        other => other.to_string(),
    }
}

/// The last anchor date whose expiry under `clock` is before `today` (so that the row is due
/// on `today`), or `None` when no date is. Binary search: `expires_on` never decreases as the
/// anchor date grows.
pub fn last_due(clock: &RetentionClock, today: Date) -> Option<Date> {
    let due = |date: Date| clock.expires_on(date).is_some_and(|end| end < today);
    let back = |days: i64| today.checked_sub(Span::new().try_days(days).ok()?).ok();
    // The furthest back a date can be: jiff's first date.
    let furthest = today.since(Date::MIN).ok()?.get_days();
    let furthest = i64::from(furthest);
    if !back(furthest).is_some_and(due) {
        return None;
    }
    // Invariant: `back(hi)` is due; `back(lo)` is not (`today` itself never is: a period is
    // never negative).
    let (mut lo, mut hi) = (0_i64, furthest);
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if back(mid).is_some_and(due) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    back(hi)
}

/// The cutoff for the last due anchor date.
fn cutoff(last_due: Date) -> Option<Cutoff> {
    let next = last_due.tomorrow().ok()?;
    let before = next.to_zoned(stockholm()).ok()?.timestamp();
    Some(Cutoff { last_due, before })
}

/// A collection that cannot be swept, and why.
struct Skipped {
    collection: String,
    rule: RuleApplied,
    reason: String,
}

/// How the anchor column is compared with a cutoff.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AnchorType {
    /// A calendar date.
    Date,
    /// A timestamp without a zone, read as UTC.
    Naive,
    /// PostgreSQL `timestamp with time zone`.
    Instant,
    /// MySQL `TIMESTAMP`, shown in the session's time zone.
    MysqlTimestamp,
}

/// How a masked row is told from a due one.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Marker {
    /// Every masked field is `null`, `replace` or `keyed_hash`: a row whose masked fields all
    /// hold their erased form is done.
    Erased,
    /// Masking also sets the anchor to NULL.
    AnchorCleared,
}

/// A legal hold that keeps fields of a collection.
struct HoldOn<'r> {
    hold: &'r LegalHold,
    fields: Vec<String>,
    /// The last anchor date whose hold has ended.
    ended_for: Option<Date>,
}

/// A foreign key of another table that refers to the collection's table.
struct Referrer<'s> {
    table: &'s Table,
    key: &'s ForeignKey,
}

/// A collection ready to sweep.
struct Target<'a> {
    kind: DatabaseKind,
    collection: &'a Collection,
    rule: RuleApplied,
    anchor: AnchorType,
    cutoff: Option<Cutoff>,
    holds: Vec<HoldOn<'a>>,
    referrers: Vec<Referrer<'a>>,
    /// For masking: the collection with held fields set to `keep`, and the marker.
    mask: Option<(Collection, Marker)>,
}

/// The collections with `retention`, in sweep order, each ready or skipped with a reason.
fn targets<'a>(
    kind: DatabaseKind,
    dataset: &'a Dataset,
    register: &'a Register,
    schema: &'a Schema,
    today: Date,
) -> Vec<Result<Target<'a>, Skipped>> {
    order(dataset, schema)
        .into_iter()
        .map(|(collection, retention)| target(kind, collection, retention, register, schema, today))
        .collect()
}

/// One collection with `retention`, ready to sweep or skipped with a reason.
fn target<'a>(
    kind: DatabaseKind,
    collection: &'a Collection,
    retention: &'a Retention,
    register: &'a Register,
    schema: &'a Schema,
    today: Date,
) -> Result<Target<'a>, Skipped> {
    let found: Option<&RetentionRule> = register.retention.iter().find(|r| r.id == retention.rule);
    let deletes = |action: RetentionAction| {
        action == RetentionAction::Delete
            || collection
                .fields
                .iter()
                .any(|f| f.erase == Erasure::DeleteRow)
    };
    let action = found.map_or(RetentionAction::Delete, |r| r.action);
    let rule = RuleApplied {
        rule: retention.rule.as_str().to_owned(),
        action,
        rows: if deletes(action) {
            RowAction::Delete
        } else {
            RowAction::Mask
        },
        anchor: retention.anchor.clone(),
    };
    let skip = |reason: String| Skipped {
        collection: collection.name.clone(),
        rule: rule.clone(),
        reason,
    };
    let Some(found) = found else {
        return Err(skip(format!(
            "the register has no retention rule `{}`: check the dataset against this register",
            retention.rule
        )));
    };
    if found.action == RetentionAction::Review {
        return Err(skip(format!(
            "retention rule `{}` keeps data by criteria, with a review: a person decides, the sweep deletes nothing",
            retention.rule
        )));
    }
    let Some(table) = schema.table(collection.schema.as_deref(), &collection.name) else {
        return Err(skip(format!(
            "the database has no table `{}`: run `skydd dataset check --connect`",
            collection.name
        )));
    };
    let Some(column) = table.column(&retention.anchor) else {
        return Err(skip(format!(
            "`{}` has no column `{}`: run `skydd dataset check --connect`",
            collection.name, retention.anchor
        )));
    };
    let anchor = match anchor_type(kind, &column.sql_type) {
        Some(anchor) => anchor,
        None => {
            return Err(skip(format!(
                "the anchor `{}` is of type `{}`, not a date or a time",
                retention.anchor, column.sql_type
            )));
        }
    };
    if collection.primary_key.is_empty() {
        return Err(skip("the collection has no primary key".into()));
    }
    let mut holds: Vec<HoldOn<'a>> = Vec::new();
    for hold in &register.legal_holds {
        let fields: Vec<String> = collection
            .fields
            .iter()
            .filter(|f| {
                f.outside_hold.is_none()
                    && f.category
                        .as_ref()
                        .is_some_and(|c| hold.categories.contains(c))
            })
            .map(|f| f.name.clone())
            .collect();
        if !fields.is_empty() {
            holds.push(HoldOn {
                hold,
                fields,
                ended_for: last_due(&hold.clock, today),
            });
        }
    }
    let mut referrers = Vec::new();
    for other in &schema.tables {
        for key in &other.foreign_keys {
            if key.referenced_schema == table.schema && key.referenced_table == table.name {
                referrers.push(Referrer { table: other, key });
            }
        }
    }
    let mask = match rule.rows {
        RowAction::Delete => None,
        RowAction::Mask => {
            let held: BTreeSet<&str> = holds
                .iter()
                .flat_map(|h| h.fields.iter().map(String::as_str))
                .collect();
            let mut masked = collection.clone();
            for field in &mut masked.fields {
                if held.contains(field.name.as_str())
                    || collection.primary_key.contains(&field.name)
                {
                    field.erase = Erasure::Keep;
                }
            }
            let changing: Vec<&skydd_dataset::Field> = masked
                .fields
                .iter()
                .filter(|f| !f.erase.keeps_value())
                .collect();
            if changing.is_empty() {
                return Err(skip(
                    "nothing to mask: every field of the collection is `keep`".into(),
                ));
            }
            let detectable = changing.iter().all(|f| {
                matches!(
                    f.erase,
                    Erasure::Null | Erasure::Replace(_) | Erasure::KeyedHash
                )
            });
            let marker = if detectable {
                Marker::Erased
            } else if column.nullable
                && !collection.primary_key.contains(&retention.anchor)
                && !table.in_foreign_key(&retention.anchor)
            {
                // The anchor is masked to NULL with the rest, in the same UPDATE.
                for field in &mut masked.fields {
                    if field.name == retention.anchor {
                        field.erase = Erasure::Null;
                    }
                }
                Marker::AnchorCleared
            } else {
                return Err(skip(format!(
                    "a masked row could not be told from a due one: `random` leaves no mark, and the anchor `{}` cannot be cleared (it is NOT NULL or part of a key); use `null`, `replace` or `keyed_hash`, or make the anchor nullable",
                    retention.anchor
                )));
            };
            Some((masked, marker))
        }
    };
    Ok(Target {
        kind,
        collection,
        rule,
        anchor,
        cutoff: last_due(&found.clock, today).and_then(cutoff),
        holds,
        referrers,
        mask,
    })
}

/// How a column of `sql_type` (as the live schema names it) compares with a cutoff, if it can.
fn anchor_type(kind: DatabaseKind, sql_type: &str) -> Option<AnchorType> {
    let t = sql_type.to_ascii_lowercase();
    match kind {
        DatabaseKind::Postgres => match t.as_str() {
            "date" => Some(AnchorType::Date),
            "timestamp without time zone" | "timestamp" => Some(AnchorType::Naive),
            "timestamp with time zone" | "timestamptz" => Some(AnchorType::Instant),
            _ => None,
        },
        DatabaseKind::Mysql => match t.as_str() {
            "date" => Some(AnchorType::Date),
            "datetime" => Some(AnchorType::Naive),
            "timestamp" => Some(AnchorType::MysqlTimestamp),
            _ => None,
        },
        // SQLite keeps dates and times as ISO 8601 text; a declared number type means epoch
        // seconds or Julian days, which are not compared.
        DatabaseKind::Sqlite => {
            if ["int", "real", "floa", "doub", "num", "dec", "blob"]
                .iter()
                .any(|w| t.contains(w))
            {
                None
            } else if t.contains("date") && !t.contains("time") {
                Some(AnchorType::Date)
            } else {
                Some(AnchorType::Naive)
            }
        }
    }
}

/// The collections with `retention` in an order that foreign keys allow: a collection whose
/// `erase_after` names another comes after it; a table that refers to another (live foreign
/// key) comes before it. Ties, and circles, keep the dataset's order.
fn order<'a>(dataset: &'a Dataset, schema: &Schema) -> Vec<(&'a Collection, &'a Retention)> {
    let swept: Vec<(&Collection, &Retention)> = dataset
        .collections
        .iter()
        .filter_map(|c| c.retention.as_ref().map(|r| (c, r)))
        .collect();
    let live = |c: &Collection| schema.table(c.schema.as_deref(), &c.name);
    // `before[i]` holds the collections that must be swept before `swept[i]`.
    let before: Vec<BTreeSet<usize>> = swept
        .iter()
        .map(|(c, _)| {
            let mut must = BTreeSet::new();
            for (j, (other, _)) in swept.iter().enumerate() {
                if other.name == c.name {
                    continue;
                }
                let listed = c.erase_after.iter().any(|n| n == &other.name);
                let refers = match (live(other), live(c)) {
                    (Some(o), Some(t)) => o
                        .foreign_keys
                        .iter()
                        .any(|k| k.referenced_schema == t.schema && k.referenced_table == t.name),
                    _ => false,
                };
                if listed || refers {
                    must.insert(j);
                }
            }
            must
        })
        .collect();
    let mut placed = vec![false; swept.len()];
    let mut ordered = Vec::with_capacity(swept.len());
    while ordered.len() < swept.len() {
        let ready = (0..swept.len())
            .find(|&i| !placed[i] && before[i].iter().all(|&j| placed[j]))
            // A circle: take the first left in the dataset's order.
            .or_else(|| (0..swept.len()).find(|&i| !placed[i]));
        let Some(i) = ready else { break };
        placed[i] = true;
        ordered.push(swept[i]);
    }
    ordered
}

/// SQL pieces with their bound values, numbered per dialect.
struct Sql {
    kind: DatabaseKind,
    binds: Vec<String>,
}

impl Sql {
    fn new(kind: DatabaseKind) -> Sql {
        Sql {
            kind,
            binds: Vec::new(),
        }
    }

    /// A placeholder for `value`.
    fn bind(&mut self, value: String) -> String {
        self.binds.push(value);
        match self.kind {
            DatabaseKind::Postgres => format!("${}", self.binds.len()),
            DatabaseKind::Mysql | DatabaseKind::Sqlite => "?".into(),
        }
    }
}

impl Target<'_> {
    fn table(&self) -> String {
        table(self.kind, self.collection)
    }

    fn column(&self, name: &str) -> String {
        format!("{}.{}", self.table(), quote(self.kind, name))
    }

    fn anchor_column(&self) -> String {
        self.column(&self.rule.anchor)
    }

    /// `anchor < cutoff of last_due`, bound as the anchor's type needs.
    fn before(&self, sql: &mut Sql, last_due: Date) -> Option<String> {
        let cutoff = cutoff(last_due)?;
        let utc = cutoff
            .before
            .to_zoned(jiff::tz::TimeZone::UTC)
            .datetime()
            .strftime("%Y-%m-%d %H:%M:%S")
            .to_string();
        let next = cutoff.before.to_zoned(stockholm()).date().to_string();
        let bound = match (self.anchor, self.kind) {
            (AnchorType::Date, DatabaseKind::Sqlite) => sql.bind(next),
            (AnchorType::Date, _) => format!("CAST({} AS DATE)", sql.bind(next)),
            (AnchorType::Naive, DatabaseKind::Postgres) => {
                format!("CAST({} AS TIMESTAMP)", sql.bind(utc))
            }
            (AnchorType::Naive, DatabaseKind::Mysql) => {
                format!("CAST({} AS DATETIME)", sql.bind(utc))
            }
            (AnchorType::Naive, DatabaseKind::Sqlite) => sql.bind(utc),
            (AnchorType::Instant, _) => {
                format!("CAST({} AS TIMESTAMPTZ)", sql.bind(format!("{utc}+00")))
            }
            (AnchorType::MysqlTimestamp, _) => format!(
                "CONVERT_TZ(CAST({} AS DATETIME), '+00:00', @@session.time_zone)",
                sql.bind(utc)
            ),
        };
        Some(format!("{} < {bound}", self.anchor_column()))
    }

    /// `anchor >= cutoff of last_due`: rows after it.
    fn after(&self, sql: &mut Sql, last_due: Date) -> Option<String> {
        self.before(sql, last_due).map(|b| format!("NOT ({b})"))
    }

    /// The last anchor date whose rows may be deleted: before every running hold's end.
    fn deletable(&self) -> Option<Date> {
        let mut last = self.cutoff?.last_due;
        for hold in &self.holds {
            last = last.min(hold.ended_for?);
        }
        Some(last)
    }

    /// `NOT EXISTS` a referring row, for each live foreign key into the table.
    fn unreferenced(&self) -> Vec<String> {
        self.referrers
            .iter()
            .map(|r| format!("NOT EXISTS ({})", self.referring(r)))
            .collect()
    }

    /// A `SELECT 1` of the rows of `r` that refer to the current row.
    fn referring(&self, r: &Referrer<'_>) -> String {
        let alias = quote(self.kind, "skydd_referrer");
        let other = format!(
            "{}.{}",
            quote(self.kind, &r.table.schema),
            quote(self.kind, &r.table.name)
        );
        let other = if self.kind == DatabaseKind::Sqlite && r.table.schema == "main" {
            quote(self.kind, &r.table.name)
        } else {
            other
        };
        let on: Vec<String> = r
            .key
            .columns
            .iter()
            .zip(&r.key.referenced_columns)
            .map(|(c, p)| format!("{alias}.{} = {}", quote(self.kind, c), self.column(p)))
            .collect();
        format!("SELECT 1 FROM {other} {alias} WHERE {}", on.join(" AND "))
    }

    /// The condition of a row that is not masked yet (for `Marker::Erased`).
    fn unmasked(&self, sql: &mut Sql) -> Option<String> {
        let (masked, marker) = self.mask.as_ref()?;
        if *marker != Marker::Erased {
            return None;
        }
        let text = match self.kind {
            DatabaseKind::Mysql => "CHAR",
            DatabaseKind::Postgres | DatabaseKind::Sqlite => "TEXT",
        };
        let erased: Vec<String> = masked
            .fields
            .iter()
            .filter_map(|f| match &f.erase {
                Erasure::Null => Some(format!("{} IS NULL", self.column(&f.name))),
                Erasure::Replace(value) => {
                    let column = self.column(&f.name);
                    // Compared byte for byte, as `apply` compares: MySQL's collations would
                    // take `Gone` for `gone`.
                    let binary = if self.kind == DatabaseKind::Mysql {
                        "BINARY "
                    } else {
                        ""
                    };
                    Some(format!(
                        "({column} IS NOT NULL AND {binary}CAST({column} AS {text}) = {})",
                        sql.bind(value.clone())
                    ))
                }
                Erasure::KeyedHash => {
                    let column = self.column(&f.name);
                    Some(format!("({column} IS NULL OR {})", self.hashed(&column)))
                }
                _ => None,
            })
            .collect();
        Some(format!("NOT ({})", erased.join(" AND ")))
    }

    /// Whether `column` holds a keyed hash as `apply` writes it: 64 lower-case hexadecimal
    /// characters (`KeyedHasher::is_hashed`).
    fn hashed(&self, column: &str) -> String {
        match self.kind {
            DatabaseKind::Postgres => format!("CAST({column} AS TEXT) ~ '^[0-9a-f]{{64}}$'"),
            // `(?-i)`: case-sensitive whatever the column's collation.
            DatabaseKind::Mysql => format!("{column} REGEXP '(?-i)^[0-9a-f]{{64}}$'"),
            DatabaseKind::Sqlite => {
                format!("(length({column}) = 64 AND {column} NOT GLOB '*[^0-9a-f]*')")
            }
        }
    }

    /// The conditions of a row that the sweep deletes or masks now; `None` when none is.
    fn due(&self, sql: &mut Sql) -> Option<Vec<String>> {
        match self.rule.rows {
            RowAction::Delete => {
                let mut all = vec![self.before(sql, self.deletable()?)?];
                all.extend(self.unreferenced());
                Some(all)
            }
            RowAction::Mask => {
                let mut all = vec![self.before(sql, self.cutoff?.last_due)?];
                all.extend(self.unmasked(sql));
                Some(all)
            }
        }
    }

    /// The order due rows are taken in: oldest anchor first, then by primary key (so the
    /// anchor's index gives them in order).
    fn order(&self) -> String {
        format!("{}, {}", self.anchor_column(), self.key())
    }

    /// The primary key's columns, qualified, comma separated.
    fn key(&self) -> String {
        self.collection
            .primary_key
            .iter()
            .map(|k| self.column(k))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Due rows now (`plan`: those left as they are, too), held rows per hold, rows kept by
    /// references per foreign key.
    async fn counts(
        &self,
        database: &mut Database,
        due_too: bool,
    ) -> Result<(u64, Vec<Held>, Vec<Referenced>), sqlx::Error> {
        let mut due = 0;
        if due_too {
            let mut sql = Sql::new(self.kind);
            if let Some(conditions) = self.due(&mut sql) {
                let query = format!(
                    "SELECT COUNT(*) FROM {} WHERE {}",
                    self.table(),
                    conditions.join(" AND ")
                );
                due = count(database, query, sql.binds).await?;
            }
        }
        let mut held = Vec::new();
        for hold in &self.holds {
            let mut rows = 0;
            if let Some(cutoff) = self.cutoff
                && hold.ended_for.is_none_or(|ended| ended < cutoff.last_due)
            {
                let mut sql = Sql::new(self.kind);
                let mut conditions: Vec<String> =
                    self.before(&mut sql, cutoff.last_due).into_iter().collect();
                if let Some(ended) = hold.ended_for {
                    conditions.extend(self.after(&mut sql, ended));
                }
                let query = format!(
                    "SELECT COUNT(*) FROM {} WHERE {}",
                    self.table(),
                    conditions.join(" AND ")
                );
                rows = count(database, query, sql.binds).await?;
            }
            held.push(Held {
                hold: hold.hold.id.as_str().to_owned(),
                law: hold.hold.law.en.clone(),
                fields: hold.fields.clone(),
                rows,
                ended_for: hold.ended_for,
            });
        }
        let mut referenced = Vec::new();
        if self.rule.rows == RowAction::Delete
            && let Some(last) = self.deletable()
        {
            for r in &self.referrers {
                let mut sql = Sql::new(self.kind);
                let Some(before) = self.before(&mut sql, last) else {
                    continue;
                };
                let query = format!(
                    "SELECT COUNT(*) FROM {} WHERE {before} AND EXISTS ({})",
                    self.table(),
                    self.referring(r)
                );
                let rows = count(database, query, sql.binds).await?;
                if rows > 0 {
                    referenced.push(Referenced {
                        by: format!("{}({})", r.table.name, r.key.columns.join(", ")),
                        rows,
                    });
                }
            }
        }
        Ok((due, held, referenced))
    }

    /// Sweep the collection batch by batch.
    async fn sweep(
        &self,
        database: &mut Database,
        schema: &Schema,
        batch: usize,
        hasher: &KeyedHasher,
        done: &mut CollectionReceipt,
        progress: &mut Progress<'_>,
    ) -> Result<ControlFlow<()>, ConnectError> {
        let deleting = format!("deleting due rows of `{}`", self.collection.name);
        let plain = match self.mask {
            None => self
                .plain_table(database)
                .await
                .map_err(|e| write_error(database, &deleting, &e))?,
            Some(_) => false,
        };
        loop {
            let rows = match &self.mask {
                None => self
                    .delete_batch(database, batch, plain)
                    .await
                    .map_err(|e| write_error(database, &deleting, &e))?,
                Some((masked, _)) => {
                    self.mask_batch(database, schema, masked, batch, hasher)
                        .await?
                }
            };
            if rows == 0 {
                return Ok(ControlFlow::Continue(()));
            }
            done.batches += 1;
            match self.rule.rows {
                RowAction::Delete => done.deleted += rows,
                RowAction::Mask => done.masked += rows,
            }
            let seen = SweepProgress {
                collection: self.collection.name.clone(),
                batches: done.batches,
                rows: done.deleted + done.masked,
            };
            if progress(seen).await.is_break() {
                return Ok(ControlFlow::Break(()));
            }
            if rows < batch as u64 {
                return Ok(ControlFlow::Continue(()));
            }
        }
    }

    /// Delete up to `batch` due rows, oldest anchors first, in one statement (its own
    /// transaction); the number deleted.
    async fn delete_batch(
        &self,
        database: &mut Database,
        batch: usize,
        plain_table: bool,
    ) -> Result<u64, sqlx::Error> {
        let mut sql = Sql::new(self.kind);
        let Some(conditions) = self.due(&mut sql) else {
            return Ok(0);
        };
        let table = self.table();
        let key = self.key();
        let order = self.order();
        let conditions = conditions.join(" AND ");
        let statement = match self.kind {
            // MySQL cannot LIMIT a subquery of IN, but limits a DELETE itself.
            DatabaseKind::Mysql => {
                format!("DELETE FROM {table} WHERE {conditions} ORDER BY {order} LIMIT {batch}")
            }
            // The rows by their physical address: no index lookup per row. The conditions are
            // repeated outside, so that a row changed meanwhile (READ COMMITTED rechecks the
            // new version) is deleted only if it is still due. A partitioned table's addresses
            // repeat across partitions: its rows go by primary key.
            DatabaseKind::Postgres if plain_table => {
                let mut again = Sql::new(self.kind);
                again.binds = sql.binds.clone();
                let outer = self.due(&mut again).unwrap_or_default().join(" AND ");
                sql.binds = again.binds;
                format!(
                    "DELETE FROM {table} WHERE ctid = ANY(ARRAY(SELECT ctid FROM {table} WHERE {conditions} ORDER BY {order} LIMIT {batch})) AND {outer}"
                )
            }
            DatabaseKind::Postgres | DatabaseKind::Sqlite => {
                let mut again = Sql::new(self.kind);
                again.binds = sql.binds.clone();
                let outer = self.due(&mut again).unwrap_or_default().join(" AND ");
                sql.binds = again.binds;
                format!(
                    "DELETE FROM {table} WHERE ({key}) IN (SELECT {key} FROM {table} WHERE {conditions} ORDER BY {order} LIMIT {batch}) AND {outer}"
                )
            }
        };
        affected(database, statement, sql.binds).await
    }

    /// Whether the table is a plain PostgreSQL table (not partitioned), whose rows a physical
    /// address (`ctid`) names uniquely.
    async fn plain_table(&self, database: &mut Database) -> Result<bool, sqlx::Error> {
        let Database::Postgres(conn) = database else {
            return Ok(false);
        };
        let kind: Option<String> = sqlx::query_scalar(
            "SELECT c.relkind::text FROM pg_catalog.pg_class c WHERE c.oid = to_regclass($1)",
        )
        .bind(self.table())
        .fetch_optional(conn)
        .await?;
        Ok(kind.as_deref() == Some("r"))
    }

    /// Mask up to `batch` due rows, oldest anchors first, in one write transaction: select their
    /// keys, then [`apply`] the collection's strategies (held fields kept). The number masked.
    async fn mask_batch(
        &self,
        database: &mut Database,
        schema: &Schema,
        masked: &Collection,
        batch: usize,
        hasher: &KeyedHasher,
    ) -> Result<u64, ConnectError> {
        let mut sql = Sql::new(self.kind);
        let Some(conditions) = self.due(&mut sql) else {
            return Ok(0);
        };
        let text = match self.kind {
            DatabaseKind::Mysql => "CHAR",
            DatabaseKind::Postgres | DatabaseKind::Sqlite => "TEXT",
        };
        let selected: Vec<String> = self
            .collection
            .primary_key
            .iter()
            .map(|k| format!("CAST({} AS {text})", self.column(k)))
            .collect();
        let query = format!(
            "SELECT {} FROM {} WHERE {} ORDER BY {} LIMIT {batch}",
            selected.join(", "),
            self.table(),
            conditions.join(" AND "),
            self.order()
        );
        database.begin_write().await?;
        let outcome = async {
            let keys = texts(database, query, sql.binds).await.map_err(|e| {
                let doing = format!("selecting due rows of `{}`", self.collection.name);
                write_error(database, &doing, &e)
            })?;
            if keys.is_empty() {
                return Ok(0);
            }
            let applied = apply(database, masked, schema, &keys, hasher).await?;
            if applied.updated == 0 {
                // Rows selected as due that `apply` finds already masked would be selected
                // again and again: stop instead of looping.
                let doing = format!("masking due rows of `{}`", self.collection.name);
                let e = sqlx::Error::Configuration(
                    "the rows selected as due were already masked".into(),
                );
                return Err(write_error(database, &doing, &e));
            }
            Ok(applied.updated)
        }
        .await;
        match outcome {
            Ok(rows) => {
                database.commit().await?;
                Ok(rows)
            }
            Err(error) => {
                // The batch's error is the one to report; a failed rollback changes nothing
                // that was committed.
                let _ = database.rollback().await;
                Err(error)
            }
        }
    }
}

/// Run `query` with `binds` (all text) and read one count.
async fn count(
    database: &mut Database,
    query: String,
    binds: Vec<String>,
) -> Result<u64, sqlx::Error> {
    let query = sqlx::AssertSqlSafe(query);
    let n: i64 = match database {
        Database::Postgres(conn) => {
            let mut q = sqlx::query_scalar(query)
                // Planned with the cutoff each time: a generic plan guesses the share of due
                // rows and may scan the whole table for every batch.
                .persistent(false);
            for b in binds {
                q = q.bind(b);
            }
            q.fetch_one(conn).await?
        }
        Database::Mysql(conn) => {
            let mut q = sqlx::query_scalar(query);
            for b in binds {
                q = q.bind(b);
            }
            q.fetch_one(conn).await?
        }
        Database::Sqlite(conn) => {
            let mut q = sqlx::query_scalar(query);
            for b in binds {
                q = q.bind(b);
            }
            q.fetch_one(conn).await?
        }
    };
    Ok(u64::try_from(n).unwrap_or(0))
}

/// Run `query` with `binds` (all text) and read every row's columns as text; a row with a
/// NULL column is left out (a key with a NULL cannot be addressed).
async fn texts(
    database: &mut Database,
    query: String,
    binds: Vec<String>,
) -> Result<Vec<Vec<String>>, sqlx::Error> {
    let query = sqlx::AssertSqlSafe(query);
    let rows = match database {
        Database::Postgres(conn) => {
            let mut q = sqlx::query(query)
                // Planned with the cutoff each time: a generic plan guesses the share of due
                // rows and may scan the whole table for every batch.
                .persistent(false);
            for b in binds {
                q = q.bind(b);
            }
            crate::access::texts(q.fetch_all(conn).await?)?
        }
        Database::Mysql(conn) => {
            let mut q = sqlx::query(query);
            for b in binds {
                q = q.bind(b);
            }
            crate::access::texts(q.fetch_all(conn).await?)?
        }
        Database::Sqlite(conn) => {
            let mut q = sqlx::query(query);
            for b in binds {
                q = q.bind(b);
            }
            crate::access::texts(q.fetch_all(conn).await?)?
        }
    };
    Ok(rows
        .into_iter()
        .filter_map(|row| row.into_iter().map(|v| v.0).collect())
        .collect())
}

/// Run the statement `query` with `binds` (all text); the rows it changed.
async fn affected(
    database: &mut Database,
    query: String,
    binds: Vec<String>,
) -> Result<u64, sqlx::Error> {
    let query = sqlx::AssertSqlSafe(query);
    Ok(match database {
        Database::Postgres(conn) => {
            let mut q = sqlx::query(query)
                // Planned with the cutoff each time: a generic plan guesses the share of due
                // rows and may scan the whole table for every batch.
                .persistent(false);
            for b in binds {
                q = q.bind(b);
            }
            q.execute(conn).await?.rows_affected()
        }
        Database::Mysql(conn) => {
            let mut q = sqlx::query(query);
            for b in binds {
                q = q.bind(b);
            }
            q.execute(conn).await?.rows_affected()
        }
        Database::Sqlite(conn) => {
            let mut q = sqlx::query(query);
            for b in binds {
                q = q.bind(b);
            }
            q.execute(conn).await?.rows_affected()
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use skydd_register::model::{Anchor, EventId};
    use skydd_register::period::{CalendarRounding, Period, PeriodUnit};

    fn clock(amount: u32, unit: PeriodUnit, round: Option<CalendarRounding>) -> RetentionClock {
        RetentionClock {
            anchor: Anchor::After(EventId("collected_at".into())),
            period: Period::new(amount, unit),
            round_up_to: round,
        }
    }

    /// `last_due` agrees with `expires_on` on every anchor date around it.
    fn agrees(clock: &RetentionClock, today: Date) {
        let last = last_due(clock, today);
        let mut day = today.checked_sub(Span::new().days(4000)).unwrap();
        while day <= today {
            let due = clock.expires_on(day).unwrap() < today;
            assert_eq!(
                due,
                last.is_some_and(|l| day <= l),
                "{day} with {clock:?} on {today}"
            );
            day = day.tomorrow().unwrap();
        }
    }

    #[test]
    fn a_month_from_the_end_of_january_ends_on_the_last_of_february() {
        let month = clock(1, PeriodUnit::Month, None);
        // 29, 30 and 31 January 2024 all expire on 29 February (a leap year): gone from 1 March.
        assert_eq!(last_due(&month, date(2024, 3, 1)), Some(date(2024, 1, 31)));
        // On 29 February itself only anchors up to the 28th expired (on the 28th).
        assert_eq!(last_due(&month, date(2024, 2, 29)), Some(date(2024, 1, 28)));
        // In a common year the 28th of February takes the 29th to the 31st of January.
        assert_eq!(last_due(&month, date(2025, 3, 1)), Some(date(2025, 1, 31)));
        assert_eq!(last_due(&month, date(2025, 2, 28)), Some(date(2025, 1, 27)));
        for today in [
            date(2024, 3, 1),
            date(2024, 2, 29),
            date(2025, 3, 1),
            date(2024, 5, 1),
        ] {
            agrees(&month, today);
        }
    }

    #[test]
    fn a_year_from_a_leap_day_ends_on_the_28th_of_february() {
        let year = clock(1, PeriodUnit::Year, None);
        // 29 February 2024 + 1 year = 28 February 2025: due on 1 March 2025 together with the
        // 28th of February 2024.
        assert_eq!(last_due(&year, date(2025, 3, 1)), Some(date(2024, 2, 29)));
        assert_eq!(last_due(&year, date(2025, 2, 28)), Some(date(2024, 2, 27)));
        agrees(&year, date(2025, 3, 1));
        agrees(&year, date(2028, 3, 1));
    }

    #[test]
    fn rounding_to_the_end_of_the_year_holds_a_whole_year_back() {
        // The bookkeeping hold: 7 years after the anchor, to the end of that year.
        let hold = clock(7, PeriodUnit::Year, Some(CalendarRounding::EndOfYear));
        // On 31 December 2026 nothing anchored in 2019 has ended; on 1 January 2027 all of it.
        assert_eq!(
            last_due(&hold, date(2026, 12, 31)),
            Some(date(2018, 12, 31))
        );
        assert_eq!(last_due(&hold, date(2027, 1, 1)), Some(date(2019, 12, 31)));
        agrees(&hold, date(2027, 1, 1));
        agrees(&hold, date(2026, 6, 15));
        let monthly = clock(13, PeriodUnit::Month, Some(CalendarRounding::EndOfMonth));
        assert_eq!(
            last_due(&monthly, date(2026, 3, 1)),
            Some(date(2025, 1, 31))
        );
        agrees(&monthly, date(2026, 3, 1));
    }

    #[test]
    fn zero_days_are_due_the_next_day() {
        let none = clock(0, PeriodUnit::Day, None);
        assert_eq!(last_due(&none, date(2026, 12, 6)), Some(date(2026, 12, 5)));
        agrees(&none, date(2026, 12, 6));
    }

    #[test]
    fn the_cutoff_is_midnight_in_stockholm() {
        // Winter: midnight in Stockholm is 23:00 UTC the day before.
        let winter = cutoff(date(2026, 1, 14)).unwrap();
        assert_eq!(winter.before.to_string(), "2026-01-14T23:00:00Z");
        // Summer: 22:00 UTC.
        let summer = cutoff(date(2026, 7, 1)).unwrap();
        assert_eq!(summer.before.to_string(), "2026-07-01T22:00:00Z");
        // The last day of the year.
        let year = cutoff(date(2026, 12, 31)).unwrap();
        assert_eq!(year.before.to_string(), "2026-12-31T23:00:00Z");
    }

    #[test]
    fn anchor_types_are_dates_and_times_only() {
        use DatabaseKind::*;
        assert_eq!(anchor_type(Postgres, "date"), Some(AnchorType::Date));
        assert_eq!(
            anchor_type(Postgres, "timestamp without time zone"),
            Some(AnchorType::Naive)
        );
        assert_eq!(
            anchor_type(Postgres, "timestamp with time zone"),
            Some(AnchorType::Instant)
        );
        assert_eq!(anchor_type(Postgres, "text"), None);
        assert_eq!(anchor_type(Mysql, "datetime"), Some(AnchorType::Naive));
        assert_eq!(
            anchor_type(Mysql, "timestamp"),
            Some(AnchorType::MysqlTimestamp)
        );
        assert_eq!(anchor_type(Mysql, "int"), None);
        assert_eq!(anchor_type(Sqlite, "timestamp"), Some(AnchorType::Naive));
        assert_eq!(anchor_type(Sqlite, "date"), Some(AnchorType::Date));
        assert_eq!(anchor_type(Sqlite, "integer"), None);
    }

    fn dataset(yaml: &str) -> Dataset {
        let checked = skydd_dataset::check(yaml, None);
        assert!(!checked.has_errors(), "{:#?}", checked.diagnostics);
        checked.dataset.unwrap()
    }

    fn names(order: &[(&Collection, &Retention)]) -> Vec<String> {
        order.iter().map(|(c, _)| c.name.clone()).collect()
    }

    const ORDERED: &str = "skydd_dataset: 1
name: shop
kind: sqlite
connection: {env: SHOP_URL}
collections:
  - name: a
    primary_key: id
    retention: {anchor: at, rule: r}
    erase_after: [b]
    fields:
      - {name: id, category: c, identity: email, erase: keep}
      - name: at
  - name: b
    primary_key: id
    retention: {anchor: at, rule: r}
    erase_after: [c]
    fields:
      - {name: id, category: c, identity: email, erase: keep}
      - name: at
  - name: c
    primary_key: id
    retention: {anchor: at, rule: r}
    fields:
      - {name: id, category: c, identity: email, erase: keep}
      - name: at
  - name: untimed
    primary_key: id
    fields:
      - {name: id, category: c, identity: email, erase: keep}
";

    /// A schema of tables `a`, `b`, `c`, with foreign keys `(from, to)`.
    fn schema(keys: &[(&str, &str)]) -> Schema {
        let tables = ["a", "b", "c"]
            .iter()
            .map(|name| Table {
                schema: "main".into(),
                name: (*name).into(),
                foreign_keys: keys
                    .iter()
                    .filter(|(from, _)| from == name)
                    .map(|(_, to)| ForeignKey {
                        name: format!("{name}_{to}"),
                        columns: vec!["id".into()],
                        referenced_schema: "main".into(),
                        referenced_table: (*to).into(),
                        referenced_columns: vec!["id".into()],
                    })
                    .collect(),
                ..Table::default()
            })
            .collect();
        Schema {
            default_schema: "main".into(),
            tables,
        }
    }

    #[test]
    fn erase_after_and_foreign_keys_order_the_sweep_and_circles_keep_the_files_order() {
        let ordered = dataset(ORDERED);
        assert_eq!(names(&order(&ordered, &schema(&[]))), ["c", "b", "a"]);
        let free = dataset(
            &ORDERED
                .replace("    erase_after: [b]\n", "")
                .replace("    erase_after: [c]\n", ""),
        );
        assert_eq!(names(&order(&free, &schema(&[]))), ["a", "b", "c"]);
        // A table that refers to another is swept first.
        assert_eq!(
            names(&order(&free, &schema(&[("c", "a")]))),
            ["b", "c", "a"]
        );
        // Foreign keys in a circle: what is free goes first, then the circle in the file's order
        // (a row still referred to is then left and counted, never failed).
        let circle = schema(&[("a", "b"), ("b", "a")]);
        assert_eq!(names(&order(&free, &circle)), ["c", "a", "b"]);
    }
}
