//! Consents, objections, feature switches and decisions: the ledger written one event at a time
//! (withdrawing is one call, like giving), read back as current state plus full history.

use jiff::Timestamp;
use skydd_consent::{
    ConsentEvent, ConsentMethod, ConsentScope, FeatureSwitch, ObjectionSource, ObjectionState,
    OrganisationScope,
};
use skydd_decide::{Decision, DecisionRequest};
use skydd_register::model::{BrowserSignal, Channel, Choice, FeatureId, PurposeId};
use skydd_storage::{AuditEventRow, FeatureSwitchRow, LedgerUnit, ObjectionEventRow};

use crate::crypto::consent_context_aad;
use crate::facts::{consent_event, consent_row, objection_event};
use crate::{Actor, AuditEvent, Vault, VaultError};

/// A consent given or withdrawn by a subject.
#[derive(Debug, Clone)]
pub struct ConsentInput {
    /// The subject's id (32 lowercase hex digits); an unknown id, or one of another tenant, is
    /// refused as an unknown subject.
    pub subject: String,
    /// The purpose (one resting on consent).
    pub purpose: String,
    /// Given (true) or withdrawn (false).
    pub granted: bool,
    /// How: `web_form`, `banner`, `email`, `api`, `import`, `admin`, `unsubscribe_link`.
    pub method: String,
    /// The notice version shown; default: the enforced register's version.
    pub notice_version: Option<String>,
    /// The subject's IP address (kept encrypted).
    pub ip: Option<String>,
    /// The subject's user agent (kept encrypted).
    pub user_agent: Option<String>,
    /// `Sec-GPC: 1` was sent: recorded as an objection to what the register's `signals` says
    /// (by default marketing and sharing; Art. 21(5)), unless it says nothing.
    pub gpc: bool,
    /// `DNT: 1` was sent: recorded likewise.
    pub dnt: bool,
}

/// What recording one browser signal for a subject did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignalOutcome {
    /// The objection is recorded now.
    Recorded,
    /// An objection from this signal was already in force: nothing is written.
    InForce,
    /// The register's `signals` says the signal objects to nothing: nothing is written.
    Ignored,
    /// The signal's objection was in force and is lifted now.
    Lifted,
    /// Asked to lift an objection from the signal that was not in force: nothing is written.
    NotInForce,
}

impl SignalOutcome {
    /// The stable word: `recorded`, `in_force`, `ignored`.
    pub fn as_str(self) -> &'static str {
        match self {
            SignalOutcome::Recorded => "recorded",
            SignalOutcome::InForce => "in_force",
            SignalOutcome::Ignored => "ignored",
            SignalOutcome::Lifted => "lifted",
            SignalOutcome::NotInForce => "not_in_force",
        }
    }
}

/// One consent event as shown to the DPO or the subject (Art. 7(1) proof).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ConsentView {
    /// The register purpose id the consent was given or withdrawn for.
    pub purpose: String,
    /// `true` when given, `false` when withdrawn.
    pub granted: bool,
    /// The method word: `web_form`, `banner`, `email`, `api`, `import`, `admin` or
    /// `unsubscribe_link`.
    pub method: String,
    /// The notice version shown.
    pub notice_version: String,
    /// When the event was recorded.
    pub at: Timestamp,
    /// Hash of the consent wording shown.
    pub text_hash: Option<String>,
    /// A consent given to wording of the purpose's consent text that has changed since: it no
    /// longer counts, and the subject must be asked again.
    pub needs_renewal: bool,
}

/// A subject's consents: the current state per purpose and the whole history.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ConsentsView {
    /// The subject's id (32 lowercase hex digits).
    pub subject: String,
    /// The latest event per purpose.
    pub current: Vec<ConsentView>,
    /// Every event, oldest first.
    pub history: Vec<ConsentView>,
    /// The objections in force, as the decisions see them: the purpose objected to (`*` for
    /// all direct marketing, or a browser signal's rule, which the source `gpc`/`dnt` tells
    /// apart), with the source of the objection; purposes first, then all direct marketing,
    /// then GPC, then DNT.
    pub objections: Vec<(String, String)>,
}

/// One consent event with its whole Art. 7(1) proof: what the DPO shows when asked whether a
/// subject consented. The IP address and user agent are decrypted; `Debug` hides them.
#[derive(Clone, PartialEq, Eq)]
pub struct ConsentProof {
    /// The event: purpose, given or withdrawn, method, notice version, time, text hash.
    pub event: ConsentView,
    /// The subject's IP address when the event was recorded, if it was given.
    pub ip: Option<String>,
    /// The subject's user agent when the event was recorded, if it was given.
    pub user_agent: Option<String>,
}

impl std::fmt::Debug for ConsentProof {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConsentProof")
            .field("event", &self.event)
            .field("ip", &self.ip.as_ref().map(|_| "<redacted>"))
            .field(
                "user_agent",
                &self.user_agent.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

/// The IP address and user agent kept encrypted with a consent event.
#[derive(serde::Deserialize)]
struct ConsentContext {
    ip: Option<String>,
    user_agent: Option<String>,
}

/// A feature switched on or off for an organisation or a project.
#[derive(Debug, Clone)]
pub struct FeatureInput {
    /// The feature (a register `features` id).
    pub feature: String,
    /// The organisation switched for; with `project`, the organisation the project is in.
    pub organisation: String,
    /// The project, for a project-level switch.
    pub project: Option<String>,
    /// On or off.
    pub enabled: bool,
}

/// The audit event of a ledger write by `actor` about `subject`.
pub(crate) fn ledger_audit(
    actor: &Actor,
    now: Timestamp,
    action: &'static str,
    purpose: Option<&str>,
    subject: &str,
    outcome: &str,
) -> AuditEventRow {
    AuditEvent {
        at: now,
        actor: actor.id.clone(),
        ip: actor.ip.clone(),
        action,
        purpose: purpose.map(str::to_string),
        subject_id: Some(subject.to_string()),
        categories: Vec::new(),
        outcome: outcome.to_string(),
        detail: None,
    }
    .into_row()
}

/// An objection (or its lifting) and its audit event as one ledger unit (a consent carrying
/// browser signals adds both to its own unit).
fn objection_unit(actor: &Actor, objection: ObjectionEventRow, now: Timestamp) -> LedgerUnit {
    let outcome = if objection.objected {
        "objected"
    } else {
        "lifted"
    };
    LedgerUnit {
        audit: vec![ledger_audit(
            actor,
            now,
            "objection.record",
            objection.purpose.as_deref(),
            &objection.subject_id,
            outcome,
        )],
        objections: vec![objection],
        ..LedgerUnit::default()
    }
}

/// The objection source a browser signal is recorded with.
fn signal_source(signal: BrowserSignal) -> ObjectionSource {
    match signal {
        BrowserSignal::Gpc => ObjectionSource::Gpc,
        BrowserSignal::Dnt => ObjectionSource::Dnt,
    }
}

fn view(event: &ConsentEvent) -> ConsentView {
    ConsentView {
        purpose: event.purpose.0.clone(),
        granted: event.granted,
        method: event.method.as_str().to_string(),
        notice_version: event.notice_version.clone(),
        at: event.at,
        text_hash: event.text_hash.clone(),
        needs_renewal: false,
    }
}

impl Vault {
    /// Record a subject's consent or its withdrawal. With `gpc` or `dnt`, the signal's
    /// objection is recorded too (unless the register's `signals` gives it nothing to object
    /// to). The consent, those objections and their audit
    /// events are one [`LedgerUnit`]: written in one transaction (shared with concurrent writes
    /// under group commit), and the call returns only once it is durable.
    pub async fn record_consent(
        &self,
        actor: &Actor,
        input: ConsentInput,
        now: Timestamp,
    ) -> Result<(), VaultError> {
        let (row, key) = match (&input.ip, &input.user_agent) {
            (None, None) => (self.subject_row(actor, &input.subject).await?, None),
            // The context is encrypted with the subject's key: both in one read.
            _ => {
                let (row, key) = self.subject_row_and_key(actor, &input.subject).await?;
                (row, Some(self.unwrap_data_key(key)?))
            }
        };
        let event = self.consent_event(&row.id, &input, now)?;
        let context = match key {
            None => None,
            Some(key) => {
                let plaintext =
                    serde_json::json!({"ip": input.ip, "user_agent": input.user_agent}).to_string();
                Some(key.seal(plaintext.as_bytes(), &consent_context_aad(&row.id))?)
            }
        };
        let outcome = if input.granted {
            "granted"
        } else {
            "withdrawn"
        };
        let mut unit = LedgerUnit {
            consents: vec![consent_row(&event, context)],
            audit: vec![ledger_audit(
                actor,
                now,
                "consent.record",
                Some(&input.purpose),
                &row.id,
                outcome,
            )],
            ..LedgerUnit::default()
        };
        for (sent, signal) in [
            (input.gpc, BrowserSignal::Gpc),
            (input.dnt, BrowserSignal::Dnt),
        ] {
            if sent && let Some(objection) = self.signal_unit(actor, &row.id, signal, now)? {
                unit.objections.extend(objection.objections);
                unit.audit.extend(objection.audit);
            }
        }
        self.commit_ledger(&row.id, unit).await
    }

    /// Record browser signals for a subject (`POST /v1/signals`): each one the register's
    /// `signals` gives something to object to, and that is not in force already, becomes an
    /// objection (Art. 21(5)); with `lift`, each one in force is lifted instead (the person
    /// turned the signal off and said so). All in one transaction with the audit events.
    /// Returns what happened to each signal, in the order given, each once.
    pub async fn record_signals(
        &self,
        actor: &Actor,
        subject: &str,
        signals: &[BrowserSignal],
        lift: bool,
        now: Timestamp,
    ) -> Result<Vec<(BrowserSignal, SignalOutcome)>, VaultError> {
        let row = self.subject_row(actor, subject).await?;
        let facts = self.subject_facts(&row).await?;
        let mut unit = LedgerUnit::default();
        let mut outcomes: Vec<(BrowserSignal, SignalOutcome)> = Vec::new();
        for &signal in signals {
            if outcomes.iter().any(|(s, _)| *s == signal) {
                continue;
            }
            let in_force = facts.signal_in_force(signal);
            let outcome = if lift {
                if in_force {
                    let lifted =
                        self.objection_row(&row.id, None, signal_source(signal), false, now)?;
                    let lifted = objection_unit(actor, lifted, now);
                    unit.objections.extend(lifted.objections);
                    unit.audit.extend(lifted.audit);
                    SignalOutcome::Lifted
                } else {
                    SignalOutcome::NotInForce
                }
            } else if in_force {
                SignalOutcome::InForce
            } else {
                match self.signal_unit(actor, &row.id, signal, now)? {
                    Some(objection) => {
                        unit.objections.extend(objection.objections);
                        unit.audit.extend(objection.audit);
                        SignalOutcome::Recorded
                    }
                    None => SignalOutcome::Ignored,
                }
            };
            outcomes.push((signal, outcome));
        }
        if !unit.objections.is_empty() {
            self.commit_ledger(&row.id, unit).await?;
        }
        Ok(outcomes)
    }

    /// The objection browser signal `signal` records for `subject` (an id already checked),
    /// with its audit event; `None` when the register's `signals` says it objects to nothing.
    fn signal_unit(
        &self,
        actor: &Actor,
        subject: &str,
        signal: BrowserSignal,
        now: Timestamp,
    ) -> Result<Option<LedgerUnit>, VaultError> {
        if self.register().signals.get(signal).is_nothing() {
            return Ok(None);
        }
        let objection = self.objection_row(subject, None, signal_source(signal), true, now)?;
        Ok(Some(objection_unit(actor, objection, now)))
    }

    /// Write `unit` (ledger rows of `subject` with their audit events) through the audit
    /// writer, all or nothing, then tell this server's memory of decision facts that `subject`'s
    /// changed.
    pub(crate) async fn commit_ledger(
        &self,
        subject: &str,
        unit: LedgerUnit,
    ) -> Result<(), VaultError> {
        self.audit.commit(unit).await?;
        self.facts_changed(subject);
        Ok(())
    }

    /// The ledger event `input` asks for, checked against the register: a known method, a
    /// purpose of the register that rests on consent at the subject's scope.
    pub(crate) fn consent_event(
        &self,
        subject: &str,
        input: &ConsentInput,
        now: Timestamp,
    ) -> Result<ConsentEvent, VaultError> {
        let method: ConsentMethod =
            input
                .method
                .parse()
                .map_err(|e: skydd_consent::UnknownWord| {
                    VaultError::invalid(
                        e.to_string(),
                        "use web_form, banner, email, api, import, admin or unsubscribe_link",
                    )
                })?;
        let purpose = self
            .register()
            .purpose(&PurposeId(input.purpose.clone()))
            .ok_or_else(|| {
                VaultError::invalid(
                    format!("unknown purpose `{}`", input.purpose),
                    "use a purpose of the register",
                )
            })?;
        let event = ConsentEvent {
            scope: ConsentScope::Subject(subject.to_string()),
            purpose: purpose.id.clone(),
            granted: input.granted,
            method,
            notice_version: input
                .notice_version
                .clone()
                .unwrap_or_else(|| self.enforced.version.clone()),
            at: now,
            text_hash: purpose.consent.as_ref().map(|c| c.wording_hash()),
        };
        event.check(self.register()).map_err(|e| VaultError::invalid(e.to_string(), "consent is recorded for purposes that rest on consent, at the scope the register names"))?;
        Ok(event)
    }

    /// Record an objection (or lift one): to one purpose, or with `purpose` `None` to all direct
    /// marketing (from a browser signal: what the register's `signals` says). The objection and its audit event are
    /// written together, in one transaction.
    pub async fn object(
        &self,
        actor: &Actor,
        subject: &str,
        purpose: Option<&str>,
        source: ObjectionSource,
        objected: bool,
        now: Timestamp,
    ) -> Result<(), VaultError> {
        let row = self.subject_row(actor, subject).await?;
        let objection = self.objection_row(&row.id, purpose, source, objected, now)?;
        self.commit_ledger(&row.id, objection_unit(actor, objection, now))
            .await
    }

    /// The stored objection of `subject` (an id already checked) to `purpose` (`None`: all
    /// direct marketing), checked against the register: a purpose it names. The one way an
    /// objection row is made (one at a time, or imported).
    pub(crate) fn objection_row(
        &self,
        subject: &str,
        purpose: Option<&str>,
        source: ObjectionSource,
        objected: bool,
        at: Timestamp,
    ) -> Result<ObjectionEventRow, VaultError> {
        if let Some(purpose) = purpose
            && self
                .register()
                .purpose(&PurposeId(purpose.to_string()))
                .is_none()
        {
            return Err(VaultError::invalid(
                format!("unknown purpose `{purpose}`"),
                "use a purpose of the register",
            ));
        }
        Ok(ObjectionEventRow {
            seq: 0,
            subject_id: subject.to_string(),
            purpose: purpose.map(str::to_string),
            objected,
            source: source.as_str().to_string(),
            at,
        })
    }

    /// A subject's consents: current state and full history, and objections in force.
    pub async fn consents(
        &self,
        actor: &Actor,
        subject: &str,
        now: Timestamp,
    ) -> Result<ConsentsView, VaultError> {
        let row = self.subject_row(actor, subject).await?;
        let view = self.consents_of(&row.id).await?;
        self.audit(
            actor,
            now,
            "consent.read",
            None,
            Some(&row.id),
            Vec::new(),
            "done",
        )
        .await?;
        Ok(view)
    }

    /// The consents and objections of the subject `subject` (an id already checked), not
    /// audited: the caller audits the read it is part of.
    pub(crate) async fn consents_of(&self, subject: &str) -> Result<ConsentsView, VaultError> {
        let events = self.storage.consent_events_for_subject(subject).await?;
        let events = events
            .iter()
            .map(consent_event)
            .collect::<Result<Vec<_>, _>>()?;
        let mut current: Vec<ConsentView> = Vec::new();
        for event in &events {
            match current.iter_mut().find(|c| c.purpose == event.purpose.0) {
                Some(slot) if slot.at <= event.at => *slot = view(event),
                Some(_) => {}
                None => current.push(view(event)),
            }
        }
        let register = self.register();
        for view in &mut current {
            let wording = register
                .purposes
                .iter()
                .find(|p| p.id.0 == view.purpose)
                .and_then(|p| p.consent.as_ref())
                .map(|c| c.wording_hash());
            view.needs_renewal = view.granted
                && matches!((&wording, &view.text_hash), (Some(now), Some(then)) if now != then);
        }
        let stored = self.storage.objections_of_subject(subject).await?;
        let state = ObjectionState::from_events(
            &stored
                .iter()
                .map(objection_event)
                .collect::<Result<Vec<_>, _>>()?,
        );
        let objections = state
            .active(subject)
            .map(|event| {
                (
                    event
                        .purpose
                        .as_ref()
                        .map_or_else(|| "*".into(), |p| p.0.clone()),
                    event.source.as_str().to_owned(),
                )
            })
            .collect();
        Ok(ConsentsView {
            subject: subject.to_owned(),
            current,
            history: events.iter().map(view).collect(),
            objections,
        })
    }

    /// A subject's consent events, oldest first, each with its IP address and user agent
    /// decrypted. Reading them is audited (`consent.proof`, no value in the event).
    pub async fn consent_proof(
        &self,
        actor: &Actor,
        subject: &str,
        now: Timestamp,
    ) -> Result<Vec<ConsentProof>, VaultError> {
        let row = self.subject_row(actor, subject).await?;
        let rows = self.storage.consent_events_for_subject(&row.id).await?;
        let mut key = None;
        let mut proof = Vec::with_capacity(rows.len());
        for stored in &rows {
            let event = view(&consent_event(stored)?);
            let context = match &stored.context_ciphertext {
                None => ConsentContext {
                    ip: None,
                    user_agent: None,
                },
                Some(ciphertext) => {
                    let key = match &key {
                        Some(key) => key,
                        None => key.insert(self.data_key(&row.id).await?),
                    };
                    let plain = key.open(ciphertext, &consent_context_aad(&row.id))?;
                    serde_json::from_slice(&plain).map_err(|_| {
                        VaultError::Corrupt("a consent's context is not the JSON written".into())
                    })?
                }
            };
            proof.push(ConsentProof {
                event,
                ip: context.ip,
                user_agent: context.user_agent,
            });
        }
        self.audit(
            actor,
            now,
            "consent.proof",
            None,
            Some(&row.id),
            Vec::new(),
            "done",
        )
        .await?;
        Ok(proof)
    }

    /// Switch a feature on or off for an organisation or project. History is kept; a project
    /// switch overrides its organisation's.
    pub async fn switch_feature(
        &self,
        actor: &Actor,
        input: FeatureInput,
        now: Timestamp,
    ) -> Result<(), VaultError> {
        let scope = match &input.project {
            Some(project) => OrganisationScope::Project {
                organisation: input.organisation.clone(),
                project: project.clone(),
            },
            None => OrganisationScope::Organisation(input.organisation.clone()),
        };
        let switch = FeatureSwitch {
            feature: FeatureId(input.feature.clone()),
            scope,
            enabled: input.enabled,
            actor: actor.id.clone(),
            at: now,
        };
        switch.check(self.register()).map_err(|e| {
            VaultError::invalid(
                e.to_string(),
                "use a feature of the register at a scope it lists",
            )
        })?;
        self.storage
            .append_feature_switch(FeatureSwitchRow {
                seq: 0,
                feature: input.feature.clone(),
                organisation: input.organisation.clone(),
                project: input.project.clone(),
                enabled: input.enabled,
                actor: actor.id.clone(),
                at: now,
            })
            .await?;
        self.organisation_facts_changed(&input.organisation);
        let outcome = if input.enabled { "enabled" } else { "disabled" };
        self.audit(
            actor,
            now,
            "feature.switch",
            None,
            None,
            Vec::new(),
            outcome,
        )
        .await
    }

    /// Whether `feature` is on for the organisation (and project).
    pub async fn feature_enabled(
        &self,
        organisation: &str,
        project: Option<&str>,
        feature: &str,
    ) -> Result<bool, VaultError> {
        Ok(self
            .feature_state(organisation)
            .await?
            .is_enabled(feature, organisation, project))
    }

    /// May `purpose` use `category` of `subject` now? Every answer is audited.
    #[allow(clippy::too_many_arguments)]
    pub async fn decide(
        &self,
        actor: &Actor,
        subject: &str,
        purpose: &str,
        category: &str,
        channel: Option<&str>,
        scope: Option<(&str, Option<&str>)>,
        now: Timestamp,
    ) -> Result<Decision, VaultError> {
        let question = Question {
            subject,
            purpose,
            category,
            channel,
            scope,
            role: None,
            recipient: None,
        };
        self.decide_question(actor, &question, now).await
    }

    /// [`Vault::decide`] for a [`Question`], which may also name the job role of the person the
    /// use is for (P002-38, P003-41). Audited like every decision, the role in the detail.
    pub async fn decide_question(
        &self,
        actor: &Actor,
        question: &Question<'_>,
        now: Timestamp,
    ) -> Result<Decision, VaultError> {
        let (decision, event) = self.answer(actor, question, now).await?;
        self.audit.record(event).await?;
        Ok(decision)
    }

    /// [`Vault::decide`] for many questions at once (a batch job's mailing list), answered in
    /// order, each the way `decide` answers it. A question that cannot be answered (an unknown
    /// subject, an invalid channel) gets its error in its place and leaves the others standing;
    /// any other error (storage) fails the whole call. Every answer is audited, the events handed
    /// to the audit sink together ([`crate::Audit::record_many`]) so that they share a commit;
    /// nothing is answered unless all are recorded.
    pub async fn decide_many(
        &self,
        actor: &Actor,
        questions: &[Question<'_>],
        now: Timestamp,
    ) -> Result<Vec<Result<Decision, VaultError>>, VaultError> {
        let mut answers = Vec::with_capacity(questions.len());
        let mut events = Vec::with_capacity(questions.len());
        for question in questions {
            match self.answer(actor, question, now).await {
                Ok((decision, event)) => {
                    events.push(event);
                    answers.push(Ok(decision));
                }
                Err(error @ (VaultError::UnknownSubject | VaultError::Invalid { .. })) => {
                    answers.push(Err(error));
                }
                Err(error) => return Err(error),
            }
        }
        self.audit.record_many(events).await?;
        Ok(answers)
    }

    /// The one way a question is decided, for [`Vault::decide`] and [`Vault::decide_many`]: the
    /// decision and the audit event that must be recorded before it is given.
    async fn answer(
        &self,
        actor: &Actor,
        question: &Question<'_>,
        now: Timestamp,
    ) -> Result<(Decision, AuditEvent), VaultError> {
        let &Question {
            subject,
            purpose,
            category,
            channel,
            scope,
            role,
            recipient,
        } = question;
        let facts = self.decision_facts(actor, subject).await?;
        let scopes = self
            .decision_scope(scope.map(|s| s.0), scope.and_then(|s| s.1))
            .await?;
        let mut request = DecisionRequest::new(purpose, category);
        if let Some(channel) = channel {
            let channel = Channel::ALL
                .iter()
                .find(|(w, _)| *w == channel)
                .map(|(_, c)| *c)
                .ok_or_else(|| {
                    VaultError::invalid(
                        format!("unknown channel `{channel}`"),
                        "use email, sms, phone, post, push or in_app",
                    )
                })?;
            request = request.with_channel(channel);
        }
        request = match scope {
            Some((organisation, Some(project))) => request.in_project(organisation, project),
            Some((organisation, None)) => request.in_organisation(organisation),
            None => request,
        };
        if let Some(role) = role {
            request = request.for_role(role);
        }
        if let Some(recipient) = recipient {
            request = request.by_recipient(recipient);
        }
        let decision = self
            .enforced
            .policy
            .decide(&request, &facts, &scopes, None, now);
        let outcome = match &decision {
            Decision::Allow { .. } => "allowed".to_string(),
            Decision::Deny { code, .. } => format!("denied:{}", code.as_str()),
        };
        let event = AuditEvent {
            at: now,
            actor: actor.id.clone(),
            ip: actor.ip.clone(),
            action: "decision",
            purpose: Some(purpose.to_string()),
            subject_id: Some(subject.to_string()),
            categories: vec![category.to_string()],
            outcome,
            // Register ids (the API checks them against the register's pattern and list).
            detail: match (role, recipient) {
                (Some(role), Some(recipient)) => Some(format!("role:{role} recipient:{recipient}")),
                (Some(role), None) => Some(format!("role:{role}")),
                (None, Some(recipient)) => Some(format!("recipient:{recipient}")),
                (None, None) => None,
            },
        };
        Ok((decision, event))
    }
}

/// One question to [`Vault::decide_many`]: may `purpose` use `category` of `subject` now, on
/// `channel`, in `scope` (organisation, and project within it)? The arguments of
/// [`Vault::decide`], borrowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Question<'a> {
    /// The subject's id.
    pub subject: &'a str,
    /// A register purpose id.
    pub purpose: &'a str,
    /// A register data category id.
    pub category: &'a str,
    /// The channel of a direct marketing use (`email`, `sms` ...).
    pub channel: Option<&'a str>,
    /// The organisation the use happens in, and the project within it.
    pub scope: Option<(&'a str, Option<&'a str>)>,
    /// The job role (`roles[].id`) of the person the use is for, when a person asks.
    pub role: Option<&'a str>,
    /// The recipient (`recipients[].id`) asking for a use on its side (P002-30).
    pub recipient: Option<&'a str>,
}
