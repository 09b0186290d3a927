use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1 as apps;
use k8s_openapi::api::core::v1 as core;
use k8s_openapi::apimachinery::pkg::api::resource::Quantity as KubeQuantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};

use super::{selector, typed};
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
        let selector = selector(ctx);
        let mut operations = Vec::new();
        let mut env = None;
        if let Some(password) = &self.password {
            // The value stays a reference (in `stringData`) until apply time, when the runtime
            // reads it from its source into the Secret's redacted `secret_data`.
            let credentials = format!("{}-credentials", ctx.instance);
            let mut secret = typed(
                ctx,
                "Postgres",
                &credentials,
                Some(ns),
                &core::Secret {
                    type_: Some("Opaque".to_string()),
                    ..Default::default()
                },
            );
            secret.body.insert(
                "stringData".into(),
                serde_json::json!({ "POSTGRES_PASSWORD": password }),
            );
            operations.push(Operation::new::<dyn K8sCluster>(secret));
            env = Some(vec![core::EnvVar {
                name: "POSTGRES_PASSWORD".to_string(),
                value_from: Some(core::EnvVarSource {
                    secret_key_ref: Some(core::SecretKeySelector {
                        name: credentials,
                        key: "POSTGRES_PASSWORD".to_string(),
                        ..Default::default()
                    }),
                    ..Default::default()
                }),
                ..Default::default()
            }]);
        }
        let container = core::Container {
            env,
            name: "postgres".to_string(),
            image: Some(format!("docker.io/library/postgres:{}", self.version)),
            ports: Some(vec![core::ContainerPort {
                container_port: i32::from(PORT),
                ..Default::default()
            }]),
            volume_mounts: Some(vec![core::VolumeMount {
                name: "data".to_string(),
                mount_path: "/var/lib/postgresql/data".to_string(),
                ..Default::default()
            }]),
            ..Default::default()
        };
        let node_selector = self.place.as_ref().map(|place| {
            BTreeMap::from([(
                "kubernetes.io/hostname".to_string(),
                place.host().to_string(),
            )])
        });
        let claim = core::PersistentVolumeClaim {
            metadata: ObjectMeta {
                name: Some("data".to_string()),
                ..Default::default()
            },
            spec: Some(core::PersistentVolumeClaimSpec {
                access_modes: Some(vec!["ReadWriteOnce".to_string()]),
                resources: Some(core::VolumeResourceRequirements {
                    requests: Some(BTreeMap::from([(
                        "storage".to_string(),
                        KubeQuantity(self.storage.to_string()),
                    )])),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            ..Default::default()
        };
        let statefulset = apps::StatefulSet {
            spec: apps::StatefulSetSpec {
                service_name: Some(ctx.instance.to_string()),
                replicas: Some(1),
                selector: LabelSelector {
                    match_labels: Some(selector.clone()),
                    ..Default::default()
                },
                template: core::PodTemplateSpec {
                    metadata: Some(ObjectMeta {
                        labels: Some(selector.clone()),
                        ..Default::default()
                    }),
                    spec: Some(core::PodSpec {
                        containers: vec![container],
                        node_selector,
                        ..Default::default()
                    }),
                },
                volume_claim_templates: Some(vec![claim]),
                ..Default::default()
            },
            ..Default::default()
        };
        let service = core::Service {
            spec: Some(core::ServiceSpec {
                cluster_ip: Some("None".to_string()),
                selector: Some(selector),
                ports: Some(vec![core::ServicePort {
                    port: i32::from(PORT),
                    ..Default::default()
                }]),
                ..Default::default()
            }),
            ..Default::default()
        };
        operations.push(Operation::new::<dyn K8sCluster>(typed(
            ctx,
            "Postgres",
            ctx.instance,
            Some(ns),
            &statefulset,
        )));
        operations.push(Operation::new::<dyn K8sCluster>(typed(
            ctx,
            "Postgres",
            ctx.instance,
            Some(ns),
            &service,
        )));
        operations
    }
}
