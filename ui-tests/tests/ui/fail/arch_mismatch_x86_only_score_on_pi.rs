use harmony_runtime::prelude::*;

/// A legacy service whose image exists only for x86_64.
#[derive(Debug, Clone, Score)]
#[score(requires(K8sCluster), host(arch = x86_64))]
pub struct LegacyErp {
    image: ImageRef,
    on: Placement,
}

impl Operations for LegacyErp {
    fn operations(&self, _ctx: &ScoreContext<'_>) -> Vec<Operation> {
        Vec::new()
    }
}

topology! {
    pub HomeLab {
        hosts {
            nuc { arch: x86_64,  address: "192.168.1.10" }
            pi1 { arch: aarch64, address: "192.168.1.21" }
        }
        capabilities {
            K8sCluster => Kube { context: "homelab" },
        }
    }
}

score! {
    pub fn erp() -> Plan<HomeLab> {
        erp = LegacyErp { image: "registry.example.com/acme/erp:7.2", on: pi1 };
    }
}

fn main() {}
