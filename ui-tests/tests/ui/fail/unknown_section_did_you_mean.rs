use harmony_runtime::prelude::*;

topology! {
    pub HomeLab {
        hosts {
            nuc { arch: x86_64, address: "192.168.1.10", adress: "192.168.1.11" }
        }
        capabilites {
            K8sCluster => Kube { context: "homelab" },
        }
    }
}

fn main() {}
