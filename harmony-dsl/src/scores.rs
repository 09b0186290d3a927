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

/// A Kubernetes object with Harmony's labels.
fn object(
    ctx: &crate::ScoreContext<'_>,
    kind_of_score: &str,
    api_version: &str,
    kind: &str,
    namespace: Option<&str>,
    body: serde_json::Value,
) -> KubeObject {
    KubeObject {
        api_version: api_version.to_string(),
        kind: kind.to_string(),
        name: ctx.instance.to_string(),
        namespace: namespace.map(str::to_string),
        labels: labels(ctx, kind_of_score),
        body: match body {
            serde_json::Value::Object(map) => map,
            _ => serde_json::Map::new(),
        },
    }
}
