//! The command line: `plan`, `apply`, `render`, `status`, `smoke`. A user's `main` is one call to
//! [`cli`]. Exit codes are [`ExitStatus`]; JSON documents are described in `SCHEMA.md`.

mod apply;
mod plan;
mod progress;
mod status;

use std::borrow::Cow;
use std::ffi::OsString;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Parser, Subcommand};
use harmony_dsl::config::{Config, KeySource};
use harmony_dsl::operation::SecretValues;
use harmony_dsl::{Error, Inspection, Interpret, Operation, Plan, Topology};
use serde::Serialize;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::config::ConfigSources;
use crate::executor::default_parallelism;
use crate::overrides::Overrides;
use crate::report::SCHEMA_VERSION;
use crate::state::{State, StateDir};
pub use plan::{PlanDocument, PlanSummary, PlannedRemoval, PlannedStep};

/// Process exit codes of the CLI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[repr(u8)]
pub enum ExitStatus {
    /// Everything succeeded (`plan`: every step could be inspected).
    Ok = 0,
    /// A step failed or was skipped (`plan`: some step's state is unknown).
    StepFailed = 1,
    /// Bad command line, unknown `--only` score, invalid plan or saved plan for another
    /// topology (clap's own errors use 2 too).
    Usage = 2,
    /// `apply FILE` refused: the world changed since the plan was saved.
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
}

impl From<ExitStatus> for ExitCode {
    fn from(status: ExitStatus) -> ExitCode {
        ExitCode::from(status.code())
    }
}

/// Something [`cli`] can get a topology from: the topology itself, or the result of building
/// it (an error is reported, naming the topology, with exit code [`ExitStatus::Topology`]).
pub trait IntoTopology<T> {
    /// The topology, or why it could not be built.
    fn into_topology(self) -> Result<T, Error>;
}

impl<T: Topology> IntoTopology<T> for T {
    fn into_topology(self) -> Result<T, Error> {
        Ok(self)
    }
}

impl<T: Topology> IntoTopology<T> for Result<T, Error> {
    fn into_topology(self) -> Result<T, Error> {
        self
    }
}

/// Harmony: apply a plan to a topology.
#[derive(Debug, Parser)]
#[command(version, about, long_about = None, after_help = EXIT_CODES)]
struct Args {
    #[command(subcommand)]
    command: Command,
    /// Print one JSON document on stdout instead of text (see SCHEMA.md).
    #[arg(long, global = true)]
    json: bool,
    /// More logs on stderr (-v info, -vv debug, -vvv trace); RUST_LOG overrides.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    /// Only this score and what it depends on.
    #[arg(long, global = true, value_name = "SCORE")]
    only: Option<String>,
    /// Most steps running at once [default: number of CPUs, at least 2].
    #[arg(long, global = true, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    parallelism: Option<u16>,
    /// State directory [default: $HARMONY_STATE_DIR, else .harmony in the current directory].
    #[arg(long, global = true, value_name = "DIR")]
    state_dir: Option<PathBuf>,
    /// Configuration file (TOML), read after the environment and before the secret store
    /// [default: $HARMONY_CONFIG_FILE].
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
}

const EXIT_CODES: &str = "Exit codes: 0 ok, 1 a step failed or was skipped (plan: a step is unknown), \
2 usage error, 3 drift (apply FILE refused), 4 state or I/O error, 5 topology error, \
6 configuration error, 130 cancelled.";

#[derive(Debug, Subcommand)]
enum Command {
    /// Show what apply would change, step by step, without changing anything.
    Plan {
        /// Also save the plan and what every step observed as JSON, for `apply FILE`.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Inspect nothing (no live system needed): list every step as not inspected.
        #[arg(long, conflicts_with = "out")]
        offline: bool,
    },
    /// Make it so: prune resources no longer declared, then run every step.
    Apply {
        /// A plan saved by `plan --out`: apply exactly it, refusing if the world moved since.
        file: Option<PathBuf>,
        /// Take over Kubernetes fields another field manager owns, whatever the `Kube`
        /// provider's `force_conflicts` says.
        #[arg(long)]
        force_conflicts: bool,
    },
    /// Write every step's artifact (manifests, files) into DIR, deterministically; `render -`
    /// writes the Kubernetes objects to stdout as one stream, for `kubectl apply -f -`.
    Render {
        /// Output directory (created), or `-` for stdout.
        dir: PathBuf,
        /// Write the values of Kubernetes Secrets into the files instead of `<redacted>`.
        #[arg(long)]
        include_secrets: bool,
        /// Format of `render -`: a multi-document YAML stream, or JSON (a `v1` `List`).
        #[arg(long, value_name = "FORMAT", value_parser = ["yaml", "json"])]
        format: Option<String>,
    },
    /// What the state file says was applied, and the topology's capabilities.
    Status,
    /// Run only the plan's smoke tests (each score's checks), changing nothing.
    Smoke,
}

/// Runs the command line from `std::env::args` against `topology` and `plan`.
pub fn cli<T: Topology>(topology: impl IntoTopology<T>, plan: Plan<T>) -> ExitCode {
    cli_from(std::env::args_os(), topology, plan).into()
}

/// Like [`cli`], with explicit arguments (the first is the program name).
pub fn cli_from<T: Topology>(
    args: impl IntoIterator<Item = impl Into<OsString> + Clone>,
    topology: impl IntoTopology<T>,
    plan: Plan<T>,
) -> ExitStatus {
    run_cli(args, topology, |_| Ok((plan, Vec::new())))
}

/// Runs the command line with a configuration: resolves `C` from the sources (environment
/// `HARMONY_CONFIG_<KEY>`, `--config FILE`, the secret store at `VAULT_ADDR`), then builds the
/// plan with it. `plan` shows where each key came from; a missing key exits with
/// [`ExitStatus::Config`], naming the key and every source tried.
pub fn cli_with_config<T: Topology, C: Config>(
    topology: impl IntoTopology<T>,
    plan: impl FnOnce(&C) -> Plan<T>,
) -> ExitCode {
    cli_with_config_from(std::env::args_os(), topology, plan).into()
}

/// Like [`cli_with_config`], with explicit arguments (the first is the program name). The secret
/// store path defaults to the program's name (`HARMONY_VAULT_PATH` overrides it).
pub fn cli_with_config_from<T: Topology, C: Config>(
    args: impl IntoIterator<Item = impl Into<OsString> + Clone>,
    topology: impl IntoTopology<T>,
    plan: impl FnOnce(&C) -> Plan<T>,
) -> ExitStatus {
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    let program = args
        .first()
        .map(std::path::Path::new)
        .and_then(|p| p.file_stem())
        .map_or_else(
            || "harmony".to_string(),
            |s| s.to_string_lossy().into_owned(),
        );
    run_cli(args, topology, |file| {
        let mut sources = ConfigSources::from_env(file, &program)?;
        let resolved = C::resolve(&mut sources).map_err(|e| e.to_string())?;
        Ok((plan(&resolved.value), resolved.sources))
    })
}

/// The plan, and where each configuration key came from; or why the configuration failed.
type PlanWithConfig<T> = Result<(Plan<T>, Vec<KeySource>), String>;

fn run_cli<T: Topology>(
    args: impl IntoIterator<Item = impl Into<OsString> + Clone>,
    topology: impl IntoTopology<T>,
    plan: impl FnOnce(Option<PathBuf>) -> PlanWithConfig<T>,
) -> ExitStatus {
    let args = match Args::try_parse_from(args) {
        Ok(args) => args,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitStatus::Usage
            } else {
                ExitStatus::Ok
            };
        }
    };
    init_tracing(args.verbose);
    crate::smoke::install();
    let out = Output {
        json: args.json,
        command: args.command.name(),
    };
    // `status` reads the state only: it needs no plan, hence no configuration (nor secrets).
    let built = match args.command {
        Command::Status => Ok((Plan::new("status"), Vec::new())),
        _ => plan(args.config.clone()),
    };
    let (plan, config) = match built {
        Ok(built) => built,
        Err(e) => {
            return out.fail(ExitStatus::Config, format!("configuration: {e}"));
        }
    };
    let topology = match topology.into_topology() {
        Ok(t) => Arc::new(t),
        Err(e) => {
            return out.fail(
                ExitStatus::Topology,
                format!("cannot set up topology `{}`: {e}", T::NAME),
            );
        }
    };
    let overrides = Overrides {
        force_conflicts: matches!(
            args.command,
            Command::Apply {
                force_conflicts: true,
                ..
            }
        ),
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .on_thread_start(move || {
            overrides.install();
        })
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            return out.fail(
                ExitStatus::StateIo,
                format!("cannot start the async runtime: {e}"),
            );
        }
    };
    let state_dir = args.state_dir.clone().unwrap_or_else(|| {
        std::env::var_os("HARMONY_STATE_DIR")
            .map_or_else(|| PathBuf::from(".harmony"), PathBuf::from)
    });
    let ctx = Ctx {
        out,
        topology,
        state: StateDir::new(state_dir),
        parallelism: args
            .parallelism
            .map_or_else(default_parallelism, usize::from),
        only: args.only.clone(),
        tty: std::io::stdout().is_terminal(),
        config,
    };
    let previous = overrides.install();
    let status = runtime.block_on(async move {
        // Charts become their objects before anything else looks at the plan (see `inflate`).
        let inflated = match args.command {
            Command::Plan { .. } | Command::Apply { .. } | Command::Render { .. } => {
                crate::inflate::inflate(plan, &ctx.topology).await
            }
            Command::Smoke | Command::Status => crate::inflate::Inflated {
                plan,
                failures: Vec::new(),
            },
        };
        let plan = inflated.plan;
        match args.command {
            Command::Plan { out, offline } => plan::run(&ctx, plan, out, offline).await,
            Command::Apply { file, .. } => {
                apply::run(&ctx, plan, file, apply::RunMode::Apply).await
            }
            Command::Smoke => apply::run(&ctx, plan, None, apply::RunMode::SmokeOnly).await,
            Command::Render { dir, .. } if !inflated.failures.is_empty() => {
                let reasons: Vec<String> = inflated
                    .failures
                    .iter()
                    .map(|f| format!("score `{}`: {}", f.score, f.error))
                    .collect();
                ctx.out.fail(
                    ExitStatus::StepFailed,
                    format!(
                        "cannot render into {}: {}",
                        dir.display(),
                        reasons.join("; ")
                    ),
                )
            }
            Command::Render {
                dir,
                include_secrets,
                format,
            } => {
                let secrets = if include_secrets {
                    SecretValues::Included
                } else {
                    SecretValues::Redacted
                };
                render(&ctx, plan, dir, secrets, format.as_deref())
            }
            Command::Status => status::run(&ctx).await,
        }
    });
    // Steps still running after a cancellation (a provider ignoring it) must not keep us alive.
    runtime.shutdown_timeout(Duration::from_secs(1));
    previous.install();
    status
}

impl Command {
    fn name(&self) -> &'static str {
        match self {
            Command::Plan { .. } => "plan",
            Command::Apply { .. } => "apply",
            Command::Render { .. } => "render",
            Command::Status => "status",
            Command::Smoke => "smoke",
        }
    }
}

fn init_tracing(verbose: u8) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        EnvFilter::new(match verbose {
            // The Kubernetes client logs every failed request at ERROR, retried or not; the step
            // report already says what failed. `-v` shows them.
            0 => "warn,kube_client=off",
            1 => "info",
            2 => "debug",
            _ => "trace",
        })
    });
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}

/// Text or JSON output for one command.
struct Output {
    json: bool,
    command: &'static str,
}

/// `{"schema_version", "command", "error", "exit_code"}`: what `--json` prints on an error.
#[derive(Serialize)]
struct ErrorDoc<'a> {
    schema_version: u32,
    command: &'a str,
    error: &'a str,
    exit_code: u8,
}

impl Output {
    /// Reports a command-level error (stderr, plus a JSON document with `--json`).
    fn fail(&self, status: ExitStatus, message: String) -> ExitStatus {
        eprintln!("error: {message}");
        if self.json {
            self.print_json(&ErrorDoc {
                schema_version: SCHEMA_VERSION,
                command: self.command,
                error: &message,
                exit_code: status.code(),
            });
        }
        status
    }

    fn print_json(&self, value: &impl Serialize) {
        match serde_json::to_string_pretty(value) {
            Ok(text) => println!("{text}"),
            Err(e) => eprintln!("error: cannot encode JSON output: {e}"),
        }
    }
}

/// Everything a command needs.
struct Ctx<T> {
    out: Output,
    topology: Arc<T>,
    state: StateDir,
    parallelism: usize,
    only: Option<String>,
    tty: bool,
    /// Where each configuration key came from (shown by `plan`).
    config: Vec<KeySource>,
}

impl<T: Topology> Ctx<T> {
    /// The plan restricted by `--only` (a new plan), or the plan itself (borrowed, no copy),
    /// or a usage error listing the scores.
    fn select<'p>(&self, plan: &'p Plan<T>) -> Result<Cow<'p, Plan<T>>, ExitStatus> {
        if !plan.problems.is_empty() {
            let problems: Vec<String> = plan.problems.iter().map(|p| p.to_string()).collect();
            return Err(self.out.fail(
                ExitStatus::Usage,
                format!("plan `{}` is invalid: {}", plan.name, problems.join("; ")),
            ));
        }
        let Some(only) = &self.only else {
            return Ok(Cow::Borrowed(plan));
        };
        plan.only(only).map(Cow::Owned).ok_or_else(|| {
            let names: Vec<&str> = plan.scores.iter().map(|s| s.name.as_str()).collect();
            self.out.fail(
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

    fn load_state(&self) -> Result<State, ExitStatus> {
        match self.state.load() {
            Ok(Some(state)) => Ok(state),
            Ok(None) => Ok(State::empty(T::NAME)),
            Err(e) => Err(self
                .out
                .fail(ExitStatus::StateIo, format!("cannot read the state: {e}"))),
        }
    }
}

/// Resources recorded as applied by plan `plan` that `plan` no longer declares, by id. A score
/// whose chart could not be inflated declares objects that are not known: what it applied
/// before is kept.
fn orphans<T>(state: &State, plan: &Plan<T>) -> Vec<(String, Operation)> {
    let declared: std::collections::HashSet<String> = plan
        .steps
        .iter()
        .map(|s| s.operation.resource_id())
        .collect();
    let unknown: std::collections::HashSet<&str> = plan
        .steps
        .iter()
        .filter(|s| matches!(s.operation, Operation::HelmCommand(_)))
        .map(|s| s.score.as_str())
        .collect();
    state
        .resources
        .iter()
        .filter(|(id, record)| {
            record.plan == plan.name
                && !matches!(record.operation, Operation::SmokeTest { .. })
                && !declared.contains(*id)
                && !unknown.contains(record.score.as_str())
        })
        .map(|(id, record)| (id.clone(), record.operation.clone()))
        .collect()
}

/// Inspects `operations` (each with its timeout), at most `parallelism` at once; results in order.
async fn inspect_all<T: Topology>(
    topology: &Arc<T>,
    operations: Vec<(Operation, Duration)>,
    parallelism: usize,
) -> Vec<Result<Inspection, Error>> {
    let limit = Arc::new(Semaphore::new(parallelism.max(1)));
    let mut tasks = JoinSet::new();
    let count = operations.len();
    for (i, (operation, timeout)) in operations.into_iter().enumerate() {
        let topology = Arc::clone(topology);
        let limit = Arc::clone(&limit);
        tasks.spawn(async move {
            let _permit = limit.acquire_owned().await;
            let result =
                tokio::time::timeout(timeout, Interpret::<T>::inspect(&operation, &*topology))
                    .await
                    .unwrap_or_else(|_| {
                        Err(Error::new(
                            harmony_dsl::ErrorKind::Timeout,
                            format!("inspect timed out after {}ms", timeout.as_millis()),
                        ))
                    });
            (i, result)
        });
    }
    let mut results: Vec<Option<Result<Inspection, Error>>> = (0..count).map(|_| None).collect();
    while let Some(joined) = tasks.join_next().await {
        if let Ok((i, result)) = joined {
            results[i] = Some(result);
        }
    }
    results
        .into_iter()
        .map(|r| r.unwrap_or_else(|| Err(Error::permanent("inspect task ended abnormally"))))
        .collect()
}

fn render<T: Topology>(
    ctx: &Ctx<T>,
    plan: Plan<T>,
    dir: PathBuf,
    secrets: SecretValues,
    format: Option<&str>,
) -> ExitStatus {
    let status = render_selected(ctx, &plan, dir, secrets, format);
    // Freeing a big plan takes a tenth of a render of 10,000 apps: off the critical path (the
    // process may exit before that thread is done, which is fine).
    if plan.steps.len() > 1_000 {
        std::thread::spawn(move || drop(plan));
    }
    status
}

fn render_selected<T: Topology>(
    ctx: &Ctx<T>,
    plan: &Plan<T>,
    dir: PathBuf,
    secrets: SecretValues,
    format: Option<&str>,
) -> ExitStatus {
    let plan = match ctx.select(plan) {
        Ok(plan) => plan,
        Err(status) => return status,
    };
    if dir.as_os_str() == "-" {
        if ctx.out.json {
            return ctx.out.fail(
                ExitStatus::Usage,
                "--json does not go with `render -`: stdout is the stream (use --format json)"
                    .into(),
            );
        }
        let format = match format {
            Some("json") => crate::render::StreamFormat::Json,
            _ => crate::render::StreamFormat::Yaml,
        };
        let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
        return match crate::render::render_stream(&plan, format, secrets, &mut out) {
            Ok(report) => {
                if let Some(first) = report.left_out.first() {
                    eprintln!(
                        "note: {} artifacts are not Kubernetes objects and are not in the stream \
                         ({first}...); `render DIR` writes them",
                        report.left_out.len()
                    );
                }
                ExitStatus::Ok
            }
            Err(e) => ctx.out.fail(ExitStatus::StateIo, format!("render -: {e}")),
        };
    }
    if format.is_some() {
        return ctx.out.fail(
            ExitStatus::Usage,
            "--format applies to `render -` only; `render DIR` writes YAML manifests".into(),
        );
    }
    match crate::render::render_dir(&plan, &dir, secrets) {
        Ok(report) => {
            if ctx.out.json {
                ctx.out.print_json(&report.index);
            } else {
                let mut out = std::io::BufWriter::new(std::io::stdout().lock());
                let _ = crate::render::print_report(&report, &dir, &mut out);
            }
            ExitStatus::Ok
        }
        Err(e) => ctx.out.fail(
            ExitStatus::StateIo,
            format!("render into {}: {e}", dir.display()),
        ),
    }
}
