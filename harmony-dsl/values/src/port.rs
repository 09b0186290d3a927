//! [`Port`]: a TCP/UDP port 1-65535.

use std::fmt;
use std::num::NonZeroU16;
use std::str::FromStr;

use super::{FromLiteral, Literal, ParseValueError, ScoreField, ValueError, ValueKind};

const ZERO: &str = "port 0 is not a port a service can listen on; use 1-65535, e.g. `8080`";
const RANGE: &str = "invalid port: it must be 1-65535, e.g. `8080`";
const SYNTAX: &str = "invalid port: it must be a number 1-65535 without a sign, spaces or leading zeros, e.g. `8080`";

/// A TCP/UDP port in 1-65535; port 0 is rejected.
///
/// Literals may be integers (`8080`) or strings (`"8080"`). Serialises as an
/// integer and deserialises from an integer or a string.
///
/// ```
/// use harmony_values::Port;
/// assert_eq!(Port::new(443).unwrap().get(), 443);
/// assert!(Port::new(0).is_none());
/// assert_eq!("8080".parse::<Port>().unwrap().get(), 8080);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Port(NonZeroU16);

impl Port {
    /// A port from a number; `None` for 0.
    pub const fn new(port: u16) -> Option<Port> {
        match NonZeroU16::new(port) {
            Some(p) => Some(Port(p)),
            None => None,
        }
    }

    /// The port number.
    pub const fn get(self) -> u16 {
        self.0.get()
    }

    /// Parses a decimal port string in a const context; the single string validator.
    pub const fn parse(s: &str) -> Result<Self, ValueError> {
        parse_str(s)
    }
}

/// Parses a decimal port string.
pub(crate) const fn parse_str(s: &str) -> Result<Port, ValueError> {
    let b = s.as_bytes();
    parse_bytes(b, 0, b.len())
}

/// Parses `b[start..end]` as a decimal port.
pub(crate) const fn parse_bytes(b: &[u8], start: usize, end: usize) -> Result<Port, ValueError> {
    match super::scan::decimal(b, start, end) {
        Some(n) => from_u128(n as u128),
        None => {
            // `0`-prefixed numbers other than `0` itself are rejected as syntax.
            Err(ValueError::new(ValueKind::Port, SYNTAX))
        }
    }
}

/// Range-checks an integer literal.
pub(crate) const fn from_u128(n: u128) -> Result<Port, ValueError> {
    if n == 0 {
        return Err(ValueError::new(ValueKind::Port, ZERO));
    }
    if n > u16::MAX as u128 {
        return Err(out_of_range());
    }
    match Port::new(n as u16) {
        Some(p) => Ok(p),
        None => Err(ValueError::new(ValueKind::Port, ZERO)),
    }
}

/// The error for a number outside 1-65535.
pub(crate) const fn out_of_range() -> ValueError {
    ValueError::new(ValueKind::Port, RANGE)
}

impl FromStr for Port {
    type Err = ParseValueError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_str(s).map_err(|e| ParseValueError::new(s, e))
    }
}

impl fmt::Display for Port {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.get(), f)
    }
}

impl From<Port> for u16 {
    fn from(p: Port) -> u16 {
        p.get()
    }
}

impl TryFrom<u16> for Port {
    type Error = ValueError;
    fn try_from(n: u16) -> Result<Self, Self::Error> {
        from_u128(n as u128)
    }
}

impl ScoreField for Port {
    const KIND: ValueKind = ValueKind::Port;
}

impl FromLiteral for Port {
    fn from_literal(lit: Literal) -> Self {
        let result = match lit {
            Literal::Str(s) => parse_str(s),
            Literal::Int(n) => from_u128(n),
            other => match super::check_literal(ValueKind::Port, other) {
                Err(e) => Err(e),
                Ok(()) => unreachable!("only integer and string literals are ports"),
            },
        };
        match result {
            Ok(p) => p,
            Err(e) => panic!("{e}"),
        }
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for Port {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u16(self.get())
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for Port {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct PortVisitor;

        impl serde::de::Visitor<'_> for PortVisitor {
            type Value = Port;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a port number 1-65535")
            }

            fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<Port, E> {
                from_u128(n as u128).map_err(|e| E::custom(ParseValueError::new(n.to_string(), e)))
            }

            fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<Port, E> {
                let result = if n < 0 {
                    Err(out_of_range())
                } else {
                    from_u128(n as u128)
                };
                result.map_err(|e| E::custom(ParseValueError::new(n.to_string(), e)))
            }

            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Port, E> {
                s.parse().map_err(E::custom)
            }
        }

        deserializer.deserialize_any(PortVisitor)
    }
}

#[cfg(all(test, feature = "serde"))]
mod tests {
    use super::*;
    use crate::check_literal;
    use crate::tests::{assert_invalid, assert_valid_roundtrip};

    #[test]
    fn valid_ports() {
        for (input, n) in [("1", 1), ("22", 22), ("8080", 8080), ("65535", 65535)] {
            let p: Port = assert_valid_roundtrip(input);
            assert_eq!(p.get(), n);
            assert_eq!(Port::from_literal(Literal::Int(n as u128)), p);
            assert_eq!(serde_json::to_string(&p).unwrap(), n.to_string());
        }
    }

    #[test]
    fn invalid_ports() {
        for (input, fragment) in [
            ("0", "port 0 is not a port"),
            ("65536", "must be 1-65535"),
            ("99999999999999999999999", "must be 1-65535"),
            ("", "without a sign"),
            ("-1", "without a sign"),
            ("+80", "without a sign"),
            ("080", "leading zeros"),
            ("80 ", "without a sign, spaces"),
            ("http", "e.g. `8080`"),
        ] {
            assert_invalid::<Port>(input, fragment);
        }
    }

    #[test]
    fn integer_literals() {
        assert_eq!(check_literal(ValueKind::Port, Literal::Int(443)), Ok(()));
        assert_eq!(
            check_literal(ValueKind::Port, Literal::Int(0))
                .unwrap_err()
                .message(),
            ZERO
        );
        assert_eq!(
            check_literal(ValueKind::Port, Literal::Int(70000))
                .unwrap_err()
                .message(),
            RANGE
        );
        assert_eq!(
            check_literal(ValueKind::Port, Literal::NegInt(80))
                .unwrap_err()
                .message(),
            RANGE
        );
        assert!(
            check_literal(ValueKind::Port, Literal::Bool(true))
                .unwrap_err()
                .message()
                .starts_with("expected an integer or string literal for a port")
        );
    }

    #[test]
    fn serde_accepts_numbers_and_strings() {
        assert_eq!(serde_json::from_str::<Port>("443").unwrap().get(), 443);
        assert_eq!(serde_json::from_str::<Port>("\"443\"").unwrap().get(), 443);
        let err = serde_json::from_str::<Port>("0").unwrap_err().to_string();
        assert!(err.contains("port 0 is not a port"), "{err}");
        let err = serde_json::from_str::<Port>("-5").unwrap_err().to_string();
        assert!(err.contains("must be 1-65535"), "{err}");
        let err = serde_json::from_str::<Port>("70000")
            .unwrap_err()
            .to_string();
        assert!(err.contains("must be 1-65535"), "{err}");
    }
}
