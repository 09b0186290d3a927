//! The same scenarios against the test API server (always) and against a real cluster (an ignored
//! test: `--ignored`) that `HARMONY_TEST_KUBECONFIG` names (context: `HARMONY_TEST_CONTEXT`, else the
//! file's current context). On a real cluster the scenario creates a namespace
//! `harmony-test-<random>`, runs a `registry.k8s.io/pause` Deployment in it, and prunes
//! everything (namespace included) at the end.
//!
//! ```text
//! HARMONY_TEST_KUBECONFIG=~/.kube/config HARMONY_TEST_CONTEXT=kind-kind \
//!     cargo test -p harmony-runtime --test kube kube_cluster -- --ignored --nocapture
//! ```

use crate::support;

use std::path::Path;

use harmony_dsl::capability::K8sCluster;
use harmony_dsl::resource::KubeObject;
use harmony_dsl::score::{Operations, ScoreContext};
use harmony_dsl::{ErrorKind, Outcome, Plan};
use harmony_runtime::ExitStatus;
use harmony_runtime::prelude::*;
use kube::Api;
use kube::api::{ApiResource, DynamicObject, Patch, PatchParams};
use serde_json::json;
use support::apiserver::ApiServer;
use support::{plan_doc, run_cli, runtime};

topology! {
    /// The cluster under test.
    pub Cluster {
        hosts {
            node { arch: x86_64, address: "127.0.0.1" }
        }
        capabilities {
            K8sCluster => Kube { context: "" },
        }
    }
}

/// A Deployment of the pause image: starts anywhere in seconds, serves nothing.
#[derive(Debug, Clone, Score)]
#[score(requires(K8sCluster))]
pub struct Pause {
    /// Namespace.
    pub namespace: String,
    /// Replicas.
    #[score(default = 1)]
    pub replicas: u16,
    /// Image.
    #[score(default = "registry.k8s.io/pause:3.10")]
    pub image: String,
}

impl Operations for Pause {
    fn operations(&self, ctx: &ScoreContext<'_>) -> Vec<Operation> {
        vec![Operation::new::<dyn harmony_dsl::capability::K8sCluster>(
            pause_object(
                ctx.instance,
                &self.namespace,
                self.replicas,
                &self.image,
                ctx.plan,
            ),
        )]
    }
}

fn pause_object(name: &str, ns: &str, replicas: u16, image: &str, plan: &str) -> KubeObject {
    let labels = json!({ "app.kubernetes.io/name": name });
    let body = json!({ "spec": {
        "replicas": replicas,
        "selector": { "matchLabels": labels },
        "template": {
            "metadata": { "labels": labels },
            "spec": { "containers": [{ "name": "pause", "image": image }] }
        }
    }});
    KubeObject {
        api_version: "apps/v1".into(),
        kind: "Deployment".into(),
        name: name.into(),
        namespace: Some(ns.into()),
        labels: [("harmony.io/plan".to_string(), plan.to_string())].into(),
        body: body.as_object().cloned().unwrap_or_default(),
        secret_data: Default::default(),
    }
}

struct Target<'a> {
    kubeconfig: &'a str,
    context: &'a str,
    state: &'a Path,
    ready_timeout: &'a str,
}

impl Target<'_> {
    fn kube(&self) -> Kube {
        Kube {
            context: self.context.into(),
            kubeconfig: Some(self.kubeconfig.into()),
            force_conflicts: false,
            ready_timeout: self.ready_timeout.parse().unwrap(),
        }
    }

    fn topology(&self) -> Cluster {
        Cluster::new(self.kube())
    }

    fn plan(&self, ns: &str, pause: Option<Pause>) -> Plan<Cluster> {
        let mut plan = Plan::new("harmony-test");
        let namespace = plan.add(
            ns,
            Namespace {
                cpu: None,
                memory: None,
                storage: None,
                pods: Some(10),
            },
            &[],
        );
        if let Some(pause) = pause {
            plan.add("pause", pause, &[namespace.id()]);
        }
        plan
    }
}

/// Create, unchanged, one-object diff, conflict, prune, readiness failure; then everything is
/// pruned (the namespace last).
fn scenarios(t: &Target<'_>) {
    let ns = format!(
        "harmony-test-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos()
    );
    let pause = |replicas: u16| Pause {
        namespace: ns.clone(),
        replicas,
        image: "registry.k8s.io/pause:3.10".into(),
    };
    let rt = runtime();

    // First apply creates, and waits for the rollout.
    let status = run_cli(
        t.state,
        &["apply"],
        t.topology(),
        t.plan(&ns, Some(pause(1))),
    );
    assert_eq!(status, ExitStatus::Ok);

    // Second apply is unchanged, object by object, and plan agrees.
    let object = pause_object(
        "pause",
        &ns,
        1,
        "registry.k8s.io/pause:3.10",
        "harmony-test",
    );
    assert_eq!(
        rt.block_on(K8sCluster::apply(&t.kube(), &object)).unwrap(),
        Outcome::Unchanged
    );
    let (status, doc) = plan_doc(t.state, t.topology(), t.plan(&ns, Some(pause(1))));
    assert_eq!(status, ExitStatus::Ok);
    assert_eq!(doc["summary"]["create"], 0, "{doc:#}");
    assert_eq!(doc["summary"]["update"], 0, "{doc:#}");

    // A changed field is a one-object diff.
    let (_, doc) = plan_doc(t.state, t.topology(), t.plan(&ns, Some(pause(2))));
    assert_eq!(doc["summary"]["update"], 1, "{doc:#}");
    let pause_step = doc["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["score"] == "pause")
        .unwrap();
    assert_eq!(
        pause_step["change"]["diff"],
        json!(["~ spec.replicas: 1 -> 2"]),
        "{doc:#}"
    );

    // Another field manager takes spec.replicas: Harmony reports the conflict.
    rt.block_on(async {
        let client = kube::Client::try_from(
            kube::Config::from_custom_kubeconfig(
                kube::config::Kubeconfig::read_from(t.kubeconfig).unwrap(),
                &kube::config::KubeConfigOptions {
                    context: (!t.context.is_empty()).then(|| t.context.to_string()),
                    ..Default::default()
                },
            )
            .await
            .unwrap(),
        )
        .unwrap();
        let resource = ApiResource {
            group: "apps".into(),
            version: "v1".into(),
            api_version: "apps/v1".into(),
            kind: "Deployment".into(),
            plural: "deployments".into(),
        };
        let api: Api<DynamicObject> = Api::namespaced_with(client, &ns, &resource);
        let scale = json!({ "apiVersion": "apps/v1", "kind": "Deployment", "metadata": { "name": "pause" }, "spec": { "replicas": 3 } });
        api.patch(
            "pause",
            &PatchParams::apply("kubectl-test").force(),
            &Patch::Apply(&scale),
        )
        .await
        .unwrap();
    });
    let error = rt
        .block_on(K8sCluster::apply(&t.kube(), &object))
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Conflict, "{error}");
    assert!(error.to_string().contains("kubectl-test"), "{error}");
    // `apply --force-conflicts` takes it over for that command.
    let status = run_cli(
        t.state,
        &["apply", "--force-conflicts"],
        t.topology(),
        t.plan(&ns, Some(pause(1))),
    );
    assert_eq!(status, ExitStatus::Ok);
    assert_eq!(
        rt.block_on(K8sCluster::apply(&t.kube(), &object)).unwrap(),
        Outcome::Unchanged
    );
    let mut forced = t.kube();
    forced.force_conflicts = true;
    let status = run_cli(
        t.state,
        &["apply"],
        Cluster::new(forced),
        t.plan(&ns, Some(pause(1))),
    );
    assert_eq!(status, ExitStatus::Ok);

    // A rollout that cannot finish is reported with the object.
    let mut short = t.kube();
    short.ready_timeout = "3s".parse().unwrap();
    let broken = pause_object("broken", &ns, 1, "registry.invalid/none:0", "harmony-test");
    let error = rt.block_on(K8sCluster::apply(&short, &broken)).unwrap_err();
    assert!(
        error
            .to_string()
            .contains(&format!("Deployment {ns}/broken is not ready")),
        "{error}"
    );
    let _ = rt.block_on(K8sCluster::remove(&t.kube(), &broken));

    secret_scenario(t, &ns);
    dns_scenario(t, &ns);

    // The removed score is pruned; then the namespace too.
    let status = run_cli(t.state, &["apply"], t.topology(), t.plan(&ns, None));
    assert_eq!(status, ExitStatus::Ok);
    assert_eq!(
        rt.block_on(K8sCluster::inspect(&t.kube(), &object))
            .unwrap()
            .observed,
        harmony_dsl::Observed::Absent
    );
    let empty: Plan<Cluster> = Plan::new("harmony-test");
    assert_eq!(
        run_cli(t.state, &["apply"], t.topology(), empty),
        ExitStatus::Ok
    );
}

/// A Secret's value reaches the cluster, and a changed value is a redacted one-line diff.
fn secret_scenario(t: &Target<'_>, ns: &str) {
    let rt = runtime();
    let secret = |value: &str| KubeObject {
        api_version: "v1".into(),
        kind: "Secret".into(),
        name: "harmony-test-secret".into(),
        namespace: Some(ns.into()),
        labels: Default::default(),
        body: json!({ "type": "Opaque" }).as_object().cloned().unwrap(),
        secret_data: [("TOKEN".to_string(), Secret::new(value.to_string()))].into(),
    };
    assert!(matches!(
        rt.block_on(K8sCluster::apply(&t.kube(), &secret("first-value"))),
        Ok(Outcome::Changed { .. })
    ));
    let inspection = rt
        .block_on(K8sCluster::inspect(&t.kube(), &secret("second-value")))
        .unwrap();
    assert_eq!(
        inspection.change,
        harmony_dsl::Change::Update {
            diff: vec!["~ data.TOKEN: <redacted> (changed)".to_string()]
        }
    );
    assert!(matches!(
        rt.block_on(K8sCluster::remove(&t.kube(), &secret("first-value"))),
        Ok(Outcome::Changed { .. })
    ));
}

/// CoreDns records in a ConfigMap of the test namespace: two merge, one is removed.
fn dns_scenario(t: &Target<'_>, ns: &str) {
    use harmony_dsl::capability::DnsServer;
    use harmony_dsl::resource::{DnsRecord, RecordData};
    let rt = runtime();
    let dns = CoreDns {
        on: Placement::of::<cluster::node>(),
        zone: "harmony-test.example".parse().unwrap(),
        context: t.context.into(),
        kubeconfig: Some(t.kubeconfig.into()),
        namespace: ns.into(),
    };
    let record = |name: &str, ip: &str| DnsRecord {
        name: name.parse().unwrap(),
        data: RecordData::A(ip.parse().unwrap()),
        ttl: 300,
    };
    let a = record("a.harmony-test.example", "192.0.2.1");
    let b = record("b.harmony-test.example", "192.0.2.2");
    for r in [&a, &b] {
        assert!(matches!(
            rt.block_on(DnsServer::apply(&dns, r)),
            Ok(Outcome::Changed { .. })
        ));
    }
    assert_eq!(
        rt.block_on(DnsServer::apply(&dns, &a)).unwrap(),
        Outcome::Unchanged
    );
    assert!(matches!(
        rt.block_on(DnsServer::remove(&dns, &a)),
        Ok(Outcome::Changed { .. })
    ));
    let left = rt.block_on(DnsServer::inspect(&dns, &b)).unwrap();
    assert_eq!(left.change, harmony_dsl::Change::None);
    let gone = rt.block_on(DnsServer::inspect(&dns, &a)).unwrap();
    assert!(matches!(gone.change, harmony_dsl::Change::Create { .. }));
    let configmap = KubeObject {
        api_version: "v1".into(),
        kind: "ConfigMap".into(),
        name: harmony_runtime::providers::dns_configmap_name("harmony-test.example"),
        namespace: Some(ns.into()),
        labels: Default::default(),
        body: Default::default(),
        secret_data: Default::default(),
    };
    assert!(matches!(
        rt.block_on(K8sCluster::remove(&t.kube(), &configmap)),
        Ok(Outcome::Changed { .. })
    ));
}

#[test]
fn scenarios_against_the_test_api_server() {
    let server = ApiServer::start("scenarios");
    let kubeconfig = server.kubeconfig().display().to_string();
    let state = server.dir().join("state");
    // The test server never rolls `broken` out (and says why), like a cluster that cannot pull.
    scenarios_with_broken_image(&server);
    scenarios(&Target {
        kubeconfig: &kubeconfig,
        context: "test",
        state: &state,
        ready_timeout: "30s",
    });
    assert!(server.store().names().is_empty(), "everything was pruned");
}

/// Makes the test server refuse to roll out Deployments whose image is `registry.invalid/...`.
fn scenarios_with_broken_image(server: &ApiServer) {
    server.store().never_ready_image = Some((
        "registry.invalid/".into(),
        "ErrImagePull".into(),
        "failed to pull image \"registry.invalid/none:0\"".into(),
    ));
}

#[test]
#[ignore = "needs HARMONY_TEST_KUBECONFIG (a real cluster): run with --ignored"]
fn scenarios_against_a_real_cluster() {
    let kubeconfig = std::env::var("HARMONY_TEST_KUBECONFIG")
        .expect("HARMONY_TEST_KUBECONFIG names the kubeconfig of the cluster to test against");
    let context = std::env::var("HARMONY_TEST_CONTEXT").unwrap_or_default();
    let state = std::env::temp_dir().join(format!("harmony-real-cluster-{}", std::process::id()));
    scenarios(&Target {
        kubeconfig: &kubeconfig,
        context: &context,
        state: &state,
        ready_timeout: "3m",
    });
    let _ = std::fs::remove_dir_all(&state);
}
