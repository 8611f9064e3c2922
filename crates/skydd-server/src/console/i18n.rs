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
    ("signin.title", "Sign in", "Logga in"),
    ("signin.email", "E-mail address", "E-postadress"),
    ("signin.password", "Password", "Lösenord"),
    ("signin.submit", "Continue", "Fortsätt"),
    (
        "signin.help",
        "No account yet? An administrator creates one on the Accounts page or with the command skydd user create.",
        "Inget konto än? En administratör skapar ett på sidan Konton eller med kommandot skydd user create.",
    ),
    (
        "signin.problem",
        "You are not signed in",
        "Du är inte inloggad",
    ),
    (
        "signin.refused",
        "The e-mail address or the password is not right. Check both and try again.",
        "E-postadressen eller lösenordet stämmer inte. Kontrollera båda och försök igen.",
    ),
    (
        "signin.locked",
        "Too many failed attempts: the account is locked for now. Try again after {} (Swedish time).",
        "För många misslyckade försök: kontot är spärrat en stund. Försök igen efter {} (svensk tid).",
    ),
    (
        "signin.expired",
        "This sign-in has ended or expired. Sign in again with your password.",
        "Inloggningen har avslutats eller gått ut. Logga in igen med ditt lösenord.",
    ),
    ("signin.done", "You are signed in.", "Du är inloggad."),
    ("code.title", "Enter your code", "Ange din kod"),
    (
        "code.label",
        "Code from your authenticator app, or a recovery code",
        "Kod från din autentiseringsapp, eller en återställningskod",
    ),
    (
        "code.hint",
        "Six digits, or one of your recovery codes (each works once).",
        "Sex siffror, eller en av dina återställningskoder (var och en fungerar en gång).",
    ),
    ("code.submit", "Sign in", "Logga in"),
    ("code.restart", "Start again", "Börja om"),
    (
        "code.refused",
        "The code was not accepted. Enter the current code of your authenticator app, or an unused recovery code.",
        "Koden godtogs inte. Ange den aktuella koden i din autentiseringsapp, eller en oanvänd återställningskod.",
    ),
    (
        "enrol.title",
        "Set up your second factor",
        "Ställ in din andra faktor",
    ),
    (
        "enrol.intro",
        "Your account needs a second factor: a six-digit code from an authenticator app on your phone (TOTP).",
        "Ditt konto behöver en andra faktor: en sexsiffrig kod från en autentiseringsapp i din telefon (TOTP).",
    ),
    (
        "enrol.step1",
        "1. Add Skydd to your authenticator app",
        "1. Lägg till Skydd i din autentiseringsapp",
    ),
    (
        "enrol.qr",
        "QR code of the key for your authenticator app",
        "QR-kod med nyckeln för din autentiseringsapp",
    ),
    (
        "enrol.secret",
        "Scan the QR code, or type this key into the app:",
        "Skanna QR-koden eller skriv in den här nyckeln i appen:",
    ),
    (
        "enrol.link",
        "Open in an authenticator app on this device",
        "Öppna i en autentiseringsapp på den här enheten",
    ),
    (
        "enrol.step2",
        "2. Enter the code the app shows",
        "2. Ange koden som appen visar",
    ),
    ("enrol.code", "Six-digit code", "Sexsiffrig kod"),
    ("enrol.submit", "Confirm", "Bekräfta"),
    (
        "enrol.refused",
        "The code was not accepted. The key below is a new one: add it to your app again and enter the code it shows.",
        "Koden godtogs inte. Nyckeln nedan är ny: lägg till den i appen igen och ange koden som visas.",
    ),
    (
        "recovery.title",
        "Your recovery codes",
        "Dina återställningskoder",
    ),
    (
        "recovery.intro",
        "If you lose your phone, each of these codes signs you in once instead of the app's code. Keep them somewhere safe, apart from your phone.",
        "Om du tappar bort telefonen loggar var och en av de här koderna in dig en gång i stället för appens kod. Förvara dem säkert, inte tillsammans med telefonen.",
    ),
    (
        "recovery.once",
        "They are shown only now. Print or save them before you continue.",
        "De visas bara nu. Skriv ut eller spara dem innan du fortsätter.",
    ),
    (
        "recovery.continue",
        "I have saved them, continue",
        "Jag har sparat dem, fortsätt",
    ),
    ("signout.done", "You are signed out.", "Du är utloggad."),
    (
        "signout.everywhere_done",
        "You are signed out on every device.",
        "Du är utloggad på alla enheter.",
    ),
    // --- your account (shell) ---
    ("account.title", "Your account", "Ditt konto"),
    (
        "account.sessions",
        "Your open sessions",
        "Dina öppna sessioner",
    ),
    ("account.started", "Signed in", "Inloggad"),
    ("account.last_seen", "Last active", "Senast aktiv"),
    ("account.ip", "IP address", "IP-adress"),
    ("account.this", "This session", "Den här sessionen"),
    ("account.this_one", "This one", "Den här"),
    (
        "account.sign_out_everywhere",
        "Sign out everywhere (every session above, this one too)",
        "Logga ut överallt (alla sessioner ovan, även den här)",
    ),
    ("account.password", "Change your password", "Byt lösenord"),
    ("account.new_password", "New password", "Nytt lösenord"),
    (
        "account.password_hint",
        "At least 12 characters; a few unrelated words make a strong one. Your other sessions are signed out.",
        "Minst 12 tecken; några orelaterade ord ger ett starkt lösenord. Dina andra sessioner loggas ut.",
    ),
    (
        "account.repeat_password",
        "Repeat the new password",
        "Upprepa det nya lösenordet",
    ),
    ("account.change_password", "Change password", "Byt lösenord"),
    (
        "account.password_mismatch",
        "The two passwords are not the same. Type the new password twice.",
        "Lösenorden är inte likadana. Skriv det nya lösenordet två gånger.",
    ),
    (
        "account.password_changed",
        "Your password is changed. Your other sessions are signed out.",
        "Ditt lösenord är bytt. Dina andra sessioner är utloggade.",
    ),
    // --- accounts administration (shell) ---
    ("accounts.title", "Accounts", "Konton"),
    ("accounts.caption", "Staff accounts", "Personalkonton"),
    ("accounts.new", "Create an account", "Skapa ett konto"),
    ("accounts.email", "E-mail address", "E-postadress"),
    ("accounts.role", "Role", "Roll"),
    ("accounts.state", "State", "Status"),
    ("accounts.totp", "Second factor", "Andra faktor"),
    (
        "accounts.totp_yes",
        "Set up ({} recovery codes left)",
        "Inställd ({} återställningskoder kvar)",
    ),
    (
        "accounts.totp_no",
        "Not set up (at next sign-in)",
        "Inte inställd (vid nästa inloggning)",
    ),
    (
        "accounts.last_sign_in",
        "Last sign-in",
        "Senaste inloggning",
    ),
    ("accounts.never", "Never", "Aldrig"),
    ("accounts.actions", "Actions", "Åtgärder"),
    ("accounts.active", "Active", "Aktivt"),
    ("accounts.disabled", "Disabled", "Avstängt"),
    ("accounts.disable", "Disable", "Stäng av"),
    ("accounts.disable_label", "Disable {}", "Stäng av {}"),
    (
        "accounts.disable_confirm",
        "Disable this account? Its sessions end at once.",
        "Stänga av kontot? Dess sessioner avslutas direkt.",
    ),
    ("accounts.enable", "Enable", "Aktivera"),
    ("accounts.enable_label", "Enable {}", "Aktivera {}"),
    (
        "accounts.reset",
        "Reset second factor",
        "Återställ andra faktorn",
    ),
    (
        "accounts.reset_label",
        "Reset the second factor of {}",
        "Återställ andra faktorn för {}",
    ),
    (
        "accounts.reset_confirm",
        "Reset the second factor? The account's sessions end and it sets up a new one at its next sign-in.",
        "Återställa andra faktorn? Kontots sessioner avslutas och ett nytt ställs in vid nästa inloggning.",
    ),
    ("accounts.yourself", "Your own account", "Ditt eget konto"),
    (
        "accounts.disabled_done",
        "The account is disabled and its sessions ended.",
        "Kontot är avstängt och dess sessioner avslutade.",
    ),
    (
        "accounts.enabled_done",
        "The account is enabled.",
        "Kontot är aktiverat.",
    ),
    (
        "accounts.reset_done",
        "The second factor is reset; the account sets up a new one at its next sign-in.",
        "Andra faktorn är återställd; kontot ställer in en ny vid nästa inloggning.",
    ),
    (
        "accounts.created_done",
        "The account is created.",
        "Kontot är skapat.",
    ),
    (
        "accounts.not_yourself",
        "You cannot disable your own account. Ask another administrator.",
        "Du kan inte stänga av ditt eget konto. Be en annan administratör.",
    ),
    ("accounts.new_title", "Create an account", "Skapa ett konto"),
    (
        "accounts.role_hint",
        "Administrator: accounts and tokens, no personal data. Data protection officer: the privacy work. Support: requests assigned to them. Auditor: reads the register, audit trail and metadata.",
        "Administratör: konton och token, inga personuppgifter. Dataskyddsombud: dataskyddsarbetet. Support: begäranden som tilldelats dem. Granskare: läser registret, granskningsloggen och metadata.",
    ),
    (
        "accounts.initial_password",
        "First password (optional)",
        "Första lösenord (valfritt)",
    ),
    (
        "accounts.initial_password_hint",
        "Leave empty to have a strong one made and shown once. Give it to the person by a safe channel.",
        "Lämna tomt för att få ett starkt lösenord skapat och visat en gång. Ge det till personen på ett säkert sätt.",
    ),
    ("accounts.create", "Create account", "Skapa konto"),
    (
        "accounts.not_created",
        "The account was not created",
        "Kontot skapades inte",
    ),
    (
        "accounts.created_title",
        "Account created",
        "Kontot är skapat",
    ),
    (
        "accounts.created_intro",
        "The account is created. Its first password is:",
        "Kontot är skapat. Dess första lösenord är:",
    ),
    (
        "accounts.created_once",
        "It is shown only now. Give it to the person by a safe channel; they set up their second factor at the first sign-in.",
        "Det visas bara nu. Ge det till personen på ett säkert sätt; de ställer in sin andra faktor vid första inloggningen.",
    ),
    (
        "accounts.back",
        "Back to the accounts",
        "Tillbaka till kontona",
    ),
    (
        "accounts.bad_email",
        "This is not an e-mail address. Write it as name@example.se.",
        "Det här är ingen e-postadress. Skriv den som namn@example.se.",
    ),
    (
        "accounts.duplicate",
        "An account with this e-mail address exists already. Enable it in the list instead.",
        "Det finns redan ett konto med den här e-postadressen. Aktivera det i listan i stället.",
    ),
    // --- requests and dashboard (pages-requests) ---
    // --- incidents and subjects (pages-cases) ---
    // --- register, audit, outbox (pages-records) ---
    // --- single sign-on (oidc) ---
    ("sso.sign_in_with", "Sign in with {}", "Logga in med {}"),
    ("sso.title", "Single sign-on", "Enkel inloggning"),
    ("sso.done", "You are signed in.", "Du är inloggad."),
    (
        "sso.continue",
        "Continue to the console",
        "Fortsätt till konsolen",
    ),
    ("sso.failed", "Sign-in refused", "Inloggningen nekades"),
    (
        "sso.help.unknown_state",
        "This sign-in has expired, was used already, or was started in another browser. Start again from the sign-in page.",
        "Inloggningen har gått ut, har redan använts eller påbörjades i en annan webbläsare. Börja om från inloggningssidan.",
    ),
    (
        "sso.help.provider_unreachable",
        "The identity provider could not be reached. Try again in a minute; if it goes on, tell an administrator.",
        "Identitetsleverantören gick inte att nå. Försök igen om en minut; om felet kvarstår, kontakta en administratör.",
    ),
    (
        "sso.help.provider_misconfigured",
        "Single sign-on is not set up correctly. Tell an administrator: the server log says what is wrong.",
        "Enkel inloggning är inte rätt inställd. Kontakta en administratör: serverloggen säger vad som är fel.",
    ),
    (
        "sso.help.provider_refused",
        "The identity provider did not sign you in. Start again from the sign-in page.",
        "Identitetsleverantören loggade inte in dig. Börja om från inloggningssidan.",
    ),
    (
        "sso.help.token_refused",
        "The identity provider's answer could not be accepted. Start again from the sign-in page; if it happens again, tell an administrator.",
        "Identitetsleverantörens svar kunde inte godtas. Börja om från inloggningssidan; om det händer igen, kontakta en administratör.",
    ),
    (
        "sso.help.no_verified_email",
        "The identity provider sent no verified e-mail address for you. Ask an administrator to check the provider's settings.",
        "Identitetsleverantören skickade ingen verifierad e-postadress för dig. Be en administratör kontrollera leverantörens inställningar.",
    ),
    (
        "sso.help.no_role",
        "Your account at the identity provider gives no role in Skydd: no value of its claim “{}” is mapped to a role. Ask an administrator for access.",
        "Ditt konto hos identitetsleverantören ger ingen roll i Skydd: inget värde i dess anspråk ”{}” är kopplat till en roll. Be en administratör om åtkomst.",
    ),
    (
        "sso.help.disabled",
        "Your Skydd account is disabled. Ask an administrator.",
        "Ditt Skydd-konto är avstängt. Kontakta en administratör.",
    ),
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

/// Whether `key` is in the catalog.
#[cfg(test)]
fn known(key: &str) -> bool {
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

/// The query string of a page without its `lang` parameter, for the language switch's links.
pub(crate) fn query_without_language(query: Option<&str>) -> String {
    query
        .unwrap_or_default()
        .split('&')
        .filter(|pair| !pair.is_empty() && pair.split('=').next() != Some("lang"))
        .collect::<Vec<_>>()
        .join("&")
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
    fn the_switch_keeps_the_rest_of_the_query() {
        assert_eq!(
            query_without_language(Some("next=%2Fconsole&lang=sv")),
            "next=%2Fconsole"
        );
        assert_eq!(query_without_language(Some("lang=en")), "");
        assert_eq!(query_without_language(None), "");
        assert_eq!(
            query_without_language(Some("a=1&&language=x")),
            "a=1&language=x"
        );
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
