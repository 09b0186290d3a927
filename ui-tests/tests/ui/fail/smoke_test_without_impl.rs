//! `#[score(smoke_test)]` promises checks: without an `impl SmokeTest` the error is on
//! `smoke_test` and says what to write.
use harmony_runtime::prelude::*;

/// Marked as smoke-tested, but with no checks written.
#[derive(Debug, Clone, Score)]
#[score(requires(FileSystem), smoke_test)]
pub struct Unchecked {}

impl Operations for Unchecked {
    fn operations(&self, _ctx: &ScoreContext<'_>) -> Vec<Operation> {
        Vec::new()
    }
}

fn main() {}
