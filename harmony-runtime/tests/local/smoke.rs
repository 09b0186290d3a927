//! Smoke tests gate a score's deployment: a check that passes on its third try within the
//! timeout lets the dependants run; a failing check fails the score (with the check's output) and
//! skips its dependants. `plan` lists the checks and `smoke` runs them alone.

use crate::common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use common::TempDir;
use harmony_runtime::executor::{CancelToken, ExecOptions, TopologyRunner, execute};
use harmony_runtime::prelude::*;
use harmony_runtime::report::{StepReport, StepStatus};
use harmony_runtime::{ExitStatus, cli_from};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Tries of the custom check so far; it passes from the third on.
static TRIES: AtomicU32 = AtomicU32::new(0);

/// A page whose deployment is checked: over HTTP when `check_url` is set, otherwise with a
/// custom check that passes on its third try.
#[derive(Debug, Clone, Score)]
#[score(requires(FileSystem), smoke_test)]
pub struct CheckedPage {
    /// Where the page goes.
    pub path: String,
    /// URL that must answer 2xx.
    pub check_url: Option<Url>,
}

impl Operations for CheckedPage {
    fn operations(&self, _ctx: &ScoreContext<'_>) -> Vec<Operation> {
        vec![Operation::new::<dyn harmony_dsl::capability::FileSystem>(
            harmony_dsl::resource::FileSpec {
                path: self.path.clone().into(),
                kind: harmony_dsl::resource::FileKind::File {
                    content: "hello\n".into(),
                    mode: None,
                },
            },
        )]
    }
}

impl SmokeTest for CheckedPage {
    fn smoke_tests(&self, _ctx: &ScoreContext<'_>) -> Vec<SmokeCheck> {
        let quick = |c: SmokeCheck| {
            c.within("2s".parse().unwrap())
                .every("50ms".parse().unwrap())
        };
        match &self.check_url {
            Some(url) => vec![quick(SmokeCheck::http(url.clone()))],
            None => vec![quick(SmokeCheck::custom("third time lucky", || {
                Box::pin(async {
                    let n = TRIES.fetch_add(1, Ordering::SeqCst) + 1;
                    if n >= 3 {
                        Ok(format!("passed on call {n}"))
                    } else {
                        Err(format!("call {n}: not yet"))
                    }
                })
            }))],
        }
    }
}

/// The broken check's URL, set by its test before the plan is built (a static, not the
/// environment: other tests of this binary run on other threads).
static SMOKE_URL: std::sync::OnceLock<String> = std::sync::OnceLock::new();

fn url() -> Url {
    SMOKE_URL
        .get()
        .expect("test sets SMOKE_URL")
        .parse()
        .expect("a URL")
}

score! {
    /// The custom check passes on its third try; the dependant runs after it.
    fn lucky() -> Plan<Localhost> {
        page = CheckedPage { path: "page.html" };
        after_page = ConfigFile { path: "after.txt", content: "ran\n", after: [page] };
    }

    /// The HTTP check never passes; the dependant is skipped.
    fn broken() -> Plan<Localhost> {
        page = CheckedPage { path: "page.html", check_url: { url() } };
        after_page = ConfigFile { path: "after.txt", content: "ran\n", after: [page] };
        independent = ConfigFile { path: "independent.txt", content: "ran\n" };
    }
}

/// Applies `plan` on a `Localhost` in `dir` through the executor, as `apply` does.
fn apply(dir: &TempDir, plan: &Plan<Localhost>) -> Vec<StepReport> {
    let topology = Arc::new(Localhost::new(dir.path()).expect("topology"));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(execute(
        Arc::new(plan.steps.clone()),
        Arc::new(TopologyRunner::new(topology)),
        ExecOptions { parallelism: 4 },
        CancelToken::new(),
        |_| {},
    ))
    .expect("a valid plan")
}

fn statuses(reports: &[StepReport]) -> Vec<(String, StepStatus)> {
    reports
        .iter()
        .map(|r| (r.operation.clone(), r.status))
        .collect()
}

#[test]
fn smoke_tests_gate_deployment() {
    // One test, so the shared counter and the environment are never used concurrently.
    let dir = TempDir::new("smoke-lucky");
    let plan = lucky();
    let shown = format!("{plan}");
    assert!(
        shown.contains("smoke test: check `third time lucky`"),
        "{shown}"
    );

    let reports = apply(&dir, &plan);
    assert_eq!(
        statuses(&reports),
        vec![
            ("file page.html".to_string(), StepStatus::Changed),
            (
                "smoke test: check `third time lucky`".to_string(),
                StepStatus::Changed
            ),
            ("file after.txt".to_string(), StepStatus::Changed),
        ]
    );
    let message = reports[1].message.clone().unwrap_or_default();
    assert!(message.contains("passed on try 3"), "{message}");
    assert_eq!(TRIES.load(Ordering::SeqCst), 3);

    // `smoke` runs the checks alone (the custom check passes at once now) and changes nothing.
    std::fs::remove_file(dir.path().join("after.txt")).unwrap();
    let state = dir.path().join("state");
    let args = ["harmony", "--state-dir", state.to_str().unwrap(), "smoke"];
    assert_eq!(
        cli_from(args, Localhost::new(dir.path()), lucky()),
        ExitStatus::Ok
    );
    assert_eq!(TRIES.load(Ordering::SeqCst), 4);
    assert!(
        !dir.path().join("after.txt").exists(),
        "smoke applies nothing"
    );

    // A check that never passes fails its score, with the check's output, and skips dependants.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let port = listener.local_addr().unwrap().port();
    let served = Arc::new(AtomicU32::new(0));
    let counter = Arc::clone(&served);
    let server = std::thread::spawn(move || {
        rt.block_on(async move {
            while let Ok(Ok((mut conn, _))) =
                tokio::time::timeout(std::time::Duration::from_secs(3), listener.accept()).await
            {
                counter.fetch_add(1, Ordering::SeqCst);
                let mut buf = [0u8; 1024];
                let _ = conn.read(&mut buf).await;
                let _ = conn
                    .write_all(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n")
                    .await;
            }
        })
    });
    SMOKE_URL
        .set(format!("http://127.0.0.1:{port}/health"))
        .expect("set once");
    let dir = TempDir::new("smoke-broken");
    let reports = apply(&dir, &broken());
    let steps = statuses(&reports);
    assert!(
        steps.contains(&("file page.html".to_string(), StepStatus::Changed)),
        "{steps:?}"
    );
    assert!(
        steps.contains(&("file independent.txt".to_string(), StepStatus::Changed)),
        "{steps:?}"
    );
    assert!(
        steps.contains(&("file after.txt".to_string(), StepStatus::Skipped)),
        "{steps:?}"
    );
    let smoke = reports
        .iter()
        .find(|r| r.operation.starts_with("smoke test"))
        .unwrap();
    assert_eq!(smoke.status, StepStatus::Failed);
    let message = smoke.message.clone().unwrap_or_default();
    assert!(message.contains("HTTP status 503"), "{message}");
    assert!(message.contains("smoke test failed after"), "{message}");
    assert!(
        served.load(Ordering::SeqCst) >= 2,
        "the check was tried more than once"
    );
    assert!(!dir.path().join("after.txt").exists());
    server.join().unwrap();
}
