//! `score!`, step 2: every rule a plan function must follow, checked on the parsed input. Every
//! error is recorded in one [`Errors`] collection (none stops the others from being found), and
//! what passes becomes the [`Model`] the generate step writes out: each score's builder calls,
//! its dependencies, the literals to check at compile time, and the port claims that may clash.
//!
//! What needs the score's own field table (an unknown field, a missing required one) is checked
//! one expansion later, by [`super::table`]; what needs types (a capability the topology lacks, a
//! literal invalid for its field's kind) is left to the compiler, in code spanned on the user's
//! tokens.

use std::collections::BTreeMap;

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::{Expr, Ident, Path, Type};

use super::parse::PlanFn;
use crate::diag::{Errors, did_you_mean};
use crate::syntax::Value;

/// A plan function as checked, for the generate step.
pub(super) struct Model<'a> {
    pub(super) def: &'a PlanFn,
    /// `None` when the function does not return `Plan<Topology>` (reported): it is then
    /// generated with its signature as written, so that its callers add no error.
    pub(super) plan: Option<Plan<'a>>,
}

/// The checked body of a plan function returning `Plan<topology>`.
pub(super) struct Plan<'a> {
    pub(super) topology: Type,
    /// The type whose associated constants are the hosts (`HomeLab` for `Failover<HomeLab>`).
    pub(super) hosts: TokenStream,
    /// The `Plan` method that adds a score: `add`, or the lifted topologies' own.
    pub(super) add_method: &'static str,
    pub(super) scores: Vec<Score<'a>>,
    pub(super) literals: FieldChecks<'a>,
    pub(super) clashes: Vec<PortClash<'a>>,
}

/// A score that passed its checks: its builder calls, in the order written.
pub(super) struct Score<'a> {
    /// Its position among the scores as written (literal checks go with a score by position).
    pub(super) index: usize,
    /// The score's name, the local that holds it (`db`).
    pub(super) handle: &'a Ident,
    pub(super) kind: &'a Path,
    pub(super) name: String,
    /// One builder call per field (one per host for a list of hosts), by field.
    pub(super) setters: Vec<(&'a Ident, Setter<'a>)>,
    /// Keys written without a value yet, for completion.
    pub(super) incomplete: &'a [Ident],
    /// The earlier scores it depends on (wired, or listed in `after:`).
    pub(super) deps: Vec<Ident>,
}

/// The value of one builder call `.key(value)`.
pub(super) enum Setter<'a> {
    /// A literal (one written in a host field is reported by the field table, `score_fields!`).
    Literal(&'a Expr),
    /// A host of the plan's topology (`nuc`).
    Host(&'a Ident),
    /// A host written as a path (`edge::gw`).
    HostPath(&'a Path),
    /// An output of an earlier score (`db.endpoint`), spanned on both.
    Wire {
        target: &'a Ident,
        output: &'a Ident,
        span: Span,
    },
    /// A list of values (a list of hosts is one [`Setter::Host`] per host instead; strings
    /// written in a host field are reported by the field table, `score_fields!`).
    List {
        span: Span,
        elements: Vec<Element<'a>>,
    },
    /// A Rust expression in braces.
    Rust(&'a Expr),
}

/// One element of a [`Setter::List`].
pub(super) enum Element<'a> {
    Literal(&'a Expr),
    Rust(&'a Expr),
    Wire {
        target: &'a Ident,
        output: &'a Ident,
    },
}

/// The literal checks of one plan function, by (score type, field).
///
/// Each field that has literals gets one const item checking all of them:
/// `let field = field_check(..); if field.bit & M == 0 { check(lit1) check(lit2) ... }`, where
/// `M` is the intersection of the literals' validity masks. When every literal is valid that is
/// one field lookup and one bit test per field (const items and calls are what costs compile
/// time); otherwise each literal is checked, spanned on itself, and the first invalid one of the
/// field is the error.
#[derive(Default)]
pub(super) struct FieldChecks<'a> {
    pub(super) fields: Vec<FieldLiterals<'a>>,
    /// The score instance being read: a new field's const goes with its first instance.
    current: usize,
}

/// The literals written in one field of one score type in a plan function.
pub(super) struct FieldLiterals<'a> {
    /// The first score instance with these literals: the const is emitted with it (inside its
    /// `Kind! { .. }` call, so that an unknown score type is one error, not one per use).
    pub(super) instance: usize,
    /// Score type, as written and as text.
    pub(super) kind_path: &'a Path,
    kind: String,
    /// Field name.
    pub(super) key: String,
    /// Intersection of the literals' validity masks.
    pub(super) mask: u32,
    pub(super) literals: Vec<LiteralToCheck<'a>>,
}

/// A literal to check: the literal expression, its validity mask and span.
pub(super) struct LiteralToCheck<'a> {
    pub(super) expr: &'a Expr,
    pub(super) mask: u32,
    pub(super) span: Span,
}

impl<'a> FieldChecks<'a> {
    /// Records the check of `expr`, written in field `key` of score type `kind` (`kind_str` as
    /// text); a literal of a kind no field takes is an error.
    fn push(
        &mut self,
        (kind, kind_str): (&'a Path, &str),
        key: &str,
        expr: &'a Expr,
        errors: &mut Errors,
    ) -> bool {
        let Some(mask) = crate::literal::mask_of(expr) else {
            errors.at(expr.span(), crate::literal::unsupported_message(expr));
            return false;
        };
        let index = match self
            .fields
            .iter()
            .position(|f| f.kind == kind_str && f.key == key)
        {
            Some(index) => index,
            None => {
                self.fields.push(FieldLiterals {
                    instance: self.current,
                    kind_path: kind,
                    kind: kind_str.to_string(),
                    key: key.to_string(),
                    mask: u32::MAX,
                    literals: Vec::new(),
                });
                self.fields.len() - 1
            }
        };
        let field = &mut self.fields[index];
        field.mask &= mask;
        field.literals.push(LiteralToCheck {
            expr,
            mask,
            span: expr.span(),
        });
        true
    }
}

/// Two or more claims of one port on one host (or on this machine): checked at compile time,
/// where it is known which of the claiming fields are ports.
pub(super) struct PortClash<'a> {
    /// The error, if two or more of the claims are ports.
    pub(super) message: String,
    /// The second claim.
    pub(super) span: Span,
    /// On a host of the plan (otherwise on this machine, for the scores that run here).
    pub(super) placed: bool,
    /// Each distinct (score type, field) that claims it, with its number of claims.
    pub(super) claims: Vec<(&'a Path, String, usize)>,
}

/// A number written in a score that may claim a port: on the host the score is placed on (`None`:
/// not placed by the plan, which is this machine for scores that run here).
struct Port<'a> {
    host: Option<String>,
    port: u16,
    span: Span,
    score: String,
    kind: &'a Path,
    field: String,
}

/// Checks plan function `def`, recording every error in `errors`.
pub(super) fn check<'a>(def: &'a PlanFn, errors: &mut Errors) -> Model<'a> {
    for error in &def.errors {
        errors.push(error.clone());
    }
    for error in def.scores.iter().filter_map(|s| s.error.as_ref()) {
        errors.push(error.clone());
    }
    let Some(topology) = topology_of(&def.output) else {
        if def.errors.is_empty() {
            errors.at(
                def.output.span(),
                "a plan function returns `Plan<Topology>`, e.g. `fn shop() -> Plan<HomeLab>`",
            );
        }
        return Model { def, plan: None };
    };
    let hosts = host_type(&topology).unwrap_or_else(|| quote! { self });
    // On a failover pair or decentralized sites of `T`, scores are added with a bound on `T`
    // itself, so that a capability `T` lacks is reported on `T`.
    let add_method = match lifted_topology(&topology) {
        Some(Lifted::Failover) => "add_on_both_sides",
        Some(Lifted::Decentralized) => "add_on_every_site",
        None => "add",
    };
    let mut literals = FieldChecks::default();
    let mut ports = Vec::new();
    let scores = check_scores(def, &mut literals, &mut ports, errors);
    Model {
        def,
        plan: Some(Plan {
            topology,
            hosts,
            add_method,
            scores,
            literals,
            clashes: port_clashes(&ports),
        }),
    }
}

/// The topology type inside `Plan<T>`.
fn topology_of(output: &Type) -> Option<Type> {
    let Type::Path(path) = output else {
        return None;
    };
    let last = path.path.segments.last()?;
    if last.ident != "Plan" {
        return None;
    }
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    match args.args.first() {
        Some(syn::GenericArgument::Type(t)) if args.args.len() == 1 => Some(t.clone()),
        _ => None,
    }
}

/// The type whose associated constants are a topology's hosts (`HomeLab::nuc`): the topology
/// itself, or for a generic topology (`Failover<HomeLab>`), its inner topology.
fn host_type(topology: &Type) -> Option<TokenStream> {
    let Type::Path(path) = topology else {
        return None;
    };
    let last = path.path.segments.last()?;
    if let syn::PathArguments::AngleBracketed(args) = &last.arguments
        && let Some(syn::GenericArgument::Type(inner)) = args.args.first()
    {
        return host_type(inner);
    }
    let path = &path.path;
    Some(quote! { #path })
}

/// The higher-order topologies `score!` recognises by name in `Plan<..>`.
enum Lifted {
    Failover,
    Decentralized,
}

/// Whether `topology` is written `Failover<T>` or `Decentralized<T>` (any path to them).
fn lifted_topology(topology: &syn::Type) -> Option<Lifted> {
    let syn::Type::Path(path) = topology else {
        return None;
    };
    let last = path.path.segments.last()?;
    if !matches!(last.arguments, syn::PathArguments::AngleBracketed(_)) {
        return None;
    }
    match last.ident.to_string().as_str() {
        "Failover" => Some(Lifted::Failover),
        "Decentralized" => Some(Lifted::Decentralized),
        _ => None,
    }
}

/// The scores of `def`, in order: names, fields, wiring and `after:`, hosts; the literals go to
/// `literals` and the numbers that may be ports to `ports`.
fn check_scores<'a>(
    def: &'a PlanFn,
    literals: &mut FieldChecks<'a>,
    ports: &mut Vec<Port<'a>>,
    errors: &mut Errors,
) -> Vec<Score<'a>> {
    let plan_name = def.name.to_string();
    let all_names: Vec<String> = def
        .scores
        .iter()
        .map(|s| s.name.unraw().to_string())
        .collect();
    let mut declared: Vec<&Ident> = Vec::new();
    let mut checked = Vec::new();
    for (index, score) in def.scores.iter().enumerate() {
        literals.current = index;
        let score_name = score.name.unraw().to_string();
        if let Some(first) = declared.iter().find(|d| **d == &score.name) {
            errors.duplicate("score", &score_name, first.span(), score.name.span());
            continue;
        }
        if let Some(message) = crate::syntax::name_rule_violation(&score.name.to_string(), "score")
        {
            errors.at(score.name.span(), message);
        }
        let kind = &score.kind;
        let kind_str = quote!(#kind).to_string();
        let mut setters: Vec<(&Ident, Setter)> = Vec::new();
        let mut deps: Vec<Ident> = Vec::new();
        let mut seen: Vec<&Ident> = Vec::new();
        let mut placed_on: Option<String> = None;
        let mut score_ports: Vec<(u16, Span, String)> = Vec::new();

        let check_ref = |target: &Ident, errors: &mut Errors, deps: &mut Vec<Ident>| -> bool {
            let target_name = target.unraw().to_string();
            if declared.iter().any(|d| **d == target_name) {
                if !deps.iter().any(|d| d == target) {
                    deps.push(target.clone());
                }
                return true;
            }
            if target_name == score_name {
                errors.at(
                    target.span(),
                    format!("score `{score_name}` cannot depend on itself"),
                );
            } else if all_names[index + 1..].contains(&target_name) {
                errors.at(
                    target.span(),
                    format!("cannot find `{target_name}` yet: it is declared after `{score_name}`; scores are declared in dependency order, so move `{target_name}` above `{score_name}`"),
                );
            } else {
                errors.at(
                    target.span(),
                    format!(
                        "cannot find score `{target_name}` in plan `{plan_name}`{} (scores are declared in dependency order)",
                        did_you_mean(&target_name, declared.iter().map(|d| d.unraw().to_string()).collect::<Vec<_>>().iter().map(String::as_str))
                    ),
                );
            }
            false
        };

        for field in &score.fields {
            if !errors.first_time("field", &mut seen, &field.key) {
                continue;
            }
            let key = &field.key;
            let key_str = key.unraw().to_string();
            if key_str == "after" {
                let targets: Vec<&Value> = match &field.value {
                    Value::List(_, items) => items.iter().collect(),
                    single => vec![single],
                };
                let mut listed: Vec<&Ident> = Vec::new();
                for target in targets {
                    match target {
                        Value::Host(t) if listed.iter().any(|l| l.unraw() == t.unraw()) => {
                            errors.at(
                                t.span(),
                                format!("`{}` is listed twice in `after: [...]`: the scores a score waits for are a set; remove the second `{}`", t.unraw(), t.unraw()),
                            );
                        }
                        Value::Host(t) => {
                            listed.push(t);
                            check_ref(t, errors, &mut deps);
                        }
                        other => errors.at(
                            other.span(),
                            "`after:` takes the names of earlier scores, e.g. `after: [db, cache]`",
                        ),
                    }
                }
                continue;
            }
            match &field.value {
                Value::Lit(lit) => {
                    if !literals.push((kind, &kind_str), &key_str, lit, errors) {
                        continue;
                    }
                    setters.push((key, Setter::Literal(lit)));
                    // A number that could be a port, whatever the field is called and however
                    // it is spelt (`8080` or `"8080"`); whether the field is a port is checked by
                    // kind, at compile time, for the clashes found below.
                    if let Some(port) = port_number(lit) {
                        score_ports.push((port, lit.span(), key_str.clone()));
                    }
                }
                Value::Host(host) => {
                    if declared.contains(&host) {
                        errors.at(host.span(), format!("`{host}` is a score: wire one of its outputs, e.g. `{key_str}: {host}.endpoint`"));
                        continue;
                    }
                    setters.push((key, Setter::Host(host)));
                    if placed_on.is_none() {
                        placed_on = Some(host.unraw().to_string());
                    }
                }
                Value::HostPath(path) => setters.push((key, Setter::HostPath(path))),
                Value::Wire {
                    score: target,
                    output,
                } => {
                    if !check_ref(target, errors, &mut deps) {
                        continue;
                    }
                    let span = field.value.span();
                    setters.push((
                        key,
                        Setter::Wire {
                            target,
                            output,
                            span,
                        },
                    ));
                }
                Value::List(span, items) => {
                    if !items.is_empty()
                        && items
                            .iter()
                            .all(|i| matches!(i, Value::Host(_) | Value::HostPath(_)))
                    {
                        crate::topology::no_duplicate_hosts(items, key, errors);
                        if placed_on.is_none()
                            && let Some(Value::Host(first)) = items.first()
                        {
                            placed_on = Some(first.unraw().to_string());
                        }
                        for item in items {
                            match item {
                                Value::Host(host) => setters.push((key, Setter::Host(host))),
                                Value::HostPath(path) => {
                                    setters.push((key, Setter::HostPath(path)))
                                }
                                _ => {}
                            }
                        }
                        continue;
                    }
                    let mut elements = Vec::new();
                    for item in items {
                        match item {
                            Value::Lit(lit) => {
                                if literals.push((kind, &kind_str), &key_str, lit, errors) {
                                    elements.push(Element::Literal(lit));
                                }
                            }
                            Value::Rust(expr) => {
                                wired_in(expr, &declared, &mut deps);
                                elements.push(Element::Rust(expr))
                            }
                            Value::Wire { score: target, output } => {
                                if check_ref(target, errors, &mut deps) {
                                    elements.push(Element::Wire { target, output });
                                }
                            }
                            other => errors.at(other.span(), "a list holds either hosts (`[pi1, pi2]`) or values (`[\"a\", \"b\"]`), not both"),
                        }
                    }
                    setters.push((
                        key,
                        Setter::List {
                            span: *span,
                            elements,
                        },
                    ));
                }
                Value::Rust(expr) => {
                    wired_in(expr, &declared, &mut deps);
                    setters.push((key, Setter::Rust(expr)));
                }
            }
        }
        for (port, span, field) in score_ports {
            ports.push(Port {
                host: placed_on.clone(),
                port,
                span,
                score: score_name.clone(),
                kind,
                field,
            });
        }
        declared.push(&score.name);
        checked.push(Score {
            index,
            handle: &score.name,
            kind,
            name: score_name,
            setters,
            incomplete: &score.incomplete,
            deps,
        });
    }
    checked
}

/// The same port claimed twice on one host (or on this machine). Each candidate group (the
/// same number on the same host, or on no host) becomes one [`PortClash`], spanned on its second
/// claim, whose const item counts the claims whose field is a port (by kind, whatever it is
/// called): two or more is a clash. Claims of the same field of the same score type are counted
/// together.
fn port_clashes<'a>(ports: &[Port<'a>]) -> Vec<PortClash<'a>> {
    let mut by_host: BTreeMap<(Option<String>, u16), Vec<&Port>> = BTreeMap::new();
    for port in ports {
        by_host
            .entry((port.host.clone(), port.port))
            .or_default()
            .push(port);
    }
    let mut clashes = Vec::new();
    for ((host, port), claims) in by_host {
        if claims.len() < 2 {
            continue;
        }
        let mut names: Vec<String> = claims
            .iter()
            .take(3)
            .map(|c| format!("`{}`", c.score))
            .collect();
        if claims.len() > 3 {
            names.push(format!("{} more", claims.len() - 3));
        }
        let names = match names.len() {
            2 => names.join(" and "),
            _ => names.join(", "),
        };
        let place = match &host {
            Some(host) => format!("on host `{host}`"),
            None => "on this machine".to_string(),
        };
        let message = format!(
            "port {port} {place} is claimed by more than one score ({names}): give each score its own port"
        );
        let mut distinct: Vec<(String, &Port, usize)> = Vec::new();
        for claim in &claims {
            let k = claim.kind;
            let key = format!("{}.{}", quote!(#k), claim.field);
            match distinct.iter_mut().find(|(d, _, _)| *d == key) {
                Some(entry) => entry.2 += 1,
                None => distinct.push((key, claim, 1)),
            }
        }
        clashes.push(PortClash {
            message,
            span: claims[1].span,
            placed: host.is_some(),
            claims: distinct
                .into_iter()
                .map(|(_, claim, count)| (claim.kind, claim.field.clone(), count))
                .collect(),
        });
    }
    clashes
}

/// Adds to `deps` each earlier score that the Rust expression `expr` reads an output of
/// (`db.endpoint` anywhere inside it, e.g. `{ HelmValues::of(&Values { host: db.endpoint.host.clone() }) }`),
/// so that wiring through an expression orders the plan like a plain `field: db.endpoint`.
fn wired_in(expr: &syn::Expr, declared: &[&Ident], deps: &mut Vec<Ident>) {
    fn scan(tokens: TokenStream, declared: &[&Ident], deps: &mut Vec<Ident>) {
        let tokens: Vec<proc_macro2::TokenTree> = tokens.into_iter().collect();
        for (i, token) in tokens.iter().enumerate() {
            match token {
                proc_macro2::TokenTree::Group(group) => scan(group.stream(), declared, deps),
                proc_macro2::TokenTree::Ident(ident) => {
                    let is_dot = |t: Option<&proc_macro2::TokenTree>| matches!(t, Some(proc_macro2::TokenTree::Punct(p)) if p.as_char() == '.');
                    // `x.db.endpoint` or `path::db.endpoint` are not the score `db`; `field: db.endpoint` is.
                    let punct_before =
                        |back: usize| match i.checked_sub(back).and_then(|j| tokens.get(j)) {
                            Some(proc_macro2::TokenTree::Punct(p)) => Some(p.as_char()),
                            _ => None,
                        };
                    let after_path = punct_before(1) == Some('.')
                        || (punct_before(1) == Some(':') && punct_before(2) == Some(':'));
                    let next_is_field = is_dot(tokens.get(i + 1))
                        && matches!(tokens.get(i + 2), Some(proc_macro2::TokenTree::Ident(_)))
                        && !matches!(tokens.get(i + 3), Some(proc_macro2::TokenTree::Group(g)) if g.delimiter() == proc_macro2::Delimiter::Parenthesis);
                    if !after_path
                        && next_is_field
                        && declared.contains(&ident)
                        && !deps.iter().any(|d| d == ident)
                    {
                        deps.push(ident.clone());
                    }
                }
                _ => {}
            }
        }
    }
    scan(quote! { #expr }, declared, deps);
}

/// The port a literal may claim: an integer 1-65535, or a string of its digits (`"8080"`).
fn port_number(lit: &syn::Expr) -> Option<u16> {
    let port = match crate::literal::plain_lit(lit)? {
        syn::Lit::Int(i) => i.base10_parse::<u16>().ok()?,
        syn::Lit::Str(s) => {
            let text = s.value();
            if text.is_empty() || text.starts_with('0') || !text.bytes().all(|b| b.is_ascii_digit())
            {
                return None;
            }
            text.parse::<u16>().ok()?
        }
        _ => return None,
    };
    (port != 0).then_some(port)
}

#[cfg(test)]
mod tests {
    use super::wired_in;
    use proc_macro2::Span;
    use syn::Ident;

    fn wired(expr: &str) -> Vec<String> {
        let db = Ident::new("db", Span::call_site());
        let cache = Ident::new("cache", Span::call_site());
        let declared = [&db, &cache];
        let mut deps = Vec::new();
        wired_in(&syn::parse_str(expr).unwrap(), &declared, &mut deps);
        deps.iter().map(|d| d.to_string()).collect()
    }

    #[test]
    fn outputs_read_inside_an_expression_are_dependencies() {
        assert_eq!(
            wired("Values { host: db.endpoint.host.clone(), url: format!(\"{}\", cache.url) }"),
            ["db", "cache"]
        );
        assert_eq!(wired("f(db.endpoint, db.endpoint)"), ["db"]);
        // Not an earlier score: a field of something else, a path, a method, a plain variable.
        assert!(wired("config.db.endpoint").is_empty());
        assert!(wired("module::db.endpoint").is_empty());
        assert!(wired("db.len()").is_empty());
        assert!(wired("db").is_empty());
        assert!(wired("web.url").is_empty());
    }
}
