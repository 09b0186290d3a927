//! Tests of the expansion functions, outside the compiler: snapshots of real infrastructure files
//! and property tests that feed arbitrary and mutated input.

mod fuzz;
mod snapshots;

use proc_macro2::TokenStream;

/// An expansion function.
type Expander = fn(TokenStream) -> TokenStream;

/// Every expansion function, by name.
pub(crate) const EXPANDERS: &[(&str, Expander)] = &[
    ("topology!", crate::topology::expand),
    ("score!", crate::score::expand),
    ("derive(Score)", crate::score_derive::expand),
    ("derive(Provider)", crate::provider_derive::expand),
    ("capability!", crate::capability::expand),
    ("derive(Config)", crate::config_derive::expand),
];

/// The invocations of `topology!` / `score!` and the `#[derive(Score)]` items in a Rust file.
pub(crate) fn invocations(source: &str) -> Vec<(&'static str, TokenStream)> {
    let file = syn::parse_file(source).expect("example parses as Rust");
    let mut out = Vec::new();
    for item in file.items {
        match item {
            syn::Item::Macro(m) if m.mac.path.is_ident("topology") => {
                out.push(("topology!", m.mac.tokens));
            }
            syn::Item::Macro(m) if m.mac.path.is_ident("score") => {
                out.push(("score!", m.mac.tokens))
            }
            syn::Item::Struct(s) if derives(&s.attrs, "Score") => {
                out.push(("derive(Score)", quote::quote!(#s)));
            }
            syn::Item::Struct(s) if derives(&s.attrs, "Provider") => {
                out.push(("derive(Provider)", quote::quote!(#s)));
            }
            syn::Item::Struct(s) if derives(&s.attrs, "Config") => {
                out.push(("derive(Config)", quote::quote!(#s)));
            }
            _ => {}
        }
    }
    out
}

fn derives(attrs: &[syn::Attribute], name: &str) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("derive")
            && a.parse_args_with(
                syn::punctuated::Punctuated::<syn::Path, syn::Token![,]>::parse_terminated,
            )
            .is_ok_and(|paths| paths.iter().any(|p| p.is_ident(name)))
    })
}

/// Runs the expander called `name`.
pub(crate) fn expand(name: &str, input: TokenStream) -> TokenStream {
    let (_, f) = EXPANDERS
        .iter()
        .find(|(n, _)| *n == name)
        .expect("known expander");
    f(input)
}

/// The Rust files whose macro use is snapshotted: the examples and the built-in scores/providers.
pub(crate) fn sources() -> Vec<(String, String)> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    for dir in [
        "examples/src/bin",
        "harmony-dsl/src/scores",
        "harmony-runtime/src/providers",
    ] {
        let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "rs") {
                let name = format!(
                    "{}__{}",
                    dir.replace('/', "_"),
                    path.file_stem().unwrap_or_default().to_string_lossy()
                );
                files.push((
                    name,
                    std::fs::read_to_string(&path).expect("readable source"),
                ));
            }
        }
    }
    files.sort();
    files
}
