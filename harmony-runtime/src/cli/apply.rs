//! `apply [FILE]`: drift check of a saved plan, lock, prune, execute with progress, record the
//! state as steps succeed, print the summary table or the JSON report.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use harmony_dsl::{Interpret, Observed, Plan, StepPolicy, Topology};

use super::plan::{PlanDocument, inspect_plan};
use super::progress::{Mode, Progress};
use super::{Ctx, ExitStatus, orphans};
use crate::executor::{CancelToken, ExecEvent, ExecOptions, TopologyRunner, execute};
use crate::report::{ApplyReport, SCHEMA_VERSION, StepReport, StepStatus, Summary, summary_table};
use crate::state::State;

/// Reads a saved plan and refuses when what its steps observed has moved.
/// Saved plans hold data only: secret values are `<redacted>` and custom smoke checks are code.
/// Each saved step whose operation serialises exactly like a step of the program's own plan (same
/// resource, same data) takes that step's operation, which carries the secret values and checks;
/// a saved step that needs them and has no such twin is refused.
fn restore_secrets<T: Topology>(saved: &mut Plan<T>, compiled: &Plan<T>) -> Result<(), String> {
    let text = |op: &harmony_dsl::Operation| serde_json::to_string(op).unwrap_or_default();
    let compiled_ops: std::collections::HashMap<(String, String), &harmony_dsl::Operation> =
        compiled
            .steps
            .iter()
            .map(|s| {
                (
                    (s.operation.resource_id(), text(&s.operation)),
                    &s.operation,
                )
            })
            .collect();
    let mut missing = Vec::new();
    for step in &mut saved.steps {
        let key = (step.operation.resource_id(), text(&step.operation));
        match compiled_ops.get(&key) {
            Some(op) => step.operation = (*op).clone(),
            None if key.1.contains("\"<redacted>\"")
                || matches!(
                    &step.operation,
                    harmony_dsl::Operation::SmokeTest { check, .. }
                        if matches!(check.check, harmony_dsl::smoke::Check::Custom { .. })
                ) =>
            {
                missing.push(format!(
                    "step #{} {} ({})",
                    step.id.0, step.operation, key.0
                ));
            }
            None => {}
        }
    }
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "these steps need secret values or custom checks, which saved plans never store, and this program's plan has no identical step to take them from: {}",
            missing.join(", ")
        ))
    }
}

async fn load_saved<T: Topology>(
    ctx: &Ctx<T>,
    path: &PathBuf,
    compiled: &Plan<T>,
) -> Result<Plan<T>, ExitStatus> {
    let bytes = std::fs::read(path).map_err(|e| {
        ctx.out.fail(
            ExitStatus::StateIo,
            format!("cannot read saved plan {}: {e}", path.display()),
        )
    })?;
    let saved: PlanDocument<T> = serde_json::from_slice(&bytes).map_err(|e| {
        ctx.out.fail(
            ExitStatus::Usage,
            format!("{} is not a saved plan: {e}", path.display()),
        )
    })?;
    if saved.schema_version != SCHEMA_VERSION {
        return Err(ctx.out.fail(
            ExitStatus::Usage,
            format!(
                "{} has schema version {}, this program reads {SCHEMA_VERSION}",
                path.display(),
                saved.schema_version
            ),
        ));
    }
    if saved.plan.topology != T::NAME {
        return Err(ctx.out.fail(
            ExitStatus::Usage,
            format!(
                "{} is a plan for topology `{}`, not `{}`",
                path.display(),
                saved.plan.topology,
                T::NAME
            ),
        ));
    }
    let mut saved = saved;
    if let Err(why) = restore_secrets(&mut saved.plan, compiled) {
        return Err(ctx.out.fail(
            ExitStatus::Usage,
            format!("cannot apply {}: {why}", path.display()),
        ));
    }
    let plan = saved.plan.clone();
    let now = inspect_plan(ctx, plan.clone(), &plan).await?;
    let mut moved = Vec::new();
    let describe = |o: &Option<Observed>| o.as_ref().map_or("unknown".to_string(), observed_text);
    for (then, now) in saved.steps.iter().zip(&now.steps) {
        if then.observed.is_none() || then.observed != now.observed {
            moved.push(format!(
                "step #{} {} ({}): observed {} when planned, {} now{}",
                then.step,
                then.operation,
                then.resource,
                describe(&then.observed),
                describe(&now.observed),
                now.error
                    .as_ref()
                    .map(|e| format!(" ({e})"))
                    .unwrap_or_default()
            ));
        }
    }
    if saved.steps.len() != now.steps.len() {
        moved.push(format!(
            "the saved plan lists {} steps for {} in the plan",
            saved.steps.len(),
            now.steps.len()
        ));
    }
    let then_removals: Vec<(&String, &Option<Observed>)> = saved
        .removals
        .iter()
        .map(|r| (&r.resource, &r.observed))
        .collect();
    let now_removals: Vec<(&String, &Option<Observed>)> = now
        .removals
        .iter()
        .map(|r| (&r.resource, &r.observed))
        .collect();
    if then_removals != now_removals {
        let list = |v: &[(&String, &Option<Observed>)]| {
            v.iter()
                .map(|(r, o)| format!("{r} ({})", describe(o)))
                .collect::<Vec<_>>()
                .join(", ")
        };
        moved.push(format!(
            "resources to remove: planned [{}], now [{}]",
            list(&then_removals),
            list(&now_removals)
        ));
    }
    if !moved.is_empty() {
        let message = format!(
            "refusing to apply {}: the world changed since it was planned:\n  {}\nrun `plan --out {}` again",
            path.display(),
            moved.join("\n  "),
            path.display()
        );
        return Err(ctx.out.fail(ExitStatus::Drift, message));
    }
    Ok(saved.plan)
}

fn observed_text(observed: &Observed) -> String {
    match observed {
        Observed::Absent => "absent".to_string(),
        Observed::Hash { value } => format!("hash {}", &value[..value.len().min(12)]),
        Observed::ResourceVersion { value } => format!("resource version {value}"),
        Observed::Revision { value } => format!("revision {value}"),
    }
}

/// Records state changes and remembers the first save error.
struct Recorder<'a> {
    state: State,
    dir: &'a crate::state::StateDir,
    error: Option<String>,
}

impl Recorder<'_> {
    fn save(&mut self) {
        if let Err(e) = self.dir.save(&self.state) {
            tracing::error!("cannot write the state: {e}");
            self.error.get_or_insert_with(|| e.to_string());
        }
    }
}

/// What `run` does: a full apply, or only the plan's smoke tests (`smoke`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum RunMode {
    /// Prune, then run every step, recording state.
    Apply,
    /// Run only the smoke-test steps, each on its own; no pruning, no state change.
    SmokeOnly,
}

/// The smoke-test steps of `plan`, renumbered, each without dependencies.
fn smoke_steps<T: Topology>(plan: &Plan<T>) -> Plan<T> {
    let mut only = plan.clone();
    only.steps = plan
        .steps
        .iter()
        .filter(|s| matches!(s.operation, harmony_dsl::Operation::SmokeTest { .. }))
        .cloned()
        .enumerate()
        .map(|(i, mut step)| {
            step.id = harmony_dsl::StepId(i);
            step.depends_on.clear();
            step
        })
        .collect();
    only
}

pub(super) async fn run<T: Topology>(
    ctx: &Ctx<T>,
    compiled: Plan<T>,
    file: Option<PathBuf>,
    run_mode: RunMode,
) -> ExitStatus {
    let started = Instant::now();
    let full = match &file {
        Some(path) => match load_saved(ctx, path, &compiled).await {
            Ok(plan) => plan,
            Err(status) => return status,
        },
        None => compiled,
    };
    let plan = match ctx.select(&full) {
        Ok(plan) if run_mode == RunMode::SmokeOnly => smoke_steps(&plan),
        Ok(plan) => plan.into_owned(),
        Err(status) => return status,
    };
    let _lock = match ctx.state.lock() {
        Ok(lock) => lock,
        Err(e) => {
            return ctx
                .out
                .fail(ExitStatus::StateIo, format!("cannot lock the state: {e}"));
        }
    };
    let state = match ctx.load_state() {
        Ok(state) => state,
        Err(status) => return status,
    };
    let mut recorder = Recorder {
        state,
        dir: &ctx.state,
        error: None,
    };
    let cancel = CancelToken::new();
    cancel.cancel_on_signals();
    let mode = if ctx.out.json {
        Mode::Silent
    } else if ctx.tty {
        Mode::Live
    } else {
        Mode::Plain
    };
    let mut progress = Progress::new(mode, plan.steps.len());

    // Prune first: what this plan applied before and no longer declares.
    let mut removed = Vec::new();
    let orphans = if run_mode == RunMode::Apply {
        orphans(&recorder.state, &full)
    } else {
        Vec::new()
    };
    for (resource, operation) in orphans {
        if cancel.is_cancelled() {
            break;
        }
        let t0 = Instant::now();
        let timeout = StepPolicy::default().timeout;
        let result =
            tokio::time::timeout(timeout, Interpret::<T>::remove(&operation, &*ctx.topology)).await;
        let (status, message, error_kind) = match result {
            Ok(Ok(outcome)) => {
                recorder.state.resources.remove(&resource);
                recorder.save();
                let message = match outcome {
                    harmony_dsl::Outcome::Changed { summary } => summary,
                    harmony_dsl::Outcome::Unchanged => "already gone".to_string(),
                };
                (StepStatus::Changed, Some(message), None)
            }
            Ok(Err(e)) => (
                StepStatus::Failed,
                Some(e.to_string()),
                Some(e.kind().as_str().to_string()),
            ),
            Err(_) => (
                StepStatus::Failed,
                Some(format!("remove timed out after {}s", timeout.as_secs())),
                Some("timeout".to_string()),
            ),
        };
        let report = StepReport {
            step: None,
            score: None,
            operation: format!("remove {operation}"),
            resource,
            status,
            duration_ms: t0.elapsed().as_millis().try_into().unwrap_or(u64::MAX),
            attempts: 1,
            message,
            error_kind,
            caused_by: None,
        };
        progress.finished(&report);
        removed.push(report);
    }

    let steps = Arc::new(plan.steps.clone());
    let runner = Arc::new(TopologyRunner::new(Arc::clone(&ctx.topology)));
    let options = ExecOptions {
        parallelism: ctx.parallelism,
    };
    let plan_name = plan.name.clone();
    let result = execute(
        steps,
        runner,
        options,
        cancel.clone(),
        |event| match event {
            ExecEvent::Started { step } => progress.started(step),
            ExecEvent::Finished { step, report } => {
                if report.status.is_success()
                    && run_mode == RunMode::Apply
                    && recorder
                        .state
                        .record(&plan_name, &step.score, &step.operation)
                {
                    recorder.save();
                }
                progress.finished(report);
            }
        },
    )
    .await;
    progress.finish();
    let steps = match result {
        Ok(steps) => steps,
        Err(e) => {
            return ctx.out.fail(
                ExitStatus::Usage,
                format!("plan `{}` cannot run: {e}", plan.name),
            );
        }
    };
    // Persist once more (also when nothing changed, so a cancelled run leaves a complete file).
    if cancel.is_cancelled() || !ctx.state.state_file().exists() {
        recorder.save();
    }
    let all: Vec<StepReport> = removed.iter().chain(&steps).cloned().collect();
    let summary = Summary::of(&all, started.elapsed());
    let status = if cancel.is_cancelled() {
        ExitStatus::Cancelled
    } else if recorder.error.is_some() {
        ExitStatus::StateIo
    } else if !summary.is_success() {
        ExitStatus::StepFailed
    } else {
        ExitStatus::Ok
    };
    if let Some(error) = &recorder.error {
        eprintln!("error: the state could not be written: {error}");
    }
    let report = ApplyReport {
        schema_version: SCHEMA_VERSION,
        command: match run_mode {
            RunMode::Apply => "apply".into(),
            RunMode::SmokeOnly => "smoke".into(),
        },
        plan: plan.name.clone(),
        topology: T::NAME.into(),
        cancelled: cancel.is_cancelled(),
        removed,
        steps,
        summary,
        exit_code: status.code(),
    };
    if ctx.out.json {
        ctx.out.print_json(&report);
    } else {
        println!();
        print!(
            "{}",
            summary_table(&report.removed, &report.steps, &report.summary)
        );
        if report.cancelled {
            println!("cancelled: steps marked `cancelled` did not run; the state records what did");
        }
    }
    status
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use harmony_dsl::resource::{EnvValue, ProcessSpec};
    use harmony_dsl::value::Secret;
    use harmony_dsl::{Operation, Plan};

    use super::restore_secrets;
    use crate::Localhost;

    fn plan(password: &str) -> Plan<Localhost> {
        let mut plan = Plan::new("p");
        plan.push_step(
            "db",
            Operation::ProcessSupervisor(ProcessSpec {
                name: "db".into(),
                command: vec!["db".into()],
                env: BTreeMap::from([(
                    "PASSWORD".to_string(),
                    EnvValue::Secret(Secret::new(password.to_string())),
                )]),
                working_dir: None,
                restart_on: vec![],
                health: None,
            }),
            &[],
        );
        plan
    }

    fn password(plan: &Plan<Localhost>) -> String {
        match &plan.steps[0].operation {
            Operation::ProcessSupervisor(spec) => match &spec.env["PASSWORD"] {
                EnvValue::Secret(s) => s.expose().clone(),
                EnvValue::Plain(p) => p.clone(),
                EnvValue::SecretRef(r) => r.to_string(),
            },
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn saved_plans_get_their_secrets_from_the_program_never_from_the_file() {
        let compiled = plan("hunter2");
        let json = serde_json::to_string(&compiled).unwrap();
        assert!(
            !json.contains("hunter2"),
            "a saved plan never holds the secret"
        );
        let mut saved: Plan<Localhost> = serde_json::from_str(&json).unwrap();
        assert_eq!(password(&saved), "<redacted>");
        restore_secrets(&mut saved, &compiled).unwrap();
        assert_eq!(password(&saved), "hunter2");

        // A saved step with no identical step in the program is refused, not applied with `<redacted>`.
        let mut other: Plan<Localhost> = serde_json::from_str(&json).unwrap();
        let mut changed = plan("hunter2");
        if let Operation::ProcessSupervisor(spec) = &mut changed.steps[0].operation {
            spec.command = vec!["db".into(), "--verbose".into()];
        }
        let err = restore_secrets(&mut other, &changed).unwrap_err();
        assert!(err.contains("step #0 process db (process:db)"), "{err}");
    }
}
