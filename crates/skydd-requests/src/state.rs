//! The states of a request and the moves between them.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Where a request stands. `extended` is not a state but a flag kept beside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestState {
    /// Registered; nothing sent yet.
    Received,
    /// A one-time code (or document, or customer confirmation) is awaited.
    Verifying,
    /// The requester is who they claim to be; fulfilment may start.
    Verified,
    /// Being fulfilled.
    InProgress,
    /// Done; the answer was sent. Final.
    Completed,
    /// Refused with reasons and the right to complain. Final.
    Rejected,
}

impl RequestState {
    /// Every state, in workflow order.
    pub const ALL: [RequestState; 6] = [
        RequestState::Received,
        RequestState::Verifying,
        RequestState::Verified,
        RequestState::InProgress,
        RequestState::Completed,
        RequestState::Rejected,
    ];

    /// The stable snake_case word.
    pub const fn as_str(self) -> &'static str {
        match self {
            RequestState::Received => "received",
            RequestState::Verifying => "verifying",
            RequestState::Verified => "verified",
            RequestState::InProgress => "in_progress",
            RequestState::Completed => "completed",
            RequestState::Rejected => "rejected",
        }
    }

    /// Whether the request is closed (completed or rejected): nothing moves it any more.
    pub const fn is_closed(self) -> bool {
        matches!(self, RequestState::Completed | RequestState::Rejected)
    }

    /// Whether the request may move from `self` to `to`.
    pub const fn can_move_to(self, to: RequestState) -> bool {
        use RequestState::{Completed, InProgress, Received, Rejected, Verified, Verifying};
        matches!(
            (self, to),
            (Received, Verifying)
                | (Verifying, Verified)
                | (Verified, InProgress)
                | (InProgress, Completed)
                | (InProgress, Rejected)
                | (Received, Rejected)
                | (Verifying, Rejected)
                | (Verified, Rejected)
        )
    }

    /// The state after moving to `to`, or why that move is not allowed.
    pub fn transition(self, to: RequestState) -> Result<RequestState, TransitionError> {
        if self.can_move_to(to) {
            Ok(to)
        } else {
            Err(TransitionError { from: self, to })
        }
    }
}

impl fmt::Display for RequestState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A move the workflow does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{}", transition_message(*from, *to))]
pub struct TransitionError {
    /// The current state.
    pub from: RequestState,
    /// The state asked for.
    pub to: RequestState,
}

fn transition_message(from: RequestState, to: RequestState) -> String {
    if from.is_closed() {
        return format!("the request is already {from} and cannot change any more");
    }
    let allowed: Vec<&str> = RequestState::ALL
        .into_iter()
        .filter(|next| from.can_move_to(*next))
        .map(RequestState::as_str)
        .collect();
    format!(
        "a request that is {from} cannot become {to}; from {from} it can become {}",
        allowed.join(" or ")
    )
}

/// A word that names no request state. The message lists the valid ones.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown request state; use one of received, verifying, verified, in_progress, completed, rejected"
)]
pub struct UnknownRequestState;

impl FromStr for RequestState {
    type Err = UnknownRequestState;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RequestState::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or(UnknownRequestState)
    }
}
