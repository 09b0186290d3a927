use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::operation::Operation;
use crate::resource::HelmRelease;
use crate::score::{Operations, ScoreContext};
use crate::{Score, capability::*};

/// A Helm chart, inflated into plain Kubernetes objects (`helm template`) that are planned,
/// applied (server-side), pruned and rendered like every other score's objects. No Helm release
/// is installed and no release secret is written to the cluster.
///
/// Its one operation, of capability [`HelmCommand`], is replaced by the runtime with one
/// [`K8sCluster`] step per object of the chart before anything is planned, so each
/// object gets its own plan line, diff, state record and prune.
#[derive(Debug, Clone, Score)]
#[score(requires(K8sCluster, HelmCommand))]
pub struct HelmChart {
    /// The chart: a local directory or a packaged `.tgz`, relative to the current directory.
    pub chart: String,
    /// Release name (`.Release.Name`; default: the score instance's name).
    pub release: Option<String>,
    /// Namespace of the release (default `default`).
    pub namespace: Option<String>,
    /// Values files (`-f`), in order.
    pub values_files: Vec<String>,
    /// Values set in the plan, e.g. from a typed struct: `values: { HelmValues::of(&my_values) }`.
    /// They win over `values_files`.
    #[score(default)]
    pub values: HelmValues,
    /// Check the values against the chart's `values.schema.json`, when it has one.
    #[score(default = true)]
    pub check_schema: bool,
}

impl Operations for HelmChart {
    fn operations(&self, ctx: &ScoreContext<'_>) -> Vec<Operation> {
        vec![Operation::new::<dyn HelmCommand>(HelmRelease {
            chart: self.chart.clone(),
            release: self
                .release
                .clone()
                .unwrap_or_else(|| ctx.instance.to_string()),
            namespace: self
                .namespace
                .clone()
                .unwrap_or_else(|| "default".to_string()),
            values_files: self.values_files.clone(),
            values: self.values.tree.clone(),
            check_schema: self.check_schema,
        })]
    }
}

/// The values a [`HelmChart`] gets from the plan: a map, usually made from a typed serde struct
/// with [`HelmValues::of`], so a misspelt key is a compile error rather than a value the chart
/// silently ignores.
///
/// Values that cannot be used (not a map, or holding a [`Secret`](crate::value::Secret), which
/// is never serialised) make the plan invalid: the score cannot be serialised, and the runtime
/// refuses the plan with the reason.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HelmValues {
    tree: Map<String, Value>,
    problem: Option<String>,
}

impl HelmValues {
    /// The values `values` serialises to (a struct or a map).
    pub fn of<V: Serialize + ?Sized>(values: &V) -> Self {
        match serde_json::to_value(values) {
            Ok(Value::Object(tree)) => {
                let problem = redacted_path(&tree, "").map(|path| {
                    format!("chart values hold a secret at `{path}`: secrets are never serialised, so a chart cannot get one through its values; create the Secret with a score and point the chart at it by name")
                });
                HelmValues { tree, problem }
            }
            Ok(other) => HelmValues {
                tree: Map::new(),
                problem: Some(format!(
                    "chart values must be a map (a struct or a map), not {}",
                    kind_of(&other)
                )),
            },
            Err(e) => HelmValues {
                tree: Map::new(),
                problem: Some(format!("chart values cannot be serialised: {e}")),
            },
        }
    }

    /// The values as a JSON map.
    pub fn map(&self) -> &Map<String, Value> {
        &self.tree
    }
}

/// The first path (`.a.b[2]`) of a string that is a redacted secret, if any.
fn redacted_path(tree: &Map<String, Value>, prefix: &str) -> Option<String> {
    tree.iter().find_map(|(key, value)| {
        let path = format!("{prefix}.{key}");
        redacted_in(value, &path)
    })
}

fn redacted_in(value: &Value, path: &str) -> Option<String> {
    match value {
        Value::String(s) if s == "<redacted>" => Some(path.to_string()),
        Value::Object(map) => redacted_path(map, path),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| redacted_in(v, &format!("{path}[{i}]"))),
        _ => None,
    }
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a map",
    }
}

impl Serialize for HelmValues {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match &self.problem {
            Some(problem) => Err(serde::ser::Error::custom(problem)),
            None => self.tree.serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for HelmValues {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(HelmValues {
            tree: Map::deserialize(deserializer)?,
            problem: None,
        })
    }
}

impl crate::value::ScoreField for HelmValues {
    const KIND: crate::value::ValueKind = crate::value::ValueKind::Opaque;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::Secret;
    use serde_json::json;

    #[derive(Serialize)]
    struct Values {
        #[serde(rename = "replicaCount")]
        replica_count: u16,
        auth: Auth,
    }

    #[derive(Serialize)]
    struct Auth {
        user: String,
        password: Option<Secret<String>>,
    }

    #[test]
    fn typed_values_become_the_map_the_chart_reads() {
        let values = HelmValues::of(&Values {
            replica_count: 2,
            auth: Auth {
                user: "shop".into(),
                password: None,
            },
        });
        assert_eq!(
            Value::Object(values.map().clone()),
            json!({ "replicaCount": 2, "auth": { "user": "shop", "password": null } })
        );
        assert!(serde_json::to_value(&values).is_ok());
    }

    #[test]
    fn unusable_values_fail_serialisation_with_the_reason() {
        let secret = HelmValues::of(&Values {
            replica_count: 1,
            auth: Auth {
                user: "shop".into(),
                password: Some(Secret::new("hunter2".into())),
            },
        });
        let err = serde_json::to_value(&secret).unwrap_err().to_string();
        assert!(err.contains("secret at `.auth.password`"), "{err}");
        let list = HelmValues::of(&[1, 2]);
        let err = serde_json::to_value(&list).unwrap_err().to_string();
        assert!(err.contains("must be a map"), "{err}");
        assert!(err.contains("not a list"), "{err}");
    }
}
