//! The `Keycloak` provider through the runtime (`cli_from`: plan, apply, prune) against a
//! Keycloak admin API of our own over HTTP: create, unchanged second apply, a changed redirect
//! URL as a one-step diff, prune, a foreign client never deleted, bad credentials reported,
//! 503 with `Retry-After` retried after that wait. A binary of its own (not in `kube/`): it puts
//! the admin secret in the process environment, which no test of another area may read meanwhile.

mod support;

use std::sync::Once;
use std::time::Duration;

use harmony_dsl::resource::IdentityClient;
use harmony_dsl::{ErrorKind, Plan};
use harmony_runtime::ExitStatus;
use harmony_runtime::prelude::*;
use hyper::Method;
use serde_json::{Value, json};
use support::keycloak::{ADMIN_CLIENT, ADMIN_SECRET, Fault, KeycloakServer};
use support::{plan_doc, run_cli, runtime};

topology! {
    /// Single sign-on for the apps.
    pub Sso {
        hosts {
            node { arch: x86_64, address: "127.0.0.1" }
        }
        capabilities {
            IdentityProvider => Keycloak { url: "http://127.0.0.1:8080", realm: "apps" },
        }
    }
}

/// The environment variable the tests keep the admin secret in.
const SECRET_ENV: &str = "HARMONY_TEST_KEYCLOAK_SECRET";

/// Sets the admin secret once, before any test of this binary reads the environment.
fn secret_in_env() {
    static SET: Once = Once::new();
    SET.call_once(|| {
        // SAFETY: every test calls this first, so no other thread of this binary reads the
        // environment while it is written.
        unsafe { std::env::set_var(SECRET_ENV, ADMIN_SECRET) };
    });
}

struct Env {
    server: KeycloakServer,
    state: std::path::PathBuf,
}

impl Env {
    fn new(tag: &str) -> Env {
        secret_in_env();
        let server = KeycloakServer::start(&["master", "apps"]);
        let state = std::env::temp_dir().join(format!(
            "harmony-keycloak-{tag}-{}-{}",
            std::process::id(),
            server.url().rsplit(':').next().unwrap_or("0")
        ));
        Env { server, state }
    }

    fn keycloak(&self) -> Keycloak {
        Keycloak {
            url: self.server.url().parse().unwrap(),
            realm: "apps".into(),
            token_realm: "master".into(),
            admin_client: ADMIN_CLIENT.into(),
            secret_env: SECRET_ENV.into(),
        }
    }

    fn apply(&self, plan: Plan<Sso>) -> ExitStatus {
        run_cli(&self.state, &["apply"], Sso::new(self.keycloak()), plan)
    }

    fn shop(&self) -> Option<Value> {
        self.server.client("apps", "shop")
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.state);
    }
}

fn client(id: &str, urls: &[&str]) -> IdentityClient {
    IdentityClient {
        client_id: id.into(),
        redirect_urls: urls.iter().map(|u| u.parse().unwrap()).collect(),
    }
}

fn apps(clients: &[IdentityClient]) -> Plan<Sso> {
    let mut plan = Plan::new("sso");
    for c in clients {
        plan.push_step(
            &c.client_id,
            Operation::new::<dyn harmony_dsl::capability::IdentityProvider>(c.clone()),
            &[],
        );
    }
    plan
}

const CALLBACK: &str = "https://shop.example.com/callback";

#[test]
fn create_unchanged_diff_and_prune() {
    let env = Env::new("lifecycle");
    let shop = client("shop", &[CALLBACK]);
    assert_eq!(env.apply(apps(std::slice::from_ref(&shop))), ExitStatus::Ok);
    let live = env.shop().expect("created");
    assert_eq!(live["redirectUris"], json!([CALLBACK]));
    assert_eq!(live["protocol"], "openid-connect");
    assert_eq!(live["enabled"], true);
    assert_eq!(live["attributes"]["harmony.io/managed-by"], "harmony");
    assert_eq!(env.server.writes(), ["201 POST /admin/realms/apps/clients"]);

    // Second apply: nothing written.
    env.server.clear_requests();
    let (status, doc) = plan_doc(
        &env.state,
        Sso::new(env.keycloak()),
        apps(std::slice::from_ref(&shop)),
    );
    assert_eq!(status, ExitStatus::Ok);
    assert_eq!(doc["steps"][0]["change"], json!({ "change": "none" }));
    assert_eq!(env.apply(apps(std::slice::from_ref(&shop))), ExitStatus::Ok);
    assert!(env.server.writes().is_empty(), "{:?}", env.server.writes());

    // Another redirect URL: a one-line diff in plan, one PUT on apply.
    let wider = client("shop", &[CALLBACK, "https://shop.example.com/silent"]);
    let (_, doc) = plan_doc(
        &env.state,
        Sso::new(env.keycloak()),
        apps(std::slice::from_ref(&wider)),
    );
    assert_eq!(
        doc["steps"][0]["change"]["diff"],
        json!([format!(
            "~ redirectUris: [\"{CALLBACK}\"] -> [\"{CALLBACK}\",\"https://shop.example.com/silent\"]"
        )])
    );
    env.server.clear_requests();
    assert_eq!(
        env.apply(apps(std::slice::from_ref(&wider))),
        ExitStatus::Ok
    );
    let id = live["id"].as_str().unwrap();
    assert_eq!(
        env.server.writes(),
        [format!("204 PUT /admin/realms/apps/clients/{id}")]
    );
    assert_eq!(
        env.shop().unwrap()["redirectUris"],
        json!([CALLBACK, "https://shop.example.com/silent"])
    );

    // Dropped from the plan: pruned.
    env.server.clear_requests();
    assert_eq!(env.apply(apps(&[])), ExitStatus::Ok);
    assert!(env.shop().is_none());
    assert_eq!(
        env.server.writes(),
        [format!("204 DELETE /admin/realms/apps/clients/{id}")]
    );
}

#[test]
fn a_client_harmony_did_not_create_is_never_deleted() {
    let env = Env::new("foreign");
    env.server.add_client(
        "apps",
        json!({ "clientId": "shop", "redirectUris": [CALLBACK], "enabled": true }),
    );
    let error = runtime()
        .block_on(IdentityProvider::remove(
            &env.keycloak(),
            &client("shop", &[CALLBACK]),
        ))
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Permanent);
    assert!(
        error.to_string().contains("was not created by Harmony"),
        "{error}"
    );
    assert!(env.shop().is_some());
}

#[test]
fn bad_credentials_are_permanent_and_say_what_to_check() {
    let env = Env::new("credentials");
    let mut keycloak = env.keycloak();
    keycloak.admin_client = "someone-else".into();
    let error = runtime()
        .block_on(IdentityProvider::apply(
            &keycloak,
            &client("shop", &[CALLBACK]),
        ))
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Permanent);
    let message = error.to_string();
    assert!(message.contains("401"), "{message}");
    assert!(message.contains("manage-clients"), "{message}");
    assert!(!message.contains(ADMIN_SECRET), "{message}");

    keycloak = env.keycloak();
    keycloak.secret_env = "HARMONY_TEST_KEYCLOAK_UNSET".into();
    let error = runtime()
        .block_on(IdentityProvider::apply(
            &keycloak,
            &client("shop", &[CALLBACK]),
        ))
        .unwrap_err();
    assert!(
        error
            .to_string()
            .contains("$HARMONY_TEST_KEYCLOAK_UNSET is not set"),
        "{error}"
    );
}

#[test]
fn a_503_with_retry_after_is_retried_after_that_wait() {
    let env = Env::new("retry");
    // The first POST is the token request.
    env.server.inject(Fault {
        method: Method::POST,
        code: 503,
        retry_after: Some(1),
        times: 1,
    });
    assert_eq!(
        env.apply(apps(&[client("shop", &[CALLBACK])])),
        ExitStatus::Ok
    );
    assert!(env.shop().is_some());
    let posts: Vec<_> = env
        .server
        .requests()
        .into_iter()
        .filter(|r| r.method == Method::POST)
        .collect();
    assert_eq!(posts[0].code, 503, "{posts:?}");
    assert!(posts.iter().any(|r| r.code == 201), "{posts:?}");
    // The runtime's own first backoff is 200 ms; the server asked for 1 s.
    let waited = posts[1].at - posts[0].at;
    assert!(waited >= Duration::from_millis(950), "{waited:?}");
}
