// Placing a score on a host named with a keyword: written `r#box`, as in its declaration.
use harmony_runtime::prelude::*;

topology! {
    pub HomeLab {
        hosts {
            r#box { arch: x86_64, address: "192.168.1.10" }
        }
        capabilities {
            K8sCluster => Kube { context: "homelab" },
        }
    }
}

score! {
    pub fn data() -> Plan<HomeLab> {
        db = Postgres { storage: "10Gi", place: box };
    }
}

fn main() {}
