//! `score!`, step 1: the plan functions as written. The parser recovers from the usual slips (a
//! half-typed score, a key without a value, a missing `;`, a signature that is not the expected
//! one): each is kept as an error beside what did parse, so that the check step reports it with
//! every other error and the rest of the plan is still generated.

use proc_macro2::TokenStream;
use quote::quote;
use syn::parse::discouraged::Speculative;
use syn::parse::{Parse, ParseStream};
use syn::spanned::Spanned;
use syn::{Attribute, Ident, Path, Token, Type, Visibility, braced, parenthesized};

use crate::syntax::{FieldValue, Value};

/// One score as written: `name = Kind { key: value, ... };`.
pub(super) struct ScoreInstance {
    pub(super) name: Ident,
    pub(super) kind: Path,
    pub(super) fields: Vec<FieldValue>,
    /// Keys written without a value yet (`Postgres { sto }`): reported, and in rust-analyzer's
    /// completion expansion put on the builder for it to complete.
    pub(super) incomplete: Vec<Ident>,
    /// A recoverable syntax error (a missing `;`), reported while the score is still expanded.
    pub(super) error: Option<syn::Error>,
}

/// One plan function as written.
pub(super) struct PlanFn {
    pub(super) attrs: Vec<Attribute>,
    pub(super) vis: Visibility,
    pub(super) name: Ident,
    pub(super) output: Type,
    /// Arguments as written: none, or one configuration (`config: &ShopConfig`); kept in the
    /// generated signature even when wrong, so that callers add no second error.
    pub(super) inputs: TokenStream,
    /// The configuration argument's type (without `&`), checked to be a `#[derive(Config)]`.
    pub(super) config: Option<Type>,
    pub(super) scores: Vec<ScoreInstance>,
    /// The score types of scores that did not parse (`db = Pos`), for completion.
    pub(super) partial: Vec<Path>,
    /// Signature errors the parser recovered from: the function is still generated, so its
    /// callers get no "cannot find function" error on top.
    pub(super) errors: Vec<syn::Error>,
}

/// The plan functions of one `score!`.
pub(super) struct PlanFns(pub(super) Vec<PlanFn>);

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
