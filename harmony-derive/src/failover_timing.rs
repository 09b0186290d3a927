//! `failover_timing!(heartbeat_timeout: "500ms", failure_threshold: 3, failover_timeout: "2s")`:
//! a `harmony_dsl::FailoverTiming` whose rules are `const` items, each spanned on the value it
//! checks, so a broken rule is a compile error on that value (the timing rule's on
//! `failover_timeout`; see `harmony_dsl::failover_timing`).

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream};
use syn::{Ident, Lit, Token};

/// Each key with an example of its value; the first three are required.
const KEYS: &[(&str, &str)] = &[
    ("heartbeat_timeout", "\"500ms\""),
    ("failure_threshold", "3"),
    ("failover_timeout", "\"2s\""),
    ("success_threshold", "2"),
];

struct Entry {
    key: Ident,
    value: Lit,
}

impl Parse for Entry {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let key = Ident::parse_any(input)?;
        let name = key.unraw().to_string();
        let Some((_, example)) = KEYS.iter().find(|(k, _)| *k == name) else {
            let keys: Vec<&str> = KEYS.iter().map(|(k, _)| *k).collect();
            return Err(syn::Error::new(
                key.span(),
                crate::keyed::unknown_key(&name, "failover_timing", &keys),
            ));
        };
        input.parse::<Token![:]>()?;
        let is_duration = example.starts_with('"');
        let value: Lit = input.parse().map_err(|e| {
            syn::Error::new(
                e.span(),
                format!("`{name}` takes a literal, e.g. `{name}: {example}`"),
            )
        })?;
        let fits = match &value {
            Lit::Str(_) => is_duration,
            Lit::Int(n) => !is_duration && n.base10_parse::<u32>().is_ok(),
            _ => false,
        };
        if !fits {
            let what = if is_duration {
                "a duration written as a string"
            } else {
                "a whole number from 0 to 4294967295"
            };
            return Err(syn::Error::new(
                value.span(),
                format!("`{name}` takes {what}, e.g. `{name}: {example}`"),
            ));
        }
        Ok(Entry { key, value })
    }
}

type Input = crate::keyed::Entries<Entry>;

/// The expansion of `failover_timing!(..)`.
pub fn expand(input: TokenStream) -> TokenStream {
    match syn::parse2::<Input>(input).and_then(generate) {
        Ok(tokens) => tokens,
        Err(e) => {
            let error = e.to_compile_error();
            // An expression of the right type after the error, so no second error follows.
            quote! {{ #error; ::harmony_dsl::FailoverTiming::__unchecked("1s", 1, 2, "2s") }}
        }
    }
}

/// `::harmony_dsl::failover_timing::check` spanned at `span`: a check's call expression then
/// spans the value only, so that is where the compiler puts the error.
fn check_at(span: Span) -> TokenStream {
    quote_spanned! {span=> ::harmony_dsl::failover_timing::check }
}

fn generate(input: Input) -> syn::Result<TokenStream> {
    let mut found: Vec<(String, &Lit)> = Vec::new();
    for entry in &input.entries {
        let name = entry.key.unraw().to_string();
        if found.iter().any(|(n, _)| *n == name) {
            return Err(syn::Error::new(
                entry.key.span(),
                format!("`{name}` is given twice: give each key once"),
            ));
        }
        found.push((name, &entry.value));
    }
    let get = |key: &str| found.iter().find(|(n, _)| n == key).map(|(_, v)| *v);
    let mut required = Vec::new();
    for (key, example) in &KEYS[..3] {
        match get(key) {
            Some(value) => required.push(value),
            None => {
                return Err(syn::Error::new(
                    Span::call_site(),
                    format!("`failover_timing!` needs `{key}`, e.g. `{key}: {example}`"),
                ));
            }
        }
    }
    let (heartbeat, failures, failover) = (required[0], required[1], required[2]);
    let successes = get("success_threshold");
    let mut checks = Vec::new();
    let check = check_at(heartbeat.span());
    checks.push(
        quote_spanned! {heartbeat.span()=> const _: () = #check::heartbeat_timeout(#heartbeat); },
    );
    let check = check_at(failures.span());
    checks.push(
        quote_spanned! {failures.span()=> const _: () = #check::failure_threshold(#failures); },
    );
    let check = check_at(failover.span());
    checks.push(quote_spanned! {failover.span()=> const _: () = #check::failover_timeout(#heartbeat, #failures, #failover); });
    let successes = match successes {
        Some(value) => {
            let check = check_at(value.span());
            checks.push(
                quote_spanned! {value.span()=> const _: () = #check::success_threshold(#value); },
            );
            quote! { #value }
        }
        None => quote! { 2 },
    };
    Ok(quote! {{
        #(#checks)*
        const TIMING: ::harmony_dsl::FailoverTiming = ::harmony_dsl::FailoverTiming::__unchecked(
            #heartbeat, #failures, #successes, #failover,
        );
        TIMING
    }})
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error_of(input: TokenStream) -> String {
        match syn::parse2::<Input>(input).and_then(generate) {
            Ok(_) => String::new(),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn a_misspelt_key_gets_a_suggestion() {
        assert_eq!(
            error_of(quote! { heartbeat_timeout: "1s", failure_treshold: 3 }),
            "`failure_treshold` is not a key of `failover_timing!`: did you mean `failure_threshold`?"
        );
    }

    #[test]
    fn missing_duplicate_and_mistyped_values_are_named() {
        assert_eq!(
            error_of(quote! { heartbeat_timeout: "1s", failure_threshold: 3 }),
            "`failover_timing!` needs `failover_timeout`, e.g. `failover_timeout: \"2s\"`"
        );
        assert_eq!(
            error_of(
                quote! { heartbeat_timeout: "1s", heartbeat_timeout: "2s", failure_threshold: 3 }
            ),
            "`heartbeat_timeout` is given twice: give each key once"
        );
        assert_eq!(
            error_of(quote! { heartbeat_timeout: 500 }),
            "`heartbeat_timeout` takes a duration written as a string, e.g. `heartbeat_timeout: \"500ms\"`"
        );
        assert_eq!(
            error_of(quote! { failure_threshold: "3" }),
            "`failure_threshold` takes a whole number from 0 to 4294967295, e.g. `failure_threshold: 3`"
        );
    }

    #[test]
    fn malformed_input_does_not_panic() {
        for input in [
            quote! { heartbeat_timeout },
            quote! { heartbeat_timeout: },
            quote! { failure_threshold: -1 },
            quote! { failure_threshold: 99999999999 },
            quote! { "1s" },
            quote! {},
        ] {
            assert!(!error_of(input).is_empty());
        }
    }
}
