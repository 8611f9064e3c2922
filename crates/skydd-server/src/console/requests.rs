//! The request queue, the request page and staff intake: a data-subject request worked from
//! arrival to completion in the console (issue 17).
//!
//! Every page and form goes through the operations the API uses (the vault's requests,
//! `App::submit_request`, `App::fulfil_request`, `App::access_package`, `App::erasure_plan`):
//! the handlers here read a form, call one operation and show its answer, nothing more. The
//! queue's marks come from [`Urgency`], the deadline and its extension from the request. A
//! request's personal data (its subject, the data found, the outcome) is shown only to a role
//! with `RequestsData` and, for support, only in a request assigned to them
//! ([`Principal::require_request_data`], the rule the API applies).

use askama::Template;
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use axum::routing::{get, post};
use jiff::Timestamp;
use serde::Deserialize;
use skydd_register::model::Language;
use skydd_register::zone::stockholm;
use skydd_requests::{RequestState, RequestType, Urgency};
use skydd_staff::permission::Permission;
use skydd_storage::AuditFilter;
use skydd_vault::{
    AssigneeFilter, AuditEvent, Correction, FulfilInput, LetterView, NewRequest, RequestAsked,
    RequestQuery, RequestView, StateFilter, parse_request_type,
};

use super::csrf::CsrfForm;
use super::frame::{Flash, Frame, Section};
use super::render::{ConsoleError, redirect_with, render};
use super::session::ConsoleUser;
use crate::auth::Principal;
use crate::state::AppState;

/// Requests shown per page of the queue.
pub(crate) const PAGE_SIZE: usize = 25;

/// The console's request routes.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/requests", get(queue))
        .route("/console/requests/new", get(intake_form).post(intake))
        .route("/console/requests/{id}", get(request_page))
        .route("/console/requests/{id}/data", get(data_page))
        .route(
            "/console/requests/{id}/erasure-plan",
            get(erasure_plan_page),
        )
        .route("/console/requests/{id}/assign", post(assign))
        .route("/console/requests/{id}/extend", post(extend))
        .route("/console/requests/{id}/identity", post(confirm_identity))
        .route("/console/requests/{id}/reject", post(reject))
        .route("/console/requests/{id}/fulfil", post(fulfil))
}

// -- Words -----------------------------------------------------------------------------------

/// The catalog key of a request type's name.
pub(crate) fn type_key(request_type: RequestType) -> &'static str {
    match request_type {
        RequestType::Access => "requests.type.access",
        RequestType::Portability => "requests.type.portability",
        RequestType::Rectification => "requests.type.rectification",
        RequestType::Erasure => "requests.type.erasure",
        RequestType::Restriction => "requests.type.restriction",
        RequestType::Objection => "requests.type.objection",
        RequestType::WithdrawConsent => "requests.type.withdraw_consent",
        RequestType::MarketingOptOut => "requests.type.marketing_opt_out",
        RequestType::SafeguardCopy => "requests.type.safeguard_copy",
        RequestType::Complaint => "requests.type.complaint",
    }
}

/// The catalog key of a request state's name.
pub(crate) fn state_key(state: RequestState) -> &'static str {
    match state {
        RequestState::Received => "requests.state.received",
        RequestState::Verifying => "requests.state.verifying",
        RequestState::Verified => "requests.state.verified",
        RequestState::InProgress => "requests.state.in_progress",
        RequestState::Completed => "requests.state.completed",
        RequestState::Rejected => "requests.state.rejected",
    }
}

/// The catalog key of an urgency mark.
pub(crate) fn urgency_key(urgency: Urgency) -> &'static str {
    match urgency {
        Urgency::Overdue => "requests.urgency.overdue",
        Urgency::DueThisWeek => "requests.urgency.this_week",
        Urgency::Later => "requests.urgency.later",
    }
}

/// A request's deadline as the console shows it: the due day's end in Stockholm time and,
/// when extended (Art. 12(3)), by how many months.
#[derive(Debug, Clone)]
pub(crate) struct DueView {
    /// The end of the due day, Stockholm time.
    pub(crate) due: String,
    /// The months added by an extension (0 when not extended).
    pub(crate) extended_months: u32,
    /// Overdue, due this week, or later; `None` for a closed request.
    pub(crate) urgency: Option<Urgency>,
}

impl DueView {
    /// The deadline of `view` at `now`.
    pub(crate) fn of(view: &RequestView, now: Timestamp) -> DueView {
        DueView {
            due: super::i18n::time(view.due_at),
            extended_months: view.extended_months,
            urgency: view
                .closed_at
                .is_none()
                .then(|| Urgency::at(view.due_at, now, &stockholm())),
        }
    }

    /// The mark's CSS class (`tag problem` for overdue); empty when unmarked.
    pub(crate) fn class(&self) -> &'static str {
        match self.urgency {
            Some(Urgency::Overdue) => "tag problem",
            Some(Urgency::DueThisWeek) => "tag",
            _ => "",
        }
    }

    /// The mark's catalog key, when marked.
    pub(crate) fn mark(&self) -> Option<&'static str> {
        match self.urgency {
            Some(u @ (Urgency::Overdue | Urgency::DueThisWeek)) => Some(urgency_key(u)),
            _ => None,
        }
    }
}

/// Whether `user` may see the personal data of a request assigned to `assignee`: the API's
/// rule, through the same function.
fn may_read_data(user: &ConsoleUser, assignee: Option<&str>) -> bool {
    staff_principal(user).require_request_data(assignee).is_ok()
}

/// The principal of a console user, for the rules `auth` keeps.
fn staff_principal(user: &ConsoleUser) -> Principal {
    Principal::staff(user.account_id.clone(), user.session_id.clone(), user.role)
}

/// How an assignee is shown: "you", or the account id.
fn assignee_label(user: &ConsoleUser, frame: &Frame, assignee: Option<&str>) -> String {
    match assignee {
        None => frame.t("requests.assignee.nobody").to_owned(),
        Some(id) if id == user.account_id => frame.t("requests.assignee.you").to_owned(),
        Some(id) => id.to_owned(),
    }
}

// -- The queue -------------------------------------------------------------------------------

/// The queue's GET form. Unknown fields (the language switch's `lang`) are ignored.
#[derive(Debug, Default, Deserialize)]
struct QueueQuery {
    /// `open` (default), `all`, or a state's word.
    #[serde(default)]
    state: Option<String>,
    /// A request type's word, or empty for all.
    #[serde(default, rename = "type")]
    request_type: Option<String>,
    /// `me`, `nobody`, or empty for anyone.
    #[serde(default)]
    assignee: Option<String>,
    /// The page, from 1.
    #[serde(default)]
    page: Option<usize>,
}

/// One row of the queue.
struct QueueRow {
    id: String,
    short_id: String,
    type_key: &'static str,
    state_key: &'static str,
    received: String,
    due: DueView,
    assignee: String,
}

/// One choice of a filter's `<select>`.
struct Choice {
    value: &'static str,
    label_key: &'static str,
    selected: bool,
}

#[derive(Template)]
#[template(path = "console/requests.html")]
struct QueuePage {
    frame: Frame,
    rows: Vec<QueueRow>,
    states: Vec<Choice>,
    types: Vec<Choice>,
    assignees: Vec<Choice>,
    total: usize,
    page: usize,
    pages: usize,
    previous: Option<String>,
    next: Option<String>,
    may_intake: bool,
}

/// The query string of the queue with `page`, keeping the filters.
fn queue_link(query: &QueueQuery, page: usize) -> String {
    let mut pairs = vec![];
    if let Some(state) = query.state.as_deref().filter(|s| !s.is_empty()) {
        pairs.push(("state", state.to_owned()));
    }
    if let Some(t) = query.request_type.as_deref().filter(|s| !s.is_empty()) {
        pairs.push(("type", t.to_owned()));
    }
    if let Some(a) = query.assignee.as_deref().filter(|s| !s.is_empty()) {
        pairs.push(("assignee", a.to_owned()));
    }
    pairs.push(("page", page.to_string()));
    let encoded = serde_urlencoded::to_string(&pairs).unwrap_or_default();
    format!("/console/requests?{encoded}")
}

/// `GET /console/requests`: open requests by due date, marked, filtered, in pages.
async fn queue(
    State(state): State<AppState>,
    user: ConsoleUser,
    RawQuery(raw): RawQuery,
) -> Result<Response, ConsoleError> {
    user.require(Permission::RequestsRead)?;
    let query: QueueQuery = serde_urlencoded::from_str(raw.as_deref().unwrap_or(""))
        .map_err(|_| ConsoleError::BadForm)?;
    let state_word = query
        .state
        .as_deref()
        .filter(|s| !s.is_empty())
        .unwrap_or("open");
    let state_filter = match state_word {
        "all" => None,
        word => Some(StateFilter::parse(word).map_err(|_| ConsoleError::BadForm)?),
    };
    let type_filter = query
        .request_type
        .as_deref()
        .filter(|s| !s.is_empty())
        .map(parse_request_type)
        .transpose()
        .map_err(|_| ConsoleError::BadForm)?;
    let assignee_word = query.assignee.as_deref().unwrap_or("");
    let assignee = match assignee_word {
        "" => None,
        "me" => Some(AssigneeFilter::Is(user.account_id.clone())),
        "nobody" => Some(AssigneeFilter::Nobody),
        _ => return Err(ConsoleError::BadForm),
    };
    let views = state
        .vault()
        .list_requests(
            &user.actor(),
            RequestQuery {
                state: state_filter,
                assignee,
                ..RequestQuery::default()
            },
            user.now,
        )
        .await?;
    let matching: Vec<RequestView> = views
        .into_iter()
        .filter(|v| type_filter.is_none_or(|t| v.request_type == t))
        .collect();
    let total = matching.len();
    let pages = total.div_ceil(PAGE_SIZE).max(1);
    let page = query.page.unwrap_or(1).clamp(1, pages);
    let frame = user.frame(Section::Requests, "requests.title");
    let rows = matching
        .iter()
        .skip((page - 1) * PAGE_SIZE)
        .take(PAGE_SIZE)
        .map(|v| QueueRow {
            short_id: v.id.chars().take(8).collect(),
            id: v.id.clone(),
            type_key: type_key(v.request_type),
            state_key: state_key(v.state),
            received: super::i18n::time(v.received_at),
            due: DueView::of(v, user.now),
            assignee: assignee_label(&user, &frame, v.assignee.as_deref()),
        })
        .collect();
    let states = ["open", "all"]
        .into_iter()
        .map(|w| {
            (
                w,
                if w == "open" {
                    "requests.filter.open"
                } else {
                    "requests.filter.all"
                },
            )
        })
        .chain(
            RequestState::ALL
                .iter()
                .map(|s| (s.as_str(), state_key(*s))),
        )
        .map(|(value, label_key)| Choice {
            value,
            label_key,
            selected: value == state_word,
        })
        .collect();
    let type_word = query.request_type.as_deref().unwrap_or("");
    let types = std::iter::once(("", "requests.filter.any_type"))
        .chain(RequestType::ALL.iter().map(|t| (t.as_str(), type_key(*t))))
        .map(|(value, label_key)| Choice {
            value,
            label_key,
            selected: value == type_word,
        })
        .collect();
    let assignees = [
        ("", "requests.filter.anyone"),
        ("me", "requests.filter.me"),
        ("nobody", "requests.filter.nobody"),
    ]
    .into_iter()
    .map(|(value, label_key)| Choice {
        value,
        label_key,
        selected: value == assignee_word,
    })
    .collect();
    render(
        user.language,
        &QueuePage {
            rows,
            states,
            types,
            assignees,
            total,
            page,
            pages,
            previous: (page > 1).then(|| queue_link(&query, page - 1)),
            next: (page < pages).then(|| queue_link(&query, page + 1)),
            may_intake: user.may(Permission::RequestsIntake),
            frame,
        },
    )
}

// -- The request page ------------------------------------------------------------------------

/// One event of the request's history.
struct EventRow {
    at: String,
    actor: String,
    action: String,
    from_key: Option<&'static str>,
    to_key: &'static str,
    detail: Option<String>,
}

/// One letter sent (or queued) about the request.
struct LetterRow {
    kind: String,
    state: String,
    attempts: u32,
    created: String,
    sent: Option<String>,
}

impl LetterRow {
    fn of(letter: &LetterView) -> LetterRow {
        LetterRow {
            kind: letter.kind.clone(),
            state: letter.state.as_str().to_owned(),
            attempts: letter.attempts,
            created: super::i18n::time(letter.created_at),
            sent: letter.sent_at.map(super::i18n::time),
        }
    }
}

/// One connected system's outcome.
struct SystemRow {
    system: String,
    action: String,
    state: String,
    reason: Option<String>,
}

/// One audit entry about the request.
struct AuditRow {
    seq: i64,
    at: String,
    actor: String,
    action: String,
    outcome: String,
}

/// A purpose to choose for an objection or a consent withdrawal.
struct PurposeChoice {
    id: String,
    name: String,
    selected: bool,
}

/// What the person asked with a request made in the privacy centre (issue 18): a proposed
/// correction and their message, shown only with `RequestsData`.
#[derive(Default)]
struct AskedView {
    /// The data category's name and the field, and the value proposed.
    correction: Option<(String, String, String)>,
    /// The person's message, line by line.
    message: Option<Vec<String>>,
}

impl AskedView {
    /// The view of `asked`, with the category named as the register names it in `language`;
    /// `None` when there is nothing but a purpose (shown in the fulfil form already).
    fn of(asked: RequestAsked, state: &AppState, language: Language) -> Option<AskedView> {
        if asked.correction.is_none() && asked.message.is_none() {
            return None;
        }
        let correction = asked.correction.map(|c| {
            let category = state
                .register
                .register
                .data
                .iter()
                .find(|d| d.id.as_str() == c.category)
                .map_or_else(|| c.category.clone(), |d| d.name.get(language).to_owned());
            (category, c.field, c.value)
        });
        Some(AskedView {
            correction,
            message: asked
                .message
                .map(|m| m.lines().map(str::to_owned).collect()),
        })
    }
}

#[derive(Template)]
#[template(path = "console/request.html")]
struct RequestPage {
    frame: Frame,
    id: String,
    type_key: &'static str,
    request_type: &'static str,
    state_key: &'static str,
    channel: String,
    received: String,
    due: DueView,
    unrolled_due: String,
    assignee: String,
    assigned_to_me: bool,
    /// The subject's id and the identity's kind: only with the data permission.
    identity: Option<(String, String)>,
    /// The state of the identity check, as a catalog key.
    verification_key: &'static str,
    /// The methods staff may confirm the identity by, as (word, catalog key); empty when the
    /// form is not shown (not waiting for the identity, or no permission to handle).
    confirmable: Vec<(&'static str, &'static str)>,
    reasons: Option<String>,
    needs_decision: Option<String>,
    outcome: Option<String>,
    events: Vec<EventRow>,
    letters: Vec<LetterRow>,
    systems: Vec<SystemRow>,
    audit: Option<Vec<AuditRow>>,
    may_handle: bool,
    may_read_data: bool,
    may_fulfil: bool,
    discloses_data: bool,
    is_erasure: bool,
    purposes: Vec<PurposeChoice>,
    /// What the person asked (privacy centre requests), only with the data permission.
    asked: Option<AskedView>,
}

impl RequestPage {
    /// The type's word (for the fulfil form's type-specific fields).
    fn is(&self, word: &str) -> bool {
        self.request_type == word
    }
}

/// The catalog key saying where the identity check of a request in `state` stands; `by_code`:
/// whether the register lets a one-time code prove it (else staff confirm it, P003-35).
fn verification_key(request_type: RequestType, state: RequestState, by_code: bool) -> &'static str {
    if !request_type.needs_verification() {
        "requests.verification.not_needed"
    } else if state.identity_checked() {
        "requests.verification.done"
    } else if state == RequestState::Rejected {
        "requests.verification.ended"
    } else if by_code {
        "requests.verification.pending"
    } else {
        "requests.verification.staff"
    }
}

/// The methods of the register's `rights.identity_verification` that staff confirm (every one
/// but the codes), each with its word and the catalog key of its name, in the register's order.
fn confirmable_methods(
    methods: &[skydd_register::model::VerificationMethod],
) -> Vec<(&'static str, &'static str)> {
    use skydd_register::model::{Choice as _, VerificationMethod as M};
    skydd_requests::confirmed_by_staff(methods)
        .filter_map(|method| {
            let key = match method {
                M::SignedRequest => "request.identity.method.signed_request",
                M::IdDocument => "request.identity.method.id_document",
                M::CustomerConfirmation => "request.identity.method.customer_confirmation",
                M::AccountLogin => "request.identity.method.account_login",
                M::EmailCode | M::SmsCode => return None,
            };
            Some((method.word(), key))
        })
        .collect()
}

/// `GET /console/requests/{id}`: everything about one request, and the forms to work it.
async fn request_page(
    State(state): State<AppState>,
    user: ConsoleUser,
    Path(id): Path<String>,
) -> Result<Response, ConsoleError> {
    user.require(Permission::RequestsRead)?;
    let actor = user.actor();
    let vault = state.vault();
    let view = vault.request(&actor, &id, user.now).await?;
    let letters = vault.request_letters(&actor, &id).await?;
    let systems = vault.system_outcomes(&actor, &id).await?;
    let frame = user.frame(Section::Requests, "request.title");
    let data = may_read_data(&user, view.assignee.as_deref());
    let audit = if user.may(Permission::AuditRead) {
        Some(request_audit(&state, &user, &view).await?)
    } else {
        None
    };
    let open = view.closed_at.is_none();
    let asked = if data {
        vault.request_asked(&actor, &id, user.now).await?
    } else {
        RequestAsked::default()
    };
    let intake_purpose = asked.purpose.clone();
    let methods = &state.register.register.rights.identity_verification;
    let handle = user.may(Permission::RequestsHandle);
    let purposes = state
        .register
        .register
        .purposes
        .iter()
        .map(|p| PurposeChoice {
            id: p.id.as_str().to_owned(),
            name: p.name.get(frame.language).to_owned(),
            selected: intake_purpose.as_deref() == Some(p.id.as_str()),
        })
        .collect();
    let page = RequestPage {
        id: view.id.clone(),
        type_key: type_key(view.request_type),
        request_type: view.request_type.as_str(),
        state_key: state_key(view.state),
        channel: view.channel.clone(),
        received: super::i18n::time(view.received_at),
        due: DueView::of(&view, user.now),
        unrolled_due: view.unrolled_due.clone(),
        assignee: assignee_label(&user, &frame, view.assignee.as_deref()),
        assigned_to_me: view.assignee.as_deref() == Some(user.account_id.as_str()),
        identity: data.then(|| {
            (
                view.subject_id
                    .clone()
                    .unwrap_or_else(|| frame.t("requests.subject.unknown").to_owned()),
                view.identity_kind.clone(),
            )
        }),
        verification_key: verification_key(
            view.request_type,
            view.state,
            skydd_requests::code_accepted(methods),
        ),
        confirmable: if view.state == RequestState::Verifying && handle {
            confirmable_methods(methods)
        } else {
            Vec::new()
        },
        reasons: view.reasons.clone(),
        needs_decision: view.needs_decision.clone(),
        outcome: if data {
            view.outcome
                .as_ref()
                .and_then(|o| serde_json::to_string_pretty(o).ok())
        } else {
            None
        },
        events: view
            .events
            .iter()
            .map(|e| EventRow {
                at: super::i18n::time(e.at),
                actor: e.actor.clone(),
                action: e.action.clone(),
                from_key: e.from_state.map(state_key),
                to_key: state_key(e.to_state),
                detail: e.detail.clone(),
            })
            .collect(),
        letters: letters.iter().map(LetterRow::of).collect(),
        systems: systems
            .into_iter()
            .map(|o| SystemRow {
                system: o.system,
                action: o.action,
                state: o.state,
                reason: o.reason,
            })
            .collect(),
        audit,
        may_handle: open && user.may(Permission::RequestsHandle),
        may_read_data: data,
        may_fulfil: open
            && user.may(Permission::RequestsHandle)
            && (!view.request_type.needs_verification() || view.state.identity_checked()),
        discloses_data: view.request_type.discloses_data(),
        is_erasure: view.request_type == RequestType::Erasure,
        purposes,
        asked: AskedView::of(asked, &state, frame.language),
        frame,
    };
    render(user.language, &page)
}

/// The audit entries about a request: the `request.*` entries of its subject. Reading them is
/// audited as the API's audit read is.
async fn request_audit(
    state: &AppState,
    user: &ConsoleUser,
    view: &RequestView,
) -> Result<Vec<AuditRow>, ConsoleError> {
    let Some(subject) = view.subject_id.clone() else {
        return Ok(Vec::new());
    };
    let filter = AuditFilter {
        subject_id: Some(subject),
        from: Some(view.received_at),
        ..AuditFilter::default()
    };
    let entries = state.storage.audit_entries(&filter, 0, 500).await?;
    let rows: Vec<AuditRow> = entries
        .into_iter()
        .filter(|e| e.event.action.starts_with("request."))
        .map(|e| AuditRow {
            seq: e.event.seq,
            at: super::i18n::time(e.event.at),
            actor: e.event.actor,
            action: e.event.action,
            outcome: e.event.outcome,
        })
        .collect();
    let actor = user.actor();
    state
        .audit()
        .record(AuditEvent {
            at: user.now,
            actor: actor.id,
            ip: actor.ip,
            action: "audit.read",
            purpose: None,
            subject_id: filter.subject_id.clone(),
            categories: Vec::new(),
            outcome: "done".into(),
            detail: Some(format!("{} entries", rows.len())),
        })
        .await?;
    Ok(rows)
}

// -- The data found --------------------------------------------------------------------------

/// One value found: in the vault (a record's field) or in a connected system.
struct FoundValue {
    place: String,
    category: String,
    field: String,
    value: String,
}

/// A connected system that could not be read.
struct FailedSystem {
    system: String,
    reason: String,
}

#[derive(Template)]
#[template(path = "console/request_data.html")]
struct DataPage {
    frame: Frame,
    id: String,
    identities: Vec<(String, String)>,
    values: Vec<FoundValue>,
    failed: Vec<FailedSystem>,
    data_found: bool,
}

/// `GET /console/requests/{id}/data`: the data an access or portability request finds, in the
/// vault and every connected system, read on demand (the vault audits the read as
/// `request.package`). Needs `RequestsData`; support only in a request assigned to them.
async fn data_page(
    State(state): State<AppState>,
    user: ConsoleUser,
    Path(id): Path<String>,
) -> Result<Response, ConsoleError> {
    user.require(Permission::RequestsRead)?;
    let actor = user.actor();
    let view = state.vault().request(&actor, &id, user.now).await?;
    staff_principal(&user).require_request_data(view.assignee.as_deref())?;
    let package = state.access_package(&actor, &id, user.now).await?;
    let mut values: Vec<FoundValue> = Vec::new();
    for record in &package.records {
        for (field, value) in &record.fields {
            values.push(FoundValue {
                place: "Skydd".to_owned(),
                category: record.category.clone(),
                field: field.clone(),
                value: match value {
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                },
            });
        }
    }
    let mut failed = Vec::new();
    for system in &package.systems {
        if let Some(reason) = &system.failed {
            failed.push(FailedSystem {
                system: system.system.clone(),
                reason: reason.clone(),
            });
        }
        for v in &system.values {
            values.push(FoundValue {
                place: format!("{} · {}", system.system, v.collection),
                category: v.category.clone(),
                field: v.field.clone(),
                value: v.value.clone().unwrap_or_default(),
            });
        }
    }
    let frame = user.frame(Section::Requests, "request.data.title");
    render(
        user.language,
        &DataPage {
            frame,
            id,
            identities: package.identities.clone(),
            data_found: package.data_found,
            values,
            failed,
        },
    )
}

// -- The erasure plan ------------------------------------------------------------------------

/// What erasure would do in one collection of a connected system.
struct PlanRow {
    system: String,
    collection: String,
    rows: u64,
    shared: u64,
    held: u64,
    /// Rows of free text where mentions of the subject would be redacted (issue 21).
    redacted: u64,
}

#[derive(Template)]
#[template(path = "console/request_erasure.html")]
struct ErasurePage {
    frame: Frame,
    id: String,
    rows: Vec<PlanRow>,
    failed: Vec<FailedSystem>,
}

/// `GET /console/requests/{id}/erasure-plan`: what erasing would do in each connected system
/// (a dry run: nothing is written), with the confirmed fulfil form under it.
async fn erasure_plan_page(
    State(state): State<AppState>,
    user: ConsoleUser,
    Path(id): Path<String>,
) -> Result<Response, ConsoleError> {
    user.require(Permission::RequestsHandle)?;
    // The plan names the subject's rows: the API's rule for request data applies.
    let view = state.vault().request(&user.actor(), &id, user.now).await?;
    staff_principal(&user).require_request_data(view.assignee.as_deref())?;
    let plans = state.erasure_plan(&user.actor(), &id, user.now).await?;
    let mut rows = Vec::new();
    let mut failed = Vec::new();
    for plan in plans {
        if let Some(reason) = plan.failed {
            failed.push(FailedSystem {
                system: plan.system.clone(),
                reason,
            });
        }
        let Some(p) = plan.plan else { continue };
        let first = rows.len();
        // Names and counts only: the plan holds no value.
        for c in &p.collections {
            rows.push(PlanRow {
                system: plan.system.clone(),
                collection: c.collection.clone(),
                rows: c.rows,
                shared: c.shared,
                held: c.held.len() as u64,
                redacted: 0,
            });
        }
        for r in &p.redactions {
            let held = r.held.len() as u64;
            match rows[first..]
                .iter_mut()
                .find(|row| row.collection == r.collection)
            {
                Some(row) => {
                    row.redacted = r.rows;
                    row.held += held;
                }
                None => rows.push(PlanRow {
                    system: plan.system.clone(),
                    collection: r.collection.clone(),
                    rows: 0,
                    shared: 0,
                    held,
                    redacted: r.rows,
                }),
            }
        }
    }
    let frame = user.frame(Section::Requests, "request.erasure.title");
    render(
        user.language,
        &ErasurePage {
            frame,
            id,
            rows,
            failed,
        },
    )
}

// -- Actions ---------------------------------------------------------------------------------

/// Where a form about request `id` returns to.
fn back_to(id: &str) -> String {
    // Only a request id (32 lowercase hex digits) goes into the address; anything else
    // returns to the queue.
    if id.len() == 32 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        format!("/console/requests/{id}")
    } else {
        "/console/requests".to_owned()
    }
}

/// The assign form: `me` or `nobody`.
#[derive(Debug, Deserialize)]
struct AssignForm {
    to: String,
}

/// `POST /console/requests/{id}/assign`: assign the request to oneself, or to nobody.
async fn assign(
    _: super::csrf::Permits<crate::auth::need::RequestsHandle>,
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(user, form): CsrfForm<AssignForm>,
) -> Result<Response, ConsoleError> {
    user.require(Permission::RequestsHandle)?;
    let (assignee, flash) = match form.to.as_str() {
        "me" => (Some(user.account_id.as_str()), "request.assigned"),
        "nobody" => (None, "request.unassigned"),
        _ => return Err(ConsoleError::BadForm),
    };
    let view = state
        .vault()
        .assign_request(&user.actor(), &id, assignee, user.now)
        .await?;
    Ok(redirect_with(&back_to(&view.id), Flash::done(flash)))
}

/// A form whose confirmation box was not ticked changes nothing: back to the request, saying
/// so. `None` when it was ticked ("yes").
fn unconfirmed(id: &str, confirm: Option<&str>) -> Option<Response> {
    (confirm != Some("yes"))
        .then(|| redirect_with(&back_to(id), Flash::problem("request.unconfirmed")))
}

/// The extend form.
#[derive(Debug, Deserialize)]
struct ExtendForm {
    months: u32,
    reason: String,
    confirm: Option<String>,
}

/// `POST /console/requests/{id}/extend`: extend the deadline with reasons (Art. 12(3)).
async fn extend(
    _: super::csrf::Permits<crate::auth::need::RequestsHandle>,
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(user, form): CsrfForm<ExtendForm>,
) -> Result<Response, ConsoleError> {
    user.require(Permission::RequestsHandle)?;
    if let Some(back) = unconfirmed(&id, form.confirm.as_deref()) {
        return Ok(back);
    }
    let view = state
        .vault()
        .extend_request(&user.actor(), &id, form.months, &form.reason, user.now)
        .await?;
    Ok(redirect_with(
        &back_to(&view.id),
        Flash::done("request.extended"),
    ))
}

/// The identity form.
#[derive(Debug, Deserialize)]
struct IdentityForm {
    method: String,
    confirm: Option<String>,
}

/// `POST /console/requests/{id}/identity`: staff confirm the requester's identity by a method
/// the register names (a signed written request, P003-35).
async fn confirm_identity(
    _: super::csrf::Permits<crate::auth::need::RequestsHandle>,
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(user, form): CsrfForm<IdentityForm>,
) -> Result<Response, ConsoleError> {
    user.require(Permission::RequestsHandle)?;
    if let Some(back) = unconfirmed(&id, form.confirm.as_deref()) {
        return Ok(back);
    }
    let receipt = state
        .vault()
        .confirm_identity(&user.actor(), &id, &form.method, user.now)
        .await?;
    Ok(redirect_with(
        &back_to(&receipt.id),
        Flash::done("request.identity_confirmed"),
    ))
}

/// The reject form.
#[derive(Debug, Deserialize)]
struct RejectForm {
    reasons: String,
    confirm: Option<String>,
}

/// `POST /console/requests/{id}/reject`: reject with reasons (Art. 12(4)).
async fn reject(
    _: super::csrf::Permits<crate::auth::need::RequestsHandle>,
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(user, form): CsrfForm<RejectForm>,
) -> Result<Response, ConsoleError> {
    user.require(Permission::RequestsHandle)?;
    if let Some(back) = unconfirmed(&id, form.confirm.as_deref()) {
        return Ok(back);
    }
    let view = state
        .vault()
        .reject_request(&user.actor(), &id, &form.reasons, user.now)
        .await?;
    Ok(redirect_with(
        &back_to(&view.id),
        Flash::done("request.rejected"),
    ))
}

/// The fulfil form: the fields a request type needs, all optional here (the vault says what
/// is missing).
#[derive(Debug, Default, Deserialize)]
struct FulfilForm {
    confirm: Option<String>,
    /// Objection, consent withdrawal: the purpose.
    #[serde(default)]
    purpose: Option<String>,
    /// Restriction: lift it, for these reasons.
    #[serde(default)]
    lift_restriction: Option<String>,
    /// Access: provide a copy outside the free allowance (Art. 12(5)).
    #[serde(default)]
    provide_copy: Option<String>,
    /// Rectification in Skydd: the record, the field and its new value.
    #[serde(default)]
    record_id: Option<String>,
    #[serde(default)]
    field: Option<String>,
    #[serde(default)]
    value: Option<String>,
    /// Rectification in the connected systems: a category or `collection.field`, and the value.
    #[serde(default)]
    concerns: Option<String>,
    #[serde(default)]
    connected_value: Option<String>,
}

/// A text field, trimmed; `None` when empty.
fn given(field: Option<String>) -> Option<String> {
    field.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

impl FulfilForm {
    fn input(self) -> FulfilInput {
        let mut corrections = Vec::new();
        if let (Some(record_id), Some(field)) = (given(self.record_id), given(self.field)) {
            let mut fields = serde_json::Map::new();
            fields.insert(
                field,
                serde_json::Value::String(self.value.unwrap_or_default()),
            );
            corrections.push(Correction { record_id, fields });
        }
        let connected_corrections = given(self.concerns)
            .map(|concerns| skydd_vault::ConnectedCorrection {
                concerns,
                value: self.connected_value.unwrap_or_default(),
            })
            .into_iter()
            .collect();
        FulfilInput {
            corrections,
            purpose: given(self.purpose),
            lift_restriction: given(self.lift_restriction),
            provide_copy: self.provide_copy.as_deref() == Some("yes"),
            connected_corrections,
            ..FulfilInput::default()
        }
    }
}

/// `POST /console/requests/{id}/fulfil`: complete the request through the app (connected
/// systems first, then the vault), as `POST /v1/requests/{id}/fulfil` does.
async fn fulfil(
    _: super::csrf::Permits<crate::auth::need::RequestsHandle>,
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(user, form): CsrfForm<FulfilForm>,
) -> Result<Response, ConsoleError> {
    user.require(Permission::RequestsHandle)?;
    if let Some(back) = unconfirmed(&id, form.confirm.as_deref()) {
        return Ok(back);
    }
    let view = state
        .fulfil_request(&user.actor(), &id, form.input(), user.now)
        .await?;
    Ok(redirect_with(
        &back_to(&view.id),
        Flash::done("request.fulfilled"),
    ))
}

// -- Staff intake ----------------------------------------------------------------------------

/// The identity kinds staff may take a request with.
const IDENTITY_KINDS: [&str; 4] = ["email", "phone", "personnummer", "customer_number"];

/// The catalog keys of [`IDENTITY_KINDS`], in the same order.
const IDENTITY_KIND_KEYS: [&str; 4] = [
    "requests.kind.email",
    "requests.kind.phone",
    "requests.kind.personnummer",
    "requests.kind.customer_number",
];

/// How a request reached the staff member.
const STAFF_CHANNELS: [&str; 4] = ["email", "letter", "phone", "web"];

#[derive(Template)]
#[template(path = "console/requests_new.html")]
struct IntakePage {
    frame: Frame,
    types: Vec<Choice>,
    kinds: Vec<Choice>,
    channels: Vec<&'static str>,
    purposes: Vec<PurposeChoice>,
}

/// `GET /console/requests/new`: the form to take in a request on a subject's behalf.
async fn intake_form(
    State(state): State<AppState>,
    user: ConsoleUser,
) -> Result<Response, ConsoleError> {
    user.require(Permission::RequestsIntake)?;
    let frame = user.frame(Section::Requests, "requests.new.title");
    let purposes = intake_purposes(&state, frame.language);
    render(
        user.language,
        &IntakePage {
            frame,
            types: RequestType::ALL
                .iter()
                .map(|t| Choice {
                    value: t.as_str(),
                    label_key: type_key(*t),
                    selected: *t == RequestType::Access,
                })
                .collect(),
            kinds: IDENTITY_KINDS
                .into_iter()
                .zip(IDENTITY_KIND_KEYS)
                .map(|(value, label_key)| Choice {
                    value,
                    label_key,
                    selected: false,
                })
                .collect(),
            channels: STAFF_CHANNELS.to_vec(),
            purposes,
        },
    )
}

fn intake_purposes(state: &AppState, language: Language) -> Vec<PurposeChoice> {
    state
        .register
        .register
        .purposes
        .iter()
        .map(|p| PurposeChoice {
            id: p.id.as_str().to_owned(),
            name: p.name.get(language).to_owned(),
            selected: false,
        })
        .collect()
}

/// The intake form. The identity's value travels only in this POST body: never in a URL.
#[derive(Deserialize)]
struct IntakeForm {
    #[serde(rename = "type")]
    request_type: String,
    kind: String,
    value: String,
    channel: String,
    /// Stockholm time, `YYYY-MM-DDTHH:MM` (an `<input type="datetime-local">`); empty: now.
    #[serde(default)]
    received_at: Option<String>,
    #[serde(default)]
    purpose: Option<String>,
}

impl std::fmt::Debug for IntakeForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The identity's value is personal data: never in a log or a panic.
        f.debug_struct("IntakeForm")
            .field("type", &self.request_type)
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

/// A `datetime-local` value read as Stockholm time.
pub(crate) fn stockholm_local(text: &str) -> Option<Timestamp> {
    let civil: jiff::civil::DateTime = text.trim().parse().ok()?;
    civil.to_zoned(stockholm()).ok().map(|z| z.timestamp())
}

/// `POST /console/requests/new`: take in a request through the app (as `POST /v1/requests`
/// with a given time of receipt), then show it.
async fn intake(
    _: super::csrf::Permits<crate::auth::need::RequestsIntake>,
    State(state): State<AppState>,
    CsrfForm(user, form): CsrfForm<IntakeForm>,
) -> Result<Response, ConsoleError> {
    user.require(Permission::RequestsIntake)?;
    if !IDENTITY_KINDS.contains(&form.kind.as_str())
        || !STAFF_CHANNELS.contains(&form.channel.as_str())
    {
        return Err(ConsoleError::BadForm);
    }
    let received_at = match given(form.received_at) {
        None => None,
        Some(text) => Some(stockholm_local(&text).ok_or(ConsoleError::BadForm)?),
    };
    let receipt = state
        .app()
        .submit_request(
            &user.actor(),
            NewRequest {
                request_type: parse_request_type(&form.request_type)?,
                identity_kind: form.kind,
                identity_value: form.value,
                channel: form.channel,
                tenant: None,
                received_at,
                purpose: given(form.purpose),
                held_elsewhere: false,
                on_behalf: false,
            },
            user.now,
        )
        .await?;
    Ok(redirect_with(
        &back_to(&receipt.id),
        Flash::done("requests.new.done"),
    ))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::console::frame::{FrameUser, navigation};
    use skydd_register::model::Choice as _;
    use skydd_staff::permission::StaffRole;

    /// The frame of a DPO's page in `language`, as `ConsoleUser::frame` makes it.
    pub(crate) fn dpo_frame(language: Language, section: Section, title_key: &str) -> Frame {
        let mut frame = Frame::anonymous(language, title_key, "[csrf]".to_owned());
        frame.user = Some(FrameUser {
            name: "dpo@example.se".to_owned(),
            role: StaffRole::Dpo,
        });
        frame.nav = navigation(&StaffRole::Dpo.grants(), section, language);
        frame
    }

    fn due(due: &str, extended_months: u32, urgency: Option<Urgency>) -> DueView {
        DueView {
            due: due.to_owned(),
            extended_months,
            urgency,
        }
    }

    /// The queue, with every mark, in both languages (times fixed; the server's tests check
    /// the same page over HTTP).
    #[test]
    fn the_queue_renders_its_marks_filters_and_paging_in_english_and_swedish() {
        for language in [Language::En, Language::Sv] {
            let frame = dpo_frame(language, Section::Requests, "requests.title");
            let row = |n: u8, t, s, d: DueView, a: &str| QueueRow {
                id: format!("{n:032x}"),
                short_id: format!("{n:08x}"),
                type_key: type_key(t),
                state_key: state_key(s),
                received: "2026-03-27 10:00".to_owned(),
                due: d,
                assignee: a.to_owned(),
            };
            let page = QueuePage {
                rows: vec![
                    row(
                        1,
                        RequestType::Access,
                        RequestState::Verifying,
                        due("2026-04-27 23:59", 0, Some(Urgency::Overdue)),
                        "Nobody",
                    ),
                    row(
                        2,
                        RequestType::Erasure,
                        RequestState::Verified,
                        due("2026-04-30 23:59", 0, Some(Urgency::DueThisWeek)),
                        "You",
                    ),
                    row(
                        3,
                        RequestType::Objection,
                        RequestState::InProgress,
                        due("2026-07-04 23:59", 2, Some(Urgency::Later)),
                        "0123abcd",
                    ),
                ],
                states: vec![Choice {
                    value: "open",
                    label_key: "requests.filter.open",
                    selected: true,
                }],
                types: vec![Choice {
                    value: "",
                    label_key: "requests.filter.any_type",
                    selected: true,
                }],
                assignees: vec![Choice {
                    value: "me",
                    label_key: "requests.filter.me",
                    selected: false,
                }],
                total: 53,
                page: 2,
                pages: 3,
                previous: Some("/console/requests?page=1".to_owned()),
                next: Some("/console/requests?page=3".to_owned()),
                may_intake: true,
                frame,
            };
            let html = page.render().unwrap();
            insta::assert_snapshot!(format!("queue_{}", language.word()), html);
        }
    }

    /// The request page of an open objection for a DPO, in both languages: every section and
    /// form; text from the request is escaped.
    #[test]
    fn the_request_page_renders_every_section_and_form_in_english_and_swedish() {
        for language in [Language::En, Language::Sv] {
            let frame = dpo_frame(language, Section::Requests, "request.title");
            let page = RequestPage {
                id: format!("{:032x}", 7),
                type_key: type_key(RequestType::Objection),
                request_type: RequestType::Objection.as_str(),
                state_key: state_key(RequestState::Verified),
                channel: "letter".to_owned(),
                received: "2026-03-27 10:00".to_owned(),
                due: due("2026-06-29 23:59", 2, Some(Urgency::Later)),
                unrolled_due: "2026-06-27".to_owned(),
                assignee: "You".to_owned(),
                assigned_to_me: true,
                identity: Some(("[subject]".to_owned(), "email".to_owned())),
                verification_key: verification_key(
                    RequestType::Objection,
                    RequestState::Verified,
                    true,
                ),
                confirmable: Vec::new(),
                reasons: Some("<script>alert(1)</script> Many systems.".to_owned()),
                needs_decision: None,
                outcome: None,
                events: vec![EventRow {
                    at: "2026-03-27 10:00".to_owned(),
                    actor: "account:[id]/session:[id]".to_owned(),
                    action: "received".to_owned(),
                    from_key: None,
                    to_key: state_key(RequestState::Verifying),
                    detail: None,
                }],
                letters: vec![LetterRow {
                    kind: "verification_code".to_owned(),
                    state: "sent".to_owned(),
                    attempts: 1,
                    created: "2026-03-27 10:00".to_owned(),
                    sent: Some("2026-03-27 10:01".to_owned()),
                }],
                systems: vec![SystemRow {
                    system: "shop".to_owned(),
                    action: "objection".to_owned(),
                    state: "pending".to_owned(),
                    reason: None,
                }],
                audit: Some(vec![AuditRow {
                    seq: 12,
                    at: "2026-03-27 10:00".to_owned(),
                    actor: "account:[id]/session:[id]".to_owned(),
                    action: "request.receive".to_owned(),
                    outcome: "objection".to_owned(),
                }]),
                may_handle: true,
                may_read_data: true,
                may_fulfil: true,
                discloses_data: false,
                is_erasure: false,
                purposes: vec![PurposeChoice {
                    id: "marketing".to_owned(),
                    name: "Marketing".to_owned(),
                    selected: true,
                }],
                asked: Some(AskedView {
                    correction: Some((
                        "Contact details".to_owned(),
                        "name".to_owned(),
                        "Anna <b>Lindqvist</b>".to_owned(),
                    )),
                    message: Some(vec![
                        "I married in May.".to_owned(),
                        "Please fix it.".to_owned(),
                    ]),
                }),
                frame,
            };
            let html = page.render().unwrap();
            assert!(!html.contains("<b>Lindqvist"), "escaped: {html}");
            assert!(html.contains("&lt;script&gt;"), "{html}");
            insta::assert_snapshot!(format!("request_{}", language.word()), html);
        }
    }

    #[test]
    fn a_datetime_local_is_stockholm_time_in_summer_and_winter() {
        let at = |text: &str| stockholm_local(text).map(|t| t.to_string());
        assert_eq!(
            at("2026-07-01T10:00").as_deref(),
            Some("2026-07-01T08:00:00Z")
        );
        assert_eq!(
            at("2026-12-01T10:00").as_deref(),
            Some("2026-12-01T09:00:00Z")
        );
        assert_eq!(at("not a time"), None);
    }

    #[test]
    fn a_queue_link_keeps_the_filters() {
        let query = QueueQuery {
            state: Some("verified".into()),
            request_type: Some("erasure".into()),
            assignee: Some("me".into()),
            page: Some(1),
        };
        assert_eq!(
            queue_link(&query, 2),
            "/console/requests?state=verified&type=erasure&assignee=me&page=2"
        );
        assert_eq!(
            queue_link(&QueueQuery::default(), 3),
            "/console/requests?page=3"
        );
    }
}
