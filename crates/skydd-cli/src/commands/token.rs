//! `skydd token create|list|revoke`: manage API tokens, also while a server runs on the same data.

use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Args, Subcommand, ValueEnum};
use skydd_app::{Clock as _, SystemClock, tokens};
use skydd_crypto::{Role, TokenId};

use crate::commands::cli_actor;
use crate::settings::DataArgs;

/// `skydd token ...`
#[derive(Debug, Subcommand)]
pub(crate) enum TokenCommand {
    /// Create a token and print it (only the token, on stdout). It is shown this once.
    Create(CreateArgs),
    /// List tokens: id, role, label, created, revoked. Never the tokens themselves.
    List {
        #[command(flatten)]
        data: DataArgs,
    },
    /// Revoke a token by its id (see `skydd token list`).
    Revoke {
        /// The token's id.
        id: String,
        #[command(flatten)]
        data: DataArgs,
    },
}

/// Arguments of `token create`.
#[derive(Debug, Args)]
pub(crate) struct CreateArgs {
    /// What the token may do.
    #[arg(long, value_enum)]
    role: RoleArg,
    /// A note on who or what uses the token ("ci", "dpo laptop").
    #[arg(long, default_value = "")]
    label: String,
    #[command(flatten)]
    data: DataArgs,
}

/// A role, as typed on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum RoleArg {
    /// Everything.
    Admin,
    /// Read-only access to the register and the audit trail.
    Auditor,
    /// Only `GET /metrics` (for a monitoring system).
    Metrics,
}

impl From<RoleArg> for Role {
    fn from(role: RoleArg) -> Role {
        match role {
            RoleArg::Admin => Role::Admin,
            RoleArg::Auditor => Role::Auditor,
            RoleArg::Metrics => Role::Metrics,
        }
    }
}

/// Run a `skydd token` command on an existing instance.
pub(crate) async fn run(command: TokenCommand) -> anyhow::Result<ExitCode> {
    let data = match &command {
        TokenCommand::Create(args) => &args.data,
        TokenCommand::List { data } | TokenCommand::Revoke { data, .. } => data,
    };
    let instance = super::open_existing(data).await?;
    let storage = instance.storage.clone();
    // Token changes are audited with who made them and the IP address behind them (P001-15):
    // the SSH client's address when the command runs in an SSH session.
    let audit = instance.audit();
    let actor = cli_actor();
    let now = SystemClock.now();

    let outcome = match command {
        TokenCommand::Create(args) => {
            let role = Role::from(args.role);
            let token = tokens::create(&*storage, &*audit, &actor, role, &args.label, now)
                .await
                .context("cannot create the token")?;
            println!("{}", token.secret());
            ExitCode::SUCCESS
        }
        TokenCommand::List { .. } => {
            let tokens = storage.list_tokens().await.context("cannot list tokens")?;
            println!(
                "{:<16}  {:<7}  {:<20}  {:<20}  LABEL",
                "ID", "ROLE", "CREATED", "REVOKED"
            );
            for token in tokens {
                let revoked = token
                    .revoked_at
                    .map(second)
                    .unwrap_or_else(|| "-".to_owned());
                println!(
                    "{:<16}  {:<7}  {:<20}  {:<20}  {}",
                    token.id.to_string(),
                    token.role.as_str(),
                    second(token.created_at),
                    revoked,
                    token.label
                );
            }
            ExitCode::SUCCESS
        }
        TokenCommand::Revoke { id, .. } => {
            let id = TokenId(id);
            if tokens::revoke(&*storage, &*audit, &actor, &id, now)
                .await
                .context("cannot revoke the token")?
            {
                eprintln!("revoked token {id}");
                ExitCode::SUCCESS
            } else {
                eprintln!("skydd: no active token has the id {id}");
                ExitCode::FAILURE
            }
        }
    };
    storage.close().await.context("cannot close the database")?;
    Ok(outcome)
}

/// A timestamp to the second, in UTC: `2026-03-01T09:00:00Z`.
fn second(at: jiff::Timestamp) -> String {
    at.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}
