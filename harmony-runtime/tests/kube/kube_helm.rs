//! Helm charts through the real runtime path (`cli_from`: plan, apply, prune, render) against the
//! test API server, inflated by a real Helm template engine: `tests/tools/helm.sh` provides a
//! `helm template`-compatible command on Helm 4's engine (PyPI `helm-python-sdk`), and the chart
//! is Helm's own starter chart (`helm create`), never canned YAML.

use crate::support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use harmony_dsl::Plan;
use harmony_runtime::ExitStatus;
use harmony_runtime::prelude::*;
use harmony_runtime::render::RenderIndex;
use serde::Serialize;
use serde_json::{Value, json};
use support::apiserver::ApiServer;
use support::{kube_for, plan_doc, run_cli};

topology! {
    /// A cluster and a `helm` to inflate charts with.
    pub ChartCluster {
        hosts {
            node { arch: x86_64, address: "127.0.0.1" }
        }
        capabilities {
            K8sCluster  => Kube { context: "test" },
            HelmCommand => HelmCli {},
        }
    }
}

/// The `helm`-compatible command `tests/tools/helm.sh` provides (installing it when missing).
fn helm_bin() -> &'static str {
    static BIN: OnceLock<String> = OnceLock::new();
    BIN.get_or_init(|| {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tools/helm.sh");
        let out = Command::new("sh")
            .arg(&script)
            .stderr(Stdio::inherit())
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
        assert!(
            out.status.success(),
            "{} could not provide helm",
            script.display()
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    })
}

/// `helm create DIR/demo`: Helm's starter chart.
fn create_chart(dir: &Path) -> PathBuf {
    let chart = dir.join("demo");
    let status = Command::new(helm_bin())
        .arg("create")
        .arg(&chart)
        .stdout(Stdio::null())
        .status()
        .expect("run helm create");
    assert!(status.success(), "helm create {}", chart.display());
    chart
}

/// The starter chart, created once for the tests that do not change it.
fn starter_chart() -> String {
    static CHART: OnceLock<String> = OnceLock::new();
    CHART
        .get_or_init(|| {
            // Under the target directory, replaced on every run: nothing piles up in /tmp.
            let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("helm-starter");
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            create_chart(&dir).display().to_string()
        })
        .clone()
}

/// The starter chart's values Harmony sets, typed.
#[derive(Serialize)]
struct DemoValues {
    #[serde(rename = "replicaCount")]
    replica_count: u16,
    #[serde(rename = "podAnnotations")]
    pod_annotations: std::collections::BTreeMap<String, String>,
}

fn web(chart: &str, replicas: u16) -> HelmChart {
    HelmChart::builder::<ChartCluster>()
        .chart(chart.to_string())
        .values(HelmValues::of(&DemoValues {
            replica_count: replicas,
            pod_annotations: Default::default(),
        }))
        .build()
}

fn plan_of(charts: &[(&str, HelmChart)]) -> Plan<ChartCluster> {
    let mut plan = Plan::new("shop");
    for (name, chart) in charts {
        plan.add(name, chart.clone(), &[]);
    }
    plan
}

struct Env {
    server: ApiServer,
    state: PathBuf,
}

impl Env {
    fn new(tag: &str) -> Env {
        let server = ApiServer::start(tag);
        let state = server.dir().join("state");
        Env { server, state }
    }

    fn topology(&self) -> ChartCluster {
        ChartCluster::new(kube_for(&self.server, "5s"), HelmCli::new(helm_bin()))
    }

    fn apply(&self, plan: Plan<ChartCluster>) -> ExitStatus {
        run_cli(&self.state, &["apply"], self.topology(), plan)
    }

    fn plan(&self, plan: Plan<ChartCluster>) -> (ExitStatus, Value) {
        plan_doc(&self.state, self.topology(), plan)
    }

    fn names(&self) -> Vec<String> {
        self.server.store().names().into_iter().collect()
    }
}

const STARTER_OBJECTS: [&str; 3] = [
    "apps/v1/Deployment default/web-demo",
    "v1/Service default/web-demo",
    "v1/ServiceAccount default/web-demo",
];

#[test]
fn the_starter_chart_applies_as_plain_objects_and_a_second_apply_is_unchanged() {
    let env = Env::new("helm-apply");
    let chart = starter_chart();
    assert_eq!(
        env.apply(plan_of(&[("web", web(&chart, 1))])),
        ExitStatus::Ok
    );
    assert_eq!(env.names(), STARTER_OBJECTS);
    let deployment = env
        .server
        .object("apps/v1", "Deployment", Some("default"), "web-demo")
        .expect("applied");
    let labels = &deployment["metadata"]["labels"];
    assert_eq!(labels["app.kubernetes.io/managed-by"], "harmony");
    assert_eq!(labels["harmony.io/plan"], "shop");
    assert_eq!(labels["harmony.io/score"], "web");
    assert_eq!(
        labels["app.kubernetes.io/instance"], "web",
        "the chart's own labels stay"
    );
    assert_eq!(deployment["spec"]["replicas"], 1);
    // No Helm release: no release secret, nothing but the chart's objects.
    assert!(
        env.names().iter().all(|n| !n.contains("Secret")),
        "{:?}",
        env.names()
    );

    let revision = env.server.store().revision;
    let (status, doc) = env.plan(plan_of(&[("web", web(&chart, 1))]));
    assert_eq!(status, ExitStatus::Ok);
    assert_eq!(doc["summary"]["unchanged"], 3, "{doc:#}");
    assert_eq!(
        env.apply(plan_of(&[("web", web(&chart, 1))])),
        ExitStatus::Ok
    );
    assert_eq!(
        env.server.store().revision,
        revision,
        "a second apply writes nothing"
    );
}

#[test]
fn changing_replica_count_is_a_one_object_diff_and_removing_the_chart_prunes_its_objects() {
    let env = Env::new("helm-diff");
    let chart = starter_chart();
    assert_eq!(
        env.apply(plan_of(&[("web", web(&chart, 1))])),
        ExitStatus::Ok
    );
    let (status, doc) = env.plan(plan_of(&[("web", web(&chart, 3))]));
    assert_eq!(status, ExitStatus::Ok);
    assert_eq!(
        doc["summary"],
        json!({ "create": 0, "update": 1, "delete": 0, "unchanged": 2, "unknown": 0 })
    );
    let updated: Vec<&Value> = doc["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["change"]["change"] == "update")
        .collect();
    assert_eq!(updated.len(), 1, "{doc:#}");
    assert_eq!(updated[0]["operation"], "apply Deployment default/web-demo");
    let diff = updated[0]["change"].to_string();
    assert!(diff.contains("replicas"), "{diff}");

    // A plan without the chart prunes every object it applied, and only those.
    let other = Plan::<ChartCluster>::new("shop");
    let (_, doc) = env.plan(other.clone());
    assert_eq!(doc["summary"]["delete"], 3, "{doc:#}");
    assert_eq!(env.apply(other), ExitStatus::Ok);
    assert!(env.names().is_empty(), "{:?}", env.names());
}

#[test]
fn a_broken_template_fails_with_its_name_and_keeps_what_the_chart_applied() {
    let env = Env::new("helm-broken");
    let chart = create_chart(env.server.dir());
    let chart_path = chart.display().to_string();
    assert_eq!(
        env.apply(plan_of(&[("web", web(&chart_path, 1))])),
        ExitStatus::Ok
    );
    std::fs::write(
        chart.join("templates/broken.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Values.missing.deeper }}\n",
    )
    .unwrap();
    let (status, doc) = env.plan(plan_of(&[("web", web(&chart_path, 1))]));
    assert_eq!(status, ExitStatus::StepFailed);
    let error = doc["steps"][0]["error"].as_str().unwrap_or_default();
    assert!(error.contains("helm template failed"), "{error}");
    assert!(error.contains("demo/templates/broken.yaml"), "{error}");
    assert_eq!(doc["summary"]["delete"], 0, "nothing is pruned: {doc:#}");

    assert_eq!(
        env.apply(plan_of(&[("web", web(&chart_path, 1))])),
        ExitStatus::StepFailed
    );
    assert_eq!(
        env.names(),
        STARTER_OBJECTS,
        "what the chart applied before is kept"
    );
}

#[test]
fn values_that_fail_the_chart_schema_and_a_missing_chart_are_clear_errors() {
    let env = Env::new("helm-schema");
    let chart = create_chart(env.server.dir());
    std::fs::write(
        chart.join("values.schema.json"),
        r#"{"type": "object", "properties": {"replicaCount": {"type": "integer", "maximum": 5}}}"#,
    )
    .unwrap();
    let chart_path = chart.display().to_string();
    let (status, doc) = env.plan(plan_of(&[("web", web(&chart_path, 9))]));
    assert_eq!(status, ExitStatus::StepFailed);
    let error = doc["steps"][0]["error"].as_str().unwrap_or_default();
    assert!(error.contains("schema"), "{error}");
    assert!(error.contains("replicaCount"), "{error}");

    let unchecked = HelmChart {
        check_schema: false,
        ..web(&chart_path, 9)
    };
    let (status, doc) = env.plan(plan_of(&[("web", unchecked)]));
    assert_eq!(status, ExitStatus::Ok, "{doc:#}");

    let (status, doc) = env.plan(plan_of(&[("web", web("charts/not-there", 1))]));
    assert_eq!(status, ExitStatus::StepFailed);
    let error = doc["steps"][0]["error"].as_str().unwrap_or_default();
    assert!(
        error.contains("chart `charts/not-there` not found"),
        "{error}"
    );
}

#[test]
fn a_packaged_chart_inflates_like_its_directory() {
    let env = Env::new("helm-tgz");
    let chart = starter_chart();
    let out = Command::new(helm_bin())
        .args(["package", &chart, "-d"])
        .arg(env.server.dir())
        .output()
        .expect("helm package");
    assert!(out.status.success(), "{out:?}");
    let archive = env.server.dir().join("demo-0.1.0.tgz");
    assert_eq!(
        env.apply(plan_of(&[("web", web(&archive.display().to_string(), 2))])),
        ExitStatus::Ok
    );
    assert_eq!(env.names(), STARTER_OBJECTS);
}

score! {
    /// A database and a chart whose values take the database's endpoint.
    pub fn wired() -> Plan<ChartCluster> {
        db = Postgres { version: 16, storage: "1Gi" };
        web = HelmChart {
            chart: { starter_chart() },
            values: { HelmValues::of(&DemoValues {
                replica_count: 2,
                pod_annotations: [("harmony.io/database".to_string(), db.endpoint.to_string())].into(),
            }) },
        };
    }
}

#[test]
fn a_chart_wired_to_a_database_waits_for_it_and_gets_its_endpoint() {
    let plan = wired();
    assert_eq!(plan.score("web").unwrap().depends_on, ["db"]);
    let env = Env::new("helm-wired");
    assert_eq!(env.apply(wired()), ExitStatus::Ok);
    let deployment = env
        .server
        .object("apps/v1", "Deployment", Some("default"), "web-demo")
        .expect("applied");
    assert_eq!(
        deployment["spec"]["template"]["metadata"]["annotations"]["harmony.io/database"],
        "postgres://db.default.svc.cluster.local:5432"
    );
    // The chart's first object waits for the database's last step.
    let (_, doc) = env.plan(wired());
    let steps = doc["plan"]["steps"].as_array().unwrap();
    let first_chart_step = steps.iter().find(|s| s["score"] == "web").unwrap();
    let last_db_step = steps.iter().rfind(|s| s["score"] == "db").unwrap();
    assert_eq!(first_chart_step["depends_on"], json!([last_db_step["id"]]));
}

fn render(dir: &Path, plan: Plan<ChartCluster>) -> (ExitStatus, Option<RenderIndex>) {
    let state = dir.with_extension("state");
    let out = dir.display().to_string();
    // No cluster at all: the kubeconfig is never read by `render`.
    let topology = ChartCluster::new(Kube::new("none"), HelmCli::new(helm_bin()));
    let status = run_cli(&state, &["render", out.as_str()], topology, plan);
    let _ = std::fs::remove_dir_all(&state);
    let index = std::fs::read(dir.join("index.json"))
        .ok()
        .map(|bytes| serde_json::from_slice(&bytes).unwrap());
    (status, index)
}

#[test]
fn render_writes_the_inflated_objects_deterministically() {
    let base_guard = tempfile::tempdir().unwrap();
    let base = base_guard.path().to_path_buf();
    let _ = std::fs::remove_dir_all(&base);
    let chart = starter_chart();
    let (status, first) = render(&base.join("one"), plan_of(&[("web", web(&chart, 2))]));
    assert_eq!(status, ExitStatus::Ok);
    let first = first.expect("index");
    let paths: Vec<&str> = first.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "k8s/default/deployment-web-demo.yaml",
            "k8s/default/service-web-demo.yaml",
            "k8s/default/serviceaccount-web-demo.yaml",
        ]
    );
    let yaml =
        std::fs::read_to_string(base.join("one/k8s/default/deployment-web-demo.yaml")).unwrap();
    let manifest: Value = serde_saphyr::from_str(&yaml).unwrap();
    assert_eq!(manifest["spec"]["replicas"], 2);
    assert_eq!(
        manifest["metadata"]["labels"]["app.kubernetes.io/managed-by"],
        "harmony"
    );
    let (_, second) = render(&base.join("two"), plan_of(&[("web", web(&chart, 2))]));
    let second = second.expect("index");
    assert_eq!(first.files, second.files, "same files, same hashes");

    // A chart that cannot be inflated renders nothing, with the reason.
    let broken = base.join("broken");
    let (status, index) = render(&broken, plan_of(&[("web", web("charts/not-there", 1))]));
    assert_eq!(status, ExitStatus::StepFailed);
    assert!(index.is_none());
    let _ = std::fs::remove_dir_all(&base);
}
