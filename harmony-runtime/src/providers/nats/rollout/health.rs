//! Whether a device is healthy at a revision, judged from its agent's last status.

use super::super::wire::{DeviceStatus, WorkloadState};

/// What a device's status says about one desired key at one revision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Health {
    /// It runs that revision and every workload of the key runs, none restarted.
    Healthy,
    /// Not there yet (or offline), and why: it may still get there.
    Waiting(String),
    /// It runs that revision and it does not work, and why.
    Failing(String),
}

/// Judges `status` (`None`: the agent never reported) for `key` at `revision` at `now_ms`.
pub fn judge(status: Option<&DeviceStatus>, key: &str, revision: u64, now_ms: u64) -> Health {
    let Some(status) = status else {
        return Health::Waiting("its agent has never reported".to_string());
    };
    if !status.online_at(now_ms) {
        let age = now_ms.saturating_sub(status.heartbeat_ms) / 1000;
        return Health::Waiting(format!("offline: last heartbeat {age}s ago"));
    }
    match status.applied.get(key) {
        Some(r) if *r == revision => {}
        Some(r) => {
            return Health::Waiting(format!("runs revision {r}, not yet {revision}"));
        }
        None => return Health::Waiting(format!("has not applied revision {revision} yet")),
    }
    let workloads: Vec<_> = status.workloads.iter().filter(|w| w.key == key).collect();
    for w in &workloads {
        let what = if w.name.is_empty() {
            "its desired state".to_string()
        } else {
            format!("workload `{}`", w.name)
        };
        let message = w.message.as_deref().unwrap_or("no message");
        match w.state {
            WorkloadState::Failed => return Health::Failing(format!("{what} failed: {message}")),
            WorkloadState::BackingOff => {
                return Health::Failing(format!("{what} exited: {message}"));
            }
            _ if w.restarts > 0 => {
                return Health::Failing(format!(
                    "{what} restarted {} times: {message}",
                    w.restarts
                ));
            }
            _ => {}
        }
    }
    if workloads.iter().all(|w| w.state == WorkloadState::Running) {
        Health::Healthy
    } else {
        Health::Waiting("its workloads are starting".to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::nats::wire::{Phase, WorkloadStatus};

    fn status(
        applied: u64,
        state: WorkloadState,
        restarts: u32,
        heartbeat_ms: u64,
    ) -> DeviceStatus {
        DeviceStatus {
            device: "d1".to_string(),
            phase: Phase::Converged,
            online: true,
            applied: [("k".to_string(), applied)].into_iter().collect(),
            workloads: vec![WorkloadStatus {
                name: "w".to_string(),
                key: "k".to_string(),
                state,
                pid: None,
                restarts,
                message: Some("exit status 3".to_string()),
            }],
            heartbeat_ms,
            heartbeat_interval_ms: 1000,
            server: None,
        }
    }

    #[test]
    fn healthy_only_at_the_revision_with_every_workload_running_unrestarted() {
        let now = 10_000;
        assert_eq!(
            judge(
                Some(&status(5, WorkloadState::Running, 0, now)),
                "k",
                5,
                now
            ),
            Health::Healthy
        );
        assert!(matches!(
            judge(
                Some(&status(4, WorkloadState::Running, 0, now)),
                "k",
                5,
                now
            ),
            Health::Waiting(_)
        ));
        assert!(matches!(
            judge(
                Some(&status(5, WorkloadState::Starting, 0, now)),
                "k",
                5,
                now
            ),
            Health::Waiting(_)
        ));
    }

    #[test]
    fn a_crash_or_restart_at_the_revision_is_a_failure_offline_is_waiting() {
        let now = 10_000;
        assert_eq!(
            judge(
                Some(&status(5, WorkloadState::BackingOff, 1, now)),
                "k",
                5,
                now
            ),
            Health::Failing("workload `w` exited: exit status 3".to_string())
        );
        assert!(matches!(
            judge(
                Some(&status(5, WorkloadState::Running, 2, now)),
                "k",
                5,
                now
            ),
            Health::Failing(_)
        ));
        assert_eq!(
            judge(
                Some(&status(5, WorkloadState::Running, 0, 1_000)),
                "k",
                5,
                now
            ),
            Health::Waiting("offline: last heartbeat 9s ago".to_string())
        );
        assert!(matches!(judge(None, "k", 5, now), Health::Waiting(_)));
    }
}
