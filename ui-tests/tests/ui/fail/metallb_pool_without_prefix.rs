// A load balancer pool written as one address, not a network.
use harmony_runtime::prelude::*;

topology! {
    pub HomeLab {
        hosts {
            nuc { arch: x86_64, address: "192.168.1.10" }
        }
        capabilities {
            K8sCluster   => Kube { context: "homelab" },
            LoadBalancer => MetalLb { pool: "192.168.1.200" },
        }
    }
}

fn main() {}
