use harmony_runtime::prelude::*;

/// Defaults are checked like literals in a plan; secrets have none.
#[derive(Config)]
pub struct ShopConfig {
    #[config(default = "10 seconds")]
    timeout: Duration,
    #[config(default = 70000)]
    port: Port,
    #[config(default = "hunter2")]
    db_password: SecretRef,
    #[config(default = { 1 + 2 })]
    replicas: u16,
}

fn main() {}
