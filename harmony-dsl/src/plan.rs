//! The interpret plan as data: scores, their operations as steps, and dependency edges.
//!
//! `score!` builds a [`Plan`] with [`Plan::add`]; the runtime prints, diffs, saves, renders and
//! executes it. A plan serialises to JSON and back, so `plan --out FILE` / `apply FILE` work.

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::marker::PhantomData;
use std::ops::Deref;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::higher_order::{Decentralized, Failover};
use crate::operation::Operation;
use crate::score::{Operations, Score, ScoreContext, ScoreKind, ScoreOutputs};
use crate::topology::{Host, Topology};

/// Index of a score in its plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ScoreId(pub usize);

/// Index of a step in its plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct StepId(pub usize);

impl fmt::Display for StepId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// A host a score is placed on. Made from a host marker type, so only declared hosts exist.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Placement(String);

impl Placement {
    /// The placement on host `H`.
    pub fn of<H: Host>() -> Self {
        Placement(H::NAME.to_string())
    }

    /// The host's name.
    pub fn host(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Placement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl crate::value::ScoreField for Placement {
    const KIND: crate::value::ValueKind = crate::value::ValueKind::Host;
}

/// How the runtime treats one step: timeout and retries of transient errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepPolicy {
    /// Time allowed for one attempt.
    #[serde(with = "millis")]
    pub timeout: Duration,
    /// Retries after a transient failure (0 = one attempt only).
    pub retries: u32,
    /// First backoff; doubles on each retry.
    #[serde(with = "millis")]
    pub backoff: Duration,
}

impl Default for StepPolicy {
    fn default() -> Self {
        StepPolicy {
            timeout: Duration::from_secs(120),
            retries: 3,
            backoff: Duration::from_millis(200),
        }
    }
}

mod millis {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(d.as_millis().try_into().unwrap_or(u64::MAX))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        u64::deserialize(d).map(Duration::from_millis)
    }
}

/// One step: an operation of a score, with the steps it waits for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    /// Its index.
    pub id: StepId,
    /// Name of the score instance it belongs to.
    pub score: String,
    /// What it does.
    pub operation: Operation,
    /// Steps that must succeed first.
    pub depends_on: Vec<StepId>,
    /// Timeout and retries.
    pub policy: StepPolicy,
}

/// One score instance in a plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreEntry {
    /// Instance name (`db`).
    pub name: String,
    /// Score type (`Postgres`).
    pub kind: String,
    /// Its fields as data, secrets redacted.
    pub spec: serde_json::Value,
    /// Scores it depends on (wiring and `after:`), by name.
    pub depends_on: Vec<String>,
    /// Its steps.
    pub steps: Vec<StepId>,
}

/// What went wrong while building a plan by hand (`score!` rules these out at compile time).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum PlanProblem {
    /// Two scores share a name.
    DuplicateScore(String),
    /// A score's fields could not be serialised.
    Unserialisable {
        /// The score.
        score: String,
        /// Why.
        reason: String,
    },
    /// Two scores claim the same port on one host (`None`: on this machine).
    PortClaimedTwice {
        /// The port.
        port: u16,
        /// The host.
        host: Option<String>,
        /// The two scores, in plan order.
        scores: (String, String),
    },
}

impl fmt::Display for PlanProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PlanProblem::DuplicateScore(name) => {
                write!(
                    f,
                    "two scores are named `{name}`; score names must be unique in a plan"
                )
            }
            PlanProblem::Unserialisable { score, reason } => {
                write!(f, "score `{score}` cannot be serialised: {reason}")
            }
            PlanProblem::PortClaimedTwice { port, host, scores } => f.write_str(
                &crate::claims::message(*port, host.as_deref(), (&scores.0, &scores.1)),
            ),
        }
    }
}

/// Where each score of a plan is, by name: what makes [`Plan::add`]'s duplicate check and
/// [`Plan::score`] constant-time (a scan of every score made building a plan of 10,000 scores
/// quadratic). A cache of `scores[..covered]`, not serialised: entries appended behind its back
/// (a deserialised plan, a push onto the public `scores`) are indexed on the next `add`; it is
/// rebuilt when `scores` shrank, and a hit naming an entry that changed name falls back to a scan.
#[derive(Clone, Default)]
struct NameIndex {
    /// Position of the first score of each name.
    positions: HashMap<String, usize>,
    /// How many leading scores `positions` covers.
    covered: usize,
}

impl NameIndex {
    /// Brings the index up to date with `scores`.
    fn sync(&mut self, scores: &[ScoreEntry]) {
        if self.covered > scores.len() {
            self.positions.clear();
            self.covered = 0;
        }
        for (i, entry) in scores.iter().enumerate().skip(self.covered) {
            self.positions.entry(entry.name.clone()).or_insert(i);
        }
        self.covered = scores.len();
    }

    /// The position of the first score called `name`: the index for the scores it covers, a
    /// scan for the others (or of everything when it does not match `scores`).
    fn find(&self, scores: &[ScoreEntry], name: &str) -> Option<usize> {
        if self.covered > scores.len() {
            return scores.iter().position(|s| s.name == name);
        }
        match self.positions.get(name) {
            Some(&i) if scores[i].name == name => Some(i),
            Some(_) => scores.iter().position(|s| s.name == name),
            None => scores[self.covered..]
                .iter()
                .position(|s| s.name == name)
                .map(|i| i + self.covered),
        }
    }
}

/// The interpret plan for topology `T`.
#[derive(Serialize, Deserialize)]
#[serde(bound = "")]
pub struct Plan<T> {
    /// Plan name.
    pub name: String,
    /// Topology name.
    pub topology: String,
    /// Score instances, in declaration order. Add to it with [`Plan::add`] or
    /// [`Plan::push_step`]; renaming an entry in place is not seen by the duplicate-name check.
    pub scores: Vec<ScoreEntry>,
    /// Steps, in a valid execution order (dependencies first).
    pub steps: Vec<Step>,
    /// Problems found while building it (empty for plans made by `score!`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<PlanProblem>,
    #[serde(skip)]
    names: NameIndex,
    #[serde(skip)]
    topology_type: PhantomData<fn() -> T>,
}

impl<T: Topology> Plan<Failover<T>> {
    /// [`Plan::add`] of a score placeable on the inner topology `T`, deployed to both sides.
    /// The same as `add` (a failover pair offers what `T` offers), but a missing capability is
    /// reported on `T`, where it is missing. `score!` uses it for `Plan<Failover<T>>`.
    pub fn add_on_both_sides<S: Score<T>>(
        &mut self,
        name: &str,
        score: S,
        after: &[ScoreId],
    ) -> ScoreHandle<<S as ScoreOutputs>::Outputs> {
        self.add_placeable(name, score, after)
    }
}

impl<T: Topology> Plan<Decentralized<T>> {
    /// [`Plan::add`] of a score placeable on the site topology `T`, deployed to every site. The
    /// same as `add` (the sites offer what `T` offers), but a missing capability is reported on
    /// `T`, where it is missing. `score!` uses it for `Plan<Decentralized<T>>`.
    pub fn add_on_every_site<S: Score<T>>(
        &mut self,
        name: &str,
        score: S,
        after: &[ScoreId],
    ) -> ScoreHandle<<S as ScoreOutputs>::Outputs> {
        self.add_placeable(name, score, after)
    }
}

impl<T> Clone for Plan<T> {
    fn clone(&self) -> Self {
        Plan {
            name: self.name.clone(),
            topology: self.topology.clone(),
            scores: self.scores.clone(),
            steps: self.steps.clone(),
            problems: self.problems.clone(),
            names: self.names.clone(),
            topology_type: PhantomData,
        }
    }
}

impl<T> fmt::Debug for Plan<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Plan")
            .field("name", &self.name)
            .field("topology", &self.topology)
            .field("scores", &self.scores)
            .field("steps", &self.steps)
            .field("problems", &self.problems)
            .finish()
    }
}

impl<T> PartialEq for Plan<T> {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
            && self.topology == other.topology
            && self.scores == other.scores
            && self.steps == other.steps
            && self.problems == other.problems
    }
}

/// A score added to a plan: its id and its typed outputs (`db.endpoint` derefs to them).
#[derive(Debug, Clone)]
pub struct ScoreHandle<O> {
    id: ScoreId,
    outputs: O,
}

impl<O> ScoreHandle<O> {
    /// The score's id in its plan.
    pub fn id(&self) -> ScoreId {
        self.id
    }
}

impl<O> Deref for ScoreHandle<O> {
    type Target = O;
    fn deref(&self) -> &O {
        &self.outputs
    }
}

impl<T: Topology> Plan<T> {
    /// An empty plan called `name`.
    pub fn new(name: impl Into<String>) -> Self {
        Plan {
            name: name.into(),
            topology: T::NAME.to_string(),
            scores: Vec::new(),
            steps: Vec::new(),
            problems: Vec::new(),
            names: NameIndex::default(),
            topology_type: PhantomData,
        }
    }

    /// Adds score instance `name`, after the scores in `after`. Its operations become steps:
    /// each waits for the previous one, and the first waits for every step of `after`.
    pub fn add<S: Score<T>>(
        &mut self,
        name: &str,
        score: S,
        after: &[ScoreId],
    ) -> ScoreHandle<<S as ScoreOutputs>::Outputs> {
        self.add_placeable(name, score, after)
    }

    /// [`Plan::add`] of a score whose placement the caller checked.
    fn add_placeable<S: ScoreKind + ScoreOutputs + Operations>(
        &mut self,
        name: &str,
        score: S,
        after: &[ScoreId],
    ) -> ScoreHandle<<S as ScoreOutputs>::Outputs> {
        self.names.sync(&self.scores);
        if self.names.find(&self.scores, name).is_some() {
            self.problems
                .push(PlanProblem::DuplicateScore(name.to_string()));
        }
        let ctx = ScoreContext {
            instance: name,
            plan: &self.name,
            topology: T::NAME,
        };
        let outputs = score.outputs(&ctx);
        let mut operations = score.operations(&ctx);
        let smoke_tests = score.smoke_tests(&ctx);
        let smoke_timeouts: Vec<Duration> =
            smoke_tests.iter().map(|c| c.timeout.as_std()).collect();
        operations.extend(
            smoke_tests
                .into_iter()
                .map(|check| Operation::smoke_test(name, check)),
        );
        let spec = serde_json::to_value(&score).unwrap_or_else(|e| {
            self.problems.push(PlanProblem::Unserialisable {
                score: name.to_string(),
                reason: e.to_string(),
            });
            serde_json::Value::Null
        });
        let clashes = crate::claims::check::<S>(&self.scores, name, &spec);
        self.problems.extend(clashes);
        let id = ScoreId(self.scores.len());
        let mut waits: BTreeSet<StepId> = BTreeSet::new();
        for dep in after {
            waits.extend(self.tail_steps(*dep));
        }
        let mut step_ids = Vec::with_capacity(operations.len());
        let first_smoke = operations.len() - smoke_timeouts.len();
        for (i, operation) in operations.into_iter().enumerate() {
            let step_id = StepId(self.steps.len());
            // A smoke test tries until its own timeout and is not retried on failure.
            let policy = match i
                .checked_sub(first_smoke)
                .and_then(|k| smoke_timeouts.get(k))
            {
                Some(timeout) => StepPolicy {
                    timeout: *timeout + Duration::from_secs(10),
                    retries: 0,
                    ..StepPolicy::default()
                },
                None => StepPolicy::default(),
            };
            self.steps.push(Step {
                id: step_id,
                score: name.to_string(),
                operation,
                depends_on: waits.iter().copied().collect(),
                policy,
            });
            waits.clear();
            waits.insert(step_id);
            step_ids.push(step_id);
        }
        let mut depends_on: Vec<String> = after
            .iter()
            .filter_map(|d| self.scores.get(d.0))
            .map(|s| s.name.clone())
            .collect();
        depends_on.dedup();
        self.scores.push(ScoreEntry {
            name: name.to_string(),
            kind: S::KIND.to_string(),
            spec,
            depends_on,
            steps: step_ids,
        });
        self.names.sync(&self.scores);
        ScoreHandle { id, outputs }
    }
}

impl<T: Topology> Plan<T> {
    /// Appends a raw step for score instance `score` (registering the score as kind `"Raw"` the
    /// first time), waiting for `depends_on`. For hand-built plans and tests; `score!` uses [`Plan::add`].
    pub fn push_step(
        &mut self,
        score: &str,
        operation: Operation,
        depends_on: &[StepId],
    ) -> StepId {
        let id = StepId(self.steps.len());
        self.steps.push(Step {
            id,
            score: score.to_string(),
            operation,
            depends_on: depends_on.to_vec(),
            policy: StepPolicy::default(),
        });
        self.names.sync(&self.scores);
        match self.names.find(&self.scores, score) {
            Some(i) => self.scores[i].steps.push(id),
            None => {
                self.scores.push(ScoreEntry {
                    name: score.to_string(),
                    kind: "Raw".to_string(),
                    spec: serde_json::Value::Null,
                    depends_on: Vec::new(),
                    steps: vec![id],
                });
                self.names.sync(&self.scores);
            }
        }
        id
    }
}

impl<T> Plan<T> {
    /// The steps a dependant of score `id` waits for: its last step, or, for a score without
    /// steps, the tails of what it depends on.
    fn tail_steps(&self, id: ScoreId) -> Vec<StepId> {
        let Some(entry) = self.scores.get(id.0) else {
            return Vec::new();
        };
        if let Some(last) = entry.steps.last() {
            return vec![*last];
        }
        entry
            .depends_on
            .iter()
            .filter_map(|name| self.names.find(&self.scores, name))
            .flat_map(|i| self.tail_steps(ScoreId(i)))
            .collect()
    }

    /// The score entry called `name`.
    pub fn score(&self, name: &str) -> Option<&ScoreEntry> {
        self.names.find(&self.scores, name).map(|i| &self.scores[i])
    }

    /// The sub-plan made of score `name` and everything it depends on (`--only SCORE`).
    /// Step ids are renumbered; `None` when there is no such score.
    pub fn only(&self, name: &str) -> Option<Plan<T>> {
        self.score(name)?;
        let mut keep: BTreeSet<&str> = BTreeSet::new();
        let mut todo = vec![name];
        while let Some(n) = todo.pop() {
            if keep.insert(n)
                && let Some(entry) = self.score(n)
            {
                todo.extend(entry.depends_on.iter().map(String::as_str));
            }
        }
        let mut renumber = std::collections::BTreeMap::new();
        let mut steps = Vec::new();
        for step in self
            .steps
            .iter()
            .filter(|s| keep.contains(s.score.as_str()))
        {
            let new_id = StepId(steps.len());
            renumber.insert(step.id, new_id);
            let mut step = step.clone();
            step.id = new_id;
            step.depends_on = step
                .depends_on
                .iter()
                .filter_map(|d| renumber.get(d).copied())
                .collect();
            steps.push(step);
        }
        let scores = self
            .scores
            .iter()
            .filter(|s| keep.contains(s.name.as_str()))
            .map(|s| {
                let mut s = s.clone();
                s.steps = s
                    .steps
                    .iter()
                    .filter_map(|d| renumber.get(d).copied())
                    .collect();
                s
            })
            .collect();
        Some(Plan {
            name: self.name.clone(),
            topology: self.topology.clone(),
            scores,
            steps,
            problems: self.problems.clone(),
            names: NameIndex::default(),
            topology_type: PhantomData,
        })
    }
}

impl<T> fmt::Display for Plan<T> {
    /// The plan as a person reads it: scores, then numbered steps with what they wait for.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "plan `{}` for topology `{}`", self.name, self.topology)?;
        for score in &self.scores {
            write!(f, "  score {} ({})", score.name, score.kind)?;
            if !score.depends_on.is_empty() {
                write!(f, " after {}", score.depends_on.join(", "))?;
            }
            writeln!(f)?;
            for id in &score.steps {
                let step = &self.steps[id.0];
                write!(f, "    {} {}", step.id, step.operation)?;
                if !step.depends_on.is_empty() {
                    let deps: Vec<String> = step.depends_on.iter().map(|d| d.to_string()).collect();
                    write!(f, " (waits for {})", deps.join(", "))?;
                }
                writeln!(f)?;
            }
        }
        for problem in &self.problems {
            writeln!(f, "  problem: {problem}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resource::{FileKind, FileSpec};

    struct Here;
    impl Topology for Here {
        const NAME: &'static str = "Here";
        fn hosts(&self) -> &[crate::topology::HostInfo] {
            &[]
        }
        fn capabilities(&self) -> &crate::CapabilityMap {
            unreachable!()
        }
    }

    fn file(path: &str) -> Operation {
        Operation::new::<dyn crate::capability::FileSystem>(FileSpec {
            path: path.into(),
            kind: FileKind::File {
                content: String::new(),
                mode: None,
            },
        })
    }

    fn duplicates(plan: &Plan<Here>) -> Vec<&str> {
        plan.problems
            .iter()
            .map(|p| match p {
                PlanProblem::DuplicateScore(name) => name.as_str(),
                PlanProblem::Unserialisable { .. } | PlanProblem::PortClaimedTwice { .. } => "?",
            })
            .collect()
    }

    #[test]
    fn names_are_found_through_the_index_however_the_scores_were_added() {
        let mut plan: Plan<Here> = Plan::new("p");
        for i in 0..100 {
            plan.push_step(&format!("s{i}"), file(&format!("f{i}")), &[]);
        }
        plan.push_step("s7", file("again"), &[]);
        assert_eq!(
            plan.score("s7").unwrap().steps,
            vec![StepId(7), StepId(100)]
        );
        assert!(plan.score("nope").is_none());
        // Deserialised: no index yet; pushed behind its back: not indexed yet.
        let json = serde_json::to_string(&plan).unwrap();
        let mut back: Plan<Here> = serde_json::from_str(&json).unwrap();
        assert_eq!(back, plan);
        assert_eq!(back.score("s99").unwrap().name, "s99");
        back.scores.push(ScoreEntry {
            name: "late".into(),
            kind: "Raw".into(),
            spec: serde_json::Value::Null,
            depends_on: vec![],
            steps: vec![],
        });
        assert!(back.score("late").is_some());
        back.push_step("late", file("late"), &[]);
        assert_eq!(back.scores.len(), 101, "`late` found, not added twice");
        // Shrunk behind its back: rebuilt.
        back.scores.truncate(10);
        assert!(back.score("s50").is_none());
        back.push_step("s50", file("x"), &[]);
        assert_eq!(back.score("s50").unwrap().steps.len(), 1);
        assert!(duplicates(&back).is_empty());
    }

    #[test]
    fn a_repeated_name_is_a_problem() {
        let cfg = |path: &str| crate::scores::ConfigFile {
            path: path.into(),
            content: String::new(),
            mode: None,
        };
        let mut plan: Plan<Here> = Plan::new("p");
        let a = plan.add_placeable("a", cfg("a"), &[]);
        plan.add_placeable("b", cfg("b"), &[a.id()]);
        assert!(duplicates(&plan).is_empty());
        plan.add_placeable("a", cfg("a2"), &[]);
        assert_eq!(duplicates(&plan), vec!["a"]);
        assert_eq!(
            plan.score("a").unwrap().steps,
            vec![StepId(0)],
            "the first `a`"
        );
        assert_eq!(plan.steps[1].depends_on, vec![StepId(0)]);
    }

    #[test]
    fn a_renamed_entry_is_not_found_under_its_old_name() {
        let mut plan: Plan<Here> = Plan::new("p");
        plan.push_step("a", file("a"), &[]);
        plan.push_step("b", file("b"), &[]);
        plan.scores[0].name = "z".into();
        assert!(plan.score("a").is_none());
        assert_eq!(plan.score("b").unwrap().name, "b");
    }
}
