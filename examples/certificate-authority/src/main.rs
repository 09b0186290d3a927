//! A certificate authority on this machine, driven by Harmony's command line:
//!
//! ```text
//! cargo run -p harmony-example-ca -- plan      # what would be issued
//! cargo run -p harmony-example-ca -- apply     # makes ./pki/ca.{key,crt}, issues the certificates
//! cargo run -p harmony-example-ca -- status    # the certificates the CA issued
//! CA_EXAMPLE_NAMES=a.example.test,b.example.test cargo run -p harmony-example-ca -- apply
//! ```
//!
//! `CA_EXAMPLE_NAMES` lists the DNS names (default `web.example.test`); a name dropped from it
//! is pruned on the next apply (its certificate and key are removed).
#![deny(warnings)]

use std::process::ExitCode;

use harmony_example_ca::sites::{Lab, lab};

fn main() -> ExitCode {
    let names = std::env::var("CA_EXAMPLE_NAMES").unwrap_or_else(|_| "web.example.test".into());
    let names: Vec<&str> = names.split(',').filter(|n| !n.is_empty()).collect();
    let topology = match Lab::from_env() {
        Ok(topology) => topology,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    harmony_runtime::cli(topology, lab(&names))
}
