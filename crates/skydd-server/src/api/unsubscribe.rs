//! The public one-click unsubscribe link: `GET /unsubscribe?token=T` and `POST /unsubscribe`.
//!
//! No login: the token's signature is the authority (see `skydd_vault`'s `preference` module).
//! The pages are small server-rendered HTML in English or, when the request's `Accept-Language`
//! prefers it, Swedish; no JavaScript, nothing loaded from elsewhere.
//!
//! - `GET` only shows a page with one button, a form that POSTs the token back. It changes
//!   nothing, because mail scanners and link previews fetch every link in a message.
//! - `POST` unsubscribes: from the page's form (`token=T` in the body) or as an RFC 8058
//!   one-click request from a mail client (`List-Unsubscribe=One-Click` in the body, the token
//!   in the query string of the `List-Unsubscribe` URL). It answers with a confirmation page.
//! - A token that is missing, damaged or forged gets a 422 page saying the link is not valid,
//!   and nothing more.
//!
//! Every text inserted in a page is HTML-escaped. The pages never show personal data: a
//! token holds a subject id and a channel only.

use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use skydd_notice::document::escape_html;
use skydd_register::model::{Channel, Choice, Language};
use skydd_vault::VaultError;
use utoipa::{IntoParams, ToSchema};

use crate::auth::PeerIp;
use crate::limit::{Limited, PageRefusal, route};
use crate::page::{self, PAGE_LANGUAGES};
use crate::problem::ApiError;
use crate::state::AppState;

/// Where the unsubscribe pages are served.
pub const UNSUBSCRIBE_PATH: &str = "/unsubscribe";

/// Tokens are far shorter; anything longer is refused without looking further.
const MAX_TOKEN_LEN: usize = 256;

/// The query string of the unsubscribe link.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UnsubscribeQuery {
    /// The signed token from `GET /v1/subjects/{id}/unsubscribe-link`.
    pub token: Option<String>,
}

/// The body of `POST /unsubscribe`: the page's form, or an RFC 8058 one-click request.
#[derive(Debug, Deserialize, ToSchema)]
pub struct UnsubscribeForm {
    /// The signed token (the page's form sends it here; a one-click request sends it in the
    /// query string instead).
    #[schema(nullable = false)]
    pub token: Option<String>,
    /// `One-Click` in an RFC 8058 one-click request.
    #[serde(rename = "List-Unsubscribe")]
    #[schema(nullable = false, example = "One-Click")]
    pub list_unsubscribe: Option<String>,
}

/// Show the unsubscribe page: one button that confirms. Changes nothing.
#[utoipa::path(
    get,
    path = "/unsubscribe",
    tag = "unsubscribe",
    params(
        ("token" = String, Query, description = "The signed token from \
            `GET /v1/subjects/{id}/unsubscribe-link`."),
        ("Accept-Language" = Option<String>, Header, description = "The page is in Swedish when \
            this prefers `sv`, otherwise in English."),
    ),
    responses(
        (status = 200, description = "An HTML page with one button: a form that POSTs the token \
            to `/unsubscribe`. Nothing changes until it is pressed (mail scanners fetch links).",
            body = String, content_type = "text/html"),
        (status = 422, description = "An HTML page saying that the link is not valid.",
            body = String, content_type = "text/html"),
        (status = 429, description = "Too many requests from this address: an HTML page, and \
            `Retry-After` in seconds.", body = String, content_type = "text/html",
            headers(("Retry-After" = u64, description = "Seconds until the next request is taken."))),
    )
)]
pub async fn show(
    State(state): State<AppState>,
    _: Limited<route::Unsubscribe, PageRefusal>,
    headers: HeaderMap,
    query: Result<Query<UnsubscribeQuery>, QueryRejection>,
) -> Response {
    let language = page::negotiate(None, &headers, &PAGE_LANGUAGES);
    let controller = &state.register.register.controller.name;
    let token = query.ok().and_then(|Query(query)| query.token);
    let page = match token.as_deref().map(str::trim).and_then(token_channel) {
        Some((token, channel)) => Page::Confirm { token, channel },
        None => Page::Invalid,
    };
    page.render(language, controller)
}

/// Unsubscribe: from the page's button, or an RFC 8058 one-click request.
#[utoipa::path(
    post,
    path = "/unsubscribe",
    tag = "unsubscribe",
    params(
        ("token" = Option<String>, Query, description = "The signed token, in a one-click request \
            (RFC 8058) to the `List-Unsubscribe` URL."),
        ("Accept-Language" = Option<String>, Header, description = "The page is in Swedish when \
            this prefers `sv`, otherwise in English."),
    ),
    request_body(content = UnsubscribeForm, content_type = "application/x-www-form-urlencoded",
        description = "`token=T` from the page's form, or `List-Unsubscribe=One-Click` with the \
        token in the query string."),
    responses(
        (status = 200, description = "Unsubscribed from marketing on the link's channel; an HTML \
            confirmation. Administrative messages are not affected.", body = String,
            content_type = "text/html"),
        (status = 413, description = "The body is larger than a form: an HTML page.",
            body = String, content_type = "text/html"),
        (status = 408, description = "The body did not arrive within the server's body-read \
            timeout: an HTML page, and the connection is closed.",
            body = String, content_type = "text/html"),
        (status = 422, description = "An HTML page saying that the link is not valid.",
            body = String, content_type = "text/html"),
        (status = 429, description = "Too many requests from this address: an HTML page, and \
            `Retry-After` in seconds.", body = String, content_type = "text/html",
            headers(("Retry-After" = u64, description = "Seconds until the next request is taken."))),
    )
)]
pub async fn unsubscribe(
    State(state): State<AppState>,
    _: Limited<route::Unsubscribe, PageRefusal>,
    PeerIp(ip): PeerIp,
    headers: HeaderMap,
    query: Result<Query<UnsubscribeQuery>, QueryRejection>,
    form: Result<Form<UnsubscribeForm>, FormRejection>,
) -> Response {
    let language = page::negotiate(None, &headers, &PAGE_LANGUAGES);
    let controller = &state.register.register.controller.name;
    if let Err(rejection) = &form {
        let error = match rejection.status() {
            StatusCode::PAYLOAD_TOO_LARGE => Some(crate::extract::BodyError::TooLarge),
            _ => Some(crate::extract::BodyError::of(rejection))
                .filter(|error| *error == crate::extract::BodyError::TimedOut),
        };
        if let Some(error) = error {
            return PageRefusal::body(error, &headers, &state).into_response();
        }
    }
    let token = form
        .ok()
        .and_then(|Form(form)| form.token)
        .or_else(|| query.ok().and_then(|Query(query)| query.token));
    let Some(token) = token.filter(|token| token.len() <= MAX_TOKEN_LEN) else {
        return Page::Invalid.render(language, controller);
    };
    let now = state.clock.now();
    let page = match state.vault().unsubscribe(&token, ip, now).await {
        Ok(channel) => Page::Done { channel },
        Err(VaultError::Invalid { .. }) => Page::Invalid,
        Err(error) => {
            ApiError::Vault(error).log();
            Page::Failed
        }
    };
    page.render(language, controller)
}

/// The token, trimmed, and the channel it names, when it has the shape of an unsubscribe token
/// (`<subject>.<channel>.<tag>`, lowercase letters, digits, `_` and `.`). Only the shape is
/// checked here, so that the page never repeats something else sent in its place; the
/// signature is checked when the button is pressed.
fn token_channel(token: &str) -> Option<(&str, Channel)> {
    if token.len() > MAX_TOKEN_LEN
        || !token
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'.')
    {
        return None;
    }
    let mut parts = token.splitn(3, '.');
    let (Some(subject), Some(word), Some(tag)) = (parts.next(), parts.next(), parts.next()) else {
        return None;
    };
    if subject.is_empty() || tag.is_empty() {
        return None;
    }
    let channel = Channel::ALL
        .iter()
        .find(|(w, _)| *w == word)
        .map(|(_, channel)| *channel)?;
    Some((token, channel))
}

/// How marketing on a channel is named in the pages' sentences.
fn by_channel(channel: Channel, language: Language) -> &'static str {
    match (language, channel) {
        (Language::En, Channel::Email) => "by e-mail",
        (Language::En, Channel::Sms) => "by text message",
        (Language::En, Channel::Phone) => "by phone",
        (Language::En, Channel::Post) => "by post",
        (Language::En, Channel::Push) => "as push notifications",
        (Language::En, Channel::InApp) => "in the app",
        (Language::Sv, Channel::Email) => "via e-post",
        (Language::Sv, Channel::Sms) => "via sms",
        (Language::Sv, Channel::Phone) => "per telefon",
        (Language::Sv, Channel::Post) => "per post",
        (Language::Sv, Channel::Push) => "som pushnotiser",
        (Language::Sv, Channel::InApp) => "i appen",
    }
}

/// The HTML pages of the unsubscribe link, each written in the language asked for.
enum Page<'a> {
    /// One button that unsubscribes.
    Confirm { token: &'a str, channel: Channel },
    /// The opt-out from `channel` was recorded; marketing on it stops.
    Done { channel: Channel },
    /// The link is not valid.
    Invalid,
    /// Something failed in the server (logged).
    Failed,
}

impl Page<'_> {
    fn render(&self, language: Language, sender: &str) -> Response {
        use Language::{En, Sv};
        let controller = escape_html(sender);
        let (status, title, body) = match (self, language) {
            (Page::Confirm { token, channel }, _) => {
                let by = by_channel(*channel, language);
                let (title, heading, lead, button, note) = match language {
                    En => (
                        "Unsubscribe",
                        format!("Stop marketing {by}?"),
                        format!(
                            "Press the button to stop receiving marketing from {controller} {by}."
                        ),
                        "Unsubscribe",
                        "Messages about your account and orders still reach you.",
                    ),
                    Sv => (
                        "Avregistrering",
                        format!("Vill du sluta få marknadsföring {by}?"),
                        format!(
                            "Tryck på knappen så får du inte längre marknadsföring från \
                             {controller} {by}."
                        ),
                        "Avregistrera mig",
                        "Meddelanden om ditt konto och dina beställningar får du som vanligt.",
                    ),
                };
                // The action is relative: it resolves to this page's own path, also behind a
                // proxy that serves Skydd under a prefix.
                let body = format!(
                    "<h1>{heading}</h1>\n<p>{lead}</p>\n\
                     <form method=\"post\" action=\"unsubscribe\">\n\
                     <input type=\"hidden\" name=\"token\" value=\"{token}\">\n\
                     <button type=\"submit\">{button}</button>\n</form>\n\
                     <p class=\"note\">{note}</p>",
                    token = escape_html(token),
                );
                (StatusCode::OK, title, body)
            }
            (Page::Done { channel }, _) => {
                let by = by_channel(*channel, language);
                let (title, heading, text) = match language {
                    En => (
                        "Unsubscribed",
                        "You are unsubscribed",
                        format!(
                            "You will no longer receive marketing {by}. Messages about your \
                             account and orders still reach you."
                        ),
                    ),
                    Sv => (
                        "Avregistrerad",
                        "Du är avregistrerad",
                        format!(
                            "Du får inte längre marknadsföring {by}. Meddelanden om ditt konto \
                             och dina beställningar får du som vanligt."
                        ),
                    ),
                };
                (
                    StatusCode::OK,
                    title,
                    format!("<h1>{heading}</h1>\n<p>{text}</p>"),
                )
            }
            (Page::Invalid, En) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "Link not valid",
                "<h1>This link is not valid</h1>\n\
                 <p>Copy the whole link from the message and try again.</p>"
                    .to_owned(),
            ),
            (Page::Invalid, Sv) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "Ogiltig länk",
                "<h1>Länken är inte giltig</h1>\n\
                 <p>Kopiera hela länken från meddelandet och försök igen.</p>"
                    .to_owned(),
            ),
            (Page::Failed, En) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                "<h1>Something went wrong</h1>\n<p>Please try again in a little while.</p>"
                    .to_owned(),
            ),
            (Page::Failed, Sv) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Något gick fel",
                "<h1>Något gick fel</h1>\n<p>Försök igen om en liten stund.</p>".to_owned(),
            ),
        };
        page::html_response(
            status,
            language,
            page::small_page(language, title, sender, &body),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_token_shaped_values_are_put_in_the_page() {
        let token = "0123456789abcdef0123456789abcdef.email.00ff";
        assert_eq!(token_channel(token), Some((token, Channel::Email)));
        assert_eq!(
            token_channel("0a.in_app.1b").map(|(_, c)| c),
            Some(Channel::InApp)
        );
        for bad in [
            "",
            "a@example.se",
            "0a.pigeon.1b",
            "0a.email",
            ".email.1b",
            "0a.email.",
            "0A.email.1B",
            "0a.email.1b\"><script>",
            &format!("0a.email.{}", "f".repeat(MAX_TOKEN_LEN)),
        ] {
            assert!(token_channel(bad).is_none(), "{bad}");
        }
    }

    #[tokio::test]
    async fn pages_escape_what_they_insert() {
        let page = Page::Confirm {
            token: "0a.email.1b",
            channel: Channel::Email,
        };
        let response = page.render(Language::En, "<b>Evil & Co</b>");
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            response.headers()[axum::http::header::CONTENT_TYPE],
            "text/html; charset=utf-8"
        );
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        let body = String::from_utf8(body.to_vec()).unwrap();
        assert!(body.contains("&lt;b&gt;Evil &amp; Co&lt;/b&gt;"), "{body}");
        assert!(!body.contains("<b>"), "{body}");
        assert!(body.contains("value=\"0a.email.1b\""), "{body}");
    }
}
