//! `#[derive(Config)]`: a struct becomes a configuration schema. Each field is resolved from the
//! sources in order (through `harmony_dsl::config::Resolution::field`); `#[config(key = "...")]`
//! renames a key, `#[config(default = literal)]` gives a default checked at compile time.

use darling::{FromDeriveInput, FromField};
use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::{DeriveInput, Expr, Ident, LitStr, Type};

use crate::diag::Errors;

#[derive(Debug, FromDeriveInput)]
#[darling(attributes(config), supports(struct_named))]
struct ConfigInput {
    ident: Ident,
    generics: syn::Generics,
    data: darling::ast::Data<(), ConfigField>,
}

#[derive(Debug, FromField)]
#[darling(attributes(config))]
struct ConfigField {
    ident: Option<Ident>,
    ty: Type,
    /// The key in every source, when it differs from the field name.
    #[darling(default)]
    key: Option<LitStr>,
    /// A literal used when no source has the key.
    #[darling(default)]
    default: Option<DefaultValue>,
}

/// `default = <literal>`, kept as written (darling would read a string literal's content as an
/// expression).
#[derive(Debug)]
struct DefaultValue(Expr);

impl darling::FromMeta for DefaultValue {
    fn from_expr(expr: &Expr) -> darling::Result<Self> {
        Ok(DefaultValue(negation_as_unary(expr)))
    }
}

/// syn reads `-1` in an attribute as one literal `-1`; the literal checks expect `-` applied to
/// `1`, as in expressions.
fn negation_as_unary(expr: &Expr) -> Expr {
    let Expr::Lit(syn::ExprLit { lit, .. }) = expr else {
        return expr.clone();
    };
    let span = lit.span();
    let magnitude = match lit {
        syn::Lit::Int(i) => i
            .to_string()
            .strip_prefix('-')
            .map(|m| syn::Lit::Int(syn::LitInt::new(m, span))),
        syn::Lit::Float(f) => f
            .to_string()
            .strip_prefix('-')
            .map(|m| syn::Lit::Float(syn::LitFloat::new(m, span))),
        _ => None,
    };
    match magnitude {
        Some(lit) => syn::parse_quote_spanned! {span=> -#lit },
        None => expr.clone(),
    }
}

/// A key can be an environment variable suffix and a TOML bare key: letters, digits, `_`, `-`.
fn valid_key(key: &str) -> bool {
    !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Expands `#[derive(Config)]` on `input`.
pub fn expand(input: TokenStream) -> TokenStream {
    let derive_input: DeriveInput = match syn::parse2(input) {
        Ok(d) => d,
        Err(e) => return e.to_compile_error(),
    };
    let mut errors = Errors::default();
    let Some(parsed) = errors.handle(ConfigInput::from_derive_input(&derive_input)) else {
        return errors.into_compile_errors();
    };
    if !parsed.generics.params.is_empty() {
        errors.at(
            parsed.generics.span(),
            "a configuration struct cannot have generic parameters: its fields are the keys",
        );
    }
    let fields = parsed
        .data
        .take_struct()
        .map(|f| f.fields)
        .unwrap_or_default();
    let private = quote! { ::harmony_dsl::__private };
    let config = quote! { ::harmony_dsl::config };
    let lookup = Ident::new("lookup", Span::mixed_site());
    let report = Ident::new("report", Span::mixed_site());
    let mut resolves = Vec::new();
    let mut inits = Vec::new();
    let mut checks = Vec::new();
    let mut seen: Vec<(String, Span)> = Vec::new();
    for field in &fields {
        let Some(ident) = &field.ident else { continue };
        let ty = &field.ty;
        let (key, key_span) = match &field.key {
            Some(lit) => (lit.value(), lit.span()),
            None => (ident.unraw().to_string(), ident.span()),
        };
        // A field with an error still gets a value, so the struct expression adds no error.
        let placeholder = quote! { #ident: #private::placeholder() };
        if !valid_key(&key) {
            errors.at(
                key_span,
                format!("`{key}` is not a usable configuration key: use letters, digits, `_` and `-`, e.g. `db_password`"),
            );
            inits.push(placeholder);
            continue;
        }
        if let Some((_, first)) = seen.iter().find(|(k, _)| *k == key) {
            errors.duplicate("configuration key", &key, *first, key_span);
            inits.push(placeholder);
            continue;
        }
        seen.push((key.clone(), key_span));
        let default = match &field.default {
            None => quote! { ::core::option::Option::None },
            Some(DefaultValue(expr)) => match crate::literal::literal_of(expr, &private) {
                Some(literal) => {
                    // `check_kind` panics itself (`#[track_caller]`): the error is on the literal.
                    let span = expr.span();
                    let hp = crate::diag::respan(&private, span);
                    let value = crate::diag::respan(&quote! { #config::ConfigValue }, span);
                    checks.push(quote_spanned! {span=>
                        const _: () = #hp::check_kind(<#ty as #value>::KIND, #literal);
                    });
                    quote! { ::core::option::Option::Some(#literal) }
                }
                None => {
                    errors.at(
                        expr.span(),
                        "a default is a literal of the field's type, e.g. `#[config(default = 3)]` or `#[config(default = \"10s\")]`",
                    );
                    inits.push(placeholder);
                    continue;
                }
            },
        };
        let ty_span = ty.span();
        let local = Ident::new(&format!("field_{}", ident.unraw()), Span::mixed_site());
        resolves.push(quote_spanned! {ty_span=>
            let #local = #report.field::<#ty>(#lookup, #key, #default);
        });
        inits.push(quote! { #ident: #local? });
    }
    let name = &parsed.ident;
    let errors = errors.into_compile_errors();
    let (impl_generics, ty_generics, where_clause) = parsed.generics.split_for_impl();
    quote! {
        #errors
        #(#checks)*
        impl #impl_generics #config::Config for #name #ty_generics #where_clause {
            fn from_lookup(
                #lookup: &mut dyn #config::ConfigLookup,
                #report: &mut #config::Resolution,
            ) -> ::core::option::Option<Self> {
                #(#resolves)*
                ::core::option::Option::Some(Self { #(#inits),* })
            }
        }
    }
}
