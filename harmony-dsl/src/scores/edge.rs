use std::collections::BTreeMap;

use crate::operation::Operation;
use crate::plan::Placement;
use crate::resource::{DeviceSpec, Workload, WorkloadRun};
use crate::rollout::RolloutPolicy;
use crate::score::{Operations, ScoreContext};
use crate::value::ImageRef;
use crate::{Score, capability::*};

/// A containerised service on field devices of a fleet, built for 64-bit ARM devices.
#[derive(Debug, Clone, Score)]
#[score(requires(Fleet), host(arch = aarch64))]
pub struct EdgeService {
    /// Container image (an arm64 build).
    pub image: ImageRef,
    /// Devices it runs on: devices of the topology's fleet.
    #[score(fleet_device)]
    pub devices: Vec<Placement>,
    /// How a new version reaches the devices: canary, waves, failure threshold; written with
    /// [`rollout!`](crate::rollout!) (`rollout: { rollout! { .. } }`). Without it, every device
    /// is written at once.
    pub rollout: Option<RolloutPolicy>,
}

impl Operations for EdgeService {
    fn operations(&self, ctx: &ScoreContext<'_>) -> Vec<Operation> {
        self.devices
            .iter()
            .map(|device| {
                Operation::new::<dyn Fleet>(DeviceSpec {
                    device: device.host().to_string(),
                    workloads: vec![Workload {
                        name: ctx.instance.to_string(),
                        run: WorkloadRun::Container {
                            image: self.image.clone(),
                        },
                        env: BTreeMap::new(),
                    }],
                })
            })
            .collect()
    }
}
