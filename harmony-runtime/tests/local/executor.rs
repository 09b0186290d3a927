//! Executor tests over a fake topology whose `FileSystem` provider is instrumented: it counts
//! concurrent applies, records start/finish order, sleeps, waits on gates and fails on demand.
//! Steps go through the production path: `TopologyRunner` → `Operation as Interpret<T>`.
//! Time-dependent behaviour (backoff, timeouts) runs on tokio's paused clock, so nothing here
//! depends on how fast the machine is.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use harmony_dsl::capability::FileSystem;
use harmony_dsl::resource::{FileKind, FileSpec};
use harmony_dsl::{
    BoxFuture, CapabilityMap, Change, Error, HostInfo, Inspection, Observed, Operation, Outcome,
    Plan, Result, StepId, StepPolicy, Topology,
};
use harmony_runtime::executor::{
    CancelToken, ExecEvent, ExecOptions, PlanError, TopologyRunner, execute,
};
use harmony_runtime::report::{StepReport, StepStatus};
use harmony_runtime::state::{State, StateDir};
use tokio::sync::{Barrier, watch};
use tokio::time::Instant;

/// Longest a gated step waits before failing: a liveness guard, never reached when correct.
const GUARD: Duration = Duration::from_secs(20);

#[derive(Clone, Default)]
struct Behaviour {
    sleep: Duration,
    transient_failures: u32,
    permanent: bool,
    hang: bool,
    wait_for: Option<&'static str>,
    opens: Option<&'static str>,
    barrier: bool,
}

#[derive(Default)]
struct Probe {
    concurrent: AtomicUsize,
    max_concurrent: AtomicUsize,
    sequence: AtomicUsize,
    starts: Mutex<HashMap<String, usize>>,
    ends: Mutex<HashMap<String, usize>>,
    attempts: Mutex<HashMap<String, Vec<Instant>>>,
    gates: HashMap<&'static str, watch::Sender<bool>>,
}

struct FakeFiles {
    behaviour: HashMap<String, Behaviour>,
    barrier: Option<Arc<Barrier>>,
    world: Mutex<HashMap<String, String>>,
    probe: Arc<Probe>,
}

impl FakeFiles {
    async fn apply_file(&self, spec: &FileSpec) -> Result<Outcome> {
        let key = spec.path.display().to_string();
        let b = self.behaviour.get(&key).cloned().unwrap_or_default();
        let p = &self.probe;
        let now = p.concurrent.fetch_add(1, Ordering::SeqCst) + 1;
        p.max_concurrent.fetch_max(now, Ordering::SeqCst);
        p.starts
            .lock()
            .unwrap()
            .insert(key.clone(), p.sequence.fetch_add(1, Ordering::SeqCst));
        let attempt = {
            let mut attempts = p.attempts.lock().unwrap();
            let list = attempts.entry(key.clone()).or_default();
            list.push(Instant::now());
            list.len() as u32
        };
        let result = self.behave(&b, attempt, spec, &key).await;
        p.ends
            .lock()
            .unwrap()
            .insert(key, p.sequence.fetch_add(1, Ordering::SeqCst));
        p.concurrent.fetch_sub(1, Ordering::SeqCst);
        result
    }

    async fn behave(
        &self,
        b: &Behaviour,
        attempt: u32,
        spec: &FileSpec,
        key: &str,
    ) -> Result<Outcome> {
        if let Some(gate) = b.opens {
            self.probe.gates[gate].send_replace(true);
        }
        if b.barrier {
            let barrier = self.barrier.as_ref().expect("barrier configured");
            if tokio::time::timeout(GUARD, barrier.wait()).await.is_err() {
                return Err(Error::permanent(
                    "barrier never filled: too few steps ran at once",
                ));
            }
        }
        if let Some(gate) = b.wait_for {
            let mut rx = self.probe.gates[gate].subscribe();
            if tokio::time::timeout(GUARD, rx.wait_for(|open| *open))
                .await
                .is_err()
            {
                return Err(Error::permanent(format!("gate `{gate}` never opened")));
            }
        }
        if b.hang {
            std::future::pending::<()>().await;
        }
        tokio::time::sleep(b.sleep).await;
        if b.permanent {
            return Err(Error::permanent(format!("{key} refused")));
        }
        if attempt <= b.transient_failures {
            return Err(Error::transient(format!("{key} busy (attempt {attempt})")));
        }
        let FileKind::File { content, .. } = &spec.kind else {
            return Ok(Outcome::Unchanged);
        };
        let mut world = self.world.lock().unwrap();
        if world.get(key) == Some(content) {
            return Ok(Outcome::Unchanged);
        }
        world.insert(key.to_string(), content.clone());
        Ok(Outcome::changed(format!("wrote {key}")))
    }
}

impl FileSystem for FakeFiles {
    fn inspect<'a>(&'a self, _: &'a FileSpec) -> BoxFuture<'a, Result<Inspection>> {
        Box::pin(async {
            Ok(Inspection {
                change: Change::None,
                observed: Observed::Absent,
            })
        })
    }

    fn apply<'a>(&'a self, resource: &'a FileSpec) -> BoxFuture<'a, Result<Outcome>> {
        Box::pin(self.apply_file(resource))
    }

    fn remove<'a>(&'a self, _: &'a FileSpec) -> BoxFuture<'a, Result<Outcome>> {
        Box::pin(async { Ok(Outcome::Unchanged) })
    }
}

struct Fake {
    capabilities: CapabilityMap,
}

impl Topology for Fake {
    const NAME: &'static str = "Fake";

    fn hosts(&self) -> &[HostInfo] {
        &[]
    }

    fn capabilities(&self) -> &CapabilityMap {
        &self.capabilities
    }
}

struct Harness {
    plan: Plan<Fake>,
    behaviour: HashMap<String, Behaviour>,
    gates: Vec<&'static str>,
    barrier: Option<usize>,
}

struct Built {
    runner: Arc<TopologyRunner<Fake>>,
    probe: Arc<Probe>,
}

impl Harness {
    fn new() -> Self {
        Harness {
            plan: Plan::new("test"),
            behaviour: HashMap::new(),
            gates: Vec::new(),
            barrier: None,
        }
    }

    fn step(&mut self, name: &str, deps: &[StepId], behaviour: Behaviour) -> StepId {
        self.step_with(name, deps, behaviour, StepPolicy::default())
    }

    fn step_with(
        &mut self,
        name: &str,
        deps: &[StepId],
        behaviour: Behaviour,
        policy: StepPolicy,
    ) -> StepId {
        let id = self.plan.push_step(
            name,
            Operation::new::<dyn harmony_dsl::capability::FileSystem>(FileSpec {
                path: name.into(),
                kind: FileKind::File {
                    content: format!("{name} content"),
                    mode: None,
                },
            }),
            deps,
        );
        self.plan.steps[id.0].policy = policy;
        self.behaviour.insert(name.to_string(), behaviour);
        id
    }

    fn build(&self) -> Built {
        let probe = Arc::new(Probe {
            gates: self
                .gates
                .iter()
                .map(|g| (*g, watch::Sender::new(false)))
                .collect(),
            ..Probe::default()
        });
        let files = FakeFiles {
            behaviour: self.behaviour.clone(),
            barrier: self.barrier.map(|n| Arc::new(Barrier::new(n))),
            world: Mutex::new(HashMap::new()),
            probe: Arc::clone(&probe),
        };
        let mut capabilities = CapabilityMap::new();
        let files: Arc<dyn FileSystem> = Arc::new(files);
        capabilities.insert::<dyn FileSystem>("FakeFiles", files);
        Built {
            runner: Arc::new(TopologyRunner::new(Arc::new(Fake { capabilities }))),
            probe,
        }
    }

    async fn run(&self, built: &Built, parallelism: usize) -> Vec<StepReport> {
        execute(
            Arc::new(self.plan.steps.clone()),
            Arc::clone(&built.runner),
            ExecOptions { parallelism },
            CancelToken::new(),
            |_| {},
        )
        .await
        .expect("valid plan")
    }
}

fn statuses(reports: &[StepReport]) -> Vec<StepStatus> {
    reports.iter().map(|r| r.status).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallelism_bound_is_respected_and_reached() {
    let mut h = Harness::new();
    h.barrier = Some(3);
    for i in 0..12 {
        h.step(
            &format!("s{i}"),
            &[],
            Behaviour {
                barrier: true,
                ..Behaviour::default()
            },
        );
    }
    let built = h.build();
    let reports = h.run(&built, 3).await;
    assert!(
        reports.iter().all(|r| r.status == StepStatus::Changed),
        "{reports:#?}"
    );
    // The barrier of 3 only opens when 3 steps run at once: reaching the bound is required.
    assert_eq!(built.probe.max_concurrent.load(Ordering::SeqCst), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallelism_one_runs_steps_one_at_a_time() {
    let mut h = Harness::new();
    for i in 0..8 {
        h.step(
            &format!("s{i}"),
            &[],
            Behaviour {
                sleep: Duration::from_millis(2),
                ..Behaviour::default()
            },
        );
    }
    let built = h.build();
    let reports = h.run(&built, 1).await;
    assert!(reports.iter().all(|r| r.status == StepStatus::Changed));
    assert_eq!(built.probe.max_concurrent.load(Ordering::SeqCst), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn dependencies_finish_before_dependants_start() {
    let mut h = Harness::new();
    let sleepy = |ms| Behaviour {
        sleep: Duration::from_millis(ms),
        ..Behaviour::default()
    };
    let a = h.step("a", &[], sleepy(5));
    let b = h.step("b", &[a], sleepy(1));
    let c = h.step("c", &[a], sleepy(3));
    let d = h.step("d", &[b, c], sleepy(0));
    let e = h.step("e", &[], sleepy(4));
    let f = h.step("f", &[e, d], sleepy(0));
    let _ = f;
    let built = h.build();
    let reports = h.run(&built, 4).await;
    assert!(
        reports.iter().all(|r| r.status == StepStatus::Changed),
        "{reports:#?}"
    );
    let starts = built.probe.starts.lock().unwrap();
    let ends = built.probe.ends.lock().unwrap();
    for step in &h.plan.steps {
        for dep in &step.depends_on {
            let dep_name = &h.plan.steps[dep.0].score;
            assert!(
                starts[&step.score] > ends[dep_name],
                "{} started before its dependency {dep_name} finished",
                step.score
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_step_starts_when_its_own_dependencies_finish_not_in_waves() {
    let mut h = Harness::new();
    h.gates = vec!["c-started"];
    // `slow` only finishes once `c` has started; `c` waits for `a`, not for `slow`.
    let a = h.step("a", &[], Behaviour::default());
    h.step(
        "slow",
        &[],
        Behaviour {
            wait_for: Some("c-started"),
            ..Behaviour::default()
        },
    );
    h.step(
        "c",
        &[a],
        Behaviour {
            opens: Some("c-started"),
            ..Behaviour::default()
        },
    );
    let built = h.build();
    let reports = h.run(&built, 2).await;
    assert_eq!(
        statuses(&reports),
        vec![StepStatus::Changed; 3],
        "{reports:#?}"
    );
    let starts = built.probe.starts.lock().unwrap();
    let ends = built.probe.ends.lock().unwrap();
    assert!(
        starts["c"] < ends["slow"],
        "c must start while slow is still running"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn failure_skips_exactly_the_transitive_dependants() {
    let mut h = Harness::new();
    let no_retry = StepPolicy {
        retries: 3,
        ..StepPolicy::default()
    };
    let a = h.step_with(
        "a",
        &[],
        Behaviour {
            permanent: true,
            ..Behaviour::default()
        },
        no_retry,
    );
    let b = h.step("b", &[a], Behaviour::default());
    let _c = h.step("c", &[b], Behaviour::default());
    let _d = h.step("d", &[a], Behaviour::default());
    let e = h.step(
        "e",
        &[],
        Behaviour {
            sleep: Duration::from_millis(5),
            ..Behaviour::default()
        },
    );
    let _f = h.step("f", &[e], Behaviour::default());
    let _g = h.step("g", &[a, e], Behaviour::default());
    let built = h.build();
    let reports = h.run(&built, 4).await;
    use StepStatus::*;
    assert_eq!(
        statuses(&reports),
        vec![Failed, Skipped, Skipped, Skipped, Changed, Changed, Skipped]
    );
    assert_eq!(reports[0].attempts, 1, "permanent errors are not retried");
    assert_eq!(reports[0].error_kind.as_deref(), Some("permanent"));
    for skipped in [1, 2, 3, 6] {
        assert_eq!(reports[skipped].caused_by, Some(a.0));
        assert_eq!(reports[skipped].attempts, 0);
        assert!(
            reports[skipped]
                .message
                .as_deref()
                .unwrap()
                .contains("step #0")
        );
    }
    let attempts = built.probe.attempts.lock().unwrap();
    assert!(
        ["b", "c", "d", "g"]
            .iter()
            .all(|s| !attempts.contains_key(*s)),
        "skipped steps never ran"
    );
}

#[tokio::test(start_paused = true)]
async fn transient_errors_are_retried_with_doubling_backoff() {
    let mut h = Harness::new();
    let policy = StepPolicy {
        timeout: Duration::from_secs(5),
        retries: 3,
        backoff: Duration::from_millis(100),
    };
    h.step_with(
        "flaky",
        &[],
        Behaviour {
            transient_failures: 3,
            ..Behaviour::default()
        },
        policy,
    );
    h.step_with(
        "hopeless",
        &[],
        Behaviour {
            transient_failures: 10,
            ..Behaviour::default()
        },
        policy,
    );
    let built = h.build();
    let reports = h.run(&built, 2).await;
    assert_eq!(reports[0].status, StepStatus::Changed);
    assert_eq!(reports[0].attempts, 4);
    assert_eq!(reports[1].status, StepStatus::Failed);
    assert_eq!(reports[1].attempts, 4, "one attempt plus `retries` retries");
    assert_eq!(reports[1].error_kind.as_deref(), Some("transient"));
    let attempts = built.probe.attempts.lock().unwrap();
    let gaps: Vec<Duration> = attempts["flaky"].windows(2).map(|w| w[1] - w[0]).collect();
    // On the paused clock the gaps are exactly the backoffs: 100ms, 200ms, 400ms.
    assert_eq!(
        gaps,
        vec![
            Duration::from_millis(100),
            Duration::from_millis(200),
            Duration::from_millis(400)
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn timeouts_fire_are_retried_and_reported() {
    let mut h = Harness::new();
    let policy = StepPolicy {
        timeout: Duration::from_secs(2),
        retries: 1,
        backoff: Duration::from_millis(10),
    };
    let stuck = h.step_with(
        "stuck",
        &[],
        Behaviour {
            hang: true,
            ..Behaviour::default()
        },
        policy,
    );
    h.step("after", &[stuck], Behaviour::default());
    let built = h.build();
    let reports = h.run(&built, 2).await;
    assert_eq!(reports[0].status, StepStatus::Failed);
    assert_eq!(reports[0].error_kind.as_deref(), Some("timeout"));
    assert_eq!(reports[0].attempts, 2);
    assert!(
        reports[0]
            .message
            .as_deref()
            .unwrap()
            .contains("timed out after 2000ms")
    );
    assert_eq!(reports[1].status, StepStatus::Skipped);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cancellation_lets_running_steps_finish_and_reports_the_rest() {
    let mut h = Harness::new();
    h.gates = vec!["a-started", "release"];
    let a = h.step(
        "a",
        &[],
        Behaviour {
            opens: Some("a-started"),
            wait_for: Some("release"),
            ..Behaviour::default()
        },
    );
    h.step("b", &[a], Behaviour::default());
    h.step("c", &[], Behaviour::default());
    h.step("d", &[], Behaviour::default());
    let built = h.build();
    let dir_guard = tempfile::tempdir().unwrap();
    let dir = dir_guard.path().to_path_buf();
    let _ = std::fs::remove_dir_all(&dir);
    let state_dir = StateDir::new(&dir);
    let cancel = CancelToken::new();
    let steps = Arc::new(h.plan.steps.clone());
    let runner = Arc::clone(&built.runner);
    let run = {
        let cancel = cancel.clone();
        let state_dir = state_dir.clone();
        tokio::spawn(async move {
            let mut state = State::empty("Fake");
            let reports = execute(
                steps,
                runner,
                ExecOptions { parallelism: 1 },
                cancel,
                |event| {
                    if let ExecEvent::Finished { step, report } = event
                        && report.status.is_success()
                        && state.record("test", &step.score, &step.operation)
                    {
                        state_dir.save(&state).expect("save state");
                    }
                },
            )
            .await
            .expect("valid plan");
            state_dir.save(&state).expect("save state");
            reports
        })
    };
    // Parallelism 1: while `a` runs nothing else can start. Once it has started, cancel, then
    // let it finish.
    let mut a_started = built.probe.gates["a-started"].subscribe();
    a_started.wait_for(|open| *open).await.unwrap();
    cancel.cancel();
    built.probe.gates["release"].send_replace(true);
    let reports = run.await.unwrap();
    use StepStatus::*;
    assert_eq!(
        statuses(&reports),
        vec![Changed, Cancelled, Cancelled, Cancelled],
        "{reports:#?}"
    );
    assert!(reports[1..].iter().all(|r| r.attempts == 0));
    let state = state_dir.load().unwrap().expect("state written");
    let recorded: Vec<&String> = state.resources.keys().collect();
    assert_eq!(
        recorded,
        vec!["file:a"],
        "the state records exactly what ran"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn second_run_of_the_same_plan_is_all_unchanged() {
    let mut h = Harness::new();
    let a = h.step("a", &[], Behaviour::default());
    h.step("b", &[a], Behaviour::default());
    h.step("c", &[], Behaviour::default());
    let built = h.build();
    let first = h.run(&built, 2).await;
    assert_eq!(statuses(&first), vec![StepStatus::Changed; 3]);
    let second = h.run(&built, 2).await;
    assert_eq!(statuses(&second), vec![StepStatus::Unchanged; 3]);
}

#[tokio::test]
async fn invalid_graphs_are_refused() {
    let mut h = Harness::new();
    let a = h.step("a", &[], Behaviour::default());
    let b = h.step("b", &[a], Behaviour::default());
    h.plan.steps[a.0].depends_on = vec![b];
    let built = h.build();
    let err = execute(
        Arc::new(h.plan.steps.clone()),
        Arc::clone(&built.runner),
        ExecOptions::default(),
        CancelToken::new(),
        |_| {},
    )
    .await
    .unwrap_err();
    assert_eq!(err, PlanError::Cycle(vec![0, 1]));
    h.plan.steps[a.0].depends_on = vec![StepId(9)];
    let err = execute(
        Arc::new(h.plan.steps.clone()),
        built.runner,
        ExecOptions::default(),
        CancelToken::new(),
        |_| {},
    )
    .await
    .unwrap_err();
    assert_eq!(
        err,
        PlanError::UnknownDependency {
            step: 0,
            missing: 9
        }
    );
}
