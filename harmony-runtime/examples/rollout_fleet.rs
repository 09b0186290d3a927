//! A fleet score with a staged rollout, driven through the command line by the fleet tests
//! (`fleet-tests/tests/fleet/rollout_cli.rs`): five devices get the image of configuration key
//! `image` (`HARMONY_CONFIG_IMAGE`), a canary first, then two waves of two; two failed devices
//! halt it. The fleet's server is `HARMONY_CAMERAS_FLEET_URL`.

use harmony_runtime::prelude::*;

topology! {
    /// Five cameras coordinated through one NATS server.
    pub Cameras {
        hosts {
            cam1 { arch: aarch64, address: "10.20.0.11", labels: [edge] }
            cam2 { arch: aarch64, address: "10.20.0.12", labels: [edge] }
            cam3 { arch: aarch64, address: "10.20.0.13", labels: [edge] }
            cam4 { arch: aarch64, address: "10.20.0.14", labels: [edge] }
            cam5 { arch: aarch64, address: "10.20.0.15", labels: [edge] }
        }
        capabilities {
            Fleet => NatsFleet { url: "nats://127.0.0.1:4222", devices: [cam1, cam2, cam3, cam4, cam5] },
        }
    }
}

/// What is rolled out.
#[derive(Debug, Config)]
pub struct CamerasConfig {
    /// The image every camera runs.
    pub image: ImageRef,
}

score! {
    /// Vision on every camera, rolled out canary first.
    pub fn cameras(config: &CamerasConfig) -> Plan<Cameras> {
        vision = EdgeService {
            image: { config.image.clone() },
            devices: [cam1, cam2, cam3, cam4, cam5],
            rollout: { rollout! {
                group: [cam1, cam2, cam3, cam4, cam5],
                canary: 1,
                waves: 2,
                max_unavailable: 2,
                failure_threshold: 2,
                healthy_for: "1s",
                timeout: "30s",
            } },
        };
    }
}

fn main() -> std::process::ExitCode {
    harmony_runtime::cli_with_config(Cameras::from_env(), cameras)
}
