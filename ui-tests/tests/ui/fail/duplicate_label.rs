// A host's labels are a set: the same label twice is reported.
use harmony_runtime::prelude::*;

topology! {
    pub HomeLab {
        hosts {
            nuc { arch: x86_64, address: "192.168.1.10", labels: [gpu, control_plane, gpu] }
        }
        capabilities {
            K8sCluster => Kube { context: "homelab" },
        }
    }
}

fn main() {}
