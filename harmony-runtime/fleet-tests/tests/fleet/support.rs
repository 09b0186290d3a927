//! Test harness for the fleet tests: a real nats-server with JetStream on a free loopback port,
//! agents as child processes, temp dirs, bounded polling. Everything is killed on drop.

use std::collections::BTreeMap;
use std::future::Future;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use harmony_dsl::resource::{DeviceSpec, EnvValue, Workload, WorkloadRun};
use harmony_runtime::providers::nats::wire::{WorkloadState, WorkloadStatus};
use harmony_runtime::providers::nats::{ConnectConfig, DeviceStatus, FleetStore};

/// How long any condition may take before a test fails.
pub const DEADLINE: Duration = Duration::from_secs(60);

/// A directory removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> Self {
        static N: AtomicU32 = AtomicU32::new(0);
        let path = std::env::temp_dir().join(format!(
            "harmony-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("create temp dir");
        TempDir(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if std::env::var_os("HARMONY_TEST_KEEP").is_some() {
            eprintln!("kept {}", self.0.display());
            return;
        }
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The nats-server to use: `NATS_SERVER_BIN`, a recent one on PATH, or `scripts/nats-server.sh`.
pub fn nats_server_bin() -> PathBuf {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/nats-server.sh");
    let out = Command::new("sh")
        .arg(&script)
        .stderr(Stdio::inherit())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
    assert!(
        out.status.success(),
        "{} could not provide a nats-server",
        script.display()
    );
    PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
}

/// A free TCP port on 127.0.0.1.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// A nats-server child process with JetStream, file storage in `store`.
pub struct NatsServer {
    bin: PathBuf,
    child: Option<Child>,
    pub port: u16,
    pub store: PathBuf,
    config: Option<PathBuf>,
    env: Vec<(String, String)>,
    log: PathBuf,
}

impl NatsServer {
    /// Starts a server with its store under `dir`.
    pub fn start(dir: &Path) -> Self {
        Self::start_with(dir, None, Vec::new())
    }

    /// Starts a server with a config file and environment for it.
    pub fn start_with(dir: &Path, config: Option<PathBuf>, env: Vec<(String, String)>) -> Self {
        let mut server = NatsServer {
            bin: nats_server_bin(),
            child: None,
            port: free_port(),
            store: dir.join("jetstream"),
            config,
            env,
            log: dir.join("nats-server.log"),
        };
        server.launch();
        server
    }

    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    fn launch(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("server log");
        let mut command = Command::new(&self.bin);
        if let Some(config) = &self.config {
            command.arg("-c").arg(config);
        }
        command
            .args(["-js", "-a", "127.0.0.1", "-p"])
            .arg(self.port.to_string())
            .arg("-sd")
            .arg(&self.store)
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null())
            .stdout(Stdio::from(log.try_clone().expect("log")))
            .stderr(Stdio::from(log));
        self.child = Some(command.spawn().expect("spawn nats-server"));
        let deadline = Instant::now() + DEADLINE;
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            if let Some(child) = self.child.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                panic!(
                    "nats-server exited ({status}):\n{}",
                    std::fs::read_to_string(&self.log).unwrap_or_default()
                );
            }
            assert!(Instant::now() < deadline, "nats-server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGKILL: no clean shutdown, the store is left as it is.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again, same port and store.
    pub fn restart(&mut self) {
        self.kill();
        self.launch();
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A `harmony-agent` child process; SIGTERM (then SIGKILL) on drop.
pub struct Agent {
    child: Option<Child>,
    pub log: PathBuf,
}

impl Agent {
    pub fn start(url: &str, device: &str, state_dir: &Path, extra: &[&str]) -> Self {
        Self::spawn(None, url, device, state_dir, extra, &[])
    }

    /// Starts an agent with extra environment variables.
    pub fn start_with_env(url: &str, device: &str, state_dir: &Path, env: &[(&str, &str)]) -> Self {
        Self::spawn(None, url, device, state_dir, &[], env)
    }

    /// Starts an agent inside network namespace `netns` (`ip netns exec`, which execs the agent:
    /// the child is the agent itself).
    pub fn start_in_netns(
        netns: &str,
        url: &str,
        device: &str,
        state_dir: &Path,
        extra: &[&str],
    ) -> Self {
        Self::spawn(Some(netns), url, device, state_dir, extra, &[])
    }

    fn spawn(
        netns: Option<&str>,
        url: &str,
        device: &str,
        state_dir: &Path,
        extra: &[&str],
        env: &[(&str, &str)],
    ) -> Self {
        std::fs::create_dir_all(state_dir).expect("state dir");
        let log = state_dir.join("agent.log");
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .expect("agent log");
        let agent = env!("CARGO_BIN_EXE_fleet-test-agent");
        let mut command = match netns {
            Some(netns) => {
                let mut command = Command::new("ip");
                command.args(["netns", "exec", netns, agent]);
                command
            }
            None => Command::new(agent),
        };
        let child = command
            .args(["--nats", url, "--device", device, "--heartbeat-ms", "300"])
            .arg("--state-dir")
            .arg(state_dir)
            .args(extra)
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::from(file.try_clone().expect("log")))
            .stderr(Stdio::from(file))
            .spawn()
            .expect("spawn harmony-agent");
        Agent {
            child: Some(child),
            log,
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits (up to [`DEADLINE`]) for the agent to exit by itself; its exit status.
    pub fn wait_exit(&mut self) -> std::process::ExitStatus {
        let child = self.child.as_mut().expect("the agent was started");
        let deadline = Instant::now() + DEADLINE;
        loop {
            if let Some(status) = child.try_wait().expect("agent status") {
                self.child = None;
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "the agent did not exit:\n{}",
                std::fs::read_to_string(&self.log).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Whether the agent process still runs.
    pub fn running(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|c| matches!(c.try_wait(), Ok(None)))
    }

    /// SIGKILL: the agent dies without stopping its workloads.
    pub fn kill_hard(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// SIGTERM and wait: the agent stops its workloads.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            terminate(&mut child, Duration::from_secs(15));
        }
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        self.stop();
    }
}

/// SIGTERM, then waits up to `grace` for `child` to exit; SIGKILL after that.
pub fn terminate(child: &mut Child, grace: Duration) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let deadline = Instant::now() + grace;
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// Polls `probe` until it returns `Some`, failing with `what` after [`DEADLINE`].
pub async fn eventually<T, F, Fut>(what: &str, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + DEADLINE;
    loop {
        if let Some(value) = probe().await {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A workload that appends a line to `marker` when it starts, then sleeps.
pub fn marker_workload(name: &str, marker: &Path, tag: &str) -> Workload {
    let mut env = BTreeMap::new();
    env.insert(
        "MARKER".to_string(),
        EnvValue::Plain(marker.display().to_string()),
    );
    env.insert("TAG".to_string(), EnvValue::Plain(tag.to_string()));
    Workload {
        name: name.to_string(),
        run: WorkloadRun::Process {
            command: vec![
                "sh".into(),
                "-c".into(),
                "echo \"$TAG\" >> \"$MARKER\"; exec sleep 600".into(),
            ],
        },
        env,
    }
}

pub fn spec(device: &str, workloads: Vec<Workload>) -> DeviceSpec {
    DeviceSpec {
        device: device.to_string(),
        workloads,
    }
}

/// Lines in the marker file.
pub fn marker_lines(marker: &Path) -> Vec<String> {
    std::fs::read_to_string(marker)
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect()
}

/// An operator connection with no credentials.
pub async fn operator(url: &str) -> FleetStore {
    FleetStore::connect(url, &ConnectConfig::default(), "default")
        .await
        .expect("operator connects")
}

/// Waits until `device` reports `key` converged at `revision`; returns the status.
pub async fn converged(store: &FleetStore, device: &str, key: &str, revision: u64) -> DeviceStatus {
    eventually(
        &format!("device {device} converged on {key} at revision {revision}"),
        move || async move {
            store
                .status(device)
                .await
                .ok()
                .flatten()
                .filter(|s| s.converged_at(key, revision))
        },
    )
    .await
}

/// Whether process `pid` runs (exists and is not a zombie).
pub fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| {
            let rest = stat[stat.rfind(')')? + 1..].trim_start().to_string();
            rest.chars().next()
        })
        .is_some_and(|state| state != 'Z' && state != 'X')
}

/// What [`race`] saw: the revision both plans read, the spec that was written, the other's error.
pub struct Race {
    pub read: harmony_dsl::outcome::Observed,
    pub winner: DeviceSpec,
    pub loser: harmony_dsl::Error,
}

/// Two operators plan `first` and `second` (the same key) against the same revision, then apply
/// at once: exactly one wins, the other gets a conflict naming the key.
pub async fn race(first: (&FleetStore, &DeviceSpec), second: (&FleetStore, &DeviceSpec)) -> Race {
    let plan_a = first.0.inspect(first.1).await.expect("plan");
    let plan_b = second.0.inspect(second.1).await.expect("plan");
    assert_eq!(plan_a.observed, plan_b.observed, "both plans read the same");
    let (a, b) = tokio::join!(
        first.0.apply_at(first.1, &plan_a.observed),
        second.0.apply_at(second.1, &plan_b.observed)
    );
    let (winner, loser) = match (a, b) {
        (Ok(_), Err(e)) => (first.1.clone(), e),
        (Err(e), Ok(_)) => (second.1.clone(), e),
        other => panic!("expected exactly one winner, got {other:?}"),
    };
    assert_eq!(loser.kind(), harmony_dsl::ErrorKind::Conflict, "{loser}");
    let key = first.0.key(first.1);
    assert!(loser.message().contains(&key), "{loser}");
    Race {
        read: plan_a.observed,
        winner,
        loser,
    }
}

/// Simulated devices that follow the agent's protocol without processes: one watcher over the
/// desired bucket that, for every value written, reports that device converged at the value's
/// revision, each of its workloads in the state `behaviour` gives for the spec (running, or
/// failed to make a rollout fail there). Runs until the task is aborted.
pub async fn simulate_devices(
    js: async_nats::jetstream::Context,
    behaviour: impl Fn(&DeviceSpec) -> WorkloadState + Send + 'static,
) {
    use futures_util::StreamExt;
    use harmony_runtime::providers::nats::wire::{
        Phase, STATUS_BUCKET, decode_spec, now_ms, status_key,
    };
    let status = js
        .get_key_value(STATUS_BUCKET)
        .await
        .expect("status bucket");
    let desired = js.get_key_value("harmony-desired").await.expect("desired");
    let mut watch = desired.watch_all().await.expect("watch desired");
    while let Some(Ok(entry)) = watch.next().await {
        let Ok(spec) = decode_spec(&entry.value) else {
            continue;
        };
        let state = behaviour(&spec);
        let report = DeviceStatus {
            device: spec.device.clone(),
            phase: Phase::Converged,
            online: true,
            applied: [(entry.key.clone(), entry.revision)].into_iter().collect(),
            workloads: spec
                .workloads
                .iter()
                .map(|w| WorkloadStatus {
                    name: w.name.clone(),
                    key: entry.key.clone(),
                    state,
                    pid: (state == WorkloadState::Running).then_some(1),
                    restarts: 0,
                    message: (state != WorkloadState::Running)
                        .then(|| "simulated: exit status 3".to_string()),
                })
                .collect(),
            heartbeat_ms: now_ms(),
            // Reported once: never taken for offline while a test runs.
            heartbeat_interval_ms: 600_000,
            server: None,
        };
        let status = status.clone();
        tokio::spawn(async move {
            let bytes = serde_json::to_vec(&report).unwrap_or_default();
            let _ = status.put(status_key(&report.device), bytes.into()).await;
        });
    }
}

/// How many values desired-state `key` has had on the server at `url` (the bucket keeps 5).
pub async fn desired_writes(url: &str, key: &str) -> usize {
    let client = async_nats::connect(url).await.expect("connect");
    let kv = async_nats::jetstream::new(client)
        .get_key_value("harmony-desired")
        .await
        .expect("bucket");
    let mut history = kv.history(key).await.expect("history");
    let mut count = 0;
    while let Some(entry) = futures_util::StreamExt::next(&mut history).await {
        entry.expect("entry");
        count += 1;
    }
    count
}
