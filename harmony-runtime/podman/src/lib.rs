//! Drives podman for Harmony: make sure an image is there, create or replace a container when
//! its spec changed, start it, wait until it is healthy, read its logs, stop and remove it, and
//! list the containers one owner manages.
//!
//! # Why podman's CLI and not its REST socket
//!
//! The CLI needs nothing running: the socket needs `podman system service` kept alive (a systemd
//! unit on most hosts, and systemd is not there on every device), and a second way for the
//! service's lifetime to fail. Every call here is one short `podman` command whose machine
//! readable output (`inspect`, `ps --format json`) is JSON, and whose argv we control. The CLI
//! is also what the site's engineers run themselves, so what Harmony does is what they can
//! retrace. The cost, one process per call, is small beside what the calls do.
//!
//! # What it guarantees
//!
//! - **Names**: any logical name maps to a valid podman name ([`container_name`]:
//!   `harmony-<sanitized>-<hash>`), deterministic and collision-resistant.
//! - **Change detection**: each container carries a label with an HMAC of its whole spec
//!   (secret values included) under a per-host key kept 0600 in the state directory; an
//!   unchanged spec is left running, a changed one is replaced. The label is no oracle for
//!   guessing a secret: without the key the digest says nothing about the values.
//! - **Secrets never in argv nor in `podman inspect`**: each secret value goes to
//!   `podman secret create NAME -` on standard input and is mounted into the container as the
//!   file `/run/secrets/<VAR>` (mode 0400); the container gets `<VAR>_FILE=/run/secrets/<VAR>`.
//!   Podman's `type=env` secrets were tried and rejected: podman 4.3 shows their values in
//!   `podman inspect` of a running container, as it does for `--env-file`.
//! - **Health**: a health command is podman's own healthcheck (`--health-cmd`, visible in
//!   `podman ps`), run on demand with `podman healthcheck run` while waiting, so it works
//!   without systemd (podman's timers need it; hosts without systemd get
//!   `--health-interval disable`). A TCP port can be probed from the host instead.
//! - **Restart policy** is podman's (`--restart`), carried out by conmon and podman's cleanup
//!   process: it restarts a container whose main process dies, with no agent involved.
//! - **Child environment**: every podman command runs with a cleared environment except `PATH`,
//!   `HOME`, `XDG_RUNTIME_DIR`, `TMPDIR` and `CONTAINERS_CONF`.
//! - **Ownership**: containers carry `io.harmony.scope`; a container with the name we want
//!   that is not ours is never replaced or removed.

mod digest;
mod name;
#[cfg(feature = "testing")]
pub mod testing;

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fmt;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::io::AsyncWriteExt;

pub use digest::{KEY_FILE, load_or_create_key};
pub use name::{container_name, is_valid as is_valid_name, secret_name};

/// Label marking containers Harmony manages.
pub const LABEL_MANAGED: &str = "io.harmony.managed-by";
/// Label holding the owner scope (one per provider or agent).
pub const LABEL_SCOPE: &str = "io.harmony.scope";
/// Label holding the logical name.
pub const LABEL_NAME: &str = "io.harmony.name";
/// Label holding the spec digest (HMAC, whole spec).
pub const LABEL_DIGEST: &str = "io.harmony.digest";
/// Label holding the digest of the spec without secret values.
pub const LABEL_PUBLIC_DIGEST: &str = "io.harmony.public-digest";
/// Label listing the podman secrets the container uses, comma-separated.
pub const LABEL_SECRETS: &str = "io.harmony.secrets";
/// Where secrets are mounted in the container.
pub const SECRETS_DIR: &str = "/run/secrets";
/// Longest time one podman command may take.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(120);
/// Most log lines [`Podman::logs`] returns.
pub const MAX_LOG_LINES: usize = 10_000;
/// Longest log line kept, in bytes.
const MAX_LOG_LINE: usize = 4096;
/// Commands kept by the command record.
const RECORD_MAX: usize = 512;

/// What went wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorKind {
    /// The image is not present locally and the pull policy forbids (or failed) pulling it.
    ImageMissing,
    /// A container with the wanted name exists and is not managed by this scope.
    NotOurs,
    /// The container did not become healthy in time.
    Unhealthy,
    /// The spec is not one podman can run (bad env name, unknown secret value...).
    BadSpec,
    /// A podman command failed or could not run.
    Podman,
    /// Local state (the digest key) could not be read or written.
    State,
}

/// An error with a message fit for an operator: it names the container or image, never a
/// secret value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// What went wrong.
    pub kind: ErrorKind,
    /// One-paragraph explanation.
    pub message: String,
}

impl Error {
    fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

/// Result of this crate.
pub type Result<T> = std::result::Result<T, Error>;

/// A secret value: never printed (`Debug` shows `<redacted>`), never serialized.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretValue(String);

impl SecretValue {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Self {
        SecretValue(value.into())
    }
}

impl fmt::Debug for SecretValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// When to pull an image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PullPolicy {
    /// Local images only: a missing image is an error naming it.
    #[default]
    Never,
    /// Use the local image; pull only when it is missing.
    Missing,
}

/// How a container is networked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Network {
    /// The host's network namespace: ports are the host's (no NAT, no firewall rules made).
    #[default]
    Host,
    /// No network at all.
    None,
    /// Podman's default network, publishing these TCP ports as the same host port.
    Bridge {
        /// Ports published `-p P:P`.
        publish: Vec<u16>,
    },
}

/// Podman's restart policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum RestartPolicy {
    /// Never restarted.
    No,
    /// Restarted when it exits non-zero, at most this many times (0: no limit).
    OnFailure(u32),
    /// Always restarted.
    #[default]
    Always,
}

impl RestartPolicy {
    fn arg(&self) -> String {
        match self {
            RestartPolicy::No => "no".into(),
            RestartPolicy::OnFailure(0) => "on-failure".into(),
            RestartPolicy::OnFailure(n) => format!("on-failure:{n}"),
            RestartPolicy::Always => "always".into(),
        }
    }
}

/// How to tell the container is healthy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Health {
    /// A command run inside the container (podman's healthcheck): healthy when it exits 0.
    Command(Vec<String>),
    /// A TCP connect to `127.0.0.1:port` from the host.
    Tcp(u16),
}

/// A container as Harmony wants it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ContainerSpec {
    /// Logical name (any text); the podman name is [`container_name`] of it.
    pub name: String,
    /// Image reference, e.g. `localhost/web:1`.
    pub image: String,
    /// Command and arguments replacing the image's (empty: the image's own).
    pub command: Vec<String>,
    /// Plain environment, shown in plans and in `podman inspect`.
    pub env: BTreeMap<String, String>,
    /// Secret environment: `VAR` is mounted as `/run/secrets/VAR` and the container gets
    /// `VAR_FILE` pointing there. `None`: the value is not known here (inspect compares
    /// everything else; apply refuses).
    pub secrets: BTreeMap<String, Option<SecretValue>>,
    /// Networking.
    pub network: Network,
    /// Restart policy.
    pub restart: RestartPolicy,
    /// Health check, if any.
    pub health: Option<Health>,
    /// Extra labels.
    pub labels: BTreeMap<String, String>,
}

/// The part of a spec the public digest covers (everything but secret values).
#[derive(Serialize)]
struct PublicPart<'a> {
    image: &'a str,
    command: &'a [String],
    env: &'a BTreeMap<String, String>,
    secret_names: Vec<&'a str>,
    network: &'a Network,
    restart: &'a RestartPolicy,
    health: &'a Option<Health>,
    labels: &'a BTreeMap<String, String>,
}

impl ContainerSpec {
    /// The podman name of this container.
    pub fn podman_name(&self) -> String {
        container_name(&self.name)
    }

    fn public_json(&self) -> Vec<u8> {
        serde_json::to_vec(&PublicPart {
            image: &self.image,
            command: &self.command,
            env: &self.env,
            secret_names: self.secrets.keys().map(String::as_str).collect(),
            network: &self.network,
            restart: &self.restart,
            health: &self.health,
            labels: &self.labels,
        })
        .unwrap_or_default()
    }

    fn check(&self) -> Result<()> {
        let bad_var = |k: &String| {
            k.is_empty()
                || k.starts_with(|c: char| c.is_ascii_digit())
                || !k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        };
        if let Some(k) = self
            .env
            .keys()
            .chain(self.secrets.keys())
            .find(|k| bad_var(k))
        {
            return Err(Error::new(
                ErrorKind::BadSpec,
                format!(
                    "container `{}`: environment variable name {k:?} is not [A-Za-z_][A-Za-z0-9_]*",
                    self.name
                ),
            ));
        }
        if let Some(k) = self
            .secrets
            .keys()
            .find(|k| self.env.contains_key(&format!("{k}_FILE")))
        {
            return Err(Error::new(
                ErrorKind::BadSpec,
                format!(
                    "container `{}`: secret `{k}` is delivered as `{k}_FILE`, which the plain environment also sets",
                    self.name
                ),
            ));
        }
        if self.image.is_empty() || self.image.starts_with('-') {
            return Err(Error::new(
                ErrorKind::BadSpec,
                format!(
                    "container `{}`: bad image reference {:?}",
                    self.name, self.image
                ),
            ));
        }
        Ok(())
    }
}

/// How to run podman.
#[derive(Debug, Clone)]
pub struct Config {
    /// The podman program (a bare name is looked up on `PATH`).
    pub program: PathBuf,
    /// `CONTAINERS_CONF` for podman (unset: inherited from our environment, if set).
    pub containers_conf: Option<PathBuf>,
    /// Private directory for the digest key (created 0700).
    pub state_dir: PathBuf,
    /// Owner scope: only containers labelled with it are inspected as ours, listed, replaced
    /// or removed.
    pub scope: String,
    /// Pull policy.
    pub pull: PullPolicy,
    /// Time a stopped container gets between SIGTERM and SIGKILL.
    pub stop_timeout: Duration,
}

impl Config {
    /// `podman` on `PATH`, state in `state_dir`, scope `scope`, local images only.
    pub fn new(state_dir: impl Into<PathBuf>, scope: impl Into<String>) -> Self {
        Config {
            program: PathBuf::from("podman"),
            containers_conf: None,
            state_dir: state_dir.into(),
            scope: scope.into(),
            pull: PullPolicy::Never,
            stop_timeout: Duration::from_secs(10),
        }
    }
}

/// A container as podman reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerInfo {
    /// Podman name.
    pub name: String,
    /// Logical name (label).
    pub logical: String,
    /// Podman's state: `created`, `running`, `exited`...
    pub state: String,
    /// Health as podman last recorded it (`healthy`, `unhealthy`, `starting`, empty).
    pub health: String,
    /// Times podman restarted it.
    pub restarts: u64,
    /// Pid of its main process on the host (0 when not running).
    pub pid: u32,
    /// The digest label.
    pub digest: String,
    /// The public digest label.
    pub public_digest: String,
    /// Secrets it uses.
    pub secrets: Vec<String>,
    /// Image reference it was created from.
    pub image: String,
}

impl ContainerInfo {
    /// Whether its main process runs.
    pub fn is_running(&self) -> bool {
        self.state == "running"
    }
}

/// What a container looks like against a spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Observation {
    /// No container of that name.
    Absent,
    /// Ours, created from this very spec.
    Same(ContainerInfo),
    /// Ours, created from another spec.
    Different(ContainerInfo),
}

/// What [`Podman::apply`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    /// Already there, same spec, running.
    Unchanged,
    /// Same spec but not running: started again.
    Started,
    /// Created (none existed).
    Created,
    /// Replaced one created from another spec.
    Replaced,
}

/// Podman, as one owner scope sees it.
#[derive(Debug, Clone)]
pub struct Podman {
    config: Config,
    key: [u8; 32],
    env: Vec<(OsString, OsString)>,
    systemd: bool,
    record: Arc<Mutex<Vec<Vec<String>>>>,
}

impl Podman {
    /// Podman with `config`; reads or creates the digest key.
    pub fn new(config: Config) -> Result<Self> {
        let key = load_or_create_key(&config.state_dir).map_err(|e| {
            Error::new(
                ErrorKind::State,
                format!("podman digest key in {}: {e}", config.state_dir.display()),
            )
        })?;
        let mut env = Vec::new();
        for var in [
            "PATH",
            "HOME",
            "XDG_RUNTIME_DIR",
            "TMPDIR",
            "CONTAINERS_CONF",
        ] {
            if let Some(value) = std::env::var_os(var) {
                env.push((OsString::from(var), value));
            }
        }
        if !env.iter().any(|(k, _)| k == "PATH") {
            env.push((
                "PATH".into(),
                "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".into(),
            ));
        }
        if let Some(conf) = &config.containers_conf {
            env.retain(|(k, _)| k != "CONTAINERS_CONF");
            env.push(("CONTAINERS_CONF".into(), conf.clone().into_os_string()));
        }
        Ok(Podman {
            config,
            key,
            env,
            systemd: std::path::Path::new("/run/systemd/system").is_dir(),
            record: Arc::new(Mutex::new(Vec::new())),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The argv of the last podman commands run (at most 512), to check what was passed.
    pub fn recorded_commands(&self) -> Vec<Vec<String>> {
        self.record.lock().map(|r| r.clone()).unwrap_or_default()
    }

    /// The digest of `spec` (secret values included), as the label holds it.
    pub fn digest(&self, spec: &ContainerSpec) -> Option<String> {
        let mut message = spec.public_json();
        for (name, value) in &spec.secrets {
            let value = value.as_ref()?;
            message.push(0);
            message.extend_from_slice(name.as_bytes());
            message.push(0);
            message.extend_from_slice(value.0.as_bytes());
        }
        Some(digest::hmac_hex(&self.key, &message))
    }

    /// The digest of `spec` without its secret values.
    pub fn public_digest(&self, spec: &ContainerSpec) -> String {
        digest::hmac_hex(&self.key, &spec.public_json())
    }

    async fn run(&self, args: &[String], stdin: Option<&[u8]>) -> Result<std::process::Output> {
        if let Ok(mut record) = self.record.lock() {
            if record.len() >= RECORD_MAX {
                record.remove(0);
            }
            record.push(args.to_vec());
        }
        let mut command = tokio::process::Command::new(&self.config.program);
        command
            .args(args)
            .env_clear()
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let what = || format!("podman {}", args.first().map(String::as_str).unwrap_or(""));
        let mut child = command.spawn().map_err(|e| {
            Error::new(
                ErrorKind::Podman,
                format!("cannot run {}: {e}", self.config.program.display()),
            )
        })?;
        if let Some(input) = stdin
            && let Some(mut pipe) = child.stdin.take()
        {
            pipe.write_all(input).await.map_err(|e| {
                Error::new(
                    ErrorKind::Podman,
                    format!("{}: writing its input: {e}", what()),
                )
            })?;
            drop(pipe);
        }
        match tokio::time::timeout(COMMAND_TIMEOUT, child.wait_with_output()).await {
            Ok(Ok(out)) => Ok(out),
            Ok(Err(e)) => Err(Error::new(ErrorKind::Podman, format!("{}: {e}", what()))),
            Err(_) => Err(Error::new(
                ErrorKind::Podman,
                format!("{} took more than {COMMAND_TIMEOUT:?}", what()),
            )),
        }
    }

    /// Runs podman and requires success; the error quotes the argv (which never holds a
    /// secret) and the end of podman's stderr.
    async fn run_ok(&self, args: &[String], stdin: Option<&[u8]>) -> Result<Vec<u8>> {
        let out = self.run(args, stdin).await?;
        if out.status.success() {
            Ok(out.stdout)
        } else {
            Err(Error::new(
                ErrorKind::Podman,
                format!(
                    "`podman {}` failed ({}): {}",
                    args.join(" "),
                    out.status,
                    stderr_tail(&out.stderr)
                ),
            ))
        }
    }

    /// Makes sure `image` is present locally, pulling it only when the policy allows.
    pub async fn ensure_image(&self, image: &str) -> Result<()> {
        let out = self.run(&strings(["image", "exists", image]), None).await?;
        if out.status.success() {
            return Ok(());
        }
        match self.config.pull {
            PullPolicy::Never => Err(Error::new(
                ErrorKind::ImageMissing,
                format!(
                    "image `{image}` is not present on this host and the pull policy is local images only; build or load it (`podman load`, `podman import`) first"
                ),
            )),
            PullPolicy::Missing => {
                self.run_ok(&strings(["pull", "--quiet", image]), None)
                    .await
                    .map_err(|e| {
                        Error::new(
                            ErrorKind::ImageMissing,
                            format!("image `{image}` is not present on this host and pulling it failed: {}", e.message),
                        )
                    })?;
                Ok(())
            }
        }
    }

    /// The container named `name` (podman name), if any, whoever owns it.
    async fn inspect_name(&self, name: &str) -> Result<Option<(ContainerInfo, String)>> {
        let out = self
            .run(
                &strings(["container", "inspect", "--format", "json", name]),
                None,
            )
            .await?;
        if !out.status.success() {
            let err = String::from_utf8_lossy(&out.stderr);
            if err.contains("no such container") {
                return Ok(None);
            }
            return Err(Error::new(
                ErrorKind::Podman,
                format!(
                    "`podman container inspect {name}` failed: {}",
                    stderr_tail(&out.stderr)
                ),
            ));
        }
        let value: serde_json::Value = serde_json::from_slice(&out.stdout).map_err(|e| {
            Error::new(
                ErrorKind::Podman,
                format!("`podman container inspect {name}` gave unreadable JSON: {e}"),
            )
        })?;
        let Some(c) = value.as_array().and_then(|a| a.first()) else {
            return Ok(None);
        };
        let labels = &c["Config"]["Labels"];
        let label = |k: &str| labels[k].as_str().unwrap_or_default().to_string();
        let info = ContainerInfo {
            name: c["Name"].as_str().unwrap_or(name).to_string(),
            logical: label(LABEL_NAME),
            state: c["State"]["Status"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            health: c["State"]["Health"]["Status"]
                .as_str()
                .or_else(|| c["State"]["Healthcheck"]["Status"].as_str())
                .unwrap_or_default()
                .to_string(),
            restarts: c["RestartCount"].as_u64().unwrap_or(0),
            pid: c["State"]["Pid"].as_u64().unwrap_or(0) as u32,
            digest: label(LABEL_DIGEST),
            public_digest: label(LABEL_PUBLIC_DIGEST),
            secrets: label(LABEL_SECRETS)
                .split(',')
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect(),
            image: c["ImageName"].as_str().unwrap_or_default().to_string(),
        };
        Ok(Some((info, label(LABEL_SCOPE))))
    }

    /// The container of logical name `logical` when it is ours.
    pub async fn info(&self, logical: &str) -> Result<Option<ContainerInfo>> {
        let name = container_name(logical);
        match self.inspect_name(&name).await? {
            None => Ok(None),
            Some((info, scope)) if scope == self.config.scope => Ok(Some(info)),
            Some(_) => Err(self.not_ours(&name)),
        }
    }

    fn not_ours(&self, name: &str) -> Error {
        Error::new(
            ErrorKind::NotOurs,
            format!(
                "a container named `{name}` exists and is not managed by Harmony scope `{}`; remove or rename it (`podman rm {name}`) to let Harmony manage it",
                self.config.scope
            ),
        )
    }

    /// How the container for `spec` compares with it. Where secret values are unknown
    /// (`None`), only the rest of the spec is compared.
    pub async fn inspect(&self, spec: &ContainerSpec) -> Result<Observation> {
        let Some(info) = self.info(&spec.name).await? else {
            return Ok(Observation::Absent);
        };
        let same = match self.digest(spec) {
            Some(digest) => info.digest == digest,
            None => info.public_digest == self.public_digest(spec),
        };
        Ok(if same {
            Observation::Same(info)
        } else {
            Observation::Different(info)
        })
    }

    /// Creates the container for `spec`, or replaces one created from another spec, and starts
    /// it; leaves a running container of the same spec alone. Does not wait for health (see
    /// [`wait_healthy`](Self::wait_healthy)).
    pub async fn apply(&self, spec: &ContainerSpec) -> Result<Applied> {
        spec.check()?;
        let Some(digest) = self.digest(spec) else {
            return Err(Error::new(
                ErrorKind::BadSpec,
                format!(
                    "container `{}`: a secret's value is not known here, so it cannot be created",
                    spec.name
                ),
            ));
        };
        self.ensure_image(&spec.image).await?;
        let name = spec.podman_name();
        let replaced = match self.inspect(spec).await? {
            Observation::Same(info) if info.is_running() => return Ok(Applied::Unchanged),
            Observation::Same(_) => {
                self.run_ok(&strings(["start", &name]), None).await?;
                return Ok(Applied::Started);
            }
            Observation::Different(info) => {
                self.remove_container(&info).await?;
                true
            }
            Observation::Absent => false,
        };
        let secrets = self.create_secrets(&name, spec).await?;
        let mut args = strings(["create", "--name", &name]);
        let mut label = |k: &str, v: &str| {
            args.push("--label".into());
            args.push(format!("{k}={v}"));
        };
        label(LABEL_MANAGED, "harmony");
        label(LABEL_SCOPE, &self.config.scope);
        label(LABEL_NAME, &spec.name);
        label(LABEL_DIGEST, &digest);
        label(LABEL_PUBLIC_DIGEST, &self.public_digest(spec));
        label(LABEL_SECRETS, &secrets.join(","));
        for (k, v) in &spec.labels {
            if !k.starts_with("io.harmony.") {
                label(k, v);
            }
        }
        args.push("--restart".into());
        args.push(spec.restart.arg());
        match &spec.network {
            Network::Host => args.extend(strings(["--network", "host"])),
            Network::None => args.extend(strings(["--network", "none"])),
            Network::Bridge { publish } => {
                for port in publish {
                    args.push("--publish".into());
                    args.push(format!("{port}:{port}"));
                }
            }
        }
        for (k, v) in &spec.env {
            args.push("--env".into());
            args.push(format!("{k}={v}"));
        }
        for ((var, _), secret) in spec.secrets.iter().zip(&secrets) {
            args.push("--secret".into());
            args.push(format!("{secret},type=mount,target={var},mode=0400"));
            args.push("--env".into());
            args.push(format!("{var}_FILE={SECRETS_DIR}/{var}"));
        }
        if let Some(Health::Command(command)) = &spec.health {
            args.push("--health-cmd".into());
            args.push(serde_json::to_string(command).unwrap_or_default());
            args.push("--health-interval".into());
            args.push(if self.systemd { "30s" } else { "disable" }.into());
            args.push("--health-retries".into());
            args.push("3".into());
        }
        args.push("--".into());
        args.push(spec.image.clone());
        args.extend(spec.command.iter().cloned());
        if let Err(e) = self.run_ok(&args, None).await {
            self.remove_secrets(&secrets).await;
            return Err(e);
        }
        self.run_ok(&strings(["start", &name]), None).await?;
        Ok(if replaced {
            Applied::Replaced
        } else {
            Applied::Created
        })
    }

    /// Creates the podman secrets of `spec` (values on standard input); returns their names
    /// in the order of `spec.secrets`.
    async fn create_secrets(&self, container: &str, spec: &ContainerSpec) -> Result<Vec<String>> {
        let mut made = Vec::new();
        for (var, value) in &spec.secrets {
            let Some(value) = value else {
                self.remove_secrets(&made).await;
                return Err(Error::new(
                    ErrorKind::BadSpec,
                    format!(
                        "container `{}`: the value of secret `{var}` is not known here",
                        spec.name
                    ),
                ));
            };
            let secret = secret_name(container, var);
            // A leftover of an interrupted run would make `create` fail.
            self.remove_secrets(std::slice::from_ref(&secret)).await;
            if let Err(e) = self
                .run_ok(
                    &strings(["secret", "create", &secret, "-"]),
                    Some(value.0.as_bytes()),
                )
                .await
            {
                self.remove_secrets(&made).await;
                return Err(e);
            }
            made.push(secret);
        }
        Ok(made)
    }

    async fn remove_secrets(&self, secrets: &[String]) {
        for secret in secrets {
            let _ = self.run(&strings(["secret", "rm", secret]), None).await;
        }
    }

    /// Stops (SIGTERM, SIGKILL after the stop timeout) and removes a container of ours, then its secrets.
    async fn remove_container(&self, info: &ContainerInfo) -> Result<()> {
        let time = self.config.stop_timeout.as_secs().to_string();
        self.run_ok(
            &strings(["rm", "--force", "--time", &time, &info.name]),
            None,
        )
        .await?;
        self.remove_secrets(&info.secrets).await;
        Ok(())
    }

    /// Stops and removes the container of logical name `logical` and its secrets; `false` when
    /// there was none.
    pub async fn remove(&self, logical: &str) -> Result<bool> {
        match self.info(logical).await? {
            None => Ok(false),
            Some(info) => {
                self.remove_container(&info).await?;
                Ok(true)
            }
        }
    }

    /// Stops the container of logical name `logical` (it stays, stopped); `false` when absent.
    pub async fn stop(&self, logical: &str) -> Result<bool> {
        match self.info(logical).await? {
            None => Ok(false),
            Some(info) => {
                let time = self.config.stop_timeout.as_secs().to_string();
                self.run_ok(&strings(["stop", "--time", &time, &info.name]), None)
                    .await?;
                Ok(true)
            }
        }
    }

    /// Checks health once: `Ok(())` when healthy, `Err(reason)` otherwise. A spec without a
    /// health check is healthy when its container runs.
    pub async fn check_health(&self, spec: &ContainerSpec) -> std::result::Result<(), String> {
        let info = match self.info(&spec.name).await {
            Ok(Some(info)) => info,
            Ok(None) => return Err("no container".into()),
            Err(e) => return Err(e.message),
        };
        if !info.is_running() {
            return Err(format!("container is {}", info.state));
        }
        match &spec.health {
            None => Ok(()),
            Some(Health::Tcp(port)) => {
                match tokio::time::timeout(
                    Duration::from_secs(2),
                    tokio::net::TcpStream::connect(("127.0.0.1", *port)),
                )
                .await
                {
                    Ok(Ok(_)) => Ok(()),
                    Ok(Err(e)) => Err(format!("connect 127.0.0.1:{port}: {e}")),
                    Err(_) => Err(format!("connect 127.0.0.1:{port}: timed out")),
                }
            }
            Some(Health::Command(_)) => {
                let out = self
                    .run(&strings(["healthcheck", "run", &info.name]), None)
                    .await
                    .map_err(|e| e.message)?;
                if out.status.success() {
                    Ok(())
                } else {
                    Err(format!(
                        "health command failed: {}",
                        stderr_tail(&[out.stdout, out.stderr].concat())
                    ))
                }
            }
        }
    }

    /// Waits until the container of `spec` is healthy, at most `timeout`.
    pub async fn wait_healthy(&self, spec: &ContainerSpec, timeout: Duration) -> Result<()> {
        let deadline = Instant::now() + timeout;
        loop {
            let why = match self.check_health(spec).await {
                Ok(()) => return Ok(()),
                Err(why) => why,
            };
            if Instant::now() >= deadline {
                return Err(Error::new(
                    ErrorKind::Unhealthy,
                    format!(
                        "container `{}` ({}) not healthy within {}s: {why}",
                        spec.name,
                        spec.podman_name(),
                        timeout.as_secs_f32()
                    ),
                ));
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// The last `lines` lines (at most [`MAX_LOG_LINES`], each cut at 4 KiB) the container of
    /// `logical` wrote, standard output then standard error.
    pub async fn logs(&self, logical: &str, lines: usize) -> Result<Vec<String>> {
        let lines = lines.min(MAX_LOG_LINES);
        let Some(info) = self.info(logical).await? else {
            return Err(Error::new(
                ErrorKind::Podman,
                format!("no container for `{logical}`"),
            ));
        };
        let out = self
            .run(
                &strings(["logs", "--tail", &lines.to_string(), &info.name]),
                None,
            )
            .await?;
        if !out.status.success() {
            return Err(Error::new(
                ErrorKind::Podman,
                format!(
                    "`podman logs {}` failed: {}",
                    info.name,
                    stderr_tail(&out.stderr)
                ),
            ));
        }
        let mut all: Vec<String> = [&out.stdout, &out.stderr]
            .iter()
            .flat_map(|bytes| {
                String::from_utf8_lossy(bytes)
                    .lines()
                    .map(cut_line)
                    .collect::<Vec<_>>()
            })
            .collect();
        let excess = all.len().saturating_sub(lines);
        all.drain(..excess);
        Ok(all)
    }

    /// Every container of this scope.
    pub async fn list(&self) -> Result<Vec<ContainerInfo>> {
        let filter = format!("label={LABEL_SCOPE}={}", self.config.scope);
        let out = self
            .run_ok(
                &strings(["ps", "--all", "--format", "json", "--filter", &filter]),
                None,
            )
            .await?;
        let value: serde_json::Value = serde_json::from_slice(&out).map_err(|e| {
            Error::new(
                ErrorKind::Podman,
                format!("`podman ps` gave unreadable JSON: {e}"),
            )
        })?;
        let mut infos = Vec::new();
        for entry in value.as_array().into_iter().flatten() {
            let Some(name) = entry["Names"]
                .as_array()
                .and_then(|n| n.first())
                .and_then(|n| n.as_str())
            else {
                continue;
            };
            if let Some((info, scope)) = self.inspect_name(name).await?
                && scope == self.config.scope
            {
                infos.push(info);
            }
        }
        Ok(infos)
    }
}

fn strings<const N: usize>(args: [&str; N]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

fn cut_line(line: &str) -> String {
    if line.len() <= MAX_LOG_LINE {
        return line.to_string();
    }
    let mut end = MAX_LOG_LINE;
    while !line.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &line[..end])
}

fn stderr_tail(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let tail = lines[lines.len().saturating_sub(3)..].join(" / ");
    if tail.is_empty() {
        "(no message)".into()
    } else {
        cut_line(&tail)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_values_never_show_in_debug() {
        let mut spec = ContainerSpec {
            name: "web".into(),
            image: "localhost/x:1".into(),
            ..Default::default()
        };
        spec.secrets
            .insert("DB".into(), Some(SecretValue::new("hunter2-value")));
        assert!(!format!("{spec:?}").contains("hunter2"));
    }

    #[test]
    fn bad_specs_are_refused_with_the_reason() {
        let mut spec = ContainerSpec {
            name: "web".into(),
            image: "localhost/x:1".into(),
            ..Default::default()
        };
        spec.env.insert("A=B".into(), "x".into());
        assert!(spec.check().unwrap_err().message.contains("\"A=B\""));
        let mut spec = ContainerSpec {
            name: "web".into(),
            image: "--privileged".into(),
            ..Default::default()
        };
        assert_eq!(spec.check().unwrap_err().kind, ErrorKind::BadSpec);
        spec.image = "localhost/x:1".into();
        spec.secrets.insert("DB".into(), None);
        spec.env.insert("DB_FILE".into(), "/x".into());
        assert!(spec.check().unwrap_err().message.contains("DB_FILE"));
    }

    fn scratch(tag: &str) -> PathBuf {
        std::env::temp_dir().join(format!(
            "harmony-podman-lib-{tag}-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default()
                .as_nanos()
        ))
    }

    /// The attack: a variable of ours (a token, a password) leaking into podman's environment.
    /// Run as `env` in place of podman, the child shows only what podman needs.
    #[tokio::test]
    async fn podman_runs_with_a_cleared_environment() {
        let dir = scratch("env");
        let mut config = Config::new(dir.join("state"), "test");
        config.program = PathBuf::from("/usr/bin/env");
        config.containers_conf = Some(PathBuf::from("/etc/harmony-test.conf"));
        let podman = Podman::new(config).unwrap();
        let out = podman.run(&[], None).await.unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        let names: Vec<&str> = text
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, _)| k)
            .collect();
        assert!(!names.is_empty());
        for name in &names {
            assert!(
                [
                    "PATH",
                    "HOME",
                    "XDG_RUNTIME_DIR",
                    "TMPDIR",
                    "CONTAINERS_CONF"
                ]
                .contains(name),
                "{name} reached podman's environment"
            );
        }
        assert!(text.contains("CONTAINERS_CONF=/etc/harmony-test.conf"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// Secret values go to podman on standard input, never as an argument: a fake podman
    /// records both.
    #[tokio::test]
    async fn secret_values_go_to_stdin_never_argv() {
        use std::os::unix::fs::PermissionsExt;
        let dir = scratch("stdin");
        std::fs::create_dir_all(&dir).unwrap();
        let fake = dir.join("podman");
        std::fs::write(
            &fake,
            format!(
                "#!/bin/sh\nprintf '%s\\n' \"$@\" >> {0}/argv\ncat >> {0}/stdin\n",
                dir.display()
            ),
        )
        .unwrap();
        std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o700)).unwrap();
        let mut config = Config::new(dir.join("state"), "test");
        config.program = fake;
        let podman = Podman::new(config).unwrap();
        let mut spec = ContainerSpec {
            name: "web".into(),
            image: "localhost/x:1".into(),
            ..Default::default()
        };
        spec.secrets
            .insert("TOKEN".into(), Some(SecretValue::new("v4lue-on-stdin")));
        let names = podman.create_secrets("harmony-web-0", &spec).await.unwrap();
        assert_eq!(names, [secret_name("harmony-web-0", "TOKEN")]);
        let argv = std::fs::read_to_string(dir.join("argv")).unwrap();
        assert!(argv.contains("create"), "{argv}");
        assert!(!argv.contains("v4lue"), "{argv}");
        assert_eq!(
            std::fs::read_to_string(dir.join("stdin")).unwrap(),
            "v4lue-on-stdin"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn log_lines_are_cut_on_char_boundaries() {
        let line = "é".repeat(5000);
        let cut = cut_line(&line);
        assert!(cut.len() <= MAX_LOG_LINE + "…".len());
    }
}
