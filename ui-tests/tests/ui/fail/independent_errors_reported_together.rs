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
        }
    }
}

score! {
    pub fn shop() -> Plan<HomeLab> {
        db  = Postgres { version: 16, storage: "10Gb", place: nux };
        web = WebApp {
            image: "registry.example.com/acme/web:1.4.2",
            port: 0,
            database: db.endpoint,
        };
    }
}

fn main() {}
