//! `skydd key rotate`: add a master key version and re-wrap every subject key with it, also while
//! servers run on the same data.

use std::num::NonZeroUsize;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Args, Subcommand};
use skydd_app::App;
use skydd_app::instance::Create;

use crate::commands::{open_app, served_register};
use crate::settings::DataArgs;

/// `skydd key ...`
#[derive(Debug, Subcommand)]
pub(crate) enum KeyCommand {
    /// Add a new master key version and re-wrap every subject key with it. Resumable: after an
    /// interruption, run it again with `--rewrap-only`. Safe while servers run on the same data.
    Rotate(RotateArgs),
}

/// Arguments of `key rotate`.
#[derive(Debug, Args)]
pub(crate) struct RotateArgs {
    #[command(flatten)]
    data: DataArgs,
    /// How many subject keys to re-wrap per round.
    #[arg(long, default_value = "1000", value_name = "N")]
    batch: NonZeroUsize,
    /// Add no version: only re-wrap the keys still wrapped with an older one (to finish an
    /// interrupted rotation, or to catch keys a server wrapped before it saw the new version).
    #[arg(long)]
    rewrap_only: bool,
}

/// Run a `skydd key` command on an existing instance.
pub(crate) async fn run(command: KeyCommand) -> anyhow::Result<ExitCode> {
    let KeyCommand::Rotate(args) = command;
    let key_file = args.data.settings().master_key_path();
    let interrupted = remove_leftovers(&key_file)?;
    let app = open_app(&args.data, Create::Never, served_register()).await?;
    let rotated = rotate(&app, &args, &key_file, interrupted).await;
    app.close().await.context("cannot close the database")?;
    rotated
}

/// Remove the temporary key files an interrupted write of the key file left (opening the
/// instance would remove them too, but could not tell this command). Returns whether there
/// were any: then the last rotation was killed before its new version was written, because the
/// rename that writes it also removes the temporary name. Only their names are logged.
fn remove_leftovers(key_file: &Path) -> anyhow::Result<bool> {
    if !key_file.exists() {
        // No instance: opening it says so, better than an error about a lock.
        return Ok(false);
    }
    let removed = skydd_crypto::Keyring::remove_leftovers(key_file)?;
    for leftover in &removed {
        tracing::warn!(
            file = %leftover.display(),
            "removed a temporary master key file left by an interrupted key rotation or first start"
        );
    }
    Ok(!removed.is_empty())
}

/// Add a version (unless `--rewrap-only`) and re-wrap. With `--rewrap-only` on a key file that
/// has never gained a version above 1, no rotation happened (a `skydd key rotate` killed before
/// it wrote the new version leaves exactly that): nothing can be re-wrapped, and saying
/// "re-wrapped to version 1" would pretend a rotation took place, so that is a failure telling
/// the operator to rotate again. So is a leftover temporary key file (`interrupted`): the
/// keys are re-wrapped to the newest version there is, but the rotation that was interrupted
/// wrote no version of its own.
async fn rotate(
    app: &App,
    args: &RotateArgs,
    key_file: &Path,
    interrupted: bool,
) -> anyhow::Result<ExitCode> {
    if args.rewrap_only && app.key_version() == 1 {
        eprintln!(
            "skydd: no key rotation happened: {} holds only master key version 1, so there is no \
             newer version to re-wrap to and nothing was re-wrapped. A `skydd key rotate` that \
             was interrupted before it printed \"added master key version\" wrote no new \
             version. Run `skydd key rotate` (without --rewrap-only) to rotate.",
            key_file.display()
        );
        return Ok(ExitCode::FAILURE);
    }
    if !args.rewrap_only {
        let version = app.add_key_version().await.with_context(|| {
            format!("cannot add a master key version to {}", key_file.display())
        })?;
        eprintln!(
            "added master key version {version} to {}",
            key_file.display()
        );
    }
    let version = app.key_version();
    eprintln!("re-wrapping subject keys with master key version {version}");
    let total = app
        .rewrap_all(args.batch.get(), |total| {
            eprintln!("re-wrapped {total} so far");
        })
        .await
        .context("re-wrapping stopped; run `skydd key rotate --rewrap-only` to finish it")?;
    if args.rewrap_only && interrupted {
        eprintln!(
            "skydd: a key rotation was interrupted while it wrote {}: it added no version, and \
             version {version} is still the newest ({total} subject key{} re-wrapped to it now). \
             Run `skydd key rotate` (without --rewrap-only) to rotate.",
            key_file.display(),
            if total == 1 { "" } else { "s" }
        );
        return Ok(ExitCode::FAILURE);
    }
    println!(
        "master key version {version}; re-wrapped {total} subject key{}",
        if total == 1 { "" } else { "s" }
    );
    if args.rewrap_only && total == 0 {
        eprintln!(
            "Every subject key was already wrapped with master key version {version}, the \
             newest in {}: the re-wrap is complete. A `skydd key rotate` that was interrupted \
             before it printed \"added master key version\" added no version after \
             {version}: run `skydd key rotate` again if you meant to rotate.",
            key_file.display()
        );
    } else {
        eprintln!("the rotation to master key version {version} is complete");
    }
    eprintln!(
        "Servers on this data load version {version} from {} when they first need it; \
         servers on other hosts need a copy of the file.",
        key_file.display()
    );
    Ok(ExitCode::SUCCESS)
}
