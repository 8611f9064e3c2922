//! The audit interface: every call that reads or changes personal data is recorded here, with
//! actor, IP, purpose, subject id and category names, never the values.
//!
//! [`Audit`] is the one interface every writer uses; the audit-trail issue makes its storage
//! tamper-evident (hash chain, signed checkpoints) without changing the callers.

use std::future::Future;
use std::pin::Pin;

use jiff::Timestamp;
use skydd_storage::{AuditEventRow, Storage, StorageError};

/// One processing event. Holds ids and register names only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    /// When.
    pub at: Timestamp,
    /// Who (token or account id).
    pub actor: String,
    /// From which IP address.
    pub ip: Option<String>,
    /// What: `subject.create`, `records.read`, `consent.record`, `decision` ...
    pub action: &'static str,
    /// Under which purpose.
    pub purpose: Option<String>,
    /// About which subject.
    pub subject_id: Option<String>,
    /// Which data categories.
    pub categories: Vec<String>,
    /// `allowed`, `denied:<code>`, `done` ...
    pub outcome: String,
}

/// The future an audit write returns.
pub type AuditFuture<'a> = Pin<Box<dyn Future<Output = Result<(), StorageError>> + Send + 'a>>;

/// Where audit events go.
pub trait Audit: Send + Sync + 'static {
    /// Record `event`. An error must fail the operation: processing that cannot be recorded does
    /// not happen.
    fn record(&self, event: AuditEvent) -> AuditFuture<'_>;
}

/// Audit events appended to the database's `audit_events` ledger.
#[derive(Clone)]
pub struct StorageAudit {
    storage: std::sync::Arc<dyn Storage>,
}

impl StorageAudit {
    /// Audit into `storage`.
    pub fn new(storage: std::sync::Arc<dyn Storage>) -> StorageAudit {
        StorageAudit { storage }
    }
}

impl Audit for StorageAudit {
    fn record(&self, event: AuditEvent) -> AuditFuture<'_> {
        Box::pin(async move {
            self.storage
                .append_audit_event(AuditEventRow {
                    seq: 0,
                    at: event.at,
                    actor: event.actor,
                    ip: event.ip,
                    action: event.action.to_string(),
                    purpose: event.purpose,
                    subject_id: event.subject_id,
                    categories: event.categories,
                    outcome: event.outcome,
                    detail: None,
                })
                .await
                .map(|_| ())
        })
    }
}
