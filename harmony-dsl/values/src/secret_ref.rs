//! [`SecretRef`]: a secret in configuration, held by reference, and [`ValueSource`], where a
//! configuration value came from.

use std::fmt;
use std::path::PathBuf;

use super::{FromLiteral, Literal, ScoreField, ValueKind, check_literal};

/// Where a value came from; shown by `plan`, never with the value.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(tag = "kind", rename_all = "snake_case"))]
pub enum ValueSource {
    /// An environment variable.
    Env {
        /// Its name, e.g. `HARMONY_CONFIG_REPLICAS`.
        variable: String,
    },
    /// A key of a TOML file.
    File {
        /// The file.
        path: PathBuf,
        /// The key in it.
        key: String,
    },
    /// A field of a secret in a Vault/OpenBao KV v2 store.
    Store {
        /// The store's address, e.g. `https://vault.example.com:8200`.
        address: String,
        /// The KV v2 mount, e.g. `secret`.
        mount: String,
        /// The secret's path under the mount.
        path: String,
        /// The field in the secret.
        field: String,
    },
    /// The schema's `#[config(default = ...)]`.
    Default,
    /// No source has it and the field is optional: left unset.
    Unset,
}

impl fmt::Display for ValueSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ValueSource::Env { variable } => write!(f, "environment variable {variable}"),
            ValueSource::File { path, key } => write!(f, "file {} (key `{key}`)", path.display()),
            ValueSource::Store {
                address,
                mount,
                path,
                field,
            } => write!(
                f,
                "secret store {address} ({mount}/data/{path}, field `{field}`)"
            ),
            ValueSource::Default => f.write_str("default"),
            ValueSource::Unset => f.write_str("nowhere (optional, unset)"),
        }
    }
}

/// A reference to a secret in configuration: its key and the source it was found in, never its
/// value. Plans, rendered files and state hold this; the runtime reads the value from the source
/// when it applies the step that needs it, as a [`Secret`](crate::Secret).
#[derive(Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct SecretRef {
    key: String,
    source: ValueSource,
}

impl SecretRef {
    /// A reference to `key`, found in `source`.
    pub fn new(key: impl Into<String>, source: ValueSource) -> Self {
        SecretRef {
            key: key.into(),
            source,
        }
    }

    /// The configuration key.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// Where the value is read from at apply time.
    pub fn source(&self) -> &ValueSource {
        &self.source
    }
}

impl fmt::Debug for SecretRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretRef({} from {})", self.key, self.source)
    }
}

impl fmt::Display for SecretRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "secret `{}` ({})", self.key, self.source)
    }
}

impl ScoreField for SecretRef {
    const KIND: ValueKind = ValueKind::Secret;
}

/// An environment variable holding a secret (`LocalService::secret_env`): no literal either.
impl ScoreField for (String, SecretRef) {
    const KIND: ValueKind = ValueKind::Secret;
}

/// Secret references are never literals; see the impl for [`Secret`](crate::Secret).
impl FromLiteral for SecretRef {
    fn from_literal(lit: Literal) -> Self {
        match check_literal(ValueKind::Secret, lit) {
            Err(e) => panic!("{e}"),
            Ok(()) => unreachable!("secret references reject every literal"),
        }
    }
}
