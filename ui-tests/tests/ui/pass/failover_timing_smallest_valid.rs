//! The smallest valid `failover_timeout` (one millisecond over the lease, as the compile error
//! of `fail/failover_timeout_not_longer_than_lease.rs` names it) compiles, with an explicit
//! `success_threshold`.
use harmony_runtime::prelude::*;

fn main() {
    let timing = failover_timing!(
        heartbeat_timeout: "500ms",
        failure_threshold: 3,
        failover_timeout: "1501ms",
        success_threshold: 3,
    );
    assert_eq!(timing.lease().to_string(), "1s500ms");
    assert_eq!(timing.failover_timeout().to_string(), "1s501ms");
    assert_eq!(timing.success_threshold(), 3);
}
