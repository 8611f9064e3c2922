//! Diagnostics: what is wrong in a register (or another checked file), where, and how to fix it.

use serde::Serialize;

use crate::node::Pos;

/// How bad a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The register is still valid.
    Warning,
    /// The register is invalid.
    Error,
}

impl Severity {
    /// `error` or `warning`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// One finding about a register, at a line and column (both 1-based).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// Stable machine-readable code, e.g. `unknown-key` (listed in docs/register-format.md).
    pub code: &'static str,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub help: Option<String>,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
}

impl Diagnostic {
    /// An error at `pos`.
    pub fn error(code: &'static str, pos: Pos, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            code,
            message: message.into(),
            help: None,
            line: pos.line,
            column: pos.column,
        }
    }

    /// A warning at `pos`.
    pub fn warning(code: &'static str, pos: Pos, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, pos, message)
        }
    }

    /// Add a help line.
    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    /// Whether this is an error.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// Render diagnostics as a compiler does: `PATH:LINE:COLUMN: error: MESSAGE`, then an indented
/// `help: ...` line when there is help.
pub fn render_text(path: &str, diagnostics: &[Diagnostic]) -> String {
    let mut out = String::new();
    for d in diagnostics {
        out.push_str(&format!(
            "{path}:{}:{}: {}: {}\n",
            d.line,
            d.column,
            d.severity.as_str(),
            d.message
        ));
        if let Some(help) = &d.help {
            out.push_str(&format!("  help: {help}\n"));
        }
    }
    out
}

/// A one-line summary: `PATH: valid` / `PATH: valid, 2 warnings` / `PATH: 3 errors, 1 warning`.
pub fn render_summary(path: &str, diagnostics: &[Diagnostic]) -> String {
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = diagnostics.len() - errors;
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    match (errors, warnings) {
        (0, 0) => format!("{path}: valid"),
        (0, w) => format!("{path}: valid, {}", plural(w, "warning")),
        (e, w) => format!("{path}: {}, {}", plural(e, "error"), plural(w, "warning")),
    }
}

/// Render a check result as JSON (for `--format json`).
pub fn render_json(
    path: &str,
    diagnostics: &[Diagnostic],
    digest: Option<&str>,
) -> serde_json::Value {
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    serde_json::json!({
        "path": path,
        "valid": errors == 0,
        "errors": errors,
        "warnings": diagnostics.len() - errors,
        "digest": digest,
        "diagnostics": diagnostics,
    })
}

/// The closest of `candidates` to `word`, if it is close enough to be a plausible typo
/// (Jaro-Winkler similarity above 0.8): the did-you-mean of every Skydd file check.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|candidate| (strsim::jaro_winkler(word, candidate), candidate))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, candidate)| candidate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_rendering_is_compiler_style() {
        let d = Diagnostic::error(
            "unknown-key",
            Pos { line: 3, column: 5 },
            "unknown key `nmae`",
        )
        .with_help("did you mean `name`?");
        assert_eq!(
            render_text("r.yaml", &[d]),
            "r.yaml:3:5: error: unknown key `nmae`\n  help: did you mean `name`?\n"
        );
    }

    #[test]
    fn summary_counts() {
        let e = Diagnostic::error("x", Pos::default(), "e");
        let w = Diagnostic::warning("x", Pos::default(), "w");
        assert_eq!(render_summary("a", &[]), "a: valid");
        assert_eq!(
            render_summary("a", std::slice::from_ref(&w)),
            "a: valid, 1 warning"
        );
        assert_eq!(
            render_summary("a", &[e.clone(), w.clone(), w]),
            "a: 1 error, 2 warnings"
        );
    }

    #[test]
    fn suggestions_only_for_near_misses() {
        let keys = ["name", "fields", "provided_by_subject"];
        assert_eq!(did_you_mean("nmae", keys), Some("name"));
        assert_eq!(
            did_you_mean("provided_by_subjet", keys),
            Some("provided_by_subject")
        );
        assert_eq!(did_you_mean("zzz", keys), None);
    }
}
