// Two outputs with the same name.
use harmony_runtime::prelude::*;

/// A cache.
#[derive(Debug, Clone, Score)]
#[score(requires(K8sCluster), outputs(url: Endpoint<Http>, url: Endpoint<Http>))]
pub struct Cache {
    image: ImageRef,
}

impl Operations for Cache {
    fn operations(&self, _ctx: &ScoreContext<'_>) -> Vec<Operation> {
        Vec::new()
    }
}

fn main() {}
