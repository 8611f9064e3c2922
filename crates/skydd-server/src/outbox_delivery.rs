//! Background work of a running server for data-subject requests: delivering the outbox through
//! a [`Mailer`] with retries, and warning about requests that fall due soon.
//!
//! Without a mailer (no SMTP configured) messages stay queued, listed by `skydd outbox list`;
//! nothing is dropped. The warning lists request ids and due times only, never personal data.

use std::sync::Arc;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use skydd_outbox::{Mailer, OutgoingMessage};
use skydd_vault::{Vault, VaultError};

use crate::state::AppState;

/// How often the outbox is looked at.
const DELIVERY_INTERVAL: Duration = Duration::from_secs(30);
/// How often the due-soon warning is logged (also once at start).
const WARNING_INTERVAL: Duration = Duration::from_secs(24 * 60 * 60);
/// Messages sent per round.
const BATCH: usize = 50;
/// Requests due within this time are warned about.
pub const DUE_SOON: SignedDuration = SignedDuration::from_hours(7 * 24);

/// What one delivery round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct DeliveryRound {
    /// Messages the server accepted.
    pub sent: usize,
    /// Messages that failed this time (retried later, or given up).
    pub failed: usize,
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

/// Start the background tasks of a server: the due-soon warning now and daily, and, with a
/// mailer, outbox delivery every 30 seconds. They run until the runtime stops.
pub fn spawn(state: AppState, mailer: Option<Arc<dyn Mailer>>) {
    let warn_state = state.clone();
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(WARNING_INTERVAL);
        loop {
            interval.tick().await;
            let now = warn_state.clock.now();
            if let Err(error) = warn_due_soon(&warn_state.vault(), now).await {
                tracing::error!(error = %error, "cannot list requests due soon");
            }
        }
    });
    match mailer {
        None => tracing::info!(
            "no SMTP server configured: messages to data subjects stay queued (skydd outbox list)"
        ),
        Some(mailer) => {
            tokio::spawn(async move {
                let mut interval = tokio::time::interval(DELIVERY_INTERVAL);
                loop {
                    interval.tick().await;
                    let now = state.clock.now();
                    if let Err(error) = deliver_due(&state.vault(), &*mailer, now).await {
                        tracing::error!(error = %error, "outbox delivery failed");
                    }
                }
            });
        }
    }
}
