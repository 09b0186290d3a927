//! `Decentralized<Shop>` offers exactly what each `Shop` site offers: a shop has no
//! `K8sCluster`, so the sites have none either, and the error names `Shop`, where it is missing.
use harmony_runtime::prelude::*;

topology! {
    /// A shop: a few devices over NATS, no cluster.
    pub Shop {
        hosts { till { arch: aarch64, address: "10.1.0.2" } }
        capabilities { Fleet => NatsFleet { url: "nats://10.1.0.1:4222", devices: [till] } }
    }
}

score! {
    /// The web shop on every site.
    pub fn everywhere() -> Plan<Decentralized<Shop>> {
        web = WebApp { image: "registry.example.com/acme/web:1.4.2" };
    }
}

fn main() {}
