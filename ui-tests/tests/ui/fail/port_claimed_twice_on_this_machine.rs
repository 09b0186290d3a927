// Two local services (processes on this machine, no host field) on the same port.
use harmony_runtime::prelude::*;

score! {
    pub fn local() -> Plan<Localhost> {
        api = LocalService { command: ["./api"], port: 8080 };
        web = LocalService { command: ["./web"], port: 8080 };
    }
}

fn main() {}
