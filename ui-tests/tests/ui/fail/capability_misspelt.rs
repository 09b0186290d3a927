// A misspelt capability in a topology: the help names the capability, and applying it compiles.
use harmony_runtime::prelude::*;

topology! {
    pub HomeLab {
        hosts {
            nuc { arch: x86_64, address: "192.168.1.10" }
        }
        capabilities {
            K8sClustr => Kube { context: "homelab" },
        }
    }
}

fn main() {}
