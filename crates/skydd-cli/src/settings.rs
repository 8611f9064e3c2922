//! Where an instance's data lives, as the serve and token commands take it: flag, then environment, then default.

use std::path::PathBuf;

use clap::Args;
use skydd_server::instance::DataSettings;

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
}

impl DataArgs {
    /// The settings the server library opens an instance with.
    pub(crate) fn settings(&self) -> DataSettings {
        DataSettings {
            data_dir: self.data_dir.clone(),
            database_url: self.database_url.clone().filter(|url| !url.is_empty()),
        }
    }
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
