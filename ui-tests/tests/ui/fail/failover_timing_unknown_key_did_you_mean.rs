//! A misspelt key of `failover_timing!` is named, with the key it was probably meant to be.
use harmony_runtime::prelude::*;

fn main() {
    let timing = failover_timing!(
        heartbeat_timeout: "500ms",
        failure_treshold: 3,
        failover_timeout: "2s",
    );
    assert_eq!(timing.failure_threshold(), 3);
}
