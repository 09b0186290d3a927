//! The command line: `plan`, `apply`, `render`, `status`, `smoke`, and `device` commands. A user's `main` is one
//! [`App`] (or one call to [`cli`]). It parses arguments (environment defaults:
//! `HARMONY_STATE_DIR`, `HARMONY_CONFIG_FILE`, `HARMONY_PARALLELISM`), builds an
//! [`Engine`], calls it and prints. Exit codes are [`ExitStatus`]; JSON
//! documents are described in `SCHEMA.md`.

mod apply;
mod device;
mod plan;
mod progress;
mod status;

use std::ffi::OsString;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{ArgMatches, CommandFactory, FromArgMatches, Parser, Subcommand};
use harmony_dsl::config::{Config, KeySource};
use harmony_dsl::operation::SecretValues;
use harmony_dsl::{Error, Plan, Topology};
use serde::Serialize;

use crate::config::ConfigSources;
pub use crate::engine::ExitStatus;
use crate::engine::{Engine, EngineError, RunOptions};
pub use crate::engine::{PlanDocument, PlanSummary, PlannedRemoval, PlannedStep};
use crate::executor::CancelToken;
use crate::report::SCHEMA_VERSION;

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

#[derive(Debug, Parser)]
#[command(version, long_about = None, after_help = EXIT_CODES)]
struct Args {
    #[command(subcommand)]
    command: Command,
    /// Print one JSON document on stdout instead of text (see SCHEMA.md).
    #[arg(long, global = true)]
    json: bool,
    /// More logs on stderr (-v info, -vv debug, -vvv trace; other crates stay at info, so no
    /// message payload is printed); RUST_LOG overrides.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    /// Only this score and what it depends on.
    #[arg(long, global = true, value_name = "SCORE")]
    only: Option<String>,
    /// Most steps running at once [default: number of CPUs, at least 2].
    #[arg(long, global = true, value_name = "N", env = "HARMONY_PARALLELISM",
          value_parser = clap::value_parser!(u16).range(1..))]
    parallelism: Option<u16>,
    /// State directory [default: .harmony in the current directory].
    #[arg(long, global = true, value_name = "DIR", env = "HARMONY_STATE_DIR")]
    state_dir: Option<PathBuf>,
    /// Configuration file (TOML), read after the environment and before the secret store.
    #[arg(long, global = true, value_name = "FILE", env = "HARMONY_CONFIG_FILE")]
    config: Option<PathBuf>,
}

const EXIT_CODES: &str = "Exit codes: 0 ok, 1 a step failed or was skipped (plan: a step is unknown), \
2 usage error, 3 apply FILE refused (drift, or not a plan this program makes now), \
4 state or I/O error, 5 topology error, 6 configuration error, 130 cancelled.";

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
        /// A plan saved by `plan --out`: run this program's steps only if the file commits to
        /// exactly them and nothing it observed has changed.
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
        /// Write real secret values (read from their sources) instead of `<redacted>`.
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
    /// Ask one device of the fleet: `ping`, a workload's `logs`, `restart` a workload
    /// (credentials from HARMONY_NATS_*, as for apply).
    Device {
        /// The fleet's NATS server, e.g. nats://nats.example.com:4222 (prefer the environment
        /// variable when the URL carries a password).
        #[arg(
            long,
            value_name = "URL",
            env = "HARMONY_NATS_URL",
            hide_env_values = true
        )]
        nats: Option<String>,
        /// Seconds to wait for the device's answer.
        #[arg(long, value_name = "SECONDS", default_value_t = 5,
              value_parser = clap::value_parser!(u16).range(1..=300))]
        timeout: u16,
        #[command(subcommand)]
        action: device::DeviceAction,
    },
    /// Staged rollouts of fleet scores (`status` shows them): resume a halted one, or abort one.
    Rollout {
        #[command(subcommand)]
        action: RolloutAction,
    },
}

/// `rollout resume SCORE` / `rollout abort SCORE`.
#[derive(Debug, Subcommand)]
enum RolloutAction {
    /// Move a halted rollout on: its failed and rolled-back devices are tried again, then the
    /// next waves follow (of a done rollout, the devices that failed under the threshold).
    Resume {
        /// The fleet score whose rollout halted.
        score: String,
    },
    /// Abort a rollout: every device it updated goes back to its previous desired state.
    Abort {
        /// The fleet score whose rollout to abort.
        score: String,
    },
}

impl RolloutAction {
    fn score(&self) -> &str {
        match self {
            RolloutAction::Resume { score } | RolloutAction::Abort { score } => score,
        }
    }

    fn command(&self) -> crate::providers::nats::rollout::RolloutCommand {
        match self {
            RolloutAction::Resume { .. } => crate::providers::nats::rollout::RolloutCommand::Resume,
            RolloutAction::Abort { .. } => crate::providers::nats::rollout::RolloutCommand::Abort,
        }
    }
}

impl Command {
    fn name(&self) -> &'static str {
        match self {
            Command::Plan { .. } => "plan",
            Command::Apply { .. } => "apply",
            Command::Render { .. } => "render",
            Command::Status => "status",
            Command::Smoke => "smoke",
            Command::Device { .. } => "device",
            Command::Rollout { .. } => "rollout",
        }
    }
}

/// The plan, and where each configuration key came from; or why the configuration failed.
type PlanWithConfig<T> = Result<(Plan<T>, Vec<KeySource>), String>;
type PlanSource<'a, T> = Box<dyn FnOnce(Option<PathBuf>, &str) -> PlanWithConfig<T> + 'a>;
type Extra<'a> = (
    clap::Command,
    Box<dyn FnOnce(&ArgMatches) -> ExitStatus + 'a>,
);

/// The command line of an infrastructure program: its topology, its plan (fixed, or built from
/// a [`Config`]), its description for `--help`, and optionally subcommands of its own.
///
/// ```no_run
/// use harmony_dsl::Plan;
/// use harmony_runtime::{App, Localhost};
///
/// fn main() -> std::process::ExitCode {
///     App::new(Localhost::from_env(), Plan::new("site"))
///         .about("The team's web site on this machine")
///         .run()
/// }
/// ```
pub struct App<'a, T: Topology> {
    topology: Box<dyn FnOnce() -> Result<T, Error> + 'a>,
    plan: PlanSource<'a, T>,
    plan_name: Option<String>,
    about: Option<String>,
    extra: Vec<Extra<'a>>,
}

impl<'a, T: Topology> App<'a, T> {
    /// A program applying `plan` to `topology`.
    pub fn new(topology: impl IntoTopology<T> + 'a, plan: Plan<T>) -> Self {
        let plan_name = Some(plan.name.clone());
        App {
            topology: Box::new(move || topology.into_topology()),
            plan: Box::new(move |_, _| Ok((plan, Vec::new()))),
            plan_name,
            about: None,
            extra: Vec::new(),
        }
    }

    /// A program whose plan is built from configuration `C`, resolved from the sources
    /// (environment `HARMONY_CONFIG_<KEY>`, `--config FILE`, the secret store at `VAULT_ADDR`,
    /// whose path defaults to the program's name; `HARMONY_VAULT_PATH` overrides it). `plan`
    /// shows where each key came from; a missing key exits with [`ExitStatus::Config`], naming
    /// the key and every source tried.
    pub fn with_config<C: Config>(
        topology: impl IntoTopology<T> + 'a,
        plan: impl FnOnce(&C) -> Plan<T> + 'a,
    ) -> Self {
        App {
            topology: Box::new(move || topology.into_topology()),
            plan: Box::new(move |file, program| {
                let mut sources = ConfigSources::from_env(file, program)?;
                let resolved = C::resolve(&mut sources).map_err(|e| e.to_string())?;
                Ok((plan(&resolved.value), resolved.sources))
            }),
            plan_name: None,
            about: None,
            extra: Vec::new(),
        }
    }

    /// What `--help` says the program is (default: the plan and topology it applies).
    pub fn about(mut self, about: impl Into<String>) -> Self {
        self.about = Some(about.into());
        self
    }

    /// Adds a subcommand of the program's own: when it is given, `run` calls `handler` with its
    /// matches instead of running the engine.
    pub fn subcommand(
        mut self,
        command: clap::Command,
        handler: impl FnOnce(&ArgMatches) -> ExitStatus + 'a,
    ) -> Self {
        self.extra.push((command, Box::new(handler)));
        self
    }

    /// Runs the command line from `std::env::args`.
    pub fn run(self) -> ExitCode {
        self.run_from(std::env::args_os()).into()
    }

    /// Runs the command line with explicit arguments (the first is the program name).
    pub fn run_from(
        self,
        args: impl IntoIterator<Item = impl Into<OsString> + Clone>,
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
        let about = self.about.clone().unwrap_or_else(|| match &self.plan_name {
            Some(name) => format!("{program}: applies plan `{name}` to topology `{}`", T::NAME),
            None => format!("{program}: infrastructure on topology `{}`", T::NAME),
        });
        let mut command = Args::command()
            .bin_name(program.clone())
            .display_name(program.clone())
            .about(about);
        for (extra, _) in &self.extra {
            command = command.subcommand(extra.clone());
        }
        let matches = match command.try_get_matches_from(args) {
            Ok(matches) => matches,
            Err(e) => {
                let _ = e.print();
                return if e.use_stderr() {
                    ExitStatus::Usage
                } else {
                    ExitStatus::Ok
                };
            }
        };
        if let Some((name, sub)) = matches.subcommand() {
            let mut extra = self.extra;
            if let Some(i) = extra.iter().position(|(c, _)| c.get_name() == name) {
                let (_, handler) = extra.swap_remove(i);
                return handler(sub);
            }
        }
        let args = match Args::from_arg_matches(&matches) {
            Ok(args) => args,
            Err(e) => {
                let _ = e.print();
                return ExitStatus::Usage;
            }
        };
        run(args, &program, self.topology, self.plan)
    }
}

/// Runs the command line from `std::env::args` against `topology` and `plan`.
pub fn cli<T: Topology>(topology: impl IntoTopology<T>, plan: Plan<T>) -> ExitCode {
    App::new(topology, plan).run()
}

/// Like [`cli`], with explicit arguments (the first is the program name).
pub fn cli_from<T: Topology>(
    args: impl IntoIterator<Item = impl Into<OsString> + Clone>,
    topology: impl IntoTopology<T>,
    plan: Plan<T>,
) -> ExitStatus {
    App::new(topology, plan).run_from(args)
}

/// Runs the command line with a configuration (see [`App::with_config`]).
pub fn cli_with_config<T: Topology, C: Config>(
    topology: impl IntoTopology<T>,
    plan: impl FnOnce(&C) -> Plan<T>,
) -> ExitCode {
    App::with_config(topology, plan).run()
}

/// Like [`cli_with_config`], with explicit arguments (the first is the program name).
pub fn cli_with_config_from<T: Topology, C: Config>(
    args: impl IntoIterator<Item = impl Into<OsString> + Clone>,
    topology: impl IntoTopology<T>,
    plan: impl FnOnce(&C) -> Plan<T>,
) -> ExitStatus {
    App::with_config(topology, plan).run_from(args)
}

fn run<T: Topology>(
    args: Args,
    program: &str,
    topology: Box<dyn FnOnce() -> Result<T, Error> + '_>,
    plan: PlanSource<'_, T>,
) -> ExitStatus {
    crate::redact::init_logging(args.verbose);
    let out = Output {
        json: args.json,
        command: args.command.name(),
    };
    // Device commands need neither the plan nor the topology: only the fleet's server.
    let args = match args.command {
        Command::Device {
            nats,
            timeout,
            action,
        } => {
            return device::run(&out, nats, Duration::from_secs(u64::from(timeout)), action);
        }
        command => Args { command, ..args },
    };
    // `status` reads the state only: it needs no plan, hence no configuration (nor secrets).
    let built = match args.command {
        Command::Status => Ok((Plan::new("status"), Vec::new())),
        _ => plan(args.config.clone(), program),
    };
    let (plan, config) = match built {
        Ok(built) => built,
        Err(e) => return out.fail(ExitStatus::Config, format!("configuration: {e}")),
    };
    let topology = match topology() {
        Ok(t) => t,
        Err(e) => {
            return out.fail(
                ExitStatus::Topology,
                format!("cannot set up topology `{}`: {e}", T::NAME),
            );
        }
    };
    let runtime = match out.runtime() {
        Ok(rt) => rt,
        Err(status) => return status,
    };
    let force_conflicts = matches!(
        args.command,
        Command::Apply {
            force_conflicts: true,
            ..
        }
    );
    // `rollout resume|abort SCORE` is an apply of that score only, its rollout told what to do.
    let only = match &args.command {
        Command::Rollout { action } => {
            let score = action.score();
            let has_policy = plan
                .score(score)
                .is_some_and(|s| s.spec.get("rollout").is_some_and(|r| !r.is_null()));
            if !has_policy {
                return out.fail(
                    ExitStatus::Usage,
                    format!(
                        "score `{score}` is not a fleet score with a rollout policy in this plan"
                    ),
                );
            }
            Some(score.to_string())
        }
        _ => args.only.clone(),
    };
    let mut engine = Engine::new(topology)
        .state_dir(
            args.state_dir
                .clone()
                .unwrap_or_else(|| PathBuf::from(".harmony")),
        )
        .only(only)
        .config_sources(config)
        .options(RunOptions { force_conflicts });
    if let Some(n) = args.parallelism {
        engine = engine.parallelism(usize::from(n));
    }
    let tty = std::io::stdout().is_terminal();
    let status = runtime.block_on(async {
        match args.command {
            Command::Plan { out: file, offline } => {
                plan::run(&out, &engine, plan, file, offline).await
            }
            Command::Apply { file, .. } => {
                let cancel = CancelToken::new();
                cancel.cancel_on_signals();
                let engine = engine.cancel_token(cancel);
                apply::run(&out, tty, &engine, plan, file, false).await
            }
            Command::Rollout { action } => {
                engine
                    .context()
                    .rollouts
                    .command(action.score(), action.command());
                let cancel = CancelToken::new();
                cancel.cancel_on_signals();
                let engine = engine.cancel_token(cancel);
                apply::run(&out, tty, &engine, plan, None, false).await
            }
            Command::Smoke => {
                let cancel = CancelToken::new();
                cancel.cancel_on_signals();
                let engine = engine.cancel_token(cancel);
                apply::run(&out, tty, &engine, plan, None, true).await
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
                render(&out, &engine, plan, &dir, secrets, format.as_deref()).await
            }
            Command::Status => match engine.status().await {
                Ok(doc) => status::print(&out, &engine, &doc),
                Err(e) => out.error(e),
            },
            // Answered above, before the plan and the topology are built.
            Command::Device { .. } => ExitStatus::Usage,
        }
    });
    // Steps still running after a cancellation (a provider ignoring it) must not keep us alive.
    runtime.shutdown_timeout(Duration::from_secs(1));
    status
}

/// `render DIR` or `render -` (`--format yaml|json`).
async fn render<T: Topology>(
    out: &Output,
    engine: &Engine<T>,
    plan: Plan<T>,
    dir: &std::path::Path,
    secrets: SecretValues,
    format: Option<&str>,
) -> ExitStatus {
    if dir.as_os_str() == "-" {
        if out.json {
            return out.fail(
                ExitStatus::Usage,
                "--json does not go with `render -`: stdout is the stream (use --format json)"
                    .into(),
            );
        }
        let format = match format {
            Some("json") => crate::render::StreamFormat::Json,
            _ => crate::render::StreamFormat::Yaml,
        };
        let mut stdout = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
        return match engine
            .render_stream(plan, format, secrets, &mut stdout)
            .await
        {
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
            Err(e) => out.error(e),
        };
    }
    if format.is_some() {
        return out.fail(
            ExitStatus::Usage,
            "--format applies to `render -` only; `render DIR` writes YAML manifests".into(),
        );
    }
    match engine.render(plan, dir, secrets).await {
        Ok(report) => {
            if out.json {
                out.print_json(&report.index);
            } else {
                let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
                let _ = crate::render::print_report(&report, dir, &mut stdout);
            }
            ExitStatus::Ok
        }
        Err(e) => out.error(e),
    }
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
    /// Reports a command-level error (stderr, plus a JSON document with `--json`); URL
    /// credentials are masked and control characters escaped.
    fn fail(&self, status: ExitStatus, message: String) -> ExitStatus {
        let message = crate::redact::mask_url_credentials(&message);
        let message = escape_lines(&message);
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

    /// The async runtime commands run on, or the error reported.
    fn runtime(&self) -> Result<tokio::runtime::Runtime, ExitStatus> {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(|e| {
                self.fail(
                    ExitStatus::StateIo,
                    format!("cannot start the async runtime: {e}"),
                )
            })
    }

    /// Reports an engine error.
    fn error(&self, error: EngineError) -> ExitStatus {
        self.fail(error.status, error.message)
    }

    fn print_json(&self, value: &impl Serialize) {
        match serde_json::to_string_pretty(value) {
            Ok(text) => println!("{text}"),
            Err(e) => eprintln!("error: cannot encode JSON output: {e}"),
        }
    }
}

/// Control characters escaped in each line of `text`, its line breaks kept.
fn escape_lines(text: &str) -> String {
    text.split('\n')
        .map(|line| crate::redact::escape_control(line).into_owned())
        .collect::<Vec<_>>()
        .join("\n")
}
