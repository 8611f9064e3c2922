//! A fake OpenID provider on 127.0.0.1 for the single sign-on tests (this binary's and, through
//! `#[path]`, the server's): discovery, `/authorize` that redirects straight back with a code,
//! and `/token` that checks the client secret, the redirect URI and the PKCE verifier, refuses
//! a used code, and answers with an ID token (unsigned: Skydd does not check the signature,
//! see SECURITY.md). The next token's claims can be changed to provoke each refusal.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use data_encoding::{BASE64, BASE64URL_NOPAD};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

/// The client id the provider knows Skydd by.
pub(crate) const CLIENT_ID: &str = "skydd-console";
/// The client secret the provider expects.
pub(crate) const CLIENT_SECRET: &str = "fake-provider-client-secret";

/// A code handed out by `/authorize`.
#[derive(Debug, Clone)]
struct Issued {
    challenge: String,
    nonce: String,
    redirect_uri: String,
    used: bool,
}

/// What the provider knows and what its next ID token says.
#[derive(Debug)]
pub(crate) struct ProviderState {
    /// The issuer (`http://127.0.0.1:PORT`).
    pub(crate) issuer: String,
    /// `iat` of tokens issued (the tests' fixed clock), in seconds.
    pub(crate) now: i64,
    /// The claims of the next ID token besides `iss`, `aud`, `nonce`, `iat`, `exp`; a claim
    /// set to `null` is left out. `sub`, `email`, `email_verified`, `groups` by default.
    pub(crate) claims: serde_json::Map<String, Value>,
    /// Replacements for the standard claims (`aud`, `nonce`, `exp`, `iss` ...).
    pub(crate) overrides: serde_json::Map<String, Value>,
    /// The `code_verifier` the token endpoint uses instead of the one sent (a mismatch).
    pub(crate) tamper_verifier: bool,
    /// How many token requests were refused, and why (for assertions).
    pub(crate) refusals: Vec<&'static str>,
    codes: HashMap<String, Issued>,
    next_code: u64,
}

/// A running fake provider.
#[derive(Clone)]
pub(crate) struct FakeProvider {
    /// Its state, shared with the handlers.
    pub(crate) state: Arc<Mutex<ProviderState>>,
    /// Its issuer URL.
    pub(crate) issuer: String,
}

impl FakeProvider {
    /// Start a provider on a free port whose tokens carry `iat = now` (seconds).
    pub(crate) async fn start(now: i64) -> FakeProvider {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let issuer = format!("http://{}", listener.local_addr().unwrap());
        let mut claims = serde_json::Map::new();
        claims.insert("sub".into(), json!("user-1"));
        claims.insert("email".into(), json!("Dpo@Example.com"));
        claims.insert("email_verified".into(), json!(true));
        claims.insert("groups".into(), json!(["everyone", "privacy-team"]));
        let state = Arc::new(Mutex::new(ProviderState {
            issuer: issuer.clone(),
            now,
            claims,
            overrides: serde_json::Map::new(),
            tamper_verifier: false,
            refusals: Vec::new(),
            codes: HashMap::new(),
            next_code: 0,
        }));
        let app = Router::new()
            .route("/.well-known/openid-configuration", get(discovery))
            .route("/authorize", get(authorize))
            .route("/token", post(token))
            .with_state(state.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        FakeProvider { state, issuer }
    }

    /// Change the provider's state (the next token's claims ...).
    pub(crate) fn set(&self, change: impl FnOnce(&mut ProviderState)) {
        change(&mut self.state.lock().unwrap());
    }

    /// Why token requests were refused so far.
    #[allow(dead_code)] // The server's suite asserts on pages instead.
    pub(crate) fn refusals(&self) -> Vec<&'static str> {
        self.state.lock().unwrap().refusals.clone()
    }
}

async fn discovery(State(state): State<Arc<Mutex<ProviderState>>>) -> Json<Value> {
    let issuer = state.lock().unwrap().issuer.clone();
    Json(json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/authorize"),
        "token_endpoint": format!("{issuer}/token"),
        "jwks_uri": format!("{issuer}/jwks"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
    }))
}

async fn authorize(
    State(state): State<Arc<Mutex<ProviderState>>>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let field = |name: &str| query.get(name).cloned().unwrap_or_default();
    if field("response_type") != "code"
        || field("client_id") != CLIENT_ID
        || field("code_challenge_method") != "S256"
        || field("code_challenge").len() != 43
        || !field("scope").split(' ').any(|s| s == "openid")
    {
        return (StatusCode::BAD_REQUEST, "bad authorization request").into_response();
    }
    let mut state = state.lock().unwrap();
    state.next_code += 1;
    let code = format!("code-{}", state.next_code);
    state.codes.insert(
        code.clone(),
        Issued {
            challenge: field("code_challenge"),
            nonce: field("nonce"),
            redirect_uri: field("redirect_uri"),
            used: false,
        },
    );
    let mut back = url::Url::parse(&field("redirect_uri")).unwrap();
    back.query_pairs_mut()
        .append_pair("code", &code)
        .append_pair("state", &field("state"));
    Redirect::to(back.as_str()).into_response()
}

async fn token(
    State(state): State<Arc<Mutex<ProviderState>>>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let mut state = state.lock().unwrap();
    let field = |name: &str| form.get(name).cloned().unwrap_or_default();
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|v| BASE64.decode(v.as_bytes()).ok())
        .and_then(|v| String::from_utf8(v).ok());
    let client_ok = match basic {
        Some(pair) => pair == format!("{CLIENT_ID}:{CLIENT_SECRET}"),
        None => field("client_id") == CLIENT_ID && field("client_secret") == CLIENT_SECRET,
    };
    let refuse = |state: &mut ProviderState, why: &'static str| {
        state.refusals.push(why);
        (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": "invalid_grant", "error_description": format!("PROVIDER-TEXT {why}")})),
        )
            .into_response()
    };
    if !client_ok {
        return refuse(&mut state, "client");
    }
    if field("grant_type") != "authorization_code" {
        return refuse(&mut state, "grant_type");
    }
    let code = field("code");
    let Some(issued) = state.codes.get(&code).cloned() else {
        return refuse(&mut state, "unknown code");
    };
    if issued.used {
        return refuse(&mut state, "code used");
    }
    if let Some(entry) = state.codes.get_mut(&code) {
        entry.used = true;
    }
    if field("redirect_uri") != issued.redirect_uri {
        return refuse(&mut state, "redirect_uri");
    }
    let mut verifier = field("code_verifier");
    if state.tamper_verifier {
        verifier.push('x');
    }
    if BASE64URL_NOPAD.encode(&Sha256::digest(verifier.as_bytes())) != issued.challenge {
        return refuse(&mut state, "verifier");
    }
    let mut claims = serde_json::Map::new();
    claims.insert("iss".into(), json!(state.issuer));
    claims.insert("aud".into(), json!(CLIENT_ID));
    claims.insert("nonce".into(), json!(issued.nonce));
    claims.insert("iat".into(), json!(state.now));
    claims.insert("exp".into(), json!(state.now + 300));
    for (name, value) in state.claims.iter().chain(state.overrides.iter()) {
        claims.insert(name.clone(), value.clone());
    }
    claims.retain(|_, value| !value.is_null());
    let jwt = format!(
        "{}.{}.{}",
        BASE64URL_NOPAD.encode(br#"{"alg":"RS256","kid":"fake"}"#),
        BASE64URL_NOPAD.encode(Value::Object(claims).to_string().as_bytes()),
        BASE64URL_NOPAD.encode(b"not-a-signature"),
    );
    Json(json!({"access_token": "at", "token_type": "Bearer", "expires_in": 300, "id_token": jwt}))
        .into_response()
}
