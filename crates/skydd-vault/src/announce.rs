//! Messages to many subjects at once, through the outbox: the plain-language communication of a
//! high-risk breach (Art. 34) and the notice that the privacy notice changed significantly
//! (P000-69, P001-05).

use data_encoding::HEXLOWER;
use jiff::Timestamp;
use sha2::{Digest, Sha256};
use skydd_incident::{Entry, Incident, Report};
use skydd_register::model::Language;

use crate::letters::Mail;
use crate::{Actor, Vault, VaultError};

/// How many subjects are read (and their messages queued) per transaction.
const PAGE: usize = 500;

/// What a message to many subjects reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Reach {
    /// Messages newly queued.
    pub queued: u64,
    /// Subjects with no e-mail address to write to (they need another channel).
    pub without_address: u64,
    /// Subjects already sent this message (by an earlier run).
    pub already_queued: u64,
}

impl Vault {
    fn language(&self) -> Language {
        self.register()
            .languages
            .first()
            .copied()
            .unwrap_or(Language::En)
    }

    /// Who to contact about the breach: the DPO if there is one, else the controller.
    fn breach_contact(&self) -> String {
        let register = self.register();
        let contact = register
            .dpo
            .as_ref()
            .map_or(&register.controller.contact, |dpo| &dpo.contact);
        [&contact.email, &contact.phone, &contact.url]
            .into_iter()
            .flatten()
            .cloned()
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Tell `subjects` of a breach in plain language (Art. 34): `message` says what happened;
    /// the letter adds the likely consequences, the measures taken and whom to contact (Art.
    /// 34(2) with 33(3)(b)-(d)) from the incident and the register, and is queued in the outbox
    /// for each subject with an e-mail address. The communication is then recorded on the
    /// incident with the number reached, and each subject's audit trail notes it.
    pub async fn inform_subjects_of_incident(
        &self,
        actor: &Actor,
        incident_id: &str,
        message: String,
        subjects: Vec<String>,
        now: Timestamp,
    ) -> Result<(Incident, Reach), VaultError> {
        let incident = self
            .incident(incident_id)
            .await?
            .ok_or(VaultError::UnknownIncident)?;
        if subjects.is_empty() {
            return Err(VaultError::invalid(
                "`subjects` is empty",
                "name the subjects the breach concerns; when that would be disproportionate, record a public communication as an Art. 34(3)(c) exemption instead",
            ));
        }
        // Check the entry before anything is queued (the count is filled in below).
        let probe = Entry::SubjectsInformed {
            informed_at: now,
            subjects: 1,
            message: message.clone(),
        };
        incident.check(&probe, now)?;
        let mail = self.incident_letter(incident.current(), &message);
        let mut reach = Reach::default();
        let mut messages = Vec::new();
        let mut reached = Vec::new();
        for subject in &subjects {
            let row = self.subject_row(actor, subject).await?;
            match self.subject_email(&row.id).await? {
                Some(address) => {
                    let id = message_id(&["incident", incident_id, &row.id]);
                    messages.push(self.seal_message_as(id, None, &address, &mail, now)?);
                    reached.push(row.id);
                }
                None => reach.without_address += 1,
            }
        }
        if messages.is_empty() {
            return Err(VaultError::invalid(
                "none of these subjects has an e-mail address to write to",
                "tell them another way and record it, or record a public communication as an Art. 34(3)(c) exemption",
            ));
        }
        let total = messages.len() as u64;
        reach.queued = self.storage.queue_messages(messages).await?;
        reach.already_queued = total - reach.queued;
        let entry = Entry::SubjectsInformed {
            informed_at: now,
            subjects: total,
            message,
        };
        let incident = self
            .record_incident_entry(actor, incident_id, entry, now)
            .await?;
        for subject in &reached {
            self.audit_with_detail(
                actor,
                now,
                "incident.inform",
                None,
                Some(subject),
                incident.current().data_categories.clone(),
                "queued",
                Some(format!("incident {incident_id}")),
            )
            .await?;
        }
        Ok((incident, reach))
    }

    /// The letter telling a subject of a breach: `message`, then the likely consequences, the
    /// measures taken and whom to ask, in the register's first language.
    fn incident_letter(&self, report: &Report, message: &str) -> Mail {
        let controller = &self.register().controller.name;
        let contact = self.breach_contact();
        let (title, text) = match self.language() {
            Language::Sv => (
                format!("{controller}: en personuppgiftsincident som berör dig"),
                format!(
                    "{message}\n\nTroliga konsekvenser: {}\n\nDet här har vi gjort: {}\n\nFrågor: {contact}\n\nDu kan också klaga hos Integritetsskyddsmyndigheten (IMY).",
                    report.consequences, report.measures
                ),
            ),
            Language::En => (
                format!("{controller}: a personal data breach that concerns you"),
                format!(
                    "{message}\n\nLikely consequences: {}\n\nWhat we have done: {}\n\nQuestions: {contact}\n\nYou can also complain to the supervisory authority.",
                    report.consequences, report.measures
                ),
            ),
        };
        Mail {
            kind: "incident_communication",
            subject: title,
            text,
        }
    }

    /// Tell every subject of the controller's own (not a tenant's) who existed before
    /// `effective_at` that the privacy notice changed significantly: `summary` lists the changes
    /// in words. Each message's id is derived from the register `version` and the subject, so a
    /// rerun (after a crash, or at the next start) queues only what is missing.
    pub async fn announce_notice_change(
        &self,
        version: &str,
        effective_at: Timestamp,
        summary: &[String],
        notice_url: Option<&str>,
        now: Timestamp,
    ) -> Result<Reach, VaultError> {
        let mail = self.notice_change_letter(effective_at, summary, notice_url);
        let mut reach = Reach::default();
        let mut after: Option<String> = None;
        loop {
            let page = self.storage.subjects_page(after.as_deref(), PAGE).await?;
            let Some(last) = page.last() else { break };
            after = Some(last.id.clone());
            let due: Vec<(String, String)> = page
                .iter()
                .filter(|s| s.tenant.is_none() && s.created_at < effective_at)
                .map(|s| (message_id(&["notice", version, &s.id]), s.id.clone()))
                .collect();
            // A rerun skips the subjects already written to before decrypting anything.
            let done = self
                .storage
                .queued_message_ids(due.iter().map(|(id, _)| id.clone()).collect())
                .await?;
            reach.already_queued += done.len() as u64;
            let mut messages = Vec::new();
            for (id, subject) in due.into_iter().filter(|(id, _)| !done.contains(id)) {
                match self.subject_email(&subject).await? {
                    Some(address) => {
                        messages.push(self.seal_message_as(id, None, &address, &mail, now)?);
                    }
                    None => reach.without_address += 1,
                }
            }
            let total = messages.len() as u64;
            let queued = self.storage.queue_messages(messages).await?;
            reach.queued += queued;
            reach.already_queued += total - queued;
        }
        self.audit_with_detail(
            &Actor::new("system:notice"),
            now,
            "notice.change_announced",
            None,
            None,
            Vec::new(),
            "queued",
            Some(format!(
                "register {version}: {} queued, {} already queued, {} without an e-mail address",
                reach.queued, reach.already_queued, reach.without_address
            )),
        )
        .await?;
        Ok(reach)
    }
}

impl Vault {
    /// The letter announcing a significant change of the notice: the changes as a list, the
    /// date they apply from, and the notice's address when known.
    fn notice_change_letter(
        &self,
        effective_at: Timestamp,
        summary: &[String],
        notice_url: Option<&str>,
    ) -> Mail {
        let controller = &self.register().controller.name;
        let changes = summary
            .iter()
            .map(|line| format!("- {line}"))
            .collect::<Vec<_>>()
            .join("\n");
        let link = notice_url
            .map(|url| format!("\n\n{url}"))
            .unwrap_or_default();
        let (title, text) = match self.language() {
            Language::Sv => (
                format!("{controller} har ändrat sin integritetspolicy"),
                format!(
                    "Vi har ändrat hur vi behandlar dina personuppgifter. Det viktigaste:\n\n{changes}\n\nDen nya integritetspolicyn gäller från {}.{link}",
                    effective_at.strftime("%Y-%m-%d")
                ),
            ),
            Language::En => (
                format!("{controller} has changed its privacy notice"),
                format!(
                    "We have changed how we process your personal data. The main changes:\n\n{changes}\n\nThe new privacy notice applies from {}.{link}",
                    effective_at.strftime("%Y-%m-%d")
                ),
            ),
        };
        Mail {
            kind: "notice_of_change",
            subject: title,
            text,
        }
    }
}

/// A message id derived from what it announces: 32 hex digits of SHA-256.
fn message_id(parts: &[&str]) -> String {
    let mut hash = Sha256::new();
    for part in parts {
        hash.update(part.as_bytes());
        hash.update([0]);
    }
    HEXLOWER.encode(&hash.finalize()[..16])
}
