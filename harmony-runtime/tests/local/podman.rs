//! The `Podman` `ContainerRuntime` provider against real podman. `harmony_podman::testing`
//! installs podman when missing, writes the containers.conf this machine needs and builds the
//! local busybox test image; a test prints `skipped: <reason>` and returns only when that
//! script fails. Each test uses names of its own.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};

use harmony_dsl::capability::ContainerRuntime;
use harmony_dsl::config::{SecretRef, ValueSource};
use harmony_dsl::resource::{ContainerHealth, ContainerSpec, EnvValue};
use harmony_dsl::value::Secret;
use harmony_dsl::{Change, Outcome, Placement};
use harmony_runtime::providers::Podman;

use harmony_podman::podman_or_skip;
use harmony_podman::testing::TestEnvironment as Env;

/// A provider on `localhost` with a scratch state dir, and a name prefix unique to the test.
struct Fixture {
    provider: Podman,
    dir: PathBuf,
    prefix: String,
    image: String,
    conf: String,
}

impl Fixture {
    fn new(env: &Env, tag: &str) -> Self {
        let unique = harmony_podman::testing::unique(tag);
        let dir = std::env::temp_dir().join(format!("harmony-podman-provider-{unique}"));
        let on: Placement = serde_json::from_str("\"localhost\"").unwrap();
        Fixture {
            provider: Podman {
                on,
                containers_conf: Some(env.containers_conf.display().to_string()),
                state_dir: Some(dir.join("state").display().to_string()),
            },
            dir,
            prefix: unique,
            image: env.image.clone(),
            conf: env.containers_conf.display().to_string(),
        }
    }

    fn spec(&self, name: &str, command: &[&str]) -> ContainerSpec {
        ContainerSpec {
            name: format!("{}/{name}", self.prefix),
            image: self.image.parse().unwrap(),
            env: BTreeMap::new(),
            ports: Vec::new(),
            host: Some("localhost".into()),
            command: command.iter().map(|s| s.to_string()).collect(),
            health: None,
        }
    }

    fn podman(&self, args: &[&str]) -> String {
        let out = std::process::Command::new("podman")
            .args(args)
            .env("CONTAINERS_CONF", &self.conf)
            .output()
            .expect("run podman");
        String::from_utf8_lossy(&out.stdout).to_string()
    }

    fn podman_name(&self, spec: &ContainerSpec) -> String {
        harmony_podman::container_name(&spec.name)
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        // Whatever a failed test left behind: every container of ours with this prefix.
        let names = self.podman(&["ps", "--all", "--format", "{{.Names}}"]);
        let mut mine = Vec::new();
        for name in names.lines() {
            let label = self.podman(&[
                "inspect",
                "--format",
                "{{index .Config.Labels \"io.harmony.name\"}}",
                name,
            ]);
            if label.trim().starts_with(&self.prefix) {
                mine.push(name.to_string());
            }
        }
        for name in mine {
            self.podman(&["rm", "--force", "--time", "0", &name]);
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A main process that exits on SIGTERM (busybox `sleep` as PID 1 ignores it, and each stop
/// would wait for podman's 10 s before SIGKILL).
const IDLE: &[&str] = &["sh", "-c", "trap 'exit 0' TERM; sleep 1000 & wait"];

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test]
async fn plan_apply_unchanged_replace_status_and_prune() {
    let env = podman_or_skip!();
    let fx = Fixture::new(env, "cycle");
    let spec = fx.spec("svc=1", IDLE);
    let p = &fx.provider;

    let first = p.inspect(&spec).await.unwrap();
    assert!(matches!(first.change, Change::Create { .. }), "{first:?}");
    let outcome = p.apply(&spec).await.unwrap();
    assert!(outcome.is_changed(), "{outcome:?}");
    assert!(
        harmony_podman::is_valid_name(&fx.podman_name(&spec)),
        "{}",
        fx.podman_name(&spec)
    );

    // Idempotent.
    assert_eq!(p.inspect(&spec).await.unwrap().change, Change::None);
    assert_eq!(p.apply(&spec).await.unwrap(), Outcome::Unchanged);

    // A changed spec is an update, applied by replacing the container.
    let mut changed = spec.clone();
    changed.command = vec![
        "sh".into(),
        "-c".into(),
        "trap 'exit 0' TERM; sleep 999 & wait".into(),
    ];
    assert!(matches!(
        p.inspect(&changed).await.unwrap().change,
        Change::Update { .. }
    ));
    match p.apply(&changed).await.unwrap() {
        Outcome::Changed { summary } => assert!(summary.contains("replaced"), "{summary}"),
        other => panic!("{other:?}"),
    }
    let cmd = fx.podman(&[
        "inspect",
        "--format",
        "{{.Config.Cmd}}",
        &fx.podman_name(&spec),
    ]);
    assert!(cmd.contains("999"), "{cmd}");

    // Live status.
    let status = p.status().await.unwrap();
    let line = status
        .iter()
        .find(|s| s.subject.contains(&spec.name))
        .expect("listed in status");
    assert!(line.state.starts_with("running"), "{line:?}");

    // Prune.
    assert!(p.remove(&changed).await.unwrap().is_changed());
    assert_eq!(p.remove(&changed).await.unwrap(), Outcome::Unchanged);
    assert!(matches!(
        p.inspect(&spec).await.unwrap().change,
        Change::Create { .. }
    ));
}

#[tokio::test]
async fn apply_waits_until_healthy_and_fails_when_never_healthy() {
    let env = podman_or_skip!();
    let fx = Fixture::new(env, "health");
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    // Host network: its port is probed from the host (TCP) once it runs.
    let mut web = fx.spec("web", &["httpd", "-f", "-p", &listen, "-h", "/www"]);
    web.ports = vec![port.to_string().parse().unwrap()];
    fx.provider.apply(&web).await.unwrap();
    std::net::TcpStream::connect(&listen).expect("healthy means listening");

    // A health command run by podman's healthcheck.
    let mut checked = fx.spec("checked", IDLE);
    checked.health = Some(ContainerHealth {
        command: vec!["cat".into(), "/www/index.html".into()],
        timeout: "20s".parse().unwrap(),
    });
    assert!(fx.provider.apply(&checked).await.unwrap().is_changed());

    let mut sick = fx.spec("sick", IDLE);
    sick.health = Some(ContainerHealth {
        command: vec!["false".into()],
        timeout: "2s".parse().unwrap(),
    });
    let err = fx.provider.apply(&sick).await.unwrap_err();
    assert!(err.to_string().contains("not healthy within"), "{err}");
    assert!(err.is_transient(), "an unhealthy container may heal: {err}");

    // A missing image is a permanent error naming it.
    let mut missing = fx.spec("missing", &["true"]);
    missing.image = "localhost/harmony-absent:0".parse().unwrap();
    let err = fx.provider.apply(&missing).await.unwrap_err();
    assert!(!err.is_transient());
    assert!(
        err.to_string().contains("localhost/harmony-absent:0"),
        "{err}"
    );
}

#[tokio::test]
async fn secrets_stay_out_of_argv_and_inspect_and_references_plan_as_unchanged() {
    let env = podman_or_skip!();
    let fx = Fixture::new(env, "secret");
    let value = format!("pr0vider-secret-{}", std::process::id());
    let mut spec = fx.spec("db", IDLE);
    spec.env.insert(
        "DB_PASSWORD".into(),
        EnvValue::Secret(Secret::from(value.clone())),
    );

    let stop = std::sync::Arc::new(AtomicBool::new(false));
    let watcher = {
        let stop = stop.clone();
        let needle = value.clone();
        std::thread::spawn(move || {
            let mut seen = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
                    if let Ok(cmdline) = std::fs::read(entry.path().join("cmdline"))
                        && String::from_utf8_lossy(&cmdline).contains(&needle)
                    {
                        seen.push(String::from_utf8_lossy(&cmdline).replace('\0', " "));
                    }
                }
            }
            seen
        })
    };
    fx.provider.apply(&spec).await.unwrap();
    stop.store(true, Ordering::Relaxed);
    assert_eq!(watcher.join().unwrap(), Vec::<String>::new());

    let name = fx.podman_name(&spec);
    let inspect = fx.podman(&["container", "inspect", &name]);
    assert!(inspect.contains("DB_PASSWORD_FILE=/run/secrets/DB_PASSWORD"));
    assert!(!inspect.contains(&value), "podman inspect shows the secret");
    assert_eq!(
        fx.podman(&["exec", &name, "cat", "/run/secrets/DB_PASSWORD"]),
        value
    );

    // A plan reads no secret: the same spec with a reference in place of the value is
    // unchanged, and a change elsewhere still shows.
    let mut planned = spec.clone();
    planned.env.insert(
        "DB_PASSWORD".into(),
        EnvValue::SecretRef(SecretRef::new(
            "db.password",
            ValueSource::Env {
                variable: "HARMONY_TEST_UNSET_DB_PASSWORD".into(),
            },
        )),
    );
    assert_eq!(
        fx.provider.inspect(&planned).await.unwrap().change,
        Change::None
    );
    planned.command = vec!["sleep".into(), "5".into()];
    assert!(
        fx.provider
            .inspect(&planned)
            .await
            .unwrap()
            .change
            .is_change()
    );

    // A rotated value replaces the container.
    let mut rotated = spec.clone();
    rotated.env.insert(
        "DB_PASSWORD".into(),
        EnvValue::Secret(Secret::from(format!("{value}-2"))),
    );
    assert!(fx.provider.apply(&rotated).await.unwrap().is_changed());
    assert_eq!(
        fx.podman(&["exec", &name, "cat", "/run/secrets/DB_PASSWORD"]),
        format!("{value}-2")
    );
    let secret = harmony_podman::secret_name(&name, "DB_PASSWORD");
    let secrets = fx.podman(&["secret", "ls", "--format", "{{.Name}}"]);
    assert!(secrets.lines().any(|s| s == secret), "{secrets}");
    fx.provider.remove(&rotated).await.unwrap();
    let secrets = fx.podman(&["secret", "ls", "--format", "{{.Name}}"]);
    assert!(!secrets.lines().any(|s| s == secret), "{secrets}");
}
