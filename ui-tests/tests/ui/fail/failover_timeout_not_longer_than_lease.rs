//! A failover pair's `failover_timeout` must be longer than `heartbeat_timeout ×
//! failure_threshold`, the time after which a primary that cannot heartbeat has fenced itself:
//! otherwise the replica could promote while the old primary still accepts writes. Here
//! 500ms × 3 = 1500ms, so `1500ms` is one millisecond short; the message names `1501ms`.
use harmony_runtime::prelude::*;

fn main() {
    let timing = failover_timing!(
        heartbeat_timeout: "500ms",
        failure_threshold: 3,
        failover_timeout: "1500ms",
    );
    assert_eq!(timing.failure_threshold(), 3);
}
