//! "Your account": the signed-in staff member's own open sessions, signing out everywhere
//! (in `sign_in`), and changing their password.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post};
use jiff::Timestamp;
use serde::Deserialize;
use skydd_app::staff::StaffError;

use super::csrf::CsrfForm;
use super::frame::{Flash, Frame, Section};
use super::i18n;
use super::render::{ConsoleError, redirect_with, render};
use super::session::ConsoleUser;
use crate::state::AppState;

/// The routes of the account page.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/account", get(show))
        .route("/console/account/password", post(change_password))
}

/// One open session as the page lists it.
struct SessionRow {
    created_at: Timestamp,
    last_seen_at: Timestamp,
    ip: Option<String>,
    /// Whether it is the session showing the page.
    current: bool,
}

/// The account page's template.
#[derive(Template)]
#[template(path = "console/account.html")]
struct AccountPage {
    frame: Frame,
    /// The account's own address (for password managers' `username` field).
    email: String,
    sessions: Vec<SessionRow>,
    problem: Option<String>,
}

/// The account page, with `problem` above the password form.
async fn page(
    state: &AppState,
    user: &ConsoleUser,
    problem: Option<String>,
) -> Result<Response, ConsoleError> {
    let sessions = state
        .staff()
        .sessions_of(&user.account, user.now)
        .await?
        .into_iter()
        .map(|session| SessionRow {
            current: session.public_id == user.session_id,
            created_at: session.created_at,
            last_seen_at: session.last_seen_at,
            ip: session.ip,
        })
        .collect();
    let page = AccountPage {
        frame: user.frame(Section::Elsewhere, "account.title"),
        email: user.name.clone(),
        sessions,
        problem,
    };
    render(user.language, &page)
}

/// `GET /console/account`: your sessions, sign out everywhere, change your password.
async fn show(State(state): State<AppState>, user: ConsoleUser) -> Result<Response, ConsoleError> {
    page(&state, &user, None).await
}

/// The fields of the password form.
#[derive(Deserialize)]
struct PasswordForm {
    current: String,
    password: String,
    repeat: String,
}

/// `POST /console/account/password`: set a new password; the account's other sessions end.
async fn change_password(
    State(state): State<AppState>,
    CsrfForm(user, form): CsrfForm<PasswordForm>,
) -> Result<Response, ConsoleError> {
    if form.password != form.repeat {
        let problem = i18n::text("account.password_mismatch", user.language).to_owned();
        return page(&state, &user, Some(problem)).await;
    }
    let result = state
        .staff()
        .change_own_password(
            &user.account,
            &form.current,
            &form.password,
            Some(&user.session_id),
            &user.actor(),
            user.now,
        )
        .await;
    match result {
        Ok(()) => Ok(redirect_with(
            "/console/account",
            Flash::done("account.password_changed"),
        )),
        // The policy's message says how to fix it and never repeats the password.
        Err(StaffError::Password(problem)) => page(&state, &user, Some(problem.to_string())).await,
        Err(StaffError::CurrentPasswordRefused { .. }) => {
            let problem = i18n::text("account.current_refused", user.language).to_owned();
            page(&state, &user, Some(problem)).await
        }
        Err(error) => Err(error.into()),
    }
}
