//! `#[derive(Provider)]`: a capability provider's field table (for the literal checks `topology!`
//! emits), environment overrides, and the typestate builder `topology!` builds it with (its host
//! setters check placement: `#[provider(host(labels(control_plane)))]`).

use darling::FromDeriveInput;
use proc_macro2::TokenStream;
use quote::quote;
use syn::ext::IdentExt;
use syn::{DeriveInput, Ident};

use crate::diag::Errors;
use crate::fields::{self, HostRequirements};

#[derive(Debug, FromDeriveInput)]
#[darling(attributes(provider), supports(struct_named))]
struct ProviderInput {
    ident: Ident,
    vis: syn::Visibility,
    generics: syn::Generics,
    #[darling(default)]
    host: HostRequirements,
}

/// Expands `#[derive(Provider)]` on `input`.
pub fn expand(input: TokenStream) -> TokenStream {
    let derive_input: DeriveInput = match syn::parse2(input) {
        Ok(d) => d,
        Err(e) => return e.to_compile_error(),
    };
    let mut errors = Errors::default();
    let Some(parsed) = errors.handle(ProviderInput::from_derive_input(&derive_input)) else {
        return errors.into_compile_errors();
    };
    if !parsed.generics.params.is_empty() {
        errors.push(
            darling::Error::custom("providers cannot have generic parameters")
                .with_span(&parsed.generics)
                .into(),
        );
    }
    let fields = match &derive_input.data {
        syn::Data::Struct(syn::DataStruct {
            fields: syn::Fields::Named(named),
            ..
        }) => fields::analyse(named, &mut errors),
        _ => Vec::new(),
    };
    let name = &parsed.ident;
    let name_str = name.unraw().to_string();
    let table = fields::field_table(&fields);
    let env = fields.iter().map(|f| {
        let ident = &f.ident;
        let suffix = ident.unraw().to_string().to_uppercase();
        quote! {
            ::harmony_dsl::__private::EnvField::set_from_env(&mut self.#ident, &::std::format!("{}_{}", prefix, #suffix))?;
        }
    });
    let builder = crate::builder::generate(
        name,
        &parsed.vis,
        &fields,
        &parsed.host,
        "provider",
        &mut errors,
    );
    let generated = quote! {
        impl ::harmony_dsl::Provider for #name {
            const NAME: &'static str = #name_str;
            const FIELDS: &'static [::harmony_dsl::FieldInfo] = #table;
            fn apply_env(&mut self, prefix: &str) -> ::harmony_dsl::Result<()> {
                #(#env)*
                ::core::result::Result::Ok(())
            }
        }

        #builder
    };
    match errors.check() {
        Ok(()) => generated,
        Err(errors) => errors,
    }
}
