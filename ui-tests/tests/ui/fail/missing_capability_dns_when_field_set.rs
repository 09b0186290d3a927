use harmony_runtime::prelude::*;

topology! {
    /// A cluster with a load balancer but no DNS server.
    pub HomeLab {
        hosts {
            nuc { arch: x86_64, address: "192.168.1.10" }
        }
        capabilities {
            K8sCluster   => Kube { context: "homelab" },
            LoadBalancer => MetalLb { pool: "192.168.1.200/29" },
        }
    }
}

score! {
    pub fn shop() -> Plan<HomeLab> {
        web = WebApp { image: "registry.example.com/acme/web:1.4.2", dns: "shop.home.arpa" };
    }
}

fn main() {}
