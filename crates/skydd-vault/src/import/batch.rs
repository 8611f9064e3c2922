//! The batch an import is filling: each row's subject found (or made) and its item built by
//! the vault's own builders into storage rows and an audit event, and the batch committed in
//! one transaction with the import's progress.

use std::collections::{HashMap, HashSet};

use jiff::Timestamp;
use serde_json::{Map, Value};
use skydd_consent::ObjectionSource;
use skydd_crypto::DataKey;
use skydd_storage::{AuditEventRow, ImportBatch, NewSubjectRows, PreferenceEventRow, SubjectRow};

use super::lines::RawRow;
use super::row::{Item, Row, RowProblem, SubjectRef, is_column_name, read_row};
use super::{ImportProgress, ImportSummary, LineError, MAX_REPORTED_ERRORS};
use crate::facts::consent_row;
use crate::preference::preference_name;
use crate::record::record_row;
use crate::subject::{parse_identity, parse_tenant};
use crate::{Actor, ConsentInput, Vault, VaultError};

/// Columns whose values are register ids or words, which an error may quote.
const ID_COLUMNS: [&str; 11] = [
    "type",
    "subject_id",
    "identity_kind",
    "purpose",
    "method",
    "notice_version",
    "text_hash",
    "category",
    "source",
    "channel",
    "interest",
];

/// An import run's state: the batch being filled and the run's counts.
pub(super) struct Pending {
    actor: Actor,
    now: Timestamp,
    batch_rows: usize,
    batch: ImportBatch,
    /// Subjects the batch writes something for (their facts change when it commits).
    touched: HashSet<String>,
    /// Subjects the batch creates, by identity kind and blind index.
    created: HashMap<(String, Vec<u8>), String>,
    imported: u64,
    skipped: u64,
    errors: Vec<LineError>,
}

/// The subject a row names, as found.
enum Found {
    /// Stored before this batch.
    Stored(SubjectRow),
    /// Created by an earlier row of this batch.
    InBatch(String),
    /// To create with this row.
    New(Box<Created>),
}

/// A subject to create with a row: its rows, data key and identity (kind, blind index).
struct Created {
    rows: NewSubjectRows,
    key: DataKey,
    index: (String, Vec<u8>),
}

impl Found {
    fn id(&self) -> &str {
        match self {
            Found::Stored(row) => &row.id,
            Found::InBatch(id) => id,
            Found::New(new) => &new.rows.subject.id,
        }
    }
}

impl Pending {
    pub(super) fn new(
        id: &str,
        actor: &Actor,
        done: u64,
        now: Timestamp,
        batch_rows: usize,
    ) -> Pending {
        Pending {
            actor: actor.clone(),
            now,
            batch_rows,
            batch: ImportBatch::starting(id.to_string(), done, now),
            touched: HashSet::new(),
            created: HashMap::new(),
            imported: 0,
            skipped: 0,
            errors: Vec::new(),
        }
    }

    /// Whether the batch holds as many rows (written or refused) as one transaction takes.
    pub(super) fn is_full(&self) -> bool {
        self.batch.rows() + self.batch.skipped >= self.batch_rows as u64
    }

    /// The lines up to `line` are settled.
    pub(super) fn settle(&mut self, line: u64) {
        self.batch.lines_after = self.batch.lines_after.max(line);
    }

    pub(super) fn progress(&self) -> ImportProgress {
        ImportProgress {
            lines_done: self.batch.lines_before,
            imported: self.imported,
            skipped: self.skipped,
        }
    }

    pub(super) fn summary(
        self,
        lines: u64,
        already_done: u64,
        (imported_before, skipped_before): (u64, u64),
    ) -> ImportSummary {
        let reported = self.errors.len() as u64;
        ImportSummary {
            id: self.batch.import_id,
            lines,
            already_done,
            imported: self.imported,
            skipped: self.skipped,
            errors: self.errors,
            errors_left_out: self.skipped - reported,
            imported_before,
            skipped_before,
        }
    }

    /// Refuse the row of lines `line`..=`last_line`.
    fn refuse(&mut self, error: LineError, last_line: u64) {
        self.batch.skipped += 1;
        self.skipped += 1;
        if self.errors.len() < MAX_REPORTED_ERRORS {
            self.errors.push(error);
        }
        self.settle(last_line);
    }

    /// An audit event of an item of this import on `line`.
    #[allow(clippy::too_many_arguments)]
    fn audit(
        &mut self,
        action: &str,
        line: u64,
        purpose: Option<&str>,
        subject: &str,
        categories: Vec<String>,
        outcome: &str,
    ) {
        self.batch.audit.push(AuditEventRow {
            seq: 0,
            at: self.now,
            actor: self.actor.id.clone(),
            ip: self.actor.ip.clone(),
            action: action.to_string(),
            purpose: purpose.map(str::to_string),
            subject_id: Some(subject.to_string()),
            categories,
            outcome: outcome.to_string(),
            detail: Some(format!("import {} line {line}", self.batch.import_id)),
        });
    }

    /// Take in the subject of a row whose item was staged.
    fn add_subject(&mut self, found: Found, line: u64) -> String {
        let id = found.id().to_string();
        if let Found::New(new) = found {
            let Created { rows, index, .. } = *new;
            self.created.insert(index, id.clone());
            self.batch.subjects.push(rows);
            self.audit("subject.create", line, None, &id, Vec::new(), "done");
        }
        self.touched.insert(id.clone());
        id
    }
}

/// `text` with every value of `cells` that is not a register id left out, so that an error
/// built by the vault's checks never quotes a personal value from the file.
fn withhold(text: String, cells: &Map<String, Value>) -> String {
    let mut text = text;
    let mut values: Vec<(&str, &str)> = Vec::new();
    for (column, value) in cells {
        match value {
            Value::String(value) => values.push((column, value)),
            Value::Object(inner) => {
                values.extend(inner.values().filter_map(|v| v.as_str()).map(|v| ("", v)));
                // A field's name is shown only when it looks like one.
                values.extend(
                    inner
                        .keys()
                        .filter(|k| !is_column_name(k))
                        .map(|k| ("", k.as_str())),
                );
            }
            _ => {}
        }
    }
    for (column, value) in values {
        let value = value.trim();
        if value.is_empty() || (ID_COLUMNS.contains(&column) && is_column_name(value)) {
            continue;
        }
        text = text.replace(&format!("`{value}`"), "(a value from the file)");
        if value.chars().count() >= 4 {
            text = text.replace(value, "…");
        }
    }
    text
}

/// The refusal of a row for `error`, or the error itself when it is not the row's fault.
fn refusal(error: VaultError) -> Result<RowProblem, VaultError> {
    let (message, help) = match error {
        VaultError::Invalid { what, help } => (what, help),
        VaultError::UnknownSubject => (
            "no such subject".to_string(),
            "check `subject_id`, or name the subject by an identity".to_string(),
        ),
        VaultError::IdentityTaken { kind } => (
            format!("an identity of kind {kind} is already used by another subject"),
            "name the subject by that identity alone".to_string(),
        ),
        VaultError::Denied { code, explanation } => (
            format!("not allowed ({}): {explanation}", code.as_str()),
            "import it for a purpose the register allows for this subject; a consent it rests on comes before it in the file".to_string(),
        ),
        other => return Err(other),
    };
    Ok(RowProblem {
        field: None,
        message,
        help,
    })
}

impl Vault {
    /// Read, check and stage one row; a refused row is counted and reported, and the import
    /// goes on. Fails only when storage does.
    pub(super) async fn import_row(
        &self,
        pending: &mut Pending,
        raw: RawRow,
        progress: &mut (dyn FnMut(&ImportProgress) + Send),
    ) -> Result<(), VaultError> {
        let cells = match raw.cells {
            Ok(cells) => cells,
            Err(error) => {
                pending.refuse(error, raw.last_line);
                return Ok(());
            }
        };
        let staged = match read_row(&cells, pending.now) {
            Ok(row) => self.stage(pending, &row, raw.line, progress).await,
            Err(problem) => Err(Ok(problem)),
        };
        match staged {
            Ok(()) => pending.settle(raw.last_line),
            Err(Ok(problem)) => {
                let error = LineError {
                    line: raw.line,
                    field: problem.field,
                    message: withhold(problem.message, &cells),
                    help: withhold(problem.help, &cells),
                };
                pending.refuse(error, raw.last_line);
            }
            Err(Err(error)) => return Err(error),
        }
        Ok(())
    }

    /// Stage `row` (of line `line`) in the batch: its subject found or made, its item built
    /// and audited. A record whose subject the batch already writes for commits the batch
    /// first, so that its collection is decided on the facts the earlier rows made.
    async fn stage(
        &self,
        pending: &mut Pending,
        row: &Row,
        line: u64,
        progress: &mut (dyn FnMut(&ImportProgress) + Send),
    ) -> Result<(), Result<RowProblem, VaultError>> {
        let mut found = self.find(pending, &row.subject).await?;
        if let Item::Record(_) = row.item
            && pending.touched.contains(found.id())
        {
            self.commit(pending).await.map_err(Err)?;
            progress(&pending.progress());
            found = self.find(pending, &row.subject).await?;
        }
        let result = match &row.item {
            Item::Record(_) => self.stage_record(pending, found, &row.item, line).await,
            _ => self.stage_ledger(pending, found, &row.item, line),
        };
        result.map_err(refusal)
    }

    /// The subject `subject` names: stored, created by this batch, or to create.
    async fn find(
        &self,
        pending: &Pending,
        subject: &SubjectRef,
    ) -> Result<Found, Result<RowProblem, VaultError>> {
        fn in_column(
            column: &'static str,
        ) -> impl Fn(VaultError) -> Result<RowProblem, VaultError> {
            move |error| {
                refusal(error).map(|mut problem| {
                    problem.field = Some(column.to_string());
                    problem
                })
            }
        }
        let (kind, value) = match subject {
            SubjectRef::Id(id) => {
                let row = self.subject_row(&pending.actor, id).await;
                return row.map(Found::Stored).map_err(in_column("subject_id"));
            }
            SubjectRef::Identity { kind, value } => (kind, value),
        };
        let identity = parse_identity(kind, value, pending.now).map_err(in_column("identity"))?;
        let kind = identity.kind().as_str().to_string();
        let index = self
            .keyring
            .blind_index_key()
            .blind_index(&kind, identity.expose())
            .to_vec();
        let key = (kind, index);
        if let Some(id) = pending.created.get(&key) {
            return Ok(Found::InBatch(id.clone()));
        }
        let tenant = parse_tenant(pending.actor.tenant.as_deref()).map_err(Err)?;
        let stored = self
            .storage
            .find_subject_by_identity(tenant.as_ref().map(|t| t.as_str()), &key.0, &key.1)
            .await
            .map_err(|e| Err(e.into()))?;
        if let Some(row) = stored {
            return Ok(Found::Stored(row));
        }
        let (_, data_key, rows) = self
            .new_subject_rows(tenant.as_ref(), &[identity], pending.now)
            .map_err(Err)?;
        Ok(Found::New(Box::new(Created {
            rows,
            key: data_key,
            index: key,
        })))
    }

    /// Stage a consent, an objection or a preference.
    fn stage_ledger(
        &self,
        pending: &mut Pending,
        found: Found,
        item: &Item,
        line: u64,
    ) -> Result<(), VaultError> {
        let subject = found.id().to_string();
        let (action, purpose, outcome) = match item {
            Item::Consent {
                purpose, granted, ..
            } => {
                let event = self.imported_consent(&subject, item)?;
                pending.batch.consents.push(event);
                let outcome = if *granted { "granted" } else { "withdrawn" };
                ("consent.record", Some(purpose.clone()), outcome)
            }
            Item::Objection {
                purpose,
                objected,
                at,
            } => {
                let event = self.objection_row(
                    &subject,
                    purpose.as_deref(),
                    ObjectionSource::Import,
                    *objected,
                    *at,
                )?;
                pending.batch.objections.push(event);
                let outcome = if *objected { "objected" } else { "lifted" };
                ("objection.record", purpose.clone(), outcome)
            }
            Item::Preference {
                kind,
                name,
                opted_in,
                at,
            } => {
                pending.batch.preferences.push(PreferenceEventRow {
                    seq: 0,
                    subject_id: subject.clone(),
                    kind: kind.to_string(),
                    name: preference_name(kind, name)?,
                    opted_in: *opted_in,
                    at: *at,
                });
                let outcome = if *opted_in { "opted_in" } else { "opted_out" };
                ("preference.record", None, outcome)
            }
            Item::Record(_) => {
                return Err(VaultError::Corrupt(
                    "a record staged as a ledger event".into(),
                ));
            }
        };
        let subject = pending.add_subject(found, line);
        pending.audit(
            action,
            line,
            purpose.as_deref(),
            &subject,
            Vec::new(),
            outcome,
        );
        Ok(())
    }

    /// The stored consent of an imported consent row for `subject`, built and checked as
    /// [`Vault::record_consent`] does, at its original time; a text hash given replaces the
    /// current wording's.
    fn imported_consent(
        &self,
        subject: &str,
        item: &Item,
    ) -> Result<skydd_storage::ConsentEventRow, VaultError> {
        let Item::Consent {
            purpose,
            granted,
            method,
            notice_version,
            text_hash,
            at,
        } = item
        else {
            return Err(VaultError::Corrupt("a row staged as a consent".into()));
        };
        let input = ConsentInput {
            subject: subject.to_string(),
            purpose: purpose.clone(),
            granted: *granted,
            method: method.clone(),
            notice_version: notice_version.clone(),
            ip: None,
            user_agent: None,
            gpc: false,
            dnt: false,
        };
        let mut event = self.consent_event(subject, &input, *at)?;
        if text_hash.is_some() {
            event.text_hash.clone_from(text_hash);
        }
        Ok(consent_row(&event, None))
    }

    /// Stage a record: checked against the register, its collection decided on the subject's
    /// facts now, its fields sealed with the subject's data key.
    async fn stage_record(
        &self,
        pending: &mut Pending,
        found: Found,
        item: &Item,
        line: u64,
    ) -> Result<(), VaultError> {
        let Item::Record(new) = item else {
            return Err(VaultError::Corrupt(
                "a ledger event staged as a record".into(),
            ));
        };
        self.check_record(new, pending.now)?;
        let (subject_row, key) = match &found {
            Found::Stored(row) => (row.clone(), None),
            Found::New(new) => (new.rows.subject.clone(), Some(&new.key)),
            Found::InBatch(_) => {
                return Err(VaultError::Corrupt(
                    "a record staged before its subject was written".into(),
                ));
            }
        };
        if let Some((code, explanation)) = self
            .collection_denied(&subject_row, new, pending.now)
            .await?
        {
            return Err(VaultError::Denied { code, explanation });
        }
        let stored_key;
        let key = match key {
            Some(key) => key,
            None => {
                stored_key = self.data_key(&subject_row.id).await?;
                &stored_key
            }
        };
        let mentions = self.mentions_in(&new.category, &new.fields, pending.now);
        let (_, record) = record_row(key, &subject_row.id, new, mentions, pending.now)?;
        pending.batch.records.push(record);
        let subject = pending.add_subject(found, line);
        pending.audit(
            "record.create",
            line,
            Some(&new.purpose),
            &subject,
            vec![new.category.clone()],
            "done",
        );
        Ok(())
    }

    /// Commit the batch (if it holds anything new) with the import's progress, and start the
    /// next one.
    pub(super) async fn commit(&self, pending: &mut Pending) -> Result<(), VaultError> {
        let batch = &mut pending.batch;
        if batch.rows() == 0 && batch.skipped == 0 && batch.lines_after == batch.lines_before {
            return Ok(());
        }
        let next = ImportBatch::starting(batch.import_id.clone(), batch.lines_after, batch.at);
        let full = std::mem::replace(batch, next);
        let rows = full.rows();
        let written = self.storage.write_import_batch(full).await;
        // Whatever the outcome, the batch is gone: a failure ends the run (the next run
        // continues from what is committed).
        pending.created.clear();
        let touched = std::mem::take(&mut pending.touched);
        written?;
        pending.imported += rows;
        for subject in &touched {
            self.facts_changed(subject);
        }
        Ok(())
    }
}
