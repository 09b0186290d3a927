use harmony_runtime::prelude::*;

topology! {
    /// An edge site: a device fleet, no cluster.
    pub EdgeSite {
        hosts {
            cam1 { arch: aarch64, address: "10.0.0.21" }
        }
        capabilities {
            Fleet => NatsFleet { url: "nats://10.0.0.1:4222", devices: [cam1] },
        }
    }
}

score! {
    pub fn site() -> Plan<EdgeSite> {
        web = WebApp { image: "registry.example.com/acme/web:1.4.2" };
    }
}

fn main() {}
