//! A search for one subject: which findings in a text are this person's.

use std::collections::BTreeSet;

use jiff::civil::Date;

use crate::Context;
use crate::finding::{Finding, Kind};

/// The identities of one subject, as normal forms, and the names to look for.
///
/// Matching compares normal forms only. They are disjoint across kinds (an e-mail has an `@`,
/// a phone number a `+`, a personnummer 12 digits, an organisationsnummer 10, a card 13 to 19
/// ...), and a personnummer and a samordningsnummer match each other, as the vault's identity
/// of kind `personnummer` holds either. Normal forms are those of `skydd-subject`, so the
/// vault's stored identities can be added as they are ([`SubjectSearch::add_normal`]).
///
/// ```
/// use jiff::civil::date;
/// use skydd_pii::{Kind, SubjectSearch};
///
/// let mut search = SubjectSearch::new(date(2025, 6, 1)).with_name("Anna Svensson");
/// assert_eq!(search.add_identifier("19811218-9876"), Some(Kind::Personnummer));
/// search.add_normal("anna@example.se");
///
/// let text = "Anna Svensson (811218-9876, ANNA@example.se) ringde om Erik, erik@example.se.";
/// let kinds: Vec<Kind> = search.find(text).iter().map(|f| f.kind).collect();
/// assert_eq!(kinds, [Kind::Name, Kind::Personnummer, Kind::Email]);
/// ```
#[derive(Clone)]
pub struct SubjectSearch {
    context: Context,
    wanted: BTreeSet<String>,
}

/// Counts only: the identities are personal data.
impl std::fmt::Debug for SubjectSearch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SubjectSearch")
            .field("context", &self.context)
            .field("identities", &self.wanted.len())
            .finish()
    }
}

impl SubjectSearch {
    /// A search with the reference date and no identities yet.
    pub fn new(reference: Date) -> SubjectSearch {
        SubjectSearch {
            context: Context::new(reference),
            wanted: BTreeSet::new(),
        }
    }

    /// Adds a name of the subject (see [`Context::with_name`]).
    pub fn with_name(mut self, name: &str) -> SubjectSearch {
        self.context = self.context.with_name(name);
        self
    }

    /// Adds an identifier as written (`070-123 45 67`, `19811218-9876`), recognised by the
    /// same recognizers as text. Returns its kind, or `None` if no recognizer takes the whole
    /// value (then nothing is added).
    pub fn add_identifier(&mut self, value: &str) -> Option<Kind> {
        let finding = crate::recognise(value, &self.context)?;
        self.wanted.insert(finding.normal.as_str().to_owned());
        Some(finding.kind)
    }

    /// Adds a normal form as a finding's [`NormalForm::as_str`](crate::NormalForm::as_str) or
    /// `skydd-subject`'s identity has it.
    pub fn add_normal(&mut self, normal: &str) {
        self.wanted.insert(normal.to_owned());
    }

    /// The context the search scans with.
    pub fn context(&self) -> &Context {
        &self.context
    }

    /// Whether `finding` is one of this subject's: a name of the subject, or a normal form
    /// that was added.
    pub fn matches(&self, finding: &Finding) -> bool {
        finding.kind == Kind::Name || self.wanted.contains(finding.normal.as_str())
    }

    /// The findings in `text` that are this subject's, sorted by span start.
    pub fn find(&self, text: &str) -> Vec<Finding> {
        let mut findings = crate::scan(text, &self.context);
        findings.retain(|f| self.matches(f));
        findings
    }
}
