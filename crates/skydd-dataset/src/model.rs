//! The validated dataset: one connected database, its tables, and what Skydd may do with each
//! column. Only [`crate::check`] builds a [`Dataset`], so one in hand is valid.

use std::fmt;

use serde::{Serialize, Serializer};
use skydd_register::choice;
use skydd_register::model::{CategoryId, RuleId};
use skydd_subject::IdentityKind;

/// One connected database as its dataset file describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Dataset {
    /// The dataset's id (`name`): lower snake case, names the database in plans, receipts and
    /// the Art. 30 record.
    pub name: String,
    /// What the database is for, in plain words (`description`), if given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Which database server speaks to us.
    pub kind: DatabaseKind,
    /// Where the connection string is read from; never the string itself.
    pub connection: Connection,
    /// TLS to the server: always present for PostgreSQL and MySQL (default `verify-full`),
    /// never for SQLite.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls: Option<Tls>,
    /// The tables, in file order; names are unique.
    pub collections: Vec<Collection>,
}

impl Dataset {
    /// The collection called `name`.
    pub fn collection(&self, name: &str) -> Option<&Collection> {
        self.collections.iter().find(|c| c.name == name)
    }
}

choice!(
    /// The database server: the SQL dialect and driver a connector uses.
    DatabaseKind, "database kind", {
        /// PostgreSQL.
        Postgres = "postgres",
        /// MySQL and MariaDB (one dialect).
        Mysql = "mysql",
        /// SQLite (a file; no TLS).
        Sqlite = "sqlite",
    }
);

/// Where the connection string (URL with credentials) comes from. The dataset file never holds
/// it, so neither the model nor any message built from it can show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Connection {
    /// The environment variable of this name holds the URL (`connection: {env: NAME}`).
    Env(String),
    /// This file (absolute path, readable only by its owner: checked when connecting) holds the
    /// URL (`connection: {file: PATH}`).
    File(String),
}

/// TLS settings for PostgreSQL and MySQL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tls {
    /// How strictly the server is verified.
    pub mode: TlsMode,
    /// The CA certificate(s) to verify the server against (absolute path), instead of the
    /// system roots; only with `verify-ca` or `verify-full`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<String>,
}

choice!(
    /// How TLS to the database server is used, in PostgreSQL's `sslmode` words (mapped to
    /// MySQL's `ssl-mode` by the connector).
    TlsMode, "TLS mode", {
        /// No TLS: only for a server on the same host or a private network.
        Disable = "disable",
        /// TLS when the server offers it, else plain text (an attacker can force plain text).
        Prefer = "prefer",
        /// TLS always, without verifying the server's certificate.
        Require = "require",
        /// TLS, the certificate signed by a trusted CA.
        VerifyCa = "verify-ca",
        /// TLS, the certificate signed by a trusted CA and naming the host (the default).
        VerifyFull = "verify-full",
    }
);

/// A table (or view) and its declared columns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Collection {
    /// The table's name in the database; unique in the dataset, the name references use.
    pub name: String,
    /// The schema (PostgreSQL) or database (MySQL) holding it; `None`: the connection's default.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// The primary key's columns, each a declared field; erasure finds rows by it.
    pub primary_key: Vec<String>,
    /// The declared columns, in file order; names are unique in the collection.
    pub fields: Vec<Field>,
    /// The column retention counts from and the register rule it applies, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retention: Option<Retention>,
    /// Read only to reach other collections (a join table): nothing in it is returned or erased.
    pub reach_only: bool,
    /// Why no identity reaches this collection, when none does (requests then never touch it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unreachable: Option<String>,
    /// Collections read before this one (traversal order).
    pub after: Vec<String>,
    /// Collections erased before this one (for foreign keys the database enforces).
    pub erase_after: Vec<String>,
}

impl Collection {
    /// The field called `name`.
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }
}

/// Where a collection's retention is counted from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Retention {
    /// The column holding the anchor's time (`contract_end`, `paid_at`, `created_at`), a
    /// declared field.
    pub anchor: String,
    /// The register's retention rule that applies to the collection's rows.
    pub rule: RuleId,
}

/// A declared column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Field {
    /// The column's name.
    pub name: String,
    /// The register's data category the column holds; `None`: not personal data.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<CategoryId>,
    /// The identity the column holds: a request's identity of this kind finds rows by it.
    #[serde(
        serialize_with = "identity_name",
        skip_serializing_if = "Option::is_none"
    )]
    pub identity: Option<IdentityKind>,
    /// Columns of other collections this one is joined to.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<Reference>,
    /// What erasure does to the column.
    pub erase: Erasure,
    /// Whether the column holds free text (which may hide personal data anywhere in it).
    pub free_text: bool,
    /// Why this column is not the copy a legal hold on its category requires, so that it may be
    /// erased while the hold keeps its category elsewhere.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outside_hold: Option<String>,
}

fn identity_name<S: Serializer>(
    identity: &Option<IdentityKind>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match identity {
        Some(kind) => serializer.serialize_str(kind.as_str()),
        None => serializer.serialize_none(),
    }
}

/// A join from one column to a column of another (or the same) collection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reference {
    /// The column joined to.
    pub field: FieldPath,
    /// Which way values flow when a request traverses it.
    pub direction: Direction,
}

/// A column named as `collection.field`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FieldPath {
    /// The collection's name.
    pub collection: String,
    /// The field's name.
    pub field: String,
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.collection, self.field)
    }
}

impl Serialize for FieldPath {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

choice!(
    /// Which way a reference is followed (as in Fides datasets).
    Direction, "reference direction", {
        /// This column's values find rows of the referenced collection.
        To = "to",
        /// The referenced column's values find rows of this collection.
        From = "from",
    }
);

/// What erasure does to a column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Erasure {
    /// Set it to SQL NULL (`erase: null`).
    Null,
    /// Overwrite it with this fixed value (`erase: {replace: VALUE}`).
    Replace(String),
    /// Overwrite it with a keyed hash (HMAC) of its value: equal values stay equal, so joins
    /// still work, but the value cannot be read back without the key.
    KeyedHash,
    /// Overwrite it with a random value of its type.
    Random,
    /// Delete the whole row.
    DeleteRow,
    /// Leave it as it is (keys, data without a category, data a legal hold keeps).
    Keep,
}

impl Erasure {
    /// The word in the file (`null`, `replace`, `keyed_hash`, `random`, `delete_row`, `keep`).
    pub fn word(&self) -> &'static str {
        match self {
            Erasure::Null => "null",
            Erasure::Replace(_) => "replace",
            Erasure::KeyedHash => "keyed_hash",
            Erasure::Random => "random",
            Erasure::DeleteRow => "delete_row",
            Erasure::Keep => "keep",
        }
    }

    /// Whether the column's value survives erasure unchanged in a row that survives.
    pub fn keeps_value(&self) -> bool {
        matches!(self, Erasure::Keep)
    }
}

impl Serialize for Erasure {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Erasure::Replace(value) => {
                use serde::ser::SerializeMap as _;
                let mut map = serializer.serialize_map(Some(1))?;
                map.serialize_entry("replace", value)?;
                map.end()
            }
            other => serializer.serialize_str(other.word()),
        }
    }
}
