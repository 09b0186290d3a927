//! `#[derive(Score)]`: the score's schema, its `Score<T>` impl with capability bounds, its
//! outputs, and a typestate builder where a missing required field is a compile error naming it.

use darling::util::PathList;
use darling::{FromDeriveInput, FromMeta};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::ext::IdentExt;
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::{DeriveInput, Ident, Token, Type, Visibility};

use crate::fields::{self, Field, HostRequirements};

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
        let parsed = parser.parse2(list.tokens.clone()).map_err(|e| {
            darling::Error::from(syn::Error::new(
                e.span(),
                format!("{e}; outputs are written `outputs(name: Type, ...)`, e.g. `outputs(endpoint: Endpoint<Postgres>)`"),
            ))
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
#[derive(Debug, FromDeriveInput)]
#[darling(attributes(score), supports(struct_named))]
struct ScoreInput {
    ident: Ident,
    vis: Visibility,
    generics: syn::Generics,
    data: darling::ast::Data<darling::util::Ignored, darling::util::Ignored>,
    #[darling(default)]
    requires: PathList,
    #[darling(default)]
    outputs: Outputs,
    #[darling(default)]
    host: HostRequirements,
    /// The score implements `SmokeTest`: its checks gate its deployment.
    #[darling(default)]
    smoke_test: bool,
}

/// Expands `#[derive(Score)]` on `input`.
pub fn expand(input: TokenStream) -> TokenStream {
    let derive_input: DeriveInput = match syn::parse2(input) {
        Ok(d) => d,
        Err(e) => return e.to_compile_error(),
    };
    let mut errors = darling::Error::accumulator();
    let Some(parsed) = errors.handle(ScoreInput::from_derive_input(&derive_input)) else {
        return errors
            .finish()
            .err()
            .map(|e| e.write_errors())
            .unwrap_or_default();
    };
    let _ = &parsed.data;
    if !parsed.generics.params.is_empty() || parsed.generics.where_clause.is_some() {
        errors.push(
            darling::Error::custom(
                "score types cannot have generic parameters: a score is concrete desired state; wrap the varying part in a field instead",
            )
            .with_span(&parsed.generics),
        );
    }
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
        Err(e) => {
            let errs = e.write_errors();
            quote! { #errs }
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
    let kind = name.unraw().to_string();
    let table = fields::field_table(fields);

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
        let key = ident.unraw().to_string();
        quote! { ::harmony_dsl::__private::serde::ser::SerializeStruct::serialize_field(&mut state, #key, &self.#ident)?; }
    });
    let n_fields = fields.len();

    let smoke = if input.smoke_test {
        quote! {
            fn smoke_tests(&self, ctx: &::harmony_dsl::ScoreContext<'_>) -> ::std::vec::Vec<::harmony_dsl::SmokeCheck> {
                <Self as ::harmony_dsl::SmokeTest>::smoke_tests(self, ctx)
            }
        }
    } else {
        TokenStream::new()
    };
    let builder_items = crate::builder::generate(name, vis, fields, &input.host, "score", errors);
    quote! {
        impl ::harmony_dsl::ScoreKind for #name {
            const KIND: &'static str = #kind;
            const FIELDS: &'static [::harmony_dsl::FieldInfo] = #table;
            #smoke
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

        #builder_items
    }
}
