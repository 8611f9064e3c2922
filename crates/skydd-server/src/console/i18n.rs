//! The console's words in English and Swedish, the language a page is shown in, and the one
//! way a time is shown (Stockholm time).
//!
//! Every text of a console page is a key of [`CATALOG`], one row per key with both languages,
//! so a key cannot exist in one language only (and a test checks that every key a template
//! uses is in the table). Page modules add their rows in their own section of the table.
//!
//! The language of a console page is, in order: a `?lang=` parameter (the language switch;
//! remembered in the [`LANGUAGE_COOKIE`]), that cookie, the browser's `Accept-Language`
//! ([`crate::page::negotiate`]), English.

use std::collections::HashMap;
use std::sync::LazyLock;

use axum::http::HeaderMap;
use axum::http::header::COOKIE;
use axum::http::request::Parts;
use jiff::Timestamp;
use skydd_register::model::{Choice as _, Language};

/// The cookie that remembers the language chosen with the switch (not personal, not secret).
pub(crate) const LANGUAGE_COOKIE: &str = "skydd-lang";

/// The languages of the console.
pub(crate) const LANGUAGES: [Language; 2] = [Language::En, Language::Sv];

/// One text of the console: its key, English, Swedish. `{}` in a text is filled by
/// [`fill`].
pub(crate) type Message = (&'static str, &'static str, &'static str);

/// Every text of the console. Keys are `area.what`; each area has its own section.
pub(crate) const CATALOG: &[Message] = &[
    // --- the frame (layout, navigation, errors) ---
    ("product", "Skydd", "Skydd"),
    (
        "frame.skip",
        "Skip to main content",
        "Hoppa till huvudinnehållet",
    ),
    ("frame.console", "Privacy console", "Integritetskonsol"),
    ("frame.nav", "Main", "Huvudmeny"),
    ("frame.signed_in_as", "Signed in as", "Inloggad som"),
    ("frame.role", "Role", "Roll"),
    ("frame.your_account", "Your account", "Ditt konto"),
    ("frame.sign_out", "Sign out", "Logga ut"),
    ("frame.language", "Language", "Språk"),
    ("frame.notice", "Message", "Meddelande"),
    (
        "frame.footer",
        "Skydd: privacy operations. Times are shown in Swedish time.",
        "Skydd: dataskydd i drift. Tider visas i svensk tid.",
    ),
    ("lang.en", "English", "English"),
    ("lang.sv", "Svenska", "Svenska"),
    ("nav.dashboard", "Dashboard", "Översikt"),
    ("nav.requests", "Requests", "Begäranden"),
    ("nav.incidents", "Incidents", "Incidenter"),
    ("nav.subjects", "Subjects", "Registrerade"),
    ("nav.register", "Register", "Register"),
    ("nav.audit", "Audit", "Granskningslogg"),
    ("nav.outbox", "Outbox", "Utkorg"),
    ("nav.accounts", "Accounts", "Konton"),
    ("role.admin", "Administrator", "Administratör"),
    ("role.dpo", "Data protection officer", "Dataskyddsombud"),
    ("role.support", "Support", "Support"),
    ("role.auditor", "Auditor", "Granskare"),
    ("error.title", "Something went wrong", "Något gick fel"),
    (
        "error.back",
        "Back to the dashboard",
        "Tillbaka till översikten",
    ),
    (
        "error.400",
        "The form could not be read",
        "Formuläret kunde inte läsas",
    ),
    (
        "error.400.help",
        "Reload the page and send the form again.",
        "Ladda om sidan och skicka formuläret igen.",
    ),
    ("error.403", "Not allowed", "Inte tillåtet"),
    (
        "error.403.help",
        "Your role does not allow this page or action. Ask an administrator if you need it.",
        "Din roll tillåter inte den här sidan eller åtgärden. Fråga en administratör om du behöver den.",
    ),
    (
        "error.csrf",
        "The form has expired",
        "Formuläret har gått ut",
    ),
    (
        "error.csrf.help",
        "Nothing was changed. Go back, reload the page and try again.",
        "Inget ändrades. Gå tillbaka, ladda om sidan och försök igen.",
    ),
    ("error.404", "Page not found", "Sidan finns inte"),
    (
        "error.404.help",
        "Check the address, or start again from the dashboard.",
        "Kontrollera adressen eller börja om från översikten.",
    ),
    ("error.409", "Not possible now", "Inte möjligt nu"),
    ("error.422", "Not accepted", "Inte godtaget"),
    ("error.429", "Too many attempts", "För många försök"),
    (
        "error.429.help",
        "Wait a moment and try again. Try again after: {} seconds.",
        "Vänta en stund och försök igen. Försök igen om: {} sekunder.",
    ),
    (
        "error.500",
        "The server could not complete this",
        "Servern kunde inte slutföra detta",
    ),
    (
        "error.500.help",
        "The error has been logged. Try again later.",
        "Felet har loggats. Försök igen senare.",
    ),
    (
        "error.503",
        "Busy, nothing was changed",
        "Upptagen, inget ändrades",
    ),
    (
        "error.503.help",
        "The database is busy. Try again in a moment.",
        "Databasen är upptagen. Försök igen om en stund.",
    ),
    // --- the dashboard placeholder (pages-requests replaces it) ---
    ("home.title", "Dashboard", "Översikt"),
    (
        "home.welcome",
        "Welcome. Choose a page in the menu.",
        "Välkommen. Välj en sida i menyn.",
    ),
    // --- sign-in, enrolment, recovery codes, sign-out (shell) ---
    // --- your account (shell) ---
    // --- accounts administration (shell) ---
    // --- requests and dashboard (pages-requests) ---
    // --- incidents and subjects (pages-cases) ---
    // --- register, audit, outbox (pages-records) ---
    // --- single sign-on (oidc) ---
];

/// The catalog by key.
static BY_KEY: LazyLock<HashMap<&'static str, (&'static str, &'static str)>> =
    LazyLock::new(|| {
        CATALOG
            .iter()
            .map(|(key, en, sv)| (*key, (*en, *sv)))
            .collect()
    });

/// The text of `key` in `language`. A key missing from the catalog is shown as itself (the
/// test `every_key_a_template_uses_is_in_the_catalog` keeps that from shipping).
pub(crate) fn text(key: &str, language: Language) -> &str {
    match BY_KEY.get(key) {
        Some((en, sv)) => match language {
            Language::En => en,
            Language::Sv => sv,
        },
        None => key,
    }
}

/// Whether `key` is in the catalog (flash messages carry only known keys).
pub(crate) fn known(key: &str) -> bool {
    BY_KEY.contains_key(key)
}

/// The text of `key` in `language` with its `{}` replaced by `value`.
pub(crate) fn fill(key: &str, language: Language, value: &str) -> String {
    text(key, language).replacen("{}", value, 1)
}

/// How the console shows an instant: its date and time in Stockholm,
/// `2026-03-01 10:00` (the footer says the times are Swedish time).
pub(crate) fn time(at: Timestamp) -> String {
    at.to_zoned(skydd_register::zone::stockholm())
        .strftime("%Y-%m-%d %H:%M")
        .to_string()
}

/// The language of a console request: `?lang=`, then the [`LANGUAGE_COOKIE`], then
/// `Accept-Language`, then English.
pub(crate) fn language_of(parts: &Parts) -> Language {
    let asked = asked_language(parts.uri.query());
    let remembered = cookie(&parts.headers, LANGUAGE_COOKIE).and_then(|word| parse_language(&word));
    crate::page::negotiate(asked.or(remembered), &parts.headers, &LANGUAGES)
}

/// The language a `?lang=` parameter asks for, if it names one of the console's.
pub(crate) fn asked_language(query: Option<&str>) -> Option<Language> {
    query?.split('&').find_map(|pair| {
        let (name, value) = pair.split_once('=')?;
        (name == "lang").then(|| parse_language(value)).flatten()
    })
}

fn parse_language(word: &str) -> Option<Language> {
    LANGUAGES
        .into_iter()
        .find(|language| language.word() == word)
}

/// The value of cookie `name` in the request's `Cookie` headers.
pub(crate) fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .find_map(|pair| {
            let (key, value) = pair.trim().split_once('=')?;
            (key == name).then(|| value.trim().to_owned())
        })
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use axum::http::Request;

    use super::*;

    #[test]
    fn every_key_has_both_languages_once() {
        let mut seen = HashSet::new();
        for (key, en, sv) in CATALOG {
            assert!(seen.insert(*key), "{key} is in the catalog twice");
            assert!(!en.trim().is_empty(), "{key} has no English");
            assert!(!sv.trim().is_empty(), "{key} has no Swedish");
            assert_eq!(
                en.matches("{}").count(),
                sv.matches("{}").count(),
                "{key}: both languages take the same value"
            );
        }
    }

    /// Every `t("key")` and `fill("key", ...)` in the console's templates and code names a key
    /// of the catalog.
    #[test]
    fn every_key_a_template_uses_is_in_the_catalog() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut sources = Vec::new();
        for dir in ["templates/console", "src/console"] {
            for entry in std::fs::read_dir(root.join(dir)).unwrap() {
                let path = entry.unwrap().path();
                if path.is_file() && path.file_name().is_some_and(|n| n != "i18n.rs") {
                    sources.push((path.clone(), std::fs::read_to_string(&path).unwrap()));
                }
            }
        }
        assert!(sources.len() > 3, "the templates were found");
        let mut checked = 0;
        for (path, source) in &sources {
            let calls: &[&str] = if path.extension().is_some_and(|e| e == "rs") {
                &["i18n::text(\"", "Flash::done(\"", "Flash::problem(\""]
            } else {
                &[".t(\"", ".fill(\""]
            };
            for call in calls {
                for (index, _) in source.match_indices(call) {
                    let rest = &source[index + call.len()..];
                    let key = &rest[..rest.find('"').unwrap()];
                    assert!(
                        known(key),
                        "{}: `{key}` is not in the catalog",
                        path.display()
                    );
                    checked += 1;
                }
            }
        }
        assert!(checked > 10, "keys were found ({checked})");
    }

    #[test]
    fn texts_are_looked_up_and_filled() {
        assert_eq!(text("nav.requests", Language::Sv), "Begäranden");
        assert_eq!(text("nav.requests", Language::En), "Requests");
        assert_eq!(text("no.such.key", Language::Sv), "no.such.key");
        assert!(fill("error.429.help", Language::En, "60").contains("60 seconds"));
    }

    #[test]
    fn times_are_shown_in_stockholm_time() {
        // Winter (UTC+1), summer (UTC+2), and the hour the clocks go forward.
        assert_eq!(
            time("2026-03-01T09:00:00Z".parse().unwrap()),
            "2026-03-01 10:00"
        );
        assert_eq!(
            time("2026-07-01T09:00:00Z".parse().unwrap()),
            "2026-07-01 11:00"
        );
        assert_eq!(
            time("2026-03-29T01:00:00Z".parse().unwrap()),
            "2026-03-29 03:00"
        );
        assert_eq!(
            time("2026-12-31T23:30:00Z".parse().unwrap()),
            "2027-01-01 00:30"
        );
    }

    fn parts(uri: &str, cookie: Option<&str>, accept: Option<&str>) -> Parts {
        let mut request = Request::builder().uri(uri);
        if let Some(cookie) = cookie {
            request = request.header(COOKIE, cookie);
        }
        if let Some(accept) = accept {
            request = request.header("accept-language", accept);
        }
        request.body(()).unwrap().into_parts().0
    }

    #[test]
    fn the_switch_wins_over_the_cookie_which_wins_over_the_browser() {
        use Language::{En, Sv};
        let cases = [
            ("/console?lang=sv", Some("skydd-lang=en"), Some("en"), Sv),
            (
                "/console?x=1&lang=en",
                Some("skydd-lang=sv"),
                Some("sv"),
                En,
            ),
            ("/console", Some("a=b; skydd-lang=sv"), Some("en"), Sv),
            ("/console", None, Some("sv-SE,sv;q=0.9"), Sv),
            ("/console?lang=de", Some("skydd-lang=xx"), None, En),
            ("/console", None, None, En),
        ];
        for (uri, cookie, accept, expected) in cases {
            assert_eq!(language_of(&parts(uri, cookie, accept)), expected, "{uri}");
        }
    }
}
