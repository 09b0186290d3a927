//! `#[derive(Score)]`: the score's schema, its `Score<T>` impl with capability bounds, its
//! outputs, and a typestate builder where a missing required field is a compile error naming it.

use darling::util::PathList;
use darling::{FromDeriveInput, FromMeta};
use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::ext::IdentExt;
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::{DeriveInput, Ident, Token, Type, Visibility};

use crate::diag::Errors;
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
    /// The score implements `SmokeTest`: its checks gate its deployment (the flag's span is
    /// where a missing `impl SmokeTest` is reported).
    #[darling(default)]
    smoke_test: darling::util::Flag,
    /// The score runs on this machine when not placed on a host: its ports are claimed here.
    #[darling(default)]
    on_this_machine: darling::util::Flag,
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
    // Every error of the derive, in one collection (see `diag::Errors`).
    let mut errors = Errors::default();
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
            smoke_test: darling::util::Flag::default(),
            on_this_machine: darling::util::Flag::default(),
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
                    .with_span(&output.name)
                    .into(),
            );
        }
        seen_outputs.push(&output.name);
    }
    let mut generated = generate(&parsed, &fields, &mut errors);
    generated.extend(field_table_macro(&parsed.ident, &parsed.vis, &fields));
    match errors.check() {
        Ok(()) => generated,
        // The errors, plus the score as far as it could be understood (see above).
        Err(errs) => quote! { #errs #generated },
    }
}

fn generate(input: &ScoreInput, fields: &[Field], errors: &mut Errors) -> TokenStream {
    let name = &input.ident;
    let vis = &input.vis;
    let kind = name.unraw().to_string();
    let table = fields::field_table(fields);

    // Score<T> with one Provides bound per required capability.
    let provides: Vec<TokenStream> = input
        .requires
        .iter()
        .map(|cap| fields::provides_bound(cap, &format_ident!("__T"), name))
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

    let smoke = if input.smoke_test.is_present() {
        let span = input.smoke_test.span();
        let smoke_test = quote_spanned! {span=> <Self as ::harmony_dsl::SmokeTest>::smoke_tests };
        quote! {
            fn smoke_tests(&self, ctx: &::harmony_dsl::ScoreContext<'_>) -> ::std::vec::Vec<::harmony_dsl::SmokeCheck> {
                #smoke_test(self, ctx)
            }
        }
    } else {
        TokenStream::new()
    };
    let on_this_machine = if input.on_this_machine.is_present() {
        quote! { const ON_THIS_MACHINE: bool = true; }
    } else {
        TokenStream::new()
    };
    let builder_items = crate::builder::generate(name, vis, fields, &input.host, "score", errors);
    quote! {

        #[allow(dead_code)]
        impl #name {
            /// Stands for a score `score!` has already reported missing a required field, so
            /// that the builder's typestate adds no second error. Never runs: the program does
            /// not compile.
            #[doc(hidden)]
            pub fn __harmony_unfinished() -> Self {
                ::core::unreachable!("a score with a missing required field does not compile")
            }
        }

        impl ::harmony_dsl::ScoreKind for #name {
            const KIND: &'static str = #kind;
            const FIELDS: &'static [::harmony_dsl::FieldInfo] = #table;
            #on_this_machine
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

/// The text of the `#[doc = ".."]` attributes in `attrs`, one line each.
fn doc_text(attrs: &[syn::Attribute]) -> Vec<String> {
    attrs
        .iter()
        .filter(|a| a.path().is_ident("doc"))
        .filter_map(|a| match &a.meta {
            syn::Meta::NameValue(syn::MetaNameValue {
                value:
                    syn::Expr::Lit(syn::ExprLit {
                        lit: syn::Lit::Str(s),
                        ..
                    }),
                ..
            }) => Some(s.value()),
            _ => None,
        })
        .map(|line| line.strip_prefix(' ').unwrap_or(&line).to_string())
        .collect()
}

/// The score's fields, each with its type, doc and default: what an editor shows on hover over
/// the score type in `score!`, beside the struct's own doc.
fn hover_doc(fields: &[Field]) -> String {
    let mut text = String::from("Fields of this score, as written in `score!`:\n");
    for f in fields {
        let ty = &f.ty;
        let ty = quote!(#ty)
            .to_string()
            .replace(" < ", "<")
            .replace(" >", ">")
            .replace(" ,", ",");
        let how = match (&f.default, f.required()) {
            (_, true) => "required".to_string(),
            (Some(crate::fields::DefaultValue::Expr(e)), _) => {
                format!("default `{}`", quote!(#e))
            }
            (Some(crate::fields::DefaultValue::Trait), _) => "has a default".to_string(),
            (None, false) => "optional".to_string(),
        };
        let doc = doc_text(&f.docs).join(" ");
        let name = f.ident.unraw();
        text.push_str(&format!("\n- `{name}: {ty}` ({how}): {doc}"));
    }
    text
}

/// The score's field table as a hidden `macro_rules!` in the macro namespace under the score's own
/// name (`Postgres!`), so that `score!` (which sees only the path `Postgres`) has its builder
/// chain checked against the fields at expansion time: an unknown field or a missing required one
/// is an error in the user's words while typing, with no type check.
///
/// `#[macro_export]` puts the macro at the crate root under a name unique to this struct; the
/// `use` beside the struct gives it the score's name and visibility, so every import of the score
/// imports its table too. The macro's name is spanned on the struct's, so go-to-definition on the
/// score type in `score!` lands on the struct alone; its doc lists the fields with their docs,
/// which hover shows there beside the struct's doc.
fn field_table_macro(name: &Ident, vis: &Visibility, fields: &[Field]) -> TokenStream {
    let kind = name.unraw().to_string();
    let names: Vec<String> = fields.iter().map(|f| f.ident.unraw().to_string()).collect();
    // The table as one literal, `"Postgres version storage place"`, a required field marked
    // `image!`, a host field `place@`: `score_fields!` reads it with one call into the compiler,
    // once per score.
    let mut table = kind.clone();
    for (name, field) in names.iter().zip(fields) {
        table.push(' ');
        table.push_str(name);
        if field.required() {
            table.push('!');
        }
        if field.is_host() {
            table.push('@');
        }
    }
    // A stable name from the score and its fields (FNV-1a): two scores of one crate differ.
    let mut hash: u32 = 0x811c_9dc5;
    for byte in kind.bytes().chain(names.join(",").bytes()) {
        hash = (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193);
    }
    let macro_name = Ident::new(&format!("{kind}_score_{hash:08x}"), name.span());
    let doc = hover_doc(fields);
    quote! {
        #[doc = #doc]
        #[doc(hidden)]
        #[macro_export]
        // A score declared in a function body (a test's) is fine: the macro is found by the alias.
        #[allow(non_local_definitions, non_snake_case)]
        macro_rules! #macro_name {
            ($($input:tt)*) => {
                ::harmony_dsl::__private::score_fields! { #table $($input)* }
            };
        }
        #[doc(hidden)]
        #[allow(unused_imports)]
        #vis use #macro_name as #name;
    }
}
