//! The states of a request and the moves between them.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::RequestType;

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

    /// The state a new request starts in. A request the controller (a tenant, in processor mode)
    /// must answer waits `received` for that tenant; one that needs an identity check waits
    /// `verifying` for the code; withdrawing consent and opting out need none and start
    /// `verified`. An unknown identity is given the same state as a known one, so the answer
    /// does not tell whether someone is a customer.
    pub const fn on_intake(request_type: RequestType, routed_to_controller: bool) -> RequestState {
        if routed_to_controller {
            RequestState::Received
        } else if request_type.needs_verification() {
            RequestState::Verifying
        } else {
            RequestState::Verified
        }
    }

    /// Whether the requester's identity check has passed and was not undone by a rejection:
    /// verified, in progress or completed. Only then may data be disclosed to the requester.
    pub const fn identity_checked(self) -> bool {
        matches!(
            self,
            RequestState::Verified | RequestState::InProgress | RequestState::Completed
        )
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

    /// The state fulfilment moves the request to: `in_progress`, from `verified`. A request the
    /// controller (a tenant) answers may also start from `received`: the tenant checks its own
    /// user's identity, which Skydd cannot. Any other start is refused with the move asked for.
    pub fn start_fulfilment(
        self,
        answered_by_controller: bool,
    ) -> Result<RequestState, TransitionError> {
        match self {
            RequestState::Received if answered_by_controller => Ok(RequestState::InProgress),
            _ => self.transition(RequestState::InProgress),
        }
    }
}

impl fmt::Display for RequestState {
    /// The snake_case word, padded to a width when one is asked for (`{:<11}`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// What a request's history records of a change: the move made, or the letter sent on the way.
/// The words are what `GET /v1/requests/{id}` shows as each event's `action`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RequestAction {
    /// Registered from the requester's submission.
    Received,
    /// Registered, and left to the controller it is for (a tenant, in processor mode).
    RoutedToController,
    /// The requester's identity was confirmed.
    Verified,
    /// The deadline was extended (Art. 12(3)), with the reason sent to the requester.
    Extended,
    /// Fulfilment began.
    Started,
    /// The requester was told that a restriction is about to be lifted (Art. 18(3)).
    LiftingNotified,
    /// Fulfilled; the answer was sent.
    Completed,
    /// Refused, with the reasons and the right to complain.
    Rejected,
    /// Given to a staff member (or a token) to work; the state does not change.
    Assigned,
    /// Taken back from whoever worked it; the state does not change.
    Unassigned,
}

impl RequestAction {
    /// Every action, in workflow order.
    pub const ALL: [RequestAction; 10] = [
        RequestAction::Received,
        RequestAction::RoutedToController,
        RequestAction::Verified,
        RequestAction::Extended,
        RequestAction::Started,
        RequestAction::LiftingNotified,
        RequestAction::Completed,
        RequestAction::Rejected,
        RequestAction::Assigned,
        RequestAction::Unassigned,
    ];

    /// The stable snake_case word kept in the history.
    pub const fn as_str(self) -> &'static str {
        match self {
            RequestAction::Received => "received",
            RequestAction::RoutedToController => "routed_to_controller",
            RequestAction::Verified => "verified",
            RequestAction::Extended => "extended",
            RequestAction::Started => "started",
            RequestAction::LiftingNotified => "lifting_notified",
            RequestAction::Completed => "completed",
            RequestAction::Rejected => "rejected",
            RequestAction::Assigned => "assigned",
            RequestAction::Unassigned => "unassigned",
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_request_action_has_its_own_snake_case_word() {
        let words: std::collections::BTreeSet<&str> =
            RequestAction::ALL.iter().map(|a| a.as_str()).collect();
        assert_eq!(words.len(), RequestAction::ALL.len());
        for word in words {
            assert!(
                word.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                "{word}"
            );
        }
    }

    #[test]
    fn intake_waits_for_the_tenant_the_code_or_nothing() {
        assert_eq!(
            RequestState::on_intake(RequestType::Erasure, true),
            RequestState::Received
        );
        assert_eq!(
            RequestState::on_intake(RequestType::Access, false),
            RequestState::Verifying
        );
        assert_eq!(
            RequestState::on_intake(RequestType::MarketingOptOut, false),
            RequestState::Verified
        );
    }

    #[test]
    fn fulfilment_starts_from_verified_or_from_a_tenants_received_request() {
        assert_eq!(
            RequestState::Verified.start_fulfilment(false),
            Ok(RequestState::InProgress)
        );
        assert_eq!(
            RequestState::Received.start_fulfilment(true),
            Ok(RequestState::InProgress)
        );
        for (from, routed) in [
            (RequestState::Received, false),
            (RequestState::Verifying, false),
            (RequestState::Verifying, true),
            (RequestState::InProgress, false),
            (RequestState::Completed, true),
            (RequestState::Rejected, false),
        ] {
            assert_eq!(
                from.start_fulfilment(routed),
                Err(TransitionError {
                    from,
                    to: RequestState::InProgress
                })
            );
        }
    }

    #[test]
    fn a_closed_request_never_moves() {
        for from in [RequestState::Completed, RequestState::Rejected] {
            for to in RequestState::ALL {
                assert!(from.transition(to).is_err(), "{from} -> {to}");
            }
        }
    }

    #[test]
    fn the_word_pads_to_a_column() {
        assert_eq!(format!("[{:<11}]", RequestState::Verified), "[verified   ]");
    }
}
