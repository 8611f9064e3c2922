//! Every background job of a running instance, started together by [`Jobs::spawn`] and stopped
//! together by [`Jobs::stop`]: outbox delivery, the due-soon warning, retention sweeps (each
//! followed by an audit checkpoint and the deletion of the privacy centre's expired sign-ins and
//! sessions), the readiness check (a fault logged once when it starts
//! and once when it ends), the follower of the change log of decision facts, the rounds of the
//! audit trail's index by subject and, once at start, the announcement of a significant change
//! of the privacy notice.
//!
//! Each round takes `now` from the app's clock and a fresh vault from the app (so a reloaded
//! keyring is used). Without a mailer (no SMTP configured) messages stay queued, listed by
//! `skydd outbox list`; nothing is dropped. Logs carry ids, counts and due times only, never
//! personal data.

use std::sync::Arc;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use skydd_outbox::{Mailer, OutgoingMessage};
use skydd_register::model::Language;
use skydd_vault::{Actor, DEFAULT_SWEEP_BATCH, Vault, VaultError};
use tokio::task::JoinSet;

use crate::history;
use crate::retention::{SystemSweep, SystemSwept};
use crate::services::App;

/// Messages sent per delivery round.
const BATCH: usize = 50;
/// How many entries one round of the index by subject writes, at least: one write transaction
/// of the database, so a group commit waits for at most one such round (on SQLite whole
/// subjects of a span, about a millisecond; on PostgreSQL the mark moved by as many events).
/// The size of a round does not change how often SQLite writes a subject's pages (once a
/// span), so rounds are small: with 4,096 entries the p99 of decisions under wrk was 8.6-10.4
/// ms, with 1,024 5.8-7.7 ms.
pub const AUDIT_INDEX_ROUND: usize = 1_024;
/// Requests due within this time are warned about.
pub const DUE_SOON: SignedDuration = SignedDuration::from_hours(7 * 24);

/// How often the jobs run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JobSettings {
    /// Between looks at the outbox (only with a mailer).
    pub delivery_interval: Duration,
    /// Between due-soon warnings (the first is logged at start).
    pub warning_interval: Duration,
    /// Between retention sweeps, each followed by an audit checkpoint (the first runs at
    /// start); zero switches both off.
    pub retention_interval: Duration,
    /// Between readiness checks ([`App::readiness`]): a fault (a full disk, a lost database)
    /// is logged once when it starts and once when it ends, even when nothing polls `/readyz`;
    /// zero switches the check off.
    pub readiness_interval: Duration,
    /// Follow the change log of decision facts ([`crate::change_log`]): what other servers
    /// and `skydd` commands change is forgotten here within 1 s. Off only for tools that share
    /// no database with anyone.
    pub follow_fact_changes: bool,
    /// Wake the follower at once on PostgreSQL's notifications (`LISTEN`); without, it reads
    /// the log every 250 ms only (tests of a lost notification switch it off).
    pub listen_fact_changes: bool,
    /// Between rounds of the audit trail's index by subject
    /// ([`skydd_storage::Storage::index_audit_subjects`]): each time, rounds index what was
    /// appended since the last time, so a search by subject scans about this long a tail of
    /// the trail (on SQLite, while a span is being written, up to that span's 131,072 events
    /// more). Longer intervals write each page of the index less often. Zero switches the
    /// rounds off (searches stay exact, and slow down as the tail grows).
    pub audit_index_interval: Duration,
}

impl Default for JobSettings {
    /// Delivery every 30 seconds, the warning daily, a sweep hourly, readiness every 10 seconds,
    /// the change log followed with notifications, the audit index every second.
    fn default() -> JobSettings {
        JobSettings {
            delivery_interval: Duration::from_secs(30),
            warning_interval: Duration::from_secs(24 * 60 * 60),
            retention_interval: Duration::from_secs(60 * 60),
            readiness_interval: Duration::from_secs(10),
            follow_fact_changes: true,
            listen_fact_changes: true,
            audit_index_interval: Duration::from_secs(1),
        }
    }
}

/// What one delivery round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct DeliveryRound {
    /// Messages the server accepted.
    pub sent: usize,
    /// Messages that failed this time (retried later, or given up).
    pub failed: usize,
}

/// The running jobs of an instance. [`Jobs::stop`] stops them and waits until they have
/// stopped; dropping it stops them too, without waiting.
pub struct Jobs {
    tasks: JoinSet<()>,
}

impl Jobs {
    /// Start every job on the current Tokio runtime: the announcement of a significant notice
    /// change (once, now), the due-soon warning (now, then every `warning_interval`), outbox
    /// delivery through `mailer` (every `delivery_interval`; without a mailer, none) and
    /// retention sweeps (now, then every `retention_interval`, unless it is zero).
    pub fn spawn(app: &App, mailer: Option<Arc<dyn Mailer>>, settings: &JobSettings) -> Jobs {
        let mut tasks = JoinSet::new();
        tasks.spawn(announce_at_start(app.clone()));
        tasks.spawn(every(
            app.clone(),
            settings.warning_interval,
            async |app: &App| {
                let now = app.clock.now();
                if let Err(error) = warn_due_soon(&app.vault(), now).await {
                    tracing::error!(error = %error, "cannot list requests due soon");
                }
            },
        ));
        match mailer {
            None => tracing::info!(
                "no SMTP server configured: messages to data subjects stay queued (skydd outbox list)"
            ),
            Some(mailer) => {
                tasks.spawn(every(
                    app.clone(),
                    settings.delivery_interval,
                    async move |app: &App| {
                        let now = app.clock.now();
                        if let Err(error) = deliver_due(&app.vault(), &*mailer, now).await {
                            tracing::error!(error = %error, "outbox delivery failed");
                        }
                    },
                ));
            }
        }
        if !settings.retention_interval.is_zero() {
            tasks.spawn(every(
                app.clone(),
                settings.retention_interval,
                async |app: &App| sweep_round(app).await,
            ));
        }
        if !settings.readiness_interval.is_zero() {
            tasks.spawn(every(
                app.clone(),
                settings.readiness_interval,
                async |app: &App| {
                    // It logs a change itself; the answer is for `/readyz`.
                    let _ = app.readiness().await;
                },
            ));
        }
        if !settings.audit_index_interval.is_zero() {
            // A fault (a full disk, a lost database) is logged when it starts and when it ends,
            // not every second.
            let mut failing = false;
            tasks.spawn(every(
                app.clone(),
                settings.audit_index_interval,
                async move |app: &App| match index_audit_subjects(app).await {
                    Ok(_) if failing => {
                        failing = false;
                        tracing::info!("the audit trail's index by subject is filled again");
                    }
                    Ok(_) => {}
                    Err(error) if !failing => {
                        failing = true;
                        tracing::warn!(
                            error = %error,
                            "cannot index the audit trail by subject; searches by subject stay exact but slow down until it can"
                        );
                    }
                    Err(_) => {}
                },
            ));
        }
        if settings.follow_fact_changes {
            tasks.spawn(crate::change_log::follow(
                app.clone(),
                settings.listen_fact_changes,
            ));
        }
        Jobs { tasks }
    }

    /// Stop every job and wait until they have stopped. A sweep stopped mid-batch loses only
    /// its open transaction; a delivery stopped mid-round sends the rest next time.
    pub async fn stop(mut self) {
        self.tasks.abort_all();
        while self.tasks.join_next().await.is_some() {}
    }
}

/// Run `round` now and then every `interval`; a round that overruns delays the next one.
async fn every(app: App, interval: Duration, mut round: impl AsyncFnMut(&App)) {
    let mut ticks = tokio::time::interval(interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        round(&app).await;
    }
}

/// Index the audit trail by subject up to its newest event, in rounds of about
/// [`AUDIT_INDEX_ROUND`] events, one after the other until a round finds less than that to do
/// (a backlog, after an upgrade or a large import by `skydd`, takes many; group commits go
/// between them). Returns how many events were indexed.
pub async fn index_audit_subjects(app: &App) -> Result<u64, skydd_storage::StorageError> {
    let mut indexed = 0;
    loop {
        let round = app.storage.index_audit_subjects(AUDIT_INDEX_ROUND).await?;
        indexed += round;
        if round < AUDIT_INDEX_ROUND as u64 {
            return Ok(indexed);
        }
    }
}

/// Send the messages due at `now` once, recording each outcome.
pub async fn deliver_due(
    vault: &Vault,
    mailer: &dyn Mailer,
    now: Timestamp,
) -> Result<DeliveryRound, VaultError> {
    let mut round = DeliveryRound::default();
    for message in vault.outbox_due(now, BATCH).await? {
        let outgoing = OutgoingMessage {
            to: message.to.clone(),
            subject: message.subject.clone(),
            text: message.text.clone(),
        };
        match mailer.send(&outgoing).await {
            Ok(()) => {
                vault.record_delivery(&message, None, false, now).await?;
                round.sent += 1;
            }
            Err(error) => {
                tracing::warn!(message = %message.id, error = %error, "message not delivered");
                vault
                    .record_delivery(
                        &message,
                        Some(&error.to_string()),
                        error.is_permanent(),
                        now,
                    )
                    .await?;
                round.failed += 1;
            }
        }
    }
    Ok(round)
}

/// Log a warning listing the open requests due within [`DUE_SOON`] of `now` (ids and due times).
pub async fn warn_due_soon(vault: &Vault, now: Timestamp) -> Result<usize, VaultError> {
    let until = now.checked_add(DUE_SOON).unwrap_or(now);
    let due = vault.requests_due_before(until).await?;
    if !due.is_empty() {
        let list: Vec<String> = due
            .iter()
            .map(|(id, at)| format!("{id} (due {at})"))
            .collect();
        tracing::warn!(
            count = due.len(),
            requests = %list.join(", "),
            "data-subject requests due within 7 days"
        );
    }
    Ok(due.len())
}

/// One sweep by the system actor at the clock's `now`, then a checkpoint, logged by counts: the
/// vault's, then one line per connected database (its name, how it ended, rows; never a value);
/// then the privacy centre's expired sign-ins and sessions deleted.
async fn sweep_round(app: &App) {
    let actor = Actor::new("system:retention");
    let now = app.clock.now();
    match app
        .sweep(&actor, now, DEFAULT_SWEEP_BATCH, &mut |_| {})
        .await
    {
        Ok(Some(swept)) => {
            let summary = &swept.vault;
            tracing::info!(
                deleted = summary.deleted,
                anonymised = summary.anonymised,
                shredded = summary.shredded,
                ungoverned = summary.plan.total(skydd_retention::LineState::Ungoverned),
                "retention sweep done"
            );
            for system in &swept.connected {
                log_system_sweep(system);
            }
        }
        Ok(None) => tracing::info!("retention sweep skipped: another server is sweeping"),
        Err(error) => tracing::warn!("retention sweep failed: {}", error_chain(&error)),
    }
    match app.centre().sweep_expired(now).await {
        Ok(0) => {}
        Ok(deleted) => tracing::info!(
            deleted,
            "expired privacy centre sign-ins and sessions deleted"
        ),
        Err(error) => tracing::warn!(
            "expired privacy centre sign-ins and sessions not deleted: {}",
            error_chain(&error)
        ),
    }
}

/// One connected database's sweep in the log: info when done, a warning otherwise.
fn log_system_sweep(system: &SystemSwept) {
    match &system.outcome {
        SystemSweep::Done(receipt) => {
            let deleted: u64 = receipt.collections.iter().map(|c| c.deleted).sum();
            let masked: u64 = receipt.collections.iter().map(|c| c.masked).sum();
            let failed: Vec<String> = receipt
                .collections
                .iter()
                .filter_map(|c| match &c.outcome {
                    skydd_connect::sweep::Outcome::Failed { reason } => {
                        Some(format!("{}: {reason}", c.collection))
                    }
                    _ => None,
                })
                .collect();
            if failed.is_empty() {
                tracing::info!(dataset = %system.system, deleted, masked, "connected database swept");
            } else {
                tracing::warn!(dataset = %system.system, deleted, masked, failed = %failed.join("; "), "connected database swept in part");
            }
        }
        SystemSweep::Busy => tracing::info!(
            dataset = %system.system,
            "connected database not swept: another sweeper holds its lock"
        ),
        SystemSweep::Failed { reason } => tracing::warn!(
            dataset = %system.system,
            reason = %reason,
            "connected database not swept"
        ),
    }
}

/// An error and its sources, `: `-separated, as the log shows it.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// The announcement job: [`announce_notice_change`] once, at the clock's `now`, logged.
async fn announce_at_start(app: App) {
    let now = app.clock.now();
    announce_notice_change(&app, now).await;
}

/// When the register in force changed significantly from the version before it, tell every
/// subject who was there before it took effect (P000-69, P001-05). Runs at every start: message
/// ids are derived from the version and the subject, so a start after a crash queues only what
/// the crash left out, and a later start queues nothing again.
pub async fn announce_notice_change(app: &App, now: Timestamp) {
    let history = match history::load(&*app.storage).await {
        Ok(history) => history,
        Err(error) => {
            tracing::warn!("cannot read the register history to announce changes: {error}");
            return;
        }
    };
    let Some(latest) = history.first() else {
        return;
    };
    let vault = app.vault();
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
        .unwrap_or(Language::En);
    let lines = history::significant_lines(vault.register(), diff, language);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_chains_name_every_cause() {
        let error = crate::retention::SweepError::Sweep(VaultError::Storage(
            skydd_storage::StorageError::Database("gone".into()),
        ));
        let text = error_chain(&error);
        assert!(text.starts_with("the sweep stopped"), "{text}");
        assert!(text.contains("gone"), "{text}");
    }
}
