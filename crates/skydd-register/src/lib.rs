//! The register of processing (GDPR Art. 30) kept as a YAML file, checked like a compiler.
//!
//! [`check`] parses a register, validates it and returns every diagnostic with its line and
//! column, plus the [`Register`] model when there were no errors. The format is described in
//! `docs/register-format.md`. The crate does no I/O and never reads the clock.
//!
//! ```
//! let checked = skydd_register::check("skydd: 1\n");
//! assert!(checked.register.is_none());
//! assert!(checked.diagnostics.iter().any(|d| d.code == "missing-key"));
//! ```

pub mod country;
mod decode;
pub mod diagnostic;
pub mod model;
pub mod node;
pub mod period;
pub mod shape;
mod validate;
pub mod zone;

pub use diagnostic::{Diagnostic, Severity};
pub use model::{FromJsonError, Register};
pub use period::Period;

/// The instant the GDPR applies from (Art. 99(2)): the start of 25 May 2018 in Stockholm
/// (22:00 UTC the day before). Nothing the Regulation governs happened earlier, so a time
/// before it (a request received, a breach become known) is a mistake in the input, most often
/// a default or a mistyped year; the services refuse it.
pub const GDPR_APPLIES: jiff::Timestamp = jiff::Timestamp::constant(1_527_199_200, 0);

/// The result of checking a register source.
#[derive(Debug, Clone)]
pub struct Checked {
    /// The register, when there were no errors (warnings allowed).
    pub register: Option<Register>,
    /// Every error and warning, in source order.
    pub diagnostics: Vec<Diagnostic>,
}

impl Checked {
    /// Whether any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Parse and validate a register.
pub fn check(source: &str) -> Checked {
    let root = match node::parse(source) {
        Ok(Some(root)) => root,
        Ok(None) => {
            let d = Diagnostic::error(
                "missing-key",
                node::Pos { line: 1, column: 1 },
                "the register is empty",
            )
            .with_help("start from one of the registers in examples/registers/");
            return Checked {
                register: None,
                diagnostics: vec![d],
            };
        }
        Err(error) => {
            let d = Diagnostic::error("yaml-syntax", error.pos, format!("invalid YAML: {}", error.message))
                .with_help("fix the YAML syntax here; indentation and unclosed quotes or brackets are the usual causes");
            return Checked {
                register: None,
                diagnostics: vec![d],
            };
        }
    };
    let (partial, mut decoder) = decode::decode(&root);
    validate::validate(&partial, &decoder.sites, &mut decoder.reader.diagnostics);
    let mut diagnostics = decoder.reader.diagnostics;
    diagnostics.sort_by_key(|d| (d.line, d.column));
    diagnostics.dedup();
    let register = if diagnostics.iter().any(Diagnostic::is_error) {
        None
    } else {
        assemble(partial)
    };
    Checked {
        register,
        diagnostics,
    }
}

/// Build the register from a partial with no errors (every required part is then present).
fn assemble(p: decode::Partial) -> Option<Register> {
    Some(Register {
        format: p.format?,
        published: p.published?,
        languages: p.languages,
        controller: p.controller?,
        representative: p.representative,
        dpo: p.dpo,
        authority: p.authority?,
        scope: p.scope,
        subjects: p.subjects,
        sources: p.sources,
        data: p.data,
        events: p.events,
        states: p.states,
        purposes: p.purposes,
        retention: p.retention,
        legal_holds: p.legal_holds,
        recipients: p.recipients,
        security: p.security,
        rights: p.rights?,
        cookies: p.cookies,
        features: p.features,
        roles: p.roles,
        attributes: p.attributes,
        audiences: p.audiences,
        security_review: p.security_review,
        signals: p.signals,
        changes: p.changes,
    })
}
