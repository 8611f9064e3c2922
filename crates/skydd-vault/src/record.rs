//! Records of personal data: checked against the register, encrypted with the subject's data key,
//! and read back only under a purpose, each record decided on its own.

use std::collections::BTreeMap;

use jiff::Timestamp;
use skydd_crypto::{DataKey, random_bytes};
use skydd_decide::{Decision, DecisionRequest, DenyCode, RecordFacts};
use skydd_register::country::{Country, luhn_valid};
use skydd_register::model::{BuiltinEvent, Choice, DataCategory, FieldFormat, PurposeId};
use skydd_storage::{RecordRow, SubjectRow};
use skydd_subject::RecordId;

use crate::crypto::record_aad;
use crate::subject::parse_identity;
use crate::{Actor, Vault, VaultError};

/// A record to store.
#[derive(Debug, Clone)]
pub struct NewRecord {
    /// The data category (a register `data` id).
    pub category: String,
    /// Field values by field id; each field must be one of the category's.
    pub fields: serde_json::Map<String, serde_json::Value>,
    /// Where the data comes from (a register `sources` id the purpose lists).
    pub source: String,
    /// The purpose it is collected for.
    pub purpose: String,
    /// When it was collected (default: now).
    pub collected_at: Option<Timestamp>,
    /// Anchor events that already happened (`contract_end`, `invoice_paid` ...).
    pub anchors: BTreeMap<String, Timestamp>,
    /// The other sources (register ids the purpose lists) the record was combined from besides
    /// `source`: its lineage, shown in the access package (P000-45). Only a purpose with
    /// `combines_sources` may write one; empty for a record from one source.
    pub combined_from: Vec<String>,
}

/// A record as a purpose may see it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RecordView {
    /// The record's id: 32 lowercase hex digits.
    pub id: String,
    /// The register data category id it holds.
    pub category: String,
    /// The purpose it was collected for.
    pub collected_for: String,
    /// Where the data came from: a register `sources` id, as stored with the record.
    pub source: String,
    /// When it was collected.
    pub collected_at: Timestamp,
    /// Anchor events that happened.
    pub anchors: BTreeMap<String, Timestamp>,
    /// The field values by field id, decrypted.
    pub fields: serde_json::Map<String, serde_json::Value>,
}

/// A record a purpose may not see, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Withheld {
    /// The record's id: 32 lowercase hex digits.
    pub id: String,
    /// The register data category id it holds.
    pub category: String,
    /// The stable deny code.
    pub code: &'static str,
    /// Why, naming register ids only.
    pub explanation: String,
}

/// What a purpose read: the records it may use and those withheld.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RecordsRead {
    /// The register purpose id the records were read under, as the caller gave it.
    pub purpose: String,
    /// Records the purpose may use.
    pub records: Vec<RecordView>,
    /// Records withheld, with the reason.
    pub withheld: Vec<Withheld>,
}

/// A card number written into a payment-token field: 13 to 19 digits passing the Luhn check.
fn looks_like_card_number(value: &serde_json::Value) -> bool {
    let text = match value {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Number(n) => n.to_string(),
        _ => return false,
    };
    let digits: Vec<u8> = text
        .bytes()
        .filter(u8::is_ascii_digit)
        .map(|b| b - b'0')
        .collect();
    let only_digits = text
        .bytes()
        .all(|b| b.is_ascii_digit() || b == b' ' || b == b'-');
    only_digits && (13..=19).contains(&digits.len()) && luhn_valid(&digits)
}

impl Vault {
    /// Whether `event` is a built-in anchor event or one the register declares.
    fn is_event(&self, event: &str) -> bool {
        BuiltinEvent::ALL.iter().any(|(word, _)| *word == event)
            || self
                .register()
                .events
                .iter()
                .any(|e| e.id.as_str() == event)
    }

    pub(crate) fn check_record(&self, new: &NewRecord, now: Timestamp) -> Result<(), VaultError> {
        let register = self.register();
        let category = register
            .data
            .iter()
            .find(|c| c.id.as_str() == new.category)
            .ok_or_else(|| {
                VaultError::invalid(
                    format!("unknown data category `{}`", new.category),
                    "use a data category of the register",
                )
            })?;
        let purpose = register
            .purpose(&PurposeId(new.purpose.clone()))
            .ok_or_else(|| {
                VaultError::invalid(
                    format!("unknown purpose `{}`", new.purpose),
                    "use a purpose of the register",
                )
            })?;
        if !purpose.data_categories().any(|c| c == &category.id) {
            return Err(VaultError::invalid(
                format!(
                    "purpose `{}` does not process `{}`",
                    purpose.id, category.id
                ),
                "collect the data for a purpose whose legal_basis (or categories) lists it",
            ));
        }
        if never_stored(register, &category.id, &purpose.id) {
            return Err(VaultError::invalid(
                format!(
                    "`{}` is never stored for `{}`: the register keeps it 0 days after collection",
                    category.id, purpose.id
                ),
                "use the data and let it go without sending it to Skydd; a record of it would be deleted at once (P002-19)",
            ));
        }
        if !register.sources.iter().any(|s| s.id.as_str() == new.source) {
            return Err(VaultError::invalid(
                format!("unknown source `{}`", new.source),
                "use a source of the register",
            ));
        }
        if !purpose.sources.iter().any(|s| s.as_str() == new.source) {
            return Err(VaultError::invalid(
                format!(
                    "purpose `{}` does not collect from source `{}`",
                    purpose.id, new.source
                ),
                "use one of the purpose's sources, or add the source to it in the register",
            ));
        }
        for other in &new.combined_from {
            if *other == new.source
                || !purpose.sources.iter().any(|s| s.as_str() == other)
                || new.combined_from.iter().filter(|o| *o == other).count() > 1
            {
                return Err(VaultError::invalid(
                    format!(
                        "`combined_from`: `{other}` is not another source of purpose `{}`",
                        purpose.id
                    ),
                    "name each other source the record was combined from once, from the purpose's sources",
                ));
            }
        }
        if !new.combined_from.is_empty() && !purpose.combines_sources {
            return Err(VaultError::Denied {
                code: DenyCode::SourcesNotCombined,
                explanation: format!(
                    "purpose `{}` does not combine data from several sources into one record",
                    purpose.id
                ),
            });
        }
        if new.fields.is_empty() {
            return Err(VaultError::invalid(
                "a record needs at least one field",
                "send the fields the record holds",
            ));
        }
        for (name, value) in &new.fields {
            check_field(category, new, name, value, now)?;
        }
        for event in new.anchors.keys() {
            if !self.is_event(event) {
                return Err(VaultError::invalid(
                    format!("unknown anchor event `{event}`"),
                    "use a built-in event or one declared under `events`",
                ));
            }
        }
        Ok(())
    }

    /// Store a record for `subject`. The collection itself is decided: the purpose must be
    /// allowed to use the category of this subject now (consent given, no objection, no
    /// restriction ...).
    pub async fn add_record(
        &self,
        actor: &Actor,
        subject: &str,
        new: NewRecord,
        now: Timestamp,
    ) -> Result<RecordId, VaultError> {
        self.check_record(&new, now)?;
        // The key is read with the subject (one statement) and opened only once allowed.
        let (row, stored_key) = self.subject_row_and_key(actor, subject).await?;
        if let Some((code, explanation)) = self.collection_denied(&row, &new, now).await? {
            self.audit(
                actor,
                now,
                "record.create",
                Some(&new.purpose),
                Some(subject),
                vec![new.category.clone()],
                &format!("denied:{}", code.as_str()),
            )
            .await?;
            return Err(VaultError::Denied { code, explanation });
        }
        let key = self.unwrap_data_key(stored_key)?;
        let mentions = self.mentions_in(&new.category, &new.fields, now);
        let (id, record) = record_row(&key, subject, &new, mentions, now)?;
        self.storage.insert_record(record).await?;
        self.audit(
            actor,
            now,
            "record.create",
            Some(&new.purpose),
            Some(subject),
            vec![new.category],
            "done",
        )
        .await?;
        Ok(id)
    }

    /// Why collecting `new` (already checked) of `subject` now is refused, if it is: the
    /// purpose must be allowed to use the category of this subject at `now`.
    pub(crate) async fn collection_denied(
        &self,
        subject: &SubjectRow,
        new: &NewRecord,
        now: Timestamp,
    ) -> Result<Option<(DenyCode, String)>, VaultError> {
        let facts = self.subject_facts(subject).await?;
        let scopes = self.scope_facts(None, None).await?;
        let request = DecisionRequest::new(&new.purpose, &new.category);
        Ok(
            match self
                .enforced
                .policy
                .decide(&request, &facts, &scopes, None, now)
            {
                Decision::Deny { code, explanation } => Some((code, explanation)),
                Decision::Allow { .. } => None,
            },
        )
    }

    /// The records of `subject` that `purpose` may use now, decrypted, and those withheld with
    /// the reason. One audit event names the categories read.
    pub async fn read_records(
        &self,
        actor: &Actor,
        subject: &str,
        purpose: &str,
        now: Timestamp,
    ) -> Result<RecordsRead, VaultError> {
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
        let row = self.subject_row(actor, subject).await?;
        let facts = self.subject_facts(&row).await?;
        let scopes = self.scope_facts(None, None).await?;
        let stored = self.storage.records_of_subject(subject).await?;
        let key = if stored.is_empty() {
            None
        } else {
            Some(self.data_key(subject).await?)
        };

        let mut read = RecordsRead {
            purpose: purpose.to_string(),
            records: Vec::new(),
            withheld: Vec::new(),
        };
        for record in stored {
            let mut record_facts = RecordFacts::new(&record.category, record.collected_at);
            record_facts.anchors = record.anchors.iter().cloned().collect();
            record_facts.purpose_of_collection = Some(PurposeId(record.purpose.clone()));
            let request = DecisionRequest::new(purpose, &record.category);
            match self
                .enforced
                .policy
                .decide(&request, &facts, &scopes, Some(&record_facts), now)
            {
                Decision::Deny { code, explanation } => {
                    read.withheld.push(Withheld {
                        id: record.id,
                        category: record.category,
                        code: code.as_str(),
                        explanation,
                    });
                }
                Decision::Allow { .. } => {
                    let Some(key) = &key else { continue };
                    read.records
                        .push(open_record(key, subject, record, record_facts.anchors)?);
                }
            }
        }
        let mut categories: Vec<String> = read.records.iter().map(|r| r.category.clone()).collect();
        categories.sort();
        categories.dedup();
        let outcome = if read.withheld.is_empty() {
            "allowed"
        } else {
            "partly_withheld"
        };
        self.audit(
            actor,
            now,
            "records.read",
            Some(purpose),
            Some(subject),
            categories,
            outcome,
        )
        .await?;
        Ok(read)
    }

    /// Record that anchor `event` of `record` happened at `at` (a contract ended, an invoice was
    /// paid): retention clocks start from it.
    pub async fn set_anchor(
        &self,
        actor: &Actor,
        subject: &str,
        record: &str,
        event: &str,
        at: Timestamp,
        now: Timestamp,
    ) -> Result<(), VaultError> {
        let _ = self.subject_row(actor, subject).await?;
        let records = self.storage.records_of_subject(subject).await?;
        let Some(found) = records.iter().find(|r| r.id == record) else {
            return Err(VaultError::invalid(
                "no such record of this subject",
                "use a record id the subject's records list",
            ));
        };
        if !self.is_event(event) {
            return Err(VaultError::invalid(
                format!("unknown anchor event `{event}`"),
                "use a built-in event or one declared under `events`",
            ));
        }
        self.storage.set_record_anchor(record, event, at).await?;
        self.audit(
            actor,
            now,
            "record.anchor",
            None,
            Some(subject),
            vec![found.category.clone()],
            "done",
        )
        .await
    }
}

/// Whether `category` collected for `purpose` is never stored: every retention rule that governs
/// it (those narrowed to the purpose, else the category's general ones) keeps it 0 units after
/// `collected_at` ("some data is deleted immediately", P002-19).
fn never_stored(
    register: &skydd_register::Register,
    category: &skydd_register::model::CategoryId,
    purpose: &PurposeId,
) -> bool {
    let narrowed: Vec<_> = register
        .retention
        .iter()
        .filter(|r| &r.category == category && r.purposes.contains(purpose))
        .collect();
    let rules = if narrowed.is_empty() {
        register
            .retention
            .iter()
            .filter(|r| &r.category == category && r.purposes.is_empty())
            .collect()
    } else {
        narrowed
    };
    !rules.is_empty()
        && rules.iter().all(|r| {
            r.criteria.is_none()
                && r.clock.period.amount == 0
                && matches!(&r.clock.anchor, skydd_register::model::Anchor::After(e) if e.as_str() == "collected_at")
        })
}

/// A stored record decrypted for a purpose allowed to read it.
fn open_record(
    key: &skydd_crypto::DataKey,
    subject: &str,
    record: RecordRow,
    anchors: BTreeMap<String, Timestamp>,
) -> Result<RecordView, VaultError> {
    let plaintext = key.open(
        &record.ciphertext,
        &record_aad(subject, &record.id, &record.category),
    )?;
    let fields = serde_json::from_slice(&plaintext)
        .map_err(|_| VaultError::Corrupt("a record's fields".into()))?;
    Ok(RecordView {
        id: record.id,
        category: record.category,
        collected_for: record.purpose,
        source: record.source,
        collected_at: record.collected_at,
        anchors,
        fields,
    })
}

/// The stored row of `new` (checked, its collection allowed) for `subject`: a new random id,
/// the fields sealed with the subject's data key `key`, with the identities its free text
/// `mentions` ([`Vault::mentions_in`]). The one way a record row is made ([`Vault::add_record`],
/// imports). `collected_at` in the future is refused.
pub(crate) fn record_row(
    key: &DataKey,
    subject: &str,
    new: &NewRecord,
    mentions: Vec<skydd_storage::MentionRow>,
    now: Timestamp,
) -> Result<(RecordId, RecordRow), VaultError> {
    let collected_at = new.collected_at.unwrap_or(now);
    if collected_at > now {
        return Err(VaultError::invalid(
            "`collected_at` is in the future",
            "give the time the data was collected, or leave it out",
        ));
    }
    let id = RecordId::from_bytes(random_bytes::<16>()?);
    let record = id.to_string();
    let plaintext =
        serde_json::to_vec(&new.fields).map_err(|e| VaultError::Corrupt(e.to_string()))?;
    let ciphertext = key.seal(&plaintext, &record_aad(subject, &record, &new.category))?;
    let row = RecordRow {
        id: record,
        subject_id: subject.to_string(),
        category: new.category.clone(),
        purpose: new.purpose.clone(),
        source: new.source.clone(),
        collected_at,
        anchors: new.anchors.clone().into_iter().collect(),
        ciphertext,
        mentions,
        combined_from: new.combined_from.clone(),
    };
    Ok((id, row))
}

/// Check one field of a new record of `category`: a field of the category, a plain value, a
/// valid identity for identity formats, a country the field may be kept for, and never a card
/// number where a payment token belongs. Errors name the field, never its value.
fn check_field(
    category: &DataCategory,
    new: &NewRecord,
    name: &str,
    value: &serde_json::Value,
    now: Timestamp,
) -> Result<(), VaultError> {
    let Some(field) = category.fields.iter().find(|f| f.id.as_str() == name) else {
        return Err(VaultError::invalid(
            format!("`{name}` is not a field of `{}`", category.id),
            format!(
                "fields of `{}`: {}",
                category.id,
                category
                    .fields
                    .iter()
                    .map(|f| f.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    };
    if matches!(
        value,
        serde_json::Value::Object(_) | serde_json::Value::Array(_)
    ) {
        return Err(VaultError::invalid(
            format!("field `{name}` holds a list or an object"),
            "send a string, a number, a boolean or null",
        ));
    }
    // Values of identity formats are checked like identities (the error never quotes them).
    let identity_kind = match field.format {
        FieldFormat::Email => Some("email"),
        FieldFormat::Phone => Some("phone"),
        FieldFormat::Personnummer => Some("personnummer"),
        _ => None,
    };
    if let (Some(kind), serde_json::Value::String(text)) = (identity_kind, value)
        && let Err(error) = parse_identity(kind, text, now)
    {
        return Err(VaultError::invalid(
            format!("field `{name}`: {error}"),
            "correct the value and send it again",
        ));
    }
    // P001-09: "Personal Number (Swedish customers only)".
    if !field.only_for_countries.is_empty() {
        let country = new
            .fields
            .get("country")
            .and_then(|v| v.as_str())
            .and_then(|c| Country::parse(c).ok());
        if !country.is_some_and(|c| field.only_for_countries.contains(&c)) {
            let allowed: Vec<&str> = field.only_for_countries.iter().map(|c| c.code()).collect();
            return Err(VaultError::invalid(
                format!(
                    "`{name}` is kept only for subjects in {}",
                    allowed.join(", ")
                ),
                "give the subject's `country` (ISO code) in the record; the field may not be stored for other countries",
            ));
        }
    }
    // P000-25: "tokenized credit card details" - a card number is refused.
    if field.format == FieldFormat::PaymentToken && looks_like_card_number(value) {
        return Err(VaultError::invalid(
            format!("field `{name}` holds what looks like a card number"),
            "store the payment provider's token, never the card number",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn card_numbers_are_recognised() {
        assert!(looks_like_card_number(&serde_json::json!(
            "4111 1111 1111 1111"
        )));
        assert!(looks_like_card_number(&serde_json::json!(
            "4111-1111-1111-1111"
        )));
        assert!(!looks_like_card_number(&serde_json::json!(
            "tok_4111111111111111"
        )));
        assert!(!looks_like_card_number(&serde_json::json!(
            "4111 1111 1111 1112"
        )));
    }
}
