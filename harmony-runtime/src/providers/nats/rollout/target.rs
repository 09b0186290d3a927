//! [`RolloutTarget`]: what one rollout brings, and its group checked against the policy.

use std::collections::BTreeMap;

use harmony_dsl::Error;
use harmony_dsl::resource::DeviceSpec;
use harmony_dsl::rollout::{RolloutGroup, RolloutPolicy};

use super::super::wire::encode_spec;

/// What to roll out: a score's new desired state for each of its devices, and its policy.
#[derive(Debug, Clone)]
pub struct RolloutTarget {
    /// The score instance.
    pub score: String,
    /// Its rollout policy.
    pub policy: RolloutPolicy,
    /// The new desired state of each of its devices, in the score's order.
    pub specs: Vec<DeviceSpec>,
    /// Each device's labels (for a group by label).
    pub labels: BTreeMap<String, Vec<String>>,
}

impl RolloutTarget {
    /// The group's devices, in order, checked against the score's devices and the policy.
    pub fn group(&self) -> Result<Vec<String>, Error> {
        let devices: Vec<&str> = self.specs.iter().map(|s| s.device.as_str()).collect();
        let group: Vec<String> = match &self.policy.group {
            RolloutGroup::Devices(names) => {
                if let Some(stray) = names.iter().find(|n| !devices.contains(&n.as_str())) {
                    return Err(Error::permanent(format!(
                        "rollout of `{}`: device `{stray}` of its group is not one of the score's devices ({})",
                        self.score,
                        devices.join(", ")
                    )));
                }
                names.clone()
            }
            RolloutGroup::Label(label) => devices
                .iter()
                .filter(|d| {
                    self.labels
                        .get(**d)
                        .is_some_and(|l| l.iter().any(|l| l == label))
                })
                .map(|d| d.to_string())
                .collect(),
        };
        let outside: Vec<&str> = devices
            .iter()
            .copied()
            .filter(|d| !group.iter().any(|g| g == d))
            .collect();
        if !outside.is_empty() {
            return Err(Error::permanent(format!(
                "rollout of `{}`: devices {} are not in its group; add them to the group or take them out of the score",
                self.score,
                outside.join(", ")
            )));
        }
        let problems = self.policy.problems(group.len() as u32);
        if !problems.is_empty() {
            return Err(Error::permanent(format!(
                "rollout of `{}`: {}",
                self.score,
                problems.join("; ")
            )));
        }
        Ok(group)
    }

    /// The digest of the new desired state of `group`: which version this rollout brings.
    pub(super) fn digest(&self, group: &[String]) -> String {
        let mut bytes = Vec::new();
        for device in group {
            if let Some(spec) = self.specs.iter().find(|s| &s.device == device) {
                bytes.extend_from_slice(&encode_spec(spec));
                bytes.push(0);
            }
        }
        crate::hash::sha256_hex(bytes)
    }

    pub(super) fn spec(&self, device: &str) -> Result<&DeviceSpec, Error> {
        self.specs
            .iter()
            .find(|s| s.device == device)
            .ok_or_else(|| Error::permanent(format!("device `{device}` has no desired state")))
    }
}
