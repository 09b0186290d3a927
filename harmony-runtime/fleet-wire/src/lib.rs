//! The wire contract of Harmony's device fleet, shared by the operator side (`harmony-runtime`'s
//! `NatsFleet`) and the device agent (`harmony-agent`): bucket names, key layout, the desired state
//! ([`DeviceSpec`]) and its encoding, and the status record ([`DeviceStatus`]). With the `nats`
//! feature, the `connect` module holds the NATS connection both sides make (credentials, TLS, the server
//! version check, the buckets).
//!
//! # Key-value layout
//!
//! | bucket | key | value |
//! | --- | --- | --- |
//! | `harmony-desired` | `<namespace>.<device>.<workload set>` | a [`DeviceSpec`] as JSON (secrets in clear) |
//! | `harmony-status` | `<device>` | a [`DeviceStatus`] as JSON, rewritten on every change and heartbeat |
//!
//! Each part is one key token, escaped by [`key_token`]: `[A-Za-z0-9_-]` are kept, every other
//! byte is written `=XX` (upper-case hex), and an empty part is `=`. So `device:north/sensors+updater`
//! in namespace `default` is key `default.north.sensors=2Bupdater`. The escaping is injective, so
//! two different specs never share a key, and a device's keys all match the NATS subject filter
//! `*.<device>.*` ([`device_filter`]), which is what its agent watches and what the per-device
//! permissions allow. The namespace is the fleet's topology, `default` unless
//! `HARMONY_FLEET_NAMESPACE` names another one.
//!
//! # Device commands
//!
//! Beside the buckets, each agent answers requests on its own subject `harmony.cmd.<device>`
//! (ping, a workload's last log lines, restart a workload): see [`command`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub mod command;
#[cfg(feature = "nats")]
pub mod connect;
mod error;
mod spec;

pub use error::Error;
pub use spec::{DeviceSpec, EnvValue, Workload, WorkloadRun};

/// Bucket holding every device's desired state.
pub const DESIRED_BUCKET: &str = "harmony-desired";
/// Bucket holding every device's status and heartbeat.
pub const STATUS_BUCKET: &str = "harmony-status";
/// Namespace used when `HARMONY_FLEET_NAMESPACE` is unset.
pub const DEFAULT_NAMESPACE: &str = "default";
/// Environment variable naming the namespace (first key token) of the keys `NatsFleet` writes.
pub const NAMESPACE_ENV: &str = "HARMONY_FLEET_NAMESPACE";

/// Escapes one part of a key into a single valid NATS key-value token (see the module docs).
pub fn key_token(part: &str) -> String {
    if part.is_empty() {
        return "=".to_string();
    }
    let mut out = String::with_capacity(part.len());
    for byte in part.bytes() {
        if byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'-' {
            out.push(byte as char);
        } else {
            out.push_str(&format!("={byte:02X}"));
        }
    }
    out
}

/// Reverses [`key_token`]; `None` when `token` is not one of its outputs.
pub fn decode_token(token: &str) -> Option<String> {
    if token == "=" {
        return Some(String::new());
    }
    let bytes = token.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' {
            let hex = token.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The desired-state key of `spec` in `namespace`: `<namespace>.<device>.<workload set>`.
pub fn desired_key(namespace: &str, spec: &DeviceSpec) -> String {
    let names: Vec<&str> = spec.workloads.iter().map(|w| w.name.as_str()).collect();
    format!(
        "{}.{}.{}",
        key_token(namespace),
        key_token(&spec.device),
        key_token(&names.join("+"))
    )
}

/// The key filter matching every desired-state key of `device`, in any namespace.
pub fn device_filter(device: &str) -> String {
    format!("*.{}.*", key_token(device))
}

/// The status key of `device`.
pub fn status_key(device: &str) -> String {
    key_token(device)
}

/// The bytes stored for `spec`: JSON with secret values in clear (the device needs them; the
/// per-device permissions keep other devices from reading them). Deterministic, so equal specs
/// have equal bytes.
pub fn encode_spec(spec: &DeviceSpec) -> Vec<u8> {
    let mut value = serde_json::to_value(spec).unwrap_or(serde_json::Value::Null);
    // `Secret` serialises as `<redacted>`: put the real values back in.
    if let Some(workloads) = value.get_mut("workloads").and_then(|w| w.as_array_mut()) {
        for (json, workload) in workloads.iter_mut().zip(&spec.workloads) {
            for (name, env) in &workload.env {
                if let EnvValue::Secret(secret) = env
                    && let Some(slot) = json.pointer_mut(&format!("/env/{}/value", pointer(name)))
                {
                    *slot = serde_json::Value::String(secret.expose().clone());
                }
            }
        }
    }
    serde_json::to_vec(&value).unwrap_or_default()
}

fn pointer(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// Reads bytes written by [`encode_spec`].
pub fn decode_spec(bytes: &[u8]) -> Result<DeviceSpec, serde_json::Error> {
    serde_json::from_slice(bytes)
}

/// `spec` as pretty JSON with secrets redacted: what plans show.
pub fn redacted_json(spec: &DeviceSpec) -> String {
    serde_json::to_string_pretty(spec).unwrap_or_default()
}

/// Where a device stands, as its agent last reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Some desired workload is not running yet.
    Converging,
    /// Every desired workload runs as specified.
    Converged,
    /// Some desired workload cannot run (see its message).
    Failed,
    /// The device runs desired state kept from a store that was reset (recreated, restored from
    /// empty) and that the current store does not hold (revision 0 in `applied`): apply it again,
    /// or delete its key, to settle it. Never reported as converged.
    Stale,
    /// The agent stopped (written on a clean shutdown).
    Offline,
}

/// The state of one workload on a device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WorkloadState {
    /// Being started.
    Starting,
    /// Its process runs.
    Running,
    /// It exited and waits before the next restart.
    BackingOff,
    /// It cannot run (no container runtime, program not found...).
    Failed,
}

/// One workload in a [`DeviceStatus`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkloadStatus {
    /// Workload name.
    pub name: String,
    /// Desired-state key it comes from.
    pub key: String,
    /// Its state.
    pub state: WorkloadState,
    /// Process id while running.
    pub pid: Option<u32>,
    /// Restarts since it was (re)started by a spec change.
    pub restarts: u32,
    /// Why it failed or last exited.
    pub message: Option<String>,
}

/// What a device's agent writes to the status bucket under [`status_key`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceStatus {
    /// Device name.
    pub device: String,
    /// Overall phase.
    pub phase: Phase,
    /// Whether the agent was connected to NATS when it wrote this (always true when written live).
    pub online: bool,
    /// The revision of every desired key the agent runs.
    pub applied: BTreeMap<String, u64>,
    /// Per-workload state.
    pub workloads: Vec<WorkloadStatus>,
    /// When this was written, milliseconds since the Unix epoch: the heartbeat.
    pub heartbeat_ms: u64,
    /// How often the agent writes a heartbeat, in milliseconds: a status older than a few of
    /// these means the agent is offline.
    pub heartbeat_interval_ms: u64,
    /// The name of the NATS server the agent is connected through (its site's leaf node, from
    /// the server's `INFO`), which is how `status` groups devices into sites; `None` when the
    /// server has no configured `server_name` or the status was written by an older agent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
}

impl DeviceStatus {
    /// Whether the device reports `key` converged at exactly `revision`.
    pub fn converged_at(&self, key: &str, revision: u64) -> bool {
        self.phase == Phase::Converged && self.applied.get(key) == Some(&revision)
    }

    /// Whether the agent counts as online at `now_ms`: it said so, and its last heartbeat is
    /// no older than three heartbeat intervals.
    pub fn online_at(&self, now_ms: u64) -> bool {
        self.online
            && now_ms.saturating_sub(self.heartbeat_ms)
                <= self.heartbeat_interval_ms.saturating_mul(3)
    }

    /// Whether the agent went silent at `now_ms`: it was online when it last wrote, and its
    /// heartbeat is now too old (a cleanly stopped agent is not silent: it said goodbye).
    pub fn silent_at(&self, now_ms: u64) -> bool {
        self.online && !self.online_at(now_ms)
    }
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use harmony_values::Secret;

    fn spec(device: &str, names: &[&str]) -> DeviceSpec {
        DeviceSpec {
            device: device.into(),
            workloads: names
                .iter()
                .map(|n| Workload {
                    name: (*n).into(),
                    run: WorkloadRun::Process {
                        command: vec!["sleep".into(), "100".into()],
                    },
                    env: BTreeMap::new(),
                })
                .collect(),
        }
    }

    #[test]
    fn keys_are_valid_and_injective() {
        let a = desired_key("default", &spec("north", &["sensors", "updater"]));
        assert_eq!(a, "default.north.sensors=2Bupdater");
        let b = desired_key("default", &spec("north", &["sensors+updater"]));
        assert_eq!(a, b, "the key is derived from the workload set's id");
        let c = desired_key("default", &spec("no.rth", &["a b"]));
        assert_eq!(c, "default.no=2Erth.a=20b");
        assert_eq!(desired_key("x", &spec("d", &[])), "x.d.=");
        for token in ["north", "no.rth", "", "a=b", "ü/+"] {
            assert_eq!(decode_token(&key_token(token)).as_deref(), Some(token));
        }
        assert_eq!(device_filter("north"), "*.north.*");
    }

    #[test]
    fn secrets_travel_in_clear_but_plans_redact_them() {
        let mut s = spec("north", &["a"]);
        s.workloads[0].env.insert(
            "TOKEN".into(),
            EnvValue::Secret(Secret::new("s3cret".to_string())),
        );
        s.workloads[0]
            .env
            .insert("MODE".into(), EnvValue::Plain("fast".into()));
        let bytes = encode_spec(&s);
        let back = decode_spec(&bytes).unwrap();
        assert_eq!(back, s);
        match &back.workloads[0].env["TOKEN"] {
            EnvValue::Secret(v) => assert_eq!(v.expose(), "s3cret"),
            other => panic!("{other:?}"),
        }
        assert!(!redacted_json(&s).contains("s3cret"));
    }

    #[test]
    fn a_status_without_recent_heartbeat_is_offline() {
        let status = DeviceStatus {
            device: "north".into(),
            phase: Phase::Converged,
            online: true,
            applied: BTreeMap::from([("default.north.a".to_string(), 7)]),
            workloads: Vec::new(),
            heartbeat_ms: 10_000,
            heartbeat_interval_ms: 1_000,
            server: None,
        };
        assert!(status.online_at(12_999));
        assert!(!status.online_at(13_001));
        assert!(status.converged_at("default.north.a", 7));
        assert!(!status.converged_at("default.north.a", 6));
        let stopped = DeviceStatus {
            online: false,
            ..status
        };
        assert!(!stopped.online_at(10_000));
    }
}
