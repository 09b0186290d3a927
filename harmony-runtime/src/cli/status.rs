//! `status`: what the state file records, and the topology's capabilities.

use harmony_dsl::{Operation, Topology};
use serde::Serialize;

use super::{Ctx, ExitStatus};
use crate::report::SCHEMA_VERSION;

/// One capability and its provider.
#[derive(Debug, Serialize)]
struct CapabilityDoc {
    capability: String,
    provider: String,
}

/// One applied resource.
#[derive(Debug, Serialize)]
struct ResourceDoc {
    resource: String,
    plan: String,
    score: String,
    applied_at: String,
    applied_at_unix: u64,
    hash: String,
    operation: Operation,
}

/// Live status reported by one capability's provider.
#[derive(Debug, Serialize)]
struct LiveDoc {
    capability: String,
    provider: String,
    /// What the provider reports (empty when it reports nothing live).
    status: Vec<harmony_dsl::LiveStatus>,
    /// Why it could not tell, when it could not.
    error: Option<String>,
}

/// `status --json`.
#[derive(Debug, Serialize)]
struct StatusDoc {
    schema_version: u32,
    command: &'static str,
    topology: &'static str,
    state_file: String,
    capabilities: Vec<CapabilityDoc>,
    resources: Vec<ResourceDoc>,
    live: Vec<LiveDoc>,
}

/// How long providers get to report live status.
const LIVE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

pub(super) async fn run<T: Topology>(ctx: &Ctx<T>) -> ExitStatus {
    let state = match ctx.load_state() {
        Ok(state) => state,
        Err(status) => return status,
    };
    let capabilities: Vec<CapabilityDoc> = ctx
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
        .filter(|(_, r)| ctx.only.as_ref().is_none_or(|only| &r.score == only))
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
    let live =
        match tokio::time::timeout(LIVE_TIMEOUT, ctx.topology.capabilities().live_status()).await {
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
    let doc = StatusDoc {
        schema_version: SCHEMA_VERSION,
        command: "status",
        topology: T::NAME,
        state_file: ctx.state.state_file().display().to_string(),
        capabilities,
        resources,
        live,
    };
    if ctx.out.json {
        ctx.out.print_json(&doc);
        return ExitStatus::Ok;
    }
    println!("topology `{}`", doc.topology);
    for host in ctx.topology.hosts() {
        match &host.address {
            Some(address) => println!("  host {} ({}, {address})", host.name, host.arch),
            None => println!("  host {} ({})", host.name, host.arch),
        }
    }
    for c in &doc.capabilities {
        println!("  capability {} => {}", c.capability, c.provider);
    }
    if doc.resources.is_empty() {
        println!("nothing applied yet ({} has no resources)", doc.state_file);
    } else {
        println!("applied ({}):", doc.state_file);
        for r in &doc.resources {
            println!(
                "  {}  [{} / {}]  {}  {}",
                r.resource,
                r.plan,
                r.score,
                r.applied_at,
                &r.hash[..r.hash.len().min(12)]
            );
        }
    }
    for l in &doc.live {
        if let Some(error) = &l.error {
            println!(
                "live {} ({}): cannot tell: {error}",
                l.capability, l.provider
            );
        }
        for line in &l.status {
            println!(
                "live {} ({}): {}  {}  {}",
                l.capability, l.provider, line.subject, line.state, line.detail
            );
        }
    }
    ExitStatus::Ok
}
