//! API tokens: issue one (store only its hash, hand the secret back once) with its scopes and
//! an optional expiry, revoke one, each change recorded in the audit trail with who made it;
//! and authenticate a presented token (unknown, revoked or expired ones refused), recording its
//! last use at most once a minute.
//!
//! Accepted tokens are kept in memory ([`TokenCache`], issue 19): a presented token is looked
//! up in the database only the first time. A revocation here forgets the token at once
//! ([`revoke`]); one made by another server or a `skydd token revoke` command reaches this
//! server through the change log (migration 13), whose follower ([`crate::change_log`]) forgets
//! the token within its bound. Expiry is checked at `now` on every call.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use jiff::{SignedDuration, Timestamp};
use skydd_crypto::{ApiToken, RandomError, TokenHash, TokenId};
use skydd_staff::permission::Scope;
use skydd_storage::{ApiTokenRecord, Storage, StorageError};
use skydd_vault::{Actor, Audit, AuditEvent};

/// How often a token's last use is written at most: a token used on every request causes one
/// write a minute, not one per request.
pub const LAST_USED_INTERVAL: SignedDuration = SignedDuration::from_secs(60);

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
    /// A token needs at least one scope.
    #[error("a token needs at least one scope; give --role or --scope")]
    NoScope,
    /// The expiry is not after the time of issue.
    #[error("the token would expire before it is issued; give an expiry in the future")]
    ExpiresInThePast,
}

/// What a token about to be issued may do, and until when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewToken {
    /// Its scopes (at least one); duplicates are dropped.
    pub scopes: Vec<Scope>,
    /// When it stops being accepted; `None` for never.
    pub expires_at: Option<Timestamp>,
    /// A label for the operator ("ci", "dpo laptop"); never recorded in the audit trail.
    pub label: String,
}

/// Generate a token as `new` describes and store its hash. The returned token holds the
/// secret: show it to the operator once, and never log it.
pub async fn issue(
    storage: &dyn Storage,
    new: &NewToken,
    now: Timestamp,
) -> Result<ApiToken, IssueError> {
    let new = checked(new, now)?;
    let token = ApiToken::generate()?;
    storage.insert_token(record(&token, &new, now)).await?;
    Ok(token)
}

/// The scopes of `new` without duplicates, after checking it can be issued at `now`.
fn checked(new: &NewToken, now: Timestamp) -> Result<NewToken, IssueError> {
    let mut scopes: Vec<Scope> = Vec::new();
    for scope in &new.scopes {
        if !scopes.contains(scope) {
            scopes.push(*scope);
        }
    }
    if scopes.is_empty() {
        return Err(IssueError::NoScope);
    }
    if new.expires_at.is_some_and(|at| at <= now) {
        return Err(IssueError::ExpiresInThePast);
    }
    Ok(NewToken {
        scopes,
        expires_at: new.expires_at,
        label: new.label.clone(),
    })
}

/// On a first start, issue the admin token (scope `admin`: every permission, no expiry): only
/// when the database has no token at all (safe when several servers start together on one
/// database). Returns the token when it was issued.
pub async fn issue_first_admin(
    storage: &dyn Storage,
    now: Timestamp,
) -> Result<Option<ApiToken>, IssueError> {
    let token = ApiToken::generate()?;
    let new = NewToken {
        scopes: vec![Scope::Admin],
        expires_at: None,
        label: "first admin".into(),
    };
    let stored = storage
        .insert_first_token(record(&token, &new, now))
        .await?;
    Ok(stored.then_some(token))
}

fn record(token: &ApiToken, new: &NewToken, now: Timestamp) -> ApiTokenRecord {
    ApiTokenRecord {
        id: token.id.clone(),
        hash: token.hash(),
        scopes: new.scopes.iter().map(|s| s.as_str().to_owned()).collect(),
        label: new.label.clone(),
        created_at: now,
        revoked_at: None,
        expires_at: new.expires_at,
        last_used_at: None,
    }
}

/// Issue a token as `new` describes ([`issue`]) on behalf of `actor`, and record the change
/// through `audit` with the actor and its IP address (P001-15): the token id, its scopes and
/// expiry. The label is not recorded: people fill it with names.
pub async fn create(
    storage: &dyn Storage,
    audit: &dyn Audit,
    actor: &Actor,
    new: &NewToken,
    now: Timestamp,
) -> Result<ApiToken, IssueError> {
    let token = issue(storage, new, now).await?;
    let scopes = words(&new.scopes);
    tracing::info!(token_id = %token.id, scopes = %scopes, "token created");
    let mut detail = format!("token {} scopes {scopes}", token.id);
    if let Some(at) = new.expires_at {
        detail.push_str(&format!(" expires {at}"));
    }
    account_change(audit, actor, "token.create", detail, now).await?;
    Ok(token)
}

/// The scopes as their words separated by commas (`dpo,records:write`).
pub fn words(scopes: &[Scope]) -> String {
    scopes
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

/// Revoke the active token `id` on behalf of `actor`, recorded through `audit`, and forget it
/// in `cache` (the next request with it is refused here at once). Returns whether there was
/// such a token.
pub async fn revoke(
    storage: &dyn Storage,
    cache: &TokenCache,
    audit: &dyn Audit,
    actor: &Actor,
    id: &TokenId,
    now: Timestamp,
) -> Result<bool, IssueError> {
    let revoked = storage.revoke_token(id, now).await;
    // Forgotten whatever the answer: a failed revocation may still have committed.
    cache.forget(&id.0);
    if !revoked? {
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

/// A token accepted by [`authenticate`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authenticated {
    /// The token's public id.
    pub id: TokenId,
    /// What it may do.
    pub scopes: Vec<Scope>,
}

/// Why a presented token was refused.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// No token has this hash, or it was revoked.
    #[error("the API token is unknown or revoked")]
    Unknown,
    /// The token expired at the given time.
    #[error("the API token expired at {0}")]
    Expired(Timestamp),
    /// The stored token names a scope this Skydd does not know (written by a newer Skydd, or a
    /// damaged row). Refused rather than guessed.
    #[error("API token {0} has a scope this skydd does not know; recreate the token")]
    UnknownScope(TokenId),
    /// The token could not be read.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// The token whose string a client presented, at `now`: refused when unknown, revoked or
/// expired (expiry at `now` counts as expired). The token's row comes from `cache` when kept
/// there, else from `storage` (then kept). Its last use is written when the recorded one is
/// [`LAST_USED_INTERVAL`] old or older, so at most once a minute per token; a failure to write
/// it is logged and does not refuse the request.
pub async fn authenticate(
    storage: &dyn Storage,
    cache: &TokenCache,
    presented: &str,
    now: Timestamp,
) -> Result<Authenticated, AuthError> {
    let hash = TokenHash::of(presented);
    let record = match cache.get(&hash) {
        Ok(record) => record,
        Err(ticket) => {
            let record = storage
                .find_active_token(&hash)
                .await?
                .ok_or(AuthError::Unknown)?;
            cache.insert(ticket, record.clone());
            record
        }
    };
    if let Some(at) = record.expires_at
        && at <= now
    {
        return Err(AuthError::Expired(at));
    }
    let scopes = record
        .scopes
        .iter()
        .map(|word| word.parse::<Scope>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| AuthError::UnknownScope(record.id.clone()))?;
    let not_after = now - LAST_USED_INTERVAL;
    if record.last_used_at.is_none_or(|at| at <= not_after) {
        match storage.touch_token(&record.id, now, not_after).await {
            // Written now, or by another server within the interval: either way, not again
            // from here for a minute.
            Ok(_) => cache.used(&hash, now),
            Err(error) => {
                tracing::warn!(token_id = %record.id, %error, "cannot record the token's last use");
            }
        }
    }
    Ok(Authenticated {
        id: record.id,
        scopes,
    })
}

/// How many tokens a [`TokenCache`] keeps before it starts over (a bound against a flood of
/// distinct valid tokens; real instances have a handful).
const CACHED_TOKENS: usize = 10_000;

/// The API tokens accepted recently, by hash: their rows as stored (scopes, expiry, last use).
/// Revoked and unknown tokens are never kept. Forgetting a token (by id) or everything moves a
/// generation, and a row read from the database before that is not kept (see
/// [`authenticate`]), so a revocation is never undone by a look-up that raced it.
#[derive(Debug, Default)]
pub struct TokenCache {
    inner: Mutex<Tokens>,
}

#[derive(Debug, Default)]
struct Tokens {
    by_hash: HashMap<String, ApiTokenRecord>,
    generation: u64,
}

/// The generation a miss saw, for [`TokenCache::insert`].
#[derive(Debug, Clone, Copy)]
struct Ticket(u64);

impl TokenCache {
    fn lock(&self) -> MutexGuard<'_, Tokens> {
        // Every change is one step, so a poisoned lock is still good to use.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn get(&self, hash: &TokenHash) -> Result<ApiTokenRecord, Ticket> {
        let tokens = self.lock();
        tokens
            .by_hash
            .get(&hash.0)
            .cloned()
            .ok_or(Ticket(tokens.generation))
    }

    fn insert(&self, ticket: Ticket, record: ApiTokenRecord) {
        let mut tokens = self.lock();
        if tokens.generation != ticket.0 {
            return;
        }
        if tokens.by_hash.len() >= CACHED_TOKENS {
            tokens.by_hash.clear();
        }
        tokens.by_hash.insert(record.hash.0.clone(), record);
    }

    fn used(&self, hash: &TokenHash, at: Timestamp) {
        if let Some(record) = self.lock().by_hash.get_mut(&hash.0) {
            record.last_used_at = Some(at);
        }
    }

    /// Forget the token with the id `id`: the next request with it reads its row again.
    pub fn forget(&self, id: &str) {
        let mut tokens = self.lock();
        tokens.generation += 1;
        tokens.by_hash.retain(|_, record| record.id.0 != id);
    }

    /// Forget every token.
    pub fn clear(&self) {
        let mut tokens = self.lock();
        tokens.generation += 1;
        tokens.by_hash.clear();
    }

    /// How many tokens are kept now.
    pub fn len(&self) -> usize {
        self.lock().by_hash.len()
    }

    /// Whether no token is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
