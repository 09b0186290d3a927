//! The project state: per resource id, the operation applied, its content hash and when.
//!
//! # Files in the state directory (mode `0700`)
//!
//! - `state.json` (`0600`): a snapshot of the whole [`State`], written through
//!   [`crate::safe_fs`] (unpredictable temporary, fsync, rename, fsync of the directory).
//! - `journal.jsonl` (`0600`): what changed since the snapshot, one JSON line per change (a
//!   header naming the schema version and topology, then `put` and `forget` entries), appended and
//!   fsynced as each step succeeds. Recording a step costs one line, not a rewrite of the state.
//!   [`StateDir::load`] replays the journal over the snapshot; a torn last line (a run killed
//!   while writing it) is ignored. The journal is folded into the snapshot
//!   ([`StateWriter::compact`]) at the end of an apply and whenever it outgrows the state;
//!   replaying it over a snapshot that already holds it changes nothing, so a kill at any point
//!   leaves a state that loads.
//! - `lock`: held with `flock(2)` for the whole apply, so the kernel releases it when the
//!   process dies, however it dies. The file keeps the holder's pid, for messages only; it is never
//!   deleted (deleting a lock file lets two processes lock different files).
//!
//! The content of a file that is not world-readable is never stored here (nor in saved plans):
//! [`stored_operation`] replaces it by its digest.

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::fs::File;
use std::io::{self, Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use harmony_dsl::capability::FileSystem;
use harmony_dsl::resource::{FileKind, FileSpec};
use harmony_dsl::{Operation, Plan};
use serde::{Deserialize, Serialize};

use crate::hash::{json_hash, sha256_hex};
use crate::report::SCHEMA_VERSION;
use crate::safe_fs::{self, Entry, SecureDir, WriteOptions};

/// What was applied for one resource.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResourceRecord {
    /// Plan that applied it (pruning only removes resources of the same plan).
    pub plan: String,
    /// Score instance it belongs to.
    pub score: String,
    /// The operation applied, as [`stored_operation`] keeps it (private file content replaced
    /// by its digest).
    pub operation: Operation,
    /// [`operation_hash`] of `operation`.
    pub hash: String,
    /// When, in seconds since the Unix epoch.
    pub applied_at_unix: u64,
    /// When, as RFC 3339 UTC (`2026-11-27T02:35:08Z`).
    pub applied_at: String,
    /// The resource existed before Harmony first applied it (a file already there): Harmony
    /// did not create it, so pruning leaves it in place.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub adopted: bool,
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

/// Start of what replaces the content of a private file in the state and in saved plans; the
/// hex SHA-256 of the content and `>` follow.
pub const PRIVATE_CONTENT_MARKER: &str = "<private content sha256:";

/// Whether a declared file's content is private: unless its declared mode lets every user read
/// it (`o+r`), its content is kept only in the file itself. A file without a declared mode
/// counts as private (it keeps the mode of the file it replaces, which may be private).
pub fn is_private_content(kind: &FileKind) -> bool {
    matches!(kind, FileKind::File { mode, .. } if mode.is_none_or(|m| m & 0o004 == 0))
}

/// What replaces private `content`: [`PRIVATE_CONTENT_MARKER`], its hex SHA-256 and `>`.
pub fn private_content_digest(content: &str) -> String {
    format!("{PRIVATE_CONTENT_MARKER}{}>", sha256_hex(content))
}

/// `operation` as the state and saved plans keep it: the content of a private file (see
/// [`is_private_content`]) is replaced by [`private_content_digest`]; anything else unchanged.
/// Two operations with the same stored form declare the same file, mode and content.
pub fn stored_operation(operation: &Operation) -> Operation {
    match operation.resource::<dyn FileSystem>() {
        Some(FileSpec {
            path,
            kind: kind @ FileKind::File { content, mode },
        }) if is_private_content(kind) && !content.starts_with(PRIVATE_CONTENT_MARKER) => {
            Operation::new::<dyn FileSystem>(FileSpec {
                path: path.clone(),
                kind: FileKind::File {
                    content: private_content_digest(content),
                    mode: *mode,
                },
            })
        }
        _ => operation.clone(),
    }
}

/// Replaces private file content in `plan` before it is saved or printed: in every step (by
/// [`stored_operation`]) and in the scores' fields (every string equal to such content).
pub fn redact_private_content<T>(plan: &mut Plan<T>) {
    let mut private = BTreeMap::new();
    for step in &mut plan.steps {
        if let Some(FileSpec {
            kind: kind @ FileKind::File { content, .. },
            ..
        }) = step.operation.resource::<dyn FileSystem>()
            && is_private_content(kind)
            && !content.is_empty()
            && !content.starts_with(PRIVATE_CONTENT_MARKER)
        {
            private.insert(content.clone(), private_content_digest(content));
            step.operation = stored_operation(&step.operation);
        }
    }
    if private.is_empty() {
        return;
    }
    fn walk(value: &mut serde_json::Value, private: &BTreeMap<String, String>) {
        match value {
            serde_json::Value::String(s) => {
                if let Some(digest) = private.get(s.as_str()) {
                    *s = digest.clone();
                }
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(|v| walk(v, private)),
            serde_json::Value::Object(map) => map.values_mut().for_each(|v| walk(v, private)),
            _ => {}
        }
    }
    for score in &mut plan.scores {
        walk(&mut score.spec, &private);
    }
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
        self.record_adopting(plan, score, operation, false)
    }

    /// Like [`State::record`]; `pre_existing` says the resource was already there when this
    /// step ran. A file first recorded that way is marked [adopted](ResourceRecord::adopted);
    /// a record keeps its mark when the resource is applied again.
    pub fn record_adopting(
        &mut self,
        plan: &str,
        score: &str,
        operation: &Operation,
        pre_existing: bool,
    ) -> bool {
        // A smoke test is a check, not a resource: nothing to remember or prune.
        if operation.is_smoke_test() {
            return false;
        }
        let hash = operation_hash(operation);
        let id = operation.resource_id();
        let old = self.resources.get(&id);
        if let Some(old) = old
            && old.hash == hash
            && old.plan == plan
            && old.score == score
        {
            return false;
        }
        // Only files are adopted: other providers keep their own records of what they started
        // (a process found running was started by Harmony).
        let adopted = match old {
            Some(old) => old.adopted,
            None => pre_existing && operation.resource::<dyn FileSystem>().is_some(),
        };
        let now = now_unix();
        self.resources.insert(
            id,
            ResourceRecord {
                plan: plan.to_string(),
                score: score.to_string(),
                operation: stored_operation(operation),
                hash,
                applied_at_unix: now,
                applied_at: rfc3339(now),
                adopted,
            },
        );
        true
    }
}

/// One line of the journal.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
enum JournalEntry {
    /// First line: whose state this journal continues.
    Header {
        schema_version: u32,
        topology: String,
    },
    /// A record set (added or replaced).
    Put {
        id: String,
        record: Box<ResourceRecord>,
    },
    /// A record removed (the resource was pruned).
    Forget { id: String },
}

const STATE_FILE: &str = "state.json";
const JOURNAL_FILE: &str = "journal.jsonl";
const LOCK_FILE: &str = "lock";

/// The journal is folded into the snapshot once it has more lines than this and than the
/// state has records (so compaction costs O(1) per recorded change, amortised).
const COMPACT_AFTER: usize = 4096;

fn invalid_data(path: &Path, message: impl std::fmt::Display) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("{}: {message}", path.display()),
    )
}

fn with_path(path: &Path, e: io::Error) -> io::Error {
    io::Error::new(e.kind(), format!("{}: {e}", path.display()))
}

/// Reads the regular file at `path` (never through a link), `None` when absent.
fn read_regular(path: &Path) -> io::Result<Option<Vec<u8>>> {
    match safe_fs::read_entry(path).map_err(|e| with_path(path, e))? {
        Entry::Absent => Ok(None),
        Entry::File { content, .. } => Ok(Some(content)),
        Entry::Directory | Entry::Other => Err(invalid_data(path, "not a regular file")),
    }
}

/// Replays journal `bytes` over `state`. Complete lines must parse; an incomplete last line
/// (no newline: the writer was killed mid-line) is ignored.
fn replay(path: &Path, bytes: &[u8], mut state: Option<State>) -> io::Result<Option<State>> {
    let complete = match bytes.iter().rposition(|&b| b == b'\n') {
        Some(end) => &bytes[..=end],
        None => &[][..],
    };
    if complete.len() < bytes.len() {
        tracing::debug!(
            "{}: ignoring an incomplete last line ({} bytes)",
            path.display(),
            bytes.len() - complete.len()
        );
    }
    for (n, line) in complete.split(|&b| b == b'\n').enumerate() {
        if line.is_empty() {
            continue;
        }
        let entry: JournalEntry = serde_json::from_slice(line).map_err(|e| {
            invalid_data(path, format!("line {} is not a journal entry: {e}", n + 1))
        })?;
        match (entry, &mut state) {
            (
                JournalEntry::Header {
                    schema_version,
                    topology,
                },
                None,
            ) => {
                state = Some(State {
                    schema_version,
                    topology,
                    resources: BTreeMap::new(),
                });
            }
            (
                JournalEntry::Header {
                    schema_version,
                    topology,
                },
                Some(state),
            ) => {
                if schema_version != state.schema_version || topology != state.topology {
                    return Err(invalid_data(
                        path,
                        format!(
                            "line {} continues the state of topology `{topology}` (schema version {schema_version}), but state.json holds topology `{}` (schema version {}); refusing to guess which is right",
                            n + 1,
                            state.topology,
                            state.schema_version
                        ),
                    ));
                }
            }
            (JournalEntry::Put { id, record }, Some(state)) => {
                state.resources.insert(id, *record);
            }
            (JournalEntry::Forget { id }, Some(state)) => {
                state.resources.remove(&id);
            }
            (_, None) => {
                return Err(invalid_data(
                    path,
                    format!("line {} comes before the journal's header", n + 1),
                ));
            }
        }
    }
    Ok(state)
}

/// Checks that `state` (read from `path`) is one this program may read and write: the same
/// schema version and topology `topology`. Never rewritten otherwise.
pub fn check_state(state: &State, topology: &str, path: &Path) -> io::Result<()> {
    if state.schema_version != SCHEMA_VERSION {
        let newer = if state.schema_version > SCHEMA_VERSION {
            " (written by a newer Harmony?)"
        } else {
            ""
        };
        return Err(invalid_data(
            path,
            format!(
                "the state has schema version {}{newer}, this program reads version {SCHEMA_VERSION}; it was left untouched",
                state.schema_version
            ),
        ));
    }
    if state.topology != topology {
        return Err(invalid_data(
            path,
            format!(
                "the state belongs to topology `{}`, not `{topology}`; it was left untouched (use another --state-dir)",
                state.topology
            ),
        ));
    }
    Ok(())
}

/// The state directory: the state file, its journal and lock, and what providers keep there.
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
        self.dir.join(STATE_FILE)
    }

    /// `<dir>/journal.jsonl`.
    pub fn journal_file(&self) -> PathBuf {
        self.dir.join(JOURNAL_FILE)
    }

    /// Reads the state (the snapshot and the journal replayed over it); `None` when there is
    /// neither. Needs no lock: during an apply it reads what was recorded so far.
    pub fn load(&self) -> io::Result<Option<State>> {
        let path = self.state_file();
        let snapshot = match read_regular(&path)? {
            Some(bytes) => {
                Some(serde_json::from_slice::<State>(&bytes).map_err(|e| invalid_data(&path, e))?)
            }
            None => None,
        };
        let journal = self.journal_file();
        match read_regular(&journal)? {
            Some(bytes) => replay(&journal, &bytes, snapshot),
            None => Ok(snapshot),
        }
    }

    /// The state for `topology` (empty when there is none yet), refused with a clear error when
    /// it has another schema version or belongs to another topology ([`check_state`]).
    pub fn load_for(&self, topology: &str) -> io::Result<State> {
        match self.load()? {
            Some(state) => {
                check_state(&state, topology, &self.state_file())?;
                Ok(state)
            }
            None => Ok(State::empty(topology)),
        }
    }

    /// The state directory opened safely, created `0700` when missing; a looser mode of an
    /// existing one is tightened (with a warning).
    fn open_private(&self) -> io::Result<SecureDir> {
        let (parent, name) = safe_fs::split(&self.dir)?;
        let parent = SecureDir::open(&parent, Some(0o700))?;
        let dir = SecureDir::open(&parent.path().join(&name), Some(0o700))?;
        if let Some(old) = parent.restrict_mode(&name, 0o700)? {
            tracing::warn!(
                "state directory {} had mode {old:o}; set to 700",
                dir.path().display()
            );
        }
        Ok(dir)
    }

    /// Writes `state` as the snapshot (mode `0600`) and empties the journal. Without the lock
    /// this must not race an apply.
    pub fn save(&self, state: &State) -> io::Result<()> {
        let dir = self.open_private()?;
        write_snapshot(&dir, state)?;
        match dir.entry(OsStr::new(JOURNAL_FILE))? {
            Entry::Absent => Ok(()),
            _ => dir.remove_file(OsStr::new(JOURNAL_FILE)),
        }
    }

    /// Takes the apply lock (`<dir>/lock`), then makes the directory and its files private
    /// (`0700`, `0600`) and removes temporary files a killed run left there.
    pub fn lock(&self) -> io::Result<Lock> {
        let dir = self.open_private()?;
        let lock = Lock::acquire_in(&dir, OsStr::new(LOCK_FILE))?;
        for name in [STATE_FILE, JOURNAL_FILE] {
            if let Some(old) = dir.restrict_mode(OsStr::new(name), 0o600)? {
                tracing::warn!(
                    "{} had mode {old:o}; set to 600",
                    dir.path().join(name).display()
                );
            }
        }
        // Under the lock no other apply writes here: any temporary of ours is left over.
        let _ = dir.clean_stale_temporaries(Duration::ZERO);
        Ok(lock)
    }

    /// The state for `topology` opened for recording, under `lock` (see [`StateWriter`]).
    pub fn writer(&self, _lock: &Lock, topology: &str) -> io::Result<StateWriter> {
        let state = self.load_for(topology)?;
        let dir = self.open_private()?;
        let journal = Journal::open(&dir, &state)?;
        Ok(StateWriter {
            dir: self.clone(),
            state,
            journal,
        })
    }
}

fn write_snapshot(dir: &SecureDir, state: &State) -> io::Result<()> {
    let mut bytes = serde_json::to_vec_pretty(state).map_err(io::Error::other)?;
    bytes.push(b'\n');
    dir.write(OsStr::new(STATE_FILE), &bytes, &WriteOptions::PRIVATE)
        .map_err(|e| with_path(&dir.path().join(STATE_FILE), e))
}

/// The journal file, open for appending.
#[derive(Debug)]
struct Journal {
    file: File,
    path: PathBuf,
    /// Entries since the header.
    entries: usize,
}

impl Journal {
    /// Opens (creates) the journal of `state`; an incomplete last line is cut off so the next
    /// entry starts on a line of its own; an empty journal gets its header.
    fn open(dir: &SecureDir, state: &State) -> io::Result<Journal> {
        let path = dir.path().join(JOURNAL_FILE);
        let mut file = dir
            .open_private_file(OsStr::new(JOURNAL_FILE))
            .map_err(|e| with_path(&path, e))?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)?;
        let complete = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        if complete < bytes.len() {
            file.set_len(complete as u64)?;
        }
        file.seek(io::SeekFrom::Start(complete as u64))?;
        let mut journal = Journal {
            file,
            path,
            entries: bytes[..complete].iter().filter(|&&b| b == b'\n').count(),
        };
        if complete == 0 {
            journal.header(state)?;
        }
        Ok(journal)
    }

    fn header(&mut self, state: &State) -> io::Result<()> {
        self.append(&JournalEntry::Header {
            schema_version: state.schema_version,
            topology: state.topology.clone(),
        })?;
        self.entries = 0;
        Ok(())
    }

    /// Appends one line and makes it durable.
    fn append(&mut self, entry: &JournalEntry) -> io::Result<()> {
        let mut line = serde_json::to_vec(entry).map_err(io::Error::other)?;
        line.push(b'\n');
        self.file
            .write_all(&line)
            .and_then(|()| self.file.sync_data())
            .map_err(|e| with_path(&self.path, e))?;
        self.entries += 1;
        Ok(())
    }

    /// Empties the journal (after a snapshot holding everything was written).
    fn reset(&mut self, state: &State) -> io::Result<()> {
        self.file.set_len(0)?;
        self.file.seek(io::SeekFrom::Start(0))?;
        self.header(state)
    }
}

/// The state of an apply in progress: the [`State`] in memory, each change appended to the
/// journal as it happens (O(change), not O(state)). Made by [`StateDir::writer`] under the lock.
#[derive(Debug)]
pub struct StateWriter {
    dir: StateDir,
    state: State,
    journal: Journal,
}

impl StateWriter {
    /// The state as recorded so far.
    pub fn state(&self) -> &State {
        &self.state
    }

    /// Records `operation` ([`State::record_adopting`]) and journals the change. Returns
    /// whether the record changed.
    pub fn record(
        &mut self,
        plan: &str,
        score: &str,
        operation: &Operation,
        pre_existing: bool,
    ) -> io::Result<bool> {
        if !self
            .state
            .record_adopting(plan, score, operation, pre_existing)
        {
            return Ok(false);
        }
        let id = operation.resource_id();
        let record = Box::new(self.state.resources[&id].clone());
        self.journal.append(&JournalEntry::Put { id, record })?;
        self.compact_if_large()?;
        Ok(true)
    }

    /// Forgets resource `id` (pruned, or left in place and no longer managed). Returns whether
    /// it was recorded.
    pub fn forget(&mut self, id: &str) -> io::Result<bool> {
        if self.state.resources.remove(id).is_none() {
            return Ok(false);
        }
        self.journal
            .append(&JournalEntry::Forget { id: id.to_string() })?;
        self.compact_if_large()?;
        Ok(true)
    }

    fn compact_if_large(&mut self) -> io::Result<()> {
        if self.journal.entries > COMPACT_AFTER.max(self.state.resources.len()) {
            self.compact()?;
        }
        Ok(())
    }

    /// Folds the journal into the snapshot: writes `state.json`, then empties the journal. Does
    /// nothing when the journal is empty and the snapshot exists.
    pub fn compact(&mut self) -> io::Result<()> {
        let dir = self.dir.open_private()?;
        let snapshot_exists = !matches!(dir.entry(OsStr::new(STATE_FILE))?, Entry::Absent);
        if self.journal.entries == 0 && snapshot_exists {
            return Ok(());
        }
        write_snapshot(&dir, &self.state)?;
        self.journal.reset(&self.state)
    }
}

/// Writes `bytes` to `path` privately (mode `0600`, missing directories `0700`) and atomically,
/// through [`safe_fs::write_file`]: readers see the old or the new content, never a mix, and no
/// planted link is followed.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    safe_fs::write_file(path, bytes, &WriteOptions::PRIVATE)
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

/// The apply lock: an exclusive `flock(2)` on `<state dir>/lock`, released by the kernel when
/// the holder exits or dies (the descriptor is close-on-exec, so processes Harmony starts do
/// not inherit it). The file holds the holder's pid, for messages; it is never removed.
#[derive(Debug)]
pub struct Lock {
    _file: File,
}

impl Lock {
    /// Takes the lock at `path`, or fails at once with an error naming the holder's pid.
    pub fn acquire(path: &Path) -> io::Result<Lock> {
        let (parent, name) = safe_fs::split(path)?;
        let dir = SecureDir::open(&parent, Some(0o700))?;
        Lock::acquire_in(&dir, &name)
    }

    fn acquire_in(dir: &SecureDir, name: &OsStr) -> io::Result<Lock> {
        let path = dir.path().join(name);
        let mut file = dir
            .open_private_file(name)
            .map_err(|e| with_path(&path, e))?;
        match rustix::fs::flock(&file, rustix::fs::FlockOperation::NonBlockingLockExclusive) {
            Ok(()) => {
                file.set_len(0)?;
                file.write_all(format!("{}\n", std::process::id()).as_bytes())?;
                Ok(Lock { _file: file })
            }
            Err(rustix::io::Errno::WOULDBLOCK) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                let holder = match holder.trim() {
                    "" => "another apply".to_string(),
                    pid => format!("another apply (pid {pid})"),
                };
                Err(io::Error::new(
                    io::ErrorKind::WouldBlock,
                    format!(
                        "{holder} is running with this state directory (it holds the lock {}); wait for it to finish",
                        path.display()
                    ),
                ))
            }
            Err(e) => Err(with_path(&path, e.into())),
        }
    }
}

/// Seconds since the Unix epoch.
pub fn now_unix() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// `secs` since the epoch as RFC 3339 UTC (`2026-11-27T02:35:08Z`).
pub fn rfc3339(secs: u64) -> String {
    i64::try_from(secs)
        .ok()
        .and_then(|secs| jiff::Timestamp::from_second(secs).ok())
        .unwrap_or(jiff::Timestamp::MAX)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use harmony_dsl::resource::{FileKind, FileSpec};
    use std::os::unix::fs::PermissionsExt;

    fn file(path: &str, content: &str, mode: Option<u32>) -> Operation {
        Operation::new::<dyn harmony_dsl::capability::FileSystem>(FileSpec {
            path: path.into(),
            kind: FileKind::File {
                content: content.into(),
                mode,
            },
        })
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
        let check = Operation::smoke_test(
            "web",
            harmony_dsl::smoke::SmokeCheck::http("http://127.0.0.1:8080/healthz".parse().unwrap()),
        );
        assert!(!state.record("shop", "web", &check));
        assert!(state.resources.is_empty());
    }

    #[test]
    fn state_round_trips_privately_and_records_changes_only() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = StateDir::new(tmp.path().join(".harmony"));
        assert_eq!(dir.load().unwrap(), None);
        let op = file("a.txt", "x", Some(0o644));
        let mut state = State::empty("Localhost");
        assert!(state.record("p", "s", &op));
        assert!(!state.record("p", "s", &op));
        dir.save(&state).unwrap();
        assert_eq!(dir.load().unwrap(), Some(state));
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(leftovers, vec!["state.json".to_string()]);
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(dir.path()), 0o700);
        assert_eq!(mode(&dir.state_file()), 0o600);
    }

    #[test]
    fn private_content_is_kept_as_a_digest() {
        let mut state = State::empty("Localhost");
        state.record("p", "s", &file("secret", "hunter2", Some(0o600)));
        state.record("p", "s", &file("nomode", "hunter3", None));
        state.record("p", "s", &file("public", "hello", Some(0o644)));
        let json = serde_json::to_string(&state).unwrap();
        assert!(
            !json.contains("hunter2") && !json.contains("hunter3"),
            "{json}"
        );
        assert!(json.contains("hello"));
        assert!(json.contains(&private_content_digest("hunter2")));
    }

    #[test]
    fn saved_plans_keep_private_content_as_a_digest_in_steps_and_scores() {
        let mut plan: Plan<crate::Localhost> = Plan::new("p");
        plan.push_step("s", file("secret", "hunter2", Some(0o600)), &[]);
        plan.push_step("s", file("public", "hello", Some(0o644)), &[]);
        plan.scores.push(harmony_dsl::plan::ScoreEntry {
            name: "s".into(),
            kind: "ConfigFile".into(),
            spec: serde_json::json!({"content": "hunter2", "other": ["hello", "hunter2"]}),
            depends_on: vec![],
            steps: vec![],
        });
        redact_private_content(&mut plan);
        let json = serde_json::to_string(&plan).unwrap();
        assert!(!json.contains("hunter2"), "{json}");
        assert!(json.contains("hello"));
        // The program's own step matches the saved one once stored the same way.
        assert_eq!(
            stored_operation(&file("secret", "hunter2", Some(0o600))),
            plan.steps[0].operation
        );
    }

    #[test]
    fn journal_replays_changes_and_ignores_a_torn_last_line() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = StateDir::new(tmp.path().join("state"));
        let lock = dir.lock().unwrap();
        let mut writer = dir.writer(&lock, "Localhost").unwrap();
        assert!(
            writer
                .record("p", "s", &file("a", "1", Some(0o644)), false)
                .unwrap()
        );
        assert!(
            writer
                .record("p", "s", &file("b", "2", Some(0o644)), true)
                .unwrap()
        );
        assert!(writer.forget("file:a").unwrap());
        let expected = writer.state().clone();
        assert_eq!(dir.load().unwrap().as_ref(), Some(&expected));
        assert!(expected.resources["file:b"].adopted);
        // A kill while a line was being written.
        let mut journal = std::fs::OpenOptions::new()
            .append(true)
            .open(dir.journal_file())
            .unwrap();
        journal
            .write_all(b"{\"op\":\"put\",\"id\":\"file:c\",\"rec")
            .unwrap();
        assert_eq!(dir.load().unwrap().as_ref(), Some(&expected));
        drop(writer);
        let mut writer = dir.writer(&lock, "Localhost").unwrap();
        writer
            .record("p", "s", &file("c", "3", Some(0o644)), false)
            .unwrap();
        let expected = writer.state().clone();
        assert_eq!(dir.load().unwrap().as_ref(), Some(&expected));
        writer.compact().unwrap();
        assert_eq!(dir.load().unwrap().as_ref(), Some(&expected));
        assert_eq!(
            std::fs::read_to_string(dir.journal_file())
                .unwrap()
                .lines()
                .count(),
            1,
            "only the header is left"
        );
    }

    #[test]
    fn lock_is_exclusive_and_kept_by_the_kernel_not_by_a_pid_file() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("lock");
        // An empty lock file (a holder that had not written its pid yet, or a crashed one).
        std::fs::write(&path, "").unwrap();
        let lock = Lock::acquire(&path).unwrap();
        let err = Lock::acquire(&path).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::WouldBlock);
        assert!(
            err.to_string()
                .contains(&format!("pid {}", std::process::id())),
            "{err}"
        );
        drop(lock);
        assert!(path.exists(), "the lock file is never removed");
        let _again = Lock::acquire(&path).unwrap();
    }
}
