//! `skydd backup DIR` and `skydd restore DIR`: a consistent copy of a SQLite instance taken
//! while it serves, and restoring one into a new data directory that already holds the master
//! key (kept apart from backups). The work is `skydd_app::backup`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Args;
use skydd_app::backup::{self, BackupError};
use skydd_app::{Clock as _, SystemClock};

use crate::settings::DataArgs;

/// Arguments of `skydd backup`.
#[derive(Debug, Args)]
pub(crate) struct BackupArgs {
    /// A new (or empty) directory for the backup: the database and a manifest. Never the
    /// master key: keep that apart.
    #[arg(value_name = "DIR")]
    dir: PathBuf,
    #[command(flatten)]
    data: DataArgs,
}

/// Arguments of `skydd restore`.
#[derive(Debug, Args)]
pub(crate) struct RestoreArgs {
    /// The backup directory `skydd backup` wrote.
    #[arg(value_name = "DIR")]
    dir: PathBuf,
    /// The data directory to restore into: it must hold the master key file the backup was
    /// made with (copy it there first) and no database.
    #[command(flatten)]
    data: DataArgs,
}

/// Run `skydd backup`: exit 0 with the backup written, 1 otherwise (also for PostgreSQL, with
/// `pg_dump` guidance).
pub(crate) async fn run_backup(args: BackupArgs) -> anyhow::Result<ExitCode> {
    let now = SystemClock.now();
    match backup::backup(&args.data.settings(), &args.dir, now).await {
        Ok(manifest) => {
            println!(
                "Backed up {} to {} (schema {}, master key version {}).",
                args.data.data_dir.display(),
                args.dir.display(),
                manifest.schema_version,
                manifest.key_version
            );
            println!(
                "The master key is not in the backup: keep {} apart from it; a restore needs it.",
                args.data.settings().master_key_path().display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(error @ BackupError::Postgres) => {
            eprintln!("skydd: {error}");
            Ok(ExitCode::FAILURE)
        }
        Err(error) => Err(error).context("no backup was made"),
    }
}

/// Run `skydd restore`.
pub(crate) async fn run_restore(args: RestoreArgs) -> anyhow::Result<ExitCode> {
    let manifest = backup::restore(&args.dir, &args.data.settings())
        .await
        .with_context(|| format!("cannot restore {}", args.dir.display()))?;
    println!(
        "Restored the backup of {} into {}; start it with `skydd serve --data-dir {}`.",
        manifest.created_at,
        args.data.data_dir.display(),
        args.data.data_dir.display()
    );
    Ok(ExitCode::SUCCESS)
}
