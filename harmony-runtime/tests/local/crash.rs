//! Crash safety: `apply` is SIGKILLed while a step blocks; the state (snapshot and journal) must
//! then always load, and the next apply converges. Also pruning.

use crate::common;

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

/// The live `serve` processes carrying `CRASHY_MARK=<mark>`, each with its
/// `HARMONY_SUPERVISED` entry (`None`: the process has none).
fn marked_processes(mark: &str) -> Vec<(i32, Option<String>)> {
    let wanted = format!("CRASHY_MARK={mark}");
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let Ok(environ) = std::fs::read(format!("/proc/{pid}/environ")) else {
            continue;
        };
        let vars: Vec<String> = environ
            .split(|b| *b == 0)
            .map(|v| String::from_utf8_lossy(v).into_owned())
            .collect();
        if !vars.contains(&wanted) {
            continue;
        }
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        let is_server = cmdline.split(|b| *b == 0).nth(1) == Some(b"serve".as_slice());
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        let zombie = stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with(['Z', 'X']));
        if is_server && !zombie {
            let supervised = vars
                .iter()
                .find_map(|v| v.strip_prefix("HARMONY_SUPERVISED="))
                .map(str::to_string);
            found.push((pid, supervised));
        }
    }
    found
}

/// Every marked process is named by a process record (by its tag), and no name has two.
fn untracked_or_duplicated(project: &TempDir, mark: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let mut names = std::collections::BTreeMap::<String, Vec<i32>>::new();
    for (pid, supervised) in marked_processes(mark) {
        let Some((name, tag)) = supervised.as_deref().and_then(|s| s.split_once(':')) else {
            problems.push(format!("pid {pid} has no HARMONY_SUPERVISED marker"));
            continue;
        };
        names.entry(name.to_string()).or_default().push(pid);
        let record = project
            .path()
            .join(format!(".harmony/processes/{name}.json"));
        let recorded_tag = std::fs::read(&record)
            .ok()
            .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
            .and_then(|r| r["tag"].as_str().map(str::to_string));
        if recorded_tag.as_deref() != Some(tag) {
            problems.push(format!(
                "pid {pid} ({name}:{tag}) is untracked: record has tag {recorded_tag:?}"
            ));
        }
    }
    for (name, pids) in names {
        if pids.len() > 1 {
            problems.push(format!("{name} runs twice: pids {pids:?}"));
        }
    }
    problems
}

/// Kills every marked process when the test ends, passed or not.
struct KillMarked(String);

impl Drop for KillMarked {
    fn drop(&mut self) {
        for (pid, _) in marked_processes(&self.0) {
            // SAFETY: SIGKILL to a `serve` process this test's applies started.
            unsafe {
                libc::kill(pid, libc::SIGKILL);
            }
        }
    }
}

/// A small xorshift generator: the test prints its seed.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

#[test]
fn applies_killed_at_random_moments_never_orphan_or_duplicate_a_process() {
    const ROUNDS: usize = 200;
    let project = TempDir::new("crash-procs");
    let mark = format!("crash-procs-{}", std::process::id());
    let _cleanup = KillMarked(mark.clone());
    let ports: Vec<String> = (0..3).map(|_| common::free_port().to_string()).collect();
    let ports = ports.join(",");
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    eprintln!("seed {seed}");
    let mut rng = Rng(seed);
    let apply = |generation: u64, delay: u64| {
        let mut cmd = crashy(&project, &["apply"]);
        cmd.env("CRASHY_FILES", "0")
            .env("CRASHY_PORTS", &ports)
            .env("CRASHY_MARK", &mark)
            .env("CRASHY_GEN", generation.to_string())
            .env("CRASHY_SERVE_DELAY_MS", delay.to_string());
        cmd
    };
    // Kill moments spread over a whole apply, however fast this machine is right now: the
    // window is a bit longer than one apply that starts every process.
    let started = Instant::now();
    let (code, stdout, stderr) = run(&mut apply(0, 20));
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let window = (started.elapsed().as_millis() as u64 * 13 / 10).max(100);
    eprintln!("kill window {window}ms");
    let mut finished = 0;
    // Rounds killed between a record's `starting` write and its pid: without a process yet,
    // and with one (the case that used to leave an orphan).
    let mut starting_empty = std::collections::BTreeSet::new();
    let mut starting_spawned = std::collections::BTreeSet::new();
    for round in 0..ROUNDS {
        let mut child = apply(rng.below(3), rng.below(40))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start crashy apply");
        std::thread::sleep(Duration::from_millis(rng.below(window)));
        let _ = child.kill();
        if child.wait().unwrap().code().is_some() {
            finished += 1;
        }
        // A child forked in the instant of the kill may still be on its way to exec: settle.
        let mut problems = untracked_or_duplicated(&project, &mark);
        if !problems.is_empty() {
            std::thread::sleep(Duration::from_millis(200));
            problems = untracked_or_duplicated(&project, &mark);
        }
        assert!(
            problems.is_empty(),
            "round {round} (seed {seed}): {problems:?}"
        );
        let starting: Vec<String> = std::fs::read_dir(project.path().join(".harmony/processes"))
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                name.ends_with(".json") && !name.starts_with('.')
            })
            .filter_map(|e| serde_json::from_slice::<Value>(&std::fs::read(e.path()).ok()?).ok())
            .filter(|r| r["phase"] == "starting")
            .filter_map(|r| r["tag"].as_str().map(str::to_string))
            .collect();
        for tag in &starting {
            let spawned = marked_processes(&mark).iter().any(|(_, s)| {
                s.as_deref()
                    .is_some_and(|s| s.ends_with(&format!(":{tag}")))
            });
            if spawned {
                starting_spawned.insert(tag.clone());
            } else {
                starting_empty.insert(tag.clone());
            }
        }
        let (code, stdout, stderr) = run(&mut crashy(&project, &["status", "--json"]));
        assert_eq!(
            code, 0,
            "round {round}: state unreadable: {stdout}\n{stderr}"
        );
    }
    eprintln!(
        "{finished} of {ROUNDS} applies finished before their kill; killed while starting: \
         {} before the spawn, {} after",
        starting_empty.len(),
        starting_spawned.len()
    );

    // The next apply converges: one process per name, each tracked; the one after changes none.
    let (code, stdout, stderr) = run(apply(0, 0).arg("--json"));
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let running = marked_processes(&mark);
    assert_eq!(running.len(), 3, "{running:?}");
    assert!(untracked_or_duplicated(&project, &mark).is_empty());
    let (code, stdout, _) = run(apply(0, 0).arg("--json"));
    assert_eq!(code, 0, "{stdout}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["summary"]["changed"], 0, "{report}");
    let mut again = marked_processes(&mark);
    again.sort();
    let mut running = running;
    running.sort();
    assert_eq!(again, running, "never a second copy");

    // Undeclared, they are stopped: nothing is left.
    let (code, stdout, stderr) = run(apply(0, 0).env("CRASHY_PORTS", ""));
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert_eq!(marked_processes(&mark), Vec::new());
}
