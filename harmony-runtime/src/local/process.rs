//! `LocalProcesses`: the [`ProcessSupervisor`] capability with plain detached processes.
//!
//! Each process is described by `<run dir>/<name>.json` ([`ProcessRecord`]), its output appended
//! to `<run dir>/<name>.log`. The run dir is `0700`, records and logs `0600`, none of them is
//! ever reached through a symbolic link, and they belong to the user Harmony runs as.
//!
//! **No orphans.** The record is written (and fsynced) *before* the process is spawned, in phase
//! [`Phase::Starting`], with a random tag; the process gets `HARMONY_SUPERVISED=<name>:<tag>` in
//! its environment and a session of its own. Once spawned, the record gets its pid and start
//! time ([`Phase::Running`]). Whenever Harmony is killed, the next `plan` shows and the next
//! `apply` stops whatever the record names: the processes carrying the tag (owned by this user)
//! and the members of the recorded session, each checked against its start time so that a reused
//! pid is never signalled. Only then is a new copy started: there is never a second one.
//!
//! **Environment.** A process gets only what its spec declares, plus `PATH` set to
//! [`DEFAULT_PATH`] (unless declared) and the [`MARKER_VAR`] marker; nothing of Harmony's own
//! environment (tokens, `HARMONY_CONFIG_*`, cloud credentials) reaches it. Like a systemd service
//! without `User=`: declare `HOME`, `LANG` or `TZ` when the program needs them.
//!
//! **Health.** A health check on a port of this machine passes only when the socket listening
//! there belongs to the process (or one of its descendants or session): a port held by another
//! process is a failure naming that process, and a process is not started on a port someone else
//! already holds.
//!
//! **Secrets.** Records hold no secret value: the spec shows `<redacted>`, and each secret
//! variable is kept as an HMAC-SHA256 digest under a random key of the run dir (`.digest-key`,
//! `0600`), so that a changed value restarts the process (`plan` says `secret NAME changed`)
//! while the record reveals nothing of it.

use std::collections::BTreeMap;
use std::fs::{self, DirBuilder, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::RwLock;
use std::time::{Duration, Instant};

use harmony_dsl::capability::ProcessSupervisor;
use harmony_dsl::resource::{EnvValue, ProcessSpec};
use harmony_dsl::value::Secret;
use harmony_dsl::{BoxFuture, Change, Error, Inspection, Observed, Outcome, Result};
use ring::hmac;
use ring::rand::{SecureRandom, SystemRandom};
use serde::{Deserialize, Serialize};

use super::diff::line_diff;
use super::probe::{loopback_port, probe_once};
use super::procfs;
use crate::hash::{json_hash, sha256_hex};
use crate::state::{now_unix, rfc3339};

/// Why a process without a record is not running.
const NEVER_STARTED: &str = "not started";

/// How long a stopped process gets between SIGTERM and SIGKILL.
const GRACE: Duration = Duration::from_secs(5);

/// The environment variable marking every process Harmony starts, `<name>:<tag>` with the
/// record's random tag: how Harmony finds its processes again after a crash.
pub const MARKER_VAR: &str = "HARMONY_SUPERVISED";

/// `PATH` of a supervised process whose spec declares none: fixed, never Harmony's own.
pub const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// The key of the secret digests, in the run dir (process names never start with a dot).
const KEY_FILE: &str = ".digest-key";

/// Temporaries of ours older than this are left over by a crash: removed.
const STALE_TEMP: Duration = Duration::from_secs(60);

/// Where a [`ProcessRecord`] is in starting its process.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Written before the process is spawned: it may exist or not; it carries the record's tag.
    Starting,
    /// Spawned: `pid` and `start_ticks` name it.
    #[default]
    Running,
}

/// What `LocalProcesses` remembers about a process it started (file mode `0600`, no secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcessRecord {
    /// The process name.
    pub name: String,
    /// Before or after the spawn.
    #[serde(default)]
    pub phase: Phase,
    /// Random; the process's environment holds `HARMONY_SUPERVISED=<name>:<tag>`.
    #[serde(default)]
    pub tag: String,
    /// Its pid, which is also its session id (unknown while [`Phase::Starting`]).
    pub pid: Option<i32>,
    /// Its start time in clock ticks since boot (`/proc/<pid>/stat`), to detect pid reuse.
    pub start_ticks: Option<u64>,
    /// Hash of the spec it was started with (secrets redacted).
    pub spec_hash: String,
    /// The spec it was started with; secret values show as `<redacted>`.
    pub spec: ProcessSpec,
    /// HMAC-SHA256 (key: the run dir's `.digest-key`) of each secret variable's value.
    #[serde(default)]
    pub secret_digests: BTreeMap<String, String>,
    /// Content hash (or `absent`) of each `restart_on` file when it started.
    pub restart_on: BTreeMap<String, String>,
    /// When it started (RFC 3339 UTC).
    pub started_at: String,
}

impl ProcessRecord {
    /// The environment entry its processes carry, when the record has a tag.
    fn marker(&self) -> Option<String> {
        (!self.tag.is_empty()).then(|| format!("{MARKER_VAR}={}:{}", self.name, self.tag))
    }
}

/// Supervised local processes; relative paths resolve against `root`, records live in the run
/// dir (which the topology may move before a run, see [`LocalProcesses::set_run_dir`]).
#[derive(Debug)]
pub struct LocalProcesses {
    root: PathBuf,
    run_dir: RwLock<PathBuf>,
}

/// The effective uid of this program.
fn euid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

/// Whether the process the record names by pid runs, with the recorded start time.
fn is_alive(record: &ProcessRecord) -> bool {
    let (Phase::Running, Some(pid)) = (record.phase, record.pid) else {
        return false;
    };
    match (procfs::stat(pid), record.start_ticks) {
        (None, _) => false,
        (Some(stat), _) if stat.zombie => false,
        (Some(stat), Some(expected)) => stat.start_ticks == expected,
        (Some(_), None) => true,
    }
}

/// Sends `signal` to `pid` only if it still has start time `ticks`: through a pidfd, so that a
/// pid reused between the check and the signal is never hit.
fn signal_exact(pid: i32, ticks: u64, signal: i32) {
    // SAFETY: pidfd_open takes a pid and flags and returns a new descriptor (or -1).
    let raw = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    let same = |pid| procfs::stat(pid).is_some_and(|s| s.start_ticks == ticks);
    if raw < 0 {
        // No pidfd (kernel before 5.3): check, then signal by pid.
        if same(pid) {
            // SAFETY: kill only sends a signal to a process just checked to be ours.
            unsafe {
                libc::kill(pid, signal);
            }
        }
        return;
    }
    // SAFETY: `raw` is a descriptor pidfd_open just returned, owned by nobody else.
    let fd = unsafe { OwnedFd::from_raw_fd(raw as i32) };
    if same(pid) {
        // SAFETY: signals the process the pidfd refers to; no siginfo, no flags.
        unsafe {
            libc::syscall(
                libc::SYS_pidfd_send_signal,
                fd.as_raw_fd(),
                signal,
                std::ptr::null::<libc::siginfo_t>(),
                0,
            );
        }
    }
}

fn io_error(action: &str, path: &Path, e: io::Error) -> Error {
    Error::permanent(format!("cannot {action} {}", path.display())).with_source(e)
}

/// `n` random bytes as hex.
fn random_hex(n: usize) -> Result<String> {
    let mut bytes = vec![0u8; n];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| Error::permanent("the system random generator failed"))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Creates `dir` (and missing parents) `0700`, or checks the existing one: a directory, not a
/// symbolic link, owned by this user; its mode is tightened to `0700`. Its parent (the state
/// dir) must belong to this user or root and, when others may write to it, be sticky (like
/// `/tmp`): otherwise another user could swap `dir` for a link between the check and a use.
fn ensure_private_dir(dir: &Path) -> Result<()> {
    DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| io_error("create", dir, e))?;
    if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        let meta = fs::metadata(parent).map_err(|e| io_error("inspect", parent, e))?;
        let trusted_owner = meta.uid() == euid() || meta.uid() == 0;
        let open_to_others = meta.mode() & 0o022 != 0 && meta.mode() & 0o1000 == 0;
        if !trusted_owner || open_to_others {
            return Err(Error::permanent(format!(
                "{} (uid {}, mode {:o}) could be changed by another user: refusing to keep process records in it",
                parent.display(),
                meta.uid(),
                meta.mode() & 0o7777
            )));
        }
    }
    let meta = fs::symlink_metadata(dir).map_err(|e| io_error("inspect", dir, e))?;
    if meta.file_type().is_symlink() || !meta.is_dir() {
        return Err(Error::permanent(format!(
            "{} is not a directory (a symbolic link?): refusing to keep process records there",
            dir.display()
        )));
    }
    if meta.uid() != euid() {
        return Err(Error::permanent(format!(
            "{} belongs to uid {}, not to this user (uid {}): refusing to keep process records there",
            dir.display(),
            meta.uid(),
            euid()
        )));
    }
    if meta.mode() & 0o077 != 0 {
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
            .map_err(|e| io_error("restrict", dir, e))?;
    }
    Ok(())
}

/// Checks an open file of the run dir: regular, owned by this user, mode tightened to `0600`
/// unless `strict` (then a looser mode is an error).
fn check_private_file(file: &File, path: &Path, strict: bool) -> Result<()> {
    let meta = file.metadata().map_err(|e| io_error("inspect", path, e))?;
    if !meta.is_file() || meta.uid() != euid() {
        return Err(Error::permanent(format!(
            "{} is not a regular file of uid {}: refusing it",
            path.display(),
            euid()
        )));
    }
    if meta.mode() & 0o077 != 0 {
        if strict {
            return Err(Error::permanent(format!(
                "{} has mode {:o}, not 0600: refusing it (remove it to start afresh)",
                path.display(),
                meta.mode() & 0o7777
            )));
        }
        file.set_permissions(fs::Permissions::from_mode(0o600))
            .map_err(|e| io_error("restrict", path, e))?;
    }
    Ok(())
}

/// Opens `path` for reading without following a symbolic link; `None` when it does not exist.
fn open_private(path: &Path, strict: bool) -> Result<Option<File>> {
    match OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
    {
        Ok(file) => {
            check_private_file(&file, path, strict)?;
            Ok(Some(file))
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => Err(Error::permanent(format!(
            "{} is a symbolic link: refusing to follow it",
            path.display()
        ))),
        Err(e) => Err(io_error("open", path, e)),
    }
}

fn read_private(path: &Path, strict: bool) -> Result<Option<Vec<u8>>> {
    let Some(mut file) = open_private(path, strict)? else {
        return Ok(None);
    };
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)
        .map_err(|e| io_error("read", path, e))?;
    Ok(Some(bytes))
}

/// A new `0600` temporary file in `dir` with an unpredictable name (`O_EXCL|O_NOFOLLOW`), for
/// the digest key, which is published with a hard link (never replacing another run's key).
fn create_temp(dir: &Path, name: &str) -> Result<(PathBuf, File)> {
    let tmp = dir.join(format!(
        "{}{name}.{}",
        crate::safe_fs::TEMP_PREFIX,
        random_hex(8)?
    ));
    let file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(&tmp)
        .map_err(|e| io_error("create", &tmp, e))?;
    Ok((tmp, file))
}

fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| io_error("sync", dir, e))
}

/// Replaces `dir/name` with `bytes` through [`safe_fs`](crate::safe_fs): a `0600` temporary
/// with a random name, created exclusively without following a link, fsynced, renamed, the
/// directory fsynced.
fn write_private(dir: &Path, name: &str, bytes: &[u8]) -> Result<()> {
    crate::safe_fs::SecureDir::open(dir, None)
        .and_then(|d| d.write(name.as_ref(), bytes, &crate::safe_fs::WriteOptions::PRIVATE))
        .map_err(|e| io_error("write", &dir.join(name), e))
}

/// Removes temporaries of ours in `dir` left by a crash (older than a minute).
fn remove_stale_temps(dir: &Path) {
    if let Ok(dir) = crate::safe_fs::SecureDir::open(dir, None) {
        let _ = dir.clean_stale_temporaries(STALE_TEMP);
    }
}

/// The environment variables of `spec` that hold secrets (values or references).
fn secret_names(spec: &ProcessSpec) -> Vec<&String> {
    spec.env
        .iter()
        .filter(|(_, v)| !matches!(v, EnvValue::Plain(_)))
        .map(|(k, _)| k)
        .collect()
}

fn digest(key: &hmac::Key, name: &str, value: &str) -> String {
    let mut ctx = hmac::Context::with_key(key);
    ctx.update(name.as_bytes());
    ctx.update(&[0]);
    ctx.update(value.as_bytes());
    ctx.sign()
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn digests<'a>(
    key: &hmac::Key,
    values: impl Iterator<Item = (&'a String, &'a Secret<String>)>,
) -> BTreeMap<String, String> {
    values
        .map(|(name, value)| (name.clone(), digest(key, name, value.expose())))
        .collect()
}

/// Who holds the port a health check probes.
enum Holder {
    /// No listening socket is visible here (none, or reached through address translation or
    /// another network namespace): the answer cannot be attributed.
    Nobody,
    /// The process, or one of its descendants or session.
    Ours,
    /// Another process.
    Foreign { pid: i32, command: String },
    /// A socket of user `uid` whose process this user cannot see.
    Hidden { uid: u32 },
}

impl Holder {
    fn describe(&self, port: u16) -> String {
        match self {
            Holder::Nobody => format!("nothing listens on port {port}"),
            Holder::Ours => format!("port {port} is held by the process"),
            Holder::Foreign { pid, command } => {
                format!("port {port} is held by another process: pid {pid} (`{command}`)")
            }
            Holder::Hidden { uid } => format!(
                "port {port} is held by another process, of uid {uid}, that this user cannot see"
            ),
        }
    }

    fn is_foreign(&self) -> bool {
        matches!(self, Holder::Foreign { .. } | Holder::Hidden { .. })
    }
}

/// Where a process stands compared with its spec.
enum Assessment {
    /// No live process: never started, or it died, or an apply was killed while starting it (the
    /// record, to stop what it names first).
    NotRunning {
        reason: String,
        record: Option<ProcessRecord>,
    },
    /// Running, but started from another spec, secret or before a `restart_on` file changed.
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
            run_dir: RwLock::new(run_dir.into()),
        }
    }

    /// Moves the records to `run_dir` (`<state dir>/processes`), for the runs that follow.
    pub fn set_run_dir(&self, run_dir: impl Into<PathBuf>) {
        let mut current = self
            .run_dir
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *current = run_dir.into();
    }

    /// Where the records are kept.
    pub fn run_dir(&self) -> PathBuf {
        self.run_dir
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    fn resolve(&self, path: &Path) -> PathBuf {
        if path.is_absolute() {
            path.to_path_buf()
        } else {
            self.root.join(path)
        }
    }

    fn check_name(name: &str) -> Result<()> {
        let valid = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
            && !name.starts_with('.');
        if valid {
            Ok(())
        } else {
            Err(Error::permanent(format!(
                "process name `{name}` must be letters, digits, `-`, `_` or `.`, not starting with `.`"
            )))
        }
    }

    fn record_path(&self, name: &str) -> Result<PathBuf> {
        Self::check_name(name)?;
        Ok(self.run_dir().join(format!("{name}.json")))
    }

    fn log_path(&self, name: &str) -> PathBuf {
        self.run_dir().join(format!("{name}.log"))
    }

    /// The record of process `name`, if one was started and not removed.
    pub fn record(&self, name: &str) -> Result<Option<ProcessRecord>> {
        let path = self.record_path(name)?;
        let Some(bytes) = read_private(&path, false)? else {
            return Ok(None);
        };
        serde_json::from_slice(&bytes).map(Some).map_err(|e| {
            Error::permanent(format!("corrupt process record {}", path.display())).with_source(e)
        })
    }

    /// Every record in the run dir, by name: what the engine can compare with the declared
    /// processes to stop one whose declaration went away before its step was recorded.
    pub fn records(&self) -> Result<Vec<ProcessRecord>> {
        let dir = self.run_dir();
        let entries = match fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io_error("read", &dir, e)),
        };
        let mut records = Vec::new();
        for entry in entries.flatten() {
            let file = entry.file_name();
            let Some(name) = file.to_str().and_then(|f| f.strip_suffix(".json")) else {
                continue;
            };
            if Self::check_name(name).is_ok()
                && let Some(record) = self.record(name)?
            {
                records.push(record);
            }
        }
        records.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(records)
    }

    fn write_record(&self, record: &ProcessRecord) -> Result<()> {
        Self::check_name(&record.name)?;
        let dir = self.run_dir();
        ensure_private_dir(&dir)?;
        let bytes = serde_json::to_vec_pretty(record)
            .map_err(|e| Error::permanent("cannot encode process record").with_source(e))?;
        write_private(&dir, &format!("{}.json", record.name), &bytes)
    }

    fn remove_record(&self, name: &str) -> Result<()> {
        let path = self.record_path(name)?;
        match fs::remove_file(&path) {
            Ok(()) => sync_dir(&self.run_dir()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io_error("remove", &path, e)),
        }
    }

    /// The key of the secret digests; created (`0600`, random) when `create` and missing.
    fn digest_key(&self, create: bool) -> Result<Option<hmac::Key>> {
        let dir = self.run_dir();
        let path = dir.join(KEY_FILE);
        let key = |bytes: &[u8]| {
            if bytes.len() == 32 {
                Ok(Some(hmac::Key::new(hmac::HMAC_SHA256, bytes)))
            } else {
                Err(Error::permanent(format!(
                    "{} is not a 32-byte key: remove it (running processes with secrets restart)",
                    path.display()
                )))
            }
        };
        if let Some(bytes) = read_private(&path, true)? {
            return key(&bytes);
        }
        if !create {
            return Ok(None);
        }
        ensure_private_dir(&dir)?;
        let mut bytes = [0u8; 32];
        SystemRandom::new()
            .fill(&mut bytes)
            .map_err(|_| Error::permanent("the system random generator failed"))?;
        let (tmp, mut file) = create_temp(&dir, KEY_FILE)?;
        let written = file
            .write_all(&bytes)
            .and_then(|()| file.sync_all())
            // A hard link never replaces: a key another run created first wins.
            .and_then(|()| fs::hard_link(&tmp, &path));
        let _ = fs::remove_file(&tmp);
        match written {
            Ok(()) => {
                sync_dir(&dir)?;
                key(&bytes)
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                key(&read_private(&path, true)?.unwrap_or_default())
            }
            Err(e) => Err(io_error("write", &path, e)),
        }
    }

    /// Opens the log of process `name` for appending (`0600`, no symbolic link followed).
    fn open_log(&self, name: &str) -> Result<File> {
        let path = self.log_path(name);
        let file = OpenOptions::new()
            .append(true)
            .create(true)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW)
            .open(&path)
            .map_err(|e| {
                if e.raw_os_error() == Some(libc::ELOOP) {
                    Error::permanent(format!(
                        "{} is a symbolic link: refusing to follow it",
                        path.display()
                    ))
                } else {
                    io_error("open", &path, e)
                }
            })?;
        check_private_file(&file, &path, false)?;
        Ok(file)
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

    /// The live processes `record` names, with their start times: those carrying its tag (and
    /// owned by this user), and the members of its session (unless its pid was reused).
    fn members(&self, record: &ProcessRecord) -> Vec<(i32, u64)> {
        let me = std::process::id() as i32;
        let mut pids = record
            .marker()
            .map(|marker| procfs::with_environ(&marker, euid()))
            .unwrap_or_default();
        if let Some(leader) = record.pid {
            // A session (or group) id stays reserved while a member lives: when `leader` is not
            // another process now, the processes in session (or group) `leader` are ours. (Older
            // records name a process group only.)
            let leader_is_ours = match procfs::stat(leader) {
                None => true,
                Some(stat) => record.start_ticks.is_none_or(|t| t == stat.start_ticks),
            };
            if leader_is_ours {
                pids.extend(procfs::pids().into_iter().filter(|&p| {
                    procfs::stat(p).is_some_and(|s| s.session == leader || s.pgrp == leader)
                }));
            }
        }
        pids.sort_unstable();
        pids.dedup();
        pids.into_iter()
            .filter(|&p| p != me)
            .filter_map(|p| {
                procfs::stat(p)
                    .filter(|s| !s.zombie)
                    .map(|s| (p, s.start_ticks))
            })
            .collect()
    }

    /// Who holds `port`: `record`'s processes, another, or nobody visible.
    fn port_holder(&self, port: u16, record: Option<&ProcessRecord>) -> Holder {
        let listeners = procfs::listeners(port);
        let Some(first) = listeners.first() else {
            return Holder::Nobody;
        };
        let inodes: Vec<u64> = listeners.iter().map(|l| l.inode).collect();
        // Ours first (a few processes), everyone only to name who else holds it.
        if let Some(record) = record
            && self
                .members(record)
                .iter()
                .any(|&(pid, _)| procfs::holds_socket(pid, &inodes))
        {
            return Holder::Ours;
        }
        let holders = procfs::socket_holders(&inodes);
        let leader = record.and_then(|r| r.pid.filter(|_| is_alive(r)));
        if leader.is_some_and(|l| holders.iter().any(|&pid| procfs::descends_from(pid, l))) {
            return Holder::Ours;
        }
        match holders.first() {
            Some(&pid) => Holder::Foreign {
                pid,
                command: procfs::command_line(pid),
            },
            None => Holder::Hidden { uid: first.uid },
        }
    }

    /// The secret values of `spec`, references read from their sources now (for `plan`).
    async fn secret_values(spec: &ProcessSpec) -> Result<BTreeMap<String, Secret<String>>> {
        let resolver = crate::config::SecretResolver::new();
        let mut values = BTreeMap::new();
        for (name, value) in &spec.env {
            match value {
                EnvValue::Plain(_) => {}
                EnvValue::Secret(v) => {
                    values.insert(name.clone(), v.clone());
                }
                EnvValue::SecretRef(r) => {
                    values.insert(name.clone(), resolver.resolve(r).await?);
                }
            }
        }
        Ok(values)
    }

    async fn assess(&self, spec: &ProcessSpec) -> Result<(Assessment, Observed)> {
        // `plan` inspects specs whose secrets are still references; the record holds the spec as
        // applied, whose secrets print as `<redacted>` whatever their value: compare like that.
        let shown = &as_applied(spec);
        let Some(record) = self.record(&spec.name)? else {
            return Ok((
                Assessment::NotRunning {
                    reason: NEVER_STARTED.into(),
                    record: None,
                },
                Observed::Absent,
            ));
        };
        let alive = is_alive(&record);
        let observed = Observed::Hash {
            value: sha256_hex(format!("{}:{:?}:{alive}", json_hash(&record), record.pid)),
        };
        if !alive {
            let left: Vec<String> = self
                .members(&record)
                .iter()
                .map(|(p, _)| p.to_string())
                .collect();
            let mut reason = match (record.phase, record.pid) {
                (Phase::Starting, _) => "an apply was interrupted while starting it".to_string(),
                (_, Some(pid)) => format!("pid {pid} is no longer running"),
                (_, None) => "no pid recorded".to_string(),
            };
            if !left.is_empty() {
                reason.push_str(&format!(
                    "; its leftover processes (pid {}) will be stopped first",
                    left.join(", ")
                ));
            }
            return Ok((
                Assessment::NotRunning {
                    reason,
                    record: Some(record),
                },
                observed,
            ));
        }
        let mut diff = Vec::new();
        if record.spec_hash != json_hash(shown) {
            let old = serde_json::to_string_pretty(&record.spec).unwrap_or_default();
            let new = serde_json::to_string_pretty(shown).unwrap_or_default();
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
        let names = secret_names(spec);
        if !names.is_empty() {
            let values = Self::secret_values(spec).await?;
            let now = match self.digest_key(false)? {
                Some(key) => digests(&key, values.iter()),
                None => BTreeMap::new(),
            };
            for name in names {
                let was_secret = record
                    .spec
                    .env
                    .get(name)
                    .is_some_and(|v| !matches!(v, EnvValue::Plain(_)));
                if was_secret && record.secret_digests.get(name) != now.get(name) {
                    diff.push(format!("~ secret {name} changed (restart)"));
                }
            }
        }
        let assessment = if diff.is_empty() {
            Assessment::Current { record }
        } else {
            Assessment::Differs { record, diff }
        };
        Ok((assessment, observed))
    }

    /// Starts `spec`: record first (phase starting, fsynced), then the process, then the record
    /// with its pid. A port someone else holds is refused before anything is started.
    fn start(&self, spec: &ProcessSpec) -> Result<ProcessRecord> {
        let Some((program, args)) = spec.command.split_first() else {
            return Err(Error::permanent(format!(
                "process `{}` has an empty command",
                spec.name
            )));
        };
        Self::check_name(&spec.name)?;
        if spec.env.contains_key(MARKER_VAR) {
            return Err(Error::permanent(format!(
                "process `{}`: `{MARKER_VAR}` is set by Harmony, it cannot be declared",
                spec.name
            )));
        }
        let mut secrets = BTreeMap::new();
        for (key, value) in &spec.env {
            match value {
                EnvValue::Plain(_) => {}
                EnvValue::Secret(v) => {
                    secrets.insert(key, v);
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
        if let Some(port) = spec.health.as_ref().and_then(|h| loopback_port(&h.probe))
            && let holder = self.port_holder(port, None)
            && holder.is_foreign()
        {
            return Err(Error::permanent(format!(
                "process `{}` was not started: {}",
                spec.name,
                holder.describe(port)
            )));
        }
        let dir = self.run_dir();
        ensure_private_dir(&dir)?;
        remove_stale_temps(&dir);
        let secret_digests = if secrets.is_empty() {
            BTreeMap::new()
        } else {
            let key = self
                .digest_key(true)?
                .ok_or_else(|| Error::permanent("no digest key"))?;
            digests(&key, secrets.into_iter())
        };
        let tag = random_hex(16)?;
        let mut record = ProcessRecord {
            name: spec.name.clone(),
            phase: Phase::Starting,
            tag: tag.clone(),
            pid: None,
            start_ticks: None,
            spec_hash: json_hash(spec),
            spec: spec.clone(),
            secret_digests,
            restart_on: self.restart_hashes(spec),
            started_at: rfc3339(now_unix()),
        };
        let log = self.open_log(&spec.name)?;
        let log_path = self.log_path(&spec.name);
        let log_err = log
            .try_clone()
            .map_err(|e| io_error("open", &log_path, e))?;

        let mut command = Command::new(program);
        command
            .args(args)
            .env_clear()
            .env("PATH", DEFAULT_PATH)
            .env(MARKER_VAR, format!("{}:{tag}", spec.name));
        for (key, value) in &spec.env {
            match value {
                EnvValue::Plain(v) => command.env(key, v),
                // Given to the process only; plans, logs and records show `<redacted>`.
                EnvValue::Secret(v) => command.env(key, v.expose()),
                EnvValue::SecretRef(_) => &mut command,
            };
        }
        command
            .current_dir(
                spec.working_dir
                    .as_deref()
                    .map_or_else(|| self.root.clone(), |d| self.resolve(d)),
            )
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err);
        // SAFETY: the closure runs in the child between fork and exec and calls only setsid,
        // which is async-signal-safe.
        unsafe {
            command.pre_exec(|| {
                if libc::setsid() < 0 {
                    return Err(io::Error::last_os_error());
                }
                Ok(())
            });
        }

        // The record exists before the process: a crash from here on leaves a record naming it.
        self.write_record(&record)?;
        let mut child = match command.spawn() {
            Ok(child) => child,
            Err(e) => {
                let _ = self.remove_record(&spec.name);
                return Err(Error::permanent(format!(
                    "cannot start process `{}` ({program})",
                    spec.name
                ))
                .with_source(e));
            }
        };
        let pid = i32::try_from(child.id()).unwrap_or(i32::MAX);
        // Reap the child if it exits while this program still runs (no zombies).
        std::thread::spawn(move || {
            let _ = child.wait();
        });
        record.phase = Phase::Running;
        record.pid = Some(pid);
        record.start_ticks = procfs::stat(pid).map(|s| s.start_ticks);
        self.write_record(&record)?;
        tracing::info!(process = %spec.name, pid, "started");
        Ok(record)
    }

    /// Stops every process `record` names (SIGTERM, then SIGKILL after [`GRACE`]), then forgets
    /// the record. A process that survives SIGKILL keeps its record and fails the step.
    async fn stop(&self, record: &ProcessRecord) -> Result<()> {
        let mut members = self.members(record);
        for (signal, wait) in [
            (libc::SIGTERM, GRACE),
            (libc::SIGKILL, Duration::from_secs(2)),
        ] {
            if members.is_empty() {
                break;
            }
            if signal == libc::SIGKILL {
                tracing::warn!(process = %record.name, ?members, "no exit after SIGTERM; sending SIGKILL");
            }
            for &(pid, ticks) in &members {
                signal_exact(pid, ticks, signal);
            }
            let deadline = Instant::now() + wait;
            loop {
                members = self.members(record);
                if members.is_empty() || Instant::now() >= deadline {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(25)).await;
            }
        }
        if !members.is_empty() {
            let pids: Vec<String> = members.iter().map(|(p, _)| p.to_string()).collect();
            return Err(Error::transient(format!(
                "process `{}`: pid {} still running after SIGKILL",
                record.name,
                pids.join(", ")
            )));
        }
        self.remove_record(&record.name)
    }

    /// The last lines of the process's log (at most 4 KiB read), control characters escaped.
    fn log_tail(&self, name: &str) -> String {
        let path = self.log_path(name);
        let Ok(Some(mut file)) = open_private(&path, false) else {
            return String::new();
        };
        let len = file.metadata().map(|m| m.len()).unwrap_or(0);
        let _ = file.seek(SeekFrom::Start(len.saturating_sub(4096)));
        let mut bytes = Vec::new();
        let _ = file.read_to_end(&mut bytes);
        let text = String::from_utf8_lossy(&bytes);
        let lines: Vec<String> = text
            .lines()
            .map(|l| {
                l.chars()
                    .flat_map(|c| {
                        let escaped: Vec<char> = if c.is_control() {
                            c.escape_default().collect()
                        } else {
                            vec![c]
                        };
                        escaped
                    })
                    .collect()
            })
            .collect();
        lines[lines.len().saturating_sub(5)..].join(" | ")
    }

    /// Probes until healthy (answered by the process itself), the process dies, or the spec's
    /// health timeout passes.
    async fn wait_healthy(&self, spec: &ProcessSpec, record: &ProcessRecord) -> Result<()> {
        let Some(health) = &spec.health else {
            return Ok(());
        };
        let port = loopback_port(&health.probe);
        let timeout = health.timeout.as_std();
        let deadline = Instant::now() + timeout;
        loop {
            let last = match (probe_once(&health.probe).await, port) {
                (Ok(()), None) => return Ok(()),
                (Ok(()), Some(port)) => match self.port_holder(port, Some(record)) {
                    Holder::Ours => return Ok(()),
                    Holder::Nobody => {
                        tracing::debug!(process = %spec.name, port, "health check answered through no socket visible here; not attributable");
                        return Ok(());
                    }
                    holder => {
                        return Err(Error::permanent(format!(
                            "process `{}` (pid {}) is not what answers the health check: {}",
                            spec.name,
                            record.pid.unwrap_or_default(),
                            holder.describe(port)
                        )));
                    }
                },
                (Err(why), _) => why,
            };
            if !is_alive(record) {
                let holder = port
                    .map(|p| (p, self.port_holder(p, Some(record))))
                    .and_then(|(p, h)| h.is_foreign().then(|| format!("; {}", h.describe(p))))
                    .unwrap_or_default();
                return Err(Error::permanent(format!(
                    "process `{}` (pid {}) exited before it was healthy{holder}; log: {}",
                    spec.name,
                    record.pid.unwrap_or_default(),
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

    /// Whether the running process answers its health check itself; why not otherwise.
    async fn healthy_now(&self, spec: &ProcessSpec, record: &ProcessRecord) -> Option<String> {
        let health = spec.health.as_ref()?;
        if let Err(why) = probe_once(&health.probe).await {
            return Some(why);
        }
        let port = loopback_port(&health.probe)?;
        let holder = self.port_holder(port, Some(record));
        holder.is_foreign().then(|| holder.describe(port))
    }

    async fn inspect_spec(&self, spec: &ProcessSpec) -> Result<Inspection> {
        let (assessment, observed) = self.assess(spec).await?;
        let change = match assessment {
            Assessment::NotRunning { reason, record } => {
                if record.is_none() {
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
            Assessment::Current { record } => match self.healthy_now(spec, &record).await {
                None => Change::None,
                Some(why) => Change::Update {
                    diff: vec![
                        format!("- healthy: no ({why})"),
                        "+ healthy (restart)".to_string(),
                    ],
                },
            },
        };
        Ok(Inspection { change, observed })
    }

    async fn apply_spec(&self, spec: &ProcessSpec) -> Result<Outcome> {
        let (assessment, _) = self.assess(spec).await?;
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
            Assessment::NotRunning { reason, record } => {
                if let Some(record) = record {
                    self.stop(&record).await?;
                }
                if reason == NEVER_STARTED {
                    "started".to_string()
                } else {
                    format!("started again ({reason})")
                }
            }
        };
        let record = self.start(spec)?;
        self.wait_healthy(spec, &record).await?;
        Ok(Outcome::changed(format!(
            "process {} {why}, pid {}",
            spec.name,
            record.pid.unwrap_or_default()
        )))
    }

    async fn remove_spec(&self, spec: &ProcessSpec) -> Result<Outcome> {
        let Some(record) = self.record(&spec.name)? else {
            return Ok(Outcome::Unchanged);
        };
        let was_alive = is_alive(&record);
        let leftovers = !was_alive && !self.members(&record).is_empty();
        self.stop(&record).await?;
        let pid = record.pid.unwrap_or_default();
        Ok(Outcome::changed(if was_alive {
            format!("stopped process {} (pid {pid})", spec.name)
        } else if leftovers {
            format!(
                "stopped what an interrupted apply left of process {}",
                spec.name
            )
        } else {
            format!("forgot process {} (pid {pid} had exited)", spec.name)
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
            *value = EnvValue::Secret(Secret::new(String::new()));
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

    fn kill_all(record: &ProcessRecord) {
        let procs = LocalProcesses::new("/", "/nonexistent");
        for (pid, ticks) in procs.members(record) {
            signal_exact(pid, ticks, libc::SIGKILL);
        }
    }

    #[tokio::test]
    async fn starts_restarts_on_change_and_stops() {
        let root_guard = tempfile::tempdir().unwrap();
        let root = root_guard.path().to_path_buf();
        let _ = fs::remove_dir_all(&root);
        fs::create_dir_all(&root).unwrap();
        let procs = LocalProcesses::new(&root, root.join("run"));
        let sleeper = spec("sleeper", &["sleep", "300"]);
        let first = procs.inspect(&sleeper).await.unwrap();
        assert!(matches!(first.change, Change::Create { .. }));
        assert!(procs.apply(&sleeper).await.unwrap().is_changed());
        let record = procs.record("sleeper").unwrap().unwrap();
        assert!(is_alive(&record));
        assert_eq!(record.phase, Phase::Running);
        let mode = |p: &Path| fs::metadata(p).unwrap().mode() & 0o777;
        assert_eq!(mode(&root.join("run")), 0o700);
        assert_eq!(mode(&root.join("run/sleeper.json")), 0o600);
        assert_eq!(mode(&root.join("run/sleeper.log")), 0o600);
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

        kill_all(&restarted);
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

    /// A crash between the intent record and the pid: the process is found by its tag, plan
    /// says it will be stopped, apply stops it before starting the one copy.
    #[tokio::test]
    async fn a_process_left_starting_is_found_by_its_tag_and_stopped() {
        let root_guard = tempfile::tempdir().unwrap();
        let root = root_guard.path().to_path_buf();
        let _ = fs::remove_dir_all(&root);
        fs::create_dir_all(&root).unwrap();
        let procs = LocalProcesses::new(&root, root.join("run"));
        let sleeper = spec("tagged", &["sleep", "300"]);
        procs.apply(&sleeper).await.unwrap();
        let mut record = procs.record("tagged").unwrap().unwrap();
        let orphan = record.pid.unwrap();
        // What a kill right after the spawn leaves: the record still says `starting`.
        record.phase = Phase::Starting;
        record.pid = None;
        record.start_ticks = None;
        procs.write_record(&record).unwrap();

        let inspected = procs.inspect(&sleeper).await.unwrap();
        let Change::Update { diff } = &inspected.change else {
            panic!("{inspected:?}")
        };
        assert!(diff[0].contains("interrupted"), "{diff:?}");
        assert!(diff[0].contains(&orphan.to_string()), "{diff:?}");
        assert!(procs.apply(&sleeper).await.unwrap().is_changed());
        assert!(
            procfs::stat(orphan).is_none_or(|s| s.zombie),
            "the orphan was stopped"
        );
        let new = procs.record("tagged").unwrap().unwrap();
        assert_eq!(procs.members(&new).len(), 1, "one copy");
        assert_eq!(procs.records().unwrap(), vec![new]);
        procs.remove(&sleeper).await.unwrap();
        let _ = fs::remove_dir_all(&root);
    }

    /// A record whose pid now belongs to another process (pid reuse) never gets it signalled.
    #[tokio::test]
    async fn a_reused_pid_is_never_signalled() {
        let root_guard = tempfile::tempdir().unwrap();
        let root = root_guard.path().to_path_buf();
        let _ = fs::remove_dir_all(&root);
        fs::create_dir_all(&root).unwrap();
        let mut bystander = Command::new("sleep").arg("300").spawn().unwrap();
        let pid = bystander.id() as i32;
        let ticks = procfs::stat(pid).unwrap().start_ticks;
        signal_exact(pid, ticks + 1, libc::SIGKILL);
        assert!(
            bystander.try_wait().unwrap().is_none(),
            "wrong start time: spared"
        );

        let procs = LocalProcesses::new(&root, root.join("run"));
        let sleeper = spec("reused", &["sleep", "300"]);
        procs.apply(&sleeper).await.unwrap();
        let mut record = procs.record("reused").unwrap().unwrap();
        let ours = record.clone();
        // The record names the bystander's pid, with another start time, and no tag.
        record.pid = Some(pid);
        record.start_ticks = Some(ticks + 1);
        record.tag = String::new();
        procs.write_record(&record).unwrap();
        assert!(!is_alive(&record));
        assert!(procs.members(&record).is_empty());
        assert!(procs.apply(&sleeper).await.unwrap().is_changed());
        assert!(
            bystander.try_wait().unwrap().is_none(),
            "the bystander lives"
        );
        kill_all(&ours);
        procs.remove(&sleeper).await.unwrap();

        signal_exact(pid, ticks, libc::SIGKILL);
        assert!(bystander.wait().is_ok());
        let _ = fs::remove_dir_all(&root);
    }

    #[test]
    fn records_and_logs_refuse_symbolic_links() {
        let root_guard = tempfile::tempdir().unwrap();
        let root = root_guard.path().to_path_buf();
        let _ = fs::remove_dir_all(&root);
        fs::create_dir_all(root.join("run")).unwrap();
        let target = root.join("target");
        fs::write(&target, "precious").unwrap();
        std::os::unix::fs::symlink(&target, root.join("run/linked.log")).unwrap();
        std::os::unix::fs::symlink(&target, root.join("run/linked.json")).unwrap();
        let procs = LocalProcesses::new(&root, root.join("run"));
        let err = procs.open_log("linked").unwrap_err();
        assert!(err.message().contains("symbolic link"), "{err}");
        let err = procs.record("linked").unwrap_err();
        assert!(err.message().contains("symbolic link"), "{err}");
        assert_eq!(fs::read_to_string(&target).unwrap(), "precious");
        let _ = fs::remove_dir_all(&root);
    }
}
