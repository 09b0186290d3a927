//! The engine's only contact with the state directory during a run: the lock, loading the state,
//! recording each step as it succeeds and forgetting each pruned resource, and which recorded
//! resources the plan no longer declares.

use std::collections::HashSet;

use harmony_dsl::{Operation, Plan};

use super::{EngineError, ExitStatus};
use crate::state::{Lock, State, StateDir, StateWriter};

/// Loads the state of `dir` (empty when there is none yet), refusing a state of another schema
/// version or topology.
pub(super) fn load(dir: &StateDir, topology: &str) -> Result<State, EngineError> {
    dir.load_for(topology)
        .map_err(|e| EngineError::new(ExitStatus::StateIo, format!("cannot read the state: {e}")))
}

/// Holds the lock for a run and records state changes (one journal line each, O(change)),
/// remembering the first write error.
pub(super) struct Recorder {
    writer: StateWriter,
    error: Option<String>,
    // Declared last: released after the journal is compacted and closed.
    _lock: Lock,
}

impl Recorder {
    /// Takes the lock of `dir` and loads its state.
    pub(super) fn open(dir: &StateDir, topology: &str) -> Result<Self, EngineError> {
        let lock = dir.lock().map_err(|e| {
            EngineError::new(ExitStatus::StateIo, format!("cannot lock the state: {e}"))
        })?;
        let writer = dir.writer(&lock, topology).map_err(|e| {
            EngineError::new(ExitStatus::StateIo, format!("cannot read the state: {e}"))
        })?;
        Ok(Recorder {
            writer,
            error: None,
            _lock: lock,
        })
    }

    /// The state as recorded so far.
    pub(super) fn state(&self) -> &State {
        self.writer.state()
    }

    /// Records a step that succeeded. `pre_existing`: the step found the resource already there
    /// (unchanged, or updated in place), so a resource without a record yet is *adopted*.
    pub(super) fn record(
        &mut self,
        plan: &str,
        score: &str,
        operation: &Operation,
        pre_existing: bool,
    ) {
        let result = self.writer.record(plan, score, operation, pre_existing);
        self.check(result);
    }

    /// Forgets a resource that was removed, or an adopted one left in place.
    pub(super) fn forget(&mut self, resource: &str) {
        let result = self.writer.forget(resource);
        self.check(result);
    }

    /// Ends the run: folds the journal into `state.json` (also written when there was none yet)
    /// and releases the lock; the first write error, if any.
    pub(super) fn close(mut self) -> Option<String> {
        let result = self.writer.compact().map(|()| true);
        self.check(result);
        self.error
    }

    fn check(&mut self, result: std::io::Result<bool>) {
        if let Err(e) = result {
            tracing::error!("cannot write the state: {e}");
            self.error.get_or_insert_with(|| e.to_string());
        }
    }
}

/// Resources recorded as applied by plan `plan` that `plan` no longer declares and that Harmony
/// created: (id, score, operation). A score whose chart could not be inflated declares objects
/// that are not known: what it applied before is kept.
pub(super) fn orphans<T>(state: &State, plan: &Plan<T>) -> Vec<(String, String, Operation)> {
    undeclared(state, plan, false)
}

/// Resources no longer declared that Harmony adopted (they existed before it applied them):
/// left in place and forgotten, never removed.
pub(super) fn adopted_undeclared<T>(
    state: &State,
    plan: &Plan<T>,
) -> Vec<(String, String, Operation)> {
    undeclared(state, plan, true)
}

fn undeclared<T>(state: &State, plan: &Plan<T>, adopted: bool) -> Vec<(String, String, Operation)> {
    let declared: HashSet<String> = plan
        .steps
        .iter()
        .map(|s| s.operation.resource_id())
        .collect();
    let unknown: HashSet<&str> = plan
        .steps
        .iter()
        .filter(|s| {
            s.operation
                .resource::<dyn harmony_dsl::capability::HelmCommand>()
                .is_some()
        })
        .map(|s| s.score.as_str())
        .collect();
    state
        .resources
        .iter()
        .filter(|(id, record)| {
            record.plan == plan.name
                && !record.operation.is_smoke_test()
                && !declared.contains(*id)
                && !unknown.contains(record.score.as_str())
                && record.adopted == adopted
        })
        .map(|(id, record)| (id.clone(), record.score.clone(), record.operation.clone()))
        .collect()
}
