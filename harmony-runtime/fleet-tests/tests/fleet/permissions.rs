//! The per-device permissions example (`examples/nats-permissions.conf`): device north reads only
//! its own desired keys and writes only its own status, and its agent still converges; then the
//! attacks a device could try with its own credentials (listing keys, deleting another device's
//! consumer, commanding or impersonating devices), each refused, while the agents work fully.

use std::path::Path;

use crate::support::*;
use async_nats::jetstream;
use futures_util::StreamExt;
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
    // It opens the streams by name (it may not read their info, see the attacks below).
    let js = jetstream::new(client.clone());
    let desired = js
        .get_stream_no_info("KV_harmony-desired")
        .await
        .expect("desired stream");
    let own = desired
        .direct_get_last_for_subject(format!("$KV.harmony-desired.{north_key}"))
        .await;
    assert!(own.is_ok(), "north cannot read its own key: {own:?}");
    let other = desired
        .direct_get_last_for_subject(format!("$KV.harmony-desired.{south_key}"))
        .await;
    assert!(other.is_err(), "north read south's key: {other:?}");

    let write = |subject: String| {
        let js = js.clone();
        async move {
            match js.publish(subject, "{}".into()).await {
                Ok(ack) => ack.await.is_ok(),
                Err(_) => false,
            }
        }
    };
    assert!(
        write("$KV.harmony-status.north".into()).await,
        "north cannot write its own status"
    );
    assert!(
        !write("$KV.harmony-status.south".into()).await,
        "north wrote south's status"
    );
    assert!(
        !write(format!("$KV.harmony-desired.{north_key}")).await,
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

fn server_env() -> Vec<(String, String)> {
    vec![
        ("HARMONY_OPERATOR_PASSWORD".into(), OPERATOR_PASSWORD.into()),
        ("HARMONY_NORTH_PASSWORD".into(), NORTH_PASSWORD.into()),
        ("HARMONY_SOUTH_PASSWORD".into(), SOUTH_PASSWORD.into()),
    ]
}

const SOUTH_PASSWORD: &str = "south-test-password";

/// Sends a request as `client`; the reply's payload, or `None` when nothing came back (a refused
/// publish gets no reply; the server logs the violation).
async fn ask(client: &async_nats::Client, subject: &str, payload: &[u8]) -> Option<bytes::Bytes> {
    client
        .send_request(
            subject.to_string(),
            async_nats::Request::new()
                .payload(bytes::Bytes::copy_from_slice(payload))
                .timeout(Some(std::time::Duration::from_secs(2))),
        )
        .await
        .ok()
        .map(|m| m.payload)
}

/// Whether the server log records a refused publish to exactly `subject`.
fn violation_logged(log: &Path, subject: &str) -> bool {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .any(|l| l.contains("Violation") && l.contains(&format!("Subject \"{subject}\"")))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_cannot_list_delete_command_or_impersonate_and_agents_still_work() {
    use harmony_runtime::providers::nats::wire::command::command_subject;
    use harmony_runtime::providers::nats::{CommandError, DeviceCommands};

    let dir = TempDir::new("fleet-perms-attacks");
    let server = NatsServer::start_with(dir.path(), Some(config()), server_env());
    let server_log = dir.path().join("nats-server.log");
    let url = server.url();
    let operator = FleetStore::connect(&url, &user("harmony", OPERATOR_PASSWORD), "default")
        .await
        .expect("operator connects");
    let north_marker = dir.path().join("north.marker");
    let south_marker = dir.path().join("south.marker");
    let north_spec = spec(
        "north",
        vec![marker_workload("sensors", &north_marker, "n")],
    );
    let south_spec = spec(
        "south",
        vec![marker_workload("sensors", &south_marker, "s")],
    );
    let (_, north_rev) = operator.apply_with_revision(&north_spec).await.unwrap();
    let (_, south_rev) = operator.apply_with_revision(&south_spec).await.unwrap();
    let (north_key, south_key) = (operator.key(&north_spec), operator.key(&south_spec));

    // Both agents, each with its own credentials: watch, converge, report.
    let mut north_agent = Agent::start(
        &url,
        "north",
        &dir.path().join("north"),
        &["--user", "north", "--password", NORTH_PASSWORD],
    );
    let mut south_agent = Agent::start(
        &url,
        "south",
        &dir.path().join("south"),
        &["--user", "south", "--password", SOUTH_PASSWORD],
    );
    converged(&operator, "north", &north_key, north_rev).await;
    let south_status = converged(&operator, "south", &south_key, south_rev).await;
    let south_pid = south_status.workloads[0].pid.expect("south runs");

    // They answer commands from the operator, through these permissions.
    let commands = DeviceCommands::new(operator.client().clone());
    assert_eq!(
        commands.ping("north").await.expect("ping north").device,
        "north"
    );
    assert_eq!(
        commands.ping("south").await.expect("ping south").device,
        "south"
    );

    // The attacker: device north's credentials, its own connection.
    let north =
        harmony_runtime::providers::nats::connect::connect(&url, &user("north", NORTH_PASSWORD))
            .await
            .expect("north connects");
    let op_client = operator.client();

    // 1. Listing every key name: the stream info request with a subjects filter. The operator
    //    gets the list (so the request is the right one); north gets nothing.
    let info = "$JS.API.STREAM.INFO.KV_harmony-desired";
    let listing = br#"{"subjects_filter":">"}"#;
    let op_list = ask(op_client, info, listing).await.expect("operator lists");
    assert!(String::from_utf8_lossy(&op_list).contains(&south_key));
    assert_eq!(
        ask(&north, info, listing).await,
        None,
        "north listed the keys"
    );
    assert!(violation_logged(&server_log, info));
    // ... nor through the status bucket's stream (every device's name).
    let status_info = "$JS.API.STREAM.INFO.KV_harmony-status";
    assert_eq!(ask(&north, status_info, listing).await, None);
    // ... nor through a consumer over everybody's keys.
    let wide = "$JS.API.CONSUMER.CREATE.KV_harmony-desired.spy.$KV.harmony-desired.>";
    let wide_body = br#"{"stream_name":"KV_harmony-desired","config":{"name":"spy","filter_subject":"$KV.harmony-desired.>","deliver_subject":"_INBOX_north.spy","ack_policy":"none"}}"#;
    assert_eq!(
        ask(&north, wide, wide_body).await,
        None,
        "north watched every key"
    );
    // ... nor by reading south's key by sequence through its own direct-get subject (a body is
    //     refused on that form) or the non-direct get.
    let own_get = format!("$JS.API.DIRECT.GET.KV_harmony-desired.$KV.harmony-desired.{north_key}");
    let by_seq = format!(r#"{{"seq":{south_rev}}}"#);
    let reply = ask(&north, &own_get, by_seq.as_bytes())
        .await
        .unwrap_or_default();
    assert!(
        !String::from_utf8_lossy(&reply).contains("south.marker"),
        "north read south's value by sequence: {reply:?}"
    );
    let msg_get = "$JS.API.STREAM.MSG.GET.KV_harmony-desired";
    assert_eq!(ask(&north, msg_get, by_seq.as_bytes()).await, None);

    // 2. Deleting south's watch consumer, by its real name (which the operator can see).
    let js = jetstream::new(op_client.clone());
    let stream = js.get_stream("KV_harmony-desired").await.expect("stream");
    let names: Vec<String> = stream
        .consumer_names()
        .filter_map(|n| async move { n.ok() })
        .collect()
        .await;
    let south_consumer = names
        .iter()
        .find(|n| n.starts_with("agent-south-"))
        .unwrap_or_else(|| panic!("south's consumer among {names:?}"))
        .clone();
    let delete = format!("$JS.API.CONSUMER.DELETE.KV_harmony-desired.{south_consumer}");
    assert_eq!(
        ask(&north, &delete, b"").await,
        None,
        "north deleted south's consumer"
    );
    assert!(violation_logged(&server_log, &delete));
    stream
        .consumer_info(&south_consumer)
        .await
        .expect("south's consumer is still there");

    // 3. Asking south a command (here: restart its workload).
    let restart = br#"{"command":"restart","workload":"sensors"}"#;
    let south_subject = command_subject("south");
    assert_eq!(
        ask(&north, &south_subject, restart).await,
        None,
        "north commanded south"
    );
    assert!(violation_logged(&server_log, &south_subject));

    // 4. Commanding itself as if it were the operator: had the publish gone through, north's
    //    own agent would have answered into north's inbox.
    let north_subject = command_subject("north");
    assert_eq!(
        ask(&north, &north_subject, restart).await,
        None,
        "north commanded itself"
    );
    assert!(violation_logged(&server_log, &north_subject));

    // South's workload was never restarted by any of this.
    assert_eq!(marker_lines(&south_marker), vec!["s"]);
    assert!(alive(south_pid));

    // 5. Answering on south's subject: with south's agent gone, nobody may answer there; the
    //    operator sees south offline at once, not north's answer.
    south_agent.stop();
    let _stolen = north
        .subscribe(south_subject.clone())
        .await
        .expect("subscribe is sent");
    north.flush().await.expect("flush");
    match commands.ping("south").await {
        Err(CommandError::Offline { device }) => assert_eq!(device, "south"),
        other => panic!("expected south offline, north answered? {other:?}"),
    }
    assert!(violation_logged(&server_log, &south_subject));

    // North's agent still works fully: a new spec converges, and it answers and obeys the
    // operator.
    let north_v2 = spec(
        "north",
        vec![marker_workload("sensors", &north_marker, "n2")],
    );
    let (_, rev2) = operator
        .apply_with_revision(&north_v2)
        .await
        .expect("apply v2");
    let status = converged(&operator, "north", &north_key, rev2).await;
    let pid = status.workloads[0].pid.expect("north runs");
    assert_eq!(
        commands.restart("north", "sensors").await.expect("restart"),
        Some(pid)
    );
    eventually("north's workload restarted", || async {
        (marker_lines(&north_marker) == ["n", "n2", "n2"]).then_some(())
    })
    .await;
    north_agent.stop();
}

/// `device ping|logs|restart` from the command line (the `secret_fleet` example program), with
/// the operator's password in the URL or in `HARMONY_NATS_PASSWORD`: it works, and the password
/// is printed nowhere at `-vvv`.
#[test]
fn the_device_verbs_work_and_print_no_credential() {
    let dir = TempDir::new("fleet-device-cli");
    let server = NatsServer::start_with(dir.path(), Some(config()), server_env());
    let url = server.url();
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let marker = dir.path().join("north.marker");
    let north_spec = spec("north", vec![marker_workload("sensors", &marker, "n")]);
    let _agent = runtime.block_on(async {
        let operator = FleetStore::connect(&url, &user("harmony", OPERATOR_PASSWORD), "default")
            .await
            .expect("operator connects");
        let (_, rev) = operator.apply_with_revision(&north_spec).await.unwrap();
        let agent = Agent::start(
            &url,
            "north",
            &dir.path().join("north"),
            &["--user", "north", "--password", NORTH_PASSWORD],
        );
        converged(&operator, "north", &operator.key(&north_spec), rev).await;
        agent
    });
    let with_password_url = format!(
        "nats://harmony:{OPERATOR_PASSWORD}@127.0.0.1:{}",
        server.port
    );
    let run = |args: &[&str], env: &[(&str, &str)]| {
        let mut cmd = std::process::Command::new(crate::common::example("secret_fleet"));
        cmd.args(args)
            .env_remove("RUST_LOG")
            .env_remove("HARMONY_NATS_URL")
            .env_remove("HARMONY_NATS_USER")
            .env_remove("HARMONY_NATS_PASSWORD")
            .envs(env.iter().copied())
            .current_dir(dir.path());
        let (code, stdout, stderr) = crate::common::run(&mut cmd);
        assert!(
            !stdout.contains(OPERATOR_PASSWORD) && !stderr.contains(OPERATOR_PASSWORD),
            "{args:?} printed the password:\n{stdout}\n{stderr}"
        );
        (code, stdout, stderr)
    };
    // A password in the URL is refused, as in a topology (and not echoed).
    let in_url = [("HARMONY_NATS_URL", with_password_url.as_str())];
    let (code, _, stderr) = run(&["device", "ping", "north", "-vvv"], &in_url);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("must not be written in a URL"), "{stderr}");

    let in_env = [
        ("HARMONY_NATS_URL", url.as_str()),
        ("HARMONY_NATS_USER", "harmony"),
        ("HARMONY_NATS_PASSWORD", OPERATOR_PASSWORD),
    ];
    let (code, stdout, stderr) = run(&["device", "ping", "north", "-vvv"], &in_env);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(stdout.starts_with("device north: agent "), "{stdout}");
    let (code, stdout, stderr) = run(
        &[
            "device", "--nats", &url, "logs", "north", "sensors", "--lines", "5", "-vvv",
        ],
        &in_env,
    );
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let (code, stdout, stderr) = run(
        &[
            "device", "--nats", &url, "restart", "north", "sensors", "--json",
        ],
        &in_env,
    );
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(stdout.contains("\"previous_pid\""), "{stdout}");

    // Errors: offline, unknown workload, bad password, no URL. Still no password printed.
    let (code, _, stderr) = run(&["device", "ping", "ghost", "-vvv"], &in_env);
    assert_eq!(code, 1);
    assert!(stderr.contains("device `ghost` is offline"), "{stderr}");
    let (code, _, stderr) = run(&["device", "logs", "north", "nope"], &in_env);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("no workload `nope`; running: sensors"),
        "{stderr}"
    );
    let wrong = format!("{OPERATOR_PASSWORD}x");
    let (code, _, stderr) = run(
        &["device", "ping", "north", "-vvv"],
        &[
            ("HARMONY_NATS_URL", url.as_str()),
            ("HARMONY_NATS_USER", "harmony"),
            ("HARMONY_NATS_PASSWORD", wrong.as_str()),
        ],
    );
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("cannot connect to NATS"), "{stderr}");
    let (code, _, stderr) = run(&["device", "ping", "north"], &[]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("--nats URL or set HARMONY_NATS_URL"),
        "{stderr}"
    );
}
