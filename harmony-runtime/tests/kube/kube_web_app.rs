//! `WebApp`'s typed objects against the test API server: a ConfigMap from `config`, a Secret from
//! `secrets`, an optional Ingress, all referenced by the Deployment; unchanged on a second apply,
//! pruned when dropped. Secret values reach the API server and nothing else: not plans, saved
//! plans, state or rendered files, unless `render --include-secrets` asks for them.

use crate::support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use harmony_dsl::Plan;
use harmony_runtime::ExitStatus;
use harmony_runtime::prelude::*;
use serde_json::{Value, json};
use support::apiserver::ApiServer;
use support::{kube_for, metallb_for, plan_doc, run_cli, web_app};

topology! {
    /// A cluster with MetalLB.
    pub Site {
        hosts {
            node { arch: x86_64, address: "127.0.0.1" }
        }
        capabilities {
            K8sCluster => Kube { context: "test" },
            LoadBalancer => MetalLb { pool: "10.0.0.240/28" },
        }
    }
}

const TOKEN: &str = "tok-5f2c-never-printed";
/// `TOKEN`, base64-encoded as a Secret's `data` holds it.
const TOKEN_BASE64: &str = "dG9rLTVmMmMtbmV2ZXItcHJpbnRlZA==";

struct Env {
    server: ApiServer,
    lb: MetalLb,
    state: PathBuf,
}

impl Env {
    fn new(tag: &str) -> Env {
        let server = ApiServer::start(tag);
        let lb = metallb_for(&server);
        let state = server.dir().join("state");
        Env { server, lb, state }
    }

    fn topology(&self) -> Site {
        Site::new(kube_for(&self.server, "5s"), self.lb.clone())
    }

    fn run(&self, args: &[&str], plan: Plan<Site>) -> ExitStatus {
        run_cli(&self.state, args, self.topology(), plan)
    }

    fn object(&self, api_version: &str, kind: &str, name: &str) -> Option<Value> {
        self.server.object(api_version, kind, Some("default"), name)
    }
}

/// Plan `site` with one web app; `ingress` adds an Ingress for `web.example.com`.
fn site(token: &str, ingress: bool) -> Plan<Site> {
    let mut plan = Plan::new("site");
    plan.add(
        "web",
        WebApp {
            ingress: ingress.then(|| "web.example.com".parse().unwrap()),
            ingress_path: ingress.then(|| "/app".to_string()),
            tls_secret: ingress.then(|| "web-tls".to_string()),
            config: BTreeMap::from([("LOG_LEVEL".to_string(), "info".to_string())]),
            secrets: BTreeMap::from([("API_TOKEN".to_string(), Secret::new(token.to_string()))]),
            ..web_app("registry.example.com/web:1.0")
        },
        &[],
    );
    plan
}

/// Every file under `dir`, read as text.
fn all_text(dir: &Path) -> String {
    let mut text = String::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(path) = stack.pop() {
        if path.is_dir() {
            stack.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
        } else if let Ok(content) = std::fs::read_to_string(&path) {
            text.push_str(&content);
        }
    }
    text
}

#[test]
fn config_secret_and_ingress_are_applied_referenced_and_pruned() {
    let env = Env::new("webapp");
    assert_eq!(env.run(&["apply"], site(TOKEN, true)), ExitStatus::Ok);

    let config = env
        .object("v1", "ConfigMap", "web-config")
        .expect("ConfigMap");
    assert_eq!(config["data"], json!({ "LOG_LEVEL": "info" }));
    assert_eq!(config["metadata"]["labels"]["harmony.io/score"], "web");
    let secret = env.object("v1", "Secret", "web-secrets").expect("Secret");
    assert_eq!(secret["data"], json!({ "API_TOKEN": TOKEN_BASE64 }));
    assert_eq!(secret["type"], "Opaque");
    assert_eq!(
        secret["metadata"]["labels"]["app.kubernetes.io/managed-by"],
        "harmony"
    );

    let deployment = env
        .object("apps/v1", "Deployment", "web")
        .expect("Deployment");
    let container = &deployment["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(
        container["envFrom"],
        json!([
            { "configMapRef": { "name": "web-config" } },
            { "secretRef": { "name": "web-secrets" } }
        ])
    );

    let ingress = env
        .object("networking.k8s.io/v1", "Ingress", "web")
        .expect("Ingress");
    let rule = &ingress["spec"]["rules"][0];
    assert_eq!(rule["host"], "web.example.com");
    assert_eq!(rule["http"]["paths"][0]["path"], "/app");
    assert_eq!(rule["http"]["paths"][0]["pathType"], "Prefix");
    assert_eq!(
        rule["http"]["paths"][0]["backend"]["service"],
        json!({ "name": "web", "port": { "number": 8080 } })
    );
    assert_eq!(
        ingress["spec"]["tls"],
        json!([{ "hosts": ["web.example.com"], "secretName": "web-tls" }])
    );

    // Second apply: every object unchanged.
    let versions = |env: &Env| {
        [
            ("v1", "ConfigMap", "web-config"),
            ("v1", "Secret", "web-secrets"),
            ("apps/v1", "Deployment", "web"),
            ("networking.k8s.io/v1", "Ingress", "web"),
        ]
        .map(|(v, k, n)| {
            env.object(v, k, n)
                .map(|o| o["metadata"]["resourceVersion"].clone())
        })
    };
    let before = versions(&env);
    let (status, doc) = plan_doc(&env.state, env.topology(), site(TOKEN, true));
    assert_eq!(status, ExitStatus::Ok);
    for step in doc["steps"].as_array().unwrap() {
        assert_eq!(step["change"]["change"], "none", "{step}");
    }
    assert_eq!(env.run(&["apply"], site(TOKEN, true)), ExitStatus::Ok);
    assert_eq!(versions(&env), before);

    // Without the ingress, the Ingress is pruned and the rest stays.
    assert_eq!(env.run(&["apply"], site(TOKEN, false)), ExitStatus::Ok);
    assert!(
        env.object("networking.k8s.io/v1", "Ingress", "web")
            .is_none()
    );
    assert!(env.object("v1", "Secret", "web-secrets").is_some());
}

#[test]
fn secret_values_reach_the_server_only_unless_rendering_is_asked_for() {
    let env = Env::new("secrets");
    let (status, doc) = plan_doc(&env.state, env.topology(), site(TOKEN, false));
    assert_eq!(status, ExitStatus::Ok);
    let saved = doc.to_string();
    assert!(saved.contains("<redacted>"), "{saved}");
    assert!(!saved.contains(TOKEN) && !saved.contains(TOKEN_BASE64));

    assert_eq!(env.run(&["apply"], site(TOKEN, false)), ExitStatus::Ok);
    let secret = env.object("v1", "Secret", "web-secrets").unwrap();
    assert_eq!(secret["data"]["API_TOKEN"], TOKEN_BASE64);
    let state = all_text(&env.state);
    assert!(!state.is_empty());
    assert!(!state.contains(TOKEN) && !state.contains(TOKEN_BASE64));

    // A changed secret is a one-line diff that names the key, not the values.
    let (status, doc) = plan_doc(&env.state, env.topology(), site("rotated-token", false));
    assert_eq!(status, ExitStatus::Ok);
    let changed: Vec<&Value> = doc["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["change"]["change"] != "none")
        .collect();
    assert_eq!(changed.len(), 1, "{doc}");
    assert_eq!(
        changed[0]["change"]["diff"],
        json!(["~ data.API_TOKEN: <redacted> (changed)"])
    );
    let text = doc.to_string();
    assert!(!text.contains("rotated-token") && !text.contains(TOKEN_BASE64));

    // Rendered files: redacted by default, the values only with --include-secrets.
    let rendered = env.server.dir().join("rendered");
    let out = rendered.display().to_string();
    assert_eq!(
        env.run(&["render", &out], site(TOKEN, false)),
        ExitStatus::Ok
    );
    let files = all_text(&rendered);
    assert!(files.contains("API_TOKEN: \"PHJlZGFjdGVkPg==\""), "{files}");
    assert!(!files.contains(TOKEN) && !files.contains(TOKEN_BASE64));
    assert_eq!(
        env.run(&["render", &out, "--include-secrets"], site(TOKEN, false)),
        ExitStatus::Ok
    );
    let files = all_text(&rendered);
    assert!(
        files.contains(&format!("API_TOKEN: \"{TOKEN_BASE64}\"")),
        "{files}"
    );
}
