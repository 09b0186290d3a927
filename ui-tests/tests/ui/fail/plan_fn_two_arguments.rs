use harmony_runtime::prelude::*;

#[derive(Config)]
pub struct ShopConfig {
    replicas: u16,
}

score! {
    pub fn shop(config: &ShopConfig, replicas: u16) -> Plan<Localhost> {
        web = LocalService { command: ["web"], port: 8080, env: [{ format!("R={}", config.replicas) }] };
    }
}

fn main() {
    let _ = shop;
}
