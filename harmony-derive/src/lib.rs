//! Procedural macros of Harmony DSL. Use them through `harmony_dsl` (`harmony_dsl::prelude::*`).
//!
//! Each macro's logic is a plain function over `proc_macro2::TokenStream` in its own module, so it
//! is unit-tested and fuzzed outside the compiler; the entry points here only convert.

mod builder;
mod capability;
mod config_derive;
mod diag;
mod failover_timing;
mod fields;
mod keyed;
mod literal;
mod provider_derive;
mod rollout;
mod score;
mod score_derive;
mod syntax;
mod topology;
/// The typed values: the macros validate each literal at expansion time with the very validators
/// that `FromStr` and the const checks use.
use harmony_values as value;

/// Declares a capability trait and its `Provides*` marker:
/// `capability! { /// docs  Name(ProvidesName) manages Resource }`.
#[proc_macro]
pub fn capability(input: proc_macro::TokenStream) -> proc_macro::TokenStream {
    capability::expand(input.into()).into()
}

/// Derives a score: its schema, `Score<T>` with capability bounds, outputs and a typestate builder.
///
/// `#[score(requires(K8sCluster, ...), outputs(name: Type, ...), host(arch = aarch64, labels(gpu)))]`
/// on the struct; `#[score(default)]`, `#[score(default = value)]` and `#[score(requires(Cap))]`
/// (required only when the field is set) on fields.
#[proc_macro_derive(Score, attributes(score))]
pub fn derive_score(input: proc_macro::TokenStream) -> proc_macro::TokenStream {
    score_derive::expand(input.into()).into()
}

/// Derives a capability provider's field table, environment overrides and host placement check
/// (`#[provider(host(arch = x86_64))]`).
#[proc_macro_derive(Provider, attributes(provider))]
pub fn derive_provider(input: proc_macro::TokenStream) -> proc_macro::TokenStream {
    provider_derive::expand(input.into()).into()
}

/// Derives a configuration schema: each field is resolved from the sources in order
/// (environment, TOML file, secret store); `SecretRef` fields stay references until apply time.
///
/// `#[config(key = "name")]` renames a key; `#[config(default = literal)]` gives a default.
#[proc_macro_derive(Config, attributes(config))]
pub fn derive_config(input: proc_macro::TokenStream) -> proc_macro::TokenStream {
    config_derive::expand(input.into()).into()
}

/// Declares a topology: hosts and the capabilities it offers, each bound to a provider.
#[proc_macro]
pub fn topology(input: proc_macro::TokenStream) -> proc_macro::TokenStream {
    topology::expand(input.into()).into()
}

/// Declares plan functions: score instances in dependency order, with typed wiring.
#[proc_macro]
pub fn score(input: proc_macro::TokenStream) -> proc_macro::TokenStream {
    score::expand(input.into()).into()
}

/// A failover pair's timing, checked at compile time, each rule's error on the value it is
/// about: `failover_timing!(heartbeat_timeout: "500ms", failure_threshold: 3,
/// failover_timeout: "2s")` (also `success_threshold: 2`). `failover_timeout` must be longer
/// than `heartbeat_timeout × failure_threshold`; the error names the smallest valid one.
#[proc_macro]
pub fn failover_timing(input: proc_macro::TokenStream) -> proc_macro::TokenStream {
    failover_timing::expand(input.into()).into()
}

/// A fleet score's rollout policy, checked at compile time:
/// `rollout! { group: [cam1, cam2, cam3], canary: 1, waves: 2, max_unavailable: 1, failure_threshold: 1 }`
/// (also `group: label(sensors)`, `canary: 10%`, `healthy_for: "10s"`, `timeout: "2m"`).
#[proc_macro]
pub fn rollout(input: proc_macro::TokenStream) -> proc_macro::TokenStream {
    rollout::expand(input.into()).into()
}

/// Internal to `score!`: checks a score's builder chain against its field table (see
/// `#[derive(Score)]`). Not for direct use.
#[doc(hidden)]
#[proc_macro]
pub fn score_fields(input: proc_macro::TokenStream) -> proc_macro::TokenStream {
    score::table::expand(input.into()).into()
}

#[cfg(test)]
mod tests;
