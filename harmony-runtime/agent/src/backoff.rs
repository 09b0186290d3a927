//! The doubling backoff the agent's retry loops share (reconnecting to NATS, restarting a
//! process, starting a container).

use std::time::Duration;

/// A wait that doubles after each failure up to a limit, and starts over on [`Backoff::reset`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    start: Duration,
    max: Duration,
    current: Duration,
}

impl Backoff {
    /// Starting at `start`, never above `max`.
    pub const fn new(start: Duration, max: Duration) -> Backoff {
        Backoff {
            start,
            max,
            current: start,
        }
    }

    /// The wait before the next try.
    pub fn current(&self) -> Duration {
        self.current
    }

    /// Doubles the wait (up to the limit), after a try that failed again.
    pub fn advance(&mut self) {
        self.current = self.current.saturating_mul(2).min(self.max);
    }

    /// Back to the first wait, after a success.
    pub fn reset(&mut self) {
        self.current = self.start;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_up_to_the_limit_and_resets() {
        let mut backoff = Backoff::new(Duration::from_millis(100), Duration::from_millis(500));
        let mut seen = Vec::new();
        for _ in 0..5 {
            seen.push(backoff.current().as_millis());
            backoff.advance();
        }
        assert_eq!(seen, [100, 200, 400, 500, 500]);
        backoff.reset();
        assert_eq!(backoff.current(), Duration::from_millis(100));
    }
}
