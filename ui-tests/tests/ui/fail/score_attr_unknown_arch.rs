use harmony_runtime::prelude::*;

/// A sensor reader, built for 64-bit ARM only.
#[derive(Debug, Clone, Score)]
#[score(requires(Fleet), host(arch = arm64))]
pub struct SensorReader {
    image: ImageRef,
    devices: Vec<Placement>,
}

impl Operations for SensorReader {
    fn operations(&self, _ctx: &ScoreContext<'_>) -> Vec<Operation> {
        Vec::new()
    }
}

fn main() {}
