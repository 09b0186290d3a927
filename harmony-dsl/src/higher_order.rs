//! Higher-order topologies: [`Failover<T>`] (a primary and a replica of any topology) and
//! [`Decentralized<T>`] (many sites of one topology).
//!
//! They offer a capability exactly when their inner topology does
//! (`impl<C, T: HasCapability<C>> HasCapability<C> for Failover<T>`, which each capability's
//! `Provides*` marker follows), so placing a score on `Failover<HomeLab>` compiles when `HomeLab`
//! provides what it needs. At run time each capability is lifted: a failover applies
//! to both sides and reads from the primary; a decentralized topology applies to every site and
//! aggregates the outcomes. No trait objects for topologies: they stay compile-time types.

use std::future::Future;
use std::sync::Arc;

use crate::error::{Error, ErrorKind, Result};
use crate::outcome::{Change, Inspection, LiveStatus, Observed, Outcome};
use crate::topology::{CapabilityMap, HasCapability, HostInfo, HostOf, Topology};

/// A primary and a replica of topology `T`: every operation is applied to both.
pub struct Failover<T> {
    primary: T,
    replica: T,
    hosts: Vec<HostInfo>,
    capabilities: CapabilityMap,
}

impl<T: Topology> Failover<T> {
    /// Pairs two instances of the same topology.
    pub fn new(primary: T, replica: T) -> Self {
        let capabilities = CapabilityMap::failover(primary.capabilities(), replica.capabilities());
        let hosts = primary
            .hosts()
            .iter()
            .chain(replica.hosts())
            .cloned()
            .collect();
        Failover {
            primary,
            replica,
            hosts,
            capabilities,
        }
    }

    /// The primary side.
    pub fn primary(&self) -> &T {
        &self.primary
    }

    /// The replica side.
    pub fn replica(&self) -> &T {
        &self.replica
    }
}

impl<T: Topology> Topology for Failover<T> {
    const NAME: &'static str = "Failover";
    fn hosts(&self) -> &[HostInfo] {
        &self.hosts
    }
    fn capabilities(&self) -> &CapabilityMap {
        &self.capabilities
    }
    /// Each side keeps its records apart: `<dir>/primary`, `<dir>/replica`.
    fn bind_state_dir(&self, dir: &std::path::Path) {
        self.primary.bind_state_dir(&dir.join("primary"));
        self.replica.bind_state_dir(&dir.join("replica"));
    }
}

/// Many sites of topology `T`: every operation is applied to each site.
pub struct Decentralized<T> {
    sites: Vec<T>,
    hosts: Vec<HostInfo>,
    capabilities: CapabilityMap,
}

impl<T: Topology> Decentralized<T> {
    /// Groups sites of the same topology.
    pub fn new(sites: Vec<T>) -> Self {
        let maps: Vec<&CapabilityMap> = sites.iter().map(Topology::capabilities).collect();
        let capabilities = CapabilityMap::fan_out(&maps);
        let hosts = sites
            .iter()
            .flat_map(|s| s.hosts().iter().cloned())
            .collect();
        Decentralized {
            sites,
            hosts,
            capabilities,
        }
    }

    /// The sites.
    pub fn sites(&self) -> &[T] {
        &self.sites
    }
}

impl<T: Topology> Topology for Decentralized<T> {
    const NAME: &'static str = "Decentralized";
    fn hosts(&self) -> &[HostInfo] {
        &self.hosts
    }
    fn capabilities(&self) -> &CapabilityMap {
        &self.capabilities
    }
    /// Each site keeps its records apart: `<dir>/site<i>`, counting from 0.
    fn bind_state_dir(&self, dir: &std::path::Path) {
        for (i, site) in self.sites.iter().enumerate() {
            site.bind_state_dir(&dir.join(format!("site{i}")));
        }
    }
}

/// A host of `T` is a host of `Failover<T>` and of `Decentralized<T>`.
impl<T, H: HostOf<T>> HostOf<Failover<T>> for H {}
impl<T, H: HostOf<T>> HostOf<Decentralized<T>> for H {}

// A pair or a set of sites has a capability exactly when its topology does.
impl<C: ?Sized, T: HasCapability<C>> HasCapability<C> for Failover<T> {}
impl<C: ?Sized, T: HasCapability<C>> HasCapability<C> for Decentralized<T> {}

/// A capability provider over a primary and a replica (built by [`Capability::failover`](crate::Capability::failover)).
pub struct Sides<C: ?Sized> {
    /// The primary's provider.
    pub primary: Arc<C>,
    /// The replica's provider.
    pub replica: Arc<C>,
}

impl<C: ?Sized> Sides<C> {
    /// Inspects both sides: the change is the primary's, or the replica's when only it drifted.
    pub async fn inspect_with<'a, F, Fut>(&'a self, f: F) -> Result<Inspection>
    where
        F: Fn(&'a Arc<C>) -> Fut,
        Fut: Future<Output = Result<Inspection>> + 'a,
    {
        let primary = f(&self.primary)
            .await
            .map_err(|e| side_error("primary", e))?;
        let replica = f(&self.replica)
            .await
            .map_err(|e| side_error("replica", e))?;
        let change = match (&primary.change, &replica.change) {
            (Change::None, Change::None) => Change::None,
            (Change::None, other) => label_change("replica", other),
            (first, _) => label_change("primary", first),
        };
        Ok(Inspection {
            change,
            observed: combine_observed(&[primary.observed, replica.observed]),
        })
    }

    /// Applies to the primary, then to the replica.
    pub async fn apply_with<'a, F, Fut>(&'a self, f: F) -> Result<Outcome>
    where
        F: Fn(&'a Arc<C>) -> Fut,
        Fut: Future<Output = Result<Outcome>> + 'a,
    {
        let primary = f(&self.primary)
            .await
            .map_err(|e| side_error("primary", e))?;
        let replica = f(&self.replica)
            .await
            .map_err(|e| side_error("replica", e))?;
        Ok(aggregate(&[("primary", primary), ("replica", replica)]))
    }
}

impl<C: ?Sized> Sides<C> {
    /// Both sides' live status, each line labelled with its side.
    pub async fn status_with<'a, F, Fut>(&'a self, f: F) -> Result<Vec<LiveStatus>>
    where
        F: Fn(&'a Arc<C>) -> Fut,
        Fut: Future<Output = Result<Vec<LiveStatus>>> + 'a,
    {
        let mut out = label_status("primary", f(&self.primary).await?);
        out.extend(label_status("replica", f(&self.replica).await?));
        Ok(out)
    }
}

fn label_status(label: &str, lines: Vec<LiveStatus>) -> Vec<LiveStatus> {
    lines
        .into_iter()
        .map(|l| LiveStatus {
            subject: format!("{label}: {}", l.subject),
            ..l
        })
        .collect()
}

/// A capability provider over many sites (built by [`Capability::fan_out`](crate::Capability::fan_out)).
pub struct Sites<C: ?Sized>(pub Vec<Arc<C>>);

impl<C: ?Sized> Sites<C> {
    /// Inspects every site; the change lists the sites that would change.
    pub async fn inspect_with<'a, F, Fut>(&'a self, f: F) -> Result<Inspection>
    where
        F: Fn(&'a Arc<C>) -> Fut,
        Fut: Future<Output = Result<Inspection>> + 'a,
    {
        let mut diff = Vec::new();
        let mut observed = Vec::new();
        for (i, site) in self.0.iter().enumerate() {
            let inspection = f(site)
                .await
                .map_err(|e| side_error(&format!("site {i}"), e))?;
            match &inspection.change {
                Change::None => {}
                Change::Create { summary } => diff.push(format!("site {i}: create {summary}")),
                Change::Delete { summary } => diff.push(format!("site {i}: delete {summary}")),
                Change::Update { diff: lines } => {
                    diff.extend(lines.iter().map(|l| format!("site {i}: {l}")))
                }
            }
            observed.push(inspection.observed);
        }
        let change = if diff.is_empty() {
            Change::None
        } else {
            Change::Update { diff }
        };
        Ok(Inspection {
            change,
            observed: combine_observed(&observed),
        })
    }

    /// Every site's live status, each line labelled with its site; a site that cannot tell
    /// appears as `unknown` with the reason.
    pub async fn status_with<'a, F, Fut>(&'a self, f: F) -> Result<Vec<LiveStatus>>
    where
        F: Fn(&'a Arc<C>) -> Fut,
        Fut: Future<Output = Result<Vec<LiveStatus>>> + 'a,
    {
        let mut out = Vec::new();
        for (i, site) in self.0.iter().enumerate() {
            match f(site).await {
                Ok(lines) => out.extend(label_status(&format!("site {i}"), lines)),
                Err(e) => out.push(LiveStatus {
                    subject: format!("site {i}"),
                    state: "unknown".to_string(),
                    detail: e.to_string(),
                }),
            }
        }
        Ok(out)
    }

    /// Applies to every site, all of them even when some fail; fails naming the failed sites.
    pub async fn apply_with<'a, F, Fut>(&'a self, f: F) -> Result<Outcome>
    where
        F: Fn(&'a Arc<C>) -> Fut,
        Fut: Future<Output = Result<Outcome>> + 'a,
    {
        let mut outcomes = Vec::new();
        let mut failures = Vec::new();
        for (i, site) in self.0.iter().enumerate() {
            match f(site).await {
                Ok(outcome) => outcomes.push((i, outcome)),
                Err(e) => failures.push((i, e)),
            }
        }
        if !failures.is_empty() {
            let transient = failures.iter().all(|(_, e)| e.is_transient());
            let message = failures
                .iter()
                .map(|(i, e)| format!("site {i}: {e}"))
                .collect::<Vec<_>>()
                .join("; ");
            let kind = if transient {
                ErrorKind::Transient
            } else {
                ErrorKind::Permanent
            };
            return Err(Error::new(
                kind,
                format!(
                    "{} of {} sites failed: {message}",
                    failures.len(),
                    self.0.len()
                ),
            ));
        }
        let labelled: Vec<(String, Outcome)> = outcomes
            .into_iter()
            .map(|(i, o)| (format!("site {i}"), o))
            .collect();
        let refs: Vec<(&str, Outcome)> = labelled
            .iter()
            .map(|(l, o)| (l.as_str(), o.clone()))
            .collect();
        Ok(aggregate(&refs))
    }
}

fn side_error(side: &str, e: Error) -> Error {
    let capability = e.capability();
    let mut lifted = Error::new(e.kind(), format!("{side}: {}", e.message()));
    if let Some(c) = capability {
        lifted = lifted.in_capability(c);
    }
    lifted
}

fn label_change(side: &str, change: &Change) -> Change {
    match change {
        Change::None => Change::None,
        Change::Create { summary } => Change::Create {
            summary: format!("{side}: {summary}"),
        },
        Change::Delete { summary } => Change::Delete {
            summary: format!("{side}: {summary}"),
        },
        Change::Update { diff } => Change::Update {
            diff: diff.iter().map(|l| format!("{side}: {l}")).collect(),
        },
    }
}

fn aggregate(outcomes: &[(&str, Outcome)]) -> Outcome {
    let changed: Vec<String> = outcomes
        .iter()
        .filter_map(|(label, o)| match o {
            Outcome::Changed { summary } => Some(format!("{label}: {summary}")),
            Outcome::Unchanged => None,
        })
        .collect();
    if changed.is_empty() {
        Outcome::Unchanged
    } else {
        Outcome::changed(format!(
            "{} of {} changed ({})",
            changed.len(),
            outcomes.len(),
            changed.join("; ")
        ))
    }
}

fn combine_observed(observed: &[Observed]) -> Observed {
    let text = serde_json::to_string(observed).unwrap_or_default();
    Observed::Hash {
        value: fnv_hex(text.as_bytes()),
    }
}

/// A small stable hash (FNV-1a, 64 bit) of what the sides observed, to detect drift.
fn fnv_hex(bytes: &[u8]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{hash:016x}")
}
