// A Rust keyword as a host name: written `r#type`.
use harmony_runtime::prelude::*;

topology! {
    pub HomeLab {
        hosts {
            type { arch: x86_64, address: "192.168.1.10" }
        }
        capabilities {
            K8sCluster => Kube { context: "homelab" },
        }
    }
}

fn main() {}
