//! `skydd erasures replay`: after a connected database was restored from a backup, re-apply
//! the erasures recorded since a date (issue 16, part 3), so that no erased subject comes back.

use std::process::ExitCode;

use anyhow::Context as _;
use clap::Subcommand;
use skydd_app::instance::Create;
use skydd_app::{Clock as _, SystemClock};
use skydd_vault::Actor;

use crate::commands::{DatasetArgs, open_app, served_register, with_datasets};
use crate::settings::DataArgs;

/// `skydd erasures ...`
#[derive(Debug, Subcommand)]
pub(crate) enum ErasuresCommand {
    /// Re-apply to a connected database restored from a backup every erasure recorded as done
    /// there since DATE (the primary keys in the sealed receipts, the same strategies and keyed
    /// hash), in one transaction. Idempotent: rows already erased are counted, not rewritten.
    Replay {
        /// The dataset's name (the system) whose database was restored.
        #[arg(long)]
        database: String,
        /// The first day (Europe/Stockholm) whose erasures are replayed: the backup's date or
        /// earlier.
        #[arg(long, value_name = "DATE")]
        since: jiff::civil::Date,
        /// Count what would be written, write nothing (the transaction is rolled back).
        #[arg(long)]
        dry_run: bool,
        #[command(flatten)]
        data: DataArgs,
        #[command(flatten)]
        datasets: DatasetArgs,
    },
}

/// Run a `skydd erasures` command.
pub(crate) async fn run(command: ErasuresCommand) -> anyhow::Result<ExitCode> {
    let ErasuresCommand::Replay {
        database,
        since,
        dry_run,
        data,
        datasets,
    } = command;
    let app = open_app(&data, Create::Never, served_register()).await?;
    let app = match with_datasets(app, &datasets).await? {
        Ok(app) => app,
        Err(code) => return Ok(code),
    };
    let since = since
        .to_zoned(skydd_register::zone::stockholm())
        .context("the date has no start in Europe/Stockholm")?
        .timestamp();
    let now = SystemClock.now();
    let outcome = match app
        .replay_erasures(&Actor::new("cli"), &database, since, dry_run, now)
        .await
    {
        Ok(summary) => {
            let verb = if dry_run { "would replay" } else { "replayed" };
            println!(
                "{verb} {} erasure(s) in {}",
                summary.requests, summary.system
            );
            println!(
                "{:<24}  {:>8}  {:>8}  {:>9}  {:>8}",
                "COLLECTION", "DELETED", "UPDATED", "UNCHANGED", "MISSING"
            );
            for c in &summary.collections {
                println!(
                    "{:<24}  {:>8}  {:>8}  {:>9}  {:>8}",
                    c.collection, c.deleted, c.updated, c.unchanged, c.missing
                );
            }
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("skydd: {error}");
            ExitCode::FAILURE
        }
    };
    app.close().await.context("cannot close the database")?;
    Ok(outcome)
}
