//! 200 agents in one test process converge on a plan change.

use std::time::Duration;

use crate::support::*;
use harmony_agent::{AgentConfig, run};
use harmony_dsl::resource::{DeviceSpec, Workload, WorkloadRun};
use harmony_runtime::providers::nats::ConnectConfig;
use tokio::sync::oneshot;

const AGENTS: usize = 200;

fn device_spec(i: usize, version: &str) -> DeviceSpec {
    spec(
        &format!("dev{i:03}"),
        vec![Workload {
            name: "probe".into(),
            run: WorkloadRun::Process {
                command: vec![
                    "sh".into(),
                    "-c".into(),
                    format!("exec sleep 600 # {version}"),
                ],
            },
            env: Default::default(),
        }],
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_agents_converge_on_a_plan_change() {
    let dir = TempDir::new("fleet-scale");
    let server = NatsServer::start(dir.path());
    let url = server.url();
    let op = operator(&url).await;

    for i in 0..AGENTS {
        op.apply(&device_spec(i, "v1")).await.expect("apply v1");
    }

    let mut stops = Vec::new();
    let mut tasks = Vec::new();
    for i in 0..AGENTS {
        let (tx, rx) = oneshot::channel::<()>();
        stops.push(tx);
        let config = AgentConfig {
            url: url.clone(),
            device: format!("dev{i:03}"),
            state_dir: dir.path().join(format!("dev{i:03}")),
            connect: ConnectConfig::default(),
            heartbeat: Duration::from_secs(2),
        };
        tasks.push(tokio::spawn(run(config, async move {
            let _ = rx.await;
        })));
    }

    for version in ["v1", "v2"] {
        if version == "v2" {
            // The plan change: every device gets a new spec.
            for i in 0..AGENTS {
                assert!(
                    op.apply(&device_spec(i, "v2"))
                        .await
                        .expect("apply v2")
                        .is_changed()
                );
            }
        }
        let mut pending: Vec<(String, String, u64)> = Vec::new();
        for i in 0..AGENTS {
            let s = device_spec(i, version);
            let revision = op.revision(&s).await.unwrap().expect("stored");
            pending.push((s.device.clone(), op.key(&s), revision));
        }
        let deadline = std::time::Instant::now() + DEADLINE;
        while !pending.is_empty() {
            assert!(
                std::time::Instant::now() < deadline,
                "{} of {AGENTS} agents did not converge on {version}, e.g. {:?}",
                pending.len(),
                pending.first()
            );
            let mut still = Vec::new();
            for (device, key, revision) in pending.drain(..) {
                let done = op
                    .status(&device)
                    .await
                    .ok()
                    .flatten()
                    .is_some_and(|s| s.converged_at(&key, revision));
                if !done {
                    still.push((device, key, revision));
                }
            }
            pending = still;
            if !pending.is_empty() {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }

    for stop in stops {
        let _ = stop.send(());
    }
    for task in tasks {
        task.await
            .expect("agent task")
            .expect("agent stopped cleanly");
    }
}
