//! A failover pair on this machine: two directories, `pair/primary` and `pair/replica`, each a
//! `Localhost`, get the same configuration. No cluster needed.
//!
//! ```text
//! cargo run -p harmony-examples --bin failover_pair -- plan     # what would change, per side
//! cargo run -p harmony-examples --bin failover_pair -- apply    # writes to both sides
//! cargo run -p harmony-examples --bin failover_pair -- status
//! ```
#![deny(warnings)]

use harmony_runtime::prelude::*;

// ANCHOR: plan
score! {
    /// An application's configuration, on both sides of the pair.
    pub fn paired() -> Plan<Failover<Localhost>> {
        conf = Directory { path: "conf" };
        app = ConfigFile { path: "conf/app.toml", content: "listen = 8080\n", after: [conf] };
    }
}

/// The primary and the replica: two project directories under `pair/`.
fn pair() -> Result<Failover<Localhost>, Error> {
    Ok(Failover::new(
        Localhost::new("pair/primary")?,
        Localhost::new("pair/replica")?,
    ))
}
// ANCHOR_END: plan

fn main() -> std::process::ExitCode {
    harmony_runtime::cli(pair(), paired())
}
