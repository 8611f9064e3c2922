//! Issuing API tokens: generate one, store only its hash, hand the secret back once.

use jiff::Timestamp;
use skydd_crypto::{ApiToken, RandomError, Role};
use skydd_storage::{ApiTokenRecord, Storage, StorageError};

/// Why a token could not be issued.
#[derive(Debug, thiserror::Error)]
pub enum IssueError {
    /// The operating system's random number generator failed.
    #[error("cannot generate a token: {0}")]
    Random(#[from] RandomError),
    /// The token could not be stored.
    #[error(transparent)]
    Storage(#[from] StorageError),
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
