//! A process workload does not inherit the agent's environment: a secret the agent holds in its
//! own environment (its NATS password, say) is not visible to the workload, which gets only what
//! it declares and a fixed `PATH`.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use harmony_agent::Supervisor;
use harmony_agent::supervisor::WORKLOAD_PATH;
use harmony_fleet_wire::{EnvValue, Workload, WorkloadRun};

#[test]
fn a_secret_in_the_agents_environment_is_not_visible_to_a_process_workload() {
    let secret = format!("agent-only-s3cret-{}", std::process::id());
    // SAFETY: this binary has this one test, and no other thread exists yet (the runtime is
    // built below).
    unsafe { std::env::set_var("HARMONY_AGENT_TEST_SECRET", &secret) };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("env.txt");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let seen = runtime.block_on(async {
        let mut supervisor = Supervisor::new(
            &dir.path().join("agent"),
            Arc::new(tokio::sync::Notify::new()),
        )
        .unwrap();
        let mut env = BTreeMap::new();
        env.insert("MODE".to_string(), EnvValue::Plain("edge".into()));
        let workload = Workload {
            name: "printenv".into(),
            run: WorkloadRun::Process {
                // A program named without a path is found in the fixed PATH.
                command: vec![
                    "sh".into(),
                    "-c".into(),
                    format!("env > {}.part && mv {0}.part {0}; sleep 60", out.display()),
                ],
            },
            env,
        };
        supervisor
            .reconcile(vec![("default.d1.set".to_string(), workload)])
            .await;
        let deadline = Instant::now() + Duration::from_secs(20);
        while !out.exists() {
            assert!(Instant::now() < deadline, "{:?}", supervisor.statuses());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        supervisor.stop_all().await;
        std::fs::read_to_string(&out).unwrap()
    });
    assert!(!seen.contains(&secret), "the workload saw: {seen}");
    assert!(!seen.contains("HARMONY_AGENT_TEST_SECRET"), "{seen}");
    let mut names: Vec<&str> = seen
        .lines()
        .filter_map(|l| l.split_once('=').map(|(k, _)| k))
        .collect();
    names.sort_unstable();
    // `sh` itself adds PWD (and some shells SHLVL and `_`); nothing else comes from the agent.
    names.retain(|n| !matches!(*n, "PWD" | "SHLVL" | "_"));
    assert_eq!(names, ["MODE", "PATH"], "{seen}");
    assert!(seen.contains(&format!("PATH={WORKLOAD_PATH}\n")), "{seen}");
    assert!(seen.contains("MODE=edge\n"), "{seen}");
}
