//! [`RolloutView`]: a rollout and its devices as read from the bucket, in the words `apply`,
//! `status` and the CLI print.

use std::collections::BTreeMap;

use harmony_dsl::Error;

use super::super::FleetStore;
use super::{DeviceRecord, DeviceState, RolloutPhase, RolloutRecord, Rollouts};

/// A rollout and its devices, as read from the bucket.
#[derive(Debug, Clone)]
pub struct RolloutView {
    /// The rollout.
    pub record: RolloutRecord,
    /// Its devices' records.
    pub devices: BTreeMap<String, DeviceRecord>,
}

impl RolloutView {
    /// How many of its devices are in `state`.
    pub fn count(&self, state: DeviceState) -> usize {
        self.record
            .stages
            .iter()
            .flat_map(|s| &s.devices)
            .filter(|d| self.state(d) == state)
            .count()
    }

    /// `device`'s state (pending when it has no record).
    pub fn state(&self, device: &str) -> DeviceState {
        self.devices
            .get(device)
            .map(|r| r.state)
            .unwrap_or(DeviceState::Pending)
    }

    /// One line: phase, stage, counts, and why it halted.
    pub fn summary(&self) -> String {
        let r = &self.record;
        let stage = if r.phase == RolloutPhase::Done {
            format!("all {} stages", r.stages.len())
        } else {
            format!(
                "{} ({} of {})",
                r.stage_name(),
                (r.stage + 1).min(r.stages.len()),
                r.stages.len()
            )
        };
        let mut line = format!(
            "{} at {stage}; {} done, {} failed, {} rolled back, {} in flight, {} pending",
            r.phase.as_str(),
            self.count(DeviceState::Done),
            self.count(DeviceState::Failed),
            self.count(DeviceState::RolledBack),
            self.count(DeviceState::InFlight),
            self.count(DeviceState::Pending),
        );
        if let Some(reason) = &r.reason {
            line.push_str(&format!("; {reason}"));
        }
        if r.phase == RolloutPhase::Halted {
            line.push_str(&format!(
                "; `harmony rollout resume {0}` tries the failed devices again, `harmony rollout abort {0}` rolls every device back",
                r.score
            ));
        }
        line
    }

    /// One line per stage: its devices and their states (with reasons).
    pub fn stage_lines(&self) -> Vec<String> {
        self.record
            .stages
            .iter()
            .map(|stage| {
                let devices: Vec<String> = stage
                    .devices
                    .iter()
                    .map(|d| {
                        let record = self.devices.get(d);
                        let state = self.state(d).as_str();
                        match record.and_then(|r| r.reason.as_deref()) {
                            Some(reason) => format!("{d} {state} ({reason})"),
                            None => format!("{d} {state}"),
                        }
                    })
                    .collect();
                format!("{}: {}", stage.name, devices.join(", "))
            })
            .collect()
    }
}

/// How a call ended: the rollout as it stands afterwards.
#[derive(Debug, Clone)]
pub struct RolloutReport {
    /// The rollout.
    pub view: RolloutView,
    /// Whether this call wrote anything (false: it was already done).
    pub acted: bool,
}

/// One status line per rollout in `store`'s namespace: its phase, where it stands, and each
/// stage's devices.
pub async fn status_lines(store: &FleetStore) -> Result<Vec<harmony_dsl::LiveStatus>, Error> {
    let rollouts = Rollouts::new(store.clone()).await?;
    let mut lines = Vec::new();
    for score in rollouts.book().scores().await? {
        let Some(view) = rollouts.view(&score).await? else {
            continue;
        };
        let mut detail = view.summary();
        for stage in view.stage_lines() {
            detail.push_str(&format!("\n    {stage}"));
        }
        lines.push(harmony_dsl::LiveStatus {
            subject: format!("rollout {score}"),
            state: view.record.phase.as_str().to_string(),
            detail,
        });
    }
    Ok(lines)
}
