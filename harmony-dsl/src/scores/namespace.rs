use serde_json::{Map, Value, json};

use super::object;
use crate::operation::Operation;
use crate::score::{Operations, ScoreContext};
use crate::value::Quantity;
use crate::{Score, capability::*};

/// A Kubernetes namespace named after the score instance, with an optional resource quota
/// (`ResourceQuota` `quota` in it) when any limit is set. Declare it before the scores placed in
/// it (`after: [ns]`): the API server refuses objects in a namespace that does not exist.
#[derive(Debug, Clone, Score)]
#[score(requires(K8sCluster))]
pub struct Namespace {
    /// Total CPU requests of the namespace's pods (`requests.cpu`), e.g. `4` or `2500m`.
    pub cpu: Option<Quantity>,
    /// Total memory requests (`requests.memory`), e.g. `8Gi`.
    pub memory: Option<Quantity>,
    /// Total storage requested by volume claims (`requests.storage`), e.g. `100Gi`.
    pub storage: Option<Quantity>,
    /// Most pods at once (`pods`).
    pub pods: Option<u32>,
}

impl Operations for Namespace {
    fn operations(&self, ctx: &ScoreContext<'_>) -> Vec<Operation> {
        let mut ops = vec![Operation::K8sCluster(object(
            ctx,
            "Namespace",
            "v1",
            "Namespace",
            None,
            json!({}),
        ))];
        let mut hard = Map::new();
        for (key, value) in [
            ("requests.cpu", &self.cpu),
            ("requests.memory", &self.memory),
            ("requests.storage", &self.storage),
        ] {
            if let Some(q) = value {
                hard.insert(key.to_string(), Value::String(q.to_string()));
            }
        }
        if let Some(pods) = self.pods {
            hard.insert("pods".to_string(), Value::String(pods.to_string()));
        }
        if !hard.is_empty() {
            let mut quota = object(
                ctx,
                "Namespace",
                "v1",
                "ResourceQuota",
                Some(ctx.instance),
                json!({ "spec": { "hard": hard } }),
            );
            quota.name = "quota".to_string();
            ops.push(Operation::K8sCluster(quota));
        }
        ops
    }
}
