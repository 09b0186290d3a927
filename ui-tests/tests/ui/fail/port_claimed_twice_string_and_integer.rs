// The same port, once as `9100` and once as `"9100"`, on the same host: still a clash.
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

/// A metrics exporter running on one host.
#[derive(Debug, Clone, Score)]
#[score(requires(K8sCluster))]
pub struct Exporter {
    image: ImageRef,
    port: Port,
    on: Placement,
}

impl Operations for Exporter {
    fn operations(&self, _ctx: &ScoreContext<'_>) -> Vec<Operation> {
        Vec::new()
    }
}

score! {
    pub fn monitoring() -> Plan<HomeLab> {
        node = Exporter { image: "quay.io/prometheus/node-exporter:v1.8.1", port: 9100, on: nuc };
        gpu  = Exporter { image: "nvcr.io/nvidia/dcgm-exporter:3.3.5", port: "9100", on: nuc };
    }
}

fn main() {}
