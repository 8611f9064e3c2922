//! `skydd key rotate`: add a master key version and re-wrap every subject key with it, also while
//! servers run on the same data.

use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use clap::{Args, Subcommand};
use skydd_crypto::Keyring;
use skydd_server::instance::{self, Create, DataSettings};
use skydd_server::{AppState, LoadedRegister, SystemClock, keys};
use skydd_storage::Storage;

use crate::commands::serve::load_register;
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
    /// A register to open the vault with [default: the bundled example register]. Re-wrapping
    /// does not depend on it: any valid register will do.
    #[arg(long, env = "SKYDD_REGISTER", value_name = "PATH")]
    register: Option<PathBuf>,
}

/// Run a `skydd key` command on an existing instance.
pub(crate) async fn run(command: KeyCommand) -> anyhow::Result<ExitCode> {
    let KeyCommand::Rotate(args) = command;
    let Some(register) = load_register(args.register.as_deref())? else {
        eprintln!("skydd: the register has errors; nothing was changed");
        return Ok(ExitCode::FAILURE);
    };
    let settings = args.data.settings();
    let opened = instance::open(&settings, Create::Never)
        .await
        .with_context(|| {
            format!(
                "cannot open the instance in {}",
                settings.data_dir.display()
            )
        })?;
    let storage = opened.storage;
    let rotated = rotate(&args, &settings, storage.clone(), opened.keyring, register).await;
    storage.close().await.context("cannot close the database")?;
    rotated.map(|()| ExitCode::SUCCESS)
}

async fn rotate(
    args: &RotateArgs,
    settings: &DataSettings,
    storage: Arc<dyn Storage>,
    keyring: Arc<Keyring>,
    register: LoadedRegister,
) -> anyhow::Result<()> {
    let key_file = settings.master_key_path();
    let keyring = if args.rewrap_only {
        keyring
    } else {
        let rotated = keys::add_version(settings).with_context(|| {
            format!("cannot add a master key version to {}", key_file.display())
        })?;
        eprintln!(
            "added master key version {} to {}",
            rotated.current_version(),
            key_file.display()
        );
        Arc::new(rotated)
    };
    let version = keyring.current_version();
    eprintln!("re-wrapping subject keys with master key version {version}");
    let vault = AppState::new(storage, keyring, register, Arc::new(SystemClock)).vault();
    let total = keys::rewrap_all(&vault, args.batch.get(), |total| {
        eprintln!("re-wrapped {total} so far");
    })
    .await
    .context("re-wrapping stopped; run `skydd key rotate --rewrap-only` to finish it")?;
    println!(
        "master key version {version}; re-wrapped {total} subject key{}",
        if total == 1 { "" } else { "s" }
    );
    eprintln!(
        "Servers on this data load version {version} from {} when they first need it; \
         servers on other hosts need a copy of the file.",
        key_file.display()
    );
    Ok(())
}
