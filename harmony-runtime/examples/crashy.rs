//! A plan whose `*.block` files never finish applying while `CRASHY_BLOCK=1`: used by the
//! crash-safety test, which kills `apply` mid-run. `CRASHY_FILES=N` declares N plain files
//! (default 40; fewer prunes the rest); `CRASHY_RELEASE=FILE` makes `*.block` files wait for FILE
//! to exist instead of forever. Also shows `cli` with a hand-written topology.

use std::process::ExitCode;
use std::sync::Arc;

use harmony_dsl::capability::FileSystem;
use harmony_dsl::resource::{FileKind, FileSpec};
use harmony_dsl::{
    BoxFuture, CapabilityMap, Error, HostInfo, Inspection, Operation, Outcome, Plan, Result,
    Topology,
};
use harmony_runtime::local::LocalFiles;

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
}

impl Topology for Crashy {
    const NAME: &'static str = "Crashy";

    fn hosts(&self) -> &[HostInfo] {
        &[]
    }

    fn capabilities(&self) -> &CapabilityMap {
        &self.capabilities
    }
}

fn topology() -> std::result::Result<Crashy, Error> {
    let dir =
        std::env::current_dir().map_err(|e| Error::permanent("no current dir").with_source(e))?;
    let files: Arc<dyn FileSystem> = Arc::new(BlockingFiles {
        inner: LocalFiles::new(dir),
        block: std::env::var("CRASHY_BLOCK").is_ok_and(|v| v == "1"),
    });
    let mut capabilities = CapabilityMap::new();
    capabilities.insert::<dyn FileSystem>("BlockingFiles", files);
    Ok(Crashy { capabilities })
}

fn main() -> ExitCode {
    let mut plan: Plan<Crashy> = Plan::new("crashy");
    let blocker = plan.push_step(
        "blocker",
        Operation::FileSystem(FileSpec {
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
            Operation::FileSystem(FileSpec {
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
        Operation::FileSystem(FileSpec {
            path: "after.txt".into(),
            kind: FileKind::File {
                content: "after\n".into(),
                mode: None,
            },
        }),
        &[blocker],
    );
    harmony_runtime::cli(topology(), plan)
}
