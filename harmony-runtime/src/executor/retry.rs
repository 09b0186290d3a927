//! One step with its policy: timeout per attempt, retries of transient errors with doubling
//! backoff, no retry of permanent ones, and a stop when the run is cancelled during backoff.

use std::time::Duration;

use harmony_dsl::{Error, ErrorKind, Outcome, Step};

use super::{CancelToken, StepRunner};
use crate::report::{StepReport, StepStatus};

/// The result of running a step with its policy, and how many attempts it took.
#[derive(Debug)]
pub struct Attempted {
    /// The final result.
    pub result: Result<Outcome, Error>,
    /// Attempts made (at least 1).
    pub attempts: u32,
}

impl Attempted {
    /// The step report for this result (URL credentials in its message masked).
    pub fn into_report(self, step: &Step, duration_ms: u64) -> StepReport {
        let (status, message, error_kind) = match self.result {
            Ok(Outcome::Changed { summary }) => (StepStatus::Changed, Some(summary), None),
            Ok(Outcome::Unchanged) => (StepStatus::Unchanged, None, None),
            Err(e) if e.kind() == ErrorKind::Cancelled => (
                StepStatus::Cancelled,
                Some(e.to_string()),
                Some(e.kind().as_str().to_string()),
            ),
            Err(e) => (
                StepStatus::Failed,
                Some(e.to_string()),
                Some(e.kind().as_str().to_string()),
            ),
        };
        StepReport {
            duration_ms,
            attempts: self.attempts,
            message: message.map(|m| crate::redact::mask_url_credentials(&m).into_owned()),
            error_kind,
            ..StepReport::of_step(step, status)
        }
    }
}

/// The backoff before retry number `retry` (1-based): `backoff * 2^(retry-1)`.
pub fn backoff_before(backoff: Duration, retry: u32) -> Duration {
    backoff.saturating_mul(
        1u32.checked_shl(retry.saturating_sub(1))
            .unwrap_or(u32::MAX),
    )
}

/// The longest wait a `Retry-After` can impose before a retry.
pub const RETRY_AFTER_LIMIT: Duration = Duration::from_secs(30);

/// The wait before retry number `retry` after `error`: what the error's `Retry-After` asked for
/// (at most [`RETRY_AFTER_LIMIT`]), else the doubling backoff.
pub fn wait_before_retry(error: &Error, backoff: Duration, retry: u32) -> Duration {
    match error.retry_after() {
        Some(asked) => asked.min(RETRY_AFTER_LIMIT),
        None => backoff_before(backoff, retry),
    }
}

/// Runs `step` with its policy.
pub async fn run_with_policy<R: StepRunner + ?Sized>(
    runner: &R,
    step: &Step,
    cancel: &CancelToken,
) -> Attempted {
    let policy = step.policy;
    let mut attempts = 0;
    loop {
        attempts += 1;
        let result = match tokio::time::timeout(policy.timeout, runner.run(step)).await {
            Ok(result) => result,
            Err(_) => Err(Error::new(
                ErrorKind::Timeout,
                format!(
                    "attempt {attempts} timed out after {}ms",
                    policy.timeout.as_millis()
                ),
            )),
        };
        match result {
            Err(e) if e.is_transient() && attempts <= policy.retries => {
                let wait = wait_before_retry(&e, policy.backoff, attempts);
                tracing::info!(
                    step = step.id.0,
                    attempt = attempts,
                    "transient failure, retrying in {}ms: {e}",
                    wait.as_millis()
                );
                tokio::select! {
                    () = tokio::time::sleep(wait) => {}
                    () = cancel.cancelled() => {
                        let error = Error::new(
                            ErrorKind::Cancelled,
                            format!("cancelled while waiting to retry after: {e}"),
                        );
                        return Attempted { result: Err(error), attempts };
                    }
                }
            }
            result => return Attempted { result, attempts },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles() {
        let base = Duration::from_millis(100);
        let waits: Vec<u128> = (1..=4)
            .map(|r| backoff_before(base, r).as_millis())
            .collect();
        assert_eq!(waits, vec![100, 200, 400, 800]);
        assert_eq!(
            backoff_before(base, 40),
            Duration::from_millis(100).saturating_mul(u32::MAX)
        );
    }

    #[test]
    fn retry_after_replaces_the_backoff_within_the_limit() {
        let base = Duration::from_millis(100);
        let plain = Error::transient("busy");
        assert_eq!(
            wait_before_retry(&plain, base, 3),
            Duration::from_millis(400)
        );
        let asked = Error::transient("busy").with_retry_after(Duration::from_secs(2));
        assert_eq!(wait_before_retry(&asked, base, 3), Duration::from_secs(2));
        let greedy = Error::transient("busy").with_retry_after(Duration::from_secs(3600));
        assert_eq!(wait_before_retry(&greedy, base, 1), RETRY_AFTER_LIMIT);
    }
}
