//! The privacy team's console (issue 17): server-rendered pages under `/console`, in English
//! and Swedish, behind a staff session.
//!
//! The frame every page shares lives here: the router, the middleware that gives every console
//! response its headers and error pages ([`frame_responses`]), the layout
//! (`templates/console/layout.html` over [`frame::Frame`]), the words ([`i18n`]), the session
//! ([`session::ConsoleUser`]) and the CSRF check ([`csrf::CsrfForm`]). Each area of the
//! console is a module with a `routes()` function, registered in [`router`] by one line.
//!
//! A page handler looks like this:
//!
//! ```ignore
//! async fn page(user: ConsoleUser) -> Result<Response, ConsoleError> {
//!     user.require(Permission::RequestsRead)?;
//!     let frame = user.frame(Section::Requests, "requests.title");
//!     render(user.language, &RequestsPage { frame, /* ... */ })
//! }
//!
//! async fn act(CsrfForm(user, form): CsrfForm<ActForm>) -> Result<Response, ConsoleError> {
//!     user.require(Permission::RequestsHandle)?;
//!     // ... call the app or vault with `user.actor()` and `user.now` ...
//!     Ok(redirect_with("/console/requests", Flash::done(ASSIGNED))) // a catalog key
//! }
//! ```

pub(crate) mod assets;
pub(crate) mod csrf;
pub(crate) mod frame;
pub(crate) mod i18n;
pub(crate) mod render;
pub(crate) mod session;

mod account;
mod accounts;
mod audit;
mod dashboard;
mod incidents;
mod outbox;
mod register;
mod requests;
mod sign_in;
mod sso;
mod subjects;

use axum::Router;
use axum::extract::Request;
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, REFERRER_POLICY, RETRY_AFTER, SET_COOKIE,
    X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use skydd_register::model::Choice as _;

use crate::page::CONSOLE_CSP;
use crate::state::AppState;
use render::{ErrorPage, FLASH_COOKIE};

/// Every console route, with [`frame_responses`] around them.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/console",
            get(|| async { render::redirect("/console/dashboard") }),
        )
        .route("/console/assets/{name}", get(assets::serve))
        // Any other path under /console: a console 404 page, not the API's problem document.
        .route(
            "/console/{*rest}",
            any(|| async { render::ConsoleError::NotFound }),
        )
        // The frame's own pages: sign-in and out, your account, accounts administration.
        .merge(sign_in::routes())
        .merge(account::routes())
        .merge(accounts::routes())
        // The console's areas, one line each.
        .merge(dashboard::routes())
        .merge(requests::routes())
        .merge(register::routes()) // pages-records
        .merge(audit::routes()) // pages-records
        .merge(outbox::routes()) // pages-records
        .merge(incidents::routes())
        .merge(subjects::routes())
        .merge(sso::routes())
        // Set here, before the layer, so that a wrong method gets the console's headers too
        // (the router's own 405 fallback replaces only default ones).
        .method_not_allowed_fallback(|| async { StatusCode::METHOD_NOT_ALLOWED })
        .layer(middleware::from_fn(frame_responses))
}

/// Middleware around every console route: writes error pages in the request's language,
/// gives every response the console's headers (CSP, no framing, no sniffing, no `Referer` to
/// another site, never stored unless it says otherwise), remembers a language chosen with the switch, and
/// removes the flash message once a page has shown it.
pub(crate) async fn frame_responses(request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let language = i18n::language_of(&parts);
    let asked = i18n::asked_language(parts.uri.query());
    let had_flash = i18n::cookie(&parts.headers, FLASH_COOKIE).is_some();
    let mut response = next.run(Request::from_parts(parts, body)).await;

    if let Some(page) = response.extensions_mut().remove::<ErrorPage>() {
        let status = response.status();
        let retry_after = response.headers().get(RETRY_AFTER).cloned();
        response = match render::error_page(&page, language) {
            Ok(page) => page,
            Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        };
        *response.status_mut() = status;
        if let Some(retry_after) = retry_after {
            response.headers_mut().insert(RETRY_AFTER, retry_after);
        }
    }

    let page_shown = response.status().is_success();
    let h = response.headers_mut();
    h.insert(
        CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONSOLE_CSP),
    );
    h.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    // `same-origin`, not `no-referrer`: with `no-referrer` Chromium sends `Origin: null` on a
    // form POST, which `csrf::same_origin` must refuse; another site still gets no `Referer`.
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
        && let Ok(value) = HeaderValue::from_str(&render::expired_cookie(FLASH_COOKIE))
    {
        h.append(SET_COOKIE, value);
    }
    response
}
