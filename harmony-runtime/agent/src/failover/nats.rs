//! The protocol's key-value store on NATS JetStream ([`NatsKv`]).
//!
//! Revisions are the stream sequences of the bucket, timestamps the server's time of each
//! message (`Entry::created`). Compare-and-set is JetStream's `Nats-Expected-Last-Subject-Sequence`
//! (`Store::update`), creation its variant with sequence 0 (`Store::create`).

use std::time::Duration;

use async_nats::jetstream::{self, kv};
use harmony_fleet_wire::connect::jetstream_error;

use super::BUCKET;
use super::protocol::{KvError, LeaseKv, Record};

/// The failover bucket of one NATS connection.
#[derive(Clone)]
pub struct NatsKv {
    store: kv::Store,
}

impl NatsKv {
    /// Opens the failover bucket, creating it when missing (file storage, one revision of
    /// history per key).
    pub async fn open(url: &str, client: &async_nats::Client) -> Result<Self, String> {
        let js = jetstream::new(client.clone());
        let shown = harmony_values::mask_url_credentials(url);
        let store = match js.get_key_value(BUCKET).await {
            Ok(store) => store,
            Err(_) => js
                .create_key_value(kv::Config {
                    bucket: BUCKET.to_string(),
                    history: 1,
                    storage: jetstream::stream::StorageType::File,
                    description: "Harmony failover: leader entries and node reports".to_string(),
                    ..Default::default()
                })
                .await
                .map_err(|e| {
                    jetstream_error(&shown, "cannot open the failover bucket", e).to_string()
                })?,
        };
        Ok(NatsKv { store })
    }
}

impl NatsKv {
    /// The names of the nodes that have reported in pair `pair`.
    pub async fn node_names(&self, pair: &str) -> Result<Vec<String>, String> {
        use futures_util::StreamExt;
        let prefix = format!("{pair}.node.");
        let mut keys = self
            .store
            .keys()
            .await
            .map_err(|e| format!("cannot list the failover bucket: {e}"))?;
        let mut names = Vec::new();
        while let Some(key) = keys.next().await {
            let key = key.map_err(|e| format!("cannot list the failover bucket: {e}"))?;
            if let Some(name) = key.strip_prefix(&prefix) {
                names.push(name.to_string());
            }
        }
        Ok(names)
    }
}

fn stamp_ms(created: &async_nats::jetstream::kv::Entry) -> u64 {
    (created.created.unix_timestamp_nanos() / 1_000_000).max(0) as u64
}

async fn within<T, E: std::fmt::Display>(
    timeout: Duration,
    what: &str,
    f: impl Future<Output = Result<T, E>>,
) -> Result<Result<T, E>, KvError> {
    if timeout.is_zero() {
        return Err(KvError::Unavailable(format!("{what}: no time left")));
    }
    tokio::time::timeout(timeout, f)
        .await
        .map_err(|_| KvError::Unavailable(format!("{what}: timed out after {timeout:?}")))
}

impl LeaseKv for NatsKv {
    async fn read(&self, key: &str, timeout: Duration) -> Result<Option<Record>, KvError> {
        match within(timeout, "read", self.store.entry(key)).await? {
            Ok(Some(entry)) if entry.operation == kv::Operation::Put => Ok(Some(Record {
                stamp_ms: stamp_ms(&entry),
                value: entry.value.to_vec(),
                revision: entry.revision,
            })),
            Ok(_) => Ok(None),
            Err(e) => Err(KvError::Unavailable(format!("read {key}: {e}"))),
        }
    }

    async fn create(&self, key: &str, value: Vec<u8>, timeout: Duration) -> Result<u64, KvError> {
        match within(timeout, "create", self.store.create(key, value.into())).await? {
            Ok(revision) => Ok(revision),
            Err(e) if e.kind() == kv::CreateErrorKind::AlreadyExists => Err(KvError::Conflict),
            Err(e) => Err(KvError::Unavailable(format!("create {key}: {e}"))),
        }
    }

    async fn update(
        &self,
        key: &str,
        value: Vec<u8>,
        expected: u64,
        timeout: Duration,
    ) -> Result<u64, KvError> {
        match within(
            timeout,
            "update",
            self.store.update(key, value.into(), expected),
        )
        .await?
        {
            Ok(revision) => Ok(revision),
            Err(e) if e.kind() == kv::UpdateErrorKind::WrongLastRevision => Err(KvError::Conflict),
            Err(e) => Err(KvError::Unavailable(format!("update {key}: {e}"))),
        }
    }

    async fn put(&self, key: &str, value: Vec<u8>, timeout: Duration) -> Result<u64, KvError> {
        match within(timeout, "put", self.store.put(key, value.into())).await? {
            Ok(revision) => Ok(revision),
            Err(e) => Err(KvError::Unavailable(format!("put {key}: {e}"))),
        }
    }
}
