//! `Failover<T>` and `Decentralized<T>`: placement through blanket impls, lifted execution.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use harmony_dsl::prelude::*;
use harmony_dsl::resource::{FileKind, FileSpec};
use harmony_dsl::{BoxFuture, Inspection, Interpret, Observed};

/// Records what it was asked to apply; fails when `fail` is set.
#[derive(Debug, Default, Clone, harmony_dsl::Provider)]
pub struct MemoryFiles {
    /// Name of the side, for the record.
    pub name: String,
    /// Fail every call.
    #[provider(default)]
    pub fail: bool,
    #[doc(hidden)]
    pub log: Option<String>,
}

static LOG: Mutex<Vec<String>> = Mutex::new(Vec::new());

impl FileSystem for MemoryFiles {
    fn inspect<'a>(&'a self, r: &'a FileSpec) -> BoxFuture<'a, harmony_dsl::Result<Inspection>> {
        Box::pin(async move {
            Ok(Inspection {
                change: Change::Create {
                    summary: format!("{} on {}", r.path.display(), self.name),
                },
                observed: Observed::Absent,
            })
        })
    }
    fn apply<'a>(&'a self, r: &'a FileSpec) -> BoxFuture<'a, harmony_dsl::Result<Outcome>> {
        Box::pin(async move {
            if self.fail {
                return Err(Error::transient(format!("{} is down", self.name)));
            }
            LOG.lock()
                .unwrap()
                .push(format!("{}:{}", self.name, r.path.display()));
            Ok(Outcome::changed(format!("wrote {}", r.path.display())))
        })
    }
    fn remove<'a>(&'a self, _r: &'a FileSpec) -> BoxFuture<'a, harmony_dsl::Result<Outcome>> {
        Box::pin(async { Ok(Outcome::Unchanged) })
    }
}

topology! {
    /// A site with a filesystem.
    pub Site {
        hosts { box1 { arch: x86_64, address: "10.1.0.1" } }
        capabilities { FileSystem => MemoryFiles { name: "a" } }
    }
}

score! {
    /// One config file on both sides of a failover pair.
    fn pair() -> Plan<Failover<Site>> {
        conf = ConfigFile { path: "app.toml", content: "x = 1" };
    }

    /// One config file on every site.
    fn everywhere() -> Plan<Decentralized<Site>> {
        conf = ConfigFile { path: "app.toml", content: "x = 1" };
    }
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
    }
}

fn site(name: &str, fail: bool) -> Site {
    Site::new(MemoryFiles {
        name: name.into(),
        fail,
        log: None,
    })
}

fn file_step<T: Topology>(plan: &Plan<T>) -> &harmony_dsl::Step {
    plan.steps
        .iter()
        .find(|s| {
            matches!(
                s.operation.resource::<dyn FileSystem>(),
                Some(FileSpec {
                    kind: FileKind::File { .. },
                    ..
                })
            )
        })
        .expect("a file step")
}

#[test]
fn failover_applies_to_both_sides_and_reads_the_primary() {
    let topology = Failover::new(site("primary", false), site("replica", false));
    let plan = pair();
    let step = file_step(&plan);
    let outcome = block_on(step.operation.execute(&topology)).expect("applied");
    assert!(outcome.is_changed());
    // The other test logs too (tests run in parallel): look at this test's sides only.
    let mine: Vec<String> = LOG
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .filter(|l| l.starts_with("primary:") || l.starts_with("replica:"))
        .cloned()
        .collect();
    assert_eq!(mine, vec!["primary:app.toml", "replica:app.toml"]);
    let inspection = block_on(step.operation.inspect(&topology)).expect("inspected");
    assert_eq!(
        inspection.change,
        Change::Create {
            summary: "primary: app.toml on primary".into()
        }
    );
    assert_eq!(
        topology.capabilities().names(),
        vec![("FileSystem", "Failover(MemoryFiles, MemoryFiles)")]
    );
    assert_eq!(topology.hosts().len(), 2);
    assert_eq!(<MemoryFiles as harmony_dsl::Provider>::NAME, "MemoryFiles");
}

#[test]
fn decentralized_applies_everywhere_and_names_failed_sites() {
    let topology = Decentralized::new(vec![site("s0", false), site("s1", true), site("s2", false)]);
    let plan = everywhere();
    let step = file_step(&plan);
    let err = block_on(step.operation.execute(&topology)).expect_err("one site is down");
    assert!(err.is_transient(), "all failures were transient: {err}");
    assert!(
        err.to_string()
            .contains("1 of 3 sites failed: site 1: s1 is down"),
        "{err}"
    );
    let ok = Decentralized::new(vec![site("t0", false), site("t1", false)]);
    let outcome = block_on(step.operation.execute(&ok)).expect("applied");
    assert_eq!(
        outcome,
        Outcome::changed("2 of 2 changed (site 0: wrote app.toml; site 1: wrote app.toml)")
    );
    let _ = PathBuf::new();
    let _ = Arc::new(());
}
