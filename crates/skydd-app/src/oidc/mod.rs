//! Optional single sign-on with OpenID Connect: the authorization code flow with PKCE (S256),
//! `state` and `nonce`, the code exchanged at the token endpoint and the ID token's claims
//! checked, then a claim value mapped to a staff role.
//!
//! [`Sso`] holds the [`settings`], the provider's metadata ([`discovery`], fetched when first
//! needed and kept for an hour) and the sign-ins under way ([`pending`]). [`Sso::begin`] gives
//! the URL to send the browser to; [`Sso::finish`] takes what the provider sent back and returns
//! the checked [`SsoIdentity`]: the verified e-mail address and the role; `App::open_sso_session`
//! ([`account`]) opens the staff session for it. Nothing here reads the clock or serves HTTP: the
//! server passes `now` and the callback's parameters; the HTTP client is the crate's
//! `outbound` module.
//!
//! Errors ([`SsoError`]) name the step and, for a missing role, the claim; never a value the
//! provider sent about the person, nor the provider's own error text.

pub mod account;
pub mod discovery;
pub mod id_token;
pub mod pending;
pub mod settings;

use std::fmt;
use std::sync::Mutex;

use data_encoding::{BASE64, BASE64URL_NOPAD};
use hyper::header::{self, HeaderValue};
use jiff::{SignedDuration, Timestamp};
use serde::Deserialize;
use sha2::{Digest as _, Sha256};
use skydd_staff::permission::StaffRole;
use subtle::ConstantTimeEq as _;
use url::Url;

pub use crate::outbound::ClientError;
pub use account::{SsoAccountError, SsoSession};
pub use discovery::ProviderMetadata;
pub use id_token::TokenRefusal;
pub use settings::{ClientAuth, ClientSecret, OidcParts, OidcSettings, RoleMap, SettingsError};

use pending::{Pending, PendingLogins};

/// How long the provider's metadata is used before it is fetched again.
const METADATA_KEPT: SignedDuration = SignedDuration::from_secs(3600);

/// Why a single sign-on did not go through. The `Display` text is for the log and the
/// operator; the console shows a fixed sentence per [`SsoError::kind`].
#[derive(Debug, thiserror::Error)]
pub enum SsoError {
    /// The provider could not be reached (network, TLS, time limit).
    #[error("the identity provider could not be reached: {0}")]
    Unreachable(#[source] ClientError),
    /// The discovery document is unusable (issuer mismatch, no S256, endpoints not https ...).
    #[error("the identity provider's discovery document is unusable: {0}")]
    Discovery(String),
    /// The callback's `state` is missing, unknown, used already, expired, or not this
    /// browser's.
    #[error("the sign-in is unknown, expired, already used or from another browser (state)")]
    UnknownState,
    /// The provider sent the person back with an error instead of a code (they cancelled,
    /// or the provider refused). Its text is not kept.
    #[error("the identity provider sent back an error instead of a code")]
    ProviderRefused,
    /// The token endpoint refused the code (used already, or the PKCE verifier or the client
    /// secret does not match) or did not answer with an ID token.
    #[error(
        "the token endpoint refused the code (HTTP {status}); it may be used already, or the client secret or the PKCE verifier does not match"
    )]
    Exchange {
        /// The token endpoint's HTTP status.
        status: u16,
    },
    /// The ID token failed a check.
    #[error("{0}")]
    Token(#[from] TokenRefusal),
    /// The token carries no e-mail address marked verified (`email`, `email_verified`).
    #[error("the ID token has no verified e-mail address (`email` with `email_verified` true)")]
    NoVerifiedEmail,
    /// No value of the role claim is mapped to a role.
    #[error("no value of the claim `{claim}` is mapped to a role (--oidc-role)")]
    NoRole {
        /// The claim's name (never its values).
        claim: String,
    },
    /// The operating system gave no random bytes.
    #[error(transparent)]
    Random(#[from] skydd_crypto::RandomError),
}

impl SsoError {
    /// A stable word for the kind of failure: for the log, metrics and the page's text.
    pub fn kind(&self) -> &'static str {
        match self {
            SsoError::Unreachable(_) => "provider_unreachable",
            SsoError::Discovery(_) => "provider_misconfigured",
            SsoError::UnknownState => "unknown_state",
            SsoError::ProviderRefused => "provider_refused",
            SsoError::Exchange { .. } => "code_refused",
            SsoError::Token(_) => "token_refused",
            SsoError::NoVerifiedEmail => "no_verified_email",
            SsoError::NoRole { .. } => "no_role",
            SsoError::Random(_) => "no_randomness",
        }
    }
}

/// What the provider's redirect to the callback carried, and the browser's state cookie.
#[derive(Debug, Clone, Copy, Default)]
pub struct Callback<'a> {
    /// `state` from the query string.
    pub state: Option<&'a str>,
    /// `code` from the query string.
    pub code: Option<&'a str>,
    /// `error` from the query string (the person cancelled, or the provider refused).
    pub error: Option<&'a str>,
    /// The state cookie [`Begun::state`] was set in, as the browser sent it back.
    pub cookie_state: Option<&'a str>,
}

/// A sign-in begun: send the browser to `authorize_url`, and set `state` in a short-lived
/// cookie (HttpOnly, `SameSite=Lax`, for the callback path) so the callback can tell it is
/// the same browser.
pub struct Begun {
    /// The provider's authorization endpoint with the request's parameters.
    pub authorize_url: Url,
    /// The state, for the cookie.
    pub state: String,
}

impl fmt::Debug for Begun {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Begun(hidden)")
    }
}

/// A person the provider signed in, checked: who they are and the role the claim maps to.
/// `Debug` hides the e-mail address and the subject.
#[derive(Clone, PartialEq, Eq)]
pub struct SsoIdentity {
    /// The provider's `sub`.
    pub subject: String,
    /// The verified e-mail address, as the provider wrote it.
    pub email: String,
    /// The role the first mapped claim value gives.
    pub role: StaffRole,
}

impl fmt::Debug for SsoIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SsoIdentity")
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

/// Single sign-on with one OpenID provider. Built once (in `App::with_sso`); shared.
#[derive(Debug)]
pub struct Sso {
    settings: OidcSettings,
    metadata: tokio::sync::Mutex<Option<(ProviderMetadata, Timestamp)>>,
    pending: Mutex<PendingLogins>,
}

#[derive(Deserialize)]
struct TokenAnswer {
    id_token: String,
}

impl Sso {
    /// Single sign-on with `settings`; nothing is fetched yet.
    pub fn new(settings: OidcSettings) -> Sso {
        Sso {
            settings,
            metadata: tokio::sync::Mutex::new(None),
            pending: Mutex::new(PendingLogins::default()),
        }
    }

    /// The settings.
    pub fn settings(&self) -> &OidcSettings {
        &self.settings
    }

    /// The provider's metadata: fetched at the first sign-in and again after an hour.
    pub async fn metadata(&self, now: Timestamp) -> Result<ProviderMetadata, SsoError> {
        let mut cached = self.metadata.lock().await;
        if let Some((metadata, fetched)) = cached.as_ref()
            && *fetched + METADATA_KEPT > now
        {
            return Ok(metadata.clone());
        }
        let metadata = discovery::discover(&self.settings).await?;
        *cached = Some((metadata.clone(), now));
        Ok(metadata)
    }

    /// Begin a sign-in: a fresh `state`, `nonce` and PKCE verifier (each 256 random bits),
    /// remembered for [`pending::LIFETIME`], and the authorization URL asking for a code with
    /// the S256 challenge.
    pub async fn begin(&self, now: Timestamp) -> Result<Begun, SsoError> {
        let metadata = self.metadata(now).await?;
        let state = random_text()?;
        let nonce = random_text()?;
        let verifier = random_text()?;
        let challenge = BASE64URL_NOPAD.encode(&Sha256::digest(verifier.as_bytes()));
        let mut authorize_url = metadata.authorization_endpoint;
        authorize_url
            .query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", self.settings.client_id())
            .append_pair("redirect_uri", self.settings.redirect_url().as_str())
            .append_pair("scope", &self.settings.scopes().join(" "))
            .append_pair("state", &state)
            .append_pair("nonce", &nonce)
            .append_pair("code_challenge", &challenge)
            .append_pair("code_challenge_method", "S256");
        self.pending_logins().insert(
            state.clone(),
            Pending {
                nonce,
                verifier,
                started: now,
            },
            now,
        );
        Ok(Begun {
            authorize_url,
            state,
        })
    }

    /// Finish a sign-in from the provider's redirect: the state must be one this process
    /// began, unexpired, unused and this browser's (its cookie); the code is exchanged with the
    /// verifier; the ID token is checked; the e-mail must be verified and a role claim value
    /// mapped. The sign-in is used up whatever the outcome.
    pub async fn finish(
        &self,
        callback: Callback<'_>,
        now: Timestamp,
    ) -> Result<SsoIdentity, SsoError> {
        let state = callback.state.ok_or(SsoError::UnknownState)?;
        let pending = self
            .pending_logins()
            .take(state, now)
            .ok_or(SsoError::UnknownState)?;
        let same_browser = callback
            .cookie_state
            .is_some_and(|cookie| bool::from(cookie.as_bytes().ct_eq(state.as_bytes())));
        if !same_browser {
            return Err(SsoError::UnknownState);
        }
        if callback.error.is_some() {
            return Err(SsoError::ProviderRefused);
        }
        let code = callback
            .code
            .filter(|c| !c.is_empty())
            .ok_or(SsoError::ProviderRefused)?;
        let token = self.exchange(code, &pending.verifier, now).await?;
        let claims = id_token::check(
            &token,
            &id_token::Expected {
                issuer: self.settings.issuer(),
                client_id: self.settings.client_id(),
                nonce: &pending.nonce,
                role_claim: self.settings.role_claim(),
                now,
            },
        )?;
        let email = match (claims.email, claims.email_verified) {
            (Some(email), true) if !email.trim().is_empty() => email,
            _ => return Err(SsoError::NoVerifiedEmail),
        };
        let role = self
            .settings
            .roles()
            .role_for(claims.role_values.iter().map(String::as_str))
            .ok_or_else(|| SsoError::NoRole {
                claim: self.settings.role_claim().to_owned(),
            })?;
        Ok(SsoIdentity {
            subject: claims.subject,
            email,
            role,
        })
    }

    /// Exchange `code` at the token endpoint (Core 3.1.3.1) and return the ID token.
    async fn exchange(
        &self,
        code: &str,
        verifier: &str,
        now: Timestamp,
    ) -> Result<String, SsoError> {
        let metadata = self.metadata(now).await?;
        let settings = &self.settings;
        let redirect = settings.redirect_url().as_str();
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect),
            ("code_verifier", verifier),
        ];
        let mut headers = Vec::new();
        match settings.client_auth() {
            ClientAuth::Basic => {
                // RFC 6749 2.3.1: both parts form-encoded before they are joined.
                let encode = |text: &str| {
                    url::form_urlencoded::byte_serialize(text.as_bytes()).collect::<String>()
                };
                let credentials = format!(
                    "{}:{}",
                    encode(settings.client_id()),
                    encode(settings.client_secret().expose())
                );
                let mut value = HeaderValue::try_from(format!(
                    "Basic {}",
                    BASE64.encode(credentials.as_bytes())
                ))
                .map_err(|_| SsoError::Exchange { status: 0 })?;
                value.set_sensitive(true);
                headers.push((header::AUTHORIZATION, value));
            }
            ClientAuth::Post => {
                form.push(("client_id", settings.client_id()));
                form.push(("client_secret", settings.client_secret().expose()));
            }
        }
        let answer = crate::outbound::post_form(&metadata.token_endpoint, &form, headers)
            .await
            .map_err(SsoError::Unreachable)?;
        let status = answer.status.as_u16();
        if !answer.status.is_success() {
            return Err(SsoError::Exchange { status });
        }
        let answer: TokenAnswer =
            serde_json::from_slice(&answer.body).map_err(|_| SsoError::Exchange { status })?;
        Ok(answer.id_token)
    }

    fn pending_logins(&self) -> std::sync::MutexGuard<'_, PendingLogins> {
        // A panic while holding the lock leaves a map that is still consistent (every change
        // is one insert or remove), so a poisoned lock is used as it is.
        self.pending
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// 256 random bits as 43 base64url characters: a `state`, a `nonce` or a PKCE verifier
/// (RFC 7636 4.1 allows 43 to 128 characters of this alphabet).
fn random_text() -> Result<String, SsoError> {
    let bytes = skydd_crypto::random_bytes::<32>()?;
    Ok(BASE64URL_NOPAD.encode(&bytes))
}
