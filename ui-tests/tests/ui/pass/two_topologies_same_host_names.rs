//! Two topologies in one file, both with a host called `node`: each plan uses its own.
#![deny(warnings)]
use harmony_runtime::prelude::*;

topology! {
    pub Staging {
        hosts {
            node { arch: x86_64, address: "10.1.0.10" }
        }
        capabilities {
            K8sCluster => Kube { context: "staging" },
        }
    }
}

topology! {
    pub Production {
        hosts {
            node { arch: x86_64, address: "10.2.0.10", labels: [storage] }
        }
        capabilities {
            K8sCluster => Kube { context: "production" },
        }
    }
}

score! {
    pub fn staging_db() -> Plan<Staging> {
        db = Postgres { storage: "5Gi", place: node };
    }

    pub fn production_db() -> Plan<Production> {
        db = Postgres { storage: "100Gi", place: node };
    }
}

fn main() {
    assert_eq!(staging_db().topology, "Staging");
    assert_eq!(production_db().topology, "Production");
}
