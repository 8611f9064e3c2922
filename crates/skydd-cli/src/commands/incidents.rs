//! `skydd incidents list|show` and `skydd disclosures list`: the DPO's view of personal data
//! breaches and of disclosures to recipients, read from the database (no server needed).

use std::process::ExitCode;

use anyhow::Context as _;
use clap::Subcommand;
use skydd_app::{Clock as _, SystemClock};
use skydd_incident::{CommunicationStatus, Incident, NotificationStatus};

use crate::settings::DataArgs;

/// `skydd incidents ...`
#[derive(Debug, Subcommand)]
pub(crate) enum IncidentsCommand {
    /// List incidents with the time left to notify the authority (72 hours, Art. 33(1)).
    List {
        /// Only the open ones.
        #[arg(long)]
        open: bool,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Show one incident with every entry and what is still outstanding.
    Show {
        /// The incident's id.
        id: String,
        #[command(flatten)]
        data: DataArgs,
    },
}

/// `skydd disclosures ...`
#[derive(Debug, Subcommand)]
pub(crate) enum DisclosuresCommand {
    /// List disclosures to the register's recipients with what each rests on: the decision
    /// for an authority, the legal bases otherwise.
    List {
        #[command(flatten)]
        data: DataArgs,
    },
}

/// A timestamp to the minute, in UTC.
fn minute(at: jiff::Timestamp) -> String {
    at.strftime("%Y-%m-%d %H:%MZ").to_string()
}

/// A signed duration as hours and minutes: `2h05m`, `-26h00m`.
fn hours(duration: jiff::SignedDuration) -> String {
    let minutes = duration.as_secs() / 60;
    let sign = if minutes < 0 { "-" } else { "" };
    let minutes = minutes.abs();
    format!("{sign}{}h{:02}m", minutes / 60, minutes % 60)
}

fn notification(incident: &Incident) -> String {
    match incident.notification() {
        NotificationStatus::Due { .. } => "due".into(),
        NotificationStatus::Notified { late, complete, .. } => format!(
            "notified{}{}",
            if late { " late" } else { "" },
            if complete { ", final" } else { "" }
        ),
        NotificationStatus::NotRequired { .. } => "not required".into(),
    }
}

fn communication(incident: &Incident) -> String {
    match incident.communication() {
        CommunicationStatus::NotRequired => "-".into(),
        CommunicationStatus::Due => "due".into(),
        CommunicationStatus::Informed { subjects, .. } => format!("informed {subjects}"),
        CommunicationStatus::Exempt { ground } => format!("exempt {}", ground.article()),
    }
}

/// Run a `skydd incidents` command.
pub(crate) async fn run(command: IncidentsCommand) -> anyhow::Result<ExitCode> {
    let (IncidentsCommand::List { data, .. } | IncidentsCommand::Show { data, .. }) = &command;
    let storage = super::open_existing(data).await?.storage;
    let now = SystemClock.now();
    let rows = storage
        .all_incident_entries()
        .await
        .context("cannot read incidents")?;
    let incidents = skydd_vault::incidents_from_entries(rows).context("cannot read incidents")?;
    let outcome = match command {
        IncidentsCommand::List { open, .. } => {
            println!(
                "{:<32}  {:<6}  {:<4}  {:<17}  {:<17}  {:<9}  {:<22}  COMMUNICATION",
                "ID", "STATE", "RISK", "AWARE", "DUE", "LEFT", "NOTIFICATION"
            );
            for incident in incidents.iter().filter(|i| !open || i.is_open()) {
                let left = incident
                    .time_left(now)
                    .map(hours)
                    .unwrap_or_else(|| "-".into());
                println!(
                    "{:<32}  {:<6}  {:<4}  {:<17}  {:<17}  {:<9}  {:<22}  {}",
                    incident.id(),
                    if incident.is_open() { "open" } else { "closed" },
                    incident.current().risk.as_str(),
                    minute(incident.current().became_aware_at),
                    minute(incident.due_at()),
                    left,
                    notification(incident),
                    communication(incident)
                );
            }
            ExitCode::SUCCESS
        }
        IncidentsCommand::Show { id, .. } => match incidents.iter().find(|i| i.id() == id) {
            Some(incident) => {
                let report = incident.current();
                println!("incident {}", incident.id());
                println!(
                    "  state:          {}",
                    if incident.is_open() { "open" } else { "closed" }
                );
                println!("  risk:           {}", report.risk);
                println!("  aware:          {}", minute(report.became_aware_at));
                println!("  due:            {}", minute(incident.due_at()));
                println!("  nature:         {}", report.nature);
                println!("  data:           {}", report.data_categories.join(", "));
                println!("  subjects:       {}", report.subject_categories.join(", "));
                println!("  notification:   {}", notification(incident));
                println!("  communication:  {}", communication(incident));
                for outstanding in incident.outstanding() {
                    println!("  outstanding:    {outstanding}");
                }
                println!("  entries:");
                for recorded in incident.entries() {
                    println!(
                        "    {}  {:<26}  by {}",
                        minute(recorded.at),
                        recorded.entry.kind(),
                        recorded.actor
                    );
                }
                ExitCode::SUCCESS
            }
            None => {
                eprintln!("skydd: no incident has the id {id}");
                ExitCode::FAILURE
            }
        },
    };
    storage.close().await.context("cannot close the database")?;
    Ok(outcome)
}

/// Run a `skydd disclosures` command.
pub(crate) async fn run_disclosures(command: DisclosuresCommand) -> anyhow::Result<ExitCode> {
    let DisclosuresCommand::List { data } = &command;
    let storage = super::open_existing(data).await?.storage;
    let disclosures = storage
        .list_disclosures()
        .await
        .context("cannot read disclosures")?;
    println!(
        "{:<32}  {:<17}  {:<16}  {:<28}  {:<8}  CATEGORIES",
        "ID", "DISCLOSED", "RECIPIENT", "RESTS ON", "SUBJECTS"
    );
    for disclosure in disclosures {
        println!(
            "{:<32}  {:<17}  {:<16}  {:<28}  {:<8}  {}",
            disclosure.id,
            minute(disclosure.at),
            disclosure.recipient,
            match &disclosure.decision {
                Some(decision) => format!("{} {}", decision.kind, decision.reference),
                None => disclosure.legal_basis.clone(),
            },
            disclosure.subjects.len(),
            disclosure.categories.join(", ")
        );
    }
    storage.close().await.context("cannot close the database")?;
    Ok(ExitCode::SUCCESS)
}
