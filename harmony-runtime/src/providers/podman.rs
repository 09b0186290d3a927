//! The [`Podman`] provider of [`ContainerRuntime`]: containers on a host, through podman's CLI
//! (the `harmony-podman` crate; see its docs for why the CLI and not the REST socket).
//!
//! - **inspect** reads the container named after the spec ([`harmony_podman::container_name`])
//!   and compares the spec digest its label holds: absent (create), same (nothing, or start it
//!   again when stopped), different (replace). Secret references are not read to plan: the
//!   comparison then covers everything but their values.
//! - **apply** makes sure the image is there (local images only: a missing image is a
//!   permanent error naming it), creates or replaces the container (`--restart always`,
//!   `--network host`: its ports are the host's), starts it and waits until it is healthy,
//!   within the spec's health timeout (30 s without one): its health command run as podman's
//!   healthcheck, else a TCP connect to its first port, else running.
//! - **remove** (prune) stops and removes the container and its podman secrets.
//! - **status** lists the containers this provider manages on its host, with state, health
//!   and restarts.
//!
//! Secrets never reach podman's argv nor `podman inspect`: each is a podman secret created from
//! standard input and mounted as `/run/secrets/<VAR>`; the container gets
//! `<VAR>_FILE=/run/secrets/<VAR>`.
//!
//! It runs podman on the machine Harmony runs on, so the host it is bound to must be that
//! machine. Driving another host would need podman's remote mode (`podman --remote` over SSH,
//! with the podman socket enabled there) or, better for field devices, the fleet agent running
//! on the device.

use std::path::PathBuf;
use std::time::Duration;

use harmony_dsl::capability::ContainerRuntime;
use harmony_dsl::resource::{ContainerSpec, EnvValue};
use harmony_dsl::{BoxFuture, Change, Error, Inspection, LiveStatus, Observed, Outcome, Result};
use harmony_podman as hp;

use super::Podman;

/// Health timeout of a container whose spec gives none.
const DEFAULT_HEALTH_TIMEOUT: Duration = Duration::from_secs(30);

impl Podman {
    /// The podman client for this provider: digest key in its `state_dir` (else
    /// `<state dir>/podman`, the state dir from `HARMONY_STATE_DIR`, else `.harmony` in the
    /// current directory), owner scope `provider:<host>`.
    fn client(&self) -> Result<hp::Podman> {
        let state = match (&self.state_dir, std::env::var_os("HARMONY_STATE_DIR")) {
            (Some(dir), _) => PathBuf::from(dir),
            (None, Some(dir)) => PathBuf::from(dir).join("podman"),
            (None, None) => PathBuf::from(".harmony/podman"),
        };
        let mut config = hp::Config::new(state, format!("provider:{}", self.on.host()));
        config.containers_conf = self.containers_conf.as_ref().map(PathBuf::from);
        hp::Podman::new(config).map_err(to_error)
    }
}

/// The podman crate's spec for `spec`: plain env as env, secrets as podman secrets (`None` for
/// an unresolved reference).
fn podman_spec(spec: &ContainerSpec) -> hp::ContainerSpec {
    let mut out = hp::ContainerSpec {
        name: spec.name.clone(),
        image: spec.image.to_string(),
        command: spec.command.clone(),
        network: hp::Network::Host,
        restart: hp::RestartPolicy::Always,
        ..Default::default()
    };
    for (name, value) in &spec.env {
        match value {
            EnvValue::Plain(v) => {
                out.env.insert(name.clone(), v.clone());
            }
            EnvValue::Secret(v) => {
                out.secrets
                    .insert(name.clone(), Some(hp::SecretValue::new(v.expose().clone())));
            }
            EnvValue::SecretRef(_) => {
                out.secrets.insert(name.clone(), None);
            }
        }
    }
    out.health = match (&spec.health, spec.ports.first()) {
        (Some(health), _) => Some(hp::Health::Command(health.command.clone())),
        (None, Some(port)) => Some(hp::Health::Tcp(u16::from(*port))),
        (None, None) => None,
    };
    out
}

fn health_timeout(spec: &ContainerSpec) -> Duration {
    spec.health
        .as_ref()
        .map(|h| h.timeout.into())
        .unwrap_or(DEFAULT_HEALTH_TIMEOUT)
}

fn to_error(e: hp::Error) -> Error {
    match e.kind {
        hp::ErrorKind::Podman | hp::ErrorKind::Unhealthy => Error::transient(e.message),
        hp::ErrorKind::ImageMissing
        | hp::ErrorKind::NotOurs
        | hp::ErrorKind::BadSpec
        | hp::ErrorKind::State => Error::permanent(e.message),
    }
}

impl Podman {
    async fn inspect_spec(&self, spec: &ContainerSpec) -> Result<Inspection> {
        let client = self.client()?;
        let wanted = podman_spec(spec);
        let podman_name = wanted.podman_name();
        Ok(match client.inspect(&wanted).await.map_err(to_error)? {
            hp::Observation::Absent => Inspection {
                change: Change::Create {
                    summary: format!(
                        "run container {} ({}) as podman container {podman_name}",
                        spec.name, spec.image
                    ),
                },
                observed: Observed::Absent,
            },
            hp::Observation::Same(info) => Inspection {
                change: if info.is_running() {
                    Change::None
                } else {
                    Change::Update {
                        diff: vec![
                            format!("- running: no ({})", info.state),
                            "+ running".to_string(),
                        ],
                    }
                },
                observed: Observed::Hash { value: info.digest },
            },
            hp::Observation::Different(info) => Inspection {
                change: Change::Update {
                    diff: vec![
                        format!(
                            "- podman container {podman_name} of an earlier spec ({})",
                            info.image
                        ),
                        format!("+ replaced: {} from this spec", spec.image),
                    ],
                },
                observed: Observed::Hash { value: info.digest },
            },
        })
    }

    async fn apply_spec(&self, spec: &ContainerSpec) -> Result<Outcome> {
        let client = self.client()?;
        let wanted = podman_spec(spec);
        let applied = client.apply(&wanted).await.map_err(to_error)?;
        client
            .wait_healthy(&wanted, health_timeout(spec))
            .await
            .map_err(to_error)?;
        let name = wanted.podman_name();
        Ok(match applied {
            hp::Applied::Unchanged => Outcome::Unchanged,
            hp::Applied::Started => {
                Outcome::changed(format!("started container {} again ({name})", spec.name))
            }
            hp::Applied::Created => Outcome::changed(format!(
                "created container {} ({name}, {}), healthy",
                spec.name, spec.image
            )),
            hp::Applied::Replaced => Outcome::changed(format!(
                "replaced container {} ({name}, {}): spec changed; healthy",
                spec.name, spec.image
            )),
        })
    }

    async fn remove_spec(&self, spec: &ContainerSpec) -> Result<Outcome> {
        let client = self.client()?;
        Ok(if client.remove(&spec.name).await.map_err(to_error)? {
            Outcome::changed(format!(
                "removed container {} ({})",
                spec.name,
                hp::container_name(&spec.name)
            ))
        } else {
            Outcome::Unchanged
        })
    }

    async fn live(&self) -> Result<Vec<LiveStatus>> {
        let client = self.client()?;
        let infos = client.list().await.map_err(to_error)?;
        Ok(infos
            .into_iter()
            .map(|info| LiveStatus {
                subject: format!("container {} on {}", info.logical, self.on.host()),
                state: if info.health.is_empty() {
                    info.state.clone()
                } else {
                    format!("{} ({})", info.state, info.health)
                },
                detail: format!(
                    "podman container {}, image {}, {} restart(s)",
                    info.name, info.image, info.restarts
                ),
            })
            .collect())
    }
}

impl ContainerRuntime for Podman {
    fn inspect<'a>(&'a self, resource: &'a ContainerSpec) -> BoxFuture<'a, Result<Inspection>> {
        Box::pin(self.inspect_spec(resource))
    }

    fn apply<'a>(&'a self, resource: &'a ContainerSpec) -> BoxFuture<'a, Result<Outcome>> {
        Box::pin(self.apply_spec(resource))
    }

    fn remove<'a>(&'a self, resource: &'a ContainerSpec) -> BoxFuture<'a, Result<Outcome>> {
        Box::pin(self.remove_spec(resource))
    }

    fn status<'a>(&'a self) -> BoxFuture<'a, Result<Vec<LiveStatus>>> {
        Box::pin(self.live())
    }
}
