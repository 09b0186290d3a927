//! What an operator asks of a running pair: a switchover ([`request_switchover`]) and its
//! status ([`PairStatus`]). Both only read and write the pair's entries; the nodes act.

use std::fmt;
use std::time::Duration;

use super::protocol::{KvError, LeaderRecord, LeaseKv, NodeReport, Record};

/// The key of a pair's leader entry.
pub fn leader_key(pair: &str) -> String {
    format!("{pair}.leader")
}

/// The key of a node's report.
pub fn node_key(pair: &str, node: &str) -> String {
    format!("{pair}.node.{node}")
}

/// The key an operator command writes to learn the server's time.
fn clock_key(pair: &str) -> String {
    format!("{pair}.operator-clock")
}

fn decode<T: serde::de::DeserializeOwned>(record: &Record) -> Option<T> {
    serde_json::from_slice(&record.value).ok()
}

/// Asks the pair's primary to hand leadership over to `to`: a compare-and-set of the leader
/// entry that adds `handover_to`. The primary fences its database, then writes `to` as the new
/// holder over this request; `to` promotes when it reads that. Returns the request's revision.
///
/// Refused when `to` already leads, has no report, or does not report as a replica.
pub async fn request_switchover<K: LeaseKv>(
    kv: &K,
    pair: &str,
    to: &str,
    timeout: Duration,
) -> Result<u64, String> {
    let report = kv
        .read(&node_key(pair, to), timeout)
        .await
        .map_err(kv_error)?
        .and_then(|r| decode::<NodeReport>(&r));
    match report {
        None => return Err(format!("node `{to}` of pair `{pair}` has never reported")),
        Some(report) if report.role != "replica" => {
            return Err(format!(
                "node `{to}` reports as {}, not as a replica: it cannot take over",
                report.role
            ));
        }
        Some(_) => {}
    }
    // The primary's heartbeats change the entry between our read and our write: retry.
    for _ in 0..20 {
        let (record, mut leader) = read_leader(kv, pair, timeout).await?;
        if leader.holder == to {
            return Err(format!("`{to}` already leads pair `{pair}`"));
        }
        leader.handover_to = Some(to.to_string());
        leader.write = format!("switchover-{:016x}", fastrand::u64(..));
        let value = serde_json::to_vec(&leader).unwrap_or_default();
        match kv
            .update(&leader_key(pair), value, record.revision, timeout)
            .await
        {
            Ok(revision) => return Ok(revision),
            Err(KvError::Conflict) => continue,
            Err(e) => return Err(kv_error(e)),
        }
    }
    Err(format!(
        "the leader entry of pair `{pair}` kept changing; try again"
    ))
}

/// The leader entry of `pair`, as stored and decoded.
async fn read_leader<K: LeaseKv>(
    kv: &K,
    pair: &str,
    timeout: Duration,
) -> Result<(Record, LeaderRecord), String> {
    let Some(record) = kv
        .read(&leader_key(pair), timeout)
        .await
        .map_err(kv_error)?
    else {
        return Err(format!("pair `{pair}` has no leader entry: is it running?"));
    };
    match decode::<LeaderRecord>(&record) {
        Some(leader) => Ok((record, leader)),
        None => Err(format!("the leader entry of pair `{pair}` is not readable")),
    }
}

fn kv_error(e: KvError) -> String {
    match e {
        KvError::Conflict => "the entry changed meanwhile".to_string(),
        KvError::Unavailable(reason) => reason,
    }
}

/// One node as its entry shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeStatus {
    /// The node's name.
    pub node: String,
    /// `primary` (holds the leader entry), `replica` or `deposed`.
    pub role: String,
    /// Whether its database accepted writes when it last wrote.
    pub writable: bool,
    /// A standby's replication lag in bytes, when known.
    pub lag_bytes: Option<u64>,
    /// How long ago (server time) it last wrote its entry.
    pub age_ms: u64,
    /// Its last notable event.
    pub last_event: Option<String>,
}

/// A failover pair as its entries show it; ages are differences of the server's timestamps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PairStatus {
    /// The pair's name.
    pub pair: String,
    /// The node holding leadership.
    pub leader: String,
    /// Takeovers so far, plus one.
    pub epoch: u64,
    /// The revision of the leader entry (its latest heartbeat).
    pub revision: u64,
    /// The revision of the write that made the leader leader.
    pub fencing_token: u64,
    /// Why the leader became leader: the last failover or switchover (`bootstrap` at first).
    pub reason: String,
    /// A switchover asked for and not yet done.
    pub handover_to: Option<String>,
    /// The leader first, then the other nodes by name.
    pub nodes: Vec<NodeStatus>,
}

impl PairStatus {
    /// Reads pair `pair`'s leader entry and the reports of `nodes`. The server's current time
    /// comes from a write of this command's own (`<pair>.operator-clock`).
    pub async fn read<K: LeaseKv>(
        kv: &K,
        pair: &str,
        nodes: &[String],
        timeout: Duration,
    ) -> Result<Self, String> {
        let now_revision = kv
            .put(&clock_key(pair), b"status".to_vec(), timeout)
            .await
            .map_err(kv_error)?;
        let now_ms = match kv.read(&clock_key(pair), timeout).await.map_err(kv_error)? {
            Some(r) if r.revision >= now_revision => r.stamp_ms,
            _ => return Err("cannot read the server's time back".to_string()),
        };
        let (record, leader) = read_leader(kv, pair, timeout).await?;
        let mut status = PairStatus {
            pair: pair.to_string(),
            leader: leader.holder.clone(),
            epoch: leader.epoch,
            revision: record.revision,
            fencing_token: leader.fencing_token(record.revision),
            reason: leader.reason.clone(),
            handover_to: leader.handover_to.clone(),
            nodes: vec![NodeStatus {
                node: leader.holder.clone(),
                role: "primary".to_string(),
                writable: leader.writable,
                lag_bytes: None,
                age_ms: now_ms.saturating_sub(record.stamp_ms),
                last_event: leader.last_event.clone(),
            }],
        };
        let mut others: Vec<&String> = nodes.iter().filter(|n| **n != leader.holder).collect();
        others.sort();
        others.dedup();
        for node in others {
            let Some(record) = kv
                .read(&node_key(pair, node), timeout)
                .await
                .map_err(kv_error)?
            else {
                continue;
            };
            let Some(report) = decode::<NodeReport>(&record) else {
                continue;
            };
            status.nodes.push(NodeStatus {
                node: node.clone(),
                role: report.role,
                writable: report.writable,
                lag_bytes: report.lag_bytes,
                age_ms: now_ms.saturating_sub(record.stamp_ms),
                last_event: report.last_event,
            });
        }
        Ok(status)
    }
}

impl fmt::Display for PairStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "pair {}: leader {} (epoch {}, revision {}, fencing token {})",
            self.pair, self.leader, self.epoch, self.revision, self.fencing_token
        )?;
        writeln!(f, "  last failover: {}", self.reason)?;
        if let Some(to) = &self.handover_to {
            writeln!(f, "  switchover to {to} requested, not done yet")?;
        }
        for node in &self.nodes {
            let lag = match (node.role.as_str(), node.lag_bytes) {
                ("replica", Some(lag)) => format!("lag {lag} B"),
                ("replica", None) => "lag unknown".to_string(),
                _ => "-".to_string(),
            };
            writeln!(
                f,
                "  {:<12} {:<8} {:<10} {:<14} heartbeat {:.1} s ago{}",
                node.node,
                node.role,
                if node.writable {
                    "writable"
                } else {
                    "read-only"
                },
                lag,
                node.age_ms as f64 / 1000.0,
                node.last_event
                    .as_deref()
                    .map(|e| format!("; last: {e}"))
                    .unwrap_or_default()
            )?;
        }
        Ok(())
    }
}
