//! The `Kube` provider: [`K8sCluster`] on a real API server through the `kube` client.
//!
//! - **inspect** (`plan`): GET the live object; absent → create. Present → server-side apply
//!   dry-run (`dryRun=All`, field manager `harmony`) and one diff line per field that would
//!   change ([`diff`]), [`Observed::ResourceVersion`] of the live object.
//! - **apply**: server-side apply with field manager `harmony`. Unchanged when the object's
//!   `resourceVersion` did not move. A 409 names the other field manager and fields; it is taken
//!   over only with `force_conflicts: true` or `apply --force-conflicts`. Deployments and
//!   StatefulSets are then waited for (rollout conditions, [`ready`]) up to `ready_timeout`.
//! - **remove** (prune): DELETE; already gone is unchanged.
//!
//! 429, 5xx and connection failures are [transient](harmony_dsl::ErrorKind::Transient): the
//! runtime retries them, after the wait a 429/503 asks for (`Retry-After`, at most 30 s) or
//! else its own backoff.
//!
//! Which cluster: `kubeconfig` (a path; unset: `$KUBECONFIG`, else `~/.kube/config`) and
//! `context` (empty: the file's current context). Every field can be overridden from the
//! environment as `HARMONY_<TOPOLOGY>_K8S_CLUSTER_<FIELD>`, e.g.
//! `HARMONY_HOMELAB_K8S_CLUSTER_CONTEXT=staging`.

pub(crate) mod client;
mod coredns;
mod diff;
mod errors;
mod metallb;
mod ready;

use harmony_dsl::capability::K8sCluster;
use harmony_dsl::resource::KubeObject;
use harmony_dsl::value::Duration;
use harmony_dsl::{BoxFuture, Change, Error, Inspection, Observed, Outcome, Provider, Result};
use kube::Api;
use kube::api::{DeleteParams, DynamicObject, Patch, PatchParams};

pub use coredns::{DNS_FIELD_MANAGER, ZONE_LABEL, configmap_name as dns_configmap_name};
use diff::diff_lines;
pub use metallb::{LB_FIELD_MANAGER, MetalLb, POOL_ANNOTATION, pool_name};

use client::{Connection, Target};
use errors::from_kube;

/// The field manager Harmony applies as.
pub const FIELD_MANAGER: &str = "harmony";

/// A Kubernetes cluster reached through a kubeconfig context.
#[derive(Debug, Clone, Provider)]
pub struct Kube {
    /// kubeconfig context to use (empty: the kubeconfig's current context).
    pub context: String,
    /// kubeconfig file (unset: `$KUBECONFIG`, else `~/.kube/config`).
    pub kubeconfig: Option<String>,
    /// Take over fields another field manager owns instead of failing with a conflict.
    #[provider(default = false)]
    pub force_conflicts: bool,
    /// How long `apply` waits for a Deployment or StatefulSet to roll out (`0s`: no wait). Keep
    /// it under the step timeout (120 s by default), so that a slow rollout is reported with
    /// what is not ready rather than as a timed-out step.
    #[provider(default = "100s")]
    pub ready_timeout: Duration,
}

impl Kube {
    /// A provider for `context` in the default kubeconfig, with the default options.
    pub fn new(context: impl Into<String>) -> Self {
        Kube {
            context: context.into(),
            kubeconfig: None,
            force_conflicts: false,
            ready_timeout: Duration::from_nanos(100_000_000_000),
        }
    }

    fn target(&self) -> Target {
        Target {
            kubeconfig: self.kubeconfig.clone(),
            context: self.context.clone(),
        }
    }

    fn apply_params(&self) -> PatchParams {
        let params = PatchParams::apply(FIELD_MANAGER);
        if self.force_conflicts || crate::engine::RunContext::current_options().force_conflicts {
            params.force()
        } else {
            params
        }
    }

    /// The API for `object`'s kind and namespace, checking the namespace against the kind's scope.
    async fn api(&self, object: &KubeObject) -> Result<Api<DynamicObject>> {
        let conn = Connection::get(&self.target()).await?;
        let resource = conn.resource(&object.api_version, &object.kind).await?;
        match (&object.namespace, resource.namespaced) {
            (Some(ns), true) => Ok(Api::namespaced_with(conn.client, ns, &resource.api)),
            (None, false) => Ok(Api::all_with(conn.client, &resource.api)),
            (None, true) => Err(Error::permanent(format!(
                "{} is namespaced: the object needs a namespace",
                describe(object)
            ))),
            (Some(ns), false) => Err(Error::permanent(format!(
                "{} is cluster-scoped: it cannot be placed in namespace `{ns}`",
                describe(object)
            ))),
        }
    }

    fn conflict_hint(&self) -> String {
        format!(
            "Harmony does not take fields over from another field manager unless told to: run `apply --force-conflicts`, or set `force_conflicts: true` on the `{}` provider (environment: HARMONY_<TOPOLOGY>_K8S_CLUSTER_FORCE_CONFLICTS=true)",
            Self::NAME
        )
    }

    async fn inspect_object(&self, object: &KubeObject) -> Result<Inspection> {
        let what = describe(object);
        let api = self.api(object).await?;
        let live = api
            .get_opt(&object.name)
            .await
            .map_err(|e| from_kube(e, &format!("read {what}"), None))?;
        let Some(live) = live else {
            return Ok(Inspection {
                change: Change::Create {
                    summary: format!("create {what}"),
                },
                observed: Observed::Absent,
            });
        };
        let version = live.metadata.resource_version.clone().unwrap_or_default();
        let planned = api
            .patch(
                &object.name,
                &self.apply_params().dry_run(),
                &Patch::Apply(object.to_manifest()),
            )
            .await
            .map_err(|e| {
                from_kube(
                    e,
                    &format!("dry-run apply {what}"),
                    Some(&self.conflict_hint()),
                )
            })?;
        let lines = diff_lines(&object.kind, &to_json(&live)?, &to_json(&planned)?);
        Ok(Inspection {
            change: if lines.is_empty() {
                Change::None
            } else {
                Change::Update { diff: lines }
            },
            observed: Observed::ResourceVersion { value: version },
        })
    }

    async fn apply_object(&self, object: &KubeObject) -> Result<Outcome> {
        let what = describe(object);
        let api = self.api(object).await?;
        let before = api
            .get_opt(&object.name)
            .await
            .map_err(|e| from_kube(e, &format!("read {what}"), None))?
            .map(|o| o.metadata.resource_version.unwrap_or_default());
        let applied = api
            .patch(
                &object.name,
                &self.apply_params(),
                &Patch::Apply(object.to_manifest()),
            )
            .await
            .map_err(|e| from_kube(e, &format!("apply {what}"), Some(&self.conflict_hint())))?;
        let after = applied
            .metadata
            .resource_version
            .clone()
            .unwrap_or_default();
        let outcome = match before {
            None => Outcome::changed(format!("created {what} (resourceVersion {after})")),
            Some(before) if before == after => Outcome::Unchanged,
            Some(before) => Outcome::changed(format!(
                "updated {what} (resourceVersion {before} -> {after})"
            )),
        };
        let timeout = self.ready_timeout.as_std();
        if ready::is_workload(object) && !timeout.is_zero() {
            ready::wait(&api, object, &what, timeout).await?;
        }
        Ok(outcome)
    }

    async fn remove_object(&self, object: &KubeObject) -> Result<Outcome> {
        let what = describe(object);
        let api = self.api(object).await?;
        match api.delete(&object.name, &DeleteParams::default()).await {
            Ok(_) => Ok(Outcome::changed(format!("deleted {what}"))),
            Err(kube::Error::Api(status)) if status.code == 404 => Ok(Outcome::Unchanged),
            Err(e) => Err(from_kube(e, &format!("delete {what}"), None)),
        }
    }
}

fn to_json(object: &DynamicObject) -> Result<serde_json::Value> {
    serde_json::to_value(object)
        .map_err(|e| Error::permanent("cannot encode an object as JSON").with_source(e))
}

/// `Deployment shop/web`, `Namespace shop`.
pub fn describe(object: &KubeObject) -> String {
    match &object.namespace {
        Some(ns) => format!("{} {ns}/{}", object.kind, object.name),
        None => format!("{} {}", object.kind, object.name),
    }
}

impl K8sCluster for Kube {
    fn inspect<'a>(&'a self, object: &'a KubeObject) -> BoxFuture<'a, Result<Inspection>> {
        Box::pin(self.inspect_object(object))
    }

    fn apply<'a>(&'a self, object: &'a KubeObject) -> BoxFuture<'a, Result<Outcome>> {
        Box::pin(self.apply_object(object))
    }

    fn remove<'a>(&'a self, object: &'a KubeObject) -> BoxFuture<'a, Result<Outcome>> {
        Box::pin(self.remove_object(object))
    }
}
