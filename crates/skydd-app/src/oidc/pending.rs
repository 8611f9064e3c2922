//! Sign-ins under way: what the callback must match (state, nonce, PKCE verifier), kept in
//! this process's memory, single use, for ten minutes, at most [`MAX_PENDING`] at a time.
//!
//! Memory, not the database: a pending sign-in is worth nothing after a restart (the person
//! clicks again), holds secrets that should never reach a disk, and lives minutes. The bound
//! keeps a flood of `/console/sign-in/sso` requests from growing memory; when full, the oldest
//! is dropped. One server process answers both halves of a sign-in (several replicas behind a
//! load balancer would need sticky sessions).

use std::collections::{HashMap, VecDeque};
use std::fmt;

use jiff::{SignedDuration, Timestamp};
use zeroize::Zeroize;

/// How long a sign-in may take at the provider.
pub const LIFETIME: SignedDuration = SignedDuration::from_secs(10 * 60);
/// The most sign-ins under way at once.
pub const MAX_PENDING: usize = 4096;

/// One sign-in under way. `Debug` shows no secret.
pub(crate) struct Pending {
    /// The `nonce` sent; the ID token must carry it.
    pub(crate) nonce: String,
    /// The PKCE `code_verifier`, sent with the code.
    pub(crate) verifier: String,
    /// When the sign-in began.
    pub(crate) started: Timestamp,
}

impl Drop for Pending {
    fn drop(&mut self) {
        self.nonce.zeroize();
        self.verifier.zeroize();
    }
}

impl fmt::Debug for Pending {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pending")
            .field("started", &self.started)
            .finish_non_exhaustive()
    }
}

/// The sign-ins under way, by `state`.
#[derive(Debug, Default)]
pub(crate) struct PendingLogins {
    by_state: HashMap<String, Pending>,
    /// States in the order they began, to drop the oldest first.
    order: VecDeque<String>,
}

impl PendingLogins {
    /// Remember `pending` under `state`, dropping expired sign-ins, and the oldest when full.
    pub(crate) fn insert(&mut self, state: String, pending: Pending, now: Timestamp) {
        self.drop_expired(now);
        while self.by_state.len() >= MAX_PENDING {
            match self.order.pop_front() {
                Some(oldest) => {
                    self.by_state.remove(&oldest);
                }
                None => break,
            }
        }
        self.order.push_back(state.clone());
        self.by_state.insert(state, pending);
    }

    /// Take the sign-in `state` names: it is gone afterwards, whatever the callback's outcome.
    /// `None` when unknown, already taken or expired.
    pub(crate) fn take(&mut self, state: &str, now: Timestamp) -> Option<Pending> {
        let pending = self.by_state.remove(state)?;
        self.order.retain(|s| s != state);
        (pending.started + LIFETIME > now).then_some(pending)
    }

    /// How many sign-ins are under way.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.by_state.len()
    }

    fn drop_expired(&mut self, now: Timestamp) {
        while let Some(oldest) = self.order.front() {
            let expired = self
                .by_state
                .get(oldest)
                .is_none_or(|p| p.started + LIFETIME <= now);
            if !expired {
                break;
            }
            if let Some(state) = self.order.pop_front() {
                self.by_state.remove(&state);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pending(at: Timestamp) -> Pending {
        Pending {
            nonce: "n".to_owned(),
            verifier: "v".to_owned(),
            started: at,
        }
    }

    #[test]
    fn a_sign_in_is_taken_once_and_only_while_fresh() {
        let t0 = Timestamp::from_second(1_800_000_000).unwrap();
        let mut logins = PendingLogins::default();
        logins.insert("a".into(), pending(t0), t0);
        logins.insert("b".into(), pending(t0), t0);
        assert!(
            logins
                .take("a", t0 + SignedDuration::from_secs(599))
                .is_some()
        );
        assert!(logins.take("a", t0).is_none(), "single use");
        assert!(logins.take("b", t0 + LIFETIME).is_none(), "expired");
        assert_eq!(logins.len(), 0);
        assert!(!format!("{:?}", pending(t0)).contains("verifier: \"v\""));
    }

    #[test]
    fn the_store_is_bounded_and_drops_the_oldest() {
        let t0 = Timestamp::from_second(1_800_000_000).unwrap();
        let mut logins = PendingLogins::default();
        for i in 0..MAX_PENDING + 10 {
            logins.insert(format!("s{i}"), pending(t0), t0);
        }
        assert_eq!(logins.len(), MAX_PENDING);
        assert!(logins.take("s0", t0).is_none());
        assert!(logins.take(&format!("s{}", MAX_PENDING + 9), t0).is_some());
        // Expired ones go at the next sign-in.
        logins.insert("late".into(), pending(t0 + LIFETIME), t0 + LIFETIME);
        assert_eq!(logins.len(), 1);
    }
}
