//! Cross-site request forgery: every console form that changes something is checked here.
//!
//! A form carries the session's CSRF token in a hidden `_csrf` field (the layout and every
//! form template put it there). [`CsrfForm`] refuses, with a 403 page and before anything is
//! read or changed, a form whose token is missing or wrong (compared in constant time) or that
//! a browser says came from elsewhere: `Sec-Fetch-Site` other than `same-origin`, or an
//! `Origin` other than this server. The session cookie being `SameSite=Strict` is a second,
//! independent defence.
//!
//! Sign-in forms come before any session: they carry the value of a sign-in cookie instead
//! ([`SIGN_IN_COOKIE`], double submit), checked by [`check_token`] the same way.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use std::marker::PhantomData;

use axum::http::HeaderMap;
use axum::http::header::{CONTENT_TYPE, HOST, ORIGIN};
use axum::http::request::Parts;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use subtle::ConstantTimeEq;

use super::render::ConsoleError;
use super::session::ConsoleUser;
use crate::auth::Need;
use crate::state::AppState;

/// The cookie that carries the token of the sign-in forms, before there is a session.
pub(crate) const SIGN_IN_COOKIE: &str = "__Host-skydd-sign-in";

/// Forms are small; anything larger is refused without being read.
const MAX_FORM_BYTES: usize = 64 * 1024;

/// A console form that passed the CSRF check, with the signed-in user who sent it:
/// `CsrfForm(user, form)`. `T` is the form's own fields (`_csrf` is read and dropped; a
/// field of `T` named `_csrf` is never needed).
#[derive(Debug)]
pub(crate) struct CsrfForm<T>(pub(crate) ConsoleUser, pub(crate) T);

/// The token field of a form.
#[derive(Deserialize)]
struct TokenField {
    #[serde(rename = "_csrf")]
    token: Option<String>,
}

impl<T: DeserializeOwned + Send> FromRequest<AppState> for CsrfForm<T> {
    type Rejection = ConsoleError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, ConsoleError> {
        let (mut parts, body) = request.into_parts();
        same_origin(&parts.headers)?;
        let user = ConsoleUser::from_request_parts(&mut parts, state).await?;
        let body = form_body(Request::from_parts(parts, body)).await?;
        check_token(&user.csrf, &body)?;
        let form = serde_urlencoded::from_bytes(&body).map_err(|_| ConsoleError::BadForm)?;
        Ok(CsrfForm(user, form))
    }
}

/// A console route's permission, checked before the form is read: put first among a handler's
/// arguments, `Permits<need::X>` answers a signed-in user without `X` with the 403 page (and
/// anyone else with the way to sign in) before the body is parsed, so a role that may not use
/// a form gets the same refusal whatever it sends (the authorisation matrix holds every console
/// route to that).
#[derive(Debug)]
pub(crate) struct Permits<N>(PhantomData<N>);

impl<N: Need> FromRequestParts<AppState> for Permits<N> {
    type Rejection = ConsoleError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ConsoleError> {
        let user = ConsoleUser::from_request_parts(parts, state).await?;
        user.require(N::PERMISSION)?;
        Ok(Permits(PhantomData))
    }
}

/// The body of a form (`application/x-www-form-urlencoded`, at most [`MAX_FORM_BYTES`]: a
/// larger one is the 413 page, one that does not arrive in time the 408 page).
pub(crate) async fn form_body(request: Request) -> Result<Bytes, ConsoleError> {
    let urlencoded = request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/x-www-form-urlencoded"));
    if !urlencoded {
        return Err(ConsoleError::BadForm);
    }
    crate::extract::read_body(request.into_body(), MAX_FORM_BYTES)
        .await
        .map_err(|error| match error {
            crate::extract::BodyError::TooLarge => ConsoleError::TooLarge,
            other => ConsoleError::Api(other.into()),
        })
}

/// Refuse a form whose `_csrf` field is not `expected`, compared in constant time.
pub(crate) fn check_token(expected: &str, body: &[u8]) -> Result<(), ConsoleError> {
    let field: TokenField = serde_urlencoded::from_bytes(body).map_err(|_| ConsoleError::Csrf)?;
    check_presented(expected, &field.token.unwrap_or_default())
}

/// Refuse a token `presented` other than `expected`, compared in constant time (a form read
/// otherwise than urlencoded: the privacy centre's upload).
pub(crate) fn check_presented(expected: &str, presented: &str) -> Result<(), ConsoleError> {
    let matches: bool = presented.as_bytes().ct_eq(expected.as_bytes()).into();
    if matches && !expected.is_empty() {
        Ok(())
    } else {
        Err(ConsoleError::Csrf)
    }
}

/// Refuse a request that the browser says came from another site: `Sec-Fetch-Site` other
/// than `same-origin`, or an `Origin` whose host is not the `Host` asked for. Browsers that
/// send neither are left to the token.
pub(crate) fn same_origin(headers: &HeaderMap) -> Result<(), ConsoleError> {
    if let Some(site) = headers.get("sec-fetch-site")
        && site.as_bytes() != b"same-origin"
    {
        return Err(ConsoleError::Csrf);
    }
    if let Some(origin) = headers.get(ORIGIN) {
        let origin = origin.to_str().map_err(|_| ConsoleError::Csrf)?;
        let host = headers
            .get(HOST)
            .and_then(|value| value.to_str().ok())
            .ok_or(ConsoleError::Csrf)?;
        let origin_host = origin
            .strip_prefix("https://")
            .or_else(|| origin.strip_prefix("http://"))
            .ok_or(ConsoleError::Csrf)?;
        if !origin_host.eq_ignore_ascii_case(host) {
            return Err(ConsoleError::Csrf);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.insert(*name, HeaderValue::from_static(value));
        }
        headers
    }

    #[test]
    fn only_this_origin_may_post() {
        let host = ("host", "127.0.0.1:8080");
        for ok in [
            headers(&[host]),
            headers(&[host, ("sec-fetch-site", "same-origin")]),
            headers(&[host, ("origin", "http://127.0.0.1:8080")]),
            headers(&[
                ("host", "skydd.example"),
                ("origin", "https://skydd.example"),
            ]),
        ] {
            assert!(same_origin(&ok).is_ok(), "{ok:?}");
        }
        for refused in [
            headers(&[host, ("sec-fetch-site", "cross-site")]),
            headers(&[host, ("sec-fetch-site", "same-site")]),
            headers(&[host, ("sec-fetch-site", "none")]),
            headers(&[host, ("origin", "http://evil.example")]),
            headers(&[host, ("origin", "null")]),
            headers(&[host, ("origin", "http://127.0.0.1:8081")]),
            headers(&[("origin", "http://127.0.0.1:8080")]),
        ] {
            assert!(same_origin(&refused).is_err(), "{refused:?}");
        }
    }

    #[test]
    fn the_token_must_match() {
        assert!(check_token("abc", b"_csrf=abc&x=1").is_ok());
        assert!(check_token("abc", b"x=1&_csrf=abc").is_ok());
        for refused in [
            &b"x=1"[..],
            b"_csrf=",
            b"_csrf=abd",
            b"_csrf=abcd",
            b"\xff\xfe",
        ] {
            assert!(check_token("abc", refused).is_err(), "{refused:?}");
        }
        assert!(
            check_token("", b"_csrf=").is_err(),
            "an empty token is never valid"
        );
    }
}
