//! Live progress of `apply`: plain lines when stdout is not a terminal, and on a terminal the
//! same lines plus one status line (rewritten in place) naming the running steps.

use std::collections::BTreeMap;
use std::io::Write;

use harmony_dsl::Step;

use crate::report::{StepReport, human_duration};

/// How progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Mode {
    /// Nothing (`--json`: stdout carries only the final document).
    Silent,
    /// One line per event.
    Plain,
    /// Lines for finished steps and a rewritten status line.
    Live,
}

pub(super) struct Progress {
    mode: Mode,
    total: usize,
    done: usize,
    running: BTreeMap<usize, String>,
}

impl Progress {
    pub(super) fn new(mode: Mode, total: usize) -> Self {
        Progress {
            mode,
            total,
            done: 0,
            running: BTreeMap::new(),
        }
    }

    fn clear_status(&self) {
        if self.mode == Mode::Live {
            print!("\r\x1b[2K");
        }
    }

    fn draw_status(&self) {
        if self.mode != Mode::Live || self.running.is_empty() {
            let _ = std::io::stdout().flush();
            return;
        }
        let names: Vec<&str> = self.running.values().map(String::as_str).collect();
        let mut line = format!(
            "[{}/{}] running: {}",
            self.done,
            self.total,
            names.join(", ")
        );
        if line.chars().count() > 100 {
            line = line.chars().take(97).collect::<String>() + "...";
        }
        print!("{line}");
        let _ = std::io::stdout().flush();
    }

    pub(super) fn started(&mut self, step: &Step) {
        if self.mode == Mode::Silent {
            return;
        }
        self.running.insert(
            step.id.0,
            crate::redact::escape_control(&format!("#{} {}", step.id.0, step.operation))
                .into_owned(),
        );
        self.clear_status();
        if self.mode == Mode::Plain {
            println!(
                "[{:>w$}/{}] started   #{} {}",
                self.done,
                self.total,
                step.id.0,
                crate::redact::escape_control(&step.operation.to_string()),
                w = width(self.total)
            );
        }
        self.draw_status();
    }

    pub(super) fn finished(&mut self, report: &StepReport) {
        if self.mode == Mode::Silent {
            return;
        }
        if let Some(step) = report.step {
            self.running.remove(&step);
            self.done += 1;
        }
        self.clear_status();
        let id = report
            .step
            .map_or_else(|| "-".to_string(), |s| format!("#{s}"));
        let detail = report
            .message
            .as_deref()
            .map(|m| format!(": {}", crate::redact::escape_control(m)))
            .unwrap_or_default();
        let tries = if report.attempts > 1 {
            format!(", {} attempts", report.attempts)
        } else {
            String::new()
        };
        println!(
            "[{:>w$}/{}] {:<9} {id} {} ({}{tries}){detail}",
            self.done,
            self.total,
            report.status.as_str(),
            crate::redact::escape_control(&report.operation),
            human_duration(report.duration_ms),
            w = width(self.total)
        );
        self.draw_status();
    }

    pub(super) fn finish(&mut self) {
        self.running.clear();
        self.clear_status();
        let _ = std::io::stdout().flush();
    }
}

fn width(total: usize) -> usize {
    total.to_string().len()
}
