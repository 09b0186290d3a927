//! Benchmark, not a timed test (ignored by default; it asserts only that everything converged):
//!
//! ```text
//! cargo test --release -p harmony-fleet-tests --test fleet -- bench:: --ignored --nocapture
//! ```
//!
//! Publishes desired state for 10,000 simulated devices, round after round, against the raw
//! async-nats KV put rate on the same server in the same run (the baseline: the same payload,
//! the same 64 puts in flight):
//!
//! - `FleetStore::apply` per device (a read and a compare-and-set write each): what `apply` does
//!   for each device;
//! - `FleetStore::snapshot` + `apply_each` (`apply_all`): one read of every key of the namespace,
//!   then each write checked against the revision that read saw, 64 writes in flight.
//!
//! First with no device watching (the publish rate alone, as the baseline is measured), then with
//! 10,000 simulated devices converging, for the per-device latency from the write's
//! acknowledgement to the converged status being seen (p50/p99).
//!
//! The simulated devices follow the agent's protocol without processes: one watcher over the
//! desired bucket that, for every value, writes that device's `converged` status at the value's
//! revision.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use harmony_runtime::providers::nats::FleetStore;
use std::time::{Duration, Instant};

use crate::support::*;
use async_nats::jetstream::{self, kv};
use futures_util::StreamExt;
use harmony_dsl::resource::{Workload, WorkloadRun};
use harmony_runtime::providers::nats::wire::{
    DeviceStatus, STATUS_BUCKET, WorkloadState, encode_spec,
};

const DEVICES: usize = 10_000;
const IN_FLIGHT: usize = 64;
/// The wider window of the last publish-only round (and its own raw baseline).
const WIDE: usize = 256;

/// When each (device, revision) was first seen converged.
type Seen = HashMap<(String, u64), Instant>;
/// Per device of one round: the revision written and when the write was acknowledged.
type Acked = HashMap<String, (u64, Instant)>;

fn device_version(i: usize, version: &str) -> harmony_dsl::resource::DeviceSpec {
    spec(
        &format!("sim{i:05}"),
        vec![Workload {
            name: "probe".into(),
            run: WorkloadRun::Process {
                command: vec!["sleep".into(), "600".into(), version.into()],
            },
            env: Default::default(),
        }],
    )
}

fn device(i: usize) -> harmony_dsl::resource::DeviceSpec {
    device_version(i, "v1")
}

/// Waits until every device of `acked` was seen converged at its revision; the latencies.
async fn converged_latencies(seen: &Mutex<Seen>, acked: &Acked) -> Vec<Duration> {
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let latencies: Vec<Duration> = {
            let seen = seen.lock().unwrap();
            acked
                .iter()
                .filter_map(|(device, (revision, at))| {
                    let seen_at = seen.get(&(device.clone(), *revision))?;
                    Some(seen_at.saturating_duration_since(*at))
                })
                .collect()
        };
        if latencies.len() == acked.len() {
            let mut latencies = latencies;
            latencies.sort();
            return latencies;
        }
        assert!(
            Instant::now() < deadline,
            "only {} of {} devices converged within 5 minutes",
            latencies.len(),
            acked.len()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: run with --ignored --nocapture"]
async fn publish_and_converge_ten_thousand_simulated_devices() {
    let dir = TempDir::new("fleet-bench");
    let server = NatsServer::start(dir.path());
    let url = server.url();
    let op = operator(&url).await;
    let client = async_nats::connect(&url).await.expect("connect");
    let js = jetstream::new(client.clone());
    let payload = bytes::Bytes::from(encode_spec(&device(0)));

    // Baseline: raw KV puts of the same payload, same concurrency.
    let raw = js
        .create_key_value(kv::Config {
            bucket: "bench-raw".into(),
            storage: jetstream::stream::StorageType::File,
            ..Default::default()
        })
        .await
        .expect("raw bucket");
    let raw_time = raw_puts(&raw, &payload, "k", IN_FLIGHT).await;
    let raw_wide_time = raw_puts(&raw, &payload, "w", WIDE).await;
    let raw_rate = DEVICES as f64 / raw_time.as_secs_f64();

    // The operator watches statuses and notes when each device first reports converged at
    // each revision.
    let statuses = js.get_key_value(STATUS_BUCKET).await.expect("status");
    let mut status_watch = statuses.watch_all().await.expect("watch status");
    let seen: Arc<Mutex<Seen>> = Default::default();
    let observer = tokio::spawn({
        let seen = seen.clone();
        async move {
            while let Some(Ok(entry)) = status_watch.next().await {
                let now = Instant::now();
                let Ok(report) = serde_json::from_slice::<DeviceStatus>(&entry.value) else {
                    continue;
                };
                if let Some((_, revision)) = report.applied.into_iter().next() {
                    seen.lock()
                        .unwrap()
                        .entry((report.device, revision))
                        .or_insert(now);
                }
            }
        }
    });

    // Phase 1, no device watching: the publish rates alone.
    let (create, _) = per_device(&op, "v1").await;
    let (update, _) = per_device(&op, "v2").await;
    let (snapshot_time, bulk_time, _) = bulk(&op, "v3", IN_FLIGHT).await;
    let (_, bulk_wide_time, _) = bulk(&op, "v3w", WIDE).await;

    // Phase 2, devices converging: the latencies.
    let simulator = tokio::spawn(simulate_devices(js.clone(), |_| WorkloadState::Running));
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (update_live, acked) = per_device(&op, "v4").await;
    let update_latencies = converged_latencies(&seen, &acked).await;
    let (_, bulk_live, acked) = bulk(&op, "v5", IN_FLIGHT).await;
    let bulk_latencies = converged_latencies(&seen, &acked).await;
    observer.abort();
    simulator.abort();

    let rate = |time: Duration| {
        let rate = DEVICES as f64 / time.as_secs_f64();
        format!(
            "{rate:.0} devices/s ({time:?}), {:.2}x the raw put rate",
            rate / raw_rate
        )
    };
    println!("fleet benchmark, {DEVICES} simulated devices, {IN_FLIGHT} in flight");
    println!("  raw KV put baseline: {raw_rate:.0} puts/s ({raw_time:?} for {DEVICES})");
    println!("  no device watching:");
    println!(
        "    apply per device, create (read + compare-and-set): {}",
        rate(create)
    );
    println!(
        "    apply per device, update (read + compare-and-set): {}",
        rate(update)
    );
    println!(
        "    apply_all, update (one snapshot + compare-and-set at its revisions): {} \
         (of which the snapshot of {DEVICES} keys {snapshot_time:?})",
        rate(bulk_time)
    );
    let raw_wide_rate = DEVICES as f64 / raw_wide_time.as_secs_f64();
    let bulk_wide_rate = DEVICES as f64 / bulk_wide_time.as_secs_f64();
    println!(
        "    with {WIDE} in flight: raw {raw_wide_rate:.0} puts/s; apply_all {bulk_wide_rate:.0} devices/s \
         ({bulk_wide_time:?}), {:.2}x the raw rate at {IN_FLIGHT}, {:.2}x the raw rate at {WIDE}",
        bulk_wide_rate / raw_rate,
        bulk_wide_rate / raw_wide_rate
    );
    println!("  {DEVICES} simulated devices converging:");
    println!("    apply per device, update: {}", rate(update_live));
    print_latencies(&update_latencies);
    println!("    apply_all, update: {}", rate(bulk_live));
    print_latencies(&bulk_latencies);
}

/// One round of `FleetStore::apply` per device, `IN_FLIGHT` at once: its time and acks.
async fn per_device(op: &FleetStore, version: &str) -> (Duration, Acked) {
    let acked: Mutex<Acked> = Default::default();
    let started = Instant::now();
    futures_util::stream::iter(0..DEVICES)
        .map(|i| {
            let acked = &acked;
            async move {
                let s = device_version(i, version);
                let (_, revision) = op.apply_with_revision(&s).await.expect("apply");
                let at = Instant::now();
                acked
                    .lock()
                    .unwrap()
                    .insert(s.device.clone(), (revision, at));
            }
        })
        .buffer_unordered(IN_FLIGHT)
        .collect::<Vec<()>>()
        .await;
    let time = started.elapsed();
    (time, acked.into_inner().unwrap())
}

/// One round of snapshot + `apply_each`: the snapshot's time, the whole round's time, the acks.
async fn bulk(op: &FleetStore, version: &str, in_flight: usize) -> (Duration, Duration, Acked) {
    let specs: Vec<_> = (0..DEVICES).map(|i| device_version(i, version)).collect();
    let mut acked = Acked::with_capacity(DEVICES);
    let started = Instant::now();
    let snapshot = op.snapshot().await.expect("snapshot");
    let snapshot_time = started.elapsed();
    assert_eq!(snapshot.len(), DEVICES);
    let mut writes = std::pin::pin!(op.apply_each(&snapshot, &specs, in_flight));
    while let Some((i, result)) = writes.next().await {
        let (outcome, revision) = result.expect("apply_each");
        assert!(outcome.is_changed());
        acked.insert(specs[i].device.clone(), (revision, Instant::now()));
    }
    (snapshot_time, started.elapsed(), acked)
}

fn print_latencies(latencies: &[Duration]) {
    println!(
        "      ack -> converged status seen: p50 {:?}, p99 {:?}, max {:?}",
        percentile(latencies, 0.50),
        percentile(latencies, 0.99),
        latencies[latencies.len() - 1]
    );
}

/// `DEVICES` raw KV puts of `payload` under keys `<prefix><i>`, `in_flight` at once: the time.
async fn raw_puts(
    raw: &kv::Store,
    payload: &bytes::Bytes,
    prefix: &str,
    in_flight: usize,
) -> Duration {
    let started = Instant::now();
    let results: Vec<_> = futures_util::stream::iter(0..DEVICES)
        .map(|i| {
            let payload = payload.clone();
            async move { raw.put(format!("{prefix}{i}"), payload).await }
        })
        .buffer_unordered(in_flight)
        .collect()
        .await;
    assert!(results.iter().all(|r| r.is_ok()));
    started.elapsed()
}
