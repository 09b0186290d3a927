//! Harmony runtime: executes interpret plans.
//!
//! - [`executor`]: the DAG scheduler (ready queue, parallelism bound, timeout, retries,
//!   skipping, cancellation), generic over [`executor::StepRunner`].
//! - [`report`]: step results, summary table, JSON (schema in `SCHEMA.md`).
//! - [`state`]: the project state (snapshot and journal) and the apply lock.
//! - [`safe_fs`]: files written safely as root (no link followed, private temporaries).
//! - [`engine`]: [`Engine`], the library core: `plan`, `apply`, `apply_saved`, `smoke`, `status`,
//!   `render`, each returning a typed document; it owns the run context (state, lock, options,
//!   prober, connection pools).
//! - [`cli`](fn@cli): the command line a user's `main` hands its topology and plan to ([`App`]).
//! - [`redact`]: what may be printed: URL credentials masked, control characters escaped, other
//!   crates' debug output kept off the terminal.
//! - [`config`]: configuration sources (environment, TOML file, Vault/OpenBao KV v2) and the
//!   apply-time resolution of secret references.
//! - [`local`]: [`Localhost`], the embedded default topology, and its providers.
//! - [`render`]: deterministic artifacts for `render DIR`.
//! - [`inflate`]: Helm charts replaced by their objects before a plan is planned, applied or
//!   rendered.
//! - [`smoke`]: the prober that performs scores' smoke tests.
//! - [`providers`]: capability providers for clusters, DNS, load balancers, identity, containers
//!   and fleets.
//!
//! ```no_run
//! use harmony_dsl::Plan;
//! use harmony_runtime::Localhost;
//!
//! fn main() -> std::process::ExitCode {
//!     let plan: Plan<Localhost> = Plan::new("empty");
//!     harmony_runtime::cli(Localhost::from_env(), plan)
//! }
//! ```

#![warn(missing_docs)]

pub mod cli;
pub mod config;
pub mod engine;
pub mod executor;
mod hash;
mod http;
pub mod inflate;
pub mod local;
pub mod providers;
pub mod redact;
pub mod render;
pub mod report;
pub mod safe_fs;
pub mod smoke;
pub mod state;

/// The `clap` whose commands [`App::subcommand`] takes.
pub use clap;
pub use cli::{
    App, ExitStatus, IntoTopology, cli, cli_from, cli_with_config, cli_with_config_from,
};
pub use engine::{Engine, EngineError};
pub use local::Localhost;

/// Everything an infrastructure file needs: the DSL's prelude, the providers and [`Localhost`].
pub mod prelude {
    pub use crate::Localhost;
    pub use crate::providers::*;
    pub use harmony_dsl::prelude::*;
}
