//! Reading the node tree into a draft dataset, reporting every shape error with its position.
//!
//! Like the register's decoder, it never stops at the first problem: a broken entry is reported
//! and skipped and the rest is still read. The draft keeps the position of everything the
//! cross-checks in [`crate::validate`] talk about. Nothing read from `connection` is ever put
//! into a message: a secret written there by mistake is not repeated.

use std::collections::HashMap;

use skydd_register::diagnostic::Diagnostic;
use skydd_register::model::{CategoryId, RuleId};
use skydd_register::node::{Node, NodeKind, Pos};
use skydd_register::shape::{Fields, Reader};

use crate::model::*;

/// The format document every missing-key help points at.
pub(crate) const DOCS: &str = "docs/dataset-format.md";

/// The longest table, schema or column name accepted (PostgreSQL's limit; MySQL allows 64).
const MAX_IDENTIFIER: usize = 63;

/// A dataset as far as it could be read, with positions.
#[derive(Debug, Default)]
pub(crate) struct Draft {
    pub(crate) name: Option<String>,
    pub(crate) description: Option<String>,
    pub(crate) kind: Option<DatabaseKind>,
    pub(crate) connection: Option<Connection>,
    pub(crate) tls: Option<Tls>,
    pub(crate) collections: Vec<DraftCollection>,
    /// Where `collections` starts (or the document, when it is missing).
    pub(crate) collections_pos: Pos,
}

/// A collection as read, with the positions the cross-checks report at.
#[derive(Debug)]
pub(crate) struct DraftCollection {
    pub(crate) collection: Collection,
    pub(crate) pos: Pos,
    pub(crate) primary_key_pos: Vec<Pos>,
    pub(crate) fields: Vec<FieldSites>,
    pub(crate) after_pos: Vec<Pos>,
    pub(crate) erase_after_pos: Vec<Pos>,
    /// Where `retention.anchor` and `retention.rule` are written.
    pub(crate) retention_pos: Option<(Pos, Pos)>,
    pub(crate) unreachable_pos: Option<Pos>,
}

/// Where the parts of a field are written (parallel to `Collection::fields`).
#[derive(Debug)]
pub(crate) struct FieldSites {
    pub(crate) name: Pos,
    pub(crate) category: Option<Pos>,
    pub(crate) identity: Option<Pos>,
    /// The `erase` value, or the field when `erase` is not written.
    pub(crate) erase: Pos,
    pub(crate) erase_written: bool,
    pub(crate) references: Vec<Pos>,
    pub(crate) outside_hold: Option<Pos>,
}

/// Keys that would hold a secret if they were allowed in `connection`.
const SECRET_KEYS: &[&str] = &[
    "url", "uri", "dsn", "password", "passwd", "user", "username", "host", "string",
];

/// Decode a whole document.
pub(crate) fn decode(root: &Node, r: &mut Reader) -> Draft {
    let mut draft = Draft {
        collections_pos: root.pos,
        ..Draft::default()
    };
    let Some(mut top) = r.fields(root, "the dataset") else {
        return draft;
    };
    format(r, &mut top);
    draft.name = r
        .required(&mut top, "name")
        .and_then(|n| r.id(n, "dataset"));
    draft.description = r.opt_string(&mut top, "description");
    draft.kind = r.required(&mut top, "kind").and_then(|n| r.choice(n));
    draft.connection = r
        .required(&mut top, "connection")
        .and_then(|n| connection(r, n));
    let tls_node = top.get("tls");
    draft.tls = tls(r, tls_node, draft.kind);
    if let Some(node) = r.required(&mut top, "collections") {
        draft.collections_pos = node.pos;
        let items = r.list(node, "collections");
        if items.is_empty() && matches!(node.kind, NodeKind::Seq(_)) {
            r.push(
                Diagnostic::error(
                    "invalid-value",
                    node.pos,
                    "the dataset declares no collection",
                )
                .with_help("list the tables that hold personal data under `collections:`"),
            );
        }
        draft.collections = items
            .into_iter()
            .filter_map(|item| collection(r, item))
            .collect();
    }
    r.finish(top);
    draft
}

fn format(r: &mut Reader, top: &mut Fields<'_>) {
    let Some(node) = r.required(top, "skydd_dataset") else {
        return;
    };
    if !matches!(&node.kind, NodeKind::Scalar { text, plain: true } if text == "1") {
        r.push(
            Diagnostic::error("invalid-value", node.pos, "unsupported dataset format")
                .with_help("this version of Skydd reads `skydd_dataset: 1`"),
        );
    }
}

/// `connection: {env: NAME}` or `{file: PATH}`. No message quotes what is written here.
fn connection(r: &mut Reader, node: &Node) -> Option<Connection> {
    if let NodeKind::Scalar { .. } = node.kind {
        r.push(
            Diagnostic::error(
                "secret-in-file",
                node.pos,
                "the connection is written into the dataset file; it holds credentials and must not be there",
            )
            .with_help("write `connection: {env: VARIABLE}` (an environment variable holds the URL) or `connection: {file: /etc/skydd/NAME.url}` (a file only its owner can read), and change the password if this file was shared"),
        );
        return None;
    }
    let mut f = r.fields(node, "the connection")?;
    for key in SECRET_KEYS {
        if let Some(pos) = f.key_pos(key) {
            f.get(key);
            r.push(
                Diagnostic::error(
                    "secret-in-file",
                    pos,
                    format!("`{key}` would put credentials into the dataset file"),
                )
                .with_help("give only `env: VARIABLE` or `file: PATH`; the URL with user and password goes into that variable or file"),
            );
        }
    }
    let env = f.get("env").map(|n| (n, r.string(n)));
    let file = f.get("file").map(|n| (n, r.string(n)));
    let pos = f.pos;
    r.finish(f);
    match (env, file) {
        (Some(_), Some((file, _))) => {
            r.push(
                Diagnostic::error(
                    "invalid-value",
                    file.pos,
                    "the connection has both `env` and `file`",
                )
                .with_help("keep one of them"),
            );
            None
        }
        (Some((node, Some(name))), None) => {
            let valid = name.len() <= 128
                && name.starts_with(|c: char| c.is_ascii_uppercase() || c == '_')
                && name
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
            if valid {
                return Some(Connection::Env(name));
            }
            let (code, message) = if looks_like_a_secret(&name) {
                (
                    "secret-in-file",
                    "`env` holds a connection string, not the name of a variable",
                )
            } else {
                (
                    "invalid-value",
                    "`env` is not the name of an environment variable",
                )
            };
            r.push(Diagnostic::error(code, node.pos, message).with_help(
                "write the variable's name in capitals, digits and `_`, such as `SHOP_DATABASE_URL`; its value (the URL) is read when Skydd connects",
            ));
            None
        }
        (None, Some((node, Some(path)))) => {
            if looks_like_a_secret(&path) {
                r.push(
                    Diagnostic::error(
                        "secret-in-file",
                        node.pos,
                        "`file` holds a connection string, not a path",
                    )
                    .with_help("write the path of a file that holds the URL, such as `/etc/skydd/shop.url`, readable only by its owner"),
                );
                return None;
            }
            if !path.starts_with('/') {
                r.push(
                    Diagnostic::error("invalid-value", node.pos, "`file` is not an absolute path")
                        .with_help("write the full path, such as `/etc/skydd/shop.url`, so it does not depend on the directory Skydd starts in"),
                );
                return None;
            }
            Some(Connection::File(path))
        }
        (None, None) => {
            r.push(
                Diagnostic::error("missing-key", pos, "the connection needs `env` or `file`")
                    .with_help("write `connection: {env: VARIABLE}` or `connection: {file: PATH}`"),
            );
            None
        }
        // An empty value, already reported.
        _ => None,
    }
}

/// A URL with a scheme or credentials, where a name or path was expected.
pub(crate) fn looks_like_a_secret(text: &str) -> bool {
    text.contains("://") || text.contains('@') || text.contains("password")
}

fn tls(r: &mut Reader, node: Option<&Node>, kind: Option<DatabaseKind>) -> Option<Tls> {
    if kind == Some(DatabaseKind::Sqlite) {
        if let Some(node) = node {
            r.push(
                Diagnostic::error("invalid-value", node.pos, "SQLite is a file; it has no TLS")
                    .with_help("remove `tls`"),
            );
        }
        return None;
    }
    let Some(node) = node else {
        return Some(Tls {
            mode: TlsMode::VerifyFull,
            ca_file: None,
        });
    };
    let mut f = r.fields(node, "the TLS settings")?;
    let mode = r.required(&mut f, "mode").and_then(|n| r.choice(n));
    let ca_file = f.get("ca_file").map(|n| (n.pos, r.string(n)));
    r.finish(f);
    let mode = mode?;
    let ca_file = match ca_file {
        None => None,
        Some((_, None)) => return None,
        Some((pos, Some(path))) => {
            if !matches!(mode, TlsMode::VerifyCa | TlsMode::VerifyFull) {
                r.push(
                    Diagnostic::error(
                        "invalid-value",
                        pos,
                        format!("`ca_file` is not used with `mode: {}`", mode_word(mode)),
                    )
                    .with_help("use `mode: verify-full` (or `verify-ca`) to verify the server against this CA, or remove `ca_file`"),
                );
                return None;
            }
            if !path.starts_with('/') {
                r.push(
                    Diagnostic::error("invalid-value", pos, "`ca_file` is not an absolute path")
                        .with_help("write the full path, such as `/etc/ssl/certs/db-ca.pem`"),
                );
                return None;
            }
            Some(path)
        }
    };
    Some(Tls { mode, ca_file })
}

fn mode_word(mode: TlsMode) -> &'static str {
    use skydd_register::model::Choice as _;
    mode.word()
}

/// A table, schema or column name: letters, digits and `_`, not starting with a digit. Quoting
/// is then never needed, and nothing else can reach an SQL statement.
fn identifier(r: &mut Reader, node: &Node, what: &str) -> Option<String> {
    let text = r.string(node)?;
    if !is_identifier(&text) {
        r.push(
            Diagnostic::error(
                "invalid-value",
                node.pos,
                format!("`{text}` is not a valid {what} name"),
            )
            .with_help(format!(
                "names are letters, digits and `_`, do not start with a digit and are at most {MAX_IDENTIFIER} long"
            )),
        );
        return None;
    }
    Some(text)
}

/// Whether `text` is a name [`identifier`] accepts.
pub(crate) fn is_identifier(text: &str) -> bool {
    text.len() <= MAX_IDENTIFIER
        && text.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// One name or a list of names, each with its position.
fn names(r: &mut Reader, node: &Node, what: &str) -> Vec<(String, Pos)> {
    let items = match &node.kind {
        NodeKind::Scalar { .. } => vec![node],
        _ => r.list(node, what),
    };
    items
        .into_iter()
        .filter_map(|n| identifier(r, n, what).map(|name| (name, n.pos)))
        .collect()
}

fn collection(r: &mut Reader, node: &Node) -> Option<DraftCollection> {
    let mut f = r.fields(node, "a collection")?;
    let name_node = r.required(&mut f, "name");
    let name = name_node.and_then(|n| identifier(r, n, "collection"));
    let schema = f.get("schema").and_then(|n| identifier(r, n, "schema"));
    let primary_key = r
        .required(&mut f, "primary_key")
        .map(|n| names(r, n, "column"))
        .unwrap_or_default();
    let reach_only = r.flag(&mut f, "reach_only");
    let unreachable_node = f.get("unreachable");
    let unreachable = unreachable_node.and_then(|n| r.string(n));
    let after = f
        .get("after")
        .map(|n| names(r, n, "collection"))
        .unwrap_or_default();
    let erase_after = f
        .get("erase_after")
        .map(|n| names(r, n, "collection"))
        .unwrap_or_default();
    let retention = f.get("retention").and_then(|n| retention(r, n));
    let mut fields = Vec::new();
    let mut sites: Vec<FieldSites> = Vec::new();
    // Field name -> index, so that a file with many fields is not read in quadratic time.
    let mut seen: HashMap<String, usize> = HashMap::new();
    if let Some(list) = r.required(&mut f, "fields") {
        for item in r.list(list, "fields") {
            let Some((field, site)) = field(r, item) else {
                continue;
            };
            if let Some(&first) = seen.get(&field.name) {
                r.push(
                    Diagnostic::error(
                        "duplicate-id",
                        site.name,
                        format!("field `{}` is declared twice", field.name),
                    )
                    .with_help(format!(
                        "first declared at line {}; declare each column once",
                        sites[first].name.line
                    )),
                );
                continue;
            }
            seen.insert(field.name.clone(), fields.len());
            fields.push(field);
            sites.push(site);
        }
    }
    r.finish(f);
    let name = name?;
    let pos = name_node.map_or(node.pos, |n| n.pos);
    let (retention, retention_pos) = match retention {
        Some((value, anchor, rule)) => (Some(value), Some((anchor, rule))),
        None => (None, None),
    };
    let (primary_key, primary_key_pos) = primary_key.into_iter().unzip();
    let (after, after_pos) = after.into_iter().unzip();
    let (erase_after, erase_after_pos) = erase_after.into_iter().unzip();
    Some(DraftCollection {
        collection: Collection {
            name,
            schema,
            primary_key,
            fields,
            retention,
            reach_only,
            unreachable,
            after,
            erase_after,
        },
        pos,
        primary_key_pos,
        fields: sites,
        after_pos,
        erase_after_pos,
        retention_pos,
        unreachable_pos: unreachable_node.map(|n| n.pos),
    })
}

fn retention(r: &mut Reader, node: &Node) -> Option<(Retention, Pos, Pos)> {
    let mut f = r.fields(node, "the retention of a collection")?;
    let anchor_node = r.required(&mut f, "anchor");
    let anchor = anchor_node.and_then(|n| identifier(r, n, "column"));
    let rule_node = r.required(&mut f, "rule");
    let rule = rule_node.and_then(|n| r.id(n, "retention rule"));
    r.finish(f);
    Some((
        Retention {
            anchor: anchor?,
            rule: RuleId(rule?),
        },
        anchor_node?.pos,
        rule_node?.pos,
    ))
}

fn field(r: &mut Reader, node: &Node) -> Option<(Field, FieldSites)> {
    let mut f = r.fields(node, "a field")?;
    let name_node = r.required(&mut f, "name");
    let name = name_node.and_then(|n| identifier(r, n, "column"));
    let category_node = f.get("category");
    let category = category_node.and_then(|n| r.id(n, "data category"));
    let identity_node = f.get("identity");
    let identity = identity_node.and_then(|n| r.choice::<skydd_subject::IdentityKind>(n));
    let mut references = Vec::new();
    let mut reference_pos = Vec::new();
    if let Some(list) = f.get("references") {
        for item in r.list(list, "references") {
            if let Some((reference, pos)) = reference(r, item) {
                references.push(reference);
                reference_pos.push(pos);
            }
        }
    }
    let erase = erasure(r, &mut f);
    let free_text = r.flag(&mut f, "free_text");
    let outside_hold_node = f.get("outside_hold");
    let outside_hold = outside_hold_node.and_then(|n| r.string(n));
    r.finish(f);
    let name_pos = name_node.map_or(node.pos, |n| n.pos);
    let (erase, erase_pos, erase_written) = match erase {
        Written::Absent => (Erasure::Keep, name_pos, false),
        // Reported already; the field stays, so that its other parts are still checked and
        // no second error claims it has no identity or no strategy.
        Written::Broken => (Erasure::Keep, name_pos, true),
        Written::Value(erase, pos) => (erase, pos, true),
    };
    Some((
        Field {
            name: name?,
            category: category.map(CategoryId),
            identity,
            references,
            erase,
            free_text,
            outside_hold,
        },
        FieldSites {
            name: name_pos,
            category: category_node.map(|n| n.pos),
            identity: identity_node.map(|n| n.pos),
            erase: erase_pos,
            erase_written,
            references: reference_pos,
            outside_hold: outside_hold_node.map(|n| n.pos),
        },
    ))
}

/// A value that may be absent, present but wrong (already reported), or read.
enum Written<T> {
    Absent,
    Broken,
    Value(T, Pos),
}

/// The words `erase` takes besides `null` and `{replace: VALUE}`.
const ERASE_WORDS: &[(&str, Erasure)] = &[
    ("keyed_hash", Erasure::KeyedHash),
    ("random", Erasure::Random),
    ("delete_row", Erasure::DeleteRow),
    ("keep", Erasure::Keep),
];

fn erasure(r: &mut Reader, f: &mut Fields<'_>) -> Written<Erasure> {
    let present = f.key_pos("erase").is_some();
    let node = f.get("erase");
    let raw = f
        .entries
        .iter()
        .find(|(k, _, _)| *k == "erase")
        .map(|(_, _, v)| *v);
    let Some(raw) = raw.filter(|_| present) else {
        return Written::Absent;
    };
    let help = "write `null`, `keyed_hash`, `random`, `delete_row`, `keep` or `{replace: VALUE}`";
    // `erase: null` is YAML null: the one strategy written as a null.
    if node.is_none() {
        return match &raw.kind {
            NodeKind::Scalar { text, .. } if !text.is_empty() => {
                Written::Value(Erasure::Null, raw.pos)
            }
            _ => {
                r.push(
                    Diagnostic::error("invalid-value", raw.pos, "`erase` has no value")
                        .with_help(help),
                );
                Written::Broken
            }
        };
    }
    match &raw.kind {
        NodeKind::Scalar { text, .. } => {
            let word = text.trim();
            if word == "null" {
                return Written::Value(Erasure::Null, raw.pos);
            }
            if let Some((_, erase)) = ERASE_WORDS.iter().find(|(w, _)| *w == word) {
                return Written::Value(erase.clone(), raw.pos);
            }
            let words = ERASE_WORDS
                .iter()
                .map(|(w, _)| *w)
                .chain(["null", "replace"]);
            let help = match skydd_register::diagnostic::did_you_mean(word, words) {
                Some("replace") => {
                    "write `erase: {replace: VALUE}` with the value to write".to_string()
                }
                Some(close) => format!("did you mean `{close}`?"),
                None => help.to_string(),
            };
            r.push(
                Diagnostic::error(
                    "invalid-value",
                    raw.pos,
                    format!("`{word}` is not an erasure strategy"),
                )
                .with_help(help),
            );
            Written::Broken
        }
        NodeKind::Map(_) => {
            let Some(mut m) = r.fields(raw, "an erasure strategy") else {
                return Written::Broken;
            };
            let value = r.required(&mut m, "replace").and_then(|n| match &n.kind {
                NodeKind::Scalar { text, .. } => Some(text.clone()),
                _ => {
                    r.push(
                        Diagnostic::error(
                            "wrong-type",
                            n.pos,
                            format!("expected a single value, found {}", n.type_name()),
                        )
                        .with_help("write the value that replaces the column's, such as `{replace: erased}`"),
                    );
                    None
                }
            });
            r.finish(m);
            match value {
                Some(value) => Written::Value(Erasure::Replace(value), raw.pos),
                None => Written::Broken,
            }
        }
        NodeKind::Seq(_) => {
            r.push(
                Diagnostic::error(
                    "wrong-type",
                    raw.pos,
                    "expected one erasure strategy, found a list",
                )
                .with_help(help),
            );
            Written::Broken
        }
    }
}

fn reference(r: &mut Reader, node: &Node) -> Option<(Reference, Pos)> {
    let mut f = r.fields(node, "a reference")?;
    let field_node = r.required(&mut f, "field");
    let path = field_node.and_then(|n| field_path(r, n));
    let direction = r
        .required(&mut f, "direction")
        .and_then(|n| r.choice::<Direction>(n));
    r.finish(f);
    Some((
        Reference {
            field: path?,
            direction: direction?,
        },
        field_node?.pos,
    ))
}

fn field_path(r: &mut Reader, node: &Node) -> Option<FieldPath> {
    let text = r.string(node)?;
    let Some((collection, field)) = text.split_once('.') else {
        r.push(
            Diagnostic::error(
                "invalid-value",
                node.pos,
                format!("`{text}` does not name a field as `collection.field`"),
            )
            .with_help("write the collection and the field joined by a dot, such as `customer.id`"),
        );
        return None;
    };
    if !is_identifier(collection) || !is_identifier(field) {
        r.push(
            Diagnostic::error(
                "invalid-value",
                node.pos,
                format!("`{text}` does not name a field as `collection.field`"),
            )
            .with_help(
                "both names are letters, digits and `_`; references stay inside the dataset",
            ),
        );
        return None;
    }
    Some(FieldPath {
        collection: collection.to_string(),
        field: field.to_string(),
    })
}
