//! `apply [FILE]` and `smoke`: the engine's run with live progress, then the summary table or
//! the JSON report.

use std::path::PathBuf;

use harmony_dsl::{Plan, Topology};

use super::progress::{Mode, Progress};
use super::{ExitStatus, Output};
use crate::engine::{Engine, EngineEvent};
use crate::report::summary_table;

pub(super) async fn run<T: Topology>(
    out: &Output,
    tty: bool,
    engine: &Engine<T>,
    plan: Plan<T>,
    file: Option<PathBuf>,
    smoke: bool,
) -> ExitStatus {
    let mode = if out.json {
        Mode::Silent
    } else if tty {
        Mode::Live
    } else {
        Mode::Plain
    };
    let mut progress = Progress::new(mode, plan.steps.len());
    let mut observer = |event: EngineEvent<'_>| match event {
        EngineEvent::Started(step) => progress.started(step),
        EngineEvent::Finished(report) => progress.finished(report),
    };
    let result = match (&file, smoke) {
        (_, true) => engine.smoke_observed(plan, &mut observer).await,
        (None, false) => engine.apply_observed(plan, &mut observer).await,
        (Some(path), false) => match std::fs::read(path) {
            Ok(bytes) => {
                engine
                    .apply_saved_observed(plan, &bytes, &mut observer)
                    .await
            }
            Err(e) => {
                return out.fail(
                    ExitStatus::StateIo,
                    format!("cannot read saved plan {}: {e}", path.display()),
                );
            }
        },
    };
    progress.finish();
    let report = match result {
        Ok(report) => report,
        Err(e) => {
            let message = match &file {
                Some(path) => format!("{}: {}", path.display(), e.message),
                None => e.message,
            };
            return out.fail(e.status, message);
        }
    };
    if let Some(error) = &report.state_error {
        eprintln!("error: the state could not be written: {error}");
    }
    if out.json {
        out.print_json(&report);
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
    ExitStatus::from_code(report.exit_code)
}
