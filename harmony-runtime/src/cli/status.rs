//! `status`: the engine's status document, printed.

use harmony_dsl::Topology;

use super::{ExitStatus, Output};
use crate::engine::{Engine, StatusDocument};

pub(super) fn print<T: Topology>(
    out: &Output,
    engine: &Engine<T>,
    doc: &StatusDocument,
) -> ExitStatus {
    if out.json {
        out.print_json(doc);
        return ExitStatus::Ok;
    }
    println!("topology `{}`", doc.topology);
    for host in engine.topology().hosts() {
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
