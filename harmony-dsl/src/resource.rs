//! The resources capabilities manage: typed, serialisable desired state.
//!
//! Scores turn their fields into these; providers make them real. Every resource has a stable
//! [`id`](KubeObject::id) that the runtime uses to track what it applied and to prune.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

pub use harmony_fleet_wire::{DeviceSpec, EnvValue, Workload, WorkloadRun};

use crate::value::{Cidr, DomainName, Duration, ImageRef, IpAddress, Port, Secret, Url};

/// The label every object Harmony manages carries.
pub const MANAGED_BY: (&str, &str) = ("app.kubernetes.io/managed-by", "harmony");

/// A Kubernetes object: group/version, kind, name, namespace, labels and its body (`spec`, `data`...).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KubeObject {
    /// `apiVersion`, e.g. `apps/v1`.
    pub api_version: String,
    /// `kind`, e.g. `Deployment`.
    pub kind: String,
    /// `metadata.name`.
    pub name: String,
    /// `metadata.namespace`, for namespaced kinds.
    pub namespace: Option<String>,
    /// `metadata.labels` (Harmony adds its own).
    pub labels: BTreeMap<String, String>,
    /// Everything beside `apiVersion`, `kind` and the metadata above; other metadata fields
    /// (`annotations`...) under a `metadata` key, merged into the manifest's metadata.
    pub body: serde_json::Map<String, serde_json::Value>,
    /// The values of a `v1` `Secret`'s `data`, kept as [`Secret`]s so that plans, saved plans,
    /// state and logs only ever show `<redacted>`. Only [`to_manifest`](Self::to_manifest), what
    /// is sent to the API server, holds them (base64-encoded, as `data` requires).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub secret_data: BTreeMap<String, Secret<String>>,
}

impl KubeObject {
    /// Stable identity: `k8s:<apiVersion>/<kind>/<namespace>/<name>`.
    pub fn id(&self) -> String {
        format!(
            "k8s:{}/{}/{}/{}",
            self.api_version,
            self.kind,
            self.namespace.as_deref().unwrap_or("-"),
            self.name
        )
    }

    /// The full object as JSON (`apiVersion`, `kind`, `metadata`, body), secret values in clear:
    /// what the API server gets. Render and print [`redacted_manifest`] instead.
    ///
    /// [`redacted_manifest`]: crate::operation::redacted_manifest
    pub fn to_manifest(&self) -> serde_json::Value {
        let mut metadata = match self.body.get("metadata") {
            Some(serde_json::Value::Object(extra)) => extra.clone(),
            _ => serde_json::Map::new(),
        };
        metadata.insert("name".into(), self.name.clone().into());
        if let Some(ns) = &self.namespace {
            metadata.insert("namespace".into(), ns.clone().into());
        }
        let mut labels: BTreeMap<String, String> = self.labels.clone();
        labels.insert(MANAGED_BY.0.into(), MANAGED_BY.1.into());
        metadata.insert(
            "labels".into(),
            serde_json::to_value(labels).unwrap_or_default(),
        );
        let mut object = serde_json::Map::new();
        object.insert("apiVersion".into(), self.api_version.clone().into());
        object.insert("kind".into(), self.kind.clone().into());
        object.insert("metadata".into(), metadata.into());
        for (k, v) in self.body.iter().filter(|(k, _)| *k != "metadata") {
            object.insert(k.clone(), v.clone());
        }
        if !self.secret_data.is_empty() {
            let data = object
                .entry("data")
                .or_insert_with(|| serde_json::Value::Object(serde_json::Map::new()));
            if let serde_json::Value::Object(data) = data {
                for (key, value) in &self.secret_data {
                    let bytes = k8s_openapi::ByteString(value.expose().as_bytes().to_vec());
                    data.insert(key.clone(), serde_json::to_value(bytes).unwrap_or_default());
                }
            }
        }
        object.into()
    }
}

/// A Helm chart to inflate into Kubernetes objects with the
/// [`HelmCommand`](crate::capability::HelmCommand) capability (`helm template`, never
/// `helm install`): the request a [`HelmChart`](crate::scores::HelmChart) score makes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HelmRelease {
    /// The chart: a local directory or a packaged `.tgz`, relative to the current directory.
    pub chart: String,
    /// Release name (`.Release.Name` in the templates).
    pub release: String,
    /// Namespace of the release: namespaced objects without one are placed there.
    pub namespace: String,
    /// Values files (`-f`), in order; a later one wins.
    pub values_files: Vec<String>,
    /// Values given in the plan, applied after the files (they win).
    pub values: serde_json::Map<String, serde_json::Value>,
    /// Check the values against the chart's `values.schema.json` (when it has one).
    pub check_schema: bool,
}

impl HelmRelease {
    /// Stable identity: `helm:<namespace>/<release>`.
    pub fn id(&self) -> String {
        format!("helm:{}/{}", self.namespace, self.release)
    }
}

/// One DNS record in a zone the [`DnsServer`](crate::capability::DnsServer) serves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DnsRecord {
    /// Fully qualified name, e.g. `shop.home.arpa`.
    pub name: DomainName,
    /// What the name resolves to.
    pub data: RecordData,
    /// Time to live, in seconds.
    pub ttl: u32,
}

impl DnsRecord {
    /// Stable identity: `dns:<name>/<type>`.
    pub fn id(&self) -> String {
        let kind = match self.data {
            RecordData::A(_) => "A",
            RecordData::Cname(_) => "CNAME",
            RecordData::LoadBalancerOf { .. } => "A",
        };
        format!("dns:{}/{kind}", self.name)
    }
}

/// The data of a DNS record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum RecordData {
    /// An address record.
    A(IpAddress),
    /// An alias.
    Cname(DomainName),
    /// The address the load balancer gives the named service, resolved at apply time.
    LoadBalancerOf {
        /// The service's namespace.
        namespace: String,
        /// The service's name.
        service: String,
    },
}

/// A service exposed on a routable address by the [`LoadBalancer`](crate::capability::LoadBalancer).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LbService {
    /// Namespace of the service.
    pub namespace: String,
    /// Name of the service.
    pub name: String,
    /// Port to expose.
    pub port: Port,
    /// Address pool to allocate from, when the score asks for one.
    pub pool: Option<Cidr>,
}

impl LbService {
    /// Stable identity: `lb:<namespace>/<name>`.
    pub fn id(&self) -> String {
        format!("lb:{}/{}", self.namespace, self.name)
    }
}

/// An application registered with the [`IdentityProvider`](crate::capability::IdentityProvider).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentityClient {
    /// Client id.
    pub client_id: String,
    /// Where the provider may send users back to.
    pub redirect_urls: Vec<Url>,
}

impl IdentityClient {
    /// Stable identity: `idp:<client_id>`.
    pub fn id(&self) -> String {
        format!("idp:{}", self.client_id)
    }
}

/// A container the [`ContainerRuntime`](crate::capability::ContainerRuntime) runs on a host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContainerSpec {
    /// Container name.
    pub name: String,
    /// Image to run.
    pub image: ImageRef,
    /// Environment.
    pub env: BTreeMap<String, EnvValue>,
    /// Ports published on the host.
    pub ports: Vec<Port>,
    /// Host the container runs on.
    pub host: Option<String>,
    /// Command and arguments replacing the image's own (empty: the image's).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub command: Vec<String>,
    /// How to tell it is healthy (none: running is enough, or the first port accepting TCP
    /// connections on the host when it has ports).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health: Option<ContainerHealth>,
}

/// A container's health check: a command run inside the container (the container runtime's
/// own healthcheck, e.g. podman's `--health-cmd`), healthy when it exits 0.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContainerHealth {
    /// Program and arguments, run inside the container.
    pub command: Vec<String>,
    /// How long applying waits for it to pass.
    pub timeout: Duration,
}

impl ContainerSpec {
    /// Stable identity: `container:<host>/<name>`.
    pub fn id(&self) -> String {
        format!(
            "container:{}/{}",
            self.host.as_deref().unwrap_or("-"),
            self.name
        )
    }
}

/// A file or directory on the local machine, managed by [`FileSystem`](crate::capability::FileSystem).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileSpec {
    /// Path; relative paths are relative to the project's state directory's parent.
    pub path: PathBuf,
    /// File or directory.
    pub kind: FileKind,
}

/// Whether a [`FileSpec`] is a file (with content) or a directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FileKind {
    /// A regular file with this content.
    File {
        /// Content.
        content: String,
        /// Unix permission bits, e.g. `0o644`.
        mode: Option<u32>,
    },
    /// A directory.
    Directory,
}

impl FileSpec {
    /// Stable identity: `file:<path>`.
    pub fn id(&self) -> String {
        format!("file:{}", self.path.display())
    }
}

/// A supervised local process, managed by [`ProcessSupervisor`](crate::capability::ProcessSupervisor).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcessSpec {
    /// Name, unique on the machine.
    pub name: String,
    /// Program and arguments.
    pub command: Vec<String>,
    /// The process's whole environment: nothing of Harmony's own is passed on. The supervisor
    /// adds only `PATH` (a fixed value, unless declared here) and its marker
    /// `HARMONY_SUPERVISED`; declare `HOME`, `LANG`, `TZ`... when the program needs them.
    pub env: BTreeMap<String, EnvValue>,
    /// Working directory.
    pub working_dir: Option<PathBuf>,
    /// Files whose content, when changed, restarts the process.
    pub restart_on: Vec<PathBuf>,
    /// How to tell the process is healthy.
    pub health: Option<HealthCheck>,
}

impl ProcessSpec {
    /// Stable identity: `process:<name>`.
    pub fn id(&self) -> String {
        format!("process:{}", self.name)
    }
}

/// A health check: the process (or service) is up when it passes within `timeout`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthCheck {
    /// What to probe.
    pub probe: Probe,
    /// How long to keep trying.
    pub timeout: Duration,
}

/// What a [`HealthCheck`] probes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Probe {
    /// A TCP connect to `127.0.0.1:port`.
    Tcp {
        /// Port.
        port: Port,
    },
    /// An HTTP GET that must answer 2xx.
    Http {
        /// URL to get.
        url: Url,
    },
}
