// A provider placed on a host written as a string: the help writes the bare name.
use harmony_runtime::prelude::*;

topology! {
    pub HomeLab {
        hosts {
            nuc { arch: x86_64, address: "192.168.1.10" }
        }
        capabilities {
            DnsServer => CoreDns { on: "nuc", zone: "home.arpa" },
        }
    }
}

fn main() {}
