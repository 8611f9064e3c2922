//! The typed states of the service API and the one place they meet storage's words.
//!
//! Storage keeps states and types as text (`RequestRow::state` and friends). The vault reads
//! them into `skydd-requests`' types when a row is loaded ([`stored_state`], [`stored_type`])
//! and writes a state only through [`with_state`], with a state the domain's state machine
//! produced. Words from a client (`?state=open`) are parsed at the edge with
//! [`StateFilter::parse`] and [`parse_request_type`].

use std::fmt;
use std::str::FromStr;

use jiff::Timestamp;
use skydd_requests::{RecipientAction, RequestState, RequestType};
use skydd_storage::RequestRow;

use crate::VaultError;

/// Which requests a listing shows by state: every open one (not completed or rejected), or
/// those in exactly one state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateFilter {
    /// Every request not yet completed or rejected.
    Open,
    /// Only requests in this state.
    Is(RequestState),
}

impl StateFilter {
    /// `open` or a state's word, as a client sends it. Anything else is
    /// [`VaultError::Invalid`] listing the states; the input is never repeated.
    pub fn parse(text: &str) -> Result<StateFilter, VaultError> {
        if text == "open" {
            return Ok(StateFilter::Open);
        }
        text.parse()
            .map(StateFilter::Is)
            .map_err(|e: skydd_requests::UnknownRequestState| {
                VaultError::invalid(
                    format!("state: {e}"),
                    "use one of the states listed, or open",
                )
            })
    }
}

impl FromStr for StateFilter {
    type Err = VaultError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        StateFilter::parse(s)
    }
}

/// A request type as a client names it (`access`, `erasure`, ...). Anything else is
/// [`VaultError::Invalid`] listing the types; the input is never repeated.
pub fn parse_request_type(text: &str) -> Result<RequestType, VaultError> {
    text.parse()
        .map_err(|e: skydd_requests::UnknownRequestType| {
            VaultError::invalid(
                format!("`type`: {e}"),
                "send one of the request types listed",
            )
        })
}

/// Where a letter in the outbox stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutboxState {
    /// Waiting for its (next) delivery attempt.
    Queued,
    /// Handed to the mail server.
    Sent,
    /// Given up after the last attempt or a permanent error; it stays listed so someone sends
    /// it by hand.
    Failed,
}

impl OutboxState {
    /// Every state, in the order a message moves through them.
    pub const ALL: [OutboxState; 3] = [OutboxState::Queued, OutboxState::Sent, OutboxState::Failed];

    /// The word storage keeps and the operator sees.
    pub const fn as_str(self) -> &'static str {
        match self {
            OutboxState::Queued => "queued",
            OutboxState::Sent => "sent",
            OutboxState::Failed => "failed",
        }
    }

    /// `queued`, `sent` or `failed`, as an operator types it; anything else is
    /// [`VaultError::Invalid`].
    pub fn parse(text: &str) -> Result<OutboxState, VaultError> {
        OutboxState::ALL
            .into_iter()
            .find(|s| s.as_str() == text)
            .ok_or_else(|| {
                VaultError::invalid("unknown outbox state", "use queued, sent or failed")
            })
    }
}

impl fmt::Display for OutboxState {
    /// The word, padded to a width when one is asked for.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// Where a notification owed to a recipient (Art. 19) stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeState {
    /// The register gives the recipient no `notify` address: the DPO sends it by hand.
    Manual,
    /// In the outbox, waiting for delivery.
    Queued,
    /// Delivered to the mail server.
    Sent,
    /// The outbox gave up: the DPO sends it by hand.
    Failed,
}

impl NoticeState {
    /// Every state.
    pub const ALL: [NoticeState; 4] = [
        NoticeState::Manual,
        NoticeState::Queued,
        NoticeState::Sent,
        NoticeState::Failed,
    ];

    /// The word storage keeps and the API shows.
    pub const fn as_str(self) -> &'static str {
        match self {
            NoticeState::Manual => "manual",
            NoticeState::Queued => "queued",
            NoticeState::Sent => "sent",
            NoticeState::Failed => "failed",
        }
    }
}

impl fmt::Display for NoticeState {
    /// The word, padded to a width when one is asked for.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// A request state read back from storage; a word no version wrote is damage.
pub(crate) fn stored_state(state: &str) -> Result<RequestState, VaultError> {
    state
        .parse()
        .map_err(|_| VaultError::Corrupt("a request state".into()))
}

/// A request type read back from storage.
pub(crate) fn stored_type(request_type: &str) -> Result<RequestType, VaultError> {
    request_type
        .parse()
        .map_err(|_| VaultError::Corrupt("a request type".into()))
}

/// A recipient notification's action read back from storage.
pub(crate) fn stored_action(action: &str) -> Result<RecipientAction, VaultError> {
    action
        .parse()
        .map_err(|_| VaultError::Corrupt("a recipient notification's action".into()))
}

/// A recipient notification's state read back from storage.
pub(crate) fn stored_notice_state(state: &str) -> Result<NoticeState, VaultError> {
    NoticeState::ALL
        .into_iter()
        .find(|s| s.as_str() == state)
        .ok_or_else(|| VaultError::Corrupt("a recipient notification's state".into()))
}

/// An outbox message's state read back from storage.
pub(crate) fn stored_outbox_state(state: &str) -> Result<OutboxState, VaultError> {
    OutboxState::ALL
        .into_iter()
        .find(|s| s.as_str() == state)
        .ok_or_else(|| VaultError::Corrupt("an outbox message's state".into()))
}

/// The row to store once a request has moved to `state`. The state must come from the
/// domain's state machine ([`RequestState::transition`] and its named moves); this is the only
/// place a request's stored state is written after intake.
pub(crate) fn with_state(row: &RequestRow, state: RequestState, now: Timestamp) -> RequestRow {
    RequestRow {
        state: state.as_str().to_string(),
        updated_at: now,
        ..row.clone()
    }
}
