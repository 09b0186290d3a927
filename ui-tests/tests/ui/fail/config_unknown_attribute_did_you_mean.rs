use harmony_runtime::prelude::*;

/// The shop's settings.
#[derive(Config)]
pub struct ShopConfig {
    #[config(defualt = 3)]
    replicas: u16,
    #[config(name = "db-password")]
    db_password: SecretRef,
}

fn main() {}
