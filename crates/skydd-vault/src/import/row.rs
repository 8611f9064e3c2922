//! One row of an import as the file gives it, read from its cells into a typed item: which
//! subject, and a consent, an objection, a preference or a record. Only the shape is checked
//! here (columns known, values of the right kind, times in range); the register is checked by
//! the vault's own builders. Errors name the column, never its value.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde_json::{Map, Value};

use crate::NewRecord;

/// When the GDPR applies (Art. 99(2)): no consent, objection or preference is imported from
/// before.
pub(crate) const GDPR_APPLIES: &str = "2018-05-25T00:00:00Z";

/// Why a row is refused: the column concerned (if one), what is wrong, how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RowProblem {
    pub(crate) field: Option<String>,
    pub(crate) message: String,
    pub(crate) help: String,
}

impl RowProblem {
    fn new(field: &str, message: impl Into<String>, help: impl Into<String>) -> RowProblem {
        RowProblem {
            field: Some(field.to_string()),
            message: message.into(),
            help: help.into(),
        }
    }
}

/// Which subject a row is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SubjectRef {
    /// By id (32 lowercase hex digits).
    Id(String),
    /// By an identity (kind and raw value); a subject is created when none has it.
    Identity { kind: String, value: String },
}

/// What a row records.
#[derive(Debug, Clone)]
pub(crate) enum Item {
    Consent {
        purpose: String,
        granted: bool,
        method: String,
        notice_version: Option<String>,
        text_hash: Option<String>,
        at: Timestamp,
    },
    Objection {
        purpose: Option<String>,
        objected: bool,
        at: Timestamp,
    },
    Preference {
        kind: &'static str,
        name: String,
        opted_in: bool,
        at: Timestamp,
    },
    Record(NewRecord),
}

/// A row read: its subject and item.
#[derive(Debug, Clone)]
pub(crate) struct Row {
    pub(crate) subject: SubjectRef,
    pub(crate) item: Item,
}

/// The columns every row may have.
const SUBJECT_COLUMNS: [&str; 4] = ["type", "subject_id", "identity_kind", "identity"];

/// The columns each type of row may have besides [`SUBJECT_COLUMNS`].
fn columns_of(kind: &str) -> Option<&'static [&'static str]> {
    Some(match kind {
        "consent" => &[
            "purpose",
            "granted",
            "method",
            "notice_version",
            "text_hash",
            "at",
        ],
        "objection" => &["purpose", "objected", "at"],
        "preference" => &["channel", "interest", "opted_in", "at"],
        "record" => &[
            "category",
            "purpose",
            "source",
            "fields",
            "collected_at",
            "anchors",
        ],
        _ => return None,
    })
}

/// The cells of one row.
struct Cells<'a>(&'a Map<String, Value>);

impl Cells<'_> {
    fn text(&self, column: &str) -> Result<Option<String>, RowProblem> {
        match self.0.get(column) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(text)) if text.trim().is_empty() => Ok(None),
            Some(Value::String(text)) => Ok(Some(text.trim().to_string())),
            Some(_) => Err(RowProblem::new(
                column,
                format!("`{column}` is not text"),
                "write it as a string",
            )),
        }
    }

    fn required_text(&self, column: &str, help: &str) -> Result<String, RowProblem> {
        self.text(column)?
            .ok_or_else(|| RowProblem::new(column, format!("`{column}` is missing"), help))
    }

    fn boolean(&self, column: &str, default: Option<bool>) -> Result<bool, RowProblem> {
        match (self.0.get(column), default) {
            (Some(Value::Bool(value)), _) => Ok(*value),
            (None | Some(Value::Null), Some(default)) => Ok(default),
            (None | Some(Value::Null), None) => Err(RowProblem::new(
                column,
                format!("`{column}` is missing"),
                "give true or false",
            )),
            (Some(_), _) => Err(RowProblem::new(
                column,
                format!("`{column}` is not true or false"),
                "give true or false (in CSV also yes/no or 1/0)",
            )),
        }
    }

    fn time(&self, column: &str) -> Result<Option<Timestamp>, RowProblem> {
        self.text(column)?
            .map(|text| {
                text.parse::<Timestamp>().map_err(|_| {
                    RowProblem::new(
                        column,
                        format!("`{column}` is not a time"),
                        "write an RFC 3339 time with its offset, e.g. 2021-03-04T10:15:00Z",
                    )
                })
            })
            .transpose()
    }

    /// A ledger time: given, not before the GDPR applies, not after `now`.
    fn ledger_time(&self, column: &str, now: Timestamp) -> Result<Timestamp, RowProblem> {
        let at = self.time(column)?.ok_or_else(|| {
            RowProblem::new(
                column,
                format!("`{column}` is missing"),
                "give the time it happened in the other system (RFC 3339)",
            )
        })?;
        let applies: Timestamp = GDPR_APPLIES.parse().unwrap_or(Timestamp::UNIX_EPOCH);
        if at < applies {
            return Err(RowProblem::new(
                column,
                format!("`{column}` is before the GDPR applies (2018-05-25)"),
                "a consent or objection recorded under older law must be asked for again",
            ));
        }
        if at > now {
            return Err(RowProblem::new(
                column,
                format!("`{column}` is in the future"),
                "give the time it happened; check the offset",
            ));
        }
        Ok(at)
    }

    fn object(&self, column: &str) -> Result<Map<String, Value>, RowProblem> {
        match self.0.get(column) {
            None | Some(Value::Null) => Ok(Map::new()),
            Some(Value::Object(map)) => Ok(map.clone()),
            Some(_) => Err(RowProblem::new(
                column,
                format!("`{column}` is not an object"),
                "in JSON lines give an object; in CSV one column per name (`fields.email`)",
            )),
        }
    }
}

/// Whether `column` looks like a column name (lower case letters, digits, `_`, `.`), so that
/// naming it in an error cannot quote a personal value.
pub(crate) fn is_column_name(column: &str) -> bool {
    !column.is_empty()
        && column.len() <= 64
        && column
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'.')
}

/// The row's subject: `subject_id`, or `identity_kind` with `identity`.
fn subject(cells: &Cells<'_>) -> Result<SubjectRef, RowProblem> {
    let help = "name the subject by `subject_id`, or by `identity_kind` and `identity`";
    match (
        cells.text("subject_id")?,
        cells.text("identity_kind")?,
        cells.text("identity")?,
    ) {
        (Some(id), None, None) => Ok(SubjectRef::Id(id)),
        (None, Some(kind), Some(value)) => Ok(SubjectRef::Identity { kind, value }),
        (None, None, None) => Err(RowProblem::new("identity", "no subject is named", help)),
        (None, Some(_), None) => Err(RowProblem::new("identity", "`identity` is missing", help)),
        (None, None, Some(_)) => Err(RowProblem::new(
            "identity_kind",
            "`identity_kind` is missing",
            "give the kind: email, phone, personnummer, customer_number or external_id",
        )),
        (Some(_), _, _) => Err(RowProblem::new(
            "subject_id",
            "both `subject_id` and an identity are given",
            help,
        )),
    }
}

/// Read a row's cells; `now` bounds its times.
pub(crate) fn read_row(cells: &Map<String, Value>, now: Timestamp) -> Result<Row, RowProblem> {
    let cells = Cells(cells);
    let kind = cells.required_text(
        "type",
        "give the type: consent, objection, preference or record",
    )?;
    let allowed = columns_of(&kind).ok_or_else(|| {
        RowProblem::new(
            "type",
            "`type` is not consent, objection, preference or record",
            "give one of those four",
        )
    })?;
    if let Some(column) = cells
        .0
        .keys()
        .find(|c| !SUBJECT_COLUMNS.contains(&c.as_str()) && !allowed.contains(&c.as_str()))
    {
        // A JSON key may be anything; it is named only when it looks like a column name.
        let named = is_column_name(column);
        return Err(RowProblem {
            field: named.then(|| column.clone()),
            message: match named {
                true => format!("`{column}` is not a column of a {kind}"),
                false => format!("a key is not a column of a {kind}"),
            },
            help: format!(
                "a {kind} has the columns {}, {}",
                SUBJECT_COLUMNS.join(", "),
                allowed.join(", ")
            ),
        });
    }
    let subject = subject(&cells)?;
    let item = match kind.as_str() {
        "consent" => Item::Consent {
            purpose: cells.required_text("purpose", "give a purpose of the register")?,
            granted: cells.boolean("granted", None)?,
            method: cells.text("method")?.unwrap_or_else(|| "import".into()),
            notice_version: cells.text("notice_version")?,
            text_hash: text_hash(&cells)?,
            at: cells.ledger_time("at", now)?,
        },
        "objection" => Item::Objection {
            purpose: cells.text("purpose")?,
            objected: cells.boolean("objected", Some(true))?,
            at: cells.ledger_time("at", now)?,
        },
        "preference" => preference(&cells, now)?,
        _ => Item::Record(record(&cells)?),
    };
    Ok(Row { subject, item })
}

fn text_hash(cells: &Cells<'_>) -> Result<Option<String>, RowProblem> {
    let hash = cells.text("text_hash")?;
    if let Some(hash) = &hash
        && (hash.len() > 128 || !hash.bytes().all(|b| b.is_ascii_hexdigit()))
    {
        return Err(RowProblem::new(
            "text_hash",
            "`text_hash` is not a hash in hexadecimal digits",
            "give the hash of the consent wording shown, or leave it out",
        ));
    }
    Ok(hash.map(|h| h.to_ascii_lowercase()))
}

fn preference(cells: &Cells<'_>, now: Timestamp) -> Result<Item, RowProblem> {
    let (kind, name) = match (cells.text("channel")?, cells.text("interest")?) {
        (Some(channel), None) => ("channel", channel),
        (None, Some(interest)) => ("interest", interest),
        _ => {
            return Err(RowProblem::new(
                "channel",
                "a preference names either a `channel` or an `interest`",
                "give one of the two",
            ));
        }
    };
    Ok(Item::Preference {
        kind,
        name,
        opted_in: cells.boolean("opted_in", None)?,
        at: cells.ledger_time("at", now)?,
    })
}

fn record(cells: &Cells<'_>) -> Result<NewRecord, RowProblem> {
    let mut anchors = BTreeMap::new();
    for (event, value) in cells.object("anchors")? {
        let at = match &value {
            Value::String(text) => text.parse::<Timestamp>().ok(),
            _ => None,
        }
        .ok_or_else(|| {
            RowProblem::new(
                &format!("anchors.{event}"),
                format!("anchor `{event}` is not a time"),
                "write an RFC 3339 time, e.g. 2021-03-04T10:15:00Z",
            )
        })?;
        anchors.insert(event, at);
    }
    Ok(NewRecord {
        category: cells.required_text("category", "give a data category of the register")?,
        fields: cells.object("fields")?,
        source: cells.required_text("source", "give a source of the register")?,
        purpose: cells.required_text("purpose", "give a purpose of the register")?,
        collected_at: cells.time("collected_at")?,
        anchors,
        combined_from: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> Timestamp {
        "2026-12-01T12:00:00Z".parse().unwrap()
    }

    fn read(json: serde_json::Value) -> Result<Row, RowProblem> {
        match json {
            Value::Object(map) => read_row(&map, now()),
            _ => unreachable!(),
        }
    }

    #[test]
    fn a_consent_by_identity_with_defaults() {
        let row = read(
            serde_json::json!({"type": "consent", "identity_kind": "email",
            "identity": "anna@example.se", "purpose": "newsletter", "granted": true,
            "at": "2021-03-04T10:15:00Z"}),
        )
        .unwrap();
        assert_eq!(
            row.subject,
            SubjectRef::Identity {
                kind: "email".into(),
                value: "anna@example.se".into()
            }
        );
        assert!(
            matches!(row.item, Item::Consent { ref method, granted: true, .. } if method == "import")
        );
    }

    #[test]
    fn times_before_the_gdpr_or_in_the_future_are_refused() {
        for at in ["2018-05-24T23:59:59Z", "2027-01-01T00:00:00Z", "yesterday"] {
            let error = read(serde_json::json!({"type": "objection", "subject_id": "ab",
                "at": at}))
            .unwrap_err();
            assert_eq!(error.field.as_deref(), Some("at"));
            assert!(!error.message.contains(at), "{}", error.message);
        }
    }

    #[test]
    fn an_unknown_column_is_refused_without_its_name() {
        let error = read(serde_json::json!({"type": "preference", "subject_id": "ab",
            "channel": "email", "opted_in": false, "at": "2021-03-04T10:15:00Z",
            "anna@example.se": "x"}))
        .unwrap_err();
        assert!(!error.message.contains("anna") && !error.help.contains("anna"));
    }
}
