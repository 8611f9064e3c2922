//! Single sign-on pages: `GET /console/sign-in/sso` sends the browser to the OpenID provider,
//! `GET /console/sso/callback` takes it back, checks everything (`skydd_app::oidc`) and opens
//! the console session. Without `--oidc-issuer` both are 404.
//!
//! The state travels in a cookie as well as through the provider, so the callback only
//! accepts a sign-in begun in the same browser. That cookie is `SameSite=Lax` (the provider's
//! redirect back is a cross-site navigation); the session cookie is `Strict`, so the callback
//! answers with a page that refreshes to the dashboard (a same-site navigation that carries
//! it) rather than with a redirect that would still count as cross-site. Refusals are pages
//! with a fixed text per kind, never the provider's words or the person's claim values.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::header::{LOCATION, SET_COOKIE};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use skydd_app::oidc::{Callback, SsoAccountError, SsoError};

use super::frame::Frame;
use super::i18n;
use super::render::{ConsoleError, ErrorPage, expired_cookie, render};
use super::session::session_cookie;
use crate::auth::PeerIp;
use crate::limit::{Limited, route};
use crate::state::AppState;

/// The cookie holding a sign-in's `state` between the two halves.
pub(crate) const STATE_COOKIE: &str = "__Host-skydd-sso";

/// The `Refresh` header (not among `http`'s constants).
const REFRESH: HeaderName = HeaderName::from_static("refresh");

/// The single sign-on routes.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/sign-in/sso", get(begin))
        .route("/console/sso/callback", get(callback))
}

/// `GET /console/sign-in/sso`: a fresh sign-in, 303 to the provider. Limited per address, so
/// no one client can fill the pending sign-ins (bounded) and push out real ones.
async fn begin(
    State(state): State<AppState>,
    _: Limited<route::SingleSignOn, ConsoleError>,
) -> Result<Response, ConsoleError> {
    let Some(sso) = state.sso() else {
        return Err(ConsoleError::NotFound);
    };
    let now = state.clock.now();
    let begun = match sso.begin(now).await {
        Ok(begun) => begun,
        Err(error) => return Ok(refused(error.kind(), &error.to_string(), "")),
    };
    let mut response = StatusCode::SEE_OTHER.into_response();
    let headers = response.headers_mut();
    let location =
        HeaderValue::from_str(begun.authorize_url.as_str()).map_err(|_| ConsoleError::Internal)?;
    headers.insert(LOCATION, location);
    let cookie = format!(
        "{STATE_COOKIE}={}; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age={}",
        begun.state,
        skydd_app::oidc::pending::LIFETIME.as_secs()
    );
    headers.append(
        SET_COOKIE,
        HeaderValue::from_str(&cookie).map_err(|_| ConsoleError::Internal)?,
    );
    Ok(response)
}

/// What the provider sends back.
#[derive(Debug, Deserialize)]
struct CallbackQuery {
    state: Option<String>,
    code: Option<String>,
    error: Option<String>,
}

/// The page after a single sign-on went through.
#[derive(Template)]
#[template(path = "console/sso_done.html")]
struct DonePage {
    frame: Frame,
}

/// `GET /console/sso/callback`: finish the sign-in and open the session.
async fn callback(
    State(state): State<AppState>,
    _: Limited<route::SingleSignOn, ConsoleError>,
    PeerIp(ip): PeerIp,
    parts: axum::http::request::Parts,
) -> Result<Response, ConsoleError> {
    let Some(sso) = state.sso() else {
        return Err(ConsoleError::NotFound);
    };
    let Query(query) =
        Query::<CallbackQuery>::try_from_uri(&parts.uri).map_err(|_| ConsoleError::BadForm)?;
    let cookie_state = i18n::cookie(&parts.headers, STATE_COOKIE);
    let now = state.clock.now();
    let finished = sso
        .finish(
            Callback {
                state: query.state.as_deref(),
                code: query.code.as_deref(),
                error: query.error.as_deref(),
                cookie_state: cookie_state.as_deref(),
            },
            now,
        )
        .await;
    let identity = match finished {
        Ok(identity) => identity,
        Err(error) => {
            let claim = match &error {
                SsoError::NoRole { claim } => claim.clone(),
                _ => String::new(),
            };
            return Ok(forget_state(refused(
                error.kind(),
                &error.to_string(),
                &claim,
            )));
        }
    };
    let session = match state.open_sso_session(&identity, ip, now).await {
        Ok(session) => session,
        Err(SsoAccountError::Disabled) => {
            return Ok(forget_state(refused(
                "disabled",
                "the staff account is disabled",
                "",
            )));
        }
        Err(SsoAccountError::Storage(error)) => return Err(error.into()),
        Err(error) => {
            tracing::error!(%error, "single sign-on could not open a session");
            return Err(ConsoleError::Internal);
        }
    };
    tracing::info!(
        account = %session.account_id,
        session = %session.session_public_id,
        role = %session.role,
        created = session.created,
        "single sign-on"
    );
    let language = i18n::language_of(&parts);
    let frame = Frame::anonymous(language, "sso.title", String::new());
    let mut response = render(language, &DonePage { frame })?;
    let headers = response.headers_mut();
    headers.insert(
        REFRESH,
        HeaderValue::from_static("0; url=/console/dashboard"),
    );
    let cookie = session_cookie(&session.secret.encoded());
    headers.append(
        SET_COOKIE,
        HeaderValue::from_str(&cookie).map_err(|_| ConsoleError::Internal)?,
    );
    Ok(forget_state(response))
}

/// The refusal page for `kind` (an [`SsoError::kind`] or `disabled`), logged with `reason`
/// (which holds no personal value); `claim` names the role claim for `no_role`.
fn refused(kind: &str, reason: &str, claim: &str) -> Response {
    tracing::warn!(kind, "single sign-on refused: {reason}");
    let (status, help) = match kind {
        "unknown_state" => (StatusCode::BAD_REQUEST, "sso.help.unknown_state"),
        "provider_unreachable" => (StatusCode::BAD_GATEWAY, "sso.help.provider_unreachable"),
        "provider_misconfigured" => (StatusCode::BAD_GATEWAY, "sso.help.provider_misconfigured"),
        "provider_refused" => (StatusCode::UNAUTHORIZED, "sso.help.provider_refused"),
        "code_refused" | "token_refused" => (StatusCode::UNAUTHORIZED, "sso.help.token_refused"),
        "no_verified_email" => (StatusCode::FORBIDDEN, "sso.help.no_verified_email"),
        "no_role" => (StatusCode::FORBIDDEN, "sso.help.no_role"),
        "disabled" => (StatusCode::FORBIDDEN, "sso.help.disabled"),
        _ => (StatusCode::INTERNAL_SERVER_ERROR, "error.500.help"),
    };
    (
        status,
        ErrorPage {
            title: "sso.failed",
            help: Some(help),
            value: claim.to_owned(),
            detail: None,
        },
    )
        .into_response()
}

/// `response` removing the state cookie: a sign-in is used once, whatever its outcome.
fn forget_state(mut response: Response) -> Response {
    if let Ok(value) = HeaderValue::from_str(&expired_cookie(STATE_COOKIE)) {
        response.headers_mut().append(SET_COOKIE, value);
    }
    response
}
