//! The per-device permissions example (`examples/nats-permissions.conf`): device north reads only
//! its own desired keys and writes only its own status, and its agent still converges.

use std::path::Path;

use crate::support::*;
use async_nats::jetstream;
use harmony_runtime::providers::nats::{ConnectConfig, FleetStore};

const OPERATOR_PASSWORD: &str = "operator-test-password";
const NORTH_PASSWORD: &str = "north-test-password";

fn config() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/nats-permissions.conf")
}

fn user(name: &str, password: &str) -> ConnectConfig {
    ConnectConfig {
        user: Some(name.into()),
        password: Some(password.into()),
        inbox_prefix: (name != "harmony").then(|| format!("_INBOX_{name}")),
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn north_cannot_read_south_and_writes_only_its_own_status() {
    let dir = TempDir::new("fleet-perms");
    let server = NatsServer::start_with(
        dir.path(),
        Some(config()),
        vec![
            ("HARMONY_OPERATOR_PASSWORD".into(), OPERATOR_PASSWORD.into()),
            ("HARMONY_NORTH_PASSWORD".into(), NORTH_PASSWORD.into()),
            (
                "HARMONY_SOUTH_PASSWORD".into(),
                "south-test-password".into(),
            ),
        ],
    );
    let url = server.url();

    // Without credentials nothing connects.
    let anonymous = FleetStore::connect(&url, &ConnectConfig::default(), "default").await;
    assert!(anonymous.is_err(), "anonymous connection accepted");

    let operator = FleetStore::connect(&url, &user("harmony", OPERATOR_PASSWORD), "default")
        .await
        .expect("operator connects");
    let marker = dir.path().join("north.marker");
    let north_spec = spec("north", vec![marker_workload("sensors", &marker, "n")]);
    let south_spec = spec("south", vec![marker_workload("sensors", &marker, "s")]);
    operator.apply(&north_spec).await.expect("apply north");
    operator.apply(&south_spec).await.expect("apply south");
    operator
        .status("north")
        .await
        .expect("status bucket exists");
    let north_key = operator.key(&north_spec);
    let south_key = operator.key(&south_spec);

    // Device north, with its own credentials.
    let client =
        harmony_runtime::providers::nats::connect::connect(&url, &user("north", NORTH_PASSWORD))
            .await
            .expect("north connects");
    let js = jetstream::new(client.clone());
    let desired = js
        .get_key_value("harmony-desired")
        .await
        .expect("open bucket");
    let own = desired.get(north_key.as_str()).await.expect("read own key");
    assert!(own.is_some(), "north cannot read its own key");
    let other = desired.get(south_key.as_str()).await;
    assert!(
        !matches!(other, Ok(Some(_))),
        "north read south's key: {other:?}"
    );

    let status = js
        .get_key_value("harmony-status")
        .await
        .expect("status bucket");
    status
        .put("north", "{}".into())
        .await
        .expect("north writes its own status");
    assert!(
        status.put("south", "{}".into()).await.is_err(),
        "north wrote south's status"
    );
    assert!(
        desired.put(north_key.as_str(), "{}".into()).await.is_err(),
        "north wrote its own desired state"
    );
    drop(client);

    // The agent works within these permissions.
    let rev = operator
        .revision(&north_spec)
        .await
        .unwrap()
        .expect("stored");
    let _agent = Agent::start(
        &url,
        "north",
        &dir.path().join("north"),
        &["--user", "north", "--password", NORTH_PASSWORD],
    );
    converged(&operator, "north", &north_key, rev).await;
    assert_eq!(marker_lines(&marker), vec!["n"]);
}
