//! `topology!`, step 3: the checked [`Model`] as code. Nothing is checked here: a topology type,
//! one marker type per host (so placement rules are trait bounds), capability impls bound to
//! providers, the constructors, and the const checks of the literals.

use heck::ToShoutySnakeCase;
use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::Ident;
use syn::ext::IdentExt;
use syn::spanned::Spanned;

use super::check::{Capability, Model};
use crate::diag::{generated_ident, respan, snake_case};
use crate::fields::{ARCHES, label_path};

/// The code of a checked topology.
pub(super) fn generate(model: &Model) -> TokenStream {
    let def = model.def;
    let name = &def.name;
    let vis = &def.vis;
    let module = &model.module;

    let mut items = Vec::new();
    let mut host_infos = Vec::new();
    let mut markers = Vec::new();
    // Each host as an associated constant of the topology: `score!` places scores on
    // `HomeLab::nuc`, so an unknown host is "no associated item named `nux` found for struct
    // `HomeLab`" with a did-you-mean, and a host of another topology gets no `use` suggestion
    // (which would fail again).
    let host_consts = model
        .hosts
        .iter()
        .filter(|h| Model::host_constant(h.name))
        .map(|h| {
            let host_name = h.name;
            let doc = format!(
                "Host `{}`: `place: {}` in `score!`.",
                host_name.unraw(),
                host_name
            );
            quote! {
                #[doc = #doc]
                pub const #host_name: #module::#host_name = #module::#host_name;
            }
        })
        .collect::<Vec<_>>();
    for host in &model.hosts {
        let host_name = host.name;
        let host_str = host_name.unraw().to_string();
        let doc = format!("Host `{host_str}` of topology [`{name}`]({name}).");
        markers.push(quote! {
            #[doc = #doc]
            #[allow(non_camel_case_types)]
            #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
            pub struct #host_name;
        });
        let labels: Vec<TokenStream> = host.labels.iter().map(label_path).collect();
        let label_names: Vec<String> = host
            .labels
            .iter()
            .map(|l| {
                l.segments
                    .last()
                    .map(|s| s.ident.unraw().to_string())
                    .unwrap_or_default()
            })
            .collect();
        let address = match &host.address {
            Some((tokens, span)) => {
                items.push(quote_spanned! {*span=>
                    const _: () = ::harmony_dsl::__private::check_kind(::harmony_dsl::__private::ValueKind::IpAddress, #tokens);
                });
                quote! { ::core::option::Option::Some(::harmony_dsl::__private::FromLiteral::from_literal(#tokens)) }
            }
            None => quote! { ::core::option::Option::None },
        };
        let arch_variant = host.arch.as_ref().and_then(|(_, arch)| {
            let arch = arch.unraw().to_string();
            ARCHES
                .iter()
                .find(|(w, _)| *w == arch)
                .map(|(_, m)| format_ident!("{}", m))
        });
        if let (Some((marker, _)), Some(variant)) = (&host.arch, &arch_variant) {
            items.push(quote! {
                impl ::harmony_dsl::topology::Host for #module::#host_name {
                    const NAME: &'static str = #host_str;
                    const ARCH: ::harmony_dsl::Arch = ::harmony_dsl::Arch::#variant;
                }
                impl ::harmony_dsl::topology::HostOf<#name> for #module::#host_name {}
                impl<__S: ?::core::marker::Sized> ::harmony_dsl::topology::RunsOn<__S, #marker> for #module::#host_name {}
                #(impl<__S: ?::core::marker::Sized> ::harmony_dsl::topology::HasLabel<__S, #labels> for #module::#host_name {})*
            });
            host_infos.push(quote! {
                ::harmony_dsl::HostInfo {
                    name: #host_str,
                    arch: ::harmony_dsl::Arch::#variant,
                    address: #address,
                    labels: ::std::vec![#(#label_names),*],
                }
            });
        }
    }

    // Capabilities.
    let mut params = Vec::new();
    let mut inserts = Vec::new();
    let mut declared = Vec::new();
    let mut env_overrides = Vec::new();
    let topology_env = snake_case(&name.unraw().to_string()).to_shouty_snake_case();
    for cap in &model.capabilities {
        let Capability {
            def: cap_def,
            name: cap_name,
            calls,
            literals,
            failed,
        } = cap;
        let capability = &cap_def.capability;
        let provider = &cap_def.provider;
        let param = generated_ident(&snake_case(cap_name), Span::call_site());
        let span = provider.span();
        params.push(quote! { #param: #provider });
        // The capability as written, and no `Provides*` name made from it: a misspelt one is
        // one error, on the user's token, whose did-you-mean is the capability.
        items.push(quote! {
            impl ::harmony_dsl::topology::HasCapability<dyn #capability> for #name {}
        });
        if cap_name == "Fleet" {
            for host in model.hosts.iter().filter_map(|h| h.fleet_device) {
                items.push(quote! {
                    impl ::harmony_dsl::topology::FleetDevice<#name> for #module::#host {}
                });
            }
        }
        inserts.push(quote_spanned! {span=>
            capabilities.insert::<dyn #capability>(
                <#provider as ::harmony_dsl::Provider>::NAME,
                ::std::sync::Arc::new(#param) as ::std::sync::Arc<dyn #capability>,
            );
        });
        for (key_str, lit, lspan) in literals {
            items.push(quote_spanned! {*lspan=>
                const _: () = ::harmony_dsl::__private::check_field(<#provider as ::harmony_dsl::Provider>::FIELDS, #key_str, #lit);
            });
        }
        let env_prefix = format!(
            "HARMONY_{topology_env}_{}",
            snake_case(cap_name).to_shouty_snake_case()
        );
        // After a reported error, no half-built provider: a non-diverging placeholder keeps the
        // code complete without "missing field" or "unreachable code" noise.
        let value = if *failed {
            quote! { ::harmony_dsl::__private::placeholder() }
        } else {
            let name_here = respan(&quote! { #name }, span);
            quote_spanned! {span=> #provider::builder::<#name_here>() #(#calls)* .build() }
        };
        declared.push(value);
        env_overrides.push(quote! {
            ::harmony_dsl::Provider::apply_env(&mut #param, #env_prefix)?;
        });
    }
    // A capability being typed, where a trait goes: an editor completes it there, and the
    // compiler says whether it exists (with a did-you-mean).
    for partial in &def.partial_capabilities {
        items.push(quote! {
            const _: ::core::option::Option<&'static dyn #partial> = ::core::option::Option::None;
        });
    }
    let provider_types = model.capabilities.iter().map(|c| &c.def.provider);
    let param_names: Vec<Ident> = model
        .capabilities
        .iter()
        .map(|c| {
            let last = c
                .def
                .capability
                .segments
                .last()
                .map(|s| s.ident.to_string())
                .unwrap_or_default();
            generated_ident(&snake_case(&last), Span::call_site())
        })
        .collect();

    let attrs = &def.attrs;
    let name_str = name.unraw().to_string();
    let module_doc = format!(
        "Host marker types of topology [`{name_str}`]: one unit struct per host, so placement rules are trait bounds."
    );
    let env_doc = format!(
        "The providers as written in `topology!`, each field overridable from the environment as `HARMONY_{topology_env}_<CAPABILITY>_<FIELD>` (e.g. `HARMONY_{topology_env}_K8S_CLUSTER_CONTEXT`)."
    );
    quote! {
        #(#attrs)*
        #vis struct #name {
            hosts: ::std::vec::Vec<::harmony_dsl::HostInfo>,
            capabilities: ::harmony_dsl::CapabilityMap,
        }

        #[doc = #module_doc]
        #vis mod #module {
            #(#markers)*
        }

        #[allow(non_upper_case_globals)]
        impl #name {
            #(#host_consts)*

            /// Builds the topology with explicit providers, one per capability.
            #[allow(clippy::too_many_arguments)]
            pub fn new(#(#params),*) -> Self {
                #[allow(unused_mut)]
                let mut capabilities = ::harmony_dsl::CapabilityMap::new();
                #(#inserts)*
                #name { hosts: ::std::vec![#(#host_infos),*], capabilities }
            }

            /// The providers as written in `topology!`, in capability order.
            fn __harmony_providers() -> (#(#provider_types,)*) {
                (#(#declared,)*)
            }

            /// The providers exactly as written in `topology!`.
            pub fn declared() -> Self {
                let (#(#param_names,)*) = Self::__harmony_providers();
                Self::new(#(#param_names),*)
            }

            #[doc = #env_doc]
            pub fn from_env() -> ::harmony_dsl::Result<Self> {
                let (#(mut #param_names,)*) = Self::__harmony_providers();
                #(#env_overrides)*
                ::core::result::Result::Ok(Self::new(#(#param_names),*))
            }
        }

        impl ::harmony_dsl::Topology for #name {
            const NAME: &'static str = #name_str;
            fn hosts(&self) -> &[::harmony_dsl::HostInfo] {
                &self.hosts
            }
            fn capabilities(&self) -> &::harmony_dsl::CapabilityMap {
                &self.capabilities
            }
        }

        #(#items)*
    }
}
