//! A library-defined score with every `#[score(...)]` feature, and its interpret.
#![deny(warnings)]
use harmony_dsl::operation::Operation;
use harmony_dsl::resource::LbService;
use harmony_runtime::prelude::*;

/// A Redis cache on the cluster, exposed through the load balancer, optionally published in DNS.
#[derive(Debug, Clone, Score)]
#[score(requires(K8sCluster, LoadBalancer), outputs(endpoint: Endpoint<Tcp>), host(arch = x86_64, labels(storage)))]
pub struct Redis {
    /// Image.
    image: ImageRef,
    /// Memory limit.
    #[score(default = "256Mi")]
    memory: Quantity,
    /// Port.
    #[score(default = 6379)]
    port: Port,
    /// Replicas (defaults to `Default::default()`, i.e. 0 = operator decides).
    #[score(default)]
    replicas: u16,
    /// Node it is pinned to.
    on: Placement,
    /// DNS name: setting it requires a DNS server.
    #[score(requires(DnsServer))]
    dns: Option<DomainName>,
    /// Extra arguments.
    args: Vec<String>,
}

impl ScoreOutputs for Redis {
    type Outputs = RedisOutputs;
    fn outputs(&self, ctx: &ScoreContext<'_>) -> RedisOutputs {
        RedisOutputs {
            endpoint: Endpoint::new(format!("{}.default.svc.cluster.local", ctx.instance), self.port),
        }
    }
}

impl Operations for Redis {
    fn operations(&self, ctx: &ScoreContext<'_>) -> Vec<Operation> {
        let _ = (&self.image, &self.memory, self.replicas, &self.on, &self.dns, &self.args);
        vec![Operation::new::<dyn harmony_dsl::capability::LoadBalancer>(LbService {
            namespace: "default".to_string(),
            name: ctx.instance.to_string(),
            port: self.port,
            pool: None,
        })]
    }
}

topology! {
    pub Lab {
        hosts {
            big { arch: x86_64, address: "10.0.0.2", labels: [storage, control_plane] }
        }
        capabilities {
            K8sCluster   => Kube { context: "lab" },
            LoadBalancer => MetalLb { pool: "10.0.0.128/25" },
            DnsServer    => CoreDns { on: big, zone: "lab.internal" },
        }
    }
}

topology! {
    /// No DNS: `Redis` is still placeable while `dns` is not set.
    pub NoDns {
        hosts {
            box1 { arch: x86_64, address: "10.9.0.2", labels: [storage] }
        }
        capabilities {
            K8sCluster   => Kube { context: "nodns" },
            LoadBalancer => MetalLb { pool: "10.9.0.128/25" },
        }
    }
}

score! {
    pub fn cache() -> Plan<Lab> {
        redis = Redis {
            image: "docker.io/library/redis:7.2",
            on: big,
            dns: "cache.lab.internal",
            args: ["--appendonly", "yes"],
        };
    }

    pub fn cache_without_dns() -> Plan<NoDns> {
        redis = Redis { image: "docker.io/library/redis:7.2", memory: "1Gi", on: box1 };
    }
}

fn main() {
    assert_eq!(cache().steps.len(), 1);
    assert_eq!(cache_without_dns().scores.len(), 1);
}
