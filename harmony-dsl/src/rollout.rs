//! [`RolloutPolicy`]: how a new version of a fleet score reaches its devices: a group of
//! devices, an optional canary, then waves, each device done only once its agent reports it
//! healthy at the new revision, and a failure threshold that halts the rollout and rolls the
//! failed and in-flight devices back.
//!
//! The policy is written with [`rollout!`](crate::rollout!), which checks it at compile time:
//! each rule below is a `const` item spanned on the value that breaks it, so `cargo check` (and
//! the editor) names the value and the fix. A group given by label has a size only the running
//! plan knows; its size-dependent rules are checked by [`RolloutPolicy::problems`] before the
//! rollout starts, with the same messages.
//!
//! The rules:
//! - a canary of N devices is at most the group; a percentage is 1% to 100%;
//! - at least one wave, and no more waves than devices after the canary;
//! - `max_unavailable: 0` needs a canary (else no device could ever be updated);
//! - `failure_threshold` is 1 to the group's size (else the rollout could never halt).

use serde::{Deserialize, Serialize};

use crate::failover_timing::Message;
use crate::value::Duration;

/// The devices a rollout covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RolloutGroup {
    /// These devices, in this order (the canary is taken from the front).
    Devices(Vec<String>),
    /// The score's devices that carry this label, in the score's order.
    Label(String),
}

/// The first devices updated, alone, before any wave.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Canary {
    /// No canary: the first wave starts at once.
    None,
    /// This many devices.
    Devices(u32),
    /// This percentage of the group, rounded up (at least one device).
    Percent(u32),
}

impl Canary {
    /// How many devices of a group of `group` devices the canary takes.
    pub fn devices(self, group: usize) -> usize {
        match self {
            Canary::None => 0,
            Canary::Devices(n) => (n as usize).min(group),
            Canary::Percent(p) => (group * p as usize).div_ceil(100).min(group),
        }
    }
}

/// How a fleet score's new desired state is rolled out; written with
/// [`rollout!`](crate::rollout!).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RolloutPolicy {
    /// The devices covered.
    pub group: RolloutGroup,
    /// The canary.
    pub canary: Canary,
    /// Waves after the canary.
    pub waves: u32,
    /// Devices of a wave updated at once (0: one at a time, allowed only after a canary).
    pub max_unavailable: u32,
    /// Failed devices at which the rollout halts and rolls back.
    pub failure_threshold: u32,
    /// How long a device must stay converged and healthy at the new revision to be done.
    pub healthy_for: Duration,
    /// How long a device may take to be done before it counts as failed.
    pub timeout: Duration,
}

/// One stage of a rollout: the canary or a wave, with its devices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stage {
    /// `canary`, `wave 1`, `wave 2`...
    pub name: String,
    /// Its devices, in order.
    pub devices: Vec<String>,
}

impl RolloutPolicy {
    /// Stands for a `rollout!` that has already reported an error, so that no second error
    /// follows. Never runs: the program does not compile.
    #[doc(hidden)]
    pub fn __unfinished() -> Self {
        unreachable!("a `rollout!` with an error does not compile")
    }

    /// What is wrong with this policy for a group of `group` devices: the compile-time checks'
    /// messages, for a group whose size only the plan knows (a label).
    pub fn problems(&self, group: u32) -> Vec<String> {
        let mut messages = Vec::new();
        let mut push = |m: Option<Message>| {
            if let Some(m) = m {
                messages.push(m.as_str().to_string());
            }
        };
        if group == 0 {
            return vec!["the rollout's group has no device: name at least one".to_string()];
        }
        let canary = match self.canary {
            Canary::None => 0,
            Canary::Devices(n) => {
                push(canary_devices_problem(n, group));
                n
            }
            Canary::Percent(p) => {
                push(canary_percent_problem(p));
                percent_of(p, group)
            }
        };
        push(waves_problem(self.waves, group, canary));
        push(max_unavailable_problem(
            self.max_unavailable,
            !matches!(self.canary, Canary::None),
        ));
        push(failure_threshold_problem(self.failure_threshold, group));
        messages
    }

    /// The stages for `devices` (the group, in order): the canary (when there is one), then
    /// `waves` waves of sizes as equal as they can be.
    pub fn stages(&self, devices: &[String]) -> Vec<Stage> {
        let canary = self.canary.devices(devices.len());
        let mut stages = Vec::new();
        if canary > 0 {
            stages.push(Stage {
                name: "canary".to_string(),
                devices: devices[..canary].to_vec(),
            });
        }
        let rest = &devices[canary..];
        let waves = (self.waves.max(1) as usize).min(rest.len().max(1));
        let (base, extra) = (rest.len() / waves, rest.len() % waves);
        let mut start = 0;
        for i in 0..waves {
            let len = base + usize::from(i < extra);
            if len == 0 {
                continue;
            }
            stages.push(Stage {
                name: format!("wave {}", i + 1),
                devices: rest[start..start + len].to_vec(),
            });
            start += len;
        }
        stages
    }

    /// How many devices of a stage of `stage` devices are updated at once.
    pub fn in_flight(&self, stage: usize) -> usize {
        (self.max_unavailable.max(1) as usize).min(stage.max(1))
    }
}

impl crate::value::ScoreField for RolloutPolicy {
    const KIND: crate::value::ValueKind = crate::value::ValueKind::Opaque;
}

const fn percent_of(percent: u32, group: u32) -> u32 {
    let n = (group as u64 * percent as u64).div_ceil(100);
    if n > group as u64 { group } else { n as u32 }
}

const fn canary_percent_problem(percent: u32) -> Option<Message> {
    if percent == 0 {
        return Some(Message::new().text(
            "a canary of `0%` updates no device: leave `canary` out for no canary, or write a \
             share of the group, e.g. `canary: 10%`",
        ));
    }
    if percent > 100 {
        return Some(
            Message::new()
                .text("a canary of `")
                .number(percent as u64)
                .text("%` is more than the whole group: a percentage goes from 1% to 100%, e.g. `canary: 10%`"),
        );
    }
    None
}

const fn canary_devices_problem(canary: u32, group: u32) -> Option<Message> {
    if canary == 0 {
        return Some(Message::new().text(
            "a canary of 0 devices updates nothing: leave `canary` out for no canary, or write \
             e.g. `canary: 1`",
        ));
    }
    if canary > group {
        return Some(
            Message::new()
                .text("a canary of ")
                .number(canary as u64)
                .text(" devices is larger than the group of ")
                .number(group as u64)
                .text(" devices: use at most ")
                .number(group as u64)
                .text(", e.g. `canary: 1`"),
        );
    }
    None
}

/// `group` 0: unknown (a label).
const fn waves_problem(waves: u32, group: u32, canary: u32) -> Option<Message> {
    if waves == 0 {
        return Some(Message::new().text(
            "a rollout needs at least one wave after the canary: write the number of waves, \
             e.g. `waves: 3`",
        ));
    }
    if group > 0 && canary < group && waves > group - canary {
        let rest = group - canary;
        return Some(
            Message::new()
                .number(waves as u64)
                .text(" waves for the ")
                .number(rest as u64)
                .text(" devices after the canary would leave waves empty: use at most ")
                .number(rest as u64)
                .text(", e.g. `waves: ")
                .number(if rest < 3 { rest as u64 } else { 3 })
                .text("`"),
        );
    }
    None
}

const fn max_unavailable_problem(max_unavailable: u32, has_canary: bool) -> Option<Message> {
    if max_unavailable == 0 && !has_canary {
        return Some(Message::new().text(
            "`max_unavailable: 0` with no canary lets no device be taken down for its update, \
             so the rollout could never start: allow one device at a time with \
             `max_unavailable: 1`, or start with a canary, e.g. `canary: 1`",
        ));
    }
    None
}

/// `group` 0: unknown (a label).
const fn failure_threshold_problem(threshold: u32, group: u32) -> Option<Message> {
    if threshold == 0 {
        return Some(Message::new().text(
            "`failure_threshold: 0` would halt the rollout before any device is updated: halt at \
             the first failed device with `failure_threshold: 1`",
        ));
    }
    if group > 0 && threshold > group {
        return Some(
            Message::new()
                .text("`failure_threshold: ")
                .number(threshold as u64)
                .text("` is larger than the group of ")
                .number(group as u64)
                .text(" devices, so the rollout could never halt: use at most ")
                .number(group as u64)
                .text(", e.g. `failure_threshold: 1`"),
        );
    }
    None
}

/// The checks [`rollout!`](crate::rollout!) evaluates in `const` items, each spanned on the value
/// it checks. Not for direct use.
#[doc(hidden)]
pub mod check {
    use super::*;

    /// `canary: N` against a group of `group` devices (0: unknown).
    pub const fn canary_devices(canary: u32, group: u32) {
        if group == 0 && canary > 0 {
            return;
        }
        if let Some(message) = canary_devices_problem(canary, group) {
            panic!("{}", message.as_str());
        }
    }

    /// `canary: P%`.
    pub const fn canary_percent(percent: u32) {
        if let Some(message) = canary_percent_problem(percent) {
            panic!("{}", message.as_str());
        }
    }

    /// `waves: W` for a group of `group` (0: unknown) with a canary of `canary` devices (or
    /// `percent` of the group when `canary` is `u32::MAX`).
    pub const fn waves(waves: u32, group: u32, canary: u32, percent: u32) {
        let canary = if canary == u32::MAX {
            percent_of(percent, group)
        } else {
            canary
        };
        if let Some(message) = waves_problem(waves, group, canary) {
            panic!("{}", message.as_str());
        }
    }

    /// `max_unavailable: M`.
    pub const fn max_unavailable(max_unavailable: u32, has_canary: bool) {
        if let Some(message) = max_unavailable_problem(max_unavailable, has_canary) {
            panic!("{}", message.as_str());
        }
    }

    /// `failure_threshold: T` for a group of `group` devices (0: unknown).
    pub const fn failure_threshold(threshold: u32, group: u32) {
        if let Some(message) = failure_threshold_problem(threshold, group) {
            panic!("{}", message.as_str());
        }
    }

    /// A duration literal.
    pub const fn duration(text: &str) -> Duration {
        match Duration::parse(text) {
            Ok(d) => d,
            Err(e) => panic!("{}", e.message()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(canary: Canary, waves: u32, max_unavailable: u32, threshold: u32) -> RolloutPolicy {
        RolloutPolicy {
            group: RolloutGroup::Label("edge".to_string()),
            canary,
            waves,
            max_unavailable,
            failure_threshold: threshold,
            healthy_for: Duration::from_nanos(1_000_000_000),
            timeout: Duration::from_nanos(60_000_000_000),
        }
    }

    fn names(n: usize) -> Vec<String> {
        (1..=n).map(|i| format!("d{i}")).collect()
    }

    #[test]
    fn stages_are_the_canary_then_waves_of_equal_size() {
        let stages = policy(Canary::Devices(1), 3, 1, 1).stages(&names(8));
        let sizes: Vec<(String, usize)> = stages
            .iter()
            .map(|s| (s.name.clone(), s.devices.len()))
            .collect();
        assert_eq!(
            sizes,
            [
                ("canary".to_string(), 1),
                ("wave 1".to_string(), 3),
                ("wave 2".to_string(), 2),
                ("wave 3".to_string(), 2)
            ]
        );
        assert_eq!(stages[0].devices, ["d1"]);
        assert_eq!(stages[3].devices, ["d7", "d8"]);
    }

    #[test]
    fn a_percentage_canary_rounds_up() {
        assert_eq!(Canary::Percent(10).devices(1000), 100);
        assert_eq!(Canary::Percent(10).devices(5), 1);
        assert_eq!(Canary::Percent(100).devices(5), 5);
        let stages = policy(Canary::Percent(100), 2, 1, 1).stages(&names(3));
        assert_eq!(stages.len(), 1, "{stages:?}");
    }

    #[test]
    fn a_label_groups_problems_are_the_compile_time_messages() {
        let p = policy(Canary::Devices(5), 2, 1, 9);
        assert_eq!(
            p.problems(4),
            [
                "a canary of 5 devices is larger than the group of 4 devices: use at most 4, e.g. `canary: 1`",
                "`failure_threshold: 9` is larger than the group of 4 devices, so the rollout could never halt: use at most 4, e.g. `failure_threshold: 1`",
            ]
        );
        assert!(policy(Canary::None, 2, 1, 1).problems(4).is_empty());
        assert_eq!(policy(Canary::None, 2, 0, 1).problems(4).len(), 1);
        assert_eq!(policy(Canary::Percent(120), 1, 1, 1).problems(4).len(), 1);
        assert_eq!(
            policy(Canary::Devices(1), 5, 1, 1).problems(4),
            [
                "5 waves for the 3 devices after the canary would leave waves empty: use at most 3, e.g. `waves: 3`"
            ]
        );
    }

    #[test]
    fn in_flight_is_at_least_one_and_at_most_the_stage() {
        assert_eq!(policy(Canary::Devices(1), 1, 0, 1).in_flight(5), 1);
        assert_eq!(policy(Canary::None, 1, 10, 1).in_flight(3), 3);
    }
}
