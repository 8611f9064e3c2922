//! Access through the graph (issue 16, part 3): the rows of one connected database that a
//! subject's identities reach, found by following the dataset's identity fields and references
//! inside one read-only transaction, with only declared fields returned.
//!
//! The traversal runs breadth first to a fixed point: every identity value looks up the
//! collections whose fields hold that kind of identity; every row found passes its values on
//! along its fields' references (`to`: this column's values find rows of the referenced
//! collection; `from`: the referenced column's values find rows of this one) and, when a field
//! holds an identity, that value becomes a new identity of its kind. A value is looked up in a
//! column once and a row is kept once, so cycles in the references end.
//!
//! SQL is built only from the checked dataset's identifiers, quoted per dialect; every value is
//! a bound parameter, in `IN` lists of at most [`BATCH`] values. Values are read as text.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt;

use skydd_dataset::{Collection, DatabaseKind, Dataset, Direction};
use skydd_register::model::{CategoryId, Choice as _};
use skydd_subject::{Identity, IdentityKind};

use crate::mention;
use crate::{ConnectError, Database};

/// The most values bound in one `IN` list.
pub const BATCH: usize = 500;

/// What one database holds about a subject: per collection reached, the rows and how they were
/// reached. `Debug` shows names, categories and counts, never a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessFindings {
    /// The dataset's name: the system the rows come from.
    pub system: String,
    /// The collections that returned rows, in the dataset's order (reach-only collections,
    /// which are read but never returned, are left out).
    pub collections: Vec<CollectionFindings>,
}

impl AccessFindings {
    /// The findings of the collection called `name`, if it returned any row.
    pub fn collection(&self, name: &str) -> Option<&CollectionFindings> {
        self.collections.iter().find(|c| c.collection == name)
    }
}

/// The rows one collection returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CollectionFindings {
    /// The collection's (table's) name.
    pub collection: String,
    /// Each way rows of this collection were found: `identity email → visit.email` for a
    /// lookup by identity, `customer.id → orders.customer_id` for a reference followed.
    pub reached_by: BTreeSet<String>,
    /// The rows, ordered by primary key.
    pub rows: Vec<FoundRow>,
}

/// One row: its primary key and the declared fields that hold personal data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundRow {
    /// The primary key's columns and values, in key order (a key may be personal data too).
    pub key: Vec<(String, Value)>,
    /// The declared fields with a data category, in the dataset's order.
    pub fields: Vec<FoundField>,
    /// Found only because its free text mentions the subject (filed under someone else): it
    /// carries only those fields, and is not data the subject provided (Art. 20).
    pub mentioned: bool,
}

impl FoundRow {
    /// The value of the key column `name`, as text (`None`: SQL NULL or no such column).
    pub fn key_value(&self, name: &str) -> Option<&str> {
        self.key
            .iter()
            .find(|(column, _)| column == name)
            .and_then(|(_, value)| value.expose())
    }
}

/// A declared field's value, labelled with its register category.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundField {
    /// The column's name.
    pub name: String,
    /// The register's data category the dataset gives the column.
    pub category: CategoryId,
    /// The value, as text.
    pub value: Value,
}

/// A value read from a connected database, as the database renders it as text; personal data,
/// so `Debug` shows only whether it is NULL.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Value(pub(crate) Option<String>);

impl Value {
    /// The value as text, `None` for SQL NULL: for the Art. 15 package only. Never log it.
    pub fn expose(&self) -> Option<&str> {
        self.0.as_deref()
    }
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(_) => f.write_str("<redacted>"),
            None => f.write_str("NULL"),
        }
    }
}

/// Read everything `identities` reach in `database`, as `dataset` describes it, in one
/// read-only transaction (one snapshot): `REPEATABLE READ READ ONLY` on PostgreSQL,
/// `START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY` on MySQL, a read transaction on a
/// connection opened read-only on SQLite. Collections marked `unreachable` are never read.
///
/// Errors name the collection and the SQLSTATE, never a value or the driver's message (which
/// may quote one).
pub async fn collect(
    database: &mut Database,
    dataset: &Dataset,
    identities: &[Identity],
) -> Result<AccessFindings, ConnectError> {
    begin_read(database).await?;
    let outcome = traverse(database, dataset, identities, None).await;
    end_read(database, outcome).await
}

/// [`collect`] for an access package (Art. 15): also the rows the identities do not reach but
/// whose `free_text` columns mention one of them (a ticket filed under another customer that
/// gives the person's e-mail address, phone number or personnummer; issue 21), found by reading
/// those columns in the same transaction and scanning them with `skydd-pii` (`today` decides a
/// 10-digit personnummer's century). Such a row comes with only the free-text fields that
/// mention the person, everyone else's findings there masked. It reads whole columns, so it is
/// for an access request, not for a look-up.
pub async fn collect_with_mentions(
    database: &mut Database,
    dataset: &Dataset,
    identities: &[Identity],
    today: jiff::civil::Date,
) -> Result<AccessFindings, ConnectError> {
    begin_read(database).await?;
    let outcome = traverse(database, dataset, identities, Some(today)).await;
    end_read(database, outcome).await
}

/// Begin the read-only transaction every read runs in (see [`collect`]).
pub(crate) async fn begin_read(database: &mut Database) -> Result<(), ConnectError> {
    let begin = match database {
        Database::Postgres(_) => "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
        Database::Mysql(_) => "START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY",
        Database::Sqlite(_) => "BEGIN",
    };
    database
        .run(begin)
        .await
        .map_err(|e| read_error(database, "beginning the read-only transaction", &e))
}

/// End the read-only transaction, passing `outcome` on (its error first).
pub(crate) async fn end_read<T>(
    database: &mut Database,
    outcome: Result<T, ConnectError>,
) -> Result<T, ConnectError> {
    let ended = database.run("ROLLBACK").await;
    let value = outcome?;
    ended.map_err(|e| read_error(database, "ending the read-only transaction", &e))?;
    Ok(value)
}

/// A column of a collection, by their indexes in the dataset.
pub(crate) type Column = (usize, usize);

/// The traversal's state.
struct Walk<'d> {
    dataset: &'d Dataset,
    /// Values waiting to be looked up per column, with the step that produced them.
    pending: BTreeMap<Column, (Vec<String>, BTreeSet<String>)>,
    /// Values already looked up (or queued) per column: the visited set that ends cycles.
    looked_up: HashSet<(Column, String)>,
    /// Identities known so far.
    identities: HashSet<(IdentityKind, String)>,
    /// Rows kept per collection, by primary key.
    rows: Vec<BTreeMap<Vec<Value>, Vec<Value>>>,
    /// How each collection was reached.
    reached_by: Vec<BTreeSet<String>>,
    /// Column types looked up so far (see [`column_type`]).
    types: HashMap<Column, String>,
}

impl Walk<'_> {
    fn queue(&mut self, column: Column, value: &str, step: String) {
        if self.looked_up.insert((column, value.to_owned())) {
            let entry = self.pending.entry(column).or_default();
            entry.0.push(value.to_owned());
            entry.1.insert(step);
        }
    }

    /// Queue `value` of `kind` against every identity field of that kind, once per identity.
    fn identity(&mut self, kind: IdentityKind, value: &str, step: &str) {
        if !self.identities.insert((kind, value.to_owned())) {
            return;
        }
        let dataset = self.dataset;
        for (c, collection) in readable(dataset) {
            for (f, field) in collection.fields.iter().enumerate() {
                if field.identity == Some(kind) {
                    let target = format!("{step} → {}.{}", collection.name, field.name);
                    self.queue((c, f), value, target);
                }
            }
        }
    }

    /// Pass the values of a newly found row of collection `c` on along references and
    /// identity fields.
    fn spread(&mut self, c: usize, values: &[Value]) {
        let dataset = self.dataset;
        let collection = &dataset.collections[c];
        for (f, field) in collection.fields.iter().enumerate() {
            let Some(value) = values.get(f).and_then(Value::expose) else {
                continue;
            };
            let from = format!("{}.{}", collection.name, field.name);
            if let Some(kind) = field.identity {
                self.identity(
                    kind,
                    value,
                    &format!("identity {} in {from}", kind.as_str()),
                );
            }
            for reference in &field.references {
                if reference.direction == Direction::To
                    && let Some(target) = column(dataset, &reference.field)
                {
                    self.queue(target, value, format!("{from} → {}", reference.field));
                }
            }
            for (c2, other) in readable(dataset) {
                for (f2, field2) in other.fields.iter().enumerate() {
                    let back = field2.references.iter().any(|r| {
                        r.direction == Direction::From
                            && r.field.collection == collection.name
                            && r.field.field == field.name
                    });
                    if back {
                        let step = format!("{from} → {}.{}", other.name, field2.name);
                        self.queue((c2, f2), value, step);
                    }
                }
            }
        }
    }
}

/// The collections requests may read, with their indexes.
pub(crate) fn readable(dataset: &Dataset) -> impl Iterator<Item = (usize, &Collection)> {
    dataset
        .collections
        .iter()
        .enumerate()
        .filter(|(_, c)| c.unreachable.is_none())
}

/// The column a reference names, unless its collection is unreachable.
fn column(dataset: &Dataset, path: &skydd_dataset::FieldPath) -> Option<Column> {
    readable(dataset).find_map(|(c, collection)| {
        (collection.name == path.collection)
            .then(|| collection.fields.iter().position(|f| f.name == path.field))
            .flatten()
            .map(|f| (c, f))
    })
}

/// What a traversal reached, per collection (by index in the dataset): the rows by primary
/// key with every declared field's value (in the dataset's field order), and how the
/// collection was reached. Reach-only collections are included; unreachable ones are empty.
pub(crate) struct Reached {
    /// Rows per collection: primary key values -> declared field values.
    pub(crate) rows: Vec<BTreeMap<Vec<Value>, Vec<Value>>>,
    /// The steps that reached each collection.
    pub(crate) reached_by: Vec<BTreeSet<String>>,
}

async fn traverse(
    database: &mut Database,
    dataset: &Dataset,
    identities: &[Identity],
    mentions_on: Option<jiff::civil::Date>,
) -> Result<AccessFindings, ConnectError> {
    let mut walk = reach(database, dataset, identities).await?;
    let mentioned = match mentions_on {
        Some(today) => mentioned(database, dataset, identities, today, &walk).await?,
        None => Vec::new(),
    };
    let mut collections = Vec::new();
    for (c, collection) in dataset.collections.iter().enumerate() {
        if collection.reach_only || walk.rows[c].is_empty() {
            continue;
        }
        let rows = std::mem::take(&mut walk.rows[c])
            .into_iter()
            .map(|(key, values)| FoundRow {
                mentioned: false,
                key: collection.primary_key.iter().cloned().zip(key).collect(),
                fields: collection
                    .fields
                    .iter()
                    .zip(values)
                    .filter_map(|(field, value)| {
                        field.category.clone().map(|category| FoundField {
                            name: field.name.clone(),
                            category,
                            value,
                        })
                    })
                    .collect(),
            })
            .collect();
        collections.push(CollectionFindings {
            collection: collection.name.clone(),
            reached_by: std::mem::take(&mut walk.reached_by[c]),
            rows,
        });
    }
    for found in mentioned {
        match collections
            .iter_mut()
            .find(|c| c.collection == found.collection)
        {
            Some(existing) => {
                existing.reached_by.extend(found.reached_by);
                existing.rows.extend(found.rows);
            }
            None => collections.push(found),
        }
    }
    Ok(AccessFindings {
        system: dataset.name.clone(),
        collections,
    })
}

/// The rows of readable collections with `free_text` fields that `walk` did not reach but
/// whose free text mentions one of `identities`, each with only the fields that do, everyone
/// else's findings masked (Art. 15(4)). One streamed read of those columns per collection,
/// inside the caller's read-only transaction ([`mention::scan_dataset`]).
async fn mentioned(
    database: &mut Database,
    dataset: &Dataset,
    identities: &[Identity],
    today: jiff::civil::Date,
    walk: &Reached,
) -> Result<Vec<CollectionFindings>, ConnectError> {
    let scanned = mention::mentioning(database, dataset, identities, today).await?;
    let mut out = Vec::new();
    for (c, rows) in scanned {
        let collection = &dataset.collections[c];
        let mut found = CollectionFindings {
            collection: collection.name.clone(),
            reached_by: BTreeSet::new(),
            rows: Vec::new(),
        };
        for row in rows {
            if walk.rows[c].contains_key(&row.key) {
                continue;
            }
            let mut fields = Vec::new();
            for mentioned in row.fields {
                let field = &collection.fields[mentioned.field];
                let Some(category) = &field.category else {
                    continue;
                };
                found
                    .reached_by
                    .insert(format!("mentioned in {}.{}", collection.name, field.name));
                fields.push(FoundField {
                    name: field.name.clone(),
                    category: category.clone(),
                    value: Value(Some(skydd_pii::redact(
                        &mentioned.text,
                        &mentioned.others,
                        skydd_pii::Style::Mask,
                    ))),
                });
            }
            found.rows.push(FoundRow {
                mentioned: true,
                key: collection
                    .primary_key
                    .iter()
                    .cloned()
                    .zip(row.key)
                    .collect(),
                fields,
            });
        }
        if !found.rows.is_empty() {
            out.push(found);
        }
    }
    Ok(out)
}

/// Follow `identities` through `dataset` to a fixed point inside the caller's transaction (see
/// the module documentation): the traversal access, erasure and rectification share.
pub(crate) async fn reach(
    database: &mut Database,
    dataset: &Dataset,
    identities: &[Identity],
) -> Result<Reached, ConnectError> {
    let mut walk = Walk {
        dataset,
        pending: BTreeMap::new(),
        looked_up: HashSet::new(),
        identities: HashSet::new(),
        rows: vec![BTreeMap::new(); dataset.collections.len()],
        reached_by: vec![BTreeSet::new(); dataset.collections.len()],
        types: HashMap::new(),
    };
    for identity in identities {
        let kind = identity.kind();
        walk.identity(
            kind,
            identity.expose(),
            &format!("identity {}", kind.as_str()),
        );
    }
    while !walk.pending.is_empty() {
        let level = std::mem::take(&mut walk.pending);
        for ((c, f), (values, steps)) in level {
            let collection = &dataset.collections[c];
            walk.reached_by[c].extend(steps);
            for batch in values.chunks(BATCH) {
                let rows = select(database, &mut walk.types, dataset, (c, f), batch)
                    .await
                    .map_err(|e| {
                        read_error(database, &format!("reading `{}`", collection.name), &e)
                    })?;
                for values in rows {
                    let key = row_key(collection, &values);
                    if walk.rows[c].contains_key(&key) {
                        continue;
                    }
                    walk.spread(c, &values);
                    walk.rows[c].insert(key, values);
                }
            }
        }
    }
    Ok(Reached {
        rows: walk.rows,
        reached_by: walk.reached_by,
    })
}

/// `name` quoted as an identifier of the database's dialect.
pub(crate) fn quote(kind: DatabaseKind, name: &str) -> String {
    match kind {
        DatabaseKind::Mysql => format!("`{}`", name.replace('`', "``")),
        DatabaseKind::Postgres | DatabaseKind::Sqlite => {
            format!("\"{}\"", name.replace('"', "\"\""))
        }
    }
}

/// The collection's table, qualified by its schema when it has one.
pub(crate) fn table(kind: DatabaseKind, collection: &Collection) -> String {
    match &collection.schema {
        Some(schema) => format!("{}.{}", quote(kind, schema), quote(kind, &collection.name)),
        None => quote(kind, &collection.name),
    }
}

/// The declared fields of the rows of column `at` whose value is one of `values`, as text.
pub(crate) async fn select(
    database: &mut Database,
    types: &mut HashMap<Column, String>,
    dataset: &Dataset,
    at: Column,
    values: &[String],
) -> Result<Vec<Vec<Value>>, sqlx::Error> {
    let collection = &dataset.collections[at.0];
    let selected = declared_as_text(database.kind(), collection);
    let sql_type = match types.get(&at) {
        Some(sql_type) => sql_type.clone(),
        None => {
            let sql_type = column_type(database, collection, &collection.fields[at.1].name).await?;
            types.insert(at, sql_type.clone());
            sql_type
        }
    };
    // An integer column is matched only by an integer in canonical form: MySQL would compare
    // `'1abc'` or `'01'` as 1 (another subject's row), PostgreSQL would refuse the cast.
    let values: Vec<&String> = if is_integer(&sql_type) {
        values
            .iter()
            .filter(|v| v.parse::<i64>().is_ok_and(|n| n.to_string() == **v))
            .collect()
    } else {
        values.iter().collect()
    };
    if values.is_empty() {
        return Ok(Vec::new());
    }
    let placeholders: Vec<String> = match database {
        Database::Postgres(_) => (1..=values.len())
            .map(|n| format!("CAST(${n} AS {sql_type})"))
            .collect(),
        Database::Mysql(_) | Database::Sqlite(_) => vec!["?".to_owned(); values.len()],
    };
    let sql = format!(
        "SELECT {} FROM {} WHERE {} IN ({})",
        selected.join(", "),
        table(database.kind(), collection),
        quote(database.kind(), &collection.fields[at.1].name),
        placeholders.join(", ")
    );
    let sql = sqlx::AssertSqlSafe(sql);
    Ok(match database {
        Database::Postgres(conn) => {
            let mut query = sqlx::query(sql);
            for value in values {
                query = query.bind((*value).clone());
            }
            texts(query.fetch_all(conn).await?)?
        }
        Database::Mysql(conn) => {
            let mut query = sqlx::query(sql);
            for value in values {
                query = query.bind((*value).clone());
            }
            texts(query.fetch_all(conn).await?)?
        }
        Database::Sqlite(conn) => {
            let mut query = sqlx::query(sql);
            for value in values {
                query = query.bind((*value).clone());
            }
            texts(query.fetch_all(conn).await?)?
        }
    })
}

/// The primary key's values of a row read with [`declared_as_text`] (NULL for a key column
/// the dataset does not declare).
fn row_key(collection: &Collection, values: &[Value]) -> Vec<Value> {
    collection
        .primary_key
        .iter()
        .map(|k| {
            let at = collection.fields.iter().position(|f| &f.name == k);
            at.and_then(|at| values.get(at).cloned())
                .unwrap_or(Value(None))
        })
        .collect()
}

/// Every declared field of `collection`, cast to text in the dialect of `kind`, in the
/// dataset's order: the select list of every read.
fn declared_as_text(kind: DatabaseKind, collection: &Collection) -> Vec<String> {
    let text = match kind {
        DatabaseKind::Mysql => "CHAR",
        DatabaseKind::Postgres | DatabaseKind::Sqlite => "TEXT",
    };
    collection
        .fields
        .iter()
        .map(|f| format!("CAST({} AS {text})", quote(kind, &f.name)))
        .collect()
}

/// Every column of every row as text (or NULL).
pub(crate) fn texts<R>(rows: Vec<R>) -> Result<Vec<Vec<Value>>, sqlx::Error>
where
    R: sqlx::Row,
    for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    usize: sqlx::ColumnIndex<R>,
{
    rows.iter().map(text_row).collect()
}

/// Every column of one row as text (or NULL).
pub(crate) fn text_row<R>(row: &R) -> Result<Vec<Value>, sqlx::Error>
where
    R: sqlx::Row,
    for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    usize: sqlx::ColumnIndex<R>,
{
    (0..row.len())
        .map(|i| row.try_get::<Option<String>, _>(i).map(Value))
        .collect()
}

/// Whether a column type (as [`column_type`] gives it) holds integers only.
pub(crate) fn is_integer(sql_type: &str) -> bool {
    matches!(
        sql_type,
        "smallint" | "integer" | "bigint" | "tinyint" | "mediumint" | "int"
    )
}

/// The column's type, lower case, without modifiers (`character varying`, not
/// `character varying(100)`, so a longer bound value is never cut to fit and matched): on
/// PostgreSQL to cast bound text to it, everywhere to know an integer column (`integer` for
/// SQLite's integer affinity, which reads `'01'` as 1). `""` when MySQL's catalog does not say.
pub(crate) async fn column_type(
    database: &mut Database,
    collection: &Collection,
    field: &str,
) -> Result<String, sqlx::Error> {
    let missing = || {
        sqlx::Error::Configuration(
            format!(
                "no column `{field}` in `{}`: run `skydd dataset check --connect`",
                collection.name
            )
            .into(),
        )
    };
    match database {
        Database::Postgres(conn) => {
            let relation = table(DatabaseKind::Postgres, collection);
            let found: Option<String> = sqlx::query_scalar(
                "SELECT format_type(a.atttypid, NULL) FROM pg_catalog.pg_attribute a
                 WHERE a.attrelid = to_regclass($1) AND a.attname = $2 AND NOT a.attisdropped",
            )
            .bind(relation)
            .bind(field)
            .fetch_optional(&mut *conn)
            .await?;
            found.ok_or_else(missing)
        }
        Database::Mysql(conn) => {
            let found: Option<String> = sqlx::query_scalar(
                "SELECT CAST(LOWER(data_type) AS CHAR) FROM information_schema.columns
                 WHERE table_schema = COALESCE(?, DATABASE()) AND table_name = ? AND column_name = ?",
            )
            .bind(collection.schema.clone())
            .bind(&collection.name)
            .bind(field)
            .fetch_optional(&mut *conn)
            .await?;
            // MariaDB leaves out the columns of a view it cannot open in this transaction;
            // the read of the view then fails and says why.
            Ok(found.unwrap_or_default())
        }
        Database::Sqlite(conn) => {
            let found: Option<String> =
                sqlx::query_scalar("SELECT type FROM pragma_table_info($1) WHERE name = $2")
                    .bind(&collection.name)
                    .bind(field)
                    .fetch_optional(&mut *conn)
                    .await?;
            let declared = found.ok_or_else(missing)?.to_ascii_lowercase();
            // SQLite's rule: a declared type containing INT gives the column integer affinity.
            Ok(if declared.contains("int") {
                "integer".to_owned()
            } else {
                declared
            })
        }
    }
}

/// A read error that names what was being done and the SQLSTATE, but never the driver's
/// message, which may quote a value (`invalid input syntax for type integer: "..."`).
pub(crate) fn read_error(database: &Database, doing: &str, error: &sqlx::Error) -> ConnectError {
    ConnectError::Access {
        kind: database.kind().word(),
        reason: refused(doing, error),
    }
}

/// A write error, scrubbed as [`read_error`] is.
pub(crate) fn write_error(database: &Database, doing: &str, error: &sqlx::Error) -> ConnectError {
    ConnectError::Write {
        kind: database.kind().word(),
        reason: refused(doing, error),
    }
}

/// What was being done and the SQLSTATE, never the driver's message.
fn refused(doing: &str, error: &sqlx::Error) -> String {
    match error {
        sqlx::Error::Database(e) => match e.code() {
            Some(code) => format!("{doing}: the database refused (SQLSTATE {code})"),
            None => format!("{doing}: the database refused"),
        },
        sqlx::Error::Configuration(message) => format!("{doing}: {message}"),
        _ => format!("{doing}: the connection failed"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_quoted_per_dialect_with_quotes_doubled() {
        assert_eq!(quote(DatabaseKind::Postgres, "a\"b"), "\"a\"\"b\"");
        assert_eq!(quote(DatabaseKind::Sqlite, "order"), "\"order\"");
        assert_eq!(quote(DatabaseKind::Mysql, "a`b"), "`a``b`");
    }

    #[test]
    fn integer_types_are_those_of_the_three_catalogs() {
        for integer in [
            "smallint",
            "integer",
            "bigint",
            "tinyint",
            "mediumint",
            "int",
        ] {
            assert!(is_integer(integer), "{integer}");
        }
        for other in [
            "interval",
            "point",
            "character varying",
            "numeric",
            "text",
            "",
        ] {
            assert!(!is_integer(other), "{other}");
        }
    }

    #[test]
    fn a_value_never_shows_in_debug() {
        let row = FoundRow {
            key: vec![("id".into(), Value(Some("secret-key".into())))],
            fields: vec![],
            mentioned: false,
        };
        assert_eq!(format!("{:?}", Value(None)), "NULL");
        let shown = format!("{row:?}");
        assert!(
            !shown.contains("secret-key") && shown.contains("<redacted>"),
            "{shown}"
        );
    }
}
