//! The ledger: every consent, objection, preference and feature event in one append-only list,
//! with the states derived from it.

use jiff::Timestamp;

use crate::{
    ConsentEvent, ConsentScope, ConsentState, FeatureState, FeatureSwitch, ObjectionEvent,
    ObjectionState, OrganisationScope, PreferenceEvent, PreferenceState, in_time_order,
};

/// One entry of the ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LedgerEvent {
    /// A consent given or withdrawn.
    Consent(ConsentEvent),
    /// An objection raised or lifted.
    Objection(ObjectionEvent),
    /// A marketing preference changed.
    Preference(PreferenceEvent),
    /// A feature switched on or off.
    Feature(FeatureSwitch),
}

impl LedgerEvent {
    /// When the event happened.
    pub fn at(&self) -> Timestamp {
        match self {
            LedgerEvent::Consent(e) => e.at,
            LedgerEvent::Objection(e) => e.at,
            LedgerEvent::Preference(e) => e.at,
            LedgerEvent::Feature(e) => e.at,
        }
    }
}

impl From<ConsentEvent> for LedgerEvent {
    fn from(event: ConsentEvent) -> LedgerEvent {
        LedgerEvent::Consent(event)
    }
}

impl From<ObjectionEvent> for LedgerEvent {
    fn from(event: ObjectionEvent) -> LedgerEvent {
        LedgerEvent::Objection(event)
    }
}

impl From<PreferenceEvent> for LedgerEvent {
    fn from(event: PreferenceEvent) -> LedgerEvent {
        LedgerEvent::Preference(event)
    }
}

impl From<FeatureSwitch> for LedgerEvent {
    fn from(event: FeatureSwitch) -> LedgerEvent {
        LedgerEvent::Feature(event)
    }
}

/// An append-only ledger. There is no way to change or remove an entry: withdrawing a consent or
/// lifting an objection is a new entry, and the history stays readable (Art. 7(1)).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ledger {
    events: Vec<LedgerEvent>,
    consents: ConsentState,
    objections: ObjectionState,
    preferences: PreferenceState,
    features: FeatureState,
}

impl Ledger {
    /// An empty ledger.
    pub fn new() -> Ledger {
        Ledger::default()
    }

    /// A ledger of `events` in the order they were recorded. The states are the same as if the
    /// events had been appended one by one in that order.
    pub fn from_events(events: impl IntoIterator<Item = LedgerEvent>) -> Ledger {
        let mut ledger = Ledger::new();
        for event in events {
            ledger.append(event);
        }
        ledger
    }

    /// Record one event. Returns whether it changed the current state for its key (an event older
    /// than the current one is recorded but changes nothing).
    pub fn append(&mut self, event: impl Into<LedgerEvent>) -> bool {
        let event = event.into();
        let changed = match &event {
            LedgerEvent::Consent(e) => self.consents.apply(e.clone()),
            LedgerEvent::Objection(e) => self.objections.apply(e.clone()),
            LedgerEvent::Preference(e) => self.preferences.apply(e.clone()),
            LedgerEvent::Feature(e) => self.features.apply(e.clone()),
        };
        self.events.push(event);
        changed
    }

    /// Every event in the order it was recorded.
    pub fn events(&self) -> &[LedgerEvent] {
        &self.events
    }

    /// The current consents.
    pub fn consents(&self) -> &ConsentState {
        &self.consents
    }

    /// The current objections.
    pub fn objections(&self) -> &ObjectionState {
        &self.objections
    }

    /// The current marketing preferences.
    pub fn preferences(&self) -> &PreferenceState {
        &self.preferences
    }

    /// The current feature switches.
    pub fn features(&self) -> &FeatureState {
        &self.features
    }

    /// Every consent event of `scope` for `purpose`, in time order (ties as recorded).
    pub fn consent_history(&self, scope: &ConsentScope, purpose: &str) -> Vec<&ConsentEvent> {
        let matching: Vec<&ConsentEvent> = self
            .events
            .iter()
            .filter_map(|e| match e {
                LedgerEvent::Consent(c) if &c.scope == scope && c.purpose.as_str() == purpose => {
                    Some(c)
                }
                _ => None,
            })
            .collect();
        in_time_order(&matching, |c| c.at)
            .into_iter()
            .copied()
            .collect()
    }

    /// Every objection event of a subject, in time order (ties as recorded).
    pub fn objection_history(&self, subject: &str) -> Vec<&ObjectionEvent> {
        let matching: Vec<&ObjectionEvent> = self
            .events
            .iter()
            .filter_map(|e| match e {
                LedgerEvent::Objection(o) if o.subject == subject => Some(o),
                _ => None,
            })
            .collect();
        in_time_order(&matching, |o| o.at)
            .into_iter()
            .copied()
            .collect()
    }

    /// Every switch of `feature` at exactly `scope`, in time order (ties as recorded).
    pub fn feature_history(&self, feature: &str, scope: &OrganisationScope) -> Vec<&FeatureSwitch> {
        let matching: Vec<&FeatureSwitch> = self
            .events
            .iter()
            .filter_map(|e| match e {
                LedgerEvent::Feature(f) if &f.scope == scope && f.feature.as_str() == feature => {
                    Some(f)
                }
                _ => None,
            })
            .collect();
        in_time_order(&matching, |f| f.at)
            .into_iter()
            .copied()
            .collect()
    }
}
