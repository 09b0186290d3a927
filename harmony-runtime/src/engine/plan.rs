//! Plan documents: what `plan` prints and `plan --out` saves, made by inspecting every step (and
//! every resource to prune) against the world.

use std::sync::Arc;
use std::time::Duration;

use harmony_dsl::{
    Change, Error, Inspection, Interpret, Observed, Operation, Plan, Step, StepPolicy, Topology,
};
use serde::{Deserialize, Serialize};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::{Engine, EngineError, RunContext};
use crate::report::SCHEMA_VERSION;

/// What one step would do, as inspected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedStep {
    /// Step index.
    pub step: usize,
    /// Score instance.
    pub score: String,
    /// The operation, as a person reads it.
    pub operation: String,
    /// Resource id.
    pub resource: String,
    /// What applying would change; `null` when inspection failed.
    pub change: Option<Change>,
    /// What was read; `null` when inspection failed.
    pub observed: Option<Observed>,
    /// Why inspection failed (the step's state is unknown).
    pub error: Option<String>,
}

impl PlannedStep {
    /// `step` as listed before (or without) inspection: change, observation and error unknown.
    pub fn not_inspected(step: &Step) -> PlannedStep {
        PlannedStep {
            step: step.id.0,
            score: step.score.clone(),
            operation: step.operation.to_string(),
            resource: step.operation.resource_id(),
            change: None,
            observed: None,
            error: None,
        }
    }
}

/// A resource that would be removed because the plan no longer declares it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlannedRemoval {
    /// Resource id.
    pub resource: String,
    /// The operation recorded in the state when it was applied.
    pub operation: Operation,
    /// Always a `delete` change.
    pub change: Change,
    /// What was read; `null` when inspection failed.
    pub observed: Option<Observed>,
    /// Why inspection failed.
    pub error: Option<String>,
}

/// What plan and apply say of an adopted resource no longer declared.
pub(super) const ADOPTED_NOTE: &str = "left in place: adopted, not created by Harmony";

/// A resource no longer declared that is left in place: Harmony adopted it (it existed before
/// Harmony applied it) and did not create it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeftInPlace {
    /// Resource id.
    pub resource: String,
    /// Why it is left: "left in place: adopted, not created by Harmony".
    pub note: String,
}

/// Counts of a plan.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanSummary {
    /// Steps that would create something.
    pub create: usize,
    /// Steps that would update something.
    pub update: usize,
    /// Resources that would be removed.
    pub delete: usize,
    /// Steps already as desired.
    pub unchanged: usize,
    /// Steps that could not be inspected.
    pub unknown: usize,
    /// Steps not inspected because `plan --offline` inspects nothing (absent when 0).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub not_inspected: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// The document `plan --json` prints and `plan --out FILE` saves; `apply FILE` reads it.
#[derive(Debug, Serialize, Deserialize)]
#[serde(bound = "")]
pub struct PlanDocument<T> {
    /// [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// Always `"plan"`.
    pub command: String,
    /// The plan itself (after `--only`).
    pub plan: Plan<T>,
    /// Resources to remove, listed first.
    pub removals: Vec<PlannedRemoval>,
    /// One entry per step.
    pub steps: Vec<PlannedStep>,
    /// Counts.
    pub summary: PlanSummary,
    /// Adopted resources no longer declared, left in place (not removed); absent when none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub left_in_place: Vec<LeftInPlace>,
    /// Where each configuration key's value comes from (never the value); absent without a
    /// configuration.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub config: Vec<harmony_dsl::config::KeySource>,
    /// Which program made this plan and the digest of its steps: what `apply FILE` holds the
    /// program to. Absent only in documents not made by [`Engine::plan`](super::Engine::plan).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub program: Option<super::ProgramIdentity>,
}

impl<T: Topology> Engine<T> {
    /// The plan document without asking any provider anything (`plan --offline`): every step is
    /// listed as not inspected (it would be applied, and `apply` decides then whether it changes
    /// anything), the resources the state records that the plan no longer declares as deletions,
    /// not inspected either. It names no program: it cannot be applied as a saved plan.
    pub async fn plan_offline(&self, plan: Plan<T>) -> Result<PlanDocument<T>, EngineError> {
        let full = self.inflate(plan).await.plan;
        // Without `--only` the document's plan is `full` itself, moved in once the removals are
        // known instead of cloned (the copy was a third of the time at 10,000 apps).
        let narrowed = if self.only.is_some() || !full.problems.is_empty() {
            Some(self.select(&full, self.only.as_deref())?)
        } else {
            None
        };
        let state = super::record::load(&self.state, T::NAME)?;
        let removals: Vec<PlannedRemoval> = super::record::orphans(&state, &full)
            .into_iter()
            .map(|(resource, _, operation)| PlannedRemoval {
                change: Change::Delete {
                    summary: format!("remove {operation} (no longer declared)"),
                },
                resource,
                operation,
                observed: None,
                error: None,
            })
            .collect();
        let left_in_place = super::record::adopted_undeclared(&state, &full)
            .into_iter()
            .map(|(resource, _, _)| LeftInPlace {
                resource,
                note: ADOPTED_NOTE.to_string(),
            })
            .collect();
        let mut selected = narrowed.unwrap_or(full);
        let steps = selected
            .steps
            .iter()
            .map(PlannedStep::not_inspected)
            .collect();
        let summary = PlanSummary {
            delete: removals.len(),
            not_inspected: selected.steps.len(),
            ..PlanSummary::default()
        };
        crate::state::redact_private_content(&mut selected);
        Ok(self.document(selected, removals, steps, summary, left_in_place))
    }

    /// Inspects `plan` (and what `full` no longer declares) against the world.
    pub(super) async fn inspect(
        &self,
        plan: Plan<T>,
        full: &Plan<T>,
    ) -> Result<PlanDocument<T>, EngineError> {
        let state = super::record::load(&self.state, T::NAME)?;
        let orphans = super::record::orphans(&state, full);
        let left_in_place = super::record::adopted_undeclared(&state, full)
            .into_iter()
            .map(|(resource, _, _)| LeftInPlace {
                resource,
                note: ADOPTED_NOTE.to_string(),
            })
            .collect();
        let default_timeout = StepPolicy::default().timeout;
        let mut work: Vec<(Operation, std::time::Duration)> = orphans
            .iter()
            .map(|(_, _, op)| (op.clone(), default_timeout))
            .collect();
        work.extend(
            plan.steps
                .iter()
                .map(|s| (s.operation.clone(), s.policy.timeout)),
        );
        let mut results = inspect_all(&self.topology, &self.context, work, self.parallelism)
            .await
            .into_iter();
        let mut summary = PlanSummary::default();
        let mut removals = Vec::new();
        for (resource, _, operation) in orphans {
            let result = results
                .next()
                .unwrap_or_else(|| Err(harmony_dsl::Error::permanent("missing")));
            let (observed, error) = match result {
                Ok(inspection) => (Some(inspection.observed), None),
                Err(e) => (None, Some(masked(&e))),
            };
            summary.delete += 1;
            let change = Change::Delete {
                summary: format!("remove {operation} (no longer declared)"),
            };
            removals.push(PlannedRemoval {
                resource,
                operation,
                change,
                observed,
                error,
            });
        }
        let mut steps = Vec::new();
        for step in &plan.steps {
            let result = results
                .next()
                .unwrap_or_else(|| Err(harmony_dsl::Error::permanent("missing")));
            let (change, observed, error) = match result {
                Ok(inspection) => {
                    match &inspection.change {
                        Change::Create { .. } => summary.create += 1,
                        Change::Update { .. } => summary.update += 1,
                        Change::Delete { .. } => summary.delete += 1,
                        Change::None => summary.unchanged += 1,
                    }
                    (Some(inspection.change), Some(inspection.observed), None)
                }
                Err(e) => {
                    summary.unknown += 1;
                    (None, None, Some(masked(&e)))
                }
            };
            steps.push(PlannedStep {
                change,
                observed,
                error,
                ..PlannedStep::not_inspected(step)
            });
        }
        Ok(self.document(plan, removals, steps, summary, left_in_place))
    }

    /// A plan document of this engine (its configuration's sources), naming no program yet.
    fn document(
        &self,
        plan: Plan<T>,
        removals: Vec<PlannedRemoval>,
        steps: Vec<PlannedStep>,
        summary: PlanSummary,
        left_in_place: Vec<LeftInPlace>,
    ) -> PlanDocument<T> {
        PlanDocument {
            schema_version: SCHEMA_VERSION,
            command: "plan".into(),
            plan,
            removals,
            steps,
            summary,
            left_in_place,
            config: self.config.clone(),
            program: None,
        }
    }
}

/// Inspects `operations` (each with its timeout), at most `parallelism` at once; results in order.
async fn inspect_all<T: Topology>(
    topology: &Arc<T>,
    context: &Arc<RunContext>,
    operations: Vec<(Operation, Duration)>,
    parallelism: usize,
) -> Vec<Result<Inspection, Error>> {
    let limit = Arc::new(Semaphore::new(parallelism.max(1)));
    let mut tasks = JoinSet::new();
    let count = operations.len();
    for (i, (operation, timeout)) in operations.into_iter().enumerate() {
        let topology = Arc::clone(topology);
        let limit = Arc::clone(&limit);
        let context = Arc::clone(context);
        tasks.spawn(RunContext::scope(context, async move {
            let _permit = limit.acquire_owned().await;
            let result =
                tokio::time::timeout(timeout, Interpret::<T>::inspect(&operation, &*topology))
                    .await
                    .unwrap_or_else(|_| {
                        Err(Error::new(
                            harmony_dsl::ErrorKind::Timeout,
                            format!("inspect timed out after {}ms", timeout.as_millis()),
                        ))
                    });
            (i, result)
        }));
    }
    let mut results: Vec<Option<Result<Inspection, Error>>> = (0..count).map(|_| None).collect();
    while let Some(joined) = tasks.join_next().await {
        if let Ok((i, result)) = joined {
            results[i] = Some(result);
        }
    }
    results
        .into_iter()
        .map(|r| r.unwrap_or_else(|| Err(Error::permanent("inspect task ended abnormally"))))
        .collect()
}

/// An error's text with URL credentials masked.
fn masked(error: &Error) -> String {
    crate::redact::mask_url_credentials(&error.to_string()).into_owned()
}
