//! Benchmark, not a timed test (ignored by default; it asserts only that the rollout finished):
//!
//! ```text
//! cargo test --release -p harmony-fleet-tests --test fleet -- rollout_bench --ignored --nocapture
//! ```
//!
//! A rollout across 1,000 simulated devices in a canary and 4 waves, every device required to
//! stay healthy for `HEALTHY_FOR` before it is done. The ideal wall time is `HEALTHY_FOR` ×
//! stages (nothing but the health checks); the figure printed is the measured time against it.
//! The simulated devices follow the agent's protocol without processes: one watcher over the
//! desired bucket that, for every value, writes that device's converged status at the value's
//! revision, with a running workload.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crate::support::*;
use async_nats::jetstream;
use futures_util::StreamExt;
use harmony_dsl::resource::{DeviceSpec, Workload, WorkloadRun};
use harmony_dsl::rollout::{Canary, RolloutGroup, RolloutPolicy};
use harmony_runtime::providers::nats::rollout::{
    DeviceState, RolloutPhase, RolloutTarget, Rollouts,
};
use harmony_runtime::providers::nats::wire::WorkloadState;

const DEVICES: usize = 1_000;
const HEALTHY_FOR: Duration = Duration::from_secs(2);

fn device(i: usize, version: &str) -> DeviceSpec {
    spec(
        &format!("sim{i:04}"),
        vec![Workload {
            name: "probe".into(),
            run: WorkloadRun::Process {
                command: vec!["sleep".into(), version.into()],
            },
            env: Default::default(),
        }],
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: run with --ignored --nocapture"]
async fn rollout_across_a_thousand_simulated_devices_in_a_canary_and_four_waves() {
    let dir = TempDir::new("rollout-bench");
    let server = NatsServer::start(dir.path());
    let url = server.url();
    let op = operator(&url).await;
    let client = async_nats::connect(&url).await.expect("connect");
    let js = jetstream::new(client);

    // Simulated devices: every desired value is reported converged and running at once.
    let simulator = tokio::spawn(simulate_devices(js, |_| WorkloadState::Running));

    // Version 1 everywhere, written directly.
    let v1: Vec<DeviceSpec> = (0..DEVICES).map(|i| device(i, "600")).collect();
    let results: Vec<_> = futures_util::stream::iter(&v1)
        .map(|s| op.apply(s))
        .buffer_unordered(64)
        .collect()
        .await;
    assert!(results.iter().all(Result::is_ok));

    let names: Vec<String> = v1.iter().map(|s| s.device.clone()).collect();
    let target = RolloutTarget {
        score: "probe".into(),
        policy: RolloutPolicy {
            group: RolloutGroup::Devices(names),
            canary: Canary::Percent(1),
            waves: 4,
            max_unavailable: DEVICES as u32,
            failure_threshold: 10,
            healthy_for: format!("{}ms", HEALTHY_FOR.as_millis())
                .parse()
                .expect("duration"),
            timeout: "5m".parse().expect("duration"),
        },
        specs: (0..DEVICES).map(|i| device(i, "601")).collect(),
        labels: BTreeMap::new(),
    };
    let rollouts = Rollouts::new(op.clone()).await.expect("rollouts");
    let stage_times = std::sync::Mutex::new(Vec::new());
    let started = Instant::now();
    let report = rollouts
        .run(&target, &|line| {
            if line.ends_with("devices)") {
                stage_times
                    .lock()
                    .expect("times")
                    .push((line.to_string(), started.elapsed()));
            }
        })
        .await
        .expect("rollout");
    let wall = started.elapsed();
    simulator.abort();
    assert_eq!(report.view.record.phase, RolloutPhase::Done);
    assert_eq!(report.view.count(DeviceState::Done), DEVICES);

    let stages = report.view.record.stages.len();
    let ideal = HEALTHY_FOR * stages as u32;
    println!(
        "rollout benchmark: {DEVICES} simulated devices, {stages} stages ({}), healthy_for {HEALTHY_FOR:?}",
        report
            .view
            .record
            .stages
            .iter()
            .map(|s| format!("{} {}", s.name, s.devices.len()))
            .collect::<Vec<_>>()
            .join(", ")
    );
    for (line, at) in stage_times.lock().expect("times").iter() {
        println!("  {at:>10.2?}  {line}");
    }
    println!(
        "  wall {wall:.2?} against the ideal {ideal:?} (healthy_for x stages): ratio {:.2}",
        wall.as_secs_f64() / ideal.as_secs_f64()
    );
}
