//! What single sign-on is configured with: the provider, the client, where the provider sends
//! people back, and which value of which claim makes which staff role. Checked when built, so
//! settings in hand are usable.

use std::fmt;
use std::path::Path;

use skydd_staff::permission::StaffRole;
use url::Url;
use zeroize::Zeroize;

/// The path of the console's callback, which the provider redirects to with the code.
pub const CALLBACK_PATH: &str = "/console/sso/callback";

/// The claim that carries roles unless configured otherwise.
pub const DEFAULT_ROLE_CLAIM: &str = "groups";

/// Settings that cannot be used; the message says which setting and how to fix it, and never
/// holds the client secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SettingsError(String);

/// The client secret shared with the provider. `Debug` never shows it; wiped when dropped;
/// read only to authenticate at the token endpoint.
pub struct ClientSecret(String);

impl ClientSecret {
    /// The secret from the environment variable `name`.
    pub fn from_env(name: &str) -> Result<ClientSecret, SettingsError> {
        match std::env::var(name) {
            Ok(value) => ClientSecret::checked(value, &format!("the environment variable {name}")),
            Err(std::env::VarError::NotPresent) => Err(SettingsError(format!(
                "the environment variable {name} is not set; set it to the client secret the provider issued, or use --oidc-client-secret-file"
            ))),
            Err(std::env::VarError::NotUnicode(_)) => Err(SettingsError(format!(
                "the environment variable {name} is not valid UTF-8; it must hold the client secret"
            ))),
        }
    }

    /// The secret from the file at `path` (trailing white space removed). The file must be a
    /// regular file that neither its group nor others can read.
    pub fn from_file(path: &Path) -> Result<ClientSecret, SettingsError> {
        let shown = path.display();
        let metadata = std::fs::metadata(path).map_err(|error| {
            SettingsError(format!(
                "cannot read the client secret file {shown} (--oidc-client-secret-file): {error}"
            ))
        })?;
        if !metadata.is_file() {
            return Err(SettingsError(format!(
                "the client secret file {shown} is not a regular file; it must hold the client secret"
            )));
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            if metadata.permissions().mode() & 0o077 != 0 {
                return Err(SettingsError(format!(
                    "the client secret file {shown} can be read by its group or others; run `chmod 600 {shown}`"
                )));
            }
        }
        let text = std::fs::read_to_string(path).map_err(|error| {
            SettingsError(format!(
                "cannot read the client secret file {shown}: {error}"
            ))
        })?;
        ClientSecret::checked(text, &format!("the file {shown}"))
    }

    /// A secret given directly (tests, or a caller that read it elsewhere).
    pub fn new(secret: String) -> ClientSecret {
        ClientSecret(secret)
    }

    fn checked(mut text: String, place: &str) -> Result<ClientSecret, SettingsError> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            text.zeroize();
            return Err(SettingsError(format!(
                "{place} is empty; it must hold the client secret the provider issued"
            )));
        }
        let secret = ClientSecret(trimmed.to_owned());
        text.zeroize();
        Ok(secret)
    }

    /// The secret itself, for the token request only: never format it into a message.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl Drop for ClientSecret {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl fmt::Debug for ClientSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ClientSecret(hidden)")
    }
}

/// How the client authenticates at the token endpoint (OIDC Core 9).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientAuth {
    /// `client_secret_basic`: HTTP Basic with the client id and secret (the default).
    Basic,
    /// `client_secret_post`: the id and secret as form fields.
    Post,
}

impl ClientAuth {
    /// The method's name in OIDC Core and in discovery (`client_secret_basic`, `client_secret_post`).
    pub const fn as_str(self) -> &'static str {
        match self {
            ClientAuth::Basic => "client_secret_basic",
            ClientAuth::Post => "client_secret_post",
        }
    }
}

/// Which claim value makes which staff role, in the order configured: when a person's claim
/// holds several mapped values, the first mapping wins.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoleMap(Vec<(String, StaffRole)>);

impl RoleMap {
    /// Read `value=role` pairs (`--oidc-role`). The value is everything before the last `=`,
    /// so a group named like an LDAP DN (`cn=privacy,ou=groups=dpo`) works.
    pub fn parse<'a>(pairs: impl IntoIterator<Item = &'a str>) -> Result<RoleMap, SettingsError> {
        let mut map = Vec::new();
        for pair in pairs {
            let pair = pair.trim();
            if pair.is_empty() {
                continue;
            }
            let Some((value, role)) = pair.rsplit_once('=') else {
                return Err(SettingsError(format!(
                    "--oidc-role `{pair}` has no `=`; write VALUE=ROLE, such as privacy-team=dpo"
                )));
            };
            let role: StaffRole = role
                .trim()
                .parse()
                .map_err(|error| SettingsError(format!("--oidc-role `{pair}`: {error}")))?;
            let value = value.trim();
            if value.is_empty() {
                return Err(SettingsError(format!(
                    "--oidc-role `{pair}` has no claim value before `=`; write VALUE=ROLE"
                )));
            }
            map.push((value.to_owned(), role));
        }
        Ok(RoleMap(map))
    }

    /// The role of the first mapping whose value is among `values`; `None` when none is.
    pub fn role_for<'a>(
        &self,
        values: impl IntoIterator<Item = &'a str> + Clone,
    ) -> Option<StaffRole> {
        self.0
            .iter()
            .find(|(mapped, _)| values.clone().into_iter().any(|v| v == mapped))
            .map(|(_, role)| *role)
    }

    /// The mappings, in order.
    pub fn pairs(&self) -> &[(String, StaffRole)] {
        &self.0
    }

    /// Whether nothing is mapped (then nobody could sign in).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Everything single sign-on needs. Built only by [`OidcSettings::new`], so the issuer and the
/// redirect URL are known to be usable.
#[derive(Debug)]
pub struct OidcSettings {
    issuer: String,
    client_id: String,
    client_secret: ClientSecret,
    client_auth: ClientAuth,
    redirect_url: Url,
    role_claim: String,
    roles: RoleMap,
    provider_name: String,
    scopes: Vec<String>,
}

/// The parts of [`OidcSettings`], as the command line reads them.
#[derive(Debug)]
pub struct OidcParts {
    /// The issuer URL, exactly as the provider writes it in `iss` (https; http only to a
    /// loopback address).
    pub issuer: String,
    /// The client id the provider issued.
    pub client_id: String,
    /// The client secret.
    pub client_secret: ClientSecret,
    /// How the client authenticates at the token endpoint.
    pub client_auth: ClientAuth,
    /// The full callback URL registered at the provider: the console's public address and
    /// [`CALLBACK_PATH`].
    pub redirect_url: String,
    /// The claim carrying roles; empty: [`DEFAULT_ROLE_CLAIM`].
    pub role_claim: String,
    /// Claim value → role.
    pub roles: RoleMap,
    /// The name on the sign-in button; empty: the issuer's host.
    pub provider_name: String,
    /// Scopes asked for besides `openid` and `email` (`groups`, `profile` ...).
    pub extra_scopes: Vec<String>,
}

impl OidcSettings {
    /// Check `parts`: the issuer is an https URL (http only to a loopback address) without
    /// query or fragment, the redirect URL likewise and ends in [`CALLBACK_PATH`], the client
    /// id is given and at least one role is mapped.
    pub fn new(parts: OidcParts) -> Result<OidcSettings, SettingsError> {
        let issuer = parts.issuer.trim().to_owned();
        let issuer_url = Url::parse(&issuer).map_err(|error| {
            SettingsError(format!(
                "--oidc-issuer `{issuer}` is not a URL ({error}); write the provider's issuer, such as https://login.example.com/realms/staff"
            ))
        })?;
        if !crate::outbound::allowed(&issuer_url) {
            return Err(SettingsError(format!(
                "--oidc-issuer `{issuer}` must be an https:// URL (http:// only to a loopback address, for tests)"
            )));
        }
        if issuer_url.query().is_some() || issuer_url.fragment().is_some() {
            return Err(SettingsError(format!(
                "--oidc-issuer `{issuer}` must not have a query or fragment (OpenID Connect Discovery 3)"
            )));
        }
        let redirect = parts.redirect_url.trim();
        let redirect_url = Url::parse(redirect).map_err(|error| {
            SettingsError(format!(
                "--oidc-redirect-url `{redirect}` is not a URL ({error}); write the console's public address followed by {CALLBACK_PATH}"
            ))
        })?;
        if !crate::outbound::allowed(&redirect_url)
            || !redirect_url.path().ends_with(CALLBACK_PATH)
            || redirect_url.query().is_some()
            || redirect_url.fragment().is_some()
        {
            return Err(SettingsError(format!(
                "--oidc-redirect-url `{redirect}` must be an https:// URL (http:// only to a loopback address) ending in {CALLBACK_PATH}, such as https://privacy.example.com{CALLBACK_PATH}"
            )));
        }
        let client_id = parts.client_id.trim().to_owned();
        if client_id.is_empty() {
            return Err(SettingsError(
                "--oidc-client-id is empty; write the client id the provider issued for Skydd"
                    .to_owned(),
            ));
        }
        if parts.roles.is_empty() {
            return Err(SettingsError(
                "no --oidc-role is given, so nobody could sign in; map a claim value to a role, such as --oidc-role privacy-team=dpo".to_owned(),
            ));
        }
        let role_claim = match parts.role_claim.trim() {
            "" => DEFAULT_ROLE_CLAIM.to_owned(),
            claim => claim.to_owned(),
        };
        let provider_name = match parts.provider_name.trim() {
            "" => issuer_url
                .host_str()
                .unwrap_or("the identity provider")
                .to_owned(),
            name => name.to_owned(),
        };
        let mut scopes = vec!["openid".to_owned(), "email".to_owned()];
        for scope in parts.extra_scopes {
            let scope = scope.trim();
            if scope.is_empty() || scope.contains(char::is_whitespace) {
                return Err(SettingsError(format!(
                    "--oidc-scope `{scope}` is not one scope; give each scope once, without spaces"
                )));
            }
            if !scopes.iter().any(|s| s == scope) {
                scopes.push(scope.to_owned());
            }
        }
        Ok(OidcSettings {
            issuer,
            client_id,
            client_secret: parts.client_secret,
            client_auth: parts.client_auth,
            redirect_url,
            role_claim,
            roles: parts.roles,
            provider_name,
            scopes,
        })
    }

    /// The issuer, exactly as configured: discovery's `issuer` and every ID token's `iss` must
    /// equal it.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The client id: every ID token's `aud` must hold it.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    pub(crate) fn client_secret(&self) -> &ClientSecret {
        &self.client_secret
    }

    /// How the client authenticates at the token endpoint.
    pub fn client_auth(&self) -> ClientAuth {
        self.client_auth
    }

    /// The callback URL sent as `redirect_uri`.
    pub fn redirect_url(&self) -> &Url {
        &self.redirect_url
    }

    /// The claim whose values are mapped to roles.
    pub fn role_claim(&self) -> &str {
        &self.role_claim
    }

    /// Claim value → role.
    pub fn roles(&self) -> &RoleMap {
        &self.roles
    }

    /// The name the sign-in page shows ("Sign in with NAME").
    pub fn provider_name(&self) -> &str {
        &self.provider_name
    }

    /// The scopes asked for, `openid` first.
    pub fn scopes(&self) -> &[String] {
        &self.scopes
    }

    /// The discovery document's URL: the issuer, without a trailing `/`, and
    /// `/.well-known/openid-configuration` (OpenID Connect Discovery 4).
    pub(crate) fn discovery_url(&self) -> Result<Url, SettingsError> {
        let text = format!(
            "{}/.well-known/openid-configuration",
            self.issuer.trim_end_matches('/')
        );
        Url::parse(&text).map_err(|error| {
            SettingsError(format!("the discovery URL {text} is not a URL: {error}"))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(issuer: &str, redirect: &str) -> OidcParts {
        OidcParts {
            issuer: issuer.to_owned(),
            client_id: "skydd".to_owned(),
            client_secret: ClientSecret::new("s3cret-value".to_owned()),
            client_auth: ClientAuth::Basic,
            redirect_url: redirect.to_owned(),
            role_claim: String::new(),
            roles: RoleMap::parse(["privacy=dpo"]).unwrap(),
            provider_name: String::new(),
            extra_scopes: vec!["groups".to_owned()],
        }
    }

    #[test]
    fn http_issuers_are_refused_except_on_loopback() {
        let redirect = "https://privacy.example.com/console/sso/callback";
        let refused = OidcSettings::new(parts("http://login.example.com", redirect)).unwrap_err();
        assert!(
            refused.to_string().contains("must be an https:// URL"),
            "{refused}"
        );
        for issuer in [
            "http://127.0.0.1:9000",
            "http://[::1]:9000/x",
            "http://localhost:1",
        ] {
            OidcSettings::new(parts(issuer, redirect)).unwrap();
        }
        let settings =
            OidcSettings::new(parts("https://login.example.com/realms/a/", redirect)).unwrap();
        assert_eq!(settings.issuer(), "https://login.example.com/realms/a/");
        assert_eq!(
            settings.discovery_url().unwrap().as_str(),
            "https://login.example.com/realms/a/.well-known/openid-configuration"
        );
        assert_eq!(settings.provider_name(), "login.example.com");
        assert_eq!(settings.role_claim(), "groups");
        assert_eq!(settings.scopes(), ["openid", "email", "groups"]);
        assert!(!format!("{settings:?}").contains("s3cret"));
    }

    #[test]
    fn the_redirect_url_must_be_the_callback() {
        let issuer = "https://login.example.com";
        for redirect in [
            "https://privacy.example.com/",
            "http://privacy.example.com/console/sso/callback",
            "https://privacy.example.com/console/sso/callback?x=1",
        ] {
            let error = OidcSettings::new(parts(issuer, redirect)).unwrap_err();
            assert!(error.to_string().contains(CALLBACK_PATH), "{error}");
        }
        OidcSettings::new(parts(
            issuer,
            "https://example.com/skydd/console/sso/callback",
        ))
        .unwrap();
    }

    #[test]
    fn role_pairs_split_at_the_last_equals_sign() {
        let map = RoleMap::parse(["cn=privacy,ou=groups=dpo", "helpdesk=support", ""]).unwrap();
        assert_eq!(
            map.pairs(),
            [
                ("cn=privacy,ou=groups".to_owned(), StaffRole::Dpo),
                ("helpdesk".to_owned(), StaffRole::Support)
            ]
        );
        assert_eq!(
            map.role_for(["x", "helpdesk", "cn=privacy,ou=groups"]),
            Some(StaffRole::Dpo)
        );
        assert_eq!(map.role_for(["x"]), None);
        let error = RoleMap::parse(["privacy=boss"]).unwrap_err().to_string();
        assert!(error.contains("admin, dpo, support, auditor"), "{error}");
        assert!(RoleMap::parse(["privacy"]).is_err());
        assert!(RoleMap::parse(["=dpo"]).is_err());
    }

    #[test]
    fn a_readable_secret_file_is_refused_and_its_content_never_quoted() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secret");
        std::fs::write(&path, "very-secret-text\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let error = ClientSecret::from_file(&path).unwrap_err().to_string();
        assert!(
            error.contains("chmod 600") && !error.contains("very-secret"),
            "{error}"
        );
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(
            ClientSecret::from_file(&path).unwrap().expose(),
            "very-secret-text"
        );
    }
}
