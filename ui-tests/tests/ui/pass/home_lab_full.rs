//! The sketch's home lab, exactly as a newcomer writes it.
#![deny(warnings)]
use harmony_runtime::prelude::*;

topology! {
    /// Home lab: one x86 box running k3s, two Raspberry Pis in the field.
    pub HomeLab {
        hosts {
            nuc { arch: x86_64,  address: "192.168.1.10", labels: [control_plane, gpu] }
            pi1 { arch: aarch64, address: "192.168.1.21" }
            pi2 { arch: aarch64, address: "192.168.1.22" }
        }
        capabilities {
            K8sCluster   => Kube { context: "homelab" },
            DnsServer    => CoreDns { on: nuc, zone: "home.arpa" },
            LoadBalancer => MetalLb { pool: "192.168.1.200/29" },
            Fleet        => NatsFleet { url: "nats://127.0.0.1:4222", devices: [pi1, pi2] },
        }
    }
}

score! {
    /// Everything the web shop needs, in dependency order by construction.
    pub fn shop() -> Plan<HomeLab> {
        db  = Postgres { version: 16, storage: "10Gi", place: nuc };
        web = WebApp {
            image: "registry.example.com/acme/web:1.4.2",
            replicas: 3,
            port: 8080,
            database: db.endpoint,          // typed wiring: Endpoint<Postgres>
            dns: "shop.home.arpa",
        };
        sensors = EdgeService { image: "registry.example.com/acme/sensor:0.3", devices: [pi1, pi2] };
    }
}

fn main() {
    let topology = HomeLab::declared();
    assert_eq!(topology.hosts().len(), 3);
    assert_eq!(topology.capabilities().names().len(), 4);
    let plan = shop();
    assert_eq!(plan.scores.len(), 3);
    assert_eq!(plan.score("web").unwrap().depends_on, ["db"]);
    assert!(plan.problems.is_empty());
}
