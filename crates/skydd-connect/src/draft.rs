//! Drafting a dataset from a live schema (`skydd dataset introspect`): every table of the
//! default schema with its primary key and columns, foreign keys as references, and guesses of
//! identity kinds and the register's data categories from column names, each guess marked with
//! a `# guess:` comment for a person to confirm. With the guesses accepted as written, the draft
//! passes `skydd_dataset::check` against the register it was drafted with (when some table
//! holds an identity).

use std::collections::{HashMap, HashSet, VecDeque};
use std::fmt::Write as _;

use skydd_dataset::DatabaseKind;
use skydd_register::Register;
use skydd_register::model::Choice as _;
use skydd_subject::IdentityKind;

use crate::schema::{Column, Schema, Table};

/// What the draft is called and where its connection string will come from.
#[derive(Debug, Clone)]
pub struct DraftOptions {
    /// The dataset's `name` (lower snake case).
    pub name: String,
    /// The environment variable `connection.env` names.
    pub connection_env: String,
}

/// A reference guessed from a foreign key: on `column` of a table, to `target`, this way.
#[derive(Debug, Clone)]
struct Guess {
    column: String,
    target: String,
    direction: &'static str,
}

/// Write the draft YAML for the tables of `schema`'s default schema.
pub fn draft(
    schema: &Schema,
    kind: DatabaseKind,
    register: Option<&Register>,
    options: &DraftOptions,
) -> String {
    let tables: Vec<&Table> = schema
        .tables
        .iter()
        .filter(|t| t.schema == schema.default_schema && !t.view)
        .collect();
    let left_out: Vec<String> = schema
        .tables
        .iter()
        .filter(|t| t.schema != schema.default_schema || t.view)
        .map(|t| t.qualified())
        .collect();
    let names: HashSet<&str> = tables.iter().map(|t| t.name.as_str()).collect();

    // Identity and category guesses per (table, column).
    let mut identities: HashMap<(&str, &str), IdentityKind> = HashMap::new();
    let mut categories: HashMap<(&str, &str), String> = HashMap::new();
    for table in &tables {
        for column in &table.columns {
            if let Some(category) = register.and_then(|r| category_for(r, &column.name)) {
                categories.insert((&table.name, &column.name), category);
            }
        }
        for column in &table.columns {
            let Some(identity) = identity_for(table, column) else {
                continue;
            };
            // An identity is personal data: it needs a category (its own, or the table's
            // e-mail's) when a register is given.
            let category = categories
                .get(&(table.name.as_str(), column.name.as_str()))
                .cloned()
                .or_else(|| {
                    table.columns.iter().find_map(|c| {
                        categories
                            .get(&(table.name.as_str(), c.name.as_str()))
                            .cloned()
                    })
                });
            match (register, category) {
                (Some(_), Some(category)) => {
                    categories.insert((&table.name, &column.name), category);
                    identities.insert((&table.name, &column.name), identity);
                }
                (Some(_), None) => {}
                (None, _) => {
                    identities.insert((&table.name, &column.name), identity);
                }
            }
        }
    }

    // References: walk the foreign keys outwards from the tables that hold an identity, so
    // that each points the way a request travels; the rest point at what they reference.
    let mut reached: HashSet<&str> = identities.keys().map(|(t, _)| *t).collect();
    let mut queue: VecDeque<&str> = reached.iter().copied().collect();
    let mut refs: HashMap<&str, Vec<Guess>> = HashMap::new();
    let mut done: HashSet<(&str, &str)> = HashSet::new();
    let edges: Vec<(&Table, &crate::schema::ForeignKey)> = tables
        .iter()
        .flat_map(|t| t.foreign_keys.iter().map(move |k| (*t, k)))
        .filter(|(_, k)| {
            k.referenced_schema == schema.default_schema
                && names.contains(k.referenced_table.as_str())
                && k.columns.len() == 1
        })
        .collect();
    while let Some(at) = queue.pop_front() {
        for (table, key) in &edges {
            let (from, to) = (table.name.as_str(), key.referenced_table.as_str());
            if done.contains(&(from, key.name.as_str())) {
                continue;
            }
            let (next, guess_on, guess) = if to == at {
                // This table's rows are found by the reached table's key.
                (
                    from,
                    from,
                    Guess {
                        column: key.columns[0].clone(),
                        target: format!("{to}.{}", key.referenced_columns[0]),
                        direction: "from",
                    },
                )
            } else if from == at {
                (
                    to,
                    from,
                    Guess {
                        column: key.columns[0].clone(),
                        target: format!("{to}.{}", key.referenced_columns[0]),
                        direction: "to",
                    },
                )
            } else {
                continue;
            };
            done.insert((from, key.name.as_str()));
            refs.entry(guess_on).or_default().push(guess);
            if reached.insert(next) {
                queue.push_back(next);
            }
        }
    }
    for (table, key) in &edges {
        if !done.contains(&(table.name.as_str(), key.name.as_str())) {
            refs.entry(table.name.as_str()).or_default().push(Guess {
                column: key.columns[0].clone(),
                target: format!("{}.{}", key.referenced_table, key.referenced_columns[0]),
                direction: "to",
            });
        }
    }

    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Drafted by `skydd dataset introspect` from the live schema. Every line marked `# guess:`"
    );
    let _ = writeln!(
        out,
        "# is a guess from a column's name or a foreign key: confirm or correct it, choose what erasure"
    );
    let _ = writeln!(
        out,
        "# does to each column (the draft keeps everything), then `skydd dataset check FILE --connect`."
    );
    if !left_out.is_empty() {
        let _ = writeln!(
            out,
            "# Left out (another schema, or a view): {}.",
            left_out.join(", ")
        );
    }
    if identities.is_empty() {
        let _ = writeln!(
            out,
            "# No column looked like an identity: mark the columns that identify a person (`identity:`)."
        );
    }
    let _ = writeln!(
        out,
        "\nskydd_dataset: 1\nname: {}\nkind: {}",
        options.name,
        kind.word()
    );
    let _ = writeln!(
        out,
        "connection:\n  # The URL is read from this variable when Skydd connects; never write it here.\n  env: {}",
        options.connection_env
    );
    if kind != DatabaseKind::Sqlite {
        let _ = writeln!(
            out,
            "tls:\n  mode: verify-full # guess: the safe default; `disable` only for a server on the same host"
        );
    }
    let _ = writeln!(out, "\ncollections:");
    for table in &tables {
        let _ = writeln!(out, "  - name: {}", ident(&table.name));
        if kind == DatabaseKind::Postgres {
            let _ = writeln!(out, "    schema: {}", ident(&table.schema));
        }
        let (key, key_note) = primary_key(table);
        let _ = writeln!(
            out,
            "    primary_key: [{}]{key_note}",
            key.iter().map(|c| ident(c)).collect::<Vec<_>>().join(", ")
        );
        if !reached.contains(table.name.as_str()) {
            let _ = writeln!(
                out,
                "    # guess: no identity column or foreign key leads here; say why, or add an identity or a reference"
            );
            let _ = writeln!(
                out,
                "    unreachable: \"no column identifies a person and no foreign key leads here from one that does\""
            );
        }
        let _ = writeln!(out, "    fields:");
        let table_refs = refs.get(table.name.as_str());
        for column in &table.columns {
            let _ = writeln!(out, "      - name: {}", ident(&column.name));
            let at = (table.name.as_str(), column.name.as_str());
            if let Some(category) = categories.get(&at) {
                let _ = writeln!(
                    out,
                    "        category: {category} # guess: from the column's name"
                );
            }
            if let Some(identity) = identities.get(&at) {
                let _ = writeln!(
                    out,
                    "        identity: {} # guess: from the column's name",
                    identity.as_str()
                );
            }
            if categories.contains_key(&at) {
                let _ = writeln!(
                    out,
                    "        erase: keep # guess: choose null, keyed_hash, random, delete_row or {{replace: VALUE}}"
                );
            }
            let guesses: Vec<&Guess> = table_refs
                .into_iter()
                .flatten()
                .filter(|g| g.column == column.name)
                .collect();
            if !guesses.is_empty() {
                let _ = writeln!(
                    out,
                    "        references: # guess: from a foreign key; the direction is the way a request travels"
                );
                for g in guesses {
                    let _ = writeln!(
                        out,
                        "          - {{field: {}, direction: {}}}",
                        g.target, g.direction
                    );
                }
            }
        }
    }
    out
}

/// The primary key, or a unique index, or every column (marked) when the table has neither.
fn primary_key(table: &Table) -> (Vec<String>, &'static str) {
    if !table.primary_key.is_empty() {
        return (table.primary_key.clone(), "");
    }
    if let Some(index) = table
        .indexes
        .iter()
        .find(|i| i.unique && i.columns.iter().all(|c| table.column(c).is_some()))
    {
        return (
            index.columns.clone(),
            " # guess: a unique index; the table has no primary key",
        );
    }
    (
        table.columns.iter().map(|c| c.name.clone()).collect(),
        " # guess: the table has no primary key or unique index: add one, erasure finds rows by it",
    )
}

/// A table or column name as YAML: plain when it is a plain identifier, else quoted.
fn ident(name: &str) -> String {
    if name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') && !name.is_empty() {
        name.to_owned()
    } else {
        format!("\"{}\"", name.replace('\\', "\\\\").replace('"', "\\\""))
    }
}

/// The identity a column's name (and, for a customer table's key, its role) suggests.
fn identity_for(table: &Table, column: &Column) -> Option<IdentityKind> {
    let name = column.name.to_ascii_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| name.contains(w));
    if !column.is_text() && !column.is_numeric() {
        return None;
    }
    if column.is_text() && has(&["email", "e_mail", "mail_address"]) {
        Some(IdentityKind::Email)
    } else if has(&["phone", "mobile", "telefon"]) {
        Some(IdentityKind::Phone)
    } else if has(&["personnummer", "personal_number", "ssn", "pnr"]) {
        Some(IdentityKind::Personnummer)
    } else if has(&[
        "customer_number",
        "customer_no",
        "customer_nr",
        "kundnummer",
        "kundnr",
    ]) {
        Some(IdentityKind::CustomerNumber)
    } else {
        let table_name = table.name.to_ascii_lowercase();
        let customer_table = [
            "customer",
            "customers",
            "kund",
            "kunder",
            "client",
            "clients",
        ]
        .contains(&table_name.as_str());
        (customer_table && table.primary_key == [column.name.clone()])
            .then_some(IdentityKind::CustomerNumber)
    }
}

/// The register category a column's name suggests: a category with a field of that name, else
/// one with a field of the format the name suggests (e-mail, phone, personnummer, address).
fn category_for(register: &Register, column: &str) -> Option<String> {
    let name = column.to_ascii_lowercase();
    if let Some(category) = register
        .data
        .iter()
        .find(|c| c.fields.iter().any(|f| f.id.as_str() == name))
    {
        return Some(category.id.as_str().to_owned());
    }
    let has = |words: &[&str]| words.iter().any(|w| name.contains(w));
    let format = if has(&["email", "e_mail"]) {
        "email"
    } else if has(&["phone", "mobile"]) {
        "phone"
    } else if has(&["personnummer", "ssn"]) {
        "personnummer"
    } else if has(&["street", "city", "zip", "postal", "postcode"]) {
        "postal_address"
    } else if has(&["ip_address", "ip_addr"]) {
        "ip_address"
    } else {
        return None;
    };
    register
        .data
        .iter()
        .find(|c| c.fields.iter().any(|f| f.format.word() == format))
        .map(|c| c.id.as_str().to_owned())
}
