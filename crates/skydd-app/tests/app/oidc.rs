//! Single sign-on's protocol against the fake provider (`oidc_provider.rs`): the code flow with
//! PKCE end to end, and each way a sign-in is refused (state, replayed code, nonce, expiry,
//! audience, role, verifier, client secret, issuer, e-mail).

use jiff::{SignedDuration, Timestamp};
use serde_json::json;
use skydd_app::oidc::{
    Callback, ClientAuth, ClientSecret, OidcParts, OidcSettings, RoleMap, Sso, SsoError,
    TokenRefusal,
};
use skydd_staff::permission::StaffRole;

use super::oidc_provider::{CLIENT_ID, CLIENT_SECRET, FakeProvider};

const NOW: i64 = 1_800_000_000;

fn now() -> Timestamp {
    Timestamp::from_second(NOW).unwrap()
}

fn settings(issuer: &str, secret: &str, auth: ClientAuth) -> OidcSettings {
    OidcSettings::new(OidcParts {
        issuer: issuer.to_owned(),
        client_id: CLIENT_ID.to_owned(),
        client_secret: ClientSecret::new(secret.to_owned()),
        client_auth: auth,
        redirect_url: "http://127.0.0.1:1/console/sso/callback".to_owned(),
        role_claim: String::new(),
        roles: RoleMap::parse(["admins=admin", "privacy-team=dpo"]).unwrap(),
        provider_name: "Fake IdP".to_owned(),
        extra_scopes: vec!["groups".to_owned()],
    })
    .unwrap()
}

async fn provider_and_sso() -> (FakeProvider, Sso) {
    let provider = FakeProvider::start(NOW).await;
    let sso = Sso::new(settings(&provider.issuer, CLIENT_SECRET, ClientAuth::Basic));
    (provider, sso)
}

/// What the browser brings back from the provider: `(state, code)`.
async fn authorize(sso: &Sso) -> (String, String) {
    let begun = sso.begin(now()).await.unwrap();
    let query: Vec<(String, String)> = begun.authorize_url.query_pairs().into_owned().collect();
    let param = |name: &str| {
        query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    assert_eq!(param("code_challenge_method").as_deref(), Some("S256"));
    assert_eq!(param("scope").as_deref(), Some("openid email groups"));
    assert_eq!(param("state").as_deref(), Some(begun.state.as_str()));
    assert_ne!(param("nonce"), param("state"));
    let answer = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(begun.authorize_url.as_str())
        .send()
        .await
        .unwrap();
    assert!(answer.status().is_redirection(), "{}", answer.status());
    let location = url::Url::parse(answer.headers()["location"].to_str().unwrap()).unwrap();
    assert_eq!(location.path(), "/console/sso/callback");
    let back: Vec<(String, String)> = location.query_pairs().into_owned().collect();
    let back = |name: &str| back.iter().find(|(k, _)| k == name).unwrap().1.clone();
    assert_eq!(back("state"), begun.state);
    (back("state"), back("code"))
}

fn callback<'a>(state: &'a str, code: &'a str) -> Callback<'a> {
    Callback {
        state: Some(state),
        code: Some(code),
        error: None,
        cookie_state: Some(state),
    }
}

/// Sign in once with the provider's current settings.
async fn sign_in(sso: &Sso) -> Result<skydd_app::oidc::SsoIdentity, SsoError> {
    let (state, code) = authorize(sso).await;
    sso.finish(callback(&state, &code), now()).await
}

#[tokio::test]
async fn a_sign_in_gives_the_verified_email_and_the_mapped_role() {
    let (provider, sso) = provider_and_sso().await;
    let identity = sign_in(&sso).await.unwrap();
    assert_eq!(identity.email, "Dpo@Example.com");
    assert_eq!(identity.subject, "user-1");
    assert_eq!(identity.role, StaffRole::Dpo);
    assert!(!format!("{identity:?}").contains("Example.com"));
    // The first mapping in the order configured wins.
    provider.set(|p| {
        p.claims
            .insert("groups".into(), json!(["privacy-team", "admins"]));
    });
    assert_eq!(sign_in(&sso).await.unwrap().role, StaffRole::Admin);
    // client_secret_post works as well as client_secret_basic.
    let post = Sso::new(settings(&provider.issuer, CLIENT_SECRET, ClientAuth::Post));
    sign_in(&post).await.unwrap();
    assert!(provider.refusals().is_empty(), "{:?}", provider.refusals());
}

#[tokio::test]
async fn a_wrong_unknown_or_used_state_is_refused() {
    let (_provider, sso) = provider_and_sso().await;
    let (state, code) = authorize(&sso).await;
    let unknown = sso.finish(callback("not-a-state", &code), now()).await;
    assert!(
        matches!(unknown, Err(SsoError::UnknownState)),
        "{unknown:?}"
    );
    let missing = Callback {
        state: None,
        ..callback(&state, &code)
    };
    assert!(matches!(
        sso.finish(missing, now()).await,
        Err(SsoError::UnknownState)
    ));
    // Another browser (no cookie, or another sign-in's) uses the sign-in up and fails.
    let other_browser = Callback {
        cookie_state: Some("someone-else"),
        ..callback(&state, &code)
    };
    assert!(matches!(
        sso.finish(other_browser, now()).await,
        Err(SsoError::UnknownState)
    ));
    let replayed = sso.finish(callback(&state, &code), now()).await;
    assert!(
        matches!(replayed, Err(SsoError::UnknownState)),
        "{replayed:?}"
    );
    // A sign-in ten minutes old has expired.
    let (state, code) = authorize(&sso).await;
    let late = now() + SignedDuration::from_secs(600);
    assert!(matches!(
        sso.finish(callback(&state, &code), late).await,
        Err(SsoError::UnknownState)
    ));
    // And a sign-in is used once: the same state after a success is unknown.
    let (state, code) = authorize(&sso).await;
    sso.finish(callback(&state, &code), now()).await.unwrap();
    assert!(matches!(
        sso.finish(callback(&state, &code), now()).await,
        Err(SsoError::UnknownState)
    ));
}

#[tokio::test]
async fn a_replayed_code_is_refused_by_the_token_endpoint() {
    let (provider, sso) = provider_and_sso().await;
    let (_, used_code) = {
        let (state, code) = authorize(&sso).await;
        sso.finish(callback(&state, &code), now()).await.unwrap();
        (state, code)
    };
    let (state, _fresh_code) = authorize(&sso).await;
    let replayed = sso.finish(callback(&state, &used_code), now()).await;
    assert!(
        matches!(replayed, Err(SsoError::Exchange { status: 400 })),
        "{replayed:?}"
    );
    assert_eq!(provider.refusals(), ["code used"]);
    // The provider's own text never reaches the error.
    assert!(!replayed.unwrap_err().to_string().contains("PROVIDER-TEXT"));
}

#[tokio::test]
async fn a_verifier_mismatch_and_a_wrong_client_secret_are_refused() {
    let (provider, sso) = provider_and_sso().await;
    provider.set(|p| p.tamper_verifier = true);
    assert!(matches!(
        sso_error(&sso).await,
        SsoError::Exchange { status: 400 }
    ));
    provider.set(|p| p.tamper_verifier = false);
    let wrong = Sso::new(settings(
        &provider.issuer,
        "not-the-secret",
        ClientAuth::Basic,
    ));
    assert!(matches!(
        sso_error(&wrong).await,
        SsoError::Exchange { status: 400 }
    ));
    assert_eq!(provider.refusals(), ["verifier", "client"]);
}

async fn sso_error(sso: &Sso) -> SsoError {
    sign_in(sso).await.unwrap_err()
}

#[tokio::test]
async fn each_bad_claim_in_the_id_token_is_refused() {
    let (provider, sso) = provider_and_sso().await;
    let cases = [
        ("nonce", json!("another-nonce"), TokenRefusal::Nonce),
        ("exp", json!(NOW - 120), TokenRefusal::Expired),
        ("iat", json!(NOW - 3600), TokenRefusal::IssuedAt),
        ("aud", json!("another-client"), TokenRefusal::Audience),
        (
            "azp",
            json!("another-client"),
            TokenRefusal::AuthorizedParty,
        ),
        (
            "iss",
            json!(format!("{}/", provider.issuer)),
            TokenRefusal::Issuer,
        ),
    ];
    for (claim, value, refusal) in cases {
        provider.set(|p| {
            p.overrides.clear();
            p.overrides.insert(claim.into(), value);
        });
        match sso_error(&sso).await {
            SsoError::Token(got) => assert_eq!(got, refusal, "{claim}"),
            other => panic!("{claim}: {other:?}"),
        }
    }
}

#[tokio::test]
async fn no_mapped_role_or_no_verified_email_is_refused_without_the_persons_values() {
    let (provider, sso) = provider_and_sso().await;
    provider.set(|p| {
        p.claims
            .insert("groups".into(), json!(["everyone", "secret-project-x"]));
    });
    let error = sso_error(&sso).await;
    assert!(
        matches!(&error, SsoError::NoRole { claim } if claim == "groups"),
        "{error:?}"
    );
    let text = error.to_string();
    assert!(
        text.contains("`groups`") && !text.contains("secret-project-x"),
        "{text}"
    );
    provider.set(|p| {
        p.claims.insert("groups".into(), json!("privacy-team"));
        p.claims.insert("email_verified".into(), json!(false));
    });
    assert!(matches!(sso_error(&sso).await, SsoError::NoVerifiedEmail));
    provider.set(|p| {
        p.claims.insert("email_verified".into(), json!(true));
        p.claims.insert("email".into(), serde_json::Value::Null);
    });
    assert!(matches!(sso_error(&sso).await, SsoError::NoVerifiedEmail));
}

#[tokio::test]
async fn the_provider_sending_an_error_back_is_refused() {
    let (_provider, sso) = provider_and_sso().await;
    let (state, _) = authorize(&sso).await;
    let cancelled = Callback {
        state: Some(&state),
        code: None,
        error: Some("access_denied"),
        cookie_state: Some(&state),
    };
    assert!(matches!(
        sso.finish(cancelled, now()).await,
        Err(SsoError::ProviderRefused)
    ));
}

#[tokio::test]
async fn discovery_needs_exactly_the_configured_issuer() {
    let provider = FakeProvider::start(NOW).await;
    let sso = Sso::new(settings(
        &format!("{}/", provider.issuer),
        CLIENT_SECRET,
        ClientAuth::Basic,
    ));
    let error = sso.begin(now()).await.unwrap_err();
    assert!(matches!(error, SsoError::Discovery(_)), "{error:?}");
    assert!(error.to_string().contains("exact"), "{error}");
    // A provider that is not there is unreachable, and says where.
    let gone = Sso::new(settings(
        "http://127.0.0.1:9",
        CLIENT_SECRET,
        ClientAuth::Basic,
    ));
    let error = gone.begin(now()).await.unwrap_err();
    assert_eq!(error.kind(), "provider_unreachable");
    assert!(error.to_string().contains("127.0.0.1:9"), "{error}");
}

#[tokio::test]
async fn a_session_is_opened_for_the_verified_address_and_a_disabled_account_is_refused() {
    let (_provider, sso) = provider_and_sso().await;
    let data = tempfile::tempdir().unwrap();
    let app = super::open(&data, skydd_app::instance::Create::IfMissing).await;
    let identity = sign_in(&sso).await.unwrap();
    let first = app
        .open_sso_session(&identity, Some("192.0.2.7".into()), now())
        .await
        .unwrap();
    assert!(first.created);
    assert_eq!(first.role, StaffRole::Dpo);
    assert!(!format!("{first:?}").contains(&*first.secret.encoded()));
    // The same address in another case is the same account; a new role is taken.
    let again = skydd_app::oidc::SsoIdentity {
        email: "dpo@example.COM".to_owned(),
        role: StaffRole::Auditor,
        ..identity.clone()
    };
    let second = app.open_sso_session(&again, None, now()).await.unwrap();
    assert!(!second.created);
    assert_eq!(second.account_id, first.account_id);
    let row = app
        .storage
        .staff_account(&first.account_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.role, "auditor");
    // The IP is sealed, never stored as text.
    let session = app
        .storage
        .staff_session(&first.secret.hash())
        .await
        .unwrap()
        .unwrap();
    assert!(
        !String::from_utf8_lossy(session.ip_ciphertext.as_deref().unwrap()).contains("192.0.2.7")
    );
    // Disabled: refused, no session opened.
    assert!(
        app.storage
            .set_staff_account_state(&first.account_id, "disabled", now())
            .await
            .unwrap()
    );
    let refused = app.open_sso_session(&identity, None, now()).await;
    assert!(
        matches!(refused, Err(skydd_app::oidc::SsoAccountError::Disabled)),
        "{refused:?}"
    );
    assert!(
        app.storage
            .staff_sessions_of(&first.account_id)
            .await
            .unwrap()
            .is_empty()
    );
    app.close().await.unwrap();
}
