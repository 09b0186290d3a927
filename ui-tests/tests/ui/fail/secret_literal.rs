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

use harmony_dsl::value::Secret;

/// A managed database user.
#[derive(Debug, Clone, Score)]
#[score(requires(K8sCluster))]
pub struct DbUser {
    name: String,
    password: Secret<String>,
}

impl Operations for DbUser {
    fn operations(&self, _ctx: &ScoreContext<'_>) -> Vec<Operation> {
        Vec::new()
    }
}

score! {
    pub fn users() -> Plan<HomeLab> {
        app = DbUser { name: "shop", password: "hunter2" };
    }
}

fn main() {}
