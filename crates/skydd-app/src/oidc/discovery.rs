//! The provider's discovery document (OpenID Connect Discovery 1.0): where to send people and
//! where to exchange the code, read from `ISSUER/.well-known/openid-configuration`, its
//! `issuer` exactly the configured one.

use serde::Deserialize;
use url::Url;

use super::SsoError;
use super::settings::OidcSettings;

/// What Skydd uses of the provider's metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderMetadata {
    /// `authorization_endpoint`: where the browser is sent to sign in.
    pub authorization_endpoint: Url,
    /// `token_endpoint`: where the code is exchanged for the ID token.
    pub token_endpoint: Url,
}

#[derive(Deserialize)]
struct Document {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    #[serde(default)]
    code_challenge_methods_supported: Option<Vec<String>>,
    #[serde(default)]
    token_endpoint_auth_methods_supported: Option<Vec<String>>,
}

/// Fetch and check the discovery document of `settings`' issuer.
pub(crate) async fn discover(settings: &OidcSettings) -> Result<ProviderMetadata, SsoError> {
    let url = settings
        .discovery_url()
        .map_err(|e| SsoError::Discovery(e.to_string()))?;
    let answer = crate::outbound::get(&url)
        .await
        .map_err(SsoError::Unreachable)?;
    if !answer.status.is_success() {
        return Err(SsoError::Discovery(format!(
            "{} answered HTTP {}; check --oidc-issuer",
            crate::outbound::origin(&url),
            answer.status.as_u16()
        )));
    }
    let document: Document = serde_json::from_slice(&answer.body).map_err(|_| {
        SsoError::Discovery(format!(
            "{} is not an OpenID provider configuration (JSON with issuer, authorization_endpoint and token_endpoint); check --oidc-issuer",
            url
        ))
    })?;
    check(settings, document)
}

fn check(settings: &OidcSettings, document: Document) -> Result<ProviderMetadata, SsoError> {
    if document.issuer != settings.issuer() {
        return Err(SsoError::Discovery(format!(
            "the provider calls itself `{}`, not `{}` (Discovery 4.3 asks for an exact match); set --oidc-issuer to exactly the provider's issuer",
            document.issuer,
            settings.issuer()
        )));
    }
    let endpoint = |name: &str, text: &str| {
        Url::parse(text)
            .ok()
            .filter(crate::outbound::allowed)
            .ok_or_else(|| {
                SsoError::Discovery(format!(
                    "the provider's {name} `{text}` is not an https:// URL (http:// only to a loopback address)"
                ))
            })
    };
    let authorization_endpoint =
        endpoint("authorization_endpoint", &document.authorization_endpoint)?;
    let token_endpoint = endpoint("token_endpoint", &document.token_endpoint)?;
    if let Some(methods) = &document.code_challenge_methods_supported
        && !methods.iter().any(|m| m == "S256")
    {
        return Err(SsoError::Discovery(
            "the provider does not support PKCE with S256 (code_challenge_methods_supported); Skydd requires it".to_owned(),
        ));
    }
    let auth = settings.client_auth().as_str();
    if let Some(methods) = &document.token_endpoint_auth_methods_supported
        && !methods.iter().any(|m| m == auth)
    {
        return Err(SsoError::Discovery(format!(
            "the provider does not accept {auth} at its token endpoint; choose another --oidc-client-auth ({})",
            methods.join(", ")
        )));
    }
    Ok(ProviderMetadata {
        authorization_endpoint,
        token_endpoint,
    })
}
