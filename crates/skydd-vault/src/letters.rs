//! Letters to subjects, written by `skydd-requests` from the register, ready for the outbox.

use skydd_requests::{Letter, Letters};

use crate::Vault;

/// A letter and which one it is (the outbox's `kind`).
#[derive(Debug, Clone)]
pub(crate) struct Mail {
    /// Which letter: `verification_code`, `received`, `extension` ...
    pub(crate) kind: &'static str,
    /// The subject line, plain text.
    pub(crate) subject: String,
    /// The body, plain text.
    pub(crate) text: String,
}

impl Mail {
    /// `letter` as a message of `kind`.
    pub(crate) fn new(kind: &'static str, letter: Letter) -> Mail {
        Mail {
            kind,
            subject: letter.subject,
            text: letter.text,
        }
    }
}

impl Vault {
    /// The controller's letters, in the register's first language.
    pub(crate) fn letters(&self) -> Letters<'_> {
        let language = self
            .register()
            .languages
            .first()
            .copied()
            .unwrap_or(skydd_register::model::Language::En);
        Letters::new(self.register(), language)
    }
}
