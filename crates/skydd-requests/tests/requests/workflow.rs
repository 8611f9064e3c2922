//! Request types and states: words, parsing, the allowed moves.

use std::str::FromStr;

use skydd_requests::{RequestState, RequestType};

#[test]
fn request_types_round_trip_through_their_words() {
    let words: Vec<&str> = RequestType::ALL.iter().map(|t| t.as_str()).collect();
    assert_eq!(
        words,
        [
            "access",
            "portability",
            "rectification",
            "erasure",
            "restriction",
            "objection",
            "withdraw_consent",
            "marketing_opt_out",
            "safeguard_copy",
            "complaint"
        ]
    );
    for t in RequestType::ALL {
        assert_eq!(RequestType::from_str(t.as_str()), Ok(t));
        assert_eq!(t.to_string(), t.as_str());
        let json = serde_json::to_string(&t).unwrap();
        assert_eq!(json, format!("\"{}\"", t.as_str()));
        assert_eq!(serde_json::from_str::<RequestType>(&json).unwrap(), t);
    }
}

#[test]
fn an_unknown_type_is_refused_with_the_list_and_without_the_input() {
    for input in ["Access", "delete", "", "anna@example.se"] {
        let error = RequestType::from_str(input).unwrap_err();
        let message = error.to_string();
        assert_eq!(
            message,
            "unknown request type; use one of access, portability, rectification, erasure, restriction, objection, withdraw_consent, marketing_opt_out, safeguard_copy, complaint"
        );
        if !input.is_empty() {
            assert!(!message.contains(input));
        }
    }
}

#[test]
fn what_each_type_needs() {
    use RequestType::*;
    for t in RequestType::ALL {
        let verified = !matches!(
            t,
            WithdrawConsent | MarketingOptOut | SafeguardCopy | Complaint
        );
        assert_eq!(t.needs_verification(), verified, "{t}");
        // P000-72: complaints are the privacy officer's alone.
        assert_eq!(t.is_confidential(), t == Complaint, "{t}");
        assert_eq!(t.concerns_own_data(), t != SafeguardCopy, "{t}");
        assert_eq!(t.discloses_data(), matches!(t, Access | Portability), "{t}");
        assert_eq!(
            t.notifies_recipients(),
            matches!(t, Rectification | Erasure | Restriction),
            "{t}"
        );
        assert!(t.article().starts_with("Art. "));
    }
    // Whatever discloses data is verified first.
    assert!(
        RequestType::ALL
            .iter()
            .all(|t| !t.discloses_data() || t.needs_verification())
    );
}

#[test]
fn the_workflow_allows_exactly_these_moves() {
    use RequestState::*;
    let allowed = [
        (Received, Verifying),
        (Verifying, Verified),
        (Verified, InProgress),
        (InProgress, Completed),
        (InProgress, Rejected),
        (Received, Rejected),
        (Verifying, Rejected),
        (Verified, Rejected),
    ];
    for from in RequestState::ALL {
        for to in RequestState::ALL {
            let expected = allowed.contains(&(from, to));
            assert_eq!(from.can_move_to(to), expected, "{from} -> {to}");
            match from.transition(to) {
                Ok(state) => {
                    assert!(expected, "{from} -> {to} must be refused");
                    assert_eq!(state, to);
                }
                Err(error) => {
                    assert!(!expected, "{from} -> {to} must be allowed");
                    assert_eq!((error.from, error.to), (from, to));
                }
            }
        }
    }
    assert!(Completed.is_closed() && Rejected.is_closed());
    assert!(
        [Received, Verifying, Verified, InProgress]
            .iter()
            .all(|s| !s.is_closed())
    );
}

#[test]
fn refused_moves_say_what_is_possible() {
    use RequestState::*;
    assert_eq!(
        Received.transition(Completed).unwrap_err().to_string(),
        "a request that is received cannot become completed; from received it can become verifying or rejected"
    );
    assert_eq!(
        Verified.transition(Verifying).unwrap_err().to_string(),
        "a request that is verified cannot become verifying; from verified it can become in_progress or rejected"
    );
    assert_eq!(
        Completed.transition(InProgress).unwrap_err().to_string(),
        "the request is already completed and cannot change any more"
    );
    assert_eq!(
        Rejected.transition(Rejected).unwrap_err().to_string(),
        "the request is already rejected and cannot change any more"
    );
}

#[test]
fn states_round_trip_through_their_words() {
    for s in RequestState::ALL {
        assert_eq!(RequestState::from_str(s.as_str()), Ok(s));
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(json, format!("\"{}\"", s.as_str()));
    }
    assert_eq!(
        RequestState::from_str("open").unwrap_err().to_string(),
        "unknown request state; use one of received, verifying, verified, in_progress, completed, rejected"
    );
}
