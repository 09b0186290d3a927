// `requires(...)` names capabilities; `Postgres` is a score.
use harmony_runtime::prelude::*;

/// An app that needs a database.
#[derive(Debug, Clone, Score)]
#[score(requires(K8sCluster, Postgres))]
pub struct App {
    image: ImageRef,
}

impl Operations for App {
    fn operations(&self, _ctx: &ScoreContext<'_>) -> Vec<Operation> {
        Vec::new()
    }
}

fn main() {}
