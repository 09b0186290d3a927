//! What the keyed literal macros (`rollout!`, `failover_timing!`) share: a comma-separated list
//! of `key: value` entries, and the message for a key that is not one of theirs.

use syn::Token;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;

/// `entry, entry, ...` (a trailing comma allowed).
pub struct Entries<T> {
    pub entries: Vec<T>,
}

impl<T: Parse> Parse for Entries<T> {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let entries = Punctuated::<T, Token![,]>::parse_terminated(input)?;
        Ok(Entries {
            entries: entries.into_iter().collect(),
        })
    }
}

/// "`name` is not a key of `macro_name!`: did you mean `x`?" (or the list of its keys).
pub fn unknown_key(name: &str, macro_name: &str, keys: &[&str]) -> String {
    let hint = match crate::diag::closest(name, keys.iter().copied()) {
        Some(close) => format!("did you mean `{close}`?"),
        None => format!(
            "the keys are {}",
            keys.iter()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    format!("`{name}` is not a key of `{macro_name}!`: {hint}")
}
