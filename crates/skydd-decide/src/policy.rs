//! The register compiled into lookup tables, built once per loaded register.
//!
//! Purposes and categories are numbered; a decision finds each with one hash lookup and reads the
//! purpose × category cell of a dense table: its legal bases, whether it is shared with third
//! parties, and its retention clocks, all resolved from the register ahead of time.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

use jiff::Timestamp;
use skydd_register::Register;
use skydd_register::model::{
    Anchor, Art9Condition, BrowserSignal, ConditionFact, ConsentGiver, LegalBasis, Purpose,
    RecipientKind, RetentionAction, RetentionClock, Role, SignalObjection,
};

use crate::facts::ChannelSet;
use crate::{RecordFacts, SubjectFacts};

/// FNV-1a: a fast hash for the short ids of a register. The tables are built from the register
/// only, so a client cannot fill them with colliding keys; a lookup of any string costs one hash
/// and at most a few comparisons.
#[derive(Debug, Clone, Copy)]
pub(crate) struct IdHasher(u64);

impl Default for IdHasher {
    fn default() -> IdHasher {
        IdHasher(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 = (self.0 ^ u64::from(*byte)).wrapping_mul(0x0000_0100_0000_01b3);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// A map from register ids to table indexes.
pub(crate) type IdMap = HashMap<Box<str>, usize, BuildHasherDefault<IdHasher>>;

/// A retention clock resolved to the event that starts it.
#[derive(Debug, Clone)]
pub(crate) struct Clock {
    /// The rule or hold id, for explanations.
    pub(crate) id: Arc<str>,
    /// The anchor event: the rule's `after`, or the `ends_with` of its `while` state.
    pub(crate) anchor: Box<str>,
    /// The clock itself.
    pub(crate) clock: RetentionClock,
    /// What happens when it expires (holds: delete).
    pub(crate) action: RetentionAction,
}

/// A legal hold on a category.
#[derive(Debug, Clone)]
pub(crate) struct Hold {
    /// The only purpose held data may be used for.
    pub(crate) purpose: usize,
    /// When the hold ends.
    pub(crate) clock: Clock,
}

#[derive(Debug, Clone)]
pub(crate) struct PurposeRule {
    pub(crate) id: Arc<str>,
    pub(crate) role: Role,
    pub(crate) direct_marketing: bool,
    pub(crate) consent_giver: Option<ConsentGiver>,
    /// The hash of the current consent wording: a consent given to other wording needs renewal.
    pub(crate) consent_wording: Option<Arc<str>>,
    pub(crate) channels: ChannelSet,
    pub(crate) requires_feature: Option<Box<str>>,
    /// A processor activity that needs the tenant's recorded processing agreement.
    pub(crate) requires_agreement: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct CategoryRule {
    pub(crate) id: Arc<str>,
    pub(crate) personal: bool,
    pub(crate) explicit_consent: bool,
    pub(crate) holds: Box<[Hold]>,
}

/// The fact a conditioned basis waits for.
#[derive(Debug, Clone)]
pub(crate) enum Condition {
    /// The record's anchor for this event is at or before now.
    Anchor(Box<str>),
    /// The subject holds this attribute now.
    Attribute(Box<str>),
}

impl Condition {
    /// Whether the fact is true at `now` of the subject and, for an anchor, of the record.
    pub(crate) fn holds(
        &self,
        subject: &SubjectFacts,
        record: Option<&RecordFacts>,
        now: Timestamp,
    ) -> bool {
        match self {
            Condition::Anchor(event) => record
                .and_then(|r| r.anchor(event))
                .is_some_and(|at| at <= now),
            Condition::Attribute(attribute) => subject.holds_attribute(attribute, now),
        }
    }
}

/// One purpose × category cell that the register declares.
#[derive(Debug, Clone)]
pub(crate) struct Cell {
    /// The legal bases in register order; empty for a processor activity.
    pub(crate) bases: Box<[LegalBasis]>,
    /// Per basis, the fact that must be true for it to hold (the register's `{basis: ...,
    /// when: ...}`); `None` for a basis without a condition.
    pub(crate) conditions: Box<[Option<Condition>]>,
    /// Whether a recipient that uses the data for its own purposes (a controller or joint
    /// controller) receives this category for this purpose: "sharing", which a browser signal
    /// objects to.
    pub(crate) shared: bool,
    /// The retention clocks that govern this category under this purpose: the rules narrowed to
    /// the purpose if there are any, otherwise the rules for every purpose.
    pub(crate) retention: Box<[Clock]>,
}

/// What a browser signal in force objects to (the register's `signals`), compiled.
#[derive(Debug, Clone)]
pub(crate) struct SignalCover {
    direct_marketing: bool,
    sharing: bool,
    purposes: Box<[Arc<str>]>,
}

impl SignalCover {
    fn compile(objection: &SignalObjection) -> SignalCover {
        SignalCover {
            direct_marketing: objection.direct_marketing,
            sharing: objection.sharing,
            purposes: objection
                .purposes
                .iter()
                .map(|p| Arc::from(p.as_str()))
                .collect(),
        }
    }

    /// Whether the signal objects to `purpose` for the category of `cell`.
    pub(crate) fn covers(&self, purpose: &PurposeRule, cell: &Cell) -> bool {
        self.direct_marketing && purpose.direct_marketing
            || self.sharing && cell.shared
            || self.purposes.contains(&purpose.id)
    }
}

/// The register compiled for decisions. Build it once per loaded register with
/// [`Policy::compile`]; [`Policy::decide`] then costs a few hash lookups and no allocation when it
/// allows.
#[derive(Debug, Clone)]
pub struct Policy {
    pub(crate) purpose_index: IdMap,
    pub(crate) category_index: IdMap,
    pub(crate) purposes: Vec<PurposeRule>,
    pub(crate) categories: Vec<CategoryRule>,
    /// `purposes.len() × categories.len()` cells, row per purpose.
    pub(crate) cells: Vec<Option<Cell>>,
    /// What Global Privacy Control objects to, then Do Not Track.
    signals: [SignalCover; 2],
    /// Each job role (`roles`) and the indexes of the purposes it works for.
    pub(crate) roles: HashMap<Box<str>, Box<[usize]>>,
    /// Each recipient (`recipients`) and what it may use: the purposes the register gives it
    /// (its own `purposes` and the purposes naming it) and the categories it receives.
    pub(crate) recipients: HashMap<Box<str>, RecipientRule>,
}

/// What one recipient may use, as indexes.
#[derive(Debug, Clone)]
pub(crate) struct RecipientRule {
    /// The purposes it works for.
    pub(crate) purposes: Box<[usize]>,
    /// The categories it receives: those it lists, or else every category of its purposes.
    pub(crate) categories: Box<[usize]>,
}

impl Policy {
    /// Compile a (valid) register.
    pub fn compile(register: &Register) -> Policy {
        let purpose_index: IdMap = register
            .purposes
            .iter()
            .enumerate()
            .map(|(i, p)| (p.id.as_str().into(), i))
            .collect();
        let category_index: IdMap = register
            .data
            .iter()
            .enumerate()
            .map(|(i, c)| (c.id.as_str().into(), i))
            .collect();

        let purposes = register
            .purposes
            .iter()
            .map(|p| PurposeRule {
                id: p.id.as_str().into(),
                role: p.role,
                direct_marketing: p.direct_marketing,
                consent_giver: p.consent.as_ref().map(|c| c.given_by),
                consent_wording: p.consent.as_ref().map(|c| Arc::from(c.wording_hash())),
                channels: ChannelSet::of(&p.channels),
                requires_feature: p.requires_feature.as_ref().map(|f| f.as_str().into()),
                requires_agreement: p.requires_agreement,
            })
            .collect();

        let categories = register
            .data
            .iter()
            .map(|c| CategoryRule {
                id: c.id.as_str().into(),
                personal: c.personal_data,
                explicit_consent: c.art9_condition == Some(Art9Condition::ExplicitConsent),
                holds: register
                    .legal_holds
                    .iter()
                    .filter(|h| h.categories.contains(&c.id))
                    .filter_map(|h| {
                        Some(Hold {
                            purpose: *purpose_index.get(h.purpose.as_str())?,
                            clock: resolve_clock(
                                register,
                                h.id.as_str(),
                                &h.clock,
                                RetentionAction::Delete,
                            )?,
                        })
                    })
                    .collect(),
            })
            .collect();

        let mut cells = vec![None; register.purposes.len() * register.data.len()];
        for (p, purpose) in register.purposes.iter().enumerate() {
            for category in purpose.data_categories() {
                let Some(&c) = category_index.get(category.as_str()) else {
                    continue;
                };
                let bases: Box<[LegalBasis]> =
                    purpose.bases_for(category).unwrap_or_default().into();
                let conditions = bases
                    .iter()
                    .map(|basis| {
                        purpose
                            .legal_basis
                            .iter()
                            .find(|b| &b.category == category)
                            .and_then(|b| b.condition(*basis))
                            .map(|fact| match fact {
                                ConditionFact::Event(event) => {
                                    Condition::Anchor(event.as_str().into())
                                }
                                ConditionFact::Attribute(attribute) => {
                                    Condition::Attribute(attribute.as_str().into())
                                }
                            })
                    })
                    .collect();
                let retention = register
                    .retention
                    .iter()
                    .filter(|r| &r.category == category && r.purposes.contains(&purpose.id))
                    .collect::<Vec<_>>();
                let retention = if retention.is_empty() {
                    register
                        .retention
                        .iter()
                        .filter(|r| &r.category == category && r.purposes.is_empty())
                        .collect()
                } else {
                    retention
                };
                let retention = retention
                    .into_iter()
                    .filter_map(|r| resolve_clock(register, r.id.as_str(), &r.clock, r.action))
                    .collect();
                cells[p * register.data.len() + c] = Some(Cell {
                    bases,
                    conditions,
                    shared: is_shared(register, purpose, category.as_str()),
                    retention,
                });
            }
        }

        let roles = register
            .roles
            .iter()
            .map(|role| {
                let purposes: Box<[usize]> = role
                    .purposes
                    .iter()
                    .filter_map(|p| purpose_index.get(p.as_str()).copied())
                    .collect();
                (Box::from(role.id.as_str()), purposes)
            })
            .collect();
        let recipients = register
            .recipients
            .iter()
            .map(|recipient| {
                let purposes: Vec<&Purpose> = register
                    .purposes
                    .iter()
                    .filter(|p| {
                        recipient.purposes.contains(&p.id) || p.recipients.contains(&recipient.id)
                    })
                    .collect();
                let categories: Vec<&str> = if recipient.categories.is_empty() {
                    purposes
                        .iter()
                        .flat_map(|p| p.data_categories())
                        .map(|c| c.as_str())
                        .collect()
                } else {
                    recipient.categories.iter().map(|c| c.as_str()).collect()
                };
                let rule = RecipientRule {
                    purposes: purposes
                        .iter()
                        .filter_map(|p| purpose_index.get(p.id.as_str()).copied())
                        .collect(),
                    categories: categories
                        .into_iter()
                        .filter_map(|c| category_index.get(c).copied())
                        .collect(),
                };
                (Box::from(recipient.id.as_str()), rule)
            })
            .collect();
        Policy {
            recipients,
            signals: [
                SignalCover::compile(&register.signals.gpc),
                SignalCover::compile(&register.signals.dnt),
            ],
            roles,
            purpose_index,
            category_index,
            purposes,
            categories,
            cells,
        }
    }

    pub(crate) fn cell(&self, purpose: usize, category: usize) -> Option<&Cell> {
        self.cells
            .get(purpose * self.categories.len() + category)
            .and_then(Option::as_ref)
    }
}

/// The clock with its anchor resolved: `after` names the event; `while` a state that ends with one.
fn resolve_clock(
    register: &Register,
    id: &str,
    clock: &RetentionClock,
    action: RetentionAction,
) -> Option<Clock> {
    let anchor = match &clock.anchor {
        Anchor::After(event) => event.as_str().into(),
        Anchor::While(state) => register
            .states
            .iter()
            .find(|s| &s.id == state)?
            .ends_with
            .as_str()
            .into(),
    };
    Some(Clock {
        id: id.into(),
        anchor,
        clock: clock.clone(),
        action,
    })
}

impl Policy {
    /// What `signal` objects to once in force.
    pub(crate) fn signal(&self, signal: BrowserSignal) -> &SignalCover {
        match signal {
            BrowserSignal::Gpc => &self.signals[0],
            BrowserSignal::Dnt => &self.signals[1],
        }
    }
}

/// Whether `purpose` discloses `category` to a recipient that uses it for its own purposes.
fn is_shared(register: &Register, purpose: &Purpose, category: &str) -> bool {
    register.recipients.iter().any(|r| {
        matches!(
            r.kind,
            RecipientKind::Controller | RecipientKind::JointController
        ) && (purpose.recipients.contains(&r.id) || r.purposes.contains(&purpose.id))
            && (r.categories.is_empty() || r.categories.iter().any(|c| c.as_str() == category))
    })
}
