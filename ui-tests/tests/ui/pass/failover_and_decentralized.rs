//! Higher-order topologies: a score that needs `Fleet` places onto `Failover<Site>` and
//! `Decentralized<Site>` because `Site` provides `Fleet`; hosts are the inner topology's.
#![deny(warnings)]

use harmony_runtime::prelude::*;

topology! {
    /// One field site with a gateway.
    pub Site {
        hosts { gw { arch: aarch64, address: "10.0.0.1" } }
        capabilities {
            Fleet => NatsFleet { url: "nats://10.0.0.1:4222", devices: [gw] },
        }
    }
}

score! {
    /// Sensors on every site.
    pub fn everywhere() -> Plan<Decentralized<Site>> {
        sensors = EdgeService { image: "registry.example.com/acme/sensor:1.0", devices: [gw] };
    }

    /// Sensors on a primary and a replica.
    pub fn paired() -> Plan<Failover<Site>> {
        sensors = EdgeService { image: "registry.example.com/acme/sensor:1.0", devices: [gw] };
    }
}

fn main() {
    let sites = Decentralized::new(vec![Site::declared(), Site::declared()]);
    let pair = Failover::new(Site::declared(), Site::declared());
    assert_eq!(sites.hosts().len(), 2);
    assert_eq!(pair.hosts().len(), 2);
    assert_eq!(everywhere().steps.len(), 1);
    assert_eq!(paired().steps.len(), 1);
}
