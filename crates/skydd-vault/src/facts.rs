//! Building the facts a decision needs from the stored ledgers: the subject's consents,
//! objections, preferences and restriction; an organisation's consents and feature switches.

use skydd_consent::{
    ConsentEvent, ConsentScope, ConsentState, FeatureState, FeatureSwitch, ObjectionEvent,
    ObjectionState, OrganisationScope, Preference, PreferenceEvent, PreferenceState,
};
use skydd_decide::{ScopeFacts, SubjectFacts};
use skydd_register::model::{Channel, Choice, FeatureId, PurposeId};
use skydd_storage::{
    ConsentEventRow, FeatureSwitchRow, ObjectionEventRow, PreferenceEventRow, SubjectRow,
};

use std::sync::Arc;

use crate::{Actor, Vault, VaultError};

fn corrupt(what: &str) -> VaultError {
    VaultError::Corrupt(format!("a stored {what} does not parse"))
}

pub(crate) fn consent_event(row: &ConsentEventRow) -> Result<ConsentEvent, VaultError> {
    let scope = match row.scope_kind.as_str() {
        "subject" => ConsentScope::Subject(row.scope_id.clone()),
        "organisation" => ConsentScope::Organisation(row.scope_id.clone()),
        "project" => {
            let (organisation, project) = row
                .scope_id
                .split_once('/')
                .ok_or_else(|| corrupt("project scope"))?;
            ConsentScope::Project {
                organisation: organisation.into(),
                project: project.into(),
            }
        }
        _ => return Err(corrupt("consent scope")),
    };
    Ok(ConsentEvent {
        scope,
        purpose: PurposeId(row.purpose.clone()),
        granted: row.granted,
        method: row.method.parse().map_err(|_| corrupt("consent method"))?,
        notice_version: row.notice_version.clone(),
        at: row.at,
        text_hash: row.text_hash.clone(),
    })
}

/// How `event` is stored, with its sealed context (IP address and user agent), if any: the
/// reverse of [`consent_event`], for every write of a consent (one at a time, or imported).
pub(crate) fn consent_row(event: &ConsentEvent, context: Option<Vec<u8>>) -> ConsentEventRow {
    let (scope_kind, scope_id) = scope_key(&event.scope);
    ConsentEventRow {
        seq: 0,
        scope_kind: scope_kind.to_string(),
        scope_id,
        purpose: event.purpose.0.clone(),
        granted: event.granted,
        method: event.method.as_str().to_string(),
        notice_version: event.notice_version.clone(),
        at: event.at,
        text_hash: event.text_hash.clone(),
        context_ciphertext: context,
    }
}

/// How a consent scope is stored: kind and id (`org/project` for a project).
pub(crate) fn scope_key(scope: &ConsentScope) -> (&'static str, String) {
    match scope {
        ConsentScope::Subject(id) => ("subject", id.clone()),
        ConsentScope::Organisation(org) => ("organisation", org.clone()),
        ConsentScope::Project {
            organisation,
            project,
        } => ("project", format!("{organisation}/{project}")),
    }
}

pub(crate) fn objection_event(row: &ObjectionEventRow) -> Result<ObjectionEvent, VaultError> {
    let source = row
        .source
        .parse()
        .map_err(|_| corrupt("objection source"))?;
    let purpose = row.purpose.clone().map(PurposeId);
    Ok(if row.objected {
        ObjectionEvent::raise(row.subject_id.clone(), purpose, source, row.at)
    } else {
        ObjectionEvent::lift(row.subject_id.clone(), purpose, source, row.at)
    })
}

fn preference_event(row: &PreferenceEventRow) -> Result<PreferenceEvent, VaultError> {
    let preference = match row.kind.as_str() {
        "channel" => Preference::Channel(
            Channel::ALL
                .iter()
                .find(|(w, _)| *w == row.name)
                .map(|(_, c)| *c)
                .ok_or_else(|| corrupt("channel"))?,
        ),
        "interest" => Preference::Interest(row.name.clone()),
        _ => return Err(corrupt("preference kind")),
    };
    Ok(PreferenceEvent {
        subject: row.subject_id.clone(),
        preference,
        opted_in: row.opted_in,
        method: skydd_consent::ConsentMethod::Api,
        at: row.at,
    })
}

fn feature_switch(row: &FeatureSwitchRow) -> FeatureSwitch {
    let scope = match &row.project {
        Some(project) => OrganisationScope::Project {
            organisation: row.organisation.clone(),
            project: project.clone(),
        },
        None => OrganisationScope::Organisation(row.organisation.clone()),
    };
    FeatureSwitch {
        feature: FeatureId(row.feature.clone()),
        scope,
        enabled: row.enabled,
        actor: row.actor.clone(),
        at: row.at,
    }
}

impl Vault {
    /// The decision facts of the subject `id` for a decision by `actor`: from memory when kept,
    /// else from its row and ledgers (then kept). An unknown id, or a subject of another tenant
    /// than the actor's, is [`VaultError::UnknownSubject`]; subjects that do not exist are not
    /// kept, so one created since (here or elsewhere) is found.
    pub(crate) async fn decision_facts(
        &self,
        actor: &Actor,
        id: &str,
    ) -> Result<Arc<SubjectFacts>, VaultError> {
        let facts = match self.facts.subject(id) {
            // Not a subject id: `subject_row` refuses it.
            None => Arc::new(
                self.subject_facts(&self.subject_row(actor, id).await?)
                    .await?,
            ),
            Some(Ok(facts)) => facts,
            Some(Err(ticket)) => {
                let row = self
                    .storage
                    .get_subject(id)
                    .await?
                    .ok_or(VaultError::UnknownSubject)?;
                let facts = Arc::new(self.subject_facts(&row).await?);
                self.facts.insert_subject(id, ticket, facts.clone());
                facts
            }
        };
        match &actor.tenant {
            Some(own) if facts.tenant() != Some(own.as_str()) => Err(VaultError::UnknownSubject),
            _ => Ok(facts),
        }
    }

    /// The scope facts of `organisation` (and `project`) for a decision: from memory when
    /// kept, else from the ledgers (then kept). Without an organisation, none.
    pub(crate) async fn decision_scope(
        &self,
        organisation: Option<&str>,
        project: Option<&str>,
    ) -> Result<Arc<ScopeFacts>, VaultError> {
        let Some(organisation) = organisation else {
            return Ok(Arc::new(ScopeFacts::new()));
        };
        match self.facts.scope(organisation, project) {
            Ok(facts) => Ok(facts),
            Err(ticket) => {
                let facts = Arc::new(self.scope_facts(Some(organisation), project).await?);
                self.facts
                    .insert_scope(organisation, project, ticket, facts.clone());
                Ok(facts)
            }
        }
    }

    /// The decision facts of `subject` from its stored ledgers.
    pub(crate) async fn subject_facts(
        &self,
        subject: &SubjectRow,
    ) -> Result<SubjectFacts, VaultError> {
        let consents = self.storage.consent_events_for_subject(&subject.id).await?;
        let objections = self.storage.objections_of_subject(&subject.id).await?;
        let preferences = self.storage.preferences_of_subject(&subject.id).await?;
        // Attributes matter only to a register that declares them; most read nothing more.
        let attributes = if self.register().attributes.is_empty() {
            Vec::new()
        } else {
            self.storage.subject_attributes(&subject.id).await?
        };
        // A tenant's agreement matters only to a register whose processor activity needs one.
        let agreement = match &subject.tenant {
            Some(tenant) if self.agreements_matter() => {
                !self.storage.tenant_agreements(tenant).await?.is_empty()
            }
            _ => false,
        };
        let consents = ConsentState::from_events(
            &consents
                .iter()
                .map(consent_event)
                .collect::<Result<Vec<_>, _>>()?,
        );
        let objections = ObjectionState::from_events(
            &objections
                .iter()
                .map(objection_event)
                .collect::<Result<Vec<_>, _>>()?,
        );
        let preferences = PreferenceState::from_events(
            &preferences
                .iter()
                .map(preference_event)
                .collect::<Result<Vec<_>, _>>()?,
        );
        let mut interner = self
            .interner
            .lock()
            .map_err(|_| VaultError::Corrupt("interner lock poisoned".into()))?;
        let mut facts = SubjectFacts::from_ledger(
            &subject.id,
            &consents,
            &objections,
            &preferences,
            &mut interner,
        );
        facts.set_restricted(subject.restricted_at.is_some());
        facts.set_tenant(subject.tenant.as_deref().map(|t| interner.intern(t)));
        for row in attributes {
            facts.set_attribute(interner.intern(&row.attribute), row.since, row.until);
        }
        if agreement {
            facts.set_tenant_agreement(true);
        }
        Ok(facts)
    }

    /// The decision facts of an organisation (and its projects): consents and feature switches.
    pub(crate) async fn scope_facts(
        &self,
        organisation: Option<&str>,
        project: Option<&str>,
    ) -> Result<ScopeFacts, VaultError> {
        let Some(organisation) = organisation else {
            return Ok(ScopeFacts::new());
        };
        let mut events = self
            .storage
            .consent_events_for_scope("organisation", organisation)
            .await?;
        // Project consents are stored under `org/project`; read them for every project the
        // switches or consents name.
        let switches = self.storage.feature_switches(organisation).await?;
        let mut projects: Vec<String> = switches.iter().filter_map(|s| s.project.clone()).collect();
        projects.extend(project.map(str::to_string));
        projects.sort();
        projects.dedup();
        for project in &projects {
            events.extend(
                self.storage
                    .consent_events_for_scope("project", &format!("{organisation}/{project}"))
                    .await?,
            );
        }
        let consents = ConsentState::from_events(
            &events
                .iter()
                .map(consent_event)
                .collect::<Result<Vec<_>, _>>()?,
        );
        let features =
            FeatureState::from_switches(&switches.iter().map(feature_switch).collect::<Vec<_>>());
        let mut interner = self
            .interner
            .lock()
            .map_err(|_| VaultError::Corrupt("interner lock poisoned".into()))?;
        Ok(ScopeFacts::from_ledger(&consents, &features, &mut interner))
    }

    /// The feature switches of `organisation`, as the ledger has them.
    pub(crate) async fn feature_state(
        &self,
        organisation: &str,
    ) -> Result<FeatureState, VaultError> {
        let switches = self.storage.feature_switches(organisation).await?;
        Ok(FeatureState::from_switches(
            &switches.iter().map(feature_switch).collect::<Vec<_>>(),
        ))
    }
}
