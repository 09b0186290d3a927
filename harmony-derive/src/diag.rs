//! Error collection and did-you-mean suggestions shared by the macros.

use proc_macro2::{Span, TokenStream};

/// Collects independent errors so a macro reports them all at once, in the style of serde's
/// `Ctxt`: every error is recorded, and the collection must be turned into the macro's output
/// ([`Errors::into_compile_errors`] or [`Errors::check`]). Dropping it unchecked is a bug in the
/// macro (its errors would be lost), so it panics, and the tests catch it.
pub struct Errors {
    /// `None` once checked.
    errors: Option<Vec<syn::Error>>,
}

impl Default for Errors {
    fn default() -> Self {
        Errors {
            errors: Some(Vec::new()),
        }
    }
}

impl Errors {
    fn list(&mut self) -> &mut Vec<syn::Error> {
        self.errors
            .as_mut()
            .expect("errors recorded after the collection was checked")
    }

    /// Records an error at `span`.
    pub fn at(&mut self, span: Span, message: impl std::fmt::Display) {
        self.list().push(syn::Error::new(span, message));
    }

    /// Records an existing error.
    pub fn push(&mut self, error: syn::Error) {
        self.list().push(error);
    }

    /// The value of a darling parse (an attribute read by `#[derive(..)]`), or `None` with its
    /// errors recorded.
    pub fn handle<T>(&mut self, result: darling::Result<T>) -> Option<T> {
        result.map_err(|e| self.push(e.into())).ok()
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

    /// Checks the collection: `Err` with every error as `compile_error!` invocations, if any.
    pub fn check(mut self) -> Result<(), TokenStream> {
        let errors = self.errors.take().unwrap_or_default();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors.iter().map(syn::Error::to_compile_error).collect())
        }
    }

    /// Checks the collection: every error as `compile_error!` invocations (none: empty), emitted
    /// beside the generated code so that the rest of the input is still checked by the compiler.
    pub fn into_compile_errors(self) -> TokenStream {
        self.check().err().unwrap_or_default()
    }
}

impl Drop for Errors {
    fn drop(&mut self) {
        if self.errors.is_some() && !std::thread::panicking() {
            panic!("a macro's errors were dropped without being checked: they would be lost");
        }
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

/// The closest candidate to `name`, when it is close enough to be a likely typo.
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .map(|c| {
            (
                strsim::levenshtein(&name.to_lowercase(), &c.to_lowercase()),
                c,
            )
        })
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
    use heck::ToSnakeCase;
    name.strip_prefix("r#").unwrap_or(name).to_snake_case()
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
    use heck::ToUpperCamelCase;
    name.strip_prefix("r#")
        .unwrap_or(name)
        .to_upper_camel_case()
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
    fn checked_errors_become_compile_errors() {
        let mut errors = Errors::default();
        errors.at(Span::call_site(), "one");
        errors.at(Span::call_site(), "two");
        let tokens = errors.into_compile_errors().to_string();
        assert!(
            tokens.contains("\"one\"") && tokens.contains("\"two\""),
            "{tokens}"
        );
        assert!(Errors::default().check().is_ok());
    }

    #[test]
    #[should_panic(expected = "dropped without being checked")]
    fn unchecked_errors_are_a_bug() {
        let mut errors = Errors::default();
        errors.at(Span::call_site(), "lost");
    }

    #[test]
    fn case_conversions() {
        assert_eq!(snake_case("HomeLab"), "home_lab");
        assert_eq!(snake_case("K8sCluster"), "k8s_cluster");
        assert_eq!(snake_case("HTTPServer"), "http_server");
        assert_eq!(snake_case("EdgeFleet2"), "edge_fleet2");
        assert_eq!(camel_case("cpu_limit"), "CpuLimit");
        assert_eq!(camel_case("image"), "Image");
        assert_eq!(camel_case("r#type"), "Type");
        assert_eq!(snake_case("r#Type"), "type");
    }
}
