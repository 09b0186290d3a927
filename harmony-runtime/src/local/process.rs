//! `LocalProcesses`: the [`ProcessSupervisor`] capability with plain detached processes.
//!
//! Each process is started in its own process group, with stdout/stderr appended to
//! `<run dir>/<name>.log`, and described by `<run dir>/<name>.json` ([`ProcessRecord`]: pid,
//! spec hash, hashes of the `restart_on` files) so later invocations of the CLI find it.

use std::collections::BTreeMap;
use std::fs::{self, OpenOptions};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use harmony_dsl::capability::ProcessSupervisor;
use harmony_dsl::resource::{EnvValue, ProcessSpec};
use harmony_dsl::{BoxFuture, Change, Error, Inspection, Observed, Outcome, Result};
use serde::{Deserialize, Serialize};

use super::diff::line_diff;
use super::probe::probe_once;
use crate::hash::{json_hash, sha256_hex};
use crate::state::{now_unix, pid_alive, rfc3339, write_atomic};

/// Why a process without a record is not running.
const NEVER_STARTED: &str = "not started";

/// How long a stopped process gets between SIGTERM and SIGKILL.
const GRACE: Duration = Duration::from_secs(5);

/// What `LocalProcesses` remembers about a process it started.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcessRecord {
    /// The process name.
    pub name: String,
    /// Its pid, which is also its process group id.
    pub pid: i32,
    /// Its start time in clock ticks since boot (`/proc/<pid>/stat`), to detect pid reuse.
    pub start_ticks: Option<u64>,
    /// Hash of the spec it was started with.
    pub spec_hash: String,
    /// The spec it was started with (secrets cannot occur: they are refused).
    pub spec: ProcessSpec,
    /// Content hash (or `absent`) of each `restart_on` file when it started.
    pub restart_on: BTreeMap<String, String>,
    /// When it started (RFC 3339 UTC).
    pub started_at: String,
}

/// Supervised local processes; relative paths resolve against `root`, records live in `run_dir`.
#[derive(Debug, Clone)]
pub struct LocalProcesses {
    root: PathBuf,
    run_dir: PathBuf,
}

/// `(state, zombie)` of a pid from `/proc/<pid>/stat`: its start time and whether it is a zombie.
fn proc_stat(pid: i32) -> Option<(u64, bool)> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    let zombie = fields.first().is_some_and(|s| *s == "Z" || *s == "X");
    Some((fields.get(19)?.parse().ok()?, zombie))
}

fn is_alive(record: &ProcessRecord) -> bool {
    if !pid_alive(record.pid) {
        return false;
    }
    match (proc_stat(record.pid), record.start_ticks) {
        (Some((_, true)), _) => false,
        (Some((ticks, false)), Some(expected)) => ticks == expected,
        _ => true,
    }
}

fn signal_group(pid: i32, signal: i32) {
    // SAFETY: killpg only sends a signal; the group id comes from a process we started in its
    // own group (`process_group(0)`), so pgid == pid.
    unsafe {
        libc::killpg(pid, signal);
    }
}

fn io_error(action: &str, path: &Path, e: std::io::Error) -> Error {
    Error::permanent(format!("cannot {action} {}", path.display())).with_source(e)
}

/// Where a process stands compared with its spec.
enum Assessment {
    /// No live process: never started, or it died.
    NotRunning { reason: String },
    /// Running, but started from another spec or before a `restart_on` file changed.
    Differs {
        record: ProcessRecord,
        diff: Vec<String>,
    },
    /// Running from this very spec.
    Current { record: ProcessRecord },
}

impl LocalProcesses {
    /// Processes relative to `root`, with records under `run_dir`.
    pub fn new(root: impl Into<PathBuf>, run_dir: impl Into<PathBuf>) -> Self {
        LocalProcesses {
            root: root.into(),
            run_dir: run_dir.into(),
        }
    }

    fn resolve(&self, path: &Path) -> PathBuf {
        if path.is_absolute() {
            path.to_path_buf()
        } else {
            self.root.join(path)
        }
    }

    fn record_path(&self, name: &str) -> Result<PathBuf> {
        let valid = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
            && !name.starts_with('.');
        if !valid {
            return Err(Error::permanent(format!(
                "process name `{name}` must be letters, digits, `-`, `_` or `.`"
            )));
        }
        Ok(self.run_dir.join(format!("{name}.json")))
    }

    fn log_path(&self, name: &str) -> PathBuf {
        self.run_dir.join(format!("{name}.log"))
    }

    /// The record of process `name`, if one was started and not removed.
    pub fn record(&self, name: &str) -> Result<Option<ProcessRecord>> {
        let path = self.record_path(name)?;
        match fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|e| {
                Error::permanent(format!("corrupt process record {}", path.display()))
                    .with_source(e)
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_error("read", &path, e)),
        }
    }

    fn restart_hashes(&self, spec: &ProcessSpec) -> BTreeMap<String, String> {
        spec.restart_on
            .iter()
            .map(|p| {
                let hash =
                    fs::read(self.resolve(p)).map_or_else(|_| "absent".to_string(), sha256_hex);
                (p.display().to_string(), hash)
            })
            .collect()
    }

    fn assess(&self, spec: &ProcessSpec) -> Result<(Assessment, Observed)> {
        // `plan` inspects specs whose secrets are still references; the record holds the spec as
        // applied, whose secrets print as `<redacted>` whatever their value: compare like that.
        let spec = &as_applied(spec);
        let Some(record) = self.record(&spec.name)? else {
            return Ok((
                Assessment::NotRunning {
                    reason: "not started".into(),
                },
                Observed::Absent,
            ));
        };
        let alive = is_alive(&record);
        let observed = Observed::Hash {
            value: sha256_hex(format!("{}:{}:{alive}", json_hash(&record), record.pid)),
        };
        if !alive {
            let reason = format!("pid {} is no longer running", record.pid);
            return Ok((Assessment::NotRunning { reason }, observed));
        }
        let mut diff = Vec::new();
        if record.spec_hash != json_hash(spec) {
            let old = serde_json::to_string_pretty(&record.spec).unwrap_or_default();
            let new = serde_json::to_string_pretty(spec).unwrap_or_default();
            diff.extend(line_diff(&old, &new, 1));
        }
        let now = self.restart_hashes(spec);
        for (path, hash) in &now {
            if record.restart_on.get(path) != Some(hash) {
                diff.push(format!(
                    "~ {path} changed since the process started (restart)"
                ));
            }
        }
        let assessment = if diff.is_empty() {
            Assessment::Current { record }
        } else {
            Assessment::Differs { record, diff }
        };
        Ok((assessment, observed))
    }

    fn start(&self, spec: &ProcessSpec) -> Result<ProcessRecord> {
        let Some((program, args)) = spec.command.split_first() else {
            return Err(Error::permanent(format!(
                "process `{}` has an empty command",
                spec.name
            )));
        };
        let mut command = Command::new(program);
        command.args(args);
        for (key, value) in &spec.env {
            match value {
                EnvValue::Plain(v) => {
                    command.env(key, v);
                }
                EnvValue::Secret(v) => {
                    // Given to the process only; plans, logs and state show `<redacted>`.
                    command.env(key, v.expose());
                }
                EnvValue::SecretRef(r) => {
                    return Err(Error::permanent(format!(
                        "process `{}`: {} for `{key}` was not resolved before the process started",
                        spec.name,
                        r.describe()
                    )));
                }
            }
        }
        command.current_dir(
            spec.working_dir
                .as_deref()
                .map_or_else(|| self.root.clone(), |d| self.resolve(d)),
        );
        fs::create_dir_all(&self.run_dir).map_err(|e| io_error("create", &self.run_dir, e))?;
        let log_path = self.log_path(&spec.name);
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .map_err(|e| io_error("open", &log_path, e))?;
        let log_err = log
            .try_clone()
            .map_err(|e| io_error("open", &log_path, e))?;
        command
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err)
            .process_group(0);
        let restart_on = self.restart_hashes(spec);
        let mut child = command.spawn().map_err(|e| {
            Error::permanent(format!("cannot start process `{}` ({program})", spec.name))
                .with_source(e)
        })?;
        let pid = i32::try_from(child.id()).unwrap_or(i32::MAX);
        // Reap the child if it exits while this program still runs (no zombies).
        std::thread::spawn(move || {
            let _ = child.wait();
        });
        let record = ProcessRecord {
            name: spec.name.clone(),
            pid,
            start_ticks: proc_stat(pid).map(|(ticks, _)| ticks),
            spec_hash: json_hash(spec),
            spec: spec.clone(),
            restart_on,
            started_at: rfc3339(now_unix()),
        };
        let bytes = serde_json::to_vec_pretty(&record)
            .map_err(|e| Error::permanent("cannot encode record").with_source(e))?;
        let path = self.record_path(&spec.name)?;
        write_atomic(&path, &bytes).map_err(|e| io_error("write", &path, e))?;
        tracing::info!(process = %spec.name, pid, "started");
        Ok(record)
    }

    async fn stop(&self, record: &ProcessRecord) -> Result<()> {
        if is_alive(record) {
            signal_group(record.pid, libc::SIGTERM);
            let deadline = Instant::now() + GRACE;
            while is_alive(record) && Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(25)).await;
            }
            if is_alive(record) {
                tracing::warn!(process = %record.name, pid = record.pid, "no exit after SIGTERM; sending SIGKILL");
                signal_group(record.pid, libc::SIGKILL);
                let deadline = Instant::now() + Duration::from_secs(2);
                while is_alive(record) && Instant::now() < deadline {
                    tokio::time::sleep(Duration::from_millis(25)).await;
                }
            }
        }
        let path = self.record_path(&record.name)?;
        match fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io_error("remove", &path, e)),
        }
    }

    fn log_tail(&self, name: &str) -> String {
        let log = fs::read_to_string(self.log_path(name)).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(5)..].join(" | ")
    }

    /// Probes until healthy, the process dies, or the spec's health timeout passes.
    async fn wait_healthy(&self, spec: &ProcessSpec, record: &ProcessRecord) -> Result<()> {
        let Some(health) = &spec.health else {
            return Ok(());
        };
        let timeout = health.timeout.as_std();
        let deadline = Instant::now() + timeout;
        loop {
            let last = match probe_once(&health.probe).await {
                Ok(()) => return Ok(()),
                Err(why) => why,
            };
            if !is_alive(record) {
                return Err(Error::permanent(format!(
                    "process `{}` (pid {}) exited before it was healthy; log: {}",
                    spec.name,
                    record.pid,
                    self.log_tail(&spec.name)
                )));
            }
            if Instant::now() >= deadline {
                return Err(Error::transient(format!(
                    "process `{}` not healthy within {}ms: {last}",
                    spec.name,
                    timeout.as_millis()
                )));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn inspect_spec(&self, spec: &ProcessSpec) -> Result<Inspection> {
        let (assessment, observed) = self.assess(spec)?;
        let change = match assessment {
            Assessment::NotRunning { reason } => {
                if observed == Observed::Absent {
                    Change::Create {
                        summary: format!("start process {}: {}", spec.name, spec.command.join(" ")),
                    }
                } else {
                    Change::Update {
                        diff: vec![format!("- running: no ({reason})"), "+ running".to_string()],
                    }
                }
            }
            Assessment::Differs { diff, .. } => Change::Update { diff },
            Assessment::Current { .. } => match &spec.health {
                Some(health) => match probe_once(&health.probe).await {
                    Ok(()) => Change::None,
                    Err(why) => Change::Update {
                        diff: vec![
                            format!("- healthy: no ({why})"),
                            "+ healthy (restart)".to_string(),
                        ],
                    },
                },
                None => Change::None,
            },
        };
        Ok(Inspection { change, observed })
    }

    async fn apply_spec(&self, spec: &ProcessSpec) -> Result<Outcome> {
        let (assessment, _) = self.assess(spec)?;
        let why = match assessment {
            Assessment::Current { record } => match self.wait_healthy(spec, &record).await {
                Ok(()) => return Ok(Outcome::Unchanged),
                Err(e) => {
                    self.stop(&record).await?;
                    format!("restarted unhealthy process ({})", e.message())
                }
            },
            Assessment::Differs { record, diff } => {
                self.stop(&record).await?;
                let mut why = format!("restarted: {}", diff.join("; "));
                if why.len() > 160 {
                    why = format!("{}...", why.chars().take(157).collect::<String>());
                }
                why
            }
            Assessment::NotRunning { reason } if reason == NEVER_STARTED => "started".to_string(),
            Assessment::NotRunning { reason } => format!("started again ({reason})"),
        };
        let record = self.start(spec)?;
        self.wait_healthy(spec, &record).await?;
        Ok(Outcome::changed(format!(
            "process {} {why}, pid {}",
            spec.name, record.pid
        )))
    }

    async fn remove_spec(&self, spec: &ProcessSpec) -> Result<Outcome> {
        let Some(record) = self.record(&spec.name)? else {
            return Ok(Outcome::Unchanged);
        };
        let was_alive = is_alive(&record);
        self.stop(&record).await?;
        Ok(Outcome::changed(if was_alive {
            format!("stopped process {} (pid {})", spec.name, record.pid)
        } else {
            format!(
                "forgot process {} (pid {} had exited)",
                spec.name, record.pid
            )
        }))
    }
}

impl ProcessSupervisor for LocalProcesses {
    fn inspect<'a>(&'a self, resource: &'a ProcessSpec) -> BoxFuture<'a, Result<Inspection>> {
        Box::pin(self.inspect_spec(resource))
    }

    fn apply<'a>(&'a self, resource: &'a ProcessSpec) -> BoxFuture<'a, Result<Outcome>> {
        Box::pin(self.apply_spec(resource))
    }

    fn remove<'a>(&'a self, resource: &'a ProcessSpec) -> BoxFuture<'a, Result<Outcome>> {
        Box::pin(self.remove_spec(resource))
    }
}

/// `spec` as the record shows it once applied: secret references become (redacted) secrets.
fn as_applied(spec: &ProcessSpec) -> ProcessSpec {
    let mut spec = spec.clone();
    for value in spec.env.values_mut() {
        if matches!(value, EnvValue::SecretRef(_)) {
            *value = EnvValue::Secret(harmony_dsl::value::Secret::new(String::new()));
        }
    }
    spec
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(name: &str, command: &[&str]) -> ProcessSpec {
        ProcessSpec {
            name: name.into(),
            command: command.iter().map(|s| s.to_string()).collect(),
            env: BTreeMap::new(),
            working_dir: None,
            restart_on: vec!["trigger.txt".into()],
            health: None,
        }
    }

    #[tokio::test]
    async fn starts_restarts_on_change_and_stops() {
        let root = std::env::temp_dir().join(format!("harmony-proc-{}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        fs::create_dir_all(&root).unwrap();
        let procs = LocalProcesses::new(&root, root.join("run"));
        let sleeper = spec("sleeper", &["sleep", "300"]);
        let first = procs.inspect(&sleeper).await.unwrap();
        assert!(matches!(first.change, Change::Create { .. }));
        assert!(procs.apply(&sleeper).await.unwrap().is_changed());
        let record = procs.record("sleeper").unwrap().unwrap();
        assert!(is_alive(&record));
        assert_eq!(procs.apply(&sleeper).await.unwrap(), Outcome::Unchanged);
        assert_eq!(procs.inspect(&sleeper).await.unwrap().change, Change::None);

        fs::write(root.join("trigger.txt"), "v2").unwrap();
        let inspected = procs.inspect(&sleeper).await.unwrap();
        assert!(
            matches!(&inspected.change, Change::Update { diff } if diff[0].contains("trigger.txt"))
        );
        assert!(procs.apply(&sleeper).await.unwrap().is_changed());
        let restarted = procs.record("sleeper").unwrap().unwrap();
        assert_ne!(restarted.pid, record.pid);
        assert!(!is_alive(&record));

        signal_group(restarted.pid, libc::SIGKILL);
        let deadline = Instant::now() + Duration::from_secs(5);
        while is_alive(&restarted) && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(matches!(
            procs.inspect(&sleeper).await.unwrap().change,
            Change::Update { .. }
        ));
        assert!(procs.apply(&sleeper).await.unwrap().is_changed());
        let last = procs.record("sleeper").unwrap().unwrap();
        assert!(procs.remove(&sleeper).await.unwrap().is_changed());
        assert!(!is_alive(&last));
        assert_eq!(procs.record("sleeper").unwrap(), None);
        assert_eq!(procs.remove(&sleeper).await.unwrap(), Outcome::Unchanged);
        let _ = fs::remove_dir_all(&root);
    }
}
