//! Results of a run: one [`StepReport`] per step, a [`Summary`], the human table and the JSON
//! form. The JSON schema is documented in `SCHEMA.md` and versioned by [`SCHEMA_VERSION`].

use std::fmt::Write as _;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Version of every JSON document the CLI prints or saves. Bumped on incompatible changes.
pub const SCHEMA_VERSION: u32 = 1;

/// What happened to one step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    /// It ran and changed the world.
    Changed,
    /// It ran; everything was already as desired.
    Unchanged,
    /// It ran and failed (after its retries).
    Failed,
    /// It did not run because a step it depends on failed.
    Skipped,
    /// It did not run, or did not finish, because the run was cancelled.
    Cancelled,
}

impl StepStatus {
    /// Lowercase name, as printed.
    pub const fn as_str(self) -> &'static str {
        match self {
            StepStatus::Changed => "changed",
            StepStatus::Unchanged => "unchanged",
            StepStatus::Failed => "failed",
            StepStatus::Skipped => "skipped",
            StepStatus::Cancelled => "cancelled",
        }
    }

    /// Whether the step succeeded (changed or unchanged).
    pub const fn is_success(self) -> bool {
        matches!(self, StepStatus::Changed | StepStatus::Unchanged)
    }
}

/// The result of one step (or one removal of a pruned resource).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepReport {
    /// Step index in the plan; `null` for removals of pruned resources.
    pub step: Option<usize>,
    /// Score instance the step belongs to (`null` for removals).
    pub score: Option<String>,
    /// The operation, as a person reads it (`file site/index.html`).
    pub operation: String,
    /// Stable resource id (`file:site/index.html`).
    pub resource: String,
    /// What happened.
    pub status: StepStatus,
    /// Wall time from first attempt to the end, in milliseconds.
    pub duration_ms: u64,
    /// Attempts made (0 when it never started).
    pub attempts: u32,
    /// Change summary, error message, or why it was skipped.
    pub message: Option<String>,
    /// Kind of the final error (`transient`, `permanent`, `timeout`...), when it failed.
    pub error_kind: Option<String>,
    /// For skipped steps: the failed step that caused it.
    pub caused_by: Option<usize>,
}

impl StepReport {
    /// The report of `step` with `status` and nothing else yet: no time, no attempt, no message.
    pub fn of_step(step: &harmony_dsl::Step, status: StepStatus) -> StepReport {
        StepReport {
            step: Some(step.id.0),
            score: Some(step.score.clone()),
            operation: step.operation.to_string(),
            resource: step.operation.resource_id(),
            status,
            duration_ms: 0,
            attempts: 0,
            message: None,
            error_kind: None,
            caused_by: None,
        }
    }

    /// The step's duration.
    pub fn duration(&self) -> Duration {
        Duration::from_millis(self.duration_ms)
    }
}

/// Counts per status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Steps that changed something.
    pub changed: usize,
    /// Steps already as desired.
    pub unchanged: usize,
    /// Steps that failed.
    pub failed: usize,
    /// Steps skipped because a dependency failed.
    pub skipped: usize,
    /// Steps not run because the run was cancelled.
    pub cancelled: usize,
    /// Total wall time of the run, in milliseconds.
    pub duration_ms: u64,
}

impl Summary {
    /// Counts the statuses of `reports`.
    pub fn of(reports: &[StepReport], duration: Duration) -> Self {
        let mut summary = Summary {
            duration_ms: duration.as_millis().try_into().unwrap_or(u64::MAX),
            ..Summary::default()
        };
        for report in reports {
            match report.status {
                StepStatus::Changed => summary.changed += 1,
                StepStatus::Unchanged => summary.unchanged += 1,
                StepStatus::Failed => summary.failed += 1,
                StepStatus::Skipped => summary.skipped += 1,
                StepStatus::Cancelled => summary.cancelled += 1,
            }
        }
        summary
    }

    /// Whether every step succeeded.
    pub fn is_success(&self) -> bool {
        self.failed == 0 && self.skipped == 0 && self.cancelled == 0
    }
}

/// The report of an `apply`: removals of pruned resources, then every step, then the summary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplyReport {
    /// [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// Always `"apply"`.
    pub command: String,
    /// Plan name.
    pub plan: String,
    /// Topology name.
    pub topology: String,
    /// Whether the run was cancelled.
    pub cancelled: bool,
    /// Resources removed because the plan no longer declares them.
    pub removed: Vec<StepReport>,
    /// One entry per step, in step order.
    pub steps: Vec<StepReport>,
    /// Counts over `removed` and `steps`.
    pub summary: Summary,
    /// The process exit code.
    pub exit_code: u8,
    /// Why the state could not be written, when it could not (exit code 4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state_error: Option<String>,
}

fn pad(s: &str, width: usize) -> String {
    let len = s.chars().count();
    if len >= width {
        s.to_string()
    } else {
        format!("{s}{}", " ".repeat(width - len))
    }
}

/// Human form of a duration: `850ms`, `2.4s`.
pub fn human_duration(ms: u64) -> String {
    if ms < 1000 {
        format!("{ms}ms")
    } else {
        format!("{:.1}s", ms as f64 / 1000.0)
    }
}

/// The summary table printed at the end of `apply` (control characters escaped: messages may
/// quote what a server answered).
pub fn summary_table(removed: &[StepReport], steps: &[StepReport], summary: &Summary) -> String {
    let rows: Vec<[String; 5]> = removed
        .iter()
        .chain(steps)
        .map(|r| {
            [
                r.step.map_or_else(|| "-".to_string(), |s| format!("#{s}")),
                r.status.as_str().to_string(),
                crate::redact::escape_control(&r.operation).into_owned(),
                format!("{} / {}", human_duration(r.duration_ms), r.attempts),
                crate::redact::escape_control(r.message.as_deref().unwrap_or_default())
                    .into_owned(),
            ]
        })
        .collect();
    let headers = ["STEP", "STATUS", "OPERATION", "TIME / TRIES", "DETAIL"];
    let mut widths = headers.map(str::len);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let line = |cells: [&str; 5], out: &mut String| {
        let mut text = String::new();
        for (i, cell) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                text.push_str(cell);
            } else {
                text.push_str(&pad(cell, widths[i]));
                text.push_str("  ");
            }
        }
        out.push_str(text.trim_end());
        out.push('\n');
    };
    line(headers, &mut out);
    for row in &rows {
        line([&row[0], &row[1], &row[2], &row[3], &row[4]], &mut out);
    }
    let _ = writeln!(
        out,
        "{} changed, {} unchanged, {} failed, {} skipped, {} cancelled in {}",
        summary.changed,
        summary.unchanged,
        summary.failed,
        summary.skipped,
        summary.cancelled,
        human_duration(summary.duration_ms)
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(status: StepStatus) -> StepReport {
        StepReport {
            step: Some(0),
            score: Some("s".into()),
            operation: "file a".into(),
            resource: "file:a".into(),
            status,
            duration_ms: 1500,
            attempts: 2,
            message: Some("created".into()),
            error_kind: None,
            caused_by: None,
        }
    }

    #[test]
    fn summary_counts_each_status() {
        let reports: Vec<_> = [
            StepStatus::Changed,
            StepStatus::Changed,
            StepStatus::Unchanged,
            StepStatus::Failed,
            StepStatus::Skipped,
            StepStatus::Cancelled,
        ]
        .into_iter()
        .map(report)
        .collect();
        let summary = Summary::of(&reports, Duration::from_millis(42));
        assert_eq!(
            summary,
            Summary {
                changed: 2,
                unchanged: 1,
                failed: 1,
                skipped: 1,
                cancelled: 1,
                duration_ms: 42
            }
        );
        assert!(!summary.is_success());
    }

    #[test]
    fn table_has_a_row_per_step_and_a_total() {
        let steps = vec![report(StepStatus::Changed)];
        let table = summary_table(
            &[],
            &steps,
            &Summary::of(&steps, Duration::from_millis(1500)),
        );
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(lines[0].starts_with("STEP"));
        assert!(
            lines[1].contains("#0")
                && lines[1].contains("changed")
                && lines[1].contains("1.5s / 2")
        );
        assert_eq!(
            lines[2],
            "1 changed, 0 unchanged, 0 failed, 0 skipped, 0 cancelled in 1.5s"
        );
    }
}
