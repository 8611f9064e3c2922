//! Abuse limits for routes anyone can call: a small keyed rate limiter (GCRA, a token bucket
//! kept as one instant per key) with a bounded memory.
//!
//! The console's sign-in forms are limited per peer address and per e-mail address, so
//! neither one address guessing many accounts' passwords nor many addresses guessing one
//! account's get far; the account's own lock-out (`skydd_staff::policy`) is the second line.
//! Public routes of later issues take a [`Limiter`] the same way.
//!
//! Every public route is limited per client address through one extractor, [`Limited`]: put
//! `_: Limited<route::Intake>` among a handler's arguments, before the body, and a client over
//! the route's budget gets a 429 with `Retry-After` before anything is read: a problem
//! document by default, the console's page with `Limited<route::X, ConsoleError>`, a public
//! HTML page with `Limited<route::X, PageRefusal>`. Anything that queues a message to an
//! identity also takes one from that identity's budget ([`PublicLimits::check_identity_value`]).
//! Callers with a valid API token are not limited per address: they are not anonymous.
//!
//! Keys are kept only as 64-bit hashes under a key chosen at random when the limiter is made,
//! so the limiter holds no address or e-mail in memory. Time is the app's clock, passed in.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, RandomState};
use std::marker::PhantomData;
use std::sync::Mutex;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::IntoResponse;
use jiff::{SignedDuration, Timestamp};

use crate::auth::Principal;
use crate::problem::ApiError;
use crate::state::AppState;

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

/// The public routes that are limited per client address, each with its own budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PublicRoute {
    /// `POST /v1/requests` without a token, and the privacy centre's request form.
    Intake,
    /// `POST /v1/requests/{id}/verify` and the centre's code form.
    Verify,
    /// `POST /v1/requests/{id}/documents` and the centre's upload.
    Documents,
    /// The centre's sign-in form (it may queue a message).
    CentreSignIn,
    /// The centre's magic link.
    MagicLink,
    /// `POST /v1/banner/consents`.
    BannerLog,
    /// `/unsubscribe`.
    Unsubscribe,
    /// `/console/sign-in/sso` and its callback.
    SingleSignOn,
    /// The privacy notice: `/privacy` and its archived versions, each call written from the
    /// register.
    Notice,
}

impl PublicRoute {
    /// Every limited route.
    pub const ALL: [PublicRoute; 9] = [
        PublicRoute::Intake,
        PublicRoute::Verify,
        PublicRoute::Documents,
        PublicRoute::CentreSignIn,
        PublicRoute::MagicLink,
        PublicRoute::BannerLog,
        PublicRoute::Unsubscribe,
        PublicRoute::SingleSignOn,
        PublicRoute::Notice,
    ];

    /// The budget per client address.
    pub fn rate(self) -> Rate {
        let (burst, seconds) = match self {
            PublicRoute::Intake | PublicRoute::CentreSignIn => (10, 60),
            PublicRoute::Verify | PublicRoute::MagicLink => (20, 15),
            PublicRoute::Documents => (10, 60),
            PublicRoute::BannerLog => (60, 1),
            PublicRoute::Unsubscribe => (30, 10),
            PublicRoute::SingleSignOn => (20, 15),
            // A reader opens a page or two; a site's visitors behind one address, as many as
            // its banner's choices (`BannerLog`).
            PublicRoute::Notice => (60, 1),
        };
        Rate {
            burst,
            interval: SignedDuration::from_secs(seconds),
        }
    }
}

/// The budget of messages queued to one identity: 3 at once, then one every 10 minutes.
pub const PER_IDENTITY: Rate = Rate {
    burst: 3,
    interval: SignedDuration::from_secs(600),
};

/// The largest `--rate-limit-scale`.
pub const MAX_SCALE: u32 = 10_000;

/// The abuse limits of every public route: per client address (an IPv6 address counts by its
/// /64, which one client usually holds whole) and, for anything that queues a message, per
/// identity the message would go to.
#[derive(Debug)]
pub struct PublicLimits {
    per_address: Vec<(PublicRoute, Limiter)>,
    /// Messages queued to one identity (intake codes, centre sign-in codes): [`PER_IDENTITY`]
    /// whatever address asks.
    per_identity: Limiter,
    /// How many times the default bursts these limits allow (1: the defaults).
    scale: u32,
}

impl Default for PublicLimits {
    fn default() -> PublicLimits {
        PublicLimits::scaled(1)
    }
}

impl PublicLimits {
    /// The limits with every burst `scale` times the default (at least 1, at most
    /// [`MAX_SCALE`]), the intervals unchanged: `skydd serve --rate-limit-scale`, for a load
    /// test or a fuzzer that must not meet them. The limits are never off.
    pub fn scaled(scale: u32) -> PublicLimits {
        let scale = scale.clamp(1, MAX_SCALE);
        let widen = |rate: Rate| Rate {
            burst: rate.burst.saturating_mul(scale),
            ..rate
        };
        PublicLimits {
            per_address: PublicRoute::ALL
                .iter()
                .map(|route| (*route, Limiter::new(widen(route.rate()), 50_000)))
                .collect(),
            per_identity: Limiter::new(widen(PER_IDENTITY), 100_000),
            scale,
        }
    }

    /// How many times the default bursts these limits allow (1: the defaults).
    pub fn scale(&self) -> u32 {
        self.scale
    }

    /// Take one call of `route` from the client at `address` (`None` when the server was
    /// started without peer addresses: one shared budget).
    pub fn check_address(
        &self,
        route: PublicRoute,
        address: Option<std::net::IpAddr>,
        now: Timestamp,
    ) -> Result<(), RetryAfter> {
        let key = address.map(|address| match address {
            std::net::IpAddr::V4(v4) => u128::from(v4.to_bits()),
            // The /64 prefix, marked so it cannot meet an IPv4 key.
            std::net::IpAddr::V6(v6) => (v6.to_bits() >> 64) | (1 << 127),
        });
        match self.per_address.iter().find(|(r, _)| *r == route) {
            Some((_, limiter)) => limiter.check(&key, now),
            None => Ok(()),
        }
    }

    /// Take one message queued to `identity` (its normalised form, `email:a@example.com`),
    /// whoever asks; the value is kept only as a keyed hash.
    pub fn check_identity(&self, identity: &str, now: Timestamp) -> Result<(), RetryAfter> {
        self.per_identity.check(&identity, now)
    }

    /// [`PublicLimits::check_identity`] for an identity as a person typed it: `kind` (`email`,
    /// `phone`, `personnummer`, `customer_number`) and the raw value, normalised the way the
    /// vault normalises it, so `Anna@Example.se ` and `anna@example.se` share one budget. A
    /// value that is not a valid identity passes: it is refused as invalid and queues nothing.
    pub fn check_identity_value(
        &self,
        kind: &str,
        raw: &str,
        now: Timestamp,
    ) -> Result<(), RetryAfter> {
        match identity_key(kind, raw, now) {
            Some(key) => self.check_identity(&key, now),
            None => Ok(()),
        }
    }
}

/// The normalised `kind:value` of an identity as typed, or `None` when it is not one.
fn identity_key(kind: &str, raw: &str, now: Timestamp) -> Option<String> {
    use skydd_subject::identity::{Identity, IdentityKind, ParseContext};
    let kind: IdentityKind = kind.parse().ok()?;
    let today = skydd_register::zone::stockholm_date(now);
    let identity = Identity::parse(kind, raw, ParseContext::sweden(today)).ok()?;
    Some(format!("{}:{}", kind.as_str(), identity.expose()))
}

/// A route's place in [`PublicLimits`], as a type: [`Limited`]`<route::Intake>`.
pub trait LimitedRoute {
    /// The route whose per-address budget is taken.
    const ROUTE: PublicRoute;
}

/// One type per [`PublicRoute`], for [`Limited`].
pub mod route {
    use super::{LimitedRoute, PublicRoute};

    macro_rules! routes {
        ($($name:ident),* $(,)?) => {$(
            #[doc = concat!("The budget of [`PublicRoute::", stringify!($name), "`].")]
            #[derive(Debug)]
            pub struct $name;

            impl LimitedRoute for $name {
                const ROUTE: PublicRoute = PublicRoute::$name;
            }
        )*};
    }

    routes!(
        Intake,
        Verify,
        Documents,
        CentreSignIn,
        MagicLink,
        BannerLog,
        Unsubscribe,
        SingleSignOn,
        Notice,
    );
}

/// How a route says "too many requests": the response type a [`Limited`] rejects with.
/// [`ApiError`] is a problem document, the console's error its page, [`PageRefusal`] a public
/// HTML page; each carries `Retry-After`.
pub trait Refusal: IntoResponse + Sized {
    /// The refusal of a request (`parts`) over its limit, to try again after `retry_after`.
    fn too_many(retry_after: RetryAfter, parts: &Parts, state: &AppState) -> Self;
}

impl Refusal for ApiError {
    fn too_many(retry_after: RetryAfter, _parts: &Parts, _state: &AppState) -> ApiError {
        ApiError::TooManyRequests(retry_after)
    }
}

/// A public HTML page refusing a request (429 with `Retry-After`), in the language the
/// request prefers.
pub use crate::page::PageRefusal;

impl Refusal for PageRefusal {
    fn too_many(retry_after: RetryAfter, parts: &Parts, state: &AppState) -> PageRefusal {
        PageRefusal::too_many(retry_after, &parts.headers, state)
    }
}

/// One call of route `R` taken from the client's address budget, before the handler reads
/// anything else: put it among a handler's arguments ahead of the body. Over the budget, the
/// request is refused with `E` (429 and `Retry-After`). A request carrying a valid API token
/// (a principal) is not counted: the token's holder is known and accountable.
#[derive(Debug)]
pub struct Limited<R, E = ApiError>(PhantomData<fn() -> (R, E)>);

impl<R: LimitedRoute, E: Refusal> FromRequestParts<AppState> for Limited<R, E> {
    type Rejection = E;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, E> {
        if parts.extensions.get::<Principal>().is_none() {
            let address = crate::auth::client_address(parts);
            state
                .public_limits()
                .check_address(R::ROUTE, address, state.clock.now())
                .map_err(|retry_after| E::too_many(retry_after, parts, state))?;
        }
        Ok(Limited(PhantomData))
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
    fn identities_share_a_budget_in_their_normal_form() {
        let limits = PublicLimits::default();
        for raw in ["anna@example.se", " Anna@Example.SE", "ANNA@example.se"] {
            assert_eq!(limits.check_identity_value("email", raw, at(0)), Ok(()));
        }
        assert!(
            limits
                .check_identity_value("email", "anna@example.se ", at(1))
                .is_err()
        );
        assert_eq!(
            limits.check_identity_value("email", "bo@example.se", at(1)),
            Ok(()),
            "another identity has its own budget"
        );
        // Not an identity: nothing to queue, nothing counted.
        for _ in 0..10 {
            assert_eq!(
                limits.check_identity_value("email", "no-at-sign", at(1)),
                Ok(())
            );
            assert_eq!(limits.check_identity_value("pigeon", "x", at(1)), Ok(()));
        }
        // The same number written two ways is one phone.
        assert_eq!(
            limits.check_identity_value("phone", "070-123 45 67", at(2)),
            Ok(())
        );
        assert_eq!(
            limits.check_identity_value("phone", "+46701234567", at(2)),
            Ok(())
        );
        assert_eq!(
            limits.check_identity_value("phone", "0701234567", at(2)),
            Ok(())
        );
        assert!(
            limits
                .check_identity_value("phone", "+46 70 123 45 67", at(2))
                .is_err()
        );
    }

    #[test]
    fn a_scale_widens_every_burst_and_never_switches_limits_off() {
        let limits = PublicLimits::scaled(10);
        assert_eq!(limits.scale(), 10);
        let burst = PublicRoute::Intake.rate().burst * 10;
        let address = Some("192.0.2.1".parse().unwrap());
        for _ in 0..burst {
            assert!(
                limits
                    .check_address(PublicRoute::Intake, address, at(0))
                    .is_ok()
            );
        }
        assert!(
            limits
                .check_address(PublicRoute::Intake, address, at(0))
                .is_err()
        );
        assert_eq!(
            PublicLimits::scaled(0).scale(),
            1,
            "0 is the defaults, not off"
        );
        assert_eq!(PublicLimits::scaled(u32::MAX).scale(), MAX_SCALE);
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
