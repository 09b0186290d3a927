//! Harmony runtime.

pub mod providers;

/// Everything an infrastructure file needs: the DSL's prelude and the providers.
pub mod prelude {
    pub use crate::providers::*;
    pub use harmony_dsl::prelude::*;
}

/// Anything `cli` accepts as a topology: the topology, or the result of building it.
pub trait IntoTopology<T> {
    /// The topology, or why it could not be built.
    fn into_topology(self) -> harmony_dsl::Result<T>;
}

impl<T: harmony_dsl::Topology> IntoTopology<T> for T {
    fn into_topology(self) -> harmony_dsl::Result<T> {
        Ok(self)
    }
}

impl<T: harmony_dsl::Topology> IntoTopology<T> for harmony_dsl::Result<T> {
    fn into_topology(self) -> harmony_dsl::Result<T> {
        self
    }
}

/// Interim entry point until the executor lands: prints the plan.
pub fn cli<T: harmony_dsl::Topology>(
    topology: impl IntoTopology<T>,
    plan: harmony_dsl::Plan<T>,
) -> std::process::ExitCode {
    match topology.into_topology() {
        Ok(_) => {
            print!("{plan}");
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
