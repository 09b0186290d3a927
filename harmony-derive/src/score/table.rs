//! `score!`, step 4, one expansion later: `score_fields!`, the other half of the field table a
//! `#[derive(Score)]` emits as a hidden `macro_rules!` under the score's name. `score!` hands
//! each score's builder chain to `Postgres! { ... }`, which adds the field table and calls this.
//! Here unknown fields are reported in the user's words, on the field as written, at expansion
//! time (so an editor shows them while typing), and their setter calls are dropped (no "no method
//! named ... found for struct `PostgresBuilder<__T>`" on top). Its errors go through the same
//! [`Errors`] collection as the other steps'.
//!
//! Input: `"Kind" [("field" required) ...] [Kind as written] [literal checks] [plan.add::<Kind>]
//! [&mut plan, "name"] [&[dependencies]] [builder start] [([key] [calls]) ...] [.build()]`;
//! output: `Plan::add::<Kind>(&mut plan, "name", { checks; builder.calls().build() }, &[deps])`.

use proc_macro2::{Delimiter, TokenStream, TokenTree};
use quote::quote;
use syn::ext::IdentExt;

use crate::diag::{Errors, did_you_mean, with_suggestion};

/// Expands `score_fields!` (see the module doc).
pub fn expand(input: TokenStream) -> TokenStream {
    let mut tokens = input.into_iter();
    let (Some(TokenTree::Literal(kind)), Some(TokenTree::Group(table))) =
        (tokens.next(), tokens.next())
    else {
        return quote! { ::core::compile_error!("internal: malformed `score_fields!` input") };
    };
    let kind = unquote(&kind.to_string());
    let mut fields = Vec::new();
    for entry in table.stream() {
        let TokenTree::Group(entry) = entry else {
            continue;
        };
        let mut parts = entry.stream().into_iter();
        if let (Some(TokenTree::Literal(name)), Some(TokenTree::Ident(required))) =
            (parts.next(), parts.next())
        {
            fields.push((unquote(&name.to_string()), required == "true"));
        }
    }
    let groups: Vec<TokenStream> = tokens
        .filter_map(|t| match t {
            TokenTree::Group(g) if g.delimiter() == Delimiter::Bracket => Some(g.stream()),
            _ => None,
        })
        .collect();
    let [kind_path, checks, add, name, deps, start, calls, build] = groups.as_slice() else {
        return quote! { ::core::compile_error!("internal: malformed `score_fields!` input") };
    };
    let mut errors = Errors::default();
    let mut kept = TokenStream::new();
    let mut written: Vec<String> = Vec::new();
    let mut completions = TokenStream::new();
    for call in calls.clone() {
        let TokenTree::Group(call) = call else {
            continue;
        };
        let mut parts = call.stream().into_iter();
        let (Some(TokenTree::Group(key)), Some(TokenTree::Group(setters))) =
            (parts.next(), parts.next())
        else {
            continue;
        };
        let Some(TokenTree::Ident(key)) = key.stream().into_iter().next() else {
            continue;
        };
        let name = key.unraw().to_string();
        let known = fields.iter().any(|(f, _)| *f == name);
        if setters.stream().is_empty() {
            // A key without a value yet (reported by `score!`): for completion only.
            if under_rust_analyzer() {
                completions.extend(quote! { let _ = #start #kept.#key; });
            }
            continue;
        }
        written.push(name.clone());
        if known {
            kept.extend(setters.stream());
        } else {
            if under_rust_analyzer() {
                completions.extend(quote! { let _ = #start.#key; });
            }
            errors.at(key.span(), unknown_field_message(&kind, &name, &fields));
        }
    }
    // Required fields not written: said here, at expansion time, on the score type; the chain
    // is still checked (`let _ = ..`), and the score's value comes from a hidden constructor,
    // so the builder's typestate adds no second error.
    let missing: Vec<&str> = fields
        .iter()
        .filter(|(f, required)| *required && !written.contains(f))
        .map(|(f, _)| f.as_str())
        .collect();
    let span = kind_path
        .clone()
        .into_iter()
        .last()
        .map_or_else(proc_macro2::Span::call_site, |t| t.span());
    // The call's parentheses on the score type (see `plan.rs`).
    let call = |value: TokenStream| {
        let mut args =
            proc_macro2::Group::new(Delimiter::Parenthesis, quote! { #name, #value, #deps });
        args.set_span(span);
        quote! { #add #args }
    };
    if !missing.is_empty() {
        errors.at(span, missing_fields_message(&kind, &missing));
        let errors = errors.into_compile_errors();
        return call(quote! {
            { #errors #checks #completions let _ = #start #kept; <#kind_path>::__harmony_unfinished() }
        });
    }
    let errors = errors.into_compile_errors();
    call(quote! { { #errors #checks #completions #start #kept #build } })
}

/// Whether this expansion runs in rust-analyzer's proc-macro server (which sets this variable for
/// itself; it is not an interface, so the editor test `ui-tests/tests/editor.rs` checks that it
/// still works). There, a field name not known yet (half-typed, or misspelt) is also written as a
/// member of the typed builder, carrying the user's span, so that completion lists the builder's
/// setters: the field names, with their docs. The compiler never sees that code (it would add
/// "no method named ..." about the builder to the error above).
fn under_rust_analyzer() -> bool {
    std::env::var_os("RUST_ANALYZER_INTERNALS_DO_NOT_USE").is_some()
}

/// "`Postgres` has no field `storrage`; did you mean `storage`? Its fields: ...".
pub fn unknown_field_message(kind: &str, name: &str, fields: &[(String, bool)]) -> String {
    let suggestion = did_you_mean(name, fields.iter().map(|(f, _)| f.as_str()));
    let list = if fields.is_empty() {
        format!("`{kind}` has no fields")
    } else {
        let names: Vec<String> = fields
            .iter()
            .map(|(f, required)| {
                if *required {
                    format!("`{f}` (required)")
                } else {
                    format!("`{f}`")
                }
            })
            .collect();
        format!("its fields are {}", names.join(", "))
    };
    with_suggestion(format!("`{kind}` has no field `{name}`"), suggestion, &list)
}

/// "score `WebApp` is missing required field `image`; add `image: <value>` (it has no default)".
pub fn missing_fields_message(kind: &str, missing: &[&str]) -> String {
    match missing {
        [one] => format!(
            "score `{kind}` is missing required field `{one}`: add `{one}: <value>` to this `{kind}`; it has no default"
        ),
        _ => {
            let names: Vec<String> = missing.iter().map(|f| format!("`{f}`")).collect();
            format!(
                "score `{kind}` is missing required fields {}: add each as `field: <value>` to this `{kind}`; they have no default",
                names.join(", ")
            )
        }
    }
}

/// The text of a string literal token as written by the derive (`"storage"`: no escapes).
fn unquote(literal: &str) -> String {
    literal.trim_matches('"').to_string()
}

#[cfg(test)]
mod tests {
    use super::unknown_field_message;

    #[test]
    fn unknown_field_reads_in_the_users_words() {
        let fields = [
            ("version".to_string(), false),
            ("storage".to_string(), false),
        ];
        assert_eq!(
            unknown_field_message("Postgres", "storrage", &fields),
            "`Postgres` has no field `storrage`; did you mean `storage`? Its fields are `version`, `storage`"
        );
        assert_eq!(
            unknown_field_message("Postgres", "zzz", &fields),
            "`Postgres` has no field `zzz`; its fields are `version`, `storage`"
        );
    }
}
