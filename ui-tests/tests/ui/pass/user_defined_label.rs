//! A label of your own: a unit struct implementing `Label`, used by a topology and a score.
#![deny(warnings)]
use harmony_runtime::prelude::*;

/// Site-specific labels.
pub mod labels {
    /// The host is on a UPS.
    #[allow(non_camel_case_types)]
    pub struct ups;
    impl harmony_dsl::topology::label::Label for ups {
        const NAME: &'static str = "ups";
    }
}

/// The alarm panel must survive power cuts.
#[derive(Debug, Clone, Score)]
#[score(requires(Fleet), host(arch = aarch64, labels(crate::labels::ups, sensors)))]
pub struct AlarmPanel {
    image: ImageRef,
    devices: Vec<Placement>,
}

impl Operations for AlarmPanel {
    fn operations(&self, _ctx: &ScoreContext<'_>) -> Vec<Operation> {
        Vec::new()
    }
}

topology! {
    pub House {
        hosts {
            hall   { arch: aarch64, address: "192.168.2.21", labels: [sensors, crate::labels::ups] }
            garage { arch: aarch64, address: "192.168.2.22", labels: [sensors] }
        }
        capabilities {
            Fleet => NatsFleet { url: "nats://192.168.2.1:4222", devices: [hall, garage] },
        }
    }
}

score! {
    pub fn alarm() -> Plan<House> {
        panel = AlarmPanel { image: "registry.example.com/house/alarm:1.0.3", devices: [hall] };
    }
}

fn main() {
    let house = House::declared();
    let hall = &house.hosts()[0];
    assert_eq!(hall.labels, ["sensors", "ups"]);
    assert_eq!(alarm().scores.len(), 1);
}
