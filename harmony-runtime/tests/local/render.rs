//! `render DIR` and `render -`: a second render of the same plan touches no file, stale files
//! are removed and nothing else, the stream is the files in step order, and nothing below the
//! directory is followed through a symlink or blocks on a FIFO.

use crate::common;

use std::collections::BTreeMap;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::Command;

use common::{TempDir, example, run, tree};
use harmony_dsl::Plan;
use harmony_dsl::operation::SecretValues;
use harmony_runtime::prelude::*;
use harmony_runtime::render::{
    INDEX_FILE, RenderIndex, StreamFormat, render_dir, render_plan, render_stream,
};

topology! {
    /// A cluster with a load balancer.
    pub Cluster {
        hosts {
            srv1 { arch: x86_64, address: "10.0.0.11", labels: [control_plane] }
        }
        capabilities {
            K8sCluster   => Kube { context: "test" },
            LoadBalancer => MetalLb { pool: "10.0.0.240/28" },
        }
    }
}

fn app(i: usize, replicas: u16) -> WebApp {
    WebApp {
        image: format!("registry.example.com/acme/app-{i}:1.0")
            .parse()
            .unwrap(),
        replicas,
        port: Port::new(8080).unwrap(),
        database: None,
        dns: None,
        namespace: Some(format!("team-{}", i % 2)),
        ingress: None,
        ingress_path: None,
        tls_secret: None,
        config: Default::default(),
        secrets: Default::default(),
    }
}

/// `apps` web apps; app `changed`, if any, with 7 replicas instead of 1.
fn plan(apps: usize, changed: Option<usize>) -> Plan<Cluster> {
    let mut plan = Plan::new("render-test");
    for i in 0..apps {
        let replicas = if changed == Some(i) { 7 } else { 1 };
        plan.add(&format!("app-{i}"), app(i, replicas), &[]);
    }
    plan
}

/// Modification time (seconds, nanoseconds) and inode of every file of `dir`, by relative path.
fn stamps(dir: &Path) -> BTreeMap<String, (i64, i64, u64)> {
    tree(dir)
        .keys()
        .map(|rel| {
            let meta = std::fs::symlink_metadata(dir.join(rel)).unwrap();
            (rel.clone(), (meta.mtime(), meta.mtime_nsec(), meta.ino()))
        })
        .collect()
}

/// Sets the modification time of every file of `dir` to 2001-09-09.
fn age(dir: &Path) {
    for rel in tree(dir).keys() {
        let path =
            std::ffi::CString::new(dir.join(rel).into_os_string().into_encoded_bytes()).unwrap();
        let old = libc::timespec {
            tv_sec: 1_000_000_000,
            tv_nsec: 0,
        };
        let times = [old, old];
        // SAFETY: `path` is NUL-terminated; `times` holds two timespecs.
        let done = unsafe { libc::utimensat(libc::AT_FDCWD, path.as_ptr(), times.as_ptr(), 0) };
        assert_eq!(done, 0, "utimensat {rel}");
    }
}

#[test]
fn rendering_again_writes_nothing_and_keeps_every_mtime() {
    let dir = TempDir::new("render-twice");
    let out = dir.path().join("out");
    let first = render_dir(&plan(6, None), &out, SecretValues::Redacted).unwrap();
    assert_eq!(
        first.written.len(),
        18,
        "a Deployment, a Service, an exposure each"
    );
    let bytes = tree(&out);
    age(&out);
    let before = stamps(&out);
    assert!(before.values().all(|(s, _, _)| *s == 1_000_000_000));

    let second = render_dir(&plan(6, None), &out, SecretValues::Redacted).unwrap();
    assert_eq!(second.written, Vec::<String>::new());
    assert_eq!(second.unchanged, 18);
    assert_eq!(second.removed, Vec::<String>::new());
    assert_eq!(second.index, first.index);
    assert_eq!(tree(&out), bytes, "identical bytes");
    assert_eq!(
        stamps(&out),
        before,
        "no file rewritten, index.json included"
    );

    // One app changes: its Deployment alone is rewritten (and the index, which lists its hash).
    let third = render_dir(&plan(6, Some(4)), &out, SecretValues::Redacted).unwrap();
    assert_eq!(third.written, vec!["k8s/team-0/deployment-app-4.yaml"]);
    let after = stamps(&out);
    for (rel, stamp) in &before {
        let rewritten = rel == "k8s/team-0/deployment-app-4.yaml" || rel == INDEX_FILE;
        assert_eq!(&after[rel] == stamp, !rewritten, "{rel}");
    }
    assert!(
        std::str::from_utf8(&tree(&out)["k8s/team-0/deployment-app-4.yaml"])
            .unwrap()
            .contains("replicas: 7")
    );
}

#[test]
fn a_file_edited_by_hand_is_put_back() {
    let dir = TempDir::new("render-edited");
    let out = dir.path().join("out");
    render_plan(&plan(2, None), &out).unwrap();
    let bytes = tree(&out);
    let edited = out.join("k8s/team-1/service-app-1.yaml");
    std::fs::write(&edited, "kind: Nonsense\n").unwrap();
    std::fs::set_permissions(
        out.join("k8s/team-0/service-app-0.yaml"),
        std::fs::Permissions::from_mode(0o666),
    )
    .unwrap();
    let report = render_dir(&plan(2, None), &out, SecretValues::Redacted).unwrap();
    assert_eq!(
        report.written,
        vec![
            "k8s/team-0/service-app-0.yaml",
            "k8s/team-1/service-app-1.yaml"
        ],
        "changed bytes and a changed mode are both rewritten"
    );
    assert_eq!(tree(&out), bytes);
    let mode = std::fs::metadata(out.join("k8s/team-0/service-app-0.yaml"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o7777, 0o644);
}

#[test]
fn stale_files_of_a_bigger_plan_are_removed_and_nothing_else() {
    let dir = TempDir::new("render-stale");
    let out = dir.path().join("out");
    render_plan(&plan(5, None), &out).unwrap();
    std::fs::write(out.join("k8s/team-0/mine.yaml"), "kept\n").unwrap();
    age(&out);
    let before = stamps(&out);
    let report = render_dir(&plan(3, None), &out, SecretValues::Redacted).unwrap();
    assert_eq!(
        report.removed,
        vec![
            "k8s/team-0/deployment-app-4.yaml",
            "k8s/team-0/service-app-4.yaml",
            "k8s/team-1/deployment-app-3.yaml",
            "k8s/team-1/service-app-3.yaml",
            "loadbalancer/team-0-app-4.json",
            "loadbalancer/team-1-app-3.json",
        ]
    );
    assert_eq!(report.written, Vec::<String>::new());
    let files = tree(&out);
    let index: RenderIndex = serde_json::from_slice(&files[INDEX_FILE]).unwrap();
    let mut expected: Vec<&str> = index.files.iter().map(|f| f.path.as_str()).collect();
    expected.extend([INDEX_FILE, "k8s/team-0/mine.yaml"]);
    expected.sort();
    assert_eq!(files.keys().collect::<Vec<_>>(), expected);
    let after = stamps(&out);
    for (rel, stamp) in &after {
        if rel != INDEX_FILE {
            assert_eq!(&before[rel], stamp, "{rel} untouched");
        }
    }
}

/// `---`, `# Source: PATH`, the file's bytes: for every Kubernetes file, in step order.
fn concatenation(out: &Path, index: &RenderIndex) -> String {
    let mut kube: Vec<_> = index
        .files
        .iter()
        .filter(|f| f.capability == "K8sCluster")
        .collect();
    kube.sort_by_key(|f| f.step);
    kube.iter()
        .map(|f| {
            let content = std::fs::read_to_string(out.join(&f.path)).unwrap();
            format!("---\n# Source: {}\n{content}", f.path)
        })
        .collect()
}

#[test]
fn the_stream_is_the_kubernetes_files_in_step_order() {
    let dir = TempDir::new("render-stream");
    let out = dir.path().join("out");
    let plan = plan(4, None);
    let index = render_plan(&plan, &out).unwrap();
    let mut stream = Vec::new();
    let report = render_stream(
        &plan,
        StreamFormat::Yaml,
        SecretValues::Redacted,
        &mut stream,
    )
    .unwrap();
    assert_eq!(report.objects, 8);
    assert_eq!(report.left_out.len(), 4, "the load-balancer exposures");
    let stream = String::from_utf8(stream).unwrap();
    assert_eq!(stream, concatenation(&out, &index));
    assert!(
        stream
            .starts_with("---\n# Source: k8s/team-0/deployment-app-0.yaml\napiVersion: apps/v1\n")
    );

    let mut json = Vec::new();
    render_stream(&plan, StreamFormat::Json, SecretValues::Redacted, &mut json).unwrap();
    let list: serde_json::Value = serde_json::from_slice(&json).unwrap();
    assert_eq!(list["kind"], "List");
    let items = list["items"].as_array().unwrap();
    let kinds: Vec<(&str, &str)> = items
        .iter()
        .map(|o| {
            (
                o["kind"].as_str().unwrap(),
                o["metadata"]["name"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        kinds[..3],
        [
            ("Deployment", "app-0"),
            ("Service", "app-0"),
            ("Deployment", "app-1")
        ]
    );
    // Each item is the manifest of its YAML document.
    for (item, doc) in items.iter().zip(stream.split("---\n").skip(1)) {
        let yaml = doc.split_once('\n').unwrap().1;
        let parsed: serde_json::Value = serde_saphyr::from_str(yaml).unwrap();
        assert_eq!(&parsed, item);
    }
}

fn web_apps(dir: &Path, apps: usize, args: &[&str]) -> (i32, String, String) {
    let mut cmd = Command::new(example("web_apps"));
    cmd.args(args)
        .current_dir(dir)
        .env("WEB_APPS", apps.to_string())
        .env_remove("HARMONY_STATE_DIR")
        .env_remove("RUST_LOG");
    run(&mut cmd)
}

#[test]
fn render_dash_prints_the_stream_and_nothing_else() {
    let dir = TempDir::new("render-dash");
    let (code, stdout, stderr) = web_apps(dir.path(), 5, &["render", "out"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.ends_with("15 files (15 written, 0 unchanged, 0 removed) and index.json in out\n"),
        "{stdout}"
    );
    let (code, again, _) = web_apps(dir.path(), 5, &["render", "out"]);
    assert_eq!(code, 0);
    assert_eq!(
        again,
        "15 files (0 written, 15 unchanged, 0 removed) and index.json in out\n"
    );

    let out = dir.path().join("out");
    let index: RenderIndex =
        serde_json::from_slice(&std::fs::read(out.join(INDEX_FILE)).unwrap()).unwrap();
    let (code, stream, stderr) = web_apps(dir.path(), 5, &["render", "-"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stream, concatenation(&out, &index));
    assert!(
        stderr.contains("5 artifacts are not Kubernetes objects"),
        "{stderr}"
    );

    let (code, json, _) = web_apps(dir.path(), 5, &["render", "-", "--format", "json"]);
    assert_eq!(code, 0);
    let list: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 10);

    let (code, _, stderr) = web_apps(dir.path(), 5, &["render", "out", "--format", "json"]);
    assert_eq!(code, 2, "--format is for the stream only: {stderr}");
    let (code, _, stderr) = web_apps(dir.path(), 5, &["render", "-", "--json"]);
    assert_eq!(code, 2, "{stderr}");
}

#[test]
fn plan_offline_inspects_nothing_and_lists_every_step() {
    let dir = TempDir::new("plan-offline");
    let (code, stdout, stderr) = web_apps(dir.path(), 2, &["plan", "--offline"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("#0 [app-0] apply Deployment team-0/app-0: not inspected"),
        "{stdout}"
    );
    assert!(
        stdout.ends_with("6 steps not inspected (--offline), 0 to delete\n"),
        "{stdout}"
    );
    let (code, stdout, _) = web_apps(dir.path(), 2, &["plan", "--offline", "--json"]);
    assert_eq!(code, 0);
    let doc: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(doc["summary"]["not_inspected"], 6);
    assert_eq!(doc["steps"][0]["change"], serde_json::Value::Null);
    let (code, _, _) = web_apps(dir.path(), 2, &["plan", "--offline", "--out", "p.json"]);
    assert_eq!(code, 2, "a saved plan is an inspected one");
    assert!(!dir.path().join(".harmony").exists(), "nothing written");
}

// --- Attacks: Harmony runs as root and the render directory may be writable by others. ---

#[test]
fn a_symlinked_directory_below_the_render_directory_is_not_followed() {
    let dir = TempDir::new("render-symlink-dir");
    let out = dir.path().join("out");
    let elsewhere = dir.path().join("elsewhere");
    std::fs::create_dir_all(out.join("k8s")).unwrap();
    std::fs::create_dir_all(&elsewhere).unwrap();
    std::os::unix::fs::symlink(&elsewhere, out.join("k8s/team-0")).unwrap();
    let err = render_plan(&plan(1, None), &out).unwrap_err();
    assert!(
        err.to_string().contains("k8s/team-0 is not a directory"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_dir(&elsewhere).unwrap().count(),
        0,
        "nothing written through it"
    );
}

#[test]
fn a_symlink_where_a_file_goes_is_replaced_not_written_through() {
    let dir = TempDir::new("render-symlink-file");
    let out = dir.path().join("out");
    render_plan(&plan(1, None), &out).unwrap();
    let victim = dir.path().join("victim");
    std::fs::write(&victim, "precious\n").unwrap();
    let target = out.join("k8s/team-0/service-app-0.yaml");
    std::fs::remove_file(&target).unwrap();
    std::os::unix::fs::symlink(&victim, &target).unwrap();
    let report = render_dir(&plan(1, None), &out, SecretValues::Redacted).unwrap();
    assert_eq!(report.written, vec!["k8s/team-0/service-app-0.yaml"]);
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
    assert!(
        std::fs::symlink_metadata(&target)
            .unwrap()
            .file_type()
            .is_file()
    );
    // A stale entry that is a symlink: the link goes, never its target.
    std::fs::remove_file(&target).unwrap();
    std::os::unix::fs::symlink(&victim, &target).unwrap();
    render_plan(&plan(0, None), &out).unwrap();
    assert!(std::fs::symlink_metadata(&target).is_err());
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
}

#[test]
fn a_fifo_where_a_file_goes_does_not_block_render() {
    let dir = TempDir::new("render-fifo");
    let out = dir.path().join("out");
    render_plan(&plan(1, None), &out).unwrap();
    let target = out.join("k8s/team-0/deployment-app-0.yaml");
    std::fs::remove_file(&target).unwrap();
    let c = std::ffi::CString::new(target.clone().into_os_string().into_encoded_bytes()).unwrap();
    // SAFETY: `c` is NUL-terminated.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o666) }, 0);
    render_plan(&plan(1, None), &out).unwrap();
    assert!(
        std::fs::symlink_metadata(&target)
            .unwrap()
            .file_type()
            .is_file()
    );
}

#[test]
fn rendered_secrets_are_private_files() {
    let dir = TempDir::new("render-secret-mode");
    let out = dir.path().join("out");
    let mut secret_app = app(0, 1);
    secret_app
        .secrets
        .insert("TOKEN".into(), Secret::new("s3cr3t".to_string()));
    let mut plan: Plan<Cluster> = Plan::new("secret");
    plan.add("app-0", secret_app, &[]);
    render_dir(&plan, &out, SecretValues::Included).unwrap();
    for (rel, _) in tree(&out) {
        let mode = std::fs::metadata(out.join(&rel))
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        let expected = if rel == INDEX_FILE { 0o644 } else { 0o600 };
        assert_eq!(mode, expected, "{rel}");
    }
}

#[test]
fn a_file_planted_with_the_right_bytes_by_another_user_is_replaced_by_ours() {
    let dir = TempDir::new("render-planted");
    let out = dir.path().join("out");
    render_plan(&plan(1, None), &out).unwrap();
    let target = out.join("k8s/team-0/deployment-app-0.yaml");
    let bytes = std::fs::read(&target).unwrap();
    // The attacker's copy: the same bytes, but theirs and writable by everyone.
    std::fs::remove_file(&target).unwrap();
    std::fs::write(&target, &bytes).unwrap();
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o666)).unwrap();
    std::os::unix::fs::chown(&target, Some(65534), Some(65534)).unwrap();
    let report = render_dir(&plan(1, None), &out, SecretValues::Redacted).unwrap();
    assert_eq!(report.written, vec!["k8s/team-0/deployment-app-0.yaml"]);
    let meta = std::fs::symlink_metadata(&target).unwrap();
    assert_eq!(meta.mode() & 0o7777, 0o644);
    assert_eq!(meta.uid(), rustix_euid(), "the file is ours again");
    assert_eq!(std::fs::read(&target).unwrap(), bytes);
}

#[test]
fn a_directory_below_the_render_directory_writable_by_others_is_refused() {
    let dir = TempDir::new("render-open-dir");
    let out = dir.path().join("out");
    std::fs::create_dir_all(out.join("k8s/team-0")).unwrap();
    std::fs::set_permissions(
        out.join("k8s/team-0"),
        std::fs::Permissions::from_mode(0o777),
    )
    .unwrap();
    let err = render_plan(&plan(1, None), &out).unwrap_err();
    assert!(err.to_string().contains("not sticky"), "{err}");
    assert_eq!(
        std::fs::read_dir(out.join("k8s/team-0")).unwrap().count(),
        0,
        "nothing written where another user could swap it"
    );
}

#[test]
fn temporaries_have_unpredictable_names_so_a_planted_one_is_never_used() {
    let dir = TempDir::new("render-planted-temp");
    let out = dir.path().join("out");
    render_plan(&plan(1, None), &out).unwrap();
    // Links at every name an attacker could guess (the old fixed forms), pointing at a victim.
    let victim = dir.path().join("victim");
    std::fs::write(&victim, "precious\n").unwrap();
    let team = out.join("k8s/team-0");
    let guesses = [
        ".deployment-app-0.yaml.tmp",
        ".harmony-tmp-deployment-app-0.yaml",
        ".harmony-render-0000000000000000.tmp",
    ];
    for guess in guesses {
        std::os::unix::fs::symlink(&victim, team.join(guess)).unwrap();
    }
    render_plan(&plan(1, Some(0)), &out).unwrap();
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
    let left: Vec<String> = std::fs::read_dir(&team)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".harmony-") && !guesses.contains(&n.as_str()))
        .collect();
    assert!(left.is_empty(), "no temporary left behind: {left:?}");
}

fn rustix_euid() -> u32 {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() }
}
