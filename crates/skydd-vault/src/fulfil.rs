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
use skydd_requests::{Completion, KeptUnderHold, RecipientAction, RequestState, RequestType};
use skydd_storage::{RecipientNotificationRow, RecordRow, RequestRow};

use crate::crypto::record_aad;
use crate::letters::Mail;
use crate::record::NewRecord;
use crate::request::{ChangeExtras, new_id, parse_state, parse_type};
use crate::{Actor, ConsentInput, RequestView, Vault, VaultError};

/// A correction of one record (rectification): the fields to set.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Correction {
    /// The record.
    pub record_id: String,
    /// New values by field id; fields not named keep their values.
    pub fields: serde_json::Map<String, serde_json::Value>,
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
}

/// Data kept by an erasure under a legal hold, with its legal reference.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct KeptRecords {
    /// The hold's id.
    pub hold: String,
    /// The law requiring it (the register's words).
    pub law: String,
    /// The purpose the data is kept for, and only for.
    pub purpose: String,
    /// Categories kept.
    pub categories: Vec<String>,
    /// How many records.
    pub records: usize,
    /// When the hold ends and the data is deleted, if known.
    pub until: Option<String>,
}

impl Vault {
    /// Fulfil a verified request. A request routed to a tenant can be fulfilled only by that
    /// tenant; a copy outside the free allowance only with `provide_copy`.
    pub async fn fulfil_request(
        &self,
        actor: &Actor,
        id: &str,
        input: FulfilInput,
        now: Timestamp,
    ) -> Result<RequestView, VaultError> {
        let row = self.request_row(actor, id).await?;
        let state = parse_state(&row.state)?;
        let request_type = parse_type(&row.request_type)?;
        if state.is_closed() {
            return Err(VaultError::RequestState {
                what: format!("request {id} is already {}", row.state),
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
        if !matches!(state, RequestState::Verified | RequestState::InProgress)
            && !row.routed_to_controller
        {
            return Err(VaultError::RequestState {
                what: format!("request {id} is {}, not verified", row.state),
                help: "verify the requester's identity first (code or document)".into(),
            });
        }
        if row.needs_decision.is_some() && !input.provide_copy {
            return Err(VaultError::RequestState {
                what: format!("request {id} is outside the free copies and needs a decision"),
                help: "fulfil with `provide_copy: true` (and charge a reasonable fee if the policy says so), or reject with reasons (Art. 12(5))".into(),
            });
        }
        let details = self.request_details(&row)?;
        let purpose = input.purpose.clone().or(details.purpose);
        let subject = match &row.subject_id {
            Some(subject) => self.storage.get_subject(subject).await?.map(|s| s.id),
            None => None,
        };
        // Check the input before anything changes.
        let records = match &subject {
            Some(subject) => self.storage.records_of_subject(subject).await?,
            None => Vec::new(),
        };
        if request_type == RequestType::Rectification {
            self.check_corrections(&records, &input.corrections, now)?;
        }
        if matches!(
            request_type,
            RequestType::Objection | RequestType::WithdrawConsent
        ) {
            self.check_purpose_for(request_type, purpose.as_deref())?;
        }

        let mut row = row;
        if state != RequestState::InProgress {
            let mut next = row.clone();
            next.state = RequestState::InProgress.as_str().to_string();
            next.updated_at = now;
            self.change(
                row,
                next.clone(),
                actor,
                now,
                "started",
                None,
                ChangeExtras::default(),
            )
            .await?;
            row = next;
        }

        let mut completion = Completion::new(request_type);
        let mut outcome = serde_json::Map::new();
        let mut extras = ChangeExtras {
            destroy_evidence: true,
            ..ChangeExtras::default()
        };
        let address = self.request_address(&row).await?;
        match (&subject, request_type) {
            (None, _) => {
                outcome.insert("data_found".into(), false.into());
                completion.no_data_found = true;
            }
            (Some(_), RequestType::Access | RequestType::Portability) => {
                outcome.insert(
                    "package".into(),
                    format!("/v1/requests/{id}/package").into(),
                );
            }
            (Some(subject), RequestType::Rectification) => {
                let categories = self
                    .apply_corrections(actor, subject, &records, &input.corrections, now)
                    .await?;
                outcome.insert("rectified_records".into(), input.corrections.len().into());
                self.recipient_notices(
                    &mut extras,
                    &row,
                    subject,
                    RecipientAction::Rectified,
                    &categories,
                    now,
                )?;
            }
            (Some(subject), RequestType::Erasure) => {
                let (deleted, kept, erased_categories) =
                    self.erase(actor, subject, &records, now).await?;
                outcome.insert("deleted_records".into(), deleted.into());
                outcome.insert(
                    "kept_under_legal_hold".into(),
                    serde_json::to_value(&kept).map_err(|e| VaultError::Corrupt(e.to_string()))?,
                );
                completion.kept = kept
                    .iter()
                    .map(|k| KeptUnderHold {
                        hold: HoldId(k.hold.clone()),
                        categories: k.categories.iter().cloned().map(CategoryId).collect(),
                        until: k.until.as_deref().and_then(|d| d.parse().ok()),
                    })
                    .collect();
                self.recipient_notices(
                    &mut extras,
                    &row,
                    subject,
                    RecipientAction::Erased,
                    &erased_categories,
                    now,
                )?;
            }
            (Some(subject), RequestType::Restriction) => {
                let categories: BTreeSet<String> =
                    records.iter().map(|r| r.category.clone()).collect();
                if let Some(reasons) = &input.lift_restriction {
                    // The subject is told before the restriction is lifted (Art. 18(3)): the
                    // letter is queued in its own step first.
                    if let Some(address) = &address {
                        let mail = Mail::new(
                            "restriction_lifting",
                            self.letters().restriction_lifting(id, now, reasons),
                        );
                        let notice = ChangeExtras {
                            outbox: vec![self.seal_message(Some(id), address, &mail, now)?],
                            ..ChangeExtras::default()
                        };
                        self.change(
                            row.clone(),
                            row.clone(),
                            actor,
                            now,
                            "lifting_notified",
                            None,
                            notice,
                        )
                        .await?;
                    }
                    self.storage.set_restricted(subject, None).await?;
                    self.audit(
                        actor,
                        now,
                        "subject.restriction",
                        None,
                        Some(subject),
                        Vec::new(),
                        "lifted",
                    )
                    .await?;
                    outcome.insert("restricted".into(), false.into());
                } else {
                    self.storage.set_restricted(subject, Some(now)).await?;
                    self.audit(
                        actor,
                        now,
                        "subject.restriction",
                        None,
                        Some(subject),
                        Vec::new(),
                        "restricted",
                    )
                    .await?;
                    outcome.insert("restricted".into(), true.into());
                    let categories: Vec<String> = categories.into_iter().collect();
                    self.recipient_notices(
                        &mut extras,
                        &row,
                        subject,
                        RecipientAction::Restricted,
                        &categories,
                        now,
                    )?;
                }
            }
            (Some(subject), RequestType::Objection) => {
                let purpose = purpose.unwrap_or_default();
                self.object(
                    actor,
                    subject,
                    Some(&purpose),
                    ObjectionSource::Request,
                    true,
                    now,
                )
                .await?;
                outcome.insert("objected_to".into(), purpose.clone().into());
                completion.purposes = vec![PurposeId(purpose)];
            }
            (Some(subject), RequestType::WithdrawConsent) => {
                let purpose = purpose.unwrap_or_default();
                self.record_consent(
                    actor,
                    ConsentInput {
                        subject: subject.clone(),
                        purpose: purpose.clone(),
                        granted: false,
                        method: "admin".into(),
                        notice_version: None,
                        ip: None,
                        user_agent: None,
                        gpc: false,
                        dnt: false,
                    },
                    now,
                )
                .await?;
                outcome.insert("consent_withdrawn".into(), purpose.clone().into());
                completion.purposes = vec![PurposeId(purpose)];
            }
            (Some(subject), RequestType::MarketingOptOut) => {
                // An objection to all direct marketing is absolute (Art. 21(3)).
                self.object(actor, subject, None, ObjectionSource::Request, true, now)
                    .await?;
                outcome.insert("objected_to".into(), "direct_marketing".into());
            }
        }
        if request_type.notifies_recipients()
            && subject.is_some()
            && input.lift_restriction.is_none()
        {
            let mut told: Vec<RecipientId> = extras
                .notifications
                .iter()
                .map(|n| RecipientId(n.recipient.clone()))
                .collect();
            told.dedup();
            completion.recipients = Some(told);
        }
        if let Some(address) = &address {
            let mail = Mail::new("completed", self.letters().completed(id, &completion));
            extras
                .outbox
                .push(self.seal_message(Some(id), address, &mail, now)?);
        }
        let mut next = row.clone();
        next.state = RequestState::Completed.as_str().to_string();
        next.outcome = Some(serde_json::Value::Object(outcome).to_string());
        next.closed_at = Some(now);
        next.updated_at = now;
        self.change(row, next, actor, now, "completed", None, extras)
            .await?;
        self.audit(
            actor,
            now,
            "request.fulfil",
            None,
            subject.as_deref(),
            Vec::new(),
            request_type.as_str(),
        )
        .await?;
        self.request(actor, id, now).await
    }

    fn check_purpose_for(
        &self,
        request_type: RequestType,
        purpose: Option<&str>,
    ) -> Result<(), VaultError> {
        let Some(purpose) = purpose else {
            return Err(VaultError::invalid(
                "`purpose` is missing",
                "name the purpose the objection or withdrawal concerns",
            ));
        };
        let Some(found) = self.register().purpose(&PurposeId(purpose.to_string())) else {
            return Err(VaultError::invalid(
                format!("unknown purpose `{purpose}`"),
                "use a purpose of the register",
            ));
        };
        match request_type {
            RequestType::Objection
                if !found.direct_marketing
                    && !found.uses_basis(LegalBasis::LegitimateInterest)
                    && !found.uses_basis(LegalBasis::PublicTask) =>
            {
                Err(VaultError::invalid(
                    format!(
                        "purpose `{purpose}` rests neither on legitimate interest nor on a public task, nor is it direct marketing"
                    ),
                    "an objection (Art. 21) concerns those; for consent use withdraw_consent",
                ))
            }
            RequestType::WithdrawConsent if !found.uses_basis(LegalBasis::Consent) => {
                Err(VaultError::invalid(
                    format!("purpose `{purpose}` does not rest on consent"),
                    "consent can be withdrawn only from a purpose based on it",
                ))
            }
            _ => Ok(()),
        }
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
            },
            now,
        )
    }

    async fn apply_corrections(
        &self,
        actor: &Actor,
        subject: &str,
        records: &[RecordRow],
        corrections: &[Correction],
        now: Timestamp,
    ) -> Result<Vec<String>, VaultError> {
        let key = self.data_key(subject).await?;
        let mut categories = BTreeSet::new();
        for correction in corrections {
            let Some(record) = records.iter().find(|r| r.id == correction.record_id) else {
                continue;
            };
            let aad = record_aad(subject, &record.id, &record.category);
            let plain = key.open(&record.ciphertext, &aad)?;
            let mut fields: serde_json::Map<String, serde_json::Value> =
                serde_json::from_slice(&plain)
                    .map_err(|_| VaultError::Corrupt("a record's fields".into()))?;
            let mut changed: Vec<&str> = Vec::new();
            for (name, value) in &correction.fields {
                fields.insert(name.clone(), value.clone());
                changed.push(name);
            }
            let sealed = key.seal(
                &serde_json::to_vec(&fields).map_err(|e| VaultError::Corrupt(e.to_string()))?,
                &aad,
            )?;
            self.storage
                .replace_record_ciphertext(&record.id, sealed)
                .await?;
            self.audit(
                actor,
                now,
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

    fn letters_language(&self) -> skydd_register::model::Language {
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
        let action_word = match action {
            RecipientAction::Rectified => "rectified",
            RecipientAction::Erased => "erased",
            RecipientAction::Restricted => "restricted",
        };
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
                action: action_word.to_string(),
                categories: concerned
                    .iter()
                    .map(|c| c.as_str())
                    .collect::<Vec<_>>()
                    .join(","),
                subject_reference: subject.to_string(),
                letter_subject: letter.subject,
                letter_text: letter.text,
                state: if message.is_some() {
                    "queued"
                } else {
                    "manual"
                }
                .into(),
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
