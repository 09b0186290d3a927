use serde_json::json;

use super::object;
use crate::config::SecretRef;
use crate::endpoint::{Endpoint, Protocol};
use crate::operation::Operation;
use crate::plan::Placement;
use crate::score::{Operations, ScoreContext, ScoreOutputs};
use crate::value::{Port, Quantity};
use crate::{Score, capability::*};

/// A PostgreSQL database on Kubernetes: a StatefulSet with a volume and a headless Service.
/// Exposes a typed `endpoint: Endpoint<Postgres>` for apps to wire to.
#[derive(Debug, Clone, Score)]
#[score(requires(K8sCluster), outputs(endpoint: Endpoint<Postgres>))]
pub struct Postgres {
    /// Major version.
    #[score(default = 16)]
    pub version: u16,
    /// Volume size, e.g. `10Gi`.
    #[score(default = "1Gi")]
    pub storage: Quantity,
    /// Host to pin the database to.
    pub place: Option<Placement>,
    /// Namespace (default `default`).
    pub namespace: Option<String>,
    /// The superuser password, from configuration (`password: { config.db_password.clone() }`):
    /// kept in a Kubernetes `Secret` `<name>-credentials` whose value the runtime reads from its
    /// source at apply time; plans and rendered files hold the reference only.
    pub password: Option<SecretRef>,
}

/// `Endpoint<Postgres>` speaks the PostgreSQL protocol.
impl Protocol for Postgres {
    const NAME: &'static str = "postgres";
}

const PORT: u16 = 5432;
const POSTGRES_PORT: Port = match Port::new(PORT) {
    Some(port) => port,
    None => panic!("5432 is a valid port"),
};

impl Postgres {
    fn ns(&self) -> &str {
        self.namespace.as_deref().unwrap_or("default")
    }
}

impl ScoreOutputs for Postgres {
    type Outputs = PostgresOutputs;
    fn outputs(&self, ctx: &ScoreContext<'_>) -> PostgresOutputs {
        PostgresOutputs {
            endpoint: Endpoint::new(
                format!("{}.{}.svc.cluster.local", ctx.instance, self.ns()),
                POSTGRES_PORT,
            ),
        }
    }
}

impl Operations for Postgres {
    fn operations(&self, ctx: &ScoreContext<'_>) -> Vec<Operation> {
        let ns = self.ns();
        let selector = json!({ "app.kubernetes.io/name": ctx.instance });
        let mut pod_spec = json!({ "containers": [{
            "name": "postgres",
            "image": format!("docker.io/library/postgres:{}", self.version),
            "ports": [{ "containerPort": PORT }],
            "volumeMounts": [{ "name": "data", "mountPath": "/var/lib/postgresql/data" }],
        }]});
        let mut operations = Vec::new();
        if let Some(password) = &self.password {
            let credentials = format!("{}-credentials", ctx.instance);
            let mut secret = object(
                ctx,
                "Postgres",
                "v1",
                "Secret",
                Some(ns),
                json!({ "type": "Opaque", "stringData": { "POSTGRES_PASSWORD": password } }),
            );
            secret.name.clone_from(&credentials);
            operations.push(Operation::K8sCluster(secret));
            pod_spec["containers"][0]["env"] = json!([{
                "name": "POSTGRES_PASSWORD",
                "valueFrom": { "secretKeyRef": { "name": credentials, "key": "POSTGRES_PASSWORD" } },
            }]);
        }
        if let Some(place) = &self.place {
            pod_spec["nodeSelector"] = json!({ "kubernetes.io/hostname": place.host() });
        }
        let statefulset = object(
            ctx,
            "Postgres",
            "apps/v1",
            "StatefulSet",
            Some(ns),
            json!({ "spec": {
                "serviceName": ctx.instance,
                "replicas": 1,
                "selector": { "matchLabels": selector },
                "template": { "metadata": { "labels": selector }, "spec": pod_spec },
                "volumeClaimTemplates": [{
                    "apiVersion": "v1",
                    "kind": "PersistentVolumeClaim",
                    "metadata": { "name": "data" },
                    "spec": { "accessModes": ["ReadWriteOnce"], "resources": { "requests": { "storage": self.storage.to_string() } } }
                }]
            }}),
        );
        let service = object(
            ctx,
            "Postgres",
            "v1",
            "Service",
            Some(ns),
            json!({ "spec": { "clusterIP": "None", "selector": selector, "ports": [{ "port": PORT }] } }),
        );
        operations.push(Operation::K8sCluster(statefulset));
        operations.push(Operation::K8sCluster(service));
        operations
    }
}
