//! Odd input gets a spanned error, never a macro panic.
use harmony_runtime::prelude::*;

topology! {}

topology! {
    pub {}
}

topology! {
    pub Empty {
        hosts { nuc }
    }
}

topology! {
    pub Odd {
        hosts {
            nuc { arch: "x86_64", address: 192, labels: gpu }
        }
        capabilities {
            K8sCluster => Kube { context: lab.endpoint },
        }
    }
}

score! {
    fn () -> Plan<Odd> {}
}

score! {
    fn weird() -> Plan<Odd> {
        a = ;
    }
}

/// Outputs without a type.
#[derive(Debug, Clone, Score)]
#[score(outputs(url), host(arch = "aarch64"))]
pub struct Broken {
    image: ImageRef,
}

impl Operations for Broken {
    fn operations(&self, _ctx: &ScoreContext<'_>) -> Vec<Operation> {
        Vec::new()
    }
}

fn main() {}
