//! A home lab: one x86 box running k3s with CoreDNS and MetalLB, serving a small site.
//!
//! `cargo run -p harmony-examples --bin homelab -- plan` prints the interpret plan;
//! `cargo run -p harmony-examples --bin homelab -- render out/` writes every manifest, no cluster needed.
#![deny(warnings)]

use harmony_runtime::prelude::*;

topology! {
    /// One NUC running k3s with the cluster's DNS and load balancer.
    pub HomeLab {
        hosts {
            nuc { arch: x86_64, address: "192.168.1.10", labels: [control_plane, storage] }
        }
        capabilities {
            K8sCluster   => Kube { context: "homelab" },
            DnsServer    => CoreDns { on: nuc, zone: "home.arpa" },
            LoadBalancer => MetalLb { pool: "192.168.1.200/29" },
        }
    }
}

score! {
    /// A wiki and a photo gallery, each published under home.arpa.
    pub fn lab() -> Plan<HomeLab> {
        wiki = WebApp {
            image: "ghcr.io/requarks/wiki:2.5",
            port: 3000,
            dns: "wiki.home.arpa",
            namespace: "apps",
        };
        photos = WebApp {
            image: "ghcr.io/photoprism/photoprism:240915",
            port: 2342,
            dns: "photos.home.arpa",
            namespace: "apps",
        };
    }
}

fn main() -> std::process::ExitCode {
    harmony_runtime::cli(HomeLab::from_env(), lab())
}
