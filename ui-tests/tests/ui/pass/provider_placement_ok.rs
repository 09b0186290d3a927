//! Providers placed on hosts of the right kind, and every literal kind accepted.
#![deny(warnings)]
use harmony_runtime::prelude::*;

topology! {
    /// An office: identity, DNS, containers, a small fleet.
    pub Office {
        hosts {
            srv  { arch: x86_64,  address: "10.1.0.5", labels: [control_plane, public] }
            kiosk { arch: aarch64, address: "10.1.0.50" }
        }
        capabilities {
            K8sCluster       => Kube { context: "office" },
            DnsServer        => CoreDns { on: srv, zone: "office.example.com" },
            IdentityProvider => Keycloak { url: "https://sso.example.com/", realm: "office" },
            ContainerRuntime => Podman { on: srv },
            Fleet            => NatsFleet { url: "nats://10.1.0.5:4222", devices: [kiosk] },
            LoadBalancer     => MetalLb { pool: "fd00:1::/64" },
        }
    }
}

score! {
    pub fn office() -> Plan<Office> {
        wiki = WebApp { image: "ghcr.io/acme/wiki:2", port: 3000, dns: "wiki.office.example.com" };
        kiosk_ui = EdgeService { image: "localhost:5000/kiosk:latest", devices: [kiosk] };
    }
}

fn main() {
    assert_eq!(Office::declared().capabilities().names().len(), 6);
    assert_eq!(office().scores.len(), 2);
}
