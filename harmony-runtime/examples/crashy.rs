//! A plan whose `*.block` files never finish applying while `CRASHY_BLOCK=1`: used by the
//! crash-safety test, which kills `apply` mid-run. `CRASHY_FILES=N` declares N plain files
//! (default 40; fewer prunes the rest); `CRASHY_RELEASE=FILE` makes `*.block` files wait for FILE
//! to exist instead of forever. Also shows `cli` with a hand-written topology.
//!
//! `CRASHY_PORTS=P1,P2...` adds one supervised process per port (`srv0`, `srv1`...): this
//! binary run as `serve PORT DELAY_MS`, which listens on PORT after DELAY_MS
//! (`CRASHY_SERVE_DELAY_MS`, default 0), health-checked over TCP. Its environment declares
//! `CRASHY_GEN` (a change restarts it) and `CRASHY_MARK` (for tests to find it), from the
//! variables of the same names.

use std::process::ExitCode;
use std::sync::Arc;

use harmony_dsl::capability::{FileSystem, ProcessSupervisor};
use harmony_dsl::resource::{EnvValue, FileKind, FileSpec, HealthCheck, Probe, ProcessSpec};
use harmony_dsl::value::Port;
use harmony_dsl::{
    BoxFuture, CapabilityMap, Error, HostInfo, Inspection, Operation, Outcome, Plan, Result,
    Topology,
};
use harmony_runtime::local::{LocalFiles, LocalProcesses};

/// Local files, except that `*.block` files hang while `CRASHY_BLOCK=1`.
struct BlockingFiles {
    inner: LocalFiles,
    block: bool,
}

impl FileSystem for BlockingFiles {
    fn inspect<'a>(&'a self, resource: &'a FileSpec) -> BoxFuture<'a, Result<Inspection>> {
        self.inner.inspect(resource)
    }

    fn apply<'a>(&'a self, resource: &'a FileSpec) -> BoxFuture<'a, Result<Outcome>> {
        if self.block && resource.path.extension().is_some_and(|e| e == "block") {
            // With CRASHY_RELEASE=FILE, block until FILE exists; otherwise forever.
            let release = std::env::var_os("CRASHY_RELEASE");
            let inner = &self.inner;
            return Box::pin(async move {
                let Some(release) = release else {
                    return std::future::pending().await;
                };
                while !std::path::Path::new(&release).exists() {
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                }
                inner.apply(resource).await
            });
        }
        self.inner.apply(resource)
    }

    fn remove<'a>(&'a self, resource: &'a FileSpec) -> BoxFuture<'a, Result<Outcome>> {
        self.inner.remove(resource)
    }
}

struct Crashy {
    capabilities: CapabilityMap,
    processes: Arc<LocalProcesses>,
}

impl Topology for Crashy {
    const NAME: &'static str = "Crashy";

    fn hosts(&self) -> &[HostInfo] {
        &[]
    }

    fn capabilities(&self) -> &CapabilityMap {
        &self.capabilities
    }

    fn bind_state_dir(&self, dir: &std::path::Path) {
        self.processes.set_run_dir(dir.join("processes"));
    }
}

fn topology() -> std::result::Result<Crashy, Error> {
    let dir =
        std::env::current_dir().map_err(|e| Error::permanent("no current dir").with_source(e))?;
    let files: Arc<dyn FileSystem> = Arc::new(BlockingFiles {
        inner: LocalFiles::new(&dir),
        block: std::env::var("CRASHY_BLOCK").is_ok_and(|v| v == "1"),
    });
    let processes = Arc::new(LocalProcesses::new(&dir, dir.join(".harmony/processes")));
    let mut capabilities = CapabilityMap::new();
    capabilities.insert::<dyn FileSystem>("BlockingFiles", files);
    capabilities.insert::<dyn ProcessSupervisor>(
        "LocalProcesses",
        Arc::clone(&processes) as Arc<dyn ProcessSupervisor>,
    );
    Ok(Crashy {
        capabilities,
        processes,
    })
}

/// `serve PORT DELAY_MS`: waits DELAY_MS, then accepts connections on 127.0.0.1:PORT forever.
fn serve(port: &str, delay_ms: &str) -> ExitCode {
    std::thread::sleep(std::time::Duration::from_millis(
        delay_ms.parse().unwrap_or(0),
    ));
    let Ok(listener) = std::net::TcpListener::bind(("127.0.0.1", port.parse().unwrap_or(0))) else {
        eprintln!("serve: cannot listen on port {port}");
        return ExitCode::FAILURE;
    };
    for conn in listener.incoming() {
        drop(conn);
    }
    ExitCode::SUCCESS
}

/// One supervised process per port of `CRASHY_PORTS`.
fn processes() -> Vec<ProcessSpec> {
    let exe = std::env::current_exe().map_or_else(|_| "crashy".into(), |p| p.display().to_string());
    let delay = std::env::var("CRASHY_SERVE_DELAY_MS").unwrap_or_else(|_| "0".into());
    let ports = std::env::var("CRASHY_PORTS").unwrap_or_default();
    let var = |name: &str| EnvValue::Plain(std::env::var(name).unwrap_or_default());
    ports
        .split(',')
        .filter_map(|p| p.trim().parse::<Port>().ok())
        .enumerate()
        .map(|(i, port)| ProcessSpec {
            name: format!("srv{i}"),
            command: vec![exe.clone(), "serve".into(), port.to_string(), delay.clone()],
            env: [
                ("CRASHY_GEN".to_string(), var("CRASHY_GEN")),
                ("CRASHY_MARK".to_string(), var("CRASHY_MARK")),
            ]
            .into(),
            working_dir: None,
            restart_on: Vec::new(),
            health: Some(HealthCheck {
                probe: Probe::Tcp { port },
                timeout: "5s".parse().expect("a duration"),
            }),
        })
        .collect()
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if let [_, cmd, port, delay] = args.as_slice()
        && cmd == "serve"
    {
        return serve(port, delay);
    }
    let mut plan: Plan<Crashy> = Plan::new("crashy");
    let blocker = plan.push_step(
        "blocker",
        Operation::new::<dyn harmony_dsl::capability::FileSystem>(FileSpec {
            path: "z.block".into(),
            kind: FileKind::File {
                content: "done\n".into(),
                mode: None,
            },
        }),
        &[],
    );
    let files: usize = std::env::var("CRASHY_FILES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(40);
    for i in 0..files {
        plan.push_step(
            &format!("file{i:02}"),
            Operation::new::<dyn harmony_dsl::capability::FileSystem>(FileSpec {
                path: format!("files/f{i:02}.txt").into(),
                kind: FileKind::File {
                    content: format!("file {i}\n").repeat(200),
                    mode: None,
                },
            }),
            &[],
        );
    }
    plan.push_step(
        "after-blocker",
        Operation::new::<dyn harmony_dsl::capability::FileSystem>(FileSpec {
            path: "after.txt".into(),
            kind: FileKind::File {
                content: "after\n".into(),
                mode: None,
            },
        }),
        &[blocker],
    );
    for spec in processes() {
        let name = spec.name.clone();
        plan.push_step(
            &name,
            Operation::new::<dyn harmony_dsl::capability::ProcessSupervisor>(spec),
            &[],
        );
    }
    harmony_runtime::cli(topology(), plan)
}
