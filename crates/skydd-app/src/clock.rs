//! The clock: the one place in Skydd that reads the current time; everything else gets `now` passed in.

use jiff::Timestamp;

/// A source of the current time. Servers use [`SystemClock`]; tests use a [`FixedClock`].
pub trait Clock: Send + Sync + 'static {
    /// The current instant.
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
        Timestamp::now()
    }
}

/// A clock stopped at one instant, for tests.
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(pub Timestamp);

impl Clock for FixedClock {
    fn now(&self) -> Timestamp {
        self.0
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
    fn system_clock_is_after_the_year_2020() {
        let earliest: Timestamp = "2020-01-01T00:00:00Z".parse().unwrap();
        assert!(SystemClock.now() > earliest);
    }
}
