//! Helpers for tests that run the example binaries as a user would.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The README's quickstart binary, from the `harmony-examples` package, rebuilt when stale
/// (`cargo test -p harmony-runtime` alone does not build other packages' binaries).
pub fn quickstart() -> PathBuf {
    static BUILT: std::sync::Once = std::sync::Once::new();
    let exe = std::env::current_exe().expect("test executable path");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>");
    let target_dir = nested_target_dir(profile_dir);
    let path = target_dir
        .join(profile_dir.file_name().expect("profile"))
        .join("quickstart");
    BUILT.call_once(|| {
        let mut build = Command::new(env!("CARGO"));
        build
            .args(["build", "-p", "harmony-examples", "--bin", "quickstart"])
            .env("CARGO_TARGET_DIR", target_dir);
        if profile_dir.file_name().is_some_and(|n| n == "release") {
            build.arg("--release");
        }
        let status = build.status().expect("run cargo build");
        assert!(status.success(), "cargo build --bin quickstart failed");
    });
    path
}

/// Where the tests build other packages' binaries: a target directory of its own inside the
/// running one. Building `-p harmony-examples` alone unifies dependency features differently from
/// the workspace build that is running the tests, and cargo then rebuilds shared crates *in place*
/// (same file names), so a later step of that build (the doc tests) would find crates it did not
/// compile against.
fn nested_target_dir(profile_dir: &Path) -> PathBuf {
    profile_dir
        .parent()
        .expect("target dir")
        .join("harmony-nested")
}

/// The example `name` of `harmony-runtime`, built on first use in this process.
pub fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>");
    let target_dir = nested_target_dir(profile_dir);
    let path = target_dir
        .join(profile_dir.file_name().expect("profile"))
        .join("examples")
        .join(name);
    // Built once per test process (cargo makes it a no-op when fresh), never taken as found:
    // a binary left by an earlier build may be stale.
    static BUILT: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
    let mut built = BUILT.lock().unwrap_or_else(|e| e.into_inner());
    if !built.iter().any(|b| b == name) {
        let mut build = Command::new(env!("CARGO"));
        build
            .args(["build", "-p", "harmony-runtime", "--example", name])
            .env("CARGO_TARGET_DIR", target_dir);
        if profile_dir.file_name().is_some_and(|n| n == "release") {
            build.arg("--release");
        }
        let status = build.status().expect("run cargo build");
        assert!(status.success(), "cargo build --example {name} failed");
        built.push(name.to_owned());
    }
    path
}

/// A fresh empty directory, removed on drop.
pub struct TempDir(tempfile::TempDir);

impl TempDir {
    /// A new directory under an unpredictable name, mode `0755` (some tests run programs as
    /// `nobody` below it), removed when dropped.
    pub fn new(tag: &str) -> Self {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::Builder::new()
            .prefix(&format!("harmony-{tag}-"))
            .permissions(std::fs::Permissions::from_mode(0o755))
            .tempdir()
            .expect("create temp dir");
        TempDir(dir)
    }

    pub fn path(&self) -> &Path {
        self.0.path()
    }
}

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

/// Runs `cmd`, returning its output with stdout and stderr as text.
pub fn run(cmd: &mut Command) -> (i32, String, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = cmd.output().expect("run example");
    (
        status.code().unwrap_or(-1),
        String::from_utf8_lossy(&stdout).into_owned(),
        String::from_utf8_lossy(&stderr).into_owned(),
    )
}

/// Every file under `dir`, by relative path, with its bytes.
pub fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).expect("read dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                todo.push(path);
            } else {
                let rel = path.strip_prefix(dir).unwrap().display().to_string();
                out.insert(rel, std::fs::read(&path).expect("read file"));
            }
        }
    }
    out
}
