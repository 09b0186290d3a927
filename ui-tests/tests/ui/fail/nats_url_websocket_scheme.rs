// A NATS WebSocket URL: Harmony's NATS client does not speak WebSocket.
use harmony_runtime::prelude::*;

topology! {
    pub EdgeFleet {
        hosts {
            cam { arch: aarch64, address: "10.0.0.21" }
        }
        capabilities {
            Fleet => NatsFleet { url: "wss://nats.example.com:443", devices: [cam] },
        }
    }
}

fn main() {}
