//! Three sites on this machine: the directories `sites/0`, `sites/1` and `sites/2`, each a
//! `Localhost`, get the same configuration. No cluster needed.
//!
//! ```text
//! cargo run -p harmony-examples --bin three_sites -- plan
//! cargo run -p harmony-examples --bin three_sites -- apply
//! ```
#![deny(warnings)]

use harmony_runtime::prelude::*;

// ANCHOR: plan
score! {
    /// An application's configuration, on every site.
    pub fn everywhere() -> Plan<Decentralized<Localhost>> {
        app = ConfigFile { path: "app.toml", content: "listen = 8080\n" };
    }
}

/// Three sites: three project directories under `sites/`.
fn sites() -> Result<Decentralized<Localhost>, Error> {
    let sites = ["sites/0", "sites/1", "sites/2"]
        .into_iter()
        .map(Localhost::new)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Decentralized::new(sites))
}
// ANCHOR_END: plan

fn main() -> std::process::ExitCode {
    harmony_runtime::cli(sites(), everywhere())
}
