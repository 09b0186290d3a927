//! Which cluster the `Kube` provider talks to: the topology's `context` and `kubeconfig`,
//! overridden by `HARMONY_<TOPOLOGY>_K8S_CLUSTER_<FIELD>`, and `$KUBECONFIG` when the topology
//! names no file. One test in its own binary: it sets process environment variables.

mod support;

use harmony_dsl::Plan;
use harmony_runtime::ExitStatus;
use harmony_runtime::prelude::*;
use support::apiserver::ApiServer;
use support::plan_doc;

topology! {
    /// A cluster whose context, as written, does not exist in any kubeconfig.
    pub EnvCluster {
        hosts {
            node { arch: x86_64, address: "127.0.0.1" }
        }
        capabilities {
            K8sCluster => Kube { context: "written-in-the-source" },
        }
    }
}

fn plan() -> Plan<EnvCluster> {
    let mut plan = Plan::new("env");
    plan.add(
        "db",
        Postgres {
            version: 16,
            storage: "1Gi".parse().unwrap(),
            place: None,
            namespace: None,
            password: None,
        },
        &[],
    );
    plan
}

fn set(var: &str, value: &str) {
    // SAFETY: this test binary runs a single test, on one thread, and sets variables before
    // any runtime or thread that reads the environment is started.
    unsafe { std::env::set_var(var, value) }
}

fn unset(var: &str) {
    // SAFETY: as in `set`.
    unsafe { std::env::remove_var(var) }
}

#[test]
fn context_and_kubeconfig_come_from_the_topology_overridden_by_the_environment() {
    let server = ApiServer::start("env");
    let state = server.dir().join("state");
    let kubeconfig = server.kubeconfig().display().to_string();
    unset("KUBECONFIG");

    // As written: the context does not exist, every step is unknown and says why.
    let written = EnvCluster::from_env().unwrap();
    let (status, doc) = plan_doc(&state, written, plan());
    assert_eq!(status, ExitStatus::StepFailed);
    let error = doc["steps"][0]["error"].as_str().unwrap();
    assert!(error.contains("written-in-the-source"), "{error}");

    // The provider's own variables override what is written.
    set("HARMONY_ENV_CLUSTER_K8S_CLUSTER_CONTEXT", "test");
    set("HARMONY_ENV_CLUSTER_K8S_CLUSTER_KUBECONFIG", &kubeconfig);
    set("HARMONY_ENV_CLUSTER_K8S_CLUSTER_FORCE_CONFLICTS", "true");
    set("HARMONY_ENV_CLUSTER_K8S_CLUSTER_READY_TIMEOUT", "7s");
    let mut kube = Kube::new("written-in-the-source");
    harmony_dsl::Provider::apply_env(&mut kube, "HARMONY_ENV_CLUSTER_K8S_CLUSTER").unwrap();
    assert_eq!(kube.context, "test");
    assert_eq!(kube.kubeconfig.as_deref(), Some(kubeconfig.as_str()));
    assert!(kube.force_conflicts);
    assert_eq!(
        kube.ready_timeout.as_std(),
        std::time::Duration::from_secs(7)
    );
    let (status, doc) = plan_doc(&state, EnvCluster::from_env().unwrap(), plan());
    assert_eq!(status, ExitStatus::Ok, "{doc:#}");
    assert_eq!(doc["summary"]["create"], 2);

    // Without a kubeconfig in the topology, $KUBECONFIG is read.
    unset("HARMONY_ENV_CLUSTER_K8S_CLUSTER_KUBECONFIG");
    set("KUBECONFIG", &kubeconfig);
    let (status, doc) = plan_doc(&state, EnvCluster::from_env().unwrap(), plan());
    assert_eq!(status, ExitStatus::Ok, "{doc:#}");
    assert_eq!(doc["summary"]["create"], 2);

    // A value that does not parse is an error naming the variable.
    set("HARMONY_ENV_CLUSTER_K8S_CLUSTER_FORCE_CONFLICTS", "maybe");
    let error = EnvCluster::from_env().err().expect("refused");
    assert!(
        error
            .to_string()
            .contains("HARMONY_ENV_CLUSTER_K8S_CLUSTER_FORCE_CONFLICTS"),
        "{error}"
    );
    unset("HARMONY_ENV_CLUSTER_K8S_CLUSTER_FORCE_CONFLICTS");
    unset("KUBECONFIG");
}
