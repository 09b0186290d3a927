//! `score!`, step 4, one expansion later: `score_fields!`, the other half of the field table a
//! `#[derive(Score)]` emits as a hidden `macro_rules!` under the score's name. `score!` hands
//! each score's builder chain to `Postgres! { ... }`, which adds the field table and calls this.
//! Here unknown fields are reported in the user's words, on the field as written, at expansion
//! time (so an editor shows them while typing), and their setter calls are dropped (no "no method
//! named ... found for struct `PostgresBuilder<__T>`" on top). Its errors go through the same
//! [`Errors`] collection as the other steps'.
//!
//! A literal written in a host field (`place: "nuc.local"`, `devices: ["pi1"]`) is reported here
//! too, with the field rewritten with bare host names: the field table says which fields are
//! hosts, so no string literal costs a compile-time check for it.
//!
//! Input: `"Kind field required_field! host_field@ ..." [Kind as written] [literal checks] [plan.add::<Kind>]
//! [&mut plan, "name"] [&[dependencies]] [builder start] [([key] [calls]) ...] [.build()]`;
//! output: `Plan::add::<Kind>(&mut plan, "name", { checks; builder.calls().build() }, &[deps])`.

use proc_macro2::{Delimiter, TokenStream, TokenTree};
use quote::quote;
use syn::ext::IdentExt;

use crate::diag::{Errors, did_you_mean, with_suggestion};

/// Expands `score_fields!` (see the module doc).
pub fn expand(input: TokenStream) -> TokenStream {
    let mut tokens = input.into_iter();
    let Some(TokenTree::Literal(table)) = tokens.next() else {
        return quote! { ::core::compile_error!("internal: malformed `score_fields!` input") };
    };
    // One literal, read with one call into the compiler (this runs once per score).
    let table = unquote(&table.to_string());
    let mut words = table.split(' ');
    let kind = words.next().unwrap_or_default().to_string();
    let mut host_fields = Vec::new();
    let fields: Vec<(String, bool)> = words
        .map(|word| {
            let word = match word.strip_suffix('@') {
                Some(host) => {
                    host_fields.push(host.trim_end_matches('!').to_string());
                    host
                }
                None => word,
            };
            match word.strip_suffix('!') {
                Some(required) => (required.to_string(), true),
                None => (word.to_string(), false),
            }
        })
        .collect();
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
    // A setter left out after its error: the score's value is then not built (see below).
    let mut dropped = false;
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
            completions.extend(quote! { #[cfg(rust_analyzer)] let _ = #start #kept.#key; });
            continue;
        }
        written.push(name.clone());
        if known
            && host_fields.contains(&name)
            && let Some(error) = literal_in_host_field(&name, setters.stream())
        {
            errors.push(error);
            dropped = true;
            continue;
        }
        if known {
            kept.extend(setters.stream());
        } else {
            completions.extend(quote! { #[cfg(rust_analyzer)] let _ = #start.#key; });
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
    let completions = for_completion_only(completions);
    let span = kind_path
        .clone()
        .into_iter()
        .last()
        .map_or_else(proc_macro2::Span::call_site, |t| t.span());
    // The call's parentheses on the score type (see `score!`'s generate step).
    let call = |value: TokenStream| {
        let mut args =
            proc_macro2::Group::new(Delimiter::Parenthesis, quote! { #name, #value, #deps });
        args.set_span(span);
        quote! { #add #args }
    };
    if !missing.is_empty() {
        errors.at(span, missing_fields_message(&kind, &missing));
    }
    if !missing.is_empty() || dropped {
        let errors = errors.into_compile_errors();
        return call(quote! {
            { #errors #checks #completions let _ = #start #kept; <#kind_path>::__harmony_unfinished() }
        });
    }
    let errors = errors.into_compile_errors();
    call(quote! { { #errors #checks #completions #start #kept #build } })
}

/// The error for literals written in host field `key` (its setter calls `setters`, as `score!`
/// wrote them: the user's literals keep their spans, and the const arguments `score!` adds are
/// in braces, as is a Rust expression): a host is written as its name, so the message rewrites
/// the field that way. `None` when the field holds no literal.
fn literal_in_host_field(key: &str, setters: TokenStream) -> Option<syn::Error> {
    fn collect(tokens: TokenStream, literals: &mut Vec<proc_macro2::Literal>, list: &mut bool) {
        for token in tokens {
            match token {
                TokenTree::Literal(literal) => literals.push(literal),
                TokenTree::Group(group) if group.delimiter() != Delimiter::Brace => {
                    *list |= group.delimiter() == Delimiter::Bracket;
                    collect(group.stream(), literals, list);
                }
                _ => {}
            }
        }
    }
    let mut literals = Vec::new();
    let mut list = false;
    collect(setters, &mut literals, &mut list);
    let strings: Vec<String> = literals
        .iter()
        .filter_map(|l| syn::parse2::<syn::LitStr>(TokenTree::Literal(l.clone()).into()).ok())
        .map(|s| s.value())
        .collect();
    let message = if strings.len() == literals.len() {
        crate::literal::host_as_string_message(key, &strings, list, None)
    } else {
        format!(
            "`{key}` takes a host, written as the name it has under `hosts {{ ... }}` in `topology!`, e.g. `{key}: nuc`, not a value"
        )
    };
    let tokens: TokenStream = literals.into_iter().map(TokenTree::Literal).collect();
    (!tokens.is_empty()).then(|| syn::Error::new_spanned(tokens, message))
}

/// `statements` (each `#[cfg(rust_analyzer)]`), for the editor only: a field name not known yet
/// (half-typed, or misspelt) written as a member of the typed builder, carrying the user's span,
/// so that rust-analyzer's completion lists the builder's setters there: the field names, with
/// their docs. rust-analyzer enables `cfg(rust_analyzer)` for the workspace's crates (its
/// documented escape hatch for code only it should see); the compiler never sees these
/// statements, which would add "no method named ..." about the builder to the error above. No
/// check-cfg knows that name, hence the `allow`. The editor test (`ui-tests/tests/editor.rs`)
/// checks that completion still works this way.
fn for_completion_only(statements: TokenStream) -> TokenStream {
    if statements.is_empty() {
        return statements;
    }
    quote! {
        #[allow(unexpected_cfgs)]
        let () = { #statements };
    }
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

/// The text of a string literal token as written by the derive (`"Postgres storage"`: no
/// escapes).
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
