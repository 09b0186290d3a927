//! The `Kube` provider through the real runtime path (`cli_from`: plan, apply, prune) against the
//! test API server over HTTP: create, unchanged, per-object diffs, prune, conflicts, retries of
//! transient errors, readiness.

use crate::support;

use harmony_dsl::capability::K8sCluster;
use harmony_dsl::resource::KubeObject;
use harmony_dsl::{ErrorKind, Outcome, Plan};
use harmony_runtime::ExitStatus;
use harmony_runtime::prelude::*;
use harmony_runtime::state::StateDir;
use hyper::Method;
use serde_json::{Value, json};
use support::apiserver::{ApiServer, Apply, Fault, Readiness};
use support::{kube_for, metallb_for, plan_doc, run_cli, runtime, web_app};

topology! {
    /// One cluster, nothing else.
    pub TestCluster {
        hosts {
            node { arch: x86_64, address: "127.0.0.1" }
        }
        capabilities {
            K8sCluster => Kube { context: "test" },
        }
    }
}

fn postgres(storage: &str) -> Postgres {
    Postgres {
        version: 16,
        storage: storage.parse().expect("quantity"),
        place: None,
        namespace: None,
        password: None,
    }
}

/// Plan `shop` with one Postgres per `(name, storage)`.
fn shop(dbs: &[(&str, &str)]) -> Plan<TestCluster> {
    let mut plan = Plan::new("shop");
    for (name, storage) in dbs {
        plan.add(name, postgres(storage), &[]);
    }
    plan
}

struct Env {
    server: ApiServer,
    state: std::path::PathBuf,
}

impl Env {
    fn new(tag: &str) -> Env {
        let server = ApiServer::start(tag);
        let state = server.dir().join("state");
        Env { server, state }
    }

    fn topology(&self) -> TestCluster {
        TestCluster::new(kube_for(&self.server, "5s"))
    }

    fn apply(&self, plan: Plan<TestCluster>) -> ExitStatus {
        run_cli(&self.state, &["apply"], self.topology(), plan)
    }

    fn plan(&self, plan: Plan<TestCluster>) -> (ExitStatus, Value) {
        plan_doc(&self.state, self.topology(), plan)
    }

    fn sts(&self, name: &str) -> Option<Value> {
        self.server
            .object("apps/v1", "StatefulSet", Some("default"), name)
    }

    fn patches(&self) -> Vec<String> {
        self.server
            .requests()
            .into_iter()
            .filter(|r| r.method == Method::PATCH)
            .map(|r| format!("{} {}?{}", r.code, r.path, r.query))
            .collect()
    }
}

fn managers(object: &Value) -> Vec<String> {
    object["metadata"]["managedFields"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|m| m["manager"].as_str().unwrap_or("").to_string())
        .collect()
}

/// The StatefulSet `db` of plan `shop` as Harmony declares it.
fn declared_sts(plan: &Plan<TestCluster>) -> KubeObject {
    plan.steps
        .iter()
        .find_map(|s| {
            s.operation
                .resource::<dyn harmony_dsl::capability::K8sCluster>()
                .filter(|o| o.kind == "StatefulSet")
                .cloned()
        })
        .expect("a StatefulSet step")
}

#[test]
fn first_apply_creates_and_second_apply_is_unchanged() {
    let env = Env::new("create");
    assert_eq!(env.apply(shop(&[("db", "1Gi")])), ExitStatus::Ok);
    assert_eq!(
        env.server.store().names(),
        [
            "apps/v1/StatefulSet default/db".to_string(),
            "v1/Service default/db".to_string()
        ]
        .into()
    );
    let sts = env.sts("db").expect("created");
    assert_eq!(
        sts["metadata"]["labels"]["app.kubernetes.io/managed-by"],
        "harmony"
    );
    assert_eq!(sts["metadata"]["labels"]["harmony.io/plan"], "shop");
    assert_eq!(sts["metadata"]["labels"]["harmony.io/score"], "db");
    assert_eq!(managers(&sts), ["harmony"]);
    assert_eq!(
        sts["spec"]["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]["storage"],
        "1Gi"
    );
    let state = StateDir::new(env.state.clone())
        .load()
        .unwrap()
        .expect("state");
    assert!(
        state
            .resources
            .contains_key("k8s:apps/v1/StatefulSet/default/db")
    );

    // Second apply: server-side apply again, nothing written.
    let revision = env.server.store().revision;
    env.server.clear_requests();
    assert_eq!(env.apply(shop(&[("db", "1Gi")])), ExitStatus::Ok);
    assert_eq!(env.server.store().revision, revision);
    let patches = env.patches();
    assert_eq!(patches.len(), 2, "{patches:?}");
    assert!(
        patches
            .iter()
            .all(|p| p.starts_with("200 ") && p.contains("fieldManager=harmony"))
    );

    // The provider itself says unchanged, and `plan` says no change for every step.
    let kube = kube_for(&env.server, "5s");
    let object = declared_sts(&shop(&[("db", "1Gi")]));
    let outcome = runtime()
        .block_on(K8sCluster::apply(&kube, &object))
        .unwrap();
    assert_eq!(outcome, Outcome::Unchanged);
    let (status, doc) = env.plan(shop(&[("db", "1Gi")]));
    assert_eq!(status, ExitStatus::Ok);
    assert_eq!(doc["summary"]["unchanged"], 2, "{doc:#}");
    assert_eq!(doc["steps"][0]["change"], json!({ "change": "none" }));
    assert_eq!(doc["steps"][0]["observed"]["kind"], "resource_version");
}

#[test]
fn a_changed_field_is_a_one_object_diff_in_plan() {
    let env = Env::new("diff");
    assert_eq!(env.apply(shop(&[("db", "1Gi")])), ExitStatus::Ok);
    let revision = env.server.store().revision;
    env.server.clear_requests();

    let (status, doc) = env.plan(shop(&[("db", "2Gi")]));
    assert_eq!(status, ExitStatus::Ok);
    assert_eq!(doc["summary"]["update"], 1, "{doc:#}");
    assert_eq!(doc["summary"]["unchanged"], 1, "{doc:#}");
    let sts = &doc["steps"][0];
    assert_eq!(sts["resource"], "k8s:apps/v1/StatefulSet/default/db");
    assert_eq!(
        sts["change"]["diff"],
        json!([
            "~ spec.volumeClaimTemplates[name=data].spec.resources.requests.storage: \"1Gi\" -> \"2Gi\""
        ])
    );
    assert_eq!(doc["steps"][1]["change"], json!({ "change": "none" }));
    // Planning used server-side dry-run and wrote nothing.
    assert_eq!(env.server.store().revision, revision);
    let patches = env.patches();
    assert!(
        !patches.is_empty() && patches.iter().all(|p| p.contains("dryRun=All")),
        "{patches:?}"
    );

    // Applying it changes exactly that field.
    assert_eq!(env.apply(shop(&[("db", "2Gi")])), ExitStatus::Ok);
    let live = env.sts("db").unwrap();
    assert_eq!(
        live["spec"]["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]["storage"],
        "2Gi"
    );
    let (_, doc) = env.plan(shop(&[("db", "2Gi")]));
    assert_eq!(doc["summary"]["unchanged"], 2, "{doc:#}");
}

#[test]
fn a_removed_score_is_pruned() {
    let env = Env::new("prune");
    assert_eq!(
        env.apply(shop(&[("db", "1Gi"), ("cache", "1Gi")])),
        ExitStatus::Ok
    );
    assert!(env.sts("cache").is_some());

    let (status, doc) = env.plan(shop(&[("db", "1Gi")]));
    assert_eq!(status, ExitStatus::Ok);
    let removals: Vec<&str> = doc["removals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["resource"].as_str().unwrap())
        .collect();
    assert_eq!(
        removals,
        [
            "k8s:apps/v1/StatefulSet/default/cache",
            "k8s:v1/Service/default/cache"
        ]
    );
    assert_eq!(doc["removals"][0]["observed"]["kind"], "resource_version");
    assert_eq!(doc["summary"]["delete"], 2);
    assert_eq!(doc["summary"]["unchanged"], 2);

    assert_eq!(env.apply(shop(&[("db", "1Gi")])), ExitStatus::Ok);
    assert_eq!(
        env.server.store().names(),
        [
            "apps/v1/StatefulSet default/db".to_string(),
            "v1/Service default/db".to_string()
        ]
        .into()
    );
    let state = StateDir::new(env.state.clone()).load().unwrap().unwrap();
    assert!(!state.resources.keys().any(|k| k.contains("cache")));
    // Nothing left to prune.
    let (_, doc) = env.plan(shop(&[("db", "1Gi")]));
    assert_eq!(doc["removals"], json!([]));
}

#[test]
fn a_conflict_with_another_field_manager_is_reported_and_forced_only_when_asked() {
    let env = Env::new("conflict");
    assert_eq!(env.apply(shop(&[("db", "1Gi")])), ExitStatus::Ok);
    // Someone scales the database by hand, taking `spec.replicas` over.
    let scale = json!({
        "apiVersion": "apps/v1", "kind": "StatefulSet",
        "metadata": { "name": "db", "namespace": "default" },
        "spec": { "replicas": 2 }
    });
    let refused = env.server.apply_as("kubectl", &scale).unwrap_err();
    assert_eq!(refused.code, 409);
    assert!(
        refused
            .message
            .contains("conflict with \"harmony\": .spec.replicas")
    );
    scale_by_hand(&env);

    // Harmony's apply is refused with the other manager and the field named.
    let object = declared_sts(&shop(&[("db", "1Gi")]));
    let kube = kube_for(&env.server, "5s");
    let error = runtime()
        .block_on(K8sCluster::apply(&kube, &object))
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Conflict);
    let message = error.to_string();
    assert!(
        message.contains("apply StatefulSet default/db"),
        "{message}"
    );
    assert!(
        message.contains("conflict with \"kubectl\": .spec.replicas"),
        "{message}"
    );
    assert!(message.contains("force_conflicts"), "{message}");
    assert_eq!(env.sts("db").unwrap()["spec"]["replicas"], 2);

    // Through the CLI: plan shows the step as unknown with the conflict, apply fails it.
    let (status, doc) = env.plan(shop(&[("db", "1Gi")]));
    assert_eq!(status, ExitStatus::StepFailed);
    let error = doc["steps"][0]["error"].as_str().unwrap();
    assert!(error.contains("conflict with \"kubectl\""), "{error}");
    assert_eq!(env.apply(shop(&[("db", "1Gi")])), ExitStatus::StepFailed);
    assert_eq!(env.sts("db").unwrap()["spec"]["replicas"], 2);

    // With force_conflicts, Harmony takes the field back.
    let mut forced = kube_for(&env.server, "5s");
    forced.force_conflicts = true;
    let status = run_cli(
        &env.state,
        &["apply"],
        TestCluster::new(forced),
        shop(&[("db", "1Gi")]),
    );
    assert_eq!(status, ExitStatus::Ok);
    let live = env.sts("db").unwrap();
    assert_eq!(live["spec"]["replicas"], 1);
    assert_eq!(managers(&live), ["harmony"]);
}

/// kubectl takes `spec.replicas` of StatefulSet `db` over (scaling it to 2).
fn scale_by_hand(env: &Env) {
    let scale = json!({
        "apiVersion": "apps/v1", "kind": "StatefulSet",
        "metadata": { "name": "db", "namespace": "default" },
        "spec": { "replicas": 2 }
    });
    env.server
        .store()
        .apply(
            &ApiServer::kind("apps/v1", "StatefulSet"),
            Some("default"),
            "db",
            &scale,
            Apply {
                manager: "kubectl",
                force: true,
                dry_run: false,
            },
        )
        .unwrap();
}

#[test]
fn apply_force_conflicts_takes_fields_over_for_that_command_only() {
    let env = Env::new("force-flag");
    assert_eq!(env.apply(shop(&[("db", "1Gi")])), ExitStatus::Ok);
    scale_by_hand(&env);
    // Without the flag: the 409 is reported and nothing changes.
    assert_eq!(env.apply(shop(&[("db", "1Gi")])), ExitStatus::StepFailed);
    assert_eq!(env.sts("db").unwrap()["spec"]["replicas"], 2);
    let codes: Vec<String> = env.patches();
    assert!(
        codes
            .iter()
            .any(|p| p.starts_with("409 ") && p.contains("statefulsets/db")),
        "{codes:?}"
    );
    // With it (the provider still says `force_conflicts: false`): taken over, with force=true.
    env.server.clear_requests();
    assert_eq!(
        run_cli(
            &env.state,
            &["apply", "--force-conflicts"],
            env.topology(),
            shop(&[("db", "1Gi")])
        ),
        ExitStatus::Ok
    );
    let live = env.sts("db").unwrap();
    assert_eq!(live["spec"]["replicas"], 1);
    assert_eq!(managers(&live), ["harmony"]);
    assert!(
        env.patches()
            .iter()
            .any(|p| p.starts_with("200 ") && p.contains("force=true")),
        "{:?}",
        env.patches()
    );
    // The flag held for that command only: the next conflict is refused again.
    scale_by_hand(&env);
    assert_eq!(env.apply(shop(&[("db", "1Gi")])), ExitStatus::StepFailed);
    assert_eq!(env.sts("db").unwrap()["spec"]["replicas"], 2);
}

/// The next apply of StatefulSet `db` answers `code` once (with `Retry-After` when set).
fn fail_db_patch_once(env: &Env, code: u16, retry_after: Option<u64>) {
    env.server.inject(Fault {
        method: Some(Method::PATCH),
        path_contains: Some("statefulsets/db".into()),
        code,
        retry_after,
        times: 1,
    });
}

#[test]
fn retry_after_from_the_server_sets_the_wait_before_the_retry() {
    let env = Env::new("retry-after");
    fail_db_patch_once(&env, 429, Some(2));
    fail_db_patch_once(&env, 503, Some(1));
    assert_eq!(env.apply(shop(&[("db", "1Gi")])), ExitStatus::Ok);
    let patches: Vec<(u16, std::time::Instant)> = env
        .server
        .requests()
        .into_iter()
        .filter(|r| r.method == Method::PATCH && r.path.contains("statefulsets/db"))
        .map(|r| (r.code, r.at))
        .collect();
    let codes: Vec<u16> = patches.iter().map(|p| p.0).collect();
    assert_eq!(codes, [429, 503, 200]);
    // The runtime's own backoff is 200 ms then 400 ms; the server asked for 2 s, then 1 s.
    let first = patches[1].1 - patches[0].1;
    let second = patches[2].1 - patches[1].1;
    assert!(
        first >= std::time::Duration::from_millis(1_950),
        "{first:?}"
    );
    assert!(
        second >= std::time::Duration::from_millis(950),
        "{second:?}"
    );
}

#[test]
fn transient_429_and_500_are_retried_and_succeed() {
    let env = Env::new("retry");
    fail_db_patch_once(&env, 429, Some(1));
    fail_db_patch_once(&env, 500, None);
    assert_eq!(env.apply(shop(&[("db", "1Gi")])), ExitStatus::Ok);
    assert!(env.sts("db").is_some());
    let codes: Vec<String> = env
        .patches()
        .into_iter()
        .filter(|p| p.contains("statefulsets/db"))
        .map(|p| p[..3].to_string())
        .collect();
    assert_eq!(codes, ["429", "500", "200"]);

    // A permanent error (404 for a namespace that does not exist) is not retried.
    let mut object = declared_sts(&shop(&[("db", "1Gi")]));
    object.namespace = Some("nowhere".into());
    env.server.clear_requests();
    let error = runtime()
        .block_on(K8sCluster::apply(&kube_for(&env.server, "5s"), &object))
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Permanent);
    assert!(
        error
            .to_string()
            .contains("namespaces \"nowhere\" not found"),
        "{error}"
    );
}

#[test]
fn an_unreachable_server_is_transient() {
    let env = Env::new("down");
    let copy = std::env::temp_dir().join(format!("harmony-down-{}.kubeconfig", std::process::id()));
    std::fs::copy(env.server.kubeconfig(), &copy).unwrap();
    let mut kube = kube_for(&env.server, "5s");
    kube.kubeconfig = Some(copy.display().to_string());
    let object = declared_sts(&shop(&[("db", "1Gi")]));
    drop(env);
    let error = runtime()
        .block_on(K8sCluster::inspect(&kube, &object))
        .unwrap_err();
    let _ = std::fs::remove_file(&copy);
    assert_eq!(error.kind(), ErrorKind::Transient, "{error}");
    assert!(
        error.to_string().contains("cannot reach the API server"),
        "{error}"
    );
}

fn deployment(name: &str) -> KubeObject {
    let body = json!({ "spec": {
        "replicas": 2,
        "selector": { "matchLabels": { "app": name } },
        "template": { "metadata": { "labels": { "app": name } }, "spec": { "containers": [{ "name": name, "image": "registry.example.com/web:1" }] } }
    }});
    KubeObject {
        api_version: "apps/v1".into(),
        kind: "Deployment".into(),
        name: name.into(),
        namespace: Some("default".into()),
        labels: Default::default(),
        body: body.as_object().unwrap().clone(),
        secret_data: Default::default(),
    }
}

#[test]
fn apply_waits_for_rollout_and_reports_what_is_not_ready() {
    let env = Env::new("ready");
    let rt = runtime();
    env.server.store().readiness = Readiness::After(std::time::Duration::from_millis(300));
    let kube = kube_for(&env.server, "20s");
    let outcome = rt
        .block_on(K8sCluster::apply(&kube, &deployment("web")))
        .unwrap();
    assert!(outcome.is_changed());
    let live = env
        .server
        .object("apps/v1", "Deployment", Some("default"), "web")
        .unwrap();
    assert_eq!(
        live["status"]["availableReplicas"], 2,
        "apply returned before the rollout"
    );
    // It watched the Deployment rather than polling it.
    let requests = env.server.requests();
    let watches = requests
        .iter()
        .filter(|r| r.path.ends_with("/deployments") && r.query.contains("watch=true"))
        .count();
    let reads = requests
        .iter()
        .filter(|r| r.method == Method::GET && r.path.ends_with("/deployments/web"))
        .count();
    assert!(watches >= 1, "{requests:?}");
    assert_eq!(
        reads, 2,
        "one read before applying, one before watching: {requests:?}"
    );

    // The server drops every watch at once: the wait reads again and watches again.
    env.server.store().drop_watches_after = Some(0);
    env.server.clear_requests();
    let mut again = deployment("web");
    again.body["spec"]["replicas"] = 3.into();
    assert!(
        rt.block_on(K8sCluster::apply(&kube, &again))
            .unwrap()
            .is_changed()
    );
    let live = env
        .server
        .object("apps/v1", "Deployment", Some("default"), "web")
        .unwrap();
    assert_eq!(live["status"]["availableReplicas"], 3);
    let watches = env
        .server
        .requests()
        .iter()
        .filter(|r| r.query.contains("watch=true"))
        .count();
    assert!(
        watches >= 2,
        "watched again after each drop ({watches} watches)"
    );
    env.server.store().drop_watches_after = None;

    env.server.store().readiness = Readiness::Never {
        reason: "ProgressDeadlineExceeded".into(),
        message: "ReplicaSet \"stuck-5d4f\" has timed out progressing.".into(),
    };
    let error = rt
        .block_on(K8sCluster::apply(&kube, &deployment("stuck")))
        .unwrap_err();
    let message = error.to_string();
    assert!(
        message.contains("Deployment default/stuck is not ready"),
        "{message}"
    );
    assert!(message.contains("ProgressDeadlineExceeded"), "{message}");
    assert!(message.contains("timed out progressing"), "{message}");
    assert!(
        message.contains("events: Deployment stuck: ProgressDeadlineExceeded"),
        "{message}"
    );

    // An image that cannot be pulled: the Pods' warning events are part of the report.
    env.server.store().never_ready_image = Some((
        "registry.invalid/".into(),
        "ErrImagePull".into(),
        "failed to pull image \"registry.invalid/web:1\": no such host".into(),
    ));
    let mut unpullable = deployment("unpullable");
    unpullable.body["spec"]["template"]["spec"]["containers"][0]["image"] =
        "registry.invalid/web:1".into();
    let error = rt
        .block_on(K8sCluster::apply(&kube_for(&env.server, "1s"), &unpullable))
        .unwrap_err();
    let message = error.to_string();
    assert!(
        message.contains("Deployment default/unpullable is not ready after"),
        "{message}"
    );
    assert!(
        message.contains("events: Pod unpullable-5d4f1-x2x9k: ErrImagePull: failed to pull image"),
        "{message}"
    );

    // A StatefulSet that never becomes ready: the timeout names it and why.
    let short = kube_for(&env.server, "300ms");
    let sts = declared_sts(&shop(&[("db", "1Gi")]));
    let error = rt.block_on(K8sCluster::apply(&short, &sts)).unwrap_err();
    let message = error.to_string();
    assert!(
        message.contains("StatefulSet default/db is not ready after"),
        "{message}"
    );
    assert!(message.contains("0 of 1 replicas ready"), "{message}");
}

#[test]
fn a_namespace_with_a_quota_comes_before_what_is_placed_in_it() {
    let env = Env::new("namespace");
    let db_in = |ns: &str| Postgres {
        namespace: Some(ns.to_string()),
        ..postgres("1Gi")
    };
    // Without the namespace the API server refuses the objects: a permanent error, not retried.
    let mut orphan = Plan::new("team");
    orphan.add("db", db_in("team-a"), &[]);
    assert_eq!(env.apply(orphan), ExitStatus::StepFailed);
    assert!(env.server.store().names().is_empty());

    let mut plan = Plan::new("team");
    let ns = plan.add(
        "team-a",
        Namespace {
            cpu: Some("4".parse().unwrap()),
            memory: Some("8Gi".parse().unwrap()),
            storage: None,
            pods: Some(20),
        },
        &[],
    );
    plan.add("db", db_in("team-a"), &[ns.id()]);
    assert_eq!(env.apply(plan), ExitStatus::Ok);
    let quota = env
        .server
        .object("v1", "ResourceQuota", Some("team-a"), "quota")
        .expect("quota created");
    assert_eq!(
        quota["spec"]["hard"],
        json!({ "requests.cpu": "4", "requests.memory": "8Gi", "pods": "20" })
    );
    assert!(
        env.server
            .object("v1", "Namespace", None, "team-a")
            .is_some()
    );
    assert!(
        env.server
            .object("apps/v1", "StatefulSet", Some("team-a"), "db")
            .is_some()
    );
}

topology! {
    /// A cluster with MetalLB.
    pub LbCluster {
        hosts {
            node { arch: x86_64, address: "127.0.0.1" }
        }
        capabilities {
            K8sCluster => Kube { context: "test" },
            LoadBalancer => MetalLb { pool: "10.0.0.240/28" },
        }
    }
}

/// A prune removes the Service and releases the load balancer's fields on it in parallel. When
/// the delete lands between the release's read and its apply, the apply must not create the
/// Service again (it carries the read's `resourceVersion` as a precondition).
#[test]
fn releasing_the_load_balancer_never_recreates_a_service_deleted_meanwhile() {
    let env = Env::new("metallb-race");
    let lb = metallb_for(&env.server);
    let service = harmony_dsl::resource::LbService {
        namespace: "default".into(),
        name: "web".into(),
        port: "8080".parse().unwrap(),
        pool: None,
    };
    env.server
        .apply_as(
            "harmony",
            &json!({ "apiVersion": "v1", "kind": "Service",
                     "metadata": { "name": "web", "namespace": "default" },
                     "spec": { "ports": [{ "port": 8080 }] } }),
        )
        .unwrap();
    let exposed = runtime()
        .block_on(harmony_dsl::capability::LoadBalancer::apply(&lb, &service))
        .unwrap();
    assert!(matches!(exposed, Outcome::Changed { .. }), "{exposed:?}");
    // The parallel prune's delete, landing just before the release's apply.
    env.server
        .before_next(Method::PATCH, "/services/web", |store| {
            store
                .delete(&ApiServer::kind("v1", "Service"), Some("default"), "web")
                .expect("delete the Service");
        });
    let released = runtime()
        .block_on(harmony_dsl::capability::LoadBalancer::remove(&lb, &service))
        .unwrap();
    assert_eq!(released, Outcome::Unchanged);
    assert!(
        env.server
            .object("v1", "Service", Some("default"), "web")
            .is_none(),
        "the release recreated the deleted Service"
    );
}

#[test]
fn a_web_app_is_exposed_by_metallb_and_pruned_with_it() {
    let env = Env::new("metallb");
    let lb = metallb_for(&env.server);
    let topology = || LbCluster::new(kube_for(&env.server, "5s"), lb.clone());
    let web = |with_app: bool| {
        let mut plan: Plan<LbCluster> = Plan::new("site");
        if with_app {
            plan.add(
                "web",
                WebApp {
                    replicas: 2,
                    ..web_app("registry.example.com/web:1.0")
                },
                &[],
            );
        }
        plan
    };
    assert_eq!(
        run_cli(&env.state, &["apply"], topology(), web(true)),
        ExitStatus::Ok
    );
    let service = env
        .server
        .object("v1", "Service", Some("default"), "web")
        .unwrap();
    assert_eq!(service["spec"]["type"], "LoadBalancer");
    assert_eq!(
        service["metadata"]["annotations"]["metallb.universe.tf/address-pool"],
        "harmony-10-0-0-240-28"
    );
    assert_eq!(
        service["status"]["loadBalancer"]["ingress"][0]["ip"],
        "10.0.0.240"
    );
    assert_eq!(managers(&service), ["harmony", "harmony-loadbalancer"]);
    let pool = env
        .server
        .object(
            "metallb.io/v1beta1",
            "IPAddressPool",
            Some("metallb-system"),
            "harmony-10-0-0-240-28",
        )
        .unwrap();
    assert_eq!(pool["spec"]["addresses"], json!(["10.0.0.240/28"]));

    // Again: the Service's own apply (manager `harmony`) leaves the exposure alone; nothing moves.
    let revision = env.server.store().revision;
    assert_eq!(
        run_cli(&env.state, &["apply"], topology(), web(true)),
        ExitStatus::Ok
    );
    assert_eq!(env.server.store().revision, revision);
    let (status, doc) = plan_doc(&env.state, topology(), web(true));
    assert_eq!(status, ExitStatus::Ok);
    assert_eq!(doc["summary"]["unchanged"], 3, "{doc:#}");

    // The score goes away: the Deployment and Service are pruned, the exposure with them.
    assert_eq!(
        run_cli(&env.state, &["apply"], topology(), web(false)),
        ExitStatus::Ok
    );
    assert!(
        env.server
            .object("v1", "Service", Some("default"), "web")
            .is_none()
    );
    assert!(
        env.server
            .object("apps/v1", "Deployment", Some("default"), "web")
            .is_none()
    );
    let state = StateDir::new(env.state.clone()).load().unwrap().unwrap();
    assert!(state.resources.is_empty(), "{:?}", state.resources.keys());
}

#[test]
fn a_saved_plan_is_refused_when_an_object_moved_since() {
    let env = Env::new("drift");
    assert_eq!(env.apply(shop(&[("db", "1Gi")])), ExitStatus::Ok);
    let saved = env.server.dir().join("saved.json");
    let path = saved.display().to_string();
    let status = run_cli(
        &env.state,
        &["plan", "--out", path.as_str()],
        env.topology(),
        shop(&[("db", "2Gi")]),
    );
    assert_eq!(status, ExitStatus::Ok);
    // Someone else touches the Service: its resourceVersion moves.
    env.server
        .apply_as(
            "kubectl",
            &json!({ "apiVersion": "v1", "kind": "Service", "metadata": { "name": "db", "namespace": "default", "annotations": { "note": "hand edit" } } }),
        )
        .unwrap();
    let status = run_cli(
        &env.state,
        &["apply", path.as_str()],
        env.topology(),
        shop(&[("db", "2Gi")]),
    );
    assert_eq!(status, ExitStatus::Drift);
    let live = env.sts("db").unwrap();
    assert_eq!(
        live["spec"]["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]["storage"], "1Gi",
        "nothing applied"
    );
    // Planned again, it applies.
    let status = run_cli(
        &env.state,
        &["plan", "--out", path.as_str()],
        env.topology(),
        shop(&[("db", "2Gi")]),
    );
    assert_eq!(status, ExitStatus::Ok);
    let status = run_cli(
        &env.state,
        &["apply", path.as_str()],
        env.topology(),
        shop(&[("db", "2Gi")]),
    );
    assert_eq!(status, ExitStatus::Ok);
}

#[test]
fn a_kind_the_cluster_does_not_serve_is_a_permanent_error() {
    let env = Env::new("unserved");
    let widget = KubeObject {
        api_version: "example.com/v1".into(),
        kind: "Widget".into(),
        name: "w".into(),
        namespace: Some("default".into()),
        labels: Default::default(),
        body: Default::default(),
        secret_data: Default::default(),
    };
    let error = runtime()
        .block_on(K8sCluster::inspect(&kube_for(&env.server, "5s"), &widget))
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Permanent);
    assert!(
        error
            .to_string()
            .contains("the cluster does not serve kind `Widget` in `example.com/v1`"),
        "{error}"
    );
    // A cluster-scoped kind given a namespace is refused before anything is sent.
    let mut namespace = widget.clone();
    namespace.api_version = "v1".into();
    namespace.kind = "Namespace".into();
    let error = runtime()
        .block_on(K8sCluster::apply(&kube_for(&env.server, "5s"), &namespace))
        .unwrap_err();
    assert!(error.to_string().contains("cluster-scoped"), "{error}");
}

#[test]
fn a_postgres_password_from_configuration_reaches_the_cluster_and_nothing_else() {
    use harmony_dsl::config::{SecretRef, ValueSource};
    let env = Env::new("password");
    let secret = "pg-Q9x-s3cret";
    let file = env.server.dir().join("secrets.toml");
    std::fs::write(&file, format!("db_password = \"{secret}\"\n")).unwrap();
    let mut plan = Plan::new("shop");
    plan.add(
        "db",
        Postgres {
            password: Some(SecretRef::new(
                "db_password",
                ValueSource::File {
                    path: file,
                    key: "db_password".into(),
                },
            )),
            ..postgres("1Gi")
        },
        &[],
    );
    assert!(!serde_json::to_string(&plan).unwrap().contains(secret));
    assert_eq!(env.apply(plan.clone()), ExitStatus::Ok);
    // The cluster got the value, read from its source at apply time.
    let stored = env
        .server
        .object("v1", "Secret", Some("default"), "db-credentials")
        .expect("the credentials Secret was applied");
    // Sent in `data`, base64-encoded, as the Secret's other values are.
    let sent: k8s_openapi::ByteString =
        serde_json::from_value(stored["data"]["POSTGRES_PASSWORD"].clone()).expect("base64");
    assert_eq!(sent.0, secret.as_bytes(), "{stored}");
    assert!(stored.get("stringData").is_none(), "{stored}");
    let sts = env.sts("db").expect("created");
    assert_eq!(
        sts["spec"]["template"]["spec"]["containers"][0]["env"][0]["valueFrom"]["secretKeyRef"]["name"],
        "db-credentials"
    );
    // The state holds the reference, never the value.
    let state = std::fs::read_to_string(env.state.join("state.json")).unwrap();
    assert!(
        state.contains("db_password") && !state.contains(secret),
        "{state}"
    );
    // A second apply reads it again and succeeds.
    assert_eq!(env.apply(plan), ExitStatus::Ok);
}
