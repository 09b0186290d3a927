use harmony_runtime::prelude::*;

topology! {
    pub struct HomeLab {
        hosts {
            nuc { arch: x86_64, address: "192.168.1.10" }
        }
        capabilities {
            K8sCluster => Kube { context: "homelab" },
        }
    }
}

score! {
    pub fn shop() -> Plan<HomeLab> {
        db = Postgres { storage: "10Gi", place: nuc };
    }
}

fn main() {}
