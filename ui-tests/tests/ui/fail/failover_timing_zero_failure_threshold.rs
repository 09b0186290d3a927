//! `failure_threshold` counts the failed heartbeats in a row after which the primary fences
//! itself: 0 would fence it on nothing at all. The error is on the `0`.
use harmony_runtime::prelude::*;

fn main() {
    let timing = failover_timing!(
        heartbeat_timeout: "500ms",
        failure_threshold: 0,
        failover_timeout: "2s",
    );
    assert_eq!(timing.success_threshold(), 2);
}
