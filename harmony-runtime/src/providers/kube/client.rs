//! Building (and reusing) a `kube::Client` for a provider's kubeconfig and context, and the
//! discovery of each apiVersion/kind's resource (plural name, namespaced or not).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

use harmony_dsl::{Error, Result};
use kube::api::{ApiResource, GroupVersionKind};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::discovery::{ApiCapabilities, Scope};
use kube::{Client, Config};

use super::errors::from_kube;

/// Which cluster and credentials: the kubeconfig file (`None`: `$KUBECONFIG`, else
/// `~/.kube/config`) and the context in it (empty: the file's current context).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Target {
    pub kubeconfig: Option<String>,
    pub context: String,
}

/// A discovered resource: how to address objects of one apiVersion/kind.
#[derive(Debug, Clone)]
pub struct Resource {
    pub api: ApiResource,
    pub namespaced: bool,
}

/// A client and what it has discovered so far.
#[derive(Clone)]
pub struct Connection {
    pub client: Client,
    resources: Arc<Mutex<HashMap<(String, String), Resource>>>,
    /// Dropped when the tokio runtime the client's background task lives on shuts down.
    alive: Weak<()>,
}

impl Connection {
    /// The connection for `target`: the one pooled by the engine running this call (see
    /// [`RunContext`](crate::engine::RunContext)), else a new one (reads the kubeconfig). A
    /// `kube::Client` runs a background task on the runtime that built it; a pooled connection
    /// whose runtime is gone is built again.
    pub async fn get(target: &Target) -> Result<Connection> {
        let context = crate::engine::RunContext::current();
        if let Some(conn) = context.as_ref().and_then(|c| c.kube_connection(target)) {
            return Ok(conn);
        }
        let conn = Self::connect(target).await?;
        if let Some(context) = &context {
            context.keep_kube_connection(target, &conn);
        }
        Ok(conn)
    }

    /// Whether the runtime the client's background task lives on still runs.
    pub fn is_alive(&self) -> bool {
        self.alive.strong_count() > 0
    }

    async fn connect(target: &Target) -> Result<Connection> {
        let options = KubeConfigOptions {
            context: (!target.context.is_empty()).then(|| target.context.clone()),
            ..KubeConfigOptions::default()
        };
        let config = match &target.kubeconfig {
            Some(path) => {
                let file = Kubeconfig::read_from(path).map_err(|e| {
                    Error::permanent(format!("cannot read kubeconfig {path}")).with_source(e)
                })?;
                Config::from_custom_kubeconfig(file, &options).await
            }
            None => Config::from_kubeconfig(&options).await,
        }
        .map_err(|e| {
            Error::permanent(format!(
                "cannot load context `{}` from {}",
                target.context,
                target
                    .kubeconfig
                    .as_deref()
                    .unwrap_or("$KUBECONFIG or ~/.kube/config")
            ))
            .with_source(e)
        })?;
        let client = Client::try_from(config).map_err(|e| {
            Error::permanent(format!(
                "cannot build a client for context `{}`",
                target.context
            ))
            .with_source(e)
        })?;
        let alive = Arc::new(());
        let weak = Arc::downgrade(&alive);
        tokio::spawn(async move {
            let _alive = alive;
            std::future::pending::<()>().await;
        });
        Ok(Connection {
            client,
            resources: Arc::new(Mutex::new(HashMap::new())),
            alive: weak,
        })
    }

    /// The resource serving `api_version`/`kind`, discovered once per connection.
    pub async fn resource(&self, api_version: &str, kind: &str) -> Result<Resource> {
        let key = (api_version.to_string(), kind.to_string());
        if let Some(found) = self
            .resources
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key)
        {
            return Ok(found.clone());
        }
        let (group, version) = match api_version.split_once('/') {
            Some((g, v)) => (g, v),
            None => ("", api_version),
        };
        let gvk = GroupVersionKind::gvk(group, version, kind);
        let (api, caps): (ApiResource, ApiCapabilities) =
            kube::discovery::pinned_kind(&self.client, &gvk)
                .await
                .map_err(|e| match e {
                    kube::Error::Discovery(_) => Error::permanent(format!(
                        "the cluster does not serve kind `{kind}` in `{api_version}`"
                    )),
                    kube::Error::Api(status) if status.code == 404 => Error::permanent(format!(
                        "the cluster does not serve kind `{kind}` in `{api_version}` (no API `{api_version}`: is the CRD or the add-on installed?)"
                    )),
                    other => from_kube(other, &format!("discovery of {api_version} {kind}"), None),
                })?;
        let found = Resource {
            api,
            namespaced: caps.scope == Scope::Namespaced,
        };
        self.resources
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key, found.clone());
        Ok(found)
    }
}
