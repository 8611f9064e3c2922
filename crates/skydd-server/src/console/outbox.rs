//! The outbox in the console (issue 17): queued, sent and failed messages with their kind,
//! request, state, attempts, next attempt and last error, filtered by state, kind and request
//! (`OutboxRead`: nothing is decrypted). A message's address and text are decrypted only on
//! demand, by a POST form, for a role with `OutboxBodies`; the vault records each such read
//! (`outbox.read` with the message id).

use askama::Template;
use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;
use skydd_staff::permission::Permission;
use skydd_vault::{OutboxEntry, OutboxQuery, OutboxState};

use super::csrf::CsrfForm;
use super::frame::{Frame, Section};
use super::render::{ConsoleError, encode_component, render};
use super::session::ConsoleUser;
use crate::state::AppState;

/// Messages per page.
const PAGE: usize = 100;

/// The outbox pages' routes.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/outbox", get(list))
        .route("/console/outbox/{id}", post(open))
}

/// The filter form as sent (a GET form: empty fields are sent empty).
#[derive(Debug, Default, Deserialize)]
struct ListQuery {
    #[serde(default)]
    state: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    request: String,
    /// The page, from 0.
    #[serde(default)]
    page: String,
}

/// One message as the table shows it.
struct MessageRow {
    id: String,
    created_at: String,
    kind: String,
    request_id: Option<String>,
    state: &'static str,
    state_word: &'static str,
    attempts: u32,
    next_attempt_at: Option<String>,
    sent_at: Option<String>,
    last_error: String,
}

#[derive(Template)]
#[template(path = "console/outbox.html")]
struct OutboxPage {
    frame: Frame,
    state: String,
    kind: String,
    request: String,
    /// The kinds of message there are, for the filter.
    kinds: Vec<String>,
    messages: Vec<MessageRow>,
    total: usize,
    may_read_bodies: bool,
    may_read_requests: bool,
    previous: Option<String>,
    next: Option<String>,
}

/// The catalog key of a state's name.
fn state_key(state: OutboxState) -> &'static str {
    match state {
        OutboxState::Queued => "outbox.state.queued",
        OutboxState::Sent => "outbox.state.sent",
        OutboxState::Failed => "outbox.state.failed",
    }
}

fn row(entry: OutboxEntry) -> MessageRow {
    MessageRow {
        created_at: super::i18n::time(entry.created_at),
        next_attempt_at: (entry.state == OutboxState::Queued)
            .then(|| super::i18n::time(entry.next_attempt_at)),
        sent_at: entry.sent_at.map(super::i18n::time),
        state: state_key(entry.state),
        state_word: entry.state.as_str(),
        id: entry.id,
        kind: entry.kind,
        request_id: entry.request_id,
        attempts: entry.attempts,
        last_error: entry.last_error.unwrap_or_default(),
    }
}

async fn list(
    State(state): State<AppState>,
    user: ConsoleUser,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Response, ConsoleError> {
    user.require(Permission::OutboxRead)?;
    let Query(query) = query.map_err(|_| ConsoleError::BadForm)?;
    let wanted_state = match query.state.trim() {
        "" => None,
        word => Some(OutboxState::parse(word).map_err(|_| ConsoleError::BadForm)?),
    };
    let page = match query.page.trim() {
        "" => 0,
        number => number.parse::<usize>().map_err(|_| ConsoleError::BadForm)?,
    };
    let trimmed = |text: &str| Some(text.trim().to_owned()).filter(|t| !t.is_empty());
    let vault = state.vault();
    let kinds = {
        let mut kinds: Vec<String> = vault
            .outbox_entries(&OutboxQuery::default())
            .await?
            .into_iter()
            .map(|e| e.kind)
            .collect();
        kinds.sort();
        kinds.dedup();
        kinds
    };
    let mut entries = vault
        .outbox_entries(&OutboxQuery {
            state: wanted_state,
            kind: trimmed(&query.kind),
            request_id: trimmed(&query.request),
        })
        .await?;
    // Newest first: what happened last is what people look for.
    entries.reverse();
    let total = entries.len();
    let messages: Vec<MessageRow> = entries
        .into_iter()
        .skip(page.saturating_mul(PAGE))
        .take(PAGE)
        .map(row)
        .collect();
    let link = |page: usize| {
        let mut pairs = Vec::new();
        for (name, value) in [
            ("state", &query.state),
            ("kind", &query.kind),
            ("request", &query.request),
        ] {
            if !value.trim().is_empty() {
                pairs.push(format!("{name}={}", encode_component(value.trim())));
            }
        }
        pairs.push(format!("page={page}"));
        pairs.join("&")
    };
    let page_view = OutboxPage {
        frame: user.frame(Section::Outbox, "outbox.title"),
        previous: (page > 0).then(|| link(page - 1)),
        next: (total > (page + 1).saturating_mul(PAGE)).then(|| link(page + 1)),
        state: query.state.trim().to_owned(),
        kind: query.kind.trim().to_owned(),
        request: query.request.trim().to_owned(),
        kinds,
        messages,
        total,
        may_read_bodies: user.may(Permission::OutboxBodies),
        may_read_requests: user.may(Permission::RequestsRead),
    };
    render(user.language, &page_view)
}

#[derive(Template)]
#[template(path = "console/outbox_message.html")]
struct MessagePage {
    frame: Frame,
    message: MessageRow,
    to: String,
    subject: String,
    text: String,
}

/// A form with nothing but its CSRF token.
#[derive(Debug, Deserialize)]
struct Confirm {}

/// One message with its address and text, decrypted now for a role that may read them; the
/// vault records the read before anything is shown.
async fn open(
    _: super::csrf::Permits<crate::auth::need::OutboxBodies>,
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(user, Confirm {}): CsrfForm<Confirm>,
) -> Result<Response, ConsoleError> {
    user.require(Permission::OutboxBodies)?;
    if id.len() != 32 || !id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return Err(ConsoleError::NotFound);
    }
    let view = state
        .vault()
        .outbox_message(&user.actor(), &id, user.now)
        .await?
        .ok_or(ConsoleError::NotFound)?;
    let message = row(OutboxEntry {
        id: view.id,
        request_id: view.request_id,
        kind: view.kind,
        state: view.state,
        attempts: view.attempts,
        next_attempt_at: view.next_attempt_at,
        created_at: view.created_at,
        sent_at: view.sent_at,
        last_error: view.last_error,
    });
    let page = MessagePage {
        frame: user.frame(Section::Outbox, "outbox.message.title"),
        message,
        to: view.to,
        subject: view.subject,
        text: view.text,
    };
    render(user.language, &page)
}

#[cfg(test)]
mod pages {
    use skydd_register::model::{Choice as _, Language};

    use super::*;
    use crate::console::register::tests::{frame, snapshot};

    fn entries() -> Vec<MessageRow> {
        let at = |t: &str| t.parse().unwrap();
        vec![
            row(OutboxEntry {
                id: "0123456789abcdef0123456789abcdef".into(),
                request_id: Some("fedcba9876543210fedcba9876543210".into()),
                kind: "verification_code".into(),
                state: OutboxState::Failed,
                attempts: 8,
                next_attempt_at: at("2026-03-01T09:00:00Z"),
                created_at: at("2026-03-01T08:00:00Z"),
                sent_at: None,
                last_error: Some("smtp 550".into()),
            }),
            row(OutboxEntry {
                id: "1123456789abcdef0123456789abcdef".into(),
                request_id: None,
                kind: "notice_change".into(),
                state: OutboxState::Queued,
                attempts: 1,
                next_attempt_at: at("2026-07-01T09:00:00Z"),
                created_at: at("2026-07-01T08:00:00Z"),
                sent_at: None,
                last_error: None,
            }),
        ]
    }

    #[test]
    fn the_outbox_in_both_languages_with_and_without_bodies() {
        for language in [Language::En, Language::Sv] {
            for bodies in [false, true] {
                let page = OutboxPage {
                    frame: frame(language, Section::Outbox, "outbox.title"),
                    state: "failed".into(),
                    kind: String::new(),
                    request: String::new(),
                    kinds: vec!["notice_change".into(), "verification_code".into()],
                    messages: entries(),
                    total: 2,
                    may_read_bodies: bodies,
                    may_read_requests: true,
                    previous: None,
                    next: Some("state=failed&page=1".into()),
                };
                let name = format!(
                    "outbox_{}_{}",
                    language.word(),
                    if bodies { "bodies" } else { "metadata" }
                );
                let html = snapshot(&name, &page);
                assert_eq!(
                    html.contains("action=\"/console/outbox/0123456789abcdef0123456789abcdef\""),
                    bodies,
                    "the form that opens a message is there only for OutboxBodies"
                );
                // Times in Stockholm: winter UTC+1, summer UTC+2.
                assert!(html.contains("2026-03-01 09:00"));
                assert!(html.contains("2026-07-01 10:00"));
            }
        }
    }
}
