use harmony_runtime::prelude::*;

/// Scores are structs with named fields.
#[derive(Debug, Clone, Score)]
#[score(requires(K8sCluster))]
pub enum Database {
    Postgres { version: u16 },
    Mysql { version: u16 },
}

fn main() {}
