use harmony_runtime::prelude::*;

topology! {
    /// A single box: k3s and nothing else.
    pub HomeLab {
        hosts {
            nuc { arch: x86_64,  address: "192.168.1.10", labels: [control_plane] }
            pi1 { arch: aarch64, address: "192.168.1.21" }
        }
        capabilities {
            K8sCluster => Kube { context: "homelab" },
        }
    }
}

score! {
    pub fn sensors() -> Plan<HomeLab> {
        sensors = EdgeService { image: "registry.example.com/acme/sensor:0.3", devices: [pi1] };
    }
}

fn main() {}
