//! The erasure primitive: apply one collection's `erase` strategies to rows given by primary
//! key, inside a write transaction the caller holds open (erasure, replay and retention sweeps
//! all write through it).
//!
//! How a caller uses it:
//!
//! 1. open the database with [`Database::connect_writable`] and read its [`Schema`] once;
//! 2. [`Database::begin_write`];
//! 3. call [`apply`] per collection with the primary keys of the rows to erase (as text, in
//!    the order of the collection's `primary_key`), children before parents when rows are
//!    deleted;
//! 4. [`Database::commit`], or [`Database::rollback`] on any error: nothing then stays.
//!
//! A collection with a `delete_row` field loses the whole row. Otherwise the current values of
//! the masked fields are read (`FOR UPDATE` on PostgreSQL and MySQL; SQLite's
//! `BEGIN IMMEDIATE` already holds the write lock) and every field not `keep` is set: `null`,
//! `{replace: V}`, `keyed_hash` (HMAC-SHA-256 under the caller's key, [`KEYED_HASH_CHARS`]
//! hexadecimal characters), `random` (a random value of the column's type). A field already
//! in its erased form (NULL, the replacement, a value in the hashed form) is left alone, so a
//! rerun or a replay writes nothing and counts the row as unchanged. Rows that need the same
//! assignments (only `null` and `replace`) share one UPDATE per batch; hashed and random values
//! differ per row, so such rows get one UPDATE each.
//!
//! Errors name the collection and the SQLSTATE, never a value.

use std::collections::BTreeMap;
use std::fmt;

use hmac::{Hmac, Mac as _};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use skydd_dataset::{Collection, DatabaseKind, Erasure};
use zeroize::{Zeroize as _, Zeroizing};

use crate::access::{BATCH, quote, table as relation, texts, write_error};
use crate::live::KEYED_HASH_CHARS;
use crate::schema::{Schema, Table};
use crate::{ConnectError, Database};

/// A row's primary key: the values of the collection's `primary_key` columns as text, in key
/// order (as [`crate::access`] reads them). Personal data: never log it.
pub type Key = Vec<String>;

/// Primary keys of rows written, for a receipt the caller stores encrypted; personal data, so
/// `Debug` shows only how many. Serialized as a list of keys.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Keys(pub Vec<Key>);

impl fmt::Debug for Keys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<{} keys>", self.0.len())
    }
}

/// HMAC-SHA-256 under a 32-byte key the caller keeps (in the vault's keyring, say): equal
/// values hash equal, so joins on a hashed column still work, but nobody without the key can
/// tell which value it was, or test a guess. `Debug` never shows the key.
pub struct KeyedHasher {
    key: Zeroizing<[u8; 32]>,
}

impl KeyedHasher {
    /// A hasher under `key` (32 uniformly random bytes; the same key for every erasure of a
    /// database, or equal values would no longer join).
    pub fn new(key: [u8; 32]) -> KeyedHasher {
        let mut key = key;
        let hasher = KeyedHasher {
            key: Zeroizing::new(key),
        };
        key.zeroize();
        hasher
    }

    /// The keyed hash of `value`: HMAC-SHA-256 of its UTF-8 bytes, in lower-case hexadecimal,
    /// exactly [`KEYED_HASH_CHARS`] characters.
    pub fn hash(&self, value: &str) -> String {
        // HMAC pads a key shorter than the hash's block (64 bytes) with zeros (RFC 2104,
        // section 2), so the zero-padded block given to the infallible constructor is HMAC
        // under the 32-byte key itself.
        let mut block = hmac::digest::Key::<Hmac<Sha256>>::default();
        block[..32].copy_from_slice(&self.key[..]);
        let mut mac = <Hmac<Sha256> as hmac::KeyInit>::new(&block);
        block[..].zeroize();
        mac.update(value.as_bytes());
        let digest = mac.finalize().into_bytes();
        let mut out = String::with_capacity(64);
        for byte in digest.iter() {
            out.push(HEX[usize::from(byte >> 4)]);
            out.push(HEX[usize::from(byte & 0x0f)]);
        }
        out
    }

    /// Whether `value` is already in the hashed form ([`KEYED_HASH_CHARS`] lower-case
    /// hexadecimal characters), so erasing it again would hash a hash: it is left alone. A
    /// column declared `keyed_hash` holding such a value before any erasure is therefore
    /// taken as erased.
    pub fn is_hashed(value: &str) -> bool {
        u64::try_from(value.len()).is_ok_and(|n| n == KEYED_HASH_CHARS)
            && value
                .bytes()
                .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    }
}

impl fmt::Debug for KeyedHasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("KeyedHasher(<key>)")
    }
}

const HEX: [char; 16] = [
    '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'a', 'b', 'c', 'd', 'e', 'f',
];

/// What [`apply`] did to one collection: counts only, never a value.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Applied {
    /// The collection's name.
    pub collection: String,
    /// Rows deleted (a `delete_row` collection).
    pub deleted: u64,
    /// Rows in which at least one field was written.
    pub updated: u64,
    /// Rows found already in their erased form: nothing written.
    pub unchanged: u64,
    /// Keys given that matched no row (already deleted, or not in a restored backup).
    pub missing: u64,
    /// Per field: the strategy and how many rows it was written in.
    pub fields: Vec<FieldCount>,
    /// The primary keys of the rows deleted or updated (not those unchanged or missing).
    pub keys: Keys,
}

/// One field's strategy and the rows it changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldCount {
    /// The column's name.
    pub field: String,
    /// The strategy's word (`null`, `replace`, `keyed_hash`, `random`, `delete_row`); a
    /// rectification writes `replace` with the corrected value.
    pub strategy: &'static str,
    /// Rows whose value this field changed (deleted rows, for `delete_row`).
    pub rows: u64,
}

/// Apply `collection`'s erase strategies to the rows whose primary keys are `keys`, inside the
/// write transaction the caller opened with [`Database::begin_write`] (see the module
/// documentation for the whole sequence). `schema` is the database's live schema (the column
/// types bind values and choose random ones). Nothing is committed here; on an error the
/// caller rolls back.
pub async fn apply(
    database: &mut Database,
    collection: &Collection,
    schema: &Schema,
    keys: &[Key],
    hasher: &KeyedHasher,
) -> Result<Applied, ConnectError> {
    if collection
        .fields
        .iter()
        .any(|f| f.erase == Erasure::DeleteRow)
    {
        return write(database, collection, schema, keys, None, Some(hasher)).await;
    }
    let changes: Vec<(usize, Change)> = collection
        .fields
        .iter()
        .enumerate()
        .filter_map(|(f, field)| Change::erasing(&field.erase).map(|c| (f, c)))
        .collect();
    write(
        database,
        collection,
        schema,
        keys,
        Some(&changes),
        Some(hasher),
    )
    .await
}

/// What a write sets a field to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Change {
    /// SQL NULL.
    Null,
    /// This value (an erasure's replacement or a rectification's correction).
    Replace(String),
    /// The keyed hash of the current value.
    KeyedHash,
    /// A random value of the column's type.
    Random,
}

impl Change {
    pub(crate) fn erasing(erasure: &Erasure) -> Option<Change> {
        match erasure {
            Erasure::Null => Some(Change::Null),
            Erasure::Replace(value) => Some(Change::Replace(value.clone())),
            Erasure::KeyedHash => Some(Change::KeyedHash),
            Erasure::Random => Some(Change::Random),
            Erasure::DeleteRow | Erasure::Keep => None,
        }
    }

    pub(crate) fn word(&self) -> &'static str {
        match self {
            Change::Null => "null",
            Change::Replace(_) => "replace",
            Change::KeyedHash => "keyed_hash",
            Change::Random => "random",
        }
    }

    /// Whether `current` is in the form this change leaves (a random value cannot be told
    /// from an original one: taken as erased).
    pub(crate) fn is_erased(&self, current: Option<&str>) -> bool {
        match self {
            Change::Null => current.is_none(),
            Change::Replace(value) => current == Some(value.as_str()),
            Change::KeyedHash => current.is_none_or(KeyedHasher::is_hashed),
            Change::Random => true,
        }
    }

    /// The value to write over `current`, or `None` when `current` is already in the form
    /// this change gives (outer `None`); the inner `None` is SQL NULL.
    fn target(
        &self,
        current: Option<&str>,
        column: Option<&crate::schema::Column>,
        hasher: Option<&KeyedHasher>,
    ) -> Result<Option<Option<String>>, String> {
        Ok(match self {
            Change::Null => current.map(|_| None),
            Change::Replace(value) => {
                (current != Some(value.as_str())).then(|| Some(value.clone()))
            }
            Change::KeyedHash => match current.filter(|v| !KeyedHasher::is_hashed(v)) {
                Some(v) => {
                    let hasher = hasher.ok_or("`keyed_hash` needs the erasure key")?;
                    Some(Some(hasher.hash(v)))
                }
                None => None,
            },
            Change::Random => Some(Some(random_value(column)?)),
        })
    }
}

/// Delete (`changes` is `None`) or update the rows of `keys`; the shared body of erasure,
/// replay and rectification.
pub(crate) async fn write(
    database: &mut Database,
    collection: &Collection,
    schema: &Schema,
    keys: &[Key],
    changes: Option<&[(usize, Change)]>,
    hasher: Option<&KeyedHasher>,
) -> Result<Applied, ConnectError> {
    let fail = |database: &Database, doing: &str, e: &sqlx::Error| {
        write_error(database, &format!("{doing} `{}`", collection.name), e)
    };
    let Some(table) = schema.table(collection.schema.as_deref(), &collection.name) else {
        let e = sqlx::Error::Configuration(
            "the table is not in the database: run `skydd dataset check --connect`".into(),
        );
        return Err(fail(database, "erasing", &e));
    };
    let width = collection.primary_key.len().max(1);
    // Each key once (a repeated key would be counted missing), each of the key's width.
    let keys: Vec<&Key> = keys
        .iter()
        .filter(|k| k.len() == collection.primary_key.len())
        .collect::<std::collections::BTreeSet<&Key>>()
        .into_iter()
        .collect();
    let mut applied = Applied {
        collection: collection.name.clone(),
        ..Applied::default()
    };
    let Some(changes) = changes else {
        for batch in keys.chunks((BATCH / width).max(1)) {
            let found = current(database, collection, table, &[], batch, true)
                .await
                .map_err(|e| fail(database, "reading", &e))?;
            applied.missing += count(batch.len().saturating_sub(found.len()));
            let found: Vec<Key> = found.into_iter().map(|(key, _)| key).collect();
            let gone: Vec<&Key> = found.iter().collect();
            applied.deleted += delete(database, collection, table, &gone)
                .await
                .map_err(|e| fail(database, "deleting from", &e))?;
            applied.keys.0.extend(found);
        }
        applied.fields = collection
            .fields
            .iter()
            .filter(|f| f.category.is_some() || f.erase == Erasure::DeleteRow)
            .map(|f| FieldCount {
                field: f.name.clone(),
                strategy: Erasure::DeleteRow.word(),
                rows: applied.deleted,
            })
            .collect();
        return Ok(applied);
    };
    let mut counts = vec![0u64; changes.len()];
    for batch in keys.chunks((BATCH / width).max(1)) {
        let fields: Vec<usize> = changes.iter().map(|(f, _)| *f).collect();
        let found = current(database, collection, table, &fields, batch, true)
            .await
            .map_err(|e| fail(database, "reading", &e))?;
        applied.missing += count(batch.len().saturating_sub(found.len()));
        // Rows needing the same assignments share one UPDATE.
        let mut groups: BTreeMap<Vec<(usize, Option<String>)>, Vec<Key>> = BTreeMap::new();
        for (key, values) in found {
            let mut assignments = Vec::new();
            for (n, ((f, change), value)) in changes.iter().zip(&values).enumerate() {
                let column = table.column(&collection.fields[*f].name);
                let target = change
                    .target(value.as_deref(), column, hasher)
                    .map_err(|m| {
                        fail(database, "erasing", &sqlx::Error::Configuration(m.into()))
                    })?;
                if let Some(target) = target {
                    assignments.push((*f, target));
                    counts[n] += 1;
                }
            }
            if assignments.is_empty() {
                applied.unchanged += 1;
            } else {
                applied.updated += 1;
                applied.keys.0.push(key.clone());
                groups.entry(assignments).or_default().push(key);
            }
        }
        for (assignments, rows) in groups {
            update(database, collection, table, &assignments, &rows)
                .await
                .map_err(|e| fail(database, "updating", &e))?;
        }
    }
    applied.fields = changes
        .iter()
        .zip(counts)
        .map(|((f, change), rows)| FieldCount {
            field: collection.fields[*f].name.clone(),
            strategy: change.word(),
            rows,
        })
        .collect();
    Ok(applied)
}

/// A number of rows as the receipts count them.
pub(crate) fn count(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

/// A placeholder for the `n`th (1-based) bound value of column `column`: PostgreSQL needs the
/// text cast to the column's type; MySQL and SQLite convert bound text themselves.
fn placeholder(kind: DatabaseKind, n: usize, table: &Table, column: &str) -> String {
    match kind {
        DatabaseKind::Postgres => {
            let sql_type = table
                .column(column)
                .map(|c| c.sql_type.as_str())
                .filter(|t| !t.is_empty() && *t != "USER-DEFINED" && *t != "ARRAY")
                .unwrap_or("text");
            format!("CAST(${n} AS {sql_type})")
        }
        DatabaseKind::Mysql | DatabaseKind::Sqlite => "?".to_owned(),
    }
}

/// `WHERE` text matching the rows of `keys` by primary key, numbering placeholders from
/// `first`, and the values to bind in order.
fn matching(
    kind: DatabaseKind,
    collection: &Collection,
    table: &Table,
    keys: &[&Key],
    first: usize,
) -> (String, Vec<Option<String>>) {
    let mut n = first;
    let mut binds = Vec::new();
    let mut next = |column: &str, value: &str| {
        let p = placeholder(kind, n, table, column);
        n += 1;
        binds.push(Some(value.to_owned()));
        p
    };
    let sql = if let [column] = collection.primary_key.as_slice() {
        let list: Vec<String> = keys.iter().map(|k| next(column, &k[0])).collect();
        format!("{} IN ({})", quote(kind, column), list.join(", "))
    } else {
        let rows: Vec<String> = keys
            .iter()
            .map(|k| {
                let parts: Vec<String> = collection
                    .primary_key
                    .iter()
                    .zip(k.iter())
                    .map(|(column, value)| {
                        format!("{} = {}", quote(kind, column), next(column, value))
                    })
                    .collect();
                format!("({})", parts.join(" AND "))
            })
            .collect();
        rows.join(" OR ")
    };
    (sql, binds)
}

/// Run `sql` with `binds` (text or NULL), returning the rows affected.
async fn run(
    database: &mut Database,
    sql: String,
    binds: Vec<Option<String>>,
) -> Result<u64, sqlx::Error> {
    let sql = sqlx::AssertSqlSafe(sql);
    Ok(match database {
        Database::Postgres(conn) => {
            let mut query = sqlx::query(sql);
            for value in binds {
                query = query.bind(value);
            }
            query.execute(conn).await?.rows_affected()
        }
        Database::Mysql(conn) => {
            let mut query = sqlx::query(sql);
            for value in binds {
                query = query.bind(value);
            }
            query.execute(conn).await?.rows_affected()
        }
        Database::Sqlite(conn) => {
            let mut query = sqlx::query(sql);
            for value in binds {
                query = query.bind(value);
            }
            query.execute(conn).await?.rows_affected()
        }
    })
}

async fn delete(
    database: &mut Database,
    collection: &Collection,
    table: &Table,
    keys: &[&Key],
) -> Result<u64, sqlx::Error> {
    if keys.is_empty() {
        return Ok(0);
    }
    let kind = database.kind();
    let (filter, binds) = matching(kind, collection, table, keys, 1);
    let sql = format!("DELETE FROM {} WHERE {filter}", relation(kind, collection));
    run(database, sql, binds).await
}

/// The primary keys and the current values (as text) of the fields `fields` (indexes in the
/// collection), of the rows of `keys` that exist, locked for the update when `lock` (in a
/// write transaction).
pub(crate) async fn current(
    database: &mut Database,
    collection: &Collection,
    table: &Table,
    fields: &[usize],
    keys: &[&Key],
    lock: bool,
) -> Result<Vec<(Key, Vec<Option<String>>)>, sqlx::Error> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let kind = database.kind();
    let text = match kind {
        DatabaseKind::Mysql => "CHAR",
        DatabaseKind::Postgres | DatabaseKind::Sqlite => "TEXT",
    };
    let selected: Vec<String> = collection
        .primary_key
        .iter()
        .map(String::as_str)
        .chain(fields.iter().map(|f| collection.fields[*f].name.as_str()))
        .map(|c| format!("CAST({} AS {text})", quote(kind, c)))
        .collect();
    let (filter, binds) = matching(kind, collection, table, keys, 1);
    let lock = match kind {
        DatabaseKind::Postgres | DatabaseKind::Mysql if lock => " FOR UPDATE",
        _ => "",
    };
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {} FROM {} WHERE {filter}{lock}",
        selected.join(", "),
        relation(kind, collection),
    ));
    let rows = match database {
        Database::Postgres(conn) => {
            let mut query = sqlx::query(sql);
            for value in binds {
                query = query.bind(value);
            }
            texts(query.fetch_all(conn).await?)?
        }
        Database::Mysql(conn) => {
            let mut query = sqlx::query(sql);
            for value in binds {
                query = query.bind(value);
            }
            texts(query.fetch_all(conn).await?)?
        }
        Database::Sqlite(conn) => {
            let mut query = sqlx::query(sql);
            for value in binds {
                query = query.bind(value);
            }
            texts(query.fetch_all(conn).await?)?
        }
    };
    let width = collection.primary_key.len();
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            let mut values: Vec<Option<String>> = row.into_iter().map(|v| v.0).collect();
            let rest = values.split_off(width.min(values.len()));
            // A key with a NULL column cannot be addressed again; it was not asked for either.
            let key: Option<Key> = values.into_iter().collect();
            key.map(|key| (key, rest))
        })
        .collect())
}

/// Set the fields of `assignments` (index, text or NULL) in the rows of `keys`.
pub(crate) async fn update(
    database: &mut Database,
    collection: &Collection,
    table: &Table,
    assignments: &[(usize, Option<String>)],
    keys: &[Key],
) -> Result<(), sqlx::Error> {
    let kind = database.kind();
    let mut binds = Vec::new();
    let set: Vec<String> = assignments
        .iter()
        .map(|(f, value)| {
            let name = &collection.fields[*f].name;
            binds.push(value.clone());
            format!(
                "{} = {}",
                quote(kind, name),
                placeholder(kind, binds.len(), table, name)
            )
        })
        .collect();
    let keys: Vec<&Key> = keys.iter().collect();
    let (filter, more) = matching(kind, collection, table, &keys, binds.len() + 1);
    binds.extend(more);
    let sql = format!(
        "UPDATE {} SET {} WHERE {filter}",
        relation(kind, collection),
        set.join(", ")
    );
    run(database, sql, binds).await.map(|_| ())
}

/// A random value for `column`, by its type: digits within the type's range for integers and
/// numbers, `0`/`1` for booleans, a UUID for `uuid`, hexadecimal text as long as the column
/// allows (at most 32 characters) for text. Other types (dates, times, binary) are refused:
/// `null` or `{replace: VALUE}` fits them.
fn random_value(column: Option<&crate::schema::Column>) -> Result<String, String> {
    let Some(column) = column else {
        return Err("the column is not in the database".into());
    };
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|_| "the system's random source failed".to_owned())?;
    let wide = u64::from_le_bytes([
        bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
    ]);
    random_of(&column.sql_type, column.max_length, wide, &bytes).ok_or_else(|| {
        format!(
            "`random` cannot make a value of type `{}`: use `null` or `{{replace: VALUE}}`",
            column.sql_type
        )
    })
}

/// The value [`random_value`] makes for `sql_type` from the random `wide` and `bytes`.
fn random_of(
    sql_type: &str,
    max_length: Option<u64>,
    wide: u64,
    bytes: &[u8; 16],
) -> Option<String> {
    let t = sql_type.to_ascii_lowercase();
    if t.contains("bool") {
        return Some((wide % 2).to_string());
    }
    if t.contains("int") {
        let bound: u64 = if t.contains("tiny") {
            128
        } else if t.contains("small") {
            32_768
        } else {
            1 << 31
        };
        return Some((wide % bound).to_string());
    }
    if ["numeric", "decimal", "real", "double", "float", "money"]
        .iter()
        .any(|n| t.contains(n))
    {
        return Some((wide % 10_000).to_string());
    }
    if t == "uuid" {
        let mut b = *bytes;
        b[6] = (b[6] & 0x0f) | 0x40;
        b[8] = (b[8] & 0x3f) | 0x80;
        let hex: String = b
            .iter()
            .flat_map(|x| [HEX[usize::from(x >> 4)], HEX[usize::from(x & 0x0f)]])
            .collect();
        return Some(format!(
            "{}-{}-{}-{}-{}",
            &hex[0..8],
            &hex[8..12],
            &hex[12..16],
            &hex[16..20],
            &hex[20..32]
        ));
    }
    if t.is_empty()
        || ["char", "text", "clob", "string"]
            .iter()
            .any(|n| t.contains(n))
    {
        let length = usize::try_from(max_length.unwrap_or(32).clamp(1, 32)).unwrap_or(32);
        let hex: String = bytes
            .iter()
            .flat_map(|x| [HEX[usize::from(x >> 4)], HEX[usize::from(x & 0x0f)]])
            .take(length)
            .collect();
        return Some(hex);
    }
    None
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn hasher() -> KeyedHasher {
        KeyedHasher::new([7u8; 32])
    }

    #[test]
    fn the_hash_is_standard_hmac_sha256_in_hex() {
        // RFC 4231 test case 2 uses a 4-byte key; with a 32-byte key compare against the
        // `hmac` crate's own variable-length constructor.
        let mut mac = <Hmac<Sha256> as hmac::KeyInit>::new_from_slice(&[7u8; 32]).unwrap();
        mac.update(b"customer-1@example.com");
        let expected: String = mac
            .finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(hasher().hash("customer-1@example.com"), expected);
    }

    #[test]
    fn the_key_never_shows_in_debug() {
        assert_eq!(format!("{:?}", hasher()), "KeyedHasher(<key>)");
    }

    #[test]
    fn an_erased_field_is_left_alone() {
        let h = hasher();
        let hashed = h.hash("a@example.com");
        assert_eq!(
            Change::KeyedHash.target(Some(&hashed), None, Some(&h)),
            Ok(None)
        );
        assert_eq!(Change::KeyedHash.target(None, None, Some(&h)), Ok(None));
        assert_eq!(Change::Null.target(None, None, Some(&h)), Ok(None));
        assert_eq!(
            Change::Null.target(Some("x"), None, Some(&h)),
            Ok(Some(None))
        );
        let replace = Change::Replace("erased card".into());
        assert_eq!(
            replace.target(Some("erased card"), None, Some(&h)),
            Ok(None)
        );
        assert_eq!(
            replace.target(Some("Example Card 1"), None, Some(&h)),
            Ok(Some(Some("erased card".into())))
        );
        assert_eq!(
            Change::KeyedHash.target(Some("a@example.com"), None, Some(&h)),
            Ok(Some(Some(hashed)))
        );
    }

    #[test]
    fn random_values_fit_their_column_types() {
        let bytes = [0xabu8; 16];
        let wide = u64::MAX;
        assert_eq!(
            random_of("smallint", None, wide, &bytes),
            Some("32767".into())
        );
        assert_eq!(random_of("tinyint", None, wide, &bytes), Some("127".into()));
        assert_eq!(random_of("boolean", None, 3, &bytes), Some("1".into()));
        assert_eq!(
            random_of("character varying", Some(5), wide, &bytes),
            Some("ababa".into())
        );
        let uuid = random_of("uuid", None, wide, &bytes).unwrap();
        assert_eq!(uuid.len(), 36);
        assert_eq!(&uuid[14..15], "4");
        assert_eq!(
            random_of("timestamp without time zone", None, wide, &bytes),
            None
        );
        assert_eq!(random_of("date", None, wide, &bytes), None);
    }

    proptest! {
        #[test]
        fn every_hash_is_in_the_hashed_form_and_a_hash_is_never_rehashed(value in ".*") {
            let h = hasher();
            let hashed = h.hash(&value);
            prop_assert_eq!(u64::try_from(hashed.len()).unwrap(), KEYED_HASH_CHARS);
            prop_assert!(KeyedHasher::is_hashed(&hashed));
            prop_assert_eq!(Change::KeyedHash.target(Some(&hashed), None, Some(&h)), Ok(None));
        }

        #[test]
        fn only_64_lower_case_hex_characters_are_the_hashed_form(value in "[0-9a-fA-Fg ]{0,70}") {
            let expected = value.len() == 64
                && value.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
            prop_assert_eq!(KeyedHasher::is_hashed(&value), expected);
        }

        #[test]
        fn random_integers_stay_in_range(wide in any::<u64>()) {
            let bytes = [0u8; 16];
            let n: i64 = random_of("smallint", None, wide, &bytes).unwrap().parse().unwrap();
            prop_assert!((0..=i64::from(i16::MAX)).contains(&n));
            let n: i64 = random_of("integer", None, wide, &bytes).unwrap().parse().unwrap();
            prop_assert!((0..=i64::from(i32::MAX)).contains(&n));
        }
    }
}

#[cfg(test)]
mod sql {
    use skydd_dataset::{Collection, DatabaseKind, Erasure, Field};

    use super::matching;
    use crate::schema::{Column, Table};

    fn collection(key: &[&str]) -> Collection {
        Collection {
            name: "visit".into(),
            schema: None,
            primary_key: key.iter().map(|k| (*k).to_owned()).collect(),
            fields: key
                .iter()
                .map(|k| Field {
                    name: (*k).into(),
                    category: None,
                    identity: None,
                    references: Vec::new(),
                    erase: Erasure::Keep,
                    free_text: false,
                    outside_hold: None,
                })
                .collect(),
            retention: None,
            reach_only: false,
            unreachable: None,
            after: Vec::new(),
            erase_after: Vec::new(),
        }
    }

    fn table() -> Table {
        let column = |name: &str, sql_type: &str| Column {
            name: name.into(),
            sql_type: sql_type.into(),
            nullable: true,
            max_length: None,
        };
        Table {
            name: "visit".into(),
            columns: vec![
                column("email", "character varying"),
                column("last_visit", "timestamp without time zone"),
            ],
            ..Table::default()
        }
    }

    #[test]
    fn rows_are_matched_by_bound_keys_cast_on_postgresql() {
        let key = |a: &str, b: &str| vec![a.to_owned(), b.to_owned()];
        let (k1, k2) = (key("a@x", "2021-01-06"), key("b@x", "2021-01-07"));
        let keys = [&k1, &k2];
        let composite = collection(&["email", "last_visit"]);
        let (sql, binds) = matching(DatabaseKind::Postgres, &composite, &table(), &keys, 3);
        assert_eq!(
            sql,
            "(\"email\" = CAST($3 AS character varying) AND \"last_visit\" = CAST($4 AS timestamp without time zone)) OR (\"email\" = CAST($5 AS character varying) AND \"last_visit\" = CAST($6 AS timestamp without time zone))"
        );
        assert_eq!(binds.len(), 4);
        let single = collection(&["email"]);
        let (sql, _) = matching(DatabaseKind::Mysql, &single, &table(), &keys, 1);
        assert_eq!(sql, "`email` IN (?, ?)");
        let (sql, _) = matching(DatabaseKind::Sqlite, &single, &table(), &keys, 1);
        assert_eq!(sql, "\"email\" IN (?, ?)");
    }
}
