// A canary of 5 devices in a group of 4: there would be no device left to prove it on, and the
// count is most likely a typo. The error is on the `5`.
use harmony_runtime::prelude::*;

topology! {
    /// Cameras on a factory floor.
    pub Factory {
        hosts {
            gateway { arch: x86_64,  address: "10.20.0.1" }
            cam1    { arch: aarch64, address: "10.20.0.11" }
            cam2    { arch: aarch64, address: "10.20.0.12" }
            cam3    { arch: aarch64, address: "10.20.0.13" }
            cam4    { arch: aarch64, address: "10.20.0.14" }
        }
        capabilities {
            Fleet => NatsFleet { url: "nats://10.20.0.1:4222", devices: [cam1, cam2, cam3, cam4] },
        }
    }
}

score! {
    pub fn vision() -> Plan<Factory> {
        detector = EdgeService {
            image: "registry.example.com/factory/detector:2.4.0",
            devices: [cam1, cam2, cam3, cam4],
            rollout: { rollout! {
                group: [cam1, cam2, cam3, cam4],
                canary: 5,
                waves: 1,
                max_unavailable: 1,
            } },
        };
    }
}

fn main() {}
