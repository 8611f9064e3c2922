//! Opt-in features (the AI features of a work-item service): off by default, switched on or off
//! per organisation or project by an administrator.
//!
//! The effective state for a project is its own switch when it has one, otherwise its
//! organisation's switch, otherwise **off**. So an organisation switched on with project X switched
//! off leaves X off and its other projects on, and a feature switched on for project A only is on
//! for A and off for every other project.

use std::collections::HashMap;

use jiff::Timestamp;
use skydd_register::Register;
use skydd_register::model::{Choice, ConsentGiver, FeatureId};

use crate::error::LedgerError;
use crate::{ConsentEvent, ConsentMethod, OrganisationScope, in_time_order, supersedes};

/// An administrator switches a feature on or off for an organisation or a project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeatureSwitch {
    /// The feature (a register `features` id).
    pub feature: FeatureId,
    /// The organisation or project.
    pub scope: OrganisationScope,
    /// True when switched on, false when switched off (features are off until switched on).
    pub enabled: bool,
    /// The administrator who switched it (an account or token id, not a name).
    pub actor: String,
    /// When it was switched; the latest switch decides (a tie: the one applied last).
    pub at: Timestamp,
}

impl FeatureSwitch {
    /// Check the switch against the register: the feature exists, can be switched at this kind of
    /// scope, and the switch names its actor. Whether the actor is an administrator of the
    /// organisation is for the caller (the server) to check.
    pub fn check(&self, register: &Register) -> Result<(), LedgerError> {
        let feature = register
            .features
            .iter()
            .find(|f| f.id == self.feature)
            .ok_or_else(|| LedgerError::UnknownFeature(self.feature.clone()))?;
        if !feature.scopes.contains(&self.scope.kind()) {
            return Err(LedgerError::FeatureScopeNotAllowed {
                feature: self.feature.clone(),
                scope: self.scope.kind().word(),
            });
        }
        if self.actor.trim().is_empty() {
            return Err(LedgerError::MissingActor);
        }
        Ok(())
    }

    /// The consent events a switch stands for. A purpose that needs this feature and rests on the
    /// consent of the organisation (or project) is consented to by switching the feature on and
    /// withdrawn by switching it off (P003-21, P003-34): one event per such purpose, at the same
    /// scope and time, with method `admin` and the notice version shown to the administrator.
    ///
    /// Purposes whose consent the subject gives are not touched: an administrator cannot consent
    /// for people. A purpose given by a project cannot be consented to by an organisation-wide
    /// switch ([`LedgerError::WrongScope`]).
    pub fn consents(
        &self,
        register: &Register,
        notice_version: &str,
    ) -> Result<Vec<ConsentEvent>, LedgerError> {
        let mut events = Vec::new();
        for purpose in &register.purposes {
            if purpose.requires_feature.as_ref() != Some(&self.feature) {
                continue;
            }
            let Some(terms) = &purpose.consent else {
                continue;
            };
            let scope_kind = match &self.scope {
                OrganisationScope::Organisation(_) => ConsentGiver::Organisation,
                OrganisationScope::Project { .. } => ConsentGiver::Project,
            };
            match (terms.given_by, scope_kind) {
                (ConsentGiver::Subject, _) => continue,
                (ConsentGiver::Project, ConsentGiver::Organisation) => {
                    return Err(LedgerError::WrongScope {
                        purpose: purpose.id.clone(),
                        expected: terms.given_by.word(),
                        found: scope_kind.word(),
                    });
                }
                _ => {}
            }
            let event = ConsentEvent {
                scope: self.scope.clone().into(),
                purpose: purpose.id.clone(),
                granted: self.enabled,
                method: ConsentMethod::Admin,
                notice_version: notice_version.to_owned(),
                at: self.at,
                text_hash: None,
            };
            event.check(register)?;
            events.push(event);
        }
        Ok(events)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct OrganisationSwitches {
    own: HashMap<String, FeatureSwitch>,
    projects: HashMap<String, HashMap<String, FeatureSwitch>>,
}

/// The current switch of every feature at every organisation and project that has one.
///
/// Lookups take `&str` and do not allocate: a decision asks this on its hot path.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FeatureState {
    organisations: HashMap<String, OrganisationSwitches>,
}

impl FeatureState {
    /// Nothing switched: every feature is off everywhere.
    pub fn new() -> FeatureState {
        FeatureState::default()
    }

    /// The state after `switches`, sorted by time (ties in the order given).
    pub fn from_switches(switches: &[FeatureSwitch]) -> FeatureState {
        let mut state = FeatureState::new();
        for switch in in_time_order(switches, |s| s.at) {
            state.apply(switch.clone());
        }
        state
    }

    /// Apply one switch; returns whether it became the current one for its feature and scope.
    pub fn apply(&mut self, switch: FeatureSwitch) -> bool {
        let organisation = self
            .organisations
            .entry(switch.scope.organisation().to_owned())
            .or_default();
        let features = match switch.scope.project() {
            None => &mut organisation.own,
            Some(project) => organisation.projects.entry(project.to_owned()).or_default(),
        };
        match features.get(switch.feature.as_str()) {
            Some(current) if !supersedes(switch.at, current.at) => false,
            _ => {
                features.insert(switch.feature.0.clone(), switch);
                true
            }
        }
    }

    /// The switch that decides whether `feature` is on for the organisation, or for one of its
    /// projects: the project's own switch if it has one, else the organisation's. `None` means
    /// nobody switched it, so it is off.
    pub fn deciding_switch(
        &self,
        feature: &str,
        organisation: &str,
        project: Option<&str>,
    ) -> Option<&FeatureSwitch> {
        let switches = self.organisations.get(organisation)?;
        project
            .and_then(|p| switches.projects.get(p))
            .and_then(|features| features.get(feature))
            .or_else(|| switches.own.get(feature))
    }

    /// Whether `feature` is on for the organisation, or for one of its projects (default off).
    pub fn is_enabled(&self, feature: &str, organisation: &str, project: Option<&str>) -> bool {
        self.deciding_switch(feature, organisation, project)
            .is_some_and(|s| s.enabled)
    }

    /// The current switch at exactly `scope` (a project's own, not inherited).
    pub fn current(&self, feature: &str, scope: &OrganisationScope) -> Option<&FeatureSwitch> {
        let switches = self.organisations.get(scope.organisation())?;
        match scope.project() {
            None => switches.own.get(feature),
            Some(project) => switches.projects.get(project)?.get(feature),
        }
    }

    /// Every current switch, sorted by organisation, project (organisation-wide first) and feature.
    pub fn iter(&self) -> Vec<&FeatureSwitch> {
        let mut all: Vec<&FeatureSwitch> = self
            .organisations
            .values()
            .flat_map(|o| {
                o.own
                    .values()
                    .chain(o.projects.values().flat_map(|p| p.values()))
            })
            .collect();
        all.sort_by(|a, b| {
            (
                a.scope.organisation(),
                a.scope.project(),
                a.feature.as_str(),
            )
                .cmp(&(
                    b.scope.organisation(),
                    b.scope.project(),
                    b.feature.as_str(),
                ))
        });
        all
    }
}
