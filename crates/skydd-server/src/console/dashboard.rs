//! The console's home page (issue 17): what needs doing now, each block shown only to a role
//! that may see it.
//!
//! - requests (`RequestsRead`): the next open requests by due date, how many are overdue and
//!   how many are due this week ([`Urgency`], the queue's marks);
//! - incidents (`IncidentsRead`): open incidents with their 72-hour clock;
//! - retention (`AuditRead`): the last sweep this server ran and its proof in the audit trail
//!   (the `retention.*` entries since it started, and whether a signed checkpoint covers them);
//! - the audit chain (`AuditRead`): its head and the newest checkpoint, signature checked;
//! - security reviews (`IncidentsRead`, when the register sets `security_review`): the latest
//!   review, when the next is due, and whether the cycle has none (P003-42).
//!
//! Everything comes from operations the API and `/metrics` use (`list_requests`,
//! `incidents`, `App::operations`, the audit trail); nothing here decides anything.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post};
use jiff::SignedDuration;
use skydd_register::zone::stockholm;
use skydd_requests::Urgency;
use skydd_staff::permission::Permission;
use skydd_storage::AuditFilter;
use skydd_vault::{AuditEvent, NewSecurityReview, RequestQuery, StateFilter, VaultError};

use super::csrf::CsrfForm;
use super::frame::{Flash, Frame, Section};
use super::i18n;
use super::render::{ConsoleError, redirect_with, render};
use super::requests::{DueView, state_key, type_key};
use super::session::ConsoleUser;
use crate::state::AppState;

/// How many of the next requests the dashboard lists.
const NEXT_REQUESTS: usize = 5;

/// How many audit entries of the last sweep the dashboard reads to find its proof.
const PROOF_ENTRIES: usize = 1_000;

/// The dashboard's routes: the page, and the form that records a security review.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/dashboard", get(dashboard))
        .route("/console/security/reviews", post(record_review))
}

/// One of the next requests.
struct NextRequest {
    id: String,
    short_id: String,
    type_key: &'static str,
    state_key: &'static str,
    due: DueView,
}

/// The requests block.
struct RequestsBlock {
    next: Vec<NextRequest>,
    open: usize,
    overdue: usize,
    this_week: usize,
}

/// One open incident and its 72-hour clock.
struct IncidentRow {
    id: String,
    aware: String,
    due: String,
    /// The clock in words (time left or overdue by), `None` once notified or not required.
    clock: Option<String>,
    overdue: bool,
}

/// The last sweep and its proof.
struct RetentionBlock {
    /// When the last sweep this server ran started, and whether it finished.
    last: Option<(String, bool)>,
    /// The audit entries of its proof: how many, and the last one's position.
    proof_entries: usize,
    proof_last_seq: Option<i64>,
    /// Whether the newest signed checkpoint covers the proof.
    covered: bool,
}

/// Where the security review cycle stands.
struct SecurityBlock {
    /// The cycle in words ("12 months").
    every: String,
    /// The latest review's day in words.
    last: Option<String>,
    /// The last day the next one is due, in words.
    due: Option<String>,
    /// No review within the cycle.
    overdue: bool,
    /// Whether the user may record a review (the form is shown).
    may_record: bool,
}

/// The audit chain's state.
struct AuditBlock {
    head_seq: i64,
    checkpoint: Option<(i64, String, bool)>,
}

#[derive(Template)]
#[template(path = "console/dashboard.html")]
struct DashboardPage {
    frame: Frame,
    requests: Option<RequestsBlock>,
    incidents: Option<Vec<IncidentRow>>,
    retention: Option<RetentionBlock>,
    audit: Option<AuditBlock>,
    security: Option<SecurityBlock>,
}

/// A duration in whole hours and minutes, as the clock shows it.
fn hours_minutes(duration: SignedDuration) -> String {
    let minutes = duration.as_secs().unsigned_abs() / 60;
    format!("{} h {:02} min", minutes / 60, minutes % 60)
}

/// `GET /console/dashboard`.
async fn dashboard(
    State(state): State<AppState>,
    user: ConsoleUser,
) -> Result<Response, ConsoleError> {
    let frame = user.frame(Section::Dashboard, "dashboard.title");
    let requests = if user.may(Permission::RequestsRead) {
        Some(requests_block(&state, &user).await?)
    } else {
        None
    };
    let incidents = if user.may(Permission::IncidentsRead) {
        Some(incidents_block(&state, &user, &frame).await?)
    } else {
        None
    };
    let (retention, audit) = if user.may(Permission::AuditRead) {
        let (retention, audit) = audit_blocks(&state, &user).await?;
        (Some(retention), Some(audit))
    } else {
        (None, None)
    };
    let security = if user.may(Permission::IncidentsRead) {
        security_block(&state, &user).await?
    } else {
        None
    };
    render(
        user.language,
        &DashboardPage {
            frame,
            requests,
            incidents,
            retention,
            audit,
            security,
        },
    )
}

/// The security review block, when the register sets a cycle.
async fn security_block(
    state: &AppState,
    user: &ConsoleUser,
) -> Result<Option<SecurityBlock>, ConsoleError> {
    let reviews = state.vault().security_reviews(user.now).await?;
    let (Some(every), Some(status)) = (reviews.every, reviews.status) else {
        return Ok(None);
    };
    let language = user.language;
    let date = |d| skydd_notice::wording::date(language, d);
    Ok(Some(SecurityBlock {
        every: skydd_notice::wording::period(language, every),
        last: status.last.map(date),
        due: status.due.map(date),
        overdue: status.overdue,
        may_record: user.may(Permission::IncidentsWrite),
    }))
}

/// `POST /console/security/reviews`: record a review of the security measures (the day it was
/// held and what it found), then back to the dashboard with a message. A refusal (a day not
/// yet come, an empty summary ...) says what the form needs; nothing is recorded.
async fn record_review(
    _: super::csrf::Permits<crate::auth::need::IncidentsWrite>,
    State(state): State<AppState>,
    CsrfForm(user, form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, ConsoleError> {
    user.require(Permission::IncidentsWrite)?;
    let field = |name: &str| {
        form.iter()
            .find(|(key, _)| key == name)
            .map_or("", |(_, value)| value.as_str())
    };
    let refused = Flash::problem("dashboard.security.refused");
    let flash = match field("reviewed_on").trim().parse::<jiff::civil::Date>() {
        Ok(reviewed_on) => {
            let new = NewSecurityReview {
                reviewed_on,
                summary: field("summary").to_owned(),
            };
            match state
                .vault()
                .record_security_review(&user.actor(), new, user.now)
                .await
            {
                Ok(_) => Flash::done("dashboard.security.recorded"),
                Err(VaultError::Invalid { .. }) => refused,
                Err(error) => return Err(error.into()),
            }
        }
        Err(_) => refused,
    };
    Ok(redirect_with("/console/dashboard", flash))
}

async fn requests_block(
    state: &AppState,
    user: &ConsoleUser,
) -> Result<RequestsBlock, ConsoleError> {
    let open = state
        .vault()
        .list_requests(
            &user.actor(),
            RequestQuery {
                state: Some(StateFilter::Open),
                ..RequestQuery::default()
            },
            user.now,
        )
        .await?;
    let zone = stockholm();
    let count = |u: Urgency| {
        open.iter()
            .filter(|v| Urgency::at(v.due_at, user.now, &zone) == u)
            .count()
    };
    Ok(RequestsBlock {
        overdue: count(Urgency::Overdue),
        this_week: count(Urgency::DueThisWeek),
        open: open.len(),
        next: open
            .iter()
            .take(NEXT_REQUESTS)
            .map(|v| NextRequest {
                id: v.id.clone(),
                short_id: v.id.chars().take(8).collect(),
                type_key: type_key(v.request_type),
                state_key: state_key(v.state),
                due: DueView::of(v, user.now),
            })
            .collect(),
    })
}

async fn incidents_block(
    state: &AppState,
    user: &ConsoleUser,
    frame: &Frame,
) -> Result<Vec<IncidentRow>, ConsoleError> {
    let incidents = state.vault().incidents().await?;
    Ok(incidents
        .iter()
        .filter(|incident| incident.is_open())
        .map(|incident| {
            let left = incident.time_left(user.now);
            IncidentRow {
                id: incident.id().to_owned(),
                aware: i18n::time(incident.current().became_aware_at),
                due: i18n::time(incident.due_at()),
                clock: left.map(|left| {
                    if left.is_negative() {
                        frame.fill("dashboard.incident.overdue_by", hours_minutes(left))
                    } else {
                        frame.fill("dashboard.incident.left", hours_minutes(left))
                    }
                }),
                overdue: left.is_some_and(|left| left.is_negative()),
            }
        })
        .collect())
}

async fn audit_blocks(
    state: &AppState,
    user: &ConsoleUser,
) -> Result<(RetentionBlock, AuditBlock), ConsoleError> {
    let operations = state.operations(user.now).await?;
    let checkpoint = operations.audit.checkpoint;
    let mut retention = RetentionBlock {
        last: operations
            .sweeps
            .last
            .map(|(at, finished)| (i18n::time(at), finished)),
        proof_entries: 0,
        proof_last_seq: None,
        covered: false,
    };
    if let Some((started, _)) = operations.sweeps.last {
        let filter = AuditFilter {
            from: Some(started),
            ..AuditFilter::default()
        };
        let entries = state
            .storage
            .audit_entries(&filter, 0, PROOF_ENTRIES)
            .await?;
        let proof: Vec<i64> = entries
            .iter()
            .filter(|e| e.event.action.starts_with("retention."))
            .map(|e| e.event.seq)
            .collect();
        retention.proof_entries = proof.len();
        retention.proof_last_seq = proof.last().copied();
        retention.covered = match (proof.last(), checkpoint) {
            (Some(seq), Some(c)) => c.valid && c.seq >= *seq,
            _ => false,
        };
        // Reading the trail is audited, as the API's audit read is.
        let actor = user.actor();
        state
            .audit()
            .record(AuditEvent {
                at: user.now,
                actor: actor.id,
                ip: actor.ip,
                action: "audit.read",
                purpose: None,
                subject_id: None,
                categories: Vec::new(),
                outcome: "done".into(),
                detail: Some(format!("{} entries", entries.len())),
            })
            .await?;
    }
    let audit = AuditBlock {
        head_seq: operations.audit.head_seq,
        checkpoint: checkpoint.map(|c| (c.seq, i18n::time(c.at), c.valid)),
    };
    Ok((retention, audit))
}

#[cfg(test)]
mod tests {
    use super::*;
    use skydd_register::model::{Choice as _, Language};

    /// Every block of the dashboard, as a DPO sees it, in both languages.
    #[test]
    fn the_dashboard_renders_every_block_in_english_and_swedish() {
        for language in [Language::En, Language::Sv] {
            let frame = crate::console::requests::tests::dpo_frame(
                language,
                Section::Dashboard,
                "dashboard.title",
            );
            let page = DashboardPage {
                requests: Some(RequestsBlock {
                    next: vec![NextRequest {
                        id: format!("{:032x}", 1),
                        short_id: format!("{:08x}", 1),
                        type_key: type_key(skydd_requests::RequestType::Access),
                        state_key: state_key(skydd_requests::RequestState::Verifying),
                        due: DueView {
                            due: "2026-04-27 23:59".to_owned(),
                            extended_months: 0,
                            urgency: Some(Urgency::Overdue),
                        },
                    }],
                    open: 3,
                    overdue: 1,
                    this_week: 1,
                }),
                incidents: Some(vec![IncidentRow {
                    id: "inc-1".to_owned(),
                    aware: "2026-04-29 08:00".to_owned(),
                    due: "2026-05-02 08:00".to_owned(),
                    clock: Some(frame.fill("dashboard.incident.left", "46 h 00 min")),
                    overdue: false,
                }]),
                retention: Some(RetentionBlock {
                    last: Some(("2026-04-30 03:00".to_owned(), true)),
                    proof_entries: 4,
                    proof_last_seq: Some(120),
                    covered: true,
                }),
                audit: Some(AuditBlock {
                    head_seq: 130,
                    checkpoint: Some((121, "2026-04-30 03:05".to_owned(), true)),
                }),
                security: Some(SecurityBlock {
                    every: skydd_notice::wording::period(
                        language,
                        skydd_register::Period::new(12, skydd_register::period::PeriodUnit::Month),
                    ),
                    last: Some(skydd_notice::wording::date(
                        language,
                        jiff::civil::date(2025, 2, 28),
                    )),
                    due: Some(skydd_notice::wording::date(
                        language,
                        jiff::civil::date(2026, 2, 28),
                    )),
                    overdue: true,
                    may_record: true,
                }),
                frame,
            };
            let html = page.render().unwrap();
            insta::assert_snapshot!(format!("dashboard_{}", language.word()), html);
        }
    }

    #[test]
    fn the_clock_shows_hours_and_minutes_either_side_of_zero() {
        assert_eq!(
            hours_minutes(SignedDuration::from_secs(3 * 3600 + 5 * 60)),
            "3 h 05 min"
        );
        assert_eq!(
            hours_minutes(SignedDuration::from_secs(-(75 * 60))),
            "1 h 15 min"
        );
        assert_eq!(hours_minutes(SignedDuration::from_secs(59)), "0 h 00 min");
    }
}
