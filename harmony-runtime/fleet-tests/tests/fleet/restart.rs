//! nats-server killed and restarted with the same store: acknowledged writes survive, agents
//! reconnect and converge; an agent started while the server is down runs its local copy.

use std::collections::BTreeMap;

use crate::support::*;
use harmony_dsl::outcome::Change;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_killed_during_apply_and_agent_run_loses_nothing_acknowledged() {
    let dir = TempDir::new("fleet-restart");
    let mut server = NatsServer::start(dir.path());
    let url = server.url();
    let operator_a = operator(&url).await;
    let marker = dir.path().join("north.marker");
    let v1 = spec("north", vec![marker_workload("sensors", &marker, "v1")]);
    operator_a.apply(&v1).await.expect("apply v1");
    let key = operator_a.key(&v1);
    let rev1 = operator_a.revision(&v1).await.unwrap().expect("stored");
    let _agent = Agent::start(&url, "north", &dir.path().join("north"), &[]);
    converged(&operator_a, "north", &key, rev1).await;

    // A stream of applies, one device each; the server is killed while they run.
    let writer = operator_a.clone();
    let writes = tokio::spawn(async move {
        let mut acknowledged = BTreeMap::new();
        for i in 0..400 {
            let s = spec(
                &format!("device{i}"),
                vec![marker_workload(
                    "w",
                    std::path::Path::new("/dev/null"),
                    &i.to_string(),
                )],
            );
            match writer.apply(&s).await {
                Ok(_) => {
                    let key = writer.key(&s);
                    acknowledged.insert(key, s);
                }
                Err(_) => break,
            }
        }
        acknowledged
    });
    eventually("some writes to be acknowledged", || async {
        (operator_a
            .revision(&spec(
                "device20",
                vec![marker_workload(
                    "w",
                    std::path::Path::new("/dev/null"),
                    "20",
                )],
            ))
            .await
            .ok()
            .flatten()
            .is_some())
        .then_some(())
    })
    .await;
    server.kill();
    let acknowledged = writes.await.expect("writer task");
    assert!(acknowledged.len() >= 20, "{}", acknowledged.len());
    server.restart();

    // Every acknowledged write is there, unchanged, after the restart.
    let reader = operator(&url).await;
    for (key, s) in &acknowledged {
        let plan = reader.inspect(s).await.expect("inspect after restart");
        assert_eq!(plan.change, Change::None, "{key} lost or changed");
    }

    // The agent reconnects by itself and converges on a change made after the restart.
    let v2 = spec("north", vec![marker_workload("sensors", &marker, "v2")]);
    assert!(reader.apply(&v2).await.expect("apply v2").is_changed());
    let rev2 = reader.revision(&v2).await.unwrap().expect("stored");
    converged(&reader, "north", &key, rev2).await;
    eventually("v2 to run", || async {
        marker_lines(&marker)
            .last()
            .is_some_and(|l| l == "v2")
            .then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agent_started_while_the_server_is_down_runs_its_local_spec_then_converges() {
    let dir = TempDir::new("fleet-offline");
    let mut server = NatsServer::start(dir.path());
    let url = server.url();
    let marker = dir.path().join("north.marker");
    let state = dir.path().join("north");
    let v1 = spec("north", vec![marker_workload("sensors", &marker, "v1")]);
    let key;
    {
        let op = operator(&url).await;
        op.apply(&v1).await.expect("apply v1");
        key = op.key(&v1);
        let rev1 = op.revision(&v1).await.unwrap().expect("stored");
        let mut agent = Agent::start(&url, "north", &state, &[]);
        converged(&op, "north", &key, rev1).await;
        agent.stop();
    }
    assert_eq!(marker_lines(&marker), vec!["v1"]);

    // The device reboots while the server is down: the agent runs what it kept on disk.
    server.kill();
    let agent = Agent::start(&url, "north", &state, &[]);
    eventually("the kept spec to run without NATS", || async {
        (marker_lines(&marker) == ["v1", "v1"]).then_some(())
    })
    .await;
    assert!(
        agent.log().contains("locally kept desired state"),
        "{}",
        agent.log()
    );

    // The server comes back (same store); the agent connects and converges on the new spec.
    server.restart();
    let op = operator(&url).await;
    let rev1 = op.revision(&v1).await.unwrap().expect("kept by the server");
    converged(&op, "north", &key, rev1).await;
    let v2 = spec("north", vec![marker_workload("sensors", &marker, "v2")]);
    op.apply(&v2).await.expect("apply v2");
    let rev2 = op.revision(&v2).await.unwrap().expect("stored");
    converged(&op, "north", &key, rev2).await;
    assert_eq!(marker_lines(&marker), vec!["v1", "v1", "v2"]);
    drop(agent);
}
