use harmony_runtime::prelude::*;

/// A message queue.
#[derive(Debug, Clone, Score)]
#[score(requires(K8sCluster))]
pub struct Queue {
    image: ImageRef,
    #[score(defualt = 3)]
    replicas: u16,
    #[score(requirs(DnsServer))]
    dns: Option<DomainName>,
}

impl Operations for Queue {
    fn operations(&self, _ctx: &ScoreContext<'_>) -> Vec<Operation> {
        Vec::new()
    }
}

fn main() {}
