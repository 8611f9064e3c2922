//! The consent banner's server side (issue 18), on both backends, serving the bundled GleSYS
//! register (necessary, analytics and marketing categories): the configuration in English and
//! Swedish, choices logged as `sendBeacon` sends them and listed back, every kind of invalid
//! choice refused with a problem that says what to do, nothing stored or logged in plaintext,
//! and the abuse limit.

use reqwest::StatusCode;
use reqwest::header::{CACHE_CONTROL, CONTENT_TYPE, RETRY_AFTER};
use serde_json::{Value, json};

use super::{
    Backend, TestApp, backends, captured_log, database_contents, json_body, problem,
    spawn_app_configured, spawn_app_serving,
};

const GLESYS: &str = include_str!("../../../../examples/registers/glesys.yaml");

/// A browser id as banner.js makes it.
const BROWSER: &str = "Qm9rZXRzU2t5ZGRCcm93c2VyMQ";
/// Another browser.
const OTHER_BROWSER: &str = "T3RoZXJCcm93c2VyX2lkLTAwMDE";
/// A user agent to look for where it must not be.
const USER_AGENT: &str = "BannerTestBrowser/18.0 (Skydd; Falkenberg)";

async fn spawn(backend: &Backend) -> TestApp {
    spawn_app_serving(
        backend,
        "2026-03-01T09:00:00Z".parse().unwrap(),
        &skydd_storage::OpenOptions::default(),
        tempfile::tempdir().unwrap(),
        GLESYS,
        skydd_app::datasets::Datasets::default(),
    )
    .await
}

/// Run `scenario` against a fresh server with the GleSYS register on every backend.
async fn on_each_backend(scenario: impl AsyncFn(&TestApp)) {
    for backend in backends() {
        let app = spawn(&backend).await;
        scenario(&app).await;
        app.stop().await;
    }
}

/// A valid choice of `browser` in the banner in force, with `changes` merged in.
fn choice(app: &TestApp, browser: &str, changes: Value) -> Value {
    let mut body = json!({
        "browser": browser,
        "revision": app.register.register.cookies.revision(),
        "notice_version": app.register.digest,
        "language": "sv",
        "action": "custom",
        "given": ["necessary", "analytics"],
        "refused": ["marketing"],
        "services": {"marketing_tools": true},
        "gpc": false,
        "dnt": false,
    });
    for (key, value) in changes.as_object().unwrap() {
        body[key] = value.clone();
    }
    body
}

/// POST `body` to the log as `navigator.sendBeacon` sends a string: `text/plain`.
async fn beacon(app: &TestApp, body: &str) -> reqwest::Response {
    app.client
        .post(app.url("/v1/banner/consents"))
        .header(CONTENT_TYPE, "text/plain;charset=UTF-8")
        .header("User-Agent", USER_AGENT)
        .body(body.to_owned())
        .send()
        .await
        .unwrap()
}

/// The choices of `browser`, read with the admin token.
async fn choices_of(app: &TestApp, browser: &str) -> Value {
    app.get_ok(&format!("/v1/banner/consents?browser={browser}"))
        .await
}

#[tokio::test]
async fn the_configuration_in_english_and_swedish() {
    on_each_backend(async |app| {
        let register = &app.register.register;
        for (query, language) in [("?lang=en", "en"), ("?lang=sv", "sv"), ("", "en")] {
            let response = app.get(&format!("/v1/banner/config{query}"), None).await;
            assert_eq!(response.status(), StatusCode::OK, "{}", app.backend);
            assert_eq!(response.headers()[CACHE_CONTROL], "public, max-age=300");
            let config: Value = response.json().await.unwrap();
            assert_eq!(config["language"], language, "{query}");
            assert_eq!(config["revision"], register.cookies.revision());
            assert_eq!(config["notice_version"], app.register.digest.as_str());
            assert_eq!(config["privacy_url"], format!("/privacy?lang={language}"));
            if query.is_empty() {
                continue;
            }
            // The digests change with every edit of the example register; their values are
            // checked above.
            let mut redacted = config.clone();
            redacted["notice_version"] = json!("[register digest]");
            redacted["revision"] = json!("[cookies revision]");
            insta::assert_json_snapshot!(format!("banner_config_{language}"), redacted);
        }
        let unknown = app.get("/v1/banner/config?lang=de", None).await;
        problem(unknown, StatusCode::BAD_REQUEST, app.backend).await;
    })
    .await;
}

#[tokio::test]
async fn a_choice_is_logged_and_listed_back_newest_first() {
    on_each_backend(async |app| {
        let first = choice(app, BROWSER, json!({}));
        let response = beacon(app, &first.to_string()).await;
        assert_eq!(response.status(), StatusCode::NO_CONTENT, "{}", app.backend);
        // The same log takes `application/json`, and a `Sec-GPC: 1` header is recorded too.
        let withdrawal = choice(
            app,
            BROWSER,
            json!({"action": "reject_all", "given": ["necessary"],
                   "refused": ["analytics", "marketing"], "services": {}, "language": "en"}),
        );
        let response = app
            .client
            .post(app.url("/v1/banner/consents"))
            .header("Sec-GPC", "1")
            .json(&withdrawal)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::NO_CONTENT, "{}", app.backend);
        let other = choice(
            app,
            OTHER_BROWSER,
            json!({"action": "accept_all",
            "given": ["necessary", "analytics", "marketing"], "refused": [], "dnt": true}),
        );
        assert_eq!(
            beacon(app, &other.to_string()).await.status(),
            StatusCode::NO_CONTENT
        );

        let listed = choices_of(app, BROWSER).await;
        assert_eq!(listed["browser_known"], true);
        let choices = listed["choices"].as_array().unwrap();
        assert_eq!(choices.len(), 2, "{}: only this browser's", app.backend);
        assert_eq!(choices[0]["action"], "reject_all", "newest first");
        assert_eq!(choices[0]["gpc"], true, "the header counts");
        assert_eq!(choices[0]["language"], "en");
        assert_eq!(choices[1]["action"], "custom");
        assert_eq!(choices[1]["given"], json!(["necessary", "analytics"]));
        assert_eq!(choices[1]["refused"], json!(["marketing"]));
        assert_eq!(choices[1]["services"], json!({"marketing_tools": true}));
        assert_eq!(choices[1]["gpc"], false);
        for listed in choices {
            assert_eq!(listed["method"], "banner");
            assert_eq!(listed["at"], "2026-03-01T09:00:00Z", "the server's clock");
            assert_eq!(listed["revision"], app.register.register.cookies.revision());
            assert_eq!(listed["notice_version"], app.register.digest.as_str());
            assert!(listed.get("ip").is_none() && listed.get("user_agent").is_none());
        }
        assert_eq!(
            choices_of(app, OTHER_BROWSER).await["choices"][0]["dnt"],
            true
        );
        let unknown = choices_of(app, "Tm9ib2R5U2VudEFueXRoaW5nMDA").await;
        assert_eq!(unknown, json!({"browser_known": false, "choices": []}));

        // Audited without the browser or the address: the website as actor, no IP.
        let audit = app.get_ok("/v1/audit?limit=1000").await;
        let entries: Vec<&Value> = audit["entries"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["action"] == "cookie.choice")
            .collect();
        assert_eq!(entries.len(), 3, "{}: {audit}", app.backend);
        for entry in &entries {
            assert_eq!(entry["actor"], "website");
            assert!(entry["ip"].is_null(), "{entry}");
            assert!(entry["subject_id"].is_null(), "{entry}");
        }
        assert_eq!(entries[0]["outcome"], "custom");
        assert_eq!(
            entries[0]["detail"],
            format!(
                "revision {}; given: necessary analytics; refused: marketing; services: \
                 marketing_tools=load; signals: -",
                app.register.register.cookies.revision()
            )
        );
        let text = audit.to_string();
        for secret in [BROWSER, OTHER_BROWSER, USER_AGENT] {
            assert!(
                !text.contains(secret),
                "{}: {secret} in the audit trail",
                app.backend
            );
        }
        let reads = audit["entries"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["action"] == "cookie.read")
            .count();
        assert_eq!(reads, 3, "every listing is audited");
    })
    .await;
}

#[tokio::test]
async fn an_invalid_choice_is_refused_with_a_problem_that_says_what_to_do() {
    on_each_backend(async |app| {
        let cases: Vec<(Value, StatusCode, &str)> = vec![
            (
                json!({"given": ["necessary", "analytics", "ads"], "refused": ["marketing"]}),
                StatusCode::UNPROCESSABLE_ENTITY,
                "`ads` is not a category of the banner",
            ),
            (
                json!({"given": ["analytics"], "refused": ["necessary", "marketing"]}),
                StatusCode::UNPROCESSABLE_ENTITY,
                "the category `necessary` is strictly necessary and cannot be refused",
            ),
            (
                json!({"given": ["necessary"], "refused": ["marketing"]}),
                StatusCode::UNPROCESSABLE_ENTITY,
                "the category `analytics` is neither given nor refused",
            ),
            (
                json!({"given": ["necessary", "analytics"], "refused": ["marketing", "analytics"]}),
                StatusCode::UNPROCESSABLE_ENTITY,
                "the category `analytics` is listed more than once",
            ),
            (
                json!({"services": {"youtube": true}}),
                StatusCode::UNPROCESSABLE_ENTITY,
                "`youtube` is not a service of the banner",
            ),
            (
                json!({"action": "accept_all"}),
                StatusCode::UNPROCESSABLE_ENTITY,
                "`accept_all` does not fit the categories: a category is refused",
            ),
            (
                json!({"revision": "0123456789abcdef"}),
                StatusCode::UNPROCESSABLE_ENTITY,
                "the choice was made under another revision of the banner",
            ),
            (
                json!({"browser": "too-short"}),
                StatusCode::BAD_REQUEST,
                "`browser` is not a browser id",
            ),
            (
                json!({"browser": "anna.andersson@example.se"}),
                StatusCode::BAD_REQUEST,
                "`browser` is not a browser id",
            ),
            (
                json!({"revision": "3F2A"}),
                StatusCode::BAD_REQUEST,
                "`revision` is not 16 lowercase hex digits",
            ),
            (
                json!({"action": "accept_some"}),
                StatusCode::BAD_REQUEST,
                "`action` is not one of accept_all",
            ),
            (
                json!({"given": ["Necessary"]}),
                StatusCode::BAD_REQUEST,
                "`given[0]` is not a register id",
            ),
        ];
        for (changes, status, says) in cases {
            let body = choice(app, BROWSER, changes.clone());
            let refused = problem(beacon(app, &body.to_string()).await, status, app.backend).await;
            let detail = refused["detail"].as_str().unwrap();
            assert!(
                detail.contains(says),
                "{}: {changes}: {refused}",
                app.backend
            );
            assert!(!refused.to_string().contains("anna.andersson"), "{refused}");
            assert!(!refused.to_string().contains(BROWSER), "{refused}");
        }
        // A stale revision says how to recover.
        let stale = choice(app, BROWSER, json!({"revision": "0123456789abcdef"}));
        let refused = problem(
            beacon(app, &stale.to_string()).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            app.backend,
        )
        .await;
        assert!(
            refused["help"]
                .as_str()
                .unwrap()
                .contains("reload the banner's configuration"),
            "{refused}"
        );
        assert!(
            refused["detail"]
                .as_str()
                .unwrap()
                .contains(&app.register.register.cookies.revision())
        );
        // Not JSON, JSON of another shape, another media type, too large.
        problem(
            beacon(app, "given=analytics").await,
            StatusCode::BAD_REQUEST,
            app.backend,
        )
        .await;
        let mut missing = choice(app, BROWSER, json!({}));
        missing.as_object_mut().unwrap().remove("refused");
        let refused = problem(
            beacon(app, &missing.to_string()).await,
            StatusCode::BAD_REQUEST,
            app.backend,
        )
        .await;
        assert!(
            refused["detail"]
                .as_str()
                .unwrap()
                .contains("`refused` is missing")
        );
        let form = app
            .client
            .post(app.url("/v1/banner/consents"))
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(choice(app, BROWSER, json!({})).to_string())
            .send()
            .await
            .unwrap();
        problem(form, StatusCode::UNSUPPORTED_MEDIA_TYPE, app.backend).await;
        let mut large = choice(app, BROWSER, json!({}));
        large["services"] = (0..400)
            .map(|i| (format!("service_number_{i}"), Value::Bool(true)))
            .collect::<serde_json::Map<_, _>>()
            .into();
        assert!(large.to_string().len() > 8 * 1024);
        problem(
            beacon(app, &large.to_string()).await,
            StatusCode::PAYLOAD_TOO_LARGE,
            app.backend,
        )
        .await;
        // Nothing of it was logged.
        assert_eq!(choices_of(app, BROWSER).await["browser_known"], false);
        // The listing refuses what is not a browser id, and callers without the permission.
        let malformed = app
            .get("/v1/banner/consents?browser=x", Some(&app.admin_token))
            .await;
        problem(malformed, StatusCode::BAD_REQUEST, app.backend).await;
        let anonymous = app
            .get(&format!("/v1/banner/consents?browser={BROWSER}"), None)
            .await;
        problem(anonymous, StatusCode::UNAUTHORIZED, app.backend).await;
    })
    .await;
}

#[tokio::test]
async fn the_browser_id_address_and_user_agent_are_never_stored_or_logged_in_plaintext() {
    on_each_backend(async |app| {
        for browser in [BROWSER, OTHER_BROWSER] {
            let response = beacon(app, &choice(app, browser, json!({})).to_string()).await;
            assert_eq!(response.status(), StatusCode::NO_CONTENT, "{}", app.backend);
        }
        // Scanned before anything else is called with the admin token, whose audit entries
        // carry the staff side's address in plaintext.
        let contents = String::from_utf8_lossy(&database_contents(app).await).to_lowercase();
        assert!(
            contents.contains("marketing_tools"),
            "{}: the scan reads the choices",
            app.backend
        );
        for value in [
            BROWSER,
            OTHER_BROWSER,
            USER_AGENT,
            "bannertestbrowser",
            "127.0.0.1",
        ] {
            assert!(
                !contents.contains(&value.to_lowercase()),
                "{}: `{value}` is stored in plaintext",
                app.backend
            );
        }
        // The sealed context opens to the address and user agent (the proof exists).
        assert_eq!(
            choices_of(app, BROWSER).await["choices"]
                .as_array()
                .unwrap()
                .len(),
            1
        );
        let log = captured_log();
        for value in [BROWSER, OTHER_BROWSER, USER_AGENT] {
            assert!(!log.contains(value), "the log contains {value}");
        }
    })
    .await;
}

#[tokio::test]
async fn the_log_answers_429_with_retry_after_past_its_limit() {
    on_each_backend(async |app| {
        // 60 at once per address (the clock stands still, so nothing refills): valid or not,
        // every call counts.
        for n in 0..60 {
            let body = if n % 2 == 0 {
                choice(app, BROWSER, json!({})).to_string()
            } else {
                "{}".to_owned()
            };
            let status = beacon(app, &body).await.status();
            assert_ne!(
                status,
                StatusCode::TOO_MANY_REQUESTS,
                "{}: call {n}",
                app.backend
            );
        }
        let response = beacon(app, &choice(app, BROWSER, json!({})).to_string()).await;
        let retry_after = response.headers()[RETRY_AFTER].to_str().unwrap().to_owned();
        let refused = problem(response, StatusCode::TOO_MANY_REQUESTS, app.backend).await;
        assert_eq!(retry_after, "1", "{refused}");
        assert_eq!(
            choices_of(app, BROWSER).await["choices"]
                .as_array()
                .unwrap()
                .len(),
            30,
            "{}: the refused call logged nothing",
            app.backend
        );
        // The configuration is not limited with the log.
        let config = json_body(
            app.get("/v1/banner/config", None).await,
            StatusCode::OK,
            app.backend,
        )
        .await;
        assert_eq!(config["log_url"], "/v1/banner/consents");
    })
    .await;
}

/// The website a company puts the banner on, allowed by the settings.
const WEBSITE: &str = "https://www.glesys.example";

/// The configuration and the log answer the allowed website (the log's preflight too); the
/// staff listing at the same path never does, and no other origin gets a CORS header.
#[tokio::test]
async fn the_banner_routes_answer_the_allowed_website_and_the_listing_does_not() {
    use skydd_app::site::{Origin, PublicSite};
    for backend in backends() {
        let site = PublicSite {
            allowed_origins: vec![Origin::parse(WEBSITE).unwrap()],
            ..PublicSite::default()
        };
        let app = spawn_app_configured(
            &backend,
            "2026-03-01T09:00:00Z".parse().unwrap(),
            &skydd_storage::OpenOptions::default(),
            tempfile::tempdir().unwrap(),
            GLESYS,
            skydd_app::datasets::Datasets::default(),
            |app, _| app.with_site(site),
        )
        .await;
        let name = app.backend;
        let allow = |response: &reqwest::Response| {
            response
                .headers()
                .get("access-control-allow-origin")
                .map(|v| v.to_str().unwrap().to_owned())
        };
        let config = app
            .client
            .get(app.url("/v1/banner/config?lang=sv"))
            .header("Origin", WEBSITE)
            .send()
            .await
            .unwrap();
        assert_eq!(config.status(), StatusCode::OK, "{name}");
        assert_eq!(allow(&config).as_deref(), Some(WEBSITE), "{name}");
        let preflight = app
            .client
            .request(reqwest::Method::OPTIONS, app.url("/v1/banner/consents"))
            .header("Origin", WEBSITE)
            .header("Access-Control-Request-Method", "POST")
            .send()
            .await
            .unwrap();
        assert_eq!(preflight.status(), StatusCode::NO_CONTENT, "{name}");
        assert_eq!(allow(&preflight).as_deref(), Some(WEBSITE), "{name}");
        let logged = app
            .client
            .post(app.url("/v1/banner/consents"))
            .header("Origin", WEBSITE)
            .header(CONTENT_TYPE, "text/plain;charset=UTF-8")
            .body(choice(&app, BROWSER, json!({})).to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(logged.status(), StatusCode::NO_CONTENT, "{name}");
        assert_eq!(allow(&logged).as_deref(), Some(WEBSITE), "{name}");
        let listing = app
            .client
            .get(app.url(&format!("/v1/banner/consents?browser={BROWSER}")))
            .bearer_auth(&app.admin_token)
            .header("Origin", WEBSITE)
            .send()
            .await
            .unwrap();
        assert_eq!(listing.status(), StatusCode::OK, "{name}");
        assert_eq!(
            allow(&listing),
            None,
            "{name}: the staff listing is not for websites"
        );
        let elsewhere = app
            .client
            .get(app.url("/v1/banner/config"))
            .header("Origin", "https://evil.example")
            .send()
            .await
            .unwrap();
        assert_eq!(elsewhere.status(), StatusCode::OK, "{name}");
        assert_eq!(allow(&elsewhere), None, "{name}");
        app.stop().await;
    }
}
