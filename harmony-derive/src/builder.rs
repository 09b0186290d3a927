//! The typestate builder shared by `#[derive(Score)]` and `#[derive(Provider)]`: required fields
//! are tracked in the type, so `build()` compiles only once each is set, and a missing one is an
//! error naming it; host setters carry the placement bounds.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::ext::IdentExt;
use syn::{Ident, Visibility};

use crate::diag::{Errors, camel_case};
use crate::fields::{self, DefaultValue, Field, HostRequirements, Shape};

/// The builder of `name` (a `what`: "score" or "provider"), its setters, `build()` and the
/// per-field diagnostic traits.
pub fn generate(
    name: &Ident,
    vis: &Visibility,
    fields: &[Field],
    host: &HostRequirements,
    what: &str,
    errors: &mut Errors,
) -> TokenStream {
    let builder = format_ident!("{}Builder", name);
    // Builder: typestate parameters for required fields.
    let required: Vec<&Field> = fields.iter().filter(|f| f.required()).collect();
    let state_params: Vec<Ident> = required
        .iter()
        .map(|f| format_ident!("__{}", camel_case(&f.ident.unraw().to_string())))
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
        "Builder of {what} [`{name}`]. Required fields are tracked in the type: `build()` only compiles once each is set. `T` is the topology it will be placed on."
    );

    let host_param = quote! { __H };
    let (host_bounds, host_items) = fields::host_bounds(&host_param, name, vis, host, errors);
    // Host requirements with no host to check them on would never be checked: an error.
    if !fields.iter().any(Field::is_host) {
        let mut spans: Vec<proc_macro2::Span> = host.arch.iter().map(|a| a.span()).collect();
        spans.extend(host.labels.iter().map(syn::spanned::Spanned::span));
        for span in spans {
            errors.push(darling::Error::custom(format!(
                "`host(...)` requirements apply to the host a {what} is placed on, but {what} `{name}` has no host field, so they would never be checked: add one, e.g. `place: Placement`, or remove the requirement (a {what} without a host field runs on this machine)"
            )).with_span(&span).into());
        }
    }
    let fleet_bound = quote! { #host_param: ::harmony_dsl::topology::FleetDevice<__T> };
    let member_bounds =
        |f: &Field| -> Option<TokenStream> { f.fleet_device.then(|| fleet_bound.clone()) };

    // Setters of required fields: one impl each, moving that field's state from Unset to Set.
    let required_setters = required.iter().enumerate().map(|(i, f)| {
        let ident = &f.ident;
        let ty = &f.ty;
        let others: Vec<&Ident> = state_params.iter().enumerate().filter(|(j, _)| *j != i).map(|(_, p)| p).collect();
        let before = state_params.iter().enumerate().map(|(j, p)| if j == i { quote! { ::harmony_dsl::__private::Unset } } else { quote! { #p } });
        let after = state_params.iter().enumerate().map(|(j, p)| if j == i { quote! { ::harmony_dsl::__private::Set<#ty> } } else { quote! { #p } });
        let moves = fields.iter().filter(|o| o.ident != f.ident).map(|o| { let id = &o.ident; quote! { #id: self.#id } });
        let SetterCapabilities { param: cap_param, bounds: cap_bounds } = setter_capabilities(f, name);
        let cap_generics = (!cap_param.is_empty()).then(|| quote! { <#(#cap_param),*> });
        let doc = setter_doc(f, format!("Sets `{ident}` (required)."));
        let member = member_bounds(f).map(|b| quote! { #b, });
        if f.is_host() {
            quote! {
                #[allow(dead_code)]
                impl<__T, #(#others),*> #builder<__T, #(#before),*> {
                    #doc
                    pub fn #ident<#host_param #(, #cap_param)*>(self, _host: #host_param) -> #builder<__T, #(#after),*>
                    where #host_param: ::harmony_dsl::topology::HostOf<__T>, #(#host_bounds,)* #member #(#cap_bounds,)*
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
                    #doc
                    pub fn #ident #cap_generics (self, value: #ty) -> #builder<__T, #(#after),*>
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
        let SetterCapabilities { param: cap_param, bounds: cap_bounds } = setter_capabilities(f, name);
        let cap_generics = (!cap_param.is_empty()).then(|| quote! { <#(#cap_param),*> });
        let member = member_bounds(f).map(|b| quote! { #b, });
        match &f.shape {
            Shape::Value => {
                let doc = setter_doc(f, format!("Sets `{ident}` (has a default)."));
                quote! { #doc pub fn #ident #cap_generics (mut self, value: #ty) -> Self where #(#cap_bounds,)* { self.#ident = ::core::option::Option::Some(value); self } }
            }
            Shape::Optional(inner) => {
                let doc = setter_doc(f, format!("Sets `{ident}` (optional)."));
                quote! { #doc pub fn #ident #cap_generics (mut self, value: #inner) -> Self where #(#cap_bounds,)* { self.#ident = ::core::option::Option::Some(value); self } }
            }
            Shape::List => {
                let doc = setter_doc(f, format!("Sets `{ident}` (optional, empty by default)."));
                quote! { #doc pub fn #ident #cap_generics (mut self, value: #ty) -> Self where #(#cap_bounds,)* { self.#ident = value; self } }
            }
            Shape::Host | Shape::OptionalHost => {
                let doc = setter_doc(f, format!("Places `{ident}` on host `H`."));
                quote! {
                    #doc
                    pub fn #ident<#host_param #(, #cap_param)*>(mut self, _host: #host_param) -> Self
                    where #host_param: ::harmony_dsl::topology::HostOf<__T>, #(#host_bounds,)* #member #(#cap_bounds,)*
                    { self.#ident = ::core::option::Option::Some(::harmony_dsl::Placement::of::<#host_param>()); self }
                }
            }
            Shape::HostList => {
                let doc = setter_doc(f, format!("Adds host `H` to `{ident}`."));
                quote! {
                    #doc
                    pub fn #ident<#host_param #(, #cap_param)*>(mut self, _host: #host_param) -> Self
                    where #host_param: ::harmony_dsl::topology::HostOf<__T>, #(#host_bounds,)* #member #(#cap_bounds,)*
                    { self.#ident.push(::harmony_dsl::Placement::of::<#host_param>()); self }
                }
            }
        }
    });

    // Per-required-field traits whose diagnostic names the missing field.
    let is_set_traits: Vec<Ident> = required
        .iter()
        .map(|f| format_ident!("{}{}IsSet", name, camel_case(&f.ident.unraw().to_string())))
        .collect();
    let is_set_defs = required.iter().zip(&is_set_traits).map(|(f, t)| {
        let ty = &f.ty;
        let field = f.ident.unraw().to_string();
        let message = format!("{what} `{name}` is missing required field `{field}`");
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
                if let Some(lit) = crate::literal::literal_of(expr, &quote! { ::harmony_dsl::__private }) {
                    let ty = &f.ty;
                    // On the default as written: that is what to fix.
                    let span = syn::spanned::Spanned::span(expr);
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
    quote! {
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

        #host_items
    }
}

/// A setter's doc: the field's own doc comment, then what the setter does (`note`); only the note
/// when the field has no doc.
fn setter_doc(field: &Field, note: String) -> TokenStream {
    let docs = &field.docs;
    if docs.is_empty() {
        quote! { #[doc = #note] }
    } else {
        quote! { #(#docs)* #[doc = ""] #[doc = #note] }
    }
}

/// A setter's capability requirements (`#[score(requires(Cap))]` on its field): the topology as
/// a parameter of the setter itself, bound to equal the builder's `__T`, and the `ProvidedBy`
/// bounds written over that parameter. Over the builder's own `__T`, rustc reports a missing
/// capability on the receiver of the call (the whole `WebApp::builder()...` chain, which mentions
/// `__T`); over a parameter no argument mentions, it stays on the setter's name, which `score!`
/// spans with the field the user wrote (`dns`).
struct SetterCapabilities {
    /// `__Topology`, or nothing when the field requires no capability.
    param: Vec<Ident>,
    /// `__T: SameAs<__Topology>` and one `ProvidedBy` bound per capability.
    bounds: Vec<TokenStream>,
}

fn setter_capabilities(f: &Field, owner: &Ident) -> SetterCapabilities {
    if f.requires.is_empty() {
        return SetterCapabilities {
            param: Vec::new(),
            bounds: Vec::new(),
        };
    }
    let topology = format_ident!("__Topology");
    let mut bounds = vec![quote! { __T: ::harmony_dsl::__private::SameAs<#topology> }];
    bounds.extend(
        f.requires
            .iter()
            .map(|c| fields::provides_bound(c, &topology, owner)),
    );
    SetterCapabilities {
        param: vec![topology],
        bounds,
    }
}
