// A topology with neither hosts nor capabilities offers nothing to place a score on.
use harmony_runtime::prelude::*;

topology! {
    pub HomeLab {}
}

fn main() {}
