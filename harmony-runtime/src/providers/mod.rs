//! Capability providers for clusters, DNS, load balancers, identity, containers and fleets.
//!
//! Each is configuration written in `topology!` (`K8sCluster => Kube { context: "homelab" }`).
//! [`Kube`], [`MetalLb`] and [`CoreDns`] talk to a real Kubernetes API server (server-side apply,
//! see [`Kube`]); [`Keycloak`] registers applications through Keycloak's admin REST API (see
//! [`keycloak`]); `NatsFleet` keeps each device's desired state in NATS JetStream key-value (see
//! [`nats`]); [`Podman`] runs containers on the local host through podman's CLI (see
//! [`podman`]). The local providers (`LocalFiles`, `LocalProcesses`) are fully functional.

mod helm;
pub mod keycloak;
pub(crate) mod kube;
pub mod nats;
pub mod podman;

pub use self::helm::{HelmCli, parse_documents};
pub use self::kube::{
    DNS_FIELD_MANAGER, FIELD_MANAGER, Kube, LB_FIELD_MANAGER, MetalLb, POOL_ANNOTATION, ZONE_LABEL,
    dns_configmap_name, pool_name,
};

use harmony_dsl::value::{DomainName, HttpUrl, NatsUrl};
use harmony_dsl::{Placement, Provider};

/// CoreDNS serving a zone, running on a control-plane host of a cluster: the records are a
/// ConfigMap CoreDNS serves the zone from (see the module docs of `providers::kube::coredns`
/// in the source, and the book's chapter 7).
#[derive(Debug, Clone, Provider)]
#[provider(host(labels(control_plane)))]
pub struct CoreDns {
    /// Host it runs on.
    pub on: Placement,
    /// Zone it is authoritative for, e.g. `home.arpa`.
    pub zone: DomainName,
    /// kubeconfig context of its cluster (empty: the kubeconfig's current context).
    #[provider(default)]
    pub context: String,
    /// kubeconfig file (unset: `$KUBECONFIG`, else `~/.kube/config`).
    pub kubeconfig: Option<String>,
    /// Namespace of the records' ConfigMap.
    #[provider(default = "kube-system")]
    pub namespace: String,
}

/// Keycloak realm issuing OIDC clients, managed through its admin REST API (see
/// [`keycloak`]).
#[derive(Debug, Clone, Provider)]
pub struct Keycloak {
    /// Base URL, e.g. `https://sso.example.com`: `http://` or `https://`.
    pub url: HttpUrl,
    /// Realm the applications are registered in.
    pub realm: String,
    /// Realm of the client Harmony authenticates as.
    #[provider(default = "master")]
    pub token_realm: String,
    /// Client Harmony authenticates as (client-credentials grant); it needs the
    /// `manage-clients` role of `realm`.
    #[provider(default = "harmony")]
    pub admin_client: String,
    /// Environment variable holding that client's secret.
    #[provider(default = "HARMONY_KEYCLOAK_CLIENT_SECRET")]
    pub secret_env: String,
}

/// Podman on one host, running 64-bit x86 or ARM containers: the machine Harmony runs on (see
/// [`podman`]).
#[derive(Debug, Clone, Provider)]
pub struct Podman {
    /// Host it runs on.
    pub on: Placement,
    /// `containers.conf` podman runs with (unset: `$CONTAINERS_CONF`, else podman's own).
    pub containers_conf: Option<String>,
    /// Private directory for the key of the spec digests (unset: `$HARMONY_STATE_DIR/podman`,
    /// else `.harmony/podman` in the current directory).
    pub state_dir: Option<String>,
}

/// A fleet of devices coordinated over NATS JetStream, 64-bit ARM field devices.
#[derive(Debug, Clone, Provider)]
#[provider(host(arch = aarch64))]
pub struct NatsFleet {
    /// NATS server URL: `nats://` or `tls://`, e.g. `nats://nats.example.com:4222`.
    pub url: NatsUrl,
    /// The devices of the fleet.
    pub devices: Vec<Placement>,
}
