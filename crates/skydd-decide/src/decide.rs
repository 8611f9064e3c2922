//! The rules of a decision, in the order they are checked.

use jiff::Timestamp;
use jiff::tz::Offset;
use skydd_register::model::{Choice, ConsentGiver, LegalBasis, Role};

use crate::facts::{ConsentFact, Objected, ObjectionFact};
use crate::policy::{CategoryRule, Cell, Condition, PurposeRule};
use crate::retention::{self, RetentionStatus};
use crate::{
    ConsentRef, Decision, DecisionRequest, DenyCode, Operation, Policy, RecordFacts, Scope,
    ScopeFacts, SubjectFacts,
};

/// The outcome of looking for a consent.
enum ConsentCheck<'a> {
    Granted(&'a ConsentFact),
    /// Given, but to wording of the consent text that has changed since.
    Outdated,
    Withdrawn,
    Missing(&'static str),
}

impl Policy {
    /// May `request.purpose` use `request.category` of the subject described by `subject` now?
    ///
    /// `scopes` holds organisation and project consents, feature switches and tenant
    /// instructions; `record`, when given, the retention anchors of the record in question
    /// (without it, retention and legal holds are not checked). `now` is the time of the use: its
    /// UTC date is compared with retention expiry dates, and a record may be used through its
    /// expiry date.
    ///
    /// The checks run in the order of the [`DenyCode`] table and the first that fails is
    /// reported. The function does not panic and gives the same answer for the same inputs.
    pub fn decide(
        &self,
        request: &DecisionRequest<'_>,
        subject: &SubjectFacts,
        scopes: &ScopeFacts,
        record: Option<&RecordFacts>,
        now: Timestamp,
    ) -> Decision {
        // The register: is this category processed for this purpose at all?
        let Some(&p) = self.purpose_index.get(request.purpose) else {
            return deny(
                DenyCode::UnknownPurpose,
                format!("purpose {} is not in the register", quoted(request.purpose)),
            );
        };
        let Some(&c) = self.category_index.get(request.category) else {
            return deny(
                DenyCode::UnknownCategory,
                format!(
                    "data category {} is not in the register",
                    quoted(request.category)
                ),
            );
        };
        let (Some(purpose), Some(category)) = (self.purposes.get(p), self.categories.get(c)) else {
            // The indexes are built from the same lists as the tables.
            return deny(
                DenyCode::UnknownPurpose,
                "the register is inconsistent".into(),
            );
        };
        // A recipient uses data only for the purposes the register gives it (P002-30: "not
        // allowed to use such data for any other purpose than providing the agreed-upon
        // products and services").
        if let Some(recipient) = request.recipient {
            let Some(rule) = self.recipients.get(recipient) else {
                return deny(
                    DenyCode::RecipientNotForPurpose,
                    format!("recipient {} is not in the register", quoted(recipient)),
                );
            };
            if !rule.purposes.contains(&p) {
                return deny(
                    DenyCode::RecipientNotForPurpose,
                    format!(
                        "the register does not give recipient `{recipient}` purpose `{}`",
                        purpose.id
                    ),
                );
            }
            if !rule.categories.contains(&c) {
                return deny(
                    DenyCode::RecipientNotForCategory,
                    format!(
                        "the register does not let recipient `{recipient}` receive `{}`",
                        category.id
                    ),
                );
            }
        }
        // Access only for those who need it for their tasks (P002-38, P003-41).
        if let Some(role) = request.role {
            let Some(serves) = self.roles.get(role) else {
                return deny(
                    DenyCode::UnknownRole,
                    format!("role {} is not in the register", quoted(role)),
                );
            };
            if !serves.contains(&p) {
                return deny(
                    DenyCode::RoleNotForPurpose,
                    format!("role `{role}` does not work for purpose `{}`", purpose.id),
                );
            }
        }
        let Some(cell) = self.cell(p, c) else {
            return deny(
                DenyCode::CategoryNotProcessedForPurpose,
                format!(
                    "purpose `{}` does not process data category `{}`",
                    purpose.id, category.id
                ),
            );
        };
        if let Some(channel) = request.channel {
            let declared = purpose.channels.contains(channel);
            let restricted = purpose.direct_marketing || !purpose.channels.is_empty();
            if restricted && !declared {
                return deny(
                    DenyCode::ChannelNotDeclared,
                    format!(
                        "purpose `{}` does not declare the channel `{}`",
                        purpose.id,
                        channel.word()
                    ),
                );
            }
        }
        if let Some(record) = record
            && record.category.as_str() != request.category
        {
            return deny(
                DenyCode::RecordCategoryMismatch,
                format!("the record is not of data category `{}`", category.id),
            );
        }

        let personal = category.personal;
        if personal {
            if let Some(denied) = self.processor_mode(purpose, subject, scopes) {
                return denied;
            }
            if let Some(record) = record
                && let Some(denied) = self.retention(p, purpose, category, cell, record, now)
            {
                return denied;
            }
        }
        if request.operation == Operation::Store {
            return Decision::Allow {
                legal_basis: cell.bases.first().copied(),
                consent: None,
            };
        }
        if personal && subject.is_restricted() {
            return deny(
                DenyCode::Restricted,
                format!(
                    "processing is restricted (Art. 18): data category `{}` may only be stored",
                    category.id
                ),
            );
        }
        let scope = request.scope.or_else(|| {
            subject.organisation().map(|organisation| Scope {
                organisation,
                project: subject.project(),
            })
        });
        if let Some(feature) = &purpose.requires_feature {
            let enabled = scope.is_some_and(|s| {
                scopes
                    .features()
                    .is_enabled(feature, s.organisation, s.project)
            });
            if !enabled {
                let place = match scope {
                    None => "no organisation was given",
                    Some(Scope { project: None, .. }) => "it is off for the organisation",
                    Some(_) => "it is off for the project",
                };
                return deny(
                    DenyCode::FeatureDisabled,
                    format!(
                        "purpose `{}` needs feature `{feature}`, and {place}",
                        purpose.id
                    ),
                );
            }
        }
        if !personal {
            // Anonymous data is about nobody: no consent, objection or preference applies.
            return Decision::Allow {
                legal_basis: cell.bases.first().copied(),
                consent: None,
            };
        }

        let objection = objection_to(self, purpose, cell, subject.objections());
        if purpose.direct_marketing {
            if let Some(objection) = objection {
                return deny(
                    DenyCode::Objection,
                    format!(
                        "the subject objected to direct marketing ({}; Art. 21(3)): purpose `{}` is direct marketing",
                        objection.source, purpose.id
                    ),
                );
            }
            if let Some(channel) = request.channel
                && subject.channel_opted_out(channel)
            {
                return deny(
                    DenyCode::ChannelOptedOut,
                    format!("the subject opted out of marketing by `{}`", channel.word()),
                );
            }
            if let Some(interest) = request.interest
                && subject.interest_opted_out(interest)
            {
                return deny(
                    DenyCode::InterestOptedOut,
                    format!(
                        "the subject opted out of marketing about {}",
                        quoted(interest)
                    ),
                );
            }
        }

        let facts = BasisFacts {
            subject,
            scopes,
            scope,
            objection,
            record,
            now,
        };
        let allowed = match self.legal_basis(purpose, cell, &facts) {
            Ok(allowed) => allowed,
            Err(denied) => return denied,
        };
        if category.explicit_consent {
            return explicit_consent(purpose, category, subject, allowed);
        }
        allowed
    }

    /// A tenant's subjects are processed only for processor activities the tenant instructed; the
    /// controller's own subjects never for processor activities.
    fn processor_mode(
        &self,
        purpose: &PurposeRule,
        subject: &SubjectFacts,
        scopes: &ScopeFacts,
    ) -> Option<Decision> {
        match (purpose.role, subject.tenant()) {
            (Role::Controller, None) => None,
            (Role::Controller, Some(_)) => Some(deny(
                DenyCode::ProcessorMode,
                format!(
                    "the subject's data is processed on a customer's instructions; purpose `{}` is the controller's own",
                    purpose.id
                ),
            )),
            (Role::Processor, None) => Some(deny(
                DenyCode::ProcessorMode,
                format!(
                    "purpose `{}` is processing on customers' instructions, and the subject is not a customer's",
                    purpose.id
                ),
            )),
            // P001-25: no processing on a customer's behalf before its agreement is signed.
            (Role::Processor, Some(tenant))
                if purpose.requires_agreement && !subject.has_tenant_agreement() =>
            {
                Some(deny(
                    DenyCode::ProcessorMode,
                    format!(
                        "purpose `{}` waits for a signed data processing agreement with customer `{tenant}`, and none is recorded (Art. 28(3))",
                        purpose.id
                    ),
                ))
            }
            (Role::Processor, Some(tenant)) => match scopes.instructions(tenant) {
                Some(instructed) if !instructed.iter().any(|i| **i == *purpose.id) => Some(deny(
                    DenyCode::ProcessorMode,
                    format!("the customer has not instructed purpose `{}`", purpose.id),
                )),
                _ => None,
            },
        }
    }

    /// Expired data may not be used; data past its retention but under a legal hold only for the
    /// hold's purpose, until the hold ends.
    fn retention(
        &self,
        p: usize,
        purpose: &PurposeRule,
        category: &CategoryRule,
        cell: &Cell,
        record: &RecordFacts,
        now: Timestamp,
    ) -> Option<Decision> {
        let (expired, hold) = match retention::status(category, cell, record, now) {
            RetentionStatus::Expired { rule, .. } => (rule, None),
            RetentionStatus::Held { rule, .. } => {
                let today = Offset::UTC.to_datetime(now).date();
                // Held data may be used for the purpose of any hold that keeps it.
                if category
                    .holds
                    .iter()
                    .any(|h| h.purpose == p && retention::holds(&h.clock, record, today))
                {
                    return None;
                }
                (rule, retention::running_hold(category, record, today))
            }
            _ => return None,
        };
        if let Some(hold) = hold {
            let held_for = self.purposes.get(hold.purpose).map_or("", |h| &*h.id);
            return Some(deny(
                DenyCode::LegalHoldOtherPurpose,
                format!(
                    "retention rule `{expired}` has expired; legal hold `{}` keeps data category `{}` for purpose `{held_for}` only, not `{}`",
                    hold.clock.id, category.id, purpose.id
                ),
            ));
        }
        Some(deny(
            DenyCode::RetentionExpired,
            format!(
                "retention rule `{expired}` has expired for this record of data category `{}`",
                category.id
            ),
        ))
    }

    /// The first of the cell's bases that holds, in register order.
    fn legal_basis(
        &self,
        purpose: &PurposeRule,
        cell: &Cell,
        facts: &BasisFacts<'_>,
    ) -> Result<Decision, Decision> {
        let BasisFacts {
            subject,
            scopes,
            scope,
            objection,
            record,
            now,
        } = *facts;
        if cell.bases.is_empty() {
            // A processor activity: the tenant's instructions were checked above.
            return Ok(Decision::Allow {
                legal_basis: None,
                consent: None,
            });
        }
        // Consent withdrawn means stop: "if a controller chooses to rely on consent for any part
        // of the processing, they must be prepared to respect that choice and stop that part of
        // the processing if an individual withdraws consent", and may not "swap" to another
        // basis afterwards (EDPB Guidelines 05/2020 on consent, §121-123). So once the giver
        // withdrew consent to the purpose, no other basis the register names (in this cell or
        // any other of the purpose) lets it go on; only a new consent does.
        // The consent is looked up once, for purposes that rest on consent anywhere.
        let giver = purpose.consent_giver.unwrap_or(ConsentGiver::Subject);
        let mut consent = (purpose.consent_giver.is_some()
            || cell.bases.contains(&LegalBasis::Consent))
        .then(|| find_consent(purpose, giver, subject, scopes, scope));
        let withdrawn = matches!(consent, Some(ConsentCheck::Withdrawn));
        let mut consent_failure: Option<Decision> = None;
        let mut objected: Option<(LegalBasis, &ObjectionFact)> = None;
        let mut unmet: Option<(LegalBasis, &Condition)> = None;
        for (index, &basis) in cell.bases.iter().enumerate() {
            // A basis the register conditions on a fact holds only while it is true: the
            // record's anchor has happened (without a record it has not), or the subject holds
            // the attribute.
            if let Some(Some(condition)) = cell.conditions.get(index)
                && !condition.holds(subject, record, now)
            {
                unmet.get_or_insert((basis, condition));
                continue;
            }
            match basis {
                LegalBasis::Consent => match consent
                    .take()
                    .unwrap_or_else(|| find_consent(purpose, giver, subject, scopes, scope))
                {
                    ConsentCheck::Granted(fact) => {
                        return Ok(Decision::Allow {
                            legal_basis: Some(basis),
                            consent: Some(fact.reference.clone()),
                        });
                    }
                    ConsentCheck::Outdated => {
                        consent_failure = Some(deny(
                            DenyCode::ConsentRenewalNeeded,
                            format!(
                                "the {} consented to earlier wording of purpose `{}`; the wording has changed and consent must be asked for again",
                                giver.word(),
                                purpose.id
                            ),
                        ));
                    }
                    // Denied after the loop, whatever other basis holds.
                    ConsentCheck::Withdrawn => {}
                    ConsentCheck::Missing(why) => {
                        if consent_failure.is_none() {
                            consent_failure = Some(deny(
                                DenyCode::ConsentMissing,
                                format!(
                                    "purpose `{}` needs the consent of the {}, and {why}",
                                    purpose.id,
                                    giver.word()
                                ),
                            ));
                        }
                    }
                },
                LegalBasis::LegitimateInterest | LegalBasis::PublicTask => match objection {
                    Some(objection) => objected = Some((basis, objection)),
                    None if withdrawn => {}
                    None => {
                        return Ok(Decision::Allow {
                            legal_basis: Some(basis),
                            consent: None,
                        });
                    }
                },
                LegalBasis::Contract | LegalBasis::LegalObligation | LegalBasis::VitalInterest => {
                    if !withdrawn {
                        return Ok(Decision::Allow {
                            legal_basis: Some(basis),
                            consent: None,
                        });
                    }
                }
            }
        }
        if let Some((basis, objection)) = objected {
            return Err(deny(
                DenyCode::Objection,
                format!(
                    "the subject objected ({}) to purpose `{}`, which rests on {} here (Art. 21(1))",
                    objection.source,
                    purpose.id,
                    basis.word()
                ),
            ));
        }
        if withdrawn {
            return Err(deny(
                DenyCode::ConsentWithdrawn,
                format!(
                    "consent to purpose `{}` was withdrawn by the {}; no other legal basis takes its place (EDPB Guidelines 05/2020, §121-123)",
                    purpose.id,
                    giver.word()
                ),
            ));
        }
        if let (None, Some((basis, condition))) = (&consent_failure, unmet) {
            let why = match condition {
                Condition::Anchor(event) => format!(
                    "only once `{event}` has happened for the record, and it has not (or no record was given)"
                ),
                Condition::Attribute(attribute) => format!(
                    "only while the subject holds the attribute `{attribute}`, and it does not now"
                ),
            };
            return Err(deny(
                DenyCode::BasisConditionUnmet,
                format!(
                    "purpose `{}` rests on {} here {why}",
                    purpose.id,
                    basis.word()
                ),
            ));
        }
        Err(consent_failure.unwrap_or_else(|| {
            deny(
                DenyCode::ConsentMissing,
                format!("purpose `{}` has no basis that holds", purpose.id),
            )
        }))
    }
}

/// What the choice of a legal basis looks at: the subject, the scopes, the objection in force
/// that covers the cell, and the record (its anchors decide conditioned bases) at `now`.
#[derive(Clone, Copy)]
struct BasisFacts<'a> {
    subject: &'a SubjectFacts,
    scopes: &'a ScopeFacts,
    scope: Option<Scope<'a>>,
    objection: Option<&'a ObjectionFact>,
    record: Option<&'a RecordFacts>,
    now: Timestamp,
}

/// The objection in force that covers `purpose` for this cell, if any: one to the purpose itself;
/// one to all direct marketing, for a direct marketing purpose; a browser signal, for what the
/// register's `signals` says it objects to.
fn objection_to<'a>(
    policy: &Policy,
    purpose: &PurposeRule,
    cell: &Cell,
    objections: &'a [ObjectionFact],
) -> Option<&'a ObjectionFact> {
    objections.iter().find(|o| match &o.target {
        Objected::Purpose(id) => *id == purpose.id,
        Objected::DirectMarketing => purpose.direct_marketing,
        Objected::Signal(signal) => policy.signal(*signal).covers(purpose, cell),
    })
}

/// The current consent that decides for a purpose given by `giver`.
///
/// A subject's consent is the subject's own. An organisation's consent is the project's own
/// decision when the data belongs to a project that has one, otherwise the organisation's. A
/// project's consent is only the project's own.
fn find_consent<'a>(
    rule: &PurposeRule,
    giver: ConsentGiver,
    subject: &'a SubjectFacts,
    scopes: &'a ScopeFacts,
    scope: Option<Scope<'_>>,
) -> ConsentCheck<'a> {
    let purpose = &*rule.id;
    let fact = match giver {
        ConsentGiver::Subject => subject.consent_fact(purpose),
        ConsentGiver::Organisation => {
            let Some(scope) = scope else {
                return ConsentCheck::Missing("no organisation was given");
            };
            scope
                .project
                .and_then(|project| scopes.project_consent(scope.organisation, project, purpose))
                .or_else(|| scopes.organisation_consent(scope.organisation, purpose))
        }
        ConsentGiver::Project => {
            let Some(Scope {
                organisation,
                project: Some(project),
            }) = scope
            else {
                return ConsentCheck::Missing("no project was given");
            };
            scopes.project_consent(organisation, project, purpose)
        }
    };
    match fact {
        Some(fact) if fact.granted && outdated(rule, fact) => ConsentCheck::Outdated,
        Some(fact) if fact.granted => ConsentCheck::Granted(fact),
        Some(_) => ConsentCheck::Withdrawn,
        None => ConsentCheck::Missing("none has been given"),
    }
}

/// Whether `fact` was given to other wording than the purpose's current consent text. A consent
/// whose wording is not known (an import, an organisation's switch) is taken as given to the
/// current one.
fn outdated(rule: &PurposeRule, fact: &ConsentFact) -> bool {
    match (&rule.consent_wording, &fact.wording) {
        (Some(current), Some(given)) => current != given,
        _ => false,
    }
}

/// A special category whose Art. 9(2) condition is explicit consent needs the subject's own
/// consent to the purpose, whatever the Art. 6 basis.
fn explicit_consent(
    purpose: &PurposeRule,
    category: &CategoryRule,
    subject: &SubjectFacts,
    allowed: Decision,
) -> Decision {
    if let Decision::Allow {
        consent:
            Some(ConsentRef {
                giver: ConsentGiver::Subject,
                ..
            }),
        ..
    } = &allowed
    {
        return allowed;
    }
    match subject.consent_fact(&purpose.id) {
        Some(fact) if fact.granted && outdated(purpose, fact) => deny(
            DenyCode::ConsentRenewalNeeded,
            format!(
                "data category `{}` is special (Art. 9) and the subject's explicit consent to purpose `{}` was given to earlier wording: ask again",
                category.id, purpose.id
            ),
        ),
        Some(fact) if fact.granted => match allowed {
            Decision::Allow { legal_basis, .. } => Decision::Allow {
                legal_basis,
                consent: Some(fact.reference.clone()),
            },
            denied @ Decision::Deny { .. } => denied,
        },
        Some(_) => deny(
            DenyCode::ConsentWithdrawn,
            format!(
                "data category `{}` is special (Art. 9) and the subject withdrew explicit consent to purpose `{}`",
                category.id, purpose.id
            ),
        ),
        None => deny(
            DenyCode::ConsentMissing,
            format!(
                "data category `{}` is special (Art. 9) and needs the subject's explicit consent to purpose `{}`",
                category.id, purpose.id
            ),
        ),
    }
}

/// The last day the clock keeps a record: `None` while its anchor has not happened (the record is
/// kept) or when the date is beyond the calendar.
fn deny(code: DenyCode, explanation: String) -> Decision {
    Decision::Deny { code, explanation }
}

/// An id from the request, quoted, or a placeholder when the text is not an id (it may be
/// anything a client sent, personal data included).
fn quoted(text: &str) -> String {
    let bytes = text.as_bytes();
    let is_id = matches!(bytes.first(), Some(b'a'..=b'z'))
        && bytes.len() <= 64
        && bytes
            .iter()
            .all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'_'));
    if is_id {
        format!("`{text}`")
    } else {
        "(not a valid id)".to_owned()
    }
}
