//! `{ expression }` values: anything Rust computes, typed by the builder's setter.
#![deny(warnings)]
use harmony_runtime::prelude::*;

topology! {
    pub HomeLab {
        hosts {
            nuc { arch: x86_64, address: "192.168.1.10", labels: [control_plane] }
        }
        capabilities {
            K8sCluster   => Kube { context: { std::env::var("KUBE_CONTEXT").unwrap_or_else(|_| "homelab".into()) } },
            LoadBalancer => MetalLb { pool: "192.168.1.200/29" },
        }
    }
}

const WEB_PORT: u16 = 8443;

fn replicas_for(env: &str) -> u16 {
    if env == "prod" { 3 } else { 1 }
}

score! {
    pub fn shop() -> Plan<HomeLab> {
        db  = Postgres { storage: { "20Gi".parse().expect("quantity") }, place: nuc };
        web = WebApp {
            image: { format!("registry.example.com/acme/web:{}", env!("CARGO_PKG_VERSION")).parse().expect("image") },
            replicas: { replicas_for("prod") },
            port: { Port::new(WEB_PORT).expect("port") },
            database: db.endpoint,
        };
    }
}

fn main() {
    let plan = shop();
    assert_eq!(plan.scores.len(), 2);
    assert_eq!(plan.score("web").unwrap().spec["replicas"], 3);
}
