//! Executor benchmark (a program, not a test): `cargo bench -p harmony-runtime --bench executor`.
//!
//! 1. Overhead: 10,000 no-op steps, as a wide DAG (root → 9,998 → sink) and as a deep chain,
//!    through the production path (`TopologyRunner` → `Interpret` → a no-op `FileSystem`
//!    provider). Prints µs per step (target < 20 µs).
//! 2. Makespan: steps that sleep 10 ms, compared with the ideal (critical path, or total work /
//!    parallelism, whichever is larger). Prints the ratio (target within 10%).

use std::sync::Arc;
use std::time::{Duration, Instant};

use harmony_dsl::capability::FileSystem;
use harmony_dsl::resource::{FileKind, FileSpec};
use harmony_dsl::{
    BoxFuture, CapabilityMap, Change, HostInfo, Inspection, Observed, Operation, Outcome, Result,
    Step, StepId, StepPolicy, Topology,
};
use harmony_runtime::executor::{CancelToken, ExecOptions, TopologyRunner, execute};
use harmony_runtime::report::StepStatus;

/// A `FileSystem` provider that does nothing, or sleeps (on tokio's timer, or a blocking-pool
/// thread's `std::thread::sleep`, which is not rounded up to the timer's 1 ms ticks).
struct Files {
    sleep: Duration,
    blocking: bool,
}

impl FileSystem for Files {
    fn inspect<'a>(&'a self, _: &'a FileSpec) -> BoxFuture<'a, Result<Inspection>> {
        Box::pin(async {
            Ok(Inspection {
                change: Change::None,
                observed: Observed::Absent,
            })
        })
    }

    fn apply<'a>(&'a self, _: &'a FileSpec) -> BoxFuture<'a, Result<Outcome>> {
        Box::pin(async move {
            if self.blocking {
                let sleep = self.sleep;
                let _ = tokio::task::spawn_blocking(move || std::thread::sleep(sleep)).await;
            } else if !self.sleep.is_zero() {
                tokio::time::sleep(self.sleep).await;
            }
            Ok(Outcome::Unchanged)
        })
    }

    fn remove<'a>(&'a self, _: &'a FileSpec) -> BoxFuture<'a, Result<Outcome>> {
        Box::pin(async { Ok(Outcome::Unchanged) })
    }
}

struct Bench {
    capabilities: CapabilityMap,
}

impl Topology for Bench {
    const NAME: &'static str = "Bench";

    fn hosts(&self) -> &[HostInfo] {
        &[]
    }

    fn capabilities(&self) -> &CapabilityMap {
        &self.capabilities
    }
}

fn runner(sleep: Duration) -> Arc<TopologyRunner<Bench>> {
    runner_with(sleep, false)
}

fn runner_with(sleep: Duration, blocking: bool) -> Arc<TopologyRunner<Bench>> {
    let mut capabilities = CapabilityMap::new();
    let files: Arc<dyn FileSystem> = Arc::new(Files { sleep, blocking });
    capabilities.insert::<dyn FileSystem>("Files", files);
    Arc::new(TopologyRunner::new(Arc::new(Bench { capabilities })))
}

fn step(i: usize, depends_on: Vec<StepId>) -> Step {
    Step {
        id: StepId(i),
        score: "bench".into(),
        operation: Operation::new::<dyn harmony_dsl::capability::FileSystem>(FileSpec {
            path: format!("f{i}").into(),
            kind: FileKind::File {
                content: String::new(),
                mode: None,
            },
        }),
        depends_on,
        policy: StepPolicy::default(),
    }
}

/// root → n-2 independent steps → sink.
fn wide(n: usize) -> Vec<Step> {
    let mut steps = vec![step(0, vec![])];
    steps.extend((1..n - 1).map(|i| step(i, vec![StepId(0)])));
    steps.push(step(n - 1, (1..n - 1).map(StepId).collect()));
    steps
}

fn independent(n: usize) -> Vec<Step> {
    (0..n).map(|i| step(i, vec![])).collect()
}

fn chain(n: usize) -> Vec<Step> {
    (0..n)
        .map(|i| step(i, if i == 0 { vec![] } else { vec![StepId(i - 1)] }))
        .collect()
}

/// `layers` layers of `width` steps; each step waits for two steps of the previous layer.
fn layered(layers: usize, width: usize) -> Vec<Step> {
    let mut steps = Vec::new();
    for l in 0..layers {
        for w in 0..width {
            let i = l * width + w;
            let deps = if l == 0 {
                vec![]
            } else {
                let prev = (l - 1) * width;
                let mut d = vec![StepId(prev + w), StepId(prev + (w * 7 + 3) % width)];
                d.dedup();
                d
            };
            steps.push(step(i, deps));
        }
    }
    steps
}

async fn time(
    steps: Vec<Step>,
    runner: Arc<TopologyRunner<Bench>>,
    parallelism: usize,
) -> Duration {
    let steps = Arc::new(steps);
    let start = Instant::now();
    let reports = execute(
        steps,
        runner,
        ExecOptions { parallelism },
        CancelToken::new(),
        |_| {},
    )
    .await
    .expect("valid plan");
    let elapsed = start.elapsed();
    assert!(reports.iter().all(|r| r.status == StepStatus::Unchanged));
    elapsed
}

fn main() {
    let cpus = std::thread::available_parallelism().map_or(2, |n| n.get());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        println!("executor benchmark ({cpus} CPUs, tokio multi-thread runtime)");
        println!("\n== per-step overhead, 10,000 no-op steps (best of 5) ==");
        let n = 10_000;
        for (name, make) in [("wide DAG", wide as fn(usize) -> Vec<Step>), ("deep chain", chain)] {
            for parallelism in [cpus.max(2), 64] {
                let mut best = Duration::MAX;
                for _ in 0..5 {
                    best = best.min(time(make(n), runner(Duration::ZERO), parallelism).await);
                }
                let per_step = best.as_secs_f64() * 1e6 / n as f64;
                println!(
                    "{name:<11} parallelism {parallelism:>3}: {:>8.2} ms total, {per_step:>6.2} µs/step (target < 20: {})",
                    best.as_secs_f64() * 1e3,
                    if per_step < 20.0 { "ok" } else { "MISSED" }
                );
            }
        }

        println!("\n== makespan, steps sleeping 10 ms ==");
        let sleep = Duration::from_millis(10);
        // Baseline: what a 10 ms tokio sleep really takes here, 100 at once, without the executor.
        let start = Instant::now();
        for _ in 0..20 {
            let sleeps: Vec<_> = (0..100).map(|_| tokio::spawn(tokio::time::sleep(sleep))).collect();
            for s in sleeps {
                let _ = s.await;
            }
        }
        let tokio_sleep = start.elapsed() / 20;
        println!(
            "baseline: a 10 ms tokio sleep takes {:.2} ms here (timer rounds up to 1 ms ticks)",
            tokio_sleep.as_secs_f64() * 1e3
        );
        for blocking in [false, true] {
            println!(
                "-- steps sleep with {} --",
                if blocking { "std::thread::sleep on the blocking pool" } else { "tokio::time::sleep" }
            );
            let cases: Vec<(&str, Vec<Step>, usize, u32)> = vec![
                ("2,000 independent, parallelism 100", independent(2000), 100, 20),
                ("chain of 100", chain(100), 8, 100),
                ("50 layers x 40, parallelism 40", layered(50, 40), 40, 50),
                ("wide 1,002 (root, 1,000, sink), par. 100", wide(1002), 100, 12),
            ];
            for (name, steps, parallelism, rounds) in cases {
                let ideal = sleep * rounds;
                let took = time(steps, runner_with(sleep, blocking), parallelism).await;
                let ratio = took.as_secs_f64() / ideal.as_secs_f64();
                let mut line = format!(
                    "{name:<42}: {:>7.1} ms, ideal {:>6.1} ms, ratio {ratio:.3} (target <= 1.10: {})",
                    took.as_secs_f64() * 1e3,
                    ideal.as_secs_f64() * 1e3,
                    if ratio <= 1.10 { "ok" } else { "MISSED" }
                );
                if !blocking {
                    let real = tokio_sleep * rounds;
                    line.push_str(&format!(
                        "; vs measured sleeps {:.1} ms: ratio {:.3}",
                        real.as_secs_f64() * 1e3,
                        took.as_secs_f64() / real.as_secs_f64()
                    ));
                }
                println!("{line}");
            }
        }
    });
}
