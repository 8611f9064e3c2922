//! `skydd audit verify|export|checkpoint`: prove the audit trail intact, export it as JSON lines,
//! sign a checkpoint.
//!
//! `verify` exits 0 when the trail is intact, 1 naming the first bad entry and what is wrong,
//! and 2 when it cannot run (no instance, database or file errors); usage errors exit 2 too.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Args, Subcommand};
use jiff::Timestamp;
use skydd_app::instance::{self, Create, DataSettings, Instance};
use skydd_app::{Clock as _, SystemClock, checkpoint};
use skydd_storage::{AuditFilter, audit_chain};
use skydd_vault::audit_trail::{self, AuditEntryView};

use crate::settings::DataArgs;

/// Exit code of `verify` when it cannot run.
const CANNOT_RUN: u8 = 2;

/// `skydd audit ...`
#[derive(Debug, Subcommand)]
pub(crate) enum AuditCommand {
    /// Check that no audit entry was changed, removed, reordered or cut off: exit 0 when intact,
    /// 1 naming the first bad entry, 2 when the check cannot run.
    Verify {
        /// Also check against this checkpoint, kept somewhere else (the JSON line
        /// `skydd audit checkpoint` printed). The data directory's own copy is always checked.
        #[arg(long, value_name = "FILE")]
        witness: Option<PathBuf>,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Print audit entries as JSON lines (ids and register names only, never personal values).
    Export {
        #[command(flatten)]
        filter: FilterArgs,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Sign a checkpoint of the trail now, store it, keep a copy in the data directory and print
    /// it: send the line to a witness outside this machine.
    Checkpoint {
        #[command(flatten)]
        data: DataArgs,
    },
}

/// Which entries to export.
#[derive(Debug, Args)]
pub(crate) struct FilterArgs {
    /// Only entries about this subject id.
    #[arg(long, value_name = "ID")]
    subject: Option<String>,
    /// Only entries at or after this time (`2025-01-31` is midnight UTC, or RFC 3339).
    #[arg(long, value_name = "DATE", value_parser = parse_moment)]
    from: Option<Timestamp>,
    /// Only entries before this time.
    #[arg(long, value_name = "DATE", value_parser = parse_moment)]
    to: Option<Timestamp>,
}

/// A date (midnight UTC) or an RFC 3339 timestamp.
pub(crate) fn parse_moment(text: &str) -> Result<Timestamp, String> {
    if let Ok(at) = text.parse::<Timestamp>() {
        return Ok(at);
    }
    text.parse::<jiff::civil::Date>()
        .ok()
        .and_then(|date| date.to_zoned(jiff::tz::TimeZone::UTC).ok())
        .map(|zoned| zoned.timestamp())
        .ok_or_else(|| {
            "not a date: write 2025-01-31 (midnight UTC) or 2025-01-31T12:00:00Z".to_owned()
        })
}

/// Run a `skydd audit` command.
pub(crate) async fn run(command: AuditCommand) -> anyhow::Result<ExitCode> {
    let data = match &command {
        AuditCommand::Verify { data, .. }
        | AuditCommand::Export { data, .. }
        | AuditCommand::Checkpoint { data } => data,
    };
    let settings = data.settings();
    let opened = match instance::open(&settings, Create::Never).await {
        Ok(opened) => opened,
        Err(error) => {
            eprintln!(
                "skydd: cannot open the instance in {}: {error}",
                settings.data_dir.display()
            );
            return Ok(ExitCode::from(CANNOT_RUN));
        }
    };
    let outcome = match command {
        AuditCommand::Verify { witness, .. } => verify(&opened, &settings, witness).await,
        AuditCommand::Export { filter, .. } => export(&opened, filter).await,
        AuditCommand::Checkpoint { .. } => checkpoint(&opened, &settings).await,
    };
    opened
        .storage
        .close()
        .await
        .context("cannot close the database")?;
    match outcome {
        Ok(code) => Ok(code),
        Err(error) => {
            eprintln!("skydd: {error:#}");
            Ok(ExitCode::from(CANNOT_RUN))
        }
    }
}

async fn verify(
    opened: &Instance,
    settings: &DataSettings,
    witness: Option<PathBuf>,
) -> anyhow::Result<ExitCode> {
    let signer = opened.keyring.checkpoint_signer();
    let mut witnesses = Vec::new();
    for path in std::iter::once(settings.witness_path()).chain(witness.clone()) {
        let loaded = audit_trail::load_witness(&path).map_err(anyhow::Error::msg)?;
        match loaded {
            Some(row) => witnesses.push(row),
            None if Some(&path) == witness.as_ref() => {
                anyhow::bail!("the witness file {} does not exist", path.display())
            }
            None => {}
        }
    }
    let report = audit_trail::verify(opened.storage.clone(), signer, witnesses)
        .await
        .context("cannot read the audit trail")?;
    let key = audit_chain::hex(&signer.public_key());
    match &report.breach {
        None => {
            println!(
                "audit trail intact: {} entries (newest {}, hash {}), {} signed checkpoint{}",
                report.entries,
                report.head_seq,
                report.head_hash,
                report.checkpoints,
                if report.checkpoints == 1 { "" } else { "s" }
            );
            if report.unchained > 0 {
                println!(
                    "{} older entries predate the hash chain and are not covered",
                    report.unchained
                );
            }
            println!("checkpoint key (Ed25519, public): {key}");
            Ok(ExitCode::SUCCESS)
        }
        Some(breach) => {
            println!("audit trail BROKEN at {breach}");
            Ok(ExitCode::FAILURE)
        }
    }
}

async fn export(opened: &Instance, args: FilterArgs) -> anyhow::Result<ExitCode> {
    const PAGE: usize = 5000;
    let filter = AuditFilter {
        subject_id: args.subject,
        from: args.from,
        to: args.to,
        ..AuditFilter::default()
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut after = 0;
    loop {
        let page = opened
            .storage
            .audit_entries(&filter, after, PAGE)
            .await
            .context("cannot read the audit trail")?;
        let full = page.len() == PAGE;
        for entry in page {
            after = entry.event.seq;
            let view = AuditEntryView::from(entry);
            serde_json::to_writer(&mut out, &view).context("cannot write to stdout")?;
            out.write_all(b"\n").context("cannot write to stdout")?;
        }
        if !full {
            break;
        }
    }
    out.flush().context("cannot write to stdout")?;
    Ok(ExitCode::SUCCESS)
}

async fn checkpoint(opened: &Instance, settings: &DataSettings) -> anyhow::Result<ExitCode> {
    let now = SystemClock.now();
    let written = checkpoint::write(
        opened.storage.as_ref(),
        &opened.keyring,
        Some(&settings.witness_path()),
        now,
    )
    .await?;
    let Some(row) = written else {
        eprintln!("the audit trail is empty: nothing to checkpoint");
        return Ok(ExitCode::SUCCESS);
    };
    println!("{}", audit_trail::checkpoint_json(&row));
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moments_are_dates_or_timestamps() {
        assert_eq!(
            parse_moment("2024-02-29").unwrap(),
            "2024-02-29T00:00:00Z".parse::<Timestamp>().unwrap()
        );
        assert_eq!(
            parse_moment("2024-02-29T12:30:00+01:00").unwrap(),
            "2024-02-29T11:30:00Z".parse::<Timestamp>().unwrap()
        );
        assert!(parse_moment("2023-02-29").is_err());
        assert!(parse_moment("yesterday").is_err());
    }
}
