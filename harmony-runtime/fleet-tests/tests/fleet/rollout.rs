//! Staged rollouts against a real nats-server and real agents running process workloads: the
//! order of stages (read from the revisions the rollout wrote, not from timing), a failing
//! canary, a failure in a later wave, an operator killed mid-rollout, two operators at once, and
//! a device that stays offline.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use crate::support::*;
use harmony_dsl::ErrorKind;
use harmony_dsl::resource::{DeviceSpec, EnvValue, Workload, WorkloadRun};
use harmony_dsl::rollout::{Canary, RolloutGroup, RolloutPolicy};
use harmony_runtime::providers::nats::FleetStore;
use harmony_runtime::providers::nats::rollout::{
    DeviceState, RolloutPhase, RolloutTarget, RolloutView, Rollouts,
};
use harmony_runtime::providers::nats::wire::encode_spec;

/// A fleet of `n` devices `d1..dn`, each with an agent, all converged at version `v1`.
struct Fleet {
    dir: TempDir,
    _server: NatsServer,
    url: String,
    store: FleetStore,
    agents: BTreeMap<String, Agent>,
    v1_revisions: BTreeMap<String, u64>,
}

fn names(n: usize) -> Vec<String> {
    (1..=n).map(|i| format!("d{i}")).collect()
}

fn marker(dir: &Path, device: &str) -> std::path::PathBuf {
    dir.join(format!("{device}.marker"))
}

/// A workload that records `tag` in the device's marker file, then runs, or exits at once
/// with status 3 when `crashes`.
fn workload(dir: &Path, device: &str, tag: &str, crashes: bool) -> Workload {
    if !crashes {
        return marker_workload("app", &marker(dir, device), tag);
    }
    let mut env = BTreeMap::new();
    env.insert(
        "MARKER".to_string(),
        EnvValue::Plain(marker(dir, device).display().to_string()),
    );
    env.insert("TAG".to_string(), EnvValue::Plain(tag.to_string()));
    Workload {
        name: "app".to_string(),
        run: WorkloadRun::Process {
            command: vec![
                "sh".into(),
                "-c".into(),
                "echo \"$TAG\" >> \"$MARKER\"; exit 3".into(),
            ],
        },
        env,
    }
}

impl Fleet {
    /// Starts the server and agents for every device but those in `offline`, and converges
    /// the online ones at `v1` (the offline ones get `v1` written too).
    async fn start(tag: &str, n: usize, offline: &[&str]) -> Fleet {
        let dir = TempDir::new(tag);
        let server = NatsServer::start(dir.path());
        let url = server.url();
        let store = operator(&url).await;
        let mut agents = BTreeMap::new();
        let mut v1_revisions = BTreeMap::new();
        for device in names(n) {
            let v1 = spec(&device, vec![workload(dir.path(), &device, "v1", false)]);
            let (_, revision) = store.apply_with_revision(&v1).await.expect("write v1");
            v1_revisions.insert(device.clone(), revision);
            if !offline.contains(&device.as_str()) {
                let agent = Agent::start(&url, &device, &dir.path().join(&device), &[]);
                agents.insert(device.clone(), agent);
            }
        }
        for device in agents.keys() {
            let key = store.key(&spec(
                device,
                vec![workload(dir.path(), device, "v1", false)],
            ));
            converged(&store, device, &key, v1_revisions[device]).await;
        }
        Fleet {
            dir,
            _server: server,
            url,
            store,
            agents,
            v1_revisions,
        }
    }

    fn v1(&self, device: &str) -> DeviceSpec {
        spec(device, vec![workload(self.dir.path(), device, "v1", false)])
    }

    /// Version `v2` of every device; those in `crashing` exit at once.
    fn target(&self, n: usize, policy: RolloutPolicy, crashing: &[&str]) -> RolloutTarget {
        RolloutTarget {
            score: "app".to_string(),
            policy,
            specs: names(n)
                .iter()
                .map(|d| {
                    spec(
                        d,
                        vec![workload(
                            self.dir.path(),
                            d,
                            "v2",
                            crashing.contains(&d.as_str()),
                        )],
                    )
                })
                .collect(),
            labels: BTreeMap::new(),
        }
    }

    async fn rollouts(&self, lease: Duration) -> Rollouts {
        Rollouts::new(operator(&self.url).await)
            .await
            .expect("rollouts bucket")
            .lease(lease)
    }

    /// The bytes now stored for `device`'s key.
    async fn stored(&self, device: &str) -> Option<(u64, Vec<u8>)> {
        self.store
            .entry(&self.v1(device))
            .await
            .expect("read")
            .map(|(r, b)| (r, b.to_vec()))
    }

    /// How many revisions `device`'s key has had (the bucket keeps 5).
    async fn writes(&self, device: &str) -> usize {
        desired_writes(&self.url, &self.store.key(&self.v1(device))).await
    }
}

fn policy(
    group: usize,
    canary: u32,
    waves: u32,
    max_unavailable: u32,
    threshold: u32,
) -> RolloutPolicy {
    RolloutPolicy {
        group: RolloutGroup::Devices(names(group)),
        canary: if canary == 0 {
            Canary::None
        } else {
            Canary::Devices(canary)
        },
        waves,
        max_unavailable,
        failure_threshold: threshold,
        healthy_for: "1s".parse().expect("duration"),
        timeout: "30s".parse().expect("duration"),
    }
}

/// Progress lines, kept for the assertions' messages.
#[derive(Default)]
struct Lines(Mutex<Vec<String>>);

impl Lines {
    fn push(&self, line: &str) {
        self.0.lock().expect("lines").push(line.to_string());
    }

    fn all(&self) -> String {
        self.0.lock().expect("lines").join("\n")
    }
}

/// Every stage's new revisions are above every earlier stage's: the order the rollout wrote
/// them in, read from the server's sequence rather than from timing.
pub(crate) fn assert_stages_in_order(view: &RolloutView) {
    let mut highest_before = 0;
    for stage in &view.record.stages {
        let revisions: Vec<u64> = stage
            .devices
            .iter()
            .map(|d| view.devices[d].new_revision.expect("written"))
            .collect();
        let lowest = *revisions.iter().min().expect("devices");
        assert!(
            lowest > highest_before,
            "{} was written before an earlier stage was done: {view:?}",
            stage.name
        );
        highest_before = *revisions.iter().max().expect("devices");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_healthy_rollout_goes_canary_then_waves_in_order_and_is_not_repeated() {
    let fleet = Fleet::start("rollout-healthy", 5, &[]).await;
    let rollouts = fleet.rollouts(Duration::from_secs(15)).await;
    let target = fleet.target(5, policy(5, 1, 2, 2, 1), &[]);
    let lines = Lines::default();
    let report = rollouts
        .run(&target, &|l| lines.push(l))
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", lines.all()));
    let view = &report.view;
    assert_eq!(view.record.phase, RolloutPhase::Done, "{}", lines.all());
    let stages: Vec<(&str, usize)> = view
        .record
        .stages
        .iter()
        .map(|s| (s.name.as_str(), s.devices.len()))
        .collect();
    assert_eq!(stages, [("canary", 1), ("wave 1", 2), ("wave 2", 2)]);
    assert_eq!(view.count(DeviceState::Done), 5, "{view:?}");
    assert_stages_in_order(view);
    for device in names(5) {
        let lines = marker_lines(&marker(fleet.dir.path(), &device));
        assert_eq!(lines, ["v1", "v2"], "{device}");
        assert_eq!(
            view.devices[&device].previous_revision,
            Some(fleet.v1_revisions[&device])
        );
    }
    assert!(
        view.summary()
            .starts_with("done at all 3 stages; 5 done, 0 failed"),
        "{}",
        view.summary()
    );

    // The same version again, by another operator: nothing is written.
    let again = fleet
        .rollouts(Duration::from_secs(15))
        .await
        .run(&target, &|_| {})
        .await
        .expect("second run");
    assert!(!again.acted);
    for device in names(5) {
        assert_eq!(fleet.writes(&device).await, 2, "{device} written twice");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_canary_halts_and_rolls_back_and_abort_ends_it() {
    let fleet = Fleet::start("rollout-canary", 3, &[]).await;
    let rollouts = fleet.rollouts(Duration::from_secs(15)).await;
    let target = fleet.target(3, policy(3, 1, 1, 2, 1), &["d1"]);
    let lines = Lines::default();
    let report = rollouts
        .run(&target, &|l| lines.push(l))
        .await
        .expect("run");
    let view = &report.view;
    assert_eq!(view.record.phase, RolloutPhase::Halted, "{}", lines.all());
    assert_eq!(view.state("d1"), DeviceState::Failed);
    let reason = view.devices["d1"].reason.clone().unwrap_or_default();
    assert!(
        reason.contains("exited") && reason.contains("rolled back"),
        "{reason}"
    );
    assert!(
        view.summary().contains("harmony rollout resume app"),
        "{}",
        view.summary()
    );
    // d1 has v1's bytes again (a new revision); d2 and d3 were never touched.
    let (_, bytes) = fleet.stored("d1").await.expect("d1 key");
    assert_eq!(bytes, encode_spec(&fleet.v1("d1")));
    for device in ["d2", "d3"] {
        assert_eq!(view.state(device), DeviceState::Pending);
        let (revision, _) = fleet.stored(device).await.expect("key");
        assert_eq!(revision, fleet.v1_revisions[device], "{device} was written");
    }
    // Its agent runs v1 again.
    eventually("d1 to run v1 again", || async {
        let lines = marker_lines(&marker(fleet.dir.path(), "d1"));
        (lines.last().map(String::as_str) == Some("v1") && lines.len() >= 3).then_some(())
    })
    .await;

    // A halted rollout is not started again by a plain run.
    let refused = rollouts.run(&target, &|_| {}).await.expect_err("halted");
    assert!(refused.message().contains("halted at canary"), "{refused}");
    assert!(
        refused.message().contains("harmony rollout abort app"),
        "{refused}"
    );

    let aborted = rollouts.abort("app", &|_| {}).await.expect("abort");
    assert_eq!(aborted.view.record.phase, RolloutPhase::Aborted);
    let again = rollouts
        .abort("app", &|_| {})
        .await
        .expect_err("already aborted");
    assert!(again.message().contains("nothing to abort"), "{again}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_later_wave_over_the_threshold_rolls_back_failed_and_in_flight_devices_and_keeps_done_ones()
 {
    let fleet = Fleet::start("rollout-wave", 5, &[]).await;
    let rollouts = fleet.rollouts(Duration::from_secs(15)).await;
    // canary d1, wave 1 d2 d3, wave 2 d4 d5 (both at once): d4 crashes, d5 is healthy but
    // needs 4 s of health, so it is in flight when d4 fails.
    let mut p = policy(5, 1, 2, 2, 1);
    p.healthy_for = "4s".parse().expect("duration");
    let target = fleet.target(5, p, &["d4"]);
    let lines = Lines::default();
    let report = rollouts
        .run(&target, &|l| lines.push(l))
        .await
        .expect("run");
    let view = &report.view;
    assert_eq!(view.record.phase, RolloutPhase::Halted, "{}", lines.all());
    assert_eq!(view.record.stage_name(), "wave 2");
    for device in ["d1", "d2", "d3"] {
        assert_eq!(view.state(device), DeviceState::Done, "{}", lines.all());
        let (_, bytes) = fleet.stored(device).await.expect("key");
        assert_eq!(
            bytes,
            encode_spec(&target.specs[device[1..].parse::<usize>().unwrap() - 1])
        );
    }
    assert_eq!(view.state("d4"), DeviceState::Failed, "{}", lines.all());
    assert_eq!(view.state("d5"), DeviceState::RolledBack, "{}", lines.all());
    for device in ["d4", "d5"] {
        let (_, bytes) = fleet.stored(device).await.expect("key");
        assert_eq!(
            bytes,
            encode_spec(&fleet.v1(device)),
            "{device} not rolled back"
        );
    }
    let reason = view.record.reason.clone().unwrap_or_default();
    assert!(
        reason.contains("1 devices failed, threshold 1")
            && reason.contains("d4:")
            && reason.contains("rolled back in flight: d5"),
        "{reason}"
    );

    // Resume after "fixing" nothing: d4 fails again, d5 is tried again too.
    let resumed = rollouts
        .resume(&target, &|l| lines.push(l))
        .await
        .expect("resume");
    assert_eq!(resumed.view.record.phase, RolloutPhase::Halted);
    assert_eq!(resumed.view.state("d1"), DeviceState::Done);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_killed_mid_rollout_is_continued_by_another_without_writing_twice() {
    let fleet = Fleet::start("rollout-killed", 4, &[]).await;
    let target = fleet.target(4, policy(4, 1, 3, 1, 1), &[]);
    let first = fleet.rollouts(Duration::from_secs(2)).await;
    let watcher = fleet.rollouts(Duration::from_secs(2)).await;
    let driving = {
        let target = target.clone();
        tokio::spawn(async move { first.run(&target, &|_| {}).await })
    };
    // Killed once wave 1's device is in flight: no cleanup of any kind.
    eventually("wave 1 to be in flight", || async {
        let view = watcher.view("app").await.ok().flatten()?;
        (view.state("d2") == DeviceState::InFlight).then_some(())
    })
    .await;
    driving.abort();
    let _ = driving.await;

    let second = fleet.rollouts(Duration::from_secs(2)).await;
    let lines = Lines::default();
    // Refused while the dead operator's claim holds, then continued.
    let report = eventually("the second operator to take over", || async {
        match second.run(&target, &|l| lines.push(l)).await {
            Ok(report) => Some(report),
            Err(e) if e.kind() == ErrorKind::Conflict => None,
            Err(e) => panic!("{e}"),
        }
    })
    .await;
    assert_eq!(
        report.view.record.phase,
        RolloutPhase::Done,
        "{}",
        lines.all()
    );
    assert!(
        lines.all().contains("continuing at wave 1"),
        "{}",
        lines.all()
    );
    assert_stages_in_order(&report.view);
    for device in names(4) {
        assert_eq!(fleet.writes(&device).await, 2, "{device} written twice");
        assert_eq!(
            marker_lines(&marker(fleet.dir.path(), &device)),
            ["v1", "v2"],
            "{device}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn of_two_operators_at_once_one_drives_and_the_other_is_refused() {
    let fleet = Fleet::start("rollout-two", 3, &[]).await;
    let target = fleet.target(3, policy(3, 1, 2, 1, 1), &[]);
    let first = fleet.rollouts(Duration::from_secs(15)).await;
    let second = fleet.rollouts(Duration::from_secs(15)).await;
    let (a, b) = tokio::join!(first.run(&target, &|_| {}), async {
        // Let the first one claim it.
        eventually("the rollout to exist", || async {
            second.view("app").await.ok().flatten().map(|_| ())
        })
        .await;
        second.run(&target, &|_| {}).await
    });
    let a = a.expect("the first operator drives it");
    assert_eq!(a.view.record.phase, RolloutPhase::Done);
    let refused = b.expect_err("the second operator is refused");
    assert_eq!(refused.kind(), ErrorKind::Conflict);
    assert!(
        refused.message().contains("is being driven by operator"),
        "{refused}"
    );
    assert!(
        refused.message().contains("harmony rollout status"),
        "{refused}"
    );
    for device in names(3) {
        assert_eq!(fleet.writes(&device).await, 2, "{device} written twice");
    }
    // Once done, the second one finds nothing to do.
    assert!(!second.run(&target, &|_| {}).await.expect("done").acted);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_offline_for_the_whole_rollout_fails_at_its_timeout_and_status_says_why() {
    let fleet = Fleet::start("rollout-offline", 3, &["d3"]).await;
    assert!(!fleet.agents.contains_key("d3"));
    let rollouts = fleet.rollouts(Duration::from_secs(15)).await;
    let mut p = policy(3, 1, 1, 2, 1);
    p.timeout = "3s".parse().expect("duration");
    let target = fleet.target(3, p, &[]);
    let report = rollouts.run(&target, &|_| {}).await.expect("run");
    let view = &report.view;
    assert_eq!(view.record.phase, RolloutPhase::Halted);
    assert_eq!(view.state("d1"), DeviceState::Done);
    assert_eq!(view.state("d2"), DeviceState::Done);
    assert_eq!(view.state("d3"), DeviceState::Failed);
    let lines = view.stage_lines();
    assert!(
        lines[1].contains("d3 failed (not healthy after 3s: its agent has never reported"),
        "{lines:?}"
    );
    // Its key holds v1 again, for when it comes back.
    let (_, bytes) = fleet.stored("d3").await.expect("key");
    assert_eq!(bytes, encode_spec(&fleet.v1("d3")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attack_a_secret_in_the_new_or_previous_state_is_in_no_progress_line_status_or_reason() {
    const SECRET: &str = "s3cr3t-rollout-value";
    let fleet = Fleet::start("rollout-secret", 2, &[]).await;
    let rollouts = fleet.rollouts(Duration::from_secs(15)).await;
    let mut target = fleet.target(2, policy(2, 1, 1, 1, 1), &["d1"]);
    for spec in &mut target.specs {
        spec.workloads[0]
            .env
            .insert("TOKEN".to_string(), EnvValue::Plain(SECRET.to_string()));
    }
    let lines = Lines::default();
    let report = rollouts
        .run(&target, &|l| lines.push(l))
        .await
        .expect("run");
    assert_eq!(report.view.record.phase, RolloutPhase::Halted);
    let mut shown = lines.all();
    shown.push_str(&report.view.summary());
    shown.push_str(&report.view.stage_lines().join("\n"));
    shown.push_str(&format!("{:?}", report.view.record));
    for line in harmony_runtime::providers::nats::rollout::status_lines(&fleet.store)
        .await
        .expect("status")
    {
        shown.push_str(&format!("{} {} {}", line.subject, line.state, line.detail));
    }
    assert!(!shown.contains(SECRET), "{shown}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_under_the_threshold_end_done_with_the_failed_devices_rolled_back_and_listed() {
    let fleet = Fleet::start("rollout-under", 4, &[]).await;
    let rollouts = fleet.rollouts(Duration::from_secs(15)).await;
    // canary d1, wave 1 d2 (crashes) and d3, wave 2 d4; a threshold of 2 tolerates one failure.
    let target = fleet.target(4, policy(4, 1, 2, 2, 2), &["d2"]);
    let lines = Lines::default();
    let report = rollouts
        .run(&target, &|l| lines.push(l))
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", lines.all()));
    let view = &report.view;
    assert_eq!(view.record.phase, RolloutPhase::Done, "{}", lines.all());
    assert_eq!(view.state("d2"), DeviceState::Failed, "{}", lines.all());
    for device in ["d1", "d3", "d4"] {
        assert_eq!(view.state(device), DeviceState::Done, "{}", lines.all());
    }
    assert!(
        view.summary()
            .starts_with("done at all 3 stages; 3 done, 1 failed, 0 rolled back"),
        "{}",
        view.summary()
    );
    let stages = view.stage_lines();
    assert!(
        stages[1].starts_with("wave 1: d2 failed (workload `app` exited")
            && stages[1].ends_with("; rolled back), d3 done"),
        "{stages:?}"
    );
    // d2 is back at v1 and its agent runs it again; the others run v2.
    let (_, bytes) = fleet.stored("d2").await.expect("d2 key");
    assert_eq!(bytes, encode_spec(&fleet.v1("d2")));
    eventually("d2 to run v1 again", || async {
        let lines = marker_lines(&marker(fleet.dir.path(), "d2"));
        (lines.last().map(String::as_str) == Some("v1") && lines.len() >= 3).then_some(())
    })
    .await;
    for device in ["d1", "d3", "d4"] {
        assert_eq!(
            marker_lines(&marker(fleet.dir.path(), device)),
            ["v1", "v2"],
            "{device}"
        );
    }
    // Done stays done for a plain run; resume tries d2 alone again (it still crashes).
    assert!(!rollouts.run(&target, &|_| {}).await.expect("run").acted);
    let resumed = rollouts
        .resume(&target, &|l| lines.push(l))
        .await
        .expect("resume");
    assert_eq!(
        resumed.view.record.phase,
        RolloutPhase::Done,
        "{}",
        lines.all()
    );
    assert_eq!(resumed.view.state("d2"), DeviceState::Failed);
    // v1, v2, v1 (rolled back), v2 again, v1 again.
    assert_eq!(fleet.writes("d2").await, 5, "{}", lines.all());
    for device in ["d1", "d3", "d4"] {
        assert_eq!(fleet.writes(device).await, 2, "{device} written again");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_changed_by_someone_else_mid_stage_fails_that_device_alone_and_keeps_their_value() {
    let fleet = Fleet::start("rollout-changed", 3, &[]).await;
    // canary d1, then one wave of d2 and d3 one at a time, read in one snapshot when the wave
    // starts: d3's key changes while d2 is in flight, after that read.
    let mut p = policy(3, 1, 1, 1, 2);
    p.healthy_for = "5s".parse().expect("duration");
    let target = fleet.target(3, p, &[]);
    let driver = fleet.rollouts(Duration::from_secs(15)).await;
    let watcher = fleet.rollouts(Duration::from_secs(15)).await;
    let lines = std::sync::Arc::new(Lines::default());
    let driving = {
        let (target, lines) = (target.clone(), lines.clone());
        tokio::spawn(async move { driver.run(&target, &|l| lines.push(l)).await })
    };
    eventually("d2 to be in flight", || async {
        let view = watcher.view("app").await.ok().flatten()?;
        (view.state("d2") == DeviceState::InFlight).then_some(())
    })
    .await;
    let theirs = spec(
        "d3",
        vec![workload(fleet.dir.path(), "d3", "theirs", false)],
    );
    fleet
        .store
        .apply(&theirs)
        .await
        .expect("someone else writes d3");

    let report = driving
        .await
        .expect("the rollout task")
        .unwrap_or_else(|e| panic!("{e}\n{}", lines.all()));
    let view = &report.view;
    assert_eq!(view.record.phase, RolloutPhase::Done, "{}", lines.all());
    assert_eq!(view.state("d1"), DeviceState::Done, "{}", lines.all());
    assert_eq!(view.state("d2"), DeviceState::Done, "{}", lines.all());
    assert_eq!(view.state("d3"), DeviceState::Failed, "{}", lines.all());
    let reason = view.devices["d3"].reason.clone().unwrap_or_default();
    assert!(
        reason.contains("changed by someone else during the rollout; not written"),
        "{reason}"
    );
    // Their value stays: v1, then theirs, nothing from the rollout.
    let (_, bytes) = fleet.stored("d3").await.expect("d3 key");
    assert_eq!(bytes, encode_spec(&theirs));
    assert_eq!(fleet.writes("d3").await, 2, "{}", lines.all());
}
