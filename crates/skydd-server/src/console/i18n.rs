//! The console's words in English and Swedish, the language a page is shown in, and the one
//! way a time is shown (Stockholm time).
//!
//! Every text of a console page is a key of [`CATALOG`], one row per key with both languages,
//! so a key cannot exist in one language only (and a test checks that every key a template
//! uses is in the table). Page modules add their rows in their own section of the table. The
//! privacy centre's pages (issue 18) keep their `centre.*` rows in `crate::centre::words`,
//! looked up here with the console's ([`messages`]).
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
    ("error.408", "Too slow", "För långsamt"),
    (
        "error.408.help",
        "The form did not arrive in time. Nothing was changed. Go back and send it again.",
        "Formuläret kom inte fram i tid. Inget ändrades. Gå tillbaka och skicka det igen.",
    ),
    ("error.413", "Too large", "För stort"),
    (
        "error.413.help",
        "The form is larger than the server reads. Nothing was changed. Go back and send less.",
        "Formuläret är större än servern tar emot. Inget ändrades. Gå tillbaka och skicka mindre.",
    ),
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
    (
        "account.current_password",
        "Your current password",
        "Ditt nuvarande lösenord",
    ),
    (
        "account.current_refused",
        "The current password was not accepted. Type the password you sign in with.",
        "Det nuvarande lösenordet godtogs inte. Skriv lösenordet du loggar in med.",
    ),
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
    (
        "accounts.training",
        "Privacy training",
        "Dataskyddsutbildning",
    ),
    ("accounts.training_on", "Completed on", "Genomförd"),
    ("accounts.training_course", "Course", "Kurs"),
    (
        "accounts.training_record",
        "Record training",
        "Registrera utbildning",
    ),
    (
        "accounts.training_label",
        "Record privacy training for {}",
        "Registrera dataskyddsutbildning för {}",
    ),
    (
        "accounts.training_done",
        "The training is recorded.",
        "Utbildningen är registrerad.",
    ),
    (
        "accounts.training_refused",
        "The training was not recorded: give the day it was completed (not after today) and the course's name.",
        "Utbildningen registrerades inte: ange dagen den genomfördes (inte senare än i dag) och kursens namn.",
    ),
    (
        "accounts.training_none",
        "None recorded",
        "Ingen registrerad",
    ),
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
        "Reset second factor of {}",
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
        "accounts.created_untrained",
        "The account is created. Its role reads personal data and no privacy training is recorded for this person: record it below, or with skydd user training.",
        "Kontot är skapat. Rollen läser personuppgifter och ingen dataskyddsutbildning är registrerad för personen: registrera den nedan, eller med skydd user training.",
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
    ("dashboard.title", "Dashboard", "Översikt"),
    (
        "dashboard.nothing",
        "Nothing on this page concerns your role. Choose a page in the menu.",
        "Inget på den här sidan gäller din roll. Välj en sida i menyn.",
    ),
    ("dashboard.requests", "Requests", "Begäranden"),
    ("dashboard.requests.open", "Open: {}", "Öppna: {}"),
    ("dashboard.requests.overdue", "Overdue: {}", "Försenade: {}"),
    (
        "dashboard.requests.this_week",
        "Due this week: {}",
        "Förfaller denna vecka: {}",
    ),
    (
        "dashboard.requests.next",
        "The next requests by due date",
        "Nästa begäranden efter förfallodag",
    ),
    ("dashboard.requests.all", "All requests", "Alla begäranden"),
    ("dashboard.incidents", "Open incidents", "Öppna incidenter"),
    (
        "dashboard.security",
        "Security reviews",
        "Granskningar av säkerhetsåtgärderna",
    ),
    (
        "dashboard.security.every",
        "The register promises a review of the security measures at least once every {}.",
        "Registret lovar att säkerhetsåtgärderna granskas minst en gång per {}.",
    ),
    (
        "dashboard.security.last",
        "Latest review: {}.",
        "Senaste granskningen: {}.",
    ),
    (
        "dashboard.security.due",
        "The next is due by {}.",
        "Nästa ska vara gjord senast {}.",
    ),
    (
        "dashboard.security.none",
        "No review has been recorded yet.",
        "Ingen granskning är registrerad ännu.",
    ),
    (
        "dashboard.security.record",
        "Record a review",
        "Registrera en granskning",
    ),
    (
        "dashboard.security.reviewed_on",
        "Day of the review",
        "Dag för granskningen",
    ),
    (
        "dashboard.security.summary",
        "What it found and decided",
        "Vad den kom fram till och beslutade",
    ),
    ("dashboard.security.submit", "Record", "Registrera"),
    (
        "dashboard.security.recorded",
        "The review is recorded.",
        "Granskningen är registrerad.",
    ),
    (
        "dashboard.security.refused",
        "The review was not recorded: give the day it was held (not after today) and what it found (at most 4,000 characters).",
        "Granskningen registrerades inte: ange dagen den gjordes (inte senare än i dag) och vad den kom fram till (högst 4 000 tecken).",
    ),
    (
        "dashboard.security.overdue",
        "Overdue: no review within the cycle",
        "Försenad: ingen granskning inom perioden",
    ),
    (
        "dashboard.incidents.caption",
        "Open incidents and the 72-hour clock to notify IMY (Art. 33)",
        "Öppna incidenter och 72-timmarsfristen för anmälan till IMY (art. 33)",
    ),
    (
        "dashboard.incidents.none",
        "No open incidents.",
        "Inga öppna incidenter.",
    ),
    ("dashboard.incident", "Incident", "Incident"),
    ("dashboard.incident.aware", "Became aware", "Upptäckt"),
    ("dashboard.incident.due", "Notify by", "Anmäl senast"),
    (
        "dashboard.incident.clock",
        "72-hour clock",
        "72-timmarsfrist",
    ),
    ("dashboard.incident.left", "{} left", "{} kvar"),
    (
        "dashboard.incident.overdue_by",
        "Overdue by {}",
        "Försenad med {}",
    ),
    (
        "dashboard.incident.settled",
        "Notified or documented as not required",
        "Anmäld eller dokumenterad som ej anmälningspliktig",
    ),
    ("dashboard.retention", "Retention", "Gallring"),
    (
        "dashboard.retention.last",
        "The last sweep this server ran started {}.",
        "Den senaste gallringen som den här servern körde startade {}.",
    ),
    (
        "dashboard.retention.finished",
        "It finished.",
        "Den slutfördes.",
    ),
    (
        "dashboard.retention.failed",
        "It failed: what its earlier batches did is committed; run it again.",
        "Den misslyckades: det som tidigare omgångar gjorde är sparat; kör den igen.",
    ),
    (
        "dashboard.retention.proof",
        "Its proof in the audit trail: {} entries.",
        "Dess bevis i granskningsloggen: {} poster.",
    ),
    (
        "dashboard.retention.proof_last",
        "The last is entry {}.",
        "Den sista är post {}.",
    ),
    (
        "dashboard.retention.covered",
        "A signed checkpoint covers it.",
        "En signerad kontrollpunkt täcker det.",
    ),
    (
        "dashboard.retention.not_covered",
        "No signed checkpoint covers it yet.",
        "Ingen signerad kontrollpunkt täcker det ännu.",
    ),
    (
        "dashboard.retention.none",
        "No sweep has run since this server started; earlier sweeps' proof is in the audit trail.",
        "Ingen gallring har körts sedan servern startade; tidigare gallringars bevis finns i granskningsloggen.",
    ),
    ("dashboard.audit", "Audit chain", "Granskningskedjan"),
    (
        "dashboard.audit.head",
        "The newest entry is number {}.",
        "Den senaste posten är nummer {}.",
    ),
    (
        "dashboard.audit.checkpoint",
        "The newest checkpoint signs entry {}, made",
        "Den senaste kontrollpunkten signerar post {}, gjord",
    ),
    (
        "dashboard.audit.valid",
        "Signature verified",
        "Signaturen stämmer",
    ),
    (
        "dashboard.audit.invalid",
        "Signature does not verify: run skydd audit verify",
        "Signaturen stämmer inte: kör skydd audit verify",
    ),
    (
        "dashboard.audit.no_checkpoint",
        "No checkpoint has been written yet.",
        "Ingen kontrollpunkt har skrivits ännu.",
    ),
    ("requests.title", "Requests", "Begäranden"),
    (
        "requests.caption",
        "Requests by due date ({} found)",
        "Begäranden efter förfallodag ({} hittade)",
    ),
    (
        "requests.none",
        "No requests match.",
        "Inga begäranden matchar.",
    ),
    ("requests.col.request", "Request", "Begäran"),
    ("requests.col.state", "State", "Status"),
    ("requests.col.received", "Received", "Mottagen"),
    (
        "requests.col.due",
        "Due (Swedish time)",
        "Förfaller (svensk tid)",
    ),
    ("requests.col.assignee", "Assigned to", "Tilldelad"),
    (
        "requests.extended_by",
        "(extended by {} months, Art. 12(3))",
        "(förlängd med {} månader, art. 12.3)",
    ),
    ("requests.urgency.overdue", "Overdue", "Försenad"),
    (
        "requests.urgency.this_week",
        "Due this week",
        "Förfaller denna vecka",
    ),
    ("requests.urgency.later", "Later", "Senare"),
    ("requests.assignee.nobody", "Nobody", "Ingen"),
    ("requests.assignee.you", "You", "Du"),
    ("requests.filter.legend", "Filter", "Filtrera"),
    ("requests.filter.state", "State", "Status"),
    ("requests.filter.type", "Type", "Typ"),
    ("requests.filter.assignee", "Assigned to", "Tilldelad"),
    ("requests.filter.open", "Open", "Öppna"),
    ("requests.filter.all", "All", "Alla"),
    ("requests.filter.any_type", "Any type", "Alla typer"),
    (
        "requests.filter.anyone",
        "Anyone or nobody",
        "Vem som helst eller ingen",
    ),
    ("requests.filter.me", "Me", "Mig"),
    ("requests.filter.nobody", "Nobody", "Ingen"),
    ("requests.filter.apply", "Show", "Visa"),
    ("requests.paging", "Pages", "Sidor"),
    ("requests.page_of", "Page {} of", "Sida {} av"),
    ("requests.previous", "Previous page", "Föregående sida"),
    ("requests.next", "Next page", "Nästa sida"),
    ("requests.type.access", "Access", "Tillgång"),
    (
        "requests.type.portability",
        "Portability",
        "Dataportabilitet",
    ),
    ("requests.type.rectification", "Rectification", "Rättelse"),
    ("requests.type.erasure", "Erasure", "Radering"),
    ("requests.type.restriction", "Restriction", "Begränsning"),
    ("requests.type.objection", "Objection", "Invändning"),
    (
        "requests.type.withdraw_consent",
        "Consent withdrawal",
        "Återkallat samtycke",
    ),
    (
        "requests.type.marketing_opt_out",
        "Marketing opt-out",
        "Avregistrering från marknadsföring",
    ),
    (
        "requests.type.safeguard_copy",
        "Copy of transfer safeguards",
        "Kopia av skyddsåtgärder vid överföring",
    ),
    ("requests.type.complaint", "Complaint", "Klagomål"),
    ("requests.state.received", "Received", "Mottagen"),
    (
        "requests.state.verifying",
        "Verifying identity",
        "Identitet kontrolleras",
    ),
    (
        "requests.state.verified",
        "Identity verified",
        "Identitet kontrollerad",
    ),
    ("requests.state.in_progress", "In progress", "Pågår"),
    ("requests.state.completed", "Completed", "Slutförd"),
    ("requests.state.rejected", "Rejected", "Avslagen"),
    (
        "requests.verification.not_needed",
        "This type of request needs no identity check.",
        "Den här typen av begäran kräver ingen identitetskontroll.",
    ),
    (
        "requests.verification.done",
        "The identity has been verified.",
        "Identiteten är kontrollerad.",
    ),
    (
        "requests.verification.pending",
        "The identity is not verified yet: the subject has been asked for the one-time code, if the identity is known.",
        "Identiteten är inte kontrollerad ännu: den registrerade har fått en engångskod, om identiteten är känd.",
    ),
    (
        "requests.verification.staff",
        "The identity is not verified yet. The register verifies it by a method staff confirm (a signed written request, for one): no code was sent.",
        "Identiteten är inte kontrollerad ännu. Registret kontrollerar den på ett sätt som personalen bekräftar (till exempel en undertecknad skriftlig begäran): ingen kod skickades.",
    ),
    (
        "request.identity.confirm",
        "Confirm the identity",
        "Bekräfta identiteten",
    ),
    (
        "request.identity.summary",
        "Once you hold what the register asks for, record how the identity was verified. The request moves to verified; the history and the audit trail name the method.",
        "När du har det som registret kräver, ange hur identiteten kontrollerades. Begäran blir kontrollerad; historiken och granskningsloggen anger sättet.",
    ),
    (
        "request.identity.method",
        "Verified by",
        "Kontrollerad genom",
    ),
    (
        "request.identity.method.signed_request",
        "A signed written request",
        "En undertecknad skriftlig begäran",
    ),
    (
        "request.identity.method.id_document",
        "An identity document",
        "En identitetshandling",
    ),
    (
        "request.identity.method.customer_confirmation",
        "The customer's confirmation",
        "Kundens bekräftelse",
    ),
    (
        "request.identity.method.account_login",
        "A sign-in to the person's account",
        "En inloggning på personens konto",
    ),
    (
        "request.identity.confirm_box",
        "I hold this and it identifies the requester",
        "Jag har underlaget, och det visar vem som gjort begäran",
    ),
    ("request.identity.submit", "Confirm", "Bekräfta"),
    (
        "request.identity_confirmed",
        "The identity is confirmed; the request is verified.",
        "Identiteten är bekräftad; begäran är kontrollerad.",
    ),
    (
        "requests.verification.ended",
        "The request was rejected before the identity was verified.",
        "Begäran avslogs innan identiteten kontrollerades.",
    ),
    (
        "requests.subject.unknown",
        "No subject matches the identity",
        "Ingen registrerad matchar identiteten",
    ),
    ("requests.kind.email", "E-mail address", "E-postadress"),
    ("requests.kind.phone", "Phone number", "Telefonnummer"),
    (
        "requests.kind.personnummer",
        "Personal identity number",
        "Personnummer",
    ),
    (
        "requests.kind.customer_number",
        "Customer number",
        "Kundnummer",
    ),
    (
        "requests.new.link",
        "Take in a request",
        "Registrera en begäran",
    ),
    (
        "requests.new.title",
        "Take in a request",
        "Registrera en begäran",
    ),
    (
        "requests.new.intro",
        "A request the subject made by letter, e-mail or phone. The deadline counts from when it was received.",
        "En begäran som den registrerade gjort per brev, e-post eller telefon. Fristen räknas från när den togs emot.",
    ),
    (
        "requests.new.identity",
        "Who the request is about",
        "Vem begäran gäller",
    ),
    ("requests.new.value", "Identity", "Identitet"),
    (
        "requests.new.received_at",
        "Received at (Swedish time)",
        "Mottagen (svensk tid)",
    ),
    (
        "requests.new.received_hint",
        "Leave empty if it arrived now.",
        "Lämna tomt om den kom nu.",
    ),
    (
        "requests.new.purpose_hint",
        "Only for an objection or a consent withdrawal.",
        "Endast för invändning eller återkallat samtycke.",
    ),
    ("requests.new.no_purpose", "No purpose", "Inget ändamål"),
    (
        "requests.new.submit",
        "Register the request",
        "Registrera begäran",
    ),
    (
        "requests.new.done",
        "The request is registered.",
        "Begäran är registrerad.",
    ),
    ("request.title", "Request", "Begäran"),
    (
        "request.back",
        "Back to the requests",
        "Tillbaka till begärandena",
    ),
    (
        "request.back_to_request",
        "Back to the request",
        "Tillbaka till begäran",
    ),
    ("request.state", "State", "Status"),
    ("request.channel", "Arrived by", "Kom in via"),
    (
        "request.received",
        "Received (Swedish time)",
        "Mottagen (svensk tid)",
    ),
    (
        "request.due",
        "Due (Swedish time)",
        "Förfaller (svensk tid)",
    ),
    (
        "request.extension",
        "Extended by {} months (Art. 12(3)).",
        "Förlängd med {} månader (art. 12.3).",
    ),
    (
        "request.unrolled",
        "The period ends on {} before rolling to a working day.",
        "Fristen slutar {} innan den flyttas till en arbetsdag.",
    ),
    ("request.assignee", "Assigned to", "Tilldelad"),
    ("request.assign_me", "Assign to me", "Tilldela mig"),
    ("request.unassign", "Unassign", "Ta bort tilldelning"),
    (
        "request.assigned",
        "The request is assigned to you.",
        "Begäran är tilldelad dig.",
    ),
    (
        "request.unassigned",
        "The request is assigned to nobody.",
        "Begäran är inte tilldelad någon.",
    ),
    ("request.reasons", "Reasons given", "Angivna skäl"),
    (
        "request.needs_decision",
        "Needs a decision (Art. 12(5))",
        "Kräver beslut (art. 12.5)",
    ),
    ("request.identity", "Identity check", "Identitetskontroll"),
    (
        "request.identity_kind",
        "Kind of identity",
        "Typ av identitet",
    ),
    ("request.subject", "Subject", "Registrerad"),
    (
        "request.identity_hidden",
        "Your role does not show who the request is about.",
        "Din roll visar inte vem begäran gäller.",
    ),
    ("request.data", "The data found", "Funna uppgifter"),
    (
        "request.data_hidden",
        "Your role does not show the data of this request. Support sees it once the request is assigned to them.",
        "Din roll visar inte uppgifterna i den här begäran. Support ser dem när begäran är tilldelad dem.",
    ),
    (
        "request.data_show",
        "Show the data found in Skydd and the connected systems",
        "Visa uppgifterna som finns i Skydd och de anslutna systemen",
    ),
    (
        "request.data_audited",
        "Showing the data is a read of personal data: it is recorded in the audit trail.",
        "Att visa uppgifterna är en läsning av personuppgifter: den registreras i granskningsloggen.",
    ),
    (
        "request.data_none_for_type",
        "This type of request has no data to show; what fulfilment did is shown once it is completed.",
        "Den här typen av begäran har inga uppgifter att visa; vad som gjordes visas när den är slutförd.",
    ),
    (
        "request.erasure_plan",
        "See what erasure would do in each system",
        "Se vad raderingen skulle göra i varje system",
    ),
    ("request.systems", "Connected systems", "Anslutna system"),
    ("request.system", "System", "System"),
    ("request.action", "Action", "Åtgärd"),
    ("request.reason", "Reason", "Orsak"),
    ("request.outcome", "What fulfilment did", "Vad som gjordes"),
    (
        "request.asked",
        "What the person asked",
        "Vad personen bad om",
    ),
    (
        "request.asked.correction",
        "Proposed correction",
        "Föreslagen rättelse",
    ),
    (
        "request.asked.message",
        "Their message",
        "Personens meddelande",
    ),
    (
        "request.asked.hint",
        "Sent from the privacy centre after the person signed in. Check the correction before you apply it; reading this is recorded in the audit trail.",
        "Skickat från integritetscentret efter att personen loggat in. Kontrollera rättelsen innan du genomför den; att läsa detta registreras i granskningsloggen.",
    ),
    ("request.actions", "Work the request", "Hantera begäran"),
    ("request.fulfil", "Fulfil", "Verkställ"),
    (
        "request.fulfil.summary",
        "Completes the request in every connected system and in Skydd, and sends the subject the completion letter.",
        "Slutför begäran i alla anslutna system och i Skydd och skickar beskedet till den registrerade.",
    ),
    ("request.fulfil.purpose", "Purpose", "Ändamål"),
    (
        "request.fulfil.lift",
        "Lift the restriction, for these reasons",
        "Häv begränsningen, av dessa skäl",
    ),
    (
        "request.fulfil.lift_hint",
        "Leave empty to restrict; the subject is told before a restriction is lifted (Art. 18(3)).",
        "Lämna tomt för att begränsa; den registrerade informeras innan en begränsning hävs (art. 18.3).",
    ),
    (
        "request.fulfil.copy",
        "Provide a copy outside the free allowance (Art. 12(5))",
        "Lämna ut en kopia utöver den kostnadsfria (art. 12.5)",
    ),
    (
        "request.fulfil.record",
        "Record to correct in Skydd (id)",
        "Post att rätta i Skydd (id)",
    ),
    ("request.fulfil.field", "Field", "Fält"),
    ("request.fulfil.value", "Corrected value", "Rättat värde"),
    (
        "request.fulfil.concerns",
        "In the connected systems: category or collection.field",
        "I de anslutna systemen: kategori eller tabell.fält",
    ),
    (
        "request.fulfil.connected_value",
        "Corrected value in the connected systems",
        "Rättat värde i de anslutna systemen",
    ),
    (
        "request.fulfil.confirm",
        "I have checked the request and want to complete it",
        "Jag har kontrollerat begäran och vill slutföra den",
    ),
    (
        "request.fulfil.submit",
        "Fulfil the request",
        "Verkställ begäran",
    ),
    (
        "request.fulfil.not_yet",
        "The request can be fulfilled once the identity is verified.",
        "Begäran kan verkställas när identiteten är kontrollerad.",
    ),
    (
        "request.fulfilled",
        "The request is completed and the letter queued.",
        "Begäran är slutförd och beskedet köat.",
    ),
    (
        "request.erasure_plan_first",
        "Review the erasure plan, then erase",
        "Granska raderingsplanen och radera sedan",
    ),
    ("request.extend", "Extend the deadline", "Förläng fristen"),
    (
        "request.extend.summary",
        "Only within the first month, at most two months in total. The subject is told the new date and the reason.",
        "Endast inom den första månaden, högst två månader totalt. Den registrerade får veta det nya datumet och skälet.",
    ),
    ("request.extend.months", "Months", "Månader"),
    (
        "request.extend.reason",
        "Reason (sent to the subject)",
        "Skäl (skickas till den registrerade)",
    ),
    (
        "request.extend.confirm",
        "Extend and tell the subject",
        "Förläng och informera den registrerade",
    ),
    ("request.extend.submit", "Extend", "Förläng"),
    (
        "request.extended",
        "The deadline is extended and the subject told.",
        "Fristen är förlängd och den registrerade informerad.",
    ),
    ("request.reject", "Reject", "Avslå"),
    (
        "request.reject.summary",
        "Closes the request for good. The subject is told the reasons and the right to complain to IMY and to a court (Art. 12(4)).",
        "Stänger begäran för gott. Den registrerade får veta skälen och rätten att klaga till IMY och domstol (art. 12.4).",
    ),
    (
        "request.reject.reasons",
        "Reasons (sent to the subject)",
        "Skäl (skickas till den registrerade)",
    ),
    (
        "request.reject.confirm",
        "Reject the request and tell the subject",
        "Avslå begäran och informera den registrerade",
    ),
    ("request.reject.submit", "Reject", "Avslå"),
    (
        "request.rejected",
        "The request is rejected and the subject told.",
        "Begäran är avslagen och den registrerade informerad.",
    ),
    (
        "request.unconfirmed",
        "Nothing was done: tick the confirmation box to go ahead.",
        "Inget gjordes: kryssa i bekräftelserutan för att fortsätta.",
    ),
    ("request.letters", "Letters", "Brev"),
    (
        "request.letters.caption",
        "Letters to the subject and to recipients about this request",
        "Brev till den registrerade och mottagare om den här begäran",
    ),
    ("request.letters.kind", "Letter", "Brev"),
    ("request.letters.attempts", "Attempts", "Försök"),
    ("request.letters.queued", "Queued", "Köat"),
    ("request.letters.sent", "Sent", "Skickat"),
    ("request.letters.none", "No letters.", "Inga brev."),
    ("request.events", "History", "Historik"),
    (
        "request.events.caption",
        "What happened to the request, oldest first",
        "Vad som hänt med begäran, äldst först",
    ),
    ("request.events.at", "When", "När"),
    ("request.events.actor", "Who", "Vem"),
    ("request.events.move", "State", "Status"),
    ("request.events.detail", "Detail", "Detalj"),
    ("request.audit", "Audit trail", "Granskningslogg"),
    (
        "request.audit.caption",
        "Audit entries of the request's subject about requests since it was received",
        "Granskningsposter om begäranden för den registrerade sedan begäran togs emot",
    ),
    ("request.audit.outcome", "Outcome", "Utfall"),
    (
        "request.audit.none",
        "No audit entries (the identity matched no subject).",
        "Inga granskningsposter (identiteten matchade ingen registrerad).",
    ),
    ("request.data.title", "The data found", "Funna uppgifter"),
    (
        "request.data.nothing",
        "No personal data about the subject was found.",
        "Inga personuppgifter om den registrerade hittades.",
    ),
    (
        "request.data.identities",
        "The subject's identities",
        "Den registrerades identiteter",
    ),
    ("request.data.values", "Values found", "Funna värden"),
    ("request.data.place", "Where", "Var"),
    ("request.data.category", "Category", "Kategori"),
    ("request.data.field", "Field", "Fält"),
    ("request.data.value", "Value", "Värde"),
    (
        "request.data.failed",
        "{} could not be read:",
        "{} kunde inte läsas:",
    ),
    ("request.erasure.title", "Erasure plan", "Raderingsplan"),
    (
        "request.erasure.intro",
        "What erasure would do in each connected system. Nothing has been written.",
        "Vad raderingen skulle göra i varje anslutet system. Inget har skrivits.",
    ),
    (
        "request.erasure.caption",
        "Per system and collection: rows erased, rows shared with another subject (left alone), fields kept under a legal hold, rows whose free text mentions the subject and is redacted in place",
        "Per system och tabell: rader som raderas, rader som delas med en annan registrerad (lämnas), fält som behålls enligt lag, rader vars fritext nämner den registrerade och maskas på plats",
    ),
    ("request.erasure.collection", "Collection", "Tabell"),
    ("request.erasure.rows", "Rows erased", "Rader som raderas"),
    ("request.erasure.shared", "Shared rows", "Delade rader"),
    ("request.erasure.held", "Fields held", "Behållna fält"),
    (
        "request.erasure.redacted",
        "Rows where mentions are redacted",
        "Rader där omnämnanden maskas",
    ),
    (
        "request.erasure.no_systems",
        "No connected system holds data for this subject, or none is connected.",
        "Inget anslutet system har uppgifter om den registrerade, eller inget är anslutet.",
    ),
    ("request.erasure.fulfil", "Erase", "Radera"),
    (
        "request.erasure.summary",
        "Erases as planned in every connected system, then in Skydd; data under a legal hold is kept and named in the letter to the subject.",
        "Raderar enligt planen i alla anslutna system och sedan i Skydd; uppgifter som lagen kräver sparas och anges i brevet till den registrerade.",
    ),
    (
        "request.erasure.confirm",
        "I have reviewed the plan and want to erase",
        "Jag har granskat planen och vill radera",
    ),
    (
        "request.erasure.submit",
        "Erase and complete",
        "Radera och slutför",
    ),
    // --- incidents and subjects (pages-cases) ---
    ("incidents.title", "Incidents", "Incidenter"),
    (
        "incidents.new.link",
        "Report a breach",
        "Rapportera en personuppgiftsincident",
    ),
    (
        "incidents.new.title",
        "Report a personal data breach",
        "Rapportera en personuppgiftsincident",
    ),
    (
        "incidents.new.intro",
        "Document every breach, whether or not it is notified (Art. 33(5)). The 72 hours for notifying the authority count from when you became aware of it. Times are Swedish time.",
        "Dokumentera varje incident, oavsett om den anmäls eller inte (art. 33.5). De 72 timmarna för anmälan till tillsynsmyndigheten räknas från när ni fick vetskap om den. Tider anges i svensk tid.",
    ),
    (
        "incidents.new.submit",
        "Document the breach",
        "Dokumentera incidenten",
    ),
    (
        "incidents.list.open",
        "Open incidents, most urgent first",
        "Öppna incidenter, mest brådskande först",
    ),
    (
        "incidents.list.closed",
        "Closed incidents",
        "Avslutade incidenter",
    ),
    (
        "incidents.list.none_open",
        "No open incidents.",
        "Inga öppna incidenter.",
    ),
    ("incidents.incident.title", "Incident {}", "Incident {}"),
    ("incidents.back", "All incidents", "Alla incidenter"),
    ("incidents.refused", "Not recorded", "Inte registrerat"),
    ("incidents.unknown", "Not known", "Okänt"),
    ("incidents.state.open", "Open", "Öppen"),
    ("incidents.state.closed", "Closed", "Avslutad"),
    (
        "incidents.risk.none",
        "Unlikely to result in a risk",
        "Osannolikt att den medför en risk",
    ),
    (
        "incidents.risk.risk",
        "Likely to result in a risk",
        "Sannolikt att den medför en risk",
    ),
    (
        "incidents.risk.high",
        "Likely to result in a high risk",
        "Sannolikt att den medför en hög risk",
    ),
    (
        "incidents.phase.initial",
        "Initial notification",
        "Första anmälan",
    ),
    (
        "incidents.phase.supplementary",
        "Supplementary information",
        "Komplettering",
    ),
    (
        "incidents.phase.final",
        "Final information",
        "Slutlig komplettering",
    ),
    (
        "incidents.ground.unintelligible",
        "The data were unintelligible to others",
        "Uppgifterna var obegripliga för obehöriga",
    ),
    (
        "incidents.ground.risk_contained",
        "The high risk is no longer likely",
        "Den höga risken är inte längre sannolik",
    ),
    (
        "incidents.ground.public_communication",
        "A public communication instead",
        "Offentlig information i stället",
    ),
    ("incidents.kind.reported", "Reported", "Rapporterad"),
    (
        "incidents.kind.reassessed",
        "Risk assessed anew",
        "Risken bedömd på nytt",
    ),
    (
        "incidents.kind.authority_notified",
        "Authority notified",
        "Anmäld till tillsynsmyndigheten",
    ),
    (
        "incidents.kind.notification_not_required",
        "Not notified, with reason",
        "Inte anmäld, med skäl",
    ),
    (
        "incidents.kind.subjects_informed",
        "Subjects told",
        "De registrerade informerade",
    ),
    (
        "incidents.kind.communication_not_required",
        "Subjects not told, with ground",
        "De registrerade inte informerade, med grund",
    ),
    ("incidents.kind.closed", "Closed", "Avslutad"),
    ("incidents.clock.left", "{} left", "{} kvar"),
    ("incidents.clock.due_now", "Due now", "Ska anmälas nu"),
    (
        "incidents.clock.overdue",
        "Overdue by {}",
        "Försenad med {}",
    ),
    (
        "incidents.clock.notified",
        "Authority notified in time",
        "Anmäld i tid",
    ),
    (
        "incidents.clock.notified_late",
        "Authority notified late",
        "Anmäld för sent",
    ),
    (
        "incidents.clock.not_required",
        "Not notified (Art. 33(5))",
        "Inte anmäld (art. 33.5)",
    ),
    ("incidents.clock.closed", "Closed", "Avslutad"),
    ("incidents.field.state", "State", "Status"),
    (
        "incidents.field.due",
        "Notify the authority by",
        "Anmäl till tillsynsmyndigheten senast",
    ),
    ("incidents.field.clock", "72-hour clock", "72-timmarsklocka"),
    ("incidents.field.outstanding", "Outstanding", "Återstår"),
    (
        "incidents.field.became_aware_at",
        "Became aware",
        "Fick vetskap",
    ),
    ("incidents.field.occurred_at", "Happened", "Inträffade"),
    ("incidents.field.nature", "What happened", "Vad som hände"),
    (
        "incidents.field.data_categories",
        "Categories of personal data",
        "Kategorier av personuppgifter",
    ),
    (
        "incidents.field.subject_categories",
        "Categories of data subjects",
        "Kategorier av registrerade",
    ),
    (
        "incidents.field.approx_subjects",
        "Approximate number of data subjects",
        "Ungefärligt antal registrerade",
    ),
    (
        "incidents.field.approx_records",
        "Approximate number of records",
        "Ungefärligt antal poster",
    ),
    (
        "incidents.field.consequences",
        "Likely consequences",
        "Sannolika konsekvenser",
    ),
    (
        "incidents.field.measures",
        "Measures taken or proposed",
        "Vidtagna eller föreslagna åtgärder",
    ),
    ("incidents.field.risk", "Risk", "Risk"),
    ("incidents.field.reason", "Reason", "Skäl"),
    ("incidents.field.phase", "Phase", "Fas"),
    ("incidents.field.notified_at", "Notified", "Anmäld"),
    (
        "incidents.field.reference",
        "Authority's reference",
        "Myndighetens diarienummer",
    ),
    (
        "incidents.field.late_reason",
        "Reasons for the delay",
        "Skäl till förseningen",
    ),
    ("incidents.field.summary", "Summary", "Sammanfattning"),
    ("incidents.field.informed_at", "Told", "Informerade"),
    (
        "incidents.field.subjects_reached",
        "Subjects",
        "Registrerade",
    ),
    (
        "incidents.field.message",
        "Message to the subjects",
        "Meddelande till de registrerade",
    ),
    (
        "incidents.field.subjects",
        "Subject ids",
        "De registrerades id",
    ),
    (
        "incidents.field.ground",
        "Art. 34(3) ground",
        "Grund enligt art. 34.3",
    ),
    (
        "incidents.field.explanation",
        "How it applies",
        "Hur grunden är tillämplig",
    ),
    (
        "incidents.hint.aware",
        "Swedish time. The 72 hours count from here.",
        "Svensk tid. De 72 timmarna räknas härifrån.",
    ),
    (
        "incidents.hint.occurred",
        "Swedish time; leave empty if not known.",
        "Svensk tid; lämna tomt om det inte är känt.",
    ),
    (
        "incidents.hint.nature",
        "Describe the breach, not the people: no names, addresses or other personal data here.",
        "Beskriv incidenten, inte personerna: inga namn, adresser eller andra personuppgifter här.",
    ),
    (
        "incidents.hint.approx",
        "Leave empty when it cannot be given yet.",
        "Lämna tomt om det inte går att ange ännu.",
    ),
    (
        "incidents.hint.notified_at",
        "Swedish time; now if left empty.",
        "Svensk tid; nu om fältet lämnas tomt.",
    ),
    (
        "incidents.hint.reference",
        "The case number the authority gave; later phases need it.",
        "Diarienumret som myndigheten gav; senare faser kräver det.",
    ),
    (
        "incidents.hint.late_reason",
        "Required for a first notification after 72 hours (Art. 33(1)).",
        "Krävs för en första anmälan efter 72 timmar (art. 33.1).",
    ),
    (
        "incidents.hint.no_notification",
        "Only when the breach is unlikely to result in a risk (Art. 33(5)).",
        "Endast när incidenten sannolikt inte medför en risk (art. 33.5).",
    ),
    (
        "incidents.hint.assess_reason",
        "What came to light.",
        "Vad som har kommit fram.",
    ),
    (
        "incidents.hint.keep",
        "Leave empty to keep the earlier text.",
        "Lämna tomt för att behålla den tidigare texten.",
    ),
    (
        "incidents.hint.message",
        "Clear and plain language (Art. 34(2)). The letter adds the consequences, the measures and whom to contact.",
        "Klart och tydligt språk (art. 34.2). Brevet lägger till konsekvenserna, åtgärderna och vem man kan kontakta.",
    ),
    (
        "incidents.hint.subjects",
        "The subjects' ids (32 hexadecimal digits), one per line.",
        "De registrerades id (32 hexadecimala tecken), ett per rad.",
    ),
    (
        "incidents.hint.close",
        "What was done and learnt. An incident closes only when nothing is outstanding.",
        "Vad som gjordes och vad ni lärde er. En incident kan avslutas först när inget återstår.",
    ),
    ("incidents.outstanding.title", "Still to do", "Återstår"),
    (
        "incidents.outstanding.none",
        "Nothing is outstanding.",
        "Inget återstår.",
    ),
    (
        "incidents.outstanding.notify",
        "Notify the supervisory authority (Art. 33(1)) by {}.",
        "Anmäl till tillsynsmyndigheten (art. 33.1) senast {}.",
    ),
    (
        "incidents.outstanding.notify_or_document",
        "Notify the supervisory authority by {}, or record why the breach is unlikely to result in a risk (Art. 33(5)).",
        "Anmäl till tillsynsmyndigheten senast {}, eller dokumentera varför incidenten sannolikt inte medför en risk (art. 33.5).",
    ),
    (
        "incidents.outstanding.communicate",
        "Tell the subjects in plain language (Art. 34(1)), or record the Art. 34(3) ground for not doing so.",
        "Informera de registrerade på ett tydligt sätt (art. 34.1), eller dokumentera grunden enligt art. 34.3 för att inte göra det.",
    ),
    (
        "incidents.report.title",
        "The report (Art. 33(3))",
        "Rapporten (art. 33.3)",
    ),
    (
        "incidents.notification.title",
        "Notification to the authority",
        "Anmälan till tillsynsmyndigheten",
    ),
    (
        "incidents.notification.phases",
        "Notifications by phase",
        "Anmälningar per fas",
    ),
    (
        "incidents.notification.due",
        "Not notified yet; due by {}.",
        "Inte anmäld ännu; senast {}.",
    ),
    (
        "incidents.notification.notified",
        "First notified {}.",
        "Först anmäld {}.",
    ),
    (
        "incidents.notification.late",
        "After the 72 hours.",
        "Efter de 72 timmarna.",
    ),
    (
        "incidents.notification.reference",
        "Reference: {}.",
        "Diarienummer: {}.",
    ),
    (
        "incidents.notification.complete",
        "The final phase was sent.",
        "Den slutliga fasen är skickad.",
    ),
    (
        "incidents.notification.incomplete",
        "Further phases may follow.",
        "Fler faser kan följa.",
    ),
    (
        "incidents.notification.not_required",
        "Not notified (Art. 33(5)): {}",
        "Inte anmäld (art. 33.5): {}",
    ),
    (
        "incidents.communication.title",
        "Communication to the subjects",
        "Information till de registrerade",
    ),
    (
        "incidents.communication.not_required",
        "Not required: the risk is not high.",
        "Krävs inte: risken är inte hög.",
    ),
    (
        "incidents.communication.due",
        "Required: the risk is high.",
        "Krävs: risken är hög.",
    ),
    (
        "incidents.communication.informed",
        "Told on {}.",
        "Informerade {}.",
    ),
    (
        "incidents.communication.reached",
        "Subjects reached: {}.",
        "Antal registrerade: {}.",
    ),
    (
        "incidents.communication.exempt",
        "Not told, on the ground: {}.",
        "Inte informerade, med grunden: {}.",
    ),
    (
        "incidents.form.notify",
        "Record a notification to the authority",
        "Registrera en anmälan till tillsynsmyndigheten",
    ),
    (
        "incidents.form.notify.submit",
        "Record the notification",
        "Registrera anmälan",
    ),
    (
        "incidents.form.no_notification",
        "Record why the authority is not notified",
        "Dokumentera varför incidenten inte anmäls",
    ),
    (
        "incidents.form.no_notification.submit",
        "Record the reason",
        "Registrera skälet",
    ),
    (
        "incidents.form.assess",
        "Assess the risk anew",
        "Bedöm risken på nytt",
    ),
    (
        "incidents.form.assess.submit",
        "Record the assessment",
        "Registrera bedömningen",
    ),
    (
        "incidents.form.communicate",
        "Tell the subjects (Art. 34)",
        "Informera de registrerade (art. 34)",
    ),
    (
        "incidents.form.communicate.submit",
        "Send the letters",
        "Skicka breven",
    ),
    (
        "incidents.form.exemption",
        "Record why the subjects are not told (Art. 34(3))",
        "Dokumentera varför de registrerade inte informeras (art. 34.3)",
    ),
    (
        "incidents.form.exemption.submit",
        "Record the ground",
        "Registrera grunden",
    ),
    (
        "incidents.form.close",
        "Close the incident",
        "Avsluta incidenten",
    ),
    ("incidents.form.close.submit", "Close", "Avsluta"),
    (
        "incidents.history.title",
        "Everything recorded, oldest first",
        "Allt som registrerats, äldst först",
    ),
    ("incidents.history.at", "Recorded", "Registrerat"),
    ("incidents.history.kind", "What", "Vad"),
    ("incidents.history.details", "Details", "Detaljer"),
    ("incidents.history.actor", "By", "Av"),
    (
        "incidents.done.reported",
        "The breach is documented; the 72-hour clock runs.",
        "Incidenten är dokumenterad; 72-timmarsklockan går.",
    ),
    (
        "incidents.done.assessed",
        "The new assessment is recorded.",
        "Den nya bedömningen är registrerad.",
    ),
    (
        "incidents.done.notified",
        "The notification is recorded.",
        "Anmälan är registrerad.",
    ),
    (
        "incidents.done.not_notified",
        "The reason for not notifying is recorded.",
        "Skälet till att inte anmäla är registrerat.",
    ),
    (
        "incidents.done.communicated",
        "The letters are queued and the communication recorded.",
        "Breven ligger i utkorgen och informationen är registrerad.",
    ),
    (
        "incidents.done.exempted",
        "The Art. 34(3) ground is recorded.",
        "Grunden enligt art. 34.3 är registrerad.",
    ),
    (
        "incidents.done.closed",
        "The incident is closed.",
        "Incidenten är avslutad.",
    ),
    (
        "incidents.error.time",
        "A time could not be read: give a date and time, such as 2026-03-27 17:30 (Swedish time).",
        "En tid gick inte att läsa: ange datum och tid, till exempel 2026-03-27 17:30 (svensk tid).",
    ),
    (
        "incidents.error.aware",
        "Give when you became aware of the breach.",
        "Ange när ni fick vetskap om incidenten.",
    ),
    (
        "incidents.error.count",
        "An approximate number must be a whole number of 0 or more.",
        "Ett ungefärligt antal måste vara ett heltal, 0 eller mer.",
    ),
    (
        "incidents.error.choice",
        "Choose one of the options.",
        "Välj ett av alternativen.",
    ),
    (
        "incidents.error.step",
        "There is no such step.",
        "Det steget finns inte.",
    ),
    (
        "incidents.error.subject",
        "One of the subject ids is not known. Nothing was sent.",
        "Ett av de registrerades id är okänt. Inget skickades.",
    ),
    (
        "subjects.title",
        "Find a data subject",
        "Hitta en registrerad",
    ),
    (
        "subjects.lookup.intro",
        "Look a subject up by any identity. The value is compared through the blind index and is not kept in any address or log.",
        "Sök en registrerad på valfri identitet. Värdet jämförs via det blinda indexet och sparas inte i någon adress eller logg.",
    ),
    (
        "subjects.lookup.kind",
        "Kind of identity",
        "Typ av identitet",
    ),
    ("subjects.lookup.value", "Value", "Värde"),
    (
        "subjects.lookup.value_hint",
        "As the subject gave it: case, spaces and dashes do not matter.",
        "Som den registrerade angav det: versaler, mellanslag och bindestreck spelar ingen roll.",
    ),
    (
        "subjects.lookup.tenant",
        "Customer (processor mode)",
        "Kund (personuppgiftsbiträde)",
    ),
    (
        "subjects.lookup.tenant_hint",
        "Leave empty for your own subjects.",
        "Lämna tomt för era egna registrerade.",
    ),
    ("subjects.lookup.submit", "Find", "Sök"),
    (
        "subjects.lookup.none",
        "No subject has this identity.",
        "Ingen registrerad har den här identiteten.",
    ),
    ("subjects.kind.email", "E-mail address", "E-postadress"),
    ("subjects.kind.phone", "Phone number", "Telefonnummer"),
    ("subjects.kind.personnummer", "Personnummer", "Personnummer"),
    (
        "subjects.kind.customer_number",
        "Customer number",
        "Kundnummer",
    ),
    (
        "subjects.kind.external_id",
        "Id in another system",
        "Id i ett annat system",
    ),
    ("subjects.subject.title", "Subject {}", "Registrerad {}"),
    (
        "subjects.back",
        "Find another subject",
        "Sök en annan registrerad",
    ),
    ("subjects.refused", "Not read", "Inte läst"),
    ("subjects.field.id", "Id", "Id"),
    ("subjects.field.created", "Created", "Skapad"),
    ("subjects.field.tenant", "Customer", "Kund"),
    ("subjects.field.restriction", "Processing", "Behandling"),
    (
        "subjects.restricted",
        "Restricted (Art. 18): only stored",
        "Begränsad (art. 18): endast lagring",
    ),
    (
        "subjects.not_restricted",
        "Not restricted",
        "Inte begränsad",
    ),
    ("subjects.identities.title", "Identities", "Identiteter"),
    ("subjects.field.kind", "Kind", "Typ"),
    ("subjects.field.value", "Value", "Värde"),
    (
        "subjects.consents.title",
        "Consents as they stand",
        "Samtycken just nu",
    ),
    (
        "subjects.consents.none",
        "No consents recorded.",
        "Inga samtycken registrerade.",
    ),
    (
        "subjects.proof.title",
        "Consent history with proof (Art. 7(1))",
        "Samtyckeshistorik med bevis (art. 7.1)",
    ),
    ("subjects.field.purpose", "Purpose", "Ändamål"),
    ("subjects.field.consent", "Consent", "Samtycke"),
    ("subjects.field.method", "How", "Hur"),
    (
        "subjects.field.notice_version",
        "Notice version",
        "Version av informationen",
    ),
    ("subjects.field.at", "When", "När"),
    ("subjects.field.text_hash", "Wording hash", "Hash av texten"),
    ("subjects.field.ip", "IP address", "IP-adress"),
    ("subjects.field.user_agent", "User agent", "Webbläsare"),
    ("subjects.consent.given", "Given", "Lämnat"),
    ("subjects.consent.withdrawn", "Withdrawn", "Återkallat"),
    (
        "subjects.consent.renew",
        "Wording changed: ask again",
        "Texten har ändrats: fråga igen",
    ),
    (
        "subjects.objections.title",
        "Objections in force (Art. 21)",
        "Gällande invändningar (art. 21)",
    ),
    (
        "subjects.objections.none",
        "No objections.",
        "Inga invändningar.",
    ),
    (
        "subjects.objection.all_marketing",
        "All direct marketing",
        "All direktmarknadsföring",
    ),
    ("subjects.field.source", "Source", "Källa"),
    (
        "subjects.preferences.title",
        "Marketing preferences",
        "Marknadsföringsval",
    ),
    (
        "subjects.preferences.none",
        "No preferences recorded.",
        "Inga val registrerade.",
    ),
    (
        "subjects.field.preference",
        "Channel or interest",
        "Kanal eller intresse",
    ),
    ("subjects.field.state", "State", "Status"),
    ("subjects.preference.channel", "Channel", "Kanal"),
    ("subjects.preference.interest", "Interest", "Intresse"),
    ("subjects.preference.in", "Opted in", "Ja tack"),
    ("subjects.preference.out", "Opted out", "Nej tack"),
    ("subjects.records.title", "Records", "Poster"),
    (
        "subjects.records.intro",
        "Records are read under a purpose: each is decided as for any use (consent, objection, restriction, retention) and the read is recorded in the audit trail with the purpose.",
        "Poster läses för ett ändamål: varje post prövas som vid all användning (samtycke, invändning, begränsning, gallring) och läsningen loggas i granskningsloggen med ändamålet.",
    ),
    (
        "subjects.records.choose",
        "Choose a purpose",
        "Välj ett ändamål",
    ),
    (
        "subjects.records.submit",
        "Read the records",
        "Läs posterna",
    ),
    ("subjects.records.read_for", "Read for: {}", "Lästa för: {}"),
    (
        "subjects.records.allowed",
        "Records the purpose may use",
        "Poster som ändamålet får använda",
    ),
    (
        "subjects.records.withheld",
        "Records withheld, with the reason",
        "Undanhållna poster, med skäl",
    ),
    ("subjects.records.none", "None.", "Inga."),
    (
        "subjects.records.none_withheld",
        "None withheld.",
        "Inga undanhållna.",
    ),
    ("subjects.field.category", "Category", "Kategori"),
    ("subjects.field.fields", "Fields", "Fält"),
    (
        "subjects.field.collected_for",
        "Collected for",
        "Insamlad för",
    ),
    ("subjects.field.collected_at", "Collected", "Insamlad"),
    ("subjects.field.code", "Code", "Kod"),
    ("subjects.field.explanation", "Why", "Varför"),
    // --- register, audit, outbox (pages-records) ---
    ("register.title", "Register", "Register"),
    (
        "register.loaded",
        "The version in force",
        "Versionen som gäller",
    ),
    ("register.version", "Version", "Version"),
    (
        "register.digest",
        "Digest (SHA-256)",
        "Kontrollsumma (SHA-256)",
    ),
    ("register.published", "Published", "Publicerad"),
    ("register.loaded_at", "In force since", "Gäller sedan"),
    ("register.unknown", "Not recorded", "Inte registrerad"),
    ("register.source", "Read from", "Läst från"),
    (
        "register.warnings",
        "Warnings of the register check",
        "Varningar från registerkontrollen",
    ),
    (
        "register.warnings.none",
        "The check gave no warnings.",
        "Kontrollen gav inga varningar.",
    ),
    ("register.warnings.caption", "Warnings: {}", "Varningar: {}"),
    ("register.warnings.where", "Line:column", "Rad:kolumn"),
    ("register.warnings.code", "Code", "Kod"),
    ("register.warnings.message", "Warning", "Varning"),
    (
        "register.warnings.unknown",
        "Not known: this version was not read from its file but rebuilt from the database. Run `skydd register check` on the file to see its warnings.",
        "Okänt: versionen lästes inte från sin fil utan återskapades från databasen. Kör `skydd register check` på filen för att se varningarna.",
    ),
    ("register.notice", "Privacy notice", "Integritetsmeddelande"),
    (
        "register.notice.help",
        "The notice is written from this version of the register. The links open the public notice exactly as people read it.",
        "Meddelandet skrivs från den här versionen av registret. Länkarna öppnar det publika meddelandet precis som andra läser det.",
    ),
    (
        "register.notice.en",
        "The notice in English",
        "Meddelandet på engelska",
    ),
    (
        "register.notice.sv",
        "The notice in Swedish",
        "Meddelandet på svenska",
    ),
    (
        "register.notice.history",
        "The public version history",
        "Den publika versionshistoriken",
    ),
    (
        "register.record",
        "Record of processing activities (Art. 30)",
        "Register över behandlingar (art. 30)",
    ),
    (
        "register.record.help",
        "Download the record written from this version, as CSV (spreadsheets), JSON or HTML.",
        "Ladda ner registret skrivet från den här versionen, som CSV (kalkylark), JSON eller HTML.",
    ),
    ("register.history", "Version history", "Versionshistorik"),
    (
        "register.history.caption",
        "Every version this instance has served, newest first",
        "Varje version som instansen har använt, nyaste först",
    ),
    ("register.history.from", "In force from", "Gällde från"),
    ("register.history.until", "Until", "Till"),
    (
        "register.history.significant",
        "Significant changes",
        "Väsentliga ändringar",
    ),
    (
        "register.history.archived",
        "Archived notice",
        "Arkiverat meddelande",
    ),
    ("register.history.current", "in force", "gäller"),
    (
        "register.history.damaged",
        "stored copy damaged",
        "lagrad kopia skadad",
    ),
    (
        "register.diff.title",
        "Changes between two versions",
        "Ändringar mellan två versioner",
    ),
    (
        "register.diff.compare",
        "Compare two versions",
        "Jämför två versioner",
    ),
    ("register.diff.old", "Older version", "Äldre version"),
    ("register.diff.new", "Newer version", "Nyare version"),
    ("register.diff.show", "Show the changes", "Visa ändringarna"),
    ("register.diff.from", "From", "Från"),
    ("register.diff.to", "to", "till"),
    (
        "register.back",
        "Back to the register",
        "Tillbaka till registret",
    ),
    (
        "register.diff.none",
        "The two versions have the same content.",
        "De två versionerna har samma innehåll.",
    ),
    ("register.diff.summary", "Changes: {}.", "Ändringar: {}."),
    (
        "register.diff.significant_count",
        "Significant: {}.",
        "Väsentliga: {}.",
    ),
    (
        "register.diff.published_unchanged",
        "The content changed but the published date did not: set a new `published` date in the register.",
        "Innehållet ändrades men inte publiceringsdatumet: ange ett nytt `published`-datum i registret.",
    ),
    (
        "register.diff.renew",
        "Consents to ask for again (changed wording):",
        "Samtycken att be om på nytt (ändrad lydelse):",
    ),
    (
        "register.diff.caption",
        "Every change, significant ones marked",
        "Alla ändringar, väsentliga markerade",
    ),
    ("register.diff.section", "Section", "Avsnitt"),
    ("register.diff.what", "What", "Vad"),
    ("register.diff.kind", "Change", "Ändring"),
    ("register.diff.field", "Field", "Fält"),
    ("register.diff.before", "Before", "Före"),
    ("register.diff.after", "After", "Efter"),
    ("register.diff.significance", "Significance", "Betydelse"),
    ("register.diff.significant", "Significant", "Väsentlig"),
    ("register.diff.minor", "Not significant", "Inte väsentlig"),
    ("register.diff.added", "Added", "Tillagd"),
    ("register.diff.removed", "Removed", "Borttagen"),
    ("register.diff.changed", "Changed", "Ändrad"),
    ("audit.title", "Audit trail", "Granskningslogg"),
    (
        "audit.chain.link",
        "Verify the chain and see the checkpoints",
        "Verifiera kedjan och se kontrollpunkterna",
    ),
    (
        "audit.back",
        "Back to the audit trail",
        "Tillbaka till granskningsloggen",
    ),
    ("audit.search", "Search", "Sök"),
    ("audit.subject", "Subject id", "Registrerads id"),
    ("audit.actor", "Actor", "Aktör"),
    (
        "audit.actor.hint",
        "A token id, `account:<id>` (all of that account's sessions) or `cli:<user>`.",
        "Ett token-id, `account:<id>` (alla kontots sessioner) eller `cli:<användare>`.",
    ),
    ("audit.action", "Action", "Händelse"),
    (
        "audit.action.hint",
        "For example `records.read`; `request` finds every `request.…` action.",
        "Till exempel `records.read`; `request` hittar alla `request.…`-händelser.",
    ),
    ("audit.from", "From", "Från"),
    ("audit.to", "To", "Till"),
    (
        "audit.time.hint",
        "Swedish time. A date alone means the whole day.",
        "Svensk tid. Ett datum ensamt betyder hela dagen.",
    ),
    (
        "audit.time.error",
        "Not a time: write it as 2026-03-01 or 2026-03-01T10:00.",
        "Inte en tidpunkt: skriv den som 2026-03-01 eller 2026-03-01T10:00.",
    ),
    ("audit.search.submit", "Search the trail", "Sök i loggen"),
    ("audit.none", "No entries match.", "Inga poster matchar."),
    (
        "audit.caption",
        "Entries on this page, oldest first: {}",
        "Poster på sidan, äldsta först: {}",
    ),
    ("audit.col.at", "Time", "Tid"),
    ("audit.col.actor", "Actor", "Aktör"),
    ("audit.col.action", "Action", "Händelse"),
    ("audit.col.subject", "Subject", "Registrerad"),
    (
        "audit.col.purpose",
        "Purpose and categories",
        "Ändamål och kategorier",
    ),
    ("audit.col.outcome", "Outcome", "Utfall"),
    ("audit.col.detail", "Detail", "Detaljer"),
    ("audit.next", "Next page", "Nästa sida"),
    ("audit.chain.title", "Audit chain", "Granskningskedjan"),
    ("audit.chain.verify", "Verify the chain", "Verifiera kedjan"),
    (
        "audit.chain.verify.help",
        "Checks every entry's hash and link, and every checkpoint's signature, against this installation's key and the copy kept in the data directory.",
        "Kontrollerar varje posts kontrollsumma och länk och varje kontrollpunkts signatur mot installationens nyckel och kopian i datakatalogen.",
    ),
    ("audit.chain.verify.submit", "Verify now", "Verifiera nu"),
    (
        "audit.chain.intact",
        "The audit trail is intact.",
        "Granskningsloggen är intakt.",
    ),
    (
        "audit.chain.broken",
        "The audit trail is broken.",
        "Granskningsloggen är bruten.",
    ),
    (
        "audit.chain.entries",
        "Entries checked",
        "Kontrollerade poster",
    ),
    (
        "audit.chain.unchained",
        "Older entries not covered by the chain",
        "Äldre poster utanför kedjan",
    ),
    ("audit.chain.head", "Newest entry", "Nyaste posten"),
    (
        "audit.chain.checkpoints_checked",
        "Checkpoints checked",
        "Kontrollerade kontrollpunkter",
    ),
    ("audit.chain.breach", "First breach", "Första brottet"),
    ("audit.chain.breach.at", "entry {}", "post {}"),
    ("audit.chain.checkpoints", "Checkpoints", "Kontrollpunkter"),
    (
        "audit.chain.checkpoints.help",
        "A checkpoint signs the newest entry with the installation's key, so that entries removed later are noticed.",
        "En kontrollpunkt signerar den nyaste posten med installationens nyckel, så att poster som tas bort senare upptäcks.",
    ),
    (
        "audit.chain.checkpoint.submit",
        "Write a checkpoint now",
        "Skriv en kontrollpunkt nu",
    ),
    (
        "audit.chain.checkpoint.done",
        "The checkpoint was written.",
        "Kontrollpunkten skrevs.",
    ),
    (
        "audit.chain.checkpoint.empty",
        "The audit trail is empty: nothing to sign yet.",
        "Granskningsloggen är tom: inget att signera än.",
    ),
    (
        "audit.chain.checkpoints.none",
        "No checkpoint yet.",
        "Ingen kontrollpunkt än.",
    ),
    (
        "audit.chain.checkpoints.caption",
        "Checkpoints, newest first",
        "Kontrollpunkter, nyaste först",
    ),
    ("audit.chain.col.seq", "Entry", "Post"),
    ("audit.chain.col.hash", "Hash", "Kontrollsumma"),
    ("audit.chain.col.signature", "Signature", "Signatur"),
    ("audit.chain.signature.valid", "valid", "giltig"),
    ("audit.chain.signature.invalid", "NOT valid", "INTE giltig"),
    ("outbox.title", "Outbox", "Utkorg"),
    ("outbox.filters", "Filter", "Filtrera"),
    ("outbox.any", "Any", "Alla"),
    ("outbox.state.queued", "Queued", "I kö"),
    ("outbox.state.sent", "Sent", "Skickat"),
    ("outbox.state.failed", "Failed", "Misslyckat"),
    ("outbox.filter.submit", "Show messages", "Visa meddelanden"),
    (
        "outbox.none",
        "No messages match.",
        "Inga meddelanden matchar.",
    ),
    (
        "outbox.caption",
        "Messages, newest first: {}",
        "Meddelanden, nyaste först: {}",
    ),
    ("outbox.col.created", "Queued at", "Köat"),
    ("outbox.col.kind", "Kind", "Sort"),
    ("outbox.col.request", "Request", "Begäran"),
    ("outbox.col.state", "State", "Status"),
    ("outbox.col.attempts", "Attempts", "Försök"),
    ("outbox.col.next", "Next attempt", "Nästa försök"),
    ("outbox.col.sent", "Sent at", "Skickat"),
    ("outbox.col.error", "Last error", "Senaste fel"),
    ("outbox.col.message", "Message", "Meddelande"),
    (
        "outbox.open",
        "Show address and text",
        "Visa adress och text",
    ),
    ("outbox.pages", "Pages", "Sidor"),
    ("outbox.previous", "Newer messages", "Nyare meddelanden"),
    ("outbox.next", "Older messages", "Äldre meddelanden"),
    (
        "outbox.back",
        "Back to the outbox",
        "Tillbaka till utkorgen",
    ),
    ("outbox.message.title", "Message", "Meddelande"),
    (
        "outbox.message.audited",
        "Reading this message was recorded in the audit trail.",
        "Att du läste meddelandet har registrerats i granskningsloggen.",
    ),
    ("outbox.message.to", "To", "Till"),
    ("outbox.message.subject", "Subject", "Ämne"),
    ("outbox.message.text", "Text", "Text"),
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

/// Every text of the server's pages: the console's [`CATALOG`] and the privacy centre's
/// (`crate::centre::words::CATALOG`, keys `centre.*`), looked up the same way.
pub(crate) fn messages() -> impl Iterator<Item = &'static Message> {
    CATALOG.iter().chain(crate::centre::words::CATALOG)
}

/// The catalogs by key.
static BY_KEY: LazyLock<HashMap<&'static str, (&'static str, &'static str)>> =
    LazyLock::new(|| messages().map(|(key, en, sv)| (*key, (*en, *sv))).collect());

/// The catalog's own copy of `key`, when it has one (a flash cookie names a key; the page
/// shows only keys this returns).
pub(crate) fn catalog_key(key: &str) -> Option<&'static str> {
    BY_KEY.get_key_value(key).map(|(key, _)| *key)
}

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
    catalog_key(key).is_some()
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
        for (key, en, sv) in messages() {
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
        for dir in [
            "templates/console",
            "src/console",
            "templates/centre",
            "src/centre",
        ] {
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
                &[
                    "i18n::text(\"",
                    "Flash::done(\"",
                    "Flash::problem(\"",
                    // The centre names its keys directly (page titles, flash messages).
                    "\"centre.",
                ]
            } else {
                &[".t(\"", ".fill(\""]
            };
            for call in calls {
                for (index, _) in source.match_indices(call) {
                    let rest = &source[index + call.len()..];
                    let key = &rest[..rest.find('"').unwrap()];
                    let key = match call.strip_prefix('"') {
                        Some(prefix) => format!("{prefix}{key}"),
                        None => key.to_owned(),
                    };
                    if key.contains('{') {
                        continue; // a key made at run time (`centre.{key}`)
                    }
                    let key = key.as_str();
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
