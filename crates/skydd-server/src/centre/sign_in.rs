//! Signing in to the privacy centre: the start page (what the centre offers and one form: what
//! you want, and your e-mail address and/or phone number), the code page, the magic link, and
//! signing out.
//!
//! The answer to the form is the same whether or not the person is known: the code page says
//! "if we hold data about you, we sent a code". Before the service can queue a message, the
//! sign-in is counted against the client's address and against every identity given
//! ([`crate::limit::PublicLimits`]); past a limit the answer is the 429 page.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use serde::Deserialize;
use skydd_app::centre::{CHALLENGE_LIFETIME, CentreError, Claimed, Intent, SignInStarted};
use skydd_crypto::SessionSecret;
use skydd_requests::RequestType;
use skydd_subject::{Identity, IdentityKind, ParseContext};

use super::frame::CentreFrame;
use super::visit::{Signed, SignedForm, Visit, VisitForm, too_many};
use super::{
    BROWSER_COOKIE, CENTRE_PATH, FORM_COOKIE, PERSONAL_PATH, Refusal, SESSION_COOKIE,
    centre_cookie, with_cookie,
};
use crate::console::frame::Flash;
use crate::console::i18n;
use crate::console::render::{ConsoleError, redirect, redirect_with, render};
use crate::limit::{Limited, route};
use crate::state::AppState;

/// One choice of "what do you want to do" on the start page.
#[derive(Debug, Clone)]
pub(crate) struct IntentChoice {
    /// The form value: `overview` or a request type's word.
    pub(crate) value: &'static str,
    /// The catalog key of its label.
    pub(crate) label: &'static str,
    /// Chosen (the overview unless the person chose otherwise).
    pub(crate) selected: bool,
}

/// The choices of the start page, `chosen` selected.
pub(crate) fn intent_choices(chosen: &str) -> Vec<IntentChoice> {
    let mut choices = vec![IntentChoice {
        value: "overview",
        label: "centre.intent.overview",
        selected: chosen == "overview",
    }];
    choices.extend(
        RequestType::ALL
            .into_iter()
            .filter(|t| t.concerns_own_data())
            .map(|t| IntentChoice {
                value: t.as_str(),
                label: intent_label(t),
                selected: chosen == t.as_str(),
            }),
    );
    if !choices.iter().any(|c| c.selected) {
        choices[0].selected = true;
    }
    choices
}

/// The start page's label of a request type.
fn intent_label(request_type: RequestType) -> &'static str {
    match request_type {
        RequestType::Access => "centre.intent.access",
        RequestType::Portability => "centre.intent.portability",
        RequestType::Rectification => "centre.intent.rectification",
        RequestType::Erasure => "centre.intent.erasure",
        RequestType::Restriction => "centre.intent.restriction",
        RequestType::Objection => "centre.intent.objection",
        RequestType::WithdrawConsent => "centre.intent.withdraw_consent",
        RequestType::MarketingOptOut => "centre.intent.marketing_opt_out",
        RequestType::SafeguardCopy => "centre.intent.safeguard_copy",
        RequestType::Complaint => "centre.intent.complaint",
    }
}

/// The intent a form value names.
fn parse_intent(value: &str) -> Option<Intent> {
    if value == "overview" {
        return Some(Intent::Overview);
    }
    value.parse::<RequestType>().ok().map(Intent::Request)
}

/// Where a person goes once signed in: the personal page, or the form of the request they
/// came to make.
pub(crate) fn destination(intent: Intent) -> String {
    match intent {
        Intent::Overview => PERSONAL_PATH.to_owned(),
        Intent::Request(request_type) => {
            format!("/privacy-centre/me/ask/{}", request_type.as_str())
        }
    }
}

/// The start page's template.
#[derive(Template)]
#[template(path = "centre/landing.html")]
pub(crate) struct LandingPage {
    pub(crate) frame: CentreFrame,
    pub(crate) intents: Vec<IntentChoice>,
    /// What is wrong with the form last sent, in the page's language.
    pub(crate) problem: Option<String>,
    /// What was typed, shown again after a problem (to the person who typed it).
    pub(crate) email: String,
    pub(crate) phone: String,
    /// A session is live in this browser: the page offers to continue to it.
    pub(crate) signed_in: bool,
}

/// The form token of this browser, and whether it is new (to be set as the form cookie).
fn form_token(visit: &Visit) -> Result<(String, bool), Refusal> {
    match &visit.form_token {
        Some(token) => Ok((token.clone(), false)),
        None => Ok((
            SessionSecret::generate()
                .map_err(|_| ConsoleError::Internal)?
                .encoded()
                .to_string(),
            true,
        )),
    }
}

/// `page` rendered, with the form cookie set when `token` is new.
fn with_form_cookie(response: Response, (token, new): (String, bool)) -> Response {
    if new {
        with_cookie(response, &centre_cookie(FORM_COOKIE, &token, None))
    } else {
        response
    }
}

/// `GET /privacy-centre`: what the centre offers and the sign-in form.
pub(crate) async fn landing(
    State(state): State<AppState>,
    visit: Visit,
    signed: Option<Signed>,
) -> Result<Response, Refusal> {
    landing_page(&state, &visit, signed.is_some(), Fields::default(), None)
}

/// What the sign-in form held.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Fields {
    /// `overview` or a request type's word.
    #[serde(default)]
    intent: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    phone: String,
}

/// The start page with `fields` and `problem`, status 200 (422 with a problem).
fn landing_page(
    state: &AppState,
    visit: &Visit,
    signed_in: bool,
    fields: Fields,
    problem: Option<String>,
) -> Result<Response, Refusal> {
    let token = form_token(visit)?;
    let failed = problem.is_some();
    let page = LandingPage {
        frame: visit.frame(state, "centre.landing.title", &token.0),
        intents: intent_choices(&fields.intent),
        problem,
        email: fields.email,
        phone: fields.phone,
        signed_in,
    };
    let mut response = render(visit.language, &page)?;
    if failed {
        *response.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(with_form_cookie(response, token))
}

/// `POST /privacy-centre/sign-in`: count the attempt, check the identities' form, count a
/// message to each, then start the sign-in and go to the code page with this browser bound to
/// it.
pub(crate) async fn start(
    State(state): State<AppState>,
    _: Limited<route::CentreSignIn, Refusal>,
    VisitForm(visit, fields): VisitForm<Fields>,
) -> Result<Response, Refusal> {
    let intent = parse_intent(&fields.intent).ok_or(ConsoleError::BadForm)?;
    let given = |value: &str| Some(value.trim().to_owned()).filter(|v| !v.is_empty());
    let claimed = Claimed {
        email: given(&fields.email),
        phone: given(&fields.phone),
    };
    let problem = |key: &str| Some(i18n::text(key, visit.language).to_owned());
    if claimed.email.is_none() && claimed.phone.is_none() {
        return landing_page(
            &state,
            &visit,
            false,
            fields,
            problem("centre.landing.need_identity"),
        );
    }
    let today = visit.now.to_zoned(jiff::tz::TimeZone::UTC).date();
    let mut identities = Vec::new();
    for (kind, value, refused) in [
        (
            IdentityKind::Email,
            &claimed.email,
            "centre.landing.bad_email",
        ),
        (
            IdentityKind::Phone,
            &claimed.phone,
            "centre.landing.bad_phone",
        ),
    ] {
        if let Some(value) = value {
            match Identity::parse(kind, value, ParseContext::sweden(today)) {
                Ok(identity) => identities.push(identity),
                Err(_) => return landing_page(&state, &visit, false, fields, problem(refused)),
            }
        }
    }
    for identity in &identities {
        let key = format!("{}:{}", identity.kind().as_str(), identity.expose());
        state
            .public_limits()
            .check_identity(&key, visit.now)
            .map_err(too_many)?;
    }
    let started = match state
        .centre()
        .start_sign_in(&visit.client, claimed, intent, visit.now)
        .await
    {
        Ok(started) => started,
        Err(CentreError::Invalid { what, help }) => {
            return landing_page(
                &state,
                &visit,
                false,
                fields,
                Some(format!("{what}; {help}")),
            );
        }
        Err(error) => return Err(error.into()),
    };
    Ok(bound_to_browser(&started))
}

/// The answer to a started sign-in: the code page, with the browser cookie that binds the code
/// and the link to this browser (as long as they live).
fn bound_to_browser(started: &SignInStarted) -> Response {
    let response = redirect(&format!("/privacy-centre/verify/{}", started.challenge));
    with_cookie(
        response,
        &centre_cookie(
            BROWSER_COOKIE,
            &started.browser_secret,
            Some(CHALLENGE_LIFETIME.as_secs()),
        ),
    )
}

/// The code page's template.
#[derive(Template)]
#[template(path = "centre/code.html")]
pub(crate) struct CodePage {
    pub(crate) frame: CentreFrame,
    /// The challenge's public id (the form's target).
    pub(crate) challenge: String,
    /// Why the last code was refused, in the page's language.
    pub(crate) problem: Option<String>,
}

/// Whether `challenge` has the shape of a challenge id: 32 lowercase hex digits.
fn is_challenge_id(challenge: &str) -> bool {
    challenge.len() == 32
        && challenge
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// The code page with `problem`.
fn code_page(
    state: &AppState,
    visit: &Visit,
    challenge: String,
    problem: Option<String>,
) -> Result<Response, Refusal> {
    let token = form_token(visit)?;
    let failed = problem.is_some();
    let page = CodePage {
        frame: visit.frame(state, "centre.code.title", &token.0),
        challenge,
        problem,
    };
    let mut response = render(visit.language, &page)?;
    if failed {
        *response.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(with_form_cookie(response, token))
}

/// `GET /privacy-centre/verify/{challenge}`: "if we hold data about you, we sent a code", and
/// the code form. The same page for everyone.
pub(crate) async fn code_form(
    State(state): State<AppState>,
    visit: Visit,
    Path(challenge): Path<String>,
) -> Result<Response, Refusal> {
    if !is_challenge_id(&challenge) {
        return Err(ConsoleError::NotFound.into());
    }
    code_page(&state, &visit, challenge, None)
}

/// The code form.
#[derive(Debug, Deserialize)]
pub(crate) struct CodeForm {
    #[serde(default)]
    code: String,
}

/// `POST /privacy-centre/verify/{challenge}`: check the code typed in the browser that asked;
/// a right one opens the session and goes where the person was going.
pub(crate) async fn verify_code(
    State(state): State<AppState>,
    Path(challenge): Path<String>,
    _: Limited<route::Verify, Refusal>,
    VisitForm(visit, form): VisitForm<CodeForm>,
) -> Result<Response, Refusal> {
    if !is_challenge_id(&challenge) {
        return Err(ConsoleError::NotFound.into());
    }
    let browser = visit.browser_secret.clone().ok_or(Refusal::OtherBrowser)?;
    // As typed from a message: spaces and dashes between groups of digits are not the code.
    let code: String = form
        .code
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    match state
        .centre()
        .verify_code(&visit.client, &challenge, &browser, &code, visit.now)
        .await
    {
        Ok(opened) => Ok(signed_in(&opened.secret, opened.person.intent)),
        Err(CentreError::WrongCode { attempts_left }) => {
            let problem = i18n::fill(
                "centre.code.wrong",
                visit.language,
                &attempts_left.to_string(),
            );
            code_page(&state, &visit, challenge, Some(problem))
        }
        Err(error) => Err(error.into()),
    }
}

/// `GET /privacy-centre/link/{token}`: the magic link, opened in the browser that asked.
pub(crate) async fn magic_link(
    State(state): State<AppState>,
    _: Limited<route::MagicLink, Refusal>,
    visit: Visit,
    Path(token): Path<String>,
) -> Result<Response, Refusal> {
    let browser = visit.browser_secret.clone().ok_or(Refusal::OtherBrowser)?;
    let opened = state
        .centre()
        .verify_link(&visit.client, &token, &browser, visit.now)
        .await?;
    Ok(signed_in(&opened.secret, opened.person.intent))
}

/// The answer to a verified sign-in: the session cookie set, the browser cookie removed, on to
/// where the person was going.
fn signed_in(secret: &str, intent: Intent) -> Response {
    let mut response = redirect(&destination(intent));
    for cookie in [
        centre_cookie(SESSION_COOKIE, secret, None),
        centre_cookie(BROWSER_COOKIE, "", Some(0)),
    ] {
        response = with_cookie(response, &cookie);
    }
    response
}

/// The sign-out form (its token only).
#[derive(Debug, Deserialize)]
pub(crate) struct Nothing {}

/// `POST /privacy-centre/sign-out`: end the session, back to the start.
pub(crate) async fn sign_out(
    State(state): State<AppState>,
    SignedForm(signed, Nothing {}): SignedForm<Nothing>,
) -> Result<Response, Refusal> {
    state
        .centre()
        .sign_out(&signed.visit.client, &signed.person, signed.visit.now)
        .await?;
    Ok(with_cookie(
        redirect_with(CENTRE_PATH, Flash::done("centre.flash.signed_out")),
        &centre_cookie(SESSION_COOKIE, "", Some(0)),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intents_are_read_from_the_form() {
        assert_eq!(parse_intent("overview"), Some(Intent::Overview));
        assert_eq!(
            parse_intent("erasure"),
            Some(Intent::Request(RequestType::Erasure))
        );
        assert_eq!(parse_intent("nonsense"), None);
        assert_eq!(
            destination(Intent::Request(RequestType::WithdrawConsent)),
            "/privacy-centre/me/ask/withdraw_consent"
        );
        let choices = intent_choices("nonsense");
        assert_eq!(choices.len(), 10);
        assert!(choices[0].selected, "the overview is the default");
        assert!(intent_choices("restriction")[5].selected);
    }

    #[test]
    fn challenge_ids_are_32_hex_digits() {
        assert!(is_challenge_id("0123456789abcdef0123456789abcdef"));
        assert!(!is_challenge_id("0123456789ABCDEF0123456789abcdef"));
        assert!(!is_challenge_id("../etc/passwd"));
        assert!(!is_challenge_id(""));
    }
}
