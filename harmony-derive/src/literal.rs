//! Literals written in infrastructure files, turned into `harmony_dsl::value::Literal` tokens that
//! the const checks and `FromLiteral` read.

use proc_macro2::TokenStream;
use quote::quote_spanned;
use syn::{Expr, Lit, UnOp};

/// The mask of the value kinds a literal expression is valid for (`value::kind_bit` each), found
/// by running harmony-dsl's own validators now; `None` if it is not a literal.
pub fn mask_of(expr: &Expr) -> Option<u32> {
    use crate::value::{Literal, literal_mask, literal_mask_str};
    let (lit, negative) = literal_parts(expr)?;
    if leading_zero(lit).is_some() {
        return None;
    }
    Some(match lit {
        Lit::Str(s) if !negative => literal_mask_str(&s.value()),
        Lit::Int(i) => {
            let value: u128 = i.base10_parse().ok()?;
            literal_mask(if negative {
                Literal::NegInt(value)
            } else {
                Literal::Int(value)
            })
        }
        Lit::Float(f) => {
            let value: f64 = f.base10_parse().ok()?;
            literal_mask(Literal::Float(if negative { -value } else { value }))
        }
        Lit::Bool(b) if !negative => literal_mask(Literal::Bool(b.value)),
        _ => return None,
    })
}

/// The literal of a non-negated literal expression (`"a"`, `3`), else `None`.
pub fn plain_lit(expr: &Expr) -> Option<&Lit> {
    match literal_parts(expr)? {
        (lit, false) => Some(lit),
        _ => None,
    }
}

/// The digits of an integer literal written with a leading zero (`0644`): read as octal by the
/// shell and C, as decimal by Rust, so refused (`0o644` or `644` say which one is meant).
fn leading_zero(lit: &Lit) -> Option<String> {
    let Lit::Int(i) = lit else { return None };
    let text = i.token().to_string();
    let digits = text
        .strip_suffix(i.suffix())
        .unwrap_or(&text)
        .replace('_', "");
    (digits.len() > 1 && digits.starts_with('0') && digits.bytes().all(|b| b.is_ascii_digit()))
        .then_some(digits)
}

fn literal_parts(expr: &Expr) -> Option<(&Lit, bool)> {
    match expr {
        Expr::Lit(lit) => Some((&lit.lit, false)),
        Expr::Unary(unary) if matches!(unary.op, UnOp::Neg(_)) => match &*unary.expr {
            Expr::Lit(lit) => Some((&lit.lit, true)),
            _ => None,
        },
        Expr::Group(group) => literal_parts(&group.expr),
        Expr::Paren(paren) => literal_parts(&paren.expr),
        _ => None,
    }
}

/// `Literal::Str("..")`, `Literal::Int(..)`... for a literal expression (spanned on it), or `None`.
/// `private` is the path of `harmony_dsl::__private` to use.
pub fn literal_of(expr: &Expr, private: &TokenStream) -> Option<TokenStream> {
    let (lit, negative) = literal_parts(expr)?;
    literal_tokens(lit, negative, private)
}

fn literal_tokens(lit: &Lit, negative: bool, private: &TokenStream) -> Option<TokenStream> {
    let span = lit.span();
    let private = crate::diag::respan(private, span);
    let private = quote_spanned! {span=> #private::Literal };
    Some(match lit {
        Lit::Str(s) if !negative => {
            let value = s.value();
            quote_spanned! {span=> #private::Str(#value) }
        }
        Lit::Int(i) => {
            let value: u128 = i.base10_parse().ok()?;
            if negative {
                quote_spanned! {span=> #private::NegInt(#value) }
            } else {
                quote_spanned! {span=> #private::Int(#value) }
            }
        }
        Lit::Float(f) => {
            let value: f64 = f.base10_parse().ok()?;
            let value = if negative { -value } else { value };
            quote_spanned! {span=> #private::Float(#value) }
        }
        Lit::Bool(b) if !negative => {
            let value = b.value;
            quote_spanned! {span=> #private::Bool(#value) }
        }
        _ => return None,
    })
}

/// Why a literal the macros cannot use was refused, with what to write instead: an integer too
/// large for any field is "out of range" (with the range), anything else says which literals a
/// field takes.
pub fn unsupported_message(expr: &Expr) -> String {
    if let Some((lit, _)) = literal_parts(expr)
        && let Some(digits) = leading_zero(lit)
    {
        let octal = digits.trim_start_matches('0');
        let octal = if octal.is_empty() { "0" } else { octal };
        return format!(
            "`{digits}` is the decimal number {} in Rust, not an octal one: write a file mode as `0o{octal}`, or the number without its leading zero",
            digits.trim_start_matches('0').parse::<u128>().unwrap_or(0)
        );
    }
    match literal_parts(expr) {
        Some((Lit::Int(i), negative)) if i.base10_parse::<u128>().is_err() => {
            let sign = if negative { "-" } else { "" };
            format!(
                "integer `{sign}{}` is out of range: no field takes a number this large (the widest integer fields take -9223372036854775808 to 18446744073709551615)",
                i.base10_digits()
            )
        }
        Some((Lit::Float(f), _)) if f.base10_parse::<f64>().is_err() => {
            format!("number `{}` is out of range for a number field", f.base10_digits())
        }
        Some((Lit::Str(_) | Lit::Bool(_), true)) => {
            "a `-` sign only goes before a number, e.g. `-3`".to_string()
        }
        Some((Lit::Char(c), _)) => format!(
            "a character literal is not a value Harmony takes: write a string, `\"{}\"`",
            c.value()
        ),
        Some((Lit::ByteStr(_) | Lit::CStr(_) | Lit::Byte(_), _)) => {
            "byte and C string literals are not values Harmony takes: write a string literal, e.g. `\"web\"`".to_string()
        }
        _ => "this kind of literal is not supported here: use a string (`\"10Gi\"`), an integer (`3`), a number (`0.5`) or a boolean (`true`)".to_string(),
    }
}

/// The message for strings written where a host belongs (field `key`, the strings as written):
/// the field rewritten with bare host names. `hosts` are the topology's hosts with their
/// addresses when the macro knows them (`topology!`), so a misspelt name or an address becomes
/// the host's name; `score!` does not know them, and a name that is not a host is then left to
/// the compiler's own did-you-mean once the quotes are gone.
pub fn host_as_string_message(
    key: &str,
    written: &[String],
    list: bool,
    hosts: Option<&[(String, Option<String>)]>,
) -> String {
    let notes = std::cell::RefCell::new(Vec::new());
    // DNS names written where a host belongs, noted together (`score!`, hosts unknown).
    let dns_names = std::cell::RefCell::new(Vec::new());
    let fix = |s: &str| -> Option<String> {
        match hosts {
            Some(hosts) => {
                if let Some((name, _)) = hosts.iter().find(|(n, _)| n == s) {
                    return Some(name.clone());
                }
                if let Some((name, _)) = hosts.iter().find(|(_, a)| a.as_deref() == Some(s)) {
                    notes
                        .borrow_mut()
                        .push(format!("`{s}` is the address of host `{name}`"));
                    return Some(name.clone());
                }
                // A DNS name whose first label is a host (`nuc.local`), or a typo.
                let label = dns_first_label(s);
                let closest = hosts
                    .iter()
                    .map(|(n, _)| n.as_str())
                    .find(|n| Some(*n) == label)
                    .or_else(|| crate::diag::closest(s, hosts.iter().map(|(n, _)| n.as_str())))?;
                notes
                    .borrow_mut()
                    .push(format!("`{s}` is not a host; did you mean `{closest}`?"));
                Some(closest.to_string())
            }
            None => match syn::parse_str::<syn::Ident>(s) {
                Ok(ident) => Some(ident.to_string()),
                Err(_) if syn::parse_str::<syn::Ident>(&format!("r#{s}")).is_ok() => {
                    Some(format!("r#{s}"))
                }
                Err(_) => {
                    let label = dns_first_label(s)?;
                    dns_names.borrow_mut().push(format!("`{s}`"));
                    Some(label.to_string())
                }
            },
        }
    };
    let fixes: Vec<Option<String>> = written.iter().map(|s| fix(s)).collect();
    let shape = |items: Vec<String>| {
        if list {
            format!("`{key}: [{}]`", items.join(", "))
        } else {
            format!("`{key}: {}`", items.join(", "))
        }
    };
    let quoted = shape(written.iter().map(|s| format!("{s:?}")).collect());
    if fixes.iter().all(Option::is_some) {
        let fixed: Vec<String> = fixes.into_iter().flatten().collect();
        let mut renamed = notes.into_inner();
        match dns_names.into_inner().as_slice() {
            [] => {}
            [one] => renamed.push(format!(
                "{one} is a DNS name; a host's name is the one under `hosts {{ ... }}` in `topology!`"
            )),
            [names @ .., last] => renamed.push(format!(
                "{} and {last} are DNS names; a host's name is the one under `hosts {{ ... }}` in `topology!`",
                names.join(", ")
            )),
        }
        let mut message = format!(
            "a host is written as its name, without quotes: write {}, not {quoted}",
            shape(fixed)
        );
        if !renamed.is_empty() {
            message.push_str(&format!(" ({})", renamed.join("; ")));
        }
        message
    } else {
        let unknown: Vec<String> = written
            .iter()
            .zip(&fixes)
            .filter(|(_, f)| f.is_none())
            .map(|(w, _)| format!("`{w:?}`"))
            .collect();
        let example = match hosts.and_then(|h| h.first()) {
            Some((name, _)) => name.clone(),
            None => "nuc".to_string(),
        };
        let known = match hosts {
            Some(hosts) if !hosts.is_empty() => format!(
                "; the hosts of this topology are {}",
                hosts
                    .iter()
                    .map(|(n, _)| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            _ => String::new(),
        };
        format!(
            "{} is not a host name: a host is written as the name it has under `hosts {{ ... }}` in `topology!`, without quotes, e.g. `{key}: {example}`{known}",
            unknown.join(", ")
        )
    }
}

/// The first label of a DNS name (`nuc` of `nuc.local`) when it could be a host's name: a Rust
/// identifier that is not a keyword.
fn dns_first_label(s: &str) -> Option<&str> {
    let (label, rest) = s.split_once('.')?;
    (!rest.is_empty() && syn::parse_str::<syn::Ident>(label).is_ok()).then_some(label)
}

#[cfg(test)]
mod tests {
    use super::host_as_string_message;

    #[test]
    fn a_dns_name_where_a_host_belongs_is_rewritten_as_the_host() {
        let written = |items: &[&str]| items.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        // `score!`: the topology's hosts are not known, the first label is the fix.
        assert_eq!(
            host_as_string_message("place", &written(&["nuc.local"]), false, None),
            "a host is written as its name, without quotes: write `place: nuc`, not `place: \"nuc.local\"` (`nuc.local` is a DNS name; a host's name is the one under `hosts { ... }` in `topology!`)"
        );
        assert_eq!(
            host_as_string_message("devices", &written(&["pi1.lan", "pi2.lan"]), true, None),
            "a host is written as its name, without quotes: write `devices: [pi1, pi2]`, not `devices: [\"pi1.lan\", \"pi2.lan\"]` (`pi1.lan` and `pi2.lan` are DNS names; a host's name is the one under `hosts { ... }` in `topology!`)"
        );
        // `topology!`: the host whose name the DNS name starts with.
        let hosts = [("nuc".to_string(), Some("192.168.1.10".to_string()))];
        assert_eq!(
            host_as_string_message("on", &written(&["nuc.home.arpa"]), false, Some(&hosts)),
            "a host is written as its name, without quotes: write `on: nuc`, not `on: \"nuc.home.arpa\"` (`nuc.home.arpa` is not a host; did you mean `nuc`?)"
        );
        // Nothing to start from: the rule, with an example.
        assert!(
            host_as_string_message("place", &written(&["10.0.0.7/8"]), false, None)
                .starts_with("`\"10.0.0.7/8\"` is not a host name")
        );
    }
}
