//! The agent's container workloads against real podman (`harmony_podman::testing`
//! installs it and builds the local busybox image; without it the test prints `skipped: <reason>`
//! and returns): a valid container name from a key that podman would refuse as is, the secret
//! in no argv and not in `podman inspect`, podman's restart, device commands (logs, restart),
//! and removal when no longer desired.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use harmony_agent::Supervisor;
use harmony_fleet_wire::command::CommandReply;
use harmony_fleet_wire::{EnvValue, Workload, WorkloadRun, WorkloadState};
use harmony_values::Secret;

fn podman(conf: &Path, args: &[&str]) -> String {
    let out = std::process::Command::new("podman")
        .args(args)
        .env("CONTAINERS_CONF", conf)
        .output()
        .expect("run podman");
    String::from_utf8_lossy(&out.stdout).to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn container_workloads_run_in_podman_with_valid_names_and_secrets_out_of_argv() {
    let env = harmony_podman::podman_or_skip!();
    let (conf, image) = (env.containers_conf.clone(), env.image.clone());
    // The agent passes its environment's CONTAINERS_CONF on to podman; this test binary runs
    // no other test, so setting it before any thread reads the environment is sound.
    // SAFETY: see above; no other thread of this test reads or writes the environment now.
    unsafe { std::env::set_var("CONTAINERS_CONF", &conf) };
    let unique = harmony_podman::testing::unique("agent");
    let dir = std::env::temp_dir().join(format!("harmony-agent-podman-{unique}"));
    let mut supervisor = Supervisor::new(&dir, Arc::new(tokio::sync::Notify::new())).unwrap();
    let secret = format!("ag3nt-secret-{unique}");
    let mut env = std::collections::BTreeMap::new();
    env.insert(
        "API_TOKEN".to_string(),
        EnvValue::Secret(Secret::new(secret.clone())),
    );
    env.insert("MODE".to_string(), EnvValue::Plain("edge".into()));
    let workload = Workload {
        name: "camera".into(),
        run: WorkloadRun::Container {
            image: image.parse().unwrap(),
        },
        env,
    };
    // A key like the operator's, with `=` escapes podman refuses in names.
    let key = format!("default=2Ed1=2Ecam{unique}");
    supervisor
        .reconcile(vec![(key.clone(), workload.clone())])
        .await;

    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        let statuses = supervisor.statuses();
        if let Some(s) = statuses.iter().find(|s| s.state == WorkloadState::Running) {
            break s.clone();
        }
        assert!(Instant::now() < deadline, "not running: {statuses:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let name = harmony_podman::container_name(&format!("{key}/camera"));
    assert!(harmony_podman::is_valid_name(&name), "{name}");
    let inspect = podman(&conf, &["container", "inspect", &name]);
    assert!(inspect.contains("MODE=edge"), "{inspect}");
    assert!(inspect.contains("API_TOKEN_FILE=/run/secrets/API_TOKEN"));
    assert!(
        !inspect.contains(&secret),
        "podman inspect shows the secret"
    );
    assert_eq!(
        podman(&conf, &["exec", &name, "cat", "/run/secrets/API_TOKEN"]),
        secret
    );
    assert!(status.pid.is_some());
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        if let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) {
            assert!(!String::from_utf8_lossy(&cmdline).contains(&secret));
        }
    }

    // Device commands reach the container: its logs (`podman logs`, nothing of its secret),
    // and a restart that gives a new container process.
    let responder = harmony_agent::commands::Responder {
        device: "d1".into(),
        started: Instant::now(),
        workloads: supervisor.registry(),
    };
    let logs = responder
        .answer(br#"{"command":"logs","workload":"camera","lines":10}"#)
        .await;
    assert!(matches!(logs, CommandReply::Logs { .. }), "{logs:?}");
    assert!(!format!("{logs:?}").contains(&secret));
    let restarted = responder
        .answer(br#"{"command":"restart","workload":"camera"}"#)
        .await;
    match restarted {
        CommandReply::Restarted { previous_pid, .. } => assert_eq!(previous_pid, status.pid),
        other => panic!("{other:?}"),
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let statuses = supervisor.statuses();
        if statuses
            .iter()
            .any(|s| s.state == WorkloadState::Running && s.pid.is_some() && s.pid != status.pid)
        {
            break;
        }
        assert!(Instant::now() < deadline, "not restarted: {statuses:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // No longer desired: the container and its secret are removed.
    supervisor.reconcile(Vec::new()).await;
    supervisor.stop_all().await;
    let deadline = Instant::now() + Duration::from_secs(30);
    while podman(&conf, &["ps", "--all", "--format", "{{.Names}}"])
        .lines()
        .any(|n| n == name)
    {
        assert!(Instant::now() < deadline, "{name} still there");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let _ = std::fs::remove_dir_all(&dir);
}
