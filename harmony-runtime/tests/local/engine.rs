//! The engine driven directly, asserting on its documents: saved plans are commitments (each
//! tampering of issue 12 is refused with exit 3, naming the step, and nothing runs), pruning runs
//! through the executor, and two engines in one process keep their own options.

use crate::common;

use std::collections::BTreeMap;
use std::path::Path;

use common::TempDir;
use harmony_dsl::resource::{EnvValue, FileKind, FileSpec, ProcessSpec};
use harmony_dsl::{Observed, Operation, Plan};
use harmony_runtime::engine::{PlanDocument, PlannedStep, ProgramIdentity};
use harmony_runtime::{Engine, ExitStatus, Localhost};

fn file(path: &str, content: &str, mode: Option<u32>) -> Operation {
    Operation::new::<dyn harmony_dsl::capability::FileSystem>(FileSpec {
        path: path.into(),
        kind: FileKind::File {
            content: content.into(),
            mode,
        },
    })
}

/// The program's plan: two files in the project.
fn site(content: &str) -> Plan<Localhost> {
    let mut plan = Plan::new("site");
    let a = plan.push_step("pages", file("www/index.html", content, None), &[]);
    plan.push_step("pages", file("www/about.html", "about\n", None), &[a]);
    plan
}

fn engine(dir: &TempDir) -> Engine<Localhost> {
    let topology = Localhost::with_dirs(dir.path(), dir.path().join(".harmony")).expect("topology");
    Engine::new(topology)
        .state_dir(dir.path().join(".harmony"))
        .parallelism(4)
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// Saves the program's plan as `plan --out` does; returns the document.
fn save(dir: &TempDir, plan: Plan<Localhost>) -> PlanDocument<Localhost> {
    let doc = runtime().block_on(engine(dir).plan(plan)).expect("plan");
    assert!(doc.program.is_some(), "a plan names its program");
    doc
}

/// Applies `saved` (tampered or not) with the program's plan `plan`.
fn apply_saved(
    dir: &TempDir,
    plan: Plan<Localhost>,
    saved: &PlanDocument<Localhost>,
) -> Result<harmony_runtime::report::ApplyReport, harmony_runtime::EngineError> {
    let bytes = serde_json::to_vec(saved).unwrap();
    runtime().block_on(engine(dir).apply_saved(plan, &bytes))
}

/// The attacker also rewrites the digest to match the steps they wrote.
fn redigest(doc: &mut PlanDocument<Localhost>) {
    let only = doc.program.as_ref().and_then(|p| p.only.clone());
    doc.program = Some(ProgramIdentity::of(&doc.plan, only));
}

fn assert_refused(
    result: Result<harmony_runtime::report::ApplyReport, harmony_runtime::EngineError>,
    names: &str,
) {
    match result {
        Ok(report) => panic!("applied a tampered plan: {report:?}"),
        Err(e) => {
            assert_eq!(e.status, ExitStatus::Drift, "{e}");
            assert!(e.message.contains(names), "the refusal names {names}: {e}");
        }
    }
}

#[test]
fn an_untampered_saved_plan_applies() {
    let dir = TempDir::new("engine-saved-ok");
    let doc = save(&dir, site("hello\n"));
    let report = apply_saved(&dir, site("hello\n"), &doc).expect("applies");
    assert_eq!(report.exit_code, 0, "{report:?}");
    assert_eq!(report.summary.changed, 2);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("www/index.html")).unwrap(),
        "hello\n"
    );
}

#[test]
fn changed_content_in_a_saved_plan_is_refused() {
    let dir = TempDir::new("engine-saved-content");
    let mut doc = save(&dir, site("hello\n"));
    doc.plan.steps[0].operation = file("www/index.html", "<script>evil()</script>\n", None);
    redigest(&mut doc);
    assert_refused(
        apply_saved(&dir, site("hello\n"), &doc),
        "step #0 file www/index.html",
    );
    assert!(!dir.path().join("www/index.html").exists(), "nothing ran");
}

#[test]
fn an_added_setuid_file_step_is_refused() {
    let dir = TempDir::new("engine-saved-setuid");
    let target = dir.path().join("x");
    let mut doc = save(&dir, site("hello\n"));
    let op = file(target.to_str().unwrap(), "#!/bin/sh\nid\n", Some(0o4755));
    let resource = op.resource_id();
    let id = doc.plan.push_step("pages", op.clone(), &[]);
    doc.steps.push(PlannedStep {
        step: id.0,
        score: "pages".into(),
        operation: op.to_string(),
        resource,
        change: None,
        observed: Some(Observed::Absent),
        error: None,
    });
    redigest(&mut doc);
    assert_refused(apply_saved(&dir, site("hello\n"), &doc), "step #2 file");
    assert!(!target.exists(), "the setuid file was not written");
    assert!(!dir.path().join("www/index.html").exists(), "nothing ran");
}

#[test]
fn an_added_process_step_is_refused() {
    let dir = TempDir::new("engine-saved-process");
    let marker = dir.path().join("pwned");
    let mut doc = save(&dir, site("hello\n"));
    let op = Operation::new::<dyn harmony_dsl::capability::ProcessSupervisor>(ProcessSpec {
        name: "evil".into(),
        command: vec![
            "sh".into(),
            "-c".into(),
            format!("touch {}", marker.display()),
        ],
        env: BTreeMap::<String, EnvValue>::new(),
        working_dir: None,
        restart_on: vec![],
        health: None,
    });
    let id = doc.plan.push_step("pages", op.clone(), &[]);
    doc.steps.push(PlannedStep {
        step: id.0,
        score: "pages".into(),
        operation: op.to_string(),
        resource: op.resource_id(),
        change: None,
        observed: Some(Observed::Absent),
        error: None,
    });
    redigest(&mut doc);
    assert_refused(
        apply_saved(&dir, site("hello\n"), &doc),
        "step #2 process evil",
    );
    std::thread::sleep(std::time::Duration::from_millis(200));
    assert!(!marker.exists(), "the process did not run");
}

#[test]
fn an_observation_set_to_absent_is_refused() {
    let dir = TempDir::new("engine-saved-absent");
    runtime()
        .block_on(engine(&dir).apply(site("old\n")))
        .expect("first apply");
    let mut doc = save(&dir, site("new\n"));
    doc.steps[0].observed = Some(Observed::Absent);
    assert_refused(
        apply_saved(&dir, site("new\n"), &doc),
        "step #0 file www/index.html",
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("www/index.html")).unwrap(),
        "old\n",
        "nothing ran"
    );
}

#[test]
fn a_plan_saved_by_another_program_is_refused() {
    let dir = TempDir::new("engine-saved-other");
    let mut other = Plan::<Localhost>::new("other");
    other.push_step("tool", file("www/index.html", "other\n", None), &[]);
    let doc = save(&dir, other);
    assert_refused(apply_saved(&dir, site("hello\n"), &doc), "another program");

    // Same name, other steps: each differing step is named.
    let doc = save(&dir, site("from the other program\n"));
    assert_refused(
        apply_saved(&dir, site("hello\n"), &doc),
        "step #0 file www/index.html",
    );
    assert!(!dir.path().join("www/index.html").exists(), "nothing ran");
}

/// A saved plan naming a capability this program does not link (a crate dropped, or a file
/// from another program): refused before anything is compared or run, naming the capability.
#[test]
fn a_saved_plan_naming_an_unknown_capability_is_refused() {
    let dir = TempDir::new("engine-saved-unknown");
    let doc = save(&dir, site("hello\n"));
    let text = serde_json::to_string(&doc).unwrap().replace(
        r#""capability":"FileSystem""#,
        r#""capability":"Teleporter""#,
    );
    let err = runtime()
        .block_on(engine(&dir).apply_saved(site("hello\n"), text.as_bytes()))
        .unwrap_err();
    assert_eq!(err.status, ExitStatus::Usage, "{err}");
    assert!(
        err.message
            .contains("capability `Teleporter` is not known to this program"),
        "{err}"
    );
    assert!(!dir.path().join("www/index.html").exists(), "nothing ran");
}

#[test]
fn a_digest_mismatch_is_refused() {
    let dir = TempDir::new("engine-saved-digest");
    let mut doc = save(&dir, site("hello\n"));
    if let Some(program) = &mut doc.program {
        program.digest = "0".repeat(64);
    }
    assert_refused(apply_saved(&dir, site("hello\n"), &doc), "digest");
    let mut doc = save(&dir, site("hello\n"));
    doc.program = None;
    assert_refused(apply_saved(&dir, site("hello\n"), &doc), "names no program");
}

fn exists(dir: &Path, rel: &str) -> bool {
    dir.join(rel).exists()
}

#[test]
fn pruning_runs_through_the_executor_and_is_reported() {
    let dir = TempDir::new("engine-prune");
    let mut plan = Plan::<Localhost>::new("many");
    for i in 0..8 {
        plan.push_step("files", file(&format!("f/{i}.txt"), "x\n", None), &[]);
    }
    let report = runtime().block_on(engine(&dir).apply(plan)).expect("apply");
    assert_eq!(report.summary.changed, 8);
    let mut fewer = Plan::<Localhost>::new("many");
    fewer.push_step("files", file("f/0.txt", "x\n", None), &[]);
    let report = runtime()
        .block_on(engine(&dir).apply(fewer))
        .expect("apply");
    assert_eq!(report.exit_code, 0, "{report:?}");
    assert_eq!(report.removed.len(), 7, "{report:?}");
    assert!(report.removed.iter().all(|r| r.step.is_none()
        && r.operation.starts_with("remove file")
        && r.status.is_success()));
    assert!(exists(dir.path(), "f/0.txt"));
    assert!((1..8).all(|i| !exists(dir.path(), &format!("f/{i}.txt"))));
    let status = runtime().block_on(engine(&dir).status()).expect("status");
    assert_eq!(status.resources.len(), 1);
}

/// `render --include-secrets` writes the value a secret reference points at (a valid Secret),
/// never the `{key, source}` reference; without the flag, neither.
#[test]
fn render_with_secrets_resolves_references() {
    use harmony_dsl::config::{SecretRef, ValueSource};
    use harmony_dsl::operation::SecretValues;
    use harmony_dsl::resource::KubeObject;

    let dir = TempDir::new("engine-render-secrets");
    let config = dir.path().join("config.toml");
    std::fs::write(&config, "token = \"hunter2\"\n").unwrap();
    let reference = SecretRef::new(
        "token",
        ValueSource::File {
            path: config.clone(),
            key: "token".into(),
        },
    );
    let mut body = serde_json::Map::new();
    body.insert(
        "stringData".into(),
        serde_json::json!({ "token": serde_json::to_value(&reference).unwrap() }),
    );
    let mut plan = Plan::<Localhost>::new("secrets");
    plan.push_step(
        "api",
        Operation::new::<dyn harmony_dsl::capability::K8sCluster>(KubeObject {
            api_version: "v1".into(),
            kind: "Secret".into(),
            name: "api".into(),
            namespace: Some("shop".into()),
            labels: BTreeMap::new(),
            body,
            secret_data: BTreeMap::new(),
        }),
        &[],
    );
    let read_all = |out: &Path| -> String {
        let mut text = String::new();
        for entry in walk(out) {
            text.push_str(&std::fs::read_to_string(entry).unwrap_or_default());
        }
        text
    };
    let with = dir.path().join("with");
    runtime()
        .block_on(engine(&dir).render(plan.clone(), &with, SecretValues::Included))
        .expect("render");
    let text = read_all(&with);
    assert!(text.contains("aHVudGVyMg=="), "base64 of the value: {text}");
    assert!(!text.contains("config.toml"), "not the reference: {text}");

    let without = dir.path().join("without");
    runtime()
        .block_on(engine(&dir).render(plan.clone(), &without, SecretValues::Redacted))
        .expect("render");
    let text = read_all(&without);
    assert!(
        !text.contains("aHVudGVyMg==") && !text.contains("hunter2"),
        "{text}"
    );

    // A reference that cannot be resolved is a configuration error, nothing half-written.
    std::fs::write(&config, "other = 1\n").unwrap();
    let err = runtime()
        .block_on(engine(&dir).render(plan, &dir.path().join("bad"), SecretValues::Included))
        .unwrap_err();
    assert_eq!(err.status, ExitStatus::Config, "{err}");
    assert!(!dir.path().join("bad").exists());
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// Two engines in one process, one forcing Kubernetes conflicts: each call sees its own options
/// (what the thread-local of old could not promise across runtimes and spawned tasks).
#[test]
fn two_engines_keep_their_own_options() {
    use harmony_runtime::engine::{RunContext, RunOptions};
    let dir = TempDir::new("engine-options");
    let forced = engine(&dir).options(RunOptions {
        force_conflicts: true,
    });
    let plain = engine(&dir);
    let rt = runtime();
    let seen = rt.block_on(async {
        let a = RunContext::scope(forced.context().clone(), async {
            tokio::task::yield_now().await;
            RunContext::current_options().force_conflicts
        });
        let b = RunContext::scope(plain.context().clone(), async {
            tokio::task::yield_now().await;
            RunContext::current_options().force_conflicts
        });
        tokio::join!(a, b)
    });
    assert_eq!(seen, (true, false));
    assert!(
        !RunContext::current_options().force_conflicts,
        "outside any engine: defaults"
    );
}

/// An infrastructure program's own subcommand is dispatched to its handler; the engine's
/// commands stay as they are.
#[test]
fn a_program_adds_its_own_subcommands() {
    use harmony_runtime::App;
    use harmony_runtime::clap::{Arg, Command};
    let dir = TempDir::new("engine-app");
    let topology = || Localhost::with_dirs(dir.path(), dir.path().join(".harmony"));
    let mut seen = None;
    let status = App::new(topology(), site("hello\n"))
        .about("The team's site")
        .subcommand(
            Command::new("backup").arg(Arg::new("to").required(true)),
            |m| {
                seen = m.get_one::<String>("to").cloned();
                ExitStatus::Config
            },
        )
        .run_from(["site", "backup", "/srv/backup"]);
    assert_eq!(status, ExitStatus::Config);
    assert_eq!(seen.as_deref(), Some("/srv/backup"));

    let state = dir.path().join(".harmony");
    let status = App::new(topology(), site("hello\n"))
        .subcommand(Command::new("backup"), |_| ExitStatus::Config)
        .run_from([
            "site",
            "apply",
            "--json",
            "--state-dir",
            state.to_str().unwrap(),
        ]);
    assert_eq!(status, ExitStatus::Ok);
    assert!(dir.path().join("www/index.html").exists());
}
