//! Error collection and did-you-mean suggestions shared by the macros.

use proc_macro2::{Span, TokenStream};

/// Collects independent errors so a macro reports them all at once.
#[derive(Default)]
pub struct Errors {
    errors: Vec<syn::Error>,
}

impl Errors {
    /// Records an error at `span`.
    pub fn at(&mut self, span: Span, message: impl std::fmt::Display) {
        self.errors.push(syn::Error::new(span, message));
    }

    /// Records an existing error.
    pub fn push(&mut self, error: syn::Error) {
        self.errors.push(error);
    }

    /// Whether `key` is new among the keys of one block: a repeated key is reported as a
    /// duplicate `what` (and `false` returned, so the caller skips it); a new one is remembered.
    pub fn first_time<'a>(
        &mut self,
        what: &str,
        seen: &mut Vec<&'a proc_macro2::Ident>,
        key: &'a proc_macro2::Ident,
    ) -> bool {
        if let Some(first) = seen.iter().find(|k| **k == key) {
            let name = syn::ext::IdentExt::unraw(key).to_string();
            self.duplicate(what, &name, first.span(), key.span());
            return false;
        }
        seen.push(key);
        true
    }

    /// Records a duplicate: the error on the second occurrence, a note on the first.
    pub fn duplicate(&mut self, what: &str, name: &str, first: Span, second: Span) {
        self.at(
            second,
            format!(
                "duplicate {what} `{name}`: it is already declared above; remove one of the two"
            ),
        );
        // Stable proc macros cannot attach a note to another error: this second error is the note.
        self.at(
            first,
            format!(
                "first declaration of {what} `{name}` (repeated by the duplicate reported above)"
            ),
        );
    }

    /// All errors as `compile_error!` invocations.
    pub fn to_compile_errors(&self) -> TokenStream {
        self.errors
            .iter()
            .map(syn::Error::to_compile_error)
            .collect()
    }
}

/// `tokens` with every span set to `span`, so an error about generated code (a host marker's
/// module path, say) points at the user's token instead of wherever the path was first written.
pub fn respan(tokens: &TokenStream, span: Span) -> TokenStream {
    tokens
        .clone()
        .into_iter()
        .map(|mut tt| {
            if let proc_macro2::TokenTree::Group(g) = &tt {
                let mut group = proc_macro2::Group::new(g.delimiter(), respan(&g.stream(), span));
                group.set_span(span);
                tt = proc_macro2::TokenTree::Group(group);
            } else {
                tt.set_span(span);
            }
            tt
        })
        .collect()
}

/// Levenshtein distance between two short names.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = Vec::with_capacity(b.len() + 1);
        cur.push(i + 1);
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            let best = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
            cur.push(best);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The closest candidate to `name`, when it is close enough to be a likely typo.
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .map(|c| (distance(&name.to_lowercase(), &c.to_lowercase()), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// `"; did you mean `x`?"` or nothing. Messages put it last, or follow it with a new sentence.
pub fn did_you_mean<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    closest(name, candidates)
        .map(|c| format!("; did you mean `{c}`?"))
        .unwrap_or_default()
}

/// `"<message><did you mean>"` then `"; <rest>"`, or `"? <Rest>"` after a suggestion, so the
/// message never reads `?;`.
pub fn with_suggestion(message: String, suggestion: String, rest: &str) -> String {
    if suggestion.is_empty() {
        format!("{message}; {rest}")
    } else {
        let mut chars = rest.chars();
        let rest = match chars.next() {
            Some(first) => first.to_uppercase().chain(chars).collect::<String>(),
            None => String::new(),
        };
        format!("{message}{suggestion} {rest}")
    }
}

/// `home_lab` for `HomeLab`, `k8s_cluster` for `K8sCluster` (a raw `r#` prefix is dropped).
pub fn snake_case(name: &str) -> String {
    let name = name.strip_prefix("r#").unwrap_or(name);
    let mut out = String::with_capacity(name.len() + 4);
    let chars: Vec<char> = name.chars().collect();
    for (i, c) in chars.iter().enumerate() {
        if c.is_uppercase() {
            let prev_lower =
                i > 0 && (chars[i - 1].is_lowercase() || chars[i - 1].is_ascii_digit());
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            let prev_upper = i > 0 && chars[i - 1].is_uppercase();
            if i > 0 && (prev_lower || (prev_upper && next_lower)) {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(*c);
        }
    }
    out
}

/// An identifier for a generated item named `name` (from [`snake_case`]): a keyword gets a
/// trailing `_` (`match_`), since `self`, `super` and `crate` cannot even be raw identifiers.
pub fn generated_ident(name: &str, span: Span) -> proc_macro2::Ident {
    const KEYWORDS: &[&str] = &[
        "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "crate",
        "do", "dyn", "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl",
        "in", "let", "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub",
        "ref", "return", "self", "static", "struct", "super", "trait", "true", "try", "type",
        "typeof", "unsafe", "unsized", "use", "virtual", "where", "while", "yield", "_",
    ];
    if KEYWORDS.contains(&name) {
        proc_macro2::Ident::new(&format!("{name}_"), span)
    } else {
        proc_macro2::Ident::new(name, span)
    }
}

/// `Image` for `image`, `CpuLimit` for `cpu_limit` (a raw `r#` prefix is dropped).
pub fn camel_case(name: &str) -> String {
    let name = name.strip_prefix("r#").unwrap_or(name);
    name.split('_')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let mut cs = p.chars();
            match cs.next() {
                Some(first) => first.to_uppercase().chain(cs).collect::<String>(),
                None => String::new(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_find_typos_only() {
        assert_eq!(closest("nux", ["nuc", "pi1", "pi2"]), Some("nuc"));
        assert_eq!(
            closest("replica", ["image", "replicas", "port"]),
            Some("replicas")
        );
        assert_eq!(closest("zzz", ["nuc", "pi1"]), None);
        assert_eq!(
            did_you_mean("K8sClustr", ["K8sCluster"]),
            "; did you mean `K8sCluster`?"
        );
    }

    #[test]
    fn case_conversions() {
        assert_eq!(snake_case("HomeLab"), "home_lab");
        assert_eq!(snake_case("K8sCluster"), "k8s_cluster");
        assert_eq!(snake_case("HTTPServer"), "http_server");
        assert_eq!(snake_case("EdgeFleet2"), "edge_fleet2");
        assert_eq!(camel_case("cpu_limit"), "CpuLimit");
        assert_eq!(camel_case("image"), "Image");
    }
}
