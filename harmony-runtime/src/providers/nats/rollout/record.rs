//! The state of rollouts in the `harmony-rollouts` bucket: one [`RolloutRecord`] per rollout and
//! one [`DeviceRecord`] per device of it, every write compare-and-set on the revision read, so
//! two operators never both move a rollout on.

use std::collections::BTreeMap;

use async_nats::jetstream::{self, kv};
use futures_util::StreamExt;
use harmony_dsl::Error;
use harmony_dsl::rollout::{RolloutPolicy, Stage};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::super::connect::{bucket, jetstream_error};
use super::super::wire::key_token;

/// Bucket holding the state of every rollout.
pub const ROLLOUT_BUCKET: &str = "harmony-rollouts";

/// Where a rollout stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RolloutPhase {
    /// An operator moves it on.
    Running,
    /// Failures reached the threshold: it waits for `rollout resume` or `rollout abort`.
    Halted,
    /// Every device is done.
    Done,
    /// An operator aborted it: every device it had updated is back at its previous revision.
    Aborted,
}

impl RolloutPhase {
    /// `running`, `halted`, `done`, `aborted`.
    pub fn as_str(self) -> &'static str {
        match self {
            RolloutPhase::Running => "running",
            RolloutPhase::Halted => "halted",
            RolloutPhase::Done => "done",
            RolloutPhase::Aborted => "aborted",
        }
    }
}

/// One rollout: a score's new desired state going out stage by stage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RolloutRecord {
    /// The score instance rolled out.
    pub score: String,
    /// Digest of the new desired state of every device: which version this rollout brings.
    pub target: String,
    /// The policy it follows.
    pub policy: RolloutPolicy,
    /// Its stages, fixed when it started.
    pub stages: Vec<Stage>,
    /// The stage being rolled out (`stages.len()` when done).
    pub stage: usize,
    /// Where it stands.
    pub phase: RolloutPhase,
    /// Why it halted or was aborted.
    pub reason: Option<String>,
    /// The operator driving it, while running.
    pub owner: Option<String>,
    /// Until when the owner's claim holds (ms since the Unix epoch); another operator may take
    /// over a running rollout once it has passed.
    pub lease_until_ms: u64,
    /// When it was last written (ms since the Unix epoch).
    pub updated_ms: u64,
}

impl RolloutRecord {
    /// The stage's name, or `done` past the last one.
    pub fn stage_name(&self) -> &str {
        self.stages
            .get(self.stage)
            .map(|s| s.name.as_str())
            .unwrap_or("done")
    }
}

/// Where one device of a rollout stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceState {
    /// Not written yet.
    Pending,
    /// Its new desired state is (being) written; not healthy yet.
    InFlight,
    /// Healthy at its new revision.
    Done,
    /// It failed at its new revision and was rolled back to its previous one.
    Failed,
    /// In flight when the rollout halted or done when it was aborted: rolled back.
    RolledBack,
}

impl DeviceState {
    /// `pending`, `in flight`, `done`, `failed`, `rolled back`.
    pub fn as_str(self) -> &'static str {
        match self {
            DeviceState::Pending => "pending",
            DeviceState::InFlight => "in flight",
            DeviceState::Done => "done",
            DeviceState::Failed => "failed",
            DeviceState::RolledBack => "rolled back",
        }
    }
}

/// One device of a rollout: what it ran before (to roll back to) and where it stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceRecord {
    /// Device name.
    pub device: String,
    /// Its desired-state key.
    pub key: String,
    /// The revision of the key before the rollout wrote it (`None`: absent).
    pub previous_revision: Option<u64>,
    /// The bytes stored at that revision, to write back on a rollback.
    pub previous: Option<String>,
    /// The revision the rollout wrote.
    pub new_revision: Option<u64>,
    /// Where it stands.
    pub state: DeviceState,
    /// Why it failed.
    pub reason: Option<String>,
}

/// A value read with the revision it is at.
#[derive(Debug, Clone)]
pub struct Versioned<T> {
    /// The value.
    pub value: T,
    /// The revision it was read at.
    pub revision: u64,
}

/// The rollouts bucket of one namespace.
#[derive(Clone)]
pub struct RolloutBook {
    url: String,
    namespace: String,
    kv: kv::Store,
}

impl RolloutBook {
    /// Opens (creating when missing) the rollouts bucket through `client`.
    pub async fn open(
        client: &async_nats::Client,
        url: &str,
        namespace: &str,
    ) -> Result<Self, Error> {
        let js = jetstream::new(client.clone());
        let kv = bucket(url, &js, ROLLOUT_BUCKET, 1, true).await?;
        Ok(RolloutBook {
            url: url.to_string(),
            namespace: namespace.to_string(),
            kv,
        })
    }

    /// The key of rollout `score`'s record.
    pub fn rollout_key(&self, score: &str) -> String {
        format!("{}.{}", key_token(&self.namespace), key_token(score))
    }

    fn device_key(&self, score: &str, device: &str) -> String {
        format!("{}.{}", self.rollout_key(score), key_token(device))
    }

    async fn read<T: DeserializeOwned>(&self, key: &str) -> Result<Option<Versioned<T>>, Error> {
        let entry = self.kv.entry(key).await.map_err(|e| {
            jetstream_error(&self.url, &format!("cannot read rollout state `{key}`"), e)
        })?;
        let Some(entry) = entry.filter(|e| e.operation == kv::Operation::Put) else {
            return Ok(None);
        };
        let value = serde_json::from_slice(&entry.value).map_err(|e| {
            Error::permanent(format!(
                "rollout state `{key}` in bucket `{ROLLOUT_BUCKET}` is not readable"
            ))
            .with_source(e)
        })?;
        Ok(Some(Versioned {
            value,
            revision: entry.revision,
        }))
    }

    /// Writes `value` under `key` if it is still at `revision` (`None`: absent); returns the
    /// new revision, or a conflict error when someone else wrote it first.
    async fn write<T: Serialize>(
        &self,
        key: &str,
        value: &T,
        revision: Option<u64>,
    ) -> Result<u64, Error> {
        let bytes = bytes::Bytes::from(
            serde_json::to_vec(value)
                .map_err(|e| Error::permanent("cannot encode rollout state").with_source(e))?,
        );
        let conflict = || {
            Error::conflict(format!(
                "rollout state `{key}` was changed by another operator; nothing was overwritten"
            ))
        };
        match revision {
            None => self.kv.create(key, bytes).await.map_err(|e| {
                if e.kind() == kv::CreateErrorKind::AlreadyExists {
                    conflict()
                } else {
                    jetstream_error(&self.url, &format!("cannot write rollout state `{key}`"), e)
                        .into()
                }
            }),
            Some(revision) => self.kv.update(key, bytes, revision).await.map_err(|e| {
                if e.kind() == kv::UpdateErrorKind::WrongLastRevision {
                    conflict()
                } else {
                    jetstream_error(&self.url, &format!("cannot write rollout state `{key}`"), e)
                        .into()
                }
            }),
        }
    }

    /// Rollout `score`'s record.
    pub async fn rollout(&self, score: &str) -> Result<Option<Versioned<RolloutRecord>>, Error> {
        self.read(&self.rollout_key(score)).await
    }

    /// Writes rollout `record` if its record is still at `revision`; the new revision.
    pub async fn put_rollout(
        &self,
        record: &RolloutRecord,
        revision: Option<u64>,
    ) -> Result<u64, Error> {
        self.write(&self.rollout_key(&record.score), record, revision)
            .await
    }

    /// `device`'s record in rollout `score`.
    pub async fn device(
        &self,
        score: &str,
        device: &str,
    ) -> Result<Option<Versioned<DeviceRecord>>, Error> {
        self.read(&self.device_key(score, device)).await
    }

    /// Writes `record` in rollout `score` if it is still at `revision`; the new revision.
    pub async fn put_device(
        &self,
        score: &str,
        record: &DeviceRecord,
        revision: Option<u64>,
    ) -> Result<u64, Error> {
        self.write(&self.device_key(score, &record.device), record, revision)
            .await
    }

    /// The records of `devices` in rollout `score` (those that have one), by device; read
    /// concurrently.
    pub async fn devices(
        &self,
        score: &str,
        devices: &[String],
    ) -> Result<BTreeMap<String, Versioned<DeviceRecord>>, Error> {
        let score = score.to_string();
        let reads = futures_util::stream::iter(devices.to_vec())
            .map(|device| {
                let (book, score) = (self.clone(), score.clone());
                async move { book.device(&score, &device).await }
            })
            .buffer_unordered(64);
        let results: Vec<_> = reads.collect().await;
        let mut out = BTreeMap::new();
        for record in results {
            if let Some(record) = record? {
                out.insert(record.value.device.clone(), record);
            }
        }
        Ok(out)
    }

    /// The score names of every rollout in this namespace.
    pub async fn scores(&self) -> Result<Vec<String>, Error> {
        let prefix = format!("{}.", key_token(&self.namespace));
        let mut keys = self
            .kv
            .keys()
            .await
            .map_err(|e| jetstream_error(&self.url, "cannot list rollouts", e))?;
        let mut scores = Vec::new();
        while let Some(key) = keys.next().await {
            let key = key.map_err(|e| jetstream_error(&self.url, "cannot list rollouts", e))?;
            let Some(rest) = key.strip_prefix(&prefix) else {
                continue;
            };
            if rest.contains('.') {
                continue;
            }
            if let Some(record) = self.read::<RolloutRecord>(&key).await? {
                scores.push(record.value.score);
            }
        }
        scores.sort();
        Ok(scores)
    }
}
