//! The README's quickstart (`examples/src/bin/quickstart.rs`) run as a user would: plan, apply, apply again, edits, drift, render,
//! status, JSON output and usage errors. The server it starts is stopped at the end.

use crate::common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{TempDir, free_port, quickstart, run, tree};
use serde_json::Value;

struct Quickstart {
    exe: PathBuf,
    project: TempDir,
    port: u16,
}

impl Quickstart {
    fn new(tag: &str) -> Self {
        Quickstart {
            exe: quickstart(),
            project: TempDir::new(tag),
            port: free_port(),
        }
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(&self.exe);
        cmd.args(args)
            .current_dir(self.project.path())
            .env("QUICKSTART_PORT", self.port.to_string())
            .env_remove("QUICKSTART_GREETING")
            .env_remove("HARMONY_PROJECT_DIR")
            .env_remove("HARMONY_STATE_DIR")
            .env_remove("RUST_LOG");
        cmd
    }

    fn json(&self, args: &[&str], envs: &[(&str, &str)]) -> (i32, Value) {
        let mut cmd = self.cmd(args);
        cmd.envs(envs.iter().copied());
        let (code, stdout, stderr) = run(&mut cmd);
        let value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
            panic!("{args:?}: stdout is not JSON ({e}):\n{stdout}\nstderr:\n{stderr}")
        });
        (code, value)
    }

    fn pid(&self) -> Option<i32> {
        let record = self
            .project
            .path()
            .join(".harmony/processes/quickstart-web.json");
        let record: Value = serde_json::from_slice(&std::fs::read(record).ok()?).ok()?;
        record["pid"].as_i64().map(|p| p as i32)
    }

    fn get(&self) -> String {
        let mut conn = TcpStream::connect(("127.0.0.1", self.port)).expect("server answers");
        write!(
            conn,
            "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut answer = String::new();
        conn.read_to_string(&mut answer).unwrap();
        answer
    }
}

impl Drop for Quickstart {
    fn drop(&mut self) {
        if let Some(pid) = self.pid() {
            // SAFETY: signals the process group the quickstart server was started in.
            unsafe {
                libc::killpg(pid, libc::SIGKILL);
            }
        }
    }
}

fn statuses(report: &Value) -> Vec<&str> {
    report["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["status"].as_str().unwrap())
        .collect()
}

#[test]
fn quickstart_plan_apply_reapply_edit_status() {
    let q = Quickstart::new("cli-e2e");

    let (code, stdout, _) = run(&mut q.cmd(&["plan"]));
    assert_eq!(code, 0);
    assert!(
        stdout.contains("#2 [web] process quickstart-web: create"),
        "{stdout}"
    );
    assert!(
        stdout.contains("3 to create, 0 to update, 0 to delete, 0 unchanged, 0 unknown"),
        "{stdout}"
    );
    assert!(
        !q.project.path().join("quickstart.toml").exists(),
        "plan changes nothing"
    );

    let (code, plan) = q.json(&["plan", "--json"], &[]);
    assert_eq!(code, 0);
    assert_eq!(plan["schema_version"], 1);
    assert_eq!(plan["command"], "plan");
    assert_eq!(plan["plan"]["name"], "quickstart");
    assert_eq!(plan["summary"]["create"], 3);
    for step in plan["steps"].as_array().unwrap() {
        assert_eq!(step["change"]["change"], "create");
        assert_eq!(step["observed"]["kind"], "absent");
    }

    let (code, stdout, stderr) = run(&mut q.cmd(&["apply"]));
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(
        stdout.contains("3 changed, 0 unchanged, 0 failed, 0 skipped, 0 cancelled"),
        "{stdout}"
    );
    assert!(q.get().contains("<h1>Hello from Harmony</h1>"));
    let first_pid = q.pid().expect("process record");

    let (code, report) = q.json(&["apply", "--json"], &[]);
    assert_eq!(code, 0);
    assert_eq!(report["schema_version"], 1);
    assert_eq!(report["command"], "apply");
    assert_eq!(statuses(&report), vec!["unchanged"; 3]);
    assert_eq!(report["summary"]["unchanged"], 3);
    assert_eq!(report["exit_code"], 0);
    for key in [
        "step",
        "score",
        "operation",
        "resource",
        "status",
        "duration_ms",
        "attempts",
        "message",
    ] {
        assert!(
            report["steps"][0].get(key).is_some(),
            "step report lacks `{key}`"
        );
    }
    assert_eq!(
        q.pid(),
        Some(first_pid),
        "an unchanged apply leaves the process alone"
    );

    // Editing the served page restarts the server, which then serves the new page.
    let bonjour = [("QUICKSTART_GREETING", "Bonjour")];
    let (_, plan) = q.json(&["plan", "--json"], &bonjour);
    assert_eq!(plan["steps"][0]["change"]["change"], "update");
    assert!(
        plan["steps"][0]["change"]["diff"]
            .as_array()
            .unwrap()
            .contains(&Value::from("+ <h1>Bonjour</h1>"))
    );
    let (code, report) = q.json(&["apply", "--json"], &bonjour);
    assert_eq!(code, 0);
    assert_eq!(statuses(&report), vec!["changed", "unchanged", "changed"]);
    assert_ne!(q.pid(), Some(first_pid), "the server was restarted");
    assert!(q.get().contains("<h1>Bonjour</h1>"));

    let (code, status) = q.json(&["status", "--json"], &bonjour);
    assert_eq!(code, 0);
    let resources: Vec<&str> = status["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["resource"].as_str().unwrap())
        .collect();
    assert_eq!(
        resources,
        vec![
            "file:quickstart.toml",
            "file:site/index.html",
            "process:quickstart-web"
        ]
    );
    assert!(
        status["resources"][0]["applied_at"]
            .as_str()
            .unwrap()
            .ends_with('Z')
    );
    assert_eq!(status["capabilities"][0]["capability"], "FileSystem");
    assert_eq!(status["capabilities"][1]["provider"], "LocalProcesses");
    let (code, stdout, _) = run(&mut q.cmd(&["status"]));
    assert_eq!(code, 0);
    assert!(
        stdout.contains("capability ProcessSupervisor => LocalProcesses"),
        "{stdout}"
    );

    // A saved plan is refused once the world moved, naming the step and resource.
    let saved = q.project.path().join("saved.json");
    let (code, _, _) = run(q
        .cmd(&["plan", "--out", saved.to_str().unwrap()])
        .envs(bonjour));
    assert_eq!(code, 0);
    let (code, report) = q.json(&["apply", "--json", saved.to_str().unwrap()], &bonjour);
    assert_eq!(code, 0, "an unmoved world applies the saved plan: {report}");
    std::fs::write(q.project.path().join("quickstart.toml"), "port = 1\n").unwrap();
    let (code, _, stderr) = run(q.cmd(&["apply", saved.to_str().unwrap()]).envs(bonjour));
    assert_eq!(code, 3, "{stderr}");
    assert!(
        stderr.contains("step #1 file quickstart.toml (file:quickstart.toml)"),
        "{stderr}"
    );
}

#[test]
fn render_is_deterministic() {
    let q = Quickstart::new("cli-render");
    let render = |dir: &Path| {
        let (code, stdout, stderr) = run(&mut q.cmd(&["render", dir.to_str().unwrap()]));
        assert_eq!(code, 0, "{stdout}{stderr}");
        tree(dir)
    };
    let one = render(&q.project.path().join("out1"));
    let two = render(&q.project.path().join("out2"));
    let again = render(&q.project.path().join("out1"));
    assert_eq!(one, two);
    assert_eq!(one, again);
    let names: Vec<&str> = one.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        vec![
            "files/quickstart.toml",
            "files/site/index.html",
            "index.json",
            "processes/quickstart-web.json"
        ]
    );
    let index: Value = serde_json::from_slice(&one["index.json"]).unwrap();
    assert_eq!(index["schema_version"], 1);
    assert_eq!(index["files"].as_array().unwrap().len(), 3);
    assert!(
        !q.project.path().join(".harmony").exists(),
        "render applies nothing"
    );
}

#[test]
fn usage_errors_are_clear_and_exit_2() {
    let q = Quickstart::new("cli-usage");
    let (code, _, stderr) = run(&mut q.cmd(&["apply", "--bogus"]));
    assert_eq!(code, 2);
    assert!(stderr.contains("unexpected argument '--bogus'"), "{stderr}");

    let (code, _, stderr) = run(&mut q.cmd(&["plan", "--parallelism", "zero"]));
    assert_eq!(code, 2);
    assert!(
        stderr.contains("invalid value 'zero' for '--parallelism <N>'"),
        "{stderr}"
    );

    let (code, _, stderr) = run(&mut q.cmd(&["plan", "--only", "nope"]));
    assert_eq!(code, 2);
    assert!(
        stderr.contains(
            "--only `nope`: no such score in plan `quickstart`; scores: site, config, web"
        ),
        "{stderr}"
    );

    let (code, doc) = q.json(&["apply", "--only", "nope", "--json"], &[]);
    assert_eq!(code, 2);
    assert_eq!(doc["exit_code"], 2);
    assert!(doc["error"].as_str().unwrap().contains("no such score"));

    let (code, _, _) = run(&mut q.cmd(&["frobnicate"]));
    assert_eq!(code, 2);
}

#[test]
fn only_restricts_to_a_score_and_its_dependencies() {
    let q = Quickstart::new("cli-only");
    let (code, plan) = q.json(&["plan", "--only", "config", "--json"], &[]);
    assert_eq!(code, 0);
    let steps: Vec<&str> = plan["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["resource"].as_str().unwrap())
        .collect();
    assert_eq!(steps, vec!["file:quickstart.toml"]);
}

#[test]
fn plan_shows_unknown_steps_and_keeps_going() {
    use harmony_dsl::resource::{FileKind, FileSpec};
    use harmony_dsl::{Operation, Plan};
    use harmony_runtime::{ExitStatus, Localhost, cli_from};

    let project = TempDir::new("cli-unknown");
    std::fs::write(project.path().join("blocker"), "a file, not a directory").unwrap();
    let mut plan: Plan<Localhost> = Plan::new("unknown");
    let file = |path: &str| {
        Operation::new::<dyn harmony_dsl::capability::FileSystem>(FileSpec {
            path: path.into(),
            kind: FileKind::File {
                content: "x\n".into(),
                mode: None,
            },
        })
    };
    plan.push_step("broken", file("blocker/inside.txt"), &[]);
    plan.push_step("fine", file("fine.txt"), &[]);
    let out = project.path().join("plan.json");
    let state = project.path().join("state");
    let args = [
        "harmony",
        "plan",
        "--out",
        out.to_str().unwrap(),
        "--state-dir",
        state.to_str().unwrap(),
    ];
    let status = cli_from(args, Localhost::new(project.path()), plan);
    assert_eq!(status, ExitStatus::StepFailed);
    let doc: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(doc["summary"]["unknown"], 1);
    assert_eq!(doc["steps"][0]["change"], Value::Null);
    assert!(
        doc["steps"][0]["error"]
            .as_str()
            .unwrap()
            .contains("cannot read"),
        "{doc}"
    );
    assert_eq!(doc["steps"][1]["change"]["change"], "create");
    assert!(!project.path().join("fine.txt").exists());
}

#[test]
fn a_topology_that_cannot_be_built_is_reported() {
    use harmony_dsl::{Error, Plan};
    use harmony_runtime::{ExitStatus, Localhost, cli_from};

    let broken: Result<Localhost, Error> = Err(Error::permanent("no such project"));
    let status = cli_from(["harmony", "status"], broken, Plan::new("p"));
    assert_eq!(status, ExitStatus::Topology);
}

#[test]
fn help_introduces_the_program_not_the_runtime() {
    let q = Quickstart::new("cli-help");
    let (code, stdout, _) = run(&mut q.cmd(&["--help"]));
    assert_eq!(code, 0);
    assert!(
        stdout.contains("quickstart: applies plan `quickstart` to topology `Localhost`"),
        "{stdout}"
    );
    assert!(!stdout.contains("interpret plans"), "{stdout}");
    assert!(stdout.contains("[env: HARMONY_STATE_DIR="), "{stdout}");
}

/// The attack: a file whose current content holds terminal escape sequences (clear the screen,
/// retitle the window, ring the bell) is shown in a plan's diff; they must be printed escaped.
#[test]
fn control_characters_in_plan_diffs_are_escaped() {
    let q = Quickstart::new("cli-escapes");
    let site = q.project.path().join("site");
    std::fs::create_dir_all(&site).unwrap();
    std::fs::write(
        site.join("index.html"),
        "<h1>\x1b[2J\x1b]0;owned\x07</h1>\n\u{202e}gnp.exe\n",
    )
    .unwrap();
    let (code, stdout, stderr) = run(&mut q.cmd(&["plan"]));
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(stdout.contains("file site/index.html: update"), "{stdout}");
    assert!(
        !stdout.contains(['\x1b', '\x07', '\u{202e}']),
        "raw control characters printed: {stdout:?}"
    );
    assert!(stdout.contains("\\u{1b}[2J"), "{stdout}");
}

/// The attacks of issue 12 on saved plans, as an operator's shell would run them: a saved plan
/// edited at rest (the page's content replaced), and a plan saved by one program applied by
/// another. Both are refused with exit code 3 and nothing is written.
#[test]
fn a_tampered_or_foreign_saved_plan_is_refused() {
    let q = Quickstart::new("cli-tampered");
    let saved = q.project.path().join("q.json");
    let (code, _, stderr) = run(&mut q.cmd(&["plan", "--out", saved.to_str().unwrap()]));
    assert_eq!(code, 0, "{stderr}");
    let text = std::fs::read_to_string(&saved).unwrap();
    assert!(text.contains("Hello from Harmony"));
    let tampered = q.project.path().join("tampered.json");
    std::fs::write(
        &tampered,
        text.replace("Hello from Harmony", "<script>x()</script>"),
    )
    .unwrap();
    let (code, _, stderr) = run(&mut q.cmd(&["apply", tampered.to_str().unwrap()]));
    assert_eq!(code, 3, "{stderr}");
    assert!(
        stderr.contains("step #0 file site/index.html (file:site/index.html) is not a step this program makes now"),
        "{stderr}"
    );
    assert!(
        !q.project.path().join("site/index.html").exists(),
        "nothing ran"
    );

    // `quickstart plan --out q.json; other apply q.json`.
    let other = common::example("crashy");
    let (code, _, stderr) = run(Command::new(other)
        .args(["apply", saved.to_str().unwrap()])
        .current_dir(q.project.path()));
    assert_eq!(code, 3, "{stderr}");
    assert!(stderr.contains("saved by another program"), "{stderr}");
    assert!(!q.project.path().join("files").exists(), "nothing ran");
}
