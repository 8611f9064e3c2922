//! Where an instance's data lives, as the serve and token commands take it: flag, then environment, then default.

use std::path::PathBuf;

use clap::Args;
use skydd_app::JobSettings;
use skydd_app::instance::DataSettings;
use skydd_app::oidc::settings::CALLBACK_PATH;
use skydd_app::oidc::{ClientAuth, ClientSecret, OidcParts, OidcSettings, RoleMap};

/// The options that locate an instance's data.
#[derive(Debug, Clone, Args)]
pub(crate) struct DataArgs {
    /// Directory for the master key and the SQLite database (created on first start, mode 0700).
    #[arg(
        long,
        env = "SKYDD_DATA_DIR",
        default_value = "./skydd-data",
        value_name = "DIR"
    )]
    pub(crate) data_dir: PathBuf,
    /// Use this PostgreSQL database instead of SQLite (postgres://user@host/db).
    #[arg(
        long,
        env = "SKYDD_DATABASE_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    pub(crate) database_url: Option<String>,
    /// How long a write waits for a SQLite lock another process holds (`200ms`, `5s`, `1m`)
    /// before it is answered as busy (HTTP 503 with Retry-After). PostgreSQL uses its own
    /// `lock_timeout` instead.
    #[arg(
        long,
        env = "SKYDD_BUSY_TIMEOUT",
        default_value = "5s",
        value_name = "DURATION",
        value_parser = parse_busy_timeout
    )]
    pub(crate) busy_timeout: std::time::Duration,
    /// What an acknowledged write to the SQLite database survives: `power-loss` (each commit
    /// waits until it is on disk) or `process-crash` (a crash of Skydd loses nothing, a power
    /// cut may lose the last commits; faster where syncing the disk is slow). Every process
    /// writing the file should say the same. PostgreSQL's `synchronous_commit` decides there.
    #[arg(
        long,
        env = "SKYDD_SQLITE_DURABILITY",
        value_enum,
        default_value = "power-loss",
        value_name = "SURVIVES"
    )]
    pub(crate) sqlite_durability: SqliteDurability,
}

/// The `--sqlite-durability` values, as [`skydd_storage::Durability`] has them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum SqliteDurability {
    /// A commit survives a power cut: it waits until the WAL is on disk.
    PowerLoss,
    /// A commit survives a crash of Skydd; the WAL reaches the disk at checkpoints.
    ProcessCrash,
}

impl From<SqliteDurability> for skydd_storage::Durability {
    fn from(durability: SqliteDurability) -> Self {
        match durability {
            SqliteDurability::PowerLoss => skydd_storage::Durability::PowerLoss,
            SqliteDurability::ProcessCrash => skydd_storage::Durability::ProcessCrash,
        }
    }
}

impl DataArgs {
    /// The settings the application layer opens an instance with.
    pub(crate) fn settings(&self) -> DataSettings {
        DataSettings {
            data_dir: self.data_dir.clone(),
            database_url: self.database_url.clone().filter(|url| !url.is_empty()),
            busy_timeout: self.busy_timeout,
            durability: self.sqlite_durability.into(),
        }
    }
}

/// A busy timeout: `<number>ms` or a duration as [`parse_interval`] reads it; never zero (a
/// writer that never waits would fail whenever another process writes).
pub(crate) fn parse_busy_timeout(text: &str) -> Result<std::time::Duration, String> {
    parse_timeout(text, "the busy timeout")
}

/// `text` as a timeout (`200ms`, `5s`, `1m`): more than zero; `what` names it in the error.
fn parse_timeout(text: &str, what: &str) -> Result<std::time::Duration, String> {
    let text = text.trim();
    let timeout = match text.strip_suffix("ms") {
        Some(millis) => millis
            .parse::<u64>()
            .map(std::time::Duration::from_millis)
            .map_err(|_| format!("`{text}` does not start with a number; write 200ms or 5s"))?,
        None => parse_interval(text)?,
    };
    if timeout.is_zero() {
        return Err(format!("{what} must be more than zero; write 200ms or 5s"));
    }
    Ok(timeout)
}

/// How `skydd serve` sends messages to data subjects: an SMTP server, or (without `--smtp-host`)
/// none, and the messages stay queued for `skydd outbox list`.
#[derive(Debug, Clone, Args)]
pub(crate) struct SmtpArgs {
    /// SMTP server for messages to data subjects [default: none; messages stay queued]
    #[arg(long, env = "SKYDD_SMTP_HOST", value_name = "HOST")]
    pub(crate) smtp_host: Option<String>,
    /// SMTP port.
    #[arg(
        long,
        env = "SKYDD_SMTP_PORT",
        default_value_t = 587,
        value_name = "PORT"
    )]
    pub(crate) smtp_port: u16,
    /// Connection protection: starttls (required), implicit (TLS from the start) or none.
    #[arg(long, env = "SKYDD_SMTP_TLS", default_value = "starttls", value_parser = ["starttls", "implicit", "none"])]
    pub(crate) smtp_tls: String,
    /// SMTP user name.
    #[arg(long, env = "SKYDD_SMTP_USERNAME", value_name = "USER")]
    pub(crate) smtp_username: Option<String>,
    /// SMTP password (prefer the environment variable).
    #[arg(
        long,
        env = "SKYDD_SMTP_PASSWORD",
        value_name = "PASSWORD",
        hide_env_values = true
    )]
    pub(crate) smtp_password: Option<String>,
    /// Sender address: `Name <address>` or `address`.
    #[arg(long, env = "SKYDD_SMTP_FROM", value_name = "FROM")]
    pub(crate) smtp_from: Option<String>,
}

impl SmtpArgs {
    /// The SMTP settings, or `None` when no host is configured. A host without a sender is an
    /// error.
    pub(crate) fn settings(&self) -> anyhow::Result<Option<skydd_outbox::SmtpSettings>> {
        let Some(host) = self.smtp_host.clone().filter(|h| !h.is_empty()) else {
            return Ok(None);
        };
        let Some(from) = self.smtp_from.clone().filter(|f| !f.is_empty()) else {
            anyhow::bail!("--smtp-host needs --smtp-from (SKYDD_SMTP_FROM): the sender address");
        };
        let tls = match self.smtp_tls.as_str() {
            "implicit" => skydd_outbox::Tls::Implicit,
            "none" => skydd_outbox::Tls::None,
            _ => skydd_outbox::Tls::StartTls,
        };
        Ok(Some(skydd_outbox::SmtpSettings {
            host,
            port: self.smtp_port,
            tls,
            username: self.smtp_username.clone(),
            password: self.smtp_password.clone(),
            from,
        }))
    }
}

/// The environment variable holding the OpenID client secret when no file is given. The secret
/// is never a flag: a command line is visible to every user of the host.
pub(crate) const OIDC_SECRET_ENV: &str = "SKYDD_OIDC_CLIENT_SECRET";

/// Single sign-on for the console with an OpenID Connect provider; off unless `--oidc-issuer`
/// is given. See the README, "Single sign-on".
#[derive(Debug, Clone, Args)]
pub(crate) struct OidcArgs {
    /// The OpenID provider's issuer, exactly as its ID tokens' `iss` (https://; http:// only to
    /// a loopback address). Switches single sign-on on [default: off]
    #[arg(long, env = "SKYDD_OIDC_ISSUER", value_name = "URL")]
    pub(crate) oidc_issuer: Option<String>,
    /// The client id the provider issued for Skydd.
    #[arg(long, env = "SKYDD_OIDC_CLIENT_ID", value_name = "ID")]
    pub(crate) oidc_client_id: Option<String>,
    /// A file (mode 0600) holding the client secret [default: the environment variable
    /// SKYDD_OIDC_CLIENT_SECRET; the secret is never a flag]
    #[arg(long, env = "SKYDD_OIDC_CLIENT_SECRET_FILE", value_name = "PATH")]
    pub(crate) oidc_client_secret_file: Option<PathBuf>,
    /// How Skydd authenticates at the token endpoint: `basic` (client_secret_basic) or `post`
    /// (client_secret_post).
    #[arg(long, env = "SKYDD_OIDC_CLIENT_AUTH", default_value = "basic", value_parser = ["basic", "post"])]
    pub(crate) oidc_client_auth: String,
    /// The console's callback as registered at the provider: the public address people reach
    /// Skydd at, followed by /console/sso/callback.
    #[arg(long, env = "SKYDD_OIDC_REDIRECT_URL", value_name = "URL")]
    pub(crate) oidc_redirect_url: Option<String>,
    /// The ID token claim whose values are mapped to roles.
    #[arg(
        long,
        env = "SKYDD_OIDC_ROLE_CLAIM",
        default_value = "groups",
        value_name = "CLAIM"
    )]
    pub(crate) oidc_role_claim: String,
    /// A claim value and the staff role it gives (admin, dpo, support, auditor), such as
    /// `privacy-team=dpo`. Repeatable; when someone's claim holds several, the first given
    /// wins; a person with none is refused. In SKYDD_OIDC_ROLES separate pairs with `;`.
    #[arg(
        long = "oidc-role",
        env = "SKYDD_OIDC_ROLES",
        value_name = "VALUE=ROLE",
        action = clap::ArgAction::Append,
        value_delimiter = ';'
    )]
    pub(crate) oidc_roles: Vec<String>,
    /// The provider's name on the sign-in page ("Sign in with NAME") [default: the issuer's
    /// host]
    #[arg(long, env = "SKYDD_OIDC_PROVIDER_NAME", value_name = "NAME")]
    pub(crate) oidc_provider_name: Option<String>,
    /// A scope to ask for besides `openid` and `email` (such as `groups`, which some providers
    /// need to send the role claim). Repeatable.
    #[arg(
        long = "oidc-scope",
        env = "SKYDD_OIDC_SCOPES",
        value_name = "SCOPE",
        action = clap::ArgAction::Append,
        value_delimiter = ','
    )]
    pub(crate) oidc_scopes: Vec<String>,
}

impl OidcArgs {
    /// The single sign-on settings, or `None` without `--oidc-issuer`. Reads the client secret
    /// (from the file, else the environment); every error names the setting to fix.
    pub(crate) fn settings(&self) -> anyhow::Result<Option<OidcSettings>> {
        let Some(issuer) = self.oidc_issuer.clone().filter(|i| !i.trim().is_empty()) else {
            return Ok(None);
        };
        let Some(client_id) = self.oidc_client_id.clone().filter(|c| !c.trim().is_empty()) else {
            anyhow::bail!(
                "--oidc-issuer needs --oidc-client-id (SKYDD_OIDC_CLIENT_ID): the client id the provider issued"
            );
        };
        let Some(redirect_url) = self
            .oidc_redirect_url
            .clone()
            .filter(|r| !r.trim().is_empty())
        else {
            anyhow::bail!(
                "--oidc-issuer needs --oidc-redirect-url (SKYDD_OIDC_REDIRECT_URL): the public address of the console followed by {CALLBACK_PATH}"
            );
        };
        let client_secret = match &self.oidc_client_secret_file {
            Some(path) if !path.as_os_str().is_empty() => ClientSecret::from_file(path)?,
            _ => ClientSecret::from_env(OIDC_SECRET_ENV)?,
        };
        let client_auth = match self.oidc_client_auth.as_str() {
            "post" => ClientAuth::Post,
            _ => ClientAuth::Basic,
        };
        let settings = OidcSettings::new(OidcParts {
            issuer,
            client_id,
            client_secret,
            client_auth,
            redirect_url,
            role_claim: self.oidc_role_claim.clone(),
            roles: RoleMap::parse(self.oidc_roles.iter().map(String::as_str))?,
            provider_name: self.oidc_provider_name.clone().unwrap_or_default(),
            extra_scopes: self.oidc_scopes.clone(),
        })?;
        Ok(Some(settings))
    }
}

/// How much `skydd serve` keeps in memory to answer decisions without reading the database.
#[derive(Debug, Clone, Args)]
pub(crate) struct CacheArgs {
    /// How many subjects' decision facts (consents, objections, preferences, restriction) to
    /// keep in memory; the least recently used are dropped beyond. About 300 bytes each (see
    /// BENCHMARKS.md, "Decisions from memory"). Changes made by other servers or `skydd`
    /// commands on the same database are seen within 1 s.
    #[arg(
        long,
        env = "SKYDD_FACTS_CACHE_SUBJECTS",
        default_value_t = skydd_vault::DEFAULT_CACHED_SUBJECTS,
        value_name = "N"
    )]
    pub(crate) facts_cache_subjects: usize,
}

/// How often `skydd serve` sweeps expired records and checkpoints the audit trail.
#[derive(Debug, Clone, Args)]
pub(crate) struct SweepArgs {
    /// How often to run a retention sweep and sign an audit checkpoint: `30s`, `15m`, `1h`,
    /// `1d`; `0` switches both off (run `skydd retention run` from cron instead).
    #[arg(
        long,
        env = "SKYDD_RETENTION_INTERVAL",
        default_value = "1h",
        value_name = "DURATION",
        value_parser = parse_interval
    )]
    pub(crate) retention_interval: std::time::Duration,
}

impl SweepArgs {
    /// The intervals of `skydd serve`'s background jobs: the retention interval from here, the
    /// others their defaults.
    pub(crate) fn job_settings(&self) -> JobSettings {
        JobSettings {
            retention_interval: self.retention_interval,
            ..JobSettings::default()
        }
    }
}

/// A duration as `<number><unit>` with unit `s`, `m`, `h` or `d`; `0` alone is zero.
pub(crate) fn parse_interval(text: &str) -> Result<std::time::Duration, String> {
    let text = text.trim();
    if text == "0" {
        return Ok(std::time::Duration::ZERO);
    }
    let help = "write a number and a unit: 30s, 15m, 1h, 1d (or 0 to switch off)";
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .ok_or_else(|| format!("`{text}` has no unit; {help}"))?;
    let (number, unit) = text.split_at(split);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` does not start with a number; {help}"))?;
    let seconds = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(format!("`{unit}` is not a unit; {help}")),
    };
    Ok(std::time::Duration::from_secs(
        number.saturating_mul(seconds),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_take_a_unit() {
        assert_eq!(parse_interval("0"), Ok(std::time::Duration::ZERO));
        assert_eq!(
            parse_interval("90s"),
            Ok(std::time::Duration::from_secs(90))
        );
        assert_eq!(
            parse_interval("15m"),
            Ok(std::time::Duration::from_secs(900))
        );
        assert_eq!(
            parse_interval("1d"),
            Ok(std::time::Duration::from_secs(86_400))
        );
        assert!(parse_interval("15").unwrap_err().contains("no unit"));
        assert!(parse_interval("1w").unwrap_err().contains("not a unit"));
        assert!(parse_interval("h").is_err());
    }

    /// `--sqlite-durability` reaches the data settings; without it a write survives a power cut.
    #[test]
    fn sqlite_durability_is_power_loss_unless_asked() {
        use clap::Parser as _;
        #[derive(clap::Parser)]
        struct Command {
            #[command(flatten)]
            data: DataArgs,
        }
        let durability = |args: &[&str]| {
            let args = std::iter::once("skydd").chain(args.iter().copied());
            Command::try_parse_from(args).map(|c| c.data.settings().durability)
        };
        // The environment variable would take the flag's place; the test runs without it.
        if std::env::var_os("SKYDD_SQLITE_DURABILITY").is_none() {
            assert_eq!(
                durability(&[]).unwrap(),
                skydd_storage::Durability::PowerLoss
            );
        }
        assert_eq!(
            durability(&["--sqlite-durability", "process-crash"]).unwrap(),
            skydd_storage::Durability::ProcessCrash
        );
        assert_eq!(
            durability(&["--sqlite-durability", "power-loss"]).unwrap(),
            skydd_storage::Durability::PowerLoss
        );
        let error = durability(&["--sqlite-durability", "fast"]).err().unwrap();
        assert!(error.to_string().contains("power-loss"), "{error}");
    }

    #[test]
    fn busy_timeouts_take_milliseconds_or_an_interval_and_are_never_zero() {
        assert_eq!(
            parse_busy_timeout("200ms"),
            Ok(std::time::Duration::from_millis(200))
        );
        assert_eq!(
            parse_busy_timeout("5s"),
            Ok(std::time::Duration::from_secs(5))
        );
        assert!(parse_busy_timeout("0").is_err());
        assert!(parse_busy_timeout("0ms").is_err());
        assert!(parse_busy_timeout("xms").is_err());
        assert!(parse_busy_timeout("5").is_err());
    }
}

/// How the instance faces the public: `skydd serve`'s `--public-url`, `--allowed-origin` and
/// `--brand-*` (issue 18: the privacy centre and the consent banner).
#[derive(Debug, clap::Args)]
pub(crate) struct SiteArgs {
    /// The address people reach Skydd at (`https://privacy.example.com`): magic links and links
    /// in messages start with it [default: the address each request reached the server at].
    #[arg(long, env = "SKYDD_PUBLIC_URL", value_name = "URL")]
    public_url: Option<String>,
    /// A website origin whose pages may call intake and the banner log from a browser
    /// (`https://www.example.com`). Repeatable; in skydd.toml `allowed_origins = [...]`.
    #[arg(
        long = "allowed-origin",
        env = "SKYDD_ALLOWED_ORIGINS",
        value_name = "ORIGIN",
        action = clap::ArgAction::Append,
        value_delimiter = ','
    )]
    allowed_origins: Vec<String>,
    /// The company's name in the privacy centre's header [default: the register's controller].
    #[arg(long, env = "SKYDD_BRAND_NAME", value_name = "NAME")]
    brand_name: Option<String>,
    /// The company's logo (SVG, PNG or JPEG, at most 256 KiB), served by Skydd itself.
    #[arg(long, env = "SKYDD_BRAND_LOGO", value_name = "PATH")]
    brand_logo: Option<PathBuf>,
    /// The privacy centre's accent colour, `#rrggbb`.
    #[arg(long, env = "SKYDD_BRAND_COLOUR", value_name = "HEX")]
    brand_colour: Option<String>,
}

impl SiteArgs {
    /// The public site these flags describe; a malformed value is an error naming the flag.
    pub(crate) fn settings(&self) -> anyhow::Result<skydd_app::site::PublicSite> {
        use anyhow::Context as _;
        use skydd_app::site::{Brand, Colour, Logo, Origin, PublicSite};
        let url = self
            .public_url
            .as_deref()
            .filter(|u| !u.is_empty())
            .map(PublicSite::parse_url)
            .transpose()
            .context("--public-url")?;
        let allowed_origins = self
            .allowed_origins
            .iter()
            .filter(|o| !o.is_empty())
            .map(|o| Origin::parse(o))
            .collect::<Result<Vec<_>, _>>()
            .context("--allowed-origin")?;
        let brand = Brand {
            name: self.brand_name.clone().filter(|n| !n.trim().is_empty()),
            logo: self
                .brand_logo
                .as_deref()
                .map(Logo::read)
                .transpose()
                .context("--brand-logo")?,
            colour: self
                .brand_colour
                .as_deref()
                .filter(|c| !c.is_empty())
                .map(Colour::parse)
                .transpose()
                .context("--brand-colour")?,
        };
        Ok(PublicSite {
            url,
            brand,
            allowed_origins,
        })
    }
}

/// How `skydd serve` meets the network: the reverse proxies it trusts, how long a client may
/// take to send a request, and the public routes' abuse limits (issue 18, "a public surface
/// that can face the internet").
#[derive(Debug, clap::Args)]
pub(crate) struct EdgeArgs {
    /// A reverse proxy in front of Skydd, as an IP address or a CIDR network (`10.0.0.0/8`):
    /// from it, the client is the rightmost address in `X-Forwarded-For` that is not a trusted
    /// proxy. Repeatable; in skydd.toml `trusted_proxies = [...]` [default: none, the peer is
    /// the client].
    #[arg(
        long = "trusted-proxy",
        env = "SKYDD_TRUSTED_PROXIES",
        value_name = "IP|CIDR",
        action = clap::ArgAction::Append,
        value_delimiter = ',',
        value_parser = parse_network
    )]
    trusted_proxies: Vec<skydd_server::forwarded::Network>,
    /// How long a client may take to send a request's head (and a kept-alive connection may
    /// sit idle); then the connection is closed (`500ms`, `10s`).
    #[arg(
        long,
        env = "SKYDD_HEADER_TIMEOUT",
        default_value = "10s",
        value_name = "DURATION",
        value_parser = parse_header_timeout
    )]
    header_timeout: std::time::Duration,
    /// How long a client may take to send a request's body, from its head on (an identity
    /// document of 10 MiB must fit); then it gets a 408 and the connection is closed.
    #[arg(
        long,
        env = "SKYDD_BODY_TIMEOUT",
        default_value = "60s",
        value_name = "DURATION",
        value_parser = parse_body_timeout
    )]
    body_timeout: std::time::Duration,
    /// Multiply the burst of every public route's abuse limit by N (1 to 10000), for a load
    /// test or a fuzzer run; the limits stay on, and a start with N above 1 is logged as a
    /// warning.
    #[arg(
        long,
        env = "SKYDD_RATE_LIMIT_SCALE",
        default_value = "1",
        value_name = "N",
        value_parser = clap::value_parser!(u32).range(1..=i64::from(skydd_server::limit::MAX_SCALE))
    )]
    rate_limit_scale: u32,
}

impl EdgeArgs {
    /// The reverse proxies to trust.
    pub(crate) fn trusted_proxies(&self) -> skydd_server::forwarded::TrustedProxies {
        skydd_server::forwarded::TrustedProxies::new(self.trusted_proxies.clone())
    }

    /// The read timeouts.
    pub(crate) fn timeouts(&self) -> skydd_server::listen::Timeouts {
        skydd_server::listen::Timeouts {
            header: self.header_timeout,
            body: self.body_timeout,
        }
    }

    /// How many times the default bursts the public limits allow.
    pub(crate) fn rate_limit_scale(&self) -> u32 {
        self.rate_limit_scale
    }
}

/// `--trusted-proxy`: an IP address or a CIDR network.
fn parse_network(text: &str) -> Result<skydd_server::forwarded::Network, String> {
    text.parse()
        .map_err(|error: skydd_server::forwarded::NetworkError| error.to_string())
}

/// `--header-timeout`.
fn parse_header_timeout(text: &str) -> Result<std::time::Duration, String> {
    parse_timeout(text, "the header timeout")
}

/// `--body-timeout`.
fn parse_body_timeout(text: &str) -> Result<std::time::Duration, String> {
    parse_timeout(text, "the body timeout")
}
