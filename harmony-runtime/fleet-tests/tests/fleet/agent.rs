//! Agent behaviour: crashed workloads restart with backoff, containers without podman fail with a
//! clear reason, several keys for one device are merged.

use std::path::Path;

use crate::support::*;
use harmony_dsl::resource::{Workload, WorkloadRun};
use harmony_runtime::providers::nats::{Phase, WorkloadState};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crashing_workload_is_restarted_with_backoff() {
    let dir = TempDir::new("fleet-crash");
    let server = NatsServer::start(dir.path());
    let url = server.url();
    let op = operator(&url).await;
    let marker = dir.path().join("crash.marker");
    let mut crashing = marker_workload("flaky", &marker, "start");
    crashing.run = WorkloadRun::Process {
        command: vec![
            "sh".into(),
            "-c".into(),
            "echo \"$TAG\" >> \"$MARKER\"; exit 3".into(),
        ],
    };
    let s = spec("east", vec![crashing]);
    op.apply(&s).await.expect("apply");
    let _agent = Agent::start(&url, "east", &dir.path().join("east"), &[]);
    let status = eventually("three restarts", || async {
        op.status("east")
            .await
            .ok()
            .flatten()
            .filter(|s| s.workloads.first().is_some_and(|w| w.restarts >= 3))
    })
    .await;
    assert_ne!(status.phase, Phase::Converged, "{status:?}");
    assert!(marker_lines(&marker).len() >= 3);
    let workload = &status.workloads[0];
    assert!(
        matches!(
            workload.state,
            WorkloadState::BackingOff | WorkloadState::Starting | WorkloadState::Running
        ),
        "{workload:?}"
    );
    let message = workload.message.as_deref().unwrap_or_default();
    assert!(message.contains("exit status: 3"), "{message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_container_without_podman_fails_with_a_reason_and_other_keys_still_run() {
    let dir = TempDir::new("fleet-container");
    let server = NatsServer::start(dir.path());
    let url = server.url();
    let op = operator(&url).await;
    let marker = dir.path().join("m");
    let container = spec(
        "west",
        vec![Workload {
            name: "camera".into(),
            run: WorkloadRun::Container {
                image: "registry.example.com/acme/camera:1.0".parse().unwrap(),
            },
            env: Default::default(),
        }],
    );
    let process = spec("west", vec![marker_workload("logger", &marker, "up")]);
    op.apply(&container).await.expect("apply container");
    op.apply(&process).await.expect("apply process");

    // A PATH with only what the process workload needs, so podman is surely absent.
    let bin = dir.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    for tool in ["sh", "sleep", "kill"] {
        let real = ["/usr/bin", "/bin"]
            .iter()
            .map(|d| Path::new(d).join(tool))
            .find(|p| p.exists())
            .expect(tool);
        std::os::unix::fs::symlink(real, bin.join(tool)).unwrap();
    }
    let _agent = Agent::start_with_env(
        &url,
        "west",
        &dir.path().join("west"),
        &[("PATH", bin.to_str().unwrap())],
    );
    let key_c = op.key(&container);
    let key_p = op.key(&process);
    let status = eventually("west to report the container failure", || async {
        op.status("west").await.ok().flatten().filter(|s| {
            s.applied.contains_key(&key_c)
                && s.applied.contains_key(&key_p)
                && s.workloads
                    .iter()
                    .any(|w| w.name == "logger" && w.state == WorkloadState::Running)
        })
    })
    .await;
    assert_eq!(status.phase, Phase::Failed);
    let camera = status
        .workloads
        .iter()
        .find(|w| w.name == "camera")
        .expect("camera reported");
    assert_eq!(camera.state, WorkloadState::Failed);
    assert!(
        camera
            .message
            .as_deref()
            .is_some_and(|m| m.contains("podman is not on PATH")),
        "{camera:?}"
    );
    assert_eq!(marker_lines(&marker), vec!["up"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_killed_hard_leaves_no_second_copy_after_it_restarts() {
    let dir = TempDir::new("fleet-orphans");
    let server = NatsServer::start(dir.path());
    let url = server.url();
    let op = operator(&url).await;
    let marker = dir.path().join("pids");
    let mut workload = marker_workload("pinned", &marker, "");
    workload.run = WorkloadRun::Process {
        command: vec![
            "sh".into(),
            "-c".into(),
            "echo $$ >> \"$MARKER\"; exec sleep 600".into(),
        ],
    };
    let s = spec("north", vec![workload]);
    let (_, revision) = op.apply_with_revision(&s).await.expect("apply");
    let state = dir.path().join("north");
    let mut first = Agent::start(&url, "north", &state, &[]);
    converged(&op, "north", &op.key(&s), revision).await;
    let pids = |m: &Path| -> Vec<u32> {
        marker_lines(m)
            .iter()
            .filter_map(|l| l.trim().parse().ok())
            .collect()
    };
    let old = pids(&marker)[0];
    first.kill_hard();
    assert!(alive(old), "the workload outlives a killed agent");

    let _second = Agent::start(&url, "north", &state, &[]);
    let new = eventually("the workload to be started again", || async {
        pids(&marker).get(1).copied()
    })
    .await;
    assert!(alive(new));
    assert!(!alive(old), "the old copy still runs next to the new one");
    converged(&op, "north", &op.key(&s), revision).await;
}

/// An agent whose buckets do not exist yet connects fine, then its session ends at once: it backs
/// off (doubling, with jitter) instead of reconnecting every 100 ms, and never prints the
/// password of its NATS URL (issue 15).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_without_its_buckets_backs_off_and_never_prints_its_password() {
    let dir = TempDir::new("fleet-no-bucket");
    let server = NatsServer::start(dir.path());
    // The server has no authorization configured, so it accepts the credentials as they are.
    let url = server
        .url()
        .replacen("nats://", "nats://ops:hunter2-secret@", 1);
    let agent = Agent::start(&url, "west", &dir.path().join("west"), &[]);
    tokio::time::sleep(std::time::Duration::from_secs(4)).await;
    let log = agent.log();
    let retries = log.matches("retrying in").count();
    // 100 ms doubling to 5 s, each wait between half and all of it: at most 7 tries in 4 s
    // (about 40 without backoff).
    assert!(
        (2..=7).contains(&retries),
        "{retries} retries in 4 s:\n{log}"
    );
    assert!(log.contains("connected to nats://ops:***@"), "{log}");
    assert!(!log.contains("hunter2-secret"), "{log}");
}

/// A configuration error retrying cannot fix, seen by a real agent process: it exits non-zero
/// with the reason and never prints the password.
fn exits_on(url: &str, env: &[(&str, &str)], reason: &str, secret: &str) {
    let dir = TempDir::new("fleet-config-error");
    let mut agent = Agent::start_with_env(url, "west", &dir.path().join("west"), env);
    let status = agent.wait_exit();
    let log = agent.log();
    assert!(!status.success(), "exited {status}:\n{log}");
    assert!(log.contains(reason), "{log}");
    assert!(log.contains("retrying cannot fix"), "{log}");
    assert!(!log.contains(secret), "the password was printed:\n{log}");
    assert!(
        !log.contains("retrying in"),
        "a permanent error was retried:\n{log}"
    );
}

#[test]
fn an_agent_with_a_password_but_no_user_exits_with_a_clear_error() {
    let server = NatsServer::start(TempDir::new("fleet-pw-no-user").path());
    exits_on(
        &server.url(),
        &[("HARMONY_NATS_PASSWORD", "lonely-password-81")],
        "NATS user and password go together",
        "lonely-password-81",
    );
}

#[test]
fn an_agent_with_an_unparsable_url_exits_with_a_clear_error() {
    for (url, reason) in [
        (
            "nats://ops:url-password-82@127.0.0.1:notaport",
            "`nats://127.0.0.1:notaport` is not a valid NATS URL",
        ),
        ("nats://", "`nats://` is not a valid NATS URL"),
        (
            "http://ops:url-password-82@127.0.0.1:4222",
            "the scheme must be `nats://` or `tls://`",
        ),
    ] {
        exits_on(url, &[], reason, "url-password-82");
    }
}

/// A server that is down is not a configuration error: the agent keeps retrying with backoff and
/// converges once the server is back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_whose_server_is_down_keeps_retrying_and_converges_when_it_is_back() {
    let dir = TempDir::new("fleet-server-down");
    let mut server = NatsServer::start(dir.path());
    let url = server.url();
    server.kill();
    let mut agent = Agent::start(&url, "west", &dir.path().join("west"), &[]);
    eventually("three retries", || async {
        (agent.log().matches("retrying in").count() >= 3).then_some(())
    })
    .await;
    assert!(agent.running(), "{}", agent.log());
    server.restart();
    let op = operator(&url).await;
    let marker = dir.path().join("m");
    let s = spec("west", vec![marker_workload("app", &marker, "up")]);
    let (_, revision) = op.apply_with_revision(&s).await.expect("apply");
    converged(&op, "west", &op.key(&s), revision).await;
    assert!(agent.running(), "{}", agent.log());
}
