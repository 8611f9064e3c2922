//! Abuse limits for routes anyone can call: a small keyed rate limiter (GCRA, a token bucket
//! kept as one instant per key) with a bounded memory.
//!
//! The console's sign-in forms are limited per peer address and per e-mail address, so
//! neither one address guessing many accounts' passwords nor many addresses guessing one
//! account's get far; the account's own lock-out (`skydd_staff::policy`) is the second line.
//! Public routes of later issues take a [`Limiter`] the same way.
//!
//! Keys are kept only as 64-bit hashes under a key chosen at random when the limiter is made,
//! so the limiter holds no address or e-mail in memory. Time is the app's clock, passed in.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, RandomState};
use std::sync::Mutex;

use jiff::{SignedDuration, Timestamp};

/// How often something may be done: `burst` times at once, then once per `interval`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    /// How many may come at once.
    pub burst: u32,
    /// How long after that each further one waits.
    pub interval: SignedDuration,
}

/// A refused attempt: how long until the next one is taken (whole seconds, at least 1; for
/// `Retry-After`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryAfter(pub u64);

/// A rate limit per key, for at most `max_keys` keys at once.
#[derive(Debug)]
pub struct Limiter {
    rate: Rate,
    max_keys: usize,
    hasher: RandomState,
    /// Per hashed key, the instant its bucket is empty again ("theoretical arrival time").
    buckets: Mutex<HashMap<u64, Timestamp>>,
}

impl Limiter {
    /// A limiter allowing `rate` per key, remembering at most `max_keys` keys (when full, the
    /// key nearest to a full bucket is forgotten first).
    pub fn new(rate: Rate, max_keys: usize) -> Limiter {
        Limiter {
            rate,
            max_keys: max_keys.max(1),
            hasher: RandomState::new(),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Take one attempt for `key` at `now`, or say how long to wait. A refused attempt costs
    /// nothing.
    pub fn check(&self, key: &impl Hash, now: Timestamp) -> Result<(), RetryAfter> {
        let key = self.hasher.hash_one(key);
        // The map is consistent after any panic in this function (it only inserts), so a
        // poisoned lock is used as it is.
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let interval = self.rate.interval;
        let tolerance =
            interval * i32::try_from(self.rate.burst.saturating_sub(1)).unwrap_or(i32::MAX);
        let tat = buckets.get(&key).copied().unwrap_or(now).max(now);
        let wait = tat.duration_since(now) - tolerance;
        if wait > SignedDuration::ZERO {
            let seconds = wait.as_secs() + i64::from(wait.subsec_nanos() > 0);
            return Err(RetryAfter(u64::try_from(seconds.max(1)).unwrap_or(1)));
        }
        if !buckets.contains_key(&key) && buckets.len() >= self.max_keys {
            buckets.retain(|_, until| *until > now);
            if buckets.len() >= self.max_keys
                && let Some(oldest) = buckets
                    .iter()
                    .min_by_key(|(_, until)| **until)
                    .map(|(k, _)| *k)
            {
                buckets.remove(&oldest);
            }
        }
        buckets.insert(key, tat + interval);
        Ok(())
    }
}

/// The limits of the console's sign-in forms (password, second factor, enrolment).
#[derive(Debug)]
pub struct SignInLimits {
    /// Per peer address: 20 at once, then one every 15 seconds.
    pub per_ip: Limiter,
    /// Per e-mail address (or pending session): 10 at once, then one a minute.
    pub per_account: Limiter,
}

impl Default for SignInLimits {
    fn default() -> SignInLimits {
        SignInLimits {
            per_ip: Limiter::new(
                Rate {
                    burst: 20,
                    interval: SignedDuration::from_secs(15),
                },
                10_000,
            ),
            per_account: Limiter::new(
                Rate {
                    burst: 10,
                    interval: SignedDuration::from_secs(60),
                },
                10_000,
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> Timestamp {
        Timestamp::from_second(1_780_000_000 + seconds).unwrap()
    }

    fn limiter(burst: u32, interval: i64, max_keys: usize) -> Limiter {
        Limiter::new(
            Rate {
                burst,
                interval: SignedDuration::from_secs(interval),
            },
            max_keys,
        )
    }

    #[test]
    fn a_burst_then_one_per_interval() {
        let limiter = limiter(3, 10, 100);
        for _ in 0..3 {
            assert_eq!(limiter.check(&"a", at(0)), Ok(()));
        }
        assert_eq!(limiter.check(&"a", at(0)), Err(RetryAfter(10)));
        assert_eq!(limiter.check(&"a", at(4)), Err(RetryAfter(6)));
        assert_eq!(limiter.check(&"b", at(4)), Ok(()), "keys are separate");
        assert_eq!(limiter.check(&"a", at(10)), Ok(()));
        assert_eq!(limiter.check(&"a", at(10)), Err(RetryAfter(10)));
        // After a long pause the whole burst is back, and no more.
        for _ in 0..3 {
            assert_eq!(limiter.check(&"a", at(1000)), Ok(()));
        }
        assert!(limiter.check(&"a", at(1000)).is_err());
    }

    #[test]
    fn refused_attempts_cost_nothing() {
        let limiter = limiter(1, 10, 100);
        assert!(limiter.check(&"a", at(0)).is_ok());
        for second in 1..10 {
            assert!(limiter.check(&"a", at(second)).is_err());
        }
        assert!(limiter.check(&"a", at(10)).is_ok());
    }

    #[test]
    fn memory_is_bounded() {
        let limiter = limiter(1, 60, 3);
        for key in 0..100 {
            assert!(limiter.check(&key, at(key)).is_ok());
        }
        assert!(limiter.buckets.lock().unwrap().len() <= 3);
        // The most recent keys are still limited.
        assert!(limiter.check(&99_i64, at(99)).is_err());
    }
}
