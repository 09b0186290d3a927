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

    /// Records a duplicate: the error on the second occurrence, a note on the first.
    pub fn duplicate(&mut self, what: &str, name: &str, first: Span, second: Span) {
        self.at(
            second,
            format!("duplicate {what} `{name}`: it is already declared above"),
        );
        self.at(
            first,
            format!("note: {what} `{name}` is first declared here"),
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

/// `"; did you mean `x`?"` or nothing.
pub fn did_you_mean<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    closest(name, candidates)
        .map(|c| format!("; did you mean `{c}`?"))
        .unwrap_or_default()
}

/// `home_lab` for `HomeLab`, `k8s_cluster` for `K8sCluster`.
pub fn snake_case(name: &str) -> String {
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

/// `Image` for `image`, `CpuLimit` for `cpu_limit`.
pub fn camel_case(name: &str) -> String {
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

/// `tokens` with every span set to `span`, so an error about generated code built from them
/// points at one token of the user's instead of a range spanning unrelated lines.
pub fn respan(tokens: TokenStream, span: Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|mut tree| {
            if let proc_macro2::TokenTree::Group(group) = &tree {
                let mut new =
                    proc_macro2::Group::new(group.delimiter(), respan(group.stream(), span));
                new.set_span(span);
                tree = proc_macro2::TokenTree::Group(new);
            } else {
                tree.set_span(span);
            }
            tree
        })
        .collect()
}

/// An identifier for `name` (already unrawed): raw when `name` is a keyword (`type` → `r#type`),
/// suffixed with `_` for the few keywords that cannot be raw (`self`, `crate`...).
pub fn ident(name: &str, span: Span) -> proc_macro2::Ident {
    if syn::parse_str::<proc_macro2::Ident>(name).is_ok() {
        return proc_macro2::Ident::new(name, span);
    }
    match name {
        "_" | "self" | "Self" | "super" | "crate" | "" => {
            proc_macro2::Ident::new(&format!("{name}_"), span)
        }
        _ => proc_macro2::Ident::new_raw(name, span),
    }
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
