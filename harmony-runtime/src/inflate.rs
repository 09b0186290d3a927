//! Chart inflation: before a plan is planned, applied or rendered, each chart step
//! (a `HelmCommand` operation, from a `HelmChart` score) is replaced by one
//! `K8sCluster` operation per object the chart renders, labelled like every Harmony object.
//!
//! Why here, and not a `HelmCommand` step that applies the objects itself: once inflated, a
//! chart's objects are ordinary steps, so everything the runtime does for objects it does for
//! them, unchanged: `plan` shows one line and one server-side dry-run diff per object (changing
//! `replicaCount` is a one-object update), `apply` records each object in the state, so an
//! object the chart stops rendering, or every object of a chart removed from the plan, is
//! pruned by the same code as any other; `render DIR` writes one manifest per object; `plan
//! --out` saves the objects, so `apply FILE` applies exactly what was reviewed and detects
//! drift per object. A single opaque step would need its own diff, state and prune logic.
//!
//! The objects of one chart are chained in the order Helm prints them (its install order:
//! namespaces and service accounts before the workloads that use them); the first waits for
//! what the chart step waited for, and the chart's dependants wait for the last.
//!
//! A chart that fails to inflate (chart or `helm` not found, a template error, values failing
//! the chart's schema, a document that is no Kubernetes object, an object another step declares
//! too) stays a chart step: it fails with the same error when run, its dependants are skipped,
//! independent steps still run, and what the chart applied before is kept, never pruned.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use futures_util::StreamExt;
use harmony_dsl::capability::{HelmCommand, K8sCluster};
use harmony_dsl::resource::{HelmRelease, KubeObject};
use harmony_dsl::{Error, Operation, Plan, Step, StepId, Topology};

/// A chart that could not be inflated.
#[derive(Debug)]
pub struct ChartFailure {
    /// The chart step (in the plan as given).
    pub step: StepId,
    /// Its score instance.
    pub score: String,
    /// Why.
    pub error: Error,
}

/// The plan with every chart it could inflate replaced by the chart's objects, and the charts
/// it could not inflate (left as chart steps).
#[derive(Debug)]
pub struct Inflated<T> {
    /// The plan.
    pub plan: Plan<T>,
    /// The charts that failed.
    pub failures: Vec<ChartFailure>,
}

/// Inflates every chart step of `plan` with `topology`'s [`HelmCommand`] provider, one chart per
/// CPU at a time. A plan without charts is returned as it is.
pub async fn inflate<T: Topology>(plan: Plan<T>, topology: &T) -> Inflated<T> {
    let charts: Vec<(StepId, &HelmRelease)> = plan
        .steps
        .iter()
        .filter_map(|s| {
            s.operation
                .resource::<dyn HelmCommand>()
                .map(|release| (s.id, release))
        })
        .collect();
    if charts.is_empty() {
        return Inflated {
            plan,
            failures: Vec::new(),
        };
    }
    let helm = topology.capabilities().get::<dyn HelmCommand>();
    let results: Vec<Result<Vec<KubeObject>, Error>> =
        futures_util::stream::iter(charts.iter().map(|(_, release)| async move {
            match helm {
                Some(helm) => helm.inflate(release).await,
                None => Err(Error::permanent(format!(
                    "topology `{}` has no provider for capability `HelmCommand`",
                    T::NAME
                ))),
            }
        }))
        .buffered(crate::executor::default_parallelism())
        .collect()
        .await;
    let mut outcomes: HashMap<StepId, Result<Vec<KubeObject>, Error>> =
        charts.iter().map(|(id, _)| *id).zip(results).collect();
    reject_duplicates(&plan, &mut outcomes);
    let mut failures = Vec::new();
    let mut objects = HashMap::new();
    for (id, outcome) in outcomes {
        match outcome {
            Ok(list) => {
                objects.insert(id, list);
            }
            Err(error) => failures.push(ChartFailure {
                step: id,
                score: plan.steps[id.0].score.clone(),
                error,
            }),
        }
    }
    failures.sort_by_key(|f| f.step);
    Inflated {
        plan: expand(plan, objects),
        failures,
    }
}

/// Turns a chart's result into an error when one of its objects is declared by another step
/// (native or another chart's): two steps applying one object would fight over it.
fn reject_duplicates<T>(
    plan: &Plan<T>,
    outcomes: &mut HashMap<StepId, Result<Vec<KubeObject>, Error>>,
) {
    let mut owners: BTreeMap<String, String> = plan
        .steps
        .iter()
        .filter(|s| s.operation.resource::<dyn HelmCommand>().is_none())
        .map(|s| (s.operation.resource_id(), s.score.clone()))
        .collect();
    let mut chart_ids: Vec<StepId> = outcomes.keys().copied().collect();
    chart_ids.sort();
    for id in chart_ids {
        let score = &plan.steps[id.0].score;
        let Some(Ok(objects)) = outcomes.get(&id) else {
            continue;
        };
        let clash = objects.iter().find_map(|o| {
            owners
                .get(&o.id())
                .map(|owner| (describe(o), owner.clone()))
        });
        if let Some((what, owner)) = clash {
            let message = if &owner == score {
                format!("the chart renders {what} twice")
            } else {
                format!("the chart renders {what}, which score `{owner}` declares too")
            };
            outcomes.insert(id, Err(Error::permanent(message)));
            continue;
        }
        for object in objects {
            owners.insert(object.id(), score.clone());
        }
    }
}

/// `Deployment shop/web`, `Namespace shop`.
fn describe(object: &KubeObject) -> String {
    match &object.namespace {
        Some(ns) => format!("{} {ns}/{}", object.kind, object.name),
        None => format!("{} {}", object.kind, object.name),
    }
}

/// `plan` with each chart step of `objects` replaced by one step per object, ids renumbered.
fn expand<T>(mut plan: Plan<T>, mut objects: HashMap<StepId, Vec<KubeObject>>) -> Plan<T> {
    if objects.is_empty() {
        return plan;
    }
    // What a dependant of each old step waits for, in new ids.
    let mut tails: HashMap<StepId, Vec<StepId>> = HashMap::new();
    let mut steps: Vec<Step> = Vec::with_capacity(plan.steps.len());
    for old in std::mem::take(&mut plan.steps) {
        let waits: Vec<StepId> = old
            .depends_on
            .iter()
            .flat_map(|d| tails.get(d).cloned().unwrap_or_default())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let Some(chart_objects) = objects.remove(&old.id) else {
            let id = StepId(steps.len());
            tails.insert(old.id, vec![id]);
            steps.push(Step {
                id,
                depends_on: waits,
                ..old
            });
            continue;
        };
        let mut previous: Option<StepId> = None;
        for mut object in chart_objects {
            object
                .labels
                .insert("harmony.io/plan".to_string(), plan.name.clone());
            object
                .labels
                .insert("harmony.io/score".to_string(), old.score.clone());
            let id = StepId(steps.len());
            steps.push(Step {
                id,
                score: old.score.clone(),
                operation: Operation::new::<dyn K8sCluster>(object),
                depends_on: previous.map_or_else(|| waits.clone(), |p| vec![p]),
                policy: old.policy,
            });
            previous = Some(id);
        }
        tails.insert(old.id, previous.map_or(waits, |p| vec![p]));
    }
    // Each score's new steps, from one pass over the steps (a scan per score was quadratic).
    let mut by_score: HashMap<&str, Vec<StepId>> = HashMap::new();
    for step in &steps {
        by_score
            .entry(step.score.as_str())
            .or_default()
            .push(step.id);
    }
    for entry in &mut plan.scores {
        entry.steps = by_score
            .get(entry.name.as_str())
            .cloned()
            .unwrap_or_default();
    }
    plan.steps = steps;
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use harmony_dsl::resource::{FileKind, FileSpec};
    use serde_json::Map;

    fn release(name: &str) -> Operation {
        Operation::new::<dyn HelmCommand>(HelmRelease {
            chart: "charts/demo".into(),
            release: name.into(),
            namespace: "shop".into(),
            values_files: vec![],
            values: Map::new(),
            check_schema: true,
        })
    }

    fn object(kind: &str, name: &str) -> KubeObject {
        KubeObject {
            api_version: "v1".into(),
            kind: kind.into(),
            name: name.into(),
            namespace: Some("shop".into()),
            labels: BTreeMap::new(),
            body: Map::new(),
            secret_data: BTreeMap::new(),
        }
    }

    fn file(path: &str) -> Operation {
        Operation::new::<dyn harmony_dsl::capability::FileSystem>(FileSpec {
            path: path.into(),
            kind: FileKind::Directory,
        })
    }

    #[test]
    fn a_chart_step_becomes_a_chain_of_labelled_objects_that_dependants_wait_for() {
        let mut plan: Plan<crate::Localhost> = Plan::new("shop");
        let before = plan.push_step("base", file("base"), &[]);
        let chart = plan.push_step("app", release("app"), &[before]);
        plan.push_step("after", file("after"), &[chart]);
        let empty = plan.push_step("nothing", release("nothing"), &[before]);
        plan.push_step("last", file("last"), &[empty]);
        let objects = HashMap::from([
            (
                chart,
                vec![object("ServiceAccount", "a"), object("Deployment", "a")],
            ),
            (empty, vec![]),
        ]);
        let plan = expand(plan, objects);
        let lines: Vec<String> = plan
            .steps
            .iter()
            .map(|s| format!("{} {} {} {:?}", s.id, s.score, s.operation, s.depends_on))
            .collect();
        assert_eq!(
            lines,
            [
                "#0 base directory base []",
                "#1 app apply ServiceAccount shop/a [StepId(0)]",
                "#2 app apply Deployment shop/a [StepId(1)]",
                "#3 after directory after [StepId(2)]",
                "#4 last directory last [StepId(0)]",
            ]
        );
        assert_eq!(plan.score("app").unwrap().steps, [StepId(1), StepId(2)]);
        assert!(plan.score("nothing").unwrap().steps.is_empty());
        let Some(deployment) = plan.steps[2].operation.resource::<dyn K8sCluster>() else {
            panic!("an object step");
        };
        assert_eq!(deployment.labels["harmony.io/plan"], "shop");
        assert_eq!(deployment.labels["harmony.io/score"], "app");
    }

    #[test]
    fn an_object_declared_twice_fails_the_later_chart() {
        let mut plan: Plan<crate::Localhost> = Plan::new("shop");
        let one = plan.push_step("one", release("one"), &[]);
        let two = plan.push_step("two", release("two"), &[]);
        let mut outcomes = HashMap::from([
            (one, Ok(vec![object("Service", "web")])),
            (two, Ok(vec![object("Service", "web")])),
        ]);
        reject_duplicates(&plan, &mut outcomes);
        assert!(outcomes[&one].is_ok());
        let err = outcomes[&two].as_ref().unwrap_err().to_string();
        assert!(
            err.contains("renders Service shop/web, which score `one` declares too"),
            "{err}"
        );
    }
}
