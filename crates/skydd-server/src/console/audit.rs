//! The audit trail in the console (issue 17): search by subject, actor, action and time
//! (Stockholm time in the form, UTC in storage), paged; verifying the chain from the page, with
//! the checkpoints and their signatures, and writing a checkpoint. Reading needs `AuditRead`
//! and is itself recorded (`audit.read`) as the API records it; writing a checkpoint needs
//! `AuditCheckpoint`. Verifying and checkpointing are audited too (`audit.verify`,
//! `audit.checkpoint`).

use askama::Template;
use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use jiff::Timestamp;
use jiff::civil::{Date, DateTime};
use serde::Deserialize;
use skydd_app::checkpoint::CheckedCheckpoint;
use skydd_staff::permission::Permission;
use skydd_storage::{AuditFilter, ChainReport, audit_chain};
use skydd_vault::AuditEvent;
use skydd_vault::audit_trail::AuditEntryView;

use super::csrf::CsrfForm;
use super::frame::{Flash, Frame, Section};
use super::render::{ConsoleError, encode_component, redirect_with, render};
use super::session::ConsoleUser;
use crate::state::AppState;

/// Entries per page of the search.
const PAGE: usize = 50;

/// The audit pages' routes.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/audit", get(search))
        .route("/console/audit/chain", get(chain))
        .route("/console/audit/chain/verify", post(verify))
        .route("/console/audit/chain/checkpoint", post(checkpoint))
}

/// The search form as sent (a GET form: empty fields are sent empty).
#[derive(Debug, Default, Deserialize)]
struct SearchQuery {
    #[serde(default)]
    subject: String,
    #[serde(default)]
    actor: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    /// The seq after which the page starts (the "next page" link).
    #[serde(default)]
    after: String,
}

/// One entry as the table shows it.
struct EntryRow {
    seq: i64,
    at: String,
    actor: String,
    ip: String,
    action: String,
    purpose: String,
    subject_id: String,
    categories: String,
    outcome: String,
    detail: String,
}

#[derive(Template)]
#[template(path = "console/audit.html")]
struct AuditPage {
    frame: Frame,
    query: SearchQuery,
    /// Catalog keys of what is wrong with the form, by field (`from`, `to`, `after`).
    from_error: bool,
    to_error: bool,
    entries: Vec<EntryRow>,
    /// The query string of the next page, when there is one.
    next: Option<String>,
}

/// A time typed in Stockholm time (`2026-03-01T10:00` from a `datetime-local` field, or a date
/// alone) as the instant it names. A date alone means its first moment; as the end of a range
/// (`end_of_day`) it means the whole day, up to the next day's first moment. A local time the
/// clocks skip or repeat (the DST changes) is read as jiff's compatible choice: the later
/// offset for a gap, the earlier for a fold.
pub(crate) fn stockholm_instant(text: &str, end_of_day: bool) -> Option<Timestamp> {
    let text = text.trim();
    let zone = skydd_register::zone::stockholm();
    // jiff reads a date out of a date and time too, so a date alone is told by its length.
    if text.len() == "2026-03-01".len() {
        let date: Date = text.parse().ok()?;
        let date = if end_of_day {
            date.tomorrow().ok()?
        } else {
            date
        };
        return date.to_zoned(zone).ok().map(|z| z.timestamp());
    }
    let local: DateTime = text.parse().ok()?;
    local.to_zoned(zone).ok().map(|z| z.timestamp())
}

fn optional(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

async fn search(
    State(state): State<AppState>,
    user: ConsoleUser,
    query: Result<Query<SearchQuery>, QueryRejection>,
) -> Result<Response, ConsoleError> {
    user.require(Permission::AuditRead)?;
    let Query(query) = query.map_err(|_| ConsoleError::BadForm)?;
    let from = optional(&query.from).map(|t| stockholm_instant(&t, false));
    let to = optional(&query.to).map(|t| stockholm_instant(&t, true));
    let from_error = matches!(from, Some(None));
    let to_error = matches!(to, Some(None));
    let after = match optional(&query.after) {
        None => 0,
        Some(after) => after
            .parse::<i64>()
            .ok()
            .filter(|seq| *seq >= 0)
            .ok_or(ConsoleError::BadForm)?,
    };
    let filter = AuditFilter {
        subject_id: optional(&query.subject),
        from: from.flatten(),
        to: to.flatten(),
        actor: optional(&query.actor),
        action: optional(&query.action),
    };
    let mut entries = Vec::new();
    let mut next = None;
    if !from_error && !to_error {
        entries = state
            .storage
            .audit_entries(&filter, after, PAGE + 1)
            .await?;
        if entries.len() > PAGE {
            entries.truncate(PAGE);
            next = entries.last().map(|e| next_query(&query, e.event.seq));
        }
        crate::api::audit::record_read(
            &state,
            &user.actor(),
            filter.subject_id.clone(),
            entries.len(),
        )
        .await?;
    }
    let rows = entries
        .into_iter()
        .map(|entry| {
            let view = AuditEntryView::from(entry);
            EntryRow {
                seq: view.seq,
                at: super::i18n::time(view.at),
                actor: view.actor,
                ip: view.ip.unwrap_or_default(),
                action: view.action,
                purpose: view.purpose.unwrap_or_default(),
                subject_id: view.subject_id.unwrap_or_default(),
                categories: view.categories.join(", "),
                outcome: view.outcome,
                detail: view.detail.unwrap_or_default(),
            }
        })
        .collect();
    let page = AuditPage {
        frame: user.frame(Section::Audit, "audit.title"),
        from_error,
        to_error,
        entries: rows,
        next,
        query,
    };
    render(user.language, &page)
}

/// The query string of the page after `seq`, with the same filters.
fn next_query(query: &SearchQuery, seq: i64) -> String {
    let mut pairs = Vec::new();
    for (name, value) in [
        ("subject", &query.subject),
        ("actor", &query.actor),
        ("action", &query.action),
        ("from", &query.from),
        ("to", &query.to),
    ] {
        if !value.trim().is_empty() {
            pairs.push(format!("{name}={}", encode_component(value.trim())));
        }
    }
    pairs.push(format!("after={seq}"));
    pairs.join("&")
}

/// A checkpoint as the chain page lists it.
struct CheckpointRow {
    seq: i64,
    at: String,
    hash: String,
    signature_valid: bool,
}

/// What a verification found, as the chain page shows it.
struct Verification {
    intact: bool,
    entries: u64,
    unchained: u64,
    head_seq: i64,
    head_hash: String,
    checkpoints: usize,
    /// The first bad or missing entry and what is wrong with it (the storage's words).
    breach: Option<(i64, String)>,
}

#[derive(Template)]
#[template(path = "console/audit_chain.html")]
struct ChainPage {
    frame: Frame,
    checkpoints: Vec<CheckpointRow>,
    may_checkpoint: bool,
    verification: Option<Verification>,
}

async fn chain_page(
    state: &AppState,
    user: &ConsoleUser,
    verification: Option<Verification>,
) -> Result<Response, ConsoleError> {
    let checkpoints = state
        .checked_checkpoints()
        .await?
        .into_iter()
        .rev()
        .map(
            |CheckedCheckpoint {
                 row,
                 signature_valid,
             }| CheckpointRow {
                seq: row.seq,
                at: super::i18n::time(row.at),
                hash: audit_chain::hex(&row.hash),
                signature_valid,
            },
        )
        .collect();
    let page = ChainPage {
        frame: user.frame(Section::Audit, "audit.chain.title"),
        checkpoints,
        may_checkpoint: user.may(Permission::AuditCheckpoint),
        verification,
    };
    render(user.language, &page)
}

async fn chain(State(state): State<AppState>, user: ConsoleUser) -> Result<Response, ConsoleError> {
    user.require(Permission::AuditRead)?;
    chain_page(&state, &user, None).await
}

/// A form with nothing but its CSRF token.
#[derive(Debug, Deserialize)]
struct Confirm {}

async fn verify(
    _: super::csrf::Permits<crate::auth::need::AuditRead>,
    State(state): State<AppState>,
    CsrfForm(user, Confirm {}): CsrfForm<Confirm>,
) -> Result<Response, ConsoleError> {
    user.require(Permission::AuditRead)?;
    let report = state.verify_audit_trail().await.map_err(|error| {
        tracing::error!(error = %error, "the audit trail could not be verified");
        ConsoleError::Internal
    })?;
    let verification = verification(&report);
    let outcome = if verification.intact {
        "intact"
    } else {
        "breach"
    };
    record(
        &state,
        &user,
        "audit.verify",
        outcome,
        format!(
            "{} entries, head {}",
            verification.entries, verification.head_seq
        ),
    )
    .await?;
    chain_page(&state, &user, Some(verification)).await
}

fn verification(report: &ChainReport) -> Verification {
    Verification {
        intact: report.breach.is_none(),
        entries: report.entries,
        unchained: report.unchained,
        head_seq: report.head_seq,
        head_hash: report.head_hash.clone(),
        checkpoints: report.checkpoints,
        breach: report.breach.as_ref().map(|b| (b.seq, b.problem.clone())),
    }
}

async fn checkpoint(
    _: super::csrf::Permits<crate::auth::need::AuditCheckpoint>,
    State(state): State<AppState>,
    CsrfForm(user, Confirm {}): CsrfForm<Confirm>,
) -> Result<Response, ConsoleError> {
    user.require(Permission::AuditCheckpoint)?;
    let written = state.checkpoint(user.now).await.map_err(|error| {
        tracing::error!(error = %error, "an audit checkpoint could not be written");
        ConsoleError::Internal
    })?;
    let Some(row) = written else {
        return Ok(redirect_with(
            "/console/audit/chain",
            Flash::problem("audit.chain.checkpoint.empty"),
        ));
    };
    record(
        &state,
        &user,
        "audit.checkpoint",
        "done",
        format!("checkpoint at {}", row.seq),
    )
    .await?;
    Ok(redirect_with(
        "/console/audit/chain",
        Flash::done("audit.chain.checkpoint.done"),
    ))
}

/// Record what `user` did to the trail, through the audit sink every event goes through.
async fn record(
    state: &AppState,
    user: &ConsoleUser,
    action: &'static str,
    outcome: &str,
    detail: String,
) -> Result<(), ConsoleError> {
    let actor = user.actor();
    state
        .audit()
        .record(AuditEvent {
            at: user.now,
            actor: actor.id,
            ip: actor.ip,
            action,
            purpose: None,
            subject_id: None,
            categories: Vec::new(),
            outcome: outcome.into(),
            detail: Some(detail),
        })
        .await
        .map_err(ConsoleError::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stockholm_times_become_instants() {
        let at = |text: &str, end: bool| stockholm_instant(text, end).map(|t| t.to_string());
        // Winter: UTC+1; summer: UTC+2.
        assert_eq!(
            at("2026-03-01T10:00", false).as_deref(),
            Some("2026-03-01T09:00:00Z")
        );
        assert_eq!(
            at("2026-07-01T10:00", false).as_deref(),
            Some("2026-07-01T08:00:00Z")
        );
        // A date is its whole day in Stockholm.
        assert_eq!(
            at("2026-03-01", false).as_deref(),
            Some("2026-02-28T23:00:00Z")
        );
        assert_eq!(
            at("2026-03-01", true).as_deref(),
            Some("2026-03-01T23:00:00Z")
        );
        // The day the clocks go forward has 23 hours.
        assert_eq!(
            at("2026-03-29", true).as_deref(),
            Some("2026-03-29T22:00:00Z")
        );
        // 02:30 does not exist on that day: the later offset, as the clocks read after it.
        assert_eq!(
            at("2026-03-29T02:30", false).as_deref(),
            Some("2026-03-29T01:30:00Z")
        );
        for bad in [
            "",
            "yesterday",
            "2026-13-01",
            "2026-03-01T25:00",
            "<script>",
        ] {
            assert_eq!(at(bad, false), None, "{bad}");
        }
    }
}

#[cfg(test)]
mod pages {
    use skydd_register::model::{Choice as _, Language};

    use super::*;
    use crate::console::register::tests::{frame, snapshot};

    fn entry(seq: i64, actor: &str, action: &str) -> EntryRow {
        EntryRow {
            seq,
            at: "2026-03-01 10:00".into(),
            actor: actor.into(),
            ip: "192.0.2.1".into(),
            action: action.into(),
            purpose: "delivery".into(),
            subject_id: "0123456789abcdef0123456789abcdef".into(),
            categories: "contact".into(),
            outcome: "allowed".into(),
            detail: "2 records".into(),
        }
    }

    #[test]
    fn the_search_page_in_both_languages() {
        for language in [Language::En, Language::Sv] {
            let page = AuditPage {
                frame: frame(language, Section::Audit, "audit.title"),
                query: SearchQuery {
                    actor: "account:ab12".into(),
                    to: "yesterday".into(),
                    ..SearchQuery::default()
                },
                from_error: false,
                to_error: true,
                entries: vec![
                    entry(1, "account:ab12/session:s1", "records.read"),
                    entry(2, "0000000000000a1", "audit.read"),
                ],
                next: Some("actor=account%3Aab12&after=2".into()),
            };
            let html = snapshot(&format!("audit_{}", language.word()), &page);
            assert!(
                html.contains("aria-invalid=\"true\""),
                "the bad time is marked"
            );
            assert!(html.contains("/console/audit?actor=account%3Aab12&amp;after=2"));
        }
    }

    #[test]
    fn the_chain_page_shows_a_breach_and_checkpoint_signatures() {
        for language in [Language::En, Language::Sv] {
            let page = ChainPage {
                frame: frame(language, Section::Audit, "audit.chain.title"),
                checkpoints: vec![
                    CheckpointRow {
                        seq: 9,
                        at: "2026-03-01 10:00".into(),
                        hash: "ef".repeat(32),
                        signature_valid: false,
                    },
                    CheckpointRow {
                        seq: 4,
                        at: "2026-02-01 10:00".into(),
                        hash: "01".repeat(32),
                        signature_valid: true,
                    },
                ],
                may_checkpoint: true,
                verification: Some(Verification {
                    intact: false,
                    entries: 6,
                    unchained: 0,
                    head_seq: 12,
                    head_hash: "ab".repeat(32),
                    checkpoints: 1,
                    breach: Some((7, "its hash does not match its content".into())),
                }),
            };
            let html = snapshot(&format!("audit_chain_{}", language.word()), &page);
            assert!(html.contains("role=\"alert\""), "a breach is announced");
            assert!(html.contains("its hash does not match its content"));
        }
    }
}
