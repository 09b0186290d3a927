use harmony_runtime::prelude::*;

topology! {
    pub HomeLab {
        hosts {
            nuc { arch: x86_64,  address: "192.168.1.300", labels: [control_plane] }
            pi1 { arch: aarch46, address: "192.168.1.21" }
        }
        capabilities {
            K8sCluster   => Kube { context: "homelab" },
            LoadBalancer => MetalLb { pool: "192.168.1.200/33" },
            DnsServer    => CoreDns { on: nux, zone: "home.arpa" },
        }
    }
}

fn main() {}
