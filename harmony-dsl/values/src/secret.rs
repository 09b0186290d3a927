//! [`Secret`]: a value that is never printed or serialised.

use std::fmt;

use super::{FromLiteral, Literal, ScoreField, ValueKind, check_literal};

/// The text shown instead of a secret's value.
const REDACTED: &str = "<redacted>";

/// A secret value (password, token, key) that never leaks through formatting
/// or serialisation.
///
/// `Debug`, `Display` and `Serialize` all produce `<redacted>`; only
/// [`Secret::expose`] reveals the value. `Deserialize` reads the plain value,
/// so secrets can be loaded from configuration. Secrets are never accepted as
/// literals in infrastructure files ([`ValueKind::Secret`]).
///
/// ```
/// use harmony_values::Secret;
/// let password = Secret::new(String::from("hunter2"));
/// assert_eq!(format!("{password:?}"), "<redacted>");
/// assert_eq!(serde_json::to_string(&password).unwrap(), "\"<redacted>\"");
/// assert_eq!(password.expose(), "hunter2");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Default)]
pub struct Secret<T>(T);

impl<T> Secret<T> {
    /// Wraps a value.
    pub const fn new(value: T) -> Self {
        Secret(value)
    }

    /// The secret value; call only where the value is really needed.
    pub const fn expose(&self) -> &T {
        &self.0
    }

    /// Unwraps the secret value.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> From<T> for Secret<T> {
    fn from(value: T) -> Self {
        Secret(value)
    }
}

impl<T> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl<T> fmt::Display for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

#[cfg(feature = "serde")]
impl<T> serde::Serialize for Secret<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(REDACTED)
    }
}

#[cfg(feature = "serde")]
impl<'de, T: serde::Deserialize<'de>> serde::Deserialize<'de> for Secret<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        T::deserialize(deserializer).map(Secret)
    }
}

impl<T> ScoreField for Secret<T> {
    const KIND: ValueKind = ValueKind::Secret;
}

/// Secrets are never literals: the const check next to every literal rejects them with its own
/// message, so this impl only keeps the compiler from adding a second, confusing "`FromLiteral` is
/// not implemented" error. Never called by valid code.
impl<T> FromLiteral for Secret<T> {
    fn from_literal(lit: Literal) -> Self {
        match check_literal(ValueKind::Secret, lit) {
            Err(e) => panic!("{e}"),
            Ok(()) => unreachable!("secrets reject every literal"),
        }
    }
}

#[cfg(all(test, feature = "serde"))]
mod tests {
    use super::*;
    use crate::{Literal, Url, check_literal};

    #[derive(Debug, serde::Serialize, serde::Deserialize)]
    struct Config {
        user: String,
        password: Secret<String>,
        dsn: Option<Secret<Url>>,
    }

    const VALUE: &str = "s3cr3t-value";

    #[test]
    fn never_printed() {
        let s = Secret::new(VALUE.to_owned());
        for text in [
            format!("{s:?}"),
            format!("{s:#?}"),
            format!("{s}"),
            format!("{s:>40}"),
            serde_json::to_string(&s).unwrap(),
            serde_json::to_string_pretty(&s).unwrap(),
        ] {
            assert!(!text.contains(VALUE), "{text}");
            assert!(text.contains("<redacted>"), "{text}");
        }
        assert_eq!(s.expose(), VALUE);
        assert_eq!(s.clone().into_inner(), VALUE);
    }

    #[test]
    fn nested_in_structs() {
        let json = format!(
            r#"{{"user":"app","password":"{VALUE}","dsn":"postgres://db.example.com:5432/{VALUE}"}}"#
        );
        let config: Config = serde_json::from_str(&json).unwrap();
        assert_eq!(config.password.expose(), VALUE);
        assert_eq!(
            config.dsn.as_ref().unwrap().expose().port().unwrap().get(),
            5432
        );
        for text in [
            format!("{config:?}"),
            format!("{config:#?}"),
            serde_json::to_string(&config).unwrap(),
            serde_json::to_string_pretty(&config).unwrap(),
        ] {
            assert!(!text.contains(VALUE), "{text}");
            assert!(text.contains("app"), "{text}");
        }
    }

    #[test]
    fn deserialising_validates_inner_value() {
        let err = serde_json::from_str::<Secret<Url>>("\"ftp:/nope\"").unwrap_err();
        assert!(
            err.to_string().contains("scheme followed by `://`"),
            "{err}"
        );
    }

    #[test]
    fn rejected_as_literal() {
        for lit in [
            Literal::Str(VALUE),
            Literal::Int(1),
            Literal::Bool(true),
            Literal::Float(1.0),
        ] {
            let e = check_literal(<Secret<String> as ScoreField>::KIND, lit).unwrap_err();
            assert!(
                e.message()
                    .starts_with("secrets must not be written in infrastructure files")
            );
            assert!(!e.message().contains(VALUE));
        }
    }
}
