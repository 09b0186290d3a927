//! A plan built from a configuration: plain values wired in with `{ config.field }`, secrets as
//! references (Postgres' password, a local service's environment).
use harmony_runtime::prelude::*;

topology! {
    /// One cluster.
    pub Lab {
        hosts {
            nuc { arch: x86_64, address: "192.168.1.10", labels: [control_plane] }
        }
        capabilities {
            K8sCluster   => Kube { context: "lab" },
            LoadBalancer => MetalLb { pool: "192.168.1.200/29" },
        }
    }
}

/// The shop's settings.
#[derive(Debug, Clone, Config)]
pub struct ShopConfig {
    /// Volume size.
    #[config(default = "10Gi")]
    pub storage: Quantity,
    /// Replicas of the app.
    #[config(default = 2)]
    pub replicas: u16,
    /// The database password.
    #[config(key = "db-password")]
    pub db_password: SecretRef,
    /// An optional image override.
    pub image: Option<ImageRef>,
    /// How long to wait.
    #[config(default = "30s")]
    pub timeout: Duration,
    /// Negative numbers are literals too.
    #[config(default = -1)]
    pub offset: i32,
}

score! {
    pub fn shop(config: &ShopConfig) -> Plan<Lab> {
        db = Postgres { storage: { config.storage.clone() }, password: { config.db_password.clone() }, place: nuc };
        web = WebApp {
            image: { config.image.clone().unwrap_or_else(|| "registry.example.com/acme/web:1.0".parse().unwrap()) },
            replicas: { config.replicas },
            database: db.endpoint,
        };
    }
    pub fn local(config: ShopConfig) -> Plan<Localhost> {
        api = LocalService {
            command: ["api"],
            port: 8080,
            secret_env: { vec![("DB_PASSWORD".into(), config.db_password.clone())] },
        };
    }
}

fn main() {
    let _ = (shop, local);
}
