//! Personal data breaches (Art. 33, 34) as a pure model: the report, the 72-hour clock, the
//! notifications to the supervisory authority and the communication to the data subjects.
//!
//! An incident is a list of [`Entry`]s, each [`Recorded`] with who wrote it and when, never
//! changed afterwards: the first is the [`Report`], the later ones re-assess the risk, record a
//! notification to the authority (in phases, Art. 33(4)), record why the authority is not
//! notified (Art. 33(5)), record the communication to the subjects or why it is not required
//! (Art. 34(3)), and close the incident. [`Incident`] folds the entries into the current state and
//! refuses an entry that the Regulation does not allow at that point ([`Incident::check`]):
//!
//! - every incident is documented, notified or not; one that is not notified carries the reason,
//!   and only an incident assessed as unlikely to result in a risk ([`Risk::None`]) may go
//!   unnotified;
//! - the authority is to be notified within 72 hours of becoming aware
//!   ([`Incident::due_at`]); a later first notification must give the reasons for the delay;
//! - further phases of a notification name the authority's reference; nothing follows the final
//!   phase;
//! - an incident assessed as high risk is communicated to the subjects, or the Art. 34(3) ground
//!   for not doing so is recorded;
//! - an incident closes only when nothing of the above is outstanding.
//!
//! The crate does no I/O and never reads the clock: `now` is a parameter. The texts of an
//! incident describe the breach (categories, approximate numbers, consequences, measures): they
//! are documentation for the authority, not a place for the personal data concerned.

use std::fmt;
use std::str::FromStr;

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

/// How long after becoming aware the authority is to be notified (Art. 33(1)).
pub const NOTIFICATION_WINDOW: SignedDuration = SignedDuration::from_hours(72);

/// The likely risk to the rights and freedoms of natural persons.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Risk {
    /// Unlikely to result in a risk (`none`): documented, the authority need not be notified.
    None,
    /// Likely to result in a risk (`risk`): the authority is notified.
    Risk,
    /// Likely to result in a high risk (`high`): the subjects are told as well (Art. 34).
    High,
}

/// A phase of the notification to the authority (Art. 33(4)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// The first notification (`initial`).
    Initial,
    /// Further information given later (`supplementary`).
    Supplementary,
    /// The last information (`final`).
    Final,
}

/// Why the subjects need not be told of a high-risk breach (Art. 34(3)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CommunicationExemption {
    /// Art. 34(3)(a): the data were unintelligible to anyone not authorised, such as by
    /// encryption (`unintelligible`).
    Unintelligible,
    /// Art. 34(3)(b): measures taken since ensure the high risk is no longer likely to
    /// materialise (`risk_contained`).
    RiskContained,
    /// Art. 34(3)(c): it would involve disproportionate effort, and a public communication
    /// informs the subjects as effectively instead (`public_communication`).
    PublicCommunication,
}

macro_rules! word_names {
    ($ty:ty, $what:literal, [$(($variant:expr, $name:literal)),* $(,)?]) => {
        impl $ty {
            /// Every value with its stable name.
            pub const ALL: &'static [($ty, &'static str)] = &[$(($variant, $name)),*];

            /// The stable snake_case name.
            pub fn as_str(self) -> &'static str {
                Self::ALL
                    .iter()
                    .find(|(value, _)| *value == self)
                    .map_or("", |(_, name)| name)
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $ty {
            type Err = IncidentError;

            fn from_str(word: &str) -> Result<Self, IncidentError> {
                Self::ALL
                    .iter()
                    .find(|(_, name)| *name == word)
                    .map(|(value, _)| *value)
                    .ok_or_else(|| IncidentError::UnknownWord {
                        what: $what,
                        valid: Self::ALL.iter().map(|(_, name)| *name).collect::<Vec<_>>().join(", "),
                    })
            }
        }
    };
}

word_names!(
    Risk,
    "risk",
    [
        (Risk::None, "none"),
        (Risk::Risk, "risk"),
        (Risk::High, "high")
    ]
);
word_names!(
    Phase,
    "phase",
    [
        (Phase::Initial, "initial"),
        (Phase::Supplementary, "supplementary"),
        (Phase::Final, "final")
    ]
);
word_names!(
    CommunicationExemption,
    "exemption",
    [
        (CommunicationExemption::Unintelligible, "unintelligible"),
        (CommunicationExemption::RiskContained, "risk_contained"),
        (
            CommunicationExemption::PublicCommunication,
            "public_communication"
        )
    ]
);

impl CommunicationExemption {
    /// The provision it rests on.
    pub fn article(self) -> &'static str {
        match self {
            CommunicationExemption::Unintelligible => "Art. 34(3)(a)",
            CommunicationExemption::RiskContained => "Art. 34(3)(b)",
            CommunicationExemption::PublicCommunication => "Art. 34(3)(c)",
        }
    }
}

/// What the controller documents about a breach when it becomes aware of it (Art. 33(3), (5)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// When the controller became aware of the breach: the 72-hour clock starts here.
    pub became_aware_at: Timestamp,
    /// When the breach happened, if known.
    pub occurred_at: Option<Timestamp>,
    /// The nature of the breach (what happened: lost laptop, misdirected e-mail, intrusion ...).
    pub nature: String,
    /// The register's data categories concerned.
    pub data_categories: Vec<String>,
    /// The register's subject categories concerned.
    pub subject_categories: Vec<String>,
    /// Approximate number of subjects concerned, where it can be given.
    pub approx_subjects: Option<u64>,
    /// Approximate number of records concerned, where it can be given.
    pub approx_records: Option<u64>,
    /// The likely consequences of the breach (Art. 33(3)(c)).
    pub consequences: String,
    /// Measures taken or proposed to address the breach and mitigate its effects.
    pub measures: String,
    /// The risk as first assessed (`none`, `risk`, `high`); a reassessment replaces it.
    pub risk: Risk,
}

/// One thing documented about an incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Entry {
    /// The first entry: the report.
    Reported(Report),
    /// The risk was assessed anew (more facts came in).
    Reassessed {
        /// The new risk (`none`, `risk`, `high`), which replaces the earlier one.
        risk: Risk,
        /// Why the risk was assessed anew: the facts that came in.
        reason: String,
        /// Updated consequences, if they changed.
        consequences: Option<String>,
        /// Updated measures, if they changed.
        measures: Option<String>,
    },
    /// The authority was notified (one phase).
    AuthorityNotified {
        /// Which phase (`initial`, `supplementary`, `final`); nothing follows `final`.
        phase: Phase,
        /// When the notification was made.
        notified_at: Timestamp,
        /// The authority's case reference, once it gave one.
        authority_reference: Option<String>,
        /// Reasons for a first notification made after 72 hours (Art. 33(1)).
        late_reason: Option<String>,
        /// What this phase told the authority, in brief.
        summary: Option<String>,
    },
    /// The authority is not notified, and why (Art. 33(5)).
    NotificationNotRequired {
        /// Why the breach is unlikely to result in a risk.
        reason: String,
    },
    /// The subjects were told in plain language (Art. 34(1), (2)).
    SubjectsInformed {
        /// When the communication was sent (queued).
        informed_at: Timestamp,
        /// How many subjects it went to.
        subjects: u64,
        /// The message, in plain language.
        message: String,
    },
    /// The subjects are not told, on an Art. 34(3) ground.
    CommunicationNotRequired {
        /// The Art. 34(3) point relied on (`unintelligible`, `risk_contained`,
        /// `public_communication`).
        ground: CommunicationExemption,
        /// How it applies here.
        explanation: String,
    },
    /// The incident is closed.
    Closed {
        /// What was done and learnt.
        summary: String,
    },
}

impl Entry {
    /// A stable name of the entry's kind, for the audit trail.
    pub fn kind(&self) -> &'static str {
        match self {
            Entry::Reported(_) => "reported",
            Entry::Reassessed { .. } => "reassessed",
            Entry::AuthorityNotified { .. } => "authority_notified",
            Entry::NotificationNotRequired { .. } => "notification_not_required",
            Entry::SubjectsInformed { .. } => "subjects_informed",
            Entry::CommunicationNotRequired { .. } => "communication_not_required",
            Entry::Closed { .. } => "closed",
        }
    }
}

/// An entry with who recorded it and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recorded {
    /// When it was recorded.
    pub at: Timestamp,
    /// Who recorded it (a token or account id).
    pub actor: String,
    /// What was recorded.
    pub entry: Entry,
}

/// Where the notification to the authority stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum NotificationStatus {
    /// Neither notified nor documented as not required yet.
    Due {
        /// The end of the 72 hours.
        due_at: Timestamp,
    },
    /// At least one phase was notified to the authority (Art. 33); `late` and `complete` say how.
    Notified {
        /// When the first notification was made.
        first_notified_at: Timestamp,
        /// Whether it was after the 72 hours.
        late: bool,
        /// The authority's reference, if it gave one.
        authority_reference: Option<String>,
        /// Whether the final phase was sent.
        complete: bool,
    },
    /// Not notified, with the reason.
    NotRequired {
        /// Why the breach is unlikely to result in a risk (Art. 33(5)), from the latest such entry.
        reason: String,
    },
}

/// Where the communication to the subjects stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum CommunicationStatus {
    /// Not required (the risk is not high) and not made.
    NotRequired,
    /// Required (high risk) and neither made nor exempted yet.
    Due,
    /// Made (Art. 34(1)); the figures are those of the latest `subjects_informed` entry.
    Informed {
        /// When that communication was sent (queued).
        informed_at: Timestamp,
        /// To how many subjects.
        subjects: u64,
    },
    /// Not made, on an Art. 34(3) ground.
    Exempt {
        /// The Art. 34(3) point relied on.
        ground: CommunicationExemption,
    },
}

/// One thing that must still be done before an incident can close.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outstanding {
    /// The authority is to be notified by `due_at` (Art. 33(1)).
    Notification {
        /// The end of the 72 hours.
        due_at: Timestamp,
        /// The risk is assessed as `none`, so recording why the breach is unlikely to result in
        /// a risk (Art. 33(5)) settles it instead.
        may_document_instead: bool,
    },
    /// The subjects of a high-risk breach are to be told (Art. 34(1)), or the Art. 34(3) ground
    /// for not telling them recorded.
    Communication,
}

impl fmt::Display for Outstanding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outstanding::Notification {
                due_at,
                may_document_instead: true,
            } => write!(
                f,
                "notify the supervisory authority, or record why the breach is unlikely to result in a risk (Art. 33(5)); due {due_at}"
            ),
            Outstanding::Notification { due_at, .. } => write!(
                f,
                "notify the supervisory authority (Art. 33(1)); due {due_at}"
            ),
            Outstanding::Communication => f.write_str(
                "communicate the breach to the subjects in plain language (Art. 34(1)), or record the Art. 34(3) ground for not doing so",
            ),
        }
    }
}

/// Why an entry cannot be recorded, or a word is not understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IncidentError {
    /// A word is not one of the known ones.
    #[error("unknown {what}; use one of: {valid}")]
    UnknownWord {
        /// What kind of word.
        what: &'static str,
        /// The valid words.
        valid: String,
    },
    /// A required text is empty.
    #[error("`{field}` is required and may not be blank: {why}")]
    Blank {
        /// The entry's field that is empty, as spelt in it (`late_reason`, `data_categories`).
        field: &'static str,
        /// Why it is required.
        why: &'static str,
    },
    /// A time is in the future or before the incident.
    #[error("`{field}` ({at}) {problem}")]
    BadTime {
        /// The entry's field holding the time (`notified_at`, `occurred_at`).
        field: &'static str,
        /// The time given.
        at: Timestamp,
        /// What is wrong with it.
        problem: String,
    },
    /// The entry is not allowed in the incident's current state.
    #[error("{0}")]
    NotAllowed(String),
    /// The incident is closed; nothing more can be recorded.
    #[error("the incident was closed; nothing more can be recorded on it")]
    Closed,
    /// The first entry must be the report, and only the first.
    #[error("an incident starts with its report, and has only one")]
    NotAReport,
}

/// An incident: its entries, and the state they add up to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incident {
    id: String,
    entries: Vec<Recorded>,
    current: Report,
}

impl Incident {
    /// Start an incident with its report, recorded at `now` by `actor`.
    pub fn report(
        id: impl Into<String>,
        report: Report,
        actor: impl Into<String>,
        now: Timestamp,
    ) -> Result<Incident, IncidentError> {
        check_report(&report, now)?;
        Ok(Incident {
            id: id.into(),
            current: report.clone(),
            entries: vec![Recorded {
                at: now,
                actor: actor.into(),
                entry: Entry::Reported(report),
            }],
        })
    }

    /// Rebuild an incident from its stored entries (the first must be the report). Entries are
    /// not checked again: they were checked when recorded.
    pub fn from_entries(
        id: impl Into<String>,
        entries: Vec<Recorded>,
    ) -> Result<Incident, IncidentError> {
        let Some(Recorded {
            entry: Entry::Reported(report),
            ..
        }) = entries.first()
        else {
            return Err(IncidentError::NotAReport);
        };
        let mut incident = Incident {
            id: id.into(),
            current: report.clone(),
            entries: Vec::with_capacity(entries.len()),
        };
        for (i, recorded) in entries.into_iter().enumerate() {
            if i > 0 && matches!(recorded.entry, Entry::Reported(_)) {
                return Err(IncidentError::NotAReport);
            }
            incident.fold(&recorded.entry);
            incident.entries.push(recorded);
        }
        Ok(incident)
    }

    /// The incident's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Every entry, oldest first.
    pub fn entries(&self) -> &[Recorded] {
        &self.entries
    }

    /// The report as it stands after re-assessments.
    pub fn current(&self) -> &Report {
        &self.current
    }

    /// When the 72 hours for notifying the authority end (Art. 33(1)).
    pub fn due_at(&self) -> Timestamp {
        // Adding 72 hours to any timestamp the report could carry stays far inside jiff's range
        // (years -9999..=9999); saturate rather than fail should it not.
        self.current
            .became_aware_at
            .checked_add(NOTIFICATION_WINDOW)
            .unwrap_or(Timestamp::MAX)
    }

    /// When the incident was closed, if it was.
    pub fn closed_at(&self) -> Option<Timestamp> {
        self.entries
            .iter()
            .find(|r| matches!(r.entry, Entry::Closed { .. }))
            .map(|r| r.at)
    }

    /// Whether the incident is still open.
    pub fn is_open(&self) -> bool {
        self.closed_at().is_none()
    }

    /// Where the notification to the authority stands.
    pub fn notification(&self) -> NotificationStatus {
        let mut first: Option<Timestamp> = None;
        let mut reference = None;
        let mut complete = false;
        for recorded in &self.entries {
            if let Entry::AuthorityNotified {
                phase,
                notified_at,
                authority_reference,
                ..
            } = &recorded.entry
            {
                first.get_or_insert(*notified_at);
                if authority_reference.is_some() {
                    reference.clone_from(authority_reference);
                }
                complete |= *phase == Phase::Final;
            }
        }
        if let Some(first_notified_at) = first {
            return NotificationStatus::Notified {
                first_notified_at,
                late: first_notified_at > self.due_at(),
                authority_reference: reference,
                complete,
            };
        }
        let not_required = self.entries.iter().rev().find_map(|r| match &r.entry {
            Entry::NotificationNotRequired { reason } => Some(reason.clone()),
            _ => None,
        });
        match not_required {
            // A decision not to notify stands only while the risk is still assessed as none.
            Some(reason) if self.current.risk == Risk::None => {
                NotificationStatus::NotRequired { reason }
            }
            _ => NotificationStatus::Due {
                due_at: self.due_at(),
            },
        }
    }

    /// Where the communication to the subjects stands.
    pub fn communication(&self) -> CommunicationStatus {
        let mut status = None;
        for recorded in &self.entries {
            match &recorded.entry {
                Entry::SubjectsInformed {
                    informed_at,
                    subjects,
                    ..
                } => {
                    status = Some(CommunicationStatus::Informed {
                        informed_at: *informed_at,
                        subjects: *subjects,
                    });
                }
                Entry::CommunicationNotRequired { ground, .. }
                    if !matches!(status, Some(CommunicationStatus::Informed { .. })) =>
                {
                    status = Some(CommunicationStatus::Exempt { ground: *ground });
                }
                _ => {}
            }
        }
        match status {
            Some(status) => status,
            None if self.current.risk == Risk::High => CommunicationStatus::Due,
            None => CommunicationStatus::NotRequired,
        }
    }

    /// Time left to notify the authority at `now` (negative once the 72 hours have passed), while
    /// the notification is still due.
    pub fn time_left(&self, now: Timestamp) -> Option<SignedDuration> {
        match self.notification() {
            NotificationStatus::Due { due_at } if self.is_open() => {
                Some(now.duration_until(due_at))
            }
            _ => None,
        }
    }

    /// What must still be done before the incident can close, in words.
    pub fn outstanding(&self) -> Vec<String> {
        self.outstanding_items()
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    /// What must still be done before the incident can close, as values a page can word in
    /// its own language; [`Incident::outstanding`] is their English text.
    pub fn outstanding_items(&self) -> Vec<Outstanding> {
        let mut outstanding = Vec::new();
        if let NotificationStatus::Due { due_at } = self.notification() {
            outstanding.push(Outstanding::Notification {
                due_at,
                may_document_instead: self.current.risk == Risk::None,
            });
        }
        if self.communication() == CommunicationStatus::Due {
            outstanding.push(Outstanding::Communication);
        }
        outstanding
    }

    /// Check that `entry` may be recorded at `now`, without recording it.
    pub fn check(&self, entry: &Entry, now: Timestamp) -> Result<(), IncidentError> {
        if !self.is_open() {
            return Err(IncidentError::Closed);
        }
        match entry {
            Entry::Reported(_) => Err(IncidentError::NotAReport),
            Entry::Reassessed {
                reason,
                consequences,
                measures,
                ..
            } => {
                not_blank(reason, "reason", "a re-assessment says what changed")?;
                if let Some(text) = consequences {
                    not_blank(
                        text,
                        "consequences",
                        "leave it out to keep the earlier text",
                    )?;
                }
                if let Some(text) = measures {
                    not_blank(text, "measures", "leave it out to keep the earlier text")?;
                }
                Ok(())
            }
            Entry::AuthorityNotified {
                phase,
                notified_at,
                authority_reference,
                late_reason,
                ..
            } => self.check_notification(
                *phase,
                *notified_at,
                authority_reference.as_deref(),
                late_reason.as_deref(),
                now,
            ),
            Entry::NotificationNotRequired { reason } => {
                not_blank(
                    reason,
                    "reason",
                    "Art. 33(5) requires documenting why the authority is not notified",
                )?;
                if matches!(self.notification(), NotificationStatus::Notified { .. }) {
                    return Err(IncidentError::NotAllowed(
                        "the authority has already been notified of this incident".into(),
                    ));
                }
                if self.current.risk != Risk::None {
                    return Err(IncidentError::NotAllowed(format!(
                        "the incident is assessed as `{}`: a breach likely to result in a risk must be notified (Art. 33(1)); if it is in fact unlikely to, record a re-assessment to `none` first",
                        self.current.risk
                    )));
                }
                Ok(())
            }
            Entry::SubjectsInformed {
                informed_at,
                subjects,
                message,
            } => {
                not_blank(
                    message,
                    "message",
                    "the subjects are told in clear and plain language what happened (Art. 34(2))",
                )?;
                not_after("informed_at", *informed_at, now)?;
                if *subjects == 0 {
                    return Err(IncidentError::NotAllowed(
                        "a communication to the subjects must reach at least one subject".into(),
                    ));
                }
                Ok(())
            }
            Entry::CommunicationNotRequired { explanation, .. } => {
                not_blank(
                    explanation,
                    "explanation",
                    "the ground must be shown to apply to this breach",
                )?;
                if self.current.risk != Risk::High {
                    return Err(IncidentError::NotAllowed(format!(
                        "the incident is assessed as `{}`: the subjects must be told only of a high-risk breach, so there is no exemption to record",
                        self.current.risk
                    )));
                }
                if matches!(self.communication(), CommunicationStatus::Informed { .. }) {
                    return Err(IncidentError::NotAllowed(
                        "the subjects have already been told of this incident".into(),
                    ));
                }
                Ok(())
            }
            Entry::Closed { summary } => {
                not_blank(summary, "summary", "a closed incident says what was done")?;
                let outstanding = self.outstanding();
                if outstanding.is_empty() {
                    Ok(())
                } else {
                    Err(IncidentError::NotAllowed(format!(
                        "the incident cannot be closed yet: {}",
                        outstanding.join("; ")
                    )))
                }
            }
        }
    }

    fn check_notification(
        &self,
        phase: Phase,
        notified_at: Timestamp,
        reference: Option<&str>,
        late_reason: Option<&str>,
        now: Timestamp,
    ) -> Result<(), IncidentError> {
        not_after("notified_at", notified_at, now)?;
        if notified_at < self.current.became_aware_at {
            return Err(IncidentError::BadTime {
                field: "notified_at",
                at: notified_at,
                problem: format!(
                    "is before the controller became aware of the breach ({})",
                    self.current.became_aware_at
                ),
            });
        }
        if let Some(reference) = reference {
            not_blank(
                reference,
                "authority_reference",
                "leave it out until the authority gives one",
            )?;
        }
        let status = self.notification();
        match (phase, &status) {
            (Phase::Initial, NotificationStatus::Notified { .. }) => Err(IncidentError::NotAllowed(
                "the authority has already been notified; further information is a `supplementary` or `final` phase (Art. 33(4))".into(),
            )),
            (Phase::Initial, _) => {
                if notified_at > self.due_at() {
                    let given = late_reason.is_some_and(|r| !r.trim().is_empty());
                    if !given {
                        return Err(IncidentError::Blank {
                            field: "late_reason",
                            why: "a notification made more than 72 hours after becoming aware must give the reasons for the delay (Art. 33(1))",
                        });
                    }
                }
                Ok(())
            }
            (_, NotificationStatus::Notified {
                complete: true, ..
            }) => Err(IncidentError::NotAllowed(
                "the final phase of the notification was already made".into(),
            )),
            (_, NotificationStatus::Notified {
                authority_reference,
                ..
            }) => {
                if reference.is_none() && authority_reference.is_none() {
                    return Err(IncidentError::Blank {
                        field: "authority_reference",
                        why: "a later phase names the case reference the authority gave the first notification",
                    });
                }
                Ok(())
            }
            (_, _) => Err(IncidentError::NotAllowed(format!(
                "a `{phase}` phase follows an `initial` notification, and there is none yet"
            ))),
        }
    }

    /// Check `entry` and record it at `now` as `actor`'s.
    pub fn record(
        &mut self,
        entry: Entry,
        actor: impl Into<String>,
        now: Timestamp,
    ) -> Result<&Recorded, IncidentError> {
        self.check(&entry, now)?;
        self.fold(&entry);
        self.entries.push(Recorded {
            at: now,
            actor: actor.into(),
            entry,
        });
        // Just pushed, so the list is not empty.
        self.entries.last().ok_or(IncidentError::NotAReport)
    }

    fn fold(&mut self, entry: &Entry) {
        if let Entry::Reassessed {
            risk,
            consequences,
            measures,
            ..
        } = entry
        {
            self.current.risk = *risk;
            if let Some(text) = consequences {
                self.current.consequences.clone_from(text);
            }
            if let Some(text) = measures {
                self.current.measures.clone_from(text);
            }
        }
    }
}

fn check_report(report: &Report, now: Timestamp) -> Result<(), IncidentError> {
    not_blank(
        &report.nature,
        "nature",
        "Art. 33(3)(a): describe the nature of the breach",
    )?;
    not_blank(
        &report.consequences,
        "consequences",
        "Art. 33(3)(c): describe the likely consequences",
    )?;
    not_blank(
        &report.measures,
        "measures",
        "Art. 33(3)(d): describe the measures taken or proposed",
    )?;
    if report.data_categories.is_empty() {
        return Err(IncidentError::Blank {
            field: "data_categories",
            why: "Art. 33(3)(a): name the categories of personal data concerned (the register's data category ids)",
        });
    }
    if report.subject_categories.is_empty() {
        return Err(IncidentError::Blank {
            field: "subject_categories",
            why: "Art. 33(3)(a): name the categories of data subjects concerned (the register's subject category ids)",
        });
    }
    not_after("became_aware_at", report.became_aware_at, now)?;
    if report.became_aware_at < skydd_register::GDPR_APPLIES {
        return Err(IncidentError::BadTime {
            field: "became_aware_at",
            at: report.became_aware_at,
            problem: format!(
                "is before the GDPR applies ({}): Art. 33 counts from a date after it; check the year",
                skydd_register::GDPR_APPLIES
            ),
        });
    }
    if let Some(occurred_at) = report.occurred_at
        && occurred_at > report.became_aware_at
    {
        return Err(IncidentError::BadTime {
            field: "occurred_at",
            at: occurred_at,
            problem: format!(
                "is after the controller became aware of the breach ({})",
                report.became_aware_at
            ),
        });
    }
    Ok(())
}

fn not_blank(text: &str, field: &'static str, why: &'static str) -> Result<(), IncidentError> {
    if text.trim().is_empty() {
        Err(IncidentError::Blank { field, why })
    } else {
        Ok(())
    }
}

fn not_after(field: &'static str, at: Timestamp, now: Timestamp) -> Result<(), IncidentError> {
    if at > now {
        Err(IncidentError::BadTime {
            field,
            at,
            problem: format!("is in the future (now is {now})"),
        })
    } else {
        Ok(())
    }
}
