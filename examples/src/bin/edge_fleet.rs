//! An edge fleet: Raspberry Pis in field sites, coordinated over NATS JetStream.
//!
//! `cargo run -p harmony-examples --bin edge_fleet -- render out/` writes each device's desired state.
#![deny(warnings)]

use harmony_runtime::prelude::*;

topology! {
    /// Three greenhouse sensor gateways.
    pub Greenhouses {
        hosts {
            north { arch: aarch64, address: "10.20.0.11", labels: [edge, sensors] }
            south { arch: aarch64, address: "10.20.0.12", labels: [edge, sensors] }
            east  { arch: aarch64, address: "10.20.0.13", labels: [edge] }
        }
        capabilities {
            Fleet => NatsFleet { url: "nats://nats.greenhouse.example:4222", devices: [north, south, east] },
        }
    }
}

score! {
    /// Sensor collection on the gateways that have sensors, the updater everywhere.
    pub fn greenhouses() -> Plan<Greenhouses> {
        sensors = EdgeService {
            image: "registry.example.com/greenhouse/sensor-agent:0.7.1",
            devices: [north, south],
        };
        updater = EdgeService {
            image: "registry.example.com/greenhouse/updater:1.2",
            devices: [north, south, east],
            after: [sensors],
        };
    }
}

fn main() -> std::process::ExitCode {
    harmony_runtime::cli(Greenhouses::from_env(), greenhouses())
}
