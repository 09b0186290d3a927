//! A library crate's own score (in a module, as a library would ship it) and its interpret.
#![deny(warnings)]

mod observability {
    use harmony_dsl::operation::Operation;
    use harmony_dsl::resource::DnsRecord;
    use harmony_dsl::resource::RecordData;
    use harmony_runtime::prelude::*;

    /// Publishes a name for a fixed address.
    #[derive(Debug, Clone, Score)]
    #[score(requires(DnsServer))]
    pub struct StaticRecord {
        /// Name.
        pub name: DomainName,
        /// Address.
        pub address: IpAddress,
        /// TTL in seconds.
        #[score(default = 300)]
        pub ttl: u32,
    }

    impl Operations for StaticRecord {
        fn operations(&self, _ctx: &ScoreContext<'_>) -> Vec<Operation> {
            vec![Operation::new::<dyn harmony_dsl::capability::DnsServer>(DnsRecord {
                name: self.name.clone(),
                data: RecordData::A(self.address.clone()),
                ttl: self.ttl,
            })]
        }
    }
}

use harmony_runtime::prelude::*;
use observability::StaticRecord;

topology! {
    pub HomeLab {
        hosts {
            nuc { arch: x86_64, address: "192.168.1.10", labels: [control_plane] }
        }
        capabilities {
            DnsServer => CoreDns { on: nuc, zone: "home.arpa" },
        }
    }
}

score! {
    pub fn names() -> Plan<HomeLab> {
        printer = StaticRecord { name: "printer.home.arpa", address: "192.168.1.40" };
        nas     = StaticRecord { name: "nas.home.arpa", address: "fd00::40", ttl: 60 };
    }
}

fn main() {
    assert_eq!(names().steps.len(), 2);
}
