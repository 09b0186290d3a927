//! Benchmark, not a timed test (ignored by default; it asserts only that everything converged):
//!
//! ```text
//! cargo test --release -p harmony-fleet-tests --test fleet -- bench:: --ignored --nocapture
//! ```
//!
//! Publishes desired state for 10,000 simulated devices through `FleetStore::apply` (read +
//! compare-and-set write), measures the time to publish and the time until every device reports
//! converged (p50/p99 of per-device latency from the apply's acknowledgement to the status being
//! seen), and the raw async-nats KV put rate on the same server in the same run as the baseline.
//!
//! The simulated devices follow the agent's protocol without processes: one watcher over the
//! desired bucket that, for every value, writes that device's `converged` status at the value's
//! revision.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::support::*;
use async_nats::jetstream::{self, kv};
use futures_util::StreamExt;
use harmony_dsl::resource::{Workload, WorkloadRun};
use harmony_runtime::providers::nats::wire::{
    DeviceStatus, Phase, STATUS_BUCKET, decode_spec, encode_spec, now_ms, status_key,
};

const DEVICES: usize = 10_000;
const IN_FLIGHT: usize = 64;

/// Per device: the key, the revision and when it happened.
type Seen = HashMap<String, (String, u64, Instant)>;

fn device(i: usize) -> harmony_dsl::resource::DeviceSpec {
    spec(
        &format!("sim{i:05}"),
        vec![Workload {
            name: "probe".into(),
            run: WorkloadRun::Process {
                command: vec!["sleep".into(), "600".into()],
            },
            env: Default::default(),
        }],
    )
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
    let started = Instant::now();
    let results: Vec<_> = futures_util::stream::iter(0..DEVICES)
        .map(|i| {
            let raw = raw.clone();
            let payload = payload.clone();
            async move { raw.put(format!("k{i}"), payload).await }
        })
        .buffer_unordered(IN_FLIGHT)
        .collect()
        .await;
    let raw_time = started.elapsed();
    assert!(results.iter().all(|r| r.is_ok()));
    let raw_rate = DEVICES as f64 / raw_time.as_secs_f64();

    // Simulated devices: watch the desired bucket, report converged at each revision.
    let status = js
        .get_key_value(STATUS_BUCKET)
        .await
        .expect("status bucket");
    let desired = js.get_key_value("harmony-desired").await.expect("desired");
    let mut watch = desired.watch_all().await.expect("watch desired");
    let simulator = tokio::spawn(async move {
        while let Some(Ok(entry)) = watch.next().await {
            let Ok(spec) = decode_spec(&entry.value) else {
                continue;
            };
            let report = DeviceStatus {
                device: spec.device.clone(),
                phase: Phase::Converged,
                online: true,
                applied: [(entry.key.clone(), entry.revision)].into_iter().collect(),
                workloads: Vec::new(),
                heartbeat_ms: now_ms(),
                heartbeat_interval_ms: 5000,
                server: None,
            };
            let status = status.clone();
            tokio::spawn(async move {
                let bytes = serde_json::to_vec(&report).unwrap_or_default();
                let _ = status.put(status_key(&report.device), bytes.into()).await;
            });
        }
    });

    // The operator watches statuses and notes when each device first reports converged.
    let statuses = js.get_key_value(STATUS_BUCKET).await.expect("status");
    let mut status_watch = statuses.watch_all().await.expect("watch status");
    let observer = tokio::spawn(async move {
        let mut seen: Seen = HashMap::with_capacity(DEVICES);
        while seen.len() < DEVICES {
            let Some(Ok(entry)) = status_watch.next().await else {
                break;
            };
            let now = Instant::now();
            let Ok(report) = serde_json::from_slice::<DeviceStatus>(&entry.value) else {
                continue;
            };
            if let Some((key, revision)) = report.applied.into_iter().next() {
                seen.entry(report.device).or_insert((key, revision, now));
            }
        }
        seen
    });
    let acked: Arc<Mutex<Seen>> = Default::default();

    let started = Instant::now();
    let outcomes: Vec<()> = futures_util::stream::iter(0..DEVICES)
        .map(|i| {
            let op = op.clone();
            let acked = acked.clone();
            async move {
                let s = device(i);
                let (_, revision) = op.apply_with_revision(&s).await.expect("apply");
                let at = Instant::now();
                acked
                    .lock()
                    .unwrap()
                    .insert(s.device.clone(), (op.key(&s), revision, at));
            }
        })
        .buffer_unordered(IN_FLIGHT)
        .collect()
        .await;
    let publish_time = started.elapsed();
    assert_eq!(outcomes.len(), DEVICES);
    let fleet_rate = DEVICES as f64 / publish_time.as_secs_f64();

    let seen = tokio::time::timeout(Duration::from_secs(300), observer)
        .await
        .expect("all devices converge within 5 minutes")
        .expect("observer");
    let all_converged = seen
        .values()
        .map(|(_, _, at)| at.saturating_duration_since(started))
        .max()
        .unwrap_or_default();
    let acked = acked.lock().unwrap().clone();
    let mut latencies: Vec<Duration> = acked
        .iter()
        .filter_map(|(device, (key, revision, at))| {
            let (seen_key, seen_revision, seen_at) = seen.get(device)?;
            (seen_key == key && seen_revision == revision)
                .then(|| seen_at.saturating_duration_since(*at))
        })
        .collect();
    simulator.abort();
    assert_eq!(latencies.len(), DEVICES, "every device reported converged");
    latencies.sort();
    println!("fleet benchmark, {DEVICES} simulated devices, {IN_FLIGHT} in flight");
    println!(
        "  raw KV put baseline: {:.0} puts/s ({:?} for {DEVICES})",
        raw_rate, raw_time
    );
    println!(
        "  NatsFleet publish (read + compare-and-set): {:.0} devices/s ({:?})",
        fleet_rate, publish_time
    );
    println!("  ratio raw/publish: {:.2}", raw_rate / fleet_rate);
    println!(
        "  all converged after {:?} from the first apply",
        all_converged
    );
    println!(
        "  per-device latency ack -> converged status seen: p50 {:?}, p99 {:?}, max {:?}",
        percentile(&latencies, 0.50),
        percentile(&latencies, 0.99),
        latencies[latencies.len() - 1]
    );
}
