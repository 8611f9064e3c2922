//! Objections (Art. 21): to one purpose, to all direct marketing, or, from a browser's Global
//! Privacy Control or Do Not Track signal, to what the register's `signals` says (by default
//! direct marketing and sharing).

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use jiff::Timestamp;
use skydd_register::Register;
use skydd_register::model::{BrowserSignal, PurposeId};

use crate::error::{LedgerError, UnknownWord};
use crate::{in_time_order, supersedes};

/// Where an objection (or the lifting of one) came from. The names are stable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ObjectionSource {
    /// A request to the controller: a letter, an e-mail, a call, a data-subject request
    /// (`request`).
    Request,
    /// The subject's account settings or the privacy centre (`account_settings`).
    AccountSettings,
    /// The signed one-click link in a message (`unsubscribe_link`).
    UnsubscribeLink,
    /// The browser sent `Sec-GPC: 1` (`gpc`): an objection by automated means (Art. 21(5)).
    Gpc,
    /// The browser sent `DNT: 1` (`dnt`): likewise, with the register's rule for it.
    Dnt,
    /// Imported from an earlier system (`import`).
    Import,
    /// Said in person, at an event or a meeting, and recorded by staff (`in_person`).
    InPerson,
    /// Said on the telephone and recorded by staff (`phone`).
    Phone,
}

impl ObjectionSource {
    /// Every source with its stable name.
    pub const ALL: [(ObjectionSource, &'static str); 8] = [
        (ObjectionSource::Request, "request"),
        (ObjectionSource::AccountSettings, "account_settings"),
        (ObjectionSource::UnsubscribeLink, "unsubscribe_link"),
        (ObjectionSource::Gpc, "gpc"),
        (ObjectionSource::Dnt, "dnt"),
        (ObjectionSource::Import, "import"),
        (ObjectionSource::InPerson, "in_person"),
        (ObjectionSource::Phone, "phone"),
    ];

    /// The stable snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            ObjectionSource::Request => "request",
            ObjectionSource::AccountSettings => "account_settings",
            ObjectionSource::UnsubscribeLink => "unsubscribe_link",
            ObjectionSource::Gpc => "gpc",
            ObjectionSource::Dnt => "dnt",
            ObjectionSource::Import => "import",
            ObjectionSource::InPerson => "in_person",
            ObjectionSource::Phone => "phone",
        }
    }

    /// The browser signal the source is (GPC or DNT), whose objection covers what the
    /// register's `signals` says rather than a purpose or direct marketing.
    pub fn browser_signal(self) -> Option<BrowserSignal> {
        match self {
            ObjectionSource::Gpc => Some(BrowserSignal::Gpc),
            ObjectionSource::Dnt => Some(BrowserSignal::Dnt),
            _ => None,
        }
    }
}

impl fmt::Display for ObjectionSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ObjectionSource {
    type Err = UnknownWord;

    fn from_str(word: &str) -> Result<ObjectionSource, UnknownWord> {
        ObjectionSource::ALL
            .iter()
            .find(|(_, name)| *name == word)
            .map(|(source, _)| *source)
            .ok_or(UnknownWord {
                what: "objection source",
                expected: "request, account_settings, unsubscribe_link, gpc, dnt, import, in_person, phone",
            })
    }
}

/// What an objection is against. One subject has at most one current objection per target.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ObjectionTarget {
    /// One purpose. It stops processing on legitimate interest or public task (Art. 21(1)) and,
    /// for a direct marketing purpose, all processing for it (Art. 21(3)).
    Purpose(PurposeId),
    /// Every direct marketing purpose (Art. 21(2), (3)): "no more marketing".
    DirectMarketing,
    /// What a Global Privacy Control or Do Not Track signal objects to (Art. 21(5)), as the
    /// register's `signals` says: by default every direct marketing purpose and sharing with
    /// third parties that use the data for their own purposes. Each signal is a target of its
    /// own, raised and lifted apart.
    Signal(BrowserSignal),
}

/// An objection raised or lifted by a subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectionEvent {
    /// The subject, by the vault's subject id.
    pub subject: String,
    /// The purpose objected to; `None` means all direct marketing (from a browser signal: what
    /// the register's `signals` says).
    pub purpose: Option<PurposeId>,
    /// How it reached the controller (`request`, `unsubscribe_link`, `gpc` ...).
    pub source: ObjectionSource,
    /// False when the objection is raised, true when the subject lifts it again.
    pub lifted: bool,
    /// When it was raised or lifted; the latest event decides (a tie: the one applied last).
    pub at: Timestamp,
}

impl ObjectionEvent {
    /// A subject objects to `purpose` (`None`: all direct marketing).
    pub fn raise(
        subject: impl Into<String>,
        purpose: Option<PurposeId>,
        source: ObjectionSource,
        at: Timestamp,
    ) -> ObjectionEvent {
        ObjectionEvent {
            subject: subject.into(),
            purpose,
            source,
            lifted: false,
            at,
        }
    }

    /// A subject lifts an objection to `purpose` (`None`: to all direct marketing). A lift with a
    /// browser-signal source lifts that signal's objection.
    pub fn lift(
        subject: impl Into<String>,
        purpose: Option<PurposeId>,
        source: ObjectionSource,
        at: Timestamp,
    ) -> ObjectionEvent {
        ObjectionEvent {
            lifted: true,
            ..ObjectionEvent::raise(subject, purpose, source, at)
        }
    }

    /// What `Sec-GPC: 1` on a consent or banner call records.
    pub fn gpc(subject: impl Into<String>, at: Timestamp) -> ObjectionEvent {
        ObjectionEvent::raise(subject, None, ObjectionSource::Gpc, at)
    }

    /// What `DNT: 1` on a consent or banner call records.
    pub fn dnt(subject: impl Into<String>, at: Timestamp) -> ObjectionEvent {
        ObjectionEvent::raise(subject, None, ObjectionSource::Dnt, at)
    }

    /// What the event is against: its purpose; without one, all direct marketing, or the
    /// signal's rule when it comes from a browser signal.
    pub fn target(&self) -> ObjectionTarget {
        match (&self.purpose, self.source.browser_signal()) {
            (Some(purpose), _) => ObjectionTarget::Purpose(purpose.clone()),
            (None, None) => ObjectionTarget::DirectMarketing,
            (None, Some(signal)) => ObjectionTarget::Signal(signal),
        }
    }

    /// Check the event against the register: a named purpose must exist.
    pub fn check(&self, register: &Register) -> Result<(), LedgerError> {
        match &self.purpose {
            Some(purpose) if register.purpose(purpose).is_none() => {
                Err(LedgerError::UnknownPurpose(purpose.clone()))
            }
            _ => Ok(()),
        }
    }
}

/// The current objections of every subject, one per target, with the event that set each (raised
/// or lifted).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ObjectionState {
    subjects: BTreeMap<String, BTreeMap<ObjectionTarget, ObjectionEvent>>,
}

impl ObjectionState {
    /// No objections.
    pub fn new() -> ObjectionState {
        ObjectionState::default()
    }

    /// The state after `events`, sorted by time (ties in the order given).
    pub fn from_events(events: &[ObjectionEvent]) -> ObjectionState {
        let mut state = ObjectionState::new();
        for event in in_time_order(events, |e| e.at) {
            state.apply(event.clone());
        }
        state
    }

    /// Apply one event; returns whether it became the current one for its subject and target.
    pub fn apply(&mut self, event: ObjectionEvent) -> bool {
        let targets = self.subjects.entry(event.subject.clone()).or_default();
        let target = event.target();
        match targets.get(&target) {
            Some(current) if !supersedes(event.at, current.at) => false,
            _ => {
                targets.insert(target, event);
                true
            }
        }
    }

    /// The event that set the subject's current objection to `target`, raised or lifted.
    pub fn current(&self, subject: &str, target: &ObjectionTarget) -> Option<&ObjectionEvent> {
        self.subjects.get(subject)?.get(target)
    }

    /// Whether the subject currently objects to `target` (exactly that target).
    pub fn objects_to(&self, subject: &str, target: &ObjectionTarget) -> bool {
        self.current(subject, target).is_some_and(|e| !e.lifted)
    }

    /// The subject's objections in force (raised and not lifted), by target.
    pub fn active(&self, subject: &str) -> impl Iterator<Item = &ObjectionEvent> {
        self.subjects
            .get(subject)
            .into_iter()
            .flat_map(|m| m.values())
            .filter(|e| !e.lifted)
    }
}
