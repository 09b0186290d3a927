//! The run context: options and connection pools of one [`Engine`](super::Engine), handed to
//! providers with each step.
//!
//! Providers are built by `topology!` from the infrastructure file, before any engine exists, and
//! the capability traits take no context parameter. So the engine hands its context to every
//! inspect, execute and remove call by running that call's future inside [`RunContext::scope`]:
//! the context belongs to the future (it moves with it between worker threads), two engines in one
//! process each see their own, and nothing is installed on threads or in statics. A provider reads
//! it with [`RunContext::current`]; a call made outside any engine (a provider used on its own)
//! sees the defaults and connects afresh.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

use harmony_dsl::smoke::Prober;

use crate::providers::kube::client::{Connection, Target};
use crate::providers::nats::FleetStore;
use crate::providers::nats::rollout::RolloutRegistry;

tokio::task_local! {
    static CURRENT: Arc<RunContext>;
}

/// Options of one engine that providers honour.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunOptions {
    /// Take over Kubernetes fields another field manager owns (`apply --force-conflicts`),
    /// whatever the `Kube` provider's own `force_conflicts` says.
    pub force_conflicts: bool,
}

/// Options, the smoke prober and the connection pools of one engine.
pub struct RunContext {
    /// Options providers honour.
    pub options: RunOptions,
    /// Performs smoke tests.
    pub prober: Arc<dyn Prober>,
    kube: Mutex<HashMap<Target, Connection>>,
    nats: Mutex<HashMap<(String, String), FleetStore>>,
    /// The fleet scores with a rollout policy in the current `apply`, and what to do with them.
    pub rollouts: RolloutRegistry,
}

impl std::fmt::Debug for RunContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunContext")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl Default for RunContext {
    fn default() -> Self {
        RunContext::new(RunOptions::default(), Arc::new(crate::smoke::TokioProber))
    }
}

impl RunContext {
    /// A context with `options`, `prober` and empty pools.
    pub fn new(options: RunOptions, prober: Arc<dyn Prober>) -> Self {
        RunContext {
            options,
            prober,
            kube: Mutex::new(HashMap::new()),
            nats: Mutex::new(HashMap::new()),
            rollouts: RolloutRegistry::default(),
        }
    }

    /// Runs `future` with `context` as the current context (see the module documentation).
    pub fn scope<F: Future>(
        context: Arc<RunContext>,
        future: F,
    ) -> impl Future<Output = F::Output> {
        CURRENT.scope(context, future)
    }

    /// The context of the engine running the calling provider code, if any.
    pub fn current() -> Option<Arc<RunContext>> {
        CURRENT.try_with(Arc::clone).ok()
    }

    /// The options in effect for the calling provider code (defaults outside any engine).
    pub fn current_options() -> RunOptions {
        CURRENT.try_with(|c| c.options).unwrap_or_default()
    }

    /// A pooled Kubernetes connection for `target`.
    pub(crate) fn kube_connection(&self, target: &Target) -> Option<Connection> {
        let pool = self.kube.lock().unwrap_or_else(|p| p.into_inner());
        pool.get(target).filter(|c| c.is_alive()).cloned()
    }

    /// Pools `connection` for `target`.
    pub(crate) fn keep_kube_connection(&self, target: &Target, connection: &Connection) {
        let mut pool = self.kube.lock().unwrap_or_else(|p| p.into_inner());
        pool.insert(target.clone(), connection.clone());
    }

    /// The pooled NATS store for (`url`, `namespace`).
    pub(crate) fn nats_store(&self, id: &(String, String)) -> Option<FleetStore> {
        let pool = self.nats.lock().unwrap_or_else(|p| p.into_inner());
        pool.get(id).cloned()
    }

    /// Pools `store` (`None`: forgets the pooled one).
    pub(crate) fn keep_nats_store(&self, id: (String, String), store: Option<FleetStore>) {
        let mut pool = self.nats.lock().unwrap_or_else(|p| p.into_inner());
        match store {
            Some(store) => pool.insert(id, store),
            None => pool.remove(&id),
        };
    }
}
