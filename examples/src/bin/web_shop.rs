//! A highly available web shop: a Postgres database, the shop app wired to it, published in DNS.
//!
//! The wiring `database: db.endpoint` is typed (`Endpoint<Postgres>`): wiring the app to anything
//! else does not compile, and `db` is applied before `shop` because the shop depends on it.
//! Sizes and the database password come from configuration (`ShopConfig`); the password stays a
//! reference until apply.
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

/// What differs between installations of the shop: from `HARMONY_CONFIG_<KEY>`, `--config FILE`
/// (TOML) or the secret store at `VAULT_ADDR` (see the book's chapter on configuration).
#[derive(Debug, Config)]
pub struct ShopConfig {
    /// Replicas of the shop app.
    #[config(default = 3)]
    pub app_replicas: u16,
    /// Size of the database volume.
    #[config(default = "50Gi")]
    pub db_storage: Quantity,
    /// The database password (`HARMONY_CONFIG_DB_PASSWORD`, key `db_password` of the config
    /// file, or field `db_password` of the store's secret `secret/data/web_shop`).
    pub db_password: SecretRef,
}

score! {
    /// The shop: database first, then the app's replicas, then the storefront.
    pub fn shop(config: &ShopConfig) -> Plan<OfficeRack> {
        db = Postgres {
            version: 16,
            storage: { config.db_storage.clone() },
            password: { config.db_password.clone() },
            place: store,
            namespace: "shop",
        };
        app = WebApp {
            image: "registry.example.com/acme/shop:2.3.0",
            replicas: { config.app_replicas },
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
    harmony_runtime::cli_with_config(OfficeRack::from_env(), shop)
}
