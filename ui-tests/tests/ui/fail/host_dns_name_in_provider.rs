// A provider placed on a host written as its DNS name: the help names the host of the topology.
use harmony_runtime::prelude::*;

topology! {
    pub HomeLab {
        hosts {
            nuc { arch: x86_64, address: "192.168.1.10", labels: [control_plane] }
        }
        capabilities {
            DnsServer => CoreDns { on: "nuc.home.arpa", zone: "home.arpa" },
        }
    }
}

fn main() {}
