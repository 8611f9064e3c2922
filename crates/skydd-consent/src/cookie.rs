//! Cookie choices made in the consent banner (issue 18): which banner categories a browser gave
//! and refused, which single services it let load, under which banner revision and notice
//! version, and whether it sent Global Privacy Control or Do Not Track.
//!
//! A choice belongs to a browser, not to a data subject: the banner makes a pseudonymous
//! [`BrowserId`] and keeps it in the website's first-party cookie. [`CookieChoice::check`] holds
//! a choice to the register's `cookies` section; the vault stores it (the browser id only as a
//! keyed blind index) in the ledger's cookie table, append-only like every other event here.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use jiff::Timestamp;
use skydd_register::model::{Cookies, Language, REVISION_LEN};

use crate::error::{UnknownWord, is_id};

/// The fewest characters a browser id has (22 base64url characters: 132 random bits).
pub const BROWSER_ID_MIN: usize = 22;
/// The most characters a browser id has.
pub const BROWSER_ID_MAX: usize = 64;

/// A browser's pseudonymous id, as `banner.js` makes it (`crypto.getRandomValues`, base64url):
/// 22 to 64 characters of `A-Z a-z 0-9 _ -`. It links a browser's choices to each other and
/// to nothing else; `Debug` does not show it, and errors never quote it.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct BrowserId(String);

impl BrowserId {
    /// Read a browser id; anything else is [`CookieChoiceError::MalformedBrowserId`].
    pub fn parse(text: &str) -> Result<BrowserId, CookieChoiceError> {
        if is_browser_id(text) {
            Ok(BrowserId(text.to_owned()))
        } else {
            Err(CookieChoiceError::MalformedBrowserId)
        }
    }

    /// The id as the banner sent it (for the blind index; never for a log or a message).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for BrowserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BrowserId(<redacted>)")
    }
}

/// Whether `text` has the shape of a [`BrowserId`]: 22 to 64 characters of `A-Z a-z 0-9 _ -`.
pub fn is_browser_id(text: &str) -> bool {
    (BROWSER_ID_MIN..=BROWSER_ID_MAX).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// What the visitor did in the banner. The names are stable: they are stored with every choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BannerAction {
    /// "Accept all" (`accept_all`): every category given.
    AcceptAll,
    /// "Reject all" (`reject_all`): only the required categories given.
    RejectAll,
    /// Saved a choice per category (`custom`).
    Custom,
    /// Withdrew consent from the settings (`withdraw`).
    Withdraw,
    /// Let one blocked service load ("load this", `service`).
    Service,
}

impl BannerAction {
    /// Every action with its stable name.
    pub const ALL: [(BannerAction, &'static str); 5] = [
        (BannerAction::AcceptAll, "accept_all"),
        (BannerAction::RejectAll, "reject_all"),
        (BannerAction::Custom, "custom"),
        (BannerAction::Withdraw, "withdraw"),
        (BannerAction::Service, "service"),
    ];

    /// The stable snake_case name.
    pub fn as_str(self) -> &'static str {
        BannerAction::ALL
            .iter()
            .find(|(action, _)| *action == self)
            .map_or("", |(_, name)| name)
    }
}

impl fmt::Display for BannerAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for BannerAction {
    type Err = UnknownWord;

    fn from_str(word: &str) -> Result<BannerAction, UnknownWord> {
        BannerAction::ALL
            .iter()
            .find(|(_, name)| *name == word)
            .map(|(action, _)| *action)
            .ok_or(UnknownWord {
                what: "banner action",
                expected: "accept_all, reject_all, custom, withdraw, service",
            })
    }
}

/// One choice a browser made in the banner. The browser's id, IP address and user agent are not
/// fields: the vault keeps the id as a keyed blind index and the rest sealed, next to the choice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CookieChoice {
    /// The banner revision ([`Cookies::revision`]) the choice was made under.
    pub revision: String,
    /// The register version (its digest) the banner linked to when the choice was made.
    pub notice_version: String,
    /// The language the banner was shown in.
    pub language: Language,
    /// What the visitor did.
    pub action: BannerAction,
    /// The categories given (cookie category ids).
    pub given: Vec<String>,
    /// The categories refused; with `given`, every category of the banner exactly once.
    pub refused: Vec<String>,
    /// Single services allowed (`true`) or refused (`false`) apart from their category ("load
    /// this"), by cookie service id.
    pub services: BTreeMap<String, bool>,
    /// The browser sent Global Privacy Control.
    pub gpc: bool,
    /// The browser sent Do Not Track.
    pub dnt: bool,
    /// When the server received it.
    pub at: Timestamp,
}

/// Why a choice does not fit the banner it claims to be made in. Messages name register ids and
/// fixed words only: an id the client sent is quoted only when it has the syntax of one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CookieChoiceError {
    /// The browser id is not 22 to 64 characters of `A-Z a-z 0-9 _ -`.
    #[error("the browser id is not 22 to 64 characters of A-Z, a-z, 0-9, `_` and `-`")]
    MalformedBrowserId,
    /// The choice was made under another revision of the banner than the one in force.
    #[error(
        "the choice was made under another revision of the banner; the categories in force have revision `{current}`"
    )]
    StaleRevision {
        /// The revision in force.
        current: String,
    },
    /// The notice version is not a register digest (64 lowercase hex digits).
    #[error("the notice version is not a register version (64 lowercase hex digits)")]
    MalformedNoticeVersion,
    /// A category id that is not one of the banner's.
    #[error("{} is not a category of the banner", quoted(.0, "a category in `given` or `refused`"))]
    UnknownCategory(String),
    /// A category both given and refused, or listed twice.
    #[error("the category `{0}` is listed more than once in `given` and `refused`")]
    CategoryTwice(String),
    /// A category of the banner that is neither given nor refused.
    #[error("the category `{0}` is neither given nor refused")]
    CategoryMissing(String),
    /// A required category in `refused`.
    #[error("the category `{0}` is strictly necessary and cannot be refused")]
    RequiredRefused(String),
    /// A service id that is not one of the banner's.
    #[error("{} is not a service of the banner", quoted(.0, "a service in `services`"))]
    UnknownService(String),
    /// `accept_all` with a category refused, or `reject_all` with a category that needs consent
    /// given.
    #[error("`{action}` does not fit the categories: {what}")]
    ActionMismatch {
        /// The action sent.
        action: BannerAction,
        /// What does not fit.
        what: &'static str,
    },
}

/// `` `id` `` when `id` has an id's syntax (so it is no value a client hid there), otherwise
/// `fallback`.
fn quoted(id: &str, fallback: &str) -> String {
    if is_id(id) {
        format!("`{id}`")
    } else {
        fallback.to_owned()
    }
}

impl CookieChoiceError {
    /// How to fix it, for the problem document.
    pub fn help(&self) -> &'static str {
        match self {
            CookieChoiceError::MalformedBrowserId => {
                "send the id banner.js keeps in the `skydd_consent` cookie"
            }
            CookieChoiceError::StaleRevision { .. } => {
                "reload the banner's configuration (GET /v1/banner/config) and ask the visitor again"
            }
            CookieChoiceError::MalformedNoticeVersion => {
                "send `notice_version` as the banner's configuration gives it"
            }
            CookieChoiceError::UnknownCategory(_)
            | CookieChoiceError::CategoryTwice(_)
            | CookieChoiceError::CategoryMissing(_)
            | CookieChoiceError::RequiredRefused(_) => {
                "list every category of the banner's configuration once, in `given` or in `refused`; required ones only in `given`"
            }
            CookieChoiceError::UnknownService(_) => {
                "name services by the ids of the banner's configuration"
            }
            CookieChoiceError::ActionMismatch { .. } => "send `custom` for a choice per category",
        }
    }
}

impl CookieChoice {
    /// Check the choice against the banner in force (the register's `cookies` section): made
    /// under its revision, every category given or refused exactly once, no required category
    /// refused, services known, and `accept_all` / `reject_all` meaning what they say.
    pub fn check(&self, cookies: &Cookies) -> Result<(), CookieChoiceError> {
        let current = cookies.revision();
        if self.revision != current {
            return Err(CookieChoiceError::StaleRevision { current });
        }
        if !is_digest(&self.notice_version) {
            return Err(CookieChoiceError::MalformedNoticeVersion);
        }
        let mut seen: Vec<&str> = Vec::new();
        for (id, given) in self
            .given
            .iter()
            .map(|id| (id, true))
            .chain(self.refused.iter().map(|id| (id, false)))
        {
            let category = cookies
                .category(id)
                .ok_or_else(|| CookieChoiceError::UnknownCategory(id.clone()))?;
            if seen.contains(&id.as_str()) {
                return Err(CookieChoiceError::CategoryTwice(id.clone()));
            }
            seen.push(id);
            if category.required && !given {
                return Err(CookieChoiceError::RequiredRefused(id.clone()));
            }
        }
        if let Some(missing) = cookies
            .categories
            .iter()
            .find(|c| !seen.contains(&c.id.as_str()))
        {
            return Err(CookieChoiceError::CategoryMissing(missing.id.to_string()));
        }
        if let Some(unknown) = self.services.keys().find(|s| cookies.service(s).is_none()) {
            return Err(CookieChoiceError::UnknownService(unknown.clone()));
        }
        let mismatch = |what| CookieChoiceError::ActionMismatch {
            action: self.action,
            what,
        };
        match self.action {
            BannerAction::AcceptAll if !self.refused.is_empty() => {
                Err(mismatch("a category is refused"))
            }
            BannerAction::RejectAll
                if self
                    .given
                    .iter()
                    .any(|id| cookies.category(id).is_some_and(|c| !c.required)) =>
            {
                Err(mismatch("a category that needs consent is given"))
            }
            _ => Ok(()),
        }
    }
}

/// Whether `text` is a register digest: 64 lowercase hex digits.
fn is_digest(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Whether `text` has the shape of a banner revision: [`REVISION_LEN`] lowercase hex digits.
pub fn is_revision(text: &str) -> bool {
    text.len() == REVISION_LEN && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn browser_ids_are_22_to_64_url_safe_characters() {
        assert!(is_browser_id("k3J9aaaaaaaaaaaaaaaaaa"));
        assert!(is_browser_id(&"a-_Z9".repeat(12)[..60]));
        assert!(!is_browser_id("short"));
        assert!(!is_browser_id(&"a".repeat(65)));
        assert!(!is_browser_id("k3J9aaaaaaaaaaaaaaaaa="));
        assert!(!is_browser_id("anna@example.se.aaaaaaa"));
        let id = BrowserId::parse("k3J9aaaaaaaaaaaaaaaaaa").unwrap();
        assert_eq!(format!("{id:?}"), "BrowserId(<redacted>)");
    }

    #[test]
    fn actions_have_stable_names() {
        for (action, name) in BannerAction::ALL {
            assert_eq!(action.as_str(), name);
            assert_eq!(name.parse::<BannerAction>(), Ok(action));
        }
        assert!("accept".parse::<BannerAction>().is_err());
    }

    #[test]
    fn an_id_is_quoted_only_when_it_looks_like_one() {
        assert_eq!(
            CookieChoiceError::UnknownCategory("ads".into()).to_string(),
            "`ads` is not a category of the banner"
        );
        assert_eq!(
            CookieChoiceError::UnknownService("anna@example.se".into()).to_string(),
            "a service in `services` is not a service of the banner"
        );
    }
}
