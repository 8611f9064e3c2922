//! `skydd retention plan|run`: what the register's retention rules remove now (or at a date),
//! and removing it (the sweep itself, also run by `skydd serve`, is `skydd_app::App::sweep`).

use std::io::IsTerminal as _;
use std::num::NonZeroUsize;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Args, Subcommand};
use jiff::Timestamp;
use skydd_app::instance::Create;
use skydd_app::{App, Clock as _, SystemClock};
use skydd_retention::LineState;
use skydd_vault::{SweepProgress, Vault};

use crate::commands::audit::parse_moment;
use crate::commands::{cli_actor, open_app, served_register};
use crate::settings::DataArgs;

/// `skydd retention ...`
#[derive(Debug, Subcommand)]
pub(crate) enum RetentionCommand {
    /// Count every record by what retention does to it now (or `--at` a date): delete,
    /// anonymise, held, pending, kept, ungoverned. Changes nothing.
    Plan(PlanArgs),
    /// Delete and anonymise every expired record, in batches (resumable: run it again after an
    /// interruption), with the proof in the audit trail.
    Run(RunArgs),
}

/// Arguments of `retention plan`.
#[derive(Debug, Args)]
pub(crate) struct PlanArgs {
    /// Plan as of this date (`2025-02-01` is midnight UTC, or RFC 3339) [default: now].
    #[arg(long, value_name = "DATE", value_parser = parse_moment)]
    at: Option<Timestamp>,
    #[command(flatten)]
    data: DataArgs,
}

/// Arguments of `retention run`.
#[derive(Debug, Args)]
pub(crate) struct RunArgs {
    /// Sweep as of this date, which may not be in the future (deleting by a future date would
    /// remove data still within its retention period) [default: now].
    #[arg(long, value_name = "DATE", value_parser = parse_moment)]
    at: Option<Timestamp>,
    /// Records read per batch (one transaction each).
    #[arg(long, default_value = "1000", value_name = "N")]
    batch: NonZeroUsize,
    #[command(flatten)]
    data: DataArgs,
}

/// Run a `skydd retention` command on an existing instance.
pub(crate) async fn run(command: RetentionCommand) -> anyhow::Result<ExitCode> {
    let data = match &command {
        RetentionCommand::Plan(args) => &args.data,
        RetentionCommand::Run(args) => &args.data,
    };
    let now = SystemClock.now();
    if let RetentionCommand::Run(RunArgs { at: Some(at), .. }) = &command
        && *at > now
    {
        anyhow::bail!(
            "--at {at} is in the future: a sweep by a future date would delete data still within \
             its retention period; use `skydd retention plan --at` to see what will go then"
        );
    }
    // The rules of the register the instance serves, never another file's.
    let app = open_app(data, Create::Never, served_register()).await?;
    let outcome = match command {
        RetentionCommand::Plan(args) => plan(&app.vault(), args.at.unwrap_or(now)).await,
        RetentionCommand::Run(args) => {
            run_sweep(&app, args.at.unwrap_or(now), args.batch.get()).await
        }
    };
    app.close().await.context("cannot close the database")?;
    outcome
}

async fn plan(vault: &Vault, at: Timestamp) -> anyhow::Result<ExitCode> {
    let plan = vault
        .retention_plan(at)
        .await
        .context("cannot read the records")?;
    println!("Retention plan at {at} (nothing is changed):");
    print!("{}", plan.table());
    print_totals(&plan);
    Ok(ExitCode::SUCCESS)
}

fn print_totals(plan: &skydd_retention::Plan) {
    println!(
        "to delete {}, to anonymise {}, held {}, pending {}, kept {}, ungoverned {}",
        plan.total(LineState::Delete),
        plan.total(LineState::Anonymise),
        plan.total(LineState::Held),
        plan.total(LineState::Pending),
        plan.total(LineState::Kept),
        plan.total(LineState::Ungoverned),
    );
    let ungoverned = plan.total(LineState::Ungoverned);
    if ungoverned > 0 {
        println!(
            "warning: {ungoverned} record(s) are governed by no retention rule of this register \
             (their purpose or category is not in it together); add a rule or delete them"
        );
    }
}

async fn run_sweep(app: &App, at: Timestamp, batch: usize) -> anyhow::Result<ExitCode> {
    let total = app
        .storage
        .count_records()
        .await
        .context("cannot count the records")?;
    let terminal = std::io::stderr().is_terminal();
    let mut progress = |seen: SweepProgress| {
        if terminal {
            eprint!("\r{}", progress_bar(seen, total));
        }
    };
    let actor = cli_actor();
    let summary = app.sweep(&actor, at, batch, &mut progress).await?;
    if terminal {
        eprintln!();
    }
    let Some(summary) = summary else {
        eprintln!("skydd: another sweep is running on this database; nothing was done");
        return Ok(ExitCode::FAILURE);
    };
    println!("Retention sweep at {at}:");
    print!("{}", summary.plan.table());
    print_totals(&summary.plan);
    println!(
        "deleted {} record(s), anonymised {}, crypto-shredded {} subject(s), in {} batch(es)",
        summary.deleted, summary.anonymised, summary.shredded, summary.batches
    );
    Ok(ExitCode::SUCCESS)
}

/// `[#####.....]  1200/5000 records, 300 removed`.
fn progress_bar(seen: SweepProgress, total: u64) -> String {
    const WIDTH: u64 = 30;
    let done = (seen.scanned.min(total) * WIDTH)
        .checked_div(total)
        .unwrap_or(WIDTH);
    format!(
        "[{}{}] {}/{} records, {} removed",
        "#".repeat(usize::try_from(done).unwrap_or(0)),
        ".".repeat(usize::try_from(WIDTH - done).unwrap_or(0)),
        seen.scanned,
        total,
        seen.removed
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_progress_bar_fills_with_the_records_read() {
        let at = |scanned, removed| SweepProgress { scanned, removed };
        assert_eq!(
            progress_bar(at(0, 0), 10),
            format!("[{}] 0/10 records, 0 removed", ".".repeat(30))
        );
        assert!(progress_bar(at(5, 2), 10).starts_with(&format!(
            "[{}{}]",
            "#".repeat(15),
            ".".repeat(15)
        )));
        assert!(progress_bar(at(0, 0), 0).starts_with(&format!("[{}]", "#".repeat(30))));
    }
}
