// The fleet's devices are a set: a device listed twice is reported on the second.
use harmony_runtime::prelude::*;

topology! {
    pub EdgeFleet {
        hosts {
            pi1 { arch: aarch64, address: "10.0.0.21" }
            pi2 { arch: aarch64, address: "10.0.0.22" }
        }
        capabilities {
            Fleet => NatsFleet { url: "nats://10.0.0.1:4222", devices: [pi1, pi2, pi2] },
        }
    }
}

fn main() {}
