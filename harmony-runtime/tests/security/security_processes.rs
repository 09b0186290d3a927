//! Supervised processes attacked as another local user, a leftover process or a careless
//! environment would: a port someone else holds, the operator's environment, a rotated secret,
//! `--state-dir`, and symbolic links or directories planted where process records go.

use crate::common;
use crate::config_support;

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{TempDir, example, free_port, run};
use config_support::Configured;
use serde_json::Value;

fn environ(pid: i64) -> Vec<String> {
    std::fs::read(format!("/proc/{pid}/environ"))
        .unwrap_or_else(|e| panic!("read environ of {pid}: {e}"))
        .split(|b| *b == 0)
        .filter(|v| !v.is_empty())
        .map(|v| String::from_utf8_lossy(v).into_owned())
        .collect()
}

fn record(state_dir: &Path, name: &str) -> Value {
    let path = state_dir.join(format!("processes/{name}.json"));
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_slice(&bytes).expect("record is JSON")
}

fn mode(path: &Path) -> u32 {
    std::fs::symlink_metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .mode()
        & 0o7777
}

/// SIGKILLs the process group `pid` leads when dropped.
struct KillGroup(Option<i64>);

impl Drop for KillGroup {
    fn drop(&mut self) {
        if let Some(pid) = self.0 {
            // SAFETY: signals the session/group of a process a test started.
            unsafe {
                libc::killpg(pid as i32, libc::SIGKILL);
            }
        }
    }
}

fn wait_for_listener(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "nothing listens on {port}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The case: a leftover process answers the health check of a process that could not
/// start. The port's holder is looked up: the apply fails naming it, and nothing is started.
#[test]
fn a_port_held_by_another_process_fails_the_apply_naming_the_holder() {
    let project = TempDir::new("sec-port");
    let port = free_port();
    let mark = format!("sec-port-{}", std::process::id());
    // The leftover: the same server, started outside Harmony, with the same environment.
    let mut foreign = Command::new(example("crashy"))
        .args(["serve", &port.to_string(), "0"])
        .env("CRASHY_MARK", &mark)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the foreign listener");
    wait_for_listener(port);

    let mut apply = Command::new(example("crashy"));
    apply
        .args(["apply", "--json"])
        .current_dir(project.path())
        .env("CRASHY_FILES", "0")
        .env("CRASHY_PORTS", port.to_string())
        .env("CRASHY_MARK", &mark)
        .env_remove("HARMONY_STATE_DIR");
    let (code, stdout, stderr) = run(&mut apply);
    let _ = foreign.kill();
    let _ = foreign.wait();
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    let report: Value = serde_json::from_str(&stdout).expect("JSON report");
    let step = report["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["resource"] == "process:srv0")
        .expect("the process step")
        .clone();
    assert_eq!(step["status"], "failed", "{step}");
    let message = step["message"].as_str().unwrap_or_default();
    assert!(
        message.contains(&format!("held by another process: pid {}", foreign.id())),
        "{message}"
    );
    assert!(message.contains("crashy serve"), "{message}");
    assert!(message.contains("was not started"), "{message}");
    assert!(
        !project.path().join(".harmony/processes/srv0.json").exists(),
        "nothing was started, nothing recorded"
    );

    // The port is free when the process starts, and taken by someone else before it listens:
    // the health check is answered, but not by the process. Apply fails naming the holder.
    let thief_port = free_port();
    let mut apply = Command::new(example("crashy"));
    apply
        .args(["apply", "--json"])
        .current_dir(project.path())
        .env("CRASHY_FILES", "0")
        .env("CRASHY_PORTS", thief_port.to_string())
        .env("CRASHY_MARK", &mark)
        .env("CRASHY_SERVE_DELAY_MS", "3000")
        .env_remove("HARMONY_STATE_DIR")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let child = apply.spawn().expect("start apply");
    let record = project.path().join(".harmony/processes/srv0.json");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !std::fs::read_to_string(&record).is_ok_and(|r| r.contains("\"running\"")) {
        assert!(Instant::now() < deadline, "the process was never started");
        std::thread::sleep(Duration::from_millis(10));
    }
    let started: Value = serde_json::from_slice(&std::fs::read(&record).unwrap()).unwrap();
    let _stop = KillGroup(started["pid"].as_i64());
    let thief = std::net::TcpListener::bind(("127.0.0.1", thief_port)).expect("take the port");
    let output = child.wait_with_output().unwrap();
    drop(thief);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    let report: Value = serde_json::from_str(&stdout).expect("JSON report");
    let step = report["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["resource"] == "process:srv0")
        .expect("the process step");
    let message = step["message"].as_str().unwrap_or_default();
    assert!(
        message.contains(&format!(
            "is not what answers the health check: port {thief_port} is held by another process: pid {}",
            std::process::id()
        )),
        "{report}"
    );
}

/// The operator's tokens and configuration never reach a supervised process: it gets its
/// declared variables, `PATH` and Harmony's marker, nothing else.
#[test]
fn a_supervised_process_gets_only_its_declared_environment() {
    let app = Configured::new("sec-env");
    let port = free_port().to_string();
    let envs = [
        ("HARMONY_CONFIG_PORT", port.as_str()),
        ("HARMONY_CONFIG_API_TOKEN", "declared-token"),
        ("HARMONY_CONFIG_X", "operator-config"),
        ("VAULT_TOKEN", "operator-vault-token"),
        ("AWS_SECRET_ACCESS_KEY", "operator-aws-key"),
        ("HOME", "/root"),
    ];
    let (code, stdout, stderr) = app.run(&["apply"], &envs);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let record = record(&app.project.path().join(".harmony"), "configured-service");
    let pid = record["pid"].as_i64().expect("pid recorded");
    let mut names: Vec<String> = environ(pid)
        .iter()
        .map(|v| v.split_once('=').map_or(v.as_str(), |(k, _)| k).to_string())
        .collect();
    names.sort();
    assert_eq!(names, ["API_TOKEN", "HARMONY_SUPERVISED", "PATH"]);
    let env = environ(pid);
    assert!(env.contains(&"API_TOKEN=declared-token".to_string()));
    assert!(env.contains(&format!("PATH={}", harmony_runtime::local::DEFAULT_PATH)));
    let tag = record["tag"].as_str().unwrap();
    assert!(env.contains(&format!("HARMONY_SUPERVISED=configured-service:{tag}")));
}

/// A rotated secret restarts its process; `plan` says so without the value, and neither value is
/// written anywhere: state dir, records, logs, outputs.
#[test]
fn a_rotated_secret_restarts_its_process_and_is_written_nowhere() {
    const OLD: &str = "rotation-old-Xq71";
    const NEW: &str = "rotation-new-Kp93";
    let app = Configured::new("sec-rotate");
    let port = free_port().to_string();
    let with = |token| {
        [
            ("HARMONY_CONFIG_PORT", port.clone()),
            ("HARMONY_CONFIG_API_TOKEN", token),
        ]
    };
    let mut outputs = Vec::new();
    let mut cli = |args: &[&str], token: &str| {
        let envs = with(token.to_string());
        let envs: Vec<(&str, &str)> = envs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (code, stdout, stderr) = app.run(args, &envs);
        outputs.push(format!("{args:?}:\n{stdout}\n{stderr}"));
        (code, stdout, stderr)
    };
    let (code, stdout, stderr) = cli(&["apply", "-vvv"], OLD);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let state_dir = app.project.path().join(".harmony");
    let first = record(&state_dir, "configured-service");
    let (code, stdout, _) = cli(&["plan"], OLD);
    assert_eq!(code, 0);
    assert!(stdout.contains("0 to create, 0 to update"), "{stdout}");

    let (code, stdout, stderr) = cli(&["plan", "-vvv"], NEW);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(
        stdout.contains("process configured-service: update"),
        "{stdout}"
    );
    assert!(
        stdout.contains("~ secret API_TOKEN changed (restart)"),
        "{stdout}"
    );
    let (code, stdout, _) = cli(&["plan", "--json"], NEW);
    assert_eq!(code, 0);
    let plan: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(plan["summary"]["update"], 1, "{plan}");

    let (code, stdout, stderr) = cli(&["apply", "-vvv"], NEW);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let second = record(&state_dir, "configured-service");
    assert_ne!(first["pid"], second["pid"], "restarted");
    assert_ne!(first["secret_digests"], second["secret_digests"]);
    let delivered =
        std::fs::read_to_string(app.project.path().join("token.sha256")).expect("token hash");
    let expected: String = {
        use sha2::{Digest, Sha256};
        Sha256::digest(NEW.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    };
    assert_eq!(delivered, expected, "the new value reached the process");
    let (_, stdout, _) = cli(&["apply"], NEW);
    assert!(stdout.contains("0 changed, 2 unchanged"), "{stdout}");

    assert_eq!(mode(&state_dir.join("processes")), 0o700);
    assert_eq!(mode(&state_dir.join("processes/.digest-key")), 0o600);
    assert_eq!(
        mode(&state_dir.join("processes/configured-service.json")),
        0o600
    );
    for (path, bytes) in common::tree(app.project.path()) {
        let text = String::from_utf8_lossy(&bytes);
        for value in [OLD, NEW] {
            assert!(!text.contains(value), "{value} is in {path}:\n{text}");
        }
    }
    for output in &outputs {
        for value in [OLD, NEW] {
            assert!(!output.contains(value), "{value} printed:\n{output}");
        }
    }
}

/// `--state-dir` moves the process records and logs with the state.
#[test]
fn state_dir_moves_the_process_records() {
    let app = Configured::new("sec-state-dir");
    let elsewhere = TempDir::new("sec-state-dir-elsewhere");
    let state_dir = elsewhere.path().join("state");
    let port = free_port().to_string();
    let envs = [
        ("HARMONY_CONFIG_PORT", port.as_str()),
        ("HARMONY_CONFIG_API_TOKEN", "t"),
    ];
    let flag = state_dir.to_str().unwrap();
    let (code, stdout, stderr) = app.run(&["apply", "--state-dir", flag], &envs);
    let pid = std::fs::read(state_dir.join("processes/configured-service.json"))
        .ok()
        .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
        .and_then(|r| r["pid"].as_i64());
    let _stop = KillGroup(pid);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(pid.is_some(), "the record is under --state-dir");
    assert!(state_dir.join("processes/configured-service.log").exists());
    assert!(!app.project.path().join(".harmony/processes").exists());
    // The next run finds it there: nothing to do.
    let (code, stdout, _) = app.run(&["apply", "--state-dir", flag], &envs);
    assert_eq!(code, 0);
    assert!(stdout.contains("0 changed, 2 unchanged"), "{stdout}");
}

/// Another user who can write where the state goes plants a symbolic link to a root-owned file
/// as the process log, or its own directory as the run dir: Harmony refuses, the target is
/// untouched, nothing is started.
#[test]
fn planted_links_and_foreign_directories_in_the_run_dir_are_refused() {
    let app = Configured::new("sec-links");
    let precious = TempDir::new("sec-links-target");
    let target = precious.path().join("shadow");
    std::fs::write(&target, "root only\n").unwrap();
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o600)).unwrap();
    let port = free_port().to_string();
    let envs = [
        ("HARMONY_CONFIG_PORT", port.as_str()),
        ("HARMONY_CONFIG_API_TOKEN", "t"),
    ];
    let runs = app.project.path().join(".harmony/processes");

    // 1. The log is a symbolic link in our own run dir.
    std::fs::create_dir_all(&runs).unwrap();
    std::os::unix::fs::symlink(&target, runs.join("configured-service.log")).unwrap();
    let (code, stdout, stderr) = app.run(&["apply"], &envs);
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    assert!(
        stdout.contains("configured-service.log is a symbolic link: refusing to follow it"),
        "{stdout}"
    );
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "root only\n");
    assert_eq!(mode(&target), 0o600);
    assert!(!runs.join("configured-service.json").exists());

    // 2. The run dir belongs to another user (`nobody`), who put the link there.
    std::fs::remove_dir_all(&runs).unwrap();
    std::fs::create_dir_all(&runs).unwrap();
    std::os::unix::fs::symlink(&target, runs.join("configured-service.log")).unwrap();
    let nobody = 65534;
    std::os::unix::fs::chown(&runs, Some(nobody), Some(nobody)).unwrap();
    std::fs::set_permissions(&runs, std::fs::Permissions::from_mode(0o777)).unwrap();
    let (code, stdout, _) = app.run(&["apply"], &envs);
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.contains("belongs to uid 65534, not to this user"),
        "{stdout}"
    );
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "root only\n");

    // 3. The run dir itself is a symbolic link to a directory elsewhere.
    std::fs::remove_dir_all(&runs).unwrap();
    std::os::unix::fs::symlink(precious.path(), &runs).unwrap();
    let (code, stdout, _) = app.run(&["apply"], &envs);
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.contains("is not a directory (a symbolic link?)"),
        "{stdout}"
    );
    let planted: Vec<_> = std::fs::read_dir(precious.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(planted, vec![std::ffi::OsString::from("shadow")]);

    // 4. The state dir is another user's, writable by all: its `processes` could be swapped.
    let shared = TempDir::new("sec-links-shared");
    std::os::unix::fs::chown(shared.path(), Some(nobody), Some(nobody)).unwrap();
    std::fs::set_permissions(shared.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    let flag = shared.path().to_str().unwrap();
    // The state directory itself is refused first (exit 4, before any step runs); were it not,
    // the process provider would refuse its `processes` directory (exit 1).
    let (code, stdout, stderr) = app.run(&["apply", "--state-dir", flag], &envs);
    assert!(code == 4 || code == 1, "exit {code}:\n{stdout}\n{stderr}");
    assert!(
        stderr.contains("another user who could redirect what Harmony writes there")
            || stdout.contains("could be changed by another user: refusing"),
        "{stdout}\n{stderr}"
    );
    assert!(
        !shared.path().join("processes").exists()
            || mode(&shared.path().join("processes")) == 0o700
    );
}

/// Harmony run as an unprivileged user cannot see who holds a port another user's process
/// listens on: still a failure (naming the holder's uid), never a pass.
#[test]
fn a_port_held_by_a_process_this_user_cannot_see_is_refused_too() {
    use std::os::unix::process::CommandExt;
    let project = TempDir::new("sec-hidden");
    let nobody = 65534;
    std::os::unix::fs::chown(project.path(), Some(nobody), Some(nobody)).unwrap();
    let holder = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = holder.local_addr().unwrap().port();
    // The build directory may be out of `nobody`'s reach (CI keeps it under root's home):
    // run a copy from the project directory.
    let program = project.path().join("crashy");
    std::fs::copy(example("crashy"), &program).unwrap();
    std::fs::set_permissions(&program, std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut apply = Command::new(&program);
    apply
        .args(["apply", "--json"])
        .current_dir(project.path())
        .env("CRASHY_FILES", "0")
        .env("CRASHY_PORTS", port.to_string())
        .env_remove("HARMONY_STATE_DIR")
        .uid(nobody)
        .gid(nobody);
    let (code, stdout, stderr) = run(&mut apply);
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    assert!(
        stdout.contains(&format!(
            "process `srv0` was not started: port {port} is held by another process, of uid 0, that this user cannot see"
        )),
        "{stdout}"
    );
    drop(holder);
}
