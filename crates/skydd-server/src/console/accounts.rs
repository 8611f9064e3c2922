//! Staff accounts administration (`AccountsManage`, administrators): the list, creating an
//! account (with a first password typed or made and shown once), disabling and enabling, and
//! resetting a second factor. Every change goes through the staff service, which audits it
//! with the administrator's account, session and address.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::{get, post};
use jiff::Timestamp;
use serde::Deserialize;
use skydd_app::staff::{NewAccount, StaffError};
use skydd_staff::account::{AccountId, AccountState, StaffEmail};
use skydd_staff::permission::{Permission, StaffRole};

use super::csrf::CsrfForm;
use super::frame::{Flash, Frame, Section};
use super::i18n;
use super::render::{ConsoleError, redirect_with, render};
use super::session::ConsoleUser;
use crate::state::AppState;

/// The routes of the accounts pages.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/accounts", get(list))
        .route("/console/accounts/new", get(show_new).post(create))
        .route("/console/accounts/{id}/disable", post(disable))
        .route("/console/accounts/{id}/enable", post(enable))
        .route("/console/accounts/{id}/reset-totp", post(reset_totp))
        .route("/console/accounts/{id}/training", post(record_training))
}

/// One account as the list shows it.
struct AccountRow {
    id: String,
    email: String,
    role: StaffRole,
    active: bool,
    totp: bool,
    codes_left: u32,
    last_sign_in: Option<Timestamp>,
    /// Whether it is the administrator's own account (not disabled from here).
    yourself: bool,
    /// The day of the latest privacy training recorded, in words (P000-63).
    training: Option<String>,
    /// The role reads personal data and no training is recorded.
    untrained: bool,
}

/// The list's template.
#[derive(Template)]
#[template(path = "console/accounts.html")]
struct AccountsPage {
    frame: Frame,
    accounts: Vec<AccountRow>,
}

/// `GET /console/accounts`: every staff account.
async fn list(State(state): State<AppState>, user: ConsoleUser) -> Result<Response, ConsoleError> {
    user.require(Permission::AccountsManage)?;
    let staff = state.staff();
    let mut accounts: Vec<AccountRow> = Vec::new();
    for account in staff.list_accounts().await? {
        let trained = staff.latest_training(&account.email).await?;
        accounts.push(AccountRow {
            yourself: account.id == user.account,
            id: account.id.as_str().to_owned(),
            email: account.email.expose().to_owned(),
            role: account.role,
            active: account.state == AccountState::Active,
            totp: account.totp_enrolled,
            codes_left: account.recovery_codes_left,
            last_sign_in: account.last_sign_in_at,
            training: trained.map(|day| skydd_notice::wording::date(user.language, day)),
            untrained: trained.is_none() && account.role.reads_personal_data(),
        });
    }
    accounts.sort_by(|a, b| a.email.cmp(&b.email));
    let page = AccountsPage {
        frame: user.frame(Section::Accounts, "accounts.title"),
        accounts,
    };
    render(user.language, &page)
}

/// The form's template.
#[derive(Template)]
#[template(path = "console/accounts_new.html")]
struct NewAccountPage {
    frame: Frame,
    roles: [StaffRole; 4],
    problem: Option<String>,
}

/// The new-account form with `problem` above it.
fn new_page(user: &ConsoleUser, problem: Option<String>) -> Result<Response, ConsoleError> {
    let page = NewAccountPage {
        frame: user.frame(Section::Accounts, "accounts.new_title"),
        roles: StaffRole::ALL,
        problem,
    };
    render(user.language, &page)
}

/// `GET /console/accounts/new`: the form.
async fn show_new(user: ConsoleUser) -> Result<Response, ConsoleError> {
    user.require(Permission::AccountsManage)?;
    new_page(&user, None)
}

/// The fields of the new-account form.
#[derive(Deserialize)]
struct NewAccountForm {
    email: String,
    role: String,
    #[serde(default)]
    password: String,
}

/// The page that shows a made password once.
#[derive(Template)]
#[template(path = "console/accounts_created.html")]
struct CreatedPage {
    frame: Frame,
    password: String,
    /// The role reads personal data and no privacy training is recorded (P000-63).
    untrained: bool,
}

/// `POST /console/accounts/new`: create the account; a password made here is shown once.
async fn create(
    _: super::csrf::Permits<crate::auth::need::AccountsManage>,
    State(state): State<AppState>,
    CsrfForm(user, form): CsrfForm<NewAccountForm>,
) -> Result<Response, ConsoleError> {
    user.require(Permission::AccountsManage)?;
    let problem = |key| Ok(Some(i18n::text(key, user.language).to_owned()));
    let refuse = |problem: Result<Option<String>, ConsoleError>| new_page(&user, problem?);
    let Ok(email) = StaffEmail::parse(&form.email) else {
        return refuse(problem("accounts.bad_email"));
    };
    let role: StaffRole = form.role.parse().map_err(|_| ConsoleError::BadForm)?;
    let made = form.password.is_empty();
    let password = if made {
        skydd_crypto::password::generate().map_err(|_| ConsoleError::Internal)?
    } else {
        form.password.into()
    };
    let shown = made.then(|| password.to_string());
    let untrained = state.staff().grant_lacks_training(&email, role).await?;
    let new = NewAccount {
        email,
        role,
        password,
    };
    match state
        .staff()
        .create_account(new, &user.actor(), user.now)
        .await
    {
        Ok(_) => {}
        Err(StaffError::Duplicate) => return refuse(problem("accounts.duplicate")),
        Err(StaffError::Email(_)) => return refuse(problem("accounts.bad_email")),
        Err(StaffError::Password(policy)) => return refuse(Ok(Some(policy.to_string()))),
        Err(error) => return Err(error.into()),
    }
    match shown {
        Some(password) => {
            let page = CreatedPage {
                frame: user.frame(Section::Accounts, "accounts.created_title"),
                password,
                untrained,
            };
            render(user.language, &page)
        }
        None if untrained => Ok(redirect_with(
            "/console/accounts",
            Flash::problem("accounts.created_untrained"),
        )),
        None => Ok(redirect_with(
            "/console/accounts",
            Flash::done("accounts.created_done"),
        )),
    }
}

/// A form with no fields of its own (only `_csrf`).
#[derive(Deserialize)]
struct NoFields {}

/// The account of a path, or a 404.
fn account_id(id: &str) -> Result<AccountId, ConsoleError> {
    AccountId::parse(id).map_err(|_| ConsoleError::NotFound)
}

/// `POST /console/accounts/{id}/disable`: the account may not sign in; its sessions end.
async fn disable(
    _: super::csrf::Permits<crate::auth::need::AccountsManage>,
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(user, NoFields {}): CsrfForm<NoFields>,
) -> Result<Response, ConsoleError> {
    user.require(Permission::AccountsManage)?;
    let id = account_id(&id)?;
    if id == user.account {
        return Ok(redirect_with(
            "/console/accounts",
            Flash::problem("accounts.not_yourself"),
        ));
    }
    state
        .staff()
        .disable_account(&id, &user.actor(), user.now)
        .await?;
    Ok(redirect_with(
        "/console/accounts",
        Flash::done("accounts.disabled_done"),
    ))
}

/// `POST /console/accounts/{id}/enable`: the account may sign in again.
async fn enable(
    _: super::csrf::Permits<crate::auth::need::AccountsManage>,
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(user, NoFields {}): CsrfForm<NoFields>,
) -> Result<Response, ConsoleError> {
    user.require(Permission::AccountsManage)?;
    let id = account_id(&id)?;
    state
        .staff()
        .enable_account(&id, &user.actor(), user.now)
        .await?;
    Ok(redirect_with(
        "/console/accounts",
        Flash::done("accounts.enabled_done"),
    ))
}

/// The fields of the privacy-training form.
#[derive(Deserialize)]
struct TrainingForm {
    completed_on: String,
    course: String,
}

/// `POST /console/accounts/{id}/training`: record that the account's holder completed privacy
/// training (P000-63), then back to the list with a message; a day not yet come or a course
/// not named is refused and nothing is recorded.
async fn record_training(
    _: super::csrf::Permits<crate::auth::need::AccountsManage>,
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(user, form): CsrfForm<TrainingForm>,
) -> Result<Response, ConsoleError> {
    user.require(Permission::AccountsManage)?;
    let id = account_id(&id)?;
    let staff = state.staff();
    let account = staff.account(&id).await?.ok_or(ConsoleError::NotFound)?;
    let refused = Flash::problem("accounts.training_refused");
    let flash = match form.completed_on.trim().parse::<jiff::civil::Date>() {
        Ok(day) => match staff
            .record_training(&account.email, day, &form.course, &user.actor(), user.now)
            .await
        {
            Ok(()) => Flash::done("accounts.training_done"),
            Err(StaffError::Training { .. }) => refused,
            Err(error) => return Err(error.into()),
        },
        Err(_) => refused,
    };
    Ok(redirect_with("/console/accounts", flash))
}

/// `POST /console/accounts/{id}/reset-totp`: the account's TOTP and recovery codes are
/// removed and its sessions end; it enrols again at its next sign-in.
async fn reset_totp(
    _: super::csrf::Permits<crate::auth::need::AccountsManage>,
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(user, NoFields {}): CsrfForm<NoFields>,
) -> Result<Response, ConsoleError> {
    user.require(Permission::AccountsManage)?;
    let id = account_id(&id)?;
    state
        .staff()
        .reset_totp(&id, &user.actor(), user.now)
        .await?;
    Ok(redirect_with(
        "/console/accounts",
        Flash::done("accounts.reset_done"),
    ))
}
