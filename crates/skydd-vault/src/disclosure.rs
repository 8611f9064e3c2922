//! Disclosures of personal data to authorities: only on a decision (a court decision or an
//! order), only to an authority the register names, only of what the register lets it receive,
//! and each one audited per subject with the decision behind it (P000-50, P000-51).

use data_encoding::HEXLOWER;
use jiff::Timestamp;
use jiff::civil::Date;
use skydd_crypto::random_bytes;
use skydd_decide::{Decision, DecisionRequest};
use skydd_register::model::{Recipient, RecipientKind};
use skydd_storage::DisclosureRow;

use crate::{Actor, Vault, VaultError};

/// The kinds of decision a disclosure may rest on.
pub const DECISION_KINDS: [&str; 2] = ["court_decision", "order"];

/// A disclosure to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisclosureInput {
    /// The register's recipient id of the authority.
    pub recipient: String,
    /// The register's purpose; may be left out when the recipient has exactly one.
    pub purpose: Option<String>,
    /// The law the disclosure rests on.
    pub legal_basis: String,
    /// `court_decision` or `order`.
    pub decision_kind: String,
    /// The decision's reference (case number). Required.
    pub decision_reference: String,
    /// The court or authority that decided.
    pub decided_by: String,
    /// The date of the decision.
    pub decided_on: Date,
    /// SHA-256 (hex) of the decision document, if there is one.
    pub document_sha256: Option<String>,
    /// The subjects whose data is disclosed.
    pub subjects: Vec<String>,
    /// The register's data categories disclosed.
    pub categories: Vec<String>,
    /// When the data was (or is) disclosed; `now` when left out.
    pub disclosed_at: Option<Timestamp>,
}

fn required(value: &str, field: &str, help: &str) -> Result<(), VaultError> {
    if value.trim().is_empty() {
        Err(VaultError::invalid(format!("`{field}` is required"), help))
    } else {
        Ok(())
    }
}

/// Check the decision a disclosure rests on, before the register is consulted: a reference,
/// a known kind, who decided, the law, a well-formed document hash, and a decision no later than
/// the disclosure. Returns when the disclosure is made.
fn check_decision(input: &DisclosureInput, now: Timestamp) -> Result<Timestamp, VaultError> {
    required(
        &input.decision_reference,
        "decision_reference",
        "data is disclosed to an authority only on a court decision or a similar decision: give its reference (case number)",
    )?;
    if !DECISION_KINDS.contains(&input.decision_kind.as_str()) {
        return Err(VaultError::invalid(
            format!(
                "`decision_kind`: `{}` is not a kind of decision",
                input.decision_kind
            ),
            format!("use one of: {}", DECISION_KINDS.join(", ")),
        ));
    }
    required(
        &input.decided_by,
        "decided_by",
        "name the court or authority that decided",
    )?;
    required(
        &input.legal_basis,
        "legal_basis",
        "name the law the disclosure rests on",
    )?;
    if let Some(hash) = &input.document_sha256
        && (hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()))
    {
        return Err(VaultError::invalid(
            "`document_sha256` is not a SHA-256 in hex",
            "give the 64 hex digits of `sha256sum` of the decision document, or leave it out",
        ));
    }
    // Kept as storage keeps it (whole microseconds), so the answer equals what is read back.
    let disclosed_at = skydd_storage::truncate_timestamp(input.disclosed_at.unwrap_or(now));
    if disclosed_at > now {
        return Err(VaultError::invalid(
            "`disclosed_at` is in the future",
            "record a disclosure when it is made",
        ));
    }
    let disclosed_on = jiff::tz::Offset::UTC.to_datetime(disclosed_at).date();
    if input.decided_on > disclosed_on {
        return Err(VaultError::invalid(
            format!(
                "`decided_on` ({}) is after the disclosure ({disclosed_on})",
                input.decided_on
            ),
            "a disclosure follows the decision that orders it",
        ));
    }
    Ok(disclosed_at)
}

impl Vault {
    /// Record a disclosure to an authority and return it as stored, after checking it against the register and deciding
    /// each subject and category for the disclosure's purpose. Nothing is stored unless all of it
    /// is allowed; each subject's audit trail then names the disclosure and its decision.
    pub async fn disclose(
        &self,
        actor: &Actor,
        input: DisclosureInput,
        now: Timestamp,
    ) -> Result<DisclosureRow, VaultError> {
        let disclosed_at = check_decision(&input, now)?;
        let (recipient, purpose) = self.authority_and_purpose(&input)?;
        if input.categories.is_empty() || input.subjects.is_empty() {
            return Err(VaultError::invalid(
                "`subjects` and `categories` are required",
                "name every subject and data category disclosed",
            ));
        }
        self.check_receivable(recipient, &purpose, &input.categories)?;
        self.decide_each_subject(actor, &purpose, &input, now)
            .await?;
        let row = DisclosureRow {
            id: HEXLOWER.encode(&random_bytes::<16>()?),
            at: disclosed_at,
            actor: actor.id.clone(),
            recipient: recipient.id.0.clone(),
            purpose: purpose.clone(),
            legal_basis: input.legal_basis.trim().to_string(),
            decision_kind: input.decision_kind,
            decision_reference: input.decision_reference.trim().to_string(),
            decided_by: input.decided_by.trim().to_string(),
            decided_on: input.decided_on.to_string(),
            document_sha256: input.document_sha256.map(|h| h.to_ascii_lowercase()),
            subjects: input.subjects,
            categories: input.categories,
        };
        self.storage.insert_disclosure(row.clone()).await?;
        self.audit_disclosure(actor, &row, now).await?;
        Ok(row)
    }

    /// The authority `input` names and the purpose it receives the data for: the one given, or
    /// the recipient's only purpose.
    fn authority_and_purpose(
        &self,
        input: &DisclosureInput,
    ) -> Result<(&Recipient, String), VaultError> {
        let register = self.register();
        let authorities = || {
            register
                .recipients
                .iter()
                .filter(|r| r.kind == RecipientKind::Authority)
                .map(|r| r.id.0.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let recipient = register
            .recipients
            .iter()
            .find(|r| r.id.0 == input.recipient && r.kind == RecipientKind::Authority)
            .ok_or_else(|| {
                VaultError::invalid(
                    format!(
                        "`recipient`: `{}` is not an authority of the register",
                        input.recipient
                    ),
                    format!(
                        "use one of the register's recipients of kind `authority`: {}",
                        authorities()
                    ),
                )
            })?;
        let purpose = match (&input.purpose, recipient.purposes.as_slice()) {
            (Some(purpose), purposes) if purposes.iter().any(|p| p.0 == *purpose) => {
                purpose.clone()
            }
            (None, [only]) => only.0.clone(),
            _ => {
                return Err(VaultError::invalid(
                    format!(
                        "`purpose` must be one the register gives recipient `{}`",
                        recipient.id.0
                    ),
                    format!(
                        "use one of: {}",
                        recipient
                            .purposes
                            .iter()
                            .map(|p| p.0.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ));
            }
        };
        Ok((recipient, purpose))
    }

    /// Whether the register lets `recipient` receive every one of `categories`: those it
    /// lists, or else those of `purpose`.
    fn check_receivable(
        &self,
        recipient: &Recipient,
        purpose: &str,
        categories: &[String],
    ) -> Result<(), VaultError> {
        let receivable: Vec<&str> = if recipient.categories.is_empty() {
            self.register()
                .purposes
                .iter()
                .filter(|p| p.id.0 == purpose)
                .flat_map(|p| p.data_categories())
                .map(|c| c.0.as_str())
                .collect()
        } else {
            recipient.categories.iter().map(|c| c.0.as_str()).collect()
        };
        for category in categories {
            if !receivable.contains(&category.as_str()) {
                return Err(VaultError::invalid(
                    format!(
                        "`categories`: the register does not let `{}` receive `{category}`",
                        recipient.id.0
                    ),
                    format!("it receives: {}", receivable.join(", ")),
                ));
            }
        }
        Ok(())
    }

    /// Decide every subject and category for `purpose`; the first denial refuses the whole
    /// disclosure.
    async fn decide_each_subject(
        &self,
        actor: &Actor,
        purpose: &str,
        input: &DisclosureInput,
        now: Timestamp,
    ) -> Result<(), VaultError> {
        let scopes = self.scope_facts(None, None).await?;
        for subject in &input.subjects {
            let row = self.subject_row(actor, subject).await?;
            let facts = self.subject_facts(&row).await?;
            for category in &input.categories {
                let request = DecisionRequest::new(purpose, category);
                if let Decision::Deny { code, explanation } = self
                    .enforced
                    .policy
                    .decide(&request, &facts, &scopes, None, now)
                {
                    return Err(VaultError::Denied {
                        code,
                        explanation: format!("subject {subject}: {explanation}"),
                    });
                }
            }
        }
        Ok(())
    }

    /// Note the disclosure in each subject's audit trail, naming the decision behind it.
    async fn audit_disclosure(
        &self,
        actor: &Actor,
        row: &DisclosureRow,
        now: Timestamp,
    ) -> Result<(), VaultError> {
        let detail = format!(
            "disclosure {} to {} on {} {} of {} ({}){}",
            row.id,
            row.recipient,
            row.decision_kind,
            row.decision_reference,
            row.decided_by,
            row.decided_on,
            row.document_sha256
                .as_deref()
                .map(|h| format!(", document sha256 {h}"))
                .unwrap_or_default()
        );
        for subject in &row.subjects {
            self.audit_with_detail(
                actor,
                now,
                "disclosure",
                Some(&row.purpose),
                Some(subject),
                row.categories.clone(),
                "disclosed",
                Some(detail.clone()),
            )
            .await?;
        }
        Ok(())
    }

    /// Every disclosure, oldest first.
    pub async fn disclosures(&self) -> Result<Vec<DisclosureRow>, VaultError> {
        Ok(self.storage.list_disclosures().await?)
    }

    /// The disclosures that included `subject` (checking the caller's tenant), oldest first.
    pub async fn disclosures_of_subject(
        &self,
        actor: &Actor,
        subject: &str,
    ) -> Result<Vec<DisclosureRow>, VaultError> {
        let row = self.subject_row(actor, subject).await?;
        Ok(self.storage.disclosures_of_subject(&row.id).await?)
    }
}
