//! Configuration sources, tried in order for every key: the environment
//! (`HARMONY_CONFIG_<KEY>`), a TOML file (`--config FILE` or `HARMONY_CONFIG_FILE`), and a
//! Vault/OpenBao KV v2 secret store (`VAULT_ADDR`, `VAULT_TOKEN`; `HARMONY_VAULT_*` win).
//!
//! [`ConfigSources`] is the [`ConfigLookup`] a `#[derive(Config)]` struct resolves through when the
//! plan is built; [`SecretResolver`] reads the [`SecretRef`](harmony_dsl::config::SecretRef)s of a
//! step from their sources when the step is applied. Nothing here prompts: a missing value is an
//! error naming the key and every source tried.

mod secrets;
mod store;

use std::path::{Path, PathBuf};

use harmony_dsl::config::{ConfigLookup, Found, Lookup, ValueSource};
use harmony_dsl::value::Secret;

pub(crate) use secrets::env_has_refs;
pub use secrets::{SecretResolver, has_secret_refs};
pub use store::{StoreAnswer, VaultKv2};

/// The prefix of the environment variables that hold configuration values.
pub const ENV_PREFIX: &str = "HARMONY_CONFIG_";

/// The mount used when `HARMONY_VAULT_MOUNT` is unset (Vault's default KV v2 mount).
pub const DEFAULT_MOUNT: &str = "secret";

/// The environment variable for `key`: `HARMONY_CONFIG_` and the key in upper case, `-` as `_`.
pub fn env_var(key: &str) -> String {
    format!("{ENV_PREFIX}{}", key.to_uppercase().replace('-', "_"))
}

/// The first of `names` set in the environment (non-empty).
fn first_env(names: &[&str]) -> Option<String> {
    names
        .iter()
        .find_map(|n| std::env::var(n).ok().filter(|v| !v.is_empty()))
}

/// The token for the secret store: `HARMONY_VAULT_TOKEN`, else `VAULT_TOKEN`.
pub fn store_token_from_env() -> Option<Secret<String>> {
    first_env(&["HARMONY_VAULT_TOKEN", "VAULT_TOKEN"]).map(Secret::new)
}

/// The environment, a TOML file and a secret store, asked in that order.
#[derive(Debug)]
pub struct ConfigSources {
    file: Option<(PathBuf, toml::Table)>,
    store: Option<StoreSource>,
}

#[derive(Debug)]
struct StoreSource {
    kv: VaultKv2,
    /// Read once, the first time a key reaches the store.
    answer: Option<Result<StoreAnswer, String>>,
}

impl ConfigSources {
    /// Sources over an optional TOML file (read and parsed now) and an optional store.
    pub fn new(file: Option<&Path>, store: Option<VaultKv2>) -> Result<Self, String> {
        let file = match file {
            None => None,
            Some(path) => Some((path.to_path_buf(), read_table(path)?)),
        };
        Ok(ConfigSources {
            file,
            store: store.map(|kv| StoreSource { kv, answer: None }),
        })
    }

    /// Sources as the command line sets them up: `file` (else `HARMONY_CONFIG_FILE`), and a store
    /// when `VAULT_ADDR` (or `HARMONY_VAULT_ADDR`) is set, at mount `HARMONY_VAULT_MOUNT`
    /// (default `secret`) and path `HARMONY_VAULT_PATH` (default `default_path`, the plan name).
    pub fn from_env(file: Option<PathBuf>, default_path: &str) -> Result<Self, String> {
        let file = file.or_else(|| first_env(&["HARMONY_CONFIG_FILE"]).map(PathBuf::from));
        let store = match first_env(&["HARMONY_VAULT_ADDR", "VAULT_ADDR"]) {
            None => None,
            Some(address) => {
                let token = store_token_from_env().ok_or_else(|| {
                    format!("VAULT_ADDR is set ({address}) but no token is: set VAULT_TOKEN (or HARMONY_VAULT_TOKEN); Harmony never prompts for one")
                })?;
                Some(VaultKv2 {
                    address,
                    mount: first_env(&["HARMONY_VAULT_MOUNT"])
                        .unwrap_or_else(|| DEFAULT_MOUNT.into()),
                    path: first_env(&["HARMONY_VAULT_PATH"]).unwrap_or_else(|| default_path.into()),
                    token,
                })
            }
        };
        ConfigSources::new(file.as_deref(), store)
    }

    /// Reads the store now (asynchronously), so that resolving needs no further I/O.
    pub async fn read_store(&mut self) {
        if let Some(store) = &mut self.store
            && store.answer.is_none()
        {
            store.answer = Some(store.kv.read().await);
        }
    }

    fn store_answer(store: &mut StoreSource) -> &Result<StoreAnswer, String> {
        let kv = &store.kv;
        store.answer.get_or_insert_with(|| read_blocking(kv))
    }
}

/// Reads the store from synchronous code (building a plan), on a thread of its own so that it
/// works whether or not the caller is inside an async runtime.
fn read_blocking(kv: &VaultKv2) -> Result<StoreAnswer, String> {
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|e| format!("cannot start a runtime to read the secret store: {e}"))?
                    .block_on(kv.read())
            })
            .join()
            .unwrap_or_else(|_| Err("reading the secret store failed unexpectedly".into()))
    })
}

/// A TOML file's top-level table.
fn read_table(path: &Path) -> Result<toml::Table, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read config file {}: {e}", path.display()))?;
    text.parse::<toml::Table>()
        .map_err(|e| format!("config file {} is not valid TOML: {e}", path.display()))
}

/// The text of a scalar TOML value, or why it is not one.
fn scalar_text(value: &toml::Value) -> Result<String, &'static str> {
    match value {
        toml::Value::String(s) => Ok(s.clone()),
        toml::Value::Integer(i) => Ok(i.to_string()),
        toml::Value::Float(f) => Ok(f.to_string()),
        toml::Value::Boolean(b) => Ok(b.to_string()),
        toml::Value::Datetime(d) => Ok(d.to_string()),
        toml::Value::Array(_) => Err("an array"),
        toml::Value::Table(_) => Err("a table"),
    }
}

/// Reads `key` from a TOML table: `Ok(None)` when absent.
pub(crate) fn file_value(
    path: &Path,
    table: &toml::Table,
    key: &str,
) -> Result<Option<String>, String> {
    match table.get(key) {
        None => Ok(None),
        Some(value) => scalar_text(value).map(Some).map_err(|what| {
            format!(
                "key `{key}` in config file {} is {what}: configuration values are single strings, numbers or booleans",
                path.display()
            )
        }),
    }
}

impl ConfigLookup for ConfigSources {
    fn find(&mut self, key: &str) -> Lookup {
        let mut tried = Vec::new();
        let variable = env_var(key);
        if let Some(text) = std::env::var_os(&variable) {
            return match text.into_string() {
                Ok(text) => Lookup::Found(Found {
                    text,
                    source: ValueSource::Env { variable },
                }),
                Err(_) => Lookup::Failed(format!(
                    "environment variable {variable} is not valid UTF-8"
                )),
            };
        }
        tried.push(format!("environment variable {variable} (unset)"));

        match &self.file {
            Some((path, table)) => match file_value(path, table, key) {
                Ok(Some(text)) => {
                    return Lookup::Found(Found {
                        text,
                        source: ValueSource::File {
                            path: path.clone(),
                            key: key.into(),
                        },
                    });
                }
                Ok(None) => tried.push(format!("file {} (no key `{key}`)", path.display())),
                Err(e) => return Lookup::Failed(e),
            },
            None => tried.push("no config file (give one with --config FILE)".into()),
        }

        let Some(store) = &mut self.store else {
            tried.push("no secret store (set VAULT_ADDR and VAULT_TOKEN to use one)".into());
            return Lookup::Missing { tried };
        };
        let describe = store.kv.describe();
        let (mount, path, address) = (
            store.kv.mount.clone(),
            store.kv.path.clone(),
            store.kv.address.clone(),
        );
        match ConfigSources::store_answer(store) {
            Ok(StoreAnswer::Fields(fields)) => match fields.get(key) {
                Some(value) => Lookup::Found(Found {
                    text: value.expose().clone(),
                    source: ValueSource::Store {
                        address,
                        mount,
                        path,
                        field: key.into(),
                    },
                }),
                None => {
                    tried.push(format!("{describe} (no field `{key}`)"));
                    Lookup::Missing { tried }
                }
            },
            Ok(StoreAnswer::NotFound) => {
                tried.push(format!(
                    "{describe} (no secret at that path: 404 Not Found)"
                ));
                Lookup::Missing { tried }
            }
            Ok(StoreAnswer::Forbidden) => Lookup::Failed(format!(
                "{describe} refused the token (403 Forbidden): the token in VAULT_TOKEN may not read {mount}/data/{path}; check the token and its policy"
            )),
            Err(e) => Lookup::Failed(e.clone()),
        }
    }
}
