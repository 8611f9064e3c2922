//! API tokens: issue one (store only its hash, hand the secret back once) and revoke one, each
//! change recorded in the audit trail with who made it.

use jiff::Timestamp;
use skydd_crypto::{ApiToken, RandomError, Role, TokenId};
use skydd_storage::{ApiTokenRecord, Storage, StorageError};
use skydd_vault::{Actor, Audit, AuditEvent};

/// Why a token could not be issued.
#[derive(Debug, thiserror::Error)]
pub enum IssueError {
    /// The operating system's random number generator failed.
    #[error("cannot generate a token: {0}")]
    Random(#[from] RandomError),
    /// The token could not be stored.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The change was made but could not be recorded in the audit trail.
    #[error("the change was made but could not be recorded in the audit trail")]
    Audit(#[source] StorageError),
}

/// Generate a token with `role` and `label` and store its hash. The returned token holds the
/// secret: show it to the operator once, and never log it.
pub async fn issue(
    storage: &dyn Storage,
    role: Role,
    label: &str,
    now: Timestamp,
) -> Result<ApiToken, IssueError> {
    let token = ApiToken::generate(role)?;
    storage.insert_token(record(&token, label, now)).await?;
    Ok(token)
}

/// On a first start, issue the admin token: only when the database has no token at all (safe
/// when several servers start together on one database). Returns the token when it was issued.
pub async fn issue_first_admin(
    storage: &dyn Storage,
    now: Timestamp,
) -> Result<Option<ApiToken>, IssueError> {
    let token = ApiToken::generate(Role::Admin)?;
    let stored = storage
        .insert_first_token(record(&token, "first admin", now))
        .await?;
    Ok(stored.then_some(token))
}

fn record(token: &ApiToken, label: &str, now: Timestamp) -> ApiTokenRecord {
    ApiTokenRecord {
        id: token.id.clone(),
        hash: token.hash(),
        role: token.role,
        label: label.to_owned(),
        created_at: now,
        revoked_at: None,
    }
}

/// Issue a token with `role` and `label` ([`issue`]) on behalf of `actor`, and record the
/// change through `audit` with the actor and its IP address (P001-15). The label is not
/// recorded: people fill it with names.
pub async fn create(
    storage: &dyn Storage,
    audit: &dyn Audit,
    actor: &Actor,
    role: Role,
    label: &str,
    now: Timestamp,
) -> Result<ApiToken, IssueError> {
    let token = issue(storage, role, label, now).await?;
    tracing::info!(token_id = %token.id, role = %role, "token created");
    let detail = format!("token {} role {role}", token.id);
    account_change(audit, actor, "token.create", detail, now).await?;
    Ok(token)
}

/// Revoke the active token `id` on behalf of `actor`, recorded through `audit`. Returns
/// whether there was such a token.
pub async fn revoke(
    storage: &dyn Storage,
    audit: &dyn Audit,
    actor: &Actor,
    id: &TokenId,
    now: Timestamp,
) -> Result<bool, IssueError> {
    if !storage.revoke_token(id, now).await? {
        return Ok(false);
    }
    tracing::info!(token_id = %id, "token revoked");
    account_change(audit, actor, "token.revoke", format!("token {id}"), now).await?;
    Ok(true)
}

/// Record an account change by `actor` through the audit sink.
async fn account_change(
    audit: &dyn Audit,
    actor: &Actor,
    action: &'static str,
    detail: String,
    now: Timestamp,
) -> Result<(), IssueError> {
    audit
        .record(AuditEvent {
            at: now,
            actor: actor.id.clone(),
            ip: actor.ip.clone(),
            action,
            purpose: None,
            subject_id: None,
            categories: Vec::new(),
            outcome: "done".into(),
            detail: Some(detail),
        })
        .await
        .map_err(IssueError::Audit)
}
