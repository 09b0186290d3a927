// A misspelt capability in `requires(...)`: the help names the capability as it is written.
use harmony_runtime::prelude::*;

/// A message queue.
#[derive(Debug, Clone, Score)]
#[score(requires(K8sClustr))]
pub struct Queue {
    image: ImageRef,
}

impl Operations for Queue {
    fn operations(&self, _ctx: &ScoreContext<'_>) -> Vec<Operation> {
        Vec::new()
    }
}

fn main() {}
