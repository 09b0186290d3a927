//! `render DIR`: every step's [`Operation::render`](harmony_dsl::Operation::render) artifact,
//! written deterministically (sorted, no timestamps), plus `index.json` listing them (written
//! last, durably).

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Component, Path};

use harmony_dsl::Plan;
use harmony_dsl::operation::SecretValues;
use serde::{Deserialize, Serialize};

use crate::hash::sha256_hex;
use crate::report::SCHEMA_VERSION;
use crate::safe_fs::{self, WriteOptions};

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

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, message)
}

/// Writes `bytes` to `path` through [`safe_fs::write_file`] (no planted link followed) without
/// fsync: rendered files are output that `render` writes again on demand, and one fsync per file
/// made rendering 1,000 web apps take 20 s instead of a fraction of a second. The index, written
/// last, is durable. Files holding secret values are `0600`.
fn replace(path: &Path, bytes: &[u8], secrets: SecretValues) -> io::Result<()> {
    let mode = match secrets {
        SecretValues::Included => 0o600,
        _ => 0o644,
    };
    let options = WriteOptions {
        mode: Some(mode),
        dir_mode: 0o755,
        durable: false,
    };
    safe_fs::write_file(path, bytes, &options)
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
    let mut artifacts = BTreeMap::new();
    for step in &plan.steps {
        let artifact = step.operation.render_with(secrets);
        let rel = Path::new(&artifact.path);
        let safe = rel.components().all(|c| matches!(c, Component::Normal(_)))
            && !artifact.path.is_empty();
        if !safe {
            return Err(invalid(format!(
                "step #{} renders to `{}`, which is not a plain relative path",
                step.id.0, artifact.path
            )));
        }
        if artifact.path == INDEX_FILE {
            return Err(invalid(format!(
                "step #{} renders to the index file name",
                step.id.0
            )));
        }
        let entry = RenderedFile {
            path: artifact.path.clone(),
            step: step.id.0,
            score: step.score.clone(),
            capability: step.operation.capability().to_string(),
            resource: step.operation.resource_id(),
            sha256: sha256_hex(&artifact.content),
            bytes: artifact.content.len(),
        };
        if let Some((other, _)) = artifacts.insert(artifact.path.clone(), (entry, artifact.content))
        {
            return Err(invalid(format!(
                "steps #{} and #{} both render to `{}`",
                other.step, step.id.0, artifact.path
            )));
        }
    }
    fs::create_dir_all(dir)?;
    for stale in previous_files(dir) {
        if !artifacts.contains_key(&stale)
            && Path::new(&stale)
                .components()
                .all(|c| matches!(c, Component::Normal(_)))
        {
            match fs::remove_file(dir.join(&stale)) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
    }
    let mut files = Vec::with_capacity(artifacts.len());
    for (path, (entry, content)) in artifacts {
        replace(&dir.join(&path), content.as_bytes(), secrets)?;
        files.push(entry);
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
    safe_fs::write_file(
        &dir.join(INDEX_FILE),
        &bytes,
        &WriteOptions::with_mode(Some(0o644)),
    )?;
    Ok(index)
}

/// The files the index already in `dir` lists (none when there is no readable index).
fn previous_files(dir: &Path) -> Vec<String> {
    fs::read(dir.join(INDEX_FILE))
        .ok()
        .and_then(|bytes| serde_json::from_slice::<RenderIndex>(&bytes).ok())
        .map(|index| index.files.into_iter().map(|f| f.path).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use harmony_dsl::resource::{FileKind, FileSpec};
    use harmony_dsl::{Operation, Plan};

    fn file(path: &str) -> Operation {
        Operation::FileSystem(FileSpec {
            path: path.into(),
            kind: FileKind::File {
                content: format!("{path}\n"),
                mode: None,
            },
        })
    }

    #[test]
    fn a_second_render_removes_what_the_plan_no_longer_renders_and_nothing_else() {
        let dir = std::env::temp_dir().join(format!("harmony-render-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let mut first: Plan<crate::Localhost> = Plan::new("p");
        first.push_step("a", file("a.conf"), &[]);
        first.push_step("b", file("b.conf"), &[]);
        render_plan(&first, &dir).unwrap();
        fs::write(dir.join("mine.txt"), "not rendered by harmony").unwrap();
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
        fs::remove_dir_all(&dir).unwrap();
    }
}
