//! `GET /v1/audit`: the audit trail for admins and auditors, filtered by subject and time,
//! paginated with a limit and a cursor. Entries carry ids and register names only.
//!
//! Reading the trail is itself recorded (`audit.read`), so the trail shows who looked at it.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use skydd_storage::AuditFilter;
use skydd_vault::AuditEvent;
use skydd_vault::audit_trail::AuditEntryView;
use utoipa::{IntoParams, ToSchema};

use crate::auth::{Authorized, need};
use crate::extract::{ApiQuery, ApiTime};
use crate::problem::{ApiError, Problem};
use crate::state::AppState;

/// Entries per page when `limit` is not given.
const DEFAULT_LIMIT: usize = 100;
/// The most entries one page may hold.
const MAX_LIMIT: usize = 1000;

/// The query of `GET /v1/audit`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Only entries about this subject id.
    pub subject: Option<String>,
    /// Only entries at or after this time (RFC 3339).
    #[param(value_type = Option<String>, format = DateTime)]
    pub from: Option<ApiTime>,
    /// Only entries before this time (RFC 3339).
    #[param(value_type = Option<String>, format = DateTime)]
    pub to: Option<ApiTime>,
    /// Entries per page, 1 to 1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<usize>,
    /// The `next` cursor of the previous page.
    #[param(pattern = "^[0-9]{1,18}$")]
    pub cursor: Option<String>,
}

/// One audit entry.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntryResponse {
    /// Position in the trail.
    pub seq: i64,
    /// When the action happened: an RFC 3339 instant in UTC.
    #[schema(value_type = String, format = DateTime)]
    pub at: jiff::Timestamp,
    /// Who: an API token id, `cli:<user>`, `system:retention`.
    pub actor: String,
    /// From which IP address.
    pub ip: Option<String>,
    /// What was done: `subject.create`, `records.read`, `retention.delete` ...
    pub action: String,
    /// Under which purpose.
    pub purpose: Option<String>,
    /// About which subject (a pseudonymous id).
    pub subject_id: Option<String>,
    /// Which data categories.
    pub categories: Vec<String>,
    /// What came of it, as a word: `done`, `allowed`, `denied:<code>`, `granted` ...
    pub outcome: String,
    /// More about it, never a personal value (retention: rule, count, subject ids as JSON).
    pub detail: Option<String>,
    /// The entry's hash in the chain (hex); `null` for entries older than the chain.
    pub hash: Option<String>,
}

impl From<AuditEntryView> for AuditEntryResponse {
    fn from(view: AuditEntryView) -> Self {
        AuditEntryResponse {
            seq: view.seq,
            at: view.at,
            actor: view.actor,
            ip: view.ip,
            action: view.action,
            purpose: view.purpose,
            subject_id: view.subject_id,
            categories: view.categories,
            outcome: view.outcome,
            detail: view.detail,
            hash: view.hash,
        }
    }
}

/// A page of the audit trail.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPage {
    /// The entries, oldest first.
    pub entries: Vec<AuditEntryResponse>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    pub next: Option<String>,
}

/// The audit trail, oldest first.
#[utoipa::path(
    get,
    path = "/v1/audit",
    tag = "audit",
    security(("bearer" = [])),
    params(AuditQuery),
    responses(
        (status = 200, description = "A page of entries.", body = AuditPage),
        (status = 400, description = "A bad limit, cursor or time.", body = Problem,
            content_type = "application/problem+json"),
        (status = 401, description = "No valid API token.", body = Problem,
            content_type = "application/problem+json"),
        (status = 403, description = "The token's role may not read the audit trail.",
            body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list_audit(
    State(state): State<AppState>,
    Authorized(caller, _): Authorized<need::AuditRead>,
    ApiQuery(query): ApiQuery<AuditQuery>,
) -> Result<Json<AuditPage>, ApiError> {
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::InvalidQuery(format!(
            "`limit` is out of range: ask for 1 to {MAX_LIMIT} entries per page."
        )));
    }
    let after = match query.cursor.as_deref() {
        None => 0,
        Some(cursor) => cursor
            .parse::<i64>()
            .ok()
            .filter(|seq| *seq >= 0)
            .ok_or_else(|| {
                ApiError::InvalidQuery(
                    "`cursor` is not a cursor this API gave out: pass the `next` value of the \
                     previous page, or leave `cursor` out."
                        .to_owned(),
                )
            })?,
    };
    let filter = AuditFilter {
        subject_id: query.subject,
        from: query.from.map(|ApiTime(at)| at),
        to: query.to.map(|ApiTime(at)| at),
        ..AuditFilter::default()
    };
    // One more than asked tells whether another page follows.
    let mut entries = state
        .storage
        .audit_entries(&filter, after, limit + 1)
        .await?;
    let next = if entries.len() > limit {
        entries.truncate(limit);
        entries.last().map(|e| e.event.seq.to_string())
    } else {
        None
    };
    record_read(
        &state,
        &caller.actor,
        filter.subject_id.clone(),
        entries.len(),
    )
    .await?;
    Ok(Json(AuditPage {
        entries: entries
            .into_iter()
            .map(|entry| AuditEntryView::from(entry).into())
            .collect(),
        next,
    }))
}

/// Record that `actor` read `entries` entries of the trail (about `subject_id`, when the
/// reader asked for one subject): `audit.read`, so the trail shows who looked at it. The API
/// and the console's audit page both record their reads here, the same way.
pub(crate) async fn record_read(
    state: &AppState,
    actor: &skydd_vault::Actor,
    subject_id: Option<String>,
    entries: usize,
) -> Result<(), ApiError> {
    // Through the audit sink every other event goes through (group commit under `skydd serve`).
    state
        .audit()
        .record(AuditEvent {
            at: state.clock.now(),
            actor: actor.id.clone(),
            ip: actor.ip.clone(),
            action: "audit.read",
            purpose: None,
            subject_id,
            categories: Vec::new(),
            outcome: "done".into(),
            detail: Some(format!("{entries} entries")),
        })
        .await?;
    Ok(())
}
