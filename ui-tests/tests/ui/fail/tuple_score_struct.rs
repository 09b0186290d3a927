use harmony_runtime::prelude::*;

/// Scores name their settings.
#[derive(Debug, Clone, Score)]
#[score(requires(K8sCluster))]
pub struct Cache(ImageRef, u16);

fn main() {}
