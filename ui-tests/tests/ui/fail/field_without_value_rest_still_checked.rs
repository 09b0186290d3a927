// A line being typed (a field without its value) is reported alone: the rest of the plan still expands, so its own errors appear too, and an editor keeps completing and hovering around it.
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
        // Half-typed: `sto` has no value yet. The line is reported, and the rest of the plan
        // still expands and is checked (the misspelt field below, the unknown host).
        db = Postgres { version: 16, sto };
        web = WebApp { image: "registry.example.com/acme/web:1.4.2", replica: 3 };
        cache = Postgres { place: nux };
    }
}

fn main() {}
