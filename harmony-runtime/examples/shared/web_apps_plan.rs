//! The N-web-app plan shared by `examples/web_apps.rs` and `benches/vs_pkl.rs` (included with
//! `#[path]`; not an example of its own).

use harmony_dsl::Plan;
use harmony_runtime::prelude::*;

topology! {
    /// A cluster with a load balancer (nothing is contacted by `render` or `plan --offline`).
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

/// Plan `name` of `apps` web apps: app `i` runs image `registry.example.com/acme/app-i:1.i.0`
/// with `i % 5 + 1` replicas on port `8000 + i % 1000` in namespace `team-(i % namespaces)`.
pub fn plan(name: &str, apps: usize, namespaces: usize) -> Plan<Cluster> {
    let mut plan = Plan::new(name);
    for i in 0..apps {
        let app = WebApp {
            image: format!("registry.example.com/acme/app-{i}:1.{i}.0")
                .parse()
                .expect("image reference"),
            replicas: (i % 5 + 1) as u16,
            port: Port::new(8000 + (i % 1000) as u16).expect("port"),
            database: None,
            dns: None,
            namespace: Some(format!("team-{}", i % namespaces)),
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
