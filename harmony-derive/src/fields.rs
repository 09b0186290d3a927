//! Field analysis shared by `#[derive(Score)]` and `#[derive(Provider)]`: attributes (darling),
//! the shape of each field's type, and the `FieldInfo` table the const checks read.

use darling::util::PathList;
use darling::{FromField, FromMeta};
use proc_macro2::TokenStream;
use quote::quote;
use syn::ext::IdentExt;
use syn::{GenericArgument, Ident, Path, PathArguments, Type};

use crate::diag::Errors;

/// `#[score(...)]` / `#[provider(...)]` on a field.
#[derive(Debug, FromField)]
#[darling(attributes(score, provider))]
pub struct FieldAttrs {
    /// The field's identifier.
    pub ident: Option<Ident>,
    /// The field's type.
    pub ty: Type,
    /// `default` (uses `Default::default()`) or `default = <literal or expression>`.
    #[darling(default)]
    pub default: Option<DefaultValue>,
    /// Capabilities required when this field is set.
    #[darling(default)]
    pub requires: PathList,
    /// The hosts must be devices of the topology's fleet (`devices: [..]` of its `Fleet`).
    #[darling(default)]
    pub fleet_device: darling::util::Flag,
}

/// A field's default: `default` alone, or `default = <literal or expression>` (kept as written).
#[derive(Debug, Clone)]
pub enum DefaultValue {
    /// `Default::default()`.
    Trait,
    /// The expression as written.
    Expr(syn::Expr),
}

impl FromMeta for DefaultValue {
    fn from_word() -> darling::Result<Self> {
        Ok(DefaultValue::Trait)
    }

    fn from_expr(expr: &syn::Expr) -> darling::Result<Self> {
        Ok(DefaultValue::Expr(expr.clone()))
    }
}

/// `host(arch = aarch64, labels(gpu))` on a score or provider.
#[derive(Debug, Default, FromMeta)]
pub struct HostRequirements {
    /// Required architecture.
    #[darling(default)]
    pub arch: Option<Ident>,
    /// Required labels.
    #[darling(default)]
    pub labels: PathList,
}

/// What a field's type means to the builder.
#[derive(Debug, Clone)]
pub enum Shape {
    /// A plain value: required unless it has a default.
    Value,
    /// `Option<X>`: optional; the setter takes `X`.
    Optional(Box<Type>),
    /// `Vec<X>`: optional, empty by default; the setter takes `Vec<X>`.
    List,
    /// `Placement`: a host, required unless it has a default.
    Host,
    /// `Option<Placement>`.
    OptionalHost,
    /// `Vec<Placement>`: each setter call adds one host.
    HostList,
}

/// One analysed field.
pub struct Field {
    /// Name.
    pub ident: Ident,
    /// Declared type.
    pub ty: Type,
    /// Shape.
    pub shape: Shape,
    /// Default, when declared.
    pub default: Option<DefaultValue>,
    /// Capabilities required when set.
    pub requires: Vec<Path>,
    /// The hosts must be fleet devices of the topology.
    pub fleet_device: bool,
    /// The field's doc comment (`#[doc = ..]` attributes), copied onto its builder setter, where
    /// an editor's completion and hover look for it.
    pub docs: Vec<syn::Attribute>,
}

impl Field {
    /// Whether the builder demands this field.
    pub fn required(&self) -> bool {
        matches!(self.shape, Shape::Value | Shape::Host) && self.default.is_none()
    }

    /// Whether the setter takes a host marker.
    pub fn is_host(&self) -> bool {
        matches!(
            self.shape,
            Shape::Host | Shape::OptionalHost | Shape::HostList
        )
    }
}

fn last_segment(ty: &Type) -> Option<&syn::PathSegment> {
    match ty {
        Type::Path(p) if p.qself.is_none() => p.path.segments.last(),
        _ => None,
    }
}

fn single_arg(segment: &syn::PathSegment) -> Option<&Type> {
    match &segment.arguments {
        PathArguments::AngleBracketed(args) if args.args.len() == 1 => match args.args.first() {
            Some(GenericArgument::Type(t)) => Some(t),
            _ => None,
        },
        _ => None,
    }
}

fn is_placement(ty: &Type) -> bool {
    last_segment(ty).is_some_and(|s| s.ident == "Placement" && s.arguments.is_none())
}

/// The shape of a field of type `ty`.
pub fn shape_of(ty: &Type) -> Shape {
    if is_placement(ty) {
        return Shape::Host;
    }
    let Some((seg, inner)) = last_segment(ty).and_then(|s| Some((s, single_arg(s)?))) else {
        return Shape::Value;
    };
    match (seg.ident.unraw().to_string().as_str(), is_placement(inner)) {
        ("Option", true) => Shape::OptionalHost,
        ("Option", false) => Shape::Optional(Box::new(inner.clone())),
        ("Vec", true) => Shape::HostList,
        ("Vec", false) => Shape::List,
        _ => Shape::Value,
    }
}

/// Analyses named fields, collecting attribute errors.
pub fn analyse(fields: &syn::FieldsNamed, errors: &mut Errors) -> Vec<Field> {
    let mut out = Vec::new();
    for field in &fields.named {
        // On an attribute error, keep the field as if it had no attribute: the error is reported,
        // and the generated code stays complete (no cascade of "missing field" errors).
        let attrs = errors
            .handle(FieldAttrs::from_field(field))
            .unwrap_or_else(|| FieldAttrs {
                ident: field.ident.clone(),
                ty: field.ty.clone(),
                default: None,
                requires: PathList::default(),
                fleet_device: darling::util::Flag::default(),
            });
        let Some(ident) = attrs.ident else { continue };
        if ident == "_" {
            errors.push(
                darling::Error::custom("a field needs a name")
                    .with_span(&ident)
                    .into(),
            );
            continue;
        }
        let shape = shape_of(&attrs.ty);
        if attrs.default.is_some() && !matches!(shape, Shape::Value | Shape::Host) {
            errors.push(
                darling::Error::custom(
                    "`default` only applies to required fields: `Option` fields default to `None` and `Vec` fields to empty",
                )
                .with_span(&ident)
                .into(),
            );
        }
        if attrs.fleet_device.is_present()
            && !matches!(shape, Shape::Host | Shape::OptionalHost | Shape::HostList)
        {
            errors.push(
                darling::Error::custom(
                    "`fleet_device` applies to host fields: `Placement`, `Option<Placement>` or `Vec<Placement>`",
                )
                .with_span(&attrs.fleet_device.span())
                .into(),
            );
        }
        out.push(Field {
            ident,
            ty: attrs.ty,
            shape,
            default: attrs.default,
            requires: attrs.requires.to_vec(),
            fleet_device: attrs.fleet_device.is_present(),
            docs: field
                .attrs
                .iter()
                .filter(|a| a.path().is_ident("doc"))
                .cloned()
                .collect(),
        });
    }
    out
}

/// `&[FieldInfo { .. }, ..]` for the const checks.
pub fn field_table(fields: &[Field]) -> TokenStream {
    let entries = fields.iter().map(|f| {
        let name = f.ident.unraw().to_string();
        let ty = &f.ty;
        let required = f.required();
        quote! {
            ::harmony_dsl::FieldInfo {
                name: #name,
                kind: <#ty as ::harmony_dsl::__private::ScoreField>::KIND,
                required: #required,
            }
        }
    });
    quote! { &[#(#entries),*] }
}

/// The bound "topology `topology` provides capability `cap` to `owner`", naming only the
/// capability as written (`dyn K8sCluster: ProvidedBy<__T, Owner>`): a misspelt capability is one
/// error, on the user's path, whose did-you-mean is right.
pub fn provides_bound(cap: &Path, topology: &Ident, owner: &Ident) -> TokenStream {
    quote! { dyn #cap: ::harmony_dsl::__private::ProvidedBy<#topology, #owner> }
}

/// Label path: a bare identifier names a built-in label in `harmony_dsl::topology::label`.
pub fn label_path(label: &Path) -> TokenStream {
    match label.get_ident() {
        Some(ident) => quote! { ::harmony_dsl::topology::label::#ident },
        None => quote! { #label },
    }
}

/// The known architectures, as written, and their marker type names.
pub const ARCHES: &[(&str, &str)] = &[
    ("x86_64", "X86_64"),
    ("aarch64", "Aarch64"),
    ("armv7", "Armv7"),
    ("riscv64", "Riscv64"),
];

/// The marker type for an architecture identifier, or an error with a suggestion.
pub fn arch_marker(arch: &Ident) -> Result<TokenStream, syn::Error> {
    let name = arch.unraw().to_string();
    match ARCHES.iter().find(|(written, _)| *written == name) {
        Some((_, marker)) => {
            let marker = Ident::new(marker, arch.span());
            Ok(quote! { ::harmony_dsl::topology::arch::#marker })
        }
        None => {
            // Other tools' names for the same architectures.
            let alias = match name.as_str() {
                "amd64" | "x64" | "x86" | "x86_64_v2" | "x86_64_v3" => Some("x86_64"),
                "arm64" | "aarch64_be" | "armv8" => Some("aarch64"),
                "arm" | "armhf" | "armv7l" | "arm32" => Some("armv7"),
                "riscv" | "riscv64gc" => Some("riscv64"),
                _ => None,
            };
            let suggestion = match alias {
                Some(a) => format!("; Harmony calls it `{a}`."),
                None => crate::diag::did_you_mean(&name, ARCHES.iter().map(|(w, _)| *w)),
            };
            Err(syn::Error::new(
                arch.span(),
                crate::diag::with_suggestion(
                    format!("unknown architecture `{name}`"),
                    suggestion,
                    "Harmony knows `x86_64`, `aarch64`, `armv7` and `riscv64`",
                ),
            ))
        }
    }
}

/// Where-clause predicates a host `H` must meet for `owner` (a score or provider), and the items
/// they name: one small trait per requirement whose diagnostic is written out in the user's words
/// (``EdgeService` cannot run on host `nuc`: it needs an `aarch64` host``), implemented for every
/// host meeting it through a blanket impl that rustc does not recommend, so its own message wins.
pub fn host_bounds(
    host: &TokenStream,
    owner: &Ident,
    vis: &syn::Visibility,
    reqs: &HostRequirements,
    errors: &mut Errors,
) -> (Vec<TokenStream>, TokenStream) {
    let mut bounds = vec![quote! { #host: ::harmony_dsl::topology::Host }];
    let mut items = TokenStream::new();
    let owner_str = owner.unraw().to_string();
    if let Some(arch) = &reqs.arch
        && let Some(marker) = errors.handle(arch_marker(arch).map_err(darling::Error::from))
    {
        let arch_str = arch.unraw().to_string();
        let t = quote::format_ident!("{}NeedsArch{}", owner, crate::diag::camel_case(&arch_str));
        let message =
            format!("`{owner_str}` cannot run on host `{{Self}}`: it needs an `{arch_str}` host");
        let label = format!("`{{Self}}` is not an `{arch_str}` host");
        let note = format!(
            "place `{owner_str}` on a host declared with `arch: {arch_str}` in `topology!`, or use a score (or image) built for the architecture of `{{Self}}`"
        );
        let doc =
            format!("Placement: the host is an `{arch_str}` host, which `{owner_str}` needs.");
        items.extend(quote! {
            #[doc = #doc]
            #[doc(hidden)]
            #[diagnostic::on_unimplemented(message = #message, label = #label, note = #note)]
            #vis trait #t {}
            #[diagnostic::do_not_recommend]
            impl<__H: ::harmony_dsl::topology::RunsOn<#owner, #marker>> #t for __H {}
        });
        bounds.push(quote! { #host: #t });
    }
    for label in reqs.labels.iter() {
        let label_name = label
            .segments
            .last()
            .map(|s| s.ident.unraw().to_string())
            .unwrap_or_default();
        let t = quote::format_ident!(
            "{}NeedsLabel{}",
            owner,
            crate::diag::camel_case(&label_name)
        );
        let message =
            format!("host `{{Self}}` lacks label `{label_name}`, which `{owner_str}` requires");
        let label_text = format!("`{{Self}}` has no label `{label_name}`");
        let note = format!(
            "add `{label_name}` to the host's `labels: [...]` in `topology!`, or place `{owner_str}` on a host that has it"
        );
        let doc =
            format!("Placement: the host has label `{label_name}`, which `{owner_str}` needs.");
        let label = label_path(label);
        items.extend(quote! {
            #[doc = #doc]
            #[doc(hidden)]
            #[diagnostic::on_unimplemented(message = #message, label = #label_text, note = #note)]
            #vis trait #t {}
            #[diagnostic::do_not_recommend]
            impl<__H: ::harmony_dsl::topology::HasLabel<#owner, #label>> #t for __H {}
        });
        bounds.push(quote! { #host: #t });
    }
    (bounds, items)
}
