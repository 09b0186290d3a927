use harmony_runtime::prelude::*;

topology! {
    /// One host running Podman, no Kubernetes.
    pub Workstation {
        hosts {
            box1 { arch: x86_64, address: "10.0.0.5" }
        }
        capabilities {
            ContainerRuntime => Podman { on: box1 },
        }
    }
}

score! {
    pub fn dev() -> Plan<Workstation> {
        db = Postgres { storage: "5Gi" };
    }
}

fn main() {}
