//! Compile-pass and compile-fail tests of the macros live in `tests/`.
//!
//! This crate also compiles every Rust block of the book as a doc test (`cargo test --doc -p
//! ui-tests`): each chapter is included below, so its blocks see the workspace's crates.

macro_rules! book_chapters {
    ($($name:ident => $file:literal),* $(,)?) => {$(
        #[cfg(doctest)]
        #[doc = include_str!(concat!("../../book/src/", $file))]
        pub struct $name;
    )*};
}

book_chapters! {
    Introduction => "introduction.md",
    Quickstart => "ch01-quickstart.md",
    FirstTopology => "ch02-topology.md",
    ScoresAndWiring => "ch03-scores.md",
    CompileErrors => "ch04-compile-errors.md",
    OwnScore => "ch05-own-score.md",
    Testing => "ch06-testing.md",
    Kubernetes => "ch07-kubernetes.md",
    Fleet => "ch08-fleet.md",
    Reference => "ch09-reference.md",
    Config => "ch10-config.md",
    HelmCharts => "ch11-helm.md",
    FailoverAndSites => "ch12-failover.md",
    FailoverNeverSplits => "ch14-failover-never-splits.md",
    SmokeTests => "ch13-smoke-tests.md",
    OwnCapability => "ch15-own-capability.md",
}
