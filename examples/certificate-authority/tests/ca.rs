//! The certificate authority, a capability of this crate, through the runtime's unchanged engine
//! and command line: plan, apply, re-apply unchanged, prune, render, saved plans, status; and its
//! private keys: `0600`, never in any output, plan, state or rendered file.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use harmony_dsl::{Change, Plan};
use harmony_example_ca::LocalCa;
use harmony_example_ca::sites::{Lab, Shop, lab, shop};
use harmony_runtime::Engine;
use harmony_runtime::engine::PlanDocument;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn engine(dir: &Path) -> Engine<Lab> {
    let ca = LocalCa {
        dir: dir.join("pki").to_string_lossy().into_owned(),
        name: "Test CA".into(),
    };
    Engine::new(Lab::new(ca))
        .state_dir(dir.join(".harmony"))
        .parallelism(2)
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

fn plan_changes(dir: &Path, plan: Plan<Lab>) -> Vec<Change> {
    let doc = runtime().block_on(engine(dir).plan(plan)).expect("plan");
    doc.steps
        .into_iter()
        .map(|s| s.change.expect("inspected"))
        .collect()
}

#[test]
fn planned_applied_reapplied_unchanged_and_pruned_through_the_engine() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let names = ["web.example.test", "api.example.test"];

    let changes = plan_changes(dir, lab(&names));
    assert!(
        changes.iter().all(|c| matches!(c, Change::Create { .. })),
        "{changes:?}"
    );

    let report = runtime().block_on(engine(dir).apply(lab(&names))).unwrap();
    assert_eq!(report.exit_code, 0, "{report:?}");
    assert_eq!(report.summary.changed, 2, "{report:?}");
    let certs = dir.join("pki/certs");
    for name in names {
        let cert = std::fs::read_to_string(certs.join(format!("{name}.crt"))).unwrap();
        assert!(cert.starts_with("-----BEGIN CERTIFICATE-----"), "{cert}");
        assert_eq!(mode(&certs.join(format!("{name}.key"))), 0o600);
    }
    assert_eq!(mode(&dir.join("pki/ca.key")), 0o600);
    assert_eq!(mode(&dir.join("pki")), 0o700);
    assert_eq!(mode(&certs), 0o700);

    // The same plan again: nothing to do, nothing done, no key replaced.
    let key_before = std::fs::read(certs.join("web.example.test.key")).unwrap();
    assert!(
        plan_changes(dir, lab(&names))
            .iter()
            .all(|c| *c == Change::None)
    );
    let report = runtime().block_on(engine(dir).apply(lab(&names))).unwrap();
    assert_eq!(report.summary.changed, 0, "{report:?}");
    assert_eq!(report.summary.unchanged, 2, "{report:?}");
    assert_eq!(
        std::fs::read(certs.join("web.example.test.key")).unwrap(),
        key_before
    );

    // Live status through the topology's capability map.
    let status = runtime().block_on(engine(dir).status()).unwrap();
    let text = serde_json::to_string(&status).unwrap();
    assert!(text.contains("certificate web.example.test"), "{text}");
    assert!(text.contains("\"issued\""), "{text}");

    // `api` dropped from the plan: pruned through the capability's `remove`.
    let report = runtime()
        .block_on(engine(dir).apply(lab(&["web.example.test"])))
        .unwrap();
    assert_eq!(report.exit_code, 0, "{report:?}");
    assert_eq!(report.removed.len(), 1, "{report:?}");
    assert!(
        report.removed[0]
            .operation
            .starts_with("remove certificate for api.example.test"),
        "{report:?}"
    );
    assert!(!certs.join("api.example.test.key").exists());
    assert!(!certs.join("api.example.test.crt").exists());
    assert!(certs.join("web.example.test.key").exists());
}

#[test]
fn a_saved_plan_names_the_capability_and_applies() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let doc: PlanDocument<Lab> = runtime()
        .block_on(engine(dir).plan(lab(&["web.example.test"])))
        .unwrap();
    let bytes = serde_json::to_vec(&doc).unwrap();
    let text = String::from_utf8(bytes.clone()).unwrap();
    assert!(
        text.contains(r#"{"capability":"CertificateAuthority","resource":{"dns_name":"web.example.test","valid_days":30}}"#),
        "{text}"
    );
    let report = runtime()
        .block_on(engine(dir).apply_saved(lab(&["web.example.test"]), &bytes))
        .expect("the saved plan applies");
    assert_eq!(report.summary.changed, 1, "{report:?}");

    // Another name written into the file: refused, nothing issued.
    let tampered = text.replace("web.example.test", "evil.example.test");
    let err = runtime()
        .block_on(engine(dir).apply_saved(lab(&["web.example.test"]), tampered.as_bytes()))
        .unwrap_err();
    assert!(err.message.contains("refusing"), "{err}");
    assert!(!dir.join("pki/certs/evil.example.test.key").exists());
}

#[test]
fn the_shop_renders_a_certificate_request_for_its_web_apps_dns_name() {
    let tmp = tempfile::tempdir().unwrap();
    let plan = shop();
    let cert = plan.score("cert").expect("the certificate score");
    let step = &plan.steps[cert.steps[0].0];
    assert_eq!(step.operation.capability(), "CertificateAuthority");
    assert_eq!(step.operation.resource_id(), "cert:shop.example.test");
    // After the web app (it is wired to its `url`).
    assert_eq!(
        plan.score("cert").unwrap().depends_on,
        vec!["web".to_string()]
    );

    let engine = Engine::new(Shop::declared()).state_dir(tmp.path().join(".harmony"));
    let out = tmp.path().join("out");
    runtime()
        .block_on(engine.render(plan, &out, Default::default()))
        .expect("render");
    let request = std::fs::read_to_string(out.join("certificates/shop.example.test.json")).unwrap();
    assert_eq!(
        request,
        "{\n  \"dns_name\": \"shop.example.test\",\n  \"valid_days\": 90\n}\n"
    );
    assert!(
        out.join("k8s/default/deployment-web.yaml").exists(),
        "the web app beside it"
    );
    assert!(!tmp.path().join("pki").exists(), "rendering issues nothing");
}

/// The example binary, run in `dir` with `args` (and `CA_EXAMPLE_NAMES=names`).
fn run(dir: &Path, names: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_certificate_authority"))
        .args(args)
        .current_dir(dir)
        .env("CA_EXAMPLE_NAMES", names)
        .env_remove("RUST_LOG")
        .output()
        .expect("run the example")
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[test]
fn the_command_line_plans_applies_prunes_renders_and_saves_without_printing_a_key() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let two = "web.example.test,api.example.test";
    let mut outputs = Vec::new();
    let mut ok = |names: &str, args: &[&str]| {
        let output = run(dir, names, args);
        let all = text(&output);
        assert!(output.status.success(), "{args:?}: {all}");
        outputs.push(all.clone());
        all
    };

    let planned = ok(two, &["plan", "-vvv", "--out", "saved.json"]);
    assert!(
        planned.contains("certificate for web.example.test (30 days): create"),
        "{planned}"
    );
    let applied = ok(two, &["apply", "-vvv", "saved.json"]);
    assert!(applied.contains("2 changed"), "{applied}");
    let again = ok(two, &["apply", "-vvv"]);
    assert!(again.contains("0 changed, 2 unchanged"), "{again}");
    ok(two, &["apply", "-vvv", "--json"]);
    let pruned = ok("web.example.test", &["apply", "-vvv"]);
    assert!(
        pruned.contains("remove certificate for api.example.test"),
        "{pruned}"
    );
    assert!(!dir.join("pki/certs/api.example.test.key").exists());
    let status = ok("web.example.test", &["status", "-vvv"]);
    assert!(
        status.contains("certificate web.example.test  issued"),
        "{status}"
    );
    ok("web.example.test", &["status", "--json"]);
    ok("web.example.test", &["render", "-vvv", "out"]);
    assert!(dir.join("out/certificates/web.example.test.json").exists());

    // The attack: every private key the CA made, searched in everything Harmony printed or
    // wrote besides the key files themselves (state, saved plan, rendered files).
    let keys: Vec<String> = files(&dir.join("pki"))
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "key"))
        .map(|p| {
            assert_eq!(mode(&p), 0o600, "{}", p.display());
            std::fs::read_to_string(p).unwrap()
        })
        .collect();
    assert_eq!(keys.len(), 2, "the CA's key and web's");
    let mut haystacks = outputs;
    for path in files(dir) {
        if path.starts_with(dir.join("pki")) {
            continue;
        }
        haystacks.push(String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned());
    }
    for haystack in &haystacks {
        assert!(!haystack.contains("PRIVATE KEY"), "{haystack}");
        for key in &keys {
            for line in key.lines().filter(|l| !l.starts_with("-----")) {
                assert!(!haystack.contains(line), "a key line in {haystack}");
            }
        }
    }
}

#[test]
fn over_a_failover_pair_both_sides_issue() {
    use harmony_dsl::{Endpoint, Failover, value::Port};
    use harmony_example_ca::TlsCertificate;
    let tmp = tempfile::tempdir().unwrap();
    let side = |name: &str| {
        Lab::new(LocalCa {
            dir: tmp.path().join(name).to_string_lossy().into_owned(),
            name: format!("{name} CA"),
        })
    };
    let mut plan: Plan<Failover<Lab>> = Plan::new("pair");
    plan.add_on_both_sides(
        "web",
        TlsCertificate {
            site: Endpoint::new("web.example.test", Port::new(443).unwrap()),
            valid_days: 7,
        },
        &[],
    );
    let engine = Engine::new(Failover::new(side("primary"), side("replica")))
        .state_dir(tmp.path().join(".harmony"));
    let report = runtime().block_on(engine.apply(plan)).unwrap();
    assert_eq!(report.exit_code, 0, "{report:?}");
    for side in ["primary", "replica"] {
        let key = tmp.path().join(side).join("certs/web.example.test.key");
        assert_eq!(mode(&key), 0o600, "{}", key.display());
    }
}
