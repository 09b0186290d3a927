//! An HA web shop: several databases and apps wired by typed outputs.
#![deny(warnings)]
use harmony_runtime::prelude::*;

topology! {
    /// Three x86 nodes behind MetalLB, CoreDNS on the control plane.
    pub Shop {
        hosts {
            cp1    { arch: x86_64, address: "10.0.1.10", labels: [control_plane] }
            node1  { arch: x86_64, address: "10.0.1.11", labels: [storage] }
            node2  { arch: x86_64, address: "10.0.1.12", labels: [storage] }
        }
        capabilities {
            K8sCluster   => Kube { context: "shop-prod" },
            DnsServer    => CoreDns { on: cp1, zone: "shop.example.com" },
            LoadBalancer => MetalLb { pool: "10.0.1.64/26" },
        }
    }
}

score! {
    /// Orders and catalog, each with its own database.
    pub fn production() -> Plan<Shop> {
        orders_db  = Postgres { version: 16, storage: "50Gi", place: node1, namespace: "orders" };
        catalog_db = Postgres { version: 15, storage: "20Gi", place: node2, namespace: "catalog" };
        orders = WebApp {
            image: "registry.example.com/shop/orders:3.1.0",
            replicas: 3,
            port: 8080,
            database: orders_db.endpoint,
            dns: "orders.shop.example.com",
            namespace: "orders",
        };
        catalog = WebApp {
            image: "registry.example.com/shop/catalog:1.9.4",
            replicas: 2,
            port: "8081",
            database: catalog_db.endpoint,
            dns: "catalog.shop.example.com",
        };
        front = WebApp {
            image: "registry.example.com/shop/front:5.0.0",
            replicas: 4,
            dns: "www.shop.example.com",
            after: [orders, catalog],
        };
    }
}

fn main() {
    let plan = production();
    assert_eq!(plan.scores.len(), 5);
    assert_eq!(plan.score("orders").unwrap().depends_on, ["orders_db"]);
    assert_eq!(plan.score("front").unwrap().depends_on, ["orders", "catalog"]);
}
