//! Capability traits: the seam between scores (domain) and providers (adapters).
//!
//! A score names the capabilities it needs (`#[score(requires(K8sCluster))]`), never a provider.
//! A topology binds each capability to a provider (`K8sCluster => Kube { .. }`). Every capability
//! comes with a `Provides*` marker trait that `topology!` implements and scores require, so a
//! score placed on a topology that lacks the capability is a compile error naming both.
//!
//! The capabilities below are declared exactly as a crate of your own declares one (see the book's
//! chapter "Your own capability" and `examples/certificate-authority`): `capability!` also makes
//! the runtime able to plan, apply, prune, render and save its operations
//! ([`Manages`](crate::operation::Manages) and the registry of [`crate::operation`]).

use std::sync::Arc;

use crate::resource::{
    ContainerSpec, DeviceSpec, DnsRecord, FileSpec, HelmRelease, IdentityClient, KubeObject,
    LbService, ProcessSpec,
};

/// Implemented by `capability!` for every `dyn Capability` type: its name, and how it lifts to
/// the higher-order topologies ([`Failover`](crate::higher_order::Failover),
/// [`Decentralized`](crate::higher_order::Decentralized)).
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a capability",
    label = "not a capability",
    note = "`requires(...)` names capabilities declared with `capability!`, such as `K8sCluster`, `DnsServer`, `LoadBalancer` or `Fleet`"
)]
pub trait Capability: Send + Sync + 'static {
    /// The capability's name.
    const NAME: &'static str;
    /// The capability over a primary and a replica: applied to both, read from the primary.
    fn failover(primary: Arc<Self>, replica: Arc<Self>) -> Arc<Self>;
    /// The capability over many sites: applied to every site, outcomes aggregated.
    fn fan_out(sites: Vec<Arc<Self>>) -> Arc<Self>;
    /// The provider's live status (see each capability's `status`).
    fn live_status(
        provider: &Arc<Self>,
    ) -> crate::BoxFuture<'_, crate::Result<Vec<crate::LiveStatus>>>;
}

harmony_derive::capability! {
    /// A Kubernetes cluster: applies typed objects (server-side apply).
    K8sCluster(ProvidesK8sCluster) manages KubeObject
}
harmony_derive::capability! {
    /// An authoritative DNS server for one or more zones.
    DnsServer(ProvidesDnsServer) manages DnsRecord
}
harmony_derive::capability! {
    /// Exposes services on routable addresses (e.g. MetalLB address pools).
    LoadBalancer(ProvidesLoadBalancer) manages LbService
}
harmony_derive::capability! {
    /// Issues identities to applications (OIDC clients).
    IdentityProvider(ProvidesIdentityProvider) manages IdentityClient
}
harmony_derive::capability! {
    /// Runs containers on a host (Podman).
    ContainerRuntime(ProvidesContainerRuntime) manages ContainerSpec
}
harmony_derive::capability! {
    /// A fleet of devices, each reconciling its own desired state (NATS JetStream).
    Fleet(ProvidesFleet) manages DeviceSpec
}
harmony_derive::capability! {
    /// Managed files and directories on the local machine.
    FileSystem(ProvidesFileSystem) manages FileSpec
}
harmony_derive::capability! {
    /// Supervised local processes: started, health-checked, restarted on change, stopped when removed.
    ProcessSupervisor(ProvidesProcessSupervisor) manages ProcessSpec
}
harmony_derive::capability! {
    /// Inflates Helm charts into plain Kubernetes objects (`helm template`), offline. The objects
    /// are then planned, applied, pruned and rendered through [`K8sCluster`] like any other: no
    /// Helm release is installed and no release secret is written to the cluster.
    HelmCommand(ProvidesHelmCommand) inflate HelmRelease into Vec<KubeObject>
}

/// A chart step is only run as it is when its inflation failed while the plan was prepared
/// (the runtime replaces it by the chart's objects otherwise): inflating again fails with Helm's
/// own error. Written by hand, as a user would for a capability that is not `manages Resource`.
impl crate::operation::Manages for dyn HelmCommand {
    type Resource = HelmRelease;
    fn inspect<'a>(
        provider: &'a Self,
        resource: &'a HelmRelease,
    ) -> crate::BoxFuture<'a, crate::Result<crate::Inspection>> {
        Box::pin(crate::operation::not_inflated(provider, resource))
    }
    fn apply<'a>(
        provider: &'a Self,
        resource: &'a HelmRelease,
    ) -> crate::BoxFuture<'a, crate::Result<crate::Outcome>> {
        Box::pin(crate::operation::not_inflated(provider, resource))
    }
    fn remove<'a>(
        provider: &'a Self,
        resource: &'a HelmRelease,
    ) -> crate::BoxFuture<'a, crate::Result<crate::Outcome>> {
        Box::pin(crate::operation::not_inflated(provider, resource))
    }
}
crate::operation_kind!(dyn HelmCommand);
