//! Rollouts inside `apply`: the engine tells its run context which scores carry a rollout
//! policy ([`RolloutRegistry::prepare`]); the first of such a score's device steps to run drives
//! the whole rollout (canary, then waves) and every other device step of the score waits for the
//! same rollout, then reports its own device: done at its new revision, or failed with the
//! reason. `harmony rollout resume|abort SCORE` run `apply` with a [`RolloutCommand`] for that
//! score.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use harmony_dsl::capability::Fleet;
use harmony_dsl::resource::DeviceSpec;
use harmony_dsl::rollout::RolloutPolicy;
use harmony_dsl::{Error, ErrorKind, HostInfo, Operation, Outcome, Plan, Step, StepId};
use tokio::sync::OnceCell;

use super::{DeviceState, RolloutPhase, RolloutTarget, RolloutView, Rollouts};
use crate::providers::NatsFleet;

/// What `apply` does with a score's rollout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RolloutCommand {
    /// Start it, or continue it (plain `apply`).
    Run,
    /// `harmony rollout resume`: move a halted rollout on.
    Resume,
    /// `harmony rollout abort`: roll every device it updated back.
    Abort,
}

/// One score's rollout in this run: its policy, its device steps' operations, and the result
/// every device step shares (an outcome or a permanent error; a transient error is not kept).
struct ScoreRollout {
    score: String,
    policy: RolloutPolicy,
    operations: Vec<Operation>,
    /// The steps of those operations.
    steps: Vec<StepId>,
    labels: BTreeMap<String, Vec<String>>,
    command: RolloutCommand,
    result: OnceCell<Result<RolloutView, (ErrorKind, String)>>,
}

/// The rollouts of one engine run, by score; held by the run context.
#[derive(Default)]
pub struct RolloutRegistry {
    scores: Mutex<BTreeMap<String, Arc<ScoreRollout>>>,
    commands: Mutex<BTreeMap<String, RolloutCommand>>,
    /// This run's operator name: a step retried after a timeout continues its own rollout.
    operator: std::sync::OnceLock<String>,
}

impl std::fmt::Debug for RolloutRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RolloutRegistry").finish_non_exhaustive()
    }
}

impl RolloutRegistry {
    /// Makes the next `apply` resume or abort `score`'s rollout instead of running it.
    pub fn command(&self, score: &str, command: RolloutCommand) {
        let mut commands = self.commands.lock().unwrap_or_else(|p| p.into_inner());
        commands.insert(score.to_string(), command);
    }

    /// Reads `plan`'s scores with a rollout policy (the `rollout` field of their spec) whose
    /// steps write device desired state; `hosts` give the devices' labels. Each such score's
    /// device steps then run side by side, each allowed the length of the whole rollout, and
    /// the steps waiting for the score wait for all of them.
    pub fn prepare<T>(&self, plan: &mut Plan<T>, hosts: &[HostInfo]) -> Result<(), Error> {
        let commands = self.commands.lock().unwrap_or_else(|p| p.into_inner());
        let mut scores = self.scores.lock().unwrap_or_else(|p| p.into_inner());
        scores.clear();
        let labels: BTreeMap<String, Vec<String>> = hosts
            .iter()
            .map(|h| {
                (
                    h.name.to_string(),
                    h.labels.iter().map(|l| l.to_string()).collect(),
                )
            })
            .collect();
        for entry in &plan.scores {
            let Some(value) = entry.spec.get("rollout").filter(|v| !v.is_null()) else {
                continue;
            };
            let policy: RolloutPolicy = serde_json::from_value(value.clone()).map_err(|e| {
                Error::permanent(format!(
                    "score `{}`: its rollout policy is not readable",
                    entry.name
                ))
                .with_source(e)
            })?;
            let steps: Vec<&Step> = entry
                .steps
                .iter()
                .filter_map(|id| plan.steps.iter().find(|s| s.id == *id))
                .filter(|s| s.operation.resource::<dyn Fleet>().is_some())
                .collect();
            scores.insert(
                entry.name.clone(),
                Arc::new(ScoreRollout {
                    score: entry.name.clone(),
                    policy,
                    operations: steps.iter().map(|s| s.operation.clone()).collect(),
                    steps: steps.iter().map(|s| s.id).collect(),
                    labels: labels.clone(),
                    command: commands
                        .get(&entry.name)
                        .copied()
                        .unwrap_or(RolloutCommand::Run),
                    result: OnceCell::new(),
                }),
            );
        }
        for rollout in scores.values() {
            one_rollout_per_score(&mut plan.steps, rollout);
        }
        Ok(())
    }

    fn find(&self, spec: &DeviceSpec) -> Option<Arc<ScoreRollout>> {
        let scores = self.scores.lock().unwrap_or_else(|p| p.into_inner());
        let id = spec.id();
        scores
            .values()
            .find(|r| {
                r.operations
                    .iter()
                    .filter_map(|op| op.resource::<dyn Fleet>())
                    .any(|s| s.id() == id)
            })
            .cloned()
    }
}

/// How long a NATS outage (a server restarted, a link down) a rollout rides out within one
/// `apply`: its device steps retry a transient failure at least this long before they fail.
const OUTAGE_RIDDEN_OUT: std::time::Duration = std::time::Duration::from_secs(60);

/// The wait between a rollout's retries after a transient failure: a steady poll for the server
/// to come back, not the step's doubling backoff, which would leave the rollout idle for tens of
/// seconds after the server is back.
const RETRY_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

/// Rewires a rollout score's device steps, which `score!` chains one after the other: one
/// rollout drives them all, so they wait together for the score's own dependencies, and a step
/// outside the score that waited for its last device step waits for every one of them. Without
/// this, a device failing under the failure threshold would skip the steps of the devices
/// after it (which the rollout did update), and a device failing late would not hold back the
/// score's dependants. Each step's timeout covers the whole rollout: every batch may take the
/// policy's `timeout` plus `healthy_for`; its retries cover [`OUTAGE_RIDDEN_OUT`] at one per
/// [`RETRY_EVERY`].
fn one_rollout_per_score(steps: &mut [Step], rollout: &ScoreRollout) {
    let ids = &rollout.steps;
    let Some(first) = steps.iter().find(|s| ids.contains(&s.id)) else {
        return;
    };
    let before: Vec<StepId> = first.depends_on.clone();
    let timeout = rollout_bound(rollout);
    let retries = (OUTAGE_RIDDEN_OUT.as_secs() / RETRY_EVERY.as_secs()) as u32;
    for step in steps.iter_mut() {
        if ids.contains(&step.id) {
            step.depends_on = before.clone();
            step.policy.timeout = step.policy.timeout.max(timeout);
            step.policy.retries = step.policy.retries.max(retries);
        } else if step.depends_on.iter().any(|d| ids.contains(d)) {
            for id in ids {
                if !step.depends_on.contains(id) {
                    step.depends_on.push(*id);
                }
            }
        }
    }
}

/// The longest a rollout of `rollout`'s devices may take: each batch is done, or failed,
/// within `timeout` plus `healthy_for`; a minute more for the writes.
fn rollout_bound(rollout: &ScoreRollout) -> std::time::Duration {
    let devices: Vec<String> = rollout
        .operations
        .iter()
        .filter_map(|op| op.resource::<dyn Fleet>())
        .map(|spec| spec.device.clone())
        .collect();
    let stages = rollout.policy.stages(&devices);
    let batches: usize = stages
        .iter()
        .map(|s| {
            s.devices
                .len()
                .div_ceil(rollout.policy.in_flight(s.devices.len()))
        })
        .sum();
    let per_batch = rollout.policy.timeout.as_std() + rollout.policy.healthy_for.as_std();
    per_batch * batches.max(1) as u32 + std::time::Duration::from_secs(60)
}

/// When `spec` belongs to a score with a rollout in the current run: its device's outcome,
/// once the rollout is over (driving it when no other step of the score has started it).
pub async fn apply_in_rollout(
    fleet: &NatsFleet,
    spec: &DeviceSpec,
) -> Option<Result<Outcome, Error>> {
    let context = crate::engine::RunContext::current()?;
    let rollout = context.rollouts.find(spec)?;
    let (owned_fleet, owned_rollout) = (fleet.clone(), Arc::clone(&rollout));
    let result = rollout
        .result
        .get_or_try_init(move || async move {
            match drive(&owned_fleet, &owned_rollout).await {
                Ok(view) => Ok(Ok(view)),
                // Not kept: the executor retries this step (every `RETRY_EVERY`, unless the
                // error asks for another wait), and the retry drives the rollout on from where
                // its state in the store says it stands (a NATS outage costs retries, not the
                // rollout).
                Err(e) if e.is_transient() => match e.retry_after() {
                    Some(_) => Err(e),
                    None => Err(e.with_retry_after(RETRY_EVERY)),
                },
                Err(e) => Ok(Err((e.kind(), e.message().to_string()))),
            }
        })
        .await;
    Some(match result {
        Ok(Ok(view)) => device_outcome(view, &spec.device),
        Ok(Err((kind, message))) => Err(Error::new(*kind, message.clone())),
        Err(transient) => Err(transient),
    })
}

async fn drive(fleet: &NatsFleet, rollout: &ScoreRollout) -> Result<RolloutView, Error> {
    let resolver = crate::config::SecretResolver::new();
    let mut specs = Vec::new();
    for operation in &rollout.operations {
        let resolved = resolver.resolve_operation(operation).await?;
        let operation = resolved.as_ref().unwrap_or(operation);
        if let Some(spec) = operation.resource::<dyn Fleet>() {
            specs.push(spec.clone());
        }
    }
    let target = RolloutTarget {
        score: rollout.score.clone(),
        policy: rollout.policy.clone(),
        specs,
        labels: rollout.labels.clone(),
    };
    let context = crate::engine::RunContext::current();
    let mut rollouts = Rollouts::new(fleet.store().await?).await?;
    if let Some(context) = context {
        let name = context
            .rollouts
            .operator
            .get_or_init(|| rollouts.operator().to_string());
        rollouts = rollouts.operator_name(name.clone());
    }
    let print = |line: &str| eprintln!("{line}");
    let report = match rollout.command {
        RolloutCommand::Run => rollouts.run(&target, &print).await?,
        RolloutCommand::Resume => rollouts.resume(&target, &print).await?,
        RolloutCommand::Abort => rollouts.abort(&target.score, &print).await?,
    };
    Ok(report.view)
}

/// `device`'s step outcome from the rollout as it ended.
fn device_outcome(view: &RolloutView, device: &str) -> Result<Outcome, Error> {
    let record = view.devices.get(device);
    let stage = view
        .record
        .stages
        .iter()
        .find(|s| s.devices.iter().any(|d| d == device))
        .map(|s| s.name.as_str())
        .unwrap_or("?");
    let reason = record.and_then(|r| r.reason.clone()).unwrap_or_default();
    match (view.record.phase, view.state(device)) {
        (RolloutPhase::Aborted, _) => Ok(Outcome::changed(format!(
            "rollout of `{}` aborted: device `{device}` ({stage}) is back at its previous desired state",
            view.record.score
        ))),
        (_, DeviceState::Done) => Ok(Outcome::changed(format!(
            "rolled out to device `{device}` in the {stage}, revision {}",
            record.and_then(|r| r.new_revision).unwrap_or_default()
        ))),
        (_, DeviceState::Failed) => Err(Error::permanent(format!(
            "device `{device}` failed in the {stage} of the rollout: {reason}"
        ))),
        (_, DeviceState::RolledBack) => Err(Error::permanent(format!(
            "device `{device}` was rolled back: {reason}"
        ))),
        (_, state) => Err(Error::permanent(format!(
            "device `{device}` ({stage}) is {}: the rollout of `{}` is {}",
            state.as_str(),
            view.record.score,
            view.summary()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use harmony_dsl::StepPolicy;
    use harmony_dsl::rollout::{Canary, RolloutGroup};

    use super::*;

    fn step(id: usize, score: &str, device: Option<&str>, depends_on: &[usize]) -> Step {
        let operation = match device {
            Some(device) => Operation::new::<dyn Fleet>(DeviceSpec {
                device: device.to_string(),
                workloads: Vec::new(),
            }),
            None => Operation::new::<dyn Fleet>(DeviceSpec {
                device: format!("other-{id}"),
                workloads: Vec::new(),
            }),
        };
        Step {
            id: StepId(id),
            score: score.to_string(),
            operation,
            depends_on: depends_on.iter().map(|d| StepId(*d)).collect(),
            policy: StepPolicy::default(),
        }
    }

    #[test]
    fn a_rollout_scores_device_steps_wait_together_and_its_dependants_wait_for_all_of_them() {
        // `before` (#0), the rollout score's devices d1..d3 chained (#1..#3), `after` (#4)
        // waiting for the last of them.
        let mut steps = vec![
            step(0, "before", None, &[]),
            step(1, "vision", Some("d1"), &[0]),
            step(2, "vision", Some("d2"), &[1]),
            step(3, "vision", Some("d3"), &[2]),
            step(4, "after", None, &[3]),
        ];
        let devices: Vec<String> = ["d1", "d2", "d3"].map(String::from).to_vec();
        let rollout = ScoreRollout {
            score: "vision".to_string(),
            policy: RolloutPolicy {
                group: RolloutGroup::Devices(devices),
                canary: Canary::Devices(1),
                waves: 1,
                max_unavailable: 1,
                failure_threshold: 1,
                healthy_for: "10s".parse().expect("duration"),
                timeout: "5m".parse().expect("duration"),
            },
            operations: steps[1..4].iter().map(|s| s.operation.clone()).collect(),
            steps: vec![StepId(1), StepId(2), StepId(3)],
            labels: BTreeMap::new(),
            command: RolloutCommand::Run,
            result: OnceCell::new(),
        };
        one_rollout_per_score(&mut steps, &rollout);
        for device_step in &steps[1..4] {
            assert_eq!(device_step.depends_on, [StepId(0)], "{device_step:?}");
            // Canary 1 then a wave of 2 one at a time: 3 batches of at most 5m10s, and a
            // minute for the writes.
            assert_eq!(
                device_step.policy.timeout,
                Duration::from_secs(3 * 310 + 60)
            );
            // A minute of NATS outage, retried every second.
            assert_eq!(device_step.policy.retries, 60);
        }
        assert_eq!(steps[4].depends_on, [StepId(3), StepId(1), StepId(2)]);
        assert_eq!(steps[0].depends_on, []);
        assert_eq!(steps[0].policy, StepPolicy::default());
    }
}
