//! The DAG scheduler: runs a plan's steps on tokio with a ready queue (a step starts the moment
//! all its dependencies succeeded), a parallelism bound, per-step timeout and retries of
//! transient errors, skipping of the dependants of failed steps, and cancellation.
//!
//! The executor is generic over [`StepRunner`]; the production runner is [`TopologyRunner`],
//! which performs each step through [`harmony_dsl::Interpret`] on a real topology.

mod cancel;
mod retry;

use std::collections::{HashMap, VecDeque};
use std::future::Future as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use harmony_dsl::{BoxFuture, Interpret, Operation, Outcome, Result, Step, Topology};
use tokio::task::JoinSet;

pub use cancel::CancelToken;
pub use retry::{Attempted, run_with_policy};

use crate::engine::RunContext;
use crate::report::{StepReport, StepStatus};

/// Something that performs one step. [`TopologyRunner`] is the production implementation.
pub trait StepRunner: Send + Sync + 'static {
    /// Performs `step` once (one attempt); the executor adds timeout and retries.
    fn run<'a>(&'a self, step: &'a Step) -> BoxFuture<'a, Result<Outcome>>;
}

/// Runs steps through `Operation as Interpret<T>` on topology `T`, reading a step's secret
/// references from their sources just before it runs. Smoke-test steps are performed by the
/// context's prober. Every call runs inside the runner's [`RunContext`] (options and connection
/// pools of the engine that built it).
#[derive(Debug)]
pub struct TopologyRunner<T> {
    topology: Arc<T>,
    secrets: crate::config::SecretResolver,
    context: Arc<RunContext>,
    action: Action,
}

/// What a [`TopologyRunner`] does with each step's operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// `Interpret::execute`: make it so.
    Execute,
    /// `Interpret::remove`: undo it (pruning resources no longer declared).
    Remove,
}

impl<T: Topology> TopologyRunner<T> {
    /// A runner over `topology` with a default context of its own.
    pub fn new(topology: Arc<T>) -> Self {
        Self::with_context(topology, Arc::new(RunContext::default()), Action::Execute)
    }

    /// A runner over `topology` in `context` doing `action` with each step.
    pub fn with_context(topology: Arc<T>, context: Arc<RunContext>, action: Action) -> Self {
        TopologyRunner {
            topology,
            secrets: crate::config::SecretResolver::new(),
            context,
            action,
        }
    }

    /// The topology.
    pub fn topology(&self) -> &Arc<T> {
        &self.topology
    }

    async fn perform(&self, operation: &Operation) -> Result<Outcome> {
        if self.action == Action::Remove {
            return Interpret::<T>::remove(operation, &*self.topology).await;
        }
        if let Some((_, check)) = operation.as_smoke_test() {
            return check.run_with(&*self.context.prober).await;
        }
        if !crate::config::has_secret_refs(operation) {
            return Interpret::<T>::execute(operation, &*self.topology).await;
        }
        match self.secrets.resolve_operation(operation).await? {
            Some(resolved) => Interpret::<T>::execute(&resolved, &*self.topology).await,
            None => Interpret::<T>::execute(operation, &*self.topology).await,
        }
    }
}

impl<T: Topology> StepRunner for TopologyRunner<T> {
    fn run<'a>(&'a self, step: &'a Step) -> BoxFuture<'a, Result<Outcome>> {
        Box::pin(RunContext::scope(
            Arc::clone(&self.context),
            self.perform(&step.operation),
        ))
    }
}

/// Executor settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExecOptions {
    /// Most steps running at once (at least 1).
    pub parallelism: usize,
}

impl Default for ExecOptions {
    fn default() -> Self {
        ExecOptions {
            parallelism: default_parallelism(),
        }
    }
}

/// The default parallelism: the number of CPUs, at least 2.
pub fn default_parallelism() -> usize {
    std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .max(2)
}

/// Progress notifications, in the order they happen.
#[derive(Debug, Clone, Copy)]
pub enum ExecEvent<'a> {
    /// A step started its first attempt.
    Started {
        /// The step.
        step: &'a Step,
    },
    /// A step reached its final status (including skipped and cancelled).
    Finished {
        /// The step.
        step: &'a Step,
        /// Its result.
        report: &'a StepReport,
    },
}

/// A plan the executor refuses to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlanError {
    /// A step waits for a step id that is not in the plan.
    UnknownDependency {
        /// The waiting step.
        step: usize,
        /// The missing id.
        missing: usize,
    },
    /// Two steps share an id.
    DuplicateStep(usize),
    /// The dependencies form a cycle through these steps.
    Cycle(Vec<usize>),
}

impl std::fmt::Display for PlanError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PlanError::UnknownDependency { step, missing } => {
                write!(
                    f,
                    "step #{step} waits for step #{missing}, which is not in the plan"
                )
            }
            PlanError::DuplicateStep(id) => write!(f, "two steps have id #{id}"),
            PlanError::Cycle(ids) => {
                let ids: Vec<String> = ids.iter().map(|i| format!("#{i}")).collect();
                write!(f, "dependency cycle between steps {}", ids.join(", "))
            }
        }
    }
}

impl std::error::Error for PlanError {}

/// The dependency graph of a list of steps, by position in the list.
struct Graph {
    dependants: Vec<Vec<usize>>,
    waiting: Vec<usize>,
}

impl Graph {
    fn new(steps: &[Step]) -> std::result::Result<Graph, PlanError> {
        let mut index = HashMap::with_capacity(steps.len());
        for (i, step) in steps.iter().enumerate() {
            if index.insert(step.id, i).is_some() {
                return Err(PlanError::DuplicateStep(step.id.0));
            }
        }
        let mut dependants = vec![Vec::new(); steps.len()];
        let mut waiting = vec![0; steps.len()];
        for (i, step) in steps.iter().enumerate() {
            let mut deps: Vec<usize> = Vec::with_capacity(step.depends_on.len());
            for dep in &step.depends_on {
                let &d = index.get(dep).ok_or(PlanError::UnknownDependency {
                    step: step.id.0,
                    missing: dep.0,
                })?;
                deps.push(d);
            }
            deps.sort_unstable();
            deps.dedup();
            waiting[i] = deps.len();
            for d in deps {
                dependants[d].push(i);
            }
        }
        // Kahn's algorithm: every step must be reachable from the roots.
        let mut left = waiting.clone();
        let mut queue: Vec<usize> = (0..steps.len()).filter(|&i| left[i] == 0).collect();
        let mut seen = 0;
        while let Some(i) = queue.pop() {
            seen += 1;
            for &d in &dependants[i] {
                left[d] -= 1;
                if left[d] == 0 {
                    queue.push(d);
                }
            }
        }
        if seen != steps.len() {
            let cycle = (0..steps.len())
                .filter(|&i| left[i] > 0)
                .map(|i| steps[i].id.0)
                .collect();
            return Err(PlanError::Cycle(cycle));
        }
        Ok(Graph {
            dependants,
            waiting,
        })
    }
}

fn millis(d: Duration) -> u64 {
    d.as_millis().try_into().unwrap_or(u64::MAX)
}

/// A report for a step that never started.
pub fn not_started(
    step: &Step,
    status: StepStatus,
    message: String,
    caused_by: Option<usize>,
) -> StepReport {
    StepReport {
        message: Some(message),
        caused_by,
        ..StepReport::of_step(step, status)
    }
}

/// Runs `steps` (in any order; edges come from `depends_on`) with `runner`.
///
/// Returns one report per step, in the order of `steps`. `on_event` sees every start and every
/// final status. Once `cancel` fires, nothing new starts; running steps finish (or time out)
/// and every step that did not start is reported [`StepStatus::Cancelled`].
pub async fn execute<R: StepRunner>(
    steps: Arc<Vec<Step>>,
    runner: Arc<R>,
    options: ExecOptions,
    cancel: CancelToken,
    mut on_event: impl FnMut(ExecEvent<'_>),
) -> std::result::Result<Vec<StepReport>, PlanError> {
    let Graph {
        dependants,
        mut waiting,
    } = Graph::new(&steps)?;
    let parallelism = options.parallelism.max(1);
    let mut reports: Vec<Option<StepReport>> = vec![None; steps.len()];
    let mut ready: VecDeque<usize> = (0..steps.len()).filter(|&i| waiting[i] == 0).collect();
    let mut running: JoinSet<StepReport> = JoinSet::new();
    let mut task_step: HashMap<tokio::task::Id, (usize, Instant)> = HashMap::new();
    // Steps that finished on their first poll, in the scheduler's own thread.
    let mut done: VecDeque<(usize, StepReport)> = VecDeque::new();

    loop {
        while running.len() < parallelism && !cancel.is_cancelled() {
            let Some(i) = ready.pop_front() else { break };
            on_event(ExecEvent::Started { step: &steps[i] });
            let task_steps = Arc::clone(&steps);
            let runner = Arc::clone(&runner);
            let cancel = cancel.clone();
            let started = Instant::now();
            let mut task = Box::pin(async move {
                let step = &task_steps[i];
                let attempted = run_with_policy(&*runner, step, &cancel).await;
                attempted.into_report(step, millis(started.elapsed()))
            });
            // A step that is done at once (nothing to change, a no-op) finishes here, without
            // a task: handing it to another thread and back cost 6 µs on a quiet machine and
            // 20-30 µs with the other core busy. A step that waits is spawned, and the runtime
            // polls it again with the task's own waker (the futures contract allows a new waker
            // on every poll).
            let mut context = std::task::Context::from_waker(std::task::Waker::noop());
            let first = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                task.as_mut().poll(&mut context)
            }));
            match first {
                Ok(std::task::Poll::Ready(report)) => done.push_back((i, report)),
                Ok(std::task::Poll::Pending) => {
                    let handle = running.spawn(task);
                    task_step.insert(handle.id(), (i, started));
                }
                Err(panic) => {
                    let message = panic
                        .downcast_ref::<&str>()
                        .map(|s| (*s).to_string())
                        .or_else(|| panic.downcast_ref::<String>().cloned())
                        .unwrap_or_default();
                    let mut report = not_started(
                        &steps[i],
                        StepStatus::Failed,
                        format!("the step's task ended abnormally: panicked with {message:?}"),
                        None,
                    );
                    report.attempts = 1;
                    report.duration_ms = millis(started.elapsed());
                    done.push_back((i, report));
                }
            }
        }
        let (i, report) = if let Some(finished) = done.pop_front() {
            finished
        } else {
            if running.is_empty() {
                break;
            }
            let joined = tokio::select! {
                joined = running.join_next_with_id() => joined,
                () = cancel.cancelled(), if !cancel.is_cancelled() => continue,
            };
            let Some(joined) = joined else { break };
            match joined {
                Ok((id, report)) => match task_step.remove(&id) {
                    Some((i, _)) => (i, report),
                    None => continue,
                },
                Err(e) => {
                    let Some((i, started)) = task_step.remove(&e.id()) else {
                        continue;
                    };
                    let mut report = not_started(
                        &steps[i],
                        StepStatus::Failed,
                        format!("the step's task ended abnormally: {e}"),
                        None,
                    );
                    report.attempts = 1;
                    report.duration_ms = millis(started.elapsed());
                    (i, report)
                }
            }
        };
        let success = report.status.is_success();
        on_event(ExecEvent::Finished {
            step: &steps[i],
            report: &report,
        });
        reports[i] = Some(report);
        if success {
            for &d in &dependants[i] {
                waiting[d] -= 1;
                if waiting[d] == 0 && reports[d].is_none() {
                    ready.push_back(d);
                }
            }
        } else {
            skip_dependants(&steps, &dependants, i, &mut reports, &mut on_event);
        }
    }

    let mut out = Vec::with_capacity(steps.len());
    for (i, report) in reports.into_iter().enumerate() {
        let report = match report {
            Some(report) => report,
            None => {
                let report = not_started(
                    &steps[i],
                    StepStatus::Cancelled,
                    "not started: the run was cancelled".to_string(),
                    None,
                );
                on_event(ExecEvent::Finished {
                    step: &steps[i],
                    report: &report,
                });
                report
            }
        };
        out.push(report);
    }
    Ok(out)
}

/// Marks every transitive dependant of failed step `failed` as skipped, naming the cause.
fn skip_dependants(
    steps: &[Step],
    dependants: &[Vec<usize>],
    failed: usize,
    reports: &mut [Option<StepReport>],
    on_event: &mut impl FnMut(ExecEvent<'_>),
) {
    let cause = steps[failed].id.0;
    let mut todo: Vec<usize> = dependants[failed].clone();
    while let Some(d) = todo.pop() {
        if reports[d].is_some() {
            continue;
        }
        let report = not_started(
            &steps[d],
            StepStatus::Skipped,
            format!(
                "skipped: step #{cause} ({}) failed",
                steps[failed].operation
            ),
            Some(cause),
        );
        on_event(ExecEvent::Finished {
            step: &steps[d],
            report: &report,
        });
        reports[d] = Some(report);
        todo.extend(dependants[d].iter().copied());
    }
}
