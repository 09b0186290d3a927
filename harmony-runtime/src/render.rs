//! `render DIR` and `render -`: every step's [`Operation::render`](harmony_dsl::Operation::render)
//! artifact, deterministically (no timestamps, sorted maps), as files in a directory plus an
//! `index.json` listing them, or as one stream of Kubernetes manifests on stdout.
//!
//! # What `render DIR` guarantees
//!
//! - **Each file is replaced atomically; the directory as a whole is not.** A file is written to
//!   a temporary file in its own directory and renamed over the old one, so a reader sees the old
//!   bytes or the new, never a mix. While render runs, some files may be new and others old;
//!   `index.json` is written last and lists exactly the files of the render that wrote it.
//! - **Unchanged files are not touched.** A file whose bytes and mode are already what the plan
//!   renders is not rewritten: its mtime and inode stay, so rendering the same plan twice writes
//!   nothing, and tools that look at mtimes (`make`, `rsync`, a GitOps agent) see no change. A
//!   re-render costs a read per file, not a write.
//! - **Stale files are removed.** Files the previous `index.json` lists that this plan no longer
//!   renders are deleted; files render did not write are left alone.
//! - **No fsync per file.** Rendered files are output that render writes again on demand: after a
//!   crash, render again. Only `index.json` is flushed to disk (with its directory), because it
//!   decides which files the next render deletes.
//! - **No symlink below DIR is followed.** Files are written through
//!   [`safe_fs::SecureDir`](crate::safe_fs::SecureDir), the same writer as the state's: each
//!   directory is opened relative to its parent with `O_NOFOLLOW` and must not be writable by
//!   another user; a symlink (or a file) where render needs a directory is an error, and a
//!   symlink or FIFO where render writes a file is replaced, never written through or waited on.
//!   Temporary files are created with `O_EXCL` under unpredictable names. `DIR` itself is the
//!   caller's choice and may go through symlinks of root's or ours, as any path Harmony writes.
//! - Files are created with mode `0644` (`0600` when secret values are included), whatever the
//!   umask; directories `0755` less the umask.
//!
//! Cost: one directory open per directory and thread (not per file), one `open` + `fstat` +
//! `read` per unchanged file, `open` + `fchmod` + `write` + `rename` per changed one. Objects are
//! rendered on every CPU, and files written by up to 8 threads: creating a file takes little
//! CPU but may wait long for a busy filesystem's journal, and those waits overlap.
//!
//! # What `render -` writes
//!
//! The Kubernetes objects only (what `kubectl apply -f -` takes; other artifacts, such as
//! load-balancer exposures or local files, are not Kubernetes objects and are left out), in the
//! plan's step order: dependencies before their dependants, as `apply` would run them. As YAML
//! ([`StreamFormat::Yaml`]), one document per object: a `---` line, a `# Source: PATH` comment
//! line naming the file `render DIR` writes for it, then exactly that file's bytes. As JSON
//! ([`StreamFormat::Json`]), one `v1` `List` whose `items` are the same manifests, one per line.

use std::collections::{HashMap, HashSet};
use std::ffi::OsStr;
use std::io::{self, Write};
use std::path::{Component, Path};
use std::sync::atomic::{AtomicBool, Ordering};

use harmony_dsl::Plan;
use harmony_dsl::operation::SecretValues;
use serde::{Deserialize, Serialize};

use crate::hash::sha256_hex;
use crate::report::SCHEMA_VERSION;
use crate::safe_fs::{Entry, SecureDir, WriteOptions};

/// Mode of the directories render creates (less the umask).
const DIR_MODE: u32 = 0o755;

/// Name of the index file written at the top of the render directory.
pub const INDEX_FILE: &str = "index.json";

/// One rendered file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RenderedFile {
    /// Path relative to the render directory, `/`-separated.
    pub path: String,
    /// The step it comes from.
    pub step: usize,
    /// The step's score instance.
    pub score: String,
    /// The capability of the step's operation.
    pub capability: String,
    /// The resource id.
    pub resource: String,
    /// Hex SHA-256 of the content.
    pub sha256: String,
    /// Size in bytes.
    pub bytes: usize,
}

/// `index.json`: what `render` wrote, sorted by path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RenderIndex {
    /// [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// Always `"render"`.
    pub command: String,
    /// Plan name.
    pub plan: String,
    /// Topology name.
    pub topology: String,
    /// The files, sorted by path.
    pub files: Vec<RenderedFile>,
}

/// What [`render_dir`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderReport {
    /// The index written to `index.json`.
    pub index: RenderIndex,
    /// Files written (new or changed), by path, sorted.
    pub written: Vec<String>,
    /// Files left as they were (bytes and mode already right).
    pub unchanged: usize,
    /// Stale files removed (listed by the previous index, no longer rendered), sorted.
    pub removed: Vec<String>,
}

/// The format of [`render_stream`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StreamFormat {
    /// A multi-document YAML stream.
    #[default]
    Yaml,
    /// A JSON `v1` `List` of the objects.
    Json,
}

/// What [`render_stream`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamReport {
    /// Kubernetes objects written.
    pub objects: usize,
    /// Artifacts left out because they are not Kubernetes objects, by path.
    pub left_out: Vec<String>,
}

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, message)
}

/// One step's artifact, checked.
struct Artifact {
    entry: RenderedFile,
    content: String,
    kube: bool,
}

/// Renders every step of `plan`, in step order, checking that each path is a plain relative
/// path, not the index, and rendered by one step only.
fn artifacts<T>(plan: &Plan<T>, secrets: SecretValues) -> io::Result<Vec<Artifact>> {
    let render = |steps: &[harmony_dsl::Step]| -> io::Result<Vec<Artifact>> {
        steps.iter().map(|step| artifact(step, secrets)).collect()
    };
    // Rendering is pure and per step: the two halves of a big plan render on two threads.
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
    let list = if plan.steps.len() < 512 || threads < 2 {
        render(&plan.steps)?
    } else {
        let chunk = plan.steps.len().div_ceil(threads);
        std::thread::scope(|scope| {
            let handles: Vec<_> = plan
                .steps
                .chunks(chunk)
                .map(|steps| scope.spawn(move || render(steps)))
                .collect();
            let mut all = Vec::with_capacity(plan.steps.len());
            for handle in handles {
                let part = handle
                    .join()
                    .map_err(|_| io::Error::other("a render thread panicked"))??;
                all.extend(part);
            }
            Ok::<_, io::Error>(all)
        })?
    };
    let mut seen: HashMap<&str, usize> = HashMap::with_capacity(list.len());
    for artifact in &list {
        if let Some(other) = seen.insert(&artifact.entry.path, artifact.entry.step) {
            return Err(invalid(format!(
                "steps #{} and #{} both render to `{}`",
                other, artifact.entry.step, artifact.entry.path
            )));
        }
    }
    Ok(list)
}

fn artifact(step: &harmony_dsl::Step, secrets: SecretValues) -> io::Result<Artifact> {
    let rendered = step.operation.render_with(secrets);
    if !plain_relative(&rendered.path) {
        return Err(invalid(format!(
            "step #{} renders to `{}`, which is not a plain relative path",
            step.id.0, rendered.path
        )));
    }
    if rendered.path == INDEX_FILE {
        return Err(invalid(format!(
            "step #{} renders to the index file name",
            step.id.0
        )));
    }
    Ok(Artifact {
        entry: RenderedFile {
            step: step.id.0,
            score: step.score.clone(),
            capability: step.operation.capability().to_string(),
            resource: step.operation.resource_id(),
            sha256: sha256_hex(rendered.content.as_bytes()),
            bytes: rendered.content.len(),
            path: rendered.path,
        },
        content: rendered.content,
        kube: step
            .operation
            .resource::<dyn harmony_dsl::capability::K8sCluster>()
            .is_some(),
    })
}

/// `a/b/c`: non-empty, relative, only normal components (no `.`, `..`, empty or NUL).
fn plain_relative(path: &str) -> bool {
    !path.is_empty()
        && !path.contains('\0')
        && !path.starts_with('/')
        && !path.ends_with('/')
        && !path.contains("//")
        && Path::new(path)
            .components()
            .all(|c| matches!(c, Component::Normal(_)))
}

/// Renders every step of `plan` into `dir` (created if needed) and writes the index.
/// Files are written in path order. Files an earlier render listed in `dir`'s index that this
/// plan no longer renders are removed, so `dir` holds exactly the plan; other files are left alone.
pub fn render_plan<T>(plan: &Plan<T>, dir: &Path) -> io::Result<RenderIndex> {
    render_plan_with(plan, dir, SecretValues::Redacted)
}

/// Like [`render_plan`]; `secrets` says whether Kubernetes `Secret`s hold their real values.
pub fn render_plan_with<T>(
    plan: &Plan<T>,
    dir: &Path,
    secrets: SecretValues,
) -> io::Result<RenderIndex> {
    render_dir(plan, dir, secrets).map(|report| report.index)
}

/// Like [`render_plan_with`], saying what was written, left alone and removed. See the module
/// documentation for the guarantees.
pub fn render_dir<T>(
    plan: &Plan<T>,
    dir: &Path,
    secrets: SecretValues,
) -> io::Result<RenderReport> {
    let mut list = artifacts(plan, secrets)?;
    list.sort_unstable_by(|a, b| a.entry.path.cmp(&b.entry.path));
    let mode = match secrets {
        SecretValues::Redacted => 0o644,
        SecretValues::Included => 0o600,
    };
    let mut tree = Tree::open(dir)?;
    let previous = tree.read(INDEX_FILE)?;
    let rendered: HashSet<&str> = list.iter().map(|a| a.entry.path.as_str()).collect();
    let mut removed = Vec::new();
    if let Some(previous) = &previous {
        for stale in previous_files(previous) {
            if !rendered.contains(stale.as_str())
                && plain_relative(&stale)
                && tree.remove(&stale)?
            {
                removed.push(stale);
            }
        }
    }
    removed.sort();
    // Every directory first, once each, so that the writers only open them.
    let mut parents: Vec<&str> = list.iter().map(|a| split(&a.entry.path).0).collect();
    parents.dedup();
    parents.sort_unstable();
    parents.dedup();
    for parent in parents {
        tree.dir(parent, true)?;
    }
    // Rendered files are output render writes again on demand: no fsync (see the module
    // documentation); the index decides what the next render deletes, so it is durable.
    let options = WriteOptions {
        mode: Some(mode),
        dir_mode: DIR_MODE,
        durable: false,
    };
    let changed = write_all(&tree, &list, &options)?;
    let mut written = Vec::new();
    let mut unchanged = 0;
    let mut files = Vec::with_capacity(list.len());
    for (artifact, changed) in list.into_iter().zip(changed) {
        if changed {
            written.push(artifact.entry.path.clone());
        } else {
            unchanged += 1;
        }
        files.push(artifact.entry);
    }
    let index = RenderIndex {
        schema_version: SCHEMA_VERSION,
        command: "render".to_string(),
        plan: plan.name.clone(),
        topology: plan.topology.clone(),
        files,
    };
    let mut bytes = serde_json::to_vec_pretty(&index).map_err(io::Error::other)?;
    bytes.push(b'\n');
    if previous.as_deref() != Some(bytes.as_slice()) {
        let options = WriteOptions {
            mode: Some(0o644),
            dir_mode: DIR_MODE,
            durable: true,
        };
        tree.root.write(OsStr::new(INDEX_FILE), &bytes, &options)?;
    }
    Ok(RenderReport {
        index,
        written,
        unchanged,
        removed,
    })
}

/// Writes every artifact that changed (see [`Tree::write_if_changed`]); for each, whether it
/// was written. A big render is spread over several threads: creating a file costs little CPU
/// but may wait long for the filesystem's journal (hundreds of µs on a busy ext4), and those
/// waits overlap.
fn write_all(tree: &Tree, list: &[Artifact], options: &WriteOptions) -> io::Result<Vec<bool>> {
    const FILES_PER_THREAD: usize = 256;
    const MAX_THREADS: usize = 8;
    let threads = list.len().div_ceil(FILES_PER_THREAD).clamp(1, MAX_THREADS);
    let write_part = |mut tree: Tree, part: &[Artifact], stop: &AtomicBool| {
        let mut buffer = Vec::new();
        let mut changed = Vec::with_capacity(part.len());
        for artifact in part {
            if stop.load(Ordering::Relaxed) {
                break;
            }
            let bytes = artifact.content.as_bytes();
            match tree.write_if_changed(&artifact.entry.path, bytes, options, &mut buffer) {
                Ok(written) => changed.push(written),
                Err(e) => {
                    stop.store(true, Ordering::Relaxed);
                    return Err(e);
                }
            }
        }
        Ok(changed)
    };
    let stop = AtomicBool::new(false);
    if threads == 1 {
        return write_part(tree.share()?, list, &stop);
    }
    let chunk = list.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let mut handles = Vec::with_capacity(threads);
        for part in list.chunks(chunk) {
            let tree = tree.share()?;
            let stop = &stop;
            handles.push(scope.spawn(move || write_part(tree, part, stop)));
        }
        let mut changed = Vec::with_capacity(list.len());
        let mut first_error = None;
        for handle in handles {
            match handle.join() {
                Ok(Ok(part)) => changed.extend(part),
                Ok(Err(e)) => {
                    first_error.get_or_insert(e);
                }
                Err(_) => {
                    first_error.get_or_insert(io::Error::other("a render thread panicked"));
                }
            }
        }
        match first_error {
            Some(e) => Err(e),
            None => Ok(changed),
        }
    })
}

/// The paths a previous index lists (none when it does not parse).
fn previous_files(bytes: &[u8]) -> Vec<String> {
    #[derive(Deserialize)]
    struct Listed {
        path: String,
    }
    #[derive(Deserialize)]
    struct Index {
        files: Vec<Listed>,
    }
    serde_json::from_slice::<Index>(bytes)
        .map(|index| index.files.into_iter().map(|f| f.path).collect())
        .unwrap_or_default()
}

/// Writes the Kubernetes objects of `plan` to `out` as one stream, in step order (see the
/// module documentation for the layout). Nothing is written when a step cannot be rendered.
pub fn render_stream<T>(
    plan: &Plan<T>,
    format: StreamFormat,
    secrets: SecretValues,
    out: &mut impl Write,
) -> io::Result<StreamReport> {
    let list = artifacts(plan, secrets)?;
    let mut objects = 0;
    let mut left_out = Vec::new();
    if format == StreamFormat::Json {
        out.write_all(b"{\"apiVersion\":\"v1\",\"kind\":\"List\",\"items\":[")?;
    }
    for (step, artifact) in plan.steps.iter().zip(&list) {
        if !artifact.kube {
            left_out.push(artifact.entry.path.clone());
            continue;
        };
        debug_assert!(artifact.kube);
        match format {
            StreamFormat::Yaml => {
                out.write_all(b"---\n# Source: ")?;
                out.write_all(artifact.entry.path.as_bytes())?;
                out.write_all(b"\n")?;
                out.write_all(artifact.content.as_bytes())?;
            }
            StreamFormat::Json => {
                let manifest = step
                    .operation
                    .manifest_with(secrets)
                    .unwrap_or(serde_json::Value::Null);
                out.write_all(if objects == 0 { b"\n" } else { b",\n" })?;
                serde_json::to_writer(&mut *out, &manifest).map_err(io::Error::other)?;
            }
        }
        objects += 1;
    }
    if format == StreamFormat::Json {
        out.write_all(b"\n]}\n")?;
    }
    out.flush()?;
    Ok(StreamReport { objects, left_out })
}

/// Prints what [`render_dir`] did: a line per file written or removed, then the counts.
pub fn print_report(report: &RenderReport, dir: &Path, out: &mut impl Write) -> io::Result<()> {
    let dir = dir.display();
    for path in &report.written {
        writeln!(out, "wrote {dir}/{path}")?;
    }
    for path in &report.removed {
        writeln!(out, "removed {dir}/{path} (no longer rendered)")?;
    }
    writeln!(
        out,
        "{} files ({} written, {} unchanged, {} removed) and {INDEX_FILE} in {dir}",
        report.index.files.len(),
        report.written.len(),
        report.unchanged,
        report.removed.len()
    )?;
    out.flush()
}

/// The directories of one render, each opened once through [`SecureDir`] (relative to its
/// parent, without following links, checked like every directory Harmony writes in).
struct Tree {
    root: SecureDir,
    /// Open directories by relative path (`k8s/shop`); bounded, see [`Tree::MAX_OPEN`].
    dirs: HashMap<String, SecureDir>,
}

impl Tree {
    /// At most this many directories stay open (the rest are reopened when needed).
    const MAX_OPEN: usize = 256;

    fn open(dir: &Path) -> io::Result<Tree> {
        Ok(Tree {
            root: SecureDir::open(dir, Some(DIR_MODE))?,
            dirs: HashMap::new(),
        })
    }

    /// Another handle on the same root, with its own open directories (for another thread).
    fn share(&self) -> io::Result<Tree> {
        Ok(Tree {
            root: self.root.try_clone()?,
            dirs: HashMap::new(),
        })
    }

    /// The directory `rel` (`""` is the root), created when `create`; `None` when it does not
    /// exist and `create` is false.
    fn dir(&mut self, rel: &str, create: bool) -> io::Result<Option<&SecureDir>> {
        if rel.is_empty() {
            return Ok(Some(&self.root));
        }
        if !self.dirs.contains_key(rel) {
            let (parent, name) = split(rel);
            let Some(parent) = self.dir(parent, create)? else {
                return Ok(None);
            };
            let Some(opened) = parent.open_child(OsStr::new(name), create.then_some(DIR_MODE))?
            else {
                return Ok(None);
            };
            if self.dirs.len() >= Self::MAX_OPEN {
                self.dirs.clear();
            }
            self.dirs.insert(rel.to_string(), opened);
        }
        Ok(self.dirs.get(rel))
    }

    /// The directory `rel`, created if needed.
    fn existing_dir(&mut self, rel: &str) -> io::Result<&SecureDir> {
        self.dir(rel, true)?
            .ok_or_else(|| io::Error::other(format!("{rel}: cannot create the directory")))
    }

    /// The bytes of regular file `rel`, or `None` when there is none (or something else).
    fn read(&mut self, rel: &str) -> io::Result<Option<Vec<u8>>> {
        let (parent, name) = split(rel);
        let Some(dir) = self.dir(parent, false)? else {
            return Ok(None);
        };
        match dir.entry(OsStr::new(name))? {
            Entry::File { content, .. } => Ok(Some(content)),
            _ => Ok(None),
        }
    }

    /// Writes `bytes` to `rel` unless it already holds exactly that (see
    /// [`SecureDir::write_if_changed`]); true when written.
    fn write_if_changed(
        &mut self,
        rel: &str,
        bytes: &[u8],
        options: &WriteOptions,
        scratch: &mut Vec<u8>,
    ) -> io::Result<bool> {
        let (parent, name) = split(rel);
        self.existing_dir(parent)?
            .write_if_changed(OsStr::new(name), bytes, options, scratch)
            .map_err(|e| context(e, rel))
    }

    /// Removes file `rel` if it exists (never through a symlinked directory); true if removed.
    fn remove(&mut self, rel: &str) -> io::Result<bool> {
        let (parent, name) = split(rel);
        let Some(dir) = self.dir(parent, false)? else {
            return Ok(false);
        };
        match dir.remove_file(OsStr::new(name)) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(context(e, rel)),
        }
    }
}

/// `("a/b", "c")` for `a/b/c`, `("", "c")` for `c`.
fn split(rel: &str) -> (&str, &str) {
    rel.rsplit_once('/').unwrap_or(("", rel))
}

fn context(e: io::Error, rel: &str) -> io::Error {
    io::Error::new(e.kind(), format!("{rel}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use harmony_dsl::resource::{FileKind, FileSpec};
    use harmony_dsl::{Operation, Plan};

    fn file(path: &str) -> Operation {
        Operation::new::<dyn harmony_dsl::capability::FileSystem>(FileSpec {
            path: path.into(),
            kind: FileKind::File {
                content: format!("{path}\n"),
                mode: None,
            },
        })
    }

    #[test]
    fn a_second_render_removes_what_the_plan_no_longer_renders_and_nothing_else() {
        let dir_guard = tempfile::tempdir().unwrap();
        let dir = dir_guard.path().to_path_buf();
        let _ = std::fs::remove_dir_all(&dir);
        let mut first: Plan<crate::Localhost> = Plan::new("p");
        first.push_step("a", file("a.conf"), &[]);
        first.push_step("b", file("b.conf"), &[]);
        render_plan(&first, &dir).unwrap();
        std::fs::write(dir.join("mine.txt"), "not rendered by harmony").unwrap();
        let mut second: Plan<crate::Localhost> = Plan::new("p");
        second.push_step("a", file("a.conf"), &[]);
        let index = render_plan(&second, &dir).unwrap();
        assert_eq!(index.files.len(), 1);
        assert!(dir.join("files/a.conf").exists());
        assert!(
            !dir.join("files/b.conf").exists(),
            "stale render output is removed"
        );
        assert!(
            dir.join("mine.txt").exists(),
            "files harmony did not write are kept"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn plain_relative_paths_only() {
        for ok in ["a", "a/b.yaml", "k8s/_cluster/namespace-x.yaml"] {
            assert!(plain_relative(ok), "{ok}");
        }
        for bad in ["", "/a", "a/../b", "./a", "a//b", "a/", "..", "a\0b"] {
            assert!(!plain_relative(bad), "{bad:?}");
        }
    }
}
