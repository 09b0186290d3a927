//! Names that are Rust keywords: a `r#type` field, a topology whose module would be `match`.
#![deny(warnings)]
use harmony_runtime::prelude::*;

/// A DNS record whose kind is a field called `type`.
#[derive(Debug, Clone, Score)]
#[score(requires(DnsServer))]
pub struct Record {
    name: DomainName,
    r#type: String,
    #[score(default = 300)]
    ttl: u32,
}

impl Operations for Record {
    fn operations(&self, _ctx: &ScoreContext<'_>) -> Vec<Operation> {
        let _ = (&self.name, &self.r#type, self.ttl);
        Vec::new()
    }
}

topology! {
    /// A venue's network (its host module is `match_`).
    pub Match {
        hosts {
            ns { arch: x86_64, address: "10.3.0.2", labels: [control_plane] }
        }
        capabilities {
            DnsServer => CoreDns { on: ns, zone: "venue.example.com" },
        }
    }
}

score! {
    pub fn records() -> Plan<Match> {
        www = Record { name: "www.venue.example.com", r#type: "A" };
    }
}

fn main() {
    assert_eq!(records().scores.len(), 1);
    let _ = match_::ns;
}
