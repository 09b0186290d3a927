// `srv` is a host of `Office`, not of `HomeLab`: the error says so, and suggests no `use`
// (importing the other topology's host would only fail again).
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

topology! {
    pub Office {
        hosts {
            srv { arch: x86_64, address: "10.1.0.5" }
        }
        capabilities {
            K8sCluster => Kube { context: "office" },
        }
    }
}

score! {
    pub fn data() -> Plan<HomeLab> {
        db = Postgres { storage: "20Gi", place: srv };
    }
}

fn main() {}
