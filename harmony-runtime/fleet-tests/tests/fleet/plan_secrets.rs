//! A fleet plan whose workloads carry secret references (issue 15): after an apply the plan shows
//! no change (the values are compared, not a reference against a value); a changed value shows as
//! an update naming the variable, its value never printed.

use std::collections::BTreeMap;

use harmony_dsl::capability::Fleet;
use harmony_dsl::config::{SecretRef, ValueSource};
use harmony_dsl::outcome::Change;
use harmony_dsl::resource::{DeviceSpec, EnvValue, Workload, WorkloadRun};
use harmony_dsl::{Operation, Outcome};
use harmony_runtime::config::SecretResolver;
use harmony_runtime::providers::NatsFleet;

use crate::support::*;

/// What the executor applies: the spec with its references read now.
async fn resolved(spec: &DeviceSpec) -> DeviceSpec {
    let operation = Operation::new::<dyn Fleet>(spec.clone());
    let resolved = SecretResolver::new()
        .resolve_operation(&operation)
        .await
        .expect("resolve")
        .expect("it has references");
    resolved
        .resource::<dyn Fleet>()
        .expect("a fleet spec")
        .clone()
}

fn write_secret(path: &std::path::Path, value: &str) {
    std::fs::write(path, format!("api_key = {value:?}\n")).expect("secrets file");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plan_with_secret_references_is_unchanged_after_apply_and_a_new_value_is_a_redacted_update()
 {
    let dir = TempDir::new("fleet-plan-secrets");
    let server = NatsServer::start(dir.path());
    let provider = NatsFleet {
        url: server.url().parse().expect("url"),
        devices: vec![],
    };
    let secrets = dir.path().join("secrets.toml");
    let first = format!("first-{}-value", std::process::id());
    let second = format!("second-{}-value", std::process::id());
    write_secret(&secrets, &first);
    let with_ref = DeviceSpec {
        device: "north".into(),
        workloads: vec![Workload {
            name: "sensors".into(),
            run: WorkloadRun::Process {
                command: vec!["sleep".into(), "600".into()],
            },
            env: BTreeMap::from([
                (
                    "API_KEY".to_string(),
                    EnvValue::SecretRef(SecretRef::new(
                        "api_key",
                        ValueSource::File {
                            path: secrets.clone(),
                            key: "api_key".into(),
                        },
                    )),
                ),
                ("MODE".to_string(), EnvValue::Plain("fast".into())),
            ]),
        }],
    };
    let plan = provider.inspect(&with_ref).await.expect("plan");
    assert!(matches!(plan.change, Change::Create { .. }), "{plan:?}");
    assert!(
        provider
            .apply(&resolved(&with_ref).await)
            .await
            .expect("apply")
            .is_changed()
    );

    // Applied: the plan agrees with apply that nothing changes.
    let plan = provider.inspect(&with_ref).await.expect("plan");
    assert_eq!(plan.change, Change::None, "perpetual update: {plan:?}");
    assert_eq!(
        provider
            .apply(&resolved(&with_ref).await)
            .await
            .expect("apply"),
        Outcome::Unchanged
    );

    // The secret's value changes: an update naming it, neither value shown.
    write_secret(&secrets, &second);
    let plan = provider.inspect(&with_ref).await.expect("plan");
    let Change::Update { diff } = &plan.change else {
        panic!("a changed secret must show as an update: {plan:?}");
    };
    assert!(
        diff.iter()
            .any(|l| l.contains("secret API_KEY changed") && l.contains("redacted")),
        "{diff:?}"
    );
    let shown = format!("{plan:?} {diff:?}");
    assert!(
        !shown.contains(&first) && !shown.contains(&second),
        "a plan printed a secret value: {shown}"
    );
    assert!(
        provider
            .apply(&resolved(&with_ref).await)
            .await
            .expect("apply")
            .is_changed()
    );
    let plan = provider.inspect(&with_ref).await.expect("plan");
    assert_eq!(plan.change, Change::None, "{plan:?}");

    // A plain change next to the secret still shows as a line diff, without the value.
    let mut plain = with_ref.clone();
    plain.workloads[0]
        .env
        .insert("MODE".into(), EnvValue::Plain("slow".into()));
    let plan = provider.inspect(&plain).await.expect("plan");
    let Change::Update { diff } = &plan.change else {
        panic!("{plan:?}");
    };
    assert!(
        diff.iter()
            .any(|l| l.starts_with("+ ") && l.contains("slow")),
        "{diff:?}"
    );
    assert!(
        !diff.iter().any(|l| l.contains("secret API_KEY")),
        "{diff:?}"
    );
    assert!(!format!("{diff:?}").contains(&second), "{diff:?}");
}
