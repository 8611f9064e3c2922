//! `skydd`: run the server, check, compare and export a register, write the privacy notice,
//! manage API tokens, rotate the master key.
//!
//! Each command is a thin wrapper over library operations (`skydd_app`, `skydd_server`,
//! `skydd_register`): parse the arguments, call, print. Settings come from flags, then `SKYDD_*`
//! environment variables, then defaults.

mod commands;
mod config;
mod settings;

use std::ffi::OsString;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::OnceLock;

use clap::{CommandFactory as _, FromArgMatches as _, Parser, Subcommand};
use tracing_subscriber::EnvFilter;

/// The allocator: mimalloc rather than glibc's. A group commit's events are built on the
/// server's worker threads and freed on the ledger writer's thread (issue 19); glibc frees
/// memory of another thread's arena under that arena's lock, which took a quarter of the
/// writer's time in the decisions benchmark (BENCHMARKS.md), mimalloc hands it back without.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Skydd keeps every promise a privacy policy makes, and proves it.
#[derive(Debug, Parser)]
#[command(name = "skydd", version, propagate_version = true)]
struct Cli {
    /// A settings file (TOML, the flags' names as keys: `data_dir = "/srv/skydd"`); flags and
    /// SKYDD_* variables win over it [default: ./skydd.toml when present]
    #[arg(long, global = true, env = config::CONFIG_ENV, value_name = "PATH")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
    /// How log lines on stderr look: `text` for people, `json` for a log collector (one JSON
    /// object a line, with `timestamp`, `level`, `fields`, `target` and the request's `span`
    /// holding its `request_id`). Which lines are logged is set by `SKYDD_LOG` (`RUST_LOG`
    /// syntax, default `info`; `SKYDD_LOG=warn,skydd_server::access=info` keeps the access
    /// log and warnings). No log line holds personal data.
    #[arg(
        long,
        global = true,
        value_enum,
        env = "SKYDD_LOG_FORMAT",
        default_value_t = LogFormat::Text,
        value_name = "FORMAT"
    )]
    log_format: LogFormat,
}

/// The log format chosen at start, for the few messages written outside `tracing`
/// ([`logs_are_json`]).
static LOG_FORMAT: OnceLock<LogFormat> = OnceLock::new();

/// Whether stderr carries JSON lines: then register diagnostics and the final error are logged
/// as events rather than printed, so that every line a log collector reads is JSON.
pub(crate) fn logs_are_json() -> bool {
    LOG_FORMAT.get() == Some(&LogFormat::Json)
}

/// The shape of log lines (`--log-format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum LogFormat {
    /// One human-readable line per event, coloured on a terminal.
    Text,
    /// One JSON object per line.
    Json,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the HTTP server (creates the data directory, master key and admin token on first start).
    // Boxed: serve's settings are many times the size of any other command's.
    Serve(Box<commands::serve::ServeArgs>),
    /// Work with register files.
    #[command(subcommand)]
    Register(commands::register::RegisterCommand),
    /// Work with dataset files (the company's own databases).
    #[command(subcommand)]
    Dataset(commands::dataset::DatasetCommand),
    /// Write the privacy notice from a register file (English or Swedish, HTML or Markdown).
    Notice(commands::notice::NoticeArgs),
    /// Create, list and revoke API tokens.
    #[command(subcommand)]
    Token(commands::token::TokenCommand),
    /// Staff accounts of the console: create, list, disable, enable, reset TOTP, set password.
    #[command(subcommand)]
    User(commands::user::UserCommand),
    /// Manage the master key: rotate it.
    #[command(subcommand)]
    Key(commands::key::KeyCommand),
    /// Verify, export and checkpoint the tamper-evident audit trail.
    #[command(subcommand)]
    Audit(commands::audit::AuditCommand),
    /// Plan and run retention: delete or anonymise what the register says has expired.
    #[command(subcommand)]
    Retention(commands::retention::RetentionCommand),
    /// Personal data breaches: list them with the time left to notify, show one.
    #[command(subcommand)]
    Incidents(commands::incidents::IncidentsCommand),
    /// Evaluations of the security measures: record one, list them with the cycle's state.
    #[command(subcommand)]
    Security(commands::security::SecurityCommand),
    /// Disclosures to authorities, each with the decision behind it.
    #[command(subcommand)]
    Disclosures(commands::incidents::DisclosuresCommand),
    /// Data-subject requests: list, show, fulfil.
    #[command(subcommand)]
    Requests(commands::requests::RequestsCommand),
    /// Messages to data subjects waiting to be sent (or sent).
    #[command(subcommand)]
    Outbox(commands::requests::OutboxCommand),
    /// Import consents, objections, preferences and records from another system (JSON lines
    /// or CSV), resumably.
    Import(commands::import::ImportArgs),
    /// Find personal data in free text (a file of tickets, chats, notes): one JSON line per
    /// finding, without the value unless `--show-values`.
    Scan(commands::scan::ScanArgs),
    /// Erasures in connected databases: replay them onto a database restored from a backup.
    #[command(subcommand)]
    Erasures(commands::erasures::ErasuresCommand),
    /// Copy a SQLite instance's database, consistently, while it serves (PostgreSQL: pg_dump).
    Backup(commands::backup::BackupArgs),
    /// Restore a backup into a new data directory that holds the master key it was made with.
    Restore(commands::backup::RestoreArgs),
    /// Settings files: check one and print the effective settings.
    #[command(subcommand)]
    Config(config::ConfigCommand),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell) on stdout.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Write the manual pages (skydd.1 and one per subcommand) into DIR, or skydd.1 on stdout.
    Man {
        /// Where to write them [default: skydd.1 on stdout]
        #[arg(value_name = "DIR")]
        dir: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().collect();
    let base = Cli::command();
    let located = config::locate(&args);
    let (file, file_error) = match &located {
        Some(path) => match config::load(path, &base) {
            Ok(file) => (file, None),
            Err(error) => (config::ConfigFile::default(), Some(error)),
        },
        None => (config::ConfigFile::default(), None),
    };
    let matches = config::apply(base.clone(), &file).get_matches_from(&args);
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(error) => error.exit(),
    };
    if let Command::Config(config::ConfigCommand::Check(check)) = &cli.command {
        return config::check(check, &base, located);
    }
    if let Some(error) = file_error {
        eprintln!("{error}");
        return ExitCode::FAILURE;
    }
    init_logging(cli.log_format);
    let outcome = match cli.command {
        Command::Config(_) => Ok(ExitCode::SUCCESS),
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "skydd", &mut std::io::stdout());
            Ok(ExitCode::SUCCESS)
        }
        Command::Man { dir } => write_man(dir),
        Command::Register(command) => commands::register::run(command),
        Command::Dataset(command) => commands::dataset::run(command),
        Command::Notice(args) => commands::notice::run(args),
        Command::Serve(args) => {
            runtime().and_then(|runtime| runtime.block_on(commands::serve::run(*args)))
        }
        Command::Token(command) => {
            runtime().and_then(|runtime| runtime.block_on(commands::token::run(command)))
        }
        Command::User(command) => {
            runtime().and_then(|runtime| runtime.block_on(commands::user::run(command)))
        }
        Command::Key(command) => {
            runtime().and_then(|runtime| runtime.block_on(commands::key::run(command)))
        }
        Command::Security(command) => {
            runtime().and_then(|runtime| runtime.block_on(commands::security::run(command)))
        }
        Command::Incidents(command) => {
            runtime().and_then(|runtime| runtime.block_on(commands::incidents::run(command)))
        }
        Command::Disclosures(command) => runtime()
            .and_then(|runtime| runtime.block_on(commands::incidents::run_disclosures(command))),
        Command::Requests(command) => {
            runtime().and_then(|runtime| runtime.block_on(commands::requests::run(command)))
        }
        Command::Scan(args) => commands::scan::run(args),
        Command::Import(args) => {
            runtime().and_then(|runtime| runtime.block_on(commands::import::run(args)))
        }
        Command::Erasures(command) => {
            runtime().and_then(|runtime| runtime.block_on(commands::erasures::run(command)))
        }
        Command::Outbox(command) => {
            runtime().and_then(|runtime| runtime.block_on(commands::requests::run_outbox(command)))
        }
        Command::Audit(command) => {
            runtime().and_then(|runtime| runtime.block_on(commands::audit::run(command)))
        }
        Command::Retention(command) => {
            runtime().and_then(|runtime| runtime.block_on(commands::retention::run(command)))
        }
        Command::Backup(args) => {
            runtime().and_then(|runtime| runtime.block_on(commands::backup::run_backup(args)))
        }
        Command::Restore(args) => {
            runtime().and_then(|runtime| runtime.block_on(commands::backup::run_restore(args)))
        }
    };
    match outcome {
        Ok(code) => code,
        Err(error) if logs_are_json() => {
            tracing::error!("{error:#}");
            ExitCode::FAILURE
        }
        Err(error) => {
            eprintln!("skydd: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// The manual pages: every page into `dir`, or the main page on stdout.
fn write_man(dir: Option<PathBuf>) -> anyhow::Result<ExitCode> {
    use anyhow::Context as _;
    let command = Cli::command();
    match dir {
        Some(dir) => {
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            clap_mangen::generate_to(command, &dir)
                .with_context(|| format!("cannot write the manual pages into {}", dir.display()))?;
        }
        None => clap_mangen::Man::new(command)
            .render(&mut std::io::stdout())
            .context("cannot write the manual page")?,
    }
    Ok(ExitCode::SUCCESS)
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    use anyhow::Context as _;
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// Log to stderr as `format` says, filtered by `SKYDD_LOG` (`RUST_LOG` syntax, default `info`).
fn init_logging(format: LogFormat) {
    let _ = LOG_FORMAT.set(format);
    let filter = EnvFilter::try_from_env("SKYDD_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let logger = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => logger.with_ansi(std::io::stderr().is_terminal()).init(),
        // The innermost span (the request, with its id) on each line; the list of every span
        // would repeat it.
        LogFormat::Json => logger
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .init(),
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }
}
