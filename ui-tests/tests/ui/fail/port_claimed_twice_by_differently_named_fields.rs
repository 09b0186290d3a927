// A port is a port whatever its field is called: `listen` and `port` are both ports here.
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
    listen: Port,
    on: Placement,
}

/// A proxy running on one host.
#[derive(Debug, Clone, Score)]
#[score(requires(K8sCluster))]
pub struct Proxy {
    image: ImageRef,
    port: Port,
    on: Placement,
}

impl Operations for Exporter {
    fn operations(&self, _ctx: &ScoreContext<'_>) -> Vec<Operation> {
        Vec::new()
    }
}

impl Operations for Proxy {
    fn operations(&self, _ctx: &ScoreContext<'_>) -> Vec<Operation> {
        Vec::new()
    }
}

score! {
    pub fn edge() -> Plan<HomeLab> {
        metrics = Exporter { image: "quay.io/prometheus/node-exporter:v1.8.1", listen: 9100, on: nuc };
        proxy   = Proxy { image: "docker.io/library/nginx:1.27", port: 9100, on: nuc };
    }
}

fn main() {}
