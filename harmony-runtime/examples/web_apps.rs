//! N web apps (`WEB_APPS`, default 3), each a `WebApp` (a Deployment, a Service and a
//! load-balancer exposure), on a cluster topology: what the render tests run as a whole program.
//!
//! ```text
//! WEB_APPS=100 cargo run -p harmony-runtime --example web_apps -- render -
//! ```

use harmony_dsl::Plan;
use harmony_runtime::prelude::*;

topology! {
    /// A cluster with a load balancer.
    pub Cluster {
        hosts {
            srv1 { arch: x86_64, address: "10.0.0.11", labels: [control_plane] }
        }
        capabilities {
            K8sCluster   => Kube { context: "example" },
            LoadBalancer => MetalLb { pool: "10.0.0.240/28" },
        }
    }
}

fn plan(apps: usize) -> Plan<Cluster> {
    let mut plan = Plan::new("web-apps");
    for i in 0..apps {
        let app = WebApp {
            image: format!("registry.example.com/acme/app-{i}:1.{i}.0")
                .parse()
                .expect("image reference"),
            replicas: (i % 5 + 1) as u16,
            port: Port::new(8000 + (i % 1000) as u16).expect("port"),
            database: None,
            dns: None,
            namespace: Some(format!("team-{}", i % 3)),
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

fn main() -> std::process::ExitCode {
    let apps = std::env::var("WEB_APPS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(3);
    harmony_runtime::cli(Cluster::declared(), plan(apps))
}
