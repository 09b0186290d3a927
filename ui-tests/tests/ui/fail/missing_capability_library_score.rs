use harmony_runtime::prelude::*;

/// An OIDC-protected dashboard: needs a cluster and an identity provider.
#[derive(Debug, Clone, Score)]
#[score(requires(K8sCluster, IdentityProvider))]
pub struct Dashboard {
    image: ImageRef,
    #[score(default = "dashboard")]
    client_id: String,
}

impl Operations for Dashboard {
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
    pub fn ops() -> Plan<HomeLab> {
        dash = Dashboard { image: "registry.example.com/acme/dashboard:2.1" };
    }
}

fn main() {}
