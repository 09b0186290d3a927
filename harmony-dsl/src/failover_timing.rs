//! [`FailoverTiming`]: how fast a failover pair detects a dead primary, checked at compile time.
//!
//! The rule: `failover_timeout > heartbeat_timeout × failure_threshold`. The primary fences
//! itself once it has gone `heartbeat_timeout × failure_threshold` without an accepted heartbeat
//! (its lease); the replica may take over only after `failover_timeout` without one. A
//! `failover_timeout` that is not longer lets the replica promote while the old primary still
//! accepts writes: two primaries. [`failover_timing!`](crate::failover_timing) evaluates each
//! check in a `const` item spanned on the value it checks, so breaking the rule is a compile
//! error on `failover_timeout` that names its smallest valid value:
//!
//! ```
//! let timing = harmony_dsl::failover_timing!(
//!     heartbeat_timeout: "500ms",
//!     failure_threshold: 3,
//!     failover_timeout: "2s",
//! );
//! assert_eq!(timing.lease().to_string(), "1s500ms");
//! ```
//!
//! ```compile_fail,E0080
//! let timing = harmony_dsl::failover_timing!(
//!     heartbeat_timeout: "500ms",
//!     failure_threshold: 3,
//!     failover_timeout: "1500ms",
//! );
//! ```

use crate::value::Duration;

/// The timing of a failover pair; built with [`failover_timing!`](crate::failover_timing)
/// (checked at compile time, even by `cargo check`) or [`FailoverTiming::new`] in a `const`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailoverTiming {
    heartbeat_timeout: Duration,
    failure_threshold: u32,
    success_threshold: u32,
    failover_timeout: Duration,
}

const MS: u64 = 1_000_000;

impl FailoverTiming {
    /// Parses and checks the timing; panics (a compile error in a `const`) with a message that
    /// gives the smallest valid `failover_timeout` when the rule is broken. `success_threshold`
    /// is 2 unless [`with_success_threshold`](Self::with_success_threshold) says otherwise.
    pub const fn new(
        heartbeat_timeout: &str,
        failure_threshold: u32,
        failover_timeout: &str,
    ) -> Self {
        check::heartbeat_timeout(heartbeat_timeout);
        check::failure_threshold(failure_threshold);
        check::failover_timeout(heartbeat_timeout, failure_threshold, failover_timeout);
        Self::__unchecked(heartbeat_timeout, failure_threshold, 2, failover_timeout)
    }

    /// The timing without its checks (a value that does not parse is zero), for
    /// [`failover_timing!`](crate::failover_timing), which checks each value in a `const` item
    /// of its own. Not for direct use.
    #[doc(hidden)]
    pub const fn __unchecked(
        heartbeat_timeout: &str,
        failure_threshold: u32,
        success_threshold: u32,
        failover_timeout: &str,
    ) -> Self {
        FailoverTiming {
            heartbeat_timeout: parsed_or_zero(heartbeat_timeout),
            failure_threshold,
            success_threshold,
            failover_timeout: parsed_or_zero(failover_timeout),
        }
    }

    /// Consecutive successful heartbeats after which a fenced primary accepts writes again (and
    /// a replica may take over); at least 1.
    pub const fn with_success_threshold(mut self, success_threshold: u32) -> Self {
        check::success_threshold(success_threshold);
        self.success_threshold = success_threshold;
        self
    }

    /// How long one heartbeat may take, and how often the primary sends one.
    pub const fn heartbeat_timeout(&self) -> Duration {
        self.heartbeat_timeout
    }

    /// Consecutive failed heartbeats after which the primary fences itself.
    pub const fn failure_threshold(&self) -> u32 {
        self.failure_threshold
    }

    /// Consecutive successful heartbeats before a fenced primary accepts writes again.
    pub const fn success_threshold(&self) -> u32 {
        self.success_threshold
    }

    /// How long the primary must have been silent before the replica tries to take over.
    pub const fn failover_timeout(&self) -> Duration {
        self.failover_timeout
    }

    /// The primary's lease: `heartbeat_timeout × failure_threshold`.
    pub const fn lease(&self) -> Duration {
        Duration::from_nanos(self.heartbeat_timeout.as_nanos() * self.failure_threshold as u64)
    }
}

const fn parsed_or_zero(text: &str) -> Duration {
    match Duration::parse(text) {
        Ok(d) => d,
        Err(_) => Duration::from_nanos(0),
    }
}

/// The checks [`failover_timing!`](crate::failover_timing) evaluates in `const` items, each
/// spanned on the value it checks, so the compiler puts a broken rule's error on that value.
/// Each check reports only its own value's problem. Not for direct use.
#[doc(hidden)]
pub mod check {
    use super::*;

    /// `heartbeat_timeout`: a duration longer than zero.
    pub const fn heartbeat_timeout(text: &str) {
        match Duration::parse(text) {
            Ok(d) if d.as_nanos() == 0 => {
                panic!(
                    "heartbeat_timeout must be longer than zero, e.g. `heartbeat_timeout: \"500ms\"`"
                )
            }
            Ok(_) => {}
            Err(e) => panic!("{}", e.message()),
        }
    }

    /// `failure_threshold`: at least 1.
    pub const fn failure_threshold(n: u32) {
        if n == 0 {
            panic!(
                "failure_threshold must be at least 1: the primary fences after that many failed heartbeats in a row, e.g. `failure_threshold: 3`"
            );
        }
    }

    /// `success_threshold`: at least 1.
    pub const fn success_threshold(n: u32) {
        if n == 0 {
            panic!(
                "success_threshold must be at least 1: a fenced primary accepts writes again after that many successful heartbeats in a row, e.g. `success_threshold: 2`"
            );
        }
    }

    /// `failover_timeout`: a duration longer than `heartbeat_timeout × failure_threshold`; the
    /// message gives the smallest valid one. Silent when the other two values are broken (their
    /// own checks say so).
    pub const fn failover_timeout(heartbeat_timeout: &str, failure_threshold: u32, text: &str) {
        let failover = match Duration::parse(text) {
            Ok(d) => d,
            Err(e) => panic!("{}", e.message()),
        };
        let heartbeat = match Duration::parse(heartbeat_timeout) {
            Ok(d) if d.as_nanos() > 0 && failure_threshold > 0 => d,
            _ => return,
        };
        let lease = match heartbeat.as_nanos().checked_mul(failure_threshold as u64) {
            Some(lease) => lease,
            None => panic!("heartbeat_timeout × failure_threshold is too long to represent"),
        };
        if failover.as_nanos() <= lease {
            let message = Message::new()
                .text("failover_timeout `")
                .duration(failover.as_nanos())
                .text("` must be longer than heartbeat_timeout × failure_threshold (`")
                .duration(heartbeat.as_nanos())
                .text("` × ")
                .number(failure_threshold as u64)
                .text(" = `")
                .duration(lease)
                .text(
                    "`), or the replica could promote while the old primary still accepts \
                     writes; the smallest valid failover_timeout is `",
                )
                .duration(smallest_above(lease))
                .text("`");
            panic!("{}", message.as_str());
        }
    }
}

/// The smallest duration longer than `nanos`, in whole milliseconds when `nanos` is.
const fn smallest_above(nanos: u64) -> u64 {
    if nanos.is_multiple_of(MS) {
        nanos + MS
    } else {
        nanos + 1
    }
}

/// A message built in a `const` context (no `format!` there); also used by
/// [`rollout`](crate::rollout)'s checks.
pub(crate) struct Message {
    bytes: [u8; 512],
    len: usize,
}

impl Message {
    pub(crate) const fn new() -> Self {
        Message {
            bytes: [0; 512],
            len: 0,
        }
    }

    pub(crate) const fn text(mut self, s: &str) -> Self {
        let b = s.as_bytes();
        let mut i = 0;
        while i < b.len() && self.len < self.bytes.len() {
            self.bytes[self.len] = b[i];
            self.len += 1;
            i += 1;
        }
        self
    }

    pub(crate) const fn number(mut self, mut n: u64) -> Self {
        let mut digits = [0u8; 20];
        let mut count = 0;
        loop {
            digits[count] = b'0' + (n % 10) as u8;
            count += 1;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        while count > 0 && self.len < self.bytes.len() {
            count -= 1;
            self.bytes[self.len] = digits[count];
            self.len += 1;
        }
        self
    }

    /// `1500ms`, or nanoseconds when the duration is not whole milliseconds.
    pub(crate) const fn duration(self, nanos: u64) -> Self {
        if nanos.is_multiple_of(MS) {
            self.number(nanos / MS).text("ms")
        } else {
            self.number(nanos).text("ns")
        }
    }

    pub(crate) const fn as_str(&self) -> &str {
        match std::str::from_utf8(self.bytes.split_at(self.len).0) {
            Ok(s) => s,
            Err(_) => "(message)",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_valid_timing_keeps_its_values() {
        const T: FailoverTiming =
            FailoverTiming::new("500ms", 3, "1501ms").with_success_threshold(3);
        assert_eq!(T.heartbeat_timeout().as_std().as_millis(), 500);
        assert_eq!(T.failure_threshold(), 3);
        assert_eq!(T.success_threshold(), 3);
        assert_eq!(T.failover_timeout().as_std().as_millis(), 1501);
        assert_eq!(T.lease().as_std().as_millis(), 1500);
    }

    #[test]
    fn the_message_gives_the_smallest_valid_failover_timeout() {
        let panic = std::panic::catch_unwind(|| FailoverTiming::new("500ms", 3, "1s"))
            .expect_err("refused");
        let message = panic.downcast_ref::<String>().cloned().unwrap_or_default();
        assert_eq!(
            message,
            "failover_timeout `1000ms` must be longer than heartbeat_timeout × failure_threshold \
             (`500ms` × 3 = `1500ms`), or the replica could promote while the old primary still \
             accepts writes; the smallest valid failover_timeout is `1501ms`"
        );
    }

    #[test]
    fn durations_below_a_millisecond_are_named_in_nanoseconds() {
        assert_eq!(smallest_above(1_500_000_000), 1_501_000_000);
        assert_eq!(smallest_above(1_500_000_001), 1_500_000_002);
        let m = Message::new().duration(1_500_000_001);
        assert_eq!(m.as_str(), "1500000001ns");
    }
}
