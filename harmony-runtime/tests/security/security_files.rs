//! Files, state and lock attacked as another local user (`nobody`) or by a crash would. Each test
//! is the attack: a planted link, a reader loop, parallel applies, a killed lock holder, a state
//! from elsewhere, a file Harmony did not create, a torn journal line.

use crate::common;

use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::{PermissionsExt, lchown, symlink};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use common::{example, run};
use harmony_dsl::capability::FileSystem;
use harmony_dsl::resource::{FileKind, FileSpec};
use harmony_dsl::{
    BoxFuture, CapabilityMap, HostInfo, Inspection, Operation, Outcome, Plan, Result, Topology,
};
use harmony_runtime::local::LocalFiles;
use harmony_runtime::state::StateDir;
use harmony_runtime::{ExitStatus, Localhost, cli_from};
use serde_json::Value;

const NOBODY: u32 = 65534;

fn file(path: &str, content: &str, mode: Option<u32>) -> Operation {
    Operation::new::<dyn harmony_dsl::capability::FileSystem>(FileSpec {
        path: path.into(),
        kind: FileKind::File {
            content: content.into(),
            mode,
        },
    })
}

fn plan_of(files: &[(&str, &str, Option<u32>)]) -> Plan<Localhost> {
    let mut plan = Plan::new("security");
    for (path, content, mode) in files {
        plan.push_step(path, file(path, content, *mode), &[]);
    }
    plan
}

/// Runs the CLI in this process on `project` (state in `<project>/.harmony`).
fn harmony(project: &Path, plan: Plan<Localhost>, args: &[&str]) -> ExitStatus {
    let state = project.join(".harmony");
    let mut argv: Vec<String> = vec!["harmony".into()];
    argv.extend(args.iter().map(|a| a.to_string()));
    argv.extend(["--state-dir".into(), state.display().to_string()]);
    cli_from(argv, Localhost::with_dirs(project, &state), plan)
}

fn mode_of(path: &Path) -> u32 {
    std::fs::symlink_metadata(path)
        .unwrap()
        .permissions()
        .mode()
        & 0o7777
}

/// A link at `link` to `target`, as if `nobody` had planted it.
fn plant_link(target: &Path, link: &Path) {
    symlink(target, link).unwrap();
    lchown(link, Some(NOBODY), Some(NOBODY)).unwrap();
}

/// A root-only file another user wants overwritten.
fn victim(dir: &Path) -> PathBuf {
    let victim_dir = dir.join("victim");
    std::fs::create_dir(&victim_dir).unwrap();
    let victim = victim_dir.join("shadow");
    std::fs::write(&victim, "root:secret\n").unwrap();
    std::fs::set_permissions(&victim, std::fs::Permissions::from_mode(0o600)).unwrap();
    victim
}

#[test]
fn planted_links_at_the_temporary_final_or_directory_path_never_overwrite_their_target() {
    let tmp = tempfile::tempdir().unwrap();
    let victim = victim(tmp.path());
    let project = tmp.path().join("project");
    std::fs::create_dir(&project).unwrap();
    // A directory everyone may add to, like /tmp (sticky): writing there is allowed.
    std::fs::set_permissions(&project, std::fs::Permissions::from_mode(0o1777)).unwrap();

    // The temporary names an older Harmony used (`.<name>.tmp.<pid>`), planted in advance.
    plant_link(
        &victim,
        &project.join(format!(".app.conf.tmp.{}", std::process::id())),
    );
    // The final name.
    plant_link(&victim, &project.join("final.conf"));
    // A directory on the way: a link owned by nobody to the victim's directory.
    plant_link(victim.parent().unwrap(), &project.join("linkdir"));
    // A directory nobody owns.
    let theirs = project.join("theirs");
    std::fs::create_dir(&theirs).unwrap();
    lchown(&theirs, Some(NOBODY), Some(NOBODY)).unwrap();

    let status = harmony(
        &project,
        plan_of(&[
            ("app.conf", "pwned\n", Some(0o644)),
            ("final.conf", "pwned\n", Some(0o644)),
            ("linkdir/shadow", "pwned\n", Some(0o644)),
            ("theirs/x.conf", "pwned\n", Some(0o644)),
        ]),
        &["apply"],
    );
    assert_eq!(
        status,
        ExitStatus::StepFailed,
        "the planted paths are refused"
    );
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "root:secret\n");
    assert_eq!(mode_of(&victim), 0o600);
    assert_eq!(
        std::fs::read_to_string(project.join("app.conf")).unwrap(),
        "pwned\n",
        "the file itself is written, as a regular file"
    );
    assert!(
        !std::fs::symlink_metadata(project.join("app.conf"))
            .unwrap()
            .is_symlink()
    );
    assert!(
        std::fs::symlink_metadata(project.join("final.conf"))
            .unwrap()
            .is_symlink()
    );
    assert!(!theirs.join("x.conf").exists());

    let err = harmony_runtime::safe_fs::write_file(
        &project.join("linkdir/shadow"),
        b"x",
        &harmony_runtime::safe_fs::WriteOptions::PRIVATE,
    )
    .unwrap_err();
    assert!(err.to_string().contains("symbolic link"), "{err}");
    let err = harmony_runtime::safe_fs::write_file(
        &theirs.join("x.conf"),
        b"x",
        &harmony_runtime::safe_fs::WriteOptions::PRIVATE,
    )
    .unwrap_err();
    assert!(err.to_string().contains("belongs to uid 65534"), "{err}");
}

#[test]
fn nobody_never_reads_private_content_from_temporaries_state_or_saved_plans() {
    let tmp = tempfile::tempdir().unwrap();
    let project = tmp.path().join("project");
    std::fs::create_dir(&project).unwrap();
    for dir in [tmp.path(), project.as_path()] {
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    // As nobody: read every file in the project and the state directory, again and again.
    let mut reader = Command::new("sh")
        .arg("-c")
        .arg(
            r#"while [ -d "$P" ] && [ ! -e "$P/stop" ]; do cat "$P"/* "$P"/.[!.]* "$P"/.harmony/* "$P"/.harmony/.[!.]* 2>/dev/null; done"#,
        )
        .env("P", &project)
        .uid(NOBODY)
        .gid(NOBODY)
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the reader as nobody");
    let out = reader.stdout.take().unwrap();
    // Stops the reader however this test ends.
    struct Stop(PathBuf);
    impl Drop for Stop {
        fn drop(&mut self) {
            let _ = std::fs::write(&self.0, "");
        }
    }
    let stop = Stop(project.join("stop"));
    let counter = std::thread::spawn(move || {
        let (mut secret, mut public) = (0, 0);
        for line in BufReader::new(out).split(b'\n') {
            let Ok(line) = line else { break };
            let line = String::from_utf8_lossy(&line);
            secret += line.matches("SECRET-").count();
            public += line.matches("PUBLIC-").count();
        }
        (secret, public)
    });

    let plan_file = project.join("plan.json");
    for round in 0..40 {
        let secret = format!("password = SECRET-{round}\n");
        let public = format!("greeting = PUBLIC-{round}\n");
        let files = [
            ("secret.conf", secret.as_str(), Some(0o600)),
            ("public.conf", public.as_str(), Some(0o644)),
        ];
        assert_eq!(
            harmony(&project, plan_of(&files), &["apply"]),
            ExitStatus::Ok
        );
        let next = format!("password = SECRET-{}\n", round + 1);
        let planned = [
            ("secret.conf", next.as_str(), Some(0o600)),
            ("public.conf", public.as_str(), Some(0o644)),
        ];
        let out = plan_file.display().to_string();
        assert_eq!(
            harmony(&project, plan_of(&planned), &["plan", "--out", &out]),
            ExitStatus::Ok
        );
    }
    drop(stop);
    reader.wait().unwrap();
    let (secret, public) = counter.join().unwrap();
    assert!(public > 0, "the reader loop read the project's files");
    assert_eq!(secret, 0, "nobody read private content {secret} times");

    let state = project.join(".harmony");
    assert_eq!(mode_of(&state), 0o700);
    assert_eq!(mode_of(&state.join("state.json")), 0o600);
    assert_eq!(mode_of(&state.join("journal.jsonl")), 0o600);
    assert_eq!(mode_of(&plan_file), 0o600);
    assert_eq!(mode_of(&project.join("secret.conf")), 0o600);
    for kept in [
        state.join("state.json"),
        state.join("journal.jsonl"),
        plan_file.clone(),
    ] {
        let text = std::fs::read_to_string(&kept).unwrap();
        assert!(!text.contains("SECRET-"), "{}: {text}", kept.display());
    }
    let saved = std::fs::read_to_string(&plan_file).unwrap();
    assert!(saved.contains("<private content sha256:"), "{saved}");
    assert!(saved.contains("PUBLIC-39"), "public content is kept");
}

/// Applies in the critical section right now, and the most seen at once.
static ACTIVE: AtomicUsize = AtomicUsize::new(0);
static MOST: AtomicUsize = AtomicUsize::new(0);

/// Local files whose apply notes how many applies are inside it at once.
struct CountingFiles(LocalFiles);

impl FileSystem for CountingFiles {
    fn inspect<'a>(&'a self, resource: &'a FileSpec) -> BoxFuture<'a, Result<Inspection>> {
        self.0.inspect(resource)
    }

    fn apply<'a>(&'a self, _resource: &'a FileSpec) -> BoxFuture<'a, Result<Outcome>> {
        Box::pin(async move {
            let now = ACTIVE.fetch_add(1, Ordering::SeqCst) + 1;
            MOST.fetch_max(now, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(20)).await;
            ACTIVE.fetch_sub(1, Ordering::SeqCst);
            Ok(Outcome::changed("counted"))
        })
    }

    fn remove<'a>(&'a self, resource: &'a FileSpec) -> BoxFuture<'a, Result<Outcome>> {
        self.0.remove(resource)
    }
}

struct Counting(CapabilityMap);

impl Topology for Counting {
    const NAME: &'static str = "Counting";

    fn hosts(&self) -> &[HostInfo] {
        &[]
    }

    fn capabilities(&self) -> &CapabilityMap {
        &self.0
    }
}

#[test]
fn an_empty_lock_file_is_no_lock_and_parallel_applies_never_overlap() {
    let tmp = tempfile::tempdir().unwrap();
    let state = tmp.path().join("state");
    std::fs::create_dir(&state).unwrap();
    // Created and not yet written by a holder, or left by a crash: not a lock by itself.
    std::fs::write(state.join("lock"), "").unwrap();
    let (mut ok, mut refused) = (0, 0);
    for _round in 0..30 {
        let barrier = Arc::new(Barrier::new(4));
        let runs: Vec<_> = (0..4)
            .map(|_| {
                let barrier = Arc::clone(&barrier);
                let state = state.clone();
                let project = tmp.path().to_path_buf();
                std::thread::spawn(move || {
                    let mut capabilities = CapabilityMap::new();
                    let files: Arc<dyn FileSystem> =
                        Arc::new(CountingFiles(LocalFiles::new(project)));
                    capabilities.insert::<dyn FileSystem>("CountingFiles", files);
                    let mut plan: Plan<Counting> = Plan::new("counting");
                    plan.push_step("c", file("c.txt", "c", Some(0o644)), &[]);
                    barrier.wait();
                    cli_from(
                        ["harmony", "apply", "--state-dir", state.to_str().unwrap()],
                        Counting(capabilities),
                        plan,
                    )
                })
            })
            .collect();
        for run in runs {
            match run.join().unwrap() {
                ExitStatus::Ok => ok += 1,
                ExitStatus::StateIo => refused += 1,
                other => panic!("unexpected exit {other:?}"),
            }
        }
    }
    assert_eq!(MOST.load(Ordering::SeqCst), 1, "two applies ran at once");
    assert!(
        ok >= 30,
        "at least one apply per round ran ({ok} ran, {refused} refused)"
    );
    assert!(
        state.join("lock").exists(),
        "the lock file is never removed"
    );
}

fn crashy(project: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(example("crashy"));
    cmd.args(args)
        .current_dir(project)
        .env_remove("CRASHY_BLOCK")
        .env_remove("CRASHY_FILES")
        .env_remove("CRASHY_RELEASE")
        .env_remove("HARMONY_STATE_DIR");
    cmd
}

/// Starts a crashy apply that blocks (holding the lock) and waits until it has recorded its 40
/// files.
fn blocked_apply(project: &Path) -> std::process::Child {
    let child = crashy(project, &["apply", "--parallelism", "2"])
        .env("CRASHY_BLOCK", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start crashy apply");
    let state = StateDir::new(project.join(".harmony"));
    let guard = Instant::now() + Duration::from_secs(60);
    loop {
        let recorded = state.load().expect("the state loads while apply runs");
        if recorded.is_some_and(|s| s.resources.len() >= 40) {
            break;
        }
        assert!(Instant::now() < guard, "apply made no progress");
        std::thread::sleep(Duration::from_millis(5));
    }
    child
}

#[test]
fn killing_the_lock_holder_releases_the_lock_and_a_pid_in_the_file_is_not_a_lock() {
    let tmp = tempfile::tempdir().unwrap();
    let project = tmp.path();
    let mut holder = blocked_apply(project);

    let (code, _, stderr) = run(&mut crashy(project, &["apply"]));
    assert_eq!(code, 4, "{stderr}");
    assert!(
        stderr.contains(&format!("another apply (pid {})", holder.id())),
        "the holder is named: {stderr}"
    );
    // The refused apply did not take the lock away: still refused.
    let (code, _, _) = run(&mut crashy(project, &["apply"]));
    assert_eq!(code, 4);

    holder.kill().unwrap();
    holder.wait().unwrap();
    let (code, stdout, stderr) = run(&mut crashy(project, &["apply"]));
    assert_eq!(code, 0, "the kernel released the lock\n{stdout}\n{stderr}");

    // A lock file naming a live process that holds no lock (an apply killed as pid 1 in a pid
    // namespace left it): not a lock.
    std::fs::write(project.join(".harmony/lock"), "1\n").unwrap();
    let (code, _, stderr) = run(&mut crashy(project, &["apply"]));
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn a_torn_journal_line_after_a_kill_is_ignored_and_the_next_apply_converges() {
    let tmp = tempfile::tempdir().unwrap();
    let project = tmp.path();
    let mut child = blocked_apply(project);
    child.kill().unwrap();
    child.wait().unwrap();
    let state = StateDir::new(project.join(".harmony"));
    let before = state.load().unwrap().expect("recorded so far");
    assert_eq!(before.resources.len(), 40);

    // Killed in the middle of a line.
    let mut journal = std::fs::OpenOptions::new()
        .append(true)
        .open(state.journal_file())
        .expect("the apply journals each step");
    journal
        .write_all(br#"{"op":"put","id":"file:z.block","record":{"plan":"cra"#)
        .unwrap();
    drop(journal);
    assert_eq!(state.load().unwrap().as_ref(), Some(&before));

    let (code, stdout, stderr) = run(&mut crashy(project, &["apply", "--json"]));
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["summary"]["changed"], 2, "{report}");
    let after = state.load().unwrap().unwrap();
    assert_eq!(after.resources.len(), 42);
    let journal = std::fs::read_to_string(state.journal_file()).unwrap();
    assert!(
        journal.ends_with('\n') && journal.lines().count() == 1,
        "{journal}"
    );
}

#[test]
fn a_state_of_another_schema_version_or_topology_is_refused_and_left_untouched() {
    let tmp = tempfile::tempdir().unwrap();
    let project = tmp.path();
    let state_dir = project.join(".harmony");
    std::fs::create_dir(&state_dir).unwrap();
    let files = [("a.txt", "a\n", Some(0o644))];
    for (schema, topology, expected) in [
        (99, "Localhost", "schema version 99"),
        (1, "Elsewhere", "topology `Elsewhere`"),
    ] {
        let text = format!(
            "{{\"schema_version\": {schema}, \"topology\": \"{topology}\", \"resources\": {{}}}}\n"
        );
        std::fs::write(state_dir.join("state.json"), &text).unwrap();
        for command in [&["apply"][..], &["plan"], &["status"]] {
            assert_eq!(
                harmony(project, plan_of(&files), command),
                ExitStatus::StateIo,
                "{command:?} with {text}"
            );
        }
        assert_eq!(
            std::fs::read_to_string(state_dir.join("state.json")).unwrap(),
            text,
            "left untouched"
        );
        assert!(!project.join("a.txt").exists(), "nothing was applied");
        let err = StateDir::new(&state_dir).load_for("Localhost").unwrap_err();
        assert!(err.to_string().contains(expected), "{err}");
    }
}

#[test]
fn prune_leaves_a_file_harmony_adopted_and_removes_one_it_created() {
    let tmp = tempfile::tempdir().unwrap();
    let project = tmp.path();
    std::fs::write(project.join("existing.conf"), "keep me\n").unwrap();
    std::fs::set_permissions(
        project.join("existing.conf"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    let declared = [
        ("existing.conf", "keep me\n", Some(0o644)),
        ("created.conf", "made by harmony\n", Some(0o644)),
    ];
    assert_eq!(
        harmony(project, plan_of(&declared), &["apply"]),
        ExitStatus::Ok
    );
    let state = StateDir::new(project.join(".harmony"));
    let recorded = state.load().unwrap().unwrap();
    assert!(recorded.resources["file:existing.conf"].adopted);
    assert!(!recorded.resources["file:created.conf"].adopted);

    let out = project.join("plan.json");
    assert_eq!(
        harmony(
            project,
            plan_of(&[]),
            &["plan", "--out", out.to_str().unwrap()]
        ),
        ExitStatus::Ok
    );
    let saved: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(saved["left_in_place"][0]["resource"], "file:existing.conf");
    assert_eq!(
        saved["left_in_place"][0]["note"],
        "left in place: adopted, not created by Harmony"
    );
    let removals: Vec<&str> = saved["removals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["resource"].as_str().unwrap())
        .collect();
    assert_eq!(removals, vec!["file:created.conf"]);

    assert_eq!(harmony(project, plan_of(&[]), &["apply"]), ExitStatus::Ok);
    assert_eq!(
        std::fs::read_to_string(project.join("existing.conf")).unwrap(),
        "keep me\n",
        "the adopted file is left in place"
    );
    assert!(!project.join("created.conf").exists());
    assert!(state.load().unwrap().unwrap().resources.is_empty());
}

#[test]
fn a_saved_plan_with_private_content_applies_the_programs_content() {
    let tmp = tempfile::tempdir().unwrap();
    let project = tmp.path();
    let files = [("secret.conf", "password = hunter2\n", Some(0o600))];
    let out = project.join("plan.json");
    let out = out.to_str().unwrap();
    assert_eq!(
        harmony(project, plan_of(&files), &["plan", "--out", out]),
        ExitStatus::Ok
    );
    assert!(!std::fs::read_to_string(out).unwrap().contains("hunter2"));
    assert_eq!(
        harmony(project, plan_of(&files), &["apply", out]),
        ExitStatus::Ok
    );
    assert_eq!(
        std::fs::read_to_string(project.join("secret.conf")).unwrap(),
        "password = hunter2\n"
    );
    // A program whose content differs has no twin for the saved step: refused.
    assert_eq!(
        harmony(project, plan_of(&[]), &["plan", "--out", out]),
        ExitStatus::Ok
    );
    let other = [("secret.conf", "password = other\n", Some(0o600))];
    assert_eq!(
        harmony(project, plan_of(&other), &["plan", "--out", out]),
        ExitStatus::Ok
    );
    assert_ne!(
        harmony(project, plan_of(&files), &["apply", out]),
        ExitStatus::Ok
    );
    assert_eq!(
        std::fs::read_to_string(project.join("secret.conf")).unwrap(),
        "password = hunter2\n"
    );
}
