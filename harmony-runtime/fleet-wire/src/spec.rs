//! The desired state of a device: what its agent runs, as the operator publishes it.

use std::collections::BTreeMap;

use harmony_values::{ImageRef, Secret, SecretRef};
use serde::{Deserialize, Serialize};

/// A value of an environment variable: plain, or a secret that is never printed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum EnvValue {
    /// Shown in plans.
    Plain(String),
    /// Redacted everywhere.
    Secret(Secret<String>),
    /// A secret from configuration, by reference: the runtime reads it from its source when it
    /// applies the step (into [`EnvValue::Secret`]); plans and state hold only the reference.
    SecretRef(SecretRef),
}

/// The desired state of one device in a fleet (harmony-dsl's `Fleet` capability manages these).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceSpec {
    /// Device (host) name.
    pub device: String,
    /// What should run there.
    pub workloads: Vec<Workload>,
}

impl DeviceSpec {
    /// Stable identity: `device:<name>/<workload>[+<workload>...]`.
    pub fn id(&self) -> String {
        let names: Vec<&str> = self.workloads.iter().map(|w| w.name.as_str()).collect();
        format!("device:{}/{}", self.device, names.join("+"))
    }
}

/// One thing that runs on a device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Workload {
    /// Name, unique on the device.
    pub name: String,
    /// How it runs.
    pub run: WorkloadRun,
    /// Environment.
    pub env: BTreeMap<String, EnvValue>,
}

/// How a workload runs on a device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum WorkloadRun {
    /// A container image, run by the device's container runtime.
    Container {
        /// The image.
        image: ImageRef,
    },
    /// A plain supervised process.
    Process {
        /// Program and arguments.
        command: Vec<String>,
    },
}
