use harmony_runtime::prelude::*;

/// A message queue.
#[derive(Debug, Clone, Score)]
#[score(requires(K8sCluster))]
pub struct Queue {
    #[score(default = "registry.example.com/Acme/queue:1")]
    image: ImageRef,
    #[score(default = 0)]
    port: Port,
}

impl Operations for Queue {
    fn operations(&self, _ctx: &ScoreContext<'_>) -> Vec<Operation> {
        Vec::new()
    }
}

fn main() {}
