//! Supervised workloads: each desired process workload runs as a child process in its own
//! process group; a container workload is a podman container managed through `harmony-podman`
//! (valid name derived from its key, secrets as podman secrets never in argv, podman's
//! `--restart always`, replaced when its spec changes, removed when no longer desired, and
//! left running across an agent restart when unchanged). A process that exits is restarted
//! with exponential backoff; a workload no longer desired is stopped (SIGTERM to its group,
//! SIGKILL after a grace period). A process workload gets only the environment it declares and
//! [`WORKLOAD_PATH`] (unless it declares a `PATH`), never the agent's own.
//!
//! Each running process has a pid file `<dir>/run/<workload>.pid` holding its pid and its start
//! time (from `/proc`); an agent that was killed without stopping its workloads finds them at its
//! next start and stops them ([`Supervisor::reap_orphans`]) before starting its own, so a crash of
//! the agent never leaves two copies running. The start time guards against pid reuse.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use harmony_fleet_wire::{EnvValue, Workload, WorkloadRun};
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

use crate::backoff::Backoff;
use harmony_fleet_wire::{WorkloadState, WorkloadStatus, key_token};

/// First wait before restarting a process that exited.
const BACKOFF_START: Duration = Duration::from_millis(200);
/// Longest wait between restarts.
const BACKOFF_MAX: Duration = Duration::from_secs(30);
/// A process that ran this long resets the backoff.
const STABLE_AFTER: Duration = Duration::from_secs(10);
/// Time a stopped process gets between SIGTERM and SIGKILL.
const GRACE: Duration = Duration::from_secs(5);

struct Running {
    key: String,
    workload: Workload,
    status: Arc<Mutex<WorkloadStatus>>,
    stop: watch::Sender<bool>,
    restart: Arc<Notify>,
    output: Output,
    task: JoinHandle<()>,
}

/// Where a workload's output can be read.
#[derive(Debug, Clone)]
pub enum Output {
    /// A process workload: its standard output and error, appended to this file.
    File(PathBuf),
    /// A container workload: `podman logs` of the agent's container of this logical name.
    Container {
        /// The podman program.
        program: PathBuf,
        /// The agent's podman state directory.
        state: PathBuf,
        /// The container's logical name (`<key>/<workload>`).
        logical: String,
    },
}

/// What a device command reaches of one running workload (see [`crate::commands`]).
#[derive(Debug, Clone)]
pub struct WorkloadHandle {
    /// The workload's name.
    pub name: String,
    /// The desired key it comes from.
    pub key: String,
    /// Its current state.
    pub status: Arc<Mutex<WorkloadStatus>>,
    /// Where its output is.
    pub output: Output,
    /// Notified to restart it now.
    pub restart: Arc<Notify>,
}

/// The running workloads as device commands see them, kept current by the [`Supervisor`].
pub type WorkloadRegistry = Arc<Mutex<Vec<WorkloadHandle>>>;

/// The workloads running on this device.
pub struct Supervisor {
    running: BTreeMap<String, Running>,
    changed: Arc<Notify>,
    podman: Option<PathBuf>,
    podman_state: PathBuf,
    orphans_checked: bool,
    log_dir: PathBuf,
    run_dir: PathBuf,
    registry: WorkloadRegistry,
}

/// Owner scope of the agent's containers.
const PODMAN_SCOPE: &str = "agent";
/// How often a running container's state is read.
const CONTAINER_POLL: Duration = Duration::from_secs(1);

/// `PATH` of a process workload that declares none: fixed, never the agent's own (the same as
/// the local supervisor's `harmony_runtime::local::DEFAULT_PATH`; the agent does not link the
/// runtime).
pub const WORKLOAD_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// Finds `program` in `PATH`.
pub fn find_on_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}

impl Supervisor {
    /// A supervisor keeping workload output in `<dir>/logs` and pid files in `<dir>/run`;
    /// `changed` is notified whenever a workload changes state.
    pub fn new(dir: &Path, changed: Arc<Notify>) -> std::io::Result<Self> {
        let log_dir = dir.join("logs");
        let run_dir = dir.join("run");
        std::fs::create_dir_all(&log_dir)?;
        std::fs::create_dir_all(&run_dir)?;
        Ok(Supervisor {
            running: BTreeMap::new(),
            changed,
            podman: find_on_path("podman"),
            podman_state: dir.join("podman"),
            orphans_checked: false,
            log_dir,
            run_dir,
            registry: WorkloadRegistry::default(),
        })
    }

    /// The running workloads for device commands; updated on every reconcile.
    pub fn registry(&self) -> WorkloadRegistry {
        self.registry.clone()
    }

    fn publish_registry(&self) {
        let handles = self
            .running
            .values()
            .map(|r| WorkloadHandle {
                name: r.workload.name.clone(),
                key: r.key.clone(),
                status: r.status.clone(),
                output: r.output.clone(),
                restart: r.restart.clone(),
            })
            .collect();
        if let Ok(mut registry) = self.registry.lock() {
            *registry = handles;
        }
    }

    /// Stops processes left running by a previous agent (recorded in pid files whose process
    /// still exists with the same start time); returns how many it stopped.
    pub async fn reap_orphans(&self) -> usize {
        let Ok(entries) = std::fs::read_dir(&self.run_dir) else {
            return 0;
        };
        let mut reaped = 0;
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "pid")
                && let Some(pid) = std::fs::read_to_string(&path)
                    .ok()
                    .and_then(|text| live_pid(&text))
            {
                signal_group(pid, "TERM").await;
                let deadline = Instant::now() + GRACE;
                while start_time(pid).is_some() && Instant::now() < deadline {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                if start_time(pid).is_some() {
                    signal_group(pid, "KILL").await;
                }
                reaped += 1;
            }
            let _ = std::fs::remove_file(&path);
        }
        reaped
    }

    /// Makes the running set equal to `desired` (desired key, workload): stops what is no
    /// longer desired or changed, starts what is new or changed.
    pub async fn reconcile(&mut self, desired: Vec<(String, Workload)>) {
        let mut wanted: BTreeMap<String, (String, Workload)> = BTreeMap::new();
        for (key, workload) in desired {
            wanted.insert(format!("{key}/{}", workload.name), (key, workload));
        }
        let stale: Vec<String> = self
            .running
            .iter()
            .filter(|(id, r)| {
                wanted
                    .get(*id)
                    .is_none_or(|(key, w)| *key != r.key || *w != r.workload)
            })
            .map(|(id, _)| id.clone())
            .collect();
        for id in stale {
            if let Some(running) = self.running.remove(&id) {
                stop(running).await;
            }
        }
        self.remove_orphan_containers(&wanted).await;
        for (id, (key, workload)) in wanted {
            if self.running.contains_key(&id) {
                continue;
            }
            let status = Arc::new(Mutex::new(WorkloadStatus {
                name: workload.name.clone(),
                key: key.clone(),
                state: WorkloadState::Starting,
                pid: None,
                restarts: 0,
                message: None,
            }));
            let (stop_tx, stop_rx) = watch::channel(false);
            let restart = Arc::new(Notify::new());
            let log = self.log_dir.join(format!("{}.log", key_token(&id)));
            let output = match (&workload.run, &self.podman) {
                (WorkloadRun::Container { .. }, Some(program)) => Output::Container {
                    program: program.clone(),
                    state: self.podman_state.clone(),
                    logical: id.clone(),
                },
                _ => Output::File(log.clone()),
            };
            let launch = Launch {
                id: id.clone(),
                workload: workload.clone(),
                podman: self.podman.clone(),
                podman_state: self.podman_state.clone(),
                log,
                pid_file: self.run_dir.join(format!("{}.pid", key_token(&id))),
            };
            let task = tokio::spawn(supervise(
                launch,
                status.clone(),
                self.changed.clone(),
                stop_rx,
                restart.clone(),
            ));
            self.running.insert(
                id,
                Running {
                    key,
                    workload,
                    status,
                    stop: stop_tx,
                    restart,
                    output,
                    task,
                },
            );
        }
        self.publish_registry();
        self.changed.notify_one();
    }

    /// At the first reconcile only, removes the agent's containers that no desired workload
    /// names (left by an agent that was killed, or desired before it restarted); unchanged ones
    /// stay running. Later removals happen when a workload is stopped. An agent that never ran
    /// a container (no digest key in its podman state) runs no podman command here.
    async fn remove_orphan_containers(&mut self, wanted: &BTreeMap<String, (String, Workload)>) {
        if std::mem::replace(&mut self.orphans_checked, true) {
            return;
        }
        let Some(program) = &self.podman else {
            return;
        };
        if !self.podman_state.join(harmony_podman::KEY_FILE).exists() {
            return;
        }
        let mut config = harmony_podman::Config::new(&self.podman_state, PODMAN_SCOPE);
        config.program = program.clone();
        let Ok(podman) = harmony_podman::Podman::new(config) else {
            return;
        };
        for info in podman.list().await.unwrap_or_default() {
            if !wanted.contains_key(&info.logical) {
                let _ = podman.remove(&info.logical).await;
            }
        }
    }

    /// The state of every workload.
    pub fn statuses(&self) -> Vec<WorkloadStatus> {
        self.running
            .values()
            .filter_map(|r| r.status.lock().ok().map(|s| s.clone()))
            .collect()
    }

    /// Stops everything.
    pub async fn stop_all(&mut self) {
        let all = std::mem::take(&mut self.running);
        self.publish_registry();
        for (_, running) in all {
            stop(running).await;
        }
    }
}

async fn stop(running: Running) {
    let _ = running.stop.send(true);
    let _ = running.task.await;
}

struct Launch {
    id: String,
    workload: Workload,
    podman: Option<PathBuf>,
    podman_state: PathBuf,
    log: PathBuf,
    pid_file: PathBuf,
}

impl Launch {
    fn env(&self) -> Vec<(String, String)> {
        self.workload
            .env
            .iter()
            .filter_map(|(k, v)| {
                let value = match v {
                    EnvValue::Plain(s) => s.clone(),
                    EnvValue::Secret(s) => s.expose().clone(),
                    // The operator resolves references before publishing a spec; one that got
                    // through is left unset rather than set to the reference's text.
                    EnvValue::SecretRef(r) => {
                        eprintln!(
                            "harmony-agent: workload env `{k}`: {} was not resolved by the operator",
                            r.describe()
                        );
                        return None;
                    }
                };
                Some((k.clone(), value))
            })
            .collect()
    }

    /// The podman client for container workloads, or why there is none.
    fn podman(&self) -> Result<harmony_podman::Podman, String> {
        let Some(program) = &self.podman else {
            let image = match &self.workload.run {
                WorkloadRun::Container { image } => image.to_string(),
                WorkloadRun::Process { .. } => String::new(),
            };
            return Err(format!(
                "container image {image} needs a container runtime, and podman is not on PATH"
            ));
        };
        let mut config = harmony_podman::Config::new(&self.podman_state, PODMAN_SCOPE);
        config.program = program.clone();
        harmony_podman::Podman::new(config).map_err(|e| e.message)
    }

    /// The container for a container workload: named after its id, plain env as env, secrets
    /// as podman secrets (`/run/secrets/VAR`, `VAR_FILE`), host network, restarted by podman.
    fn container(&self, image: String) -> harmony_podman::ContainerSpec {
        let mut spec = harmony_podman::ContainerSpec {
            name: self.id.clone(),
            image,
            network: harmony_podman::Network::Host,
            restart: harmony_podman::RestartPolicy::Always,
            ..Default::default()
        };
        for (k, v) in &self.workload.env {
            match v {
                EnvValue::Plain(s) => {
                    spec.env.insert(k.clone(), s.clone());
                }
                EnvValue::Secret(s) => {
                    spec.secrets.insert(
                        k.clone(),
                        Some(harmony_podman::SecretValue::new(s.expose().clone())),
                    );
                }
                EnvValue::SecretRef(r) => eprintln!(
                    "harmony-agent: workload env `{k}`: {} was not resolved by the operator",
                    r.describe()
                ),
            }
        }
        spec
    }

    /// The command to run, or why the workload cannot run here.
    fn command(&self) -> Result<tokio::process::Command, String> {
        let mut command = match &self.workload.run {
            WorkloadRun::Process { command } => {
                let Some((program, args)) = command.split_first() else {
                    return Err("its command is empty".to_string());
                };
                // Only what the workload declares, and a fixed PATH unless it declares one:
                // nothing of the agent's own environment (its NATS credentials, for one).
                let mut c = tokio::process::Command::new(program);
                c.args(args)
                    .env_clear()
                    .env("PATH", WORKLOAD_PATH)
                    .envs(self.env());
                c
            }
            WorkloadRun::Container { .. } => {
                return Err("containers are run by supervise_container".to_string());
            }
        };
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .map_err(|e| format!("cannot open its log {}: {e}", self.log.display()))?;
        let log_err = log
            .try_clone()
            .map_err(|e| format!("cannot open its log {}: {e}", self.log.display()))?;
        command
            .stdin(Stdio::null())
            .stdout(Stdio::from(log))
            .stderr(Stdio::from(log_err))
            .process_group(0)
            .kill_on_drop(true);
        Ok(command)
    }
}

fn set(status: &Mutex<WorkloadStatus>, changed: &Notify, f: impl FnOnce(&mut WorkloadStatus)) {
    if let Ok(mut s) = status.lock() {
        f(&mut s);
    }
    changed.notify_one();
}

async fn supervise(
    launch: Launch,
    status: Arc<Mutex<WorkloadStatus>>,
    changed: Arc<Notify>,
    mut stop: watch::Receiver<bool>,
    restart: Arc<Notify>,
) {
    if let WorkloadRun::Container { image } = &launch.workload.run {
        let image = image.to_string();
        return supervise_container(launch, image, status, changed, stop, restart).await;
    }
    let mut backoff = Backoff::new(BACKOFF_START, BACKOFF_MAX);
    loop {
        let mut command = match launch.command() {
            Ok(c) => c,
            Err(reason) => {
                set(&status, &changed, |s| {
                    s.state = WorkloadState::Failed;
                    s.pid = None;
                    s.message = Some(reason);
                });
                // Nothing will change until the spec does: wait to be stopped.
                stopped(&mut stop).await;
                return;
            }
        };
        match command.spawn() {
            Err(e) => {
                let program = format!("{:?}", command.as_std().get_program());
                set(&status, &changed, |s| {
                    s.state = WorkloadState::Failed;
                    s.pid = None;
                    s.message = Some(format!("cannot start {program}: {e}"));
                });
            }
            Ok(mut child) => {
                let started = Instant::now();
                let pid = child.id();
                if let Some(pid) = pid
                    && let Some(start) = start_time(pid)
                {
                    let _ = std::fs::write(&launch.pid_file, format!("{pid} {start}\n"));
                }
                set(&status, &changed, |s| {
                    s.state = WorkloadState::Running;
                    s.pid = pid;
                });
                tokio::select! {
                    exit = child.wait() => {
                        let _ = std::fs::remove_file(&launch.pid_file);
                        if started.elapsed() >= STABLE_AFTER {
                            backoff.reset();
                        }
                        let message = match exit {
                            Ok(code) => format!("exited ({code}); restarting in {:?}", backoff.current()),
                            Err(e) => format!("lost track of it ({e}); restarting in {:?}", backoff.current()),
                        };
                        set(&status, &changed, |s| {
                            s.state = WorkloadState::BackingOff;
                            s.pid = None;
                            s.message = Some(message);
                        });
                    }
                    _ = restart.notified() => {
                        // Asked by the operator: a new process now, no backoff.
                        terminate(&mut child).await;
                        let _ = std::fs::remove_file(&launch.pid_file);
                        set(&status, &changed, |s| {
                            s.restarts += 1;
                            s.state = WorkloadState::Starting;
                            s.pid = None;
                            s.message = Some("restarted by the operator".to_string());
                        });
                        continue;
                    }
                    _ = stopped(&mut stop) => {
                        terminate(&mut child).await;
                        let _ = std::fs::remove_file(&launch.pid_file);
                        return;
                    }
                }
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(backoff.current()) => {}
            _ = restart.notified() => {}
            _ = stopped(&mut stop) => return,
        }
        backoff.advance();
        set(&status, &changed, |s| {
            s.restarts += 1;
            s.state = WorkloadState::Starting;
        });
    }
}

/// Runs a container workload: applies its container (created, replaced when the spec changed,
/// left alone when unchanged) with backoff until podman takes it, then follows its state;
/// podman restarts it when its process dies. Stopping removes the container and its secrets.
async fn supervise_container(
    launch: Launch,
    image: String,
    status: Arc<Mutex<WorkloadStatus>>,
    changed: Arc<Notify>,
    mut stop: watch::Receiver<bool>,
    restart: Arc<Notify>,
) {
    let podman = match launch.podman() {
        Ok(podman) => podman,
        Err(reason) => {
            set(&status, &changed, |s| {
                s.state = WorkloadState::Failed;
                s.pid = None;
                s.message = Some(reason);
            });
            stopped(&mut stop).await;
            return;
        }
    };
    let spec = launch.container(image);
    let mut backoff = Backoff::new(BACKOFF_START, BACKOFF_MAX);
    loop {
        // Apply until podman takes it.
        loop {
            match podman.apply(&spec).await {
                Ok(_) => {
                    backoff.reset();
                    break;
                }
                Err(e) => {
                    let permanent = !matches!(
                        e.kind,
                        harmony_podman::ErrorKind::Podman | harmony_podman::ErrorKind::Unhealthy
                    );
                    set(&status, &changed, |s| {
                        s.state = if permanent {
                            WorkloadState::Failed
                        } else {
                            WorkloadState::BackingOff
                        };
                        s.pid = None;
                        s.message = Some(format!(
                            "{}; retrying in {:?}",
                            e.message,
                            backoff.current()
                        ));
                    });
                    tokio::select! {
                        _ = tokio::time::sleep(backoff.current()) => {}
                        _ = stopped(&mut stop) => return,
                    }
                    backoff.advance();
                }
            }
        }
        // Follow it until it is stopped or disappears.
        loop {
            match podman.info(&spec.name).await {
                Ok(Some(info)) => {
                    let running = info.is_running();
                    set(&status, &changed, |s| {
                        s.restarts = u32::try_from(info.restarts).unwrap_or(u32::MAX);
                        if running {
                            s.state = WorkloadState::Running;
                            s.pid = Some(info.pid);
                            s.message = None;
                        } else {
                            s.state = WorkloadState::BackingOff;
                            s.pid = None;
                            s.message = Some(format!(
                                "container {} is {}; podman restarts it",
                                info.name, info.state
                            ));
                        }
                    });
                }
                Ok(None) => break,
                Err(e) => set(&status, &changed, |s| s.message = Some(e.message)),
            }
            tokio::select! {
                _ = tokio::time::sleep(CONTAINER_POLL) => {}
                _ = restart.notified() => {
                    // Asked by the operator: a new container, applied again below.
                    let _ = podman.remove(&spec.name).await;
                    break;
                }
                _ = stopped(&mut stop) => {
                    let _ = podman.remove(&spec.name).await;
                    return;
                }
            }
        }
    }
}

/// The start time of process `pid` (clock ticks since boot, field 22 of `/proc/<pid>/stat`).
fn start_time(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may hold spaces: count after the last `)`.
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(19)?.parse().ok()
}

/// The pid of a pid file's content `<pid> <start time>` when that process still runs.
fn live_pid(text: &str) -> Option<u32> {
    let mut parts = text.split_whitespace();
    let pid: u32 = parts.next()?.parse().ok()?;
    let start: u64 = parts.next()?.parse().ok()?;
    (pid > 1 && start_time(pid) == Some(start)).then_some(pid)
}

/// Completes when the supervisor asks the workload to stop (or is gone).
async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|stopped| *stopped).await.map(|_| ());
}

/// SIGTERM to the child's process group, SIGKILL after [`GRACE`].
async fn terminate(child: &mut tokio::process::Child) {
    let Some(pid) = child.id() else {
        return;
    };
    signal_group(pid, "TERM").await;
    if tokio::time::timeout(GRACE, child.wait()).await.is_err() {
        signal_group(pid, "KILL").await;
        let _ = child.kill().await;
    }
}

async fn signal_group(pid: u32, signal: &str) {
    let _ = tokio::process::Command::new("kill")
        .arg(format!("-{signal}"))
        .arg("--")
        .arg(format!("-{pid}"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .await;
}
