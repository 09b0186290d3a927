//! Built-in scores: what people deploy first. Each names the capabilities it needs, never a provider.

mod edge;
mod helm;
mod local;
mod namespace;
mod postgres;
mod web_app;

pub use edge::EdgeService;
pub use helm::{HelmChart, HelmValues};
pub use local::{ConfigFile, Directory, LocalService};
pub use namespace::Namespace;
pub use postgres::{Postgres, PostgresOutputs};
pub use web_app::{WebApp, WebAppOutputs};

use std::collections::BTreeMap;

use crate::resource::KubeObject;

/// Labels every object of score instance `instance` carries.
fn labels(ctx: &crate::ScoreContext<'_>, kind: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        (
            "app.kubernetes.io/name".to_string(),
            ctx.instance.to_string(),
        ),
        ("app.kubernetes.io/component".to_string(), kind.to_string()),
        ("harmony.io/plan".to_string(), ctx.plan.to_string()),
        ("harmony.io/score".to_string(), ctx.instance.to_string()),
    ])
}

/// A typed Kubernetes object (a `k8s-openapi` struct) as a [`KubeObject`] named `name`, with
/// Harmony's labels. `apiVersion` and `kind` come from the type; the object's own `metadata` is
/// replaced by `name`, `namespace` and the labels.
fn typed<K>(
    ctx: &crate::ScoreContext<'_>,
    kind_of_score: &str,
    name: &str,
    namespace: Option<&str>,
    object: &K,
) -> KubeObject
where
    K: k8s_openapi::Resource + serde::Serialize,
{
    let mut body = match serde_json::to_value(object) {
        Ok(serde_json::Value::Object(map)) => map,
        _ => serde_json::Map::new(),
    };
    for key in ["apiVersion", "kind", "metadata"] {
        body.remove(key);
    }
    KubeObject {
        api_version: K::API_VERSION.to_string(),
        kind: K::KIND.to_string(),
        name: name.to_string(),
        namespace: namespace.map(str::to_string),
        labels: labels(ctx, kind_of_score),
        body,
        secret_data: BTreeMap::new(),
    }
}

/// The label selector of score instance `instance`'s pods.
fn selector(ctx: &crate::ScoreContext<'_>) -> BTreeMap<String, String> {
    BTreeMap::from([(
        "app.kubernetes.io/name".to_string(),
        ctx.instance.to_string(),
    )])
}
