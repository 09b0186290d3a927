//! `rollout! { group: [..], canary: 1, waves: 3, max_unavailable: 1, failure_threshold: 1 }`:
//! a `harmony_dsl::RolloutPolicy` whose rules are `const` items, each spanned on the value it
//! checks, so a broken rule is a compile error on that value (see `harmony_dsl::rollout`).

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Ident, LitInt, LitStr, Token};

const KEYS: &[&str] = &[
    "group",
    "canary",
    "waves",
    "max_unavailable",
    "failure_threshold",
    "healthy_for",
    "timeout",
];

const DEFAULT_HEALTHY_FOR: &str = "3s";
const DEFAULT_TIMEOUT: &str = "2m";

enum Group {
    Devices(Vec<Ident>),
    Label(Ident),
}

enum CanaryValue {
    Devices(LitInt),
    Percent(LitInt, Token![%]),
}

enum Value {
    Group(Group),
    Canary(CanaryValue),
    Int(LitInt),
    Duration(LitStr),
}

struct Entry {
    key: Ident,
    value: Value,
}

impl Parse for Entry {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let key = Ident::parse_any(input)?;
        let name = key.unraw().to_string();
        if !KEYS.contains(&name.as_str()) {
            return Err(syn::Error::new(
                key.span(),
                crate::keyed::unknown_key(&name, "rollout", KEYS),
            ));
        }
        input.parse::<Token![:]>()?;
        let value = match name.as_str() {
            "group" => Value::Group(parse_group(input)?),
            "canary" => {
                let n = parse_int(input, "canary", "`canary: 1` or `canary: 10%`")?;
                if input.peek(Token![%]) {
                    Value::Canary(CanaryValue::Percent(n, input.parse()?))
                } else {
                    Value::Canary(CanaryValue::Devices(n))
                }
            }
            "healthy_for" | "timeout" => {
                let example = if name == "timeout" { "2m" } else { "10s" };
                if !input.peek(LitStr) {
                    return Err(input.error(format!(
                        "`{name}` is a duration written as a string, e.g. `{name}: \"{example}\"`"
                    )));
                }
                Value::Duration(input.parse()?)
            }
            _ => Value::Int(parse_int(input, &name, &format!("`{name}: 1`"))?),
        };
        Ok(Entry { key, value })
    }
}

fn parse_int(input: ParseStream, key: &str, example: &str) -> syn::Result<LitInt> {
    if input.peek(Token![-]) {
        return Err(input.error(format!(
            "`{key}` counts devices and cannot be negative, e.g. {example}"
        )));
    }
    if !input.peek(LitInt) {
        return Err(input.error(format!("`{key}` takes a whole number, e.g. {example}")));
    }
    let lit: LitInt = input.parse()?;
    if lit.base10_parse::<u32>().is_err() {
        return Err(syn::Error::new(
            lit.span(),
            format!(
                "`{key}` takes a whole number from 0 to {}, e.g. {example}",
                u32::MAX
            ),
        ));
    }
    Ok(lit)
}

fn parse_group(input: ParseStream) -> syn::Result<Group> {
    const HINT: &str = "a group is a list of devices, e.g. `group: [cam1, cam2, cam3]`, or a label, e.g. `group: label(sensors)`";
    if input.peek(syn::token::Bracket) {
        let content;
        syn::bracketed!(content in input);
        if content.peek(LitStr) {
            let s: LitStr = content.parse()?;
            return Err(syn::Error::new(
                s.span(),
                format!(
                    "a device is written as its host name, without quotes, e.g. `group: [{}]`",
                    s.value()
                ),
            ));
        }
        let devices =
            Punctuated::<Ident, Token![,]>::parse_terminated_with(&content, Ident::parse_any)?;
        let devices: Vec<Ident> = devices.into_iter().collect();
        for (i, device) in devices.iter().enumerate() {
            if devices[..i].iter().any(|d| d.unraw() == device.unraw()) {
                return Err(syn::Error::new(
                    device.span(),
                    format!(
                        "device `{}` is named twice in the group: name each device once",
                        device.unraw()
                    ),
                ));
            }
        }
        if devices.is_empty() {
            return Err(input.error(format!("the group has no device: {HINT}")));
        }
        return Ok(Group::Devices(devices));
    }
    let word = Ident::parse_any(input).map_err(|e| syn::Error::new(e.span(), HINT))?;
    if word.unraw() != "label" || !input.peek(syn::token::Paren) {
        return Err(syn::Error::new(word.span(), HINT));
    }
    let content;
    syn::parenthesized!(content in input);
    let label = Ident::parse_any(&content).map_err(|e| syn::Error::new(e.span(), HINT))?;
    Ok(Group::Label(label))
}

type Input = crate::keyed::Entries<Entry>;

/// The expansion of `rollout! { .. }`.
pub fn expand(input: TokenStream) -> TokenStream {
    match syn::parse2::<Input>(input).and_then(generate) {
        Ok(tokens) => tokens,
        Err(e) => {
            let error = e.to_compile_error();
            // An expression of the right type after the error, so no second error follows.
            quote! {{ #error; ::harmony_dsl::rollout::RolloutPolicy::__unfinished() }}
        }
    }
}

/// `::harmony_dsl::rollout` spanned at `span`: a check's call expression then spans the value
/// only, so that is where the compiler puts the error.
fn dsl_at(span: Span) -> TokenStream {
    quote_spanned! {span=> ::harmony_dsl::rollout }
}

fn u32_of(lit: &LitInt) -> u32 {
    lit.base10_parse().unwrap_or_default()
}

fn generate(input: Input) -> syn::Result<TokenStream> {
    let mut found: Vec<(String, &Entry)> = Vec::new();
    for entry in &input.entries {
        let name = entry.key.unraw().to_string();
        if found.iter().any(|(n, _)| *n == name) {
            return Err(syn::Error::new(
                entry.key.span(),
                format!("`{name}` is given twice: give each key once"),
            ));
        }
        found.push((name, entry));
    }
    let get = |key: &str| found.iter().find(|(n, _)| n == key).map(|(_, e)| &e.value);
    let missing = |key: &str, example: &str| {
        syn::Error::new(
            Span::call_site(),
            format!("`rollout!` needs `{key}`, e.g. `{key}: {example}`"),
        )
    };
    let Some(Value::Group(group)) = get("group") else {
        return Err(missing("group", "[cam1, cam2, cam3]"));
    };
    let Some(Value::Int(waves)) = get("waves") else {
        return Err(missing("waves", "3"));
    };
    let Some(Value::Int(max_unavailable)) = get("max_unavailable") else {
        return Err(missing("max_unavailable", "1"));
    };
    let threshold = match get("failure_threshold") {
        Some(Value::Int(t)) => Some(t),
        _ => None,
    };
    let dsl = quote!(::harmony_dsl::rollout);
    // 0 stands for "unknown" (a label group: checked when the plan runs).
    let (group_size, group_tokens) = match group {
        Group::Devices(devices) => {
            let names = devices.iter().map(|d| d.unraw().to_string());
            (
                devices.len() as u32,
                quote! { #dsl::RolloutGroup::Devices(::std::vec![#(::std::string::String::from(#names)),*]) },
            )
        }
        Group::Label(label) => {
            let name = label.unraw().to_string();
            (
                0,
                quote! { #dsl::RolloutGroup::Label(::std::string::String::from(#name)) },
            )
        }
    };
    let mut checks = Vec::new();
    let (canary_tokens, canary_count, canary_percent, has_canary) = match get("canary") {
        None => (quote! { #dsl::Canary::None }, 0u32, 0u32, false),
        Some(Value::Canary(CanaryValue::Devices(n))) => {
            let span = n.span();
            let value = u32_of(n);
            let dsl = dsl_at(span);
            checks.push(quote_spanned! {span=> const _: () = #dsl::check::canary_devices(#value, #group_size); });
            (quote! { #dsl::Canary::Devices(#value) }, value, 0, true)
        }
        Some(Value::Canary(CanaryValue::Percent(n, percent))) => {
            let span = n.span().join(percent.span).unwrap_or(n.span());
            let value = u32_of(n);
            checks
                .push(quote_spanned! {span=> const _: () = #dsl::check::canary_percent(#value); });
            (
                quote! { #dsl::Canary::Percent(#value) },
                u32::MAX,
                value,
                true,
            )
        }
        // The parser only puts a canary value under `canary`.
        Some(_) => (quote! { #dsl::Canary::None }, 0, 0, false),
    };
    let waves_value = u32_of(waves);
    {
        let span = waves.span();
        let dsl = dsl_at(span);
        checks.push(quote_spanned! {span=> const _: () = #dsl::check::waves(#waves_value, #group_size, #canary_count, #canary_percent); });
    }
    let max_value = u32_of(max_unavailable);
    {
        let span = max_unavailable.span();
        let dsl = dsl_at(span);
        checks.push(quote_spanned! {span=> const _: () = #dsl::check::max_unavailable(#max_value, #has_canary); });
    }
    let threshold_value = threshold.map(u32_of).unwrap_or(1);
    if let Some(threshold) = threshold {
        let span = threshold.span();
        let dsl = dsl_at(span);
        checks.push(quote_spanned! {span=> const _: () = #dsl::check::failure_threshold(#threshold_value, #group_size); });
    }
    let duration = |key: &str, default: &str| -> TokenStream {
        match get(key) {
            Some(Value::Duration(lit)) => {
                let span = lit.span();
                let dsl = dsl_at(span);
                quote_spanned! {span=> { const D: ::harmony_dsl::value::Duration = #dsl::check::duration(#lit); D } }
            }
            _ => {
                quote! { { const D: ::harmony_dsl::value::Duration = #dsl::check::duration(#default); D } }
            }
        }
    };
    let healthy_for = duration("healthy_for", DEFAULT_HEALTHY_FOR);
    let timeout = duration("timeout", DEFAULT_TIMEOUT);
    Ok(quote! {{
        #(#checks)*
        #dsl::RolloutPolicy {
            group: #group_tokens,
            canary: #canary_tokens,
            waves: #waves_value,
            max_unavailable: #max_value,
            failure_threshold: #threshold_value,
            healthy_for: #healthy_for,
            timeout: #timeout,
        }
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
        let e = error_of(quote! { group: [a], wave: 1, max_unavailable: 1 });
        assert_eq!(
            e,
            "`wave` is not a key of `rollout!`: did you mean `waves`?"
        );
    }

    #[test]
    fn missing_and_duplicate_keys_are_named() {
        assert_eq!(
            error_of(quote! { group: [a], max_unavailable: 1 }),
            "`rollout!` needs `waves`, e.g. `waves: 3`"
        );
        assert_eq!(
            error_of(quote! { group: [a], waves: 1, waves: 2, max_unavailable: 1 }),
            "`waves` is given twice: give each key once"
        );
        assert_eq!(
            error_of(quote! { group: [a, b, a], waves: 1, max_unavailable: 1 }),
            "device `a` is named twice in the group: name each device once"
        );
    }

    #[test]
    fn malformed_values_do_not_panic() {
        for input in [
            quote! { group: "a" },
            quote! { group: label },
            quote! { group: [], waves: 1 },
            quote! { canary: -1 },
            quote! { canary: "1" },
            quote! { healthy_for: 10 },
            quote! { waves: 99999999999 },
            quote! { group },
            quote! {},
        ] {
            assert!(!error_of(input).is_empty());
        }
    }
}
