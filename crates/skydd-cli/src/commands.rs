//! The `skydd` subcommands, one module each, and the one way they open an instance and build
//! its services.

pub(crate) mod audit;
pub(crate) mod backup;
pub(crate) mod dataset;
pub(crate) mod erasures;
pub(crate) mod import;
pub(crate) mod incidents;
pub(crate) mod key;
pub(crate) mod notice;
pub(crate) mod progress;
pub(crate) mod register;
pub(crate) mod requests;
pub(crate) mod retention;
pub(crate) mod scan;
pub(crate) mod security;
pub(crate) mod serve;
pub(crate) mod token;
pub(crate) mod user;

use std::path::Path;
use std::sync::Arc;

use anyhow::Context as _;
use skydd_app::instance::{self, Create, Instance};
use skydd_app::register::RegisterChoice;
use skydd_app::{App, LoadedRegister, SystemClock};
use skydd_register::diagnostic::{render_summary, render_text};
use skydd_vault::Actor;

use crate::settings::DataArgs;

/// The register a brand-new instance serves when `--register` is not given: the bundled
/// example.
const BUNDLED_REGISTER: &str = include_str!("../../../examples/registers/glesys.yaml");
/// How the bundled register is named in messages.
const BUNDLED_REGISTER_NAME: &str = "examples/registers/glesys.yaml (bundled)";

/// The connected databases a command reaches, given as to `skydd serve` (the same flag, the
/// same environment variable, so the CLI and the server act on the same systems).
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct DatasetArgs {
    /// A connected database's dataset file (see docs/dataset-format.md), or a directory whose
    /// `*.yaml` files are all datasets. Repeatable; checked against the register served.
    #[arg(
        long = "dataset",
        env = "SKYDD_DATASETS",
        value_name = "PATH",
        action = clap::ArgAction::Append,
        value_delimiter = ','
    )]
    pub(crate) datasets: Vec<std::path::PathBuf>,
}

/// Exit code of a command whose datasets are invalid or cannot be read (as `serve`'s).
pub(crate) const EXIT_DATASET: u8 = 2;

/// `app` reaching the datasets `args` names, or, when one is invalid or unreadable, the
/// report printed and the exit code to return (the app closed).
pub(crate) async fn with_datasets(
    app: App,
    args: &DatasetArgs,
) -> anyhow::Result<Result<App, std::process::ExitCode>> {
    match app.clone().load_datasets(&args.datasets) {
        Ok((app, warnings)) => {
            eprint!("{warnings}");
            Ok(Ok(app))
        }
        Err(error) => {
            if let skydd_app::datasets::DatasetError::Invalid { report, .. } = &error {
                eprint!("{report}");
            }
            eprintln!("skydd: {error}");
            app.close().await.context("cannot close the database")?;
            Ok(Err(std::process::ExitCode::from(EXIT_DATASET)))
        }
    }
}

/// Open the instance (data directory and database) that `data` names, which must exist: for
/// the commands that need no register (tokens, audit trail, incidents).
pub(crate) async fn open_existing(data: &DataArgs) -> anyhow::Result<Instance> {
    let settings = data.settings();
    instance::open(&settings, Create::Never)
        .await
        .with_context(|| cannot_open(&settings.data_dir))
}

/// Open the instance `data` names and build its services, enforcing the register `choice`
/// picks (the one the instance served last, unless `skydd serve --register` gives one), on the
/// system clock.
pub(crate) async fn open_app(
    data: &DataArgs,
    create: Create,
    choice: RegisterChoice,
) -> anyhow::Result<App> {
    let settings = data.settings();
    App::open_served(&settings, create, choice, Arc::new(SystemClock))
        .await
        .with_context(|| cannot_open(&settings.data_dir))
}

/// The register every command that manages an existing instance runs with: the one it served
/// last.
pub(crate) fn served_register() -> RegisterChoice {
    RegisterChoice::Served { new_instance: None }
}

/// The bundled example register, checked without printing its diagnostics (it is valid:
/// `skydd register check` of it is tested).
pub(crate) fn bundled_register() -> anyhow::Result<LoadedRegister> {
    let register = skydd_register::check(BUNDLED_REGISTER)
        .register
        .context("the bundled register has errors")?;
    Ok(LoadedRegister::new(register, BUNDLED_REGISTER_NAME))
}

fn cannot_open(data_dir: &Path) -> String {
    format!("cannot open the instance in {}", data_dir.display())
}

/// The register at `path` as [`load_register`] reads it, or the bundled example register when
/// no path is given (for commands that check a file against a register, not an instance).
pub(crate) fn load_register_or_bundled(
    path: Option<&Path>,
) -> anyhow::Result<Option<LoadedRegister>> {
    match path {
        Some(path) => load_register(path),
        None => bundled_register().map(Some),
    }
}

/// Read and check the register file at `path`, printing its diagnostics on stderr. `None`
/// when it has errors.
pub(crate) fn load_register(path: &Path) -> anyhow::Result<Option<LoadedRegister>> {
    let source =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let source_name = path.display().to_string();
    let checked = skydd_register::check(&source);
    if crate::logs_are_json() {
        // Every line on stderr is JSON: each diagnostic is one event (its text names register
        // ids and lines, never personal data).
        for diagnostic in &checked.diagnostics {
            let text = render_text(&source_name, std::slice::from_ref(diagnostic));
            let text = text.trim_end();
            if diagnostic.is_error() {
                tracing::error!(code = diagnostic.code, "{text}");
            } else {
                tracing::warn!(code = diagnostic.code, "{text}");
            }
        }
    } else {
        eprint!("{}", render_text(&source_name, &checked.diagnostics));
    }
    let Some(register) = checked.register else {
        let summary = render_summary(&source_name, &checked.diagnostics);
        if crate::logs_are_json() {
            tracing::error!("{summary}");
        } else {
            eprintln!("{summary}");
        }
        return Ok(None);
    };
    Ok(Some(
        LoadedRegister::new(register, source_name)
            .with_path(path)
            .with_warnings(checked.diagnostics),
    ))
}

/// The actor of a command run at this machine: the user, and the address of the SSH session
/// it came through (the IP behind the change, P001-15), if any.
pub(crate) fn cli_actor() -> Actor {
    let user = std::env::var("USER").unwrap_or_else(|_| "unknown".into());
    let ip = std::env::var("SSH_CLIENT")
        .ok()
        .and_then(|client| client.split_whitespace().next().map(str::to_owned))
        .filter(|ip| ip.parse::<std::net::IpAddr>().is_ok());
    Actor {
        id: format!("cli:{user}"),
        ip,
        tenant: None,
        sees_confidential: true,
    }
}
