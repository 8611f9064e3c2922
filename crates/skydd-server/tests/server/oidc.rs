//! Single sign-on through the console against the fake provider, on both backends: the
//! sign-in button's route sends the browser to the provider with a state cookie, the callback
//! opens a session for an account created with the claim's role (and changes the role at the
//! next sign-in), and refusals are pages that never show the provider's text or the person's
//! claim values.

use jiff::Timestamp;
use reqwest::StatusCode;
use serde_json::json;
use skydd_app::oidc::{ClientAuth, ClientSecret, OidcParts, OidcSettings, RoleMap};
use skydd_crypto::SessionSecret;

use super::console::Browser;
use super::oidc_provider::{CLIENT_ID, CLIENT_SECRET, FakeProvider};
use super::{TestApp, backends, spawn_app_configured};

async fn spawn_with_sso(backend: &super::Backend, provider: &FakeProvider) -> TestApp {
    let now: Timestamp = "2026-03-01T09:00:00Z".parse().unwrap();
    let issuer = provider.issuer.clone();
    spawn_app_configured(
        backend,
        now,
        &skydd_storage::OpenOptions::default(),
        tempfile::tempdir().unwrap(),
        super::TEST_REGISTER,
        skydd_app::datasets::Datasets::default(),
        move |app, address| {
            app.with_sso(
                OidcSettings::new(OidcParts {
                    issuer,
                    client_id: CLIENT_ID.to_owned(),
                    client_secret: ClientSecret::new(CLIENT_SECRET.to_owned()),
                    client_auth: ClientAuth::Basic,
                    redirect_url: format!("{address}/console/sso/callback"),
                    role_claim: String::new(),
                    roles: RoleMap::parse(["privacy-team=dpo", "helpdesk=support"]).unwrap(),
                    provider_name: "Fake IdP".to_owned(),
                    extra_scopes: Vec::new(),
                })
                .unwrap(),
            )
        },
    )
    .await
}

/// Begin a sign-in in `browser` and follow the provider's redirect: the callback's path and
/// query.
async fn through_the_provider(browser: &mut Browser<'_>) -> String {
    let begun = browser.get("/console/sign-in/sso").await;
    assert_eq!(begun.status, StatusCode::SEE_OTHER, "{}", begun.body);
    let state_cookie = browser
        .set_cookies
        .iter()
        .rfind(|c| c.starts_with("__Host-skydd-sso="))
        .unwrap()
        .clone();
    for attribute in ["; Secure", "; HttpOnly", "; SameSite=Lax", "; Path=/"] {
        assert!(state_cookie.contains(attribute), "{state_cookie}");
    }
    let provider = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let answer = provider.get(begun.location()).send().await.unwrap();
    assert!(answer.status().is_redirection());
    let back = url::Url::parse(answer.headers()["location"].to_str().unwrap()).unwrap();
    format!("{}?{}", back.path(), back.query().unwrap())
}

#[tokio::test]
async fn single_sign_on_opens_a_session_with_the_role_of_the_claim() {
    for backend in backends() {
        let provider = FakeProvider::start(1_772_355_600).await; // 2026-03-01T09:00:00Z
        let app = spawn_with_sso(&backend, &provider).await;
        let mut browser = Browser::new(&app);
        // The sign-in page offers the provider.
        let sign_in = browser.get("/console/sign-in").await;
        assert!(
            sign_in.body.contains("Sign in with Fake IdP"),
            "{}",
            sign_in.body
        );
        assert!(sign_in.body.contains("href=\"/console/sign-in/sso\""));
        let callback = through_the_provider(&mut browser).await;
        let done = browser.get(&callback).await;
        assert_eq!(
            done.status,
            StatusCode::OK,
            "{}: {}",
            app.backend,
            done.body
        );
        assert_eq!(done.headers["refresh"], "0; url=/console/dashboard");
        assert!(done.body.contains("/console/dashboard"));
        assert!(
            !browser.cookies.contains_key("__Host-skydd-sso"),
            "state used up"
        );
        let secret = SessionSecret::parse(&browser.cookies["__Host-skydd-session"]).unwrap();
        let session = app
            .storage
            .staff_session(&secret.hash())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(session.stage, "full");
        let account = app
            .storage
            .staff_account(&session.account_id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(account.role, "dpo");
        assert_eq!(account.password_hash, None, "an SSO-only account");
        // The address is stored sealed, never as text.
        assert!(!String::from_utf8_lossy(&account.email_ciphertext).contains("example.com"));

        // The claim changes: the next sign-in changes the role, same account.
        provider.set(|p| {
            p.claims.insert("groups".into(), json!(["helpdesk"]));
        });
        let mut other = Browser::new(&app);
        let callback = through_the_provider(&mut other).await;
        assert_eq!(other.get(&callback).await.status, StatusCode::OK);
        let account = app
            .storage
            .staff_account(&session.account_id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(account.role, "support");
        assert_eq!(app.storage.staff_accounts().await.unwrap().len(), 1);

        // Both sign-ins are in the audit trail as the staff member, without the address.
        let audit = app.get_ok("/v1/audit?limit=1000").await.to_string();
        assert!(audit.contains("staff.sign_in"), "{audit}");
        assert!(
            audit.contains(&format!("account:{}/session:", account.id)),
            "{audit}"
        );
        assert!(!audit.to_lowercase().contains("dpo@example.com"), "{audit}");
        // P000-63: both grants (dpo on creation, support on the change) read personal data
        // and no privacy training is recorded for the person: logged with that fact.
        assert_eq!(audit.matches("privacy_training=none").count(), 2, "{audit}");
        app.stop().await;
    }
}

#[tokio::test]
async fn refused_sign_ins_are_pages_without_the_providers_text_or_the_claim_values() {
    for backend in backends() {
        let provider = FakeProvider::start(1_772_355_600).await;
        let app = spawn_with_sso(&backend, &provider).await;

        // A callback from another browser (no state cookie) is refused, and uses the state up.
        let mut browser = Browser::new(&app);
        let callback = through_the_provider(&mut browser).await;
        let mut stranger = Browser::new(&app);
        let page = stranger.get(&callback).await;
        assert_eq!(page.status, StatusCode::BAD_REQUEST, "{}", page.body);
        assert!(page.body.contains("another browser"), "{}", page.body);
        // ... so the right browser cannot use it afterwards either.
        let page = browser.get(&callback).await;
        assert_eq!(page.status, StatusCode::BAD_REQUEST);

        // A code used once, replayed with a fresh sign-in of its own: refused (the token
        // endpoint sees a used code, and a verifier of another sign-in).
        let mut browser = Browser::new(&app);
        let used = through_the_provider(&mut browser).await;
        assert_eq!(browser.get(&used).await.status, StatusCode::OK);
        let code = query_value(&used, "code");
        let mut browser = Browser::new(&app);
        let state = query_value(&through_the_provider(&mut browser).await, "state");
        let page = browser
            .get(&format!("/console/sso/callback?code={code}&state={state}"))
            .await;
        assert_eq!(page.status, StatusCode::UNAUTHORIZED, "{}", page.body);
        assert!(!page.body.contains("PROVIDER-TEXT"), "{}", page.body);
        assert!(!browser.cookies.contains_key("__Host-skydd-session"));

        // No mapped role: the page names the claim, not the person's groups.
        provider.set(|p| {
            p.claims
                .insert("groups".into(), json!(["secret-project-x"]));
        });
        let mut browser = Browser::new(&app);
        let callback = through_the_provider(&mut browser).await;
        let page = browser.get(&callback).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{}", page.body);
        assert!(page.body.contains("groups"), "{}", page.body);
        assert!(!page.body.contains("secret-project-x"), "{}", page.body);
        assert!(!browser.cookies.contains_key("__Host-skydd-session"));
        app.stop().await;
    }
}

/// The value of `name` in the query string of `path_and_query` (values here need no decoding).
fn query_value(path_and_query: &str, name: &str) -> String {
    let query = path_and_query.split_once('?').unwrap().1;
    query
        .split('&')
        .find_map(|pair| pair.strip_prefix(&format!("{name}=")))
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn without_single_sign_on_its_routes_are_not_found() {
    let backend = backends().remove(0);
    let app = super::spawn_app(&backend).await;
    let mut browser = Browser::new(&app);
    assert_eq!(
        browser.get("/console/sign-in/sso").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        browser
            .get("/console/sso/callback?state=x&code=y")
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    app.stop().await;
}
