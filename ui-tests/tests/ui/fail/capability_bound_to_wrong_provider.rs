use harmony_runtime::prelude::*;

topology! {
    pub HomeLab {
        hosts {
            nuc { arch: x86_64, address: "192.168.1.10", labels: [control_plane] }
        }
        capabilities {
            K8sCluster => Kube { context: "homelab" },
            DnsServer  => MetalLb { pool: "192.168.1.200/29" },
        }
    }
}

fn main() {}
