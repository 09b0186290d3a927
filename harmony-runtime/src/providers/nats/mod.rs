//! The device fleet over NATS JetStream: [`NatsFleet`] writes each device's
//! desired state to a key-value bucket, the `harmony-agent` on each device reconciles it and
//! reports back in a status bucket. The key layout is described in [`wire`].
//!
//! **Minimum server: nats-server 2.10** with JetStream enabled (see [`connect`]).
//!
//! Connection settings beside the URL come from the environment
//! ([`ConnectConfig::from_env`]: `HARMONY_NATS_USER`/`_PASSWORD`, `_TOKEN`, `_CREDS`, `_TLS_*`),
//! so no secret is written in an infrastructure file.

pub mod commands;
pub mod rollout;
pub mod store;

/// The wire contract shared with `harmony-agent` (the `harmony-fleet-wire` crate).
pub use harmony_fleet_wire as wire;
/// The NATS connection the operator and the agent make (from `harmony-fleet-wire`).
pub use harmony_fleet_wire::connect;

use harmony_dsl::capability::Fleet;
use harmony_dsl::resource::DeviceSpec;
use harmony_dsl::{BoxFuture, Error, Inspection, Outcome, Result};

pub use commands::{CommandError, DeviceCommands};
pub use connect::{ConnectConfig, MIN_SERVER_VERSION};
pub use store::FleetStore;
pub use wire::{DeviceStatus, Phase, WorkloadState, WorkloadStatus};

use super::NatsFleet;

impl NatsFleet {
    /// The namespace (first key token) this fleet's keys are written under.
    pub fn namespace() -> String {
        std::env::var(wire::NAMESPACE_ENV)
            .ok()
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| wire::DEFAULT_NAMESPACE.to_string())
    }

    /// A connected store: the one the engine running this call pools for this URL (see
    /// [`RunContext`](crate::engine::RunContext)), or a new connection.
    pub async fn store(&self) -> Result<FleetStore> {
        let id = (self.url.to_string(), Self::namespace());
        let context = crate::engine::RunContext::current();
        let cached = context.as_ref().and_then(|c| c.nats_store(&id));
        if let Some(store) = cached
            && store.client().connection_state() == async_nats::connection::State::Connected
        {
            return Ok(store);
        }
        let mut config = ConnectConfig::from_env();
        config.name = Some("harmony".to_string());
        let store = FleetStore::connect(&id.0, &config, &id.1).await?;
        if let Some(context) = &context {
            context.keep_nats_store(id, Some(store.clone()));
        }
        Ok(store)
    }

    fn forget(&self, error: &Error) {
        if error.is_transient()
            && let Some(context) = crate::engine::RunContext::current()
        {
            context.keep_nats_store((self.url.to_string(), Self::namespace()), None);
        }
    }

    fn check_device(&self, spec: &DeviceSpec) -> Result<()> {
        if self.devices.is_empty() || self.devices.iter().any(|d| d.host() == spec.device) {
            return Ok(());
        }
        let names: Vec<&str> = self.devices.iter().map(|d| d.host()).collect();
        Err(Error::permanent(format!(
            "device `{}` is not in this fleet (devices: {})",
            spec.device,
            names.join(", ")
        )))
    }
}

impl Fleet for NatsFleet {
    fn inspect<'a>(&'a self, spec: &'a DeviceSpec) -> BoxFuture<'a, Result<Inspection>> {
        Box::pin(async move {
            self.check_device(spec)?;
            let result = self.store().await?.inspect(spec).await;
            if let Err(e) = &result {
                self.forget(e);
            }
            result
        })
    }

    fn apply<'a>(&'a self, spec: &'a DeviceSpec) -> BoxFuture<'a, Result<Outcome>> {
        Box::pin(async move {
            self.check_device(spec)?;
            if let Some(outcome) = rollout::apply_in_rollout(self, spec).await {
                return outcome;
            }
            let result = self.store().await?.apply(spec).await;
            if let Err(e) = &result {
                self.forget(e);
            }
            result
        })
    }

    fn remove<'a>(&'a self, spec: &'a DeviceSpec) -> BoxFuture<'a, Result<Outcome>> {
        Box::pin(async move {
            let result = self.store().await?.remove(spec).await;
            if let Err(e) = &result {
                self.forget(e);
            }
            result
        })
    }

    /// Each device's agent status: online / offline, converged / converging / failed, with the
    /// revisions it applied and its last heartbeat.
    fn status<'a>(&'a self) -> BoxFuture<'a, Result<Vec<harmony_dsl::LiveStatus>>> {
        Box::pin(async move {
            let store = self.store().await?;
            let now = wire::now_ms();
            let mut lines = Vec::new();
            let mut reported = Vec::new();
            for device in &self.devices {
                let line = match store.status(device.host()).await {
                    Err(e) => {
                        self.forget(&e);
                        return Err(e);
                    }
                    Ok(None) => harmony_dsl::LiveStatus {
                        subject: format!("device {}", device.host()),
                        state: "unknown".to_string(),
                        detail: "its agent has never reported".to_string(),
                    },
                    Ok(Some(status)) => {
                        let line = device_line(&status, now);
                        reported.push(status);
                        line
                    }
                };
                lines.push(line);
            }
            lines.extend(unreachable_sites(&reported, now));
            lines.extend(rollout::status_lines(&store).await?);
            Ok(lines)
        })
    }
}

/// One device's status line: `online converged` and the revisions and heartbeat age.
fn device_line(status: &wire::DeviceStatus, now_ms: u64) -> harmony_dsl::LiveStatus {
    let phase = match status.phase {
        wire::Phase::Converging => "converging",
        wire::Phase::Converged => "converged",
        wire::Phase::Failed => "failed",
        wire::Phase::Offline => "stopped",
        wire::Phase::Stale => "stale",
    };
    let online = if status.online_at(now_ms) {
        "online"
    } else {
        "offline"
    };
    let revisions: Vec<String> = status
        .applied
        .iter()
        .map(|(key, rev)| match rev {
            0 => format!("{key} (kept from a reset store: apply it again or delete it)"),
            _ => format!("{key}@{rev}"),
        })
        .collect();
    let age_s = now_ms.saturating_sub(status.heartbeat_ms) / 1000;
    let failed: Vec<String> = status
        .workloads
        .iter()
        .filter_map(|w| w.message.as_ref().map(|m| format!("{}: {m}", w.name)))
        .collect();
    let mut detail = format!(
        "applied {}; last heartbeat {age_s}s ago",
        if revisions.is_empty() {
            "nothing".to_string()
        } else {
            revisions.join(", ")
        }
    );
    if let Some(server) = &status.server {
        detail.push_str(&format!("; via {server}"));
    }
    if !failed.is_empty() {
        detail.push_str(&format!("; {}", failed.join("; ")));
    }
    harmony_dsl::LiveStatus {
        subject: format!("device {}", status.device),
        state: format!("{online} {phase}"),
        detail,
    }
}

/// A line `site <server> unreachable` for each NATS server (a site's leaf node, as the agents
/// report in [`DeviceStatus::server`](wire::DeviceStatus::server)) through which every device
/// that reported went silent and none is online: one device's stale heartbeat only says that
/// device is quiet, but all of a site's devices going quiet together points at what they share,
/// the leaf node or its uplink. A cut link and a site without power look the same from here, so
/// the line says unreachable, not why. Devices stopped cleanly said goodbye and count for neither.
pub fn unreachable_sites(
    statuses: &[wire::DeviceStatus],
    now_ms: u64,
) -> Vec<harmony_dsl::LiveStatus> {
    let mut sites: std::collections::BTreeMap<&str, Vec<&wire::DeviceStatus>> =
        std::collections::BTreeMap::new();
    for status in statuses {
        if let Some(server) = &status.server {
            sites.entry(server.as_str()).or_default().push(status);
        }
    }
    sites
        .into_iter()
        .filter(|(_, devices)| {
            !devices.iter().any(|d| d.online_at(now_ms))
                && devices.iter().any(|d| d.silent_at(now_ms))
        })
        .map(|(server, devices)| {
            let silent: Vec<&str> = devices
                .iter()
                .filter(|d| d.silent_at(now_ms))
                .map(|d| d.device.as_str())
                .collect();
            let last = devices.iter().map(|d| d.heartbeat_ms).max().unwrap_or(0);
            harmony_dsl::LiveStatus {
                subject: format!("site {server}"),
                state: "unreachable".to_string(),
                detail: format!(
                    "no device online through it; {} went silent ({}), last heartbeat {}s \
                     ago; they keep running their last desired state",
                    match silent.len() {
                        1 => "1 device".to_string(),
                        n => format!("{n} devices"),
                    },
                    silent.join(", "),
                    now_ms.saturating_sub(last) / 1000
                ),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(
        device: &str,
        server: Option<&str>,
        online: bool,
        heartbeat_ms: u64,
    ) -> wire::DeviceStatus {
        wire::DeviceStatus {
            device: device.into(),
            phase: if online {
                wire::Phase::Converged
            } else {
                wire::Phase::Offline
            },
            online,
            applied: Default::default(),
            workloads: Vec::new(),
            heartbeat_ms,
            heartbeat_interval_ms: 1_000,
            server: server.map(str::to_string),
        }
    }

    #[test]
    fn a_site_is_unreachable_only_when_none_of_its_devices_answers_and_one_went_silent() {
        let now = 60_000;
        // site-a: one silent, one stopped cleanly: unreachable (the stopped one said goodbye).
        // site-b: every device stopped cleanly: nothing is known to be wrong with the site.
        // No server reported (an older agent): never grouped.
        let statuses = [
            status("a1", Some("site-a"), true, 10_000),
            status("a2", Some("site-a"), false, 20_000),
            status("b1", Some("site-b"), false, 10_000),
            status("c1", None, true, 10_000),
        ];
        let lines = unreachable_sites(&statuses, now);
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert_eq!(lines[0].subject, "site site-a");
        assert!(
            lines[0].detail.contains("1 device went silent (a1)"),
            "{lines:?}"
        );
        assert!(
            lines[0].detail.contains("last heartbeat 40s ago"),
            "{lines:?}"
        );
        // One device answering is enough to call the site reachable.
        let mut answering = statuses.to_vec();
        answering.push(status("a3", Some("site-a"), true, 59_500));
        assert!(unreachable_sites(&answering, now).is_empty());
    }
}
