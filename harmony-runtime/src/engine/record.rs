//! The engine's only contact with the state directory during a run: the lock, loading the state,
//! recording each step as it succeeds and forgetting each pruned resource, and which recorded
//! resources the plan no longer declares.

use std::collections::HashSet;

use harmony_dsl::{Operation, Plan};

use super::{EngineError, ExitStatus};
use crate::state::{Lock, State, StateDir};

/// Loads the state of `dir` (empty when there is none yet).
pub(super) fn load(dir: &StateDir, topology: &str) -> Result<State, EngineError> {
    match dir.load() {
        Ok(Some(state)) => Ok(state),
        Ok(None) => Ok(State::empty(topology)),
        Err(e) => Err(EngineError::new(
            ExitStatus::StateIo,
            format!("cannot read the state: {e}"),
        )),
    }
}

/// Holds the lock for a run and records state changes, remembering the first write error.
pub(super) struct Recorder<'a> {
    _lock: Lock,
    dir: &'a StateDir,
    state: State,
    error: Option<String>,
}

impl<'a> Recorder<'a> {
    /// Takes the lock of `dir` and loads its state.
    pub(super) fn open(dir: &'a StateDir, topology: &str) -> Result<Self, EngineError> {
        let lock = dir.lock().map_err(|e| {
            EngineError::new(ExitStatus::StateIo, format!("cannot lock the state: {e}"))
        })?;
        let state = load(dir, topology)?;
        Ok(Recorder {
            _lock: lock,
            dir,
            state,
            error: None,
        })
    }

    /// The state as recorded so far.
    pub(super) fn state(&self) -> &State {
        &self.state
    }

    /// Records a step that succeeded.
    pub(super) fn record(&mut self, plan: &str, score: &str, operation: &Operation) {
        if self.state.record(plan, score, operation) {
            self.save();
        }
    }

    /// Forgets a resource that was removed.
    pub(super) fn forget(&mut self, resource: &str) {
        if self.state.resources.remove(resource).is_some() {
            self.save();
        }
    }

    /// Ends the run (writing the state once more when it was cancelled or never written, so that
    /// the file is complete) and releases the lock; the first write error, if any.
    pub(super) fn close(mut self, cancelled: bool) -> Option<String> {
        if cancelled || !self.dir.state_file().exists() {
            self.save();
        }
        self.error
    }

    fn save(&mut self) {
        if let Err(e) = self.dir.save(&self.state) {
            tracing::error!("cannot write the state: {e}");
            self.error.get_or_insert_with(|| e.to_string());
        }
    }
}

/// Resources recorded as applied by plan `plan` that `plan` no longer declares: (id, score,
/// operation). A score whose chart could not be inflated declares objects that are not known:
/// what it applied before is kept.
pub(super) fn orphans<T>(state: &State, plan: &Plan<T>) -> Vec<(String, String, Operation)> {
    let declared: HashSet<String> = plan
        .steps
        .iter()
        .map(|s| s.operation.resource_id())
        .collect();
    let unknown: HashSet<&str> = plan
        .steps
        .iter()
        .filter(|s| matches!(s.operation, Operation::HelmCommand(_)))
        .map(|s| s.score.as_str())
        .collect();
    state
        .resources
        .iter()
        .filter(|(id, record)| {
            record.plan == plan.name
                && !matches!(record.operation, Operation::SmokeTest { .. })
                && !declared.contains(*id)
                && !unknown.contains(record.score.as_str())
        })
        .map(|(id, record)| (id.clone(), record.score.clone(), record.operation.clone()))
        .collect()
}
