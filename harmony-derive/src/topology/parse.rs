//! `topology!`, step 1: the input as written, parsed with recovery from the usual slips (a
//! missing `=>`, a `struct` keyword), which are kept as errors for the check step.

use proc_macro2::TokenStream;
use quote::quote;
use syn::ext::IdentExt;
use syn::parse::discouraged::Speculative;
use syn::parse::{Parse, ParseStream};
use syn::spanned::Spanned;
use syn::{Attribute, Ident, Path, Token, Visibility, braced};

use crate::syntax::{FieldValue, parse_fields};

pub(super) struct HostDef {
    pub(super) name: Ident,
    pub(super) fields: Vec<FieldValue>,
}

pub(super) struct CapabilityDef {
    pub(super) capability: Path,
    pub(super) provider: Path,
    pub(super) fields: Vec<FieldValue>,
    /// A recoverable syntax error (a missing `=>`): reported, and the entry still used, so the
    /// topology keeps this capability and its users get no second error about it.
    pub(super) error: Option<syn::Error>,
}

pub(super) struct Section<T> {
    pub(super) name: Ident,
    pub(super) items: Vec<T>,
}

pub(super) struct TopologyDef {
    pub(super) attrs: Vec<Attribute>,
    pub(super) vis: Visibility,
    pub(super) name: Ident,
    pub(super) hosts: Vec<Section<HostDef>>,
    pub(super) capabilities: Vec<Section<CapabilityDef>>,
    pub(super) unknown_sections: Vec<Ident>,
    /// Syntax errors the parser recovered from.
    pub(super) syntax_errors: Vec<syn::Error>,
    /// The capability of each entry being typed (`Dns` of `capabilities { Dns }`), reported and
    /// skipped, and re-emitted where a trait goes so that an editor completes it.
    pub(super) partial_capabilities: Vec<Path>,
}

pub(super) const SECTIONS: [&str; 2] = ["hosts", "capabilities"];
pub(super) const HOST_KEYS: [&str; 3] = ["arch", "address", "labels"];

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

/// The entries of a section, recovering: an entry that does not parse (being typed, say) is
/// recorded in `errors` and skipped up to the next `,`, and the others are kept. Returns the
/// entries and the tokens of each skipped one.
fn parse_items<T: Parse>(
    input: ParseStream,
    errors: &mut Vec<syn::Error>,
) -> syn::Result<(Vec<T>, Vec<TokenStream>)> {
    let content;
    braced!(content in input);
    let mut items = Vec::new();
    let mut skipped = Vec::new();
    while !content.is_empty() {
        let fork = content.fork();
        match fork.parse::<T>() {
            Ok(item) => {
                content.advance_to(&fork);
                items.push(item);
            }
            Err(error) => {
                errors.push(error);
                let mut tokens = TokenStream::new();
                while !content.is_empty() && !content.peek(Token![,]) {
                    let token: proc_macro2::TokenTree = content.parse()?;
                    tokens.extend([token]);
                }
                skipped.push(tokens);
            }
        }
        if content.peek(Token![,]) {
            content.parse::<Token![,]>()?;
        }
    }
    Ok((items, skipped))
}

/// The capability an entry being typed starts with (`Dns` of `Dns`, `Dns =>`), if any.
fn partial_capability(tokens: TokenStream) -> Option<Path> {
    syn::parse::Parser::parse2(
        |input: ParseStream| {
            let path = input.call(Path::parse_mod_style)?;
            input.parse::<TokenStream>()?;
            Ok(path)
        },
        tokens,
    )
    .ok()
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
            partial_capabilities: Vec::new(),
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
                    let (items, _) = parse_items(&content, &mut def.syntax_errors)?;
                    def.hosts.push(Section {
                        name: section,
                        items,
                    });
                }
                "capabilities" => {
                    let (items, skipped) = parse_items(&content, &mut def.syntax_errors)?;
                    def.partial_capabilities
                        .extend(skipped.into_iter().filter_map(partial_capability));
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
