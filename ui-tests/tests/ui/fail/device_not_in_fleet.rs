// `pi3` is a host of the topology, and an aarch64 one, but not one of the fleet's devices:
// an edge service can only run on devices of the fleet.
use harmony_runtime::prelude::*;

topology! {
    pub HomeLab {
        hosts {
            nuc { arch: x86_64,  address: "192.168.1.10", labels: [control_plane, gpu] }
            pi1 { arch: aarch64, address: "192.168.1.21" }
            pi2 { arch: aarch64, address: "192.168.1.22" }
            pi3 { arch: aarch64, address: "192.168.1.23" }
        }
        capabilities {
            K8sCluster   => Kube { context: "homelab" },
            LoadBalancer => MetalLb { pool: "192.168.1.200/29" },
            Fleet        => NatsFleet { url: "nats://127.0.0.1:4222", devices: [pi1, pi2] },
        }
    }
}

score! {
    pub fn sensors() -> Plan<HomeLab> {
        cam = EdgeService { image: "registry.example.com/acme/sensor:0.3", devices: [pi1, pi3] };
    }
}

fn main() {}
