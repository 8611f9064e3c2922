//! Reading a YAML node tree whose shape is fixed: maps with known keys, lists, plain values.
//!
//! [`Reader`] collects every shape error (unknown key with did-you-mean, missing key, wrong type,
//! empty value, a word outside its vocabulary) without stopping, so one run lists them all. The
//! register decoder is built on it, and so is every other file Skydd checks like the register
//! (the dataset files of `skydd-dataset`), so the same mistake reads the same everywhere.

use crate::diagnostic::{Diagnostic, did_you_mean};
use crate::model::Choice;
use crate::node::{Node, NodeKind, Pos};

/// The keys of a map being read, remembering which ones were asked for so that the rest can be
/// reported as unknown by [`Reader::finish`].
#[derive(Debug)]
pub struct Fields<'n> {
    /// What the map is, for messages ("a collection").
    pub what: &'static str,
    /// Where the map starts.
    pub pos: Pos,
    /// The entries (key text, key node, value node) in source order, duplicates already reported.
    pub entries: Vec<(&'n str, &'n Node, &'n Node)>,
    pub(crate) asked: Vec<&'static str>,
    /// Required keys found missing; reported by `finish`, unless a misspelt key explains them.
    pub(crate) missing: Vec<(&'static str, Pos)>,
}

impl<'n> Fields<'n> {
    /// The value under `key`; `None` when absent or null. Marks `key` as known here.
    pub fn get(&mut self, key: &'static str) -> Option<&'n Node> {
        self.asked.push(key);
        self.entries
            .iter()
            .find(|(k, _, _)| *k == key)
            .map(|(_, _, v)| *v)
            .filter(|v| !v.is_null())
    }

    /// Where `key` is written, if it is (also when its value is null).
    pub fn key_pos(&self, key: &str) -> Option<Pos> {
        self.entries
            .iter()
            .find(|(k, _, _)| *k == key)
            .map(|(_, k, _)| k.pos)
    }
}

/// Reads nodes into values and collects the diagnostics of what does not fit.
#[derive(Debug)]
pub struct Reader {
    /// Every diagnostic so far, in the order found.
    pub diagnostics: Vec<Diagnostic>,
    /// The document a missing key's help points at (`docs/register-format.md`).
    docs: &'static str,
}

impl Reader {
    /// A reader whose missing-key help points at the format document `docs`.
    pub fn new(docs: &'static str) -> Reader {
        Reader {
            diagnostics: Vec::new(),
            docs,
        }
    }

    /// Record a diagnostic.
    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.diagnostics.push(diagnostic);
    }

    /// The entries of a map, or `None` (reported) when `node` is not a map. Duplicate keys and
    /// keys that are not plain values are reported and left out.
    pub fn fields<'n>(&mut self, node: &'n Node, what: &'static str) -> Option<Fields<'n>> {
        let NodeKind::Map(pairs) = &node.kind else {
            self.push(
                Diagnostic::error(
                    "wrong-type",
                    node.pos,
                    format!("expected a map for {what}, found {}", node.type_name()),
                )
                .with_help("write `key: value` pairs, one per line"),
            );
            return None;
        };
        let mut entries: Vec<(&'n str, &'n Node, &'n Node)> = Vec::with_capacity(pairs.len());
        for (key, value) in pairs {
            let NodeKind::Scalar { text, .. } = &key.kind else {
                self.push(
                    Diagnostic::error("wrong-type", key.pos, "a key must be a plain word")
                        .with_help("write keys such as `name:`; lists and maps cannot be keys"),
                );
                continue;
            };
            if entries.iter().any(|(k, _, _)| k == text) {
                self.push(
                    Diagnostic::error(
                        "duplicate-key",
                        key.pos,
                        format!("`{text}` is given twice in {what}"),
                    )
                    .with_help("remove one of them; YAML keeps only one value per key"),
                );
                continue;
            }
            entries.push((text.as_str(), key, value));
        }
        Some(Fields {
            what,
            pos: node.pos,
            entries,
            asked: Vec::new(),
            missing: Vec::new(),
        })
    }

    /// Report the keys of `fields` nobody asked for (with did-you-mean) and the missing
    /// required ones (a misspelt required key is reported once, as the misspelling).
    pub fn finish(&mut self, fields: Fields<'_>) {
        let mut explained: Vec<&str> = Vec::new();
        for (key, key_node, _) in &fields.entries {
            if fields.asked.contains(key) {
                continue;
            }
            let mut diagnostic = Diagnostic::error(
                "unknown-key",
                key_node.pos,
                format!("unknown key `{key}` in {}", fields.what),
            );
            // A misspelt required key is one mistake: report it once, here.
            let missing = fields.missing.iter().map(|(k, _)| *k);
            if let Some(close) = did_you_mean(key, missing) {
                explained.push(close);
                self.push(
                    diagnostic.with_help(format!("did you mean `{close}`? it is required here")),
                );
                continue;
            }
            diagnostic = match did_you_mean(key, fields.asked.iter().copied()) {
                Some(close) => diagnostic.with_help(format!("did you mean `{close}`?")),
                None => diagnostic.with_help(format!(
                    "the format has no `{key}` in {}: remove it, or see {} (it has: {})",
                    fields.what,
                    self.docs,
                    fields.asked.join(", ")
                )),
            };
            self.push(diagnostic);
        }
        for (key, pos) in &fields.missing {
            if !explained.contains(key) {
                self.push(
                    Diagnostic::error(
                        "missing-key",
                        *pos,
                        format!("{} needs `{key}`", fields.what),
                    )
                    .with_help(format!("add `{key}:` (see {})", self.docs)),
                );
            }
        }
    }

    /// The value under `key`, noting it as missing (reported by `finish`) when absent or null.
    pub fn required<'n>(&mut self, fields: &mut Fields<'n>, key: &'static str) -> Option<&'n Node> {
        let node = fields.get(key);
        if node.is_none() {
            let pos = fields.key_pos(key).unwrap_or(fields.pos);
            fields.missing.push((key, pos));
        }
        node
    }

    /// The items of a list (`what` names them in the message when `node` is not a list).
    pub fn list<'n>(&mut self, node: &'n Node, what: &str) -> Vec<&'n Node> {
        match &node.kind {
            NodeKind::Seq(items) => items.iter().collect(),
            _ => {
                self.push(
                    Diagnostic::error(
                        "wrong-type",
                        node.pos,
                        format!("expected a list of {what}, found {}", node.type_name()),
                    )
                    .with_help("write a list: `[a, b]` or one `- item` per line"),
                );
                Vec::new()
            }
        }
    }

    /// A single non-empty value, trimmed.
    pub fn string(&mut self, node: &Node) -> Option<String> {
        match &node.kind {
            NodeKind::Scalar { text, .. } if !text.trim().is_empty() => {
                Some(text.trim().to_string())
            }
            NodeKind::Scalar { .. } => {
                self.push(
                    Diagnostic::error("invalid-value", node.pos, "this value is empty")
                        .with_help("write a value or remove the key"),
                );
                None
            }
            _ => {
                self.push(
                    Diagnostic::error(
                        "wrong-type",
                        node.pos,
                        format!("expected a single value, found {}", node.type_name()),
                    )
                    .with_help("write a plain value such as `name: Example AB`"),
                );
                None
            }
        }
    }

    /// The optional value under `key`.
    pub fn opt_string(&mut self, fields: &mut Fields<'_>, key: &'static str) -> Option<String> {
        fields.get(key).and_then(|n| self.string(n))
    }

    /// The required value under `key`.
    pub fn req_string(&mut self, fields: &mut Fields<'_>, key: &'static str) -> Option<String> {
        self.required(fields, key).and_then(|n| self.string(n))
    }

    /// An unquoted `true` or `false`.
    pub fn boolean(&mut self, node: &Node) -> Option<bool> {
        match &node.kind {
            NodeKind::Scalar { text, plain: true } if text == "true" => Some(true),
            NodeKind::Scalar { text, plain: true } if text == "false" => Some(false),
            _ => {
                self.push(
                    Diagnostic::error("invalid-value", node.pos, "expected `true` or `false`")
                        .with_help("write `true` or `false` without quotes"),
                );
                None
            }
        }
    }

    /// An optional boolean under `key`, `false` when absent (or wrong, which is reported).
    pub fn flag(&mut self, fields: &mut Fields<'_>, key: &'static str) -> bool {
        fields
            .get(key)
            .and_then(|n| self.boolean(n))
            .unwrap_or(false)
    }

    /// One word of the vocabulary `T`; a word outside it is reported with did-you-mean, or the
    /// list of words.
    pub fn choice<T: Choice>(&mut self, node: &Node) -> Option<T> {
        let word = self.string(node)?;
        if let Some((_, value)) = T::ALL.iter().find(|(w, _)| *w == word) {
            return Some(*value);
        }
        let words = T::ALL.iter().map(|(w, _)| *w);
        let help = match did_you_mean(&word, words.clone()) {
            Some(close) => format!("did you mean `{close}`?"),
            None => format!("use one of: {}", words.collect::<Vec<_>>().join(", ")),
        };
        self.push(
            Diagnostic::error(
                "invalid-value",
                node.pos,
                format!("`{word}` is not a {}", T::WHAT),
            )
            .with_help(help),
        );
        None
    }

    /// One word or a list of words of the vocabulary `T`.
    pub fn choices<T: Choice>(&mut self, node: &Node) -> Vec<T> {
        if let NodeKind::Scalar { .. } = node.kind {
            return self.choice(node).into_iter().collect();
        }
        self.list(node, T::WHAT)
            .into_iter()
            .filter_map(|n| self.choice(n))
            .collect()
    }

    /// An id: lower snake case (a-z, 0-9, `_`), starting with a letter, at most 64 long; `what`
    /// names the kind of id in the message ("data category"). A wrong one is reported with the
    /// id it probably meant.
    pub fn id(&mut self, node: &Node, what: &str) -> Option<String> {
        let text = self.string(node)?;
        let mut chars = text.chars();
        let valid = text.len() <= 64
            && chars.next().is_some_and(|c| c.is_ascii_lowercase())
            && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !valid {
            let suggestion: String = text
                .to_lowercase()
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                .collect();
            self.push(
                Diagnostic::error(
                    "invalid-value",
                    node.pos,
                    format!("`{text}` is not a valid {what} id"),
                )
                .with_help(format!(
                    "ids are lower snake case (a-z, 0-9, _), start with a letter and are at most 64 long, e.g. `{}`",
                    suggestion.trim_matches('_')
                )),
            );
            return None;
        }
        Some(text)
    }
}
