//! Consent events and the current consent per scope and purpose.

use std::collections::BTreeMap;

use jiff::Timestamp;
use skydd_register::Register;
use skydd_register::model::{Choice, ConsentGiver, PurposeId};

use crate::error::LedgerError;
use crate::{ConsentMethod, ConsentScope, in_time_order, supersedes};

/// One consent given or withdrawn. Withdrawing is one event, exactly like giving (Art. 7(3)).
///
/// The IP address and user agent behind the event are not fields: they are personal data, stored
/// encrypted by the vault next to the event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentEvent {
    /// Whose consent: a subject's, or an organisation's or project's (given by an administrator).
    pub scope: ConsentScope,
    /// The purpose consented to (a register purpose with a consent basis).
    pub purpose: PurposeId,
    /// True when consent is given, false when it is withdrawn or refused.
    pub granted: bool,
    /// How it was expressed.
    pub method: ConsentMethod,
    /// The version of the notice (the register's version) shown when it was expressed.
    pub notice_version: String,
    /// When it was expressed.
    pub at: Timestamp,
    /// Hash of the exact consent text shown, when the caller has it.
    pub text_hash: Option<String>,
}

impl ConsentEvent {
    /// Check the event against the register: the purpose exists, rests on consent, and its consent
    /// is given at this kind of scope.
    ///
    /// A purpose given by an organisation accepts organisation and project scopes (a project
    /// decision overrides the organisation's for that project); a purpose given by a project
    /// accepts only project scopes; a subject's consent only subject scopes.
    pub fn check(&self, register: &Register) -> Result<(), LedgerError> {
        let purpose = register
            .purpose(&self.purpose)
            .ok_or_else(|| LedgerError::UnknownPurpose(self.purpose.clone()))?;
        let terms = purpose
            .consent
            .as_ref()
            .ok_or_else(|| LedgerError::NotConsentBased(self.purpose.clone()))?;
        let fits = matches!(
            (terms.given_by, self.scope.giver()),
            (ConsentGiver::Subject, ConsentGiver::Subject)
                | (
                    ConsentGiver::Organisation,
                    ConsentGiver::Organisation | ConsentGiver::Project
                )
                | (ConsentGiver::Project, ConsentGiver::Project)
        );
        if !fits {
            return Err(LedgerError::WrongScope {
                purpose: self.purpose.clone(),
                expected: terms.given_by.word(),
                found: self.scope.giver().word(),
            });
        }
        if self.notice_version.trim().is_empty() {
            return Err(LedgerError::MissingNoticeVersion);
        }
        Ok(())
    }
}

type ByPurpose = BTreeMap<String, ConsentEvent>;

/// The current consent for every scope and purpose that has an event, with the event that set it.
///
/// Built from events in any order: see the crate documentation on the order of events. A state
/// answers lookups by `&str` without allocating.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConsentState {
    subjects: BTreeMap<String, ByPurpose>,
    organisations: BTreeMap<String, ByPurpose>,
    projects: BTreeMap<String, BTreeMap<String, ByPurpose>>,
}

impl ConsentState {
    /// An empty state: nobody has consented to anything.
    pub fn new() -> ConsentState {
        ConsentState::default()
    }

    /// The state after `events`, sorted by time (ties in the order given).
    pub fn from_events(events: &[ConsentEvent]) -> ConsentState {
        let mut state = ConsentState::new();
        for event in in_time_order(events, |e| e.at) {
            state.apply(event.clone());
        }
        state
    }

    /// Apply one event. Returns whether it became the current event for its scope and purpose:
    /// an event older than the current one is history only.
    pub fn apply(&mut self, event: ConsentEvent) -> bool {
        let purposes = match &event.scope {
            ConsentScope::Subject(subject) => self.subjects.entry(subject.clone()).or_default(),
            ConsentScope::Organisation(organisation) => {
                self.organisations.entry(organisation.clone()).or_default()
            }
            ConsentScope::Project {
                organisation,
                project,
            } => self
                .projects
                .entry(organisation.clone())
                .or_default()
                .entry(project.clone())
                .or_default(),
        };
        match purposes.get(event.purpose.as_str()) {
            Some(current) if !supersedes(event.at, current.at) => false,
            _ => {
                purposes.insert(event.purpose.0.clone(), event);
                true
            }
        }
    }

    /// The event that set the current consent of `scope` to `purpose`, if any.
    pub fn current(&self, scope: &ConsentScope, purpose: &str) -> Option<&ConsentEvent> {
        match scope {
            ConsentScope::Subject(subject) => self.subject(subject, purpose),
            ConsentScope::Organisation(organisation) => self.organisation(organisation, purpose),
            ConsentScope::Project {
                organisation,
                project,
            } => self.project(organisation, project, purpose),
        }
    }

    /// Whether `scope` currently consents to `purpose` (no event means no).
    pub fn is_granted(&self, scope: &ConsentScope, purpose: &str) -> bool {
        self.current(scope, purpose).is_some_and(|e| e.granted)
    }

    /// A subject's current consent to `purpose`.
    pub fn subject(&self, subject: &str, purpose: &str) -> Option<&ConsentEvent> {
        self.subjects.get(subject)?.get(purpose)
    }

    /// An organisation's own current consent to `purpose` (not its projects').
    pub fn organisation(&self, organisation: &str, purpose: &str) -> Option<&ConsentEvent> {
        self.organisations.get(organisation)?.get(purpose)
    }

    /// A project's own current consent to `purpose` (not its organisation's).
    pub fn project(
        &self,
        organisation: &str,
        project: &str,
        purpose: &str,
    ) -> Option<&ConsentEvent> {
        self.projects.get(organisation)?.get(project)?.get(purpose)
    }

    /// A subject's current consents, one per purpose, by purpose id.
    pub fn for_subject(&self, subject: &str) -> impl Iterator<Item = &ConsentEvent> {
        self.subjects
            .get(subject)
            .into_iter()
            .flat_map(|m| m.values())
    }

    /// Every current organisation and project consent: organisations by id, then projects by
    /// organisation and project id.
    pub fn organisation_scoped(&self) -> impl Iterator<Item = &ConsentEvent> {
        let own = self.organisations.values().flat_map(|m| m.values());
        let projects = self
            .projects
            .values()
            .flat_map(|p| p.values())
            .flat_map(|m| m.values());
        own.chain(projects)
    }

    /// Every current consent: subjects, then organisations, then projects, each by id and purpose.
    pub fn iter(&self) -> impl Iterator<Item = &ConsentEvent> {
        self.subjects
            .values()
            .flat_map(|m| m.values())
            .chain(self.organisation_scoped())
    }
}
