//! [`FleetStore`]: desired state in the `harmony-desired` bucket, with optimistic concurrency.
//! Many devices at once: [`FleetStore::apply_all`] ([`fanout`]).

pub mod fanout;

use async_nats::jetstream::kv;
use harmony_dsl::outcome::{Change, Inspection, Observed};
use harmony_dsl::resource::{DeviceSpec, EnvValue};
use harmony_dsl::{Error, Outcome};

use super::connect::{ConnectConfig, connect, desired_bucket, jetstream_error, status_bucket};
use super::wire::{
    DESIRED_BUCKET, DeviceStatus, decode_spec, desired_key, encode_spec, redacted_json, status_key,
};

/// A copy of `spec` with its secret references read from their sources, or `None` when it has
/// none. For comparing only: never print or record it.
async fn resolve_secret_refs(spec: &DeviceSpec) -> Result<Option<DeviceSpec>, Error> {
    use crate::config::env_has_refs;
    if !spec.workloads.iter().any(|w| env_has_refs(w.env.values())) {
        return Ok(None);
    }
    let resolver = crate::config::SecretResolver::new();
    let mut resolved = spec.clone();
    for workload in &mut resolved.workloads {
        resolver.resolve_env(&mut workload.env).await?;
    }
    Ok(Some(resolved))
}

/// One line per secret whose value differs between `old` and `new` (same workload, same
/// variable, both secrets), values redacted: the JSON diff shows `<redacted>` on both sides.
fn changed_secrets(old: &DeviceSpec, new: &DeviceSpec) -> Vec<String> {
    let mut lines = Vec::new();
    for workload in &new.workloads {
        let Some(before) = old.workloads.iter().find(|w| w.name == workload.name) else {
            continue;
        };
        for (name, value) in &workload.env {
            if let (EnvValue::Secret(now), Some(EnvValue::Secret(was))) =
                (value, before.env.get(name))
                && now.expose() != was.expose()
            {
                lines.push(format!(
                    "~ workload `{}`: secret {name} changed (value redacted)",
                    workload.name
                ));
            }
        }
    }
    lines
}

/// What is stored under a key now.
struct Current {
    revision: u64,
    value: bytes::Bytes,
}

/// The operator's handle on the fleet's buckets: reads, writes with compare-and-set, deletes.
#[derive(Clone)]
pub struct FleetStore {
    url: String,
    namespace: String,
    client: async_nats::Client,
    desired: kv::Store,
    status: kv::Store,
}

impl std::fmt::Debug for FleetStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FleetStore")
            .field("url", &self.url)
            .field("namespace", &self.namespace)
            .finish()
    }
}

impl FleetStore {
    /// Connects to `url`, creating the desired-state and status buckets when missing (devices
    /// with per-device permissions cannot create them).
    pub async fn connect(
        url: &str,
        config: &ConnectConfig,
        namespace: &str,
    ) -> Result<Self, Error> {
        let client = connect(url, config).await?;
        // Only for messages: the password, if the URL has one, is masked.
        let url = crate::redact::mask_url_credentials(url);
        let jetstream = config.jetstream(client.clone());
        let desired = desired_bucket(&url, &jetstream, true).await?;
        let status = status_bucket(&url, &jetstream, true).await?;
        Ok(FleetStore {
            url: url.into_owned(),
            namespace: namespace.to_string(),
            client,
            desired,
            status,
        })
    }

    /// The underlying client.
    pub fn client(&self) -> &async_nats::Client {
        &self.client
    }

    /// The key `spec` is stored under.
    pub fn key(&self, spec: &DeviceSpec) -> String {
        desired_key(&self.namespace, spec)
    }

    fn where_(&self, key: &str) -> String {
        format!("key `{key}` in bucket `{DESIRED_BUCKET}`")
    }

    async fn current(&self, key: &str) -> Result<Option<Current>, Error> {
        let entry = self.desired.entry(key).await.map_err(|e| {
            jetstream_error(&self.url, &format!("cannot read {}", self.where_(key)), e)
        })?;
        Ok(entry
            .filter(|e| e.operation == kv::Operation::Put)
            .map(|e| Current {
                revision: e.revision,
                value: e.value,
            }))
    }

    /// Reads the stored value of `spec`'s key and says what [`apply`](Self::apply) would change.
    ///
    /// The store holds secret values (the device needs them) while a plan's spec may hold
    /// references to them ([`EnvValue::SecretRef`]), which apply reads from their sources just
    /// before it writes: so they are read here too and the values compared, never the reference
    /// against the value (which would show every such device as changed while apply leaves it
    /// unchanged). A changed value shows as an update naming the variable, its value redacted.
    pub async fn inspect(&self, spec: &DeviceSpec) -> Result<Inspection, Error> {
        let key = self.key(spec);
        let current = self.current(&key).await?;
        let resolved = resolve_secret_refs(spec).await?;
        Ok(self.compare(&key, resolved.as_ref().unwrap_or(spec), current.as_ref()))
    }

    fn compare(&self, key: &str, spec: &DeviceSpec, current: Option<&Current>) -> Inspection {
        let Some(current) = current else {
            return Inspection {
                change: Change::Create {
                    summary: format!(
                        "desired state of device `{}` ({} workloads) at {}",
                        spec.device,
                        spec.workloads.len(),
                        self.where_(key)
                    ),
                },
                observed: Observed::Absent,
            };
        };
        let observed = Observed::Revision {
            value: current.revision,
        };
        let desired = encode_spec(spec);
        if current.value.as_ref() == desired.as_slice() {
            return Inspection {
                change: Change::None,
                observed,
            };
        }
        let old = match decode_spec(&current.value) {
            Ok(old) => redacted_json(&old),
            Err(e) => format!("(not a device spec: {e})"),
        };
        let mut diff = crate::local::line_diff(&old, &redacted_json(spec), 1);
        if let Ok(old) = decode_spec(&current.value) {
            diff.extend(changed_secrets(&old, spec));
        }
        if diff.is_empty() {
            diff.push("~ a secret value changed (redacted)".to_string());
        }
        Inspection {
            change: Change::Update { diff },
            observed,
        }
    }

    /// Writes `spec` with compare-and-set on the revision read just before: a concurrent writer
    /// makes this a conflict error naming the key, never a silent overwrite.
    pub async fn apply(&self, spec: &DeviceSpec) -> Result<Outcome, Error> {
        Ok(self.apply_with_revision(spec).await?.0)
    }

    /// [`apply`](Self::apply), also returning the revision now stored.
    pub async fn apply_with_revision(&self, spec: &DeviceSpec) -> Result<(Outcome, u64), Error> {
        let key = self.key(spec);
        let current = self.current(&key).await?;
        let observed = match &current {
            Some(c) => Observed::Revision { value: c.revision },
            None => Observed::Absent,
        };
        if let Some(c) = &current
            && c.value.as_ref() == encode_spec(spec).as_slice()
        {
            return Ok((Outcome::Unchanged, c.revision));
        }
        self.write(&key, spec, &observed).await
    }

    /// Writes `spec` only if its key is still as `observed` (what a plan read): absent, or at
    /// that revision. Anything else is a conflict error naming the key.
    pub async fn apply_at(&self, spec: &DeviceSpec, observed: &Observed) -> Result<Outcome, Error> {
        let key = self.key(spec);
        Ok(self.write(&key, spec, observed).await?.0)
    }

    /// [`apply_at`](Self::apply_at), also returning the revision now stored.
    pub async fn apply_at_with_revision(
        &self,
        spec: &DeviceSpec,
        observed: &Observed,
    ) -> Result<(Outcome, u64), Error> {
        self.write(&self.key(spec), spec, observed).await
    }

    async fn write(
        &self,
        key: &str,
        spec: &DeviceSpec,
        observed: &Observed,
    ) -> Result<(Outcome, u64), Error> {
        self.write_encoded(key, spec, encode_spec(spec).into(), observed)
            .await
    }

    /// [`write`](Self::write) of `spec` already encoded as `bytes`.
    async fn write_encoded(
        &self,
        key: &str,
        spec: &DeviceSpec,
        bytes: bytes::Bytes,
        observed: &Observed,
    ) -> Result<(Outcome, u64), Error> {
        let result = match observed {
            Observed::Absent => self.desired.create(key, bytes).await.map_err(|e| {
                if e.kind() == kv::CreateErrorKind::AlreadyExists {
                    Error::conflict(format!(
                        "{} was created by someone else after it was read as absent; \
                         nothing was overwritten: plan again and review the change",
                        self.where_(key)
                    ))
                } else {
                    jetstream_error(&self.url, &format!("cannot create {}", self.where_(key)), e)
                        .into()
                }
            }),
            Observed::Revision { value } => {
                self.desired.update(key, bytes, *value).await.map_err(|e| {
                    if e.kind() == kv::UpdateErrorKind::WrongLastRevision {
                        Error::conflict(format!(
                            "{} changed after it was read at revision {value}; \
                             nothing was overwritten: plan again and review the change",
                            self.where_(key)
                        ))
                    } else {
                        jetstream_error(
                            &self.url,
                            &format!("cannot update {}", self.where_(key)),
                            e,
                        )
                        .into()
                    }
                })
            }
            other => Err(Error::permanent(format!(
                "{} can only be written against a revision, not {other:?}",
                self.where_(key)
            ))),
        }?;
        let verb = if matches!(observed, Observed::Absent) {
            "created"
        } else {
            "updated"
        };
        let outcome = Outcome::changed(format!(
            "{verb} desired state of device `{}` ({} workloads) at {}, revision {result}",
            spec.device,
            spec.workloads.len(),
            self.where_(key)
        ));
        Ok((outcome, result))
    }

    /// The namespace (first key token) of this store's keys.
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// The server's URL, credentials masked: for messages.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The revision and bytes now stored under `spec`'s key, if any.
    pub async fn entry(&self, spec: &DeviceSpec) -> Result<Option<(u64, bytes::Bytes)>, Error> {
        Ok(self
            .current(&self.key(spec))
            .await?
            .map(|c| (c.revision, c.value)))
    }

    /// Deletes `key` only if it is still at `revision`.
    pub async fn remove_key_at(&self, key: &str, revision: u64) -> Result<(), Error> {
        self.desired
            .delete_expect_revision(&key, Some(revision))
            .await
            .map_err(|e| {
                if e.kind() == kv::UpdateErrorKind::WrongLastRevision {
                    Error::conflict(format!(
                        "{} changed after it was read at revision {revision}; it was not deleted",
                        self.where_(key)
                    ))
                } else {
                    jetstream_error(&self.url, &format!("cannot delete {}", self.where_(key)), e)
                        .into()
                }
            })
    }

    /// The revision now stored for `spec`, if any.
    pub async fn revision(&self, spec: &DeviceSpec) -> Result<Option<u64>, Error> {
        Ok(self.current(&self.key(spec)).await?.map(|c| c.revision))
    }

    /// Deletes `spec`'s key (compare-and-set on the revision read): its agent stops the workloads.
    pub async fn remove(&self, spec: &DeviceSpec) -> Result<Outcome, Error> {
        let key = self.key(spec);
        let Some(current) = self.current(&key).await? else {
            return Ok(Outcome::Unchanged);
        };
        self.remove_key_at(&key, current.revision).await?;
        Ok(Outcome::changed(format!(
            "deleted desired state of device `{}` at {}",
            spec.device,
            self.where_(&key)
        )))
    }

    /// The last status `device`'s agent wrote, if any.
    pub async fn status(&self, device: &str) -> Result<Option<DeviceStatus>, Error> {
        let value = self
            .status
            .get(status_key(device))
            .await
            .map_err(|e| jetstream_error(&self.url, "cannot read device status", e))?;
        value
            .map(|v| {
                serde_json::from_slice(&v).map_err(|e| {
                    Error::permanent(format!("status of device `{device}` is not readable"))
                        .with_source(e)
                })
            })
            .transpose()
    }
}
