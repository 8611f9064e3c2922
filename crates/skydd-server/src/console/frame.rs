//! What the layout of every console page shows around its content: the language, the title,
//! the signed-in account and its role, the navigation the role may use, the flash message of
//! the last action, and the CSRF token of the sign-out form.
//!
//! Every page template holds a `frame: Frame` field and extends `console/layout.html`, which
//! reads only this struct. Pages build it with [`crate::console::session::ConsoleUser::frame`]
//! (signed in) or [`Frame::anonymous`] (sign-in pages, errors).

use std::fmt::Display;

use jiff::Timestamp;
use skydd_register::model::{Choice as _, Language};
use skydd_staff::permission::{Grants, Permission, StaffRole};

use super::assets;
use super::i18n;

/// A part of the console in the main navigation: its link, its label, and the permission a
/// role needs to see it (`None`: every signed-in user).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Section {
    /// The home page.
    Dashboard,
    /// The request queue and request pages.
    Requests,
    /// Personal data breaches.
    Incidents,
    /// Look-up of data subjects.
    Subjects,
    /// The register, its versions and the Art. 30 record.
    Register,
    /// The audit trail.
    Audit,
    /// Messages sent and queued.
    Outbox,
    /// Staff accounts (administrators).
    Accounts,
    /// A page outside the navigation (your account, sign-in, errors).
    Elsewhere,
}

impl Section {
    /// The sections of the navigation, in the order shown.
    pub(crate) const NAVIGATION: [Section; 8] = [
        Section::Dashboard,
        Section::Requests,
        Section::Incidents,
        Section::Subjects,
        Section::Register,
        Section::Audit,
        Section::Outbox,
        Section::Accounts,
    ];

    /// Where the section starts, its catalog key, and the permission it needs.
    fn entry(self) -> Option<(&'static str, &'static str, Option<Permission>)> {
        Some(match self {
            Section::Dashboard => ("/console/dashboard", "nav.dashboard", None),
            Section::Requests => (
                "/console/requests",
                "nav.requests",
                Some(Permission::RequestsRead),
            ),
            Section::Incidents => (
                "/console/incidents",
                "nav.incidents",
                Some(Permission::IncidentsRead),
            ),
            Section::Subjects => (
                "/console/subjects",
                "nav.subjects",
                Some(Permission::SubjectsRead),
            ),
            Section::Register => (
                "/console/register",
                "nav.register",
                Some(Permission::RegisterRead),
            ),
            Section::Audit => ("/console/audit", "nav.audit", Some(Permission::AuditRead)),
            Section::Outbox => (
                "/console/outbox",
                "nav.outbox",
                Some(Permission::OutboxRead),
            ),
            Section::Accounts => (
                "/console/accounts",
                "nav.accounts",
                Some(Permission::AccountsManage),
            ),
            Section::Elsewhere => return None,
        })
    }
}

/// One link of the navigation.
#[derive(Debug, Clone)]
pub(crate) struct NavItem {
    /// Where it leads.
    pub(crate) href: &'static str,
    /// Its label in the page's language.
    pub(crate) label: &'static str,
    /// Whether the page shown is in this section (`aria-current="page"`).
    pub(crate) current: bool,
}

/// The navigation a caller with `grants` sees on a page of `current`.
pub(crate) fn navigation(grants: &Grants, current: Section, language: Language) -> Vec<NavItem> {
    Section::NAVIGATION
        .into_iter()
        .filter_map(|section| {
            let (href, key, needs) = section.entry()?;
            needs.is_none_or(|p| grants.allows(p)).then(|| NavItem {
                href,
                label: i18n::text(key, language),
                current: section == current,
            })
        })
        .collect()
}

/// Whether the message of the last action says it worked or that it did not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FlashKind {
    /// It worked.
    Done,
    /// It did not.
    Problem,
}

/// The message of the last action, shown once on the page the action redirected to
/// (post-redirect-get). It carries a catalog key only, never text from a request, so a forged
/// flash cookie cannot put words on a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Flash {
    /// Done or problem.
    pub(crate) kind: FlashKind,
    /// The catalog key of the message.
    pub(crate) key: &'static str,
}

impl Flash {
    /// "It worked": the message `key`.
    pub(crate) const fn done(key: &'static str) -> Flash {
        Flash {
            kind: FlashKind::Done,
            key,
        }
    }

    /// "It did not work": the message `key`.
    pub(crate) const fn problem(key: &'static str) -> Flash {
        Flash {
            kind: FlashKind::Problem,
            key,
        }
    }

    /// The cookie value: `d.KEY` or `p.KEY`.
    pub(crate) fn cookie_value(self) -> String {
        let kind = match self.kind {
            FlashKind::Done => 'd',
            FlashKind::Problem => 'p',
        };
        format!("{kind}.{}", self.key)
    }

    /// The flash a cookie value stands for; `None` unless its key is in the catalog.
    pub(crate) fn from_cookie_value(value: &str) -> Option<Flash> {
        let (kind, key) = value.split_once('.')?;
        let kind = match kind {
            "d" => FlashKind::Done,
            "p" => FlashKind::Problem,
            _ => return None,
        };
        let key = i18n::catalog_key(key)?;
        Some(Flash { kind, key })
    }
}

/// Who is signed in, as the header shows them.
#[derive(Debug, Clone)]
pub(crate) struct FrameUser {
    /// How the account is named (its e-mail address, shown only to the account itself).
    pub(crate) name: String,
    /// The account's role.
    pub(crate) role: StaffRole,
}

/// Everything the layout shows around a page's content.
#[derive(Debug, Clone)]
pub(crate) struct Frame {
    /// The page's language.
    pub(crate) language: Language,
    /// The page's title, in its language.
    pub(crate) title: String,
    /// The signed-in account, `None` on sign-in and error pages.
    pub(crate) user: Option<FrameUser>,
    /// The links of the main navigation the role may use.
    pub(crate) nav: Vec<NavItem>,
    /// The message of the last action.
    pub(crate) flash: Option<Flash>,
    /// The session's CSRF token for the forms of the page (the sign-out form of the header).
    pub(crate) csrf: String,
    /// The page's query string without `lang`, kept by the language switch.
    pub(crate) query: String,
}

impl Frame {
    /// The frame of a page nobody is signed in to (sign-in, errors): no navigation. `csrf` is
    /// the token the page's forms send (the sign-in token), or empty.
    pub(crate) fn anonymous(language: Language, title_key: &str, csrf: String) -> Frame {
        Frame {
            language,
            title: i18n::text(title_key, language).to_owned(),
            user: None,
            nav: Vec::new(),
            flash: None,
            csrf,
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

    /// `at` as the console shows times (Stockholm time, see [`i18n::time`]).
    pub(crate) fn time(&self, at: &Timestamp) -> String {
        i18n::time(*at)
    }

    /// The page's language as its word (`en`, `sv`), for `lang` attributes.
    pub(crate) fn lang(&self) -> &'static str {
        self.language.word()
    }

    /// A role's name in the page's language.
    pub(crate) fn role_name(&self, role: &StaffRole) -> &'static str {
        let key = match role {
            StaffRole::Admin => "role.admin",
            StaffRole::Dpo => "role.dpo",
            StaffRole::Support => "role.support",
            StaffRole::Auditor => "role.auditor",
        };
        i18n::text(key, self.language)
    }

    /// The versioned URL of the console's style sheet.
    pub(crate) fn stylesheet(&self) -> String {
        assets::url(assets::STYLESHEET)
    }

    /// The versioned URL of the console's script (progressive enhancement only).
    pub(crate) fn script(&self) -> String {
        assets::url(assets::SCRIPT)
    }

    /// Whether the flash says something worked (for its style and ARIA role).
    pub(crate) fn flash_done(&self) -> bool {
        self.flash.is_some_and(|f| f.kind == FlashKind::Done)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_role_sees_the_sections_it_may_use() {
        let labels = |role: StaffRole| {
            navigation(&role.grants(), Section::Dashboard, Language::En)
                .into_iter()
                .map(|item| item.href.trim_start_matches("/console/"))
                .collect::<Vec<_>>()
                .join(" ")
        };
        assert_eq!(
            labels(StaffRole::Admin),
            "dashboard register audit accounts"
        );
        assert_eq!(
            labels(StaffRole::Dpo),
            "dashboard requests incidents subjects register audit outbox"
        );
        assert_eq!(labels(StaffRole::Support), "dashboard requests register");
        assert_eq!(
            labels(StaffRole::Auditor),
            "dashboard requests incidents register audit outbox"
        );
    }

    #[test]
    fn the_current_section_is_marked() {
        let nav = navigation(&StaffRole::Dpo.grants(), Section::Requests, Language::Sv);
        let current: Vec<_> = nav.iter().filter(|i| i.current).map(|i| i.label).collect();
        assert_eq!(current, ["Begäranden"]);
    }

    #[test]
    fn a_flash_carries_a_catalog_key_only() {
        let flash = Flash::done("nav.accounts");
        assert_eq!(Flash::from_cookie_value(&flash.cookie_value()), Some(flash));
        assert_eq!(Flash::from_cookie_value("d.<script>"), None);
        assert_eq!(Flash::from_cookie_value("x.nav.accounts"), None);
        assert_eq!(Flash::from_cookie_value("nav.accounts"), None);
    }
}
