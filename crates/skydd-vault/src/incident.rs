//! Personal data breaches (Art. 33, 34): the vault checks a report against the register, stores
//! each entry of an incident in order, and audits it.

use data_encoding::HEXLOWER;
use jiff::Timestamp;
use skydd_crypto::random_bytes;
use skydd_incident::{Entry, Incident, IncidentError, Recorded, Report};
use skydd_storage::{IncidentEntryRow, StorageError};

use crate::{Actor, Vault, VaultError};

impl From<IncidentError> for VaultError {
    fn from(error: IncidentError) -> VaultError {
        let help = match &error {
            IncidentError::Closed => "open a new incident for new facts",
            IncidentError::NotAllowed(_) => "record what is outstanding first",
            _ => "correct the field and send the entry again",
        };
        VaultError::invalid(error.to_string(), help)
    }
}

impl Vault {
    /// Document a breach: check its categories against the register, give it an id and store its
    /// report. Every breach is documented, whether it is notified or not (Art. 33(5)).
    pub async fn report_incident(
        &self,
        actor: &Actor,
        report: Report,
        now: Timestamp,
    ) -> Result<Incident, VaultError> {
        let register = self.register();
        for category in &report.data_categories {
            if !register.data.iter().any(|c| c.id.0 == *category) {
                return Err(VaultError::invalid(
                    format!(
                        "`data_categories`: `{category}` is not a data category of the register"
                    ),
                    format!(
                        "use the register's ids: {}",
                        register
                            .data
                            .iter()
                            .map(|c| c.id.0.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ));
            }
        }
        for category in &report.subject_categories {
            if !register.subjects.iter().any(|s| s.id.0 == *category) {
                return Err(VaultError::invalid(
                    format!(
                        "`subject_categories`: `{category}` is not a subject category of the register"
                    ),
                    format!(
                        "use the register's ids: {}",
                        register
                            .subjects
                            .iter()
                            .map(|s| s.id.0.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ));
            }
        }
        let id = HEXLOWER.encode(&random_bytes::<16>()?);
        let incident = Incident::report(id, report, actor.id.clone(), now)?;
        self.store_entry(&incident, 0).await?;
        self.audit_incident(actor, &incident, "incident.report", now)
            .await?;
        Ok(incident)
    }

    /// Record `entry` on incident `id` (a notification, a re-assessment, a communication, the
    /// closing), if the incident's state allows it at `now`.
    ///
    /// Two writers recording on the same incident at once cannot both land: the one that comes
    /// second gets [`VaultError::Storage`] with a conflict and should read the incident again.
    pub async fn record_incident_entry(
        &self,
        actor: &Actor,
        id: &str,
        entry: Entry,
        now: Timestamp,
    ) -> Result<Incident, VaultError> {
        let mut incident = self
            .incident(id)
            .await?
            .ok_or(VaultError::UnknownIncident)?;
        let action = match &entry {
            Entry::Closed { .. } => "incident.close",
            Entry::AuthorityNotified { .. } | Entry::NotificationNotRequired { .. } => {
                "incident.notification"
            }
            Entry::SubjectsInformed { .. } | Entry::CommunicationNotRequired { .. } => {
                "incident.communication"
            }
            _ => "incident.update",
        };
        incident.record(entry, actor.id.clone(), now)?;
        self.store_entry(&incident, incident.entries().len() - 1)
            .await?;
        self.audit_incident(actor, &incident, action, now).await?;
        Ok(incident)
    }

    /// The incident with this id, if there is one.
    pub async fn incident(&self, id: &str) -> Result<Option<Incident>, VaultError> {
        let rows = self.storage.incident_entries(id).await?;
        if rows.is_empty() {
            return Ok(None);
        }
        incident_from_rows(id, rows).map(Some)
    }

    /// Every incident, oldest report first.
    pub async fn incidents(&self) -> Result<Vec<Incident>, VaultError> {
        incidents_from_entries(self.storage.all_incident_entries().await?)
    }

    async fn store_entry(&self, incident: &Incident, position: usize) -> Result<(), VaultError> {
        let recorded = incident
            .entries()
            .get(position)
            .ok_or_else(|| VaultError::Corrupt("an incident entry is missing".into()))?;
        let body = serde_json::to_string(&recorded.entry)
            .map_err(|e| VaultError::Corrupt(format!("an incident entry: {e}")))?;
        let row = IncidentEntryRow {
            incident_id: incident.id().to_string(),
            position: i64::try_from(position).unwrap_or(i64::MAX),
            at: recorded.at,
            actor: recorded.actor.clone(),
            kind: recorded.entry.kind().to_string(),
            body,
        };
        match self.storage.append_incident_entry(row).await {
            Err(StorageError::Conflict(_)) => Err(VaultError::invalid(
                "the incident was changed by someone else at the same time",
                "read the incident again and record the entry if it still applies",
            )),
            other => other.map_err(VaultError::from),
        }
    }

    async fn audit_incident(
        &self,
        actor: &Actor,
        incident: &Incident,
        action: &'static str,
        now: Timestamp,
    ) -> Result<(), VaultError> {
        let kind = incident.entries().last().map_or("", |r| r.entry.kind());
        self.audit_with_detail(
            actor,
            now,
            action,
            None,
            None,
            incident.current().data_categories.clone(),
            "done",
            Some(format!("incident {} {kind}", incident.id())),
        )
        .await
    }
}

/// Fold stored entries (sorted by incident id, then position, as
/// [`skydd_storage::Storage::all_incident_entries`] returns them) into incidents, oldest report
/// first.
pub fn incidents_from_entries(rows: Vec<IncidentEntryRow>) -> Result<Vec<Incident>, VaultError> {
    let mut incidents = Vec::new();
    let mut rest = rows.as_slice();
    while let Some(first) = rest.first() {
        let len = rest
            .iter()
            .take_while(|row| row.incident_id == first.incident_id)
            .count();
        let (mine, others) = rest.split_at(len);
        incidents.push(incident_from_rows(&first.incident_id, mine.to_vec())?);
        rest = others;
    }
    incidents.sort_by(|a, b| {
        let at = |i: &Incident| i.entries().first().map(|r| r.at);
        at(a).cmp(&at(b)).then_with(|| a.id().cmp(b.id()))
    });
    Ok(incidents)
}

fn incident_from_rows(id: &str, rows: Vec<IncidentEntryRow>) -> Result<Incident, VaultError> {
    let entries = rows
        .into_iter()
        .map(|row| {
            let entry: Entry = serde_json::from_str(&row.body).map_err(|e| {
                VaultError::Corrupt(format!(
                    "entry {} of incident {id} does not parse: {e}",
                    row.position
                ))
            })?;
            Ok(Recorded {
                at: row.at,
                actor: row.actor,
                entry,
            })
        })
        .collect::<Result<Vec<_>, VaultError>>()?;
    Incident::from_entries(id, entries)
        .map_err(|e| VaultError::Corrupt(format!("incident {id}: {e}")))
}
