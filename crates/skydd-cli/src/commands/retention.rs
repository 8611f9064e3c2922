//! `skydd retention plan|run`: what the register's retention rules remove now (or at a date),
//! and removing it (the sweep itself, also run by `skydd serve`, is `skydd_app::App::sweep`):
//! the vault's records, then the due rows of every connected database `--dataset` names
//! (issue 16). Output holds names, rules, dates and counts, never a value or a connection
//! string.

use std::fmt::Write as _;
use std::io::IsTerminal as _;
use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Args, Subcommand};
use jiff::Timestamp;
use skydd_app::instance::Create;
use skydd_app::retention::{SweepStep, SystemPlan, SystemSweep, SystemSwept};
use skydd_app::{App, Clock as _, SystemClock};
use skydd_connect::sweep::{CollectionPlan, CollectionReceipt, Outcome, SweepPlan};
use skydd_retention::LineState;
use skydd_vault::SweepProgress;

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

/// The connected databases a sweep covers, as `serve` takes them.
#[derive(Debug, Args)]
pub(crate) struct DatasetArgs {
    /// A connected database's dataset file (see docs/dataset-format.md), or a directory whose
    /// `*.yaml` files are all datasets, as `skydd serve --dataset` takes it. Repeatable. Every
    /// collection with `retention:` is planned or swept after the vault's records; the
    /// connection string is read only when connecting.
    #[arg(
        long = "dataset",
        env = "SKYDD_DATASETS",
        value_name = "PATH",
        action = clap::ArgAction::Append,
        value_delimiter = ','
    )]
    datasets: Vec<PathBuf>,
}

/// Arguments of `retention plan`.
#[derive(Debug, Args)]
pub(crate) struct PlanArgs {
    /// Plan as of this date (`2025-02-01` is midnight UTC, or RFC 3339) [default: now].
    #[arg(long, value_name = "DATE", value_parser = parse_moment)]
    at: Option<Timestamp>,
    #[command(flatten)]
    datasets: DatasetArgs,
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
    /// Records read per batch (one transaction each); in a connected database, rows deleted or
    /// masked per batch.
    #[arg(long, default_value = "1000", value_name = "N")]
    batch: NonZeroUsize,
    #[command(flatten)]
    datasets: DatasetArgs,
    #[command(flatten)]
    data: DataArgs,
}

/// Run a `skydd retention` command on an existing instance.
pub(crate) async fn run(command: RetentionCommand) -> anyhow::Result<ExitCode> {
    let (data, datasets) = match &command {
        RetentionCommand::Plan(args) => (&args.data, &args.datasets.datasets),
        RetentionCommand::Run(args) => (&args.data, &args.datasets.datasets),
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
    let app = match app.clone().load_datasets(datasets) {
        Ok((app, warnings)) => {
            eprint!("{warnings}");
            app
        }
        Err(error) => {
            if let skydd_app::datasets::DatasetError::Invalid { report, .. } = &error {
                eprint!("{report}");
            }
            eprintln!("skydd: {error}");
            app.close().await.context("cannot close the database")?;
            return Ok(ExitCode::from(2));
        }
    };
    let outcome = match command {
        RetentionCommand::Plan(args) => plan(&app, args.at.unwrap_or(now)).await,
        RetentionCommand::Run(args) => {
            run_sweep(&app, args.at.unwrap_or(now), args.batch.get()).await
        }
    };
    app.close().await.context("cannot close the database")?;
    outcome
}

async fn plan(app: &App, at: Timestamp) -> anyhow::Result<ExitCode> {
    let plan = app
        .vault()
        .retention_plan(at)
        .await
        .context("cannot read the records")?;
    println!("Retention plan at {at} (nothing is changed):");
    print!("{}", plan.table());
    print_totals(&plan);
    let connected = app.connected_plan(at).await;
    for system in &connected {
        print!("{}", system_plan_text(system));
    }
    // A database that could not be read: the plan is not whole.
    if connected.iter().any(|s| s.plan.is_err()) {
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

/// One connected database's plan: a heading, then per collection its rule, action, cutoff, due
/// rows and what holds and references keep.
fn system_plan_text(system: &SystemPlan) -> String {
    let mut out = String::new();
    match &system.plan {
        Err(reason) => {
            let _ = writeln!(
                out,
                "Connected database {}: cannot plan: {reason}",
                system.system
            );
        }
        Ok(plan) => {
            let _ = writeln!(
                out,
                "Connected database {} (expiry compared with {}):",
                system.system, plan.today
            );
            out.push_str(&collections_plan_text(plan));
        }
    }
    out
}

/// `plan`'s collections, one line each and one more per hold or reference.
fn collections_plan_text(plan: &SweepPlan) -> String {
    let mut out = String::new();
    for collection in &plan.collections {
        let CollectionPlan {
            collection: name,
            rule,
            cutoff,
            due,
            held,
            referenced,
            skipped,
        } = collection;
        let action = row_action(rule.rows);
        match skipped {
            Some(reason) => {
                let _ = writeln!(
                    out,
                    "  {name}: rule {} by {}: not swept: {reason}",
                    rule.rule, rule.anchor
                );
            }
            None => {
                let cutoff = cutoff.map_or_else(
                    || "nothing due yet".to_owned(),
                    |c| format!("due when {} <= {}", rule.anchor, c.last_due),
                );
                let _ = writeln!(
                    out,
                    "  {name}: rule {} by {}, {cutoff}: {action} {due} row(s)",
                    rule.rule, rule.anchor
                );
            }
        }
        out.push_str(&kept_text(held, referenced));
    }
    out
}

/// The lines saying which due rows legal holds and references keep.
fn kept_text(
    held: &[skydd_connect::sweep::Held],
    referenced: &[skydd_connect::sweep::Referenced],
) -> String {
    let mut out = String::new();
    for hold in held {
        let _ = writeln!(
            out,
            "    held by {} ({}): {} row(s), fields {}",
            hold.hold,
            hold.law,
            hold.rows,
            hold.fields.join(", ")
        );
    }
    for by in referenced {
        let _ = writeln!(
            out,
            "    kept, referred to by {}: {} row(s)",
            by.by, by.rows
        );
    }
    out
}

fn row_action(action: skydd_connect::sweep::RowAction) -> &'static str {
    match action {
        skydd_connect::sweep::RowAction::Delete => "delete",
        skydd_connect::sweep::RowAction::Mask => "mask",
    }
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
    let mut progress = |step: SweepStep| {
        if terminal {
            match step {
                SweepStep::Vault(seen) => eprint!("\r{}", progress_bar(seen, total)),
                SweepStep::Connected { system, progress } => eprint!(
                    "\r\x1b[K{system}.{}: {} row(s) in {} batch(es)",
                    progress.collection, progress.rows, progress.batches
                ),
            }
        }
    };
    let actor = cli_actor();
    let swept = app.sweep(&actor, at, batch, &mut progress).await?;
    if terminal {
        eprintln!();
    }
    let Some(swept) = swept else {
        eprintln!("skydd: another sweep is running on this database; nothing was done");
        return Ok(ExitCode::FAILURE);
    };
    let summary = &swept.vault;
    println!("Retention sweep at {at}:");
    print!("{}", summary.plan.table());
    print_totals(&summary.plan);
    println!(
        "deleted {} record(s), anonymised {}, crypto-shredded {} subject(s), in {} batch(es)",
        summary.deleted, summary.anonymised, summary.shredded, summary.batches
    );
    for system in &swept.connected {
        print!("{}", system_swept_text(system));
    }
    if !swept.complete() {
        eprintln!(
            "skydd: not every connected database was swept to the end; what was done is \
             committed, run it again to finish"
        );
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

/// One connected database's sweep: a heading with how it ended, then per collection what went
/// and what was kept.
fn system_swept_text(system: &SystemSwept) -> String {
    let mut out = String::new();
    match &system.outcome {
        SystemSweep::Busy => {
            let _ = writeln!(
                out,
                "Connected database {}: busy, another sweeper holds its lock; nothing was done",
                system.system
            );
        }
        SystemSweep::Failed { reason } => {
            let _ = writeln!(
                out,
                "Connected database {}: failed: {reason}",
                system.system
            );
        }
        SystemSweep::Done(receipt) => {
            let _ = writeln!(
                out,
                "Connected database {}: {}",
                system.system,
                system.outcome.word()
            );
            for collection in &receipt.collections {
                out.push_str(&collection_swept_text(collection));
            }
        }
    }
    out
}

fn collection_swept_text(collection: &CollectionReceipt) -> String {
    let rule = &collection.rule;
    let name = &collection.collection;
    let mut out = String::new();
    let ended = match &collection.outcome {
        Outcome::Done => String::new(),
        Outcome::Stopped => ", stopped".to_owned(),
        Outcome::Skipped { reason } => format!(", not swept: {reason}"),
        Outcome::Failed { reason } => format!(", failed: {reason}"),
    };
    let _ = writeln!(
        out,
        "  {name}: rule {} by {}: deleted {}, masked {}, in {} batch(es){ended}",
        rule.rule, rule.anchor, collection.deleted, collection.masked, collection.batches
    );
    out.push_str(&kept_text(&collection.held, &collection.referenced));
    out
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

    fn rule(rows: skydd_connect::sweep::RowAction) -> skydd_connect::sweep::RuleApplied {
        skydd_connect::sweep::RuleApplied {
            rule: "invoice_data".into(),
            action: skydd_register::model::RetentionAction::Delete,
            rows,
            anchor: "paid_at".into(),
        }
    }

    #[test]
    fn a_connected_plan_names_rules_cutoffs_counts_holds_and_references() {
        use skydd_connect::sweep::{Cutoff, Held, Referenced, RowAction};
        let held = vec![Held {
            hold: "bookkeeping".into(),
            law: "Bokföringslagen 7 kap. 2 §".into(),
            fields: vec!["buyer".into(), "paid_at".into()],
            rows: 2,
            ended_for: None,
        }];
        let referenced = vec![Referenced {
            by: "pin(invoice_id)".into(),
            rows: 1,
        }];
        let plan = SweepPlan {
            system: "shop".into(),
            now: "2026-12-06T08:00:00Z".parse().unwrap(),
            today: jiff::civil::date(2026, 12, 6),
            collections: vec![
                CollectionPlan {
                    collection: "invoice".into(),
                    rule: rule(RowAction::Delete),
                    cutoff: Some(Cutoff {
                        last_due: jiff::civil::date(2026, 9, 5),
                        before: "2026-09-05T22:00:00Z".parse().unwrap(),
                    }),
                    due: 3,
                    held: held.clone(),
                    referenced: referenced.clone(),
                    skipped: None,
                },
                CollectionPlan {
                    collection: "notes".into(),
                    rule: rule(RowAction::Mask),
                    cutoff: None,
                    due: 0,
                    held: Vec::new(),
                    referenced: Vec::new(),
                    skipped: Some("the anchor `paid_at` is not a date or a time".into()),
                },
            ],
        };
        let shown = system_plan_text(&SystemPlan {
            system: "shop".into(),
            plan: Ok(plan),
        });
        assert_eq!(
            shown,
            "Connected database shop (expiry compared with 2026-12-06):\n\
             \x20 invoice: rule invoice_data by paid_at, due when paid_at <= 2026-09-05: delete 3 row(s)\n\
             \x20   held by bookkeeping (Bokföringslagen 7 kap. 2 §): 2 row(s), fields buyer, paid_at\n\
             \x20   kept, referred to by pin(invoice_id): 1 row(s)\n\
             \x20 notes: rule invoice_data by paid_at: not swept: the anchor `paid_at` is not a date or a time\n"
        );
        let lost = system_plan_text(&SystemPlan {
            system: "lost".into(),
            plan: Err("cannot connect (SQLSTATE 08001)".into()),
        });
        assert_eq!(
            lost,
            "Connected database lost: cannot plan: cannot connect (SQLSTATE 08001)\n"
        );
    }

    #[test]
    fn a_connected_sweep_names_what_went_and_how_each_database_ended() {
        use skydd_connect::sweep::{RowAction, SweepReceipt};
        let collection = CollectionReceipt {
            collection: "invoice".into(),
            rule: rule(RowAction::Delete),
            cutoff: None,
            deleted: 7,
            masked: 0,
            batches: 2,
            held: Vec::new(),
            referenced: Vec::new(),
            outcome: Outcome::Failed {
                reason: "deleting due rows of `invoice` failed (SQLSTATE 23503)".into(),
            },
        };
        let receipt = SweepReceipt {
            system: "shop".into(),
            now: "2026-12-06T08:00:00Z".parse().unwrap(),
            today: jiff::civil::date(2026, 12, 6),
            collections: vec![collection],
            stopped: false,
        };
        let shown = system_swept_text(&SystemSwept {
            system: "shop".into(),
            outcome: SystemSweep::Done(receipt),
        });
        assert_eq!(
            shown,
            "Connected database shop: incomplete\n\
             \x20 invoice: rule invoice_data by paid_at: deleted 7, masked 0, in 2 batch(es), \
             failed: deleting due rows of `invoice` failed (SQLSTATE 23503)\n"
        );
        let busy = system_swept_text(&SystemSwept {
            system: "shop".into(),
            outcome: SystemSweep::Busy,
        });
        assert!(
            busy.contains("busy, another sweeper holds its lock"),
            "{busy}"
        );
    }
}
