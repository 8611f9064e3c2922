//! The privacy centre (issue 18): server-rendered pages under `/privacy-centre` where a person,
//! without an account, proves who they are with a code or a magic link and then sees, downloads,
//! corrects and erases their data, withdraws consents, sets marketing choices and follows their
//! requests, in English and Swedish.
//!
//! The pages are a thin layer over [`skydd_app::centre::Centre`]: every rule (who may sign in,
//! how long a code lives, what a session may see) is the service's; this module carries it over
//! HTTP. It reuses the console's parts: its words ([`crate::console::i18n`], with the centre's
//! own [`words`]), CSRF checks ([`crate::console::csrf`]), renderer and error pages
//! ([`crate::console::render`]) and style sheet; [`frame::CentreFrame`] is the centre's own
//! layout (the company's name and logo, the person signed in, when the session ends).
//!
//! Cookies are `__Host-` prefixed, `HttpOnly`, `Secure` and `SameSite=Lax`: the magic link is
//! opened from a mail client, a cross-site navigation that would drop `Strict` cookies.
//! [`centre_responses`] gives every response the console's CSP, no framing, no sniffing,
//! `Referrer-Policy: same-origin` and `Cache-Control: no-store` unless a route says otherwise
//! (the style sheet and logo), and writes error pages in the centre's layout.

pub(crate) mod words;

mod brand;
mod frame;
mod multipart;
mod personal;
mod requests;
mod sign_in;
mod visit;

#[cfg(test)]
mod tests;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, REFERRER_POLICY, RETRY_AFTER, SET_COOKIE,
    X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use skydd_app::centre::CentreError;
use skydd_register::model::Choice as _;

use crate::console::frame::Flash;
use crate::console::i18n;
use crate::console::render::{
    ConsoleError, ErrorPage, FLASH_COOKIE, expired_cookie, redirect_with,
};
use crate::page::CONSOLE_CSP;
use crate::state::AppState;

/// Where the privacy centre starts.
pub(crate) const CENTRE_PATH: &str = "/privacy-centre";

/// The personal page.
pub(crate) const PERSONAL_PATH: &str = "/privacy-centre/me";

/// The session cookie: the session secret of [`skydd_app::centre::Opened`].
pub(crate) const SESSION_COOKIE: &str = "__Host-skydd-centre";

/// The cookie binding a sign-in to the browser that asked for it
/// ([`skydd_app::centre::SignInStarted::browser_secret`]).
pub(crate) const BROWSER_COOKIE: &str = "__Host-skydd-centre-browser";

/// The double-submit token of the forms shown before there is a session.
pub(crate) const FORM_COOKIE: &str = "__Host-skydd-centre-form";

/// Every route of the privacy centre, with [`centre_responses`] around them.
pub(crate) fn router(state: AppState) -> Router<AppState> {
    Router::new()
        .route(CENTRE_PATH, get(sign_in::landing))
        .route("/privacy-centre/sign-in", post(sign_in::start))
        .route(
            "/privacy-centre/verify/{challenge}",
            get(sign_in::code_form).post(sign_in::verify_code),
        )
        .route("/privacy-centre/link/{token}", get(sign_in::magic_link))
        .route("/privacy-centre/sign-out", post(sign_in::sign_out))
        .route(PERSONAL_PATH, get(personal::page))
        .route(
            "/privacy-centre/me/download/{format}",
            get(personal::download),
        )
        .route(
            "/privacy-centre/me/consents/withdraw",
            post(personal::withdraw),
        )
        .route("/privacy-centre/me/objections", post(personal::object))
        .route(
            "/privacy-centre/me/preferences",
            post(personal::preferences),
        )
        .route("/privacy-centre/me/ask/{type}", get(requests::ask))
        .route("/privacy-centre/me/requests", post(requests::submit))
        .route(
            "/privacy-centre/me/requests/{id}",
            get(requests::request_page),
        )
        .merge(requests::upload_route())
        .route("/privacy-centre/style.css", get(brand::stylesheet))
        .route("/privacy-centre/logo", get(brand::logo))
        // Any other path under the centre: the centre's 404 page.
        .route(
            "/privacy-centre/{*rest}",
            any(|| async { ConsoleError::NotFound }),
        )
        .method_not_allowed_fallback(|| async { StatusCode::METHOD_NOT_ALLOWED })
        .layer(middleware::from_fn_with_state(state, centre_responses))
}

/// Middleware around every centre route: error pages in the centre's layout and the request's
/// language; the console's CSP (unless the route set its own: the logo), no framing, no
/// sniffing, `Referer` only to this origin, never stored unless the route says otherwise; the
/// language chosen with the switch remembered; the flash message removed once shown.
pub(crate) async fn centre_responses(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let (parts, body) = request.into_parts();
    let language = i18n::language_of(&parts);
    let asked = i18n::asked_language(parts.uri.query());
    let had_flash = i18n::cookie(&parts.headers, FLASH_COOKIE).is_some();
    let mut response = next.run(Request::from_parts(parts, body)).await;

    if let Some(page) = response.extensions_mut().remove::<ErrorPage>() {
        let status = response.status();
        let retry_after = response.headers().get(RETRY_AFTER).cloned();
        let cookies: Vec<HeaderValue> = response
            .headers()
            .get_all(SET_COOKIE)
            .iter()
            .cloned()
            .collect();
        response = frame::error_page(&state, &page, language)
            .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response());
        *response.status_mut() = status;
        if let Some(retry_after) = retry_after {
            response.headers_mut().insert(RETRY_AFTER, retry_after);
        }
        for cookie in cookies {
            response.headers_mut().append(SET_COOKIE, cookie);
        }
    }

    let page_shown = response.status().is_success();
    let h = response.headers_mut();
    if !h.contains_key(CONTENT_SECURITY_POLICY) {
        h.insert(
            CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONSOLE_CSP),
        );
    }
    h.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    // `same-origin`, not `no-referrer`: Chromium sends `Origin: null` on a form POST under
    // `no-referrer`, which the CSRF check refuses (see `console::csrf`).
    h.insert(REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    if !h.contains_key(CACHE_CONTROL) {
        h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if let Some(language) = asked {
        let cookie = format!(
            "{}={}; Path=/; Secure; SameSite=Lax; Max-Age=31536000",
            i18n::LANGUAGE_COOKIE,
            language.word()
        );
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            h.append(SET_COOKIE, value);
        }
    }
    if had_flash
        && page_shown
        && let Ok(value) = HeaderValue::from_str(&expired_cookie(FLASH_COOKIE))
    {
        h.append(SET_COOKIE, value);
    }
    response
}

/// The `Set-Cookie` value of a centre cookie: `__Host-` rules (`Secure`, `Path=/`, no
/// `Domain`), never readable by script, sent on a top-level navigation from another site (the
/// magic link from a mail client) but not on another site's subrequests or forms.
pub(crate) fn centre_cookie(name: &str, value: &str, max_age: Option<i64>) -> String {
    let age = max_age
        .map(|s| format!("; Max-Age={s}"))
        .unwrap_or_default();
    format!("{name}={value}; Path=/; Secure; HttpOnly; SameSite=Lax{age}")
}

/// `response` with `Set-Cookie: cookie` added.
pub(crate) fn with_cookie(mut response: Response, cookie: &str) -> Response {
    if let Ok(value) = HeaderValue::from_str(cookie) {
        response.headers_mut().append(SET_COOKIE, value);
    }
    response
}

/// Why a centre request was not served, as the person sees it.
#[derive(Debug)]
pub(crate) enum Refusal {
    /// A refusal the console's pages say too (CSRF, a bad form, too many attempts, not found,
    /// a failure): its page in the centre's layout.
    Page(ConsoleError),
    /// No session, or it ended: back to the start with a message, the cookie removed.
    SessionEnded,
    /// The code or link expired, was used, or ran out of attempts: start again.
    Expired,
    /// The link was opened in another browser than the one that asked.
    OtherBrowser,
    /// A body beyond the route's limit (an identity document over 10 MiB): 413.
    TooLarge,
    /// The input does not fit; `what` and `help` come from the service and name no personal
    /// value.
    Invalid {
        /// What is wrong.
        what: String,
        /// How to fix it.
        help: String,
    },
}

impl From<ConsoleError> for Refusal {
    fn from(error: ConsoleError) -> Refusal {
        Refusal::Page(error)
    }
}

impl From<CentreError> for Refusal {
    fn from(error: CentreError) -> Refusal {
        match error {
            CentreError::WrongCode { .. } | CentreError::Expired => Refusal::Expired,
            CentreError::OtherBrowser => Refusal::OtherBrowser,
            CentreError::NoSession => Refusal::SessionEnded,
            CentreError::Invalid { what, help } => Refusal::Invalid { what, help },
            CentreError::Vault(error) => Refusal::Page(error.into()),
            CentreError::Storage(error) => Refusal::Page(error.into()),
        }
    }
}

/// An error page that says `title` and `help` (catalog keys).
fn error_page(title: &'static str, help: &'static str) -> ErrorPage {
    ErrorPage {
        title,
        help: Some(help),
        value: String::new(),
        detail: None,
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        match self {
            Refusal::Page(error) => error.into_response(),
            Refusal::SessionEnded => with_cookie(
                redirect_with(CENTRE_PATH, Flash::problem("centre.flash.session_ended")),
                &centre_cookie(SESSION_COOKIE, "", Some(0)),
            ),
            Refusal::Expired => (
                StatusCode::GONE,
                error_page("centre.expired", "centre.expired.help"),
            )
                .into_response(),
            Refusal::OtherBrowser => (
                StatusCode::FORBIDDEN,
                error_page("centre.other_browser", "centre.other_browser.help"),
            )
                .into_response(),
            Refusal::TooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                error_page("centre.too_large", "centre.too_large.help"),
            )
                .into_response(),
            Refusal::Invalid { what, help } => (
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorPage {
                    detail: Some(format!("{what}; {help}")),
                    ..error_page("error.422", "centre.invalid.help")
                },
            )
                .into_response(),
        }
    }
}

impl crate::limit::Refusal for Refusal {
    fn too_many(
        retry_after: crate::limit::RetryAfter,
        _parts: &axum::http::request::Parts,
        _state: &AppState,
    ) -> Refusal {
        visit::too_many(retry_after)
    }
}
