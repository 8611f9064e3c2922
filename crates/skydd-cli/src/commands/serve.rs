//! `skydd serve`: check the register, open (or on first start create) the instance, serve HTTP
//! until SIGINT or SIGTERM.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use clap::Args;
use skydd_crypto::Keyring;
use skydd_register::diagnostic::{render_summary, render_text};
use skydd_server::instance::{self, Create, DataSettings};
use skydd_server::{AppState, Clock, LoadedRegister, SystemClock, tokens};
use skydd_storage::Storage;
use tokio::signal::unix::{SignalKind, signal};

use crate::commands::retention::{Sweep, sweep_once};
use crate::settings::{DataArgs, SmtpArgs, SweepArgs};

/// The register served when `--register` is not given: the bundled example.
const BUNDLED_REGISTER: &str = include_str!("../../../../examples/registers/glesys.yaml");
/// Most audit events committed in one transaction.
const AUDIT_BATCH: usize = 256;
/// How the bundled register is named in messages.
const BUNDLED_REGISTER_NAME: &str = "examples/registers/glesys.yaml (bundled)";

/// Arguments of `skydd serve`.
#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    #[command(flatten)]
    data: DataArgs,
    /// Address to listen on (port 0 picks a free port; the log says which).
    #[arg(
        long,
        env = "SKYDD_BIND",
        default_value = "127.0.0.1:8080",
        value_name = "ADDR"
    )]
    bind: String,
    /// The register file to enforce [default: the bundled example register]
    #[arg(long, env = "SKYDD_REGISTER", value_name = "PATH")]
    register: Option<PathBuf>,
    #[command(flatten)]
    smtp: SmtpArgs,
    #[command(flatten)]
    sweep: SweepArgs,
}

/// Run `skydd serve`: returns when the server has shut down after a signal.
pub(crate) async fn run(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let Some(register) = load_register(args.register.as_deref())? else {
        eprintln!("skydd: the register has errors; not starting");
        return Ok(ExitCode::FAILURE);
    };

    let mailer: Option<Arc<dyn skydd_outbox::Mailer>> = match args.smtp.settings()? {
        Some(smtp) => Some(Arc::new(
            skydd_outbox::SmtpMailer::new(smtp).context("cannot use the SMTP settings")?,
        )),
        None => None,
    };
    let settings = args.data.settings();
    let opened = instance::open(&settings, Create::IfMissing)
        .await
        .with_context(|| {
            format!(
                "cannot open the instance in {}",
                settings.data_dir.display()
            )
        })?;
    if opened.key_created {
        tracing::info!(path = %settings.master_key_path().display(), "created a new master key; back it up");
    }
    let storage = opened.storage;
    let served = prepare_and_serve(
        storage.clone(),
        opened.keyring,
        &settings,
        register,
        &args,
        mailer,
    )
    .await;
    storage.close().await.context("cannot close the database")?;
    served.map(|()| ExitCode::SUCCESS)
}

/// Read and check the register at `path` (the bundled one when `None`), printing its
/// diagnostics on stderr. `None` when it has errors.
pub(crate) fn load_register(path: Option<&Path>) -> anyhow::Result<Option<LoadedRegister>> {
    let (source, source_name) = match path {
        Some(path) => {
            let source = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            (source, path.display().to_string())
        }
        None => (
            BUNDLED_REGISTER.to_owned(),
            BUNDLED_REGISTER_NAME.to_owned(),
        ),
    };
    let checked = skydd_register::check(&source);
    eprint!("{}", render_text(&source_name, &checked.diagnostics));
    let Some(register) = checked.register else {
        eprintln!("{}", render_summary(&source_name, &checked.diagnostics));
        return Ok(None);
    };
    Ok(Some(LoadedRegister::new(register, source_name)))
}

async fn prepare_and_serve(
    storage: Arc<dyn Storage>,
    keyring: Arc<Keyring>,
    settings: &DataSettings,
    register: LoadedRegister,
    args: &ServeArgs,
    mailer: Option<Arc<dyn skydd_outbox::Mailer>>,
) -> anyhow::Result<()> {
    let key_file = &settings.master_key_path();
    let bind = args.bind.as_str();
    let clock = Arc::new(SystemClock);
    let now = clock.now();
    let change = register
        .record_version(&*storage, now)
        .await
        .context("cannot record the register version")?;
    if change.newly_recorded() {
        tracing::info!(digest = %register.digest, "recorded a new register version");
    }
    change.log(&register.digest);
    tracing::info!(digest = %register.digest, source = %register.source_name, "register loaded");

    if let Some(token) = tokens::issue_first_admin(&*storage, now)
        .await
        .context("cannot create the admin token")?
    {
        tracing::info!(token_id = %token.id, "created the first admin token");
        print!("{}", admin_token_box(token.secret()));
    }

    // Install both handlers before listening, so that a signal is never missed.
    let mut interrupt = signal(SignalKind::interrupt()).context("cannot listen for SIGINT")?;
    let mut terminate = signal(SignalKind::terminate()).context("cannot listen for SIGTERM")?;
    let shutdown = async move {
        let name = tokio::select! {
            _ = interrupt.recv() => "SIGINT",
            _ = terminate.recv() => "SIGTERM",
        };
        tracing::info!("{name}: shutting down, finishing requests in flight");
    };

    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .with_context(|| format!("cannot listen on {bind}"))?;
    // `skydd key rotate` may add a key version while this server runs: reload it when needed.
    // Audit events of concurrent requests share a commit; each request still waits for its own.
    let audit = Arc::new(skydd_vault::GroupCommitAudit::spawn(
        storage.clone(),
        AUDIT_BATCH,
    ));
    let state = AppState::new(storage.clone(), keyring.clone(), register, clock.clone())
        .with_key_file(key_file)
        .with_audit(audit);
    // The outbox is delivered and requests due within a week are warned about while serving.
    skydd_server::outbox_delivery::spawn(state.clone(), mailer);
    tokio::spawn(announce_significant_change(
        state.vault(),
        storage.clone(),
        now,
    ));
    let interval = args.sweep.retention_interval;
    let sweeper = (!interval.is_zero()).then(|| {
        tokio::spawn(sweep_forever(
            state.vault(),
            storage,
            keyring,
            settings.data_dir.clone(),
            clock,
            interval,
        ))
    });
    let served = skydd_server::serve(listener, state, shutdown)
        .await
        .context("the server failed");
    // A sweep stopped mid-batch loses only its open transaction.
    if let Some(sweeper) = sweeper {
        sweeper.abort();
    }
    served
}

/// When the register in force changed significantly from the version before it, tell every
/// subject who was there before it took effect (P000-69, P001-05). Runs at every start: message
/// ids are derived from the version and the subject, so a start after a crash queues only what
/// the crash left out, and a later start queues nothing again.
async fn announce_significant_change(
    vault: skydd_vault::Vault,
    storage: Arc<dyn Storage>,
    now: jiff::Timestamp,
) {
    let history = match skydd_server::history::load(&*storage).await {
        Ok(history) => history,
        Err(error) => {
            tracing::warn!("cannot read the register history to announce changes: {error}");
            return;
        }
    };
    let Some(latest) = history.first() else {
        return;
    };
    if latest.version.digest != vault.register_version() {
        // A rollback to an older version: nothing new to announce.
        return;
    }
    let Some(diff) = latest.diff.as_ref().filter(|diff| diff.is_significant()) else {
        return;
    };
    let language = vault
        .register()
        .languages
        .first()
        .copied()
        .unwrap_or(skydd_register::model::Language::En);
    let lines = skydd_server::history::significant_lines(vault.register(), diff, language);
    match vault
        .announce_notice_change(
            &latest.version.digest,
            latest.version.first_loaded_at,
            &lines,
            None,
            now,
        )
        .await
    {
        Ok(reach) => tracing::info!(
            queued = reach.queued,
            already_queued = reach.already_queued,
            without_address = reach.without_address,
            "notice of change announced to subjects"
        ),
        Err(error) => tracing::warn!("cannot announce the notice change: {error}"),
    }
}

/// Sweep expired records and checkpoint the audit trail at start and then every `interval`.
/// With several servers on one PostgreSQL database, one sweeps and the others skip their turn.
async fn sweep_forever(
    vault: skydd_vault::Vault,
    storage: Arc<dyn Storage>,
    keyring: Arc<Keyring>,
    data_dir: PathBuf,
    clock: Arc<SystemClock>,
    interval: std::time::Duration,
) {
    let actor = skydd_vault::Actor::new("system:retention");
    let sweep = Sweep {
        vault: &vault,
        storage: storage.as_ref(),
        keyring: &keyring,
        data_dir: &data_dir,
    };
    let mut ticks = tokio::time::interval(interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let now = clock.now();
        match sweep_once(
            &sweep,
            &actor,
            now,
            skydd_vault::DEFAULT_SWEEP_BATCH,
            &mut |_| {},
        )
        .await
        {
            Ok(Some(summary)) => tracing::info!(
                deleted = summary.deleted,
                anonymised = summary.anonymised,
                shredded = summary.shredded,
                ungoverned = summary.plan.total(skydd_retention::LineState::Ungoverned),
                "retention sweep done"
            ),
            Ok(None) => tracing::info!("retention sweep skipped: another server is sweeping"),
            Err(error) => tracing::warn!("retention sweep failed: {error:#}"),
        }
    }
}

/// The first admin token in a box, for stdout. It is never printed or logged again.
fn admin_token_box(token: &str) -> String {
    let lines = [
        "Admin token (shown once, store it now):".to_owned(),
        String::new(),
        format!("    {token}"),
        String::new(),
        "Send it as `Authorization: Bearer TOKEN`; create more with `skydd token create`."
            .to_owned(),
    ];
    let width = lines
        .iter()
        .map(|line| line.chars().count())
        .max()
        .unwrap_or(0);
    let rule = format!("+{}+\n", "-".repeat(width + 2));
    let mut boxed = rule.clone();
    for line in &lines {
        boxed.push_str(&format!("| {line:<width$} |\n"));
    }
    boxed.push_str(&rule);
    boxed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_admin_token_box_is_closed_and_holds_the_token() {
        let boxed = admin_token_box("skydd_0123_abcd");
        let lines: Vec<&str> = boxed.lines().collect();
        assert_eq!(lines.len(), 7);
        assert!(
            lines
                .iter()
                .all(|line| line.chars().count() == lines[0].chars().count())
        );
        assert!(lines[1].starts_with("| Admin token (shown once, store it now):"));
        assert_eq!(lines[3].split_whitespace().nth(1), Some("skydd_0123_abcd"));
    }
}
