// A host's address written as a domain name.
use harmony_runtime::prelude::*;

topology! {
    pub HomeLab {
        hosts {
            nuc { arch: x86_64, address: "nuc.local" }
        }
        capabilities {
            K8sCluster => Kube { context: "homelab" },
        }
    }
}

fn main() {}
