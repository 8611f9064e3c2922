//! The live schema of a connected database, as its catalog describes it: what the live check
//! compares a dataset with and what a drafted dataset is made from.

/// Every table and view of the database the connection sees (system schemas left out).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Schema {
    /// The schema unqualified names resolve in: PostgreSQL's `current_schema()`, MySQL's
    /// `DATABASE()`, SQLite's `main`.
    pub default_schema: String,
    /// Tables and views, ordered by schema and name.
    pub tables: Vec<Table>,
}

impl Schema {
    /// The table `name` in `schema` (the default schema when `None`).
    pub fn table(&self, schema: Option<&str>, name: &str) -> Option<&Table> {
        let schema = schema.unwrap_or(&self.default_schema);
        self.tables
            .iter()
            .find(|t| t.schema == schema && t.name == name)
    }
}

/// A table or view.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Table {
    /// The schema (PostgreSQL), database (MySQL) or attached database (SQLite, `main`).
    pub schema: String,
    /// The table's name.
    pub name: String,
    /// Whether it is a view (no keys, no indexes of its own).
    pub view: bool,
    /// Columns in their declared order.
    pub columns: Vec<Column>,
    /// The primary key's columns in key order; empty when there is none.
    pub primary_key: Vec<String>,
    /// Foreign keys from this table.
    pub foreign_keys: Vec<ForeignKey>,
    /// Indexes on this table (the primary key's own index included where the database lists it).
    pub indexes: Vec<Index>,
}

impl Table {
    /// The column `name`.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// Whether an index (or the primary key) starts with `column`, so that looking rows up by
    /// it needs no full scan.
    pub fn indexed(&self, column: &str) -> bool {
        self.primary_key.first().is_some_and(|c| c == column)
            || self
                .indexes
                .iter()
                .any(|i| i.columns.first().is_some_and(|c| c == column))
    }

    /// Whether `column` is part of a foreign key of this table.
    pub fn in_foreign_key(&self, column: &str) -> bool {
        self.foreign_keys
            .iter()
            .any(|k| k.columns.iter().any(|c| c == column))
    }

    /// The table's name as SQL writes it qualified, for messages and suggested statements.
    pub fn qualified(&self) -> String {
        format!("{}.{}", self.schema, self.name)
    }
}

/// A column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    /// The column's name.
    pub name: String,
    /// The type as the catalog names it, lower case (`character varying`, `int`, `VARCHAR(100)`
    /// on SQLite as declared).
    pub sql_type: String,
    /// Whether it accepts NULL.
    pub nullable: bool,
    /// The most characters it holds, for length-limited text types (`varchar(100)`: 100); `None`
    /// for unlimited text, other types, and SQLite (which does not enforce declared lengths).
    pub max_length: Option<u64>,
}

impl Column {
    /// Whether the type holds text (so a keyed hash or a text replacement can be written).
    pub fn is_text(&self) -> bool {
        let t = self.sql_type.to_ascii_lowercase();
        ["char", "text", "clob", "citext", "string"]
            .iter()
            .any(|word| t.contains(word))
    }

    /// Whether the type holds numbers only.
    pub fn is_numeric(&self) -> bool {
        let t = self.sql_type.to_ascii_lowercase();
        !self.is_text()
            && [
                "int", "numeric", "decimal", "real", "double", "float", "serial", "money", "bit",
            ]
            .iter()
            .any(|word| t.contains(word))
    }
}

/// A foreign key: `columns` of this table refer to `referenced_columns` of another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForeignKey {
    /// The constraint's name (SQLite: its number in `pragma_foreign_key_list`).
    pub name: String,
    /// This table's columns, in key order.
    pub columns: Vec<String>,
    /// The referenced table's schema.
    pub referenced_schema: String,
    /// The referenced table.
    pub referenced_table: String,
    /// The referenced columns, parallel to `columns`.
    pub referenced_columns: Vec<String>,
}

/// An index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Index {
    /// The index's name.
    pub name: String,
    /// Its columns in index order; an expression is written `(expression)`.
    pub columns: Vec<String>,
    /// Whether it is unique.
    pub unique: bool,
}
