//! `skydd requests list|show|fulfil|erasure-plan` and `skydd outbox list`: the DPO's view of
//! data-subject requests and of the messages waiting to be sent, on an existing instance (also
//! while a server runs on it). `fulfil` goes through the app as the server does: with
//! `--dataset`, an erasure runs in the connected databases first.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use clap::{Args, Subcommand};
use skydd_app::instance::Create;
use skydd_app::{Clock as _, SystemClock};
use skydd_vault::{Actor, FulfilInput, OutboxState, RequestQuery, StateFilter, Vault};

use crate::commands::{DatasetArgs, open_app, served_register, with_datasets};
use crate::settings::DataArgs;

/// Where the instance is (it runs with the register it served last).
#[derive(Debug, Args)]
pub(crate) struct InstanceArgs {
    #[command(flatten)]
    data: DataArgs,
}

/// `skydd requests ...`
#[derive(Debug, Subcommand)]
pub(crate) enum RequestsCommand {
    /// List requests by due date: id, type, state, due, flags.
    List {
        /// Only open requests past their due date.
        #[arg(long)]
        overdue: bool,
        /// Only this state (received, verifying, verified, in_progress, completed, rejected), or
        /// `open`.
        #[arg(long)]
        state: Option<String>,
        #[command(flatten)]
        instance: InstanceArgs,
    },
    /// Show one request with its history (as JSON).
    Show {
        /// The request id.
        id: String,
        #[command(flatten)]
        instance: InstanceArgs,
    },
    /// Fulfil a verified request that needs no further input (access, erasure, restriction,
    /// objection, consent withdrawal, opt-out); rectification needs the API's corrections.
    /// With `--dataset` (as given to `serve`), the connected databases are reached first: an
    /// access request reads them, an erasure erases there (each system once) before the vault.
    Fulfil {
        /// The request id.
        id: String,
        /// Provide a copy outside the free allowance (Art. 12(5)).
        #[arg(long)]
        provide_copy: bool,
        #[command(flatten)]
        instance: InstanceArgs,
        #[command(flatten)]
        datasets: DatasetArgs,
    },
    /// What erasing a verified erasure request would do in each connected database (a dry
    /// run, as JSON: rows, fields, strategies, shared rows, what a legal hold keeps).
    ErasurePlan {
        /// The request id.
        id: String,
        #[command(flatten)]
        instance: InstanceArgs,
        #[command(flatten)]
        datasets: DatasetArgs,
    },
}

/// `skydd outbox ...`
#[derive(Debug, Subcommand)]
pub(crate) enum OutboxCommand {
    /// List messages to data subjects (queued, sent, failed), with their text.
    List {
        /// Only messages in this state: queued, sent or failed.
        #[arg(long)]
        state: Option<String>,
        #[command(flatten)]
        instance: InstanceArgs,
    },
}

async fn open_vault(
    args: &InstanceArgs,
) -> anyhow::Result<(Vault, Arc<dyn skydd_storage::Storage>)> {
    let app = open_app(&args.data, Create::Never, served_register()).await?;
    Ok((app.vault(), app.storage.clone()))
}

/// A timestamp to the second, in UTC.
fn second(at: jiff::Timestamp) -> String {
    at.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Run a `skydd requests` command.
pub(crate) async fn run(command: RequestsCommand) -> anyhow::Result<ExitCode> {
    let instance = match &command {
        RequestsCommand::List { instance, .. }
        | RequestsCommand::Show { instance, .. }
        | RequestsCommand::Fulfil { instance, .. }
        | RequestsCommand::ErasurePlan { instance, .. } => instance,
    };
    let app = open_app(&instance.data, Create::Never, served_register()).await?;
    let app = match &command {
        RequestsCommand::Fulfil { datasets, .. }
        | RequestsCommand::ErasurePlan { datasets, .. } => {
            match with_datasets(app, datasets).await? {
                Ok(app) => app,
                Err(code) => return Ok(code),
            }
        }
        _ => app,
    };
    let (vault, storage) = (app.vault(), app.storage.clone());
    let now = SystemClock.now();
    let actor = Actor::new("cli");
    let outcome = match command {
        RequestsCommand::List { overdue, state, .. } => {
            let requests = vault
                .list_requests(
                    &actor,
                    RequestQuery {
                        state: state.as_deref().map(StateFilter::parse).transpose()?,
                        overdue,
                        ..RequestQuery::default()
                    },
                    now,
                )
                .await
                .context("cannot list requests")?;
            println!(
                "{:<32}  {:<17}  {:<11}  {:<20}  FLAGS",
                "ID", "TYPE", "STATE", "DUE"
            );
            for r in requests {
                let mut flags = Vec::new();
                if r.overdue {
                    flags.push("overdue".to_string());
                }
                if r.extended {
                    flags.push(format!("extended+{}", r.extended_months));
                }
                if r.routed_to_controller {
                    flags.push(format!("tenant:{}", r.tenant.as_deref().unwrap_or("?")));
                }
                if r.needs_decision.is_some() {
                    flags.push("needs_decision".into());
                }
                println!(
                    "{:<32}  {:<17}  {:<11}  {:<20}  {}",
                    r.id,
                    r.request_type,
                    r.state,
                    second(r.due_at),
                    flags.join(",")
                );
            }
            ExitCode::SUCCESS
        }
        RequestsCommand::Show { id, .. } => match vault.request(&actor, &id, now).await {
            Ok(view) => {
                println!("{}", serde_json::to_string_pretty(&view)?);
                ExitCode::SUCCESS
            }
            Err(error) => {
                eprintln!("skydd: {error}");
                ExitCode::FAILURE
            }
        },
        RequestsCommand::ErasurePlan { id, .. } => match app.erasure_plan(&actor, &id, now).await {
            Ok(plans) => {
                println!("{}", serde_json::to_string_pretty(&plans)?);
                ExitCode::SUCCESS
            }
            Err(error) => {
                eprintln!("skydd: {error}");
                ExitCode::FAILURE
            }
        },
        RequestsCommand::Fulfil {
            id, provide_copy, ..
        } => {
            let input = FulfilInput {
                provide_copy,
                ..FulfilInput::default()
            };
            match app.fulfil_request(&actor, &id, input, now).await {
                Ok(view) => {
                    eprintln!("request {id} is {}", view.state);
                    println!("{}", serde_json::to_string_pretty(&view)?);
                    ExitCode::SUCCESS
                }
                Err(error) => {
                    eprintln!("skydd: {error}");
                    ExitCode::FAILURE
                }
            }
        }
    };
    storage.close().await.context("cannot close the database")?;
    Ok(outcome)
}

/// Run a `skydd outbox` command.
pub(crate) async fn run_outbox(command: OutboxCommand) -> anyhow::Result<ExitCode> {
    let OutboxCommand::List { state, instance } = command;
    let (vault, storage) = open_vault(&instance).await?;
    let now = SystemClock.now();
    let outcome = match vault
        .outbox(
            &Actor::new("cli"),
            state.as_deref().map(OutboxState::parse).transpose()?,
            now,
        )
        .await
    {
        Ok(messages) => {
            for m in messages {
                println!(
                    "== {} [{}] {} attempts={} queued={}{}",
                    m.id,
                    m.state,
                    m.kind,
                    m.attempts,
                    second(m.created_at),
                    m.last_error
                        .as_deref()
                        .map(|e| format!(" error={e}"))
                        .unwrap_or_default()
                );
                println!("To: {}\nSubject: {}\n\n{}\n", m.to, m.subject, m.text);
            }
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("skydd: {error}");
            ExitCode::FAILURE
        }
    };
    storage.close().await.context("cannot close the database")?;
    Ok(outcome)
}
