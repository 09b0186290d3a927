use harmony_runtime::prelude::*;

topology! {
    pub HomeLab {
        hosts {
            nuc { arch: x86_64, address: "192.168.1.10" }
        }
        capabilities {
            K8sCluster Kube { context: "homelab" },
            LoadBalancer -> MetalLb { pool: "192.168.1.200/29" },
        }
    }
}

score! {
    pub fn shop() -> Plan<HomeLab> {
        db = Postgres { storage: "10Gi", place: nuc };
    }
}

fn main() {
    print!("{}", shop());
}
