//! Importing ethyca/fides datasets: their YAML and a category map in, a draft of our dataset
//! format (YAML text, every guess commented) and the diagnostics of what could not be converted out.
//!
//! A Fides dataset describes a database's tables and fields with fideslang data categories and a
//! `fides_meta` per field (`identity`, `primary_key`, `references` as `dataset.collection.field`
//! with a `direction`, `data_type`, `read_only`, masking overrides, nested `fields` for JSON).
//! [`import`] reads one or more of them (several Fides datasets often describe one database,
//! as the three of Fides' example database do) with the position-aware node tree of
//! `skydd-register`, so every problem has a line and column, maps each fideslang category to a
//! register category through the map (longest matching prefix, see `docs/dataset-format.md`),
//! and writes one dataset of ours. Everything it decides that Fides did not say carries a
//! `# guess:` comment; everything it cannot convert is a diagnostic, all of them in one run. A
//! draft with no error passes [`crate::check`] against the register: the import checks it and
//! reports any failure as its own error. No I/O, no clock.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::fmt::Write as _;

use skydd_register::diagnostic::{Diagnostic, did_you_mean};
use skydd_register::model::{CategoryId, Choice as _, LegalHold};
use skydd_register::node::{self, Node, NodeKind, Pos};
use skydd_register::shape::Reader;
use skydd_subject::IdentityKind;

use crate::decode::is_identifier;
use crate::model::{DatabaseKind, Direction, Erasure};
use crate::{Register, check};

/// The format document the import's help lines point at.
const DOCS: &str = "docs/dataset-format.md#importing-a-fides-dataset";

/// One input file: the name it is shown under (comments of the draft) and its text.
#[derive(Debug, Clone, Copy)]
pub struct Input<'a> {
    /// The file's name as the user gave it; written into the draft's header comment.
    pub name: &'a str,
    /// The file's YAML text.
    pub text: &'a str,
}

/// Which file a [`Finding`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// The Fides dataset file at this index of the `datasets` given to [`import`].
    Dataset(usize),
    /// The category map.
    Map,
    /// The draft itself (line and column in the produced text): it did not pass
    /// [`crate::check`], which the import reports rather than hand over a broken file.
    Draft,
}

/// A diagnostic and the file its line and column are in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The file the diagnostic's position is in.
    pub origin: Origin,
    /// What is wrong or guessed, where, and how to fix it.
    pub diagnostic: Diagnostic,
}

/// The result of [`import`].
#[derive(Debug, Clone)]
pub struct Imported {
    /// The draft dataset (YAML in our format), whenever the Fides datasets could be read at all;
    /// with errors it is partial: what could not be converted is left out and marked
    /// `# not converted:`.
    pub draft: Option<String>,
    /// Every error and warning, per file in source order; warnings are guesses worth a look.
    pub findings: Vec<Finding>,
}

impl Imported {
    /// Whether anything could not be converted (an error); warnings do not count.
    pub fn has_errors(&self) -> bool {
        self.findings.iter().any(|f| f.diagnostic.is_error())
    }
}

/// Convert the Fides `datasets` (together: one database) into a draft of our format, mapping
/// fideslang categories through `map`. `kind` is the database server, which Fides keeps in its
/// connection settings and not in the dataset. With a `register`, the map's targets are checked
/// against it, categories under a legal hold are kept, and the draft is checked against it.
pub fn import(
    datasets: &[Input<'_>],
    map: Input<'_>,
    register: Option<&Register>,
    kind: DatabaseKind,
) -> Imported {
    import_with_keys(datasets, map, register, kind, &PrimaryKeys::new())
}

/// The primary keys the database itself declares, by table name (columns in key order): what
/// [`import_with_keys`] uses where Fides declares none (Fides often leaves a composite key out,
/// as for `order_item` in its example database) or declares another.
pub type PrimaryKeys = BTreeMap<String, Vec<String>>;

/// [`import`], with the primary keys read from the live database: a table's key comes from
/// Fides' `fides_meta.primary_key` when that agrees with the database, else from the database
/// (the draft says so in a comment, and a warning names both when they disagree), and is
/// guessed (`# guess:`) only for a table `keys` does not name. Key columns Fides does not
/// declare are added to the draft as fields without a category.
pub fn import_with_keys(
    datasets: &[Input<'_>],
    map: Input<'_>,
    register: Option<&Register>,
    kind: DatabaseKind,
    keys: &PrimaryKeys,
) -> Imported {
    let mut findings = Vec::new();
    let map = read_map(map.text, register, &mut findings);
    let mut read = Vec::new();
    for (index, input) in datasets.iter().enumerate() {
        let mut reader = Reader::new(DOCS);
        if let Some(root) = parse(input.text, &mut reader) {
            read.extend(read_datasets(&root, index, &mut reader));
        }
        findings.extend(reader.diagnostics.into_iter().map(|diagnostic| Finding {
            origin: Origin::Dataset(index),
            diagnostic,
        }));
    }
    let draft = if let Some(map) = map.as_ref().filter(|_| !read.is_empty()) {
        let mut convert = Convert {
            files: datasets.iter().map(|d| d.name).collect(),
            map,
            register,
            live_keys: keys,
            findings: &mut findings,
        };
        let out = convert.dataset(&read, kind);
        Some(render(&out, datasets, &read))
    } else {
        None
    };
    if let Some(text) = &draft {
        let errors_so_far = findings.iter().any(|f| f.diagnostic.is_error());
        if !errors_so_far {
            // The promise: a draft without error passes `dataset check`. Anything it finds is a
            // gap of this import, reported where the draft has it.
            for diagnostic in check(text, register).diagnostics {
                if diagnostic.is_error() {
                    findings.push(Finding {
                        origin: Origin::Draft,
                        diagnostic: Diagnostic {
                            message: format!(
                                "the draft does not pass `skydd dataset check`: {}",
                                diagnostic.message
                            ),
                            ..diagnostic
                        },
                    });
                }
            }
        }
    }
    findings.sort_by_key(|f| {
        let origin = match f.origin {
            Origin::Map => 0,
            Origin::Dataset(i) => i + 1,
            Origin::Draft => usize::MAX,
        };
        (origin, f.diagnostic.line, f.diagnostic.column)
    });
    findings.dedup();
    Imported { draft, findings }
}

fn parse(text: &str, reader: &mut Reader) -> Option<Node> {
    match node::parse(text) {
        Ok(Some(root)) => Some(root),
        Ok(None) => {
            reader.push(
                Diagnostic::error(
                    "missing-key",
                    Pos { line: 1, column: 1 },
                    "the file is empty",
                )
                .with_help(format!("see {DOCS}")),
            );
            None
        }
        Err(error) => {
            reader.push(
                Diagnostic::error(
                    "yaml-syntax",
                    error.pos,
                    format!("invalid YAML: {}", error.message),
                )
                .with_help("fix the YAML syntax here; indentation and unclosed quotes or brackets are the usual causes"),
            );
            None
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The category map

/// One line of the map: a fideslang category (and, unless `below` is false, every category
/// under it) and the register category it stands for; `None`: not personal data.
#[derive(Debug)]
struct MapEntry {
    key: String,
    target: Option<CategoryId>,
    below: bool,
}

#[derive(Debug, Default)]
struct CategoryMap {
    entries: Vec<MapEntry>,
}

impl CategoryMap {
    /// The entry for `category`: its own key, else the longest key above it that covers what is
    /// below it.
    fn lookup(&self, category: &str) -> Option<&MapEntry> {
        if let Some(exact) = self.entries.iter().find(|e| e.key == category) {
            return Some(exact);
        }
        self.entries
            .iter()
            .filter(|e| {
                e.below
                    && category.len() > e.key.len()
                    && category.starts_with(e.key.as_str())
                    && category.as_bytes().get(e.key.len()) == Some(&b'.')
            })
            .max_by_key(|e| e.key.len())
    }
}

/// The map, or `None` when the file is not a YAML map at all (reported): nothing is then
/// converted, rather than every category reported as unmapped.
fn read_map(
    text: &str,
    register: Option<&Register>,
    findings: &mut Vec<Finding>,
) -> Option<CategoryMap> {
    let mut reader = Reader::new(DOCS);
    let mut map = None;
    if let Some(root) = parse(text, &mut reader)
        && let Some(fields) = reader.fields(&root, "the category map")
    {
        let map = map.insert(CategoryMap::default());
        for (key, key_node, value) in fields.entries {
            let valid_key = !key.is_empty()
                && key.split('.').all(|part| {
                    !part.is_empty()
                        && part
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
                });
            if !valid_key {
                reader.push(
                    Diagnostic::error(
                        "invalid-value",
                        key_node.pos,
                        format!("`{key}` is not a fideslang data category"),
                    )
                    .with_help("write a fideslang category such as `user.contact.email`"),
                );
                continue;
            }
            let (target_node, below) = match &value.kind {
                NodeKind::Map(_) => {
                    let Some(mut f) = reader.fields(value, "a map entry") else {
                        continue;
                    };
                    let target = f.get("category");
                    let below_node = f.get("below");
                    let below = below_node.and_then(|n| reader.boolean(n)).unwrap_or(true);
                    let category_written = f.key_pos("category").is_some();
                    if !category_written {
                        reader.push(
                            Diagnostic::error(
                                "missing-key",
                                value.pos,
                                format!("the entry for `{key}` needs `category`"),
                            )
                            .with_help("write `{category: REGISTER_CATEGORY, below: false}`, or `category: ~` when it is not personal data"),
                        );
                    }
                    reader.finish(f);
                    if !category_written {
                        continue;
                    }
                    (target, below)
                }
                _ => (Some(value).filter(|v| !v.is_null()), true),
            };
            let target = match target_node {
                None => None,
                Some(node) => {
                    let Some(id) = reader.id(node, "data category") else {
                        continue;
                    };
                    if let Some(register) = register {
                        let ids = || register.data.iter().map(|c| c.id.as_str());
                        if !ids().any(|known| known == id) {
                            let help = match did_you_mean(&id, ids()) {
                                Some(close) => format!("did you mean `{close}`?"),
                                None => format!(
                                    "the register's categories: {}",
                                    ids().collect::<Vec<_>>().join(", ")
                                ),
                            };
                            reader.push(
                                Diagnostic::error(
                                    "unknown-reference",
                                    node.pos,
                                    format!("the register has no data category `{id}`"),
                                )
                                .with_help(help),
                            );
                            continue;
                        }
                    }
                    Some(CategoryId(id))
                }
            };
            map.entries.push(MapEntry {
                key: key.to_string(),
                target,
                below,
            });
        }
    }
    findings.extend(reader.diagnostics.into_iter().map(|diagnostic| Finding {
        origin: Origin::Map,
        diagnostic,
    }));
    map
}

// ---------------------------------------------------------------------------------------------
// Reading Fides datasets

/// A Fides dataset as read.
#[derive(Debug)]
struct FDataset {
    file: usize,
    key: String,
    description: Option<String>,
    collections: Vec<FCollection>,
}

#[derive(Debug)]
struct FCollection {
    name: String,
    pos: Pos,
    fields: Vec<FField>,
    after: Vec<(String, Pos)>,
    erase_after: Vec<(String, Pos)>,
    /// Where `masking_strategy_override: {strategy: delete}` is written, if it is.
    delete_rows: Option<Pos>,
}

#[derive(Debug)]
struct FField {
    name: String,
    pos: Pos,
    /// Each fideslang category and where it is written.
    categories: Vec<(String, Pos)>,
    identity: Option<(String, Pos)>,
    primary_key: bool,
    references: Vec<FReference>,
    data_type: Option<String>,
    read_only: bool,
    masking: Option<(Masking, Pos)>,
    /// Where nested `fields` (or an object or array type) make it a JSON document.
    nested: Option<Pos>,
}

#[derive(Debug)]
struct FReference {
    dataset: Option<String>,
    path: String,
    direction: Option<Direction>,
    pos: Pos,
}

/// A field's `masking_strategy_override`, as far as ours can say the same.
#[derive(Debug)]
enum Masking {
    Same(Erasure),
    Other(String),
}

/// Keys of a field's `fides_meta` that carry no meaning for Skydd and are dropped silently.
const SILENT_META: &[&str] = &["length", "data_type", "return_all_elements"];

/// Fides' `True`/`true` (Python writes the capital).
fn truthy(node: &Node, reader: &mut Reader, what: &str) -> bool {
    match &node.kind {
        NodeKind::Scalar { text, plain: true }
            if matches!(text.as_str(), "true" | "True" | "TRUE") =>
        {
            true
        }
        NodeKind::Scalar { text, plain: true }
            if matches!(text.as_str(), "false" | "False" | "FALSE") =>
        {
            false
        }
        _ => {
            reader.push(
                Diagnostic::error(
                    "invalid-value",
                    node.pos,
                    format!("`{what}` expects `true` or `false`"),
                )
                .with_help("write `true` or `false` without quotes"),
            );
            false
        }
    }
}

fn entries(node: &Node) -> Vec<(&str, &Node, &Node)> {
    match &node.kind {
        NodeKind::Map(pairs) => pairs
            .iter()
            .filter_map(|(k, v)| match &k.kind {
                NodeKind::Scalar { text, .. } => Some((text.as_str(), k, v)),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn value<'n>(node: &'n Node, key: &str) -> Option<&'n Node> {
    entries(node)
        .into_iter()
        .find(|(k, _, _)| *k == key)
        .map(|(_, _, v)| v)
        .filter(|v| !v.is_null())
}

/// The `fides_meta` of a collection or field (`fidesops_meta` in datasets written for fidesops,
/// Fides' predecessor).
fn meta(node: &Node) -> Option<&Node> {
    value(node, "fides_meta").or_else(|| value(node, "fidesops_meta"))
}

fn not_converted(reader: &mut Reader, pos: Pos, what: String) {
    reader.push(
        Diagnostic::warning("not-converted", pos, what)
            .with_help("Skydd's dataset format has no equivalent; the draft leaves it out"),
    );
}

fn read_datasets(root: &Node, file: usize, r: &mut Reader) -> Vec<FDataset> {
    let Some(list) = value(root, "dataset") else {
        r.push(
            Diagnostic::error(
                "missing-key",
                root.pos,
                "a Fides dataset file starts with `dataset:`",
            )
            .with_help(
                "give the Fides dataset YAML (`dataset: [{fides_key: ..., collections: [...]}]`)",
            ),
        );
        return Vec::new();
    };
    let mut out = Vec::new();
    for item in r.list(list, "Fides datasets") {
        if r.fields(item, "a Fides dataset").is_none() {
            continue;
        }
        let Some(key) = value(item, "fides_key").and_then(|n| r.string(n)) else {
            r.push(
                Diagnostic::error("missing-key", item.pos, "a Fides dataset needs `fides_key`")
                    .with_help("every Fides dataset has a `fides_key`"),
            );
            continue;
        };
        let description = value(item, "description").and_then(|n| r.string(n));
        let mut collections = Vec::new();
        match value(item, "collections") {
            None => r.push(
                Diagnostic::error(
                    "missing-key",
                    item.pos,
                    format!("the Fides dataset `{key}` has no `collections`"),
                )
                .with_help("a dataset lists its tables under `collections`"),
            ),
            Some(list) => {
                for c in r.list(list, "collections") {
                    if let Some(collection) = read_collection(c, r) {
                        collections.push(collection);
                    }
                }
            }
        }
        out.push(FDataset {
            file,
            key,
            description,
            collections,
        });
    }
    out
}

fn read_collection(node: &Node, r: &mut Reader) -> Option<FCollection> {
    r.fields(node, "a Fides collection")?;
    let name_node = value(node, "name");
    let Some(name) = name_node.and_then(|n| r.string(n)) else {
        r.push(
            Diagnostic::error("missing-key", node.pos, "a collection needs `name`")
                .with_help("name the table"),
        );
        return None;
    };
    let pos = name_node.map_or(node.pos, |n| n.pos);
    let mut collection = FCollection {
        name,
        pos,
        fields: Vec::new(),
        after: Vec::new(),
        erase_after: Vec::new(),
        delete_rows: None,
    };
    if let Some(meta) = meta(node).filter(|m| r.fields(m, "fides_meta").is_some()) {
        for (key, key_node, v) in entries(meta) {
            match key {
                "after" | "erase_after" => {
                    let names: Vec<(String, Pos)> = r
                        .list(v, "collections")
                        .into_iter()
                        .filter_map(|n| r.string(n).map(|s| (s, n.pos)))
                        .collect();
                    if key == "after" {
                        collection.after = names;
                    } else {
                        collection.erase_after = names;
                    }
                }
                "masking_strategy_override" => {
                    let strategy = value(v, "strategy").and_then(|n| r.string(n));
                    if strategy.as_deref() == Some("delete") {
                        collection.delete_rows = Some(key_node.pos);
                    } else {
                        not_converted(
                            r,
                            key_node.pos,
                            format!(
                                "the collection's masking strategy `{}` is not converted",
                                strategy.unwrap_or_default()
                            ),
                        );
                    }
                }
                _ if v.is_null() => {}
                other => not_converted(
                    r,
                    key_node.pos,
                    format!(
                        "`fides_meta.{other}` of `{}` is not converted",
                        collection.name
                    ),
                ),
            }
        }
    }
    match value(node, "fields") {
        None => r.push(
            Diagnostic::error(
                "missing-key",
                node.pos,
                format!("the collection `{}` has no `fields`", collection.name),
            )
            .with_help("list the table's columns under `fields`"),
        ),
        Some(list) => {
            for f in r.list(list, "fields") {
                if let Some(field) = read_field(f, r) {
                    collection.fields.push(field);
                }
            }
        }
    }
    Some(collection)
}

fn read_field(node: &Node, r: &mut Reader) -> Option<FField> {
    r.fields(node, "a Fides field")?;
    let name_node = value(node, "name");
    let Some(name) = name_node.and_then(|n| r.string(n)) else {
        r.push(
            Diagnostic::error("missing-key", node.pos, "a field needs `name`")
                .with_help("name the column"),
        );
        return None;
    };
    let mut field = FField {
        name,
        pos: name_node.map_or(node.pos, |n| n.pos),
        categories: Vec::new(),
        identity: None,
        primary_key: false,
        references: Vec::new(),
        data_type: None,
        read_only: false,
        masking: None,
        nested: None,
    };
    if let Some(list) = value(node, "data_categories") {
        field.categories = r
            .list(list, "data categories")
            .into_iter()
            .filter_map(|n| r.string(n).map(|s| (s, n.pos)))
            .collect();
    }
    if let Some((_, key, _)) = entries(node)
        .into_iter()
        .find(|(k, _, v)| *k == "fields" && !v.is_null())
    {
        field.nested = Some(key.pos);
    }
    let Some(meta) = meta(node).filter(|m| r.fields(m, "fides_meta").is_some()) else {
        return Some(field);
    };
    for (key, key_node, v) in entries(meta) {
        if v.is_null() {
            continue;
        }
        match key {
            "identity" => field.identity = r.string(v).map(|s| (s, v.pos)),
            "primary_key" => field.primary_key = truthy(v, r, "primary_key"),
            "read_only" => field.read_only = truthy(v, r, "read_only"),
            "data_type" => {
                field.data_type = r.string(v);
                if field
                    .data_type
                    .as_deref()
                    .is_some_and(|t| t == "object" || t.ends_with("[]"))
                {
                    field.nested.get_or_insert(v.pos);
                }
            }
            "references" => {
                for item in r.list(v, "references") {
                    if r.fields(item, "a Fides reference").is_none() {
                        continue;
                    }
                    let path_node = value(item, "field");
                    let Some(path) = path_node.and_then(|n| r.string(n)) else {
                        r.push(
                            Diagnostic::error("missing-key", item.pos, "a reference needs `field`")
                                .with_help("write `field: collection.field`"),
                        );
                        continue;
                    };
                    let direction = value(item, "direction").and_then(|n| r.choice::<Direction>(n));
                    field.references.push(FReference {
                        dataset: value(item, "dataset").and_then(|n| r.string(n)),
                        path,
                        direction,
                        pos: path_node.map_or(item.pos, |n| n.pos),
                    });
                }
            }
            "masking_strategy_override" => {
                let strategy = value(v, "strategy")
                    .and_then(|n| r.string(n))
                    .unwrap_or_default();
                let config = value(v, "configuration");
                let masking = match strategy.as_str() {
                    "null_rewrite" => Masking::Same(Erasure::Null),
                    "hash" | "hmac" => Masking::Same(Erasure::KeyedHash),
                    "random_string_rewrite" => Masking::Same(Erasure::Random),
                    "string_rewrite" => match config
                        .and_then(|c| value(c, "rewrite_value"))
                        .and_then(|n| r.string(n))
                    {
                        Some(rewrite) => Masking::Same(Erasure::Replace(rewrite)),
                        None => Masking::Other(strategy.clone()),
                    },
                    _ => Masking::Other(strategy.clone()),
                };
                if config.is_some_and(|c| value(c, "format_preservation").is_some()) {
                    not_converted(
                        r,
                        key_node.pos,
                        format!(
                            "the format preservation of `{}`'s masking is not converted",
                            field.name
                        ),
                    );
                }
                field.masking = Some((masking, key_node.pos));
            }
            _ if SILENT_META.contains(&key) => {}
            other => not_converted(
                r,
                key_node.pos,
                format!("`fides_meta.{other}` of `{}` is not converted", field.name),
            ),
        }
    }
    Some(field)
}

// ---------------------------------------------------------------------------------------------
// Converting

/// The draft of one of our collections.
#[derive(Debug, Default)]
struct OutCollection {
    name: String,
    from: String,
    primary_key: Vec<String>,
    /// The comment above `primary_key` when Fides did not declare it (a guess says `guess:`).
    key_note: Option<String>,
    unreachable: Option<String>,
    after: Vec<String>,
    erase_after: Vec<String>,
    fields: Vec<OutField>,
}

/// A value and the comment written beside it.
type Noted<T> = (T, String);

#[derive(Debug, Default)]
struct OutField {
    name: String,
    category: Option<Noted<CategoryId>>,
    identity: Option<Noted<IdentityKind>>,
    references: Vec<(String, Direction, Option<String>)>,
    erase: Option<Noted<Erasure>>,
    not_converted: Vec<String>,
    /// A comment above the field (why it is there when Fides does not declare it).
    note: Option<String>,
}

struct OutDataset {
    name: String,
    description: Option<String>,
    kind: DatabaseKind,
    collections: Vec<OutCollection>,
}

struct Convert<'a> {
    /// The dataset files' names, for messages that point from one file into another.
    files: Vec<&'a str>,
    map: &'a CategoryMap,
    register: Option<&'a Register>,
    /// The database's own primary keys, by table (empty when not read).
    live_keys: &'a PrimaryKeys,
    findings: &'a mut Vec<Finding>,
}

impl Convert<'_> {
    fn report(&mut self, file: usize, diagnostic: Diagnostic) {
        self.findings.push(Finding {
            origin: Origin::Dataset(file),
            diagnostic,
        });
    }

    fn dataset(&mut self, read: &[FDataset], kind: DatabaseKind) -> OutDataset {
        let keys: HashSet<&str> = read.iter().map(|d| d.key.as_str()).collect();
        // Every declared `collection.field`, to resolve references.
        let mut declared: HashMap<&str, HashSet<&str>> = HashMap::new();
        for d in read {
            for c in &d.collections {
                declared
                    .entry(c.name.as_str())
                    .or_default()
                    .extend(c.fields.iter().map(|f| f.name.as_str()));
            }
        }
        // Columns other columns join to: masking them would break the join, as masking a key would.
        let joined: HashSet<(&str, &str)> = read
            .iter()
            .flat_map(|d| &d.collections)
            .flat_map(|c| &c.fields)
            .flat_map(|f| &f.references)
            .filter_map(|r| r.path.split_once('.'))
            .collect();
        let mut seen: HashMap<&str, (usize, usize)> = HashMap::new();
        let mut collections = Vec::new();
        for d in read {
            for c in &d.collections {
                if let Some(&(file, line)) = seen.get(c.name.as_str()) {
                    let at = if file == d.file {
                        format!("line {line}")
                    } else {
                        format!(
                            "{}:{line}",
                            self.files.get(file).copied().unwrap_or_default()
                        )
                    };
                    self.report(
                        d.file,
                        Diagnostic::error(
                            "duplicate-id",
                            c.pos,
                            format!("the collection `{}` is declared twice", c.name),
                        )
                        .with_help(format!(
                            "first declared at {at}; one dataset of ours has each table once, so keep one of them"
                        )),
                    );
                    continue;
                }
                seen.insert(c.name.as_str(), (d.file, c.pos.line));
                collections.push(self.collection(d, c, &keys, &declared, &joined));
            }
        }
        self.reachability(read, &mut collections);
        // The first dataset names ours (`import` converts only when one was read).
        OutDataset {
            name: read
                .first()
                .map_or_else(|| "fides".to_string(), |d| snake(&d.key)),
            description: read.first().and_then(|d| d.description.clone()),
            kind,
            collections,
        }
    }

    fn collection(
        &mut self,
        d: &FDataset,
        c: &FCollection,
        keys: &HashSet<&str>,
        declared: &HashMap<&str, HashSet<&str>>,
        joined: &HashSet<(&str, &str)>,
    ) -> OutCollection {
        let mut out = OutCollection {
            name: c.name.clone(),
            from: format!("`{}`, line {}", d.key, c.pos.line),
            ..OutCollection::default()
        };
        if !is_identifier(&c.name) {
            self.report(
                d.file,
                Diagnostic::error("invalid-value", c.pos, format!("`{}` is not a table name Skydd accepts", c.name))
                    .with_help("names are letters, digits and `_`, do not start with a digit and are at most 63 long"),
            );
        }
        for (list, into) in [
            (&c.after, &mut out.after),
            (&c.erase_after, &mut out.erase_after),
        ] {
            for (name, pos) in list {
                match name.split_once('.') {
                    Some((dataset, collection)) if keys.contains(dataset) => into.push(collection.to_string()),
                    _ => self.findings.push(Finding {
                        origin: Origin::Dataset(d.file),
                        diagnostic: Diagnostic::error(
                            "cross-dataset-reference",
                            *pos,
                            format!("`{name}` is not a collection of the datasets imported"),
                        )
                        .with_help("a dataset of ours is one database: import the datasets of the same database together, and order across databases is not expressed"),
                    }),
                }
            }
        }
        // The primary key: declared by Fides, else the database's, else guessed.
        let declared_key: Vec<String> = c
            .fields
            .iter()
            .filter(|f| f.primary_key)
            .map(|f| f.name.clone())
            .collect();
        let live_key = self
            .live_keys
            .get(&c.name)
            .filter(|k| !k.is_empty())
            .cloned();
        match live_key {
            Some(live) if declared_key.is_empty() => {
                out.key_note = Some(format!(
                    "Fides declares no primary key; [{}] is the database's",
                    live.join(", ")
                ));
                out.primary_key = live;
            }
            Some(live) if !same_columns(&live, &declared_key) => {
                self.report(
                    d.file,
                    Diagnostic::warning(
                        "key-mismatch",
                        c.pos,
                        format!(
                            "Fides declares [{}] as the primary key of `{}`, the database [{}]; the draft uses the database's",
                            declared_key.join(", "),
                            c.name,
                            live.join(", ")
                        ),
                    )
                    .with_help("erasure finds rows by the key, so it must be the one the database enforces; correct `primary_key` in the Fides dataset too"),
                );
                out.key_note = Some(format!(
                    "the database's primary key; Fides declares [{}]",
                    declared_key.join(", ")
                ));
                out.primary_key = live;
            }
            _ if !declared_key.is_empty() => out.primary_key = declared_key,
            _ => {
                let guess: Vec<String> = if c.fields.iter().any(|f| f.name == "id") {
                    vec!["id".to_string()]
                } else {
                    c.fields
                        .iter()
                        .filter(|f| f.nested.is_none())
                        .map(|f| f.name.clone())
                        .collect()
                };
                let shown = guess.join(", ");
                self.report(
                    d.file,
                    Diagnostic::warning(
                        "guessed-key",
                        c.pos,
                        format!("Fides declares no primary key for `{}`; the draft guesses [{shown}]", c.name),
                    )
                    .with_help("look the table's key up in the database and correct `primary_key` (a column it needs that Fides does not declare is added as a field); erasure finds rows by it (Fides skips erasing such tables, fides#1199)"),
                );
                out.key_note = Some(if guess.len() == 1 && guess[0] == "id" {
                    "guess: Fides declares no primary key; `id` is the usual one".to_string()
                } else {
                    "guess: Fides declares no primary key; every declared column together identifies a row (check the database's key)"
                        .to_string()
                });
                out.primary_key = guess;
            }
        }
        // Fields with a category under a legal hold make deleting the row wrong.
        let mut fields: Vec<OutField> = Vec::new();
        for f in &c.fields {
            fields.push(self.field(d, c, f, keys, declared));
        }
        let holds_held = fields.iter().any(|f| {
            f.category
                .as_ref()
                .is_some_and(|(cat, _)| self.hold(cat).is_some())
        });
        if let Some(pos) = c.delete_rows.filter(|_| holds_held) {
            self.report(
                d.file,
                Diagnostic::warning(
                    "legal-hold",
                    pos,
                    format!("deleting rows of `{}` would delete data a legal hold keeps; the draft masks column by column instead", c.name),
                )
                .with_help("if the held columns are not the copies the law requires, write `outside_hold: REASON` on them and `erase: delete_row`"),
            );
        }
        for (f, field) in c.fields.iter().zip(&mut fields) {
            let Some((category, _)) = &field.category else {
                continue;
            };
            let is_key = out.primary_key.contains(&f.name)
                || !field.references.is_empty()
                || joined.contains(&(c.name.as_str(), f.name.as_str()));
            field.erase = Some(self.erasure(d.file, c, f, category, is_key, holds_held));
        }
        // Key columns the database has and Fides does not declare.
        for column in &out.primary_key {
            if !c.fields.iter().any(|f| &f.name == column) {
                fields.push(OutField {
                    name: column.clone(),
                    note: Some(
                        "not in the Fides dataset: part of the database's primary key".to_string(),
                    ),
                    ..OutField::default()
                });
            }
        }
        out.fields = fields;
        out
    }

    fn hold(&self, category: &CategoryId) -> Option<&LegalHold> {
        self.register?
            .legal_holds
            .iter()
            .find(|h| h.categories.contains(category))
    }

    fn field(
        &mut self,
        d: &FDataset,
        c: &FCollection,
        f: &FField,
        keys: &HashSet<&str>,
        declared: &HashMap<&str, HashSet<&str>>,
    ) -> OutField {
        let mut out = OutField {
            name: f.name.clone(),
            ..OutField::default()
        };
        if !is_identifier(&f.name) {
            self.report(
                d.file,
                Diagnostic::error("invalid-value", f.pos, format!("`{}` is not a column name Skydd accepts", f.name))
                    .with_help("names are letters, digits and `_`, do not start with a digit and are at most 63 long"),
            );
        }
        if let Some(pos) = f.nested {
            self.report(
                d.file,
                Diagnostic::error(
                    "nested-field",
                    pos,
                    format!("`{}.{}` holds nested fields (a JSON document); the dataset format declares whole columns only", c.name, f.name),
                )
                .with_help("declare the column as a whole with the category of what it holds (write it by hand in the draft), or leave the JSON out of Skydd's reach and say so"),
            );
            out.not_converted.push(
                "nested fields (JSON) are not supported; declare the column by hand".to_string(),
            );
            return out;
        }
        // Categories.
        let mut mapped: Vec<(CategoryId, String, &str)> = Vec::new();
        for (category, pos) in &f.categories {
            match self.map.lookup(category) {
                Some(entry) => {
                    if let Some(target) = &entry.target {
                        mapped.push((target.clone(), category.clone(), entry.key.as_str()));
                    }
                }
                None => {
                    let help = match did_you_mean(
                        category,
                        self.map.entries.iter().map(|e| e.key.as_str()),
                    ) {
                        Some(close) => format!(
                            "did you mean `{close}`? otherwise add `{category}: REGISTER_CATEGORY` (or a shorter prefix of it) to the map, or `{category}: ~` if it is not personal data"
                        ),
                        None => format!(
                            "add `{category}: REGISTER_CATEGORY` (or a shorter prefix of it) to the map, or `{category}: ~` if it is not personal data"
                        ),
                    };
                    self.report(
                        d.file,
                        Diagnostic::error(
                            "unmapped-category",
                            *pos,
                            format!(
                                "the map gives no register category for `{category}` (`{}.{}`)",
                                c.name, f.name
                            ),
                        )
                        .with_help(help),
                    );
                    out.not_converted
                        .push(format!("`{category}` is not in the map"));
                }
            }
        }
        let distinct: Vec<&CategoryId> = {
            let mut v: Vec<&CategoryId> = Vec::new();
            for (id, _, _) in &mapped {
                if !v.contains(&id) {
                    v.push(id);
                }
            }
            v
        };
        if distinct.len() > 1 {
            let pos = f.categories.first().map_or(f.pos, |(_, p)| *p);
            let list = mapped
                .iter()
                .map(|(id, fides, _)| format!("`{fides}` → `{id}`"))
                .collect::<Vec<_>>()
                .join(", ");
            self.report(
                d.file,
                Diagnostic::error(
                    "conflicting-categories",
                    pos,
                    format!("`{}.{}` maps to several register categories: {list}", c.name, f.name),
                )
                .with_help("a column of ours has one category: map these fideslang categories to the same one, or split the data"),
            );
            out.not_converted
                .push(format!("several register categories: {list}"));
        } else if let Some((id, fides, key)) = mapped.first() {
            let via = if fides == key {
                format!("fideslang `{fides}`")
            } else {
                format!("fideslang `{fides}`, mapped by `{key}`")
            };
            out.category = Some((id.clone(), via));
        }
        // Identity.
        if let Some((name, pos)) = &f.identity {
            let kind = match name.as_str() {
                "email" => IdentityKind::Email,
                "phone_number" => IdentityKind::Phone,
                other => {
                    self.report(
                        d.file,
                        Diagnostic::warning(
                            "identity-kind",
                            *pos,
                            format!("the Fides identity `{other}` has no kind of its own in Skydd; the draft uses `external_id`"),
                        )
                        .with_help("if it is a customer number or a personnummer, write `customer_number` or `personnummer`"),
                    );
                    IdentityKind::ExternalId
                }
            };
            let note = if kind == IdentityKind::ExternalId {
                format!("guess: Fides identity `{name}`")
            } else {
                format!("Fides identity `{name}`")
            };
            out.identity = Some((kind, note));
            if out.category.is_none() && distinct.len() <= 1 {
                let canonical = match kind {
                    IdentityKind::Email => "user.contact.email",
                    IdentityKind::Phone => "user.contact.phone_number",
                    _ => "user.unique_id",
                };
                match self.map.lookup(canonical).and_then(|e| e.target.clone()) {
                    Some(id) => {
                        self.report(
                            d.file,
                            Diagnostic::warning(
                                "identity-category",
                                *pos,
                                format!("`{}.{}` is an identity, but its Fides categories are not personal data; the draft gives it `{id}`, the map's category of `{canonical}`", c.name, f.name),
                            )
                            .with_help("an identity is personal data; correct the category if another fits better"),
                        );
                        out.category = Some((
                            id,
                            format!("guess: an identity is personal data; the map's category of `{canonical}`"),
                        ));
                    }
                    None => self.report(
                        d.file,
                        Diagnostic::error(
                            "identity-category",
                            *pos,
                            format!("`{}.{}` is an identity, but neither its categories nor `{canonical}` map to a register category", c.name, f.name),
                        )
                        .with_help(format!("map `{canonical}` in the map, or give the field a personal-data category in Fides")),
                    ),
                }
            }
        }
        // References.
        for reference in &f.references {
            let other_dataset = reference
                .dataset
                .as_deref()
                .is_some_and(|name| !keys.contains(name));
            if other_dataset {
                let dataset = reference.dataset.as_deref().unwrap_or_default();
                self.report(
                    d.file,
                    Diagnostic::error(
                        "cross-dataset-reference",
                        reference.pos,
                        format!("`{}.{}` refers to `{}` in another dataset, `{dataset}`", c.name, f.name, reference.path),
                    )
                    .with_help(format!("a dataset of ours is one database and its references stay inside it; if `{dataset}` is the same database, import it in the same run, else the request reaches it through its own identities")),
                );
                out.not_converted.push(format!(
                    "reference to `{dataset}.{}` in another dataset",
                    reference.path
                ));
                continue;
            }
            let resolved = reference.path.split_once('.').filter(|(coll, field)| {
                !field.contains('.')
                    && declared
                        .get(coll)
                        .is_some_and(|fields| fields.contains(field))
            });
            if resolved.is_none() {
                let message = if reference.path.matches('.').count() > 1 {
                    format!(
                        "`{}` points into a nested field; the dataset format joins whole columns",
                        reference.path
                    )
                } else {
                    format!(
                        "`{}` is not a field of the datasets imported",
                        reference.path
                    )
                };
                self.report(
                    d.file,
                    Diagnostic::error("unknown-reference", reference.pos, message)
                        .with_help("write `collection.field` of a field the datasets declare"),
                );
                out.not_converted
                    .push(format!("reference to `{}`", reference.path));
                continue;
            }
            match reference.direction {
                Some(direction) => out
                    .references
                    .push((reference.path.clone(), direction, None)),
                None => {
                    self.report(
                        d.file,
                        Diagnostic::warning(
                            "reference-direction",
                            reference.pos,
                            format!("the reference to `{}` has no direction; Fides follows it both ways, and so does the draft", reference.path),
                        )
                        .with_help("keep only the direction a request should follow: `to` (this column finds rows there) or `from` (that column finds rows here)"),
                    );
                    let note = Some("guess: Fides gives no direction, so both".to_string());
                    out.references
                        .push((reference.path.clone(), Direction::To, note.clone()));
                    out.references
                        .push((reference.path.clone(), Direction::From, note));
                }
            }
        }
        out
    }

    fn erasure(
        &mut self,
        file: usize,
        c: &FCollection,
        f: &FField,
        category: &CategoryId,
        is_key: bool,
        holds_held: bool,
    ) -> Noted<Erasure> {
        if f.read_only {
            return (
                Erasure::Keep,
                "Fides marks it read_only: never changed".to_string(),
            );
        }
        if let Some(hold) = self.hold(category).map(|h| h.id.to_string()) {
            if let Some((_, pos)) = &f.masking {
                self.report(
                    file,
                    Diagnostic::warning(
                        "legal-hold",
                        *pos,
                        format!("Fides masks `{}.{}`, but the register keeps `{category}` under the legal hold `{hold}`; the draft keeps it", c.name, f.name),
                    )
                    .with_help("if this column is not the copy the law requires, write `outside_hold: REASON` and the strategy in the draft"),
                );
            }
            if f.masking.is_none() {
                // Fides erases every field by default; keeping this one is a choice to report.
                let pos = f.categories.first().map_or(f.pos, |(_, p)| *p);
                self.report(
                    file,
                    Diagnostic::warning(
                        "held-category",
                        pos,
                        format!("`{}.{}` holds `{category}`, which the register keeps under the legal hold `{hold}`; Fides would erase it, the draft keeps it (`erase: keep`)", c.name, f.name),
                    )
                    .with_help("if this column is not the copy the law requires (an e-mail address on a visit log, say), write `outside_hold: REASON` and a strategy; else leave it kept"),
                );
            }
            return (
                Erasure::Keep,
                format!(
                    "guess: `{category}` is kept under the legal hold `{hold}`; if this column is not the copy the law requires, write `outside_hold: REASON` and a strategy"
                ),
            );
        }
        if is_key {
            return if holds_held {
                (
                    Erasure::Keep,
                    "guess: a key column cannot be masked, and deleting the row would delete data a legal hold keeps".to_string(),
                )
            } else {
                (
                    Erasure::DeleteRow,
                    "guess: a key column cannot be masked, so erasure deletes the row".to_string(),
                )
            };
        }
        if c.delete_rows.is_some() && !holds_held {
            return (
                Erasure::DeleteRow,
                "the collection's masking_strategy_override `delete`".to_string(),
            );
        }
        if let Some((masking, pos)) = &f.masking {
            match masking {
                Masking::Same(erasure) => {
                    return (erasure.clone(), "Fides' masking_strategy_override".to_string());
                }
                Masking::Other(strategy) => self.report(
                    file,
                    Diagnostic::warning(
                        "not-converted",
                        *pos,
                        format!("the masking strategy `{strategy}` of `{}.{}` has no equivalent; the draft uses Fides' default, `null`", c.name, f.name),
                    )
                    .with_help("choose `null`, `keyed_hash`, `random`, `delete_row` or `{replace: VALUE}`"),
                ),
            }
        }
        let typed = f
            .data_type
            .as_deref()
            .map_or("a column of undeclared type".to_string(), |t| {
                format!("a column of type `{t}`")
            });
        (
            Erasure::Null,
            format!(
                "guess: Fides' default erasure (null_rewrite) on {typed}; a NOT NULL column needs another strategy"
            ),
        )
    }

    /// Collections no identity reaches get `unreachable`, a guess.
    fn reachability(&mut self, read: &[FDataset], collections: &mut [OutCollection]) {
        let index: HashMap<&str, usize> = collections
            .iter()
            .enumerate()
            .map(|(i, c)| (c.name.as_str(), i))
            .collect();
        let mut edges: Vec<Vec<usize>> = vec![Vec::new(); collections.len()];
        let mut reached = vec![false; collections.len()];
        let mut queue = VecDeque::new();
        for (i, c) in collections.iter().enumerate() {
            if c.fields.iter().any(|f| f.identity.is_some()) {
                reached[i] = true;
                queue.push_back(i);
            }
            for f in &c.fields {
                for (path, direction, _) in &f.references {
                    let Some(&j) = path.split_once('.').and_then(|(coll, _)| index.get(coll))
                    else {
                        continue;
                    };
                    match direction {
                        Direction::To => edges[i].push(j),
                        Direction::From => edges[j].push(i),
                    }
                }
            }
        }
        if queue.is_empty() {
            let (file, pos) = read
                .iter()
                .find_map(|d| d.collections.first().map(|c| (d.file, c.pos)))
                .unwrap_or((0, Pos { line: 1, column: 1 }));
            self.report(
                file,
                Diagnostic::error("no-identity", pos, "no field of the datasets imported is an identity (`fides_meta.identity`), so no request could reach any table")
                    .with_help("import this dataset together with the one of the same database that declares the identities (`import-fides A.yml B.yml`)"),
            );
            return;
        }
        while let Some(i) = queue.pop_front() {
            for &j in &edges[i] {
                if !reached[j] {
                    reached[j] = true;
                    queue.push_back(j);
                }
            }
        }
        let positions: HashMap<&str, (usize, Pos)> = read
            .iter()
            .flat_map(|d| {
                d.collections
                    .iter()
                    .map(move |c| (c.name.as_str(), (d.file, c.pos)))
            })
            .collect();
        for (i, c) in collections.iter_mut().enumerate() {
            if reached[i] {
                continue;
            }
            if let Some(&(file, pos)) = positions.get(c.name.as_str()) {
                self.findings.push(Finding {
                    origin: Origin::Dataset(file),
                    diagnostic: Diagnostic::warning(
                        "unreachable",
                        pos,
                        format!("no identity or reference reaches `{}`; the draft marks it unreachable", c.name),
                    )
                    .with_help("if it holds personal data, give it an identity or a reference from a table a request reaches; else keep the reason"),
                });
            }
            c.unreachable =
                Some("no identity or reference reaches it in the Fides dataset".to_string());
        }
    }
}

/// Whether two keys have the same columns, in any order.
fn same_columns(a: &[String], b: &[String]) -> bool {
    a.len() == b.len() && a.iter().all(|x| b.contains(x))
}

/// A Fides key as one of our ids: lower snake case, starting with a letter.
fn snake(key: &str) -> String {
    let mut out: String = key
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    if !out.starts_with(|c: char| c.is_ascii_lowercase()) {
        out.insert_str(0, "db_");
    }
    out.truncate(64);
    out
}

// ---------------------------------------------------------------------------------------------
// Writing the draft

/// A YAML scalar for `text`: plain when that reads back the same, else double-quoted.
fn scalar(text: &str) -> String {
    let plain = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/' | ' '))
        && !text.starts_with([' ', '-', '.'])
        && !text.ends_with(' ')
        && !matches!(
            text.to_ascii_lowercase().as_str(),
            "null" | "true" | "false" | "yes" | "no" | "on" | "off" | "~"
        )
        && text.parse::<f64>().is_err();
    if plain {
        return text.to_string();
    }
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Text for a comment: one line.
fn comment(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

fn erase_value(erasure: &Erasure) -> String {
    match erasure {
        Erasure::Replace(value) => format!("{{replace: {}}}", scalar(value)),
        other => other.word().to_string(),
    }
}

fn names(list: &[String]) -> String {
    match list {
        [one] => one.clone(),
        many => format!("[{}]", many.join(", ")),
    }
}

fn render(out: &OutDataset, inputs: &[Input<'_>], read: &[FDataset]) -> String {
    let mut s = String::new();
    // Writing to a String cannot fail: the results of `writeln!` below are ignored for that reason.
    let _ = writeln!(
        s,
        "# Drafted by `skydd dataset import-fides` from the Fides dataset(s):"
    );
    for d in read {
        let file = inputs.get(d.file).map_or("", |i| i.name);
        let _ = writeln!(s, "#   `{}` in {}", comment(&d.key), comment(file));
    }
    let _ = writeln!(
        s,
        "# Every `# guess:` is a choice Fides did not make: review each, then run"
    );
    let _ = writeln!(s, "#   skydd dataset check FILE --register REGISTER");
    let _ = writeln!(s, "# The format is described in docs/dataset-format.md.");
    let _ = writeln!(s);
    let _ = writeln!(s, "skydd_dataset: 1");
    if let Some(first) = read.first() {
        let _ = writeln!(s, "# From the Fides key `{}`.", comment(&first.key));
    }
    let _ = writeln!(s, "name: {}", out.name);
    if let Some(description) = &out.description {
        let _ = writeln!(s, "description: {}", scalar(description));
    }
    let _ = writeln!(
        s,
        "# guess: Fides keeps the database's kind in its connection settings, not in the dataset."
    );
    let _ = writeln!(s, "kind: {}", out.kind.word());
    let _ = writeln!(s, "connection:");
    let _ = writeln!(
        s,
        "  # guess: set this variable to the URL; the URL never goes into this file."
    );
    let _ = writeln!(s, "  env: {}_DATABASE_URL", out.name.to_ascii_uppercase());
    if out.kind != DatabaseKind::Sqlite {
        let _ = writeln!(s, "# TLS: `verify-full` unless `tls:` says otherwise.");
    }
    let _ = writeln!(s);
    let _ = writeln!(s, "collections:");
    for c in &out.collections {
        let _ = writeln!(s, "  # From {}.", comment(&c.from));
        let _ = writeln!(s, "  - name: {}", scalar(&c.name));
        if let Some(note) = &c.key_note {
            let _ = writeln!(s, "    # {}", comment(note));
        }
        let _ = writeln!(s, "    primary_key: {}", names(&c.primary_key));
        if let Some(reason) = &c.unreachable {
            let _ = writeln!(
                s,
                "    # guess: nothing leads here; a table with personal data needs a way in."
            );
            let _ = writeln!(s, "    unreachable: {}", scalar(reason));
        }
        if !c.after.is_empty() {
            let _ = writeln!(s, "    after: {}", names(&c.after));
        }
        if !c.erase_after.is_empty() {
            let _ = writeln!(s, "    erase_after: {}", names(&c.erase_after));
        }
        let _ = writeln!(s, "    fields:");
        for f in &c.fields {
            for note in &f.not_converted {
                let _ = writeln!(s, "      # not converted: {}", comment(note));
            }
            if let Some(note) = &f.note {
                let _ = writeln!(s, "      # {}", comment(note));
            }
            let _ = writeln!(s, "      - name: {}", scalar(&f.name));
            if let Some((category, via)) = &f.category {
                let _ = writeln!(s, "        # {}", comment(via));
                let _ = writeln!(s, "        category: {category}");
            }
            if let Some((kind, via)) = &f.identity {
                let _ = writeln!(s, "        # {}", comment(via));
                let _ = writeln!(s, "        identity: {}", kind.as_str());
            }
            if !f.references.is_empty() {
                let _ = writeln!(s, "        references:");
                for (path, direction, note) in &f.references {
                    if let Some(note) = note {
                        let _ = writeln!(s, "          # {}", comment(note));
                    }
                    let _ = writeln!(
                        s,
                        "          - {{field: {path}, direction: {}}}",
                        direction.word()
                    );
                }
            }
            if let Some((erasure, why)) = &f.erase {
                let _ = writeln!(s, "        # {}", comment(why));
                let _ = writeln!(s, "        erase: {}", erase_value(erasure));
            }
        }
        let _ = writeln!(s);
    }
    while s.ends_with("\n\n") {
        s.pop();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(entries: &[(&str, Option<&str>, bool)]) -> CategoryMap {
        CategoryMap {
            entries: entries
                .iter()
                .map(|(key, target, below)| MapEntry {
                    key: key.to_string(),
                    target: target.map(|t| CategoryId(t.to_string())),
                    below: *below,
                })
                .collect(),
        }
    }

    #[test]
    fn the_longest_prefix_wins_and_exact_keys_cover_nothing_below() {
        let m = map(&[
            ("user", Some("a"), false),
            ("user.contact", Some("b"), true),
            ("user.contact.email", Some("c"), true),
        ]);
        let target = |c: &str| m.lookup(c).map(|e| e.key.as_str());
        assert_eq!(target("user.contact.email"), Some("user.contact.email"));
        assert_eq!(target("user.contact.address.city"), Some("user.contact"));
        assert_eq!(target("user"), Some("user"));
        assert_eq!(target("user.name"), None);
        // A prefix is a whole segment: `user.contactx` is not below `user.contact`.
        assert_eq!(target("user.contactx"), None);
    }

    #[test]
    fn scalars_read_back_as_written() {
        assert_eq!(scalar("customer"), "customer");
        assert_eq!(scalar("null"), "\"null\"");
        assert_eq!(scalar("12"), "\"12\"");
        assert_eq!(scalar("a: b"), "\"a: b\"");
        assert_eq!(scalar("say \"hi\"\n"), "\"say \\\"hi\\\"\\u000a\"");
    }

    #[test]
    fn keys_become_ids() {
        assert_eq!(snake("postgres_example"), "postgres_example");
        assert_eq!(snake("My-Shop.DB"), "my_shop_db");
        assert_eq!(snake("1shop"), "db_1shop");
    }
}
