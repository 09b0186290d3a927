//! `score!`, step 3: the checked [`Model`] as code. Nothing is checked here: the plan function,
//! each score as a typestate builder chain handed to its score type's field table
//! (`Postgres! { .. }`, see [`super::table`]), the const checks of the literals and of the port
//! claims, and the errors of the check step beside them, so that the compiler still checks the
//! rest.
//!
//! Spans: only the tokens that stand for what the user wrote carry the user's span (a literal's
//! check, a host, a wired output, the score type where rustc blames a missing capability); helper
//! code gets neutral spans, so that an editor's hover and go-to-definition find the user's item
//! alone.

use std::collections::BTreeMap;

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::Ident;
use syn::spanned::Spanned;

use super::check::{Element, FieldChecks, LiteralToCheck, Model, Plan, PortClash, Score, Setter};
use crate::diag::respan;

/// The code of one checked plan function, with the check step's `errors` (as `compile_error!`s).
pub(super) fn generate(model: &Model, errors: TokenStream) -> TokenStream {
    let def = model.def;
    let (attrs, vis, name, inputs) = (&def.attrs, &def.vis, &def.name, &def.inputs);
    let Some(plan) = &model.plan else {
        // The function still exists (with the signature as written), so callers add no errors.
        let output = &def.output;
        return quote! {
            #(#attrs)*
            #vis fn #name(#inputs) -> #output {
                #errors
                ::core::unimplemented!()
            }
        };
    };
    let topology = &plan.topology;
    let plan_name = name.to_string();
    let plan_var = Ident::new("__harmony_plan", Span::mixed_site());
    // `harmony_dsl::__private`, imported once per plan function: shorter generated paths.
    let hp = Ident::new("__hp", Span::mixed_site());

    let mut statements = Vec::new();
    // A score type being typed (`db = Pos`), re-emitted where a type goes: rust-analyzer
    // completes it there, and the compiler says whether it exists (with a did-you-mean).
    for kind in &def.partial {
        statements.push(quote! { let _: #kind; });
    }
    // A field's literal checks go with its first score (inside its `Kind! { .. }` call, so that
    // an unknown score type is one error).
    let mut checks_of: BTreeMap<usize, Vec<TokenStream>> = BTreeMap::new();
    for (instance, item) in literal_checks(&plan.literals, &hp) {
        checks_of.entry(instance).or_default().push(item);
    }
    for score in &plan.scores {
        let checks = checks_of.remove(&score.index).unwrap_or_default();
        statements.push(score_statement(plan, score, &checks, &hp, &plan_var));
    }
    let clashes = plan.clashes.iter().map(|clash| port_clash(clash, &hp));
    // The argument must be a configuration: the error is on its type.
    let config_check = def.config.as_ref().map(|ty| {
        let span = ty.span();
        quote_spanned! {span=> #hp::config_argument::<#ty>(); }
    });
    quote! {
        #(#attrs)*
        #vis fn #name(#inputs) -> ::harmony_dsl::Plan<#topology> {
            #errors
            #[allow(unused_imports)]
            use ::harmony_dsl::__private as #hp;
            #(#clashes)*
            #config_check
            let mut #plan_var = ::harmony_dsl::Plan::<#topology>::new(#plan_name);
            #(#statements)*
            #plan_var
        }
    }
}

/// `let db = Kind! { [Kind] [checks] [add] [&mut plan, "db"] [deps] [builder] [(key calls)..]
/// [.build()] };`: the score's chain through its field table (see [`super::table`]).
fn score_statement(
    plan: &Plan,
    score: &Score,
    checks: &[TokenStream],
    hp: &Ident,
    plan_var: &Ident,
) -> TokenStream {
    let Score {
        handle,
        kind,
        name,
        setters,
        incomplete,
        deps,
        ..
    } = score;
    let topology = &plan.topology;
    let dep_ids = deps.iter().map(|d| quote! { #d.id() });
    // Only the score type as written carries its span: helper tokens are neutral, so that an
    // editor's hover and go-to-definition on the score type find the score alone.
    let builder = quote! { #kind::builder::<#topology>() };
    // A required field left out is reported by the score's field table at expansion time, so
    // `build()` never fails: neutral. A capability the topology lacks is blamed by rustc on
    // the score type in `add::<Kind>`, the one identifier of it spanned by the user.
    let build = quote! { .build() };
    let add_method = Ident::new(plan.add_method, Span::call_site());
    // `::harmony_dsl::Plan::add::<Kind>(&mut plan, ..)`: its first token (and, in the field
    // table, its parentheses) carry the score type's span, so that rustc's "required by a bound
    // introduced by this call" is the score type, not the whole `score!` block.
    let mut lead1 = proc_macro2::Punct::new(':', proc_macro2::Spacing::Joint);
    let mut lead2 = proc_macro2::Punct::new(':', proc_macro2::Spacing::Alone);
    lead1.set_span(kind.span());
    lead2.set_span(kind.span());
    let add = quote! { #lead1 #lead2 harmony_dsl::Plan::#add_method::<#kind> };
    // The calls of one field together (`([key] [.key(a) .key(b)])`), so that the field table
    // keeps or drops them as one; keys without a value yet go in with no call, for completion.
    let mut entries = Vec::new();
    let mut i = 0;
    while i < setters.len() {
        let key = setters[i].0;
        let mut same = Vec::new();
        while i < setters.len() && setters[i].0 == key {
            same.push(setter_call(plan, key, &setters[i].1, hp));
            i += 1;
        }
        entries.push(quote! { ([#key] [#(#same)*]) });
    }
    for key in incomplete.iter() {
        entries.push(quote! { ([#key] []) });
    }
    let chain = quote! { [#builder] [#(#entries)*] [#build] };
    // The whole `add` goes through the field table, so that a score type that does not exist is
    // one error, on its name.
    quote! {
        let #handle = #kind! { [#kind] [#(#checks)*] [#add] [&mut #plan_var, #name] [&[#(#dep_ids),*]] #chain };
        let _ = &#handle;
    }
}

/// The builder call `.key(value)` of one setter, spanned on the value as written.
fn setter_call(plan: &Plan, key: &Ident, setter: &Setter, hp: &Ident) -> TokenStream {
    match setter {
        Setter::Literal(lit) => {
            let span = lit.span();
            let value = literal_value(hp, lit, span);
            quote_spanned! {span=> .#key(#value) }
        }
        Setter::Host(host) => {
            let span = host.span();
            let module = respan(&plan.hosts, span);
            quote_spanned! {span=> .#key(#module::#host) }
        }
        Setter::HostPath(path) => {
            let span = path.span();
            quote_spanned! {span=> .#key(#path) }
        }
        Setter::Wire {
            target,
            output,
            span,
        } => {
            // A method call, so a wire of the wrong type is reported at the setter as
            // "expected `Endpoint<Postgres>`, found `Endpoint<Http>`".
            quote_spanned! {*span=> .#key(#target.#output.clone()) }
        }
        Setter::List { span, elements } => {
            let span = *span;
            let elements = elements.iter().map(|element| match element {
                Element::Literal(lit) => literal_value(hp, lit, lit.span()),
                Element::Rust(expr) => quote! { #expr },
                Element::Wire { target, output } => {
                    quote! { ::core::clone::Clone::clone(&#target.#output) }
                }
            });
            quote_spanned! {span=> .#key(::std::vec![#(#elements),*]) }
        }
        Setter::Rust(expr) => {
            let span = expr.span();
            quote_spanned! {span=> .#key(#expr) }
        }
    }
}

/// One const item per field with literals, with the score instance it goes with. Only the score
/// type's own tokens carry the user's span: the rest is neutral, so that an editor's hover on
/// the score type shows the score, not these checks.
fn literal_checks(checks: &FieldChecks, hp: &Ident) -> Vec<(usize, TokenStream)> {
    checks
        .fields
        .iter()
        .map(|field| {
            let span = Span::mixed_site();
            let hp_here = ident_at(hp, span);
            let kind_path = field.kind_path;
            let key = &field.key;
            let mask = field.mask;
            let local = field_ident();
            let checks = field.literals.iter().map(|l| literal_check(hp, l));
            let item = quote_spanned! {span=>
                const _: () = {
                    let #local = #hp_here::field_check(<#kind_path as #hp_here::ScoreKind>::FIELDS, #key);
                    if #local.bit & #mask == 0 { #(#checks)* }
                };
            };
            (field.instance, item)
        })
        .collect()
}

/// The const item of a port clash candidate: an error if two or more claims are ports.
fn port_clash(clash: &PortClash, hp: &Ident) -> TokenStream {
    let PortClash {
        message,
        span,
        placed,
        claims,
    } = clash;
    let span = *span;
    let hp = ident_at(hp, span);
    let entries = claims.iter().map(|(kind, field, count)| {
        let kind = respan(&quote!(#kind), span);
        quote_spanned! {span=> (#hp::claim::<#kind>(#field), #count) }
    });
    quote_spanned! {span=>
        const _: () = #hp::port_clash(&[#(#entries),*], #placed, #message);
    }
}

/// `ident` spanned at `span` (cheaper than `respan` of a one-token stream).
fn ident_at(ident: &Ident, span: Span) -> Ident {
    let mut ident = ident.clone();
    ident.set_span(span);
    ident
}

/// The local holding a field's `FieldCheck` in its check const.
fn field_ident() -> Ident {
    Ident::new("__harmony_field", Span::mixed_site())
}

/// The compile-time check of a literal against its field's `FieldCheck`: a statement spanned on
/// the literal.
fn literal_check(hp: &Ident, literal: &LiteralToCheck) -> TokenStream {
    let LiteralToCheck { expr, mask, span } = *literal;
    let hp = ident_at(hp, span);
    let field = field_ident();
    // Strings and integers, the common literals, are passed as they are: cheaper to evaluate.
    match crate::literal::plain_lit(expr) {
        Some(syn::Lit::Str(s)) => quote_spanned! {span=> #hp::check_str(#field, #mask, #s); },
        Some(syn::Lit::Int(i)) if i.base10_parse::<u128>().is_ok() => {
            let value = i.base10_parse::<u128>().unwrap_or_default();
            let value = proc_macro2::Literal::u128_unsuffixed(value);
            quote_spanned! {span=> #hp::check_int(#field, #mask, #value); }
        }
        _ => {
            let tokens = crate::literal::literal_of(expr, &quote!(#hp));
            quote_spanned! {span=> #hp::check(#field, #mask, #tokens); }
        }
    }
}

/// The value of literal expression `expr` for the field it is written in, spanned on the
/// literal: strings and integers through the short `str_literal`/`int_literal`, others through
/// `FromLiteral`. A literal in a host field never gets here: the field table (`score_fields!`)
/// reports it and drops its setter call.
fn literal_value(hp: &Ident, expr: &syn::Expr, span: Span) -> TokenStream {
    let hp = ident_at(hp, span);
    match crate::literal::plain_lit(expr) {
        Some(syn::Lit::Str(s)) => quote_spanned! {span=> #hp::str_literal(#s) },
        Some(syn::Lit::Int(i)) if i.base10_parse::<u128>().is_ok() => {
            let value = i.base10_parse::<u128>().unwrap_or_default();
            let value = proc_macro2::Literal::u128_unsuffixed(value);
            quote_spanned! {span=> #hp::int_literal(#value) }
        }
        _ => {
            let tokens = crate::literal::literal_of(expr, &quote!(#hp));
            quote_spanned! {span=> #hp::FromLiteral::from_literal(#tokens) }
        }
    }
}
