//! `topology!`: hosts and capability providers become a topology type, one marker type per host
//! (so placement rules are trait bounds), capability impls bound to providers, and constructors.
//!
//! Three steps: [`parse`] reads the input as written (recovering from the usual slips),
//! [`check`] records every error in one [`Errors`] collection and turns what passes into a
//! model, and [`generate`] writes the model out. The errors are emitted beside the generated
//! code, so the compiler still checks the rest of the input (an unknown provider, say).

mod check;
mod generate;
mod parse;

use proc_macro2::TokenStream;
use quote::quote;

pub(crate) use check::no_duplicate_hosts;

use crate::diag::Errors;

/// Expands `topology! { ... }`.
pub fn expand(input: TokenStream) -> TokenStream {
    let def = match syn::parse2::<parse::TopologyDef>(input) {
        Ok(def) => def,
        Err(e) => return e.to_compile_error(),
    };
    let mut errors = Errors::default();
    let model = check::check(&def, &mut errors);
    let code = generate::generate(&model);
    let errors = errors.into_compile_errors();
    quote! {
        #code
        #errors
    }
}
