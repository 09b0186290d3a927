//! The project state file (`<state-dir>/state.json`): per resource id, the operation applied,
//! its content hash and when. Written atomically (temp file in the same directory, fsync,
//! rename, fsync of the directory) and guarded by a lock file so two applies cannot overlap.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use harmony_dsl::Operation;
use serde::{Deserialize, Serialize};

use crate::hash::json_hash;
use crate::report::SCHEMA_VERSION;

/// What was applied for one resource.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResourceRecord {
    /// Plan that applied it (pruning only removes resources of the same plan).
    pub plan: String,
    /// Score instance it belongs to.
    pub score: String,
    /// The operation applied.
    pub operation: Operation,
    /// [`operation_hash`] of `operation`.
    pub hash: String,
    /// When, in seconds since the Unix epoch.
    pub applied_at_unix: u64,
    /// When, as RFC 3339 UTC (`2026-11-27T02:35:08Z`).
    pub applied_at: String,
}

/// The whole state file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct State {
    /// [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// Topology name.
    pub topology: String,
    /// Records by resource id (`Operation::resource_id`).
    pub resources: BTreeMap<String, ResourceRecord>,
}

/// Hash recorded for an operation: hex SHA-256 of its JSON form.
pub fn operation_hash(operation: &Operation) -> String {
    json_hash(operation)
}

impl State {
    /// An empty state for `topology`.
    pub fn empty(topology: &str) -> Self {
        State {
            schema_version: SCHEMA_VERSION,
            topology: topology.to_string(),
            resources: BTreeMap::new(),
        }
    }

    /// Records `operation` as applied now by `plan`/`score`. Returns whether the record changed
    /// (a new resource or a different hash).
    pub fn record(&mut self, plan: &str, score: &str, operation: &Operation) -> bool {
        // A smoke test is a check, not a resource: nothing to remember or prune.
        if matches!(operation, Operation::SmokeTest { .. }) {
            return false;
        }
        let hash = operation_hash(operation);
        let id = operation.resource_id();
        if let Some(old) = self.resources.get(&id)
            && old.hash == hash
            && old.plan == plan
            && old.score == score
        {
            return false;
        }
        let now = now_unix();
        self.resources.insert(
            id,
            ResourceRecord {
                plan: plan.to_string(),
                score: score.to_string(),
                operation: operation.clone(),
                hash,
                applied_at_unix: now,
                applied_at: rfc3339(now),
            },
        );
        true
    }
}

/// The state directory: the state file, its lock, and what providers keep there.
#[derive(Debug, Clone)]
pub struct StateDir {
    dir: PathBuf,
}

impl StateDir {
    /// The state directory at `dir` (created on first write).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        StateDir { dir: dir.into() }
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// `<dir>/state.json`.
    pub fn state_file(&self) -> PathBuf {
        self.dir.join("state.json")
    }

    /// Reads the state; `None` when there is no state file yet.
    pub fn load(&self) -> io::Result<Option<State>> {
        let path = self.state_file();
        match fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|e| {
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("{}: {e}", path.display()),
                )
            }),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io::Error::new(e.kind(), format!("{}: {e}", path.display()))),
        }
    }

    /// Writes the state atomically.
    pub fn save(&self, state: &State) -> io::Result<()> {
        let mut bytes = serde_json::to_vec_pretty(state).map_err(io::Error::other)?;
        bytes.push(b'\n');
        write_atomic(&self.state_file(), &bytes)
    }

    /// Takes the apply lock (`<dir>/lock`).
    pub fn lock(&self) -> io::Result<Lock> {
        Lock::acquire(&self.dir.join("lock"))
    }
}

/// Writes `bytes` to `path` atomically: a temp file in the same directory, fsync, rename over
/// `path`, fsync of the directory. Readers see the old or the new content, never a mix.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&dir)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp.{}", std::process::id()));
    let result = (|| {
        let mut file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        fs::rename(&tmp, path)?;
        File::open(&dir)?.sync_all()
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Whether process `pid` exists (signal 0 succeeds or is refused for permission).
pub fn pid_alive(pid: i32) -> bool {
    if pid <= 0 {
        return false;
    }
    // SAFETY: kill with signal 0 performs only the existence and permission check.
    let rc = unsafe { libc::kill(pid, 0) };
    rc == 0 || io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

/// The apply lock: a file created with `O_EXCL` holding the owner's pid; removed on drop.
#[derive(Debug)]
pub struct Lock {
    path: PathBuf,
}

impl Lock {
    /// Creates the lock file. A lock left by a dead process is taken over with a warning; a
    /// lock held by a live process is an error naming its pid.
    pub fn acquire(path: &Path) -> io::Result<Lock> {
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir)?;
        }
        for _ in 0..2 {
            match OpenOptions::new().write(true).create_new(true).open(path) {
                Ok(mut file) => {
                    writeln!(file, "{}", std::process::id())?;
                    file.sync_all()?;
                    return Ok(Lock {
                        path: path.to_path_buf(),
                    });
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                    let content = fs::read_to_string(path).unwrap_or_default();
                    match content.trim().parse::<i32>() {
                        Ok(pid) if pid_alive(pid) => {
                            return Err(io::Error::new(
                                io::ErrorKind::WouldBlock,
                                format!(
                                    "another apply (pid {pid}) holds {}; wait for it to finish",
                                    path.display()
                                ),
                            ));
                        }
                        _ => {
                            tracing::warn!(
                                "taking over stale lock {} (owner `{}` is gone)",
                                path.display(),
                                content.trim()
                            );
                            eprintln!(
                                "warning: taking over stale lock {} (owner `{}` is gone)",
                                path.display(),
                                content.trim()
                            );
                            fs::remove_file(path)?;
                        }
                    }
                }
                Err(e) => return Err(e),
            }
        }
        Err(io::Error::new(
            io::ErrorKind::WouldBlock,
            format!("could not take {}", path.display()),
        ))
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}

/// Seconds since the Unix epoch.
pub fn now_unix() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// `secs` since the epoch as RFC 3339 UTC.
pub fn rfc3339(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use harmony_dsl::resource::{FileKind, FileSpec};

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("harmony-state-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn rfc3339_formats_known_instants() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_795_746_908), "2026-11-27T02:35:08Z");
    }

    #[test]
    fn smoke_tests_are_not_recorded_as_resources() {
        let mut state = State::empty("Localhost");
        let check = Operation::SmokeTest {
            score: "web".into(),
            check: harmony_dsl::smoke::SmokeCheck::http(
                "http://127.0.0.1:8080/healthz".parse().unwrap(),
            ),
        };
        assert!(!state.record("shop", "web", &check));
        assert!(state.resources.is_empty());
    }

    #[test]
    fn state_round_trips_and_records_changes_only() {
        let dir = StateDir::new(temp_dir("roundtrip"));
        assert_eq!(dir.load().unwrap(), None);
        let op = Operation::FileSystem(FileSpec {
            path: "a.txt".into(),
            kind: FileKind::File {
                content: "x".into(),
                mode: None,
            },
        });
        let mut state = State::empty("Localhost");
        assert!(state.record("p", "s", &op));
        assert!(!state.record("p", "s", &op));
        dir.save(&state).unwrap();
        assert_eq!(dir.load().unwrap(), Some(state));
        let leftovers: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(leftovers, vec!["state.json".to_string()]);
        fs::remove_dir_all(dir.path()).unwrap();
    }

    #[test]
    fn lock_is_exclusive_and_stale_locks_are_taken_over() {
        let dir = temp_dir("lock");
        let path = dir.join("lock");
        let lock = Lock::acquire(&path).unwrap();
        let err = Lock::acquire(&path).unwrap_err();
        assert!(
            err.to_string()
                .contains(&format!("pid {}", std::process::id())),
            "{err}"
        );
        drop(lock);
        assert!(!path.exists());
        // A pid that cannot exist (above the kernel's pid_max).
        fs::write(&path, "2147483600\n").unwrap();
        let lock = Lock::acquire(&path).unwrap();
        assert_eq!(
            fs::read_to_string(&path).unwrap().trim(),
            std::process::id().to_string()
        );
        drop(lock);
        fs::remove_dir_all(&dir).unwrap();
    }
}
