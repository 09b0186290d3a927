//! NatsFleet against a real nats-server: plan/apply/second apply, an agent converging, updates,
//! removal, and two operators writing at once.

use crate::support::*;
use harmony_dsl::capability::Fleet;
use harmony_dsl::outcome::{Change, Observed};
use harmony_dsl::{ErrorKind, Outcome, Placement};
use harmony_runtime::providers::NatsFleet;
use harmony_runtime::providers::nats::{FleetStore, Phase, WorkloadState};

fn fleet(url: &str) -> NatsFleet {
    NatsFleet {
        url: url.parse().expect("url"),
        devices: vec![],
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_then_agent_converges_and_second_apply_is_unchanged() {
    let dir = TempDir::new("fleet-apply");
    let server = NatsServer::start(dir.path());
    let url = server.url();
    let provider = fleet(&url);
    let marker = dir.path().join("sensors.marker");
    let v1 = spec("north", vec![marker_workload("sensors", &marker, "v1")]);

    // plan: nothing there yet.
    let first = provider.inspect(&v1).await.expect("inspect");
    assert!(matches!(first.change, Change::Create { .. }), "{first:?}");
    assert_eq!(first.observed, Observed::Absent);

    let outcome = provider.apply(&v1).await.expect("apply");
    assert!(outcome.is_changed(), "{outcome:?}");
    let planned = provider.inspect(&v1).await.expect("inspect");
    assert_eq!(planned.change, Change::None);
    let Observed::Revision { value: rev1 } = planned.observed else {
        panic!("expected a revision, got {planned:?}");
    };

    let operator = operator(&url).await;
    let key = operator.key(&v1);
    assert_eq!(key, "default.north.sensors");

    let mut agent = Agent::start(&url, "north", &dir.path().join("north"), &[]);
    let status = converged(&operator, "north", &key, rev1).await;
    assert!(status.online);
    assert_eq!(status.workloads.len(), 1);
    assert_eq!(status.workloads[0].state, WorkloadState::Running);
    assert_eq!(marker_lines(&marker), vec!["v1"], "{}", agent.log());

    // Second apply of the same spec: unchanged, same revision.
    assert_eq!(
        provider.apply(&v1).await.expect("apply"),
        Outcome::Unchanged
    );
    assert_eq!(operator.revision(&v1).await.unwrap(), Some(rev1));

    // A changed spec: plan shows a line diff, apply writes a new revision, the agent restarts it.
    let v2 = spec("north", vec![marker_workload("sensors", &marker, "v2")]);
    let plan = provider.inspect(&v2).await.expect("inspect");
    match &plan.change {
        Change::Update { diff } => {
            assert!(
                diff.iter().any(|l| l.starts_with("- ") && l.contains("v1")),
                "{diff:?}"
            );
            assert!(
                diff.iter().any(|l| l.starts_with("+ ") && l.contains("v2")),
                "{diff:?}"
            );
        }
        other => panic!("expected an update, got {other:?}"),
    }
    assert_eq!(plan.observed, Observed::Revision { value: rev1 });
    assert!(provider.apply(&v2).await.expect("apply").is_changed());
    let rev2 = operator.revision(&v2).await.unwrap().expect("stored");
    assert!(rev2 > rev1);
    converged(&operator, "north", &key, rev2).await;
    eventually("the v2 workload to start", || async {
        (marker_lines(&marker) == ["v1", "v2"]).then_some(())
    })
    .await;

    // Removing the key stops the workload.
    assert!(provider.remove(&v2).await.expect("remove").is_changed());
    assert_eq!(
        provider.remove(&v2).await.expect("remove"),
        Outcome::Unchanged
    );
    let after = eventually("the workload to be stopped", || async {
        operator
            .status("north")
            .await
            .ok()
            .flatten()
            .filter(|s| s.applied.is_empty() && s.workloads.is_empty())
    })
    .await;
    assert_eq!(after.phase, Phase::Converged);
    agent.stop();
    assert!(agent.log().contains("deleted"), "{}", agent.log());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_operators_at_once_one_wins_the_other_gets_a_conflict_naming_the_key() {
    let dir = TempDir::new("fleet-conflict");
    let server = NatsServer::start(dir.path());
    let url = server.url();
    let marker = dir.path().join("m");
    let alice = operator(&url).await;
    let bob = operator(&url).await;
    let spec_a = spec("north", vec![marker_workload("sensors", &marker, "alice")]);
    let spec_b = spec("north", vec![marker_workload("sensors", &marker, "bob")]);
    let key = alice.key(&spec_a);
    assert_eq!(key, bob.key(&spec_b));

    for _ in 0..3 {
        // Both plan (read the same state), then both apply at once.
        let Race { winner, loser, .. } = race((&alice, &spec_a), (&bob, &spec_b)).await;
        assert!(
            loser.message().contains("nothing was overwritten"),
            "{loser}"
        );
        // The stored value is the winner's, whole.
        assert_eq!(alice.inspect(&winner).await.unwrap().change, Change::None);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_after_someone_else_changed_the_key_is_a_conflict_through_the_plan_revision() {
    let dir = TempDir::new("fleet-stale-plan");
    let server = NatsServer::start(dir.path());
    let url = server.url();
    let marker = dir.path().join("m");
    let alice = operator(&url).await;
    let bob = FleetStore::connect(&url, &Default::default(), "default")
        .await
        .expect("connect");
    let v1 = spec("south", vec![marker_workload("updater", &marker, "1")]);
    let v2 = spec("south", vec![marker_workload("updater", &marker, "2")]);
    alice.apply(&v1).await.expect("apply");
    let stale_plan = alice.inspect(&v2).await.expect("plan");
    bob.apply(&v2).await.expect("bob applies meanwhile");
    let err = alice
        .apply_at(&v2, &stale_plan.observed)
        .await
        .expect_err("stale plan");
    assert_eq!(err.kind(), ErrorKind::Conflict);
    assert!(err.message().contains("default.south.updater"), "{err}");
    // A plan that read "absent" cannot create over an existing key either.
    let err = alice
        .apply_at(&v1, &Observed::Absent)
        .await
        .expect_err("exists");
    assert_eq!(err.kind(), ErrorKind::Conflict);
}

#[tokio::test]
async fn unreachable_server_is_a_transient_error_naming_the_url() {
    let port = free_port();
    let url = format!("nats://127.0.0.1:{port}");
    let provider = NatsFleet {
        url: url.parse().unwrap(),
        devices: vec![],
    };
    let err = provider
        .inspect(&spec("north", vec![]))
        .await
        .expect_err("no server");
    assert!(err.is_transient(), "{err:?}");
    assert!(err.to_string().contains(&url), "{err}");
}

#[tokio::test]
async fn a_device_outside_the_fleet_is_refused() {
    let provider = NatsFleet {
        url: "nats://127.0.0.1:1".parse().unwrap(),
        devices: vec![serde_json::from_str::<Placement>("\"north\"").unwrap()],
    };
    let err = provider
        .apply(&spec("south", vec![]))
        .await
        .expect_err("not in fleet");
    assert_eq!(err.kind(), ErrorKind::Permanent);
    assert!(
        err.message()
            .contains("device `south` is not in this fleet"),
        "{err}"
    );
}

/// Many devices at once (`FleetStore::snapshot` + `apply_on`): unchanged specs are not written,
/// absent keys are created, changed ones are written at the snapshot's revision, and a key
/// someone else changed after the snapshot is a conflict for that device only, its value kept.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_all_writes_at_the_snapshot_revisions_and_never_over_a_later_change() {
    let dir = TempDir::new("fleet-apply-all");
    let server = NatsServer::start(dir.path());
    let op = operator(&server.url()).await;
    let other = operator(&server.url()).await;
    let marker = dir.path().join("m");
    let version = |device: &str, tag: &str| spec(device, vec![marker_workload("w", &marker, tag)]);
    op.apply(&version("a", "1")).await.unwrap();
    op.apply(&version("b", "1")).await.unwrap();
    op.apply(&version("d", "1")).await.unwrap();
    op.remove(&version("d", "1")).await.unwrap();

    let snapshot = op.snapshot().await.expect("snapshot");
    assert_eq!(snapshot.len(), 2, "a and b; d was deleted");
    let a_rev = snapshot.revision(&op.key(&version("a", "1"))).expect("a");
    // Someone else changes b after the snapshot.
    other.apply(&version("b", "theirs")).await.unwrap();

    let specs = [
        version("a", "1"),
        version("b", "2"),
        version("c", "1"),
        version("d", "2"),
    ];
    let results = op.apply_on(&snapshot, &specs, 8).await;
    assert_eq!(results.len(), 4);
    let (outcome, revision) = results[0].as_ref().expect("a");
    assert!(!outcome.is_changed());
    assert_eq!(*revision, a_rev);
    let conflict = results[1]
        .as_ref()
        .expect_err("b changed after the snapshot");
    assert_eq!(conflict.kind(), ErrorKind::Conflict, "{conflict}");
    assert!(
        conflict.to_string().contains(&op.key(&specs[1])),
        "{conflict}"
    );
    for (i, created) in [(2, "c"), (3, "d")] {
        let (outcome, _) = results[i].as_ref().expect(created);
        assert!(outcome.is_changed(), "{created}");
    }
    // b still holds the other operator's value.
    let b = op.inspect(&version("b", "theirs")).await.unwrap();
    assert_eq!(b.change, Change::None);
    // apply_all reads a new snapshot: now everything is in place.
    let again = op.apply_all(&specs[..1], 4).await.expect("apply_all");
    assert!(!again[0].as_ref().unwrap().0.is_changed());
}
