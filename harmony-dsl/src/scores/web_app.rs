use serde_json::json;

use super::{Postgres, labels, object};
use crate::endpoint::{Endpoint, protocol::Http};
use crate::operation::Operation;
use crate::resource::{DnsRecord, LbService, RecordData};
use crate::score::{Operations, ScoreContext, ScoreOutputs};
use crate::value::{DomainName, ImageRef, Port};
use crate::{Score, capability::*};

/// A stateless web application on Kubernetes: a Deployment and a Service exposed by the load
/// balancer, optionally wired to a database and published under a DNS name.
#[derive(Debug, Clone, Score)]
#[score(requires(K8sCluster, LoadBalancer), outputs(url: Endpoint<Http>))]
pub struct WebApp {
    /// Container image.
    pub image: ImageRef,
    /// Number of replicas.
    #[score(default = 1)]
    pub replicas: u16,
    /// Port the container listens on.
    #[score(default = 8080)]
    pub port: Port,
    /// Database the app connects to (`DATABASE_URL`).
    pub database: Option<Endpoint<Postgres>>,
    /// DNS name to publish; requires a `DnsServer`.
    #[score(requires(DnsServer))]
    pub dns: Option<DomainName>,
    /// Namespace (default `default`).
    pub namespace: Option<String>,
}

impl WebApp {
    fn ns(&self) -> &str {
        self.namespace.as_deref().unwrap_or("default")
    }
}

impl ScoreOutputs for WebApp {
    type Outputs = WebAppOutputs;
    fn outputs(&self, ctx: &ScoreContext<'_>) -> WebAppOutputs {
        let host = match &self.dns {
            Some(name) => name.to_string(),
            None => format!("{}.{}.svc.cluster.local", ctx.instance, self.ns()),
        };
        WebAppOutputs {
            url: Endpoint::new(host, self.port),
        }
    }
}

impl Operations for WebApp {
    fn operations(&self, ctx: &ScoreContext<'_>) -> Vec<Operation> {
        let ns = self.ns();
        let selector = json!({ "app.kubernetes.io/name": ctx.instance });
        let mut env = Vec::new();
        if let Some(db) = &self.database {
            env.push(json!({ "name": "DATABASE_URL", "value": db.to_string() }));
        }
        let pod_labels = labels(ctx, "WebApp");
        let deployment = object(
            ctx,
            "WebApp",
            "apps/v1",
            "Deployment",
            Some(ns),
            json!({
                "spec": {
                    "replicas": self.replicas,
                    "selector": { "matchLabels": selector },
                    "template": {
                        "metadata": { "labels": pod_labels },
                        "spec": { "containers": [{
                            "name": ctx.instance,
                            "image": self.image.to_string(),
                            "ports": [{ "containerPort": self.port.get() }],
                            "env": env,
                        }]}
                    }
                }
            }),
        );
        let service = object(
            ctx,
            "WebApp",
            "v1",
            "Service",
            Some(ns),
            json!({ "spec": { "selector": selector, "ports": [{ "port": self.port.get(), "targetPort": self.port.get() }] } }),
        );
        let mut ops = vec![
            Operation::K8sCluster(deployment),
            Operation::K8sCluster(service),
            Operation::LoadBalancer(LbService {
                namespace: ns.to_string(),
                name: ctx.instance.to_string(),
                port: self.port,
                pool: None,
            }),
        ];
        if let Some(dns) = &self.dns {
            ops.push(Operation::DnsServer(DnsRecord {
                name: dns.clone(),
                data: RecordData::LoadBalancerOf {
                    namespace: ns.to_string(),
                    service: ctx.instance.to_string(),
                },
                ttl: 300,
            }));
        }
        ops
    }
}
