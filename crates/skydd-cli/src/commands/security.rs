//! `skydd security review|reviews`: record a dated evaluation of the security measures and list
//! them with where the register's cycle stands (P003-42), from the database (no server
//! needed). The same records as `POST /v1/security/reviews` and the console's dashboard.

use std::process::ExitCode;

use anyhow::Context as _;
use clap::Subcommand;
use skydd_app::instance::Create;
use skydd_app::{Clock as _, SystemClock};
use skydd_vault::{NewSecurityReview, SecurityReviews, VaultError};

use crate::commands::{cli_actor, open_app, served_register};
use crate::settings::DataArgs;

/// What a refused review exits with (as other refused inputs do).
const EXIT_REFUSED: u8 = 2;

/// `skydd security ...`
#[derive(Debug, Subcommand)]
pub(crate) enum SecurityCommand {
    /// Record a review of the security measures held on a day, with what it found.
    Review {
        /// The day it was held (YYYY-MM-DD; not after today in Stockholm).
        #[arg(long = "on", value_name = "DATE")]
        reviewed_on: jiff::civil::Date,
        /// What the review found and decided, in words.
        #[arg(long)]
        summary: String,
        #[command(flatten)]
        data: DataArgs,
    },
    /// List the reviews recorded and where the register's `security_review` cycle stands.
    Reviews {
        #[command(flatten)]
        data: DataArgs,
    },
}

/// Run a `skydd security` command.
pub(crate) async fn run(command: SecurityCommand) -> anyhow::Result<ExitCode> {
    let (SecurityCommand::Review { data, .. } | SecurityCommand::Reviews { data }) = &command;
    let app = open_app(data, Create::Never, served_register()).await?;
    let vault = app.vault();
    let now = SystemClock.now();
    let outcome = match command {
        SecurityCommand::Review {
            reviewed_on,
            summary,
            ..
        } => {
            let new = NewSecurityReview {
                reviewed_on,
                summary,
            };
            match vault.record_security_review(&cli_actor(), new, now).await {
                Ok(review) => {
                    println!("recorded the security review of {}", review.reviewed_on);
                    print_cycle(&vault.security_reviews(now).await?);
                    ExitCode::SUCCESS
                }
                Err(VaultError::Invalid { what, help }) => {
                    eprintln!("skydd: the review was not recorded: {what}\n  help: {help}");
                    ExitCode::from(EXIT_REFUSED)
                }
                Err(error) => {
                    return Err(error).context("cannot record the security review");
                }
            }
        }
        SecurityCommand::Reviews { .. } => {
            let reviews = vault
                .security_reviews(now)
                .await
                .context("cannot read the security reviews")?;
            println!("{:<10}  {:<20}  {:<24}  SUMMARY", "HELD", "RECORDED", "BY");
            for review in &reviews.reviews {
                // The first line of the summary; the rest is in the console and the API.
                let first = review.summary.lines().next().unwrap_or_default();
                println!(
                    "{:<10}  {:<20}  {:<24}  {first}",
                    review.reviewed_on,
                    review.recorded_at.strftime("%Y-%m-%d %H:%MZ"),
                    review.recorded_by,
                );
            }
            print_cycle(&reviews);
            ExitCode::SUCCESS
        }
    };
    app.close().await.context("cannot close the database")?;
    Ok(outcome)
}

/// One line on where the cycle stands, or that the register sets none.
fn print_cycle(reviews: &SecurityReviews) {
    match (reviews.every, reviews.status) {
        (Some(every), Some(status)) => {
            let last = status
                .last
                .map_or_else(|| "none recorded".to_owned(), |d| d.to_string());
            let due = status
                .due
                .map_or_else(|| "now".to_owned(), |d| d.to_string());
            let state = if status.overdue { "OVERDUE" } else { "in time" };
            println!("cycle: every {every}; last {last}; next due {due}; {state}");
        }
        _ => println!("cycle: the register sets no `security_review`"),
    }
}
