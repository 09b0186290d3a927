use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1 as apps;
use k8s_openapi::api::core::v1 as core;
use k8s_openapi::api::networking::v1 as networking;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::{Postgres, labels, selector, typed};
use crate::endpoint::{Endpoint, protocol::Http};
use crate::operation::Operation;
use crate::resource::{DnsRecord, KubeObject, LbService, RecordData};
use crate::score::{Operations, ScoreContext, ScoreOutputs};
use crate::value::{DomainName, ImageRef, Port, Secret};
use crate::{Score, capability::*};

/// A stateless web application on Kubernetes: a Deployment and a Service exposed by the load
/// balancer, optionally wired to a database, published under a DNS name and routed by an
/// Ingress. `config` becomes a ConfigMap `<name>-config` and `secrets` a Secret
/// `<name>-secrets`; the container gets both as environment variables (`envFrom`).
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
    /// Host name an Ingress routes to the app (no Ingress when unset).
    pub ingress: Option<DomainName>,
    /// Path prefix the Ingress routes (default `/`).
    pub ingress_path: Option<String>,
    /// Name of a `kubernetes.io/tls` Secret holding the Ingress's certificate (no TLS when unset).
    pub tls_secret: Option<String>,
    /// Plain settings, given to the container as environment variables through a ConfigMap.
    #[score(default)]
    pub config: BTreeMap<String, String>,
    /// Secret settings, given to the container as environment variables through a Secret.
    /// Plans, logs and rendered files show `<redacted>` instead of the values.
    #[score(default)]
    pub secrets: BTreeMap<String, Secret<String>>,
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

/// Name of the ConfigMap holding a web app's `config`.
fn config_name(instance: &str) -> String {
    format!("{instance}-config")
}

/// Name of the Secret holding a web app's `secrets`.
fn secrets_name(instance: &str) -> String {
    format!("{instance}-secrets")
}

impl WebApp {
    fn deployment(&self, ctx: &ScoreContext<'_>) -> apps::Deployment {
        let env = self.database.as_ref().map(|db| {
            vec![core::EnvVar {
                name: "DATABASE_URL".to_string(),
                value: Some(db.to_string()),
                ..Default::default()
            }]
        });
        let mut env_from = Vec::new();
        if !self.config.is_empty() {
            env_from.push(core::EnvFromSource {
                config_map_ref: Some(core::ConfigMapEnvSource {
                    name: config_name(ctx.instance),
                    optional: None,
                }),
                ..Default::default()
            });
        }
        if !self.secrets.is_empty() {
            env_from.push(core::EnvFromSource {
                secret_ref: Some(core::SecretEnvSource {
                    name: secrets_name(ctx.instance),
                    optional: None,
                }),
                ..Default::default()
            });
        }
        let container = core::Container {
            name: ctx.instance.to_string(),
            image: Some(self.image.to_string()),
            ports: Some(vec![core::ContainerPort {
                container_port: i32::from(self.port.get()),
                ..Default::default()
            }]),
            env,
            env_from: (!env_from.is_empty()).then_some(env_from),
            ..Default::default()
        };
        apps::Deployment {
            spec: apps::DeploymentSpec {
                replicas: Some(i32::from(self.replicas)),
                selector: LabelSelector {
                    match_labels: Some(selector(ctx)),
                    ..Default::default()
                },
                template: core::PodTemplateSpec {
                    metadata: Some(ObjectMeta {
                        labels: Some(labels(ctx, "WebApp")),
                        ..Default::default()
                    }),
                    spec: Some(core::PodSpec {
                        containers: vec![container],
                        ..Default::default()
                    }),
                },
                ..Default::default()
            },
            ..Default::default()
        }
    }

    fn service(&self, ctx: &ScoreContext<'_>) -> core::Service {
        let port = i32::from(self.port.get());
        core::Service {
            spec: Some(core::ServiceSpec {
                selector: Some(selector(ctx)),
                ports: Some(vec![core::ServicePort {
                    port,
                    target_port: Some(IntOrString::Int(port)),
                    ..Default::default()
                }]),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn ingress(&self, ctx: &ScoreContext<'_>, host: &DomainName) -> networking::Ingress {
        let backend = networking::IngressBackend {
            service: Some(networking::IngressServiceBackend {
                name: ctx.instance.to_string(),
                port: Some(networking::ServiceBackendPort {
                    number: Some(i32::from(self.port.get())),
                    name: None,
                }),
            }),
            resource: None,
        };
        let rule = networking::IngressRule {
            host: Some(host.to_string()),
            http: Some(networking::HTTPIngressRuleValue {
                paths: vec![networking::HTTPIngressPath {
                    backend,
                    path: Some(self.ingress_path.clone().unwrap_or_else(|| "/".to_string())),
                    path_type: "Prefix".to_string(),
                }],
            }),
        };
        let tls = self.tls_secret.as_ref().map(|secret| {
            vec![networking::IngressTLS {
                hosts: Some(vec![host.to_string()]),
                secret_name: Some(secret.clone()),
            }]
        });
        networking::Ingress {
            spec: Some(networking::IngressSpec {
                rules: Some(vec![rule]),
                tls,
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    /// The Secret `<name>-secrets`: its values travel as [`Secret`]s (redacted when printed).
    fn secret(&self, ctx: &ScoreContext<'_>) -> KubeObject {
        let secret = core::Secret {
            type_: Some("Opaque".to_string()),
            ..Default::default()
        };
        let mut object = typed(
            ctx,
            "WebApp",
            &secrets_name(ctx.instance),
            Some(self.ns()),
            &secret,
        );
        object.secret_data = self.secrets.clone();
        object
    }
}

impl Operations for WebApp {
    fn operations(&self, ctx: &ScoreContext<'_>) -> Vec<Operation> {
        let ns = self.ns();
        let mut ops = Vec::new();
        if !self.config.is_empty() {
            let config = core::ConfigMap {
                data: Some(self.config.clone()),
                ..Default::default()
            };
            let name = config_name(ctx.instance);
            ops.push(Operation::new::<dyn K8sCluster>(typed(
                ctx,
                "WebApp",
                &name,
                Some(ns),
                &config,
            )));
        }
        if !self.secrets.is_empty() {
            ops.push(Operation::new::<dyn K8sCluster>(self.secret(ctx)));
        }
        let name = ctx.instance;
        ops.push(Operation::new::<dyn K8sCluster>(typed(
            ctx,
            "WebApp",
            name,
            Some(ns),
            &self.deployment(ctx),
        )));
        ops.push(Operation::new::<dyn K8sCluster>(typed(
            ctx,
            "WebApp",
            name,
            Some(ns),
            &self.service(ctx),
        )));
        if let Some(host) = &self.ingress {
            ops.push(Operation::new::<dyn K8sCluster>(typed(
                ctx,
                "WebApp",
                name,
                Some(ns),
                &self.ingress(ctx, host),
            )));
        }
        ops.push(Operation::new::<dyn LoadBalancer>(LbService {
            namespace: ns.to_string(),
            name: name.to_string(),
            port: self.port,
            pool: None,
        }));
        if let Some(dns) = &self.dns {
            ops.push(Operation::new::<dyn DnsServer>(DnsRecord {
                name: dns.clone(),
                data: RecordData::LoadBalancerOf {
                    namespace: ns.to_string(),
                    service: name.to_string(),
                },
                ttl: 300,
            }));
        }
        ops
    }
}
