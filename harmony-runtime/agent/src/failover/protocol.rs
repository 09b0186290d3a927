//! The failover protocol as a state machine over three injected parts: the key-value store
//! ([`LeaseKv`], JetStream in production), the database ([`Database`], PostgreSQL in production)
//! and time (`tokio::time`, which tests pause and advance). [`Node::step`] runs one round;
//! [`Node::next_wake`] says when the next one is due.
//!
//! Invariants, each with its reason:
//! - A node's database is writable only while the node holds the leader entry *and* its lease
//!   runs: less than `heartbeat_timeout × failure_threshold` since it sent its last heartbeat
//!   that the server accepted. So a primary cut off from NATS has fenced before the replica can
//!   take over (`failover_timeout` is longer than the lease, in server time).
//! - Leadership changes only by a compare-and-set of the leader entry's revision: two nodes
//!   cannot both win, and a deposed primary's next heartbeat is refused.
//! - Ages across nodes are differences of JetStream timestamps, never of local clocks.
//! - Counters: `failure_threshold` consecutive failures fence; `success_threshold` consecutive
//!   successes unfence (a fenced leader) or allow a takeover (a replica). One late heartbeat does
//!   neither: a heartbeat not answered within `heartbeat_timeout` counts as failed, but the
//!   primary keeps waiting for its answer while the lease runs, and a late answer renews the
//!   lease from that heartbeat's send time (see `Node::heartbeat`).

use std::future::Future;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use super::Timing;

/// One stored value with its revision and the server's timestamp of the write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The value.
    pub value: Vec<u8>,
    /// The revision (JetStream stream sequence).
    pub revision: u64,
    /// When the server stored it (JetStream message time, ms since the Unix epoch).
    pub stamp_ms: u64,
}

/// Why a key-value operation failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KvError {
    /// The compare-and-set found another revision (or the key already existed).
    Conflict,
    /// No answer in time, no connection, or a server error.
    Unavailable(String),
}

/// The key-value operations the protocol needs; every call gives up after `timeout`.
pub trait LeaseKv {
    /// The latest value of `key`, `None` when it does not exist.
    fn read(
        &self,
        key: &str,
        timeout: Duration,
    ) -> impl Future<Output = Result<Option<Record>, KvError>> + Send;
    /// Writes `key` only when it does not exist; the new revision.
    fn create(
        &self,
        key: &str,
        value: Vec<u8>,
        timeout: Duration,
    ) -> impl Future<Output = Result<u64, KvError>> + Send;
    /// Writes `key` only when its latest revision is `expected`; the new revision.
    fn update(
        &self,
        key: &str,
        value: Vec<u8>,
        expected: u64,
        timeout: Duration,
    ) -> impl Future<Output = Result<u64, KvError>> + Send;
    /// Writes `key` unconditionally; the new revision.
    fn put(
        &self,
        key: &str,
        value: Vec<u8>,
        timeout: Duration,
    ) -> impl Future<Output = Result<u64, KvError>> + Send;
}

/// What the database is doing, as far as the failover role can tell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DbState {
    /// A primary that accepts writes.
    Writable,
    /// A primary that refuses writes (fenced).
    Fenced,
    /// A standby replaying the primary's log; `lag_bytes` behind when known.
    Standby {
        /// Bytes of log received but not replayed, when known.
        lag_bytes: Option<u64>,
    },
    /// Not answering.
    Down(String),
}

/// The database operations the protocol needs.
pub trait Database {
    /// The database's current state.
    fn state(&mut self) -> impl Future<Output = DbState> + Send;
    /// Makes it refuse writes (and end the sessions that could still write).
    fn fence(&mut self) -> impl Future<Output = Result<(), String>> + Send;
    /// Makes a fenced primary accept writes again.
    fn unfence(&mut self) -> impl Future<Output = Result<(), String>> + Send;
    /// Turns a standby into a primary that accepts writes.
    fn promote(&mut self) -> impl Future<Output = Result<(), String>> + Send;
    /// Makes a deposed primary's database a standby of the current leader's, without ever
    /// letting it accept writes on the way; says how (`pg_rewind`, `a fresh base backup`...).
    fn rejoin(&mut self) -> impl Future<Output = Result<String, String>> + Send;
}

/// The value of the leader entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeaderRecord {
    /// The node that holds leadership.
    pub holder: String,
    /// Incremented by every takeover.
    pub epoch: u64,
    /// Why this node became leader (`bootstrap`, `primary east silent for 6.2s`...).
    pub reason: String,
    /// The id of this write: a heartbeat whose answer was lost recognises itself by it.
    #[serde(default)]
    pub write: String,
    /// Whether the holder's database accepted writes when it wrote this heartbeat.
    #[serde(default)]
    pub writable: bool,
    /// The holder's last notable event.
    #[serde(default)]
    pub last_event: Option<String>,
    /// The revision of the write that made the holder leader (its fencing token); 0 in that
    /// write itself, whose own revision it is.
    #[serde(default)]
    pub token: u64,
    /// Set by `harmony-agent failover switchover`: the holder is asked to fence its database and
    /// hand leadership to this node.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handover_to: Option<String>,
}

impl LeaderRecord {
    /// The leader's fencing token, given the revision of the record it was read from.
    pub fn fencing_token(&self, revision: u64) -> u64 {
        if self.token == 0 {
            revision
        } else {
            self.token
        }
    }
}

/// What each node writes under its own key on every round (for `status`, and as the replica's
/// source of server time).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeReport {
    /// The node.
    pub node: String,
    /// `replica` or `deposed` (the primary reports in its heartbeat, the leader entry).
    pub role: String,
    /// Whether its database accepts writes.
    pub writable: bool,
    /// Replication lag in bytes (a standby's), when known.
    pub lag_bytes: Option<u64>,
    /// The last notable event (`fenced: ...`, `promoted: ...`).
    pub last_event: Option<String>,
}

/// The node's role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Role {
    /// Not started: the leader entry has not been read yet.
    Starting,
    /// Holds the leader entry.
    Primary {
        /// The epoch it holds.
        epoch: u64,
        /// The revision it last wrote (the one its next heartbeat expects).
        revision: u64,
        /// The revision of the write that made it leader: its fencing token.
        token: u64,
        /// When it sent its last accepted heartbeat.
        lease_from: Option<Instant>,
        /// Whether its database was fenced by this role.
        fenced: bool,
        /// Whether its database still needs promoting (a promotion that failed).
        needs_promote: bool,
    },
    /// Follows the leader; takes over when the leader falls silent.
    Replica,
    /// Was primary, lost leadership: its database stays fenced until it rejoins as a replica.
    Deposed {
        /// Who holds leadership now.
        by: String,
    },
}

/// What one round did, for the log and for tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// Created the leader entry (first start of the designated primary).
    Bootstrapped {
        /// The fencing token.
        revision: u64,
    },
    /// A heartbeat failed (`consecutive` in a row).
    HeartbeatFailed {
        /// Failures in a row.
        consecutive: u32,
        /// Why.
        reason: String,
    },
    /// The database was fenced.
    Fenced {
        /// Why.
        reason: String,
    },
    /// The database accepts writes again.
    Unfenced,
    /// Another node took leadership.
    Deposed {
        /// The new holder.
        by: String,
    },
    /// This node won leadership and promoted its database.
    Promoted {
        /// The fencing token.
        revision: u64,
        /// The age of the old primary's last heartbeat (server time) when it took over.
        silent_ms: u64,
    },
    /// Another node changed the leader entry first.
    LostRace,
    /// A switchover: this primary fenced its database and gave leadership to `to`.
    HandedOver {
        /// The new holder.
        to: String,
        /// The revision of the hand-over write (the new holder's fencing token).
        revision: u64,
    },
    /// A deposed primary's database became a standby of the leader's.
    Rejoined {
        /// The leader it follows.
        leader: String,
        /// How (`pg_rewind`, `a fresh base backup`...).
        how: String,
    },
    /// A database or store operation failed.
    Failed(String),
}

impl std::fmt::Display for Event {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Event::Bootstrapped { revision } => {
                write!(f, "bootstrapped leadership at revision {revision}")
            }
            Event::HeartbeatFailed {
                consecutive,
                reason,
            } => {
                write!(f, "heartbeat failed ({consecutive} in a row): {reason}")
            }
            Event::Fenced { reason } => write!(f, "fenced: {reason}"),
            Event::Unfenced => write!(f, "accepts writes"),
            Event::Deposed { by } => write!(f, "deposed: {by} holds leadership"),
            Event::Promoted {
                revision,
                silent_ms,
            } => write!(
                f,
                "promoted at revision {revision}: the primary was silent for {silent_ms} ms"
            ),
            Event::LostRace => write!(f, "another node changed leadership first"),
            Event::HandedOver { to, revision } => {
                write!(f, "handed leadership over to {to} at revision {revision}")
            }
            Event::Rejoined { leader, how } => {
                write!(f, "rejoined as a replica of {leader} ({how})")
            }
            Event::Failed(reason) => write!(f, "{reason}"),
        }
    }
}

/// One node of a failover pair.
pub struct Node<K, D> {
    name: String,
    leader_key: String,
    node_key: String,
    timing: Timing,
    initial_primary: bool,
    kv: K,
    db: D,
    role: Role,
    failures: u32,
    successes: u32,
    last_attempt: Option<Instant>,
    last_event: Option<String>,
    lag_bytes: Option<u64>,
    /// Why the current leader became leader (kept in every heartbeat it writes).
    leader_reason: String,
    /// Heartbeats whose answer was lost (timed out) since the last known revision, with when
    /// each was sent: any of them may have been applied.
    in_flight: Vec<(String, Instant)>,
    /// Makes write ids unique across restarts of this node.
    nonce: u64,
    /// Write ids issued.
    writes: u64,
}

impl<K: LeaseKv, D: Database> Node<K, D> {
    /// A node `name` of pair `pair`. `initial_primary` marks the node that creates the leader
    /// entry when there is none yet (the pair's first start); after that the entry decides.
    /// Fails when the timing breaks the rule of [`Timing::check`].
    pub fn new(
        pair: &str,
        name: &str,
        timing: Timing,
        initial_primary: bool,
        kv: K,
        db: D,
    ) -> Result<Self, String> {
        timing.check()?;
        Ok(Node {
            name: name.to_string(),
            leader_key: super::operator::leader_key(pair),
            node_key: super::operator::node_key(pair, name),
            timing,
            initial_primary,
            kv,
            db,
            role: Role::Starting,
            failures: 0,
            successes: 0,
            last_attempt: None,
            last_event: None,
            lag_bytes: None,
            leader_reason: String::new(),
            in_flight: Vec::new(),
            nonce: fastrand::u64(..),
            writes: 0,
        })
    }

    /// The node's role.
    pub fn role(&self) -> &Role {
        &self.role
    }

    /// The node's database.
    pub fn database(&mut self) -> &mut D {
        &mut self.db
    }

    /// Until when this node's database may accept writes: the end of its lease when it is a
    /// primary that is not fenced, `None` otherwise.
    pub fn writable_until(&self) -> Option<Instant> {
        match &self.role {
            Role::Primary {
                lease_from: Some(from),
                fenced: false,
                ..
            } => Some(*from + self.timing.lease()),
            _ => None,
        }
    }

    /// When the next round is due: one heartbeat interval after the last attempt, earlier when a
    /// writable primary's lease runs out before.
    pub fn next_wake(&self) -> Instant {
        let now = Instant::now();
        let next = self
            .last_attempt
            .map_or(now, |at| at + self.timing.heartbeat_timeout);
        match &self.role {
            Role::Primary {
                lease_from: Some(from),
                fenced: false,
                ..
            } => next.min(*from + self.timing.lease()),
            _ => next,
        }
    }

    /// Runs one round and says what happened.
    pub async fn step(&mut self) -> Vec<Event> {
        let mut events = Vec::new();
        self.last_attempt = Some(Instant::now());
        match self.role.clone() {
            Role::Starting => self.start(&mut events).await,
            Role::Primary { .. } => self.primary_round(&mut events).await,
            Role::Replica => self.replica_round(&mut events).await,
            Role::Deposed { .. } => self.deposed_round(&mut events).await,
        }
        if let Some(last) = events
            .iter()
            .rev()
            .find(|e| !matches!(e, Event::HeartbeatFailed { .. }))
        {
            self.last_event = Some(last.to_string());
        }
        events
    }

    /// The leader entry's value: the heartbeat is also the primary's report for `status`, so a
    /// round of the primary is one write.
    fn leader_value(&self, epoch: u64, reason: &str, write: &str) -> Vec<u8> {
        serde_json::to_vec(&LeaderRecord {
            holder: self.name.clone(),
            epoch,
            reason: reason.to_string(),
            write: write.to_string(),
            writable: matches!(self.role, Role::Primary { fenced: false, .. }),
            last_event: self.last_event.clone(),
            token: match self.role {
                Role::Primary {
                    token, epoch: e, ..
                } if e == epoch => token,
                _ => 0,
            },
            handover_to: None,
        })
        .unwrap_or_default()
    }

    /// How long an operation may take: a heartbeat timeout, and never past a writable
    /// primary's lease, so that the round ends in time to fence.
    fn op_timeout(&self) -> Duration {
        match &self.role {
            Role::Primary {
                lease_from: Some(from),
                fenced: false,
                ..
            } => self
                .timing
                .heartbeat_timeout
                .min((*from + self.timing.lease()).saturating_duration_since(Instant::now())),
            _ => self.timing.heartbeat_timeout,
        }
    }

    /// A heartbeat sent at `sent` was applied at `revision`: the lease runs from `sent`. A
    /// `late` one (learnt of after a heartbeat timeout) renews the lease but counts as failed.
    fn renewed(&mut self, new_revision: u64, sent: Instant, late: bool) {
        if !late {
            self.succeeded();
        }
        if let Role::Primary {
            revision,
            lease_from,
            ..
        } = &mut self.role
        {
            *revision = new_revision;
            *lease_from = Some(sent);
        }
    }

    /// When the write `write` was sent, if it is one of this node's writes whose answer was
    /// lost; forgets them all (the entry read shows which one landed, the others never will).
    fn landed(&mut self, write: &str) -> Option<Instant> {
        let sent = self
            .in_flight
            .iter()
            .find(|(id, _)| id == write)
            .map(|(_, sent)| *sent);
        self.in_flight.clear();
        sent
    }

    fn set_revision(&mut self, new_revision: u64) {
        if let Role::Primary { revision, .. } = &mut self.role {
            *revision = new_revision;
        }
    }

    fn next_id(&mut self) -> String {
        self.writes += 1;
        format!("{}-{:016x}-{}", self.name, self.nonce, self.writes)
    }

    fn failed(&mut self, events: &mut Vec<Event>, reason: String) {
        self.failures = self.failures.saturating_add(1);
        self.successes = 0;
        events.push(Event::HeartbeatFailed {
            consecutive: self.failures,
            reason,
        });
    }

    fn succeeded(&mut self) {
        self.failures = 0;
        self.successes = self.successes.saturating_add(1);
    }

    async fn start(&mut self, events: &mut Vec<Event>) {
        let timeout = self.timing.heartbeat_timeout;
        // Nothing may stay writable without a lease: whatever the database was doing before this
        // agent started, it is fenced until a heartbeat is accepted.
        let state = self.db.state().await;
        let writable = state == DbState::Writable;
        let current = match self.kv.read(&self.leader_key, timeout).await {
            Ok(current) => current,
            Err(KvError::Unavailable(reason)) => {
                if writable {
                    self.fence(events, "no lease yet: NATS does not answer")
                        .await;
                }
                return self.failed(events, reason);
            }
            Err(KvError::Conflict) => return,
        };
        match current {
            None if self.initial_primary => {
                let sent = Instant::now();
                self.leader_reason = "bootstrap".to_string();
                let id = self.next_id();
                let value = self.leader_value(1, "bootstrap", &id);
                match self.kv.create(&self.leader_key, value, timeout).await {
                    Ok(revision) => {
                        self.succeeded();
                        events.push(Event::Bootstrapped { revision });
                        self.role = Role::Primary {
                            epoch: 1,
                            revision,
                            token: revision,
                            lease_from: Some(sent),
                            fenced: !writable,
                            needs_promote: matches!(state, DbState::Standby { .. }),
                        };
                        self.enforce(events).await;
                    }
                    Err(KvError::Conflict) => {}
                    Err(KvError::Unavailable(reason)) => {
                        // It may have landed: the next round recognises it by its id.
                        self.in_flight.push((id, sent));
                        self.failed(events, reason);
                    }
                }
            }
            // Nobody leads yet: wait for the initial primary (a replica whose server has no
            // data yet needs a primary to copy it from).
            None => {}
            Some(record) => match decode_leader(&record) {
                Some(leader) if leader.holder == self.name => {
                    self.leader_reason = leader.reason.clone();
                    // This process's own bootstrap write, whose answer was lost: the lease runs
                    // from when it was sent. Otherwise (a restart) the lease is unknown, and a
                    // writable database is fenced until a heartbeat is accepted.
                    let landed = self.landed(&leader.write);
                    self.role = Role::Primary {
                        epoch: leader.epoch,
                        revision: record.revision,
                        token: leader.fencing_token(record.revision),
                        lease_from: landed,
                        fenced: !writable,
                        needs_promote: matches!(state, DbState::Standby { .. }),
                    };
                    match leader.handover_to {
                        // A switchover asked for while this node was away.
                        Some(to) => {
                            self.hand_over(events, leader.epoch, record.revision, to)
                                .await
                        }
                        None => self.primary_round(events).await,
                    }
                }
                Some(leader) => {
                    if matches!(state, DbState::Standby { .. }) {
                        self.role = Role::Replica;
                    } else {
                        // Not a standby while another node leads: an old primary back (running,
                        // fenced, or down after a crash). It rejoins as a replica.
                        if writable {
                            self.fence(events, "another node holds leadership").await;
                        }
                        events.push(Event::Deposed {
                            by: leader.holder.clone(),
                        });
                        self.role = Role::Deposed { by: leader.holder };
                    }
                }
                None => events.push(Event::Failed(format!(
                    "the leader entry {} is not readable; not taking any role",
                    self.leader_key
                ))),
            },
        }
    }

    async fn fence(&mut self, events: &mut Vec<Event>, reason: &str) {
        match self.db.fence().await {
            Ok(()) => events.push(Event::Fenced {
                reason: reason.to_string(),
            }),
            Err(e) => events.push(Event::Failed(format!("cannot fence: {e}"))),
        }
    }

    /// Fences a writable primary whose lease ran out or that failed too often; unfences a fenced
    /// one that heartbeats again.
    async fn enforce(&mut self, events: &mut Vec<Event>) {
        let Role::Primary {
            lease_from,
            fenced,
            needs_promote,
            ..
        } = self.role.clone()
        else {
            return;
        };
        let lease_runs = lease_from.is_some_and(|from| from.elapsed() < self.timing.lease());
        if !fenced && (!lease_runs || self.failures >= self.timing.failure_threshold) {
            let reason = if lease_runs {
                format!("{} heartbeats failed in a row", self.failures)
            } else {
                format!("no heartbeat accepted for {:?}", self.timing.lease())
            };
            // Marked fenced even when fencing failed: it is retried on every round.
            self.set_fenced(true, needs_promote);
            self.fence(events, &reason).await;
        } else if fenced && lease_runs && self.failures == 0 {
            let state = self.db.state().await;
            if state == DbState::Writable && !needs_promote {
                // Fenced by this role but writable: fencing failed, or someone undid it.
                self.fence(events, "still writable while fenced").await;
                return;
            }
            if self.successes < self.timing.success_threshold {
                return;
            }
            let result = if needs_promote || matches!(state, DbState::Standby { .. }) {
                self.db.promote().await
            } else {
                self.db.unfence().await
            };
            match result {
                Ok(()) => {
                    self.set_fenced(false, false);
                    events.push(Event::Unfenced);
                }
                Err(e) => events.push(Event::Failed(format!("cannot accept writes: {e}"))),
            }
        } else if fenced {
            // Keep fencing until the database says it is fenced (a failed fence is retried).
            if self.db.state().await == DbState::Writable {
                self.fence(events, "still writable while fenced").await;
            }
        }
    }

    fn set_fenced(&mut self, value: bool, promote: bool) {
        if let Role::Primary {
            fenced,
            needs_promote,
            ..
        } = &mut self.role
        {
            *fenced = value;
            *needs_promote = promote;
        }
    }

    async fn primary_round(&mut self, events: &mut Vec<Event>) {
        self.enforce(events).await;
        let Role::Primary {
            epoch, revision, ..
        } = self.role.clone()
        else {
            return;
        };
        // A database that is down is no primary: no heartbeat, so the replica takes over after
        // `failover_timeout` unless it comes back first.
        // Bounded by the lease too: a database that does not answer is down.
        let state = tokio::time::timeout(self.op_timeout(), self.db.state())
            .await
            .unwrap_or_else(|_| DbState::Down("no answer".to_string()));
        if let DbState::Down(reason) = state {
            self.failed(events, format!("database down: {reason}"));
            self.enforce(events).await;
            // Still read leadership: once another node has taken over, this one rejoins.
            if let Ok(Some(record)) = self.kv.read(&self.leader_key, self.op_timeout()).await
                && let Some(leader) = decode_leader(&record)
                && leader.holder != self.name
            {
                events.push(Event::Deposed {
                    by: leader.holder.clone(),
                });
                self.role = Role::Deposed { by: leader.holder };
            }
            return;
        }
        let id = self.next_id();
        let reason = self.leader_reason.clone();
        let value = self.leader_value(epoch, &reason, &id);
        let (heard, ticks) = self.heartbeat(events, value, revision).await;
        // Every heartbeat timeout that passed without an answer was one failed heartbeat; an
        // answer that came later still renews the lease (from this heartbeat's send time) but
        // does not reset the count: `failure_threshold` slow heartbeats in a row fence.
        if ticks > 0 {
            self.failures = self.failures.saturating_add(ticks);
            self.successes = 0;
        }
        let late = ticks > 0;
        let Heard {
            sent,
            result,
            current,
        } = heard;
        match result {
            Ok(new_revision) => {
                self.in_flight.clear();
                self.renewed(new_revision, sent, late);
            }
            Err(KvError::Unavailable(reason)) => {
                self.in_flight.push((id, sent));
                if late {
                    // Already counted, once per heartbeat timeout it waited.
                    events.push(Event::HeartbeatFailed {
                        consecutive: self.failures,
                        reason,
                    });
                } else {
                    self.failed(events, reason);
                }
            }
            Err(KvError::Conflict) => {
                // This heartbeat too may be the one that landed (seen by a probe).
                self.in_flight.push((id, sent));
                let current = match current {
                    Some(current) => current,
                    None => self.kv.read(&self.leader_key, self.op_timeout()).await,
                };
                match current {
                    Ok(Some(record)) => match decode_leader(&record) {
                        Some(LeaderRecord {
                            holder,
                            epoch: e,
                            handover_to: Some(to),
                            ..
                        }) if holder == self.name && e == epoch => {
                            self.hand_over(events, epoch, record.revision, to).await;
                            return;
                        }
                        Some(leader) if leader.holder == self.name && leader.epoch == epoch => {
                            // One of this node's own heartbeats, applied after its timeout.
                            let landed = self.landed(&leader.write);
                            match landed {
                                Some(sent) => self.renewed(record.revision, sent, late),
                                None => {
                                    self.set_revision(record.revision);
                                    self.failed(events, "an earlier heartbeat landed late".into());
                                }
                            }
                        }
                        other => {
                            let by = other.map_or_else(|| "nobody".to_string(), |l| l.holder);
                            self.fence(events, &format!("deposed by {by}")).await;
                            events.push(Event::Deposed { by: by.clone() });
                            self.role = Role::Deposed { by };
                            return;
                        }
                    },
                    Ok(None) => {
                        self.fence(events, "the leader entry is gone").await;
                        events.push(Event::Deposed {
                            by: "nobody".to_string(),
                        });
                        self.role = Role::Deposed {
                            by: "nobody".to_string(),
                        };
                        return;
                    }
                    Err(KvError::Unavailable(reason)) => self.failed(events, reason),
                    Err(KvError::Conflict) => self.failed(events, "conflict".to_string()),
                }
            }
        }
        self.enforce(events).await;
    }

    /// Sends one heartbeat (value `value`, expecting `revision`) and waits for its answer.
    ///
    /// A writable primary waits as long as its lease runs, not just one heartbeat timeout: on a
    /// slow link the answer to this write is the quickest news there can be, and abandoning it
    /// for a new write would need a second round trip to learn which of the two landed (the
    /// new one is refused when the old one landed first). Every `heartbeat_timeout` without
    /// the answer counts one failed heartbeat (the second number returned) and starts a read
    /// of the leader entry: when that shows this write applied, or the entry changed, the wait
    /// ends with what the read showed; when it shows the entry unchanged, this write has not
    /// arrived yet and the wait goes on. A write lost with its connection is so waited for
    /// until the lease ends: fencing then is right, the link was down for that long.
    ///
    /// Why this keeps both promises: the count only grows while heartbeats are slow or lost,
    /// and an answer within the timeout resets it, so `failure_threshold` slow heartbeats in a
    /// row fence and fewer never do; and the wait never outlasts the lease, which runs from the
    /// send time of the newest heartbeat known to have landed. The server stamped that one
    /// later, and the replica promotes only `failover_timeout` (longer than the lease) after
    /// that stamp.
    async fn heartbeat(
        &mut self,
        events: &mut Vec<Event>,
        value: Vec<u8>,
        revision: u64,
    ) -> (Heard, u32) {
        let period = self.timing.heartbeat_timeout;
        let wait = self.heartbeat_wait();
        let check_in_flight = !self.in_flight.is_empty();
        let failures = self.failures;
        // `&mut self` (not `&self`) across the awaits, so the node need not be `Sync`.
        let (kv, key) = (&self.kv, self.leader_key.as_str());
        let sent = Instant::now();
        let answer = async {
            let update = kv.update(key, value, revision, wait);
            // After a heartbeat whose answer was lost, the entry is read at the same time: if
            // one of those heartbeats was applied, the update is refused, and the read shows
            // which one it was, in the same round trip.
            if check_in_flight {
                let (result, current) = tokio::join!(update, kv.read(key, wait));
                (result, Some(current))
            } else {
                (update.await, None)
            }
        };
        tokio::pin!(answer);
        let mut ticks = 0u32;
        let mut probe = None;
        let (result, current) = loop {
            let next_tick = sent + period * (ticks + 1);
            tokio::select! {
                biased;
                answered = &mut answer => break answered,
                read = async { probe.as_mut().expect("guarded").await }, if probe.is_some() => {
                    probe = None;
                    let read: Result<Option<Record>, KvError> = read;
                    match read {
                        // Not arrived yet (or the read failed too): keep waiting for the answer.
                        Ok(Some(record)) if record.revision == revision => {}
                        Err(_) => {}
                        // Applied (this write or an earlier one), or another node wrote: what
                        // the conflict path decides from.
                        Ok(current) => break (Err(KvError::Conflict), Some(Ok(current))),
                    }
                }
                _ = tokio::time::sleep_until(next_tick), if probe.is_none() => {
                    ticks += 1;
                    events.push(Event::HeartbeatFailed {
                        consecutive: failures.saturating_add(ticks),
                        reason: format!(
                            "no answer within {:?}; still waiting while the lease runs",
                            period * ticks
                        ),
                    });
                    let left = wait.saturating_sub(sent.elapsed());
                    probe = Some(Box::pin(kv.read(key, period.min(left))));
                }
            }
        };
        (
            Heard {
                sent,
                result,
                current,
            },
            ticks,
        )
    }

    /// How long a heartbeat waits for its answer: until the lease ends for a writable primary
    /// (which fences then in any case), one heartbeat timeout otherwise.
    fn heartbeat_wait(&self) -> Duration {
        match &self.role {
            Role::Primary {
                lease_from: Some(from),
                fenced: false,
                ..
            } => (*from + self.timing.lease()).saturating_duration_since(Instant::now()),
            _ => self.timing.heartbeat_timeout,
        }
    }

    async fn replica_round(&mut self, events: &mut Vec<Event>) {
        let timeout = self.timing.heartbeat_timeout;
        let state = self.db.state().await;
        if let DbState::Standby { lag_bytes } = &state {
            self.lag_bytes = *lag_bytes;
        }
        // The replica's own write gives the server's "now".
        let Some(now_ms) = self.report("replica", events).await else {
            return;
        };
        let record = match self.kv.read(&self.leader_key, timeout).await {
            Ok(Some(record)) => record,
            Ok(None) => return,
            Err(KvError::Unavailable(reason)) => return self.failed(events, reason),
            Err(KvError::Conflict) => return,
        };
        self.succeeded();
        let Some(leader) = decode_leader(&record) else {
            events.push(Event::Failed(format!(
                "the leader entry {} is not readable; not taking over",
                self.leader_key
            )));
            return;
        };
        if state == DbState::Writable && leader.holder != self.name {
            // Someone made this standby a primary behind the role's back.
            self.fence(events, "a replica's database accepted writes")
                .await;
            events.push(Event::Deposed {
                by: leader.holder.clone(),
            });
            self.role = Role::Deposed { by: leader.holder };
            return;
        }
        // The entry was read after our write: no heartbeat between it and `now_ms` is missing.
        let silent_ms = now_ms.saturating_sub(record.stamp_ms);
        if leader.holder == self.name {
            // A takeover whose answer was lost on the way back: it was applied, this node leads.
            // Its lease is unknown, so it heartbeats before its database accepts writes.
            self.leader_reason = leader.reason.clone();
            // Also the way a switchover arrives: the old primary fenced and wrote this entry.
            self.role = Role::Primary {
                epoch: leader.epoch,
                revision: record.revision,
                token: leader.fencing_token(record.revision),
                lease_from: None,
                fenced: true,
                needs_promote: true,
            };
            self.successes = 0;
            return;
        }
        if silent_ms <= self.timing.failover_timeout.as_millis() as u64
            || self.successes < self.timing.success_threshold
        {
            return;
        }
        if !matches!(state, DbState::Standby { .. }) {
            events.push(Event::Failed(format!(
                "the primary {} is silent for {silent_ms} ms, but this database cannot take over: {state:?}",
                leader.holder
            )));
            return;
        }
        let sent = Instant::now();
        let reason = format!(
            "primary {} silent for {silent_ms} ms (failover_timeout {:?})",
            leader.holder, self.timing.failover_timeout
        );
        let id = self.next_id();
        let value = self.leader_value(leader.epoch + 1, &reason, &id);
        match self
            .kv
            .update(&self.leader_key, value, record.revision, timeout)
            .await
        {
            Ok(revision) => {
                self.leader_reason = reason;
                self.role = Role::Primary {
                    epoch: leader.epoch + 1,
                    revision,
                    token: revision,
                    lease_from: Some(sent),
                    fenced: true,
                    needs_promote: true,
                };
                events.push(Event::Promoted {
                    revision,
                    silent_ms,
                });
                // The winning write counts as a heartbeat: promote now, not a round later.
                self.successes = self.timing.success_threshold;
                self.enforce(events).await;
            }
            Err(KvError::Conflict) => events.push(Event::LostRace),
            Err(KvError::Unavailable(reason)) => self.failed(events, reason),
        }
    }

    async fn deposed_round(&mut self, events: &mut Vec<Event>) {
        let state = self.db.state().await;
        if state == DbState::Writable {
            self.fence(events, "deposed: another node holds leadership")
                .await;
        }
        self.report("deposed", events).await;
        let leader = match self.kv.read(&self.leader_key, self.op_timeout()).await {
            Ok(Some(record)) => decode_leader(&record),
            Ok(None) => None,
            Err(KvError::Unavailable(reason)) => return self.failed(events, reason),
            Err(KvError::Conflict) => None,
        };
        // Follow a leader whose database accepts writes (a standby needs a primary to stream
        // from); until then, stay fenced.
        let Some(leader) = leader.filter(|l| l.holder != self.name && l.writable) else {
            return;
        };
        self.succeeded();
        match self.db.rejoin().await {
            Ok(how) => {
                self.lag_bytes = None;
                events.push(Event::Rejoined {
                    leader: leader.holder,
                    how,
                });
                self.role = Role::Replica;
            }
            Err(e) => {
                let message = format!("cannot rejoin as a replica of {}: {e}", leader.holder);
                // Said once, not on every round while it lasts.
                if self.last_event.as_deref() != Some(message.as_str()) {
                    events.push(Event::Failed(message));
                }
            }
        }
    }

    /// A switchover was asked for: fences this database, then gives leadership to `to` by a
    /// compare-and-set over the request (revision `expected`). The hand-over write follows the
    /// fence, so the new holder may promote as soon as it reads it. Retried on the next round
    /// when either step fails.
    async fn hand_over(&mut self, events: &mut Vec<Event>, epoch: u64, expected: u64, to: String) {
        self.in_flight.clear();
        // From here on it is fenced and holds no lease: writable again only after fresh
        // heartbeats, should the hand-over not happen.
        self.set_fenced(true, false);
        if let Role::Primary { lease_from, .. } = &mut self.role {
            *lease_from = None;
        }
        self.successes = 0;
        if let Err(e) = self.db.fence().await {
            return events.push(Event::Failed(format!(
                "cannot fence for the switchover to {to}: {e}"
            )));
        }
        events.push(Event::Fenced {
            reason: format!("switchover to {to}"),
        });
        let id = self.next_id();
        let value = serde_json::to_vec(&LeaderRecord {
            holder: to.clone(),
            epoch: epoch + 1,
            reason: format!("switchover: {} handed over to {to}", self.name),
            write: id,
            writable: false,
            last_event: None,
            token: 0,
            handover_to: None,
        })
        .unwrap_or_default();
        let timeout = self.timing.heartbeat_timeout;
        match self
            .kv
            .update(&self.leader_key, value, expected, timeout)
            .await
        {
            Ok(revision) => {
                events.push(Event::HandedOver {
                    to: to.clone(),
                    revision,
                });
                self.role = Role::Deposed { by: to };
            }
            // Changed meanwhile (a takeover): the next round reads who leads.
            Err(KvError::Conflict) => {}
            Err(KvError::Unavailable(reason)) => self.failed(events, reason),
        }
    }

    /// Writes this node's report; the server's timestamp of it (ms), when it could be read back.
    async fn report(&mut self, role: &str, events: &mut Vec<Event>) -> Option<u64> {
        let writable = matches!(self.role, Role::Primary { fenced: false, .. });
        let report = NodeReport {
            node: self.name.clone(),
            role: role.to_string(),
            writable,
            lag_bytes: self.lag_bytes,
            last_event: self.last_event.clone(),
        };
        let timeout = self.op_timeout();
        let value = serde_json::to_vec(&report).unwrap_or_default();
        let revision = match self.kv.put(&self.node_key, value, timeout).await {
            Ok(revision) => revision,
            Err(KvError::Unavailable(reason)) => {
                if role != "primary" {
                    self.failed(events, reason);
                }
                return None;
            }
            Err(KvError::Conflict) => return None,
        };
        if role == "primary" {
            // The primary's clock is its lease; only the replica needs the server's time.
            return None;
        }
        match self.kv.read(&self.node_key, timeout).await {
            Ok(Some(record)) if record.revision >= revision => Some(record.stamp_ms),
            Ok(_) => None,
            Err(KvError::Unavailable(reason)) => {
                if role != "primary" {
                    self.failed(events, reason);
                }
                None
            }
            Err(KvError::Conflict) => None,
        }
    }
}

/// What became of one heartbeat: when it was sent, the answer to it (or what a read showed in
/// its place) and the leader entry when it was read.
struct Heard {
    sent: Instant,
    result: Result<u64, KvError>,
    current: Option<Result<Option<Record>, KvError>>,
}

fn decode_leader(record: &Record) -> Option<LeaderRecord> {
    serde_json::from_slice(&record.value).ok()
}

/// Runs `node` until `shutdown` completes, logging each event with `log`.
pub async fn run<K: LeaseKv, D: Database>(
    node: &mut Node<K, D>,
    shutdown: impl Future<Output = ()>,
    mut log: impl FnMut(&Event),
) {
    tokio::pin!(shutdown);
    loop {
        for event in node.step().await {
            log(&event);
        }
        tokio::select! {
            _ = &mut shutdown => return,
            _ = tokio::time::sleep_until(node.next_wake()) => {}
        }
    }
}

#[cfg(test)]
mod tests;
