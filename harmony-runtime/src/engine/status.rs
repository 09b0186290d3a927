//! `status`: what the state file records, the topology's capabilities and their live status.

use harmony_dsl::{Operation, Topology};
use serde::Serialize;

use super::{Engine, EngineError};
use crate::report::SCHEMA_VERSION;

/// One capability and its provider.
#[derive(Debug, Clone, Serialize)]
pub struct CapabilityDoc {
    /// The capability.
    pub capability: String,
    /// Its provider.
    pub provider: String,
}

/// One applied resource.
#[derive(Debug, Clone, Serialize)]
pub struct ResourceDoc {
    /// Resource id.
    pub resource: String,
    /// The plan that applied it.
    pub plan: String,
    /// The score it belongs to.
    pub score: String,
    /// When (RFC 3339).
    pub applied_at: String,
    /// When (Unix seconds).
    pub applied_at_unix: u64,
    /// Digest of what was applied.
    pub hash: String,
    /// The operation as recorded.
    pub operation: Operation,
}

/// Live status reported by one capability's provider.
#[derive(Debug, Clone, Serialize)]
pub struct LiveDoc {
    /// The capability.
    pub capability: String,
    /// Its provider.
    pub provider: String,
    /// What the provider reports (empty when it reports nothing live).
    pub status: Vec<harmony_dsl::LiveStatus>,
    /// Why it could not tell, when it could not.
    pub error: Option<String>,
}

/// `status --json`.
#[derive(Debug, Clone, Serialize)]
pub struct StatusDocument {
    /// The JSON schema version.
    pub schema_version: u32,
    /// Always `"status"`.
    pub command: &'static str,
    /// Topology name.
    pub topology: &'static str,
    /// The state file read.
    pub state_file: String,
    /// Capabilities and providers.
    pub capabilities: Vec<CapabilityDoc>,
    /// Applied resources.
    pub resources: Vec<ResourceDoc>,
    /// Live status by provider.
    pub live: Vec<LiveDoc>,
}

/// How long providers get to report live status.
const LIVE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

pub(super) async fn status<T: Topology>(engine: &Engine<T>) -> Result<StatusDocument, EngineError> {
    let state = super::record::load(&engine.state, T::NAME)?;
    let capabilities: Vec<CapabilityDoc> = engine
        .topology
        .capabilities()
        .names()
        .into_iter()
        .map(|(c, p)| CapabilityDoc {
            capability: c.to_string(),
            provider: p.to_string(),
        })
        .collect();
    let resources: Vec<ResourceDoc> = state
        .resources
        .into_iter()
        .filter(|(_, r)| engine.only.as_ref().is_none_or(|only| &r.score == only))
        .map(|(id, r)| ResourceDoc {
            resource: id,
            plan: r.plan,
            score: r.score,
            applied_at: r.applied_at,
            applied_at_unix: r.applied_at_unix,
            hash: r.hash,
            operation: r.operation,
        })
        .collect();
    let live = match tokio::time::timeout(
        LIVE_TIMEOUT,
        engine.topology.capabilities().live_status(),
    )
    .await
    {
        Ok(all) => all
            .into_iter()
            .map(|(capability, provider, result)| match result {
                Ok(status) => LiveDoc {
                    capability: capability.to_string(),
                    provider,
                    status,
                    error: None,
                },
                Err(e) => LiveDoc {
                    capability: capability.to_string(),
                    provider,
                    status: Vec::new(),
                    error: Some(e.to_string()),
                },
            })
            .collect(),
        Err(_) => vec![LiveDoc {
            capability: "*".to_string(),
            provider: "*".to_string(),
            status: Vec::new(),
            error: Some(format!(
                "providers did not report within {}s",
                LIVE_TIMEOUT.as_secs()
            )),
        }],
    };
    Ok(StatusDocument {
        schema_version: SCHEMA_VERSION,
        command: "status",
        topology: T::NAME,
        state_file: engine.state.state_file().display().to_string(),
        capabilities,
        resources,
        live,
    })
}
