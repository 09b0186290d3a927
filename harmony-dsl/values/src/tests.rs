//! Shared test helpers, cross-type tests and property tests.

use std::fmt::{Debug, Display};
use std::str::FromStr;

use proptest::prelude::*;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::*;

/// Everything a typed value provides.
pub(crate) trait Typed:
    FromStr<Err = ParseValueError>
    + Display
    + Debug
    + PartialEq
    + Serialize
    + DeserializeOwned
    + ScoreField
    + FromLiteral
{
}

impl<T> Typed for T where
    T: FromStr<Err = ParseValueError>
        + Display
        + Debug
        + PartialEq
        + Serialize
        + DeserializeOwned
        + ScoreField
        + FromLiteral
{
}

/// Asserts `input` is valid everywhere (const check, FromStr, FromLiteral),
/// that Display re-parses to an equal value and that serde round-trips.
pub(crate) fn assert_valid_roundtrip<T: Typed>(input: &'static str) -> T {
    assert_eq!(
        check_literal(T::KIND, Literal::Str(input)),
        Ok(()),
        "{input}"
    );
    let value: T = input
        .parse()
        .unwrap_or_else(|e| panic!("`{input}` should parse: {e}"));
    let shown = value.to_string();
    let reparsed: T = shown
        .parse()
        .unwrap_or_else(|e| panic!("display `{shown}` should re-parse: {e}"));
    assert_eq!(reparsed, value, "{input}");
    assert_eq!(T::from_literal(Literal::Str(input)), value, "{input}");
    let json = serde_json::to_string(&value).unwrap();
    let back: T = serde_json::from_str(&json).unwrap();
    assert_eq!(back, value, "{input} via {json}");
    value
}

/// Asserts `input` is rejected with a message containing `fragment`, and that
/// the const check, FromStr and serde all report the very same error.
pub(crate) fn assert_invalid<T: Typed>(input: &'static str, fragment: &str) {
    let from_check = check_literal(T::KIND, Literal::Str(input))
        .expect_err(&format!("`{input}` should be rejected by check_literal"));
    let parse_err = input
        .parse::<T>()
        .expect_err(&format!("`{input}` should be rejected by FromStr"));
    assert_eq!(parse_err.error, from_check, "{input}: one validator");
    assert_eq!(parse_err.input, input);
    assert_eq!(from_check.kind(), T::KIND);
    let message = from_check.message();
    assert!(
        message.contains(fragment),
        "`{input}`: message {message:?} should contain {fragment:?}"
    );
    assert!(
        message.contains("e.g. `"),
        "`{input}`: message {message:?} should give an example"
    );
    let shown = parse_err.to_string();
    let prefix = format!("`{input}` is not a valid {}: ", T::KIND.name());
    assert!(shown.starts_with(&prefix), "{shown}");
    assert!(message.ends_with(&shown[prefix.len()..]), "{shown}");
    assert!(!shown[prefix.len()..].starts_with("invalid "), "{shown}");
    let json = serde_json::to_string(input).unwrap();
    let serde_err = serde_json::from_str::<T>(&json).unwrap_err().to_string();
    assert!(serde_err.contains(&shown), "{serde_err}");
    let panic = std::panic::catch_unwind(|| T::from_literal(Literal::Str(input)))
        .expect_err("from_literal should panic on an invalid literal");
    let panic_message = panic.downcast_ref::<String>().cloned().unwrap_or_default();
    assert_eq!(panic_message, message);
}

// Const evaluation: these are evaluated by the compiler.
const _: () = expect_literal(ValueKind::Cidr, Literal::Str("10.0.0.0/8"));
const _: () = expect_literal(ValueKind::IpAddress, Literal::Str("fd00::1"));
const _: () = expect_literal(ValueKind::Port, Literal::Int(8080));
const _: () = expect_literal(ValueKind::Port, Literal::Str("443"));
const _: () = expect_literal(ValueKind::DomainName, Literal::Str("api.example.com"));
const _: () = expect_literal(
    <ImageRef as ScoreField>::KIND,
    Literal::Str("registry.example.com/acme/web:1.4.2"),
);
const _: () = expect_literal(ValueKind::Quantity, Literal::Str("512Mi"));
const _: () = expect_literal(ValueKind::Duration, Literal::Str("1h30m"));
const _: () = expect_literal(
    <Option<Url> as ScoreField>::KIND,
    Literal::Str("https://api.example.com:8443/v1"),
);
const _: () = expect_literal(<u8 as ScoreField>::KIND, Literal::Int(255));
const _: () = expect_literal(<i64 as ScoreField>::KIND, Literal::NegInt(1 << 63));
const _: () = expect_literal(<f64 as ScoreField>::KIND, Literal::Float(0.5));
const _: () = expect_literal(<bool as ScoreField>::KIND, Literal::Bool(true));
const _: () = expect_literal(<Vec<String> as ScoreField>::KIND, Literal::Str("web"));
const OK: () = expect_literal(ValueKind::Cidr, Literal::Str("10.0.0.0/8"));

#[test]
fn const_checks_compile() {
    let () = OK;
    const NET: Result<Cidr, ValueError> = Cidr::parse("10.0.0.1/8");
    assert!(NET.unwrap_err().message().contains("network address"));
}

#[test]
fn score_field_kinds() {
    assert_eq!(<String as ScoreField>::KIND, ValueKind::Text);
    assert_eq!(<&'static str as ScoreField>::KIND, ValueKind::Text);
    assert_eq!(<bool as ScoreField>::KIND, ValueKind::Bool);
    assert_eq!(
        <u16 as ScoreField>::KIND,
        ValueKind::Unsigned { max: 65535 }
    );
    assert_eq!(
        <usize as ScoreField>::KIND,
        ValueKind::Unsigned {
            max: usize::MAX as u64
        }
    );
    assert_eq!(
        <i8 as ScoreField>::KIND,
        ValueKind::Signed {
            min: -128,
            max: 127
        }
    );
    assert_eq!(<f32 as ScoreField>::KIND, ValueKind::Float);
    assert_eq!(<Option<Port> as ScoreField>::KIND, ValueKind::Port);
    assert_eq!(<Vec<Cidr> as ScoreField>::KIND, ValueKind::Cidr);
    assert_eq!(<Secret<String> as ScoreField>::KIND, ValueKind::Secret);
    for (kind, name) in [
        (ValueKind::ImageRef, "image reference"),
        (ValueKind::Port, "port"),
        (ValueKind::Quantity, "Kubernetes quantity"),
        (ValueKind::IpAddress, "IP address"),
        (ValueKind::Cidr, "CIDR network"),
        (ValueKind::Url, "URL"),
    ] {
        assert_eq!(kind.name(), name);
    }
}

#[test]
fn wrong_literal_types() {
    let cases: [(ValueKind, Literal, &str); 12] = [
        (
            ValueKind::ImageRef,
            Literal::Int(3),
            "expected a string literal for an image reference, e.g. `\"registry.example.com/acme/web:1.4.2\"`",
        ),
        (
            ValueKind::IpAddress,
            Literal::Bool(true),
            "string literal for an IP address",
        ),
        (
            ValueKind::Cidr,
            Literal::Float(1.0),
            "string literal for a CIDR network",
        ),
        (
            ValueKind::DomainName,
            Literal::Int(1),
            "string literal for a domain name",
        ),
        (
            ValueKind::Duration,
            Literal::Int(30),
            "string literal for a duration",
        ),
        (ValueKind::Url, Literal::Int(1), "string literal for a URL"),
        (
            ValueKind::Quantity,
            Literal::Bool(false),
            "string or integer literal",
        ),
        (
            ValueKind::Text,
            Literal::Int(1),
            "string literal for a text field",
        ),
        (ValueKind::Bool, Literal::Str("true"), "`true` or `false`"),
        (ValueKind::Float, Literal::Str("1.0"), "without quotes"),
        (
            <u8 as ScoreField>::KIND,
            Literal::Str("1"),
            "a number is written without quotes",
        ),
        (
            <i8 as ScoreField>::KIND,
            Literal::Float(1.0),
            "integer literal",
        ),
    ];
    for (kind, lit, fragment) in cases {
        let e = check_literal(kind, lit).unwrap_err();
        assert_eq!(e.kind(), kind);
        assert!(e.message().contains(fragment), "{kind:?} {lit:?}: {e}");
    }
}

#[test]
fn integer_ranges() {
    let u16k = <u16 as ScoreField>::KIND;
    assert_eq!(check_literal(u16k, Literal::Int(0)), Ok(()));
    assert_eq!(check_literal(u16k, Literal::Int(65535)), Ok(()));
    let e = check_literal(u16k, Literal::Int(65536)).unwrap_err();
    assert!(
        e.message()
            .starts_with("value out of range: this field takes 0-65535")
    );
    let e = check_literal(u16k, Literal::NegInt(1)).unwrap_err();
    assert!(e.message().contains("0-65535"));
    assert_eq!(
        check_literal(<u8 as ScoreField>::KIND, Literal::Int(256))
            .unwrap_err()
            .message(),
        "value out of range: this field takes 0-255, e.g. `8`"
    );
    assert!(check_literal(<u64 as ScoreField>::KIND, Literal::Int(u64::MAX as u128)).is_ok());
    assert!(
        check_literal(
            <u64 as ScoreField>::KIND,
            Literal::Int(u64::MAX as u128 + 1)
        )
        .is_err()
    );

    let i8k = <i8 as ScoreField>::KIND;
    assert!(check_literal(i8k, Literal::Int(127)).is_ok());
    assert!(check_literal(i8k, Literal::NegInt(128)).is_ok());
    assert!(check_literal(i8k, Literal::NegInt(0)).is_ok());
    assert!(
        check_literal(i8k, Literal::Int(128))
            .unwrap_err()
            .message()
            .contains("-128 to 127")
    );
    assert!(check_literal(i8k, Literal::NegInt(129)).is_err());
    let i64k = <i64 as ScoreField>::KIND;
    assert!(check_literal(i64k, Literal::NegInt(1 << 63)).is_ok());
    assert!(check_literal(i64k, Literal::NegInt((1 << 63) + 1)).is_err());
    let odd = ValueKind::Signed { min: 5, max: 10 };
    assert!(check_literal(odd, Literal::NegInt(0)).is_err());
    assert!(check_literal(odd, Literal::Int(10)).is_ok());
    assert!(check_literal(odd, Literal::Int(11)).is_err());
    let negative = ValueKind::Signed { min: -10, max: -5 };
    assert!(check_literal(negative, Literal::NegInt(3)).is_err());
    assert!(check_literal(negative, Literal::NegInt(0)).is_err());
    assert!(check_literal(negative, Literal::Int(0)).is_err());
    assert!(check_literal(negative, Literal::NegInt(5)).is_ok());
    assert!(check_literal(negative, Literal::NegInt(10)).is_ok());
    assert!(check_literal(negative, Literal::NegInt(11)).is_err());
    assert!(check_literal(i64k, Literal::Int(u128::MAX)).is_err());
    assert!(check_literal(i64k, Literal::NegInt(u128::MAX)).is_err());
    let custom = ValueKind::Unsigned { max: 10 };
    assert!(
        check_literal(custom, Literal::Int(11))
            .unwrap_err()
            .message()
            .starts_with("value out of range")
    );
}

#[test]
fn from_literal_primitives() {
    assert_eq!(u16::from_literal(Literal::Int(8080)), 8080);
    assert_eq!(i32::from_literal(Literal::NegInt(5)), -5);
    assert_eq!(i64::from_literal(Literal::NegInt(1 << 63)), i64::MIN);
    assert_eq!(f64::from_literal(Literal::Float(0.25)), 0.25);
    assert_eq!(f32::from_literal(Literal::Int(2)), 2.0);
    assert_eq!(f64::from_literal(Literal::NegInt(2)), -2.0);
    assert!(bool::from_literal(Literal::Bool(true)));
    assert_eq!(String::from_literal(Literal::Str("web")), "web");
    assert_eq!(<&str>::from_literal(Literal::Str("web")), "web");
    assert_eq!(
        Option::<Port>::from_literal(Literal::Int(80)),
        Port::new(80)
    );
    let panic = std::panic::catch_unwind(|| u8::from_literal(Literal::Int(300))).unwrap_err();
    assert!(panic.downcast_ref::<String>().unwrap().contains("0-255"));
    let panic = std::panic::catch_unwind(|| Port::from_literal(Literal::Int(0))).unwrap_err();
    assert!(
        panic
            .downcast_ref::<String>()
            .unwrap()
            .starts_with("port 0")
    );
}

#[test]
fn opaque_and_secret_reject_literals() {
    let e = check_literal(ValueKind::Opaque, Literal::Str("db.endpoint")).unwrap_err();
    assert!(
        e.message()
            .starts_with("this field takes a wired output such as `db.endpoint`, not a literal")
    );
    let e = check_literal(ValueKind::Secret, Literal::Str("hunter2")).unwrap_err();
    assert!(e.message().contains("use a `SecretRef` from configuration"));
}

#[test]
fn parse_error_display() {
    let e = "10Gb".parse::<Quantity>().unwrap_err();
    assert_eq!(
        e.to_string(),
        "`10Gb` is not a valid Kubernetes quantity: unknown suffix; use a binary suffix (Ki, Mi, Gi, Ti, Pi, Ei) or a decimal one (m, k, M, G, T, P, E), e.g. `10Gi` or `500m`"
    );
    assert_eq!(
        std::error::Error::source(&e).unwrap().to_string(),
        e.error.message()
    );
    let e = "0".parse::<Port>().unwrap_err();
    assert_eq!(
        e.to_string(),
        "`0` is not a valid port: port 0 is not a port a service can listen on; use 1-65535, e.g. `8080`"
    );
}

/// Property: the validator never panics, agrees with `check_literal`, and
/// every accepted input displays as text that re-parses to an equal value.
fn check_property<T: Typed>(input: &str) -> Result<(), TestCaseError> {
    let parsed = input.parse::<T>();
    let leaked: &'static str = Box::leak(input.to_owned().into_boxed_str());
    let checked = check_literal(T::KIND, Literal::Str(leaked));
    match parsed {
        Ok(value) => {
            prop_assert_eq!(checked, Ok(()));
            let shown = value.to_string();
            let again = shown.parse::<T>();
            prop_assert!(
                again.is_ok(),
                "`{}` displayed as `{}` which fails",
                input,
                shown
            );
            prop_assert_eq!(again.unwrap(), value);
        }
        Err(e) => prop_assert_eq!(checked, Err(e.error)),
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn prop_ip(s in "\\PC{0,24}|[0-9a-fA-F:.]{0,40}|([0-9]{1,3}\\.){3}[0-9]{1,3}") {
        check_property::<IpAddress>(&s)?;
    }

    #[test]
    fn prop_ip_agrees_with_std(s in "[0-9a-fA-F:.]{0,40}|([0-9]{1,3}[.:]){1,8}[0-9a-f]{0,4}|(([0-9a-f]{1,4})?:){2,9}([0-9a-f]{1,4}|[0-9.]{7,15})?") {
        prop_assert_eq!(
            s.parse::<IpAddress>().ok().map(IpAddress::get),
            s.parse::<std::net::IpAddr>().ok(),
            "{}", s
        );
    }

    #[test]
    fn prop_ip_display(ip in any::<std::net::IpAddr>()) {
        let shown = ip.to_string();
        let parsed: IpAddress = shown.parse().unwrap();
        prop_assert_eq!(parsed.get(), ip);
    }

    #[test]
    fn prop_cidr(s in "\\PC{0,24}|[0-9a-f:.]{0,30}/[0-9]{0,3}|([0-9]{1,3}\\.){3}[0-9]{1,3}/[0-9]{1,2}") {
        check_property::<Cidr>(&s)?;
    }

    #[test]
    fn prop_port(s in "\\PC{0,8}|[0-9]{0,6}") {
        check_property::<Port>(&s)?;
    }

    #[test]
    fn prop_domain(s in "\\PC{0,24}|[a-zA-Z0-9.-]{0,40}|([a-z0-9-]{1,10}\\.){0,4}[a-z]{1,5}\\.?") {
        check_property::<DomainName>(&s)?;
    }

    #[test]
    fn prop_image(s in "\\PC{0,24}|[a-zA-Z0-9._/:@-]{0,40}|([a-z0-9]{1,5}[._-]?){1,3}(/[a-z0-9_.-]{1,8}){0,3}(:[A-Za-z0-9_.-]{0,8})?") {
        check_property::<ImageRef>(&s)?;
    }

    #[test]
    fn prop_quantity(s in "\\PC{0,12}|[+-]?[0-9]{0,4}(\\.[0-9]{0,3})?([numkMGTPE]|[KMGTPE]i|[eE][+-]?[0-9]{0,3})?") {
        check_property::<Quantity>(&s)?;
    }

    #[test]
    fn prop_duration(s in "\\PC{0,12}|([0-9]{1,20}(ns|us|ms|s|m|h|d|x)?){0,4}") {
        check_property::<Duration>(&s)?;
    }

    #[test]
    fn prop_duration_display(nanos in any::<u64>()) {
        let d = Duration::from_nanos(nanos);
        prop_assert_eq!(d.to_string().parse::<Duration>().unwrap(), d);
    }

    #[test]
    fn prop_url(s in "\\PC{0,24}|[a-z]{1,5}://[a-zA-Z0-9.:\\[\\]@-]{0,20}(/[ -~]{0,10})?") {
        check_property::<Url>(&s)?;
    }
}

#[test]
fn newcomer_spellings_get_the_fix() {
    use crate::{DomainName, Duration, ImageRef, Quantity};
    assert_invalid::<DomainName>("https://shop.example.com", "without a scheme or a path");
    assert_invalid::<ImageRef>("https://ghcr.io/acme/web:1.0", "without a scheme");
    assert_invalid::<Quantity>("10 Gi", "without a space");
    assert_invalid::<Duration>("10 s", "without a space");
}
