//! `status` reads the agents' status bucket through the `Fleet` capability: each device online or
//! offline, converged or not, with the revision it applied.

use crate::support::*;
use harmony_dsl::Placement;
use harmony_dsl::capability::Fleet;
use harmony_runtime::providers::NatsFleet;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_reports_each_device_from_its_agent() {
    let dir = TempDir::new("fleet-status");
    let server = NatsServer::start(dir.path());
    let url = server.url();
    let mut provider = NatsFleet {
        url: url.parse().expect("url"),
        devices: vec![],
    };
    let marker = dir.path().join("sensors.marker");
    let desired = spec("north", vec![marker_workload("sensors", &marker, "v1")]);
    provider.apply(&desired).await.expect("apply");
    let operator = operator(&url).await;
    let key = operator.key(&desired);
    let revision = operator.revision(&desired).await.unwrap().expect("written");

    // Two devices: `north` runs an agent, `south` never reported.
    provider.devices = vec![placement("north"), placement("south")];
    let mut agent = Agent::start(&url, "north", &dir.path().join("north"), &[]);
    converged(&operator, "north", &key, revision).await;
    let lines = provider.status().await.expect("status");
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(lines[0].subject, "device north");
    assert_eq!(
        lines[0].state,
        "online converged",
        "{lines:?}\n{}",
        agent.log()
    );
    assert!(
        lines[0].detail.contains(&format!("{key}@{revision}")),
        "{lines:?}"
    );
    assert_eq!(lines[1].subject, "device south");
    assert_eq!(lines[1].state, "unknown");

    // A cleanly stopped agent says so.
    agent.stop();
    let lines = eventually("north reported stopped", || {
        let provider = provider.clone();
        async move {
            let lines = provider.status().await.ok()?;
            (lines[0].state == "offline stopped").then_some(lines)
        }
    })
    .await;
    assert!(lines[0].detail.contains("last heartbeat"), "{lines:?}");
}

fn placement(device: &str) -> Placement {
    serde_json::from_value(serde_json::Value::String(device.to_string())).expect("placement")
}
