use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::config::SecretRef;
use crate::operation::Operation;
use crate::resource::{FileKind, FileSpec, HealthCheck, Probe, ProcessSpec};
use crate::score::{Operations, ScoreContext};
use crate::value::{Duration, Port, Url};
use crate::{Score, capability::*};

/// A managed configuration file on the local machine (missing parent directories are created).
#[derive(Debug, Clone, Score)]
#[score(requires(FileSystem))]
pub struct ConfigFile {
    /// Path, relative to the project directory or absolute.
    pub path: String,
    /// Content.
    pub content: String,
    /// Unix permission bits, e.g. `0o644`.
    pub mode: Option<u32>,
}

impl Operations for ConfigFile {
    fn operations(&self, _ctx: &ScoreContext<'_>) -> Vec<Operation> {
        vec![Operation::new::<dyn FileSystem>(FileSpec {
            path: PathBuf::from(&self.path),
            kind: FileKind::File {
                content: self.content.clone(),
                mode: self.mode,
            },
        })]
    }
}

/// A managed directory on the local machine.
#[derive(Debug, Clone, Score)]
#[score(requires(FileSystem))]
pub struct Directory {
    /// Path, relative to the project directory or absolute.
    pub path: String,
}

impl Operations for Directory {
    fn operations(&self, _ctx: &ScoreContext<'_>) -> Vec<Operation> {
        vec![Operation::new::<dyn FileSystem>(FileSpec {
            path: PathBuf::from(&self.path),
            kind: FileKind::Directory,
        })]
    }
}

/// A supervised local process serving on a port, health-checked over HTTP (or TCP when
/// `health_path` is unset; the check passes only when the process itself holds the port),
/// restarted when its spec, a secret's value or a `restart_on` file changes.
#[derive(Debug, Clone, Score)]
#[score(requires(ProcessSupervisor), on_this_machine)]
pub struct LocalService {
    /// Program and arguments.
    pub command: Vec<String>,
    /// Port it listens on (on 127.0.0.1).
    pub port: Port,
    /// HTTP path to probe, e.g. `/`; TCP connect when unset.
    pub health_path: Option<String>,
    /// How long the health check may take.
    #[score(default = "10s")]
    pub health_timeout: Duration,
    /// Files whose change restarts the process.
    pub restart_on: Vec<String>,
    /// Environment variables (`NAME=value`). With `secret_env`, the process's whole environment
    /// besides `PATH` (a fixed value unless declared) and Harmony's `HARMONY_SUPERVISED` marker:
    /// nothing of the operator's environment (tokens, `HARMONY_CONFIG_*`) reaches it.
    pub env: Vec<String>,
    /// Environment variables holding secrets from configuration (`(name, reference)`), read from
    /// their source when the process is started: `secret_env: { vec![("DB_PASSWORD".into(),
    /// config.db_password.clone())] }`.
    pub secret_env: Vec<(String, SecretRef)>,
}

impl Operations for LocalService {
    fn operations(&self, ctx: &ScoreContext<'_>) -> Vec<Operation> {
        let probe = match &self.health_path {
            Some(path) => match format!("http://127.0.0.1:{}{}", self.port, path).parse::<Url>() {
                Ok(url) => Probe::Http { url },
                Err(_) => Probe::Tcp { port: self.port },
            },
            None => Probe::Tcp { port: self.port },
        };
        let env = self
            .env
            .iter()
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| {
                (
                    k.to_string(),
                    crate::resource::EnvValue::Plain(v.to_string()),
                )
            })
            .chain(self.secret_env.iter().map(|(name, reference)| {
                (
                    name.clone(),
                    crate::resource::EnvValue::SecretRef(reference.clone()),
                )
            }))
            .collect::<BTreeMap<_, _>>();
        vec![Operation::new::<dyn ProcessSupervisor>(ProcessSpec {
            name: format!("{}-{}", ctx.plan, ctx.instance),
            command: self.command.clone(),
            env,
            working_dir: None,
            restart_on: self.restart_on.iter().map(PathBuf::from).collect(),
            health: Some(HealthCheck {
                probe,
                timeout: self.health_timeout,
            }),
        })]
    }
}
