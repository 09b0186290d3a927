//! `plan [--out FILE]`: the engine's plan document, printed (and saved for `apply FILE`).

use std::path::PathBuf;

use harmony_dsl::{Change, Plan, Topology};

use super::{ExitStatus, Output};
use crate::engine::Engine;
use crate::redact::escape_control;
use crate::safe_fs::{WriteOptions, write_file};

fn print_change(prefix: &str, change: Option<&Change>, error: Option<&String>) {
    let prefix = escape_control(prefix);
    match (change, error) {
        (Some(Change::Create { summary }), _) => {
            println!("{prefix}: create: {}", escape_control(summary));
        }
        (Some(Change::Update { diff }), _) => {
            println!("{prefix}: update");
            for line in diff {
                println!("      {}", escape_control(line));
            }
        }
        (Some(Change::Delete { summary }), _) => {
            println!("{prefix}: delete: {}", escape_control(summary));
        }
        (Some(Change::None), _) => println!("{prefix}: no change"),
        (None, error) => println!(
            "{prefix}: unknown: {}",
            escape_control(&crate::redact::mask_url_credentials(
                error.map_or("not inspected", |e| e.as_str())
            ))
        ),
    }
}

pub(super) async fn run<T: Topology>(
    out: &Output,
    engine: &Engine<T>,
    plan: Plan<T>,
    file: Option<PathBuf>,
    offline: bool,
) -> ExitStatus {
    if offline {
        return run_offline(out, engine, plan).await;
    }
    let doc = match engine.plan(plan).await {
        Ok(doc) => doc,
        Err(e) => return out.error(e),
    };
    if let Some(path) = &file {
        let written = serde_json::to_vec_pretty(&doc)
            .map_err(std::io::Error::other)
            .and_then(|mut bytes| {
                bytes.push(b'\n');
                write_file(path, &bytes, &WriteOptions::PRIVATE)
            });
        if let Err(e) = written {
            return out.fail(
                ExitStatus::StateIo,
                format!("cannot save the plan to {}: {e}", path.display()),
            );
        }
    }
    if out.json {
        out.print_json(&doc);
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
            println!(
                "  config {}{kind}: from {}",
                key.key,
                crate::redact::mask_url_credentials(&key.source.to_string())
            );
        }
        for removal in &doc.removals {
            print_change(
                &format!("  -  {}", removal.resource),
                Some(&removal.change),
                removal.error.as_ref(),
            );
        }
        for left in &doc.left_in_place {
            println!(
                "  =  {}: {}",
                crate::redact::escape_control(&left.resource),
                left.note
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
        if let Some(path) = &file {
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

/// `plan --offline`: no provider is asked anything; every step is listed as not inspected.
/// Exits 0: nothing failed, nothing was looked at.
async fn run_offline<T: Topology>(out: &Output, engine: &Engine<T>, plan: Plan<T>) -> ExitStatus {
    use std::io::Write as _;
    let doc = match engine.plan_offline(plan).await {
        Ok(doc) => doc,
        Err(e) => return out.error(e),
    };
    if out.json {
        out.print_json(&doc);
        return ExitStatus::Ok;
    }
    let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
    let written = (|| -> std::io::Result<()> {
        writeln!(
            stdout,
            "plan `{}` for topology `{}` (offline: nothing inspected)",
            doc.plan.name, doc.plan.topology
        )?;
        for key in &doc.config {
            writeln!(
                stdout,
                "  config {}: from {}",
                key.key,
                crate::redact::mask_url_credentials(&key.source.to_string())
            )?;
        }
        for removal in &doc.removals {
            writeln!(
                stdout,
                "  -  {}: delete: remove {} (no longer declared)",
                escape_control(&removal.resource),
                escape_control(&removal.operation.to_string())
            )?;
        }
        for left in &doc.left_in_place {
            writeln!(
                stdout,
                "  =  {}: {}",
                escape_control(&left.resource),
                left.note
            )?;
        }
        for step in &doc.steps {
            writeln!(
                stdout,
                "  #{} [{}] {}: not inspected",
                step.step,
                escape_control(&step.score),
                escape_control(&step.operation)
            )?;
        }
        writeln!(
            stdout,
            "{} steps not inspected (--offline), {} to delete",
            doc.summary.not_inspected, doc.summary.delete
        )?;
        stdout.flush()
    })();
    match written {
        Ok(()) => ExitStatus::Ok,
        Err(e) => out.fail(ExitStatus::StateIo, format!("cannot write the plan: {e}")),
    }
}
