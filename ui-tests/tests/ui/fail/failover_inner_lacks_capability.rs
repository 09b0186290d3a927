//! `Failover<Lab>` offers exactly what `Lab` offers: `Lab` has no `Fleet`, so neither does the
//! pair, and the error names the inner topology.
use harmony_runtime::prelude::*;

topology! {
    /// A single cluster, no fleet.
    pub Lab {
        hosts { pi { arch: aarch64, address: "10.0.0.2" } }
        capabilities { K8sCluster => Kube { context: "lab" } }
    }
}

score! {
    /// Sensors on a failover pair of labs.
    pub fn paired() -> Plan<Failover<Lab>> {
        sensors = EdgeService { image: "registry.example.com/acme/sensor:1.0", devices: [pi] };
    }
}

fn main() {}
