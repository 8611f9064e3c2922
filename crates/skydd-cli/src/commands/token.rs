//! `skydd token create|list|revoke`: manage API tokens, also while a server runs on the same data.

use std::process::ExitCode;

use anyhow::Context as _;
use clap::builder::{PossibleValue, PossibleValuesParser};
use clap::{ArgGroup, Args, Subcommand};
use skydd_app::{Clock as _, SystemClock, tokens};
use skydd_crypto::TokenId;
use skydd_staff::permission::{Scope, StaffRole};

use crate::commands::cli_actor;
use crate::settings::DataArgs;

/// `skydd token ...`
#[derive(Debug, Subcommand)]
pub(crate) enum TokenCommand {
    /// Create a token and print it (only the token, on stdout). It is shown this once.
    Create(CreateArgs),
    /// List tokens: id, scopes, created, expires, last used, revoked, label. Never the tokens
    /// themselves.
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
#[command(group(ArgGroup::new("what").required(true).args(["role", "scope"])))]
pub(crate) struct CreateArgs {
    /// What the token may do, as a role: `admin` (every permission, what tokens have always
    /// meant), `staff-admin`, `dpo`, `support`, `auditor` or `metrics`. The same as `--scope`
    /// with that word.
    #[arg(long, value_parser = role_values())]
    role: Option<String>,
    /// What the token may do, one scope per `--scope` (repeatable; the token may do what any
    /// of them allows). `--help` lists each scope's permissions.
    #[arg(long, value_parser = scope_values(), conflicts_with = "role")]
    scope: Vec<String>,
    /// When the token stops working: a number of days from now (`90d`). Without it, the token
    /// works until revoked.
    #[arg(long, value_name = "DAYS", value_parser = parse_lifetime)]
    expires: Option<jiff::SignedDuration>,
    /// A note on who or what uses the token ("ci", "dpo laptop").
    #[arg(long, default_value = "")]
    label: String,
    #[command(flatten)]
    data: DataArgs,
}

/// The scopes that name a role, for `--role`.
const ROLE_SCOPES: [Scope; 6] = [
    Scope::Admin,
    Scope::Role(StaffRole::Admin),
    Scope::Role(StaffRole::Dpo),
    Scope::Role(StaffRole::Support),
    Scope::Role(StaffRole::Auditor),
    Scope::Metrics,
];

/// `--scope`'s words, each with what it grants, from `skydd-staff`'s one table.
fn scope_values() -> PossibleValuesParser {
    PossibleValuesParser::new(Scope::ALL.map(possible_value))
}

/// `--role`'s words, each with what it grants.
fn role_values() -> PossibleValuesParser {
    PossibleValuesParser::new(ROLE_SCOPES.map(possible_value))
}

fn possible_value(scope: Scope) -> PossibleValue {
    PossibleValue::new(scope.as_str()).help(scope.permission_words())
}

/// The most days a token may live: about a hundred years.
const MAX_LIFETIME_DAYS: i64 = 36_500;

/// `90d`: a number of days (1 to 36500) followed by `d`.
fn parse_lifetime(text: &str) -> Result<jiff::SignedDuration, String> {
    text.strip_suffix('d')
        .and_then(|days| days.parse::<i64>().ok())
        .filter(|days| (1..=MAX_LIFETIME_DAYS).contains(days))
        .map(|days| jiff::SignedDuration::from_hours(days * 24))
        .ok_or_else(|| {
            format!("expected a number of days from 1 to {MAX_LIFETIME_DAYS} followed by `d`, such as `90d`")
        })
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
            let words = args.role.into_iter().chain(args.scope);
            let scopes = words
                .map(|word| word.parse::<Scope>())
                .collect::<Result<Vec<_>, _>>()
                .context("cannot create the token")?;
            let new = tokens::NewToken {
                scopes,
                expires_at: args.expires.map(|lifetime| now + lifetime),
                label: args.label,
            };
            let token = tokens::create(&*storage, &*audit, &actor, &new, now)
                .await
                .context("cannot create the token")?;
            println!("{}", token.secret());
            ExitCode::SUCCESS
        }
        TokenCommand::List { .. } => {
            let tokens = storage.list_tokens().await.context("cannot list tokens")?;
            println!(
                "{:<16}  {:<20}  {:<20}  {:<20}  {:<20}  {:<20}  LABEL",
                "ID", "SCOPES", "CREATED", "EXPIRES", "LAST USED", "REVOKED"
            );
            let or_dash =
                |at: Option<jiff::Timestamp>| at.map(second).unwrap_or_else(|| "-".into());
            for token in tokens {
                println!(
                    "{:<16}  {:<20}  {:<20}  {:<20}  {:<20}  {:<20}  {}",
                    token.id.to_string(),
                    token.scopes.join(","),
                    second(token.created_at),
                    or_dash(token.expires_at),
                    or_dash(token.last_used_at),
                    or_dash(token.revoked_at),
                    token.label
                );
            }
            ExitCode::SUCCESS
        }
        TokenCommand::Revoke { id, .. } => {
            let id = TokenId(id);
            if tokens::revoke(
                &*storage,
                // This process keeps no tokens; servers forget it through the change log.
                &tokens::TokenCache::default(),
                &*audit,
                &actor,
                &id,
                now,
            )
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifetimes_are_days() {
        assert_eq!(
            parse_lifetime("90d"),
            Ok(jiff::SignedDuration::from_hours(90 * 24))
        );
        for bad in ["0d", "90", "d", "-1d", "1.5d", "36501d", "90h"] {
            assert!(parse_lifetime(bad).is_err(), "{bad}");
        }
    }
}
