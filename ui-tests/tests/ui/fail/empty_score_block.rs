// An empty `score! {}` declares no plan.
use harmony_runtime::prelude::*;

score! {}

fn main() {}
