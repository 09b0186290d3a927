use harmony_runtime::prelude::*;

/// A cache whose backend varies.
#[derive(Debug, Clone, Score)]
#[score(requires(K8sCluster))]
pub struct Cache<B> {
    image: ImageRef,
    backend: B,
}

fn main() {}
