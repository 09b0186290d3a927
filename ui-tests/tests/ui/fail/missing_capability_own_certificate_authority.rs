use harmony_example_ca::TlsCertificate;
use harmony_runtime::prelude::*;

topology! {
    /// A cluster with DNS and a load balancer, but no certificate authority.
    pub Office {
        hosts {
            srv1 { arch: x86_64, address: "10.0.0.11", labels: [control_plane] }
        }
        capabilities {
            K8sCluster   => Kube { context: "office" },
            DnsServer    => CoreDns { on: srv1, zone: "example.test" },
            LoadBalancer => MetalLb { pool: "10.0.0.240/28" },
        }
    }
}

score! {
    pub fn shop() -> Plan<Office> {
        web = WebApp { image: "registry.example.test/shop:1.0.0", dns: "shop.example.test" };
        cert = TlsCertificate { site: web.url };
    }
}

fn main() {}
