//! The console's incident pages (Art. 33, 34): the list with each 72-hour clock, the report
//! form with every Art. 33(3) element, and one incident with what is outstanding, its
//! notifications and communications, and a form for each next step.
//!
//! Everything goes through the vault's incident operations, as `/v1/incidents` does: the model
//! (`skydd_incident`) decides what may be recorded when, and a refused step is shown on the
//! page with the model's own message, nothing recorded. Times are entered and shown in
//! Stockholm time.

use std::collections::BTreeMap;

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use jiff::{SignedDuration, Timestamp};
use skydd_incident::{
    CommunicationExemption, CommunicationStatus, Entry, Incident, NotificationStatus, Outstanding,
    Phase, Recorded, Report, Risk,
};
use skydd_register::model::Language;
use skydd_staff::permission::Permission;
use skydd_vault::VaultError;

use super::csrf::CsrfForm;
use super::frame::{Flash, Frame, Section};
use super::i18n;
use super::render::{ConsoleError, redirect_with, render};
use super::session::ConsoleUser;
use crate::state::AppState;

/// The incident pages' routes.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/incidents", get(list).post(report))
        .route("/console/incidents/new", get(new_form))
        .route("/console/incidents/{id}", get(show))
        .route("/console/incidents/{id}/{step}", post(step))
}

// ---------------------------------------------------------------------------------------------
// The 72-hour clock

/// Where an incident's 72-hour clock stands at a given `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Clock {
    /// The authority is still to be notified; `left` until the 72 hours end (zero at the very
    /// end, which is still in time).
    Running {
        /// Time left.
        left: SignedDuration,
    },
    /// The 72 hours have passed without a notification.
    Overdue {
        /// How long ago they ended.
        by: SignedDuration,
    },
    /// The authority was notified (`late`: after the 72 hours).
    Notified {
        /// Whether the first notification came after the 72 hours.
        late: bool,
    },
    /// Not notified, with the Art. 33(5) reason recorded.
    NotRequired,
    /// The incident is closed.
    Closed,
}

impl Clock {
    /// The clock of `incident` at `now`.
    pub(crate) fn of(incident: &Incident, now: Timestamp) -> Clock {
        if !incident.is_open() {
            return Clock::Closed;
        }
        match incident.notification() {
            NotificationStatus::Due { due_at } => {
                let left = now.duration_until(due_at);
                if left.is_negative() {
                    Clock::Overdue { by: -left }
                } else {
                    Clock::Running { left }
                }
            }
            NotificationStatus::Notified { late, .. } => Clock::Notified { late },
            NotificationStatus::NotRequired { .. } => Clock::NotRequired,
        }
    }

    /// Whether the page marks the clock as a problem (overdue, or notified late).
    pub(crate) fn is_problem(self) -> bool {
        matches!(self, Clock::Overdue { .. } | Clock::Notified { late: true })
    }

    /// The clock in words in `language` ("2 d 4 h 5 min left", "overdue by 20 min").
    pub(crate) fn words(self, language: Language) -> String {
        match self {
            Clock::Running { left } if left.is_zero() => {
                i18n::text("incidents.clock.due_now", language).to_owned()
            }
            Clock::Running { left } => {
                i18n::fill("incidents.clock.left", language, &duration(left))
            }
            Clock::Overdue { by } => i18n::fill("incidents.clock.overdue", language, &duration(by)),
            Clock::Notified { late: false } => {
                i18n::text("incidents.clock.notified", language).to_owned()
            }
            Clock::Notified { late: true } => {
                i18n::text("incidents.clock.notified_late", language).to_owned()
            }
            Clock::NotRequired => i18n::text("incidents.clock.not_required", language).to_owned(),
            Clock::Closed => i18n::text("incidents.clock.closed", language).to_owned(),
        }
    }
}

/// A duration in days, hours and whole minutes (`2 d 4 h 5 min`, `< 1 min`): the same units
/// in English and Swedish.
fn duration(span: SignedDuration) -> String {
    let minutes = span.as_secs().unsigned_abs() / 60;
    if minutes == 0 {
        return "< 1 min".to_owned();
    }
    let (days, hours, minutes) = (minutes / 1440, minutes / 60 % 24, minutes % 60);
    let mut parts = Vec::new();
    if days > 0 {
        parts.push(format!("{days} d"));
    }
    if hours > 0 {
        parts.push(format!("{hours} h"));
    }
    if minutes > 0 {
        parts.push(format!("{minutes} min"));
    }
    parts.join(" ")
}

// ---------------------------------------------------------------------------------------------
// Words for the model's values

fn risk_word(risk: Risk, language: Language) -> &'static str {
    let key = match risk {
        Risk::None => "incidents.risk.none",
        Risk::Risk => "incidents.risk.risk",
        Risk::High => "incidents.risk.high",
    };
    i18n::text(key, language)
}

fn phase_word(phase: Phase, language: Language) -> &'static str {
    let key = match phase {
        Phase::Initial => "incidents.phase.initial",
        Phase::Supplementary => "incidents.phase.supplementary",
        Phase::Final => "incidents.phase.final",
    };
    i18n::text(key, language)
}

fn ground_word(ground: CommunicationExemption, language: Language) -> String {
    let key = match ground {
        CommunicationExemption::Unintelligible => "incidents.ground.unintelligible",
        CommunicationExemption::RiskContained => "incidents.ground.risk_contained",
        CommunicationExemption::PublicCommunication => "incidents.ground.public_communication",
    };
    format!("{} ({})", i18n::text(key, language), ground.article())
}

fn kind_word(entry: &Entry, language: Language) -> &'static str {
    let key = match entry {
        Entry::Reported(_) => "incidents.kind.reported",
        Entry::Reassessed { .. } => "incidents.kind.reassessed",
        Entry::AuthorityNotified { .. } => "incidents.kind.authority_notified",
        Entry::NotificationNotRequired { .. } => "incidents.kind.notification_not_required",
        Entry::SubjectsInformed { .. } => "incidents.kind.subjects_informed",
        Entry::CommunicationNotRequired { .. } => "incidents.kind.communication_not_required",
        Entry::Closed { .. } => "incidents.kind.closed",
    };
    i18n::text(key, language)
}

fn outstanding_words(item: Outstanding, language: Language) -> String {
    match item {
        Outstanding::Notification {
            due_at,
            may_document_instead: true,
        } => i18n::fill(
            "incidents.outstanding.notify_or_document",
            language,
            &i18n::time(due_at),
        ),
        Outstanding::Notification { due_at, .. } => i18n::fill(
            "incidents.outstanding.notify",
            language,
            &i18n::time(due_at),
        ),
        Outstanding::Communication => {
            i18n::text("incidents.outstanding.communicate", language).to_owned()
        }
    }
}

/// The register's name of data category `id` in `language`, or the id when the register no
/// longer has it.
fn data_category_name(state: &AppState, id: &str, language: Language) -> String {
    state
        .vault()
        .register()
        .data
        .iter()
        .find(|c| c.id.0 == id)
        .map_or_else(|| id.to_owned(), |c| c.name.get(language).to_owned())
}

/// The register's name of subject category `id` in `language`, or the id.
fn subject_category_name(state: &AppState, id: &str, language: Language) -> String {
    state
        .vault()
        .register()
        .subjects
        .iter()
        .find(|c| c.id.0 == id)
        .map_or_else(|| id.to_owned(), |c| c.name.get(language).to_owned())
}

// ---------------------------------------------------------------------------------------------
// The list

/// One incident in the list.
struct ListRow {
    id: String,
    nature: String,
    risk: &'static str,
    became_aware: String,
    due: String,
    clock: String,
    problem: bool,
    outstanding: usize,
}

/// `templates/console/incidents.html`.
#[derive(Template)]
#[template(path = "console/incidents.html")]
struct ListPage {
    frame: Frame,
    open: Vec<ListRow>,
    closed: Vec<ListRow>,
    may_write: bool,
}

/// `GET /console/incidents`: open incidents first, the most urgent clock first; then the
/// closed ones, newest first.
async fn list(State(state): State<AppState>, user: ConsoleUser) -> Result<Response, ConsoleError> {
    user.require(Permission::IncidentsRead)?;
    let language = user.language;
    let mut incidents = state.vault().incidents().await?;
    incidents.sort_by_key(|i| (!i.is_open(), i.due_at()));
    let (open, closed): (Vec<_>, Vec<_>) = incidents.iter().partition(|i| i.is_open());
    let row = |incident: &Incident| {
        let clock = Clock::of(incident, user.now);
        ListRow {
            id: incident.id().to_owned(),
            nature: incident.current().nature.clone(),
            risk: risk_word(incident.current().risk, language),
            became_aware: i18n::time(incident.current().became_aware_at),
            due: i18n::time(incident.due_at()),
            clock: clock.words(language),
            problem: clock.is_problem(),
            outstanding: incident.outstanding_items().len(),
        }
    };
    let page = ListPage {
        frame: user.frame(Section::Incidents, "incidents.title"),
        open: open.into_iter().map(row).collect(),
        closed: closed.into_iter().rev().map(row).collect(),
        may_write: user.may(Permission::IncidentsWrite),
    };
    render(language, &page)
}

// ---------------------------------------------------------------------------------------------
// Refusals and what was typed

/// A step the model (or the form) refused: what is wrong and how to go on, shown above the
/// forms; nothing was recorded.
struct Refusal {
    what: String,
    help: String,
}

impl Refusal {
    /// A refusal in the console's words (a form that could not be read as a step).
    fn console(key: &str, language: Language) -> Refusal {
        Refusal {
            what: i18n::text(key, language).to_owned(),
            help: String::new(),
        }
    }
}

/// The vault's refusal of a step as the page shows it (the model's message, which never
/// holds a personal value); any other error stays an error page.
fn refused(error: VaultError) -> Result<Refusal, ConsoleError> {
    match error {
        VaultError::Invalid { what, help } => Ok(Refusal { what, help }),
        other => Err(other.into()),
    }
}

/// The fields of a form as sent, for showing them again after a refusal (descriptions of the
/// breach, never a subject's data: those are not typed here).
#[derive(Default)]
struct Given(BTreeMap<String, String>);

impl Given {
    /// What was typed into field `name`, or nothing.
    fn get(&self, name: &str) -> &str {
        self.0.get(name).map_or("", String::as_str)
    }

    /// Whether `value` was among the values of `name` (a ticked box, a chosen option).
    fn has(&self, name: &str, value: &str) -> bool {
        self.0
            .get(name)
            .is_some_and(|v| v.split('\n').any(|one| one == value))
    }
}

/// A form as a list of (name, value) pairs, read by name: several boxes of one name are
/// several pairs.
struct Fields(Vec<(String, String)>);

impl Fields {
    /// The first value of `name`, trimmed; `None` when missing or blank.
    fn one(&self, name: &str) -> Option<String> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    }

    /// The first value of `name` as typed ("" when missing), for required texts: the model
    /// says what a blank one lacks.
    fn text(&self, name: &str) -> String {
        self.one(name).unwrap_or_default()
    }

    /// Every value of `name`.
    fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.trim().to_owned())
            .filter(|v| !v.is_empty())
            .collect()
    }

    /// The form again, for [`Given`] (values of one name joined by line breaks).
    fn given(&self) -> Given {
        let mut given = BTreeMap::<String, String>::new();
        for (name, value) in &self.0 {
            if name == "_csrf" {
                continue;
            }
            given
                .entry(name.clone())
                .and_modify(|v| {
                    v.push('\n');
                    v.push_str(value);
                })
                .or_insert_with(|| value.clone());
        }
        Given(given)
    }
}

/// A time typed in Stockholm time (`2026-03-27T17:30` from a `datetime-local` field, or with a
/// space), as an instant; in the hour the clocks go back, the earlier of the two.
pub(crate) fn stockholm_time(text: &str) -> Option<Timestamp> {
    let text = text.trim().replacen(' ', "T", 1);
    let civil: jiff::civil::DateTime = text.parse().ok()?;
    let zoned = skydd_register::zone::stockholm()
        .to_ambiguous_zoned(civil)
        .compatible()
        .ok()?;
    Some(zoned.timestamp())
}

/// An optional time field: `Ok(None)` when blank, a refusal when it does not read as a time.
fn optional_time(
    fields: &Fields,
    name: &str,
    language: Language,
) -> Result<Option<Timestamp>, Refusal> {
    match fields.one(name) {
        None => Ok(None),
        Some(text) => stockholm_time(&text)
            .map(Some)
            .ok_or_else(|| Refusal::console("incidents.error.time", language)),
    }
}

/// An optional whole number: `Ok(None)` when blank.
fn optional_count(fields: &Fields, name: &str, language: Language) -> Result<Option<u64>, Refusal> {
    match fields.one(name) {
        None => Ok(None),
        Some(text) => text
            .parse::<u64>()
            .ok()
            .filter(|n| *n <= 9_007_199_254_740_991)
            .map(Some)
            .ok_or_else(|| Refusal::console("incidents.error.count", language)),
    }
}

fn parse_word<T: std::str::FromStr>(
    fields: &Fields,
    name: &str,
    language: Language,
) -> Result<T, Refusal> {
    fields
        .one(name)
        .and_then(|word| word.parse().ok())
        .ok_or_else(|| Refusal::console("incidents.error.choice", language))
}

// ---------------------------------------------------------------------------------------------
// The report form

/// A choice of the form: a value and its label.
struct Choice {
    value: String,
    label: String,
}

/// `templates/console/incident_new.html`.
#[derive(Template)]
#[template(path = "console/incident_new.html")]
struct NewPage {
    frame: Frame,
    data_categories: Vec<Choice>,
    subject_categories: Vec<Choice>,
    risks: Vec<Choice>,
    refusal: Option<Refusal>,
    given: Given,
}

fn risk_choices(language: Language) -> Vec<Choice> {
    Risk::ALL
        .iter()
        .map(|(risk, word)| Choice {
            value: (*word).to_owned(),
            label: risk_word(*risk, language).to_owned(),
        })
        .collect()
}

fn new_page(
    state: &AppState,
    user: &ConsoleUser,
    refusal: Option<Refusal>,
    given: Given,
) -> NewPage {
    let vault = state.vault();
    let register = vault.register();
    let language = user.language;
    NewPage {
        frame: user.frame(Section::Incidents, "incidents.new.title"),
        data_categories: register
            .data
            .iter()
            .map(|c| Choice {
                value: c.id.0.clone(),
                label: c.name.get(language).to_owned(),
            })
            .collect(),
        subject_categories: register
            .subjects
            .iter()
            .map(|c| Choice {
                value: c.id.0.clone(),
                label: c.name.get(language).to_owned(),
            })
            .collect(),
        risks: risk_choices(language),
        refusal,
        given,
    }
}

/// `GET /console/incidents/new`: the report form.
async fn new_form(
    State(state): State<AppState>,
    user: ConsoleUser,
) -> Result<Response, ConsoleError> {
    user.require(Permission::IncidentsWrite)?;
    let page = new_page(&state, &user, None, Given::default());
    render(user.language, &page)
}

/// The report the form describes.
fn report_of(fields: &Fields, language: Language) -> Result<Report, Refusal> {
    let became_aware_at = optional_time(fields, "became_aware_at", language)?
        .ok_or_else(|| Refusal::console("incidents.error.aware", language))?;
    Ok(Report {
        became_aware_at,
        occurred_at: optional_time(fields, "occurred_at", language)?,
        nature: fields.text("nature"),
        data_categories: fields.all("data_categories"),
        subject_categories: fields.all("subject_categories"),
        approx_subjects: optional_count(fields, "approx_subjects", language)?,
        approx_records: optional_count(fields, "approx_records", language)?,
        consequences: fields.text("consequences"),
        measures: fields.text("measures"),
        risk: parse_word(fields, "risk", language)?,
    })
}

/// `POST /console/incidents`: document a breach; on to its page, or the form again with the
/// refusal and what was typed.
async fn report(
    _: super::csrf::Permits<crate::auth::need::IncidentsWrite>,
    State(state): State<AppState>,
    CsrfForm(user, form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, ConsoleError> {
    user.require(Permission::IncidentsWrite)?;
    let fields = Fields(form);
    let refusal = match report_of(&fields, user.language) {
        Ok(report) => match state
            .vault()
            .report_incident(&user.actor(), report, user.now)
            .await
        {
            Ok(incident) => {
                return Ok(redirect_with(
                    &format!("/console/incidents/{}", incident.id()),
                    Flash::done("incidents.done.reported"),
                ));
            }
            Err(error) => refused(error)?,
        },
        Err(refusal) => refusal,
    };
    let page = new_page(&state, &user, Some(refusal), fields.given());
    let mut response = render(user.language, &page)?;
    *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(response)
}

// ---------------------------------------------------------------------------------------------
// One incident

/// A labelled value of the report or an entry.
struct Item {
    label: &'static str,
    value: String,
}

/// One entry of the incident's history.
struct EntryRow {
    at: String,
    actor: String,
    kind: &'static str,
    details: Vec<Item>,
}

/// One phase of the notification to the authority.
struct NotificationRow {
    phase: &'static str,
    notified_at: String,
    reference: String,
    late_reason: String,
    summary: String,
}

/// `templates/console/incident.html`.
#[derive(Template)]
#[template(path = "console/incident.html")]
struct IncidentPage {
    frame: Frame,
    id: String,
    open: bool,
    risk: &'static str,
    clock: String,
    problem: bool,
    due: String,
    due_at: String,
    outstanding: Vec<String>,
    report: Vec<Item>,
    notification: String,
    notifications: Vec<NotificationRow>,
    communication: String,
    entries: Vec<EntryRow>,
    may_write: bool,
    risks: Vec<Choice>,
    phases: Vec<Choice>,
    grounds: Vec<Choice>,
    refusal: Option<Refusal>,
    given: Given,
}

impl IncidentPage {
    /// Where the form of `step` posts to.
    fn form_action(&self, step: &str) -> String {
        format!("/console/incidents/{}/{step}", self.id)
    }
}

fn optional(value: Option<&str>) -> String {
    value.unwrap_or("").to_owned()
}

fn report_items(state: &AppState, report: &Report, language: Language) -> Vec<Item> {
    let none = || i18n::text("incidents.unknown", language).to_owned();
    let count = |n: Option<u64>| n.map_or_else(none, |n| n.to_string());
    vec![
        Item {
            label: "incidents.field.became_aware_at",
            value: i18n::time(report.became_aware_at),
        },
        Item {
            label: "incidents.field.occurred_at",
            value: report.occurred_at.map_or_else(none, i18n::time),
        },
        Item {
            label: "incidents.field.nature",
            value: report.nature.clone(),
        },
        Item {
            label: "incidents.field.data_categories",
            value: report
                .data_categories
                .iter()
                .map(|c| data_category_name(state, c, language))
                .collect::<Vec<_>>()
                .join(", "),
        },
        Item {
            label: "incidents.field.subject_categories",
            value: report
                .subject_categories
                .iter()
                .map(|c| subject_category_name(state, c, language))
                .collect::<Vec<_>>()
                .join(", "),
        },
        Item {
            label: "incidents.field.approx_subjects",
            value: count(report.approx_subjects),
        },
        Item {
            label: "incidents.field.approx_records",
            value: count(report.approx_records),
        },
        Item {
            label: "incidents.field.consequences",
            value: report.consequences.clone(),
        },
        Item {
            label: "incidents.field.measures",
            value: report.measures.clone(),
        },
        Item {
            label: "incidents.field.risk",
            value: risk_word(report.risk, language).to_owned(),
        },
    ]
}

fn entry_details(entry: &Entry, language: Language) -> Vec<Item> {
    let item = |label, value: String| Item { label, value };
    match entry {
        Entry::Reported(report) => vec![
            item("incidents.field.nature", report.nature.clone()),
            item(
                "incidents.field.risk",
                risk_word(report.risk, language).to_owned(),
            ),
        ],
        Entry::Reassessed {
            risk,
            reason,
            consequences,
            measures,
        } => {
            let mut items = vec![
                item(
                    "incidents.field.risk",
                    risk_word(*risk, language).to_owned(),
                ),
                item("incidents.field.reason", reason.clone()),
            ];
            if let Some(text) = consequences {
                items.push(item("incidents.field.consequences", text.clone()));
            }
            if let Some(text) = measures {
                items.push(item("incidents.field.measures", text.clone()));
            }
            items
        }
        Entry::AuthorityNotified {
            phase,
            notified_at,
            authority_reference,
            ..
        } => vec![
            item(
                "incidents.field.phase",
                phase_word(*phase, language).to_owned(),
            ),
            item("incidents.field.notified_at", i18n::time(*notified_at)),
            item(
                "incidents.field.reference",
                optional(authority_reference.as_deref()),
            ),
        ],
        Entry::NotificationNotRequired { reason } => {
            vec![item("incidents.field.reason", reason.clone())]
        }
        Entry::SubjectsInformed {
            informed_at,
            subjects,
            message,
        } => vec![
            item("incidents.field.informed_at", i18n::time(*informed_at)),
            item("incidents.field.subjects_reached", subjects.to_string()),
            item("incidents.field.message", message.clone()),
        ],
        Entry::CommunicationNotRequired {
            ground,
            explanation,
        } => vec![
            item("incidents.field.ground", ground_word(*ground, language)),
            item("incidents.field.explanation", explanation.clone()),
        ],
        Entry::Closed { summary } => vec![item("incidents.field.summary", summary.clone())],
    }
    .into_iter()
    .filter(|i| !i.value.is_empty())
    .collect()
}

fn notification_words(incident: &Incident, language: Language) -> String {
    match incident.notification() {
        NotificationStatus::Due { due_at } => {
            i18n::fill("incidents.notification.due", language, &i18n::time(due_at))
        }
        NotificationStatus::Notified {
            first_notified_at,
            late,
            authority_reference,
            complete,
        } => {
            let mut words = i18n::fill(
                "incidents.notification.notified",
                language,
                &i18n::time(first_notified_at),
            );
            if late {
                words.push(' ');
                words.push_str(i18n::text("incidents.notification.late", language));
            }
            if let Some(reference) = authority_reference {
                words.push(' ');
                words.push_str(&i18n::fill(
                    "incidents.notification.reference",
                    language,
                    &reference,
                ));
            }
            words.push(' ');
            words.push_str(i18n::text(
                if complete {
                    "incidents.notification.complete"
                } else {
                    "incidents.notification.incomplete"
                },
                language,
            ));
            words
        }
        NotificationStatus::NotRequired { reason } => {
            i18n::fill("incidents.notification.not_required", language, &reason)
        }
    }
}

fn communication_words(incident: &Incident, language: Language) -> String {
    match incident.communication() {
        CommunicationStatus::NotRequired => {
            i18n::text("incidents.communication.not_required", language).to_owned()
        }
        CommunicationStatus::Due => i18n::text("incidents.communication.due", language).to_owned(),
        CommunicationStatus::Informed {
            informed_at,
            subjects,
        } => format!(
            "{} {}",
            i18n::fill(
                "incidents.communication.informed",
                language,
                &i18n::time(informed_at)
            ),
            i18n::fill(
                "incidents.communication.reached",
                language,
                &subjects.to_string()
            ),
        ),
        CommunicationStatus::Exempt { ground } => i18n::fill(
            "incidents.communication.exempt",
            language,
            &ground_word(ground, language),
        ),
    }
}

fn notification_rows(entries: &[Recorded], language: Language) -> Vec<NotificationRow> {
    entries
        .iter()
        .filter_map(|recorded| match &recorded.entry {
            Entry::AuthorityNotified {
                phase,
                notified_at,
                authority_reference,
                late_reason,
                summary,
            } => Some(NotificationRow {
                phase: phase_word(*phase, language),
                notified_at: i18n::time(*notified_at),
                reference: optional(authority_reference.as_deref()),
                late_reason: optional(late_reason.as_deref()),
                summary: optional(summary.as_deref()),
            }),
            _ => None,
        })
        .collect()
}

fn incident_page(
    state: &AppState,
    user: &ConsoleUser,
    incident: &Incident,
    refusal: Option<Refusal>,
    given: Given,
) -> IncidentPage {
    let language = user.language;
    let clock = Clock::of(incident, user.now);
    let mut frame = user.frame(Section::Incidents, "incidents.incident.title");
    frame.title = i18n::fill(
        "incidents.incident.title",
        language,
        &incident.id()[..8.min(incident.id().len())],
    );
    IncidentPage {
        frame,
        id: incident.id().to_owned(),
        open: incident.is_open(),
        risk: risk_word(incident.current().risk, language),
        clock: clock.words(language),
        problem: clock.is_problem(),
        due: i18n::time(incident.due_at()),
        due_at: incident.due_at().to_string(),
        outstanding: incident
            .outstanding_items()
            .into_iter()
            .map(|item| outstanding_words(item, language))
            .collect(),
        report: report_items(state, incident.current(), language),
        notification: notification_words(incident, language),
        notifications: notification_rows(incident.entries(), language),
        communication: communication_words(incident, language),
        entries: incident
            .entries()
            .iter()
            .map(|recorded| EntryRow {
                at: i18n::time(recorded.at),
                actor: recorded.actor.clone(),
                kind: kind_word(&recorded.entry, language),
                details: entry_details(&recorded.entry, language),
            })
            .collect(),
        may_write: user.may(Permission::IncidentsWrite) && incident.is_open(),
        risks: risk_choices(language),
        phases: Phase::ALL
            .iter()
            .map(|(phase, word)| Choice {
                value: (*word).to_owned(),
                label: phase_word(*phase, language).to_owned(),
            })
            .collect(),
        grounds: CommunicationExemption::ALL
            .iter()
            .map(|(ground, word)| Choice {
                value: (*word).to_owned(),
                label: ground_word(*ground, language),
            })
            .collect(),
        refusal,
        given,
    }
}

async fn find(state: &AppState, id: &str) -> Result<Incident, ConsoleError> {
    state
        .vault()
        .incident(id)
        .await?
        .ok_or(ConsoleError::NotFound)
}

/// `GET /console/incidents/{id}`.
async fn show(
    State(state): State<AppState>,
    Path(id): Path<String>,
    user: ConsoleUser,
) -> Result<Response, ConsoleError> {
    user.require(Permission::IncidentsRead)?;
    let incident = find(&state, &id).await?;
    let page = incident_page(&state, &user, &incident, None, Given::default());
    render(user.language, &page)
}

/// The entry a step's form describes (`communications` is not an entry of its own: the vault
/// queues the letters and records it).
fn entry_of(
    step: &str,
    fields: &Fields,
    now: Timestamp,
    language: Language,
) -> Result<Entry, Refusal> {
    Ok(match step {
        "assessments" => Entry::Reassessed {
            risk: parse_word(fields, "risk", language)?,
            reason: fields.text("reason"),
            consequences: fields.one("consequences"),
            measures: fields.one("measures"),
        },
        "notifications" => Entry::AuthorityNotified {
            phase: parse_word(fields, "phase", language)?,
            notified_at: optional_time(fields, "notified_at", language)?.unwrap_or(now),
            authority_reference: fields.one("authority_reference"),
            late_reason: fields.one("late_reason"),
            summary: fields.one("summary"),
        },
        "no-notification" => Entry::NotificationNotRequired {
            reason: fields.text("reason"),
        },
        "communication-exemption" => Entry::CommunicationNotRequired {
            ground: parse_word(fields, "ground", language)?,
            explanation: fields.text("explanation"),
        },
        "close" => Entry::Closed {
            summary: fields.text("summary"),
        },
        _ => return Err(Refusal::console("incidents.error.step", language)),
    })
}

/// The flash message of a step that was recorded.
fn done_key(step: &str) -> &'static str {
    match step {
        "assessments" => "incidents.done.assessed",
        "notifications" => "incidents.done.notified",
        "no-notification" => "incidents.done.not_notified",
        "communications" => "incidents.done.communicated",
        "communication-exemption" => "incidents.done.exempted",
        _ => "incidents.done.closed",
    }
}

/// The steps a form may post to.
const STEPS: [&str; 6] = [
    "assessments",
    "notifications",
    "no-notification",
    "communications",
    "communication-exemption",
    "close",
];

/// `POST /console/incidents/{id}/{step}`: record one step (a re-assessment, a notification
/// phase, the Art. 33(5) reason, the communication or its Art. 34(3) ground, the closing).
/// Recorded: back to the incident with a message. Refused: the incident again with the model's
/// message and what was typed, status 422.
async fn step(
    _: super::csrf::Permits<crate::auth::need::IncidentsWrite>,
    State(state): State<AppState>,
    Path((id, step)): Path<(String, String)>,
    CsrfForm(user, form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, ConsoleError> {
    user.require(Permission::IncidentsWrite)?;
    let Some(step) = STEPS.into_iter().find(|s| *s == step) else {
        return Err(ConsoleError::NotFound);
    };
    let incident = find(&state, &id).await?;
    let fields = Fields(form);
    let actor = user.actor();
    let outcome = if step == "communications" {
        let subjects = fields
            .text("subjects")
            .split(|c: char| c.is_whitespace() || c == ',')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        state
            .vault()
            .inform_subjects_of_incident(&actor, &id, fields.text("message"), subjects, user.now)
            .await
            .map(|_| ())
    } else {
        match entry_of(step, &fields, user.now, user.language) {
            Ok(entry) => state
                .vault()
                .record_incident_entry(&actor, &id, entry, user.now)
                .await
                .map(|_| ()),
            Err(refusal) => return refuse(&state, &user, &incident, refusal, &fields),
        }
    };
    match outcome {
        Ok(()) => Ok(redirect_with(
            &format!("/console/incidents/{id}"),
            Flash::done(done_key(step)),
        )),
        Err(VaultError::UnknownSubject) => refuse(
            &state,
            &user,
            &incident,
            Refusal::console("incidents.error.subject", user.language),
            &fields,
        ),
        Err(error) => {
            let refusal = refused(error)?;
            refuse(&state, &user, &incident, refusal, &fields)
        }
    }
}

/// The incident page again with `refusal` and the form as typed, status 422.
fn refuse(
    state: &AppState,
    user: &ConsoleUser,
    incident: &Incident,
    refusal: Refusal,
    fields: &Fields,
) -> Result<Response, ConsoleError> {
    let page = incident_page(state, user, incident, Some(refusal), fields.given());
    let mut response = render(user.language, &page)?;
    *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(response.into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn incident(aware: &str) -> Incident {
        let report = Report {
            became_aware_at: at(aware),
            occurred_at: None,
            nature: "A misdirected e-mail".into(),
            data_categories: vec!["contact".into()],
            subject_categories: vec!["customer".into()],
            approx_subjects: Some(1),
            approx_records: Some(1),
            consequences: "Little".into(),
            measures: "Asked the recipient to delete it".into(),
            risk: Risk::Risk,
        };
        Incident::report("0123456789abcdef0123456789abcdef", report, "dpo", at(aware)).unwrap()
    }

    #[test]
    fn the_clock_runs_until_72_hours_and_then_is_overdue() {
        // Aware on Friday 27 March 2026 at 17:30 in Stockholm (CET); the clocks go forward on
        // Sunday 29 March, so the 72 hours end on Monday at 18:30 CEST, 16:30 UTC.
        let incident = incident("2026-03-27T16:30:00Z");
        assert_eq!(i18n::time(incident.due_at()), "2026-03-30 18:30");
        let cases = [
            ("2026-03-27T16:30:00Z", "3 d left", "3 d kvar"),
            (
                "2026-03-29T01:00:00Z",
                "1 d 15 h 30 min left",
                "1 d 15 h 30 min kvar",
            ),
            ("2026-03-30T16:29:30Z", "< 1 min left", "< 1 min kvar"),
            ("2026-03-30T16:30:00Z", "Due now", "Ska anmälas nu"),
            (
                "2026-03-30T16:31:00Z",
                "Overdue by 1 min",
                "Försenad med 1 min",
            ),
            (
                "2026-04-01T18:45:00Z",
                "Overdue by 2 d 2 h 15 min",
                "Försenad med 2 d 2 h 15 min",
            ),
        ];
        for (now, en, sv) in cases {
            let clock = Clock::of(&incident, at(now));
            assert_eq!(clock.words(Language::En), en, "{now}");
            assert_eq!(clock.words(Language::Sv), sv, "{now}");
            assert_eq!(clock.is_problem(), en.starts_with("Overdue"), "{now}");
        }
    }

    #[test]
    fn a_notified_or_closed_incident_has_no_running_clock() {
        let mut late = incident("2026-03-27T16:30:00Z");
        let now = at("2026-04-01T09:00:00Z");
        late.record(
            Entry::AuthorityNotified {
                phase: Phase::Initial,
                notified_at: now,
                authority_reference: None,
                late_reason: Some("The breach was found on a holiday weekend".into()),
                summary: None,
            },
            "dpo",
            now,
        )
        .unwrap();
        assert_eq!(Clock::of(&late, now), Clock::Notified { late: true });
        assert!(Clock::of(&late, now).is_problem());
        late.record(
            Entry::Closed {
                summary: "Done".into(),
            },
            "dpo",
            now,
        )
        .unwrap();
        assert_eq!(Clock::of(&late, now), Clock::Closed);
    }

    #[test]
    fn times_are_typed_in_stockholm_time() {
        for (typed, instant) in [
            ("2026-03-27T17:30", "2026-03-27T16:30:00Z"),
            ("2026-03-27 17:30", "2026-03-27T16:30:00Z"),
            ("2026-07-01T12:00:00", "2026-07-01T10:00:00Z"),
            // 02:30 on 29 March does not exist in Stockholm: the compatible reading is 03:30.
            ("2026-03-29T02:30", "2026-03-29T01:30:00Z"),
            // 02:30 on 25 October happens twice: the earlier (summer time) is taken.
            ("2026-10-25T02:30", "2026-10-25T00:30:00Z"),
        ] {
            assert_eq!(stockholm_time(typed), Some(at(instant)), "{typed}");
        }
        for bad in ["", "yesterday", "2026-13-01T10:00", "27/3/2026 17:30"] {
            assert_eq!(stockholm_time(bad), None, "{bad}");
        }
    }

    /// Every catalog key the incident and subject pages name in their code (labels, words of
    /// the model's values, messages) is in the catalog; the templates' keys are checked by
    /// `i18n`'s own test.
    #[test]
    fn every_key_of_these_pages_is_in_the_catalog() {
        let mut checked = 0;
        for source in [include_str!("incidents.rs"), include_str!("subjects.rs")] {
            for prefix in ["\"incidents.", "\"subjects."] {
                for (at, _) in source.match_indices(prefix) {
                    let rest = &source[at + 1..];
                    let key = &rest[..rest.find('"').unwrap()];
                    if key.ends_with('.') || key.ends_with(".rs") {
                        continue;
                    }
                    assert_ne!(
                        i18n::text(key, Language::En),
                        key,
                        "`{key}` is not in the catalog"
                    );
                    checked += 1;
                }
            }
        }
        assert!(checked > 60, "keys were found ({checked})");
    }

    #[test]
    fn durations_are_days_hours_and_minutes() {
        for (seconds, words) in [
            (59, "< 1 min"),
            (60, "1 min"),
            (3600, "1 h"),
            (90_000, "1 d 1 h"),
            (259_200, "3 d"),
            (-3_660, "1 h 1 min"),
        ] {
            assert_eq!(duration(SignedDuration::from_secs(seconds)), words);
        }
    }

    #[test]
    fn forms_read_repeated_boxes_and_blank_fields() {
        let fields = Fields(vec![
            ("_csrf".into(), "t".into()),
            ("data_categories".into(), "contact".into()),
            ("data_categories".into(), "work_items".into()),
            ("nature".into(), "  ".into()),
            ("risk".into(), "high".into()),
        ]);
        assert_eq!(fields.all("data_categories"), ["contact", "work_items"]);
        assert_eq!(fields.one("nature"), None);
        assert_eq!(fields.text("nature"), "");
        let given = fields.given();
        assert!(given.has("data_categories", "work_items"));
        assert!(!given.has("data_categories", "work"));
        assert_eq!(given.get("_csrf"), "");
        assert_eq!(given.get("risk"), "high");
    }
}
