//! Crash safety: `apply` is SIGKILLed while a step blocks; the state (snapshot and journal) must
//! then always load, and the next apply converges. Also pruning.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{TempDir, example, run};
use harmony_runtime::state::{State, StateDir};
use serde_json::Value;

fn crashy(project: &TempDir, args: &[&str]) -> Command {
    let mut cmd = Command::new(example("crashy"));
    cmd.args(args)
        .current_dir(project.path())
        .env_remove("CRASHY_BLOCK")
        .env_remove("CRASHY_FILES")
        .env_remove("HARMONY_STATE_DIR");
    cmd
}

#[test]
fn killed_apply_leaves_a_complete_state_and_the_next_apply_converges() {
    let project = TempDir::new("crash");
    let state_dir = StateDir::new(project.path().join(".harmony"));
    let mut child = crashy(&project, &["apply", "--parallelism", "2"])
        .env("CRASHY_BLOCK", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start crashy apply");

    // Watch the state while apply runs: every read must load.
    let guard = Instant::now() + Duration::from_secs(60);
    let mut reads = 0;
    loop {
        let state: Option<State> = state_dir
            .load()
            .unwrap_or_else(|e| panic!("the state does not load while apply runs: {e}"));
        if let Some(state) = state {
            reads += 1;
            // 40 files can finish; `z.block` and its dependant never do.
            if state.resources.len() >= 40 {
                break;
            }
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "apply ended although a step blocks"
        );
        assert!(Instant::now() < guard, "apply made no progress");
        std::thread::sleep(Duration::from_millis(2));
    }
    child.kill().expect("SIGKILL apply");
    child.wait().unwrap();
    assert!(reads > 0);

    let state = state_dir.load().unwrap().expect("complete state");
    assert_eq!(state.resources.len(), 40);
    assert!(!state.resources.contains_key("file:z.block"));
    let leftovers: Vec<String> = std::fs::read_dir(project.path().join(".harmony"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".harmony-tmp-"))
        .collect();
    assert!(
        leftovers.is_empty() || leftovers.len() == 1,
        "at most the temp file being written: {leftovers:?}"
    );

    // The kernel released the killed apply's lock: the next apply runs and converges.
    let (code, stdout, stderr) = run(&mut crashy(&project, &["apply", "--json"]));
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        report["summary"]["changed"], 2,
        "only z.block and after.txt were left: {report}"
    );
    assert_eq!(report["summary"]["unchanged"], 40);
    assert_eq!(
        std::fs::read_to_string(project.path().join("after.txt")).unwrap(),
        "after\n"
    );

    let (code, stdout, _) = run(&mut crashy(&project, &["apply", "--json"]));
    assert_eq!(code, 0);
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["summary"]["unchanged"], 42);
}

#[test]
fn resources_dropped_from_the_plan_are_listed_then_pruned() {
    let project = TempDir::new("prune");
    let (code, _, stderr) = run(&mut crashy(&project, &["apply"]));
    assert_eq!(code, 0, "{stderr}");
    assert!(project.path().join("files/f39.txt").exists());

    let (code, stdout, _) = run(crashy(&project, &["plan"]).env("CRASHY_FILES", "38"));
    assert_eq!(code, 0);
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(
        lines[1].contains("file:files/f38.txt: delete: remove file files/f38.txt"),
        "{stdout}"
    );
    assert!(lines[2].contains("file:files/f39.txt: delete"), "{stdout}");
    assert!(
        stdout.contains("0 to create, 0 to update, 2 to delete, 40 unchanged"),
        "{stdout}"
    );

    let (code, stdout, _) = run(crashy(&project, &["apply", "--json"]).env("CRASHY_FILES", "38"));
    assert_eq!(code, 0, "{stdout}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    let removed: Vec<&str> = report["removed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["resource"].as_str().unwrap())
        .collect();
    assert_eq!(removed, vec!["file:files/f38.txt", "file:files/f39.txt"]);
    assert!(!project.path().join("files/f39.txt").exists());
    assert!(project.path().join("files/f37.txt").exists());

    let (_, stdout, _) = run(crashy(&project, &["plan", "--json"]).env("CRASHY_FILES", "38"));
    let plan: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        plan["summary"]["delete"], 0,
        "pruned resources leave the state"
    );
}

#[test]
fn sigterm_starts_nothing_new_lets_running_steps_finish_and_saves_state() {
    use std::io::{BufRead, BufReader};

    let project = TempDir::new("cancel");
    let release = project.path().join("release");
    let mut child = crashy(&project, &["apply", "--json", "--parallelism", "2"])
        .env("CRASHY_BLOCK", "1")
        .env("CRASHY_RELEASE", &release)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start crashy apply");
    let state_file = project.path().join(".harmony/state.json");
    let state_dir = StateDir::new(project.path().join(".harmony"));
    let guard = Instant::now() + Duration::from_secs(60);
    // Wait until every file but the blocked one (and its dependant) is recorded.
    loop {
        let done = state_dir
            .load()
            .ok()
            .flatten()
            .is_some_and(|s| s.resources.len() == 40);
        if done {
            break;
        }
        assert!(Instant::now() < guard, "apply made no progress");
        std::thread::sleep(Duration::from_millis(5));
    }
    // SAFETY: sends SIGTERM to the child we started.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGTERM);
    }
    // Once apply says it is cancelled, let the running (blocked) step finish.
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    while !line.contains("interrupted: starting nothing new") {
        line.clear();
        assert!(
            stderr.read_line(&mut line).unwrap() > 0,
            "apply exited without acknowledging SIGTERM"
        );
    }
    std::fs::write(&release, "").unwrap();
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(130));
    let report: Value = serde_json::from_slice(&output.stdout).expect("JSON report");
    assert_eq!(report["cancelled"], true);
    assert_eq!(report["exit_code"], 130);
    let status_of = |resource: &str| {
        report["steps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["resource"] == resource)
            .unwrap()["status"]
            .clone()
    };
    assert_eq!(
        status_of("file:z.block"),
        "changed",
        "the running step finished"
    );
    assert_eq!(
        status_of("file:after.txt"),
        "cancelled",
        "its dependant never started"
    );
    assert_eq!(report["summary"]["cancelled"], 1);
    let state: State = serde_json::from_slice(&std::fs::read(&state_file).unwrap()).unwrap();
    assert!(state.resources.contains_key("file:z.block"));
    assert!(!state.resources.contains_key("file:after.txt"));
    assert!(!project.path().join("after.txt").exists());
    let (code, _, stderr) = run(&mut crashy(&project, &["apply"]));
    assert_eq!(code, 0, "the lock is released: {stderr}");
}
