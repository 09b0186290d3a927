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
use harmony_dsl::{Error, ErrorKind, HostInfo, Operation, Outcome, Plan};
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
/// every device step shares.
struct ScoreRollout {
    score: String,
    policy: RolloutPolicy,
    operations: Vec<Operation>,
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
    /// steps write device desired state; `hosts` give the devices' labels.
    pub fn prepare<T>(&self, plan: &Plan<T>, hosts: &[HostInfo]) -> Result<(), Error> {
        let commands = self.commands.lock().unwrap_or_else(|p| p.into_inner());
        let mut scores = self.scores.lock().unwrap_or_else(|p| p.into_inner());
        scores.clear();
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
            let operations: Vec<Operation> = entry
                .steps
                .iter()
                .filter_map(|id| plan.steps.iter().find(|s| s.id == *id))
                .map(|s| s.operation.clone())
                .filter(|op| op.resource::<dyn Fleet>().is_some())
                .collect();
            let labels = hosts
                .iter()
                .map(|h| {
                    (
                        h.name.to_string(),
                        h.labels.iter().map(|l| l.to_string()).collect(),
                    )
                })
                .collect();
            scores.insert(
                entry.name.clone(),
                Arc::new(ScoreRollout {
                    score: entry.name.clone(),
                    policy,
                    operations,
                    labels,
                    command: commands
                        .get(&entry.name)
                        .copied()
                        .unwrap_or(RolloutCommand::Run),
                    result: OnceCell::new(),
                }),
            );
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
        .get_or_init(move || async move {
            drive(&owned_fleet, &owned_rollout)
                .await
                .map_err(|e| (e.kind(), e.message().to_string()))
        })
        .await;
    Some(match result {
        Ok(view) => device_outcome(view, &spec.device),
        Err((kind, message)) => Err(Error::new(*kind, message.clone())),
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
