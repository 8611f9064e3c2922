//! Datasets: the company's own databases described for Skydd, checked like the register.
//!
//! A dataset file names one database (PostgreSQL, MySQL/MariaDB or SQLite), where its connection
//! string comes from (an environment variable or a file, never the file itself), and the tables
//! that hold personal data: their primary keys, the register's data category of each column,
//! the columns that identify a person, the references that lead from one table to the next,
//! what erasure does to each column, and the column retention counts from. [`check`] reads one
//! and returns every diagnostic with its line and column, plus the [`Dataset`] when there were no
//! errors; given the [`Register`], it also checks categories, retention rules and legal holds
//! against it. The format is described in `docs/dataset-format.md`. [`fides`] drafts a dataset
//! from ethyca/fides datasets and a category map. No I/O, no clock.
//!
//! ```
//! let checked = skydd_dataset::check("skydd_dataset: 1\n", None);
//! assert!(checked.dataset.is_none());
//! assert!(checked.diagnostics.iter().any(|d| d.code == "missing-key"));
//! ```

mod decode;
pub mod fides;
pub mod model;
mod validate;

pub use model::{
    Collection, Connection, DatabaseKind, Dataset, Direction, Erasure, Field, FieldPath, Reference,
    Retention, Tls, TlsMode,
};
use skydd_register::node::{self, Pos};
use skydd_register::shape::Reader;
pub use skydd_register::{Diagnostic, Register, Severity};

/// The result of checking a dataset source.
#[derive(Debug, Clone)]
pub struct Checked {
    /// The dataset, when there were no errors (warnings allowed).
    pub dataset: Option<Dataset>,
    /// Every error and warning, in source order.
    pub diagnostics: Vec<Diagnostic>,
}

impl Checked {
    /// Whether any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Parse and validate a dataset; with a `register`, also against it (categories, retention
/// rules, legal holds). Without one those checks are skipped, not passed.
pub fn check(source: &str, register: Option<&Register>) -> Checked {
    let root = match node::parse(source) {
        Ok(Some(root)) => root,
        Ok(None) => {
            let d = Diagnostic::error(
                "missing-key",
                Pos { line: 1, column: 1 },
                "the dataset is empty",
            )
            .with_help("start from one of the datasets in examples/datasets/");
            return Checked {
                dataset: None,
                diagnostics: vec![d],
            };
        }
        Err(error) => {
            let d = Diagnostic::error("yaml-syntax", error.pos, format!("invalid YAML: {}", error.message))
                .with_help("fix the YAML syntax here; indentation and unclosed quotes or brackets are the usual causes");
            return Checked {
                dataset: None,
                diagnostics: vec![d],
            };
        }
    };
    let mut reader = Reader::new(decode::DOCS);
    let draft = decode::decode(&root, &mut reader);
    let mut diagnostics = reader.diagnostics;
    validate::validate(&draft, register, &mut diagnostics);
    redact(&root, &mut diagnostics);
    diagnostics.sort_by_key(|d| (d.line, d.column));
    diagnostics.dedup();
    let dataset = if diagnostics.iter().any(Diagnostic::is_error) {
        None
    } else {
        assemble(draft)
    };
    Checked {
        dataset,
        diagnostics,
    }
}

/// Remove from every message any value of the file that looks like a connection string, wherever
/// it was written (`kind: postgres://user:password@host`): the decoder of `connection` never
/// quotes what it reads, and this keeps the promise for a secret written anywhere else.
fn redact(root: &node::Node, diagnostics: &mut [Diagnostic]) {
    let mut secrets: Vec<&str> = Vec::new();
    let mut todo = vec![root];
    while let Some(next) = todo.pop() {
        match &next.kind {
            node::NodeKind::Scalar { text, .. } => {
                if decode::looks_like_a_secret(text) {
                    secrets.push(text.trim());
                }
            }
            node::NodeKind::Seq(items) => todo.extend(items),
            node::NodeKind::Map(entries) => {
                for (key, value) in entries {
                    todo.push(key);
                    todo.push(value);
                }
            }
        }
    }
    secrets.retain(|s| !s.is_empty());
    for d in diagnostics {
        for secret in &secrets {
            if d.message.contains(secret) {
                d.message = d.message.replace(secret, "(value not shown)");
            }
            if let Some(help) = d.help.as_mut().filter(|h| h.contains(secret)) {
                *help = help.replace(secret, "(value not shown)");
            }
        }
    }
}

/// Build the dataset from a draft with no errors (every required part is then present).
fn assemble(draft: decode::Draft) -> Option<Dataset> {
    Some(Dataset {
        name: draft.name?,
        description: draft.description,
        kind: draft.kind?,
        connection: draft.connection?,
        tls: draft.tls,
        collections: draft
            .collections
            .into_iter()
            .map(|c| c.collection)
            .collect(),
    })
}
