//! `score!`: score instances bound to one topology, in dependency order, with typed wiring →
//! typestate builder calls, placement bounds, dependency edges, and a function returning the plan.

use std::collections::BTreeMap;

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::ext::IdentExt;
use syn::parse::discouraged::Speculative;
use syn::parse::{Parse, ParseStream};
use syn::spanned::Spanned;
use syn::{Attribute, Ident, Path, Token, Type, Visibility, braced, parenthesized};

use crate::diag::{Errors, did_you_mean, respan};
use crate::syntax::{FieldValue, Value};

struct ScoreInstance {
    name: Ident,
    kind: Path,
    fields: Vec<FieldValue>,
    /// Keys written without a value yet (`Postgres { sto }`): reported, and in rust-analyzer's
    /// completion expansion put on the builder for it to complete.
    incomplete: Vec<Ident>,
    /// A recoverable syntax error (a missing `;`), reported while the score is still expanded.
    error: Option<syn::Error>,
}

struct PlanFn {
    attrs: Vec<Attribute>,
    vis: Visibility,
    name: Ident,
    output: Type,
    /// Arguments as written: none, or one configuration (`config: &ShopConfig`); kept in the
    /// generated signature even when wrong, so that callers add no second error.
    inputs: TokenStream,
    /// The configuration argument's type (without `&`), checked to be a `#[derive(Config)]`.
    config: Option<Type>,
    scores: Vec<ScoreInstance>,
    /// The score types of scores that did not parse (`db = Pos`), for completion.
    partial: Vec<Path>,
    /// Signature errors the parser recovered from: the function is still generated, so its
    /// callers get no "cannot find function" error on top.
    errors: Vec<syn::Error>,
}

struct PlanFns(Vec<PlanFn>);

impl Parse for ScoreInstance {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        if let Some(error) = crate::syntax::keyword_error(input, "a score") {
            return Err(error);
        }
        let name: Ident = input.parse().map_err(|e| {
            syn::Error::new(
                e.span(),
                "expected a score: `name = ScoreType { field: value, ... };`, e.g. `db = Postgres { storage: \"10Gi\" };`",
            )
        })?;
        if !input.peek(Token![=]) {
            return Err(syn::Error::new(
                name.span(),
                format!("expected `{name} = ScoreType {{ field: value, ... }};`"),
            ));
        }
        input.parse::<Token![=]>()?;
        let kind: Path = input.parse().map_err(|e| {
            syn::Error::new(
                e.span(),
                format!("expected a score type after `{name} =`, e.g. `{name} = WebApp {{ image: \"...\" }};`"),
            )
        })?;
        if !input.peek(syn::token::Brace) {
            return Err(syn::Error::new(
                kind.span(),
                "expected the score's fields in braces: `ScoreType { field: value, ... }`",
            ));
        }
        let (fields, incomplete, field_error) = parse_fields_recovering(input)?;
        let mut error = field_error;
        if input.peek(Token![;]) {
            input.parse::<Token![;]>()?;
        } else if input.peek(Token![,]) {
            let comma = input.parse::<Token![,]>()?;
            error = Some(syn::Error::new(
                comma.span,
                format!(
                    "scores end with `;`, not `,`: `{name} = {} {{ ... }};`",
                    quote!(#kind).to_string().replace(' ', "")
                ),
            ));
        } else if input.is_empty() || (input.peek(Ident) && input.peek2(Token![=])) {
            // The next score follows (or the body ends): report and carry on.
            let at = input.span();
            error = Some(syn::Error::new(
                at,
                format!("expected `;` after score `{name}`"),
            ));
        } else {
            return Err(input.error(format!("expected `;` after score `{name}`")));
        }
        Ok(ScoreInstance {
            name,
            kind,
            fields,
            incomplete,
            error,
        })
    }
}

impl Parse for PlanFn {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis: Visibility = input.parse()?;
        input.parse::<Token![fn]>().map_err(|e| {
            syn::Error::new(
                e.span(),
                "expected a plan function: `pub fn shop() -> Plan<HomeLab> { db = Postgres { ... }; }`",
            )
        })?;
        let name: Ident = input.parse().map_err(|e| {
            syn::Error::new(
                e.span(),
                "expected the plan function's name: `fn shop() -> Plan<HomeLab> { ... }`",
            )
        })?;
        let mut errors = Vec::new();
        let args;
        parenthesized!(args in input);
        let mut inputs: TokenStream = args.parse()?;
        let config = config_argument(&inputs, &mut errors);
        if config.is_none() && !inputs.is_empty() {
            // Arguments that do not parse are not echoed into the generated signature.
            inputs = TokenStream::new();
        }
        let output: Type = if input.peek(Token![->]) {
            input.parse::<Token![->]>()?;
            input.parse()?
        } else {
            errors.push(input.error(format!(
                "expected a return type naming the topology: `fn {name}() -> Plan<MyTopology>`"
            )));
            syn::parse_quote!(())
        };
        let content;
        braced!(content in input);
        let mut scores = Vec::new();
        let mut partial = Vec::new();
        while !content.is_empty() {
            // A half-typed score is reported and skipped (up to its `;`): the others, and the
            // function, are still generated.
            let fork = content.fork();
            match fork.parse::<ScoreInstance>() {
                Ok(score) => {
                    content.advance_to(&fork);
                    scores.push(score);
                }
                Err(e) => {
                    errors.push(e);
                    let skipped = skip_statement(&content);
                    if let Some(kind) = partial_kind(skipped) {
                        partial.push(kind);
                    }
                }
            }
        }
        Ok(PlanFn {
            attrs,
            vis,
            name,
            output,
            inputs,
            config,
            scores,
            partial,
            errors,
        })
    }
}

/// Skips the rest of a score up to and including its `;` (or up to the next score, or the end),
/// returning the tokens.
fn skip_statement(input: ParseStream) -> TokenStream {
    let mut skipped = TokenStream::new();
    let mut count = 0;
    while !input.is_empty() {
        if input.peek(Token![;]) {
            let _ = input.parse::<Token![;]>();
            break;
        }
        // The next score (`web = ...`) after a line with no `;` yet.
        if count >= 2 && input.peek(Ident) && input.peek2(Token![=]) && !input.peek2(Token![==]) {
            break;
        }
        count += 1;
        match input.parse::<proc_macro2::TokenTree>() {
            Ok(tt) => skipped.extend([tt]),
            Err(_) => break,
        }
    }
    skipped
}

/// The score type of a half-typed score (`db = Pos`), for rust-analyzer to complete.
fn partial_kind(tokens: TokenStream) -> Option<Path> {
    syn::parse::Parser::parse2(
        |input: ParseStream| {
            input.parse::<Ident>()?;
            input.parse::<Token![=]>()?;
            let path = input.call(Path::parse_mod_style)?;
            input.parse::<TokenStream>()?;
            Ok(path)
        },
        tokens,
    )
    .ok()
}

/// `{ key: value, ... }` of one score, recovering: a key without a value (`sto`, `sto:`) is
/// kept aside and reported, a value that does not parse is reported and skipped to the next
/// `,`; the rest of the fields are kept.
fn parse_fields_recovering(
    input: ParseStream,
) -> syn::Result<(Vec<FieldValue>, Vec<Ident>, Option<syn::Error>)> {
    let content;
    syn::braced!(content in input);
    let mut fields = Vec::new();
    let mut incomplete = Vec::new();
    let mut error: Option<syn::Error> = None;
    let mut report = |e: syn::Error| match &mut error {
        Some(first) => first.combine(e),
        None => error = Some(e),
    };
    let skip_to_comma = |content: ParseStream| {
        while !content.is_empty() && !content.peek(Token![,]) {
            if content.parse::<proc_macro2::TokenTree>().is_err() {
                break;
            }
        }
    };
    while !content.is_empty() {
        let key: Ident = match content.call(syn::ext::IdentExt::parse_any) {
            Ok(key) => key,
            Err(e) => {
                report(e);
                skip_to_comma(&content);
                let _ = content.parse::<Option<Token![,]>>();
                continue;
            }
        };
        let valueless = !content.peek(Token![:]) || {
            let fork = content.fork();
            let _ = fork.parse::<Token![:]>();
            fork.is_empty() || fork.peek(Token![,])
        };
        if valueless {
            report(syn::Error::new(
                key.span(),
                format!("expected `{key}: <value>`"),
            ));
            let _ = content.parse::<Option<Token![:]>>();
            incomplete.push(key);
            skip_to_comma(&content);
        } else {
            content.parse::<Token![:]>()?;
            match content.parse::<Value>() {
                Ok(value) => fields.push(FieldValue { key, value }),
                Err(e) => {
                    report(e);
                    skip_to_comma(&content);
                }
            }
        }
        if content.is_empty() {
            break;
        }
        if let Err(e) = content.parse::<Token![,]>() {
            report(e);
            skip_to_comma(&content);
            let _ = content.parse::<Option<Token![,]>>();
        }
    }
    Ok((fields, incomplete, error))
}

/// The type of a plan function's one argument, its configuration (`config: &ShopConfig`); more
/// than one argument, or a pattern that is not a name, is an error.
fn config_argument(inputs: &TokenStream, errors: &mut Vec<syn::Error>) -> Option<Type> {
    use syn::punctuated::Punctuated;
    let parser = Punctuated::<syn::PatType, Token![,]>::parse_terminated_with;
    let args = match syn::parse::Parser::parse2(
        |input: ParseStream| {
            parser(input, |i| {
                Ok(syn::PatType {
                    attrs: Attribute::parse_outer(i)?,
                    pat: Box::new(syn::Pat::parse_single(i)?),
                    colon_token: i.parse()?,
                    ty: i.parse()?,
                })
            })
        },
        inputs.clone(),
    ) {
        Ok(args) => args,
        Err(e) => {
            errors.push(syn::Error::new(
                e.span(),
                "a plan function takes no arguments, or one: its configuration, e.g. `fn shop(config: &ShopConfig) -> Plan<HomeLab>`",
            ));
            return None;
        }
    };
    let mut args = args.into_iter();
    let first = args.next()?;
    for extra in args {
        errors.push(syn::Error::new(
            extra.span(),
            "a plan function takes at most one argument, its configuration (`config: &ShopConfig`): put every setting in that `#[derive(Config)]` struct",
        ));
    }
    match *first.ty {
        Type::Reference(r) => Some(*r.elem),
        ty => Some(ty),
    }
}

impl Parse for PlanFns {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let mut fns = Vec::new();
        while !input.is_empty() {
            fns.push(input.parse()?);
        }
        Ok(PlanFns(fns))
    }
}

/// Expands `score! { fn name() -> Plan<Topology> { ... } ... }`.
pub fn expand(input: TokenStream) -> TokenStream {
    if input.is_empty() {
        return syn::Error::new(
            Span::call_site(),
            "`score!` is empty: write a plan function in it, e.g. `score! { pub fn shop() -> Plan<HomeLab> { db = Postgres { storage: \"10Gi\" }; } }`",
        )
        .to_compile_error();
    }
    match syn::parse2::<PlanFns>(input) {
        Ok(fns) => fns.0.iter().map(expand_fn).collect(),
        Err(e) => e.to_compile_error(),
    }
}

/// The topology type inside `Plan<T>`.
fn topology_of(output: &Type) -> Option<Type> {
    let Type::Path(path) = output else {
        return None;
    };
    let last = path.path.segments.last()?;
    if last.ident != "Plan" {
        return None;
    }
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    match args.args.first() {
        Some(syn::GenericArgument::Type(t)) if args.args.len() == 1 => Some(t.clone()),
        _ => None,
    }
}

/// The type whose associated constants are a topology's hosts (`HomeLab::nuc`): the topology
/// itself, or for a generic topology (`Failover<HomeLab>`), its inner topology.
fn host_type(topology: &Type) -> Option<TokenStream> {
    let Type::Path(path) = topology else {
        return None;
    };
    let last = path.path.segments.last()?;
    if let syn::PathArguments::AngleBracketed(args) = &last.arguments
        && let Some(syn::GenericArgument::Type(inner)) = args.args.first()
    {
        return host_type(inner);
    }
    let path = &path.path;
    Some(quote! { #path })
}

/// The higher-order topologies `score!` recognises by name in `Plan<..>`.
enum Lifted {
    Failover,
    Decentralized,
}

/// Whether `topology` is written `Failover<T>` or `Decentralized<T>` (any path to them).
fn lifted_topology(topology: &syn::Type) -> Option<Lifted> {
    let syn::Type::Path(path) = topology else {
        return None;
    };
    let last = path.path.segments.last()?;
    if !matches!(last.arguments, syn::PathArguments::AngleBracketed(_)) {
        return None;
    }
    match last.ident.to_string().as_str() {
        "Failover" => Some(Lifted::Failover),
        "Decentralized" => Some(Lifted::Decentralized),
        _ => None,
    }
}

/// The literal checks of one plan function, by (score type, field).
///
/// Each field that has literals gets one const item checking all of them:
/// `let field = field_check(..); if field.bit & M == 0 { check(lit1) check(lit2) ... }`, where
/// `M` is the intersection of the literals' validity masks. When every literal is valid that is
/// one field lookup and one bit test per field (const items and calls are what costs compile
/// time); otherwise each literal is checked, spanned on itself, and the first invalid one of the
/// field is the error.
#[derive(Default)]
struct FieldChecks {
    fields: Vec<FieldLiterals>,
    /// The score instance being read: a new field's const goes with its first instance.
    current: usize,
}

/// The literals written in one field of one score type in a plan function.
struct FieldLiterals {
    /// The first score instance with these literals: the const is emitted with it (inside its
    /// `Kind! { .. }` call, so that an unknown score type is one error, not one per use).
    instance: usize,
    /// Score type, as written and as tokens.
    kind: String,
    kind_path: Path,
    /// Field name.
    key: String,
    /// Intersection of the literals' validity masks.
    mask: u32,
    /// One check statement per literal.
    checks: Vec<TokenStream>,
}

/// A literal to check: the literal expression, its validity mask and span.
struct LiteralToCheck<'a> {
    expr: &'a syn::Expr,
    mask: u32,
    span: Span,
}

impl FieldChecks {
    /// Records the check of `literal`, written in field `key` of score type `kind` (`kind_str`
    /// as text).
    fn push(
        &mut self,
        hp: &Ident,
        (kind, kind_str): (&Path, &str),
        key: &str,
        literal: LiteralToCheck,
    ) {
        let index = match self
            .fields
            .iter()
            .position(|f| f.kind == kind_str && f.key == key)
        {
            Some(index) => index,
            None => {
                self.fields.push(FieldLiterals {
                    instance: self.current,
                    kind: kind_str.to_string(),
                    kind_path: kind.clone(),
                    key: key.to_string(),
                    mask: u32::MAX,
                    checks: Vec::new(),
                });
                self.fields.len() - 1
            }
        };
        let field = &mut self.fields[index];
        field.mask &= literal.mask;
        field.checks.push(literal_check(hp, &literal));
    }

    /// One const item per field, with the score instance it goes with. Only the score type's
    /// own tokens carry the user's span: the rest is neutral, so that an editor's hover on the
    /// score type shows the score, not these checks.
    fn items<'a>(&'a self, hp: &'a Ident) -> impl Iterator<Item = (usize, TokenStream)> + 'a {
        self.fields.iter().map(move |field| {
            let FieldLiterals {
                instance,
                kind_path,
                key,
                mask,
                checks,
                ..
            } = field;
            let span = Span::mixed_site();
            let hp = ident_at(hp, span);
            let field = field_ident();
            let item = quote_spanned! {span=>
                const _: () = {
                    let #field = #hp::field_check(<#kind_path as #hp::ScoreKind>::FIELDS, #key);
                    if #field.bit & #mask == 0 { #(#checks)* }
                };
            };
            (*instance, item)
        })
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
/// `FromLiteral`.
/// `host_check` is the const argument that says the field is not a host (`not_a_host`), so a
/// string where a host belongs is one clear error; `None` inside a list (checked for the list).
fn literal_value(
    hp: &Ident,
    expr: &syn::Expr,
    span: Span,
    host_check: Option<&TokenStream>,
) -> TokenStream {
    let hp = ident_at(hp, span);
    match crate::literal::plain_lit(expr) {
        Some(syn::Lit::Str(s)) => match host_check {
            Some(check) if crate::literal::may_be_host(&s.value()) => {
                quote_spanned! {span=> #hp::str_value::<#check, _>(#s) }
            }
            _ => quote_spanned! {span=> #hp::str_literal(#s) },
        },
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

/// The const argument of `str_value`/`list_value`: `false`, or the error (with the fix) when field
/// `key` of score type `kind` is a host, written as string `lit` (or as the list `items`).
fn host_check(
    hp: &Ident,
    kind: &Path,
    key: &str,
    lit: &syn::Expr,
    items: Option<&[Value]>,
) -> TokenStream {
    let span = lit.span();
    let strings = |v: &Value| match v {
        Value::Lit(l) => match crate::literal::plain_lit(l) {
            Some(syn::Lit::Str(s)) => Some(s.value()),
            _ => None,
        },
        _ => None,
    };
    let written: Vec<String> = match items {
        Some(items) => items.iter().filter_map(strings).collect(),
        None => match crate::literal::plain_lit(lit) {
            Some(syn::Lit::Str(s)) => vec![s.value()],
            _ => Vec::new(),
        },
    };
    let message = crate::literal::host_as_string_message(key, &written, items.is_some(), None);
    let hp = ident_at(hp, span);
    quote_spanned! {span=> { #hp::not_a_host(<#kind as #hp::ScoreKind>::FIELDS, #key, #message) } }
}

/// Adds to `deps` each earlier score that the Rust expression `expr` reads an output of
/// (`db.endpoint` anywhere inside it, e.g. `{ HelmValues::of(&Values { host: db.endpoint.host.clone() }) }`),
/// so that wiring through an expression orders the plan like a plain `field: db.endpoint`.
fn wired_in(expr: &syn::Expr, declared: &[&Ident], deps: &mut Vec<Ident>) {
    fn scan(tokens: TokenStream, declared: &[&Ident], deps: &mut Vec<Ident>) {
        let tokens: Vec<proc_macro2::TokenTree> = tokens.into_iter().collect();
        for (i, token) in tokens.iter().enumerate() {
            match token {
                proc_macro2::TokenTree::Group(group) => scan(group.stream(), declared, deps),
                proc_macro2::TokenTree::Ident(ident) => {
                    let is_dot = |t: Option<&proc_macro2::TokenTree>| matches!(t, Some(proc_macro2::TokenTree::Punct(p)) if p.as_char() == '.');
                    // `x.db.endpoint` or `path::db.endpoint` are not the score `db`; `field: db.endpoint` is.
                    let punct_before =
                        |back: usize| match i.checked_sub(back).and_then(|j| tokens.get(j)) {
                            Some(proc_macro2::TokenTree::Punct(p)) => Some(p.as_char()),
                            _ => None,
                        };
                    let after_path = punct_before(1) == Some('.')
                        || (punct_before(1) == Some(':') && punct_before(2) == Some(':'));
                    let next_is_field = is_dot(tokens.get(i + 1))
                        && matches!(tokens.get(i + 2), Some(proc_macro2::TokenTree::Ident(_)))
                        && !matches!(tokens.get(i + 3), Some(proc_macro2::TokenTree::Group(g)) if g.delimiter() == proc_macro2::Delimiter::Parenthesis);
                    if !after_path
                        && next_is_field
                        && declared.contains(&ident)
                        && !deps.iter().any(|d| d == ident)
                    {
                        deps.push(ident.clone());
                    }
                }
                _ => {}
            }
        }
    }
    scan(quote! { #expr }, declared, deps);
}

/// A number written in a score that may claim a port: on the host the score is placed on (`None`:
/// not placed by the plan, which is this machine for scores that run here).
struct Port {
    host: Option<String>,
    port: u16,
    span: Span,
    score: String,
    kind: Path,
    field: String,
}

/// One score's statement, waiting for its literal checks: `head Kind! { [checks] chain } tail`
/// (or `head chain tail` in rust-analyzer's completion expansion).
struct PendingScore<'a> {
    index: usize,
    handle: &'a Ident,
    add: TokenStream,
    score_name: String,
    kind: Path,
    chain: TokenStream,
    deps: TokenStream,
}

/// The port a literal may claim: an integer 1-65535, or a string of its digits (`"8080"`).
fn port_number(lit: &syn::Expr) -> Option<u16> {
    let port = match crate::literal::plain_lit(lit)? {
        syn::Lit::Int(i) => i.base10_parse::<u16>().ok()?,
        syn::Lit::Str(s) => {
            let text = s.value();
            if text.is_empty() || text.starts_with('0') || !text.bytes().all(|b| b.is_ascii_digit())
            {
                return None;
            }
            text.parse::<u16>().ok()?
        }
        _ => return None,
    };
    (port != 0).then_some(port)
}

fn expand_fn(plan: &PlanFn) -> TokenStream {
    let mut errors = Errors::default();
    let PlanFn {
        attrs,
        vis,
        name,
        output,
        inputs,
        config,
        scores,
        partial,
        errors: signature_errors,
    } = plan;
    for error in signature_errors {
        errors.push(error.clone());
    }
    for error in scores.iter().filter_map(|s| s.error.as_ref()) {
        errors.push(error.clone());
    }
    let plan_name = name.to_string();
    let Some(topology) = topology_of(output) else {
        if signature_errors.is_empty() {
            errors.at(
                output.span(),
                "a plan function returns `Plan<Topology>`, e.g. `fn shop() -> Plan<HomeLab>`",
            );
        }
        // The function still exists (with the signature as written), so callers add no errors.
        let errors = errors.into_compile_errors();
        return quote! {
            #(#attrs)*
            #vis fn #name(#inputs) -> #output {
                #errors
                ::core::unimplemented!()
            }
        };
    };
    let module = host_type(&topology).unwrap_or_else(|| quote! { self });
    // On a failover pair or decentralized sites of `T`, scores are added with a bound on `T`
    // itself, so that a capability `T` lacks is reported on `T`.
    let add_method = match lifted_topology(&topology) {
        Some(Lifted::Failover) => "add_on_both_sides",
        Some(Lifted::Decentralized) => "add_on_every_site",
        None => "add",
    };
    let plan_var = Ident::new("__harmony_plan", Span::mixed_site());
    // `harmony_dsl::__private`, imported once per plan function: shorter generated paths.
    let hp_ident = Ident::new("__hp", Span::mixed_site());
    let hp = quote! { #hp_ident };
    let mut field_checks = FieldChecks::default();

    let all_names: Vec<String> = scores.iter().map(|s| s.name.unraw().to_string()).collect();
    let mut declared: Vec<&Ident> = Vec::new();
    let mut statements = Vec::new();
    // A score type being typed (`db = Pos`), re-emitted where a type goes: rust-analyzer
    // completes it there, and the compiler says whether it exists (with a did-you-mean).
    for kind in partial {
        statements.push(quote! { let _: #kind; });
    }
    let mut ports: Vec<Port> = Vec::new();

    // Each score's statement, finished once every literal check is known.
    let mut pending: Vec<PendingScore> = Vec::new();
    for (index, score) in scores.iter().enumerate() {
        field_checks.current = index;
        let score_name = score.name.unraw().to_string();
        if let Some(first) = declared.iter().find(|d| **d == &score.name) {
            errors.duplicate("score", &score_name, first.span(), score.name.span());
            continue;
        }
        if let Some(message) = crate::syntax::name_rule_violation(&score.name.to_string(), "score")
        {
            errors.at(score.name.span(), message);
        }
        let kind = &score.kind;
        let kind_str = quote!(#kind).to_string();
        let mut calls: Vec<(&Ident, TokenStream)> = Vec::new();
        let mut deps: Vec<Ident> = Vec::new();
        let mut seen: Vec<&Ident> = Vec::new();
        let mut placed_on: Option<String> = None;
        let mut score_ports: Vec<(u16, Span, String)> = Vec::new();

        let check_ref = |target: &Ident, errors: &mut Errors, deps: &mut Vec<Ident>| -> bool {
            let target_name = target.unraw().to_string();
            if declared.iter().any(|d| **d == target_name) {
                if !deps.iter().any(|d| d == target) {
                    deps.push(target.clone());
                }
                return true;
            }
            if target_name == score_name {
                errors.at(
                    target.span(),
                    format!("score `{score_name}` cannot depend on itself"),
                );
            } else if all_names[index + 1..].contains(&target_name) {
                errors.at(
                    target.span(),
                    format!("cannot find `{target_name}` yet: it is declared after `{score_name}`; scores are declared in dependency order, so move `{target_name}` above `{score_name}`"),
                );
            } else {
                errors.at(
                    target.span(),
                    format!(
                        "cannot find score `{target_name}` in plan `{plan_name}`{} (scores are declared in dependency order)",
                        did_you_mean(&target_name, declared.iter().map(|d| d.unraw().to_string()).collect::<Vec<_>>().iter().map(String::as_str))
                    ),
                );
            }
            false
        };

        for field in &score.fields {
            if !errors.first_time("field", &mut seen, &field.key) {
                continue;
            }
            let key = &field.key;
            let key_str = key.unraw().to_string();
            if key_str == "after" {
                let targets: Vec<&Value> = match &field.value {
                    Value::List(_, items) => items.iter().collect(),
                    single => vec![single],
                };
                let mut listed: Vec<&Ident> = Vec::new();
                for target in targets {
                    match target {
                        Value::Host(t) if listed.iter().any(|l| l.unraw() == t.unraw()) => {
                            errors.at(
                                t.span(),
                                format!("`{}` is listed twice in `after: [...]`: the scores a score waits for are a set; remove the second `{}`", t.unraw(), t.unraw()),
                            );
                        }
                        Value::Host(t) => {
                            listed.push(t);
                            check_ref(t, &mut errors, &mut deps);
                        }
                        other => errors.at(
                            other.span(),
                            "`after:` takes the names of earlier scores, e.g. `after: [db, cache]`",
                        ),
                    }
                }
                continue;
            }
            match &field.value {
                Value::Lit(lit) => {
                    let Some(mask) = crate::literal::mask_of(lit) else {
                        errors.at(lit.span(), crate::literal::unsupported_message(lit));
                        continue;
                    };
                    let span = lit.span();
                    field_checks.push(
                        &hp_ident,
                        (kind, &kind_str),
                        &key_str,
                        LiteralToCheck {
                            expr: lit,
                            mask,
                            span,
                        },
                    );
                    // Built only for a host-like string (the message costs expansion time).
                    let check = match crate::literal::plain_lit(lit) {
                        Some(syn::Lit::Str(s)) if crate::literal::may_be_host(&s.value()) => {
                            Some(host_check(&hp_ident, kind, &key_str, lit, None))
                        }
                        _ => None,
                    };
                    let value = literal_value(&hp_ident, lit, span, check.as_ref());
                    calls.push((key, quote_spanned! {span=> .#key(#value) }));
                    // A number that could be a port, whatever the field is called and however
                    // it is spelt (`8080` or `"8080"`); whether the field is a port is checked by
                    // kind, at compile time, for the clashes found below.
                    if let Some(port) = port_number(lit) {
                        score_ports.push((port, span, key_str.clone()));
                    }
                }
                Value::Host(host) => {
                    if declared.contains(&host) {
                        errors.at(host.span(), format!("`{host}` is a score: wire one of its outputs, e.g. `{key_str}: {host}.endpoint`"));
                        continue;
                    }
                    let span = host.span();
                    let module = respan(&module, span);
                    calls.push((key, quote_spanned! {span=> .#key(#module::#host) }));
                    if placed_on.is_none() {
                        placed_on = Some(host.unraw().to_string());
                    }
                }
                Value::HostPath(path) => {
                    let span = path.span();
                    calls.push((key, quote_spanned! {span=> .#key(#path) }));
                }
                Value::Wire {
                    score: target,
                    output,
                } => {
                    if !check_ref(target, &mut errors, &mut deps) {
                        continue;
                    }
                    let span = field.value.span();
                    // A method call, so a wire of the wrong type is reported at the setter as
                    // "expected `Endpoint<Postgres>`, found `Endpoint<Http>`".
                    calls.push((key, quote_spanned! {span=> .#key(#target.#output.clone()) }));
                }
                Value::List(span, items) => {
                    if !items.is_empty()
                        && items
                            .iter()
                            .all(|i| matches!(i, Value::Host(_) | Value::HostPath(_)))
                    {
                        crate::topology::no_duplicate_hosts(items, key, &mut errors);
                        if placed_on.is_none()
                            && let Some(Value::Host(first)) = items.first()
                        {
                            placed_on = Some(first.unraw().to_string());
                        }
                        for item in items {
                            let ispan = item.span();
                            match item {
                                Value::Host(host) => {
                                    let module = respan(&module, ispan);
                                    calls.push((
                                        key,
                                        quote_spanned! {ispan=> .#key(#module::#host) },
                                    ))
                                }
                                Value::HostPath(path) => {
                                    calls.push((key, quote_spanned! {ispan=> .#key(#path) }))
                                }
                                _ => {}
                            }
                        }
                        continue;
                    }
                    let mut elements = Vec::new();
                    for item in items {
                        match item {
                            Value::Lit(lit) => match crate::literal::mask_of(lit) {
                                Some(mask) => {
                                    let lspan = lit.span();
                                    field_checks.push(&hp_ident, (kind, &kind_str), &key_str, LiteralToCheck { expr: lit, mask, span: lspan });
                                    elements.push(literal_value(&hp_ident, lit, lspan, None));
                                }
                                None => errors.at(lit.span(), crate::literal::unsupported_message(lit)),
                            },
                            Value::Rust(expr) => {
                                wired_in(expr, &declared, &mut deps);
                                elements.push(quote! { #expr })
                            }
                            Value::Wire { score: target, output } => {
                                if check_ref(target, &mut errors, &mut deps) {
                                    elements.push(quote! { ::core::clone::Clone::clone(&#target.#output) });
                                }
                            }
                            other => errors.at(other.span(), "a list holds either hosts (`[pi1, pi2]`) or values (`[\"a\", \"b\"]`), not both"),
                        }
                    }
                    let span = *span;
                    // Strings where hosts belong (`devices: ["pi1"]`): one error with the fix.
                    if let Some(Value::Lit(first)) = items.first()
                        && matches!(crate::literal::plain_lit(first), Some(syn::Lit::Str(s)) if crate::literal::may_be_host(&s.value()))
                    {
                        let check = host_check(&hp_ident, kind, &key_str, first, Some(items));
                        let hp = ident_at(&hp_ident, span);
                        calls.push((
                            key,
                            quote_spanned! {span=> .#key(#hp::list_value::<#check, _, _>(::std::vec![#(#elements),*])) },
                        ));
                        continue;
                    }
                    calls.push((
                        key,
                        quote_spanned! {span=> .#key(::std::vec![#(#elements),*]) },
                    ));
                }
                Value::Rust(expr) => {
                    wired_in(expr, &declared, &mut deps);
                    let span = expr.span();
                    calls.push((key, quote_spanned! {span=> .#key(#expr) }));
                }
            }
        }
        for (port, span, field) in score_ports {
            ports.push(Port {
                host: placed_on.clone(),
                port,
                span,
                score: score_name.clone(),
                kind: kind.clone(),
                field,
            });
        }
        declared.push(&score.name);
        let handle = &score.name;
        let dep_ids = deps.iter().map(|d| quote! { #d.id() });
        // Only the score type as written carries its span: helper tokens are neutral, so that an
        // editor's hover and go-to-definition on the score type find the score alone.
        let builder = quote! { #kind::builder::<#topology>() };
        // A required field left out is reported by the score's field table at expansion time, so
        // `build()` never fails: neutral. A capability the topology lacks is blamed by rustc on
        // the score type in `add::<Kind>`, the one identifier of it spanned by the user.
        let build = quote! { .build() };
        let add_method = Ident::new(add_method, Span::call_site());
        // `::harmony_dsl::Plan::add::<Kind>(&mut plan, ..)`: its first token (and, in
        // `field_table`, its parentheses) carry the score type's span, so that rustc's "required
        // by a bound introduced by this call" is the score type, not the whole `score!` block.
        let mut lead1 = proc_macro2::Punct::new(':', proc_macro2::Spacing::Joint);
        let mut lead2 = proc_macro2::Punct::new(':', proc_macro2::Spacing::Alone);
        lead1.set_span(kind.span());
        lead2.set_span(kind.span());
        let add = quote! { #lead1 #lead2 harmony_dsl::Plan::#add_method::<#kind> };
        // Through the score's field table (`Postgres! { .. }`, from `#[derive(Score)]`): unknown
        // fields are reported at expansion time, in the user's words. Keys without a value yet go
        // in with no call, for completion (see `field_table`).
        let mut entries = Vec::new();
        let mut i = 0;
        while i < calls.len() {
            let key = calls[i].0;
            let mut same = Vec::new();
            while i < calls.len() && calls[i].0 == key {
                same.push(&calls[i].1);
                i += 1;
            }
            entries.push(quote! { ([#key] [#(#same)*]) });
        }
        for key in &score.incomplete {
            entries.push(quote! { ([#key] []) });
        }
        let chain = quote! { [#builder] [#(#entries)*] [#build] };
        pending.push(PendingScore {
            index,
            handle,
            add,
            score_name,
            kind: kind.clone(),
            chain,
            deps: quote! { &[#(#dep_ids),*] },
        });
    }

    // The same port claimed twice on one host (or on this machine). Each candidate group (the
    // same number on the same host, or on no host) gets one const item, spanned on its second
    // claim, counting the claims whose field is a port (by kind, whatever it is called) and which
    // are on a host or run on this machine: two or more is a clash. Claims of the same field of
    // the same score type are checked once, with their count.
    let mut by_host: BTreeMap<(Option<String>, u16), Vec<&Port>> = BTreeMap::new();
    for port in &ports {
        by_host
            .entry((port.host.clone(), port.port))
            .or_default()
            .push(port);
    }
    let mut claim_checks = Vec::new();
    for ((host, port), claims) in by_host {
        if claims.len() < 2 {
            continue;
        }
        let mut names: Vec<String> = claims
            .iter()
            .take(3)
            .map(|c| format!("`{}`", c.score))
            .collect();
        if claims.len() > 3 {
            names.push(format!("{} more", claims.len() - 3));
        }
        let names = match names.len() {
            2 => names.join(" and "),
            _ => names.join(", "),
        };
        let place = match &host {
            Some(host) => format!("on host `{host}`"),
            None => "on this machine".to_string(),
        };
        let placed = host.is_some();
        let message = format!(
            "port {port} {place} is claimed by more than one score ({names}): give each score its own port"
        );
        let span = claims[1].span;
        let hp = ident_at(&hp_ident, span);
        let mut distinct: Vec<(String, &Port, usize)> = Vec::new();
        for claim in &claims {
            let k = &claim.kind;
            let key = format!("{}.{}", quote!(#k), claim.field);
            match distinct.iter_mut().find(|(d, _, _)| *d == key) {
                Some(entry) => entry.2 += 1,
                None => distinct.push((key, claim, 1)),
            }
        }
        let entries = distinct.iter().map(|(_, claim, count)| {
            let k = &claim.kind;
            let kind = respan(&quote!(#k), span);
            let field = &claim.field;
            quote_spanned! {span=> (#hp::claim::<#kind>(#field), #count) }
        });
        claim_checks.push(quote_spanned! {span=>
            const _: () = #hp::port_clash(&[#(#entries),*], #placed, #message);
        });
    }
    let errors = errors.into_compile_errors();
    let mut checks_of: BTreeMap<usize, Vec<TokenStream>> = BTreeMap::new();
    for (instance, item) in field_checks.items(&hp_ident) {
        checks_of.entry(instance).or_default().push(item);
    }
    for PendingScore {
        index,
        handle,
        add,
        score_name,
        kind,
        chain,
        deps,
    } in pending
    {
        // Through the score's field table (`Postgres! { .. }`): the whole `add` goes in, so that
        // a score type that does not exist is one error, on its name.
        let checks = checks_of.remove(&index).unwrap_or_default();
        statements.push(quote! {
            let #handle = #kind! { [#kind] [#(#checks)*] [#add] [&mut #plan_var, #score_name] [#deps] #chain };
            let _ = &#handle;
        });
    }
    // The argument must be a configuration: the error is on its type.
    let config_check = config.as_ref().map(|ty| {
        let span = ty.span();
        quote_spanned! {span=> #hp::config_argument::<#ty>(); }
    });
    let _ = format_ident!("unused");
    quote! {
        #(#attrs)*
        #vis fn #name(#inputs) -> ::harmony_dsl::Plan<#topology> {
            #errors
            #[allow(unused_imports)]
            use ::harmony_dsl::__private as #hp_ident;
            #(#claim_checks)*
            #config_check
            let mut #plan_var = ::harmony_dsl::Plan::<#topology>::new(#plan_name);
            #(#statements)*
            #plan_var
        }
    }
}

#[cfg(test)]
mod tests {
    use super::wired_in;
    use proc_macro2::Span;
    use syn::Ident;

    fn wired(expr: &str) -> Vec<String> {
        let db = Ident::new("db", Span::call_site());
        let cache = Ident::new("cache", Span::call_site());
        let declared = [&db, &cache];
        let mut deps = Vec::new();
        wired_in(&syn::parse_str(expr).unwrap(), &declared, &mut deps);
        deps.iter().map(|d| d.to_string()).collect()
    }

    #[test]
    fn outputs_read_inside_an_expression_are_dependencies() {
        assert_eq!(
            wired("Values { host: db.endpoint.host.clone(), url: format!(\"{}\", cache.url) }"),
            ["db", "cache"]
        );
        assert_eq!(wired("f(db.endpoint, db.endpoint)"), ["db"]);
        // Not an earlier score: a field of something else, a path, a method, a plain variable.
        assert!(wired("config.db.endpoint").is_empty());
        assert!(wired("module::db.endpoint").is_empty());
        assert!(wired("db.len()").is_empty());
        assert!(wired("db").is_empty());
        assert!(wired("web.url").is_empty());
    }
}
