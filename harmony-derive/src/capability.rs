//! `capability!`: a capability trait and its `Provides*` marker, each with a diagnostic that
//! names the capability. Two forms:
//!
//! - `Name(ProvidesName) manages Resource`: inspect / apply / remove of one resource type.
//! - `Name(ProvidesName) <verb> Input into Output`: one method `<verb>(&Input) -> Output` that
//!   computes desired state without changing anything (Helm's `inflate`: a chart into objects).
//!   Over a failover it asks the primary, over many sites the first site.

use proc_macro2::TokenStream;
use quote::quote;
use syn::parse::{Parse, ParseStream};
use syn::{Attribute, Ident, Token, Type};

struct CapabilityDef {
    attrs: Vec<Attribute>,
    name: Ident,
    provides: Ident,
    form: Form,
}

/// What the capability's trait does.
enum Form {
    /// `manages Resource`.
    Manages(Type),
    /// `<verb> Input into Output`.
    Computes {
        verb: Ident,
        input: Box<Type>,
        output: Box<Type>,
    },
}

mod kw {
    syn::custom_keyword!(manages);
    syn::custom_keyword!(into);
}

impl Parse for CapabilityDef {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let name: Ident = input.parse()?;
        let content;
        syn::parenthesized!(content in input);
        let provides: Ident = content.parse()?;
        let form = if input.peek(kw::manages) {
            input.parse::<kw::manages>()?;
            Form::Manages(input.parse()?)
        } else {
            let verb: Ident = input.parse().map_err(|e| {
                syn::Error::new(
                    e.span(),
                    "expected `manages Resource` or `<verb> Input into Output`",
                )
            })?;
            let input_ty: Type = input.parse()?;
            input.parse::<kw::into>()?;
            Form::Computes {
                verb,
                input: Box::new(input_ty),
                output: Box::new(input.parse()?),
            }
        };
        input.parse::<Option<Token![;]>>()?;
        Ok(CapabilityDef {
            attrs,
            name,
            provides,
            form,
        })
    }
}

/// Expands `capability! { /// doc  Name(ProvidesName) manages Resource }`.
pub fn expand(input: TokenStream) -> TokenStream {
    match syn::parse2::<CapabilityDef>(input) {
        Ok(def) => expand_def(&def),
        Err(e) => e.to_compile_error(),
    }
}

fn expand_def(def: &CapabilityDef) -> TokenStream {
    let CapabilityDef {
        attrs,
        name,
        provides,
        form,
    } = def;
    let (trait_methods, sides_methods, sites_methods) = methods(form);
    let operations = operations(name, form);
    let cap = name.to_string();
    let impl_message = format!("`{{Self}}` cannot provide capability `{cap}`");
    let impl_label = format!("`{{Self}}` does not implement `{cap}`");
    let impl_note = format!(
        "bind `{cap}` to a provider that implements it, or implement `{cap}` for `{{Self}}`"
    );
    let provides_message = format!(
        "topology `{{Self}}` does not provide capability `{cap}`, which score `{{S}}` requires"
    );
    let provides_label = format!("`{{S}}` needs `{cap}`");
    let provides_note = format!(
        "add `{cap} => <provider>` to the `capabilities` of `{{Self}}` in its `topology!`, or place `{{S}}` in a plan for a topology that provides it"
    );
    let provides_doc = format!(
        "Marker: the topology provides [`{cap}`] to score `S`. Implemented for every topology that has `HasCapability<dyn {cap}>` (`topology!` writes that one)."
    );
    quote! {
        #(#attrs)*
        #[diagnostic::on_unimplemented(message = #impl_message, label = #impl_label, note = #impl_note)]
        pub trait #name: ::core::marker::Send + ::core::marker::Sync + 'static {
            #trait_methods
            /// Live status of what the provider manages, for `status` (none by default).
            fn status<'a>(&'a self)
                -> ::harmony_dsl::BoxFuture<'a, ::harmony_dsl::Result<::std::vec::Vec<::harmony_dsl::LiveStatus>>> {
                ::std::boxed::Box::pin(async { ::core::result::Result::Ok(::std::vec::Vec::new()) })
            }
        }

        #[doc = #provides_doc]
        #[diagnostic::on_unimplemented(message = #provides_message, label = #provides_label, note = #provides_note)]
        pub trait #provides<S: ?Sized> {}

        impl ::harmony_dsl::Capability for dyn #name {
            const NAME: &'static str = #cap;
            fn failover(
                primary: ::std::sync::Arc<Self>,
                replica: ::std::sync::Arc<Self>,
            ) -> ::std::sync::Arc<Self> {
                ::std::sync::Arc::new(::harmony_dsl::higher_order::Sides { primary, replica })
            }
            fn fan_out(sites: ::std::vec::Vec<::std::sync::Arc<Self>>) -> ::std::sync::Arc<Self> {
                ::std::sync::Arc::new(::harmony_dsl::higher_order::Sites(sites))
            }
            fn live_status(provider: &::std::sync::Arc<Self>)
                -> ::harmony_dsl::BoxFuture<'_, ::harmony_dsl::Result<::std::vec::Vec<::harmony_dsl::LiveStatus>>> {
                provider.status()
            }
        }

        #[diagnostic::do_not_recommend]
        impl #name for ::harmony_dsl::higher_order::Sides<dyn #name> {
            #sides_methods
            fn status<'a>(&'a self)
                -> ::harmony_dsl::BoxFuture<'a, ::harmony_dsl::Result<::std::vec::Vec<::harmony_dsl::LiveStatus>>> {
                ::std::boxed::Box::pin(self.status_with(|side| side.status()))
            }
        }

        #[diagnostic::do_not_recommend]
        impl #name for ::harmony_dsl::higher_order::Sites<dyn #name> {
            #sites_methods
            fn status<'a>(&'a self)
                -> ::harmony_dsl::BoxFuture<'a, ::harmony_dsl::Result<::std::vec::Vec<::harmony_dsl::LiveStatus>>> {
                ::std::boxed::Box::pin(self.status_with(|site| site.status()))
            }
        }

        /// The bridge `#[derive(Score)]` bounds go through (`dyn Cap: ProvidedBy<T, S>`), so that
        /// they name only the capability as the user wrote it.
        impl<__T: #provides<__S>, __S: ?::core::marker::Sized> ::harmony_dsl::__private::ProvidedBy<__T, __S> for dyn #name {}

        /// Every topology that has the capability provides it (`topology!` implements
        /// `HasCapability<dyn Cap>`, never this marker, so a misspelt capability is one error; a
        /// `Failover<T>` or `Decentralized<T>` has it when `T` does). Not recommended, so that a
        /// missing capability is reported with this marker's message.
        #[diagnostic::do_not_recommend]
        impl<__T: ?::core::marker::Sized + ::harmony_dsl::topology::HasCapability<dyn #name>, __S: ?::core::marker::Sized> #provides<__S> for __T {}

        #operations
    }
}

/// For `manages Resource`: how the runtime performs the capability's operations
/// (`harmony_dsl::operation::Manages`), and its entry in the registry saved plans and the state
/// are read with. A capability of another shape writes its own `Manages` impl, if it has
/// operations at all.
fn operations(name: &Ident, form: &Form) -> TokenStream {
    let Form::Manages(resource) = form else {
        return TokenStream::new();
    };
    quote! {
        impl ::harmony_dsl::operation::Manages for dyn #name {
            type Resource = #resource;
            fn inspect<'a>(provider: &'a Self, resource: &'a #resource)
                -> ::harmony_dsl::BoxFuture<'a, ::harmony_dsl::Result<::harmony_dsl::Inspection>> {
                #name::inspect(provider, resource)
            }
            fn apply<'a>(provider: &'a Self, resource: &'a #resource)
                -> ::harmony_dsl::BoxFuture<'a, ::harmony_dsl::Result<::harmony_dsl::Outcome>> {
                #name::apply(provider, resource)
            }
            fn remove<'a>(provider: &'a Self, resource: &'a #resource)
                -> ::harmony_dsl::BoxFuture<'a, ::harmony_dsl::Result<::harmony_dsl::Outcome>> {
                #name::remove(provider, resource)
            }
        }
        ::harmony_dsl::operation_kind!(dyn #name);
    }
}

/// The trait's own methods, and their implementations over a failover's sides and over sites.
fn methods(form: &Form) -> (TokenStream, TokenStream, TokenStream) {
    match form {
        Form::Manages(resource) => (
            quote! {
            /// Looks at the real system: what applying `resource` would change, and what was read.
            fn inspect<'a>(&'a self, resource: &'a #resource)
                -> ::harmony_dsl::BoxFuture<'a, ::harmony_dsl::Result<::harmony_dsl::Inspection>>;
            /// Makes the real system match `resource`. Idempotent.
            fn apply<'a>(&'a self, resource: &'a #resource)
                -> ::harmony_dsl::BoxFuture<'a, ::harmony_dsl::Result<::harmony_dsl::Outcome>>;
            /// Removes what `resource` created, once it is no longer declared.
            fn remove<'a>(&'a self, resource: &'a #resource)
                -> ::harmony_dsl::BoxFuture<'a, ::harmony_dsl::Result<::harmony_dsl::Outcome>>;
            },
            quote! {
            fn inspect<'a>(&'a self, resource: &'a #resource)
                -> ::harmony_dsl::BoxFuture<'a, ::harmony_dsl::Result<::harmony_dsl::Inspection>> {
                ::std::boxed::Box::pin(self.inspect_with(move |side| side.inspect(resource)))
            }
            fn apply<'a>(&'a self, resource: &'a #resource)
                -> ::harmony_dsl::BoxFuture<'a, ::harmony_dsl::Result<::harmony_dsl::Outcome>> {
                ::std::boxed::Box::pin(self.apply_with(move |side| side.apply(resource)))
            }
            fn remove<'a>(&'a self, resource: &'a #resource)
                -> ::harmony_dsl::BoxFuture<'a, ::harmony_dsl::Result<::harmony_dsl::Outcome>> {
                ::std::boxed::Box::pin(self.apply_with(move |side| side.remove(resource)))
            }
            },
            quote! {
            fn inspect<'a>(&'a self, resource: &'a #resource)
                -> ::harmony_dsl::BoxFuture<'a, ::harmony_dsl::Result<::harmony_dsl::Inspection>> {
                ::std::boxed::Box::pin(self.inspect_with(move |site| site.inspect(resource)))
            }
            fn apply<'a>(&'a self, resource: &'a #resource)
                -> ::harmony_dsl::BoxFuture<'a, ::harmony_dsl::Result<::harmony_dsl::Outcome>> {
                ::std::boxed::Box::pin(self.apply_with(move |site| site.apply(resource)))
            }
            fn remove<'a>(&'a self, resource: &'a #resource)
                -> ::harmony_dsl::BoxFuture<'a, ::harmony_dsl::Result<::harmony_dsl::Outcome>> {
                ::std::boxed::Box::pin(self.apply_with(move |site| site.remove(resource)))
            }
            },
        ),
        Form::Computes {
            verb,
            input,
            output,
        } => {
            let doc = format!(
                "{verb}s `input` into `{}`; changes nothing.",
                quote!(#output).to_string().replace(' ', "")
            );
            let signature = quote! {
                fn #verb<'a>(&'a self, input: &'a #input)
                    -> ::harmony_dsl::BoxFuture<'a, ::harmony_dsl::Result<#output>>
            };
            (
                quote! {
                    #[doc = #doc]
                    #signature;
                },
                quote! {
                    #signature {
                        self.primary.#verb(input)
                    }
                },
                quote! {
                    #signature {
                        match self.0.first() {
                            ::core::option::Option::Some(site) => site.#verb(input),
                            ::core::option::Option::None => ::std::boxed::Box::pin(async {
                                ::core::result::Result::Err(::harmony_dsl::Error::permanent("a decentralized topology without sites cannot compute anything"))
                            }),
                        }
                    }
                },
            )
        }
    }
}
