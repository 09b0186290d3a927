//! A highly available web shop: a Postgres database, the shop app wired to it, published in DNS.
//!
//! The wiring `database: db.endpoint` is typed (`Endpoint<Postgres>`): wiring the app to anything
//! else does not compile, and `db` is applied before `shop` because the shop depends on it.
#![deny(warnings)]

use harmony_runtime::prelude::*;

topology! {
    /// Two x86 servers and a storage box in an office rack.
    pub OfficeRack {
        hosts {
            srv1  { arch: x86_64, address: "10.0.0.11", labels: [control_plane] }
            srv2  { arch: x86_64, address: "10.0.0.12" }
            store { arch: x86_64, address: "10.0.0.20", labels: [storage] }
        }
        capabilities {
            K8sCluster   => Kube { context: "office" },
            DnsServer    => CoreDns { on: srv1, zone: "shop.example.com" },
            LoadBalancer => MetalLb { pool: "10.0.0.240/28" },
        }
    }
}

score! {
    /// The shop: database first, then three replicas of the app, then the storefront.
    pub fn shop() -> Plan<OfficeRack> {
        db = Postgres { version: 16, storage: "50Gi", place: store, namespace: "shop" };
        app = WebApp {
            image: "registry.example.com/acme/shop:2.3.0",
            replicas: 3,
            port: 8080,
            database: db.endpoint,
            dns: "www.shop.example.com",
            namespace: "shop",
        };
        storefront = WebApp {
            image: "registry.example.com/acme/storefront:1.0.4",
            replicas: 2,
            port: 8081,
            dns: "shop.example.com",
            namespace: "shop",
            after: [app],
        };
    }
}

fn main() -> std::process::ExitCode {
    harmony_runtime::cli(OfficeRack::from_env(), shop())
}
