//! Marketing preferences: the channels a subject accepts marketing on, and their areas of interest.
//!
//! Preferences narrow direct marketing only. Administrative messages (order confirmations, notices
//! about disruptions or changed terms) are separate purposes without `direct_marketing` and are
//! never affected. Opting in to a channel is not a consent: a purpose that rests on consent still
//! needs a [`crate::ConsentEvent`]. Without an event a channel or interest is neither in nor out;
//! only an explicit opt-out stops marketing (the decision layer documents this).

use std::collections::BTreeMap;

use jiff::Timestamp;
use skydd_register::model::Channel;

use crate::error::{LedgerError, is_id};
use crate::{ConsentMethod, in_time_order, supersedes};

/// What a preference is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Preference {
    /// A marketing channel (e-mail, SMS, phone, post, push, in-app).
    Channel(Channel),
    /// An area of interest, by a free id the company chooses (`product_news`, `webinars`).
    Interest(String),
}

/// A subject opts in to or out of a channel or an interest area.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreferenceEvent {
    /// The subject, by the vault's subject id.
    pub subject: String,
    /// The channel or interest area.
    pub preference: Preference,
    /// True for in, false for out.
    pub opted_in: bool,
    /// How it was expressed.
    pub method: ConsentMethod,
    /// When it was expressed; the latest event decides (a tie: the one applied last).
    pub at: Timestamp,
}

impl PreferenceEvent {
    /// Check the event: an interest area must be an id (lower snake case, at most 64 characters).
    pub fn check(&self) -> Result<(), LedgerError> {
        match &self.preference {
            Preference::Interest(interest) if !is_id(interest) => Err(LedgerError::InvalidInterest),
            _ => Ok(()),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct SubjectPreferences {
    channels: BTreeMap<Channel, PreferenceEvent>,
    interests: BTreeMap<String, PreferenceEvent>,
}

/// The current marketing preferences of every subject, with the event that set each.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PreferenceState {
    subjects: BTreeMap<String, SubjectPreferences>,
}

impl PreferenceState {
    /// No preferences recorded.
    pub fn new() -> PreferenceState {
        PreferenceState::default()
    }

    /// The state after `events`, sorted by time (ties in the order given).
    pub fn from_events(events: &[PreferenceEvent]) -> PreferenceState {
        let mut state = PreferenceState::new();
        for event in in_time_order(events, |e| e.at) {
            state.apply(event.clone());
        }
        state
    }

    /// Apply one event; returns whether it became the current one for its subject and preference.
    pub fn apply(&mut self, event: PreferenceEvent) -> bool {
        let subject = self.subjects.entry(event.subject.clone()).or_default();
        match &event.preference {
            Preference::Channel(channel) => {
                let channel = *channel;
                match subject.channels.get(&channel) {
                    Some(current) if !supersedes(event.at, current.at) => false,
                    _ => {
                        subject.channels.insert(channel, event);
                        true
                    }
                }
            }
            Preference::Interest(interest) => match subject.interests.get(interest.as_str()) {
                Some(current) if !supersedes(event.at, current.at) => false,
                _ => {
                    subject.interests.insert(interest.clone(), event);
                    true
                }
            },
        }
    }

    /// The event that set the subject's current choice for `channel`.
    pub fn channel(&self, subject: &str, channel: Channel) -> Option<&PreferenceEvent> {
        self.subjects.get(subject)?.channels.get(&channel)
    }

    /// The event that set the subject's current choice for the interest area.
    pub fn interest(&self, subject: &str, interest: &str) -> Option<&PreferenceEvent> {
        self.subjects.get(subject)?.interests.get(interest)
    }

    /// Whether the subject has opted out of marketing on `channel`.
    pub fn channel_opted_out(&self, subject: &str, channel: Channel) -> bool {
        self.channel(subject, channel).is_some_and(|e| !e.opted_in)
    }

    /// Whether the subject has opted out of the interest area.
    pub fn interest_opted_out(&self, subject: &str, interest: &str) -> bool {
        self.interest(subject, interest)
            .is_some_and(|e| !e.opted_in)
    }

    /// The subject's current preferences: channels, then interest areas by id.
    pub fn for_subject(&self, subject: &str) -> impl Iterator<Item = &PreferenceEvent> {
        self.subjects
            .get(subject)
            .into_iter()
            .flat_map(|s| s.channels.values().chain(s.interests.values()))
    }
}
