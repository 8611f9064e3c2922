//! The live check (`skydd dataset check --connect`): a checked dataset compared with the
//! schema of its database, reported in the file check's diagnostics at the line and column of
//! the dataset key each finding is about.
//!
//! It finds what only the database can tell: tables and columns that do not exist, erasures
//! the column cannot take (`null` on a NOT NULL column, a keyed hash longer than the column, a
//! text replacement in a number), keys the dataset does not declare but erasure would mask,
//! a declared primary key the rows are not unique by, identity and reference columns without
//! an index (a warning naming the `CREATE INDEX`), and tables joined by a foreign key to a
//! declared one that the dataset leaves out.

use std::collections::{HashMap, HashSet};

use skydd_dataset::{Collection, DatabaseKind, Dataset, Direction, Erasure};
use skydd_register::diagnostic::{Diagnostic, did_you_mean};
use skydd_register::node::{self, Node, NodeKind, Pos};

use crate::schema::{Column, Schema, Table};

/// The length in characters of the keyed hash erasure writes: HMAC-SHA-256 in hexadecimal.
/// A text column shorter than this cannot take `erase: keyed_hash`.
pub const KEYED_HASH_CHARS: u64 = 64;

/// Compare `dataset` (checked from `source`, whose positions the diagnostics use) with the live
/// `schema`. Returns errors and warnings in source order; an empty list means the database
/// fits the dataset.
pub fn check_live(source: &str, dataset: &Dataset, schema: &Schema) -> Vec<Diagnostic> {
    let sites = Sites::read(source);
    let mut out = Vec::new();
    let mut warned_index: HashSet<(String, String)> = HashSet::new();
    let mut declared: HashSet<(String, String)> = HashSet::new();
    for collection in &dataset.collections {
        let site = sites.collection(&collection.name);
        let Some(table) = schema.table(collection.schema.as_deref(), &collection.name) else {
            out.push(missing_table(collection, schema, site.name));
            continue;
        };
        declared.insert((table.schema.clone(), table.name.clone()));
        primary_key(collection, table, site, &mut out);
        for field in &collection.fields {
            let field_site = site.field(&field.name);
            let Some(column) = table.column(&field.name) else {
                let help = match did_you_mean(
                    &field.name,
                    table.columns.iter().map(|c| c.name.as_str()),
                ) {
                    Some(near) => format!("did you mean `{near}`?"),
                    None => format!(
                        "the columns of `{}` are {}",
                        table.qualified(),
                        list(table.columns.iter().map(|c| c.name.as_str()))
                    ),
                };
                out.push(
                    Diagnostic::error(
                        "unknown-column",
                        field_site.name,
                        format!("`{}` has no column `{}`", table.qualified(), field.name),
                    )
                    .with_help(help),
                );
                continue;
            };
            if !collection.reach_only {
                erasure(
                    dataset.kind,
                    collection,
                    table,
                    column,
                    &field.erase,
                    field_site,
                    schema,
                    &mut out,
                );
            }
            if field.identity.is_some() {
                index(
                    table,
                    &field.name,
                    field_site.name,
                    "an identity",
                    &mut warned_index,
                    &mut out,
                );
            }
            for (k, reference) in field.references.iter().enumerate() {
                let pos = field_site
                    .references
                    .get(k)
                    .copied()
                    .unwrap_or(field_site.name);
                match reference.direction {
                    // The referenced column's values find rows here, by this column.
                    Direction::From => {
                        index(
                            table,
                            &field.name,
                            pos,
                            "a reference",
                            &mut warned_index,
                            &mut out,
                        );
                    }
                    // This column's values find rows of the referenced table, by its column.
                    Direction::To => {
                        let target = dataset
                            .collection(&reference.field.collection)
                            .and_then(|c| schema.table(c.schema.as_deref(), &c.name));
                        if let Some(target) =
                            target.filter(|t| t.column(&reference.field.field).is_some())
                        {
                            index(
                                target,
                                &reference.field.field,
                                pos,
                                "a reference",
                                &mut warned_index,
                                &mut out,
                            );
                        }
                    }
                }
            }
        }
    }
    left_out(schema, &declared, sites.collections_pos, &mut out);
    out.sort_by_key(|d| (d.line, d.column));
    out
}

fn list<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let names: Vec<String> = names.map(|n| format!("`{n}`")).collect();
    if names.is_empty() {
        "none".into()
    } else {
        names.join(", ")
    }
}

fn missing_table(collection: &Collection, schema: &Schema, pos: Pos) -> Diagnostic {
    let in_schema = collection
        .schema
        .as_deref()
        .unwrap_or(&schema.default_schema);
    let names = schema
        .tables
        .iter()
        .filter(|t| t.schema == in_schema)
        .map(|t| t.name.as_str());
    let help = match did_you_mean(&collection.name, names.clone()) {
        Some(near) => format!("did you mean `{near}`?"),
        None if schema.tables.iter().any(|t| t.name == collection.name) => format!(
            "a table `{}` exists in another schema: set `schema:` to it",
            collection.name
        ),
        None => format!(
            "create the table, or remove the collection; the tables of `{in_schema}` are {}",
            list(names)
        ),
    };
    Diagnostic::error(
        "unknown-table",
        pos,
        format!(
            "the database has no table `{in_schema}.{}`",
            collection.name
        ),
    )
    .with_help(help)
}

/// The declared primary key must identify one row: the table's primary key or a unique index.
fn primary_key(
    collection: &Collection,
    table: &Table,
    site: &CollectionSites,
    out: &mut Vec<Diagnostic>,
) {
    if table.view {
        return;
    }
    let declared: HashSet<&str> = collection.primary_key.iter().map(String::as_str).collect();
    let same = |columns: &[String]| {
        columns.len() == declared.len() && columns.iter().all(|c| declared.contains(c.as_str()))
    };
    if same(&table.primary_key) || table.indexes.iter().any(|i| i.unique && same(&i.columns)) {
        return;
    }
    let live = if table.primary_key.is_empty() {
        "has no primary key".to_owned()
    } else {
        format!("has the primary key ({})", table.primary_key.join(", "))
    };
    out.push(
        Diagnostic::error(
            "primary-key",
            site.primary_key.unwrap_or(site.name),
            format!(
                "`{}` {live} and no unique index on ({}): rows are not unique by the declared `primary_key`, so erasing one could change others",
                table.qualified(),
                collection.primary_key.join(", ")
            ),
        )
        .with_help(if table.primary_key.is_empty() {
            format!(
                "add a primary key or unique index: CREATE UNIQUE INDEX {}_key ON {} ({});",
                table.name,
                table.qualified(),
                collection.primary_key.join(", ")
            )
        } else {
            format!("write `primary_key: [{}]`", table.primary_key.join(", "))
        }),
    );
}

/// What erasure does must fit the column.
#[allow(clippy::too_many_arguments)] // One check's inputs; a struct would only rename them.
fn erasure(
    kind: DatabaseKind,
    collection: &Collection,
    table: &Table,
    column: &Column,
    erase: &Erasure,
    site: &FieldSites,
    schema: &Schema,
    out: &mut Vec<Diagnostic>,
) {
    let at = site.erase.unwrap_or(site.name);
    let name = format!("{}.{}", collection.name, column.name);
    let masks = !matches!(erase, Erasure::Keep | Erasure::DeleteRow);
    if masks {
        let referenced_by = schema.tables.iter().find_map(|t| {
            t.foreign_keys
                .iter()
                .find(|k| {
                    k.referenced_schema == table.schema
                        && k.referenced_table == table.name
                        && k.referenced_columns.contains(&column.name)
                })
                .map(|k| format!("the foreign key `{}` of `{}`", k.name, t.qualified()))
        });
        let key = if table.primary_key.contains(&column.name) {
            Some("part of the primary key in the database".to_owned())
        } else if table.in_foreign_key(&column.name) {
            Some("part of a foreign key in the database".to_owned())
        } else {
            referenced_by.map(|by| format!("referred to by {by}"))
        };
        if let Some(key) = key {
            out.push(
                Diagnostic::error(
                    "masked-key",
                    at,
                    format!(
                        "`{name}` is {key}; erasure `{}` would break the rows that join on it",
                        erase.word()
                    ),
                )
                .with_help(
                    "keep key columns (`erase: keep`) or delete their row (`erase: delete_row`)",
                ),
            );
            return;
        }
    }
    match erase {
        Erasure::Null if !column.nullable => out.push(
            Diagnostic::error(
                "not-null",
                at,
                format!("`{name}` is NOT NULL in the database, so `erase: null` would fail and leave the erasure half done"),
            )
            .with_help(format!(
                "erase it with `random`, `keyed_hash` or `{{replace: VALUE}}`, or allow NULL: {}",
                drop_not_null(kind, table, column)
            )),
        ),
        Erasure::KeyedHash if !column.is_text() => out.push(
            Diagnostic::error(
                "column-type",
                at,
                format!(
                    "`{name}` is `{}`, which cannot hold a keyed hash (text of {KEYED_HASH_CHARS} characters)",
                    column.sql_type
                ),
            )
            .with_help("use `null`, `random` or `{replace: VALUE}` for a column that is not text"),
        ),
        Erasure::KeyedHash => {
            if let Some(max) = column.max_length.filter(|m| *m < KEYED_HASH_CHARS) {
                out.push(
                    Diagnostic::error(
                        "column-length",
                        at,
                        format!(
                            "`{name}` holds at most {max} characters, a keyed hash has {KEYED_HASH_CHARS}"
                        ),
                    )
                    .with_help(format!(
                        "widen the column to {KEYED_HASH_CHARS} characters or more, or erase it another way (`null`, `random`, `{{replace: VALUE}}`)"
                    )),
                );
            }
        }
        Erasure::Replace(value) => {
            let chars = value.chars().count() as u64;
            if column.is_numeric() && value.trim().parse::<f64>().is_err() {
                out.push(
                    Diagnostic::error(
                        "column-type",
                        at,
                        format!("`{name}` is `{}`, and the replacement is not a number", column.sql_type),
                    )
                    .with_help("replace it with a number, or erase it with `null` or `random`"),
                );
            } else if let Some(max) = column.max_length.filter(|m| *m < chars) {
                out.push(
                    Diagnostic::error(
                        "column-length",
                        at,
                        format!("`{name}` holds at most {max} characters, the replacement has {chars}"),
                    )
                    .with_help("shorten the replacement"),
                );
            }
        }
        _ => {}
    }
}

fn drop_not_null(kind: DatabaseKind, table: &Table, column: &Column) -> String {
    match kind {
        DatabaseKind::Postgres => format!(
            "ALTER TABLE {} ALTER COLUMN {} DROP NOT NULL;",
            table.qualified(),
            column.name
        ),
        DatabaseKind::Mysql => format!(
            "ALTER TABLE {} MODIFY {} {} NULL; (with the column's full type)",
            table.qualified(),
            column.name,
            column.sql_type
        ),
        DatabaseKind::Sqlite => {
            "rebuild the table without NOT NULL on the column (SQLite cannot drop it in place)"
                .into()
        }
    }
}

/// Warn, once per column, when rows are looked up by `column` of `table` without an index.
fn index(
    table: &Table,
    column: &str,
    pos: Pos,
    what: &str,
    warned: &mut HashSet<(String, String)>,
    out: &mut Vec<Diagnostic>,
) {
    if table.view || table.indexed(column) || !warned.insert((table.qualified(), column.to_owned()))
    {
        return;
    }
    out.push(
        Diagnostic::warning(
            "missing-index",
            pos,
            format!(
                "`{}.{column}` is {what} that requests look rows up by, and no index starts with it: every request reads the whole table",
                table.qualified()
            ),
        )
        .with_help(format!(
            "CREATE INDEX {}_{column}_idx ON {} ({column});",
            table.name,
            table.qualified()
        )),
    );
}

/// Tables joined by a foreign key to a declared table but not declared themselves: a request
/// would not reach what they hold, and no one said why.
fn left_out(
    schema: &Schema,
    declared: &HashSet<(String, String)>,
    pos: Pos,
    out: &mut Vec<Diagnostic>,
) {
    for table in &schema.tables {
        if declared.contains(&(table.schema.clone(), table.name.clone())) {
            continue;
        }
        let joined = table.foreign_keys.iter().find_map(|k| {
            declared
                .contains(&(k.referenced_schema.clone(), k.referenced_table.clone()))
                .then(|| {
                    format!(
                        "its foreign key `{}` refers to `{}.{}`",
                        k.name, k.referenced_schema, k.referenced_table
                    )
                })
        });
        let Some(joined) = joined else { continue };
        out.push(
            Diagnostic::warning(
                "unreachable",
                pos,
                format!(
                    "`{}` is not in the dataset, but {joined}: what it holds about a person is never reached",
                    table.qualified()
                ),
            )
            .with_help(format!(
                "add `{}` as a collection (with `unreachable: REASON` if no request should reach it)",
                table.name
            )),
        );
    }
}

/// Where the keys of the dataset file stand, looked up by collection and field name.
#[derive(Debug, Default)]
struct Sites {
    collections_pos: Pos,
    collections: HashMap<String, CollectionSites>,
    fallback: CollectionSites,
}

#[derive(Debug, Default)]
struct CollectionSites {
    name: Pos,
    primary_key: Option<Pos>,
    fields: HashMap<String, FieldSites>,
    fallback: FieldSites,
}

#[derive(Debug, Default)]
struct FieldSites {
    name: Pos,
    erase: Option<Pos>,
    references: Vec<Pos>,
}

impl Sites {
    /// Read positions from `source` (already checked, so its shape is the expected one; any
    /// part that is not found falls back to the start of the document).
    fn read(source: &str) -> Sites {
        let mut sites = Sites::default();
        let Ok(Some(root)) = node::parse(source) else {
            return sites;
        };
        sites.collections_pos = root.pos;
        let Some((key, collections)) = entry(&root, "collections") else {
            return sites;
        };
        sites.collections_pos = key;
        let NodeKind::Seq(items) = &collections.kind else {
            return sites;
        };
        for item in items {
            let Some((_, name)) = entry(item, "name") else {
                continue;
            };
            let mut c = CollectionSites {
                name: name.pos,
                primary_key: entry(item, "primary_key").map(|(_, v)| v.pos),
                ..CollectionSites::default()
            };
            if let Some((_, NodeKind::Seq(fields))) =
                entry(item, "fields").map(|(k, v)| (k, &v.kind))
            {
                for field in fields {
                    let Some((_, fname)) = entry(field, "name") else {
                        continue;
                    };
                    let references = match entry(field, "references").map(|(_, v)| &v.kind) {
                        Some(NodeKind::Seq(refs)) => refs.iter().map(|r| r.pos).collect(),
                        _ => Vec::new(),
                    };
                    c.fields.insert(
                        text(fname),
                        FieldSites {
                            name: fname.pos,
                            erase: entry(field, "erase").map(|(_, v)| v.pos),
                            references,
                        },
                    );
                }
            }
            sites.collections.insert(text(name), c);
        }
        sites
    }

    fn collection(&self, name: &str) -> &CollectionSites {
        self.collections.get(name).unwrap_or(&self.fallback)
    }
}

impl CollectionSites {
    fn field(&self, name: &str) -> &FieldSites {
        self.fields.get(name).unwrap_or(&self.fallback)
    }
}

/// The key position and value of `key` in the map `node`.
fn entry<'n>(node: &'n Node, key: &str) -> Option<(Pos, &'n Node)> {
    let NodeKind::Map(entries) = &node.kind else {
        return None;
    };
    entries
        .iter()
        .find(|(k, _)| matches!(&k.kind, NodeKind::Scalar { text, .. } if text == key))
        .map(|(k, v)| (k.pos, v))
}

fn text(node: &Node) -> String {
    match &node.kind {
        NodeKind::Scalar { text, .. } => text.trim().to_owned(),
        _ => String::new(),
    }
}
