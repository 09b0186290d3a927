// A NATS server written with `http://`: NATS URLs are `nats://` or `tls://`.
use harmony_runtime::prelude::*;

topology! {
    pub EdgeFleet {
        hosts {
            cam { arch: aarch64, address: "10.0.0.21" }
        }
        capabilities {
            Fleet => NatsFleet { url: "http://10.0.0.1:4222", devices: [cam] },
        }
    }
}

fn main() {}
