//! Signing in and out of the console: e-mail and password, then a TOTP or recovery code (or,
//! the first time, enrolling a TOTP app and receiving the recovery codes), and signing out
//! here or everywhere.
//!
//! The steps are the staff service's (`skydd_app::staff`); this module only carries them over
//! HTTP. Between the password and the code the session cookie holds a *pending* session,
//! which opens no page; completing the second factor replaces it with a new secret.
//!
//! Every sign-in form is a POST checked against cross-site forgery: before there is a session
//! by the double-submit sign-in cookie, afterwards by the pending session's token. Each POST
//! is counted against the peer address and the account ([`crate::limit`]) before a password
//! is hashed; past the limit the answer is a 429 page with `Retry-After`. A refused password
//! says the same for an unknown address, a wrong password and a disabled account.

use askama::Template;
use axum::Router;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::HeaderValue;
use axum::http::header::SET_COOKIE;
use axum::http::request::Parts;
use axum::response::Response;
use axum::routing::{get, post};
use jiff::{SignedDuration, Timestamp};
use serde::Deserialize;
use skydd_app::staff::{SignInStep, StaffError, StaffSession};
use skydd_crypto::SessionSecret;
use skydd_register::model::Language;
use skydd_staff::account::SessionStage;

use super::csrf::{self, CsrfForm, SIGN_IN_COOKIE};
use super::frame::{Flash, Frame};
use super::i18n;
use super::render::{
    ConsoleError, FLASH_COOKIE, encode_component, expired_cookie, redirect, redirect_with, render,
};
use super::session::{SESSION_COOKIE, local_next, session_cookie};
use crate::auth::PeerIp;
use crate::limit::RetryAfter;
use crate::state::AppState;

/// The sign-in routes.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/sign-in", get(show_sign_in).post(sign_in))
        .route("/console/sign-in/code", get(show_code).post(second_factor))
        .route(
            "/console/enrol",
            get(show_enrolment).post(confirm_enrolment),
        )
        .route("/console/sign-out", post(sign_out))
        .route("/console/sign-out-everywhere", post(sign_out_everywhere))
}

/// Someone on a sign-in page: not (yet) fully signed in.
pub(crate) struct Visitor {
    /// The page's language.
    language: Language,
    /// The peer's address.
    ip: Option<String>,
    /// The time of the request.
    now: Timestamp,
    /// Where to go once signed in (a local console path).
    next: String,
    /// The value of the sign-in cookie, if the browser sent one.
    sign_in_token: Option<String>,
    /// The session secret of the session cookie, if it has the shape of one.
    secret: Option<SessionSecret>,
    /// The message of the last action.
    flash: Option<Flash>,
    /// The request's query string without `lang`.
    query: String,
    /// The identity provider's name when single sign-on is on ("Sign in with NAME").
    sso_provider: Option<String>,
}

impl FromRequestParts<AppState> for Visitor {
    type Rejection = ConsoleError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ConsoleError> {
        #[derive(Deserialize, Default)]
        struct Next {
            next: Option<String>,
        }
        let next: Next =
            serde_urlencoded::from_str(parts.uri.query().unwrap_or_default()).unwrap_or_default();
        let PeerIp(ip) = PeerIp::from_request_parts(parts, state)
            .await
            .unwrap_or(PeerIp(None));
        Ok(Visitor {
            language: i18n::language_of(parts),
            ip,
            now: state.clock.now(),
            next: local_next(next.next.as_deref()),
            sign_in_token: i18n::cookie(&parts.headers, SIGN_IN_COOKIE)
                .filter(|token| token.len() == 43),
            secret: i18n::cookie(&parts.headers, SESSION_COOKIE)
                .and_then(|value| SessionSecret::parse(&value)),
            flash: i18n::cookie(&parts.headers, FLASH_COOKIE)
                .and_then(|value| Flash::from_cookie_value(&value)),
            query: i18n::query_without_language(parts.uri.query()),
            sso_provider: state
                .sso()
                .map(|sso| sso.settings().provider_name().to_owned()),
        })
    }
}

impl Visitor {
    /// The session of the cookie, if it is live.
    async fn session(&self, state: &AppState) -> Result<Option<StaffSession>, ConsoleError> {
        match &self.secret {
            Some(secret) => Ok(state.staff().session(secret, self.now).await?),
            None => Ok(None),
        }
    }

    /// The frame of a sign-in page titled `title_key`, whose forms carry `csrf`.
    fn frame(&self, title_key: &str, csrf: String) -> Frame {
        Frame {
            flash: self.flash,
            query: self.query.clone(),
            ..Frame::anonymous(self.language, title_key, csrf)
        }
    }

    /// The visitor going on to `next` from a form's hidden field, when it sent one.
    fn going_to(mut self, next: Option<&str>) -> Visitor {
        if next.is_some() {
            self.next = local_next(next);
        }
        self
    }

    /// `path` with this visitor's `next` as its query.
    fn with_next(&self, path: &str) -> String {
        format!("{path}?next={}", encode_component(&self.next))
    }

    /// Count one attempt from this address and at `account`; past either limit, a 429.
    fn limit(&self, state: &AppState, account: &str) -> Result<(), ConsoleError> {
        let limits = state.sign_in_limits();
        let ip = self.ip.as_deref().unwrap_or("unknown");
        limits
            .per_ip
            .check(&ip, self.now)
            .and_then(|()| limits.per_account.check(&account, self.now))
            .map_err(|RetryAfter(seconds)| ConsoleError::TooMany {
                retry_after: seconds,
            })
    }

    /// The message of a lock-out: when to try again, in Swedish time.
    fn locked(&self, retry_after: SignedDuration) -> String {
        let until = self.now.checked_add(retry_after).unwrap_or(self.now);
        i18n::fill("signin.locked", self.language, &i18n::time(until))
    }
}

/// `response` with the `Set-Cookie` header `cookie` added.
fn with_cookie(mut response: Response, cookie: &str) -> Response {
    if let Ok(value) = HeaderValue::from_str(cookie) {
        response.headers_mut().append(SET_COOKIE, value);
    }
    response
}

/// The sign-in page's template.
#[derive(Template)]
#[template(path = "console/sign_in.html")]
struct SignInPage {
    frame: Frame,
    next: String,
    problem: Option<String>,
    /// The identity provider's name, when single sign-on is on.
    sso: Option<String>,
}

/// The sign-in page, with a fresh sign-in cookie when the browser has none.
fn sign_in_page(visitor: &Visitor, problem: Option<String>) -> Result<Response, ConsoleError> {
    let (token, new) = match &visitor.sign_in_token {
        Some(token) => (token.clone(), false),
        None => (
            SessionSecret::generate()
                .map_err(|_| ConsoleError::Internal)?
                .encoded()
                .to_string(),
            true,
        ),
    };
    let page = SignInPage {
        frame: visitor.frame("signin.title", token.clone()),
        next: visitor.next.clone(),
        problem,
        sso: visitor.sso_provider.clone(),
    };
    let response = render(visitor.language, &page)?;
    Ok(if new {
        with_cookie(
            response,
            &format!("{SIGN_IN_COOKIE}={token}; Path=/; Secure; HttpOnly; SameSite=Strict"),
        )
    } else {
        response
    })
}

/// `GET /console/sign-in`: the e-mail and password form (or, when signed in already, the page
/// asked for).
async fn show_sign_in(
    State(state): State<AppState>,
    visitor: Visitor,
) -> Result<Response, ConsoleError> {
    if let Some(session) = visitor.session(&state).await? {
        match session.stage {
            SessionStage::Full => return Ok(redirect(&visitor.next)),
            SessionStage::SecondFactor | SessionStage::Enrolment => {}
        }
    }
    sign_in_page(&visitor, None)
}

/// The fields of the sign-in form.
#[derive(Deserialize)]
struct PasswordForm {
    email: String,
    password: String,
    next: Option<String>,
}

/// `POST /console/sign-in`: check the password; on to the code or the enrolment.
async fn sign_in(
    State(state): State<AppState>,
    visitor: Visitor,
    request: Request,
) -> Result<Response, ConsoleError> {
    csrf::same_origin(request.headers())?;
    let body = csrf::form_body(request).await?;
    let token = visitor.sign_in_token.as_deref().unwrap_or_default();
    csrf::check_token(token, &body)?;
    let form: PasswordForm =
        serde_urlencoded::from_bytes(&body).map_err(|_| ConsoleError::BadForm)?;
    let visitor = visitor.going_to(form.next.as_deref());
    visitor.limit(&state, &form.email.trim().to_lowercase())?;
    let step = state
        .staff()
        .sign_in_password(&form.email, &form.password, visitor.ip.clone(), visitor.now)
        .await;
    let (pending, path) = match step {
        Ok(SignInStep::SecondFactor { pending }) => (pending, "/console/sign-in/code"),
        Ok(SignInStep::Enrol { pending }) => (pending, "/console/enrol"),
        Ok(SignInStep::Refused {
            retry_after: Some(wait),
        }) => return sign_in_page(&visitor, Some(visitor.locked(wait))),
        // A malformed address is refused like an unknown one.
        Ok(SignInStep::Refused { retry_after: None }) | Err(StaffError::Email(_)) => {
            let problem = i18n::text("signin.refused", visitor.language).to_owned();
            return sign_in_page(&visitor, Some(problem));
        }
        Err(error) => return Err(error.into()),
    };
    Ok(with_cookie(
        redirect(&visitor.with_next(path)),
        &session_cookie(&pending.encoded()),
    ))
}

/// The pending session at `stage` of the visitor's cookie, or a redirect: to the page asked
/// for when fully signed in, to the sign-in page otherwise.
async fn pending(
    state: &AppState,
    visitor: &Visitor,
    stage: SessionStage,
) -> Result<Result<(SessionSecret, StaffSession), Response>, ConsoleError> {
    let Some(secret) = visitor.secret.clone() else {
        return Ok(Err(redirect(&visitor.with_next("/console/sign-in"))));
    };
    match visitor.session(state).await? {
        Some(session) if session.stage == stage => Ok(Ok((secret, session))),
        Some(session) if session.stage == SessionStage::Full => Ok(Err(redirect(&visitor.next))),
        _ => Ok(Err(redirect_with(
            &visitor.with_next("/console/sign-in"),
            Flash::problem("signin.expired"),
        ))),
    }
}

/// The code page's template.
#[derive(Template)]
#[template(path = "console/sign_in_code.html")]
struct CodePage {
    frame: Frame,
    next: String,
    problem: Option<String>,
}

/// `GET /console/sign-in/code`: the form for a TOTP or recovery code.
async fn show_code(
    State(state): State<AppState>,
    visitor: Visitor,
) -> Result<Response, ConsoleError> {
    let (_, session) = match pending(&state, &visitor, SessionStage::SecondFactor).await? {
        Ok(pending) => pending,
        Err(redirect) => return Ok(redirect),
    };
    let page = CodePage {
        frame: visitor.frame("code.title", session.csrf_token),
        next: visitor.next.clone(),
        problem: None,
    };
    render(visitor.language, &page)
}

/// The fields of the code and enrolment forms.
#[derive(Deserialize)]
struct CodeForm {
    code: String,
    next: Option<String>,
}

/// `POST /console/sign-in/code`: check the code; signed in.
async fn second_factor(
    State(state): State<AppState>,
    visitor: Visitor,
    request: Request,
) -> Result<Response, ConsoleError> {
    csrf::same_origin(request.headers())?;
    let (secret, session) = match pending(&state, &visitor, SessionStage::SecondFactor).await? {
        Ok(pending) => pending,
        Err(redirect) => return Ok(redirect),
    };
    let body = csrf::form_body(request).await?;
    csrf::check_token(&session.csrf_token, &body)?;
    let form: CodeForm = serde_urlencoded::from_bytes(&body).map_err(|_| ConsoleError::BadForm)?;
    let visitor = visitor.going_to(form.next.as_deref());
    visitor.limit(&state, session.account_id.as_str())?;
    let result = state
        .staff()
        .sign_in_second_factor(&secret, &form.code, visitor.ip.clone(), visitor.now)
        .await;
    match result {
        Ok(signed_in) => Ok(with_cookie(
            redirect_with(&visitor.next, Flash::done("signin.done")),
            &session_cookie(&signed_in.secret.encoded()),
        )),
        Err(StaffError::CodeRefused { retry_after }) => {
            let problem = match retry_after {
                Some(wait) => visitor.locked(wait),
                None => i18n::text("code.refused", visitor.language).to_owned(),
            };
            let page = CodePage {
                frame: visitor.frame("code.title", session.csrf_token),
                next: visitor.next.clone(),
                problem: Some(problem),
            };
            render(visitor.language, &page)
        }
        Err(StaffError::SignInExpired) => Ok(redirect_with(
            &visitor.with_next("/console/sign-in"),
            Flash::problem("signin.expired"),
        )),
        Err(error) => Err(error.into()),
    }
}

/// The enrolment page's template.
#[derive(Template)]
#[template(path = "console/enrol.html")]
struct EnrolPage {
    frame: Frame,
    next: String,
    problem: Option<String>,
    /// The key in groups of four characters.
    secret: String,
    /// The `otpauth://` URI.
    uri: String,
    /// The QR code of the URI as an SVG element (our own rendering, no text from a request).
    qr: Option<String>,
}

/// `secret` in groups of four characters, as authenticator apps ask for it.
fn grouped(secret: &str) -> String {
    secret
        .as_bytes()
        .chunks(4)
        .map(|chunk| String::from_utf8_lossy(chunk).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The QR code of `uri` as an inline SVG element (no XML declaration), or `None` when the URI
/// does not fit in a QR code (the key and the link are on the page anyway).
fn qr_svg(uri: &str) -> Option<String> {
    let code = qrcode::QrCode::new(uri.as_bytes()).ok()?;
    let svg = code
        .render::<qrcode::render::svg::Color<'_>>()
        .module_dimensions(1, 1)
        .quiet_zone(true)
        .build();
    let start = svg.find("<svg")?;
    Some(svg[start..].replacen("<svg", "<svg aria-hidden=\"true\" focusable=\"false\"", 1))
}

/// The enrolment page with a new key (each showing makes a new one: a key is shown once).
async fn enrolment_page(
    state: &AppState,
    visitor: &Visitor,
    secret: &SessionSecret,
    csrf: String,
    problem: Option<String>,
) -> Result<Response, ConsoleError> {
    let enrolment = state.staff().begin_enrolment(secret, visitor.now).await?;
    let page = EnrolPage {
        frame: visitor.frame("enrol.title", csrf),
        next: visitor.next.clone(),
        problem,
        secret: grouped(&enrolment.secret_base32),
        uri: enrolment.otpauth_uri.to_string(),
        qr: qr_svg(&enrolment.otpauth_uri),
    };
    render(visitor.language, &page)
}

/// `GET /console/enrol`: a new TOTP key to add to an authenticator app, and the form for its
/// first code.
async fn show_enrolment(
    State(state): State<AppState>,
    visitor: Visitor,
) -> Result<Response, ConsoleError> {
    let (secret, session) = match pending(&state, &visitor, SessionStage::Enrolment).await? {
        Ok(pending) => pending,
        Err(redirect) => return Ok(redirect),
    };
    enrolment_page(&state, &visitor, &secret, session.csrf_token, None).await
}

/// The recovery codes page's template.
#[derive(Template)]
#[template(path = "console/recovery_codes.html")]
struct RecoveryCodesPage {
    frame: Frame,
    next: String,
    codes: Vec<String>,
}

/// `POST /console/enrol`: check the first code; the account has its TOTP, the session is full,
/// and the recovery codes are shown, once.
async fn confirm_enrolment(
    State(state): State<AppState>,
    visitor: Visitor,
    request: Request,
) -> Result<Response, ConsoleError> {
    csrf::same_origin(request.headers())?;
    let (secret, session) = match pending(&state, &visitor, SessionStage::Enrolment).await? {
        Ok(pending) => pending,
        Err(redirect) => return Ok(redirect),
    };
    let body = csrf::form_body(request).await?;
    csrf::check_token(&session.csrf_token, &body)?;
    let form: CodeForm = serde_urlencoded::from_bytes(&body).map_err(|_| ConsoleError::BadForm)?;
    let visitor = visitor.going_to(form.next.as_deref());
    visitor.limit(&state, session.account_id.as_str())?;
    let code: String = form.code.chars().filter(|c| !c.is_whitespace()).collect();
    let result = state
        .staff()
        .confirm_enrolment(&secret, &code, visitor.ip.clone(), visitor.now)
        .await;
    match result {
        Ok((signed_in, codes)) => {
            let page = RecoveryCodesPage {
                frame: Frame {
                    csrf: signed_in.session.csrf_token.clone(),
                    ..visitor.frame("recovery.title", String::new())
                },
                next: visitor.next.clone(),
                codes: codes
                    .0
                    .iter()
                    .map(|code| code.as_str().to_owned())
                    .collect(),
            };
            let response = render(visitor.language, &page)?;
            Ok(with_cookie(
                response,
                &session_cookie(&signed_in.secret.encoded()),
            ))
        }
        Err(StaffError::CodeRefused { retry_after }) => {
            let problem = match retry_after {
                Some(wait) => visitor.locked(wait),
                None => i18n::text("enrol.refused", visitor.language).to_owned(),
            };
            enrolment_page(&state, &visitor, &secret, session.csrf_token, Some(problem)).await
        }
        Err(StaffError::SignInExpired) => Ok(redirect_with(
            &visitor.with_next("/console/sign-in"),
            Flash::problem("signin.expired"),
        )),
        Err(error) => Err(error.into()),
    }
}

/// A form with no fields of its own (only `_csrf`).
#[derive(Deserialize)]
struct NoFields {}

/// The answer to signing out: the session cookie removed, on to the sign-in page.
fn signed_out(flash: Flash) -> Response {
    with_cookie(
        redirect_with("/console/sign-in", flash),
        &expired_cookie(SESSION_COOKIE),
    )
}

/// `POST /console/sign-out`: end this session.
async fn sign_out(
    State(state): State<AppState>,
    CsrfForm(user, NoFields {}): CsrfForm<NoFields>,
) -> Result<Response, ConsoleError> {
    state
        .staff()
        .sign_out(user.secret(), user.ip.clone(), user.now)
        .await?;
    Ok(signed_out(Flash::done("signout.done")))
}

/// `POST /console/sign-out-everywhere`: end every session of this account, this one too.
async fn sign_out_everywhere(
    State(state): State<AppState>,
    CsrfForm(user, NoFields {}): CsrfForm<NoFields>,
) -> Result<Response, ConsoleError> {
    state
        .staff()
        .sign_out_everywhere(&user.account, &user.actor(), user.now)
        .await?;
    Ok(signed_out(Flash::done("signout.everywhere_done")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_shown_in_groups_of_four() {
        assert_eq!(
            grouped("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"),
            "ABCD EFGH IJKL MNOP QRST UVWX YZ23 4567"
        );
        assert_eq!(grouped("ABCDEF"), "ABCD EF");
    }

    #[test]
    fn the_qr_code_is_an_inline_svg_element() {
        let svg = qr_svg("otpauth://totp/Skydd:a%40example.se?secret=ABCD&issuer=Skydd").unwrap();
        assert!(svg.starts_with("<svg aria-hidden=\"true\""), "{svg}");
        assert!(svg.ends_with("</svg>"));
        assert!(!svg.contains("<?xml"));
    }
}
