//! The small grammar shared by `topology!` and `score!`: `name { key: value, ... }` bodies whose
//! values are literals, hosts, wired outputs, lists, or Rust expressions in braces.

use proc_macro2::Span;
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Expr, Ident, Path, Token, braced, bracketed};

/// A value on the right of `key:`.
#[derive(Clone)]
pub enum Value {
    /// A literal: `"10Gi"`, `8080`, `-3`, `true`.
    Lit(Expr),
    /// A bare identifier: a host (`nuc`).
    Host(Ident),
    /// A path to a host of another module: `edge::gw`.
    HostPath(Path),
    /// A wired output of an earlier score: `db.endpoint`.
    Wire {
        /// The score.
        score: Ident,
        /// The output.
        output: Ident,
    },
    /// `[a, b]`.
    List(Span, Vec<Value>),
    /// `{ any Rust expression }`.
    Rust(Expr),
}

impl Value {
    /// The span to report errors about this value at.
    pub fn span(&self) -> Span {
        match self {
            Value::Lit(e) | Value::Rust(e) => e.span(),
            Value::Host(i) => i.span(),
            Value::HostPath(p) => p.span(),
            Value::Wire { score, output } => {
                score.span().join(output.span()).unwrap_or(score.span())
            }
            Value::List(span, _) => *span,
        }
    }
}

const VALUE_HELP: &str = "expected a value: a literal (`\"10Gi\"`, `8080`, `true`), a host (`nuc`), a wired output (`db.endpoint`), a list (`[pi1, pi2]`), or a Rust expression in braces (`{ my_port() }`)";

impl Parse for Value {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        if input.peek(syn::token::Bracket) {
            let content;
            let bracket = bracketed!(content in input);
            let items = Punctuated::<Value, Token![,]>::parse_terminated(&content)?;
            return Ok(Value::List(
                bracket.span.join(),
                items.into_iter().collect(),
            ));
        }
        if input.peek(syn::token::Brace) {
            let content;
            braced!(content in input);
            let expr: Expr = content.parse()?;
            if !content.is_empty() {
                return Err(content.error("expected one Rust expression inside the braces"));
            }
            return Ok(Value::Rust(expr));
        }
        // The common case, a lone literal, read straight off the cursor, without the full
        // expression parser (negative numbers and anything longer go the expression way).
        let lone_literal = input.step(|cursor| match cursor.literal() {
            Some((literal, rest))
                if rest.eof()
                    || rest
                        .punct()
                        .is_some_and(|(p, _)| matches!(p.as_char(), ',' | ';')) =>
            {
                Ok((Some(literal), rest))
            }
            _ => Ok((None, *cursor)),
        })?;
        if let Some(literal) = lone_literal {
            return Ok(Value::Lit(Expr::Lit(syn::ExprLit {
                attrs: Vec::new(),
                lit: syn::Lit::new(literal),
            })));
        }
        if input.peek(syn::Lit) || input.peek(Token![-]) {
            let expr: Expr = input.parse()?;
            return match &expr {
                Expr::Lit(_) => Ok(Value::Lit(expr)),
                Expr::Unary(u) if matches!(*u.expr, Expr::Lit(_)) => Ok(Value::Lit(expr)),
                _ => Err(syn::Error::new(expr.span(), VALUE_HELP)),
            };
        }
        if input.peek(Ident) && !input.peek(Token![::]) {
            let first: Ident = input.parse()?;
            if input.peek(Token![.]) {
                input.parse::<Token![.]>()?;
                let output: Ident = input.parse().map_err(|e| {
                    syn::Error::new(
                        e.span(),
                        format!(
                            "expected an output name after `{first}.`, e.g. `{first}.endpoint`"
                        ),
                    )
                })?;
                return Ok(Value::Wire {
                    score: first,
                    output,
                });
            }
            if input.peek(Token![::]) {
                let mut path = Path::from(first);
                while input.peek(Token![::]) {
                    input.parse::<Token![::]>()?;
                    path.segments.push(input.parse::<Ident>()?.into());
                }
                return Ok(Value::HostPath(path));
            }
            return Ok(Value::Host(first));
        }
        if input.peek(Token![::])
            || input.peek(Token![crate])
            || input.peek(Token![self])
            || input.peek(Token![super])
        {
            let path: Path = input.call(Path::parse_mod_style)?;
            return Ok(Value::HostPath(path));
        }
        if let Some(error) = keyword_error(input, "a host") {
            return Err(error);
        }
        Err(input.error(VALUE_HELP))
    }
}

/// When the next token is a Rust keyword used as a name (`type`, `match`...), the error saying
/// how to write it as a name: `r#type`. `what` is what the name stands for ("a host").
pub fn keyword_error(input: ParseStream, what: &str) -> Option<syn::Error> {
    if input.peek(Ident) || !input.peek(Ident::peek_any) {
        return None;
    }
    let fork = input.fork();
    let keyword = Ident::parse_any(&fork).ok()?;
    Some(syn::Error::new(
        keyword.span(),
        format!(
            "`{keyword}` is a Rust keyword, so it cannot be used as {what}'s name as it is: write it `r#{keyword}`"
        ),
    ))
}

/// The characters Harmony accepts in the names it declares (hosts, topologies, score instances):
/// ASCII letters, digits and `_`, so that each name is also a valid file name, environment
/// variable part and device key. `None` when `name` follows them, else the error message.
pub fn name_rule_violation(name: &str, what: &str) -> Option<String> {
    let name = name.strip_prefix("r#").unwrap_or(name);
    let bad = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '_'))?;
    let ascii: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    let example = if ascii.is_empty() {
        "nuc".to_string()
    } else {
        ascii
    };
    Some(format!(
        "{what} name `{name}` contains `{bad}`: Harmony names are ASCII letters, digits and `_` (they become file names, environment variables and device keys); e.g. `{example}`"
    ))
}

/// `key: value`.
pub struct FieldValue {
    /// The key.
    pub key: Ident,
    /// The value.
    pub value: Value,
}

impl Parse for FieldValue {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let key: Ident = input.call(syn::ext::IdentExt::parse_any)?;
        if !input.peek(Token![:]) {
            return Err(syn::Error::new(
                key.span(),
                format!("expected `{key}: <value>`"),
            ));
        }
        input.parse::<Token![:]>()?;
        let value: Value = input.parse()?;
        Ok(FieldValue { key, value })
    }
}

/// `{ key: value, ... }` (trailing comma allowed).
pub fn parse_fields(input: ParseStream) -> syn::Result<Vec<FieldValue>> {
    let content;
    braced!(content in input);
    let fields = Punctuated::<FieldValue, Token![,]>::parse_terminated(&content)?;
    Ok(fields.into_iter().collect())
}
