//! `topology!`, step 2: every rule a topology must follow, checked on the parsed input. Every
//! error is recorded (none stops the others from being found), and what passes becomes the
//! [`Model`] the generate step writes out: hosts with their architecture, address and labels,
//! and each capability's provider with its fields as checked builder calls.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::{Ident, Path};

use super::parse::{CapabilityDef, HOST_KEYS, SECTIONS, TopologyDef};
use crate::diag::{Errors, did_you_mean, generated_ident, respan, snake_case, with_suggestion};
use crate::fields::arch_marker;
use crate::syntax::Value;

/// Names a host cannot have: they are the topology's constructors.
const RESERVED_HOST_NAMES: [&str; 3] = ["new", "declared", "from_env"];

/// A host that passed its checks (its architecture may still be missing: reported).
pub(super) struct Host<'a> {
    pub(super) name: &'a Ident,
    /// The architecture's marker type, and the architecture as written.
    pub(super) arch: Option<(TokenStream, Ident)>,
    /// The address literal, checked by a const item beside the generated code.
    pub(super) address: Option<(TokenStream, Span)>,
    /// The address as written, if a string.
    pub(super) address_text: Option<String>,
    pub(super) labels: Vec<Path>,
    /// Listed in the fleet's `devices: [..]` (there, as written).
    pub(super) fleet_device: Option<&'a Ident>,
}

/// A capability with its provider, whose fields became builder calls.
pub(super) struct Capability<'a> {
    pub(super) def: &'a CapabilityDef,
    /// The capability's name as written (`K8sCluster`).
    pub(super) name: String,
    /// `.field(value)` calls, one per field (one per host for a list of hosts).
    pub(super) calls: Vec<TokenStream>,
    /// The literals of the fields, each checked at compile time against the provider's field
    /// kind: field name, literal tokens, span.
    pub(super) literals: Vec<(String, TokenStream, Span)>,
    /// A field had an error: the provider is a placeholder (no second error about it).
    pub(super) failed: bool,
}

/// The topology as checked, for the generate step.
pub(super) struct Model<'a> {
    pub(super) def: &'a TopologyDef,
    /// The module of the host marker types (`home_lab`).
    pub(super) module: Ident,
    pub(super) hosts: Vec<Host<'a>>,
    pub(super) capabilities: Vec<Capability<'a>>,
}

impl Model<'_> {
    /// Whether host `name` gets an associated constant (a reserved name is reported instead).
    pub(super) fn host_constant(name: &Ident) -> bool {
        !RESERVED_HOST_NAMES.contains(&name.unraw().to_string().as_str())
    }
}

/// Checks `def`, recording every error in `errors`.
pub(super) fn check<'a>(def: &'a TopologyDef, errors: &mut Errors) -> Model<'a> {
    check_sections(def, errors);
    let name = &def.name;
    let module = generated_ident(&snake_case(&name.to_string()), name.span());
    let mut hosts = check_hosts(def, errors);
    let host_names: Vec<String> = hosts.iter().map(|h| h.name.unraw().to_string()).collect();
    // Each host with its address as written, to turn a quoted name or an address written where a
    // host belongs into the host's name.
    let host_addresses: Vec<(String, Option<String>)> = hosts
        .iter()
        .map(|h| (h.name.unraw().to_string(), h.address_text.clone()))
        .collect();
    let context = ProviderContext {
        topology: name,
        module: &module,
        hosts: &host_names,
        addresses: &host_addresses,
    };
    let capabilities = check_capabilities(def, &context, &mut hosts, errors);
    Model {
        def,
        module,
        hosts,
        capabilities,
    }
}

/// The sections: syntax errors recovered from, unknown and repeated sections, an empty topology,
/// the topology's name.
fn check_sections(def: &TopologyDef, errors: &mut Errors) {
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
    // (Not after an entry that did not parse: the topology is then not empty, only unfinished.)
    if def.hosts.iter().all(|s| s.items.is_empty())
        && def.capabilities.iter().all(|s| s.items.is_empty())
        && def.syntax_errors.is_empty()
    {
        errors.at(
            name.span(),
            format!("topology `{name}` is empty: declare its hosts and the capabilities it offers, e.g. `{name} {{ hosts {{ nuc {{ arch: x86_64, address: \"192.168.1.10\" }} }} capabilities {{ K8sCluster => Kube {{ context: \"homelab\" }} }} }}`"),
        );
    }
    if let Some(message) = crate::syntax::name_rule_violation(&name.to_string(), "topology") {
        errors.at(name.span(), message);
    }
}

/// The hosts: names, keys, architecture, address, labels.
fn check_hosts<'a>(def: &'a TopologyDef, errors: &mut Errors) -> Vec<Host<'a>> {
    let name = &def.name;
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
            address: None,
            address_text: None,
            labels: Vec::new(),
            fleet_device: None,
        };
        let mut seen: Vec<&Ident> = Vec::new();
        for field in &host.fields {
            if !errors.first_time("key", &mut seen, &field.key) {
                continue;
            }
            match (field.key.unraw().to_string().as_str(), &field.value) {
                ("arch", Value::Host(arch)) => match arch_marker(arch) {
                    Ok(marker) => parsed.arch = Some((marker, arch.clone())),
                    Err(e) => errors.push(e),
                },
                ("arch", other) => errors.at(
                    other.span(),
                    "expected an architecture: `x86_64`, `aarch64`, `armv7` or `riscv64`",
                ),
                ("address", Value::Lit(lit)) => {
                    match crate::literal::literal_of(lit, &quote! { ::harmony_dsl::__private }) {
                        Some(tokens) => parsed.address = Some((tokens, lit.span())),
                        None => errors.at(
                            lit.span(),
                            "expected an IP address literal, e.g. `address: \"192.168.1.10\"`",
                        ),
                    }
                    if let Some(syn::Lit::Str(s)) = crate::literal::plain_lit(lit) {
                        parsed.address_text = Some(s.value());
                    }
                }
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
    for host in &hosts {
        let host_name = host.name.unraw().to_string();
        if RESERVED_HOST_NAMES.contains(&host_name.as_str()) {
            errors.at(
                host.name.span(),
                format!("host name `{host_name}` is taken by `{name}::{host_name}()`: give the host another name, e.g. `{host_name}1`"),
            );
        }
    }
    hosts
}

/// The capabilities: each once, each provider's fields as checked builder calls; the hosts listed
/// as the fleet's devices are marked.
fn check_capabilities<'a>(
    def: &'a TopologyDef,
    context: &ProviderContext,
    hosts: &mut [Host<'a>],
    errors: &mut Errors,
) -> Vec<Capability<'a>> {
    let name = &def.name;
    let mut caps: Vec<Capability<'a>> = Vec::new();
    for cap in def.capabilities.iter().flat_map(|s| &s.items) {
        let cap_name = cap
            .capability
            .segments
            .last()
            .map(|s| s.ident.unraw().to_string())
            .unwrap_or_default();
        if let Some(first) = caps.iter().find(|c| c.name == cap_name) {
            errors.at(
                cap.provider.span(),
                format!("capability `{cap_name}` is provided twice in topology `{name}`: a capability has exactly one provider; remove one of them"),
            );
            errors.at(
                first.def.provider.span(),
                format!(
                    "first provider of `{cap_name}` (repeated by the duplicate reported above)"
                ),
            );
            continue;
        }
        // The provider as written: its builder, with each literal checked at compile time and
        // each host checked by the builder's placement bounds.
        let mut checked = Capability {
            def: cap,
            name: cap_name.clone(),
            calls: Vec::new(),
            literals: Vec::new(),
            failed: false,
        };
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
                for item in list {
                    if let Value::Host(device) = item
                        && let Some(host) = hosts
                            .iter_mut()
                            .find(|h| h.name.unraw() == device.unraw() && h.fleet_device.is_none())
                    {
                        host.fleet_device = Some(device);
                    }
                }
            }
            match provider_value(key, &field.value, &cap.provider, context, errors) {
                Some(ProviderValue { calls, literals }) => {
                    for (lit, lspan) in literals {
                        checked.literals.push((key_str.clone(), lit, lspan));
                    }
                    checked.calls.extend(calls);
                }
                None => checked.failed = true,
            }
        }
        caps.push(checked);
    }
    caps
}

struct ProviderValue {
    calls: Vec<TokenStream>,
    literals: Vec<(TokenStream, Span)>,
}

/// What a provider field's value is read against.
struct ProviderContext<'a> {
    topology: &'a Ident,
    module: &'a Ident,
    hosts: &'a [String],
    addresses: &'a [(String, Option<String>)],
}

impl ProviderContext<'_> {
    /// The const argument of `str_value`/`list_value`: `false`, or the error (with the fix: the
    /// host's name, found by name, typo or address) when field `key` is a host, written as the
    /// strings `written`.
    fn host_check(
        &self,
        provider: &Path,
        key: &Ident,
        written: &[String],
        list: bool,
        span: Span,
    ) -> TokenStream {
        let key_str = key.unraw().to_string();
        let message =
            crate::literal::host_as_string_message(&key_str, written, list, Some(self.addresses));
        quote_spanned! {span=> { ::harmony_dsl::__private::not_a_host(<#provider as ::harmony_dsl::Provider>::FIELDS, #key_str, #message) } }
    }
}

/// A provider field's value as builder calls (`.zone(..)`, one `.devices(host)` per host), and
/// the literals to check.
fn provider_value(
    key: &Ident,
    value: &Value,
    provider: &Path,
    context: &ProviderContext,
    errors: &mut Errors,
) -> Option<ProviderValue> {
    let (topology, module, hosts) = (context.topology, context.module, context.hosts);
    let mut out = ProviderValue {
        calls: Vec::new(),
        literals: Vec::new(),
    };
    let span = value.span();
    match value {
        Value::Lit(lit) => {
            let Some(tokens) = crate::literal::mask_of(lit).and_then(|_| {
                crate::literal::literal_of(lit, &quote! { ::harmony_dsl::__private })
            }) else {
                errors.at(lit.span(), crate::literal::unsupported_message(lit));
                return None;
            };
            // Every string goes through the host check (a topology has few literals): a string
            // where a host belongs is one error, with the fix, whatever it looks like.
            if let Some(syn::Lit::Str(s)) = crate::literal::plain_lit(lit) {
                let lspan = lit.span();
                let check = context.host_check(provider, key, &[s.value()], false, lspan);
                out.calls.push(quote_spanned! {lspan=> .#key(::harmony_dsl::__private::str_value::<#check, _>(#s)) });
            } else {
                out.calls.push(quote_spanned! {span=> .#key(::harmony_dsl::__private::FromLiteral::from_literal(#tokens)) });
            }
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
            let written: Vec<String> = items
                .iter()
                .filter_map(|i| match i {
                    Value::Lit(l) => match crate::literal::plain_lit(l) {
                        Some(syn::Lit::Str(s)) => Some(s.value()),
                        _ => None,
                    },
                    _ => None,
                })
                .collect();
            if written.is_empty() {
                out.calls
                    .push(quote_spanned! {span=> .#key(::std::vec![#(#elements),*]) });
            } else {
                let check = context.host_check(provider, key, &written, true, span);
                out.calls.push(quote_spanned! {span=> .#key(::harmony_dsl::__private::list_value::<#check, _, _>(::std::vec![#(#elements),*])) });
            }
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
