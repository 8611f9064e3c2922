//! `skydd key rotate`: add a master key version and re-wrap every subject key with it, also while
//! servers run on the same data.

use std::num::NonZeroUsize;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Args, Subcommand};
use skydd_app::App;
use skydd_app::instance::Create;
use skydd_crypto::{Keyring, UnfinishedRotation};

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
    if !args.rewrap_only && key_file.exists() {
        // First of all, before the slow opening: from here on, an interruption is on record.
        Keyring::begin_rotation(&key_file).with_context(|| {
            format!(
                "cannot record the start of a rotation beside {}",
                key_file.display()
            )
        })?;
    }
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

/// Add a version (unless `--rewrap-only`) and re-wrap; the rotation journal, written before the
/// instance was opened, is removed once every key is re-wrapped.
///
/// `--rewrap-only` never pretends a rotation happened that did not: when the journal says a
/// rotation started at the version that is still the newest (it was stopped before it wrote its
/// own), when a temporary key file shows it was killed while writing one (`interrupted`), or when
/// the key file never had a version above 1, the stragglers are still re-wrapped, but the command
/// says no rotation happened and exits 1, telling the operator to rotate again; the journal
/// stays, so the answer stays the same until a rotation completes.
async fn rotate(
    app: &App,
    args: &RotateArgs,
    key_file: &Path,
    interrupted: bool,
) -> anyhow::Result<ExitCode> {
    let journal = Keyring::unfinished_rotation(key_file).with_context(|| {
        format!(
            "cannot read the rotation journal beside {}",
            key_file.display()
        )
    })?;
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
    let not_rotated = args.rewrap_only
        && match journal {
            Some(UnfinishedRotation::From(from)) => version <= from,
            Some(UnfinishedRotation::Unknown) => true,
            None => interrupted || version == 1,
        };
    eprintln!("re-wrapping subject keys with master key version {version}");
    let total = app
        .rewrap_all(args.batch.get(), |total| {
            eprintln!("re-wrapped {total} so far");
        })
        .await
        .context("re-wrapping stopped; run `skydd key rotate --rewrap-only` to finish it")?;
    let keys = if total == 1 { "key" } else { "keys" };
    if not_rotated {
        let why = if journal.is_some() || interrupted {
            "the last `skydd key rotate` on it was stopped before it wrote a new master key version"
        } else {
            "it has never had a master key version above 1"
        };
        eprintln!(
            "skydd: no key rotation happened on {}: {why}, so version {version} is still the \
             newest ({total} subject {keys} re-wrapped to it now). Run `skydd key rotate` \
             (without --rewrap-only) to rotate.",
            key_file.display()
        );
        return Ok(ExitCode::FAILURE);
    }
    if journal.is_some() || !args.rewrap_only {
        Keyring::end_rotation(key_file).with_context(|| {
            format!(
                "cannot remove the rotation journal beside {}",
                key_file.display()
            )
        })?;
    }
    println!("master key version {version}; re-wrapped {total} subject {keys}");
    if args.rewrap_only && journal.is_none() {
        eprintln!(
            "No rotation was unfinished: every subject key is now wrapped with master key \
             version {version}, the newest in {}.",
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
