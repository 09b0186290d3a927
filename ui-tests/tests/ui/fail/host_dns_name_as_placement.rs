// A host written as its DNS name, in quotes: hosts are the names declared in `topology!`.
use harmony_runtime::prelude::*;

topology! {
    pub HomeLab {
        hosts {
            nuc { arch: x86_64, address: "192.168.1.10" }
        }
        capabilities {
            K8sCluster => Kube { context: "homelab" },
        }
    }
}

score! {
    pub fn data() -> Plan<HomeLab> {
        db = Postgres { storage: "10Gi", place: "nuc.local" };
    }
}

fn main() {}
