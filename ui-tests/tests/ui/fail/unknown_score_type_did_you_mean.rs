// A score type that does not exist is one error, on its name, with the close match.
use harmony_runtime::prelude::*;

topology! {
    /// Home lab: one x86 box running k3s, two Raspberry Pis in the field.
    pub HomeLab {
        hosts {
            nuc { arch: x86_64,  address: "192.168.1.10", labels: [control_plane, gpu] }
            pi1 { arch: aarch64, address: "192.168.1.21" }
            pi2 { arch: aarch64, address: "192.168.1.22" }
        }
        capabilities {
            K8sCluster   => Kube { context: "homelab" },
            DnsServer    => CoreDns { on: nuc, zone: "home.arpa" },
            LoadBalancer => MetalLb { pool: "192.168.1.200/29" },
            Fleet        => NatsFleet { url: "nats://127.0.0.1:4222", devices: [pi1, pi2] },
        }
    }
}

score! {
    pub fn shop() -> Plan<HomeLab> {
        db = Postgress { storage: "10Gi", place: nuc };
    }
}

fn main() {}
