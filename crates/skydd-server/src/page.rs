//! What every HTML page the server sends shares: the language it is written in and the headers
//! that keep it safe in a browser.
//!
//! Public pages (the privacy notice, its history, the unsubscribe pages) and the HTML form of
//! the Art. 30 record all take their language from [`negotiate`] and their headers from
//! [`page_headers`], so a page cannot be served with a weaker Content-Security-Policy than the
//! others, and English and Swedish are chosen the same way everywhere. Text put into a page is
//! escaped by the one HTML escape of the workspace, [`skydd_notice::document::escape_html`].

use axum::http::header::{
    ACCEPT_LANGUAGE, CACHE_CONTROL, CONNECTION, CONTENT_LANGUAGE, CONTENT_SECURITY_POLICY,
    CONTENT_TYPE, REFERRER_POLICY, RETRY_AFTER, VARY, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use skydd_notice::document::escape_html;
use skydd_register::model::{Choice as _, Language};

use crate::state::AppState;
use utoipa::openapi::schema::{Object, SchemaType, Type};

/// The Content-Security-Policy of every page: nothing from anywhere (no script at all, no
/// image, font or frame), the page's own inline style, forms that post only to this server,
/// and no framing by another site.
pub(crate) const PAGE_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; \
     form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The Content-Security-Policy of the console (`/console`): its own style sheet and script
/// from this server only (no inline script or style), images from this server or inline
/// (`data:`, the TOTP QR code), forms that post only to this server, no framing.
pub(crate) const CONSOLE_CSP: &str = "default-src 'none'; style-src 'self'; script-src 'self'; \
     img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// How a page may be kept by browsers and proxies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Caching {
    /// Kept, but checked with the server before each use (public pages with an `ETag`).
    Revalidate,
    /// Never kept: the page carries a token or is behind a login.
    NoStore,
}

/// Set the headers of a page in `language` with body type `content_type`: its language (and
/// that it varies by `Accept-Language`), no type sniffing, `caching`, no `Referer` to the next
/// site, no framing, and [`PAGE_CSP`].
pub(crate) fn page_headers(
    h: &mut HeaderMap,
    content_type: &'static str,
    language: Language,
    caching: Caching,
) {
    let cache = match caching {
        Caching::Revalidate => "no-cache",
        Caching::NoStore => "no-store",
    };
    for (name, value) in [
        (CONTENT_TYPE, content_type),
        (CONTENT_LANGUAGE, language.word()),
        (VARY, "Accept-Language"),
        (X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (CACHE_CONTROL, cache),
        (REFERRER_POLICY, "no-referrer"),
        (X_FRAME_OPTIONS, "DENY"),
        (CONTENT_SECURITY_POLICY, PAGE_CSP),
    ] {
        h.insert(name, HeaderValue::from_static(value));
    }
}

/// The headers of a console page in `language`: those of [`page_headers`] (never stored),
/// with the console's [`CONSOLE_CSP`] instead of the public pages' policy.
pub(crate) fn console_page_headers(h: &mut HeaderMap, language: Language) {
    page_headers(h, "text/html; charset=utf-8", language, Caching::NoStore);
    h.insert(
        CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONSOLE_CSP),
    );
}

/// The language of a page: `asked` (a `?lang=` parameter) when given, otherwise the one of
/// `offered` that `Accept-Language` prefers, otherwise English (every register publishes in
/// English). Of equally preferred languages the first named wins; `q=0` excludes one.
pub(crate) fn negotiate(
    asked: Option<Language>,
    headers: &HeaderMap,
    offered: &[Language],
) -> Language {
    if let Some(language) = asked {
        return language;
    }
    let Some(accepted) = headers
        .get(ACCEPT_LANGUAGE)
        .and_then(|value| value.to_str().ok())
    else {
        return Language::En;
    };
    let mut best: Option<(u16, Language)> = None;
    for item in accepted.split(',') {
        let mut parameters = item.split(';');
        let tag = parameters.next().unwrap_or_default().trim();
        let primary = tag.split('-').next().unwrap_or_default();
        let Some(language) = offered
            .iter()
            .copied()
            .find(|language| primary.eq_ignore_ascii_case(language.word()))
        else {
            continue;
        };
        let quality = parameters
            .find_map(|parameter| {
                let (name, value) = parameter.split_once('=')?;
                name.trim()
                    .eq_ignore_ascii_case("q")
                    .then(|| quality(value.trim()))
            })
            .unwrap_or(Some(1000));
        let Some(quality) = quality.filter(|&q| q > 0) else {
            continue;
        };
        if best.is_none_or(|(best, _)| quality > best) {
            best = Some((quality, language));
        }
    }
    best.map_or(Language::En, |(_, language)| language)
}

/// A quality value (`0`, `0.8`, `1.000`) in thousandths; `None` when it is not one.
fn quality(value: &str) -> Option<u16> {
    let (whole, fraction) = value.split_once('.').unwrap_or((value, ""));
    if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let thousandths = format!("{fraction:0<3}").parse::<u16>().ok()?;
    match whole {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

/// The languages of the pages whose own texts Skydd writes (unsubscribe, refusals): both,
/// whatever the register publishes in.
pub(crate) const PAGE_LANGUAGES: [Language; 2] = [Language::En, Language::Sv];

/// A small public page (the unsubscribe pages, a refusal): `body` (HTML, already escaped)
/// under the sender's name (`sender`, escaped here), in `language`, with the pages' own
/// inline style and nothing else.
pub(crate) fn small_page(language: Language, title: &str, sender: &str, body: &str) -> String {
    let sender = escape_html(sender);
    format!(
        "<!DOCTYPE html>\n\
         <html lang=\"{lang}\">\n\
         <head>\n\
         <meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"robots\" content=\"noindex\">\n\
         <title>{title} · {sender}</title>\n\
         <style>{SMALL_PAGE_STYLE}</style>\n\
         </head>\n\
         <body>\n\
         <main>\n\
         <p class=\"sender\">{sender}</p>\n\
         {body}\n\
         </main>\n\
         </body>\n\
         </html>\n",
        lang = language.word(),
    )
}

/// Large type, short lines, high contrast, a big button; dark mode too.
const SMALL_PAGE_STYLE: &str = "\
body{margin:0;font:1.125rem/1.6 system-ui,-apple-system,\"Segoe UI\",Roboto,sans-serif;\
color:#1a1a1a;background:#fff}\
main{max-width:34rem;margin:0 auto;padding:3rem 1.25rem}\
h1{font-size:1.625rem;line-height:1.3;margin:0 0 1rem}\
.sender{font-weight:600;color:#444;margin:0 0 2rem}\
.note{color:#444}\
button{font:inherit;font-weight:600;padding:.75rem 1.75rem;border:0;border-radius:.5rem;\
background:#1d4ed8;color:#fff;cursor:pointer}\
button:focus-visible{outline:3px solid #f59e0b;outline-offset:3px}\
@media (prefers-color-scheme:dark){body{background:#121212;color:#eee}\
.sender,.note{color:#bbb}button{background:#93c5fd;color:#000}}";

/// An HTML response of `page` with the headers of every page; never cached.
pub(crate) fn html_response(status: StatusCode, language: Language, page: String) -> Response {
    let mut response = (status, page).into_response();
    page_headers(
        response.headers_mut(),
        "text/html; charset=utf-8",
        language,
        Caching::NoStore,
    );
    response
}

/// A public HTML page that refuses a request without reading it: too many requests from this
/// address (429 with `Retry-After`, from [`crate::limit::Limited`]), a body larger than the
/// route reads (413), or one that did not arrive within the body-read timeout (408, the
/// connection closed). In English or Swedish as `Accept-Language` prefers, under the
/// controller's name; it repeats nothing the client sent.
#[derive(Debug, Clone)]
pub struct PageRefusal {
    refused: Refused,
    language: Language,
    sender: String,
}

/// Why a [`PageRefusal`] refuses.
#[derive(Debug, Clone, Copy)]
enum Refused {
    /// Too many requests; seconds until the next is taken.
    Limit(u64),
    /// The body is larger than the route reads.
    Size,
    /// The body did not arrive in time.
    Timeout,
}

impl PageRefusal {
    /// Too many requests: try again after `retry_after`.
    pub(crate) fn too_many(
        crate::limit::RetryAfter(seconds): crate::limit::RetryAfter,
        headers: &HeaderMap,
        state: &AppState,
    ) -> PageRefusal {
        PageRefusal::new(Refused::Limit(seconds), headers, state)
    }

    /// A body that could not be read: too large or too slow (a connection that failed is
    /// treated as too slow: either way nothing arrived whole).
    pub(crate) fn body(
        error: crate::extract::BodyError,
        headers: &HeaderMap,
        state: &AppState,
    ) -> PageRefusal {
        let refused = match error {
            crate::extract::BodyError::TooLarge => Refused::Size,
            _ => Refused::Timeout,
        };
        PageRefusal::new(refused, headers, state)
    }

    fn new(refused: Refused, headers: &HeaderMap, state: &AppState) -> PageRefusal {
        PageRefusal {
            refused,
            language: negotiate(None, headers, &PAGE_LANGUAGES),
            sender: state.register.register.controller.name.clone(),
        }
    }
}

impl IntoResponse for PageRefusal {
    fn into_response(self) -> Response {
        use Language::{En, Sv};
        let (status, title, body) = match (self.refused, self.language) {
            (Refused::Limit(seconds), Sv) => (
                StatusCode::TOO_MANY_REQUESTS,
                "För många försök",
                format!(
                    "<h1>För många försök</h1>\n<p>Vänta en stund och försök igen om \
                     {seconds} sekunder.</p>"
                ),
            ),
            (Refused::Limit(seconds), En) => (
                StatusCode::TOO_MANY_REQUESTS,
                "Too many attempts",
                format!(
                    "<h1>Too many attempts</h1>\n<p>Wait a moment and try again in {seconds} \
                     seconds.</p>"
                ),
            ),
            (Refused::Size, Sv) => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "För stort",
                "<h1>Det du skickade är för stort</h1>\n<p>Inget togs emot. Gå tillbaka och \
                 försök igen med mindre.</p>"
                    .to_owned(),
            ),
            (Refused::Size, En) => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "Too large",
                "<h1>What you sent is too large</h1>\n<p>Nothing was received. Go back and \
                 try again with less.</p>"
                    .to_owned(),
            ),
            (Refused::Timeout, Sv) => (
                StatusCode::REQUEST_TIMEOUT,
                "För långsamt",
                "<h1>Det du skickade kom inte fram i tid</h1>\n<p>Inget togs emot. Gå tillbaka \
                 och försök igen.</p>"
                    .to_owned(),
            ),
            (Refused::Timeout, En) => (
                StatusCode::REQUEST_TIMEOUT,
                "Too slow",
                "<h1>What you sent did not arrive in time</h1>\n<p>Nothing was received. Go \
                 back and try again.</p>"
                    .to_owned(),
            ),
        };
        let page = small_page(self.language, title, &self.sender, &body);
        let mut response = html_response(status, self.language, page);
        match self.refused {
            Refused::Limit(seconds) => {
                response
                    .headers_mut()
                    .insert(RETRY_AFTER, HeaderValue::from(seconds));
            }
            Refused::Timeout => {
                response
                    .headers_mut()
                    .insert(CONNECTION, HeaderValue::from_static("close"));
            }
            Refused::Size => {}
        }
        response
    }
}

/// The OpenAPI schema of a `lang` parameter: a string, one of the languages' words.
pub(crate) fn language_schema() -> Object {
    let mut schema = Object::with_type(SchemaType::Type(Type::String));
    schema.enum_values = Some(
        Language::ALL
            .iter()
            .map(|(word, _)| serde_json::Value::from(*word))
            .collect(),
    );
    schema
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOTH: &[Language] = &[Language::En, Language::Sv];

    fn negotiated(accept: &str, offered: &[Language]) -> Language {
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT_LANGUAGE, HeaderValue::from_str(accept).unwrap());
        negotiate(None, &headers, offered)
    }

    #[test]
    fn swedish_when_preferred_to_english_and_offered() {
        use Language::{En, Sv};
        assert_eq!(negotiate(None, &HeaderMap::new(), BOTH), En);
        for (accept, expected) in [
            ("sv", Sv),
            ("sv-SE,sv;q=0.9,en-US;q=0.8,en;q=0.7", Sv),
            ("SV-fi", Sv),
            ("de-DE, sv;q=0.5", Sv),
            ("en-US,en;q=0.9,sv;q=0.8", En),
            ("en, sv", En),
            ("sv, en", Sv),
            ("en;q=0.4, sv;q=0.6", Sv),
            ("sv;q=0", En),
            ("sv;q=2", En),
            ("sv;q=banana", En),
            ("fr, de", En),
            ("*", En),
            ("", En),
        ] {
            assert_eq!(negotiated(accept, BOTH), expected, "{accept}");
        }
        assert_eq!(negotiated("sv", &[En]), En, "Swedish is not offered");
    }

    #[test]
    fn a_language_asked_for_wins_over_the_header() {
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT_LANGUAGE, HeaderValue::from_static("sv"));
        assert_eq!(negotiate(Some(Language::En), &headers, BOTH), Language::En);
    }

    #[test]
    fn quality_values_are_read_in_thousandths() {
        assert_eq!(quality("1"), Some(1000));
        assert_eq!(quality("1.000"), Some(1000));
        assert_eq!(quality("0.8"), Some(800));
        assert_eq!(quality("0.125"), Some(125));
        assert_eq!(quality("0"), Some(0));
        for bad in ["1.5", "0.1234", "", "x", "-0.5", "0.-1"] {
            assert_eq!(quality(bad), None, "{bad}");
        }
    }

    #[test]
    fn every_page_gets_the_same_policy() {
        let mut h = HeaderMap::new();
        page_headers(
            &mut h,
            "text/html; charset=utf-8",
            Language::Sv,
            Caching::NoStore,
        );
        assert_eq!(h[CONTENT_SECURITY_POLICY], PAGE_CSP);
        assert_eq!(h[CONTENT_LANGUAGE], "sv");
        assert_eq!(h[CACHE_CONTROL], "no-store");
        assert_eq!(h[X_FRAME_OPTIONS], "DENY");
        assert_eq!(h[REFERRER_POLICY], "no-referrer");
        assert!(!PAGE_CSP.contains("script-src"), "no script is allowed");
    }

    #[test]
    fn console_pages_get_the_console_policy_and_are_never_stored() {
        let mut h = HeaderMap::new();
        console_page_headers(&mut h, Language::En);
        assert_eq!(h[CONTENT_SECURITY_POLICY], CONSOLE_CSP);
        assert_eq!(h[CACHE_CONTROL], "no-store");
        assert_eq!(h[X_FRAME_OPTIONS], "DENY");
        assert!(!CONSOLE_CSP.contains("unsafe"), "no inline script or style");
    }
}
