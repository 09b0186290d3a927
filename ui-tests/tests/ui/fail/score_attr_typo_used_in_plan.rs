use harmony_runtime::prelude::*;

/// A message queue.
#[derive(Debug, Clone, Score)]
#[score(requires(K8sCluster))]
pub struct Queue {
    image: ImageRef,
    #[score(defualt = 3)]
    replicas: u16,
}

impl Operations for Queue {
    fn operations(&self, _ctx: &ScoreContext<'_>) -> Vec<Operation> {
        Vec::new()
    }
}

topology! {
    pub HomeLab {
        hosts {
            nuc { arch: x86_64, address: "192.168.1.10" }
        }
        capabilities {
            K8sCluster => Kube { context: "homelab" },
        }
    }
}

score! {
    pub fn msg() -> Plan<HomeLab> {
        q = Queue { image: "docker.io/library/nats:2.10", replicas: 3 };
    }
}

fn main() {}
