//! `#[derive(Score)]`: the score's schema, its `Score<T>` impl with capability bounds, its
//! outputs, and a typestate builder where a missing required field is a compile error naming it.

use darling::util::PathList;
use darling::{FromDeriveInput, FromMeta};
use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::{DeriveInput, Ident, Token, Type, Visibility};

use crate::diag::camel_case;
use crate::fields::{self, DefaultValue, Field, HostRequirements, Shape};

/// One declared output: `name: Type`.
#[derive(Debug, Clone)]
pub struct Output {
    name: Ident,
    ty: Type,
}

/// `outputs(url: Endpoint<Http>, ...)`.
#[derive(Debug, Clone, Default)]
pub struct Outputs(Vec<Output>);

impl FromMeta for Outputs {
    fn from_meta(item: &syn::Meta) -> darling::Result<Self> {
        let list = item.require_list().map_err(darling::Error::from)?;
        let parser = |input: syn::parse::ParseStream| {
            Punctuated::<(Ident, Token![:], Type), Token![,]>::parse_terminated_with(input, |i| {
                Ok((i.parse()?, i.parse()?, i.parse()?))
            })
        };
        // Reported on the whole `outputs(...)`: an error at the end of its tokens would otherwise
        // point at the derive.
        let parsed = parser.parse2(list.tokens.clone()).map_err(|e| {
            darling::Error::custom(format!(
                "{e}; outputs are written `outputs(name: Type, ...)`, e.g. `outputs(endpoint: Endpoint<Postgres>)`"
            ))
            .with_span(item)
        })?;
        Ok(Outputs(
            parsed
                .into_iter()
                .map(|(name, _, ty)| Output { name, ty })
                .collect(),
        ))
    }
}

/// `#[score(...)]` on the struct.
///
/// The shape (a struct with named fields) is checked before darling runs, with a message of our own.
#[derive(Debug, FromDeriveInput)]
#[darling(attributes(score))]
struct ScoreInput {
    ident: Ident,
    vis: Visibility,
    #[darling(default)]
    requires: PathList,
    #[darling(default)]
    outputs: Outputs,
    #[darling(default)]
    host: HostRequirements,
}

/// Expands `#[derive(Score)]` on `input`.
pub fn expand(input: TokenStream) -> TokenStream {
    let derive_input: DeriveInput = match syn::parse2(input) {
        Ok(d) => d,
        Err(e) => return e.to_compile_error(),
    };
    // Say what a score is, at the offending keyword, rather than darling's generic shape error.
    let shape_error = match &derive_input.data {
        syn::Data::Struct(s) if matches!(s.fields, syn::Fields::Named(_)) => None,
        syn::Data::Struct(s) => Some(syn::Error::new_spanned(
            &s.fields,
            "a score needs named fields, one per setting: `pub struct Cache { image: ImageRef, #[score(default = 1)] replicas: u16 }`",
        )),
        syn::Data::Enum(e) => Some(syn::Error::new(
            e.enum_token.span,
            "`#[derive(Score)]` only applies to structs with named fields: a score is one unit of desired state; write one score struct per variant",
        )),
        syn::Data::Union(u) => Some(syn::Error::new(
            u.union_token.span,
            "`#[derive(Score)]` only applies to structs with named fields",
        )),
    };
    if let Some(e) = shape_error {
        return e.to_compile_error();
    }
    if !derive_input.generics.params.is_empty() || derive_input.generics.where_clause.is_some() {
        return syn::Error::new_spanned(
            &derive_input.generics,
            "score types cannot have generic parameters: a score is concrete desired state; wrap the varying part in a field instead",
        )
        .to_compile_error();
    }
    let mut errors = darling::Error::accumulator();
    // On a struct-level attribute error, still generate the score (without the broken
    // attribute's effect), so its uses do not add "no function `builder`" noise to the real error.
    let parsed = errors
        .handle(ScoreInput::from_derive_input(&derive_input))
        .unwrap_or_else(|| ScoreInput {
            ident: derive_input.ident.clone(),
            vis: derive_input.vis.clone(),
            requires: PathList::default(),
            outputs: Outputs::default(),
            host: HostRequirements::default(),
        });
    let fields = match &derive_input.data {
        syn::Data::Struct(syn::DataStruct {
            fields: syn::Fields::Named(named),
            ..
        }) => fields::analyse(named, &mut errors),
        _ => Vec::new(),
    };
    let mut seen_outputs: Vec<&Ident> = Vec::new();
    for output in &parsed.outputs.0 {
        if seen_outputs.contains(&&output.name) {
            errors.push(
                darling::Error::custom(format!("duplicate output `{}`", output.name))
                    .with_span(&output.name),
            );
        }
        seen_outputs.push(&output.name);
    }
    let generated = generate(&parsed, &fields, &mut errors);
    match errors.finish() {
        Ok(()) => generated,
        // The errors, plus the score as far as it could be understood (see above).
        Err(e) => {
            let errs = e.write_errors();
            quote! { #errs #generated }
        }
    }
}

fn generate(
    input: &ScoreInput,
    fields: &[Field],
    errors: &mut darling::error::Accumulator,
) -> TokenStream {
    let name = &input.ident;
    let vis = &input.vis;
    let kind = name.to_string();
    let table = fields::field_table(fields);
    let builder = format_ident!("{}Builder", name);

    // Score<T> with one Provides bound per required capability.
    let provides: Vec<TokenStream> = input
        .requires
        .iter()
        .map(|cap| {
            let p = fields::provides_path(cap);
            quote! { __T: #p<#name> }
        })
        .collect();

    // Outputs.
    let outputs = if input.outputs.0.is_empty() {
        quote! {
            impl ::harmony_dsl::ScoreOutputs for #name {
                type Outputs = ::harmony_dsl::NoOutputs;
                fn outputs(&self, _ctx: &::harmony_dsl::ScoreContext<'_>) -> ::harmony_dsl::NoOutputs {
                    ::harmony_dsl::NoOutputs
                }
            }
        }
    } else {
        let outputs_name = format_ident!("{}Outputs", name);
        let doc =
            format!("Typed outputs of score [`{name}`], for wiring (`database: db.endpoint`).");
        let out_fields = input.outputs.0.iter().map(|o| {
            let (n, t) = (&o.name, &o.ty);
            let d = format!("Output `{n}`.");
            quote! { #[doc = #d] pub #n: #t }
        });
        quote! {
            #[doc = #doc]
            #[derive(Debug, Clone)]
            #vis struct #outputs_name { #(#out_fields),* }
        }
    };

    // Serialize, by hand: a score is its fields.
    let ser_fields = fields.iter().map(|f| {
        let ident = &f.ident;
        let key = ident.to_string();
        quote! { ::harmony_dsl::__private::serde::ser::SerializeStruct::serialize_field(&mut state, #key, &self.#ident)?; }
    });
    let n_fields = fields.len();

    // Builder: typestate parameters for required fields.
    let required: Vec<&Field> = fields.iter().filter(|f| f.required()).collect();
    let state_params: Vec<Ident> = required
        .iter()
        .map(|f| format_ident!("__{}", camel_case(&f.ident.to_string())))
        .collect();
    let storage = fields.iter().map(|f| {
        let ident = &f.ident;
        let ty = &f.ty;
        if let Some(i) = required.iter().position(|r| r.ident == f.ident) {
            let p = &state_params[i];
            return quote! { #ident: #p };
        }
        match &f.shape {
            Shape::Value | Shape::Host => quote! { #ident: ::core::option::Option<#ty> },
            _ => quote! { #ident: #ty },
        }
    });
    let initial = fields.iter().map(|f| {
        let ident = &f.ident;
        if required.iter().any(|r| r.ident == f.ident) {
            return quote! { #ident: ::harmony_dsl::__private::Unset };
        }
        match &f.shape {
            Shape::List | Shape::HostList => quote! { #ident: ::std::vec::Vec::new() },
            _ => quote! { #ident: ::core::option::Option::None },
        }
    });
    let unset_states = state_params
        .iter()
        .map(|_| quote! { ::harmony_dsl::__private::Unset });
    let builder_doc = format!(
        "Builder of [`{name}`]. Required fields are tracked in the type: `build()` only compiles once each is set. `T` is the topology the score will be placed on."
    );

    let host_param = quote! { __H };
    let host_bounds = fields::host_bounds(&host_param, name, &input.host, errors);

    // Setters of required fields: one impl each, moving that field's state from Unset to Set.
    let required_setters = required.iter().enumerate().map(|(i, f)| {
        let ident = &f.ident;
        let ty = &f.ty;
        let others: Vec<&Ident> = state_params.iter().enumerate().filter(|(j, _)| *j != i).map(|(_, p)| p).collect();
        let before = state_params.iter().enumerate().map(|(j, p)| if j == i { quote! { ::harmony_dsl::__private::Unset } } else { quote! { #p } });
        let after = state_params.iter().enumerate().map(|(j, p)| if j == i { quote! { ::harmony_dsl::__private::Set<#ty> } } else { quote! { #p } });
        let moves = fields.iter().filter(|o| o.ident != f.ident).map(|o| { let id = &o.ident; quote! { #id: self.#id } });
        let cap_bounds = f.requires.iter().map(|c| { let p = fields::provides_path(c); quote! { __T: #p<#name> } });
        let doc = format!("Sets `{ident}` (required).");
        if f.is_host() {
            quote! {
                #[allow(dead_code)]
                impl<__T, #(#others),*> #builder<__T, #(#before),*> {
                    #[doc = #doc]
                    pub fn #ident<#host_param>(self, _host: #host_param) -> #builder<__T, #(#after),*>
                    where #host_param: ::harmony_dsl::topology::HostOf<__T>, #(#host_bounds,)* #(#cap_bounds,)*
                    {
                        #builder {
                            #ident: ::harmony_dsl::__private::Set(::harmony_dsl::Placement::of::<#host_param>()),
                            #(#moves,)*
                            __topology: ::core::marker::PhantomData,
                        }
                    }
                }
            }
        } else {
            quote! {
                #[allow(dead_code)]
                impl<__T, #(#others),*> #builder<__T, #(#before),*> {
                    #[doc = #doc]
                    pub fn #ident(self, value: #ty) -> #builder<__T, #(#after),*>
                    where #(#cap_bounds,)*
                    {
                        #builder {
                            #ident: ::harmony_dsl::__private::Set(value),
                            #(#moves,)*
                            __topology: ::core::marker::PhantomData,
                        }
                    }
                }
            }
        }
    });

    // Setters of optional fields, all in one impl block.
    let optional_setters = fields.iter().filter(|f| !f.required()).map(|f| {
        let ident = &f.ident;
        let ty = &f.ty;
        let cap_bounds: Vec<TokenStream> = f.requires.iter().map(|c| { let p = fields::provides_path(c); quote! { __T: #p<#name> } }).collect();
        match &f.shape {
            Shape::Value => {
                let doc = format!("Sets `{ident}` (has a default).");
                quote! { #[doc = #doc] pub fn #ident(mut self, value: #ty) -> Self where #(#cap_bounds,)* { self.#ident = ::core::option::Option::Some(value); self } }
            }
            Shape::Optional(inner) => {
                let doc = format!("Sets `{ident}` (optional).");
                quote! { #[doc = #doc] pub fn #ident(mut self, value: #inner) -> Self where #(#cap_bounds,)* { self.#ident = ::core::option::Option::Some(value); self } }
            }
            Shape::List => {
                let doc = format!("Sets `{ident}` (optional, empty by default).");
                quote! { #[doc = #doc] pub fn #ident(mut self, value: #ty) -> Self where #(#cap_bounds,)* { self.#ident = value; self } }
            }
            Shape::Host | Shape::OptionalHost => {
                let doc = format!("Places `{ident}` on host `H`.");
                quote! {
                    #[doc = #doc]
                    pub fn #ident<#host_param>(mut self, _host: #host_param) -> Self
                    where #host_param: ::harmony_dsl::topology::HostOf<__T>, #(#host_bounds,)* #(#cap_bounds,)*
                    { self.#ident = ::core::option::Option::Some(::harmony_dsl::Placement::of::<#host_param>()); self }
                }
            }
            Shape::HostList => {
                let doc = format!("Adds host `H` to `{ident}`.");
                quote! {
                    #[doc = #doc]
                    pub fn #ident<#host_param>(mut self, _host: #host_param) -> Self
                    where #host_param: ::harmony_dsl::topology::HostOf<__T>, #(#host_bounds,)* #(#cap_bounds,)*
                    { self.#ident.push(::harmony_dsl::Placement::of::<#host_param>()); self }
                }
            }
        }
    });

    // Per-required-field traits whose diagnostic names the missing field.
    let is_set_traits: Vec<Ident> = required
        .iter()
        .map(|f| format_ident!("{}{}IsSet", name, camel_case(&f.ident.to_string())))
        .collect();
    let is_set_defs = required.iter().zip(&is_set_traits).map(|(f, t)| {
        let ty = &f.ty;
        let field = f.ident.to_string();
        let message = format!("score `{name}` is missing required field `{field}`");
        let label = format!("`{field}` is not set");
        let note = format!("add `{field}: <value>` to this `{name}`; it has no default");
        let doc = format!("Typestate: field `{field}` of [`{name}`] is set.");
        quote! {
            #[doc = #doc]
            #[doc(hidden)]
            #[diagnostic::on_unimplemented(message = #message, label = #label, note = #note)]
            #vis trait #t {
                #[doc(hidden)]
                fn __value(self) -> #ty;
            }
            impl #t for ::harmony_dsl::__private::Set<#ty> {
                fn __value(self) -> #ty { self.0 }
            }
        }
    });
    let build_bounds = state_params
        .iter()
        .zip(&is_set_traits)
        .map(|(p, t)| quote! { #p: #t });
    let mut literal_checks = Vec::new();
    let build_fields = fields.iter().map(|f| {
        let ident = &f.ident;
        if let Some(i) = required.iter().position(|r| r.ident == f.ident) {
            let t = &is_set_traits[i];
            return quote! { #ident: #t::__value(self.#ident) };
        }
        match (&f.shape, &f.default) {
            (Shape::Value, Some(DefaultValue::Expr(expr))) | (Shape::Host, Some(DefaultValue::Expr(expr))) => {
                if let Some(lit) = crate::literal::literal_of(expr) {
                    let ty = &f.ty;
                    let span = ident.span();
                    literal_checks.push(quote::quote_spanned! {span=>
                        const _: () = ::harmony_dsl::__private::check_kind(<#ty as ::harmony_dsl::__private::ScoreField>::KIND, #lit);
                    });
                    quote! { #ident: self.#ident.unwrap_or_else(|| ::harmony_dsl::__private::FromLiteral::from_literal(#lit)) }
                } else {
                    quote! { #ident: self.#ident.unwrap_or_else(|| #expr) }
                }
            }
            (Shape::Value, _) | (Shape::Host, _) => quote! { #ident: self.#ident.unwrap_or_default() },
            _ => quote! { #ident: self.#ident },
        }
    }).collect::<Vec<_>>();

    let all_params = quote! { __T, #(#state_params),* };
    let span = Span::call_site();
    let _ = span;
    quote! {
        impl ::harmony_dsl::ScoreKind for #name {
            const KIND: &'static str = #kind;
            const FIELDS: &'static [::harmony_dsl::FieldInfo] = #table;
        }

        impl ::harmony_dsl::__private::serde::Serialize for #name {
            fn serialize<__S: ::harmony_dsl::__private::serde::Serializer>(&self, serializer: __S) -> ::core::result::Result<__S::Ok, __S::Error> {
                let mut state = ::harmony_dsl::__private::serde::Serializer::serialize_struct(serializer, #kind, #n_fields)?;
                #(#ser_fields)*
                ::harmony_dsl::__private::serde::ser::SerializeStruct::end(state)
            }
        }

        impl<__T> ::harmony_dsl::Score<__T> for #name
        where __T: ::harmony_dsl::Topology, #(#provides,)*
        {}

        #outputs

        #[doc = #builder_doc]
        #[must_use = "a builder does nothing until `build()` is called"]
        #[allow(dead_code)]
        #vis struct #builder<#all_params> {
            #(#storage,)*
            __topology: ::core::marker::PhantomData<fn() -> (#all_params)>,
        }

        #[allow(dead_code)]
        impl #name {
            /// A builder for this score, to be placed on topology `T`.
            pub fn builder<__T>() -> #builder<__T, #(#unset_states),*> {
                #builder { #(#initial,)* __topology: ::core::marker::PhantomData }
            }
        }

        #(#is_set_defs)*

        #(#required_setters)*

        #[allow(dead_code)]
        impl<#all_params> #builder<#all_params> {
            #(#optional_setters)*

            /// Builds the score; compiles only once every required field is set.
            pub fn build(self) -> #name
            where #(#build_bounds,)*
            {
                #name { #(#build_fields,)* }
            }
        }

        #(#literal_checks)*
    }
}
