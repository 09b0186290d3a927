//! Saved plans are commitments, not programs. `plan --out` saves what the program would do and
//! what every step observed; `apply FILE` runs the program's *own* steps, and only when the file
//! names exactly those steps (same plan, topology, step by step identical, same digest) and every
//! observation still holds. Nothing in the file is ever executed: a file edited at rest can make
//! the apply refuse, never make it do something else.

use harmony_dsl::{Observed, Plan, Step, Topology};
use serde::{Deserialize, Serialize};

use super::{EngineError, ExitStatus, PlanDocument};
use crate::report::SCHEMA_VERSION;

/// Which program made a saved plan, and the digest of the steps it committed to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProgramIdentity {
    /// The plan's name (`Plan::new(name)`).
    pub plan: String,
    /// The topology's name.
    pub topology: String,
    /// The `--only` score the plan was restricted to.
    pub only: Option<String>,
    /// Hex SHA-256 of the plan's steps as the program builds them (secrets redacted).
    pub digest: String,
}

impl ProgramIdentity {
    /// The identity of `plan` (already restricted to `only`).
    pub fn of<T: Topology>(plan: &Plan<T>, only: Option<String>) -> Self {
        ProgramIdentity {
            plan: plan.name.clone(),
            topology: T::NAME.to_string(),
            only,
            digest: digest(plan),
        }
    }
}

/// The digest of `plan`: its name, topology and every step (id, score, operation, dependencies,
/// policy) in JSON form, where secrets are `<redacted>`.
pub fn digest<T: Topology>(plan: &Plan<T>) -> String {
    crate::hash::json_hash(&(&plan.name, T::NAME, &plan.steps))
}

/// One step's JSON form, the unit of "identical".
fn step_text(step: &Step) -> String {
    serde_json::to_string(step).unwrap_or_default()
}

fn refuse(message: String) -> EngineError {
    EngineError::new(
        ExitStatus::Drift,
        format!("refusing to apply the saved plan: {message}"),
    )
}

/// Reads a saved plan document.
pub(super) fn parse<T: Topology>(bytes: &[u8]) -> Result<PlanDocument<T>, EngineError> {
    #[derive(Deserialize)]
    struct Version {
        schema_version: u32,
    }
    let version: Version = serde_json::from_slice(bytes)
        .map_err(|e| EngineError::new(ExitStatus::Usage, format!("not a saved plan: {e}")))?;
    if version.schema_version != SCHEMA_VERSION {
        return Err(EngineError::new(
            ExitStatus::Usage,
            format!(
                "the saved plan has schema version {}, this program reads {SCHEMA_VERSION}",
                version.schema_version
            ),
        ));
    }
    let doc: PlanDocument<T> = serde_json::from_slice(bytes)
        .map_err(|e| EngineError::new(ExitStatus::Usage, format!("not a saved plan: {e}")))?;
    // A capability no crate of this program declares: say which, before any comparison.
    if let Some((step, reason)) = doc
        .plan
        .steps
        .iter()
        .find_map(|s| s.operation.unknown_reason().map(|r| (s.id, r)))
    {
        return Err(EngineError::new(
            ExitStatus::Usage,
            format!("the saved plan's step {step} cannot be applied: {reason}"),
        ));
    }
    Ok(doc)
}

/// Checks that `doc` commits to exactly the steps of `compiled` (the program's plan now, with
/// the saved `--only`): the same program, every saved step with an identical twin and the
/// other way round, the same digest.
pub(super) fn check_commitment<T: Topology>(
    doc: &PlanDocument<T>,
    compiled: &Plan<T>,
) -> Result<(), EngineError> {
    let Some(program) = &doc.program else {
        return Err(refuse(
            "it names no program (no `program` digest): save it again with `plan --out`".into(),
        ));
    };
    if program.topology != T::NAME || doc.plan.topology != T::NAME {
        return Err(refuse(format!(
            "it was saved by another program: topology `{}`, this program's is `{}`",
            program.topology,
            T::NAME
        )));
    }
    if program.plan != compiled.name || doc.plan.name != compiled.name {
        return Err(refuse(format!(
            "it was saved by another program: plan `{}`, this program's is `{}`",
            program.plan, compiled.name
        )));
    }
    let now: std::collections::HashMap<usize, String> = compiled
        .steps
        .iter()
        .map(|s| (s.id.0, step_text(s)))
        .collect();
    let mut problems = Vec::new();
    for step in &doc.plan.steps {
        if now.get(&step.id.0) != Some(&step_text(step)) {
            problems.push(format!(
                "step #{} {} ({}) is not a step this program makes now",
                step.id.0,
                crate::redact::escape_control(&step.operation.to_string()),
                crate::redact::escape_control(&step.operation.resource_id())
            ));
        }
    }
    let saved: std::collections::HashSet<String> = doc.plan.steps.iter().map(step_text).collect();
    for step in &compiled.steps {
        if !saved.contains(&step_text(step)) {
            problems.push(format!(
                "step #{} {} ({}) of this program is missing from the saved plan",
                step.id.0,
                step.operation,
                step.operation.resource_id()
            ));
        }
    }
    if doc.steps.len() != compiled.steps.len() {
        problems.push(format!(
            "it lists {} inspected steps for {} steps in the plan",
            doc.steps.len(),
            compiled.steps.len()
        ));
    }
    for (listed, step) in doc.steps.iter().zip(&compiled.steps) {
        if listed.step != step.id.0
            || listed.resource != step.operation.resource_id()
            || listed.operation != step.operation.to_string()
        {
            problems.push(format!(
                "inspected step #{} ({}) does not match step #{} {} ({})",
                listed.step,
                crate::redact::escape_control(&listed.resource),
                step.id.0,
                step.operation,
                step.operation.resource_id()
            ));
        }
    }
    let now_digest = digest(compiled);
    if problems.is_empty() && (program.digest != now_digest || digest(&doc.plan) != now_digest) {
        problems.push(format!(
            "its digest {} is not the digest {} of this program's plan",
            short(&program.digest),
            short(&now_digest)
        ));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(refuse(problems.join("; ")))
    }
}

fn short(digest: &str) -> String {
    crate::redact::escape_control(&digest.chars().take(12).collect::<String>()).into_owned()
}

/// Checks that every observation `doc` pinned still holds in `now` (the plan inspected again).
pub(super) fn check_observations<T>(
    doc: &PlanDocument<T>,
    now: &PlanDocument<T>,
) -> Result<(), EngineError> {
    let mut moved = Vec::new();
    let describe = |o: &Option<Observed>| o.as_ref().map_or("unknown".to_string(), observed_text);
    for (then, now) in doc.steps.iter().zip(&now.steps) {
        if then.observed.is_none() || then.observed != now.observed {
            moved.push(format!(
                "step #{} {} ({}): observed {} when planned, {} now{}",
                then.step,
                crate::redact::escape_control(&then.operation),
                crate::redact::escape_control(&then.resource),
                describe(&then.observed),
                describe(&now.observed),
                now.error
                    .as_ref()
                    .map(|e| format!(" ({e})"))
                    .unwrap_or_default()
            ));
        }
    }
    let then_removals: Vec<(&String, &Option<Observed>)> = doc
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
                .map(|(r, o)| format!("{} ({})", crate::redact::escape_control(r), describe(o)))
                .collect::<Vec<_>>()
                .join(", ")
        };
        moved.push(format!(
            "resources to remove: planned [{}], now [{}]",
            list(&then_removals),
            list(&now_removals)
        ));
    }
    if moved.is_empty() {
        Ok(())
    } else {
        Err(EngineError::new(
            ExitStatus::Drift,
            format!(
                "refusing to apply the saved plan: the world changed since it was planned:\n  {}\nrun `plan --out` again",
                moved.join("\n  ")
            ),
        ))
    }
}

fn observed_text(observed: &Observed) -> String {
    let text = match observed {
        Observed::Absent => "absent".to_string(),
        Observed::Hash { value } => format!("hash {}", value.chars().take(12).collect::<String>()),
        Observed::ResourceVersion { value } => format!("resource version {value}"),
        Observed::Revision { value } => format!("revision {value}"),
    };
    crate::redact::escape_control(&text).into_owned()
}
