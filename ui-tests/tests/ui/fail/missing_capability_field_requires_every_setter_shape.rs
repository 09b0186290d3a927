use harmony_runtime::prelude::*;

/// A backup job: a required target that needs a file system, a host that needs a process
/// supervisor, and a list of mirrors that needs a DNS server.
#[derive(Debug, Clone, Score)]
#[score(requires(K8sCluster))]
pub struct Backup {
    /// Where the backups go.
    #[score(requires(FileSystem))]
    target: String,
    /// The host the job runs on.
    #[score(requires(ProcessSupervisor))]
    on: Placement,
    /// Mirrors published in DNS.
    #[score(requires(DnsServer))]
    mirrors: Vec<String>,
}

impl Operations for Backup {
    fn operations(&self, _ctx: &ScoreContext<'_>) -> Vec<Operation> {
        Vec::new()
    }
}

topology! {
    pub HomeLab {
        hosts {
            nuc { arch: x86_64, address: "192.168.1.10" }
        }
        capabilities {
            K8sCluster => Kube { context: "homelab" },
        }
    }
}

score! {
    pub fn ops() -> Plan<HomeLab> {
        backup = Backup { target: "/srv/backup", on: nuc, mirrors: ["a.home.arpa"] };
    }
}

fn main() {}
