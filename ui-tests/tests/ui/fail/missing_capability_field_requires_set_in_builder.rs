use harmony_runtime::prelude::*;

topology! {
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

/// Plain Rust, no `score!`: the builder checks the same rules.
pub fn shop() -> Plan<HomeLab> {
    let mut plan = Plan::<HomeLab>::new("shop");
    let web = WebApp::builder::<HomeLab>()
        .image("registry.example.com/acme/web:1.4.2".parse().unwrap())
        .dns("shop.home.arpa".parse().unwrap())
        .build();
    plan.add("web", web, &[]);
    plan
}

fn main() {}
