//! What a request did in each connected database (issue 16): per system and action an outcome
//! (`pending`, `done`, `failed` or `skipped` with the reason) and a receipt (JSON without
//! personal values; an erasure's names the primary keys of the rows it erased), sealed with the
//! request's data key so that no key of a row is stored in plaintext. A request is not
//! completed while one of its systems is pending, failed or skipped.

use jiff::Timestamp;
use skydd_crypto::WrappedKey;
use skydd_requests::RequestType;
use skydd_storage::{RequestRow, RequestSystemRow};

use crate::states::stored_type;
use crate::{Actor, Vault, VaultError};

/// What a request does in a connected system.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SystemAction {
    /// Read for the access package (access and portability).
    Access,
    /// Erasure (Art. 17).
    Erasure,
    /// Rectification (Art. 16).
    Rectification,
    /// Restriction (Art. 18): recorded; the company acts on the system.
    Restriction,
    /// Objection (Art. 21): recorded; the company acts on the system.
    Objection,
}

impl SystemAction {
    /// The stored word.
    pub fn as_str(self) -> &'static str {
        match self {
            SystemAction::Access => "access",
            SystemAction::Erasure => "erasure",
            SystemAction::Rectification => "rectification",
            SystemAction::Restriction => "restriction",
            SystemAction::Objection => "objection",
        }
    }

    /// The action a request of `request_type` takes in connected systems, if any (withdrawing
    /// a consent and opting out of marketing stay in the vault).
    pub fn of(request_type: RequestType) -> Option<SystemAction> {
        match request_type {
            RequestType::Access | RequestType::Portability => Some(SystemAction::Access),
            RequestType::Erasure => Some(SystemAction::Erasure),
            RequestType::Rectification => Some(SystemAction::Rectification),
            RequestType::Restriction => Some(SystemAction::Restriction),
            RequestType::Objection => Some(SystemAction::Objection),
            RequestType::WithdrawConsent
            | RequestType::MarketingOptOut
            | RequestType::SafeguardCopy
            | RequestType::Complaint => None,
        }
    }
}

/// Where a request stands in one connected system.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SystemState {
    /// The step started and has not ended (a crash leaves it so): it is run again.
    Pending,
    /// The step is done.
    Done,
    /// The step failed, with the reason (no personal value, no connection string): it is run
    /// again.
    Failed(String),
    /// The step was not run, with the reason: the request cannot complete until it is dealt
    /// with.
    Skipped(String),
}

impl SystemState {
    /// The stored word.
    pub fn word(&self) -> &'static str {
        match self {
            SystemState::Pending => "pending",
            SystemState::Done => "done",
            SystemState::Failed(_) => "failed",
            SystemState::Skipped(_) => "skipped",
        }
    }

    fn reason(&self) -> Option<String> {
        match self {
            SystemState::Failed(reason) | SystemState::Skipped(reason) => Some(reason.clone()),
            SystemState::Pending | SystemState::Done => None,
        }
    }
}

/// An outcome to record.
#[derive(Debug, Clone, PartialEq)]
pub struct SystemOutcome {
    /// The system: a dataset's name.
    pub system: String,
    /// What the request did there.
    pub action: SystemAction,
    /// How it went.
    pub state: SystemState,
    /// The receipt: tables, fields, row counts, strategies; personal data only in members
    /// `keys` (an erasure's primary keys) and `old_and_new` (a rectification's values), which
    /// stay sealed ([`receipt_without_keys`] is what the audit and views get).
    pub receipt: serde_json::Value,
}

/// A recorded outcome, its receipt opened.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SystemOutcomeView {
    /// The system: a dataset's name.
    pub system: String,
    /// `access`, `erasure`, `rectification`, `restriction` or `objection`.
    pub action: String,
    /// `pending`, `done`, `failed` or `skipped`.
    pub state: String,
    /// Why it failed or was skipped.
    pub reason: Option<String>,
    /// The receipt.
    pub receipt: serde_json::Value,
    /// When it was last written.
    pub updated_at: Timestamp,
}

/// A receipt as the audit chain and request views carry it: every member called `keys` (an
/// erasure's primary keys of the rows it wrote) or `old_and_new` (a rectification's old and
/// new values), personal data kept only sealed, left out at any depth; collections, fields,
/// strategies and row counts stay.
pub fn receipt_without_keys(receipt: &serde_json::Value) -> serde_json::Value {
    match receipt {
        serde_json::Value::Object(members) => serde_json::Value::Object(
            members
                .iter()
                .filter(|(name, _)| !matches!(name.as_str(), "keys" | "old_and_new"))
                .map(|(name, value)| (name.clone(), receipt_without_keys(value)))
                .collect(),
        ),
        serde_json::Value::Array(items) => {
            serde_json::Value::Array(items.iter().map(receipt_without_keys).collect())
        }
        other => other.clone(),
    }
}

/// Associated data of a receipt: bound to its request, system and action.
fn receipt_aad(request: &str, system: &str, action: &str) -> Vec<u8> {
    format!("skydd/request-system-receipt/v1\0{request}\0{system}\0{action}").into_bytes()
}

impl Vault {
    /// Record how request `id` went in one connected system (replacing what was recorded for
    /// the same system and action), its receipt sealed with the request's data key; audited
    /// as `request.system` with the state word.
    pub async fn record_system_outcome(
        &self,
        actor: &Actor,
        id: &str,
        outcome: SystemOutcome,
        now: Timestamp,
    ) -> Result<(), VaultError> {
        let row = self.request_row(actor, id).await?;
        let action = outcome.action.as_str();
        let receipt =
            serde_json::to_vec(&outcome.receipt).map_err(|e| VaultError::Corrupt(e.to_string()))?;
        let key = self.request_key(&row)?;
        let sealed = key.seal(&receipt, &receipt_aad(id, &outcome.system, action))?;
        self.storage
            .put_request_system(RequestSystemRow {
                request_id: id.to_owned(),
                system: outcome.system.clone(),
                action: action.to_owned(),
                state: outcome.state.word().to_owned(),
                reason: outcome.state.reason(),
                receipt_ciphertext: sealed,
                updated_at: now,
            })
            .await?;
        let detail = serde_json::json!({
            "request": id,
            "system": outcome.system,
            "action": action,
            "receipt": receipt_without_keys(&outcome.receipt),
        });
        self.audit_with_detail(
            actor,
            now,
            "request.system",
            None,
            row.subject_id.as_deref(),
            Vec::new(),
            outcome.state.word(),
            Some(detail.to_string()),
        )
        .await
    }

    /// The outcomes of request `id` in the connected systems, receipts opened, by system and
    /// action.
    pub async fn system_outcomes(
        &self,
        actor: &Actor,
        id: &str,
    ) -> Result<Vec<SystemOutcomeView>, VaultError> {
        let row = self.request_row(actor, id).await?;
        let stored = self.storage.request_systems(id).await?;
        if stored.is_empty() {
            return Ok(Vec::new());
        }
        let key = self.request_key(&row)?;
        stored
            .into_iter()
            .map(|s| {
                let plain = key.open(
                    &s.receipt_ciphertext,
                    &receipt_aad(id, &s.system, &s.action),
                )?;
                let receipt = serde_json::from_slice(&plain)
                    .map_err(|_| VaultError::Corrupt("a connected system's receipt".into()))?;
                Ok(SystemOutcomeView {
                    system: s.system,
                    action: s.action,
                    state: s.state,
                    reason: s.reason,
                    receipt,
                    updated_at: s.updated_at,
                })
            })
            .collect()
    }

    /// The register purpose request `id` concerns (an objection's or a consent withdrawal's,
    /// as given at intake), if any: what decides which connected data an objection covers.
    pub async fn request_purpose(
        &self,
        actor: &Actor,
        id: &str,
    ) -> Result<Option<String>, VaultError> {
        let row = self.request_row(actor, id).await?;
        Ok(self.request_details(&row)?.purpose)
    }

    /// Refuse to complete request `row` while one of its connected systems is pending,
    /// failed or skipped for the action its type takes there.
    pub(crate) async fn check_systems_done(&self, row: &RequestRow) -> Result<(), VaultError> {
        let Some(action) = SystemAction::of(stored_type(&row.request_type)?) else {
            return Ok(());
        };
        let open: Vec<String> = self
            .storage
            .request_systems(&row.id)
            .await?
            .into_iter()
            .filter(|s| s.action == action.as_str() && s.state != "done")
            .map(|s| format!("{} ({})", s.system, s.state))
            .collect();
        if open.is_empty() {
            return Ok(());
        }
        Err(VaultError::RequestState {
            what: format!(
                "request {} is not done in every connected system: {}",
                row.id,
                open.join(", ")
            ),
            help: "run the step again for those systems (a failed one is retried), then fulfil"
                .into(),
        })
    }

    /// The request's data key, unwrapped.
    fn request_key(&self, row: &RequestRow) -> Result<skydd_crypto::DataKey, VaultError> {
        Ok(self.keyring.unwrap(&WrappedKey {
            version: row.key_version,
            bytes: row.wrapped_key.clone(),
        })?)
    }
}

#[cfg(test)]
mod tests {
    use super::receipt_without_keys;

    #[test]
    fn the_audited_receipt_has_no_primary_keys_at_any_depth() {
        let receipt = serde_json::json!({
            "system": "shop",
            "collections": [{"collection": "customer", "deleted": 1, "keys": [["7"]],
                "fields": [{"field": "email", "strategy": "delete_row", "rows": 1}]}],
            "keys": "top",
            "old_and_new": [{"field": "email", "old": ["a@example.com"], "new": "b@example.com"}],
        });
        let audited = receipt_without_keys(&receipt);
        assert_eq!(
            audited,
            serde_json::json!({
                "system": "shop",
                "collections": [{"collection": "customer", "deleted": 1,
                    "fields": [{"field": "email", "strategy": "delete_row", "rows": 1}]}],
            })
        );
    }
}
