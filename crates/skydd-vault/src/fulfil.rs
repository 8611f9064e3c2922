//! Fulfilling a verified request: access, portability, rectification, erasure (with legal
//! holds), restriction (and lifting it), objection, withdrawal of consent and marketing opt-out;
//! and the notifications owed to recipients (Art. 19).
//!
//! A request moves verified → in_progress → completed; each step is an event. Erasure and
//! rectification change the vault's own rows (records, keys), so each step is safe to run again:
//! a request left in progress by a crash is fulfilled by calling [`Vault::fulfil_request`] once
//! more.

use std::collections::BTreeSet;

use jiff::Timestamp;
use skydd_consent::ObjectionSource;
use skydd_register::model::{
    Anchor, CategoryId, Choice, HoldId, LegalBasis, PurposeId, RecipientId,
};
use skydd_requests::applicability;
use skydd_requests::{
    Assessment, Completion, KeptUnderHold, LeftOut, RecipientAction, RequestAction, RequestState,
    RequestType,
};
use skydd_storage::{
    RecipientNotificationRow, RecordRevisionRow, RecordRewrite, RecordRow, RequestRow,
};

use crate::crypto::{record_aad, revision_aad};
use crate::letters::Mail;
use crate::record::NewRecord;
use crate::request::{ChangeExtras, new_id};
use crate::states::{NoticeState, stored_state, stored_type, with_state};
use crate::{Actor, ConsentInput, RequestView, Vault, VaultError};

/// A correction of one record (rectification): the fields to set.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Correction {
    /// The id of the record to correct; it must be one of the request's subject.
    pub record_id: String,
    /// New values by field id; fields not named keep their values.
    pub fields: serde_json::Map<String, serde_json::Value>,
}

/// A correction of data in the connected databases (rectification): the new value of every
/// declared field it concerns. Personal data: `Debug` shows what it concerns, never the value.
#[derive(Clone, PartialEq, Eq, serde::Deserialize)]
pub struct ConnectedCorrection {
    /// A register category (every declared field of it, in every system) or one field,
    /// `collection.field` (in every system that declares it).
    pub concerns: String,
    /// The corrected value, as text (each database converts it to the column's type).
    pub value: String,
}

impl std::fmt::Debug for ConnectedCorrection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectedCorrection")
            .field("concerns", &self.concerns)
            .field("value", &"<redacted>")
            .finish()
    }
}

/// What the DPO gives when fulfilling: type-specific.
#[derive(Debug, Clone, Default)]
pub struct FulfilInput {
    /// Rectification: the corrections.
    pub corrections: Vec<Correction>,
    /// Objection, consent withdrawal: the purpose (default: the one given with the request).
    pub purpose: Option<String>,
    /// Restriction: lift it, with these reasons (the subject is told first, Art. 18(3)).
    pub lift_restriction: Option<String>,
    /// A copy outside the free allowance: the admin's decision to provide it (Art. 12(5)).
    pub provide_copy: bool,
    /// Erasure: what it did in each connected database (every one `done` already), for the
    /// completion letter. Filled by the caller that ran those steps (`skydd_app`).
    pub connected_erasures: Vec<skydd_requests::SystemErasure>,
    /// Rectification: corrections of the connected databases, written there (by `skydd_app`,
    /// each system once) before the vault's own corrections. With these, `corrections` may
    /// be empty.
    pub connected_corrections: Vec<ConnectedCorrection>,
    /// Portability: send the file directly to another controller (Art. 20(2)). `skydd_app`
    /// sends it before the request completes and fills `transmitted_to`.
    pub transmit_to: Option<Transmission>,
    /// Portability: the controller that accepted the file, filled by the caller that sent it;
    /// the outcome and the completion letter name it.
    pub transmitted_to: Option<Transmitted>,
}

/// Where a portability file goes when the person asks for it to be sent directly to another
/// controller (Art. 20(2)): the controller's name and an HTTPS endpoint that takes the zip in a
/// POST, with a bearer token if the receiver needs one. The token is a secret: `Debug` hides it,
/// nothing stores it.
#[derive(Clone, PartialEq, Eq)]
pub struct Transmission {
    /// The receiving controller, as the person named it.
    pub controller: String,
    /// The endpoint: `https://` (or `http://` to a loopback address).
    pub url: String,
    /// A bearer token for the endpoint, if it needs one.
    pub token: Option<String>,
}

impl std::fmt::Debug for Transmission {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transmission")
            .field("controller", &self.controller)
            .field("url", &"<given>")
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// A portability file the receiving controller accepted.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Transmitted {
    /// The receiving controller's name.
    pub controller: String,
    /// The endpoint's origin (`https://host[:port]`): no path or query, which may carry a code.
    pub origin: String,
}

/// Data kept by an erasure under a legal hold, with its legal reference.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct KeptRecords {
    /// The register's id of the legal hold that keeps the records.
    pub hold: String,
    /// The law requiring it (the register's words).
    pub law: String,
    /// The purpose the data is kept for, and only for.
    pub purpose: String,
    /// The data categories of the records kept.
    pub categories: Vec<String>,
    /// How many of the subject's records the hold keeps.
    pub records: usize,
    /// When the hold ends and the data is deleted, if known.
    pub until: Option<String>,
}

/// A request being fulfilled, as every type's step sees it: read, and its input checked, before
/// anything changes.
struct Case<'a> {
    /// Who fulfils it.
    actor: &'a Actor,
    /// The stored request; once started, in progress.
    row: RequestRow,
    /// What the subject asked for.
    request_type: RequestType,
    /// The subject, if the identity was known and the subject still exists.
    subject: Option<String>,
    /// The subject's records at the start.
    records: Vec<RecordRow>,
    /// The purpose an objection or withdrawal concerns (the DPO's, else the requester's).
    purpose: Option<String>,
    /// Where letters to the subject go, if anywhere.
    address: Option<String>,
    /// The time of the call.
    now: Timestamp,
}

/// What fulfilling did so far: the outcome stored with the request, the completion letter's
/// facts, and the letters and notifications stored with the final change.
struct Fulfilment {
    outcome: serde_json::Map<String, serde_json::Value>,
    completion: Completion,
    extras: ChangeExtras,
    /// Whether anything was granted: false when the right reached nothing asked for.
    granted: bool,
}

impl Fulfilment {
    fn new(request_type: RequestType) -> Fulfilment {
        Fulfilment {
            outcome: serde_json::Map::new(),
            completion: Completion::new(request_type),
            // Closing the request destroys its code and identity documents.
            extras: ChangeExtras {
                destroy_evidence: true,
                ..ChangeExtras::default()
            },
            granted: true,
        }
    }

    /// The right does not reach `left`: the letter says why, the outcome names it.
    fn left_out(&mut self, left: Vec<LeftOut>) {
        self.completion.not_applicable.extend(left);
    }

    /// The outcome's `assessment` (full, partial, not applicable; P003-37) and
    /// `not_applicable` (what the right did not reach and why), from what was done.
    fn assess(&mut self) -> Result<(), VaultError> {
        let assessment = Assessment::of(
            self.completion.kept.len(),
            self.completion.not_applicable.len(),
            self.granted,
        );
        self.note("assessment", assessment.as_str());
        if !self.completion.not_applicable.is_empty() {
            let left = serde_json::to_value(&self.completion.not_applicable)
                .map_err(|e| VaultError::Corrupt(e.to_string()))?;
            self.note("not_applicable", left);
        }
        Ok(())
    }

    fn note(&mut self, key: &str, value: impl Into<serde_json::Value>) {
        self.outcome.insert(key.to_string(), value.into());
    }

    /// The completion letter names the recipients told (Art. 19).
    fn name_recipients_told(&mut self) {
        let mut told: Vec<RecipientId> = self
            .extras
            .notifications
            .iter()
            .map(|n| RecipientId(n.recipient.clone()))
            .collect();
        told.dedup();
        self.completion.recipients = Some(told);
    }
}

impl Vault {
    /// Fulfil a verified request: check it may start, mark it in progress, do what its type
    /// asks, and complete it with a letter to the subject. A request routed to a tenant can be
    /// fulfilled only by that tenant; a copy outside the free allowance only with
    /// `provide_copy`. A request left in progress (a crash) is finished by calling this again.
    pub async fn fulfil_request(
        &self,
        actor: &Actor,
        id: &str,
        input: FulfilInput,
        now: Timestamp,
    ) -> Result<RequestView, VaultError> {
        let row = self.request_row(actor, id).await?;
        let start = self.fulfilment_start(actor, &row, &input)?;
        self.check_systems_done(&row).await?;
        let mut case = self.fulfilment_case(actor, row, &input, now).await?;
        if let Some(in_progress) = start {
            case.row = self.mark_started(&case, in_progress).await?;
        }
        let done = self.carry_out(&case, &input).await?;
        self.complete(case, done).await?;
        self.request(actor, id, now).await
    }

    /// Whether `row` may be fulfilled now: the state it moves to when it starts, none when it is
    /// already in progress (a rerun), or why not. Nothing is written.
    fn fulfilment_start(
        &self,
        actor: &Actor,
        row: &RequestRow,
        input: &FulfilInput,
    ) -> Result<Option<RequestState>, VaultError> {
        let id = &row.id;
        let state = stored_state(&row.state)?;
        let start = (state != RequestState::InProgress)
            .then(|| state.start_fulfilment(row.routed_to_controller));
        if state.is_closed() {
            return Err(VaultError::RequestState {
                what: format!("request {id} is already {state}"),
                help: "a closed request cannot be fulfilled again; submit a new request".into(),
            });
        }
        if row.routed_to_controller && actor.tenant.is_none() {
            return Err(VaultError::RequestState {
                what: format!(
                    "request {id} concerns a user of tenant {}; the tenant is the controller",
                    row.tenant.as_deref().unwrap_or("?")
                ),
                help: "the tenant fulfils it with its own token; Skydd does not act on its own authority".into(),
            });
        }
        let start = start.transpose().map_err(|e| VaultError::RequestState {
            what: format!("request {id} is {}, not verified", e.from),
            help: "verify the requester's identity first (code or document)".into(),
        })?;
        if row.needs_decision.is_some() && !input.provide_copy {
            return Err(VaultError::RequestState {
                what: format!("request {id} is outside the free copies and needs a decision"),
                help: "fulfil with `provide_copy: true` (and charge a reasonable fee if the policy says so), or reject with reasons (Art. 12(5))".into(),
            });
        }
        Ok(start)
    }

    /// Read what fulfilling `row` works on and check the input against it, before anything
    /// changes.
    async fn fulfilment_case<'a>(
        &self,
        actor: &'a Actor,
        row: RequestRow,
        input: &FulfilInput,
        now: Timestamp,
    ) -> Result<Case<'a>, VaultError> {
        let request_type = stored_type(&row.request_type)?;
        let details = self.request_details(&row)?;
        let purpose = input.purpose.clone().or(details.purpose);
        let subject = match &row.subject_id {
            Some(subject) => self.storage.get_subject(subject).await?.map(|s| s.id),
            None => None,
        };
        let records = match &subject {
            Some(subject) => self.storage.records_of_subject(subject).await?,
            None => Vec::new(),
        };
        // Corrections of the connected databases alone need no vault correction.
        let connected_only =
            input.corrections.is_empty() && !input.connected_corrections.is_empty();
        if request_type == RequestType::Rectification && !connected_only {
            self.check_corrections(&records, &input.corrections, now)?;
        }
        if matches!(
            request_type,
            RequestType::Objection | RequestType::WithdrawConsent
        ) {
            self.check_purpose_for(purpose.as_deref())?;
        }
        let address = self.request_address(&row).await?;
        Ok(Case {
            actor,
            row,
            request_type,
            subject,
            records,
            purpose,
            address,
            now,
        })
    }

    /// Store the move to in progress (event `started`) and return the stored row.
    async fn mark_started(
        &self,
        case: &Case<'_>,
        in_progress: RequestState,
    ) -> Result<RequestRow, VaultError> {
        let next = with_state(&case.row, in_progress, case.now);
        self.change(
            case.row.clone(),
            next.clone(),
            case.actor,
            case.now,
            RequestAction::Started,
            None,
            ChangeExtras::default(),
        )
        .await?;
        Ok(next)
    }

    /// Do what the request's type asks for; nothing when no subject is known.
    async fn carry_out(
        &self,
        case: &Case<'_>,
        input: &FulfilInput,
    ) -> Result<Fulfilment, VaultError> {
        let mut done = Fulfilment::new(case.request_type);
        if case.request_type == RequestType::Erasure {
            done.completion.systems = input.connected_erasures.clone();
        }
        let erased_elsewhere = done.completion.systems.iter().any(|s| !s.tables.is_empty())
            || !input.connected_corrections.is_empty();
        if case.request_type == RequestType::SafeguardCopy {
            // The same answer for everyone, known or not: the letter lists the safeguards.
            let transfers = self
                .register()
                .recipients
                .iter()
                .filter(|r| r.transfer.is_some())
                .count();
            done.note("safeguards_listed", transfers);
            return Ok(done);
        }
        if case.request_type == RequestType::Complaint {
            // The privacy officer answers the complaint; completing it records that it was
            // answered, and changes no data.
            done.note("complaint_answered", true);
            return Ok(done);
        }
        let Some(subject) = case.subject.as_deref() else {
            done.note("data_found", erased_elsewhere);
            done.completion.no_data_found = !erased_elsewhere;
            return Ok(done);
        };
        match (case.request_type, &input.lift_restriction) {
            (RequestType::Access | RequestType::Portability, _) => {
                // The package is built when asked for; the outcome says where.
                let package = format!("/v1/requests/{}/package", case.row.id);
                done.note("package", package);
                if let Some(sent) = &input.transmitted_to {
                    let sent_to = serde_json::to_value(sent)
                        .map_err(|e| VaultError::Corrupt(e.to_string()))?;
                    done.note("transmitted_to", sent_to);
                    done.completion.transmitted_to = Some(sent.controller.clone());
                }
                if case.request_type == RequestType::Portability {
                    let left = self.portability_left_out(
                        case.records
                            .iter()
                            .map(|r| (r.purpose.as_str(), r.category.as_str())),
                    );
                    done.granted = case.records.len() > left_out_records(&case.records, &left);
                    done.left_out(left);
                }
            }
            (RequestType::Rectification, _) => {
                self.rectify(case, subject, &input.corrections, &mut done)
                    .await?;
            }
            (RequestType::Erasure, _) => self.fulfil_erasure(case, subject, &mut done).await?,
            (RequestType::Restriction, None) => self.restrict(case, subject, &mut done).await?,
            (RequestType::Restriction, Some(reasons)) => {
                self.lift_restriction(case, subject, reasons, &mut done)
                    .await?;
            }
            (RequestType::Objection | RequestType::WithdrawConsent, _)
                if self.purpose_left_out(case, &mut done) => {}
            (RequestType::Objection, _) => self.uphold_objection(case, subject, &mut done).await?,
            (RequestType::WithdrawConsent, _) => {
                self.withdraw_consent(case, subject, &mut done).await?;
            }
            (RequestType::SafeguardCopy | RequestType::Complaint, _) => {}
            (RequestType::MarketingOptOut, _) => {
                // An objection to all direct marketing is absolute (Art. 21(3)).
                self.object(
                    case.actor,
                    subject,
                    None,
                    ObjectionSource::Request,
                    true,
                    case.now,
                )
                .await?;
                done.note("objected_to", "direct_marketing");
            }
        }
        Ok(done)
    }

    /// Whether the objection's or withdrawal's right does not reach its purpose; if so it is
    /// noted as not applicable (with the reason) and nothing is recorded in the ledgers.
    fn purpose_left_out(&self, case: &Case<'_>, done: &mut Fulfilment) -> bool {
        let Some(id) = case.purpose.as_deref().map(|p| PurposeId(p.to_string())) else {
            return false;
        };
        let Some(reason) = self
            .register()
            .purpose(&id)
            .and_then(|p| applicability::purpose_right(case.request_type, p))
        else {
            return false;
        };
        done.note("not_applicable_to", id.as_str());
        done.granted = false;
        done.left_out(vec![LeftOut {
            purpose: id,
            categories: Vec::new(),
            reason,
        }]);
        true
    }

    /// What portability does not reach among `records` (purpose, category), grouped by purpose
    /// and reason, categories in the register's order (Art. 20(1)).
    pub(crate) fn portability_left_out<'r>(
        &self,
        records: impl Iterator<Item = (&'r str, &'r str)>,
    ) -> Vec<LeftOut> {
        let register = self.register();
        let mut left: Vec<LeftOut> = Vec::new();
        let seen: BTreeSet<(&str, &str)> = records.collect();
        for purpose in &register.purposes {
            for category in &register.data {
                if !seen.contains(&(purpose.id.as_str(), category.id.as_str())) {
                    continue;
                }
                let Some(reason) =
                    applicability::portability(purpose, &category.id, category.provided_by_subject)
                else {
                    continue;
                };
                match left
                    .iter_mut()
                    .find(|l| l.purpose == purpose.id && l.reason == reason)
                {
                    Some(group) => group.categories.push(category.id.clone()),
                    None => left.push(LeftOut {
                        purpose: purpose.id.clone(),
                        categories: vec![category.id.clone()],
                        reason,
                    }),
                }
            }
        }
        left
    }

    /// Rectification (Art. 16): correct the records and tell their recipients (Art. 19).
    async fn rectify(
        &self,
        case: &Case<'_>,
        subject: &str,
        corrections: &[Correction],
        done: &mut Fulfilment,
    ) -> Result<(), VaultError> {
        let categories = self.apply_corrections(case, subject, corrections).await?;
        done.note("rectified_records", corrections.len());
        self.recipient_notices(
            &mut done.extras,
            &case.row,
            subject,
            RecipientAction::Rectified,
            &categories,
            case.now,
        )?;
        done.name_recipients_told();
        Ok(())
    }

    /// Erasure (Art. 17): delete what no legal hold keeps, name what is kept and why, and tell
    /// the recipients of what was erased.
    async fn fulfil_erasure(
        &self,
        case: &Case<'_>,
        subject: &str,
        done: &mut Fulfilment,
    ) -> Result<(), VaultError> {
        // First the person named in others' free text (the identities are needed to find
        // them), then the person's own records.
        let redacted = self.redact_mentions(case.actor, subject, case.now).await?;
        let (deleted, kept, erased_categories) = self
            .erase(case.actor, subject, &case.records, case.now)
            .await?;
        done.note("deleted_records", deleted);
        if redacted.records > 0 {
            done.note("redacted_in_records", redacted.records);
            done.note("redacted_passages", redacted.passages);
        }
        done.note(
            "kept_under_legal_hold",
            serde_json::to_value(&kept).map_err(|e| VaultError::Corrupt(e.to_string()))?,
        );
        done.completion.kept = kept
            .iter()
            .map(|k| KeptUnderHold {
                hold: HoldId(k.hold.clone()),
                categories: k.categories.iter().cloned().map(CategoryId).collect(),
                until: k.until.as_deref().and_then(|d| d.parse().ok()),
            })
            .collect();
        self.recipient_notices(
            &mut done.extras,
            &case.row,
            subject,
            RecipientAction::Erased,
            &erased_categories,
            case.now,
        )?;
        done.name_recipients_told();
        Ok(())
    }

    /// Restriction (Art. 18): from now on storage only; the recipients are told.
    async fn restrict(
        &self,
        case: &Case<'_>,
        subject: &str,
        done: &mut Fulfilment,
    ) -> Result<(), VaultError> {
        self.storage.set_restricted(subject, Some(case.now)).await?;
        self.facts_changed(subject);
        self.audit_restriction(case, subject, "restricted").await?;
        done.note("restricted", true);
        let categories: BTreeSet<String> =
            case.records.iter().map(|r| r.category.clone()).collect();
        let categories: Vec<String> = categories.into_iter().collect();
        self.recipient_notices(
            &mut done.extras,
            &case.row,
            subject,
            RecipientAction::Restricted,
            &categories,
            case.now,
        )?;
        done.name_recipients_told();
        Ok(())
    }

    /// Lifting a restriction: the subject is told before it is lifted (Art. 18(3)), so the
    /// letter is queued in a step of its own (event `lifting_notified`) first.
    async fn lift_restriction(
        &self,
        case: &Case<'_>,
        subject: &str,
        reasons: &str,
        done: &mut Fulfilment,
    ) -> Result<(), VaultError> {
        let id = case.row.id.as_str();
        if let Some(address) = &case.address {
            let mail = Mail::new(
                "restriction_lifting",
                self.letters().restriction_lifting(id, case.now, reasons),
            );
            let notice = ChangeExtras {
                outbox: vec![self.seal_message(Some(id), address, &mail, case.now)?],
                ..ChangeExtras::default()
            };
            self.change(
                case.row.clone(),
                case.row.clone(),
                case.actor,
                case.now,
                RequestAction::LiftingNotified,
                None,
                notice,
            )
            .await?;
        }
        self.storage.set_restricted(subject, None).await?;
        self.facts_changed(subject);
        self.audit_restriction(case, subject, "lifted").await?;
        done.note("restricted", false);
        Ok(())
    }

    async fn audit_restriction(
        &self,
        case: &Case<'_>,
        subject: &str,
        outcome: &str,
    ) -> Result<(), VaultError> {
        self.audit(
            case.actor,
            case.now,
            "subject.restriction",
            None,
            Some(subject),
            Vec::new(),
            outcome,
        )
        .await
    }

    /// Objection (Art. 21) to the request's purpose, upheld.
    async fn uphold_objection(
        &self,
        case: &Case<'_>,
        subject: &str,
        done: &mut Fulfilment,
    ) -> Result<(), VaultError> {
        let purpose = case.purpose.clone().unwrap_or_default();
        self.object(
            case.actor,
            subject,
            Some(&purpose),
            ObjectionSource::Request,
            true,
            case.now,
        )
        .await?;
        done.note("objected_to", purpose.clone());
        done.completion.purposes = vec![PurposeId(purpose)];
        Ok(())
    }

    /// Withdrawal of consent (Art. 7(3)) to the request's purpose, entered in the ledger.
    async fn withdraw_consent(
        &self,
        case: &Case<'_>,
        subject: &str,
        done: &mut Fulfilment,
    ) -> Result<(), VaultError> {
        let purpose = case.purpose.clone().unwrap_or_default();
        let withdrawal = ConsentInput {
            subject: subject.to_string(),
            purpose: purpose.clone(),
            granted: false,
            method: "admin".into(),
            notice_version: None,
            ip: None,
            user_agent: None,
            gpc: false,
            dnt: false,
        };
        self.record_consent(case.actor, withdrawal, case.now)
            .await?;
        done.note("consent_withdrawn", purpose.clone());
        done.completion.purposes = vec![PurposeId(purpose)];
        Ok(())
    }

    /// Close the request as completed with its outcome, the completion letter and the
    /// recipients' notices in one change, and audit it.
    async fn complete(&self, case: Case<'_>, mut done: Fulfilment) -> Result<(), VaultError> {
        let id = case.row.id.as_str();
        done.assess()?;
        if let Some(address) = &case.address {
            let mail = Mail::new("completed", self.letters().completed(id, &done.completion));
            done.extras
                .outbox
                .push(self.seal_message(Some(id), address, &mail, case.now)?);
        }
        let completed = stored_state(&case.row.state)?
            .transition(RequestState::Completed)
            .map_err(|e| VaultError::RequestState {
                what: format!("request {id}: {e}"),
                help: "read it again and retry".into(),
            })?;
        let mut next = with_state(&case.row, completed, case.now);
        next.outcome = Some(serde_json::Value::Object(done.outcome).to_string());
        next.closed_at = Some(case.now);
        let subject = case.subject.as_deref();
        self.change(
            case.row.clone(),
            next,
            case.actor,
            case.now,
            RequestAction::Completed,
            None,
            done.extras,
        )
        .await?;
        self.audit(
            case.actor,
            case.now,
            "request.fulfil",
            None,
            subject,
            Vec::new(),
            case.request_type.as_str(),
        )
        .await
    }

    /// The purpose an objection or withdrawal concerns must be named and be the register's.
    /// Whether the right reaches it is not checked here: a purpose it does not reach completes
    /// the request as "not applicable", with the reason in the letter.
    fn check_purpose_for(&self, purpose: Option<&str>) -> Result<(), VaultError> {
        let Some(purpose) = purpose else {
            return Err(VaultError::invalid(
                "`purpose` is missing",
                "name the purpose the objection or withdrawal concerns",
            ));
        };
        if self
            .register()
            .purpose(&PurposeId(purpose.to_string()))
            .is_none()
        {
            return Err(VaultError::invalid(
                format!("unknown purpose `{purpose}`"),
                "use a purpose of the register",
            ));
        }
        Ok(())
    }

    fn check_corrections(
        &self,
        records: &[RecordRow],
        corrections: &[Correction],
        now: Timestamp,
    ) -> Result<(), VaultError> {
        if corrections.is_empty() {
            return Err(VaultError::invalid(
                "`corrections` is empty",
                "give each record to correct with its new field values",
            ));
        }
        for correction in corrections {
            let Some(record) = records.iter().find(|r| r.id == correction.record_id) else {
                return Err(VaultError::invalid(
                    "a correction names a record the subject does not have",
                    "use record ids of the request's subject",
                ));
            };
            self.check_record_fields(record, &correction.fields, now)?;
        }
        Ok(())
    }

    /// Check new field values of `record` as a new record of its category would be checked.
    fn check_record_fields(
        &self,
        record: &RecordRow,
        fields: &serde_json::Map<String, serde_json::Value>,
        now: Timestamp,
    ) -> Result<(), VaultError> {
        self.check_record(
            &NewRecord {
                category: record.category.clone(),
                fields: fields.clone(),
                source: record.source.clone(),
                purpose: record.purpose.clone(),
                collected_at: None,
                anchors: Default::default(),
                combined_from: Vec::new(),
            },
            now,
        )
    }

    /// Correct each record named, keeping the values replaced in the subject's history (sealed
    /// under the subject's key, in the same transaction as the new values), and audit each
    /// correction by field names. Returns the categories corrected, for the recipients' notices.
    async fn apply_corrections(
        &self,
        case: &Case<'_>,
        subject: &str,
        corrections: &[Correction],
    ) -> Result<Vec<String>, VaultError> {
        let key = self.data_key(subject).await?;
        let mut categories = BTreeSet::new();
        for correction in corrections {
            let Some(record) = case.records.iter().find(|r| r.id == correction.record_id) else {
                continue;
            };
            let aad = record_aad(subject, &record.id, &record.category);
            let plain = key.open(&record.ciphertext, &aad)?;
            let mut fields: serde_json::Map<String, serde_json::Value> =
                serde_json::from_slice(&plain)
                    .map_err(|_| VaultError::Corrupt("a record's fields".into()))?;
            let mut changed: Vec<String> = Vec::new();
            let mut previous = serde_json::Map::new();
            for (name, value) in &correction.fields {
                let old = fields
                    .insert(name.clone(), value.clone())
                    .unwrap_or(serde_json::Value::Null);
                previous.insert(name.clone(), old);
                changed.push(name.clone());
            }
            // A rerun after a crash finds the values already corrected: the history keeps one
            // revision per real change, so an unchanged record is not written again.
            let unchanged = previous
                .iter()
                .all(|(name, old)| correction.fields.get(name) == Some(old));
            if !unchanged {
                self.rectify_with_history(case, record, &key, &fields, &previous)
                    .await?;
            }
            self.audit(
                case.actor,
                case.now,
                "record.rectify",
                Some(&record.purpose),
                Some(subject),
                vec![record.category.clone()],
                &format!("fields:{}", changed.join(",")),
            )
            .await?;
            categories.insert(record.category.clone());
        }
        Ok(categories.into_iter().collect())
    }

    /// Write `fields` as `record`'s new values and keep `previous` (the replaced values of the
    /// fields changed, by field id) in its history, in one transaction.
    async fn rectify_with_history(
        &self,
        case: &Case<'_>,
        record: &RecordRow,
        key: &skydd_crypto::DataKey,
        fields: &serde_json::Map<String, serde_json::Value>,
        previous: &serde_json::Map<String, serde_json::Value>,
    ) -> Result<(), VaultError> {
        let subject = record.subject_id.as_str();
        let corrupt = |e: serde_json::Error| VaultError::Corrupt(e.to_string());
        let sealed = key.seal(
            &serde_json::to_vec(fields).map_err(corrupt)?,
            &record_aad(subject, &record.id, &record.category),
        )?;
        let revision = RecordRevisionRow {
            seq: 0,
            record_id: record.id.clone(),
            request_id: Some(case.row.id.clone()),
            replaced_at: case.now,
            fields: previous.keys().cloned().collect(),
            ciphertext: key.seal(
                &serde_json::to_vec(previous).map_err(corrupt)?,
                &revision_aad(subject, &record.id, &record.category),
            )?,
        };
        self.storage
            .rewrite_record(RecordRewrite {
                record_id: record.id.clone(),
                ciphertext: sealed,
                revision: Some(revision),
                mentions: self
                    .mentions_with_history(record, key, fields, Some(previous), case.now)
                    .await?,
                revisions: Vec::new(),
            })
            .await?;
        Ok(())
    }

    /// The hold keeping `record` today, if any: a hold of its category whose anchor the record
    /// carries and whose period has not run out (as `decide` counts holds).
    fn hold_of(
        &self,
        record: &RecordRow,
        now: Timestamp,
    ) -> Option<(&skydd_register::model::LegalHold, Option<jiff::civil::Date>)> {
        let today = now.to_zoned(jiff::tz::TimeZone::UTC).date();
        self.register().legal_holds.iter().find_map(|hold| {
            if !hold
                .categories
                .iter()
                .any(|c| c.as_str() == record.category)
            {
                return None;
            }
            let event = match &hold.clock.anchor {
                Anchor::After(event) => event.as_str().to_string(),
                Anchor::While(state) => self
                    .register()
                    .states
                    .iter()
                    .find(|s| &s.id == state)
                    .map(|s| s.ends_with.as_str().to_string())?,
            };
            let (_, at) = record.anchors.iter().find(|(e, _)| *e == event)?;
            let anchor_date = at.to_zoned(jiff::tz::TimeZone::UTC).date();
            let until = hold.clock.expires_on(anchor_date);
            if until.is_none_or(|end| today <= end) {
                Some((hold, until))
            } else {
                None
            }
        })
    }

    /// Erase a subject's records except those under a legal hold; without any left, shred the
    /// subject (data key, identities). Kept records are restricted to storage for the hold.
    async fn erase(
        &self,
        actor: &Actor,
        subject: &str,
        records: &[RecordRow],
        now: Timestamp,
    ) -> Result<(usize, Vec<KeptRecords>, Vec<String>), VaultError> {
        let mut kept: Vec<KeptRecords> = Vec::new();
        let mut delete = Vec::new();
        let mut erased_categories = BTreeSet::new();
        let language = self.letters_language();
        for record in records {
            match self.hold_of(record, now) {
                Some((hold, until)) => {
                    let entry = match kept.iter_mut().find(|k| k.hold == hold.id.as_str()) {
                        Some(entry) => entry,
                        None => {
                            kept.push(KeptRecords {
                                hold: hold.id.as_str().to_string(),
                                law: hold.law.get(language).to_string(),
                                purpose: hold.purpose.as_str().to_string(),
                                categories: Vec::new(),
                                records: 0,
                                until: None,
                            });
                            let last = kept.len() - 1;
                            &mut kept[last]
                        }
                    };
                    entry.records += 1;
                    if !entry.categories.contains(&record.category) {
                        entry.categories.push(record.category.clone());
                    }
                    let until = until.map(|d| d.to_string());
                    if until > entry.until {
                        entry.until = until;
                    }
                }
                None => {
                    delete.push(record.id.clone());
                    erased_categories.insert(record.category.clone());
                }
            }
        }
        let deleted = delete.len();
        // One transaction deletes the records and shreds the subject when none is left.
        self.storage
            .delete_records(skydd_storage::RecordDeletion {
                delete,
                anonymise: Vec::new(),
                audit: Vec::new(),
                shred_audit: None,
            })
            .await?;
        if kept.is_empty() {
            // A subject with no records at all is shredded here (a no-op when already gone).
            self.storage.shred_subject(subject).await?;
        } else {
            // What is kept may serve the hold only: storage, nothing else (Art. 17(3)(b), 18(2)).
            self.storage.set_restricted(subject, Some(now)).await?;
        }
        self.facts_changed(subject);
        self.audit(
            actor,
            now,
            "subject.erase",
            None,
            Some(subject),
            erased_categories.iter().cloned().collect(),
            if kept.is_empty() {
                "shredded"
            } else {
                "kept_under_hold"
            },
        )
        .await?;
        Ok((deleted, kept, erased_categories.into_iter().collect()))
    }

    /// The language letters and packages are written in: the register's first.
    pub(crate) fn letters_language(&self) -> skydd_register::model::Language {
        self.register()
            .languages
            .first()
            .copied()
            .unwrap_or(skydd_register::model::Language::En)
    }

    /// The register's recipients of any of `categories`: who must be told (Art. 19).
    pub(crate) fn recipients_of(
        &self,
        categories: &[String],
    ) -> Vec<(RecipientId, Vec<CategoryId>)> {
        self.register()
            .recipients
            .iter()
            .filter_map(|recipient| {
                let concerned: Vec<CategoryId> = recipient
                    .categories
                    .iter()
                    .filter(|c| categories.iter().any(|x| x == c.as_str()))
                    .cloned()
                    .collect();
                (!concerned.is_empty()).then(|| (recipient.id.clone(), concerned))
            })
            .collect()
    }

    /// Write the notices owed to the recipients of `categories` (Art. 19) into `extras`, stored
    /// with the request's change in one transaction. A recipient with a `notify` address in the
    /// register gets its notice through the outbox (state `queued`, then `sent` or `failed` with
    /// the message); one without keeps it for the DPO to send by hand (state `manual`).
    fn recipient_notices(
        &self,
        extras: &mut ChangeExtras,
        row: &RequestRow,
        subject: &str,
        action: RecipientAction,
        categories: &[String],
        now: Timestamp,
    ) -> Result<(), VaultError> {
        let letters = self.letters();
        for (recipient, concerned) in self.recipients_of(categories) {
            let letter = letters.recipient_notice(&recipient, action, &concerned, subject, &row.id);
            let address = self
                .register()
                .recipients
                .iter()
                .find(|r| r.id == recipient)
                .and_then(|r| r.notify.as_ref())
                .map(|notify| notify.email.as_str());
            let message = match address {
                Some(address) => Some(self.seal_message(
                    Some(&row.id),
                    address,
                    &Mail::new("recipient_notice", letter.clone()),
                    now,
                )?),
                None => None,
            };
            extras.notifications.push(RecipientNotificationRow {
                id: new_id()?,
                request_id: row.id.clone(),
                recipient: recipient.as_str().to_string(),
                action: action.as_str().to_string(),
                categories: concerned
                    .iter()
                    .map(|c| c.as_str())
                    .collect::<Vec<_>>()
                    .join(","),
                subject_reference: subject.to_string(),
                letter_subject: letter.subject,
                letter_text: letter.text,
                state: if message.is_some() {
                    NoticeState::Queued
                } else {
                    NoticeState::Manual
                }
                .as_str()
                .to_string(),
                created_at: now,
                outbox_message_id: message.as_ref().map(|m| m.id.clone()),
            });
            extras.outbox.extend(message);
        }
        Ok(())
    }
}

/// A basis word for display.
pub(crate) fn basis_word(basis: LegalBasis) -> &'static str {
    basis.word()
}

/// How many of `records` fall in a group of `left` (their purpose and category left out).
fn left_out_records(records: &[RecordRow], left: &[LeftOut]) -> usize {
    records
        .iter()
        .filter(|r| {
            left.iter().any(|l| {
                l.purpose.as_str() == r.purpose
                    && l.categories.iter().any(|c| c.as_str() == r.category)
            })
        })
        .count()
}
