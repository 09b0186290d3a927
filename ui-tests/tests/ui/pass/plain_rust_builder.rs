//! No `score!`: the typestate builder in plain Rust, held to the same rules.
#![deny(warnings)]
use harmony_runtime::prelude::*;

topology! {
    pub HomeLab {
        hosts {
            nuc { arch: x86_64, address: "192.168.1.10", labels: [control_plane] }
        }
        capabilities {
            K8sCluster   => Kube { context: "homelab" },
            LoadBalancer => MetalLb { pool: "192.168.1.200/29" },
            DnsServer    => CoreDns { on: nuc, zone: "home.arpa" },
        }
    }
}

pub fn shop() -> Plan<HomeLab> {
    let mut plan = Plan::<HomeLab>::new("shop");
    let db = plan.add(
        "db",
        Postgres::builder::<HomeLab>()
            .storage("10Gi".parse().expect("quantity"))
            .place(home_lab::nuc)
            .build(),
        &[],
    );
    let web = WebApp::builder::<HomeLab>()
        .image("registry.example.com/acme/web:1.4.2".parse().expect("image"))
        .replicas(2)
        .database(db.endpoint.clone())
        .dns("shop.home.arpa".parse().expect("domain"))
        .build();
    plan.add("web", web, &[db.id()]);
    plan
}

fn main() {
    let plan = shop();
    assert_eq!(plan.score("web").unwrap().depends_on, ["db"]);
}
