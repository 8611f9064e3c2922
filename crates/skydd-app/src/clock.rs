//! The clock: the one place in Skydd that reads the current time; everything else gets `now` passed in.

use jiff::Timestamp;

/// A source of the current time. Servers use [`SystemClock`]; tests use a [`FixedClock`].
///
/// Every clock answers in whole microseconds, the precision storage keeps
/// ([`skydd_storage::truncate_timestamp`]): a time answered to a client is the time read back.
pub trait Clock: Send + Sync + 'static {
    /// The current instant, truncated to whole microseconds.
    fn now(&self) -> Timestamp;
}

/// The operating system's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    // The workspace's clippy.toml forbids reading the clock anywhere else: the domain takes `now`
    // as a parameter so that deadlines and retention can be tested at any date. This is the one
    // function that reads it.
    #[allow(clippy::disallowed_methods)]
    fn now(&self) -> Timestamp {
        skydd_storage::truncate_timestamp(Timestamp::now())
    }
}

/// A clock stopped at one instant, for tests. Like every clock it answers in whole
/// microseconds, so an instant given with nanoseconds is answered without them.
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(pub Timestamp);

impl Clock for FixedClock {
    fn now(&self) -> Timestamp {
        skydd_storage::truncate_timestamp(self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_clock_always_returns_its_instant() {
        let at: Timestamp = "2026-03-01T12:00:00Z".parse().unwrap();
        let clock = FixedClock(at);
        assert_eq!(clock.now(), at);
        assert_eq!(clock.now(), at);
    }

    #[test]
    fn clocks_answer_in_whole_microseconds() {
        let at: Timestamp = "2026-03-01T09:00:00.123456789Z".parse().unwrap();
        let expected: Timestamp = "2026-03-01T09:00:00.123456Z".parse().unwrap();
        assert_eq!(FixedClock(at).now(), expected);
        assert_eq!(SystemClock.now().subsec_nanosecond() % 1000, 0);
    }

    #[test]
    fn system_clock_is_after_the_year_2020() {
        let earliest: Timestamp = "2020-01-01T00:00:00Z".parse().unwrap();
        assert!(SystemClock.now() > earliest);
    }
}
