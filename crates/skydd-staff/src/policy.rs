//! The rules of staff sign-in: what a password must be, when failed sign-ins lock an account
//! and for how long, and how long a console session lives. Pure functions of their inputs and
//! `now`.

use jiff::{SignedDuration, Timestamp};

use crate::account::{SessionStage, StaffEmail};

/// What a staff password must be. Length is what makes a password strong; there are no
/// composition rules (NIST SP 800-63B), only a floor, a ceiling that bounds the work of
/// hashing, and refusals of the obvious.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordPolicy {
    /// The fewest characters (12).
    pub min_chars: usize,
    /// The most characters (1024).
    pub max_chars: usize,
}

impl Default for PasswordPolicy {
    fn default() -> PasswordPolicy {
        PasswordPolicy {
            min_chars: 12,
            max_chars: 1024,
        }
    }
}

/// Why a password is refused, and how to choose a better one. Never quotes the password.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordProblem {
    /// Fewer characters than the policy's minimum.
    #[error(
        "the password is too short: use at least {min} characters (a few unrelated words make a strong one)"
    )]
    TooShort {
        /// The minimum.
        min: usize,
    },
    /// More characters than the policy's maximum.
    #[error("the password is too long: use at most {max} characters")]
    TooLong {
        /// The maximum.
        max: usize,
    },
    /// One character repeated, or white space only.
    #[error("the password repeats one character: choose one with different characters")]
    OneCharacter,
    /// It contains the account's e-mail address or its name part.
    #[error("the password contains the account's e-mail address: choose one that does not")]
    ContainsEmail,
}

impl PasswordPolicy {
    /// Whether `password` may be the password of the account signing in as `email`.
    pub fn check(&self, password: &str, email: &StaffEmail) -> Result<(), PasswordProblem> {
        let chars = password.chars().count();
        if chars < self.min_chars {
            return Err(PasswordProblem::TooShort {
                min: self.min_chars,
            });
        }
        if chars > self.max_chars {
            return Err(PasswordProblem::TooLong {
                max: self.max_chars,
            });
        }
        let mut distinct = password.chars().filter(|c| !c.is_whitespace());
        let first = distinct.next();
        if first.is_none_or(|first| distinct.all(|c| c == first)) {
            return Err(PasswordProblem::OneCharacter);
        }
        let lowered = password.to_lowercase();
        let address = email.expose();
        let local = address.split('@').next().unwrap_or(address);
        if lowered.contains(address) || (local.chars().count() >= 4 && lowered.contains(local)) {
            return Err(PasswordProblem::ContainsEmail);
        }
        Ok(())
    }
}

/// Lock-out with back-off: after `free_failures` failed sign-ins in a row an account is locked
/// for `first_lock`, doubling with every further failure, at most `max_lock`; a successful
/// sign-in resets the count. A pure function of the count, the last failure and `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockoutPolicy {
    /// Failures allowed before the first lock (5).
    pub free_failures: u32,
    /// The first lock (1 minute).
    pub first_lock: SignedDuration,
    /// The longest lock (1 hour).
    pub max_lock: SignedDuration,
}

impl Default for LockoutPolicy {
    fn default() -> LockoutPolicy {
        LockoutPolicy {
            free_failures: 5,
            first_lock: SignedDuration::from_mins(1),
            max_lock: SignedDuration::from_hours(1),
        }
    }
}

impl LockoutPolicy {
    /// How long `failures` failures in a row lock the account (zero below `free_failures`).
    pub fn lock_for(&self, failures: u32) -> SignedDuration {
        let Some(beyond) = failures.checked_sub(self.free_failures) else {
            return SignedDuration::ZERO;
        };
        // 2^beyond saturates long before it matters: the cap is reached after a few doublings.
        let factor = 1i32.checked_shl(beyond.min(30)).unwrap_or(i32::MAX);
        self.first_lock
            .checked_mul(factor)
            .map_or(self.max_lock, |lock| lock.min(self.max_lock))
    }

    /// Until when the account is locked after `failures` failures, the last at `last_failure`.
    pub fn locked_until(
        &self,
        failures: u32,
        last_failure: Option<Timestamp>,
    ) -> Option<Timestamp> {
        let last = last_failure?;
        let lock = self.lock_for(failures);
        if lock.is_zero() {
            return None;
        }
        Some(last.checked_add(lock).unwrap_or(Timestamp::MAX))
    }

    /// How long until a sign-in may be tried again at `now`; `None`: it may now.
    pub fn retry_after(
        &self,
        failures: u32,
        last_failure: Option<Timestamp>,
        now: Timestamp,
    ) -> Option<SignedDuration> {
        let until = self.locked_until(failures, last_failure)?;
        (until > now).then(|| until.duration_since(now))
    }
}

/// How long a console session lives: it ends after `idle` without a request, after `absolute`
/// whatever happens, and a pending one (password given, second factor not yet) after
/// `pending`. `last_seen` is written at most every `touch_every`, so a busy session does not
/// write on every request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionPolicy {
    /// Idle timeout (30 minutes).
    pub idle: SignedDuration,
    /// Absolute timeout (12 hours).
    pub absolute: SignedDuration,
    /// How long a pending session waits for the second factor or the enrolment (10 minutes).
    pub pending: SignedDuration,
    /// How stale `last_seen` may get before a request writes it again (1 minute).
    pub touch_every: SignedDuration,
}

impl Default for SessionPolicy {
    fn default() -> SessionPolicy {
        SessionPolicy {
            idle: SignedDuration::from_mins(30),
            absolute: SignedDuration::from_hours(12),
            pending: SignedDuration::from_mins(10),
            touch_every: SignedDuration::from_mins(1),
        }
    }
}

/// What [`SessionPolicy::verdict`] says of a session at `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionVerdict {
    /// It lives; `touch`: record `now` as its last request.
    Live {
        /// Whether `last_seen` is older than `touch_every`.
        touch: bool,
    },
    /// It ended by itself.
    Expired(Expiry),
}

/// Which timeout ended a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expiry {
    /// No request for longer than the idle timeout.
    Idle,
    /// Older than the absolute timeout.
    Absolute,
    /// The second factor or the enrolment took too long.
    Pending,
}

impl SessionPolicy {
    /// Whether a session in `stage`, created at `created_at` and last seen at `last_seen`,
    /// still lives at `now`.
    pub fn verdict(
        &self,
        stage: SessionStage,
        created_at: Timestamp,
        last_seen: Timestamp,
        now: Timestamp,
    ) -> SessionVerdict {
        let age = now.duration_since(created_at);
        if stage != SessionStage::Full {
            if age >= self.pending {
                return SessionVerdict::Expired(Expiry::Pending);
            }
        } else if age >= self.absolute {
            return SessionVerdict::Expired(Expiry::Absolute);
        }
        let idle = now.duration_since(last_seen);
        if idle >= self.idle {
            return SessionVerdict::Expired(Expiry::Idle);
        }
        SessionVerdict::Live {
            touch: idle >= self.touch_every,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn at(seconds: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + seconds).unwrap()
    }

    fn email() -> StaffEmail {
        StaffEmail::parse("anna.dpo@example.se").unwrap()
    }

    #[test]
    fn passwords_are_checked_with_messages_that_say_how_to_fix() {
        let policy = PasswordPolicy::default();
        assert_eq!(policy.check("correct horse", &email()), Ok(()));
        assert_eq!(
            policy.check("short", &email()),
            Err(PasswordProblem::TooShort { min: 12 })
        );
        assert_eq!(
            policy.check(&"ab".repeat(513), &email()),
            Err(PasswordProblem::TooLong { max: 1024 })
        );
        assert_eq!(
            policy.check("aaaaaaaaaaaaaaa", &email()),
            Err(PasswordProblem::OneCharacter)
        );
        assert_eq!(
            policy.check("             ", &email()),
            Err(PasswordProblem::OneCharacter)
        );
        assert_eq!(
            policy.check("Anna.DPO@example.se!", &email()),
            Err(PasswordProblem::ContainsEmail)
        );
        assert_eq!(
            policy.check("my name is anna.dpo", &email()),
            Err(PasswordProblem::ContainsEmail)
        );
        // Twelve characters, not bytes: "ångström" spelt out is counted by character.
        assert_eq!(policy.check("åäöåäöåäöåäx", &email()), Ok(()));
        let message = PasswordProblem::TooShort { min: 12 }.to_string();
        assert!(message.contains("at least 12 characters"), "{message}");
    }

    #[test]
    fn lockout_starts_after_five_failures_and_doubles_to_an_hour() {
        let policy = LockoutPolicy::default();
        let last = at(0);
        for failures in 0..5 {
            assert_eq!(policy.locked_until(failures, Some(last)), None);
            assert_eq!(policy.retry_after(failures, Some(last), last), None);
        }
        assert_eq!(policy.locked_until(5, Some(last)), Some(at(60)));
        assert_eq!(policy.locked_until(6, Some(last)), Some(at(120)));
        assert_eq!(policy.locked_until(7, Some(last)), Some(at(240)));
        assert_eq!(
            policy.locked_until(11, Some(last)),
            Some(at(3600)),
            "capped"
        );
        assert_eq!(policy.locked_until(u32::MAX, Some(last)), Some(at(3600)));
        assert_eq!(policy.locked_until(9, None), None);
        assert_eq!(
            policy.retry_after(5, Some(last), at(45)),
            Some(SignedDuration::from_secs(15))
        );
        assert_eq!(policy.retry_after(5, Some(last), at(60)), None);
    }

    #[test]
    fn sessions_end_idle_absolute_or_pending() {
        let policy = SessionPolicy::default();
        let full = SessionStage::Full;
        assert_eq!(
            policy.verdict(full, at(0), at(0), at(30)),
            SessionVerdict::Live { touch: false }
        );
        assert_eq!(
            policy.verdict(full, at(0), at(0), at(60)),
            SessionVerdict::Live { touch: true }
        );
        assert_eq!(
            policy.verdict(full, at(0), at(0), at(30 * 60)),
            SessionVerdict::Expired(Expiry::Idle)
        );
        assert_eq!(
            policy.verdict(full, at(0), at(12 * 3600 - 60), at(12 * 3600)),
            SessionVerdict::Expired(Expiry::Absolute)
        );
        assert_eq!(
            policy.verdict(SessionStage::SecondFactor, at(0), at(0), at(600)),
            SessionVerdict::Expired(Expiry::Pending)
        );
        assert_eq!(
            policy.verdict(SessionStage::Enrolment, at(0), at(0), at(599)),
            SessionVerdict::Live { touch: true }
        );
    }

    proptest! {
        #[test]
        fn locks_never_shrink_and_never_exceed_the_cap(failures in 0u32..100) {
            let policy = LockoutPolicy::default();
            let this = policy.lock_for(failures);
            let next = policy.lock_for(failures + 1);
            prop_assert!(next >= this);
            prop_assert!(next <= policy.max_lock);
            if failures >= policy.free_failures {
                prop_assert!(this >= policy.first_lock);
            }
        }

        #[test]
        fn a_lock_ends_and_retry_after_counts_down(failures in 0u32..40, last in 0i64..1_000_000, wait in 0i64..10_000) {
            let policy = LockoutPolicy::default();
            let (last, now) = (at(last), at(last + wait));
            match policy.retry_after(failures, Some(last), now) {
                None => prop_assert!(policy.locked_until(failures, Some(last)).is_none_or(|until| until <= now)),
                Some(left) => {
                    prop_assert!(left.is_positive());
                    prop_assert_eq!(now.checked_add(left).unwrap(), policy.locked_until(failures, Some(last)).unwrap());
                }
            }
        }

        #[test]
        fn a_live_session_is_within_both_timeouts(created in 0i64..100_000, seen_after in 0i64..50_000, now_after in 0i64..50_000) {
            let policy = SessionPolicy::default();
            let (created, seen) = (at(created), at(created + seen_after));
            let now = seen.checked_add(SignedDuration::from_secs(now_after)).unwrap();
            if let SessionVerdict::Live { .. } = policy.verdict(SessionStage::Full, created, seen, now) {
                prop_assert!(now.duration_since(created) < policy.absolute);
                prop_assert!(now.duration_since(seen) < policy.idle);
            }
        }
    }
}
