use harmony_runtime::prelude::*;

topology! {
    pub HomeLab {
        hosts {
            nuc { address: "192.168.1.10" }
        }
        capabilities {
            K8sCluster => Kube { context: "homelab" },
        }
    }
}

fn main() {}
