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
