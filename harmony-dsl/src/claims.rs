//! The plan-time check of resource claims: the same port claimed twice on one host (or, for
//! scores that run on this machine, here). `score!` refuses a clash inside one plan function at
//! compile time; this check catches what it cannot see (plans built by hand or composed at run
//! time) with the same message, as a [`PlanProblem`] that `plan` and `apply` refuse before
//! anything runs.

use std::collections::BTreeMap;
use std::sync::Mutex;

use crate::plan::{PlanProblem, ScoreEntry};
use crate::score::{FieldInfo, ScoreKind};
use crate::value::ValueKind;

/// What the check needs of a score type, by its name (entries of a plan only keep the name).
#[derive(Clone, Copy)]
struct KindInfo {
    fields: &'static [FieldInfo],
    on_this_machine: bool,
}

static KINDS: Mutex<BTreeMap<&'static str, KindInfo>> = Mutex::new(BTreeMap::new());

/// The ports a score claims, each with where: `Some(host)`, or `None` for this machine.
fn claims(info: KindInfo, spec: &serde_json::Value) -> Vec<(Option<String>, u16)> {
    let field = |name: &str| spec.get(name).filter(|v| !v.is_null());
    let mut hosts: Vec<Option<String>> = Vec::new();
    for f in info.fields.iter().filter(|f| f.kind == ValueKind::Host) {
        match field(f.name) {
            Some(serde_json::Value::String(h)) => hosts.push(Some(h.clone())),
            Some(serde_json::Value::Array(list)) => hosts.extend(
                list.iter()
                    .filter_map(|h| h.as_str().map(|h| Some(h.to_string()))),
            ),
            _ => {}
        }
    }
    if hosts.is_empty() {
        if !info.on_this_machine {
            return Vec::new();
        }
        hosts.push(None);
    }
    let mut ports = Vec::new();
    for f in info.fields.iter().filter(|f| f.kind == ValueKind::Port) {
        let values = match field(f.name) {
            Some(serde_json::Value::Array(list)) => list.clone(),
            Some(v) => vec![v.clone()],
            None => Vec::new(),
        };
        for value in values {
            let port = match &value {
                serde_json::Value::Number(n) => n.as_u64().and_then(|n| u16::try_from(n).ok()),
                serde_json::Value::String(s) => s.parse::<u16>().ok(),
                _ => None,
            };
            if let Some(port) = port {
                ports.extend(hosts.iter().map(|h| (h.clone(), port)));
            }
        }
    }
    ports
}

/// The clashes between score `name` of type `S` (its fields as data: `spec`) and the scores
/// already in the plan (`earlier`).
pub(crate) fn check<S: ScoreKind>(
    earlier: &[ScoreEntry],
    name: &str,
    spec: &serde_json::Value,
) -> Vec<PlanProblem> {
    let info = KindInfo {
        fields: S::FIELDS,
        on_this_machine: S::ON_THIS_MACHINE,
    };
    let kinds = {
        let mut kinds = KINDS.lock().unwrap_or_else(|e| e.into_inner());
        kinds.insert(S::KIND, info);
        kinds.clone()
    };
    let mine = claims(info, spec);
    if mine.is_empty() {
        return Vec::new();
    }
    let mut problems = Vec::new();
    for entry in earlier {
        let Some(other) = kinds.get(entry.kind.as_str()) else {
            continue;
        };
        let theirs = claims(*other, &entry.spec);
        for (host, port) in &mine {
            if theirs.contains(&(host.clone(), *port)) {
                problems.push(PlanProblem::PortClaimedTwice {
                    port: *port,
                    host: host.clone(),
                    scores: (entry.name.clone(), name.to_string()),
                });
            }
        }
    }
    problems
}

/// The message of a clash, the same as `score!`'s compile error.
pub(crate) fn message(port: u16, host: Option<&str>, scores: (&str, &str)) -> String {
    let place = match host {
        Some(host) => format!("on host `{host}`"),
        None => "on this machine".to_string(),
    };
    format!(
        "port {port} {place} is claimed by more than one score (`{}` and `{}`): give each score its own port",
        scores.0, scores.1
    )
}

#[cfg(test)]
mod tests {
    use crate::Plan;
    use crate::capability::ProcessSupervisor;
    use crate::plan::PlanProblem;
    use crate::scores::LocalService;
    use crate::topology::{CapabilityMap, HasCapability, HostInfo, Topology};
    use crate::value::Port;

    struct Here;
    impl Topology for Here {
        const NAME: &'static str = "Here";
        fn hosts(&self) -> &[HostInfo] {
            &[]
        }
        fn capabilities(&self) -> &CapabilityMap {
            unimplemented!("not needed to build a plan")
        }
    }
    impl HasCapability<dyn ProcessSupervisor> for Here {}

    fn service(command: &str, port: u16) -> LocalService {
        LocalService::builder::<Here>()
            .command(vec![command.to_string()])
            .port(Port::new(port).expect("a port"))
            .build()
    }

    /// What `score!` cannot see (scores added at run time, one by one) is refused by the plan,
    /// with the compile error's message.
    #[test]
    fn a_port_claimed_twice_on_this_machine_is_a_plan_problem() {
        let mut plan = Plan::<Here>::new("local");
        plan.add("api", service("./api", 8080), &[]);
        plan.add("web", service("./web", 8081), &[]);
        assert!(plan.problems.is_empty(), "{:?}", plan.problems);
        plan.add("admin", service("./admin", 8080), &[]);
        assert_eq!(
            plan.problems,
            [PlanProblem::PortClaimedTwice {
                port: 8080,
                host: None,
                scores: ("api".into(), "admin".into()),
            }]
        );
        assert_eq!(
            plan.problems[0].to_string(),
            "port 8080 on this machine is claimed by more than one score (`api` and `admin`): give each score its own port"
        );
    }
}
