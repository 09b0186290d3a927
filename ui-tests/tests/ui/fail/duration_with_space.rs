// A duration with a space before its unit.
use harmony_runtime::prelude::*;

score! {
    pub fn api() -> Plan<Localhost> {
        api = LocalService { command: ["api"], port: 8080, health_timeout: "10 s" };
    }
}

fn main() {}
