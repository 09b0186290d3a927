//! Typed values for infrastructure files, validated by one piece of code.
//!
//! Every typed value here (an [`IpAddress`], a [`Cidr`], an [`ImageRef`], ...)
//! has exactly one validator: a `const fn` that walks the bytes of the input.
//! That same function runs in two places:
//!
//! * **At compile time.** The DSL macros turn each literal a user writes into a
//!   const item such as
//!   `const _: () = expect_literal(<ImageRef as ScoreField>::KIND, Literal::Str("..."));`.
//!   `cargo check` evaluates it, and an invalid literal becomes a compile error
//!   (`error[E0080]: evaluation panicked: <message>`) on the user's literal.
//! * **At run time.** `FromStr`, serde `Deserialize` and [`FromLiteral`] call
//!   the same validator, so a value loaded from configuration is held to
//!   exactly the same rules, with exactly the same [`ValueError`] message.
//!
//! Error messages are complete sentences that say what is wrong and give a
//! valid example.
//!
//! ```
//! use harmony_values::{expect_literal, Cidr, Literal, ScoreField, ValueKind};
//!
//! const _: () = expect_literal(ValueKind::Cidr, Literal::Str("10.0.0.0/8"));
//! const _: () = expect_literal(<Cidr as ScoreField>::KIND, Literal::Str("fd00::/64"));
//!
//! let net: Cidr = "10.0.0.0/8".parse().unwrap();
//! assert_eq!(net.prefix_len(), 8);
//! ```
//!
//! An invalid literal fails to compile:
//!
//! ```compile_fail,E0080
//! use harmony_values::{expect_literal, Literal, ValueKind};
//! const _: () = expect_literal(ValueKind::IpAddress, Literal::Str("192.168.1.300"));
//! ```
//!
//! ```compile_fail,E0080
//! use harmony_values::{expect_literal, Literal, ValueKind};
//! const _: () = expect_literal(ValueKind::Cidr, Literal::Str("10.0.0.1/8"));
//! ```
//!
//! ```compile_fail,E0080
//! use harmony_values::{expect_literal, Literal, ValueKind};
//! const _: () = expect_literal(ValueKind::Port, Literal::Int(0));
//! ```
//!
//! ```compile_fail,E0080
//! use harmony_values::{expect_literal, Literal, ValueKind};
//! const _: () = expect_literal(ValueKind::Quantity, Literal::Str("10Gb"));
//! ```
//!
//! ```compile_fail,E0080
//! use harmony_values::{expect_literal, ImageRef, Literal, ScoreField};
//! const _: () = expect_literal(<ImageRef as ScoreField>::KIND, Literal::Str("Acme/Web:1.0"));
//! ```
//!
//! ```compile_fail,E0080
//! use harmony_values::{expect_literal, Literal, ValueKind};
//! const _: () = expect_literal(ValueKind::Url, Literal::Str("https://api.example.com:0/"));
//! ```
//!
//! ```compile_fail,E0080
//! use harmony_values::{expect_literal, Literal, ValueKind};
//! const _: () = expect_literal(ValueKind::Secret, Literal::Str("hunter2"));
//! ```
//!
//! ```compile_fail,E0080
//! use harmony_values::{expect_literal, Literal, ScoreField};
//! const _: () = expect_literal(<u16 as ScoreField>::KIND, Literal::Int(70_000));
//! ```
//!
//! ```compile_fail,E0080
//! use harmony_values::{expect_literal, Literal, ValueKind};
//! const _: () = expect_literal(ValueKind::Duration, Literal::Int(30));
//! ```

use std::fmt;

mod cidr;
mod domain;
mod duration;
mod image;
mod ip;
mod port;
mod quantity;
mod redact;
mod scan;
mod secret;
mod secret_ref;
mod url;

#[cfg(all(test, feature = "serde"))]
mod tests;

pub use cidr::Cidr;
pub use domain::DomainName;
pub use duration::Duration;
pub use image::ImageRef;
pub use ip::IpAddress;
pub use port::Port;
pub use quantity::Quantity;
pub use redact::mask_url_credentials;
pub use secret::Secret;
pub use secret_ref::{SecretRef, ValueSource};
pub use url::{HttpUrl, NatsUrl, PostgresUrl, Url};

/// The kind of value a score field holds; decides how a literal is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ValueKind {
    /// An IPv4 or IPv6 address ([`IpAddress`]).
    IpAddress,
    /// An IP network in CIDR notation ([`Cidr`]).
    Cidr,
    /// A TCP/UDP port 1-65535 ([`Port`]).
    Port,
    /// An RFC 1123 host name ([`DomainName`]).
    DomainName,
    /// An OCI image reference ([`ImageRef`]).
    ImageRef,
    /// A Kubernetes resource quantity ([`Quantity`]).
    Quantity,
    /// A duration such as `1h30m` ([`Duration`]).
    Duration,
    /// An absolute URL ([`Url`]).
    Url,
    /// A NATS server URL, `nats://` or `tls://` ([`NatsUrl`]).
    NatsUrl,
    /// An HTTP endpoint, `http://` or `https://` ([`HttpUrl`]).
    HttpUrl,
    /// A PostgreSQL server URL, `postgres://` or `postgresql://` ([`PostgresUrl`]).
    PostgresUrl,
    /// Free text (`String`, `&'static str`).
    Text,
    /// A boolean.
    Bool,
    /// An unsigned integer with an inclusive maximum.
    Unsigned {
        /// Largest accepted value.
        max: u64,
    },
    /// A signed integer with an inclusive range.
    Signed {
        /// Smallest accepted value.
        min: i64,
        /// Largest accepted value.
        max: i64,
    },
    /// A floating point number.
    Float,
    /// A secret ([`Secret`]); never accepted as a literal.
    Secret,
    /// A wired output of another resource; never accepted as a literal.
    Opaque,
    /// A host of the topology (`Placement`): written as the host's name, never as a literal.
    Host,
}

impl ValueKind {
    /// Human readable name used in error messages, e.g. `"image reference"`.
    pub const fn name(self) -> &'static str {
        match self {
            ValueKind::IpAddress => "IP address",
            ValueKind::Cidr => "CIDR network",
            ValueKind::Port => "port",
            ValueKind::DomainName => "domain name",
            ValueKind::ImageRef => "image reference",
            ValueKind::Quantity => "Kubernetes quantity",
            ValueKind::Duration => "duration",
            ValueKind::Url => "URL",
            ValueKind::NatsUrl => "NATS URL",
            ValueKind::HttpUrl => "HTTP URL",
            ValueKind::PostgresUrl => "PostgreSQL URL",
            ValueKind::Text => "text",
            ValueKind::Bool => "boolean",
            ValueKind::Unsigned { .. } => "unsigned integer",
            ValueKind::Signed { .. } => "integer",
            ValueKind::Float => "number",
            ValueKind::Secret => "secret",
            ValueKind::Opaque => "wired output",
            ValueKind::Host => "host",
        }
    }
}

/// A literal as written in an infrastructure file, handed over by the macros.
///
/// Negative integers arrive as [`Literal::NegInt`] holding the magnitude.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Literal {
    /// A string literal.
    Str(&'static str),
    /// A non-negative integer literal.
    Int(u128),
    /// A negative integer literal; holds the magnitude (`-5` is `NegInt(5)`).
    NegInt(u128),
    /// A float literal.
    Float(f64),
    /// A boolean literal.
    Bool(bool),
}

/// Why a value is invalid: the kind that was expected and a complete message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ValueError {
    kind: ValueKind,
    message: &'static str,
}

impl ValueError {
    /// Creates an error for `kind` with a complete, example-bearing `message`.
    pub const fn new(kind: ValueKind, message: &'static str) -> Self {
        ValueError { kind, message }
    }

    /// The kind of value that was expected.
    pub const fn kind(&self) -> ValueKind {
        self.kind
    }

    /// The message: what is wrong and a valid example.
    pub const fn message(&self) -> &'static str {
        self.message
    }
}

impl fmt::Display for ValueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message)
    }
}

impl std::error::Error for ValueError {}

/// A run-time parse failure: the rejected input and the [`ValueError`].
///
/// Displays as ``"`10Gb` is not a valid Kubernetes quantity: unknown suffix; ..."``:
/// the message without its leading `"invalid <kind>: "`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseValueError {
    /// The rejected input, verbatim.
    pub input: String,
    /// The error the validator reported.
    pub error: ValueError,
}

impl ParseValueError {
    /// Pairs a rejected input with its error.
    pub fn new(input: impl Into<String>, error: ValueError) -> Self {
        ParseValueError {
            input: input.into(),
            error,
        }
    }
}

impl fmt::Display for ParseValueError {
    /// Writes ``"`<input>` is not a valid <kind>: <message>"``, dropping a
    /// leading `"invalid <kind>: "` from the message so it is not said twice.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let message = self.error.message;
        let detail = match message.strip_prefix("invalid ") {
            Some(rest) => rest.split_once(": ").map_or(message, |(_, detail)| detail),
            None => message,
        };
        write!(
            f,
            "`{}` is not a valid {}: {}",
            self.input,
            self.error.kind.name(),
            detail
        )
    }
}

impl std::error::Error for ParseValueError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

/// Checks a literal against a kind; the compile-time and run-time entry point.
///
/// String kinds run their `const fn` validator; numeric kinds check the range;
/// [`ValueKind::Secret`] and [`ValueKind::Opaque`] reject every literal.
pub const fn check_literal(kind: ValueKind, lit: Literal) -> Result<(), ValueError> {
    match kind {
        ValueKind::Secret => {
            return Err(ValueError::new(
                kind,
                "secrets must not be written in infrastructure files: they would end up in source control; use a `SecretRef` from configuration (a `#[derive(Config)]` struct), e.g. `password: { config.db_password.clone() }`",
            ));
        }
        ValueKind::Host => {
            return Err(ValueError::new(
                kind,
                "a host is written as its name, without quotes: e.g. `nuc`, not `\"nuc\"`; it must be a host declared in the topology's `topology!`",
            ));
        }
        ValueKind::Opaque => {
            return Err(ValueError::new(
                kind,
                "this field takes a wired output such as `db.endpoint`, not a literal; connect it to another resource's output",
            ));
        }
        _ => {}
    }
    match lit {
        Literal::Str(s) => check_str(kind, s),
        Literal::Int(n) => check_int(kind, n, false),
        Literal::NegInt(n) => check_int(kind, n, true),
        Literal::Float(_) => match kind {
            ValueKind::Float => Ok(()),
            _ => Err(wrong_type(kind)),
        },
        Literal::Bool(_) => match kind {
            ValueKind::Bool => Ok(()),
            _ => Err(wrong_type(kind)),
        },
    }
}

/// [`check_literal`] of a string literal (any lifetime: the macros run it on their input).
const fn check_str(kind: ValueKind, s: &str) -> Result<(), ValueError> {
    match kind {
        ValueKind::IpAddress => ip::validate(s),
        ValueKind::Cidr => cidr::validate(s),
        ValueKind::Port => match port::parse_str(s) {
            Ok(_) => Ok(()),
            Err(e) => Err(e),
        },
        ValueKind::DomainName => domain::validate(s),
        ValueKind::ImageRef => image::validate(s),
        ValueKind::Quantity => quantity::validate(s),
        ValueKind::Duration => duration::validate(s),
        ValueKind::Url => url::validate(s),
        ValueKind::NatsUrl => NatsUrl::validate(s),
        ValueKind::HttpUrl => HttpUrl::validate(s),
        ValueKind::PostgresUrl => PostgresUrl::validate(s),
        ValueKind::Text => Ok(()),
        ValueKind::Bool => Err(ValueError::new(
            kind,
            "a boolean is written without quotes: `true` or `false`, e.g. `false` rather than `\"false\"`",
        )),
        ValueKind::Unsigned { .. } | ValueKind::Signed { .. } => Err(ValueError::new(
            kind,
            "a number is written without quotes, e.g. `3` rather than `\"3\"`",
        )),
        ValueKind::Float => Err(ValueError::new(
            kind,
            "a number is written without quotes, e.g. `0.5` rather than `\"0.5\"`",
        )),
        _ => Err(wrong_type(kind)),
    }
}

/// [`check_literal`] of an integer literal of magnitude `n`, negative when `negative`.
const fn check_int(kind: ValueKind, n: u128, negative: bool) -> Result<(), ValueError> {
    match kind {
        ValueKind::Port if negative => Err(port::out_of_range()),
        ValueKind::Port => match port::from_u128(n) {
            Ok(_) => Ok(()),
            Err(e) => Err(e),
        },
        ValueKind::Quantity if !negative => Ok(()),
        ValueKind::Quantity => Err(ValueError::new(
            kind,
            "invalid Kubernetes quantity: a quantity cannot be negative; write an amount, e.g. `\"512Mi\"`, `\"250m\"` or `2`",
        )),
        ValueKind::Unsigned { .. } if negative => {
            Err(ValueError::new(kind, negative_message(kind)))
        }
        ValueKind::Float => Ok(()),
        ValueKind::Unsigned { max } => {
            if !negative && n <= max as u128 {
                Ok(())
            } else {
                Err(ValueError::new(kind, range_message(kind)))
            }
        }
        ValueKind::Signed { min, max } => {
            // Every i64 fits an i128, so compare there; larger magnitudes are out of range.
            let value = if !negative && n <= i64::MAX as u128 {
                n as i128
            } else if negative && n <= i64::MIN.unsigned_abs() as u128 {
                -(n as i128)
            } else {
                i128::MAX
            };
            if value >= min as i128 && value <= max as i128 {
                Ok(())
            } else {
                Err(ValueError::new(kind, range_message(kind)))
            }
        }
        _ => Err(wrong_type(kind)),
    }
}

/// The kinds a literal mask ([`literal_mask_str`]...) has a bit for, in bit order. Other kinds
/// (integers with unusual ranges, secrets, wired outputs) have no bit: their literal checks are
/// cheap and always run.
const MASKED_KINDS: [ValueKind; 22] = [
    ValueKind::IpAddress,
    ValueKind::Cidr,
    ValueKind::Port,
    ValueKind::DomainName,
    ValueKind::ImageRef,
    ValueKind::Quantity,
    ValueKind::Duration,
    ValueKind::Url,
    ValueKind::Text,
    ValueKind::Bool,
    ValueKind::Float,
    ValueKind::Unsigned {
        max: u8::MAX as u64,
    },
    ValueKind::Unsigned {
        max: u16::MAX as u64,
    },
    ValueKind::Unsigned {
        max: u32::MAX as u64,
    },
    ValueKind::Unsigned { max: u64::MAX },
    ValueKind::Signed {
        min: i8::MIN as i64,
        max: i8::MAX as i64,
    },
    ValueKind::Signed {
        min: i16::MIN as i64,
        max: i16::MAX as i64,
    },
    ValueKind::Signed {
        min: i32::MIN as i64,
        max: i32::MAX as i64,
    },
    ValueKind::Signed {
        min: i64::MIN,
        max: i64::MAX,
    },
    ValueKind::NatsUrl,
    ValueKind::HttpUrl,
    ValueKind::PostgresUrl,
];

/// The bit of `kind` in a literal mask, or 0 when it has none (see [`MASKED_KINDS`]).
#[doc(hidden)]
pub const fn kind_bit(kind: ValueKind) -> u32 {
    let bit = match kind {
        ValueKind::IpAddress => 0,
        ValueKind::Cidr => 1,
        ValueKind::Port => 2,
        ValueKind::DomainName => 3,
        ValueKind::ImageRef => 4,
        ValueKind::Quantity => 5,
        ValueKind::Duration => 6,
        ValueKind::Url => 7,
        ValueKind::Text => 8,
        ValueKind::Bool => 9,
        ValueKind::Float => 10,
        ValueKind::Unsigned { max: 0xFF } => 11,
        ValueKind::Unsigned { max: 0xFFFF } => 12,
        ValueKind::Unsigned { max: 0xFFFF_FFFF } => 13,
        ValueKind::Unsigned { max: u64::MAX } => 14,
        ValueKind::Signed {
            min: -0x80,
            max: 0x7F,
        } => 15,
        ValueKind::Signed {
            min: -0x8000,
            max: 0x7FFF,
        } => 16,
        ValueKind::Signed {
            min: -0x8000_0000,
            max: 0x7FFF_FFFF,
        } => 17,
        ValueKind::Signed {
            min: i64::MIN,
            max: i64::MAX,
        } => 18,
        ValueKind::NatsUrl => 19,
        ValueKind::HttpUrl => 20,
        ValueKind::PostgresUrl => 21,
        _ => return 0,
    };
    1 << bit
}

/// The mask of the kinds `check` accepts, one [`kind_bit`] each.
fn mask_of(check: &dyn Fn(ValueKind) -> Result<(), ValueError>) -> u32 {
    MASKED_KINDS
        .iter()
        .filter(|kind| check(**kind).is_ok())
        .fold(0, |mask, kind| mask | kind_bit(*kind))
}

/// Mask of the kinds a string literal is valid for, computed by the same validators as
/// [`check_literal`] (the macros call it at expansion time, so the const check of a valid literal
/// parses nothing).
#[doc(hidden)]
pub fn literal_mask_str(s: &str) -> u32 {
    mask_of(&|kind| check_str(kind, s))
}

/// Mask of the kinds any other literal is valid for; see [`literal_mask_str`].
#[doc(hidden)]
pub fn literal_mask(lit: Literal) -> u32 {
    mask_of(&|kind| check_literal(kind, lit))
}

/// Panics (at compile time inside a const item) if `lit` is not a valid `kind`.
///
/// The panic message is exactly the [`ValueError`] message, so the compiler
/// reports `evaluation panicked: <message>` on the user's literal.
pub const fn expect_literal(kind: ValueKind, lit: Literal) {
    if let Err(e) = check_literal(kind, lit) {
        panic!("{}", e.message())
    }
}

/// The message for a literal of the wrong type (e.g. an integer for a URL).
const fn wrong_type(kind: ValueKind) -> ValueError {
    let message = match kind {
        ValueKind::IpAddress => {
            "expected a string literal for an IP address, e.g. `\"192.168.1.10\"` or `\"fd00::1\"`"
        }
        ValueKind::Cidr => {
            "expected a string literal for a CIDR network, e.g. `\"10.0.0.0/8\"` or `\"fd00::/64\"`"
        }
        ValueKind::Port => {
            "expected an integer or string literal for a port, e.g. `8080` or `\"8080\"`"
        }
        ValueKind::DomainName => {
            "expected a string literal for a domain name, e.g. `\"api.example.com\"`"
        }
        ValueKind::ImageRef => {
            "expected a string literal for an image reference, e.g. `\"registry.example.com/acme/web:1.4.2\"`"
        }
        ValueKind::Quantity => {
            "expected a string or integer literal for a Kubernetes quantity, e.g. `\"512Mi\"`, `\"250m\"` or `2`"
        }
        ValueKind::Duration => {
            "expected a string literal for a duration, e.g. `\"30s\"` or `\"1h30m\"`"
        }
        ValueKind::Url => {
            "expected a string literal for a URL, e.g. `\"https://api.example.com/v1\"`"
        }
        ValueKind::NatsUrl => {
            "expected a string literal for a NATS URL, e.g. `\"nats://nats.example.com:4222\"`"
        }
        ValueKind::HttpUrl => {
            "expected a string literal for an HTTP URL, e.g. `\"https://sso.example.com\"`"
        }
        ValueKind::PostgresUrl => {
            "expected a string literal for a PostgreSQL URL, e.g. `\"postgres://db.example.com:5432/app\"`"
        }
        ValueKind::Text => "expected a string literal for a text field, e.g. `\"web\"`",
        ValueKind::Bool => "expected `true` or `false` for a boolean field",
        ValueKind::Unsigned { .. } => {
            "expected an integer literal for an unsigned integer field, e.g. `3`"
        }
        ValueKind::Signed { .. } => "expected an integer literal for an integer field, e.g. `-3`",
        ValueKind::Float => "expected a number literal for a number field, e.g. `0.5`",
        ValueKind::Secret | ValueKind::Opaque | ValueKind::Host => {
            "this field does not take a literal"
        }
    };
    ValueError::new(kind, message)
}

/// Range message for integer kinds; exact for the primitive integer types.
/// The message for a negative literal where only non-negative numbers fit.
const fn negative_message(kind: ValueKind) -> &'static str {
    match kind {
        ValueKind::Unsigned { max } => match max {
            0xFF => "value out of range: this field cannot be negative; it takes 0-255, e.g. `3`",
            0xFFFF => {
                "value out of range: this field cannot be negative; it takes 0-65535, e.g. `3`"
            }
            0xFFFF_FFFF => {
                "value out of range: this field cannot be negative; it takes 0-4294967295, e.g. `3`"
            }
            _ => "value out of range: this field cannot be negative, e.g. `3`",
        },
        _ => "value out of range: this field cannot be negative",
    }
}

const fn range_message(kind: ValueKind) -> &'static str {
    match kind {
        ValueKind::Unsigned { max } => match max {
            0xFF => "value out of range: this field takes 0-255, e.g. `8`",
            0xFFFF => "value out of range: this field takes 0-65535, e.g. `3`",
            0xFFFF_FFFF => "value out of range: this field takes 0-4294967295, e.g. `3`",
            u64::MAX => "value out of range: this field takes 0-18446744073709551615, e.g. `3`",
            _ => {
                "value out of range: this field takes a non-negative integer no larger than its maximum, e.g. `0`"
            }
        },
        ValueKind::Signed { min, max } => match (min, max) {
            (-0x80, 0x7F) => "value out of range: this field takes -128 to 127, e.g. `-3`",
            (-0x8000, 0x7FFF) => "value out of range: this field takes -32768 to 32767, e.g. `-3`",
            (-0x8000_0000, 0x7FFF_FFFF) => {
                "value out of range: this field takes -2147483648 to 2147483647, e.g. `-3`"
            }
            (i64::MIN, i64::MAX) => {
                "value out of range: this field takes -9223372036854775808 to 9223372036854775807, e.g. `-3`"
            }
            _ => "value out of range: the number is outside the range this field accepts",
        },
        _ => "value out of range",
    }
}

/// A Rust type that can be a field of a score: maps the type to its [`ValueKind`].
pub trait ScoreField {
    /// How literals for this field are checked.
    const KIND: ValueKind;
}

/// Builds a value from a literal the macros have already checked at compile time.
///
/// # Panics
///
/// Panics with the [`ValueError`] message if the literal is invalid. The macros
/// only call this after the const [`expect_literal`] check has passed, so in
/// generated code this never panics.
pub trait FromLiteral: Sized {
    /// Converts the literal into a value.
    fn from_literal(lit: Literal) -> Self;
}

/// Panics with the message if `lit` is not a valid `kind`; shared by `FromLiteral` impls.
fn ensure_literal(kind: ValueKind, lit: Literal) {
    if let Err(e) = check_literal(kind, lit) {
        panic!("{e}")
    }
}

impl ScoreField for String {
    const KIND: ValueKind = ValueKind::Text;
}

impl ScoreField for &'static str {
    const KIND: ValueKind = ValueKind::Text;
}

impl ScoreField for bool {
    const KIND: ValueKind = ValueKind::Bool;
}

impl<T: ScoreField> ScoreField for Option<T> {
    const KIND: ValueKind = T::KIND;
}

impl<T: ScoreField> ScoreField for Vec<T> {
    const KIND: ValueKind = T::KIND;
}

impl<T: ScoreField> ScoreField for std::collections::BTreeMap<String, T> {
    const KIND: ValueKind = T::KIND;
}

impl FromLiteral for String {
    fn from_literal(lit: Literal) -> Self {
        <&'static str>::from_literal(lit).to_owned()
    }
}

impl FromLiteral for &'static str {
    fn from_literal(lit: Literal) -> Self {
        match lit {
            Literal::Str(s) => s,
            _ => panic!("{}", wrong_type(ValueKind::Text)),
        }
    }
}

impl FromLiteral for bool {
    fn from_literal(lit: Literal) -> Self {
        match lit {
            Literal::Bool(b) => b,
            _ => panic!("{}", wrong_type(ValueKind::Bool)),
        }
    }
}

impl<T: FromLiteral> FromLiteral for Option<T> {
    fn from_literal(lit: Literal) -> Self {
        Some(T::from_literal(lit))
    }
}

macro_rules! unsigned_fields {
    ($($t:ty),*) => {$(
        impl ScoreField for $t {
            const KIND: ValueKind = ValueKind::Unsigned { max: <$t>::MAX as u64 };
        }
        impl FromLiteral for $t {
            fn from_literal(lit: Literal) -> Self {
                ensure_literal(Self::KIND, lit);
                match lit {
                    Literal::Int(n) => n as $t,
                    _ => unreachable!("checked above"),
                }
            }
        }
    )*};
}
unsigned_fields!(u8, u16, u32, u64, usize);

macro_rules! signed_fields {
    ($($t:ty),*) => {$(
        impl ScoreField for $t {
            const KIND: ValueKind = ValueKind::Signed {
                min: <$t>::MIN as i64,
                max: <$t>::MAX as i64,
            };
        }
        impl FromLiteral for $t {
            fn from_literal(lit: Literal) -> Self {
                ensure_literal(Self::KIND, lit);
                match lit {
                    Literal::Int(n) => n as $t,
                    Literal::NegInt(n) => (-(n as i128)) as $t,
                    _ => unreachable!("checked above"),
                }
            }
        }
    )*};
}
signed_fields!(i8, i16, i32, i64, isize);

macro_rules! float_fields {
    ($($t:ty),*) => {$(
        impl ScoreField for $t {
            const KIND: ValueKind = ValueKind::Float;
        }
        impl FromLiteral for $t {
            fn from_literal(lit: Literal) -> Self {
                ensure_literal(Self::KIND, lit);
                match lit {
                    Literal::Float(f) => f as $t,
                    Literal::Int(n) => n as $t,
                    Literal::NegInt(n) => -(n as $t),
                    _ => unreachable!("checked above"),
                }
            }
        }
    )*};
}
float_fields!(f32, f64);

/// Implements `ScoreField` and `FromLiteral` (string literals only) for a
/// typed value with `FromStr`, plus the string-form serde impls.
macro_rules! string_value {
    ($t:ident, $kind:expr) => {
        impl $crate::ScoreField for $t {
            const KIND: $crate::ValueKind = $kind;
        }

        impl $crate::FromLiteral for $t {
            fn from_literal(lit: $crate::Literal) -> Self {
                match lit {
                    $crate::Literal::Str(s) => match s.parse::<$t>() {
                        Ok(v) => v,
                        Err(e) => panic!("{}", e.error),
                    },
                    other => {
                        $crate::ensure_literal(<$t as $crate::ScoreField>::KIND, other);
                        unreachable!("non-string literals are rejected for this kind")
                    }
                }
            }
        }

        $crate::string_serde!($t);
    };
}
use string_value;

/// Implements serde as the `Display`/`FromStr` string form (feature `serde`), and `TryFrom<&str>`.
macro_rules! string_serde {
    ($t:ident) => {
        #[cfg(feature = "serde")]
        impl ::serde::Serialize for $t {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }

        #[cfg(feature = "serde")]
        impl<'de> ::serde::Deserialize<'de> for $t {
            fn deserialize<D: ::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> Result<Self, D::Error> {
                let s = <String as ::serde::Deserialize>::deserialize(deserializer)?;
                s.parse::<$t>().map_err(::serde::de::Error::custom)
            }
        }

        impl TryFrom<&str> for $t {
            type Error = $crate::ParseValueError;
            fn try_from(s: &str) -> Result<Self, Self::Error> {
                s.parse()
            }
        }
    };
}
use string_serde;
