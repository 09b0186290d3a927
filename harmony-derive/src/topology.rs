//! `topology!`: hosts and capability providers become a topology type, one marker type per host
//! (so placement rules are trait bounds), capability impls bound to providers, and constructors.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream};
use syn::spanned::Spanned;
use syn::{Attribute, Ident, Path, Token, Visibility, braced};

use crate::diag::{Errors, did_you_mean, generated_ident, respan, snake_case, with_suggestion};
use crate::fields::{ARCHES, arch_marker, label_path};
use crate::syntax::{FieldValue, Value, parse_fields};

struct HostDef {
    name: Ident,
    fields: Vec<FieldValue>,
}

struct CapabilityDef {
    capability: Path,
    provider: Path,
    fields: Vec<FieldValue>,
    /// A recoverable syntax error (a missing `=>`): reported, and the entry still used, so the
    /// topology keeps this capability and its users get no second error about it.
    error: Option<syn::Error>,
}

struct Section<T> {
    name: Ident,
    items: Vec<T>,
}

struct TopologyDef {
    attrs: Vec<Attribute>,
    vis: Visibility,
    name: Ident,
    hosts: Vec<Section<HostDef>>,
    capabilities: Vec<Section<CapabilityDef>>,
    unknown_sections: Vec<Ident>,
    /// Syntax errors the parser recovered from.
    syntax_errors: Vec<syn::Error>,
}

const SECTIONS: [&str; 2] = ["hosts", "capabilities"];
const HOST_KEYS: [&str; 3] = ["arch", "address", "labels"];

impl Parse for HostDef {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        if let Some(error) = crate::syntax::keyword_error(input, "a host") {
            return Err(error);
        }
        let name: Ident = input.parse().map_err(|e| {
            syn::Error::new(
                e.span(),
                "expected a host: its name and its fields in braces, e.g. `nuc { arch: x86_64, address: \"192.168.1.10\" }`",
            )
        })?;
        if !input.peek(syn::token::Brace) {
            return Err(syn::Error::new(
                name.span(),
                format!("expected `{name} {{ arch: ..., address: \"...\" }}` after the host name"),
            ));
        }
        let fields = parse_fields(input)?;
        Ok(HostDef { name, fields })
    }
}

impl Parse for CapabilityDef {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let capability: Path = input.parse()?;
        let mut error = None;
        if input.peek(Token![=>]) {
            input.parse::<Token![=>]>()?;
        } else {
            let message = format!(
                "expected `=>` between the capability and its provider: `{} => Provider {{ ... }}`, e.g. `K8sCluster => Kube {{ context: \"homelab\" }}`",
                quote!(#capability).to_string().replace(' ', "")
            );
            // Recover from the usual slips (`->`, `=`, `:` or nothing) when a provider follows.
            let span = if input.peek(Token![->]) {
                input.parse::<Token![->]>()?.spans[0]
            } else if input.peek(Token![=]) {
                input.parse::<Token![=]>()?.span
            } else if input.peek(Token![:]) && !input.peek(Token![::]) {
                input.parse::<Token![:]>()?.span
            } else {
                capability.span()
            };
            if !(input.peek(Ident) || input.peek(Token![::])) {
                return Err(syn::Error::new(span, message));
            }
            error = Some(syn::Error::new(span, message));
        }
        let provider: Path = input.parse()?;
        let fields = if input.peek(syn::token::Brace) {
            parse_fields(input)?
        } else {
            Vec::new()
        };
        Ok(CapabilityDef {
            capability,
            provider,
            fields,
            error,
        })
    }
}

fn parse_items<T: Parse>(input: ParseStream) -> syn::Result<Vec<T>> {
    let content;
    braced!(content in input);
    let mut items = Vec::new();
    while !content.is_empty() {
        items.push(content.parse()?);
        if content.peek(Token![,]) {
            content.parse::<Token![,]>()?;
        }
    }
    Ok(items)
}

impl Parse for TopologyDef {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis: Visibility = input.parse()?;
        let mut syntax_errors = Vec::new();
        if input.peek(Token![struct]) {
            // Reported, then parsed as if it were not there.
            let token = input.parse::<Token![struct]>()?;
            syntax_errors.push(syn::Error::new(
                token.span,
                "write the topology without `struct`: `pub HomeLab { hosts { ... } capabilities { ... } }`",
            ));
        }
        if let Some(error) = crate::syntax::keyword_error(input, "a topology") {
            return Err(error);
        }
        let name: Ident = input.parse().map_err(|e| {
            syn::Error::new(
                e.span(),
                "expected the topology's name and body: `pub HomeLab { hosts { ... } capabilities { ... } }`",
            )
        })?;
        if !input.peek(syn::token::Brace) {
            return Err(syn::Error::new(
                name.span(),
                format!(
                    "expected the body of topology `{name}` in braces: `{name} {{ hosts {{ ... }} capabilities {{ ... }} }}`"
                ),
            ));
        }
        let content;
        braced!(content in input);
        let mut def = TopologyDef {
            attrs,
            vis,
            name,
            hosts: Vec::new(),
            capabilities: Vec::new(),
            unknown_sections: Vec::new(),
            syntax_errors,
        };
        while !content.is_empty() {
            let section: Ident = content.call(Ident::parse_any).map_err(|e| {
                syn::Error::new(
                    e.span(),
                    "expected a section: `hosts { nuc { arch: x86_64 } }` or `capabilities { K8sCluster => Kube { context: \"homelab\" } }`",
                )
            })?;
            if !content.peek(syn::token::Brace) {
                return Err(syn::Error::new(
                    section.span(),
                    format!("expected the section's body in braces: `{section} {{ ... }}`"),
                ));
            }
            match section.unraw().to_string().as_str() {
                "hosts" => {
                    let items = parse_items(&content)?;
                    def.hosts.push(Section {
                        name: section,
                        items,
                    });
                }
                "capabilities" => {
                    let items = parse_items(&content)?;
                    def.capabilities.push(Section {
                        name: section,
                        items,
                    });
                }
                _ => {
                    // Skip its body so the other sections are still checked.
                    let skipped;
                    braced!(skipped in content);
                    let _: TokenStream = skipped.parse()?;
                    def.unknown_sections.push(section);
                }
            }
        }
        if !input.is_empty() {
            return Err(input.error(
                "one topology per `topology!`: unexpected tokens after the topology's body",
            ));
        }
        Ok(def)
    }
}

/// Expands `topology! { ... }`.
pub fn expand(input: TokenStream) -> TokenStream {
    match syn::parse2::<TopologyDef>(input) {
        Ok(def) => expand_def(&def),
        Err(e) => e.to_compile_error(),
    }
}

struct Host<'a> {
    name: &'a Ident,
    arch: Option<TokenStream>,
    arch_value: Option<Ident>,
    address: Option<syn::Expr>,
    labels: Vec<Path>,
}

fn expand_def(def: &TopologyDef) -> TokenStream {
    let mut errors = Errors::default();
    for error in &def.syntax_errors {
        errors.push(error.clone());
    }
    for error in def
        .capabilities
        .iter()
        .flat_map(|s| &s.items)
        .filter_map(|c| c.error.as_ref())
    {
        errors.push(error.clone());
    }
    for section in &def.unknown_sections {
        errors.at(
            section.span(),
            with_suggestion(
                format!("unknown section `{section}` in topology `{}`", def.name),
                did_you_mean(&section.to_string(), SECTIONS),
                "a topology has `hosts { ... }` and `capabilities { ... }`",
            ),
        );
    }
    for sections in [
        def.hosts.iter().map(|s| &s.name).collect::<Vec<_>>(),
        def.capabilities.iter().map(|s| &s.name).collect(),
    ] {
        if let [first, rest @ ..] = sections.as_slice() {
            for again in rest {
                errors.duplicate(
                    "section",
                    &again.unraw().to_string(),
                    first.span(),
                    again.span(),
                );
            }
        }
    }

    let name = &def.name;
    let vis = &def.vis;
    if def.hosts.iter().all(|s| s.items.is_empty())
        && def.capabilities.iter().all(|s| s.items.is_empty())
    {
        errors.at(
            name.span(),
            format!("topology `{name}` is empty: declare its hosts and the capabilities it offers, e.g. `{name} {{ hosts {{ nuc {{ arch: x86_64, address: \"192.168.1.10\" }} }} capabilities {{ K8sCluster => Kube {{ context: \"homelab\" }} }} }}`"),
        );
    }
    if let Some(message) = crate::syntax::name_rule_violation(&name.to_string(), "topology") {
        errors.at(name.span(), message);
    }
    let module = generated_ident(&snake_case(&name.to_string()), name.span());

    // Hosts.
    let mut hosts: Vec<Host> = Vec::new();
    for host in def.hosts.iter().flat_map(|s| &s.items) {
        if let Some(first) = hosts.iter().find(|h| *h.name == host.name) {
            errors.duplicate(
                "host",
                &host.name.unraw().to_string(),
                first.name.span(),
                host.name.span(),
            );
            continue;
        }
        if let Some(message) = crate::syntax::name_rule_violation(&host.name.to_string(), "host") {
            errors.at(host.name.span(), message);
        }
        let mut parsed = Host {
            name: &host.name,
            arch: None,
            arch_value: None,
            address: None,
            labels: Vec::new(),
        };
        let mut seen: Vec<&Ident> = Vec::new();
        for field in &host.fields {
            if !errors.first_time("key", &mut seen, &field.key) {
                continue;
            }
            match (field.key.unraw().to_string().as_str(), &field.value) {
                ("arch", Value::Host(arch)) => match arch_marker(arch) {
                    Ok(marker) => {
                        parsed.arch = Some(marker);
                        parsed.arch_value = Some(arch.clone());
                    }
                    Err(e) => errors.push(e),
                },
                ("arch", other) => errors.at(
                    other.span(),
                    "expected an architecture: `x86_64`, `aarch64`, `armv7` or `riscv64`",
                ),
                ("address", Value::Lit(lit)) => parsed.address = Some(lit.clone()),
                ("address", other) => errors.at(
                    other.span(),
                    "expected an IP address literal, e.g. `address: \"192.168.1.10\"`",
                ),
                ("labels", Value::List(_, items)) => {
                    let mut seen_labels: Vec<&Ident> = Vec::new();
                    for item in items {
                        match item {
                            Value::Host(label)
                                if seen_labels.iter().any(|l| l.unraw() == label.unraw()) =>
                            {
                                errors.at(
                                    label.span(),
                                    format!("label `{}` is listed twice on host `{}`: labels are a set; remove the second one", label.unraw(), host.name.unraw()),
                                );
                            }
                            Value::Host(label) => {
                                seen_labels.push(label);
                                parsed.labels.push(Path::from(label.clone()))
                            }
                            Value::HostPath(path) => parsed.labels.push(path.clone()),
                            other => errors.at(
                                other.span(),
                                "expected a label name, e.g. `labels: [gpu, control_plane]`",
                            ),
                        }
                    }
                }
                ("labels", other) => errors.at(
                    other.span(),
                    "expected a list of labels, e.g. `labels: [gpu, control_plane]`",
                ),
                (key, _) => errors.at(
                    field.key.span(),
                    with_suggestion(
                        format!("unknown host key `{key}`"),
                        did_you_mean(key, HOST_KEYS),
                        "a host has `arch`, `address` and `labels`",
                    ),
                ),
            }
        }
        if parsed.arch.is_none() && !seen.iter().any(|k| *k == "arch") {
            errors.at(
                host.name.span(),
                format!(
                    "host `{}` needs an architecture, e.g. `arch: x86_64`",
                    host.name
                ),
            );
        }
        hosts.push(parsed);
    }
    let host_names: Vec<String> = hosts.iter().map(|h| h.name.unraw().to_string()).collect();
    for host in &hosts {
        let host_name = host.name.unraw().to_string();
        if ["new", "declared", "from_env"].contains(&host_name.as_str()) {
            errors.at(
                host.name.span(),
                format!("host name `{host_name}` is taken by `{name}::{host_name}()`: give the host another name, e.g. `{host_name}1`"),
            );
        }
    }

    let mut items = Vec::new();
    let mut host_infos = Vec::new();
    let mut markers = Vec::new();
    // Each host as an associated constant of the topology: `score!` places scores on
    // `HomeLab::nuc`, so an unknown host is "no associated item named `nux` found for struct
    // `HomeLab`" with a did-you-mean, and a host of another topology gets no `use` suggestion
    // (which would fail again).
    let host_consts = hosts
        .iter()
        .filter(|h| !["new", "declared", "from_env"].contains(&h.name.unraw().to_string().as_str()))
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
    for host in &hosts {
        let host_name = host.name;
        let host_str = host_name.unraw().to_string();
        let arch_ident = host
            .arch_value
            .as_ref()
            .map(|a| a.unraw().to_string())
            .unwrap_or_default();
        let arch_variant = ARCHES
            .iter()
            .find(|(w, _)| *w == arch_ident)
            .map(|(_, m)| format_ident!("{}", m));
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
            Some(lit) => {
                match crate::literal::literal_of(lit, &quote! { ::harmony_dsl::__private }) {
                    Some(tokens) => {
                        let span = lit.span();
                        items.push(quote_spanned! {span=>
                        const _: () = ::harmony_dsl::__private::check_kind(::harmony_dsl::__private::ValueKind::IpAddress, #tokens);
                    });
                        quote! { ::core::option::Option::Some(::harmony_dsl::__private::FromLiteral::from_literal(#tokens)) }
                    }
                    None => {
                        errors.at(
                            lit.span(),
                            "expected an IP address literal, e.g. `address: \"192.168.1.10\"`",
                        );
                        quote! { ::core::option::Option::None }
                    }
                }
            }
            None => quote! { ::core::option::Option::None },
        };
        if let (Some(marker), Some(variant)) = (&host.arch, &arch_variant) {
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
    let mut caps: Vec<&CapabilityDef> = Vec::new();
    let mut params = Vec::new();
    let mut inserts = Vec::new();
    let mut declared = Vec::new();
    let mut env_overrides = Vec::new();
    for cap in def.capabilities.iter().flat_map(|s| &s.items) {
        let cap_name = cap
            .capability
            .segments
            .last()
            .map(|s| s.ident.unraw().to_string())
            .unwrap_or_default();
        if let Some(first) = caps.iter().find(|c| {
            c.capability
                .segments
                .last()
                .map(|s| s.ident.unraw().to_string())
                .unwrap_or_default()
                == cap_name
        }) {
            errors.at(
                cap.provider.span(),
                format!("capability `{cap_name}` is provided twice in topology `{name}`: a capability has exactly one provider; remove one of them"),
            );
            errors.at(
                first.provider.span(),
                format!(
                    "first provider of `{cap_name}` (repeated by the duplicate reported above)"
                ),
            );
            continue;
        }
        caps.push(cap);
        let capability = &cap.capability;
        let provider = &cap.provider;
        let provides = crate::fields::provides_path(capability);
        let param = generated_ident(&snake_case(&cap_name), Span::call_site());
        let span = provider.span();
        params.push(quote! { #param: #provider });
        items.push(quote! {
            impl<__S: ?::core::marker::Sized> #provides<__S> for #name {}
        });
        inserts.push(quote_spanned! {span=>
            capabilities.insert::<dyn #capability>(
                <#provider as ::harmony_dsl::Provider>::NAME,
                ::std::sync::Arc::new(#param) as ::std::sync::Arc<dyn #capability>,
            );
        });
        // The provider as written: its builder, with each literal checked at compile time and
        // each host checked by the builder's placement bounds.
        let mut calls = Vec::new();
        let mut failed = false;
        let mut seen: Vec<&Ident> = Vec::new();
        for field in &cap.fields {
            if !errors.first_time("field", &mut seen, &field.key) {
                continue;
            }
            let key = &field.key;
            let key_str = key.unraw().to_string();
            if cap_name == "Fleet"
                && key_str == "devices"
                && let Value::List(_, list) = &field.value
            {
                let mut members: Vec<String> = Vec::new();
                for item in list {
                    if let Value::Host(host) = item
                        && host_names.contains(&host.unraw().to_string())
                        && !members.contains(&host.unraw().to_string())
                    {
                        members.push(host.unraw().to_string());
                        items.push(quote! {
                            impl ::harmony_dsl::topology::FleetDevice<#name> for #module::#host {}
                        });
                    }
                }
            }
            match provider_value(key, &field.value, name, &module, &host_names, &mut errors) {
                Some(ProviderValue {
                    calls: field_calls,
                    literals,
                }) => {
                    for (lit, lspan) in literals {
                        items.push(quote_spanned! {lspan=>
                            const _: () = ::harmony_dsl::__private::check_field(<#provider as ::harmony_dsl::Provider>::FIELDS, #key_str, #lit);
                        });
                    }
                    calls.extend(field_calls);
                }
                None => failed = true,
            }
        }
        let env_prefix = format!(
            "HARMONY_{}_{}",
            snake_case(&name.unraw().to_string()).to_uppercase(),
            snake_case(&cap_name).to_uppercase()
        );
        // After a reported error, no half-built provider: a non-diverging placeholder keeps the
        // code complete without "missing field" or "unreachable code" noise.
        let value = if failed {
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
    let provider_types = caps.iter().map(|c| &c.provider);
    let param_names: Vec<Ident> = caps
        .iter()
        .map(|c| {
            generated_ident(
                &snake_case(
                    &c.capability
                        .segments
                        .last()
                        .map(|s| s.ident.to_string())
                        .unwrap_or_default(),
                ),
                Span::call_site(),
            )
        })
        .collect();

    let attrs = &def.attrs;
    let name_str = name.unraw().to_string();
    let module_doc = format!(
        "Host marker types of topology [`{name_str}`]: one unit struct per host, so placement rules are trait bounds."
    );
    let env_doc = format!(
        "The providers as written in `topology!`, each field overridable from the environment as `HARMONY_{}_<CAPABILITY>_<FIELD>` (e.g. `HARMONY_{}_K8S_CLUSTER_CONTEXT`).",
        snake_case(&name_str).to_uppercase(),
        snake_case(&name_str).to_uppercase()
    );
    let errors = errors.to_compile_errors();
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
        #errors
    }
}

struct ProviderValue {
    calls: Vec<TokenStream>,
    literals: Vec<(TokenStream, Span)>,
}

/// A provider field's value as builder calls (`.zone(..)`, one `.devices(host)` per host), and
/// the literals to check.
fn provider_value(
    key: &Ident,
    value: &Value,
    topology: &Ident,
    module: &Ident,
    hosts: &[String],
    errors: &mut Errors,
) -> Option<ProviderValue> {
    let mut out = ProviderValue {
        calls: Vec::new(),
        literals: Vec::new(),
    };
    let span = value.span();
    match value {
        Value::Lit(lit) => {
            let Some(tokens) =
                crate::literal::literal_of(lit, &quote! { ::harmony_dsl::__private })
            else {
                errors.at(lit.span(), crate::literal::unsupported_message(lit));
                return None;
            };
            out.calls.push(quote_spanned! {span=> .#key(::harmony_dsl::__private::FromLiteral::from_literal(#tokens)) });
            out.literals.push((tokens, lit.span()));
        }
        Value::Host(host) => {
            if !check_host(host, topology, hosts, errors) {
                return None;
            }
            let module = respan(&quote! { #module }, span);
            out.calls
                .push(quote_spanned! {span=> .#key(#module::#host) });
        }
        Value::List(_, items)
            if !items.is_empty() && items.iter().all(|i| matches!(i, Value::Host(_))) =>
        {
            let mut ok = no_duplicate_hosts(items, key, errors);
            for item in items {
                if let Value::Host(host) = item {
                    if check_host(host, topology, hosts, errors) {
                        let hspan = host.span();
                        let module = respan(&quote! { #module }, hspan);
                        out.calls
                            .push(quote_spanned! {hspan=> .#key(#module::#host) });
                    } else {
                        ok = false;
                    }
                }
            }
            if !ok {
                return None;
            }
        }
        Value::List(_, items) => {
            let mut elements = Vec::new();
            for item in items {
                match item {
                    Value::Lit(lit) => {
                        match crate::literal::literal_of(lit, &quote! { ::harmony_dsl::__private })
                        {
                            Some(tokens) => {
                                let lspan = lit.span();
                                elements.push(quote_spanned! {lspan=> ::harmony_dsl::__private::FromLiteral::from_literal(#tokens) });
                                out.literals.push((tokens, lspan));
                            }
                            None => {
                                errors.at(lit.span(), crate::literal::unsupported_message(lit));
                                return None;
                            }
                        }
                    }
                    Value::Rust(expr) => elements.push(quote! { #expr }),
                    other => {
                        errors.at(other.span(), "a list holds either hosts (`[pi1, pi2]`) or values (`[\"a\", \"b\"]`), not both");
                        return None;
                    }
                }
            }
            out.calls
                .push(quote_spanned! {span=> .#key(::std::vec![#(#elements),*]) });
        }
        Value::Rust(expr) => out.calls.push(quote_spanned! {span=> .#key(#expr) }),
        Value::HostPath(path) => {
            errors.at(path.span(), "a provider can only be placed on a host of its own topology: write the host's name, e.g. `on: nuc`");
            return None;
        }
        Value::Wire { score, .. } => {
            errors.at(score.span(), "providers cannot be wired to score outputs: scores depend on topologies, not the other way round");
            return None;
        }
    }
    Some(out)
}

fn check_host(host: &Ident, topology: &Ident, hosts: &[String], errors: &mut Errors) -> bool {
    let name = host.unraw().to_string();
    if hosts.contains(&name) {
        return true;
    }
    let rest = if hosts.is_empty() {
        "declare it under `hosts { ... }`".to_string()
    } else {
        format!(
            "its hosts are {}; declare new hosts under `hosts {{ ... }}`",
            hosts
                .iter()
                .map(|h| format!("`{h}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    errors.at(
        host.span(),
        with_suggestion(
            format!("no host `{name}` in topology `{topology}`"),
            did_you_mean(&name, hosts.iter().map(String::as_str)),
            &rest,
        ),
    );
    false
}

/// Whether the hosts of list `items` (field `key`) are all different: a list of hosts is a set, so
/// a repeated host is reported (on the repetition, the first noted).
pub(crate) fn no_duplicate_hosts(items: &[Value], key: &Ident, errors: &mut Errors) -> bool {
    let mut seen: Vec<&Ident> = Vec::new();
    let mut ok = true;
    for item in items {
        if let Value::Host(host) = item {
            if let Some(first) = seen.iter().find(|h| h.unraw() == host.unraw()) {
                let name = host.unraw().to_string();
                errors.at(
                    host.span(),
                    format!(
                        "host `{name}` is listed twice in `{}: [...]`: a list of hosts is a set; remove the second `{name}`",
                        key.unraw()
                    ),
                );
                errors.at(
                    first.span(),
                    format!(
                        "first `{name}` in `{}: [...]` (repeated by the duplicate reported above)",
                        key.unraw()
                    ),
                );
                ok = false;
            } else {
                seen.push(host);
            }
        }
    }
    ok
}
