//! Who is on a centre page: a [`Visit`] (anyone: language, client address, the time, the form
//! token before there is a session) and a [`Signed`] person (a live centre session from the
//! session cookie), and the CSRF-checked forms of each ([`VisitForm`], [`SignedForm`]).

use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::extract::{FromRequest, FromRequestParts, OptionalFromRequestParts, Request};
use axum::http::header::{HOST, USER_AGENT};
use axum::http::request::Parts;
use jiff::Timestamp;
use serde::de::DeserializeOwned;
use skydd_app::centre::{Client, Person};
use skydd_register::model::Language;

use super::frame::{CentreFrame, FramePerson};
use super::{BROWSER_COOKIE, FORM_COOKIE, Refusal, SESSION_COOKIE};
use crate::auth::PeerIp;
use crate::console::csrf;
use crate::console::frame::Flash;
use crate::console::i18n;
use crate::console::render::{ConsoleError, FLASH_COOKIE};
use crate::limit::RetryAfter;
use crate::state::AppState;

/// Anyone on a centre page.
#[derive(Debug, Clone)]
pub(crate) struct Visit {
    /// The page's language.
    pub(crate) language: Language,
    /// The caller as the service records it (address, user agent, language, base URL).
    pub(crate) client: Client,
    /// The time of this request, read once from the app's clock.
    pub(crate) now: Timestamp,
    /// The double-submit token of the forms before a session, if the browser has one.
    pub(crate) form_token: Option<String>,
    /// The browser secret of a sign-in this browser started, if any.
    pub(crate) browser_secret: Option<String>,
    /// The message of the last action, shown once.
    pub(crate) flash: Option<Flash>,
    /// The request's query string without `lang` (for the language switch).
    pub(crate) query: String,
}

impl FromRequestParts<AppState> for Visit {
    type Rejection = Refusal;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Refusal> {
        let PeerIp(ip) = PeerIp::from_request_parts(parts, state)
            .await
            .unwrap_or(PeerIp(None));
        let language = i18n::language_of(parts);
        let host = parts
            .headers
            .get(HOST)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default();
        let user_agent = parts
            .headers
            .get(USER_AGENT)
            .and_then(|value| value.to_str().ok())
            .map(|agent| agent.chars().take(256).collect());
        Ok(Visit {
            language,
            client: Client {
                ip,
                user_agent,
                language,
                base: base_url(state.site().url.as_deref(), host),
            },
            now: state.clock.now(),
            form_token: i18n::cookie(&parts.headers, FORM_COOKIE).filter(|token| token.len() == 43),
            browser_secret: i18n::cookie(&parts.headers, BROWSER_COOKIE)
                .filter(|secret| !secret.is_empty()),
            flash: i18n::cookie(&parts.headers, FLASH_COOKIE)
                .and_then(|value| Flash::from_cookie_value(&value)),
            query: i18n::query_without_language(parts.uri.query()),
        })
    }
}

impl Visit {
    /// The frame of a page titled by the catalog key `title_key`, whose forms carry `csrf`.
    pub(crate) fn frame(&self, state: &AppState, title_key: &str, csrf: &str) -> CentreFrame {
        CentreFrame {
            flash: self.flash,
            query: self.query.clone(),
            ..CentreFrame::new(state, self.language, title_key, csrf)
        }
    }
}

/// A refused attempt as the 429 page with `Retry-After`.
pub(crate) fn too_many(RetryAfter(seconds): RetryAfter) -> Refusal {
    Refusal::Page(ConsoleError::TooMany {
        retry_after: seconds,
    })
}

/// Links in messages start with the public URL when one is set (`--public-url`); otherwise
/// with the address the request reached the server at, but only when that is this machine
/// (`localhost`, `127.0.0.1`, `[::1]`): a `Host` header is the client's word, and a magic
/// link to a host an attacker named would hand them the link. Without a public URL on another
/// host, links are written relative (the code in the message still works) and a warning says
/// to set `--public-url`.
pub(crate) fn base_url(public_url: Option<&str>, host: &str) -> String {
    if let Some(url) = public_url {
        return url.to_owned();
    }
    if is_loopback(host) {
        return format!("http://{host}");
    }
    static WARNED: AtomicBool = AtomicBool::new(false);
    if !WARNED.swap(true, Ordering::Relaxed) {
        tracing::warn!(
            "the privacy centre is reached at another host than this machine and no public URL \
             is set: links in its messages are written without a host; start the server with \
             --public-url"
        );
    }
    String::new()
}

/// Whether a `Host` header names this machine: `localhost`, an IPv4 loopback address or
/// `[::1]`, with or without a port.
fn is_loopback(host: &str) -> bool {
    let name = if let Some(rest) = host.strip_prefix('[') {
        rest.split(']').next().unwrap_or_default()
    } else {
        host.rsplit_once(':').map_or(host, |(name, _)| name)
    };
    name.eq_ignore_ascii_case("localhost")
        || name.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// A person signed in to the centre: a live session from the session cookie.
#[derive(Debug, Clone)]
pub(crate) struct Signed {
    /// The visit (language, client, time).
    pub(crate) visit: Visit,
    /// The person the session is for.
    pub(crate) person: Person,
}

impl FromRequestParts<AppState> for Signed {
    type Rejection = Refusal;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Refusal> {
        let visit = Visit::from_request_parts(parts, state).await?;
        let secret = i18n::cookie(&parts.headers, SESSION_COOKIE)
            .filter(|secret| !secret.is_empty())
            .ok_or(Refusal::SessionEnded)?;
        let person = state.centre().session(&secret, visit.now).await?;
        Ok(Signed { visit, person })
    }
}

impl OptionalFromRequestParts<AppState> for Signed {
    type Rejection = Refusal;

    /// The person of a live session, or `None` without one (the start page offers to
    /// continue to a live session).
    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Option<Self>, Refusal> {
        if i18n::cookie(&parts.headers, SESSION_COOKIE).is_none_or(|secret| secret.is_empty()) {
            return Ok(None);
        }
        match <Signed as FromRequestParts<AppState>>::from_request_parts(parts, state).await {
            Ok(signed) => Ok(Some(signed)),
            Err(Refusal::SessionEnded) => Ok(None),
            Err(refusal) => Err(refusal),
        }
    }
}

impl Signed {
    /// The frame of a page titled by the catalog key `title_key`: the person's masked
    /// identities, when the session ends, and the session's form token.
    pub(crate) fn frame(&self, state: &AppState, title_key: &str) -> CentreFrame {
        let masked = self
            .person
            .masked
            .iter()
            .map(|(_, value)| value.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        CentreFrame {
            person: Some(FramePerson {
                masked,
                ends_at: self.person.expires_at,
            }),
            ..self.visit.frame(state, title_key, &self.person.csrf)
        }
    }
}

/// A form sent before there is a session, checked against forgery: same origin, and its
/// `_csrf` field equal to the form cookie (double submit).
#[derive(Debug)]
pub(crate) struct VisitForm<T>(pub(crate) Visit, pub(crate) T);

impl<T: DeserializeOwned + Send> FromRequest<AppState> for VisitForm<T> {
    type Rejection = Refusal;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Refusal> {
        let (mut parts, body) = request.into_parts();
        csrf::same_origin(&parts.headers)?;
        let visit = Visit::from_request_parts(&mut parts, state).await?;
        let body = csrf::form_body(Request::from_parts(parts, body)).await?;
        csrf::check_token(visit.form_token.as_deref().unwrap_or_default(), &body)?;
        let form = serde_urlencoded::from_bytes(&body).map_err(|_| ConsoleError::BadForm)?;
        Ok(VisitForm(visit, form))
    }
}

/// A form of a signed-in person, checked against forgery: same origin, and its `_csrf` field
/// equal to the session's token. Checked before anything is read or changed.
#[derive(Debug)]
pub(crate) struct SignedForm<T>(pub(crate) Signed, pub(crate) T);

impl<T: DeserializeOwned + Send> FromRequest<AppState> for SignedForm<T> {
    type Rejection = Refusal;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Refusal> {
        let (mut parts, body) = request.into_parts();
        csrf::same_origin(&parts.headers)?;
        let signed =
            <Signed as FromRequestParts<AppState>>::from_request_parts(&mut parts, state).await?;
        let body = csrf::form_body(Request::from_parts(parts, body)).await?;
        csrf::check_token(&signed.person.csrf, &body)?;
        let form = serde_urlencoded::from_bytes(&body).map_err(|_| ConsoleError::BadForm)?;
        Ok(SignedForm(signed, form))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_use_the_host_only_when_it_is_this_machine() {
        assert_eq!(
            base_url(Some("https://privacy.example.com"), "evil.example"),
            "https://privacy.example.com"
        );
        for host in [
            "127.0.0.1:8080",
            "localhost:3000",
            "[::1]:8080",
            "localhost",
        ] {
            assert_eq!(base_url(None, host), format!("http://{host}"), "{host}");
        }
        for host in [
            "evil.example",
            "evil.example:8080",
            "10.0.0.1:80",
            "",
            "[::2]:80",
        ] {
            assert_eq!(base_url(None, host), "", "{host}");
        }
    }
}
