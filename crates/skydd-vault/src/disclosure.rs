//! Disclosures of personal data to the register's recipients: an authority only on a decision
//! (a court decision or an order, P000-50) unless the register says `requires_decision: false`
//! (a disclosure required by law, P003-17), and always with the law it rests on; a group company, a credit agency, a buyer of the
//! business or event attendees only for a purpose the register gives them and only of what
//! they receive; and for each subject only what a decision for the purpose allows. Each one is
//! audited per subject, with the decision behind it when there is one (P000-51), and listed in
//! the subject's access package (Art. 15(1)(c)).

use data_encoding::HEXLOWER;
use jiff::Timestamp;
use jiff::civil::Date;
use skydd_crypto::random_bytes;
use skydd_decide::{Decision, DecisionRequest, DenyCode};
use skydd_register::model::{Choice, Recipient, RecipientKind};
use skydd_storage::{DisclosureDecision, DisclosureRow};

use crate::{Actor, Vault, VaultError};

/// The kinds of decision a disclosure may rest on.
pub const DECISION_KINDS: [&str; 2] = ["court_decision", "order"];

/// A disclosure to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisclosureInput {
    /// The register's recipient id.
    pub recipient: String,
    /// The register's purpose; may be left out when the recipient has exactly one.
    pub purpose: Option<String>,
    /// What the disclosure rests on. Required for an authority: the law. Otherwise optional:
    /// left out, the legal bases the decisions found are recorded (`contract`, ...).
    pub legal_basis: Option<String>,
    /// The decision ordering it: required for an authority, optional otherwise.
    pub decision: Option<DisclosureOrder>,
    /// The subjects whose data is disclosed.
    pub subjects: Vec<String>,
    /// The register's data categories disclosed.
    pub categories: Vec<String>,
    /// When the data was (or is) disclosed; `now` when left out.
    pub disclosed_at: Option<Timestamp>,
    /// Only these fields (ids of fields of the disclosed categories) go out: "disclose
    /// necessary personal data" (P003-18). Empty: every field of the disclosed categories.
    pub fields: Vec<String>,
    /// Whether to hand back the data disclosed (the values, decrypted, minimised to the
    /// categories and `fields`), to send to the recipient.
    pub export: bool,
}

/// A recorded disclosure and, when asked for, the data it hands out.
#[derive(Debug, Clone, PartialEq)]
pub struct Disclosure {
    /// The disclosure as stored.
    pub row: DisclosureRow,
    /// Per subject, the data disclosed; `None` unless `export` was asked for.
    pub export: Option<Vec<DisclosedSubject>>,
}

/// The data of one subject that a disclosure hands out: only the disclosed categories, only
/// the fields asked for, only records a decision for the disclosure's purpose allows.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct DisclosedSubject {
    /// The subject's id.
    pub subject: String,
    /// The records, each with the fields that go out.
    pub records: Vec<DisclosedRecord>,
}

/// One record as disclosed.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct DisclosedRecord {
    /// The record's id.
    pub id: String,
    /// Its data category.
    pub category: String,
    /// The fields that go out, decrypted.
    pub fields: serde_json::Map<String, serde_json::Value>,
}

/// The court decision or order a disclosure rests on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisclosureOrder {
    /// `court_decision` or `order`.
    pub kind: String,
    /// The decision's reference (case number). Required.
    pub reference: String,
    /// The court or authority that decided.
    pub decided_by: String,
    /// The date of the decision.
    pub decided_on: Date,
    /// SHA-256 (hex) of the decision document, if there is one.
    pub document_sha256: Option<String>,
}

fn required(value: &str, field: &str, help: &str) -> Result<(), VaultError> {
    if value.trim().is_empty() {
        Err(VaultError::invalid(format!("`{field}` is required"), help))
    } else {
        Ok(())
    }
}

/// The help every refusal for a missing decision gives.
const DECISION_NEEDED: &str = "give `decision` with `kind` (court_decision or order), `reference`, \
    `decided_by` and `decided_on`; the register lets this recipient have data only on a court \
    decision or a similar decision";

/// Check the decision a disclosure rests on, before the register is consulted: a reference, a
/// known kind, who decided, a well-formed document hash, and a decision no later than the
/// disclosure on `disclosed_on`. Returns it as stored.
fn check_decision(
    order: DisclosureOrder,
    disclosed_on: Date,
) -> Result<DisclosureDecision, VaultError> {
    required(&order.reference, "decision.reference", DECISION_NEEDED)?;
    if !DECISION_KINDS.contains(&order.kind.as_str()) {
        return Err(VaultError::invalid(
            format!(
                "`decision.kind`: `{}` is not a kind of decision",
                order.kind
            ),
            format!("use one of: {}", DECISION_KINDS.join(", ")),
        ));
    }
    required(
        &order.decided_by,
        "decision.decided_by",
        "name the court or authority that decided",
    )?;
    if let Some(hash) = &order.document_sha256
        && (hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()))
    {
        return Err(VaultError::invalid(
            "`decision.document_sha256` is not a SHA-256 in hex",
            "give the 64 hex digits of `sha256sum` of the decision document, or leave it out",
        ));
    }
    if order.decided_on > disclosed_on {
        return Err(VaultError::invalid(
            format!(
                "`decision.decided_on` ({}) is after the disclosure ({disclosed_on})",
                order.decided_on
            ),
            "a disclosure follows the decision that orders it",
        ));
    }
    Ok(DisclosureDecision {
        kind: order.kind,
        reference: order.reference.trim().to_string(),
        decided_by: order.decided_by.trim().to_string(),
        decided_on: order.decided_on.to_string(),
        document_sha256: order.document_sha256.map(|h| h.to_ascii_lowercase()),
    })
}

/// When a disclosure is made: `disclosed_at`, or `now`, kept as storage keeps it (whole
/// microseconds, so the answer equals what is read back), and never in the future.
fn disclosure_time(
    disclosed_at: Option<Timestamp>,
    now: Timestamp,
) -> Result<Timestamp, VaultError> {
    let at = skydd_storage::truncate_timestamp(disclosed_at.unwrap_or(now));
    if at > now {
        return Err(VaultError::invalid(
            "`disclosed_at` is in the future",
            "record a disclosure when it is made",
        ));
    }
    Ok(at)
}

/// Refuse with `code` (403: the register does not allow it).
fn denied(code: DenyCode, explanation: String) -> VaultError {
    VaultError::Denied { code, explanation }
}

impl Vault {
    /// Record a disclosure to a recipient of the register and return it as stored. Refused
    /// (422) when an authority gets no decision, an id is not in the register, or a subject or
    /// category is missing; denied (403) when the register does not give the recipient the
    /// purpose or the category, or a decision for the purpose denies a subject's category.
    /// Nothing is stored unless all of it is allowed; each subject's audit trail then names
    /// the disclosure, and the decision behind it when there is one.
    pub async fn disclose(
        &self,
        actor: &Actor,
        input: DisclosureInput,
        now: Timestamp,
    ) -> Result<Disclosure, VaultError> {
        let disclosed_at = disclosure_time(input.disclosed_at, now)?;
        let recipient = self.recipient(&input.recipient)?;
        let authority = recipient.kind == RecipientKind::Authority;
        let decision = match input.decision {
            Some(order) => Some(check_decision(
                order,
                jiff::tz::Offset::UTC.to_datetime(disclosed_at).date(),
            )?),
            None if recipient.disclosure_needs_decision() => {
                return Err(VaultError::invalid(
                    format!(
                        "a disclosure to `{}` needs the decision that orders it",
                        recipient.id.0
                    ),
                    DECISION_NEEDED,
                ));
            }
            None => None,
        };
        let law = input
            .legal_basis
            .as_deref()
            .map(str::trim)
            .filter(|law| !law.is_empty());
        if authority && law.is_none() {
            return Err(VaultError::invalid(
                "`legal_basis` is required for a disclosure to an authority",
                "name the law the disclosure rests on",
            ));
        }
        if input.categories.is_empty() || input.subjects.is_empty() {
            return Err(VaultError::invalid(
                "`subjects` and `categories` are required",
                "name every subject and data category disclosed",
            ));
        }
        let purpose = self.disclosure_purpose(recipient, input.purpose.as_deref())?;
        self.check_receivable(recipient, &purpose, &input.categories)?;
        self.check_fields(&input.categories, &input.fields)?;
        let bases = self
            .decide_each_subject(actor, &purpose, &input.subjects, &input.categories, now)
            .await?;
        // The data is read before the disclosure is recorded: a failed read records nothing,
        // and a recorded disclosure was handed out whole.
        let export = if input.export {
            let mut export = Vec::with_capacity(input.subjects.len());
            for subject in &input.subjects {
                export.push(
                    self.disclosed_data(
                        actor,
                        subject,
                        &purpose,
                        &input.categories,
                        &input.fields,
                        now,
                    )
                    .await?,
                );
            }
            Some(export)
        } else {
            None
        };
        let row = DisclosureRow {
            id: HEXLOWER.encode(&random_bytes::<16>()?),
            at: disclosed_at,
            actor: actor.id.clone(),
            recipient: recipient.id.0.clone(),
            purpose,
            legal_basis: law.map_or(bases, str::to_string),
            decision,
            subjects: input.subjects,
            categories: input.categories,
        };
        self.storage.insert_disclosure(row.clone()).await?;
        self.audit_disclosure(actor, &row, &input.fields, now)
            .await?;
        Ok(Disclosure { row, export })
    }

    /// Refuse `fields` that are not fields of the disclosed `categories`, naming the first and
    /// the fields there are.
    fn check_fields(&self, categories: &[String], fields: &[String]) -> Result<(), VaultError> {
        let register = self.register();
        let known: Vec<&str> = register
            .data
            .iter()
            .filter(|c| categories.iter().any(|id| id == c.id.as_str()))
            .flat_map(|c| &c.fields)
            .map(|f| f.id.as_str())
            .collect();
        match fields.iter().find(|f| !known.contains(&f.as_str())) {
            None => Ok(()),
            Some(field) => Err(VaultError::invalid(
                format!("`fields`: `{field}` is not a field of the disclosed categories"),
                format!(
                    "name fields of {}: {}",
                    categories.join(", "),
                    known.join(", ")
                ),
            )),
        }
    }

    /// What a disclosure hands out of `subject`'s data: the records a decision for `purpose`
    /// allows (read and audited as any read under a purpose), of the disclosed `categories`
    /// only, with only `fields` (all when empty).
    async fn disclosed_data(
        &self,
        actor: &Actor,
        subject: &str,
        purpose: &str,
        categories: &[String],
        fields: &[String],
        now: Timestamp,
    ) -> Result<DisclosedSubject, VaultError> {
        let read = self.read_records(actor, subject, purpose, now).await?;
        let records = read
            .records
            .into_iter()
            .filter(|r| categories.contains(&r.category))
            .map(|r| DisclosedRecord {
                fields: r
                    .fields
                    .into_iter()
                    .filter(|(id, _)| fields.is_empty() || fields.contains(id))
                    .collect(),
                id: r.id,
                category: r.category,
            })
            .collect();
        Ok(DisclosedSubject {
            subject: subject.to_owned(),
            records,
        })
    }

    /// The register's recipient `id`.
    fn recipient(&self, id: &str) -> Result<&Recipient, VaultError> {
        let register = self.register();
        register
            .recipients
            .iter()
            .find(|r| r.id.0 == id)
            .ok_or_else(|| {
                VaultError::invalid(
                    format!("`recipient`: `{id}` is not a recipient of the register"),
                    format!(
                        "use one of the register's recipients: {}",
                        register
                            .recipients
                            .iter()
                            .map(|r| r.id.0.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
            })
    }

    /// The purpose `recipient` receives the data for: `purpose` when the register gives it
    /// the recipient, or the recipient's only purpose when none is named.
    fn disclosure_purpose(
        &self,
        recipient: &Recipient,
        purpose: Option<&str>,
    ) -> Result<String, VaultError> {
        let its = || {
            recipient
                .purposes
                .iter()
                .map(|p| p.0.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        match (purpose, recipient.purposes.as_slice()) {
            (None, [only]) => Ok(only.0.clone()),
            (None, _) => Err(VaultError::invalid(
                format!(
                    "`purpose` is required: recipient `{}` receives data for several purposes",
                    recipient.id.0
                ),
                format!("name one of: {}", its()),
            )),
            (Some(purpose), purposes) if purposes.iter().any(|p| p.0 == purpose) => {
                Ok(purpose.to_string())
            }
            (Some(purpose), _) if !self.register().purposes.iter().any(|p| p.id.0 == purpose) => {
                Err(VaultError::invalid(
                    format!("`purpose`: `{purpose}` is not a purpose of the register"),
                    format!(
                        "recipient `{}` receives data for: {}",
                        recipient.id.0,
                        its()
                    ),
                ))
            }
            (Some(purpose), _) => Err(denied(
                DenyCode::RecipientNotForPurpose,
                format!(
                    "the register does not give recipient `{}` purpose `{purpose}`; it receives \
                     data for: {}",
                    recipient.id.0,
                    its()
                ),
            )),
        }
    }

    /// Whether the register lets `recipient` receive every one of `categories`: those it
    /// lists, or else those of `purpose`.
    fn check_receivable(
        &self,
        recipient: &Recipient,
        purpose: &str,
        categories: &[String],
    ) -> Result<(), VaultError> {
        let register = self.register();
        let receivable: Vec<&str> = if recipient.categories.is_empty() {
            register
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
            if !register.data.iter().any(|c| c.id.0 == *category) {
                return Err(VaultError::invalid(
                    format!("`categories`: `{category}` is not a data category of the register"),
                    format!(
                        "recipient `{}` receives: {}",
                        recipient.id.0,
                        receivable.join(", ")
                    ),
                ));
            }
            if !receivable.contains(&category.as_str()) {
                return Err(denied(
                    DenyCode::RecipientNotForCategory,
                    format!(
                        "the register does not let recipient `{}` receive `{category}`; it \
                         receives: {}",
                        recipient.id.0,
                        receivable.join(", ")
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Decide every subject and category for `purpose`; the first denial refuses the whole
    /// disclosure. Returns the legal bases the decisions rested on, as words, sorted, joined
    /// by `, ` (`processor_instructions` for a processor activity, which has none of its
    /// own).
    async fn decide_each_subject(
        &self,
        actor: &Actor,
        purpose: &str,
        subjects: &[String],
        categories: &[String],
        now: Timestamp,
    ) -> Result<String, VaultError> {
        let scopes = self.scope_facts(None, None).await?;
        let mut bases = std::collections::BTreeSet::new();
        for subject in subjects {
            let row = self.subject_row(actor, subject).await?;
            let facts = self.subject_facts(&row).await?;
            for category in categories {
                let request = DecisionRequest::new(purpose, category);
                match self
                    .enforced
                    .policy
                    .decide(&request, &facts, &scopes, None, now)
                {
                    Decision::Deny { code, explanation } => {
                        return Err(denied(code, format!("subject {subject}: {explanation}")));
                    }
                    Decision::Allow { legal_basis, .. } => {
                        bases.insert(legal_basis.map_or("processor_instructions", |b| b.word()));
                    }
                }
            }
        }
        Ok(bases.into_iter().collect::<Vec<_>>().join(", "))
    }

    /// Note the disclosure in each subject's audit trail, naming the recipient and the
    /// decision behind it, or the legal bases when there is none.
    async fn audit_disclosure(
        &self,
        actor: &Actor,
        row: &DisclosureRow,
        fields: &[String],
        now: Timestamp,
    ) -> Result<(), VaultError> {
        let mut detail = match &row.decision {
            Some(decision) => format!(
                "disclosure {} to {} on {} {} of {} ({}){}",
                row.id,
                row.recipient,
                decision.kind,
                decision.reference,
                decision.decided_by,
                decision.decided_on,
                decision
                    .document_sha256
                    .as_deref()
                    .map(|h| format!(", document sha256 {h}"))
                    .unwrap_or_default()
            ),
            None => format!(
                "disclosure {} to {} on {}",
                row.id, row.recipient, row.legal_basis
            ),
        };
        if !fields.is_empty() {
            // Register field ids (checked against the register before this).
            detail.push_str(&format!(" fields:{}", fields.join(",")));
        }
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
