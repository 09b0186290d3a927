//! The timing of a failover pair, checked once when the role starts.

use std::time::Duration;

/// How fast a failover pair detects and acts.
///
/// Rule: `failover_timeout > heartbeat_timeout × failure_threshold`. The primary's lease is
/// `heartbeat_timeout × failure_threshold`: it has fenced itself by then when it cannot
/// heartbeat. The replica waits `failover_timeout` (JetStream time) since the last heartbeat
/// before it tries to take over; the difference is the time the old primary has to finish
/// fencing, plus clock-rate drift.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    /// How long one heartbeat may take, and how often the primary sends one.
    pub heartbeat_timeout: Duration,
    /// Consecutive failed heartbeats after which the primary fences itself.
    pub failure_threshold: u32,
    /// Consecutive successful heartbeats after which a fenced primary accepts writes again.
    pub success_threshold: u32,
    /// How old (in JetStream time) the primary's last heartbeat must be before the replica
    /// tries to take over.
    pub failover_timeout: Duration,
}

impl Timing {
    /// The primary's lease: how long after sending its last successful heartbeat it stays
    /// writable.
    pub fn lease(&self) -> Duration {
        self.heartbeat_timeout * self.failure_threshold
    }

    /// Checks the timing rule; the error gives the smallest valid `failover_timeout`.
    pub fn check(&self) -> Result<(), String> {
        if self.heartbeat_timeout.is_zero() {
            return Err("heartbeat_timeout must be longer than zero".to_string());
        }
        if self.failure_threshold == 0 || self.success_threshold == 0 {
            return Err("failure_threshold and success_threshold must be at least 1".to_string());
        }
        if self.failover_timeout <= self.lease() {
            return Err(format!(
                "failover_timeout ({:?}) must exceed heartbeat_timeout × failure_threshold \
                 ({:?} × {} = {:?}), or the replica could promote before the primary has fenced \
                 itself; the smallest valid failover_timeout is {:?}",
                self.failover_timeout,
                self.heartbeat_timeout,
                self.failure_threshold,
                self.lease(),
                self.lease() + Duration::from_millis(1)
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn timing(failover_ms: u64) -> Timing {
        Timing {
            heartbeat_timeout: Duration::from_millis(500),
            failure_threshold: 3,
            success_threshold: 2,
            failover_timeout: Duration::from_millis(failover_ms),
        }
    }

    #[test]
    fn failover_timeout_must_exceed_the_lease_and_the_error_names_the_smallest_valid_one() {
        assert!(timing(1501).check().is_ok());
        let error = timing(1500).check().unwrap_err();
        assert!(
            error.contains("smallest valid failover_timeout is 1.501s"),
            "{error}"
        );
        assert!(timing(10).check().is_err());
    }

    #[test]
    fn zero_thresholds_and_timeouts_are_refused() {
        let mut t = timing(5000);
        t.failure_threshold = 0;
        assert!(t.check().is_err());
        let mut t = timing(5000);
        t.heartbeat_timeout = Duration::ZERO;
        assert!(t.check().is_err());
    }
}
