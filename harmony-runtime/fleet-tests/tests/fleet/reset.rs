//! The desired-state store recreated under running agents (issue 15): revisions start over below
//! the ones the agents remember. The agent detects the reset from the stream's identity, never
//! reports converged on what the new store does not hold, and applies the new store's specs at
//! their low revisions.

use harmony_runtime::providers::nats::{FleetStore, Phase};

use crate::support::*;

/// A server, and north's agent converged on the fourth version of its spec: the key and its
/// revision.
async fn north_at_four_versions(dir: &TempDir) -> (NatsServer, Agent, String, u64) {
    let server = NatsServer::start(dir.path());
    let op = operator(&server.url()).await;
    let marker = dir.path().join("m");
    let mut last = 0;
    let mut key = String::new();
    for tag in ["v1", "v2", "v3", "v4"] {
        let s = spec("north", vec![marker_workload("sensors", &marker, tag)]);
        key = op.key(&s);
        last = op.apply_with_revision(&s).await.expect("apply").1;
    }
    let agent = Agent::start(&server.url(), "north", &dir.path().join("north"), &[]);
    converged(&op, "north", &key, last).await;
    (server, agent, key, last)
}

/// Waits until north reports the stale phase (the new store does not hold its key); checks it
/// never claims convergence meanwhile.
async fn reported_stale(op: &FleetStore, key: &str, old: u64) {
    let status = eventually("north to report its kept spec stale", || async {
        op.status("north")
            .await
            .ok()
            .flatten()
            .filter(|s| s.phase == Phase::Stale)
    })
    .await;
    assert!(!status.converged_at(key, old), "{status:?}");
    assert_eq!(status.applied.get(key), Some(&0), "{status:?}");
}

/// After the reset, a spec written at a revision below the remembered one is applied.
async fn applies_the_new_store(op: &FleetStore, marker: &std::path::Path, key: &str, old: u64) {
    let v5 = spec("north", vec![marker_workload("sensors", marker, "v5")]);
    let (_, low) = op.apply_with_revision(&v5).await.expect("apply v5");
    assert!(low < old, "the new store starts over: {low} < {old}");
    converged(op, "north", key, low).await;
    eventually("the v5 workload to start", || async {
        (marker_lines(marker).last().map(String::as_str) == Some("v5")).then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recreated_bucket_is_detected_and_a_spec_at_a_lower_revision_is_applied() {
    let dir = TempDir::new("fleet-reset-bucket");
    let (server, agent, key, old) = north_at_four_versions(&dir).await;
    let url = server.url();
    let marker = dir.path().join("m");

    // The bucket is deleted and created again (a new operator connection creates it).
    let client = async_nats::connect(&url).await.expect("connect");
    async_nats::jetstream::new(client)
        .delete_key_value("harmony-desired")
        .await
        .expect("delete the bucket");
    let op = operator(&url).await;
    reported_stale(&op, &key, old).await;
    // What it ran keeps running meanwhile.
    assert_eq!(marker_lines(&marker).last().map(String::as_str), Some("v4"));
    applies_the_new_store(&op, &marker, &key, old).await;
    assert!(agent.log().contains("was reset"), "{}", agent.log());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_restored_from_empty_is_detected_and_a_spec_at_a_lower_revision_is_applied() {
    let dir = TempDir::new("fleet-reset-server");
    let (mut server, agent, key, old) = north_at_four_versions(&dir).await;
    let url = server.url();
    let marker = dir.path().join("m");

    // The server comes back on an empty disk: both buckets are gone.
    server.kill();
    std::fs::remove_dir_all(&server.store).expect("wipe the store");
    server.restart();
    let op = operator(&url).await;
    reported_stale(&op, &key, old).await;
    applies_the_new_store(&op, &marker, &key, old).await;
    assert!(agent.log().contains("was reset"), "{}", agent.log());
}
