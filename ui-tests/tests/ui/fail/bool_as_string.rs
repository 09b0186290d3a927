// A boolean written as a string.
use harmony_runtime::prelude::*;

topology! {
    pub HomeLab {
        hosts {
            nuc { arch: x86_64,  address: "192.168.1.10", labels: [control_plane, gpu] }
            pi1 { arch: aarch64, address: "192.168.1.21" }
            pi2 { arch: aarch64, address: "192.168.1.22" }
        }
        capabilities {
            K8sCluster   => Kube { context: "homelab" },
            LoadBalancer => MetalLb { pool: "192.168.1.200/29" },
            Fleet        => NatsFleet { url: "nats://127.0.0.1:4222", devices: [pi1, pi2] },
            HelmCommand  => HelmCli {},
        }
    }
}

score! {
    pub fn lab() -> Plan<HomeLab> {
        chart = HelmChart { chart: "oci://registry.example.com/charts/app", check_schema: "false" };
    }
}

fn main() {}
