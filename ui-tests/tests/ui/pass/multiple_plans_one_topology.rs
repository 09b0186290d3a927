//! Several plan functions in one `score!`, for one topology: staging and production.
#![deny(warnings)]
use harmony_runtime::prelude::*;

topology! {
    pub HomeLab {
        hosts {
            nuc { arch: x86_64,  address: "192.168.1.10", labels: [control_plane] }
            pi1 { arch: aarch64, address: "192.168.1.21" }
        }
        capabilities {
            K8sCluster   => Kube { context: "homelab" },
            LoadBalancer => MetalLb { pool: "192.168.1.200/29" },
            Fleet        => NatsFleet { url: "nats://127.0.0.1:4222", devices: [pi1] },
        }
    }
}

score! {
    /// Staging: one replica, no database.
    pub fn staging() -> Plan<HomeLab> {
        web = WebApp { image: "registry.example.com/acme/web:1.5.0-rc.1", port: 8080 };
    }

    /// Production: the same app with a database.
    pub fn production() -> Plan<HomeLab> {
        db  = Postgres { place: nuc };
        web = WebApp { image: "registry.example.com/acme/web:1.4.2", replicas: 2, database: db.endpoint };
    }

    /// Devices only; a private plan function.
    fn devices() -> Plan<HomeLab> {
        agent = EdgeService { image: "registry.example.com/acme/agent:0.9", devices: [pi1] };
    }
}

fn main() {
    assert_eq!(staging().scores.len(), 1);
    assert_eq!(production().scores.len(), 2);
    assert_eq!(devices().scores.len(), 1);
}
