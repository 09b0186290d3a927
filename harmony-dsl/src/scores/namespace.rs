use std::collections::BTreeMap;

use k8s_openapi::api::core::v1 as core;
use k8s_openapi::apimachinery::pkg::api::resource::Quantity as KubeQuantity;

use super::typed;
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
        let mut ops = vec![Operation::new::<dyn K8sCluster>(typed(
            ctx,
            "Namespace",
            ctx.instance,
            None,
            &core::Namespace::default(),
        ))];
        let mut hard = BTreeMap::new();
        for (key, value) in [
            ("requests.cpu", &self.cpu),
            ("requests.memory", &self.memory),
            ("requests.storage", &self.storage),
        ] {
            if let Some(q) = value {
                hard.insert(key.to_string(), KubeQuantity(q.to_string()));
            }
        }
        if let Some(pods) = self.pods {
            hard.insert("pods".to_string(), KubeQuantity(pods.to_string()));
        }
        if !hard.is_empty() {
            let quota = core::ResourceQuota {
                spec: Some(core::ResourceQuotaSpec {
                    hard: Some(hard),
                    ..Default::default()
                }),
                ..Default::default()
            };
            ops.push(Operation::new::<dyn K8sCluster>(typed(
                ctx,
                "Namespace",
                "quota",
                Some(ctx.instance),
                &quota,
            )));
        }
        ops
    }
}
