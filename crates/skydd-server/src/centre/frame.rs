//! What the layout of every centre page shows around its content: the company's name and logo,
//! the language switch, the person signed in and when their session ends, the flash message of
//! the last action; and how the centre writes dates and times.
//!
//! Every page template holds a `frame: CentreFrame` field and extends
//! `centre/layout.html`, which reads only this struct.

use std::fmt::Display;

use askama::Template;
use axum::response::Response;
use jiff::Timestamp;
use skydd_register::model::{Choice as _, Language};

use super::brand;
use crate::console::frame::{Flash, FlashKind};
use crate::console::i18n;
use crate::console::render::{ConsoleError, ErrorPage, render};
use crate::state::AppState;

/// The person signed in, as the header shows them.
#[derive(Debug, Clone)]
pub(crate) struct FramePerson {
    /// The identities verified, masked (`b…@example.com`), joined by commas.
    pub(crate) masked: String,
    /// When the session ends at the latest.
    pub(crate) ends_at: Timestamp,
}

/// Everything the centre's layout shows around a page's content.
#[derive(Debug, Clone)]
pub(crate) struct CentreFrame {
    /// The page's language.
    pub(crate) language: Language,
    /// The page's title, in its language.
    pub(crate) title: String,
    /// The company's name (the brand setting, or the register's controller).
    pub(crate) brand: String,
    /// The versioned URL of the company's logo, when it has one.
    pub(crate) logo: Option<String>,
    /// The versioned URL of the centre's style sheet (with the company's colour).
    pub(crate) stylesheet: String,
    /// The person signed in, `None` before the sign-in.
    pub(crate) person: Option<FramePerson>,
    /// The message of the last action.
    pub(crate) flash: Option<Flash>,
    /// The token the page's forms send (the session's, or the form cookie's before one).
    pub(crate) csrf: String,
    /// The page's query string without `lang`, kept by the language switch.
    pub(crate) query: String,
}

impl CentreFrame {
    /// The frame of a page titled by the catalog key `title_key`, in `language`, whose forms
    /// carry `csrf`; nobody signed in, no flash.
    pub(crate) fn new(
        state: &AppState,
        language: Language,
        title_key: &str,
        csrf: &str,
    ) -> CentreFrame {
        let site = state.site();
        CentreFrame {
            language,
            title: i18n::text(title_key, language).to_owned(),
            brand: site
                .brand
                .name
                .clone()
                .unwrap_or_else(|| state.register.register.controller.name.clone()),
            logo: site
                .brand
                .logo
                .as_ref()
                .map(|logo| brand::logo_url(&logo.bytes)),
            stylesheet: brand::stylesheet_url(site.brand.colour.as_ref()),
            person: None,
            flash: None,
            csrf: csrf.to_owned(),
            query: String::new(),
        }
    }

    /// The link of the language switch to `word` (`en`, `sv`): this page in that language.
    pub(crate) fn switch(&self, word: &str) -> String {
        if self.query.is_empty() {
            format!("?lang={word}")
        } else {
            format!("?{}&lang={word}", self.query)
        }
    }

    /// The text of `key` in the page's language.
    pub(crate) fn t<'k>(&self, key: &'k str) -> &'k str {
        i18n::text(key, self.language)
    }

    /// The text of `key` with its `{}` replaced by `value`.
    pub(crate) fn fill(&self, key: &str, value: impl Display) -> String {
        i18n::fill(key, self.language, &value.to_string())
    }

    /// The page's language as its word (`en`, `sv`), for `lang` attributes.
    pub(crate) fn lang(&self) -> &'static str {
        self.language.word()
    }

    /// Whether the flash says something worked (for its style and ARIA role).
    pub(crate) fn flash_done(&self) -> bool {
        self.flash.is_some_and(|f| f.kind == FlashKind::Done)
    }

    /// The date of `at` in Stockholm, as people write it ("1 April 2026" / "1 april 2026").
    pub(crate) fn date(&self, at: &Timestamp) -> String {
        date(self.language, *at)
    }

    /// The time of day of `at` in Stockholm (`14:05`), for when a session ends.
    pub(crate) fn clock(&self, at: &Timestamp) -> String {
        at.to_zoned(skydd_register::zone::stockholm())
            .strftime("%H:%M")
            .to_string()
    }
}

/// The Stockholm date of `at` in words, in `language`: a statutory due date is the end of a
/// day in the controller's time zone.
pub(crate) fn date(language: Language, at: Timestamp) -> String {
    let day = at.to_zoned(skydd_register::zone::stockholm()).date();
    skydd_notice::wording::date(language, day)
}

/// The error page's template.
#[derive(Template)]
#[template(path = "centre/error.html")]
struct ErrorTemplate<'a> {
    frame: CentreFrame,
    /// What to do, filled.
    help: Option<String>,
    page: &'a ErrorPage,
}

/// The body of an error page in `language`, in the centre's layout. A key the centre says
/// otherwise than the console (`centre.error.404.help` for `error.404.help`) is the centre's.
pub(crate) fn error_page(
    state: &AppState,
    page: &ErrorPage,
    language: Language,
) -> Result<Response, ConsoleError> {
    let own = |key: &'static str| i18n::catalog_key(&format!("centre.{key}")).unwrap_or(key);
    let frame = CentreFrame::new(state, language, own(page.title), "");
    let help = page
        .help
        .map(|key| i18n::fill(own(key), language, &page.value));
    render(language, &ErrorTemplate { frame, help, page })
}
