use harmony_runtime::prelude::*;

/// Two fields read the same key; and a key no environment variable can spell.
#[derive(Config)]
pub struct ShopConfig {
    db_password: SecretRef,
    #[config(key = "db_password")]
    admin_password: SecretRef,
    #[config(key = "log level")]
    log_level: Option<String>,
}

fn main() {}
