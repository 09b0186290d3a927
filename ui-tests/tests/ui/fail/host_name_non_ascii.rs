// Host names follow Harmony's identifier rules: ASCII letters, digits and `_`.
use harmony_runtime::prelude::*;

topology! {
    pub HomeLab {
        hosts {
            nüc { arch: x86_64, address: "192.168.1.10" }
        }
        capabilities {
            K8sCluster => Kube { context: "homelab" },
        }
    }
}

fn main() {}
