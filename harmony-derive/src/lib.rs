//! Procedural macros of Harmony DSL. Use them through `harmony_dsl` (`harmony_dsl::prelude::*`).
//!
//! Each macro's logic is a plain function over `proc_macro2::TokenStream` in its own module, so it
//! is unit-tested and fuzzed outside the compiler; the entry points here only convert.

mod capability;

/// Declares a capability trait and its `Provides*` marker: `capability! { Name(ProvidesName) manages Resource }`.
#[proc_macro]
pub fn capability(input: proc_macro::TokenStream) -> proc_macro::TokenStream {
    capability::expand(input.into()).into()
}

/// Placeholder until the real derives land.
#[proc_macro_derive(Score, attributes(score))]
pub fn derive_score(_input: proc_macro::TokenStream) -> proc_macro::TokenStream {
    proc_macro::TokenStream::new()
}

/// Placeholder until the real derives land.
#[proc_macro_derive(Provider, attributes(provider))]
pub fn derive_provider(_input: proc_macro::TokenStream) -> proc_macro::TokenStream {
    proc_macro::TokenStream::new()
}

/// Placeholder.
#[proc_macro]
pub fn topology(_input: proc_macro::TokenStream) -> proc_macro::TokenStream {
    proc_macro::TokenStream::new()
}

/// Placeholder.
#[proc_macro]
pub fn score(_input: proc_macro::TokenStream) -> proc_macro::TokenStream {
    proc_macro::TokenStream::new()
}
