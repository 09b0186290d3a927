use harmony_runtime::prelude::*;

/// A message queue.
#[derive(Debug, Clone, Score)]
#[score(require(K8sCluster))]
pub struct Queue {
    image: ImageRef,
}

impl Operations for Queue {
    fn operations(&self, _ctx: &ScoreContext<'_>) -> Vec<Operation> {
        Vec::new()
    }
}

fn main() {}
