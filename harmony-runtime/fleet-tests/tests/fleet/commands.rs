//! Device commands against a real nats-server and real agent processes: ping answers with the
//! agent's version and uptime, logs are bounded, restart gives a new process, a device without
//! agent is offline at once (no responders, not a timeout), a silent one times out, and garbage
//! answers are bad replies.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::support::*;
use futures_util::StreamExt;
use harmony_dsl::resource::{EnvValue, Workload, WorkloadRun};
use harmony_dsl::value::Secret;
use harmony_runtime::providers::nats::wire::command::{
    MAX_LOG_LINE_BYTES, MAX_LOG_LINES, MAX_REPLY_BYTES, command_subject,
};
use harmony_runtime::providers::nats::wire::{WorkloadState, key_token};
use harmony_runtime::providers::nats::{CommandError, DeviceCommands};

const SECRET: &str = "tok-5f1d9a3c-never-in-replies";

/// A workload that writes 3,000 numbered lines (one of 5 KB), then sleeps; it has a secret in
/// its environment, which it never prints.
fn chatty(marker: &std::path::Path) -> Workload {
    let mut env = BTreeMap::new();
    env.insert(
        "TOKEN".to_string(),
        EnvValue::Secret(Secret::new(SECRET.to_string())),
    );
    env.insert(
        "MARKER".to_string(),
        EnvValue::Plain(marker.display().to_string()),
    );
    Workload {
        name: "chatty".into(),
        run: WorkloadRun::Process {
            command: vec![
                "sh".into(),
                "-c".into(),
                "echo started >> \"$MARKER\"; head -c 5000 /dev/zero | tr '\\0' x; echo; \
                 i=0; while [ $i -lt 3000 ]; do echo \"line $i\"; i=$((i+1)); done; \
                 echo done; exec sleep 600"
                    .into(),
            ],
        },
        env,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ping_logs_and_restart_a_real_agent() {
    let dir = TempDir::new("fleet-commands");
    let server = NatsServer::start(dir.path());
    let url = server.url();
    let op = operator(&url).await;
    let marker = dir.path().join("chatty.marker");
    let spec = spec("north", vec![chatty(&marker)]);
    let (_, revision) = op.apply_with_revision(&spec).await.expect("apply");
    let _agent = Agent::start(&url, "north", &dir.path().join("north"), &[]);
    let key = op.key(&spec);
    let status = converged(&op, "north", &key, revision).await;
    let first_pid = status.workloads[0].pid.expect("running");

    let commands = DeviceCommands::new(op.client().clone());
    let pong = commands.ping("north").await.expect("ping");
    assert_eq!(pong.device, "north");
    assert_eq!(pong.version, env!("CARGO_PKG_VERSION"));
    assert!(pong.uptime_ms < 120_000, "{pong:?}");

    // Wait until the workload wrote everything, then read the tail.
    let logs = eventually("the workload's last line in its logs", || async {
        let logs = commands.logs("north", "chatty", 20).await.ok()?;
        (logs.lines.last().map(String::as_str) == Some("done")).then_some(logs)
    })
    .await;
    assert_eq!(logs.lines.len(), 20);
    assert_eq!(logs.lines[0], "line 2981");
    assert!(!logs.truncated);

    // More lines than the limit: bounded in lines, in line length and in bytes.
    let all = commands
        .logs("north", "chatty", 1_000_000)
        .await
        .expect("logs");
    assert!(all.lines.len() <= MAX_LOG_LINES, "{}", all.lines.len());
    assert!(all.lines.iter().all(|l| l.len() <= MAX_LOG_LINE_BYTES));
    let bytes: usize = all.lines.iter().map(|l| l.len() + 3).sum();
    assert!(bytes <= MAX_REPLY_BYTES, "{bytes}");
    assert_eq!(all.lines.last().map(String::as_str), Some("done"));
    let raw = op
        .client()
        .request(
            command_subject("north"),
            br#"{"command":"logs","workload":"chatty","lines":1000}"#
                .to_vec()
                .into(),
        )
        .await
        .expect("raw logs request");
    assert!(raw.payload.len() <= MAX_REPLY_BYTES);
    assert!(
        !String::from_utf8_lossy(&raw.payload).contains(SECRET),
        "the workload's secret is in a logs reply"
    );

    // A workload that is not there.
    match commands.logs("north", "nope", 5).await {
        Err(CommandError::UnknownWorkload {
            workload, message, ..
        }) => {
            assert_eq!(workload, "nope");
            assert!(message.contains("chatty"), "{message}");
        }
        other => panic!("expected an unknown workload: {other:?}"),
    }
    assert!(matches!(
        commands.restart("north", "nope").await,
        Err(CommandError::UnknownWorkload { .. })
    ));

    // Restart: a new process, started again.
    let previous = commands.restart("north", "chatty").await.expect("restart");
    assert_eq!(previous, Some(first_pid));
    let second_pid = eventually("the restarted workload running", || async {
        let status = op.status("north").await.ok()??;
        let workload = status.workloads.first()?;
        (workload.state == WorkloadState::Running && workload.pid != Some(first_pid))
            .then_some(workload.pid?)
    })
    .await;
    assert!(alive(second_pid));
    assert!(!alive(first_pid), "the old process still runs");
    eventually("the workload started twice", || async {
        (marker_lines(&marker).len() == 2).then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_without_agent_is_offline_not_a_timeout() {
    let dir = TempDir::new("fleet-commands-offline");
    let server = NatsServer::start(dir.path());
    let op = operator(&server.url()).await;
    // A long timeout: only the server's "no responders" can end the request as offline.
    let commands = DeviceCommands::new(op.client().clone()).with_timeout(Duration::from_secs(600));
    match commands.ping("ghost").await {
        Err(CommandError::Offline { device }) => assert_eq!(device, "ghost"),
        other => panic!("expected offline: {other:?}"),
    }
    let e = commands.logs("ghost", "web", 10).await.unwrap_err();
    assert!(e.to_string().contains("device `ghost` is offline"), "{e}");
}

/// Answers every request on `device`'s subject with `reply` (or never, for `None`).
async fn fake_device(client: &async_nats::Client, device: &str, reply: Option<Vec<u8>>) {
    let mut requests = client
        .subscribe(command_subject(device))
        .await
        .expect("subscribe");
    client.flush().await.expect("flush");
    let client = client.clone();
    tokio::spawn(async move {
        while let Some(message) = requests.next().await {
            if let (Some(to), Some(reply)) = (message.reply, &reply) {
                let _ = client.publish(to, reply.clone().into()).await;
            }
        }
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_oversized_and_mismatched_replies_are_bad_replies() {
    let dir = TempDir::new("fleet-commands-garbage");
    let server = NatsServer::start(dir.path());
    let op = operator(&server.url()).await;
    let client = async_nats::connect(server.url()).await.expect("connect");
    let garbage: Vec<u8> = vec![0xff, 0xfe, b'{', 0, 7, b'}'];
    fake_device(&client, "garbled", Some(garbage)).await;
    fake_device(&client, "huge", Some(vec![b' '; MAX_REPLY_BYTES + 10])).await;
    let impostor = br#"{"reply":"pong","device":"south","version":"9","uptime_ms":1}"#;
    fake_device(&client, "north", Some(impostor.to_vec())).await;
    let wrong_kind = br#"{"reply":"pong","device":"logsy","version":"9","uptime_ms":1}"#;
    fake_device(&client, "logsy", Some(wrong_kind.to_vec())).await;
    fake_device(&client, "silent", None).await;

    let commands = DeviceCommands::new(op.client().clone()).with_timeout(Duration::from_secs(2));
    for (device, expect) in [
        ("garbled", "not a command reply"),
        ("huge", "more than"),
        ("north", "device `south` answered"),
    ] {
        match commands.ping(device).await {
            Err(CommandError::BadReply { reason, .. }) => {
                assert!(reason.contains(expect), "{device}: {reason}")
            }
            other => panic!("{device}: expected a bad reply: {other:?}"),
        }
    }
    assert!(matches!(
        commands.logs("logsy", "web", 3).await,
        Err(CommandError::BadReply { .. })
    ));
    match commands.ping("silent").await {
        Err(CommandError::Timeout { device, after }) => {
            assert_eq!(device, "silent");
            assert_eq!(after, Duration::from_secs(2));
        }
        other => panic!("expected a timeout: {other:?}"),
    }
    // The subject escapes the device name like keys do.
    assert_eq!(
        command_subject("a.b"),
        format!("harmony.cmd.{}", key_token("a.b"))
    );
}
