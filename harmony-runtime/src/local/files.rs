//! `LocalFiles`: the [`FileSystem`] capability on the local disk.
//!
//! Reads and writes go through [`crate::safe_fs`]: no planted symbolic link is followed, no
//! directory another user can change is used, temporary files have unpredictable names and the
//! final mode from the start. The content of a file that is not world-readable is never shown
//! in a diff.

use std::collections::HashSet;
use std::io::{self, ErrorKind as IoKind};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use harmony_dsl::capability::FileSystem;
use harmony_dsl::resource::{FileKind, FileSpec};
use harmony_dsl::{BoxFuture, Change, Error, Inspection, Observed, Outcome, Result};

use super::diff::line_diff;
use crate::hash::sha256_hex;
use crate::safe_fs::{self, Entry, SecureDir, WriteOptions};

/// Harmony's temporary files older than this in a directory it writes to are removed (a
/// younger one may still be being written by another run).
const STALE_TEMPORARY_AGE: Duration = Duration::from_secs(10 * 60);

/// Files and directories on the local disk; relative paths resolve against `root`.
#[derive(Debug, Clone)]
pub struct LocalFiles {
    root: PathBuf,
    /// Directories whose stale temporaries were already cleaned by this instance.
    cleaned: Arc<Mutex<HashSet<PathBuf>>>,
}

/// What is at a path now.
enum Current {
    Absent,
    File { content: Vec<u8>, mode: u32 },
    Directory,
    Other,
}

fn io_error(action: &str, path: &Path, e: io::Error) -> Error {
    let message = format!("cannot {action} {}", path.display());
    match e.kind() {
        IoKind::Interrupted | IoKind::WouldBlock | IoKind::TimedOut => Error::transient(message),
        _ => Error::permanent(message),
    }
    .with_source(e)
}

fn read_current(path: &Path) -> Result<Current> {
    Ok(
        match safe_fs::read_entry(path).map_err(|e| io_error("read", path, e))? {
            Entry::Absent => Current::Absent,
            Entry::File { content, mode } => Current::File { content, mode },
            Entry::Directory => Current::Directory,
            Entry::Other => Current::Other,
        },
    )
}

/// Whether content with these permission bits may be shown: only when every user can read it.
fn world_readable(mode: u32) -> bool {
    mode & 0o004 != 0
}

fn observed(current: &Current) -> Observed {
    match current {
        Current::Absent => Observed::Absent,
        Current::File { content, mode } => {
            let mut bytes = content.clone();
            bytes.extend_from_slice(format!("\0mode={mode:o}").as_bytes());
            Observed::Hash {
                value: sha256_hex(bytes),
            }
        }
        Current::Directory => Observed::Hash {
            value: sha256_hex("directory"),
        },
        Current::Other => Observed::Hash {
            value: sha256_hex("other"),
        },
    }
}

fn inspect_sync(path: &Path, kind: &FileKind) -> Result<Inspection> {
    let current = read_current(path)?;
    let observed = observed(&current);
    let shown = path.display();
    let change = match (kind, &current) {
        (FileKind::File { content, mode }, Current::Absent) => Change::Create {
            summary: format!(
                "create file {shown} ({} bytes{})",
                content.len(),
                mode.map(|m| format!(", mode {m:o}")).unwrap_or_default()
            ),
        },
        (
            FileKind::File { content, mode },
            Current::File {
                content: old,
                mode: old_mode,
            },
        ) => {
            let mut diff = Vec::new();
            let private = !world_readable(*old_mode) || mode.is_some_and(|m| !world_readable(m));
            if old.as_slice() != content.as_bytes() {
                if private {
                    diff.push(format!(
                        "~ content differs ({} bytes now, {} declared; not shown: the file is not world-readable)",
                        old.len(),
                        content.len()
                    ));
                }
                match std::str::from_utf8(old) {
                    _ if private => {}
                    Ok(old) => diff.extend(line_diff(old, content, 2)),
                    Err(_) => diff.push(format!("- binary content ({} bytes)", old.len())),
                }
                if diff.is_empty() {
                    diff.push("~ content differs".to_string());
                }
            }
            if let Some(mode) = mode
                && mode & 0o7777 != *old_mode
            {
                diff.push(format!("- mode {old_mode:o}"));
                diff.push(format!("+ mode {:o}", mode & 0o7777));
            }
            if diff.is_empty() {
                Change::None
            } else {
                Change::Update { diff }
            }
        }
        (FileKind::File { .. }, Current::Directory) => Change::Update {
            diff: vec![
                "- directory".into(),
                "+ file (apply refuses to replace a directory)".into(),
            ],
        },
        (FileKind::Directory, Current::Absent) => Change::Create {
            summary: format!("create directory {shown}"),
        },
        (FileKind::Directory, Current::Directory) => Change::None,
        (FileKind::Directory, Current::File { .. }) => Change::Update {
            diff: vec![
                "- file".into(),
                "+ directory (apply refuses to replace a file)".into(),
            ],
        },
        (_, Current::Other) => Change::Update {
            diff: vec![
                "- not a regular file or directory".into(),
                "+ managed path".into(),
            ],
        },
    };
    Ok(Inspection { change, observed })
}

fn apply_sync(path: &Path, kind: &FileKind) -> Result<Outcome> {
    let shown = path.display();
    match kind {
        FileKind::File { content, mode } => {
            // One walk to the directory for the read and the write.
            let (parent, name) = safe_fs::split(path).map_err(|e| io_error("write", path, e))?;
            let dir =
                SecureDir::open(&parent, Some(0o755)).map_err(|e| io_error("write", path, e))?;
            let current = dir.entry(&name).map_err(|e| io_error("read", path, e))?;
            let verb = match &current {
                Entry::Absent => "created",
                Entry::File {
                    content: old,
                    mode: old_mode,
                } => {
                    let mode_ok = mode.is_none_or(|m| m & 0o7777 == *old_mode);
                    if old.as_slice() == content.as_bytes() && mode_ok {
                        return Ok(Outcome::Unchanged);
                    }
                    "updated"
                }
                Entry::Directory | Entry::Other => {
                    return Err(Error::permanent(format!(
                        "{shown} exists and is not a regular file; refusing to replace it"
                    )));
                }
            };
            dir.write(&name, content.as_bytes(), &WriteOptions::with_mode(*mode))
                .map_err(|e| io_error("write", path, e))?;
            Ok(Outcome::changed(format!(
                "{verb} file {shown} ({} bytes)",
                content.len()
            )))
        }
        FileKind::Directory => match read_current(path)? {
            Current::Directory => Ok(Outcome::Unchanged),
            Current::Absent => {
                SecureDir::open(path, Some(0o755)).map_err(|e| io_error("create", path, e))?;
                Ok(Outcome::changed(format!("created directory {shown}")))
            }
            Current::File { .. } | Current::Other => Err(Error::permanent(format!(
                "{shown} exists and is not a directory; refusing to replace it"
            ))),
        },
    }
}

fn remove_sync(path: &Path, kind: &FileKind) -> Result<Outcome> {
    let shown = path.display();
    let (parent, name) = safe_fs::split(path).map_err(|e| io_error("remove", path, e))?;
    let dir = match SecureDir::open(&parent, None) {
        Ok(dir) => dir,
        Err(e) if e.kind() == IoKind::NotFound => return Ok(Outcome::Unchanged),
        Err(e) => return Err(io_error("remove", path, e)),
    };
    let current = dir.entry(&name).map_err(|e| io_error("read", path, e))?;
    match (kind, current) {
        (_, Entry::Absent) => Ok(Outcome::Unchanged),
        (FileKind::File { .. }, Entry::File { .. }) => {
            dir.remove_file(&name)
                .map_err(|e| io_error("remove", path, e))?;
            Ok(Outcome::changed(format!("removed file {shown}")))
        }
        (FileKind::Directory, Entry::Directory) => match dir.remove_dir(&name) {
            Ok(()) => Ok(Outcome::changed(format!("removed directory {shown}"))),
            Err(e) if e.kind() == IoKind::DirectoryNotEmpty => Err(Error::permanent(format!(
                "directory {shown} is not empty; left in place (remove its content first)"
            ))),
            Err(e) => Err(io_error("remove", path, e)),
        },
        _ => Err(Error::permanent(format!(
            "{shown} is no longer what Harmony created; left in place"
        ))),
    }
}

impl LocalFiles {
    /// Files relative to `root` (the project directory).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        LocalFiles {
            root: root.into(),
            cleaned: Arc::default(),
        }
    }

    /// Removes our stale temporaries in `path`'s directory, once per directory.
    fn clean_once(&self, path: &Path) {
        let Some(parent) = path.parent() else {
            return;
        };
        let first = self
            .cleaned
            .lock()
            .map(|mut seen| seen.insert(parent.to_path_buf()))
            .unwrap_or(false);
        if first && let Ok(dir) = SecureDir::open(parent, None) {
            match dir.clean_stale_temporaries(STALE_TEMPORARY_AGE) {
                Ok(0) | Err(_) => {}
                Ok(n) => tracing::info!(
                    "removed {n} stale temporary files of Harmony in {}",
                    dir.path().display()
                ),
            }
        }
    }

    /// Where `path` is on disk.
    pub fn resolve(&self, path: &Path) -> PathBuf {
        if path.is_absolute() {
            path.to_path_buf()
        } else {
            self.root.join(path)
        }
    }

    async fn blocking<T: Send + 'static>(
        &self,
        spec: &FileSpec,
        f: fn(&Path, &FileKind) -> Result<T>,
    ) -> Result<T> {
        let path = self.resolve(&spec.path);
        let kind = spec.kind.clone();
        tokio::task::spawn_blocking(move || f(&path, &kind))
            .await
            .map_err(|e| Error::permanent("file operation task failed").with_source(e))?
    }
}

impl FileSystem for LocalFiles {
    fn inspect<'a>(&'a self, resource: &'a FileSpec) -> BoxFuture<'a, Result<Inspection>> {
        Box::pin(self.blocking(resource, inspect_sync))
    }

    fn apply<'a>(&'a self, resource: &'a FileSpec) -> BoxFuture<'a, Result<Outcome>> {
        Box::pin(async move {
            let path = self.resolve(&resource.path);
            let kind = resource.kind.clone();
            let this = self.clone();
            tokio::task::spawn_blocking(move || {
                this.clean_once(&path);
                apply_sync(&path, &kind)
            })
            .await
            .map_err(|e| Error::permanent("file operation task failed").with_source(e))?
        })
    }

    fn remove<'a>(&'a self, resource: &'a FileSpec) -> BoxFuture<'a, Result<Outcome>> {
        Box::pin(self.blocking(resource, remove_sync))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::os::unix::fs::PermissionsExt;

    fn spec(path: &str, content: &str) -> FileSpec {
        FileSpec {
            path: path.into(),
            kind: FileKind::File {
                content: content.into(),
                mode: Some(0o644),
            },
        }
    }

    #[tokio::test]
    async fn file_lifecycle_is_idempotent_with_real_diffs() {
        let root_guard = tempfile::tempdir().unwrap();
        let root = root_guard.path().to_path_buf();
        let _ = fs::remove_dir_all(&root);
        let files = LocalFiles::new(&root);
        let v1 = spec("conf/app.toml", "a = 1\nb = 2\n");
        let first = files.inspect(&v1).await.unwrap();
        assert!(matches!(first.change, Change::Create { .. }));
        assert_eq!(first.observed, Observed::Absent);
        assert!(files.apply(&v1).await.unwrap().is_changed());
        assert_eq!(
            fs::read_to_string(root.join("conf/app.toml")).unwrap(),
            "a = 1\nb = 2\n"
        );
        let mode = fs::metadata(root.join("conf/app.toml"))
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o644);
        assert_eq!(files.apply(&v1).await.unwrap(), Outcome::Unchanged);
        let same = files.inspect(&v1).await.unwrap();
        assert_eq!(same.change, Change::None);
        assert!(matches!(same.observed, Observed::Hash { .. }));

        let v2 = spec("conf/app.toml", "a = 1\nb = 3\n");
        let update = files.inspect(&v2).await.unwrap();
        assert_eq!(
            update.change,
            Change::Update {
                diff: vec!["  a = 1".into(), "- b = 2".into(), "+ b = 3".into()]
            }
        );
        assert!(files.apply(&v2).await.unwrap().is_changed());
        assert_ne!(files.inspect(&v2).await.unwrap().observed, same.observed);

        // A file other users cannot read: its content never appears in a diff.
        let private = FileSpec {
            kind: FileKind::File {
                content: "password = hunter3\n".into(),
                mode: Some(0o640),
            },
            ..v2.clone()
        };
        let Change::Update { diff } = files.inspect(&private).await.unwrap().change else {
            panic!("an update");
        };
        assert!(
            diff.iter()
                .all(|l| !l.contains("hunter3") && !l.contains("b = 3")),
            "{diff:?}"
        );
        assert!(files.remove(&v2).await.unwrap().is_changed());
        assert!(!root.join("conf/app.toml").exists());
        assert_eq!(files.remove(&v2).await.unwrap(), Outcome::Unchanged);

        let dir = FileSpec {
            path: "conf".into(),
            kind: FileKind::Directory,
        };
        assert_eq!(files.apply(&dir).await.unwrap(), Outcome::Unchanged);
        assert!(files.remove(&dir).await.unwrap().is_changed());
        let _ = fs::remove_dir_all(&root);
    }
}
