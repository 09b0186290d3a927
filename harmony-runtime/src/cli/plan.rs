//! `plan [--out FILE]`: inspect every step (and every resource to prune), print the changes.

use std::path::PathBuf;

use harmony_dsl::{Change, Observed, Operation, Plan, StepPolicy, Topology};
use serde::{Deserialize, Serialize};

use super::{Ctx, ExitStatus, inspect_all, orphans};
use crate::report::SCHEMA_VERSION;
use crate::state::write_atomic;

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
    offline: bool,
) -> ExitStatus {
    let plan = match ctx.select(&full) {
        Ok(plan) => plan,
        Err(status) => return status,
    };
    if offline {
        return run_offline(ctx, &plan, &full);
    }
    let doc = match inspect_plan(ctx, plan.into_owned(), &full).await {
        Ok(doc) => doc,
        Err(status) => return status,
    };
    if let Some(path) = &out {
        let written = serde_json::to_vec_pretty(&doc)
            .map_err(std::io::Error::other)
            .and_then(|mut bytes| {
                bytes.push(b'\n');
                write_atomic(path, &bytes)
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

/// `plan --offline`: no provider is asked anything. Every step is listed as not inspected (it
/// would be applied, and `apply` decides then whether it changes anything), and the resources
/// the state file records that the plan no longer declares as deletions, not inspected either.
/// Exits 0: nothing failed, nothing was looked at.
fn run_offline<T: Topology>(ctx: &Ctx<T>, plan: &Plan<T>, full: &Plan<T>) -> ExitStatus {
    use std::io::Write as _;
    let state = match ctx.load_state() {
        Ok(state) => state,
        Err(status) => return status,
    };
    let orphans = orphans(&state, full);
    let summary = PlanSummary {
        delete: orphans.len(),
        not_inspected: plan.steps.len(),
        ..PlanSummary::default()
    };
    if ctx.out.json {
        let removals = orphans
            .into_iter()
            .map(|(resource, operation)| PlannedRemoval {
                change: Change::Delete {
                    summary: format!("remove {operation} (no longer declared)"),
                },
                resource,
                operation,
                observed: None,
                error: None,
            })
            .collect();
        let steps = plan
            .steps
            .iter()
            .map(|step| PlannedStep {
                step: step.id.0,
                score: step.score.clone(),
                operation: step.operation.to_string(),
                resource: step.operation.resource_id(),
                change: None,
                observed: None,
                error: None,
            })
            .collect();
        ctx.out.print_json(&PlanDocument {
            schema_version: SCHEMA_VERSION,
            command: "plan".into(),
            plan: plan.clone(),
            removals,
            steps,
            summary,
            config: ctx.config.clone(),
        });
        return ExitStatus::Ok;
    }
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let written = (|| -> std::io::Result<()> {
        writeln!(
            out,
            "plan `{}` for topology `{}` (offline: nothing inspected)",
            plan.name, plan.topology
        )?;
        for key in &ctx.config {
            writeln!(out, "  config {}: from {}", key.key, key.source)?;
        }
        for (resource, operation) in &orphans {
            writeln!(
                out,
                "  -  {resource}: delete: remove {operation} (no longer declared)"
            )?;
        }
        for step in &plan.steps {
            writeln!(
                out,
                "  #{} [{}] {}: not inspected",
                step.id.0, step.score, step.operation
            )?;
        }
        writeln!(
            out,
            "{} steps not inspected (--offline), {} to delete",
            summary.not_inspected, summary.delete
        )?;
        out.flush()
    })();
    match written {
        Ok(()) => ExitStatus::Ok,
        Err(e) => ctx
            .out
            .fail(ExitStatus::StateIo, format!("cannot write the plan: {e}")),
    }
}
