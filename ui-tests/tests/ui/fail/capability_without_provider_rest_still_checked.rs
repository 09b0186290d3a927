// A capability being typed, with no provider yet: reported on its own, and the rest of the
// topology still works (the score placed on it gets no error of its own).
use harmony_runtime::prelude::*;

topology! {
    pub HomeLab {
        hosts {
            nuc { arch: x86_64, address: "192.168.1.10" }
        }
        capabilities {
            K8sCluster => Kube { context: "homelab" },
            DnsServer
        }
    }
}

score! {
    pub fn data() -> Plan<HomeLab> {
        db = Postgres { storage: "10Gi", place: nuc };
    }
}

fn main() {}
