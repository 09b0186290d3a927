//! Configuration: a Rust struct is the schema (`#[derive(Config)]`), values come from sources
//! tried in order (environment `HARMONY_CONFIG_<KEY>`, a TOML file, a secret store), and secrets
//! stay references ([`SecretRef`]) until apply time.
//!
//! This module holds the schema side: the [`Config`] trait the derive implements, the
//! [`ConfigValue`] types a field may have, provenance ([`ValueSource`]) and errors. The sources
//! themselves (environment, file, Vault/OpenBao KV v2) live in `harmony-runtime`'s `config`.
//!
//! ```
//! use harmony_dsl::config::{Config, ConfigLookup, Found, Lookup, ValueSource};
//! use harmony_dsl::prelude::*;
//!
//! #[derive(Debug, Config)]
//! struct ShopConfig {
//!     /// Public name of the shop.
//!     domain: DomainName,
//!     #[config(default = 2)]
//!     replicas: u16,
//!     db_password: SecretRef,
//! }
//!
//! /// A lookup over a fixed list, for the example; the runtime's `ConfigSources` is the real one.
//! struct Fixed(Vec<(&'static str, &'static str)>);
//! impl ConfigLookup for Fixed {
//!     fn find(&mut self, key: &str) -> Lookup {
//!         match self.0.iter().find(|(k, _)| *k == key) {
//!             Some((_, v)) => Lookup::Found(Found {
//!                 text: v.to_string(),
//!                 source: ValueSource::Env { variable: format!("HARMONY_CONFIG_{}", key.to_uppercase()) },
//!             }),
//!             None => Lookup::Missing { tried: vec!["the example's list".into()] },
//!         }
//!     }
//! }
//!
//! let config = ShopConfig::resolve(&mut Fixed(vec![
//!     ("domain", "shop.example.com"),
//!     ("db_password", "hunter2"),
//! ])).unwrap();
//! assert_eq!(config.value.replicas, 2);
//! assert_eq!(config.value.db_password.key(), "db_password");
//! assert!(!format!("{:?}", config.value.db_password).contains("hunter2"));
//! assert_eq!(config.sources[1].source, ValueSource::Default);
//!
//! let missing = ShopConfig::resolve(&mut Fixed(vec![])).unwrap_err();
//! assert!(missing.to_string().contains("`domain` is missing: tried the example's list"));
//! ```

use std::fmt;

use serde::{Deserialize, Serialize};

pub use harmony_derive::Config;

use crate::value::{Literal, ScoreField, ValueKind};
pub use crate::value::{SecretRef, ValueSource};

/// A configuration schema: a struct whose fields are [`ConfigValue`]s. Implemented by
/// `#[derive(Config)]`; resolve it with [`Config::resolve`] over the runtime's sources.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a configuration struct",
    label = "not a `#[derive(Config)]` struct",
    note = "a plan function takes at most one argument, its configuration: `fn shop(config: &ShopConfig) -> Plan<HomeLab>` where `ShopConfig` has `#[derive(Config)]`"
)]
pub trait Config: Sized {
    /// Builds the struct from `lookup`, collecting every problem (not only the first).
    fn from_lookup(lookup: &mut dyn ConfigLookup, report: &mut Resolution) -> Option<Self>;

    /// Resolves every key through `lookup`: the values and where each came from, or every
    /// missing or invalid key.
    fn resolve(lookup: &mut dyn ConfigLookup) -> Result<Resolved<Self>, ConfigErrors> {
        let mut report = Resolution::default();
        match Self::from_lookup(lookup, &mut report) {
            Some(value) if report.errors.is_empty() => Ok(Resolved {
                value,
                sources: report.sources,
            }),
            _ => Err(ConfigErrors(report.errors)),
        }
    }
}

/// What a source answered for one key.
#[derive(Debug)]
pub enum Lookup {
    /// The first source that has the key.
    Found(Found),
    /// No source has it; where it was looked for, in order.
    Missing {
        /// Each source tried, e.g. `environment variable HARMONY_CONFIG_DB_PASSWORD`.
        tried: Vec<String>,
    },
    /// A source could not answer (unreadable file, store refused the token): resolution stops
    /// there rather than silently falling through to the next source.
    Failed(String),
}

/// A value found for a key, and where.
#[derive(Debug)]
pub struct Found {
    /// The value as text (TOML numbers and booleans are written as TOML writes them).
    pub text: String,
    /// Where it came from.
    pub source: ValueSource,
}

/// The sources, asked for one key at a time. `harmony-runtime`'s `ConfigSources` implements it.
pub trait ConfigLookup {
    /// Tries each source in order for `key`.
    fn find(&mut self, key: &str) -> Lookup;
}

/// A value a [`Config`] field may hold: the typed values, text, numbers, booleans, `Option` of
/// them, and [`SecretRef`] for secrets.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a configuration value",
    label = "not a configuration value",
    note = "configuration fields are typed values (`DomainName`, `Port`, `Url`, `Duration`...), `String`, numbers, `bool`, `Option` of them, or `SecretRef` for a secret (resolved at apply time; a `Secret<T>` value is never held by a plan)"
)]
pub trait ConfigValue: Sized {
    /// The kind, for checking defaults.
    const KIND: ValueKind;
    /// Missing is fine (`Option<T>`).
    const OPTIONAL: bool = false;
    /// A [`SecretRef`]: the lookup only says where the value is.
    const SECRET: bool = false;

    /// Parses a value found in a source (never called for secrets).
    fn parse(text: &str) -> Result<Self, String>;

    /// The value of a key no source has: `Some(None)` for `Option<T>`.
    fn absent() -> Option<Self> {
        None
    }

    /// A secret found in `source` (only for [`SecretRef`]).
    fn reference(_key: &str, _source: ValueSource) -> Option<Self> {
        None
    }
}

macro_rules! parsed_config_value {
    ($($t:ty),* $(,)?) => {$(
        impl ConfigValue for $t {
            const KIND: ValueKind = <$t as ScoreField>::KIND;
            fn parse(text: &str) -> Result<Self, String> {
                text.parse::<$t>().map_err(|e| e.to_string())
            }
        }
    )*};
}

parsed_config_value!(
    String,
    bool,
    u8,
    u16,
    u32,
    u64,
    usize,
    i8,
    i16,
    i32,
    i64,
    f64,
    crate::value::IpAddress,
    crate::value::Cidr,
    crate::value::Port,
    crate::value::DomainName,
    crate::value::ImageRef,
    crate::value::Quantity,
    crate::value::Duration,
    crate::value::Url,
    crate::value::NatsUrl,
    crate::value::HttpUrl,
    crate::value::PostgresUrl,
);

impl<T: ConfigValue> ConfigValue for Option<T> {
    const KIND: ValueKind = T::KIND;
    const OPTIONAL: bool = true;
    const SECRET: bool = T::SECRET;
    fn parse(text: &str) -> Result<Self, String> {
        T::parse(text).map(Some)
    }
    fn absent() -> Option<Self> {
        Some(None)
    }
    fn reference(key: &str, source: ValueSource) -> Option<Self> {
        T::reference(key, source).map(Some)
    }
}

impl ConfigValue for SecretRef {
    const KIND: ValueKind = ValueKind::Secret;
    const SECRET: bool = true;
    fn parse(_text: &str) -> Result<Self, String> {
        Err("a secret is never parsed when the plan is built".into())
    }
    fn reference(key: &str, source: ValueSource) -> Option<Self> {
        Some(SecretRef::new(key, source))
    }
}

/// A resolved configuration: the values and where each key came from.
#[derive(Debug)]
pub struct Resolved<C> {
    /// The configuration.
    pub value: C,
    /// Each key's source, in schema order.
    pub sources: Vec<KeySource>,
}

/// Where one key's value came from (what `plan` shows; never the value).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeySource {
    /// The key.
    pub key: String,
    /// A secret, resolved at apply time.
    pub secret: bool,
    /// Its source.
    pub source: ValueSource,
}

/// Collects sources and errors while a [`Config`] resolves (used by generated code).
#[derive(Debug, Default)]
pub struct Resolution {
    sources: Vec<KeySource>,
    errors: Vec<ConfigError>,
}

impl Resolution {
    /// Resolves one field: the first source that has `key`, else `default`, else absent
    /// (`Option`), else a [`ConfigError::Missing`] listing every source tried.
    pub fn field<T: ConfigValue>(
        &mut self,
        lookup: &mut dyn ConfigLookup,
        key: &'static str,
        default: Option<Literal>,
    ) -> Option<T> {
        match lookup.find(key) {
            Lookup::Found(found) => {
                let value = if T::SECRET {
                    T::reference(key, found.source.clone())
                } else {
                    match T::parse(found.text.trim()) {
                        Ok(value) => Some(value),
                        Err(message) => {
                            self.errors.push(ConfigError::Invalid {
                                key: key.into(),
                                source: found.source,
                                message,
                            });
                            return None;
                        }
                    }
                };
                self.sources.push(KeySource {
                    key: key.into(),
                    secret: T::SECRET,
                    source: found.source,
                });
                value
            }
            Lookup::Missing { tried } => {
                let defaulted = default.is_some();
                let value = match default {
                    Some(literal) => T::parse(&literal_text(literal)).ok(),
                    None => T::absent(),
                };
                if value.is_none() {
                    self.errors.push(ConfigError::Missing {
                        key: key.into(),
                        tried,
                    });
                } else {
                    self.sources.push(KeySource {
                        key: key.into(),
                        secret: T::SECRET,
                        source: if defaulted {
                            ValueSource::Default
                        } else {
                            ValueSource::Unset
                        },
                    });
                }
                value
            }
            Lookup::Failed(message) => {
                self.errors.push(ConfigError::Source {
                    key: key.into(),
                    message,
                });
                None
            }
        }
    }
}

/// A default literal as the text a source would hold.
fn literal_text(literal: Literal) -> String {
    match literal {
        Literal::Str(s) => s.to_string(),
        Literal::Int(n) => n.to_string(),
        Literal::NegInt(n) => format!("-{n}"),
        Literal::Float(x) => x.to_string(),
        Literal::Bool(b) => b.to_string(),
    }
}

/// Why one key could not be resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigError {
    /// No source has the key and it has no default.
    Missing {
        /// The key.
        key: String,
        /// Every source tried, in order.
        tried: Vec<String>,
    },
    /// A source has the key but its value is not valid for the field's type.
    Invalid {
        /// The key.
        key: String,
        /// Where the value came from.
        source: ValueSource,
        /// What is wrong with it.
        message: String,
    },
    /// A source could not be read (file syntax, store refused the token, store unreachable).
    Source {
        /// The key being looked up.
        key: String,
        /// What went wrong.
        message: String,
    },
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::Missing { key, tried } => write!(
                f,
                "config value `{key}` is missing: tried {}",
                tried.join(", then ")
            ),
            ConfigError::Invalid {
                key,
                source,
                message,
            } => write!(
                f,
                "config value `{key}` from {source} is invalid: {message}"
            ),
            ConfigError::Source { key, message } => {
                write!(f, "config value `{key}`: {message}")
            }
        }
    }
}

/// Every key that could not be resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.as_slice() {
            [one] => write!(f, "{one}"),
            all => {
                write!(f, "{} config values could not be resolved:", all.len())?;
                all.iter().try_for_each(|e| write!(f, "\n  - {e}"))
            }
        }
    }
}

impl std::error::Error for ConfigErrors {}
