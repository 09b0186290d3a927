//! A fleet of ARM field devices with a gateway: no cluster at all.
#![deny(warnings)]
use harmony_runtime::prelude::*;

topology! {
    /// Cameras on a factory floor, coordinated through NATS on the gateway.
    pub Factory {
        hosts {
            gateway { arch: x86_64,  address: "10.20.0.1", labels: [edge] }
            cam1    { arch: aarch64, address: "10.20.0.11", labels: [sensors, edge] }
            cam2    { arch: aarch64, address: "10.20.0.12", labels: [sensors, edge] }
            cam3    { arch: aarch64, address: "fd00:20::13", labels: [sensors, edge] }
        }
        capabilities {
            Fleet            => NatsFleet { url: "nats://10.20.0.1:4222", devices: [cam1, cam2, cam3] },
            ContainerRuntime => Podman { on: gateway },
        }
    }
}

score! {
    /// Vision on every camera.
    pub fn vision() -> Plan<Factory> {
        detector = EdgeService {
            image: "registry.example.com/factory/detector:2.3.1",
            devices: [cam1, cam2, cam3],
            rollout: { rollout! {
                group: [cam3, cam1, cam2],
                canary: 1,
                waves: 2,
                max_unavailable: 1,
                failure_threshold: 1,
                healthy_for: "10s",
                timeout: "5m",
            } },
        };
        uploader = EdgeService {
            image: "registry.example.com/factory/uploader@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            devices: [cam1],
            after: detector,
            rollout: { rollout! { group: label(sensors), canary: 50%, waves: 1, max_unavailable: 0 } },
        };
    }
}

fn main() {
    let plan = vision();
    assert_eq!(plan.scores.len(), 2);
    assert_eq!(plan.score("uploader").unwrap().depends_on, ["detector"]);
    assert_eq!(Factory::declared().hosts().len(), 4);
    let rollout = &plan.score("detector").unwrap().spec["rollout"];
    assert_eq!(rollout["canary"]["devices"], 1);
    assert_eq!(rollout["group"]["devices"][0], "cam3");
    assert_eq!(rollout["healthy_for"], "10s");
    assert_eq!(plan.score("uploader").unwrap().spec["rollout"]["group"]["label"], "sensors");
}
