// A Helm chart needs a `helm` to inflate it (`HelmCommand`) as well as the cluster its objects
// go to: a topology with only `K8sCluster` cannot take one.
use harmony_runtime::prelude::*;

topology! {
    /// A cluster, but no `helm`.
    pub Rack {
        hosts {
            srv1 { arch: x86_64, address: "10.0.0.11" }
        }
        capabilities {
            K8sCluster => Kube { context: "rack" },
        }
    }
}

score! {
    pub fn shop() -> Plan<Rack> {
        web = HelmChart { chart: "charts/web", namespace: "shop" };
    }
}

fn main() {}
