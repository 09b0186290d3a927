//! `plan [--out FILE]`: inspect every step (and every resource to prune), print the changes.

use std::path::PathBuf;

use harmony_dsl::{Change, Observed, Operation, Plan, StepPolicy, Topology};
use serde::{Deserialize, Serialize};

use super::{Ctx, ExitStatus, adopted_undeclared, inspect_all, orphans};
use crate::report::SCHEMA_VERSION;
use crate::safe_fs::{WriteOptions, write_file};
use crate::state::redact_private_content;

/// What plan and apply say of an adopted resource no longer declared.
pub(super) const ADOPTED_NOTE: &str = "left in place: adopted, not created by Harmony";

/// A resource no longer declared that is left in place: Harmony adopted it (it existed before
/// Harmony applied it) and did not create it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeftInPlace {
    /// Resource id.
    pub resource: String,
    /// Why it is left: [`ADOPTED_NOTE`].
    pub note: String,
}

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
}

/// Inspects `plan` (and what `full` no longer declares) against the world.
pub(super) async fn inspect_plan<T: Topology>(
    ctx: &Ctx<T>,
    plan: Plan<T>,
    full: &Plan<T>,
) -> Result<PlanDocument<T>, ExitStatus> {
    let state = ctx.load_state()?;
    let orphans = orphans(&state, full);
    let left_in_place = adopted_undeclared(&state, full)
        .into_iter()
        .map(|(resource, _)| LeftInPlace {
            resource,
            note: ADOPTED_NOTE.to_string(),
        })
        .collect();
    let default_timeout = StepPolicy::default().timeout;
    let mut work: Vec<(Operation, std::time::Duration)> = orphans
        .iter()
        .map(|(_, op)| (op.clone(), default_timeout))
        .collect();
    work.extend(
        plan.steps
            .iter()
            .map(|s| (s.operation.clone(), s.policy.timeout)),
    );
    let mut results = inspect_all(&ctx.topology, work, ctx.parallelism)
        .await
        .into_iter();
    let mut summary = PlanSummary::default();
    let mut removals = Vec::new();
    for (resource, operation) in orphans {
        let result = results
            .next()
            .unwrap_or_else(|| Err(harmony_dsl::Error::permanent("missing")));
        let (observed, error) = match result {
            Ok(inspection) => (Some(inspection.observed), None),
            Err(e) => (None, Some(e.to_string())),
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
                (None, None, Some(e.to_string()))
            }
        };
        steps.push(PlannedStep {
            step: step.id.0,
            score: step.score.clone(),
            operation: step.operation.to_string(),
            resource: step.operation.resource_id(),
            change,
            observed,
            error,
        });
    }
    Ok(PlanDocument {
        schema_version: SCHEMA_VERSION,
        command: "plan".into(),
        plan,
        removals,
        steps,
        summary,
        left_in_place,
        config: ctx.config.clone(),
    })
}

fn print_change(prefix: &str, change: Option<&Change>, error: Option<&String>) {
    match (change, error) {
        (Some(Change::Create { summary }), _) => println!("{prefix}: create: {summary}"),
        (Some(Change::Update { diff }), _) => {
            println!("{prefix}: update");
            for line in diff {
                println!("      {line}");
            }
        }
        (Some(Change::Delete { summary }), _) => println!("{prefix}: delete: {summary}"),
        (Some(Change::None), _) => println!("{prefix}: no change"),
        (None, error) => println!(
            "{prefix}: unknown: {}",
            error.map_or("not inspected", |e| e.as_str())
        ),
    }
}

pub(super) async fn run<T: Topology>(
    ctx: &Ctx<T>,
    full: Plan<T>,
    out: Option<PathBuf>,
) -> ExitStatus {
    let plan = match ctx.select(&full) {
        Ok(plan) => plan,
        Err(status) => return status,
    };
    let mut doc = match inspect_plan(ctx, plan, &full).await {
        Ok(doc) => doc,
        Err(status) => return status,
    };
    // Private file content is saved and printed as its digest only.
    redact_private_content(&mut doc.plan);
    if let Some(path) = &out {
        let written = serde_json::to_vec_pretty(&doc)
            .map_err(std::io::Error::other)
            .and_then(|mut bytes| {
                bytes.push(b'\n');
                write_file(path, &bytes, &WriteOptions::PRIVATE)
            });
        if let Err(e) = written {
            return ctx.out.fail(
                ExitStatus::StateIo,
                format!("cannot save the plan to {}: {e}", path.display()),
            );
        }
    }
    if ctx.out.json {
        ctx.out.print_json(&doc);
    } else {
        println!(
            "plan `{}` for topology `{}`",
            doc.plan.name, doc.plan.topology
        );
        for key in &doc.config {
            let kind = if key.secret {
                " (secret, read at apply time)"
            } else {
                ""
            };
            println!("  config {}{kind}: from {}", key.key, key.source);
        }
        for removal in &doc.removals {
            print_change(
                &format!("  -  {}", removal.resource),
                Some(&removal.change),
                removal.error.as_ref(),
            );
        }
        for left in &doc.left_in_place {
            println!("  =  {}: {}", left.resource, left.note);
        }
        for step in &doc.steps {
            print_change(
                &format!("  #{} [{}] {}", step.step, step.score, step.operation),
                step.change.as_ref(),
                step.error.as_ref(),
            );
        }
        let s = doc.summary;
        println!(
            "{} to create, {} to update, {} to delete, {} unchanged, {} unknown",
            s.create, s.update, s.delete, s.unchanged, s.unknown
        );
        if let Some(path) = &out {
            println!(
                "saved to {} (apply it with `apply {}`)",
                path.display(),
                path.display()
            );
        }
    }
    if doc.summary.unknown > 0 {
        ExitStatus::StepFailed
    } else {
        ExitStatus::Ok
    }
}
