//! Publishing many devices' desired state at once: one read of every current value of the
//! namespace ([`FleetStore::snapshot`], a single ordered consumer delivering the last value of
//! each key) instead of one read per device, then each write checked against the revision that
//! read returned, many writes in flight. A key changed by someone else between the read and the
//! write is a conflict error for that device, exactly as with [`FleetStore::apply`]: nothing is
//! overwritten blind.

use std::collections::HashMap;
use std::time::Duration;

use async_nats::jetstream::consumer::push::OrderedConfig;
use async_nats::jetstream::consumer::{DeliverPolicy, ReplayPolicy};
use futures_util::StreamExt;
use harmony_dsl::outcome::Observed;
use harmony_dsl::resource::DeviceSpec;
use harmony_dsl::{Error, Outcome};

use super::super::wire::{DESIRED_BUCKET, encode_spec, key_token};
use super::{Current, FleetStore};

/// The outcome of publishing one spec, and the revision now stored.
pub type Published = Result<(Outcome, u64), Error>;

/// Longest a snapshot may take before it is given up as a transient error.
const SNAPSHOT_TIMEOUT: Duration = Duration::from_secs(120);

/// Every desired value stored in one namespace, by key, as read at one moment.
pub struct Snapshot {
    entries: HashMap<String, Current>,
}

impl Snapshot {
    /// How many keys hold a value.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no key holds a value.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The revision stored under `key`, if any.
    pub fn revision(&self, key: &str) -> Option<u64> {
        self.entries.get(key).map(|c| c.revision)
    }

    /// The revision and bytes stored under `key`, if any.
    pub fn entry(&self, key: &str) -> Option<(u64, &bytes::Bytes)> {
        self.entries.get(key).map(|c| (c.revision, &c.value))
    }
}

impl FleetStore {
    /// Reads every desired value of this store's namespace at once: an ordered consumer over
    /// `$KV.harmony-desired.<namespace>.>` delivering the last value per key (deleted keys
    /// count as absent).
    pub async fn snapshot(&self) -> Result<Snapshot, Error> {
        tokio::time::timeout(SNAPSHOT_TIMEOUT, self.read_snapshot())
            .await
            .unwrap_or_else(|_| {
                Err(Error::transient(format!(
                    "reading every key of namespace `{}` in bucket `{DESIRED_BUCKET}` took more than {}s",
                    self.namespace,
                    SNAPSHOT_TIMEOUT.as_secs()
                )))
            })
    }

    async fn read_snapshot(&self) -> Result<Snapshot, Error> {
        let prefix = format!("$KV.{DESIRED_BUCKET}.");
        let what = format!(
            "cannot read the keys of namespace `{}` in bucket `{DESIRED_BUCKET}`",
            self.namespace
        );
        let failed = |e: &dyn std::fmt::Display| {
            Error::transient(format!("{what} (NATS at {}): {e}", self.url))
        };
        let consumer = self
            .desired
            .stream
            .create_consumer(OrderedConfig {
                deliver_subject: self.client.new_inbox(),
                filter_subject: format!("{prefix}{}.>", key_token(&self.namespace)),
                deliver_policy: DeliverPolicy::LastPerSubject,
                replay_policy: ReplayPolicy::Instant,
                ..Default::default()
            })
            .await
            .map_err(|e| failed(&e))?;
        let mut entries = HashMap::new();
        if consumer.cached_info().num_pending == 0 {
            return Ok(Snapshot { entries });
        }
        let mut messages = consumer.messages().await.map_err(|e| failed(&e))?;
        while let Some(message) = messages.next().await {
            let message = message.map_err(|e| failed(&e))?;
            let info = message.info().map_err(|e| failed(&e))?;
            let (revision, last) = (info.stream_sequence, info.pending == 0);
            let deleted = message
                .headers
                .as_ref()
                .and_then(|h| h.get("KV-Operation"))
                .is_some_and(|op| op.as_str() == "DEL" || op.as_str() == "PURGE");
            if let Some(key) = message.subject.as_str().strip_prefix(&prefix) {
                if deleted {
                    entries.remove(key);
                } else {
                    entries.insert(
                        key.to_string(),
                        Current {
                            revision,
                            value: message.payload.clone(),
                        },
                    );
                }
            }
            if last {
                break;
            }
        }
        Ok(Snapshot { entries })
    }

    /// Publishes every spec of `specs` (result `i` is `specs[i]`'s): one [`snapshot`] read, then
    /// for each spec whose stored value differs a write checked against the revision the
    /// snapshot saw (created only if absent), at most `in_flight` writes at once. Returns the
    /// outcome and the revision now stored per spec; an error only when the snapshot fails.
    ///
    /// [`snapshot`]: FleetStore::snapshot
    pub async fn apply_all(
        &self,
        specs: &[DeviceSpec],
        in_flight: usize,
    ) -> Result<Vec<Published>, Error> {
        let snapshot = self.snapshot().await?;
        Ok(self.apply_on(&snapshot, specs, in_flight).await)
    }

    /// [`apply_all`](FleetStore::apply_all) against a snapshot already read.
    pub async fn apply_on(
        &self,
        snapshot: &Snapshot,
        specs: &[DeviceSpec],
        in_flight: usize,
    ) -> Vec<Published> {
        let mut results: Vec<(usize, Published)> =
            self.apply_each(snapshot, specs, in_flight).collect().await;
        results.sort_by_key(|(i, _)| *i);
        results.into_iter().map(|(_, result)| result).collect()
    }

    /// The writes of [`apply_on`](FleetStore::apply_on), each `(index in specs, outcome)` as soon
    /// as the server acknowledged it (in completion order).
    pub fn apply_each<'a>(
        &'a self,
        snapshot: &'a Snapshot,
        specs: &'a [DeviceSpec],
        in_flight: usize,
    ) -> impl futures_util::Stream<Item = (usize, Published)> + 'a {
        futures_util::stream::iter(specs.iter().enumerate())
            .map(move |(i, spec)| async move {
                let key = self.key(spec);
                let bytes = bytes::Bytes::from(encode_spec(spec));
                let result = match snapshot.entries.get(&key) {
                    Some(current) if current.value == bytes => {
                        Ok((Outcome::Unchanged, current.revision))
                    }
                    Some(current) => {
                        let observed = Observed::Revision {
                            value: current.revision,
                        };
                        self.write_encoded(&key, spec, bytes, &observed).await
                    }
                    None => {
                        self.write_encoded(&key, spec, bytes, &Observed::Absent)
                            .await
                    }
                };
                (i, result)
            })
            .buffer_unordered(in_flight.max(1))
    }
}
