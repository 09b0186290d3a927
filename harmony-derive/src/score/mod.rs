//! `score!`: score instances bound to one topology, in dependency order, with typed wiring →
//! typestate builder calls, placement bounds, dependency edges, and a function returning the plan.
//!
//! Three steps per plan function: [`parse`] reads the input as written (recovering from the
//! usual slips), [`check`] records every error in one [`Errors`] collection and turns what passes
//! into a model, and [`generate`] writes the model out, with the errors beside the generated code
//! so that the compiler still checks the rest of the input. Each score's builder chain then goes
//! through its score type's field table, one expansion later ([`table`], `score_fields!`), where
//! unknown and missing fields are reported in the user's words.

mod check;
mod generate;
mod parse;
pub(crate) mod table;

use proc_macro2::{Span, TokenStream};

use crate::diag::Errors;

/// Expands `score! { fn name() -> Plan<Topology> { ... } ... }`.
pub fn expand(input: TokenStream) -> TokenStream {
    if input.is_empty() {
        return syn::Error::new(
            Span::call_site(),
            "`score!` is empty: write a plan function in it, e.g. `score! { pub fn shop() -> Plan<HomeLab> { db = Postgres { storage: \"10Gi\" }; } }`",
        )
        .to_compile_error();
    }
    let fns = match syn::parse2::<parse::PlanFns>(input) {
        Ok(fns) => fns,
        Err(e) => return e.to_compile_error(),
    };
    fns.0
        .iter()
        .map(|def| {
            let mut errors = Errors::default();
            let model = check::check(def, &mut errors);
            generate::generate(&model, errors.into_compile_errors())
        })
        .collect()
}
