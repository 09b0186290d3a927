use harmony_runtime::prelude::*;

topology! {
    pub EdgeFleet {
        hosts {
            gw  { arch: x86_64,  address: "10.0.0.1" }
            cam { arch: aarch64, address: "10.0.0.21" }
        }
        capabilities {
            Fleet => NatsFleet { url: "nats//10.0.0.1:4222", devices: [cam] },
        }
    }
}

fn main() {}
