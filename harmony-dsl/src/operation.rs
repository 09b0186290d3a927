//! Operations: the typed capability calls an interpret plan is made of, and [`Interpret`], the
//! async trait that performs one on a topology.

mod yaml;

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::capability::{
    Capability, ContainerRuntime, DnsServer, FileSystem, Fleet, HelmCommand, IdentityProvider,
    K8sCluster, LoadBalancer, ProcessSupervisor,
};
use crate::error::{Error, ErrorKind, Result};
use crate::future::BoxFuture;
use crate::outcome::{Inspection, Outcome};
use crate::resource::{
    ContainerSpec, DeviceSpec, DnsRecord, FileKind, FileSpec, HelmRelease, IdentityClient,
    KubeObject, LbService, ProcessSpec,
};
use crate::smoke::SmokeCheck;
use crate::topology::Topology;

/// One capability operation: "make this resource real with that capability".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "capability", content = "resource")]
pub enum Operation {
    /// Apply a Kubernetes object.
    K8sCluster(KubeObject),
    /// Ensure a DNS record.
    DnsServer(DnsRecord),
    /// Expose a service on the load balancer.
    LoadBalancer(LbService),
    /// Register an application with the identity provider.
    IdentityProvider(IdentityClient),
    /// Run a container.
    ContainerRuntime(ContainerSpec),
    /// Set a device's desired state.
    Fleet(DeviceSpec),
    /// Ensure a local file or directory.
    FileSystem(FileSpec),
    /// Supervise a local process.
    ProcessSupervisor(ProcessSpec),
    /// Inflate a Helm chart. The runtime replaces this step by one [`Operation::K8sCluster`] step
    /// per object of the chart before it plans, applies or renders (`harmony_runtime::inflate`);
    /// it is only run as it is when inflation failed, and then fails with the same error.
    HelmCommand(HelmRelease),
    /// Check that a score's deployment works (run by the runtime; see [`crate::smoke`]).
    SmokeTest {
        /// The score instance it checks.
        score: String,
        /// The check.
        check: SmokeCheck,
    },
}

/// A file `render` writes: a path relative to the output directory and its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Artifact {
    /// Relative path, `/`-separated.
    pub path: String,
    /// Content.
    pub content: String,
}

impl Operation {
    /// The capability this operation needs, as written in `topology!`.
    pub fn capability(&self) -> &'static str {
        match self {
            Operation::K8sCluster(_) => <dyn K8sCluster>::NAME,
            Operation::DnsServer(_) => <dyn DnsServer>::NAME,
            Operation::LoadBalancer(_) => <dyn LoadBalancer>::NAME,
            Operation::IdentityProvider(_) => <dyn IdentityProvider>::NAME,
            Operation::ContainerRuntime(_) => <dyn ContainerRuntime>::NAME,
            Operation::Fleet(_) => <dyn Fleet>::NAME,
            Operation::FileSystem(_) => <dyn FileSystem>::NAME,
            Operation::ProcessSupervisor(_) => <dyn ProcessSupervisor>::NAME,
            Operation::HelmCommand(_) => <dyn HelmCommand>::NAME,
            Operation::SmokeTest { .. } => "SmokeTest",
        }
    }

    /// Stable identity of the resource, used for state and pruning.
    pub fn resource_id(&self) -> String {
        match self {
            Operation::K8sCluster(r) => r.id(),
            Operation::DnsServer(r) => r.id(),
            Operation::LoadBalancer(r) => r.id(),
            Operation::IdentityProvider(r) => r.id(),
            Operation::ContainerRuntime(r) => r.id(),
            Operation::Fleet(r) => r.id(),
            Operation::FileSystem(r) => r.id(),
            Operation::ProcessSupervisor(r) => r.id(),
            Operation::HelmCommand(r) => r.id(),
            Operation::SmokeTest { score, check } => check.id(score),
        }
    }

    /// What the runtime writes for `render DIR`: deterministic, secrets redacted. Kubernetes
    /// objects are one YAML file each, `k8s/<namespace or _cluster>/<kind>-<name>.yaml`, that
    /// `kubectl apply -f` accepts; other resources are JSON.
    pub fn render(&self) -> Artifact {
        self.render_with(SecretValues::Redacted)
    }

    /// Like [`render`](Self::render); with [`SecretValues::Included`] the `data` of Kubernetes
    /// `Secret`s holds the real values (what `render --include-secrets` writes).
    pub fn render_with(&self, secrets: SecretValues) -> Artifact {
        let (path, value) = match self {
            Operation::K8sCluster(o) => {
                let manifest = kube_manifest(o, secrets);
                return Artifact {
                    path: format!(
                        "k8s/{}/{}-{}.yaml",
                        o.namespace.as_deref().unwrap_or("_cluster"),
                        o.kind.to_lowercase(),
                        o.name
                    ),
                    content: yaml::to_yaml(&manifest),
                };
            }
            Operation::DnsServer(r) => (format!("dns/{}.json", r.name), to_json(r)),
            Operation::LoadBalancer(r) => (
                format!("loadbalancer/{}-{}.json", r.namespace, r.name),
                to_json(r),
            ),
            Operation::IdentityProvider(r) => {
                (format!("identity/{}.json", r.client_id), to_json(r))
            }
            Operation::ContainerRuntime(r) => (
                format!(
                    "containers/{}/{}.json",
                    r.host.as_deref().unwrap_or("_any"),
                    r.name
                ),
                to_json(r),
            ),
            Operation::Fleet(r) => {
                let names: Vec<&str> = r.workloads.iter().map(|w| w.name.as_str()).collect();
                (
                    format!("devices/{}/{}.json", r.device, names.join("+")),
                    to_json(r),
                )
            }
            Operation::FileSystem(r) => {
                let rel = r.path.to_string_lossy().trim_start_matches('/').to_string();
                if let FileKind::File { content, .. } = &r.kind {
                    return Artifact {
                        path: format!("files/{rel}"),
                        content: content.clone(),
                    };
                }
                (format!("dirs/{rel}.json"), to_json(r))
            }
            Operation::ProcessSupervisor(r) => (format!("processes/{}.json", r.name), to_json(r)),
            Operation::HelmCommand(r) => (
                format!("helm/{}/{}.json", r.namespace, r.release),
                to_json(r),
            ),
            Operation::SmokeTest { score, check } => {
                let n = self
                    .resource_id()
                    .bytes()
                    .fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
                (format!("smoke/{score}-{n:08x}.json"), to_json(check))
            }
        };
        let mut content = serde_json::to_string_pretty(&value).unwrap_or_default();
        content.push('\n');
        Artifact { path, content }
    }
}

impl Operation {
    /// The manifest of a Kubernetes object (what [`render_with`](Self::render_with) writes as
    /// YAML), `None` for other operations.
    pub fn manifest_with(&self, secrets: SecretValues) -> Option<serde_json::Value> {
        match self {
            Operation::K8sCluster(o) => Some(kube_manifest(o, secrets)),
            _ => None,
        }
    }
}

fn kube_manifest(object: &KubeObject, secrets: SecretValues) -> serde_json::Value {
    match secrets {
        SecretValues::Redacted => redacted_manifest(object),
        SecretValues::Included => object.to_manifest(),
    }
}

/// Whether rendered files hold secret values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SecretValues {
    /// `<redacted>` instead of every value (the default).
    #[default]
    Redacted,
    /// The values themselves, for a user who asked for them explicitly.
    Included,
}

/// `"<redacted>"`, base64-encoded: what a rendered `Secret`'s `data` values become.
pub const REDACTED_BASE64: &str = "PHJlZGFjdGVkPg==";

/// The object's manifest, with the values of a `v1` `Secret` (`data`, `stringData`) replaced by
/// `<redacted>` (base64-encoded under `data`, so the manifest stays valid).
pub fn redacted_manifest(object: &KubeObject) -> serde_json::Value {
    let mut manifest = object.to_manifest();
    if object.api_version == "v1" && object.kind == "Secret" {
        for (field, placeholder) in [("data", REDACTED_BASE64), ("stringData", "<redacted>")] {
            if let Some(values) = manifest.get_mut(field).and_then(|v| v.as_object_mut()) {
                for value in values.values_mut() {
                    *value = placeholder.into();
                }
            }
        }
    }
    manifest
}

fn to_json(value: &impl Serialize) -> serde_json::Value {
    serde_json::to_value(value).unwrap_or(serde_json::Value::Null)
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Operation::K8sCluster(o) => match &o.namespace {
                Some(ns) => write!(f, "apply {} {}/{}", o.kind, ns, o.name),
                None => write!(f, "apply {} {}", o.kind, o.name),
            },
            Operation::DnsServer(r) => write!(f, "dns record {}", r.name),
            Operation::LoadBalancer(r) => {
                write!(f, "expose {}/{} on port {}", r.namespace, r.name, r.port)
            }
            Operation::IdentityProvider(r) => write!(f, "identity client {}", r.client_id),
            Operation::ContainerRuntime(r) => write!(f, "container {} ({})", r.name, r.image),
            Operation::Fleet(r) => {
                write!(f, "device {} ({} workloads)", r.device, r.workloads.len())
            }
            Operation::FileSystem(r) => match r.kind {
                FileKind::File { .. } => write!(f, "file {}", r.path.display()),
                FileKind::Directory => write!(f, "directory {}", r.path.display()),
            },
            Operation::ProcessSupervisor(r) => write!(f, "process {}", r.name),
            Operation::HelmCommand(r) => write!(
                f,
                "inflate chart {} as release {}/{}",
                r.chart, r.namespace, r.release
            ),
            Operation::SmokeTest { check, .. } => write!(f, "smoke test: {}", check.check),
        }
    }
}

/// Performs an operation on topology `T`: the async half of an interpret plan.
pub trait Interpret<T: ?Sized>: Send + Sync {
    /// Looks at the real system: what [`execute`](Interpret::execute) would change.
    fn inspect<'a>(&'a self, topology: &'a T) -> BoxFuture<'a, Result<Inspection>>;
    /// Makes it so. Idempotent: a second call reports [`Outcome::Unchanged`].
    fn execute<'a>(&'a self, topology: &'a T) -> BoxFuture<'a, Result<Outcome>>;
    /// Undoes it, when the resource is no longer declared.
    fn remove<'a>(&'a self, topology: &'a T) -> BoxFuture<'a, Result<Outcome>>;
}

fn provider<C, T>(topology: &T) -> Result<&Arc<C>>
where
    C: ?Sized + Capability,
    T: Topology,
{
    topology.capabilities().get::<C>().ok_or_else(|| {
        Error::new(
            ErrorKind::MissingCapability,
            format!(
                "topology `{}` has no provider for capability `{}`",
                T::NAME,
                C::NAME
            ),
        )
        .in_capability(C::NAME)
    })
}

/// A chart step that is run as it is: its inflation failed when the plan was prepared. Inflates
/// again to fail with Helm's own error (or, when it now succeeds, asks for a new run).
async fn not_inflated<O>(helm: &Arc<dyn HelmCommand>, release: &HelmRelease) -> Result<O> {
    let objects = helm.inflate(release).await?;
    Err(Error::permanent(format!(
        "chart {} (release {}/{}) inflates into {} objects now, but not when this plan was prepared; run the command again",
        release.chart,
        release.namespace,
        release.release,
        objects.len()
    )))
}

macro_rules! dispatch {
    ($self:ident, $topology:ident, $method:ident, |$check:ident| $smoke:expr) => {
        Box::pin(async move {
            let result = match $self {
                Operation::SmokeTest { check: $check, .. } => $smoke,
                Operation::K8sCluster(r) => {
                    provider::<dyn K8sCluster, T>($topology)?.$method(r).await
                }
                Operation::DnsServer(r) => {
                    provider::<dyn DnsServer, T>($topology)?.$method(r).await
                }
                Operation::LoadBalancer(r) => {
                    provider::<dyn LoadBalancer, T>($topology)?.$method(r).await
                }
                Operation::IdentityProvider(r) => {
                    provider::<dyn IdentityProvider, T>($topology)?
                        .$method(r)
                        .await
                }
                Operation::ContainerRuntime(r) => {
                    provider::<dyn ContainerRuntime, T>($topology)?
                        .$method(r)
                        .await
                }
                Operation::Fleet(r) => provider::<dyn Fleet, T>($topology)?.$method(r).await,
                Operation::FileSystem(r) => {
                    provider::<dyn FileSystem, T>($topology)?.$method(r).await
                }
                Operation::ProcessSupervisor(r) => {
                    provider::<dyn ProcessSupervisor, T>($topology)?
                        .$method(r)
                        .await
                }
                Operation::HelmCommand(r) => {
                    not_inflated(provider::<dyn HelmCommand, T>($topology)?, r).await
                }
            };
            let capability = $self.capability();
            result.map_err(|e| {
                if e.capability().is_some() {
                    e
                } else {
                    e.in_capability(capability)
                }
            })
        })
    };
}

impl<T: Topology> Interpret<T> for Operation {
    fn inspect<'a>(&'a self, topology: &'a T) -> BoxFuture<'a, Result<Inspection>> {
        dispatch!(self, topology, inspect, |check| Ok(check.inspection()))
    }

    fn execute<'a>(&'a self, topology: &'a T) -> BoxFuture<'a, Result<Outcome>> {
        dispatch!(self, topology, apply, |_check| Err(Error::permanent(
            "smoke tests are performed by the runtime's engine, which owns the prober: run the step through harmony_runtime's executor"
        )))
    }

    fn remove<'a>(&'a self, topology: &'a T) -> BoxFuture<'a, Result<Outcome>> {
        dispatch!(self, topology, remove, |_check| Ok(Outcome::Unchanged))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn object(kind: &str, body: serde_json::Value) -> KubeObject {
        KubeObject {
            api_version: "v1".into(),
            kind: kind.into(),
            name: "db-credentials".into(),
            namespace: Some("shop".into()),
            labels: Default::default(),
            body: body.as_object().cloned().unwrap_or_default(),
            secret_data: Default::default(),
        }
    }

    #[test]
    fn kubernetes_objects_render_as_one_yaml_file_each() {
        let config = object("ConfigMap", json!({ "data": { "mode": "fast" } }));
        let artifact = Operation::K8sCluster(config).render();
        assert_eq!(artifact.path, "k8s/shop/configmap-db-credentials.yaml");
        assert_eq!(
            artifact.content,
            "apiVersion: v1\ndata:\n  mode: fast\nkind: ConfigMap\nmetadata:\n  labels:\n    app.kubernetes.io/managed-by: harmony\n  name: db-credentials\n  namespace: shop\n"
        );
    }

    #[test]
    fn secret_values_are_redacted_in_rendered_files() {
        let secret = object(
            "Secret",
            json!({ "type": "Opaque", "data": { "password": "aHVudGVyMg==" }, "stringData": { "user": "admin" } }),
        );
        let artifact = Operation::K8sCluster(secret).render();
        assert!(!artifact.content.contains("aHVudGVyMg=="));
        assert!(!artifact.content.contains("admin"));
        assert!(
            artifact
                .content
                .contains(&format!("password: \"{REDACTED_BASE64}\""))
        );
        assert!(artifact.content.contains("user: \"<redacted>\""));
        assert!(artifact.content.contains("type: Opaque"));
    }
}
