// Devices written as DNS names, in quotes: the help rewrites the list with the hosts' names.
use harmony_runtime::prelude::*;

topology! {
    pub HomeLab {
        hosts {
            pi1 { arch: aarch64, address: "192.168.1.21" }
            pi2 { arch: aarch64, address: "192.168.1.22" }
        }
        capabilities {
            K8sCluster => Kube { context: "homelab" },
            Fleet      => NatsFleet { url: "nats://127.0.0.1:4222", devices: [pi1, pi2] },
        }
    }
}

score! {
    pub fn lab() -> Plan<HomeLab> {
        sensors = EdgeService { image: "registry.example.com/acme/sensor:1.0", devices: ["pi1.lan", "pi2.lan"] };
    }
}

fn main() {}
