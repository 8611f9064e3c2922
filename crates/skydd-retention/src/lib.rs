//! Retention as a pure model: where each record stands in its schedule, what a sweep would do
//! (a [`Plan`]), what anonymising keeps, and the proof a sweep writes to the audit trail.
//!
//! No I/O and no clock: `now` is a parameter. The schedule of one record comes from
//! [`Policy::retention_status`] (`skydd-decide`), the same computation that withholds expired
//! records from use, so a record is deleted exactly when it stops being usable:
//!
//! - **Kept** until the earliest expiry among the rules that govern it (anchor event + period,
//!   rounded to month or year end when the rule says so: Bokföringslagen's "end of the seventh
//!   year after the calendar year the financial year ended" is `keep: 7 years`,
//!   `round_up_to: end_of_year` after `financial_year_end`).
//! - **Pending** while its anchor event has not happened (contract running, invoice unpaid):
//!   kept and counted.
//! - **Held** past expiry by a legal hold whose anchor it carries, until the hold ends.
//! - **Expired**: deleted (crypto-shred and row delete) or anonymised, as the rule says.
//! - **Ungoverned**: no rule of the register applies (its purpose or category was removed from
//!   the register): never deleted silently, never kept silently, reported in every plan.

use std::collections::BTreeMap;

use jiff::Timestamp;
use jiff::tz::Offset;
use serde::Serialize;
use skydd_decide::{Policy, RecordFacts, RetentionStatus};
use skydd_register::Register;
use skydd_register::model::{CategoryId, FieldFormat, RetentionAction};

pub use skydd_decide::RetentionStatus as Status;

/// The state a plan line counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LineState {
    /// Expired, to be deleted.
    Delete,
    /// Expired, to be anonymised.
    Anonymise,
    /// Expired but kept by a legal hold.
    Held,
    /// Waiting for its anchor event.
    Pending,
    /// Within its retention period.
    Kept,
    /// Kept by criteria and due for a person's review; nothing is deleted.
    Review,
    /// No retention rule applies: needs a person.
    Ungoverned,
}

impl LineState {
    /// The stable word, as plans and reports print it (`delete`, `held`, `ungoverned` ...).
    pub fn word(self) -> &'static str {
        match self {
            LineState::Delete => "delete",
            LineState::Anonymise => "anonymise",
            LineState::Held => "held",
            LineState::Pending => "pending",
            LineState::Kept => "kept",
            LineState::Review => "review",
            LineState::Ungoverned => "ungoverned",
        }
    }
}

/// One line of a plan: how many records of a category are in a state under a rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlanLine {
    /// Where the records stand: to delete or anonymise, held, pending, kept or ungoverned.
    pub state: LineState,
    /// The retention rule (for ungoverned records: the purpose they were collected for).
    pub rule: String,
    /// The data category id (`data[].id`).
    pub category: String,
    /// The hold keeping them, or the event they wait for.
    pub note: Option<String>,
    /// How many records.
    pub count: u64,
}

/// What a sweep at one moment would do, counted per state, rule and category.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    counts: BTreeMap<(LineState, String, String, Option<String>), u64>,
}

impl Plan {
    /// Count one record of `category`, collected for `purpose`, in `status`.
    pub fn add(&mut self, category: &str, purpose: &str, status: &RetentionStatus<'_>) {
        let (state, rule, note) = match status {
            RetentionStatus::Expired { rule, action, .. } => (state_of(*action), *rule, None),
            RetentionStatus::Held { rule, hold, .. } => (LineState::Held, *rule, Some(*hold)),
            RetentionStatus::Pending { rule, anchor } => (LineState::Pending, *rule, Some(*anchor)),
            RetentionStatus::Kept { rule, .. } => (LineState::Kept, *rule, None),
            RetentionStatus::DueForReview { rule, .. } => (LineState::Review, *rule, None),
            RetentionStatus::Ungoverned => (LineState::Ungoverned, purpose, None),
        };
        *self
            .counts
            .entry((
                state,
                rule.to_owned(),
                category.to_owned(),
                note.map(str::to_owned),
            ))
            .or_default() += 1;
    }

    /// The lines, by state (delete first), rule, category.
    pub fn lines(&self) -> Vec<PlanLine> {
        self.counts
            .iter()
            .map(|((state, rule, category, note), count)| PlanLine {
                state: *state,
                rule: rule.clone(),
                category: category.clone(),
                note: note.clone(),
                count: *count,
            })
            .collect()
    }

    /// How many records are in `state`.
    pub fn total(&self, state: LineState) -> u64 {
        self.counts
            .iter()
            .filter(|((s, ..), _)| *s == state)
            .map(|(_, count)| count)
            .sum()
    }

    /// The plan as a table for people.
    pub fn table(&self) -> String {
        let mut out = format!(
            "{:<11} {:<28} {:<28} {:>10}  {}\n",
            "STATE", "RULE", "CATEGORY", "RECORDS", "NOTE"
        );
        for line in self.lines() {
            out.push_str(&format!(
                "{:<11} {:<28} {:<28} {:>10}  {}\n",
                line.state.word(),
                line.rule,
                line.category,
                line.count,
                line.note.as_deref().unwrap_or("")
            ));
        }
        out
    }
}

/// The plan state of an expired record under `action`.
pub fn state_of(action: RetentionAction) -> LineState {
    match action {
        RetentionAction::Delete => LineState::Delete,
        RetentionAction::Anonymise => LineState::Anonymise,
        RetentionAction::Review => LineState::Review,
    }
}

/// The retention status of one record (its category, anchors, the purpose it was collected
/// for) at `now`.
pub fn status_of<'p>(
    policy: &'p Policy,
    purpose: &str,
    record: &RecordFacts,
    now: Timestamp,
) -> RetentionStatus<'p> {
    policy.retention_status(purpose, record, now)
}

/// Field formats that identify a person on their own (a page URL does not): never kept by anonymisation, even when a
/// register marks such a field `statistical`.
fn identifies(format: FieldFormat) -> bool {
    matches!(
        format,
        FieldFormat::Email
            | FieldFormat::Phone
            | FieldFormat::Personnummer
            | FieldFormat::OrganisationNumber
            | FieldFormat::PostalAddress
            | FieldFormat::IpAddress
            | FieldFormat::PaymentToken
            | FieldFormat::File
    )
}

/// The fields of `category` that anonymisation keeps: marked `statistical`, not of a format
/// that identifies someone, not secret. A `free_text` field marked `statistical` is kept with
/// every finding of `skydd-pii` replaced by its kind (see [`anonymise`]).
pub fn statistical_fields(register: &Register, category: &str) -> Vec<String> {
    register
        .category(&CategoryId(category.to_owned()))
        .map(|c| {
            c.fields
                .iter()
                .filter(|f| f.statistical && !f.secret && !identifies(f.format))
                .map(|f| f.id.as_str().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// Keep only the `statistical` fields of a record of `category`'s decrypted `fields`. The text
/// of a `free_text` field kept has every personal datum `skydd-pii` finds replaced by its kind
/// (`[personnummer]`, `[email]` ...; issue 21), so a statistical copy of a support ticket keeps
/// what it was about and no one it was about; `reference` is the day a personnummer's century
/// is read against.
pub fn anonymise(
    register: &Register,
    category: &str,
    fields: &serde_json::Map<String, serde_json::Value>,
    statistical: &[String],
    reference: jiff::civil::Date,
) -> serde_json::Map<String, serde_json::Value> {
    let free_text: Vec<&str> = register
        .category(&CategoryId(category.to_owned()))
        .map(|c| {
            c.fields
                .iter()
                .filter(|f| f.format == FieldFormat::FreeText)
                .map(|f| f.id.as_str())
                .collect()
        })
        .unwrap_or_default();
    let context = skydd_pii::Context::new(reference);
    fields
        .iter()
        .filter(|(name, _)| statistical.iter().any(|s| s == *name))
        .map(|(name, value)| {
            let value = match value {
                serde_json::Value::String(text) if free_text.contains(&name.as_str()) => {
                    let found = skydd_pii::scan(text, &context);
                    serde_json::Value::String(skydd_pii::redact(
                        text,
                        &found,
                        skydd_pii::Style::Label,
                    ))
                }
                other => other.clone(),
            };
            (name.clone(), value)
        })
        .collect()
}

/// The month a record was collected (`2025-03`, UTC): what anonymised remains keep of time.
pub fn collected_month(at: Timestamp) -> String {
    let date = Offset::UTC.to_datetime(at).date();
    format!("{:04}-{:02}", date.year(), date.month())
}

/// The audit detail proving one batch of removals under one rule: rule, action, count and the
/// pseudonymous ids of the subjects concerned. Ids only, never a value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Proof {
    /// The id of the retention rule that expired (`retention[].id`).
    pub rule: String,
    /// `delete` or `anonymise`.
    pub action: &'static str,
    /// How many records.
    pub count: u64,
    /// The subjects whose records they were, sorted, each once.
    pub subjects: Vec<String>,
}

impl Proof {
    /// The proof as the JSON the audit entry's `detail` holds.
    pub fn detail(&self) -> String {
        // Serialising strings and numbers cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }
}
