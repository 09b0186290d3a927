use harmony_runtime::prelude::*;

/// Model inference: needs a GPU host.
#[derive(Debug, Clone, Score)]
#[score(requires(K8sCluster), host(labels(gpu)))]
pub struct Inference {
    image: ImageRef,
    on: Placement,
}

impl Operations for Inference {
    fn operations(&self, _ctx: &ScoreContext<'_>) -> Vec<Operation> {
        Vec::new()
    }
}

topology! {
    pub HomeLab {
        hosts {
            nuc { arch: x86_64, address: "192.168.1.10", labels: [control_plane, gpu] }
            nas { arch: x86_64, address: "192.168.1.30", labels: [storage] }
        }
        capabilities {
            K8sCluster => Kube { context: "homelab" },
        }
    }
}

score! {
    pub fn ml() -> Plan<HomeLab> {
        llm = Inference { image: "registry.example.com/acme/llm:0.9", on: nas };
    }
}

fn main() {}
