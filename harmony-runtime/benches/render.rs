//! Render benchmark (a program, not a test): `cargo bench -p harmony-runtime --bench render`.
//!
//! 1,000 `WebApp` scores (each a Deployment, a Service and a load-balancer exposure, half of
//! them with a database URL and a DNS name) on a cluster topology:
//! 1. building the plan (scores → typed operations),
//! 2. rendering every Kubernetes object to YAML in memory (`Operation::render`),
//! 3. `render_plan` into a fresh directory (files written atomically, plus `index.json`).
//!
//! Prints objects per second and total time for each, best of 5.

use std::time::{Duration, Instant};

use harmony_dsl::{Endpoint, Plan};
use harmony_runtime::prelude::*;
use harmony_runtime::render::render_plan;

topology! {
    /// A cluster with DNS and a load balancer.
    pub BenchCluster {
        hosts {
            srv1 { arch: x86_64, address: "10.0.0.11", labels: [control_plane] }
        }
        capabilities {
            K8sCluster   => Kube { context: "bench" },
            DnsServer    => CoreDns { on: srv1, zone: "bench.example.com" },
            LoadBalancer => MetalLb { pool: "10.0.0.240/28" },
        }
    }
}

const APPS: usize = 1_000;

fn plan() -> Plan<BenchCluster> {
    let mut plan = Plan::new("bench");
    for i in 0..APPS {
        let app = WebApp {
            image: format!("registry.example.com/acme/app-{i}:1.{i}.0")
                .parse()
                .expect("image reference"),
            replicas: (i % 5 + 1) as u16,
            port: Port::new(8000 + (i % 1000) as u16).expect("port"),
            database: (i % 2 == 0).then(|| {
                Endpoint::new(
                    format!("db-{i}.apps.svc.cluster.local"),
                    Port::new(5432).expect("port"),
                )
            }),
            dns: (i % 2 == 0).then(|| {
                format!("app-{i}.bench.example.com")
                    .parse()
                    .expect("domain name")
            }),
            namespace: Some(format!("team-{}", i % 10)),
            ingress: None,
            ingress_path: None,
            tls_secret: None,
            config: Default::default(),
            secrets: Default::default(),
        };
        plan.add(&format!("app-{i}"), app, &[]);
    }
    plan
}

fn best_of<T>(runs: usize, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut best = Duration::MAX;
    let mut last = None;
    for _ in 0..runs {
        let start = Instant::now();
        let value = f();
        best = best.min(start.elapsed());
        last = Some(value);
    }
    (best, last.expect("at least one run"))
}

fn report(what: &str, count: usize, unit: &str, took: Duration) {
    println!(
        "{what:<38} {count:>6} {unit:<9} {:>9.2} ms  {:>10.0} {unit}/s",
        took.as_secs_f64() * 1e3,
        count as f64 / took.as_secs_f64()
    );
}

fn main() {
    println!("render benchmark: {APPS} WebApp scores (best of 5)\n");
    let (took, built) = best_of(5, plan);
    let objects = built
        .steps
        .iter()
        .filter(|s| {
            s.operation
                .resource::<dyn harmony_dsl::capability::K8sCluster>()
                .is_some()
        })
        .count();
    report(
        "build plan (scores -> operations)",
        built.steps.len(),
        "steps",
        took,
    );

    let (took, bytes) = best_of(5, || {
        built
            .steps
            .iter()
            .filter(|s| {
                s.operation
                    .resource::<dyn harmony_dsl::capability::K8sCluster>()
                    .is_some()
            })
            .map(|s| s.operation.render().content.len())
            .sum::<usize>()
    });
    report(
        "render Kubernetes objects to YAML",
        objects,
        "objects",
        took,
    );
    println!("{:<38} {bytes:>6} bytes of YAML", "");

    let base = std::env::temp_dir().join(format!("harmony-render-bench-{}", std::process::id()));
    let mut run = 0;
    let (took, index) = best_of(5, || {
        run += 1;
        let dir = base.join(run.to_string());
        render_plan(&built, &dir).expect("render into a temporary directory")
    });
    report(
        "render_plan to disk (all artifacts)",
        index.files.len(),
        "files",
        took,
    );

    let (took, _) = best_of(5, || {
        let fresh = plan();
        run += 1;
        render_plan(&fresh, &base.join(run.to_string())).expect("render")
    });
    report(
        "total: build + render_plan to disk",
        objects,
        "objects",
        took,
    );
    let _ = std::fs::remove_dir_all(&base);
}
