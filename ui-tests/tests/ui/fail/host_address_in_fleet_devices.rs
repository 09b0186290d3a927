// Fleet devices written by address and as a quoted name: the help names the hosts.
use harmony_runtime::prelude::*;

topology! {
    pub HomeLab {
        hosts {
            gw  { arch: x86_64,  address: "192.168.1.1" }
            pi1 { arch: aarch64, address: "192.168.1.21" }
            pi2 { arch: aarch64, address: "192.168.1.22" }
        }
        capabilities {
            Fleet => NatsFleet { url: "nats://192.168.1.1:4222", devices: ["192.168.1.21", "pi2"] },
        }
    }
}

fn main() {}
