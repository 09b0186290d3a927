//! The engine: `plan`, `apply`, `apply_saved`, `smoke`, `status` and `render` of one plan on one
//! topology, each returning the typed document the CLI prints ([`PlanDocument`],
//! [`ApplyReport`], [`StatusDocument`], [`RenderReport`](crate::render::RenderReport)). The command line
//! ([`cli`](mod@crate::cli)) parses arguments, builds an [`Engine`], calls it and prints.
//!
//! An engine owns its run context explicitly: the state directory and its lock, the
//! parallelism, the `--only` selection, [`RunOptions`] (`force_conflicts`), the smoke prober,
//! the cancellation token and the connection pools ([`RunContext`]). Nothing is kept in
//! statics or thread-locals: two engines in one process do not see each other.
//!
//! ```no_run
//! # async fn f() -> Result<(), harmony_runtime::engine::EngineError> {
//! use harmony_dsl::Plan;
//! use harmony_runtime::{Engine, Localhost};
//!
//! let engine = Engine::new(Localhost::from_env().unwrap()).state_dir("/tmp/state");
//! let report = engine.apply(Plan::new("empty")).await?;
//! assert_eq!(report.exit_code, 0);
//! # Ok(()) }
//! ```

mod context;
mod plan;
mod record;
mod saved;
mod status;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use harmony_dsl::config::KeySource;
use harmony_dsl::operation::SecretValues;
use harmony_dsl::smoke::Prober;
use harmony_dsl::{Plan, Step, StepId, StepPolicy, Topology};
use serde::Serialize;

pub use context::{RunContext, RunOptions};
pub use plan::{LeftInPlace, PlanDocument, PlanSummary, PlannedRemoval, PlannedStep};
pub use saved::ProgramIdentity;
pub use status::{CapabilityDoc, LiveDoc, ResourceDoc, StatusDocument};

use crate::executor::{
    Action, CancelToken, ExecEvent, ExecOptions, TopologyRunner, default_parallelism, execute,
};
use crate::render::{RenderReport, StreamFormat, StreamReport};
use crate::report::{ApplyReport, SCHEMA_VERSION, StepReport, StepStatus, Summary};
use crate::state::StateDir;

/// Process exit codes of the CLI, and the status an [`EngineError`] carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[repr(u8)]
pub enum ExitStatus {
    /// Everything succeeded (`plan`: every step could be inspected).
    Ok = 0,
    /// A step failed or was skipped (`plan`: some step's state is unknown).
    StepFailed = 1,
    /// Bad command line, unknown `--only` score, invalid plan or unreadable saved plan (clap's
    /// own errors use 2 too).
    Usage = 2,
    /// `apply FILE` refused: the world changed since the plan was saved, or the file is not a
    /// commitment this program makes now (a step it would not run, another program's plan, a
    /// digest mismatch).
    Drift = 3,
    /// The state file, lock, or an output file could not be read or written.
    StateIo = 4,
    /// The topology could not be built (`IntoTopology` returned an error).
    Topology = 5,
    /// The configuration could not be resolved: a key is missing or invalid, the config file or
    /// the secret store could not be read.
    Config = 6,
    /// Cancelled by Ctrl-C or SIGTERM.
    Cancelled = 130,
}

impl ExitStatus {
    /// The numeric code.
    pub const fn code(self) -> u8 {
        self as u8
    }

    /// The status with code `code` (an unknown code reads as [`ExitStatus::StepFailed`]).
    pub const fn from_code(code: u8) -> ExitStatus {
        match code {
            0 => ExitStatus::Ok,
            2 => ExitStatus::Usage,
            3 => ExitStatus::Drift,
            4 => ExitStatus::StateIo,
            5 => ExitStatus::Topology,
            6 => ExitStatus::Config,
            130 => ExitStatus::Cancelled,
            _ => ExitStatus::StepFailed,
        }
    }
}

impl From<ExitStatus> for std::process::ExitCode {
    fn from(status: ExitStatus) -> std::process::ExitCode {
        std::process::ExitCode::from(status.code())
    }
}

/// Why a command did not produce its document: the exit status and a message (URL credentials
/// already masked).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineError {
    /// The exit status the CLI ends with.
    pub status: ExitStatus,
    /// What went wrong, for a person.
    pub message: String,
}

impl EngineError {
    /// An error with `status`; credentials in URLs in `message` are masked.
    pub fn new(status: ExitStatus, message: impl AsRef<str>) -> Self {
        EngineError {
            status,
            message: crate::redact::mask_url_credentials(message.as_ref()).into_owned(),
        }
    }
}

impl std::fmt::Display for EngineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for EngineError {}

/// Progress of `apply`, `apply_saved` and `smoke`, as it happens.
#[derive(Debug, Clone, Copy)]
pub enum EngineEvent<'a> {
    /// A step started its first attempt.
    Started(&'a Step),
    /// A step (or a removal) reached its final status.
    Finished(&'a StepReport),
}

/// Receives [`EngineEvent`]s.
pub type Observer<'o> = &'o mut (dyn FnMut(EngineEvent<'_>) + Send);

/// Runs plans on one topology. Built with [`Engine::new`] and the setters; cheap to keep and
/// call repeatedly (connections are pooled in its [`RunContext`]).
pub struct Engine<T> {
    topology: Arc<T>,
    state: StateDir,
    parallelism: usize,
    only: Option<String>,
    config: Vec<KeySource>,
    options: RunOptions,
    prober: Arc<dyn Prober>,
    cancel: CancelToken,
    context: Arc<RunContext>,
}

impl<T> std::fmt::Debug for Engine<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("state", &self.state.path())
            .field("parallelism", &self.parallelism)
            .field("only", &self.only)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl<T: Topology> Engine<T> {
    /// An engine on `topology`: state in `.harmony`, default parallelism, default options, the
    /// tokio prober for smoke tests.
    pub fn new(topology: impl Into<Arc<T>>) -> Self {
        let prober: Arc<dyn Prober> = Arc::new(crate::smoke::TokioProber);
        let options = RunOptions::default();
        let topology: Arc<T> = topology.into();
        let state = StateDir::new(".harmony");
        // The topology's own records (Localhost's processes) live beside the engine's state.
        topology.bind_state_dir(state.path());
        Engine {
            topology,
            state,
            parallelism: default_parallelism(),
            only: None,
            config: Vec::new(),
            options,
            context: Arc::new(RunContext::new(options, Arc::clone(&prober))),
            prober,
            cancel: CancelToken::new(),
        }
    }

    /// Keeps the state, its lock and the topology's own records (Localhost's processes) in `dir`.
    pub fn state_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.state = StateDir::new(dir.into());
        self.topology.bind_state_dir(self.state.path());
        self
    }

    /// Runs at most `n` steps (inspections) at once (at least 1).
    pub fn parallelism(mut self, n: usize) -> Self {
        self.parallelism = n.max(1);
        self
    }

    /// Restricts every command to score `score` and what it depends on (`None`: everything).
    pub fn only(mut self, score: Option<String>) -> Self {
        self.only = score;
        self
    }

    /// Where each configuration key came from, shown in plan documents.
    pub fn config_sources(mut self, sources: Vec<KeySource>) -> Self {
        self.config = sources;
        self
    }

    /// Options providers honour (`force_conflicts`).
    pub fn options(mut self, options: RunOptions) -> Self {
        self.options = options;
        self.context = Arc::new(RunContext::new(options, Arc::clone(&self.prober)));
        self
    }

    /// Performs smoke tests with `prober` instead of the tokio one.
    pub fn prober(mut self, prober: Arc<dyn Prober>) -> Self {
        self.context = Arc::new(RunContext::new(self.options, Arc::clone(&prober)));
        self.prober = prober;
        self
    }

    /// Cancels runs when `token` fires (the CLI fires it on Ctrl-C and SIGTERM).
    pub fn cancel_token(mut self, token: CancelToken) -> Self {
        self.cancel = token;
        self
    }

    /// The topology.
    pub fn topology(&self) -> &Arc<T> {
        &self.topology
    }

    /// The state directory.
    pub fn state(&self) -> &StateDir {
        &self.state
    }

    /// The run context handed to providers.
    pub fn context(&self) -> &Arc<RunContext> {
        &self.context
    }

    /// The plan with its charts inflated (see [`crate::inflate`]), and the charts that failed.
    async fn inflate(&self, plan: Plan<T>) -> crate::inflate::Inflated<T> {
        RunContext::scope(
            Arc::clone(&self.context),
            crate::inflate::inflate(plan, &self.topology),
        )
        .await
    }

    /// `plan` restricted by `only`, or a usage error listing the scores; an invalid plan is an
    /// error naming its problems.
    /// [`select`](Engine::select) of an owned plan: without `only`, the plan itself (no copy).
    fn select_owned(&self, plan: Plan<T>, only: Option<&str>) -> Result<Plan<T>, EngineError> {
        if only.is_none() && plan.problems.is_empty() {
            return Ok(plan);
        }
        self.select(&plan, only)
    }

    fn select(&self, plan: &Plan<T>, only: Option<&str>) -> Result<Plan<T>, EngineError> {
        if !plan.problems.is_empty() {
            let problems: Vec<String> = plan.problems.iter().map(|p| p.to_string()).collect();
            return Err(EngineError::new(
                ExitStatus::Usage,
                format!("plan `{}` is invalid: {}", plan.name, problems.join("; ")),
            ));
        }
        let Some(only) = only else {
            return Ok(plan.clone());
        };
        plan.only(only).ok_or_else(|| {
            let names: Vec<&str> = plan.scores.iter().map(|s| s.name.as_str()).collect();
            EngineError::new(
                ExitStatus::Usage,
                format!(
                    "--only `{only}`: no such score in plan `{}`; scores: {}",
                    plan.name,
                    if names.is_empty() {
                        "(none)".to_string()
                    } else {
                        names.join(", ")
                    }
                ),
            )
        })
    }

    /// Inspects every step of `plan` (and every resource to prune) against the world: what
    /// `apply` would change. The document carries the program's identity and the digest of its
    /// plan, so that `apply_saved` can hold the program to it.
    pub async fn plan(&self, plan: Plan<T>) -> Result<PlanDocument<T>, EngineError> {
        let full = self.inflate(plan).await.plan;
        let selected = self.select(&full, self.only.as_deref())?;
        let mut doc = self.inspect(selected, &full).await?;
        // Private file content is saved and printed as its digest only; the program identity
        // commits to that stored form.
        crate::state::redact_private_content(&mut doc.plan);
        doc.program = Some(ProgramIdentity::of(&doc.plan, self.only.clone()));
        Ok(doc)
    }

    /// Makes it so: removes what the plan applied before and no longer declares, then runs
    /// every step, recording the state as steps succeed.
    pub async fn apply(&self, plan: Plan<T>) -> Result<ApplyReport, EngineError> {
        self.apply_observed(plan, &mut |_| {}).await
    }

    /// [`apply`](Engine::apply), telling `observer` about every step as it starts and ends.
    pub async fn apply_observed(
        &self,
        plan: Plan<T>,
        observer: Observer<'_>,
    ) -> Result<ApplyReport, EngineError> {
        let started = Instant::now();
        let full = self.inflate(plan).await.plan;
        let selected = self.select(&full, self.only.as_deref())?;
        self.run(selected, &full, Mode::Apply, started, observer)
            .await
    }

    /// Applies a plan saved by `plan --out` (its bytes), as a commitment: only steps `plan`
    /// (the program's plan now) produces, identical to the saved ones, are run, with the
    /// program's own operations; the saved observations must still hold. Another program's
    /// plan, a step the program would not produce, a missing step or a digest mismatch is
    /// refused with [`ExitStatus::Drift`], naming the step.
    pub async fn apply_saved(
        &self,
        plan: Plan<T>,
        saved: &[u8],
    ) -> Result<ApplyReport, EngineError> {
        self.apply_saved_observed(plan, saved, &mut |_| {}).await
    }

    /// [`apply_saved`](Engine::apply_saved) with an observer.
    pub async fn apply_saved_observed(
        &self,
        plan: Plan<T>,
        saved: &[u8],
        observer: Observer<'_>,
    ) -> Result<ApplyReport, EngineError> {
        let started = Instant::now();
        let doc = saved::parse::<T>(saved)?;
        let full = self.inflate(plan).await.plan;
        let only = doc.program.as_ref().and_then(|p| p.only.clone());
        let selected = self
            .select(&full, only.as_deref())
            .map_err(|e| EngineError::new(ExitStatus::Drift, e.message))?;
        // Compared in stored form (private content as its digest); run with the program's own
        // operations, which hold the content.
        let mut committed = selected.clone();
        crate::state::redact_private_content(&mut committed);
        saved::check_commitment(&doc, &committed)?;
        let now = self.inspect(selected.clone(), &full).await?;
        saved::check_observations(&doc, &now)?;
        self.run(selected, &full, Mode::Apply, started, observer)
            .await
    }

    /// Runs only the plan's smoke tests (each on its own), changing nothing.
    pub async fn smoke(&self, plan: Plan<T>) -> Result<ApplyReport, EngineError> {
        self.smoke_observed(plan, &mut |_| {}).await
    }

    /// [`smoke`](Engine::smoke) with an observer.
    pub async fn smoke_observed(
        &self,
        plan: Plan<T>,
        observer: Observer<'_>,
    ) -> Result<ApplyReport, EngineError> {
        let started = Instant::now();
        let selected = smoke_steps(&self.select(&plan, self.only.as_deref())?);
        self.run(selected, &plan, Mode::Smoke, started, observer)
            .await
    }

    /// What the state records as applied, the topology's capabilities and their live status.
    pub async fn status(&self) -> Result<StatusDocument, EngineError> {
        RunContext::scope(Arc::clone(&self.context), status::status(self)).await
    }

    /// Writes every step's artifact into `dir`, deterministically, rewriting only files whose
    /// bytes changed and removing the stale ones of the previous render (see [`crate::render`]).
    /// With [`SecretValues::Included`], secret references are first resolved through their
    /// sources, so a rendered Kubernetes `Secret` holds real values (a missing value is a
    /// [`ExitStatus::Config`] error).
    pub async fn render(
        &self,
        plan: Plan<T>,
        dir: &Path,
        secrets: SecretValues,
    ) -> Result<RenderReport, EngineError> {
        let plan = self.render_plan(plan, secrets).await?;
        let report = crate::render::render_dir(&plan, dir, secrets).map_err(|e| {
            EngineError::new(
                ExitStatus::StateIo,
                format!("render into {}: {e}", dir.display()),
            )
        });
        drop_in_background(plan);
        report
    }

    /// Writes the plan's Kubernetes objects to `out` as one stream, in step order (what
    /// `render -` prints, for `kubectl apply -f -`); secrets as with [`render`](Engine::render).
    pub async fn render_stream(
        &self,
        plan: Plan<T>,
        format: StreamFormat,
        secrets: SecretValues,
        out: &mut impl std::io::Write,
    ) -> Result<StreamReport, EngineError> {
        let plan = self.render_plan(plan, secrets).await?;
        let report = crate::render::render_stream(&plan, format, secrets, out)
            .map_err(|e| EngineError::new(ExitStatus::StateIo, format!("render -: {e}")));
        drop_in_background(plan);
        report
    }

    /// The plan as rendered: charts inflated (a chart that cannot be is an error), `--only`
    /// applied, secret references resolved when they are included.
    async fn render_plan(
        &self,
        plan: Plan<T>,
        secrets: SecretValues,
    ) -> Result<Plan<T>, EngineError> {
        let inflated = self.inflate(plan).await;
        if !inflated.failures.is_empty() {
            let reasons: Vec<String> = inflated
                .failures
                .iter()
                .map(|f| format!("score `{}`: {}", f.score, f.error))
                .collect();
            return Err(EngineError::new(
                ExitStatus::StepFailed,
                format!("cannot render: {}", reasons.join("; ")),
            ));
        }
        let mut plan = self.select_owned(inflated.plan, self.only.as_deref())?;
        if secrets == SecretValues::Included {
            let resolver = crate::config::SecretResolver::new();
            for step in &mut plan.steps {
                if !crate::config::has_secret_refs(&step.operation) {
                    continue;
                }
                match resolver.resolve_operation(&step.operation).await {
                    Ok(Some(resolved)) => step.operation = resolved,
                    Ok(None) => {}
                    Err(e) => {
                        return Err(EngineError::new(
                            ExitStatus::Config,
                            format!(
                                "render --include-secrets: step #{} {}: {e}",
                                step.id.0, step.operation
                            ),
                        ));
                    }
                }
            }
        }
        Ok(plan)
    }

    /// Prunes (in `Apply` mode) and runs `plan`'s steps; `full` is the whole plan, for pruning.
    async fn run(
        &self,
        plan: Plan<T>,
        full: &Plan<T>,
        mode: Mode,
        started: Instant,
        observer: Observer<'_>,
    ) -> Result<ApplyReport, EngineError> {
        let mut recorder = match mode {
            Mode::Apply => Some(record::Recorder::open(&self.state, T::NAME)?),
            Mode::Smoke => None,
        };
        let mut plan = plan;
        if matches!(mode, Mode::Apply) {
            // Fleet scores with a rollout policy go out canary first, then wave by wave.
            self.context
                .rollouts
                .prepare(&mut plan, self.topology.hosts())
                .map_err(|e| EngineError::new(ExitStatus::Usage, e.to_string()))?;
        }
        // Prune first, through the executor: what this plan applied before and no longer
        // declares, removed in parallel with retries, cancellable.
        let orphans = match &recorder {
            Some(recorder) => record::orphans(recorder.state(), full),
            None => Vec::new(),
        };
        let removals: Vec<Step> = orphans
            .into_iter()
            .enumerate()
            .map(|(i, (_, score, operation))| Step {
                id: StepId(i),
                score,
                operation,
                depends_on: Vec::new(),
                policy: StepPolicy::default(),
            })
            .collect();
        let mut removed = Vec::new();
        // Adopted resources existed before Harmony: no longer declared, they are left in place
        // and forgotten, never removed.
        let adopted = match &recorder {
            Some(recorder) => record::adopted_undeclared(recorder.state(), full),
            None => Vec::new(),
        };
        for (resource, _, operation) in adopted {
            if let Some(recorder) = &mut recorder {
                recorder.forget(&resource);
            }
            let report = StepReport {
                step: None,
                score: None,
                operation: format!("leave {operation}"),
                resource,
                status: StepStatus::Unchanged,
                duration_ms: 0,
                attempts: 0,
                message: Some(plan::ADOPTED_NOTE.to_string()),
                error_kind: None,
                caused_by: None,
            };
            observer(EngineEvent::Finished(&report));
            removed.push(report);
        }
        if !removals.is_empty() {
            let steps = Arc::new(removals);
            let runner = Arc::new(TopologyRunner::with_context(
                Arc::clone(&self.topology),
                Arc::clone(&self.context),
                Action::Remove,
            ));
            let reports = execute(
                Arc::clone(&steps),
                runner,
                self.exec_options(),
                self.cancel.clone(),
                |event| {
                    if let ExecEvent::Finished { step, report } = event {
                        let report = removal_report(step, report);
                        if report.status.is_success()
                            && let Some(recorder) = &mut recorder
                        {
                            recorder.forget(&report.resource);
                        }
                        observer(EngineEvent::Finished(&report));
                    }
                },
            )
            .await
            .map_err(|e| EngineError::new(ExitStatus::Usage, format!("cannot prune: {e}")))?;
            removed.extend(
                steps
                    .iter()
                    .zip(&reports)
                    .map(|(step, report)| removal_report(step, report)),
            );
        }

        let runner = Arc::new(TopologyRunner::with_context(
            Arc::clone(&self.topology),
            Arc::clone(&self.context),
            Action::Execute,
        ));
        let plan_name = plan.name.clone();
        let result = execute(
            Arc::new(plan.steps.clone()),
            runner,
            self.exec_options(),
            self.cancel.clone(),
            |event| match event {
                ExecEvent::Started { step } => observer(EngineEvent::Started(step)),
                ExecEvent::Finished { step, report } => {
                    if report.status.is_success()
                        && let Some(recorder) = &mut recorder
                    {
                        // Found as declared, or updated in place: it existed before this step.
                        let pre_existing = report.status == StepStatus::Unchanged
                            || report
                                .message
                                .as_deref()
                                .is_some_and(|m| m.starts_with("updated "));
                        recorder.record(&plan_name, &step.score, &step.operation, pre_existing);
                    }
                    observer(EngineEvent::Finished(report));
                }
            },
        )
        .await;
        let steps = result.map_err(|e| {
            EngineError::new(
                ExitStatus::Usage,
                format!("plan `{}` cannot run: {e}", plan.name),
            )
        })?;
        let cancelled = self.cancel.is_cancelled();
        let state_error = match recorder {
            Some(recorder) => recorder.close(),
            None => None,
        };
        let all: Vec<StepReport> = removed.iter().chain(&steps).cloned().collect();
        let summary = Summary::of(&all, started.elapsed());
        let status = if cancelled {
            ExitStatus::Cancelled
        } else if state_error.is_some() {
            ExitStatus::StateIo
        } else if !summary.is_success() {
            ExitStatus::StepFailed
        } else {
            ExitStatus::Ok
        };
        Ok(ApplyReport {
            schema_version: SCHEMA_VERSION,
            command: mode.command().into(),
            plan: plan.name.clone(),
            topology: T::NAME.into(),
            cancelled,
            removed,
            steps,
            summary,
            exit_code: status.code(),
            state_error,
        })
    }

    fn exec_options(&self) -> ExecOptions {
        ExecOptions {
            parallelism: self.parallelism,
        }
    }
}

/// A full apply, or only the plan's smoke tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Prune, then run every step, recording state.
    Apply,
    /// Run only the smoke-test steps; no lock, no pruning, no state change.
    Smoke,
}

impl Mode {
    fn command(self) -> &'static str {
        match self {
            Mode::Apply => "apply",
            Mode::Smoke => "smoke",
        }
    }
}

/// A removal's report as the apply report shows it: no step number or score, `remove ...`.
fn removal_report(step: &Step, report: &StepReport) -> StepReport {
    StepReport {
        step: None,
        score: None,
        operation: format!("remove {}", step.operation),
        caused_by: None,
        ..report.clone()
    }
}

/// The smoke-test steps of `plan`, renumbered, each without dependencies.
fn smoke_steps<T: Topology>(plan: &Plan<T>) -> Plan<T> {
    let mut only = plan.clone();
    only.steps = plan
        .steps
        .iter()
        .filter(|s| s.operation.is_smoke_test())
        .cloned()
        .enumerate()
        .map(|(i, mut step)| {
            step.id = StepId(i);
            step.depends_on.clear();
            step
        })
        .collect();
    only
}

/// Drops a big plan on another thread: freeing one of 10,000 apps takes a tenth of its render,
/// off the critical path (the process may exit before that thread is done, which is fine).
fn drop_in_background<T: Send + 'static>(plan: Plan<T>) {
    if plan.steps.len() > 1_000 {
        std::thread::spawn(move || drop(plan));
    }
}
