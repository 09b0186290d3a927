//! The agent's failover role: keeps one PostgreSQL of a primary/replica pair writable, never two.
//!
//! The protocol (see [`protocol`]) runs over one JetStream key-value bucket, [`BUCKET`]:
//!
//! - **Leadership is a KV entry** (`<pair>.leader`) naming the holder and its epoch. Only a
//!   compare-and-set on that entry's revision changes it, so of two nodes racing to take it over
//!   exactly one wins; the revision the winner wrote is its **fencing token**.
//! - **The primary's heartbeat is a revision-checked write** of that same entry: it succeeds only
//!   while the entry still holds the revision the primary last wrote. A primary whose heartbeat
//!   is refused has been deposed and fences at once.
//! - **Time across machines comes from JetStream**: the age of the primary's last heartbeat is
//!   the server's timestamp of the replica's own latest write minus the server's timestamp of
//!   the leader entry. No wall clock of any node is compared with another's. Each node measures
//!   only its own durations (timeouts, its lease) on its local monotonic clock.
//! - **The primary fences itself** (PostgreSQL refuses writes) after `failure_threshold`
//!   consecutive failed heartbeats of at most `heartbeat_timeout` each, and in any case once
//!   `heartbeat_timeout × failure_threshold` has passed since it *sent* its last successful
//!   heartbeat (its lease); it becomes writable again only after `success_threshold`
//!   consecutive successful heartbeats (hysteresis, as Kubernetes probes). A heartbeat slower
//!   than `heartbeat_timeout` counts as failed but is still awaited while the lease runs: its
//!   late answer renews the lease, so one slow round trip never fences.
//! - **The replica promotes** only after its server-time view of the primary's last heartbeat is
//!   older than `failover_timeout`, and only after winning the compare-and-set of the leader
//!   entry. Because `failover_timeout > heartbeat_timeout × failure_threshold`, the old primary's
//!   lease has run out (and it has fenced) before the replica can win.

pub mod cli;
pub mod nats;
pub mod operator;
pub mod postgres;
pub mod protocol;
pub mod timing;
pub mod watchdog;

pub use protocol::{
    Database, DbState, Event, KvError, LeaderRecord, LeaseKv, Node, NodeReport, Record, Role,
};
pub use timing::Timing;

/// The key-value bucket of every failover pair.
pub const BUCKET: &str = "harmony-failover";
