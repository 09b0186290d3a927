//! The `MetalLb` provider: [`LoadBalancer`] on a cluster running MetalLB.
//!
//! Exposing `namespace/name` means: the pool (`IPAddressPool` and `L2Advertisement`
//! `harmony-<cidr>` in MetalLB's namespace, applied by field manager `harmony`) exists, and the
//! Service is of type `LoadBalancer` with the annotation `metallb.universe.tf/address-pool`
//! naming the pool. Those two Service fields are applied by their own field manager,
//! `harmony-loadbalancer`, so they never fight with the Service's other fields (applied by
//! `harmony` for the score that declared the Service). Removing the exposure releases exactly
//! those fields; the pool stays (other services may use it).

use harmony_dsl::capability::LoadBalancer;
use harmony_dsl::resource::{KubeObject, LbService, MANAGED_BY};
use harmony_dsl::value::{Cidr, Duration};
use harmony_dsl::{BoxFuture, Change, Error, Inspection, Observed, Outcome, Provider, Result};
use kube::Api;
use kube::api::{DynamicObject, Patch, PatchParams};
use serde_json::{Value, json};

use super::client::{Connection, Target};
use super::diff_lines;
use super::errors::from_kube;

/// The field manager of the Service fields that expose it.
pub const LB_FIELD_MANAGER: &str = "harmony-loadbalancer";
/// The Service annotation naming the MetalLB address pool.
pub const POOL_ANNOTATION: &str = "metallb.universe.tf/address-pool";

/// MetalLB handing out addresses from a pool.
#[derive(Debug, Clone, Provider)]
pub struct MetalLb {
    /// Address pool, e.g. `192.168.1.200/29`.
    pub pool: Cidr,
    /// kubeconfig context of the cluster MetalLB runs in (empty: the current context).
    #[provider(default)]
    pub context: String,
    /// kubeconfig file (unset: `$KUBECONFIG`, else `~/.kube/config`).
    pub kubeconfig: Option<String>,
    /// The namespace MetalLB runs in.
    #[provider(default = "metallb-system")]
    pub namespace: String,
    /// How long `apply` waits for the Service to get its address (`0s`: no wait); under the
    /// step timeout (120 s by default).
    #[provider(default = "60s")]
    pub address_timeout: Duration,
}

/// `harmony-10-0-0-240-28` for `10.0.0.240/28`.
pub fn pool_name(pool: &Cidr) -> String {
    let text = pool.to_string().replace(['.', '/', ':'], "-");
    format!("harmony-{}", text.trim_matches('-'))
}

fn labeled(api_version: &str, kind: &str, name: &str, ns: &str, body: Value) -> KubeObject {
    KubeObject {
        api_version: api_version.into(),
        kind: kind.into(),
        name: name.into(),
        namespace: Some(ns.into()),
        labels: [(
            "app.kubernetes.io/component".to_string(),
            "LoadBalancer".to_string(),
        )]
        .into(),
        body: body.as_object().cloned().unwrap_or_default(),
        secret_data: Default::default(),
    }
}

impl MetalLb {
    fn target(&self) -> Target {
        Target {
            kubeconfig: self.kubeconfig.clone(),
            context: self.context.clone(),
        }
    }

    fn pool_for(&self, service: &LbService) -> Cidr {
        service.pool.unwrap_or(self.pool)
    }

    /// The `IPAddressPool` and `L2Advertisement` for `pool`.
    pub fn pool_objects(&self, pool: &Cidr) -> [KubeObject; 2] {
        let name = pool_name(pool);
        [
            labeled(
                "metallb.io/v1beta1",
                "IPAddressPool",
                &name,
                &self.namespace,
                json!({ "spec": { "addresses": [pool.to_string()], "autoAssign": false } }),
            ),
            labeled(
                "metallb.io/v1beta1",
                "L2Advertisement",
                &name,
                &self.namespace,
                json!({ "spec": { "ipAddressPools": [name] } }),
            ),
        ]
    }

    /// What `harmony-loadbalancer` applies to the Service.
    fn service_intent(service: &LbService, pool: Option<&Cidr>) -> Value {
        let mut intent = json!({
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": { "name": service.name, "namespace": service.namespace },
        });
        if let Some(pool) = pool {
            intent["metadata"]["annotations"] = json!({ POOL_ANNOTATION: pool_name(pool) });
            intent["metadata"]["labels"] = json!({ MANAGED_BY.0: MANAGED_BY.1 });
            intent["spec"] = json!({ "type": "LoadBalancer" });
        }
        intent
    }

    async fn services(&self, ns: &str) -> Result<(Connection, Api<DynamicObject>)> {
        let conn = Connection::get(&self.target()).await?;
        let resource = conn.resource("v1", "Service").await?;
        let api = Api::namespaced_with(conn.client.clone(), ns, &resource.api);
        Ok((conn, api))
    }

    async fn get_service(
        api: &Api<DynamicObject>,
        service: &LbService,
    ) -> Result<Option<DynamicObject>> {
        api.get_opt(&service.name).await.map_err(|e| {
            from_kube(
                e,
                &format!("read Service {}/{}", service.namespace, service.name),
                None,
            )
        })
    }

    async fn inspect_service(&self, service: &LbService) -> Result<Inspection> {
        let pool = self.pool_for(service);
        let (_, api) = self.services(&service.namespace).await?;
        let Some(live) = Self::get_service(&api, service).await? else {
            return Ok(Inspection {
                change: Change::Create {
                    summary: format!(
                        "expose {}/{} on port {} from pool {}",
                        service.namespace,
                        service.name,
                        service.port,
                        pool_name(&pool)
                    ),
                },
                observed: Observed::Absent,
            });
        };
        let planned = api
            .patch(
                &service.name,
                &PatchParams::apply(LB_FIELD_MANAGER).dry_run(),
                &Patch::Apply(Self::service_intent(service, Some(&pool))),
            )
            .await
            .map_err(|e| {
                from_kube(
                    e,
                    &format!("dry-run expose {}/{}", service.namespace, service.name),
                    None,
                )
            })?;
        let json = |o: &DynamicObject| serde_json::to_value(o).unwrap_or(Value::Null);
        let lines = diff_lines("Service", &json(&live), &json(&planned));
        Ok(Inspection {
            change: if lines.is_empty() {
                Change::None
            } else {
                Change::Update { diff: lines }
            },
            observed: Observed::ResourceVersion {
                value: live.metadata.resource_version.unwrap_or_default(),
            },
        })
    }

    async fn apply_service(&self, service: &LbService) -> Result<Outcome> {
        let pool = self.pool_for(service);
        let what = format!("Service {}/{}", service.namespace, service.name);
        let (conn, api) = self.services(&service.namespace).await?;
        let mut changed = Vec::new();
        for object in self.pool_objects(&pool) {
            let resource = conn.resource(&object.api_version, &object.kind).await?;
            let pools: Api<DynamicObject> =
                Api::namespaced_with(conn.client.clone(), &self.namespace, &resource.api);
            let describe = super::describe(&object);
            let before = pools
                .get_opt(&object.name)
                .await
                .map_err(|e| from_kube(e, &format!("read {describe}"), None))?
                .and_then(|o| o.metadata.resource_version);
            let after = pools
                .patch(
                    &object.name,
                    &PatchParams::apply(super::FIELD_MANAGER),
                    &Patch::Apply(object.to_manifest()),
                )
                .await
                .map_err(|e| from_kube(e, &format!("apply {describe}"), None))?
                .metadata
                .resource_version;
            if before != after {
                changed.push(describe);
            }
        }
        let Some(live) = Self::get_service(&api, service).await? else {
            return Err(Error::permanent(format!(
                "{what} does not exist: the load balancer exposes a Service the plan declares before it"
            )));
        };
        let applied = api
            .patch(
                &service.name,
                &PatchParams::apply(LB_FIELD_MANAGER),
                &Patch::Apply(Self::service_intent(service, Some(&pool))),
            )
            .await
            .map_err(|e| from_kube(e, &format!("expose {what}"), None))?;
        if live.metadata.resource_version != applied.metadata.resource_version {
            changed.push(format!("{what} as LoadBalancer"));
        }
        let address = self.wait_address(&api, service, applied).await?;
        if changed.is_empty() {
            return Ok(Outcome::Unchanged);
        }
        Ok(Outcome::changed(format!(
            "exposed {}/{} on {}:{} (pool {}; applied {})",
            service.namespace,
            service.name,
            address.as_deref().unwrap_or("<address pending>"),
            service.port,
            pool_name(&pool),
            changed.join(", ")
        )))
    }

    /// The Service's load-balancer address, waiting up to `address_timeout` for it.
    async fn wait_address(
        &self,
        api: &Api<DynamicObject>,
        service: &LbService,
        mut current: DynamicObject,
    ) -> Result<Option<String>> {
        let timeout = self.address_timeout.as_std();
        let started = std::time::Instant::now();
        loop {
            let address = current
                .data
                .pointer("/status/loadBalancer/ingress/0")
                .and_then(|i| i.get("ip").or_else(|| i.get("hostname")))
                .and_then(Value::as_str)
                .map(str::to_string);
            if address.is_some() || timeout.is_zero() {
                return Ok(address);
            }
            if started.elapsed() >= timeout {
                return Err(Error::permanent(format!(
                    "Service {}/{} got no load-balancer address after {}s: is MetalLB running, and does pool {} have a free address?",
                    service.namespace,
                    service.name,
                    timeout.as_secs(),
                    pool_name(&self.pool_for(service))
                )));
            }
            tokio::time::sleep(std::time::Duration::from_millis(250)).await;
            current = match Self::get_service(api, service).await? {
                Some(object) => object,
                None => {
                    return Err(Error::permanent(format!(
                        "Service {}/{} was deleted while waiting for its address",
                        service.namespace, service.name
                    )));
                }
            };
        }
    }

    async fn remove_service(&self, service: &LbService) -> Result<Outcome> {
        let what = format!("Service {}/{}", service.namespace, service.name);
        let (_, api) = self.services(&service.namespace).await?;
        // The apply that releases our fields carries the live object's `resourceVersion` as a
        // precondition: a prune removes the Service in parallel, and an unconditional apply landing
        // after that delete would create the Service again.
        for _ in 0..5 {
            let Some(live) = Self::get_service(&api, service).await? else {
                return Ok(Outcome::Unchanged);
            };
            let mut release = Self::service_intent(service, None);
            release["metadata"]["resourceVersion"] = live
                .metadata
                .resource_version
                .clone()
                .unwrap_or_default()
                .into();
            let released = match api
                .patch(
                    &service.name,
                    &PatchParams::apply(LB_FIELD_MANAGER),
                    &Patch::Apply(release),
                )
                .await
            {
                Ok(released) => released,
                // Changed or deleted since we read it: read it again.
                Err(kube::Error::Api(status)) if matches!(status.code, 404 | 409 | 422) => {
                    continue;
                }
                Err(e) => return Err(from_kube(e, &format!("stop exposing {what}"), None)),
            };
            return if live.metadata.resource_version == released.metadata.resource_version {
                Ok(Outcome::Unchanged)
            } else {
                Ok(Outcome::changed(format!(
                    "{what} is no longer exposed by the load balancer"
                )))
            };
        }
        Err(Error::transient(format!(
            "stop exposing {what}: the Service kept changing while its load-balancer fields were released"
        )))
    }
}

impl LoadBalancer for MetalLb {
    fn inspect<'a>(&'a self, service: &'a LbService) -> BoxFuture<'a, Result<Inspection>> {
        Box::pin(self.inspect_service(service))
    }

    fn apply<'a>(&'a self, service: &'a LbService) -> BoxFuture<'a, Result<Outcome>> {
        Box::pin(self.apply_service(service))
    }

    fn remove<'a>(&'a self, service: &'a LbService) -> BoxFuture<'a, Result<Outcome>> {
        Box::pin(self.remove_service(service))
    }
}
