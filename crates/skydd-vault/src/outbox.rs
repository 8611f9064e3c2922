//! The outbox as staff read it (issue 17): every message's metadata without decrypting
//! anything, and one message's address and body decrypted on demand, audited.

use jiff::Timestamp;
use serde::Serialize;
use skydd_storage::OutboxMessageRow;

use crate::states::stored_outbox_state;
use crate::{Actor, OutboxState, OutboxView, Vault, VaultError};

/// A message in the outbox without its address and body: what a reader without the right to
/// personal data sees. Nothing here is decrypted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutboxEntry {
    /// The message id: 32 lowercase hex digits.
    pub id: String,
    /// The request the letter is about, if any (notice changes and incidents have none).
    pub request_id: Option<String>,
    /// Which letter (`verification_code`, `completed`, `recipient_notice`, ...).
    pub kind: String,
    /// Where the letter stands.
    pub state: OutboxState,
    /// Delivery attempts made so far.
    pub attempts: u32,
    /// When the mailer tries it next (meaningful while queued).
    pub next_attempt_at: Timestamp,
    /// When it was queued.
    pub created_at: Timestamp,
    /// When the mail server took it; none until then.
    pub sent_at: Option<Timestamp>,
    /// The mailer's last error: an SMTP code and fixed words, never an address or body.
    pub last_error: Option<String>,
}

/// Which outbox messages to list: every field that is set must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutboxQuery {
    /// Only messages in this state.
    pub state: Option<OutboxState>,
    /// Only letters of this kind (`completed`, `breach_communication` ...).
    pub kind: Option<String>,
    /// Only the letters of this request.
    pub request_id: Option<String>,
}

impl OutboxEntry {
    fn from_row(row: OutboxMessageRow) -> Result<OutboxEntry, VaultError> {
        Ok(OutboxEntry {
            state: stored_outbox_state(&row.state)?,
            id: row.id,
            request_id: row.request_id,
            kind: row.kind,
            attempts: row.attempts,
            next_attempt_at: row.next_attempt_at,
            created_at: row.created_at,
            sent_at: row.sent_at,
            last_error: row.last_error,
        })
    }
}

impl Vault {
    /// The messages matching `query`, oldest first, without their addresses and bodies. Not
    /// audited: nothing personal is read (the kinds, states and ids are metadata).
    pub async fn outbox_entries(
        &self,
        query: &OutboxQuery,
    ) -> Result<Vec<OutboxEntry>, VaultError> {
        let rows = self
            .storage
            .outbox_messages(query.state.map(OutboxState::as_str))
            .await?;
        rows.into_iter()
            .filter(|row| query.kind.as_ref().is_none_or(|kind| &row.kind == kind))
            .filter(|row| {
                query
                    .request_id
                    .as_ref()
                    .is_none_or(|id| row.request_id.as_ref() == Some(id))
            })
            .map(OutboxEntry::from_row)
            .collect()
    }

    /// One message with its address and body decrypted, for a reader allowed to see them;
    /// `None` when no message has that id. The read is audited (`outbox.read`, the message id
    /// in the detail) before the message is returned.
    pub async fn outbox_message(
        &self,
        actor: &Actor,
        id: &str,
        now: Timestamp,
    ) -> Result<Option<OutboxView>, VaultError> {
        let Some(row) = self.storage.outbox_message(id).await? else {
            return Ok(None);
        };
        let view = self.open_message(row)?;
        self.audit_with_detail(
            actor,
            now,
            "outbox.read",
            None,
            None,
            Vec::new(),
            "done",
            Some(format!("message {}", view.id)),
        )
        .await?;
        Ok(Some(view))
    }
}
