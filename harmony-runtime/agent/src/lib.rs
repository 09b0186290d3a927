//! `harmony-agent`: runs on a device, reconciles the device's desired state from NATS.
//!
//! - Watches every key of its device in the `harmony-desired` bucket (subject filter
//!   `$KV.harmony-desired.*.<device>.*`, latest value per key first, then live changes) through
//!   a named ordered consumer, so per-device permissions can restrict what it may watch.
//! - Runs each desired workload under a [`Supervisor`]: restarts with backoff, stops what is no
//!   longer desired.
//! - Keeps what it was last told on disk ([`LocalStore`]) and runs it at start, before and
//!   without any connection.
//! - Writes a [`DeviceStatus`] to `harmony-status` under its device key on every change and every
//!   heartbeat interval.
//! - When the connection or the watch is lost it reconnects with backoff and watches again; it
//!   skips every value whose revision it already runs, so it resumes where it was.
//! - It notices when the desired-state store was reset (stream deleted and created again, server
//!   restored from empty): revisions then start over below the ones it runs. It does not decide
//!   that from a remembered revision alone but from what the store says of its own keys: a key it
//!   runs that the store holds nothing for (not even a deletion), or whose last value is at a lower
//!   revision, or at the same revision written at another server time, cannot come from the store
//!   it read (a stream's sequences and timestamps never go back). It then resyncs: it takes
//!   whatever the new store holds for it, whatever the revision, and keeps running what the new
//!   store does not hold, reported as [`Phase::Stale`] (never converged) until the operator
//!   applies it again or deletes it. It reads no stream information to tell, so per-device
//!   permissions need not allow it.
//! - A configuration error retrying cannot fix (a password without a user, an unparsable URL,
//!   refused credentials) makes it exit non-zero with the reason; a server that cannot be reached
//!   is retried with bounded backoff.
//! - While connected, it answers device commands on its own subject ([`commands`]).
//! - It never reads a stream's info, so per-device permissions need not allow it ([`buckets`]).
//! - On SIGTERM/SIGINT it stops its workloads and writes an `offline` status.

pub mod backoff;
pub mod buckets;
pub mod cli;
pub mod commands;
pub mod failover;
pub mod local;
pub mod supervisor;

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_nats::jetstream::{self, consumer::push::OrderedConfig};
use buckets::KeyLast;
use futures_util::StreamExt;
use harmony_fleet_wire::Workload;
use tokio::sync::{Notify, watch};

pub use harmony_fleet_wire::connect::ConnectConfig;
use harmony_fleet_wire::connect::connect;
use harmony_fleet_wire::{
    DESIRED_BUCKET, DeviceStatus, Phase, WorkloadState, device_filter, key_token, now_ms,
    status_key,
};
pub use local::{Desired, LocalState, LocalStore, STALE};
pub use supervisor::Supervisor;

/// First wait before reconnecting.
const RECONNECT_START: Duration = Duration::from_millis(100);
/// Longest wait between reconnection attempts.
const RECONNECT_MAX: Duration = Duration::from_secs(5);
/// Every this many heartbeats a connected agent checks that its desired-state stream is still
/// the one it watches (one stream-info request).
const STORE_CHECK_HEARTBEATS: u32 = 4;

/// How an agent runs.
#[derive(Debug, Clone)]
pub struct AgentConfig {
    /// NATS server URL.
    pub url: String,
    /// This device's name (its host name in the topology).
    pub device: String,
    /// Where the desired state and workload logs are kept.
    pub state_dir: PathBuf,
    /// Credentials and TLS.
    pub connect: ConnectConfig,
    /// How often to write a heartbeat.
    pub heartbeat: Duration,
}

macro_rules! say {
    ($device:expr, $($arg:tt)*) => {
        eprintln!("harmony-agent[{}] {}: {}", $device, now_ms(), format!($($arg)*))
    };
}

/// The agent's state between sessions.
struct Agent {
    config: AgentConfig,
    store: LocalStore,
    state: LocalState,
    supervisor: Supervisor,
    changed: Arc<Notify>,
    /// Why a key's value cannot run (not a device spec, wrong device).
    rejected: Vec<(String, String)>,
    /// The name of the NATS server of the current or last connection (the site's leaf node).
    server: Option<String>,
}

enum SessionEnd {
    Shutdown,
    Lost(String),
}

/// Runs the agent until `shutdown` completes.
pub async fn run(config: AgentConfig, shutdown: impl Future<Output = ()>) -> Result<(), String> {
    check_url(&config.url).map_err(|e| configuration_error(&e))?;
    let started = Instant::now();
    let store = LocalStore::open(&config.state_dir).map_err(|e| {
        format!(
            "cannot use state directory {}: {e}",
            config.state_dir.display()
        )
    })?;
    let state = match store.load() {
        Ok(state) => state,
        Err(e) => {
            say!(config.device, "ignoring unreadable local state: {e}");
            LocalState::default()
        }
    };
    let changed = Arc::new(Notify::new());
    let supervisor = Supervisor::new(&config.state_dir, changed.clone()).map_err(|e| {
        format!(
            "cannot prepare state directory {}: {e}",
            config.state_dir.display()
        )
    })?;
    let orphans = supervisor.reap_orphans().await;
    if orphans > 0 {
        say!(
            config.device,
            "stopped {orphans} workload processes left by a previous agent"
        );
    }
    let mut agent = Agent {
        supervisor,
        config,
        store,
        state,
        changed,
        rejected: Vec::new(),
        server: None,
    };
    if !agent.state.keys.is_empty() {
        say!(
            agent.config.device,
            "running the locally kept desired state ({} keys) until NATS answers",
            agent.state.keys.len()
        );
    }
    agent.reconcile().await;

    let (status_tx, status_rx) = watch::channel(agent.status(false));
    tokio::pin!(shutdown);
    let mut backoff = backoff::Backoff::new(RECONNECT_START, RECONNECT_MAX);
    loop {
        let mut options = agent.config.connect.clone();
        options.name = Some(format!("harmony-agent {}", agent.config.device));
        options.inbox_prefix = Some(format!("_INBOX_{}", key_token(&agent.config.device)));
        let attempt = tokio::select! {
            _ = &mut shutdown => break,
            attempt = connect(&agent.config.url, &options) => attempt,
        };
        let end = match attempt {
            Ok(client) => {
                say!(
                    agent.config.device,
                    "connected to {}",
                    harmony_values::mask_url_credentials(&agent.config.url)
                );
                // A server without a configured name reports its id as its name: no site.
                let info = client.server_info();
                agent.server = (!info.server_name.is_empty() && info.server_name != info.server_id)
                    .then_some(info.server_name);
                let connected = Instant::now();
                let responder = commands::Responder {
                    device: agent.config.device.clone(),
                    started,
                    workloads: agent.supervisor.registry(),
                };
                let responder = tokio::spawn(responder.serve(client.clone()));
                let end = agent
                    .session(&client, &status_tx, status_rx.clone(), &mut shutdown)
                    .await;
                responder.abort();
                drop(client);
                // Only a session that lasted resets the backoff: one that ends at once (its
                // bucket missing, a permission refused) would otherwise reconnect every 100 ms.
                if connected.elapsed() >= RECONNECT_MAX {
                    backoff.reset();
                }
                end
            }
            // A permanent connection error is this agent's configuration (a password without
            // a user, an unparsable URL, refused credentials, an untrusted certificate, a server
            // too old): retrying cannot fix it, so the agent says so and exits non-zero.
            Err(e) if !e.is_transient() => {
                agent.supervisor.stop_all().await;
                return Err(configuration_error(&e.to_string()));
            }
            Err(e) => SessionEnd::Lost(e.to_string()),
        };
        match end {
            SessionEnd::Shutdown => break,
            SessionEnd::Lost(reason) => {
                // Jitter (half to all of the backoff), so that a fleet whose server comes back
                // does not reconnect in step.
                let wait = backoff.current().mul_f64(0.5 + fastrand::f64() * 0.5);
                say!(
                    agent.config.device,
                    "{}; retrying in {wait:?}",
                    harmony_values::mask_url_credentials(&reason)
                );
                let wait = tokio::time::sleep(wait);
                tokio::pin!(wait);
                loop {
                    tokio::select! {
                        _ = &mut shutdown => {
                            agent.supervisor.stop_all().await;
                            return Ok(());
                        }
                        _ = &mut wait => break,
                        _ = agent.changed.notified() => {
                            status_tx.send_replace(agent.status(false));
                        }
                    }
                }
                backoff.advance();
            }
        }
    }
    agent.supervisor.stop_all().await;
    say!(agent.config.device, "stopped");
    Ok(())
}

impl Agent {
    fn desired_workloads(&mut self) -> Vec<(String, Workload)> {
        let mut out = Vec::new();
        self.rejected.clear();
        for (key, desired) in &self.state.keys {
            match desired.spec() {
                Ok(spec) if spec.device == self.config.device => {
                    out.extend(spec.workloads.into_iter().map(|w| (key.clone(), w)));
                }
                Ok(spec) => self.rejected.push((
                    key.clone(),
                    format!("spec is for device `{}`, not this one", spec.device),
                )),
                Err(e) => self
                    .rejected
                    .push((key.clone(), format!("not a device spec: {e}"))),
            }
        }
        out
    }

    async fn reconcile(&mut self) {
        let desired = self.desired_workloads();
        self.supervisor.reconcile(desired).await;
    }

    fn status(&self, online: bool) -> DeviceStatus {
        let workloads = self.supervisor.statuses();
        let phase = if !self.rejected.is_empty()
            || workloads.iter().any(|w| w.state == WorkloadState::Failed)
        {
            Phase::Failed
        } else if self.state.stale_keys().next().is_some() {
            Phase::Stale
        } else if workloads.iter().all(|w| w.state == WorkloadState::Running) {
            Phase::Converged
        } else {
            Phase::Converging
        };
        let mut workloads = workloads;
        for (key, reason) in &self.rejected {
            workloads.push(harmony_fleet_wire::WorkloadStatus {
                name: String::new(),
                key: key.clone(),
                state: WorkloadState::Failed,
                pid: None,
                restarts: 0,
                message: Some(reason.clone()),
            });
        }
        DeviceStatus {
            device: self.config.device.clone(),
            phase,
            online,
            applied: self
                .state
                .keys
                .iter()
                .map(|(k, d)| (k.clone(), d.revision))
                .collect(),
            workloads,
            heartbeat_ms: now_ms(),
            heartbeat_interval_ms: self.config.heartbeat.as_millis() as u64,
            server: self.server.clone(),
        }
    }

    fn save(&self) {
        if let Err(e) = self.store.save(&self.state) {
            say!(
                self.config.device,
                "cannot save desired state to {}: {e}",
                self.store.path().display()
            );
        }
    }

    /// One connected session: watch, reconcile, report, until the connection or watch fails.
    async fn session(
        &mut self,
        client: &async_nats::Client,
        status_tx: &watch::Sender<DeviceStatus>,
        status_rx: watch::Receiver<DeviceStatus>,
        shutdown: &mut (impl Future<Output = ()> + Unpin),
    ) -> SessionEnd {
        let js = self.config.connect.jetstream(client.clone());
        let stream = match buckets::desired_stream(&js).await {
            Ok(stream) => stream,
            Err(e) => return SessionEnd::Lost(e),
        };
        let status = buckets::StatusWriter::new(
            js.clone(),
            &status_key(&self.config.device),
            self.config.connect.jetstream_domain.as_deref(),
        );
        let prefix = format!("$KV.{DESIRED_BUCKET}.");
        let consumer = stream
            .create_consumer(OrderedConfig {
                deliver_subject: client.new_inbox(),
                name: Some(format!(
                    "agent-{}-{}",
                    key_token(&self.config.device),
                    unguessable_suffix()
                )),
                description: Some(format!("harmony-agent {}", self.config.device)),
                filter_subject: format!("{prefix}{}", device_filter(&self.config.device)),
                deliver_policy: jetstream::consumer::DeliverPolicy::LastPerSubject,
                replay_policy: jetstream::consumer::ReplayPolicy::Instant,
                ..Default::default()
            })
            .await;
        let mut messages = match consumer {
            Ok(consumer) => match consumer.messages().await {
                Ok(messages) => messages,
                Err(e) => return SessionEnd::Lost(format!("cannot watch desired state: {e}")),
            },
            Err(e) => return SessionEnd::Lost(format!("cannot watch desired state: {e}")),
        };

        // Keys deleted while this device was away (the watch only shows what exists), and whether
        // the store is still the one the kept revisions came from.
        let known: Vec<String> = self.state.keys.keys().cloned().collect();
        let mut removed = false;
        for key in known {
            match buckets::desired_key_last(&stream, &key).await {
                Ok(KeyLast::Value { revision, stamp }) => {
                    if let Some(why) = self.state.reset_by(&key, revision, stamp) {
                        self.resync(&why);
                    }
                }
                Ok(KeyLast::Absent) => {
                    if let Some(why) = self.state.reset_by_absence(&key) {
                        self.resync(&why);
                    }
                }
                Ok(KeyLast::Deleted) => {
                    self.state.keys.remove(&key);
                    removed = true;
                }
                Err(e) => return SessionEnd::Lost(e),
            }
        }
        if removed {
            self.save();
            self.reconcile().await;
        }

        let publisher = tokio::spawn(publish_status(
            status,
            status_rx,
            self.config.device.clone(),
        ));
        status_tx.send_replace(self.status(true));
        let mut heartbeat = tokio::time::interval(self.config.heartbeat);
        let mut store_checked = Instant::now();
        let end = loop {
            tokio::select! {
                _ = &mut *shutdown => {
                    self.supervisor.stop_all().await;
                    status_tx.send_replace(offline(self.status(false)));
                    // Give the publisher a moment to write the offline status.
                    let _ = tokio::time::timeout(Duration::from_secs(2), flush_status(client)).await;
                    break SessionEnd::Shutdown;
                }
                message = messages.next() => match message {
                    Some(Ok(message)) => {
                        let Some(key) = message.subject.as_str().strip_prefix(&prefix) else {
                            continue;
                        };
                        let key = key.to_string();
                        let at = match message.info() {
                            Ok(info) => (
                                info.stream_sequence,
                                nanos(info.published.unix_timestamp_nanos()),
                            ),
                            Err(e) => break SessionEnd::Lost(format!("bad message on the watch: {e}")),
                        };
                        let deleted = message
                            .headers
                            .as_ref()
                            .and_then(|h| h.get("KV-Operation"))
                            .is_some_and(|op| op.as_str() == "DEL" || op.as_str() == "PURGE");
                        if self.accept(key, at, deleted, &message.payload) {
                            self.save();
                            self.reconcile().await;
                            status_tx.send_replace(self.status(true));
                        }
                    }
                    Some(Err(e)) => break SessionEnd::Lost(format!("watch failed: {e}")),
                    None => break SessionEnd::Lost("watch ended".to_string()),
                },
                _ = heartbeat.tick() => {
                    status_tx.send_replace(self.status(true));
                    // A stream recreated under a live watch can be rejoined by the ordered
                    // consumer past its first sequences: ask the store about our keys now and then.
                    if store_checked.elapsed() >= self.config.heartbeat * STORE_CHECK_HEARTBEATS {
                        store_checked = Instant::now();
                        match self.store_reset(&stream).await {
                            Ok(None) => {}
                            Ok(Some(why)) => break SessionEnd::Lost(format!(
                                "the desired-state store was reset ({why}); resyncing"
                            )),
                            Err(e) => break SessionEnd::Lost(e),
                        }
                    }
                }
                _ = self.changed.notified() => {
                    status_tx.send_replace(self.status(true));
                }
            }
        };
        if !matches!(end, SessionEnd::Shutdown) {
            publisher.abort();
        } else {
            let _ = tokio::time::timeout(Duration::from_secs(2), publisher).await;
        }
        end
    }

    /// Why the store no longer is the one the kept revisions came from, as its last value of
    /// each key this device runs shows (see [`LocalState::reset_by`]); `None` when it still is.
    async fn store_reset(
        &self,
        stream: &jetstream::stream::Stream<()>,
    ) -> Result<Option<String>, String> {
        for key in self.state.keys.keys() {
            let why = match buckets::desired_key_last(stream, key).await? {
                KeyLast::Value { revision, stamp } => self.state.reset_by(key, revision, stamp),
                KeyLast::Absent => self.state.reset_by_absence(key),
                KeyLast::Deleted => None,
            };
            if why.is_some() {
                return Ok(why);
            }
        }
        Ok(None)
    }

    /// After a reset every kept key becomes stale (revision 0, taken again at any revision the
    /// new store has).
    fn resync(&mut self, why: &str) {
        say!(
            self.config.device,
            "the desired-state store was reset ({why}): resyncing from it; what it does not hold \
             keeps running and is reported stale"
        );
        self.state.forget_revisions();
        self.save();
    }

    /// Takes one watched value into the local state; whether anything changed.
    fn accept(
        &mut self,
        key: String,
        (revision, stamp): (u64, u64),
        deleted: bool,
        payload: &[u8],
    ) -> bool {
        if deleted {
            let had = self.state.keys.remove(&key).is_some();
            if had {
                say!(self.config.device, "{key} deleted at revision {revision}");
            }
            return had;
        }
        if let Some(why) = self.state.reset_by(&key, revision, stamp) {
            self.resync(&why);
        }
        if self
            .state
            .keys
            .get(&key)
            .is_some_and(|d| d.revision >= revision)
        {
            return false;
        }
        let value = match serde_json::from_slice(payload) {
            Ok(value) => value,
            Err(e) => serde_json::Value::String(format!("(unreadable: {e})")),
        };
        say!(self.config.device, "{key} at revision {revision}");
        self.state.keys.insert(
            key,
            Desired {
                revision,
                stamp: Some(stamp),
                value,
            },
        );
        true
    }
}

/// `problem` (credentials masked), said to be a configuration error: what the agent exits with.
fn configuration_error(problem: &str) -> String {
    format!(
        "{}; this is a configuration error that retrying cannot fix: correct it and start the \
         agent again",
        harmony_values::mask_url_credentials(problem)
    )
}

/// Checks `url` as a topology's `NatsUrl` is checked (scheme `nats://` or `tls://`, a host, a
/// valid port), credentials aside: an agent's URL may carry them, a topology's may not.
fn check_url(url: &str) -> Result<(), String> {
    let without_credentials = match url.split_once("://") {
        Some((scheme, rest)) => {
            let authority = rest.find(['/', '?', '#']).unwrap_or(rest.len());
            match rest[..authority].rfind('@') {
                Some(at) => format!("{scheme}://{}", &rest[at + 1..]),
                None => url.to_string(),
            }
        }
        None => url.to_string(),
    };
    without_credentials
        .parse::<harmony_values::NatsUrl>()
        .map(|_| ())
        .map_err(|e| format!("--nats: {e}"))
}

/// A server timestamp in nanoseconds since the Unix epoch, as stored (0 before 1970).
pub(crate) fn nanos(since_epoch: i128) -> u64 {
    u64::try_from(since_epoch).unwrap_or(0)
}

/// The status written on a clean shutdown: offline, no workloads.
fn offline(mut status: DeviceStatus) -> DeviceStatus {
    status.phase = Phase::Offline;
    status.online = false;
    status.workloads.clear();
    status
}

async fn flush_status(client: &async_nats::Client) {
    let _ = client.flush().await;
    tokio::time::sleep(Duration::from_millis(200)).await;
}

/// Writes the latest status whenever it changes; a failed write is retried with the next one.
async fn publish_status(
    writer: buckets::StatusWriter,
    mut rx: watch::Receiver<DeviceStatus>,
    device: String,
) {
    loop {
        let status = rx.borrow_and_update().clone();
        let bytes = serde_json::to_vec(&status).unwrap_or_default();
        if let Err(e) = writer.put(bytes).await {
            say!(device, "cannot write status: {e}");
        }
        if status.phase == Phase::Offline || rx.changed().await.is_err() {
            return;
        }
    }
}

/// 64 random bits from the kernel, in hex: the watch consumer's name ends with it, so that no
/// other device can guess it (subject permissions cannot limit a consumer's name by prefix).
fn unguessable_suffix() -> String {
    use std::io::Read as _;
    let mut bytes = [0u8; 8];
    let read = std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut bytes));
    if read.is_err() {
        // No /dev/urandom: the time and a non-cryptographic generator, still unique.
        bytes = (now_ms() ^ fastrand::u64(..)).to_le_bytes();
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_checked_like_a_topologys_without_ever_showing_the_password() {
        for ok in [
            "nats://10.20.0.1:4222",
            "tls://nats.example.com",
            "nats://north:pw@10.20.0.1:4222",
        ] {
            assert_eq!(check_url(ok), Ok(()), "{ok}");
        }
        for (bad, why) in [
            ("nats://", "host"),
            ("http://10.0.0.1:4222", "scheme"),
            ("10.0.0.1:4222", "scheme"),
            ("nats://north:hunter2@10.0.0.1:notaport", "port"),
        ] {
            let e = check_url(bad).expect_err(bad);
            assert!(e.contains(why), "{bad}: {e}");
            assert!(!e.contains("hunter2"), "{e}");
        }
    }
}
