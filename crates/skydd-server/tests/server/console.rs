//! The console from a browser's point of view: a client that keeps cookies and does not follow
//! redirects, so each step of a sign-in and each refusal is seen.

// Some helpers serve only the page helpers' modules.
#![allow(dead_code)]

use std::collections::BTreeMap;

use reqwest::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, LOCATION, SET_COOKIE};
use reqwest::{Method, StatusCode};

use skydd_app::staff::NewAccount;
use skydd_crypto::TotpSecret;
use skydd_staff::account::StaffEmail;
use skydd_staff::permission::StaffRole;
use skydd_vault::Actor;

use super::{TestApp, captured_log, on_each_backend};

/// The console's Content-Security-Policy, as every console response must carry it.
const CONSOLE_CSP: &str = "default-src 'none'; style-src 'self'; script-src 'self'; \
     img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// A browser: a cookie jar, no redirects followed, every response's headers checked.
pub(crate) struct Browser<'a> {
    app: &'a TestApp,
    client: reqwest::Client,
    /// Cookies by name (attributes are checked where they are set, not kept).
    pub(crate) cookies: BTreeMap<String, String>,
    /// Every `Set-Cookie` header received, for checks of attributes.
    pub(crate) set_cookies: Vec<String>,
}

/// A response read whole.
#[derive(Debug)]
pub(crate) struct Page {
    pub(crate) status: StatusCode,
    pub(crate) headers: reqwest::header::HeaderMap,
    pub(crate) body: String,
}

impl Page {
    /// Where a redirect leads.
    pub(crate) fn location(&self) -> &str {
        self.headers[LOCATION].to_str().unwrap()
    }

    /// The value of the hidden field `name` in the page's first form that has one.
    pub(crate) fn hidden(&self, name: &str) -> String {
        let marker = format!("name=\"{name}\" value=\"");
        let start = self
            .body
            .find(&marker)
            .unwrap_or_else(|| panic!("no field {name} in {}", self.body))
            + marker.len();
        let end = start + self.body[start..].find('"').unwrap();
        self.body[start..end].to_owned()
    }
}

impl<'a> Browser<'a> {
    pub(crate) fn new(app: &'a TestApp) -> Browser<'a> {
        Browser {
            app,
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            cookies: BTreeMap::new(),
            set_cookies: Vec::new(),
        }
    }

    async fn send(&mut self, request: reqwest::RequestBuilder) -> Page {
        let cookie = self
            .cookies
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect::<Vec<_>>()
            .join("; ");
        let request = if cookie.is_empty() {
            request
        } else {
            request.header(reqwest::header::COOKIE, cookie)
        };
        let response = request.send().await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        for value in headers.get_all(SET_COOKIE) {
            let value = value.to_str().unwrap().to_owned();
            let pair = value.split(';').next().unwrap();
            let (name, content) = pair.split_once('=').unwrap();
            if value.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), content.to_owned());
            }
            self.set_cookies.push(value);
        }
        let body = response.text().await.unwrap();
        let page = Page {
            status,
            headers,
            body,
        };
        assert_console_headers(&page, self.app.backend);
        page
    }

    /// GET `path`.
    pub(crate) async fn get(&mut self, path: &str) -> Page {
        let request = self.client.get(self.app.url(path));
        self.send(request).await
    }

    /// POST the form `fields` to `path`, as a same-origin form.
    pub(crate) async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let request = self
            .client
            .request(Method::POST, self.app.url(path))
            .header("sec-fetch-site", "same-origin")
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(serde_urlencoded_pairs(fields));
        self.send(request).await
    }
}

/// `fields` as `application/x-www-form-urlencoded`.
fn serde_urlencoded_pairs(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(name, value)| format!("{}={}", encode(name), encode(value)))
        .collect::<Vec<_>>()
        .join("&")
}

fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Every console response, page, redirect, error or asset, carries the console's CSP and is
/// never framed; pages are never stored.
fn assert_console_headers(page: &Page, backend: &str) {
    assert!(
        page.headers.contains_key(CONTENT_SECURITY_POLICY),
        "{backend}: {page:?}"
    );
    assert_eq!(
        page.headers[CONTENT_SECURITY_POLICY], CONSOLE_CSP,
        "{backend}"
    );
    assert_eq!(page.headers["x-frame-options"], "DENY", "{backend}");
    assert_eq!(
        page.headers["x-content-type-options"], "nosniff",
        "{backend}"
    );
    let html = page
        .headers
        .get(CONTENT_TYPE)
        .is_some_and(|t| t.to_str().unwrap().starts_with("text/html"));
    if html || page.headers.contains_key(LOCATION) {
        assert_eq!(page.headers[CACHE_CONTROL], "no-store", "{backend}");
    }
}

#[tokio::test]
async fn anonymous_visitors_are_sent_to_sign_in_and_back() {
    on_each_backend(async |app| {
        let mut browser = Browser::new(app);
        let root = browser.get("/console").await;
        assert_eq!(root.status, StatusCode::SEE_OTHER, "{}", app.backend);
        assert_eq!(root.location(), "/console/dashboard");

        let page = browser.get("/console/dashboard").await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", app.backend);
        assert_eq!(page.location(), "/console/sign-in?next=/console/dashboard");

        let page = browser.get("/console/dashboard?lang=sv&x=1").await;
        assert_eq!(
            page.location(),
            "/console/sign-in?next=/console/dashboard%3Flang%3Dsv%26x%3D1"
        );
    })
    .await;
}

#[tokio::test]
async fn assets_are_served_from_the_same_origin_with_long_caching() {
    on_each_backend(async |app| {
        let mut browser = Browser::new(app);
        let css = browser.get("/console/assets/console.css").await;
        assert_eq!(css.status, StatusCode::OK);
        assert_eq!(css.headers[CONTENT_TYPE], "text/css; charset=utf-8");
        assert_eq!(
            css.headers[CACHE_CONTROL],
            "public, max-age=31536000, immutable"
        );
        assert!(css.body.contains(":focus-visible"));
        let etag = css.headers["etag"].to_str().unwrap().to_owned();

        let request = browser
            .client
            .get(app.url("/console/assets/console.css"))
            .header("if-none-match", &etag);
        let again = browser.send(request).await;
        assert_eq!(again.status, StatusCode::NOT_MODIFIED);

        let js = browser.get("/console/assets/console.js").await;
        assert_eq!(js.headers[CONTENT_TYPE], "text/javascript; charset=utf-8");

        let unknown = browser.get("/console/no-such-page").await;
        assert_eq!(unknown.status, StatusCode::NOT_FOUND, "{}", app.backend);
        let request = browser.client.delete(app.url("/console/dashboard"));
        let wrong_method = browser.send(request).await;
        assert_eq!(wrong_method.status, StatusCode::METHOD_NOT_ALLOWED);

        let missing = browser.get("/console/assets/nothing.css").await;
        assert_eq!(missing.status, StatusCode::NOT_FOUND);
        assert!(
            missing.body.contains("<h1>Page not found</h1>"),
            "{}",
            missing.body
        );
        let missing = browser.get("/console/assets/nothing.css?lang=sv").await;
        assert!(
            missing.body.contains("<h1>Sidan finns inte</h1>"),
            "{}",
            missing.body
        );
        assert!(missing.body.contains("<html lang=\"sv\">"));
        assert!(
            browser
                .set_cookies
                .iter()
                .any(|c| c.starts_with("skydd-lang=sv;")),
            "the language chosen is remembered"
        );
    })
    .await;
}

/// The password every test account gets.
pub(crate) const PASSWORD: &str = "correct horse battery staple";

/// A staff account made through the app (as `skydd user create` does).
pub(crate) async fn create_account(app: &TestApp, email: &str, role: StaffRole) {
    let new = NewAccount {
        email: StaffEmail::parse(email).unwrap(),
        role,
        password: PASSWORD.to_owned().into(),
    };
    let actor = Actor {
        id: "test".to_owned(),
        ip: None,
        tenant: None,
        sees_confidential: true,
    };
    app.app
        .staff()
        .create_account(new, &actor, app.now)
        .await
        .unwrap();
}

/// The text between `start` and the next `end` in `body`.
fn between<'b>(body: &'b str, start: &str, end: &str) -> &'b str {
    let from = body
        .find(start)
        .unwrap_or_else(|| panic!("no {start} in {body}"))
        + start.len();
    &body[from..from + body[from..].find(end).unwrap()]
}

/// The TOTP code `offset` steps after the test clock's step, for the key `base32` as the
/// enrolment page shows it (grouped in fours). The clock stands still, and a step's code is
/// accepted once: each sign-in of a test uses the next offset (at most 1, the window).
pub(crate) fn totp(app: &TestApp, base32: &str, offset: u64) -> String {
    let compact: String = base32.chars().filter(|c| !c.is_whitespace()).collect();
    let bytes = data_encoding::BASE32_NOPAD
        .decode(compact.as_bytes())
        .unwrap();
    let secret = TotpSecret::from_bytes(&bytes).unwrap();
    let step = skydd_crypto::totp::step_at(app.now.as_second()) + offset;
    secret.code_at_step(step).to_string()
}

impl Browser<'_> {
    /// Post the password form of a fresh sign-in page.
    pub(crate) async fn password(&mut self, email: &str, password: &str, next: &str) -> Page {
        let form = self
            .get(&format!("/console/sign-in?next={}", encode(next)))
            .await;
        assert_eq!(form.status, StatusCode::OK, "{}", form.body);
        let csrf = form.hidden("_csrf");
        self.post(
            "/console/sign-in",
            &[
                ("_csrf", &csrf),
                ("next", next),
                ("email", email),
                ("password", password),
            ],
        )
        .await
    }

    /// Sign in for the first time: password, enrolment with a code of the key shown. Returns
    /// the key (base32) and the recovery codes.
    pub(crate) async fn enrol(&mut self, email: &str) -> (String, Vec<String>) {
        let step = self.password(email, PASSWORD, "/console/dashboard").await;
        assert_eq!(step.status, StatusCode::SEE_OTHER, "{}", step.body);
        assert_eq!(step.location(), "/console/enrol?next=/console/dashboard");
        let enrol = self.get(step.location()).await;
        assert_eq!(enrol.status, StatusCode::OK, "{}", enrol.body);
        let key = between(
            &enrol.body,
            "<code class=\"secret\" id=\"secret\">",
            "</code>",
        )
        .to_owned();
        let code = totp(self.app, &key, 0);
        let csrf = enrol.hidden("_csrf");
        let done = self
            .post(
                "/console/enrol",
                &[
                    ("_csrf", &csrf),
                    ("next", "/console/dashboard"),
                    ("code", &code),
                ],
            )
            .await;
        assert_eq!(done.status, StatusCode::OK, "{}", done.body);
        let codes = done
            .body
            .split("<li><code>")
            .skip(1)
            .map(|item| item[..item.find("</code>").unwrap()].to_owned())
            .collect::<Vec<_>>();
        assert_eq!(codes.len(), 10, "{}", done.body);
        (key, codes)
    }

    /// A new account of `role`, signed in (enrolled). Returns its key.
    pub(crate) async fn signed_in_as(&mut self, email: &str, role: StaffRole) -> String {
        create_account(self.app, email, role).await;
        self.enrol(email).await.0
    }

    /// The CSRF token of the signed-in session (from the sign-out form of any page).
    pub(crate) async fn csrf(&mut self) -> String {
        self.get("/console/account").await.hidden("_csrf")
    }
}

/// The `Set-Cookie` header that set `name` last.
fn set_cookie<'b>(browser: &'b Browser<'_>, name: &str) -> &'b str {
    browser
        .set_cookies
        .iter()
        .rev()
        .find(|c| c.starts_with(&format!("{name}=")))
        .unwrap_or_else(|| panic!("no cookie {name}"))
}

#[tokio::test]
async fn signing_in_with_password_and_totp_end_to_end() {
    on_each_backend(async |app| {
        let backend = app.backend;
        create_account(app, "dpo@example.se", StaffRole::Dpo).await;
        let mut browser = Browser::new(app);

        // First sign-in: password, then enrolment, then the recovery codes, once.
        let page = browser.get("/console/account?state=open").await;
        assert_eq!(
            page.location(),
            "/console/sign-in?next=/console/account%3Fstate%3Dopen"
        );
        let step = browser
            .password("dpo@example.se", PASSWORD, "/console/dashboard")
            .await;
        assert_eq!(
            step.status,
            StatusCode::SEE_OTHER,
            "{backend}: {}",
            step.body
        );
        assert_eq!(step.location(), "/console/enrol?next=/console/dashboard");
        for cookie in ["__Host-skydd-session", "__Host-skydd-sign-in"] {
            let set = set_cookie(&browser, cookie);
            for attribute in ["; Path=/", "; Secure", "; HttpOnly", "; SameSite=Strict"] {
                assert!(set.contains(attribute), "{backend}: {attribute} in {set}");
            }
            assert!(!set.contains("Domain"), "{backend}: {set}");
        }
        let pending = browser.cookies["__Host-skydd-session"].clone();
        // A pending session opens no page.
        let page = browser.get("/console/dashboard").await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{backend}");

        let enrol = browser.get("/console/enrol?next=/console/dashboard").await;
        assert_eq!(enrol.status, StatusCode::OK, "{backend}");
        assert!(enrol.body.contains("otpauth://totp/Skydd:"), "{backend}");
        assert!(
            enrol.body.contains("<svg aria-hidden=\"true\""),
            "{backend}: the QR code"
        );
        let key = between(
            &enrol.body,
            "<code class=\"secret\" id=\"secret\">",
            "</code>",
        )
        .to_owned();
        assert!(
            key.split(' ').all(|group| group.len() <= 4),
            "{backend}: {key}"
        );
        let wrong = browser
            .post(
                "/console/enrol",
                &[("_csrf", &enrol.hidden("_csrf")), ("code", "000000")],
            )
            .await;
        assert_eq!(wrong.status, StatusCode::OK, "{backend}");
        assert!(
            wrong.body.contains("The code was not accepted"),
            "{backend}"
        );
        let key = between(
            &wrong.body,
            "<code class=\"secret\" id=\"secret\">",
            "</code>",
        )
        .to_owned();
        let code = totp(app, &key, 0);
        let done = browser
            .post(
                "/console/enrol",
                &[
                    ("_csrf", &wrong.hidden("_csrf")),
                    ("next", "/console/dashboard"),
                    ("code", &code),
                ],
            )
            .await;
        assert_eq!(done.status, StatusCode::OK, "{backend}: {}", done.body);
        assert!(done.body.contains("Your recovery codes"), "{backend}");
        let codes: Vec<String> = done
            .body
            .split("<li><code>")
            .skip(1)
            .map(|item| item[..item.find("</code>").unwrap()].to_owned())
            .collect();
        assert_eq!(codes.len(), 10, "{backend}");
        assert_ne!(
            browser.cookies["__Host-skydd-session"], pending,
            "{backend}: a new secret"
        );

        let home = browser.get("/console/dashboard").await;
        assert_eq!(home.status, StatusCode::OK, "{backend}: {}", home.body);
        assert!(
            home.body
                .contains("<strong>dpo@example.se</strong> (Data protection officer)"),
            "{backend}"
        );

        // Sign out: the cookie goes, the session ends (an old copy of the cookie opens nothing).
        let session = browser.cookies["__Host-skydd-session"].clone();
        let csrf = home.hidden("_csrf");
        let out = browser.post("/console/sign-out", &[("_csrf", &csrf)]).await;
        assert_eq!(out.location(), "/console/sign-in", "{backend}");
        assert!(
            !browser.cookies.contains_key("__Host-skydd-session"),
            "{backend}"
        );
        let signed_out = browser.get("/console/sign-in").await;
        assert!(signed_out.body.contains("You are signed out."), "{backend}");
        browser
            .cookies
            .insert("__Host-skydd-session".to_owned(), session);
        let page = browser.get("/console/dashboard").await;
        assert_eq!(
            page.status,
            StatusCode::SEE_OTHER,
            "{backend}: the session ended"
        );
        browser.cookies.remove("__Host-skydd-session");

        // Again, with a code of the app: back to the page asked for, with a message shown once.
        let step = browser
            .password("DPO@example.se ", PASSWORD, "/console/account")
            .await;
        assert_eq!(
            step.location(),
            "/console/sign-in/code?next=/console/account",
            "{backend}"
        );
        let form = browser.get(step.location()).await;
        let code = totp(app, &key, 1);
        let done = browser
            .post(
                "/console/sign-in/code",
                &[
                    ("_csrf", &form.hidden("_csrf")),
                    ("next", "/console/account"),
                    ("code", &code),
                ],
            )
            .await;
        assert_eq!(
            done.location(),
            "/console/account",
            "{backend}: {}",
            done.body
        );
        let account = browser.get("/console/account").await;
        assert!(account.body.contains("You are signed in."), "{backend}");
        let again = browser.get("/console/account").await;
        assert!(
            !again.body.contains("You are signed in."),
            "{backend}: shown once"
        );

        // Sign out everywhere; then a recovery code works once.
        let csrf = again.hidden("_csrf");
        let out = browser
            .post("/console/sign-out-everywhere", &[("_csrf", &csrf)])
            .await;
        assert_eq!(out.location(), "/console/sign-in", "{backend}");
        for (recovery, accepted) in [(&codes[0], true), (&codes[0], false)] {
            browser.cookies.remove("__Host-skydd-session");
            let step = browser
                .password("dpo@example.se", PASSWORD, "/console/dashboard")
                .await;
            let form = browser.get(step.location()).await;
            let answer = browser
                .post(
                    "/console/sign-in/code",
                    &[("_csrf", &form.hidden("_csrf")), ("code", recovery)],
                )
                .await;
            if accepted {
                assert_eq!(answer.location(), "/console/dashboard", "{backend}");
            } else {
                assert_eq!(answer.status, StatusCode::OK, "{backend}");
                assert!(
                    answer.body.contains("The code was not accepted"),
                    "{backend}"
                );
            }
        }

        // Nothing secret was logged: no address, password, key, code, cookie or token.
        let log = captured_log();
        let key_compact: String = key.chars().filter(|c| !c.is_whitespace()).collect();
        for secret in [
            "dpo@example.se",
            PASSWORD,
            key_compact.as_str(),
            codes[1].as_str(),
            pending.as_str(),
            csrf.as_str(),
        ] {
            assert!(!log.contains(secret), "{backend}: a secret in the log");
        }
    })
    .await;
}

#[tokio::test]
async fn wrong_passwords_lock_the_account_and_say_when_to_retry() {
    on_each_backend(async |app| {
        let backend = app.backend;
        create_account(app, "support@example.se", StaffRole::Support).await;
        let mut browser = Browser::new(app);
        let unknown = browser
            .password("nobody@example.se", PASSWORD, "/console")
            .await;
        let wrong = browser
            .password("support@example.se", "not the password!", "/console")
            .await;
        for page in [&unknown, &wrong] {
            assert_eq!(page.status, StatusCode::OK, "{backend}");
            assert!(
                page.body
                    .contains("The e-mail address or the password is not right."),
                "{backend}"
            );
            assert!(
                !page.body.contains("example.se"),
                "{backend}: nothing sent is repeated"
            );
        }
        for _ in 0..4 {
            browser
                .password("support@example.se", "not the password!", "/console")
                .await;
        }
        // Locked: even the right password is refused, with the time to try again.
        let locked = browser
            .password("support@example.se", PASSWORD, "/console")
            .await;
        assert!(
            locked
                .body
                .contains("the account is locked for now. Try again after 2026-03-01 10:0"),
            "{backend}: {}",
            locked.body
        );
        assert!(
            !browser.cookies.contains_key("__Host-skydd-session"),
            "{backend}"
        );
    })
    .await;
}

#[tokio::test]
async fn sign_in_posts_are_limited_per_address_and_per_account() {
    on_each_backend(async |app| {
        let backend = app.backend;
        let mut browser = Browser::new(app);
        // Per account: ten at once.
        for _ in 0..10 {
            let page = browser
                .password("victim@example.se", "guess guess guess", "/console")
                .await;
            assert_eq!(page.status, StatusCode::OK, "{backend}");
        }
        let limited = browser
            .password("victim@example.se", "guess guess guess", "/console")
            .await;
        assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS, "{backend}");
        assert_eq!(limited.headers["retry-after"], "60", "{backend}");
        assert!(limited.body.contains("Too many attempts"), "{backend}");
        // Per address: twenty at once, whichever accounts.
        for n in 0..9 {
            let page = browser
                .password(
                    &format!("user{n}@example.se"),
                    "guess guess guess",
                    "/console",
                )
                .await;
            assert_eq!(page.status, StatusCode::OK, "{backend}");
        }
        let limited = browser
            .password("other@example.se", "guess guess guess", "/console")
            .await;
        assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS, "{backend}");
        assert_eq!(limited.headers["retry-after"], "15", "{backend}");
    })
    .await;
}

/// Every console POST route, signed in as an admin (`{id}`: another account's id).
const POST_ROUTES: &[&str] = &[
    "/console/sign-out",
    "/console/sign-out-everywhere",
    "/console/account/password",
    "/console/accounts/new",
    "/console/accounts/{id}/disable",
    "/console/accounts/{id}/enable",
    "/console/accounts/{id}/reset-totp",
];

#[tokio::test]
async fn every_console_post_refuses_a_missing_or_wrong_token() {
    on_each_backend(async |app| {
        let backend = app.backend;
        let mut browser = Browser::new(app);
        browser
            .signed_in_as("admin@example.se", StaffRole::Admin)
            .await;
        create_account(app, "other@example.se", StaffRole::Auditor).await;
        let id = app
            .app
            .staff()
            .list_accounts()
            .await
            .unwrap()
            .into_iter()
            .find(|a| a.email.expose() == "other@example.se")
            .unwrap()
            .id;
        let csrf = browser.csrf().await;
        let last = if csrf.ends_with('0') { '1' } else { '0' };
        let wrong = format!("{}{last}", &csrf[..csrf.len() - 1]);
        for route in POST_ROUTES {
            let path = route.replace("{id}", id.as_str());
            let fields = [
                ("email", "new@example.se"),
                ("role", "dpo"),
                ("password", "a long new password 1"),
            ];
            let mut attempts = vec![
                ("no token", fields.to_vec(), None),
                (
                    "wrong token",
                    [&fields[..], &[("_csrf", wrong.as_str())]].concat(),
                    None,
                ),
                (
                    "another site",
                    [&fields[..], &[("_csrf", csrf.as_str())]].concat(),
                    Some("cross-site"),
                ),
            ];
            for (what, fields, site) in attempts.drain(..) {
                let mut request = browser
                    .client
                    .post(app.url(&path))
                    .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(serde_urlencoded_pairs(&fields));
                if let Some(site) = site {
                    request = request.header("sec-fetch-site", site);
                }
                let page = browser.send(request).await;
                assert_eq!(
                    page.status,
                    StatusCode::FORBIDDEN,
                    "{backend}: {route}, {what}"
                );
                assert!(
                    page.body.contains("The form has expired"),
                    "{backend}: {route}, {what}"
                );
            }
        }
        // Nothing changed: still signed in, no account made, the other account untouched.
        let accounts = app.app.staff().list_accounts().await.unwrap();
        assert_eq!(accounts.len(), 2, "{backend}");
        assert!(
            accounts
                .iter()
                .all(|a| a.state == skydd_staff::account::AccountState::Active)
        );
        assert_eq!(
            browser.get("/console/dashboard").await.status,
            StatusCode::OK,
            "{backend}"
        );

        // The sign-in forms refuse forged posts too.
        let mut stranger = Browser::new(app);
        let page = stranger
            .post(
                "/console/sign-in",
                &[("email", "admin@example.se"), ("password", PASSWORD)],
            )
            .await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{backend}");
    })
    .await;
}

#[tokio::test]
async fn a_role_without_the_permission_gets_a_403_page() {
    on_each_backend(async |app| {
        let backend = app.backend;
        let mut browser = Browser::new(app);
        browser
            .signed_in_as("auditor@example.se", StaffRole::Auditor)
            .await;
        let home = browser.get("/console/dashboard?lang=en").await;
        // The audit trail names the staff member by account and session.
        let entries = app.get_ok("/v1/audit?limit=100").await;
        assert!(
            entries.to_string().contains("account:"),
            "{backend}: {entries}"
        );
        assert!(
            !home.body.contains("href=\"/console/accounts\""),
            "{backend}: no link"
        );
        assert!(home.body.contains("href=\"/console/audit\""), "{backend}");
        for path in ["/console/accounts", "/console/accounts/new"] {
            let page = browser.get(path).await;
            assert_eq!(page.status, StatusCode::FORBIDDEN, "{backend}: {path}");
            assert!(
                page.body.contains("<h1>Not allowed</h1>"),
                "{backend}: {path}"
            );
        }
        let csrf = browser.csrf().await;
        let page = browser
            .post(
                "/console/accounts/new",
                &[
                    ("_csrf", &csrf),
                    ("email", "x@example.se"),
                    ("role", "admin"),
                ],
            )
            .await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{backend}");
        assert_eq!(
            app.app.staff().list_accounts().await.unwrap().len(),
            1,
            "{backend}"
        );
    })
    .await;
}

/// `body` with what changes from run to run replaced: CSRF tokens, account ids, asset
/// versions, passwords made.
fn redacted(body: &str) -> String {
    let mut out = String::with_capacity(body.len());
    let mut rest = body;
    while let Some(index) = rest.find("name=\"_csrf\" value=\"") {
        let start = index + "name=\"_csrf\" value=\"".len();
        out.push_str(&rest[..start]);
        out.push_str("[csrf]");
        rest = &rest[start + rest[start..].find('"').unwrap()..];
    }
    out.push_str(rest);
    let mut body = out;
    for marker in ["?v=", "/console/accounts/"] {
        let mut out = String::new();
        let mut rest = body.as_str();
        while let Some(index) = rest.find(marker) {
            let start = index + marker.len();
            out.push_str(&rest[..start]);
            let len = rest[start..]
                .find(|c: char| !c.is_ascii_hexdigit())
                .unwrap_or(rest.len() - start);
            if len >= 16 {
                out.push_str("[id]");
            } else {
                out.push_str(&rest[start..start + len]);
            }
            rest = &rest[start + len..];
        }
        out.push_str(rest);
        body = out;
    }
    body
}

#[tokio::test]
async fn sign_in_and_accounts_pages_in_english_and_swedish() {
    on_each_backend(async |app| {
        let backend = app.backend;
        let mut browser = Browser::new(app);
        for lang in ["en", "sv"] {
            let page = browser.get(&format!("/console/sign-in?lang={lang}")).await;
            if backend == "sqlite" {
                insta::assert_snapshot!(format!("console_sign_in_{lang}"), redacted(&page.body));
            }
        }
        browser.get("/console/sign-in?lang=en").await;
        browser
            .signed_in_as("admin@example.se", StaffRole::Admin)
            .await;
        create_account(app, "dpo@example.se", StaffRole::Dpo).await;

        // A new account with a password made and shown once.
        let csrf = browser.csrf().await;
        let created = browser
            .post(
                "/console/accounts/new",
                &[
                    ("_csrf", &csrf),
                    ("email", "support at example.se"),
                    ("role", "support"),
                ],
            )
            .await;
        assert!(
            created.body.contains("This is not an e-mail address."),
            "{backend}"
        );
        let created = browser
            .post(
                "/console/accounts/new",
                &[
                    ("_csrf", &csrf),
                    ("email", "support@example.se"),
                    ("role", "support"),
                    ("password", ""),
                ],
            )
            .await;
        assert_eq!(
            created.status,
            StatusCode::OK,
            "{backend}: {}",
            created.body
        );
        let made = between(&created.body, "<code class=\"secret\">", "</code>").to_owned();
        assert!(made.len() >= 16, "{backend}");
        // P000-63: support reads personal data and no privacy training is recorded.
        assert!(
            created
                .body
                .contains("no privacy training is recorded for this person"),
            "{backend}"
        );
        let duplicate = browser
            .post(
                "/console/accounts/new",
                &[
                    ("_csrf", &csrf),
                    ("email", "support@example.se"),
                    ("role", "dpo"),
                    ("password", "another long password 2"),
                ],
            )
            .await;
        assert!(duplicate.body.contains("exists already"), "{backend}");
        let mut support = Browser::new(app);
        let step = support
            .password("support@example.se", &made, "/console/dashboard")
            .await;
        assert_eq!(
            step.location(),
            "/console/enrol?next=/console/dashboard",
            "{backend}"
        );

        // Disable, enable, reset: each said once, each refused on one's own account.
        let dpo = app
            .app
            .staff()
            .list_accounts()
            .await
            .unwrap()
            .into_iter()
            .find(|a| a.email.expose() == "dpo@example.se")
            .unwrap()
            .id;
        for (action, message) in [
            ("disable", "The account is disabled"),
            ("enable", "The account is enabled"),
        ] {
            let done = browser
                .post(
                    &format!("/console/accounts/{dpo}/{action}"),
                    &[("_csrf", &csrf)],
                )
                .await;
            assert_eq!(done.location(), "/console/accounts", "{backend}");
            let list = browser.get("/console/accounts").await;
            assert!(list.body.contains(message), "{backend}: {action}");
        }

        // P000-63: a privacy training recorded from the list; a day not yet come is refused.
        for (day, message) in [
            ("2026-03-05", "The training was not recorded"),
            ("2026-01-15", "The training is recorded."),
        ] {
            let done = browser
                .post(
                    &format!("/console/accounts/{dpo}/training"),
                    &[
                        ("_csrf", &csrf),
                        ("completed_on", day),
                        ("course", "GDPR basics 2026"),
                    ],
                )
                .await;
            assert_eq!(done.location(), "/console/accounts", "{backend}");
            let list = browser.get("/console/accounts").await;
            assert!(list.body.contains(message), "{backend}: {day}");
        }
        let list = browser.get("/console/accounts").await;
        assert!(list.body.contains("15 January 2026"), "{backend}");

        for lang in ["en", "sv"] {
            let list = browser.get(&format!("/console/accounts?lang={lang}")).await;
            assert_eq!(list.status, StatusCode::OK, "{backend}");
            let new = browser.get("/console/accounts/new").await;
            if backend == "sqlite" {
                insta::assert_snapshot!(format!("console_accounts_{lang}"), redacted(&list.body));
                insta::assert_snapshot!(
                    format!("console_accounts_new_{lang}"),
                    redacted(&new.body)
                );
            }
        }
        let log = captured_log();
        assert!(
            !log.contains(&made),
            "{backend}: the password made is not logged"
        );
        assert!(!log.contains("support@example.se"), "{backend}");
    })
    .await;
}

#[tokio::test]
async fn changing_your_password_needs_the_current_one() {
    on_each_backend(async |app| {
        let backend = app.backend;
        let mut browser = Browser::new(app);
        browser
            .signed_in_as("pw.change@example.se", StaffRole::Support)
            .await;
        let csrf = browser.csrf().await;
        let new = "a much longer new passphrase";
        let wrong = browser
            .post(
                "/console/account/password",
                &[
                    ("_csrf", &csrf),
                    ("current", "not the password"),
                    ("password", new),
                    ("repeat", new),
                ],
            )
            .await;
        assert_eq!(wrong.status, StatusCode::OK, "{backend}");
        assert!(
            wrong.body.contains("The current password was not accepted"),
            "{backend}: {}",
            wrong.body
        );
        assert!(!wrong.body.contains("not the password"), "{backend}");
        // Still the old password: the refused change changed nothing.
        let mut other = Browser::new(app);
        let step = other
            .password("pw.change@example.se", PASSWORD, "/console/dashboard")
            .await;
        assert_eq!(step.status, StatusCode::SEE_OTHER, "{backend}");
        assert!(
            step.location().starts_with("/console/sign-in/code"),
            "{backend}"
        );

        let done = browser
            .post(
                "/console/account/password",
                &[
                    ("_csrf", &csrf),
                    ("current", PASSWORD),
                    ("password", new),
                    ("repeat", new),
                ],
            )
            .await;
        assert_eq!(
            done.status,
            StatusCode::SEE_OTHER,
            "{backend}: {}",
            done.body
        );
        let mut again = Browser::new(app);
        let step = again
            .password("pw.change@example.se", new, "/console/dashboard")
            .await;
        assert_eq!(step.status, StatusCode::SEE_OTHER, "{backend}");
        assert!(
            step.location().starts_with("/console/sign-in/code"),
            "{backend}"
        );
    })
    .await;
}
