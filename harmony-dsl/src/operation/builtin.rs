//! The built-in resources as [`Resource`]s: exactly what a user's crate writes for its own.

use std::fmt;

use super::{Artifact, Resource, SecretValues, kube_manifest, pretty_json, yaml};
use crate::capability::HelmCommand;
use crate::error::{Error, Result};
use crate::resource::{
    ContainerSpec, DeviceSpec, DnsRecord, FileKind, FileSpec, HelmRelease, IdentityClient,
    KubeObject, LbService, ProcessSpec,
};

impl Resource for KubeObject {
    fn id(&self) -> String {
        KubeObject::id(self)
    }
    fn describe(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.namespace {
            Some(ns) => write!(f, "apply {} {}/{}", self.kind, ns, self.name),
            None => write!(f, "apply {} {}", self.kind, self.name),
        }
    }
    fn render(&self, _capability: &str, secrets: SecretValues) -> Artifact {
        Artifact {
            path: format!(
                "k8s/{}/{}-{}.yaml",
                self.namespace.as_deref().unwrap_or("_cluster"),
                self.kind.to_lowercase(),
                self.name
            ),
            content: yaml::to_yaml(&kube_manifest(self, secrets)),
        }
    }
}

impl Resource for DnsRecord {
    fn id(&self) -> String {
        DnsRecord::id(self)
    }
    fn describe(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "dns record {}", self.name)
    }
    fn render(&self, _capability: &str, _secrets: SecretValues) -> Artifact {
        json_at(format!("dns/{}.json", self.name), self)
    }
}

impl Resource for LbService {
    fn id(&self) -> String {
        LbService::id(self)
    }
    fn describe(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "expose {}/{} on port {}",
            self.namespace, self.name, self.port
        )
    }
    fn render(&self, _capability: &str, _secrets: SecretValues) -> Artifact {
        json_at(
            format!("loadbalancer/{}-{}.json", self.namespace, self.name),
            self,
        )
    }
}

impl Resource for IdentityClient {
    fn id(&self) -> String {
        IdentityClient::id(self)
    }
    fn describe(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "identity client {}", self.client_id)
    }
    fn render(&self, _capability: &str, _secrets: SecretValues) -> Artifact {
        json_at(format!("identity/{}.json", self.client_id), self)
    }
}

impl Resource for ContainerSpec {
    fn id(&self) -> String {
        ContainerSpec::id(self)
    }
    fn describe(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "container {} ({})", self.name, self.image)
    }
    fn render(&self, _capability: &str, _secrets: SecretValues) -> Artifact {
        json_at(
            format!(
                "containers/{}/{}.json",
                self.host.as_deref().unwrap_or("_any"),
                self.name
            ),
            self,
        )
    }
}

impl Resource for DeviceSpec {
    fn id(&self) -> String {
        DeviceSpec::id(self)
    }
    fn describe(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "device {} ({} workloads)",
            self.device,
            self.workloads.len()
        )
    }
    fn render(&self, _capability: &str, _secrets: SecretValues) -> Artifact {
        let names: Vec<&str> = self.workloads.iter().map(|w| w.name.as_str()).collect();
        json_at(
            format!("devices/{}/{}.json", self.device, names.join("+")),
            self,
        )
    }
}

impl Resource for FileSpec {
    fn id(&self) -> String {
        FileSpec::id(self)
    }
    fn describe(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            FileKind::File { .. } => write!(f, "file {}", self.path.display()),
            FileKind::Directory => write!(f, "directory {}", self.path.display()),
        }
    }
    fn render(&self, _capability: &str, _secrets: SecretValues) -> Artifact {
        let rel = self
            .path
            .to_string_lossy()
            .trim_start_matches('/')
            .to_string();
        match &self.kind {
            FileKind::File { content, .. } => Artifact {
                path: format!("files/{rel}"),
                content: content.clone(),
            },
            FileKind::Directory => json_at(format!("dirs/{rel}.json"), self),
        }
    }
}

impl Resource for ProcessSpec {
    fn id(&self) -> String {
        ProcessSpec::id(self)
    }
    fn describe(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "process {}", self.name)
    }
    fn render(&self, _capability: &str, _secrets: SecretValues) -> Artifact {
        json_at(format!("processes/{}.json", self.name), self)
    }
}

impl Resource for HelmRelease {
    fn id(&self) -> String {
        HelmRelease::id(self)
    }
    fn describe(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "inflate chart {} as release {}/{}",
            self.chart, self.namespace, self.release
        )
    }
    fn render(&self, _capability: &str, _secrets: SecretValues) -> Artifact {
        json_at(
            format!("helm/{}/{}.json", self.namespace, self.release),
            self,
        )
    }
}

fn json_at(path: String, value: &impl serde::Serialize) -> Artifact {
    Artifact {
        path,
        content: pretty_json(value),
    }
}

/// A chart step that is run as it is: its inflation failed when the plan was prepared. Inflates
/// again to fail with Helm's own error (or, when it now succeeds, asks for a new run).
pub(crate) async fn not_inflated<O>(helm: &dyn HelmCommand, release: &HelmRelease) -> Result<O> {
    let objects = helm.inflate(release).await?;
    Err(Error::permanent(format!(
        "chart {} (release {}/{}) inflates into {} objects now, but not when this plan was prepared; run the command again",
        release.chart,
        release.namespace,
        release.release,
        objects.len()
    )))
}
