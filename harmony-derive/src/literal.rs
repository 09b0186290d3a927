//! Literals written in infrastructure files, turned into `harmony_dsl::value::Literal` tokens that
//! the const checks and `FromLiteral` read.

use proc_macro2::TokenStream;
use quote::quote_spanned;
use syn::{Expr, Lit, UnOp};

/// `Literal::Str("..")`, `Literal::Int(..)`... for a literal expression (spanned on it), or `None`.
pub fn literal_of(expr: &Expr) -> Option<TokenStream> {
    match expr {
        Expr::Lit(lit) => literal_tokens(&lit.lit, false),
        Expr::Unary(unary) if matches!(unary.op, UnOp::Neg(_)) => match &*unary.expr {
            Expr::Lit(lit) => literal_tokens(&lit.lit, true),
            _ => None,
        },
        Expr::Group(group) => literal_of(&group.expr),
        Expr::Paren(paren) => literal_of(&paren.expr),
        _ => None,
    }
}

fn literal_tokens(lit: &Lit, negative: bool) -> Option<TokenStream> {
    let span = lit.span();
    let private = quote_spanned! {span=> ::harmony_dsl::__private::Literal };
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
