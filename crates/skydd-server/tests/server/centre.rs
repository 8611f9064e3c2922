//! The privacy centre from a person's browser (issue 18): sign in with the code from the
//! outbox or the magic link, the personal page, a download, a consent withdrawn, an erasure
//! asked for and its status; the same answer for an unknown person; forms refused without
//! their token or from another site; the cookies' flags; the abuse limits; and no identity
//! value in the log.

use reqwest::StatusCode;
use reqwest::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE, COOKIE, RETRY_AFTER};
use serde_json::{Value, json};
use skydd_vault::Actor;

use super::console::{Browser, Page};
use super::{TestApp, captured_log, on_each_backend};

const KARIN: &str = "karin.centre@example.se";

/// Karin: a subject with contact details and a newsletter consent.
async fn karin(app: &TestApp) -> String {
    let id = app.create_subject(json!({"email": KARIN})).await;
    app.create_record(
        &id,
        json!({
            "category": "contact",
            "fields": {"name": "Karin Centerström", "email": KARIN},
            "source": "data_subject",
            "purpose": "delivery",
        }),
    )
    .await;
    app.post_ok(
        "/v1/consents",
        json!({"subject": id, "purpose": "newsletter", "granted": true, "method": "web_form"}),
        StatusCode::CREATED,
    )
    .await;
    id
}

/// The messages queued to `to`, oldest first (decrypted, as the operator sees them).
async fn messages_to(app: &TestApp, to: &str) -> Vec<skydd_vault::OutboxView> {
    let mut messages: Vec<_> = app
        .app
        .vault()
        .outbox(&Actor::new("test"), None, app.now)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.to == to)
        .collect();
    messages.sort_by_key(|m| m.created_at);
    messages
}

/// The code (the first run of 6 to 10 digits) and the magic link's path in a message's text.
fn code_and_link(text: &str) -> (String, String) {
    let code = text
        .split(|c: char| !c.is_ascii_digit())
        .find(|run| (6..=10).contains(&run.len()))
        .unwrap_or_else(|| panic!("no code in the message"))
        .to_owned();
    let start = text
        .find("/privacy-centre/link/")
        .unwrap_or_else(|| panic!("no link in the message"));
    let link = text[start..]
        .split(|c: char| c.is_whitespace() || c == '>' || c == ')')
        .next()
        .unwrap()
        .to_owned();
    (code, link)
}

/// Sign in to the centre as `email` (intent `intent`) up to the code page; the page's path.
async fn ask_for_code(browser: &mut Browser<'_>, email: &str, intent: &str) -> String {
    let start = browser.get("/privacy-centre").await;
    assert_eq!(start.status, StatusCode::OK, "{}", start.body);
    let csrf = start.hidden("_csrf");
    let sent = browser
        .post(
            "/privacy-centre/sign-in",
            &[
                ("_csrf", &csrf),
                ("intent", intent),
                ("email", email),
                ("phone", ""),
            ],
        )
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    let location = sent.location().to_owned();
    assert!(
        location.starts_with("/privacy-centre/verify/"),
        "{location}"
    );
    location
}

/// Type `code` on the code page at `path`.
async fn type_code(browser: &mut Browser<'_>, path: &str, code: &str) -> Page {
    let page = browser.get(path).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let csrf = page.hidden("_csrf");
    browser
        .post(path, &[("_csrf", &csrf), ("code", code)])
        .await
}

/// GET `path` with the browser's cookies, without the page checks (a download has its own
/// policy).
async fn fetch(app: &TestApp, browser: &Browser<'_>, path: &str) -> reqwest::Response {
    let cookie = browser
        .cookies
        .iter()
        .map(|(name, value)| format!("{name}={value}"))
        .collect::<Vec<_>>()
        .join("; ");
    app.client
        .get(app.url(path))
        .header(COOKIE, cookie)
        .send()
        .await
        .unwrap()
}

/// Every `Set-Cookie` of the centre is `__Host-`, HttpOnly, Secure and SameSite=Lax.
fn assert_cookie_flags(browser: &Browser<'_>, backend: &str) {
    let centre: Vec<&String> = browser
        .set_cookies
        .iter()
        .filter(|c| c.starts_with("__Host-skydd-centre"))
        .collect();
    assert!(centre.len() >= 3, "{backend}: {centre:?}");
    for cookie in centre {
        for flag in ["; Path=/", "; Secure", "; HttpOnly", "; SameSite=Lax"] {
            assert!(cookie.contains(flag), "{backend}: {cookie} lacks {flag}");
        }
        assert!(!cookie.contains("Domain"), "{backend}: {cookie}");
    }
}

#[tokio::test]
async fn a_person_signs_in_with_the_code_sees_downloads_withdraws_and_asks_for_erasure() {
    on_each_backend(async |app| {
        let backend = app.backend;
        let subject = karin(app).await;
        let mut browser = Browser::new(app);

        let verify = ask_for_code(&mut browser, KARIN, "overview").await;
        let messages = messages_to(app, KARIN).await;
        assert_eq!(messages.len(), 1, "{backend}: one message with the code");
        let (code, _) = code_and_link(&messages[0].text);
        let opened = type_code(&mut browser, &verify, &code).await;
        assert_eq!(
            opened.status,
            StatusCode::SEE_OTHER,
            "{backend}: {}",
            opened.body
        );
        assert_eq!(opened.location(), "/privacy-centre/me");
        assert_cookie_flags(&browser, backend);
        assert!(
            !browser.cookies.contains_key("__Host-skydd-centre-browser"),
            "{backend}: the browser cookie is spent"
        );

        // The personal page: the data, the consent, no-store.
        let me = browser.get("/privacy-centre/me").await;
        assert_eq!(me.status, StatusCode::OK, "{backend}: {}", me.body);
        assert_eq!(me.headers[CACHE_CONTROL], "no-store");
        assert_eq!(me.headers["referrer-policy"], "same-origin");
        assert!(me.body.contains("Karin Centerström"), "{backend}");
        assert!(me.body.contains("Contact details"), "{backend}");
        assert!(me.body.contains("I want the newsletter."), "{backend}");
        let csrf = me.hidden("_csrf");

        // Download the data as JSON and as a readable page.
        let json_file = fetch(app, &browser, "/privacy-centre/me/download/json").await;
        assert_eq!(json_file.status(), StatusCode::OK, "{backend}");
        assert!(
            json_file.headers()[CONTENT_DISPOSITION]
                .to_str()
                .unwrap()
                .starts_with("attachment; filename=\""),
            "{backend}"
        );
        assert_eq!(json_file.headers()[CACHE_CONTROL], "no-store");
        let package: Value = json_file.json().await.unwrap();
        assert!(
            package.to_string().contains("Karin Centerström"),
            "{backend}"
        );
        let html_file = fetch(app, &browser, "/privacy-centre/me/download/html").await;
        assert_eq!(html_file.status(), StatusCode::OK, "{backend}");
        assert!(
            html_file.headers()[CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("text/html"),
            "{backend}"
        );

        // Withdraw the consent with one click.
        let withdrawn = browser
            .post(
                "/privacy-centre/me/consents/withdraw",
                &[("_csrf", &csrf), ("purpose", "newsletter")],
            )
            .await;
        assert_eq!(
            withdrawn.status,
            StatusCode::SEE_OTHER,
            "{backend}: {}",
            withdrawn.body
        );
        let consents = app
            .get_ok(&format!("/v1/subjects/{subject}/consents"))
            .await;
        assert!(
            consents.to_string().contains("\"granted\":false"),
            "{backend}: {consents}"
        );
        let me = browser.get("/privacy-centre/me").await;
        assert!(
            me.body.contains("Your consent is withdrawn"),
            "{backend}: the flash"
        );

        // Ask for erasure: refused without the confirmation, then received with it.
        let form = browser.get("/privacy-centre/me/ask/erasure").await;
        assert_eq!(form.status, StatusCode::OK, "{backend}: {}", form.body);
        let unconfirmed = browser
            .post(
                "/privacy-centre/me/requests",
                &[("_csrf", &csrf), ("type", "erasure"), ("message", "")],
            )
            .await;
        assert_eq!(
            unconfirmed.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{backend}"
        );
        assert!(unconfirmed.body.contains("Tick the box"), "{backend}");
        let asked = browser
            .post(
                "/privacy-centre/me/requests",
                &[("_csrf", &csrf), ("type", "erasure"), ("confirm", "yes")],
            )
            .await;
        assert_eq!(
            asked.status,
            StatusCode::SEE_OTHER,
            "{backend}: {}",
            asked.body
        );
        let receipt_path = asked.location().to_owned();
        assert!(
            receipt_path.starts_with("/privacy-centre/me/requests/"),
            "{receipt_path}"
        );
        let receipt = browser.get(&receipt_path).await;
        assert_eq!(
            receipt.status,
            StatusCode::OK,
            "{backend}: {}",
            receipt.body
        );
        assert!(
            receipt.body.contains("Your request is received"),
            "{backend}"
        );
        assert!(receipt.body.contains("Erasure"), "{backend}");
        assert!(
            receipt.body.contains("Confirmation of receipt"),
            "{backend}: the letter"
        );
        // Received 2026-03-01: due one month later, a Stockholm date.
        assert!(receipt.body.contains("2026"), "{backend}: {}", receipt.body);
        let me = browser.get("/privacy-centre/me").await;
        assert!(
            me.body.contains(&receipt_path),
            "{backend}: the request is listed"
        );

        // Sign out: the session is gone.
        let out = browser
            .post("/privacy-centre/sign-out", &[("_csrf", &csrf)])
            .await;
        assert_eq!(out.status, StatusCode::SEE_OTHER, "{backend}");
        browser
            .cookies
            .insert("__Host-skydd-centre".into(), "x".repeat(43));
        let after = browser.get("/privacy-centre/me").await;
        assert_eq!(after.status, StatusCode::SEE_OTHER, "{backend}");
        assert_eq!(after.location(), "/privacy-centre");
    })
    .await;
}

/// POST an identity document as a browser's upload form does (`multipart/form-data`).
async fn upload(
    app: &TestApp,
    browser: &Browser<'_>,
    path: &str,
    csrf: &str,
    document: &[u8],
) -> reqwest::Response {
    let boundary = "----CentreTestBoundary7MA4YWxkTrZu0gW";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n{csrf}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"document\"; filename=\"id.pdf\"\r\n\
         Content-Type: application/pdf\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(document);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let cookie = browser
        .cookies
        .iter()
        .map(|(name, value)| format!("{name}={value}"))
        .collect::<Vec<_>>()
        .join("; ");
    // As the browser sends it, without following the answer's redirect.
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    client
        .post(app.url(path))
        .header(COOKIE, cookie)
        .header("sec-fetch-site", "same-origin")
        .header(
            CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .unwrap()
}

/// An identity document reaches a request through the upload form: 10 MiB get through, one
/// byte more is the 413 page, a file that is no PDF, JPEG or PNG is refused whatever it is
/// called, and a form without its token changes nothing.
#[tokio::test]
async fn a_document_of_up_to_10_mib_is_uploaded_to_a_request() {
    on_each_backend(async |app| {
        let backend = app.backend;
        karin(app).await;
        let mut browser = Browser::new(app);
        let verify = ask_for_code(&mut browser, KARIN, "overview").await;
        let (code, _) = code_and_link(&messages_to(app, KARIN).await[0].text);
        type_code(&mut browser, &verify, &code).await;
        let csrf = browser.get("/privacy-centre/me").await.hidden("_csrf");
        let asked = browser
            .post(
                "/privacy-centre/me/requests",
                &[("_csrf", &csrf), ("type", "access")],
            )
            .await;
        assert_eq!(
            asked.status,
            StatusCode::SEE_OTHER,
            "{backend}: {}",
            asked.body
        );
        let request = asked.location().to_owned();
        let target = format!("{request}/document");

        let max = skydd_vault::MAX_DOCUMENT_BYTES;
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        png.resize(max, 0);
        let forged = upload(app, &browser, &target, "forged", &png).await;
        assert_eq!(forged.status(), StatusCode::FORBIDDEN, "{backend}");
        let stored = upload(app, &browser, &target, &csrf, &png).await;
        assert_eq!(
            stored.status(),
            StatusCode::SEE_OTHER,
            "{backend}: 10 MiB get through"
        );
        assert_eq!(stored.headers()["location"], request.as_str());
        let flash = stored.headers()["set-cookie"].to_str().unwrap();
        assert!(
            flash.contains("centre.flash.uploaded"),
            "{backend}: {flash}"
        );
        png.push(0);
        let too_large = upload(app, &browser, &target, &csrf, &png).await;
        assert_eq!(
            too_large.status(),
            StatusCode::PAYLOAD_TOO_LARGE,
            "{backend}"
        );
        assert!(
            too_large
                .text()
                .await
                .unwrap()
                .contains("The file is too large")
        );
        let text = upload(app, &browser, &target, &csrf, b"not a passport").await;
        assert_eq!(
            text.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{backend}: by content"
        );
    })
    .await;
}

#[tokio::test]
async fn the_magic_link_works_only_in_the_browser_that_asked() {
    on_each_backend(async |app| {
        let backend = app.backend;
        karin(app).await;
        let mut asking = Browser::new(app);
        ask_for_code(&mut asking, KARIN, "erasure").await;
        let (_, link) = code_and_link(&messages_to(app, KARIN).await[0].text);

        // Another browser (a phone's mail app): refused, and told what to do.
        let mut other = Browser::new(app);
        let refused = other.get(&link).await;
        assert_eq!(
            refused.status,
            StatusCode::FORBIDDEN,
            "{backend}: {}",
            refused.body
        );
        assert!(
            refused.body.contains("browser where you asked"),
            "{backend}"
        );
        assert!(
            !other.cookies.contains_key("__Host-skydd-centre"),
            "{backend}"
        );

        // The browser that asked: in, on to the form of the request it came for.
        let opened = asking.get(&link).await;
        assert_eq!(
            opened.status,
            StatusCode::SEE_OTHER,
            "{backend}: {}",
            opened.body
        );
        assert_eq!(opened.location(), "/privacy-centre/me/ask/erasure");
        let form = asking.get("/privacy-centre/me/ask/erasure").await;
        assert_eq!(form.status, StatusCode::OK, "{backend}");
        // Used once.
        let again = asking.get(&link).await;
        assert_ne!(again.status, StatusCode::SEE_OTHER, "{backend}: single use");
    })
    .await;
}

#[tokio::test]
async fn an_unknown_person_gets_the_same_answer_and_no_message() {
    on_each_backend(async |app| {
        let backend = app.backend;
        karin(app).await;
        let mut known = Browser::new(app);
        let known_page = ask_for_code(&mut known, KARIN, "overview").await;
        let mut unknown = Browser::new(app);
        let unknown_page = ask_for_code(&mut unknown, "nobody.centre@example.se", "overview").await;
        let (a, b) = (
            known.get(&known_page).await,
            unknown.get(&unknown_page).await,
        );
        assert_eq!(a.status, b.status, "{backend}");
        let without = |page: &Page, path: &str| {
            page.body
                .replace(
                    path.trim_start_matches("/privacy-centre/verify/"),
                    "[challenge]",
                )
                .replace(&page.hidden("_csrf"), "[csrf]")
        };
        assert_eq!(
            without(&a, &known_page),
            without(&b, &unknown_page),
            "{backend}"
        );
        assert!(
            messages_to(app, "nobody.centre@example.se")
                .await
                .is_empty(),
            "{backend}: nothing is sent to an unknown address"
        );
        // A code guessed for the unknown person's challenge opens nothing.
        let guessed = type_code(&mut unknown, &unknown_page, "12345678").await;
        assert_eq!(
            guessed.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{backend}"
        );
    })
    .await;
}

#[tokio::test]
async fn wrong_codes_are_counted_and_forms_without_their_token_refused() {
    on_each_backend(async |app| {
        let backend = app.backend;
        karin(app).await;
        let mut browser = Browser::new(app);

        // The start form without its token, or from another site.
        let start = browser.get("/privacy-centre").await;
        let csrf = start.hidden("_csrf");
        for fields in [
            vec![("intent", "overview"), ("email", KARIN)],
            vec![
                ("_csrf", "forged"),
                ("intent", "overview"),
                ("email", KARIN),
            ],
        ] {
            let refused = browser.post("/privacy-centre/sign-in", &fields).await;
            assert_eq!(refused.status, StatusCode::FORBIDDEN, "{backend}");
        }
        let cross_site = app
            .client
            .post(app.url("/privacy-centre/sign-in"))
            .header("sec-fetch-site", "cross-site")
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(COOKIE, format!("__Host-skydd-centre-form={csrf}"))
            .body(format!("_csrf={csrf}&intent=overview&email=karin"))
            .send()
            .await
            .unwrap();
        assert_eq!(cross_site.status(), StatusCode::FORBIDDEN, "{backend}");
        assert!(
            messages_to(app, KARIN).await.is_empty(),
            "{backend}: nothing sent"
        );

        // Nothing typed: the form again, saying what to give.
        let empty = browser
            .post(
                "/privacy-centre/sign-in",
                &[
                    ("_csrf", &csrf),
                    ("intent", "overview"),
                    ("email", " "),
                    ("phone", ""),
                ],
            )
            .await;
        assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY, "{backend}");
        assert!(
            empty
                .body
                .contains("Give your e-mail address or your phone number.")
        );

        // A wrong code says how many attempts are left; the right one still works after it.
        let verify = ask_for_code(&mut browser, KARIN, "overview").await;
        let wrong = type_code(&mut browser, &verify, "00000000").await;
        assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY, "{backend}");
        assert!(
            wrong.body.contains("attempts left: 4"),
            "{backend}: {}",
            wrong.body
        );
        let (code, _) = code_and_link(&messages_to(app, KARIN).await[0].text);
        let opened = type_code(&mut browser, &verify, &code).await;
        assert_eq!(opened.status, StatusCode::SEE_OTHER, "{backend}");

        // A signed-in form with a wrong token changes nothing.
        let me = browser.get("/privacy-centre/me").await;
        assert_eq!(me.status, StatusCode::OK, "{backend}");
        let refused = browser
            .post(
                "/privacy-centre/me/consents/withdraw",
                &[("_csrf", "forged"), ("purpose", "newsletter")],
            )
            .await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{backend}");
        let me = browser.get("/privacy-centre/me").await;
        assert!(
            me.body.contains("Withdraw consent"),
            "{backend}: still given"
        );
    })
    .await;
}

#[tokio::test]
async fn sign_ins_are_limited_per_identity_with_retry_after() {
    on_each_backend(async |app| {
        let backend = app.backend;
        karin(app).await;
        let mut browser = Browser::new(app);
        let csrf = browser.get("/privacy-centre").await.hidden("_csrf");
        let mut statuses = Vec::new();
        for _ in 0..6 {
            let page = browser
                .post(
                    "/privacy-centre/sign-in",
                    &[("_csrf", &csrf), ("intent", "overview"), ("email", KARIN)],
                )
                .await;
            if page.status == StatusCode::TOO_MANY_REQUESTS {
                assert!(page.headers.contains_key(RETRY_AFTER), "{backend}");
                assert!(page.body.contains("Too many attempts"), "{backend}");
            }
            statuses.push(page.status);
        }
        assert_eq!(
            statuses
                .iter()
                .filter(|s| **s == StatusCode::SEE_OTHER)
                .count(),
            3,
            "{backend}: three messages at most: {statuses:?}"
        );
        assert_eq!(messages_to(app, KARIN).await.len(), 3, "{backend}");
    })
    .await;
}

#[tokio::test]
async fn the_brand_and_the_pages_around_it() {
    on_each_backend(async |app| {
        let backend = app.backend;
        let mut browser = Browser::new(app);
        let start = browser.get("/privacy-centre?lang=sv").await;
        assert_eq!(start.status, StatusCode::OK, "{backend}");
        assert!(start.body.contains("<html lang=\"sv\">"), "{backend}");
        assert!(
            start.body.contains("Exempel AB"),
            "{backend}: the controller's name by default"
        );
        let sheet = start
            .body
            .split("href=\"/privacy-centre/style.css")
            .nth(1)
            .unwrap();
        let sheet = format!(
            "/privacy-centre/style.css{}",
            &sheet[..sheet.find('"').unwrap()]
        );
        let css = app.client.get(app.url(&sheet)).send().await.unwrap();
        assert_eq!(css.status(), StatusCode::OK, "{backend}");
        assert!(
            css.headers()[CACHE_CONTROL]
                .to_str()
                .unwrap()
                .contains("immutable")
        );
        assert!(css.text().await.unwrap().contains("--brand: #12355b"));
        // No logo is set: none is served.
        let logo = app
            .client
            .get(app.url("/privacy-centre/logo"))
            .send()
            .await
            .unwrap();
        assert_eq!(logo.status(), StatusCode::NOT_FOUND, "{backend}");
        // Unknown paths are the centre's own 404 page.
        let missing = browser.get("/privacy-centre/nowhere").await;
        assert_eq!(missing.status, StatusCode::NOT_FOUND, "{backend}");
        assert!(
            missing.body.contains("privacy centre") || missing.body.contains("integritetscentret")
        );
        // The personal page without a session: back to the start.
        let me = browser.get("/privacy-centre/me").await;
        assert_eq!(me.status, StatusCode::SEE_OTHER, "{backend}");
        // The public notice links to the centre.
        let notice = app.get("/privacy", None).await.text().await.unwrap();
        assert!(
            notice.contains("href=\"/privacy-centre?lang=en\""),
            "{backend}"
        );
    })
    .await;
}

#[tokio::test]
async fn no_identity_value_or_code_reaches_the_log() {
    on_each_backend(async |app| {
        let backend = app.backend;
        karin(app).await;
        let mut browser = Browser::new(app);
        let verify = ask_for_code(&mut browser, KARIN, "overview").await;
        let (code, link) = code_and_link(&messages_to(app, KARIN).await[0].text);
        type_code(&mut browser, &verify, "99999999").await;
        type_code(&mut browser, &verify, &code).await;
        browser.get("/privacy-centre/me").await;
        let mut stranger = Browser::new(app);
        ask_for_code(&mut stranger, "stranger.centre@example.se", "overview").await;
        let log = captured_log();
        let token = link.trim_start_matches("/privacy-centre/link/");
        for secret in [
            KARIN,
            "stranger.centre@example.se",
            "Karin Centerström",
            &code,
            token,
        ] {
            assert!(
                !log.contains(secret),
                "{backend}: the log holds a personal value or secret"
            );
        }
        assert!(
            log.contains("/privacy-centre"),
            "{backend}: requests were logged"
        );
    })
    .await;
}

/// The company's name, logo and colour (`--brand-*`) and its public URL (`--public-url`): the
/// name and logo in the header, the colour in the style sheet, the logo served with its own
/// type and a policy that lets an SVG run nothing, and the magic link in the message starting
/// with the public URL.
#[tokio::test]
async fn the_company_brand_and_public_url_are_used() {
    use skydd_app::site::{Brand, Colour, Logo, PublicSite};
    let svg = br#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><rect width="10" height="10"/></svg>"#;
    for backend in super::backends() {
        let app = super::spawn_app_configured(
            &backend,
            "2026-03-01T09:00:00Z".parse().unwrap(),
            &skydd_storage::OpenOptions::default(),
            tempfile::tempdir().unwrap(),
            super::TEST_REGISTER,
            skydd_app::datasets::Datasets::default(),
            |app, _| {
                app.with_site(PublicSite {
                    url: Some("https://privacy.exempel.example".into()),
                    brand: Brand {
                        name: Some("Exempel Moln".into()),
                        logo: Some(Logo::from_bytes(svg.to_vec()).unwrap()),
                        colour: Some(Colour::parse("#ffe066").unwrap()),
                    },
                    allowed_origins: Vec::new(),
                })
            },
        )
        .await;
        let backend = app.backend;
        karin(&app).await;
        let mut browser = Browser::new(&app);
        let start = browser.get("/privacy-centre").await;
        assert!(
            start
                .body
                .contains("Exempel Moln<span>Privacy centre</span>"),
            "{backend}"
        );
        let logo_at = start
            .body
            .split("<img class=\"logo\" src=\"")
            .nth(1)
            .unwrap();
        let logo_at = &logo_at[..logo_at.find('"').unwrap()];
        assert!(
            logo_at.starts_with("/privacy-centre/logo?v="),
            "{backend}: {logo_at}"
        );

        let logo = app.client.get(app.url(logo_at)).send().await.unwrap();
        assert_eq!(logo.status(), StatusCode::OK, "{backend}");
        assert_eq!(logo.headers()[CONTENT_TYPE], "image/svg+xml");
        assert_eq!(logo.headers()["x-content-type-options"], "nosniff");
        assert_eq!(
            logo.headers()["content-security-policy"],
            "default-src 'none'; style-src 'unsafe-inline'; sandbox"
        );
        assert_eq!(logo.bytes().await.unwrap().as_ref(), svg.as_slice());

        let sheet = start
            .body
            .split("href=\"/privacy-centre/style.css")
            .nth(1)
            .unwrap();
        let sheet = format!(
            "/privacy-centre/style.css{}",
            &sheet[..sheet.find('"').unwrap()]
        );
        let css = app.client.get(app.url(&sheet)).send().await.unwrap();
        let css = css.text().await.unwrap();
        assert!(
            css.contains("--brand: #ffe066; --on-brand: #000000; --brand-text: #12355b;"),
            "{backend}: a light colour gets dark text"
        );

        ask_for_code(&mut browser, KARIN, "overview").await;
        let text = &messages_to(&app, KARIN).await[0].text;
        assert!(
            text.contains("https://privacy.exempel.example/privacy-centre/link/"),
            "{backend}: the link starts with the public URL"
        );
        app.stop().await;
    }
}

#[tokio::test]
async fn p001_33_a_correction_asked_for_in_the_centre_is_applied_audited_and_kept_in_the_history() {
    // P001-33: "log on to ... verify the information ... and in most cases change" it. In the
    // privacy centre the person proposes the correction; once applied it is a rectification in
    // the audit trail (field names, never values), and the page shows the new value and, in
    // the history, the one it replaced. (Deleting, the promise's other half, is the centre's
    // erasure request: a_person_signs_in_with_the_code_sees_downloads_withdraws_and_asks_for_erasure.)
    on_each_backend(async |app| {
        let backend = app.backend;
        let subject = karin(app).await;
        let mut browser = Browser::new(app);
        let verify = ask_for_code(&mut browser, KARIN, "overview").await;
        let (code, _) = code_and_link(&messages_to(app, KARIN).await[0].text);
        type_code(&mut browser, &verify, &code).await;
        let me = browser.get("/privacy-centre/me").await;
        let csrf = me.hidden("_csrf");
        let asked = browser
            .post(
                "/privacy-centre/me/requests",
                &[
                    ("_csrf", &csrf),
                    ("type", "rectification"),
                    ("target", "contact.name"),
                    ("value", "Karin Nyström"),
                ],
            )
            .await;
        assert_eq!(asked.status, StatusCode::SEE_OTHER, "{backend}: {}", asked.body);
        let id = asked.location().rsplit('/').next().unwrap().to_owned();

        // Staff apply the correction the person proposed.
        let records = app
            .get_ok(&format!("/v1/subjects/{subject}/records?purpose=delivery"))
            .await;
        let record = records["records"][0]["id"].as_str().unwrap().to_owned();
        let done = app
            .post_ok(
                &format!("/v1/requests/{id}/fulfil"),
                json!({"corrections": [{"record_id": record, "fields": {"name": "Karin Nyström"}}]}),
                StatusCode::OK,
            )
            .await;
        assert_eq!(done["state"], "completed", "{backend}: {done}");

        // The audit trail has the rectification, by field name only.
        let trail = app.get_ok(&format!("/v1/audit?subject={subject}")).await;
        let text = trail.to_string();
        assert!(text.contains("\"action\":\"record.rectify\""), "{backend}: {text}");
        assert!(text.contains("\"outcome\":\"fields:name\""), "{backend}: {text}");
        assert!(!text.contains("Nyström") && !text.contains("Centerström"), "{backend}");

        // The person sees the new value, and the one it replaced in their history.
        let me = browser.get("/privacy-centre/me").await;
        assert!(me.body.contains("Karin Nyström"), "{backend}");
        assert!(
            me.body.contains("Corrections made to your data"),
            "{backend}: {}",
            me.body
        );
        assert!(me.body.contains("Karin Centerström"), "{backend}: the value before");
    })
    .await;
}
