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

#[derive(Debug, Clone, Score)]
#[score(requires(K8sCluster))]
pub struct Redis {
    image: ImageRef,
    memory: Quantity,
    #[score(default = 6379)]
    port: Port,
}

impl Operations for Redis {
    fn operations(&self, _ctx: &ScoreContext<'_>) -> Vec<Operation> {
        Vec::new()
    }
}

score! {
    pub fn cache() -> Plan<HomeLab> {
        cache = Redis { port: 6380 };
    }
}

fn main() {}
