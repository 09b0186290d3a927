//! Staged rollouts through the front end: the `rollout_fleet` example program (`topology!`,
//! `score!`, an `EdgeService` whose `rollout!` policy says canary 1, two waves of two, failure
//! threshold 2) run as an operator runs it (`apply`, `status`, `rollout resume`, `rollout
//! abort`) against a real nats-server and five simulated devices
//! ([`simulate_devices`](crate::support::simulate_devices)) whose workload fails on the images a
//! test names.

use std::collections::BTreeSet;
use std::process::Command;
use std::sync::{Arc, Mutex};

use crate::common;
use crate::rollout::assert_stages_in_order;
use crate::support::*;
use harmony_dsl::resource::{Workload, WorkloadRun};
use harmony_runtime::providers::nats::FleetStore;
use harmony_runtime::providers::nats::rollout::{DeviceState, RolloutPhase, RolloutView, Rollouts};
use harmony_runtime::providers::nats::wire::{WorkloadState, decode_spec};

const SCORE: &str = "vision";
const DEVICES: [&str; 5] = ["cam1", "cam2", "cam3", "cam4", "cam5"];
const V1: &str = "registry.example.com/factory/vision:1.0";
const V2: &str = "registry.example.com/factory/vision:2.0";

/// A nats-server, five simulated cameras, and the program's state directory.
struct Site {
    dir: TempDir,
    server: NatsServer,
    store: FleetStore,
    /// (device, image) whose workload fails.
    failing: Arc<Mutex<BTreeSet<(String, String)>>>,
    simulator: tokio::task::JoinHandle<()>,
}

impl Drop for Site {
    fn drop(&mut self) {
        self.simulator.abort();
    }
}

/// What one run of the program printed.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

fn image_of(run: &WorkloadRun) -> String {
    match run {
        WorkloadRun::Container { image } => image.to_string(),
        other => panic!("an EdgeService runs containers, not {other:?}"),
    }
}

impl Site {
    async fn start(tag: &str) -> Site {
        let dir = TempDir::new(tag);
        let server = NatsServer::start(dir.path());
        // Creates the buckets the simulated devices watch and report into.
        let store = operator(&server.url()).await;
        let client = async_nats::connect(server.url()).await.expect("connect");
        let failing: Arc<Mutex<BTreeSet<(String, String)>>> = Arc::default();
        let fails = Arc::clone(&failing);
        let simulator = tokio::spawn(simulate_devices(
            async_nats::jetstream::new(client),
            move |spec| {
                let image = image_of(&spec.workloads[0].run);
                let fails = fails.lock().expect("failing");
                if fails.contains(&(spec.device.clone(), image)) {
                    WorkloadState::BackingOff
                } else {
                    WorkloadState::Running
                }
            },
        ));
        Site {
            dir,
            server,
            store,
            failing,
            simulator,
        }
    }

    /// From now on, `devices` fail on `image`.
    fn fail(&self, devices: &[&str], image: &str) {
        let mut failing = self.failing.lock().expect("failing");
        failing.extend(devices.iter().map(|d| (d.to_string(), image.to_string())));
    }

    /// From now on, every device runs every image.
    fn heal(&self) {
        self.failing.lock().expect("failing").clear();
    }

    /// The program with `args`, `image` as its configured image.
    fn command(&self, image: &str, args: &[&str]) -> Command {
        let mut cmd = Command::new(common::example("rollout_fleet"));
        cmd.env("HARMONY_CAMERAS_FLEET_URL", self.server.url())
            .env("HARMONY_CONFIG_IMAGE", image)
            .env("HARMONY_STATE_DIR", self.dir.path())
            .env_remove("RUST_LOG")
            .current_dir(self.dir.path())
            .args(args);
        cmd
    }

    /// Runs the program with `args`, `image` as its configured image.
    async fn harmony(&self, image: &str, args: &[&str]) -> Run {
        run_to_end(self.command(image, args)).await
    }

    async fn view(&self) -> RolloutView {
        Rollouts::new(self.store.clone())
            .await
            .expect("rollouts bucket")
            .view(SCORE)
            .await
            .expect("read the rollout")
            .expect("a rollout of `vision`")
    }

    fn spec(device: &str) -> harmony_dsl::resource::DeviceSpec {
        spec(
            device,
            vec![Workload {
                name: SCORE.to_string(),
                run: WorkloadRun::Container {
                    image: V1.parse().expect("image"),
                },
                env: Default::default(),
            }],
        )
    }

    /// The image `device`'s desired state holds now.
    async fn stored_image(&self, device: &str) -> String {
        let (_, bytes) = self
            .store
            .entry(&Self::spec(device))
            .await
            .expect("read")
            .unwrap_or_else(|| panic!("{device} has no desired state"));
        let spec = decode_spec(&bytes).expect("a desired state");
        image_of(&spec.workloads[0].run)
    }

    /// Every device's image, in order.
    async fn images(&self) -> Vec<String> {
        let mut images = Vec::new();
        for device in DEVICES {
            images.push(self.stored_image(device).await);
        }
        images
    }

    /// How many values `device`'s key has had (the bucket keeps 5).
    async fn writes(&self, device: &str) -> usize {
        desired_writes(&self.server.url(), &self.store.key(&Self::spec(device))).await
    }

    /// `apply` of version 1, on healthy devices: every device at `V1`.
    async fn at_v1(&self) {
        let run = self.harmony(V1, &["apply"]).await;
        assert_eq!(run.code, 0, "{run}");
        assert_eq!(self.images().await, [V1; 5], "{run}");
    }
}

/// Runs `cmd` to its end.
async fn run_to_end(mut cmd: Command) -> Run {
    let (code, stdout, stderr) = tokio::task::spawn_blocking(move || common::run(&mut cmd))
        .await
        .expect("the program ran");
    Run {
        code,
        stdout,
        stderr,
    }
}

/// `line`s of `text` in this order.
fn assert_in_order(text: &str, lines: &[&str]) {
    let mut from = 0;
    for line in lines {
        match text[from..].find(line) {
            Some(at) => from += at + line.len(),
            None => panic!("`{line}` missing or out of order in:\n{text}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_rolls_out_canary_then_waves_in_order_shows_it_in_status_and_does_not_repeat_it() {
    let site = Site::start("rollout-cli-healthy").await;
    site.at_v1().await;

    let run = site.harmony(V2, &["apply"]).await;
    assert_eq!(run.code, 0, "{run}");
    assert_in_order(
        &run.stderr,
        &[
            "rollout vision: started (canary 1, wave 1 2, wave 2 2)",
            "rollout vision: canary done (1 devices)",
            "rollout vision: wave 1 done (2 devices)",
            "rollout vision: wave 2 done (2 devices)",
            "rollout vision: done",
        ],
    );
    let view = site.view().await;
    assert_eq!(view.record.phase, RolloutPhase::Done, "{run}");
    assert_eq!(view.count(DeviceState::Done), 5, "{view:?}");
    assert_stages_in_order(&view);
    assert_eq!(site.images().await, [V2; 5]);
    let status = site.harmony(V2, &["status"]).await;
    assert_eq!(status.code, 0, "{status}");
    assert!(
        status
            .stdout
            .contains("rollout vision  done  done at all 3 stages; 5 done"),
        "{status}"
    );

    // The same version again: nothing is written.
    let writes: Vec<usize> = futures_util::future::join_all(DEVICES.map(|d| site.writes(d))).await;
    let again = site.harmony(V2, &["apply"]).await;
    assert_eq!(again.code, 0, "{again}");
    let after: Vec<usize> = futures_util::future::join_all(DEVICES.map(|d| site.writes(d))).await;
    assert_eq!(writes, after, "a done rollout was written again:\n{again}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_failing_under_the_threshold_is_rolled_back_and_listed_and_the_rollout_ends_done()
{
    let site = Site::start("rollout-cli-under").await;
    site.at_v1().await;
    site.fail(&["cam3"], V2);

    let run = site.harmony(V2, &["apply"]).await;
    assert_in_order(&run.stderr, &["wave 1 cam3 failed", "rollout vision: done"]);
    // The failed device's step fails the apply; every other device is reported done, none
    // skipped for it.
    assert_eq!(run.code, 1, "{run}");
    assert!(
        run.stdout
            .contains("device `cam3` failed in the wave 1 of the rollout"),
        "{run}"
    );
    assert!(!run.stdout.contains("skipped: step"), "{run}");
    assert!(
        run.stdout
            .contains("4 changed, 0 unchanged, 1 failed, 0 skipped"),
        "{run}"
    );
    let view = site.view().await;
    assert_eq!(view.record.phase, RolloutPhase::Done, "{run}");
    assert_eq!(view.state("cam3"), DeviceState::Failed, "{view:?}");
    assert_eq!(view.count(DeviceState::Done), 4, "{view:?}");
    assert_eq!(site.images().await, [V2, V2, V1, V2, V2], "{run}");
    let status = site.harmony(V2, &["status"]).await;
    assert!(
        status
            .stdout
            .contains("rollout vision  done  done at all 3 stages; 4 done, 1 failed")
            && status.stdout.contains(
                "cam3 failed (workload `vision` exited: simulated: exit status 3; rolled back)"
            ),
        "{status}"
    );

    // Fixed: `rollout resume` tries the failed device again, and only it.
    site.heal();
    let writes: Vec<usize> = futures_util::future::join_all(DEVICES.map(|d| site.writes(d))).await;
    let resume = site.harmony(V2, &["rollout", "resume", SCORE]).await;
    assert_eq!(resume.code, 0, "{resume}");
    assert_eq!(site.images().await, [V2; 5], "{resume}");
    let view = site.view().await;
    assert_eq!(view.record.phase, RolloutPhase::Done, "{resume}");
    assert_eq!(view.count(DeviceState::Done), 5, "{view:?}");
    let after: Vec<usize> = futures_util::future::join_all(DEVICES.map(|d| site.writes(d))).await;
    assert_eq!(after[2], writes[2] + 1, "cam3 written once more");
    for i in [0, 1, 3, 4] {
        assert_eq!(
            after[i], writes[i],
            "{} written again:\n{resume}",
            DEVICES[i]
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_the_threshold_apply_halts_is_refused_again_and_rollout_resume_finishes_it() {
    let site = Site::start("rollout-cli-halt").await;
    site.at_v1().await;
    // The canary fails (1 of 2), then wave 1 fails: the threshold is reached there.
    site.fail(&["cam1", "cam2", "cam3"], V2);

    let run = site.harmony(V2, &["apply"]).await;
    assert_eq!(run.code, 1, "{run}");
    assert_in_order(
        &run.stderr,
        &[
            "canary cam1 failed",
            "canary done",
            "rollout vision: halted",
        ],
    );
    let view = site.view().await;
    assert_eq!(view.record.phase, RolloutPhase::Halted, "{run}");
    assert_eq!(view.record.stage_name(), "wave 1");
    assert_eq!(view.state("cam1"), DeviceState::Failed, "{view:?}");
    // cam2 and cam3 go out together and both fail: the first one seen failing reaches the
    // threshold, the other is failed in the same round or rolled back in flight.
    for device in ["cam2", "cam3"] {
        assert!(
            matches!(
                view.state(device),
                DeviceState::Failed | DeviceState::RolledBack
            ),
            "{device}: {view:?}"
        );
    }
    assert!(view.count(DeviceState::Failed) >= 2, "{view:?}\n{run}");
    for device in ["cam4", "cam5"] {
        assert_eq!(view.state(device), DeviceState::Pending, "{view:?}");
        assert_eq!(site.writes(device).await, 1, "{device} was written");
    }
    assert_eq!(site.images().await, [V1; 5], "{run}");

    // A plain apply does not move a halted rollout; status says what to do.
    let refused = site.harmony(V2, &["apply"]).await;
    assert_ne!(refused.code, 0, "{refused}");
    assert!(
        refused.stdout.contains("halted at wave 1")
            && refused.stdout.contains("harmony rollout resume vision"),
        "{refused}"
    );
    let status = site.harmony(V2, &["status"]).await;
    assert!(
        status
            .stdout
            .contains("rollout vision  halted  halted at wave 1 (2 of 3)")
            && status
                .stdout
                .contains("`harmony rollout abort vision` rolls every device back"),
        "{status}"
    );

    // Fixed, then resumed from the command line: the rest goes out.
    site.heal();
    let resume = site.harmony(V2, &["rollout", "resume", SCORE]).await;
    assert_eq!(resume.code, 0, "{resume}");
    assert_in_order(
        &resume.stderr,
        &[
            "rollout vision: resumed at wave 1",
            "rollout vision: back to the canary for its failed devices",
            "canary done",
            "wave 1 done",
            "wave 2 done",
            "rollout vision: done",
        ],
    );
    let view = site.view().await;
    assert_eq!(view.record.phase, RolloutPhase::Done, "{resume}");
    assert_eq!(view.count(DeviceState::Done), 5, "{view:?}");
    assert_eq!(site.images().await, [V2; 5], "{resume}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rollout_abort_of_a_halted_rollout_takes_every_device_back_and_apply_starts_over() {
    let site = Site::start("rollout-cli-abort").await;
    site.at_v1().await;
    site.fail(&["cam1", "cam2"], V2);
    // The canary cam1 fails, then cam2 in wave 1 reaches the threshold (cam3, healthy, is
    // done or rolled back with the wave, depending on which is seen first).
    let run = site.harmony(V2, &["apply"]).await;
    assert_eq!(run.code, 1, "{run}");
    assert_eq!(
        site.view().await.record.phase,
        RolloutPhase::Halted,
        "{run}"
    );

    let abort = site.harmony(V2, &["rollout", "abort", SCORE]).await;
    assert_eq!(abort.code, 0, "{abort}");
    assert!(abort.stderr.contains("rollout vision: aborted"), "{abort}");
    assert_eq!(site.images().await, [V1; 5], "{abort}");
    let view = site.view().await;
    assert_eq!(view.record.phase, RolloutPhase::Aborted, "{abort}");
    for device in ["cam4", "cam5"] {
        assert_eq!(view.state(device), DeviceState::Pending, "{view:?}");
        assert_eq!(site.writes(device).await, 1, "{device} was written");
    }
    let status = site.harmony(V2, &["status"]).await;
    assert!(
        status.stdout.contains("rollout vision  aborted"),
        "{status}"
    );
    let resume = site.harmony(V2, &["rollout", "resume", SCORE]).await;
    assert_ne!(resume.code, 0, "{resume}");
    assert!(
        resume
            .stdout
            .contains("was aborted: apply again to start it over"),
        "{resume}"
    );

    // Fixed, then applied again: a new rollout from the canary.
    site.heal();
    let again = site.harmony(V2, &["apply"]).await;
    assert_eq!(again.code, 0, "{again}");
    assert_in_order(
        &again.stderr,
        &[
            "rollout vision: started over after an abort",
            "rollout vision: done",
        ],
    );
    assert_eq!(site.images().await, [V2; 5], "{again}");
    assert_eq!(site.view().await.count(DeviceState::Done), 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nats_server_restarted_in_the_middle_of_a_wave_apply_retries_and_finishes_the_rollout_writing_each_device_once()
 {
    let mut site = Site::start("rollout-cli-restart").await;
    site.at_v1().await;

    // `apply` of version 2 runs as a child process (`-v`: its retries are logged); its stderr
    // goes to a file the test reads while it runs.
    let log = site.dir.path().join("apply-v2.log");
    let mut cmd = site.command(V2, &["-v", "apply"]);
    cmd.stderr(std::fs::File::create(&log).expect("apply log"));
    let apply = tokio::spawn(run_to_end(cmd));

    // The canary is done and wave 1 is in flight (its desired states written, their health
    // being watched): the server is killed there.
    eventually("wave 1 of the rollout to be in flight", || async {
        let view = Rollouts::new(site.store.clone())
            .await
            .ok()?
            .view(SCORE)
            .await
            .ok()??;
        (view.record.stage == 1 && view.count(DeviceState::InFlight) > 0).then_some(())
    })
    .await;
    site.server.kill();
    // Down until the program has seen it (a retry logged), and 20 s in all: a slow restart,
    // longer than the operator's 15 s lease on the rollout.
    let down = std::time::Instant::now();
    eventually(
        "`apply` to retry a step after the server went away",
        || async {
            std::fs::read_to_string(&log)
                .ok()
                .filter(|l| l.contains("transient failure, retrying"))
                .map(drop)
        },
    )
    .await;
    if let Some(rest) = std::time::Duration::from_secs(20).checked_sub(down.elapsed()) {
        tokio::time::sleep(rest).await;
    }
    site.server.restart();

    let mut run = apply.await.expect("apply task");
    run.stderr = std::fs::read_to_string(&log).expect("apply log");
    assert_eq!(run.code, 0, "{run}");
    // The rollout went on from where it stood: the canary is not done again.
    assert_in_order(
        &run.stderr,
        &[
            "rollout vision: started (canary 1, wave 1 2, wave 2 2)",
            "rollout vision: canary done (1 devices)",
            "transient failure, retrying",
            "rollout vision: continuing at wave 1 after this run's connection to NATS was lost",
            "rollout vision: wave 1 done (2 devices)",
            "rollout vision: wave 2 done (2 devices)",
            "rollout vision: done",
        ],
    );
    assert_eq!(
        run.stderr.matches("rollout vision: canary done").count(),
        1,
        "{run}"
    );
    assert!(
        run.stdout
            .contains("5 changed, 0 unchanged, 0 failed, 0 skipped"),
        "{run}"
    );
    let store = operator(&site.server.url()).await;
    site.store = store;
    let view = site.view().await;
    assert_eq!(view.record.phase, RolloutPhase::Done, "{run}");
    assert_eq!(view.count(DeviceState::Done), 5, "{view:?}\n{run}");
    assert_stages_in_order(&view);
    assert_eq!(site.images().await, [V2; 5], "{run}");
    // Version 1, then version 2 once: the retry wrote no device again, not even the ones in
    // flight when the server went away.
    for device in DEVICES {
        assert_eq!(site.writes(device).await, 2, "{device}:\n{run}");
    }
}
