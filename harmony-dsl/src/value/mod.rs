//! TEMPORARY stand-in for the typed values module (being written on branch `values`).
use serde::{Deserialize, Serialize};
use std::fmt;
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind { IpAddress, Cidr, Port, DomainName, ImageRef, Quantity, Duration, Url, Text, Bool, Unsigned { max: u64 }, Signed { min: i64, max: i64 }, Float, Secret, Opaque }
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Literal { Str(&'static str), Int(u128), NegInt(u128), Float(f64), Bool(bool) }
pub const fn expect_literal(_kind: ValueKind, _lit: Literal) {}
pub trait ScoreField { const KIND: ValueKind; }
pub trait FromLiteral: Sized { fn from_literal(lit: Literal) -> Self; }
macro_rules! stub { ($($n:ident),*) => {$(
    #[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
    pub struct $n(String);
    impl fmt::Display for $n { fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str(&self.0) } }
    impl std::str::FromStr for $n { type Err = String; fn from_str(s: &str) -> Result<Self, String> { Ok($n(s.into())) } }
    impl ScoreField for $n { const KIND: ValueKind = ValueKind::$n; }
    impl FromLiteral for $n { fn from_literal(lit: Literal) -> Self { match lit { Literal::Str(s) => $n(s.into()), _ => panic!() } } }
)*}}
stub!(IpAddress, Cidr, DomainName, ImageRef, Quantity, Duration, Url);
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Port(u16);
impl Port { pub const fn new(p: u16) -> Option<Port> { if p == 0 { None } else { Some(Port(p)) } } pub const fn get(self) -> u16 { self.0 } }
impl Default for Port { fn default() -> Self { Port(1) } }
impl fmt::Display for Port { fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { write!(f, "{}", self.0) } }
impl std::str::FromStr for Port { type Err = String; fn from_str(s: &str) -> Result<Self, String> { s.parse::<u16>().map(Port).map_err(|e| e.to_string()) } }
impl ScoreField for Port { const KIND: ValueKind = ValueKind::Port; }
impl FromLiteral for Port { fn from_literal(lit: Literal) -> Self { match lit { Literal::Int(i) => Port(i as u16), _ => panic!() } } }
impl Duration { pub fn as_std(&self) -> std::time::Duration { std::time::Duration::from_secs(1) } }
#[derive(Clone, PartialEq, Eq, Hash, Deserialize)]
pub struct Secret<T>(T);
impl<T> fmt::Debug for Secret<T> { fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str("<redacted>") } }
impl<T> Serialize for Secret<T> { fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> { s.serialize_str("<redacted>") } }
impl<T> ScoreField for Secret<T> { const KIND: ValueKind = ValueKind::Secret; }
impl ScoreField for String { const KIND: ValueKind = ValueKind::Text; }
impl ScoreField for bool { const KIND: ValueKind = ValueKind::Bool; }
impl ScoreField for u16 { const KIND: ValueKind = ValueKind::Unsigned { max: u16::MAX as u64 }; }
impl ScoreField for u32 { const KIND: ValueKind = ValueKind::Unsigned { max: u32::MAX as u64 }; }
impl<T: ScoreField> ScoreField for Option<T> { const KIND: ValueKind = T::KIND; }
impl<T: ScoreField> ScoreField for Vec<T> { const KIND: ValueKind = T::KIND; }
impl FromLiteral for String { fn from_literal(lit: Literal) -> Self { match lit { Literal::Str(s) => s.into(), _ => panic!() } } }
impl FromLiteral for u16 { fn from_literal(lit: Literal) -> Self { match lit { Literal::Int(i) => i as u16, _ => panic!() } } }
impl FromLiteral for u32 { fn from_literal(lit: Literal) -> Self { match lit { Literal::Int(i) => i as u32, _ => panic!() } } }
impl FromLiteral for bool { fn from_literal(lit: Literal) -> Self { match lit { Literal::Bool(b) => b, _ => panic!() } } }
impl<T: FromLiteral> FromLiteral for Option<T> { fn from_literal(lit: Literal) -> Self { Some(T::from_literal(lit)) } }
