//! What a decision knows about the subject, the organisations, and the record: compact values the
//! vault builds from stored events, small enough to keep a million subjects in memory.
//!
//! Strings that repeat across subjects (purpose ids, notice versions, organisation and tenant ids)
//! are shared through an [`Interner`], so a subject's facts hold pointers rather than copies.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use jiff::Timestamp;
use skydd_consent::{
    ConsentEvent, ConsentScope, ConsentState, FeatureState, FeatureSwitch, ObjectionSource,
    ObjectionState, ObjectionTarget, PreferenceState,
};
use skydd_register::model::{BrowserSignal, CategoryId, Channel, PurposeId};

use crate::ConsentRef;

/// Shares equal strings: interning the same text twice gives the same allocation.
#[derive(Debug, Clone, Default)]
pub struct Interner {
    strings: HashSet<Arc<str>>,
}

impl Interner {
    /// An empty interner.
    pub fn new() -> Interner {
        Interner::default()
    }

    /// The shared copy of `text`.
    pub fn intern(&mut self, text: &str) -> Arc<str> {
        if let Some(shared) = self.strings.get(text) {
            return Arc::clone(shared);
        }
        let shared: Arc<str> = Arc::from(text);
        self.strings.insert(Arc::clone(&shared));
        shared
    }

    /// How many distinct strings are shared.
    pub fn len(&self) -> usize {
        self.strings.len()
    }

    /// Whether nothing has been interned.
    pub fn is_empty(&self) -> bool {
        self.strings.is_empty()
    }

    /// Approximate heap bytes held by the shared strings and the set.
    pub fn heap_bytes(&self) -> usize {
        let texts: usize = self.strings.iter().map(|s| s.len() + 16).sum();
        texts + self.strings.capacity() * (std::mem::size_of::<Arc<str>>() + 1)
    }
}

/// A set of marketing channels, one bit each.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub(crate) struct ChannelSet(u8);

impl ChannelSet {
    fn bit(channel: Channel) -> u8 {
        match channel {
            Channel::Email => 1,
            Channel::Sms => 1 << 1,
            Channel::Phone => 1 << 2,
            Channel::Post => 1 << 3,
            Channel::Push => 1 << 4,
            Channel::InApp => 1 << 5,
        }
    }

    pub(crate) fn of(channels: &[Channel]) -> ChannelSet {
        let mut set = ChannelSet::default();
        for channel in channels {
            set.insert(*channel);
        }
        set
    }

    pub(crate) fn insert(&mut self, channel: Channel) {
        self.0 |= ChannelSet::bit(channel);
    }

    pub(crate) fn remove(&mut self, channel: Channel) {
        self.0 &= !ChannelSet::bit(channel);
    }

    pub(crate) fn contains(self, channel: Channel) -> bool {
        self.0 & ChannelSet::bit(channel) != 0
    }

    pub(crate) fn is_empty(self) -> bool {
        self.0 == 0
    }
}

/// The current consent of one scope to one purpose, as a decision needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ConsentFact {
    pub(crate) purpose: Arc<str>,
    pub(crate) granted: bool,
    pub(crate) reference: ConsentRef,
    /// The hash of the consent wording shown, when known.
    pub(crate) wording: Option<Arc<str>>,
}

fn consent_fact(event: &ConsentEvent, interner: &mut Interner) -> ConsentFact {
    ConsentFact {
        purpose: interner.intern(event.purpose.as_str()),
        granted: event.granted,
        reference: ConsentRef {
            giver: event.scope.giver(),
            notice_version: interner.intern(&event.notice_version),
            at: event.at,
            method: event.method,
        },
        wording: event.text_hash.as_deref().map(|hash| interner.intern(hash)),
    }
}

fn set_consent_in(facts: &mut Vec<ConsentFact>, fact: ConsentFact) {
    match facts.iter_mut().find(|f| f.purpose == fact.purpose) {
        Some(existing) => *existing = fact,
        None => facts.push(fact),
    }
}

/// What an objection in force covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Objected {
    Purpose(Arc<str>),
    DirectMarketing,
    /// What the register's `signals` says the signal objects to.
    Signal(BrowserSignal),
}

/// One objection in force.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ObjectionFact {
    pub(crate) target: Objected,
    pub(crate) source: ObjectionSource,
}

/// What a decision knows about one subject.
///
/// Build it from the subject's ledger states with [`SubjectFacts::from_ledger`], or piece by piece.
/// A consent or objection set twice for the same purpose keeps the last one set.
///
/// The value is laid out for a million of them in memory: 48 bytes inline (one cache line), the
/// consents in an exactly sized list, and what few subjects have (a tenant, a project,
/// objections, interest opt-outs) behind one pointer that is null for most.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SubjectFacts {
    restricted: bool,
    channels_opted_out: ChannelSet,
    organisation: Option<Arc<str>>,
    consents: Box<[ConsentFact]>,
    rare: Option<Box<RareFacts>>,
}

/// The facts most subjects do not have.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct RareFacts {
    tenant: Option<Arc<str>>,
    project: Option<Arc<str>>,
    objections: Vec<ObjectionFact>,
    interests_opted_out: Vec<Arc<str>>,
    attributes: Vec<AttributeFact>,
    /// Whether the tenant has a recorded data processing agreement (P001-25).
    tenant_agreement: bool,
}

/// A subject attribute (register `attributes`) the subject holds from `since`, and until
/// `until` when it ends.
#[derive(Debug, Clone, PartialEq, Eq)]
struct AttributeFact {
    attribute: Arc<str>,
    since: Timestamp,
    until: Option<Timestamp>,
}

impl RareFacts {
    fn is_empty(&self) -> bool {
        self.tenant.is_none()
            && self.project.is_none()
            && self.objections.is_empty()
            && self.interests_opted_out.is_empty()
            && self.attributes.is_empty()
            && !self.tenant_agreement
    }
}

impl SubjectFacts {
    /// A subject with no consents, objections, preferences or restriction, who is not a tenant's.
    pub fn new() -> SubjectFacts {
        SubjectFacts::default()
    }

    /// The facts of `subject` in the ledger states: its consents (given and withdrawn), its
    /// objections in force, and the channels and interest areas it opted out of. Restriction,
    /// tenant and organisation are not in the ledger; set them with the setters.
    pub fn from_ledger(
        subject: &str,
        consents: &ConsentState,
        objections: &ObjectionState,
        preferences: &PreferenceState,
        interner: &mut Interner,
    ) -> SubjectFacts {
        let mut facts = SubjectFacts::new();
        let mut list = Vec::new();
        for event in consents.for_subject(subject) {
            set_consent_in(&mut list, consent_fact(event, interner));
        }
        facts.consents = list.into_boxed_slice();
        for event in objections.active(subject) {
            let purpose = match event.target() {
                ObjectionTarget::Purpose(purpose) => Some(interner.intern(purpose.as_str())),
                ObjectionTarget::DirectMarketing | ObjectionTarget::Signal(_) => None,
            };
            facts.object(purpose, event.source);
        }
        for event in preferences.for_subject(subject) {
            if event.opted_in {
                continue;
            }
            match &event.preference {
                skydd_consent::Preference::Channel(channel) => {
                    facts.channels_opted_out.insert(*channel);
                }
                skydd_consent::Preference::Interest(interest) => {
                    facts.opt_out_of_interest(interner.intern(interest));
                }
            }
        }
        facts.compact();
        facts
    }

    fn rare_mut(&mut self) -> &mut RareFacts {
        self.rare.get_or_insert_with(Box::default)
    }

    /// Drop unused capacity and an empty rare part.
    fn compact(&mut self) {
        if let Some(rare) = &mut self.rare {
            if rare.is_empty() {
                self.rare = None;
            } else {
                rare.objections.shrink_to_fit();
                rare.interests_opted_out.shrink_to_fit();
                rare.attributes.shrink_to_fit();
            }
        }
    }

    /// Set whether the subject has restricted processing (Art. 18).
    pub fn set_restricted(&mut self, restricted: bool) {
        self.restricted = restricted;
    }

    /// Set the tenant (the customer on whose instructions the subject's data is processed), or
    /// `None` for the controller's own subjects.
    pub fn set_tenant(&mut self, tenant: Option<Arc<str>>) {
        self.rare_mut().tenant = tenant;
        self.compact();
    }

    /// Set the organisation (and project) the subject belongs to: the scope used for feature
    /// switches and organisation consents when a request names none.
    pub fn set_organisation(&mut self, organisation: Option<Arc<str>>, project: Option<Arc<str>>) {
        self.organisation = organisation;
        self.rare_mut().project = project;
        self.compact();
    }

    /// Set the subject's current consent to `purpose` (given or withdrawn).
    pub fn set_consent(&mut self, purpose: Arc<str>, granted: bool, reference: ConsentRef) {
        let mut list = std::mem::take(&mut self.consents).into_vec();
        set_consent_in(
            &mut list,
            ConsentFact {
                purpose,
                granted,
                reference,
                wording: None,
            },
        );
        self.consents = list.into_boxed_slice();
    }

    /// Record an objection in force: to `purpose`, or with `None` to all direct marketing (or,
    /// when the source is a browser signal, to what the register's `signals` says), as
    /// [`skydd_consent::ObjectionEvent`] reads.
    pub fn object(&mut self, purpose: Option<Arc<str>>, source: ObjectionSource) {
        let target = match (purpose, source.browser_signal()) {
            (Some(purpose), _) => Objected::Purpose(purpose),
            (None, None) => Objected::DirectMarketing,
            (None, Some(signal)) => Objected::Signal(signal),
        };
        let objections = &mut self.rare_mut().objections;
        objections.retain(|o| o.target != target);
        objections.push(ObjectionFact { target, source });
        self.compact();
    }

    /// Opt the subject out of (or back in to) marketing on `channel`.
    pub fn set_channel_opt_out(&mut self, channel: Channel, opted_out: bool) {
        if opted_out {
            self.channels_opted_out.insert(channel);
        } else {
            self.channels_opted_out.remove(channel);
        }
    }

    /// Opt the subject out of marketing about an interest area.
    pub fn opt_out_of_interest(&mut self, interest: Arc<str>) {
        let interests = &mut self.rare_mut().interests_opted_out;
        if !interests.contains(&interest) {
            interests.push(interest);
        }
        self.compact();
    }

    /// Record that the subject holds `attribute` (a register `attributes` id) from `since`,
    /// until `until` when it ends (exclusive). Setting it again replaces the dates.
    pub fn set_attribute(
        &mut self,
        attribute: Arc<str>,
        since: Timestamp,
        until: Option<Timestamp>,
    ) {
        let attributes = &mut self.rare_mut().attributes;
        attributes.retain(|a| a.attribute != attribute);
        attributes.push(AttributeFact {
            attribute,
            since,
            until,
        });
        self.compact();
    }

    /// Whether the subject holds `attribute` at `now`: recorded, `since` at or before `now`,
    /// and not yet ended.
    pub fn holds_attribute(&self, attribute: &str, now: Timestamp) -> bool {
        self.rare.as_ref().is_some_and(|r| {
            r.attributes.iter().any(|a| {
                &*a.attribute == attribute && a.since <= now && a.until.is_none_or(|end| now < end)
            })
        })
    }

    /// Record whether the subject's tenant has signed a data processing agreement (a
    /// processor activity with `requires_agreement` waits for it, P001-25).
    pub fn set_tenant_agreement(&mut self, signed: bool) {
        self.rare_mut().tenant_agreement = signed;
        self.compact();
    }

    /// Whether the subject's tenant has a recorded data processing agreement.
    pub fn has_tenant_agreement(&self) -> bool {
        self.rare.as_ref().is_some_and(|r| r.tenant_agreement)
    }

    /// Whether processing is restricted.
    pub fn is_restricted(&self) -> bool {
        self.restricted
    }

    /// The tenant, for a customer's end user.
    pub fn tenant(&self) -> Option<&str> {
        self.rare.as_ref()?.tenant.as_deref()
    }

    /// The subject's organisation.
    pub fn organisation(&self) -> Option<&str> {
        self.organisation.as_deref()
    }

    /// The subject's project.
    pub fn project(&self) -> Option<&str> {
        self.rare.as_ref()?.project.as_deref()
    }

    /// The subject's current consent to `purpose`: whether given, and the event's reference.
    pub fn consent(&self, purpose: &str) -> Option<(bool, &ConsentRef)> {
        self.consent_fact(purpose)
            .map(|f| (f.granted, &f.reference))
    }

    pub(crate) fn consent_fact(&self, purpose: &str) -> Option<&ConsentFact> {
        self.consents.iter().find(|f| &*f.purpose == purpose)
    }

    /// Whether an objection from browser signal `signal` is in force.
    pub fn signal_in_force(&self, signal: BrowserSignal) -> bool {
        self.objections()
            .iter()
            .any(|o| o.target == Objected::Signal(signal))
    }

    pub(crate) fn objections(&self) -> &[ObjectionFact] {
        self.rare.as_ref().map_or(&[], |r| r.objections.as_slice())
    }

    pub(crate) fn channel_opted_out(&self, channel: Channel) -> bool {
        self.channels_opted_out.contains(channel)
    }

    pub(crate) fn interest_opted_out(&self, interest: &str) -> bool {
        self.rare
            .as_ref()
            .is_some_and(|r| r.interests_opted_out.iter().any(|i| &**i == interest))
    }

    /// Approximate bytes this value owns: itself and its lists, not the interned strings it
    /// shares (count those once, with [`Interner::heap_bytes`]).
    pub fn memory_bytes(&self) -> usize {
        let rare = self.rare.as_ref().map_or(0, |r| {
            std::mem::size_of::<RareFacts>()
                + r.objections.capacity() * std::mem::size_of::<ObjectionFact>()
                + r.interests_opted_out.capacity() * std::mem::size_of::<Arc<str>>()
                + r.attributes.capacity() * std::mem::size_of::<AttributeFact>()
        });
        std::mem::size_of::<SubjectFacts>()
            + std::mem::size_of_val::<[ConsentFact]>(&self.consents)
            + rare
    }
}

#[derive(Debug, Clone, Default)]
struct OrganisationConsents {
    own: Vec<ConsentFact>,
    projects: HashMap<Box<str>, Vec<ConsentFact>>,
}

/// What a decision knows about organisations, projects and tenants: their consents, the feature
/// switches, and the purposes each tenant has instructed. Shared by all subjects.
#[derive(Debug, Clone, Default)]
pub struct ScopeFacts {
    features: FeatureState,
    organisations: HashMap<Box<str>, OrganisationConsents>,
    instructions: HashMap<Box<str>, Vec<Arc<str>>>,
}

impl ScopeFacts {
    /// No organisation consents, every feature off, no tenant instructions recorded.
    pub fn new() -> ScopeFacts {
        ScopeFacts::default()
    }

    /// The organisation and project consents of `consents` and the switches of `features`.
    pub fn from_ledger(
        consents: &ConsentState,
        features: &FeatureState,
        interner: &mut Interner,
    ) -> ScopeFacts {
        let mut facts = ScopeFacts {
            features: features.clone(),
            ..ScopeFacts::default()
        };
        for event in consents.organisation_scoped() {
            facts.set_consent_event(event, interner);
        }
        facts
    }

    /// Record an organisation's or project's current consent (a subject-scoped event is ignored).
    pub fn set_consent_event(&mut self, event: &ConsentEvent, interner: &mut Interner) {
        let fact = consent_fact(event, interner);
        match &event.scope {
            ConsentScope::Subject(_) => {}
            ConsentScope::Organisation(organisation) => {
                let entry = self
                    .organisations
                    .entry(organisation.as_str().into())
                    .or_default();
                set_consent_in(&mut entry.own, fact);
            }
            ConsentScope::Project {
                organisation,
                project,
            } => {
                let entry = self
                    .organisations
                    .entry(organisation.as_str().into())
                    .or_default();
                let list = entry.projects.entry(project.as_str().into()).or_default();
                set_consent_in(list, fact);
            }
        }
    }

    /// Apply a feature switch (same rules as [`FeatureState::apply`]).
    pub fn apply_switch(&mut self, switch: FeatureSwitch) -> bool {
        self.features.apply(switch)
    }

    /// The feature switches.
    pub fn features(&self) -> &FeatureState {
        &self.features
    }

    /// Record the processor purposes `tenant` has instructed. Without a record, every processor
    /// activity of the register counts as instructed (the data processing agreement).
    pub fn set_instructions(&mut self, tenant: &str, purposes: Vec<Arc<str>>) {
        self.instructions.insert(tenant.into(), purposes);
    }

    /// The processor purposes `tenant` has instructed, when recorded.
    pub fn instructions(&self, tenant: &str) -> Option<&[Arc<str>]> {
        self.instructions.get(tenant).map(Vec::as_slice)
    }

    pub(crate) fn organisation_consent(
        &self,
        organisation: &str,
        purpose: &str,
    ) -> Option<&ConsentFact> {
        self.organisations
            .get(organisation)?
            .own
            .iter()
            .find(|f| &*f.purpose == purpose)
    }

    pub(crate) fn project_consent(
        &self,
        organisation: &str,
        project: &str,
        purpose: &str,
    ) -> Option<&ConsentFact> {
        self.organisations
            .get(organisation)?
            .projects
            .get(project)?
            .iter()
            .find(|f| &*f.purpose == purpose)
    }
}

/// What a decision knows about one record: when its retention clocks started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordFacts {
    /// The record's data category; must be the category the request names.
    pub category: CategoryId,
    /// When the record was collected (the `collected_at` anchor).
    pub collected_at: Timestamp,
    /// Other anchor events that have happened, by event id (`contract_end`, `invoice_paid`,
    /// `last_contact`, `financial_year_end` ...). An event not here has not happened yet.
    pub anchors: BTreeMap<String, Timestamp>,
    /// The purpose the record was collected for. Kept for the audit trail; the rules do not use it
    /// (which purposes may use a category is the register's `legal_basis`).
    pub purpose_of_collection: Option<PurposeId>,
}

impl RecordFacts {
    /// A record of `category` collected at `collected_at`, with no other anchors yet.
    pub fn new(category: &str, collected_at: Timestamp) -> RecordFacts {
        RecordFacts {
            category: CategoryId(category.to_owned()),
            collected_at,
            anchors: BTreeMap::new(),
            purpose_of_collection: None,
        }
    }

    /// The record with anchor `event` at `at`.
    pub fn with_anchor(mut self, event: &str, at: Timestamp) -> RecordFacts {
        self.anchors.insert(event.to_owned(), at);
        self
    }

    /// When anchor `event` happened, if it has: `collected_at` is always known, and a record
    /// never `reviewed` counts its reviews from its collection.
    pub fn anchor(&self, event: &str) -> Option<Timestamp> {
        match self.anchors.get(event) {
            Some(at) => Some(*at),
            None if event == "collected_at" || event == "reviewed" => Some(self.collected_at),
            None => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subject_facts_fit_in_a_cache_line() {
        assert!(std::mem::size_of::<SubjectFacts>() <= 64);
    }

    #[test]
    fn an_empty_rare_part_is_dropped() {
        let mut facts = SubjectFacts::new();
        facts.set_organisation(Some(Arc::from("acme")), None);
        facts.set_tenant(None);
        assert!(facts.rare.is_none());
        assert_eq!(facts.project(), None);
        facts.set_tenant(Some(Arc::from("t")));
        assert_eq!(facts.tenant(), Some("t"));
        facts.set_tenant(None);
        assert!(facts.rare.is_none());
    }

    #[test]
    fn setting_a_consent_twice_keeps_the_last() {
        let reference = |version: &str| ConsentRef {
            giver: skydd_register::model::ConsentGiver::Subject,
            notice_version: Arc::from(version),
            at: Timestamp::UNIX_EPOCH,
            method: skydd_consent::ConsentMethod::Api,
        };
        let mut facts = SubjectFacts::new();
        facts.set_consent(Arc::from("p"), true, reference("1"));
        facts.set_consent(Arc::from("p"), false, reference("2"));
        let (granted, current) = facts.consent("p").unwrap();
        assert!(!granted);
        assert_eq!(&*current.notice_version, "2");
        assert_eq!(facts.consents.len(), 1);
    }
}
