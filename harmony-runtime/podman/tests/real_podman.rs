//! Against real podman: `testing::environment()` (the crate's `testing/podman.sh`) installs it (when missing),
//! writes the containers.conf this machine needs and builds the local busybox test image. A
//! test prints `skipped: <reason>` and returns only when that script fails.
//!
//! Every test uses its own owner scope and its own names, so they run in parallel and never
//! touch another test's containers.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use harmony_podman::{
    Applied, Config, ContainerSpec, ErrorKind, Health, Network, Observation, Podman, RestartPolicy,
    SecretValue, container_name, is_valid_name,
};

use harmony_podman::podman_or_skip;
use harmony_podman::testing::TestEnvironment as Env;

/// A scratch state dir and a unique scope for one test; removes its containers on drop.
struct Fixture {
    podman: Podman,
    dir: PathBuf,
    image: String,
}

impl Fixture {
    fn new(env: &Env, tag: &str) -> Self {
        let unique = harmony_podman::testing::unique(tag);
        let dir = std::env::temp_dir().join(format!("harmony-podman-test-{unique}"));
        let mut config = Config::new(dir.join("state"), format!("test-{unique}"));
        config.containers_conf = Some(env.containers_conf.clone());
        // busybox `sleep` as PID 1 ignores SIGTERM: do not wait 10 s for each removal.
        config.stop_timeout = Duration::from_secs(1);
        Fixture {
            podman: Podman::new(config).expect("podman client"),
            dir,
            image: env.image.clone(),
        }
    }

    fn spec(&self, name: &str, command: &[&str]) -> ContainerSpec {
        ContainerSpec {
            name: format!("{name}/{}", self.podman.config().scope),
            image: self.image.clone(),
            command: command.iter().map(|s| s.to_string()).collect(),
            network: Network::None,
            restart: RestartPolicy::Always,
            ..Default::default()
        }
    }

    /// Runs podman directly (for checks the crate does not offer).
    fn podman(&self, args: &[&str]) -> std::process::Output {
        std::process::Command::new("podman")
            .args(args)
            .env(
                "CONTAINERS_CONF",
                self.podman.config().containers_conf.as_ref().unwrap(),
            )
            .output()
            .expect("run podman")
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let podman = self.podman.clone();
        let cleanup = async move {
            for info in podman.list().await.unwrap_or_default() {
                let _ = podman.remove(&info.logical).await;
            }
        };
        let _ = std::thread::spawn(move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap()
                .block_on(cleanup)
        })
        .join();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test]
async fn create_then_unchanged_then_replace_on_change_then_prune() {
    let env = podman_or_skip!();
    let fx = Fixture::new(env, "lifecycle");
    let spec = fx.spec("web", &["sleep", "1000"]);
    assert_eq!(fx.podman.inspect(&spec).await.unwrap(), Observation::Absent);

    assert_eq!(fx.podman.apply(&spec).await.unwrap(), Applied::Created);
    let first = match fx.podman.inspect(&spec).await.unwrap() {
        Observation::Same(info) => info,
        other => panic!("after create: {other:?}"),
    };
    assert!(first.is_running(), "{first:?}");
    assert!(is_valid_name(&first.name));
    assert_eq!(first.name, container_name(&spec.name));

    // Idempotent: same spec, nothing done (same container, same pid).
    assert_eq!(fx.podman.apply(&spec).await.unwrap(), Applied::Unchanged);
    let again = fx.podman.info(&spec.name).await.unwrap().unwrap();
    assert_eq!(again.pid, first.pid);

    // A changed spec replaces the container.
    let mut changed = spec.clone();
    changed.env.insert("MODE".into(), "two".into());
    assert!(matches!(
        fx.podman.inspect(&changed).await.unwrap(),
        Observation::Different(_)
    ));
    assert_eq!(fx.podman.apply(&changed).await.unwrap(), Applied::Replaced);
    let replaced = fx.podman.info(&spec.name).await.unwrap().unwrap();
    assert_ne!(replaced.pid, first.pid);
    assert!(matches!(
        fx.podman.inspect(&changed).await.unwrap(),
        Observation::Same(_)
    ));

    // Listed by scope; removed on prune.
    let listed = fx.podman.list().await.unwrap();
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0].logical, spec.name);
    assert!(fx.podman.remove(&spec.name).await.unwrap());
    assert!(!fx.podman.remove(&spec.name).await.unwrap());
    assert_eq!(fx.podman.inspect(&spec).await.unwrap(), Observation::Absent);
    assert!(fx.podman.list().await.unwrap().is_empty());
}

#[tokio::test]
async fn awkward_logical_names_give_valid_podman_names_that_podman_accepts() {
    let env = podman_or_skip!();
    let fx = Fixture::new(env, "names");
    for name in ["default=2Ed1=2Ecam", "site/north.cam", "caméra été"] {
        let spec = fx.spec(name, &["sleep", "1000"]);
        assert_eq!(
            fx.podman.apply(&spec).await.unwrap(),
            Applied::Created,
            "{name}"
        );
        let info = fx.podman.info(&spec.name).await.unwrap().unwrap();
        assert!(is_valid_name(&info.name), "{}", info.name);
        assert_eq!(info.logical, spec.name);
    }
    assert_eq!(fx.podman.list().await.unwrap().len(), 3);
}

#[tokio::test]
async fn a_missing_image_is_a_clear_error_naming_it() {
    let env = podman_or_skip!();
    let fx = Fixture::new(env, "image");
    let mut spec = fx.spec("noimage", &["true"]);
    spec.image = "localhost/harmony-no-such-image:404".into();
    let err = fx.podman.apply(&spec).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::ImageMissing);
    assert!(
        err.message.contains("localhost/harmony-no-such-image:404"),
        "{err}"
    );
    assert_eq!(fx.podman.inspect(&spec).await.unwrap(), Observation::Absent);
}

#[tokio::test]
async fn health_from_podman_healthcheck_and_from_a_tcp_probe() {
    let env = podman_or_skip!();
    let fx = Fixture::new(env, "health");
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let mut spec = fx.spec("httpd", &["httpd", "-f", "-p", &listen, "-h", "/www"]);
    spec.network = Network::Host;
    let url = format!("http://{listen}/");
    spec.health = Some(Health::Command(
        ["wget", "-q", "-O", "/dev/null", url.as_str()]
            .map(String::from)
            .to_vec(),
    ));
    fx.podman.apply(&spec).await.unwrap();
    fx.podman
        .wait_healthy(&spec, Duration::from_secs(20))
        .await
        .unwrap();
    // The same server seen from the host.
    let mut tcp = spec.clone();
    tcp.health = Some(Health::Tcp(port));
    fx.podman.check_health(&tcp).await.unwrap();

    // A health command that never passes times out with the reason.
    let mut sick = fx.spec("sick", &["sleep", "1000"]);
    sick.health = Some(Health::Command(vec!["false".into()]));
    fx.podman.apply(&sick).await.unwrap();
    let err = fx
        .podman
        .wait_healthy(&sick, Duration::from_secs(2))
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Unhealthy);
    assert!(err.message.contains("not healthy within"), "{err}");
}

#[tokio::test]
async fn podman_restarts_a_killed_main_process() {
    let env = podman_or_skip!();
    let fx = Fixture::new(env, "restart");
    let spec = fx.spec("sleeper", &["sleep", "1000"]);
    fx.podman.apply(&spec).await.unwrap();
    let before = fx.podman.info(&spec.name).await.unwrap().unwrap();
    assert!(before.pid > 0);
    // SAFETY: kill has no memory preconditions; the pid is the container's main process.
    assert_eq!(unsafe { libc::kill(before.pid as i32, libc::SIGKILL) }, 0);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let now = fx.podman.info(&spec.name).await.unwrap().unwrap();
        if now.is_running() && now.restarts > before.restarts && now.pid != before.pid {
            break;
        }
        assert!(Instant::now() < deadline, "not restarted: {now:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn logs_are_bounded_to_the_lines_asked() {
    let env = podman_or_skip!();
    let fx = Fixture::new(env, "logs");
    let mut spec = fx.spec(
        "talker",
        &[
            "sh",
            "-c",
            "i=0; while [ $i -lt 50 ]; do echo line-$i; i=$((i+1)); done; sleep 1000",
        ],
    );
    spec.restart = RestartPolicy::No;
    fx.podman.apply(&spec).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let lines = loop {
        let lines = fx.podman.logs(&spec.name, 5).await.unwrap();
        if lines.last().map(String::as_str) == Some("line-49") {
            break lines;
        }
        assert!(Instant::now() < deadline, "{lines:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(
        lines,
        ["line-45", "line-46", "line-47", "line-48", "line-49"]
    );
}

#[tokio::test]
async fn a_container_of_the_same_name_that_is_not_ours_is_left_alone() {
    let env = podman_or_skip!();
    let fx = Fixture::new(env, "notours");
    let spec = fx.spec("taken", &["sleep", "1000"]);
    let name = container_name(&spec.name);
    let out = fx.podman(&[
        "create",
        "--name",
        &name,
        "--network",
        "none",
        &fx.image,
        "sleep",
        "1000",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let err = fx.podman.apply(&spec).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::NotOurs);
    assert!(fx.podman.remove(&spec.name).await.is_err());
    let out = fx.podman(&["container", "exists", &name]);
    assert!(out.status.success(), "the foreign container was removed");
    fx.podman(&["rm", "--force", &name]);
}

#[tokio::test]
async fn secrets_reach_the_container_but_never_argv_nor_inspect_nor_ps() {
    let env = podman_or_skip!();
    let fx = Fixture::new(env, "secrets");
    let value = format!("s3cr3t-{}-value", std::process::id());
    let mut spec = fx.spec("db", &["sleep", "1000"]);
    spec.secrets
        .insert("DB_PASSWORD".into(), Some(SecretValue::new(value.clone())));
    spec.env.insert("PLAIN".into(), "visible".into());

    // Watch every process's argv while podman runs.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let watcher = {
        let stop = stop.clone();
        let needle = value.clone();
        std::thread::spawn(move || {
            let mut seen = Vec::new();
            let mut scans = 0u64;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
                    if let Ok(cmdline) = std::fs::read(entry.path().join("cmdline"))
                        && String::from_utf8_lossy(&cmdline).contains(&needle)
                    {
                        seen.push(String::from_utf8_lossy(&cmdline).replace('\0', " "));
                    }
                }
                scans += 1;
            }
            (seen, scans)
        })
    };
    fx.podman.apply(&spec).await.unwrap();
    // A changed secret replaces the container (its podman secret is made anew).
    let mut rotated = spec.clone();
    let new_value = format!("{value}-rotated");
    rotated.secrets.insert(
        "DB_PASSWORD".into(),
        Some(SecretValue::new(new_value.clone())),
    );
    assert_eq!(fx.podman.apply(&rotated).await.unwrap(), Applied::Replaced);
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let (seen, scans) = watcher.join().unwrap();
    assert!(seen.is_empty(), "secret seen in argv: {seen:?}");
    assert!(scans > 0);

    // Nothing the crate ran had it in argv.
    for argv in fx.podman.recorded_commands() {
        assert!(
            !argv.iter().any(|a| a.contains("s3cr3t")),
            "secret in argv: {argv:?}"
        );
    }
    // The container reads the new value from its file; the env names the file.
    let info = fx.podman.info(&spec.name).await.unwrap().unwrap();
    let out = fx.podman(&["exec", &info.name, "cat", "/run/secrets/DB_PASSWORD"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), new_value);
    let out = fx.podman(&["exec", &info.name, "env"]);
    let env_text = String::from_utf8_lossy(&out.stdout);
    assert!(env_text.contains("DB_PASSWORD_FILE=/run/secrets/DB_PASSWORD"));
    assert!(env_text.contains("PLAIN=visible"));
    assert!(!env_text.contains("s3cr3t"));
    // Neither inspect (running) nor ps show it; the digest label does not carry it.
    for args in [
        vec!["container", "inspect", info.name.as_str()],
        vec!["ps", "--all", "--format", "json"],
        vec!["secret", "ls", "--format", "json"],
    ] {
        let out = fx.podman(&args);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{args:?}");
        assert!(!text.contains("s3cr3t"), "{args:?} shows the secret");
    }
    // Pruning removes the podman secrets too.
    let secrets = info.secrets.clone();
    assert_eq!(secrets.len(), 1);
    assert!(fx.podman.remove(&spec.name).await.unwrap());
    let out = fx.podman(&["secret", "inspect", &secrets[0]]);
    assert!(!out.status.success(), "secret {} left behind", secrets[0]);
}

#[tokio::test]
async fn inspect_without_secret_values_compares_the_rest() {
    let env = podman_or_skip!();
    let fx = Fixture::new(env, "refs");
    let mut spec = fx.spec("app", &["sleep", "1000"]);
    spec.secrets
        .insert("TOKEN".into(), Some(SecretValue::new("tok-1")));
    fx.podman.apply(&spec).await.unwrap();
    // As a plan sees it: the value behind a reference is not read.
    let mut unresolved = spec.clone();
    unresolved.secrets.insert("TOKEN".into(), None);
    assert!(matches!(
        fx.podman.inspect(&unresolved).await.unwrap(),
        Observation::Same(_)
    ));
    unresolved.command = vec!["sleep".into(), "999".into()];
    assert!(matches!(
        fx.podman.inspect(&unresolved).await.unwrap(),
        Observation::Different(_)
    ));
    assert_eq!(
        fx.podman.apply(&unresolved).await.unwrap_err().kind,
        ErrorKind::BadSpec
    );
}
