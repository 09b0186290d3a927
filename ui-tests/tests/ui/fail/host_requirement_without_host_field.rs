// A placement requirement on a score that has no host field would never be checked.
use harmony_runtime::prelude::*;

/// A GPU batch job.
#[derive(Debug, Clone, Score)]
#[score(requires(K8sCluster), host(arch = x86_64, labels(gpu)))]
pub struct Training {
    image: ImageRef,
}

impl Operations for Training {
    fn operations(&self, _ctx: &ScoreContext<'_>) -> Vec<Operation> {
        Vec::new()
    }
}

fn main() {}
