//! `skydd serve`: listen, check the register, open (or on first start create) the instance
//! with the register it served last (or the one given, when it may replace that), start the
//! background jobs and serve HTTP until SIGINT or SIGTERM.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use clap::Args;
use skydd_app::instance::Create;
use skydd_app::register::RegisterChoice;
use skydd_app::{App, Jobs};
use skydd_server::AppState;
use tokio::signal::unix::{SignalKind, signal};

use crate::commands::{bundled_register, load_register, open_app};
use crate::settings::{CacheArgs, DataArgs, EdgeArgs, OidcArgs, SiteArgs, SmtpArgs, SweepArgs};

/// Most audit events committed in one transaction.
const AUDIT_BATCH: usize = 256;

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
    /// The register file to enforce [default: the one this instance served last; a brand-new
    /// instance serves the bundled example register]. A new version of the register served
    /// last is taken (its significant changes are announced to subjects); another controller's
    /// register, or an older version again, needs --replace-register.
    #[arg(long, env = "SKYDD_REGISTER", value_name = "PATH")]
    register: Option<PathBuf>,
    /// Serve --register although it is for another controller than the register served last,
    /// or an older version of it.
    #[arg(long)]
    replace_register: bool,
    #[command(flatten)]
    smtp: SmtpArgs,
    #[command(flatten)]
    sweep: SweepArgs,
    #[command(flatten)]
    cache: CacheArgs,
    #[command(flatten)]
    oidc: OidcArgs,
    #[command(flatten)]
    site: SiteArgs,
    #[command(flatten)]
    edge: EdgeArgs,
    /// Serve `/metrics` without a token (for a scraper on a private network; it holds no
    /// personal data or identifiers). Without this flag it needs a token with the scope
    /// `metrics` (`skydd token create --role metrics`), `admin`, `staff-admin` or `auditor`.
    #[arg(long, env = "SKYDD_METRICS_PUBLIC")]
    metrics_public: bool,
    /// A connected database's dataset file (see docs/dataset-format.md), or a directory whose
    /// `*.yaml` files are all datasets (sorted by name). Repeatable; in skydd.toml
    /// `datasets = ["...", ...]`. Each is checked against the register served; any error
    /// refuses the start (exit code 2). The connection string is read only when connecting.
    #[arg(
        long = "dataset",
        env = "SKYDD_DATASETS",
        value_name = "PATH",
        action = clap::ArgAction::Append,
        value_delimiter = ','
    )]
    datasets: Vec<PathBuf>,
}

/// Exit code of `serve` when a dataset is invalid or cannot be read.
const EXIT_DATASET: u8 = 2;

/// Run `skydd serve`: returns when the server has shut down after a signal.
pub(crate) async fn run(args: ServeArgs) -> anyhow::Result<ExitCode> {
    // Listen first: a bad or taken address is reported before anything is created or printed.
    let bind = args.bind.as_str();
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .with_context(|| format!("cannot listen on {bind}; nothing was created or changed"))?;
    let choice = match &args.register {
        Some(path) => {
            let Some(register) = load_register(path)? else {
                if crate::logs_are_json() {
                    tracing::error!("the register has errors; not starting");
                } else {
                    eprintln!("skydd: the register has errors; not starting");
                }
                return Ok(ExitCode::FAILURE);
            };
            RegisterChoice::Given {
                register,
                replace: args.replace_register,
            }
        }
        // Checked here, not by clap: a --register from the settings file is a default, which
        // clap's `requires` would not count.
        None if args.replace_register => {
            anyhow::bail!("--replace-register needs --register PATH: the register to serve instead")
        }
        None => RegisterChoice::Served {
            new_instance: Some(bundled_register()?),
        },
    };

    let mailer: Option<Arc<dyn skydd_outbox::Mailer>> = match args.smtp.settings()? {
        Some(smtp) => Some(Arc::new(
            skydd_outbox::SmtpMailer::new(smtp).context("cannot use the SMTP settings")?,
        )),
        None => None,
    };
    let site = args
        .site
        .settings()
        .context("cannot use the public site settings")?;
    let sso = args
        .oidc
        .settings()
        .context("cannot use the single sign-on settings")?;
    // Audit events of concurrent requests share a commit; each request still waits for its own.
    let app = open_app(&args.data, Create::IfMissing, choice)
        .await?
        .with_site(site);
    let app = match sso {
        Some(settings) => {
            tracing::info!(
                issuer = settings.issuer(),
                "single sign-on with an OpenID provider"
            );
            app.with_sso(settings)
        }
        None => app,
    };
    let app = match app.clone().load_datasets(&args.datasets) {
        Ok((app, warnings)) => {
            eprint!("{warnings}");
            app
        }
        Err(error) => {
            report_dataset_error(&error);
            app.close().await.context("cannot close the database")?;
            return Ok(ExitCode::from(EXIT_DATASET));
        }
    };
    let app = app
        .with_fact_cache_subjects(args.cache.facts_cache_subjects)
        .with_group_commit(AUDIT_BATCH);
    let served = prepare_and_serve(&app, &args, listener, mailer).await;
    app.close().await.context("cannot close the database")?;
    served.map(|()| ExitCode::SUCCESS)
}

/// Print why the datasets refused the start: every diagnostic, then one line.
fn report_dataset_error(error: &skydd_app::datasets::DatasetError) {
    let report = match error {
        skydd_app::datasets::DatasetError::Invalid { report, .. } => report.as_str(),
        _ => "",
    };
    if crate::logs_are_json() {
        for line in report.lines().filter(|l| !l.trim().is_empty()) {
            tracing::error!("{line}");
        }
        tracing::error!("{error}; not starting");
    } else {
        eprint!("{report}");
        eprintln!("skydd: {error}; not starting");
    }
}

async fn prepare_and_serve(
    app: &App,
    args: &ServeArgs,
    listener: tokio::net::TcpListener,
    mailer: Option<Arc<dyn skydd_outbox::Mailer>>,
) -> anyhow::Result<()> {
    if let Some(token) = app.prepare_to_serve().await? {
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

    // The outbox is delivered, requests due within a week are warned about, expired records are
    // swept and a notice change is announced while serving.
    let jobs = Jobs::spawn(app, mailer, &args.sweep.job_settings());
    let scale = args.edge.rate_limit_scale();
    if scale > 1 {
        tracing::warn!(
            scale,
            "the public routes' abuse limits allow {scale} times their default bursts \
             (--rate-limit-scale): meant for load tests, not for facing the internet"
        );
    }
    if args.data.sqlite_durability == crate::settings::SqliteDurability::ProcessCrash
        && args.data.settings().database_url.is_none()
    {
        tracing::warn!(
            "SQLite commits are synced at checkpoints only (--sqlite-durability process-crash): \
             a power cut may take back the last acknowledged writes"
        );
    }
    let proxies = args.edge.trusted_proxies();
    if !proxies.networks().is_empty() {
        let list: Vec<String> = proxies.networks().iter().map(ToString::to_string).collect();
        tracing::info!(
            "trusting X-Forwarded-For from the reverse proxies {}",
            list.join(", ")
        );
    }
    let state = AppState::new(app.clone())
        .with_public_metrics(args.metrics_public)
        .with_public_limits(skydd_server::limit::PublicLimits::scaled(scale))
        .with_trusted_proxies(proxies)
        .with_timeouts(args.edge.timeouts());
    let served = skydd_server::serve(listener, state, shutdown)
        .await
        .context("the server failed");
    jobs.stop().await;
    served
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
