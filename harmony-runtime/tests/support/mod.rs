//! Shared helpers of the Kubernetes backend tests.

#![allow(dead_code)]

pub mod apiserver;
pub mod http;
pub mod keycloak;

use std::path::{Path, PathBuf};

use harmony_dsl::Plan;
use harmony_dsl::scores::WebApp;
use harmony_dsl::value::Port;
use harmony_runtime::providers::{Kube, MetalLb};
use harmony_runtime::{ExitStatus, IntoTopology, cli_from};

use apiserver::ApiServer;

/// A `Kube` provider for context `test` of the server's kubeconfig, waiting at most
/// `ready_timeout` for rollouts.
pub fn kube_for(server: &ApiServer, ready_timeout: &str) -> Kube {
    Kube {
        context: "test".into(),
        kubeconfig: Some(server.kubeconfig().display().to_string()),
        force_conflicts: false,
        ready_timeout: ready_timeout.parse().expect("a duration"),
    }
}

/// A `MetalLb` for the server's kubeconfig (context `test`) allocating from `10.0.0.240/28`, after
/// creating its namespace `metallb-system` as an installer would.
pub fn metallb_for(server: &ApiServer) -> MetalLb {
    server
        .apply_as(
            "metallb-installer",
            &serde_json::json!({ "apiVersion": "v1", "kind": "Namespace", "metadata": { "name": "metallb-system" } }),
        )
        .expect("create metallb-system");
    MetalLb {
        pool: "10.0.0.240/28".parse().expect("a pool"),
        context: "test".into(),
        kubeconfig: Some(server.kubeconfig().display().to_string()),
        namespace: "metallb-system".into(),
        address_timeout: "5s".parse().expect("a duration"),
    }
}

/// A one-replica `WebApp` of `image` on port 8080, every optional field unset.
pub fn web_app(image: &str) -> WebApp {
    WebApp {
        image: image.parse().expect("an image reference"),
        replicas: 1,
        port: Port::new(8080).expect("a port"),
        database: None,
        dns: None,
        namespace: None,
        ingress: None,
        ingress_path: None,
        tls_secret: None,
        config: Default::default(),
        secrets: Default::default(),
    }
}

/// Runs the CLI (`harmony_runtime::cli_from`) with `args`, the state in `state`.
pub fn run_cli<T: harmony_dsl::Topology>(
    state: &Path,
    args: &[&str],
    topology: impl IntoTopology<T>,
    plan: Plan<T>,
) -> ExitStatus {
    let state = state.display().to_string();
    let mut argv = vec!["harmony", "--state-dir", state.as_str()];
    argv.extend_from_slice(args);
    cli_from(argv, topology, plan)
}

/// `plan --out FILE`, parsed.
pub fn plan_doc<T: harmony_dsl::Topology>(
    state: &Path,
    topology: impl IntoTopology<T>,
    plan: Plan<T>,
) -> (ExitStatus, serde_json::Value) {
    let out: PathBuf = state.with_extension("plan.json");
    let path = out.display().to_string();
    let status = run_cli(state, &["plan", "--out", path.as_str()], topology, plan);
    let doc = std::fs::read(&out).expect("plan --out wrote the plan");
    (status, serde_json::from_slice(&doc).expect("plan JSON"))
}

/// A tokio runtime for calling providers directly (the CLI builds its own).
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}
